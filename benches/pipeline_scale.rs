//! The whole `fedcat harvest` command at scale (issue 18; a benchmark, never a timed test).
//!
//! A CKAN portal of `FEDCAT_BENCH_RECORDS` generated packages (default 100,000: the real
//! recorded packages repeated under fresh ids, see `common/ckan_portal.rs`) is served on
//! loopback by a child process; the release `fedcat` binary harvests it with the embedded
//! defaults (SHACL, duplicates, quality snapshot and search index on) three times: first
//! (every record new), again unchanged, and again after 1 % of the packages changed on the
//! portal. For each run the benchmark prints the wall time and peak RSS of the whole command
//! and the time and peak RSS after each step as the command reports them (`took …` lines on
//! standard error). Then, as the reference measured in the same run, Oxigraph's own bulk
//! loader loads the same quads (dumped from fedcat's store as N-Quads) into a fresh store.
//!
//! Run: `cargo bench --bench pipeline_scale`;
//! `FEDCAT_BENCH_RECORDS=1000000 cargo bench --bench pipeline_scale` for a million.
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

use fedcat_catalog::oxigraph::io::RdfFormat;
use fedcat_catalog::oxigraph::store::Store;
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// What one run of the command took.
struct Run {
    wall: Duration,
    peak_rss_mib: u64,
    /// The command's own `took` lines, after the line they follow.
    steps: Vec<String>,
}

/// Runs `fedcat harvest`, echoing its output, and samples its resident memory (VmHWM is read
/// from /proc while it runs, the last reading just before it exits).
fn harvest(config: &Path) -> Run {
    let started = Instant::now();
    let mut child = Command::new(env!("CARGO_BIN_EXE_fedcat"))
        .arg("--config")
        .arg(config)
        .arg("harvest")
        .env_remove("FEDCAT_CONFIG")
        .env("RUST_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let pid = child.id();
    let sampler = std::thread::spawn(move || {
        let mut peak = 0;
        while std::path::Path::new(&format!("/proc/{pid}")).exists() {
            peak = peak.max(procfs::peak_rss_kib(pid));
            std::thread::sleep(Duration::from_millis(50));
        }
        peak
    });
    let stdout = child.stdout.take().unwrap();
    let out_lines = std::thread::spawn(move || {
        BufReader::new(stdout)
            .lines()
            .map_while(Result::ok)
            .inspect(|line| println!("    | {line}"))
            .collect::<Vec<_>>()
    });
    let mut steps = Vec::new();
    let mut previous = String::new();
    for line in BufReader::new(child.stderr.take().unwrap())
        .lines()
        .map_while(Result::ok)
    {
        if line.contains("page read") {
            continue;
        }
        eprintln!("    ! {line}");
        if line.trim_start().starts_with("took ") {
            steps.push(format!("{previous} — {}", line.trim()));
        }
        previous = line;
    }
    let status = child.wait().unwrap();
    let wall = started.elapsed();
    let _ = out_lines.join();
    let peak_rss_mib = sampler.join().unwrap_or(0) / 1024;
    assert!(status.success(), "fedcat harvest failed: {status}");
    Run {
        wall,
        peak_rss_mib,
        steps,
    }
}

/// Starts `fedcat serve` on the harvested catalogue (no harvest at start), waits until the
/// search API answers (the index is checked against the store at start-up), sends a few
/// searches, and returns the time to the first answer and the peak RSS (MiB) of the server.
async fn serve_once(config: &Path) -> (Duration, u64) {
    let started = Instant::now();
    let mut child = Command::new(env!("CARGO_BIN_EXE_fedcat"))
        .arg("--config")
        .arg(config)
        .arg("serve")
        .env_remove("FEDCAT_CONFIG")
        .env("RUST_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let address = line
        .split("http://")
        .nth(1)
        .and_then(|rest| rest.split_whitespace().next())
        .unwrap()
        .to_owned();
    let client = reqwest::Client::new();
    let mut answered = None;
    for query in std::iter::repeat_n(["", "q=sant%C3%A9", "q=donn%C3%A9es&page=2"], 7)
        .flatten()
        .take(20)
    {
        loop {
            let response = client
                .get(format!("http://{address}/api/datasets?{query}"))
                .send()
                .await;
            if response.is_ok_and(|r| r.status().is_success()) {
                break;
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        answered.get_or_insert_with(|| started.elapsed());
    }
    let peak = procfs::peak_rss_kib(child.id());
    let _ = child.kill();
    let _ = child.wait();
    (answered.unwrap_or_default(), peak / 1024)
}

/// Where the quads of the store are: per kind of graph (records, their assessments, the meta
/// graph, the links…), and per predicate inside the record graphs.
struct Breakdown {
    graphs: std::collections::HashMap<&'static str, u64>,
    record_predicates: std::collections::HashMap<String, u64>,
}

fn quad_breakdown(store: &Store) -> Breakdown {
    let mut graphs = std::collections::HashMap::new();
    let mut record_predicates = std::collections::HashMap::new();
    for quad in store.iter() {
        let quad = quad.unwrap();
        let graph = quad.graph_name.to_string();
        // The graph names of `IriMinter`: graph/quality/…, graph/quality-metrics, graph/meta,
        // graph/links, graph/{source}/{key}.
        let kind = if graph.contains("/graph/quality/") {
            "quality (DQV) graphs"
        } else if graph.ends_with("/graph/meta>") {
            "meta graph (provenance)"
        } else if graph.ends_with("/graph/links>") {
            "links graph (duplicates)"
        } else if graph.contains("/graph/") && !graph.ends_with("/graph/quality-metrics>") {
            "record graphs"
        } else {
            "other graphs"
        };
        *graphs.entry(kind).or_default() += 1;
        if kind == "record graphs" {
            *record_predicates
                .entry(quad.predicate.as_str().to_owned())
                .or_default() += 1;
        }
    }
    Breakdown {
        graphs,
        record_predicates,
    }
}

#[tokio::main(flavor = "multi_thread")]
async fn main() {
    if ckan_portal::serve_if_child().await {
        return;
    }
    let count: usize = std::env::var("FEDCAT_BENCH_RECORDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(100_000);
    let mut portal = ckan_portal::PortalChild::start(count);
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("fedcat.toml"),
        "data_dir = \"data\"\nbase_iri = \"http://localhost:8080\"\nlisten = \"127.0.0.1:0\"\n\
         [serve]\nharvest_on_start = false\n",
    )
    .unwrap();
    std::fs::write(
        dir.path().join("sources.toml"),
        format!(
            "[[source]]\nid = \"bench\"\ntitle = \"Bench\"\ntype = \"ckan\"\nurl = \"{}\"\n\
             page_size = 1000\nlanguage = \"fr\"\n",
            portal.url
        ),
    )
    .unwrap();
    let config = dir.path().join("fedcat.toml");

    let mut runs = Vec::new();
    for (name, changed) in [
        ("first harvest (every record new)", 0),
        ("unchanged re-run", 0),
        ("1 % changed", count / 100),
    ] {
        if changed > 0 {
            portal.change(changed);
        }
        println!("== {name}: fedcat harvest of {count} records");
        let run = harvest(&config);
        println!(
            "== {name}: {:.1} s, peak RSS {} MiB",
            run.wall.as_secs_f64(),
            run.peak_rss_mib
        );
        runs.push((name, run));
    }

    let serve = serve_once(&config).await;

    // The reference: Oxigraph's bulk loader on the same quads, in a fresh store.
    let store_dir = dir.path().join("data/store");
    let dump = dir.path().join("dump.nq");
    let (quads, breakdown) = {
        let store = Store::open_read_only(&store_dir).unwrap();
        let file = std::io::BufWriter::new(std::fs::File::create(&dump).unwrap());
        store.dump_to_writer(RdfFormat::NQuads, file).unwrap();
        (store.len().unwrap(), quad_breakdown(&store))
    };
    let reference = dir.path().join("reference-store");
    let started = Instant::now();
    {
        let store = Store::open(&reference).unwrap();
        store
            .bulk_loader()
            .load_from_reader(
                RdfFormat::NQuads,
                std::io::BufReader::new(std::fs::File::open(&dump).unwrap()),
            )
            .unwrap();
    }
    let bulk = started.elapsed();

    println!();
    println!("| run | whole command | peak RSS |");
    println!("|---|---|---|");
    for (name, run) in &runs {
        println!(
            "| {name} | {:.1} s | {} MiB |",
            run.wall.as_secs_f64(),
            run.peak_rss_mib
        );
    }
    println!(
        "| fedcat serve: start, search index checked against the store, 20 searches | {:.1} s to answer | {} MiB |",
        serve.0.as_secs_f64(),
        serve.1
    );
    println!(
        "| Oxigraph bulk load of the same {quads} quads ({:.0} per record) | {:.1} s | |",
        quads as f64 / count as f64,
        bulk.as_secs_f64()
    );
    println!();
    println!("quads per record, by graph (over {count} records):");
    let mut kinds: Vec<_> = breakdown.graphs.iter().collect();
    kinds.sort_by(|a, b| b.1.cmp(a.1));
    for (kind, n) in kinds {
        println!("  {kind:<28} {:>8.1}", *n as f64 / count as f64);
    }
    println!("record graphs, by predicate (per record):");
    let mut predicates: Vec<_> = breakdown.record_predicates.iter().collect();
    predicates.sort_by(|a, b| b.1.cmp(a.1));
    for (predicate, n) in predicates.iter().take(40) {
        println!("  {predicate:<70} {:>6.2}", **n as f64 / count as f64);
    }
    println!();
    for (name, run) in &runs {
        println!("{name}, step by step:");
        for step in &run.steps {
            println!("  {step}");
        }
    }
}
