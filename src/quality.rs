//! Wiring metadata quality to the application: the facts the measurements need, read from the
//! vocabulary tables of `vocabularies_dir` (MQA's machine-readable and non-proprietary flags of
//! the EU file types, the media types of those file types, the EU licence table as the
//! "predefined collection" of known licences, and the open licences among them); the
//! assessment of every stored record of a source; a producer's indicators and their report.

use crate::AppConfig;
use fedcat_catalog::oxigraph::model::Triple;
use fedcat_catalog::oxigraph::model::vocab::rdf;
use fedcat_catalog::oxigraph::model::{NamedNode, NamedOrBlankNode, Term};
use fedcat_catalog::quality::measure::{
    FileFacts, LinkCheck, MeasureOptions, QualityFacts, ShaclOutcome, Value, measure,
};
use fedcat_catalog::quality::score::{Rating, ScoreTable, Scores, score};
use fedcat_catalog::shacl::{ShaclShapes, Violation};
use fedcat_catalog::{Catalog, IriMinter, RdfStore};
use fedcat_harvester::{Vocabularies, vocabulary::VocabularyKind};
use std::collections::HashMap;

/// Licence codes of the EU table that conform to the Open Definition: public-domain
/// dedications, attribution and share-alike licences for data, never NonCommercial or
/// NoDerivatives ones.
fn is_open_licence(code: &str) -> bool {
    let open_family = code == "CC0"
        || code == "CC_PDM_1_0"
        || code.starts_with("CC_BY_")
        || code == "CC_BY"
        || code.starts_with("CC_BYSA")
        || code.starts_with("ODC_")
        || code.starts_with("ETALAB_")
        || (code.starts_with("OGL_") && !code.starts_with("OGL_NC"));
    open_family && !code.contains("NC") && !code.contains("ND")
}

/// The facts of the shipped (or configured) vocabulary tables.
pub fn facts(vocabularies: &Vocabularies) -> QualityFacts {
    let mut facts = QualityFacts::default();
    for concept in vocabularies.concepts(VocabularyKind::Format) {
        let iri = concept.iri.as_str().to_owned();
        facts.file_types.insert(
            iri.clone(),
            (concept.machine_readable, concept.non_proprietary),
        );
        if let Some(media_type) = &concept.media_type {
            facts.media_types.insert(
                format!("http://www.iana.org/assignments/media-types/{media_type}"),
                iri,
            );
        }
    }
    for concept in vocabularies.concepts(VocabularyKind::Licence) {
        let iri = concept.iri.as_str().to_owned();
        if is_open_licence(&concept.code) {
            facts.open_licences.insert(iri.clone());
        }
        facts.known_licences.insert(iri);
    }
    facts
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn open_licences_exclude_non_commercial_and_no_derivatives() {
        for open in [
            "CC0",
            "CC_BY_4_0",
            "CC_BYSA_4_0",
            "ODC_BL",
            "ETALAB_2_0",
            "OGL_3_0",
        ] {
            assert!(is_open_licence(open), "{open}");
        }
        for closed in [
            "CC_BYNC_4_0",
            "CC_BYND_4_0",
            "CC_BYNCSA_4_0",
            "OGL_NC",
            "GPL_3_0",
        ] {
            assert!(!is_open_licence(closed), "{closed}");
        }
    }

    #[test]
    fn the_shipped_tables_give_mqa_flags_and_licences() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("config/vocabularies");
        let facts = facts(&Vocabularies::load(&dir).unwrap());
        let ft = |code: &str| {
            format!("http://publications.europa.eu/resource/authority/file-type/{code}")
        };
        assert_eq!(facts.file_types[&ft("CSV")], (true, true));
        assert_eq!(facts.file_types[&ft("PDF")], (false, false));
        assert_eq!(
            facts.media_types["http://www.iana.org/assignments/media-types/text/csv"],
            ft("CSV")
        );
        let etalab = "http://publications.europa.eu/resource/authority/licence/ETALAB_2_0";
        assert!(facts.known_licences.contains(etalab));
        assert!(facts.open_licences.contains(etalab));
    }
}

/// The three sets of DCAT-AP shapes a record is validated against, each when configured: the
/// core shapes (M13), the recommended properties (E13) and the controlled vocabularies (E14).
#[derive(Default)]
pub struct ShapeSets {
    /// Core shapes (`[shacl] shapes_dir`).
    pub core: Option<ShaclShapes>,
    /// Recommended-properties shapes (`[shacl] recommended_shapes`).
    pub recommended: Option<ShaclShapes>,
    /// Controlled-vocabulary shapes (`[shacl] vocabulary_shapes`).
    pub vocabularies: Option<ShaclShapes>,
    /// The EU authority concepts fedcat's vocabulary tables hold: the controlled-vocabulary
    /// shapes ask that a concept be `skos:inScheme` its table, which DCAT-AP's validators learn
    /// by importing the tables; fedcat states it from its own copies of them.
    concepts: std::collections::HashSet<String>,
}

const AUTHORITY: &str = "http://publications.europa.eu/resource/authority/";

impl ShapeSets {
    /// Loads the configured shapes.
    pub fn load(config: &AppConfig) -> Result<Self, String> {
        let load = |path: &Option<std::path::PathBuf>| -> Result<Option<ShaclShapes>, String> {
            path.as_deref()
                .map(ShaclShapes::load)
                .transpose()
                .map_err(|e| e.to_string())
        };
        let concepts = VocabularyKind::ALL
            .iter()
            .flat_map(|kind| config.vocabularies.concepts(*kind))
            .map(|c| c.iri.as_str().to_owned())
            .filter(|iri| iri.starts_with(AUTHORITY))
            .collect();
        Ok(Self {
            core: load(&config.shacl_shapes_dir)?,
            recommended: load(&config.shacl_recommended_shapes)?,
            vocabularies: load(&config.shacl_vocabulary_shapes)?,
            concepts,
        })
    }

    /// A record's triples with the table membership of the EU concepts it uses.
    fn with_schemes(&self, triples: &[Triple]) -> Vec<Triple> {
        let skos = |local: &str| {
            NamedNode::new_unchecked(format!("http://www.w3.org/2004/02/skos/core#{local}"))
        };
        let mut out = triples.to_vec();
        let mut seen = std::collections::HashSet::new();
        for triple in triples {
            let Term::NamedNode(concept) = &triple.object else {
                continue;
            };
            if !self.concepts.contains(concept.as_str()) || !seen.insert(concept.clone()) {
                continue;
            }
            let Some((scheme, _)) = concept.as_str().rsplit_once('/') else {
                continue;
            };
            let scheme = NamedNode::new_unchecked(scheme);
            out.push(Triple::new(
                concept.clone(),
                skos("inScheme"),
                scheme.clone(),
            ));
            out.push(Triple::new(scheme, rdf::TYPE, skos("ConceptScheme")));
        }
        out
    }
}

/// What an assessment needs besides the records.
#[derive(Clone, Copy)]
pub struct Assessor<'a> {
    /// Vocabulary facts.
    pub facts: &'a QualityFacts,
    /// DCAT-AP shapes, those configured.
    pub shapes: &'a ShapeSets,
    /// Points and bands.
    pub table: &'a ScoreTable,
    /// The last check of each URL.
    pub links: &'a HashMap<String, LinkCheck>,
    /// The day dates are judged against.
    pub today: chrono::NaiveDate,
    /// Judge URLs by their HEAD answer only (data.europa.eu's way).
    pub strict_head: bool,
}

/// One dataset's assessment.
#[derive(Debug, Clone)]
pub struct DatasetAssessment {
    /// Record key in its source.
    pub key: String,
    /// Dataset IRI.
    pub dataset: String,
    /// The publisher's name, when the record gives one.
    pub publisher: Option<String>,
    /// Both scores.
    pub scores: Scores,
    /// Five-star level (best distribution).
    pub stars: u8,
    /// Distributions.
    pub distributions: usize,
    /// Distributions with a machine-readable format (M12).
    pub machine_readable: usize,
    /// Distributions with a non-proprietary format (M11).
    pub non_proprietary: usize,
    /// Distributions under an open licence (E16).
    pub open_licence: usize,
    /// DCAT-AP conformance (no `sh:Violation`), when shapes are configured.
    pub conforms: Option<bool>,
    /// The paths of its SHACL violations.
    pub violation_paths: Vec<String>,
    /// The paths of its controlled-vocabulary violations (E14).
    pub vocabulary_violation_paths: Vec<String>,
    /// The measurements the scores come from.
    pub measurements: fedcat_catalog::quality::measure::Measurements,
    /// Every SHACL result about the record, per configured set of shapes (`core`,
    /// `recommended`, `vocabularies`).
    pub shacl: Vec<(&'static str, Vec<Violation>)>,
    /// Distributions with a checked URL.
    pub links_checked: usize,
    /// Distributions with a URL answering 2xx.
    pub links_working: usize,
    /// Per distribution with a checked URL, the share (%) of its recent checks answered 2xx.
    pub uptimes: Vec<u8>,
    /// Days between the dataset's `dct:modified` and the assessment.
    pub days_since_modified: Option<i64>,
}

/// Measures and scores every record of `source` as stored, with the last check of each URL
/// (`links`; an unchecked URL's metrics are reported as not measured).
pub fn assess_source(
    store: &RdfStore,
    iris: &IriMinter,
    source: &str,
    assessor: &Assessor<'_>,
) -> Result<Vec<DatasetAssessment>, String> {
    let Assessor {
        facts,
        shapes,
        table,
        links,
        today,
        strict_head,
    } = *assessor;
    let records = crate::report::source_records(store, iris, source)?;
    type Results = HashMap<String, Vec<Violation>>;
    let validate = |set: &Option<ShaclShapes>, augment: bool| -> Result<Option<Results>, String> {
        let Some(set) = set else {
            return Ok(None);
        };
        let inputs = records.iter().map(|(key, triples)| {
            let triples = if augment {
                shapes.with_schemes(triples)
            } else {
                triples.clone()
            };
            (key.clone(), triples)
        });
        Ok(Some(
            set.validate_records(inputs)
                .map_err(|e| e.to_string())?
                .into_iter()
                .map(|r| (r.key, r.violations))
                .collect(),
        ))
    };
    let conformance = validate(&shapes.core, false)?;
    let recommended = validate(&shapes.recommended, false)?;
    let vocabularies = validate(&shapes.vocabularies, true)?;
    let results_of = |results: &Option<Results>, key: &str| {
        results
            .as_ref()
            .map(|r| r.get(key).cloned().unwrap_or_default())
    };
    let without = |results: &Option<Vec<Violation>>, severities: &[&str]| {
        results
            .as_ref()
            .map(|r| !r.iter().any(|v| severities.contains(&v.severity.as_str())))
    };
    let dataset_type = Term::NamedNode(NamedNode::new_unchecked(
        "http://www.w3.org/ns/dcat#Dataset",
    ));
    let mut out = Vec::new();
    for (key, triples) in &records {
        let Some(dataset) = triples
            .iter()
            .find(|t| t.predicate == rdf::TYPE && t.object == dataset_type)
            .and_then(|t| match &t.subject {
                NamedOrBlankNode::NamedNode(n) => Some(n.as_str().to_owned()),
                NamedOrBlankNode::BlankNode(_) => None,
            })
        else {
            continue;
        };
        let core_results = results_of(&conformance, key);
        let recommended_results = results_of(&recommended, key);
        let vocabulary_results = results_of(&vocabularies, key);
        let paths = |results: &Option<Vec<Violation>>| -> Vec<String> {
            results
                .iter()
                .flatten()
                .filter(|v| v.severity == "Violation")
                .map(|v| v.path.clone().unwrap_or_else(|| "(no path)".into()))
                .collect()
        };
        let violation_paths = paths(&core_results);
        let vocabulary_violation_paths = paths(&vocabulary_results);
        let conforms = without(&core_results, &["Violation"]);
        let outcome = ShaclOutcome {
            core: conforms,
            // Every recommended-property shape is a warning: any result counts.
            recommended: without(&recommended_results, &["Violation", "Warning", "Info"]),
            vocabularies: without(&vocabulary_results, &["Violation"]),
        };
        let measurements = measure(
            triples,
            &dataset,
            facts,
            outcome,
            &|url| links.get(url).cloned(),
            MeasureOptions { strict_head },
            today,
        );
        let scores = score(&measurements, table);
        let yes = |values: &std::collections::BTreeMap<&str, Value>, id: &str| {
            values.get(id) == Some(&Value::Bool(true))
        };
        let count = |id: &str| {
            measurements
                .distributions
                .iter()
                .filter(|(_, v)| yes(v, id))
                .count()
        };
        let status_of = |values: &std::collections::BTreeMap<&str, Value>| {
            ["M5", "M7"]
                .iter()
                .filter_map(|id| match values.get(id) {
                    Some(Value::Status(code)) => Some(*code),
                    _ => None,
                })
                .collect::<Vec<u16>>()
        };
        let links_checked = measurements
            .distributions
            .iter()
            .filter(|(_, v)| !status_of(v).is_empty())
            .count();
        let links_working = measurements
            .distributions
            .iter()
            .filter(|(_, v)| status_of(v).iter().any(|s| (200..300).contains(s)))
            .count();
        // Each distribution's best availability over its access and download URLs.
        let mut uptime_by_distribution: HashMap<String, u8> = HashMap::new();
        for triple in triples {
            if !matches!(
                triple.predicate.as_str(),
                "http://www.w3.org/ns/dcat#accessURL" | "http://www.w3.org/ns/dcat#downloadURL"
            ) {
                continue;
            }
            let url = match &triple.object {
                Term::NamedNode(n) => n.as_str(),
                Term::Literal(l) => l.value(),
                _ => continue,
            };
            if let Some(share) = links.get(url).and_then(|c| c.availability) {
                let best = uptime_by_distribution
                    .entry(triple.subject.to_string())
                    .or_default();
                *best = (*best).max(share);
            }
        }
        let days_since_modified = triples
            .iter()
            .find(|t| {
                t.predicate.as_str() == "http://purl.org/dc/terms/modified"
                    && matches!(&t.subject, NamedOrBlankNode::NamedNode(n) if n.as_str() == dataset)
            })
            .and_then(|t| match &t.object {
                Term::Literal(l) => l
                    .value()
                    .get(..10)
                    .and_then(|d| chrono::NaiveDate::parse_from_str(d, "%Y-%m-%d").ok()),
                _ => None,
            })
            .map(|modified| (today - modified).num_days());
        let publisher = triples
            .iter()
            .find(|t| {
                t.predicate.as_str() == "http://purl.org/dc/terms/publisher"
                    && matches!(&t.subject, NamedOrBlankNode::NamedNode(n) if n.as_str() == dataset)
            })
            .and_then(|t| match &t.object {
                Term::Literal(l) => Some(l.value().to_owned()),
                agent => triples.iter().find_map(|n| {
                    let same = match (&n.subject, agent) {
                        (NamedOrBlankNode::NamedNode(a), Term::NamedNode(b)) => a == b,
                        (NamedOrBlankNode::BlankNode(a), Term::BlankNode(b)) => a == b,
                        _ => false,
                    };
                    match &n.object {
                        Term::Literal(l)
                            if same && n.predicate.as_str() == "http://xmlns.com/foaf/0.1/name" =>
                        {
                            Some(l.value().to_owned())
                        }
                        _ => None,
                    }
                }),
            });
        out.push(DatasetAssessment {
            publisher,
            measurements: measurements.clone(),
            shacl: [
                ("core", core_results),
                ("recommended", recommended_results),
                ("vocabularies", vocabulary_results),
            ]
            .into_iter()
            .filter_map(|(set, results)| results.map(|r| (set, r)))
            .collect(),
            links_checked,
            links_working,
            uptimes: uptime_by_distribution.into_values().collect(),
            days_since_modified,
            key: key.clone(),
            dataset,
            // E27 per distribution; the dataset's level is its best distribution's.
            stars: measurements
                .distributions
                .iter()
                .filter_map(|(_, values)| match values.get("E27") {
                    Some(Value::Level(level)) => Some(*level),
                    _ => None,
                })
                .max()
                .unwrap_or(0),
            distributions: measurements.distributions.len(),
            machine_readable: count("M12"),
            non_proprietary: count("M11"),
            open_licence: count("E16"),
            conforms,
            violation_paths,
            vocabulary_violation_paths,
            scores,
        });
    }
    Ok(out)
}

/// A producer's indicators, from its datasets' assessments.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Indicators {
    /// Datasets assessed.
    pub datasets: usize,
    /// Distributions.
    pub distributions: usize,
    /// Mean and median MQA score.
    pub mqa_mean: f64,
    /// Median MQA score.
    pub mqa_median: f64,
    /// Mean extended score.
    pub ext_mean: f64,
    /// Median extended score.
    pub ext_median: f64,
    /// Datasets per MQA rating: excellent, good, sufficient, bad.
    pub bands: [usize; 4],
    /// Shares of distributions: open licence, machine-readable, non-proprietary.
    pub open_licence_share: f64,
    /// Machine-readable share.
    pub machine_readable_share: f64,
    /// Non-proprietary share.
    pub non_proprietary_share: f64,
    /// Share of datasets conforming to DCAT-AP, when shapes are configured.
    pub conformance_share: Option<f64>,
    /// Share of checked distributions with a URL answering 2xx; none checked yet: `None`.
    pub working_links_share: Option<f64>,
    /// Share of datasets updated within their declared frequency (E18), among those whose
    /// frequency promises a period.
    pub freshness_share: Option<f64>,
    /// Datasets per five-star level 0–5.
    pub stars: [usize; 6],
    /// Most frequent SHACL violation paths (datasets having each).
    pub top_violations: Vec<(String, usize)>,
    /// Most frequent controlled-vocabulary violation paths (datasets having each).
    pub top_vocabulary_violations: Vec<(String, usize)>,
    /// Share of distributions available in at least 95 % of their recent checks (E6), among
    /// those checked.
    pub available_share: Option<f64>,
    /// Mean share of recent checks answered 2xx, over the distributions checked.
    pub mean_uptime: Option<f64>,
    /// Median days since `dct:modified`, over the datasets that give it.
    pub median_days_since_modified: Option<f64>,
    /// Status codes of the access and download URLs (MQA's M5, M7; 1100 connection error,
    /// 1200 refused target, 1300 invalid URL): metric → code → distributions.
    pub status_codes:
        std::collections::BTreeMap<&'static str, std::collections::BTreeMap<u16, usize>>,
    /// For each boolean metric, the share of datasets (dataset metrics) or distributions
    /// (distribution metrics) where it was true, among those where it was measured.
    pub metric_shares: std::collections::BTreeMap<&'static str, f64>,
    /// Metrics not measured for at least one dataset.
    pub not_measured: Vec<&'static str>,
}

fn median(values: &mut [i32]) -> f64 {
    if values.is_empty() {
        return 0.0;
    }
    values.sort_unstable();
    let mid = values.len() / 2;
    if values.len().is_multiple_of(2) {
        f64::from(values[mid - 1] + values[mid]) / 2.0
    } else {
        f64::from(values[mid])
    }
}

/// The ten paths most datasets violate, with the number of datasets violating each.
fn top_paths<'a>(per_dataset: impl Iterator<Item = &'a Vec<String>>) -> Vec<(String, usize)> {
    let mut counts: HashMap<&str, usize> = HashMap::new();
    for paths in per_dataset {
        let distinct: std::collections::BTreeSet<&str> = paths.iter().map(String::as_str).collect();
        for path in distinct {
            *counts.entry(path).or_default() += 1;
        }
    }
    let mut top: Vec<(String, usize)> =
        counts.into_iter().map(|(p, n)| (p.to_owned(), n)).collect();
    top.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    top.truncate(10);
    top
}

/// The indicators of one producer.
pub fn indicators(assessments: &[DatasetAssessment]) -> Indicators {
    let share = |part: usize, whole: usize| part as f64 / whole.max(1) as f64;
    let mut mqa: Vec<i32> = assessments.iter().map(|a| a.scores.mqa.total).collect();
    let mut ext: Vec<i32> = assessments.iter().map(|a| a.scores.ext.total).collect();
    let mean = |v: &[i32]| v.iter().map(|x| f64::from(*x)).sum::<f64>() / v.len().max(1) as f64;
    let distributions: usize = assessments.iter().map(|a| a.distributions).sum();
    let mut bands = [0; 4];
    let mut stars_histogram = [0; 6];
    let mut not_measured: Vec<&'static str> = Vec::new();
    for a in assessments {
        let band = match a.scores.mqa.rating {
            Rating::Excellent => 0,
            Rating::Good => 1,
            Rating::Sufficient => 2,
            Rating::Bad => 3,
        };
        bands[band] += 1;
        stars_histogram[usize::from(a.stars.min(5))] += 1;
        not_measured.extend(a.scores.not_measured.iter().copied());
    }
    not_measured.sort_unstable();
    not_measured.dedup();
    let top_violations = top_paths(assessments.iter().map(|a| &a.violation_paths));
    let top_vocabulary_violations =
        top_paths(assessments.iter().map(|a| &a.vocabulary_violation_paths));
    let conformance_share = assessments.first().and_then(|a| a.conforms).map(|_| {
        share(
            assessments
                .iter()
                .filter(|a| a.conforms == Some(true))
                .count(),
            assessments.len(),
        )
    });
    let links_checked: usize = assessments.iter().map(|a| a.links_checked).sum();
    let links_working: usize = assessments.iter().map(|a| a.links_working).sum();
    let fresh: Vec<bool> = assessments
        .iter()
        .filter_map(|a| match a.measurements.dataset_values.get("E18") {
            Some(Value::Bool(b)) => Some(*b),
            _ => None,
        })
        .collect();
    let mut status_codes: std::collections::BTreeMap<
        &'static str,
        std::collections::BTreeMap<u16, usize>,
    > = std::collections::BTreeMap::new();
    let mut tallies: std::collections::BTreeMap<&'static str, (usize, usize)> =
        std::collections::BTreeMap::new();
    let mut tally = |values: &std::collections::BTreeMap<&'static str, Value>| {
        for (id, value) in values {
            if let Value::Bool(b) = value {
                let entry = tallies.entry(id).or_default();
                entry.0 += usize::from(*b);
                entry.1 += 1;
            }
        }
    };
    for a in assessments {
        tally(&a.measurements.dataset_values);
        for (_, values) in &a.measurements.distributions {
            tally(values);
            for (id, name) in [("M5", "access_url"), ("M7", "download_url")] {
                if let Some(Value::Status(code)) = values.get(id) {
                    *status_codes
                        .entry(name)
                        .or_default()
                        .entry(*code)
                        .or_default() += 1;
                }
            }
        }
    }
    let metric_shares = tallies
        .into_iter()
        .map(|(id, (yes, all))| (id, share(yes, all)))
        .collect();
    let uptimes: Vec<u8> = assessments
        .iter()
        .flat_map(|a| a.uptimes.iter().copied())
        .collect();
    let mut days: Vec<i32> = assessments
        .iter()
        .filter_map(|a| a.days_since_modified)
        .map(|d| d.clamp(i64::from(i32::MIN), i64::from(i32::MAX)) as i32)
        .collect();
    Indicators {
        available_share: (!uptimes.is_empty())
            .then(|| share(uptimes.iter().filter(|u| **u >= 95).count(), uptimes.len())),
        mean_uptime: (!uptimes.is_empty()).then(|| {
            uptimes.iter().map(|u| f64::from(*u)).sum::<f64>() / 100.0 / uptimes.len() as f64
        }),
        median_days_since_modified: (!days.is_empty()).then(|| median(&mut days)),
        status_codes,
        metric_shares,
        freshness_share: (!fresh.is_empty())
            .then(|| share(fresh.iter().filter(|b| **b).count(), fresh.len())),
        working_links_share: (links_checked > 0).then(|| share(links_working, links_checked)),
        datasets: assessments.len(),
        distributions,
        mqa_mean: mean(&mqa),
        mqa_median: median(&mut mqa),
        ext_mean: mean(&ext),
        ext_median: median(&mut ext),
        bands,
        open_licence_share: share(
            assessments.iter().map(|a| a.open_licence).sum(),
            distributions,
        ),
        machine_readable_share: share(
            assessments.iter().map(|a| a.machine_readable).sum(),
            distributions,
        ),
        non_proprietary_share: share(
            assessments.iter().map(|a| a.non_proprietary).sum(),
            distributions,
        ),
        conformance_share,
        stars: stars_histogram,
        top_violations,
        top_vocabulary_violations,
        not_measured,
    }
}

/// `fedcat report quality` for one producer.
pub fn render(source: &str, indicators: &Indicators) -> String {
    let pct = |share: f64| format!("{:.0} %", share * 100.0);
    let mut out = format!(
        "== {source}: {} datasets, {} distributions\n\
         MQA score (0–405)       mean {:.1}  median {:.1}\n\
         extended score          mean {:.1}  median {:.1}\n\
         MQA rating              excellent {}  good {}  sufficient {}  bad {}\n\
         distributions           open licence {}  machine-readable {}  non-proprietary {}\n\
         DCAT-AP conformance     {}\n\
         working links           {}\n\
         updated in time         {}\n\
         days since modified     median {}\n\
         availability (≥ 95 %)   {}  mean uptime {}\n\
         five stars (datasets)   0★ {}  1★ {}  2★ {}  3★ {}  4★ {}  5★ {}\n",
        indicators.datasets,
        indicators.distributions,
        indicators.mqa_mean,
        indicators.mqa_median,
        indicators.ext_mean,
        indicators.ext_median,
        indicators.bands[0],
        indicators.bands[1],
        indicators.bands[2],
        indicators.bands[3],
        pct(indicators.open_licence_share),
        pct(indicators.machine_readable_share),
        pct(indicators.non_proprietary_share),
        indicators
            .conformance_share
            .map_or("not measured (no [shacl] shapes_dir)".to_owned(), pct),
        indicators
            .working_links_share
            .map_or("not checked yet (fedcat check-links)".to_owned(), pct),
        indicators
            .freshness_share
            .map_or("no dataset declares a regular frequency".to_owned(), pct),
        indicators
            .median_days_since_modified
            .map_or("no dataset gives dct:modified".to_owned(), |d| format!(
                "{d:.0}"
            )),
        indicators
            .available_share
            .map_or("not checked yet".to_owned(), pct),
        indicators.mean_uptime.map_or("–".to_owned(), pct),
        indicators.stars[0],
        indicators.stars[1],
        indicators.stars[2],
        indicators.stars[3],
        indicators.stars[4],
        indicators.stars[5],
    );
    for (name, codes) in &indicators.status_codes {
        let codes: Vec<String> = codes.iter().map(|(c, n)| format!("{c} ×{n}")).collect();
        out.push_str(&format!("{name:<24}{}\n", codes.join(", ")));
    }
    let shares: Vec<String> = fedcat_catalog::quality::metrics::ALL
        .iter()
        .filter_map(|m| {
            let share = indicators.metric_shares.get(m.id)?;
            Some(format!("{} {}", m.id, pct(*share)))
        })
        .collect();
    if !shares.is_empty() {
        out.push_str(&format!("metrics true            {}\n", shares.join(", ")));
    }
    for (path, count) in &indicators.top_violations {
        out.push_str(&format!("  violation {path}  ({count} datasets)\n"));
    }
    for (path, count) in &indicators.top_vocabulary_violations {
        out.push_str(&format!(
            "  vocabulary violation {path}  ({count} datasets)\n"
        ));
    }
    if !indicators.not_measured.is_empty() {
        out.push_str(&format!(
            "not measured (0 points): {}\n",
            indicators.not_measured.join(", ")
        ));
    }
    out
}

/// How many recent checks of a URL its availability (E6) is computed over.
pub const AVAILABILITY_CHECKS: u32 = 8;

/// The last check of every URL, with its availability over its recent checks.
pub async fn link_checks(catalog: &Catalog) -> Result<HashMap<String, LinkCheck>, String> {
    let history = catalog
        .state()
        .link_history(AVAILABILITY_CHECKS)
        .await
        .map_err(|e| e.to_string())?;
    let mut samples = catalog
        .state()
        .file_samples()
        .await
        .map_err(|e| e.to_string())?;
    Ok(history
        .into_iter()
        .filter_map(|(url, checks)| {
            let (_, head_status, status, content_type, content_length) = checks.first()?.clone();
            let ok = checks
                .iter()
                .filter(|(_, _, s, _, _)| (200..300).contains(s))
                .count();
            let file = samples.remove(&url).map(|(_, facts)| facts);
            Some((
                url,
                LinkCheck {
                    head_status,
                    status,
                    availability: Some((100 * ok / checks.len()) as u8),
                    content_type,
                    content_length,
                    file,
                },
            ))
        })
        .collect())
}

/// Assesses `source` now and keeps its indicators in the time series.
pub async fn snapshot_source(
    config: &AppConfig,
    catalog: &Catalog,
    source: &str,
) -> Result<Indicators, String> {
    let links = link_checks(catalog).await?;
    let shapes = ShapeSets::load(config)?;
    let facts = facts(&config.vocabularies);
    let table = config.score_table.clone();
    let strict_head = config.strict_head;
    let store = catalog.store().clone();
    let iris = catalog.iris().clone();
    let source_id = source.to_owned();
    let now = chrono::Utc::now();
    let today = now.date_naive();
    let taken_at = now.to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    let stamp = taken_at.clone();
    let (indicators, by_publisher, graphs) = tokio::task::spawn_blocking(move || {
        let assessor = Assessor {
            facts: &facts,
            shapes: &shapes,
            table: &table,
            links: &links,
            today,
            strict_head,
        };
        let assessments = assess_source(&store, &iris, &source_id, &assessor)?;
        // Each record's assessment replaces its previous one; the metric definitions and the
        // score table in force go beside them.
        let mut graphs: Vec<_> = assessments
            .iter()
            .map(|a| {
                let graph = iris.quality_graph(&source_id, &a.key);
                let quads = fedcat_catalog::quality::dqv::assessment_quads(
                    &graph,
                    &a.measurements,
                    &a.scores,
                    &stamp,
                    &a.shacl
                        .iter()
                        .map(|(set, results)| (*set, results.as_slice()))
                        .collect::<Vec<_>>(),
                );
                (graph, quads)
            })
            .collect();
        let metrics = iris.quality_metrics_graph();
        let definitions = fedcat_catalog::quality::dqv::metric_definition_quads(&metrics, &table);
        graphs.push((metrics, definitions));
        // A source such as data.gouv.fr carries many producers: each gets its own series.
        let mut publishers: std::collections::BTreeMap<String, Vec<DatasetAssessment>> =
            std::collections::BTreeMap::new();
        for assessment in &assessments {
            if let Some(publisher) = &assessment.publisher {
                publishers
                    .entry(publisher.clone())
                    .or_default()
                    .push(assessment.clone());
            }
        }
        let by_publisher: Vec<(String, Indicators)> = publishers
            .into_iter()
            .map(|(publisher, list)| (publisher, indicators(&list)))
            .collect();
        Ok::<_, String>((indicators(&assessments), by_publisher, graphs))
    })
    .await
    .map_err(|e| e.to_string())??;
    catalog
        .replace_derived_graphs(graphs)
        .await
        .map_err(|e| e.to_string())?;
    let json = serde_json::to_string(&indicators).map_err(|e| e.to_string())?;
    catalog
        .state()
        .save_indicators(source, None, &taken_at, &json)
        .await
        .map_err(|e| e.to_string())?;
    for (publisher, publisher_indicators) in &by_publisher {
        let json = serde_json::to_string(publisher_indicators).map_err(|e| e.to_string())?;
        catalog
            .state()
            .save_indicators(source, Some(publisher), &taken_at, &json)
            .await
            .map_err(|e| e.to_string())?;
    }
    Ok(indicators)
}

/// One line on a producer's indicators, for `fedcat harvest` and the logs.
pub fn summary_line(source: &str, indicators: &Indicators) -> String {
    format!(
        "quality: {source}: {} datasets, MQA mean {:.1} (excellent {}, good {}, sufficient {}, bad {}), extended mean {:.1}",
        indicators.datasets,
        indicators.mqa_mean,
        indicators.bands[0],
        indicators.bands[1],
        indicators.bands[2],
        indicators.bands[3],
        indicators.ext_mean
    )
}

/// What one link-check run did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct LinkRun {
    /// URLs checked.
    pub checked: usize,
    /// Of those, answering 2xx.
    pub ok: usize,
    /// URLs checked recently, left alone.
    pub skipped: usize,
    /// Files downloaded (within the byte budget) for their format, syntax and digests.
    pub downloaded: usize,
}

/// The URLs of a source's records: every access, download and landing-page URL, and the file
/// URLs among them (a distribution's download URLs, or its access URLs when it has none).
fn source_urls(
    catalog: &Catalog,
    source: &str,
) -> Result<
    (
        std::collections::BTreeSet<String>,
        std::collections::BTreeSet<String>,
    ),
    String,
> {
    const ACCESS: &str = "http://www.w3.org/ns/dcat#accessURL";
    const DOWNLOAD: &str = "http://www.w3.org/ns/dcat#downloadURL";
    const LANDING: &str = "http://www.w3.org/ns/dcat#landingPage";
    let records = crate::report::source_records(catalog.store(), catalog.iris(), source)?;
    let mut all = std::collections::BTreeSet::new();
    let mut files = std::collections::BTreeSet::new();
    for (_, triples) in records {
        let mut by_subject: HashMap<String, (Vec<String>, Vec<String>)> = HashMap::new();
        for triple in triples {
            let predicate = triple.predicate.as_str();
            if !matches!(predicate, ACCESS | DOWNLOAD | LANDING) {
                continue;
            }
            let url = match triple.object {
                Term::NamedNode(n) => n.into_string(),
                Term::Literal(l) => l.value().to_owned(),
                _ => continue,
            };
            all.insert(url.clone());
            let entry = by_subject.entry(triple.subject.to_string()).or_default();
            match predicate {
                ACCESS => entry.0.push(url),
                DOWNLOAD => entry.1.push(url),
                _ => {}
            }
        }
        for (access, download) in by_subject.into_values() {
            files.extend(if download.is_empty() {
                access
            } else {
                download
            });
        }
    }
    Ok((all, files))
}

/// Checks the access, download and landing-page URLs of `source`'s records not checked within
/// `recheck_after`, and records the results; with a byte budget, also downloads the files among
/// them that answered (their first bytes: format, syntax, digests). Keeps the last
/// [`AVAILABILITY_CHECKS`] checks of each URL.
pub async fn check_source_links(
    catalog: &Catalog,
    checker: &fedcat_harvester::linkcheck::LinkChecker,
    source: &str,
    recheck_after: chrono::Duration,
    download_budget: Option<u64>,
    progress: &(dyn Fn(&str) + Sync),
) -> Result<LinkRun, String> {
    let (urls, files) = tokio::task::spawn_blocking({
        let catalog = catalog.clone();
        let source = source.to_owned();
        move || source_urls(&catalog, &source)
    })
    .await
    .map_err(|e| e.to_string())??;
    let history = catalog
        .state()
        .link_history(1)
        .await
        .map_err(|e| e.to_string())?;
    let cutoff =
        (chrono::Utc::now() - recheck_after).to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    let due: Vec<String> = urls
        .iter()
        .filter(|u| {
            history
                .get(*u)
                .and_then(|c| c.first())
                .is_none_or(|(at, ..)| *at < cutoff)
        })
        .cloned()
        .collect();
    let mut run = LinkRun {
        skipped: urls.len() - due.len(),
        ..LinkRun::default()
    };
    progress(&format!(
        "{source}: {} URL(s) to check, {} checked recently",
        due.len(),
        run.skipped
    ));
    use futures_util::StreamExt;
    let total = due.len();
    let mut results = futures_util::stream::iter(due)
        .map(|url| async move { checker.check(&url).await })
        .buffer_unordered(16);
    let mut answering_files = Vec::new();
    while let Some(result) = results.next().await {
        run.checked += 1;
        if (200..300).contains(&result.status) {
            run.ok += 1;
            if files.contains(&result.url) {
                answering_files.push(result.url.clone());
            }
        }
        let redirects = serde_json::to_string(&result.redirects).unwrap_or_default();
        catalog
            .state()
            .record_link_check(
                &result.url,
                &now_text(),
                result.head_status,
                result.status,
                &redirects,
                result.content_type.as_deref(),
                result.content_length,
                result.error.as_deref(),
            )
            .await
            .map_err(|e| e.to_string())?;
        if run.checked.is_multiple_of(100) {
            progress(&format!(
                "{source}: {} of {total} URL(s) checked",
                run.checked
            ));
        }
    }
    drop(results);
    if let Some(budget) = download_budget {
        progress(&format!(
            "{source}: downloading {} file(s), at most {budget} bytes each",
            answering_files.len()
        ));
        let mut downloads = futures_util::stream::iter(answering_files)
            .map(|url| async move { checker.download(&url, budget).await })
            .buffer_unordered(4);
        while let Some(result) = downloads.next().await {
            let facts = result.sample.as_ref().map(|sample| FileFacts {
                bytes_read: sample.bytes_read,
                complete: sample.complete,
                sniffed: sample.sniffed.map(str::to_owned),
                syntax_valid: sample.syntax_valid,
                external_links: sample.external_links,
                digests: sample.digests.clone(),
            });
            let error = result
                .error
                .clone()
                .or_else(|| result.sample.as_ref().and_then(|s| s.syntax_error.clone()));
            catalog
                .state()
                .record_file_sample(
                    &result.url,
                    &now_text(),
                    result.status,
                    facts.as_ref(),
                    error.as_deref(),
                )
                .await
                .map_err(|e| e.to_string())?;
            if facts.is_some() {
                run.downloaded += 1;
            }
        }
    }
    catalog
        .state()
        .prune_link_checks(AVAILABILITY_CHECKS)
        .await
        .map_err(|e| e.to_string())?;
    Ok(run)
}

fn now_text() -> String {
    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}
