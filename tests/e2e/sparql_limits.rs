//! Attacks on `/sparql` of the real `fedcat serve` binary over loopback, on a store holding the
//! real recorded records of datasud.fr (CKAN) and data.gouv.fr (udata) harvested from the fake
//! portal: queries nested deep enough to overflow a stack, queries that run past their time
//! limit or their memory budget, more queries than the endpoint runs at once, and SIGTERM
//! while a query runs. After each attack the server must answer `/health`, and no worker
//! process may be left running.

use crate::fake_portal::FakePortal;
use crate::support::{Deployment, datasud_and_spf2025};
use std::process::{Child, Command};
use std::time::{Duration, Instant};

#[path = "../../benches/common/procfs.rs"]
mod procfs;
use procfs::{children_of, cpu_ticks};

/// A 3-way cross join over every quad: far more solutions than any time limit allows.
const CROSS_JOIN_COUNT: &str = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }";

/// Sorting a cross join materialises it: memory grows until something stops it.
const CROSS_JOIN_SORTED: &str = "SELECT * WHERE { ?a ?b ?c . ?d ?e ?f } ORDER BY ?c ?f LIMIT 1";

/// A `fedcat serve` process, killed when dropped.
struct Server {
    child: Child,
    address: String,
    _deployment: Deployment,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Server {
    /// Harvests datasud.fr and data.gouv.fr's 2025 records into a store on disk (through the
    /// library, as `fedcat harvest` does), then starts the binary on it with `sparql` as the
    /// body of the `[sparql]` table and `serve` as extra `[serve]` keys.
    async fn start(sparql: &str, serve: &str) -> Self {
        let portal = FakePortal::start().await;
        let deployment = Deployment::new(
            &datasud_and_spf2025(&portal),
            &format!("{serve}\n[sparql]\n{sparql}\n"),
        );
        {
            let catalog = deployment.open().await;
            deployment.harvest(&catalog, "datasud").await;
            deployment.harvest(&catalog, "spf2025").await;
            drop(catalog);
        }
        let (child, address) = crate::support::start_serve(&deployment.config_path()).await;
        Self {
            child,
            address,
            _deployment: deployment,
        }
    }

    fn pid(&self) -> u32 {
        self.child.id()
    }

    async fn query(&self, query: &str) -> (u16, String) {
        let response = reqwest::Client::new()
            .post(format!("{}/sparql", self.address))
            .header("content-type", "application/sparql-query")
            .header("accept", "application/sparql-results+json")
            .body(query.to_owned())
            .send()
            .await
            .unwrap();
        let status = response.status().as_u16();
        (status, response.text().await.unwrap())
    }

    async fn assert_healthy(&self) {
        let response = reqwest::Client::new()
            .get(format!("{}/health", self.address))
            .timeout(Duration::from_secs(5))
            .send()
            .await
            .expect("the server must still answer /health");
        assert_eq!(response.status(), 200);
    }

    /// The server's child processes (its query workers).
    fn workers(&self) -> Vec<u32> {
        children_of(self.pid())
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn deeply_nested_queries_are_refused_and_the_server_lives() {
    let server = Server::start("timeout_secs = 10", "").await;
    let groups = format!("SELECT * WHERE {}{}", "{".repeat(900), "}".repeat(900));
    let parentheses = format!(
        "ASK {{ FILTER({}1{}) }}",
        "(".repeat(3000),
        ")".repeat(3000)
    );
    for query in [&groups, &parentheses] {
        let (status, body) = server.query(query).await;
        assert_eq!(status, 400, "{body}");
        assert!(body.contains("sparql.max_nesting"), "{body}");
        server.assert_healthy().await;
    }
    // The same by GET, in a 6 KB URL.
    let response = reqwest::get(crate::support::sparql_url(&server.address, &groups))
        .await
        .unwrap();
    assert_eq!(response.status(), 400);
    server.assert_healthy().await;
    // A query within the limit still works.
    let (status, body) = server
        .query("SELECT (COUNT(*) AS ?n) WHERE { { { ?s ?p ?o } } }")
        .await;
    assert_eq!(status, 200, "{body}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_timed_out_query_stops_working_within_a_second() {
    let server = Server::start("timeout_secs = 2", "").await;
    let started = Instant::now();
    let (status, body) = server.query(CROSS_JOIN_COUNT).await;
    let answered = started.elapsed();
    assert_eq!(status, 503, "{body}");
    assert!(body.contains("sparql.timeout_secs"), "{body}");
    assert!(
        answered < Duration::from_secs(10),
        "answered after {answered:?}"
    );
    // Within a second, the worker is gone and the server uses no CPU for it.
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert_eq!(server.workers(), Vec::<u32>::new(), "a worker still runs");
    let before = cpu_ticks(server.pid());
    tokio::time::sleep(Duration::from_secs(2)).await;
    let spent = cpu_ticks(server.pid()) - before;
    // 2 s of one core pinned would be ~200 ticks; an idle server spends a handful.
    assert!(
        spent < 50,
        "the server spent {spent} ticks after the timeout"
    );
    server.assert_healthy().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_query_past_its_memory_budget_is_stopped_with_503() {
    let server = Server::start("timeout_secs = 60\nmax_query_memory_mb = 96", "").await;
    let started = Instant::now();
    let (status, body) = server.query(CROSS_JOIN_SORTED).await;
    assert_eq!(status, 503, "{body}");
    assert!(
        body.contains("memory limit of 96 MiB") && body.contains("sparql.max_query_memory_mb"),
        "{body}"
    );
    assert!(
        started.elapsed() < Duration::from_secs(60),
        "the memory limit, not the time limit, must stop it"
    );
    assert_eq!(server.workers(), Vec::<u32>::new());
    server.assert_healthy().await;
    let (status, _) = server
        .query("SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }")
        .await;
    assert_eq!(status, 200);
}

#[tokio::test(flavor = "multi_thread")]
async fn queries_beyond_the_running_and_queued_limits_get_503_at_once() {
    let server = Server::start(
        "timeout_secs = 3\nmax_concurrent_queries = 1\nmax_queued_queries = 1",
        "",
    )
    .await;
    let server = std::sync::Arc::new(server);
    let attempts: Vec<_> = (0..6)
        .map(|_| {
            let server = server.clone();
            tokio::spawn(async move { server.query(CROSS_JOIN_COUNT).await })
        })
        .collect();
    let mut busy = 0;
    let mut timed_out = 0;
    for attempt in attempts {
        let (status, body) = attempt.await.unwrap();
        assert_eq!(status, 503, "{body}");
        if body.contains("too many queries") {
            busy += 1;
        } else {
            assert!(body.contains("sparql.timeout_secs"), "{body}");
            timed_out += 1;
        }
    }
    // One runs, one waits (both stopped by the time limit), the other four are refused.
    assert_eq!((busy, timed_out), (4, 2));
    server.assert_healthy().await;
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert_eq!(server.workers(), Vec::<u32>::new());
}

#[tokio::test(flavor = "multi_thread")]
async fn sigterm_stops_the_server_within_seconds_even_with_a_query_running() {
    let mut server = Server::start("timeout_secs = 120", "shutdown_grace_secs = 1").await;
    let address = server.address.clone();
    let query = tokio::spawn(async move {
        reqwest::Client::new()
            .post(format!("{address}/sparql"))
            .header("content-type", "application/sparql-query")
            .body(CROSS_JOIN_COUNT)
            .send()
            .await
    });
    // Wait until the worker runs.
    let deadline = Instant::now() + Duration::from_secs(10);
    while server.workers().is_empty() && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let workers = server.workers();
    assert!(!workers.is_empty(), "the query never started");
    let status = Command::new("kill")
        .args(["-TERM", &server.pid().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let stopping = Instant::now();
    let exited = loop {
        if let Some(status) = server.child.try_wait().unwrap() {
            break Some(status);
        }
        if stopping.elapsed() > Duration::from_secs(5) {
            break None;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert!(exited.is_some(), "fedcat serve ignored SIGTERM for 5 s");
    // Its worker does not outlive it by more than its watchdog's period.
    tokio::time::sleep(Duration::from_millis(500)).await;
    for worker in workers {
        assert!(
            !std::path::Path::new(&format!("/proc/{worker}")).exists()
                || std::fs::read_to_string(format!("/proc/{worker}/stat"))
                    .is_ok_and(|s| s.contains(") Z")),
            "worker {worker} outlived the server"
        );
    }
    let _ = query.await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_crafted_host_header_cannot_write_into_the_service_description() {
    use std::io::{Read, Write};
    let server = Server::start("timeout_secs = 10", "").await;
    let address = server.address.trim_start_matches("http://").to_owned();
    let answer = tokio::task::spawn_blocking(move || {
        let mut stream = std::net::TcpStream::connect(&address).unwrap();
        stream
            .write_all(
                b"GET /sparql HTTP/1.1\r\nHost: evil> <http://x> <http://y> . <http://a\r\n\
                  Accept: application/n-triples\r\nConnection: close\r\n\r\n",
            )
            .unwrap();
        let mut answer = String::new();
        stream.read_to_string(&mut answer).unwrap();
        answer
    })
    .await
    .unwrap();
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    assert!(
        !answer.contains("evil") && !answer.contains("http://x>"),
        "{answer}"
    );
    // The endpoint names itself by base_iri.
    assert!(answer.contains("<http://fedcat.test/sparql>"), "{answer}");
    server.assert_healthy().await;
}
