//! CKAN harvesting against the recorded package_search results, re-sliced into pages.

use crate::fake_portal::{FakePortal, ckan_packages};
use crate::support::{COUNT_TRIPLES, Deployment, count, datasets_of_source, select, source_toml};
use fedcat_catalog::JobStatus;
use std::collections::HashSet;

const DATASUD: &str = "ckan/extracted/datasud.fr_package_search_snapshot__00.json";
const LEGADO: [&str; 4] = [
    "ckan/extracted/legado.dados.gov.br_vcr_catalog__00.json",
    "ckan/extracted/legado.dados.gov.br_vcr_search_or_query__00.json",
    "ckan/extracted/legado.dados.gov.br_vcr_search_with_results_offset__00.json",
    "ckan/extracted/legado.dados.gov.br_vcr_read_packages_by_organization__00.json",
];
const DEMO: [&str; 4] = [
    "ckan/amsterdam-dcatd_demo.ckan.org_packages.json",
    "ckan/demo.ckan.org_package_show_1.json",
    "ckan/demo.ckan.org_package_show_2.json",
    "ckan/demo.ckan.org_package_show_3.json",
];

fn distinct_ids(files: &[&str]) -> usize {
    files
        .iter()
        .flat_map(|f| ckan_packages(f))
        .map(|p| p["id"].as_str().unwrap().to_owned())
        .collect::<HashSet<_>>()
        .len()
}

#[tokio::test(flavor = "multi_thread")]
async fn ckan_fixtures_give_exactly_the_datasets_served() {
    let portal = FakePortal::start().await;
    let datasud = portal.add_ckan("datasud", ckan_packages(DATASUD));
    let legado = portal.add_ckan(
        "legado",
        LEGADO.iter().flat_map(|f| ckan_packages(f)).collect(),
    );
    let demo = portal.add_ckan("demo", DEMO.iter().flat_map(|f| ckan_packages(f)).collect());
    let sources = [
        source_toml("datasud", "ckan", &datasud, "page_size = 3\nlanguage = \"fr\"\norganization = \"communaute-dagglomeration-de-gap-tallard-durance\""),
        source_toml("legado", "ckan", &legado, "page_size = 4\nlanguage = \"pt\""),
        source_toml("demo", "ckan", &demo, "page_size = 2"),
    ]
    .concat();
    let deployment = Deployment::new(&sources, "");
    let catalog = deployment.open().await;
    let server = deployment.serve(&catalog).await;

    for (source, expected) in [
        ("datasud", distinct_ids(&[DATASUD])),
        ("legado", distinct_ids(&LEGADO)),
        ("demo", distinct_ids(&DEMO)),
    ] {
        let report = deployment.harvest(&catalog, source).await;
        assert_eq!(report.status, JobStatus::Succeeded, "{source}: {report:?}");
        assert_eq!(report.counts.added, expected as u64, "{source}");
        assert_eq!(
            count(&server, &datasets_of_source(source)).await,
            expected as u64,
            "{source}"
        );
    }
    // The recorded files hold 7, 29 and 6 distinct packages; the union default graph has all.
    assert_eq!(distinct_ids(&[DATASUD]), 7);
    assert_eq!(distinct_ids(&DEMO), 6);
    let all = count(
        &server,
        "PREFIX dcat: <http://www.w3.org/ns/dcat#> SELECT (COUNT(DISTINCT ?d) AS ?n) WHERE { ?d a dcat:Dataset }",
    )
    .await;
    assert_eq!(all as usize, 7 + distinct_ids(&LEGADO) + 6);
    // Pages were really re-sliced: datasud's 7 packages at 3 per page is 3 pages.
    let datasud_pages = portal
        .requests()
        .iter()
        .filter(|r| r.starts_with("/ckan/datasud/"))
        .count();
    assert_eq!(datasud_pages, 3);
}

#[tokio::test(flavor = "multi_thread")]
async fn named_ckan_record_is_mapped_exactly() {
    let portal = FakePortal::start().await;
    let datasud = portal.add_ckan("datasud", ckan_packages(DATASUD));
    let deployment = Deployment::new(
        &source_toml("datasud", "ckan", &datasud, "language = \"fr\""),
        "",
    );
    let catalog = deployment.open().await;
    deployment.harvest(&catalog, "datasud").await;
    let server = deployment.serve(&catalog).await;
    let dataset = format!(
        "{}/id/dataset/datasud/cfa98601-185f-4194-bc0f-119fc23a194b",
        crate::support::BASE_IRI
    );
    let rows = select(
        &server,
        &format!(
            "PREFIX dcat: <http://www.w3.org/ns/dcat#> PREFIX dct: <http://purl.org/dc/terms/>
             PREFIX foaf: <http://xmlns.com/foaf/0.1/> PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
             PREFIX fc: <https://w3id.org/fedcat/ns#>
             SELECT ?title ?publisherName ?licence ?licenceLiteral ?landing ?modified
                    (COUNT(DISTINCT ?dist) AS ?distributions) (SAMPLE(?download) AS ?aDownload) WHERE {{
               <{dataset}> dct:title ?title ; dct:publisher/foaf:name ?publisherName ;
                   dct:license ?licence ; fc:originalLicence ?licenceLiteral ; dcat:landingPage ?landing ;
                   dct:modified ?modified ; dcat:distribution ?dist .
               OPTIONAL {{ <{dataset}> dcat:distribution/dcat:downloadURL ?download }}
             }} GROUP BY ?title ?publisherName ?licence ?licenceLiteral ?landing ?modified"
        ),
    )
    .await;
    assert_eq!(rows.len(), 1, "{rows:?}");
    let row = &rows[0];
    assert_eq!(row["title"]["value"], "Canispaces - Ville de Gap");
    assert_eq!(row["title"]["xml:lang"], "fr");
    assert_eq!(
        row["publisherName"]["value"],
        "Communauté d'Agglomération de Gap-Tallard-Durance"
    );
    // CKAN's `lov2` normalised to the EU licence table, the portal's value kept beside it.
    assert_eq!(
        row["licence"]["value"],
        "http://publications.europa.eu/resource/authority/licence/ETALAB_2_0"
    );
    assert_eq!(row["licenceLiteral"]["value"], "lov2");
    assert_eq!(row["distributions"]["value"], "3");
    assert_eq!(
        row["aDownload"]["value"],
        "https://www.datasud.fr/fr/dataset/datasets/4539/resource/6176/download/"
    );
    assert_eq!(
        row["landing"]["value"],
        format!("{datasud}/dataset/canispaces----ville-de-gap")
    );
    // metadata_modified "2025-07-16" is a date, not a date-time.
    assert_eq!(
        row["modified"]["datatype"],
        "http://www.w3.org/2001/XMLSchema#date"
    );
    // Provenance: the record graph says where and when it came from.
    let provenance = select(
        &server,
        &format!(
            "PREFIX prov: <http://www.w3.org/ns/prov#> PREFIX foaf: <http://xmlns.com/foaf/0.1/>
             PREFIX fc: <https://w3id.org/fedcat/ns#>
             SELECT ?page ?job ?hash WHERE {{ ?g foaf:primaryTopic <{dataset}> ;
               prov:hadPrimarySource ?page ; prov:wasGeneratedBy ?job ; fc:contentHash ?hash }}"
        ),
    )
    .await;
    assert_eq!(provenance.len(), 1);
    assert!(
        provenance[0]["page"]["value"]
            .as_str()
            .unwrap()
            .contains("/api/3/action/package_search?rows=100&start=0")
    );
    assert!(
        provenance[0]["hash"]["value"]
            .as_str()
            .unwrap()
            .starts_with("sha256:")
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn second_harvest_of_unchanged_data_changes_nothing() {
    let portal = FakePortal::start().await;
    let legado = portal.add_ckan(
        "legado",
        LEGADO.iter().flat_map(|f| ckan_packages(f)).collect(),
    );
    let deployment = Deployment::new(&source_toml("legado", "ckan", &legado, "page_size = 5"), "");
    let catalog = deployment.open().await;
    let server = deployment.serve(&catalog).await;
    let first = deployment.harvest(&catalog, "legado").await;
    let triples_before = count(&server, COUNT_TRIPLES).await;
    let second = deployment.harvest(&catalog, "legado").await;
    assert_eq!(second.status, JobStatus::Succeeded);
    assert_eq!(second.counts.unchanged, first.counts.added);
    assert_eq!(
        (
            second.counts.added,
            second.counts.updated,
            second.counts.deleted
        ),
        (0, 0, 0)
    );
    assert_eq!(count(&server, COUNT_TRIPLES).await, triples_before);
}

#[tokio::test(flavor = "multi_thread")]
async fn records_leave_only_after_a_complete_listing() {
    let portal = FakePortal::start().await;
    let datasud = portal.add_ckan("datasud", ckan_packages(DATASUD));
    let deployment = Deployment::new(
        &source_toml("datasud", "ckan", &datasud, "page_size = 3"),
        "",
    );
    let catalog = deployment.open().await;
    let server = deployment.serve(&catalog).await;
    assert_eq!(
        deployment.harvest(&catalog, "datasud").await.counts.added,
        7
    );

    // A package disappears from the portal: the next complete listing deletes it.
    portal.remove_ckan_package("datasud", "cfa98601-185f-4194-bc0f-119fc23a194b");
    let report = deployment.harvest(&catalog, "datasud").await;
    assert_eq!(report.status, JobStatus::Succeeded);
    assert_eq!((report.counts.deleted, report.counts.unchanged), (1, 6));
    // The tombstone says which job deleted what.
    assert_eq!(
        catalog
            .records()
            .records_deleted_by_job(report.job_id)
            .await
            .unwrap(),
        ["cfa98601-185f-4194-bc0f-119fc23a194b"]
    );
    assert_eq!(count(&server, &datasets_of_source("datasud")).await, 6);
    let ask = reqwest::Client::new()
        .get(crate::support::sparql_url(
            &server,
            &format!("ASK {{ GRAPH ?g {{ <{}/id/dataset/datasud/cfa98601-185f-4194-bc0f-119fc23a194b> ?p ?o }} }}", crate::support::BASE_IRI),
        ))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(ask.contains("false"), "{ask}");

    // Another disappears while the second page fails: nothing is deleted, the page is recorded.
    portal.remove_ckan_package("datasud", "fe7cdceb-f65e-4e79-9ff2-d7895dc3b155");
    portal.fail_ckan_page("datasud", 3, true);
    let report = deployment.harvest(&catalog, "datasud").await;
    assert_eq!(report.status, JobStatus::Partial);
    assert!(!report.complete_listing);
    assert_eq!(report.counts.deleted, 0);
    assert_eq!(report.counts.failed, 1);
    assert_eq!(count(&server, &datasets_of_source("datasud")).await, 6);
    let errors = catalog.jobs().job_errors(report.job_id).await.unwrap();
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert_eq!(errors[0].kind, "page");
    let url = errors[0].url.as_deref().unwrap();
    assert!(
        url.starts_with(&datasud) && url.contains("start=3"),
        "{url}"
    );
    assert!(errors[0].message.contains("500"), "{}", errors[0].message);

    // Once the portal recovers, the complete listing deletes the missing package.
    portal.fail_ckan_page("datasud", 3, false);
    let report = deployment.harvest(&catalog, "datasud").await;
    assert_eq!(
        (report.status, report.counts.deleted),
        (JobStatus::Succeeded, 1)
    );
    assert_eq!(count(&server, &datasets_of_source("datasud")).await, 5);

    // Then the portal serves a truncated listing: 3 of the 5 records vanish (60 %, more than
    // the 20 % allowed). The guard deletes nothing and says why, until a run allows it.
    for id in [
        "04c1c235-969a-4442-8c8a-43dca754f2ca",
        "73d7b463-9230-4910-92ce-414e16376521",
        "af382e3c-4160-428f-9b8e-885bc1739f20",
    ] {
        portal.remove_ckan_package("datasud", id);
    }
    let report = deployment.harvest(&catalog, "datasud").await;
    assert_eq!(report.status, JobStatus::Partial, "{report:?}");
    assert_eq!(report.counts.deleted, 0);
    let message = report.message.clone().unwrap();
    assert!(
        message.contains("mass-deletion guard") && message.contains("3 of 5 records"),
        "{message}"
    );
    assert_eq!(count(&server, &datasets_of_source("datasud")).await, 5);
    let errors = catalog.jobs().job_errors(report.job_id).await.unwrap();
    assert!(
        errors
            .iter()
            .any(|e| e.message.contains("--allow-mass-delete")),
        "{errors:?}"
    );
    let source = deployment.config.sources.get("datasud").unwrap();
    let client = fedcat::harvest::http_client(&deployment.config).unwrap();
    let allowed = fedcat::harvest::harvest_one(
        source,
        &client,
        &catalog,
        &deployment.config.vocabularies,
        &fedcat_harvester::HarvestOptions {
            allow_mass_delete: true,
            ..deployment.config.harvest
        },
        &|_| {},
    )
    .await
    .unwrap();
    assert_eq!(
        (allowed.status, allowed.counts.deleted),
        (JobStatus::Succeeded, 3)
    );
    assert_eq!(count(&server, &datasets_of_source("datasud")).await, 2);
}

#[tokio::test(flavor = "multi_thread")]
async fn html_error_page_is_a_clear_page_error() {
    let portal = FakePortal::start().await;
    let deployment = Deployment::new(
        &source_toml("down", "dcat", &format!("{}/html", portal.base), ""),
        "",
    );
    let catalog = deployment.open().await;
    let report = deployment.harvest(&catalog, "down").await;
    assert_eq!(report.status, JobStatus::Failed);
    let errors = catalog.jobs().job_errors(report.job_id).await.unwrap();
    assert!(
        errors[0].message.contains("expected RDF"),
        "{}",
        errors[0].message
    );
    assert!(
        errors[0].message.contains("HTML page"),
        "{}",
        errors[0].message
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn unreachable_portal_fails_the_job_and_keeps_the_data() {
    let portal = FakePortal::start().await;
    let datasud = portal.add_ckan("datasud", ckan_packages(DATASUD));
    // Port 9 (discard) on loopback: nothing listens there.
    let sources = [
        source_toml("datasud", "ckan", &datasud, ""),
        source_toml("gone", "ckan", "http://127.0.0.1:9/ckan", ""),
    ]
    .concat();
    let deployment = Deployment::new(&sources, "");
    let catalog = deployment.open().await;
    deployment.harvest(&catalog, "datasud").await;
    let report = deployment.harvest(&catalog, "gone").await;
    assert_eq!(report.status, JobStatus::Failed);
    let errors = catalog.jobs().job_errors(report.job_id).await.unwrap();
    assert!(
        errors[0].message.contains("127.0.0.1:9"),
        "{}",
        errors[0].message
    );
    let server = deployment.serve(&catalog).await;
    assert_eq!(count(&server, &datasets_of_source("datasud")).await, 7);
}
