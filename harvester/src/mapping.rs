//! Helpers shared by the connectors that map JSON records (CKAN, udata and Opendatasoft)
//! to DCAT-AP triples. They write the portal's values as they come (an IRI unchecked, a date
//! typed by its form); [`crate::repair::check_record`] then repairs or drops each bad value,
//! the same way for every connector.

use crate::vocabulary::{Lookup, Vocabularies, VocabularyKind};
use fedcat_catalog::oxigraph::model::vocab::{rdf, xsd};
use fedcat_catalog::oxigraph::model::{
    Literal, NamedNode, NamedNodeRef, NamedOrBlankNode, Term, Triple,
};
use fedcat_catalog::vocab::{dcat, dct, foaf, skos, vcard};
use fedcat_catalog::{RecordGraph, ValueIssue};
use std::str::FromStr;

/// Collects the triples of one record being mapped, with the record's default language.
pub struct TripleBuilder {
    triples: Vec<Triple>,
    language: Option<String>,
}

impl TripleBuilder {
    /// A builder whose untagged text literals get `language` (if any).
    pub fn new(language: Option<&str>) -> Self {
        Self {
            triples: Vec::new(),
            language: language.map(str::to_ascii_lowercase),
        }
    }

    /// Adds a triple.
    pub fn add(
        &mut self,
        subject: impl Into<NamedOrBlankNode>,
        predicate: NamedNodeRef<'_>,
        object: impl Into<Term>,
    ) {
        self.triples
            .push(Triple::new(subject, predicate.into_owned(), object));
    }

    /// Adds a text literal (language-tagged when the source has a language), if not blank.
    pub fn text(&mut self, subject: &NamedNode, predicate: NamedNodeRef<'_>, value: Option<&str>) {
        let Some(value) = value.map(str::trim).filter(|v| !v.is_empty()) else {
            return;
        };
        let literal = match &self.language {
            Some(lang) => Literal::new_language_tagged_literal_unchecked(value, lang.clone()),
            None => Literal::new_simple_literal(value),
        };
        self.add(subject.clone(), predicate, literal);
    }

    /// Adds a plain (untagged) literal, if not blank.
    pub fn plain(&mut self, subject: &NamedNode, predicate: NamedNodeRef<'_>, value: Option<&str>) {
        if let Some(value) = value.map(str::trim).filter(|v| !v.is_empty()) {
            self.add(
                subject.clone(),
                predicate,
                Literal::new_simple_literal(value),
            );
        }
    }

    /// Adds a date or date-time literal typed by its form (`xsd:date` or `xsd:dateTime`); a
    /// value of neither form is typed `xsd:dateTime` as it is, for the record check to repair
    /// or drop.
    pub fn date(&mut self, subject: &NamedNode, predicate: NamedNodeRef<'_>, value: Option<&str>) {
        let Some(value) = value.map(str::trim).filter(|v| !v.is_empty()) else {
            return;
        };
        let literal = date_literal(value)
            .unwrap_or_else(|| Literal::new_typed_literal(value, xsd::DATE_TIME));
        self.add(subject.clone(), predicate, literal);
    }

    /// Adds an IRI object built from a URL found in the record (unchecked: see [`raw_iri`]).
    pub fn iri(&mut self, subject: &NamedNode, predicate: NamedNodeRef<'_>, value: Option<&str>) {
        let Some(value) = value.filter(|v| !v.trim().is_empty()) else {
            return;
        };
        self.add(subject.clone(), predicate, raw_iri(value));
    }

    /// Adds the kind's property ([`VocabularyKind::property`]) with the concept a portal's
    /// free-text value maps to, typed with the class DCAT-AP expects, and keeps the value itself (`fedcat:original…` when mapped,
    /// `fedcat:unmapped…` when not, so unmapped values are counted rather than lost).
    pub fn concept(
        &mut self,
        subject: &NamedNode,
        vocabularies: &Vocabularies,
        kind: VocabularyKind,
        value: Option<&str>,
    ) -> Option<NamedNode> {
        let value = value.map(str::trim).filter(|v| !v.is_empty())?;
        let (original, unmapped) = kind.original_properties();
        let literal = Literal::new_simple_literal(value);
        match vocabularies.lookup(kind, value) {
            Lookup::Concept(concept) => {
                self.add(subject.clone(), kind.property(), concept.iri.clone());
                self.add(concept.iri.clone(), rdf::TYPE, kind.concept_class());
                // The authority's labels travel with the concept (DCAT-AP's concept shape asks
                // for a skos:prefLabel, and readers need a name).
                for (label, language) in [(&concept.label_en, "en"), (&concept.label_fr, "fr")] {
                    if !label.is_empty() {
                        self.add(
                            concept.iri.clone(),
                            skos::PREF_LABEL,
                            Literal::new_language_tagged_literal_unchecked(label, language),
                        );
                    }
                }
                if kind == VocabularyKind::Licence {
                    // DCAT-AP's licence document has a title; CKAN's, when CKAN's register
                    // knows the licence (ckanext-dcat matches on it).
                    let title = vocabularies
                        .ckan_licence_title(&concept.iri)
                        .unwrap_or(&concept.label_en);
                    if !title.is_empty() {
                        self.add(
                            concept.iri.clone(),
                            dct::TITLE,
                            Literal::new_simple_literal(title),
                        );
                    }
                }
                self.add(subject.clone(), original, literal);
                Some(concept.iri.clone())
            }
            Lookup::KnownNone => {
                self.add(subject.clone(), original, literal);
                None
            }
            Lookup::Unmapped => {
                self.add(subject.clone(), unmapped, literal);
                None
            }
        }
    }

    /// Adds a web page (`dcat:landingPage`, `foaf:page`, `foaf:homepage`) typed `foaf:Document`,
    /// as DCAT-AP's range shapes require.
    pub fn document(
        &mut self,
        subject: &NamedNode,
        predicate: NamedNodeRef<'_>,
        value: Option<&str>,
    ) {
        let Some(value) = value.filter(|v| !v.trim().is_empty()) else {
            return;
        };
        let node = raw_iri(value);
        self.add(subject.clone(), predicate, node.clone());
        self.add(node, rdf::TYPE, foaf::DOCUMENT);
    }

    /// Adds a `dcat:contactPoint` (a `vcard:Kind` with its name and `mailto:` address).
    pub fn contact_point(
        &mut self,
        dataset: &NamedNode,
        contact: &NamedNode,
        name: Option<&str>,
        email: Option<&str>,
    ) {
        self.add(dataset.clone(), dcat::CONTACT_POINT, contact.clone());
        self.add(contact.clone(), rdf::TYPE, vcard::KIND);
        self.plain(contact, vcard::FN, name);
        if let Some(email) = email.map(str::trim).filter(|e| !e.is_empty()) {
            let address = if email.to_ascii_lowercase().starts_with("mailto:") {
                email.to_owned()
            } else {
                format!("mailto:{email}")
            };
            self.iri(contact, vcard::HAS_EMAIL, Some(&address));
        }
    }

    /// The triples collected.
    pub fn into_triples(self) -> Vec<Triple> {
        self.triples
    }
}

/// A non-blank string field of a JSON object.
pub fn json_str<'v>(value: &'v serde_json::Value, key: &str) -> Option<&'v str> {
    value
        .get(key)
        .and_then(serde_json::Value::as_str)
        .filter(|s| !s.trim().is_empty())
}

/// A URL from a record as a node, unchecked and untrimmed: [`crate::repair::check_record`]
/// repairs it (and keeps this string beside it) or drops it with its triples before the record
/// is stored, and counts what it did.
pub fn raw_iri(value: &str) -> NamedNode {
    NamedNode::new_unchecked(value)
}

/// The key of a record: the first of `candidates` that is not blank (an id, a slug, a URL, a
/// title). `None` when the record has no usable identity at all: only then is it rejected.
pub fn record_key<'v>(candidates: &[Option<&'v str>]) -> Option<&'v str> {
    candidates
        .iter()
        .flatten()
        .map(|c| c.trim())
        .find(|c| !c.is_empty())
}

/// A record mapped and checked, with what was repaired or dropped in it.
#[derive(Debug)]
pub struct MappedRecord {
    /// The record as it is stored.
    pub graph: RecordGraph,
    /// Its values repaired or dropped.
    pub issues: Vec<ValueIssue>,
}

/// Checks a mapped record's values ([`crate::repair::check_record`]) and makes the record.
pub fn finish_record(
    key: &str,
    dataset: NamedNode,
    triples: Vec<Triple>,
    source_url: &str,
) -> MappedRecord {
    let checked = crate::repair::check_record(key, triples);
    MappedRecord {
        graph: RecordGraph {
            key: key.to_owned(),
            dataset,
            triples: checked.triples,
            source_url: source_url.to_owned(),
        },
        issues: checked.issues,
    }
}

/// CKAN and udata dates come as `2019-06-21T14:52:27.469417`, `2025-07-16T08:11:44+00:00` or
/// `2025-07-16`; the literal is typed by what it is.
pub fn date_literal(value: &str) -> Option<Literal> {
    if oxsdatatypes::DateTime::from_str(value).is_ok() {
        return Some(Literal::new_typed_literal(value, xsd::DATE_TIME));
    }
    if oxsdatatypes::Date::from_str(value).is_ok() {
        return Some(Literal::new_typed_literal(value, xsd::DATE));
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_are_typed_by_form() {
        assert_eq!(date_literal("2025-07-16").unwrap().datatype(), xsd::DATE);
        assert_eq!(
            date_literal("2019-06-21T14:52:27.469417")
                .unwrap()
                .datatype(),
            xsd::DATE_TIME
        );
        assert!(date_literal("16/07/2025").is_none());
    }
}
