//! Attacks on the real server over loopback (`fedcat::server::serve`, and the binary for
//! SIGTERM), each followed by `/health`: a panicking handler, security headers and the scope of
//! CORS, script URLs in harvested records, the admin session (random cookie, CSRF token, Origin
//! check, login throttle), an oversized body, slow request heads, idle connections past the
//! connection cap, and a shutdown with a connection hanging.

use crate::fake_portal::{FakePortal, ckan_packages};
use crate::support::{Deployment, serve_router, source_toml};
use axum::routing::get;
use serde_json::Value;
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

const DATASUD: &str = "ckan/extracted/datasud.fr_package_search_snapshot__00.json";
const TOKEN: &str = "hardening-admin-token-0123456789";
const HOSTILE_ORIGIN: &str = "https://attacker.example";

/// `/health` answers 200 within 10 s.
async fn assert_healthy(server: &str) {
    let response = reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .build()
        .unwrap()
        .get(format!("{server}/health"))
        .send()
        .await
        .unwrap_or_else(|e| panic!("/health does not answer: {e}"));
    assert_eq!(response.status(), 200);
}

fn between<'a>(text: &'a str, start: &str, end: &str) -> &'a str {
    let from = text.find(start).unwrap_or_else(|| panic!("no {start:?}")) + start.len();
    let to = text[from..].find(end).unwrap() + from;
    &text[from..to]
}

/// Whether the server closes `socket` (end of stream or reset, after any error response)
/// within `within`.
async fn closed_by_server(mut socket: TcpStream, within: Duration) -> bool {
    let mut buffer = [0u8; 1024];
    tokio::time::timeout(within, async {
        loop {
            match socket.read(&mut buffer).await {
                Ok(0) | Err(_) => return,
                Ok(_) => {}
            }
        }
    })
    .await
    .is_ok()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_panicking_handler_is_a_500_for_that_request_only() {
    async fn panics() -> &'static str {
        panic!("a handler bug (this panic is expected by the test)")
    }
    async fn fine() -> &'static str {
        "fine"
    }
    let deployment = Deployment::new("", "");
    // The layers of the real app (`server::app` applies `harden` last), over a panicking route.
    let app = fedcat::server::harden(
        axum::Router::new()
            .route("/panic", get(panics))
            .route("/fine", get(fine)),
        &deployment.config,
    );
    let server = serve_router(app, deployment.config.server).await;
    let client = reqwest::Client::new();
    for _ in 0..3 {
        let response = client.get(format!("{server}/panic")).send().await.unwrap();
        assert_eq!(response.status(), 500);
        assert_eq!(
            response.headers()["content-type"],
            "application/problem+json"
        );
        assert_eq!(response.headers()["x-content-type-options"], "nosniff");
        let body = response.text().await.unwrap();
        assert!(
            !body.contains("handler bug"),
            "what panicked goes to the log, not to the client: {body}"
        );
        let fine = client.get(format!("{server}/fine")).send().await.unwrap();
        assert_eq!(fine.status(), 200);
        assert_eq!(fine.text().await.unwrap(), "fine");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn security_headers_everywhere_and_cors_only_on_data_routes() {
    let deployment = Deployment::new("", "max_request_bytes = 1024\n");
    let catalog = deployment.open().await;
    let server = deployment.serve(&catalog).await;
    let client = reqwest::Client::new();
    // (path, whether any origin may read it)
    let routes = [
        ("/health", false),
        ("/", false),
        ("/sources", false),
        ("/indicators", false),
        ("/datasets/nope/nope", false),
        ("/sparql?query=ASK%20%7B%7D", true),
        ("/api/sources", true),
        ("/api/datasets", true),
        ("/api/indicators", true),
        ("/catalog", true),
        ("/catalog.ttl", true),
        ("/dataset/nope/nope.ttl", true),
        ("/api/3/action/status_show", true),
        ("/api/action/package_list", true),
    ];
    for (path, cors) in routes {
        let response = client
            .get(format!("{server}{path}"))
            .header("Origin", HOSTILE_ORIGIN)
            .send()
            .await
            .unwrap();
        let headers = response.headers();
        assert_eq!(
            headers["content-security-policy"],
            fedcat::server::CONTENT_SECURITY_POLICY,
            "{path}"
        );
        assert_eq!(headers["x-content-type-options"], "nosniff", "{path}");
        assert_eq!(headers["x-frame-options"], "DENY", "{path}");
        assert_eq!(headers["referrer-policy"], "no-referrer", "{path}");
        assert_eq!(
            headers
                .get("access-control-allow-origin")
                .map(|v| v.to_str().unwrap()),
            cors.then_some("*"),
            "{path}"
        );
    }
    // A preflight: granted for the data, not for the admin's forms.
    for (path, granted) in [
        ("/api/datasets", true),
        ("/api/3/action/package_search", true),
        ("/admin/login", false),
        ("/sources/x/harvest", false),
    ] {
        let response = client
            .request(reqwest::Method::OPTIONS, format!("{server}{path}"))
            .header("Origin", HOSTILE_ORIGIN)
            .header("Access-Control-Request-Method", "POST")
            .send()
            .await
            .unwrap();
        assert_eq!(
            response
                .headers()
                .get("access-control-allow-origin")
                .is_some(),
            granted,
            "{path}"
        );
    }
    // A body past `[serve] max_request_bytes` (axum's own limit is 2 MiB).
    let response = client
        .post(format!("{server}/api/3/action/package_search"))
        .header("Content-Type", "application/json")
        .body(vec![b' '; 2048])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 413);
    assert_healthy(&server).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn harvested_script_urls_are_shown_as_text_not_links() {
    let portal = FakePortal::start().await;
    // A hostile portal: a real recorded datasud.fr package whose resource URLs were replaced
    // by a script URL, an HTML data URL and a VBScript URL (all valid IRIs, so harvested).
    let mut packages = ckan_packages(DATASUD);
    let key = packages[0]["id"].as_str().unwrap().to_owned();
    let resources = packages[0]["resources"].as_array_mut().unwrap();
    assert!(resources.len() >= 3);
    resources[0]["url"] = Value::from("javascript:alert(document.cookie)");
    resources[1]["url"] = Value::from("data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==");
    resources[2]["url"] = Value::from("VBScript:MsgBox(1)");
    let url = portal.add_ckan("hostile", packages);
    let deployment = Deployment::new(&source_toml("hostile", "ckan", &url, ""), "");
    let catalog = deployment.open().await;
    let report = deployment.harvest(&catalog, "hostile").await;
    assert_eq!(
        (report.counts.added, report.counts.failed),
        (7, 0),
        "{report:?}"
    );
    let server = deployment.serve(&catalog).await;
    let response = reqwest::get(format!("{server}/datasets/hostile/{key}"))
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let page = response.text().await.unwrap();
    let lower = page.to_ascii_lowercase();
    for scheme in ["javascript:", "data:", "vbscript:"] {
        assert!(
            !lower.contains(&format!("href=\"{scheme}")),
            "a {scheme} URL is a link: {page}"
        );
    }
    // Shown as text, and the page's other links are still there.
    assert!(page.contains("<code>javascript:alert(document.cookie)</code>"));
    assert!(page.contains("<code>VBScript:MsgBox(1)</code>"));
    assert!(page.contains(".ttl\">Turtle</a>"));
    assert_healthy(&server).await;
}

/// A form POST; `Origin` and `Cookie` when given; redirects not followed.
async fn post_form(
    url: &str,
    body: &str,
    cookie: Option<&str>,
    origin: Option<&str>,
) -> reqwest::Response {
    let mut request = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
        .post(url)
        .header("Content-Type", "application/x-www-form-urlencoded")
        .body(body.to_owned());
    if let Some(cookie) = cookie {
        request = request.header("Cookie", cookie);
    }
    if let Some(origin) = origin {
        request = request.header("Origin", origin);
    }
    request.send().await.unwrap()
}

async fn sources_page(server: &str, cookie: &str) -> String {
    reqwest::Client::new()
        .get(format!("{server}/sources?lang=en"))
        .header("Cookie", cookie)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap()
}

async fn jobs(server: &str) -> Vec<Value> {
    let body = reqwest::get(format!("{server}/api/sources/datasud/jobs"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    serde_json::from_str::<Value>(&body)
        .unwrap()
        .as_array()
        .unwrap()
        .clone()
}

#[tokio::test(flavor = "multi_thread")]
async fn admin_session_is_random_csrf_checked_same_origin_and_throttled() {
    let portal = FakePortal::start().await;
    let url = portal.add_ckan("datasud", ckan_packages(DATASUD));
    let deployment = Deployment::new(
        &source_toml("datasud", "ckan", &url, ""),
        &format!("[admin]\ntoken = \"{TOKEN}\"\n"),
    );
    let catalog = deployment.open().await;
    let runner = fedcat::jobs::JobRunner::new(deployment.config.clone(), catalog.clone()).unwrap();
    let app = fedcat::server::app(&catalog, &deployment.config, Some(runner.clone()), None);
    let server = serve_router(app, deployment.config.server).await;
    let login = format!("{server}/admin/login");
    let harvest = format!("{server}/sources/datasud/harvest");

    // A login form posted from another site is refused, even with the right token.
    let response = post_form(
        &login,
        &format!("token={TOKEN}"),
        None,
        Some(HOSTILE_ORIGIN),
    )
    .await;
    assert_eq!(response.status(), 403);
    // The login sets a random session id, not the token.
    let response = post_form(
        &login,
        &format!("token={TOKEN}"),
        None,
        Some(server.as_str()),
    )
    .await;
    assert_eq!(response.status(), 303);
    let set_cookie = response.headers()["set-cookie"]
        .to_str()
        .unwrap()
        .to_owned();
    let cookie = set_cookie.split(';').next().unwrap().to_owned();
    let session = cookie.strip_prefix("fedcat_admin=").unwrap();
    assert!(!set_cookie.contains(TOKEN));
    assert_eq!(session.len(), 64);
    assert!(session.bytes().all(|b| b.is_ascii_hexdigit()));
    for attribute in ["HttpOnly", "SameSite=Strict", "Path=/", "Max-Age=28800"] {
        assert!(set_cookie.contains(attribute), "{set_cookie}");
    }
    assert!(
        !set_cookie.contains("Secure"),
        "base_iri is http: {set_cookie}"
    );
    // The token itself as cookie (what the cookie held before) is not a session.
    let forged = sources_page(&server, &format!("fedcat_admin={TOKEN}")).await;
    assert!(!forged.contains(">Harvest now</button>"));
    let page = sources_page(&server, &cookie).await;
    assert!(page.contains(">Harvest now</button>"));
    let csrf = between(&page, "name=\"csrf\" value=\"", "\"").to_owned();
    assert_eq!(csrf.len(), 64);
    assert_ne!(csrf, session);

    // A valid session cookie without the form's token, with a wrong one, or from another
    // origin: refused, and no job starts.
    for (body, origin) in [
        (String::new(), None),
        ("csrf=wrong".to_owned(), None),
        (format!("csrf={session}"), None),
        (format!("csrf={csrf}"), Some(HOSTILE_ORIGIN)),
        (format!("csrf={csrf}"), Some("null")),
    ] {
        let response = post_form(&harvest, &body, Some(cookie.as_str()), origin).await;
        assert_eq!(response.status(), 403, "{body} from {origin:?}");
    }
    // The token without a session.
    let response = post_form(&harvest, &format!("csrf={csrf}"), None, None).await;
    assert_eq!(response.status(), 401);
    assert!(runner.running().is_empty(), "no job started");
    assert!(jobs(&server).await.is_empty(), "no job started");
    assert_healthy(&server).await;

    // The admin's own form: session, token and origin right, the job starts.
    let response = post_form(
        &harvest,
        &format!("csrf={csrf}"),
        Some(cookie.as_str()),
        Some(server.as_str()),
    )
    .await;
    assert_eq!(response.status(), 303);
    let started = Instant::now();
    loop {
        let list = jobs(&server).await;
        if list.first().is_some_and(|job| job["status"] != "running") {
            assert_eq!(list.len(), 1);
            break;
        }
        assert!(started.elapsed() < Duration::from_secs(60), "{list:?}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }

    // Logging out needs the token too, then ends the session and clears the cookie.
    let logout = format!("{server}/admin/logout");
    assert_eq!(
        post_form(&logout, "", Some(cookie.as_str()), None)
            .await
            .status(),
        403
    );
    let response = post_form(
        &logout,
        &format!("csrf={csrf}"),
        Some(cookie.as_str()),
        None,
    )
    .await;
    assert_eq!(response.status(), 303);
    assert!(
        response.headers()["set-cookie"]
            .to_str()
            .unwrap()
            .contains("Max-Age=0")
    );
    assert!(
        !sources_page(&server, &cookie)
            .await
            .contains(">Harvest now</button>")
    );
    let response = post_form(
        &harvest,
        &format!("csrf={csrf}"),
        Some(cookie.as_str()),
        None,
    )
    .await;
    assert_eq!(response.status(), 401);

    // Failed logins: 5 a minute per client (the default), then 429, even for the right token.
    for _ in 0..5 {
        let response = post_form(&login, "token=wrong-token-wrong-token", None, None).await;
        assert_eq!(response.status(), 401);
    }
    let response = post_form(&login, "token=wrong-token-wrong-token", None, None).await;
    assert_eq!(response.status(), 429);
    assert!(response.headers().contains_key("retry-after"));
    let response = post_form(&login, &format!("token={TOKEN}"), None, None).await;
    assert_eq!(response.status(), 429);
    assert_healthy(&server).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn slow_request_heads_are_cut_at_the_header_timeout() {
    let deployment = Deployment::new("", "header_read_timeout_secs = 1\n");
    let catalog = deployment.open().await;
    let server = deployment.serve(&catalog).await;
    let address = server.trim_start_matches("http://").to_owned();
    // 300 clients send half a request head, then nothing.
    let mut sockets = Vec::new();
    for _ in 0..300 {
        let mut socket = TcpStream::connect(address.as_str()).await.unwrap();
        socket
            .write_all(b"GET /health HTTP/1.1\r\nHost: fedcat.test\r\nX-Slow: ")
            .await
            .unwrap();
        sockets.push(socket);
    }
    // While they hang, the server answers others.
    assert_healthy(&server).await;
    let closing: Vec<_> = sockets
        .into_iter()
        .map(|socket| tokio::spawn(closed_by_server(socket, Duration::from_secs(6))))
        .collect();
    let mut open = 0;
    for closed in closing {
        if !closed.await.unwrap() {
            open += 1;
        }
    }
    assert_eq!(open, 0, "connections still open after the header timeout");
    assert_healthy(&server).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn idle_connections_are_closed_and_the_connection_cap_holds() {
    let deployment = Deployment::new("", "idle_timeout_secs = 1\nmax_connections = 20\n");
    let catalog = deployment.open().await;
    let server = deployment.serve(&catalog).await;
    let address = server.trim_start_matches("http://").to_owned();
    // 25 idle connections: 20 take every slot, 5 wait in the accept queue.
    let mut sockets = Vec::new();
    for _ in 0..25 {
        sockets.push(TcpStream::connect(address.as_str()).await.unwrap());
    }
    // `/health` waits for a slot, which the idle timeout frees.
    let asked = Instant::now();
    assert_healthy(&server).await;
    let waited = asked.elapsed();
    assert!(
        waited >= Duration::from_millis(500),
        "the 21st connection should wait for a free slot, answered after {waited:?}"
    );
    for socket in sockets {
        assert!(
            closed_by_server(socket, Duration::from_secs(6)).await,
            "an idle connection is still open"
        );
    }
    assert_healthy(&server).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn request_bodies_that_stop_midway_are_cut_at_the_idle_timeout() {
    let deployment = Deployment::new("", "idle_timeout_secs = 1\nmax_connections = 20\n");
    let catalog = deployment.open().await;
    let server = deployment.serve(&catalog).await;
    let address = server.trim_start_matches("http://").to_owned();
    // 20 clients announce a 1 MB SPARQL query, send 10 bytes of it, then nothing: each one
    // holds a request being answered, which the idle timeout alone does not end.
    let mut sockets = Vec::new();
    for _ in 0..20 {
        let mut socket = TcpStream::connect(address.as_str()).await.unwrap();
        socket
            .write_all(
                b"POST /sparql HTTP/1.1\r\nHost: fedcat.test\r\n\
                  Content-Type: application/sparql-query\r\nContent-Length: 1000000\r\n\r\n\
                  SELECT * W",
            )
            .await
            .unwrap();
        sockets.push(socket);
    }
    for socket in sockets {
        assert!(
            closed_by_server(socket, Duration::from_secs(8)).await,
            "a connection with a stalled body is still open"
        );
    }
    // Every slot is free again.
    assert_healthy(&server).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn sigterm_ends_serve_within_the_grace_period() {
    use std::process::Command;
    let deployment = Deployment::new("", "shutdown_grace_secs = 1\n");
    let (mut child, server) = crate::support::start_serve(&deployment.config_path()).await;
    assert_healthy(&server).await;
    // A client holding a connection with half a request head (the header timeout is 10 s).
    let mut socket = TcpStream::connect(server.trim_start_matches("http://"))
        .await
        .unwrap();
    socket
        .write_all(b"GET /health HTTP/1.1\r\nHost: fedcat.test\r\n")
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(200)).await;
    let stopping = Instant::now();
    let killed = Command::new("kill")
        .arg("-TERM")
        .arg(child.id().to_string())
        .status()
        .unwrap();
    assert!(killed.success());
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if stopping.elapsed() > Duration::from_secs(15) {
            child.kill().unwrap();
            child.wait().unwrap();
            panic!("`fedcat serve` still running 15 s after SIGTERM");
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    let took = stopping.elapsed();
    assert!(status.success(), "{status:?}");
    assert!(
        took < Duration::from_secs(5),
        "SIGTERM took {took:?} with shutdown_grace_secs = 1"
    );
    drop(socket);
}
