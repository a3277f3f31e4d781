//! Harvest throughput benchmark (not a timed test): a fake CKAN portal on loopback serves real
//! recorded packages repeated under new ids up to `FEDCAT_BENCH_RECORDS` (default 50,000),
//! 1,000 per page; fedcat harvests them into an on-disk catalogue (RocksDB + SQLite), then
//! harvests again (every record unchanged). Prints records/s for both passes and the peak RSS
//! of the harvesting process: the fake portal runs in a child process (this same binary with
//! `FEDCAT_BENCH_PORTAL=1`), so its memory is not counted.
//!
//! Run: `cargo bench --bench harvest_throughput` (release build);
//! `FEDCAT_BENCH_RECORDS=200000 cargo bench --bench harvest_throughput` for the memory check.
#![allow(
    clippy::too_many_lines,
    reason = "a test or a benchmark reads as one scenario, top to bottom"
)]

#[allow(dead_code)]
#[path = "../tests/e2e/fake_portal.rs"]
mod fake_portal;

use fedcat_catalog::Catalog;
use fedcat_harvester::config::SourcesFile;
use fedcat_harvester::{
    HarvestOptions, HttpClient, HttpSettings, Vocabularies, build_source, harvest_source,
};
use serde_json::Value;
use std::time::Instant;

const FIXTURES: [&str; 6] = [
    "ckan/extracted/datasud.fr_package_search_snapshot__00.json",
    "ckan/extracted/legado.dados.gov.br_vcr_catalog__00.json",
    "ckan/extracted/legado.dados.gov.br_vcr_search_or_query__00.json",
    "ckan/extracted/legado.dados.gov.br_vcr_read_packages_by_organization__00.json",
    "ckan/amsterdam-dcatd_demo.ckan.org_packages.json",
    "ckan/hdx_package_show_unesco-data-for-zimbabwe.json",
];

/// Real packages repeated with new package and resource ids until `count`.
fn packages(count: usize) -> Vec<Value> {
    let originals: Vec<Value> = FIXTURES
        .iter()
        .flat_map(|f| fake_portal::ckan_packages(f))
        .collect();
    (0..count)
        .map(|i| {
            let mut package = originals[i % originals.len()].clone();
            let id = format!("{}-{i}", package["id"].as_str().unwrap_or("p"));
            package["id"] = Value::String(id.clone());
            if let Some(resources) = package["resources"].as_array_mut() {
                for (r, resource) in resources.iter_mut().enumerate() {
                    resource["id"] = Value::String(format!("{id}-r{r}"));
                }
            }
            package
        })
        .collect()
}

fn peak_rss_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    status
        .lines()
        .find(|l| l.starts_with("VmHWM:"))?
        .split_whitespace()
        .nth(1)?
        .parse()
        .ok()
}

#[tokio::main(flavor = "multi_thread")]
async fn main() {
    let count: usize = std::env::var("FEDCAT_BENCH_RECORDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(50_000);
    if std::env::var_os("FEDCAT_BENCH_PORTAL").is_some() {
        // The child: serve the packages, say where, and live until the parent closes stdin.
        let portal = fake_portal::FakePortal::start().await;
        let url = portal.add_ckan("bench", packages(count));
        println!("{url}");
        let _ = tokio::task::spawn_blocking(|| {
            let mut sink = String::new();
            let _ = std::io::stdin().read_line(&mut sink);
        })
        .await;
        return;
    }
    let mut child = std::process::Command::new(std::env::current_exe().unwrap())
        .env("FEDCAT_BENCH_PORTAL", "1")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut url = String::new();
    std::io::BufRead::read_line(
        &mut std::io::BufReader::new(child.stdout.take().unwrap()),
        &mut url,
    )
    .unwrap();
    let url = url.trim().to_owned();
    let sources = SourcesFile::from_toml(
        "bench",
        &format!("[[source]]\nid = \"bench\"\ntitle = \"Bench\"\ntype = \"ckan\"\nurl = \"{url}\"\npage_size = 1000\nlanguage = \"fr\"\n"),
    )
    .unwrap();
    let config = &sources.sources[0];
    let dir = tempfile::tempdir().unwrap();
    let catalog = Catalog::open(dir.path(), "http://localhost:8080")
        .await
        .unwrap();
    catalog
        .register_source(&fedcat_catalog::NewSource {
            id: &config.id,
            title: &config.title,
            kind: "ckan",
            url: config.url.as_str(),
        })
        .await
        .unwrap();
    let client = HttpClient::new(HttpSettings::default()).unwrap();
    let vocabularies = std::sync::Arc::new(
        Vocabularies::load(
            &std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("config/vocabularies"),
        )
        .unwrap(),
    );
    let source = build_source(config, catalog.iris(), &vocabularies, None).unwrap();

    for (pass, full) in [
        ("first harvest (all new)", false),
        (
            "second harvest (all unchanged, every page read: --full)",
            true,
        ),
        (
            "third harvest (all unchanged, conditional GET: 304s)",
            false,
        ),
    ] {
        let started = Instant::now();
        let report = harvest_source(
            source.as_ref(),
            &client,
            &catalog,
            &HarvestOptions {
                full,
                ..HarvestOptions::default()
            },
            &|_| {},
        )
        .await
        .unwrap();
        let seconds = started.elapsed().as_secs_f64();
        let records = report.counts.added + report.counts.updated + report.counts.unchanged;
        println!(
            "{pass}: {records} records in {seconds:.2} s = {:.0} records/s (pages {}, not modified {}, failed {})",
            records as f64 / seconds,
            report.counts.pages,
            report.counts.not_modified_pages,
            report.counts.failed
        );
    }
    println!(
        "store: {} quads; peak RSS of the harvesting process {} MiB",
        catalog.graphs().len().unwrap(),
        peak_rss_kib().unwrap_or(0) / 1024
    );
    drop(child.stdin.take());
    let _ = child.wait();
}
