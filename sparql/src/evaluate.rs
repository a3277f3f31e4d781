//! One query, from its text to the bytes of its answer: parsing, the protocol dataset, Oxigraph's
//! evaluation and serialisation with the result cap. The same function runs inside the server
//! (in-memory stores) and inside a `fedcat sparql-worker` process (stores on disk), so the
//! answer is the same either way; what differs is how it is stopped (see `executor`).

use crate::negotiate::{graph_format, results_format};
use crate::protocol::HtmlPage;
use fedcat_catalog::GraphStore;
use oxigraph::io::RdfSerializer;
use oxigraph::model::{GraphName, NamedNode, NamedOrBlankNode};
use oxigraph::sparql::results::QueryResultsSerializer;
use oxigraph::sparql::{CancellationToken, QueryEvaluationError, QueryResults, SparqlEvaluator};
use serde::{Deserialize, Serialize};

/// What to evaluate and how to answer, as handed to a worker.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct QueryJob {
    /// The query text.
    pub query: String,
    /// The IRI relative IRIs of the query resolve against (the endpoint's own IRI).
    pub base_iri: String,
    /// Protocol `default-graph-uri` parameters.
    pub default_graphs: Vec<String>,
    /// Protocol `named-graph-uri` parameters.
    pub named_graphs: Vec<String>,
    /// The answer's form.
    pub output: Output,
    /// Most solutions or triples returned.
    pub max_results: usize,
}

/// The form of an answer.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub enum Output {
    /// Results or a graph in the format the `Accept` header asks for.
    Negotiated {
        /// The request's `Accept` header.
        accept: Option<String>,
    },
    /// The browser page with the results as a table.
    Html {
        /// `fr` or `en`.
        lang: Option<String>,
    },
}

/// The head of an answer: a worker writes it as one JSON line before the body.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ReplyHead {
    /// The HTTP status.
    pub status: u16,
    /// The body's media type.
    pub content_type: String,
    /// Whether the results were cut at `max_results`.
    pub truncated: bool,
}

/// A whole answer.
#[derive(Debug)]
pub struct Reply {
    /// Status, media type, truncation.
    pub head: ReplyHead,
    /// The serialised results, page or error text.
    pub body: Vec<u8>,
}

impl Reply {
    /// A plain-text answer with `status`.
    pub fn text(status: u16, message: impl Into<String>) -> Self {
        Self {
            head: ReplyHead {
                status,
                content_type: "text/plain; charset=utf-8".into(),
                truncated: false,
            },
            body: message.into().into_bytes(),
        }
    }
}

/// The answer of a query whose read-only view of the store lost a file to a compaction.
pub const STORE_CHANGED: &str = "the store changed while the query read it; try again";

/// The 403 of any update.
pub fn read_only() -> Reply {
    Reply::text(
        403,
        "this SPARQL endpoint is read-only: SPARQL Update is not accepted",
    )
}

/// The 503 of a query stopped at its time limit.
pub fn timed_out(limit_secs: f64) -> Reply {
    Reply::text(
        503,
        format!(
            "query stopped: it ran longer than the limit of {limit_secs} s (sparql.timeout_secs)"
        ),
    )
}

/// Parses, evaluates and serialises `job` over `store`; `token` stops the evaluation when
/// cancelled (at the data reads Oxigraph checks it on).
pub fn evaluate(
    store: &dyn GraphStore,
    job: QueryJob,
    token: CancellationToken,
    html_page: Option<HtmlPage>,
) -> Reply {
    let evaluator = SparqlEvaluator::new().with_cancellation_token(token);
    let evaluator = match evaluator.clone().with_base_iri(job.base_iri.clone()) {
        Ok(with_base) => with_base,
        Err(_) => evaluator,
    };
    let mut prepared = match evaluator.parse_query(&job.query) {
        Ok(prepared) => prepared,
        Err(e) => {
            // A SPARQL Update sent as a query fails to parse; say why rather than a syntax error.
            if SparqlEvaluator::new().parse_update(&job.query).is_ok() {
                return read_only();
            }
            return Reply::text(400, format!("invalid SPARQL query: {e}"));
        }
    };
    let (default_graphs, named_graphs) = match (
        parse_graph_iris(&job.default_graphs),
        parse_graph_iris(&job.named_graphs),
    ) {
        (Ok(default_graphs), Ok(named_graphs)) => (default_graphs, named_graphs),
        (Err(message), _) | (_, Err(message)) => return Reply::text(400, message),
    };
    let dataset = prepared.dataset_mut();
    if !default_graphs.is_empty() || !named_graphs.is_empty() {
        dataset.set_default_graph(default_graphs.into_iter().map(GraphName::from).collect());
        dataset.set_available_named_graphs(
            named_graphs
                .into_iter()
                .map(NamedOrBlankNode::from)
                .collect(),
        );
    } else if dataset.is_default_dataset() {
        dataset.set_default_graph_as_union();
    }
    let outcome = store.query(prepared).and_then(|results| match &job.output {
        Output::Html { lang } => serialize_html(
            results,
            &job.query,
            job.max_results,
            html_page,
            lang.as_deref(),
        ),
        Output::Negotiated { accept } => serialize(results, accept.as_deref(), job.max_results),
    });
    match outcome {
        Ok(reply) => reply,
        Err(QueryEvaluationError::Cancelled) => Reply::text(503, "query stopped"),
        // A read-only view (a worker's) can lose a file the writer compacted away meanwhile.
        Err(e) if e.to_string().contains("No such file or directory") => {
            Reply::text(503, STORE_CHANGED)
        }
        Err(e) => {
            tracing::warn!(error = %e, "query evaluation failed");
            Reply::text(500, "query evaluation failed")
        }
    }
}

/// Parses protocol graph IRIs; the error is the message of a 400 answer.
fn parse_graph_iris(iris: &[String]) -> Result<Vec<NamedNode>, String> {
    iris.iter()
        .map(|iri| NamedNode::new(iri).map_err(|e| format!("invalid graph IRI {iri:?}: {e}")))
        .collect()
}

fn io_error(e: std::io::Error) -> QueryEvaluationError {
    QueryEvaluationError::Unexpected(Box::new(e))
}

fn body(content_type: &str, body: Vec<u8>, truncated: bool) -> Reply {
    Reply {
        head: ReplyHead {
            status: 200,
            content_type: content_type.to_owned(),
            truncated,
        },
        body,
    }
}

fn not_acceptable(offered: &str) -> Reply {
    Reply::text(
        406,
        format!(
            "none of the accepted media types can be produced for this query; available: {offered}"
        ),
    )
}

/// Results as the editor page with a table (browsers).
fn serialize_html(
    results: QueryResults<'_>,
    query: &str,
    max_results: usize,
    html_page: Option<HtmlPage>,
    lang: Option<&str>,
) -> Result<Reply, QueryEvaluationError> {
    let mut truncated = false;
    let (columns, rows): (Vec<String>, Vec<Vec<String>>) = match results {
        QueryResults::Boolean(value) => (vec!["ASK".into()], vec![vec![value.to_string()]]),
        QueryResults::Solutions(solutions) => {
            let columns: Vec<String> = solutions
                .variables()
                .iter()
                .map(|v| v.as_str().to_owned())
                .collect();
            let mut rows = Vec::new();
            for (count, solution) in solutions.enumerate() {
                if count >= max_results {
                    truncated = true;
                    break;
                }
                let solution = solution?;
                rows.push(
                    columns
                        .iter()
                        .map(|c| {
                            solution
                                .get(c.as_str())
                                .map(ToString::to_string)
                                .unwrap_or_default()
                        })
                        .collect(),
                );
            }
            (columns, rows)
        }
        QueryResults::Graph(triples) => {
            let mut rows = Vec::new();
            for (count, triple) in triples.enumerate() {
                if count >= max_results {
                    truncated = true;
                    break;
                }
                let triple = triple?;
                rows.push(vec![
                    triple.subject.to_string(),
                    triple.predicate.to_string(),
                    triple.object.to_string(),
                ]);
            }
            (
                vec!["subject".into(), "predicate".into(), "object".into()],
                rows,
            )
        }
    };
    let table = crate::html::table(&columns, &rows, truncated);
    let page = match html_page {
        Some(render) => render(lang.unwrap_or("fr"), query, Some(&table)),
        None => crate::html::page(query, Some(&table)),
    };
    Ok(body(
        "text/html; charset=utf-8",
        page.into_bytes(),
        truncated,
    ))
}

fn serialize(
    results: QueryResults<'_>,
    accept: Option<&str>,
    max_results: usize,
) -> Result<Reply, QueryEvaluationError> {
    const RESULT_TYPES: &str = "application/sparql-results+json, application/sparql-results+xml, text/csv, text/tab-separated-values";
    const GRAPH_TYPES: &str =
        "text/turtle, application/n-triples, application/rdf+xml, application/ld+json";
    let mut truncated = false;
    match results {
        QueryResults::Boolean(value) => {
            let Some(format) = results_format(accept) else {
                return Ok(not_acceptable(RESULT_TYPES));
            };
            let bytes = QueryResultsSerializer::from_format(format)
                .serialize_boolean_to_writer(Vec::new(), value)
                .map_err(io_error)?;
            Ok(body(format.media_type(), bytes, truncated))
        }
        QueryResults::Solutions(solutions) => {
            let Some(format) = results_format(accept) else {
                return Ok(not_acceptable(RESULT_TYPES));
            };
            let mut writer = QueryResultsSerializer::from_format(format)
                .serialize_solutions_to_writer(Vec::new(), solutions.variables().to_vec())
                .map_err(io_error)?;
            for (count, solution) in solutions.enumerate() {
                if count >= max_results {
                    truncated = true;
                    break;
                }
                writer.serialize(&solution?).map_err(io_error)?;
            }
            Ok(body(
                format.media_type(),
                writer.finish().map_err(io_error)?,
                truncated,
            ))
        }
        QueryResults::Graph(triples) => {
            let Some(format) = graph_format(accept) else {
                return Ok(not_acceptable(GRAPH_TYPES));
            };
            let mut writer = RdfSerializer::from_format(format).for_writer(Vec::new());
            for (count, triple) in triples.enumerate() {
                if count >= max_results {
                    truncated = true;
                    break;
                }
                writer.serialize_triple(&triple?).map_err(io_error)?;
            }
            Ok(body(
                format.media_type(),
                writer.finish().map_err(io_error)?,
                truncated,
            ))
        }
    }
}
