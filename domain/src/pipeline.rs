//! What follows a harvest, once for the CLI (`fedcat harvest`) and `serve`'s job runner: link
//! the duplicates (when `[dedup] enabled`), take the quality snapshot of each harvested source,
//! and bring the search index up to date. Each step's outcome is reported to the caller, which
//! prints it or logs it; a step that fails does not stop the next ones (the harvested records
//! are kept whatever happens after).

use crate::quality::Snapshot;
use crate::{DomainConfig, DomainError};
use fedcat_catalog::Catalog;
use fedcat_catalog::dedup::DedupReport;
use fedcat_catalog::search::SearchIndex;
use std::fmt;

/// The outcome of one step after a harvest; shown (`Display`) as the line the CLI prints and the
/// server logs.
#[derive(Debug)]
pub enum Step<'a> {
    /// Duplicates were linked, or why they were not.
    Duplicates(Result<DedupReport, DomainError>),
    /// A source's quality snapshot, or why it was not taken.
    Quality {
        /// The source.
        source: &'a str,
        /// Its snapshot (boxed: it is large beside the other outcomes), or why it was not
        /// taken.
        outcome: Result<Box<Snapshot>, DomainError>,
    },
    /// The search index: (documents written, deleted), or why it was not updated.
    Search(Result<(usize, usize), DomainError>),
}

impl Step<'_> {
    /// Whether the step failed (the CLI prints it on standard error, the server logs an error).
    pub fn failed(&self) -> bool {
        matches!(
            self,
            Step::Duplicates(Err(_))
                | Step::Quality {
                    outcome: Err(_),
                    ..
                }
                | Step::Search(Err(_))
        )
    }
}

impl fmt::Display for Step<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Step::Duplicates(Ok(report)) => f.write_str(&crate::duplicates::summary_line(report)),
            Step::Duplicates(Err(error)) => write!(
                f,
                "linking duplicates failed (the harvested records are kept): {error}"
            ),
            Step::Quality {
                source,
                outcome: Ok(snapshot),
            } => f.write_str(&crate::quality::summary_line(source, snapshot)),
            Step::Quality {
                source,
                outcome: Err(error),
            } => write!(f, "quality snapshot of {source} failed: {error}"),
            Step::Search(Ok((written, deleted))) => write!(
                f,
                "search index: {written} document(s) written, {deleted} deleted"
            ),
            Step::Search(Err(error)) => write!(f, "search index update failed: {error}"),
        }
    }
}

/// Runs the steps after a harvest of `sources`; `index` is the search index to keep in step
/// (none: the search step is skipped). `progress` receives the duplicate linker's progress
/// lines, `on_step` each step's outcome.
pub async fn after_harvest(
    config: &DomainConfig,
    catalog: &Catalog,
    sources: &[String],
    index: Option<&SearchIndex>,
    progress: &(dyn Fn(&str) + Sync),
    on_step: &mut (dyn FnMut(Step<'_>) + Send),
) {
    if config.dedup_enabled {
        let linked = catalog
            .link_duplicates(&config.dedup_options, progress)
            .await
            .map_err(DomainError::from);
        on_step(Step::Duplicates(linked));
    }
    for source in sources {
        let outcome = crate::quality::snapshot_source(config, catalog, source)
            .await
            .map(Box::new);
        on_step(Step::Quality { source, outcome });
    }
    if let Some(index) = index {
        // Every source: a job's duplicates and scores can change other sources' documents.
        let synced = crate::search_sync::sync_all(config, catalog, index).await;
        on_step(Step::Search(synced));
    }
}
