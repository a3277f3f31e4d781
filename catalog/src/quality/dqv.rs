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
        Value::NotMeasured => None,
    }
}

/// The quads of one assessment in `graph` (whose IRI also names the assessment).
/// Not-measured metrics get no measurement: DQV has no "unknown" value, and a missing
/// measurement is what data.europa.eu writes too.
pub fn assessment_quads(
    graph: &NamedNode,
    measurements: &Measurements,
    scores: &Scores,
    generated_at: &str,
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
