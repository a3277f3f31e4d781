//! The real `fedcat` binary: configuration checking, `harvest` with its summary and exit
//! status, `jobs`, and `serve` answering SPARQL over HTTP on what was harvested.

use crate::fake_portal::{FakePortal, ckan_packages};
use crate::support::{Deployment, count, datasets_of_source, source_toml};
use std::io::{BufRead, BufReader};
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

    let unknown = fedcat(&config, &["harvest", "--source", "nope"]);
    assert!(!unknown.status.success());
    assert!(String::from_utf8_lossy(&unknown.stderr).contains("unknown source \"nope\""));

    let jobs = fedcat(&config, &["jobs"]);
    let jobs = String::from_utf8(jobs.stdout).unwrap();
    assert!(
        jobs.contains("datasud") && jobs.contains("succeeded") && jobs.contains("added 7"),
        "{jobs}"
    );

    let mut server = Command::new(env!("CARGO_BIN_EXE_fedcat"))
        .arg("--config")
        .arg(&config)
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
        .unwrap_or_else(|| panic!("no address in {first_line:?}"))
        .to_owned();
    let datasets = count(&address, &datasets_of_source("datasud")).await;
    let health = reqwest::get(format!("{address}/health"))
        .await
        .unwrap()
        .status();
    server.kill().unwrap();
    server.wait().unwrap();
    assert_eq!(datasets, 7);
    assert_eq!(health, 200);
}
