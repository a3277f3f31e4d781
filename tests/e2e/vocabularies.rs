//! The vocabulary tables under `config/vocabularies/` against the authority tables they were
//! derived from (`../shared/vocabularies/`), and the alias mapping over every distinct format,
//! licence and frequency literal of the recorded CKAN and udata fixtures, against a snapshot
//! read by a person (`tests/e2e/data/vocabulary_snapshot.tsv`; regenerate it with
//! `FEDCAT_UPDATE_SNAPSHOTS=1 cargo test vocabulary` and read the diff).

use crate::fake_portal::fixture_path;
use fedcat_catalog::oxigraph::io::{RdfFormat, RdfParser};
use fedcat_catalog::oxigraph::model::NamedOrBlankNode;
use fedcat_harvester::{Lookup, Vocabularies, VocabularyKind};
use serde_json::Value;
use std::collections::{BTreeSet, HashSet};
use std::path::PathBuf;

fn shipped() -> Vocabularies {
    Vocabularies::load(&crate::support::vocabularies_dir()).unwrap()
}

fn shared_vocabulary(relative: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../shared/vocabularies")
        .join(relative)
}

/// The IRIs that are subjects in an RDF file of the shared vocabularies.
fn subjects(relative: &str) -> HashSet<String> {
    let path = shared_vocabulary(relative);
    let format = if relative.ends_with(".ttl") {
        RdfFormat::Turtle
    } else {
        RdfFormat::RdfXml
    };
    let bytes = std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    RdfParser::from_format(format)
        .lenient()
        .for_slice(&bytes)
        .filter_map(|quad| match quad.unwrap().subject {
            NamedOrBlankNode::NamedNode(n) => Some(n.into_string()),
            _ => None,
        })
        .collect()
}

/// The first column of a derived CSV of the shared vocabularies.
fn first_column(relative: &str) -> HashSet<String> {
    std::fs::read_to_string(shared_vocabulary(relative))
        .unwrap()
        .lines()
        .filter_map(|line| line.split(',').next().map(str::to_owned))
        .collect()
}

/// `type/subtype` of every record of IANA's XML registry.
fn iana_media_types() -> HashSet<String> {
    let xml = std::fs::read_to_string(shared_vocabulary("iana/iana_media_types.xml")).unwrap();
    let mut types = HashSet::new();
    for registry in xml.split("<registry id=\"").skip(1) {
        let top = registry.split('"').next().unwrap();
        for record in registry.split("<record").skip(1) {
            if let Some(name) = record
                .split("<name>")
                .nth(1)
                .and_then(|rest| rest.split("</name>").next())
            {
                types.insert(format!("{top}/{}", name.trim()).to_lowercase());
            }
        }
    }
    types
}

#[test]
fn vocabulary_iris_exist_in_the_authority_tables() {
    let vocabularies = shipped();
    let mut file_types = subjects("eu-authority/file-type/filetypes-skos.rdf");
    // The 2025 CSV carries codes newer than the SKOS dump (PARQUET, GPX…).
    file_types.extend(first_column("derived-csv/file-types.csv"));
    let iana = iana_media_types();
    assert!(iana.len() > 2000, "{}", iana.len());
    let authorities: [(VocabularyKind, HashSet<String>); 6] = [
        (VocabularyKind::Format, file_types),
        (
            VocabularyKind::Licence,
            subjects("eu-authority/licence/licences-sparql-result.ttl"),
        ),
        (
            VocabularyKind::Frequency,
            subjects("eu-authority/frequency/frequencies-sparql-result.ttl"),
        ),
        (
            VocabularyKind::Theme,
            subjects("eu-authority/data-theme/data-theme-sparql-result.ttl"),
        ),
        (
            VocabularyKind::AccessRight,
            subjects("eu-authority/access-right/access-right-sparql-result.ttl"),
        ),
        (
            VocabularyKind::Language,
            subjects("eu-authority/language/language.ttl"),
        ),
    ];
    for (kind, authority) in &authorities {
        let concepts = vocabularies.concepts(*kind);
        assert!(!concepts.is_empty(), "{}", kind.as_str());
        let missing: Vec<&str> = concepts
            .iter()
            .map(|c| c.iri.as_str())
            .filter(|iri| !authority.contains(*iri))
            .collect();
        assert!(
            missing.is_empty(),
            "{}: not in the authority table: {missing:?}",
            kind.as_str()
        );
    }
    let media_types = vocabularies.concepts(VocabularyKind::MediaType);
    assert!(media_types.len() > 20);
    for concept in media_types {
        assert!(
            iana.contains(&concept.code),
            "{} is not an IANA media type",
            concept.code
        );
        assert_eq!(
            concept.iri.as_str(),
            format!(
                "http://www.iana.org/assignments/media-types/{}",
                concept.code
            )
        );
    }
    for concept in vocabularies.concepts(VocabularyKind::Format) {
        if let Some(media_type) = &concept.media_type {
            assert!(iana.contains(media_type), "{}: {media_type}", concept.code);
        }
    }
    // The MQA flags came through: CSV is machine-readable and non-proprietary, XLS is not open.
    let csv = vocabularies.by_code(VocabularyKind::Format, "CSV").unwrap();
    assert!(csv.machine_readable && csv.non_proprietary);
    let xls = vocabularies.by_code(VocabularyKind::Format, "XLS").unwrap();
    assert!(xls.machine_readable && !xls.non_proprietary);
}

/// Every distinct (kind, literal) of the recorded CKAN and udata fixtures.
fn fixture_literals() -> BTreeSet<(VocabularyKind, String)> {
    fn walk(value: &Value, out: &mut BTreeSet<(VocabularyKind, String)>) {
        match value {
            Value::String(text) if text.starts_with('{') || text.starts_with('[') => {
                if let Ok(inner) = serde_json::from_str::<Value>(text) {
                    walk(&inner, out);
                }
            }
            Value::Array(items) => items.iter().for_each(|v| walk(v, out)),
            Value::Object(object) => {
                let mut add = |kind, key: &str, from: &Value| {
                    if let Some(text) = from.get(key).and_then(Value::as_str)
                        && !text.trim().is_empty()
                    {
                        out.insert((kind, text.to_owned()));
                    }
                };
                if let Some(resources) = object.get("resources").and_then(Value::as_array) {
                    let ckan = object.contains_key("license_id");
                    for resource in resources {
                        add(VocabularyKind::Format, "format", resource);
                        add(
                            VocabularyKind::MediaType,
                            if ckan { "mimetype" } else { "mime" },
                            resource,
                        );
                    }
                    if ckan {
                        add(VocabularyKind::Licence, "license_id", value);
                        add(VocabularyKind::Licence, "license_title", value);
                    } else {
                        add(VocabularyKind::Licence, "license", value);
                        add(VocabularyKind::Frequency, "frequency", value);
                    }
                }
                object.values().for_each(|v| walk(v, out));
            }
            _ => {}
        }
    }
    let mut out = BTreeSet::new();
    for dir in [
        "ckan",
        "ckan/extracted",
        "udata",
        "udata/extracted",
        "udata/cnam_open_damir_history",
    ] {
        let mut files: Vec<PathBuf> = std::fs::read_dir(fixture_path(dir))
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.extension().is_some_and(|e| e == "json"))
            .collect();
        files.sort();
        for file in files {
            if let Ok(value) = serde_json::from_slice::<Value>(&std::fs::read(&file).unwrap()) {
                walk(&value, &mut out);
            }
        }
    }
    for snapshot in ["2022-12-02-17-29", "2019-08-14-11-39"] {
        for dataset in crate::fake_portal::udata_dataset_dir(&format!(
            "udata/datagouv-search-indicator/www.data.gouv.fr/{snapshot}/datasets"
        )) {
            walk(&Value::Array(vec![dataset]), &mut out);
        }
    }
    out
}

#[test]
fn vocabulary_alias_mapping_of_every_fixture_literal() {
    let vocabularies = shipped();
    let literals = fixture_literals();
    assert!(literals.len() > 80, "{}", literals.len());
    let mut lines = vec!["# kind\tliteral\tcode (- = known to mean none, ? = unmapped)".to_owned()];
    for (kind, literal) in &literals {
        let code = match vocabularies.lookup(*kind, literal) {
            Lookup::Concept(concept) => concept.code.clone(),
            Lookup::KnownNone => "-".into(),
            Lookup::Unmapped => "?".into(),
        };
        lines.push(format!(
            "{}\t{}\t{code}",
            kind.as_str(),
            literal.replace(['\t', '\n'], " ")
        ));
    }
    let actual = lines.join("\n") + "\n";
    let path =
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/e2e/data/vocabulary_snapshot.tsv");
    if std::env::var_os("FEDCAT_UPDATE_SNAPSHOTS").is_some() {
        std::fs::write(&path, &actual).unwrap();
    }
    let expected = std::fs::read_to_string(&path).unwrap_or_default();
    let changed: Vec<String> = {
        let expected: HashSet<&str> = expected.lines().collect();
        actual
            .lines()
            .filter(|line| !expected.contains(line))
            .map(str::to_owned)
            .collect()
    };
    assert!(
        changed.is_empty() && expected.lines().count() == actual.lines().count(),
        "the mapping differs from {} in: {changed:#?}",
        path.display()
    );
    // A few rows a reader checks first.
    for row in [
        "format\tcsv\tCSV",
        "format\tCSV\tCSV",
        "format\tzip+csv\tZIP",
        "format\tOGC:WMS\tWMS_SRVC",
        "licence\tlov2\tETALAB_2_0",
        "licence\todc-odbl\tODC_BL",
        "licence\tnotspecified\t-",
        "licence\tfr-lo\t?",
        "frequency\tannual\tANNUAL",
        "frequency\tpunctual\tAS_NEEDED",
        "media_type\ttext/csv\ttext/csv",
    ] {
        assert!(actual.lines().any(|l| l == row), "missing row {row:?}");
    }
}
