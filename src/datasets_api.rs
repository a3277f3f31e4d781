//! `/api/datasets`: full-text search with facets over the search index (one result per
//! duplicate cluster unless `collapse=false`), and `/api/datasets/{source}/{key}`: one dataset
//! with its distributions, quality summary, duplicates and provenance, or its RDF graph when
//! `Accept` asks for Turtle or JSON-LD.

use crate::AppConfig;
use crate::api::{internal, problem};
use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use fedcat_catalog::Catalog;
use fedcat_catalog::node_keys::{node_key, subject_key};
use fedcat_catalog::oxigraph::io::{RdfFormat, RdfSerializer};
use fedcat_catalog::oxigraph::model::{Term, Triple};
use fedcat_catalog::search::{FACETS, SearchDocument, SearchIndex, SearchQuery, Sort};
use serde::Deserialize;
use serde_json::{Value, json};
use std::sync::Arc;

/// What the dataset routes need.
#[derive(Clone)]
pub struct DatasetsState {
    /// Configuration.
    pub config: Arc<AppConfig>,
    /// The catalogue.
    pub catalog: Catalog,
    /// The search index; `None` when it could not be opened (the routes then answer 503).
    pub index: Option<Arc<SearchIndex>>,
}

/// The largest page.
pub const MAX_PAGE_SIZE: usize = 100;

/// Query parameters of `GET /api/datasets`.
#[derive(Debug, Default, Deserialize)]
pub struct DatasetQuery {
    q: Option<String>,
    publisher: Option<String>,
    source: Option<String>,
    theme: Option<String>,
    format: Option<String>,
    licence: Option<String>,
    keyword: Option<String>,
    language: Option<String>,
    rating: Option<String>,
    modified_after: Option<String>,
    sort: Option<String>,
    page: Option<String>,
    page_size: Option<String>,
    collapse: Option<String>,
}

fn invalid(detail: String) -> Response {
    problem(StatusCode::BAD_REQUEST, "invalid parameter", detail)
}

fn unavailable() -> Response {
    problem(
        StatusCode::SERVICE_UNAVAILABLE,
        "search unavailable",
        "the search index could not be opened; run `fedcat reindex`",
    )
}

fn summary(document: &SearchDocument) -> Value {
    let description = document.descriptions.first().map(|d| {
        let mut text: String = d.chars().take(500).collect();
        if d.chars().count() > 500 {
            text.push('…');
        }
        text
    });
    json!({
        "id": document.id,
        "dataset": document.dataset,
        "source": document.source,
        "title": document.title(),
        "description": description,
        "title_en": document.title_en,
        "description_en": document.description_en,
        "publisher": document.publisher,
        "themes": document.themes,
        "formats": document.formats,
        "licences": document.licences,
        "keywords": document.keywords,
        "languages": document.languages,
        "modified": document.modified,
        "mqa_score": document.mqa_score,
        "rating": document.rating,
        "cluster": document.cluster,
    })
}

/// Refuses a page that ends past `max_window`, the deepest result a search may page to (`end`
/// is `None` when computing it overflowed): the message names what was asked (`asked`), the
/// limit and its configuration key.
pub fn check_window(asked: &str, end: Option<usize>, max_window: usize) -> Result<(), String> {
    match end {
        Some(end) if end <= max_window => Ok(()),
        _ => Err(format!(
            "{asked} is beyond the result window: at most {max_window} results can be paged \
             through (configuration key search.max_result_window); narrow the search with q or \
             filters instead"
        )),
    }
}

/// Parses the parameters into a search, or says which one is wrong and what it accepts. A
/// page ending past `max_window` results and a `q` past the query-text limits are refused.
pub fn parse_query(
    query: &DatasetQuery,
    max_window: usize,
) -> Result<(SearchQuery, usize, usize), String> {
    let number = |name: &str, value: &Option<String>, default: usize| match value {
        None => Ok(default),
        Some(text) => text
            .parse::<usize>()
            .ok()
            .filter(|n| *n >= 1)
            .ok_or_else(|| format!("{name} must be a positive integer, not {text:?}")),
    };
    let page = number("page", &query.page, 1)?;
    let page_size = number("page_size", &query.page_size, 20)?;
    if page_size > MAX_PAGE_SIZE {
        return Err(format!(
            "page_size is at most {MAX_PAGE_SIZE}, not {page_size}"
        ));
    }
    check_window(
        &format!("page × page_size ({page} × {page_size})"),
        page.checked_mul(page_size),
        max_window,
    )?;
    if let Some(text) = &query.q {
        fedcat_catalog::search::check_query_text(text).map_err(|e| format!("q: {e}"))?;
    }
    let sort = match query.sort.as_deref() {
        None | Some("relevance") => Sort::Relevance,
        Some("modified") => Sort::Modified,
        Some("title") => Sort::Title,
        Some("quality") => Sort::Quality,
        Some(other) => {
            return Err(format!(
                "sort is relevance, modified, title or quality, not {other:?}"
            ));
        }
    };
    let collapse = match query.collapse.as_deref() {
        None | Some("true") | Some("1") => true,
        Some("false") | Some("0") => false,
        Some(other) => {
            return Err(format!("collapse is true or false, not {other:?}"));
        }
    };
    let modified_after = match &query.modified_after {
        None => None,
        Some(text) => Some(
            chrono::NaiveDate::parse_from_str(text.get(..10).unwrap_or(text), "%Y-%m-%d")
                .map_err(|_| format!("modified_after is a date YYYY-MM-DD, not {text:?}"))?,
        ),
    };
    let filters = [
        ("publisher", &query.publisher),
        ("source", &query.source),
        ("theme", &query.theme),
        ("format", &query.format),
        ("licence", &query.licence),
        ("keyword", &query.keyword),
        ("language", &query.language),
        ("rating", &query.rating),
    ]
    .into_iter()
    .filter_map(|(name, value)| value.clone().map(|v| (name.to_owned(), v)))
    .collect();
    let offset = (page - 1).saturating_mul(page_size);
    Ok((
        SearchQuery {
            text: query.q.clone(),
            filters,
            modified_after,
            modified_before: None,
            sort,
            offset,
            limit: page_size,
            collapse,
            filter: None,
        },
        page,
        page_size,
    ))
}

/// Runs a search and renders each hit as the API's summary, with the other members of its
/// duplicate cluster as `also_published_at`.
pub fn search_entries(
    index: &SearchIndex,
    search: &SearchQuery,
) -> Result<(fedcat_catalog::search::SearchResults, Vec<Value>), fedcat_catalog::CatalogError> {
    let results = index.search(search)?;
    let mut out = Vec::with_capacity(results.hits.len());
    for hit in &results.hits {
        let mut entry = summary(hit);
        if let Some(cluster) = &hit.cluster {
            let others: Vec<Value> = index
                .cluster_members(cluster)?
                .into_iter()
                .filter(|m| m.id != hit.id)
                .map(|m| {
                    json!({"id": m.id, "source": m.source, "dataset": m.dataset, "title": m.title()})
                })
                .collect();
            entry["also_published_at"] = Value::Array(others);
        }
        out.push(entry);
    }
    Ok((results, out))
}

/// `GET /api/datasets`.
pub async fn search(
    State(state): State<DatasetsState>,
    Query(query): Query<DatasetQuery>,
) -> Response {
    let Some(index) = state.index.clone() else {
        return unavailable();
    };
    let (search, page, page_size) = match parse_query(&query, state.config.search_max_window) {
        Ok(parsed) => parsed,
        Err(detail) => return invalid(detail),
    };
    let collapse = search.collapse;
    let outcome = tokio::task::spawn_blocking(move || search_entries(&index, &search)).await;
    let (results, entries) = match outcome {
        Ok(Ok(done)) => done,
        Ok(Err(fedcat_catalog::CatalogError::QueryText(error))) => {
            return invalid(format!("q: {error}"));
        }
        Ok(Err(error)) => {
            return internal(error);
        }
        Err(error) => {
            return internal(error);
        }
    };
    let facets: serde_json::Map<String, Value> = FACETS
        .iter()
        .map(|name| {
            let values: Vec<Value> = results
                .facets
                .get(*name)
                .into_iter()
                .flatten()
                .map(|(value, count)| json!({"value": value, "count": count}))
                .collect();
            ((*name).to_owned(), Value::Array(values))
        })
        .collect();
    Json(json!({
        "total": results.total,
        "page": page,
        "page_size": page_size,
        "collapse": collapse,
        "results": entries,
        "facets": facets,
    }))
    .into_response()
}

fn text(term: &Term) -> Option<String> {
    match term {
        Term::NamedNode(n) => Some(n.as_str().to_owned()),
        Term::Literal(l) => Some(l.value().to_owned()),
        _ => None,
    }
}

/// The distributions of a record graph, with the last check of each URL.
fn distributions(
    triples: &[Triple],
    dataset: &str,
    links: &std::collections::HashMap<String, fedcat_catalog::quality::measure::LinkCheck>,
) -> Vec<Value> {
    let values = |node: &str, predicate: &str| -> Vec<String> {
        triples
            .iter()
            .filter(|t| subject_key(&t.subject) == node && t.predicate.as_str() == predicate)
            .filter_map(|t| text(&t.object))
            .collect()
    };
    let nodes: Vec<String> = triples
        .iter()
        .filter(|t| {
            subject_key(&t.subject) == dataset
                && t.predicate.as_str() == "http://www.w3.org/ns/dcat#distribution"
        })
        .filter_map(|t| node_key(&t.object))
        .collect();
    nodes
        .iter()
        .map(|node| {
            let status = |urls: &[String]| -> Vec<Value> {
                urls.iter()
                    .map(|u| {
                        let check = links.get(u);
                        json!({
                            "url": u,
                            "status": check.map(|c| c.status),
                            "availability": check.and_then(|c| c.availability),
                        })
                    })
                    .collect()
            };
            json!({
                "id": node,
                "title": values(node, "http://purl.org/dc/terms/title").first(),
                "access_urls": status(&values(node, "http://www.w3.org/ns/dcat#accessURL")),
                "download_urls": status(&values(node, "http://www.w3.org/ns/dcat#downloadURL")),
                "format": values(node, "http://purl.org/dc/terms/format").first(),
                "media_type": values(node, "http://www.w3.org/ns/dcat#mediaType").first(),
                "licence": values(node, "http://purl.org/dc/terms/license").first(),
                "byte_size": values(node, "http://www.w3.org/ns/dcat#byteSize").first(),
            })
        })
        .collect()
}

/// `GET /api/datasets/{source}/{key}`.
pub async fn dataset(
    State(state): State<DatasetsState>,
    Path((source, key)): Path<(String, String)>,
    headers: HeaderMap,
) -> Response {
    let iris = state.catalog.iris().clone();
    let graph = iris.record_graph(&source, &key);
    let store = state.catalog.graph_store();
    let triples = {
        let graph = graph.clone();
        match tokio::task::spawn_blocking(move || store.graph_triples(graph.as_ref())).await {
            Ok(Ok(triples)) => triples,
            Ok(Err(error)) => {
                return internal(error);
            }
            Err(error) => {
                return internal(error);
            }
        }
    };
    if triples.is_empty() {
        return problem(
            StatusCode::NOT_FOUND,
            "dataset not found",
            format!("no dataset {source}/{key} in the catalogue"),
        );
    }
    let accept = headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    let rdf = [
        ("text/turtle", RdfFormat::Turtle),
        (
            "application/ld+json",
            RdfFormat::JsonLd {
                profile: Default::default(),
            },
        ),
        ("application/n-triples", RdfFormat::NTriples),
        ("application/rdf+xml", RdfFormat::RdfXml),
    ]
    .into_iter()
    .find(|(media, _)| accept.contains(media));
    if let Some((media, format)) = rdf {
        let mut serializer = RdfSerializer::from_format(format).for_writer(Vec::new());
        for triple in &triples {
            if serializer.serialize_triple(triple).is_err() {
                return problem(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "internal error",
                    "serialisation failed",
                );
            }
        }
        return match serializer.finish() {
            Ok(bytes) => ([(header::CONTENT_TYPE, media)], bytes).into_response(),
            Err(error) => internal(error),
        };
    }
    match describe(&state, &source, &key, &triples).await {
        Ok(body) => Json(body).into_response(),
        Err(response) => *response,
    }
}

/// The record graph of a dataset (empty when there is none).
pub async fn record_triples(
    catalog: &Catalog,
    source: &str,
    key: &str,
) -> Result<Vec<Triple>, String> {
    let graph = catalog.iris().record_graph(source, key);
    let store = catalog.graph_store();
    tokio::task::spawn_blocking(move || store.graph_triples(graph.as_ref()))
        .await
        .map_err(|e| e.to_string())?
        .map_err(|e| e.to_string())
}

/// Everything the dataset page and `/api/datasets/{source}/{key}` show, as JSON.
pub async fn describe(
    state: &DatasetsState,
    source: &str,
    key: &str,
    triples: &[Triple],
) -> Result<Value, Box<Response>> {
    let (source, key) = (source.to_owned(), key.to_owned());
    let graph = state.catalog.iris().record_graph(&source, &key);
    let id = format!("{source}/{key}");
    let document = SearchDocument::from_graph(&source, &key, triples);
    let Some(document) = document else {
        return Err(Box::new(problem(
            StatusCode::NOT_FOUND,
            "dataset not found",
            format!("{id} holds no dcat:Dataset"),
        )));
    };
    let links = fedcat_domain::quality::link_checks(&state.catalog)
        .await
        .unwrap_or_default();
    let mut body = summary(&document);
    body["descriptions"] = json!(document.descriptions);
    body["titles"] = json!(document.titles);
    body["distributions"] = Value::Array(distributions(triples, &document.dataset, &links));
    // Quality and duplicates from the index (what the last assessment and linking found).
    if let Some(index) = &state.index
        && let Ok(Some(indexed)) = index.get(&id)
    {
        body["mqa_score"] = json!(indexed.mqa_score);
        body["rating"] = json!(indexed.rating);
        if let Some(cluster) = &indexed.cluster {
            let members: Vec<Value> = index
                .cluster_members(cluster)
                .unwrap_or_default()
                .into_iter()
                .map(|m| json!({"id": m.id, "source": m.source, "dataset": m.dataset, "primary": m.primary}))
                .collect();
            body["duplicates"] = json!({"cluster": cluster, "members": members});
        }
    }
    body["quality"] = quality_breakdown(&state.catalog, &source, &key).await;
    body["provenance"] = provenance(&state.catalog, graph.as_str()).await;
    body["rdf"] = json!({
        "graph": graph.as_str(),
        "turtle": format!("/api/datasets/{id}"),
    });
    Ok(body)
}

/// The dimension scores and totals of the record's DQV assessment.
async fn quality_breakdown(catalog: &Catalog, source: &str, key: &str) -> Value {
    let graph = catalog.iris().quality_graph(source, key);
    let store = catalog.graph_store();
    let rows = tokio::task::spawn_blocking(move || {
        fedcat_domain::report::select(
            &*store,
            &format!(
                "PREFIX dqv: <http://www.w3.org/ns/dqv#>
                 SELECT ?metric ?value WHERE {{ GRAPH <{}> {{
                   ?m dqv:isMeasurementOf ?metric ; dqv:value ?value .
                   FILTER(CONTAINS(STR(?metric), \"coring\")) }} }}",
                graph.as_str()
            ),
        )
    })
    .await;
    let mut out = serde_json::Map::new();
    if let Ok(Ok(rows)) = rows {
        for row in rows {
            if let (Some(metric), Some(value)) = (
                row[0].as_ref().and_then(text),
                row[1].as_ref().and_then(text),
            ) {
                let name = if metric.starts_with("https://piveau.eu/") {
                    format!("mqa_{}", metric.rsplit('#').next().unwrap_or_default())
                } else {
                    format!("ext_{}", metric.rsplit('#').next().unwrap_or_default())
                };
                out.insert(name, json!(value.parse::<i64>().unwrap_or_default()));
            }
        }
    }
    Value::Object(out)
}

/// Where the record came from: source catalogue, harvest time, original URL.
async fn provenance(catalog: &Catalog, graph: &str) -> Value {
    let meta = catalog.iris().meta_graph();
    let store = catalog.graph_store();
    let graph = graph.to_owned();
    let rows = tokio::task::spawn_blocking(move || {
        fedcat_domain::report::select(
            &*store,
            &format!(
                "PREFIX prov: <http://www.w3.org/ns/prov#>
                 SELECT ?time ?url ?catalog WHERE {{ GRAPH <{}> {{
                   <{graph}> prov:generatedAtTime ?time .
                   OPTIONAL {{ <{graph}> prov:hadPrimarySource ?url }}
                   OPTIONAL {{ <{graph}> <http://purl.org/dc/terms/isPartOf> ?catalog }} }} }}",
                meta.as_str()
            ),
        )
    })
    .await;
    match rows {
        Ok(Ok(rows)) if !rows.is_empty() => {
            let row = &rows[0];
            json!({
                "harvested_at": row[0].as_ref().and_then(text),
                "original_url": row[1].as_ref().and_then(text),
                "source_catalog": row[2].as_ref().and_then(text),
            })
        }
        _ => Value::Null,
    }
}

/// `GET /api/publishers`: every publisher with its number of datasets (all copies counted).
pub async fn publishers(State(state): State<DatasetsState>) -> Response {
    let Some(index) = state.index.clone() else {
        return unavailable();
    };
    match tokio::task::spawn_blocking(move || index.facet_values("publisher")).await {
        Ok(Ok(mut values)) => {
            values.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
            let publishers: Vec<Value> = values
                .into_iter()
                .map(|(name, datasets)| {
                    json!({"name": name, "slug": crate::ckan_api::slug(&name), "datasets": datasets})
                })
                .collect();
            Json(json!({"publishers": publishers})).into_response()
        }
        Ok(Err(error)) => internal(error),
        Err(error) => internal(error),
    }
}
