//! Quality scoring throughput (not a timed test): the datasets of recorded DCAT catalogues
//! (demo.ckan.org's first Hydra page, opendata.swiss's catalogue, data.gouv.fr's ODS copy) are
//! each cut out with what they reach (distributions, agents, contact points), then measured and
//! scored over and over — MQA and extended score, five stars — without SHACL and without link
//! checks (the URL metrics read a table of earlier results, as in production). Prints
//! datasets/s.
//!
//! Run: `cargo bench --bench quality_scoring` (release build); `FEDCAT_BENCH_ROUNDS` sets the
//! number of passes (default 2,000).

use fedcat_catalog::oxigraph::io::{RdfFormat, RdfParser};
use fedcat_catalog::oxigraph::model::{NamedOrBlankNode, Term, Triple};
use fedcat_catalog::quality::measure::{
    LinkCheck, MeasureOptions, QualityFacts, ShaclOutcome, Value, measure,
};
use fedcat_catalog::quality::score::{ScoreTable, score};
use std::collections::{HashMap, HashSet};
use std::path::Path;
use std::time::Instant;

const FILES: [(&str, RdfFormat); 3] = [
    (
        "dcat/hydra/demo.ckan.org_catalog_page1_of_26.ttl",
        RdfFormat::Turtle,
    ),
    ("dcat/rdfxml/opendata-swiss_catalog.xml", RdfFormat::RdfXml),
    (
        "dcat/hydra/datagouv_org_catalog_partialcollectionview.rdf.xml",
        RdfFormat::RdfXml,
    ),
];

fn node_key(subject: &NamedOrBlankNode) -> String {
    subject.to_string()
}

/// Each dataset with the triples it reaches (three hops).
fn datasets() -> Vec<(String, Vec<Triple>)> {
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/fixtures");
    let mut out = Vec::new();
    for (file, format) in FILES {
        let bytes = std::fs::read(fixtures.join(file)).unwrap();
        let triples: Vec<Triple> = RdfParser::from_format(format)
            .with_base_iri("https://example.org/")
            .unwrap()
            .for_reader(bytes.as_slice())
            .map(|q| Triple::from(q.unwrap()))
            .collect();
        let mut by_subject: HashMap<String, Vec<&Triple>> = HashMap::new();
        for t in &triples {
            by_subject.entry(node_key(&t.subject)).or_default().push(t);
        }
        for t in &triples {
            let is_dataset = t.predicate.as_str()
                == "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
                && t.object.to_string() == "<http://www.w3.org/ns/dcat#Dataset>";
            let NamedOrBlankNode::NamedNode(dataset) = &t.subject else {
                continue;
            };
            if !is_dataset {
                continue;
            }
            let mut seen: HashSet<String> = HashSet::new();
            let mut frontier = vec![node_key(&t.subject)];
            let mut record = Vec::new();
            for _ in 0..3 {
                let mut next = Vec::new();
                for node in frontier {
                    if !seen.insert(node.clone()) {
                        continue;
                    }
                    for triple in by_subject.get(&node).into_iter().flatten() {
                        record.push((*triple).clone());
                        match &triple.object {
                            Term::NamedNode(n) => next.push(format!("<{}>", n.as_str())),
                            Term::BlankNode(b) => next.push(format!("_:{}", b.as_str())),
                            _ => {}
                        }
                    }
                }
                frontier = next;
            }
            out.push((dataset.as_str().to_owned(), record));
        }
    }
    out
}

fn main() {
    let rounds: usize = std::env::var("FEDCAT_BENCH_ROUNDS")
        .ok()
        .and_then(|r| r.parse().ok())
        .unwrap_or(2000);
    let records = datasets();
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
        FILES.len()
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
