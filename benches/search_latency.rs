//! Search latency under load (not a timed test): the datasets of recorded catalogues (the
//! DCAT fixtures of demo.ckan.org, opendata.swiss and data.gouv.fr, and data.gouv.fr's 366
//! udata datasets of 2022 read as their DCAT-like text) are indexed again and again under new
//! ids until the index holds at least 100,000 datasets, then 32 concurrent HTTP clients send
//! `/api/datasets` requests — text queries drawn from the titles, with and without facet
//! filters, sorts and pages — to the real axum app on loopback. Prints p50/p90/p99 latency
//! and requests/s.
//!
//! Run: `cargo bench --bench search_latency` (release build). `FEDCAT_BENCH_DATASETS` sets the
//! index size (default 100,000), `FEDCAT_BENCH_REQUESTS` the requests per client (default 200).
#![allow(
    clippy::too_many_lines,
    reason = "a test or a benchmark reads as one scenario, top to bottom"
)]

use fedcat_catalog::search::{SearchDocument, SearchIndex};
use std::collections::HashSet;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

#[path = "common/dcat_fixtures.rs"]
mod dcat_fixtures;

const UDATA_2022: &str =
    "udata/datagouv-search-indicator/www.data.gouv.fr/2022-12-02-17-29/datasets";

/// Each DCAT dataset of the recorded catalogues as a search document.
fn dcat_documents() -> Vec<SearchDocument> {
    dcat_fixtures::datasets()
        .into_iter()
        .filter_map(|(dataset, record)| SearchDocument::from_graph("dcat", &dataset, &record))
        .collect()
}

/// data.gouv.fr's udata datasets, their texts and facet values read from the JSON.
fn udata_documents(fixtures: &Path) -> Vec<SearchDocument> {
    let mut out = Vec::new();
    let mut files: Vec<_> = std::fs::read_dir(fixtures.join(UDATA_2022))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    for file in files {
        let dataset: serde_json::Value =
            serde_json::from_slice(&std::fs::read(file).unwrap()).unwrap();
        let text = |v: &serde_json::Value| v.as_str().map(str::to_owned);
        out.push(SearchDocument {
            id: format!("udata/{}", dataset["id"].as_str().unwrap_or_default()),
            source: "udata".into(),
            dataset: text(&dataset["uri"]).unwrap_or_default(),
            titles: text(&dataset["title"]).into_iter().collect(),
            descriptions: text(&dataset["description"]).into_iter().collect(),
            keywords: dataset["tags"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(text)
                .collect(),
            publisher: text(&dataset["organization"]["name"]),
            formats: dataset["resources"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|r| text(&r["format"]).map(|f| f.to_uppercase()))
                .collect::<HashSet<_>>()
                .into_iter()
                .collect(),
            licences: text(&dataset["license"]).into_iter().collect(),
            modified: text(&dataset["last_modified"]).and_then(|d| d.get(..10).map(str::to_owned)),
            primary: true,
            ..SearchDocument::default()
        });
    }
    out
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let index = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[index.min(sorted.len() - 1)]
}

#[tokio::main]
async fn main() {
    let target: usize = std::env::var("FEDCAT_BENCH_DATASETS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(100_000);
    let per_client: usize = std::env::var("FEDCAT_BENCH_REQUESTS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(200);
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/fixtures");
    let seeds: Vec<SearchDocument> = dcat_documents()
        .into_iter()
        .chain(udata_documents(&fixtures))
        .collect();
    let ratings = ["excellent", "good", "sufficient", "bad"];
    let mut documents = Vec::with_capacity(target);
    let sources = ["qc", "fr", "ameli", "atih", "spf"];
    let mut copy = 0usize;
    while documents.len() < target {
        for seed in &seeds {
            let n = documents.len();
            let mut document = seed.clone();
            let source = sources[n % sources.len()];
            document.id = format!("{source}/{}-{copy}", seed.id);
            document.source = source.to_owned();
            document.mqa_score = Some((n * 37 % 406) as u64);
            document.rating = Some(ratings[n % 4].to_owned());
            documents.push(document);
        }
        copy += 1;
    }
    documents.truncate(target);
    // Queries: words of the seed titles, alone and in pairs.
    let mut words: Vec<String> = seeds
        .iter()
        .flat_map(|d| {
            d.title()
                .split_whitespace()
                .map(str::to_lowercase)
                .collect::<Vec<_>>()
        })
        .filter(|w| w.chars().count() > 4 && w.chars().all(char::is_alphabetic))
        .collect();
    words.sort();
    words.dedup();
    println!(
        "{} seed datasets, {} distinct query words; indexing {target} datasets…",
        seeds.len(),
        words.len()
    );
    let dir = tempfile::tempdir().unwrap();
    let index = Arc::new(SearchIndex::open(&dir.path().join("search")).unwrap());
    let started = Instant::now();
    let source_ids: Vec<&str> = sources.to_vec();
    index.sync(&source_ids, documents).unwrap();
    println!("indexed in {:.1} s", started.elapsed().as_secs_f64());

    // The real app on loopback.
    std::fs::write(
        dir.path().join("fedcat.toml"),
        format!(
            "data_dir = \"data\"\nbase_iri = \"http://bench.test\"\nlisten = \"127.0.0.1:0\"\n\
             vocabularies_dir = \"{}\"\n",
            Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("config/vocabularies")
                .display()
        ),
    )
    .unwrap();
    std::fs::write(dir.path().join("sources.toml"), "").unwrap();
    let config = fedcat::AppConfig::load(&dir.path().join("fedcat.toml")).unwrap();
    let catalog = fedcat_catalog::Catalog::open(&dir.path().join("data"), "http://bench.test")
        .await
        .unwrap();
    let app = fedcat::server::app(&catalog, &config, None, Some(index));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    let limits = config.server;
    tokio::spawn(async move {
        fedcat::server::serve(listener, app, limits, std::future::pending())
            .await
            .unwrap();
    });

    let client = reqwest::Client::new();
    let words = Arc::new(words);
    let started = Instant::now();
    let mut tasks = Vec::new();
    for worker in 0..32usize {
        let client = client.clone();
        let words = words.clone();
        tasks.push(tokio::spawn(async move {
            let mut latencies = Vec::with_capacity(per_client);
            for i in 0..per_client {
                let n = worker * 7919 + i * 104_729;
                let word = &words[n % words.len()];
                let query = match i % 5 {
                    0 => format!("q={word}"),
                    1 => format!("q={word}%20{}", words[(n / 3) % words.len()]),
                    2 => format!("q={word}&rating={}", ["good", "bad"][i % 2]),
                    3 => format!("q={word}&sort=modified&page=2"),
                    _ => format!(
                        "source={}&sort=title&page={}",
                        ["qc", "fr"][i % 2],
                        1 + i % 20
                    ),
                };
                let url = format!("http://{address}/api/datasets?{query}");
                let sent = Instant::now();
                let response = client.get(&url).send().await.unwrap();
                assert_eq!(response.status(), 200, "{url}");
                response.bytes().await.unwrap();
                latencies.push(sent.elapsed());
            }
            latencies
        }));
    }
    let mut latencies = Vec::new();
    for task in tasks {
        latencies.extend(task.await.unwrap());
    }
    let elapsed = started.elapsed().as_secs_f64();
    latencies.sort();
    println!(
        "{} requests from 32 clients over {target} datasets in {elapsed:.1} s: {:.0} requests/s; latency p50 {:.1} ms, p90 {:.1} ms, p99 {:.1} ms, max {:.1} ms",
        latencies.len(),
        latencies.len() as f64 / elapsed,
        percentile(&latencies, 0.50).as_secs_f64() * 1000.0,
        percentile(&latencies, 0.90).as_secs_f64() * 1000.0,
        percentile(&latencies, 0.99).as_secs_f64() * 1000.0,
        latencies.last().unwrap().as_secs_f64() * 1000.0,
    );
}
