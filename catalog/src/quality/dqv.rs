//! The W3C DQV description of one assessment (QUALITY.md §9.4): the assessment graph is a
//! `dqv:QualityMetadata` with its time; every measurement is a `dqv:QualityMeasurement`
//! (`dqv:isMeasurementOf` the metric, `dqv:computedOn` the dataset or distribution,
//! `dqv:value`); the dimension scores and totals are measurements of piveau's scoring metrics
//! (and fedcat's for the extended score); the MQA rating is a `dqv:QualityAnnotation` whose body
//! is piveau's scoring concept.

use super::measure::{Measurements, Value};
use super::metrics::{EXT_NS, PV_NS};
use super::score::Scores;
use oxigraph::model::vocab::{rdf, xsd};
use oxigraph::model::{GraphName, Literal, NamedNode, Quad, Term};

const DQV: &str = "http://www.w3.org/ns/dqv#";
const OA: &str = "http://www.w3.org/ns/oa#";
const PROV_GENERATED_AT: &str = "http://www.w3.org/ns/prov#generatedAtTime";

fn iri(text: &str) -> NamedNode {
    NamedNode::new_unchecked(text)
}

fn value_term(value: Value) -> Option<Term> {
    match value {
        Value::Bool(b) => Some(Literal::from(b).into()),
        Value::Status(code) => Some(Literal::from(i64::from(code)).into()),
        Value::Level(level) => Some(Literal::from(i64::from(level)).into()),
        Value::NotMeasured => None,
    }
}

/// The quads of one assessment in `graph` (whose IRI also names the assessment).
/// Not-measured metrics get no measurement: DQV has no "unknown" value, and a missing
/// measurement is what data.europa.eu writes too.
#[expect(
    clippy::too_many_lines,
    reason = "the DQV graph of one assessment: measurements, scores and SHACL reports"
)]
pub fn assessment_quads(
    graph: &NamedNode,
    measurements: &Measurements,
    scores: &Scores,
    generated_at: &str,
    shacl: &[(&str, &[crate::shacl::Violation])],
) -> Vec<Quad> {
    let name: GraphName = graph.clone().into();
    let mut quads = Vec::new();
    let mut counter = 0usize;
    let mut add = |s: NamedNode, p: NamedNode, o: Term| {
        quads.push(Quad::new(s, p, o, name.clone()));
    };
    add(
        graph.clone(),
        rdf::TYPE.into_owned(),
        iri(&format!("{DQV}QualityMetadata")).into(),
    );
    add(
        graph.clone(),
        iri(PROV_GENERATED_AT),
        Literal::new_typed_literal(generated_at, xsd::DATE_TIME).into(),
    );
    let mut measurement = |target: &str, metric: String, value: Term| {
        counter += 1;
        let node = iri(&format!("{}#m{counter}", graph.as_str()));
        let target = iri(target);
        add(
            target.clone(),
            iri(&format!("{DQV}hasQualityMeasurement")),
            node.clone().into(),
        );
        add(
            node.clone(),
            rdf::TYPE.into_owned(),
            iri(&format!("{DQV}QualityMeasurement")).into(),
        );
        add(
            node.clone(),
            iri(&format!("{DQV}isMeasurementOf")),
            iri(&metric).into(),
        );
        add(
            node.clone(),
            iri(&format!("{DQV}computedOn")),
            target.into(),
        );
        add(node, iri(&format!("{DQV}value")), value);
    };
    let dataset = measurements.dataset.as_str();
    for (id, value) in &measurements.dataset_values {
        if let (Some(metric), Some(term)) = (super::metrics::by_id(id), value_term(*value)) {
            measurement(dataset, metric.iri.to_owned(), term);
        }
    }
    for (distribution, values) in &measurements.distributions {
        // Blank-node distributions have no IRI to carry a measurement.
        if distribution.starts_with("_:") {
            continue;
        }
        for (id, value) in values {
            if let (Some(metric), Some(term)) = (super::metrics::by_id(id), value_term(*value)) {
                measurement(distribution, metric.iri.to_owned(), term);
            }
        }
    }
    for (namespace, score) in [(PV_NS, &scores.mqa), (EXT_NS, &scores.ext)] {
        for (dimension, points) in &score.dimensions {
            measurement(
                dataset,
                format!("{namespace}{}Scoring", dimension.name()),
                Literal::from(i64::from(*points)).into(),
            );
        }
        measurement(
            dataset,
            format!("{namespace}scoring"),
            Literal::from(i64::from(score.total)).into(),
        );
    }
    // One report per set of shapes: `#shacl` for the core shapes, `#shacl-{set}` for others.
    for (set, violations) in shacl {
        let report_name = if *set == "core" {
            format!("{}#shacl", graph.as_str())
        } else {
            format!("{}#shacl-{set}", graph.as_str())
        };
        let report = iri(&report_name);
        let sh = |local: &str| iri(&format!("http://www.w3.org/ns/shacl#{local}"));
        add(
            report.clone(),
            rdf::TYPE.into_owned(),
            sh("ValidationReport").into(),
        );
        add(
            report.clone(),
            sh("conforms"),
            Literal::from(!violations.iter().any(|v| v.severity == "Violation")).into(),
        );
        for (n, violation) in violations.iter().enumerate() {
            let result = iri(&format!("{report_name}-result-{n}"));
            add(report.clone(), sh("result"), result.clone().into());
            add(
                result.clone(),
                rdf::TYPE.into_owned(),
                sh("ValidationResult").into(),
            );
            add(
                result.clone(),
                sh("resultSeverity"),
                sh(&violation.severity).into(),
            );
            add(
                result.clone(),
                sh("resultMessage"),
                Literal::from(violation.message.as_str()).into(),
            );
            let bracketed = |text: &str| {
                text.strip_prefix('<')
                    .and_then(|t| t.strip_suffix('>'))
                    .and_then(|t| NamedNode::new(t).ok())
            };
            if let Some(focus) = bracketed(&violation.focus) {
                add(result.clone(), sh("focusNode"), focus.into());
            }
            if let Some(path) = violation.path.as_deref().and_then(bracketed) {
                add(result.clone(), sh("resultPath"), path.into());
            }
        }
    }
    let annotation = iri(&format!("{}#rating", graph.as_str()));
    add(
        annotation.clone(),
        rdf::TYPE.into_owned(),
        iri(&format!("{DQV}QualityAnnotation")).into(),
    );
    add(
        annotation.clone(),
        iri(&format!("{OA}motivatedBy")),
        iri(&format!("{DQV}qualityAssessment")).into(),
    );
    add(
        annotation.clone(),
        iri(&format!("{OA}hasTarget")),
        iri(dataset).into(),
    );
    add(
        annotation,
        iri(&format!("{OA}hasBody")),
        iri(scores.mqa.rating.iri()).into(),
    );
    quads
}

/// The metric definitions and the score table in force, as their own graph: each metric a
/// `dqv:Metric` in its dimension (`dqv:inDimension`), with its short id (`skos:notation`),
/// `dqv:expectedDataType`, and the points it gives (`fedcat-dq:trueScore`/`falseScore`,
/// mirroring piveau's `pv:trueScore`/`pv:falseScore`).
pub fn metric_definition_quads(graph: &NamedNode, table: &super::score::ScoreTable) -> Vec<Quad> {
    let name: GraphName = graph.clone().into();
    let mut quads = Vec::new();
    for metric in super::metrics::ALL {
        let subject = iri(metric.iri);
        let namespace = if metric.mqa { PV_NS } else { EXT_NS };
        let (yes, no) = table.points.get(metric.id).copied().unwrap_or((0, 0));
        let data_type = if matches!(metric.id, "M5" | "M7") {
            xsd::INTEGER
        } else {
            xsd::BOOLEAN
        };
        for (predicate, object) in [
            (
                rdf::TYPE.into_owned(),
                Term::from(iri(&format!("{DQV}Metric"))),
            ),
            (
                iri(&format!("{DQV}inDimension")),
                iri(&format!("{namespace}{}", metric.dimension.name())).into(),
            ),
            (
                iri("http://www.w3.org/2004/02/skos/core#notation"),
                Literal::from(metric.id).into(),
            ),
            (
                iri(&format!("{DQV}expectedDataType")),
                data_type.into_owned().into(),
            ),
            (
                iri(&format!("{EXT_NS}trueScore")),
                Literal::from(i64::from(yes)).into(),
            ),
            (
                iri(&format!("{EXT_NS}falseScore")),
                Literal::from(i64::from(no)).into(),
            ),
        ] {
            quads.push(Quad::new(subject.clone(), predicate, object, name.clone()));
        }
    }
    quads
}
