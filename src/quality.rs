//! Wiring metadata quality to the application: the facts the measurements need, read from the
//! vocabulary tables of `vocabularies_dir` (MQA's machine-readable and non-proprietary flags of
//! the EU file types, the media types of those file types, the EU licence table as the
//! "predefined collection" of known licences, and the open licences among them); the
//! assessment of every stored record of a source; a producer's indicators and their report.

use crate::AppConfig;
use fedcat_catalog::oxigraph::model::vocab::rdf;
use fedcat_catalog::oxigraph::model::{NamedNode, NamedOrBlankNode, Term};
use fedcat_catalog::quality::measure::{LinkCheck, MeasureOptions, QualityFacts, Value, measure};
use fedcat_catalog::quality::score::{Rating, ScoreTable, Scores, score, stars};
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

/// What an assessment needs besides the records.
#[derive(Clone, Copy)]
pub struct Assessor<'a> {
    /// Vocabulary facts.
    pub facts: &'a QualityFacts,
    /// DCAT-AP shapes, when configured.
    pub shapes: Option<&'a ShaclShapes>,
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
    /// The measurements the scores come from.
    pub measurements: fedcat_catalog::quality::measure::Measurements,
    /// Every SHACL result about the record, when shapes are configured.
    pub shacl: Option<Vec<Violation>>,
    /// Distributions with a checked URL.
    pub links_checked: usize,
    /// Distributions with a URL answering 2xx.
    pub links_working: usize,
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
    let conformance: HashMap<String, Vec<Violation>> = match shapes {
        Some(shapes) => shapes
            .validate_records(records.clone())
            .map_err(|e| e.to_string())?
            .into_iter()
            .map(|r| (r.key, r.violations))
            .collect(),
        None => HashMap::new(),
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
        let violations = conformance.get(key);
        let violation_paths: Vec<String> = violations
            .into_iter()
            .flatten()
            .filter(|v| v.severity == "Violation")
            .map(|v| v.path.clone().unwrap_or_else(|| "(no path)".into()))
            .collect();
        let conforms = shapes.map(|_| violation_paths.is_empty());
        let measurements = measure(
            triples,
            &dataset,
            facts,
            conforms,
            &|url| links.get(url).cloned(),
            MeasureOptions { strict_head },
            today,
        );
        let scores = score(&measurements, table);
        let yes = |values: &std::collections::BTreeMap<&str, Value>, id: &str| {
            values.get(id) == Some(&Value::Bool(true))
        };
        let rdf_formats = [
            "RDF_XML",
            "RDF_TURTLE",
            "JSON_LD",
            "RDF_N_TRIPLES",
            "RDF_N_QUADS",
        ];
        let count = |id: &str| {
            measurements
                .distributions
                .iter()
                .filter(|(_, v)| yes(v, id))
                .count()
        };
        let stars_of = |name: &str, values| {
            let rdf = triples.iter().any(|t| {
                matches!(&t.subject, NamedOrBlankNode::NamedNode(n) if n.as_str() == name)
                    && t.predicate.as_str() == "http://purl.org/dc/terms/format"
                    && rdf_formats
                        .iter()
                        .any(|f| t.object.to_string().ends_with(&format!("/{f}>")))
            });
            stars(values, rdf)
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
            shacl: shapes.map(|_| violations.cloned().unwrap_or_default()),
            links_checked,
            links_working,
            key: key.clone(),
            dataset,
            stars: measurements
                .distributions
                .iter()
                .map(|(name, values)| stars_of(name, values))
                .max()
                .unwrap_or(0),
            distributions: measurements.distributions.len(),
            machine_readable: count("M12"),
            non_proprietary: count("M11"),
            open_licence: count("E16"),
            conforms,
            violation_paths,
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

/// The indicators of one producer.
pub fn indicators(assessments: &[DatasetAssessment]) -> Indicators {
    let share = |part: usize, whole: usize| part as f64 / whole.max(1) as f64;
    let mut mqa: Vec<i32> = assessments.iter().map(|a| a.scores.mqa.total).collect();
    let mut ext: Vec<i32> = assessments.iter().map(|a| a.scores.ext.total).collect();
    let mean = |v: &[i32]| v.iter().map(|x| f64::from(*x)).sum::<f64>() / v.len().max(1) as f64;
    let distributions: usize = assessments.iter().map(|a| a.distributions).sum();
    let mut bands = [0; 4];
    let mut stars_histogram = [0; 6];
    let mut violations: HashMap<&str, usize> = HashMap::new();
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
        let distinct: std::collections::BTreeSet<&str> =
            a.violation_paths.iter().map(String::as_str).collect();
        for path in distinct {
            *violations.entry(path).or_default() += 1;
        }
        not_measured.extend(a.scores.not_measured.iter().copied());
    }
    not_measured.sort_unstable();
    not_measured.dedup();
    let mut top_violations: Vec<(String, usize)> = violations
        .into_iter()
        .map(|(p, n)| (p.to_owned(), n))
        .collect();
    top_violations.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    top_violations.truncate(10);
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
    Indicators {
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
        indicators.stars[0],
        indicators.stars[1],
        indicators.stars[2],
        indicators.stars[3],
        indicators.stars[4],
        indicators.stars[5],
    );
    for (path, count) in &indicators.top_violations {
        out.push_str(&format!("  violation {path}  ({count} datasets)\n"));
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
    Ok(history
        .into_iter()
        .filter_map(|(url, checks)| {
            let (_, head_status, status, content_type, content_length) = checks.first()?.clone();
            let ok = checks
                .iter()
                .filter(|(_, _, s, _, _)| (200..300).contains(s))
                .count();
            Some((
                url,
                LinkCheck {
                    head_status,
                    status,
                    availability: Some((100 * ok / checks.len()) as u8),
                    content_type,
                    content_length,
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
    let shapes = match &config.shacl_shapes_dir {
        Some(dir) => Some(ShaclShapes::load(dir).map_err(|e| e.to_string())?),
        None => None,
    };
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
            shapes: shapes.as_ref(),
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
                    a.shacl.as_deref(),
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

/// Checks the access, download and landing-page URLs of `source`'s records not checked within
/// `recheck_after`, and records the results. Returns (checked, answering 2xx, skipped).
pub async fn check_source_links(
    catalog: &Catalog,
    checker: &fedcat_harvester::linkcheck::LinkChecker,
    source: &str,
    recheck_after: chrono::Duration,
    progress: &(dyn Fn(&str) + Sync),
) -> Result<(usize, usize, usize), String> {
    let store = catalog.store().clone();
    let iris = catalog.iris().clone();
    let source_id = source.to_owned();
    let urls: std::collections::BTreeSet<String> = tokio::task::spawn_blocking(move || {
        let records = crate::report::source_records(&store, &iris, &source_id)?;
        Ok::<_, String>(
            records
                .into_iter()
                .flat_map(|(_, triples)| triples)
                .filter(|t| {
                    matches!(
                        t.predicate.as_str(),
                        "http://www.w3.org/ns/dcat#accessURL"
                            | "http://www.w3.org/ns/dcat#downloadURL"
                            | "http://www.w3.org/ns/dcat#landingPage"
                    )
                })
                .filter_map(|t| match t.object {
                    Term::NamedNode(n) => Some(n.into_string()),
                    Term::Literal(l) => Some(l.value().to_owned()),
                    _ => None,
                })
                .collect(),
        )
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
    let skipped = urls.len() - due.len();
    progress(&format!(
        "{source}: {} URL(s) to check, {skipped} checked recently",
        due.len()
    ));
    use futures_util::StreamExt;
    let total = due.len();
    let mut results = futures_util::stream::iter(due)
        .map(|url| async move { checker.check(&url).await })
        .buffer_unordered(16);
    let (mut checked, mut ok) = (0, 0);
    while let Some(result) = results.next().await {
        checked += 1;
        if (200..300).contains(&result.status) {
            ok += 1;
        }
        let redirects = serde_json::to_string(&result.redirects).unwrap_or_default();
        catalog
            .state()
            .record_link_check(
                &result.url,
                &chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
                result.head_status,
                result.status,
                &redirects,
                result.content_type.as_deref(),
                result.content_length,
                result.error.as_deref(),
            )
            .await
            .map_err(|e| e.to_string())?;
        if checked % 100 == 0 {
            progress(&format!("{source}: {checked} of {total} URL(s) checked"));
        }
    }
    Ok((checked, ok, skipped))
}
