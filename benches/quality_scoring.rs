//! Quality scoring throughput (not a timed test): the datasets of recorded DCAT catalogues
//! (demo.ckan.org's first Hydra page, opendata.swiss's catalogue, data.gouv.fr's ODS copy) are
//! each cut out with what they reach (distributions, agents, contact points), then measured and
//! scored over and over — MQA and extended score, five stars — without SHACL and without link
//! checks (the URL metrics read a table of earlier results, as in production). Prints
//! datasets/s.
//!
//! Run: `cargo bench --bench quality_scoring` (release build); `FEDCAT_BENCH_ROUNDS` sets the
//! number of passes (default 2,000).
#![allow(
    clippy::too_many_lines,
    reason = "a test or a benchmark reads as one scenario, top to bottom"
)]

use fedcat_catalog::quality::measure::{
    LinkCheck, MeasureOptions, QualityFacts, ShaclOutcome, Value, measure,
};
use fedcat_catalog::quality::score::{ScoreTable, score};
use std::collections::HashMap;
use std::time::Instant;

#[path = "common/dcat_fixtures.rs"]
mod dcat_fixtures;

fn main() {
    let rounds: usize = std::env::var("FEDCAT_BENCH_ROUNDS")
        .ok()
        .and_then(|r| r.parse().ok())
        .unwrap_or(2000);
    let records = dcat_fixtures::datasets();
    let file_type =
        |code: &str| format!("http://publications.europa.eu/resource/authority/file-type/{code}");
    let facts = QualityFacts {
        file_types: [
            ("CSV", (true, true)),
            ("JSON", (true, true)),
            ("XLSX", (true, false)),
            ("PDF", (false, false)),
        ]
        .into_iter()
        .map(|(c, f)| (file_type(c), f))
        .collect(),
        ..QualityFacts::default()
    };
    let links: HashMap<String, LinkCheck> = HashMap::new();
    let table = ScoreTable::default();
    let today = chrono::NaiveDate::from_ymd_opt(2026, 12, 1).unwrap();
    let triples: usize = records.iter().map(|(_, t)| t.len()).sum();
    println!(
        "{} datasets ({} triples) from {} recorded catalogues, {rounds} passes",
        records.len(),
        triples,
        dcat_fixtures::FILES.len()
    );
    let started = Instant::now();
    let mut checksum = 0i64;
    for _ in 0..rounds {
        for (dataset, record) in &records {
            let measurements = measure(
                record,
                dataset,
                &facts,
                ShaclOutcome::default(),
                &|url| links.get(url).cloned(),
                MeasureOptions::default(),
                today,
            );
            let scores = score(&measurements, &table);
            let best = measurements
                .distributions
                .iter()
                .filter_map(|(_, v)| match v.get("E27") {
                    Some(Value::Level(level)) => Some(*level),
                    _ => None,
                })
                .max()
                .unwrap_or(0);
            checksum += i64::from(scores.mqa.total + scores.ext.total) + i64::from(best);
        }
    }
    let seconds = started.elapsed().as_secs_f64();
    let assessed = rounds * records.len();
    println!(
        "{assessed} assessments in {seconds:.2} s: {:.0} datasets/s (checksum {checksum})",
        assessed as f64 / seconds
    );
}
