//! CKAN Action API connector: `package_search` paged with `rows`/`start` in the stable order
//! `id asc`, filtered by organization through `fq`. Each package becomes one DCAT-AP record
//! (see [`mapping`]).

pub mod config;
mod mapping;

pub use config::CkanOptions;

use super::json_page::{JsonApi, JsonPage, JsonPortal, Listing, RecordMapping};
use crate::HarvestError;
use crate::source::PageRequest;
use serde::Deserialize;
use std::sync::atomic::{AtomicU64, Ordering};
use url::Url;

/// What a page is, for errors.
const FORMAT: &str = "CKAN JSON";

/// The CKAN Action API's part of a CKAN connector (a `JsonSource`): its
/// query, its paging and its answer's envelope.
pub(crate) struct CkanApi {
    options: CkanOptions,
    /// `metadata_modified` lower bound of an incremental listing (Solr date syntax).
    modified_since: Option<String>,
    /// The `count` of the last page read, to know whether skipping a failed page makes sense.
    last_count: AtomicU64,
}

#[derive(Deserialize)]
struct Envelope {
    success: Option<bool>,
    result: Option<serde_json::Value>,
    error: Option<serde_json::Value>,
}

#[derive(Deserialize)]
struct SearchResult {
    count: u64,
    results: Vec<serde_json::Value>,
}

impl CkanApi {
    /// The API of a source with `options`.
    pub(crate) fn new(options: &CkanOptions) -> Self {
        Self {
            options: options.clone(),
            modified_since: None,
            last_count: AtomicU64::new(u64::MAX),
        }
    }

    /// Lists only packages modified since `since` (`fq=metadata_modified:[T TO *]`).
    pub(crate) fn modified_since(mut self, since: Option<chrono::DateTime<chrono::Utc>>) -> Self {
        self.modified_since = since.map(|t| t.format("%Y-%m-%dT%H:%M:%SZ").to_string());
        self
    }

    fn request(&self, portal: &JsonPortal, start: u64) -> Result<PageRequest, HarvestError> {
        portal.request("/api/3/action/package_search", |query| {
            query.append_pair("rows", &self.options.page_size.to_string());
            query.append_pair("start", &start.to_string());
            query.append_pair("sort", "id asc");
            let mut filters = Vec::new();
            if let Some(org) = &self.options.organization {
                filters.push(format!("organization:{org}"));
            }
            if let Some(fq) = &self.options.fq {
                filters.push(format!("({fq})"));
            }
            if let Some(since) = &self.modified_since {
                filters.push(format!("metadata_modified:[{since} TO *]"));
            }
            if !filters.is_empty() {
                query.append_pair("fq", &filters.join(" AND "));
            }
        })
    }

    fn start_of(url: &Url) -> u64 {
        super::query_number(url, "start").unwrap_or(0)
    }
}

impl JsonApi for CkanApi {
    const RECORDS: RecordMapping = RecordMapping {
        noun: "package",
        identity: "no id, name, url or title",
        map: mapping::map_package,
    };

    fn first_page(&self, portal: &JsonPortal) -> Result<PageRequest, HarvestError> {
        self.request(portal, 0)
    }

    fn read_page(&self, page: &JsonPage<'_>) -> Result<Listing, HarvestError> {
        let envelope: Envelope = page.decode(FORMAT)?;
        if envelope.success == Some(false) {
            let message = envelope
                .error
                .map(|e| match e.get("message").and_then(|m| m.as_str()) {
                    Some(m) => format!(
                        "{m} ({})",
                        e.get("__type").and_then(|t| t.as_str()).unwrap_or("error")
                    ),
                    None => e.to_string(),
                })
                .unwrap_or_else(|| "success: false".into());
            return Err(page.api_error(message));
        }
        let result = envelope
            .result
            .ok_or_else(|| page.parse_error(FORMAT, "no `result` in the response".into()))?;
        let search: SearchResult = page.read(result, "CKAN package_search result")?;
        self.last_count.store(search.count, Ordering::Relaxed);
        let start = Self::start_of(&page.request.url);
        let rows = u64::from(self.options.page_size);
        let next = if !search.results.is_empty() && start + rows < search.count {
            Some(self.request(page.portal, start + rows)?)
        } else {
            None
        };
        Ok(Listing {
            records: search.results,
            offset: start,
            next,
            total: Some(search.count),
        })
    }

    fn page_after_failure(&self, portal: &JsonPortal, failed: &PageRequest) -> Option<PageRequest> {
        let count = self.last_count.load(Ordering::Relaxed);
        let next_start = Self::start_of(&failed.url) + u64::from(self.options.page_size);
        (count != u64::MAX && next_start < count)
            .then(|| self.request(portal, next_start).ok())
            .flatten()
    }

    fn is_incremental(&self) -> bool {
        self.modified_since.is_some()
    }
}
