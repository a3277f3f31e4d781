//! fedcat-sparql serves the catalogue over the SPARQL 1.1 Protocol as an axum router: queries by
//! GET (`query=`), by POST form (`application/x-www-form-urlencoded`) and by POST
//! `application/sparql-query`; SELECT/ASK results in JSON, XML, CSV and TSV, CONSTRUCT/DESCRIBE
//! graphs in Turtle, N-Triples, RDF/XML and JSON-LD, chosen by `Accept`. The default graph is the
//! union of all graphs (every record graph and the provenance graph). The endpoint is read-only:
//! SPARQL Update is refused. Each query runs on a blocking thread with a cancellation token
//! fired by a timer, and results are capped.

pub mod html;
mod negotiate;
mod protocol;

pub use protocol::{SparqlConfig, router};
