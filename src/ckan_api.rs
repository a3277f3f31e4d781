//! A CKAN-compatible Action API subset under `/api/3/action/` and `/api/action/` (GET and POST,
//! JSON or form), with CKAN's envelope (`help`, `success`, `result` or `error` with `__type`), so
//! CKAN clients and CKAN-to-CKAN harvesters work against fedcat unchanged: `status_show`,
//! `package_search`, `package_show`, `package_list`, `organization_list`, `organization_show`.
//! Every dataset record is a package (duplicates are not collapsed: each portal's copy is its
//! own package); its publisher is its organization.

use crate::http::AppState;
use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use fedcat_catalog::Catalog;
use fedcat_catalog::node_keys::subject_key;
use fedcat_catalog::oxigraph::model::{Term, Triple};
use fedcat_catalog::search::{SearchDocument, SearchIndex, SearchQuery};
use serde_json::{Map, Value, json};
use std::collections::HashMap;
use std::sync::Arc;

/// The most rows `package_search` returns, as CKAN's default `ckan.search.rows_max`.
pub const MAX_ROWS: usize = 1000;

/// The routes, under both prefixes.
pub fn router() -> axum::Router<AppState> {
    axum::Router::new()
        .route(
            "/api/3/action/{action}",
            axum::routing::get(get_action).post(post_action),
        )
        .route(
            "/api/action/{action}",
            axum::routing::get(get_action).post(post_action),
        )
}

fn help(action: &str) -> String {
    format!("/api/3/action/help_show?name={action}")
}

fn ok(action: &str, result: Value) -> Response {
    Json(json!({"help": help(action), "success": true, "result": result})).into_response()
}

/// A 500 in CKAN's envelope; the cause goes to the log, not to the client.
fn search_failed(action: &str, error: &dyn std::fmt::Display) -> Response {
    tracing::error!(%error, action, "CKAN action failed");
    fail(
        action,
        StatusCode::INTERNAL_SERVER_ERROR,
        "Search Error",
        "the search failed; the server's log says why".to_owned(),
    )
}

fn fail(action: &str, status: StatusCode, kind: &str, message: String) -> Response {
    let mut error = Map::new();
    error.insert("__type".into(), Value::from(kind));
    error.insert("message".into(), Value::from(message));
    (
        status,
        Json(json!({"help": help(action), "success": false, "error": error})),
    )
        .into_response()
}

fn not_found(action: &str, what: String) -> Response {
    fail(action, StatusCode::NOT_FOUND, "Not Found Error", what)
}

fn invalid(action: &str, message: String) -> Response {
    fail(action, StatusCode::CONFLICT, "Validation Error", message)
}

/// A parameter past one of fedcat's limits (query text, result window): 400 with CKAN's
/// `Validation Error`, the message under `message` and, as CKAN lists a field's errors, under
/// the parameter's name.
fn refused(action: &str, parameter: &str, message: String) -> Response {
    let mut error = Map::new();
    error.insert("__type".into(), Value::from("Validation Error"));
    error.insert(parameter.into(), json!([message.clone()]));
    error.insert("message".into(), Value::from(message));
    (
        StatusCode::BAD_REQUEST,
        Json(json!({"help": help(action), "success": false, "error": error})),
    )
        .into_response()
}

/// A CKAN name (see [`fedcat_catalog::search::ckan_name`]).
pub fn slug(text: &str) -> String {
    fedcat_catalog::search::ckan_name(text)
}

/// A package's name: `{source}-{key}` as a CKAN name.
fn package_name(document: &SearchDocument) -> String {
    fedcat_catalog::search::package_name(&document.id)
}

async fn get_action(
    State(state): State<AppState>,
    Path(action): Path<String>,
    Query(params): Query<Vec<(String, String)>>,
) -> Response {
    let params: Map<String, Value> = params
        .into_iter()
        .map(|(k, v)| (k, Value::from(v)))
        .collect();
    run(state, &action, params).await
}

async fn post_action(
    State(state): State<AppState>,
    Path(action): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let content_type = fedcat_sparql::negotiate::content_type(&headers);
    let params: Map<String, Value> = if content_type == "application/x-www-form-urlencoded" {
        url::form_urlencoded::parse(&body)
            .map(|(k, v)| (k.into_owned(), Value::from(v.into_owned())))
            .collect()
    } else if body.iter().all(u8::is_ascii_whitespace) {
        Map::new()
    } else {
        match serde_json::from_slice::<Value>(&body) {
            Ok(Value::Object(map)) => map,
            _ => {
                return fail(
                    &action,
                    StatusCode::BAD_REQUEST,
                    "Validation Error",
                    "the request body is not a JSON object".into(),
                );
            }
        }
    };
    run(state, &action, params).await
}

fn text_param(params: &Map<String, Value>, name: &str) -> Option<String> {
    match params.get(name)? {
        Value::String(s) => Some(s.clone()),
        Value::Null => None,
        other => Some(other.to_string()),
    }
}

/// An integer parameter, or CKAN's validation message.
fn number_param(params: &Map<String, Value>, name: &str, default: usize) -> Result<usize, String> {
    match text_param(params, name) {
        None => Ok(default),
        Some(text) => text
            .trim()
            .parse()
            .map_err(|_| format!("{name}: Invalid integer {text:?}")),
    }
}

#[expect(
    clippy::too_many_lines,
    reason = "CKAN's action dispatch: one arm per action, with CKAN's own error envelope"
)]
async fn run(state: AppState, action: &str, params: Map<String, Value>) -> Response {
    let Some(index) = state.index.clone() else {
        return fail(
            action,
            StatusCode::SERVICE_UNAVAILABLE,
            "Search Error",
            "the search index is not available".into(),
        );
    };
    match action {
        "status_show" => ok(
            action,
            json!({
                "site_title": "fedcat",
                "site_description": "Federated catalogue of health open data",
                "site_url": state.config.base_iri,
                "ckan_version": "2.10.0",
                "api_version": 3,
                "extensions": ["fedcat"],
                "locale_default": "fr",
            }),
        ),
        "package_search" => package_search(&state, &index, action, &params).await,
        "package_show" => package_show(&state, &index, action, &params).await,
        "package_list" => {
            let limit = match number_param(&params, "limit", usize::MAX) {
                Ok(n) => n,
                Err(message) => return invalid(action, message),
            };
            let offset = match number_param(&params, "offset", 0) {
                Ok(n) => n,
                Err(message) => return invalid(action, message),
            };
            match index.documents(None) {
                Ok(mut documents) => {
                    documents.sort_by(|a, b| a.id.cmp(&b.id));
                    let names: Vec<Value> = documents
                        .iter()
                        .skip(offset)
                        .take(limit)
                        .map(|d| Value::from(package_name(d)))
                        .collect();
                    ok(action, Value::Array(names))
                }
                Err(e) => search_failed(action, &e),
            }
        }
        "organization_list" => {
            let all_fields = text_param(&params, "all_fields")
                .is_some_and(|v| v == "true" || v == "True" || v == "1");
            match organizations(&index) {
                Ok(orgs) => ok(
                    action,
                    Value::Array(
                        orgs.into_iter()
                            .map(|(name, title, count)| {
                                if all_fields {
                                    organization(&name, &title, count)
                                } else {
                                    Value::from(name)
                                }
                            })
                            .collect(),
                    ),
                ),
                Err(e) => search_failed(action, &e),
            }
        }
        "organization_show" => {
            let Some(id) = text_param(&params, "id") else {
                return invalid(action, "id: Missing value".into());
            };
            match organizations(&index) {
                Ok(orgs) => match orgs
                    .into_iter()
                    .find(|(name, title, _)| *name == id || *title == id)
                {
                    Some((name, title, count)) => ok(action, organization(&name, &title, count)),
                    None => not_found(action, "Organization not found".into()),
                },
                Err(e) => search_failed(action, &e),
            }
        }
        _ => fail(
            action,
            StatusCode::BAD_REQUEST,
            "Not Found Error",
            format!("Action name not known: {action}"),
        ),
    }
}

fn organization(name: &str, title: &str, count: u64) -> Value {
    json!({
        "id": name,
        "name": name,
        "title": title,
        "display_name": title,
        "description": "",
        "type": "organization",
        "is_organization": true,
        "state": "active",
        "approval_status": "approved",
        "image_url": "",
        "package_count": count,
    })
}

/// Every publisher as an organization: (name, title, datasets).
fn organizations(
    index: &SearchIndex,
) -> Result<Vec<(String, String, u64)>, fedcat_catalog::CatalogError> {
    let mut out: Vec<(String, String, u64)> = index
        .facet_values("publisher")?
        .into_iter()
        .map(|(title, count)| (slug(&title), title, count))
        .collect();
    out.sort();
    Ok(out)
}

#[expect(
    clippy::too_many_lines,
    reason = "package_search's parameters (q, fq, sort, rows, start, facets) translated one by one into a search"
)]
async fn package_search(
    state: &AppState,
    index: &Arc<SearchIndex>,
    action: &str,
    params: &Map<String, Value>,
) -> Response {
    let rows = match number_param(params, "rows", 10) {
        Ok(n) => n.min(MAX_ROWS),
        Err(message) => return invalid(action, message),
    };
    let start = match number_param(params, "start", 0) {
        Ok(n) => n,
        Err(message) => return invalid(action, message),
    };
    // Deep paging makes the index keep `start + rows` hits: bounded like Elasticsearch's
    // max_result_window (rows past MAX_ROWS were capped above, as CKAN's rows_max does).
    if let Err(message) = crate::datasets_api::check_window(
        &format!("start + rows ({start} + {rows})"),
        start.checked_add(rows),
        state.config.search_max_window,
    ) {
        return refused(action, "start", message);
    }
    let publishers: HashMap<String, String> = match organizations(index) {
        Ok(orgs) => orgs
            .into_iter()
            .map(|(name, title, _)| (name, title))
            .collect(),
        Err(e) => return search_failed(action, &e),
    };
    let query_error = |message: String| {
        fail(
            action,
            StatusCode::BAD_REQUEST,
            "Search Query Error",
            message,
        )
    };
    let filter = match crate::ckan_fq::parse_fq(
        &text_param(params, "fq").unwrap_or_default(),
        &publishers,
    ) {
        Ok(filter) => filter,
        Err(error) => return query_error(error.to_string()),
    };
    let q = text_param(params, "q").filter(|q| q.trim() != "*:*" && !q.trim().is_empty());
    if let Some(text) = &q
        && let Err(error) = fedcat_catalog::search::check_query_text(text)
    {
        return refused(action, "q", format!("q: {error}"));
    }
    let sort_text =
        text_param(params, "sort").unwrap_or_else(|| "score desc, metadata_modified desc".into());
    let sort = match crate::ckan_fq::parse_sort(&sort_text) {
        Ok(sort) => sort,
        Err(error) => return query_error(error.to_string()),
    };
    let search = SearchQuery {
        text: q,
        filter,
        sort,
        offset: start,
        limit: rows.max(1),
        ..SearchQuery::default()
    };
    let facet_fields: Vec<String> = match params.get("facet.field") {
        Some(Value::String(text)) => {
            serde_json::from_str(text).unwrap_or_else(|_| vec![text.clone()])
        }
        Some(Value::Array(items)) => items
            .iter()
            .filter_map(|v| v.as_str().map(str::to_owned))
            .collect(),
        _ => Vec::new(),
    };
    let index = index.clone();
    let results = match tokio::task::spawn_blocking(move || index.search(&search)).await {
        Ok(Ok(results)) => results,
        Ok(Err(fedcat_catalog::CatalogError::QueryText(error))) => {
            return refused(action, "q", format!("q: {error}"));
        }
        Ok(Err(e)) => {
            return search_failed(action, &e);
        }
        Err(e) => {
            return search_failed(action, &e);
        }
    };
    let mut packages = Vec::new();
    if rows > 0 {
        for hit in &results.hits {
            packages.push(package(&state.catalog, hit).await);
        }
    }
    let mut facets = Map::new();
    let mut search_facets = Map::new();
    for field in &facet_fields {
        let ours = match field.as_str() {
            "organization" => "publisher",
            "tags" => "keyword",
            "res_format" => "format",
            "license_id" => "licence",
            _ => continue,
        };
        let values = results.facet(ours).to_vec();
        let name_of = |value: &str| {
            if ours == "publisher" {
                slug(value)
            } else {
                value.to_owned()
            }
        };
        facets.insert(
            field.clone(),
            Value::Object(values.iter().map(|(v, n)| (name_of(v), json!(n))).collect()),
        );
        search_facets.insert(
            field.clone(),
            json!({
                "title": field,
                "items": values.iter().map(|(v, n)| json!({"name": name_of(v), "display_name": v, "count": n})).collect::<Vec<_>>(),
            }),
        );
    }
    ok(
        action,
        json!({
            "count": results.total,
            "sort": sort_text,
            "results": packages,
            "facets": facets,
            "search_facets": search_facets,
        }),
    )
}

async fn package_show(
    state: &AppState,
    index: &Arc<SearchIndex>,
    action: &str,
    params: &Map<String, Value>,
) -> Response {
    let Some(id) = text_param(params, "id").or_else(|| text_param(params, "name")) else {
        return invalid(action, "id: Missing value".into());
    };
    let found = match index.get(&id) {
        Ok(Some(document)) => Some(document),
        Ok(None) => index
            .documents(None)
            .ok()
            .and_then(|all| all.into_iter().find(|d| package_name(d) == id)),
        Err(e) => {
            return search_failed(action, &e);
        }
    };
    match found {
        Some(document) => ok(action, package(&state.catalog, &document).await),
        None => not_found(action, "Not found".into()),
    }
}

fn value_of(term: &Term) -> Option<String> {
    match term {
        Term::NamedNode(n) => Some(n.as_str().to_owned()),
        Term::Literal(l) => Some(l.value().to_owned()),
        Term::BlankNode(b) => Some(format!("_:{}", b.as_str())),
    }
}

/// A package dict as CKAN returns it, from the record graph and its index document.
#[expect(
    clippy::too_many_lines,
    reason = "a CKAN package dictionary built field by field, as ckanext-dcat and ckanapi read it"
)]
async fn package(catalog: &Catalog, document: &SearchDocument) -> Value {
    let (source, key) = document.id.split_once('/').unwrap_or((&document.id, ""));
    let graph = catalog.iris().record_graph(source, key);
    let store = catalog.graph_store();
    let triples: Vec<Triple> =
        tokio::task::spawn_blocking(move || store.graph_triples(graph.as_ref()))
            .await
            .ok()
            .and_then(Result::ok)
            .unwrap_or_default();
    let values = |node: &str, predicate: &str| -> Vec<String> {
        triples
            .iter()
            .filter(|t| subject_key(&t.subject) == node && t.predicate.as_str() == predicate)
            .filter_map(|t| value_of(&t.object))
            .collect()
    };
    let first = |node: &str, predicate: &str| values(node, predicate).into_iter().next();
    let dataset = document.dataset.as_str();
    let name = package_name(document);
    let organization = document.publisher.as_ref().map(|p| {
        let org = slug(p);
        json!({
            "id": org, "name": org, "title": p, "description": "", "type": "organization",
            "is_organization": true, "state": "active", "approval_status": "approved", "image_url": "",
        })
    });
    let resources: Vec<Value> = values(dataset, "http://www.w3.org/ns/dcat#distribution")
        .iter()
        .enumerate()
        .map(|(position, node)| {
            let url = first(node, "http://www.w3.org/ns/dcat#downloadURL")
                .or_else(|| first(node, "http://www.w3.org/ns/dcat#accessURL"))
                .unwrap_or_default();
            let format = first(node, "http://purl.org/dc/terms/format")
                .map(|f| f.rsplit('/').next().unwrap_or(&f).to_owned())
                .unwrap_or_default();
            json!({
                "id": format!("{name}-{position}"),
                "package_id": document.id,
                "name": first(node, "http://purl.org/dc/terms/title").unwrap_or_else(|| url.clone()),
                "description": first(node, "http://purl.org/dc/terms/description").unwrap_or_default(),
                "url": url,
                "format": format,
                "mimetype": first(node, "http://www.w3.org/ns/dcat#mediaType")
                    .map(|m| m.split("/media-types/").nth(1).unwrap_or(&m).to_owned()),
                "size": first(node, "http://www.w3.org/ns/dcat#byteSize").and_then(|s| s.parse::<u64>().ok()),
                "created": first(node, "http://purl.org/dc/terms/issued"),
                "last_modified": first(node, "http://purl.org/dc/terms/modified"),
                "state": "active",
                "position": position,
                "url_type": null,
            })
        })
        .collect();
    let licence = document.licences.first().cloned();
    let modified = first(dataset, "http://purl.org/dc/terms/modified").map(ckan_time);
    let created = first(dataset, "http://purl.org/dc/terms/issued").map(ckan_time);
    let open_licences = [
        "CC0",
        "CC_BY",
        "CC_BY_4_0",
        "CC_BYSA_4_0",
        "ETALAB_2_0",
        "ODC_BL",
        "ODC_BY",
        "OGL_3_0",
        "CC_BY_3_0",
        "ETALAB_1_0",
    ];
    let mut extras = vec![
        json!({"key": "dcat_identifier", "value": document.dataset}),
        json!({"key": "fedcat_source", "value": document.source}),
    ];
    for (key, value) in [("issued", created), ("modified", modified)] {
        if let Some(value) = value {
            extras.push(json!({"key": key, "value": value}));
        }
    }
    json!({
        "id": document.id,
        "name": name,
        "title": document.title(),
        "notes": document.descriptions.first(),
        "url": first(dataset, "http://www.w3.org/ns/dcat#landingPage"),
        "author": null,
        "author_email": null,
        "maintainer": null,
        "maintainer_email": null,
        "license_id": licence,
        "license_title": licence,
        "isopen": licence.as_deref().is_some_and(|l| open_licences.contains(&l)),
        // fedcat's own record times, as CKAN's are its packages'; the portal's dates are
        // the `issued` and `modified` extras (ckanext-dcat's names).
        "metadata_created": document.record_created.clone().map(ckan_time),
        "metadata_modified": document.record_changed.clone().map(ckan_time),
        "state": "active",
        "type": "dataset",
        "private": false,
        "owner_org": organization.as_ref().map(|o| o["id"].clone()),
        "organization": organization,
        "tags": document.keywords.iter().map(|k| json!({"name": k, "display_name": k, "state": "active"})).collect::<Vec<_>>(),
        "num_tags": document.keywords.len(),
        "groups": [],
        "resources": resources,
        "num_resources": resources.len(),
        "extras": extras,
    })
}

/// CKAN writes times as `2024-01-31T12:00:00.000000`, without a zone.
fn ckan_time(text: String) -> String {
    match text.len() {
        10 => format!("{text}T00:00:00"),
        _ => text.trim_end_matches('Z').to_owned(),
    }
}
