//! The Oxigraph store: on disk under the data directory, or in memory for tests that do not
//! need a restart. Writes of record graphs happen in transactions so a reader never sees half
//! a record.

use crate::CatalogError;
use crate::vocab::dcat::BYTE_SIZE;
use oxigraph::model::vocab::xsd;
use oxigraph::model::{
    GraphNameRef, Literal, NamedNodeRef, NamedOrBlankNodeRef, Quad, QuadRef, Term, Triple,
};
use oxigraph::store::Store;
use std::path::Path;

/// Memory the bulk loader may use for one page of new records.
const BULK_LOAD_MEMORY_MB: usize = 256;

/// A handle on the RDF store; cheap to clone (the store is reference-counted).
#[derive(Clone)]
pub struct RdfStore {
    store: Store,
    /// The store's directory; `None` in memory.
    path: Option<std::path::PathBuf>,
}

/// One record graph to replace: its IRI, its new quads, and the metadata quads describing it.
pub(crate) struct GraphReplacement {
    pub graph: oxigraph::model::NamedNode,
    pub quads: Vec<Quad>,
    pub meta: Vec<Quad>,
    /// True when the graph may already exist (a changed or re-appearing record): its old
    /// content is cleared first. New records skip the lookups.
    pub replaces: bool,
}

impl RdfStore {
    /// Opens (creating if needed) the RocksDB-backed store in `path`.
    pub fn open(path: &Path) -> Result<Self, CatalogError> {
        std::fs::create_dir_all(path).map_err(|source| CatalogError::DataDir {
            path: path.to_owned(),
            source,
        })?;
        Ok(Self {
            store: Store::open(path)?,
            path: Some(path.to_owned()),
        })
    }

    /// A store that lives in memory only (same engine, no persistence).
    pub fn in_memory() -> Result<Self, CatalogError> {
        Ok(Self {
            store: Store::new()?,
            path: None,
        })
    }

    /// The store's directory, which other processes may open read-only; `None` in memory.
    pub fn path(&self) -> Option<&Path> {
        self.path.as_deref()
    }

    /// The underlying Oxigraph store, for read-only query evaluation.
    pub fn oxigraph(&self) -> &Store {
        &self.store
    }

    /// Number of quads in the store, all graphs included.
    pub fn len(&self) -> Result<usize, CatalogError> {
        Ok(self.store.len()?)
    }

    /// True when the store holds no quad.
    pub fn is_empty(&self) -> Result<bool, CatalogError> {
        Ok(self.store.is_empty()?)
    }

    /// Replaces each listed record graph and its metadata (the quads of `meta_graph` whose
    /// subject is the record graph) in one atomic transaction.
    pub(crate) fn replace_graphs(
        &self,
        meta_graph: NamedNodeRef<'_>,
        replacements: &[GraphReplacement],
    ) -> Result<(), CatalogError> {
        let (changed, new): (Vec<&GraphReplacement>, Vec<&GraphReplacement>) =
            replacements.iter().partition(|r| r.replaces);
        if !changed.is_empty() {
            let mut tx = self.store.start_transaction()?;
            for replacement in changed {
                tx.clear_graph(replacement.graph.as_ref())?;
                remove_subject_in_graph(&mut tx, replacement.graph.as_ref().into(), meta_graph)?;
                tx.insert_named_graph(replacement.graph.as_ref());
                for quad in replacement.quads.iter().chain(&replacement.meta) {
                    tx.insert(quad);
                }
            }
            tx.commit()?;
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

    /// Removes record graphs, their metadata, and the given extra metadata quads (links from the
    /// source catalogue), atomically.
    pub(crate) fn remove_graphs(
        &self,
        meta_graph: NamedNodeRef<'_>,
        graphs: &[oxigraph::model::NamedNode],
        extra_meta: &[Quad],
    ) -> Result<(), CatalogError> {
        let mut tx = self.store.start_transaction()?;
        for graph in graphs {
            tx.remove_named_graph(graph.as_ref())?;
            remove_subject_in_graph(&mut tx, graph.as_ref().into(), meta_graph)?;
        }
        for quad in extra_meta {
            tx.remove(quad);
        }
        tx.commit()?;
        Ok(())
    }

    /// Inserts quads (catalogue and job descriptions) in one transaction.
    pub(crate) fn insert_all(&self, quads: &[Quad]) -> Result<(), CatalogError> {
        let mut tx = self.store.start_transaction()?;
        for quad in quads {
            tx.insert(quad);
        }
        tx.commit()?;
        Ok(())
    }

    /// Removes every quad with `subject` and `predicate` in `graph`, then inserts `quads`, in one
    /// transaction (used to update single-valued metadata such as a catalogue title).
    pub(crate) fn set_values(
        &self,
        graph: NamedNodeRef<'_>,
        subject: NamedNodeRef<'_>,
        predicates: &[NamedNodeRef<'_>],
        quads: &[Quad],
    ) -> Result<(), CatalogError> {
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
        Ok(())
    }

    /// The triples of one record graph, as the record was written. Oxigraph stores every
    /// XSD integer type by value as `xsd:integer`; the one DCAT-AP constrains to a derived
    /// type, `dcat:byteSize` (`xsd:nonNegativeInteger`), gets its datatype back here.
    pub fn graph_triples(&self, graph: NamedNodeRef<'_>) -> Result<Vec<Triple>, CatalogError> {
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

    /// Number of quads in one named graph.
    pub fn graph_len(&self, graph: NamedNodeRef<'_>) -> Result<usize, CatalogError> {
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
}

impl RdfStore {
    /// Removes every quad of `graph` whose subject is listed, then inserts `quads`, in one
    /// transaction (the links graph rewrites only the clusters a harvest touched).
    pub(crate) fn replace_subjects(
        &self,
        graph: NamedNodeRef<'_>,
        subjects: &[oxigraph::model::NamedNode],
        quads: &[Quad],
    ) -> Result<(), CatalogError> {
        let mut tx = self.store.start_transaction()?;
        for subject in subjects {
            remove_subject_in_graph(&mut tx, subject.as_ref().into(), graph)?;
        }
        for quad in quads {
            tx.insert(quad);
        }
        tx.commit()?;
        Ok(())
    }

    /// Objects of `subject predicate ?o` in `graph` that are IRIs.
    pub(crate) fn iri_objects(
        &self,
        graph: NamedNodeRef<'_>,
        subject: NamedNodeRef<'_>,
        predicate: NamedNodeRef<'_>,
    ) -> Result<Vec<oxigraph::model::NamedNode>, CatalogError> {
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

    /// Replaces the whole content of several named graphs, in one transaction.
    pub(crate) fn replace_graphs_whole(
        &self,
        graphs: &[(oxigraph::model::NamedNode, Vec<Quad>)],
    ) -> Result<(), CatalogError> {
        let mut tx = self.store.start_transaction()?;
        for (graph, quads) in graphs {
            tx.clear_graph(graph.as_ref())?;
            for quad in quads {
                tx.insert(quad);
            }
        }
        tx.commit()?;
        Ok(())
    }

    /// Replaces the whole content of one named graph, in one transaction.
    pub(crate) fn replace_graph(
        &self,
        graph: NamedNodeRef<'_>,
        quads: &[Quad],
    ) -> Result<(), CatalogError> {
        let mut tx = self.store.start_transaction()?;
        tx.clear_graph(graph)?;
        for quad in quads {
            tx.insert(quad);
        }
        tx.commit()?;
        Ok(())
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
