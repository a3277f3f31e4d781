//! Taking a producer's snapshot: assessment, DQV graphs, indicator time series.

use super::*;
use crate::DomainError;

/// Assesses `source` now and keeps its indicators in the time series.
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
    let (indicators, by_publisher, graphs) = tokio::task::spawn_blocking(move || {
        let assessor = Assessor {
            facts: &facts,
            shapes: &shapes,
            table: &table,
            links: &links,
            today,
            strict_head,
        };
        let assessments = assess_source(&*store, &iris, &source_id, &assessor)?;
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
        Ok::<_, DomainError>((indicators(&assessments), by_publisher, graphs))
    })
    .await??;
    catalog.replace_derived_graphs(graphs).await?;
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
