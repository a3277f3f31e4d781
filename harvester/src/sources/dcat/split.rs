//! Splits the triples of a catalogue page into one record per `dcat:Dataset`: the dataset, and
//! everything reachable from it (distributions, agents, contact points, blank nodes, nested
//! descriptions) without crossing into another dataset or the catalogue, plus the
//! `dcat:CatalogRecord` that describes it. Shared nodes (a publisher described once on the page)
//! are copied into every record that refers to them, so each record stands alone.

use fedcat_catalog::oxigraph::model::vocab::rdf;
use fedcat_catalog::oxigraph::model::{NamedNode, NamedOrBlankNode, Term, Triple};
use fedcat_catalog::vocab::{dcat, dct, foaf, hydra};
use std::collections::{HashMap, HashSet, VecDeque};

/// One dataset's triples.
pub(super) struct SplitRecord {
    /// The dataset node.
    pub root: NamedOrBlankNode,
    /// Its `dct:identifier`, if a literal one is given.
    pub identifier: Option<String>,
    /// Every triple of the record.
    pub triples: Vec<Triple>,
}

fn as_node(term: &Term) -> Option<NamedOrBlankNode> {
    match term {
        Term::NamedNode(n) => Some(n.clone().into()),
        Term::BlankNode(b) => Some(b.clone().into()),
        _ => None,
    }
}

/// Splits `triples` into records, in the order datasets first appear.
pub(super) fn split_records(triples: Vec<Triple>) -> Vec<SplitRecord> {
    let mut by_subject: HashMap<&NamedOrBlankNode, Vec<usize>> = HashMap::new();
    for (index, triple) in triples.iter().enumerate() {
        by_subject.entry(&triple.subject).or_default().push(index);
    }
    let mut roots = Vec::new();
    let mut boundaries: HashSet<&NamedOrBlankNode> = HashSet::new();
    let mut records_of: HashMap<&NamedOrBlankNode, Vec<&NamedOrBlankNode>> = HashMap::new();
    for triple in &triples {
        if triple.predicate == rdf::TYPE
            && let Term::NamedNode(class) = &triple.object
        {
            if *class == dcat::DATASET {
                if boundaries.insert(&triple.subject) {
                    roots.push(&triple.subject);
                }
            } else if *class == dcat::CATALOG
                || *class == hydra::PAGED_COLLECTION
                || *class == hydra::PARTIAL_COLLECTION_VIEW
            {
                boundaries.insert(&triple.subject);
            }
        }
        if triple.predicate == foaf::PRIMARY_TOPIC
            && let Some(topic) = as_node(&triple.object)
            && let Some((topic_key, _)) = by_subject.get_key_value(&topic)
        {
            records_of
                .entry(*topic_key)
                .or_default()
                .push(&triple.subject);
        }
    }
    roots
        .into_iter()
        .map(|root| {
            let mut visited: HashSet<&NamedOrBlankNode> = HashSet::new();
            let mut queue: VecDeque<&NamedOrBlankNode> = VecDeque::from([root]);
            for record in records_of.get(root).into_iter().flatten() {
                if !boundaries.contains(record) {
                    queue.push_back(record);
                }
            }
            let mut indices = Vec::new();
            while let Some(node) = queue.pop_front() {
                if !visited.insert(node) {
                    continue;
                }
                for &index in by_subject.get(node).into_iter().flatten() {
                    indices.push(index);
                    if let Some(object) = as_node(&triples[index].object)
                        && let Some((object_key, _)) = by_subject.get_key_value(&object)
                        && !boundaries.contains(object_key)
                        && !visited.contains(object_key)
                    {
                        queue.push_back(*object_key);
                    }
                }
            }
            indices.sort_unstable();
            indices.dedup();
            let record_triples: Vec<Triple> = indices.iter().map(|&i| triples[i].clone()).collect();
            let identifier = record_triples
                .iter()
                .filter(|t| &t.subject == root && t.predicate == dct::IDENTIFIER)
                .find_map(|t| match &t.object {
                    Term::Literal(l) if !l.value().trim().is_empty() => {
                        Some(l.value().trim().to_owned())
                    }
                    _ => None,
                });
            SplitRecord {
                root: root.clone(),
                identifier,
                triples: record_triples,
            }
        })
        .collect()
}

/// Replaces `old` by `new` wherever it occurs as subject or object.
pub(super) fn replace_node(
    triples: Vec<Triple>,
    old: &NamedOrBlankNode,
    new: &NamedNode,
) -> Vec<Triple> {
    let old_term: Term = old.clone().into();
    triples
        .into_iter()
        .map(|mut t| {
            if &t.subject == old {
                t.subject = new.clone().into();
            }
            if t.object == old_term {
                t.object = new.clone().into();
            }
            t
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use fedcat_catalog::oxigraph::io::{RdfFormat, RdfParser};

    #[test]
    fn datasets_take_their_distributions_but_not_each_other() {
        let ttl = r#"
            @prefix dcat: <http://www.w3.org/ns/dcat#> . @prefix dct: <http://purl.org/dc/terms/> .
            <http://e/cat> a dcat:Catalog ; dcat:dataset <http://e/a>, <http://e/b> .
            <http://e/a> a dcat:Dataset ; dct:title "A" ; dcat:distribution [ dcat:accessURL <http://e/a.csv> ] ;
                dct:publisher <http://e/org> ; dct:relation <http://e/b> .
            <http://e/b> a dcat:Dataset ; dct:title "B" ; dct:publisher <http://e/org> ; dct:isPartOf <http://e/cat> .
            <http://e/org> dct:title "Org" .
        "#;
        let triples: Vec<Triple> = RdfParser::from_format(RdfFormat::Turtle)
            .for_slice(ttl)
            .map(|q| q.unwrap().into())
            .collect();
        let records = split_records(triples);
        assert_eq!(records.len(), 2);
        // a: type, title, distribution, publisher, relation + bnode accessURL + org title
        assert_eq!(records[0].triples.len(), 7);
        // b: type, title, publisher, isPartOf + org title (the catalogue is not crossed into)
        assert_eq!(records[1].triples.len(), 5);
    }
}
