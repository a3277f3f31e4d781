//! Hostile requests against the real server on loopback (issue 14: no request, page or record
//! can crash, exhaust or subvert fedcat), over the datasud.fr and data.gouv.fr fixtures
//! harvested and indexed. Each test sends one class of input and then checks that `/health`
//! still answers 200 — the process survived:
//!
//! - search text that makes tantivy's recursive query grammar overflow the stack: 999 and 1,000
//!   nested `(` (built with `"(".repeat(n)`), 200 chained `NOT `, through `/api/datasets?q=`,
//!   the search page `/?q=` and CKAN `package_search` (GET and POST);
//! - deep paging that made tantivy reserve room for `offset + limit` hits (480 GB for
//!   `page=100000000&page_size=100`): hostile page/start numbers up to `u64::MAX`, and the
//!   edges of a configured `[search] max_result_window`;
//! - `field:*` on fields the schema cannot answer it for (`id`, `cluster`, `visible`…), which
//!   failed with a 500 schema error;
//! - `/catalog` filters spliced into SPARQL text (`publisher=a%0Ab`, a quote-and-brace
//!   injection) and a page number whose offset overflows;
//! - a `Host` header written into the export's Hydra links: sent over a raw TCP connection so
//!   that no client library normalises it, with `>`, spaces and IRIs that would close the page
//!   IRI and add a triple, and once with a bare LF.
//!
//! Query strings are percent-encoded with `url::form_urlencoded::byte_serialize`, as a browser
//! would send them.

use crate::fake_portal::FakePortal;
use crate::support::{BASE_IRI, Deployment};
use fedcat_catalog::oxigraph::io::{RdfFormat, RdfParser};
use fedcat_catalog::oxigraph::model::{NamedOrBlankNode, Quad, Term};
use serde_json::Value;

/// A served catalogue with the datasud and spf2025 fixtures indexed; the portal, deployment
/// and catalogue are kept alive with it.
struct Served {
    server: String,
    _portal: FakePortal,
    _deployment: Deployment,
    _catalog: fedcat_catalog::Catalog,
}

async fn served(extra_config: &str) -> Served {
    let portal = FakePortal::start().await;
    let sources = crate::support::datasud_and_spf2025(&portal);
    let deployment = Deployment::new(&sources, extra_config);
    let catalog = deployment.open().await;
    deployment.harvest(&catalog, "datasud").await;
    deployment.harvest(&catalog, "spf2025").await;
    let (server, _index) = deployment.serve_indexed(&catalog).await;
    Served {
        server,
        _portal: portal,
        _deployment: deployment,
        _catalog: catalog,
    }
}

fn encode(text: &str) -> String {
    url::form_urlencoded::byte_serialize(text.as_bytes()).collect()
}

/// GET: status, content type, body.
async fn get(url: &str) -> (u16, String, String) {
    let response = reqwest::get(url).await.unwrap();
    let status = response.status().as_u16();
    let content_type = response
        .headers()
        .get(reqwest::header::CONTENT_TYPE)
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default();
    (status, content_type, response.text().await.unwrap())
}

async fn json(url: &str) -> (u16, String, Value) {
    let (status, content_type, body) = get(url).await;
    let value = serde_json::from_str(&body).unwrap_or_else(|e| panic!("{url}: {e}: {body}"));
    (status, content_type, value)
}

async fn assert_alive(server: &str) {
    let (status, ..) = get(&format!("{server}/health")).await;
    assert_eq!(status, 200, "/health after the hostile requests");
}

/// A 400 problem+json whose detail names `parameter` and every one of `words`.
async fn assert_problem(url: &str, parameter: &str, words: &[&str]) {
    let (status, content_type, body) = json(url).await;
    assert_eq!(
        (status, content_type.as_str()),
        (400, "application/problem+json"),
        "{url}: {body}"
    );
    assert_eq!(body["code"], "invalid-parameter", "{url}");
    let detail = body["detail"].as_str().unwrap();
    assert!(detail.contains(parameter), "{url}: {detail}");
    for word in words {
        assert!(detail.contains(word), "{url}: {detail} does not say {word}");
    }
}

/// CKAN's refusal: 400, `success: false`, `Validation Error`, the message under the parameter.
fn assert_ckan_refused(status: u16, body: &Value, parameter: &str, words: &[&str]) {
    assert_eq!(status, 400, "{body}");
    assert_eq!(body["success"], false, "{body}");
    assert_eq!(body["error"]["__type"], "Validation Error", "{body}");
    let message = body["error"][parameter][0]
        .as_str()
        .unwrap_or_else(|| panic!("{body}"));
    for word in words {
        assert!(message.contains(word), "{message} does not say {word}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn deeply_nested_or_long_search_text_is_refused_before_parsing() {
    let s = served("").await;
    let server = &s.server;
    let texts = [
        // 1,000 characters, 999 levels: within the length limit, past the nesting limit.
        (format!("{}a", "(".repeat(999)), "32"),
        // 1,000 nested groups: past the length limit.
        (
            format!("{}santé{}", "(".repeat(1000), ")".repeat(1000)),
            "1000",
        ),
        // The grammar recurses once per chained NOT too.
        (format!("{}a", "NOT ".repeat(200)), "32"),
    ];
    for (text, limit) in &texts {
        let limit: &str = limit;
        let q = encode(text);
        assert_problem(&format!("{server}/api/datasets?q={q}"), "q:", &[limit]).await;
        // The search page answers a plain 400 that says the same.
        let (status, _, page) = get(&format!("{server}/?q={q}")).await;
        assert_eq!(status, 400, "{page}");
        assert!(page.contains("q:") && page.contains(limit), "{page}");
        // CKAN, by GET and by POST.
        let (status, _, body) = json(&format!("{server}/api/3/action/package_search?q={q}")).await;
        assert_ckan_refused(status, &body, "q", &[limit]);
        let response = reqwest::Client::new()
            .post(format!("{server}/api/action/package_search"))
            .header("Content-Type", "application/json")
            .body(serde_json::json!({"q": text, "rows": 1}).to_string())
            .send()
            .await
            .unwrap();
        let status = response.status().as_u16();
        let body: Value = serde_json::from_str(&response.text().await.unwrap()).unwrap();
        assert_ckan_refused(status, &body, "q", &[limit]);
    }
    // At the limit, the same shapes are searched.
    let at_limit = encode(&format!("{}santé{}", "(".repeat(32), ")".repeat(32)));
    for path in [
        format!("/api/datasets?q={at_limit}"),
        format!("/?q={at_limit}"),
        format!("/api/3/action/package_search?q={at_limit}"),
    ] {
        let (status, _, body) = get(&format!("{server}{path}")).await;
        assert_eq!(status, 200, "{path}: {body}");
    }
    assert_alive(server).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn deep_pages_are_refused_past_the_result_window() {
    // A window of 1,000 (the default is 10,000), to check the key is the one read.
    let s = served("[search]\nmax_result_window = 1000\n").await;
    let server = &s.server;
    let key = "search.max_result_window";
    for query in [
        "page=100000000&page_size=100",
        "page=18446744073709551615&page_size=100",
        "page=11&page_size=100",
    ] {
        assert_problem(
            &format!("{server}/api/datasets?{query}"),
            "page",
            &["1000", key],
        )
        .await;
        let (status, _, page) = get(&format!("{server}/?{query}")).await;
        assert_eq!(status, 400, "/?{query}: {page}");
        assert!(page.contains(key), "{page}");
    }
    // The last page inside the window is served (empty: 22 datasets).
    let (status, _, body) = json(&format!("{server}/api/datasets?page=10&page_size=100")).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["results"].as_array().unwrap().len(), 0);
    let (status, ..) = get(&format!("{server}/?page=10&page_size=100")).await;
    assert_eq!(status, 200);

    for query in [
        "start=10000000000",
        "start=18446744073709551615&rows=1000",
        "start=901&rows=100",
    ] {
        let (status, _, body) =
            json(&format!("{server}/api/3/action/package_search?{query}")).await;
        assert_ckan_refused(status, &body, "start", &["1000", key]);
    }
    // Huge rows are capped at CKAN's rows_max (1,000), as CKAN does, within the window.
    for query in ["start=900&rows=100", "rows=18446744073709551615"] {
        let (status, _, body) =
            json(&format!("{server}/api/3/action/package_search?{query}")).await;
        assert_eq!(
            (status, &body["success"]),
            (200, &Value::Bool(true)),
            "{query}: {body}"
        );
    }
    assert_alive(server).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn field_syntax_the_schema_cannot_answer_is_read_as_words() {
    let s = served("").await;
    let server = &s.server;
    for text in [
        "id:*",
        "cluster:*",
        "visible:*",
        "document:*",
        "quality:*",
        "title_sort:*",
        "xyzzy:*",
    ] {
        let q = encode(text);
        let (status, _, body) = json(&format!("{server}/api/datasets?q={q}")).await;
        assert_eq!(status, 200, "{text}: {body}");
        let (status, _, page) = get(&format!("{server}/?q={q}")).await;
        assert_eq!(status, 200, "/?q={text}: {page}");
        let (status, _, body) = json(&format!("{server}/api/3/action/package_search?q={q}")).await;
        assert_eq!(
            (status, &body["success"]),
            (200, &Value::Bool(true)),
            "{text}: {body}"
        );
    }
    // `xyzzy:*` searches the word xyzzy: nothing.
    let (_, _, body) = json(&format!("{server}/api/datasets?q={}", encode("xyzzy:*"))).await;
    assert_eq!(body["total"], 0);
    // The facet fields keep the syntax.
    let (_, _, body) = json(&format!(
        "{server}/api/datasets?collapse=false&q={}",
        encode("publisher:*")
    ))
    .await;
    assert!(body["total"].as_u64().unwrap() > 0, "{body}");
    assert_alive(server).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn export_filters_are_validated_and_never_spliced_into_sparql() {
    let s = served("").await;
    let server = &s.server;
    // Refused, naming the parameter.
    for (query, parameter) in [
        ("publisher=a%0Ab", "publisher"),
        ("publisher=a%0Db", "publisher"),
        ("publisher=a%00b", "publisher"),
        ("modified_since=2024-01-01%0A%22%20%7D", "modified_since"),
        ("page=18446744073709551615&page_size=1000", "page"),
    ] {
        assert_problem(&format!("{server}/catalog.ttl?{query}"), parameter, &[]).await;
    }
    // Quotes, backslashes and braces are a publisher name like any other: no dataset has it.
    for publisher in [
        "\" } UNION { ?g ?p ?o } #",
        "back\\slash\"quote",
        "x\\\") } } SELECT * WHERE { ?s ?p ?o } #",
    ] {
        let url = format!("{server}/catalog.nt?publisher={}", encode(publisher));
        let (status, _, body) = get(&url).await;
        assert_eq!(status, 200, "{publisher}: {body}");
        let datasets = RdfParser::from_format(RdfFormat::NTriples)
            .for_slice(body.as_bytes())
            .map(|q| q.expect("the page parses"))
            .filter(|q| q.predicate.as_str() == "http://www.w3.org/ns/dcat#dataset")
            .count();
        assert_eq!(datasets, 0, "{publisher}");
    }
    // A page far past the end whose offset still fits: an empty page, not an error.
    let (status, _, _) = get(&format!(
        "{server}/catalog.ttl?page=18446744073709551615&page_size=1"
    ))
    .await;
    assert_eq!(status, 200);
    // The search API's filters are terms, never parsed: odd values find nothing.
    let (status, _, body) = json(&format!(
        "{server}/api/datasets?publisher=a%0Ab&theme=%22%7D"
    ))
    .await;
    assert_eq!((status, &body["total"]), (200, &Value::from(0)), "{body}");
    assert_alive(server).await;
}

/// Sends `request` as is on a new connection and reads until the server closes it: the status
/// (0 when the server closed without answering) and the body, de-chunked.
async fn raw_http(server: &str, request: &[u8]) -> (u16, Vec<u8>) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let address = server.strip_prefix("http://").unwrap();
    let mut stream = tokio::net::TcpStream::connect(address).await.unwrap();
    stream.write_all(request).await.unwrap();
    let mut answer = Vec::new();
    let read = tokio::time::timeout(std::time::Duration::from_secs(60), async {
        let mut buffer = [0u8; 8192];
        // A reset after the answer ends the read like a close.
        while let Ok(n) = stream.read(&mut buffer).await {
            if n == 0 {
                break;
            }
            answer.extend_from_slice(&buffer[..n]);
        }
    })
    .await;
    assert!(read.is_ok(), "the server neither answered nor closed");
    let Some(split) = answer.windows(4).position(|w| w == b"\r\n\r\n") else {
        return (0, Vec::new());
    };
    let head = String::from_utf8_lossy(&answer[..split]).to_ascii_lowercase();
    let status = head
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let mut body = answer[split + 4..].to_vec();
    if head.contains("transfer-encoding: chunked") {
        body = dechunk(&body);
    }
    (status, body)
}

fn dechunk(mut data: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    while let Some(line_end) = data.windows(2).position(|w| w == b"\r\n") {
        let size_text = String::from_utf8_lossy(&data[..line_end]).into_owned();
        let size = usize::from_str_radix(size_text.split(';').next().unwrap().trim(), 16).unwrap();
        data = &data[line_end + 2..];
        if size == 0 || data.len() < size {
            break;
        }
        out.extend_from_slice(&data[..size]);
        data = &data[(size + 2).min(data.len())..];
    }
    out
}

/// Every IRI of a parsed page.
fn iris(quads: &[Quad]) -> Vec<String> {
    let mut out = Vec::new();
    for quad in quads {
        if let NamedOrBlankNode::NamedNode(n) = &quad.subject {
            out.push(n.as_str().to_owned());
        }
        out.push(quad.predicate.as_str().to_owned());
        if let Term::NamedNode(n) = &quad.object {
            out.push(n.as_str().to_owned());
        }
    }
    out
}

#[tokio::test(flavor = "multi_thread")]
async fn a_crafted_host_header_cannot_write_into_the_export() {
    let s = served("").await;
    let server = &s.server;
    // Written into the page IRI as it was, this Host closes it, adds the triple
    // <http://evil> <http://x> <http://y> and opens another IRI.
    let host = "evil> <http://x> <http://y> . <http://a";
    let request = format!(
        "GET /catalog.ttl?page_size=5 HTTP/1.1\r\nHost: {host}\r\nAccept: text/turtle\r\nConnection: close\r\n\r\n"
    );
    let (status, body) = raw_http(server, request.as_bytes()).await;
    assert_eq!(status, 200, "{}", String::from_utf8_lossy(&body));
    let quads: Vec<Quad> = RdfParser::from_format(RdfFormat::Turtle)
        .for_slice(&body)
        .collect::<Result<_, _>>()
        .unwrap_or_else(|e| panic!("the page does not parse: {e}"));
    let all = iris(&quads);
    assert!(
        all.iter().all(|i| !i.contains("evil")
            && i != "http://x"
            && i != "http://y"
            && !i.starts_with("http://a/")),
        "an IRI from the Host header: {all:?}"
    );
    // Every Hydra link is under base_iri.
    let links: Vec<&Quad> = quads
        .iter()
        .filter(|q| {
            q.predicate
                .as_str()
                .starts_with("http://www.w3.org/ns/hydra/core#")
        })
        .collect();
    assert!(!links.is_empty());
    for quad in links {
        if let Term::NamedNode(target) = &quad.object {
            assert!(
                target
                    .as_str()
                    .starts_with(&format!("{BASE_IRI}/catalog.ttl?")),
                "{quad}"
            );
        }
    }

    // A bare LF in the Host value ends the header line there; whatever the server makes of the
    // rest, it answers 400 or a page with no IRI of it.
    let request = "GET /catalog.ttl HTTP/1.1\r\nHost: evil> <http://x> <http://y> .\n<a\r\nConnection: close\r\n\r\n";
    let (status, body) = raw_http(server, request.as_bytes()).await;
    if status == 200 {
        let quads: Vec<Quad> = RdfParser::from_format(RdfFormat::Turtle)
            .for_slice(&body)
            .collect::<Result<_, _>>()
            .unwrap_or_else(|e| panic!("the page does not parse: {e}"));
        assert!(iris(&quads).iter().all(|i| !i.contains("evil")));
    } else {
        assert!(status == 400 || status == 0, "{status}");
    }
    assert_alive(server).await;
}
