//! The W3C SPARQL 1.1 protocol and service-description tests (`../shared/fixtures/w3c-sparql11/`)
//! run by the npm package `rdf-test-suite` (installed in `tests/w3c/` by `.ci/run`) against
//! `/sparql` on loopback, with `[sparql] test_data_loading` on so that the runner can load the
//! graphs six query tests need. Every query and service-description test must pass; every
//! update test must get the refusal of a read-only endpoint.

use crate::support::Deployment;
use std::collections::BTreeSet;
use std::path::Path;

/// The protocol tests that send updates: a read-only endpoint refuses them all.
const UPDATE_TESTS: [&str; 7] = [
    "update_dataset_default_graph",
    "update_dataset_default_graphs",
    "update_dataset_named_graphs",
    "update_dataset_full",
    "update_post_form",
    "update_post_direct",
    "update_base_uri",
];

fn run_suite(endpoint: &str, manifest: &str) -> (String, BTreeSet<String>) {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let runner = root.join("tests/w3c/node_modules/.bin/rdf-test-suite");
    assert!(
        runner.exists(),
        "{} is missing: run `npm ci` in tests/w3c (.ci/run does)",
        runner.display()
    );
    let fixtures = root.join("../shared/fixtures/w3c-sparql11/sparql11/");
    let output = std::process::Command::new(runner)
        .current_dir(root.join("tests/w3c"))
        .arg("engine.js")
        .arg(format!(
            "https://w3c.github.io/rdf-tests/sparql/sparql11/{manifest}"
        ))
        .arg("-m")
        .arg(format!(
            "https://w3c.github.io/rdf-tests/sparql/sparql11/~{}",
            fixtures.display()
        ))
        .arg("-e")
        .arg("-i")
        .arg(format!(
            "{{\"protocolEndpoint\":\"{endpoint}\",\"serviceDescriptionEndpoint\":\"{endpoint}\"}}"
        ))
        .env("FEDCAT_SPARQL", endpoint)
        .output()
        .expect("node runs rdf-test-suite");
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    // Failed tests are listed as "✖ name (manifest#id)".
    let failed = stdout
        .lines()
        .filter(|l| l.starts_with("✖ ") && l.ends_with(')'))
        .filter_map(|l| l.rsplit('#').next())
        .map(|id| id.trim_end_matches(')').to_owned())
        .collect();
    (stdout, failed)
}

#[tokio::test(flavor = "multi_thread")]
async fn w3c_protocol_and_service_description_tests() {
    let deployment = Deployment::new("", "[sparql]\ntest_data_loading = true\n");
    let catalog = deployment.open().await;
    let server = deployment.serve(&catalog).await;
    let endpoint = format!("{server}/sparql");

    let (output, failed) = {
        let endpoint = endpoint.clone();
        tokio::task::spawn_blocking(move || run_suite(&endpoint, "protocol/manifest.ttl"))
            .await
            .unwrap()
    };
    eprintln!("{output}");
    let expected: BTreeSet<String> = UPDATE_TESTS.iter().map(|t| (*t).to_owned()).collect();
    assert_eq!(
        failed, expected,
        "only the update tests may fail:\n{output}"
    );
    assert!(output.contains("27 / 34 tests succeeded"), "{output}");
    // Each of them fails because the update is refused, as a read-only endpoint must.
    let refused = reqwest::Client::new()
        .post(&endpoint)
        .header("Content-Type", "application/sparql-update")
        .body("INSERT DATA { <urn:s> <urn:p> <urn:o> }")
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), 403);
    let form = reqwest::Client::new()
        .post(&endpoint)
        .header("Content-Type", "application/x-www-form-urlencoded")
        .body("update=INSERT%20DATA%20%7B%20%3Curn%3As%3E%20%3Curn%3Ap%3E%20%3Curn%3Ao%3E%20%7D")
        .send()
        .await
        .unwrap();
    assert_eq!(form.status(), 403);

    let (output, failed) = tokio::task::spawn_blocking(move || {
        run_suite(&endpoint, "service-description/manifest.ttl")
    })
    .await
    .unwrap();
    assert!(failed.is_empty(), "{output}");
    assert!(output.contains("3 / 3 tests succeeded"), "{output}");
}
