//! Opendatasoft Explore API v2.1 connector: `/api/explore/v2.1/catalog/datasets` paged by
//! `limit`/`offset` (at most 100 per page, and the API refuses `offset + limit` ≥ 10,000: a
//! larger catalogue fails there and is then not complete, so nothing is deleted — use a DCAT
//! source on `/catalog/exports/dcat` for such portals). Each dataset becomes one DCAT-AP record
//! (see [`mapping`]) with distributions for the portal's standard exports.

pub mod config;
mod mapping;

pub use config::OdsOptions;

use super::json_page::{JsonApi, JsonPage, JsonPortal, Listing, RecordMapping};
use crate::HarvestError;
use crate::source::PageRequest;
use serde::Deserialize;
use std::sync::atomic::{AtomicU64, Ordering};
use url::Url;

/// What a page is, for errors.
const FORMAT: &str = "Opendatasoft JSON";

/// The Explore API refuses `offset + limit` at or above this (OpenAPI description, `limit`).
const MAX_WINDOW: u64 = 10_000;

/// The Explore API's part of an Opendatasoft connector (a `JsonSource`),
/// whose URL is the portal root (`https://data.ameli.fr`): its query, its paging by offset and
/// its answer.
pub(crate) struct OdsApi {
    options: OdsOptions,
    last_total: AtomicU64,
}

#[derive(Deserialize)]
struct Datasets {
    total_count: u64,
    results: Vec<serde_json::Value>,
}

impl OdsApi {
    /// The API of a source with `options`.
    pub(crate) fn new(options: &OdsOptions) -> Self {
        Self {
            options: options.clone(),
            last_total: AtomicU64::new(u64::MAX),
        }
    }

    fn request(&self, portal: &JsonPortal, offset: u64) -> Result<PageRequest, HarvestError> {
        portal.request("/api/explore/v2.1/catalog/datasets", |query| {
            query.append_pair("limit", &self.options.page_size.to_string());
            query.append_pair("offset", &offset.to_string());
            // A stable order, so that pages do not overlap while the catalogue changes.
            query.append_pair("order_by", "dataset_id");
            if let Some(clause) = &self.options.where_clause {
                query.append_pair("where", clause);
            }
            if let Some(language) = &portal.language {
                query.append_pair("lang", language);
            }
        })
    }

    fn offset_of(url: &Url) -> u64 {
        super::query_number(url, "offset").unwrap_or(0)
    }
}

impl JsonApi for OdsApi {
    const RECORDS: RecordMapping = RecordMapping {
        noun: "dataset",
        identity: "no dataset_id, dataset_uid or title",
        map: mapping::map_dataset,
    };

    fn first_page(&self, portal: &JsonPortal) -> Result<PageRequest, HarvestError> {
        self.request(portal, 0)
    }

    fn read_page(&self, page: &JsonPage<'_>) -> Result<Listing, HarvestError> {
        let value: serde_json::Value = page.decode(FORMAT)?;
        // Errors come as `{"message", "error_code"}` (bad request) or `{"error", "errorcode"}`
        // (quota).
        if value.get("results").is_none()
            && let Some(message) = value
                .get("message")
                .or(value.get("error"))
                .and_then(|m| m.as_str())
        {
            return Err(page.api_error(message.to_owned()));
        }
        let datasets: Datasets = page.read(value, "Opendatasoft catalog/datasets response")?;
        self.last_total
            .store(datasets.total_count, Ordering::Relaxed);
        let offset = Self::offset_of(&page.request.url);
        let limit = u64::from(self.options.page_size);
        let next = if !datasets.results.is_empty() && offset + limit < datasets.total_count {
            Some(self.request(page.portal, offset + limit)?)
        } else {
            None
        };
        Ok(Listing {
            records: datasets.results,
            offset,
            next,
            total: Some(datasets.total_count),
        })
    }

    fn page_after_failure(&self, portal: &JsonPortal, failed: &PageRequest) -> Option<PageRequest> {
        let total = self.last_total.load(Ordering::Relaxed);
        let limit = u64::from(self.options.page_size);
        let next = Self::offset_of(&failed.url) + limit;
        // Past the API's window every page fails the same way: stop there.
        (total != u64::MAX && next < total && next + limit < MAX_WINDOW)
            .then(|| self.request(portal, next).ok())
            .flatten()
    }
}
