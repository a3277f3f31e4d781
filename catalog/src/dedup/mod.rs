//! Linking the same dataset published on several portals. Candidates are found without
//! comparing all pairs: records sharing a normalised identifier, a normalised landing-page or
//! download URL, the same portal dataset, or a MinHash band of their title or description
//! shingles land in one block, and only pairs inside a block are compared. Each pair's evidence
//! is scored; pairs at the threshold or above are linked and union-find makes clusters with
//! stable IRIs and one primary member. The links live in the `{base}/graph/links` graph and in
//! the state database, updated incrementally after each harvest.

pub mod cluster;
pub mod keys;
pub mod minhash;
mod persist;
mod rdf;
pub mod summary;

pub use cluster::{Evidence, Link, Linking, RecordSummary, link};
pub use persist::{
    ClusterView, DEFAULT_THRESHOLD, DedupOptions, DedupReport, LinkView, MemberView,
};
