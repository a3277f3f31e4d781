//! fedcat-harvester fetches the catalogues of producer portals and turns each of their records
//! into a DCAT-AP graph for the catalog crate. One connector per portal software (CKAN, DCAT…)
//! implements the small [`Source`] trait — first page, parse a page, next page — and the shared
//! [`fetch_loop`] does everything else once: paging to the end, stopping on repeated pages,
//! politeness through the shared [`HttpClient`] (rate limit per host, timeouts, retries, size
//! cap), recording every failure with its page or record, and deleting records only after a
//! complete, successful listing.

pub mod config;
mod error;
pub mod fetch_loop;
pub mod filecheck;
pub mod http;
pub mod linkcheck;
pub mod mapping;
pub mod repair;
pub mod source;
pub mod sources;
pub mod vocabulary;

pub use config::{ConfigProblem, SourceConfig, SourcesFile};
pub use error::HarvestError;
pub use fetch_loop::{HarvestOptions, HarvestReport, ProgressEvent, harvest_source};
pub use http::{Fetched, HttpClient, HttpSettings, Validators};
pub use source::{Page, PageRequest, RecordFailure, Source};
pub use sources::{SourceKind, build_source};
pub use vocabulary::{Lookup, Vocabularies, VocabularyKind};
