//! Record fingerprints, page memos and value issues in SQLite.

use super::SqliteState;
use crate::CatalogError;
use crate::storage::state::{
    KnownRecord, PageMemo, RecordFingerprint, RecordState, RecordUpsert, RepairCount, StaleRecord,
    ValueIssue, now_text,
};
use async_trait::async_trait;
use sqlx::Row;

#[async_trait]
impl RecordState for SqliteState {
    async fn known_records(
        &self,
        source_id: &str,
        keys: &[&str],
    ) -> Result<Vec<Option<KnownRecord>>, CatalogError> {
        // One query per chunk of keys, under SQLite's limit on bound parameters.
        const CHUNK: usize = 500;
        let mut found = std::collections::HashMap::with_capacity(keys.len());
        for chunk in keys.chunks(CHUNK) {
            let placeholders = vec!["?"; chunk.len()].join(", ");
            let sql = format!(
                "SELECT record_key, content_hash, deleted FROM records
                 WHERE source_id = ? AND record_key IN ({placeholders})"
            );
            // Only `?` placeholders are interpolated; every value is bound.
            let mut query = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(source_id);
            for key in chunk {
                query = query.bind(*key);
            }
            for row in query.fetch_all(&self.pool).await? {
                found.insert(
                    row.get::<String, _>("record_key"),
                    KnownRecord {
                        content_hash: row.get("content_hash"),
                        deleted: row.get::<i64, _>("deleted") != 0,
                    },
                );
            }
        }
        Ok(keys.iter().map(|key| found.get(*key).cloned()).collect())
    }

    async fn upsert_records(
        &self,
        source_id: &str,
        job_id: i64,
        records: &[RecordUpsert<'_>],
    ) -> Result<(), CatalogError> {
        let now = now_text();
        let mut tx = self.pool.begin().await?;
        for record in records {
            sqlx::query(
                "INSERT INTO records (source_id, record_key, graph_iri, dataset_iri, content_hash,
                                      source_url, first_seen_at, last_seen_at, last_seen_job)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?7, ?8)
                 ON CONFLICT(source_id, record_key) DO UPDATE SET
                     graph_iri = ?3, dataset_iri = ?4, content_hash = ?5, source_url = ?6,
                     last_seen_at = ?7, last_seen_job = ?8,
                     first_seen_at = CASE WHEN records.deleted = 1 THEN ?7
                                          ELSE records.first_seen_at END,
                     deleted = 0, deleted_at = NULL, deleted_by_job = NULL",
            )
            .bind(source_id)
            .bind(record.record_key)
            .bind(record.graph_iri)
            .bind(record.dataset_iri)
            .bind(record.content_hash)
            .bind(record.source_url)
            .bind(&now)
            .bind(job_id)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    async fn touch_records(
        &self,
        source_id: &str,
        job_id: i64,
        keys: &[&str],
    ) -> Result<(), CatalogError> {
        // One statement for the page's keys (passed as a JSON array), not one per record.
        sqlx::query(
            "UPDATE records SET last_seen_at = ?3, last_seen_job = ?4
             WHERE source_id = ?1 AND record_key IN (SELECT value FROM json_each(?2))",
        )
        .bind(source_id)
        .bind(json_keys(keys))
        .bind(now_text())
        .bind(job_id)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    async fn stale_records(
        &self,
        source_id: &str,
        job_id: i64,
        limit: i64,
    ) -> Result<Vec<StaleRecord>, CatalogError> {
        let rows = sqlx::query(
            "SELECT record_key, graph_iri, dataset_iri FROM records
             WHERE source_id = ?1 AND deleted = 0 AND last_seen_job <> ?2 LIMIT ?3",
        )
        .bind(source_id)
        .bind(job_id)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        Ok(rows
            .into_iter()
            .map(|row| StaleRecord {
                record_key: row.get("record_key"),
                graph_iri: row.get("graph_iri"),
                dataset_iri: row.get("dataset_iri"),
            })
            .collect())
    }

    async fn mark_deleted(
        &self,
        source_id: &str,
        job_id: i64,
        keys: &[&str],
    ) -> Result<(), CatalogError> {
        let now = now_text();
        let mut tx = self.pool.begin().await?;
        for key in keys {
            sqlx::query(
                "UPDATE records SET deleted = 1, deleted_at = ?3, deleted_by_job = ?4
                 WHERE source_id = ?1 AND record_key = ?2",
            )
            .bind(source_id)
            .bind(key)
            .bind(&now)
            .bind(job_id)
            .execute(&mut *tx)
            .await?;
            // What was repaired in a deleted record goes with it.
            sqlx::query("DELETE FROM record_value_issues WHERE source_id = ?1 AND record_key = ?2")
                .bind(source_id)
                .bind(key)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    async fn live_record_count(&self, source_id: &str) -> Result<i64, CatalogError> {
        let row = sqlx::query("SELECT COUNT(*) FROM records WHERE source_id = ?1 AND deleted = 0")
            .bind(source_id)
            .fetch_one(&self.pool)
            .await?;
        Ok(row.get(0))
    }

    async fn stale_record_count(&self, source_id: &str, job_id: i64) -> Result<i64, CatalogError> {
        let row = sqlx::query(
            "SELECT COUNT(*) FROM records WHERE source_id = ?1 AND deleted = 0 AND last_seen_job <> ?2",
        )
        .bind(source_id)
        .bind(job_id)
        .fetch_one(&self.pool)
        .await?;
        Ok(row.get(0))
    }

    async fn records_deleted_by_job(&self, job_id: i64) -> Result<Vec<String>, CatalogError> {
        let rows = sqlx::query(
            "SELECT record_key FROM records WHERE deleted = 1 AND deleted_by_job = ?1
             ORDER BY record_key",
        )
        .bind(job_id)
        .fetch_all(&self.pool)
        .await?;
        Ok(rows.into_iter().map(|r| r.get("record_key")).collect())
    }

    async fn record_fingerprints(
        &self,
        source_id: &str,
    ) -> Result<std::collections::HashMap<String, RecordFingerprint>, CatalogError> {
        let rows: Vec<(String, String, String)> = sqlx::query_as(
            "SELECT record_key, content_hash, first_seen_at FROM records
             WHERE source_id = ?1 AND deleted = 0",
        )
        .bind(source_id)
        .fetch_all(&self.pool)
        .await?;
        Ok(rows
            .into_iter()
            .map(|(key, content_hash, first_seen_at)| {
                (
                    key,
                    RecordFingerprint {
                        content_hash,
                        first_seen_at,
                    },
                )
            })
            .collect())
    }

    async fn page_memo(
        &self,
        source_id: &str,
        url: &str,
    ) -> Result<Option<PageMemo>, CatalogError> {
        let row = sqlx::query(
            "SELECT etag, last_modified, record_keys, next_url FROM pages
             WHERE source_id = ?1 AND url = ?2",
        )
        .bind(source_id)
        .bind(url)
        .fetch_optional(&self.pool)
        .await?;
        Ok(row.map(|row| PageMemo {
            etag: row.get("etag"),
            last_modified: row.get("last_modified"),
            record_keys: serde_json::from_str(row.get::<&str, _>("record_keys"))
                .unwrap_or_default(),
            next_url: row.get("next_url"),
        }))
    }

    async fn save_page_memo(
        &self,
        source_id: &str,
        url: &str,
        memo: &PageMemo,
    ) -> Result<(), CatalogError> {
        sqlx::query(
            "INSERT INTO pages (source_id, url, etag, last_modified, record_keys, next_url, fetched_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
             ON CONFLICT (source_id, url) DO UPDATE SET etag = excluded.etag,
               last_modified = excluded.last_modified, record_keys = excluded.record_keys,
               next_url = excluded.next_url, fetched_at = excluded.fetched_at",
        )
        .bind(source_id)
        .bind(url)
        .bind(&memo.etag)
        .bind(&memo.last_modified)
        .bind(serde_json::to_string(&memo.record_keys).unwrap_or_else(|_| "[]".into()))
        .bind(&memo.next_url)
        .bind(now_text())
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    async fn replace_value_issues(
        &self,
        source_id: &str,
        job_id: i64,
        record_keys: &[&str],
        issues: &[ValueIssue],
    ) -> Result<(), CatalogError> {
        let mut tx = self.pool.begin().await?;
        // One statement for the page's keys, not one per record.
        sqlx::query(
            "DELETE FROM record_value_issues WHERE source_id = ?1
               AND record_key IN (SELECT value FROM json_each(?2))",
        )
        .bind(source_id)
        .bind(json_keys(record_keys))
        .execute(&mut *tx)
        .await?;
        for issue in issues {
            sqlx::query(
                "INSERT INTO record_value_issues
                     (source_id, record_key, action, property, rule, value, job_id)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            )
            .bind(source_id)
            .bind(&issue.record_key)
            .bind(issue.action.as_str())
            .bind(&issue.property)
            .bind(&issue.rule)
            .bind(&issue.value)
            .bind(job_id)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    async fn repair_counts(
        &self,
        source_id: &str,
        limit: i64,
    ) -> Result<Vec<RepairCount>, CatalogError> {
        let rows = sqlx::query(
            "SELECT i.action, i.property, i.rule, COUNT(*) AS n,
                    COUNT(DISTINCT i.record_key) AS records,
                    MIN(i.record_key) AS example_record
             FROM record_value_issues i
             JOIN records r ON r.source_id = i.source_id AND r.record_key = i.record_key
             WHERE i.source_id = ?1 AND r.deleted = 0
             GROUP BY i.action, i.property, i.rule
             ORDER BY n DESC, i.action, i.property, i.rule
             LIMIT ?2",
        )
        .bind(source_id)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        let mut counts = Vec::with_capacity(rows.len());
        for row in rows {
            let example_record: String = row.get("example_record");
            let (action, property, rule): (String, String, String) =
                (row.get("action"), row.get("property"), row.get("rule"));
            let example_value: String = sqlx::query_scalar(
                "SELECT value FROM record_value_issues
                 WHERE source_id = ?1 AND record_key = ?2 AND action = ?3 AND property = ?4
                   AND rule = ?5 LIMIT 1",
            )
            .bind(source_id)
            .bind(&example_record)
            .bind(&action)
            .bind(&property)
            .bind(&rule)
            .fetch_one(&self.pool)
            .await?;
            counts.push(RepairCount {
                action,
                property,
                rule,
                values: row.get::<i64, _>("n") as u64,
                records: row.get::<i64, _>("records") as u64,
                example_record,
                example_value,
            });
        }
        Ok(counts)
    }
}

/// Record keys as a JSON array, for `json_each`: one bound parameter whatever their number.
fn json_keys(keys: &[&str]) -> String {
    serde_json::Value::from(keys).to_string()
}
