//! [`GraphStore`]: what fedcat asks of an RDF store. Record graphs are written and removed
//! whole, in one transaction each call, so a reader never sees half a record; everything else
//! reads graphs or evaluates SPARQL. The embedded implementation is
//! [`OxigraphStore`](super::OxigraphStore); an external SPARQL store would be a second one.
//!
//! The trait is synchronous, as the embedded store is: async callers run it on a blocking
//! thread (`tokio::task::spawn_blocking`). It is object-safe, so the catalogue holds an
//! `Arc<dyn GraphStore>` and nothing above the storage module names the engine.

use crate::CatalogError;
use oxigraph::model::{NamedNode, NamedNodeRef, NamedOrBlankNodeRef, Quad, Term, Triple};
use oxigraph::sparql::{
    PreparedSparqlQuery, PreparedSparqlUpdate, QueryEvaluationError, QueryResults, SparqlEvaluator,
    UpdateEvaluationError,
};
use std::path::Path;

/// One record graph to replace: its IRI, its new quads, and the metadata quads describing it.
pub struct GraphReplacement {
    /// The record graph.
    pub graph: NamedNode,
    /// The record's quads, in `graph`.
    pub quads: Vec<Quad>,
    /// Its provenance quads, in the metadata graph.
    pub meta: Vec<Quad>,
    /// True when the graph may already exist (a changed or re-appearing record): its old
    /// content is cleared first. New records skip the lookups.
    pub replaces: bool,
}

/// The rows of an internal SELECT: one value (or none) per projected variable, in order.
pub type SelectRows = Vec<Vec<Option<Term>>>;

/// An RDF store holding one named graph per record plus derived graphs.
pub trait GraphStore: Send + Sync {
    /// The store's directory, which other processes may open read-only; `None` when the store
    /// is not a local directory (in memory, or remote).
    fn path(&self) -> Option<&Path>;

    /// Number of quads, all graphs included.
    fn len(&self) -> Result<usize, CatalogError>;

    /// A number that changes whenever a write is committed, to tell whether a copy taken
    /// earlier ([`GraphStore::checkpoint`]) is still the store's content.
    fn generation(&self) -> u64;

    /// Writes a consistent copy of the store as it is now into `target` (which must not exist),
    /// for another process to open read-only — reading the live store while this process
    /// writes it is undefined behaviour in RocksDB. On the same file system the copy is hard
    /// links to the immutable files, so it is cheap.
    fn checkpoint(&self, target: &Path) -> Result<(), CatalogError>;

    /// True when the store holds no quad.
    fn is_empty(&self) -> Result<bool, CatalogError>;

    /// Replaces each listed record graph and its metadata (the quads of `meta_graph` whose
    /// subject is the record graph), all-or-nothing.
    fn replace_record_graphs(
        &self,
        meta_graph: NamedNodeRef<'_>,
        replacements: &[GraphReplacement],
    ) -> Result<(), CatalogError>;

    /// Removes record graphs, their metadata, and the given extra metadata quads (links from the
    /// source catalogue), in one transaction.
    fn remove_record_graphs(
        &self,
        meta_graph: NamedNodeRef<'_>,
        graphs: &[NamedNode],
        extra_meta: &[Quad],
    ) -> Result<(), CatalogError>;

    /// Inserts quads (catalogue and job descriptions) in one transaction.
    fn insert_all(&self, quads: &[Quad]) -> Result<(), CatalogError>;

    /// Removes every quad with `subject` and one of `predicates` in `graph`, then inserts
    /// `quads`, in one transaction (single-valued metadata such as a catalogue title).
    fn set_values(
        &self,
        graph: NamedNodeRef<'_>,
        subject: NamedNodeRef<'_>,
        predicates: &[NamedNodeRef<'_>],
        quads: &[Quad],
    ) -> Result<(), CatalogError>;

    /// Removes every quad of `graph` whose subject is listed, then inserts `quads`, in one
    /// transaction (the links graph rewrites only the clusters a harvest touched).
    fn replace_subjects(
        &self,
        graph: NamedNodeRef<'_>,
        subjects: &[NamedNode],
        quads: &[Quad],
    ) -> Result<(), CatalogError>;

    /// Replaces the whole content of several named graphs, in one transaction.
    fn replace_graphs(&self, graphs: &[(NamedNode, Vec<Quad>)]) -> Result<(), CatalogError>;

    /// Loads quads into graphs that do not exist yet, all-or-nothing.
    fn bulk_load(&self, quads: Vec<Quad>) -> Result<(), CatalogError>;

    /// Objects of `subject predicate ?o` in `graph` that are IRIs.
    fn iri_objects(
        &self,
        graph: NamedNodeRef<'_>,
        subject: NamedNodeRef<'_>,
        predicate: NamedNodeRef<'_>,
    ) -> Result<Vec<NamedNode>, CatalogError>;

    /// The triples of one named graph, as they were written (datatypes the engine normalises
    /// are given back their declared type).
    fn graph_triples(&self, graph: NamedNodeRef<'_>) -> Result<Vec<Triple>, CatalogError>;

    /// Number of quads in one named graph.
    fn graph_len(&self, graph: NamedNodeRef<'_>) -> Result<usize, CatalogError>;

    /// The quads whose subject is `subject`, in every graph, read lazily (a caller may stop
    /// early).
    fn subject_quads<'a>(
        &'a self,
        subject: NamedOrBlankNodeRef<'a>,
    ) -> Box<dyn Iterator<Item = Result<Quad, CatalogError>> + 'a>;

    /// Evaluates a parsed query; a cancellation token set on its evaluator stops it.
    fn query(
        &self,
        query: PreparedSparqlQuery,
    ) -> Result<QueryResults<'static>, QueryEvaluationError>;

    /// Executes a parsed update (the W3C test runner's data loads only: the public endpoint is
    /// read-only).
    fn update(&self, update: PreparedSparqlUpdate) -> Result<(), UpdateEvaluationError>;
}

impl<'a> dyn GraphStore + 'a {
    /// Runs an internal SELECT over the union of all graphs and collects its rows (reports
    /// and pages whose queries are bounded by construction).
    pub fn select(&self, query: &str) -> Result<SelectRows, CatalogError> {
        let mut prepared =
            SparqlEvaluator::new()
                .parse_query(query)
                .map_err(|e| CatalogError::QuerySyntax {
                    reason: e.to_string(),
                })?;
        prepared.dataset_mut().set_default_graph_as_union();
        let QueryResults::Solutions(solutions) = self.query(prepared)? else {
            return Err(CatalogError::QuerySyntax {
                reason: "an internal query must be a SELECT".into(),
            });
        };
        let variables = solutions.variables().to_vec();
        let mut rows = Vec::new();
        for solution in solutions {
            let solution = solution?;
            rows.push(variables.iter().map(|v| solution.get(v).cloned()).collect());
        }
        Ok(rows)
    }
}
