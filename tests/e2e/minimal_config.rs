//! The contract's `fedcat.toml` (DESIGN.md, Contract: `data_dir`, `base_iri`, `listen`,
//! `sources_file`, `[sparql]`) alone in an empty folder, beside its sources file and nothing
//! else: the binary, run from that folder, harvests, scores with DCAT-AP's SHACL shapes (M13,
//! E13 and E14 measured from the shapes and vocabulary tables compiled into it) and serves what
//! it harvested; everything it writes goes under `data_dir`.

use crate::fake_portal::{FakePortal, ckan_packages};
use crate::support::{count, source_toml};
use std::path::Path;
use std::process::{Child, Command, Output};

/// The keys of the contract, and only those.
const CONTRACT_CONFIG: &str = "data_dir = \"data\"
base_iri = \"http://fedcat.test\"
listen = \"127.0.0.1:0\"
sources_file = \"sources.toml\"
[sparql]
timeout_secs = 30
max_results = 100000
";

/// Runs the binary in `dir` with the configuration named relative to it.
fn fedcat_in(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_fedcat"))
        .current_dir(dir)
        .args(["--config", "fedcat.toml"])
        .args(args)
        .env_remove("FEDCAT_CONFIG")
        .env_remove("FEDCAT_ADMIN_TOKEN")
        .output()
        .unwrap()
}

/// Runs the binary in `dir` off the async runtime (the fake portal answers on it) and fails
/// with its output unless it succeeds; returns its standard output.
async fn succeeds_in(dir: &Path, args: &[&str]) -> String {
    let dir = dir.to_owned();
    let args: Vec<String> = args.iter().map(ToString::to_string).collect();
    let output = tokio::task::spawn_blocking(move || {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        fedcat_in(&dir, &args)
    })
    .await
    .unwrap();
    let stdout = String::from_utf8(output.stdout).unwrap();
    assert!(
        output.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    stdout
}

/// `fedcat serve`, stopped when dropped (also when an assertion fails first).
struct Served(Child);

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Starts `fedcat serve` in `dir` (as `support::start_serve` does, from that folder) and returns
/// it with the base URL it prints on its first line.
async fn serve_in(dir: &Path) -> (Served, String) {
    let mut command = Command::new(env!("CARGO_BIN_EXE_fedcat"));
    command
        .current_dir(dir)
        .args(["--config", "fedcat.toml", "serve"]);
    let (child, address) = crate::support::start_serve_with(command).await;
    (Served(child), address)
}

/// The metric ids of a `report quality` line such as `metrics true  M1 100 %, M2 0 %` or
/// `not measured (0 points): E10, M5`.
fn metric_ids<'a>(report: &'a str, prefix: &str) -> Vec<&'a str> {
    report
        .lines()
        .find_map(|line| line.strip_prefix(prefix))
        .map(|list| {
            list.split(", ")
                .filter_map(|item| item.split_whitespace().next())
                .collect()
        })
        .unwrap_or_default()
}

#[tokio::test(flavor = "multi_thread")]
async fn the_contract_keys_alone_harvest_score_and_serve_from_any_folder() {
    let portal = FakePortal::start().await;
    let datasud = portal.add_ckan(
        "datasud",
        ckan_packages("ckan/extracted/datasud.fr_package_search_snapshot__00.json"),
    );
    let folder = tempfile::tempdir().unwrap();
    let dir = folder.path();
    std::fs::write(dir.join("fedcat.toml"), CONTRACT_CONFIG).unwrap();
    std::fs::write(
        dir.join("sources.toml"),
        source_toml("datasud", "ckan", &datasud, "language = \"fr\""),
    )
    .unwrap();

    let checked = succeeds_in(dir, &["check-config"]).await;
    assert!(checked.contains("OK — 1 source(s)"), "{checked}");

    let harvest = succeeds_in(dir, &["harvest"]).await;
    for expected in [
        "datasud: succeeded",
        "added 7",
        "quality: datasud: 7 datasets",
        "search index: 7 document(s) written",
    ] {
        assert!(
            harvest.contains(expected),
            "missing {expected:?} in:\n{harvest}"
        );
    }

    // Scored with the built-in DCAT-AP 3.0.1 shapes: conformance (M13), the recommended
    // properties (E13) and the controlled vocabularies (E14) are measured.
    let quality = succeeds_in(dir, &["report", "quality"]).await;
    assert!(
        quality.contains("== datasud: 7 datasets")
            && quality.contains("DCAT-AP conformance     100 %"),
        "{quality}"
    );
    let measured = metric_ids(&quality, "metrics true");
    let not_measured = metric_ids(&quality, "not measured (0 points):");
    for metric in ["M13", "E13", "E14"] {
        assert!(
            measured.contains(&metric) && !not_measured.contains(&metric),
            "{metric} is not measured:\n{quality}"
        );
    }
    let mapping = succeeds_in(dir, &["report", "mapping"]).await;
    assert!(
        mapping.contains("DCAT-AP SHACL: 7 of 7 records conform"),
        "{mapping}"
    );

    // Served: health, the search API over the harvested records, one dataset with its quality,
    // and SPARQL over the assessments (one M13 measurement and three SHACL reports a record).
    let (server, address) = serve_in(dir).await;
    let get = |path: String| {
        let url = format!("{address}{path}");
        async move {
            let response = reqwest::get(url).await.unwrap();
            let status = response.status();
            (status, response.text().await.unwrap())
        }
    };
    let (status, _) = get("/health".into()).await;
    assert_eq!(status, 200);
    let (status, search) = get("/api/datasets?source=datasud".into()).await;
    assert_eq!(status, 200, "{search}");
    let search: serde_json::Value = serde_json::from_str(&search).unwrap();
    assert_eq!(search["total"], 7, "{search}");
    let id = search["results"][0]["id"].as_str().unwrap();
    let (status, dataset) = get(format!("/api/datasets/{id}")).await;
    assert_eq!(status, 200, "{dataset}");
    let dataset: serde_json::Value = serde_json::from_str(&dataset).unwrap();
    assert!(
        dataset["quality"]["mqa_scoring"].as_i64().unwrap() > 0,
        "{dataset}"
    );
    let in_datasud = "FILTER(STRSTARTS(STR(?g), \"http://fedcat.test/graph/quality/datasud/\"))";
    let m13 = format!(
        "PREFIX dqv: <http://www.w3.org/ns/dqv#>
         SELECT (COUNT(DISTINCT ?g) AS ?n) WHERE {{ GRAPH ?g {{
           ?m dqv:isMeasurementOf <https://piveau.eu/ns/voc#dcatApCompliance> }} {in_datasud} }}"
    );
    assert_eq!(count(&address, &m13).await, 7);
    let reports = format!(
        "SELECT (COUNT(DISTINCT ?r) AS ?n) WHERE {{ GRAPH ?g {{
           ?r a <http://www.w3.org/ns/shacl#ValidationReport> }} {in_datasud} }}"
    );
    assert_eq!(count(&address, &reports).await, 21);
    drop(server);

    // Nothing was looked for or written beside the configuration but under data_dir.
    let mut entries: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    entries.sort();
    assert_eq!(entries, ["data", "fedcat.toml", "sources.toml"]);
    for folder in ["vocabularies", "shacl"] {
        assert!(!dir.join(folder).exists(), "{folder}");
    }
}
