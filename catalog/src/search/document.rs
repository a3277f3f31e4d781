//! What the search index knows of one dataset, read from its record graph: the texts searched
//! (titles, descriptions, keywords in every language), the facet values (publisher, themes,
//! formats, licences, keywords, languages) and what sorting needs (modification date, quality
//! score), plus the duplicate cluster it belongs to.

use crate::node_keys::{node_key, subject_key};
use crate::vocab::{dcat, dct, fedcat, foaf};
use oxigraph::model::{NamedNodeRef, Term, Triple};
use serde::{Deserialize, Serialize};

/// One dataset as indexed.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct SearchDocument {
    /// `{source}/{record key}`: the id the API shows.
    pub id: String,
    /// Source id.
    pub source: String,
    /// Dataset IRI.
    pub dataset: String,
    /// The title shown (French when the record has one), then every other title.
    pub titles: Vec<String>,
    /// Every description.
    pub descriptions: Vec<String>,
    /// Keywords.
    pub keywords: Vec<String>,
    /// The publisher's name.
    pub publisher: Option<String>,
    /// EU data-theme codes (`HEAL`), or the theme IRI when not from the EU table.
    pub themes: Vec<String>,
    /// EU file-type codes (`CSV`), or the portal's format text when unmapped.
    pub formats: Vec<String>,
    /// EU licence codes (`ETALAB_2_0`), or the licence IRI.
    pub licences: Vec<String>,
    /// EU language codes (`FRA`).
    pub languages: Vec<String>,
    /// `dct:modified` (date part, `YYYY-MM-DD`).
    pub modified: Option<String>,
    /// MQA score and rating (`excellent`, `good`, `sufficient`, `bad`), when assessed.
    pub mqa_score: Option<u64>,
    /// MQA rating band.
    pub rating: Option<String>,
    /// The duplicate cluster (its IRI), when the dataset has copies.
    pub cluster: Option<String>,
    /// The cluster's primary (or no cluster): shown when results are collapsed.
    pub primary: bool,
    /// The English title and description, when the record has them (shown to English readers).
    #[serde(default)]
    pub title_en: Option<String>,
    /// The English description.
    #[serde(default)]
    pub description_en: Option<String>,
    /// When fedcat first stored the record (RFC 3339): CKAN's `metadata_created`.
    #[serde(default)]
    pub record_created: Option<String>,
    /// When fedcat's record last changed (RFC 3339, its graph's `prov:generatedAtTime`): CKAN's
    /// `metadata_modified`, what CKAN's harvester asks for in an incremental run.
    #[serde(default)]
    pub record_changed: Option<String>,
    /// The content hash of the record the document was read from: an unchanged record's
    /// document is not read again.
    #[serde(default)]
    pub content_hash: Option<String>,
}

const EU: &str = "http://publications.europa.eu/resource/authority/";

/// The code of an EU authority concept (`…/file-type/CSV` → `CSV`), or the IRI itself.
fn code(iri: &str) -> String {
    match iri.strip_prefix(EU) {
        Some(rest) => rest.rsplit('/').next().unwrap_or(rest).to_owned(),
        None => iri.to_owned(),
    }
}

impl SearchDocument {
    /// Reads the dataset of a record graph; `None` when the graph holds no `dcat:Dataset`.
    #[expect(
        clippy::too_many_lines,
        reason = "reads every field the search index keeps from a record graph"
    )]
    pub fn from_graph(source: &str, record_key: &str, triples: &[Triple]) -> Option<Self> {
        let dataset = triples
            .iter()
            .find(|t| {
                t.predicate == oxigraph::model::vocab::rdf::TYPE
                    && t.object == Term::NamedNode(dcat::DATASET.into_owned())
            })
            .map(|t| subject_key(&t.subject))?;
        let objects = |node: &str, predicate: NamedNodeRef<'_>| -> Vec<&Term> {
            triples
                .iter()
                .filter(|t| t.predicate == predicate && subject_key(&t.subject) == node)
                .map(|t| &t.object)
                .collect()
        };
        let literals = |node: &str, predicate| -> Vec<(String, Option<String>)> {
            objects(node, predicate)
                .into_iter()
                .filter_map(|t| match t {
                    Term::Literal(l) => {
                        Some((l.value().to_owned(), l.language().map(str::to_owned)))
                    }
                    _ => None,
                })
                .collect()
        };
        let iris = |node: &str, predicate| -> Vec<String> {
            objects(node, predicate)
                .into_iter()
                .filter_map(|t| match t {
                    Term::NamedNode(n) => Some(n.as_str().to_owned()),
                    _ => None,
                })
                .collect()
        };
        // French first: the catalogue's audience reads French by default.
        let mut titles = literals(&dataset, dct::TITLE);
        titles.sort_by_key(|(_, lang)| !lang.as_deref().is_some_and(|l| l.starts_with("fr")));
        let english = |values: &[(String, Option<String>)]| {
            values
                .iter()
                .find(|(_, lang)| lang.as_deref().is_some_and(|l| l.starts_with("en")))
                .map(|(text, _)| text.clone())
        };
        let title_en = english(&titles);
        let description_en = english(&literals(&dataset, dct::DESCRIPTION));
        let publisher =
            objects(&dataset, dct::PUBLISHER)
                .into_iter()
                .find_map(|agent| match agent {
                    Term::Literal(l) => Some(l.value().to_owned()),
                    other => {
                        let key = node_key(other)?;
                        literals(&key, foaf::NAME)
                            .into_iter()
                            .next()
                            .map(|(n, _)| n)
                    }
                });
        let distributions: Vec<String> = objects(&dataset, dcat::HAS_DISTRIBUTION)
            .into_iter()
            .filter_map(node_key)
            .collect();
        let mut formats: Vec<String> = Vec::new();
        let mut licences: Vec<String> = iris(&dataset, dct::LICENSE)
            .iter()
            .map(|l| code(l))
            .collect();
        for distribution in &distributions {
            let mapped = iris(distribution, dct::FORMAT);
            if mapped.is_empty() {
                formats.extend(
                    literals(distribution, fedcat::UNMAPPED_FORMAT)
                        .into_iter()
                        .chain(literals(distribution, dct::FORMAT))
                        .map(|(f, _)| f.trim().to_uppercase()),
                );
            } else {
                formats.extend(mapped.iter().map(|f| code(f)));
            }
            licences.extend(iris(distribution, dct::LICENSE).iter().map(|l| code(l)));
        }
        let dedup = |mut values: Vec<String>| {
            values.retain(|v| !v.is_empty());
            values.sort();
            values.dedup();
            values
        };
        Some(Self {
            id: format!("{source}/{record_key}"),
            source: source.to_owned(),
            titles: titles.into_iter().map(|(t, _)| t).collect(),
            descriptions: literals(&dataset, dct::DESCRIPTION)
                .into_iter()
                .map(|(d, _)| d)
                .collect(),
            keywords: dedup(
                literals(&dataset, dcat::KEYWORD)
                    .into_iter()
                    .map(|(k, _)| k.trim().to_lowercase())
                    .collect(),
            ),
            publisher,
            themes: dedup(
                iris(&dataset, dcat::THEME)
                    .iter()
                    .map(|t| code(t))
                    .collect(),
            ),
            formats: dedup(formats),
            licences: dedup(licences),
            languages: dedup(
                iris(&dataset, dct::LANGUAGE)
                    .iter()
                    .map(|l| code(l))
                    .collect(),
            ),
            modified: literals(&dataset, dct::MODIFIED)
                .into_iter()
                .filter_map(|(d, _)| d.get(..10).map(str::to_owned))
                .find(|d| chrono::NaiveDate::parse_from_str(d, "%Y-%m-%d").is_ok()),
            dataset,
            mqa_score: None,
            rating: None,
            cluster: None,
            primary: true,
            title_en,
            description_en,
            record_created: None,
            record_changed: None,
            content_hash: None,
        })
    }

    /// The title shown.
    pub fn title(&self) -> &str {
        self.titles.first().map_or("", String::as_str)
    }
}

/// A CKAN name: lower case ASCII letters, digits, `-` and `_`, at most 100 characters.
pub fn ckan_name(text: &str) -> String {
    let mut out = String::new();
    for c in text.to_lowercase().chars() {
        let c = match c {
            'à' | 'â' | 'ä' | 'á' => 'a',
            'ç' => 'c',
            'é' | 'è' | 'ê' | 'ë' => 'e',
            'î' | 'ï' | 'í' => 'i',
            'ô' | 'ö' | 'ó' => 'o',
            'ù' | 'û' | 'ü' | 'ú' => 'u',
            c => c,
        };
        if c.is_ascii_alphanumeric() || c == '_' {
            out.push(c);
        } else if !out.ends_with('-') {
            out.push('-');
        }
    }
    let out = out.trim_matches('-').to_owned();
    out.chars().take(100).collect()
}

/// The CKAN name of the package a document is: `{source}-{key}` as a CKAN name.
pub fn package_name(id: &str) -> String {
    ckan_name(&id.replace('/', "-"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use oxigraph::io::{RdfFormat, RdfParser};

    #[test]
    fn titles_put_french_first_and_keep_the_english_one_apart() {
        let turtle = r#"@prefix dcat: <http://www.w3.org/ns/dcat#> . @prefix dct: <http://purl.org/dc/terms/> .
            <http://ex.org/d> a dcat:Dataset ; dct:title "Hospital stays"@en, "Séjours hospitaliers"@fr ;
              dct:description "Stays per hospital."@en, "Séjours par hôpital."@fr ;
              dcat:keyword "Santé" ."#;
        let triples: Vec<Triple> = RdfParser::from_format(RdfFormat::Turtle)
            .for_slice(turtle.as_bytes())
            .map(|q| Triple::from(q.unwrap()))
            .collect();
        let document = SearchDocument::from_graph("s", "k", &triples).unwrap();
        assert_eq!(document.title(), "Séjours hospitaliers");
        assert_eq!(document.title_en.as_deref(), Some("Hospital stays"));
        assert_eq!(
            document.description_en.as_deref(),
            Some("Stays per hospital.")
        );
        assert_eq!(document.keywords, vec!["santé"]);
        assert_eq!(document.id, "s/k");
    }
}
