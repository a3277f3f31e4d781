//! The search index and `/api/datasets` over real records: data.gouv.fr's 366 datasets of
//! 2022, datasud.fr's CKAN packages and data.gouv.fr's harvested copies of them (linked as
//! duplicates), harvested through the fake portal, scored, indexed, and searched over HTTP.

use crate::fake_portal::{FakePortal, ckan_packages, udata_database_datasets, udata_dataset_dir};
use crate::support::{Deployment, source_toml};
use fedcat_catalog::search::SearchIndex;
use serde_json::{Value, json};
use std::collections::HashSet;
use std::sync::Arc;

const WWW_2022: &str = "udata/datagouv-search-indicator/www.data.gouv.fr/2022-12-02-17-29/datasets";
const DATASUD_CKAN: &str = "ckan/extracted/datasud.fr_package_search_snapshot__00.json";
const DATASUD_COPIES: &str = "ckan/datasud.fr_package_search_snapshot.json";

struct Searchable {
    server: String,
    index: Arc<SearchIndex>,
    deployment: Deployment,
    catalog: fedcat_catalog::Catalog,
}

async fn searchable() -> Searchable {
    let portal = FakePortal::start().await;
    let sources = [
        source_toml(
            "www2022",
            "udata",
            &portal.add_udata("www2022", udata_dataset_dir(WWW_2022)),
            "language = \"fr\"\npage_size = 100",
        ),
        source_toml(
            "datasud",
            "ckan",
            &portal.add_ckan("datasud", ckan_packages(DATASUD_CKAN)),
            "priority = 10",
        ),
        source_toml(
            "datagouv",
            "udata",
            &portal.add_udata("datagouv", udata_database_datasets(DATASUD_COPIES)),
            "priority = 5",
        ),
    ]
    .concat();
    let deployment = Deployment::new(&sources, "");
    let catalog = deployment.open().await;
    for source in ["www2022", "datasud", "datagouv"] {
        deployment.harvest(&catalog, source).await;
    }
    catalog
        .link_duplicates(&deployment.config.dedup_options(), &|_| {})
        .await
        .unwrap();
    for source in ["www2022", "datasud", "datagouv"] {
        fedcat_domain::quality::snapshot_source(&deployment.config.domain(), &catalog, source)
            .await
            .unwrap();
    }
    let index = Arc::new(
        SearchIndex::open(&fedcat_domain::search_sync::index_dir(
            &deployment.config.domain(),
        ))
        .unwrap(),
    );
    let (written, deleted) =
        fedcat_domain::search_sync::sync_all(&deployment.config.domain(), &catalog, &index)
            .await
            .unwrap();
    assert_eq!((written, deleted), (366 + 7 + 7, 0));
    let app = fedcat::server::app(&catalog, &deployment.config, None, Some(index.clone()));
    let server = crate::support::serve_router(app, deployment.config.server).await;
    Searchable {
        server,
        index,
        deployment,
        catalog,
    }
}

async fn get(server: &str, query: &str) -> (u16, String, Value) {
    let response = reqwest::get(format!("{server}/api/datasets{query}"))
        .await
        .unwrap();
    let status = response.status().as_u16();
    let content_type = response.headers()[reqwest::header::CONTENT_TYPE]
        .to_str()
        .unwrap()
        .to_owned();
    let body = serde_json::from_str(&response.text().await.unwrap()).unwrap();
    (status, content_type, body)
}

fn ids(body: &Value) -> Vec<String> {
    body["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_str().unwrap().to_owned())
        .collect()
}

fn facet(body: &Value, name: &str) -> Vec<(String, u64)> {
    body["facets"][name]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["value"].as_str().unwrap().to_owned(),
                f["count"].as_u64().unwrap(),
            )
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn search_relevance_facets_paging_collapse_and_problems() {
    let s = searchable().await;
    let server = &s.server;

    // A French query finds the same datasets with and without its accents, the dataset named
    // by it first.
    let (status, _, accented) = get(server, "?q=%C3%A9lus%20municipaux&collapse=false").await;
    assert_eq!(status, 200);
    let (_, _, folded) = get(server, "?q=elus%20municipaux&collapse=false").await;
    assert_eq!(ids(&accented), ids(&folded));
    assert!(accented["total"].as_u64().unwrap() >= 1);
    assert_eq!(accented["results"][0]["title"], "Les élus municipaux");
    // Stemming: the singular finds the plural.
    let (_, _, plural) = get(server, "?q=pr%C3%A9noms&collapse=false").await;
    let (_, _, singular) = get(server, "?q=prenom&collapse=false").await;
    assert_eq!(plural["total"], singular["total"]);
    assert!(plural["total"].as_u64().unwrap() >= 10, "{plural}");

    // A facet filter narrows the count to what the facet said.
    let publishers = facet(&plural, "publisher");
    let (publisher, count) = publishers[0].clone();
    let encoded: String = url::form_urlencoded::byte_serialize(publisher.as_bytes()).collect();
    let (_, _, narrowed) = get(
        server,
        &format!("?q=pr%C3%A9noms&collapse=false&publisher={encoded}"),
    )
    .await;
    assert_eq!(narrowed["total"].as_u64().unwrap(), count);
    assert!(count < plural["total"].as_u64().unwrap(), "{publishers:?}");
    for (_, value) in facet(&narrowed, "publisher").iter().take(1) {
        assert_eq!(*value, count);
    }
    // Source facet counts add up to the total without a text query.
    let (_, _, everything) = get(server, "?collapse=false&page_size=1").await;
    assert_eq!(everything["total"], 366 + 14);
    let by_source: u64 = facet(&everything, "source").iter().map(|(_, n)| n).sum();
    assert_eq!(by_source, 366 + 14);

    // Paging by title reaches every dataset of a source exactly once.
    let mut seen = HashSet::new();
    let mut page = 1;
    loop {
        let (_, _, body) = get(
            server,
            &format!("?source=www2022&sort=title&page_size=50&page={page}&collapse=false"),
        )
        .await;
        let page_ids = ids(&body);
        if page_ids.is_empty() {
            break;
        }
        for id in page_ids {
            assert!(seen.insert(id.clone()), "{id} on two pages");
        }
        page += 1;
    }
    assert_eq!(seen.len(), 366);

    // One entry per duplicate cluster by default: the seven datasud packages stand for their
    // data.gouv.fr copies, which are listed as "also published at".
    let (_, _, collapsed) = get(server, "?source=datasud").await;
    assert_eq!(collapsed["total"], 7);
    let also = collapsed["results"][0]["also_published_at"]
        .as_array()
        .unwrap();
    assert_eq!(also.len(), 1);
    assert_eq!(also[0]["source"], "datagouv");
    let (_, _, copies) = get(server, "?source=datagouv").await;
    assert_eq!(copies["total"], 0, "the copies are not primaries");
    let (_, _, all_copies) = get(server, "?source=datagouv&collapse=false").await;
    assert_eq!(all_copies["total"], 7);
    let (_, _, rated) = get(server, "?source=datasud&rating=good").await;
    assert_eq!(
        rated["total"], 7,
        "the datasud packages rate good (quality snapshot)"
    );

    // Bad parameters: problem+json with a stable code.
    for bad in [
        "?page_size=1000",
        "?sort=best",
        "?page=0",
        "?modified_after=yesterday",
    ] {
        let (status, content_type, body) = get(server, bad).await;
        assert_eq!(status, 400, "{bad}");
        assert_eq!(content_type, "application/problem+json");
        assert_eq!(body["code"], "invalid-parameter");
        assert!(body["detail"].as_str().unwrap().len() > 10);
    }

    // One dataset: distributions, quality, duplicates, provenance; its RDF on request.
    let id = collapsed["results"][0]["id"].as_str().unwrap().to_owned();
    let (status, _, dataset) = get(server, &format!("/{id}")).await;
    assert_eq!(status, 200, "{dataset}");
    assert!(!dataset["distributions"].as_array().unwrap().is_empty());
    assert_eq!(dataset["rating"], "good");
    assert!(dataset["quality"]["mqa_scoring"].as_i64().unwrap() > 0);
    assert_eq!(
        dataset["duplicates"]["members"].as_array().unwrap().len(),
        2
    );
    assert!(dataset["provenance"]["harvested_at"].is_string());
    let turtle = reqwest::Client::new()
        .get(format!("{server}/api/datasets/{id}"))
        .header("Accept", "text/turtle")
        .send()
        .await
        .unwrap();
    assert_eq!(
        turtle.headers()["content-type"],
        "text/turtle; charset=utf-8"
    );
    assert!(
        turtle
            .text()
            .await
            .unwrap()
            .contains("http://www.w3.org/ns/dcat#Dataset")
    );
    let (status, content_type, missing) = get(server, "/datasud/no-such-record").await;
    assert_eq!(
        (status, content_type.as_str()),
        (404, "application/problem+json")
    );
    assert_eq!(missing["code"], "dataset-not-found");

    ckan_compatible_api(server).await;

    // Publishers, and the OpenAPI description: every GET path it lists without parameters
    // answers 200.
    let json = |text: String| serde_json::from_str::<Value>(&text).unwrap();
    let publishers = json(
        reqwest::get(format!("{server}/api/publishers"))
            .await
            .unwrap()
            .text()
            .await
            .unwrap(),
    );
    let listed: u64 = publishers["publishers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["datasets"].as_u64().unwrap())
        .sum();
    let with_publisher = s
        .index
        .documents(None)
        .unwrap()
        .iter()
        .filter(|d| d.publisher.is_some())
        .count();
    assert_eq!(
        listed as usize, with_publisher,
        "every dataset with a publisher is counted"
    );
    assert!(with_publisher > 300, "{with_publisher}");
    let openapi = json(
        reqwest::get(format!("{server}/api/openapi.json"))
            .await
            .unwrap()
            .text()
            .await
            .unwrap(),
    );
    assert_eq!(openapi["openapi"], "3.1.0");
    for (path, item) in openapi["paths"].as_object().unwrap() {
        if path.contains('{') || item.get("get").is_none() {
            continue;
        }
        let status = reqwest::get(format!("{server}{path}"))
            .await
            .unwrap()
            .status();
        assert_eq!(status, 200, "{path}");
    }

    // A stale index (documents lost between a store write and the index) is repaired by
    // comparing record sets; a second sync has nothing to do.
    s.index.sync(&["datasud"], Vec::new()).unwrap();
    let (_, _, lost) = get(server, "?source=datasud").await;
    assert_eq!(lost["total"], 0);
    let repaired =
        fedcat_domain::search_sync::sync_all(&s.deployment.config.domain(), &s.catalog, &s.index)
            .await
            .unwrap();
    assert_eq!(repaired, (7, 0));
    let idle =
        fedcat_domain::search_sync::sync_all(&s.deployment.config.domain(), &s.catalog, &s.index)
            .await
            .unwrap();
    assert_eq!(idle, (0, 0));
}

async fn action(server: &str, path: &str) -> (u16, Value) {
    let response = reqwest::get(format!("{server}{path}")).await.unwrap();
    let status = response.status().as_u16();
    (
        status,
        serde_json::from_str(&response.text().await.unwrap()).unwrap(),
    )
}

/// The CKAN Action API subset, as a CKAN client would use it.
async fn ckan_compatible_api(server: &str) {
    let (status, body) = action(server, "/api/3/action/status_show").await;
    assert_eq!(status, 200);
    assert_eq!(body["success"], true);
    assert!(body["help"].as_str().unwrap().contains("status_show"));
    // Counts match the catalogue (every record is a package), under both prefixes.
    for prefix in ["/api/3/action", "/api/action"] {
        let (_, body) = action(server, &format!("{prefix}/package_search?rows=0")).await;
        assert_eq!(body["result"]["count"], 366 + 14);
    }
    // Paging with rows/start reaches every package once.
    let mut names = HashSet::new();
    let mut start = 0;
    loop {
        let (_, body) = action(
            server,
            &format!("/api/3/action/package_search?rows=100&start={start}&sort=title_string%20asc"),
        )
        .await;
        let results = body["result"]["results"].as_array().unwrap().clone();
        if results.is_empty() {
            break;
        }
        for package in &results {
            assert!(names.insert(package["name"].as_str().unwrap().to_owned()));
            assert_eq!(package["state"], "active");
            assert!(package["resources"].is_array());
        }
        start += 100;
    }
    assert_eq!(names.len(), 366 + 14);
    // rows past CKAN's maximum (1000) are capped, not refused: all 380 fit.
    let (status, body) = action(server, "/api/3/action/package_search?rows=5000").await;
    assert_eq!(
        (status, body["result"]["results"].as_array().unwrap().len()),
        (200, 380)
    );
    // organization_list with all_fields, and an organization filter that gives its count.
    let (_, orgs) = action(server, "/api/3/action/organization_list?all_fields=true").await;
    let orgs = orgs["result"].as_array().unwrap().clone();
    assert!(orgs.len() > 10);
    let busiest = orgs
        .iter()
        .max_by_key(|o| o["package_count"].as_u64().unwrap())
        .unwrap();
    let name = busiest["name"].as_str().unwrap();
    let (_, filtered) = action(
        server,
        &format!("/api/3/action/package_search?fq=organization:{name}&rows=0&facet.field=%5B%22res_format%22,%22organization%22%5D"),
    )
    .await;
    assert_eq!(filtered["result"]["count"], busiest["package_count"]);
    let org_facet = &filtered["result"]["search_facets"]["organization"]["items"];
    assert_eq!(org_facet[0]["name"], name);
    assert!(
        !filtered["result"]["search_facets"]["res_format"]["items"]
            .as_array()
            .unwrap()
            .is_empty()
    );
    let (_, shown) = action(
        server,
        &format!("/api/3/action/organization_show?id={name}"),
    )
    .await;
    assert_eq!(shown["result"]["package_count"], busiest["package_count"]);
    // ckanext-harvest's organizations_filter_include / _exclude: `a OR b` and `-a -b`.
    let by_count: Vec<(&str, u64)> = orgs
        .iter()
        .map(|o| {
            (
                o["name"].as_str().unwrap(),
                o["package_count"].as_u64().unwrap(),
            )
        })
        .collect();
    let (a, b) = (by_count[0], by_count[1]);
    let count_of = |fq: String| async move {
        let (status, body) = action(
            server,
            &format!(
                "/api/3/action/package_search?rows=0&fq={}",
                url::form_urlencoded::byte_serialize(fq.as_bytes()).collect::<String>()
            ),
        )
        .await;
        assert_eq!(
            (status, &body["success"]),
            (200, &json!(true)),
            "{fq}: {body}"
        );
        body["result"]["count"].as_u64().unwrap()
    };
    assert_eq!(
        count_of(format!("organization:{} OR organization:{}", a.0, b.0)).await,
        a.1 + b.1
    );
    assert_eq!(
        count_of(format!("-organization:{} -organization:{}", a.0, b.0)).await,
        380 - a.1 - b.1
    );
    assert_eq!(
        count_of(format!("organization:({} OR {})", a.0, b.0)).await,
        a.1 + b.1
    );
    // An fq fedcat cannot read is an error, never a silent match of everything or nothing.
    let (status, body) = action(server, "/api/3/action/package_search?fq=views:%3E10").await;
    assert_eq!((status, &body["success"]), (400, &json!(false)), "{body}");
    // The sort direction is kept; an unknown sort field is refused.
    let first_title = |sort: &'static str| async move {
        let (_, body) = action(
            server,
            &format!(
                "/api/3/action/package_search?rows=1&sort={}",
                sort.replace(' ', "%20")
            ),
        )
        .await;
        body["result"]["results"][0]["metadata_modified"]
            .as_str()
            .map(str::to_owned)
            .zip(
                body["result"]["results"][0]["title"]
                    .as_str()
                    .map(str::to_owned),
            )
            .unwrap()
    };
    let (newest, _) = first_title("metadata_modified desc").await;
    let (oldest, _) = first_title("metadata_modified asc").await;
    assert!(oldest <= newest, "{oldest} > {newest}");
    let (created_last, _) = first_title("metadata_created desc").await;
    let (created_first, _) = first_title("metadata_created asc").await;
    assert!(
        created_first <= created_last,
        "{created_first} > {created_last}"
    );
    let (_, a_to_z) = first_title("title_string asc").await;
    let (_, z_to_a) = first_title("title_string desc").await;
    assert_ne!(a_to_z, z_to_a, "title_string desc must not be read as asc");
    for field in ["name", "id"] {
        let first = |direction: &'static str| async move {
            let (_, body) = action(
                server,
                &format!("/api/3/action/package_search?rows=1&sort={field}%20{direction}"),
            )
            .await;
            body["result"]["results"][0][field]
                .as_str()
                .unwrap()
                .to_owned()
        };
        let (lowest, highest) = (first("asc").await, first("desc").await);
        assert!(lowest < highest, "{field}: {lowest} !< {highest}");
    }
    let (status, body) = action(
        server,
        "/api/3/action/package_search?sort=views_recent%20desc",
    )
    .await;
    assert_eq!((status, &body["success"]), (400, &json!(false)), "{body}");
    // Names from organization_list without all_fields.
    let (_, plain) = action(server, "/api/3/action/organization_list").await;
    assert_eq!(plain["result"].as_array().unwrap().len(), orgs.len());
    // metadata_modified and metadata_created are fedcat's record times (what CKAN's harvester
    // asks for in an incremental run): every record was stored by this test, after 2000 and
    // before next year. The portal's dates are the `issued` and `modified` extras.
    for (fq, expected) in [
        ("metadata_modified:[2000-01-01T00:00:00Z TO *]", 380),
        ("metadata_created:[2000-01-01T00:00:00.000000Z TO NOW]", 380),
        ("metadata_modified:[2999-01-01T00:00:00Z TO *]", 0),
        ("metadata_modified:[* TO 2000-01-01]", 0),
    ] {
        let encoded: String = url::form_urlencoded::byte_serialize(fq.as_bytes()).collect();
        let (_, body) = action(
            server,
            &format!("/api/3/action/package_search?rows=0&fq={encoded}"),
        )
        .await;
        assert_eq!(body["result"]["count"], expected, "{fq}: {body}");
    }
    let (_, one) = action(server, "/api/3/action/package_search?rows=1&q=pr%C3%A9noms").await;
    let package = &one["result"]["results"][0];
    let this_year = chrono::Utc::now().format("%Y").to_string();
    assert!(
        package["metadata_modified"]
            .as_str()
            .unwrap()
            .starts_with(&this_year),
        "{package}"
    );
    assert!(
        package["extras"].as_array().unwrap().iter().any(
            |e| e["key"] == "modified" && !e["value"].as_str().unwrap().starts_with(&this_year)
        ),
        "the portal's date is kept: {package}"
    );
    // POST as JSON and as a form give what GET gives.
    let (_, by_get) = action(server, "/api/3/action/package_search?q=pr%C3%A9noms&rows=3").await;
    let client = reqwest::Client::new();
    let post = |url: String, content_type: &'static str, body: String| {
        let request = client
            .post(url)
            .header("Content-Type", content_type)
            .body(body);
        async move {
            serde_json::from_str::<Value>(&request.send().await.unwrap().text().await.unwrap())
                .unwrap()
        }
    };
    let by_json = post(
        format!("{server}/api/3/action/package_search"),
        "application/json",
        serde_json::json!({"q": "prénoms", "rows": 3}).to_string(),
    )
    .await;
    let by_form = post(
        format!("{server}/api/action/package_search"),
        "application/x-www-form-urlencoded",
        "q=pr%C3%A9noms&rows=3".to_owned(),
    )
    .await;
    assert_eq!(by_json["result"]["count"], by_get["result"]["count"]);
    assert_eq!(by_form["result"]["count"], by_get["result"]["count"]);
    // package_show by name and by id; a missing package is CKAN's Not Found.
    let first = &by_get["result"]["results"][0];
    for id in [
        first["name"].as_str().unwrap(),
        first["id"].as_str().unwrap(),
    ] {
        let encoded: String = url::form_urlencoded::byte_serialize(id.as_bytes()).collect();
        let (status, shown) =
            action(server, &format!("/api/3/action/package_show?id={encoded}")).await;
        assert_eq!(status, 200, "{id}");
        assert_eq!(shown["result"]["name"], first["name"]);
    }
    let (status, missing) = action(server, "/api/3/action/package_show?id=nope").await;
    assert_eq!(status, 404);
    assert_eq!(missing["success"], false);
    assert_eq!(missing["error"]["__type"], "Not Found Error");
    let (_, list) = action(server, "/api/3/action/package_list").await;
    assert_eq!(list["result"].as_array().unwrap().len(), 380);
    let (status, unknown) = action(server, "/api/3/action/no_such_action").await;
    assert_eq!(
        (status, unknown["success"].clone()),
        (400, Value::Bool(false))
    );
}
