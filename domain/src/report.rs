//! `fedcat report mapping`: per source, the share of datasets and distributions that carry each
//! DCAT-AP 3 mandatory and recommended property (and the optional ones the quality scores use),
//! and the most frequent portal values fedcat could not map to a controlled vocabulary — the
//! table a producer would be sent to improve its metadata. Read from the store with SPARQL, so
//! it describes exactly what is served.

use crate::DomainError;
use fedcat_catalog::GraphStore;
use fedcat_catalog::IriMinter;
use fedcat_catalog::oxigraph::model::Triple;
use fedcat_catalog::oxigraph::model::{NamedNode, Term};
use fedcat_catalog::shacl::{RecordConformance, ShaclShapes};
use std::collections::BTreeMap;
use std::fmt::Write;

/// How DCAT-AP 3 classes a property.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Obligation {
    /// Mandatory.
    Mandatory,
    /// Recommended.
    Recommended,
    /// Optional, listed because the quality scores use it.
    Optional,
}

impl Obligation {
    fn as_str(self) -> &'static str {
        match self {
            Self::Mandatory => "mandatory",
            Self::Recommended => "recommended",
            Self::Optional => "optional",
        }
    }
}

/// (prefixed name, IRI, obligation) of the Dataset properties reported (DCAT-AP 3.0.1, 6.6).
pub const DATASET_PROPERTIES: [(&str, &str, Obligation); 16] = [
    (
        "dct:title",
        "http://purl.org/dc/terms/title",
        Obligation::Mandatory,
    ),
    (
        "dct:description",
        "http://purl.org/dc/terms/description",
        Obligation::Mandatory,
    ),
    (
        "dcat:contactPoint",
        "http://www.w3.org/ns/dcat#contactPoint",
        Obligation::Recommended,
    ),
    (
        "dcat:distribution",
        "http://www.w3.org/ns/dcat#distribution",
        Obligation::Recommended,
    ),
    (
        "dcat:keyword",
        "http://www.w3.org/ns/dcat#keyword",
        Obligation::Recommended,
    ),
    (
        "dct:publisher",
        "http://purl.org/dc/terms/publisher",
        Obligation::Recommended,
    ),
    (
        "dct:spatial",
        "http://purl.org/dc/terms/spatial",
        Obligation::Recommended,
    ),
    (
        "dct:temporal",
        "http://purl.org/dc/terms/temporal",
        Obligation::Recommended,
    ),
    (
        "dcat:theme",
        "http://www.w3.org/ns/dcat#theme",
        Obligation::Recommended,
    ),
    (
        "dct:accessRights",
        "http://purl.org/dc/terms/accessRights",
        Obligation::Optional,
    ),
    (
        "dct:accrualPeriodicity",
        "http://purl.org/dc/terms/accrualPeriodicity",
        Obligation::Optional,
    ),
    (
        "dct:identifier",
        "http://purl.org/dc/terms/identifier",
        Obligation::Optional,
    ),
    (
        "dct:issued",
        "http://purl.org/dc/terms/issued",
        Obligation::Optional,
    ),
    (
        "dct:modified",
        "http://purl.org/dc/terms/modified",
        Obligation::Optional,
    ),
    (
        "dcat:landingPage",
        "http://www.w3.org/ns/dcat#landingPage",
        Obligation::Optional,
    ),
    (
        "dct:language",
        "http://purl.org/dc/terms/language",
        Obligation::Optional,
    ),
];

/// The Distribution properties reported (DCAT-AP 3.0.1, 6.8).
pub const DISTRIBUTION_PROPERTIES: [(&str, &str, Obligation); 10] = [
    (
        "dcat:accessURL",
        "http://www.w3.org/ns/dcat#accessURL",
        Obligation::Mandatory,
    ),
    (
        "dcatap:availability",
        "http://data.europa.eu/r5r/availability",
        Obligation::Recommended,
    ),
    (
        "dct:description",
        "http://purl.org/dc/terms/description",
        Obligation::Recommended,
    ),
    (
        "dct:format",
        "http://purl.org/dc/terms/format",
        Obligation::Recommended,
    ),
    (
        "dct:license",
        "http://purl.org/dc/terms/license",
        Obligation::Recommended,
    ),
    (
        "dcat:downloadURL",
        "http://www.w3.org/ns/dcat#downloadURL",
        Obligation::Optional,
    ),
    (
        "dcat:mediaType",
        "http://www.w3.org/ns/dcat#mediaType",
        Obligation::Optional,
    ),
    (
        "dcat:byteSize",
        "http://www.w3.org/ns/dcat#byteSize",
        Obligation::Optional,
    ),
    (
        "dct:modified",
        "http://purl.org/dc/terms/modified",
        Obligation::Optional,
    ),
    (
        "spdx:checksum",
        "http://spdx.org/rdf/terms#checksum",
        Obligation::Optional,
    ),
];

/// The fedcat properties holding values no vocabulary entry matched.
const UNMAPPED: [(&str, &str); 7] = [
    ("format", "https://w3id.org/fedcat/ns#unmappedFormat"),
    ("media type", "https://w3id.org/fedcat/ns#unmappedMediaType"),
    ("licence", "https://w3id.org/fedcat/ns#unmappedLicence"),
    ("frequency", "https://w3id.org/fedcat/ns#unmappedFrequency"),
    ("theme", "https://w3id.org/fedcat/ns#unmappedTheme"),
    (
        "access rights",
        "https://w3id.org/fedcat/ns#unmappedAccessRights",
    ),
    ("language", "https://w3id.org/fedcat/ns#unmappedLanguage"),
];

/// The report of one source.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SourceMapping {
    /// Source id.
    pub source: String,
    /// Datasets stored.
    pub datasets: u64,
    /// Distributions stored.
    pub distributions: u64,
    /// Datasets carrying each Dataset property (by prefixed name).
    pub dataset_counts: BTreeMap<&'static str, u64>,
    /// Distributions carrying each Distribution property.
    pub distribution_counts: BTreeMap<&'static str, u64>,
    /// Per kind, the unmapped values with how often each occurs, most frequent first.
    pub unmapped: Vec<(&'static str, Vec<(String, u64)>)>,
    /// DCAT-AP conformance, when shapes are configured.
    pub shacl: Option<ShaclSummary>,
    /// The values repaired or dropped in the live records, most frequent first (filled from
    /// the state database by the caller).
    pub repairs: Vec<fedcat_catalog::RepairCount>,
}

/// SHACL results of a source's records.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ShaclSummary {
    /// Records validated.
    pub records: u64,
    /// Records without any result.
    pub conforming: u64,
    /// (severity, path, message) → how many records have it, most frequent first.
    pub findings: Vec<((String, String, String), u64)>,
}

/// Every record graph of `source`, with its key.
pub fn source_records(
    store: &dyn GraphStore,
    iris: &IriMinter,
    source: &str,
) -> Result<Vec<(String, Vec<Triple>)>, DomainError> {
    source_record_graphs(store, iris, source)?
        .into_iter()
        .map(|(key, graph)| Ok((key, store.graph_triples(graph.as_ref())?)))
        .collect()
}

/// The key and graph name of every record of `source`, in key order.
pub fn source_record_graphs(
    store: &dyn GraphStore,
    iris: &IriMinter,
    source: &str,
) -> Result<Vec<(String, NamedNode)>, DomainError> {
    let catalog = iris.source_catalog(source);
    let rows = select(
        store,
        &format!(
            "SELECT ?g ?key WHERE {{ ?g <http://purl.org/dc/terms/isPartOf> <{}> ;
               <https://w3id.org/fedcat/ns#recordKey> ?key }} ORDER BY ?key",
            catalog.as_str()
        ),
    )?;
    Ok(rows
        .into_iter()
        .filter_map(|row| match &row[0] {
            Some(Term::NamedNode(graph)) => Some((text(&row[1]), graph.clone())),
            _ => None,
        })
        .collect())
}

/// Validates every record of `source` against `shapes`.
pub fn source_conformance(
    store: &dyn GraphStore,
    iris: &IriMinter,
    source: &str,
    shapes: &ShaclShapes,
) -> Result<Vec<RecordConformance>, DomainError> {
    let records = source_records(store, iris, source)?;
    Ok(shapes.validate_records(records)?)
}

fn summarise(conformance: &[RecordConformance]) -> ShaclSummary {
    let mut findings: BTreeMap<(String, String, String), u64> = BTreeMap::new();
    for record in conformance {
        let distinct: std::collections::BTreeSet<(String, String, String)> = record
            .violations
            .iter()
            .map(|v| {
                (
                    v.severity.clone(),
                    v.path.clone().unwrap_or_default(),
                    v.message.clone(),
                )
            })
            .collect();
        for finding in distinct {
            *findings.entry(finding).or_default() += 1;
        }
    }
    let mut findings: Vec<_> = findings.into_iter().collect();
    findings.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    ShaclSummary {
        records: conformance.len() as u64,
        conforming: conformance
            .iter()
            .filter(|r| r.violations.is_empty())
            .count() as u64,
        findings,
    }
}

/// Runs an internal SELECT over the union of all graphs (a report's or a page's query).
pub(crate) fn select(
    store: &dyn GraphStore,
    query: &str,
) -> Result<Vec<Vec<Option<Term>>>, DomainError> {
    Ok(store.select(query)?)
}

fn number(term: &Option<Term>) -> u64 {
    match term {
        Some(Term::Literal(l)) => l.value().parse().unwrap_or(0),
        _ => 0,
    }
}

fn text(term: &Option<Term>) -> String {
    match term {
        Some(Term::Literal(l)) => l.value().to_owned(),
        Some(Term::NamedNode(n)) => n.as_str().to_owned(),
        Some(other) => other.to_string(),
        None => String::new(),
    }
}

fn counts(
    store: &dyn GraphStore,
    catalog: &str,
    class: &str,
    properties: &[(&'static str, &str, Obligation)],
) -> Result<(u64, BTreeMap<&'static str, u64>), DomainError> {
    let total = select(
        store,
        &format!(
            "SELECT (COUNT(DISTINCT ?s) AS ?n) WHERE {{ ?g <http://purl.org/dc/terms/isPartOf> <{catalog}> .
               GRAPH ?g {{ ?s a <{class}> }} }}"
        ),
    )?;
    let values: String = properties
        .iter()
        .map(|(_, iri, _)| format!("<{iri}> "))
        .collect();
    let rows = select(
        store,
        &format!(
            "SELECT ?p (COUNT(DISTINCT ?s) AS ?n) WHERE {{
               ?g <http://purl.org/dc/terms/isPartOf> <{catalog}> .
               GRAPH ?g {{ ?s a <{class}> ; ?p ?o }} VALUES ?p {{ {values} }} }} GROUP BY ?p"
        ),
    )?;
    let mut by_property: BTreeMap<&'static str, u64> =
        properties.iter().map(|(name, _, _)| (*name, 0)).collect();
    for row in rows {
        let iri = text(&row[0]);
        if let Some((name, _, _)) = properties.iter().find(|(_, p, _)| *p == iri) {
            by_property.insert(name, number(&row[1]));
        }
    }
    Ok((total.first().map_or(0, |r| number(&r[0])), by_property))
}

/// Computes the report of `source` (with SHACL conformance when `shapes` are given).
pub fn source_mapping(
    rdf_store: &dyn GraphStore,
    iris: &IriMinter,
    source: &str,
    shapes: Option<&ShaclShapes>,
) -> Result<SourceMapping, DomainError> {
    let store = rdf_store;
    let catalog = iris.source_catalog(source);
    let catalog = catalog.as_str();
    let (datasets, dataset_counts) = counts(
        store,
        catalog,
        "http://www.w3.org/ns/dcat#Dataset",
        &DATASET_PROPERTIES,
    )?;
    let (distributions, distribution_counts) = counts(
        store,
        catalog,
        "http://www.w3.org/ns/dcat#Distribution",
        &DISTRIBUTION_PROPERTIES,
    )?;
    let mut unmapped = Vec::new();
    for (kind, property) in UNMAPPED {
        let rows = select(
            store,
            &format!(
                "SELECT ?v (COUNT(*) AS ?n) WHERE {{
                   ?g <http://purl.org/dc/terms/isPartOf> <{catalog}> .
                   GRAPH ?g {{ ?s <{property}> ?v }} }} GROUP BY ?v ORDER BY DESC(?n) ?v"
            ),
        )?;
        let values: Vec<(String, u64)> = rows
            .iter()
            .map(|row| (text(&row[0]), number(&row[1])))
            .collect();
        if !values.is_empty() {
            unmapped.push((kind, values));
        }
    }
    let shacl = match shapes {
        Some(shapes) => Some(summarise(&source_conformance(
            rdf_store, iris, source, shapes,
        )?)),
        None => None,
    };
    Ok(SourceMapping {
        shacl,
        source: source.to_owned(),
        datasets,
        distributions,
        dataset_counts,
        distribution_counts,
        unmapped,
        repairs: Vec::new(),
    })
}

fn share(count: u64, total: u64) -> String {
    if total == 0 {
        "–".into()
    } else {
        format!("{:.0} %", 100.0 * count as f64 / total as f64)
    }
}

/// The report as text, at most `top` unmapped values per kind.
#[expect(
    clippy::too_many_lines,
    reason = "the text report section by section, as `fedcat report mapping` prints it"
)]
pub fn render(report: &SourceMapping, top: usize) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "== {}: {} datasets, {} distributions",
        report.source, report.datasets, report.distributions
    );
    for (title, total, properties, counts) in [
        (
            "Dataset",
            report.datasets,
            &DATASET_PROPERTIES[..],
            &report.dataset_counts,
        ),
        (
            "Distribution",
            report.distributions,
            &DISTRIBUTION_PROPERTIES[..],
            &report.distribution_counts,
        ),
    ] {
        let _ = writeln!(
            out,
            "{title:<24} {:<12} {:>7} {:>8}",
            "obligation", "share", "count"
        );
        for (name, _, obligation) in properties {
            let count = counts.get(name).copied().unwrap_or(0);
            let _ = writeln!(
                out,
                "  {name:<22} {:<12} {:>7} {count:>8}",
                obligation.as_str(),
                share(count, total)
            );
        }
    }
    if report.unmapped.is_empty() {
        let _ = writeln!(out, "Unmapped values: none");
    } else {
        let _ = writeln!(out, "Unmapped values (most frequent first):");
        for (kind, values) in &report.unmapped {
            let total: u64 = values.iter().map(|(_, n)| n).sum();
            let shown: Vec<String> = values
                .iter()
                .take(top)
                .map(|(value, n)| format!("{value:?} ×{n}"))
                .collect();
            let more = values.len().saturating_sub(top);
            let _ = writeln!(
                out,
                "  {kind:<14} {total:>6} value(s), {} distinct: {}{}",
                values.len(),
                shown.join(", "),
                if more > 0 {
                    format!(", … {more} more")
                } else {
                    String::new()
                }
            );
        }
    }
    render_repairs(&mut out, &report.repairs);
    match &report.shacl {
        None => {
            let _ = writeln!(
                out,
                "DCAT-AP SHACL: not measured ([shacl] enabled = false in the configuration)"
            );
        }
        Some(shacl) => {
            let _ = writeln!(
                out,
                "DCAT-AP SHACL: {} of {} records conform",
                shacl.conforming, shacl.records
            );
            for ((severity, path, message), records) in shacl.findings.iter().take(top) {
                let _ = writeln!(
                    out,
                    "  {records:>6} record(s)  {severity}  {path}  {message}"
                );
            }
            if shacl.findings.len() > top {
                let _ = writeln!(
                    out,
                    "  … {} more kinds of finding",
                    shacl.findings.len() - top
                );
            }
        }
    }
    out
}

/// The most frequent repairs and drops, one line each with an example.
fn render_repairs(out: &mut String, repairs: &[fedcat_catalog::RepairCount]) {
    if repairs.is_empty() {
        let _ = writeln!(out, "Values repaired or dropped: none");
        return;
    }
    let _ = writeln!(
        out,
        "Values repaired or dropped (most frequent first; the record is always kept):"
    );
    for repair in repairs {
        let _ = writeln!(
            out,
            "  {:<8} {:>6} value(s) in {:>6} record(s)  {:<26} {}  e.g. record {}: {:?}",
            repair.action,
            repair.values,
            repair.records,
            repair.rule,
            repair.property,
            repair.example_record,
            repair.example_value
        );
    }
}
