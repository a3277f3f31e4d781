//! The connectors, one module per portal software. Adding a portal software is one module here
//! and one arm in [`build_source`] (and in `config::SourceKind`).

pub mod ckan;
pub mod dcat;
pub mod ods;
pub mod udata;

use crate::Vocabularies;
use crate::{HarvestError, Source, SourceConfig, SourceKind};
use fedcat_catalog::IriMinter;
use std::sync::Arc;

/// Builds the connector for a validated source; `modified_since` makes a CKAN or udata listing
/// incremental (other kinds ignore it and sweep in full).
pub fn build_source(
    config: &SourceConfig,
    iris: &IriMinter,
    vocabularies: &Arc<Vocabularies>,
    modified_since: Option<chrono::DateTime<chrono::Utc>>,
) -> Result<Box<dyn Source>, HarvestError> {
    Ok(match &config.kind {
        SourceKind::Ckan(options) => Box::new(
            ckan::CkanSource::new(config, options, iris, vocabularies.clone())
                .modified_since(modified_since),
        ),
        SourceKind::Udata(options) => Box::new(
            udata::UdataSource::new(config, options, iris, vocabularies.clone())
                .modified_since(modified_since),
        ),
        SourceKind::Ods(options) => Box::new(ods::OdsSource::new(
            config,
            options,
            iris,
            vocabularies.clone(),
        )),
        SourceKind::Dcat(options) => Box::new(
            dcat::DcatSource::new(config, iris)
                .modified_since(options.modified_since_param.as_deref(), modified_since),
        ),
    })
}

/// A numeric query parameter of a page URL (`start`, `offset`, `page`), if present.
pub(crate) fn query_number(url: &url::Url, name: &str) -> Option<u64> {
    url.query_pairs()
        .find(|(k, _)| k == name)
        .and_then(|(_, v)| v.parse().ok())
}

/// Rejects an HTML page or other non-data body where the API returns JSON or RDF.
pub(crate) fn reject_html(
    fetched: &crate::Fetched,
    expected: &'static str,
) -> Result<(), HarvestError> {
    let looks_html = {
        let start = String::from_utf8_lossy(&fetched.body[..fetched.body.len().min(512)])
            .trim_start_matches('\u{feff}')
            .trim_start()
            .to_ascii_lowercase();
        start.starts_with("<!doctype html") || start.starts_with("<html")
    };
    if fetched.content_type.as_deref() == Some("text/html") || looks_html {
        return Err(HarvestError::UnexpectedContent {
            url: fetched.url.to_string(),
            expected,
            got: format!(
                "an HTML page (Content-Type {})",
                fetched.content_type.as_deref().unwrap_or("none")
            ),
            snippet: crate::error::body_snippet(&fetched.body, 120),
        });
    }
    Ok(())
}
