//! The reads the HTTP layer makes of the store beyond a record graph, as typed queries: the
//! provenance of a record, its quality breakdown and SHACL findings (its DQV graph), and the
//! record graphs of one page of the catalogue export. Each builds its SPARQL here, once, from
//! IRIs the catalogue minted (never from a client's text but as escaped literals), and returns
//! rows as structs; a failure is an error for the handler to answer, not an empty result.

use fedcat_catalog::oxigraph::model::{Literal, NamedNode, Term};
use fedcat_catalog::quality::metrics::{Dimension, EXT_NS, PV_NS};
use fedcat_catalog::{CatalogError, GraphStore, IriMinter};

const DCAT: &str = "http://www.w3.org/ns/dcat#";
const DCT: &str = "http://purl.org/dc/terms/";
const FOAF: &str = "http://xmlns.com/foaf/0.1/";

/// Where a record came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Provenance {
    /// When fedcat last wrote it (`prov:generatedAtTime`).
    pub harvested_at: Option<String>,
    /// The page or record URL it was read from (`prov:hadPrimarySource`).
    pub original_url: Option<String>,
    /// The source catalogue it belongs to (`dct:isPartOf`).
    pub source_catalog: Option<String>,
}

/// One score of a record's last assessment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Score {
    /// `mqa` (data.europa.eu's method) or `ext` (fedcat's extended one).
    pub method: &'static str,
    /// The dimension (`findability`…), or `None` for the total.
    pub dimension: Option<&'static str>,
    /// The points.
    pub points: i64,
}

/// One SHACL result of a record's last assessment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShaclFinding {
    /// The report it belongs to: `…#shacl` (core shapes) or `…#shacl-{set}`.
    pub report: String,
    /// `sh:Violation`, `sh:Warning` or `sh:Info`, as an IRI.
    pub severity: String,
    /// The property concerned, if the shape names one.
    pub path: Option<String>,
    /// What the shape says.
    pub message: Option<String>,
}

/// Which records a page of the catalogue export holds.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PageFilter {
    /// Only datasets modified on or after this date (`YYYY-MM-DD`).
    pub modified_since: Option<String>,
    /// Only datasets of this publisher (its name, or its IRI when it has none).
    pub publisher: Option<String>,
}

/// The text of a term: an IRI or a literal's value.
fn text(term: Option<&Term>) -> Option<String> {
    match term? {
        Term::NamedNode(node) => Some(node.as_str().to_owned()),
        Term::Literal(literal) => Some(literal.value().to_owned()),
        _ => None,
    }
}

/// The provenance of record graph `graph` from the metadata graph; `None` for an unknown one.
pub fn provenance(
    store: &dyn GraphStore,
    iris: &IriMinter,
    graph: &NamedNode,
) -> Result<Option<Provenance>, CatalogError> {
    let rows = store.select(&format!(
        "PREFIX prov: <http://www.w3.org/ns/prov#>
         SELECT ?time ?url ?catalog WHERE {{ GRAPH <{meta}> {{
           <{graph}> prov:generatedAtTime ?time .
           OPTIONAL {{ <{graph}> prov:hadPrimarySource ?url }}
           OPTIONAL {{ <{graph}> <{DCT}isPartOf> ?catalog }} }} }} LIMIT 1",
        meta = iris.meta_graph().as_str(),
        graph = graph.as_str(),
    ))?;
    Ok(rows.first().map(|row| Provenance {
        harvested_at: text(row[0].as_ref()),
        original_url: text(row[1].as_ref()),
        source_catalog: text(row[2].as_ref()),
    }))
}

/// The scoring metrics of both methods: (metric IRI, method, dimension or `None` for the total).
fn scoring_metrics() -> Vec<(String, &'static str, Option<&'static str>)> {
    let mut metrics = Vec::new();
    for (namespace, method) in [(PV_NS, "mqa"), (EXT_NS, "ext")] {
        for dimension in Dimension::ALL {
            metrics.push((
                format!("{namespace}{}Scoring", dimension.name()),
                method,
                Some(dimension.name()),
            ));
        }
        metrics.push((format!("{namespace}scoring"), method, None));
    }
    metrics
}

/// The dimension scores and totals of a record's last assessment (empty before its first).
pub fn quality_scores(
    store: &dyn GraphStore,
    iris: &IriMinter,
    source: &str,
    key: &str,
) -> Result<Vec<Score>, CatalogError> {
    let metrics = scoring_metrics();
    let values: Vec<String> = metrics.iter().map(|(iri, ..)| format!("<{iri}>")).collect();
    let rows = store.select(&format!(
        "PREFIX dqv: <http://www.w3.org/ns/dqv#>
         SELECT ?metric ?value WHERE {{ GRAPH <{}> {{
           VALUES ?metric {{ {} }}
           ?m dqv:isMeasurementOf ?metric ; dqv:value ?value }} }}",
        iris.quality_graph(source, key).as_str(),
        values.join(" ")
    ))?;
    Ok(rows
        .iter()
        .filter_map(|row| {
            let metric = text(row[0].as_ref())?;
            let points = text(row[1].as_ref())?.parse().ok()?;
            let (_, method, dimension) = metrics.iter().find(|(iri, ..)| *iri == metric)?;
            Some(Score {
                method,
                dimension: *dimension,
                points,
            })
        })
        .collect())
}

/// The SHACL results of a record's last assessment, ordered by report, severity and property.
pub fn shacl_findings(
    store: &dyn GraphStore,
    iris: &IriMinter,
    source: &str,
    key: &str,
) -> Result<Vec<ShaclFinding>, CatalogError> {
    let rows = store.select(&format!(
        "PREFIX sh: <http://www.w3.org/ns/shacl#>
         SELECT ?report ?severity ?path ?message WHERE {{ GRAPH <{}> {{
           ?report sh:result ?r . ?r sh:resultSeverity ?severity .
           OPTIONAL {{ ?r sh:resultPath ?path }} OPTIONAL {{ ?r sh:resultMessage ?message }} }} }}
         ORDER BY ?report ?severity ?path",
        iris.quality_graph(source, key).as_str()
    ))?;
    Ok(rows
        .iter()
        .map(|row| ShaclFinding {
            report: text(row[0].as_ref()).unwrap_or_default(),
            severity: text(row[1].as_ref()).unwrap_or_default(),
            path: text(row[2].as_ref()),
            message: text(row[3].as_ref()),
        })
        .collect())
}

/// A SPARQL string literal holding `text`, escaped.
fn sparql_string(text: &str) -> String {
    Literal::new_simple_literal(text).to_string()
}

/// The record graphs of one page of the catalogue, in a stable order (source catalogue, record
/// key), and how many records match `filter` in all.
pub fn catalogue_page(
    store: &dyn GraphStore,
    iris: &IriMinter,
    filter: &PageFilter,
    size: usize,
    offset: usize,
) -> Result<(Vec<NamedNode>, usize), CatalogError> {
    let mut filters = String::new();
    if let Some(since) = &filter.modified_since {
        filters.push_str(&format!(
            "GRAPH ?g {{ ?d a <{DCAT}Dataset> ; <{DCT}modified> ?m }}
             FILTER(SUBSTR(STR(?m), 1, 10) >= {})",
            sparql_string(since)
        ));
    }
    if let Some(publisher) = &filter.publisher {
        filters.push_str(&format!(
            "GRAPH ?g {{ ?d a <{DCAT}Dataset> ; <{DCT}publisher> ?p .
                        OPTIONAL {{ ?p <{FOAF}name> ?name }} }}
             FILTER(STR(COALESCE(?name, ?p)) = {})",
            sparql_string(publisher)
        ));
    }
    let pattern = format!(
        "GRAPH <{}> {{ ?g <{DCT}isPartOf> ?catalog ; <https://w3id.org/fedcat/ns#recordKey> ?key }} {filters}",
        iris.meta_graph().as_str()
    );
    let count = store.select(&format!(
        "SELECT (COUNT(DISTINCT ?g) AS ?n) WHERE {{ {pattern} }}"
    ))?;
    let total = count
        .first()
        .and_then(|row| text(row[0].as_ref()))
        .and_then(|n| n.parse().ok())
        .unwrap_or(0);
    let rows = store.select(&format!(
        "SELECT DISTINCT ?g ?catalog ?key WHERE {{ {pattern} }} ORDER BY ?catalog ?key LIMIT {size} OFFSET {offset}"
    ))?;
    let graphs = rows
        .into_iter()
        .filter_map(|row| match row.into_iter().next().flatten() {
            Some(Term::NamedNode(graph)) => Some(graph),
            _ => None,
        })
        .collect();
    Ok((graphs, total))
}
