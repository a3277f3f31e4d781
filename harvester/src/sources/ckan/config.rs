//! The keys of a CKAN source besides the shared ones — `organization`, `fq`, `page_size` — and
//! their validation into [`CkanOptions`], which builds the connector.

use super::CkanApi;
use crate::config::{KindSpec, OptionType, RawOptions};
use crate::sources::json_page::JsonSource;
use crate::sources::{BuildContext, KindOptions, SourceKind};
use crate::{Source, SourceConfig};

/// The CKAN kind (`type = "ckan"`), as configuration reads it. Its refusals of other kinds'
/// filters come from the kinds that take them (`tag`: udata, `where`: ods).
pub(crate) static SPEC: KindSpec = KindSpec {
    name: "ckan",
    keys: &[
        ("organization", OptionType::Text),
        ("fq", OptionType::Text),
        ("page_size", OptionType::Count),
    ],
    refuses: &[],
    tolerates: &[],
    elsewhere: &[],
    validate,
};

/// Options of a CKAN source.
#[derive(Debug, Clone, PartialEq)]
pub struct CkanOptions {
    /// Organization name filter (`fq=organization:NAME`).
    pub organization: Option<String>,
    /// Extra `fq` clause.
    pub fq: Option<String>,
    /// `rows` per page.
    pub page_size: u32,
}

/// Validates the keys of a CKAN source: an organization, when written, is not blank.
fn validate(options: &RawOptions, problem: &mut dyn FnMut(&str, String)) -> SourceKind {
    let organization = options.text("organization");
    if let Some(org) = organization
        && org.trim().is_empty()
    {
        problem("organization", "empty".into());
    }
    SourceKind::Ckan(CkanOptions {
        organization: organization.map(str::to_owned),
        fq: options.text("fq").map(str::to_owned),
        page_size: options.count("page_size").unwrap_or(100),
    })
}

impl KindOptions for CkanOptions {
    fn spec(&self) -> &'static KindSpec {
        &SPEC
    }

    fn lists_incrementally(&self) -> bool {
        true
    }

    fn build(&self, config: &SourceConfig, context: &BuildContext<'_>) -> Box<dyn Source> {
        let api = CkanApi::new(self).modified_since(context.modified_since);
        Box::new(JsonSource::new(config, context, api))
    }
}
