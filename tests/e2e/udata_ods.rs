//! udata and Opendatasoft harvesting: data.gouv.fr's recorded datasets served with udata's real
//! paging (`page`/`page_size`, `next_page`), and an Opendatasoft Explore v2.1 catalogue paged by
//! `limit`/`offset` (built from the API's documented examples, no real response being recorded),
//! plus Opendatasoft's real DCAT export through the DCAT connector.

use crate::fake_portal::{FakePortal, ods_v21_datasets, udata_dataset_dir, udata_datasets};
use crate::support::{BASE_IRI, Deployment, count, datasets_of_source, select, source_toml};
use fedcat_catalog::JobStatus;
use serde_json::Value;
use std::collections::{BTreeMap, HashSet};

const WWW_2022: &str = "udata/datagouv-search-indicator/www.data.gouv.fr/2022-12-02-17-29/datasets";
const WWW_2019: &str = "udata/datagouv-search-indicator/www.data.gouv.fr/2019-08-14-11-39/datasets";
const FIXTURE_2025: &str = "udata/datagouv_fixture_results_15datasets.json";
const DAMIR_HISTORY: &str = "udata/cnam_open_damir_history";
const CNAM: &str = "534fff5ca3a7292c64a77d1a";
const OPEN_DAMIR: &str = "54de1e8fc751df388646738b";
const EU: &str = "http://publications.europa.eu/resource/authority";

fn transport_datasets() -> Vec<Value> {
    let mut files: Vec<_> = std::fs::read_dir(crate::fake_portal::fixture_path("udata/extracted"))
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .filter(|n| n.starts_with("transport-site_cassette_") && n.ends_with(".json"))
        .collect();
    files.sort();
    files
        .iter()
        .flat_map(|f| udata_datasets(&format!("udata/extracted/{f}")))
        .filter(|d| d.get("resources").is_some() && d.get("id").is_some())
        .collect()
}

fn distinct(datasets: &[Value]) -> usize {
    datasets
        .iter()
        .map(|d| d["id"].as_str().unwrap().to_owned())
        .collect::<HashSet<_>>()
        .len()
}

#[tokio::test(flavor = "multi_thread")]
async fn udata_fixtures_give_exactly_the_datasets_served() {
    let portal = FakePortal::start().await;
    let sets = [
        ("www2022", udata_dataset_dir(WWW_2022), 50),
        ("www2019", udata_dataset_dir(WWW_2019), 40),
        ("spf2025", udata_datasets(FIXTURE_2025), 4),
        ("transport", transport_datasets(), 5),
    ];
    let mut sources = String::new();
    for (name, datasets, page_size) in &sets {
        let url = portal.add_udata(name, datasets.clone());
        sources.push_str(&source_toml(
            name,
            "udata",
            &url,
            &format!("page_size = {page_size}\nlanguage = \"fr\""),
        ));
    }
    let deployment = Deployment::new(&sources, "");
    let catalog = deployment.open().await;
    let server = deployment.serve(&catalog).await;
    for (name, datasets, page_size) in &sets {
        let expected = distinct(datasets) as u64;
        let report = deployment.harvest(&catalog, name).await;
        assert_eq!(report.status, JobStatus::Succeeded, "{name}: {report:?}");
        assert_eq!(report.counts.added, expected, "{name}: {report:?}");
        assert_eq!(report.counts.failed, 0, "{name}: {report:?}");
        assert_eq!(report.counts.pages, expected.div_ceil(*page_size), "{name}");
        assert_eq!(
            count(&server, &datasets_of_source(name)).await,
            expected,
            "{name}"
        );
    }
    // The recorded snapshots hold 366 and 135 datasets, the 2025 file 15, the cassettes 22.
    assert_eq!(
        sets.iter().map(|(_, d, _)| distinct(d)).collect::<Vec<_>>(),
        [366, 135, 15, 22]
    );
    // udata's next_page links were followed: 366 datasets at 50 per page is 8 requests.
    let www_requests = portal
        .requests()
        .iter()
        .filter(|r| r.starts_with("/udata/www2022/"))
        .count();
    assert_eq!(www_requests, 8);
    // Datasets data.gouv.fr harvested elsewhere keep that provenance.
    let harvested = udata_dataset_dir(WWW_2022)
        .iter()
        .filter(|d| d["harvest"]["remote_url"].is_string())
        .count() as u64;
    let derived = count(
        &server,
        "PREFIX prov: <http://www.w3.org/ns/prov#> PREFIX dct: <http://purl.org/dc/terms/>
         SELECT (COUNT(DISTINCT ?d) AS ?n) WHERE { GRAPH ?g { ?d prov:wasDerivedFrom ?remote }
           ?g dct:isPartOf <http://fedcat.test/id/catalog/www2022> }",
    )
    .await;
    assert_eq!(derived, harvested);
    assert!(harvested > 100, "{harvested}");
}

/// Open DAMIR's values after mapping, from the 2022-12-02 www snapshot filtered by CNAM's id.
#[tokio::test(flavor = "multi_thread")]
async fn udata_organization_filter_and_open_damir_values() {
    let portal = FakePortal::start().await;
    let datasets = udata_dataset_dir(WWW_2022);
    let cnam: Vec<Value> = datasets
        .iter()
        .filter(|d| d["organization"]["id"] == CNAM)
        .cloned()
        .collect();
    let of_cnam = distinct(&cnam) as u64;
    let url = portal.add_udata("www", datasets);
    let deployment = Deployment::new(
        &source_toml(
            "cnam",
            "udata",
            &url,
            &format!("organization = \"{CNAM}\"\nlanguage = \"fr\""),
        ),
        "",
    );
    let catalog = deployment.open().await;
    let report = deployment.harvest(&catalog, "cnam").await;
    assert_eq!(report.counts.added, of_cnam, "{report:?}");
    assert!(of_cnam >= 1, "{of_cnam}");
    let server = deployment.serve(&catalog).await;
    let dataset = format!("{BASE_IRI}/id/dataset/cnam/{OPEN_DAMIR}");
    let rows = select(
        &server,
        &format!(
            "PREFIX dcat: <http://www.w3.org/ns/dcat#> PREFIX dct: <http://purl.org/dc/terms/>
             PREFIX foaf: <http://xmlns.com/foaf/0.1/> PREFIX fc: <https://w3id.org/fedcat/ns#>
             SELECT ?title ?publisher ?publisherName ?licence ?licenceLiteral ?frequency ?landing
                    ?start ?end WHERE {{
               <{dataset}> dct:title ?title ; dct:publisher ?publisher ; dct:license ?licence ;
                   fc:unmappedLicence ?licenceLiteral ; dct:accrualPeriodicity ?frequency ;
                   dcat:landingPage ?landing ; dct:temporal [ dcat:startDate ?start ; dcat:endDate ?end ] .
               ?publisher foaf:name ?publisherName }}"
        ),
    )
    .await;
    assert_eq!(rows.len(), 1, "{rows:?}");
    let row = &rows[0];
    assert_eq!(
        row["title"]["value"],
        "Open DAMIR : base complète sur les dépenses d'assurance maladie inter régimes"
    );
    assert_eq!(
        row["publisher"]["value"],
        "https://www.data.gouv.fr/api/1/organizations/caisse-nationale-de-l-assurance-maladie-des-travailleurs-salaries/"
    );
    assert_eq!(
        row["publisherName"]["value"],
        "Caisse nationale de l'assurance maladie"
    );
    // fr-lo (Licence Ouverte 1.0) has no entry in the EU table: kept, and counted as unmapped.
    assert_eq!(row["licenceLiteral"]["value"], "fr-lo");
    assert_eq!(
        row["licence"]["value"],
        format!("{BASE_IRI}/id/licence/cnam/fr-lo")
    );
    assert_eq!(row["frequency"]["value"], format!("{EU}/frequency/ANNUAL"));
    assert_eq!(
        row["landing"]["value"],
        "https://www.data.gouv.fr/fr/datasets/open-damir-base-complete-sur-les-depenses-dassurance-maladie-inter-regimes/"
    );
    assert_eq!(row["start"]["value"], "2009-01-01");
    assert_eq!(row["end"]["value"], "2019-12-31");
    assert_eq!(formats_of(&server, &dataset).await, damir_formats());
}

/// The formats of Open DAMIR's 157 resources in the 2022 snapshot: 154 `csv`, one `xls`, one
/// `csv.gz` and one without a format.
fn damir_formats() -> BTreeMap<String, u64> {
    BTreeMap::from([
        (format!("{EU}/file-type/CSV"), 154),
        (format!("{EU}/file-type/XLS"), 1),
        (format!("{EU}/file-type/GZIP"), 1),
        ("none".to_owned(), 1),
    ])
}

async fn formats_of(server: &str, dataset: &str) -> BTreeMap<String, u64> {
    let rows = select(
        server,
        &format!(
            "PREFIX dcat: <http://www.w3.org/ns/dcat#> PREFIX dct: <http://purl.org/dc/terms/>
             SELECT ?format (COUNT(DISTINCT ?dist) AS ?n) WHERE {{
               <{dataset}> dcat:distribution ?dist .
               OPTIONAL {{ ?dist dct:format ?f }} BIND(COALESCE(STR(?f), \"none\") AS ?format)
             }} GROUP BY ?format"
        ),
    )
    .await;
    rows.iter()
        .map(|r| {
            (
                r["format"]["value"].as_str().unwrap().to_owned(),
                r["n"]["value"].as_str().unwrap().parse().unwrap(),
            )
        })
        .collect()
}

/// The Open DAMIR record re-harvested through its recorded history: each version replaces the
/// previous one in place (one record, its distributions following the portal).
#[tokio::test(flavor = "multi_thread")]
async fn open_damir_history_updates_one_record() {
    let portal = FakePortal::start().await;
    let mut versions: Vec<String> =
        std::fs::read_dir(crate::fake_portal::fixture_path(DAMIR_HISTORY))
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .filter(|n| n.starts_with(OPEN_DAMIR) && n.contains("__www.data.gouv.fr__"))
            .collect();
    versions.sort_by_key(|n| n.rsplit("__").next().unwrap().to_owned());
    assert_eq!(versions.len(), 11);
    let url = portal.add_udata("www", vec![]);
    let deployment = Deployment::new(&source_toml("cnam", "udata", &url, "language = \"fr\""), "");
    let catalog = deployment.open().await;
    let server = deployment.serve(&catalog).await;
    let dataset = format!("{BASE_IRI}/id/dataset/cnam/{OPEN_DAMIR}");
    let mut previous: Option<Value> = None;
    for version in &versions {
        let record = udata_datasets(&format!("{DAMIR_HISTORY}/{version}")).remove(0);
        portal.add_udata("www", vec![record.clone()]);
        let report = deployment.harvest(&catalog, "cnam").await;
        let counts = (
            report.counts.added,
            report.counts.updated,
            report.counts.unchanged,
        );
        // Versions that differ only in fields fedcat does not map (metrics, badges) are
        // unchanged records; the first is added; none is ever added twice.
        assert_eq!(
            counts.0,
            u64::from(previous.is_none()),
            "{version}: {counts:?}"
        );
        assert_eq!(counts.0 + counts.1 + counts.2, 1, "{version}: {counts:?}");
        let distributions = count(
            &server,
            &format!(
                "PREFIX dcat: <http://www.w3.org/ns/dcat#>
                 SELECT (COUNT(DISTINCT ?d) AS ?n) WHERE {{ <{dataset}> dcat:distribution ?d }}"
            ),
        )
        .await;
        assert_eq!(
            distributions,
            record["resources"].as_array().unwrap().len() as u64,
            "{version}"
        );
        previous = Some(record);
    }
    assert_eq!(count(&server, &datasets_of_source("cnam")).await, 1);
    let names = select(
        &server,
        &format!(
            "PREFIX dct: <http://purl.org/dc/terms/> PREFIX foaf: <http://xmlns.com/foaf/0.1/>
             SELECT ?name WHERE {{ <{dataset}> dct:publisher/foaf:name ?name }}"
        ),
    )
    .await;
    // The 2018 name ("… des travailleurs salariés") was replaced by the 2022 one.
    assert_eq!(names.len(), 1);
    assert_eq!(
        names[0]["name"]["value"],
        "Caisse nationale de l'assurance maladie"
    );
}

/// Santé publique France's vaccination dataset (2025 fixture): weekly, 30 CSV files with SHA-1
/// checksums, published by SPF.
#[tokio::test(flavor = "multi_thread")]
async fn vaccination_dataset_values() {
    let portal = FakePortal::start().await;
    let url = portal.add_udata("www", udata_datasets(FIXTURE_2025));
    let deployment = Deployment::new(
        &source_toml(
            "spf",
            "udata",
            &url,
            "organization = \"5e721a395d57f93d0bed451f\"\nlanguage = \"fr\"",
        ),
        "",
    );
    let catalog = deployment.open().await;
    let report = deployment.harvest(&catalog, "spf").await;
    assert_eq!(report.counts.added, 1, "{report:?}");
    let server = deployment.serve(&catalog).await;
    let dataset = format!("{BASE_IRI}/id/dataset/spf/6010206e7aa742eb447930f7");
    let rows = select(
        &server,
        &format!(
            "PREFIX dcat: <http://www.w3.org/ns/dcat#> PREFIX dct: <http://purl.org/dc/terms/>
             PREFIX foaf: <http://xmlns.com/foaf/0.1/> PREFIX spdx: <http://spdx.org/rdf/terms#>
             SELECT ?frequency ?publisherName (COUNT(DISTINCT ?checksum) AS ?checksums) WHERE {{
               <{dataset}> dct:accrualPeriodicity ?frequency ; dct:publisher/foaf:name ?publisherName ;
                 dcat:distribution ?d . OPTIONAL {{ ?d spdx:checksum ?checksum }}
             }} GROUP BY ?frequency ?publisherName"
        ),
    )
    .await;
    assert_eq!(rows.len(), 1, "{rows:?}");
    assert_eq!(
        rows[0]["frequency"]["value"],
        format!("{EU}/frequency/WEEKLY")
    );
    assert_eq!(rows[0]["publisherName"]["value"], "Santé publique France");
    let with_checksum = udata_datasets(FIXTURE_2025)
        .iter()
        .find(|d| d["id"] == "6010206e7aa742eb447930f7")
        .unwrap()["resources"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["checksum"]["type"] == "sha1")
        .count();
    assert_eq!(rows[0]["checksums"]["value"], with_checksum.to_string());
    assert_eq!(
        formats_of(&server, &dataset).await,
        BTreeMap::from([(format!("{EU}/file-type/CSV"), 30)])
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn ods_catalogue_is_paged_and_mapped() {
    let portal = FakePortal::start().await;
    let url = portal.add_ods("ods", ods_v21_datasets());
    let deployment = Deployment::new(&source_toml("ods", "ods", &url, "page_size = 1"), "");
    let catalog = deployment.open().await;
    let report = deployment.harvest(&catalog, "ods").await;
    assert_eq!(report.status, JobStatus::Succeeded, "{report:?}");
    assert_eq!(
        (report.counts.added, report.counts.pages),
        (2, 2),
        "{report:?}"
    );
    let server = deployment.serve(&catalog).await;
    let boundaries = format!(
        "{BASE_IRI}/id/dataset/ods/world-administrative-boundaries-countries-and-territories"
    );
    let rows = select(
        &server,
        &format!(
            "PREFIX dcat: <http://www.w3.org/ns/dcat#> PREFIX dct: <http://purl.org/dc/terms/>
             PREFIX foaf: <http://xmlns.com/foaf/0.1/>
             SELECT ?licence ?theme ?publisherName ?language ?landing ?description WHERE {{
               <{boundaries}> dct:license ?licence ; dcat:theme ?theme ; dct:language ?language ;
                 dct:publisher/foaf:name ?publisherName ; dcat:landingPage ?landing ;
                 dct:description ?description }}"
        ),
    )
    .await;
    assert_eq!(rows.len(), 1, "{rows:?}");
    assert_eq!(rows[0]["licence"]["value"], format!("{EU}/licence/OGL_3_0"));
    assert_eq!(rows[0]["theme"]["value"], format!("{EU}/data-theme/GOVE"));
    assert_eq!(rows[0]["language"]["value"], format!("{EU}/language/ENG"));
    assert_eq!(
        rows[0]["publisherName"]["value"],
        "World Food Programme (UN agency)"
    );
    assert_eq!(
        rows[0]["landing"]["value"],
        format!("{url}/explore/dataset/world-administrative-boundaries-countries-and-territories/")
    );
    // The HTML description is stored as text, in the dataset's language.
    assert!(
        rows[0]["description"]["value"]
            .as_str()
            .unwrap()
            .starts_with("This dataset displays")
    );
    assert_eq!(rows[0]["description"]["xml:lang"], "en");
    // Geographic datasets get CSV, JSON and GeoJSON exports; attachments are distributions too.
    assert_eq!(
        formats_of(&server, &boundaries).await,
        BTreeMap::from([
            (format!("{EU}/file-type/CSV"), 1),
            (format!("{EU}/file-type/GEOJSON"), 1),
            (format!("{EU}/file-type/JSON"), 1),
        ])
    );
    let geonames = format!("{BASE_IRI}/id/dataset/ods/geonames-all-cities-with-a-population-1000");
    assert_eq!(
        formats_of(&server, &geonames).await,
        BTreeMap::from([
            (format!("{EU}/file-type/CSV"), 1),
            (format!("{EU}/file-type/GEOJSON"), 1),
            (format!("{EU}/file-type/JSON"), 1),
            (format!("{EU}/file-type/ZIP"), 1),
        ])
    );
    let attachment = select(
        &server,
        &format!(
            "PREFIX dcat: <http://www.w3.org/ns/dcat#> SELECT ?url WHERE {{
               <{geonames}> dcat:distribution/dcat:downloadURL ?url FILTER(CONTAINS(STR(?url), \"attachments\")) }}"
        ),
    )
    .await;
    assert_eq!(
        attachment[0]["url"]["value"],
        format!(
            "{url}/api/explore/v2.1/catalog/datasets/geonames-all-cities-with-a-population-1000/attachments/cities1000_zip"
        )
    );
}

/// Opendatasoft's DCAT export (the real capatlantique response) through the DCAT connector.
#[tokio::test(flavor = "multi_thread")]
async fn ods_dcat_export_through_the_dcat_connector() {
    let portal = FakePortal::start().await;
    let url = portal.file_url("ods/extracted/capatlantique_ods_dcat_export_snapshot__01.xml");
    let deployment = Deployment::new(&source_toml("capatlantique", "dcat", &url, ""), "");
    let catalog = deployment.open().await;
    let report = deployment.harvest(&catalog, "capatlantique").await;
    assert_eq!(report.status, JobStatus::Succeeded, "{report:?}");
    assert_eq!(report.counts.added, 1, "{report:?}");
    let server = deployment.serve(&catalog).await;
    let rows = select(
        &server,
        "PREFIX dcat: <http://www.w3.org/ns/dcat#> PREFIX dct: <http://purl.org/dc/terms/>
         PREFIX foaf: <http://xmlns.com/foaf/0.1/>
         SELECT ?publisherName ?licence (COUNT(DISTINCT ?dist) AS ?distributions) WHERE {
           <https://data.capatlantique.fr/explore/dataset/264400516_arretes_ccas_guerande/>
             dct:publisher/foaf:name ?publisherName ; dct:license ?licence ; dcat:distribution ?dist
         } GROUP BY ?publisherName ?licence",
    )
    .await;
    assert_eq!(rows.len(), 1, "{rows:?}");
    assert_eq!(rows[0]["publisherName"]["value"], "CCAS Guérande");
    assert_eq!(
        rows[0]["licence"]["value"],
        "https://www.etalab.gouv.fr/wp-content/uploads/2017/04/ETALAB-Licence-Ouverte-v2.0.pdf"
    );
    let expected_distributions = std::fs::read_to_string(crate::fake_portal::fixture_path(
        "ods/extracted/capatlantique_ods_dcat_export_snapshot__01.xml",
    ))
    .unwrap()
    .matches("<dcat:Distribution ")
    .count();
    assert_eq!(
        rows[0]["distributions"]["value"],
        expected_distributions.to_string()
    );
}
