//! [`DedupState`]: what duplicate linking keeps between runs — each record's summary as the
//! linker last read it, its blocking keys, the scored links between records, and the cluster each
//! record belongs to — as typed rows. The linking itself (`crate::dedup`) decides what to write;
//! each write here is one transaction.

use crate::CatalogError;
use async_trait::async_trait;
use std::collections::BTreeSet;

/// A live record the linker has not summarised, or whose content changed since.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PendingRecord {
    /// Its record graph.
    pub graph_iri: String,
    /// The dataset it describes.
    pub dataset_iri: String,
    /// Its source.
    pub source_id: String,
    /// Its content hash now.
    pub content_hash: String,
    /// Its linker row, when it had one (a changed record).
    pub dedup_id: Option<i64>,
}

/// A record as the linker stored it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredMember {
    /// Its linker row id.
    pub id: i64,
    /// Its summary (JSON written by the linker).
    pub summary: String,
    /// The cluster it was in.
    pub cluster_id: Option<String>,
}

/// A scored link between two records (`a < b`).
#[derive(Debug, Clone, PartialEq)]
pub struct StoredLink {
    /// The smaller record id.
    pub a: i64,
    /// The larger record id.
    pub b: i64,
    /// The score.
    pub score: f64,
    /// The evidence (JSON written by the linker).
    pub evidence: String,
}

/// A link that appeared, changed or went.
#[derive(Debug, Clone, PartialEq)]
pub struct LinkChange {
    /// The smaller record id.
    pub a: i64,
    /// The larger record id.
    pub b: i64,
    /// Its score and evidence (JSON) now; `None`: the link went.
    pub link: Option<(f64, String)>,
}

/// A summary to store, with the record's blocking keys when they are to be kept.
#[derive(Debug, Clone)]
pub struct SummaryUpsert<'a> {
    /// Its record graph.
    pub graph_iri: &'a str,
    /// Its source.
    pub source_id: &'a str,
    /// Its content hash.
    pub content_hash: &'a str,
    /// Its summary as JSON.
    pub summary: String,
    /// Its blocking keys (`None`: written later, with every record's).
    pub keys: Option<Vec<u64>>,
}

/// What storing summaries changed: the new or kept row ids (in order), the blocking keys the
/// records held before and hold now, and the clusters they were in.
#[derive(Debug, Clone, Default)]
pub struct StoredSummaries {
    /// One id per upsert, in order.
    pub ids: Vec<i64>,
    /// Keys whose blocks changed.
    pub touched_keys: BTreeSet<u64>,
    /// Clusters the forgotten records were in.
    pub old_clusters: BTreeSet<String>,
}

/// Which cluster a record is in now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClusterAssignment {
    /// The record's linker row id.
    pub id: i64,
    /// Its cluster.
    pub cluster_id: String,
    /// Whether it is the cluster's primary.
    pub primary: bool,
}

/// A member of a cluster, as the duplicates report reads it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClusteredRecord {
    /// Its linker row id.
    pub id: i64,
    /// Its record graph.
    pub graph_iri: String,
    /// Its cluster.
    pub cluster_id: String,
    /// Its summary (JSON).
    pub summary: String,
    /// Whether it is the cluster's primary.
    pub primary: bool,
}

/// Duplicate linking's state.
#[async_trait]
pub trait DedupState: Send + Sync {
    /// Live records new to the linker or changed since it summarised them.
    async fn dedup_pending(&self) -> Result<Vec<PendingRecord>, CatalogError>;

    /// Linker rows whose record is no longer live.
    async fn dedup_removed(&self) -> Result<Vec<i64>, CatalogError>;

    /// The settings the links were last computed with.
    async fn dedup_settings(&self) -> Result<Option<String>, CatalogError>;

    /// Keeps the settings the links were computed with.
    async fn save_dedup_settings(&self, settings: &str) -> Result<(), CatalogError>;

    /// How many records the linker knows.
    async fn dedup_record_count(&self) -> Result<i64, CatalogError>;

    /// (clusters, records in a cluster).
    async fn dedup_totals(&self) -> Result<(i64, i64), CatalogError>;

    /// In one transaction: forgets the keys and links of `forget` (collecting the keys they
    /// held and the clusters they were in), deletes the rows of `delete`, and inserts or updates
    /// `upserts` with their keys.
    async fn store_dedup_summaries(
        &self,
        forget: &[i64],
        delete: &[i64],
        upserts: &[SummaryUpsert<'_>],
    ) -> Result<StoredSummaries, CatalogError>;

    /// Every record the linker knows, by id.
    async fn dedup_members(&self) -> Result<Vec<StoredMember>, CatalogError>;

    /// One record the linker knows.
    async fn dedup_member(&self, id: i64) -> Result<Option<StoredMember>, CatalogError>;

    /// In one transaction: replaces every key, link and cluster assignment.
    async fn replace_dedup_links(
        &self,
        keys: &[(i64, Vec<u64>)],
        links: &[StoredLink],
        clusters: &[ClusterAssignment],
    ) -> Result<(), CatalogError>;

    /// The records holding blocking key `key`, with their sources, at most `limit`.
    async fn dedup_block(&self, key: u64, limit: usize)
    -> Result<Vec<(i64, String)>, CatalogError>;

    /// The link between `a` and `b` (`a < b`): (score, evidence).
    async fn dedup_link(&self, a: i64, b: i64) -> Result<Option<(f64, String)>, CatalogError>;

    /// The links of record `id`, either end.
    async fn dedup_links_of(&self, id: i64) -> Result<Vec<StoredLink>, CatalogError>;

    /// In one transaction: writes or updates each link, and removes those given without one.
    async fn apply_dedup_link_changes(&self, changes: &[LinkChange]) -> Result<(), CatalogError>;

    /// The records of a cluster.
    async fn dedup_cluster_members(&self, cluster_id: &str) -> Result<Vec<i64>, CatalogError>;

    /// Every cluster id in use.
    async fn dedup_cluster_ids(&self) -> Result<Vec<String>, CatalogError>;

    /// In one transaction: takes `reset` out of any cluster, then assigns `clusters`.
    async fn assign_dedup_clusters(
        &self,
        reset: &[i64],
        clusters: &[ClusterAssignment],
    ) -> Result<(), CatalogError>;

    /// Every record in a cluster, ordered by cluster, primary first, then record graph.
    async fn clustered_records(&self) -> Result<Vec<ClusteredRecord>, CatalogError>;

    /// Every record in a cluster: (record graph, cluster id, is the primary).
    async fn dedup_memberships(&self) -> Result<Vec<(String, String, bool)>, CatalogError>;
}
