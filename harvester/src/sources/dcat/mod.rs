//! DCAT connector: a catalogue published as RDF (Turtle, RDF/XML, JSON-LD, N-Triples, N-Quads,
//! TriG), negotiated by `Accept` and recognised by `Content-Type`, file extension or content.
//! Hydra paging is followed in both styles real portals use: `hydra:PagedCollection` +
//! `hydra:nextPage` (ckanext-dcat, GovData) and `hydra:PartialCollectionView` + `hydra:next`
//! (udata/data.gouv.fr). Each page is split into one record per `dcat:Dataset` ([`split`]),
//! keeping every triple of the record.

mod split;

use crate::mapping::check_record;
use crate::source::{Page, PageRequest, RecordFailure, Source};
use crate::{Fetched, HarvestError, SourceConfig};
use fedcat_catalog::oxigraph::io::{JsonLdProfileSet, RdfFormat, RdfParser};
use fedcat_catalog::oxigraph::model::{NamedOrBlankNode, Term, Triple};
use fedcat_catalog::vocab::hydra;
use fedcat_catalog::{IriMinter, RecordGraph};
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

/// Parses a whole RDF document into triples (graph names dropped). Blank nodes are renamed so
/// that labels reused by different documents never meet in the store. Parsing is lenient on
/// IRIs so that one bad IRI fails its record (see [`check_record`]), not the whole page.
pub fn parse_rdf(fetched: &Fetched, format: RdfFormat) -> Result<Vec<Triple>, HarvestError> {
    let url = fetched.url.to_string();
    let parse_error = |cause: String| HarvestError::Parse {
        url: url.clone(),
        format: format.name().to_owned(),
        cause,
    };
    if format == RdfFormat::RdfXml {
        check_xml_entities(&fetched.body).map_err(parse_error)?;
    }
    let parser = RdfParser::from_format(format)
        .with_base_iri(url.as_str())
        .map_err(|e| parse_error(e.to_string()))?
        .rename_blank_nodes()
        .lenient();
    let mut triples = Vec::new();
    let quads = parser.for_slice(&fetched.body).with_document_loader(|iri| {
        Err(format!(
            "remote JSON-LD context {iri} is not fetched (fedcat loads no remote contexts)"
        )
        .into())
    });
    for quad in quads {
        let quad = quad.map_err(|e| parse_error(e.to_string()))?;
        triples.push(Triple::from(quad));
    }
    Ok(triples)
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
        let triples = parse_rdf(fetched, format)?;
        let next = next_page(&triples, &fetched.url).map(|url| PageRequest {
            url,
            accept: ACCEPT_RDF,
        });
        let total_hint = total_items(&triples);
        let page_url = request.url.to_string();
        let records = split::split_records(triples)
            .into_iter()
            .map(|record| self.to_record(record, &page_url))
            .collect();
        Ok(Page {
            records,
            next,
            total_hint,
        })
    }
}

impl DcatSource {
    fn to_record(
        &self,
        record: split::SplitRecord,
        page_url: &str,
    ) -> Result<RecordGraph, RecordFailure> {
        let (key, dataset, triples) = match &record.root {
            NamedOrBlankNode::NamedNode(iri) => {
                (iri.as_str().to_owned(), iri.clone(), record.triples)
            }
            NamedOrBlankNode::BlankNode(_) => {
                // A dataset without an IRI (DCAT-US data.json, some JSON-LD): its identifier
                // keys it, and fedcat mints its IRI.
                let Some(identifier) = record.identifier.clone() else {
                    return Err(RecordFailure {
                        key: None,
                        message: "a dcat:Dataset has neither an IRI nor a dct:identifier".into(),
                    });
                };
                let iri = self.iris.entity("dataset", &self.id, &identifier);
                let triples = split::replace_node(record.triples, &record.root, &iri);
                (identifier, iri, triples)
            }
        };
        let triples = check_record(triples).map_err(|problems| RecordFailure {
            key: Some(key.clone()),
            message: format!("dataset {key}: {}", problems.join("; ")),
        })?;
        Ok(RecordGraph {
            key,
            dataset,
            triples,
            source_url: page_url.to_owned(),
        })
    }
}
