//! udata API v1 connector (data.gouv.fr): `/api/1/datasets/` paged by `page`/`page_size`,
//! following the `next_page` URL the API gives until it is null, filtered by organization id
//! or tag. Each dataset becomes one DCAT-AP record (see [`mapping`]).

pub mod config;
mod mapping;

pub use config::UdataOptions;

use crate::source::{Page, PageRequest, RecordFailure, Source};
use crate::{Fetched, HarvestError, SourceConfig, Vocabularies};
use fedcat_catalog::IriMinter;
use serde::Deserialize;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use url::Url;

/// A udata portal.
pub struct UdataSource {
    id: String,
    base: String,
    options: UdataOptions,
    language: Option<String>,
    iris: IriMinter,
    vocabularies: Arc<Vocabularies>,
    /// Lower bound of an incremental listing, ordered by last update.
    modified_since: Option<chrono::NaiveDateTime>,
    /// The `total` of the last page read, to know whether skipping a failed page makes sense.
    last_total: AtomicU64,
    /// Hosts besides its own that its next-page links may point to.
    allowed_hosts: Vec<String>,
}

const ACCEPT_JSON: &str = "application/json";

/// udata's list envelope (`udata/api/fields.py` `pager`).
#[derive(Deserialize)]
struct Envelope {
    data: Vec<serde_json::Value>,
    total: Option<u64>,
    next_page: Option<String>,
}

impl UdataSource {
    /// A connector for `config`.
    pub fn new(
        config: &SourceConfig,
        options: &UdataOptions,
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
            last_total: AtomicU64::new(u64::MAX),
            allowed_hosts: config.allowed_hosts.clone(),
        }
    }

    /// Lists datasets newest update first and stops at the first one not updated since `since`.
    pub fn modified_since(mut self, since: Option<chrono::DateTime<chrono::Utc>>) -> Self {
        self.modified_since = since.map(|t| t.naive_utc());
        self
    }

    fn request(&self, page: u64) -> Result<PageRequest, HarvestError> {
        let text = format!("{}/api/1/datasets/", self.base);
        let mut url = Url::parse(&text).map_err(|e| HarvestError::InvalidUrl {
            url: text.clone(),
            cause: e.to_string(),
        })?;
        {
            let mut query = url.query_pairs_mut();
            if let Some(org) = &self.options.organization {
                query.append_pair("organization", org);
            }
            if let Some(tag) = &self.options.tag {
                query.append_pair("tag", tag);
            }
            if self.modified_since.is_some() {
                query.append_pair("sort", "-last_update");
            }
            query.append_pair("page_size", &self.options.page_size.to_string());
            query.append_pair("page", &page.to_string());
        }
        Ok(PageRequest {
            url,
            accept: ACCEPT_JSON,
        })
    }

    fn page_of(url: &Url) -> u64 {
        super::query_number(url, "page").unwrap_or(1)
    }
}

impl Source for UdataSource {
    fn id(&self) -> &str {
        &self.id
    }

    fn allowed_hosts(&self) -> &[String] {
        &self.allowed_hosts
    }

    fn first_page(&self) -> Result<PageRequest, HarvestError> {
        self.request(1)
    }

    fn parse_page(&self, request: &PageRequest, fetched: &Fetched) -> Result<Page, HarvestError> {
        super::reject_html(fetched, "udata JSON")?;
        let url = request.url.to_string();
        let value: serde_json::Value =
            serde_json::from_slice(&fetched.body).map_err(|e| HarvestError::Parse {
                url: url.clone(),
                format: "udata JSON".into(),
                cause: e.to_string(),
            })?;
        // udata answers errors as `{"message": "..."}` (e.g. 400 for a slug as organization).
        if let Some(message) = value.get("message").and_then(|m| m.as_str())
            && value.get("data").is_none()
        {
            return Err(HarvestError::Api {
                url,
                message: message.to_owned(),
            });
        }
        let envelope: Envelope =
            serde_json::from_value(value).map_err(|e| HarvestError::Parse {
                url: url.clone(),
                format: "udata dataset list".into(),
                cause: e.to_string(),
            })?;
        if let Some(total) = envelope.total {
            self.last_total.store(total, Ordering::Relaxed);
        }
        // Newest first: once a dataset predates the bound, the rest of the listing does too.
        let reached_older = self.modified_since.is_some_and(|since| {
            envelope.data.iter().any(|d| {
                d.get("last_update")
                    .or(d.get("last_modified"))
                    .and_then(|v| v.as_str())
                    .and_then(parse_udata_time)
                    .is_some_and(|t| t < since)
            })
        });
        let next = match envelope.next_page.as_deref().filter(|n| !n.is_empty()) {
            Some(next) if !envelope.data.is_empty() && !reached_older => {
                // The API writes absolute URLs on its public host; keep them, but resolve a
                // relative one against the page.
                let next_url = request.url.join(next).map_err(|e| HarvestError::Parse {
                    url: url.clone(),
                    format: "udata next_page".into(),
                    cause: format!("{next:?} is not a URL: {e}"),
                })?;
                Some(PageRequest {
                    url: next_url,
                    accept: ACCEPT_JSON,
                })
            }
            _ => None,
        };
        let context = mapping::MappingContext {
            source_id: &self.id,
            language: self.language.as_deref(),
            iris: &self.iris,
            vocabularies: &self.vocabularies,
            page_url: &url,
        };
        let records = envelope.data.iter().enumerate().map(|(index, dataset)| {
            mapping::map_dataset(&context, dataset).ok_or_else(|| RecordFailure {
                key: None,
                message: format!(
                    "dataset {} of the page has no usable identity (no id, slug, page, uri or \
                     title)",
                    index + 1
                ),
            })
        });
        Ok(Page::from_mapped(records, next, envelope.total))
    }

    fn is_incremental(&self) -> bool {
        self.modified_since.is_some()
    }

    fn page_after_failure(&self, failed: &PageRequest) -> Option<PageRequest> {
        let total = self.last_total.load(Ordering::Relaxed);
        let page = Self::page_of(&failed.url);
        let seen = page * u64::from(self.options.page_size);
        (total != u64::MAX && seen < total)
            .then(|| self.request(page + 1).ok())
            .flatten()
    }
}

/// udata times: `2022-10-12T17:03:16.589000`, with or without an offset.
fn parse_udata_time(text: &str) -> Option<chrono::NaiveDateTime> {
    chrono::DateTime::parse_from_rfc3339(text)
        .map(|t| t.naive_utc())
        .ok()
        .or_else(|| chrono::NaiveDateTime::parse_from_str(text, "%Y-%m-%dT%H:%M:%S%.f").ok())
}
