//! Taking a producer's snapshot: assessment, DQV graphs, indicator time series.

use super::*;
use crate::DomainError;
use fedcat_catalog::oxigraph::model::Quad;

/// Assesses `source` now and keeps its indicators in the time series. The records are
/// assessed [`ASSESSMENT_BATCH`] at a time and each batch's DQV graphs written in a transaction
/// of their own, so memory is that of one batch plus a few numbers per dataset for the
/// indicators, whatever the size of the source.
pub async fn snapshot_source(
    config: &DomainConfig,
    catalog: &Catalog,
    source: &str,
) -> Result<Indicators, DomainError> {
    let links = link_checks(catalog).await?;
    let shapes = ShapeSets::load(config)?;
    let facts = facts(&config.vocabularies);
    let table = config.score_table.clone();
    let strict_head = config.strict_head;
    let store = catalog.graph_store();
    let iris = catalog.iris().clone();
    let source_id = source.to_owned();
    let now = chrono::Utc::now();
    let today = now.date_naive();
    let taken_at = now.to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    let stamp = taken_at.clone();
    let (indicators, by_publisher) = tokio::task::spawn_blocking(move || {
        let assessor = Assessor {
            facts: &facts,
            shapes: &shapes,
            table: &table,
            links: &links,
            today,
            strict_head,
        };
        let mut overall = IndicatorTally::default();
        // A source such as data.gouv.fr carries many producers: each gets its own series.
        let mut publishers: std::collections::BTreeMap<String, IndicatorTally> =
            std::collections::BTreeMap::new();
        assess_source_in_batches(&*store, &iris, &source_id, &assessor, &mut |batch| {
            write_assessments(&*store, &iris, &source_id, &stamp, &batch)?;
            for assessment in &batch {
                overall.add(assessment);
                if let Some(publisher) = &assessment.publisher {
                    publishers
                        .entry(publisher.clone())
                        .or_default()
                        .add(assessment);
                }
            }
            Ok(())
        })?;
        // The metric definitions and the score table in force go beside the assessments.
        let metrics = iris.quality_metrics_graph();
        let definitions = fedcat_catalog::quality::dqv::metric_definition_quads(&metrics, &table);
        store.replace_graphs(&[(metrics, definitions)])?;
        let by_publisher: Vec<(String, Indicators)> = publishers
            .into_iter()
            .map(|(publisher, tally)| (publisher, tally.finish()))
            .collect();
        Ok::<_, DomainError>((overall.finish(), by_publisher))
    })
    .await??;
    let json = serde_json::to_string(&indicators)?;
    catalog
        .quality_state()
        .save_indicators(source, None, &taken_at, &json)
        .await?;
    for (publisher, publisher_indicators) in &by_publisher {
        let json = serde_json::to_string(publisher_indicators)?;
        catalog
            .quality_state()
            .save_indicators(source, Some(publisher), &taken_at, &json)
            .await?;
    }
    Ok(indicators)
}

/// Writes the DQV graphs of a batch of assessments, in one transaction.
fn write_assessments(
    store: &dyn GraphStore,
    iris: &IriMinter,
    source_id: &str,
    stamp: &str,
    batch: &[DatasetAssessment],
) -> Result<(), DomainError> {
    // Each record's assessment replaces its previous one.
    let graphs: Vec<_> = batch
        .iter()
        .map(|a| {
            let graph = iris.quality_graph(source_id, &a.key);
            let quads = fedcat_catalog::quality::dqv::assessment_quads(
                &graph,
                &a.measurements,
                &a.scores,
                stamp,
                &a.shacl
                    .iter()
                    .map(|(set, results)| (*set, results.as_slice()))
                    .collect::<Vec<_>>(),
            );
            (graph, quads)
        })
        .collect();
    // An assessment that says what the stored one says is left as it is (its
    // `prov:generatedAtTime` stays that of the run that first found these values): a
    // re-run over unchanged records writes nothing.
    let mut changed = Vec::with_capacity(graphs.len());
    for (graph, quads) in graphs {
        if !same_assessment(&store.graph_triples(graph.as_ref())?, &quads) {
            changed.push((graph, quads));
        }
    }
    if !changed.is_empty() {
        store.replace_graphs(&changed)?;
    }
    Ok(())
}

/// Whether a stored assessment graph (its triples) holds what `quads` say, its time stamp
/// aside.
fn same_assessment(stored: &[Triple], quads: &[Quad]) -> bool {
    let generated_at = "http://www.w3.org/ns/prov#generatedAtTime";
    if stored.len() != quads.len() {
        return false;
    }
    let stored: std::collections::HashSet<&Triple> = stored
        .iter()
        .filter(|t| t.predicate.as_str() != generated_at)
        .collect();
    quads
        .iter()
        .filter(|q| q.predicate.as_str() != generated_at)
        .all(|q| {
            stored.contains(&Triple::new(
                q.subject.clone(),
                q.predicate.clone(),
                q.object.clone(),
            ))
        })
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
