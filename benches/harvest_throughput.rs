//! Harvest throughput benchmark (not a timed test): a fake CKAN portal on loopback serves real
//! recorded packages repeated under new ids up to `FEDCAT_BENCH_RECORDS` (default 50,000),
//! 1,000 per page; fedcat harvests them into an on-disk catalogue (RocksDB + SQLite), then
//! harvests again (every record unchanged). Prints records/s for both passes and the peak RSS
//! of the harvesting process: the fake portal runs in a child process (this same binary with
//! `FEDCAT_BENCH_PORTAL=<count>`, see `common/ckan_portal.rs`), so its memory is not counted.
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

#[path = "common/ckan_portal.rs"]
mod ckan_portal;

#[path = "common/procfs.rs"]
mod procfs;

use fedcat_catalog::Catalog;
use fedcat_harvester::config::SourcesFile;
use fedcat_harvester::{
    HarvestOptions, HttpClient, HttpSettings, Vocabularies, build_source, harvest_source,
};
use std::time::Instant;

#[tokio::main(flavor = "multi_thread")]
async fn main() {
    let count: usize = std::env::var("FEDCAT_BENCH_RECORDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(50_000);
    if ckan_portal::serve_if_child().await {
        return;
    }
    let portal = ckan_portal::PortalChild::start(count);
    let url = portal.url.clone();
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
        procfs::peak_rss_kib(std::process::id()) / 1024
    );
    drop(portal);
}
