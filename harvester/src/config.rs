//! `sources.toml`: the list of sources, read in two steps (ripgrep style). The file is parsed
//! as an untyped TOML document (only a syntax error stops there) and each `[[source]]` table is
//! read field by field into a [`RawSource`]: a value of the wrong TOML type, an unknown key or
//! an unknown `type` is one problem among the others. [`SourcesFile::from_toml`] then validates
//! every source and reports *every* problem at once, each with the file, the source's index,
//! its id when known, and the key.
//!
//! This file reads and checks the keys every source shares (id, title, url, schedules,
//! priority, rate limit, language, allowed hosts, enabled). The keys of one kind of source
//! (CKAN's `fq`, udata's `tag`, a page size…), its options and their validation live beside
//! its connector, in `sources/<kind>/config.rs`, which describes the kind to this reading with
//! a [`KindSpec`] listed in [`crate::sources::KINDS`]; the `type` key selects it.

use crate::sources::KINDS;
pub use crate::sources::SourceKind;
use std::collections::{BTreeMap, HashSet};
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

/// One kind of source (one portal software) as configuration reads it, declared by its
/// connector's `config.rs` and listed in [`crate::sources::KINDS`]: the `type` that selects
/// it, the keys it takes besides the shared ones, what it says of the other kinds' keys, and
/// the validation of its keys into its options.
pub struct KindSpec {
    /// The name `type` gives it (`ckan`).
    pub name: &'static str,
    /// The keys it reads besides the shared ones, each with how its value is read. Each is
    /// also listed, in its place, in `SOURCE_KEYS`.
    pub keys: &'static [(&'static str, OptionType)],
    /// Keys of other kinds that a source of this kind is refused with its own message (udata:
    /// `fq`, "a udata source filters by organization or tag").
    pub refuses: &'static [(&'static str, &'static str)],
    /// Keys of other kinds that a source of this kind lets pass unread.
    pub tolerates: &'static [&'static str],
    /// Keys of its own, each with the message a source of another kind gets for writing it when
    /// that kind neither refuses it with its own message nor tolerates it (udata: `tag`, "only
    /// udata sources take a tag filter").
    pub elsewhere: &'static [(&'static str, &'static str)],
    /// Validates its keys of one source into its options, reporting each problem with its key.
    /// The options come back even after a problem (with defaults in place of bad values), so
    /// that the shared rules that depend on the kind still apply.
    pub validate: ValidateKind,
}

/// A kind's validation: its raw keys in, its options out, each problem reported with its key.
pub type ValidateKind = fn(&RawOptions, &mut dyn FnMut(&str, String)) -> SourceKind;

impl fmt::Debug for KindSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("KindSpec")
            .field("name", &self.name)
            .finish_non_exhaustive()
    }
}

impl KindSpec {
    /// The kind written `name` in configuration (exactly, in lowercase).
    pub fn named(name: &str) -> Option<&'static Self> {
        KINDS.iter().copied().find(|kind| kind.name == name)
    }

    /// True for one of its own keys.
    fn takes(&self, key: &str) -> bool {
        self.keys.iter().any(|(own, _)| *own == key)
    }

    /// What a source of this kind is told of `key`, a key only other kinds take: its own
    /// message, else the message of the kind that owns the key; `None` when it lets it pass.
    fn other_kinds_key(&self, key: &str) -> Option<String> {
        if self.tolerates.contains(&key) {
            return None;
        }
        let message = self
            .refuses
            .iter()
            .chain(KINDS.iter().flat_map(|kind| kind.elsewhere))
            .find(|(known, _)| *known == key)
            .map(|(_, message)| (*message).to_owned());
        Some(message.unwrap_or_else(|| format!("a {} source does not take it", self.name)))
    }
}

/// The names of the kinds as a message lists them: `ckan, udata, ods or dcat`.
fn type_names() -> String {
    let names: Vec<&str> = KINDS.iter().map(|kind| kind.name).collect();
    match names.split_last() {
        Some((last, rest)) if !rest.is_empty() => format!("{} or {last}", rest.join(", ")),
        Some((last, _)) => (*last).to_owned(),
        None => String::new(),
    }
}

/// How the value of a kind's key is read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OptionType {
    /// A string.
    Text,
    /// A count (`page_size`): an integer from 1 to `u32::MAX`.
    Count,
}

/// The value of a kind's key as read, before its kind validates it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OptionValue {
    /// A string.
    Text(String),
    /// A count.
    Count(u32),
}

/// The keys of one source that belong to one kind or another (`organization`, `page_size`…),
/// as read from its table; a key whose value could not be read is left out. The kind `type`
/// names validates them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RawOptions {
    values: BTreeMap<String, OptionValue>,
}

impl RawOptions {
    /// The string written for `key`, if one was.
    pub fn text(&self, key: &str) -> Option<&str> {
        match self.values.get(key)? {
            OptionValue::Text(text) => Some(text.as_str()),
            OptionValue::Count(_) => None,
        }
    }

    /// The count written for `key`, if one was.
    pub fn count(&self, key: &str) -> Option<u32> {
        match self.values.get(key)? {
            OptionValue::Count(count) => Some(*count),
            OptionValue::Text(_) => None,
        }
    }

    /// The keys written, in alphabetical order.
    pub fn keys(&self) -> impl Iterator<Item = &str> {
        self.values.keys().map(String::as_str)
    }
}

/// How `key` is read when it is a key of some kind of source.
fn option_type(key: &str) -> Option<OptionType> {
    KINDS
        .iter()
        .flat_map(|kind| kind.keys)
        .find(|(known, _)| *known == key)
        .map(|(_, how)| *how)
}

/// Every key a `[[source]]` table may hold, shared or of a kind, in the order the README lists
/// them and a source's problems are reported. A kind's new key takes its place here too (a
/// test checks that every kind's keys are listed).
const SOURCE_KEYS: [&str; 17] = [
    "id",
    "title",
    "type",
    "url",
    "organization",
    "tag",
    "fq",
    "where",
    "schedule",
    "full_sweep_schedule",
    "modified_since_param",
    "priority",
    "rate_limit_per_sec",
    "language",
    "page_size",
    "allowed_hosts",
    "enabled",
];

/// A source as written in `sources.toml`, read field by field from its TOML table
/// ([`RawSource::from_table`]), before validation. A key that is absent, or whose value could
/// not be read, keeps its default here.
#[derive(Debug, Clone)]
pub struct RawSource {
    /// Slug, unique: used in IRIs and on the command line.
    pub id: Option<String>,
    /// Human title.
    pub title: Option<String>,
    /// Portal software (key `type`).
    pub source_type: Option<&'static KindSpec>,
    /// Portal base URL; for `dcat`, the catalogue URL (`http(s)://` or `file://`).
    pub url: Option<String>,
    /// Cron expression (6 or 7 fields, seconds first) for scheduled harvests.
    pub schedule: Option<String>,
    /// Cron expression of full sweeps; when set, the other runs are incremental (ckan, udata,
    /// and dcat with `modified_since_param`).
    pub full_sweep_schedule: Option<String>,
    /// Higher wins as primary among duplicates (default 0).
    pub priority: i64,
    /// Requests per second allowed to this source's host (an integer or a float in TOML).
    pub rate_limit_per_sec: Option<f64>,
    /// Default language of untagged literals (`fr`, `en`…).
    pub language: Option<String>,
    /// Hosts, besides the source's own, that the pages of its listing may be on: each as a URL
    /// writes it, `host` or `host:port` (see [`SourceConfig::allowed_hosts`]).
    pub allowed_hosts: Option<Vec<String>>,
    /// A disabled source stays configured but is not harvested (default true).
    pub enabled: bool,
    /// The keys of one kind or another (filters, page size…), for the kind to validate.
    pub options: RawOptions,
}

impl Default for RawSource {
    /// A source with no key written: every option unset, priority 0, enabled.
    fn default() -> Self {
        Self {
            id: None,
            title: None,
            source_type: None,
            url: None,
            schedule: None,
            full_sweep_schedule: None,
            priority: 0,
            rate_limit_per_sec: None,
            language: None,
            allowed_hosts: None,
            enabled: true,
            options: RawOptions::default(),
        }
    }
}

impl RawSource {
    /// Reads one `[[source]]` table key by key. Each key that cannot be read — unknown, of the
    /// wrong TOML type, an unknown `type` name, a number out of range — is reported through
    /// `problem` (with the key relative to the source, e.g. `priority` or `allowed_hosts[1]`)
    /// and returned in the set of rejected keys, so that validation does not also call it
    /// missing. A key of some kind is read whatever the source's `type`, as that kind reads it.
    pub fn from_table(
        table: &toml::Table,
        problem: &mut impl FnMut(&str, String),
    ) -> (Self, HashSet<String>) {
        let mut raw = Self::default();
        let mut rejected = HashSet::new();
        for (key, value) in table.iter() {
            let read = match key.as_str() {
                "id" => string(value).map(|text| raw.id = Some(text)),
                "title" => string(value).map(|text| raw.title = Some(text)),
                "type" => string(value)
                    .and_then(|name| {
                        KindSpec::named(&name).ok_or_else(|| {
                            format!("{name:?} is not a source type: use {}", type_names())
                        })
                    })
                    .map(|kind| raw.source_type = Some(kind)),
                "url" => string(value).map(|text| raw.url = Some(text)),
                "schedule" => string(value).map(|text| raw.schedule = Some(text)),
                "full_sweep_schedule" => {
                    string(value).map(|text| raw.full_sweep_schedule = Some(text))
                }
                "priority" => integer(value).map(|number| raw.priority = number),
                "rate_limit_per_sec" => {
                    number(value).map(|number| raw.rate_limit_per_sec = Some(number))
                }
                "language" => string(value).map(|text| raw.language = Some(text)),
                "allowed_hosts" => match value.as_array() {
                    None => Err(wrong_type("an array of strings", value)),
                    Some(entries) => {
                        // A placeholder keeps the indexes of the entries after a bad one.
                        let mut hosts = Vec::with_capacity(entries.len());
                        for (index, entry) in entries.iter().enumerate() {
                            match entry.as_str() {
                                Some(text) => hosts.push(text.to_owned()),
                                None => {
                                    let entry_key = format!("allowed_hosts[{index}]");
                                    problem(&entry_key, wrong_type("a string", entry));
                                    rejected.insert(entry_key);
                                    hosts.push(String::new());
                                }
                            }
                        }
                        raw.allowed_hosts = Some(hosts);
                        Ok(())
                    }
                },
                "enabled" => match value.as_bool() {
                    Some(enabled) => {
                        raw.enabled = enabled;
                        Ok(())
                    }
                    None => Err(wrong_type("true or false", value)),
                },
                other => match option_type(other) {
                    Some(OptionType::Text) => string(value).map(|text| {
                        raw.options
                            .values
                            .insert(other.to_owned(), OptionValue::Text(text));
                    }),
                    Some(OptionType::Count) => count(value).map(|number| {
                        raw.options
                            .values
                            .insert(other.to_owned(), OptionValue::Count(number));
                    }),
                    None => Err(unknown_key(other)),
                },
            };
            if let Err(message) = read {
                problem(key, message);
                rejected.insert(key.clone());
            }
        }
        (raw, rejected)
    }
}

/// A TOML string.
fn string(value: &toml::Value) -> Result<String, String> {
    value
        .as_str()
        .map(str::to_owned)
        .ok_or_else(|| wrong_type("a string", value))
}

/// A TOML integer.
fn integer(value: &toml::Value) -> Result<i64, String> {
    value
        .as_integer()
        .ok_or_else(|| wrong_type("an integer", value))
}

/// A TOML integer that counts something (`page_size`): from 1 to `u32::MAX`.
fn count(value: &toml::Value) -> Result<u32, String> {
    let number = integer(value)?;
    match u32::try_from(number) {
        Ok(0) => Err("must be positive".into()),
        Ok(number) => Ok(number),
        Err(_) if number < 0 => Err(format!("must be positive, got {number}")),
        Err(_) => Err(format!("must be at most {}, got {number}", u32::MAX)),
    }
}

/// A TOML float, or an integer taken as one (`rate_limit_per_sec = 1`).
fn number(value: &toml::Value) -> Result<f64, String> {
    match value {
        toml::Value::Float(number) => Ok(*number),
        toml::Value::Integer(number) => Ok(*number as f64),
        other => Err(wrong_type("a number", other)),
    }
}

/// Says what a value should have been and what it is (with the value itself when it is short).
fn wrong_type(expected: &str, value: &toml::Value) -> String {
    let found = match value {
        toml::Value::String(_) => "a string",
        toml::Value::Integer(_) => "an integer",
        toml::Value::Float(_) => "a float",
        toml::Value::Boolean(_) => "a boolean",
        toml::Value::Datetime(_) => "a date-time",
        toml::Value::Array(_) => "an array",
        toml::Value::Table(_) => "a table",
    };
    match value {
        toml::Value::Array(_) | toml::Value::Table(_) => {
            format!("must be {expected}, got {found}")
        }
        scalar => format!("must be {expected}, got {found} ({scalar})"),
    }
}

/// An unknown key of a `[[source]]` table, with the nearest known key when it looks like a typo.
fn unknown_key(key: &str) -> String {
    let nearest = SOURCE_KEYS
        .iter()
        .map(|known| (edit_distance(key, known), *known))
        .min();
    match nearest {
        Some((distance, known)) if distance <= 2 && distance * 2 <= key.chars().count() => {
            format!("unknown key {key:?} (did you mean {known:?}?)")
        }
        _ => format!(
            "unknown key {key:?}: a source takes {}",
            SOURCE_KEYS.join(", ")
        ),
    }
}

/// Levenshtein distance, in characters.
fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    // `row[j]` is the distance between the part of `a` read so far and `b[..j]`.
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut diagonal = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let substitution = diagonal + usize::from(ca != *cb);
            diagonal = row[j + 1];
            row[j + 1] = substitution.min(diagonal + 1).min(row[j] + 1);
        }
    }
    row[b.len()]
}

/// Where a problem of a source goes among the others of that source: keys in [`SOURCE_KEYS`]
/// order, entries of a list by index, unknown keys last.
fn key_order(key: &str) -> (usize, usize) {
    let (base, rest) = key.split_once('[').unwrap_or((key, ""));
    let rank = SOURCE_KEYS
        .iter()
        .position(|known| *known == base)
        .unwrap_or(SOURCE_KEYS.len());
    (
        rank,
        rest.trim_end_matches(']').parse::<usize>().unwrap_or(0),
    )
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

    /// Parses and validates `text`, the content of `file`. Only a TOML syntax error stops at
    /// once; otherwise every problem of every source is returned, sources in file order and,
    /// within a source, keys in the order the README lists them. A problem's key is
    /// `source[INDEX].KEY`; its message ends with `(source "ID")` when the source has an id
    /// (unless the problem is with the id itself).
    pub fn from_toml(file: &str, text: &str) -> Result<Self, Vec<ConfigProblem>> {
        let document: toml::Table =
            toml::from_str(text).map_err(|e| vec![toml_problem(file, &e)])?;
        let problem_at = |key: String, message: String| ConfigProblem {
            file: file.to_owned(),
            key,
            message,
        };
        let mut problems = Vec::new();
        let mut unknown: Vec<&str> = document
            .keys()
            .map(String::as_str)
            .filter(|key| *key != "source")
            .collect();
        unknown.sort_unstable();
        for key in unknown {
            problems.push(problem_at(
                key.to_owned(),
                format!("unknown key {key:?}: the file holds only [[source]] tables"),
            ));
        }
        let no_sources = Vec::new();
        let items = match document.get("source") {
            None => &no_sources,
            Some(toml::Value::Array(items)) => items,
            Some(other) => {
                problems.push(problem_at(
                    "source".to_owned(),
                    wrong_type("an array of [[source]] tables", other),
                ));
                &no_sources
            }
        };
        let mut sources = Vec::new();
        let mut ids = HashSet::new();
        for (index, item) in items.iter().enumerate() {
            let Some(table) = item.as_table() else {
                problems.push(problem_at(
                    format!("source[{index}]"),
                    wrong_type("a [[source]] table", item),
                ));
                continue;
            };
            // This source's problems as (key within the source, message), ordered below.
            let mut found: Vec<(String, String)> = Vec::new();
            let mut problem = |key: &str, message: String| found.push((key.to_owned(), message));
            let (raw, rejected) = RawSource::from_table(table, &mut problem);
            let duplicate = raw.id.as_ref().is_some_and(|id| !ids.insert(id.clone()));
            if duplicate {
                problem(
                    "id",
                    format!("duplicate source id {:?}", raw.id.as_deref().unwrap_or("")),
                );
            }
            if let Some(source) = validate_source(&raw, &rejected, &mut problem)
                && !duplicate
            {
                sources.push(source);
            }
            found.sort_by_key(|(key, _)| key_order(key));
            for (key, message) in found {
                let message = match raw.id.as_deref() {
                    Some(id) if key != "id" => format!("{message} (source {id:?})"),
                    _ => message,
                };
                problems.push(problem_at(format!("source[{index}].{key}"), message));
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

/// Validates one source read by [`RawSource::from_table`]. A key in `rejected` was written but
/// could not be read (its problem is already reported): it is not called missing again.
#[expect(
    clippy::too_many_lines,
    reason = "every shared key of a source checked with its own message, in the order the problems are reported"
)]
fn validate_source(
    raw: &RawSource,
    rejected: &HashSet<String>,
    problem: &mut impl FnMut(&str, String),
) -> Option<SourceConfig> {
    let mut ok = true;
    let id = match raw.id.as_deref() {
        None => {
            if !rejected.contains("id") {
                problem("id", "missing (a unique slug such as \"msss\")".into());
            }
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
            if !rejected.contains("title") {
                problem("title", "missing or empty".into());
            }
            ok = false;
            String::new()
        }
    };
    let url = match raw.url.as_deref().map(Url::parse) {
        None => {
            if !rejected.contains("url") {
                problem("url", "missing".into());
            }
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
    let mut allowed_hosts = Vec::new();
    for (index, entry) in raw.allowed_hosts.iter().flatten().enumerate() {
        let key = format!("allowed_hosts[{index}]");
        if rejected.contains(&key) {
            ok = false;
            continue;
        }
        match allowed_host(entry) {
            Ok(host) => allowed_hosts.push(host),
            Err(message) => {
                problem(&key, message);
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
            if !rejected.contains("type") {
                problem("type", format!("missing ({})", type_names()));
            }
            None
        }
        Some(spec) => {
            // A key only other kinds take: refused, unless this kind lets it pass.
            for key in raw.options.keys() {
                if !spec.takes(key)
                    && let Some(message) = spec.other_kinds_key(key)
                {
                    problem(key, message);
                    ok = false;
                }
            }
            let mut kind_ok = true;
            let kind = (spec.validate)(&raw.options, &mut |key: &str, message: String| {
                kind_ok = false;
                problem(key, message);
            });
            ok &= kind_ok;
            Some(kind)
        }
    };
    // Without a known type (missing or unknown, already reported) the kind's rules cannot apply.
    if raw.full_sweep_schedule.is_some()
        && kind
            .as_ref()
            .is_some_and(|kind| !kind.lists_incrementally())
    {
        problem(
            "full_sweep_schedule",
            "only ckan, udata and dcat sources with `modified_since_param` list incrementally; \
             the others always sweep in full"
                .into(),
        );
        ok = false;
    }
    if let (Some(url), Some(kind)) = (&url, &kind)
        && url.scheme() == "file"
        && !kind.reads_files()
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
    use crate::sources::ckan::CkanOptions;
    use crate::sources::ods::OdsOptions;

    /// Every kind's keys have their place in the reported order, and a key two kinds take is
    /// read the same way for both.
    #[test]
    fn every_key_of_every_kind_is_listed_and_read_one_way() {
        for kind in KINDS {
            for (key, how) in kind.keys {
                assert!(SOURCE_KEYS.contains(key), "{}: {key}", kind.name);
                assert_eq!(option_type(key), Some(*how), "{}: {key}", kind.name);
            }
        }
        assert_eq!(type_names(), "ckan, udata, ods or dcat");
    }

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

    /// The file of the issue: a bad URL, a bad cron expression, an unknown type and a
    /// duplicate id are four problems reported together, each with the file, the source's
    /// index and the key (and the source's id).
    #[test]
    fn an_unknown_type_is_one_problem_among_the_others() {
        let text = r#"
            [[source]]
            id = "bad-url"
            title = "Bad URL"
            type = "ckan"
            url = "not a url"

            [[source]]
            id = "bad-cron"
            title = "Bad cron"
            type = "dcat"
            url = "https://example.org/catalog.ttl"
            schedule = "every night"

            [[source]]
            id = "bad-type"
            title = "Bad type"
            type = "nosuchtype"
            url = "https://example.org/"

            [[source]]
            id = "bad-url"
            title = "Again"
            type = "dcat"
            url = "https://example.org/other.ttl"
        "#;
        let problems = SourcesFile::from_toml("sources.toml", text).unwrap_err();
        let lines: Vec<String> = problems.iter().map(ToString::to_string).collect();
        assert_eq!(lines.len(), 4, "{lines:#?}");
        let expected = [
            (
                "sources.toml: source[0].url: \"not a url\" is not a URL: ",
                " (source \"bad-url\")",
            ),
            (
                "sources.toml: source[1].schedule: \"every night\" is not a cron expression",
                " (source \"bad-cron\")",
            ),
            (
                "sources.toml: source[2].type: \"nosuchtype\" is not a source type: use ckan, \
                 udata, ods or dcat",
                " (source \"bad-type\")",
            ),
            (
                "sources.toml: source[3].id: duplicate source id \"bad-url\"",
                "\"bad-url\"",
            ),
        ];
        for (line, (start, end)) in lines.iter().zip(expected) {
            assert!(line.starts_with(start) && line.ends_with(end), "{lines:#?}");
        }
        // The unknown type hides nothing else and is not also called missing.
        assert!(
            !problems.iter().any(|p| p.message.starts_with("missing")),
            "{lines:#?}"
        );
    }

    /// A value of the wrong TOML type is one problem among the others, and a key that was
    /// written with the wrong type is not also called missing.
    #[test]
    fn a_value_of_the_wrong_type_is_one_problem_among_the_others() {
        let text = r#"
            stray = 1

            [[source]]
            id = "a"
            title = "A"
            type = "ckan"
            url = "https://example.org"
            priority = "high"
            schedule = "daily"
            page_size = -1
            enabled = "yes"
            allowed_hosts = ["cdn.example.org", 5, "user@host"]
            organisation = "typo"

            [[source]]
            id = 7
            title = ["B"]
            type = "dcat"
            url = "https://example.org/catalog.ttl"
            rate_limit_per_sec = "fast"
        "#;
        let problems = SourcesFile::from_toml("sources.toml", text).unwrap_err();
        let keys: Vec<&str> = problems.iter().map(|p| p.key.as_str()).collect();
        assert_eq!(
            keys,
            [
                "stray",
                "source[0].schedule",
                "source[0].priority",
                "source[0].page_size",
                "source[0].allowed_hosts[1]",
                "source[0].allowed_hosts[2]",
                "source[0].enabled",
                "source[0].organisation",
                "source[1].id",
                "source[1].title",
                "source[1].rate_limit_per_sec",
            ],
            "{problems:#?}"
        );
        let message = |key: &str| {
            problems
                .iter()
                .find(|p| p.key == key)
                .map(|p| p.message.as_str())
                .unwrap_or_default()
        };
        assert!(message("stray").contains("[[source]]"), "{problems:#?}");
        for (key, start) in [
            ("source[0].priority", "must be an integer, got a string"),
            ("source[0].page_size", "must be positive, got -1"),
            (
                "source[0].allowed_hosts[1]",
                "must be a string, got an integer (5)",
            ),
            ("source[0].enabled", "must be true or false, got a string"),
            (
                "source[0].organisation",
                "unknown key \"organisation\" (did you mean \"organization\"?)",
            ),
            ("source[1].id", "must be a string, got an integer (7)"),
            ("source[1].title", "must be a string, got an array"),
            (
                "source[1].rate_limit_per_sec",
                "must be a number, got a string",
            ),
        ] {
            assert!(message(key).starts_with(start), "{key}: {problems:#?}");
        }
        assert!(message("source[0].priority").ends_with(" (source \"a\")"));
        assert!(problems.iter().all(|p| p.file == "sources.toml"));

        // `source` itself of the wrong type; a syntax error still stops at once, with its line.
        let problems = SourcesFile::from_toml("sources.toml", "source = 3\n").unwrap_err();
        assert_eq!(problems.len(), 1);
        assert_eq!(problems[0].key, "source");
        let problems =
            SourcesFile::from_toml("sources.toml", "[[source]\nid = \"a\"\n").unwrap_err();
        assert_eq!(problems.len(), 1);
        assert!(
            problems[0].key.is_empty() && problems[0].message.contains("line 1"),
            "{problems:?}"
        );
    }

    /// Every key of a valid file is read as before the untyped reading: values, integers taken
    /// as rates, defaults.
    #[test]
    fn every_key_of_a_valid_source_is_read() {
        let text = r#"
            [[source]]
            id = "full"
            title = "  Full  "
            type = "ckan"
            url = "https://example.org/ckan"
            organization = "org"
            fq = "tags:x"
            schedule = "0 0 3 * * *"
            full_sweep_schedule = "0 0 4 * * Sun"
            priority = -3
            rate_limit_per_sec = 2
            language = "fr"
            page_size = 50
            allowed_hosts = ["cdn.example.org"]
            enabled = false

            [[source]]
            id = "defaults"
            title = "Defaults"
            type = "ods"
            url = "https://data.example.org"
            where = "publisher=\"CNAM\""
            rate_limit_per_sec = 0.5
        "#;
        let file = SourcesFile::from_toml("sources.toml", text).unwrap();
        let full = file.get("full").unwrap();
        assert_eq!(full.title, "Full");
        assert_eq!(full.url.as_str(), "https://example.org/ckan");
        assert_eq!(
            full.kind,
            SourceKind::Ckan(CkanOptions {
                organization: Some("org".into()),
                fq: Some("tags:x".into()),
                page_size: 50,
            })
        );
        assert!(full.schedule.is_some() && full.full_sweep_schedule.is_some());
        assert_eq!(
            (full.priority, full.rate_limit_per_sec, full.enabled),
            (-3, Some(2.0), false)
        );
        assert_eq!(full.language.as_deref(), Some("fr"));
        assert_eq!(full.allowed_hosts, ["cdn.example.org"]);
        let defaults = file.get("defaults").unwrap();
        assert_eq!(
            defaults.kind,
            SourceKind::Ods(OdsOptions {
                where_clause: Some("publisher=\"CNAM\"".into()),
                page_size: 100,
            })
        );
        assert_eq!(
            (
                defaults.priority,
                defaults.rate_limit_per_sec,
                defaults.enabled
            ),
            (0, Some(0.5), true)
        );
        assert!(defaults.schedule.is_none() && defaults.language.is_none());
        assert!(defaults.allowed_hosts.is_empty());
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
