//! fedcat-domain is the work done above the stored records, the same for the command line and
//! the server: the quality assessment of a source's records (SHACL, MQA measures, scores, DQV
//! graphs) and its producer indicators ([`quality`]), link checks and file downloads, the search
//! index kept in step with the store ([`search_sync`]), the duplicate and mapping reports
//! ([`duplicates`], [`report`]), the typed reads the HTTP layer makes ([`queries`]), and the
//! sequence that follows every harvest ([`pipeline`]).
//! It reads and writes through [`fedcat_catalog::Catalog`] and its storage traits only; the
//! binary gives it a [`DomainConfig`] taken from its configuration.

pub mod duplicates;
mod error;
pub mod pipeline;
pub mod quality;
pub mod queries;
pub mod report;
pub mod search_sync;

pub use error::DomainError;
use fedcat_catalog::CatalogError;
use fedcat_catalog::shacl::{BuiltInShapes, ShaclShapes};
use fedcat_harvester::Vocabularies;
use std::path::PathBuf;
use std::sync::Arc;

/// What the domain needs of the configuration.
#[derive(Debug, Clone)]
pub struct DomainConfig {
    /// The data directory (the search index lives in `search/` below it).
    pub data_dir: PathBuf,
    /// The configured sources' ids (the search sync drops the documents of any other).
    pub source_ids: Vec<String>,
    /// The vocabulary tables in force.
    pub vocabularies: Arc<Vocabularies>,
    /// The SHACL shapes records are validated against.
    pub shacl: ShaclSettings,
    /// Whether duplicates are linked after a harvest (`[dedup] enabled`).
    pub dedup_enabled: bool,
    /// How duplicates are linked.
    pub dedup_options: fedcat_catalog::dedup::DedupOptions,
    /// The score table in force.
    pub score_table: fedcat_catalog::quality::score::ScoreTable,
    /// Whether a link answering HEAD with an error counts as broken (`[quality] strict_head`).
    pub strict_head: bool,
}

/// Where one set of SHACL shapes comes from (`[shacl]`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ShapesSource {
    /// DCAT-AP 3.0.1's official set, compiled into the binary: the default.
    BuiltIn(BuiltInShapes),
    /// A Turtle file, or a directory whose `*.ttl` files are merged, named in `[shacl]`.
    Path(PathBuf),
    /// No validation (`[shacl] enabled = false`): the indicator is reported as not measured.
    Off,
}

impl ShapesSource {
    /// Reads and parses the shapes; `None` when validation is off.
    pub fn load(&self) -> Result<Option<ShaclShapes>, CatalogError> {
        match self {
            Self::BuiltIn(set) => ShaclShapes::built_in(*set).map(Some),
            Self::Path(path) => ShaclShapes::load(path).map(Some),
            Self::Off => Ok(None),
        }
    }
}

/// The three sets of shapes records are validated against (`[shacl]`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShaclSettings {
    /// Core shapes: DCAT-AP compliance (M13) and `report mapping`'s SHACL summary
    /// (`shapes_dir`).
    pub core: ShapesSource,
    /// Recommended-properties shapes (E13, `recommended_shapes`).
    pub recommended: ShapesSource,
    /// Controlled-vocabulary shapes (E14, `vocabulary_shapes`).
    pub vocabularies: ShapesSource,
}

impl Default for ShaclSettings {
    /// The built-in DCAT-AP 3.0.1 sets.
    fn default() -> Self {
        Self {
            core: ShapesSource::BuiltIn(BuiltInShapes::Core),
            recommended: ShapesSource::BuiltIn(BuiltInShapes::Recommended),
            vocabularies: ShapesSource::BuiltIn(BuiltInShapes::Vocabularies),
        }
    }
}
