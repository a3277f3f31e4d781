//! The one [`Source`] of the three JSON connectors (ckan, udata, ods): [`JsonSource`] keeps what
//! each needs from its source's configuration ([`JsonPortal`]) and does once what their pages
//! share — the body decoded as JSON (an HTML page, or a body that is not the JSON expected,
//! fails naming the page), the page's records mapped one by one (a record without identity
//! fails alone, numbered in the listing) — while each API implements the small [`JsonApi`]
//! hooks: its first page, what a decoded page holds and what follows it, the page to try after
//! a failed one. Also the distribution IRIs of a record's `resources` (ckan, udata).

use super::BuildContext;
use crate::mapping::{MappedRecord, TripleBuilder, json_str, raw_iri};
use crate::source::{Page, PageRequest, RecordFailure, Source};
use crate::vocabulary::{Lookup, VocabularyKind};
use crate::{Fetched, HarvestError, SourceConfig, Vocabularies};
use fedcat_catalog::IriMinter;
use fedcat_catalog::oxigraph::model::NamedNode;
use fedcat_catalog::oxigraph::model::vocab::rdf;
use fedcat_catalog::vocab::{dct, fedcat, rdfs};
use serde::de::DeserializeOwned;
use serde_json::Value;
use std::collections::HashSet;
use std::sync::Arc;
use url::Url;
use url::form_urlencoded::Serializer;

/// The `Accept` header of every request to a JSON API.
const ACCEPT_JSON: &str = "application/json";

/// What a JSON connector keeps from its source's configuration.
pub(crate) struct JsonPortal {
    /// The source id.
    pub id: String,
    /// The portal's root URL, without a trailing slash.
    pub base: String,
    /// The language of the source's untagged literals, if configured.
    pub language: Option<String>,
    /// Mints the IRIs of the records' nodes.
    pub iris: IriMinter,
    /// The vocabulary tables the mapping looks values up in.
    pub vocabularies: Arc<Vocabularies>,
    /// Hosts besides its own that its next-page links may point to.
    pub allowed_hosts: Vec<String>,
}

impl JsonPortal {
    /// A request for the API at `path` under the portal's root, with the query `query` writes.
    pub(crate) fn request(
        &self,
        path: &str,
        query: impl FnOnce(&mut Serializer<'_, url::UrlQuery<'_>>),
    ) -> Result<PageRequest, HarvestError> {
        let text = format!("{}{path}", self.base);
        let mut url = Url::parse(&text).map_err(|e| HarvestError::InvalidUrl {
            url: text.clone(),
            cause: e.to_string(),
        })?;
        query(&mut url.query_pairs_mut());
        Ok(request_at(url))
    }
}

/// A request for the JSON page at `url` (a next-page link the portal wrote, resolved).
pub(crate) fn request_at(url: Url) -> PageRequest {
    PageRequest {
        url,
        accept: ACCEPT_JSON,
    }
}

/// What the mapping of one record needs to know besides the record.
pub(crate) struct MappingContext<'a> {
    pub source_id: &'a str,
    pub portal_base: &'a str,
    pub language: Option<&'a str>,
    pub iris: &'a IriMinter,
    pub vocabularies: &'a Vocabularies,
    pub page_url: &'a str,
}

/// A record's licence as its portal states it.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct PortalLicence<'a> {
    /// The portal's licence id (`cc-by`, `fr-lo`).
    pub id: Option<&'a str>,
    /// The licence's URL.
    pub url: Option<&'a str>,
    /// The licence's title.
    pub title: Option<&'a str>,
}

impl MappingContext<'_> {
    /// Adds the concept of this portal's vocabularies a free-text value maps to (see
    /// [`TripleBuilder::concept`]).
    pub(crate) fn concept(
        &self,
        out: &mut TripleBuilder,
        subject: &NamedNode,
        kind: VocabularyKind,
        value: Option<&str>,
    ) -> Option<NamedNode> {
        out.concept(subject, self.vocabularies, kind, value)
    }

    /// Adds a record's `dct:license`: the EU licence that the first of the portal's id, URL and
    /// title the table knows maps to (none when it knows the value means "no licence"); else a
    /// licence document, the portal's URL when it gives one or one minted from the id or title
    /// under this source, named with what the portal said. The portal's value is kept either
    /// way (`fedcat:originalLicence` / `fedcat:unmappedLicence`), so unmapped licences are
    /// counted rather than lost.
    pub(crate) fn licence(
        &self,
        dataset: &NamedNode,
        licence: PortalLicence<'_>,
        out: &mut TripleBuilder,
    ) -> Option<NamedNode> {
        let PortalLicence { id, url, title } = licence;
        let known = [id, url, title].into_iter().flatten().find(|value| {
            self.vocabularies.lookup(VocabularyKind::Licence, value) != Lookup::Unmapped
        });
        if let Some(value) = known {
            return out.concept(
                dataset,
                self.vocabularies,
                VocabularyKind::Licence,
                Some(value),
            );
        }
        let node = match (url.map(raw_iri), id.or(title)) {
            (Some(iri), _) => iri,
            (None, Some(name)) => self.iris.entity("licence", self.source_id, name),
            (None, None) => return None,
        };
        out.add(dataset.clone(), dct::LICENSE, node.clone());
        out.add(node.clone(), rdf::TYPE, dct::LICENSE_DOCUMENT);
        out.plain(&node, rdfs::LABEL, title.or(id));
        out.plain(&node, dct::TITLE, title.or(id).or(url));
        out.plain(&node, dct::IDENTIFIER, id);
        out.plain(dataset, fedcat::UNMAPPED_LICENCE, id.or(title).or(url));
        Some(node)
    }
}

/// How an API's records are mapped, and how one that has no identity is named.
pub(crate) struct RecordMapping {
    /// What the portal calls a record (`package`, `dataset`).
    pub noun: &'static str,
    /// The keys a record's identity comes from, as the failure of a record with none of them
    /// says it (`no id, name, url or title`).
    pub identity: &'static str,
    /// Maps one record: `None` only when it has no usable identity.
    pub map: fn(&MappingContext<'_>, &Value) -> Option<MappedRecord>,
}

/// A fetched page, as an API's [`JsonApi::read_page`] reads it.
pub(crate) struct JsonPage<'a> {
    /// The connector's portal.
    pub portal: &'a JsonPortal,
    /// The request the page answers.
    pub request: &'a PageRequest,
    /// The answer.
    pub fetched: &'a Fetched,
    /// The page's URL, as errors name it.
    pub url: &'a str,
}

impl JsonPage<'_> {
    /// The body as JSON of type `T`. An HTML page (a login wall, an error page) fails as
    /// unexpected content, a body that is not `format` as a parse error.
    pub(crate) fn decode<T: DeserializeOwned>(
        &self,
        format: &'static str,
    ) -> Result<T, HarvestError> {
        super::reject_html(self.fetched, format)?;
        serde_json::from_slice(&self.fetched.body)
            .map_err(|e| self.parse_error(format, e.to_string()))
    }

    /// A part of the decoded body read as `T`, `what` naming what it should have been.
    pub(crate) fn read<T: DeserializeOwned>(
        &self,
        value: Value,
        what: &str,
    ) -> Result<T, HarvestError> {
        serde_json::from_value(value).map_err(|e| self.parse_error(what, e.to_string()))
    }

    /// The page is not the `format` it should be, because of `cause`.
    pub(crate) fn parse_error(&self, format: &str, cause: String) -> HarvestError {
        HarvestError::Parse {
            url: self.url.to_owned(),
            format: format.to_owned(),
            cause,
        }
    }

    /// The page is the API's answer that the request failed, saying `message`.
    pub(crate) fn api_error(&self, message: String) -> HarvestError {
        HarvestError::Api {
            url: self.url.to_owned(),
            message,
        }
    }
}

/// What a decoded page holds.
pub(crate) struct Listing {
    /// Its records, as the API wrote them.
    pub records: Vec<Value>,
    /// How many records come before them in the listing (their failures are numbered after).
    pub offset: u64,
    /// The next page, if any.
    pub next: Option<PageRequest>,
    /// The number of records the whole listing announces, when the API says.
    pub total: Option<u64>,
}

/// The hooks of one JSON API; [`JsonSource`] does the rest.
pub(crate) trait JsonApi: Send + Sync {
    /// How its records are mapped.
    const RECORDS: RecordMapping;

    /// The first page of the listing.
    fn first_page(&self, portal: &JsonPortal) -> Result<PageRequest, HarvestError>;

    /// What a fetched page holds ([`JsonPage::decode`] reads its body); an error for a page
    /// that is the API's error answer or not the JSON expected.
    fn read_page(&self, page: &JsonPage<'_>) -> Result<Listing, HarvestError>;

    /// As [`Source::page_after_failure`].
    fn page_after_failure(&self, portal: &JsonPortal, failed: &PageRequest) -> Option<PageRequest>;

    /// As [`Source::is_incremental`].
    fn is_incremental(&self) -> bool {
        false
    }
}

/// A connector to a JSON API: its portal and the API's hooks.
pub(crate) struct JsonSource<A> {
    portal: JsonPortal,
    api: A,
}

impl<A: JsonApi> JsonSource<A> {
    /// The connector of `config` through `api`.
    pub(crate) fn new(config: &SourceConfig, context: &BuildContext<'_>, api: A) -> Self {
        Self {
            portal: JsonPortal {
                id: config.id.clone(),
                base: config.url.as_str().trim_end_matches('/').to_owned(),
                language: config.language.clone(),
                iris: context.iris.clone(),
                vocabularies: context.vocabularies.clone(),
                allowed_hosts: config.allowed_hosts.clone(),
            },
            api,
        }
    }
}

impl<A: JsonApi> Source for JsonSource<A> {
    fn id(&self) -> &str {
        &self.portal.id
    }

    fn allowed_hosts(&self) -> &[String] {
        &self.portal.allowed_hosts
    }

    fn first_page(&self) -> Result<PageRequest, HarvestError> {
        self.api.first_page(&self.portal)
    }

    fn parse_page(&self, request: &PageRequest, fetched: &Fetched) -> Result<Page, HarvestError> {
        let url = request.url.to_string();
        let page = JsonPage {
            portal: &self.portal,
            request,
            fetched,
            url: &url,
        };
        let listing = self.api.read_page(&page)?;
        let context = MappingContext {
            source_id: &self.portal.id,
            portal_base: &self.portal.base,
            language: self.portal.language.as_deref(),
            iris: &self.portal.iris,
            vocabularies: &self.portal.vocabularies,
            page_url: &url,
        };
        let mapping = &A::RECORDS;
        let mapped = listing.records.iter().enumerate().map(|(index, record)| {
            (mapping.map)(&context, record).ok_or_else(|| RecordFailure {
                key: None,
                message: format!(
                    "{} {} of the page has no usable identity ({})",
                    mapping.noun,
                    listing.offset + index as u64 + 1,
                    mapping.identity
                ),
            })
        });
        Ok(Page::from_mapped(mapped, listing.next, listing.total))
    }

    fn page_after_failure(&self, failed: &PageRequest) -> Option<PageRequest> {
        self.api.page_after_failure(&self.portal, failed)
    }

    fn is_incremental(&self) -> bool {
        self.api.is_incremental()
    }
}

/// Each entry of `record`'s `resources` list with the IRI of its distribution, minted from the
/// resource's id. Some portals reuse a resource id inside one record (datasud.fr serves WMS and
/// WFS under the same id): the position then tells them apart, as it does for a resource
/// without id (after the record's key, `record_key`).
pub(crate) fn resources<'v>(
    context: &MappingContext<'_>,
    record: &'v Value,
    record_key: &str,
) -> Vec<(&'v Value, NamedNode)> {
    let Some(resources) = record.get("resources").and_then(Value::as_array) else {
        return Vec::new();
    };
    let mut seen_ids = HashSet::new();
    resources
        .iter()
        .enumerate()
        .map(|(index, resource)| {
            let local = match json_str(resource, "id") {
                Some(id) if seen_ids.insert(id) => id.to_owned(),
                Some(id) => format!("{id}-{index}"),
                None => format!("{record_key}-{index}"),
            };
            let distribution = context
                .iris
                .entity("distribution", context.source_id, &local);
            (resource, distribution)
        })
        .collect()
}
