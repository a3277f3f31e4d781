//! Opendatasoft Explore API v2.1 connector: `/api/explore/v2.1/catalog/datasets` paged by
//! `limit`/`offset` (at most 100 per page, and the API refuses `offset + limit` ≥ 10,000: a
//! larger catalogue fails there and is then not complete, so nothing is deleted — use a DCAT
//! source on `/catalog/exports/dcat` for such portals). Each dataset becomes one DCAT-AP record
//! (see [`mapping`]) with distributions for the portal's standard exports.

pub mod config;
mod mapping;

pub use config::OdsOptions;

use crate::source::{Page, PageRequest, RecordFailure, Source};
use crate::{Fetched, HarvestError, SourceConfig, Vocabularies};
use fedcat_catalog::IriMinter;
use serde::Deserialize;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use url::Url;

/// An Opendatasoft portal.
pub struct OdsSource {
    id: String,
    base: String,
    options: OdsOptions,
    language: Option<String>,
    iris: IriMinter,
    vocabularies: Arc<Vocabularies>,
    last_total: AtomicU64,
    /// Hosts besides its own that its next-page links may point to.
    allowed_hosts: Vec<String>,
}

const ACCEPT_JSON: &str = "application/json";

/// The Explore API refuses `offset + limit` at or above this (OpenAPI description, `limit`).
const MAX_WINDOW: u64 = 10_000;

#[derive(Deserialize)]
struct Datasets {
    total_count: u64,
    results: Vec<serde_json::Value>,
}

impl OdsSource {
    /// A connector for `config`; its URL is the portal root (`https://data.ameli.fr`).
    pub fn new(
        config: &SourceConfig,
        options: &OdsOptions,
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
            last_total: AtomicU64::new(u64::MAX),
            allowed_hosts: config.allowed_hosts.clone(),
        }
    }

    fn request(&self, offset: u64) -> Result<PageRequest, HarvestError> {
        let text = format!("{}/api/explore/v2.1/catalog/datasets", self.base);
        let mut url = Url::parse(&text).map_err(|e| HarvestError::InvalidUrl {
            url: text.clone(),
            cause: e.to_string(),
        })?;
        {
            let mut query = url.query_pairs_mut();
            query.append_pair("limit", &self.options.page_size.to_string());
            query.append_pair("offset", &offset.to_string());
            // A stable order, so that pages do not overlap while the catalogue changes.
            query.append_pair("order_by", "dataset_id");
            if let Some(clause) = &self.options.where_clause {
                query.append_pair("where", clause);
            }
            if let Some(language) = &self.language {
                query.append_pair("lang", language);
            }
        }
        Ok(PageRequest {
            url,
            accept: ACCEPT_JSON,
        })
    }

    fn offset_of(url: &Url) -> u64 {
        super::query_number(url, "offset").unwrap_or(0)
    }
}

impl Source for OdsSource {
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
        super::reject_html(fetched, "Opendatasoft JSON")?;
        let url = request.url.to_string();
        let value: serde_json::Value =
            serde_json::from_slice(&fetched.body).map_err(|e| HarvestError::Parse {
                url: url.clone(),
                format: "Opendatasoft JSON".into(),
                cause: e.to_string(),
            })?;
        // Errors come as `{"message", "error_code"}` (bad request) or `{"error", "errorcode"}`
        // (quota).
        if value.get("results").is_none()
            && let Some(message) = value
                .get("message")
                .or(value.get("error"))
                .and_then(|m| m.as_str())
        {
            return Err(HarvestError::Api {
                url,
                message: message.to_owned(),
            });
        }
        let datasets: Datasets =
            serde_json::from_value(value).map_err(|e| HarvestError::Parse {
                url: url.clone(),
                format: "Opendatasoft catalog/datasets response".into(),
                cause: e.to_string(),
            })?;
        self.last_total
            .store(datasets.total_count, Ordering::Relaxed);
        let offset = Self::offset_of(&request.url);
        let limit = u64::from(self.options.page_size);
        let next = if !datasets.results.is_empty() && offset + limit < datasets.total_count {
            Some(self.request(offset + limit)?)
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
        let records = datasets.results.iter().enumerate().map(|(index, dataset)| {
            mapping::map_dataset(&context, dataset).ok_or_else(|| RecordFailure {
                key: None,
                message: format!(
                    "dataset {} of the page has no usable identity (no dataset_id, dataset_uid \
                     or title)",
                    offset + index as u64 + 1
                ),
            })
        });
        Ok(Page::from_mapped(records, next, Some(datasets.total_count)))
    }

    fn page_after_failure(&self, failed: &PageRequest) -> Option<PageRequest> {
        let total = self.last_total.load(Ordering::Relaxed);
        let limit = u64::from(self.options.page_size);
        let next = Self::offset_of(&failed.url) + limit;
        // Past the API's window every page fails the same way: stop there.
        (total != u64::MAX && next < total && next + limit < MAX_WINDOW)
            .then(|| self.request(next).ok())
            .flatten()
    }
}
