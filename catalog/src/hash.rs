//! Content hash of a record that does not depend on blank-node labels or triple order.
//!
//! Portals re-serialise the same record with fresh blank-node labels on every request; hashing
//! the raw bytes would report every such record as changed. The record's triples are put in
//! canonical form with RDFC-1.0 (W3C RDF Dataset Canonicalization, through `sophia_c14n`) and
//! the canonical N-Quads are hashed with SHA-256.

use crate::CatalogError;
use oxigraph::model::{Literal, NamedOrBlankNode, Term, Triple};
use sha2::{Digest, Sha256};
use sophia_api::MownStr;
use sophia_api::term::{BnodeId, IriRef, LanguageTag, SimpleTerm};
use std::collections::HashSet;

/// How many blank-node permutations RDFC-1.0 may try before giving up on a pathological record.
const PERMUTATION_LIMIT: usize = 4_096;

type SophiaQuad = ([SimpleTerm<'static>; 3], Option<SimpleTerm<'static>>);

fn iri(text: &str) -> SimpleTerm<'static> {
    SimpleTerm::Iri(IriRef::new_unchecked(MownStr::from(text.to_owned())))
}

fn blank(id: &str) -> SimpleTerm<'static> {
    SimpleTerm::BlankNode(BnodeId::new_unchecked(MownStr::from(id.to_owned())))
}

fn literal(lit: &Literal) -> SimpleTerm<'static> {
    let value = MownStr::from(lit.value().to_owned());
    match lit.language() {
        Some(lang) => SimpleTerm::LiteralLanguage(
            value,
            LanguageTag::new_unchecked(MownStr::from(lang.to_owned())),
            None,
        ),
        None => SimpleTerm::LiteralDatatype(
            value,
            IriRef::new_unchecked(MownStr::from(lit.datatype().as_str().to_owned())),
        ),
    }
}

fn subject(subject: &NamedOrBlankNode) -> SimpleTerm<'static> {
    match subject {
        NamedOrBlankNode::NamedNode(n) => iri(n.as_str()),
        NamedOrBlankNode::BlankNode(b) => blank(b.as_str()),
    }
}

fn object(term: &Term) -> SimpleTerm<'static> {
    match term {
        Term::NamedNode(n) => iri(n.as_str()),
        Term::BlankNode(b) => blank(b.as_str()),
        Term::Literal(l) => literal(l),
        #[allow(unreachable_patterns)]
        _ => iri("urn:fedcat:unsupported-object"),
    }
}

/// The canonical N-Quads of `triples` (blank nodes relabelled `c14n0`, `c14n1`… by RDFC-1.0,
/// lines sorted).
pub fn canonical_nquads(key: &str, triples: &[Triple]) -> Result<String, CatalogError> {
    let dataset: HashSet<SophiaQuad> = triples
        .iter()
        .map(|t| {
            (
                [
                    subject(&t.subject),
                    iri(t.predicate.as_str()),
                    object(&t.object),
                ],
                None,
            )
        })
        .collect();
    let mut out = Vec::new();
    sophia_c14n::rdfc10::normalize_with::<sophia_c14n::hash::Sha256, _, _>(
        &dataset,
        &mut out,
        sophia_c14n::rdfc10::DEFAULT_DEPTH_FACTOR,
        PERMUTATION_LIMIT,
    )
    .map_err(|e| CatalogError::Canonicalization {
        key: key.to_owned(),
        reason: e.to_string(),
    })?;
    String::from_utf8(out).map_err(|e| CatalogError::Canonicalization {
        key: key.to_owned(),
        reason: e.to_string(),
    })
}

/// Canonical N-Triples of a record without blank nodes: RDFC-1.0 has nothing to relabel
/// there, so its canonical form is the sorted, de-duplicated lines, made here without the
/// cost of the full algorithm (most JSON-API records, whose nodes fedcat mints, take this path).
fn sorted_ntriples(triples: &[Triple]) -> Option<String> {
    let mut lines = Vec::with_capacity(triples.len());
    for triple in triples {
        if triple.subject.is_blank_node() || triple.object.is_blank_node() {
            return None;
        }
        lines.push(format!("{triple} .\n"));
    }
    lines.sort_unstable();
    lines.dedup();
    Some(lines.concat())
}

/// `sha256:` followed by the hex SHA-256 of the record's canonical N-Quads.
pub fn content_hash(key: &str, triples: &[Triple]) -> Result<String, CatalogError> {
    let canonical = match sorted_ntriples(triples) {
        Some(text) => text,
        None => canonical_nquads(key, triples)?,
    };
    let digest = Sha256::digest(canonical.as_bytes());
    let mut hex = String::with_capacity(7 + 64);
    hex.push_str("sha256:");
    for byte in digest {
        hex.push_str(&format!("{byte:02x}"));
    }
    Ok(hex)
}

#[cfg(test)]
mod tests {
    use super::*;
    use oxigraph::io::{RdfFormat, RdfParser};

    fn parse(ttl: &str) -> Vec<Triple> {
        RdfParser::from_format(RdfFormat::Turtle)
            .for_slice(ttl)
            .map(|q| Triple::from(q.unwrap()))
            .collect()
    }

    #[test]
    fn hash_ignores_blank_node_labels_and_order() {
        let a = parse(
            "<http://e/d> <http://p/dist> _:x . _:x <http://p/url> <http://e/f> . \
             _:x <http://p/t> \"CSV\" .",
        );
        let b = parse(
            "_:n42 <http://p/t> \"CSV\" . <http://e/d> <http://p/dist> _:n42 . \
             _:n42 <http://p/url> <http://e/f> .",
        );
        assert_eq!(
            content_hash("k", &a).unwrap(),
            content_hash("k", &b).unwrap()
        );
    }

    #[test]
    fn hash_of_records_without_blank_nodes_ignores_order_and_duplicates() {
        let a = parse("<http://e/d> <http://p/t> \"a\" . <http://e/d> <http://p/u> <http://e/x> .");
        let b = parse(
            "<http://e/d> <http://p/u> <http://e/x> . <http://e/d> <http://p/t> \"a\" . \
             <http://e/d> <http://p/t> \"a\" .",
        );
        assert_eq!(
            content_hash("k", &a).unwrap(),
            content_hash("k", &b).unwrap()
        );
    }

    #[test]
    fn hash_changes_with_content() {
        let a = parse("<http://e/d> <http://p/t> \"a\" .");
        let b = parse("<http://e/d> <http://p/t> \"b\" .");
        assert_ne!(
            content_hash("k", &a).unwrap(),
            content_hash("k", &b).unwrap()
        );
    }
}
