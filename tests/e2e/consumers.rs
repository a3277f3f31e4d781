//! The export read by the consumers that re-harvest or query fedcat, installed from their
//! registries at pinned versions by `./test.sh`: Comunica 5 over `/catalog.ttl` as an RDF source
//! (it follows the Hydra links of the page named by the URL it fetched, so it reads every page
//! only when fedcat names the page it asked for).

use crate::fake_portal::FakePortal;
use crate::support::{Deployment, run_checker};
use std::path::Path;

#[tokio::test(flavor = "multi_thread")]
async fn comunica_reads_every_dataset_of_the_paged_export() {
    let (_portal, deployment, catalog) = crate::support::harvested_datasud_and_spf2025().await;
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
        let report = crate::support::json_line(&stdout);
        assert_eq!(report["datasets"], 22, "{url} ({pages} pages): {stdout}");
        eprintln!("comunica {url}: {} of 22 datasets", report["datasets"]);
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
        let report = crate::support::json_line(&stdout);
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
        eprintln!(
            "udata {path}: {} of 22 listed, {read} read unchanged, {} refused (hexBinary)",
            items.len(),
            items.len() - read
        );
    }
}

/// The Python of CKAN's environment (`./test.sh` creates it: `tests/consumers/.venv-ckan`,
/// ckan, ckanext-dcat and ckanext-harvest pinned), or `FEDCAT_CKAN_PYTHON`.
fn ckan_python() -> String {
    std::env::var("FEDCAT_CKAN_PYTHON").unwrap_or_else(|_| {
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/consumers/.venv-ckan/bin/python")
            .display()
            .to_string()
    })
}

async fn ckan_consumer(args: &[&str]) -> serde_json::Value {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/consumers/ckan_consumers.py");
    let mut all: Vec<std::ffi::OsString> = vec![script.into()];
    all.extend(args.iter().map(std::convert::Into::into));
    let stdout = run_checker(&ckan_python(), all, "ckan done").await;
    crate::support::json_line(&stdout)
}

/// ckanext-dcat's harvester loop and parser read every dataset once, with CKAN's `license_id`
/// where CKAN's register knows the licence; ckanext-harvest's CKAN harvester gets the right
/// packages with its organization include and exclude filters.
#[tokio::test(flavor = "multi_thread")]
async fn ckan_harvesters_read_the_catalogue() {
    let portal = FakePortal::start().await;
    // datasud.fr (Licence Ouverte, which CKAN's register lacks), data.gouv.fr 2025 (no
    // licence) and legado.dados.gov.br (cc-by, cc-zero, notspecified: CKAN's own ids).
    let legado = portal.add_ckan(
        "legado",
        crate::fake_portal::ckan_packages(
            "ckan/extracted/legado.dados.gov.br_vcr_search_or_query__00.json",
        ),
    );
    let sources = crate::support::datasud_and_spf2025(&portal)
        + &crate::support::source_toml("legado", "ckan", &legado, "page_size = 4");
    let (deployment, listener) = Deployment::at_its_own_address(&sources).await;
    let catalog = deployment.open().await;
    for source in ["datasud", "spf2025", "legado"] {
        deployment.harvest(&catalog, source).await;
    }
    const TOTAL: u64 = 32;
    let index = std::sync::Arc::new(fedcat_catalog::search::SearchIndex::in_memory().unwrap());
    fedcat_domain::search_sync::sync_all(&deployment.config.domain(), &catalog, &index)
        .await
        .unwrap();
    let app = fedcat::server::app(&catalog, &deployment.config, None, Some(index));
    let server = deployment.config.base_iri.clone();
    let limits = deployment.config.server;
    tokio::spawn(async move {
        fedcat::server::serve(listener, app, limits, std::future::pending())
            .await
            .unwrap();
    });
    // Datasets whose licence CKAN's register knows (CC BY, ODbL…), by the export's own terms.
    let with_ckan_licence = crate::support::count(
        &server,
        "SELECT (COUNT(DISTINCT ?d) AS ?n) WHERE { GRAPH ?g { ?d a <http://www.w3.org/ns/dcat#Dataset> ;
           <http://www.w3.org/ns/dcat#distribution>/<http://purl.org/dc/terms/license> ?l .
           ?l <http://purl.org/dc/terms/title> ?t
           FILTER(?t IN (\"Creative Commons Attribution\", \"Open Data Commons Open Database License (ODbL)\",
             \"Creative Commons CCZero\", \"Creative Commons Attribution Share-Alike\",
             \"Open Data Commons Attribution License\", \"Other (Open)\", \"Other (Public Domain)\",
             \"Other (Attribution)\", \"License not specified\")) } }",
    )
    .await;
    assert!(with_ckan_licence > 0);
    for path in [
        "/catalog.ttl?page_size=5",
        "/catalog.rdf?page_size=5",
        "/catalog.jsonld?page_size=5",
    ] {
        let report = ckan_consumer(&["dcat", &format!("{server}{path}")]).await;
        let datasets = report["datasets"].as_array().unwrap();
        assert_eq!(report["pages"], 7, "{path}");
        assert_eq!(datasets.len() as u64, TOTAL, "{path}: every dataset once");
        let distinct: std::collections::BTreeSet<String> = datasets
            .iter()
            .map(|d| d["uri"].as_str().unwrap_or_default().to_owned())
            .collect();
        assert_eq!(distinct.len() as u64, TOTAL, "{path}: {distinct:?}");
        let licensed = datasets
            .iter()
            .filter(|d| d["license_id"].as_str().is_some_and(|l| !l.is_empty()))
            .count() as u64;
        assert_eq!(licensed, with_ckan_licence, "{path}: license_id set");
        eprintln!(
            "ckanext-dcat {path}: {} pages, {} of {TOTAL} datasets, license_id on {licensed}",
            report["pages"],
            distinct.len()
        );
    }

    // ckanext-harvest: no filter, include two organizations, exclude them.
    let orgs: serde_json::Value = serde_json::from_slice(
        &reqwest::get(format!(
            "{server}/api/3/action/organization_list?all_fields=true"
        ))
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap(),
    )
    .unwrap();
    let orgs: Vec<(String, u64)> = orgs["result"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| {
            (
                o["name"].as_str().unwrap().to_owned(),
                o["package_count"].as_u64().unwrap(),
            )
        })
        .collect();
    // The two organizations with the most packages.
    let mut orgs = orgs;
    orgs.sort_by(|x, y| y.1.cmp(&x.1).then(x.0.cmp(&y.0)));
    let (a, b) = (&orgs[0], &orgs[1]);
    eprintln!(
        "ckanext-harvest: organizations {} ({}) and {} ({}) of {TOTAL} packages",
        a.0, a.1, b.0, b.1
    );
    let ids = |report: serde_json::Value| report["ids"].as_array().unwrap().len() as u64;
    assert_eq!(ids(ckan_consumer(&["search", &server]).await), TOTAL);
    let include = format!("organization:{} OR organization:{}", a.0, b.0);
    assert_eq!(
        ids(ckan_consumer(&["search", &server, &include]).await),
        a.1 + b.1
    );
    // Its incremental run: what changed since its last job (fedcat's record times).
    let since_past = "metadata_modified:[2000-01-01T00:00:00.000000Z TO *]";
    let since_future = "metadata_modified:[2999-01-01T00:00:00.000000Z TO *]";
    assert_eq!(
        ids(ckan_consumer(&["search", &server, since_past]).await),
        TOTAL
    );
    assert_eq!(
        ids(ckan_consumer(&["search", &server, since_future]).await),
        0
    );
    let exclude_a = format!("-organization:{}", a.0);
    let exclude_b = format!("-organization:{}", b.0);
    assert_eq!(
        ids(ckan_consumer(&["search", &server, &exclude_a, &exclude_b]).await),
        TOTAL - a.1 - b.1
    );
}
