//! A hostile portal against the real harvester (issue 14): listing pages whose next-page link
//! points to a local file (`file:///etc/passwd`, an RDF catalogue written to a temp dir) or to
//! another server, a page answering 500 with a secret in its body, a source reading
//! `/dev/zero`, and the link checker run with a proxy in its environment or given IPv6 forms of
//! loopback and private addresses.
//!
//! The inputs are real recorded responses with one hostile value put in: the demo.ckan.org
//! Turtle page with its `hydra:nextPage` literal replaced, data.gouv.fr's RDF/XML organisation
//! catalogue with a `hydra:next` added to its `hydra:PartialCollectionView`, an opendata.swiss
//! record with a Hydra link inserted as the fake portal's file collections do, and the 15
//! recorded data.gouv.fr datasets in udata's envelope with `next_page` set. Only the 500 page's
//! body and the servers standing for a proxy or a link target are made here.
//!
//! Two tests run in a child process of this binary (the `*_child` tests, which do nothing
//! unless `FEDCAT_HOSTILE_CHILD` names them): the proxy test, because proxy settings come from
//! environment variables and changing them here would change them for every test running in
//! this process; and the `/dev/zero` test, under `ulimit -v`, so that a harvester that reads
//! without bound fails that child on an allocation instead of exhausting the machine.

use crate::fake_portal::{
    FakePortal, HydraStyle, dataset_subjects, fixture_bytes, parse_fixture, udata_datasets,
};
use crate::support::{Deployment, count, datasets_of_source, source_toml};
use axum::Router;
use axum::extract::State;
use axum::http::{StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use fedcat_catalog::oxigraph::io::RdfFormat;
use fedcat_catalog::{Catalog, JobStatus};
use fedcat_harvester::HarvestReport;
use fedcat_harvester::linkcheck::{LinkCheckSettings, LinkChecker, REFUSED_TARGET};
use serde_json::{Value, json};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const DEMO_TTL: &str = "dcat/hydra/demo.ckan.org_catalog_page1_of_26.ttl";
const DATAGOUV: &str = "dcat/hydra/datagouv_org_catalog_partialcollectionview.rdf.xml";
const SWISS_RECORD: &str = "dcat/rdfxml/opendata-swiss_1894.xml";
const SWISS_DATASET: &str = "https://opendata.swiss/dataset/7451e012-64b2-4bbc-af20-a0e2bc61b585";
const FIXTURE_2025: &str = "udata/datagouv_fixture_results_15datasets.json";
const SNCF: &str = "udata/extracted/transport-site_cassette_client_datasets_sncf__00.json";
const PASSWD: &str = "file:///etc/passwd";
/// The example secret key of AWS's documentation.
const SECRET: &str = "AWS_SECRET_ACCESS_KEY=wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";

/// Names the `*_child` test a child process runs.
const CHILD: &str = "FEDCAT_HOSTILE_CHILD";
/// The port of the link target, for the link checker's child.
const TARGET_PORT: &str = "FEDCAT_HOSTILE_TARGET_PORT";

fn xml_escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// The recorded demo.ckan.org page (Turtle, `hydra:PagedCollection`) with its `hydra:nextPage`
/// literal replaced by `next`.
fn demo_page_linking_to(next: &str) -> Vec<u8> {
    let text = String::from_utf8(fixture_bytes(DEMO_TTL)).unwrap();
    let recorded = "hydra:nextPage \"http://demo.ckan.org/catalog.ttl?page=2\"";
    assert_eq!(text.matches(recorded).count(), 1);
    text.replace(recorded, &format!("hydra:nextPage \"{next}\""))
        .into_bytes()
}

/// The recorded data.gouv.fr organisation catalogue (RDF/XML, `hydra:PartialCollectionView`)
/// with a `hydra:next` link to `next` put in its view, where udata writes it.
fn datagouv_page_linking_to(next: &str) -> Vec<u8> {
    let text = String::from_utf8(fixture_bytes(DATAGOUV)).unwrap();
    let view = "<rdf:type rdf:resource=\"http://www.w3.org/ns/hydra/core#PartialCollectionView\"/>";
    assert_eq!(text.matches(view).count(), 1);
    let link = format!(
        "{view}\n    <hydra:next rdf:resource=\"{}\"/>",
        xml_escape(next)
    );
    text.replace(view, &link).into_bytes()
}

/// The recorded opendata.swiss record (RDF/XML) with a `hydra:nextPage` link to `next`
/// inserted, as the fake portal's file collections link recorded files.
fn swiss_record_linking_to(next: &str) -> Vec<u8> {
    let text = String::from_utf8(fixture_bytes(SWISS_RECORD)).unwrap();
    let end = text.rfind("</rdf:RDF>").unwrap();
    let link = format!(
        "<rdf:Description xmlns:hydra=\"http://www.w3.org/ns/hydra/core#\" \
         rdf:about=\"http://fixture.test/page/1\"><rdf:type \
         rdf:resource=\"http://www.w3.org/ns/hydra/core#PagedCollection\"/>\
         <hydra:nextPage>{}</hydra:nextPage></rdf:Description>\n",
        xml_escape(next)
    );
    format!("{}{link}{}", &text[..end], &text[end..]).into_bytes()
}

fn datasets_in(fixture: &str) -> u64 {
    dataset_subjects(&parse_fixture(fixture)).len() as u64
}

/// SPARQL: how many triples have `iri` as subject, in any graph.
fn triples_about(iri: &str) -> String {
    format!("SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH ?g {{ <{iri}> ?p ?o }} }}")
}

/// What a hostile server answers on one path: status, media type, body.
type Page = (u16, &'static str, Vec<u8>);

/// A loopback server answering each path with the status, media type and body it was given
/// (404 otherwise), remembering every request.
#[derive(Clone, Default)]
struct Hostile {
    base: String,
    pages: Arc<Mutex<HashMap<String, Page>>>,
    requests: Arc<Mutex<Vec<String>>>,
}

impl Hostile {
    async fn start() -> Self {
        async fn answer(State(server): State<Hostile>, uri: Uri) -> Response {
            server.requests.lock().unwrap().push(uri.to_string());
            match server.pages.lock().unwrap().get(uri.path()) {
                Some((status, media_type, body)) => (
                    StatusCode::from_u16(*status).unwrap(),
                    [(header::CONTENT_TYPE, *media_type)],
                    body.clone(),
                )
                    .into_response(),
                None => StatusCode::NOT_FOUND.into_response(),
            }
        }
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let server = Self {
            base: format!("http://{}", listener.local_addr().unwrap()),
            ..Self::default()
        };
        let app = Router::new().fallback(answer).with_state(server.clone());
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        server
    }

    /// Serves `body` at `path`; returns its URL.
    fn serve(&self, path: &str, status: u16, media_type: &'static str, body: Vec<u8>) -> String {
        self.pages
            .lock()
            .unwrap()
            .insert(path.to_owned(), (status, media_type, body));
        format!("{}{path}", self.base)
    }
}

/// A loopback server answering `body` to any request, remembering each (method and URI as
/// received: a proxied request carries the absolute URL). Returns its port and the requests.
async fn answering_server(body: &'static str) -> (u16, Arc<Mutex<Vec<String>>>) {
    let requests = Arc::new(Mutex::new(Vec::new()));
    let seen = requests.clone();
    let app = Router::new().fallback(move |method: axum::http::Method, uri: Uri| {
        let seen = seen.clone();
        async move {
            seen.lock().unwrap().push(format!("{method} {uri}"));
            body
        }
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (port, requests)
}

/// Checks the job of a listing whose next link was refused: the page was stored, the listing
/// stopped there incomplete (nothing deleted), and one page error names the page that held
/// the link and the refused URL, quoting nothing of the file.
async fn assert_refused(
    catalog: &Catalog,
    report: &HarvestReport,
    page_url_prefix: &str,
    refused: &str,
) {
    assert_eq!(report.status, JobStatus::Partial, "{report:?}");
    assert!(!report.complete_listing, "{report:?}");
    assert_eq!(
        (report.counts.pages, report.counts.deleted),
        (1, 0),
        "{report:?}"
    );
    let errors = catalog.jobs().job_errors(report.job_id).await.unwrap();
    assert_eq!(errors.len(), 1, "{errors:?}");
    let error = &errors[0];
    assert_eq!(error.kind, "page");
    assert!(
        error
            .url
            .as_deref()
            .is_some_and(|u| u.starts_with(page_url_prefix)),
        "the error names the page holding the link: {error:?}"
    );
    assert!(
        error.message.contains(refused) && error.message.contains("refused"),
        "the error names the refused URL: {}",
        error.message
    );
    assert!(!error.message.contains("root:"), "{}", error.message);
    assert!(
        !error.detail.as_deref().unwrap_or("").contains("root:"),
        "{error:?}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn dcat_next_links_to_etc_passwd_are_refused() {
    let portal = FakePortal::start().await;
    portal.override_dcat_page(
        "next-page-passwd",
        1,
        Some(("text/turtle", demo_page_linking_to(PASSWD))),
    );
    portal.override_dcat_page(
        "next-passwd",
        1,
        Some(("application/rdf+xml", datagouv_page_linking_to(PASSWD))),
    );
    let page = |name: &str| format!("{}/dcat/{name}/page/1", portal.base);
    let sources = [
        source_toml("next-page-passwd", "dcat", &page("next-page-passwd"), ""),
        source_toml("next-passwd", "dcat", &page("next-passwd"), ""),
    ]
    .concat();
    let deployment = Deployment::new(&sources, "");
    let catalog = deployment.open().await;
    let server = deployment.serve(&catalog).await;
    for (source, fixture) in [("next-page-passwd", DEMO_TTL), ("next-passwd", DATAGOUV)] {
        let report = deployment.harvest(&catalog, source).await;
        assert_refused(&catalog, &report, &page(source), PASSWD).await;
        assert_eq!(report.counts.added, datasets_in(fixture), "{source}");
        assert_eq!(
            count(&server, &datasets_of_source(source)).await,
            datasets_in(fixture),
            "{source}"
        );
        // The public job API says the same, and nothing of the file either.
        let job = reqwest::get(format!("{server}/api/jobs/{}", report.job_id))
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(
            job.contains(PASSWD) && !job.contains("root:"),
            "{source}: {job}"
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_dcat_next_link_to_a_local_rdf_catalogue_is_refused() {
    let files = tempfile::tempdir().unwrap();
    let catalogue = files.path().join("catalogue.rdf");
    std::fs::write(&catalogue, fixture_bytes(SWISS_RECORD)).unwrap();
    let catalogue_url = url::Url::from_file_path(&catalogue).unwrap().to_string();
    let portal = FakePortal::start().await;
    portal.override_dcat_page(
        "next-file",
        1,
        Some((
            "application/rdf+xml",
            datagouv_page_linking_to(&catalogue_url),
        )),
    );
    let page = format!("{}/dcat/next-file/page/1", portal.base);
    let deployment = Deployment::new(&source_toml("next-file", "dcat", &page, ""), "");
    let catalog = deployment.open().await;
    let server = deployment.serve(&catalog).await;
    let report = deployment.harvest(&catalog, "next-file").await;
    assert_refused(&catalog, &report, &page, &catalogue_url).await;
    assert_eq!(report.counts.added, datasets_in(DATAGOUV));
    assert_eq!(count(&server, &triples_about(SWISS_DATASET)).await, 0);
    assert_eq!(
        count(&server, &datasets_of_source("next-file")).await,
        datasets_in(DATAGOUV)
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_refused_link_leaves_the_listing_incomplete_so_nothing_is_deleted() {
    let portal = FakePortal::start().await;
    portal.override_dcat_page(
        "swap",
        1,
        Some(("application/rdf+xml", fixture_bytes(DATAGOUV))),
    );
    let page = format!("{}/dcat/swap/page/1", portal.base);
    // Every unseen record may go after a complete listing: only its completeness protects them.
    let deployment = Deployment::new(
        &source_toml("swap", "dcat", &page, ""),
        "[harvest]\nmax_delete_share = 1.0\n",
    );
    let catalog = deployment.open().await;
    let server = deployment.serve(&catalog).await;
    let first = deployment.harvest(&catalog, "swap").await;
    assert_eq!(first.status, JobStatus::Succeeded, "{first:?}");
    assert!(first.complete_listing);
    assert_eq!(first.counts.added, datasets_in(DATAGOUV));

    // The first page now holds another record and a link to a local file.
    portal.override_dcat_page(
        "swap",
        1,
        Some(("application/rdf+xml", swiss_record_linking_to(PASSWD))),
    );
    let second = deployment.harvest(&catalog, "swap").await;
    assert_refused(&catalog, &second, &page, PASSWD).await;
    assert_eq!(second.counts.added, 1, "{second:?}");
    assert_eq!(
        count(&server, &datasets_of_source("swap")).await,
        datasets_in(DATAGOUV) + 1
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn udata_next_page_to_local_files_is_refused() {
    let datasets = udata_datasets(FIXTURE_2025);
    let envelope = |data: &[Value], next_page: Option<&str>| {
        serde_json::to_vec(&json!({
            "data": data,
            "page": 1,
            "page_size": 100,
            "total": data.len(),
            "next_page": next_page,
            "previous_page": null,
        }))
        .unwrap()
    };
    // A second page of other recorded datasets, as a file.
    let sncf: Vec<Value> = udata_datasets(SNCF)
        .into_iter()
        .filter(|d| d.get("resources").is_some() && d.get("id").is_some())
        .collect();
    assert!(!sncf.is_empty());
    let files = tempfile::tempdir().unwrap();
    let second_page = files.path().join("datasets-page-2.json");
    std::fs::write(&second_page, envelope(sncf.as_slice(), None)).unwrap();
    let second_page_url = url::Url::from_file_path(&second_page).unwrap().to_string();

    let portal = Hostile::start().await;
    let mut sources = String::new();
    for (name, next) in [
        ("udata-passwd", PASSWD),
        ("udata-file", second_page_url.as_str()),
    ] {
        let path = format!("/{name}/api/1/datasets/");
        portal.serve(
            &path,
            200,
            "application/json",
            envelope(datasets.as_slice(), Some(next)),
        );
        let url = format!("{}/{name}", portal.base);
        sources.push_str(&source_toml(name, "udata", &url, "language = \"fr\""));
    }
    let deployment = Deployment::new(&sources, "");
    let catalog = deployment.open().await;
    let server = deployment.serve(&catalog).await;
    for (name, refused) in [
        ("udata-passwd", PASSWD),
        ("udata-file", second_page_url.as_str()),
    ] {
        let report = deployment.harvest(&catalog, name).await;
        let page = format!("{}/{name}/api/1/datasets/", portal.base);
        assert_refused(&catalog, &report, &page, refused).await;
        assert_eq!(report.counts.added, 15, "{name}: {report:?}");
        assert_eq!(
            count(&server, &datasets_of_source(name)).await,
            15,
            "{name}"
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_next_page_on_another_port_needs_allowed_hosts() {
    let portal = FakePortal::start().await;
    let other = FakePortal::start().await;
    let other_first = other.add_repaged_dcat(
        "other",
        SWISS_RECORD,
        1,
        HydraStyle::PartialCollectionView,
        RdfFormat::RdfXml,
    );
    portal.override_dcat_page(
        "cross",
        1,
        Some((
            "application/rdf+xml",
            datagouv_page_linking_to(&other_first),
        )),
    );
    let page = format!("{}/dcat/cross/page/1", portal.base);
    let other_host = other.base.trim_start_matches("http://");
    let sources = [
        source_toml("cross", "dcat", &page, ""),
        // A host without its port names another server of the same machine.
        source_toml(
            "cross-host-only",
            "dcat",
            &page,
            "allowed_hosts = [\"127.0.0.1\"]",
        ),
        source_toml(
            "cross-allowed",
            "dcat",
            &page,
            &format!("allowed_hosts = [\"{other_host}\"]"),
        ),
    ]
    .concat();
    let deployment = Deployment::new(&sources, "");
    let catalog = deployment.open().await;
    for source in ["cross", "cross-host-only"] {
        let report = deployment.harvest(&catalog, source).await;
        assert_refused(&catalog, &report, &page, &other_first).await;
        assert_eq!(report.counts.added, datasets_in(DATAGOUV), "{source}");
    }
    assert!(
        other.requests().is_empty(),
        "the other server was called: {:?}",
        other.requests()
    );

    let report = deployment.harvest(&catalog, "cross-allowed").await;
    let errors = catalog.jobs().job_errors(report.job_id).await.unwrap();
    assert_eq!(report.status, JobStatus::Succeeded, "{report:?} {errors:?}");
    assert!(report.complete_listing);
    assert_eq!(
        report.counts.added,
        datasets_in(DATAGOUV) + datasets_in(SWISS_RECORD)
    );
    assert_eq!(other.requests(), ["/dcat/other/page/1"]);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_failed_page_body_reaches_administrators_only() {
    let portal = Hostile::start().await;
    let second = portal.serve(
        "/secret/catalog-page-2",
        500,
        "text/plain",
        format!("Internal Server Error\n{SECRET}\n").into_bytes(),
    );
    let first = portal.serve(
        "/secret/catalog",
        200,
        "application/rdf+xml",
        datagouv_page_linking_to(&second),
    );
    let deployment = Deployment::new(&source_toml("secret", "dcat", &first, ""), "");
    let catalog = deployment.open().await;
    let report = deployment.harvest(&catalog, "secret").await;
    assert_eq!(report.status, JobStatus::Partial, "{report:?}");
    assert_eq!(report.counts.added, datasets_in(DATAGOUV));

    let errors = catalog.jobs().job_errors(report.job_id).await.unwrap();
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert_eq!(errors[0].url.as_deref(), Some(second.as_str()));
    assert!(
        errors[0].message.contains("HTTP 500"),
        "{}",
        errors[0].message
    );
    assert!(
        !errors[0].message.contains("wJalrXUtnFEMI"),
        "{}",
        errors[0].message
    );
    let detail = errors[0].detail.as_deref().unwrap_or("");
    assert!(
        detail.contains(SECRET),
        "the administrators' detail: {detail:?}"
    );

    let server = deployment.serve(&catalog).await;
    let response = reqwest::get(format!("{server}/api/jobs/{}", report.job_id))
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let job = response.text().await.unwrap();
    assert!(job.contains("HTTP 500"), "{job}");
    assert!(!job.contains("wJalrXUtnFEMI"), "the public job API: {job}");
    let response = reqwest::get(format!("{server}/sources")).await.unwrap();
    assert_eq!(response.status(), 200);
    let page = response.text().await.unwrap();
    assert!(!page.contains("wJalrXUtnFEMI"), "the public sources page");
}

/// Runs the test `name` of this binary alone in a child process, with `env` set and `unset`
/// removed (and, with `max_memory_kib`, under `ulimit -v`), and fails unless it passed.
async fn run_child(
    name: &str,
    env: &[(&str, String)],
    unset: &[&str],
    max_memory_kib: Option<u64>,
) {
    let exe = std::env::current_exe().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let output_path = dir.path().join("output");
    let output = std::fs::File::create(&output_path).unwrap();
    let mut command = match max_memory_kib {
        Some(kib) => {
            let mut command = std::process::Command::new("sh");
            command
                .arg("-c")
                .arg(format!("ulimit -v {kib} && exec \"$0\" \"$@\""))
                .arg(&exe);
            command
        }
        None => std::process::Command::new(&exe),
    };
    command
        .arg(format!("hostile_portal::{name}"))
        .args(["--exact", "--nocapture", "--test-threads=1"])
        .env(CHILD, name)
        .stdout(output.try_clone().unwrap())
        .stderr(output);
    for (key, value) in env {
        command.env(key, value);
    }
    for key in unset {
        command.env_remove(key);
    }
    let mut child = command.spawn().unwrap();
    let deadline = Instant::now() + Duration::from_secs(180);
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if Instant::now() > deadline {
            child.kill().unwrap();
            child.wait().unwrap();
            panic!("{name} did not finish in its child process within 180 s");
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    let output = std::fs::read_to_string(&output_path).unwrap_or_default();
    eprintln!("{output}");
    assert!(
        status.success() && output.contains("1 passed"),
        "{name} failed in its child process ({status}):\n{output}"
    );
}

fn in_child(name: &str) -> bool {
    std::env::var(CHILD).is_ok_and(|value| value == name)
}

#[tokio::test(flavor = "multi_thread")]
async fn a_dev_zero_source_fails_fast_within_the_body_cap() {
    // 4 GiB of address space: plenty for this binary, and the end of a read without bound.
    run_child("dev_zero_child", &[], &[], Some(4 * 1024 * 1024)).await;
}

/// The `/dev/zero` source itself; does nothing outside its child process.
#[tokio::test(flavor = "multi_thread")]
async fn dev_zero_child() {
    if !in_child("dev_zero_child") {
        return;
    }
    let deployment = Deployment::with_http(
        &source_toml("zero", "dcat", "file:///dev/zero", ""),
        "max_attempts = 1\ntimeout_secs = 20\nmax_body_bytes = 65536\n",
        "",
    );
    let catalog = deployment.open().await;
    let started = Instant::now();
    let report = deployment.harvest(&catalog, "zero").await;
    assert!(started.elapsed() < Duration::from_secs(10), "{report:?}");
    assert_eq!(report.status, JobStatus::Failed, "{report:?}");
    let errors = catalog.jobs().job_errors(report.job_id).await.unwrap();
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert!(
        errors[0]
            .message
            .contains("exceeds the limit of 65536 bytes"),
        "{}",
        errors[0].message
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn link_checker_ignores_proxy_settings_of_the_environment() {
    let (target_port, target_requests) = answering_server("a,b\n1,2\n").await;
    let (proxy_port, proxy_requests) = answering_server("proxied").await;
    let proxy = format!("http://127.0.0.1:{proxy_port}");
    let env: Vec<(&str, String)> = ["HTTP_PROXY", "http_proxy", "HTTPS_PROXY", "https_proxy"]
        .into_iter()
        .map(|key| (key, proxy.clone()))
        .chain([(TARGET_PORT, target_port.to_string())])
        .collect();
    run_child(
        "link_checker_child",
        &env,
        &[
            "NO_PROXY",
            "no_proxy",
            "ALL_PROXY",
            "all_proxy",
            "REQUEST_METHOD",
        ],
        None,
    )
    .await;
    // Only the child's control request went through the proxy; the checker's never reached
    // the proxy nor the target.
    let proxied = proxy_requests.lock().unwrap().clone();
    assert_eq!(proxied.len(), 1, "{proxied:?}");
    assert!(proxied[0].ends_with("/control"), "{proxied:?}");
    assert!(
        target_requests.lock().unwrap().is_empty(),
        "{:?}",
        target_requests.lock().unwrap()
    );
}

/// The link checker with `HTTP_PROXY` set; does nothing outside its child process.
#[tokio::test(flavor = "multi_thread")]
async fn link_checker_child() {
    if !in_child("link_checker_child") {
        return;
    }
    let port: u16 = std::env::var(TARGET_PORT).unwrap().parse().unwrap();
    // The proxy of the environment is in force here: a client with default settings uses it.
    let control = reqwest::get(format!("http://localhost:{port}/control"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(control, "proxied");
    let checker = LinkChecker::new(LinkCheckSettings {
        timeout: Duration::from_secs(2),
        per_host_per_sec: 50,
        ..LinkCheckSettings::default()
    })
    .unwrap();
    for host in [
        "localhost",
        "127.0.0.1",
        "[::ffff:127.0.0.1]",
        "[::127.0.0.1]",
    ] {
        let url = format!("http://{host}:{port}/data.csv");
        let result = checker.check(&url).await;
        assert_eq!(result.status, REFUSED_TARGET, "{url}: {result:?}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn link_checker_refuses_ipv6_forms_of_private_addresses() {
    let (port, requests) = answering_server("a,b\n1,2\n").await;
    let checker = LinkChecker::new(LinkCheckSettings {
        timeout: Duration::from_secs(2),
        per_host_per_sec: 50,
        ..LinkCheckSettings::default()
    })
    .unwrap();
    for host in [
        "[::127.0.0.1]",
        "[::ffff:127.0.0.1]",
        "[::10.0.0.1]",
        "[::ffff:169.254.169.254]",
        "[64:ff9b::127.0.0.1]",
    ] {
        let url = format!("http://{host}:{port}/data.csv");
        let result = checker.check(&url).await;
        assert_eq!(result.status, REFUSED_TARGET, "{url}: {result:?}");
        assert!(
            result
                .error
                .as_deref()
                .is_some_and(|e| e.contains("refused")),
            "{url}: {result:?}"
        );
    }
    assert!(requests.lock().unwrap().is_empty());
}
