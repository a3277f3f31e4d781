//! The shared harvest loop: one job per source. It pages through the listing (fetching the next
//! page while the current one is stored), stops on a repeated page, records every page and
//! record failure as a job error, and deletes records missing from the listing only when the
//! listing was complete and no page failed.
//!
//! Only the first page is the operator's: the others come from links a portal wrote (Hydra
//! `next`, udata `next_page`, a remembered next page) or from a connector's offsets. Before any
//! of them is fetched, [`PageScope`] checks it: `http(s)` only — never `file://`, which only a
//! configured source URL may be — and on the first page's host or one of the source's
//! `allowed_hosts`. A refused link ends the listing with a page error; the listing is then
//! incomplete, so nothing is deleted.

use crate::config::page_host;
use crate::{Fetched, HarvestError, HttpClient, Page, PageRequest, Source, Validators};
use fedcat_catalog::{
    Catalog, IssueAction, JobCounts, JobOutcome, JobStatus, NewJobError, PageMemo, ValueIssue,
};
use std::collections::HashSet;
use std::time::{Duration, Instant};
use url::Url;

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

/// How much of a refused URL a job error quotes.
const MAX_QUOTED_URL: usize = 300;

/// Where the pages of a listing after the first may be: `http(s)` URLs on the first page's
/// host (compared as [`page_host`] writes it: `host`, or `host:port` for a port other than the
/// scheme's default) or on a host of the source's `allowed_hosts`. A `file://` first page has no
/// host: its listing may go on only to allowed hosts.
#[derive(Debug, Clone)]
pub struct PageScope {
    own_host: Option<String>,
    allowed_hosts: Vec<String>,
}

impl PageScope {
    /// The scope of a listing whose first page is `first`.
    pub fn new(first: &Url, allowed_hosts: &[String]) -> Self {
        Self {
            own_host: page_host(first),
            allowed_hosts: allowed_hosts
                .iter()
                .map(|h| h.to_ascii_lowercase())
                .collect(),
        }
    }

    /// `Ok` when a page after the first may be fetched from `url`, else why not.
    pub fn check(&self, url: &Url) -> Result<(), String> {
        if !matches!(url.scheme(), "http" | "https") {
            return Err(format!(
                "its scheme is {}: a page found in a listing must be http or https (only the \
                 source's configured URL may be file://)",
                url.scheme()
            ));
        }
        let Some(host) = page_host(url) else {
            return Err("it has no host".to_owned());
        };
        if self.own_host.as_deref() == Some(host.as_str()) || self.allowed_hosts.contains(&host) {
            return Ok(());
        }
        Err(match &self.own_host {
            Some(own) => format!(
                "its host {host} is not the source's ({own}) and is not in the source's \
                 allowed_hosts"
            ),
            None => format!("its host {host} is not in the source's allowed_hosts"),
        })
    }
}

/// At most `max` characters of `text`, with an ellipsis when cut.
fn shortened(text: &str, max: usize) -> String {
    match text.char_indices().nth(max) {
        Some((end, _)) => format!("{}…", &text[..end]),
        None => text.to_owned(),
    }
}

/// Harvests one source into the catalogue as one job.
#[expect(
    clippy::too_many_lines,
    reason = "the life of one job: start, list, count, decide the deletions, finish, each outcome recorded in the state database"
)]
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
                .jobs()
                .record_job_error(job_id, &source_id, &NewJobError::job(&error.to_string()))
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
            .records()
            .stale_record_count(&source_id, job_id)
            .await?;
        let live = catalog.records().live_record_count(&source_id).await?;
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
                .jobs()
                .record_job_error(
                    job_id,
                    &source_id,
                    &NewJobError::job(message.as_deref().unwrap_or("")),
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
        .jobs()
        .finish_job(
            job_id,
            &JobOutcome {
                status,
                complete_listing,
                counts: &run.counts,
                message: message.as_deref(),
            },
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
    #[expect(
        clippy::too_many_lines,
        reason = "the paging loop every connector shares: conditional requests and 304 replays, failed and skipped pages, the stop conditions"
    )]
    async fn list_all(
        &mut self,
        client: &HttpClient,
        options: &HarvestOptions,
        on_progress: &(dyn Fn(ProgressEvent) + Send + Sync),
    ) -> Result<bool, HarvestError> {
        let mut seen_pages = HashSet::new();
        let first = self.source.first_page()?;
        let scope = PageScope::new(&first.url, self.source.allowed_hosts());
        let mut request = Some(first);
        // The page that led to `request`: none for the first page.
        let mut previous: Option<Url> = None;
        let mut prefetched: Option<Result<(Fetched, Option<PageMemo>), HarvestError>> = None;
        let catalog = self.catalog;
        let source_id = self.source.id().to_owned();
        while let Some(current) = request.take() {
            if !seen_pages.insert(current.url.to_string()) {
                tracing::warn!(source = self.source.id(), page = %current.url, "repeated page: listing ends");
                return Ok(true);
            }
            if let Some(linking_page) = previous.replace(current.url.clone())
                && let Err(why) = scope.check(&current.url)
            {
                let message = format!(
                    "the listing stops here: the next page this page names, {}, is refused: {why}",
                    shortened(current.url.as_str(), MAX_QUOTED_URL)
                );
                self.page_failed(&linking_page, &message, on_progress)
                    .await?;
                return Ok(false);
            }
            if seen_pages.len() > MAX_PAGES {
                self.page_failed(
                    &current.url,
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
                            &current.url,
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
                            .records()
                            .save_page_memo(&source_id, current.url.as_str(), &memo)
                            .await?;
                    }
                    // Fetch the next page while this one is stored (unless it is out of
                    // scope: the top of the loop refuses it then, unfetched).
                    let (stored, next_fetch) = match &next {
                        Some(next_request)
                            if !seen_pages.contains(next_request.url.as_str())
                                && scope.check(&next_request.url).is_ok() =>
                        {
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
                        &current.url,
                        &error.to_string(),
                        error.attempts(),
                        error.detail().as_deref(),
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
        self.catalog.jobs().heartbeat(self.job_id).await?;
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
        page: &Url,
        message: &str,
        on_progress: &(dyn Fn(ProgressEvent) + Send + Sync),
    ) -> Result<(), HarvestError> {
        self.page_failed_after(page, message, None, None, on_progress)
            .await
    }

    /// A page failed after `attempts` requests (when it got as far as a request). `message` is
    /// public; `detail` (the start of a body) is kept for administrators only.
    async fn page_failed_after(
        &mut self,
        page: &Url,
        message: &str,
        attempts: Option<u32>,
        detail: Option<&str>,
        on_progress: &(dyn Fn(ProgressEvent) + Send + Sync),
    ) -> Result<(), HarvestError> {
        tracing::warn!(source = self.source.id(), page = %page, error = message, detail, "page failed");
        self.page_failures += 1;
        self.counts.failed += 1;
        self.catalog
            .jobs()
            .record_job_error(
                self.job_id,
                self.source.id(),
                &NewJobError {
                    kind: "page",
                    url: Some(page.as_str()),
                    record_key: None,
                    message,
                    attempts,
                    detail,
                },
            )
            .await?;
        on_progress(ProgressEvent::PageFailed {
            url: page.to_string(),
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
                    tracing::warn!(source = self.source.id(), page = %request.url, record = ?failure.key, error = %failure.message, "record rejected");
                    self.counts.failed += 1;
                    self.counts.records_rejected += 1;
                    self.catalog
                        .jobs()
                        .record_job_error(
                            self.job_id,
                            self.source.id(),
                            &NewJobError::record(
                                request.url.as_str(),
                                failure.key.as_deref(),
                                &failure.message,
                            ),
                        )
                        .await?;
                    match failure.key {
                        Some(key) => failed_keys.push(key),
                        None => self.record_key_unknown = true,
                    }
                }
            }
        }
        self.value_issues(request, &good, &page.issues).await?;
        for warning in &page.warnings {
            self.counts.values_dropped += 1;
            if self.counts.values_dropped <= MAX_VALUE_WARNINGS {
                self.value_warning(request, None, warning).await?;
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
        self.catalog.jobs().heartbeat(self.job_id).await?;
        on_progress(ProgressEvent::Page {
            url: request.url.to_string(),
            records: record_count,
            total_hint: page.total_hint,
        });
        Ok(())
    }
}

impl JobRun<'_> {
    /// Counts the values repaired and dropped in a page's stored records, remembers them per
    /// record, and records a warning for each dropped value (the first
    /// [`MAX_VALUE_WARNINGS`] of the job).
    async fn value_issues(
        &mut self,
        request: &PageRequest,
        records: &[fedcat_catalog::RecordGraph],
        issues: &[ValueIssue],
    ) -> Result<(), HarvestError> {
        let keys: Vec<&str> = records.iter().map(|r| r.key.as_str()).collect();
        let repaired_records: HashSet<&str> =
            issues.iter().map(|i| i.record_key.as_str()).collect();
        self.counts.records_repaired += repaired_records.len() as u64;
        for issue in issues {
            match issue.action {
                IssueAction::Repaired => self.counts.values_repaired += 1,
                IssueAction::Dropped => {
                    self.counts.values_dropped += 1;
                    if self.counts.values_dropped <= MAX_VALUE_WARNINGS {
                        self.dropped_value_warning(request, issue).await?;
                    }
                }
            }
        }
        self.catalog
            .records()
            .replace_value_issues(self.source.id(), self.job_id, &keys, issues)
            .await?;
        Ok(())
    }

    async fn dropped_value_warning(
        &self,
        request: &PageRequest,
        issue: &ValueIssue,
    ) -> Result<(), HarvestError> {
        let message = format!(
            "value dropped, record kept: {} {:?} ({})",
            issue.property, issue.value, issue.rule
        );
        self.value_warning(request, Some(&issue.record_key), &message)
            .await
    }

    /// A warning of the job (kind `value`): something of a page or record left out or
    /// repaired, the record kept.
    async fn value_warning(
        &self,
        request: &PageRequest,
        record_key: Option<&str>,
        message: &str,
    ) -> Result<(), HarvestError> {
        tracing::debug!(source = self.source.id(), record = ?record_key, %message, "value warning");
        self.catalog
            .jobs()
            .record_job_error(
                self.job_id,
                self.source.id(),
                &NewJobError::value(request.url.as_str(), record_key, message),
            )
            .await?;
        Ok(())
    }
}

/// The most dropped-value warnings one job records (every drop is counted, and remembered with
/// its record for `fedcat report mapping`).
const MAX_VALUE_WARNINGS: u64 = 1000;

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
            .records()
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

#[cfg(test)]
mod tests {
    use super::*;

    fn url(text: &str) -> Url {
        Url::parse(text).unwrap()
    }

    #[test]
    fn later_pages_stay_on_the_source_host_over_http() {
        let scope = PageScope::new(&url("https://www.data.gouv.fr/api/1/datasets/?page=1"), &[]);
        assert!(
            scope
                .check(&url("https://www.data.gouv.fr/api/1/datasets/?page=2"))
                .is_ok()
        );
        // Portals behind a TLS proxy often write their next links in http.
        assert!(
            scope
                .check(&url("http://WWW.data.gouv.fr/api/1/datasets/?page=2"))
                .is_ok()
        );
        for refused in [
            "file:///etc/passwd",
            "ftp://www.data.gouv.fr/x",
            "https://www.data.gouv.fr:8443/x",
            "https://data.gouv.fr/x",
            "http://169.254.169.254/latest/meta-data/",
        ] {
            let why = scope.check(&url(refused)).unwrap_err();
            assert!(!why.is_empty(), "{refused}");
        }
        assert!(
            scope
                .check(&url("file:///etc/passwd"))
                .unwrap_err()
                .contains("file")
        );
    }

    #[test]
    fn another_port_is_another_host_unless_allowed() {
        let first = url("http://127.0.0.1:8080/dcat/page/1");
        let other = url("http://127.0.0.1:8081/dcat/page/2");
        assert!(PageScope::new(&first, &[]).check(&other).is_err());
        assert!(
            PageScope::new(&first, &["127.0.0.1:8081".to_owned()])
                .check(&other)
                .is_ok()
        );
        assert!(
            PageScope::new(&first, &["127.0.0.1".to_owned()])
                .check(&other)
                .is_err()
        );
    }

    #[test]
    fn a_file_listing_goes_on_only_to_allowed_hosts() {
        let first = url("file:///var/dumps/catalog.ttl");
        let scope = PageScope::new(&first, &["dumps.example.org".to_owned()]);
        assert!(scope.check(&url("file:///var/dumps/page2.ttl")).is_err());
        assert!(
            scope
                .check(&url("https://dumps.example.org/page2.ttl"))
                .is_ok()
        );
        assert!(scope.check(&url("https://example.org/page2.ttl")).is_err());
    }

    #[test]
    fn long_urls_are_shortened() {
        assert_eq!(shortened("abcdef", 3), "abc…");
        assert_eq!(shortened("abc", 3), "abc");
        assert_eq!(shortened("éèà", 2), "éè…");
    }
}
