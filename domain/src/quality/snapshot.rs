//! Taking a producer's snapshot: assessment, DQV graphs, indicator time series.

use super::*;
use crate::DomainError;
use fedcat_catalog::oxigraph::model::Quad;
use fedcat_catalog::storage::{QualityMemo, QualityMemoKey};

/// What a quality snapshot found and did.
#[derive(Debug, Clone)]
pub struct Snapshot {
    /// The source's indicators.
    pub indicators: Indicators,
    /// Records of the source.
    pub records: usize,
    /// Records assessed this time (new or changed, or whose inputs changed); the others kept
    /// their last assessment.
    pub assessed: usize,
    /// Records gone whose assessment was removed.
    pub forgotten: usize,
}

/// How many memos are read at a time when the indicators are computed.
const MEMO_PAGE: u32 = 2000;

/// Assesses `source` now and keeps its indicators in the time series.
///
/// Only the records whose last assessment no longer holds are assessed again: new or changed
/// records, and all of them when the shapes, score table, options, vocabularies or link checks
/// changed, or a date-bound value is due ([`Measurements::recheck_on`]). They are assessed
/// [`ASSESSMENT_BATCH`] at a time, each batch's DQV graphs written in one transaction and its
/// memos ([`QualityMemo`]) in another; the indicators are then computed from the memos, read
/// page by page. Records gone lose their memo and DQV graph. Memory is that of one batch plus
/// a few numbers per dataset, whatever the size of the source; an unchanged source is not
/// assessed at all.
///
/// [`Measurements::recheck_on`]: fedcat_catalog::quality::measure::Measurements::recheck_on
pub async fn snapshot_source(
    config: &DomainConfig,
    catalog: &Catalog,
    source: &str,
) -> Result<Snapshot, DomainError> {
    let now = chrono::Utc::now();
    let today = now.date_naive();
    let taken_at = now.to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    let facts = facts(&config.vocabularies);
    let inputs = assessment_inputs(config, &catalog.quality_state().link_generation().await?);
    let records = catalog.records().record_fingerprints(source).await?;
    let record_count = records.len();
    let memos = catalog.quality_state().quality_memo_keys(source).await?;
    let gone: Vec<String> = memos
        .keys()
        .filter(|key| !records.contains_key(*key))
        .cloned()
        .collect();
    let mut pending: Vec<(String, String)> = records
        .into_iter()
        .filter(|(key, record)| {
            memos.get(key).is_none_or(|memo| {
                memo.content_hash != record.content_hash
                    || memo.inputs != inputs
                    || memo.recheck_on.is_some_and(|day| day <= today)
            })
        })
        .map(|(key, record)| (key, record.content_hash))
        .collect();
    drop(memos);
    pending.sort_unstable();
    forget_gone(catalog, source, &gone).await?;
    let pending_count = pending.len();
    if !pending.is_empty() {
        let job = AssessmentJob {
            links: link_checks(catalog).await?,
            shapes: ShapeSets::load(config)?,
            facts,
            table: config.score_table.clone(),
            strict_head: config.strict_head,
            today,
            stamp: taken_at.clone(),
            inputs,
        };
        let catalog = catalog.clone();
        let source = source.to_owned();
        tokio::task::spawn_blocking(move || job.run(&catalog, &source, &pending)).await??;
    }
    write_metric_definitions(catalog, &config.score_table).await?;
    let (indicators, by_publisher) = indicators_from_memos(catalog, source, today).await?;
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
    Ok(Snapshot {
        indicators,
        records: record_count,
        assessed: pending_count,
        forgotten: gone.len(),
    })
}

/// The fingerprint of what an assessment reads besides the record: fedcat's version (its
/// metrics), the shapes in force, the score table, the options, the vocabulary tables and the
/// link checks (`link_generation`).
fn assessment_inputs(config: &DomainConfig, link_generation: &str) -> String {
    use sha2::Digest;
    let mut hasher = sha2::Sha256::new();
    hasher.update(env!("CARGO_PKG_VERSION"));
    hasher.update(format!(
        "\n{:?}\n{:?}\n{}\n{link_generation}\n",
        config.shacl, config.score_table, config.strict_head
    ));
    for kind in VocabularyKind::ALL {
        for concept in config.vocabularies.concepts(kind) {
            hasher.update(concept.iri.as_str());
            hasher.update("\n");
        }
    }
    hasher
        .finalize()
        .iter()
        .map(|byte| format!("{byte:02x}"))
        .collect()
}

/// Forgets the memos and DQV graphs of records gone from `source`.
async fn forget_gone(catalog: &Catalog, source: &str, gone: &[String]) -> Result<(), DomainError> {
    for chunk in gone.chunks(ASSESSMENT_BATCH) {
        let graphs: Vec<_> = chunk
            .iter()
            .map(|key| (catalog.iris().quality_graph(source, key), Vec::new()))
            .collect();
        let store = catalog.graph_store();
        tokio::task::spawn_blocking(move || store.replace_graphs(&graphs)).await??;
        let keys: Vec<&str> = chunk.iter().map(String::as_str).collect();
        catalog
            .quality_state()
            .forget_quality_memos(source, &keys)
            .await?;
    }
    Ok(())
}

/// The metric definitions and the score table in force, beside the assessments (rewritten
/// only when they changed).
async fn write_metric_definitions(
    catalog: &Catalog,
    table: &fedcat_catalog::quality::score::ScoreTable,
) -> Result<(), DomainError> {
    let metrics = catalog.iris().quality_metrics_graph();
    let definitions = fedcat_catalog::quality::dqv::metric_definition_quads(&metrics, table);
    let store = catalog.graph_store();
    tokio::task::spawn_blocking(move || {
        if !same_assessment(&store.graph_triples(metrics.as_ref())?, &definitions) {
            store.replace_graphs(&[(metrics, definitions)])?;
        }
        Ok::<_, DomainError>(())
    })
    .await?
}

/// A source's indicators and its publishers', from the memos of its records.
async fn indicators_from_memos(
    catalog: &Catalog,
    source: &str,
    today: chrono::NaiveDate,
) -> Result<(Indicators, Vec<(String, Indicators)>), DomainError> {
    let mut overall = IndicatorTally::new(today);
    // A source such as data.gouv.fr carries many producers: each gets its own series.
    let mut publishers: std::collections::BTreeMap<String, IndicatorTally> =
        std::collections::BTreeMap::new();
    let mut after: Option<String> = None;
    loop {
        let page = catalog
            .quality_state()
            .quality_memo_page(source, after.as_deref(), MEMO_PAGE)
            .await?;
        let Some(last) = page.last() else { break };
        after = Some(last.record_key.clone());
        for memo in page {
            let Some(tally) = memo.tally.as_deref() else {
                continue;
            };
            let tally: DatasetTally = serde_json::from_str(tally)?;
            overall.add(&tally);
            if let Some(publisher) = memo.publisher {
                publishers
                    .entry(publisher)
                    .or_insert_with(|| IndicatorTally::new(today))
                    .add(&tally);
            }
        }
    }
    let by_publisher = publishers
        .into_iter()
        .map(|(publisher, tally)| (publisher, tally.finish()))
        .collect();
    Ok((overall.finish(), by_publisher))
}

/// What assessing a source's pending records needs.
struct AssessmentJob {
    links: HashMap<String, LinkCheck>,
    shapes: ShapeSets,
    facts: QualityFacts,
    table: ScoreTable,
    strict_head: bool,
    today: chrono::NaiveDate,
    stamp: String,
    inputs: String,
}

impl AssessmentJob {
    /// Assesses `pending` (record key, content hash) batch by batch: DQV graphs and memos.
    fn run(
        &self,
        catalog: &Catalog,
        source: &str,
        pending: &[(String, String)],
    ) -> Result<(), DomainError> {
        let assessor = Assessor {
            facts: &self.facts,
            shapes: &self.shapes,
            table: &self.table,
            links: &self.links,
            today: self.today,
            strict_head: self.strict_head,
        };
        let store = catalog.graphs();
        let iris = catalog.iris();
        let runtime = tokio::runtime::Handle::current();
        for batch in pending.chunks(ASSESSMENT_BATCH) {
            let records = batch
                .iter()
                .map(|(key, _)| {
                    let graph = iris.record_graph(source, key);
                    Ok((key.clone(), store.graph_triples(graph.as_ref())?))
                })
                .collect::<Result<Vec<_>, DomainError>>()?;
            let assessments = assess_records(&records, &assessor)?;
            drop(records);
            write_assessments(store, iris, source, &self.stamp, &assessments)?;
            let mut by_key: HashMap<&str, &DatasetAssessment> =
                assessments.iter().map(|a| (a.key.as_str(), a)).collect();
            let memos = batch
                .iter()
                .map(|(key, content_hash)| {
                    let assessment = by_key.remove(key.as_str());
                    Ok(QualityMemo {
                        record_key: key.clone(),
                        key: QualityMemoKey {
                            content_hash: content_hash.clone(),
                            inputs: self.inputs.clone(),
                            recheck_on: assessment.and_then(|a| a.measurements.recheck_on),
                        },
                        publisher: assessment.and_then(|a| a.publisher.clone()),
                        tally: assessment
                            .map(|a| serde_json::to_string(&DatasetTally::of(a, self.today)))
                            .transpose()?,
                    })
                })
                .collect::<Result<Vec<_>, DomainError>>()?;
            runtime.block_on(catalog.quality_state().save_quality_memos(source, &memos))?;
        }
        Ok(())
    }
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
    // A record assessed for the first time gets its graph from the bulk loader, which writes
    // several times faster than a transaction and leaves nothing in the store's write buffers.
    let mut changed = Vec::with_capacity(graphs.len());
    let mut new = Vec::new();
    for (graph, quads) in graphs {
        let stored = store.graph_triples(graph.as_ref())?;
        if stored.is_empty() {
            new.extend(quads);
        } else if !same_assessment(&stored, &quads) {
            changed.push((graph, quads));
        }
    }
    if !changed.is_empty() {
        store.replace_graphs(&changed)?;
    }
    if !new.is_empty() {
        store.bulk_load(new)?;
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

/// One line on a producer's snapshot, for `fedcat harvest` and the logs.
pub fn summary_line(source: &str, snapshot: &Snapshot) -> String {
    let indicators = &snapshot.indicators;
    format!(
        "quality: {source}: {} datasets, MQA mean {:.1} (excellent {}, good {}, sufficient {}, bad {}), extended mean {:.1}; {} of {} records assessed, the others unchanged{}",
        indicators.datasets,
        indicators.mqa_mean,
        indicators.bands[0],
        indicators.bands[1],
        indicators.bands[2],
        indicators.bands[3],
        indicators.ext_mean,
        snapshot.assessed,
        snapshot.records,
        if snapshot.forgotten > 0 {
            format!(", {} removed", snapshot.forgotten)
        } else {
            String::new()
        }
    )
}
