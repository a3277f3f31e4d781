//! Keeping the search index in step with the store: each source's documents are read from its
//! record graphs, with the MQA score and rating of their DQV assessment and their duplicate
//! cluster, and synchronised into the index (only what changed is rewritten). `serve` repairs
//! the index at start-up the same way; `fedcat reindex` rebuilds it from scratch.

use crate::DomainConfig;
use crate::DomainError;
use fedcat_catalog::Catalog;
use fedcat_catalog::oxigraph::model::Term;
use fedcat_catalog::search::{SearchDocument, SearchIndex};
use fedcat_catalog::storage::RecordFingerprint;
use std::collections::HashMap;
use std::sync::Arc;

/// Where the index lives.
pub fn index_dir(config: &DomainConfig) -> std::path::PathBuf {
    config.data_dir.join("search")
}

/// How many records the sync compares and writes at a time: memory is one batch of
/// documents, whatever the size of the source.
const SYNC_BATCH: usize = 1000;

/// What every document of a source gets besides its record: its score and rating (by quality
/// graph IRI), when its record last changed and its cluster (by record graph IRI).
struct SourceFacts {
    scores: HashMap<String, (u64, Option<String>)>,
    changed: HashMap<String, String>,
    memberships: Arc<HashMap<String, (String, bool)>>,
}

/// A batch of records of `source` as the index should hold them. Only the records whose
/// content hash differs from the indexed document's (`indexed`) are read from the store; every
/// document then gets the current score, rating and cluster.
fn batch_documents(
    catalog: &Catalog,
    source: &str,
    batch: Vec<(String, RecordFingerprint)>,
    indexed: &HashMap<String, SearchDocument>,
    facts: &SourceFacts,
) -> Result<Vec<SearchDocument>, DomainError> {
    let iris = catalog.iris();
    let mut documents = Vec::with_capacity(batch.len());
    for (key, fingerprint) in batch {
        let (hash, first_seen) = (fingerprint.content_hash, fingerprint.first_seen_at);
        let known = indexed
            .get(&format!("{source}/{key}"))
            .filter(|d| d.content_hash.as_deref() == Some(hash.as_str()))
            .cloned();
        let document = match known {
            Some(document) => Some(document),
            None => {
                let graph = iris.record_graph(source, &key);
                let triples = catalog.graphs().graph_triples(graph.as_ref())?;
                SearchDocument::from_graph(source, &key, &triples).map(|mut d| {
                    d.content_hash = Some(hash.clone());
                    d
                })
            }
        };
        let Some(mut document) = document else {
            continue;
        };
        let (score, rating) = facts
            .scores
            .get(iris.quality_graph(source, &key).as_str())
            .cloned()
            .map_or((None, None), |(s, r)| (Some(s), r));
        let record_graph = iris.record_graph(source, &key);
        document.record_created = Some(first_seen);
        document.record_changed = facts.changed.get(record_graph.as_str()).cloned();
        document.mqa_score = score;
        document.rating = rating;
        let membership = facts.memberships.get(record_graph.as_str());
        document.cluster = membership.map(|(cluster, _)| cluster.clone());
        document.primary = membership.is_none_or(|(_, primary)| *primary);
        documents.push(document);
    }
    Ok(documents)
}

/// Stages the changes of one source in the index, [`SYNC_BATCH`] records at a time: new and
/// changed documents written, those of records gone deleted. Returns (written, deleted).
async fn sync_source(
    catalog: &Catalog,
    index: &SearchIndex,
    memberships: &Arc<HashMap<String, (String, bool)>>,
    source: &str,
) -> Result<(usize, usize), DomainError> {
    let mut fingerprints: Vec<(String, RecordFingerprint)> = catalog
        .records()
        .record_fingerprints(source)
        .await?
        .into_iter()
        .collect();
    fingerprints.sort_unstable_by(|a, b| a.0.cmp(&b.0));
    // What is indexed now; the ids still present are taken out batch by batch, the rest are
    // the documents of records gone.
    let mut gone = index.source_ids(source)?;
    let facts = {
        let catalog = catalog.clone();
        let source = source.to_owned();
        let memberships = memberships.clone();
        Arc::new(
            tokio::task::spawn_blocking(move || {
                Ok::<_, DomainError>(SourceFacts {
                    scores: quality_of(&catalog, &source)?,
                    changed: record_changed(&catalog, &source)?,
                    memberships,
                })
            })
            .await??,
        )
    };
    let mut written = 0;
    let mut remaining = fingerprints.into_iter();
    loop {
        let batch: Vec<(String, RecordFingerprint)> = remaining.by_ref().take(SYNC_BATCH).collect();
        if batch.is_empty() {
            break;
        }
        let ids: Vec<String> = batch
            .iter()
            .map(|(key, _)| format!("{source}/{key}"))
            .collect();
        for id in &ids {
            gone.remove(id);
        }
        let indexed = index.documents_by_id(&ids)?;
        let (documents, indexed) = {
            let catalog = catalog.clone();
            let source = source.to_owned();
            let facts = facts.clone();
            tokio::task::spawn_blocking(move || {
                let documents = batch_documents(&catalog, &source, batch, &indexed, &facts)?;
                Ok::<_, DomainError>((documents, indexed))
            })
            .await??
        };
        written += index.stage_changes(&indexed, documents)?;
    }
    let deleted = index.stage_deletions(&gone);
    Ok((written, deleted))
}

/// Record graph IRI → when it was last written (its `prov:generatedAtTime` in the meta graph:
/// a record is written again only when its content changed).
fn record_changed(catalog: &Catalog, source: &str) -> Result<HashMap<String, String>, DomainError> {
    let rows = crate::report::select(
        catalog.graphs(),
        &format!(
            "SELECT ?g ?t WHERE {{ GRAPH <{meta}> {{
               ?g <http://www.w3.org/ns/prov#generatedAtTime> ?t ;
                  <http://purl.org/dc/terms/isPartOf> <{catalogue}> }} }}",
            meta = catalog.iris().meta_graph().as_str(),
            catalogue = catalog.iris().source_catalog(source).as_str()
        ),
    )?;
    Ok(rows
        .into_iter()
        .filter_map(|row| match (&row[0], &row[1]) {
            (Some(Term::NamedNode(graph)), Some(Term::Literal(time))) => {
                Some((graph.as_str().to_owned(), time.value().to_owned()))
            }
            _ => None,
        })
        .collect())
}

/// Quality graph IRI → (MQA score, rating) for the records of `source`.
fn quality_of(
    catalog: &Catalog,
    source: &str,
) -> Result<HashMap<String, (u64, Option<String>)>, DomainError> {
    let prefix = catalog.iris().quality_graph(source, "");
    let rows = crate::report::select(
        catalog.graphs(),
        &format!(
            "PREFIX dqv: <http://www.w3.org/ns/dqv#>
             SELECT ?g ?score ?rating WHERE {{ GRAPH ?g {{
               ?d dqv:hasQualityMeasurement ?m .
               ?m dqv:isMeasurementOf <https://piveau.eu/ns/voc#scoring> ; dqv:value ?score .
               OPTIONAL {{ ?a <http://www.w3.org/ns/oa#hasTarget> ?d ;
                             <http://www.w3.org/ns/oa#hasBody> ?rating }} }}
               FILTER(STRSTARTS(STR(?g), \"{}\")) }}",
            prefix.as_str()
        ),
    )?;
    Ok(rows
        .into_iter()
        .filter_map(|row| {
            let Some(Term::NamedNode(graph)) = &row[0] else {
                return None;
            };
            let score = match &row[1] {
                Some(Term::Literal(l)) => l.value().parse().ok()?,
                _ => return None,
            };
            // piveau's rating IRIs end in #excellent, #good, #enough, #bad.
            let rating = match &row[2] {
                Some(Term::NamedNode(body)) => body.as_str().rsplit('#').next().map(|r| {
                    if r == "enough" {
                        "sufficient".to_owned()
                    } else {
                        r.to_owned()
                    }
                }),
                _ => None,
            };
            Some((graph.as_str().to_owned(), (score, rating)))
        })
        .collect())
}

/// Brings the index up to date for `sources`, batch by batch, committed once at the end.
/// Returns (written, deleted).
pub async fn sync_sources(
    catalog: &Catalog,
    index: &SearchIndex,
    sources: &[&str],
) -> Result<(usize, usize), DomainError> {
    let memberships = Arc::new(catalog.cluster_memberships().await?);
    let (mut written, mut deleted) = (0, 0);
    for source in sources {
        let (source_written, source_deleted) =
            sync_source(catalog, index, &memberships, source).await?;
        written += source_written;
        deleted += source_deleted;
    }
    if written + deleted > 0 {
        index.commit()?;
    }
    Ok((written, deleted))
}

/// Brings the index up to date for every configured source, and drops the documents of sources
/// no longer configured. Returns (written, deleted).
pub async fn sync_all(
    config: &DomainConfig,
    catalog: &Catalog,
    index: &SearchIndex,
) -> Result<(usize, usize), DomainError> {
    let mut sources: Vec<&str> = config.source_ids.iter().map(String::as_str).collect();
    let gone: Vec<String> = index
        .indexed_sources()?
        .into_iter()
        .filter(|s| !sources.contains(&s.as_str()))
        .collect();
    sources.extend(gone.iter().map(String::as_str));
    sync_sources(catalog, index, &sources).await
}
