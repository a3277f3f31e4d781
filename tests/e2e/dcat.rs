//! DCAT harvesting: recorded catalogue pages re-paged with Hydra links in both styles and three
//! serialisations, recorded single records, defective real files, `file://` dumps.

use crate::fake_portal::{FakePortal, HydraStyle, dataset_subjects, fixture_path, parse_fixture};
use crate::support::{COUNT_TRIPLES, Deployment, count, datasets_of_source, select, source_toml};
use fedcat_catalog::JobStatus;
use fedcat_catalog::oxigraph::io::{JsonLdProfileSet, RdfFormat};

const DEMO_TTL: &str = "dcat/hydra/demo.ckan.org_catalog_page1_of_26.ttl";
const DEMO_RDF: &str = "dcat/hydra/demo.ckan.org_catalog_page1_of_26.rdf";
const DEMO_JSONLD: &str = "dcat/hydra/demo.ckan.org_catalog_page1_of_26.jsonld";
const DATAGOUV: &str = "dcat/hydra/datagouv_org_catalog_partialcollectionview.rdf.xml";
const GOVDATA: &str = "dcat/hydra/govdata_ckanext-dcatde_catalog-endpoint_pagedcollection.rdf";
const SINGLE_RECORDS: [&str; 4] = [
    "dcat/rdfxml/opendata-swiss_1894.xml",
    "dcat/rdfxml/opendata-swiss_1901.xml",
    "dcat/rdfxml/datara--5a26b0f6-0ccf-46ad-ac58-734054b91977.rdf.xml",
    "dcat/rdfxml/datara--f40c3860-7236-4b30-a141-23b8ae33f7b2.rdf.xml",
];

fn json_ld() -> RdfFormat {
    RdfFormat::JsonLd {
        profile: JsonLdProfileSet::empty(),
    }
}

fn expected_datasets(fixture: &str) -> u64 {
    dataset_subjects(&parse_fixture(fixture)).len() as u64
}

#[tokio::test(flavor = "multi_thread")]
async fn dcat_fixtures_give_exactly_the_datasets_served() {
    let portal = FakePortal::start().await;
    let mut sources = vec![
        source_toml(
            "demo-ttl",
            "dcat",
            &portal.add_repaged_dcat(
                "demo-ttl",
                DEMO_TTL,
                30,
                HydraStyle::PagedCollection,
                RdfFormat::Turtle,
            ),
            "",
        ),
        source_toml(
            "demo-rdf",
            "dcat",
            &portal.add_repaged_dcat(
                "demo-rdf",
                DEMO_RDF,
                30,
                HydraStyle::PagedCollection,
                RdfFormat::RdfXml,
            ),
            "",
        ),
        source_toml(
            "demo-jsonld",
            "dcat",
            &portal.add_repaged_dcat(
                "demo-jsonld",
                DEMO_JSONLD,
                30,
                HydraStyle::PartialCollectionView,
                json_ld(),
            ),
            "",
        ),
        source_toml(
            "datagouv",
            "dcat",
            &portal.add_repaged_dcat(
                "datagouv",
                DATAGOUV,
                1,
                HydraStyle::PartialCollectionView,
                RdfFormat::RdfXml,
            ),
            "",
        ),
        source_toml(
            "govdata",
            "dcat",
            &portal.add_repaged_dcat(
                "govdata",
                GOVDATA,
                4,
                HydraStyle::PagedCollection,
                RdfFormat::Turtle,
            ),
            "",
        ),
    ];
    for (index, file) in SINGLE_RECORDS.iter().enumerate() {
        sources.push(source_toml(
            &format!("single-{index}"),
            "dcat",
            &portal.file_url(file),
            "",
        ));
    }
    let deployment = Deployment::new(&sources.concat(), "");
    let catalog = deployment.open().await;
    let server = deployment.serve(&catalog).await;

    let mut checks: Vec<(String, u64)> = vec![
        ("demo-ttl".into(), expected_datasets(DEMO_TTL)),
        ("demo-rdf".into(), expected_datasets(DEMO_RDF)),
        ("demo-jsonld".into(), expected_datasets(DEMO_JSONLD)),
        ("datagouv".into(), expected_datasets(DATAGOUV)),
        ("govdata".into(), expected_datasets(GOVDATA)),
    ];
    for (index, file) in SINGLE_RECORDS.iter().enumerate() {
        checks.push((format!("single-{index}"), expected_datasets(file)));
    }
    // The recorded demo.ckan.org page holds 100 datasets in each serialisation.
    assert_eq!(checks[0].1, 100);
    assert_eq!(checks[2].1, 100);
    for (source, expected) in &checks {
        let report = deployment.harvest(&catalog, source).await;
        let errors = catalog.jobs().job_errors(report.job_id).await.unwrap();
        assert_eq!(
            report.status,
            JobStatus::Succeeded,
            "{source}: {report:?} {errors:?}"
        );
        assert_eq!(
            count(&server, &datasets_of_source(source)).await,
            *expected,
            "{source}"
        );
    }
    // 100 datasets at 30 per page: 4 pages followed, in both Hydra styles.
    for name in ["demo-ttl", "demo-jsonld"] {
        let pages = portal
            .requests()
            .iter()
            .filter(|r| r.starts_with(&format!("/dcat/{name}/")))
            .count();
        assert_eq!(pages, 4, "{name}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn named_dcat_record_keeps_every_triple() {
    let portal = FakePortal::start().await;
    let url = portal.add_repaged_dcat(
        "datagouv",
        DATAGOUV,
        1,
        HydraStyle::PartialCollectionView,
        RdfFormat::RdfXml,
    );
    let deployment = Deployment::new(&source_toml("datagouv", "dcat", &url, ""), "");
    let catalog = deployment.open().await;
    assert_eq!(
        deployment.harvest(&catalog, "datagouv").await.counts.added,
        2
    );
    let server = deployment.serve(&catalog).await;
    let rows = select(
        &server,
        "PREFIX dcat: <http://www.w3.org/ns/dcat#> PREFIX dct: <http://purl.org/dc/terms/>
         PREFIX vcard: <http://www.w3.org/2006/vcard/ns#> PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
         PREFIX adms: <http://www.w3.org/ns/adms#>
         SELECT ?title ?publisher ?landing ?notation (COUNT(DISTINCT ?dist) AS ?n) (SAMPLE(?csv) AS ?download) WHERE {
           <https://vanves-seineouest.opendatasoft.com/explore/dataset/bureau-de-vote-vanves/>
               dct:title ?title ; dct:publisher/vcard:fn ?publisher ; dcat:landingPage ?landing ;
               adms:identifier/skos:notation ?notation ; dcat:distribution ?dist .
           OPTIONAL { ?dist dct:format \"csv\" ; dcat:downloadURL ?csv }
         } GROUP BY ?title ?publisher ?landing ?notation",
    )
    .await;
    assert_eq!(rows.len(), 1, "{rows:?}");
    assert_eq!(rows[0]["title"]["value"], "Bureaux de vote - Vanves");
    assert_eq!(rows[0]["publisher"]["value"], "Vanves");
    assert_eq!(rows[0]["n"]["value"], "4");
    assert_eq!(
        rows[0]["notation"]["value"],
        "https://www.data.gouv.fr/datasets/61892c9d076a4d62434a1318/"
    );
    assert_eq!(
        rows[0]["download"]["value"],
        "https://vanves-seineouest.opendatasoft.com/api/explore/v2.1/catalog/datasets/bureau-de-vote-vanves/exports/csv?use_labels=true"
    );
    // Lossless: every triple reachable from the dataset in the recorded file is in its graph.
    let graph_triples = count(
        &server,
        &format!(
            "SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH <{}/graph/datagouv/{}> {{ ?s ?p ?o }} }}",
            crate::support::BASE_IRI,
            "https%3A%2F%2Fvanves-seineouest.opendatasoft.com%2Fexplore%2Fdataset%2Fbureau-de-vote-vanves%2F"
        ),
    )
    .await;
    // Counted in the recorded file: 18 on the dataset, 4 distributions of 11, the distributor
    // organization 4, the publisher and creator contacts 2 each, the adms:Identifier 3.
    assert_eq!(graph_triples, 18 + 4 * 11 + 4 + 2 + 2 + 3);
}

#[tokio::test(flavor = "multi_thread")]
async fn reharvest_with_new_blank_node_labels_is_unchanged() {
    let portal = FakePortal::start().await;
    let sources = [
        source_toml(
            "demo",
            "dcat",
            &portal.add_repaged_dcat(
                "demo",
                DEMO_TTL,
                40,
                HydraStyle::PagedCollection,
                RdfFormat::Turtle,
            ),
            "",
        ),
        // GeoDCAT records are full of blank nodes (rdf:nodeID), renamed at every parse.
        source_toml("datara", "dcat", &portal.file_url(SINGLE_RECORDS[2]), ""),
    ]
    .concat();
    let deployment = Deployment::new(&sources, "");
    let catalog = deployment.open().await;
    let server = deployment.serve(&catalog).await;
    for source in ["demo", "datara"] {
        deployment.harvest(&catalog, source).await;
    }
    let before = count(&server, COUNT_TRIPLES).await;
    for source in ["demo", "datara"] {
        let report = deployment.harvest(&catalog, source).await;
        assert_eq!(
            (report.counts.added, report.counts.updated),
            (0, 0),
            "{source}: {report:?}"
        );
        assert!(report.counts.unchanged > 0);
    }
    assert_eq!(count(&server, COUNT_TRIPLES).await, before);
}

#[tokio::test(flavor = "multi_thread")]
async fn defective_records_are_kept_with_their_bad_values_repaired_or_dropped() {
    let portal = FakePortal::start().await;
    let files = [
        "dcat/rdfxml/opendata-swiss_1894.xml",
        // DELIBERATE bad dates ("1994-01-01 00:00:00"^^xsd:dateTime, "1999-4-4"^^xsd:date …).
        "dcat/rdfxml/opendata-swiss_dataset-datetimes-bad.xml",
        // An IRI with spaces: tel:+49 40 4 28 40 - 3494.
        "dcat/rdfxml/dcatde_metadata_max.rdf",
        "dcat/rdfxml/datara--f40c3860-7236-4b30-a141-23b8ae33f7b2.rdf.xml",
    ];
    let sources = [
        source_toml(
            "mixed",
            "dcat",
            &portal.add_file_collection("mixed", &files, false),
            "",
        ),
        // Real GeoNetwork output that is not well-formed RDF/XML (text beside an
        // rdf:resource) and whose dataset IRI is two IRIs joined by a space.
        source_toml(
            "oreme",
            "dcat",
            &portal.file_url("dcat/rdfxml/geonetwork_oreme.rdf.xml"),
            "",
        ),
        // DCAT-US with HTML inside fields; its JSON-LD context is the built-in DCAT-US one.
        source_toml(
            "evian",
            "dcat",
            &portal.file_url("dcat/jsonld/evian_arcgis_hub_dcat_us.json"),
            "",
        ),
    ]
    .concat();
    let deployment = Deployment::new(&sources, "");
    let catalog = deployment.open().await;
    let report = deployment.harvest(&catalog, "mixed").await;
    assert_eq!(report.status, JobStatus::Succeeded, "{report:?}");
    let c = report.counts;
    assert_eq!(
        (c.pages, c.added, c.failed, c.records_rejected),
        (4, 4, 0, 0),
        "{c:?}"
    );
    assert!(c.records_repaired >= 2 && c.values_dropped > 0, "{c:?}");
    // Every dropped value is a warning naming its record, property and value.
    let errors = catalog.jobs().job_errors(report.job_id).await.unwrap();
    assert!(errors.iter().all(|e| e.kind == "value"), "{errors:?}");
    assert!(
        errors
            .iter()
            .any(|e| e.record_key.as_deref() == Some("https://swisstopo/123")
                && e.message.contains("2008-01-01T00:00:75")
                && e.message.contains("date-invalid")),
        "{errors:?}"
    );

    let server = deployment.serve(&catalog).await;
    assert_eq!(count(&server, &datasets_of_source("mixed")).await, 4);
    // A space for the `T`: repaired; the IRI with spaces: percent-encoded, the original kept.
    let repaired = count(
        &server,
        "SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o
           FILTER(?o = \"1994-01-01T00:00:00\"^^<http://www.w3.org/2001/XMLSchema#dateTime>) } }",
    )
    .await;
    assert_eq!(repaired, 1);
    let tel = count(
        &server,
        "SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g {
           <tel:+49%2040%204%2028%2040%20-%203494> <https://w3id.org/fedcat/ns#originalIri>
             \"tel:+49 40 4 28 40 - 3494\" } }",
    )
    .await;
    assert_eq!(tel, 1);

    // GeoNetwork's page is read: the text beside rdf:resource dropped, the record kept.
    let report = deployment.harvest(&catalog, "oreme").await;
    assert_eq!(report.counts.added, 1, "{report:?}");
    let errors = catalog.jobs().job_errors(report.job_id).await.unwrap();
    assert!(
        errors
            .iter()
            .any(|e| e.kind == "value" && e.message.contains("text beside their rdf:resource")),
        "{errors:?}"
    );

    // DCAT-US data.json: every dataset, dates typed as the context says then retyped.
    let report = deployment.harvest(&catalog, "evian").await;
    assert_eq!(report.status, JobStatus::Succeeded, "{report:?}");
    assert_eq!(report.counts.added, 8, "{report:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn repeated_page_ends_the_listing() {
    let portal = FakePortal::start().await;
    let files = [SINGLE_RECORDS[0], SINGLE_RECORDS[2]];
    let url = portal.add_file_collection("loop", &files, true);
    let deployment = Deployment::new(&source_toml("loop", "dcat", &url, ""), "");
    let catalog = deployment.open().await;
    let report = deployment.harvest(&catalog, "loop").await;
    assert_eq!(report.status, JobStatus::Succeeded);
    assert_eq!((report.counts.pages, report.counts.added), (2, 2));
}

#[tokio::test(flavor = "multi_thread")]
async fn file_url_loads_a_dump_offline() {
    let path = fixture_path("dcat/turtle/ckanext-dcat_dataset_gob_es.ttl")
        .canonicalize()
        .unwrap();
    let url = url::Url::from_file_path(&path).unwrap();
    let deployment = Deployment::new(&source_toml("dump", "dcat", url.as_str(), ""), "");
    let catalog = deployment.open().await;
    let report = deployment.harvest(&catalog, "dump").await;
    assert_eq!(
        (report.status, report.counts.added),
        (JobStatus::Succeeded, 1)
    );
    let server = deployment.serve(&catalog).await;
    assert_eq!(count(&server, &datasets_of_source("dump")).await, 1);
}
