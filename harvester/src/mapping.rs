//! Helpers shared by the connectors that map JSON records (CKAN, later udata and Opendatasoft)
//! to DCAT-AP triples, and the checks every record passes before it is stored, whatever its
//! source: IRIs must be valid, and typed date literals must be lexically valid.

use fedcat_catalog::oxigraph::model::vocab::xsd;
use fedcat_catalog::oxigraph::model::{
    Literal, NamedNode, NamedNodeRef, NamedOrBlankNode, Term, Triple,
};
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
            self.add(subject.clone(), predicate, Literal::new_simple_literal(value));
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
        let literal = date_literal(value)
            .ok_or_else(|| format!("{}: {value:?} is not a date or date-time", predicate.as_str()))?;
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

    /// The triples collected.
    pub fn into_triples(self) -> Vec<Triple> {
        self.triples
    }
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

/// Checks that a record is storable: every IRI valid (strict RFC 3987) and every literal typed
/// with an XSD date/time type lexically valid. Returns every violation found.
pub fn validate_record(triples: &[Triple]) -> Vec<String> {
    let mut problems = Vec::new();
    let check_iri = |iri: &str, position: &str, problems: &mut Vec<String>| {
        if let Err(e) = NamedNode::new(iri) {
            problems.push(format!("invalid IRI {iri:?} as {position}: {e}"));
        }
    };
    for triple in triples {
        if let NamedOrBlankNode::NamedNode(s) = &triple.subject {
            check_iri(s.as_str(), "subject", &mut problems);
        }
        check_iri(triple.predicate.as_str(), "predicate", &mut problems);
        match &triple.object {
            Term::NamedNode(o) => check_iri(
                o.as_str(),
                &format!("object of {}", triple.predicate),
                &mut problems,
            ),
            Term::Literal(literal) => {
                if let Some(problem) = check_typed_literal(literal) {
                    problems.push(format!(
                        "{problem} (object of {} on {})",
                        triple.predicate, triple.subject
                    ));
                }
            }
            _ => {}
        }
    }
    problems.sort();
    problems.dedup();
    problems
}

fn check_typed_literal(literal: &Literal) -> Option<String> {
    let datatype = literal.datatype();
    let value = literal.value();
    let valid = if datatype == xsd::DATE_TIME {
        oxsdatatypes::DateTime::from_str(value).is_ok()
    } else if datatype == xsd::DATE {
        oxsdatatypes::Date::from_str(value).is_ok()
    } else if datatype == xsd::G_YEAR {
        oxsdatatypes::GYear::from_str(value).is_ok()
    } else if datatype == xsd::G_YEAR_MONTH {
        oxsdatatypes::GYearMonth::from_str(value).is_ok()
    } else if datatype == xsd::TIME {
        oxsdatatypes::Time::from_str(value).is_ok()
    } else {
        true
    };
    (!valid).then(|| format!("{value:?} is not a valid {}", datatype.as_str()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_are_typed_by_form() {
        assert_eq!(
            date_literal("2025-07-16").unwrap().datatype(),
            xsd::DATE
        );
        assert_eq!(
            date_literal("2019-06-21T14:52:27.469417").unwrap().datatype(),
            xsd::DATE_TIME
        );
        assert!(date_literal("16/07/2025").is_none());
    }

    #[test]
    fn bad_date_literals_are_reported() {
        let s = NamedNode::new("http://e/s").unwrap();
        let triples = vec![Triple::new(
            s,
            NamedNode::new("http://e/p").unwrap(),
            Literal::new_typed_literal("1994-01-01 00:00:00", xsd::DATE_TIME),
        )];
        let problems = validate_record(&triples);
        assert_eq!(problems.len(), 1);
        assert!(problems[0].contains("1994-01-01 00:00:00"), "{problems:?}");
    }
}
