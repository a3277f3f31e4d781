//! The link checker against a real server on loopback: statuses, the GET fallback when HEAD is
//! refused, redirect chains and loops, timeouts, invalid URLs; and, with private targets not
//! allowed, every loopback target refused — by literal address, by name after DNS resolution,
//! and through a redirect from an allowed host.

use axum::Router;
use axum::http::{HeaderMap, Method, StatusCode, header};
use axum::response::IntoResponse;
use axum::routing::any;
use fedcat_harvester::linkcheck::{
    CONNECTION_ERROR, INVALID_URL, LinkCheckSettings, LinkChecker, REFUSED_TARGET,
};
use std::time::Duration;

async fn serve() -> u16 {
    async fn ok() -> impl IntoResponse {
        ([(header::CONTENT_TYPE, "text/csv")], "a,b\n1,2\n")
    }
    async fn missing() -> impl IntoResponse {
        StatusCode::NOT_FOUND
    }
    async fn no_head(method: Method, headers: HeaderMap) -> axum::response::Response {
        if method == Method::HEAD {
            return StatusCode::METHOD_NOT_ALLOWED.into_response();
        }
        // The checker asks for one byte.
        assert_eq!(headers.get(header::RANGE).unwrap(), "bytes=0-0");
        (StatusCode::PARTIAL_CONTENT, "a").into_response()
    }
    fn redirect(to: &str) -> axum::response::Response {
        (StatusCode::FOUND, [(header::LOCATION, to.to_owned())]).into_response()
    }
    async fn slow() -> impl IntoResponse {
        tokio::time::sleep(Duration::from_secs(3)).await;
        "late"
    }
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let app = Router::new()
        .route("/ok", any(ok))
        .route("/missing", any(missing))
        .route("/no-head", any(no_head))
        .route("/r1", any(|| async { redirect("/r2") }))
        .route("/r2", any(|| async { redirect("/ok") }))
        .route("/loop", any(|| async { redirect("/loop") }))
        .route("/slow", any(slow))
        .route(
            "/to-localhost",
            any(move || async move { redirect(&format!("http://localhost:{port}/ok")) }),
        );
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    port
}

fn checker(allow_private: bool, allowed_hosts: &[&str]) -> LinkChecker {
    LinkChecker::new(LinkCheckSettings {
        timeout: Duration::from_secs(1),
        per_host_per_sec: 50,
        allow_private_targets: allow_private,
        allowed_hosts: allowed_hosts.iter().map(|h| (*h).to_owned()).collect(),
        ..LinkCheckSettings::default()
    })
    .unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn statuses_fallback_redirects_loops_and_timeouts() {
    let port = serve().await;
    let url = |path: &str| format!("http://127.0.0.1:{port}{path}");
    let checker = checker(true, &[]);

    let ok = checker.check(&url("/ok")).await;
    assert_eq!((ok.head_status, ok.status), (200, 200));
    assert_eq!(ok.content_type.as_deref(), Some("text/csv"));

    let missing = checker.check(&url("/missing")).await;
    assert_eq!(missing.status, 404);

    let no_head = checker.check(&url("/no-head")).await;
    assert_eq!(
        (no_head.head_status, no_head.status),
        (405, 206),
        "{no_head:?}"
    );

    let chain = checker.check(&url("/r1")).await;
    assert_eq!(chain.status, 200);
    assert_eq!(
        chain.redirects,
        vec![(302, url("/r2")), (302, url("/ok"))],
        "every hop is recorded"
    );

    let looping = checker.check(&url("/loop")).await;
    assert_eq!(looping.status, 302);
    assert_eq!(
        looping.redirects.len(),
        6,
        "five redirects followed, the sixth refused"
    );
    assert!(looping.error.unwrap().contains("more than 5 redirects"));

    let slow = checker.check(&url("/slow")).await;
    assert_eq!(slow.status, CONNECTION_ERROR, "{slow:?}");

    for invalid in ["not a url", "ftp://example.org/file.csv", "mailto:a@b.org"] {
        assert_eq!(
            checker.check(invalid).await.status,
            INVALID_URL,
            "{invalid}"
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn private_targets_are_refused_unless_allowed() {
    let port = serve().await;
    let checker = checker(false, &[]);
    for target in [
        format!("http://127.0.0.1:{port}/ok"),
        format!("http://localhost:{port}/ok"),
        format!("http://[::1]:{port}/ok"),
        "http://169.254.169.254/latest/meta-data/".to_owned(),
        "http://10.0.0.1/".to_owned(),
    ] {
        let result = checker.check(&target).await;
        assert_eq!(result.status, REFUSED_TARGET, "{target}: {result:?}");
        assert!(result.error.unwrap().contains("refused"), "{target}");
    }
    // 127.0.0.1 is allowed by name, but its redirect to localhost (resolving to 127.0.0.1) is
    // checked again and refused.
    let checker = self::checker(false, &["127.0.0.1"]);
    let direct = checker.check(&format!("http://127.0.0.1:{port}/ok")).await;
    assert_eq!(direct.status, 200);
    let redirected = checker
        .check(&format!("http://127.0.0.1:{port}/to-localhost"))
        .await;
    assert_eq!(redirected.status, REFUSED_TARGET, "{redirected:?}");
    assert_eq!(
        redirected.redirects,
        vec![(302, format!("http://localhost:{port}/ok"))]
    );
}
