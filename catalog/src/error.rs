//! The catalog's one error type.

use std::path::PathBuf;

/// Everything that can go wrong while opening or writing the catalogue.
#[derive(Debug, thiserror::Error)]
pub enum CatalogError {
    /// The search index failed (open, write, query).
    #[error("search index: {0}")]
    Search(String),
    /// A search's query text was refused before parsing (too long or nested too deep): the
    /// client's input, not the index, is at fault.
    #[error("query text refused: {0}")]
    QueryText(#[from] crate::search::QueryTextError),
    /// The SHACL shapes could not be read or parsed.
    #[error("SHACL shapes {path}: {cause}")]
    Shapes {
        /// The shapes file or directory.
        path: String,
        /// What went wrong.
        cause: String,
    },
    /// The duplicate links could not be updated.
    #[error("duplicate linking: {0}")]
    Dedup(String),
    /// The data directory could not be created or read.
    #[error("cannot use data directory {path}: {source}")]
    DataDir {
        /// The directory.
        path: PathBuf,
        /// The I/O cause.
        source: std::io::Error,
    },
    /// The Oxigraph store failed.
    #[error("RDF store error: {0}")]
    Store(#[from] oxigraph::store::StorageError),
    /// A SPARQL query run internally failed.
    #[error("internal SPARQL query failed: {0}")]
    Query(#[from] oxigraph::sparql::QueryEvaluationError),
    /// An internal SPARQL query did not parse or was not a SELECT (a bug in the caller).
    #[error("internal SPARQL query refused: {reason}")]
    QuerySyntax {
        /// Why.
        reason: String,
    },
    /// The state database failed.
    #[error("state database error: {0}")]
    Database(#[from] sqlx::Error),
    /// A schema migration of the state database failed.
    #[error("state database migration failed: {0}")]
    Migration(#[from] sqlx::migrate::MigrateError),
    /// An IRI built by the catalogue was invalid (a bad base IRI or key).
    #[error("invalid IRI {iri:?}: {reason}")]
    InvalidIri {
        /// The IRI text.
        iri: String,
        /// Why it was rejected.
        reason: String,
    },
    /// Canonicalising a record for its content hash failed.
    #[error("cannot canonicalise record {key}: {reason}")]
    Canonicalization {
        /// The record key.
        key: String,
        /// The cause.
        reason: String,
    },
    /// A blocking task panicked or was cancelled.
    #[error("background task failed: {0}")]
    Task(#[from] tokio::task::JoinError),
    /// A time column held something that is not an RFC 3339 time.
    #[error("stored time {value:?} is not RFC 3339: {reason}")]
    BadTime {
        /// The stored text.
        value: String,
        /// Why it does not parse.
        reason: String,
    },
    /// A job id that does not exist was used.
    #[error("harvest job {0} does not exist")]
    UnknownJob(i64),
}
