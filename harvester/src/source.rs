//! The [`Source`] trait: the small hooks a connector implements. Everything else — fetching,
//! retries, paging to the end, storing, deletion — is the shared [`crate::fetch_loop`].

use crate::mapping::MappedRecord;
use crate::{Fetched, HarvestError};
use fedcat_catalog::{RecordGraph, ValueIssue};
use url::Url;

/// A page to fetch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PageRequest {
    /// The page URL.
    pub url: Url,
    /// The `Accept` header to send.
    pub accept: &'static str,
}

/// A record that could not be mapped: it has no usable identity (no id, no title, no URL).
#[derive(Debug, Clone)]
pub struct RecordFailure {
    /// The record's key when it is known: the stored version of that record is then kept.
    pub key: Option<String>,
    /// What went wrong.
    pub message: String,
}

/// One parsed page.
#[derive(Debug)]
pub struct Page {
    /// The page's records, each mapped or failed on its own.
    pub records: Vec<Result<RecordGraph, RecordFailure>>,
    /// The values repaired or dropped in the page's records (each names its record).
    pub issues: Vec<ValueIssue>,
    /// What was left out of the page itself (a statement the parser skipped), one message
    /// each: counted as dropped values and recorded as warnings of the job.
    pub warnings: Vec<String>,
    /// The next page, if any.
    pub next: Option<PageRequest>,
    /// The number of records the whole listing announces, when the portal says.
    pub total_hint: Option<u64>,
}

impl Page {
    /// A page of records mapped one by one, with the next page and the announced total.
    pub fn from_mapped(
        mapped: impl IntoIterator<Item = Result<MappedRecord, RecordFailure>>,
        next: Option<PageRequest>,
        total_hint: Option<u64>,
    ) -> Self {
        let mut records = Vec::new();
        let mut issues = Vec::new();
        for record in mapped {
            records.push(record.map(|record| {
                issues.extend(record.issues);
                record.graph
            }));
        }
        Self {
            records,
            issues,
            warnings: Vec::new(),
            next,
            total_hint,
        }
    }
}

/// A portal connector.
pub trait Source: Send + Sync {
    /// The source id.
    fn id(&self) -> &str;

    /// The first page of the listing.
    fn first_page(&self) -> Result<PageRequest, HarvestError>;

    /// Parses one fetched page into records and the next page.
    fn parse_page(&self, request: &PageRequest, fetched: &Fetched) -> Result<Page, HarvestError>;

    /// The page to try after `failed` could not be fetched or parsed, when the paging scheme
    /// allows skipping (offset paging); `None` stops the listing there.
    fn page_after_failure(&self, failed: &PageRequest) -> Option<PageRequest> {
        let _ = failed;
        None
    }

    /// True when the listing holds only what changed since a time: a record missing from it
    /// is not gone, so such a job never deletes.
    fn is_incremental(&self) -> bool {
        false
    }

    /// Hosts besides the first page's that later pages may be on: the source's configured
    /// `allowed_hosts` ([`crate::SourceConfig::allowed_hosts`]). The shared loop enforces it.
    fn allowed_hosts(&self) -> &[String] {
        &[]
    }
}
