//! `/api/datasets`: full-text search with facets over the search index (one result per
//! duplicate cluster unless `collapse=false`), and `/api/datasets/{source}/{key}`: one dataset
//! with its distributions, quality summary, duplicates and provenance, or its RDF graph when
//! `Accept` asks for Turtle or JSON-LD.

use crate::http::{ApiError, AppState, ErrorCode, Problem};
use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, header};
use axum::response::{IntoResponse, Response};
use fedcat_catalog::Catalog;
use fedcat_catalog::node_keys::{node_key, subject_key};
use fedcat_catalog::oxigraph::io::{RdfFormat, RdfSerializer};
use fedcat_catalog::oxigraph::model::{Term, Triple};
use fedcat_catalog::search::{FACETS, SearchDocument, SearchIndex, SearchQuery, Sort};
use fedcat_domain::queries;
use serde::Deserialize;
use serde_json::{Value, json};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::{router::OpenApiRouter, routes};

/// The dataset routes and the publishers, under `/api`, each with its OpenAPI operation.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(search))
        .routes(routes!(publishers))
        .routes(routes!(dataset))
}

/// The largest page.
pub const MAX_PAGE_SIZE: usize = 100;

/// Query parameters of `GET /api/datasets`. Numbers and booleans are read as text so that a
/// bad one is a 400 naming the parameter, not a generic rejection.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DatasetQuery {
    /// Words, French or English, accents optional; at most 1,000 characters and 32 levels of
    /// parentheses (400 beyond); `field:` syntax only for the facets and `modified`, any other
    /// `name:` is read as words.
    q: Option<String>,
    /// Publisher name (facet value).
    publisher: Option<String>,
    /// Source id.
    source: Option<String>,
    /// EU data-theme code, e.g. `HEAL`.
    theme: Option<String>,
    /// EU file-type code, e.g. `CSV`.
    format: Option<String>,
    /// EU licence code, e.g. `ETALAB_2_0`.
    licence: Option<String>,
    /// Keyword.
    keyword: Option<String>,
    /// EU language code, e.g. `FRA`.
    language: Option<String>,
    /// `excellent`, `good`, `sufficient` or `bad` (MQA).
    rating: Option<String>,
    /// `YYYY-MM-DD`.
    #[param(format = Date)]
    modified_after: Option<String>,
    /// Order: `relevance`, `modified`, `title` or `quality`.
    sort: Option<String>,
    /// From 1; page × page_size at most `[search] max_result_window` (10,000 by default), 400
    /// beyond.
    #[param(value_type = Option<u32>, minimum = 1)]
    page: Option<String>,
    /// 1 to 100, default 20.
    #[param(value_type = Option<u32>, minimum = 1, maximum = 100)]
    page_size: Option<String>,
    /// One result per duplicate cluster (default true).
    #[param(value_type = Option<bool>)]
    collapse: Option<String>,
}

/// A page of search results (the body of `GET /api/datasets`).
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct SearchResults {
    /// Matching datasets (clusters counted once when collapsed).
    total: u64,
    /// The page.
    page: u32,
    /// Its size.
    page_size: u32,
    /// Whether duplicate clusters are collapsed.
    collapse: bool,
    /// The datasets of the page.
    results: Vec<DatasetSummary>,
    /// Facet name → values with their counts over the whole result set.
    facets: std::collections::BTreeMap<String, Vec<FacetCount>>,
}

/// One value of a facet.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct FacetCount {
    /// The value.
    value: String,
    /// How many results have it.
    count: u64,
}

/// One dataset in a page of results.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct DatasetSummary {
    /// `{source}/{key}`.
    id: String,
    /// The dataset IRI.
    dataset: String,
    /// Source id.
    source: String,
    /// Title.
    title: String,
    /// Description.
    description: Option<String>,
    /// Publisher name.
    publisher: Option<String>,
    /// EU data-theme codes.
    themes: Vec<String>,
    /// EU file-type codes.
    formats: Vec<String>,
    /// EU licence codes.
    licences: Vec<String>,
    /// Keywords.
    keywords: Vec<String>,
    /// Last modification (ISO 8601).
    modified: Option<String>,
    /// MQA score.
    mqa_score: Option<u32>,
    /// MQA rating.
    rating: Option<String>,
    /// The other copies of the dataset (its duplicate cluster).
    also_published_at: Vec<serde_json::Value>,
}

fn invalid(detail: String) -> Response {
    ApiError::new(ErrorCode::InvalidParameter, detail).into_response()
}

fn unavailable() -> Response {
    ApiError::new(
        ErrorCode::SearchUnavailable,
        "the search index could not be opened; run `fedcat reindex`",
    )
    .into_response()
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
    let crate::http::paging::Paging {
        page,
        size: page_size,
    } = crate::http::paging::Paging::parse(
        query.page.as_deref(),
        query.page_size.as_deref(),
        20,
        MAX_PAGE_SIZE,
    )?;
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
        None | Some("true" | "1") => true,
        Some("false" | "0") => false,
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

/// Full-text search with facets.
#[utoipa::path(get, path = "/api/datasets", params(DatasetQuery), responses(
    (status = 200, description = "a page of results with facet counts", body = SearchResults),
    (status = 400, description = "a bad parameter", body = Problem),
    (status = 503, description = "no search index", body = Problem),
))]
pub async fn search(State(state): State<AppState>, Query(query): Query<DatasetQuery>) -> Response {
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
            return ApiError::internal(error).into_response();
        }
        Err(error) => {
            return ApiError::internal(error).into_response();
        }
    };
    let facets: serde_json::Map<String, Value> = FACETS
        .iter()
        .map(|name| {
            let values: Vec<Value> = results
                .facet(name)
                .iter()
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

/// One dataset: metadata, distributions and link status, quality, duplicates, provenance; its
/// RDF with `Accept` `text/turtle`, `application/ld+json`, `application/n-triples` or
/// `application/rdf+xml`.
#[utoipa::path(get, path = "/api/datasets/{source}/{*key}",
    params(("source" = String, Path, description = "source id"),
           ("key" = String, Path, description = "record key (may hold slashes)")),
    responses(
        (status = 200, description = "the dataset", content(
            (serde_json::Value = "application/json"),
            (String = "text/turtle"),
            (serde_json::Value = "application/ld+json"))),
        (status = 404, description = "no such dataset", body = Problem),
))]
pub async fn dataset(
    State(state): State<AppState>,
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
                return ApiError::internal(error).into_response();
            }
            Err(error) => {
                return ApiError::internal(error).into_response();
            }
        }
    };
    if triples.is_empty() {
        return ApiError::new(
            ErrorCode::DatasetNotFound,
            format!("no dataset {source}/{key} in the catalogue"),
        )
        .into_response();
    }
    let accept = headers.get(header::ACCEPT).and_then(|v| v.to_str().ok());
    // JSON first: it is this route's own answer; the record's RDF by `Accept`. A header naming
    // nothing offered gets the JSON too.
    let offers: Vec<(&str, Option<(&str, RdfFormat)>)> = [("application/json", None)]
        .into_iter()
        .chain(
            fedcat_sparql::negotiate::rdf_offers()
                .into_iter()
                .map(|(media, format)| (media, Some((media, format)))),
        )
        .collect();
    let rdf = fedcat_sparql::negotiate::choose(accept, &offers).flatten();
    if let Some((media, format)) = rdf {
        let mut serializer = RdfSerializer::from_format(format).for_writer(Vec::new());
        for triple in &triples {
            if serializer.serialize_triple(triple).is_err() {
                return ApiError::new(ErrorCode::Internal, "serialisation failed").into_response();
            }
        }
        return match serializer.finish() {
            Ok(bytes) => ([(header::CONTENT_TYPE, media)], bytes).into_response(),
            Err(error) => ApiError::internal(error).into_response(),
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
) -> Result<Vec<Triple>, fedcat_catalog::CatalogError> {
    let graph = catalog.iris().record_graph(source, key);
    let store = catalog.graph_store();
    tokio::task::spawn_blocking(move || store.graph_triples(graph.as_ref())).await?
}

/// Everything the dataset page and `/api/datasets/{source}/{key}` show, as JSON.
pub async fn describe(
    state: &AppState,
    source: &str,
    key: &str,
    triples: &[Triple],
) -> Result<Value, Box<Response>> {
    let (source, key) = (source.to_owned(), key.to_owned());
    let graph = state.catalog.iris().record_graph(&source, &key);
    let id = format!("{source}/{key}");
    let document = SearchDocument::from_graph(&source, &key, triples);
    let Some(document) = document else {
        return Err(Box::new(
            ApiError::new(
                ErrorCode::DatasetNotFound,
                format!("{id} holds no dcat:Dataset"),
            )
            .into_response(),
        ));
    };
    let links = fedcat_domain::quality::link_checks(&state.catalog)
        .await
        .map_err(|error| Box::new(ApiError::internal(error).into_response()))?;
    let mut body = summary(&document);
    body["descriptions"] = json!(document.descriptions);
    body["titles"] = json!(document.titles);
    body["distributions"] = Value::Array(distributions(triples, &document.dataset, &links));
    // Quality and duplicates from the index (what the last assessment and linking found).
    let indexed = match &state.index {
        Some(index) => index
            .get(&id)
            .map_err(|error| Box::new(ApiError::internal(error).into_response()))?,
        None => None,
    };
    if let (Some(index), Some(indexed)) = (&state.index, indexed) {
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
    let (quality, provenance) = quality_and_provenance(&state.catalog, &source, &key).await?;
    body["quality"] = quality;
    body["provenance"] = provenance;
    body["rdf"] = json!({
        "graph": graph.as_str(),
        "turtle": format!("/api/datasets/{id}"),
    });
    Ok(body)
}

/// The record's quality breakdown (`mqa_findability`…, `ext_…`, totals as `mqa_scoring`) and
/// its provenance, read with the typed queries.
async fn quality_and_provenance(
    catalog: &Catalog,
    source: &str,
    key: &str,
) -> Result<(Value, Value), Box<Response>> {
    let (store, iris) = (catalog.graph_store(), catalog.iris().clone());
    let (source, key) = (source.to_owned(), key.to_owned());
    let read = tokio::task::spawn_blocking(move || {
        let scores = queries::quality_scores(&*store, &iris, &source, &key)?;
        let graph = iris.record_graph(&source, &key);
        let provenance = queries::provenance(&*store, &iris, &graph)?;
        Ok::<_, fedcat_catalog::CatalogError>((scores, provenance))
    })
    .await;
    let (scores, provenance) = match read {
        Ok(Ok(read)) => read,
        Ok(Err(error)) => return Err(Box::new(ApiError::internal(error).into_response())),
        Err(error) => return Err(Box::new(ApiError::internal(error).into_response())),
    };
    let quality: serde_json::Map<String, Value> = scores
        .into_iter()
        .map(|score| {
            let name = match score.dimension {
                Some(dimension) => format!("{}_{dimension}Scoring", score.method),
                None => format!("{}_scoring", score.method),
            };
            (name, json!(score.points))
        })
        .collect();
    let provenance = provenance.map_or(Value::Null, |p| {
        json!({
            "harvested_at": p.harvested_at,
            "original_url": p.original_url,
            "source_catalog": p.source_catalog,
        })
    });
    Ok((Value::Object(quality), provenance))
}

/// Publishers with their number of datasets (all copies counted).
#[utoipa::path(get, path = "/api/publishers", responses(
    (status = 200, description = "publishers", body = serde_json::Value),
    (status = 503, description = "no search index", body = Problem),
))]
pub async fn publishers(State(state): State<AppState>) -> Response {
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
        Ok(Err(error)) => ApiError::internal(error).into_response(),
        Err(error) => ApiError::internal(error).into_response(),
    }
}
