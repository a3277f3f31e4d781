//! The datasets of the recorded DCAT catalogues (demo.ckan.org's first Hydra page,
//! opendata.swiss's catalogue, data.gouv.fr's ODS copy), each cut out with what it reaches
//! within three hops (distributions, agents, contact points): shared by the benchmarks.

use fedcat_catalog::oxigraph::io::{RdfFormat, RdfParser};
use fedcat_catalog::oxigraph::model::{NamedOrBlankNode, Term, Triple};
use std::collections::{HashMap, HashSet};
use std::path::Path;

/// The recorded catalogues read.
pub const FILES: [(&str, RdfFormat); 3] = [
    (
        "dcat/hydra/demo.ckan.org_catalog_page1_of_26.ttl",
        RdfFormat::Turtle,
    ),
    ("dcat/rdfxml/opendata-swiss_catalog.xml", RdfFormat::RdfXml),
    (
        "dcat/hydra/datagouv_org_catalog_partialcollectionview.rdf.xml",
        RdfFormat::RdfXml,
    ),
];

fn node_key(subject: &NamedOrBlankNode) -> String {
    subject.to_string()
}

/// Each dataset IRI with its triples.
pub fn datasets() -> Vec<(String, Vec<Triple>)> {
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/fixtures");
    let mut out = Vec::new();
    for (file, format) in FILES {
        let bytes = std::fs::read(fixtures.join(file)).unwrap();
        let triples: Vec<Triple> = RdfParser::from_format(format)
            .with_base_iri("https://example.org/")
            .unwrap()
            .for_reader(bytes.as_slice())
            .map(|q| Triple::from(q.unwrap()))
            .collect();
        let mut by_subject: HashMap<String, Vec<&Triple>> = HashMap::new();
        for t in &triples {
            by_subject.entry(node_key(&t.subject)).or_default().push(t);
        }
        for t in &triples {
            let is_dataset = t.predicate.as_str()
                == "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
                && t.object.to_string() == "<http://www.w3.org/ns/dcat#Dataset>";
            let NamedOrBlankNode::NamedNode(dataset) = &t.subject else {
                continue;
            };
            if !is_dataset {
                continue;
            }
            let mut seen: HashSet<String> = HashSet::new();
            let mut frontier = vec![node_key(&t.subject)];
            let mut record = Vec::new();
            for _ in 0..3 {
                let mut next = Vec::new();
                for node in frontier {
                    if !seen.insert(node.clone()) {
                        continue;
                    }
                    for triple in by_subject.get(&node).into_iter().flatten() {
                        record.push((*triple).clone());
                        match &triple.object {
                            Term::NamedNode(n) => next.push(format!("<{}>", n.as_str())),
                            Term::BlankNode(b) => next.push(format!("_:{}", b.as_str())),
                            _ => {}
                        }
                    }
                }
                frontier = next;
            }
            out.push((dataset.as_str().to_owned(), record));
        }
    }
    out
}
