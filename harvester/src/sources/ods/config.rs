//! The keys of an Opendatasoft source besides the shared ones — `where`, `page_size` (at most
//! 100) — and their validation into [`OdsOptions`], which builds the connector.

use super::OdsApi;
use crate::config::{KindSpec, OptionType, RawOptions};
use crate::sources::json_page::JsonSource;
use crate::sources::{BuildContext, KindOptions, SourceKind};
use crate::{Source, SourceConfig};

/// What an Opendatasoft source is told of another kind's filter.
const FILTERS: &str = "an ods source filters with `where` (ODSQL)";

/// The Opendatasoft kind (`type = "ods"`), as configuration reads it.
pub(crate) static SPEC: KindSpec = KindSpec {
    name: "ods",
    keys: &[
        ("where", OptionType::Text),
        ("page_size", OptionType::Count),
    ],
    refuses: &[("organization", FILTERS), ("tag", FILTERS), ("fq", FILTERS)],
    tolerates: &[],
    elsewhere: &[("where", "only ods sources take a where filter")],
    validate,
};

/// Options of an Opendatasoft source.
#[derive(Debug, Clone, PartialEq)]
pub struct OdsOptions {
    /// ODSQL `where` clause on the catalogue.
    pub where_clause: Option<String>,
    /// `limit` per page (at most 100 on the Explore API).
    pub page_size: u32,
}

/// Validates the keys of an Opendatasoft source: a page holds at most 100 datasets.
fn validate(options: &RawOptions, problem: &mut dyn FnMut(&str, String)) -> SourceKind {
    let page_size = options.count("page_size");
    if page_size.is_some_and(|size| size > 100) {
        problem(
            "page_size",
            "the Explore API returns at most 100 datasets per page".into(),
        );
    }
    SourceKind::Ods(OdsOptions {
        where_clause: options.text("where").map(str::to_owned),
        page_size: page_size.unwrap_or(100),
    })
}

impl KindOptions for OdsOptions {
    fn spec(&self) -> &'static KindSpec {
        &SPEC
    }

    /// The Explore API has no modification filter: every run sweeps in full.
    fn build(&self, config: &SourceConfig, context: &BuildContext<'_>) -> Box<dyn Source> {
        Box::new(JsonSource::new(config, context, OdsApi::new(self)))
    }
}
