//! A fake portal on 127.0.0.1:0 that serves the recorded fixtures of `../shared/fixtures/` with
//! each API's real paging:
//! - CKAN `package_search` re-slices recorded package lists by `rows`/`start` in `id asc` order,
//!   with the `fq=organization:` filter, in the real Action API envelope;
//! - DCAT "re-paged" collections split a recorded catalogue page into smaller pages (each
//!   dataset with everything reachable from it) and add Hydra paging triples in either style
//!   real portals use, serialised in the format asked for;
//! - DCAT "file" collections serve recorded files byte for byte, one file per page, with only a
//!   Hydra next-page link inserted, so defective real files are served exactly as recorded;
//! - udata `/api/1/datasets/` serves recorded dataset objects in udata's real envelope (`data`,
//!   `page`, `page_size`, `total`, `next_page` as an absolute URL), filtered by `organization`
//!   id and `tag`;
//! - Opendatasoft `/api/explore/v2.1/catalog/datasets` pages by `limit`/`offset` with the API's
//!   limits (`limit` ≤ 100, `offset + limit` < 10,000, else 400 with ODS's error body);
//! - single recorded files, an HTML page served where data is expected, and failures on demand
//!   (HTTP 500 on a page of any API, other faults on CKAN pages).
//!
//! Nothing here invents a record: every dataset comes from a recorded file, except the
//! Opendatasoft v2.1 catalogue, of which no real response is recorded: its datasets are the
//! examples of the official OpenAPI description (see `ods_v21_datasets`).

use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use fedcat_catalog::oxigraph::io::{JsonLdProfileSet, RdfFormat, RdfParser, RdfSerializer};
use fedcat_catalog::oxigraph::model::vocab::rdf;
use fedcat_catalog::oxigraph::model::{Literal, NamedNode, NamedOrBlankNode, Term, Triple};
use serde_json::{Value, json};
use std::collections::{HashMap, HashSet, VecDeque};
use std::sync::{Arc, Mutex};

/// Path of a file under `../shared/fixtures/`.
pub fn fixture_path(relative: &str) -> std::path::PathBuf {
    assert!(
        !relative.contains("holdout"),
        "holdout fixtures are reserved"
    );
    std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../shared/fixtures")
        .join(relative)
}

/// Reads a recorded file.
pub fn fixture_bytes(relative: &str) -> Vec<u8> {
    std::fs::read(fixture_path(relative))
        .unwrap_or_else(|e| panic!("cannot read fixture {relative}: {e}"))
}

/// The packages of a recorded CKAN `package_search` (or `package_show`) response.
pub fn ckan_packages(relative: &str) -> Vec<Value> {
    let body: Value = serde_json::from_slice(&fixture_bytes(relative)).unwrap();
    let result = body.get("result").cloned().unwrap_or(body);
    match result.get("results") {
        Some(Value::Array(results)) => results.clone(),
        _ => vec![result],
    }
}

/// Hydra paging style.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum HydraStyle {
    /// `hydra:PagedCollection` + `hydra:nextPage` (ckanext-dcat).
    PagedCollection,
    /// `hydra:PartialCollectionView` + `hydra:next` (udata).
    PartialCollectionView,
}

/// The fake portal's APIs, for the fault hook they share ([`FakePortal::fail_page`]).
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub enum Api {
    /// CKAN `package_search`, paged by `start`.
    Ckan,
    /// udata `/api/1/datasets/`, paged by `page`.
    Udata,
    /// Opendatasoft `catalog/datasets`, paged by `offset`.
    Ods,
    /// A re-paged DCAT collection, paged by the page number in its path.
    Dcat,
}

#[derive(Clone)]
struct CkanPortal {
    packages: Vec<Value>,
    /// `start` offsets that answer HTTP 500.
    failing_starts: HashSet<u64>,
    /// `start` offsets that misbehave in another way.
    faults: HashMap<u64, Fault>,
}

/// A way a page can go wrong, as real servers do (the bodies are made here: a fault has no
/// recorded response).
#[derive(Clone, Debug)]
pub enum Fault {
    /// `429 Too Many Requests` with `Retry-After: seconds`, `times` times, then the real page.
    TooManyRequests { times: u32, seconds: u64 },
    /// The connection is cut in the middle of the body.
    ConnectionReset,
    /// The page comes after this long.
    Slow(std::time::Duration),
    /// The JSON body stops halfway.
    TruncatedJson,
    /// A maintenance page in HTML, with status 200.
    HtmlMaintenance,
    /// A body that never ends.
    Endless,
    /// A redirect to itself.
    RedirectLoop,
    /// Bytes that are not UTF-8 in the middle of the JSON.
    InvalidUtf8,
}

#[derive(Clone)]
struct RepagedCollection {
    /// Each page's triples (without paging triples).
    pages: Vec<Vec<Triple>>,
    style: HydraStyle,
    format: RdfFormat,
}

#[derive(Clone)]
struct FileCollection {
    files: Vec<String>,
    /// The last page links back to the first, as a broken portal's paging does.
    loop_back: bool,
}

#[derive(Default)]
struct PortalState {
    base: String,
    ckan: HashMap<String, CkanPortal>,
    udata: HashMap<String, Vec<Value>>,
    /// Re-paged DCAT pages replaced by another body: (collection, page) → (content type, body).
    page_overrides: HashMap<(String, usize), (String, Vec<u8>)>,
    /// When each CKAN page request arrived.
    ckan_request_times: Vec<std::time::Instant>,
    /// Time each CKAN portal takes to answer a page.
    ckan_delays: HashMap<String, std::time::Duration>,
    ods: HashMap<String, Vec<Value>>,
    repaged: HashMap<String, RepagedCollection>,
    file_collections: HashMap<String, FileCollection>,
    /// udata, Opendatasoft and re-paged DCAT pages that answer HTTP 500: (API, portal, what the
    /// API pages by). CKAN keeps its own (`CkanPortal::failing_starts`).
    failing_pages: HashSet<(Api, String, u64)>,
    requests: Vec<String>,
}

/// A running fake portal.
pub struct FakePortal {
    /// `http://127.0.0.1:PORT`.
    pub base: String,
    state: Arc<Mutex<PortalState>>,
}

impl FakePortal {
    /// Starts the portal on an ephemeral loopback port.
    pub async fn start() -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let state = Arc::new(Mutex::new(PortalState {
            base: base.clone(),
            ..PortalState::default()
        }));
        let app = Router::new()
            .route(
                "/ckan/{portal}/api/3/action/package_search",
                get(ckan_search),
            )
            .route("/udata/{portal}/api/1/datasets/", get(udata_datasets_page))
            .route(
                "/ods/{portal}/api/explore/v2.1/catalog/datasets",
                get(ods_datasets_page),
            )
            .route("/dcat/{name}/page/{number}", get(repaged_page))
            .route("/files-collection/{name}/page/{number}", get(file_page))
            .route("/files/{*path}", get(single_file))
            .route("/html", get(html_page))
            .with_state(state.clone());
        tokio::spawn(async move {
            axum::serve(listener, app).await.unwrap();
        });
        Self { base, state }
    }

    /// Serves `packages` as CKAN portal `name` at `{base}/ckan/{name}`.
    pub fn add_ckan(&self, name: &str, packages: Vec<Value>) -> String {
        let mut unique = HashMap::new();
        for (index, package) in packages.into_iter().enumerate() {
            // A package without an id (a broken portal's) is served as it is.
            let id = package["id"]
                .as_str()
                .map_or_else(|| format!("~{index}"), str::to_owned);
            unique.entry(id).or_insert(package);
        }
        let mut packages: Vec<Value> = unique.into_values().collect();
        packages.sort_by(|a, b| a["id"].as_str().cmp(&b["id"].as_str()));
        self.state.lock().unwrap().ckan.insert(
            name.to_owned(),
            CkanPortal {
                packages,
                failing_starts: HashSet::new(),
                faults: HashMap::new(),
            },
        );
        format!("{}/ckan/{name}", self.base)
    }

    /// Serves `datasets` as udata portal `name` at `{base}/udata/{name}`, newest first as
    /// udata's default order (`-created`).
    pub fn add_udata(&self, name: &str, datasets: Vec<Value>) -> String {
        let mut unique: HashMap<String, Value> = HashMap::new();
        for (index, dataset) in datasets.into_iter().enumerate() {
            let id = dataset["id"]
                .as_str()
                .map_or_else(|| format!("~{index}"), str::to_owned);
            unique.insert(id, dataset);
        }
        let mut datasets: Vec<Value> = unique.into_values().collect();
        datasets.sort_by(|a, b| {
            (b["created_at"].as_str(), b["id"].as_str())
                .cmp(&(a["created_at"].as_str(), a["id"].as_str()))
        });
        self.state
            .lock()
            .unwrap()
            .udata
            .insert(name.to_owned(), datasets);
        format!("{}/udata/{name}", self.base)
    }

    /// Changes a dataset of a udata portal in place.
    pub fn edit_udata_dataset(&self, name: &str, id: &str, edit: impl FnOnce(&mut Value)) {
        let mut state = self.state.lock().unwrap();
        let dataset = state
            .udata
            .get_mut(name)
            .unwrap()
            .iter_mut()
            .find(|d| d["id"].as_str() == Some(id))
            .unwrap_or_else(|| panic!("dataset {id} not served"));
        edit(dataset);
    }

    /// Serves `datasets` as Opendatasoft portal `name` at `{base}/ods/{name}`.
    pub fn add_ods(&self, name: &str, mut datasets: Vec<Value>) -> String {
        datasets.sort_by(|a, b| a["dataset_id"].as_str().cmp(&b["dataset_id"].as_str()));
        self.state
            .lock()
            .unwrap()
            .ods
            .insert(name.to_owned(), datasets);
        format!("{}/ods/{name}", self.base)
    }

    /// Serves `body` instead of page `number` of a re-paged DCAT collection (`None` restores it).
    pub fn override_dcat_page(&self, name: &str, number: usize, body: Option<(&str, Vec<u8>)>) {
        let mut state = self.state.lock().unwrap();
        let key = (name.to_owned(), number);
        match body {
            Some((content_type, body)) => {
                state
                    .page_overrides
                    .insert(key, (content_type.to_owned(), body));
            }
            None => {
                state.page_overrides.remove(&key);
            }
        }
    }

    /// Makes the CKAN page at offset `start` misbehave (`None` heals it).
    pub fn fault_ckan_page(&self, name: &str, start: u64, fault: Option<Fault>) {
        let mut state = self.state.lock().unwrap();
        let portal = state.ckan.get_mut(name).unwrap();
        match fault {
            Some(fault) => portal.faults.insert(start, fault),
            None => portal.faults.remove(&start),
        };
    }

    /// Makes CKAN portal `name` take `delay` to answer each page.
    pub fn delay_ckan(&self, name: &str, delay: std::time::Duration) {
        self.state
            .lock()
            .unwrap()
            .ckan_delays
            .insert(name.to_owned(), delay);
    }

    /// Changes a package of a CKAN portal in place (as an edit on the portal would).
    pub fn edit_ckan_package(&self, name: &str, id: &str, edit: impl FnOnce(&mut Value)) {
        let mut state = self.state.lock().unwrap();
        let portal = state.ckan.get_mut(name).unwrap();
        let package = portal
            .packages
            .iter_mut()
            .find(|p| p["id"].as_str() == Some(id))
            .unwrap_or_else(|| panic!("package {id} not served"));
        edit(package);
    }

    /// Removes a package from a CKAN portal (as if it was deleted on the portal).
    pub fn remove_ckan_package(&self, name: &str, id: &str) {
        let mut state = self.state.lock().unwrap();
        let portal = state.ckan.get_mut(name).unwrap();
        let before = portal.packages.len();
        portal.packages.retain(|p| p["id"].as_str() != Some(id));
        assert_eq!(portal.packages.len() + 1, before, "package {id} not served");
    }

    /// Makes the CKAN page at offset `start` answer 500 (or recover with `failing = false`).
    pub fn fail_ckan_page(&self, name: &str, start: u64, failing: bool) {
        let mut state = self.state.lock().unwrap();
        let portal = state.ckan.get_mut(name).unwrap();
        if failing {
            portal.failing_starts.insert(start);
        } else {
            portal.failing_starts.remove(&start);
        }
    }

    /// Makes page `at` of portal `name` answer 500 (or recover with `failing = false`), `at`
    /// being what the API pages by: CKAN's `start` (as [`Self::fail_ckan_page`]), udata's
    /// `page`, Opendatasoft's `offset`, the number of a re-paged DCAT collection's page.
    pub fn fail_page(&self, api: Api, name: &str, at: u64, failing: bool) {
        match api {
            Api::Ckan => self.fail_ckan_page(name, at, failing),
            Api::Udata | Api::Ods | Api::Dcat => {
                let mut state = self.state.lock().unwrap();
                let key = (api, name.to_owned(), at);
                if failing {
                    state.failing_pages.insert(key);
                } else {
                    state.failing_pages.remove(&key);
                }
            }
        }
    }

    /// Re-pages the recorded RDF file `fixture` into pages of `per_page` datasets, served in
    /// `format` with `style` paging. Returns the first page URL.
    pub fn add_repaged_dcat(
        &self,
        name: &str,
        fixture: &str,
        per_page: usize,
        style: HydraStyle,
        format: RdfFormat,
    ) -> String {
        // The recorded page's own paging links point to the real portal: the fake portal
        // replaces them with its own.
        let triples: Vec<Triple> = parse_fixture(fixture)
            .into_iter()
            .filter(|t| !is_hydra(t))
            .collect();
        let pages = partition_by_dataset(&triples, per_page);
        self.state.lock().unwrap().repaged.insert(
            name.to_owned(),
            RepagedCollection {
                pages,
                style,
                format,
            },
        );
        format!("{}/dcat/{name}/page/1", self.base)
    }

    /// Serves recorded files byte for byte, one per page, linked with `hydra:nextPage`.
    pub fn add_file_collection(&self, name: &str, files: &[&str], loop_back: bool) -> String {
        self.state.lock().unwrap().file_collections.insert(
            name.to_owned(),
            FileCollection {
                files: files.iter().map(|f| (*f).to_owned()).collect(),
                loop_back,
            },
        );
        format!("{}/files-collection/{name}/page/1", self.base)
    }

    /// URL of a recorded file served as is.
    pub fn file_url(&self, fixture: &str) -> String {
        format!("{}/files/{fixture}", self.base)
    }

    /// When each CKAN page request arrived, in order.
    pub fn ckan_request_times(&self) -> Vec<std::time::Instant> {
        self.state.lock().unwrap().ckan_request_times.clone()
    }

    /// Every request path served so far.
    pub fn requests(&self) -> Vec<String> {
        self.state.lock().unwrap().requests.clone()
    }
}

/// The dataset objects of recorded udata API responses: a dataset, a list of datasets or a
/// `{"data": [...]}` page. The 2025 fixture (`datagouv_fixture_results_15datasets.json`) holds
/// database records (`{dataset, resources, organization}`), rebuilt here into API objects.
pub fn udata_datasets(relative: &str) -> Vec<Value> {
    let body: Value = serde_json::from_slice(&fixture_bytes(relative)).unwrap();
    let items = match body {
        Value::Array(items) => items,
        Value::Object(ref object) if object.contains_key("datasets") => {
            body["datasets"].as_array().unwrap().clone()
        }
        Value::Object(ref object) if object.contains_key("data") => {
            body["data"].as_array().unwrap().clone()
        }
        other => vec![other],
    };
    items
        .into_iter()
        .map(|item| match item.get("dataset") {
            Some(dataset) if item.get("resources").is_some() => {
                let mut dataset = dataset.clone();
                // The API serialises these database fields under their public names.
                for (internal, public) in [
                    ("created_at_internal", "created_at"),
                    ("last_modified_internal", "last_modified"),
                ] {
                    if dataset.get(public).is_none() {
                        dataset[public] = dataset[internal].clone();
                    }
                }
                dataset["resources"] = item["resources"].clone();
                dataset["organization"] = item["organization"].clone();
                dataset
            }
            _ => item,
        })
        .collect()
}

/// The datasets of a udata harvest-test snapshot (`ckan/datasud.fr_package_search_snapshot.json`,
/// key `datasets`): udata's database documents of the copies it harvested, rebuilt into the API
/// shape: `*_internal` dates under their public names and every `"YYYY-MM-DD HH:MM:SS"`
/// datetime in the ISO 8601 form the API serialises.
pub fn udata_database_datasets(relative: &str) -> Vec<Value> {
    fn iso_dates(value: &mut Value) {
        match value {
            Value::String(text) => {
                let bytes = text.as_bytes();
                if bytes.len() >= 19
                    && bytes[10] == b' '
                    && bytes[4] == b'-'
                    && bytes[13] == b':'
                    && text[..10].chars().all(|c| c.is_ascii_digit() || c == '-')
                {
                    text.replace_range(10..11, "T");
                }
            }
            Value::Array(items) => items.iter_mut().for_each(iso_dates),
            Value::Object(map) => map.values_mut().for_each(iso_dates),
            _ => {}
        }
    }
    udata_datasets(relative)
        .into_iter()
        .map(|mut dataset| {
            for (internal, public) in [
                ("created_at_internal", "created_at"),
                ("last_modified_internal", "last_modified"),
            ] {
                if dataset.get(public).is_none() {
                    dataset[public] = dataset[internal].clone();
                }
            }
            iso_dates(&mut dataset);
            dataset
        })
        .collect()
}

/// Every dataset file of a recorded directory (one dataset object per `.json` file).
pub fn udata_dataset_dir(relative: &str) -> Vec<Value> {
    let mut files: Vec<_> = std::fs::read_dir(fixture_path(relative))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    files.sort();
    files
        .iter()
        .map(|p| serde_json::from_slice(&std::fs::read(p).unwrap()).unwrap())
        .collect()
}

/// The Opendatasoft Explore v2.1 catalogue served by the tests. No real `catalog/datasets`
/// response is recorded (fixtures PROVENANCE.md), so these are the dataset objects of the
/// official OpenAPI description's examples (`components.examples.datasets-v2.1` and
/// `dataset-v2.1`, as harvested in `api-evangelist/opendatasoft`
/// `openapi/_original/opendatasoft-explore-api-v2.1.json`), with their `fields` lists cut.
pub fn ods_v21_datasets() -> Vec<Value> {
    serde_json::from_str(include_str!("data/ods_explore_v2.1_datasets.json")).unwrap()
}

/// Parses a recorded RDF file by its extension.
pub fn parse_fixture(fixture: &str) -> Vec<Triple> {
    let format = format_of(fixture);
    // GovData's page has relative IRIs ("berlin"), resolved against a base of the test, and
    // unescaped brackets in URLs, kept as recorded (lenient).
    RdfParser::from_format(format)
        .with_base_iri("http://fixture.test/")
        .unwrap()
        .lenient()
        .for_slice(&fixture_bytes(fixture))
        .map(|q| Triple::from(q.unwrap_or_else(|e| panic!("{fixture}: {e}"))))
        .collect()
}

fn format_of(path: &str) -> RdfFormat {
    if path.ends_with(".ttl") {
        RdfFormat::Turtle
    } else if path.ends_with(".jsonld") || path.ends_with(".json") {
        RdfFormat::JsonLd {
            profile: JsonLdProfileSet::empty(),
        }
    } else {
        RdfFormat::RdfXml
    }
}

/// The distinct `dcat:Dataset` subjects of some triples.
pub fn dataset_subjects(triples: &[Triple]) -> HashSet<NamedOrBlankNode> {
    let dataset = NamedNode::new_unchecked("http://www.w3.org/ns/dcat#Dataset");
    triples
        .iter()
        .filter(|t| t.predicate == rdf::TYPE && t.object == Term::from(dataset.clone()))
        .map(|t| t.subject.clone())
        .collect()
}

/// Splits a catalogue page: each page gets `per_page` datasets and every triple reachable from
/// them; triples reachable from no dataset (the catalogue's own description) go on page 1.
fn partition_by_dataset(triples: &[Triple], per_page: usize) -> Vec<Vec<Triple>> {
    let mut datasets: Vec<NamedOrBlankNode> = Vec::new();
    for t in triples {
        if dataset_subjects(std::slice::from_ref(t)).contains(&t.subject)
            && !datasets.contains(&t.subject)
        {
            datasets.push(t.subject.clone());
        }
    }
    let dataset_set: HashSet<&NamedOrBlankNode> = datasets.iter().collect();
    let mut by_subject: HashMap<&NamedOrBlankNode, Vec<usize>> = HashMap::new();
    for (i, t) in triples.iter().enumerate() {
        by_subject.entry(&t.subject).or_default().push(i);
    }
    let mut pages: Vec<HashSet<usize>> = Vec::new();
    let mut used = HashSet::new();
    for chunk in datasets.chunks(per_page) {
        let mut page = HashSet::new();
        for root in chunk {
            let mut queue = VecDeque::from([root.clone()]);
            let mut seen = HashSet::new();
            while let Some(node) = queue.pop_front() {
                if !seen.insert(node.clone()) {
                    continue;
                }
                for &i in by_subject.get(&node).into_iter().flatten() {
                    page.insert(i);
                    used.insert(i);
                    let next = match &triples[i].object {
                        Term::NamedNode(n) => Some(NamedOrBlankNode::from(n.clone())),
                        Term::BlankNode(b) => Some(NamedOrBlankNode::from(b.clone())),
                        _ => None,
                    };
                    if let Some(next) = next
                        && !dataset_set.contains(&next)
                    {
                        queue.push_back(next);
                    }
                }
            }
        }
        pages.push(page);
    }
    if pages.is_empty() {
        pages.push(HashSet::new());
    }
    for i in 0..triples.len() {
        if !used.contains(&i) {
            pages[0].insert(i);
        }
    }
    pages
        .into_iter()
        .map(|page| {
            let mut indices: Vec<usize> = page.into_iter().collect();
            indices.sort_unstable();
            indices.into_iter().map(|i| triples[i].clone()).collect()
        })
        .collect()
}

fn is_hydra(triple: &Triple) -> bool {
    const HYDRA: &str = "http://www.w3.org/ns/hydra/core#";
    triple.predicate.as_str().starts_with(HYDRA)
        || matches!(&triple.object, Term::NamedNode(n) if n.as_str().starts_with(HYDRA))
}

fn hydra(local: &str) -> NamedNode {
    NamedNode::new_unchecked(format!("http://www.w3.org/ns/hydra/core#{local}"))
}

fn paging_triples(
    style: HydraStyle,
    page_url: &str,
    next: Option<&str>,
    total: usize,
) -> Vec<Triple> {
    let page = NamedNode::new_unchecked(page_url);
    let total = Literal::from(total as i64);
    match style {
        HydraStyle::PagedCollection => {
            // ckanext-dcat writes page links as plain literals.
            let mut triples = vec![
                Triple::new(page.clone(), rdf::TYPE, hydra("PagedCollection")),
                Triple::new(page.clone(), hydra("totalItems"), total),
            ];
            if let Some(next) = next {
                triples.push(Triple::new(
                    page,
                    hydra("nextPage"),
                    Literal::new_simple_literal(next),
                ));
            }
            triples
        }
        HydraStyle::PartialCollectionView => {
            let collection = NamedNode::new_unchecked(format!("{page_url}#collection"));
            let mut triples = vec![
                Triple::new(collection.clone(), rdf::TYPE, hydra("Collection")),
                Triple::new(collection.clone(), hydra("totalItems"), total),
                Triple::new(collection, hydra("view"), page.clone()),
                Triple::new(page.clone(), rdf::TYPE, hydra("PartialCollectionView")),
            ];
            if let Some(next) = next {
                triples.push(Triple::new(
                    page,
                    hydra("next"),
                    NamedNode::new_unchecked(next),
                ));
            }
            triples
        }
    }
}

async fn ckan_search(
    State(state): State<Arc<Mutex<PortalState>>>,
    Path(portal): Path<String>,
    Query(params): Query<HashMap<String, String>>,
    headers: axum::http::HeaderMap,
) -> Response {
    let name = portal.clone();
    state
        .lock()
        .unwrap()
        .ckan_request_times
        .push(std::time::Instant::now());
    let delay = state.lock().unwrap().ckan_delays.get(&portal).copied();
    if let Some(delay) = delay {
        tokio::time::sleep(delay).await;
    }
    let start_param: u64 = params
        .get("start")
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let fault = state
        .lock()
        .unwrap()
        .ckan
        .get_mut(&portal)
        .and_then(|p| p.faults.get_mut(&start_param))
        .map(|fault| {
            let current = fault.clone();
            if let Fault::TooManyRequests { times, .. } = fault {
                *times = times.saturating_sub(1);
            }
            current
        });
    let body_of_page = |state: &Arc<Mutex<PortalState>>| -> Vec<u8> {
        let state = state.lock().unwrap();
        let packages = &state.ckan[&portal].packages;
        let rows: usize = params
            .get("rows")
            .and_then(|r| r.parse().ok())
            .unwrap_or(10);
        let results: Vec<&Value> = packages
            .iter()
            .skip(start_param as usize)
            .take(rows)
            .collect();
        serde_json::to_vec(
            &json!({"success": true, "result": {"count": packages.len(), "results": results}}),
        )
        .unwrap()
    };
    match fault {
        None | Some(Fault::TooManyRequests { times: 0, .. }) => {}
        Some(Fault::TooManyRequests { seconds, .. }) => {
            state
                .lock()
                .unwrap()
                .requests
                .push(format!("/ckan/{portal}/429"));
            return (
                StatusCode::TOO_MANY_REQUESTS,
                [(header::RETRY_AFTER, seconds.to_string())],
                "Too Many Requests",
            )
                .into_response();
        }
        Some(Fault::Slow(delay)) => tokio::time::sleep(delay).await,
        Some(Fault::ConnectionReset) => {
            let body = body_of_page(&state);
            let half = body[..body.len() / 2].to_vec();
            let stream = futures_util::stream::iter(vec![
                Ok::<_, std::io::Error>(half),
                Err(std::io::Error::new(
                    std::io::ErrorKind::ConnectionReset,
                    "reset",
                )),
            ]);
            return (
                [(header::CONTENT_TYPE, "application/json")],
                axum::body::Body::from_stream(stream),
            )
                .into_response();
        }
        Some(Fault::TruncatedJson) => {
            let body = body_of_page(&state);
            return (
                [(header::CONTENT_TYPE, "application/json")],
                body[..body.len() / 2].to_vec(),
            )
                .into_response();
        }
        Some(Fault::HtmlMaintenance) => return html_page().await,
        Some(Fault::Endless) => {
            let chunk = vec![b' '; 64 * 1024];
            let stream =
                futures_util::stream::repeat_with(move || Ok::<_, std::io::Error>(chunk.clone()));
            return (
                [(header::CONTENT_TYPE, "application/json")],
                axum::body::Body::from_stream(stream),
            )
                .into_response();
        }
        Some(Fault::RedirectLoop) => {
            let base = state.lock().unwrap().base.clone();
            let query: String = url::form_urlencoded::Serializer::new(String::new())
                .extend_pairs(params.iter())
                .finish();
            return (
                StatusCode::FOUND,
                [(
                    header::LOCATION,
                    format!("{base}/ckan/{portal}/api/3/action/package_search?{query}"),
                )],
            )
                .into_response();
        }
        Some(Fault::InvalidUtf8) => {
            let mut body = body_of_page(&state);
            // Inside a title (a string value), so only the encoding is wrong.
            let key = b"\"title\":\"";
            let at = body
                .windows(key.len())
                .position(|w| w == key)
                .expect("a package has a title")
                + key.len();
            body.splice(at..at, [0xff, 0xfe, 0xc3]);
            return ([(header::CONTENT_TYPE, "application/json")], body).into_response();
        }
    }
    let mut state = state.lock().unwrap();
    state
        .requests
        .push(format!("/ckan/{portal}/package_search?{params:?}"));
    let Some(portal) = state.ckan.get(&portal) else {
        return (StatusCode::NOT_FOUND, "no such portal").into_response();
    };
    let rows: usize = params
        .get("rows")
        .and_then(|r| r.parse().ok())
        .unwrap_or(10);
    let start: usize = params
        .get("start")
        .and_then(|r| r.parse().ok())
        .unwrap_or(0);
    if portal.failing_starts.contains(&(start as u64)) {
        return (StatusCode::INTERNAL_SERVER_ERROR, "Internal Server Error").into_response();
    }
    // The `fq` clauses fedcat sends: `organization:NAME` and `metadata_modified:[T TO *]`.
    let clauses: Vec<&str> = params
        .get("fq")
        .map(|fq| fq.split(" AND ").collect())
        .unwrap_or_default();
    let organization = clauses
        .iter()
        .find_map(|c| c.strip_prefix("organization:"))
        .map(str::to_owned);
    let modified_since = clauses
        .iter()
        .find_map(|c| c.strip_prefix("metadata_modified:["))
        .and_then(|rest| rest.split(" TO ").next())
        .map(|t| t.trim_end_matches('Z').to_owned());
    let mut matching: Vec<&Value> = portal
        .packages
        .iter()
        .filter(|p| match &organization {
            Some(org) => p["organization"]["name"].as_str() == Some(org),
            None => true,
        })
        .filter(|p| match &modified_since {
            Some(since) => p["metadata_modified"]
                .as_str()
                .is_some_and(|m| m >= since.as_str()),
            None => true,
        })
        .collect();
    if params.get("sort").map(String::as_str) == Some("id asc") {
        matching.sort_by(|a, b| a["id"].as_str().cmp(&b["id"].as_str()));
    }
    let results: Vec<&Value> = matching.iter().skip(start).take(rows).copied().collect();
    let body = serde_json::to_vec(&json!({
        "help": "https://demo.ckan.org/api/3/action/help_show?name=package_search",
        "success": true,
        "result": {"count": matching.len(), "sort": params.get("sort"), "facets": {}, "results": results, "search_facets": {}}
    }))
    .unwrap();
    // An ETag of the body, and 304 to a request that already has it, as CKAN behind a cache.
    let etag = {
        use std::hash::{Hash, Hasher};
        let mut hasher = std::collections::hash_map::DefaultHasher::new();
        body.hash(&mut hasher);
        format!("\"{:016x}\"", hasher.finish())
    };
    let matches = headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v == etag);
    if matches {
        state.requests.push(format!("/ckan/{name}/304"));
        return (StatusCode::NOT_MODIFIED, [(header::ETAG, etag)]).into_response();
    }
    (
        [
            (header::CONTENT_TYPE, "application/json".to_owned()),
            (header::ETAG, etag),
        ],
        body,
    )
        .into_response()
}

async fn udata_datasets_page(
    State(state): State<Arc<Mutex<PortalState>>>,
    Path(portal): Path<String>,
    Query(params): Query<HashMap<String, String>>,
) -> Response {
    let mut state = state.lock().unwrap();
    state
        .requests
        .push(format!("/udata/{portal}/datasets?{params:?}"));
    let at: u64 = params.get("page").and_then(|p| p.parse().ok()).unwrap_or(1);
    if page_fails(&state, Api::Udata, &portal, at) {
        return (StatusCode::INTERNAL_SERVER_ERROR, "Internal Server Error").into_response();
    }
    let base = state.base.clone();
    let Some(datasets) = state.udata.get(&portal) else {
        return (StatusCode::NOT_FOUND, "no such portal").into_response();
    };
    if let Some(org) = params.get("organization")
        && !(org.len() == 24 && org.bytes().all(|b| b.is_ascii_hexdigit()))
    {
        // udata's DatasetApiParser (udata/core/dataset/api.py).
        return (
            StatusCode::BAD_REQUEST,
            axum::Json(json!({"message": "Organization arg must be an identifier"})),
        )
            .into_response();
    }
    let page: usize = params.get("page").and_then(|p| p.parse().ok()).unwrap_or(1);
    let page_size: usize = params
        .get("page_size")
        .and_then(|p| p.parse().ok())
        .unwrap_or(20);
    let matching: Vec<&Value> = datasets
        .iter()
        .filter(|d| match params.get("organization") {
            Some(org) => d["organization"]["id"].as_str() == Some(org),
            None => true,
        })
        .filter(|d| match params.get("tag") {
            Some(tag) => d["tags"]
                .as_array()
                .is_some_and(|tags| tags.iter().any(|t| t.as_str() == Some(tag))),
            None => true,
        })
        .collect();
    let mut matching = matching;
    if params.get("sort").map(String::as_str) == Some("-last_update") {
        matching.sort_by(|a, b| b["last_update"].as_str().cmp(&a["last_update"].as_str()));
    }
    let data: Vec<&Value> = matching
        .iter()
        .skip((page.max(1) - 1) * page_size)
        .take(page_size)
        .copied()
        .collect();
    let link = |page: usize| {
        let mut query = url::form_urlencoded::Serializer::new(String::new());
        for (key, value) in &params {
            if key != "page" {
                query.append_pair(key, value);
            }
        }
        query.append_pair("page", &page.to_string());
        format!("{base}/udata/{portal}/api/1/datasets/?{}", query.finish())
    };
    let next_page = (page * page_size < matching.len()).then(|| link(page + 1));
    let previous_page = (page > 1).then(|| link(page - 1));
    axum::Json(json!({
        "data": data,
        "facets": {},
        "next_page": next_page,
        "page": page,
        "page_size": page_size,
        "previous_page": previous_page,
        "total": matching.len(),
    }))
    .into_response()
}

async fn ods_datasets_page(
    State(state): State<Arc<Mutex<PortalState>>>,
    Path(portal): Path<String>,
    Query(params): Query<HashMap<String, String>>,
) -> Response {
    let mut state = state.lock().unwrap();
    state
        .requests
        .push(format!("/ods/{portal}/datasets?{params:?}"));
    let at: u64 = params
        .get("offset")
        .and_then(|p| p.parse().ok())
        .unwrap_or(0);
    if page_fails(&state, Api::Ods, &portal, at) {
        return (StatusCode::INTERNAL_SERVER_ERROR, "Internal Server Error").into_response();
    }
    let Some(datasets) = state.ods.get(&portal) else {
        return (StatusCode::NOT_FOUND, "no such portal").into_response();
    };
    let limit: usize = params
        .get("limit")
        .and_then(|p| p.parse().ok())
        .unwrap_or(10);
    let offset: usize = params
        .get("offset")
        .and_then(|p| p.parse().ok())
        .unwrap_or(0);
    if limit > 100 || offset + limit >= 10_000 {
        // The OpenAPI description's `bad_request` response.
        return (
            StatusCode::BAD_REQUEST,
            axum::Json(json!({
                "message": "Invalid value for limit or offset: limit must be at most 100 and offset + limit less than 10000",
                "error_code": "InvalidRESTParameterError"
            })),
        )
            .into_response();
    }
    let results: Vec<&Value> = datasets.iter().skip(offset).take(limit).collect();
    axum::Json(json!({"total_count": datasets.len(), "results": results})).into_response()
}

async fn repaged_page(
    State(state): State<Arc<Mutex<PortalState>>>,
    Path((name, number)): Path<(String, usize)>,
    axum::extract::RawQuery(query): axum::extract::RawQuery,
) -> Response {
    let mut state = state.lock().unwrap();
    match query {
        Some(query) => state
            .requests
            .push(format!("/dcat/{name}/page/{number}?{query}")),
        None => state.requests.push(format!("/dcat/{name}/page/{number}")),
    }
    if page_fails(&state, Api::Dcat, &name, number as u64) {
        return (StatusCode::INTERNAL_SERVER_ERROR, "Internal Server Error").into_response();
    }
    if let Some((content_type, body)) = state.page_overrides.get(&(name.clone(), number)) {
        return ([(header::CONTENT_TYPE, content_type.clone())], body.clone()).into_response();
    }
    let base = state.base.clone();
    let Some(collection) = state.repaged.get(&name) else {
        return (StatusCode::NOT_FOUND, "no such collection").into_response();
    };
    if number == 0 || number > collection.pages.len() {
        return (StatusCode::NOT_FOUND, "no such page").into_response();
    }
    let page_url = format!("{base}/dcat/{name}/page/{number}");
    let next = (number < collection.pages.len())
        .then(|| format!("{base}/dcat/{name}/page/{}", number + 1));
    let total = collection
        .pages
        .iter()
        .map(|p| dataset_subjects(p).len())
        .sum();
    let mut writer = RdfSerializer::from_format(collection.format).for_writer(Vec::new());
    for triple in collection.pages[number - 1].iter().chain(&paging_triples(
        collection.style,
        &page_url,
        next.as_deref(),
        total,
    )) {
        writer.serialize_triple(triple).unwrap();
    }
    let body = writer.finish().unwrap();
    (
        [(header::CONTENT_TYPE, collection.format.media_type())],
        body,
    )
        .into_response()
}

async fn file_page(
    State(state): State<Arc<Mutex<PortalState>>>,
    Path((name, number)): Path<(String, usize)>,
) -> Response {
    let mut state = state.lock().unwrap();
    state
        .requests
        .push(format!("/files-collection/{name}/page/{number}"));
    let base = state.base.clone();
    let Some(collection) = state.file_collections.get(&name) else {
        return (StatusCode::NOT_FOUND, "no such collection").into_response();
    };
    let Some(file) = collection.files.get(number.wrapping_sub(1)) else {
        return (StatusCode::NOT_FOUND, "no such page").into_response();
    };
    let mut body = fixture_bytes(file);
    let next_number = if number < collection.files.len() {
        Some(number + 1)
    } else if collection.loop_back {
        Some(1)
    } else {
        None
    };
    if let Some(next_number) = next_number {
        let next = format!("{base}/files-collection/{name}/page/{next_number}");
        let link = format!(
            "<rdf:Description xmlns:hydra=\"http://www.w3.org/ns/hydra/core#\" rdf:about=\"{base}/files-collection/{name}/page/{number}\"><rdf:type rdf:resource=\"http://www.w3.org/ns/hydra/core#PagedCollection\"/><hydra:nextPage>{next}</hydra:nextPage></rdf:Description>\n"
        );
        let text = String::from_utf8(body).unwrap();
        let end = text
            .rfind("</rdf:RDF>")
            .expect("file collections hold RDF/XML files");
        body = format!("{}{link}{}", &text[..end], &text[end..]).into_bytes();
    }
    ([(header::CONTENT_TYPE, "application/rdf+xml")], body).into_response()
}

async fn single_file(
    State(state): State<Arc<Mutex<PortalState>>>,
    Path(path): Path<String>,
) -> Response {
    state
        .lock()
        .unwrap()
        .requests
        .push(format!("/files/{path}"));
    let content_type = format_of(&path).media_type();
    ([(header::CONTENT_TYPE, content_type)], fixture_bytes(&path)).into_response()
}

/// True when page `at` of portal `name` of `api` was made to fail ([`FakePortal::fail_page`]).
fn page_fails(state: &PortalState, api: Api, name: &str, at: u64) -> bool {
    state.failing_pages.contains(&(api, name.to_owned(), at))
}

async fn html_page() -> Response {
    (
        [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
        "<!DOCTYPE html><html><head><title>Maintenance</title></head><body><h1>Le portail est en maintenance</h1></body></html>",
    )
        .into_response()
}
