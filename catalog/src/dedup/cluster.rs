//! The linker: what is known of each record ([`RecordSummary`]) becomes comparison
//! [`Features`] and blocking keys; records sharing a key are compared, each pair's
//! [`Evidence`] is scored, pairs at the threshold or above are links, and union-find turns the
//! links into clusters. [`link`] does all of it in memory over a whole catalogue; the
//! incremental path in `persist.rs` reuses the same features, keys and scoring.

use super::keys::{
    normalize_identifier, normalize_url, portal_dataset_key, publisher_similarity, publisher_words,
};
use super::minhash::{
    DESCRIPTION_BAND_ROWS, DESCRIPTION_SLOTS, Signature, TITLE_BAND_ROWS, TITLE_SLOTS, bands,
    description_shingles, estimated_similarity, fnv64, jaccard, signature, title_shingles,
};
use serde::{Deserialize, Serialize};
use std::collections::{HashMap, HashSet};

/// A block holding more records than this says nothing about any pair in it (a portal's home
/// page given as every landing page, a title like "Budget").
pub const MAX_BLOCK: usize = 100;

/// What the linker knows of one record, read from its graph.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct RecordSummary {
    /// The record's graph IRI: its identity in the catalogue.
    pub id: String,
    /// The dataset IRI the record describes.
    pub dataset: String,
    /// Its source.
    pub source: String,
    /// Title.
    pub title: String,
    /// Description (may be empty).
    #[serde(default)]
    pub description: String,
    /// Publisher name.
    pub publisher: Option<String>,
    /// Identifiers: `dct:identifier`, `adms:identifier`, the dataset IRI when the portal gave
    /// one, and the remote ids and URLs a portal recorded when it copied another.
    pub identifiers: Vec<String>,
    /// Landing page, download and access URLs.
    pub urls: Vec<String>,
    /// The record says it was harvested from another portal (an aggregator's copy).
    #[serde(default)]
    pub is_copy: bool,
    /// How many distinct properties the record fills (dataset and distributions).
    #[serde(default)]
    pub completeness: u32,
    /// Temporal coverage as a range of years, when the record gives one.
    #[serde(default)]
    pub years: Option<(i32, i32)>,
    /// Spatial coverage: the `dct:spatial` IRIs or names.
    #[serde(default)]
    pub places: Vec<String>,
}

/// What the comparison of two records uses, derived once per record.
#[derive(Debug, Clone, Default)]
pub struct Features {
    title: Vec<u64>,
    title_words: Vec<String>,
    title_signature: Option<Signature>,
    description: Option<Signature>,
    publisher: Vec<String>,
    identifiers: Vec<String>,
    portal_datasets: Vec<String>,
    urls: Vec<String>,
    years: Option<(i32, i32)>,
    places: Vec<String>,
}

/// Why two records were linked. Similarities are in hundredths.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Evidence {
    /// The same normalised identifier.
    Identifier(String),
    /// The same portal dataset (Opendatasoft or CKAN URL patterns of one dataset).
    PortalDataset(String),
    /// The same normalised URL (a landing page or a file), held by one record in each source.
    Url(String),
    /// Title similarity (Jaccard of word pairs).
    Title(u32),
    /// Description similarity (estimated Jaccard of word triples); only when both have one.
    Description(u32),
    /// Publisher name agreement; only when both name one.
    Publisher(u32),
    /// Overlap of the temporal coverages (years in common over years in either); only when
    /// both give one.
    Temporal(u32),
    /// Overlap of the spatial coverages; only when both give one.
    Spatial(u32),
    /// Each title has a word the other lacks ("Budget 2020 - Gap" and "Budget 2020 - Nice"):
    /// unless the publisher is the same, the titles name two things.
    TitleWordsDiffer,
}

/// Words that never tell two titles apart.
const TITLE_STOPWORDS: [&str; 19] = [
    "de", "des", "du", "la", "le", "les", "l", "d", "et", "en", "a", "au", "aux", "sur", "pour",
    "par", "the", "of", "and",
];

/// A scored pair of records (indexes into the linked slice, or ids in the incremental path).
#[derive(Debug, Clone, PartialEq)]
pub struct Link<T> {
    /// The two records, the smaller first.
    pub pair: (T, T),
    /// The score, 0–1.
    pub score: f64,
    /// The evidence, sorted.
    pub evidence: Vec<Evidence>,
}

/// The result of linking a catalogue.
#[derive(Debug, Clone, Default)]
pub struct Linking {
    /// Pairs at the threshold or above.
    pub links: Vec<Link<usize>>,
    /// Clusters of two records or more, each sorted, in order of their first record.
    pub clusters: Vec<Vec<usize>>,
    /// Candidate pairs compared.
    pub candidates: usize,
}

/// The top bit marks keys that stand for one thing (identifier, URL, portal dataset), the next
/// one identifiers among them. A URL or portal dataset held by two records of one source is
/// ambiguous there; an identifier is taken at its word.
const EXACT: u64 = 1 << 63;
const IDENTIFIER: u64 = 1 << 62;

/// What a blocking key stands for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyClass {
    /// A normalised identifier.
    Identifier,
    /// A normalised URL or portal dataset.
    Locator,
    /// An LSH band of a title or description signature.
    Band,
}

/// The class of a blocking key.
pub fn key_class(key: u64) -> KeyClass {
    match (key & EXACT != 0, key & IDENTIFIER != 0) {
        (true, true) => KeyClass::Identifier,
        (true, false) => KeyClass::Locator,
        _ => KeyClass::Band,
    }
}

fn exact_key(kind: u8, text: &str) -> u64 {
    let mut bytes = Vec::with_capacity(text.len() + 2);
    bytes.push(kind);
    bytes.push(0);
    bytes.extend_from_slice(text.as_bytes());
    let hash = fnv64(&bytes) | EXACT;
    if kind == b'i' {
        hash | IDENTIFIER
    } else {
        hash & !IDENTIFIER
    }
}

fn band_key(kind: u8, band: u64) -> u64 {
    let mut bytes = [0u8; 9];
    bytes[0] = kind;
    bytes[1..].copy_from_slice(&band.to_le_bytes());
    fnv64(&bytes) & !EXACT
}

/// Which pairs of a block (its records' sources given in block order) are candidates: any pair
/// for an identifier; for a URL or portal dataset, pairs of two sources each holding it once;
/// for a band, pairs of two sources.
pub fn block_pairs<S: PartialEq + Eq + std::hash::Hash>(
    class: KeyClass,
    sources: &[S],
) -> Vec<(usize, usize)> {
    let mut counts: HashMap<&S, usize> = HashMap::new();
    if class == KeyClass::Locator {
        for source in sources {
            *counts.entry(source).or_default() += 1;
        }
    }
    let mut pairs = Vec::new();
    for (i, a) in sources.iter().enumerate() {
        for (j, b) in sources.iter().enumerate().skip(i + 1) {
            let keep = match class {
                KeyClass::Identifier => true,
                KeyClass::Locator => a != b && counts[a] == 1 && counts[b] == 1,
                KeyClass::Band => a != b,
            };
            if keep {
                pairs.push((i, j));
            }
        }
    }
    pairs
}

impl Features {
    /// The features of a record.
    pub fn of(record: &RecordSummary) -> Self {
        let title = title_shingles(&record.title);
        let mut title_words: Vec<String> = super::minhash::words(&record.title)
            .into_iter()
            .filter(|w| !TITLE_STOPWORDS.contains(&w.as_str()))
            .collect();
        title_words.sort();
        title_words.dedup();
        let title_signature = signature(&title, TITLE_SLOTS);
        let description = signature(
            &description_shingles(&record.description),
            DESCRIPTION_SLOTS,
        );
        let mut identifiers: Vec<String> = record
            .identifiers
            .iter()
            .filter_map(|i| normalize_identifier(i))
            .collect();
        identifiers.sort();
        identifiers.dedup();
        // An identifier written as a URL also meets the same URL given as a landing page.
        let url_texts = record.urls.iter().chain(&record.identifiers);
        let mut urls: Vec<String> = url_texts.clone().filter_map(|u| normalize_url(u)).collect();
        urls.sort();
        urls.dedup();
        let mut portal_datasets: Vec<String> =
            url_texts.filter_map(|u| portal_dataset_key(u)).collect();
        portal_datasets.sort();
        portal_datasets.dedup();
        Self {
            title,
            title_words,
            title_signature,
            description,
            publisher: record
                .publisher
                .as_deref()
                .map(publisher_words)
                .unwrap_or_default(),
            identifiers,
            portal_datasets,
            urls,
            years: record.years,
            places: {
                let mut places = record.places.clone();
                places.sort();
                places.dedup();
                places
            },
        }
    }

    /// The blocking keys of the record: exact keys for identifiers, portal datasets and URLs,
    /// LSH band keys for the title and the description.
    pub fn blocking_keys(&self) -> Vec<u64> {
        let mut keys: Vec<u64> = Vec::new();
        keys.extend(self.identifiers.iter().map(|i| exact_key(b'i', i)));
        keys.extend(self.portal_datasets.iter().map(|p| exact_key(b'p', p)));
        keys.extend(self.urls.iter().map(|u| exact_key(b'u', u)));
        if let Some(signature) = &self.title_signature {
            keys.extend(bands(signature, TITLE_BAND_ROWS).map(|b| band_key(b't', b)));
        }
        if let Some(signature) = &self.description {
            keys.extend(bands(signature, DESCRIPTION_BAND_ROWS).map(|b| band_key(b'd', b)));
        }
        keys.sort_unstable();
        keys.dedup();
        keys
    }
}

fn shared<'a>(a: &'a [String], b: &'a [String]) -> impl Iterator<Item = &'a String> {
    a.iter().filter(|x| b.binary_search(x).is_ok())
}

fn hundredths(value: f64) -> u32 {
    (value * 100.0).round() as u32
}

/// The evidence between two records. `ambiguous(key)` tells whether a URL or portal-dataset
/// key is held by more than one record of either record's source (or by too many records):
/// such a key (a shared documentation page, a portal's home page) identifies neither record.
pub fn compare(a: &Features, b: &Features, ambiguous: &dyn Fn(u64) -> bool) -> Vec<Evidence> {
    let mut evidence = Vec::new();
    evidence
        .extend(shared(&a.identifiers, &b.identifiers).map(|i| Evidence::Identifier(i.clone())));
    evidence.extend(
        shared(&a.portal_datasets, &b.portal_datasets)
            .filter(|p| !ambiguous(exact_key(b'p', p)))
            .map(|p| Evidence::PortalDataset(p.clone())),
    );
    evidence.extend(
        shared(&a.urls, &b.urls)
            .filter(|u| !ambiguous(exact_key(b'u', u)))
            .map(|u| Evidence::Url(u.clone())),
    );
    if !a.title.is_empty() && !b.title.is_empty() {
        evidence.push(Evidence::Title(hundredths(jaccard(&a.title, &b.title))));
    }
    let only = |x: &Features, y: &Features| {
        x.title_words
            .iter()
            .any(|w| y.title_words.binary_search(w).is_err())
    };
    if !a.title_words.is_empty() && !b.title_words.is_empty() && only(a, b) && only(b, a) {
        evidence.push(Evidence::TitleWordsDiffer);
    }
    if let (Some(x), Some(y)) = (&a.description, &b.description) {
        evidence.push(Evidence::Description(hundredths(estimated_similarity(
            x, y,
        ))));
    }
    if !a.publisher.is_empty() && !b.publisher.is_empty() {
        evidence.push(Evidence::Publisher(hundredths(publisher_similarity(
            &a.publisher,
            &b.publisher,
        ))));
    }
    if let (Some((a_start, a_end)), Some((b_start, b_end))) = (a.years, b.years) {
        let common = (a_end.min(b_end) - a_start.max(b_start) + 1).max(0);
        let either = a_end.max(b_end) - a_start.min(b_start) + 1;
        evidence.push(Evidence::Temporal(hundredths(
            f64::from(common) / f64::from(either.max(1)),
        )));
    }
    if !a.places.is_empty() && !b.places.is_empty() {
        let common = shared(&a.places, &b.places).count();
        let either = a.places.len() + b.places.len() - common;
        evidence.push(Evidence::Spatial(hundredths(
            common as f64 / either.max(1) as f64,
        )));
    }
    evidence.sort();
    evidence
}

/// Weights of the content score: title, description, publisher.
const TITLE_WEIGHT: f64 = 0.45;
const DESCRIPTION_WEIGHT: f64 = 0.35;
const PUBLISHER_WEIGHT: f64 = 0.2;

/// A content score is multiplied by this when both records give a temporal (or spatial)
/// coverage and the two have nothing in common: "Budget 2019" and "Budget 2021" of one city.
const DISJOINT_COVERAGE: f64 = 0.85;

/// A content score is multiplied by this when each title has a word the other lacks and the
/// publishers are not the same: templated datasets of a family ("Élections - Commune de X")
/// share most of their title, description and publisher name.
const DIFFERENT_SUBJECT: f64 = 0.8;

/// Scores a pair from its evidence, 0–1. A shared identifier or portal dataset is decisive
/// (1.0), a shared URL strong (0.9); otherwise the content score weighs title (0.45),
/// description (0.35) and publisher (0.2), the description's weight spread over the others
/// when either record has none, and lowered when the temporal or spatial coverages are
/// disjoint.
pub fn score(evidence: &[Evidence]) -> f64 {
    let mut strong: f64 = 0.0;
    let (mut title, mut description, mut publisher) = (0.0, None, 0.0);
    let mut coverage = 1.0;
    let mut words_differ = false;
    for item in evidence {
        match item {
            Evidence::Identifier(_) | Evidence::PortalDataset(_) => strong = 1.0,
            Evidence::Url(_) => strong = strong.max(0.9),
            Evidence::Title(value) => title = f64::from(*value) / 100.0,
            Evidence::Description(value) => description = Some(f64::from(*value) / 100.0),
            Evidence::Publisher(value) => publisher = f64::from(*value) / 100.0,
            Evidence::Temporal(0) | Evidence::Spatial(0) => coverage *= DISJOINT_COVERAGE,
            Evidence::Temporal(_) | Evidence::Spatial(_) => {}
            Evidence::TitleWordsDiffer => words_differ = true,
        }
    }
    if words_differ && publisher < 1.0 {
        coverage *= DIFFERENT_SUBJECT;
    }
    let content = match description {
        Some(description) => {
            TITLE_WEIGHT * title + DESCRIPTION_WEIGHT * description + PUBLISHER_WEIGHT * publisher
        }
        None => {
            (TITLE_WEIGHT * title + PUBLISHER_WEIGHT * publisher)
                / (TITLE_WEIGHT + PUBLISHER_WEIGHT)
        }
    };
    strong.max(content * coverage).min(1.0)
}

/// The score of a pair when it may be linked: two records of one source only by an
/// identifier (a portal listing one dataset twice), otherwise at `threshold` or above.
pub fn accept(same_source: bool, evidence: &[Evidence], threshold: f64) -> Option<f64> {
    if same_source
        && !evidence
            .iter()
            .any(|e| matches!(e, Evidence::Identifier(_)))
    {
        return None;
    }
    let value = score(evidence);
    (value >= threshold).then_some(value)
}

/// Union-find over record indexes.
pub struct UnionFind(Vec<usize>);

impl UnionFind {
    /// `len` singletons.
    pub fn new(len: usize) -> Self {
        Self((0..len).collect())
    }

    /// The representative of `x` (the smallest index of its set).
    pub fn find(&mut self, x: usize) -> usize {
        let mut root = x;
        while self.0[root] != root {
            root = self.0[root];
        }
        let mut node = x;
        while self.0[node] != root {
            let next = self.0[node];
            self.0[node] = root;
            node = next;
        }
        root
    }

    /// Joins the sets of `a` and `b`.
    pub fn union(&mut self, a: usize, b: usize) {
        let (x, y) = (self.find(a), self.find(b));
        self.0[x.max(y)] = x.min(y);
    }

    /// The sets of two elements or more, each sorted, in order of their smallest element.
    pub fn groups(mut self) -> Vec<Vec<usize>> {
        let mut groups: HashMap<usize, Vec<usize>> = HashMap::new();
        for index in 0..self.0.len() {
            let root = self.find(index);
            groups.entry(root).or_default().push(index);
        }
        let mut groups: Vec<Vec<usize>> = groups.into_values().filter(|g| g.len() > 1).collect();
        groups.sort();
        groups
    }
}

/// Runs `work` over `items` split across the machine's cores, results in order.
fn parallel_map<T: Sync, R: Send>(items: &[T], work: impl Fn(&T) -> R + Sync) -> Vec<R> {
    let threads = std::thread::available_parallelism().map_or(1, std::num::NonZero::get);
    let chunk = items.len().div_ceil(threads).max(1);
    std::thread::scope(|scope| {
        let handles: Vec<_> = items
            .chunks(chunk)
            .map(|part| scope.spawn(|| part.iter().map(&work).collect::<Vec<R>>()))
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().expect("linker thread panicked"))
            .collect()
    })
}

/// Links a whole catalogue in memory: features, blocking keys sorted into blocks, candidate
/// pairs from blocks of at most [`MAX_BLOCK`] records, evidence, score, clusters. The cost
/// grows with the number of records and the size of their blocks, never with all pairs.
pub fn link(records: &[RecordSummary], threshold: f64) -> Linking {
    let features = parallel_map(records, Features::of);
    let mut source_index: HashMap<&str, u32> = HashMap::new();
    let sources: Vec<u32> = records
        .iter()
        .map(|r| {
            let next = source_index.len() as u32;
            *source_index.entry(r.source.as_str()).or_insert(next)
        })
        .collect();
    let keyed = parallel_map(&features, Features::blocking_keys);
    let mut entries: Vec<(u64, u32)> = Vec::with_capacity(keyed.iter().map(Vec::len).sum());
    for (index, keys) in keyed.into_iter().enumerate() {
        entries.extend(keys.into_iter().map(|key| (key, index as u32)));
    }
    entries.sort_unstable();
    let mut ambiguous: HashSet<(u64, u32)> = HashSet::new();
    let mut pairs: Vec<(u32, u32)> = Vec::new();
    for block in entries.chunk_by(|x, y| x.0 == y.0) {
        let key = block[0].0;
        let class = key_class(key);
        let block_sources: Vec<u32> = block.iter().map(|&(_, i)| sources[i as usize]).collect();
        if class == KeyClass::Locator {
            let mut seen = HashSet::new();
            for &source in &block_sources {
                if !seen.insert(source) || block.len() > MAX_BLOCK {
                    ambiguous.insert((key, source));
                }
            }
        }
        if block.len() < 2 || block.len() > MAX_BLOCK {
            continue;
        }
        for (i, j) in block_pairs(class, &block_sources) {
            let (a, b) = (block[i].1, block[j].1);
            pairs.push((a.min(b), a.max(b)));
        }
    }
    pairs.sort_unstable();
    pairs.dedup();
    let scored = parallel_map(&pairs, |&(a, b)| {
        let (a, b) = (a as usize, b as usize);
        let (sa, sb) = (sources[a], sources[b]);
        let is_ambiguous =
            |key: u64| ambiguous.contains(&(key, sa)) || ambiguous.contains(&(key, sb));
        let evidence = compare(&features[a], &features[b], &is_ambiguous);
        accept(sa == sb, &evidence, threshold).map(|score| Link {
            pair: (a, b),
            score,
            evidence,
        })
    });
    let links: Vec<Link<usize>> = scored.into_iter().flatten().collect();
    let mut union = UnionFind::new(records.len());
    for link in &links {
        union.union(link.pair.0, link.pair.1);
    }
    Linking {
        candidates: pairs.len(),
        clusters: union.groups(),
        links,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(id: &str, source: &str, title: &str) -> RecordSummary {
        RecordSummary {
            id: id.into(),
            dataset: id.into(),
            source: source.into(),
            title: title.into(),
            ..RecordSummary::default()
        }
    }

    fn ids(records: &[RecordSummary], linking: &Linking) -> Vec<Vec<String>> {
        linking
            .clusters
            .iter()
            .map(|c| c.iter().map(|&i| records[i].id.clone()).collect())
            .collect()
    }

    #[test]
    fn copies_are_linked_by_portal_dataset_or_title_and_publisher() {
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
        // Same source, same title, no identifier: never linked.
        let same_source = record(
            "a/damir-2",
            "a",
            "Open DAMIR : base complète sur les dépenses d'assurance maladie inter régimes",
        );
        let records = [ods, copy, damir_a, damir_b, unrelated, same_source];
        let linking = link(&records, 0.7);
        assert_eq!(
            ids(&records, &linking),
            vec![
                vec!["ods/vanves".to_owned(), "udata/vanves".to_owned()],
                vec!["a/damir".to_owned(), "b/damir".to_owned()],
            ],
            "{:?}",
            linking.links
        );
        let vanves = linking.links.iter().find(|l| l.pair == (0, 1)).unwrap();
        assert!(
            vanves
                .evidence
                .iter()
                .any(|e| matches!(e, Evidence::PortalDataset(_)))
        );
        assert_eq!(vanves.score, 1.0);
    }

    #[test]
    fn a_url_two_records_of_one_source_share_identifies_neither() {
        let shared = "http://www.ecosante.fr/DEPAFRA/252.html";
        let mut a1 = record("a/1", "a", "Accidents de la route");
        a1.urls = vec![shared.into()];
        let mut a2 = record("a/2", "a", "Les accidents de la circulation");
        a2.urls = vec![shared.into()];
        let mut b1 = record("b/1", "b", "Mortalité routière");
        b1.urls = vec![shared.into()];
        let linking = link(&[a1, a2, b1], 0.7);
        assert!(linking.links.is_empty(), "{:?}", linking.links);
    }

    #[test]
    fn one_source_listing_a_dataset_twice_is_linked_by_its_identifier() {
        let mut a1 = record("a/1", "a", "Budget 2020");
        a1.identifiers = vec!["urn:budget:2020".into()];
        let mut a2 = record("a/2", "a", "Budget primitif 2020");
        a2.identifiers = vec!["URN:budget:2020 ".into()];
        let linking = link(&[a1, a2], 0.7);
        assert_eq!(linking.clusters, vec![vec![0, 1]]);
    }

    #[test]
    fn the_description_weighs_when_both_have_one() {
        let title = vec![Evidence::Title(100), Evidence::Publisher(0)];
        assert!(score(&title) < 0.7, "title alone, other publisher");
        let described = vec![
            Evidence::Description(90),
            Evidence::Publisher(0),
            Evidence::Title(100),
        ];
        assert!(score(&described) > 0.75);
        assert_eq!(score(&[Evidence::Url("x".into())]), 0.9);
        let mut templated = described.clone();
        templated.push(Evidence::TitleWordsDiffer);
        assert!(score(&templated) < score(&described));
        let mut other_years = described.clone();
        other_years.push(Evidence::Temporal(0));
        assert!(score(&other_years) < score(&described));
    }
}
