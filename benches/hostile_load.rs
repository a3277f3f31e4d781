//! Hostile load on the real `fedcat serve` (not a timed test): the datasets of the recorded DCAT
//! catalogues (see `common/dcat_fixtures.rs`) are written again and again, each copy in its own
//! named graph, into a store on disk until it holds about 860,000 quads; then `fedcat serve`
//! runs on it and 64 concurrent clients send, for 60 s, a mix of pathological requests: SPARQL
//! cross joins counted and sorted, an unbounded property path, queries nested 900 deep by GET
//! and POST, searches nested 1,000 deep and paged to page 100,000,000, and CKAN `start`
//! 10,000,000,000. Meanwhile `/health` is timed every 100 ms and the resident memory of the
//! server and of its query workers is sampled.
//!
//! Prints: requests by status, peak RSS (server, and server + workers), `/health` latency
//! (p50/p99/max), and how long the CPU took to return to idle after the last request.
//!
//! Run: `cargo bench --bench hostile_load` (release build). `FEDCAT_BENCH_QUADS` sets the store
//! size (default 860,000), `FEDCAT_BENCH_SECS` the attack's length (default 60),
//! `FEDCAT_BENCH_CLIENTS` the clients (default 64).
#![allow(
    clippy::too_many_lines,
    reason = "a test or a benchmark reads as one scenario, top to bottom"
)]

use fedcat_catalog::oxigraph::model::{GraphName, NamedNode, Quad};
use fedcat_catalog::oxigraph::store::Store;
use std::collections::BTreeMap;
use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

#[path = "common/dcat_fixtures.rs"]
mod dcat_fixtures;
#[path = "common/procfs.rs"]
mod procfs;
use procfs::{children_of, cpu_ticks, rss_kib};

fn env_number(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// Writes copies of the recorded datasets until the store holds `target` quads.
fn build_store(dir: &std::path::Path, target: u64) -> u64 {
    let datasets = dcat_fixtures::datasets();
    let store = Store::open(dir.join("oxigraph")).unwrap();
    let mut written = 0u64;
    let mut copy = 0u64;
    while written < target {
        let mut quads = Vec::new();
        for (index, (_, triples)) in datasets.iter().enumerate() {
            let graph =
                NamedNode::new(format!("http://fedcat.test/graph/bench/{copy}/{index}")).unwrap();
            for triple in triples {
                quads.push(Quad::new(
                    triple.subject.clone(),
                    triple.predicate.clone(),
                    triple.object.clone(),
                    GraphName::NamedNode(graph.clone()),
                ));
            }
        }
        written += quads.len() as u64;
        let mut loader = store.bulk_loader();
        loader.load_quads(quads).unwrap();
        loader.commit().unwrap();
        copy += 1;
    }
    store.flush().unwrap();
    written
}

/// The attacks, as (label, method, path, body).
fn attacks() -> Vec<(&'static str, &'static str, String, Option<String>)> {
    let encode =
        |q: &str| -> String { url::form_urlencoded::byte_serialize(q.as_bytes()).collect() };
    let nested_groups = format!("SELECT * WHERE {}{}", "{".repeat(900), "}".repeat(900));
    let nested_filter = format!(
        "ASK {{ FILTER({}1{}) }}",
        "(".repeat(3000),
        ")".repeat(3000)
    );
    let nested_search = format!("{}santé{}", "(".repeat(1000), ")".repeat(1000));
    vec![
        (
            "sparql cross join count",
            "POST",
            "/sparql".into(),
            Some("SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }".into()),
        ),
        (
            "sparql sorted cross join",
            "POST",
            "/sparql".into(),
            Some("SELECT * WHERE { ?a ?b ?c . ?d ?e ?f } ORDER BY ?c ?f LIMIT 1".into()),
        ),
        (
            "sparql unbounded path",
            "POST",
            "/sparql".into(),
            Some(
                "SELECT (COUNT(*) AS ?n) WHERE { ?s (<http://purl.org/dc/terms/publisher>|!<http://purl.org/dc/terms/publisher>)* ?o }"
                    .into(),
            ),
        ),
        ("sparql nested 900 (POST)", "POST", "/sparql".into(), Some(nested_groups.clone())),
        (
            "sparql nested 900 (GET)",
            "GET",
            format!("/sparql?query={}", encode(&nested_groups)),
            None,
        ),
        ("sparql FILTER 3000 (", "POST", "/sparql".into(), Some(nested_filter)),
        (
            "search nested 1000 (",
            "GET",
            format!("/api/datasets?q={}", encode(&nested_search)),
            None,
        ),
        (
            "web search nested 1000 (",
            "GET",
            format!("/?q={}", encode(&nested_search)),
            None,
        ),
        (
            "search page 100000000",
            "GET",
            "/api/datasets?page=100000000&page_size=100".into(),
            None,
        ),
        (
            "ckan start 1e10",
            "GET",
            "/api/3/action/package_search?start=10000000000".into(),
            None,
        ),
    ]
}

#[tokio::main]
async fn main() {
    let target_quads = env_number("FEDCAT_BENCH_QUADS", 860_000);
    let seconds = env_number("FEDCAT_BENCH_SECS", 60);
    let clients = env_number("FEDCAT_BENCH_CLIENTS", 64) as usize;
    let dir = tempfile::tempdir().unwrap();
    let data_dir = dir.path().join("data");
    std::fs::create_dir_all(&data_dir).unwrap();
    let started = Instant::now();
    let quads = build_store(&data_dir, target_quads);
    println!(
        "store: {quads} quads written in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    let vocabularies = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("config/vocabularies");
    std::fs::write(
        dir.path().join("fedcat.toml"),
        format!(
            "data_dir = \"data\"\nbase_iri = \"http://fedcat.test\"\nlisten = \"127.0.0.1:0\"\n\
             vocabularies_dir = \"{}\"\n[serve]\nharvest_on_start = false\n\
             [sparql]\ntimeout_secs = 10\n",
            vocabularies.display()
        ),
    )
    .unwrap();
    std::fs::write(dir.path().join("sources.toml"), "").unwrap();
    let mut server = Command::new(env!("CARGO_BIN_EXE_fedcat"))
        .arg("--config")
        .arg(dir.path().join("fedcat.toml"))
        .arg("serve")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut first_line = String::new();
    BufReader::new(server.stdout.take().unwrap())
        .read_line(&mut first_line)
        .unwrap();
    let address = first_line
        .split_whitespace()
        .find(|w| w.starts_with("http://"))
        .unwrap()
        .to_owned();
    let pid = server.id();
    tokio::time::sleep(Duration::from_secs(2)).await;
    let idle_rss = rss_kib(pid);
    println!("server idle: RSS {} MiB", idle_rss / 1024);

    let running = Arc::new(AtomicBool::new(true));
    // Memory sampler.
    let sampler = {
        let running = running.clone();
        tokio::spawn(async move {
            let (mut peak_server, mut peak_total) = (0u64, 0u64);
            while running.load(Ordering::SeqCst) {
                let server_rss = rss_kib(pid);
                let workers: u64 = children_of(pid).into_iter().map(rss_kib).sum();
                peak_server = peak_server.max(server_rss);
                peak_total = peak_total.max(server_rss + workers);
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            (peak_server, peak_total)
        })
    };
    // /health prober.
    let prober = {
        let running = running.clone();
        let address = address.clone();
        tokio::spawn(async move {
            let client = reqwest::Client::new();
            let mut latencies = Vec::new();
            let mut failures = 0;
            while running.load(Ordering::SeqCst) {
                let sent = Instant::now();
                match client
                    .get(format!("{address}/health"))
                    .timeout(Duration::from_secs(10))
                    .send()
                    .await
                {
                    Ok(response) if response.status() == 200 => latencies.push(sent.elapsed()),
                    _ => failures += 1,
                }
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            latencies.sort();
            (latencies, failures)
        })
    };
    let attacks = Arc::new(attacks());
    let deadline = Instant::now() + Duration::from_secs(seconds);
    let workers: Vec<_> = (0..clients)
        .map(|client_index| {
            let attacks = attacks.clone();
            let address = address.clone();
            tokio::spawn(async move {
                let client = reqwest::Client::new();
                let mut counts: BTreeMap<(String, u16), u64> = BTreeMap::new();
                let mut turn = client_index;
                while Instant::now() < deadline {
                    let (label, method, path, body) = &attacks[turn % attacks.len()];
                    turn += 1;
                    let url = format!("{address}{path}");
                    let request = if *method == "POST" {
                        client
                            .post(url)
                            .header("content-type", "application/sparql-query")
                            .body(body.clone().unwrap_or_default())
                    } else {
                        client.get(url)
                    };
                    let status = match request.timeout(Duration::from_secs(30)).send().await {
                        Ok(response) => {
                            let status = response.status().as_u16();
                            let _ = response.bytes().await;
                            status
                        }
                        Err(_) => 0,
                    };
                    *counts.entry(((*label).to_owned(), status)).or_default() += 1;
                }
                counts
            })
        })
        .collect();
    let mut totals: BTreeMap<(String, u16), u64> = BTreeMap::new();
    for worker in workers {
        for (key, n) in worker.await.unwrap() {
            *totals.entry(key).or_default() += n;
        }
    }
    let last_request = Instant::now();
    // CPU back to idle: the first 500 ms window after the last request in which the server
    // and its workers spent under 5 ticks (50 ms of CPU).
    let mut idle_after = None;
    while last_request.elapsed() < Duration::from_secs(30) {
        let ticks = |pid| cpu_ticks(pid) + children_of(pid).into_iter().map(cpu_ticks).sum::<u64>();
        let before = ticks(pid);
        tokio::time::sleep(Duration::from_millis(500)).await;
        if ticks(pid).saturating_sub(before) < 5 {
            idle_after = Some(last_request.elapsed());
            break;
        }
    }
    running.store(false, Ordering::SeqCst);
    let (peak_server, peak_total) = sampler.await.unwrap();
    let (latencies, failures) = prober.await.unwrap();
    let healthy_now = reqwest::get(format!("{address}/health"))
        .await
        .map(|r| r.status().as_u16())
        .unwrap_or(0);
    let _ = server.kill();
    let _ = server.wait();

    println!("{clients} clients for {seconds} s over {quads} quads");
    for ((label, status), n) in &totals {
        println!("  {label:<28} HTTP {status:>3}  ×{n}");
    }
    println!(
        "peak RSS: server {} MiB, server + query workers {} MiB (idle {} MiB)",
        peak_server / 1024,
        peak_total / 1024,
        idle_rss / 1024
    );
    let percentile = |p: f64| {
        latencies
            .get(((latencies.len().max(1) - 1) as f64 * p) as usize)
            .copied()
            .unwrap_or_default()
    };
    println!(
        "/health during the attack: {} answers, {failures} failures, p50 {:?}, p99 {:?}, max {:?}",
        latencies.len(),
        percentile(0.5),
        percentile(0.99),
        latencies.last().copied().unwrap_or_default()
    );
    match idle_after {
        Some(after) => println!(
            "CPU idle {:.1} s after the last request",
            after.as_secs_f64()
        ),
        None => println!("CPU still busy 30 s after the last request"),
    }
    println!("/health after the attack: HTTP {healthy_now}");
}
