//! CKAN Action API connector: `package_search` paged with `rows`/`start` in the stable order
//! `id asc`, filtered by organization through `fq`. Each package becomes one DCAT-AP record
//! (see [`mapping`]).

pub mod config;
mod mapping;

pub use config::CkanOptions;

use crate::Vocabularies;
use crate::source::{Page, PageRequest, RecordFailure, Source};
use crate::{Fetched, HarvestError, SourceConfig};
use fedcat_catalog::IriMinter;
use serde::Deserialize;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use url::Url;

/// A CKAN portal.
pub struct CkanSource {
    id: String,
    base: String,
    options: CkanOptions,
    language: Option<String>,
    iris: IriMinter,
    vocabularies: Arc<Vocabularies>,
    /// `metadata_modified` lower bound of an incremental listing (Solr date syntax).
    modified_since: Option<String>,
    /// The `count` of the last page read, to know whether skipping a failed page makes sense.
    last_count: AtomicU64,
    /// Hosts besides its own that its next-page links may point to.
    allowed_hosts: Vec<String>,
}

const ACCEPT_JSON: &str = "application/json";

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

impl CkanSource {
    /// A connector for `config`.
    pub fn new(
        config: &SourceConfig,
        options: &CkanOptions,
        iris: &IriMinter,
        vocabularies: Arc<Vocabularies>,
    ) -> Self {
        Self {
            id: config.id.clone(),
            base: config.url.as_str().trim_end_matches('/').to_owned(),
            options: options.clone(),
            language: config.language.clone(),
            iris: iris.clone(),
            vocabularies,
            modified_since: None,
            last_count: AtomicU64::new(u64::MAX),
            allowed_hosts: config.allowed_hosts.clone(),
        }
    }

    /// Lists only packages modified since `since` (`fq=metadata_modified:[T TO *]`).
    pub fn modified_since(mut self, since: Option<chrono::DateTime<chrono::Utc>>) -> Self {
        self.modified_since = since.map(|t| t.format("%Y-%m-%dT%H:%M:%SZ").to_string());
        self
    }

    fn page_url(&self, start: u64) -> Result<Url, HarvestError> {
        let text = format!("{}/api/3/action/package_search", self.base);
        let mut url = Url::parse(&text).map_err(|e| HarvestError::InvalidUrl {
            url: text.clone(),
            cause: e.to_string(),
        })?;
        {
            let mut query = url.query_pairs_mut();
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
        }
        Ok(url)
    }

    fn start_of(url: &Url) -> u64 {
        super::query_number(url, "start").unwrap_or(0)
    }

    fn request(&self, start: u64) -> Result<PageRequest, HarvestError> {
        Ok(PageRequest {
            url: self.page_url(start)?,
            accept: ACCEPT_JSON,
        })
    }
}

impl Source for CkanSource {
    fn id(&self) -> &str {
        &self.id
    }

    fn allowed_hosts(&self) -> &[String] {
        &self.allowed_hosts
    }

    fn first_page(&self) -> Result<PageRequest, HarvestError> {
        self.request(0)
    }

    fn parse_page(&self, request: &PageRequest, fetched: &Fetched) -> Result<Page, HarvestError> {
        super::reject_html(fetched, "CKAN JSON")?;
        let url = request.url.to_string();
        let envelope: Envelope =
            serde_json::from_slice(&fetched.body).map_err(|e| HarvestError::Parse {
                url: url.clone(),
                format: "CKAN JSON".into(),
                cause: e.to_string(),
            })?;
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
            return Err(HarvestError::Api { url, message });
        }
        let result = envelope.result.ok_or_else(|| HarvestError::Parse {
            url: url.clone(),
            format: "CKAN JSON".into(),
            cause: "no `result` in the response".into(),
        })?;
        let search: SearchResult =
            serde_json::from_value(result).map_err(|e| HarvestError::Parse {
                url: url.clone(),
                format: "CKAN package_search result".into(),
                cause: e.to_string(),
            })?;
        self.last_count.store(search.count, Ordering::Relaxed);
        let start = Self::start_of(&request.url);
        let rows = u64::from(self.options.page_size);
        let next = if !search.results.is_empty() && start + rows < search.count {
            Some(self.request(start + rows)?)
        } else {
            None
        };
        let context = mapping::MappingContext {
            source_id: &self.id,
            portal_base: &self.base,
            language: self.language.as_deref(),
            iris: &self.iris,
            vocabularies: &self.vocabularies,
            page_url: &url,
        };
        let records = search.results.iter().enumerate().map(|(index, package)| {
            mapping::map_package(&context, package).ok_or_else(|| RecordFailure {
                key: None,
                message: format!(
                    "package {} of the page has no usable identity (no id, name, url or title)",
                    start + index as u64 + 1
                ),
            })
        });
        Ok(Page::from_mapped(records, next, Some(search.count)))
    }

    fn is_incremental(&self) -> bool {
        self.modified_since.is_some()
    }

    fn page_after_failure(&self, failed: &PageRequest) -> Option<PageRequest> {
        let count = self.last_count.load(Ordering::Relaxed);
        let next_start = Self::start_of(&failed.url) + u64::from(self.options.page_size);
        (count != u64::MAX && next_start < count)
            .then(|| self.request(next_start).ok())
            .flatten()
    }
}
