//! What follows a harvest, once for the CLI (`fedcat harvest`) and `serve`'s job runner: link
//! the duplicates (when `[dedup] enabled`), take the quality snapshot of each harvested source,
//! and bring the search index up to date. Each step's outcome is reported to the caller, which
//! prints it or logs it; a step that fails does not stop the next ones (the harvested records
//! are kept whatever happens after).

use crate::DomainConfig;
use fedcat_catalog::Catalog;
use fedcat_catalog::search::SearchIndex;

/// The outcome of one step after a harvest.
#[derive(Debug)]
pub enum Step<'a> {
    /// Duplicates were linked: the summary line, or why it failed.
    Duplicates(Result<String, String>),
    /// A source's quality snapshot: the summary line, or why it failed.
    Quality {
        /// The source.
        source: &'a str,
        /// The summary line, or why it failed.
        outcome: Result<String, String>,
    },
    /// The search index: (documents written, deleted), or why it was not updated.
    Search(Result<(usize, usize), String>),
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
            .map(|report| crate::duplicates::summary_line(&report))
            .map_err(|error| {
                format!("linking duplicates failed (the harvested records are kept): {error}")
            });
        on_step(Step::Duplicates(linked));
    }
    for source in sources {
        let outcome = crate::quality::snapshot_source(config, catalog, source)
            .await
            .map(|indicators| crate::quality::summary_line(source, &indicators))
            .map_err(|error| format!("quality snapshot of {source} failed: {error}"));
        on_step(Step::Quality { source, outcome });
    }
    if let Some(index) = index {
        // Every source: a job's duplicates and scores can change other sources' documents.
        let synced = crate::search_sync::sync_all(config, catalog, index)
            .await
            .map_err(|error| format!("search index update failed: {error}"));
        on_step(Step::Search(synced));
    }
}
