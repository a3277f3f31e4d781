//! Candidate pairs from shared blocking keys, a pairwise score from the evidence, and
//! union-find into clusters. Pure functions over record summaries; reading them from the store
//! and writing the links graph come next.

use super::keys::{normalize_identifier, normalize_url, portal_dataset_key};
use super::minhash::{bands, signature, similarity};
use std::collections::{BTreeMap, BTreeSet, HashMap};

/// What the linker knows of one record.
#[derive(Debug, Clone, Default)]
pub struct RecordSummary {
    /// Stable id of the record (its dataset IRI).
    pub id: String,
    /// Its source.
    pub source: String,
    /// Title.
    pub title: String,
    /// Publisher name.
    pub publisher: Option<String>,
    /// Identifiers: `dct:identifier`, remote ids and URLs a portal recorded when it copied another.
    pub identifiers: Vec<String>,
    /// Landing page, download and access URLs.
    pub urls: Vec<String>,
}

/// Why two records were linked.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum Evidence {
    /// The same normalised identifier.
    Identifier(String),
    /// The same portal dataset (ODS/CKAN URL patterns).
    PortalDataset(String),
    /// The same normalised URL (a landing page or a file).
    Url(String),
    /// Similar titles (estimated Jaccard similarity, in hundredths).
    Title(u32),
    /// The same publisher name.
    Publisher,
}

/// A scored pair.
#[derive(Debug, Clone)]
pub struct Link {
    /// The two record ids, in order.
    pub pair: (String, String),
    /// The score, 0–1.
    pub score: f64,
    /// The evidence.
    pub evidence: BTreeSet<Evidence>,
}

/// Scores one pair from its evidence: an identifier or the same portal dataset is decisive, a
/// shared URL strong, similar titles from the same publisher moderate.
pub fn score(evidence: &BTreeSet<Evidence>) -> f64 {
    let mut score: f64 = 0.0;
    for item in evidence {
        score = score.max(match item {
            Evidence::Identifier(_) | Evidence::PortalDataset(_) => 1.0,
            Evidence::Url(_) => 0.9,
            _ => 0.0,
        });
    }
    let title = evidence.iter().find_map(|e| match e {
        Evidence::Title(t) => Some(f64::from(*t) / 100.0),
        _ => None,
    });
    if let Some(title) = title {
        let publisher = if evidence.contains(&Evidence::Publisher) {
            0.2
        } else {
            0.0
        };
        score = score.max(0.75 * title + publisher);
    }
    score.min(1.0)
}

/// Links records: candidates from shared keys and title bands, scored, kept at `threshold` or
/// above, then clustered. Two records of one source are linked only by an identifier.
pub fn link(records: &[RecordSummary], threshold: f64) -> (Vec<Link>, Vec<Vec<String>>) {
    let mut blocks: HashMap<(u8, String), Vec<usize>> = HashMap::new();
    let signatures: Vec<_> = records.iter().map(|r| signature(&r.title)).collect();
    for (index, record) in records.iter().enumerate() {
        for identifier in record
            .identifiers
            .iter()
            .filter_map(|i| normalize_identifier(i))
        {
            blocks.entry((0, identifier)).or_default().push(index);
        }
        for url in &record.urls {
            if let Some(key) = portal_dataset_key(url) {
                blocks.entry((1, key)).or_default().push(index);
            }
            if let Some(key) = normalize_url(url) {
                blocks.entry((2, key)).or_default().push(index);
            }
        }
        if let Some(signature) = &signatures[index] {
            for (band, key) in bands(signature) {
                blocks
                    .entry((3, format!("{band}:{key:x}")))
                    .or_default()
                    .push(index);
            }
        }
    }
    let mut evidence: BTreeMap<(usize, usize), BTreeSet<Evidence>> = BTreeMap::new();
    for ((kind, key), members) in &blocks {
        // A key shared by very many records (a portal's home page) says nothing.
        if members.len() > 50 {
            continue;
        }
        for (i, &a) in members.iter().enumerate() {
            for &b in &members[i + 1..] {
                if a == b {
                    continue;
                }
                let pair = (a.min(b), a.max(b));
                let item = match kind {
                    0 => Evidence::Identifier(key.clone()),
                    1 => Evidence::PortalDataset(key.clone()),
                    2 => Evidence::Url(key.clone()),
                    _ => match (&signatures[a], &signatures[b]) {
                        (Some(x), Some(y)) => Evidence::Title((similarity(x, y) * 100.0) as u32),
                        _ => continue,
                    },
                };
                evidence.entry(pair).or_default().insert(item);
            }
        }
    }
    let mut links = Vec::new();
    let mut parent: Vec<usize> = (0..records.len()).collect();
    fn find(parent: &mut [usize], x: usize) -> usize {
        let mut root = x;
        while parent[root] != root {
            root = parent[root];
        }
        let mut node = x;
        while parent[node] != root {
            let next = parent[node];
            parent[node] = root;
            node = next;
        }
        root
    }
    for ((a, b), mut items) in evidence {
        let (ra, rb) = (&records[a], &records[b]);
        if ra.publisher.is_some()
            && ra.publisher.as_deref().map(str::to_lowercase)
                == rb.publisher.as_deref().map(str::to_lowercase)
        {
            items.insert(Evidence::Publisher);
        }
        let by_identifier = items.iter().any(|e| matches!(e, Evidence::Identifier(_)));
        if ra.source == rb.source && !by_identifier {
            continue;
        }
        let value = score(&items);
        if value >= threshold {
            let (x, y) = (find(&mut parent, a), find(&mut parent, b));
            parent[x.max(y)] = x.min(y);
            let pair = if ra.id <= rb.id {
                (ra.id.clone(), rb.id.clone())
            } else {
                (rb.id.clone(), ra.id.clone())
            };
            links.push(Link {
                pair,
                score: value,
                evidence: items,
            });
        }
    }
    let mut clusters: BTreeMap<usize, Vec<String>> = BTreeMap::new();
    for (index, record) in records.iter().enumerate() {
        let root = find(&mut parent, index);
        clusters.entry(root).or_default().push(record.id.clone());
    }
    let mut clusters: Vec<Vec<String>> = clusters
        .into_values()
        .filter(|members| members.len() > 1)
        .map(|mut members| {
            members.sort();
            members
        })
        .collect();
    clusters.sort();
    (links, clusters)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(id: &str, source: &str, title: &str) -> RecordSummary {
        RecordSummary {
            id: id.into(),
            source: source.into(),
            title: title.into(),
            ..RecordSummary::default()
        }
    }

    #[test]
    fn copies_are_linked_by_url_identifier_or_title_and_publisher() {
        let mut ods = record("ods/vanves", "ods", "Bureaux de vote - Vanves");
        ods.urls = vec![
            "https://vanves-seineouest.opendatasoft.com/explore/dataset/bureau-de-vote-vanves/"
                .into(),
        ];
        let mut copy = record("udata/vanves", "udata", "Bureaux de vote");
        copy.urls = vec!["https://vanves-seineouest.opendatasoft.com/api/explore/v2.1/catalog/datasets/bureau-de-vote-vanves/exports/csv".into()];
        let mut damir_a = record(
            "a/damir",
            "a",
            "Open DAMIR : base complète sur les dépenses d'assurance maladie inter régimes",
        );
        damir_a.publisher = Some("Caisse nationale de l'assurance maladie".into());
        let mut damir_b = record(
            "b/damir",
            "b",
            "Open Damir - base complete sur les depenses d'assurance maladie inter-regimes",
        );
        damir_b.publisher = Some("Caisse Nationale de l'Assurance Maladie".into());
        let unrelated = record("c/ter", "c", "Horaires des lignes TER");
        // Same source, similar titles, no identifier: never linked.
        let same_source = record(
            "a/damir-2",
            "a",
            "Open DAMIR : base complète sur les dépenses d'assurance maladie inter régimes 2",
        );
        let (links, clusters) = link(&[ods, copy, damir_a, damir_b, unrelated, same_source], 0.7);
        assert_eq!(
            clusters,
            vec![
                vec!["a/damir".to_owned(), "b/damir".to_owned()],
                vec!["ods/vanves".to_owned(), "udata/vanves".to_owned()],
            ],
            "{links:?}"
        );
        let vanves = links.iter().find(|l| l.pair.0 == "ods/vanves").unwrap();
        assert!(
            vanves
                .evidence
                .iter()
                .any(|e| matches!(e, Evidence::PortalDataset(_)))
        );
        assert_eq!(vanves.score, 1.0);
    }
}
