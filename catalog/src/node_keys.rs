//! One text key per RDF node, the same wherever fedcat groups a record's triples by node: an
//! IRI as itself, a blank node as `_:label`.

use oxigraph::model::{NamedOrBlankNode, Term};

/// The key of a node in object position; `None` for a literal.
pub fn node_key(term: &Term) -> Option<String> {
    match term {
        Term::NamedNode(n) => Some(n.as_str().to_owned()),
        Term::BlankNode(b) => Some(format!("_:{}", b.as_str())),
        _ => None,
    }
}

/// The key of a subject.
pub fn subject_key(subject: &NamedOrBlankNode) -> String {
    match subject {
        NamedOrBlankNode::NamedNode(n) => n.as_str().to_owned(),
        NamedOrBlankNode::BlankNode(b) => format!("_:{}", b.as_str()),
    }
}
