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
