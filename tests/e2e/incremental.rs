//! Conditional GET: pages remembered with their validators are asked again with
//! `If-None-Match`; a 304 counts the page's records as seen and unchanged without a body, a
//! changed page is read and its changed record updated, `--full` reads everything again, and a
//! record on a 304 page is never deleted.

use crate::fake_portal::{FakePortal, ckan_packages};
use crate::support::{Deployment, count, datasets_of_source, source_toml};
use fedcat_catalog::JobStatus;
use fedcat_harvester::HarvestOptions;

#[tokio::test(flavor = "multi_thread")]
async fn unchanged_pages_are_304s_and_changes_are_read() {
    let portal = FakePortal::start().await;
    let url = portal.add_ckan(
        "datasud",
        ckan_packages("ckan/extracted/datasud.fr_package_search_snapshot__00.json"),
    );
    let deployment = Deployment::new(&source_toml("datasud", "ckan", &url, "page_size = 3"), "");
    let catalog = deployment.open().await;
    let server = deployment.serve(&catalog).await;
    let not_modified = |portal: &FakePortal| {
        portal
            .requests()
            .iter()
            .filter(|r| r.ends_with("/304"))
            .count()
    };

    let first = deployment.harvest(&catalog, "datasud").await;
    assert_eq!(
        (first.counts.added, first.counts.not_modified_pages),
        (7, 0)
    );

    let second = deployment.harvest(&catalog, "datasud").await;
    assert_eq!(second.status, JobStatus::Succeeded, "{second:?}");
    assert!(second.complete_listing);
    assert_eq!(
        (
            second.counts.pages,
            second.counts.not_modified_pages,
            second.counts.unchanged
        ),
        (3, 3, 7)
    );
    assert_eq!(second.counts.deleted, 0);
    assert_eq!(not_modified(&portal), 3);

    // A record changes on the portal: its page is read, the others stay 304.
    portal.edit_ckan_package(
        "datasud",
        "b63fa801-a20a-4cbd-b202-398d3afbd328",
        |package| {
            package["title"] = "Titre modifié".into();
        },
    );
    let third = deployment.harvest(&catalog, "datasud").await;
    assert_eq!(
        (
            third.counts.updated,
            third.counts.unchanged,
            third.counts.not_modified_pages
        ),
        (1, 6, 2),
        "{third:?}"
    );
    let titles = crate::support::select(
        &server,
        &format!(
            "PREFIX dct: <http://purl.org/dc/terms/> SELECT ?t WHERE {{
               <{}/id/dataset/datasud/b63fa801-a20a-4cbd-b202-398d3afbd328> dct:title ?t }}",
            crate::support::BASE_IRI
        ),
    )
    .await;
    assert_eq!(titles[0]["t"]["value"], "Titre modifié");

    // --full reads every page again.
    let source = deployment.config.sources.get("datasud").unwrap();
    let client = fedcat::harvest::http_client(&deployment.config).unwrap();
    let full = fedcat::harvest::harvest_one(
        source,
        &client,
        &catalog,
        &deployment.config.vocabularies,
        &HarvestOptions {
            full: true,
            ..deployment.config.harvest
        },
        &|_| {},
    )
    .await
    .unwrap();
    assert_eq!(
        (full.counts.not_modified_pages, full.counts.unchanged),
        (0, 7)
    );
    assert_eq!(count(&server, &datasets_of_source("datasud")).await, 7);
}

/// A CKAN source with a `full_sweep_schedule` lists only what changed since its last successful
/// job (`fq=metadata_modified:[T TO *]`, an hour of margin); such a listing never deletes; a full
/// sweep does.
#[tokio::test(flavor = "multi_thread")]
async fn incremental_ckan_listing_then_full_sweep() {
    let portal = FakePortal::start().await;
    let url = portal.add_ckan(
        "datasud",
        ckan_packages("ckan/extracted/datasud.fr_package_search_snapshot__00.json"),
    );
    let deployment = Deployment::new(
        &source_toml(
            "datasud",
            "ckan",
            &url,
            "page_size = 3\nschedule = \"0 0 * * * *\"\nfull_sweep_schedule = \"0 0 3 * * Sun\"",
        ),
        "",
    );
    let catalog = deployment.open().await;
    let server = deployment.serve(&catalog).await;
    let first = deployment.harvest(&catalog, "datasud").await;
    assert!(
        first.complete_listing,
        "no successful job before: a full listing"
    );
    assert_eq!(first.counts.added, 7);

    // One package is edited now, another disappears from the portal.
    portal.edit_ckan_package(
        "datasud",
        "b63fa801-a20a-4cbd-b202-398d3afbd328",
        |package| {
            package["title"] = "Titre modifié".into();
            package["metadata_modified"] = chrono::Utc::now()
                .format("%Y-%m-%dT%H:%M:%S%.6f")
                .to_string()
                .into();
        },
    );
    portal.remove_ckan_package("datasud", "cfa98601-185f-4194-bc0f-119fc23a194b");
    let incremental = deployment.harvest(&catalog, "datasud").await;
    assert_eq!(incremental.status, JobStatus::Succeeded, "{incremental:?}");
    assert!(!incremental.complete_listing);
    assert_eq!(
        (
            incremental.counts.updated,
            incremental.counts.unchanged,
            incremental.counts.deleted
        ),
        (1, 0, 0),
        "{incremental:?}"
    );
    assert!(
        incremental
            .message
            .as_deref()
            .unwrap()
            .contains("incremental")
    );
    assert!(
        portal
            .requests()
            .iter()
            .any(|r| r.contains("metadata_modified:[")),
        "{:?}",
        portal.requests()
    );
    assert_eq!(count(&server, &datasets_of_source("datasud")).await, 7);

    // The full sweep sees the whole listing and deletes the package that went away.
    let source = deployment.config.sources.get("datasud").unwrap();
    let client = fedcat::harvest::http_client(&deployment.config).unwrap();
    let full = fedcat::harvest::harvest_one(
        source,
        &client,
        &catalog,
        &deployment.config.vocabularies,
        &HarvestOptions {
            full: true,
            ..deployment.config.harvest
        },
        &|_| {},
    )
    .await
    .unwrap();
    assert!(full.complete_listing);
    assert_eq!(
        (full.counts.deleted, full.counts.unchanged),
        (1, 6),
        "{full:?}"
    );
    assert_eq!(count(&server, &datasets_of_source("datasud")).await, 6);
}

/// A udata source with a `full_sweep_schedule` lists newest update first and stops at the first
/// page that reaches datasets older than its last successful job.
#[tokio::test(flavor = "multi_thread")]
async fn incremental_udata_listing_stops_at_older_datasets() {
    let portal = FakePortal::start().await;
    let datasets = crate::fake_portal::udata_dataset_dir(
        "udata/datagouv-search-indicator/www.data.gouv.fr/2019-08-14-11-39/datasets",
    );
    let edited = datasets[0]["id"].as_str().unwrap().to_owned();
    let url = portal.add_udata("www", datasets);
    let deployment = Deployment::new(
        &source_toml(
            "www",
            "udata",
            &url,
            "page_size = 20\nfull_sweep_schedule = \"0 0 3 * * Sun\"",
        ),
        "",
    );
    let catalog = deployment.open().await;
    let first = deployment.harvest(&catalog, "www").await;
    assert_eq!((first.counts.added, first.counts.pages), (135, 7));
    portal.edit_udata_dataset("www", &edited, |dataset| {
        dataset["title"] = "Titre modifié".into();
        dataset["last_update"] = chrono::Utc::now()
            .format("%Y-%m-%dT%H:%M:%S%.6f")
            .to_string()
            .into();
    });
    let incremental = deployment.harvest(&catalog, "www").await;
    assert_eq!(incremental.status, JobStatus::Succeeded, "{incremental:?}");
    assert!(!incremental.complete_listing);
    assert_eq!(
        (
            incremental.counts.pages,
            incremental.counts.updated,
            incremental.counts.deleted
        ),
        (1, 1, 0),
        "{incremental:?}"
    );
    assert!(
        portal.requests().iter().any(|r| r.contains("-last_update")),
        "sorted by last update"
    );
}

/// A DCAT catalogue that filters by modification time (`modified_since_param`, as ckanext-dcat
/// and piveau do) is asked for what changed since the last successful job; such a run deletes
/// nothing.
#[tokio::test(flavor = "multi_thread")]
async fn incremental_dcat_listing_sends_modified_since() {
    use crate::fake_portal::HydraStyle;
    use fedcat_catalog::oxigraph::io::RdfFormat;
    let portal = FakePortal::start().await;
    let url = portal.add_repaged_dcat(
        "demo",
        "dcat/hydra/demo.ckan.org_catalog_page1_of_26.ttl",
        40,
        HydraStyle::PagedCollection,
        RdfFormat::Turtle,
    );
    let deployment = Deployment::new(
        &source_toml(
            "demo",
            "dcat",
            &url,
            "modified_since_param = \"modified_since\"\nfull_sweep_schedule = \"0 0 3 * * Sun\"",
        ),
        "",
    );
    let catalog = deployment.open().await;
    let first = deployment.harvest(&catalog, "demo").await;
    assert!(first.complete_listing);
    assert_eq!(first.counts.added, 100);
    let second = deployment.harvest(&catalog, "demo").await;
    assert_eq!(second.status, JobStatus::Succeeded, "{second:?}");
    assert!(!second.complete_listing);
    assert!(
        portal
            .requests()
            .iter()
            .any(|r| r.starts_with("/dcat/demo/page/1?modified_since=")),
        "{:?}",
        portal.requests()
    );
}
