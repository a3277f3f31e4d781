//! Helpers: a temporary deployment (config files, data directory), harvesting through the
//! library as the binary does, an in-process server on loopback, and SPARQL over HTTP.

use fedcat::AppConfig;
use fedcat::harvest::{harvest_one, http_client};
use fedcat_catalog::Catalog;
use fedcat_harvester::HarvestReport;
use serde_json::Value;
use std::path::PathBuf;

/// A temporary deployment: `fedcat.toml` and `sources.toml` in a temp dir, data beside them.
pub struct Deployment {
    pub dir: tempfile::TempDir,
    pub config: AppConfig,
}

pub const BASE_IRI: &str = "http://fedcat.test";

impl Deployment {
    /// Writes the config files (`sources` is the body of sources.toml) and loads them.
    pub fn new(sources: &str, extra_config: &str) -> Self {
        Self::with_http(
            sources,
            "max_attempts = 1\ntimeout_secs = 20\n",
            extra_config,
        )
    }

    /// Like [`Self::new`] with the body of the `[http]` table given.
    pub fn with_http(sources: &str, http: &str, extra_config: &str) -> Self {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("fedcat.toml"),
            format!(
                "data_dir = \"data\"\nbase_iri = \"{BASE_IRI}\"\nlisten = \"127.0.0.1:0\"\n\
                 vocabularies_dir = \"{}\"\n\
                 [http]\n{http}\n[serve]\nharvest_on_start = false\n{extra_config}",
                vocabularies_dir().display()
            ),
        )
        .unwrap();
        std::fs::write(dir.path().join("sources.toml"), sources).unwrap();
        let mut config = AppConfig::load(&dir.path().join("fedcat.toml"))
            .unwrap_or_else(|problems| panic!("test config invalid: {problems:?}"));
        // SPARQL over a store on disk runs in worker processes, as under `fedcat serve`.
        config.sparql_worker = Some(PathBuf::from(env!("CARGO_BIN_EXE_fedcat")));
        Self { dir, config }
    }

    pub fn config_path(&self) -> PathBuf {
        self.dir.path().join("fedcat.toml")
    }

    pub async fn open(&self) -> Catalog {
        Catalog::open(&self.config.data_dir, &self.config.base_iri)
            .await
            .unwrap()
    }

    /// Harvests one configured source through the same code path as `fedcat harvest`.
    pub async fn harvest(&self, catalog: &Catalog, source_id: &str) -> HarvestReport {
        let source = self.config.sources.get(source_id).unwrap();
        let client = http_client(&self.config).unwrap();
        harvest_one(
            source,
            &client,
            catalog,
            &self.config.vocabularies,
            &self.config.harvest,
            &|_| {},
        )
        .await
        .unwrap()
    }

    /// Indexes every configured source in a fresh in-memory search index and serves the
    /// catalogue with it on loopback; returns the base URL and the index.
    pub async fn serve_indexed(
        &self,
        catalog: &Catalog,
    ) -> (String, std::sync::Arc<fedcat_catalog::search::SearchIndex>) {
        let index = std::sync::Arc::new(fedcat_catalog::search::SearchIndex::in_memory().unwrap());
        fedcat_domain::search_sync::sync_all(&self.config.domain(), catalog, &index)
            .await
            .unwrap();
        let app = fedcat::server::app(catalog, &self.config, None, Some(index.clone()));
        (serve_router(app, self.config.server).await, index)
    }

    /// Serves the catalogue on loopback, returning the base URL.
    pub async fn serve(&self, catalog: &Catalog) -> String {
        let app = fedcat::server::app(catalog, &self.config, None, None);
        serve_router(app, self.config.server).await
    }

    /// A deployment reached at its public URL from the start: `base_iri` is the address of a
    /// listener bound now, so the IRIs minted while harvesting dereference; serve it with
    /// [`Self::serve_listener`].
    pub async fn at_its_own_address(sources: &str) -> (Self, tokio::net::TcpListener) {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let mut deployment = Self::new(sources, "");
        deployment.config.base_iri = format!("http://{}", listener.local_addr().unwrap());
        (deployment, listener)
    }

    /// Serves the catalogue on `listener` (see [`Self::at_its_own_address`]); returns its URL.
    pub fn serve_listener(&self, catalog: &Catalog, listener: tokio::net::TcpListener) -> String {
        let address = self.config.base_iri.clone();
        let app = fedcat::server::app(catalog, &self.config, None, None);
        let limits = self.config.server;
        tokio::spawn(async move {
            fedcat::server::serve(listener, app, limits, std::future::pending())
                .await
                .unwrap();
        });
        address
    }

    /// Like [`Self::serve`], with `base_iri` set to the address it listens on, as a deployment
    /// reached at its public URL is (the SPARQL endpoint then names itself by that address).
    pub async fn serve_at_its_own_address(&self, catalog: &Catalog) -> String {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address = format!("http://{}", listener.local_addr().unwrap());
        let mut config = self.config.clone();
        config.base_iri = address.clone();
        let app = fedcat::server::app(catalog, &config, None, None);
        tokio::spawn(async move {
            fedcat::server::serve(listener, app, config.server, std::future::pending())
                .await
                .unwrap();
        });
        address
    }
}

/// Serves `app` on loopback with `fedcat::server::serve` (as `fedcat serve` does: timeouts,
/// connection cap, client addresses) until the test ends; returns the base URL.
pub async fn serve_router(app: axum::Router, limits: fedcat::ServerLimits) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    tokio::spawn(async move {
        fedcat::server::serve(listener, app, limits, std::future::pending())
            .await
            .unwrap();
    });
    format!("http://{address}")
}

/// Starts the `fedcat serve` binary on `config` and returns it with the base URL it prints on
/// its first line (the test kills it).
pub async fn start_serve(config: &std::path::Path) -> (std::process::Child, String) {
    let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_fedcat"));
    command.arg("--config").arg(config).arg("serve");
    start_serve_with(command).await
}

/// Starts a prepared `fedcat … serve` command (without the environment's config or admin
/// token) and returns it with the base URL it prints on its first line.
pub async fn start_serve_with(mut command: std::process::Command) -> (std::process::Child, String) {
    use std::io::{BufRead, BufReader};
    let mut child = command
        .env_remove("FEDCAT_CONFIG")
        .env_remove("FEDCAT_ADMIN_TOKEN")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let first_line = tokio::task::spawn_blocking(move || {
        let mut line = String::new();
        BufReader::new(stdout).read_line(&mut line).unwrap();
        line
    })
    .await
    .unwrap();
    let address = first_line
        .split_whitespace()
        .find(|w| w.starts_with("http://"))
        .unwrap_or_else(|| panic!("no address in {first_line:?}"))
        .to_owned();
    (child, address)
}

/// The shipped vocabulary tables.
pub fn vocabularies_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("config/vocabularies")
}

/// A `[[source]]` table.
pub fn source_toml(id: &str, kind: &str, url: &str, extra: &str) -> String {
    format!(
        "[[source]]\nid = \"{id}\"\ntitle = \"{id} (test)\"\ntype = \"{kind}\"\nurl = \"{url}\"\n{extra}\n"
    )
}

/// `{server}/sparql?query=…`.
pub fn sparql_url(server: &str, query: &str) -> String {
    let encoded: String = url::form_urlencoded::byte_serialize(query.as_bytes()).collect();
    format!("{server}/sparql?query={encoded}")
}

/// Runs a SELECT over HTTP and returns the JSON bindings.
pub async fn select(server: &str, query: &str) -> Vec<Value> {
    let response = reqwest::Client::new()
        .get(sparql_url(server, query))
        .header("accept", "application/sparql-results+json")
        .send()
        .await
        .unwrap();
    let status = response.status();
    let text = response.text().await.unwrap();
    assert_eq!(status, 200, "query failed: {query}\n{text}");
    let body: Value = serde_json::from_str(&text).unwrap();
    body["results"]["bindings"].as_array().unwrap().clone()
}

/// A single integer result `?n` of a SELECT over HTTP.
pub async fn count(server: &str, query: &str) -> u64 {
    let rows = select(server, query).await;
    rows[0]["n"]["value"].as_str().unwrap().parse().unwrap()
}

/// SPARQL: distinct datasets stored for a source.
pub fn datasets_of_source(source: &str) -> String {
    format!(
        "PREFIX dcat: <http://www.w3.org/ns/dcat#> PREFIX dct: <http://purl.org/dc/terms/>
         SELECT (COUNT(DISTINCT ?d) AS ?n) WHERE {{
           GRAPH ?g {{ ?d a dcat:Dataset }}
           ?g dct:isPartOf <{BASE_IRI}/id/catalog/{source}> }}"
    )
}

/// SPARQL: every quad of every graph (records and their provenance), except the descriptions
/// of harvest jobs, which each job adds.
pub const COUNT_TRIPLES: &str = "SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } \
     FILTER NOT EXISTS { ?s a <http://www.w3.org/ns/prov#Activity> } }";

/// Runs an external checker (a Python or Node script driving a third-party client) to the end,
/// shows its output, and fails with it unless it exits 0 and prints `done_line`.
pub async fn run_checker(program: &str, args: Vec<std::ffi::OsString>, done_line: &str) -> String {
    let program = program.to_owned();
    let output = tokio::task::spawn_blocking(move || {
        std::process::Command::new(&program)
            .args(&args)
            .output()
            .unwrap_or_else(|e| panic!("{program} cannot run: {e}"))
    })
    .await
    .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&output.stderr);
    eprintln!("{stdout}");
    assert!(
        output.status.success(),
        "checks failed:\n{stdout}\n{stderr}"
    );
    assert!(stdout.contains(done_line), "{stdout}");
    stdout
}

/// datasud.fr and data.gouv.fr 2025 ([`datasud_and_spf2025`]) served by a new fake portal and
/// harvested into a new deployment: the catalogue most tests of what fedcat serves read.
pub async fn harvested_datasud_and_spf2025() -> (crate::fake_portal::FakePortal, Deployment, Catalog)
{
    let portal = crate::fake_portal::FakePortal::start().await;
    let deployment = Deployment::new(&datasud_and_spf2025(&portal), "");
    let catalog = deployment.open().await;
    deployment.harvest(&catalog, "datasud").await;
    deployment.harvest(&catalog, "spf2025").await;
    (portal, deployment, catalog)
}

/// A checker's one JSON line (the first line of its output that opens an object).
pub fn json_line(stdout: &str) -> Value {
    let line = stdout
        .lines()
        .find(|l| l.starts_with('{'))
        .unwrap_or_else(|| panic!("no JSON line in {stdout}"));
    serde_json::from_str(line).unwrap()
}

/// The sources most end-to-end tests of the served catalogue use: datasud.fr's CKAN packages
/// and the 15 data.gouv.fr datasets of 2025, as `sources.toml` entries on `portal`.
pub fn datasud_and_spf2025(portal: &crate::fake_portal::FakePortal) -> String {
    use crate::fake_portal::{ckan_packages, udata_datasets};
    [
        source_toml(
            "datasud",
            "ckan",
            &portal.add_ckan(
                "datasud",
                ckan_packages("ckan/extracted/datasud.fr_package_search_snapshot__00.json"),
            ),
            "",
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
    .concat()
}
