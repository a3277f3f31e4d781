//! fedcat-sparql serves the catalogue over the SPARQL 1.1 Protocol as an axum router: queries by
//! GET (`query=`), by POST form (`application/x-www-form-urlencoded`) and by POST
//! `application/sparql-query`; SELECT/ASK results in JSON, XML, CSV and TSV, CONSTRUCT/DESCRIBE
//! graphs in Turtle, N-Triples, RDF/XML and JSON-LD, chosen by `Accept`. The default graph is the
//! union of all graphs (every record graph and the provenance graph). The endpoint is read-only:
//! SPARQL Update is refused. Queries nested past a limit are refused before parsing; each query
//! on a store on disk runs in its own worker process (`fedcat sparql-worker`) with a memory
//! limit, killed at its time limit; at most a few run at once and a bounded queue waits; results
//! are capped.

mod evaluate;
mod executor;
pub mod html;
pub mod negotiate;
mod nesting;
mod protocol;
pub mod worker;

pub use evaluate::{Output, QueryJob, Reply, ReplyHead};
pub use executor::{QueryLimits, WORKER_SUBCOMMAND};
pub use nesting::nesting_depth;
pub use protocol::{HtmlPage, SparqlConfig, router};
