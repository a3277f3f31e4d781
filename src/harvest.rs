//! Runs harvest jobs: one per selected source, in configuration order, each recorded in the
//! state database whatever happens to it.

use crate::AppConfig;
use fedcat_catalog::Catalog;
use fedcat_harvester::{
    HarvestError, HarvestOptions, HarvestReport, HttpClient, ProgressEvent, SourceConfig,
    Vocabularies, build_source, harvest_source,
};
use std::sync::Arc;

/// The sources to harvest: those named (all of them must exist), else every enabled one.
pub fn select_sources<'a>(
    config: &'a AppConfig,
    ids: &[String],
) -> Result<Vec<&'a SourceConfig>, String> {
    if ids.is_empty() {
        return Ok(config
            .sources
            .sources
            .iter()
            .filter(|s| s.enabled)
            .collect());
    }
    ids.iter()
        .map(|id| {
            config.sources.get(id).ok_or_else(|| {
                let known: Vec<&str> = config
                    .sources
                    .sources
                    .iter()
                    .map(|s| s.id.as_str())
                    .collect();
                format!(
                    "unknown source {id:?}; configured sources: {}",
                    known.join(", ")
                )
            })
        })
        .collect()
}

/// Builds the shared HTTP client with each source's host rate limit.
pub fn http_client(config: &AppConfig) -> Result<Arc<HttpClient>, HarvestError> {
    let client = HttpClient::new(config.http.clone())?;
    for source in &config.sources.sources {
        if let (Some(rate), Some(host)) = (source.rate_limit_per_sec, source.url.host_str()) {
            client.limit_host(host, rate);
        }
    }
    Ok(Arc::new(client))
}

/// Claims the harvest of `source_id` for this process: `None` when a job of the source runs
/// already, here or in another process sharing the state database.
pub async fn claim_source(
    catalog: &Catalog,
    source_id: &str,
) -> Result<Option<fedcat_catalog::Lease>, fedcat_catalog::CatalogError> {
    catalog.try_lease(&format!("harvest:{source_id}")).await
}

/// Harvests one source as one job. The caller holds its claim ([`claim_source`]).
pub async fn harvest_one(
    source: &SourceConfig,
    client: &HttpClient,
    catalog: &Catalog,
    vocabularies: &Arc<Vocabularies>,
    options: &HarvestOptions,
    on_progress: &(dyn Fn(ProgressEvent) + Send + Sync),
) -> Result<HarvestReport, HarvestError> {
    catalog
        .register_source(&fedcat_catalog::NewSource {
            id: &source.id,
            title: &source.title,
            kind: source.kind.as_str(),
            url: source.url.as_str(),
        })
        .await?;
    let since = modified_since(source, catalog, options).await?;
    let connector = build_source(source, catalog.iris(), vocabularies, since)?;
    harvest_source(connector.as_ref(), client, catalog, options, on_progress).await
}

/// Changes the portal made while the previous job ran, or clock skew between us and it, are
/// covered by starting the incremental window this much before that job started.
const INCREMENTAL_MARGIN: chrono::Duration = chrono::Duration::hours(1);

/// The lower bound of an incremental listing: only for sources with a `full_sweep_schedule`,
/// not for full sweeps, and only after a job that succeeded.
async fn modified_since(
    source: &SourceConfig,
    catalog: &Catalog,
    options: &HarvestOptions,
) -> Result<Option<chrono::DateTime<chrono::Utc>>, HarvestError> {
    if options.full || source.full_sweep_schedule.is_none() {
        return Ok(None);
    }
    let last = catalog.jobs().last_succeeded_job_start(&source.id).await?;
    Ok(last
        .and_then(|text| chrono::DateTime::parse_from_rfc3339(&text).ok())
        .map(|t| t.with_timezone(&chrono::Utc) - INCREMENTAL_MARGIN))
}

/// One line summarising a job.
pub fn summary_line(report: &HarvestReport) -> String {
    let c = &report.counts;
    format!(
        "{}: {} in {:.1} s (job {}) — pages {}{}, added {}, updated {}, unchanged {}, deleted {}, failed {}{}",
        report.source_id,
        report.status.as_str(),
        report.duration.as_secs_f64(),
        report.job_id,
        c.pages,
        not_modified(c.not_modified_pages),
        c.added,
        c.updated,
        c.unchanged,
        c.deleted,
        c.failed,
        repairs(c)
    )
}

/// `; kept with repairs N (M values repaired), values dropped N, records rejected N`: the three
/// counts of value-level repair, always shown so that a clean job says so.
pub fn repairs(c: &fedcat_catalog::JobCounts) -> String {
    format!(
        "; records kept with repairs {} ({} values repaired), values dropped {}, records rejected {}",
        c.records_repaired, c.values_repaired, c.values_dropped, c.records_rejected
    )
}

/// ` (N not modified)` when some pages answered 304.
pub fn not_modified(pages: u64) -> String {
    if pages == 0 {
        String::new()
    } else {
        format!(" ({pages} not modified)")
    }
}

/// What a step of `fedcat harvest` cost: `took 12.3 s (peak memory 812 MiB)`, the peak being
/// the process's resident high-water mark so far (Linux's `VmHWM`; left out elsewhere).
pub fn cost_line(elapsed: std::time::Duration) -> String {
    let peak = std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|status| {
            status
                .lines()
                .find(|l| l.starts_with("VmHWM:"))?
                .split_whitespace()
                .nth(1)?
                .parse::<u64>()
                .ok()
        });
    match peak {
        Some(kib) => format!(
            "took {:.1} s (peak memory {} MiB)",
            elapsed.as_secs_f64(),
            kib / 1024
        ),
        None => format!("took {:.1} s", elapsed.as_secs_f64()),
    }
}
