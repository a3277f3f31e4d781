//! [`OxigraphStore`], the embedded [`GraphStore`]: Oxigraph on RocksDB under the data
//! directory, or in memory for tests that do not need a restart. Writes of record graphs happen
//! in transactions so a reader never sees half a record; new graphs go through the bulk loader.

use super::graph::{GraphReplacement, GraphStore};
use crate::CatalogError;
use crate::vocab::dcat::BYTE_SIZE;
use oxigraph::model::vocab::xsd;
use oxigraph::model::{
    GraphNameRef, Literal, NamedNode, NamedNodeRef, NamedOrBlankNodeRef, Quad, QuadRef, Term,
    Triple,
};
use oxigraph::sparql::{
    PreparedSparqlQuery, PreparedSparqlUpdate, QueryEvaluationError, QueryResults,
    UpdateEvaluationError,
};
use oxigraph::store::Store;
use std::path::Path;

/// Memory the bulk loader may use for one page of new records.
const BULK_LOAD_MEMORY_MB: usize = 256;

/// The embedded RDF store; cheap to clone (the store is reference-counted).
#[derive(Clone)]
pub struct OxigraphStore {
    store: Store,
    /// Bumped after every committed write (see [`GraphStore::generation`]).
    generation: std::sync::Arc<std::sync::atomic::AtomicU64>,
    /// The store's directory; `None` in memory.
    path: Option<std::path::PathBuf>,
    /// Quad changes committed by transactions since the write buffers were last flushed (an
    /// estimate: see [`OxigraphStore::committed`]).
    unflushed: std::sync::Arc<std::sync::atomic::AtomicU64>,
}

/// How many quad changes transactions may leave in RocksDB's write buffers (memtables) before
/// they are flushed to disk. Oxigraph sizes those buffers for throughput (128 MiB each, up to
/// six per index, eleven indexes): left alone, a long run of transactions — the first quality
/// snapshot of a large source — holds gigabytes in them. Each quad change is about six index
/// entries; 250,000 changes keep the buffers near 200 MiB.
const FLUSH_AFTER_CHANGES: u64 = 250_000;

impl OxigraphStore {
    /// Opens (creating if needed) the RocksDB-backed store in `path`.
    pub fn open(path: &Path) -> Result<Self, CatalogError> {
        std::fs::create_dir_all(path).map_err(|source| CatalogError::DataDir {
            path: path.to_owned(),
            source,
        })?;
        Ok(Self {
            store: Store::open(path)?,
            generation: Default::default(),
            path: Some(path.to_owned()),
            unflushed: Default::default(),
        })
    }

    /// A store that lives in memory only (same engine, no persistence).
    pub fn in_memory() -> Result<Self, CatalogError> {
        Ok(Self {
            store: Store::new()?,
            generation: Default::default(),
            path: None,
            unflushed: Default::default(),
        })
    }

    /// A read-only view of the store in `path`, which another process writes (a SPARQL
    /// worker's): it sees the data as of its opening.
    pub fn open_read_only(path: &Path) -> Result<Self, CatalogError> {
        Ok(Self {
            store: Store::open_read_only(path)?,
            generation: Default::default(),
            path: Some(path.to_owned()),
            unflushed: Default::default(),
        })
    }
}

/// Bumps the store's generation when dropped: at the end of a write method however it ends,
/// since a write that failed halfway (a bulk load after a committed transaction) may still have
/// changed the store; a needless new view costs little, a stale one is wrong.
struct Written<'a>(&'a std::sync::atomic::AtomicU64);

impl Drop for Written<'_> {
    fn drop(&mut self) {
        self.0.fetch_add(1, std::sync::atomic::Ordering::Release);
    }
}

impl OxigraphStore {
    /// A guard that notes a write when the write method ends.
    fn writing(&self) -> Written<'_> {
        Written(&self.generation)
    }

    /// Notes `changes` quad changes committed by a transaction (quads inserted, and an estimate
    /// of those removed), and flushes the write buffers once [`FLUSH_AFTER_CHANGES`] have
    /// accumulated, so that their memory stays bounded whatever the number of transactions.
    fn committed(&self, changes: usize) -> Result<(), CatalogError> {
        let changes = u64::try_from(changes).unwrap_or(u64::MAX);
        let total = self
            .unflushed
            .fetch_add(changes, std::sync::atomic::Ordering::Relaxed)
            .saturating_add(changes);
        if total >= FLUSH_AFTER_CHANGES && self.path.is_some() {
            self.unflushed
                .store(0, std::sync::atomic::Ordering::Relaxed);
            self.store.flush()?;
        }
        Ok(())
    }
}

impl GraphStore for OxigraphStore {
    fn generation(&self) -> u64 {
        self.generation.load(std::sync::atomic::Ordering::Acquire)
    }

    fn checkpoint(&self, target: &Path) -> Result<(), CatalogError> {
        Ok(self.store.backup(target)?)
    }

    fn path(&self) -> Option<&Path> {
        self.path.as_deref()
    }

    fn len(&self) -> Result<usize, CatalogError> {
        Ok(self.store.len()?)
    }

    fn is_empty(&self) -> Result<bool, CatalogError> {
        Ok(self.store.is_empty()?)
    }

    fn replace_record_graphs(
        &self,
        meta_graph: NamedNodeRef<'_>,
        replacements: &[GraphReplacement],
    ) -> Result<(), CatalogError> {
        let _written = self.writing();
        let (changed, new): (Vec<&GraphReplacement>, Vec<&GraphReplacement>) =
            replacements.iter().partition(|r| r.replaces);
        if !changed.is_empty() {
            let mut tx = self.store.start_transaction()?;
            let mut changes = 0;
            for replacement in changed {
                tx.clear_graph(replacement.graph.as_ref())?;
                remove_subject_in_graph(&mut tx, replacement.graph.as_ref().into(), meta_graph)?;
                tx.insert_named_graph(replacement.graph.as_ref());
                for quad in replacement.quads.iter().chain(&replacement.meta) {
                    tx.insert(quad);
                }
                // The old graph is about the size of the new one.
                changes += 2 * (replacement.quads.len() + replacement.meta.len());
            }
            tx.commit()?;
            self.committed(changes)?;
        }
        if !new.is_empty() {
            // Graphs that do not exist yet need no clearing: the bulk loader writes them several
            // times faster than a transaction (whose indexed write batch dominated the cost of
            // a first harvest), and its commit is still all-or-nothing.
            let mut loader = self
                .store
                .bulk_loader()
                .with_max_memory_size_in_megabytes(BULK_LOAD_MEMORY_MB);
            loader.load_quads(
                new.iter()
                    .flat_map(|r| r.quads.iter().chain(&r.meta))
                    .cloned(),
            )?;
            loader.commit()?;
        }
        Ok(())
    }

    fn remove_record_graphs(
        &self,
        meta_graph: NamedNodeRef<'_>,
        graphs: &[NamedNode],
        extra_meta: &[Quad],
    ) -> Result<(), CatalogError> {
        let _written = self.writing();
        let mut tx = self.store.start_transaction()?;
        for graph in graphs {
            tx.remove_named_graph(graph.as_ref())?;
            remove_subject_in_graph(&mut tx, graph.as_ref().into(), meta_graph)?;
        }
        for quad in extra_meta {
            tx.remove(quad);
        }
        tx.commit()?;
        // A record graph holds about a hundred and fifty quads.
        self.committed(graphs.len() * 150 + extra_meta.len())?;
        Ok(())
    }

    fn insert_all(&self, quads: &[Quad]) -> Result<(), CatalogError> {
        let _written = self.writing();
        let mut tx = self.store.start_transaction()?;
        for quad in quads {
            tx.insert(quad);
        }
        tx.commit()?;
        self.committed(quads.len())?;
        Ok(())
    }

    fn set_values(
        &self,
        graph: NamedNodeRef<'_>,
        subject: NamedNodeRef<'_>,
        predicates: &[NamedNodeRef<'_>],
        quads: &[Quad],
    ) -> Result<(), CatalogError> {
        let _written = self.writing();
        let mut tx = self.store.start_transaction()?;
        for predicate in predicates {
            let old: Vec<Quad> = tx
                .quads_for_pattern(
                    Some(subject.into()),
                    Some(*predicate),
                    None,
                    Some(graph.into()),
                )
                .collect::<Result<_, _>>()?;
            for quad in &old {
                tx.remove(quad);
            }
        }
        for quad in quads {
            tx.insert(quad);
        }
        tx.commit()?;
        self.committed(2 * quads.len())?;
        Ok(())
    }

    /// Oxigraph stores every XSD integer type by value as `xsd:integer`; the one DCAT-AP
    /// constrains to a derived type, `dcat:byteSize` (`xsd:nonNegativeInteger`), gets its
    /// datatype back here.
    fn graph_triples(&self, graph: NamedNodeRef<'_>) -> Result<Vec<Triple>, CatalogError> {
        let mut triples = Vec::new();
        for quad in
            self.store
                .quads_for_pattern(None, None, None, Some(GraphNameRef::NamedNode(graph)))
        {
            let mut triple = Triple::from(quad?);
            if triple.predicate == BYTE_SIZE
                && let Term::Literal(literal) = &triple.object
                && literal.datatype() == xsd::INTEGER
                && !literal.value().starts_with('-')
            {
                triple.object =
                    Literal::new_typed_literal(literal.value(), xsd::NON_NEGATIVE_INTEGER).into();
            }
            triples.push(triple);
        }
        Ok(triples)
    }

    fn graph_len(&self, graph: NamedNodeRef<'_>) -> Result<usize, CatalogError> {
        let mut count = 0;
        for quad in
            self.store
                .quads_for_pattern(None, None, None, Some(GraphNameRef::NamedNode(graph)))
        {
            quad?;
            count += 1;
        }
        Ok(count)
    }

    fn replace_subjects(
        &self,
        graph: NamedNodeRef<'_>,
        subjects: &[NamedNode],
        quads: &[Quad],
    ) -> Result<(), CatalogError> {
        let _written = self.writing();
        let mut tx = self.store.start_transaction()?;
        for subject in subjects {
            remove_subject_in_graph(&mut tx, subject.as_ref().into(), graph)?;
        }
        for quad in quads {
            tx.insert(quad);
        }
        tx.commit()?;
        self.committed(2 * quads.len() + subjects.len())?;
        Ok(())
    }

    fn iri_objects(
        &self,
        graph: NamedNodeRef<'_>,
        subject: NamedNodeRef<'_>,
        predicate: NamedNodeRef<'_>,
    ) -> Result<Vec<NamedNode>, CatalogError> {
        let mut objects = Vec::new();
        for quad in self.store.quads_for_pattern(
            Some(subject.into()),
            Some(predicate),
            None,
            Some(graph.into()),
        ) {
            if let Term::NamedNode(node) = quad?.object {
                objects.push(node);
            }
        }
        Ok(objects)
    }

    fn replace_graphs(&self, graphs: &[(NamedNode, Vec<Quad>)]) -> Result<(), CatalogError> {
        let _written = self.writing();
        let mut tx = self.store.start_transaction()?;
        let mut changes = 0;
        for (graph, quads) in graphs {
            tx.clear_graph(graph.as_ref())?;
            for quad in quads {
                tx.insert(quad);
            }
            // The old graph is about the size of the new one (a graph removed: unknown).
            changes += 2 * quads.len().max(64);
        }
        tx.commit()?;
        self.committed(changes)?;
        Ok(())
    }

    fn bulk_load(&self, quads: Vec<Quad>) -> Result<(), CatalogError> {
        let _written = self.writing();
        let mut loader = self
            .store
            .bulk_loader()
            .with_max_memory_size_in_megabytes(BULK_LOAD_MEMORY_MB);
        loader.load_quads(quads)?;
        loader.commit()?;
        Ok(())
    }

    fn subject_quads<'a>(
        &'a self,
        subject: NamedOrBlankNodeRef<'a>,
    ) -> Box<dyn Iterator<Item = Result<Quad, CatalogError>> + 'a> {
        Box::new(
            self.store
                .quads_for_pattern(Some(subject), None, None, None)
                .map(|quad| quad.map_err(CatalogError::from)),
        )
    }

    fn query(
        &self,
        query: PreparedSparqlQuery,
    ) -> Result<QueryResults<'static>, QueryEvaluationError> {
        query.on_store(&self.store).execute()
    }

    fn update(&self, update: PreparedSparqlUpdate) -> Result<(), UpdateEvaluationError> {
        let _written = self.writing();
        update.on_store(&self.store).execute()
    }
}

fn remove_subject_in_graph(
    tx: &mut oxigraph::store::Transaction<'_>,
    subject: NamedOrBlankNodeRef<'_>,
    graph: NamedNodeRef<'_>,
) -> Result<(), CatalogError> {
    let old: Vec<Quad> = tx
        .quads_for_pattern(Some(subject), None, None, Some(graph.into()))
        .collect::<Result<_, _>>()?;
    for quad in &old {
        tx.remove(QuadRef::from(quad));
    }
    Ok(())
}
