//! DCAT-AP conformance of stored records, checked in-process against SHACL shapes (the official
//! DCAT-AP files, whose location is configuration) with the `shacl-rust` validator. Each record
//! graph is validated on its own: what a record does not say itself does not count for it.

use crate::CatalogError;
use oxigraph::io::{RdfFormat, RdfParser};
use oxigraph::model::{Graph, Triple};
use shacl_rust::validation::dataset::ValidationDataset;
use std::path::Path;

/// The shapes graph: every Turtle file of a directory, merged.
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
        let mut graph = Graph::new();
        for file in &files {
            let bytes =
                std::fs::read(file).map_err(|e| problem(format!("{}: {e}", file.display())))?;
            for quad in RdfParser::from_format(RdfFormat::Turtle).for_slice(&bytes) {
                let quad = quad.map_err(|e| problem(format!("{}: {e}", file.display())))?;
                graph.insert(&Triple::from(quad));
            }
        }
        // Parse once here so that a bad shapes file is reported at start-up.
        shacl_rust::parse_shapes(&graph).map_err(|e| problem(e.to_string()))?;
        Ok(Self {
            graph,
            files: files
                .iter()
                .filter_map(|f| f.file_name().map(|n| n.to_string_lossy().into_owned()))
                .collect(),
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
                    path: result.result_path().map(|p| p.to_string()),
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
