//! Reading a [`RecordSummary`] from a record's graph: the dataset's title, description,
//! publisher name, identifiers (including what a portal recorded of the record it copied),
//! landing page and distribution URLs, whether it is a copy, and how complete it is.

use super::cluster::RecordSummary;
use crate::vocab::{adms, dcat, dct, fedcat, foaf, prov, skos, vcard};
use oxigraph::model::{NamedNodeRef, NamedOrBlankNode, Term, Triple};
use std::collections::HashSet;

/// Where a record lives: its graph, its dataset, its source.
#[derive(Debug, Clone)]
pub struct RecordRef {
    /// Graph IRI.
    pub graph: String,
    /// Dataset IRI.
    pub dataset: String,
    /// Source id.
    pub source: String,
}

fn text(term: &Term) -> Option<String> {
    match term {
        Term::Literal(literal) => Some(literal.value().to_owned()),
        Term::NamedNode(node) => Some(node.as_str().to_owned()),
        _ => None,
    }
}

/// A host as identifiers are scoped by it: lower case, without `www.`.
fn normalize_host(host: &str) -> String {
    let host = host.trim().to_ascii_lowercase();
    host.strip_prefix("www.").unwrap_or(&host).to_owned()
}

fn host_of(url: &str) -> Option<String> {
    url::Url::parse(url).ok()?.host_str().map(normalize_host)
}

/// True for an identifier that means the same thing wherever it is written: a URL or URN, a
/// UUID, a long hexadecimal id.
fn is_global(id: &str) -> bool {
    let id = id.trim();
    if id.contains("://") || id.to_ascii_lowercase().starts_with("urn:") {
        return true;
    }
    let digits: Vec<char> = id.chars().filter(|c| *c != '-').collect();
    digits.len() >= 16 && digits.iter().all(char::is_ascii_hexdigit)
}

/// A portal-local identifier (a slug such as `prenoms`) only identifies a dataset on its own
/// portal: it is compared as `{portal host}#{id}`. Without a known portal it is dropped
/// (empty); global identifiers are kept as they are.
fn scoped(id: &str, scope: Option<&str>) -> String {
    if is_global(id) {
        return id.trim().to_owned();
    }
    match scope {
        Some(scope) => format!("{scope}#{}", id.trim()),
        None => String::new(),
    }
}

/// Summarises one record graph. `base_iri` tells minted IRIs (never shared with another
/// source) from IRIs a portal gave, which identify the dataset.
#[expect(
    clippy::too_many_lines,
    reason = "reads every property the linker compares from a record graph"
)]
pub fn summarize(record: &RecordRef, triples: &[Triple], base_iri: &str) -> RecordSummary {
    let subject_is = |triple: &Triple, node: &str| match &triple.subject {
        NamedOrBlankNode::NamedNode(n) => n.as_str() == node,
        NamedOrBlankNode::BlankNode(b) => b.as_str() == node,
    };
    let term_key = |term: &Term| match term {
        Term::NamedNode(n) => Some(n.as_str().to_owned()),
        Term::BlankNode(b) => Some(b.as_str().to_owned()),
        _ => None,
    };
    let objects = |node: &str, predicate: NamedNodeRef<'_>| -> Vec<&Term> {
        triples
            .iter()
            .filter(|t| t.predicate == predicate && subject_is(t, node))
            .map(|t| &t.object)
            .collect()
    };
    let dataset = record.dataset.as_str();
    // A French or untagged literal first: the catalogue's language.
    let preferred = |values: Vec<&Term>| -> Option<String> {
        let rank = |term: &&Term| match term {
            Term::Literal(l) => match l.language() {
                Some("fr") | None => 0,
                Some(_) => 1,
            },
            _ => 2,
        };
        let mut values = values;
        values.sort_by_key(rank);
        values.first().and_then(|t| text(t))
    };
    let title = preferred(objects(dataset, dct::TITLE)).unwrap_or_default();
    let description = preferred(objects(dataset, dct::DESCRIPTION)).unwrap_or_default();
    let publisher = objects(dataset, dct::PUBLISHER)
        .into_iter()
        .find_map(|term| match term {
            Term::Literal(l) => Some(l.value().to_owned()),
            other => term_key(other).and_then(|agent| {
                [foaf::NAME, vcard::FN, skos::PREF_LABEL]
                    .into_iter()
                    .find_map(|p| preferred(objects(&agent, p)))
            }),
        });
    let landing_pages: Vec<String> = objects(dataset, dcat::LANDING_PAGE)
        .into_iter()
        .filter_map(text)
        .collect();
    let own_scope = landing_pages
        .iter()
        .find_map(|page| host_of(page))
        .unwrap_or_else(|| format!("source:{}", record.source));
    let first_text = |predicate| objects(dataset, predicate).into_iter().find_map(text);
    let remote_scope = first_text(fedcat::HARVEST_DOMAIN)
        .map(|domain| normalize_host(&domain))
        .or_else(|| first_text(fedcat::REMOTE_URL).and_then(|url| host_of(&url)));
    let mut identifiers: Vec<String> = Vec::new();
    let mut own: Vec<String> = objects(dataset, dct::IDENTIFIER)
        .into_iter()
        .filter_map(text)
        .collect();
    for node in objects(dataset, adms::IDENTIFIER_PROP) {
        match term_key(node) {
            Some(key) => own.extend(objects(&key, skos::NOTATION).into_iter().filter_map(text)),
            None => own.extend(text(node)),
        }
    }
    identifiers.extend(own.iter().map(|id| scoped(id, Some(&own_scope))));
    for predicate in [fedcat::REMOTE_ID, fedcat::REMOTE_IDENTIFIER] {
        identifiers.extend(
            objects(dataset, predicate)
                .into_iter()
                .filter_map(text)
                .filter_map(|id| {
                    let scoped = scoped(&id, remote_scope.as_deref());
                    (!scoped.is_empty()).then_some(scoped)
                }),
        );
    }
    for predicate in [fedcat::REMOTE_URL, prov::WAS_DERIVED_FROM] {
        identifiers.extend(objects(dataset, predicate).into_iter().filter_map(text));
    }
    if !dataset.starts_with(base_iri) {
        identifiers.push(dataset.to_owned());
    }
    let is_copy = [
        fedcat::REMOTE_ID,
        fedcat::REMOTE_URL,
        fedcat::HARVEST_BACKEND,
        prov::WAS_DERIVED_FROM,
    ]
    .into_iter()
    .any(|p| !objects(dataset, p).is_empty());
    let mut urls = landing_pages;
    let distributions: Vec<String> = objects(dataset, dcat::HAS_DISTRIBUTION)
        .into_iter()
        .filter_map(term_key)
        .collect();
    let mut properties: HashSet<(bool, &str)> = HashSet::new();
    for triple in triples {
        if subject_is(triple, dataset) {
            properties.insert((true, triple.predicate.as_str()));
        }
    }
    for distribution in &distributions {
        for predicate in [dcat::DOWNLOAD_URL, dcat::ACCESS_URL] {
            urls.extend(
                objects(distribution, predicate)
                    .into_iter()
                    .filter_map(text),
            );
        }
        for triple in triples {
            if subject_is(triple, distribution) {
                properties.insert((false, triple.predicate.as_str()));
            }
        }
    }
    let year = |node: &str, predicate| -> Option<i32> {
        objects(node, predicate)
            .into_iter()
            .find_map(text)
            .and_then(|date| date.get(..4)?.parse().ok())
    };
    let years = objects(dataset, dct::TEMPORAL)
        .into_iter()
        .filter_map(term_key)
        .find_map(|period| {
            let start = year(&period, dcat::START_DATE);
            let end = year(&period, dcat::END_DATE);
            match (start, end) {
                (Some(start), Some(end)) if start <= end => Some((start, end)),
                (Some(start), None) => Some((start, start)),
                (None, Some(end)) => Some((end, end)),
                _ => None,
            }
        });
    let places: Vec<String> = objects(dataset, dct::SPATIAL)
        .into_iter()
        .filter_map(|term| match term {
            Term::BlankNode(_) => None,
            other => text(other),
        })
        .collect();
    identifiers.sort();
    identifiers.dedup();
    urls.sort();
    urls.dedup();
    RecordSummary {
        id: record.graph.clone(),
        dataset: record.dataset.clone(),
        source: record.source.clone(),
        title,
        description,
        publisher,
        identifiers,
        urls,
        is_copy,
        completeness: properties.len() as u32,
        years,
        places,
    }
}
