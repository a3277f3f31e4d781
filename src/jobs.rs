//! The job runner of `fedcat serve`: starts harvest jobs on each source's cron schedule and on
//! request (`POST /api/sources/{id}/harvest`), never two jobs of one source at once, and at
//! most `[harvest] max_concurrent_jobs` jobs in all. A job holds its source's lease in the state
//! database ([`claim_source`]), which keeps out a job of the source in any process sharing the
//! database, not only in this one.

use crate::AppConfig;
use crate::harvest::{claim_source, harvest_one, http_client, summary_line};
use fedcat_catalog::Catalog;
use fedcat_harvester::{HarvestError, HttpClient};
use std::collections::HashSet;
use std::sync::{Arc, Mutex};
use tokio::sync::Semaphore;

/// Why a job was not started.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StartError {
    /// No such source in the configuration.
    #[error("no such source in the sources file")]
    UnknownSource,
    /// The source is disabled.
    #[error("the source is disabled in the sources file")]
    Disabled,
    /// A job of this source is already running (here or in another process).
    #[error("a job of this source is already running")]
    AlreadyRunning,
    /// The state database could not say (its error is in the log).
    #[error("the state database could not say whether a job of this source is running")]
    Storage,
}

/// Starts and tracks harvest jobs; cheap to clone.
#[derive(Clone)]
pub struct JobRunner {
    config: Arc<AppConfig>,
    /// What the after-harvest work needs of `config`.
    domain: Arc<fedcat_domain::DomainConfig>,
    catalog: Catalog,
    client: Arc<HttpClient>,
    /// The sources whose lease this runner holds, for display only: exclusion is the lease's.
    running: Arc<Mutex<HashSet<String>>>,
    slots: Arc<Semaphore>,
    search: Option<Arc<fedcat_catalog::search::SearchIndex>>,
}

fn log_line(line: &str) {
    tracing::info!("{line}");
}

/// Removes the source from the running set however the job ends.
struct RunningGuard {
    running: Arc<Mutex<HashSet<String>>>,
    source_id: String,
}

impl Drop for RunningGuard {
    fn drop(&mut self) {
        if let Ok(mut running) = self.running.lock() {
            running.remove(&self.source_id);
        }
    }
}

impl JobRunner {
    /// A runner for the configured sources.
    pub fn new(config: AppConfig, catalog: Catalog) -> Result<Self, HarvestError> {
        let client = http_client(&config)?;
        let slots = Arc::new(Semaphore::new(config.max_concurrent_jobs.max(1)));
        Ok(Self {
            domain: Arc::new(config.domain()),
            config: Arc::new(config),
            catalog,
            client,
            running: Arc::new(Mutex::new(HashSet::new())),
            slots,
            search: None,
        })
    }

    /// Keeps `index` up to date after each job and each link check.
    pub fn with_search(mut self, index: Arc<fedcat_catalog::search::SearchIndex>) -> Self {
        self.search = Some(index);
        self
    }

    /// Brings the search index up to date (every source: a job's duplicates and scores can
    /// change other sources' documents).
    async fn sync_search(&self) {
        if let Some(index) = &self.search {
            match fedcat_domain::search_sync::sync_all(&self.domain, &self.catalog, index).await {
                Ok((written, deleted)) => {
                    tracing::info!(
                        "search index: {written} document(s) written, {deleted} deleted"
                    );
                }
                Err(error) => tracing::error!("search index update failed: {error}"),
            }
        }
    }

    /// The sources with a job running now.
    pub fn running(&self) -> Vec<String> {
        let mut running: Vec<String> = self
            .running
            .lock()
            .map(|r| r.iter().cloned().collect())
            .unwrap_or_default();
        running.sort();
        running
    }

    /// Starts a job of `source_id` in the background (it waits for a free slot first).
    pub async fn start(&self, source_id: &str) -> Result<tokio::task::JoinHandle<()>, StartError> {
        self.start_with(source_id, false).await
    }

    /// Like [`Self::start`]; `full` makes it a full sweep (for sources with incremental runs).
    pub async fn start_with(
        &self,
        source_id: &str,
        full: bool,
    ) -> Result<tokio::task::JoinHandle<()>, StartError> {
        let source = self
            .config
            .sources
            .get(source_id)
            .ok_or(StartError::UnknownSource)?
            .clone();
        if !source.enabled {
            return Err(StartError::Disabled);
        }
        let claim = match claim_source(&self.catalog, &source.id).await {
            Ok(Some(claim)) => claim,
            Ok(None) => return Err(StartError::AlreadyRunning),
            Err(error) => {
                tracing::error!(source = %source.id, %error, "cannot claim the source's harvest");
                return Err(StartError::Storage);
            }
        };
        if let Ok(mut running) = self.running.lock() {
            running.insert(source.id.clone());
        }
        let guard = RunningGuard {
            running: self.running.clone(),
            source_id: source.id.clone(),
        };
        let runner = self.clone();
        Ok(tokio::spawn(async move {
            let Ok(slot) = runner.slots.clone().acquire_owned().await else {
                return;
            };
            tracing::info!(source = %source.id, "harvest started");
            let options = fedcat_harvester::HarvestOptions {
                full,
                ..runner.config.harvest
            };
            match harvest_one(
                &source,
                &runner.client,
                &runner.catalog,
                &runner.config.vocabularies,
                &options,
                &|_| {},
            )
            .await
            {
                Ok(report) => {
                    tracing::info!(source = %source.id, job = report.job_id, "{}", summary_line(&report));
                }
                Err(error) => {
                    tracing::error!(source = %source.id, error = %error, "harvest stopped");
                }
            }
            // The job is over: the source may run again while the catalogue-wide work that
            // follows (duplicates, quality) goes on.
            drop(slot);
            drop(guard);
            drop(claim);
            fedcat_domain::pipeline::after_harvest(
                &runner.domain,
                &runner.catalog,
                std::slice::from_ref(&source.id),
                runner.search.as_deref(),
                &|line| tracing::info!("{line}"),
                &mut log_step,
            )
            .await;
        }))
    }

    /// Starts every enabled source now (the `harvest_on_start` run).
    pub async fn start_all(&self) {
        for source in self.config.sources.sources.iter().filter(|s| s.enabled) {
            if let Err(e) = self.start(&source.id).await {
                tracing::warn!(source = %source.id, "not started: {e}");
            }
        }
    }

    /// Deletes job errors past `[harvest] keep_errors_days` once a day while serving.
    pub fn spawn_error_pruning(&self) {
        let runner = self.clone();
        tokio::spawn(async move {
            let mut daily = tokio::time::interval(std::time::Duration::from_secs(24 * 3600));
            loop {
                daily.tick().await;
                match runner
                    .catalog
                    .jobs()
                    .prune_job_errors(runner.config.keep_errors_days)
                    .await
                {
                    Ok(0) => {}
                    Ok(n) => tracing::info!("{n} old job error(s) deleted"),
                    Err(e) => tracing::warn!("pruning job errors failed: {e}"),
                }
            }
        });
    }

    /// Checks the links of every enabled source on `[linkcheck] schedule`, then takes a new
    /// quality snapshot of each.
    pub fn spawn_link_checks(&self) {
        let Some(schedule) = self.config.linkcheck_schedule.clone() else {
            return;
        };
        let runner = self.clone();
        tokio::spawn(async move {
            let checker = match fedcat_harvester::linkcheck::LinkChecker::new(
                runner.config.linkcheck.clone(),
            ) {
                Ok(checker) => checker,
                Err(error) => {
                    tracing::error!("link checks disabled: {error}");
                    return;
                }
            };
            for next in schedule.upcoming(chrono::Utc) {
                let wait = (next - chrono::Utc::now()).to_std().unwrap_or_default();
                tokio::time::sleep(wait).await;
                for source in runner.config.sources.sources.iter().filter(|s| s.enabled) {
                    match fedcat_domain::quality::check_source_links(
                        &runner.catalog,
                        &checker,
                        &source.id,
                        runner.config.linkcheck_recheck_after,
                        runner.config.download_max_bytes,
                        &log_line,
                    )
                    .await
                    {
                        Ok(run) => {
                            tracing::info!(source = %source.id, "{} link(s) checked, {} answering, {} file(s) downloaded", run.checked, run.ok, run.downloaded);
                        }
                        Err(error) => {
                            tracing::error!(source = %source.id, "link check failed: {error}");
                        }
                    }
                    if let Err(error) = fedcat_domain::quality::snapshot_source(
                        &runner.domain,
                        &runner.catalog,
                        &source.id,
                    )
                    .await
                    {
                        tracing::error!(source = %source.id, "quality snapshot failed: {error}");
                    }
                }
                runner.sync_search().await;
            }
        });
    }

    /// Repairs the search index against the store once, in the background (a crash between
    /// a store write and the index update, records harvested by `fedcat harvest` meanwhile).
    pub fn spawn_search_repair(&self) {
        let runner = self.clone();
        tokio::spawn(async move { runner.sync_search().await });
    }

    /// Runs each enabled source with a schedule on its cron expression, forever. A run that
    /// comes while the previous job of the source is still going is skipped (and logged).
    pub fn spawn_schedules(&self) {
        for source in self.config.sources.sources.iter().filter(|s| s.enabled) {
            let schedules = [
                (source.schedule.clone(), false),
                (source.full_sweep_schedule.clone(), true),
            ];
            for (schedule, full) in schedules {
                let Some(schedule) = schedule else {
                    continue;
                };
                let runner = self.clone();
                let source_id = source.id.clone();
                tokio::spawn(async move {
                    for next in schedule.upcoming(chrono::Utc) {
                        let wait = (next - chrono::Utc::now()).to_std().unwrap_or_default();
                        tokio::time::sleep(wait).await;
                        match runner.start_with(&source_id, full).await {
                            Ok(_) => {}
                            Err(StartError::AlreadyRunning) => tracing::warn!(
                                source = %source_id,
                                full,
                                "scheduled run skipped: the previous job is still running"
                            ),
                            Err(e) => {
                                tracing::warn!(source = %source_id, "scheduled run not started: {e}");
                            }
                        }
                    }
                });
            }
        }
    }
}

/// Logs a step after a harvest (see [`crate::pipeline`]).
fn log_step(step: fedcat_domain::pipeline::Step<'_>) {
    if step.failed() {
        tracing::error!("{step}");
    } else {
        tracing::info!("{step}");
    }
}
