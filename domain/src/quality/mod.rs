//! Wiring metadata quality to the application: the facts the measurements need, read from the
//! vocabulary tables in force (MQA's machine-readable and non-proprietary flags of the EU file
//! types, the media types of those file types, the EU licence table as the "predefined
//! collection" of known licences, and the open licences among them); the assessment of every
//! stored record of a source; a producer's indicators and their report.

mod assess;
mod facts;
mod indicators;
mod links;
mod snapshot;

pub use assess::{
    ASSESSMENT_BATCH, Assessor, DatasetAssessment, ShapeSets, assess_records, assess_source,
    assess_source_in_batches,
};
pub use facts::facts;
pub use indicators::{DatasetTally, IndicatorTally, Indicators, indicators, render};
pub use links::{AVAILABILITY_CHECKS, LinkRun, check_source_links, link_checks};
pub use snapshot::{Snapshot, snapshot_source, summary_line};

use crate::DomainConfig;
use fedcat_catalog::oxigraph::model::Triple;
use fedcat_catalog::oxigraph::model::vocab::rdf;
use fedcat_catalog::oxigraph::model::{NamedNode, NamedOrBlankNode, Term};
use fedcat_catalog::quality::measure::{
    FileFacts, LinkCheck, MeasureOptions, QualityFacts, ShaclOutcome, Value, measure,
};
use fedcat_catalog::quality::score::{Rating, ScoreTable, Scores, score};
use fedcat_catalog::shacl::{ShaclShapes, Violation};
use fedcat_catalog::{Catalog, GraphStore, IriMinter};
use fedcat_harvester::{Vocabularies, vocabulary::VocabularyKind};
use std::collections::HashMap;
