//! The export read by the consumers that re-harvest or query fedcat, installed from their
//! registries at pinned versions by `./test.sh`: Comunica 5 over `/catalog.ttl` as an RDF source
//! (it follows the Hydra links of the page named by the URL it fetched, so it reads every page
//! only when fedcat names the page it asked for).

use crate::fake_portal::FakePortal;
use crate::support::{Deployment, run_checker};
use std::path::Path;

#[tokio::test(flavor = "multi_thread")]
async fn comunica_reads_every_dataset_of_the_paged_export() {
    let portal = FakePortal::start().await;
    let sources = crate::support::datasud_and_spf2025(&portal);
    let deployment = Deployment::new(&sources, "");
    let catalog = deployment.open().await;
    deployment.harvest(&catalog, "datasud").await;
    deployment.harvest(&catalog, "spf2025").await;
    // Comunica fetches the URLs the pages name: the server must be reachable at base_iri.
    let server = deployment.serve_at_its_own_address(&catalog).await;
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/comunica/count.js");
    // 22 datasets, 5 to a page: Comunica must follow four next links. The second URL is the
    // one a consumer is most often given: the export without parameters (one page of 100).
    for (url, pages) in [
        (format!("{server}/catalog.ttl?page_size=5"), 5),
        (format!("{server}/catalog.ttl"), 1),
        (format!("{server}/catalog.jsonld?page_size=7"), 4),
    ] {
        let stdout = run_checker(
            "node",
            vec![script.clone().into(), url.clone().into()],
            "comunica done",
        )
        .await;
        let line = stdout
            .lines()
            .find(|l| l.starts_with('{'))
            .unwrap_or_else(|| panic!("{stdout}"));
        let report: serde_json::Value = serde_json::from_str(line).unwrap();
        assert_eq!(report["datasets"], 22, "{url} ({pages} pages): {stdout}");
    }
}

/// The Python of the consumers' virtual environment (`./test.sh` creates it:
/// `tests/consumers/.venv`, udata and mongomock pinned), or `FEDCAT_CONSUMERS_PYTHON`.
fn consumers_python() -> std::ffi::OsString {
    std::env::var_os("FEDCAT_CONSUMERS_PYTHON").unwrap_or_else(|| {
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/consumers/.venv/bin/python")
            .into_os_string()
    })
}

/// udata's `DcatBackend` (data.gouv.fr's DCAT harvester) in dry-run mode over the export in its
/// three formats: every dataset once, titles with their accents, temporal coverages kept (udata
/// dereferences the period IRIs fedcat mints).
#[tokio::test(flavor = "multi_thread")]
async fn udata_dcat_backend_reads_every_dataset_unchanged() {
    let portal = FakePortal::start().await;
    let sources = crate::support::datasud_and_spf2025(&portal);
    // Harvested under the address it is served at: udata dereferences the period IRIs.
    let (deployment, listener) = Deployment::at_its_own_address(&sources).await;
    let catalog = deployment.open().await;
    deployment.harvest(&catalog, "datasud").await;
    deployment.harvest(&catalog, "spf2025").await;
    let server = deployment.serve_listener(&catalog, listener);
    // What the catalogue holds, by identifier (udata's `remote_id`): title, temporal coverage.
    let held: std::collections::BTreeMap<String, (String, bool)> = crate::support::select(
        &server,
        "SELECT ?id ?title (BOUND(?p) AS ?temporal) WHERE { GRAPH ?g {
           ?d a <http://www.w3.org/ns/dcat#Dataset> ; <http://purl.org/dc/terms/identifier> ?id ;
              <http://purl.org/dc/terms/title> ?title
           OPTIONAL { ?d <http://purl.org/dc/terms/temporal> ?p } } }",
    )
    .await
    .iter()
    .map(|b| {
        (
            b["id"]["value"].as_str().unwrap().to_owned(),
            (
                b["title"]["value"].as_str().unwrap().to_owned(),
                b["temporal"]["value"] == "true",
            ),
        )
    })
    .collect();
    assert_eq!(held.len(), 22);
    assert!(
        held.values().any(|(t, _)| !t.is_ascii()),
        "accented titles to check"
    );
    assert!(
        held.values().any(|(_, temporal)| *temporal),
        "temporal coverages to check"
    );
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/consumers/udata_dcat.py");
    for path in ["/catalog.ttl", "/catalog.rdf", "/catalog.jsonld"] {
        let url = format!("{server}{path}");
        let stdout = run_checker(
            consumers_python().to_str().unwrap(),
            vec![script.clone().into(), url.clone().into()],
            "udata done",
        )
        .await;
        let line = stdout
            .lines()
            .find(|l| l.starts_with('{'))
            .unwrap_or_else(|| panic!("{stdout}"));
        let report: serde_json::Value = serde_json::from_str(line).unwrap();
        let items = report["items"].as_array().unwrap();
        assert_eq!(items.len(), 22, "{path}: {}", report["errors"]);
        let mut read = 0;
        for item in items {
            let id = item["remote_id"].as_str().unwrap();
            let (title, temporal) = held.get(id).unwrap_or_else(|| panic!("{path}: {id}?"));
            let errors = item["errors"].as_array().unwrap();
            if !errors.is_empty() {
                // udata's known limit: rdflib turns DCAT-AP's `spdx:checksumValue
                // "…"^^xsd:hexBinary` into bytes, which udata's model refuses. DCAT-AP requires
                // the type, so fedcat keeps it (README § Consumers); nothing else may fail.
                assert!(
                    errors.iter().all(|e| e
                        .as_str()
                        .unwrap()
                        .contains("checksum.value.StringField only accepts string values")),
                    "{path}: {id}: {errors:?}"
                );
                continue;
            }
            read += 1;
            assert_eq!(item["title"].as_str(), Some(title.as_str()), "{path}: {id}");
            assert_eq!(
                item["temporal"], *temporal,
                "{path}: {id}: temporal coverage"
            );
        }
        assert!(read >= 12, "{path}: {read} of 22 read");
    }
}
