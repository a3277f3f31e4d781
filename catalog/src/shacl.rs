//! DCAT-AP conformance of stored records, checked in-process against SHACL shapes with the
//! `shacl-rust` validator: the official DCAT-AP 3.0.1 files compiled into the binary
//! ([`BuiltInShapes`], `config/shacl/dcat-ap-3.0.1/` with its licence and provenance), or files
//! the configuration names instead. Each record graph is validated on its own: what a record does
//! not say itself does not count for it.

use crate::CatalogError;
use oxigraph::io::{RdfFormat, RdfParser};
use oxigraph::model::{Graph, Triple};
use shacl_rust::validation::dataset::ValidationDataset;
use std::path::Path;

/// DCAT-AP 3.0.1's core shapes as SEMIC's toolchain generates them: mandatory properties,
/// cardinalities (`dcat-ap-SHACL.ttl`) and the classes of property values (`ranges.ttl`).
static CORE: [(&str, &str); 2] = [
    (
        "dcat-ap-SHACL.ttl",
        include_str!("../../config/shacl/dcat-ap-3.0.1/shacl/dcat-ap-SHACL.ttl"),
    ),
    (
        "ranges.ttl",
        include_str!("../../config/shacl/dcat-ap-3.0.1/shacl/ranges.ttl"),
    ),
];

/// DCAT-AP 3.0.1's recommended-properties shapes (every one an `sh:Warning`).
static RECOMMENDED: [(&str, &str); 1] = [(
    "shapes_recommended.ttl",
    include_str!("../../config/shacl/dcat-ap-3.0.1/html/shacl/shapes_recommended.ttl"),
)];

/// DCAT-AP 3.0.1's controlled-vocabulary shapes (concepts in their EU authority table).
static VOCABULARIES: [(&str, &str); 1] = [(
    "mdr-vocabularies.shape.ttl",
    include_str!("../../config/shacl/dcat-ap-3.0.1/html/shacl/mdr-vocabularies.shape.ttl"),
)];

/// The sets of DCAT-AP 3.0.1 shapes compiled into the binary, copied unchanged from
/// `SEMICeu/DCAT-AP` (`releases/3.0.1/`, CC BY 4.0, © European Union; commit and checksums in
/// `config/shacl/dcat-ap-3.0.1/PROVENANCE.md`). They are what fedcat validates records against
/// unless `[shacl]` names other files.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BuiltInShapes {
    /// `shacl/dcat-ap-SHACL.ttl` and `shacl/ranges.ttl`: DCAT-AP compliance (MQA's M13).
    Core,
    /// `html/shacl/shapes_recommended.ttl`: the recommended properties (E13).
    Recommended,
    /// `html/shacl/mdr-vocabularies.shape.ttl`: the controlled vocabularies (E14).
    Vocabularies,
}

impl BuiltInShapes {
    /// The set's files: name and Turtle text, as published.
    pub fn files(self) -> &'static [(&'static str, &'static str)] {
        match self {
            Self::Core => &CORE,
            Self::Recommended => &RECOMMENDED,
            Self::Vocabularies => &VOCABULARIES,
        }
    }
}

/// The shapes graph: every Turtle file of a directory (or a built-in set), merged.
#[derive(Debug, Clone)]
pub struct ShaclShapes {
    graph: Graph,
    files: Vec<String>,
}

/// One SHACL result about a record.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Violation {
    /// The focus node (an IRI or blank node, as N-Triples).
    pub focus: String,
    /// The property path, when the shape has one.
    pub path: Option<String>,
    /// `Violation`, `Warning` or `Info`.
    pub severity: String,
    /// The offending value, when there is one.
    pub value: Option<String>,
    /// The validator's message.
    pub message: String,
}

/// The result of validating one record.
#[derive(Debug, Clone)]
pub struct RecordConformance {
    /// The record key.
    pub key: String,
    /// Every result (empty: the record conforms).
    pub violations: Vec<Violation>,
}

impl ShaclShapes {
    /// Reads every `*.ttl` file of `dir` (e.g. DCAT-AP 3.0.1's `dcat-ap-SHACL.ttl` and
    /// `ranges.ttl`), or the one file `dir` names.
    pub fn load(dir: &Path) -> Result<Self, CatalogError> {
        let problem = |cause: String| CatalogError::Shapes {
            path: dir.display().to_string(),
            cause,
        };
        let mut files: Vec<_> = if dir.is_file() {
            vec![dir.to_path_buf()]
        } else {
            std::fs::read_dir(dir)
                .map_err(|e| problem(e.to_string()))?
                .filter_map(|entry| entry.ok().map(|e| e.path()))
                .filter(|p| p.extension().is_some_and(|e| e == "ttl"))
                .collect()
        };
        files.sort();
        if files.is_empty() {
            return Err(problem("no .ttl shapes file in the directory".into()));
        }
        let mut texts = Vec::new();
        for file in &files {
            let bytes =
                std::fs::read(file).map_err(|e| problem(format!("{}: {e}", file.display())))?;
            let name = file
                .file_name()
                .map_or_else(String::new, |n| n.to_string_lossy().into_owned());
            texts.push((name, bytes));
        }
        Self::parse(
            &dir.display().to_string(),
            texts
                .iter()
                .map(|(name, bytes)| (name.as_str(), bytes.as_slice())),
        )
    }

    /// One of the sets compiled into the binary.
    pub fn built_in(set: BuiltInShapes) -> Result<Self, CatalogError> {
        Self::parse(
            &format!("(built in) DCAT-AP 3.0.1 {set:?} shapes"),
            set.files()
                .iter()
                .map(|(name, text)| (*name, text.as_bytes())),
        )
    }

    /// Merges Turtle files (name, bytes) into one shapes graph; `path` names them in errors.
    fn parse<'a>(
        path: &str,
        files: impl IntoIterator<Item = (&'a str, &'a [u8])>,
    ) -> Result<Self, CatalogError> {
        let problem = |cause: String| CatalogError::Shapes {
            path: path.to_owned(),
            cause,
        };
        let mut graph = Graph::new();
        let mut names = Vec::new();
        for (name, bytes) in files {
            for quad in RdfParser::from_format(RdfFormat::Turtle).for_slice(bytes) {
                let quad = quad.map_err(|e| problem(format!("{name}: {e}")))?;
                graph.insert(&Triple::from(quad));
            }
            names.push(name.to_owned());
        }
        // Parse once here so that a bad shapes file is reported at start-up.
        shacl_rust::parse_shapes(&graph).map_err(|e| problem(e.to_string()))?;
        Ok(Self {
            graph,
            files: names,
        })
    }

    /// The shapes files read.
    pub fn files(&self) -> &[String] {
        &self.files
    }

    /// Validates each record (its key and triples) on its own.
    pub fn validate_records(
        &self,
        records: impl IntoIterator<Item = (String, Vec<Triple>)>,
    ) -> Result<Vec<RecordConformance>, CatalogError> {
        let shapes = shacl_rust::parse_shapes(&self.graph).map_err(|e| CatalogError::Shapes {
            path: self.files.join(", "),
            cause: e.to_string(),
        })?;
        let mut out = Vec::new();
        for (key, triples) in records {
            let data: Graph = triples.iter().collect();
            let dataset =
                ValidationDataset::from_graphs(data, self.graph.clone()).map_err(|e| {
                    CatalogError::Shapes {
                        path: self.files.join(", "),
                        cause: e.to_string(),
                    }
                })?;
            let report = shacl_rust::validate(&dataset, &shapes);
            let mut violations: Vec<Violation> = report
                .get_results()
                .iter()
                .map(|result| Violation {
                    focus: result.focus_node().to_string(),
                    path: result.result_path().map(std::string::ToString::to_string),
                    severity: result
                        .severity()
                        .as_str()
                        .rsplit('#')
                        .next()
                        .unwrap_or("Violation")
                        .to_owned(),
                    value: result.value().map(|v| v.to_string()),
                    message: result.messages().join("; "),
                })
                .collect();
            violations.sort();
            violations.dedup();
            out.push(RecordConformance { key, violations });
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::vocab::dcat;
    use oxigraph::model::NamedNode;
    use oxigraph::model::vocab::rdf;

    #[test]
    fn the_built_in_sets_are_the_shipped_files() {
        let shipped = Path::new(env!("CARGO_MANIFEST_DIR")).join("../config/shacl/dcat-ap-3.0.1");
        for (set, path) in [
            (BuiltInShapes::Core, shipped.join("shacl")),
            (
                BuiltInShapes::Recommended,
                shipped.join("html/shacl/shapes_recommended.ttl"),
            ),
            (
                BuiltInShapes::Vocabularies,
                shipped.join("html/shacl/mdr-vocabularies.shape.ttl"),
            ),
        ] {
            let built_in = ShaclShapes::built_in(set).unwrap();
            let loaded = ShaclShapes::load(&path).unwrap();
            assert_eq!(built_in.files(), loaded.files(), "{set:?}");
            assert_eq!(built_in.graph.len(), loaded.graph.len(), "{set:?}");
        }
        assert_eq!(
            ShaclShapes::built_in(BuiltInShapes::Core).unwrap().files(),
            ["dcat-ap-SHACL.ttl", "ranges.ttl"]
        );
    }

    #[test]
    fn a_dataset_without_title_or_description_violates_the_core_shapes() {
        let shapes = ShaclShapes::built_in(BuiltInShapes::Core).unwrap();
        let triples = vec![Triple::new(
            NamedNode::new_unchecked("http://example.org/dataset"),
            rdf::TYPE,
            dcat::DATASET,
        )];
        let results = shapes
            .validate_records([("dataset".to_owned(), triples)])
            .unwrap();
        let paths: Vec<_> = results[0]
            .violations
            .iter()
            .filter(|v| v.severity == "Violation")
            .filter_map(|v| v.path.as_deref())
            .collect();
        assert!(
            paths.contains(&"<http://purl.org/dc/terms/title>"),
            "{paths:?}"
        );
    }
}
