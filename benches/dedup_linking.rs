//! Duplicate-linking benchmark (not a timed test): synthetic catalogues of 100,000 and
//! 1,000,000 records built by perturbing real titles, descriptions, publishers and URLs from
//! the recorded data.gouv.fr and CKAN fixtures, linked in memory by the same linker
//! `fedcat harvest` runs on a first harvest (`fedcat_catalog::dedup::link`). Each synthetic
//! dataset is a real record moved to a made-up place (title, description, publisher and URL get
//! the place name), published by 1 to 3 of five sources; copies are perturbed the way portals
//! write the same thing differently (case, accents, punctuation, http/https, `www.`, trailing
//! slashes, tracking parameters, a missing URL). Prints the time, the candidate pairs, the
//! links, how many of the planted duplicate pairs were found and the growth factor.
//!
//! Run: `cargo bench --bench dedup_linking` (release build);
//! `FEDCAT_BENCH_SIZES=20000,200000 cargo bench --bench dedup_linking` for other sizes.
#![allow(
    clippy::too_many_lines,
    reason = "a test or a benchmark reads as one scenario, top to bottom"
)]

use fedcat_catalog::dedup::{RecordSummary, link};
use serde_json::Value;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::Instant;

const SOURCES: [&str; 5] = ["msss", "ramq", "cnam-ameli", "cnam-datagouv", "atih"];

struct Seed {
    title: String,
    description: String,
    publisher: String,
    url: String,
}

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/fixtures")
}

/// Real records: data.gouv.fr datasets (www 2019, www 2022, demo 2022) and CKAN packages.
fn seeds() -> Vec<Seed> {
    let mut seeds = Vec::new();
    for dir in [
        "udata/datagouv-search-indicator/www.data.gouv.fr/2019-08-14-11-39/datasets",
        "udata/datagouv-search-indicator/www.data.gouv.fr/2022-12-02-17-29/datasets",
        "udata/datagouv-search-indicator/demo.data.gouv.fr/2022-12-02-17-29/datasets",
    ] {
        let Ok(entries) = std::fs::read_dir(fixtures().join(dir)) else {
            continue;
        };
        let mut files: Vec<PathBuf> = entries.map(|e| e.unwrap().path()).collect();
        files.sort();
        for file in files {
            let dataset: Value = serde_json::from_slice(&std::fs::read(file).unwrap()).unwrap();
            seeds.push(Seed {
                title: dataset["title"].as_str().unwrap_or_default().to_owned(),
                description: dataset["description"]
                    .as_str()
                    .unwrap_or_default()
                    .to_owned(),
                publisher: dataset["organization"]["name"]
                    .as_str()
                    .unwrap_or("Producteur")
                    .to_owned(),
                url: dataset["resources"][0]["url"]
                    .as_str()
                    .unwrap_or("https://data.example.org/file.csv")
                    .to_owned(),
            });
        }
    }
    let ckan: Value = serde_json::from_slice(
        &std::fs::read(
            fixtures().join("ckan/extracted/legado.dados.gov.br_vcr_search_or_query__00.json"),
        )
        .unwrap(),
    )
    .unwrap();
    for package in ckan["result"]["results"].as_array().into_iter().flatten() {
        seeds.push(Seed {
            title: package["title"].as_str().unwrap_or_default().to_owned(),
            description: package["notes"].as_str().unwrap_or_default().to_owned(),
            publisher: package["organization"]["title"]
                .as_str()
                .unwrap_or("Órgão")
                .to_owned(),
            url: package["resources"][0]["url"]
                .as_str()
                .unwrap_or("https://dados.example.br/file.csv")
                .to_owned(),
        });
    }
    seeds.retain(|s| !s.title.trim().is_empty());
    // The snapshots overlap (one dataset at several dates, on www and demo): a seed used twice
    // would plant two "different" datasets that are the same.
    let mut seen = std::collections::HashSet::new();
    seeds.retain(|s| seen.insert((s.title.to_lowercase(), s.publisher.to_lowercase())));
    seeds
}

/// A made-up, pronounceable place name for number `n` (distinct for distinct `n`), of two
/// syllables or more so that it is never a short word such as "la" or "de".
fn place(n: usize) -> String {
    const SYLLABLES: [&str; 24] = [
        "ba", "ce", "di", "fo", "gu", "la", "me", "ni", "po", "ru", "sa", "te", "vi", "zo", "mar",
        "bel", "cor", "dan", "len", "mon", "ver", "tor", "sal", "rin",
    ];
    let mut name = String::new();
    let mut n = n + SYLLABLES.len();
    loop {
        name.push_str(SYLLABLES[n % SYLLABLES.len()]);
        n /= SYLLABLES.len();
        if n == 0 {
            break;
        }
    }
    let mut chars = name.chars();
    chars.next().unwrap().to_uppercase().chain(chars).collect()
}

fn with_place(url: &str, place: &str, dataset: usize) -> String {
    match url::Url::parse(url) {
        Ok(mut parsed) => {
            let path = format!(
                "{}/{}-{dataset}",
                parsed.path().trim_end_matches('/'),
                place.to_lowercase()
            );
            parsed.set_path(&path);
            parsed.to_string()
        }
        Err(_) => format!(
            "https://data.example.org/{}/{dataset}",
            place.to_lowercase()
        ),
    }
}

/// How a copy on another portal writes the same record.
fn perturb(record: &mut RecordSummary, copy: usize, dataset: usize) {
    match copy % 3 {
        1 => {
            record.title = record.title.to_uppercase();
            record.publisher = record.publisher.as_ref().map(|p| p.to_lowercase());
            record.urls = record
                .urls
                .iter()
                .map(|u| {
                    let u = u.replacen("https://", "http://", 1);
                    format!(
                        "{}/?utm_source=portal&utm_medium=copy",
                        u.trim_end_matches('/')
                    )
                })
                .collect();
        }
        2 => {
            record.title = record
                .title
                .replace(" - ", " : ")
                .replace(['é', 'è', 'ê'], "e")
                .replace('à', "a");
            record.urls = record
                .urls
                .iter()
                .map(|u| u.replacen("://", "://www.", 1))
                .collect();
        }
        _ => {}
    }
    // Some copies carry no URL: only their content can link them.
    if copy > 0 && dataset.is_multiple_of(5) {
        record.urls.clear();
    }
}

fn catalogue(size: usize, seeds: &[Seed]) -> (Vec<RecordSummary>, usize) {
    let mut records = Vec::with_capacity(size);
    let mut planted_pairs = 0;
    let mut dataset = 0;
    while records.len() < size {
        let seed = &seeds[dataset % seeds.len()];
        let place = place(dataset / seeds.len());
        let copies =
            (1 + usize::from(dataset.is_multiple_of(3)) + usize::from(dataset.is_multiple_of(7)))
                .min(size - records.len());
        planted_pairs += copies * (copies - 1) / 2;
        for copy in 0..copies {
            let source = SOURCES[(dataset + copy) % SOURCES.len()];
            let mut record = RecordSummary {
                id: format!("https://fedcat.bench/graph/{source}/{dataset}"),
                dataset: format!("https://fedcat.bench/id/dataset/{source}/{dataset}"),
                source: source.to_owned(),
                title: format!("{} - {place}", seed.title),
                description: format!(
                    "{} Territoire couvert : {place}.",
                    seed.description.chars().take(600).collect::<String>()
                ),
                publisher: Some(format!("{} {place}", seed.publisher)),
                identifiers: Vec::new(),
                urls: vec![with_place(&seed.url, &place, dataset)],
                is_copy: copy > 0,
                completeness: 10,
                ..RecordSummary::default()
            };
            perturb(&mut record, copy, dataset);
            records.push(record);
        }
        dataset += 1;
    }
    (records, planted_pairs)
}

fn planted_found(records: &[RecordSummary], clusters: &[Vec<usize>]) -> usize {
    // Records of one synthetic dataset share the number at the end of their graph IRI.
    let dataset_of = |i: usize| records[i].id.rsplit('/').next().unwrap().to_owned();
    let mut found = 0;
    for cluster in clusters {
        let mut per_dataset: HashMap<String, usize> = HashMap::new();
        for &i in cluster {
            *per_dataset.entry(dataset_of(i)).or_default() += 1;
        }
        found += per_dataset.values().map(|n| n * (n - 1) / 2).sum::<usize>();
    }
    found
}

fn main() {
    let sizes: Vec<usize> = std::env::var("FEDCAT_BENCH_SIZES")
        .unwrap_or_else(|_| "100000,1000000".into())
        .split(',')
        .map(|s| s.trim().parse().expect("FEDCAT_BENCH_SIZES: numbers"))
        .collect();
    let seeds = seeds();
    println!("{} real seed records", seeds.len());
    let mut previous: Option<(usize, f64)> = None;
    for size in sizes {
        let (records, planted) = catalogue(size, &seeds);
        let started = Instant::now();
        let linking = link(&records, fedcat_catalog::dedup::DEFAULT_THRESHOLD);
        let seconds = started.elapsed().as_secs_f64();
        let found = planted_found(&records, &linking.clusters);
        let in_clusters: usize = linking.clusters.iter().map(Vec::len).sum();
        let wrong_pairs: usize = linking
            .clusters
            .iter()
            .map(|c| c.len() * (c.len() - 1) / 2)
            .sum::<usize>()
            - found;
        println!(
            "{size:>9} records: {seconds:8.2} s ({:>8.0} records/s), {} candidate pairs, {} links, \
             {} clusters holding {in_clusters} records; planted pairs found {found}/{planted} \
             ({:.1} %), pairs across planted datasets {wrong_pairs}",
            size as f64 / seconds,
            linking.candidates,
            linking.links.len(),
            linking.clusters.len(),
            100.0 * found as f64 / planted.max(1) as f64
        );
        // A few links between different planted datasets, with their evidence.
        let dataset_of = |i: usize| records[i].id.rsplit('/').next().unwrap().to_owned();
        for link in linking
            .links
            .iter()
            .filter(|l| dataset_of(l.pair.0) != dataset_of(l.pair.1))
            .take(3)
        {
            println!(
                "  e.g. {:?} | {:?}: {:.2} {:?}",
                records[link.pair.0].title, records[link.pair.1].title, link.score, link.evidence
            );
        }
        if let Some((previous_size, previous_seconds)) = previous {
            println!(
                "growth: {:.1}× the records took {:.1}× the time",
                size as f64 / previous_size as f64,
                seconds / previous_seconds
            );
        }
        previous = Some((size, seconds));
    }
}
