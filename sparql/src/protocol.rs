//! The `/sparql` handlers (SPARQL 1.1 Protocol §2.1 query operation; §2.2 update operation is
//! refused because the endpoint is read-only).

use crate::negotiate::{graph_format, results_format};
use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use fedcat_catalog::RdfStore;
use oxigraph::io::RdfSerializer;
use oxigraph::model::{GraphName, NamedNode, NamedOrBlankNode};
use oxigraph::sparql::results::QueryResultsSerializer;
use oxigraph::sparql::{CancellationToken, QueryEvaluationError, QueryResults, SparqlEvaluator};
use std::sync::Arc;
use std::time::Duration;
use tower_http::cors::{Any, CorsLayer};

/// Limits of the endpoint (from `[sparql]` in `fedcat.toml`).
#[derive(Debug, Clone, Copy)]
pub struct SparqlConfig {
    /// Wall-clock limit of one query.
    pub timeout: Duration,
    /// Most solutions (or triples) returned; the rest is cut and the response says so in the
    /// `Fedcat-Results-Truncated` header.
    pub max_results: usize,
    /// Test-only: accept the one update form the W3C test runner loads a test's data with
    /// (`DROP SILENT ALL ; INSERT DATA { … }`); every other update is still refused. The
    /// configuration allows it only on a loopback listen address.
    pub test_data_loading: bool,
    /// Renders the browser page (language, query, results table) with the application's own
    /// labels; `None`: the crate's bilingual page.
    pub html_page: Option<HtmlPage>,
}

/// A renderer of the browser page: (language, query, results table as HTML) → the page.
pub type HtmlPage = fn(&str, &str, Option<&str>) -> String;

struct Endpoint {
    store: RdfStore,
    config: SparqlConfig,
}

/// The router serving `/sparql`, with CORS open to any origin for GET and POST.
pub fn router(store: RdfStore, config: SparqlConfig) -> Router {
    let cors = CorsLayer::new()
        .allow_origin(Any)
        .allow_methods([Method::GET, Method::POST])
        .allow_headers(Any);
    Router::new()
        .route("/sparql", get(query_by_get).post(query_by_post))
        .layer(cors)
        .with_state(Arc::new(Endpoint { store, config }))
}

/// A query with its protocol dataset parameters.
#[derive(Default)]
struct Request {
    query: Option<String>,
    /// `lang=en` asks the browser page in English.
    lang: Option<String>,
    /// How many `query` parameters came: more than one is a protocol error.
    queries: usize,
    update: bool,
    default_graphs: Vec<String>,
    named_graphs: Vec<String>,
}

fn read_params(request: &mut Request, pairs: impl Iterator<Item = (String, String)>) {
    for (key, value) in pairs {
        match key.as_str() {
            "query" => {
                request.queries += 1;
                request.query = Some(value);
            }
            "update" => request.update = true,
            "lang" => request.lang = Some(value),
            "default-graph-uri" => request.default_graphs.push(value),
            "named-graph-uri" => request.named_graphs.push(value),
            _ => {}
        }
    }
}

fn form_pairs(text: &str) -> impl Iterator<Item = (String, String)> + '_ {
    form_urlencoded::parse(text.as_bytes()).map(|(k, v)| (k.into_owned(), v.into_owned()))
}

fn error(status: StatusCode, message: impl Into<String>) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
        message.into(),
    )
        .into_response()
}

fn read_only() -> Response {
    error(
        StatusCode::FORBIDDEN,
        "this SPARQL endpoint is read-only: SPARQL Update is not accepted",
    )
}

async fn query_by_get(
    State(endpoint): State<Arc<Endpoint>>,
    RawQuery(raw): RawQuery,
    headers: HeaderMap,
) -> Response {
    let mut request = Request::default();
    read_params(&mut request, form_pairs(raw.as_deref().unwrap_or("")));
    if request.query.is_none() && !request.update {
        if wants_html(&headers) {
            return (
                [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
                render_page(
                    &endpoint.config,
                    request.lang.as_deref(),
                    crate::html::EXAMPLES[0].1,
                    None,
                ),
            )
                .into_response();
        }
        return service_description(&headers);
    }
    run(endpoint, request, &headers).await
}

fn render_page(
    config: &SparqlConfig,
    lang: Option<&str>,
    query: &str,
    results: Option<&str>,
) -> String {
    match config.html_page {
        Some(render) => render(lang.unwrap_or("fr"), query, results),
        None => crate::html::page(query, results),
    }
}

/// A browser asking for a page (`text/html` named in `Accept`).
fn wants_html(headers: &HeaderMap) -> bool {
    headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|a| a.contains("text/html"))
}

/// SPARQL 1.1 Service Description of the endpoint (a GET without a query), in the RDF format
/// `Accept` asks for, Turtle by default.
fn service_description(headers: &HeaderMap) -> Response {
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or("localhost");
    let endpoint = format!("http://{host}/sparql");
    let sd = "http://www.w3.org/ns/sparql-service-description#";
    let formats = "http://www.w3.org/ns/formats/";
    let iri = |text: &str| NamedNode::new_unchecked(text);
    let service = oxigraph::model::BlankNode::default();
    let mut triples = vec![
        oxigraph::model::Triple::new(
            service.clone(),
            oxigraph::model::vocab::rdf::TYPE,
            iri(&format!("{sd}Service")),
        ),
        oxigraph::model::Triple::new(
            service.clone(),
            iri(&format!("{sd}endpoint")),
            iri(&endpoint),
        ),
        oxigraph::model::Triple::new(
            service.clone(),
            iri(&format!("{sd}supportedLanguage")),
            iri(&format!("{sd}SPARQL11Query")),
        ),
        oxigraph::model::Triple::new(
            service.clone(),
            iri(&format!("{sd}feature")),
            iri(&format!("{sd}UnionDefaultGraph")),
        ),
        oxigraph::model::Triple::new(
            service.clone(),
            iri(&format!("{sd}feature")),
            iri(&format!("{sd}BasicFederatedQuery")),
        ),
    ];
    for format in [
        "SPARQL_Results_JSON",
        "SPARQL_Results_XML",
        "SPARQL_Results_CSV",
        "SPARQL_Results_TSV",
        "Turtle",
        "N-Triples",
        "RDF_XML",
        "JSON-LD",
    ] {
        triples.push(oxigraph::model::Triple::new(
            service.clone(),
            iri(&format!("{sd}resultFormat")),
            iri(&format!("{formats}{format}")),
        ));
    }
    let accept = headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("text/turtle");
    let Some(format) = graph_format(Some(accept)) else {
        return error(
            StatusCode::NOT_ACCEPTABLE,
            "the service description is served as Turtle, N-Triples, RDF/XML or JSON-LD",
        );
    };
    let mut serializer = RdfSerializer::from_format(format).for_writer(Vec::new());
    for triple in &triples {
        if serializer.serialize_triple(triple).is_err() {
            return error(StatusCode::INTERNAL_SERVER_ERROR, "serialisation failed");
        }
    }
    match serializer.finish() {
        Ok(bytes) => ([(header::CONTENT_TYPE, format.media_type())], bytes).into_response(),
        Err(e) => error(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()),
    }
}

/// The W3C test runner's data load (test mode only): `DROP SILENT ALL ; INSERT DATA { … }`.
async fn load_test_data(endpoint: Arc<Endpoint>, text: String) -> Response {
    if !text.trim_start().starts_with("DROP SILENT ALL ;") || !text.contains("INSERT DATA") {
        return read_only();
    }
    let store = endpoint.store.clone();
    let outcome = tokio::task::spawn_blocking(move || {
        SparqlEvaluator::new()
            .parse_update(&text)
            .map_err(|e| e.to_string())?
            .on_store(store.oxigraph())
            .execute()
            .map_err(|e| e.to_string())
    })
    .await;
    match outcome {
        Ok(Ok(())) => StatusCode::NO_CONTENT.into_response(),
        Ok(Err(e)) => error(
            StatusCode::BAD_REQUEST,
            format!("invalid test data load: {e}"),
        ),
        Err(e) => error(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()),
    }
}

async fn query_by_post(
    State(endpoint): State<Arc<Endpoint>>,
    RawQuery(raw): RawQuery,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(|v| {
            v.split(';')
                .next()
                .unwrap_or("")
                .trim()
                .to_ascii_lowercase()
        })
        .unwrap_or_default();
    let mut request = Request::default();
    let Ok(text) = std::str::from_utf8(&body) else {
        return error(StatusCode::BAD_REQUEST, "the request body is not UTF-8");
    };
    match content_type.as_str() {
        "application/x-www-form-urlencoded" => read_params(&mut request, form_pairs(text)),
        "application/sparql-query" => {
            // §2.1.3: dataset parameters come in the URL query string.
            read_params(&mut request, form_pairs(raw.as_deref().unwrap_or("")));
            request.queries += 1;
            request.query = Some(text.to_owned());
        }
        "application/sparql-update" if endpoint.config.test_data_loading => {
            return load_test_data(endpoint, text.to_owned()).await;
        }
        "application/sparql-update" => return read_only(),
        "" => {
            return error(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "POST needs Content-Type application/sparql-query or application/x-www-form-urlencoded",
            );
        }
        other => {
            return error(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                format!(
                    "Content-Type {other} is not accepted: use application/sparql-query or application/x-www-form-urlencoded"
                ),
            );
        }
    }
    run(endpoint, request, &headers).await
}

/// Parses protocol graph IRIs; the error is the message of a 400 answer.
fn parse_graph_iris(iris: &[String]) -> Result<Vec<NamedNode>, String> {
    iris.iter()
        .map(|iri| NamedNode::new(iri).map_err(|e| format!("invalid graph IRI {iri:?}: {e}")))
        .collect()
}

async fn run(endpoint: Arc<Endpoint>, request: Request, headers: &HeaderMap) -> Response {
    if request.update {
        return read_only();
    }
    if request.queries > 1 {
        return error(
            StatusCode::BAD_REQUEST,
            "more than one query: send exactly one `query` parameter or body",
        );
    }
    let Some(query_text) = request.query.filter(|q| !q.trim().is_empty()) else {
        return error(
            StatusCode::BAD_REQUEST,
            "missing query: pass it as the `query` parameter or as an application/sparql-query body",
        );
    };
    let token = CancellationToken::new();
    // Relative IRIs in a query resolve against the endpoint's own URL (SPARQL 1.1 Protocol:
    // the service-defined base "MAY be the service endpoint").
    let base = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .map(|host| format!("http://{host}/sparql"));
    let evaluator = SparqlEvaluator::new().with_cancellation_token(token.clone());
    let evaluator = match base {
        Some(base) => match evaluator.clone().with_base_iri(base) {
            Ok(with_base) => with_base,
            Err(_) => evaluator,
        },
        None => evaluator,
    };
    let mut prepared = match evaluator.parse_query(&query_text) {
        Ok(prepared) => prepared,
        Err(e) => {
            // A SPARQL Update sent as a query fails to parse; say why rather than a syntax error.
            if SparqlEvaluator::new().parse_update(&query_text).is_ok() {
                return read_only();
            }
            return error(
                StatusCode::BAD_REQUEST,
                format!("invalid SPARQL query: {e}"),
            );
        }
    };
    let (default_graphs, named_graphs) = match (
        parse_graph_iris(&request.default_graphs),
        parse_graph_iris(&request.named_graphs),
    ) {
        (Ok(default_graphs), Ok(named_graphs)) => (default_graphs, named_graphs),
        (Err(message), _) | (_, Err(message)) => return error(StatusCode::BAD_REQUEST, message),
    };
    let dataset = prepared.dataset_mut();
    if !default_graphs.is_empty() || !named_graphs.is_empty() {
        dataset.set_default_graph(default_graphs.into_iter().map(GraphName::from).collect());
        dataset.set_available_named_graphs(
            named_graphs
                .into_iter()
                .map(NamedOrBlankNode::from)
                .collect(),
        );
    } else if dataset.is_default_dataset() {
        dataset.set_default_graph_as_union();
    }

    let accept = headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let store = endpoint.store.clone();
    let max_results = endpoint.config.max_results;
    let html_query = wants_html(headers).then(|| query_text.clone());
    let (html_page, lang) = (endpoint.config.html_page, request.lang.clone());
    let task = tokio::task::spawn_blocking(move || {
        let results = prepared.on_store(store.oxigraph()).execute()?;
        match html_query {
            Some(query) => serialize_html(results, &query, max_results, html_page, lang.as_deref()),
            None => serialize(results, accept.as_deref(), max_results),
        }
    });
    let timeout = endpoint.config.timeout;
    let outcome = match tokio::time::timeout(timeout, task).await {
        Ok(joined) => joined,
        Err(_) => {
            token.cancel();
            return error(
                StatusCode::SERVICE_UNAVAILABLE,
                format!(
                    "query stopped: it ran longer than the limit of {} s",
                    timeout.as_secs_f64()
                ),
            );
        }
    };
    match outcome {
        Ok(Ok(Serialized::Body {
            content_type,
            body,
            truncated,
        })) => {
            let mut response = Response::new(Body::from(body));
            response
                .headers_mut()
                .insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
            if truncated {
                response.headers_mut().insert(
                    "fedcat-results-truncated",
                    HeaderValue::from(max_results as u64),
                );
            }
            response
        }
        Ok(Ok(Serialized::NotAcceptable(offered))) => error(
            StatusCode::NOT_ACCEPTABLE,
            format!(
                "none of the accepted media types can be produced for this query; available: {offered}"
            ),
        ),
        Ok(Err(QueryEvaluationError::Cancelled)) => error(
            StatusCode::SERVICE_UNAVAILABLE,
            format!(
                "query stopped: it ran longer than the limit of {} s",
                timeout.as_secs_f64()
            ),
        ),
        Ok(Err(e)) => {
            tracing::warn!(error = %e, "query evaluation failed");
            error(StatusCode::INTERNAL_SERVER_ERROR, "query evaluation failed")
        }
        Err(e) => {
            tracing::error!(error = %e, "query task failed");
            error(StatusCode::INTERNAL_SERVER_ERROR, "query evaluation failed")
        }
    }
}

enum Serialized {
    Body {
        content_type: &'static str,
        body: Vec<u8>,
        truncated: bool,
    },
    NotAcceptable(&'static str),
}

fn io_error(e: std::io::Error) -> QueryEvaluationError {
    QueryEvaluationError::Unexpected(Box::new(e))
}

/// Results as the editor page with a table (browsers).
fn serialize_html(
    results: QueryResults<'_>,
    query: &str,
    max_results: usize,
    html_page: Option<HtmlPage>,
    lang: Option<&str>,
) -> Result<Serialized, QueryEvaluationError> {
    let mut truncated = false;
    let (columns, rows): (Vec<String>, Vec<Vec<String>>) = match results {
        QueryResults::Boolean(value) => (vec!["ASK".into()], vec![vec![value.to_string()]]),
        QueryResults::Solutions(solutions) => {
            let columns: Vec<String> = solutions
                .variables()
                .iter()
                .map(|v| v.as_str().to_owned())
                .collect();
            let mut rows = Vec::new();
            for (count, solution) in solutions.enumerate() {
                if count >= max_results {
                    truncated = true;
                    break;
                }
                let solution = solution?;
                rows.push(
                    columns
                        .iter()
                        .map(|c| {
                            solution
                                .get(c.as_str())
                                .map(ToString::to_string)
                                .unwrap_or_default()
                        })
                        .collect(),
                );
            }
            (columns, rows)
        }
        QueryResults::Graph(triples) => {
            let mut rows = Vec::new();
            for (count, triple) in triples.enumerate() {
                if count >= max_results {
                    truncated = true;
                    break;
                }
                let triple = triple?;
                rows.push(vec![
                    triple.subject.to_string(),
                    triple.predicate.to_string(),
                    triple.object.to_string(),
                ]);
            }
            (
                vec!["subject".into(), "predicate".into(), "object".into()],
                rows,
            )
        }
    };
    let table = crate::html::table(&columns, &rows, truncated);
    Ok(Serialized::Body {
        content_type: "text/html; charset=utf-8",
        body: match html_page {
            Some(render) => render(lang.unwrap_or("fr"), query, Some(&table)),
            None => crate::html::page(query, Some(&table)),
        }
        .into_bytes(),
        truncated,
    })
}

fn serialize(
    results: QueryResults<'_>,
    accept: Option<&str>,
    max_results: usize,
) -> Result<Serialized, QueryEvaluationError> {
    const RESULT_TYPES: &str = "application/sparql-results+json, application/sparql-results+xml, text/csv, text/tab-separated-values";
    const GRAPH_TYPES: &str =
        "text/turtle, application/n-triples, application/rdf+xml, application/ld+json";
    let mut truncated = false;
    match results {
        QueryResults::Boolean(value) => {
            let Some(format) = results_format(accept) else {
                return Ok(Serialized::NotAcceptable(RESULT_TYPES));
            };
            let body = QueryResultsSerializer::from_format(format)
                .serialize_boolean_to_writer(Vec::new(), value)
                .map_err(io_error)?;
            Ok(Serialized::Body {
                content_type: format.media_type(),
                body,
                truncated,
            })
        }
        QueryResults::Solutions(solutions) => {
            let Some(format) = results_format(accept) else {
                return Ok(Serialized::NotAcceptable(RESULT_TYPES));
            };
            let mut writer = QueryResultsSerializer::from_format(format)
                .serialize_solutions_to_writer(Vec::new(), solutions.variables().to_vec())
                .map_err(io_error)?;
            for (count, solution) in solutions.enumerate() {
                if count >= max_results {
                    truncated = true;
                    break;
                }
                writer.serialize(&solution?).map_err(io_error)?;
            }
            Ok(Serialized::Body {
                content_type: format.media_type(),
                body: writer.finish().map_err(io_error)?,
                truncated,
            })
        }
        QueryResults::Graph(triples) => {
            let Some(format) = graph_format(accept) else {
                return Ok(Serialized::NotAcceptable(GRAPH_TYPES));
            };
            let mut writer = RdfSerializer::from_format(format).for_writer(Vec::new());
            for (count, triple) in triples.enumerate() {
                if count >= max_results {
                    truncated = true;
                    break;
                }
                writer.serialize_triple(&triple?).map_err(io_error)?;
            }
            Ok(Serialized::Body {
                content_type: format.media_type(),
                body: writer.finish().map_err(io_error)?,
                truncated,
            })
        }
    }
}
