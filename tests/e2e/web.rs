//! The web pages over real records (datasud.fr, data.gouv.fr's copies of it, 15 data.gouv.fr
//! datasets), harvested, linked, scored twice and indexed: the search page with facets, paging
//! and duplicates, the dataset page, the indicators dashboard with a chart point per snapshot
//! and producer, the harvest status, French by default and English on request.

use crate::fake_portal::{FakePortal, ckan_packages, udata_database_datasets, udata_datasets};
use crate::support::{Deployment, source_toml};

const ADMIN_TOKEN: &str = "web-test-admin-token-0123456789";

async fn page(server: &str, path: &str) -> (u16, String) {
    let response = reqwest::get(format!("{server}{path}")).await.unwrap();
    let status = response.status().as_u16();
    let content_type = response.headers()["content-type"].clone();
    let body = response.text().await.unwrap();
    if status != 404 {
        assert_eq!(content_type, "text/html; charset=utf-8", "{path}: {body}");
    }
    (status, body)
}

/// An attribute value as a browser reads it (the templates escape `/` and `&`).
fn unescape(text: &str) -> String {
    text.replace("&#x2f;", "/").replace("&amp;", "&")
}

fn between<'a>(text: &'a str, start: &str, end: &str) -> &'a str {
    let from = text.find(start).unwrap_or_else(|| panic!("no {start:?}")) + start.len();
    let to = text[from..].find(end).unwrap() + from;
    &text[from..to]
}

/// The three sources harvested, linked, scored twice and indexed, served on loopback; the
/// deployment is returned to keep its directory alive.
async fn served() -> (String, Deployment) {
    let portal = FakePortal::start().await;
    let sources = [
        source_toml(
            "datasud",
            "ckan",
            &portal.add_ckan(
                "datasud",
                ckan_packages("ckan/extracted/datasud.fr_package_search_snapshot__00.json"),
            ),
            "priority = 10",
        ),
        source_toml(
            "datagouv",
            "udata",
            &portal.add_udata(
                "datagouv",
                udata_database_datasets("ckan/datasud.fr_package_search_snapshot.json"),
            ),
            "priority = 5",
        ),
        source_toml(
            "spf2025",
            "udata",
            &portal.add_udata(
                "spf2025",
                udata_datasets("udata/datagouv_fixture_results_15datasets.json"),
            ),
            "",
        ),
    ]
    .concat();
    let dcat_ap =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/shacl/dcat-ap/3.0.1");
    let deployment = Deployment::new(
        &sources,
        &format!(
            "[shacl]\nshapes_dir = \"{}\"\nrecommended_shapes = \"{}\"\n[admin]\ntoken = \"{ADMIN_TOKEN}\"\n",
            dcat_ap.join("shacl").display(),
            dcat_ap.join("html/shacl/shapes_recommended.ttl").display(),
        ),
    );
    let catalog = deployment.open().await;
    for source in ["datasud", "datagouv", "spf2025"] {
        deployment.harvest(&catalog, source).await;
    }
    catalog
        .link_duplicates(&deployment.config.dedup_options(), &|_| {})
        .await
        .unwrap();
    // Two snapshots per producer: two points on each line of the chart.
    for _ in 0..2 {
        for source in ["datasud", "datagouv", "spf2025"] {
            fedcat_domain::quality::snapshot_source(&deployment.config.domain(), &catalog, source)
                .await
                .unwrap();
        }
    }
    let (server, _index) = deployment.serve_indexed(&catalog).await;
    (server, deployment)
}

#[tokio::test(flavor = "multi_thread")]
async fn pages_render_search_datasets_indicators_and_sources() {
    let (server, _deployment) = served().await;

    // Search: French by default, one card per cluster (7 + 15), a facet narrowing the count.
    let (status, home) = page(&server, "/").await;
    assert_eq!(status, 200);
    assert!(home.contains("<html lang=\"fr\">"));
    assert!(home.contains("Rechercher"));
    assert_eq!(
        between(&home, "<p id=\"total\"><strong>", "</strong>"),
        "22"
    );
    assert!(home.contains("Aussi publié sur"), "duplicates are shown");
    let facet = between(&home, "<h2>Producteur</h2>", "</ul>");
    let link = unescape(between(facet, "<a href=\"", "\""));
    let count: u64 = between(facet, "</a> (", ")").parse().unwrap();
    let (_, narrowed) = page(&server, &link).await;
    assert_eq!(
        between(&narrowed, "<p id=\"total\"><strong>", "</strong>"),
        count.to_string()
    );
    assert!(narrowed.contains("retirer le filtre"));
    let (_, paged) = page(&server, "/?page_size=5&page=2").await;
    assert!(paged.contains("rel=\"prev\"") && paged.contains("rel=\"next\""));
    // English on request, every label switched.
    let (_, english) = page(&server, "/?lang=en").await;
    assert!(english.contains("<html lang=\"en\">"));
    assert!(english.contains(">Search<") && english.contains("Also published at"));
    assert!(!english.contains("Rechercher"));

    // A dataset page: distributions, quality by dimension, duplicates, provenance, RDF links.
    let first = unescape(between(&home, "<h2><a href=\"/datasets/", "?"));
    let (status, dataset) = page(&server, &format!("/datasets/{first}")).await;
    assert_eq!(status, 200);
    assert!(dataset.contains("<h2 id=\"h-dist\">Distributions</h2>"));
    assert!(dataset.contains("findability") && dataset.contains("<th scope=\"row\">total</th>"));
    assert!(dataset.contains("Moissonné le"));
    assert!(dataset.contains("<dt>Mots-clés</dt>") && dataset.contains("<dt>Licence</dt>"));
    // The SHACL findings of its assessment in plain words (recommended properties missing).
    let findings = between(&dataset, "<ul class=\"findings\">", "</ul>");
    assert!(
        findings.contains("Conseil (propriétés recommandées) sur"),
        "{findings}"
    );
    assert!(dataset.contains(".ttl\">Turtle</a>"));
    assert!(dataset.contains("Requête SPARQL prête"));
    let (status, _) = page(&server, "/datasets/datasud/nope").await;
    assert_eq!(status, 404);

    // Indicators: a row and a chart line with one point per snapshot for each producer.
    let (_, indicators) = page(&server, "/indicators").await;
    assert!(indicators.contains("<svg class=\"chart\" role=\"img\""));
    for producer in ["datasud", "datagouv", "spf2025"] {
        assert!(indicators.contains(&format!("<th scope=\"row\">{producer}</th>")));
        let line = between(
            &indicators,
            &format!("data-producer=\"{producer}\">"),
            "</g>",
        );
        assert_eq!(line.matches("class=\"point\"").count(), 2, "{producer}");
    }
    assert!(indicators.contains("/api/indicators?format=csv"));
    // Shares, rating bands, and what needs attention (spf2025 has datasets rated bad).
    assert!(indicators.contains("<svg class=\"chart shares\""));
    // Shares over time: open licence and machine-readable are measured for every producer.
    assert!(indicators.contains("aria-labelledby=\"trend-open_licence_share\""));
    assert!(indicators.contains("aria-labelledby=\"trend-machine_readable_share\""));
    assert!(
        indicators.matches("class=\"bar\"").count() >= 6,
        "two measured shares × 3 producers"
    );
    assert_eq!(
        indicators.matches("class=\"band\"").count(),
        12,
        "4 bands × 3 producers"
    );
    let spf = between(&indicators, "<h3>spf2025</h3>", "</ul>");
    assert!(spf.contains("<ul class=\"worst\">"), "{spf}");
    assert!(spf.contains("M2 0 %") || spf.contains(" 0 %"), "{spf}");

    // The SPARQL page in a browser: the editor, then an example's results as a table.
    let html = |path: String| {
        let request = reqwest::Client::new()
            .get(format!("{server}{path}"))
            .header("Accept", "text/html,application/xhtml+xml,*/*;q=0.8");
        async move { request.send().await.unwrap().text().await.unwrap() }
    };
    let editor = html("/sparql".into()).await;
    assert!(editor.contains("<textarea id=\"query\" name=\"query\""));
    let examples = between(&editor, "<h2 id=\"h-examples\">", "</ul>");
    assert!(
        examples.contains("Jeux de données par producteur"),
        "labels from i18n: {examples}"
    );
    let example = unescape(between(examples, "<li><a href=\"", "\""));
    let results = html(example).await;
    let rows: usize = between(&results, "<p id=\"row-count\">", " ")
        .parse()
        .unwrap();
    assert!(rows >= 3, "datasets by producer: {rows} rows");
    assert_eq!(results.matches("<tr><td>").count(), rows);
    let english = html("/sparql?lang=en".into()).await;
    assert!(english.contains("Datasets by producer") && english.contains(">Run</button>"));

    // Harvest status.
    let (_, sources) = page(&server, "/sources?lang=en").await;
    assert!(sources.contains("Harvested sources"));
    assert_eq!(
        sources.matches("<td>succeeded</td>").count(),
        3,
        "{sources}"
    );
    // The "harvest now" button only for the admin: a login form first, a cookie after.
    assert!(sources.contains("action=\"/admin/login\""));
    assert!(!sources.contains("Harvest now"));
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let login = |token: &str| {
        client
            .post(format!("{server}/admin/login"))
            .header("Content-Type", "application/x-www-form-urlencoded")
            .body(format!("token={token}"))
            .send()
    };
    assert_eq!(login("wrong").await.unwrap().status(), 401);
    let logged = login(ADMIN_TOKEN).await.unwrap();
    assert_eq!(logged.status(), 303);
    let cookie = logged.headers()["set-cookie"].to_str().unwrap().to_owned();
    assert!(cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict"));
    let cookie = cookie.split(';').next().unwrap().to_owned();
    let admin_page = client
        .get(format!("{server}/sources?lang=en"))
        .header("Cookie", &cookie)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(admin_page.matches(">Harvest now</button>").count(), 3);
    // Each form carries the session's CSRF token (tests/e2e/hardening.rs checks its refusals).
    let csrf = between(&admin_page, "name=\"csrf\" value=\"", "\"").to_owned();
    let harvest = |with_cookie: bool| {
        let mut request = client
            .post(format!("{server}/sources/datasud/harvest"))
            .header("Content-Type", "application/x-www-form-urlencoded")
            .body(format!("csrf={csrf}"));
        if with_cookie {
            request = request.header("Cookie", &cookie);
        }
        request.send()
    };
    assert_eq!(harvest(false).await.unwrap().status(), 401);
    // This test server runs no jobs (`serve` does): the admin gets 503, not a harvest.
    assert_eq!(harvest(true).await.unwrap().status(), 503);
}

/// The pages in headless Chromium (`tests/browser/browser.js`: playwright-core driving Debian's
/// `chromium`, axe-core on each page), screenshots in `target/screenshots/`.
#[tokio::test(flavor = "multi_thread")]
async fn pages_work_in_a_real_browser() {
    let (server, _deployment) = served().await;
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let script = root.join("tests/browser/browser.js");
    assert!(
        root.join("tests/browser/node_modules/playwright-core")
            .exists(),
        "tests/browser/node_modules is missing: run `npm ci` in tests/browser (.ci/run does)"
    );
    let screenshots = root.join("target/screenshots");
    crate::support::run_checker(
        "node",
        vec![script.into(), server.into(), screenshots.into()],
        "all browser checks passed",
    )
    .await;
    for page in ["search", "dataset", "indicators", "sources", "sparql"] {
        assert!(
            root.join(format!("target/screenshots/{page}.png")).exists(),
            "{page}"
        );
    }
}
