//! The domain's one error type.

use fedcat_catalog::CatalogError;

/// What can go wrong above the stored records: reading or writing the catalogue, a background
/// task, (de)serialising indicators, checking links.
#[derive(Debug, thiserror::Error)]
pub enum DomainError {
    /// The catalogue (store, state database, search index, shapes) failed.
    #[error(transparent)]
    Catalog(#[from] CatalogError),
    /// A blocking task panicked or was cancelled.
    #[error("background task failed: {0}")]
    Task(#[from] tokio::task::JoinError),
    /// Indicators could not be (de)serialised.
    #[error("indicators: {0}")]
    Json(#[from] serde_json::Error),
    /// The link checker could not start (its HTTP client).
    #[error("link checker: {0}")]
    LinkCheck(#[from] fedcat_harvester::HarvestError),
}
