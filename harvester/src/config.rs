//! `sources.toml`: the list of sources, read in two steps (ripgrep style). [`RawSourcesFile`] is
//! what serde reads, with unknown keys rejected; [`SourcesFile::from_toml`] then validates every
//! source and reports *every* problem at once, each with the file and the key.

use serde::Deserialize;
use std::collections::HashSet;
use std::fmt;
use std::path::Path;
use std::str::FromStr;
use url::Url;

/// One problem found in a configuration file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigProblem {
    /// The file.
    pub file: String,
    /// The key, e.g. `source[2].url` (empty for a syntax error of the whole file).
    pub key: String,
    /// What is wrong.
    pub message: String,
}

impl fmt::Display for ConfigProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.key.is_empty() {
            write!(f, "{}: {}", self.file, self.message)
        } else {
            write!(f, "{}: {}: {}", self.file, self.key, self.message)
        }
    }
}

/// The portal software of a source.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SourceType {
    /// CKAN Action API.
    Ckan,
    /// udata API v1 (data.gouv.fr).
    Udata,
    /// Opendatasoft Explore API v2.1.
    Ods,
    /// A DCAT catalogue in RDF (Turtle, RDF/XML, JSON-LD, N-Triples), Hydra-paged.
    Dcat,
}

impl SourceType {
    /// The name used in configuration.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Ckan => "ckan",
            Self::Udata => "udata",
            Self::Ods => "ods",
            Self::Dcat => "dcat",
        }
    }
}

/// A source as written in `sources.toml`, before validation.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawSource {
    /// Slug, unique: used in IRIs and on the command line.
    pub id: Option<String>,
    /// Human title.
    pub title: Option<String>,
    /// Portal software.
    #[serde(rename = "type")]
    pub source_type: Option<SourceType>,
    /// Portal base URL; for `dcat`, the catalogue URL (`http(s)://` or `file://`).
    pub url: Option<String>,
    /// Organization filter (ckan: organization name; udata: organization id).
    pub organization: Option<String>,
    /// Tag filter (udata).
    pub tag: Option<String>,
    /// Extra CKAN `fq` filter, combined with `organization`.
    pub fq: Option<String>,
    /// Opendatasoft ODSQL `where` filter on the catalogue (e.g. `publisher="CNAM"`).
    #[serde(rename = "where")]
    pub where_clause: Option<String>,
    /// Cron expression (6 or 7 fields, seconds first) for scheduled harvests.
    pub schedule: Option<String>,
    /// Cron expression of full sweeps; when set, the other runs are incremental (ckan, udata,
    /// and dcat with `modified_since_param`).
    pub full_sweep_schedule: Option<String>,
    /// dcat: the query parameter the catalogue filters by modification time with
    /// (ckanext-dcat and piveau: `modified_since`).
    pub modified_since_param: Option<String>,
    /// Higher wins as primary among duplicates.
    #[serde(default)]
    pub priority: i64,
    /// Requests per second allowed to this source's host.
    pub rate_limit_per_sec: Option<f64>,
    /// Default language of untagged literals (`fr`, `en`…).
    pub language: Option<String>,
    /// Records asked per page (CKAN `rows`).
    pub page_size: Option<u32>,
    /// Hosts, besides the source's own, that the pages of its listing may be on: each as a URL
    /// writes it, `host` or `host:port` (see [`SourceConfig::allowed_hosts`]).
    pub allowed_hosts: Option<Vec<String>>,
    /// A disabled source stays configured but is not harvested.
    #[serde(default = "default_true")]
    pub enabled: bool,
}

fn default_true() -> bool {
    true
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSourcesFile {
    #[serde(default)]
    source: Vec<RawSource>,
}

/// Options of a CKAN source.
#[derive(Debug, Clone, PartialEq)]
pub struct CkanOptions {
    /// Organization name filter (`fq=organization:NAME`).
    pub organization: Option<String>,
    /// Extra `fq` clause.
    pub fq: Option<String>,
    /// `rows` per page.
    pub page_size: u32,
}

/// Options of a udata source.
#[derive(Debug, Clone, PartialEq)]
pub struct UdataOptions {
    /// Organization id filter (an ObjectId: udata rejects slugs here).
    pub organization: Option<String>,
    /// Tag filter.
    pub tag: Option<String>,
    /// `page_size` per page.
    pub page_size: u32,
}

/// Options of an Opendatasoft source.
#[derive(Debug, Clone, PartialEq)]
pub struct OdsOptions {
    /// ODSQL `where` clause on the catalogue.
    pub where_clause: Option<String>,
    /// `limit` per page (at most 100 on the Explore API).
    pub page_size: u32,
}

/// Options of a DCAT source.
#[derive(Debug, Clone, PartialEq)]
pub struct DcatOptions {
    /// The query parameter for incremental listings, if the endpoint has one.
    pub modified_since_param: Option<String>,
}

/// What kind of source, with its kind-specific options.
#[derive(Debug, Clone, PartialEq)]
pub enum SourceKind {
    /// CKAN Action API.
    Ckan(CkanOptions),
    /// udata API v1.
    Udata(UdataOptions),
    /// Opendatasoft Explore API v2.1.
    Ods(OdsOptions),
    /// DCAT RDF catalogue.
    Dcat(DcatOptions),
}

impl SourceKind {
    /// The configuration name of the kind.
    pub fn as_str(&self) -> &'static str {
        match self {
            Self::Ckan(_) => "ckan",
            Self::Udata(_) => "udata",
            Self::Ods(_) => "ods",
            Self::Dcat(_) => "dcat",
        }
    }
}

/// A validated source.
#[derive(Debug, Clone, PartialEq)]
pub struct SourceConfig {
    /// Slug id.
    pub id: String,
    /// Title.
    pub title: String,
    /// Base or catalogue URL.
    pub url: Url,
    /// Kind and options.
    pub kind: SourceKind,
    /// Cron schedule, if any.
    pub schedule: Option<cron::Schedule>,
    /// Cron schedule of full sweeps; when set, other runs list only what changed.
    pub full_sweep_schedule: Option<cron::Schedule>,
    /// Priority among duplicates.
    pub priority: i64,
    /// Requests per second to the host, if limited.
    pub rate_limit_per_sec: Option<f64>,
    /// Default language tag.
    pub language: Option<String>,
    /// Whether it is harvested.
    pub enabled: bool,
    /// Hosts, besides the host of the source's first page, that a next-page link the portal
    /// writes may point to, normalised as [`page_host`] gives them (`host`, or `host:port` when
    /// the port is not the scheme's default). Every page after the first must be `http(s)`
    /// on one of them (the shared loop checks it); empty by default.
    pub allowed_hosts: Vec<String>,
}

/// How a page URL's host is compared with a source's own and its `allowed_hosts`: the host,
/// lowercased, then `:port` when the URL names a port other than its scheme's default. So
/// `https://data.example.org/x` gives `data.example.org` (as does `http://…`: portals often
/// write their next links in the other scheme), and `http://127.0.0.1:8081/` gives
/// `127.0.0.1:8081` — another port of one machine is another server. `None` without a host
/// (`file://`).
pub fn page_host(url: &Url) -> Option<String> {
    let host = url
        .host_str()
        .filter(|h| !h.is_empty())?
        .to_ascii_lowercase();
    Some(match url.port() {
        Some(port) => format!("{host}:{port}"),
        None => host,
    })
}

/// An `allowed_hosts` entry as [`page_host`] writes it, or why it is not one.
fn allowed_host(entry: &str) -> Result<String, String> {
    let entry = entry.trim();
    if entry.is_empty()
        || entry.contains(['/', '@', '?', '#'])
        || entry.contains(char::is_whitespace)
    {
        return Err(format!(
            "{entry:?} is not a host: write `data.example.org` or `data.example.org:8443` (no scheme, path or user)"
        ));
    }
    let url = Url::parse(&format!("http://{entry}/"))
        .map_err(|e| format!("{entry:?} is not a host: {e}"))?;
    // `:80` is already dropped (http's default); `:443` is https's, so it goes too.
    let host = url.host_str().filter(|h| !h.is_empty());
    match (host, url.port()) {
        (Some(host), Some(443)) => Ok(host.to_ascii_lowercase()),
        _ => page_host(&url).ok_or_else(|| format!("{entry:?} is not a host")),
    }
}

/// The validated `sources.toml`.
#[derive(Debug, Clone, Default)]
pub struct SourcesFile {
    /// The sources, in file order.
    pub sources: Vec<SourceConfig>,
}

/// True for a slug: lowercase ASCII letters, digits and inner hyphens or underscores.
pub fn is_slug(text: &str) -> bool {
    !text.is_empty()
        && text.len() <= 64
        && text
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_')
        && !text.starts_with(['-', '_'])
        && !text.ends_with(['-', '_'])
}

/// True for a BCP 47-looking language tag (`fr`, `en`, `fr-CA`).
fn is_language_tag(text: &str) -> bool {
    let mut parts = text.split('-');
    let primary = parts.next().unwrap_or("");
    (2..=3).contains(&primary.len())
        && primary.bytes().all(|b| b.is_ascii_alphabetic())
        && parts.all(|p| (1..=8).contains(&p.len()) && p.bytes().all(|b| b.is_ascii_alphanumeric()))
}

/// Turns a `toml` deserialisation error into a problem with the key path when toml gives one.
pub fn toml_problem(file: &str, error: &toml::de::Error) -> ConfigProblem {
    ConfigProblem {
        file: file.to_owned(),
        key: String::new(),
        message: error.to_string().trim().replace('\n', " | "),
    }
}

impl SourcesFile {
    /// Reads and validates a sources file.
    pub fn load(path: &Path) -> Result<Self, Vec<ConfigProblem>> {
        let file = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|e| {
            vec![ConfigProblem {
                file: file.clone(),
                key: String::new(),
                message: format!("cannot read: {e}"),
            }]
        })?;
        Self::from_toml(&file, &text)
    }

    /// Parses and validates `text`, the content of `file`.
    pub fn from_toml(file: &str, text: &str) -> Result<Self, Vec<ConfigProblem>> {
        let raw: RawSourcesFile = toml::from_str(text).map_err(|e| vec![toml_problem(file, &e)])?;
        let mut problems = Vec::new();
        let mut sources = Vec::new();
        let mut ids = HashSet::new();
        for (index, raw) in raw.source.into_iter().enumerate() {
            let mut problem = |key: &str, message: String| {
                problems.push(ConfigProblem {
                    file: file.to_owned(),
                    key: format!("source[{index}].{key}"),
                    message,
                })
            };
            let duplicate = raw.id.as_ref().is_some_and(|id| !ids.insert(id.clone()));
            if duplicate {
                problem(
                    "id",
                    format!("duplicate source id {:?}", raw.id.as_deref().unwrap_or("")),
                );
            }
            if let Some(source) = validate_source(&raw, &mut problem)
                && !duplicate
            {
                sources.push(source);
            }
        }
        if problems.is_empty() {
            Ok(Self { sources })
        } else {
            Err(problems)
        }
    }

    /// The source with this id.
    pub fn get(&self, id: &str) -> Option<&SourceConfig> {
        self.sources.iter().find(|s| s.id == id)
    }
}

fn validate_source(
    raw: &RawSource,
    problem: &mut impl FnMut(&str, String),
) -> Option<SourceConfig> {
    let mut ok = true;
    let id = match raw.id.as_deref() {
        None => {
            problem("id", "missing (a unique slug such as \"msss\")".into());
            ok = false;
            String::new()
        }
        Some(id) if !is_slug(id) => {
            problem(
                "id",
                format!("{id:?} is not a slug: use lowercase letters, digits, '-' or '_'"),
            );
            ok = false;
            id.to_owned()
        }
        Some(id) => id.to_owned(),
    };
    let title = match raw.title.as_deref().map(str::trim) {
        Some(t) if !t.is_empty() => t.to_owned(),
        _ => {
            problem("title", "missing or empty".into());
            ok = false;
            String::new()
        }
    };
    let url = match raw.url.as_deref().map(Url::parse) {
        None => {
            problem("url", "missing".into());
            None
        }
        Some(Err(e)) => {
            problem(
                "url",
                format!("{:?} is not a URL: {e}", raw.url.as_deref().unwrap_or("")),
            );
            None
        }
        Some(Ok(u)) if !matches!(u.scheme(), "http" | "https" | "file") => {
            problem(
                "url",
                format!(
                    "scheme {:?} is not supported (http, https or file)",
                    u.scheme()
                ),
            );
            None
        }
        Some(Ok(u)) => Some(u),
    };
    let mut cron_key = |key: &str, value: Option<&str>| match value {
        None => None,
        Some(text) => match cron::Schedule::from_str(text) {
            Ok(s) => Some(s),
            Err(e) => {
                problem(
                    key,
                    format!(
                        "{text:?} is not a cron expression (6 or 7 fields, seconds first): {e}"
                    ),
                );
                ok = false;
                None
            }
        },
    };
    let schedule = cron_key("schedule", raw.schedule.as_deref());
    let full_sweep_schedule = cron_key("full_sweep_schedule", raw.full_sweep_schedule.as_deref());
    if let Some(rate) = raw.rate_limit_per_sec
        && !(rate.is_finite() && rate > 0.0)
    {
        problem(
            "rate_limit_per_sec",
            format!("must be positive, got {rate}"),
        );
        ok = false;
    }
    if raw.page_size == Some(0) {
        problem("page_size", "must be positive".into());
        ok = false;
    }
    let mut allowed_hosts = Vec::new();
    for (index, entry) in raw.allowed_hosts.iter().flatten().enumerate() {
        match allowed_host(entry) {
            Ok(host) => allowed_hosts.push(host),
            Err(message) => {
                problem(&format!("allowed_hosts[{index}]"), message);
                ok = false;
            }
        }
    }
    if let Some(language) = raw.language.as_deref()
        && !is_language_tag(language)
    {
        problem(
            "language",
            format!("{language:?} is not a language tag such as \"fr\""),
        );
        ok = false;
    }
    let kind = match raw.source_type {
        None => {
            problem("type", "missing (ckan, udata, ods or dcat)".into());
            None
        }
        Some(SourceType::Ckan) => {
            if raw.tag.is_some() {
                problem("tag", "only udata sources take a tag filter".into());
                ok = false;
            }
            if raw.where_clause.is_some() {
                problem("where", "only ods sources take a where filter".into());
                ok = false;
            }
            if let Some(org) = raw.organization.as_deref()
                && org.trim().is_empty()
            {
                problem("organization", "empty".into());
                ok = false;
            }
            Some(SourceKind::Ckan(CkanOptions {
                organization: raw.organization.clone(),
                fq: raw.fq.clone(),
                page_size: raw.page_size.unwrap_or(100),
            }))
        }
        Some(SourceType::Dcat) => {
            for (key, present) in [
                ("organization", raw.organization.is_some()),
                ("tag", raw.tag.is_some()),
                ("fq", raw.fq.is_some()),
                ("where", raw.where_clause.is_some()),
            ] {
                if present {
                    problem(
                        key,
                        "a dcat source takes no filter: put it in the catalogue URL".into(),
                    );
                    ok = false;
                }
            }
            Some(SourceKind::Dcat(DcatOptions {
                modified_since_param: raw.modified_since_param.clone(),
            }))
        }
        Some(SourceType::Udata) => {
            for (key, present) in [
                ("fq", raw.fq.is_some()),
                ("where", raw.where_clause.is_some()),
            ] {
                if present {
                    problem(key, "a udata source filters by organization or tag".into());
                    ok = false;
                }
            }
            // udata answers 400 to a slug here (PRODUCERS.md 2.2): say so before harvesting.
            if let Some(org) = raw.organization.as_deref()
                && !(org.len() == 24 && org.bytes().all(|b| b.is_ascii_hexdigit()))
            {
                problem(
                    "organization",
                    format!(
                        "{org:?} is not a udata organization id (24 hex digits); udata's \
                         dataset filter rejects slugs — find the id at /api/1/organizations/SLUG/"
                    ),
                );
                ok = false;
            }
            Some(SourceKind::Udata(UdataOptions {
                organization: raw.organization.clone(),
                tag: raw.tag.clone(),
                page_size: raw.page_size.unwrap_or(100),
            }))
        }
        Some(SourceType::Ods) => {
            for (key, present) in [
                ("organization", raw.organization.is_some()),
                ("tag", raw.tag.is_some()),
                ("fq", raw.fq.is_some()),
            ] {
                if present {
                    problem(key, "an ods source filters with `where` (ODSQL)".into());
                    ok = false;
                }
            }
            if raw.page_size.is_some_and(|size| size > 100) {
                problem(
                    "page_size",
                    "the Explore API returns at most 100 datasets per page".into(),
                );
                ok = false;
            }
            Some(SourceKind::Ods(OdsOptions {
                where_clause: raw.where_clause.clone(),
                page_size: raw.page_size.unwrap_or(100),
            }))
        }
    };
    let incremental_capable = match &kind {
        Some(SourceKind::Ckan(_) | SourceKind::Udata(_)) => true,
        Some(SourceKind::Dcat(options)) => options.modified_since_param.is_some(),
        _ => false,
    };
    if raw.full_sweep_schedule.is_some() && !incremental_capable {
        problem(
            "full_sweep_schedule",
            "only ckan, udata and dcat sources with `modified_since_param` list incrementally; \
             the others always sweep in full"
                .into(),
        );
        ok = false;
    }
    if raw.modified_since_param.is_some() && !matches!(kind, Some(SourceKind::Dcat(_))) {
        problem(
            "modified_since_param",
            "only dcat sources take it (ckan and udata know their own)".into(),
        );
        ok = false;
    }
    if let (Some(url), Some(kind)) = (&url, &kind)
        && url.scheme() == "file"
        && !matches!(kind, SourceKind::Dcat(_))
    {
        problem("url", "file:// URLs are only for dcat sources".into());
        ok = false;
    }
    match (ok, url, kind) {
        (true, Some(url), Some(kind)) => Some(SourceConfig {
            id,
            title,
            url,
            kind,
            schedule,
            full_sweep_schedule,
            priority: raw.priority,
            rate_limit_per_sec: raw.rate_limit_per_sec,
            language: raw.language.clone(),
            enabled: raw.enabled,
            allowed_hosts,
        }),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reports_every_problem_with_its_key() {
        let text = r#"
            [[source]]
            id = "Bad Id"
            title = ""
            type = "ckan"
            url = "not a url"
            schedule = "every day"
            rate_limit_per_sec = 0

            [[source]]
            id = "ok"
            title = "OK"
            type = "dcat"
            url = "https://example.org/catalog.ttl"

            [[source]]
            id = "ok"
            title = "Again"
            type = "dcat"
            url = "https://example.org/other.ttl"
        "#;
        let problems = SourcesFile::from_toml("sources.toml", text).unwrap_err();
        let keys: Vec<&str> = problems.iter().map(|p| p.key.as_str()).collect();
        assert_eq!(
            keys,
            [
                "source[0].id",
                "source[0].title",
                "source[0].url",
                "source[0].schedule",
                "source[0].rate_limit_per_sec",
                "source[2].id"
            ]
        );
        assert!(problems.iter().all(|p| p.file == "sources.toml"));
    }

    #[test]
    fn allowed_hosts_are_normalised_and_checked() {
        let text = r#"
            [[source]]
            id = "a"
            title = "A"
            type = "dcat"
            url = "https://example.org/catalog.ttl"
            allowed_hosts = ["CDN.example.org", "127.0.0.1:8081", "example.net:443", "[::1]:9000"]

            [[source]]
            id = "b"
            title = "B"
            type = "dcat"
            url = "https://example.org/catalog.ttl"
            allowed_hosts = ["https://cdn.example.org/", "", "user@host"]
        "#;
        let problems = SourcesFile::from_toml("sources.toml", text).unwrap_err();
        let keys: Vec<&str> = problems.iter().map(|p| p.key.as_str()).collect();
        assert_eq!(
            keys,
            [
                "source[1].allowed_hosts[0]",
                "source[1].allowed_hosts[1]",
                "source[1].allowed_hosts[2]"
            ],
            "{problems:?}"
        );
        let text = text
            .split("[[source]]")
            .take(2)
            .collect::<Vec<_>>()
            .join("[[source]]");
        let file = SourcesFile::from_toml("sources.toml", &text).unwrap();
        assert_eq!(
            file.get("a").unwrap().allowed_hosts,
            [
                "cdn.example.org",
                "127.0.0.1:8081",
                "example.net",
                "[::1]:9000"
            ]
        );
        assert!(
            SourcesFile::from_toml(
                "sources.toml",
                "[[source]]\nid = \"c\"\ntitle = \"C\"\ntype = \"ckan\"\nurl = \"https://x.org\"\n"
            )
            .unwrap()
            .sources[0]
                .allowed_hosts
                .is_empty()
        );
    }

    #[test]
    fn page_hosts_keep_only_ports_other_than_the_default() {
        let host = |text: &str| page_host(&Url::parse(text).unwrap());
        assert_eq!(
            host("https://Data.Example.org/x?page=2").as_deref(),
            Some("data.example.org")
        );
        assert_eq!(
            host("http://data.example.org:80/").as_deref(),
            Some("data.example.org")
        );
        assert_eq!(
            host("https://data.example.org:8443/").as_deref(),
            Some("data.example.org:8443")
        );
        assert_eq!(
            host("http://127.0.0.1:8081/p").as_deref(),
            Some("127.0.0.1:8081")
        );
        assert_eq!(host("file:///etc/passwd"), None);
    }

    #[test]
    fn unknown_keys_are_rejected() {
        let text = "[[source]]\nid = \"a\"\ntitle = \"A\"\ntype = \"ckan\"\nurl = \"https://x.org\"\norganisation = \"typo\"\n";
        let problems = SourcesFile::from_toml("sources.toml", text).unwrap_err();
        assert!(problems[0].message.contains("organisation"), "{problems:?}");
    }

    #[test]
    fn default_sources_file_is_valid() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../config/sources.toml");
        let file = SourcesFile::load(Path::new(path)).unwrap();
        assert!(file.get("msss").is_some());
    }

    #[test]
    fn udata_and_ods_options_are_checked() {
        let text = r#"
            [[source]]
            id = "cnam"
            title = "CNAM"
            type = "udata"
            url = "https://www.data.gouv.fr"
            organization = "caisse-nationale-de-l-assurance-maladie-des-travailleurs-salaries"

            [[source]]
            id = "ameli"
            title = "ameli"
            type = "ods"
            url = "https://data.ameli.fr"
            page_size = 500
            tag = "sante"

            [[source]]
            id = "good"
            title = "Good"
            type = "udata"
            url = "https://www.data.gouv.fr"
            organization = "534fff5ca3a7292c64a77d1a"
        "#;
        let problems = SourcesFile::from_toml("sources.toml", text).unwrap_err();
        let keys: Vec<&str> = problems.iter().map(|p| p.key.as_str()).collect();
        assert_eq!(
            keys,
            [
                "source[0].organization",
                "source[1].tag",
                "source[1].page_size"
            ]
        );
        assert!(
            problems[0].message.contains("24 hex digits"),
            "{problems:?}"
        );
    }
}
