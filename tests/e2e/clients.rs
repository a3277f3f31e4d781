//! Third-party clients against the running catalogue: `tests/clients/check_clients.py` drives
//! ckanapi (CKAN API), SPARQLWrapper (`/sparql`), rdflib (every export format, Hydra paging)
//! and pySHACL (every page of `/catalog.ttl` against the DCAT-AP 3.0.1 core shapes) after the
//! datasud.fr and data.gouv.fr fixtures are harvested, scored and indexed. `.ci/run` installs
//! the Python packages; the test fails (it never skips) when they are missing.

use crate::fake_portal::FakePortal;
use crate::support::Deployment;

#[tokio::test(flavor = "multi_thread")]
async fn ckanapi_sparqlwrapper_rdflib_and_pyshacl_work_against_fedcat() {
    let portal = FakePortal::start().await;
    let sources = crate::support::datasud_and_spf2025(&portal);
    let deployment = Deployment::new(&sources, "");
    let catalog = deployment.open().await;
    for source in ["datasud", "spf2025"] {
        deployment.harvest(&catalog, source).await;
        fedcat_domain::quality::snapshot_source(&deployment.config.domain(), &catalog, source)
            .await
            .unwrap();
    }
    let (server, _index) = deployment.serve_indexed(&catalog).await;
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let script = root.join("tests/clients/check_clients.py");
    // The 3.0.1 core shapes as published with the HTML specification: the `shacl/ranges.ttl`
    // of the same release lists a property shape it never defines, which pySHACL (rightly)
    // refuses to load.
    let shapes = root.join("../shared/shacl/dcat-ap/3.0.1/html/shacl");
    crate::support::run_checker(
        "python3",
        vec![
            script.into(),
            server.clone().into(),
            "22".into(),
            shapes.join("shapes.ttl").into(),
            shapes.join("range.ttl").into(),
        ],
        "all client checks passed",
    )
    .await;
}
