//! The real `fedcat` binary: configuration checking, `harvest` with its summary and exit
//! status, `jobs`, and `serve` answering SPARQL over HTTP on what was harvested.

use crate::fake_portal::{FakePortal, ckan_packages};
use crate::support::{Deployment, count, datasets_of_source, source_toml};
use std::process::{Command, Stdio};

fn fedcat(config: &std::path::Path, args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_fedcat"))
        .arg("--config")
        .arg(config)
        .args(args)
        .env_remove("FEDCAT_CONFIG")
        .env_remove("FEDCAT_ADMIN_TOKEN")
        .output()
        .unwrap()
}

#[test]
fn check_config_reports_every_problem_and_fails() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("fedcat.toml"),
        format!(
            "base_iri = \"nope\"\nvocabularies_dir = \"{}\"\n[sparql]\nmax_results = 0\n",
            crate::support::vocabularies_dir().display()
        ),
    )
    .unwrap();
    std::fs::write(
        dir.path().join("sources.toml"),
        "[[source]]\nid = \"a\"\ntitle = \"A\"\ntype = \"ckan\"\nurl = \"https://x.org\"\nschedule = \"daily\"\n\
         [[source]]\nid = \"a\"\ntitle = \"B\"\ntype = \"dcat\"\nurl = \"https://y.org/c.ttl\"\n",
    )
    .unwrap();
    let output = fedcat(&dir.path().join("fedcat.toml"), &["check-config"]);
    assert!(!output.status.success());
    let stderr = String::from_utf8(output.stderr).unwrap();
    for expected in [
        "base_iri",
        "sparql.max_results",
        "source[0].schedule",
        "source[1].id: duplicate",
        "4 problem(s)",
    ] {
        assert!(
            stderr.contains(expected),
            "missing {expected:?} in:\n{stderr}"
        );
    }
    assert!(
        stderr.contains("sources.toml") && stderr.contains("fedcat.toml"),
        "{stderr}"
    );
}

/// The sources.toml of the issue: an unknown `type` used to hide every other problem behind
/// its TOML error. Now the bad URL, the bad cron expression, the unknown type and the duplicate
/// id are all printed, each with the file, the source's index and the key.
#[test]
fn check_config_reports_an_unknown_type_among_the_other_problems() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("fedcat.toml"),
        format!(
            "vocabularies_dir = \"{}\"\n",
            crate::support::vocabularies_dir().display()
        ),
    )
    .unwrap();
    std::fs::write(
        dir.path().join("sources.toml"),
        "[[source]]\nid = \"a\"\ntitle = \"A\"\ntype = \"ckan\"\nurl = \"not a url\"\n\
         [[source]]\nid = \"b\"\ntitle = \"B\"\ntype = \"dcat\"\nurl = \"https://y.org/c.ttl\"\n\
         schedule = \"every night\"\n\
         [[source]]\nid = \"c\"\ntitle = \"C\"\ntype = \"nosuchtype\"\nurl = \"https://z.org\"\n\
         [[source]]\nid = \"a\"\ntitle = \"D\"\ntype = \"dcat\"\nurl = \"https://w.org/c.ttl\"\n",
    )
    .unwrap();
    let output = fedcat(&dir.path().join("fedcat.toml"), &["check-config"]);
    assert!(!output.status.success());
    let stderr = String::from_utf8(output.stderr).unwrap();
    let sources = dir.path().join("sources.toml").display().to_string();
    for expected in [
        format!("{sources}: source[0].url: \"not a url\" is not a URL"),
        format!("{sources}: source[1].schedule: \"every night\" is not a cron expression"),
        format!("{sources}: source[2].type: \"nosuchtype\" is not a source type"),
        format!("{sources}: source[3].id: duplicate source id \"a\""),
        "4 problem(s) found".to_owned(),
    ] {
        assert!(
            stderr.contains(&expected),
            "missing {expected:?} in:\n{stderr}"
        );
    }
}

#[test]
fn check_config_accepts_the_default_configuration() {
    let config = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("config/fedcat.toml");
    let output = fedcat(&config, &["check-config"]);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(String::from_utf8(output.stdout).unwrap().contains("OK"));
}

#[tokio::test(flavor = "multi_thread")]
async fn harvest_then_serve_through_the_binary() {
    let portal = FakePortal::start().await;
    let datasud = portal.add_ckan(
        "datasud",
        ckan_packages("ckan/extracted/datasud.fr_package_search_snapshot__00.json"),
    );
    let deployment = Deployment::new(
        &source_toml("datasud", "ckan", &datasud, "page_size = 4"),
        "",
    );
    let config = deployment.config_path();

    let output = tokio::task::spawn_blocking({
        let config = config.clone();
        move || fedcat(&config, &["harvest", "--source", "datasud"])
    })
    .await
    .unwrap();
    let stdout = String::from_utf8(output.stdout).unwrap();
    assert!(
        output.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(
        stdout.contains("datasud: succeeded") && stdout.contains("pages 2, added 7"),
        "{stdout}"
    );
    assert!(
        stdout.contains("search index: 7 document(s) written, 0 deleted"),
        "{stdout}"
    );
    let reindex = fedcat(&config, &["reindex"]);
    assert!(reindex.status.success());
    assert_eq!(
        String::from_utf8_lossy(&reindex.stdout).trim(),
        "search index rebuilt: 7 dataset(s)"
    );

    let unknown = fedcat(&config, &["harvest", "--source", "nope"]);
    assert!(!unknown.status.success());
    assert!(String::from_utf8_lossy(&unknown.stderr).contains("unknown source \"nope\""));

    let jobs = fedcat(&config, &["jobs"]);
    let jobs = String::from_utf8(jobs.stdout).unwrap();
    assert!(
        jobs.contains("datasud") && jobs.contains("succeeded") && jobs.contains("added 7"),
        "{jobs}"
    );

    let (mut server, address) = crate::support::start_serve(&config).await;
    let datasets = count(&address, &datasets_of_source("datasud")).await;
    // The index `serve` holds answers the search API.
    let search = reqwest::get(format!("{address}/api/datasets?source=datasud"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let search: serde_json::Value = serde_json::from_str(&search).unwrap();
    assert_eq!(search["total"], 7, "{search}");
    let health = reqwest::get(format!("{address}/health"))
        .await
        .unwrap()
        .status();
    server.kill().unwrap();
    server.wait().unwrap();
    assert_eq!(datasets, 7);
    assert_eq!(health, 200);
}

/// `fedcat report mapping` over the fixture sources of every portal software, through the
/// binary, with the DCAT-AP shapes configured. `--nocapture` shows the report.
#[tokio::test(flavor = "multi_thread")]
async fn mapping_report_through_the_binary() {
    use crate::fake_portal::{ods_v21_datasets, udata_dataset_dir, udata_datasets};
    let portal = FakePortal::start().await;
    let sources = [
        source_toml(
            "datasud",
            "ckan",
            &portal.add_ckan(
                "datasud",
                ckan_packages("ckan/extracted/datasud.fr_package_search_snapshot__00.json"),
            ),
            "language = \"fr\"",
        ),
        source_toml(
            "www2022",
            "udata",
            &portal.add_udata(
                "www2022",
                udata_dataset_dir(
                    "udata/datagouv-search-indicator/www.data.gouv.fr/2022-12-02-17-29/datasets",
                ),
            ),
            "language = \"fr\"",
        ),
        source_toml(
            "spf2025",
            "udata",
            &portal.add_udata(
                "spf2025",
                udata_datasets("udata/datagouv_fixture_results_15datasets.json"),
            ),
            "language = \"fr\"",
        ),
        source_toml("ods", "ods", &portal.add_ods("ods", ods_v21_datasets()), ""),
        source_toml(
            "capatlantique",
            "dcat",
            &portal.file_url("ods/extracted/capatlantique_ods_dcat_export_snapshot__01.xml"),
            "",
        ),
    ]
    .concat();
    let dcat_ap =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/shacl/dcat-ap/3.0.1");
    let deployment = Deployment::new(
        &sources,
        &format!(
            "[shacl]\nshapes_dir = \"{}\"\nrecommended_shapes = \"{}\"\nvocabulary_shapes = \"{}\"\n",
            dcat_ap.join("shacl").display(),
            dcat_ap.join("html/shacl/shapes_recommended.ttl").display(),
            dcat_ap
                .join("html/shacl/mdr-vocabularies.shape.ttl")
                .display(),
        ),
    );
    let config = deployment.config_path();
    let harvest = tokio::task::spawn_blocking({
        let config = config.clone();
        move || fedcat(&config, &["harvest"])
    })
    .await
    .unwrap();
    assert!(
        harvest.status.success(),
        "{}",
        String::from_utf8_lossy(&harvest.stdout)
    );
    let output = fedcat(&config, &["report", "mapping"]);
    let report = String::from_utf8(output.stdout).unwrap();
    eprintln!("{report}");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    for expected in [
        "== datasud: 7 datasets",
        "== www2022: 366 datasets",
        "== spf2025: 15 datasets",
        "== ods: 2 datasets",
        "== capatlantique: 1 datasets",
        "DCAT-AP SHACL: 7 of 7 records conform",
    ] {
        assert!(
            report.contains(expected),
            "missing {expected:?} in:\n{report}"
        );
    }
    // udata's fr-lo (Licence Ouverte 1.0) has no EU licence: the most frequent unmapped one.
    let fr_lo = udata_dataset_dir(
        "udata/datagouv-search-indicator/www.data.gouv.fr/2022-12-02-17-29/datasets",
    )
    .iter()
    .filter(|d| d["license"] == "fr-lo")
    .count();
    assert!(fr_lo > 100, "{fr_lo}");
    assert!(report.contains(&format!("\"fr-lo\" ×{fr_lo}")), "{report}");
    let title_line = report
        .lines()
        .find(|l| l.trim_start().starts_with("dct:title"))
        .unwrap();
    assert!(title_line.contains("100 %"), "{title_line}");

    // `report quality`: the indicators count exactly the datasets harvested.
    let output = fedcat(&config, &["report", "quality"]);
    let quality = String::from_utf8(output.stdout).unwrap();
    eprintln!("{quality}");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    for expected in [
        "== datasud: 7 datasets, 21 distributions",
        "== www2022: 366 datasets",
        "== spf2025: 15 datasets",
        "== ods: 2 datasets",
        "== capatlantique: 1 datasets",
        "DCAT-AP conformance     100 %",
        "E9, M5, M7\n",
        // DCAT-AP 3.0.1's controlled-vocabulary shapes want spdx:algorithm under https://,
        // SPDX's namespace is http:// (README § Metadata quality).
        "vocabulary violation <http://spdx.org/rdf/terms#algorithm>  (62 datasets)",
        "vocabulary violation <http://purl.org/dc/terms/language>  (1 datasets)",
        "metrics true            M1 100 %, M2 100 %",
        "days since modified     median",
    ] {
        assert!(
            quality.contains(expected),
            "missing {expected:?} in:\n{quality}"
        );
    }
    quality_snapshot(&deployment).await;
}

/// Every harvested fixture record's MQA and extended scores and five-star level, against
/// `tests/e2e/data/quality_snapshot.tsv` (regenerate with `FEDCAT_UPDATE_SNAPSHOTS=1` and read
/// the diff); the indicators add up to the records.
async fn quality_snapshot(deployment: &Deployment) {
    let catalog = deployment.open().await;
    let facts = fedcat_domain::quality::facts(&deployment.config.vocabularies);
    let shapes = fedcat_domain::quality::ShapeSets::load(&deployment.config.domain()).unwrap();
    let today = chrono::NaiveDate::from_ymd_opt(2026, 12, 1).unwrap();
    let mut lines = vec!["source\trecord\tmqa\text\trating\tstars".to_owned()];
    for source in ["datasud", "www2022", "spf2025", "ods", "capatlantique"] {
        let links = std::collections::HashMap::new();
        let assessor = fedcat_domain::quality::Assessor {
            facts: &facts,
            shapes: &shapes,
            table: &deployment.config.score_table,
            links: &links,
            today,
            strict_head: false,
        };
        let assessments = fedcat_domain::quality::assess_source(
            catalog.graphs(),
            catalog.iris(),
            source,
            &assessor,
        )
        .unwrap();
        let indicators = fedcat_domain::quality::indicators(&assessments);
        assert_eq!(indicators.datasets, assessments.len());
        assert_eq!(indicators.bands.iter().sum::<usize>(), assessments.len());
        assert_eq!(indicators.stars.iter().sum::<usize>(), assessments.len());
        for a in &assessments {
            assert!((0..=405).contains(&a.scores.mqa.total), "{a:?}");
            assert!(a.scores.ext.total >= a.scores.mqa.total);
            lines.push(format!(
                "{source}\t{}\t{}\t{}\t{}\t{}",
                a.key,
                a.scores.mqa.total,
                a.scores.ext.total,
                a.scores.mqa.rating.name(),
                a.stars
            ));
        }
    }
    let actual = lines.join("\n") + "\n";
    let path = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/e2e/data/quality_snapshot.tsv");
    if std::env::var_os("FEDCAT_UPDATE_SNAPSHOTS").is_some() {
        std::fs::write(&path, &actual).unwrap();
    }
    let expected = std::fs::read_to_string(&path).unwrap_or_default();
    let changed: Vec<&str> = actual
        .lines()
        .filter(|line| !expected.lines().any(|e| e == *line))
        .take(20)
        .collect();
    assert!(
        changed.is_empty() && expected.lines().count() == actual.lines().count(),
        "scores differ from {}: {changed:#?}",
        path.display()
    );
}

/// `kill -9` of `fedcat harvest` in the middle of a listing, then a restart: every record graph
/// in the store is complete (its content hashes to the hash its provenance records), the killed
/// job shows as abandoned, and the next job completes.
#[tokio::test(flavor = "multi_thread")]
async fn killed_harvest_leaves_a_consistent_store() {
    let portal = FakePortal::start().await;
    let datasud = portal.add_ckan(
        "datasud",
        ckan_packages("ckan/extracted/datasud.fr_package_search_snapshot__00.json"),
    );
    portal.delay_ckan("datasud", std::time::Duration::from_millis(400));
    let deployment = Deployment::new(
        &source_toml("datasud", "ckan", &datasud, "page_size = 1"),
        "",
    );
    let config = deployment.config_path();
    let mut child = Command::new(env!("CARGO_BIN_EXE_fedcat"))
        .arg("--config")
        .arg(&config)
        .args(["harvest", "--source", "datasud"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    // Kill it once it has asked for its fourth page (three pages are being or have been stored).
    let started = std::time::Instant::now();
    while portal
        .requests()
        .iter()
        .filter(|r| r.starts_with("/ckan/datasud/"))
        .count()
        < 4
    {
        assert!(
            started.elapsed() < std::time::Duration::from_secs(60),
            "harvest never started"
        );
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();

    {
        let catalog = deployment.open().await;
        let records =
            fedcat_domain::report::source_records(catalog.graphs(), catalog.iris(), "datasud")
                .unwrap();
        assert!(
            !records.is_empty() && records.len() < 7,
            "{} records",
            records.len()
        );
        let stored_hashes = catalog
            .graphs()
            .select(&format!(
                "SELECT ?g WHERE {{ ?g <{}> ?hash }}",
                fedcat_catalog::vocab::fedcat::CONTENT_HASH.as_str()
            ))
            .unwrap()
            .len();
        assert_eq!(stored_hashes, records.len());
        // Each record graph equals the same record harvested without interruption.
        let reference = Deployment::new(
            &source_toml("datasud", "ckan", &datasud, "page_size = 7"),
            "",
        );
        portal.delay_ckan("datasud", std::time::Duration::ZERO);
        let reference_catalog = reference.open().await;
        reference.harvest(&reference_catalog, "datasud").await;
        let complete: std::collections::HashMap<String, std::collections::HashSet<_>> =
            fedcat_domain::report::source_records(
                reference_catalog.graphs(),
                reference_catalog.iris(),
                "datasud",
            )
            .unwrap()
            .into_iter()
            .map(|(key, triples)| (key, triples.into_iter().collect()))
            .collect();
        for (key, triples) in records {
            let triples: std::collections::HashSet<_> = triples.into_iter().collect();
            assert_eq!(
                Some(&triples),
                complete.get(&key),
                "record {key} is incomplete"
            );
        }
    }
    let jobs = fedcat(&config, &["jobs"]);
    let jobs_out = String::from_utf8(jobs.stdout).unwrap();
    assert!(jobs_out.contains("abandoned"), "{jobs_out}");
    let again = fedcat(&config, &["harvest", "--source", "datasud"]);
    let out = String::from_utf8(again.stdout).unwrap();
    assert!(again.status.success(), "{out}");
    assert!(out.contains("datasud: succeeded"), "{out}");
}

/// `fedcat harvest` links the datasud.fr packages to data.gouv.fr's copies after harvesting,
/// and `fedcat report duplicates` lists the clusters with their evidence.
#[tokio::test(flavor = "multi_thread")]
async fn harvest_links_duplicates_and_report_duplicates_explains_them() {
    let portal = FakePortal::start().await;
    let datasud = portal.add_ckan(
        "datasud",
        ckan_packages("ckan/extracted/datasud.fr_package_search_snapshot__00.json"),
    );
    let copies =
        crate::fake_portal::udata_database_datasets("ckan/datasud.fr_package_search_snapshot.json");
    let datagouv = portal.add_udata("datagouv", copies);
    let deployment = Deployment::new(
        &format!(
            "{}{}",
            source_toml("datasud", "ckan", &datasud, "priority = 10"),
            source_toml("datagouv", "udata", &datagouv, "priority = 5")
        ),
        "[dedup]\nthreshold = 0.75\n",
    );
    let config = deployment.config_path();
    let harvest = tokio::task::spawn_blocking({
        let config = config.clone();
        move || fedcat(&config, &["harvest"])
    })
    .await
    .unwrap();
    let stdout = String::from_utf8(harvest.stdout).unwrap();
    assert!(harvest.status.success(), "{stdout}");
    assert!(
        stdout.contains("duplicates: 7 cluster(s) holding 14 record(s)"),
        "{stdout}"
    );
    let report = fedcat(&config, &["report", "duplicates"]);
    let text = String::from_utf8(report.stdout).unwrap();
    assert!(report.status.success(), "{text}");
    eprintln!("{text}");
    assert!(
        text.starts_with("7 cluster(s) of duplicates holding 14 record(s) (link threshold 0.75)"),
        "{text}"
    );
    // The producer's package is the primary (starred) and the copy names its id.
    assert!(
        text.contains("* datasud          Canispaces - Ville de Gap"),
        "{text}"
    );
    assert!(
        text.contains("identifier cfa98601-185f-4194-bc0f-119fc23a194b"),
        "{text}"
    );
    let filtered = fedcat(&config, &["report", "duplicates", "--source", "nope"]);
    assert!(!filtered.status.success());
}
