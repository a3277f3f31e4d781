//! `fedcat.toml`, read in two steps: [`RawConfig`] is what serde reads (unknown keys rejected),
//! [`AppConfig::load`] validates it together with the sources file it names and reports every
//! problem of both files at once, each with its file and key. Paths are relative to the file.
//! Nothing else has to sit beside it: the vocabulary tables and the DCAT-AP 3.0.1 SHACL shapes
//! are compiled into the binary, and `vocabularies_dir` and `[shacl]` only override them.

use fedcat_catalog::shacl::BuiltInShapes;
use fedcat_harvester::config::toml_problem;
use fedcat_harvester::{ConfigProblem, HarvestOptions, HttpSettings, SourcesFile, Vocabularies};
use serde::Deserialize;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawConfig {
    data_dir: Option<String>,
    base_iri: Option<String>,
    listen: Option<String>,
    sources_file: Option<String>,
    vocabularies_dir: Option<String>,
    #[serde(default)]
    sparql: RawSparql,
    #[serde(default)]
    admin: RawAdmin,
    #[serde(default)]
    http: RawHttp,
    #[serde(default)]
    serve: RawServe,
    #[serde(default)]
    shacl: RawShacl,
    #[serde(default)]
    harvest: RawHarvest,
    #[serde(default)]
    dedup: RawDedup,
    #[serde(default)]
    quality: RawQuality,
    #[serde(default)]
    linkcheck: RawLinkCheck,
    #[serde(default)]
    search: RawSearch,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSearch {
    max_result_window: Option<usize>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawLinkCheck {
    timeout_secs: Option<u64>,
    per_host_per_sec: Option<u32>,
    concurrency: Option<usize>,
    recheck_after_hours: Option<u64>,
    allow_private_targets: Option<bool>,
    allowed_hosts: Option<Vec<String>>,
    schedule: Option<String>,
    download: Option<bool>,
    download_max_bytes: Option<u64>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawQuality {
    minus_five: Option<bool>,
    strict_head: Option<bool>,
    mqa_bands: Option<[i32; 3]>,
    ext_bands: Option<[i32; 3]>,
    points: Option<std::collections::BTreeMap<String, [i32; 2]>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawDedup {
    threshold: Option<f64>,
    enabled: Option<bool>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawHarvest {
    max_delete_share: Option<f64>,
    max_concurrent_jobs: Option<usize>,
    keep_errors_days: Option<u32>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawShacl {
    enabled: Option<bool>,
    shapes_dir: Option<String>,
    recommended_shapes: Option<String>,
    vocabulary_shapes: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSparql {
    timeout_secs: Option<f64>,
    max_results: Option<u64>,
    test_data_loading: Option<bool>,
    max_concurrent_queries: Option<usize>,
    max_queued_queries: Option<usize>,
    max_query_memory_mb: Option<u64>,
    max_nesting: Option<usize>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawAdmin {
    token: Option<String>,
    session_hours: Option<u64>,
    login_attempts_per_minute: Option<u32>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawHttp {
    user_agent: Option<String>,
    connect_timeout_secs: Option<u64>,
    timeout_secs: Option<u64>,
    max_redirects: Option<u64>,
    max_body_bytes: Option<u64>,
    max_attempts: Option<u64>,
    retry_base_millis: Option<u64>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawServe {
    harvest_on_start: Option<bool>,
    header_read_timeout_secs: Option<u64>,
    idle_timeout_secs: Option<u64>,
    max_connections: Option<usize>,
    max_request_bytes: Option<usize>,
    shutdown_grace_secs: Option<u64>,
}

/// Limits of the HTTP server (`[serve]`): what a slow or greedy client may hold.
#[derive(Debug, Clone, Copy)]
pub struct ServerLimits {
    /// A connection that has not sent a whole request head within this time is closed.
    pub header_read_timeout: Duration,
    /// A connection with no traffic for this long is closed.
    pub idle_timeout: Duration,
    /// Most open connections; further ones wait in the kernel's accept queue.
    pub max_connections: usize,
    /// Largest request body accepted (413 above).
    pub max_request_bytes: usize,
    /// After SIGTERM or Ctrl-C, how long running requests may finish before the process exits.
    pub shutdown_grace: Duration,
}

impl Default for ServerLimits {
    fn default() -> Self {
        Self {
            header_read_timeout: Duration::from_secs(10),
            idle_timeout: Duration::from_secs(60),
            max_connections: 512,
            max_request_bytes: 1 << 20,
            shutdown_grace: Duration::from_secs(5),
        }
    }
}

/// Limits of SPARQL evaluation (`[sparql]`) beyond the time limit.
#[derive(Debug, Clone, Copy)]
pub struct SparqlLimits {
    /// Queries evaluated at once.
    pub max_concurrent: usize,
    /// Queries waiting for a slot; more are refused with 503.
    pub max_queued: usize,
    /// Memory one query's evaluation may use, in bytes (503 above).
    pub max_memory_bytes: u64,
    /// Deepest nesting of groups, brackets and parentheses in a query (400 above).
    pub max_nesting: usize,
}

impl Default for SparqlLimits {
    fn default() -> Self {
        Self {
            max_concurrent: 2,
            max_queued: 32,
            max_memory_bytes: 512 << 20,
            max_nesting: 64,
        }
    }
}

pub use fedcat_domain::{ShaclSettings, ShapesSource};

/// The validated configuration.
#[derive(Debug, Clone)]
pub struct AppConfig {
    /// The configuration file read.
    pub file: PathBuf,
    /// Where the store and the state database live.
    pub data_dir: PathBuf,
    /// Base of minted IRIs.
    pub base_iri: String,
    /// Address the server listens on.
    pub listen: SocketAddr,
    /// The sources.
    pub sources: SourcesFile,
    /// The controlled vocabularies records are normalised to: the built-in tables, or those of
    /// `vocabularies_dir`.
    pub vocabularies: Arc<Vocabularies>,
    /// SPARQL query time limit.
    pub sparql_timeout: Duration,
    /// SPARQL result cap.
    pub sparql_max_results: usize,
    /// Test-only: `/sparql` accepts the W3C test runner's data loads (loopback listen only).
    pub sparql_test_data_loading: bool,
    /// SPARQL concurrency, memory and nesting limits.
    pub sparql_limits: SparqlLimits,
    /// The executable `/sparql` runs each query in (`fedcat sparql-worker`), so that a query
    /// past its time or memory limit is killed with its process; `None` evaluates in-process
    /// (tests over in-memory stores). Set by `serve`, never read from the file.
    pub sparql_worker: Option<PathBuf>,
    /// Admin bearer token for write endpoints (`FEDCAT_ADMIN_TOKEN` overrides the file).
    pub admin_token: Option<String>,
    /// How long an admin session (web login) lasts.
    pub admin_session: Duration,
    /// Failed admin logins allowed per client address and minute; more are refused (429).
    pub login_attempts_per_minute: u32,
    /// The HTTP server's connection and request limits.
    pub server: ServerLimits,
    /// Deepest result a search may page to (`page × page_size`, CKAN `start + rows`): 400 beyond.
    pub search_max_window: usize,
    /// The shared HTTP client's limits.
    pub http: HttpSettings,
    /// Whether `serve` harvests every enabled source when it starts.
    pub harvest_on_start: bool,
    /// What harvest jobs may do (the mass-deletion guard).
    pub harvest: HarvestOptions,
    /// Most harvest jobs `serve` runs at once.
    pub max_concurrent_jobs: usize,
    /// Job errors older than this many days are deleted.
    pub keep_errors_days: u32,
    /// The SHACL shapes records are validated against: DCAT-AP 3.0.1's, built in, unless
    /// `[shacl]` names other files or turns validation off.
    pub shacl: ShaclSettings,
    /// Whether duplicates are linked after each harvest.
    pub dedup_enabled: bool,
    /// The link threshold (0–1) for duplicates.
    pub dedup_threshold: f64,
    /// Points per quality metric and rating bands.
    pub score_table: fedcat_catalog::quality::score::ScoreTable,
    /// Judge URLs by their HEAD answer only, as data.europa.eu does.
    pub strict_head: bool,
    /// The link checker's limits and policy.
    pub linkcheck: fedcat_harvester::linkcheck::LinkCheckSettings,
    /// A URL checked more recently than this is not checked again.
    pub linkcheck_recheck_after: chrono::Duration,
    /// When `serve` checks the links of every enabled source.
    pub linkcheck_schedule: Option<cron::Schedule>,
    /// Byte budget per file when the link checker downloads distribution files (E10, E11,
    /// checksums, sizes); `None`: no downloads.
    pub download_max_bytes: Option<u64>,
}

impl AppConfig {
    /// What the domain layer (quality, search sync, duplicates, the after-harvest pipeline)
    /// needs of this configuration.
    pub fn domain(&self) -> fedcat_domain::DomainConfig {
        fedcat_domain::DomainConfig {
            data_dir: self.data_dir.clone(),
            source_ids: self.sources.sources.iter().map(|s| s.id.clone()).collect(),
            vocabularies: self.vocabularies.clone(),
            shacl: self.shacl.clone(),
            dedup_enabled: self.dedup_enabled,
            dedup_options: self.dedup_options(),
            score_table: self.score_table.clone(),
            strict_head: self.strict_head,
        }
    }

    /// How duplicates are linked: the threshold and every source's priority.
    pub fn dedup_options(&self) -> fedcat_catalog::dedup::DedupOptions {
        fedcat_catalog::dedup::DedupOptions {
            threshold: self.dedup_threshold,
            priorities: self
                .sources
                .sources
                .iter()
                .map(|s| (s.id.clone(), s.priority))
                .collect(),
        }
    }

    /// Reads and validates `file` and the sources file it names.
    #[expect(
        clippy::too_many_lines,
        reason = "every key of fedcat.toml read and checked with its message, so that all problems are reported at once"
    )]
    pub fn load(file: &Path) -> Result<Self, Vec<ConfigProblem>> {
        let name = file.display().to_string();
        let text = std::fs::read_to_string(file).map_err(|e| {
            vec![ConfigProblem {
                file: name.clone(),
                key: String::new(),
                message: format!("cannot read: {e}"),
            }]
        })?;
        let raw: RawConfig = toml::from_str(&text).map_err(|e| vec![toml_problem(&name, &e)])?;
        let dir = file.parent().unwrap_or(Path::new("."));
        let mut problems = Vec::new();
        let mut problem = |key: &str, message: String| {
            problems.push(ConfigProblem {
                file: name.clone(),
                key: key.to_owned(),
                message,
            });
        };

        let data_dir = dir.join(raw.data_dir.as_deref().unwrap_or("data"));
        let base_iri = raw
            .base_iri
            .clone()
            .unwrap_or_else(|| "http://localhost:8080".into());
        match url::Url::parse(&base_iri) {
            Ok(url) if matches!(url.scheme(), "http" | "https") && url.query().is_none() => {}
            Ok(_) => problem(
                "base_iri",
                format!("{base_iri:?} must be an http(s) IRI without query"),
            ),
            Err(e) => problem("base_iri", format!("{base_iri:?} is not an IRI: {e}")),
        }
        let listen_text = raw.listen.as_deref().unwrap_or("127.0.0.1:8080");
        let listen = match listen_text.parse::<SocketAddr>() {
            Ok(addr) => Some(addr),
            Err(e) => {
                problem(
                    "listen",
                    format!("{listen_text:?} is not an address such as 127.0.0.1:8080: {e}"),
                );
                None
            }
        };
        let test_data_loading = raw.sparql.test_data_loading.unwrap_or(false);
        if test_data_loading && listen.is_some_and(|a| !a.ip().is_loopback()) {
            problem(
                "sparql.test_data_loading",
                format!("is for tests and needs a loopback listen address, not {listen_text}"),
            );
        }
        let timeout_secs = raw.sparql.timeout_secs.unwrap_or(30.0);
        if !(timeout_secs.is_finite() && timeout_secs > 0.0) {
            problem(
                "sparql.timeout_secs",
                format!("must be positive, got {timeout_secs}"),
            );
        }
        let max_results = raw.sparql.max_results.unwrap_or(100_000);
        if max_results == 0 {
            problem("sparql.max_results", "must be positive".into());
        }
        let sparql_defaults = SparqlLimits::default();
        let server_defaults = ServerLimits::default();
        // A positive number; zero is reported and the default used.
        let mut positive = |key: &str, value: Option<u64>, default: u64| -> u64 {
            match value {
                Some(0) => {
                    problem(key, "must be positive".into());
                    default
                }
                Some(v) => v,
                None => default,
            }
        };
        let sparql_limits = SparqlLimits {
            max_concurrent: positive(
                "sparql.max_concurrent_queries",
                raw.sparql.max_concurrent_queries.map(|v| v as u64),
                sparql_defaults.max_concurrent as u64,
            ) as usize,
            max_queued: raw
                .sparql
                .max_queued_queries
                .unwrap_or(sparql_defaults.max_queued),
            max_memory_bytes: positive(
                "sparql.max_query_memory_mb",
                raw.sparql.max_query_memory_mb,
                sparql_defaults.max_memory_bytes >> 20,
            )
            .min(1 << 30)
                << 20,
            max_nesting: positive(
                "sparql.max_nesting",
                raw.sparql.max_nesting.map(|v| v as u64),
                sparql_defaults.max_nesting as u64,
            ) as usize,
        };
        let server = ServerLimits {
            header_read_timeout: Duration::from_secs(positive(
                "serve.header_read_timeout_secs",
                raw.serve.header_read_timeout_secs,
                server_defaults.header_read_timeout.as_secs(),
            )),
            idle_timeout: Duration::from_secs(positive(
                "serve.idle_timeout_secs",
                raw.serve.idle_timeout_secs,
                server_defaults.idle_timeout.as_secs(),
            )),
            max_connections: positive(
                "serve.max_connections",
                raw.serve.max_connections.map(|v| v as u64),
                server_defaults.max_connections as u64,
            ) as usize,
            max_request_bytes: positive(
                "serve.max_request_bytes",
                raw.serve.max_request_bytes.map(|v| v as u64),
                server_defaults.max_request_bytes as u64,
            ) as usize,
            shutdown_grace: Duration::from_secs(
                raw.serve
                    .shutdown_grace_secs
                    .unwrap_or(server_defaults.shutdown_grace.as_secs()),
            ),
        };
        let search_max_window = positive(
            "search.max_result_window",
            raw.search.max_result_window.map(|v| v as u64),
            10_000,
        ) as usize;
        let session_hours = positive("admin.session_hours", raw.admin.session_hours, 8);
        let admin_session = Duration::from_secs(3600 * session_hours.min(24 * 366));
        let login_attempts_per_minute = positive(
            "admin.login_attempts_per_minute",
            raw.admin.login_attempts_per_minute.map(u64::from),
            5,
        ) as u32;

        let defaults = HttpSettings::default();
        let http = HttpSettings {
            user_agent: raw.http.user_agent.clone().unwrap_or(defaults.user_agent),
            connect_timeout_secs: positive(
                "http.connect_timeout_secs",
                raw.http.connect_timeout_secs,
                defaults.connect_timeout_secs,
            ),
            timeout_secs: positive(
                "http.timeout_secs",
                raw.http.timeout_secs,
                defaults.timeout_secs,
            ),
            max_redirects: raw
                .http
                .max_redirects
                .map_or(defaults.max_redirects, |v| v as usize),
            max_body_bytes: positive(
                "http.max_body_bytes",
                raw.http.max_body_bytes,
                defaults.max_body_bytes,
            ),
            max_attempts: positive(
                "http.max_attempts",
                raw.http.max_attempts,
                u64::from(defaults.max_attempts),
            ) as u32,
            retry_base_millis: raw
                .http
                .retry_base_millis
                .unwrap_or(defaults.retry_base_millis),
        };
        if session_hours > 24 * 366 {
            problem(
                "admin.session_hours",
                format!("at most a year ({} hours), got {session_hours}", 24 * 366),
            );
        }
        let admin_token = std::env::var("FEDCAT_ADMIN_TOKEN")
            .ok()
            .filter(|t| !t.is_empty())
            .or(raw.admin.token.clone());
        if admin_token.as_deref().is_some_and(|t| t.len() < 16) {
            problem(
                "admin.token",
                "too short: use at least 16 characters".into(),
            );
        }

        let sources_path = dir.join(raw.sources_file.as_deref().unwrap_or("sources.toml"));
        let sources = match SourcesFile::load(&sources_path) {
            Ok(sources) => Some(sources),
            Err(source_problems) => {
                problems.extend(source_problems);
                None
            }
        };
        // The built-in tables unless a folder of them is named (nothing is looked for beside
        // the file).
        let vocabularies = match raw.vocabularies_dir.as_deref() {
            None => Vocabularies::built_in(),
            Some(folder) => Vocabularies::load(&dir.join(folder)),
        };
        let vocabularies = match vocabularies {
            Ok(vocabularies) => Some(Arc::new(vocabularies)),
            Err(e) => {
                problems.push(ConfigProblem {
                    file: name.clone(),
                    key: "vocabularies_dir".into(),
                    message: e.to_string(),
                });
                None
            }
        };
        let max_delete_share = raw.harvest.max_delete_share.unwrap_or(0.2);
        if !(0.0..=1.0).contains(&max_delete_share) {
            problems.push(ConfigProblem {
                file: name.clone(),
                key: "harvest.max_delete_share".into(),
                message: format!("must be a share between 0 and 1, got {max_delete_share}"),
            });
        }
        let max_concurrent_jobs = raw.harvest.max_concurrent_jobs.unwrap_or(2);
        if max_concurrent_jobs == 0 {
            problems.push(ConfigProblem {
                file: name.clone(),
                key: "harvest.max_concurrent_jobs".into(),
                message: "must be positive".into(),
            });
        }
        let shacl_enabled = raw.shacl.enabled.unwrap_or(true);
        let overridden: Vec<&str> = [
            ("shapes_dir", &raw.shacl.shapes_dir),
            ("recommended_shapes", &raw.shacl.recommended_shapes),
            ("vocabulary_shapes", &raw.shacl.vocabulary_shapes),
        ]
        .into_iter()
        .filter(|(_, value)| value.is_some())
        .map(|(key, _)| key)
        .collect();
        if !shacl_enabled && !overridden.is_empty() {
            problems.push(ConfigProblem {
                file: name.clone(),
                key: "shacl.enabled".into(),
                message: format!(
                    "is false, yet {} names shapes: remove one or the other",
                    overridden.join(", ")
                ),
            });
        }
        // Each set: validation off, the file or directory the key names, or the built-in set.
        let mut shapes = |key: &str, value: &Option<String>, set: BuiltInShapes| {
            let path = match value {
                _ if !shacl_enabled => return ShapesSource::Off,
                None => return ShapesSource::BuiltIn(set),
                Some(value) => dir.join(value),
            };
            let wrong = match set {
                BuiltInShapes::Core => (!path.is_dir()).then_some("is not a directory"),
                _ => (!path.exists()).then_some("does not exist"),
            };
            if let Some(wrong) = wrong {
                problems.push(ConfigProblem {
                    file: name.clone(),
                    key: format!("shacl.{key}"),
                    message: format!("{} {wrong}", path.display()),
                });
            }
            ShapesSource::Path(path)
        };
        let shacl = ShaclSettings {
            core: shapes("shapes_dir", &raw.shacl.shapes_dir, BuiltInShapes::Core),
            recommended: shapes(
                "recommended_shapes",
                &raw.shacl.recommended_shapes,
                BuiltInShapes::Recommended,
            ),
            vocabularies: shapes(
                "vocabulary_shapes",
                &raw.shacl.vocabulary_shapes,
                BuiltInShapes::Vocabularies,
            ),
        };
        let dedup_threshold = raw
            .dedup
            .threshold
            .unwrap_or(fedcat_catalog::dedup::DEFAULT_THRESHOLD);
        if !(dedup_threshold > 0.0 && dedup_threshold <= 1.0) {
            problems.push(ConfigProblem {
                file: name.clone(),
                key: "dedup.threshold".into(),
                message: format!("must be a score above 0 and at most 1, got {dedup_threshold}"),
            });
        }
        let mut score_table = fedcat_catalog::quality::score::ScoreTable::default();
        if raw.quality.minus_five == Some(true) {
            score_table = score_table.with_minus_five();
        }
        for (key, bands) in [
            (
                "quality.mqa_bands",
                raw.quality.mqa_bands.map(|b| (b, true)),
            ),
            (
                "quality.ext_bands",
                raw.quality.ext_bands.map(|b| (b, false)),
            ),
        ] {
            let Some((bands, mqa)) = bands else { continue };
            if !(bands[0] > bands[1] && bands[1] > bands[2] && bands[2] >= 0) {
                problems.push(ConfigProblem {
                    file: name.clone(),
                    key: key.into(),
                    message: format!(
                        "the lowest scores of excellent, good and sufficient must decrease, got {bands:?}"
                    ),
                });
            } else if mqa {
                score_table.mqa_bands = bands;
            } else {
                score_table.ext_bands = bands;
            }
        }
        for (metric, [yes, no]) in raw.quality.points.iter().flatten() {
            if fedcat_catalog::quality::metrics::by_id(metric).is_none() {
                problems.push(ConfigProblem {
                    file: name.clone(),
                    key: format!("quality.points.{metric}"),
                    message: "no such metric (M1–M23, or an extension id such as E1)".into(),
                });
            } else {
                score_table.points.insert(metric.clone(), (*yes, *no));
            }
        }
        let link_defaults = fedcat_harvester::linkcheck::LinkCheckSettings::default();
        let linkcheck = fedcat_harvester::linkcheck::LinkCheckSettings {
            timeout: raw
                .linkcheck
                .timeout_secs
                .map_or(link_defaults.timeout, Duration::from_secs),
            per_host_per_sec: raw
                .linkcheck
                .per_host_per_sec
                .unwrap_or(link_defaults.per_host_per_sec),
            concurrency: raw
                .linkcheck
                .concurrency
                .unwrap_or(link_defaults.concurrency),
            allow_private_targets: raw.linkcheck.allow_private_targets.unwrap_or(false),
            allowed_hosts: raw.linkcheck.allowed_hosts.clone().unwrap_or_default(),
            ..link_defaults
        };
        for (key, zero) in [
            (
                "linkcheck.timeout_secs",
                raw.linkcheck.timeout_secs == Some(0),
            ),
            (
                "linkcheck.per_host_per_sec",
                raw.linkcheck.per_host_per_sec == Some(0),
            ),
            (
                "linkcheck.concurrency",
                raw.linkcheck.concurrency == Some(0),
            ),
            (
                "linkcheck.download_max_bytes",
                raw.linkcheck.download_max_bytes == Some(0),
            ),
        ] {
            if zero {
                problems.push(ConfigProblem {
                    file: name.clone(),
                    key: key.into(),
                    message: "must be positive".into(),
                });
            }
        }
        let linkcheck_schedule = match raw.linkcheck.schedule.as_deref() {
            None => None,
            Some(text) => match <cron::Schedule as std::str::FromStr>::from_str(text) {
                Ok(schedule) => Some(schedule),
                Err(e) => {
                    problems.push(ConfigProblem {
                        file: name.clone(),
                        key: "linkcheck.schedule".into(),
                        message: format!(
                            "{text:?} is not a cron expression (6 or 7 fields, seconds first): {e}"
                        ),
                    });
                    None
                }
            },
        };
        let linkcheck_recheck_after =
            chrono::Duration::hours(raw.linkcheck.recheck_after_hours.unwrap_or(24) as i64);
        match (problems.is_empty(), listen, sources, vocabularies) {
            (true, Some(listen), Some(sources), Some(vocabularies)) => Ok(Self {
                file: file.to_owned(),
                data_dir,
                base_iri,
                listen,
                sources,
                vocabularies,
                sparql_timeout: Duration::from_secs_f64(timeout_secs),
                sparql_max_results: max_results as usize,
                sparql_test_data_loading: test_data_loading,
                sparql_limits,
                sparql_worker: None,
                admin_token,
                admin_session,
                login_attempts_per_minute,
                server,
                search_max_window,
                http,
                harvest_on_start: raw.serve.harvest_on_start.unwrap_or(true),
                shacl,
                download_max_bytes: raw
                    .linkcheck
                    .download
                    .unwrap_or(false)
                    .then(|| raw.linkcheck.download_max_bytes.unwrap_or(1 << 20)),
                dedup_enabled: raw.dedup.enabled.unwrap_or(true),
                dedup_threshold,
                score_table,
                strict_head: raw.quality.strict_head.unwrap_or(false),
                linkcheck,
                linkcheck_recheck_after,
                linkcheck_schedule,
                max_concurrent_jobs,
                keep_errors_days: raw.harvest.keep_errors_days.unwrap_or(90),
                harvest: HarvestOptions {
                    max_delete_share,
                    allow_mass_delete: false,
                    full: false,
                },
            }),
            _ => Err(problems),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use fedcat_harvester::VocabularyKind;

    #[test]
    fn default_config_files_are_valid() {
        let file = Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/config/fedcat.toml"));
        let config = AppConfig::load(file).unwrap();
        assert!(config.sources.get("msss").is_some());
        assert!(config.sparql_max_results > 0);
    }

    #[test]
    fn every_problem_of_both_files_is_reported() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("fedcat.toml"),
            "listen = \"nowhere\"\n[sparql]\ntimeout_secs = 0\nmax_results = 0\n",
        )
        .unwrap();
        std::fs::write(
            dir.path().join("sources.toml"),
            "[[source]]\nid = \"x\"\ntitle = \"X\"\ntype = \"ckan\"\nurl = \"ftp://x\"\n",
        )
        .unwrap();
        let problems = AppConfig::load(&dir.path().join("fedcat.toml")).unwrap_err();
        let keys: Vec<&str> = problems.iter().map(|p| p.key.as_str()).collect();
        assert_eq!(
            keys,
            [
                "listen",
                "sparql.timeout_secs",
                "sparql.max_results",
                "source[0].url"
            ]
        );
    }

    #[test]
    fn the_two_keys_of_a_minimal_file_are_enough() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("fedcat.toml"),
            "data_dir = \"data\"\nsources_file = \"sources.toml\"\n",
        )
        .unwrap();
        std::fs::write(dir.path().join("sources.toml"), "").unwrap();
        let config = AppConfig::load(&dir.path().join("fedcat.toml")).unwrap();
        // The built-in tables and shapes: nothing is read beside the file.
        let csv = config.vocabularies.by_code(VocabularyKind::Format, "CSV");
        assert!(csv.is_some());
        assert_eq!(config.shacl, ShaclSettings::default());
        for set in [
            &config.shacl.core,
            &config.shacl.recommended,
            &config.shacl.vocabularies,
        ] {
            assert!(set.load().unwrap().is_some(), "{set:?}");
        }
    }

    #[test]
    fn overrides_are_read_from_where_they_point_and_checked() {
        let dir = tempfile::tempdir().unwrap();
        let write = |text: &str| {
            std::fs::write(dir.path().join("fedcat.toml"), text).unwrap();
            std::fs::write(dir.path().join("sources.toml"), "").unwrap();
            AppConfig::load(&dir.path().join("fedcat.toml"))
        };
        let shipped = Path::new(env!("CARGO_MANIFEST_DIR")).join("config");
        let text = format!(
            "vocabularies_dir = \"{}\"\n[shacl]\nshapes_dir = \"{}\"\n",
            shipped.join("vocabularies").display(),
            shipped.join("shacl/dcat-ap-3.0.1/shacl").display()
        );
        let config = write(text.as_str()).unwrap();
        assert_eq!(
            config.shacl.core,
            ShapesSource::Path(shipped.join("shacl/dcat-ap-3.0.1/shacl"))
        );
        assert_eq!(
            config.shacl.recommended,
            ShapesSource::BuiltIn(BuiltInShapes::Recommended)
        );
        // A folder named but missing is an error, as is a shapes file that is not there.
        let missing =
            "vocabularies_dir = \"vocabularies\"\n[shacl]\nrecommended_shapes = \"nope.ttl\"\n";
        let problems = write(missing).unwrap_err();
        let keys: Vec<&str> = problems.iter().map(|p| p.key.as_str()).collect();
        assert_eq!(keys, ["vocabularies_dir", "shacl.recommended_shapes"]);
        assert!(
            problems[0].message.contains("formats.csv: cannot open"),
            "{problems:?}"
        );
        // Validation off: every set is off; naming shapes as well is a contradiction.
        let config = write("[shacl]\nenabled = false\n").unwrap();
        assert_eq!(config.shacl.core, ShapesSource::Off);
        assert!(config.shacl.vocabularies.load().unwrap().is_none());
        let both = "[shacl]\nenabled = false\nshapes_dir = \".\"\n";
        let problems = write(both).unwrap_err();
        assert_eq!(problems[0].key, "shacl.enabled");
    }

    #[test]
    fn test_data_loading_needs_a_loopback_address() {
        let dir = tempfile::tempdir().unwrap();
        let write = |listen: &str| {
            std::fs::write(
                dir.path().join("fedcat.toml"),
                format!("listen = \"{listen}\"\n[sparql]\ntest_data_loading = true\n"),
            )
            .unwrap();
            std::fs::write(dir.path().join("sources.toml"), "").unwrap();
            AppConfig::load(&dir.path().join("fedcat.toml"))
        };
        let problems = write("0.0.0.0:8080").unwrap_err();
        assert_eq!(problems[0].key, "sparql.test_data_loading");
        assert!(write("127.0.0.1:8080").unwrap().sparql_test_data_loading);
    }
}
