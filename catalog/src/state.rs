//! The state database (SQLite through sqlx): sources, harvest jobs with their counts, record
//! fingerprints (content hash, first/last seen, tombstones) and job errors. The runtime query
//! API is used rather than the compile-time-checked macros, so building needs no database.

use crate::CatalogError;
use serde::Serialize;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{Row, SqlitePool};
use std::path::Path;
use std::str::FromStr;

/// Current time as RFC 3339 UTC text, the format of every time column.
pub fn now_text() -> String {
    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

/// The state of a harvest job.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum JobStatus {
    /// Still running.
    Running,
    /// Finished with a complete listing and no error.
    Succeeded,
    /// Finished, but some pages or records failed.
    Partial,
    /// Stopped before finishing (the source could not be listed).
    Failed,
    /// Its process died before it finished (found `running` at the next start).
    Abandoned,
}

impl JobStatus {
    /// The text stored in the database.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Running => "running",
            Self::Succeeded => "succeeded",
            Self::Partial => "partial",
            Self::Failed => "failed",
            Self::Abandoned => "abandoned",
        }
    }
}

/// Counts of what a job did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct JobCounts {
    /// Pages fetched successfully.
    pub pages: u64,
    /// Records seen for the first time (or seen again after a deletion).
    pub added: u64,
    /// Records whose content changed.
    pub updated: u64,
    /// Records whose content hash did not change.
    pub unchanged: u64,
    /// Records removed because a complete listing no longer had them.
    pub deleted: u64,
    /// Pages and records that failed.
    pub failed: u64,
    /// Pages the portal answered `304 Not Modified` (counted in `pages` too).
    pub not_modified_pages: u64,
    /// Records stored with at least one value repaired or dropped.
    pub records_repaired: u64,
    /// Values repaired (an IRI percent-encoded, a date retyped…) and kept.
    pub values_repaired: u64,
    /// Values dropped with their property, their record kept.
    pub values_dropped: u64,
    /// Records rejected whole: no usable identity (counted in `failed` too).
    pub records_rejected: u64,
}

/// What happened to one bad value of a record.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum IssueAction {
    /// Repaired and kept (the portal's value is kept beside it where it is an IRI).
    Repaired,
    /// Dropped with its property; the record is kept.
    Dropped,
}

impl IssueAction {
    /// The stored text.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Repaired => "repaired",
            Self::Dropped => "dropped",
        }
    }
}

/// One value of a record that was repaired or dropped while mapping it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ValueIssue {
    /// The record's key in its source.
    pub record_key: String,
    /// Repaired or dropped.
    pub action: IssueAction,
    /// The property (predicate IRI) the value was the object of, or `subject` for a node.
    pub property: String,
    /// What was done or found, as a stable short name (`iri-percent-encoded`, `date-invalid`…).
    pub rule: String,
    /// The portal's value, shortened to [`MAX_ISSUE_VALUE`] characters.
    pub value: String,
}

/// How much of a portal's value a [`ValueIssue`] keeps.
pub const MAX_ISSUE_VALUE: usize = 300;

/// How often one repair happened in the live records of a source (`fedcat report mapping`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RepairCount {
    /// Repaired or dropped (`repaired` / `dropped`).
    pub action: String,
    /// The property.
    pub property: String,
    /// The rule.
    pub rule: String,
    /// Values it concerned.
    pub values: u64,
    /// Records it concerned.
    pub records: u64,
    /// One record and value, as an example.
    pub example_record: String,
    /// The example's value.
    pub example_value: String,
}

/// A job as stored.
#[derive(Debug, Clone, Serialize)]
pub struct JobRow {
    /// Job id.
    pub id: i64,
    /// Source id.
    pub source_id: String,
    /// Status text (`running`, `succeeded`, `partial`, `failed`, `abandoned`).
    pub status: String,
    /// Start time.
    pub started_at: String,
    /// End time, if finished.
    pub finished_at: Option<String>,
    /// Whether the listing of the source was complete.
    pub complete_listing: bool,
    /// Counts.
    pub counts: JobCounts,
    /// A summary message, e.g. why the job failed.
    pub message: Option<String>,
}

/// One error recorded for a job.
#[derive(Debug, Clone, Serialize)]
pub struct JobErrorRow {
    /// Job id.
    pub job_id: i64,
    /// Source id.
    pub source_id: String,
    /// The page or record URL concerned.
    pub url: Option<String>,
    /// The record key, for a record error.
    pub record_key: Option<String>,
    /// `page`, `record` or `job`.
    pub kind: String,
    /// The cause.
    pub message: String,
    /// How many times the request was sent (page errors of a request).
    pub attempts: Option<i64>,
    /// When it happened.
    pub at: String,
    /// For administrators only: what the public `message` leaves out (the start of a
    /// response body). Never serialised, so a public JSON answer built from this row cannot
    /// carry it; an admin view reads the field itself.
    #[serde(skip_serializing)]
    pub detail: Option<String>,
}

/// A job error to record (see [`StateDb::record_job_error`]).
#[derive(Debug, Clone, Copy, Default)]
pub struct NewJobError<'a> {
    /// `page`, `record` or `job`.
    pub kind: &'a str,
    /// The page or record URL concerned.
    pub url: Option<&'a str>,
    /// The record key, for a record error.
    pub record_key: Option<&'a str>,
    /// The cause, as the public sees it: it must not quote a response body.
    pub message: &'a str,
    /// How many times the request was sent.
    pub attempts: Option<u32>,
    /// What only administrators see (the start of a response body).
    pub detail: Option<&'a str>,
}

/// What a listing page held when it was last read with HTTP validators.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PageMemo {
    /// The page's `ETag`, if it sent one.
    pub etag: Option<String>,
    /// The page's `Last-Modified`, if it sent one.
    pub last_modified: Option<String>,
    /// The keys of the records on the page.
    pub record_keys: Vec<String>,
    /// The page after it.
    pub next_url: Option<String>,
}

/// What the database knows of one record before a write.
#[derive(Debug, Clone)]
pub(crate) struct KnownRecord {
    pub content_hash: String,
    pub deleted: bool,
}

/// A live record listed for deletion.
#[derive(Debug, Clone)]
pub(crate) struct StaleRecord {
    pub record_key: String,
    pub graph_iri: String,
    pub dataset_iri: String,
}

/// A row to upsert after a record was written or seen unchanged.
pub(crate) struct RecordUpsert<'a> {
    pub record_key: &'a str,
    pub graph_iri: &'a str,
    pub dataset_iri: &'a str,
    pub content_hash: &'a str,
    pub source_url: &'a str,
}

/// URL → its recent checks (time, HEAD status, final status, content type), newest first.
pub type LinkHistory =
    std::collections::HashMap<String, Vec<(String, u16, u16, Option<String>, Option<u64>)>>;

/// A `link_checks` row as read: url, time, HEAD status, status, content type and length.
type LinkCheckRow = (String, String, i64, i64, Option<String>, Option<i64>);

/// Handle on the state database.
#[derive(Clone)]
pub struct StateDb {
    pool: SqlitePool,
}

impl StateDb {
    /// Opens (creating if needed) the SQLite database at `path` and applies migrations.
    pub async fn open(path: &Path) -> Result<Self, CatalogError> {
        let options = SqliteConnectOptions::from_str("sqlite://")?
            .filename(path)
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Normal)
            .busy_timeout(std::time::Duration::from_secs(10))
            .foreign_keys(true);
        let pool = SqlitePoolOptions::new()
            .max_connections(4)
            .connect_with(options)
            .await?;
        sqlx::migrate!("./migrations").run(&pool).await?;
        Ok(Self { pool })
    }

    /// The connection pool, for the modules of this crate that keep their own tables.
    pub(crate) fn pool(&self) -> &SqlitePool {
        &self.pool
    }

    /// Keeps a producer's indicators (JSON) as taken at `taken_at`.
    pub async fn save_indicators(
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

    /// Indicator snapshots (source, publisher, time, JSON), oldest first, optionally of one
    /// source, of one publisher (`Some("")`: whole sources only) and between two times
    /// (inclusive, RFC 3339 or date prefixes).
    pub async fn indicator_snapshots(
        &self,
        source_id: Option<&str>,
        publisher: Option<&str>,
        from: Option<&str>,
        to: Option<&str>,
    ) -> Result<Vec<(String, Option<String>, String, String)>, CatalogError> {
        Ok(sqlx::query_as(
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
        .await?)
    }

    /// Records one link check.
    #[allow(clippy::too_many_arguments)]
    pub async fn record_link_check(
        &self,
        url: &str,
        checked_at: &str,
        head_status: u16,
        status: u16,
        redirects: &str,
        content_type: Option<&str>,
        content_length: Option<u64>,
        error: Option<&str>,
    ) -> Result<(), CatalogError> {
        sqlx::query(
            "INSERT INTO link_checks (url, checked_at, head_status, status, redirects,
                 content_type, content_length, error) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?8, ?7)",
        )
        .bind(url)
        .bind(checked_at)
        .bind(i64::from(head_status))
        .bind(i64::from(status))
        .bind(redirects)
        .bind(content_type)
        .bind(error)
        .bind(content_length.map(|n| n as i64))
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Keeps the last download of a file: its sample, or the status and error that stopped it.
    pub async fn record_file_sample(
        &self,
        url: &str,
        checked_at: &str,
        status: u16,
        sample: Option<&crate::quality::measure::FileFacts>,
        error: Option<&str>,
    ) -> Result<(), CatalogError> {
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
        .bind(url)
        .bind(checked_at)
        .bind(i64::from(status))
        .bind(sample.map(|s| s.bytes_read as i64))
        .bind(sample.map(|s| s.complete))
        .bind(sample.and_then(|s| s.sniffed.clone()))
        .bind(sample.and_then(|s| s.syntax_valid))
        .bind(sample.and_then(|s| s.external_links))
        .bind(digest(0))
        .bind(digest(1))
        .bind(digest(2))
        .bind(error)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// The last sample of every file downloaded whole or in part: url → (time, facts).
    pub async fn file_samples(
        &self,
    ) -> Result<
        std::collections::HashMap<String, (String, crate::quality::measure::FileFacts)>,
        CatalogError,
    > {
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
                    let facts = crate::quality::measure::FileFacts {
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

    /// Drops all but the last `keep` checks of each URL; returns the rows dropped.
    pub async fn prune_link_checks(&self, keep: u32) -> Result<u64, CatalogError> {
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

    /// The last `history` checks of every URL checked: url → (checked_at, head status, status,
    /// content type), newest first.
    pub async fn link_history(&self, history: u32) -> Result<LinkHistory, CatalogError> {
        let rows: Vec<LinkCheckRow> = sqlx::query_as(
            "SELECT url, checked_at, head_status, status, content_type, content_length
             FROM link_checks
             ORDER BY url, checked_at DESC, id DESC",
        )
        .fetch_all(&self.pool)
        .await?;
        let mut out = LinkHistory::new();
        for (url, at, head, status, content_type, length) in rows {
            let checks = out.entry(url).or_default();
            if checks.len() < history as usize {
                let length = length.and_then(|n| u64::try_from(n).ok());
                checks.push((at, head as u16, status as u16, content_type, length));
            }
        }
        Ok(out)
    }

    /// Creates or updates a source's row.
    pub async fn upsert_source(
        &self,
        id: &str,
        title: &str,
        kind: &str,
        url: &str,
    ) -> Result<(), CatalogError> {
        let now = now_text();
        sqlx::query(
            "INSERT INTO sources (id, title, kind, url, created_at, updated_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?5)
             ON CONFLICT(id) DO UPDATE SET title = ?2, kind = ?3, url = ?4, updated_at = ?5",
        )
        .bind(id)
        .bind(title)
        .bind(kind)
        .bind(url)
        .bind(now)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Starts a job for `source_id` and returns its id.
    pub async fn start_job(&self, source_id: &str) -> Result<(i64, String), CatalogError> {
        let now = now_text();
        let row = sqlx::query(
            "INSERT INTO jobs (source_id, status, started_at, heartbeat_at)
             VALUES (?1, 'running', ?2, ?2) RETURNING id",
        )
        .bind(source_id)
        .bind(&now)
        .fetch_one(&self.pool)
        .await?;
        Ok((row.get::<i64, _>(0), now))
    }

    /// Records the end of a job.
    pub async fn finish_job(
        &self,
        job_id: i64,
        status: JobStatus,
        complete_listing: bool,
        counts: &JobCounts,
        message: Option<&str>,
    ) -> Result<(), CatalogError> {
        let result = sqlx::query(
            "UPDATE jobs SET status = ?2, finished_at = ?3, complete_listing = ?4, pages = ?5,
                 added = ?6, updated = ?7, unchanged = ?8, deleted = ?9, failed = ?10, message = ?11,
                 not_modified_pages = ?12, records_repaired = ?13, values_repaired = ?14,
                 values_dropped = ?15, records_rejected = ?16
             WHERE id = ?1",
        )
        .bind(job_id)
        .bind(status.as_str())
        .bind(now_text())
        .bind(complete_listing)
        .bind(counts.pages as i64)
        .bind(counts.added as i64)
        .bind(counts.updated as i64)
        .bind(counts.unchanged as i64)
        .bind(counts.deleted as i64)
        .bind(counts.failed as i64)
        .bind(message)
        .bind(counts.not_modified_pages as i64)
        .bind(counts.records_repaired as i64)
        .bind(counts.values_repaired as i64)
        .bind(counts.values_dropped as i64)
        .bind(counts.records_rejected as i64)
        .execute(&self.pool)
        .await?;
        if result.rows_affected() == 0 {
            return Err(CatalogError::UnknownJob(job_id));
        }
        Ok(())
    }

    /// Records an error of a job: a page (`kind = "page"`), a record or the job itself.
    pub async fn record_error(
        &self,
        job_id: i64,
        source_id: &str,
        kind: &str,
        url: Option<&str>,
        record_key: Option<&str>,
        message: &str,
    ) -> Result<(), CatalogError> {
        self.record_error_with_attempts(job_id, source_id, kind, url, record_key, message, None)
            .await
    }

    /// Like [`Self::record_error`], with how many times the request was sent.
    #[allow(clippy::too_many_arguments)]
    pub async fn record_error_with_attempts(
        &self,
        job_id: i64,
        source_id: &str,
        kind: &str,
        url: Option<&str>,
        record_key: Option<&str>,
        message: &str,
        attempts: Option<u32>,
    ) -> Result<(), CatalogError> {
        self.record_job_error(
            job_id,
            source_id,
            &NewJobError {
                kind,
                url,
                record_key,
                message,
                attempts,
                detail: None,
            },
        )
        .await
    }

    /// Records an error of a job, with the detail only administrators see.
    pub async fn record_job_error(
        &self,
        job_id: i64,
        source_id: &str,
        error: &NewJobError<'_>,
    ) -> Result<(), CatalogError> {
        sqlx::query(
            "INSERT INTO job_errors
                 (job_id, source_id, url, record_key, kind, message, at, attempts, detail)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
        )
        .bind(job_id)
        .bind(source_id)
        .bind(error.url)
        .bind(error.record_key)
        .bind(error.kind)
        .bind(error.message)
        .bind(now_text())
        .bind(error.attempts.map(i64::from))
        .bind(error.detail)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Replaces what is remembered of the repaired and dropped values of `record_keys` (the
    /// records of one page, as just mapped) with `issues`. A record mapped clean loses its old
    /// issues.
    pub async fn replace_value_issues(
        &self,
        source_id: &str,
        job_id: i64,
        record_keys: &[&str],
        issues: &[ValueIssue],
    ) -> Result<(), CatalogError> {
        let mut tx = self.pool.begin().await?;
        // One statement for the page's keys (passed as a JSON array), not one per record.
        let keys = serde_json::to_string(record_keys).unwrap_or_else(|_| "[]".into());
        sqlx::query(
            "DELETE FROM record_value_issues WHERE source_id = ?1
               AND record_key IN (SELECT value FROM json_each(?2))",
        )
        .bind(source_id)
        .bind(keys)
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

    /// The repairs and drops in the live records of a source, most frequent first.
    pub async fn repair_counts(
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

    /// Jobs, newest first, optionally of one source.
    pub async fn jobs(
        &self,
        source_id: Option<&str>,
        limit: i64,
    ) -> Result<Vec<JobRow>, CatalogError> {
        let rows = sqlx::query(
            "SELECT id, source_id, status, started_at, finished_at, complete_listing, pages,
                    added, updated, unchanged, deleted, failed, message, not_modified_pages,
                    records_repaired, values_repaired, values_dropped, records_rejected
             FROM jobs WHERE (?1 IS NULL OR source_id = ?1) ORDER BY id DESC LIMIT ?2",
        )
        .bind(source_id)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        Ok(rows
            .into_iter()
            .map(|row| JobRow {
                id: row.get("id"),
                source_id: row.get("source_id"),
                status: row.get("status"),
                started_at: row.get("started_at"),
                finished_at: row.get("finished_at"),
                complete_listing: row.get::<i64, _>("complete_listing") != 0,
                counts: JobCounts {
                    pages: row.get::<i64, _>("pages") as u64,
                    added: row.get::<i64, _>("added") as u64,
                    updated: row.get::<i64, _>("updated") as u64,
                    unchanged: row.get::<i64, _>("unchanged") as u64,
                    deleted: row.get::<i64, _>("deleted") as u64,
                    failed: row.get::<i64, _>("failed") as u64,
                    not_modified_pages: row.get::<i64, _>("not_modified_pages") as u64,
                    records_repaired: row.get::<i64, _>("records_repaired") as u64,
                    values_repaired: row.get::<i64, _>("values_repaired") as u64,
                    values_dropped: row.get::<i64, _>("values_dropped") as u64,
                    records_rejected: row.get::<i64, _>("records_rejected") as u64,
                },
                message: row.get("message"),
            })
            .collect())
    }

    /// The memo of a listing page, if it was read with validators before.
    pub async fn page_memo(
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

    /// Remembers what a listing page held, with its validators.
    pub async fn save_page_memo(
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

    /// Deletes the job errors recorded more than `days` days ago; returns how many.
    pub async fn prune_job_errors(&self, days: u32) -> Result<u64, CatalogError> {
        let cutoff = (chrono::Utc::now() - chrono::Duration::days(i64::from(days)))
            .to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
        let result = sqlx::query("DELETE FROM job_errors WHERE at < ?1")
            .bind(cutoff)
            .execute(&self.pool)
            .await?;
        Ok(result.rows_affected())
    }

    /// When the last job of `source_id` that read its whole listing without error started.
    pub async fn last_succeeded_job_start(
        &self,
        source_id: &str,
    ) -> Result<Option<String>, CatalogError> {
        let row = sqlx::query(
            "SELECT started_at FROM jobs WHERE source_id = ?1 AND status = 'succeeded'
             ORDER BY id DESC LIMIT 1",
        )
        .bind(source_id)
        .fetch_optional(&self.pool)
        .await?;
        Ok(row.map(|r| r.get("started_at")))
    }

    /// The tombstones a job left: the keys of the records it deleted, so a wrong deletion can
    /// be seen (a later harvest that lists them again brings them back).
    pub async fn records_deleted_by_job(&self, job_id: i64) -> Result<Vec<String>, CatalogError> {
        let rows = sqlx::query(
            "SELECT record_key FROM records WHERE deleted = 1 AND deleted_by_job = ?1
             ORDER BY record_key",
        )
        .bind(job_id)
        .fetch_all(&self.pool)
        .await?;
        Ok(rows.into_iter().map(|r| r.get("record_key")).collect())
    }

    /// One job.
    pub async fn job(&self, job_id: i64) -> Result<Option<JobRow>, CatalogError> {
        let row = sqlx::query("SELECT source_id FROM jobs WHERE id = ?1")
            .bind(job_id)
            .fetch_optional(&self.pool)
            .await?;
        let Some(row) = row else {
            return Ok(None);
        };
        let source_id: String = row.get("source_id");
        // Few jobs per source are newer than a given one; the list query does the mapping.
        let jobs = self.jobs(Some(&source_id), i64::MAX).await?;
        Ok(jobs.into_iter().find(|j| j.id == job_id))
    }

    /// Errors recorded for a job, in the order they happened.
    pub async fn job_errors(&self, job_id: i64) -> Result<Vec<JobErrorRow>, CatalogError> {
        let rows = sqlx::query(
            "SELECT job_id, source_id, url, record_key, kind, message, at, attempts, detail
             FROM job_errors WHERE job_id = ?1 ORDER BY id",
        )
        .bind(job_id)
        .fetch_all(&self.pool)
        .await?;
        Ok(rows
            .into_iter()
            .map(|row| JobErrorRow {
                job_id: row.get("job_id"),
                source_id: row.get("source_id"),
                url: row.get("url"),
                record_key: row.get("record_key"),
                kind: row.get("kind"),
                message: row.get("message"),
                attempts: row.get("attempts"),
                at: row.get("at"),
                detail: row.get("detail"),
            })
            .collect())
    }

    /// Number of live (not deleted) records of a source.
    pub async fn live_record_count(&self, source_id: &str) -> Result<i64, CatalogError> {
        let row = sqlx::query("SELECT COUNT(*) FROM records WHERE source_id = ?1 AND deleted = 0")
            .bind(source_id)
            .fetch_one(&self.pool)
            .await?;
        Ok(row.get(0))
    }

    /// How many live records of `source_id` job `job_id` has not seen (what a deletion would
    /// remove).
    pub async fn stale_record_count(
        &self,
        source_id: &str,
        job_id: i64,
    ) -> Result<i64, CatalogError> {
        let row = sqlx::query(
            "SELECT COUNT(*) FROM records WHERE source_id = ?1 AND deleted = 0 AND last_seen_job <> ?2",
        )
        .bind(source_id)
        .bind(job_id)
        .fetch_one(&self.pool)
        .await?;
        Ok(row.get(0))
    }

    /// Marks a job as alive (heartbeat), so a later start can tell a dead job from a live one.
    pub async fn heartbeat(&self, job_id: i64) -> Result<(), CatalogError> {
        sqlx::query("UPDATE jobs SET heartbeat_at = ?2 WHERE id = ?1")
            .bind(job_id)
            .bind(now_text())
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Marks jobs still `running` as `abandoned`: called at start-up, when no job of this process
    /// can be running yet, so such jobs belong to a process that died.
    pub async fn abandon_running_jobs(&self) -> Result<u64, CatalogError> {
        let result = sqlx::query(
            "UPDATE jobs SET status = 'abandoned', finished_at = ?1,
                 message = 'abandoned: the process running this job stopped before it finished'
             WHERE status = 'running'",
        )
        .bind(now_text())
        .execute(&self.pool)
        .await?;
        Ok(result.rows_affected())
    }

    /// Every live record of a source: record key → (content hash, when fedcat first stored it,
    /// RFC 3339).
    pub async fn record_hashes(
        &self,
        source_id: &str,
    ) -> Result<std::collections::HashMap<String, (String, String)>, CatalogError> {
        let rows: Vec<(String, String, String)> = sqlx::query_as(
            "SELECT record_key, content_hash, first_seen_at FROM records
             WHERE source_id = ?1 AND deleted = 0",
        )
        .bind(source_id)
        .fetch_all(&self.pool)
        .await?;
        Ok(rows
            .into_iter()
            .map(|(key, hash, first_seen)| (key, (hash, first_seen)))
            .collect())
    }

    pub(crate) async fn known_records(
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

    pub(crate) async fn upsert_records(
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

    pub(crate) async fn touch_records(
        &self,
        source_id: &str,
        job_id: i64,
        keys: &[&str],
    ) -> Result<(), CatalogError> {
        let now = now_text();
        let mut tx = self.pool.begin().await?;
        for key in keys {
            sqlx::query(
                "UPDATE records SET last_seen_at = ?3, last_seen_job = ?4
                 WHERE source_id = ?1 AND record_key = ?2",
            )
            .bind(source_id)
            .bind(key)
            .bind(&now)
            .bind(job_id)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// Live records of the source not seen by `job_id`, in batches of `limit`.
    pub(crate) async fn stale_records(
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

    pub(crate) async fn mark_deleted(
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
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn value_issues_are_replaced_per_record() {
        let dir = tempfile::tempdir().unwrap();
        let db = StateDb::open(&dir.path().join("state.db")).await.unwrap();
        db.upsert_source("s", "S", "ckan", "http://portal.test")
            .await
            .unwrap();
        let (job, _) = db.start_job("s").await.unwrap();
        let issue = |key: &str, rule: &str| ValueIssue {
            record_key: key.to_owned(),
            action: IssueAction::Repaired,
            property: "http://www.w3.org/ns/dcat#accessURL".into(),
            rule: rule.into(),
            value: "http://e.org/a b".into(),
        };
        let stored = || async {
            sqlx::query_scalar::<_, i64>("SELECT COUNT(*) FROM record_value_issues")
                .fetch_one(&db.pool)
                .await
                .unwrap()
        };
        db.replace_value_issues(
            "s",
            job,
            &["a", "b", "it's \"quoted\""],
            &[
                issue("a", "x"),
                issue("a", "y"),
                issue("b", "x"),
                issue("it's \"quoted\"", "x"),
            ],
        )
        .await
        .unwrap();
        assert_eq!(stored().await, 4);
        // `a` read again, clean; `b` not on this page: only `a`'s issues go.
        db.replace_value_issues("s", job, &["a", "it's \"quoted\""], &[])
            .await
            .unwrap();
        assert_eq!(stored().await, 1);
    }

    #[tokio::test]
    async fn an_error_detail_is_stored_but_never_serialised() {
        let dir = tempfile::tempdir().unwrap();
        let db = StateDb::open(&dir.path().join("state.db")).await.unwrap();
        db.upsert_source("s", "S", "ckan", "http://portal.test")
            .await
            .unwrap();
        let (job, _) = db.start_job("s").await.unwrap();
        db.record_job_error(
            job,
            "s",
            &NewJobError {
                kind: "page",
                url: Some("http://portal.test/page/2"),
                message: "http://portal.test/page/2 answered HTTP 500",
                attempts: Some(1),
                detail: Some("body starts with: \"token=s3cr3t\""),
                ..NewJobError::default()
            },
        )
        .await
        .unwrap();
        db.record_error(job, "s", "job", None, None, "the listing stopped")
            .await
            .unwrap();
        let errors = db.job_errors(job).await.unwrap();
        assert_eq!(
            errors[0].detail.as_deref(),
            Some("body starts with: \"token=s3cr3t\"")
        );
        assert_eq!(errors[1].detail, None);
        let public = serde_json::to_string(&errors).unwrap();
        assert!(
            !public.contains("s3cr3t") && !public.contains("detail"),
            "{public}"
        );
        assert!(public.contains("answered HTTP 500"), "{public}");
    }
}
