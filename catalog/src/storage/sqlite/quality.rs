//! Link checks, file samples and indicator snapshots in SQLite.

use super::SqliteState;
use crate::CatalogError;
use crate::storage::state::{
    FileDownload, FileSample, IndicatorSnapshotRow, LinkCheckRow, LinkHistory, NewLinkCheck,
    QualityMemo, QualityMemoKey, QualityState, parse_time, time_text,
};
use async_trait::async_trait;

#[async_trait]
impl QualityState for SqliteState {
    async fn quality_memo_keys(
        &self,
        source_id: &str,
    ) -> Result<std::collections::HashMap<String, QualityMemoKey>, CatalogError> {
        let rows: Vec<(String, String, String, Option<String>)> = sqlx::query_as(
            "SELECT record_key, content_hash, inputs, recheck_on FROM quality_memos
             WHERE source_id = ?1",
        )
        .bind(source_id)
        .fetch_all(&self.pool)
        .await?;
        Ok(rows
            .into_iter()
            .map(|(key, content_hash, inputs, recheck_on)| {
                let memo = QualityMemoKey {
                    content_hash,
                    inputs,
                    recheck_on: recheck_on.as_deref().and_then(parse_day),
                };
                (key, memo)
            })
            .collect())
    }

    async fn save_quality_memos(
        &self,
        source_id: &str,
        memos: &[QualityMemo],
    ) -> Result<(), CatalogError> {
        let mut tx = self.pool.begin().await?;
        for memo in memos {
            sqlx::query(
                "INSERT INTO quality_memos
                     (source_id, record_key, content_hash, inputs, recheck_on, publisher, tally)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
                 ON CONFLICT(source_id, record_key) DO UPDATE SET
                     content_hash = ?3, inputs = ?4, recheck_on = ?5, publisher = ?6, tally = ?7",
            )
            .bind(source_id)
            .bind(&memo.record_key)
            .bind(&memo.key.content_hash)
            .bind(&memo.key.inputs)
            .bind(memo.key.recheck_on.map(|day| day.to_string()))
            .bind(&memo.publisher)
            .bind(&memo.tally)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    async fn forget_quality_memos(
        &self,
        source_id: &str,
        record_keys: &[&str],
    ) -> Result<(), CatalogError> {
        // One statement per thousand keys (passed as a JSON array).
        for chunk in record_keys.chunks(1000) {
            sqlx::query(
                "DELETE FROM quality_memos WHERE source_id = ?1
                   AND record_key IN (SELECT value FROM json_each(?2))",
            )
            .bind(source_id)
            .bind(serde_json::Value::from(chunk).to_string())
            .execute(&self.pool)
            .await?;
        }
        Ok(())
    }

    async fn quality_memo_page(
        &self,
        source_id: &str,
        after: Option<&str>,
        limit: u32,
    ) -> Result<Vec<QualityMemo>, CatalogError> {
        type Row = (
            String,
            String,
            String,
            Option<String>,
            Option<String>,
            Option<String>,
        );
        let rows: Vec<Row> = sqlx::query_as(
            "SELECT record_key, content_hash, inputs, recheck_on, publisher, tally
             FROM quality_memos
             WHERE source_id = ?1 AND (?2 IS NULL OR record_key > ?2)
             ORDER BY record_key LIMIT ?3",
        )
        .bind(source_id)
        .bind(after)
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await?;
        Ok(rows
            .into_iter()
            .map(
                |(record_key, content_hash, inputs, recheck_on, publisher, tally)| QualityMemo {
                    record_key,
                    key: QualityMemoKey {
                        content_hash,
                        inputs,
                        recheck_on: recheck_on.as_deref().and_then(parse_day),
                    },
                    publisher,
                    tally,
                },
            )
            .collect())
    }

    async fn link_generation(&self) -> Result<String, CatalogError> {
        let (checks, last_check, samples, last_sample): (i64, Option<i64>, i64, Option<String>) =
            sqlx::query_as(
                "SELECT (SELECT COUNT(*) FROM link_checks), (SELECT MAX(id) FROM link_checks),
                        (SELECT COUNT(*) FROM file_samples),
                        (SELECT MAX(checked_at) FROM file_samples)",
            )
            .fetch_one(&self.pool)
            .await?;
        Ok(format!(
            "{checks}:{}:{samples}:{}",
            last_check.unwrap_or(0),
            last_sample.unwrap_or_default()
        ))
    }

    async fn save_indicators(
        &self,
        source_id: &str,
        publisher: Option<&str>,
        taken_at: &str,
        indicators: &str,
    ) -> Result<(), CatalogError> {
        sqlx::query(
            "INSERT INTO indicator_snapshots (source_id, publisher, taken_at, indicators)
             VALUES (?1, ?2, ?3, ?4)",
        )
        .bind(source_id)
        .bind(publisher)
        .bind(taken_at)
        .bind(indicators)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    async fn indicator_snapshots(
        &self,
        source_id: Option<&str>,
        publisher: Option<&str>,
        from: Option<&str>,
        to: Option<&str>,
    ) -> Result<Vec<IndicatorSnapshotRow>, CatalogError> {
        let rows: Vec<(String, Option<String>, String, String)> = sqlx::query_as(
            "SELECT source_id, publisher, taken_at, indicators FROM indicator_snapshots
             WHERE (?1 IS NULL OR source_id = ?1)
               AND (?2 IS NULL OR (?2 = '' AND publisher IS NULL) OR publisher = ?2)
               AND (?3 IS NULL OR taken_at >= ?3)
               AND (?4 IS NULL OR substr(taken_at, 1, length(?4)) <= ?4)
             ORDER BY taken_at, source_id, publisher",
        )
        .bind(source_id)
        .bind(publisher)
        .bind(from)
        .bind(to)
        .fetch_all(&self.pool)
        .await?;
        Ok(rows
            .into_iter()
            .map(
                |(source_id, publisher, taken_at, indicators)| IndicatorSnapshotRow {
                    source_id,
                    publisher,
                    taken_at,
                    indicators,
                },
            )
            .collect())
    }

    async fn record_link_check(&self, check: &NewLinkCheck<'_>) -> Result<(), CatalogError> {
        sqlx::query(
            "INSERT INTO link_checks (url, checked_at, head_status, status, redirects,
                 content_type, content_length, error) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?8, ?7)",
        )
        .bind(check.url)
        .bind(time_text(&check.checked_at))
        .bind(i64::from(check.head_status))
        .bind(i64::from(check.status))
        .bind(check.redirects)
        .bind(check.content_type)
        .bind(check.error)
        .bind(check.content_length.map(|n| n as i64))
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    async fn record_file_sample(&self, download: &FileDownload<'_>) -> Result<(), CatalogError> {
        let sample = download.sample;
        let digest = |i: usize| {
            sample
                .and_then(|s| s.digests.as_ref())
                .map(|d| d[i].clone())
        };
        sqlx::query(
            "INSERT OR REPLACE INTO file_samples (url, checked_at, status, bytes_read, complete,
                 sniffed, syntax_valid, external_links, md5, sha1, sha256, error)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)",
        )
        .bind(download.url)
        .bind(time_text(&download.checked_at))
        .bind(i64::from(download.status))
        .bind(sample.map(|s| s.bytes_read as i64))
        .bind(sample.map(|s| s.complete))
        .bind(sample.and_then(|s| s.sniffed.clone()))
        .bind(sample.and_then(|s| s.syntax_valid))
        .bind(sample.and_then(|s| s.external_links))
        .bind(digest(0))
        .bind(digest(1))
        .bind(digest(2))
        .bind(download.error)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    async fn file_samples(
        &self,
    ) -> Result<std::collections::HashMap<String, (String, FileSample)>, CatalogError> {
        type Row = (
            String,
            String,
            i64,
            bool,
            Option<String>,
            Option<bool>,
            Option<bool>,
            Option<String>,
            Option<String>,
            Option<String>,
        );
        let rows: Vec<Row> = sqlx::query_as(
            "SELECT url, checked_at, bytes_read, complete, sniffed, syntax_valid, external_links,
                    md5, sha1, sha256
             FROM file_samples WHERE bytes_read IS NOT NULL",
        )
        .fetch_all(&self.pool)
        .await?;
        Ok(rows
            .into_iter()
            .map(
                |(url, at, bytes, complete, sniffed, syntax, external, md5, sha1, sha256)| {
                    let digests = match (md5, sha1, sha256) {
                        (Some(a), Some(b), Some(c)) => Some([a, b, c]),
                        _ => None,
                    };
                    let facts = FileSample {
                        bytes_read: u64::try_from(bytes).unwrap_or_default(),
                        complete,
                        sniffed,
                        syntax_valid: syntax,
                        external_links: external,
                        digests,
                    };
                    (url, (at, facts))
                },
            )
            .collect())
    }

    async fn prune_link_checks(&self, keep: u32) -> Result<u64, CatalogError> {
        let result = sqlx::query(
            "DELETE FROM link_checks WHERE id IN (
                 SELECT id FROM (
                     SELECT id, ROW_NUMBER() OVER (
                         PARTITION BY url ORDER BY checked_at DESC, id DESC) AS n
                     FROM link_checks)
                 WHERE n > ?1)",
        )
        .bind(i64::from(keep))
        .execute(&self.pool)
        .await?;
        Ok(result.rows_affected())
    }

    async fn link_history(&self, history: u32) -> Result<LinkHistory, CatalogError> {
        let rows: Vec<(String, String, i64, i64, Option<String>, Option<i64>)> = sqlx::query_as(
            "SELECT url, checked_at, head_status, status, content_type, content_length
             FROM (SELECT *, ROW_NUMBER() OVER (
                       PARTITION BY url ORDER BY checked_at DESC, id DESC) AS n
                   FROM link_checks)
             WHERE n <= ?1
             ORDER BY url, checked_at DESC, id DESC",
        )
        .bind(i64::from(history))
        .fetch_all(&self.pool)
        .await?;
        let mut out = LinkHistory::new();
        for (url, at, head, status, content_type, length) in rows {
            out.entry(url).or_default().push(LinkCheckRow {
                checked_at: parse_time(&at)?,
                head_status: u16::try_from(head).unwrap_or_default(),
                status: u16::try_from(status).unwrap_or_default(),
                content_type,
                content_length: length.and_then(|n| u64::try_from(n).ok()),
            });
        }
        Ok(out)
    }
}

/// A day as stored (`YYYY-MM-DD`).
fn parse_day(text: &str) -> Option<chrono::NaiveDate> {
    chrono::NaiveDate::parse_from_str(text, "%Y-%m-%d").ok()
}
