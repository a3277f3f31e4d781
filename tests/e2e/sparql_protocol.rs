//! SPARQL 1.1 Protocol behaviour of `/sparql`, through the router (`oneshot`, no socket) over a
//! store holding harvested fixture records.

use crate::fake_portal::{FakePortal, HydraStyle};
use crate::support::{Deployment, source_toml};
use axum::Router;
use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use fedcat_catalog::oxigraph::io::RdfFormat;
use tower::ServiceExt;

const DEMO_TTL: &str = "dcat/hydra/demo.ckan.org_catalog_page1_of_26.ttl";
const SELECT_TITLES: &str = "PREFIX dct: <http://purl.org/dc/terms/> SELECT ?d ?t WHERE { ?d dct:title ?t } ORDER BY ?t LIMIT 3";

struct Endpoint {
    app: Router,
    _deployment: Deployment,
}

async fn endpoint(extra_config: &str) -> Endpoint {
    let portal = FakePortal::start().await;
    let url = portal.add_repaged_dcat(
        "demo",
        DEMO_TTL,
        50,
        HydraStyle::PagedCollection,
        RdfFormat::Turtle,
    );
    let deployment = Deployment::new(&source_toml("demo", "dcat", &url, ""), extra_config);
    let catalog = deployment.open().await;
    deployment.harvest(&catalog, "demo").await;
    let app = fedcat::server::app(&catalog, &deployment.config, None, None);
    Endpoint {
        app,
        _deployment: deployment,
    }
}

fn get(query: &str, accept: Option<&str>) -> Request<Body> {
    let encoded: String = url::form_urlencoded::Serializer::new(String::new())
        .append_pair("query", query)
        .finish();
    let mut request = Request::get(format!("/sparql?{encoded}"));
    if let Some(accept) = accept {
        request = request.header(header::ACCEPT, accept);
    }
    request.body(Body::empty()).unwrap()
}

async fn call(app: &Router, request: Request<Body>) -> (StatusCode, String, String) {
    let response = app.clone().oneshot(request).await.unwrap();
    let status = response.status();
    let content_type = response
        .headers()
        .get(header::CONTENT_TYPE)
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default();
    let body = axum::body::to_bytes(response.into_body(), usize::MAX)
        .await
        .unwrap();
    (
        status,
        content_type,
        String::from_utf8(body.to_vec()).unwrap(),
    )
}

#[tokio::test(flavor = "multi_thread")]
async fn select_and_ask_in_every_results_format() {
    let endpoint = endpoint("").await;
    let app = &endpoint.app;
    for (accept, media, marker) in [
        (None, "application/sparql-results+json", "\"bindings\""),
        (
            Some("application/sparql-results+json"),
            "application/sparql-results+json",
            "\"bindings\"",
        ),
        (
            Some("application/sparql-results+xml"),
            "application/sparql-results+xml",
            "<sparql",
        ),
        (Some("text/csv"), "text/csv", "d,t\r\n"),
        (
            Some("text/tab-separated-values"),
            "text/tab-separated-values",
            "?d\t?t\n",
        ),
    ] {
        let (status, content_type, body) = call(app, get(SELECT_TITLES, accept)).await;
        assert_eq!(status, StatusCode::OK, "{accept:?}: {body}");
        assert!(
            content_type.starts_with(media),
            "{accept:?}: {content_type}"
        );
        assert!(body.contains(marker), "{accept:?}: {body}");
    }
    let (status, _, body) = call(
        app,
        get("ASK { ?s a <http://www.w3.org/ns/dcat#Dataset> }", None),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert!(body.contains("\"boolean\":true"), "{body}");
    let (_, content_type, body) = call(
        app,
        get(
            "ASK { ?s a <http://www.w3.org/ns/dcat#Dataset> }",
            Some("application/sparql-results+xml"),
        ),
    )
    .await;
    assert!(
        content_type.starts_with("application/sparql-results+xml")
            && body.contains("<boolean>true</boolean>"),
        "{body}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn construct_in_every_graph_format() {
    let endpoint = endpoint("").await;
    let query = "PREFIX dct: <http://purl.org/dc/terms/> CONSTRUCT { ?d dct:title ?t } WHERE { ?d dct:title ?t } LIMIT 2";
    for (accept, media) in [
        (None, "text/turtle"),
        (Some("text/turtle"), "text/turtle"),
        (Some("application/n-triples"), "application/n-triples"),
        (Some("application/rdf+xml"), "application/rdf+xml"),
        (Some("application/ld+json"), "application/ld+json"),
    ] {
        let (status, content_type, body) = call(&endpoint.app, get(query, accept)).await;
        assert_eq!(status, StatusCode::OK, "{accept:?}");
        assert!(
            content_type.starts_with(media),
            "{accept:?}: {content_type}"
        );
        assert!(
            body.contains("http://purl.org/dc/terms/title")
                || body.contains("dct:title")
                || body.contains("title"),
            "{accept:?}: {body}"
        );
    }
    let (status, _, body) = call(
        &endpoint.app,
        get(
            "DESCRIBE <http://demo.ckan.org/dataset/none>",
            Some("application/n-triples"),
        ),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
}

#[tokio::test(flavor = "multi_thread")]
async fn post_forms_and_direct_queries() {
    let endpoint = endpoint("").await;
    let form = url::form_urlencoded::Serializer::new(String::new())
        .append_pair("query", SELECT_TITLES)
        .finish();
    let request = Request::post("/sparql")
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(Body::from(form))
        .unwrap();
    let (status, _, body) = call(&endpoint.app, request).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body.matches("\"t\":").count(), 3, "{body}");

    let request = Request::post("/sparql")
        .header(header::CONTENT_TYPE, "application/sparql-query")
        .header(header::ACCEPT, "text/csv")
        .body(Body::from(SELECT_TITLES))
        .unwrap();
    let (status, _, body) = call(&endpoint.app, request).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body.lines().count(), 4, "{body}");
}

#[tokio::test(flavor = "multi_thread")]
async fn errors_have_the_protocol_status_codes() {
    let endpoint = endpoint("").await;
    let app = &endpoint.app;
    // 400: syntax error, two queries, an empty query.
    let (status, _, body) = call(app, get("SELEKT * WHERE { ?s ?p ?o }", None)).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(body.contains("invalid SPARQL query"), "{body}");
    let (status, _, body) = call(
        app,
        Request::get("/sparql?query=ASK%20%7B%7D&query=ASK%20%7B%7D")
            .body(Body::empty())
            .unwrap(),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(body.contains("more than one query"), "{body}");
    let (status, _, _) = call(
        app,
        Request::get("/sparql?query=").body(Body::empty()).unwrap(),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    // A GET without a query is the service description (Turtle by default).
    let (status, _, body) = call(app, Request::get("/sparql").body(Body::empty()).unwrap()).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        body.contains("http://www.w3.org/ns/sparql-service-description#endpoint"),
        "{body}"
    );
    // 406: no acceptable format.
    let (status, _, _) = call(app, get(SELECT_TITLES, Some("image/png"))).await;
    assert_eq!(status, StatusCode::NOT_ACCEPTABLE);
    let (status, _, _) = call(app, get("CONSTRUCT WHERE { ?s ?p ?o }", Some("text/csv"))).await;
    assert_eq!(status, StatusCode::NOT_ACCEPTABLE);
    // 415: a POST body of another type.
    let request = Request::post("/sparql")
        .header(header::CONTENT_TYPE, "text/plain")
        .body(Body::from(SELECT_TITLES))
        .unwrap();
    let (status, _, _) = call(app, request).await;
    assert_eq!(status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
}

#[tokio::test(flavor = "multi_thread")]
async fn updates_are_refused_and_change_nothing() {
    let endpoint = endpoint("").await;
    let app = &endpoint.app;
    let count_query = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }";
    let (_, _, before) = call(app, get(count_query, Some("text/csv"))).await;
    let update = "INSERT DATA { <http://e/s> <http://e/p> <http://e/o> }";
    let requests = [
        Request::post("/sparql")
            .header(header::CONTENT_TYPE, "application/sparql-update")
            .body(Body::from(update))
            .unwrap(),
        Request::post("/sparql")
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(Body::from(format!(
                "update={}",
                url::form_urlencoded::byte_serialize(update.as_bytes()).collect::<String>()
            )))
            .unwrap(),
        get(update, None),
        get("DELETE WHERE { ?s ?p ?o }", None),
    ];
    for request in requests {
        let (status, _, body) = call(app, request).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
        assert!(body.contains("read-only"), "{body}");
    }
    let (_, _, after) = call(app, get(count_query, Some("text/csv"))).await;
    assert_eq!(before, after);
}

#[tokio::test(flavor = "multi_thread")]
async fn slow_query_is_stopped_and_results_are_capped() {
    let endpoint = endpoint("[sparql]\ntimeout_secs = 0.5\nmax_results = 7\n").await;
    let started = std::time::Instant::now();
    let (status, _, body) = call(
        &endpoint.app,
        get(
            "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }",
            None,
        ),
    )
    .await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{body}");
    assert!(body.contains("longer than the limit"), "{body}");
    // The answer comes at the limit, not when the cross product would have ended.
    assert!(started.elapsed() < std::time::Duration::from_secs(20));

    let response = endpoint
        .app
        .clone()
        .oneshot(get("SELECT * WHERE { ?s ?p ?o }", Some("text/csv")))
        .await
        .unwrap();
    assert_eq!(response.headers()["fedcat-results-truncated"], "7");
    let body = axum::body::to_bytes(response.into_body(), usize::MAX)
        .await
        .unwrap();
    assert_eq!(
        String::from_utf8(body.to_vec()).unwrap().lines().count(),
        1 + 7
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn cors_is_open_and_health_answers() {
    let endpoint = endpoint("").await;
    let request = Request::get(format!(
        "/sparql?query={}",
        url::form_urlencoded::byte_serialize(SELECT_TITLES.as_bytes()).collect::<String>()
    ))
    .header(header::ORIGIN, "https://portal.example")
    .body(Body::empty())
    .unwrap();
    let response = endpoint.app.clone().oneshot(request).await.unwrap();
    assert_eq!(response.headers()[header::ACCESS_CONTROL_ALLOW_ORIGIN], "*");
    let preflight = Request::options("/sparql")
        .header(header::ORIGIN, "https://portal.example")
        .header(header::ACCESS_CONTROL_REQUEST_METHOD, "POST")
        .body(Body::empty())
        .unwrap();
    let response = endpoint.app.clone().oneshot(preflight).await.unwrap();
    assert!(response.status().is_success());
    let (status, _, body) = call(
        &endpoint.app,
        Request::get("/health").body(Body::empty()).unwrap(),
    )
    .await;
    assert_eq!(
        (status, body.as_str()),
        (StatusCode::OK, "{\"status\":\"ok\"}")
    );
}
