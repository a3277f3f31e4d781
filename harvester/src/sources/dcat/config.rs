//! The keys of a DCAT source besides the shared ones — `modified_since_param` — and their
//! validation into [`DcatOptions`], which builds the connector. A DCAT source takes no filter
//! (its catalogue URL says what to list) and may read a `file://` URL.

use crate::config::{KindSpec, OptionType, RawOptions};
use crate::sources::{BuildContext, KindOptions, SourceKind};
use crate::{Source, SourceConfig};

/// What a DCAT source is told of another kind's filter.
const FILTERS: &str = "a dcat source takes no filter: put it in the catalogue URL";

/// The DCAT kind (`type = "dcat"`), as configuration reads it. `page_size` is let pass
/// unread, as it always was: the catalogue pages itself.
pub(crate) static SPEC: KindSpec = KindSpec {
    name: "dcat",
    keys: &[("modified_since_param", OptionType::Text)],
    refuses: &[
        ("organization", FILTERS),
        ("tag", FILTERS),
        ("fq", FILTERS),
        ("where", FILTERS),
    ],
    tolerates: &["page_size"],
    elsewhere: &[(
        "modified_since_param",
        "only dcat sources take it (ckan and udata know their own)",
    )],
    validate,
};

/// Options of a DCAT source.
#[derive(Debug, Clone, PartialEq)]
pub struct DcatOptions {
    /// The query parameter for incremental listings, if the endpoint has one.
    pub modified_since_param: Option<String>,
}

/// Reads the keys of a DCAT source (none of them can be wrong once read).
fn validate(options: &RawOptions, _problem: &mut dyn FnMut(&str, String)) -> SourceKind {
    SourceKind::Dcat(DcatOptions {
        modified_since_param: options.text("modified_since_param").map(str::to_owned),
    })
}

impl KindOptions for DcatOptions {
    fn spec(&self) -> &'static KindSpec {
        &SPEC
    }

    /// Only with the endpoint's parameter for it.
    fn lists_incrementally(&self) -> bool {
        self.modified_since_param.is_some()
    }

    fn reads_files(&self) -> bool {
        true
    }

    fn build(&self, config: &SourceConfig, context: &BuildContext<'_>) -> Box<dyn Source> {
        let source = super::DcatSource::new(config, context.iris);
        Box::new(
            source.modified_since(self.modified_since_param.as_deref(), context.modified_since),
        )
    }
}
