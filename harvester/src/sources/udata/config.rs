//! The keys of a udata source besides the shared ones — `organization` (an id), `tag`,
//! `page_size` — and their validation into [`UdataOptions`], which builds the connector.

use super::UdataApi;
use crate::config::{KindSpec, OptionType, RawOptions};
use crate::sources::json_page::JsonSource;
use crate::sources::{BuildContext, KindOptions, SourceKind};
use crate::{Source, SourceConfig};

/// What a udata source is told of another kind's filter.
const FILTERS: &str = "a udata source filters by organization or tag";

/// The udata kind (`type = "udata"`), as configuration reads it.
pub(crate) static SPEC: KindSpec = KindSpec {
    name: "udata",
    keys: &[
        ("organization", OptionType::Text),
        ("tag", OptionType::Text),
        ("page_size", OptionType::Count),
    ],
    refuses: &[("fq", FILTERS), ("where", FILTERS)],
    tolerates: &[],
    elsewhere: &[("tag", "only udata sources take a tag filter")],
    validate,
};

/// Options of a udata source.
#[derive(Debug, Clone, PartialEq)]
pub struct UdataOptions {
    /// Organization id filter (an ObjectId: udata rejects slugs here).
    pub organization: Option<String>,
    /// Tag filter.
    pub tag: Option<String>,
    /// `page_size` per page.
    pub page_size: u32,
}

/// Validates the keys of a udata source: an organization is an id, not a slug.
fn validate(options: &RawOptions, problem: &mut dyn FnMut(&str, String)) -> SourceKind {
    let organization = options.text("organization");
    // udata answers 400 to a slug here (PRODUCERS.md 2.2): say so before harvesting.
    if let Some(org) = organization
        && !(org.len() == 24 && org.bytes().all(|b| b.is_ascii_hexdigit()))
    {
        problem(
            "organization",
            format!(
                "{org:?} is not a udata organization id (24 hex digits); udata's \
                 dataset filter rejects slugs — find the id at /api/1/organizations/SLUG/"
            ),
        );
    }
    SourceKind::Udata(UdataOptions {
        organization: organization.map(str::to_owned),
        tag: options.text("tag").map(str::to_owned),
        page_size: options.count("page_size").unwrap_or(100),
    })
}

impl KindOptions for UdataOptions {
    fn spec(&self) -> &'static KindSpec {
        &SPEC
    }

    fn lists_incrementally(&self) -> bool {
        true
    }

    fn build(&self, config: &SourceConfig, context: &BuildContext<'_>) -> Box<dyn Source> {
        let api = UdataApi::new(self).modified_since(context.modified_since);
        Box::new(JsonSource::new(config, context, api))
    }
}
