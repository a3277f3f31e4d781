//! The storage seam. Everything fedcat stores goes through two kinds of trait:
//! - [`GraphStore`]: the RDF store — record graphs replaced or removed whole, derived graphs,
//!   reads and SPARQL; implemented by [`OxigraphStore`] (embedded, on RocksDB or in memory);
//! - the state traits [`JobState`], [`RecordState`], [`QualityState`], [`DedupState`]: sources,
//!   jobs, leases, record fingerprints, page memos, value issues, link checks, indicator
//!   snapshots and duplicate links as typed rows; implemented by [`SqliteState`] (one SQLite
//!   file, migrations in `catalog/migrations/sqlite/`).
//!
//! Nothing outside this module names `sqlx` or `oxigraph::store::Store`. A second backend (a
//! PostgreSQL state database shared by several workers, an external SPARQL store) is one more
//! implementation here, chosen where [`crate::Catalog`] opens its storage.

mod dedup_state;
mod graph;
mod oxigraph_store;
mod sqlite;
mod state;

pub use dedup_state::{
    ClusterAssignment, ClusteredRecord, DedupState, LinkChange, PendingRecord, StoredLink,
    StoredMember, StoredSummaries, SummaryUpsert,
};
pub use graph::{GraphReplacement, GraphStore, SelectRows};
pub use oxigraph_store::OxigraphStore;
pub use sqlite::SqliteState;
pub use state::{
    FileDownload, FileSample, IndicatorSnapshotRow, IssueAction, JobCounts, JobErrorRow,
    JobOutcome, JobRow, JobState, JobStatus, KnownRecord, LinkCheckRow, LinkHistory,
    MAX_ISSUE_VALUE, NewJobError, NewLinkCheck, NewSource, PageMemo, QualityMemo, QualityMemoKey,
    QualityState, RecordFingerprint, RecordState, RecordUpsert, RepairCount, StaleRecord,
    ValueIssue, now_text, parse_time, time_text,
};

/// Every state trait at once: what the catalogue needs of its state database.
pub trait StateStore: JobState + RecordState + QualityState + DedupState {}

impl<T: JobState + RecordState + QualityState + DedupState> StateStore for T {}
