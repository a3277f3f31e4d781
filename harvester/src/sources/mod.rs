//! The connectors, one folder per portal software: `mod.rs` is the connector (a [`Source`],
//! or for a JSON API the hooks that `json_page::JsonSource` runs), `config.rs` its keys in
//! `sources.toml`, their validation into its options and the `build` of the connector from
//! them, `mapping.rs` (for JSON APIs) a record to DCAT-AP. Adding a portal software is one
//! folder here and one arm in [`SourceKind`] (with its line in [`KINDS`] and in
//! `SourceKind::options`); a key no kind took before also takes its place in the order of
//! `config::SOURCE_KEYS`.

pub mod ckan;
pub mod dcat;
mod json_page;
pub mod ods;
pub mod udata;

use crate::config::KindSpec;
use crate::{HarvestError, Source, SourceConfig, Vocabularies};
use fedcat_catalog::IriMinter;
use std::sync::Arc;

/// Every kind of source, in the order messages list them (`ckan, udata, ods or dcat`).
pub static KINDS: [&KindSpec; 4] = [
    &ckan::config::SPEC,
    &udata::config::SPEC,
    &ods::config::SPEC,
    &dcat::config::SPEC,
];

/// What kind of source, with its kind's validated options: the `type` key of a `[[source]]`
/// table selects the variant, and the kind's `config.rs` reads and checks its other keys.
#[derive(Debug, Clone, PartialEq)]
pub enum SourceKind {
    /// CKAN Action API.
    Ckan(ckan::CkanOptions),
    /// udata API v1.
    Udata(udata::UdataOptions),
    /// Opendatasoft Explore API v2.1.
    Ods(ods::OdsOptions),
    /// DCAT RDF catalogue.
    Dcat(dcat::DcatOptions),
}

impl SourceKind {
    /// The kind's options, as what the options of every kind answer.
    fn options(&self) -> &dyn KindOptions {
        match self {
            Self::Ckan(options) => options,
            Self::Udata(options) => options,
            Self::Ods(options) => options,
            Self::Dcat(options) => options,
        }
    }

    /// The configuration name of the kind.
    pub fn as_str(&self) -> &'static str {
        self.options().spec().name
    }

    /// True when its listing can hold only what changed since a time (ckan, udata, and dcat
    /// with `modified_since_param`); the others always sweep in full.
    pub fn lists_incrementally(&self) -> bool {
        self.options().lists_incrementally()
    }

    /// True when its URL may be `file://` (dcat).
    pub fn reads_files(&self) -> bool {
        self.options().reads_files()
    }
}

/// What the validated options of every kind answer.
pub(crate) trait KindOptions {
    /// Its kind.
    fn spec(&self) -> &'static KindSpec;

    /// True when its listing can hold only what changed since a time.
    fn lists_incrementally(&self) -> bool {
        false
    }

    /// True when its URL may be `file://`.
    fn reads_files(&self) -> bool {
        false
    }

    /// The connector of `config`, a source of this kind.
    fn build(&self, config: &SourceConfig, context: &BuildContext<'_>) -> Box<dyn Source>;
}

/// What building a connector needs besides its source's configuration.
pub(crate) struct BuildContext<'a> {
    /// Mints the IRIs of its records.
    pub iris: &'a IriMinter,
    /// The vocabulary tables its mapping looks values up in.
    pub vocabularies: &'a Arc<Vocabularies>,
    /// Set for an incremental listing: only what changed since then (a kind that cannot list so
    /// ignores it).
    pub modified_since: Option<chrono::DateTime<chrono::Utc>>,
}

/// Builds the connector for a validated source; `modified_since` makes a CKAN or udata listing
/// (or a DCAT one with `modified_since_param`) incremental; other kinds ignore it and sweep in
/// full.
pub fn build_source(
    config: &SourceConfig,
    iris: &IriMinter,
    vocabularies: &Arc<Vocabularies>,
    modified_since: Option<chrono::DateTime<chrono::Utc>>,
) -> Result<Box<dyn Source>, HarvestError> {
    let context = BuildContext {
        iris,
        vocabularies,
        modified_since,
    };
    Ok(config.kind.options().build(config, &context))
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
