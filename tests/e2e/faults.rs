//! One fault class at a time on the second page of a CKAN listing that was harvested cleanly
//! before: each job must end (never stuck), record an error naming the page and the cause, and
//! leave every record harvested before in place, byte for byte (same content hash), with
//! nothing deleted.

use crate::fake_portal::{FakePortal, Fault, ckan_packages};
use crate::support::{Deployment, select, source_toml};
use fedcat_catalog::JobStatus;
use std::collections::BTreeMap;
use std::time::{Duration, Instant};

/// Content hash of every stored record graph, by graph.
async fn hashes(server: &str) -> BTreeMap<String, String> {
    select(
        server,
        "PREFIX fc: <https://w3id.org/fedcat/ns#> SELECT ?g ?h WHERE { ?g fc:contentHash ?h }",
    )
    .await
    .iter()
    .map(|row| {
        (
            row["g"]["value"].as_str().unwrap().to_owned(),
            row["h"]["value"].as_str().unwrap().to_owned(),
        )
    })
    .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn every_fault_ends_the_page_cleanly_and_loses_nothing() {
    let portal = FakePortal::start().await;
    let url = portal.add_ckan(
        "datasud",
        ckan_packages("ckan/extracted/datasud.fr_package_search_snapshot__00.json"),
    );
    let deployment = Deployment::with_http(
        &source_toml("datasud", "ckan", &url, "page_size = 3"),
        // One attempt except where a fault is about retrying; a short timeout and a small cap so
        // the slow and endless faults end fast.
        "max_attempts = 1\ntimeout_secs = 2\nmax_body_bytes = 1000000\nmax_redirects = 3\n",
        "",
    );
    let catalog = deployment.open().await;
    let server = deployment.serve(&catalog).await;
    let first = deployment.harvest(&catalog, "datasud").await;
    assert_eq!(
        (first.status, first.counts.added),
        (JobStatus::Succeeded, 7)
    );
    let before = hashes(&server).await;
    assert_eq!(before.len(), 7);

    let cases: [(&str, Fault, &[&str]); 7] = [
        (
            "connection reset",
            Fault::ConnectionReset,
            &["start=3", "connection closed before message completed"],
        ),
        (
            "slower than the timeout",
            Fault::Slow(Duration::from_secs(5)),
            &["start=3", "timed out"],
        ),
        (
            "truncated JSON",
            Fault::TruncatedJson,
            &["start=3", "cannot parse"],
        ),
        (
            "HTML with status 200",
            Fault::HtmlMaintenance,
            &["start=3", "HTML"],
        ),
        (
            "endless body",
            Fault::Endless,
            &["start=3", "exceeds the limit of 1000000 bytes"],
        ),
        (
            "redirect loop",
            Fault::RedirectLoop,
            &["start=3", "redirect loop"],
        ),
        (
            "invalid UTF-8",
            Fault::InvalidUtf8,
            &["start=3", "cannot parse", "unicode"],
        ),
    ];
    for (name, fault, expected) in cases {
        portal.fault_ckan_page("datasud", 3, Some(fault));
        let started = Instant::now();
        let report = deployment.harvest(&catalog, "datasud").await;
        let took = started.elapsed();
        portal.fault_ckan_page("datasud", 3, None);
        assert_eq!(report.status, JobStatus::Partial, "{name}: {report:?}");
        assert_eq!(report.counts.deleted, 0, "{name}");
        assert!(took < Duration::from_secs(15), "{name} took {took:?}");
        let errors = catalog.jobs().job_errors(report.job_id).await.unwrap();
        let page_errors: Vec<String> = errors
            .iter()
            .filter(|e| e.kind == "page")
            .map(|e| format!("{} {}", e.url.clone().unwrap_or_default(), e.message))
            .collect();
        eprintln!("{name}: {page_errors:?}");
        assert_eq!(page_errors.len(), 1, "{name}: {errors:?}");
        for needle in expected {
            assert!(
                page_errors[0].contains(needle),
                "{name}: {needle:?} not in {page_errors:?}"
            );
        }
        assert_eq!(
            hashes(&server).await,
            before,
            "{name}: stored records changed"
        );
    }

    // Errors are kept for `[harvest] keep_errors_days`, then pruned.
    assert_eq!(catalog.jobs().prune_job_errors(90).await.unwrap(), 0);
    assert_eq!(catalog.jobs().prune_job_errors(0).await.unwrap(), 7);
    assert!(
        catalog
            .jobs()
            .job_errors(first.job_id + 1)
            .await
            .unwrap()
            .is_empty()
    );

    // 429 with Retry-After, then the page: retried, nothing lost, the job succeeds.
    let retrying = Deployment::with_http(
        &source_toml("datasud", "ckan", &url, "page_size = 3"),
        "max_attempts = 3\nretry_base_millis = 10\ntimeout_secs = 20\n",
        "",
    );
    let catalog = retrying.open().await;
    portal.fault_ckan_page(
        "datasud",
        3,
        Some(Fault::TooManyRequests {
            times: 1,
            seconds: 1,
        }),
    );
    let started = Instant::now();
    let report = retrying.harvest(&catalog, "datasud").await;
    assert_eq!(
        (report.status, report.counts.added),
        (JobStatus::Succeeded, 7),
        "{report:?}"
    );
    // The client waited what the server asked.
    assert!(started.elapsed() >= Duration::from_secs(1));
    assert_eq!(
        portal
            .requests()
            .iter()
            .filter(|r| r.ends_with("/429"))
            .count(),
        1
    );

    // A page that keeps failing records how many times it was asked.
    portal.fault_ckan_page(
        "datasud",
        3,
        Some(Fault::TooManyRequests {
            times: 10,
            seconds: 0,
        }),
    );
    let report = retrying.harvest(&catalog, "datasud").await;
    portal.fault_ckan_page("datasud", 3, None);
    let errors = catalog.jobs().job_errors(report.job_id).await.unwrap();
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert_eq!(errors[0].attempts, Some(3));
    assert!(errors[0].message.contains("429"), "{}", errors[0].message);
}

/// RDF faults on the second page of a Hydra-paged DCAT catalogue harvested cleanly before: an
/// XML entity-expansion bomb and malformed Turtle. The page fails with its URL and the cause,
/// the listing is incomplete so nothing is deleted, and stored records keep their hashes.
#[tokio::test(flavor = "multi_thread")]
async fn rdf_faults_fail_their_page_only() {
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
    let deployment = Deployment::new(&source_toml("demo", "dcat", &url, ""), "");
    let catalog = deployment.open().await;
    let server = deployment.serve(&catalog).await;
    let first = deployment.harvest(&catalog, "demo").await;
    assert_eq!(
        (first.status, first.counts.added),
        (JobStatus::Succeeded, 100)
    );
    let before = hashes(&server).await;

    // "Billion laughs": nested entities that would expand to gigabytes.
    let mut bomb = String::from(
        "<?xml version=\"1.0\"?>\n<!DOCTYPE rdf:RDF [\n<!ENTITY a \"hahahahahahahahahaha\">\n",
    );
    for level in 1..10 {
        let previous = (b'a' + level - 1) as char;
        let refs = format!("&{previous};").repeat(10);
        bomb.push_str(&format!(
            "<!ENTITY {} \"{refs}\">\n",
            (b'a' + level) as char
        ));
    }
    bomb.push_str("]>\n<rdf:RDF xmlns:rdf=\"http://www.w3.org/1999/02/22-rdf-syntax-ns#\" xmlns:dct=\"http://purl.org/dc/terms/\"><rdf:Description rdf:about=\"http://x.test/d\"><dct:title>&j;</dct:title></rdf:Description></rdf:RDF>\n");
    let malformed_turtle = b"@prefix dcat: <http://www.w3.org/ns/dcat#> .\n<http://x.test/d> a dcat:Dataset ;\n  dcat:keyword \"unterminated .\n".to_vec();
    for (name, content_type, body) in [
        ("entity bomb", "application/rdf+xml", bomb.into_bytes()),
        ("malformed Turtle", "text/turtle", malformed_turtle),
    ] {
        portal.override_dcat_page("demo", 2, Some((content_type, body)));
        let started = Instant::now();
        let report = deployment.harvest(&catalog, "demo").await;
        portal.override_dcat_page("demo", 2, None);
        assert!(started.elapsed() < Duration::from_secs(15), "{name}");
        assert_eq!(report.status, JobStatus::Partial, "{name}: {report:?}");
        assert_eq!(report.counts.deleted, 0, "{name}");
        let errors = catalog.jobs().job_errors(report.job_id).await.unwrap();
        let page: Vec<&fedcat_catalog::JobErrorRow> =
            errors.iter().filter(|e| e.kind == "page").collect();
        eprintln!("{name}: {page:?}");
        assert_eq!(page.len(), 1, "{name}: {errors:?}");
        assert!(
            page[0]
                .url
                .as_deref()
                .unwrap()
                .ends_with("/dcat/demo/page/2"),
            "{name}"
        );
        assert!(
            page[0].message.contains("cannot parse"),
            "{name}: {}",
            page[0].message
        );
        assert_eq!(
            hashes(&server).await,
            before,
            "{name}: stored records changed"
        );
    }
}

/// Two sources on one host share its rate limit: their requests, counted at the portal, are
/// spaced by the host's period even when both jobs run at once.
#[tokio::test(flavor = "multi_thread")]
async fn sources_on_one_host_share_its_rate_limit() {
    let portal = FakePortal::start().await;
    let packages = ckan_packages("ckan/extracted/datasud.fr_package_search_snapshot__00.json");
    let first = portal.add_ckan("one", packages.clone());
    let second = portal.add_ckan("two", packages);
    let sources = [
        source_toml(
            "one",
            "ckan",
            &first,
            "page_size = 2\nrate_limit_per_sec = 5",
        ),
        source_toml(
            "two",
            "ckan",
            &second,
            "page_size = 2\nrate_limit_per_sec = 5",
        ),
    ]
    .concat();
    let deployment = Deployment::new(&sources, "");
    let catalog = deployment.open().await;
    let client = fedcat::harvest::http_client(&deployment.config).unwrap();
    let run = |id: &'static str| {
        let source = deployment.config.sources.get(id).unwrap();
        fedcat::harvest::harvest_one(
            source,
            &client,
            &catalog,
            &deployment.config.vocabularies,
            &deployment.config.harvest,
            &|_| {},
        )
    };
    let (one, two) = tokio::join!(run("one"), run("two"));
    assert_eq!(one.unwrap().counts.added, 7);
    assert_eq!(two.unwrap().counts.added, 7);
    let times = portal.ckan_request_times();
    // 4 pages per source; 5 requests per second for the host, whoever sends them.
    assert_eq!(times.len(), 8);
    let span = times.last().unwrap().duration_since(times[0]);
    assert!(
        span >= Duration::from_millis(7 * 200 * 9 / 10),
        "8 requests at 5/s on one host took only {span:?}"
    );
    for pair in times.windows(2) {
        assert!(
            pair[1].duration_since(pair[0]) >= Duration::from_millis(150),
            "two requests {:?} apart",
            pair[1].duration_since(pair[0])
        );
    }
}
