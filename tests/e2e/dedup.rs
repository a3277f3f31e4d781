//! Duplicate linking, measured against labelled pairs built from the recorded fixtures: every
//! set is harvested through the fake portal into a real catalogue, linked, and the clusters are
//! read back from the links graph over SPARQL. Ground truth: datasud.fr's CKAN packages and
//! data.gouv.fr's harvested copies of them (the copy records the package id it came from);
//! data.gouv.fr's own datasets at several dates and on several instances (www 2019, www 2022,
//! demo, next) served as different portals *with the udata ids, slugs and URIs replaced*, so
//! that only content links them and the hidden id is the truth. Every other pair is a negative.

use crate::fake_portal::{
    FakePortal, ckan_packages, udata_database_datasets, udata_dataset_dir, udata_datasets,
};
use crate::support::{BASE_IRI, Deployment, select, source_toml};
use fedcat_catalog::Catalog;
use fedcat_catalog::dedup::{DedupOptions, DedupReport, minhash::fnv64};
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet, HashMap};

const WWW_2022: &str = "udata/datagouv-search-indicator/www.data.gouv.fr/2022-12-02-17-29/datasets";
const WWW_2019: &str = "udata/datagouv-search-indicator/www.data.gouv.fr/2019-08-14-11-39/datasets";
const DAMIR: &str = "udata/cnam_open_damir_history";
const DATASUD_CKAN: &str = "ckan/extracted/datasud.fr_package_search_snapshot__00.json";
const DATASUD_COPIES: &str = "ckan/datasud.fr_package_search_snapshot.json";
const LINKS: &str = "http://fedcat.test/graph/links";

/// Replaces what would identify a udata dataset without its content: the dataset id, slug,
/// page and API URIs, and the resource ids and the data.gouv.fr redirect URLs built from them.
/// Returns the masked datasets and, for each new id, the hidden one.
fn mask(datasets: Vec<Value>, portal: &str) -> (Vec<Value>, BTreeMap<String, String>) {
    let mut truth = BTreeMap::new();
    let masked = datasets
        .into_iter()
        .map(|mut dataset| {
            let hidden = dataset["id"].as_str().unwrap().to_owned();
            let new_id = format!(
                "{:08x}{:016x}",
                fnv64(portal.as_bytes()) as u32,
                fnv64(format!("{portal}/{hidden}").as_bytes())
            );
            truth.insert(new_id.clone(), hidden);
            dataset["id"] = Value::from(new_id.clone());
            dataset["slug"] = Value::from(new_id.clone());
            dataset["page"] = Value::from(format!("https://{portal}.test/datasets/{new_id}/"));
            dataset["uri"] = Value::from(format!("https://{portal}.test/api/1/datasets/{new_id}/"));
            if let Some(resources) = dataset["resources"].as_array_mut() {
                for (n, resource) in resources.iter_mut().enumerate() {
                    let object = resource.as_object_mut().unwrap();
                    object.insert("id".into(), Value::from(format!("{new_id}-{n}")));
                    object.remove("latest");
                    object.remove("preview_url");
                }
            }
            dataset
        })
        .collect();
    (masked, truth)
}

/// A cluster read from the links graph: its IRI and its member dataset IRIs.
async fn clusters_over_sparql(server: &str) -> BTreeMap<String, BTreeSet<String>> {
    let rows = select(
        server,
        &format!(
            "PREFIX prov: <http://www.w3.org/ns/prov#> PREFIX fc: <https://w3id.org/fedcat/ns#>
             SELECT ?c ?m WHERE {{ GRAPH <{LINKS}> {{ ?c a fc:DuplicateCluster ; prov:hadMember ?m }} }}"
        ),
    )
    .await;
    let mut clusters: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for row in rows {
        clusters
            .entry(row["c"]["value"].as_str().unwrap().to_owned())
            .or_default()
            .insert(row["m"]["value"].as_str().unwrap().to_owned());
    }
    clusters
}

/// Pairwise confusion of predicted clusters against true groups, over `records` records.
#[derive(Debug)]
struct Confusion {
    true_positives: u64,
    false_positives: u64,
    false_negatives: u64,
    true_negatives: u64,
}

impl Confusion {
    fn of(predicted: &BTreeMap<String, BTreeSet<String>>, truth: &HashMap<String, String>) -> Self {
        let pairs = |groups: Vec<Vec<&String>>| -> BTreeSet<(String, String)> {
            let mut out = BTreeSet::new();
            for group in groups {
                for (i, a) in group.iter().enumerate() {
                    for b in &group[i + 1..] {
                        out.insert(((*a).min(*b).clone(), (*a).max(*b).clone()));
                    }
                }
            }
            out
        };
        let predicted_pairs = pairs(
            predicted
                .values()
                .map(|members| members.iter().filter(|m| truth.contains_key(*m)).collect())
                .collect(),
        );
        let mut by_truth: BTreeMap<&String, Vec<&String>> = BTreeMap::new();
        for (record, hidden) in truth {
            by_truth.entry(hidden).or_default().push(record);
        }
        let true_pairs = pairs(by_truth.into_values().collect());
        let records = truth.len() as u64;
        let tp = predicted_pairs.intersection(&true_pairs).count() as u64;
        let fp = predicted_pairs.len() as u64 - tp;
        let fn_ = true_pairs.len() as u64 - tp;
        for pair in predicted_pairs.difference(&true_pairs) {
            eprintln!("false positive: {pair:?}");
        }
        for pair in true_pairs.difference(&predicted_pairs) {
            eprintln!("false negative: {pair:?}");
        }
        Self {
            true_positives: tp,
            false_positives: fp,
            false_negatives: fn_,
            true_negatives: records * (records - 1) / 2 - tp - fp - fn_,
        }
    }

    fn line(&self) -> String {
        format!(
            "TP {} FP {} FN {} TN {}, precision {:.3}, recall {:.3}",
            self.true_positives,
            self.false_positives,
            self.false_negatives,
            self.true_negatives,
            self.precision(),
            self.recall()
        )
    }

    fn precision(&self) -> f64 {
        self.true_positives as f64 / (self.true_positives + self.false_positives).max(1) as f64
    }

    fn recall(&self) -> f64 {
        self.true_positives as f64 / (self.true_positives + self.false_negatives).max(1) as f64
    }
}

async fn link(catalog: &Catalog, deployment: &Deployment) -> DedupReport {
    catalog
        .link_duplicates(&deployment.config.dedup_options(), &|_| {})
        .await
        .unwrap()
}

fn dataset_iri(source: &str, id: &str) -> String {
    format!("{BASE_IRI}/id/dataset/{source}/{id}")
}

#[tokio::test(flavor = "multi_thread")]
async fn hidden_id_evaluation_links_data_gouv_fr_datasets_across_dates_and_instances() {
    let portal = FakePortal::start().await;
    let damir =
        |file: &str| udata_datasets(&format!("{DAMIR}/54de1e8fc751df388646738b__{file}.json"));
    let sncf_www =
        udata_datasets("udata/extracted/transport-site_cassette_client_datasets_sncf__00.json");
    let sncf_next = udata_datasets("udata/extracted/transport-site_cassette_next_ter-3__00.json");
    let portals: Vec<(&str, Vec<Value>)> = vec![
        ("www2019", udata_dataset_dir(WWW_2019)),
        ("www2022", udata_dataset_dir(WWW_2022)),
        ("demo2018", damir("demo.data.gouv.fr__2018-02-20-16-12")),
        (
            "next2019",
            [damir("next.data.gouv.fr__2019-08-08-12-17"), sncf_next].concat(),
        ),
        (
            "www2021",
            [
                damir("www.data.gouv.fr__2021-10-08-17-44"),
                udata_datasets(&format!(
                    "{DAMIR}/54903bfac751df244d6accbc__www.data.gouv.fr__2019-08-05-16-34.json"
                )),
                sncf_www,
            ]
            .concat(),
        ),
    ];
    let mut sources = String::new();
    let mut truth: HashMap<String, String> = HashMap::new();
    for (name, datasets) in portals {
        let (masked, hidden) = mask(datasets, name);
        for (new_id, original) in hidden {
            truth.insert(dataset_iri(name, &new_id), original);
        }
        let url = portal.add_udata(name, masked);
        sources.push_str(&source_toml(name, "udata", &url, "page_size = 100"));
    }
    let deployment = Deployment::new(&sources, "");
    let catalog = deployment.open().await;
    for name in ["www2019", "www2022", "demo2018", "next2019", "www2021"] {
        deployment.harvest(&catalog, name).await;
    }
    let report = link(&catalog, &deployment).await;
    assert!(report.full, "a first run links everything: {report:?}");
    assert_eq!(report.summarised, truth.len());
    let server = deployment.serve(&catalog).await;
    let clusters = clusters_over_sparql(&server).await;
    let confusion = Confusion::of(&clusters, &truth);
    eprintln!(
        "hidden-id set: {} records, {}",
        truth.len(),
        confusion.line()
    );
    // 29 datasets in both www snapshots, Open DAMIR on 5 portals (10 pairs, one of them
    // among the 29), the SNCF TER dataset on 2.
    assert_eq!(
        confusion.true_positives + confusion.false_negatives,
        29 + 9 + 1
    );
    assert!(confusion.precision() >= 0.98, "{confusion:?}");
    assert!(confusion.recall() >= 0.90, "{confusion:?}");
}

fn datasud_deployment(portal: &FakePortal, extra_sources: &str) -> (Deployment, Vec<Value>) {
    let packages = ckan_packages(DATASUD_CKAN);
    let ckan = portal.add_ckan("datasud", packages);
    let copies = udata_database_datasets(DATASUD_COPIES);
    let udata = portal.add_udata("datagouv", copies.clone());
    let sources = format!(
        "{}{}{extra_sources}",
        source_toml("datasud", "ckan", &ckan, "priority = 10\npage_size = 4"),
        source_toml("datagouv", "udata", &udata, "priority = 5\npage_size = 3"),
    );
    (Deployment::new(&sources, ""), copies)
}

#[tokio::test(flavor = "multi_thread")]
async fn datasud_copies_are_linked_to_their_ckan_packages_with_the_evidence_in_sparql() {
    let portal = FakePortal::start().await;
    let (deployment, copies) = datasud_deployment(&portal, "");
    let catalog = deployment.open().await;
    deployment.harvest(&catalog, "datasud").await;
    deployment.harvest(&catalog, "datagouv").await;
    link(&catalog, &deployment).await;
    let mut truth: HashMap<String, String> = HashMap::new();
    for copy in &copies {
        let package = copy["harvest"]["remote_id"].as_str().unwrap();
        truth.insert(dataset_iri("datasud", package), package.to_owned());
        truth.insert(
            dataset_iri("datagouv", copy["id"].as_str().unwrap()),
            package.to_owned(),
        );
    }
    let server = deployment.serve(&catalog).await;
    let clusters = clusters_over_sparql(&server).await;
    let confusion = Confusion::of(&clusters, &truth);
    eprintln!("datasud set: {}", confusion.line());
    assert_eq!(
        (
            confusion.true_positives,
            confusion.false_positives,
            confusion.false_negatives
        ),
        (7, 0, 0)
    );
    // The producer's portal is the primary; the evidence names the package id.
    let rows = select(
        &server,
        &format!(
            "PREFIX fc: <https://w3id.org/fedcat/ns#>
             SELECT ?primary ?id ?score WHERE {{ GRAPH <{LINKS}> {{
               ?c fc:primaryMember ?primary ; fc:hasLink ?l .
               ?l fc:matchedIdentifier ?id ; fc:linkScore ?score }} }}"
        ),
    )
    .await;
    assert_eq!(rows.len(), 7, "{rows:?}");
    for row in &rows {
        let primary = row["primary"]["value"].as_str().unwrap();
        let id = row["id"]["value"].as_str().unwrap();
        assert_eq!(primary, dataset_iri("datasud", id));
        let score: f64 = row["score"]["value"].as_str().unwrap().parse().unwrap();
        assert_eq!(score, 1.0);
    }
    // Members are alternates of each other, both ways.
    let alternates = select(
        &server,
        &format!(
            "PREFIX prov: <http://www.w3.org/ns/prov#>
             SELECT ?a ?b WHERE {{ GRAPH <{LINKS}> {{ ?a prov:alternateOf ?b }} }}"
        ),
    )
    .await;
    assert_eq!(alternates.len(), 14);
}

#[tokio::test(flavor = "multi_thread")]
async fn links_follow_harvests_incrementally_and_cluster_iris_stay() {
    let portal = FakePortal::start().await;
    let copies = udata_database_datasets(DATASUD_COPIES);
    let mirror = portal.add_udata("mirror", copies.clone());
    let (deployment, _) = datasud_deployment(
        &portal,
        &source_toml("mirror", "udata", &mirror, "priority = 1\npage_size = 10"),
    );
    let catalog = deployment.open().await;
    deployment.harvest(&catalog, "datasud").await;
    deployment.harvest(&catalog, "datagouv").await;
    let first = link(&catalog, &deployment).await;
    assert!(first.full);
    assert_eq!((first.clusters, first.linked_records), (7, 14));
    let before: BTreeMap<String, BTreeSet<String>> =
        clusters_over_sparql(&deployment.serve(&catalog).await).await;
    let cluster_of = |clusters: &BTreeMap<String, BTreeSet<String>>, dataset: &str| {
        clusters
            .iter()
            .find(|(_, members)| members.contains(dataset))
            .map(|(iri, _)| iri.clone())
    };

    // Nothing changed: nothing to do.
    let idle = link(&catalog, &deployment).await;
    assert_eq!(
        (idle.summarised, idle.removed, idle.clusters_written),
        (0, 0, 0)
    );

    // A third portal mirrors the copies: each cluster gains a member and keeps its IRI.
    deployment.harvest(&catalog, "mirror").await;
    let grown = link(&catalog, &deployment).await;
    assert!(!grown.full, "{grown:?}");
    assert_eq!(grown.summarised, 7);
    assert_eq!((grown.clusters, grown.linked_records), (7, 21));
    let after_growth = clusters_over_sparql(&deployment.serve(&catalog).await).await;
    assert_eq!(
        after_growth.keys().collect::<Vec<_>>(),
        before.keys().collect::<Vec<_>>()
    );

    // A package is re-harvested with a new title: only its cluster is rewritten, same IRI.
    let package = copies[0]["harvest"]["remote_id"]
        .as_str()
        .unwrap()
        .to_owned();
    portal.edit_ckan_package("datasud", &package, |p| {
        p["title"] = Value::from("Déchetteries (mise à jour)");
    });
    deployment.harvest(&catalog, "datasud").await;
    let edited = link(&catalog, &deployment).await;
    assert_eq!(
        (edited.summarised, edited.clusters_written),
        (1, 1),
        "{edited:?}"
    );
    let after_edit = clusters_over_sparql(&deployment.serve(&catalog).await).await;
    assert_eq!(after_edit, after_growth);

    // The package disappears from its portal: its copies stay linked to each other, and the
    // cluster keeps its IRI.
    let iri = cluster_of(&after_edit, &dataset_iri("datasud", &package)).unwrap();
    portal.remove_ckan_package("datasud", &package);
    deployment.harvest(&catalog, "datasud").await;
    let removed = link(&catalog, &deployment).await;
    assert_eq!(removed.removed, 1, "{removed:?}");
    let after_removal = clusters_over_sparql(&deployment.serve(&catalog).await).await;
    assert_eq!(after_removal[&iri].len(), 2);
    assert!(!after_removal[&iri].contains(&dataset_iri("datasud", &package)));

    // A full recompute (new settings) finds the same clusters under the same IRIs.
    let mut options = deployment.config.dedup_options();
    options.priorities.insert("mirror".into(), 20);
    let full = catalog.link_duplicates(&options, &|_| {}).await.unwrap();
    assert!(full.full);
    let recomputed = clusters_over_sparql(&deployment.serve(&catalog).await).await;
    assert_eq!(recomputed, after_removal);
    // The mirror now has the highest priority: it is every cluster's primary.
    let views = catalog.duplicate_clusters(Some("mirror")).await.unwrap();
    assert_eq!(views.len(), 7);
    assert!(
        views
            .iter()
            .all(|v| v.members[0].primary && v.members[0].source == "mirror")
    );
    let _ = DedupOptions::default();
}
