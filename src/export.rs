//! The DCAT-AP export other portals harvest: `/catalog` (content negotiation) and
//! `/catalog.{ttl,rdf,jsonld,nt}`, one page of datasets at a time, paged with Hydra in both
//! forms harvesters follow (`hydra:PagedCollection` + `hydra:nextPage`, and
//! `hydra:PartialCollectionView` + `hydra:next`); `/dataset/{source}/{key}.{ttl,rdf,jsonld,nt}`
//! for one dataset. The fedcat catalogue holds one sub-catalogue per source; every dataset
//! carries a `dct:identifier` (udata's harvester skips datasets without one).
//!
//! Client input never becomes query or IRI text unchecked: the filters are validated and
//! written into SPARQL as escaped literals, page offsets are computed with checked arithmetic,
//! and page links are built from `base_iri` (never from the request's `Host`), so every IRI of
//! a page — the catalogue's, its datasets', its Hydra links — is under the same public base.

use crate::AppConfig;
use crate::http::{ApiError, AppState, ErrorCode};
use axum::extract::{Path, Query, RawQuery, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use fedcat_catalog::Catalog;
use fedcat_catalog::oxigraph::io::{JsonLdProfileSet, RdfFormat, RdfSerializer};
use fedcat_catalog::oxigraph::model::vocab::{rdf, xsd};
use fedcat_catalog::oxigraph::model::{Literal, NamedNode, NamedOrBlankNode, Term, Triple};
use serde::Deserialize;

/// Default and largest page sizes.
pub const DEFAULT_PAGE_SIZE: usize = 100;
/// The largest page a client may ask for.
pub const MAX_PAGE_SIZE: usize = 1000;
/// The longest `publisher` filter, in characters.
pub const MAX_FILTER_CHARS: usize = 1000;

/// Query parameters of `/catalog`.
#[derive(Debug, Default, Deserialize)]
pub struct CatalogQuery {
    page: Option<String>,
    page_size: Option<String>,
    modified_since: Option<String>,
    publisher: Option<String>,
}

const DCAT: &str = "http://www.w3.org/ns/dcat#";
const DCT: &str = "http://purl.org/dc/terms/";
const FOAF: &str = "http://xmlns.com/foaf/0.1/";
const HYDRA: &str = "http://www.w3.org/ns/hydra/core#";

fn iri(text: &str) -> NamedNode {
    NamedNode::new_unchecked(text)
}

/// The format an extension or `Accept` asks for: (media type, format). `Accept` is read by the
/// one content negotiation (`fedcat_sparql::negotiate`), `q` values included.
fn format_for(extension: Option<&str>, accept: &str) -> Option<(&'static str, RdfFormat)> {
    let by_extension = |ext: &str| match ext {
        "ttl" => Some(("text/turtle", RdfFormat::Turtle)),
        "rdf" | "xml" => Some(("application/rdf+xml", RdfFormat::RdfXml)),
        "jsonld" | "json" => Some((
            "application/ld+json",
            RdfFormat::JsonLd {
                profile: JsonLdProfileSet::empty(),
            },
        )),
        "nt" => Some(("application/n-triples", RdfFormat::NTriples)),
        _ => None,
    };
    if let Some(ext) = extension {
        return by_extension(ext);
    }
    fedcat_sparql::negotiate::rdf_answer(Some(accept).filter(|a| !a.trim().is_empty()))
}

fn serialize(triples: &[Triple], media: &'static str, format: RdfFormat) -> Response {
    let mut serializer = RdfSerializer::from_format(format);
    for (prefix, namespace) in [
        ("dcat", DCAT),
        ("dct", DCT),
        ("foaf", FOAF),
        ("hydra", HYDRA),
        ("vcard", "http://www.w3.org/2006/vcard/ns#"),
        ("xsd", "http://www.w3.org/2001/XMLSchema#"),
    ] {
        serializer = match serializer.with_prefix(prefix, namespace) {
            Ok(s) => s,
            Err(_) => {
                return ApiError::new(ErrorCode::Internal, "bad prefix").into_response();
            }
        };
    }
    let mut writer = serializer.for_writer(Vec::new());
    for triple in triples {
        if let Err(error) = writer.serialize_triple(triple) {
            return ApiError::internal(error).into_response();
        }
    }
    match writer.finish() {
        Ok(bytes) => ([(header::CONTENT_TYPE, media)], bytes).into_response(),
        Err(error) => ApiError::internal(error).into_response(),
    }
}

fn not_acceptable() -> Response {
    ApiError::new(ErrorCode::NotAcceptable, "the catalogue is served as text/turtle, application/rdf+xml, application/ld+json or application/n-triples").into_response()
}

/// A record graph as exported: its triples, and a `dct:identifier` for the dataset when it has
/// none (its IRI, so harvesters can key it).
fn exported_record(triples: Vec<Triple>) -> (Option<NamedNode>, Vec<Triple>) {
    let dataset = triples
        .iter()
        .find(|t| {
            t.predicate == rdf::TYPE && t.object == Term::NamedNode(iri(&format!("{DCAT}Dataset")))
        })
        .and_then(|t| match &t.subject {
            NamedOrBlankNode::NamedNode(n) => Some(n.clone()),
            NamedOrBlankNode::BlankNode(_) => None,
        });
    let mut out = triples;
    if let Some(dataset) = &dataset {
        let has_identifier = out.iter().any(|t| {
            t.predicate.as_str() == format!("{DCT}identifier")
                && matches!(&t.subject, NamedOrBlankNode::NamedNode(n) if n == dataset)
        });
        if !has_identifier {
            out.push(Triple::new(
                dataset.clone(),
                iri(&format!("{DCT}identifier")),
                Literal::new_simple_literal(dataset.as_str()),
            ));
        }
    }
    (dataset, out)
}

struct Page {
    number: usize,
    size: usize,
    /// Records skipped: `(number - 1) × size`, checked.
    offset: usize,
    /// The date part, `YYYY-MM-DD`, as parsed (not as sent).
    modified_since: Option<String>,
    publisher: Option<String>,
}

/// The page asked for, or what is wrong with the parameters.
fn parse(query: &CatalogQuery) -> Result<Page, String> {
    let invalid = |detail: String| detail;
    let paging = crate::http::paging::Paging::parse(
        query.page.as_deref(),
        query.page_size.as_deref(),
        DEFAULT_PAGE_SIZE,
        MAX_PAGE_SIZE,
    )?;
    let size = paging.size;
    let modified_since = match &query.modified_since {
        None => None,
        Some(text) => {
            // A date, optionally followed by a time and zone (only their characters: the text
            // is echoed in the page links).
            let date = text
                .get(..10)
                .and_then(|d| chrono::NaiveDate::parse_from_str(d, "%Y-%m-%d").ok());
            let time_ok = text.len() <= 40
                && text.get(10..).is_some_and(|time| {
                    time.chars().all(|c| {
                        c.is_ascii_digit()
                            || matches!(c, 'T' | 't' | 'Z' | 'z' | ':' | '.' | '+' | '-' | ' ')
                    })
                });
            match date {
                Some(date) if time_ok => Some(date.format("%Y-%m-%d").to_string()),
                _ => {
                    return Err(invalid(format!(
                        "modified_since is a date or date-time (2024-01-31, 2024-01-31T12:00:00Z), not {text:?}"
                    )));
                }
            }
        }
    };
    if let Some(publisher) = &query.publisher {
        if publisher.chars().any(char::is_control) {
            return Err(invalid(format!(
                "publisher is a publisher's name or IRI, without control characters, not {publisher:?}"
            )));
        }
        if publisher.chars().count() > MAX_FILTER_CHARS {
            return Err(invalid(format!(
                "publisher is at most {MAX_FILTER_CHARS} characters long"
            )));
        }
    }
    let number = paging.page;
    let offset = (number - 1).checked_mul(size).ok_or_else(|| {
        invalid(format!(
            "page {number} of {size} records starts past the last record a page can reach"
        ))
    })?;
    Ok(Page {
        number,
        size,
        offset,
        modified_since,
        publisher: query.publisher.clone(),
    })
}

/// The record graphs of one page, in a stable order (source catalogue, record key), and the
/// number of records matching.
fn page_graphs(
    catalog: &Catalog,
    page: &Page,
) -> Result<(Vec<NamedNode>, usize), fedcat_catalog::CatalogError> {
    let filter = fedcat_domain::queries::PageFilter {
        modified_since: page.modified_since.clone(),
        publisher: page.publisher.clone(),
    };
    fedcat_domain::queries::catalogue_page(
        catalog.graphs(),
        catalog.iris(),
        &filter,
        page.size,
        page.offset,
    )
}

/// The triples of one page of the catalogue.
#[expect(
    clippy::too_many_lines,
    reason = "one DCAT-AP page with its Hydra paging in both pairings, triple by triple"
)]
fn catalogue_page(
    config: &AppConfig,
    catalog: &Catalog,
    page: &Page,
    page_url: &dyn Fn(usize) -> String,
) -> Result<Vec<Triple>, String> {
    let iris = catalog.iris();
    let (graphs, total) = page_graphs(catalog, page).map_err(|e| e.to_string())?;
    let root = iris.catalog();
    let p = |local: &str| iri(local);
    let mut out = vec![
        Triple::new(root.clone(), rdf::TYPE, p(&format!("{DCAT}Catalog"))),
        Triple::new(
            root.clone(),
            p(&format!("{DCT}title")),
            Literal::new_language_tagged_literal_unchecked("Catalogue fédéré fedcat", "fr"),
        ),
        Triple::new(
            root.clone(),
            p(&format!("{DCT}description")),
            Literal::new_language_tagged_literal_unchecked(
                "Unified catalogue of the health open data harvested by fedcat, one sub-catalogue per source portal.",
                "en",
            ),
        ),
        Triple::new(
            root.clone(),
            p(&format!("{DCT}publisher")),
            iri(&format!("{}/id/agent/fedcat", iris.base())),
        ),
        Triple::new(
            iri(&format!("{}/id/agent/fedcat", iris.base())),
            rdf::TYPE,
            p(&format!("{FOAF}Agent")),
        ),
        Triple::new(
            iri(&format!("{}/id/agent/fedcat", iris.base())),
            p(&format!("{FOAF}name")),
            Literal::new_simple_literal("fedcat"),
        ),
    ];
    for source in &config.sources.sources {
        let sub = iris.source_catalog(&source.id);
        out.push(Triple::new(
            root.clone(),
            p(&format!("{DCAT}catalog")),
            sub.clone(),
        ));
        out.push(Triple::new(
            sub.clone(),
            rdf::TYPE,
            p(&format!("{DCAT}Catalog")),
        ));
        out.push(Triple::new(
            sub.clone(),
            p(&format!("{DCT}title")),
            Literal::new_simple_literal(&source.title),
        ));
        out.push(Triple::new(
            sub.clone(),
            p(&format!("{DCT}description")),
            Literal::new_simple_literal(format!("Datasets harvested from {}", source.url)),
        ));
        out.push(Triple::new(
            sub.clone(),
            p(&format!("{DCT}publisher")),
            iri(&format!("{}/id/agent/fedcat", iris.base())),
        ));
    }
    let store = catalog.graphs();
    for graph in &graphs {
        let triples = store
            .graph_triples(graph.as_ref())
            .map_err(|e| e.to_string())?;
        let (dataset, triples) = exported_record(triples);
        if let Some(dataset) = dataset {
            // The record's source catalogue, from the graph IRI's source segment.
            let source = iris
                .record_of_graph(graph.as_str())
                .map(|(source, _)| source)
                .unwrap_or_default();
            let sub = iris.source_catalog(&source);
            out.push(Triple::new(
                sub.clone(),
                p(&format!("{DCAT}dataset")),
                dataset.clone(),
            ));
            out.push(Triple::new(
                root.clone(),
                p(&format!("{DCAT}dataset")),
                dataset,
            ));
        }
        out.extend(triples);
    }
    // Hydra, in the two pairings harvesters follow. The links are built from base_iri and
    // encoded parameters; checked all the same, as they end up in every serialisation.
    let link = |number: usize| {
        let url = page_url(number);
        NamedNode::new(&url).map_err(|e| format!("page link {url:?}: {e}"))
    };
    let last = total.div_ceil(page.size).max(1);
    let this = link(page.number)?;
    let integer = |n: usize| Literal::new_typed_literal(n.to_string(), xsd::INTEGER);
    out.push(Triple::new(
        this.clone(),
        rdf::TYPE,
        p(&format!("{HYDRA}PagedCollection")),
    ));
    out.push(Triple::new(
        this.clone(),
        rdf::TYPE,
        p(&format!("{HYDRA}PartialCollectionView")),
    ));
    out.push(Triple::new(
        this.clone(),
        p(&format!("{HYDRA}totalItems")),
        integer(total),
    ));
    out.push(Triple::new(
        this.clone(),
        p(&format!("{HYDRA}itemsPerPage")),
        integer(page.size),
    ));
    for (old, new, number) in [
        ("firstPage", "first", Some(1)),
        ("lastPage", "last", Some(last)),
        (
            "nextPage",
            "next",
            (page.number < last).then(|| page.number.saturating_add(1)),
        ),
        (
            "previousPage",
            "previous",
            (page.number > 1).then(|| page.number.saturating_sub(1)),
        ),
    ] {
        if let Some(number) = number {
            let target = link(number)?;
            out.push(Triple::new(
                this.clone(),
                p(&format!("{HYDRA}{old}")),
                target.clone(),
            ));
            out.push(Triple::new(
                this.clone(),
                p(&format!("{HYDRA}{new}")),
                target,
            ));
        }
    }
    out.push(Triple::new(root, p(&format!("{HYDRA}view")), this));
    // Records share nodes (a publisher, a file type, a licence): each triple once per page
    // (marked by reference first, so no triple is copied).
    let first: Vec<bool> = {
        let mut seen = std::collections::HashSet::with_capacity(out.len());
        out.iter().map(|triple| seen.insert(triple)).collect()
    };
    let mut first = first.into_iter();
    out.retain(|_| first.next().unwrap_or(true));
    Ok(out)
}

async fn catalogue(
    state: AppState,
    extension: Option<String>,
    query: CatalogQuery,
    raw_query: Option<String>,
    headers: HeaderMap,
) -> Response {
    let accept = headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    let Some((media, format)) = format_for(extension.as_deref(), &accept) else {
        return not_acceptable();
    };
    let page = match parse(&query) {
        Ok(page) => page,
        Err(detail) => return ApiError::new(ErrorCode::InvalidParameter, detail).into_response(),
    };
    // The page is named by the URL the client asked for, under the public base IRI (the
    // request's Host is the client's to write, and would be written into the page): a
    // consumer such as Comunica follows Hydra links only from the page whose IRI is the URL it
    // fetched. The links keep the path (so the format) and every parameter, in the client's
    // order, with only `page` changed.
    let path = match &extension {
        Some(ext) => format!("/catalog.{ext}"),
        None => "/catalog".to_owned(),
    };
    let base = state.config.base_iri.trim_end_matches('/').to_owned();
    let pairs: Vec<(String, String)> =
        url::form_urlencoded::parse(raw_query.as_deref().unwrap_or_default().as_bytes())
            .into_owned()
            .collect();
    let requested = requested_page_iri(&base, &path, raw_query.as_deref(), &pairs);
    let requested_number = page.number;
    let page_url = move |number: usize| {
        if number == requested_number {
            return requested.clone();
        }
        let mut serializer = url::form_urlencoded::Serializer::new(String::new());
        let mut numbered = false;
        for (key, value) in &pairs {
            if key == "page" {
                if !numbered {
                    serializer.append_pair("page", &number.to_string());
                    numbered = true;
                }
            } else {
                serializer.append_pair(key, value);
            }
        }
        if !numbered {
            serializer.append_pair("page", &number.to_string());
        }
        format!("{base}{path}?{}", serializer.finish())
    };
    let config = state.config.clone();
    let catalog = state.catalog.clone();
    let triples =
        tokio::task::spawn_blocking(move || catalogue_page(&config, &catalog, &page, &page_url))
            .await;
    match triples {
        Ok(Ok(triples)) => serialize(&triples, media, format),
        Ok(Err(error)) => ApiError::internal(error).into_response(),
        Err(error) => ApiError::internal(error).into_response(),
    }
}

/// The IRI of the page a client asked for: `{base_iri}{path}`, with the query string it sent
/// when that is a valid IRI as it is (else its parameters written again, in its order).
fn requested_page_iri(
    base: &str,
    path: &str,
    raw_query: Option<&str>,
    pairs: &[(String, String)],
) -> String {
    match raw_query.filter(|q| !q.is_empty()) {
        None => format!("{base}{path}"),
        Some(raw) => {
            let as_sent = format!("{base}{path}?{raw}");
            if NamedNode::new(&as_sent).is_ok() {
                return as_sent;
            }
            let mut serializer = url::form_urlencoded::Serializer::new(String::new());
            for (key, value) in pairs {
                serializer.append_pair(key, value);
            }
            format!("{base}{path}?{}", serializer.finish())
        }
    }
}

/// `GET /catalog`: the format by `Accept` (Turtle by default).
pub async fn catalog_negotiated(
    State(state): State<AppState>,
    Query(query): Query<CatalogQuery>,
    RawQuery(raw_query): RawQuery,
    headers: HeaderMap,
) -> Response {
    catalogue(state, None, query, raw_query, headers).await
}

/// The export routes.
pub fn router() -> axum::Router<AppState> {
    let mut router = axum::Router::new()
        .route("/catalog", axum::routing::get(catalog_negotiated))
        .route("/dataset/{source}/{file}", axum::routing::get(dataset))
        .route("/id/{*rest}", axum::routing::get(describe));
    for extension in ["ttl", "rdf", "jsonld", "nt"] {
        router = router.route(
            &format!("/catalog.{extension}"),
            axum::routing::get(
                move |State(state): State<AppState>,
                      Query(query): Query<CatalogQuery>,
                      RawQuery(raw_query): RawQuery,
                      headers: HeaderMap| async move {
                    catalogue(state, Some(extension.to_owned()), query, raw_query, headers).await
                },
            ),
        );
    }
    router
}

/// The most triples one dereferenced IRI answers with.
const MAX_DESCRIPTION_TRIPLES: usize = 10_000;

/// `GET` (and `HEAD`) `/id/…`: every IRI fedcat mints under `base_iri` dereferences to its
/// description — the triples about it in the store, with those of the blank nodes it points to
/// — in the format `Accept` asks (Turtle by default), `200`. A browser asking for a dataset
/// (`text/html` first) is sent to its page (`303 See Other`), and the catalogue itself to its
/// export. An IRI the store knows nothing about is `404`.
pub async fn describe(
    State(state): State<AppState>,
    uri: axum::http::Uri,
    headers: HeaderMap,
) -> Response {
    let base = state.config.base_iri.trim_end_matches('/').to_owned();
    let Ok(target) = NamedNode::new(format!("{base}{}", uri.path())) else {
        return ApiError::new(ErrorCode::NotFound, "not an IRI fedcat mints").into_response();
    };
    let accept = headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    if target == state.catalog.iris().catalog() {
        return see_other("/catalog");
    }
    let wants_html = fedcat_sparql::negotiate::prefers_html(Some(&accept));
    let Some((media, format)) = format_for(None, &accept).or_else(|| {
        // A browser's Accept names no RDF format: the description is Turtle.
        wants_html.then_some(("text/turtle", RdfFormat::Turtle))
    }) else {
        return not_acceptable();
    };
    let catalog = state.catalog.clone();
    let subject = target.clone();
    let described = tokio::task::spawn_blocking(move || description(&catalog, &subject)).await;
    let (triples, record) = match described {
        Ok(Ok(found)) => found,
        Ok(Err(error)) => return ApiError::internal(error).into_response(),
        Err(error) => return ApiError::internal(error).into_response(),
    };
    if triples.is_empty() {
        return ApiError::new(
            ErrorCode::NotFound,
            format!("{target} describes nothing fedcat holds"),
        )
        .into_response();
    }
    let is_dataset = triples.iter().any(|t| {
        t.subject == NamedOrBlankNode::from(target.clone())
            && t.predicate == rdf::TYPE
            && t.object == Term::from(iri(&format!("{DCAT}Dataset")))
    });
    if wants_html
        && is_dataset
        && let Some((source, key)) = record
    {
        return see_other(&format!(
            "/datasets/{}/{}",
            fedcat_catalog::encode_segment(&source),
            fedcat_catalog::encode_segment(&key)
        ));
    }
    serialize(&triples, media, format)
}

fn see_other(location: &str) -> Response {
    (
        StatusCode::SEE_OTHER,
        [(header::LOCATION, location.to_owned())],
    )
        .into_response()
}

/// What a dereferenced IRI answers: its triples, and the (source, key) of its record.
type Description = (Vec<Triple>, Option<(String, String)>);

/// The triples about `subject` in every graph, with those of the blank nodes it reaches (each
/// once, at most [`MAX_DESCRIPTION_TRIPLES`]), and the record (source, key) of the first
/// record graph that holds it.
fn description(
    catalog: &Catalog,
    subject: &NamedNode,
) -> Result<Description, fedcat_catalog::CatalogError> {
    let store = catalog.graphs();
    let mut out = Vec::new();
    let mut seen = std::collections::HashSet::new();
    let mut record = None;
    let mut pending: Vec<NamedOrBlankNode> = vec![subject.clone().into()];
    let mut visited = std::collections::HashSet::new();
    while let Some(node) = pending.pop() {
        if !visited.insert(node.clone()) {
            continue;
        }
        for quad in store.subject_quads(node.as_ref()) {
            let quad = quad?;
            if record.is_none()
                && let fedcat_catalog::oxigraph::model::GraphName::NamedNode(graph) =
                    &quad.graph_name
            {
                record = catalog.iris().record_of_graph(graph.as_str());
            }
            if let Term::BlankNode(blank) = &quad.object {
                pending.push(blank.clone().into());
            }
            let triple = Triple::from(quad);
            if seen.insert(triple.clone()) {
                out.push(triple);
            }
            if out.len() >= MAX_DESCRIPTION_TRIPLES {
                return Ok((out, record));
            }
        }
    }
    Ok((out, record))
}

/// `GET /dataset/{source}/{key}.{ext}`: one dataset's record graph.
pub async fn dataset(
    State(state): State<AppState>,
    Path((source, file)): Path<(String, String)>,
    headers: HeaderMap,
) -> Response {
    let (key, extension) = match file.rsplit_once('.') {
        Some((key, ext)) if format_for(Some(ext), "").is_some() => {
            (key.to_owned(), Some(ext.to_owned()))
        }
        _ => (file.clone(), None),
    };
    let accept = headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    let Some((media, format)) = format_for(extension.as_deref(), accept) else {
        return not_acceptable();
    };
    let graph = state.catalog.iris().record_graph(&source, &key);
    let store = state.catalog.graph_store();
    match tokio::task::spawn_blocking(move || store.graph_triples(graph.as_ref())).await {
        Ok(Ok(triples)) if !triples.is_empty() => {
            let (_, triples) = exported_record(triples);
            serialize(&triples, media, format)
        }
        Ok(Ok(_)) => ApiError::new(
            ErrorCode::DatasetNotFound,
            format!("no dataset {source}/{key} in the catalogue"),
        )
        .into_response(),
        Ok(Err(error)) => ApiError::internal(error).into_response(),
        Err(error) => ApiError::internal(error).into_response(),
    }
}
