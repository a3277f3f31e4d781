//! Measuring one record: every metric becomes a typed [`Value`] — a boolean, an HTTP status
//! code, or "not measured" when fedcat lacks what the check needs (no SHACL shapes configured,
//! no link check yet). Measuring reads the record graph and the facts of the vocabularies; it
//! never scores.

use super::metrics::{self as m, Metric};
use crate::node_keys::{node_key, subject_key};
use crate::vocab::{adms, dcat, dct, foaf, prov, spdx, vcard};
use oxigraph::model::{NamedNodeRef, Term, Triple};
use std::collections::{BTreeMap, HashMap, HashSet};

/// A measured value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Value {
    /// A boolean check.
    Bool(bool),
    /// An HTTP status code, or MQA's 1100 (connection error) / 1300 (invalid URL).
    Status(u16),
    /// A level on a scale (the five-star level of E27), worth no points.
    Level(u8),
    /// The check could not run (no shapes configured, URL not checked yet).
    NotMeasured,
}

/// The outcome of the SHACL shapes sets for one record: `Some(true)` when it gave no result of
/// the severity that counts, `None` when that set of shapes is not configured.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ShaclOutcome {
    /// DCAT-AP core shapes: no `sh:Violation` (M13).
    pub core: Option<bool>,
    /// The recommended-properties shapes: no result at all (their shapes are warnings; E13).
    pub recommended: Option<bool>,
    /// The controlled-vocabulary shapes: no `sh:Violation` (E14).
    pub vocabularies: Option<bool>,
}

/// What the measurements of format, media type and licence rely on, from the vocabulary tables.
#[derive(Debug, Clone, Default)]
pub struct QualityFacts {
    /// EU file-type IRI → (machine-readable, non-proprietary), MQA's lists.
    pub file_types: HashMap<String, (bool, bool)>,
    /// IANA media-type IRI → the EU file-type IRI of that media type.
    pub media_types: HashMap<String, String>,
    /// Licence IRIs of a predefined collection (the EU licence table).
    pub known_licences: HashSet<String>,
    /// Licences that conform to the Open Definition.
    pub open_licences: HashSet<String>,
}

/// The result of the last check of a URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LinkCheck {
    /// Status of the HEAD request (what data.europa.eu records).
    pub head_status: u16,
    /// Final status after the GET fallback on 405/501 or error.
    pub status: u16,
    /// Share of 2xx answers over the URL's recent checks (E6), when it has a history.
    pub availability: Option<u8>,
    /// `Content-Type` of the last answer.
    pub content_type: Option<String>,
    /// `Content-Length` of the last HEAD answer.
    pub content_length: Option<u64>,
    /// What the first bytes of the file said, when downloads are enabled.
    pub file: Option<FileFacts>,
}

/// What a (partial) download of a file showed; kept by the state database between runs.
pub type FileFacts = crate::storage::FileSample;

/// How measurements are taken.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct MeasureOptions {
    /// Use the HEAD status only, as data.europa.eu does.
    pub strict_head: bool,
}

/// The measurements of one dataset.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Measurements {
    /// The dataset IRI.
    pub dataset: String,
    /// Dataset-level values, by metric id.
    pub dataset_values: BTreeMap<&'static str, Value>,
    /// Per distribution (IRI or blank-node label): values by metric id.
    pub distributions: Vec<(String, BTreeMap<&'static str, Value>)>,
    /// The first day on which a value measured against the day of the assessment may differ
    /// (an update deadline passed, a future date reached); `None` when none depends on it. A
    /// record unchanged since its assessment needs no new one before that day.
    pub recheck_on: Option<chrono::NaiveDate>,
}

const EU_FILE_TYPE: &str = "http://publications.europa.eu/resource/authority/file-type/";
const EU_ACCESS_RIGHT: &str = "http://publications.europa.eu/resource/authority/access-right/";
const EU_FREQUENCY: &str = "http://publications.europa.eu/resource/authority/frequency/";
const EU_LANGUAGE: &str = "http://publications.europa.eu/resource/authority/language/";
const IANA: &str = "://www.iana.org/assignments/media-types/";
/// EU file types that are RDF serialisations (the fourth star).
const RDF_FORMATS: [&str; 6] = [
    "RDF_XML",
    "RDF_TURTLE",
    "JSON_LD",
    "RDF_N_TRIPLES",
    "RDF_N_QUADS",
    "RDF_TRIG",
];

struct Graph<'a> {
    by_subject: HashMap<String, Vec<&'a Triple>>,
}

impl<'a> Graph<'a> {
    fn new(triples: &'a [Triple]) -> Self {
        let mut by_subject: HashMap<String, Vec<&Triple>> = HashMap::new();
        for triple in triples {
            by_subject
                .entry(subject_key(&triple.subject))
                .or_default()
                .push(triple);
        }
        Self { by_subject }
    }

    fn objects(&self, node: &str, predicate: NamedNodeRef<'_>) -> Vec<&'a Term> {
        self.by_subject
            .get(node)
            .map(|triples| {
                triples
                    .iter()
                    .filter(|t| t.predicate == predicate)
                    .map(|t| &t.object)
                    .collect()
            })
            .unwrap_or_default()
    }

    fn has(&self, node: &str, predicate: NamedNodeRef<'_>) -> bool {
        !self.objects(node, predicate).is_empty()
    }

    fn iris(&self, node: &str, predicate: NamedNodeRef<'_>) -> Vec<String> {
        self.objects(node, predicate)
            .into_iter()
            .filter_map(|t| match t {
                Term::NamedNode(n) => Some(n.as_str().to_owned()),
                _ => None,
            })
            .collect()
    }

    fn texts(&self, node: &str, predicate: NamedNodeRef<'_>) -> Vec<String> {
        self.objects(node, predicate)
            .into_iter()
            .filter_map(|t| match t {
                Term::NamedNode(n) => Some(n.as_str().to_owned()),
                Term::Literal(l) => Some(l.value().to_owned()),
                _ => None,
            })
            .collect()
    }
}

fn status_value(
    urls: &[String],
    links: &dyn Fn(&str) -> Option<LinkCheck>,
    options: MeasureOptions,
) -> Value {
    // MQA keeps the best status of a distribution's URLs.
    let mut best: Option<u16> = None;
    for url in urls {
        if let Some(check) = links(url) {
            let status = if options.strict_head {
                check.head_status
            } else {
                check.status
            };
            let rank = |s: u16| (200..300).contains(&s);
            best = Some(match best {
                Some(b) if rank(b) || (!rank(status) && b <= status) => b,
                _ => status,
            });
        }
    }
    best.map_or(Value::NotMeasured, Value::Status)
}

/// Days between two updates a declared EU frequency promises; `None` for irregular, unknown,
/// never-updated and other frequencies, which promise nothing.
pub fn frequency_days(iri: &str) -> Option<i64> {
    let code = iri.strip_prefix(EU_FREQUENCY)?;
    Some(match code {
        "1MIN" | "5MIN" | "10MIN" | "15MIN" | "30MIN" | "HOURLY" | "BIHOURLY" | "TRIHOURLY"
        | "12HRS" | "CONT" | "UPDATE_CONT" | "DAILY" | "DAILY_2" => 1,
        "WEEKLY" | "WEEKLY_2" | "WEEKLY_3" => 7,
        "BIWEEKLY" => 14,
        "MONTHLY" | "MONTHLY_2" | "MONTHLY_3" => 31,
        "BIMONTHLY" => 62,
        "QUARTERLY" => 92,
        "ANNUAL_3" => 122,
        "ANNUAL_2" => 183,
        "ANNUAL" => 366,
        "BIENNIAL" => 731,
        "TRIENNIAL" => 1096,
        "QUADRENNIAL" => 1461,
        "QUINQUENNIAL" => 1827,
        "DECENNIAL" => 3653,
        _ => return None,
    })
}

fn is_valid_date(text: &str) -> Option<chrono::NaiveDate> {
    let date = text.get(..10)?;
    chrono::NaiveDate::parse_from_str(date, "%Y-%m-%d").ok()
}

/// Whether a file whose content is `sniffed` is what `declared` (an EU file-type code) says.
/// Families are accepted where the sniffing cannot tell them apart from a prefix: GeoJSON and
/// JSON-LD are JSON, RDF/XML, KML and GML are XML, a one-column CSV is text, and office
/// documents are zip archives.
pub fn format_matches(declared: &str, sniffed: &str) -> bool {
    if declared == sniffed {
        return true;
    }
    match declared {
        "JSON" => matches!(sniffed, "GEOJSON" | "JSON_LD"),
        "GEOJSON" | "JSON_LD" | "TOPOJSON" => sniffed == "JSON",
        "XML" => matches!(sniffed, "RDF_XML" | "KML" | "GPX"),
        "KML" | "GML" | "GPX" | "XSD" | "ATOM" | "RSS" | "WFS_SRVC" | "WMS_SRVC" => {
            sniffed == "XML"
        }
        "CSV" => sniffed == "TXT",
        "TSV" | "TAB" | "TXT" | "PSV" => matches!(sniffed, "CSV" | "TXT"),
        "ZIP" => matches!(sniffed, "XLSX" | "DOCX" | "PPTX" | "ODS" | "ODT"),
        "XLSX" | "DOCX" | "PPTX" | "ODS" | "ODT" | "SHP" | "KMZ" | "GTFS" => sniffed == "ZIP",
        "GZIP" | "TAR_GZ" | "TGZ" => sniffed == "GZIP",
        _ => false,
    }
}

/// Measures one dataset of a record graph. A set of SHACL shapes that is not configured leaves
/// its metric not measured (M13 is never assumed true); `links` gives the last check of a URL,
/// with its file sample when downloads are enabled.
#[expect(
    clippy::too_many_lines,
    reason = "one measurement per MQA and extended metric, in QUALITY.md's order, so that each can be read against the specification; split, the table would be scattered"
)]
pub fn measure(
    triples: &[Triple],
    dataset: &str,
    facts: &QualityFacts,
    shacl: ShaclOutcome,
    links: &dyn Fn(&str) -> Option<LinkCheck>,
    options: MeasureOptions,
    today: chrono::NaiveDate,
) -> Measurements {
    let graph = Graph::new(triples);
    let mut values: BTreeMap<&'static str, Value> = BTreeMap::new();
    let mut set = |metric: Metric, value: Value| {
        values.insert(metric.id, value);
    };
    let has = |p| graph.has(dataset, p);
    set(m::KEYWORD, Value::Bool(has(dcat::KEYWORD)));
    set(m::CATEGORY, Value::Bool(has(dcat::THEME)));
    set(m::SPATIAL, Value::Bool(has(dct::SPATIAL)));
    set(m::TEMPORAL, Value::Bool(has(dct::TEMPORAL)));
    set(
        m::DCAT_AP_COMPLIANCE,
        shacl.core.map_or(Value::NotMeasured, Value::Bool),
    );
    set(
        m::RECOMMENDED_COMPLETENESS,
        shacl.recommended.map_or(Value::NotMeasured, Value::Bool),
    );
    set(
        m::VOCABULARY_COMPLIANCE,
        shacl.vocabularies.map_or(Value::NotMeasured, Value::Bool),
    );
    let access_rights = graph.iris(dataset, dct::ACCESS_RIGHTS);
    set(m::ACCESS_RIGHTS, Value::Bool(has(dct::ACCESS_RIGHTS)));
    set(
        m::ACCESS_RIGHTS_VOCABULARY,
        Value::Bool(access_rights.iter().any(|r| r.starts_with(EU_ACCESS_RIGHT))),
    );
    set(m::CONTACT_POINT, Value::Bool(has(dcat::CONTACT_POINT)));
    set(m::PUBLISHER, Value::Bool(has(dct::PUBLISHER)));
    // Dataset-level dates count only when the best distribution lacks them (scoring).
    set(m::ISSUED, Value::Bool(has(dct::ISSUED)));
    set(m::MODIFIED, Value::Bool(has(dct::MODIFIED)));
    let descriptions = graph.objects(dataset, dct::DESCRIPTION);
    set(
        m::DESCRIPTION_LENGTH,
        Value::Bool(descriptions.iter().any(|d| match d {
            Term::Literal(l) => l.value().chars().count() > 100,
            _ => false,
        })),
    );
    // A landing page that answers (E2): not measured until its link is checked.
    let landing_pages = graph.texts(dataset, dcat::LANDING_PAGE);
    set(
        m::LANDING_PAGE,
        if landing_pages.is_empty() {
            Value::Bool(false)
        } else {
            match status_value(&landing_pages, links, options) {
                Value::Status(code) => Value::Bool((200..300).contains(&code)),
                other => other,
            }
        },
    );
    set(
        m::IDENTIFIER,
        Value::Bool(has(dct::IDENTIFIER) || has(adms::IDENTIFIER_PROP)),
    );
    let tagged = |p| {
        let literals = graph.objects(dataset, p);
        !literals.is_empty()
            && literals.iter().all(|t| match t {
                Term::Literal(l) => l.language().is_some(),
                _ => false,
            })
    };
    set(
        m::LANGUAGE_TAGGED,
        Value::Bool(tagged(dct::TITLE) && tagged(dct::DESCRIPTION)),
    );
    let frequencies = graph.iris(dataset, dct::ACCRUAL_PERIODICITY);
    set(
        m::ACCRUAL_PERIODICITY,
        Value::Bool(frequencies.iter().any(|f| f.starts_with(EU_FREQUENCY))),
    );
    set(m::CONTACT_POINT_VALID, {
        let points: Vec<String> = graph
            .objects(dataset, dcat::CONTACT_POINT)
            .into_iter()
            .filter_map(node_key)
            .collect();
        let valid = points.iter().any(|point| {
            graph.texts(point, vcard::HAS_EMAIL).iter().any(|email| {
                let address = email.strip_prefix("mailto:").unwrap_or(email);
                let mut parts = address.split('@');
                matches!((parts.next(), parts.next(), parts.next()),
                    (Some(user), Some(host), None) if !user.is_empty() && host.contains('.') && !address.contains(' '))
            }) || graph.has(point, vcard::HAS_URL)
        });
        Value::Bool(valid)
    });
    set(
        m::RESOLUTION,
        Value::Bool(has(dcat::SPATIAL_RESOLUTION_IN_METERS) || has(dcat::TEMPORAL_RESOLUTION)),
    );
    let dates: Vec<Option<chrono::NaiveDate>> = [dct::ISSUED, dct::MODIFIED]
        .into_iter()
        .map(|p| {
            graph
                .texts(dataset, p)
                .first()
                .and_then(|d| is_valid_date(d))
        })
        .collect();
    // udata's rule: updated in time when today is at most one day past the last modification
    // plus the declared period.
    let deadline = frequencies
        .iter()
        .find_map(|f| frequency_days(f))
        .map(|days| dates[1].map(|modified| modified + chrono::Duration::days(days + 1)));
    set(
        m::UPDATE_IN_TIME,
        match deadline {
            None => Value::NotMeasured,
            Some(deadline) => Value::Bool(deadline.is_some_and(|deadline| today <= deadline)),
        },
    );
    // The values above and below that change with the day: past the deadline, and when a
    // future issue or modification date is reached.
    let recheck_on = [
        deadline.flatten().map(|d| d + chrono::Duration::days(1)),
        dates[0],
        dates[1],
    ]
    .into_iter()
    .flatten()
    .filter(|day| *day > today)
    .min();
    set(
        m::DATE_CONSISTENCY,
        Value::Bool(match (dates[0], dates[1]) {
            (Some(issued), Some(modified)) => issued <= modified && modified <= today,
            (Some(date), None) | (None, Some(date)) => date <= today,
            (None, None) => false,
        }),
    );
    set(
        m::LANGUAGE,
        Value::Bool(
            graph
                .iris(dataset, dct::LANGUAGE)
                .iter()
                .any(|l| l.starts_with(EU_LANGUAGE)),
        ),
    );
    set(
        m::PROVENANCE,
        Value::Bool(
            has(dct::PROVENANCE) || has(prov::WAS_GENERATED_BY) || has(prov::WAS_DERIVED_FROM),
        ),
    );
    let distributions: Vec<String> = graph
        .objects(dataset, dcat::HAS_DISTRIBUTION)
        .into_iter()
        .filter_map(node_key)
        .collect();
    set(
        m::ACCESS_SERVICE,
        Value::Bool(
            distributions
                .iter()
                .any(|d| graph.has(d, dcat::ACCESS_SERVICE)),
        ),
    );
    set(
        m::DOCUMENTATION,
        Value::Bool(
            has(foaf::PAGE) || distributions.iter().any(|d| graph.has(d, dct::DESCRIPTION)),
        ),
    );
    let mut per_distribution = Vec::new();
    for distribution in &distributions {
        let mut values: BTreeMap<&'static str, Value> = BTreeMap::new();
        let mut set = |metric: Metric, value: Value| {
            values.insert(metric.id, value);
        };
        let has = |p| graph.has(distribution, p);
        let access = graph.texts(distribution, dcat::ACCESS_URL);
        let download = graph.texts(distribution, dcat::DOWNLOAD_URL);
        set(
            m::ACCESS_URL_STATUS,
            if access.is_empty() {
                Value::Bool(false)
            } else {
                status_value(&access, links, options)
            },
        );
        set(m::DOWNLOAD_URL, Value::Bool(!download.is_empty()));
        set(
            m::DOWNLOAD_URL_STATUS,
            if download.is_empty() {
                Value::Bool(false)
            } else {
                status_value(&download, links, options)
            },
        );
        let formats = graph.iris(distribution, dct::FORMAT);
        let media_types = graph.iris(distribution, dcat::MEDIA_TYPE);
        set(m::FORMAT, Value::Bool(has(dct::FORMAT)));
        set(m::MEDIA_TYPE, Value::Bool(has(dcat::MEDIA_TYPE)));
        let format_aligned = formats.iter().any(|f| f.starts_with(EU_FILE_TYPE));
        let media_aligned = media_types
            .iter()
            .any(|t| t.starts_with("http") && t.contains(IANA));
        set(
            m::VOCABULARY_ALIGNMENT,
            Value::Bool(format_aligned && media_aligned),
        );
        let file_types: Vec<(bool, bool)> = formats
            .iter()
            .filter_map(|f| facts.file_types.get(f))
            .chain(
                media_types
                    .iter()
                    .filter_map(|t| facts.media_types.get(t))
                    .filter_map(|f| facts.file_types.get(f)),
            )
            .copied()
            .collect();
        set(
            m::NON_PROPRIETARY,
            Value::Bool(file_types.iter().any(|(_, np)| *np)),
        );
        set(
            m::MACHINE_READABLE,
            Value::Bool(file_types.iter().any(|(mr, _)| *mr)),
        );
        let licences = graph.iris(distribution, dct::LICENSE);
        set(m::LICENCE, Value::Bool(has(dct::LICENSE)));
        set(
            m::KNOWN_LICENCE,
            Value::Bool(licences.iter().any(|l| facts.known_licences.contains(l))),
        );
        set(m::RIGHTS, Value::Bool(has(dct::RIGHTS)));
        set(m::BYTE_SIZE, Value::Bool(has(dcat::BYTE_SIZE)));
        set(m::ISSUED, Value::Bool(has(dct::ISSUED)));
        set(m::MODIFIED, Value::Bool(has(dct::MODIFIED)));
        let urls: Vec<&String> = access.iter().chain(&download).collect();
        set(
            m::URL_HTTPS,
            Value::Bool(
                !urls.is_empty()
                    && urls.iter().all(|u| {
                        url::Url::parse(u)
                            .is_ok_and(|url| url.scheme() == "https" && url.username().is_empty())
                    }),
            ),
        );
        set(m::CONFORMS_TO, Value::Bool(has(dct::CONFORMS_TO)));
        // What the servers said the files are (answers of 2xx with a Content-Type).
        let served = |urls: &[String]| -> Vec<String> {
            urls.iter()
                .filter_map(|u| links(u))
                .filter(|c| (200..300).contains(&c.status))
                .filter_map(|c| c.content_type)
                .map(|t| {
                    t.split(';')
                        .next()
                        .unwrap_or_default()
                        .trim()
                        .to_ascii_lowercase()
                })
                .collect()
        };
        let served_download = served(&download);
        set(
            m::DIRECT_DOWNLOAD,
            if download.is_empty() {
                Value::Bool(false)
            } else if served_download.is_empty() {
                Value::NotMeasured
            } else {
                Value::Bool(served_download.iter().any(|t| t != "text/html"))
            },
        );
        let served_all: Vec<String> = served(&access).into_iter().chain(served_download).collect();
        set(
            m::CONTENT_TYPE_MATCH,
            if served_all.is_empty() || (formats.is_empty() && media_types.is_empty()) {
                Value::NotMeasured
            } else {
                Value::Bool(served_all.iter().any(|t| {
                    let iri = format!("http://www.iana.org/assignments/media-types/{t}");
                    media_types
                        .iter()
                        .any(|m| m.ends_with(&format!("/media-types/{t}")))
                        || facts
                            .media_types
                            .get(&iri)
                            .is_some_and(|file_type| formats.contains(file_type))
                }))
            },
        );
        let availability = urls
            .iter()
            .filter_map(|u| links(u).and_then(|c| c.availability))
            .max();
        set(
            m::AVAILABILITY_HISTORY,
            availability.map_or(Value::NotMeasured, |share| Value::Bool(share >= 95)),
        );
        set(
            m::OPEN_LICENCE,
            Value::Bool(licences.iter().any(|l| facts.open_licences.contains(l))),
        );
        // The file as downloaded: from its download URL, else its access URL.
        let file: Option<FileFacts> = download
            .iter()
            .chain(&access)
            .filter_map(|u| links(u))
            .find_map(|c| c.file);
        let declared_codes: Vec<&str> = formats
            .iter()
            .chain(media_types.iter().filter_map(|t| facts.media_types.get(t)))
            .filter_map(|f| f.strip_prefix(EU_FILE_TYPE))
            .collect();
        set(
            m::FORMAT_MATCH,
            match &file {
                None => Value::NotMeasured,
                Some(file) => Value::Bool(file.sniffed.as_deref().is_some_and(|sniffed| {
                    declared_codes
                        .iter()
                        .any(|declared| format_matches(declared, sniffed))
                })),
            },
        );
        set(
            m::SYNTAX_VALID,
            file.as_ref()
                .and_then(|f| f.syntax_valid)
                .map_or(Value::NotMeasured, Value::Bool),
        );
        // E22: a checksum is given, and it is the file's when the whole file was read.
        let checksums: Vec<(String, String)> = graph
            .objects(distribution, spdx::CHECKSUM)
            .into_iter()
            .filter_map(node_key)
            .map(|node| {
                let algorithm = graph
                    .iris(&node, spdx::ALGORITHM)
                    .first()
                    .cloned()
                    .unwrap_or_default();
                let value = graph
                    .texts(&node, spdx::CHECKSUM_VALUE)
                    .first()
                    .map(|v| v.trim().to_ascii_lowercase())
                    .unwrap_or_default();
                (algorithm, value)
            })
            .collect();
        let digests = file
            .as_ref()
            .filter(|f| f.complete)
            .and_then(|f| f.digests.clone());
        set(
            m::CHECKSUM,
            Value::Bool(
                !checksums.is_empty()
                    && digests.is_none_or(|[md5, sha1, sha256]| {
                        checksums.iter().any(|(algorithm, value)| {
                            let computed = match algorithm.rsplit('_').next() {
                                Some("md5") => &md5,
                                Some("sha1") => &sha1,
                                Some("sha256") => &sha256,
                                // An algorithm fedcat does not compute cannot be verified.
                                _ => return true,
                            };
                            computed == value
                        })
                    }),
            ),
        );
        // E23: the declared byte size within 1 % of the file's length (read whole) or of what
        // the server says it weighs.
        let declared: Option<u64> = graph
            .texts(distribution, dcat::BYTE_SIZE)
            .first()
            .and_then(|n| n.trim().parse().ok());
        let served_length = file
            .as_ref()
            .filter(|f| f.complete)
            .map(|f| f.bytes_read)
            .or_else(|| {
                download
                    .iter()
                    .filter_map(|u| links(u))
                    .find_map(|c| c.content_length.filter(|_| (200..300).contains(&c.status)))
            });
        set(
            m::BYTE_SIZE_CONSISTENT,
            match (declared, served_length) {
                (Some(declared), Some(length)) => {
                    Value::Bool(declared.abs_diff(length) * 100 <= length.max(1))
                }
                (None, _) => Value::Bool(false),
                (Some(_), None) => Value::NotMeasured,
            },
        );
        let rdf_format = declared_codes.iter().any(|c| RDF_FORMATS.contains(c))
            || file
                .as_ref()
                .and_then(|f| f.sniffed.as_deref())
                .is_some_and(|c| RDF_FORMATS.contains(&c));
        let linked = file.as_ref().and_then(|f| f.external_links) == Some(true);
        let level = super::score::stars(&values, rdf_format, linked);
        values.insert(m::OPEN_DATA_STARS.id, Value::Level(level));
        values.insert(m::AT_LEAST_FOUR_STARS.id, Value::Bool(level >= 4));
        per_distribution.push((distribution.clone(), values));
    }
    Measurements {
        dataset: dataset.to_owned(),
        dataset_values: values,
        distributions: per_distribution,
        recheck_on,
    }
}
