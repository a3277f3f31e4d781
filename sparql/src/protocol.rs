//! The `/sparql` handlers (SPARQL 1.1 Protocol §2.1 query operation; §2.2 update operation is
//! refused because the endpoint is read-only).

use crate::evaluate::{Output, QueryJob, Reply};
use crate::executor::{Executor, QueryLimits};
use crate::negotiate::graph_format;
use crate::nesting::nesting_depth;
use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use fedcat_catalog::GraphStore;
use oxigraph::io::RdfSerializer;
use oxigraph::model::NamedNode;
use oxigraph::sparql::SparqlEvaluator;
use std::path::PathBuf;
use std::sync::Arc;
use tower_http::cors::{Any, CorsLayer};

/// Limits and wiring of the endpoint (from `[sparql]` in `fedcat.toml`).
#[derive(Debug, Clone)]
pub struct SparqlConfig {
    /// Time, concurrency, memory and nesting limits of queries.
    pub limits: QueryLimits,
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
    /// The endpoint's public IRI (`{base_iri}/sparql`): the base of relative IRIs in queries and
    /// the `sd:endpoint` of the service description. Never taken from the request's `Host`.
    pub endpoint_iri: String,
    /// The executable that evaluates each query in its own process (`… sparql-worker`), for
    /// stores on disk; `None`: queries run on threads of this process.
    pub worker: Option<PathBuf>,
}

/// A renderer of the browser page: (language, query, results table as HTML) → the page.
pub type HtmlPage = fn(&str, &str, Option<&str>) -> String;

struct Endpoint {
    store: Arc<dyn GraphStore>,
    config: SparqlConfig,
    executor: Executor,
}

/// The router serving `/sparql`, with CORS open to any origin for GET and POST.
pub fn router(store: Arc<dyn GraphStore>, config: SparqlConfig) -> Router {
    let cors = CorsLayer::new()
        .allow_origin(Any)
        .allow_methods([Method::GET, Method::POST])
        .allow_headers(Any);
    Router::new()
        .route("/sparql", get(query_by_get).post(query_by_post))
        .layer(cors)
        .layer(axum::middleware::map_response(no_cors_on_pages))
        .with_state(Arc::new(Endpoint {
            executor: Executor::new(
                store.clone(),
                config.worker.clone(),
                config.limits,
                config.html_page,
            ),
            store,
            config,
        }))
}

/// The browser page of the endpoint is a page, not data: no other origin may read it.
async fn no_cors_on_pages(mut response: Response) -> Response {
    let is_page = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("text/html"));
    if is_page {
        let headers = response.headers_mut();
        headers.remove(header::ACCESS_CONTROL_ALLOW_ORIGIN);
        headers.remove(header::ACCESS_CONTROL_EXPOSE_HEADERS);
    }
    response
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
        return service_description(&endpoint.config.endpoint_iri, &headers);
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
fn service_description(endpoint_iri: &str, headers: &HeaderMap) -> Response {
    let Ok(endpoint) = NamedNode::new(endpoint_iri) else {
        return error(StatusCode::INTERNAL_SERVER_ERROR, "invalid endpoint IRI");
    };
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
        oxigraph::model::Triple::new(service.clone(), iri(&format!("{sd}endpoint")), endpoint),
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
    if nesting_depth(&text) > endpoint.executor.limits().max_nesting {
        return error(
            StatusCode::BAD_REQUEST,
            "the test data load is nested too deeply",
        );
    }
    let store = endpoint.store.clone();
    let outcome = tokio::task::spawn_blocking(move || {
        let update = SparqlEvaluator::new()
            .parse_update(&text)
            .map_err(|e| e.to_string())?;
        store.update(update).map_err(|e| e.to_string())
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
    let content_type = crate::negotiate::content_type(&headers);
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
    let depth = nesting_depth(&query_text);
    let max_nesting = endpoint.executor.limits().max_nesting;
    if depth > max_nesting {
        return error(
            StatusCode::BAD_REQUEST,
            format!(
                "the query nests groups, brackets or parentheses {depth} deep; the limit is \
                 {max_nesting} (sparql.max_nesting)"
            ),
        );
    }
    let accept = headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let output = if wants_html(headers) {
        Output::Html { lang: request.lang }
    } else {
        Output::Negotiated { accept }
    };
    let job = QueryJob {
        query: query_text,
        base_iri: endpoint.config.endpoint_iri.clone(),
        default_graphs: request.default_graphs,
        named_graphs: request.named_graphs,
        output,
        max_results: endpoint.config.max_results,
    };
    into_response(
        endpoint.executor.run(job).await,
        endpoint.config.max_results,
    )
}

fn into_response(reply: Reply, max_results: usize) -> Response {
    let status =
        StatusCode::from_u16(reply.head.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let mut response = Response::new(Body::from(reply.body));
    *response.status_mut() = status;
    if let Ok(content_type) = HeaderValue::from_str(&reply.head.content_type) {
        response
            .headers_mut()
            .insert(header::CONTENT_TYPE, content_type);
    }
    if reply.head.truncated {
        response.headers_mut().insert(
            "fedcat-results-truncated",
            HeaderValue::from(max_results as u64),
        );
    }
    response
}
