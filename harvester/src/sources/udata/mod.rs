//! udata API v1 connector (data.gouv.fr): `/api/1/datasets/` paged by `page`/`page_size`,
//! following the `next_page` URL the API gives until it is null, filtered by organization id
//! or tag. Each dataset becomes one DCAT-AP record (see [`mapping`]).

pub mod config;
mod mapping;

pub use config::UdataOptions;

use super::json_page::{self, JsonApi, JsonPage, JsonPortal, Listing, RecordMapping};
use crate::HarvestError;
use crate::source::PageRequest;
use serde::Deserialize;
use std::sync::atomic::{AtomicU64, Ordering};
use url::Url;

/// What a page is, for errors.
const FORMAT: &str = "udata JSON";

/// The udata API's part of a udata connector (a `JsonSource`): its query,
/// its paging by `next_page` and its answer's envelope.
pub(crate) struct UdataApi {
    options: UdataOptions,
    /// Lower bound of an incremental listing, ordered by last update.
    modified_since: Option<chrono::NaiveDateTime>,
    /// The `total` of the last page read, to know whether skipping a failed page makes sense.
    last_total: AtomicU64,
}

/// udata's list envelope (`udata/api/fields.py` `pager`).
#[derive(Deserialize)]
struct Envelope {
    data: Vec<serde_json::Value>,
    total: Option<u64>,
    next_page: Option<String>,
}

impl UdataApi {
    /// The API of a source with `options`.
    pub(crate) fn new(options: &UdataOptions) -> Self {
        Self {
            options: options.clone(),
            modified_since: None,
            last_total: AtomicU64::new(u64::MAX),
        }
    }

    /// Lists datasets newest update first and stops at the first one not updated since `since`.
    pub(crate) fn modified_since(mut self, since: Option<chrono::DateTime<chrono::Utc>>) -> Self {
        self.modified_since = since.map(|t| t.naive_utc());
        self
    }

    fn request(&self, portal: &JsonPortal, page: u64) -> Result<PageRequest, HarvestError> {
        portal.request("/api/1/datasets/", |query| {
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
        })
    }

    fn page_of(url: &Url) -> u64 {
        super::query_number(url, "page").unwrap_or(1)
    }
}

impl JsonApi for UdataApi {
    const RECORDS: RecordMapping = RecordMapping {
        noun: "dataset",
        identity: "no id, slug, page, uri or title",
        map: mapping::map_dataset,
    };

    fn first_page(&self, portal: &JsonPortal) -> Result<PageRequest, HarvestError> {
        self.request(portal, 1)
    }

    fn read_page(&self, page: &JsonPage<'_>) -> Result<Listing, HarvestError> {
        let value: serde_json::Value = page.decode(FORMAT)?;
        // udata answers errors as `{"message": "..."}` (e.g. 400 for a slug as organization).
        if let Some(message) = value.get("message").and_then(|m| m.as_str())
            && value.get("data").is_none()
        {
            return Err(page.api_error(message.to_owned()));
        }
        let envelope: Envelope = page.read(value, "udata dataset list")?;
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
                let next_url = page.request.url.join(next).map_err(|e| {
                    page.parse_error("udata next_page", format!("{next:?} is not a URL: {e}"))
                })?;
                Some(json_page::request_at(next_url))
            }
            _ => None,
        };
        // Records are numbered within the page.
        Ok(Listing {
            records: envelope.data,
            offset: 0,
            next,
            total: envelope.total,
        })
    }

    fn page_after_failure(&self, portal: &JsonPortal, failed: &PageRequest) -> Option<PageRequest> {
        let total = self.last_total.load(Ordering::Relaxed);
        let page = Self::page_of(&failed.url);
        let seen = page * u64::from(self.options.page_size);
        (total != u64::MAX && seen < total)
            .then(|| self.request(portal, page + 1).ok())
            .flatten()
    }

    fn is_incremental(&self) -> bool {
        self.modified_since.is_some()
    }
}

/// udata times: `2022-10-12T17:03:16.589000`, with or without an offset.
fn parse_udata_time(text: &str) -> Option<chrono::NaiveDateTime> {
    chrono::DateTime::parse_from_rfc3339(text)
        .map(|t| t.naive_utc())
        .ok()
        .or_else(|| chrono::NaiveDateTime::parse_from_str(text, "%Y-%m-%dT%H:%M:%S%.f").ok())
}
