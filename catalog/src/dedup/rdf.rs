//! The links graph: each cluster is a `prov:Collection` (typed `fedcat:DuplicateCluster`) whose
//! `prov:hadMember`s are the datasets, one of them its `fedcat:primaryMember`; members are
//! `prov:alternateOf` each other (every member and the primary, and every linked pair); each
//! link is a `fedcat:DuplicateLink` carrying its score and evidence.

use super::cluster::{Evidence, Link, RecordSummary};
use super::minhash::fnv64;
use crate::IriMinter;
use crate::vocab::{fedcat, prov};
use oxigraph::model::vocab::{rdf, xsd};
use oxigraph::model::{GraphName, Literal, NamedNode, NamedNodeRef, Quad, Term};
use std::collections::BTreeSet;

fn decimal(value: f64) -> Term {
    Literal::new_typed_literal(format!("{value:.2}"), xsd::DECIMAL).into()
}

fn hundredths(value: u32) -> Term {
    decimal(f64::from(value) / 100.0)
}

/// The quads describing one cluster in the links graph.
#[expect(
    clippy::too_many_lines,
    reason = "the quads of one cluster: members, primary, and each link with its evidence"
)]
pub fn cluster_quads(
    iris: &IriMinter,
    cluster_id: &str,
    members: &[&RecordSummary],
    primary: usize,
    links: &[Link<usize>],
) -> Vec<Quad> {
    let graph: GraphName = iris.links_graph().into();
    let cluster = iris.cluster(cluster_id);
    let mut quads = Vec::new();
    let mut add = |subject: &NamedNode, predicate: NamedNodeRef<'_>, object: Term| {
        quads.push(Quad::new(subject.clone(), predicate, object, graph.clone()));
    };
    let datasets: Vec<Option<NamedNode>> = members
        .iter()
        .map(|m| NamedNode::new(m.dataset.clone()).ok())
        .collect();
    add(&cluster, rdf::TYPE, fedcat::DUPLICATE_CLUSTER.into());
    add(&cluster, rdf::TYPE, prov::COLLECTION.into());
    add(
        &cluster,
        fedcat::MEMBER_COUNT,
        Literal::from(members.len() as i64).into(),
    );
    for dataset in datasets.iter().flatten() {
        add(&cluster, prov::HAD_MEMBER, dataset.clone().into());
        add(dataset, fedcat::IN_CLUSTER, cluster.clone().into());
    }
    if let Some(primary) = &datasets[primary] {
        add(&cluster, fedcat::PRIMARY_MEMBER, primary.clone().into());
    }
    let mut alternates: BTreeSet<(usize, usize)> = BTreeSet::new();
    for index in 0..members.len() {
        if index != primary {
            alternates.insert((index, primary));
            alternates.insert((primary, index));
        }
    }
    for link in links {
        alternates.insert(link.pair);
        alternates.insert((link.pair.1, link.pair.0));
    }
    for (a, b) in alternates {
        if let (Some(x), Some(y)) = (&datasets[a], &datasets[b])
            && x != y
        {
            add(x, prov::ALTERNATE_OF, y.clone().into());
        }
    }
    for link in links {
        let (a, b) = link.pair;
        let key = format!("{} {}", members[a].id, members[b].id);
        let node = NamedNode::new_unchecked(format!(
            "{}/link/{:016x}",
            cluster.as_str(),
            fnv64(key.as_bytes())
        ));
        add(&cluster, fedcat::HAS_LINK, node.clone().into());
        add(&node, rdf::TYPE, fedcat::DUPLICATE_LINK.into());
        for dataset in [&datasets[a], &datasets[b]].into_iter().flatten() {
            add(&node, fedcat::LINKED_RECORD, dataset.clone().into());
        }
        add(&node, fedcat::LINK_SCORE, decimal(link.score));
        for item in &link.evidence {
            let (predicate, value): (NamedNodeRef<'_>, Term) = match item {
                Evidence::Identifier(text) => (
                    fedcat::MATCHED_IDENTIFIER,
                    Literal::from(text.as_str()).into(),
                ),
                Evidence::PortalDataset(text) => (
                    fedcat::MATCHED_PORTAL_DATASET,
                    Literal::from(text.as_str()).into(),
                ),
                Evidence::Url(text) => (fedcat::MATCHED_URL, Literal::from(text.as_str()).into()),
                Evidence::Title(value) => (fedcat::TITLE_SIMILARITY, hundredths(*value)),
                Evidence::Description(value) => {
                    (fedcat::DESCRIPTION_SIMILARITY, hundredths(*value))
                }
                Evidence::Publisher(value) => (fedcat::PUBLISHER_SIMILARITY, hundredths(*value)),
                Evidence::Temporal(value) => (fedcat::TEMPORAL_OVERLAP, hundredths(*value)),
                Evidence::Spatial(value) => (fedcat::SPATIAL_OVERLAP, hundredths(*value)),
                Evidence::TitleWordsDiffer => {
                    (fedcat::TITLE_WORDS_DIFFER, Literal::from(true).into())
                }
            };
            add(&node, predicate, value);
        }
    }
    quads
}
