//! Measuring and scoring every stored record of a source, with the SHACL shape sets in force
//! (DCAT-AP 3.0.1's, built in, unless `[shacl]` overrides them or turns them off).

use super::*;
use crate::DomainError;

/// The three sets of DCAT-AP shapes a record is validated against: the core shapes (M13), the
/// recommended properties (E13) and the controlled vocabularies (E14). Each is the built-in
/// DCAT-AP 3.0.1 set unless `[shacl]` names another; `None` only with `[shacl] enabled = false`
/// (the metric is then not measured).
#[derive(Default)]
pub struct ShapeSets {
    /// Core shapes (`[shacl] shapes_dir`).
    pub core: Option<ShaclShapes>,
    /// Recommended-properties shapes (`[shacl] recommended_shapes`).
    pub recommended: Option<ShaclShapes>,
    /// Controlled-vocabulary shapes (`[shacl] vocabulary_shapes`).
    pub vocabularies: Option<ShaclShapes>,
    /// The EU authority concepts fedcat's vocabulary tables hold (the built-in tables, or those
    /// of `vocabularies_dir`): the controlled-vocabulary shapes ask that a concept be
    /// `skos:inScheme` its table, which DCAT-AP's validators learn by importing the tables;
    /// fedcat states it from its own copies of them.
    concepts: std::collections::HashSet<String>,
}

const AUTHORITY: &str = "http://publications.europa.eu/resource/authority/";

impl ShapeSets {
    /// Parses the shapes in force (the built-in sets from the binary, overrides from disk).
    pub fn load(config: &DomainConfig) -> Result<Self, DomainError> {
        let load = |source: &crate::ShapesSource| source.load();
        let concepts = VocabularyKind::ALL
            .iter()
            .flat_map(|kind| config.vocabularies.concepts(*kind))
            .map(|c| c.iri.as_str().to_owned())
            .filter(|iri| iri.starts_with(AUTHORITY))
            .collect();
        Ok(Self {
            core: load(&config.shacl.core)?,
            recommended: load(&config.shacl.recommended)?,
            vocabularies: load(&config.shacl.vocabularies)?,
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
    /// DCAT-AP shapes, those in force.
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
    /// DCAT-AP conformance (no `sh:Violation`); `None` when validation is off.
    pub conforms: Option<bool>,
    /// The paths of its SHACL violations.
    pub violation_paths: Vec<String>,
    /// The paths of its controlled-vocabulary violations (E14).
    pub vocabulary_violation_paths: Vec<String>,
    /// The measurements the scores come from.
    pub measurements: fedcat_catalog::quality::measure::Measurements,
    /// Every SHACL result about the record, per set of shapes in force (`core`,
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

/// How many records are read, validated and measured together: what one batch holds (the
/// records' triples, their SHACL results and measurements) is a few megabytes whatever the
/// size of the source.
pub const ASSESSMENT_BATCH: usize = 500;

/// Measures and scores every record of `source` as stored (see [`assess_records`]), collected
/// in one list: for reports and tests on small sources. The quality snapshot goes through
/// [`assess_source_in_batches`].
pub fn assess_source(
    store: &dyn GraphStore,
    iris: &IriMinter,
    source: &str,
    assessor: &Assessor<'_>,
) -> Result<Vec<DatasetAssessment>, DomainError> {
    let mut all = Vec::new();
    assess_source_in_batches(store, iris, source, assessor, &mut |batch| {
        all.extend(batch);
        Ok(())
    })?;
    Ok(all)
}

/// Measures and scores every record of `source`, [`ASSESSMENT_BATCH`] records at a time in
/// key order, handing each batch's assessments to `on_batch`: memory stays that of one batch.
pub fn assess_source_in_batches(
    store: &dyn GraphStore,
    iris: &IriMinter,
    source: &str,
    assessor: &Assessor<'_>,
    on_batch: &mut dyn FnMut(Vec<DatasetAssessment>) -> Result<(), DomainError>,
) -> Result<(), DomainError> {
    let graphs = crate::report::source_record_graphs(store, iris, source)?;
    for chunk in graphs.chunks(ASSESSMENT_BATCH) {
        let records = chunk
            .iter()
            .map(|(key, graph)| Ok((key.clone(), store.graph_triples(graph.as_ref())?)))
            .collect::<Result<Vec<_>, DomainError>>()?;
        on_batch(assess_records(&records, assessor)?)?;
    }
    Ok(())
}

/// Measures and scores records (key, triples), with the last check of each URL (`links`; an
/// unchecked URL's metrics are reported as not measured).
#[expect(
    clippy::too_many_lines,
    reason = "the assessment of records in its sequence: SHACL with three shape sets, measures, scores, with the facts shared by all records"
)]
pub fn assess_records(
    records: &[(String, Vec<Triple>)],
    assessor: &Assessor<'_>,
) -> Result<Vec<DatasetAssessment>, DomainError> {
    let Assessor {
        facts,
        shapes,
        table,
        links,
        today,
        strict_head,
    } = *assessor;
    type Results = HashMap<String, Vec<Violation>>;
    let validate =
        |set: &Option<ShaclShapes>, augment: bool| -> Result<Option<Results>, DomainError> {
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
                set.validate_records(inputs)?
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
    for (key, triples) in records {
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
