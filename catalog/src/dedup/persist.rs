//! Keeping the links up to date: [`Catalog::link_duplicates`] compares the records table with
//! what the linker last summarised, re-reads only new and changed record graphs, re-scores only
//! the pairs in the blocks those records touch, recomputes only the clusters they belong to
//! (before and after), and rewrites only those clusters in the links graph. A change of settings
//! (threshold, source priorities) or a change touching a large share of the catalogue runs the
//! in-memory linker over everything instead.

use super::cluster::{
    Evidence, Features, KeyClass, Link, MAX_BLOCK, RecordSummary, UnionFind, accept, block_pairs,
    compare, key_class, link,
};
use super::rdf::cluster_quads;
use super::summary::{RecordRef, summarize};
use crate::storage::{
    ClusterAssignment, DedupState, LinkChange, PendingRecord, StoredLink, StoredSummaries,
    SummaryUpsert,
};
use crate::{Catalog, CatalogError};
use sha2::{Digest, Sha256};
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

/// How duplicates are linked.
#[derive(Debug, Clone, PartialEq)]
pub struct DedupOptions {
    /// Pairs scoring this or more (0–1) are linked.
    pub threshold: f64,
    /// Source priorities: the member of the highest-priority source is a cluster's primary.
    pub priorities: BTreeMap<String, i64>,
}

impl Default for DedupOptions {
    fn default() -> Self {
        Self {
            threshold: DEFAULT_THRESHOLD,
            priorities: BTreeMap::new(),
        }
    }
}

/// The default link threshold.
pub const DEFAULT_THRESHOLD: f64 = 0.7;

/// Below this many changed records an update is always incremental.
const INCREMENTAL_MIN: usize = 2000;

/// What one update of the links did.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct DedupReport {
    /// Everything was recomputed (first run, new settings, or a large change).
    pub full: bool,
    /// Records (re)summarised from their graphs.
    pub summarised: usize,
    /// Records gone from the catalogue.
    pub removed: usize,
    /// Candidate pairs compared.
    pub candidates: usize,
    /// Clusters rewritten in the links graph.
    pub clusters_written: usize,
    /// Clusters in the catalogue after the update.
    pub clusters: usize,
    /// Records in a cluster after the update.
    pub linked_records: usize,
}

/// One cluster as the report shows it.
#[derive(Debug, Clone)]
pub struct ClusterView {
    /// Cluster IRI.
    pub iri: String,
    /// Members: the primary first.
    pub members: Vec<MemberView>,
    /// Links between members.
    pub links: Vec<LinkView>,
}

/// A cluster member.
#[derive(Debug, Clone)]
pub struct MemberView {
    /// Source id.
    pub source: String,
    /// Dataset IRI.
    pub dataset: String,
    /// Title.
    pub title: String,
    /// The cluster's primary member.
    pub primary: bool,
}

/// A link between two members.
#[derive(Debug, Clone)]
pub struct LinkView {
    /// Dataset IRIs of the two records.
    pub datasets: (String, String),
    /// Score.
    pub score: f64,
    /// Evidence.
    pub evidence: Vec<Evidence>,
}

/// A record as the linker stored it.
#[derive(Debug, Clone)]
pub(crate) struct Member {
    pub id: i64,
    pub summary: RecordSummary,
    pub old_cluster: Option<String>,
}

fn settings_text(options: &DedupOptions) -> String {
    serde_json::json!({"threshold": options.threshold, "priorities": options.priorities})
        .to_string()
}

fn summary_json(summary: &RecordSummary) -> String {
    serde_json::to_string(summary).expect("a summary serialises")
}

fn parse_summary(text: &str) -> Result<RecordSummary, CatalogError> {
    serde_json::from_str(text).map_err(|e| CatalogError::Dedup(format!("stored summary: {e}")))
}

fn evidence_json(evidence: &[Evidence]) -> String {
    serde_json::to_string(evidence).expect("evidence serialises")
}

fn parse_evidence(text: &str) -> Result<Vec<Evidence>, CatalogError> {
    serde_json::from_str(text).map_err(|e| CatalogError::Dedup(format!("stored evidence: {e}")))
}

/// The primary of a cluster: highest source priority, then a record that is not an
/// aggregator's copy, then the most complete, then the smallest dataset IRI.
pub(crate) fn primary_index(members: &[&RecordSummary], options: &DedupOptions) -> usize {
    let priority = |s: &RecordSummary| options.priorities.get(&s.source).copied().unwrap_or(0);
    (0..members.len())
        .max_by(|&a, &b| {
            let (x, y) = (members[a], members[b]);
            priority(x)
                .cmp(&priority(y))
                .then((!x.is_copy).cmp(&!y.is_copy))
                .then(x.completeness.cmp(&y.completeness))
                .then(y.dataset.cmp(&x.dataset))
        })
        .unwrap_or(0)
}

/// Cluster ids for new components, stable across updates: a component keeps the old id most of
/// its members had (a larger component first); a component without one gets an id derived from
/// its smallest record graph IRI, made unique against `in_use`.
pub(crate) fn assign_cluster_ids(
    components: &[Vec<&Member>],
    in_use: &HashSet<String>,
) -> Vec<String> {
    let mut order: Vec<usize> = (0..components.len()).collect();
    order.sort_by_key(|&i| {
        (
            std::cmp::Reverse(components[i].len()),
            components[i]
                .iter()
                .map(|m| m.summary.id.clone())
                .min()
                .unwrap_or_default(),
        )
    });
    let mut claimed: HashSet<String> = HashSet::new();
    let mut ids = vec![String::new(); components.len()];
    for index in order {
        let mut votes: BTreeMap<&str, usize> = BTreeMap::new();
        for member in &components[index] {
            if let Some(old) = &member.old_cluster {
                *votes.entry(old.as_str()).or_default() += 1;
            }
        }
        let kept = votes
            .iter()
            .filter(|(id, _)| !claimed.contains(**id))
            .max_by(|a, b| a.1.cmp(b.1).then(b.0.cmp(a.0)))
            .map(|(id, _)| (*id).to_owned());
        let id = kept.unwrap_or_else(|| {
            let smallest = components[index]
                .iter()
                .map(|m| m.summary.id.as_str())
                .min()
                .unwrap_or_default();
            (0u32..)
                .map(|n| {
                    let mut hasher = Sha256::new();
                    hasher.update(smallest.as_bytes());
                    if n > 0 {
                        hasher.update(n.to_le_bytes());
                    }
                    let digest = hasher.finalize();
                    digest[..8].iter().map(|b| format!("{b:02x}")).collect()
                })
                .find(|id: &String| !claimed.contains(id) && !in_use.contains(id))
                .expect("an unused id")
        });
        claimed.insert(id.clone());
        ids[index] = id;
    }
    ids
}

impl Catalog {
    /// Brings the duplicate links up to date with the records: incremental when few records
    /// changed since the last update, complete otherwise. Safe to call after every harvest.
    pub async fn link_duplicates(
        &self,
        options: &DedupOptions,
        progress: &(dyn Fn(&str) + Sync),
    ) -> Result<DedupReport, CatalogError> {
        let _guard = self.dedup_lock.lock().await;
        let state = self.dedup_state();
        let changed = state.dedup_pending().await?;
        let removed = state.dedup_removed().await?;
        let stored_settings = state.dedup_settings().await?;
        let total = state.dedup_record_count().await?;
        let settings = settings_text(options);
        let work = changed.len() + removed.len();
        let full = stored_settings.as_deref() != Some(settings.as_str())
            || work > INCREMENTAL_MIN.max(usize::try_from(total).unwrap_or(0) / 5);
        if work == 0 && !full {
            return self.dedup_totals(DedupReport::default()).await;
        }
        progress(&format!(
            "linking duplicates: {} new or changed record(s), {} removed{}",
            changed.len(),
            removed.len(),
            if full { ", full recompute" } else { "" }
        ));
        // Summaries of new and changed records, read from their graphs.
        let refs: Vec<RecordRef> = changed
            .iter()
            .map(|record| RecordRef {
                graph: record.graph_iri.clone(),
                dataset: record.dataset_iri.clone(),
                source: record.source_id.clone(),
            })
            .collect();
        let store = self.graph_store();
        let base = self.iris().base().to_owned();
        let summaries: Vec<RecordSummary> = tokio::task::spawn_blocking(move || {
            refs.iter()
                .map(|r| {
                    let graph = oxigraph::model::NamedNode::new_unchecked(r.graph.clone());
                    let triples = store.graph_triples(graph.as_ref())?;
                    Ok(summarize(r, &triples, &base))
                })
                .collect::<Result<Vec<_>, CatalogError>>()
        })
        .await??;
        let mut report = DedupReport {
            full,
            summarised: summaries.len(),
            removed: removed.len(),
            ..DedupReport::default()
        };
        if full {
            self.relink_everything(&changed, summaries, &removed, options, &mut report)
                .await?;
            state.save_dedup_settings(&settings).await?;
        } else {
            self.relink_incrementally(&changed, summaries, &removed, options, &mut report)
                .await?;
        }
        self.dedup_totals(report).await
    }

    async fn dedup_totals(&self, mut report: DedupReport) -> Result<DedupReport, CatalogError> {
        let (clusters, linked) = self.dedup_state().dedup_totals().await?;
        report.clusters = usize::try_from(clusters).unwrap_or(0);
        report.linked_records = usize::try_from(linked).unwrap_or(0);
        Ok(report)
    }

    /// Writes the summaries (and, with `write_keys`, the blocking keys) of changed records and
    /// forgets removed ones; returns their ids, the keys they held before and hold now, and the
    /// clusters they were in.
    async fn store_summaries(
        &self,
        changed: &[PendingRecord],
        summaries: &[RecordSummary],
        removed: &[i64],
        write_keys: bool,
    ) -> Result<StoredSummaries, CatalogError> {
        let forget: Vec<i64> = removed
            .iter()
            .copied()
            .chain(changed.iter().filter_map(|record| record.dedup_id))
            .collect();
        let upserts: Vec<SummaryUpsert<'_>> = changed
            .iter()
            .zip(summaries)
            .map(|(record, summary)| SummaryUpsert {
                graph_iri: &record.graph_iri,
                source_id: &record.source_id,
                content_hash: &record.content_hash,
                summary: summary_json(summary),
                keys: write_keys.then(|| Features::of(summary).blocking_keys()),
            })
            .collect();
        self.dedup_state()
            .store_dedup_summaries(&forget, removed, &upserts)
            .await
    }

    async fn relink_everything(
        &self,
        changed: &[PendingRecord],
        summaries: Vec<RecordSummary>,
        removed: &[i64],
        options: &DedupOptions,
        report: &mut DedupReport,
    ) -> Result<(), CatalogError> {
        self.store_summaries(changed, &summaries, removed, false)
            .await?;
        // Stored: every summary is read back below, once.
        drop(summaries);
        let mut members: Vec<Member> = Vec::new();
        for stored in self.dedup_state().dedup_members().await? {
            members.push(Member {
                id: stored.id,
                summary: parse_summary(&stored.summary)?,
                old_cluster: stored.cluster_id,
            });
        }
        // The summaries are lent to the linker's thread and given back, not copied.
        let records: Vec<RecordSummary> = members
            .iter_mut()
            .map(|m| std::mem::take(&mut m.summary))
            .collect();
        let threshold = options.threshold;
        let (linking, keys, records) = tokio::task::spawn_blocking(move || {
            let keys: Vec<Vec<u64>> = records
                .iter()
                .map(|r| Features::of(r).blocking_keys())
                .collect();
            (link(&records, threshold), keys, records)
        })
        .await?;
        for (member, summary) in members.iter_mut().zip(records) {
            member.summary = summary;
        }
        report.candidates = linking.candidates;
        let keys: Vec<(i64, Vec<u64>)> = members.iter().map(|m| m.id).zip(keys).collect();
        let links: Vec<StoredLink> = linking
            .links
            .iter()
            .map(|link| {
                let (a, b) = (members[link.pair.0].id, members[link.pair.1].id);
                StoredLink {
                    a: a.min(b),
                    b: a.max(b),
                    score: link.score,
                    evidence: evidence_json(&link.evidence),
                }
            })
            .collect();
        let components: Vec<Vec<&Member>> = linking
            .clusters
            .iter()
            .map(|c| c.iter().map(|&i| &members[i]).collect())
            .collect();
        let ids = assign_cluster_ids(&components, &HashSet::new());
        // Each link goes to its cluster, with member positions local to the cluster.
        let mut place: HashMap<usize, (usize, usize)> = HashMap::new();
        for (cluster, records) in linking.clusters.iter().enumerate() {
            for (position, &record) in records.iter().enumerate() {
                place.insert(record, (cluster, position));
            }
        }
        let mut cluster_links: Vec<Vec<Link<usize>>> = vec![Vec::new(); components.len()];
        for link in &linking.links {
            let ((cluster, a), (_, b)) = (place[&link.pair.0], place[&link.pair.1]);
            cluster_links[cluster].push(Link {
                pair: (a, b),
                score: link.score,
                evidence: link.evidence.clone(),
            });
        }
        let (assignments, quads) =
            self.cluster_assignments(&components, &ids, &cluster_links, options);
        self.dedup_state()
            .replace_dedup_links(&keys, &links, &assignments)
            .await?;
        report.clusters_written = ids.len();
        let store = self.graph_store();
        let graph = self.iris().links_graph();
        tokio::task::spawn_blocking(move || store.replace_graphs(&[(graph, quads)])).await??;
        Ok(())
    }

    /// Each component's members with its cluster id and primary, and the quads of the
    /// components in the links graph.
    fn cluster_assignments(
        &self,
        components: &[Vec<&Member>],
        ids: &[String],
        cluster_links: &[Vec<Link<usize>>],
        options: &DedupOptions,
    ) -> (Vec<ClusterAssignment>, Vec<oxigraph::model::Quad>) {
        let mut assignments = Vec::new();
        let mut quads = Vec::new();
        for ((component, cluster_id), links) in components.iter().zip(ids).zip(cluster_links) {
            let summaries: Vec<&RecordSummary> = component.iter().map(|m| &m.summary).collect();
            let primary = primary_index(&summaries, options);
            for (index, member) in component.iter().enumerate() {
                assignments.push(ClusterAssignment {
                    id: member.id,
                    cluster_id: cluster_id.clone(),
                    primary: index == primary,
                });
            }
            quads.extend(cluster_quads(
                self.iris(),
                cluster_id,
                &summaries,
                primary,
                links,
            ));
        }
        (assignments, quads)
    }

    #[expect(
        clippy::too_many_lines,
        reason = "one incremental update in the order it must happen: re-score the touched \
                  blocks, follow the changed links to every cluster they reach, recompute and \
                  write those clusters; split, the steps would pass a dozen collections along"
    )]
    async fn relink_incrementally(
        &self,
        changed: &[PendingRecord],
        summaries: Vec<RecordSummary>,
        removed: &[i64],
        options: &DedupOptions,
        report: &mut DedupReport,
    ) -> Result<(), CatalogError> {
        let stored = self
            .store_summaries(changed, &summaries, removed, true)
            .await?;
        let (changed_ids, touched_keys, mut involved) =
            (stored.ids, stored.touched_keys, stored.old_clusters);
        let state = self.dedup_state();
        let mut cache: HashMap<i64, Member> = HashMap::new();
        let mut blocks: HashMap<u64, Vec<(i64, String)>> = HashMap::new();
        let mut pairs: BTreeSet<(i64, i64)> = BTreeSet::new();
        for &key in &touched_keys {
            let block = block_of(state, key, &mut blocks).await?.clone();
            if block.len() < 2 || block.len() > MAX_BLOCK {
                continue;
            }
            let sources: Vec<&String> = block.iter().map(|(_, s)| s).collect();
            for (i, j) in block_pairs(key_class(key), &sources) {
                let (a, b) = (block[i].0, block[j].0);
                pairs.insert((a.min(b), a.max(b)));
            }
            // A key that became ambiguous no longer supports the links it made.
            if key_class(key) == KeyClass::Locator {
                for (i, (a, _)) in block.iter().enumerate() {
                    for (b, _) in &block[i + 1..] {
                        let pair = ((*a).min(*b), (*a).max(*b));
                        if state.dedup_link(pair.0, pair.1).await?.is_some() {
                            pairs.insert(pair);
                        }
                    }
                }
            }
        }
        report.candidates = pairs.len();
        // Every record whose cluster may have changed: the changed records and both ends of
        // every pair whose link appeared, went or changed its evidence.
        let mut seeds: BTreeSet<i64> = changed_ids.iter().copied().collect();
        let mut link_changes: Vec<LinkChange> = Vec::new();
        // A record takes part in many pairs: its features and keys are derived once.
        let mut features: HashMap<i64, (Features, HashSet<u64>)> = HashMap::new();
        for &(a, b) in &pairs {
            for id in [a, b] {
                if let std::collections::hash_map::Entry::Vacant(slot) = features.entry(id) {
                    load_member(state, id, &mut cache).await?;
                    let derived = Features::of(&cache[&id].summary);
                    let keys = derived.blocking_keys().into_iter().collect();
                    slot.insert((derived, keys));
                }
            }
            let (x, y) = (&cache[&a].summary, &cache[&b].summary);
            let ((fx, kx), (fy, ky)) = (&features[&a], &features[&b]);
            let mut ambiguous: HashSet<u64> = HashSet::new();
            for &key in kx {
                if key_class(key) == KeyClass::Locator && ky.contains(&key) {
                    let block = block_of(state, key, &mut blocks).await?;
                    let count = |source: &str| block.iter().filter(|(_, s)| s == source).count();
                    if block.len() > MAX_BLOCK || count(&x.source) > 1 || count(&y.source) > 1 {
                        ambiguous.insert(key);
                    }
                }
            }
            let evidence = compare(fx, fy, &|key| ambiguous.contains(&key));
            let before = state.dedup_link(a, b).await?;
            let after = accept(x.source == y.source, &evidence, options.threshold);
            let evidence_text = evidence_json(&evidence);
            let unchanged = match (&before, after) {
                (None, None) => true,
                (Some((score, text)), Some(new)) => *score == new && *text == evidence_text,
                _ => false,
            };
            if unchanged {
                continue;
            }
            seeds.extend([a, b]);
            link_changes.push(LinkChange {
                a,
                b,
                link: after.map(|score| (score, evidence_text)),
            });
        }
        state.apply_dedup_link_changes(&link_changes).await?;
        for &id in &seeds {
            load_member(state, id, &mut cache).await?;
            involved.extend(cache[&id].old_cluster.clone());
        }
        for cluster in &involved {
            seeds.extend(state.dedup_cluster_members(cluster).await?);
        }
        let mut reached: BTreeSet<i64> = BTreeSet::new();
        let mut edges: BTreeMap<(i64, i64), (f64, Vec<Evidence>)> = BTreeMap::new();
        let mut queue: Vec<i64> = seeds.into_iter().collect();
        while let Some(id) = queue.pop() {
            if !reached.insert(id) {
                continue;
            }
            for link in state.dedup_links_of(id).await? {
                edges.insert(
                    (link.a, link.b),
                    (link.score, parse_evidence(&link.evidence)?),
                );
                queue.push(if link.a == id { link.b } else { link.a });
            }
        }
        let nodes: Vec<i64> = reached.iter().copied().collect();
        for &id in &nodes {
            load_member(state, id, &mut cache).await?;
            involved.extend(cache[&id].old_cluster.clone());
        }
        let position: HashMap<i64, usize> =
            nodes.iter().enumerate().map(|(i, &id)| (id, i)).collect();
        let mut union = UnionFind::new(nodes.len());
        for &(a, b) in edges.keys() {
            union.union(position[&a], position[&b]);
        }
        let groups = union.groups();
        let components: Vec<Vec<&Member>> = groups
            .iter()
            .map(|g| g.iter().map(|&i| &cache[&nodes[i]]).collect())
            .collect();
        let in_use: HashSet<String> = state
            .dedup_cluster_ids()
            .await?
            .into_iter()
            .filter(|id| !involved.contains(id))
            .collect();
        let ids = assign_cluster_ids(&components, &in_use);
        let mut place: HashMap<i64, (usize, usize)> = HashMap::new();
        for (cluster, group) in groups.iter().enumerate() {
            for (position, &node) in group.iter().enumerate() {
                place.insert(nodes[node], (cluster, position));
            }
        }
        let mut cluster_links: Vec<Vec<Link<usize>>> = vec![Vec::new(); groups.len()];
        for (&(a, b), (score, evidence)) in &edges {
            let ((cluster, x), (_, y)) = (place[&a], place[&b]);
            cluster_links[cluster].push(Link {
                pair: (x, y),
                score: *score,
                evidence: evidence.clone(),
            });
        }
        let (assignments, quads) =
            self.cluster_assignments(&components, &ids, &cluster_links, options);
        state.assign_dedup_clusters(&nodes, &assignments).await?;
        report.clusters_written = ids.len();
        // Remove what the links graph said of the involved clusters and records, then write the
        // recomputed clusters, in one transaction.
        let store = self.graph_store();
        let iris = self.iris().clone();
        let datasets: Vec<String> = nodes
            .iter()
            .map(|id| cache[id].summary.dataset.clone())
            .chain(summaries.iter().map(|s| s.dataset.clone()))
            .collect();
        tokio::task::spawn_blocking(move || {
            let graph = iris.links_graph();
            let mut subjects: Vec<oxigraph::model::NamedNode> = Vec::new();
            for cluster in &involved {
                let iri = iris.cluster(cluster);
                for predicate in [
                    crate::vocab::fedcat::HAS_LINK,
                    crate::vocab::prov::HAD_MEMBER,
                ] {
                    subjects.extend(store.iri_objects(graph.as_ref(), iri.as_ref(), predicate)?);
                }
                subjects.push(iri);
            }
            subjects.extend(
                datasets
                    .iter()
                    .filter_map(|d| oxigraph::model::NamedNode::new(d.clone()).ok()),
            );
            store.replace_subjects(graph.as_ref(), &subjects, &quads)
        })
        .await??;
        Ok(())
    }

    /// Every record in a duplicate cluster: its graph IRI → (cluster IRI, is the primary).
    pub async fn cluster_memberships(
        &self,
    ) -> Result<HashMap<String, (String, bool)>, CatalogError> {
        Ok(self
            .dedup_state()
            .dedup_memberships()
            .await?
            .into_iter()
            .map(|(graph, cluster, primary)| {
                (
                    graph,
                    (self.iris().cluster(&cluster).as_str().to_owned(), primary),
                )
            })
            .collect())
    }

    /// The clusters, largest first, optionally only those with a member from `source`.
    pub async fn duplicate_clusters(
        &self,
        source: Option<&str>,
    ) -> Result<Vec<ClusterView>, CatalogError> {
        let state = self.dedup_state();
        let mut clusters: BTreeMap<String, Vec<(i64, RecordSummary, bool)>> = BTreeMap::new();
        for record in state.clustered_records().await? {
            clusters.entry(record.cluster_id).or_default().push((
                record.id,
                parse_summary(&record.summary)?,
                record.primary,
            ));
        }
        let mut views = Vec::new();
        for (cluster, members) in clusters {
            if let Some(source) = source
                && !members.iter().any(|(_, s, _)| s.source == source)
            {
                continue;
            }
            let by_id: HashMap<i64, &RecordSummary> =
                members.iter().map(|(id, s, _)| (*id, s)).collect();
            let mut links = Vec::new();
            for (id, _, _) in &members {
                for link in state.dedup_links_of(*id).await? {
                    // Each link once: from its smaller end.
                    if link.a != *id {
                        continue;
                    }
                    let Some(other) = by_id.get(&link.b) else {
                        continue;
                    };
                    links.push(LinkView {
                        datasets: (by_id[id].dataset.clone(), other.dataset.clone()),
                        score: link.score,
                        evidence: parse_evidence(&link.evidence)?,
                    });
                }
            }
            views.push(ClusterView {
                iri: self.iris().cluster(&cluster).as_str().to_owned(),
                members: members
                    .iter()
                    .map(|(_, s, primary)| MemberView {
                        source: s.source.clone(),
                        dataset: s.dataset.clone(),
                        title: s.title.clone(),
                        primary: *primary,
                    })
                    .collect(),
                links,
            });
        }
        views.sort_by(|a, b| {
            b.members
                .len()
                .cmp(&a.members.len())
                .then(a.iri.cmp(&b.iri))
        });
        Ok(views)
    }
}

/// The records holding `key` (at most [`MAX_BLOCK`] + 1) with their sources, cached.
async fn block_of<'a>(
    state: &dyn DedupState,
    key: u64,
    cache: &'a mut HashMap<u64, Vec<(i64, String)>>,
) -> Result<&'a Vec<(i64, String)>, CatalogError> {
    Ok(match cache.entry(key) {
        std::collections::hash_map::Entry::Occupied(entry) => entry.into_mut(),
        std::collections::hash_map::Entry::Vacant(slot) => {
            slot.insert(state.dedup_block(key, MAX_BLOCK + 1).await?)
        }
    })
}

/// Reads record `id` into `cache` unless it is there.
async fn load_member(
    state: &dyn DedupState,
    id: i64,
    cache: &mut HashMap<i64, Member>,
) -> Result<(), CatalogError> {
    if cache.contains_key(&id) {
        return Ok(());
    }
    let stored = state
        .dedup_member(id)
        .await?
        .ok_or_else(|| CatalogError::Dedup(format!("record {id} is not in the linker's table")))?;
    cache.insert(
        id,
        Member {
            id,
            summary: parse_summary(&stored.summary)?,
            old_cluster: stored.cluster_id,
        },
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn member(id: i64, graph: &str, old: Option<&str>) -> Member {
        Member {
            id,
            summary: RecordSummary {
                id: graph.into(),
                ..RecordSummary::default()
            },
            old_cluster: old.map(str::to_owned),
        }
    }

    #[test]
    fn cluster_ids_survive_growth_merges_and_splits() {
        let a = member(1, "g/a", Some("c1"));
        let b = member(2, "g/b", Some("c1"));
        let c = member(3, "g/c", None);
        let d = member(4, "g/d", Some("c2"));
        // A member joins: the id stays.
        let ids = assign_cluster_ids(&[vec![&a, &b, &c]], &HashSet::new());
        assert_eq!(ids, vec!["c1"]);
        // Two clusters merge: the larger one's id wins.
        let ids = assign_cluster_ids(&[vec![&a, &b, &d]], &HashSet::new());
        assert_eq!(ids, vec!["c1"]);
        // A cluster splits: the larger part keeps the id, the other gets a new one.
        let e = member(5, "g/e", Some("c1"));
        let ids = assign_cluster_ids(&[vec![&a, &b], vec![&e, &c]], &HashSet::new());
        assert_eq!(ids[0], "c1");
        assert_ne!(ids[1], "c1");
        assert_eq!(ids[1].len(), 16);
        // A new id is derived from the smallest member, and never reuses one in use.
        let fresh = assign_cluster_ids(&[vec![&c]], &HashSet::new());
        let again = assign_cluster_ids(&[vec![&c]], &fresh.iter().cloned().collect());
        assert_ne!(fresh, again);
    }

    #[test]
    fn the_producers_portal_is_primary_unless_priorities_say_otherwise() {
        let producer = RecordSummary {
            source: "ckan".into(),
            dataset: "p".into(),
            completeness: 10,
            ..RecordSummary::default()
        };
        let copy = RecordSummary {
            source: "udata".into(),
            dataset: "c".into(),
            is_copy: true,
            completeness: 30,
            ..RecordSummary::default()
        };
        let mut options = DedupOptions::default();
        assert_eq!(primary_index(&[&copy, &producer], &options), 1);
        options.priorities.insert("udata".into(), 5);
        assert_eq!(primary_index(&[&copy, &producer], &options), 0);
    }
}
