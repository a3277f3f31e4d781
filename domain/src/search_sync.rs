//! Keeping the search index in step with the store: each source's documents are read from its
//! record graphs, with the MQA score and rating of their DQV assessment and their duplicate
//! cluster, and synchronised into the index (only what changed is rewritten). `serve` repairs
//! the index at start-up the same way; `fedcat reindex` rebuilds it from scratch.

use crate::DomainConfig;
use crate::DomainError;
use fedcat_catalog::Catalog;
use fedcat_catalog::oxigraph::model::Term;
use fedcat_catalog::search::{SearchDocument, SearchIndex};
use std::collections::HashMap;

/// Where the index lives.
pub fn index_dir(config: &DomainConfig) -> std::path::PathBuf {
    config.data_dir.join("search")
}

/// Every dataset of `source` as the index should hold it. Only the records whose content hash
/// differs from the indexed document's are read from the store; every document then gets the
/// current score, rating and cluster.
async fn source_documents(
    catalog: &Catalog,
    indexed: Vec<SearchDocument>,
    memberships: &HashMap<String, (String, bool)>,
    source: &str,
) -> Result<Vec<SearchDocument>, DomainError> {
    let memberships = memberships.clone();
    let hashes = catalog.records().record_fingerprints(source).await?;
    let prefix = format!("{source}/");
    let mut indexed: HashMap<String, SearchDocument> = indexed
        .into_iter()
        .filter_map(|d| Some((d.id.strip_prefix(&prefix)?.to_owned(), d)))
        .collect();
    let catalog = catalog.clone();
    let source = source.to_owned();
    tokio::task::spawn_blocking(move || {
        let iris = catalog.iris();
        let scores = quality_of(&catalog, &source)?;
        let changed = record_changed(&catalog, &source)?;
        let mut documents = Vec::with_capacity(hashes.len());
        for (key, fingerprint) in hashes {
            let (hash, first_seen) = (fingerprint.content_hash, fingerprint.first_seen_at);
            let known = indexed
                .remove(&key)
                .filter(|d| d.content_hash.as_deref() == Some(hash.as_str()));
            let document = match known {
                Some(document) => Some(document),
                None => {
                    let graph = iris.record_graph(&source, &key);
                    let triples = catalog.graphs().graph_triples(graph.as_ref())?;
                    SearchDocument::from_graph(&source, &key, &triples).map(|mut d| {
                        d.content_hash = Some(hash.clone());
                        d
                    })
                }
            };
            let Some(mut document) = document else {
                continue;
            };
            let (score, rating) = scores
                .get(iris.quality_graph(&source, &key).as_str())
                .cloned()
                .map_or((None, None), |(s, r)| (Some(s), r));
            document.record_created = Some(first_seen);
            document.record_changed = changed
                .get(iris.record_graph(&source, &key).as_str())
                .cloned();
            document.mqa_score = score;
            document.rating = rating;
            let membership = memberships.get(iris.record_graph(&source, &key).as_str());
            document.cluster = membership.map(|(cluster, _)| cluster.clone());
            document.primary = membership.is_none_or(|(_, primary)| *primary);
            documents.push(document);
        }
        Ok(documents)
    })
    .await?
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

/// Brings the index up to date for `sources`. Returns (written, deleted).
pub async fn sync_sources(
    catalog: &Catalog,
    index: &SearchIndex,
    sources: &[&str],
) -> Result<(usize, usize), DomainError> {
    // Read once for all sources: the cluster memberships, and each source's indexed documents
    // (used both to skip unchanged records and to find what to rewrite).
    let memberships = catalog.cluster_memberships().await?;
    let mut documents = Vec::new();
    let mut indexed_by_id = HashMap::new();
    for source in sources {
        let indexed = index.documents(Some(source))?;
        indexed_by_id.extend(indexed.iter().map(|d| (d.id.clone(), d.clone())));
        documents.extend(source_documents(catalog, indexed, &memberships, source).await?);
    }
    Ok(index.sync_against(indexed_by_id, documents)?)
}

/// Brings the index up to date for every configured source, and drops the documents of sources
/// no longer configured. Returns (written, deleted).
pub async fn sync_all(
    config: &DomainConfig,
    catalog: &Catalog,
    index: &SearchIndex,
) -> Result<(usize, usize), DomainError> {
    let mut sources: Vec<&str> = config.source_ids.iter().map(String::as_str).collect();
    let indexed = index.ids_by_source()?;
    let gone: Vec<String> = indexed
        .keys()
        .filter(|s| !sources.contains(&s.as_str()))
        .cloned()
        .collect();
    sources.extend(gone.iter().map(String::as_str));
    sync_sources(catalog, index, &sources).await
}
