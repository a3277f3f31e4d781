//! [`SqliteState`], the embedded implementation of the state traits: one SQLite file through
//! sqlx, in WAL mode, its schema in `catalog/migrations/sqlite/` applied at open. The runtime
//! query API is used rather than the compile-time-checked macros, so building needs no
//! database. SQL in SQLite's dialect lives in this folder and nowhere else.

mod dedup;
mod jobs;
mod quality;
mod records;

use crate::CatalogError;
use sqlx::SqlitePool;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use std::path::Path;
use std::str::FromStr;

/// The state database; cheap to clone (a connection pool).
#[derive(Clone)]
pub struct SqliteState {
    pool: SqlitePool,
}

impl SqliteState {
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
        sqlx::migrate!("./migrations/sqlite").run(&pool).await?;
        Ok(Self { pool })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::storage::{IssueAction, JobState, NewJobError, NewSource, RecordState, ValueIssue};

    /// A fresh database (in a folder that lives as long as the first value) with source `s`
    /// and one job of it.
    async fn database_with_a_job() -> (tempfile::TempDir, SqliteState, i64) {
        let dir = tempfile::tempdir().unwrap();
        let db = SqliteState::open(&dir.path().join("state.db"))
            .await
            .unwrap();
        db.upsert_source(&NewSource {
            id: "s",
            title: "S",
            kind: "ckan",
            url: "http://portal.test",
        })
        .await
        .unwrap();
        let (job, _) = db.start_job("s").await.unwrap();
        (dir, db, job)
    }

    #[tokio::test]
    async fn value_issues_are_replaced_per_record() {
        let (_dir, db, job) = database_with_a_job().await;
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
        let (_dir, db, job) = database_with_a_job().await;
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
        db.record_job_error(job, "s", &NewJobError::job("the listing stopped"))
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
