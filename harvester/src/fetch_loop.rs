//! The shared harvest loop: one job per source. It pages through the listing (fetching the next
//! page while the current one is stored), stops on a repeated page, records every page and
//! record failure as a job error, and deletes records missing from the listing only when the
//! listing was complete and no page failed.

use crate::{Fetched, HarvestError, HttpClient, Page, PageRequest, Source, Validators};
use fedcat_catalog::{Catalog, JobCounts, JobStatus, PageMemo};
use std::collections::HashSet;
use std::time::{Duration, Instant};

/// Progress of a running job, for progress bars and logs.
#[derive(Debug, Clone)]
pub enum ProgressEvent {
    /// A page was stored.
    Page {
        /// Its URL.
        url: String,
        /// Records on it (mapped or failed).
        records: u64,
        /// What the portal says the listing holds, if it does.
        total_hint: Option<u64>,
    },
    /// A page failed.
    PageFailed {
        /// Its URL.
        url: String,
        /// Why.
        message: String,
    },
}

/// The outcome of one harvest job.
#[derive(Debug, Clone)]
pub struct HarvestReport {
    /// Source id.
    pub source_id: String,
    /// Job id.
    pub job_id: i64,
    /// Final status.
    pub status: JobStatus,
    /// Whether every page of the listing was read.
    pub complete_listing: bool,
    /// Counts.
    pub counts: JobCounts,
    /// Wall time.
    pub duration: Duration,
    /// Summary message (why nothing was deleted, why the job failed).
    pub message: Option<String>,
}

/// What a job may do beyond harvesting.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct HarvestOptions {
    /// Largest share (0–1) of a source's records one sweep may delete; past it nothing is
    /// deleted and the job says why (a portal serving a truncated listing must not empty us).
    pub max_delete_share: f64,
    /// Deletes past `max_delete_share` anyway (`fedcat harvest --allow-mass-delete`).
    pub allow_mass_delete: bool,
    /// Reads every page in full, without conditional requests (`fedcat harvest --full`): what
    /// a new version of the mapping needs to re-map records whose pages did not change.
    pub full: bool,
}

impl Default for HarvestOptions {
    fn default() -> Self {
        Self {
            max_delete_share: 0.2,
            allow_mass_delete: false,
            full: false,
        }
    }
}

/// The most pages one job reads: a guard against a portal whose paging never ends.
const MAX_PAGES: usize = 1_000_000;

/// Harvests one source into the catalogue as one job.
pub async fn harvest_source(
    source: &dyn Source,
    client: &HttpClient,
    catalog: &Catalog,
    options: &HarvestOptions,
    on_progress: &(dyn Fn(ProgressEvent) + Send + Sync),
) -> Result<HarvestReport, HarvestError> {
    let started = Instant::now();
    let source_id = source.id().to_owned();
    let job_id = catalog.start_job(&source_id).await?;
    let mut run = JobRun {
        source,
        catalog,
        job_id,
        counts: JobCounts::default(),
        page_failures: 0,
        record_key_unknown: false,
        listed_any_page: false,
    };
    let outcome = run.list_all(client, options, on_progress).await;
    let mut message = None;
    let complete = match outcome {
        Ok(complete) => complete,
        Err(error) => {
            // A store failure ends the job; what was stored stays.
            message = Some(format!("job stopped: {error}"));
            catalog
                .state()
                .record_error(job_id, &source_id, "job", None, None, &error.to_string())
                .await?;
            false
        }
    };
    let listing_read = complete && run.page_failures == 0 && !run.record_key_unknown;
    let incremental = source.is_incremental();
    let complete_listing = listing_read && !incremental;
    if listing_read && incremental && message.is_none() {
        message = Some(
            "incremental listing (records changed since the last successful job): deletions \
             wait for the next full sweep"
                .to_owned(),
        );
    }
    let mut guarded = false;
    if complete_listing {
        let stale = catalog
            .state()
            .stale_record_count(&source_id, job_id)
            .await?;
        let live = catalog.state().live_record_count(&source_id).await?;
        let share = if live > 0 {
            stale as f64 / live as f64
        } else {
            0.0
        };
        if stale > 0 && share > options.max_delete_share && !options.allow_mass_delete {
            guarded = true;
            message = Some(format!(
                "mass-deletion guard: {stale} of {live} records ({:.0} %) are missing from the \
                 listing, more than the {:.0} % allowed; nothing was deleted (check the portal, \
                 then run `fedcat harvest --source {source_id} --allow-mass-delete` to apply)",
                share * 100.0,
                options.max_delete_share * 100.0
            ));
            catalog
                .state()
                .record_error(
                    job_id,
                    &source_id,
                    "job",
                    None,
                    None,
                    message.as_deref().unwrap_or(""),
                )
                .await?;
        } else {
            run.counts.deleted = catalog.delete_unseen(&source_id, job_id).await?;
        }
    } else if message.is_none() && !listing_read {
        message = Some(if !run.listed_any_page {
            "no page of the listing could be read: nothing was changed".to_owned()
        } else if run.page_failures > 0 {
            format!(
                "{} page(s) failed: the listing is incomplete, so nothing was deleted",
                run.page_failures
            )
        } else {
            "a record without a key failed: nothing was deleted".to_owned()
        });
    }
    let status = if !run.listed_any_page {
        JobStatus::Failed
    } else if listing_read && run.counts.failed == 0 && !guarded {
        JobStatus::Succeeded
    } else {
        JobStatus::Partial
    };
    catalog
        .state()
        .finish_job(
            job_id,
            status,
            complete_listing,
            &run.counts,
            message.as_deref(),
        )
        .await?;
    Ok(HarvestReport {
        source_id,
        job_id,
        status,
        complete_listing,
        counts: run.counts,
        duration: started.elapsed(),
        message,
    })
}

struct JobRun<'a> {
    source: &'a dyn Source,
    catalog: &'a Catalog,
    job_id: i64,
    counts: JobCounts,
    page_failures: u64,
    record_key_unknown: bool,
    listed_any_page: bool,
}

impl JobRun<'_> {
    /// Pages to the end. `Ok(true)` when the listing ended normally (no next page).
    async fn list_all(
        &mut self,
        client: &HttpClient,
        options: &HarvestOptions,
        on_progress: &(dyn Fn(ProgressEvent) + Send + Sync),
    ) -> Result<bool, HarvestError> {
        let mut seen_pages = HashSet::new();
        let mut request = Some(self.source.first_page()?);
        let mut prefetched: Option<Result<(Fetched, Option<PageMemo>), HarvestError>> = None;
        let catalog = self.catalog;
        let source_id = self.source.id().to_owned();
        while let Some(current) = request.take() {
            if !seen_pages.insert(current.url.to_string()) {
                tracing::warn!(source = self.source.id(), page = %current.url, "repeated page: listing ends");
                return Ok(true);
            }
            if seen_pages.len() > MAX_PAGES {
                self.page_failed(
                    &current,
                    "too many pages: the paging never ends",
                    on_progress,
                )
                .await?;
                return Ok(false);
            }
            let fetched = match prefetched.take() {
                Some(result) => result,
                None => fetch(catalog, &source_id, client, &current, options.full).await,
            };
            if let Ok((response, memo)) = &fetched
                && response.not_modified()
            {
                match memo {
                    Some(memo) => {
                        request = self.page_not_modified(&current, memo, on_progress).await?;
                    }
                    None => {
                        self.page_failed(
                            &current,
                            "304 Not Modified for a page never read",
                            on_progress,
                        )
                        .await?;
                        return Ok(false);
                    }
                }
                continue;
            }
            let validators = fetched
                .as_ref()
                .ok()
                .map(|(f, _)| (f.etag.clone(), f.last_modified.clone()));
            let page = fetched.and_then(|(f, _)| self.source.parse_page(&current, &f));
            match page {
                Ok(page) => {
                    self.listed_any_page = true;
                    let next = page.next.clone();
                    if let Some((etag, last_modified)) = validators
                        && (etag.is_some() || last_modified.is_some())
                    {
                        let memo = PageMemo {
                            etag,
                            last_modified,
                            record_keys: page
                                .records
                                .iter()
                                .filter_map(|r| match r {
                                    Ok(record) => Some(record.key.clone()),
                                    Err(failure) => failure.key.clone(),
                                })
                                .collect(),
                            next_url: next.as_ref().map(|n| n.url.to_string()),
                        };
                        catalog
                            .state()
                            .save_page_memo(&source_id, current.url.as_str(), &memo)
                            .await?;
                    }
                    // Fetch the next page while this one is stored.
                    let (stored, next_fetch) = match &next {
                        Some(next_request) if !seen_pages.contains(next_request.url.as_str()) => {
                            let (stored, fetched) = tokio::join!(
                                self.store_page(&current, page, on_progress),
                                fetch(catalog, &source_id, client, next_request, options.full)
                            );
                            (stored, Some(fetched))
                        }
                        _ => (self.store_page(&current, page, on_progress).await, None),
                    };
                    stored?;
                    prefetched = next_fetch;
                    request = next;
                }
                Err(error) => {
                    self.page_failed_after(
                        &current,
                        &error.to_string(),
                        error.attempts(),
                        on_progress,
                    )
                    .await?;
                    request = self.source.page_after_failure(&current);
                    if request.is_none() {
                        return Ok(false);
                    }
                }
            }
        }
        Ok(true)
    }

    /// A page answered 304: its records, as remembered, are seen and unchanged; the listing
    /// goes on with the page that followed it then.
    async fn page_not_modified(
        &mut self,
        page: &PageRequest,
        memo: &PageMemo,
        on_progress: &(dyn Fn(ProgressEvent) + Send + Sync),
    ) -> Result<Option<PageRequest>, HarvestError> {
        self.listed_any_page = true;
        let keys: Vec<&str> = memo.record_keys.iter().map(String::as_str).collect();
        self.catalog
            .mark_seen(self.source.id(), self.job_id, &keys)
            .await?;
        self.counts.pages += 1;
        self.counts.unchanged += keys.len() as u64;
        self.counts.not_modified_pages += 1;
        self.catalog.state().heartbeat(self.job_id).await?;
        on_progress(ProgressEvent::Page {
            url: page.url.to_string(),
            records: keys.len() as u64,
            total_hint: None,
        });
        let Some(next) = &memo.next_url else {
            return Ok(None);
        };
        let url = url::Url::parse(next).map_err(|e| HarvestError::InvalidUrl {
            url: next.clone(),
            cause: e.to_string(),
        })?;
        Ok(Some(PageRequest {
            url,
            accept: page.accept,
        }))
    }

    async fn page_failed(
        &mut self,
        page: &PageRequest,
        message: &str,
        on_progress: &(dyn Fn(ProgressEvent) + Send + Sync),
    ) -> Result<(), HarvestError> {
        self.page_failed_after(page, message, None, on_progress)
            .await
    }

    /// A page failed after `attempts` requests (when it got as far as a request).
    async fn page_failed_after(
        &mut self,
        page: &PageRequest,
        message: &str,
        attempts: Option<u32>,
        on_progress: &(dyn Fn(ProgressEvent) + Send + Sync),
    ) -> Result<(), HarvestError> {
        tracing::warn!(source = self.source.id(), page = %page.url, error = message, "page failed");
        self.page_failures += 1;
        self.counts.failed += 1;
        self.catalog
            .state()
            .record_error_with_attempts(
                self.job_id,
                self.source.id(),
                "page",
                Some(page.url.as_str()),
                None,
                message,
                attempts,
            )
            .await?;
        on_progress(ProgressEvent::PageFailed {
            url: page.url.to_string(),
            message: message.to_owned(),
        });
        Ok(())
    }

    async fn store_page(
        &mut self,
        request: &PageRequest,
        page: Page,
        on_progress: &(dyn Fn(ProgressEvent) + Send + Sync),
    ) -> Result<(), HarvestError> {
        let record_count = page.records.len() as u64;
        let mut good = Vec::with_capacity(page.records.len());
        let mut failed_keys = Vec::new();
        for record in page.records {
            match record {
                Ok(record) => good.push(record),
                Err(failure) => {
                    tracing::warn!(source = self.source.id(), page = %request.url, record = ?failure.key, error = %failure.message, "record failed");
                    self.counts.failed += 1;
                    self.catalog
                        .state()
                        .record_error(
                            self.job_id,
                            self.source.id(),
                            "record",
                            Some(request.url.as_str()),
                            failure.key.as_deref(),
                            &failure.message,
                        )
                        .await?;
                    match failure.key {
                        Some(key) => failed_keys.push(key),
                        None => self.record_key_unknown = true,
                    }
                }
            }
        }
        let written = self
            .catalog
            .write_records(self.source.id(), self.job_id, good)
            .await?;
        // A record that failed keeps its previous version: it counts as seen, not deleted.
        let failed_refs: Vec<&str> = failed_keys.iter().map(String::as_str).collect();
        self.catalog
            .mark_seen(self.source.id(), self.job_id, &failed_refs)
            .await?;
        self.counts.pages += 1;
        self.counts.added += written.added;
        self.counts.updated += written.updated;
        self.counts.unchanged += written.unchanged;
        self.catalog.state().heartbeat(self.job_id).await?;
        on_progress(ProgressEvent::Page {
            url: request.url.to_string(),
            records: record_count,
            total_hint: page.total_hint,
        });
        Ok(())
    }
}

/// Fetches a page, conditionally when an earlier read left validators (unless `full`).
async fn fetch(
    catalog: &Catalog,
    source_id: &str,
    client: &HttpClient,
    request: &PageRequest,
    full: bool,
) -> Result<(Fetched, Option<PageMemo>), HarvestError> {
    let memo = if full {
        None
    } else {
        catalog
            .state()
            .page_memo(source_id, request.url.as_str())
            .await?
    };
    let validators = memo
        .as_ref()
        .filter(|m| m.etag.is_some() || m.last_modified.is_some())
        .map(|m| Validators {
            etag: m.etag.clone(),
            last_modified: m.last_modified.clone(),
        });
    let fetched = client
        .get_conditional(&request.url, request.accept, validators.as_ref())
        .await?;
    Ok((fetched, memo))
}
