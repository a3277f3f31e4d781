//! fedcat-catalog is the bottom layer of fedcat: the only code that opens the RDF store and the
//! state database. It keeps every harvested record as its own named graph in Oxigraph, replaced
//! atomically when the record changes and removed when the record disappears from a complete
//! listing, with the record's provenance (source, page URL, job, time, canonical content hash)
//! written as PROV/DCAT triples in a metadata graph. Operational state — sources, harvest jobs,
//! per-record fingerprints and job errors — lives in SQLite through sqlx. Both sit behind the
//! traits of [`storage`]; readers (the SPARQL endpoint, the REST API) read through
//! [`GraphStore`], the harvester writes through [`Catalog`]. Above the records: [`dedup`] links the same dataset published on several
//! portals, [`quality`] measures and scores metadata.

mod catalog;
pub mod dedup;
mod error;
pub mod hash;
mod iri;
mod lease;
pub mod node_keys;
pub mod quality;
pub mod search;
pub mod shacl;
pub mod storage;
pub mod vocab;

pub use catalog::{Catalog, RecordGraph, WriteCounts};
pub use error::CatalogError;
pub use iri::{IriMinter, encode_segment};
pub use lease::{LEASE_TTL_SECS, Lease};
pub use storage::{
    GraphStore, IssueAction, JobCounts, JobErrorRow, JobOutcome, JobRow, JobState, JobStatus,
    MAX_ISSUE_VALUE, NewJobError, NewSource, PageMemo, QualityState, RecordState, RepairCount,
    ValueIssue,
};

/// Re-export of the RDF library, so that crates above use the same version of its types.
pub use oxigraph;
