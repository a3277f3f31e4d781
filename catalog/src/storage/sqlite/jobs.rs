//! Sources, jobs, job errors and leases in SQLite.

use super::SqliteState;
use crate::CatalogError;
use crate::storage::state::{
    JobCounts, JobErrorRow, JobOutcome, JobRow, JobState, NewJobError, NewSource, now_text,
    parse_time, time_text,
};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sqlx::Row;

#[async_trait]
impl JobState for SqliteState {
    async fn upsert_source(&self, source: &NewSource<'_>) -> Result<(), CatalogError> {
        let now = now_text();
        sqlx::query(
            "INSERT INTO sources (id, title, kind, url, created_at, updated_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?5)
             ON CONFLICT(id) DO UPDATE SET title = ?2, kind = ?3, url = ?4, updated_at = ?5",
        )
        .bind(source.id)
        .bind(source.title)
        .bind(source.kind)
        .bind(source.url)
        .bind(now)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    async fn start_job(&self, source_id: &str) -> Result<(i64, DateTime<Utc>), CatalogError> {
        let started = chrono::Utc::now();
        let now = time_text(&started);
        let row = sqlx::query(
            "INSERT INTO jobs (source_id, status, started_at, heartbeat_at)
             VALUES (?1, 'running', ?2, ?2) RETURNING id",
        )
        .bind(source_id)
        .bind(&now)
        .fetch_one(&self.pool)
        .await?;
        Ok((row.get::<i64, _>(0), started))
    }

    async fn finish_job(&self, job_id: i64, outcome: &JobOutcome<'_>) -> Result<(), CatalogError> {
        let counts = outcome.counts;
        let result = sqlx::query(
            "UPDATE jobs SET status = ?2, finished_at = ?3, complete_listing = ?4, pages = ?5,
                 added = ?6, updated = ?7, unchanged = ?8, deleted = ?9, failed = ?10, message = ?11,
                 not_modified_pages = ?12, records_repaired = ?13, values_repaired = ?14,
                 values_dropped = ?15, records_rejected = ?16
             WHERE id = ?1",
        )
        .bind(job_id)
        .bind(outcome.status.as_str())
        .bind(now_text())
        .bind(outcome.complete_listing)
        .bind(counts.pages as i64)
        .bind(counts.added as i64)
        .bind(counts.updated as i64)
        .bind(counts.unchanged as i64)
        .bind(counts.deleted as i64)
        .bind(counts.failed as i64)
        .bind(outcome.message)
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

    async fn record_job_error(
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

    async fn jobs(&self, source_id: Option<&str>, limit: i64) -> Result<Vec<JobRow>, CatalogError> {
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
        rows.into_iter()
            .map(|row| {
                Ok(JobRow {
                    id: row.get("id"),
                    source_id: row.get("source_id"),
                    status: row.get("status"),
                    started_at: parse_time(row.get("started_at"))?,
                    finished_at: row
                        .get::<Option<&str>, _>("finished_at")
                        .map(parse_time)
                        .transpose()?,
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
            })
            .collect()
    }

    async fn job(&self, job_id: i64) -> Result<Option<JobRow>, CatalogError> {
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

    async fn job_errors(&self, job_id: i64) -> Result<Vec<JobErrorRow>, CatalogError> {
        let rows = sqlx::query(
            "SELECT job_id, source_id, url, record_key, kind, message, at, attempts, detail
             FROM job_errors WHERE job_id = ?1 ORDER BY id",
        )
        .bind(job_id)
        .fetch_all(&self.pool)
        .await?;
        rows.into_iter()
            .map(|row| {
                Ok(JobErrorRow {
                    job_id: row.get("job_id"),
                    source_id: row.get("source_id"),
                    url: row.get("url"),
                    record_key: row.get("record_key"),
                    kind: row.get("kind"),
                    message: row.get("message"),
                    attempts: row.get("attempts"),
                    at: parse_time(row.get("at"))?,
                    detail: row.get("detail"),
                })
            })
            .collect()
    }

    async fn prune_job_errors(&self, days: u32) -> Result<u64, CatalogError> {
        let cutoff = (chrono::Utc::now() - chrono::Duration::days(i64::from(days)))
            .to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
        let result = sqlx::query("DELETE FROM job_errors WHERE at < ?1")
            .bind(cutoff)
            .execute(&self.pool)
            .await?;
        Ok(result.rows_affected())
    }

    async fn last_succeeded_job_start(
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

    async fn heartbeat(&self, job_id: i64) -> Result<(), CatalogError> {
        sqlx::query("UPDATE jobs SET heartbeat_at = ?2 WHERE id = ?1")
            .bind(job_id)
            .bind(now_text())
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    async fn abandon_running_jobs(&self) -> Result<u64, CatalogError> {
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

    async fn acquire_lease(
        &self,
        name: &str,
        holder: &str,
        ttl_secs: u64,
    ) -> Result<bool, CatalogError> {
        let now = chrono::Utc::now();
        let expires =
            now + chrono::Duration::seconds(i64::try_from(ttl_secs).unwrap_or(i64::MAX / 1000));
        let now = now.to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
        let expires = expires.to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
        // One statement: take a free or expired lease, or extend one's own; SQLite serialises
        // writers, so two holders cannot both succeed.
        let taken = sqlx::query(
            "INSERT INTO leases (name, holder, expires_at) VALUES (?1, ?2, ?3)
             ON CONFLICT(name) DO UPDATE SET holder = ?2, expires_at = ?3
             WHERE leases.holder = ?2 OR leases.expires_at <= ?4",
        )
        .bind(name)
        .bind(holder)
        .bind(expires)
        .bind(now)
        .execute(&self.pool)
        .await?;
        Ok(taken.rows_affected() == 1)
    }

    async fn renew_lease(
        &self,
        name: &str,
        holder: &str,
        ttl_secs: u64,
    ) -> Result<bool, CatalogError> {
        let expires = chrono::Utc::now()
            + chrono::Duration::seconds(i64::try_from(ttl_secs).unwrap_or(i64::MAX / 1000));
        let renewed =
            sqlx::query("UPDATE leases SET expires_at = ?3 WHERE name = ?1 AND holder = ?2")
                .bind(name)
                .bind(holder)
                .bind(time_text(&expires))
                .execute(&self.pool)
                .await?;
        Ok(renewed.rows_affected() == 1)
    }

    async fn lease_holder(&self, name: &str) -> Result<Option<String>, CatalogError> {
        Ok(
            sqlx::query_scalar("SELECT holder FROM leases WHERE name = ?1")
                .bind(name)
                .fetch_optional(&self.pool)
                .await?,
        )
    }

    async fn take_over_lease(
        &self,
        name: &str,
        previous: &str,
        holder: &str,
        ttl_secs: u64,
    ) -> Result<bool, CatalogError> {
        let expires = chrono::Utc::now()
            + chrono::Duration::seconds(i64::try_from(ttl_secs).unwrap_or(i64::MAX / 1000));
        let taken = sqlx::query(
            "UPDATE leases SET holder = ?3, expires_at = ?4 WHERE name = ?1 AND holder = ?2",
        )
        .bind(name)
        .bind(previous)
        .bind(holder)
        .bind(expires.to_rfc3339_opts(chrono::SecondsFormat::Millis, true))
        .execute(&self.pool)
        .await?;
        Ok(taken.rows_affected() == 1)
    }

    async fn release_lease(&self, name: &str, holder: &str) -> Result<(), CatalogError> {
        sqlx::query("DELETE FROM leases WHERE name = ?1 AND holder = ?2")
            .bind(name)
            .bind(holder)
            .execute(&self.pool)
            .await?;
        Ok(())
    }
}
