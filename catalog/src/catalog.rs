//! [`Catalog`]: the write path of a harvest. It compares each record's canonical hash with the
//! state database, rewrites only the records that changed (one Oxigraph transaction per page),
//! keeps their provenance in the metadata graph, and deletes records missing from a complete
//! listing.

use crate::hash::content_hash;
use crate::storage::{
    GraphReplacement, GraphStore, JobState, NewSource, OxigraphStore, QualityState, RecordState,
    RecordUpsert, SqliteState, StateStore, now_text, time_text,
};
use crate::vocab::{dcat, dct, fedcat, foaf, prov};
use crate::{CatalogError, IriMinter};
use oxigraph::model::vocab::{rdf, xsd};
use oxigraph::model::{GraphName, Literal, NamedNode, Quad, Triple};
use std::path::Path;
use std::sync::Arc;

/// One harvested record, ready to store: its key in the source, the IRI of the dataset it
/// describes, its triples, and the URL it was read from.
#[derive(Debug, Clone)]
pub struct RecordGraph {
    /// Key of the record in its source (CKAN package id, dataset IRI…), unique per source.
    pub key: String,
    /// The `dcat:Dataset` the record describes.
    pub dataset: NamedNode,
    /// Every triple of the record.
    pub triples: Vec<Triple>,
    /// The page or record URL the record was read from.
    pub source_url: String,
}

/// What writing a page of records did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct WriteCounts {
    /// New records.
    pub added: u64,
    /// Changed records.
    pub updated: u64,
    /// Records whose content hash did not change.
    pub unchanged: u64,
}

/// How many stale records are deleted per transaction.
const DELETE_BATCH: i64 = 500;

/// The catalogue: RDF store + state database + IRI minting.
#[derive(Clone)]
pub struct Catalog {
    graphs: Arc<dyn GraphStore>,
    pub(crate) state: Arc<dyn StateStore>,
    iris: IriMinter,
    /// One update of the duplicate links at a time (jobs of several sources may end together).
    pub(crate) dedup_lock: std::sync::Arc<tokio::sync::Mutex<()>>,
    /// This process's name as a lease holder.
    pub(crate) holder: String,
}

impl Catalog {
    /// Opens the catalogue in `data_dir` (creating `oxigraph/` and `state.sqlite` on first run).
    pub async fn open(data_dir: &Path, base_iri: &str) -> Result<Self, CatalogError> {
        std::fs::create_dir_all(data_dir).map_err(|source| CatalogError::DataDir {
            path: data_dir.to_owned(),
            source,
        })?;
        let store_dir = data_dir.join("oxigraph");
        let store = tokio::task::spawn_blocking(move || OxigraphStore::open(&store_dir)).await??;
        let state = Arc::new(SqliteState::open(&data_dir.join("state.sqlite")).await?);
        Ok(Self {
            graphs: Arc::new(store),
            state,
            iris: IriMinter::new(base_iri)?,
            dedup_lock: Default::default(),
            holder: crate::lease::holder_name(),
        })
    }

    /// A catalogue whose RDF store lives in memory, with its state database at `state_path`.
    pub async fn open_with_memory_store(
        state_path: &Path,
        base_iri: &str,
    ) -> Result<Self, CatalogError> {
        Ok(Self {
            graphs: Arc::new(OxigraphStore::in_memory()?),
            state: Arc::new(SqliteState::open(state_path).await?),
            iris: IriMinter::new(base_iri)?,
            dedup_lock: Default::default(),
            holder: crate::lease::holder_name(),
        })
    }

    /// Replaces whole derived graphs (quality assessments, metric definitions), each with its
    /// new quads, in one transaction.
    pub async fn replace_derived_graphs(
        &self,
        graphs: Vec<(NamedNode, Vec<Quad>)>,
    ) -> Result<(), CatalogError> {
        let store = self.graphs.clone();
        tokio::task::spawn_blocking(move || store.replace_graphs(&graphs)).await?
    }

    /// The RDF store: record graphs, derived graphs and SPARQL.
    pub fn graphs(&self) -> &dyn GraphStore {
        &*self.graphs
    }

    /// A shared handle on the RDF store, to read it on a blocking thread or serve it.
    pub fn graph_store(&self) -> Arc<dyn GraphStore> {
        self.graphs.clone()
    }

    /// Sources, jobs, their errors and leases.
    pub fn jobs(&self) -> &dyn JobState {
        &*self.state
    }

    /// Record fingerprints, page memos and value issues.
    pub fn records(&self) -> &dyn RecordState {
        &*self.state
    }

    /// Link checks, file samples and indicator snapshots.
    pub fn quality_state(&self) -> &dyn QualityState {
        &*self.state
    }

    /// Duplicate linking's summaries, keys, links and clusters.
    pub(crate) fn dedup_state(&self) -> &dyn crate::storage::DedupState {
        &*self.state
    }

    /// The IRI minter.
    pub fn iris(&self) -> &IriMinter {
        &self.iris
    }

    /// Registers a source: its state row, and its `dcat:Catalog` inside the unified catalogue.
    pub async fn register_source(&self, source: &NewSource<'_>) -> Result<(), CatalogError> {
        self.state.upsert_source(source).await?;
        let (id, title, url) = (source.id, source.title, source.url);
        let meta = GraphName::NamedNode(self.iris.meta_graph());
        let root = self.iris.catalog();
        let catalog = self.iris.source_catalog(id);
        let mut quads = vec![
            Quad::new(root.clone(), rdf::TYPE, dcat::CATALOG, meta.clone()),
            Quad::new(
                root.clone(),
                dct::TITLE,
                Literal::new_simple_literal("fedcat unified catalogue"),
                meta.clone(),
            ),
            Quad::new(root, dcat::HAS_CATALOG, catalog.clone(), meta.clone()),
            Quad::new(catalog.clone(), rdf::TYPE, dcat::CATALOG, meta.clone()),
            Quad::new(
                catalog.clone(),
                dct::TITLE,
                Literal::new_simple_literal(title),
                meta.clone(),
            ),
        ];
        if let Ok(homepage) = NamedNode::new(url) {
            quads.push(Quad::new(catalog.clone(), foaf::HOMEPAGE, homepage, meta));
        }
        let store = self.graphs.clone();
        let meta_graph = self.iris.meta_graph();
        tokio::task::spawn_blocking(move || {
            store.set_values(
                meta_graph.as_ref(),
                catalog.as_ref(),
                &[dct::TITLE, foaf::HOMEPAGE],
                &quads,
            )
        })
        .await??;
        Ok(())
    }

    /// Starts a harvest job for a source: a state row and a `prov:Activity`.
    pub async fn start_job(&self, source_id: &str) -> Result<i64, CatalogError> {
        let (job_id, started_at) = self.state.start_job(source_id).await?;
        let meta = GraphName::NamedNode(self.iris.meta_graph());
        let job = self.iris.job(job_id);
        let quads = vec![
            Quad::new(job.clone(), rdf::TYPE, prov::ACTIVITY, meta.clone()),
            Quad::new(
                job.clone(),
                prov::STARTED_AT_TIME,
                Literal::new_typed_literal(time_text(&started_at), xsd::DATE_TIME),
                meta.clone(),
            ),
            Quad::new(job, prov::USED, self.iris.source_catalog(source_id), meta),
        ];
        let store = self.graphs.clone();
        tokio::task::spawn_blocking(move || store.insert_all(&quads)).await??;
        Ok(job_id)
    }

    /// Writes one page of records of `source_id` for `job_id`: unchanged records are only
    /// marked as seen, new and changed ones replace their graph atomically.
    #[expect(
        clippy::too_many_lines,
        reason = "the write path of one page in order: hash, compare with the state, build the graph replacements with their provenance, replace, record the rows; each step hands the next its indexes into the page"
    )]
    pub async fn write_records(
        &self,
        source_id: &str,
        job_id: i64,
        records: Vec<RecordGraph>,
    ) -> Result<WriteCounts, CatalogError> {
        let mut counts = WriteCounts::default();
        if records.is_empty() {
            return Ok(counts);
        }
        // Hashing is CPU work (RDFC-1.0); keep it off the async threads.
        let (records, hashes) = tokio::task::spawn_blocking(move || {
            let hashes: Result<Vec<String>, CatalogError> = records
                .iter()
                .map(|r| content_hash(&r.key, &r.triples))
                .collect();
            hashes.map(|h| (records, h))
        })
        .await??;

        let keys: Vec<&str> = records.iter().map(|r| r.key.as_str()).collect();
        let known = self.state.known_records(source_id, &keys).await?;

        let now = now_text();
        let meta_graph = self.iris.meta_graph();
        let source_catalog = self.iris.source_catalog(source_id);
        let job = self.iris.job(job_id);
        let mut replacements = Vec::new();
        let mut upserts_idx = Vec::new();
        let mut unchanged_keys = Vec::new();
        for (index, (record, hash)) in records.iter().zip(&hashes).enumerate() {
            match &known[index] {
                Some(k) if !k.deleted && &k.content_hash == hash => {
                    counts.unchanged += 1;
                    unchanged_keys.push(record.key.as_str());
                    continue;
                }
                Some(k) if !k.deleted => counts.updated += 1,
                _ => counts.added += 1,
            }
            let graph = self.iris.record_graph(source_id, &record.key);
            let graph_name = GraphName::NamedNode(graph.clone());
            let quads = record
                .triples
                .iter()
                .map(|t| t.clone().in_graph(graph_name.clone()))
                .collect();
            let meta = provenance_quads(ProvenanceInput {
                meta_graph: &meta_graph,
                graph: &graph,
                record,
                hash,
                job: &job,
                source_catalog: &source_catalog,
                at: &now,
            });
            replacements.push(GraphReplacement {
                graph,
                quads,
                meta,
                replaces: known[index].is_some(),
            });
            upserts_idx.push(index);
        }

        if !replacements.is_empty() {
            let store = self.graphs.clone();
            let meta_for_task = meta_graph.clone();
            let replacements = tokio::task::spawn_blocking(move || {
                store
                    .replace_record_graphs(meta_for_task.as_ref(), &replacements)
                    .map(|()| replacements)
            })
            .await??;
            let graph_iris: Vec<&str> = replacements.iter().map(|r| r.graph.as_str()).collect();
            let upserts: Vec<RecordUpsert<'_>> = upserts_idx
                .iter()
                .zip(&graph_iris)
                .map(|(&index, graph_iri)| RecordUpsert {
                    record_key: &records[index].key,
                    graph_iri,
                    dataset_iri: records[index].dataset.as_str(),
                    content_hash: &hashes[index],
                    source_url: &records[index].source_url,
                })
                .collect();
            self.state
                .upsert_records(source_id, job_id, &upserts)
                .await?;
        }
        if !unchanged_keys.is_empty() {
            self.state
                .touch_records(source_id, job_id, &unchanged_keys)
                .await?;
        }
        Ok(counts)
    }

    /// Marks records as seen by `job_id` without changing them (records that failed to map
    /// this time keep their stored version and are not deleted).
    pub async fn mark_seen(
        &self,
        source_id: &str,
        job_id: i64,
        keys: &[&str],
    ) -> Result<(), CatalogError> {
        if keys.is_empty() {
            return Ok(());
        }
        self.state.touch_records(source_id, job_id, keys).await
    }

    /// Deletes the live records of `source_id` that `job_id` did not see. Call only after a
    /// complete, successful listing. Returns how many were deleted; each keeps a tombstone.
    pub async fn delete_unseen(&self, source_id: &str, job_id: i64) -> Result<u64, CatalogError> {
        let mut deleted = 0;
        let meta = GraphName::NamedNode(self.iris.meta_graph());
        let source_catalog = self.iris.source_catalog(source_id);
        loop {
            let stale = self
                .state
                .stale_records(source_id, job_id, DELETE_BATCH)
                .await?;
            if stale.is_empty() {
                return Ok(deleted);
            }
            let graphs: Vec<NamedNode> = stale
                .iter()
                .map(|s| NamedNode::new_unchecked(s.graph_iri.clone()))
                .collect();
            let links: Vec<Quad> = stale
                .iter()
                .flat_map(|s| {
                    [
                        Quad::new(
                            source_catalog.clone(),
                            dcat::HAS_DATASET,
                            NamedNode::new_unchecked(s.dataset_iri.clone()),
                            meta.clone(),
                        ),
                        Quad::new(
                            source_catalog.clone(),
                            dcat::HAS_RECORD,
                            NamedNode::new_unchecked(s.graph_iri.clone()),
                            meta.clone(),
                        ),
                    ]
                })
                .collect();
            let store = self.graphs.clone();
            let meta_graph = self.iris.meta_graph();
            tokio::task::spawn_blocking(move || {
                store.remove_record_graphs(meta_graph.as_ref(), &graphs, &links)
            })
            .await??;
            let keys: Vec<&str> = stale.iter().map(|s| s.record_key.as_str()).collect();
            self.state.mark_deleted(source_id, job_id, &keys).await?;
            deleted += stale.len() as u64;
        }
    }
}

struct ProvenanceInput<'a> {
    meta_graph: &'a NamedNode,
    graph: &'a NamedNode,
    record: &'a RecordGraph,
    hash: &'a str,
    job: &'a NamedNode,
    source_catalog: &'a NamedNode,
    at: &'a str,
}

/// The metadata quads describing one record graph: a `dcat:CatalogRecord` and `prov:Entity`
/// whose primary topic is the dataset, generated by the job from the page URL.
fn provenance_quads(input: ProvenanceInput<'_>) -> Vec<Quad> {
    let meta = GraphName::NamedNode(input.meta_graph.clone());
    let graph = input.graph.clone();
    let mut quads = vec![
        Quad::new(graph.clone(), rdf::TYPE, dcat::CATALOG_RECORD, meta.clone()),
        Quad::new(graph.clone(), rdf::TYPE, prov::ENTITY, meta.clone()),
        Quad::new(
            graph.clone(),
            foaf::PRIMARY_TOPIC,
            input.record.dataset.clone(),
            meta.clone(),
        ),
        Quad::new(
            graph.clone(),
            prov::WAS_GENERATED_BY,
            input.job.clone(),
            meta.clone(),
        ),
        Quad::new(
            graph.clone(),
            prov::GENERATED_AT_TIME,
            Literal::new_typed_literal(input.at, xsd::DATE_TIME),
            meta.clone(),
        ),
        Quad::new(
            graph.clone(),
            fedcat::CONTENT_HASH,
            Literal::new_simple_literal(input.hash),
            meta.clone(),
        ),
        Quad::new(
            graph.clone(),
            fedcat::RECORD_KEY,
            Literal::new_simple_literal(&input.record.key),
            meta.clone(),
        ),
        Quad::new(
            graph.clone(),
            dct::IS_PART_OF,
            input.source_catalog.clone(),
            meta.clone(),
        ),
        Quad::new(
            input.source_catalog.clone(),
            dcat::HAS_RECORD,
            graph.clone(),
            meta.clone(),
        ),
        Quad::new(
            input.source_catalog.clone(),
            dcat::HAS_DATASET,
            input.record.dataset.clone(),
            meta.clone(),
        ),
    ];
    if let Ok(url) = NamedNode::new(&input.record.source_url) {
        quads.push(Quad::new(graph, prov::HAD_PRIMARY_SOURCE, url, meta));
    }
    quads
}
