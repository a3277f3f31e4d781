//! The DCAT-AP export over real records (datasud.fr's CKAN packages and 15 data.gouv.fr
//! datasets of as many producers): every format parses, the Hydra paging in both pairings reaches every
//! dataset exactly once, every dataset has a `dct:identifier`, filters work, and each page
//! conforms to the official DCAT-AP 3.0.1 core shapes.

use crate::fake_portal::ckan_packages;
use fedcat_catalog::oxigraph::io::{RdfFormat, RdfParser};
use fedcat_catalog::oxigraph::model::{NamedOrBlankNode, Term, Triple};
use std::collections::{BTreeMap, BTreeSet};

const DCAT: &str = "http://www.w3.org/ns/dcat#";
const HYDRA: &str = "http://www.w3.org/ns/hydra/core#";

fn parse(bytes: &[u8], format: RdfFormat) -> Vec<Triple> {
    RdfParser::from_format(format)
        .for_slice(bytes)
        .map(|q| Triple::from(q.expect("the export parses")))
        .collect()
}

fn objects(triples: &[Triple], predicate: &str) -> Vec<String> {
    triples
        .iter()
        .filter(|t| t.predicate.as_str() == predicate)
        .filter_map(|t| match &t.object {
            Term::NamedNode(n) => Some(n.as_str().to_owned()),
            _ => None,
        })
        .collect()
}

async fn fetch(url: &str, accept: Option<&str>) -> (u16, String, Vec<u8>) {
    let mut request = reqwest::Client::new().get(url);
    if let Some(accept) = accept {
        request = request.header("Accept", accept);
    }
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    let content_type = response
        .headers()
        .get("content-type")
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default();
    (
        status,
        content_type,
        response.bytes().await.unwrap().to_vec(),
    )
}

#[tokio::test(flavor = "multi_thread")]
async fn the_dcat_export_pages_with_hydra_and_conforms() {
    let (_portal, deployment, catalog) = crate::support::harvested_datasud_and_spf2025().await;
    let server = deployment.serve(&catalog).await;

    // Follow hydra:next (and check hydra:nextPage says the same) from the first page.
    let shapes = fedcat_catalog::shacl::ShaclShapes::load(
        &std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../shared/shacl/dcat-ap/3.0.1/shacl"),
    )
    .unwrap();
    let mut seen: BTreeMap<String, usize> = BTreeMap::new();
    let mut next = Some(format!("{server}/catalog.ttl?page_size=5"));
    let mut pages = 0;
    while let Some(url) = next.take() {
        let (status, content_type, body) = fetch(&url, None).await;
        assert_eq!(status, 200, "{url}");
        // The charset is named (python-requests reads an unnamed one as ISO-8859-1).
        assert_eq!(content_type, "text/turtle; charset=utf-8");
        let triples = parse(&body, RdfFormat::Turtle);
        pages += 1;
        // Each triple once, shared publishers and file types included.
        let distinct: BTreeSet<String> = triples.iter().map(ToString::to_string).collect();
        assert_eq!(distinct.len(), triples.len(), "{url}: repeated triples");
        // The page is named by the URL asked for (under base_iri): Comunica follows the Hydra
        // links of that page only.
        let requested = url.replacen(&server, crate::support::BASE_IRI, 1);
        assert_eq!(
            objects(&triples, &format!("{HYDRA}view")),
            [requested],
            "{url}"
        );
        let datasets: BTreeSet<String> = triples
            .iter()
            .filter(|t| {
                t.predicate.as_str() == format!("{DCAT}dataset")
                    && matches!(&t.subject, NamedOrBlankNode::NamedNode(n) if n.as_str() == "http://fedcat.test/id/catalog")
            })
            .filter_map(|t| match &t.object {
                Term::NamedNode(n) => Some(n.as_str().to_owned()),
                _ => None,
            })
            .collect();
        assert!(datasets.len() <= 5);
        for dataset in &datasets {
            *seen.entry(dataset.clone()).or_default() += 1;
            assert!(
                triples.iter().any(|t| t.predicate.as_str() == "http://purl.org/dc/terms/identifier"
                    && matches!(&t.subject, NamedOrBlankNode::NamedNode(n) if n.as_str() == dataset)),
                "{dataset} has no dct:identifier"
            );
        }
        let new_style = objects(&triples, &format!("{HYDRA}next"));
        let old_style = objects(&triples, &format!("{HYDRA}nextPage"));
        assert_eq!(new_style, old_style);
        assert_eq!(
            objects(&triples, &format!("{HYDRA}view")).len(),
            1,
            "the catalogue points to its page"
        );
        // Every page conforms to the DCAT-AP 3.0.1 core shapes (these sources have the
        // mandatory fields).
        let report = shapes
            .validate_records([(url.clone(), triples.clone())])
            .unwrap();
        let violations: Vec<_> = report[0]
            .violations
            .iter()
            .filter(|v| v.severity == "Violation")
            .collect();
        assert!(violations.is_empty(), "{url}: {violations:#?}");
        // Page links are under base_iri, the public name (never the request's Host); this
        // server listens on another address.
        next = new_style.into_iter().next().map(|link| {
            let rest = link
                .strip_prefix(crate::support::BASE_IRI)
                .unwrap_or_else(|| panic!("{link} is not under base_iri"));
            format!("{server}{rest}")
        });
        assert!(pages <= 10, "paging does not end");
    }
    assert_eq!(pages, 5, "22 datasets by 5");
    // Links keep the format, every parameter and their order; only `page` changes.
    let (_, _, body) = fetch(
        &format!("{server}/catalog.nt?page=2&page_size=5&utm_source=x"),
        None,
    )
    .await;
    let triples = parse(&body, RdfFormat::NTriples);
    let base = crate::support::BASE_IRI;
    assert_eq!(
        objects(&triples, &format!("{HYDRA}view")),
        [format!("{base}/catalog.nt?page=2&page_size=5&utm_source=x")]
    );
    assert_eq!(
        objects(&triples, &format!("{HYDRA}next")),
        [format!("{base}/catalog.nt?page=3&page_size=5&utm_source=x")]
    );
    assert_eq!(
        objects(&triples, &format!("{HYDRA}first")),
        [format!("{base}/catalog.nt?page=1&page_size=5&utm_source=x")]
    );
    assert_eq!(seen.len(), 22);
    assert!(seen.values().all(|n| *n == 1), "{seen:?}");

    // Every format parses and holds the same datasets; /catalog negotiates.
    let first: Vec<String> = {
        let (_, _, body) = fetch(&format!("{server}/catalog.nt?page_size=50"), None).await;
        let mut d = objects(
            &parse(&body, RdfFormat::NTriples),
            &format!("{DCAT}dataset"),
        );
        d.sort();
        d.dedup();
        d
    };
    assert_eq!(first.len(), 22);
    for (path, accept, format, media) in [
        (
            "/catalog.rdf",
            None,
            RdfFormat::RdfXml,
            "application/rdf+xml",
        ),
        (
            "/catalog.jsonld",
            None,
            RdfFormat::JsonLd {
                profile: Default::default(),
            },
            "application/ld+json",
        ),
        (
            "/catalog",
            Some("application/ld+json"),
            RdfFormat::JsonLd {
                profile: Default::default(),
            },
            "application/ld+json",
        ),
        (
            "/catalog",
            None,
            RdfFormat::Turtle,
            "text/turtle; charset=utf-8",
        ),
    ] {
        let (status, content_type, body) =
            fetch(&format!("{server}{path}?page_size=50"), accept).await;
        assert_eq!((status, content_type.as_str()), (200, media), "{path}");
        let mut datasets = objects(&parse(&body, format), &format!("{DCAT}dataset"));
        datasets.sort();
        datasets.dedup();
        assert_eq!(datasets, first, "{path}");
    }
    let (status, ..) = fetch(&format!("{server}/catalog"), Some("image/png")).await;
    assert_eq!(status, 406);

    // Filters: a publisher, a modification date; bad parameters are 400.
    let (_, _, body) = fetch(
        &format!("{server}/catalog.nt?page_size=50&modified_since=2999-01-01"),
        None,
    )
    .await;
    assert!(
        objects(
            &parse(&body, RdfFormat::NTriples),
            &format!("{DCAT}dataset")
        )
        .is_empty()
    );
    let (_, _, body) = fetch(
        &format!("{server}/catalog.nt?page_size=50&publisher=Sant%C3%A9%20publique%20France"),
        None,
    )
    .await;
    let mut by_publisher = objects(
        &parse(&body, RdfFormat::NTriples),
        &format!("{DCAT}dataset"),
    );
    by_publisher.sort();
    by_publisher.dedup();
    assert_eq!(
        by_publisher.len(),
        1,
        "one dataset of the fixture is Santé publique France's"
    );
    for bad in ["page_size=5000", "page=0", "modified_since=soon"] {
        let (status, content_type, _) = fetch(&format!("{server}/catalog.ttl?{bad}"), None).await;
        assert_eq!(
            (status, content_type.as_str()),
            (400, "application/problem+json"),
            "{bad}"
        );
    }

    // One dataset in each format.
    let key = ckan_packages("ckan/extracted/datasud.fr_package_search_snapshot__00.json")[0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let (status, content_type, body) =
        fetch(&format!("{server}/dataset/datasud/{key}.ttl"), None).await;
    assert_eq!(
        (status, content_type.as_str()),
        (200, "text/turtle; charset=utf-8")
    );
    assert!(!parse(&body, RdfFormat::Turtle).is_empty());
    let (status, ..) = fetch(&format!("{server}/dataset/datasud/nope.ttl"), None).await;
    assert_eq!(status, 404);
}

/// Every IRI fedcat mints dereferences: its description in the format asked for, a dataset's
/// web page for a browser, 404 for what fedcat does not hold (udata's DCAT harvester
/// dereferences the `dct:temporal` period IRIs and lost 76 coverages on a 404).
#[tokio::test(flavor = "multi_thread")]
async fn minted_iris_dereference() {
    let (_portal, deployment, catalog) = crate::support::harvested_datasud_and_spf2025().await;
    let server = deployment.serve(&catalog).await;
    let base = crate::support::BASE_IRI;
    let (_, _, body) = fetch(&format!("{server}/catalog.nt?page_size=50"), None).await;
    let triples = parse(&body, RdfFormat::NTriples);
    let minted = |kind: &str| {
        let mut found: Vec<String> = triples
            .iter()
            .flat_map(|t| [t.subject.to_string(), t.object.to_string()])
            .filter_map(|n| {
                n.strip_prefix('<')
                    .and_then(|n| n.strip_suffix('>'))
                    .map(str::to_owned)
            })
            .filter(|n| n.starts_with(&format!("{base}/id/{kind}/")))
            .collect();
        found.sort();
        found.dedup();
        found
    };
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    for kind in ["dataset", "distribution", "period", "contact"] {
        let iris = minted(kind);
        assert!(!iris.is_empty(), "no minted {kind} IRI in the export");
        for minted_iri in iris.iter().take(3) {
            let url = minted_iri.replacen(base, &server, 1);
            let response = client
                .get(&url)
                .header("Accept", "application/n-triples")
                .send()
                .await
                .unwrap();
            assert_eq!(response.status(), 200, "{url}");
            assert_eq!(
                response.headers()["content-type"],
                "application/n-triples; charset=utf-8"
            );
            let described = parse(&response.bytes().await.unwrap(), RdfFormat::NTriples);
            assert!(
                described
                    .iter()
                    .any(|t| t.subject.to_string() == format!("<{minted_iri}>")),
                "{url} does not describe itself"
            );
            let head = client.head(&url).send().await.unwrap();
            assert_eq!(head.status(), 200, "HEAD {url}");
        }
    }
    // A period keeps its dates (what udata reads for the temporal coverage).
    let period = minted("period")[0].replacen(base, &server, 1);
    let (status, content_type, body) = fetch(&period, None).await;
    assert_eq!(
        (status, content_type.as_str()),
        (200, "text/turtle; charset=utf-8")
    );
    let described = parse(&body, RdfFormat::Turtle);
    assert!(
        described
            .iter()
            .any(|t| t.predicate.as_str() == format!("{DCAT}startDate")),
        "{}",
        String::from_utf8_lossy(&body)
    );
    // A browser is sent to the dataset's page; the catalogue IRI to the export.
    let dataset = minted("dataset")[0].replacen(base, &server, 1);
    let response = client
        .get(&dataset)
        .header("Accept", "text/html,application/xhtml+xml,*/*;q=0.8")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 303, "{dataset}");
    let location = response.headers()["location"].to_str().unwrap().to_owned();
    assert!(location.starts_with("/datasets/"), "{location}");
    let page = reqwest::get(format!("{server}{location}")).await.unwrap();
    assert_eq!(page.status(), 200, "{location}");
    let response = client
        .get(format!("{server}/id/catalog"))
        .send()
        .await
        .unwrap();
    assert_eq!(
        (
            response.status().as_u16(),
            response.headers()["location"].to_str().unwrap()
        ),
        (303, "/catalog")
    );
    // What fedcat does not hold is 404.
    for missing in ["/id/dataset/datasud/nope", "/id/period/x/y", "/id/"] {
        let (status, ..) = fetch(&format!("{server}{missing}"), None).await;
        assert_eq!(status, 404, "{missing}");
    }
}
