//! DCAT connector: a catalogue published as RDF (Turtle, RDF/XML, JSON-LD, N-Triples, N-Quads,
//! TriG), negotiated by `Accept` and recognised by `Content-Type`, file extension or content.
//! Hydra paging is followed in both styles real portals use: `hydra:PagedCollection` +
//! `hydra:nextPage` (ckanext-dcat, GovData) and `hydra:PartialCollectionView` + `hydra:next`
//! (udata/data.gouv.fr). Each page is split into one record per `dcat:Dataset` ([`split`]),
//! keeping every triple of the record.

pub mod config;
mod split;

pub use config::DcatOptions;

use crate::mapping::{MappedRecord, finish_record};
use crate::repair::{IriRepair, repair_iri};
use crate::source::{Page, PageRequest, RecordFailure, Source};
use crate::{Fetched, HarvestError, SourceConfig};
use fedcat_catalog::IriMinter;
use fedcat_catalog::oxigraph::io::{JsonLdProfileSet, LoadedDocument, RdfFormat, RdfParser};
use fedcat_catalog::oxigraph::model::{NamedOrBlankNode, Term, Triple};
use fedcat_catalog::vocab::{dcat, dct, foaf, hydra};
use url::Url;

const ACCEPT_RDF: &str = "text/turtle, application/rdf+xml;q=0.9, application/ld+json;q=0.8, \
                          application/n-triples;q=0.7, application/trig;q=0.5, */*;q=0.1";

/// A DCAT catalogue.
pub struct DcatSource {
    id: String,
    url: Url,
    iris: IriMinter,
    /// Set for an incremental listing: the first page asks for records modified since then.
    incremental: bool,
    /// Hosts besides its own that its next-page links may point to.
    allowed_hosts: Vec<String>,
}

impl DcatSource {
    /// A connector for `config` (its `url` is the catalogue's first page).
    pub fn new(config: &SourceConfig, iris: &IriMinter) -> Self {
        Self {
            id: config.id.clone(),
            url: config.url.clone(),
            iris: iris.clone(),
            incremental: false,
            allowed_hosts: config.allowed_hosts.clone(),
        }
    }

    /// Asks the catalogue for the records modified since `since` with the endpoint's
    /// parameter (`modified_since=2026-11-23T10:00:00Z`); without a parameter, a full listing.
    pub fn modified_since(
        mut self,
        param: Option<&str>,
        since: Option<chrono::DateTime<chrono::Utc>>,
    ) -> Self {
        if let (Some(param), Some(since)) = (param, since) {
            self.url
                .query_pairs_mut()
                .append_pair(param, &since.format("%Y-%m-%dT%H:%M:%SZ").to_string());
            self.incremental = true;
        }
        self
    }
}

/// The RDF format of a response: its media type, else its URL's extension, else its content.
pub fn detect_format(fetched: &Fetched) -> Option<RdfFormat> {
    let json_ld = RdfFormat::JsonLd {
        profile: JsonLdProfileSet::empty(),
    };
    let by_media_type = fetched.content_type.as_deref().and_then(|ct| match ct {
        "application/xml" | "text/xml" => Some(RdfFormat::RdfXml),
        "application/json" => Some(json_ld),
        // text/plain is how some servers label N-Triples, and how others label anything.
        "text/plain" | "application/octet-stream" => None,
        other => RdfFormat::from_media_type(other),
    });
    if by_media_type.is_some() {
        return by_media_type;
    }
    let path = fetched.url.path().to_ascii_lowercase();
    let by_extension = path.rsplit_once('.').and_then(|(_, ext)| match ext {
        "xml" | "rdf" | "owl" => Some(RdfFormat::RdfXml),
        "json" | "jsonld" => Some(json_ld),
        other => RdfFormat::from_extension(other),
    });
    if by_extension.is_some() {
        return by_extension;
    }
    let start = String::from_utf8_lossy(&fetched.body[..fetched.body.len().min(1024)]);
    let start = start.trim_start_matches('\u{feff}').trim_start();
    if start.starts_with("<?xml") || start.starts_with("<rdf:RDF") {
        Some(RdfFormat::RdfXml)
    } else if start.starts_with('{') || start.starts_with('[') {
        Some(json_ld)
    } else if start.starts_with("@prefix")
        || start.starts_with("PREFIX")
        || start.starts_with("@base")
    {
        Some(RdfFormat::Turtle)
    } else if start.starts_with('<') || start.starts_with("_:") {
        Some(RdfFormat::NTriples)
    } else {
        None
    }
}

/// A parsed page: its triples, and what was repaired in it.
pub struct ParsedRdf {
    /// Every triple read.
    pub triples: Vec<Triple>,
    /// What had to be repaired for the page to parse (text beside an `rdf:resource`), one
    /// message each, for the job's warnings.
    pub warnings: Vec<String>,
}

/// The most syntax errors collected from one page.
const MAX_SYNTAX_ERRORS: usize = 100;

/// Parses a whole RDF document into triples (graph names dropped). Blank nodes are renamed so
/// that labels reused by different documents never meet in the store. Parsing is lenient on
/// IRIs (and language tags) so that one bad value is repaired or dropped by the record check
/// ([`crate::repair::check_record`]), not fatal to the whole page. An RDF/XML property element
/// with text beside its `rdf:resource` (GeoNetwork writes
/// `<dct:accessRights rdf:resource="…">label</…>`) keeps the resource and loses the text. Any
/// other syntax error fails the page: which record a broken statement belonged to is unknown,
/// so none of the page's records replaces its stored version.
pub fn parse_rdf(fetched: &Fetched, format: RdfFormat) -> Result<ParsedRdf, HarvestError> {
    let url = fetched.url.to_string();
    let parse_error = |cause: String| HarvestError::Parse {
        url: url.clone(),
        format: format.name().to_owned(),
        cause,
    };
    if format == RdfFormat::RdfXml {
        check_xml_entities(&fetched.body).map_err(parse_error)?;
    }
    let body = if format == RdfFormat::RdfXml {
        rdf_xml_payload(&fetched.body)
    } else {
        &fetched.body
    };
    let (triples, errors) = parse_statements(body, format, &url).map_err(parse_error)?;
    if errors.is_empty() {
        return Ok(ParsedRdf {
            triples,
            warnings: Vec::new(),
        });
    }
    if format == RdfFormat::RdfXml
        && let Some((repaired, fixed)) = drop_text_beside_resource(body)
        && let Ok((triples, again)) = parse_statements(&repaired, format, &url)
        && again.is_empty()
    {
        return Ok(ParsedRdf {
            triples,
            warnings: vec![format!(
                "{fixed} RDF/XML property element(s) had text beside their rdf:resource: the \
                 text was dropped, the resource kept"
            )],
        });
    }
    let more = match errors.len() {
        1 => String::new(),
        n => format!(" (and {} more syntax errors)", n - 1),
    };
    Err(parse_error(format!("{}{more}", errors[0])))
}

/// The triples of a body, and its syntax errors (the parser steps over what it can, so that a
/// repair can be judged by whether any error is left).
fn parse_statements(
    body: &[u8],
    format: RdfFormat,
    url: &str,
) -> Result<(Vec<Triple>, Vec<String>), String> {
    let parser = RdfParser::from_format(format)
        .with_base_iri(url)
        .map_err(|e| e.to_string())?
        .rename_blank_nodes()
        .lenient();
    let mut triples = Vec::new();
    let mut errors = Vec::new();
    let quads = parser.for_slice(body).with_document_loader(|iri| {
        built_in_context(iri).ok_or_else(|| {
            format!("remote JSON-LD context {iri} is not fetched (fedcat loads no remote contexts)")
                .into()
        })
    });
    for quad in quads {
        match quad {
            Ok(quad) => triples.push(Triple::from(quad)),
            Err(error) => {
                errors.push(error.to_string());
                if errors.len() >= MAX_SYNTAX_ERRORS {
                    break;
                }
            }
        }
    }
    Ok((triples, errors))
}

/// The body with the text of every property element that has an `rdf:resource` removed (the
/// element closed on its start tag), and how many were changed; `None` when there is none.
fn drop_text_beside_resource(body: &[u8]) -> Option<(Vec<u8>, usize)> {
    let mut out = Vec::with_capacity(body.len());
    let mut at = 0;
    let mut fixed = 0;
    while let Some(found) = find(&body[at..], b"rdf:resource=") {
        let attribute = at + found;
        let Some(tag_end) = body[attribute..].iter().position(|&b| b == b'>') else {
            break;
        };
        let tag_end = attribute + tag_end;
        let text_end = body[tag_end + 1..]
            .iter()
            .position(|&b| b == b'<')
            .map(|p| tag_end + 1 + p);
        match text_end {
            Some(lt)
                if body[tag_end - 1] != b'/'
                    && body.get(lt + 1) == Some(&b'/')
                    && !body[tag_end + 1..lt].iter().all(u8::is_ascii_whitespace) =>
            {
                let Some(close) = body[lt..].iter().position(|&b| b == b'>') else {
                    break;
                };
                out.extend_from_slice(&body[at..tag_end]);
                out.extend_from_slice(b"/>");
                at = lt + close + 1;
                fixed += 1;
            }
            _ => {
                out.extend_from_slice(&body[at..=tag_end]);
                at = tag_end + 1;
            }
        }
    }
    out.extend_from_slice(&body[at..]);
    (fixed > 0).then_some((out, fixed))
}

/// The DCAT-US 1.1 context every `data.json` names (see `harvester/contexts/PROVENANCE.md`).
const DCAT_US_CONTEXT: &str = include_str!("../../../contexts/dcat-us-1.1-catalog.jsonld");

/// A JSON-LD context fedcat carries instead of fetching it.
fn built_in_context(iri: &str) -> Option<LoadedDocument> {
    let path = iri
        .strip_prefix("https://")
        .or_else(|| iri.strip_prefix("http://"))?;
    (path == "project-open-data.cio.gov/v1.1/schema/catalog.jsonld").then(|| LoadedDocument {
        url: iri.to_owned(),
        content: DCAT_US_CONTEXT.as_bytes().to_vec(),
        format: RdfFormat::JsonLd {
            profile: JsonLdProfileSet::empty(),
        },
    })
}

/// The RDF/XML of a body: the whole body, or the `rdf:RDF` element an envelope wraps (a CSW
/// `GetRecordsResponse` with `outputSchema` DCAT, as GeoNetwork answers), which declares its
/// own namespaces.
pub fn rdf_xml_payload(body: &[u8]) -> &[u8] {
    let Some(start) = find(body, b"<rdf:RDF") else {
        return body;
    };
    // The first element of the document: `rdf:RDF` itself, or an envelope.
    let root = body
        .windows(2)
        .position(|w| w[0] == b'<' && w[1].is_ascii_alphabetic())
        .unwrap_or(start);
    if root >= start {
        return body;
    }
    match rfind(body, b"</rdf:RDF>") {
        Some(end) if end > start => &body[start..end + b"</rdf:RDF>".len()],
        _ => body,
    }
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

fn rfind(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).rposition(|w| w == needle)
}

/// The longest replacement text an XML entity may declare.
const MAX_ENTITY_VALUE: usize = 2048;
/// The most entities a document may declare.
const MAX_ENTITIES: usize = 200;

/// Refuses XML entity declarations that could expand without bound before the RDF/XML parser
/// (which expands internal entities) sees them: an entity whose value refers to another entity
/// (the nesting of a "billion laughs" bomb), a long value, or very many entities. The
/// declarations real RDF/XML uses (`<!ENTITY xsd "http://www.w3.org/2001/XMLSchema#">`) pass.
fn check_xml_entities(body: &[u8]) -> Result<(), String> {
    // Declarations live in the prolog, before the root element.
    let prolog_end = body
        .windows(5)
        .position(|w| w.eq_ignore_ascii_case(b"<rdf:") || w == b"<RDF ")
        .unwrap_or(body.len());
    let prolog = String::from_utf8_lossy(&body[..prolog_end]);
    let declarations: Vec<&str> = prolog.split("<!ENTITY").skip(1).collect();
    if declarations.len() > MAX_ENTITIES {
        return Err(format!(
            "the document declares {} XML entities (at most {MAX_ENTITIES} are accepted)",
            declarations.len()
        ));
    }
    for declaration in declarations {
        let declaration = declaration.split('>').next().unwrap_or("");
        let value = declaration.split(['"', '\'']).nth(1).unwrap_or("");
        let name = declaration.split_whitespace().next().unwrap_or("?");
        if value.contains('&') || value.contains('%') {
            return Err(format!(
                "XML entity {name:?} refers to other entities; nested entities are refused \
                 (an entity-expansion bomb?)"
            ));
        }
        if value.len() > MAX_ENTITY_VALUE {
            return Err(format!(
                "XML entity {name:?} is {} bytes long (at most {MAX_ENTITY_VALUE} are accepted)",
                value.len()
            ));
        }
    }
    Ok(())
}

/// The next page announced by Hydra (`hydra:nextPage` or `hydra:next`, as IRI or literal).
fn next_page(triples: &[Triple], page_url: &Url) -> Option<Url> {
    triples
        .iter()
        .filter(|t| t.predicate == hydra::NEXT_PAGE || t.predicate == hydra::NEXT)
        .find_map(|t| {
            let text = match &t.object {
                Term::NamedNode(n) => n.as_str(),
                Term::Literal(l) => l.value(),
                _ => return None,
            };
            page_url.join(text.trim()).ok()
        })
}

fn total_items(triples: &[Triple]) -> Option<u64> {
    triples
        .iter()
        .filter(|t| t.predicate == hydra::TOTAL_ITEMS)
        .find_map(|t| match &t.object {
            Term::Literal(l) => l.value().trim().parse().ok(),
            _ => None,
        })
}

impl Source for DcatSource {
    fn id(&self) -> &str {
        &self.id
    }

    fn allowed_hosts(&self) -> &[String] {
        &self.allowed_hosts
    }

    fn first_page(&self) -> Result<PageRequest, HarvestError> {
        Ok(PageRequest {
            url: self.url.clone(),
            accept: ACCEPT_RDF,
        })
    }

    fn is_incremental(&self) -> bool {
        self.incremental
    }

    fn parse_page(&self, request: &PageRequest, fetched: &Fetched) -> Result<Page, HarvestError> {
        super::reject_html(fetched, "RDF")?;
        let format = detect_format(fetched).ok_or_else(|| HarvestError::UnexpectedContent {
            url: request.url.to_string(),
            expected: "RDF (Turtle, RDF/XML, JSON-LD, N-Triples)",
            got: format!(
                "an unrecognised body (Content-Type {})",
                fetched.content_type.as_deref().unwrap_or("none")
            ),
            snippet: crate::error::body_snippet(&fetched.body, 120),
        })?;
        let ParsedRdf { triples, warnings } = parse_rdf(fetched, format)?;
        let next = next_page(&triples, &fetched.url).map(|url| PageRequest {
            url,
            accept: ACCEPT_RDF,
        });
        let total_hint = total_items(&triples);
        let page_url = request.url.to_string();
        let records = split::split_records(triples)
            .into_iter()
            .map(|record| self.to_record(record, &page_url));
        let mut page = Page::from_mapped(records, next, total_hint);
        page.warnings = warnings;
        Ok(page)
    }
}

impl DcatSource {
    fn to_record(
        &self,
        record: split::SplitRecord,
        page_url: &str,
    ) -> Result<MappedRecord, RecordFailure> {
        let usable_iri = match &record.root {
            NamedOrBlankNode::NamedNode(iri) => {
                !matches!(repair_iri(iri.as_str()), IriRepair::Unusable { .. })
            }
            NamedOrBlankNode::BlankNode(_) => false,
        };
        let (key, dataset, triples) = match &record.root {
            NamedOrBlankNode::NamedNode(iri) if usable_iri => {
                (iri.as_str().to_owned(), iri.clone(), record.triples)
            }
            root => {
                // A dataset without a usable IRI (DCAT-US data.json, some JSON-LD, a broken
                // `rdf:about`): its identifier, landing page or title keys it, and fedcat
                // mints its IRI.
                let Some(key) = record
                    .identifier
                    .clone()
                    .or_else(|| fallback_key(root, &record.triples))
                    .or_else(|| match root {
                        NamedOrBlankNode::NamedNode(iri) => Some(iri.as_str().to_owned()),
                        NamedOrBlankNode::BlankNode(_) => None,
                    })
                else {
                    return Err(RecordFailure {
                        key: None,
                        message: "a dcat:Dataset has no IRI, dct:identifier, landing page or \
                                  title: nothing identifies it"
                            .into(),
                    });
                };
                let iri = self.iris.entity("dataset", &self.id, &key);
                let triples = split::replace_node(record.triples, root, &iri);
                (key, iri, triples)
            }
        };
        let mut mapped = finish_record(&key, dataset, triples, page_url);
        // The record check repairs the dataset's IRI like any other: follow it.
        if let IriRepair::Repaired { iri, .. } = repair_iri(mapped.graph.dataset.as_str()) {
            mapped.graph.dataset = iri;
        }
        Ok(mapped)
    }
}

/// The landing page, page or title of a dataset that has neither IRI nor identifier.
fn fallback_key(root: &NamedOrBlankNode, triples: &[Triple]) -> Option<String> {
    [dcat::LANDING_PAGE, foaf::PAGE, dct::TITLE]
        .into_iter()
        .find_map(|predicate| {
            triples
                .iter()
                .filter(|t| &t.subject == root && t.predicate == predicate)
                .find_map(|t| match &t.object {
                    Term::NamedNode(n) => Some(n.as_str().trim().to_owned()),
                    Term::Literal(l) => Some(l.value().trim().to_owned()),
                    Term::BlankNode(_) => None,
                })
                .filter(|key| !key.is_empty())
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_csw_envelope_gives_the_rdf_it_wraps() {
        let csw =
            b"<?xml version=\"1.0\"?>\n<csw:GetRecordsResponse xmlns:csw=\"c\"><csw:SearchResults>\
            <rdf:RDF xmlns:rdf=\"r\"><x/></rdf:RDF></csw:SearchResults></csw:GetRecordsResponse>";
        assert_eq!(
            rdf_xml_payload(csw),
            b"<rdf:RDF xmlns:rdf=\"r\"><x/></rdf:RDF>"
        );
        let plain = b"<?xml version=\"1.0\"?>\n<rdf:RDF xmlns:rdf=\"r\"><x/></rdf:RDF>";
        assert_eq!(rdf_xml_payload(plain), plain);
    }

    #[test]
    fn text_beside_a_resource_is_dropped_and_the_resource_kept() {
        // As GeoNetwork writes it (sig.oreme.org, geo2france.fr).
        let body = b"<a rdf:resource=\"http://e/x\">Pas de restriction</a><b rdf:resource=\"http://e/y\"/><c>t</c>";
        let (repaired, fixed) = drop_text_beside_resource(body).unwrap();
        assert_eq!(fixed, 1);
        assert_eq!(
            String::from_utf8(repaired).unwrap(),
            "<a rdf:resource=\"http://e/x\"/><b rdf:resource=\"http://e/y\"/><c>t</c>"
        );
        assert!(drop_text_beside_resource(b"<b rdf:resource=\"http://e/y\"/>").is_none());
    }
}
