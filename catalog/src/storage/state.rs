//! The state traits: what fedcat keeps besides RDF — sources, harvest jobs and their errors,
//! leases, record fingerprints and page memos, value repairs, link checks, file samples and
//! indicator snapshots — as typed rows, and the operations on them. The SQLite implementation
//! is [`SqliteState`](super::SqliteState); a PostgreSQL one would implement the same traits.
//! Times are RFC 3339 UTC text with milliseconds ([`now_text`]), which sorts as time does.

use crate::CatalogError;
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde::Serialize;

/// Current time as RFC 3339 UTC text, the format of every time column.
pub fn now_text() -> String {
    time_text(&chrono::Utc::now())
}

/// A time as the state database and the JSON answers write it: RFC 3339 UTC, milliseconds.
pub fn time_text(time: &DateTime<Utc>) -> String {
    time.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

/// A time column read back; a value that is not RFC 3339 is a corrupt row.
pub fn parse_time(text: &str) -> Result<DateTime<Utc>, CatalogError> {
    DateTime::parse_from_rfc3339(text)
        .map(|time| time.with_timezone(&Utc))
        .map_err(|error| CatalogError::BadTime {
            value: text.to_owned(),
            reason: error.to_string(),
        })
}

/// Serialises times as [`time_text`] writes them (what `/api/jobs` answered before rows were
/// typed).
mod time_serde {
    use chrono::{DateTime, Utc};

    pub fn serialize<S: serde::Serializer>(
        time: &DateTime<Utc>,
        serializer: S,
    ) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&super::time_text(time))
    }

    pub mod option {
        use chrono::{DateTime, Utc};

        pub fn serialize<S: serde::Serializer>(
            time: &Option<DateTime<Utc>>,
            serializer: S,
        ) -> Result<S::Ok, S::Error> {
            match time {
                Some(time) => serializer.serialize_str(&super::super::time_text(time)),
                None => serializer.serialize_none(),
            }
        }
    }
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
    #[serde(serialize_with = "time_serde::serialize")]
    pub started_at: DateTime<Utc>,
    /// End time, if finished.
    #[serde(serialize_with = "time_serde::option::serialize")]
    pub finished_at: Option<DateTime<Utc>>,
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
    #[serde(serialize_with = "time_serde::serialize")]
    pub at: DateTime<Utc>,
    /// For administrators only: what the public `message` leaves out (the start of a
    /// response body). Never serialised, so a public JSON answer built from this row cannot
    /// carry it; an admin view reads the field itself.
    #[serde(skip_serializing)]
    pub detail: Option<String>,
}

/// A source to register (see [`JobState::upsert_source`]).
#[derive(Debug, Clone, Copy)]
pub struct NewSource<'a> {
    /// Its id in the configuration.
    pub id: &'a str,
    /// Its title.
    pub title: &'a str,
    /// Its connector kind (`ckan`, `udata`…).
    pub kind: &'a str,
    /// The portal's URL.
    pub url: &'a str,
}

/// How a job ended (see [`JobState::finish_job`]).
#[derive(Debug, Clone, Copy)]
pub struct JobOutcome<'a> {
    /// Its status.
    pub status: JobStatus,
    /// Whether the whole listing was read (so unseen records could be deleted).
    pub complete_listing: bool,
    /// What it did.
    pub counts: &'a JobCounts,
    /// Why it stopped or what to know, if anything.
    pub message: Option<&'a str>,
}

/// One download of a file to keep (see [`QualityState::record_file_sample`]).
#[derive(Debug, Clone, Copy)]
pub struct FileDownload<'a> {
    /// The file's URL.
    pub url: &'a str,
    /// When it was downloaded.
    pub checked_at: DateTime<Utc>,
    /// The final HTTP status (0: no answer).
    pub status: u16,
    /// What was read of it, when anything was.
    pub sample: Option<&'a FileSample>,
    /// What stopped the download or made the file unreadable.
    pub error: Option<&'a str>,
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

impl<'a> NewJobError<'a> {
    /// An error that ended or guarded the whole job.
    pub fn job(message: &'a str) -> Self {
        Self {
            kind: "job",
            message,
            ..Self::default()
        }
    }

    /// A record of `page` rejected whole (its key when the portal gave one).
    pub fn record(page: &'a str, record_key: Option<&'a str>, message: &'a str) -> Self {
        Self {
            kind: "record",
            url: Some(page),
            record_key,
            message,
            ..Self::default()
        }
    }

    /// A value of a record of `page` repaired or dropped.
    pub fn value(page: &'a str, record_key: Option<&'a str>, message: &'a str) -> Self {
        Self {
            kind: "value",
            ..Self::record(page, record_key, message)
        }
    }
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
pub struct KnownRecord {
    /// Its canonical content hash.
    pub content_hash: String,
    /// Whether it is a tombstone.
    pub deleted: bool,
}

/// A live record listed for deletion.
#[derive(Debug, Clone)]
pub struct StaleRecord {
    /// Its key in the source.
    pub record_key: String,
    /// Its record graph.
    pub graph_iri: String,
    /// The dataset it describes.
    pub dataset_iri: String,
}

/// A row to upsert after a record was written.
pub struct RecordUpsert<'a> {
    /// Its key in the source.
    pub record_key: &'a str,
    /// Its record graph.
    pub graph_iri: &'a str,
    /// The dataset it describes.
    pub dataset_iri: &'a str,
    /// Its canonical content hash.
    pub content_hash: &'a str,
    /// The page or record URL it was read from.
    pub source_url: &'a str,
}

/// A live record's fingerprint, as the search sync compares it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordFingerprint {
    /// Its canonical content hash.
    pub content_hash: String,
    /// When it was first seen (RFC 3339).
    pub first_seen_at: String,
}

/// What decides whether a record's last assessment still holds (see
/// [`QualityState::quality_memo_keys`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QualityMemoKey {
    /// The record's content hash when it was assessed.
    pub content_hash: String,
    /// The fingerprint of the assessment's other inputs.
    pub inputs: String,
    /// The first day a date-bound value may differ.
    pub recheck_on: Option<chrono::NaiveDate>,
}

/// A record's last assessment, as far as the indicators need it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QualityMemo {
    /// The record's key.
    pub record_key: String,
    /// When it holds.
    pub key: QualityMemoKey,
    /// The dataset's publisher (its name), for the per-publisher series.
    pub publisher: Option<String>,
    /// The dataset's part of the indicators (JSON, the domain's to read); `None` for a record
    /// without a dataset.
    pub tally: Option<String>,
}

/// One stored check of a link.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LinkCheckRow {
    /// When it was checked.
    pub checked_at: DateTime<Utc>,
    /// The status of the HEAD request (0: none answered).
    pub head_status: u16,
    /// The final status (0: no answer).
    pub status: u16,
    /// The answer's media type.
    pub content_type: Option<String>,
    /// The answer's length in bytes.
    pub content_length: Option<u64>,
}

/// A link check to store (see [`QualityState::record_link_check`]).
#[derive(Debug, Clone, Copy)]
pub struct NewLinkCheck<'a> {
    /// The URL checked.
    pub url: &'a str,
    /// When.
    pub checked_at: DateTime<Utc>,
    /// The status of the HEAD request (0: none answered).
    pub head_status: u16,
    /// The final status (0: no answer).
    pub status: u16,
    /// The redirect chain as JSON text.
    pub redirects: &'a str,
    /// The answer's media type.
    pub content_type: Option<&'a str>,
    /// The answer's length in bytes.
    pub content_length: Option<u64>,
    /// Why the check failed.
    pub error: Option<&'a str>,
}

/// What a (partial) download of a file showed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FileSample {
    /// Bytes read (at most the byte budget).
    pub bytes_read: u64,
    /// The file ended within the budget: its length and digests are the file's.
    pub complete: bool,
    /// The format its content has, as an EU file-type code.
    pub sniffed: Option<String>,
    /// It parses in that format; `None` when not checkable.
    pub syntax_valid: Option<bool>,
    /// An RDF file with IRIs on other hosts.
    pub external_links: Option<bool>,
    /// MD5, SHA-1 and SHA-256 of a complete file, lower-case hex.
    pub digests: Option<[String; 3]>,
}

/// One indicator snapshot as stored: the indicators are JSON text, read by the quality
/// layer that wrote them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IndicatorSnapshotRow {
    /// The source.
    pub source_id: String,
    /// The publisher, or `None` for the whole source.
    pub publisher: Option<String>,
    /// When it was taken (RFC 3339).
    pub taken_at: String,
    /// The indicators, as JSON.
    pub indicators: String,
}

/// URL → its recent checks, newest first.
pub type LinkHistory = std::collections::HashMap<String, Vec<LinkCheckRow>>;

/// Sources, harvest jobs, their errors, and leases (which worker runs what).
#[async_trait]
pub trait JobState: Send + Sync {
    /// Creates or updates a source's row.
    async fn upsert_source(&self, source: &NewSource<'_>) -> Result<(), CatalogError>;

    /// Starts a job for a source; returns its id and start time.
    async fn start_job(&self, source_id: &str) -> Result<(i64, DateTime<Utc>), CatalogError>;

    /// Ends a job with its status, counts and message.
    async fn finish_job(&self, job_id: i64, outcome: &JobOutcome<'_>) -> Result<(), CatalogError>;

    /// Records one error of a job.
    async fn record_job_error(
        &self,
        job_id: i64,
        source_id: &str,
        error: &NewJobError<'_>,
    ) -> Result<(), CatalogError>;

    /// The last `limit` jobs, newest first, of one source or of all.
    async fn jobs(&self, source_id: Option<&str>, limit: i64) -> Result<Vec<JobRow>, CatalogError>;

    /// One job.
    async fn job(&self, job_id: i64) -> Result<Option<JobRow>, CatalogError>;

    /// The errors of a job, in the order they happened.
    async fn job_errors(&self, job_id: i64) -> Result<Vec<JobErrorRow>, CatalogError>;

    /// Deletes job errors older than `days`; returns how many.
    async fn prune_job_errors(&self, days: u32) -> Result<u64, CatalogError>;

    /// When the last succeeded job of a source started (the bound of an incremental listing).
    async fn last_succeeded_job_start(
        &self,
        source_id: &str,
    ) -> Result<Option<String>, CatalogError>;

    /// Notes that a running job is alive.
    async fn heartbeat(&self, job_id: i64) -> Result<(), CatalogError>;

    /// Marks the jobs still `running` as abandoned (their process died); returns how many.
    async fn abandon_running_jobs(&self) -> Result<u64, CatalogError>;

    /// Takes the lease `name` for `holder` for `ttl_secs` seconds, unless another holder has
    /// it and it has not expired. Returns whether `holder` has it now. A holder that takes its
    /// own lease again extends it.
    async fn acquire_lease(
        &self,
        name: &str,
        holder: &str,
        ttl_secs: u64,
    ) -> Result<bool, CatalogError>;

    /// Extends the lease `name` if `holder` still has it; never creates one (a renewal that
    /// arrives after the release must not bring the lease back). Returns whether it did.
    async fn renew_lease(
        &self,
        name: &str,
        holder: &str,
        ttl_secs: u64,
    ) -> Result<bool, CatalogError>;

    /// Who holds the lease `name` now (expired or not), if anyone.
    async fn lease_holder(&self, name: &str) -> Result<Option<String>, CatalogError>;

    /// Gives the lease `name` to `holder` if `previous` still holds it (a holder known dead).
    async fn take_over_lease(
        &self,
        name: &str,
        previous: &str,
        holder: &str,
        ttl_secs: u64,
    ) -> Result<bool, CatalogError>;

    /// Gives the lease `name` back, if `holder` has it.
    async fn release_lease(&self, name: &str, holder: &str) -> Result<(), CatalogError>;
}

/// Record fingerprints (hash, first and last seen, tombstones), listing-page memos and the
/// values repaired or dropped per record.
#[async_trait]
pub trait RecordState: Send + Sync {
    /// What is known of each key (in order), `None` for keys never seen.
    async fn known_records(
        &self,
        source_id: &str,
        keys: &[&str],
    ) -> Result<Vec<Option<KnownRecord>>, CatalogError>;

    /// Inserts or updates the rows of records written by `job_id`.
    async fn upsert_records(
        &self,
        source_id: &str,
        job_id: i64,
        records: &[RecordUpsert<'_>],
    ) -> Result<(), CatalogError>;

    /// Marks records as seen by `job_id`, unchanged.
    async fn touch_records(
        &self,
        source_id: &str,
        job_id: i64,
        keys: &[&str],
    ) -> Result<(), CatalogError>;

    /// At most `limit` live records that `job_id` did not see.
    async fn stale_records(
        &self,
        source_id: &str,
        job_id: i64,
        limit: i64,
    ) -> Result<Vec<StaleRecord>, CatalogError>;

    /// Turns records into tombstones deleted by `job_id`, and forgets their value issues.
    async fn mark_deleted(
        &self,
        source_id: &str,
        job_id: i64,
        keys: &[&str],
    ) -> Result<(), CatalogError>;

    /// Number of live records of a source.
    async fn live_record_count(&self, source_id: &str) -> Result<i64, CatalogError>;

    /// Number of live records of a source that `job_id` did not see.
    async fn stale_record_count(&self, source_id: &str, job_id: i64) -> Result<i64, CatalogError>;

    /// Keys of the records `job_id` deleted, sorted.
    async fn records_deleted_by_job(&self, job_id: i64) -> Result<Vec<String>, CatalogError>;

    /// key → fingerprint of every live record of a source.
    async fn record_fingerprints(
        &self,
        source_id: &str,
    ) -> Result<std::collections::HashMap<String, RecordFingerprint>, CatalogError>;

    /// What a listing page held when last read with validators.
    async fn page_memo(&self, source_id: &str, url: &str)
    -> Result<Option<PageMemo>, CatalogError>;

    /// Keeps what a listing page held.
    async fn save_page_memo(
        &self,
        source_id: &str,
        url: &str,
        memo: &PageMemo,
    ) -> Result<(), CatalogError>;

    /// Replaces the value issues of the listed records with `issues`.
    async fn replace_value_issues(
        &self,
        source_id: &str,
        job_id: i64,
        record_keys: &[&str],
        issues: &[ValueIssue],
    ) -> Result<(), CatalogError>;

    /// The most frequent repairs among the live records of a source.
    async fn repair_counts(
        &self,
        source_id: &str,
        limit: i64,
    ) -> Result<Vec<RepairCount>, CatalogError>;
}

/// What quality measurement keeps between runs: link checks, file samples and indicator
/// snapshots.
#[async_trait]
pub trait QualityState: Send + Sync {
    /// The memo keys of every assessed record of a source (record key → memo, tally left out).
    async fn quality_memo_keys(
        &self,
        source_id: &str,
    ) -> Result<std::collections::HashMap<String, QualityMemoKey>, CatalogError>;

    /// Creates or replaces the memos of assessed records, in one transaction.
    async fn save_quality_memos(
        &self,
        source_id: &str,
        memos: &[QualityMemo],
    ) -> Result<(), CatalogError>;

    /// Forgets the memos of records gone.
    async fn forget_quality_memos(
        &self,
        source_id: &str,
        record_keys: &[&str],
    ) -> Result<(), CatalogError>;

    /// Up to `limit` memos of a source, in record key order, after `after` (the first page:
    /// `None`): a snapshot reads them page by page.
    async fn quality_memo_page(
        &self,
        source_id: &str,
        after: Option<&str>,
        limit: u32,
    ) -> Result<Vec<QualityMemo>, CatalogError>;

    /// What changes when URLs are checked or files downloaded: an assessment made before a
    /// change of it read other link facts.
    async fn link_generation(&self) -> Result<String, CatalogError>;

    /// Keeps a producer's indicators (JSON) as taken at `taken_at`.
    async fn save_indicators(
        &self,
        source_id: &str,
        publisher: Option<&str>,
        taken_at: &str,
        indicators: &str,
    ) -> Result<(), CatalogError>;

    /// Indicator snapshots, oldest first, optionally of one source, of one publisher
    /// (`Some("")`: whole sources only) and between two times (inclusive, RFC 3339 or date
    /// prefixes).
    async fn indicator_snapshots(
        &self,
        source_id: Option<&str>,
        publisher: Option<&str>,
        from: Option<&str>,
        to: Option<&str>,
    ) -> Result<Vec<IndicatorSnapshotRow>, CatalogError>;

    /// Records one link check.
    async fn record_link_check(&self, check: &NewLinkCheck<'_>) -> Result<(), CatalogError>;

    /// Keeps the last download of a file: its sample, or the status and error that stopped it.
    async fn record_file_sample(&self, download: &FileDownload<'_>) -> Result<(), CatalogError>;

    /// The last sample of every file downloaded whole or in part: url → (time, sample).
    async fn file_samples(
        &self,
    ) -> Result<std::collections::HashMap<String, (String, FileSample)>, CatalogError>;

    /// Drops all but the last `keep` checks of each URL; returns the rows dropped.
    async fn prune_link_checks(&self, keep: u32) -> Result<u64, CatalogError>;

    /// The last `history` checks of every URL checked, newest first.
    async fn link_history(&self, history: u32) -> Result<LinkHistory, CatalogError>;
}
