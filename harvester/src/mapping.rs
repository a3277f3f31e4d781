//! Helpers shared by the connectors that map JSON records (CKAN, udata and Opendatasoft)
//! to DCAT-AP triples, and the checks every record passes before it is stored, whatever its
//! source: IRIs must be valid, and typed date literals must be lexically valid.

use crate::vocabulary::{Lookup, Vocabularies, VocabularyKind};
use fedcat_catalog::oxigraph::model::vocab::{rdf, xsd};
use fedcat_catalog::oxigraph::model::{
    Literal, NamedNode, NamedNodeRef, NamedOrBlankNode, Term, Triple,
};
use fedcat_catalog::vocab::{dcat, foaf, skos, vcard};
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

    /// Adds a date or date-time literal typed by its form (`xsd:date` or `xsd:dateTime`).
    pub fn date(
        &mut self,
        subject: &NamedNode,
        predicate: NamedNodeRef<'_>,
        value: Option<&str>,
    ) -> Result<(), String> {
        let Some(value) = value.map(str::trim).filter(|v| !v.is_empty()) else {
            return Ok(());
        };
        let literal = date_literal(value).ok_or_else(|| {
            format!(
                "{}: {value:?} is not a date or date-time",
                predicate.as_str()
            )
        })?;
        self.add(subject.clone(), predicate, literal);
        Ok(())
    }

    /// Adds an IRI object built from a URL found in the record.
    pub fn iri(
        &mut self,
        subject: &NamedNode,
        predicate: NamedNodeRef<'_>,
        value: Option<&str>,
    ) -> Result<(), String> {
        let Some(value) = value.map(str::trim).filter(|v| !v.is_empty()) else {
            return Ok(());
        };
        let node = url_to_iri(value).map_err(|e| format!("{}: {e}", predicate.as_str()))?;
        self.add(subject.clone(), predicate, node);
        Ok(())
    }

    /// Adds `predicate` with the concept a portal's free-text value maps to, typed with the class
    /// DCAT-AP expects, and keeps the value itself (`fedcat:original…` when mapped,
    /// `fedcat:unmapped…` when not, so unmapped values are counted rather than lost).
    pub fn concept(
        &mut self,
        subject: &NamedNode,
        predicate: NamedNodeRef<'_>,
        vocabularies: &Vocabularies,
        kind: VocabularyKind,
        value: Option<&str>,
    ) -> Option<NamedNode> {
        let value = value.map(str::trim).filter(|v| !v.is_empty())?;
        let (original, unmapped) = kind.original_properties();
        let literal = Literal::new_simple_literal(value);
        match vocabularies.lookup(kind, value) {
            Lookup::Concept(concept) => {
                self.add(subject.clone(), predicate, concept.iri.clone());
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
    ) -> Result<(), String> {
        let Some(value) = value.map(str::trim).filter(|v| !v.is_empty()) else {
            return Ok(());
        };
        let node = url_to_iri(value).map_err(|e| format!("{}: {e}", predicate.as_str()))?;
        self.add(subject.clone(), predicate, node.clone());
        self.add(node, rdf::TYPE, foaf::DOCUMENT);
        Ok(())
    }

    /// Adds a `dcat:contactPoint` (a `vcard:Kind` with its name and `mailto:` address).
    pub fn contact_point(
        &mut self,
        dataset: &NamedNode,
        contact: &NamedNode,
        name: Option<&str>,
        email: Option<&str>,
    ) -> Result<(), String> {
        self.add(dataset.clone(), dcat::CONTACT_POINT, contact.clone());
        self.add(contact.clone(), rdf::TYPE, vcard::KIND);
        self.plain(contact, vcard::FN, name);
        if let Some(email) = email {
            self.iri(
                contact,
                vcard::HAS_EMAIL,
                Some(&format!("mailto:{}", email.trim())),
            )?;
        }
        Ok(())
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

/// A URL from a JSON record as an IRI. Spaces, which portals leave in URLs, are percent-encoded;
/// anything else invalid is an error.
pub fn url_to_iri(value: &str) -> Result<NamedNode, String> {
    let encoded = value.trim().replace(' ', "%20");
    NamedNode::new(&encoded).map_err(|e| format!("{value:?} is not a valid IRI: {e}"))
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

/// Checks that a record is storable and repairs the two defects real portals commonly publish
/// whose meaning is not in doubt; returns every problem that remains.
///
/// - An IRI must be valid (RFC 3987). Characters that are merely unescaped in a path, query or
///   fragment (`[`, `]`, `{`, `}`, `|`, `\`, `^`, `` ` ``, `"`, `<`, `>`) are percent-encoded, as
///   a browser would; whitespace is never repaired, since it usually joins two IRIs or holds
///   free text (`tel:+49 40 …`), and the record fails.
/// - A literal typed `xsd:date`, `xsd:dateTime`, `xsd:gYear` or `xsd:gYearMonth` must be valid.
///   A value that is valid for one of the other three (a date-time typed as a date, as
///   GeoNetwork writes) is retyped to it, value unchanged; a value valid for none fails. An
///   empty value (GeoNetwork's absent date) is kept as it is.
pub fn check_record(triples: Vec<Triple>) -> Result<Vec<Triple>, Vec<String>> {
    let mut problems = Vec::new();
    let mut checked = Vec::with_capacity(triples.len());
    for mut triple in triples {
        if let NamedOrBlankNode::NamedNode(s) = &triple.subject {
            match checked_iri(s) {
                Ok(Some(repaired)) => triple.subject = repaired.into(),
                Ok(None) => {}
                Err(e) => problems.push(format!("invalid IRI {:?} as subject: {e}", s.as_str())),
            }
        }
        if let Err(e) = checked_iri(&triple.predicate) {
            problems.push(format!(
                "invalid IRI {:?} as predicate: {e}",
                triple.predicate.as_str()
            ));
        }
        match &triple.object {
            Term::NamedNode(o) => match checked_iri(o) {
                Ok(Some(repaired)) => triple.object = repaired.into(),
                Ok(None) => {}
                Err(e) => problems.push(format!(
                    "invalid IRI {:?} as object of {}: {e}",
                    o.as_str(),
                    triple.predicate
                )),
            },
            Term::Literal(literal) => match checked_date(literal) {
                Ok(Some(retyped)) => triple.object = retyped.into(),
                Ok(None) => {}
                Err(problem) => problems.push(format!(
                    "{problem} (object of {} on {})",
                    triple.predicate, triple.subject
                )),
            },
            _ => {}
        }
        checked.push(triple);
    }
    if problems.is_empty() {
        Ok(checked)
    } else {
        problems.sort();
        problems.dedup();
        Err(problems)
    }
}

/// `Ok(None)` if valid, `Ok(Some(repaired))` if only unescaped characters were wrong.
fn checked_iri(node: &NamedNode) -> Result<Option<NamedNode>, String> {
    let text = node.as_str();
    let Err(error) = NamedNode::new(text) else {
        return Ok(None);
    };
    if text.chars().any(char::is_whitespace) {
        return Err(error.to_string());
    }
    // Percent-encode only after the authority, where these characters have no syntax role.
    let after_scheme = text.find("://").map_or(0, |i| i + 3);
    let path_start = text[after_scheme..]
        .find(['/', '?', '#'])
        .map_or(text.len(), |i| after_scheme + i);
    let mut repaired = String::with_capacity(text.len() + 8);
    repaired.push_str(&text[..path_start]);
    for c in text[path_start..].chars() {
        if matches!(
            c,
            '[' | ']' | '{' | '}' | '|' | '\\' | '^' | '`' | '"' | '<' | '>'
        ) {
            repaired.push_str(&format!("%{:02X}", c as u32));
        } else {
            repaired.push(c);
        }
    }
    NamedNode::new(repaired)
        .map(Some)
        .map_err(|_| error.to_string())
}

fn date_kind(value: &str) -> Option<NamedNodeRef<'static>> {
    if oxsdatatypes::DateTime::from_str(value).is_ok() {
        Some(xsd::DATE_TIME)
    } else if oxsdatatypes::Date::from_str(value).is_ok() {
        Some(xsd::DATE)
    } else if oxsdatatypes::GYearMonth::from_str(value).is_ok() {
        Some(xsd::G_YEAR_MONTH)
    } else if oxsdatatypes::GYear::from_str(value).is_ok() {
        Some(xsd::G_YEAR)
    } else {
        None
    }
}

/// `Ok(None)` if valid or not a date type, `Ok(Some(retyped))` if the value is a valid date of
/// another date type.
fn checked_date(literal: &Literal) -> Result<Option<Literal>, String> {
    let datatype = literal.datatype();
    let is_date_type =
        [xsd::DATE_TIME, xsd::DATE, xsd::G_YEAR, xsd::G_YEAR_MONTH].contains(&datatype);
    let value = literal.value();
    if !is_date_type || value.trim().is_empty() {
        return Ok(None);
    }
    match date_kind(value) {
        Some(kind) if kind == datatype => Ok(None),
        Some(kind) => Ok(Some(Literal::new_typed_literal(value, kind))),
        None => Err(format!("{value:?} is not a valid {}", datatype.as_str())),
    }
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

    fn triple(object: impl Into<Term>) -> Vec<Triple> {
        vec![Triple::new(
            NamedNode::new("http://e/s").unwrap(),
            NamedNode::new("http://e/p").unwrap(),
            object,
        )]
    }

    #[test]
    fn bad_date_literals_are_reported() {
        let problems = check_record(triple(Literal::new_typed_literal(
            "1994-01-01 00:00:00",
            xsd::DATE_TIME,
        )))
        .unwrap_err();
        assert_eq!(problems.len(), 1);
        assert!(problems[0].contains("1994-01-01 00:00:00"), "{problems:?}");
    }

    #[test]
    fn mistyped_dates_are_retyped() {
        let checked = check_record(triple(Literal::new_typed_literal(
            "2022-03-22T08:51:36",
            xsd::DATE,
        )))
        .unwrap();
        assert_eq!(
            checked[0].object,
            Term::from(Literal::new_typed_literal(
                "2022-03-22T08:51:36",
                xsd::DATE_TIME
            ))
        );
    }

    #[test]
    fn unescaped_brackets_are_encoded_but_spaces_fail() {
        let bracket = NamedNode::new_unchecked("http://h:80/k.html?LAYER[id]=3");
        let checked = check_record(triple(bracket)).unwrap();
        assert_eq!(
            checked[0].object,
            Term::from(NamedNode::new("http://h:80/k.html?LAYER%5Bid%5D=3").unwrap())
        );
        let spaced = NamedNode::new_unchecked("tel:+49 40 4 28 40 - 3494");
        assert!(check_record(triple(spaced)).is_err());
    }
}
