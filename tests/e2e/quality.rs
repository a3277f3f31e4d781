//! Quality over the stored records: link checks feeding MQA's URL metrics, the indicators kept
//! as a time series after each run, and `/api/indicators` (JSON, CSV, filters).

use crate::fake_portal::{FakePortal, ckan_packages};
use crate::support::{Deployment, source_toml};
use fedcat_harvester::linkcheck::{LinkCheckSettings, LinkChecker};
use serde_json::Value;
use std::time::Duration;

const DATASUD: &str = "ckan/extracted/datasud.fr_package_search_snapshot__00.json";

#[tokio::test(flavor = "multi_thread")]
async fn link_checks_feed_the_url_metrics_and_indicators_are_kept_over_time() {
    let portal = FakePortal::start().await;
    // One real package whose three resources point to the fake portal: two recorded files and
    // one path that does not exist.
    let mut package = ckan_packages(DATASUD).remove(0);
    let urls = [
        portal.file_url("ckan/demo.ckan.org_package_show_1.json"),
        portal.file_url("x").replace("/files/x", "/no-such-route"),
        portal.file_url("ckan/demo.ckan.org_package_show_2.json"),
    ];
    for (resource, url) in package["resources"]
        .as_array_mut()
        .unwrap()
        .iter_mut()
        .zip(&urls)
    {
        resource["url"] = Value::from(url.clone());
    }
    let local = portal.add_ckan("local", vec![package]);
    let datasud = portal.add_ckan("datasud", ckan_packages(DATASUD));
    let deployment = Deployment::new(
        &format!(
            "{}{}",
            source_toml("local", "ckan", &local, ""),
            source_toml("datasud", "ckan", &datasud, "")
        ),
        "",
    );
    let catalog = deployment.open().await;
    deployment.harvest(&catalog, "local").await;
    deployment.harvest(&catalog, "datasud").await;
    let before =
        fedcat_domain::quality::snapshot_source(&deployment.config.domain(), &catalog, "local")
            .await
            .unwrap()
            .indicators;
    assert_eq!(before.working_links_share, None, "nothing checked yet");
    assert!(before.not_measured.contains(&"M5"));

    let checker = LinkChecker::new(LinkCheckSettings {
        timeout: Duration::from_secs(5),
        allow_private_targets: true,
        ..LinkCheckSettings::default()
    })
    .unwrap();
    let recheck_after = chrono::Duration::hours(24);
    let budget = Some(1 << 20);
    let run = fedcat_domain::quality::check_source_links(
        &catalog,
        &checker,
        "local",
        recheck_after,
        budget,
        &|_| {},
    )
    .await
    .unwrap();
    // The three resources and the landing page (the fake portal has no dataset pages: 404);
    // the two files that answered are downloaded.
    assert_eq!(
        (run.checked, run.ok, run.skipped, run.downloaded),
        (4, 2, 0, 2)
    );
    let samples = catalog.quality_state().file_samples().await.unwrap();
    let fixture = crate::fake_portal::fixture_path("ckan/demo.ckan.org_package_show_1.json");
    let (_, sample) = &samples[&urls[0]];
    assert_eq!(sample.sniffed.as_deref(), Some("JSON"));
    assert_eq!(sample.syntax_valid, Some(true));
    assert!(sample.complete);
    assert_eq!(
        sample.bytes_read,
        std::fs::metadata(&fixture).unwrap().len()
    );
    assert!(!samples.contains_key(&urls[1]), "a 404 is not downloaded");
    // Checked within the day: not checked again.
    let again = fedcat_domain::quality::check_source_links(
        &catalog,
        &checker,
        "local",
        recheck_after,
        budget,
        &|_| {},
    )
    .await
    .unwrap();
    assert_eq!((again.checked, again.skipped, again.downloaded), (0, 4, 0));

    let after =
        fedcat_domain::quality::snapshot_source(&deployment.config.domain(), &catalog, "local")
            .await
            .unwrap()
            .indicators;
    assert_eq!(after.datasets, 1);
    assert_eq!(after.distributions, 3);
    assert_eq!(after.working_links_share, Some(2.0 / 3.0));
    // Availability over time (one check each so far) and the status-code histogram.
    assert_eq!(after.available_share, Some(2.0 / 3.0));
    assert!((after.mean_uptime.unwrap() - 2.0 / 3.0).abs() < 1e-9);
    let access: Vec<(u16, usize)> = after.status_codes["access_url"]
        .iter()
        .map(|(code, n)| (*code, *n))
        .collect();
    assert_eq!(access, vec![(200, 2), (404, 1)]);
    // The zipped shapefile has a download URL; the WMS and WFS services only access URLs.
    assert!((after.metric_shares["M6"] - 1.0 / 3.0).abs() < 1e-9);
    assert!(!after.not_measured.contains(&"M5"), "{after:?}");
    // The working access URL earns MQA's 50 points the unchecked record lacked.
    assert!(
        after.mqa_mean >= before.mqa_mean + 50.0,
        "{before:?} {after:?}"
    );
    fedcat_domain::quality::snapshot_source(&deployment.config.domain(), &catalog, "datasud")
        .await
        .unwrap();

    // The time series over HTTP.
    let server = deployment.serve(&catalog).await;
    let get = |query: &str| {
        let url = format!("{server}/api/indicators{query}");
        async move { reqwest::get(url).await.unwrap() }
    };
    let json = |response: reqwest::Response| async move {
        serde_json::from_str::<Value>(&response.text().await.unwrap()).unwrap()
    };
    let all = json(get("").await).await;
    let snapshots = all["indicators"].as_array().unwrap();
    assert_eq!(snapshots.len(), 3);
    let local_rows: Vec<&Value> = snapshots
        .iter()
        .filter(|s| s["producer"] == "local")
        .collect();
    assert_eq!(local_rows.len(), 2);
    assert!(local_rows[0]["taken_at"].as_str() <= local_rows[1]["taken_at"].as_str());
    assert_eq!(local_rows[1]["datasets"], 1);
    let datasud_rows = json(get("?producer=datasud").await).await;
    assert_eq!(datasud_rows["indicators"].as_array().unwrap().len(), 1);
    assert_eq!(datasud_rows["indicators"][0]["datasets"], 7);
    let future = json(get("?from=2999-01-01").await).await;
    assert!(future["indicators"].as_array().unwrap().is_empty());
    let csv = get("?producer=local&format=csv").await;
    assert_eq!(csv.headers()["content-type"], "text/csv; charset=utf-8");
    let csv = csv.text().await.unwrap();
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(lines.len(), 3, "{csv}");
    assert!(lines[0].starts_with("producer,publisher,taken_at,datasets,distributions,mqa_mean"));
    assert!(lines[2].starts_with("local,"), "{csv}");
    // Per publisher within a source.
    let publisher: String = url::form_urlencoded::byte_serialize(
        "Communauté d'Agglomération de Gap-Tallard-Durance".as_bytes(),
    )
    .collect();
    let by_publisher = json(get(&format!("?producer=datasud&publisher={publisher}")).await).await;
    let rows = by_publisher["indicators"].as_array().unwrap();
    assert_eq!(rows.len(), 1, "{by_publisher}");
    assert_eq!(rows[0]["datasets"], 7);
    assert_eq!(
        rows[0]["publisher"],
        "Communauté d'Agglomération de Gap-Tallard-Durance"
    );
    let unknown = get("?producer=nope").await;
    assert_eq!(unknown.status(), 404);

    // The assessment in DQV, one graph per record, replaced at each assessment; the metric
    // definitions beside it.
    let scores = crate::support::select(
        &server,
        "PREFIX dqv: <http://www.w3.org/ns/dqv#>
         SELECT ?g ?value WHERE { GRAPH ?g { ?d dqv:hasQualityMeasurement ?m .
           ?m dqv:isMeasurementOf <https://piveau.eu/ns/voc#scoring> ; dqv:value ?value } }",
    )
    .await;
    let local: Vec<&Value> = scores
        .iter()
        .filter(|r| {
            r["g"]["value"]
                .as_str()
                .unwrap()
                .starts_with("http://fedcat.test/graph/quality/local/")
        })
        .collect();
    assert_eq!(
        local.len(),
        1,
        "one assessment per record, the old one replaced"
    );
    assert_eq!(
        local[0]["value"]["value"]
            .as_str()
            .unwrap()
            .parse::<f64>()
            .unwrap(),
        after.mqa_mean
    );
    // The downloaded files in DQV: both parse (E11), neither is what its resource declares
    // (a zipped shapefile and a WFS service, served JSON: E10 false).
    let file_metric = |metric: &str, value: bool| {
        format!(
            "SELECT (COUNT(?m) AS ?n) WHERE {{ GRAPH ?g {{
               ?m <http://www.w3.org/ns/dqv#isMeasurementOf> <https://piveau.eu/ns/voc#{metric}> ;
                  <http://www.w3.org/ns/dqv#value> {value} }}
               FILTER(STRSTARTS(STR(?g), \"http://fedcat.test/graph/quality/local/\")) }}"
        )
    };
    assert_eq!(
        crate::support::count(&server, &file_metric("syntaxValid", true)).await,
        2
    );
    assert_eq!(
        crate::support::count(&server, &file_metric("formatMatch", false)).await,
        2
    );
    assert_eq!(
        crate::support::count(&server, &file_metric("formatMatch", true)).await,
        0
    );
    let definitions = crate::support::count(
        &server,
        "SELECT (COUNT(?m) AS ?n) WHERE { GRAPH <http://fedcat.test/graph/quality-metrics> {
           ?m a <http://www.w3.org/ns/dqv#Metric> } }",
    )
    .await;
    assert_eq!(
        definitions as usize,
        fedcat_catalog::quality::metrics::ALL.len()
    );
}

/// The work of a snapshot is proportional to change (issue 18): the real datasud packages are
/// harvested and assessed; a second snapshot assesses nothing and finds the same indicators; one
/// package edited on the portal (its title, as a producer would) is the one record assessed
/// again, and the indicators computed from the kept per-record memos equal those of assessing
/// every record from scratch; a package removed from the portal loses its assessment graph.
#[tokio::test(flavor = "multi_thread")]
async fn a_snapshot_assesses_only_what_changed_and_its_indicators_match_a_full_assessment() {
    let portal = FakePortal::start().await;
    let packages = ckan_packages(DATASUD);
    let datasud = portal.add_ckan("datasud", packages.clone());
    let deployment = Deployment::new(&source_toml("datasud", "ckan", &datasud, ""), "");
    let catalog = deployment.open().await;
    let config = deployment.config.domain();
    let snapshot = || fedcat_domain::quality::snapshot_source(&config, &catalog, "datasud");

    deployment.harvest(&catalog, "datasud").await;
    let first = snapshot().await.unwrap();
    assert_eq!(first.records, packages.len());
    assert_eq!((first.assessed, first.forgotten), (packages.len(), 0));
    assert_eq!(first.indicators.datasets, packages.len());

    let again = snapshot().await.unwrap();
    assert_eq!(again.assessed, 0, "nothing changed");
    assert_eq!(again.indicators, first.indicators);

    let edited = packages[1]["id"].as_str().unwrap().to_owned();
    portal.edit_ckan_package("datasud", &edited, |package| {
        package["title"] = Value::from("Déchetteries (mise à jour)");
        package["notes"] = Value::Null;
    });
    deployment.harvest(&catalog, "datasud").await;
    let after_edit = snapshot().await.unwrap();
    assert_eq!(after_edit.assessed, 1);
    let facts = fedcat_domain::quality::facts(&deployment.config.vocabularies);
    let shapes = fedcat_domain::quality::ShapeSets::load(&config).unwrap();
    let links = fedcat_domain::quality::link_checks(&catalog).await.unwrap();
    let assessor = fedcat_domain::quality::Assessor {
        facts: &facts,
        shapes: &shapes,
        table: &config.score_table,
        links: &links,
        today: chrono::Utc::now().date_naive(),
        strict_head: config.strict_head,
    };
    let from_scratch = fedcat_domain::quality::indicators(
        &fedcat_domain::quality::assess_source(
            catalog.graphs(),
            catalog.iris(),
            "datasud",
            &assessor,
        )
        .unwrap(),
    );
    assert_eq!(after_edit.indicators, from_scratch);
    assert_ne!(
        after_edit.indicators, first.indicators,
        "the description dropped changes a score"
    );

    let removed = packages[2]["id"].as_str().unwrap().to_owned();
    portal.remove_ckan_package("datasud", &removed);
    deployment.harvest(&catalog, "datasud").await;
    let after_removal = snapshot().await.unwrap();
    assert_eq!(
        (after_removal.assessed, after_removal.forgotten),
        (0, 1),
        "{after_removal:?}"
    );
    assert_eq!(after_removal.indicators.datasets, packages.len() - 1);
    let graph = catalog.iris().quality_graph("datasud", &removed);
    assert!(
        catalog
            .graphs()
            .graph_triples(graph.as_ref())
            .unwrap()
            .is_empty()
    );
}
