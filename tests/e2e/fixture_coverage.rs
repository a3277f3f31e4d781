//! Every recorded record is kept. Each CKAN, udata, Opendatasoft and DCAT fixture of
//! `../shared/fixtures/` (never the reserved evaluation set) is served by the fake portal and
//! harvested; the records stored must be the records the portal listed, minus only those with
//! no identity at all (no id, no name or slug, no URL, no title). Bad values are repaired or
//! dropped, never their record; the test prints what was repaired per source.
//!
//! A second test takes real legado.dados.gov.br packages, data.gouv.fr datasets and an
//! Opendatasoft example, and puts into them the URL oddities real portals publish (see
//! [`altered_ckan_packages`] for which record gets which), then checks each altered record
//! is stored with its URL repaired and the portal's string kept beside it.

use crate::fake_portal::{FakePortal, fixture_path, ods_v21_datasets, udata_datasets};
use crate::support::{Deployment, count, source_toml};
use fedcat_catalog::oxigraph::io::{JsonLdProfileSet, RdfFormat, RdfParser};
use fedcat_catalog::oxigraph::model::vocab::rdf;
use fedcat_catalog::oxigraph::model::{NamedNode, Term};
use serde_json::{Value, json};
use std::collections::HashSet;
use std::path::{Path, PathBuf};

/// One source of the test: its portal type, what it serves, and what it should keep.
struct Case {
    id: String,
    /// The fixture file or folder it comes from.
    origin: String,
    kind: &'static str,
    url: String,
    extra: String,
    /// Records listed (distinct keys: a portal lists a record once).
    listed: usize,
    /// Records with no identity at all.
    no_identity: usize,
}

fn all_files(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else {
                files.push(path);
            }
        }
    }
    files.sort();
    files
}

fn relative(path: &Path) -> String {
    path.strip_prefix(fixture_path(""))
        .unwrap()
        .to_string_lossy()
        .into_owned()
}

fn text<'v>(value: &'v Value, key: &str) -> Option<&'v str> {
    value
        .get(key)
        .and_then(Value::as_str)
        .map(str::trim)
        .filter(|s| !s.is_empty())
}

/// The key a record is stored under, from the same fields the connectors read (first present).
fn key_of(record: &Value, fields: &[&str]) -> Option<String> {
    fields
        .iter()
        .find_map(|f| text(record, f))
        .map(str::to_owned)
}

/// (distinct keys, records without any) of a listing.
fn listed(records: &[Value], fields: &[&str]) -> (usize, usize) {
    let keys: HashSet<String> = records.iter().filter_map(|r| key_of(r, fields)).collect();
    let none = records
        .iter()
        .filter(|r| key_of(r, fields).is_none())
        .count();
    (keys.len() + none, none)
}

const CKAN_KEYS: [&str; 4] = ["id", "name", "url", "title"];
const UDATA_KEYS: [&str; 5] = ["id", "slug", "page", "uri", "title"];

/// The packages of a CKAN API body: a `package_search` result, a `package_show` result or a
/// bare package. `None` for what lists no package (an error, a `package_list` of names).
fn ckan_listing(body: &Value) -> Option<Vec<Value>> {
    if body.get("success") == Some(&Value::Bool(false)) {
        return None;
    }
    let result = body.get("result").unwrap_or(body);
    match result {
        Value::Object(object) => match object.get("results") {
            Some(Value::Array(results)) => Some(results.clone()),
            _ if object.contains_key("resources") || object.contains_key("name") => {
                Some(vec![result.clone()])
            }
            _ => None,
        },
        Value::Array(items) if items.iter().all(Value::is_object) && !items.is_empty() => {
            Some(items.clone())
        }
        _ => None,
    }
}

/// Every udata dataset object in a body, at any depth (an organization's page lists its
/// datasets inside it): an object with a `resources` list.
fn udata_objects(value: &Value, out: &mut Vec<Value>) {
    match value {
        Value::Object(object) => {
            if object.get("resources").is_some_and(Value::is_array)
                && (object.contains_key("slug") || object.contains_key("title"))
            {
                out.push(value.clone());
            } else {
                object.values().for_each(|v| udata_objects(v, out));
            }
        }
        Value::Array(items) => items.iter().for_each(|v| udata_objects(v, out)),
        _ => {}
    }
}

fn udata_datasets_of(relative_path: &str) -> Vec<Value> {
    let mut out = Vec::new();
    for item in udata_datasets(relative_path) {
        udata_objects(&item, &mut out);
    }
    out
}

/// The distinct datasets of an RDF fixture: `dcat:Dataset` nodes, keyed by their IRI or, for a
/// blank node, its `dct:identifier` (a portal lists a record once). Parsed leniently, with the
/// DCAT-US context from the connector's built-in copy; a file the parser cannot read to the
/// end (RDF/XML with text beside an `rdf:resource`) is counted by its `<dcat:Dataset` elements.
fn rdf_datasets(relative_path: &str) -> usize {
    let format = if relative_path.ends_with(".ttl") {
        RdfFormat::Turtle
    } else if relative_path.ends_with(".jsonld") || relative_path.ends_with(".json") {
        RdfFormat::JsonLd {
            profile: JsonLdProfileSet::empty(),
        }
    } else {
        RdfFormat::RdfXml
    };
    let file = std::fs::read(fixture_path(relative_path)).unwrap();
    // A CSW GetRecords answer wraps its `rdf:RDF` in an envelope: the records are inside.
    let text = String::from_utf8_lossy(&file).into_owned();
    let bytes = match (text.find("<rdf:RDF"), text.rfind("</rdf:RDF>")) {
        (Some(start), Some(end)) if text.contains("GetRecordsResponse") => {
            text.as_bytes()[start..end + "</rdf:RDF>".len()].to_vec()
        }
        _ => file.clone(),
    };
    let dataset = Term::from(NamedNode::new_unchecked(
        "http://www.w3.org/ns/dcat#Dataset",
    ));
    let identifier = NamedNode::new_unchecked("http://purl.org/dc/terms/identifier");
    let context = include_str!("../../harvester/contexts/dcat-us-1.1-catalog.jsonld");
    let mut quads = Vec::new();
    for quad in RdfParser::from_format(format)
        .with_base_iri("http://fixture.test/")
        .unwrap()
        .lenient()
        .for_slice(&bytes)
        .with_document_loader(move |iri| {
            Ok(fedcat_catalog::oxigraph::io::LoadedDocument {
                url: iri.to_owned(),
                content: context.as_bytes().to_vec(),
                format: RdfFormat::JsonLd {
                    profile: JsonLdProfileSet::empty(),
                },
            })
        })
    {
        match quad {
            Ok(quad) => quads.push(quad),
            Err(_) => {
                return text.matches("<dcat:Dataset").count()
                    - text.matches("<dcat:DatasetSeries").count();
            }
        }
    }
    let keys: HashSet<String> = quads
        .iter()
        .filter(|q| q.predicate == rdf::TYPE && q.object == dataset)
        .map(|q| match &q.subject {
            fedcat_catalog::oxigraph::model::NamedOrBlankNode::BlankNode(_) => quads
                .iter()
                .find(|i| i.subject == q.subject && i.predicate == identifier)
                .map_or_else(|| q.subject.to_string(), |i| i.object.to_string()),
            named => named.to_string(),
        })
        .collect();
    keys.len()
}

fn slug(text: &str, index: usize) -> String {
    let mut slug: String = text
        .to_ascii_lowercase()
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .collect();
    slug.truncate(40);
    format!("f{index}-{}", slug.trim_matches('-'))
}

/// Every fixture as a source. Files that list no dataset record are named with the reason.
fn cases(portal: &FakePortal) -> (Vec<Case>, Vec<(String, &'static str)>) {
    let mut cases = Vec::new();
    let mut skipped = Vec::new();
    let push = |cases: &mut Vec<Case>, origin: String, kind, url, extra: &str, counts| {
        let (listed, no_identity) = counts;
        let id = slug(&origin, cases.len());
        cases.push(Case {
            id,
            origin,
            kind,
            url,
            extra: extra.to_owned(),
            listed,
            no_identity,
        });
    };

    // CKAN: every API body; the VCR cassettes' bodies are the files of ckan/extracted/.
    for path in all_files(&fixture_path("ckan")) {
        let name = relative(&path);
        if name.ends_with(".yaml") {
            skipped.push((
                name,
                "VCR cassette: its bodies are the ckan/extracted/ files",
            ));
            continue;
        }
        let body: Value = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
        if body.get("requests_history").is_some() {
            // udata's harvest snapshot of datasud.fr: the CKAN bodies are in ckan/extracted/;
            // `datasets` are udata's own copies, harvested as a udata portal below.
            let datasets = crate::fake_portal::udata_database_datasets(&name);
            let url = portal.add_udata(&format!("cov{}", cases.len()), datasets.clone());
            let counts = listed(&datasets, &UDATA_KEYS);
            push(&mut cases, name, "udata", url, "page_size = 3", counts);
            continue;
        }
        match ckan_listing(&body) {
            Some(packages) => {
                let counts = listed(&packages, &CKAN_KEYS);
                let url = portal.add_ckan(&format!("cov{}", cases.len()), packages);
                push(&mut cases, name, "ckan", url, "page_size = 7", counts);
            }
            None => skipped.push((name, "lists no package (an error body or package names)")),
        }
    }

    // udata: one source per folder (a portal's listing), dataset objects at any depth.
    let mut folders: Vec<PathBuf> = all_files(&fixture_path("udata"))
        .into_iter()
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .map(|p| p.parent().unwrap().to_path_buf())
        .collect();
    folders.dedup();
    folders.sort();
    folders.dedup();
    for folder in folders {
        let mut datasets = Vec::new();
        for path in std::fs::read_dir(&folder).unwrap() {
            let path = path.unwrap().path();
            if path.extension().is_some_and(|e| e == "json") {
                datasets.extend(udata_datasets_of(&relative(&path)));
            }
        }
        let name = relative(&folder);
        if datasets.is_empty() {
            skipped.push((name, "organizations or queries only, no dataset"));
            continue;
        }
        let counts = listed(&datasets, &UDATA_KEYS);
        let url = portal.add_udata(&format!("cov{}", cases.len()), datasets);
        push(&mut cases, name, "udata", url, "page_size = 20", counts);
    }

    // Opendatasoft: the v2.1 examples, and the v1 records (SANDBOX) moved into the v2.1 shape
    // the connector reads (`datasetid` → `dataset_id`, `metas` → `metas.default`).
    let mut ods = ods_v21_datasets();
    for path in all_files(&fixture_path("ods")) {
        if path.extension().is_none_or(|e| e != "json") {
            continue;
        }
        let body: Value = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
        if body.get("requests_history").is_some() {
            // udata's harvest snapshot of data.capatlantique.fr: the DCAT export it read is in
            // ods/extracted/ (below); `datasets` are udata's own copies, a udata portal.
            let name = relative(&path);
            let datasets = crate::fake_portal::udata_database_datasets(&name);
            let url = portal.add_udata(&format!("cov{}", cases.len()), datasets.clone());
            let counts = listed(&datasets, &UDATA_KEYS);
            push(&mut cases, name, "udata", url, "page_size = 3", counts);
            continue;
        }
        let v1 = match body.get("datasets") {
            Some(Value::Array(items)) => items.clone(),
            _ if body.get("datasetid").is_some() => vec![body],
            _ => {
                skipped.push((
                    relative(&path),
                    "a recorded DCAT export exchange (its bodies are in ods/extracted/)",
                ));
                continue;
            }
        };
        for mut record in v1 {
            record["dataset_id"] = record["datasetid"].clone();
            record["metas"] = json!({ "default": record["metas"].clone() });
            ods.push(record);
        }
    }
    let ods_counts = listed(&ods, &["dataset_id", "dataset_uid"]);
    let url = portal.add_ods("coverage-ods", ods);
    push(
        &mut cases,
        "ods (v2.1 examples + v1 sandbox)".into(),
        "ods",
        url,
        "page_size = 3",
        ods_counts,
    );

    // DCAT: every RDF file, one catalogue each.
    let rdf_files: Vec<PathBuf> = all_files(&fixture_path("dcat"))
        .into_iter()
        .chain(all_files(&fixture_path("ods/extracted")))
        .collect();
    for path in rdf_files {
        let name = relative(&path);
        match rdf_datasets(&name) {
            0 => skipped.push((name, "no dcat:Dataset in it")),
            datasets => {
                let url = portal.file_url(&name);
                push(&mut cases, name, "dcat", url, "", (datasets, 0));
            }
        }
    }
    (cases, skipped)
}

#[tokio::test(flavor = "multi_thread")]
async fn every_recorded_record_with_an_identity_is_stored() {
    let portal = FakePortal::start().await;
    let (cases, skipped) = cases(&portal);
    let sources: String = cases
        .iter()
        .map(|c| source_toml(&c.id, c.kind, &c.url, &c.extra))
        .collect();
    let deployment = Deployment::new(&sources, "");
    let catalog = deployment.open().await;
    let mut lines = Vec::new();
    let mut wrong = Vec::new();
    let (mut total_listed, mut total_stored) = (0, 0);
    for case in &cases {
        let report = deployment.harvest(&catalog, &case.id).await;
        let stored = catalog.records().live_record_count(&case.id).await.unwrap() as usize;
        let c = report.counts;
        total_listed += case.listed;
        total_stored += stored;
        lines.push(format!(
            "{:<5} {:<78} listed {:>4}  no identity {:>2}  stored {:>4}  kept with repairs {:>3}  values repaired {:>4}  dropped {:>3}  rejected {:>2}",
            case.kind,
            case.origin,
            case.listed,
            case.no_identity,
            stored,
            c.records_repaired,
            c.values_repaired,
            c.values_dropped,
            c.records_rejected
        ));
        if stored != case.listed - case.no_identity
            || c.records_rejected as usize != case.no_identity
        {
            wrong.push(format!(
                "{} ({}): listed {}, no identity {}, stored {stored}, rejected {} — job {:?}",
                case.origin,
                case.id,
                case.listed,
                case.no_identity,
                c.records_rejected,
                report.message
            ));
        }
    }
    println!("{}", lines.join("\n"));
    println!("total: listed {total_listed}, stored {total_stored}");
    for (name, why) in &skipped {
        println!("not a listing: {name}: {why}");
    }
    assert!(wrong.is_empty(), "records lost:\n{}", wrong.join("\n"));
    // The corpus is what PROVENANCE.md says it is: hundreds of CKAN, udata and DCAT records.
    assert!(
        cases.iter().filter(|c| c.kind == "dcat").count() >= 30,
        "{lines:#?}"
    );
    assert!(total_stored > 1000, "{total_stored}");
}

/// legado.dados.gov.br packages (the `search_or_query` page), each altered in one way real
/// portals publish, said beside it. The first is the Banco Central do Brasil URL whose
/// fragment holds a second `#`, as on the real portal.
fn altered_ckan_packages() -> (Vec<Value>, Vec<(&'static str, &'static str)>) {
    let body: Value = serde_json::from_slice(
        &std::fs::read(fixture_path(
            "ckan/extracted/legado.dados.gov.br_vcr_search_or_query__00.json",
        ))
        .unwrap(),
    )
    .unwrap();
    let mut packages = body["result"]["results"].as_array().unwrap().clone();
    assert!(packages.len() >= 9, "{}", packages.len());
    let alterations: [(&str, &str); 8] = [
        (
            "second # in the fragment",
            "https://olinda.bcb.gov.br/olinda/servico/Expectativas/versao/v1/aplicacao#!/recursos/Recursos#eyJmb3JtdWxhcmlvIjp7IiRmb3JtYXQiOiJqc29uIn19",
        ),
        (
            "space in the path",
            "http://dados.gov.br/dataset/arquivo de dados.csv",
        ),
        ("tab inside", "http://dados.gov.br/dataset/\tarquivo.csv"),
        ("pipe in the query", "http://dados.gov.br/api?campos=a|b|c"),
        // Valid as an IRI already (RFC 3987 allows it): kept as it is, see below.
        (
            "unicode host",
            "http://dados.gov.br.exemplo.ção/arquivo.csv",
        ),
        (
            "brackets in the path",
            "http://dados.gov.br/dados[2020]/arquivo.csv",
        ),
        ("trailing whitespace", "http://dados.gov.br/arquivo.csv \n"),
        ("braces and backslash", "http://dados.gov.br/a{b}\\c.csv"),
    ];
    for (package, (_, url)) in packages.iter_mut().zip(alterations.iter()) {
        package["resources"][0]["url"] = json!(url);
    }
    // One more: a bad date, an unusable landing URL and a list of e-mail addresses.
    packages[8]["metadata_modified"] = json!("31/12/2020");
    packages[8]["url"] = json!("N/A");
    packages[8]["maintainer_email"] =
        json!("fedcat-teste@economia.gov.br; fedcat-outro@economia.gov.br");
    // And a package with no identity at all: nothing to store it under.
    packages.push(json!({"notes": "sem id, nome, url ou título", "resources": []}));
    (packages, alterations.to_vec())
}

#[tokio::test(flavor = "multi_thread")]
async fn real_records_with_url_oddities_are_kept_and_repaired() {
    let portal = FakePortal::start().await;
    let (packages, alterations) = altered_ckan_packages();
    let listed = packages.len();
    let url = portal.add_ckan("odd", packages.clone());
    // data.gouv.fr datasets (www 2022) with the same kind of oddities in their resources.
    let mut datasets = crate::fake_portal::udata_dataset_dir(
        "udata/datagouv-search-indicator/www.data.gouv.fr/2022-12-02-17-29/datasets",
    );
    datasets.truncate(3);
    datasets[0]["resources"][0]["url"] = json!("https://www.data.gouv.fr/fr/datasets/r/a b#x#y");
    datasets[1]["page"] = json!("www.data.gouv.fr/fr/datasets/page-sans-schema/");
    datasets[2]["created_at"] = json!("2019-06-21 14:52:27");
    let udata = portal.add_udata("odd", datasets);
    let deployment = Deployment::new(
        &(source_toml("odd", "ckan", &url, "page_size = 4")
            + &source_toml("oddudata", "udata", &udata, "page_size = 2")),
        "",
    );
    let catalog = deployment.open().await;
    let report = deployment.harvest(&catalog, "odd").await;
    let c = report.counts;
    assert_eq!(
        catalog.records().live_record_count("odd").await.unwrap() as usize,
        listed - 1,
        "{report:?}"
    );
    assert_eq!(c.records_rejected, 1, "{c:?}");
    assert!(c.records_repaired >= 8, "{c:?}");
    assert!(c.values_dropped >= 2, "the date and N/A: {c:?}");

    let server = deployment.serve(&catalog).await;
    // Each altered URL is stored repaired, with the portal's string beside it.
    for (what, original) in &alterations {
        if *what == "unicode host" {
            let kept = count(
                &server,
                &format!(
                    "SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH ?g {{
                       ?d <http://www.w3.org/ns/dcat#accessURL> <{original}> }} }}"
                ),
            )
            .await;
            assert_eq!(kept, 1, "{what}");
            continue;
        }
        let original_literal = sparql_string(original);
        let found = count(
            &server,
            &format!(
                "SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH ?g {{
                   ?d <http://www.w3.org/ns/dcat#accessURL> ?u .
                   ?u <https://w3id.org/fedcat/ns#originalIri> ?o .
                   FILTER(STR(?o) = {original_literal}) }} }}"
            ),
        )
        .await;
        assert_eq!(found, 1, "{what}: {original:?}");
    }
    let bcb = count(
        &server,
        "SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?d <http://www.w3.org/ns/dcat#accessURL>
           <https://olinda.bcb.gov.br/olinda/servico/Expectativas/versao/v1/aplicacao#!/recursos/Recursos%23eyJmb3JtdWxhcmlvIjp7IiRmb3JtYXQiOiJqc29uIn19> } }",
    )
    .await;
    assert_eq!(bcb, 1);
    let emails = count(
        &server,
        "SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?c <http://www.w3.org/2006/vcard/ns#hasEmail> ?e
           FILTER(?e IN (<mailto:fedcat-teste@economia.gov.br>, <mailto:fedcat-outro@economia.gov.br>)) } }",
    )
    .await;
    assert_eq!(emails, 2);

    // The dropped values are warnings of the job naming record, property and value.
    let errors = catalog.jobs().job_errors(report.job_id).await.unwrap();
    let warnings: Vec<&str> = errors
        .iter()
        .filter(|e| e.kind == "value")
        .map(|e| e.message.as_str())
        .collect();
    assert!(
        warnings
            .iter()
            .any(|w| w.contains("http://purl.org/dc/terms/modified") && w.contains("31/12/2020")),
        "{warnings:?}"
    );
    assert!(
        errors
            .iter()
            .any(|e| e.kind == "value" && e.record_key.is_some())
    );

    // udata: a dataset with a broken resource URL, one with a page without scheme, one with a
    // space for the `T` of its creation date: all three kept.
    let report = deployment.harvest(&catalog, "oddudata").await;
    assert_eq!(
        catalog
            .records()
            .live_record_count("oddudata")
            .await
            .unwrap(),
        3
    );
    assert_eq!(report.counts.records_repaired, 3, "{:?}", report.counts);

    // `fedcat report mapping` lists the most frequent repairs.
    let repairs = catalog.records().repair_counts("odd", 20).await.unwrap();
    assert!(
        repairs
            .iter()
            .any(|r| r.rule == "iri-percent-encoded" && r.action == "repaired"),
        "{repairs:?}"
    );
}

/// A SPARQL string literal of `text`.
fn sparql_string(text: &str) -> String {
    let escaped = text
        .replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
        .replace('\t', "\\t")
        .replace('\r', "\\r");
    format!("\"{escaped}\"")
}
