//! Value-level repair: one bad value never costs its record.
//!
//! Every record, whatever its connector, passes [`check_record`] before it is stored. Each IRI
//! and typed literal is checked; a bad one is repaired when its meaning is not in doubt, and
//! dropped with its property otherwise. The record is kept either way, and every repair and drop
//! is returned as a [`ValueIssue`] the job counts and the report lists.
//!
//! - **IRIs** are read as a browser reads a URL (WHATWG URL parsing: surrounding whitespace
//!   trimmed, tabs and newlines removed, spaces and control characters percent-encoded, hosts in
//!   punycode), then whatever RFC 3987 still forbids is percent-encoded: a second `#` inside
//!   the fragment, `|`, `{ }`, `[ ]` outside the host, `\`, `^`, `` ` ``, a `%` not followed by
//!   two hex digits. A web address without a scheme (`www.insee.fr/…`) gets `http://`. The
//!   portal's own string is kept beside the repaired IRI (`fedcat:originalIri`). An IRI that
//!   cannot be made valid is dropped with its triple (with every triple of the node, when it is
//!   a subject).
//! - **Dates** typed `xsd:date`, `xsd:dateTime`, `xsd:gYear`, `xsd:gYearMonth` are retyped to
//!   the form their value has; a space between date and time, minutes without seconds and a
//!   `+0100` offset are written as XSD writes them; any other invalid or empty date is dropped.
//! - **Numbers and booleans** (`xsd:integer`, `xsd:nonNegativeInteger`, `xsd:decimal`,
//!   `xsd:double`, `xsd:boolean`…) lose digit-group spaces and a decimal comma; `12.0` becomes an
//!   integer's `12`; what still does not parse (or is negative where it may not be) is dropped.
//! - **Durations** (`xsd:duration`) that do not parse are dropped.
//! - **Language tags** are lower-cased and `fr_FR` becomes `fr-fr`; a tag still invalid is
//!   removed, the text kept.
//! - **Text** loses the control characters XML cannot carry (they would break the RDF/XML
//!   export).
//! - **E-mail addresses** (`vcard:hasEmail`): a list (`a@x.fr; b@y.fr`) becomes one address
//!   each; an address without a `@` and a dotted domain is dropped.

use fedcat_catalog::oxigraph::model::vocab::xsd;
use fedcat_catalog::oxigraph::model::{
    Literal, NamedNode, NamedNodeRef, NamedOrBlankNode, Term, Triple,
};
use fedcat_catalog::vocab::{fedcat, vcard};
use fedcat_catalog::{IssueAction, MAX_ISSUE_VALUE, ValueIssue};
use std::collections::{HashMap, HashSet};
use std::str::FromStr;
use url::{Position, Url};

/// What became of an IRI.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IriRepair {
    /// Valid as it was.
    Valid,
    /// Made valid; `rule` names how.
    Repaired {
        /// The valid IRI.
        iri: NamedNode,
        /// `iri-whitespace-trimmed`, `iri-percent-encoded` or `iri-scheme-added`.
        rule: &'static str,
    },
    /// Cannot be made an IRI.
    Unusable {
        /// Why.
        why: String,
    },
}

/// Reads `raw` as a browser reads a URL and makes it a valid IRI (see the module docs).
pub fn repair_iri(raw: &str) -> IriRepair {
    if NamedNode::new(raw).is_ok() {
        return IriRepair::Valid;
    }
    let trimmed = raw.trim_matches(|c: char| c.is_whitespace() || c.is_control());
    if trimmed.is_empty() {
        return IriRepair::Unusable {
            why: "empty".to_owned(),
        };
    }
    if trimmed.len() != raw.len()
        && let Ok(iri) = NamedNode::new(trimmed)
    {
        return IriRepair::Repaired {
            iri,
            rule: "iri-whitespace-trimmed",
        };
    }
    let (url, rule) = match Url::parse(trimmed) {
        Ok(url) => (url, "iri-percent-encoded"),
        Err(url::ParseError::RelativeUrlWithoutBase) if looks_like_web_address(trimmed) => {
            match Url::parse(&format!("http://{trimmed}")) {
                Ok(url) => (url, "iri-scheme-added"),
                Err(e) => return IriRepair::Unusable { why: e.to_string() },
            }
        }
        Err(e) => {
            return IriRepair::Unusable {
                why: format!("not a URL ({e})"),
            };
        }
    };
    let text = encode_forbidden(&url);
    match NamedNode::new(text) {
        Ok(iri) => IriRepair::Repaired { iri, rule },
        Err(e) => IriRepair::Unusable { why: e.to_string() },
    }
}

/// `www.insee.fr/fr/statistiques`: a dotted host name with a letter-only top-level domain,
/// before the first `/`, and nothing that could be a scheme.
fn looks_like_web_address(text: &str) -> bool {
    let host = text.split(['/', '?', '#']).next().unwrap_or("");
    let labels: Vec<&str> = host.split('.').collect();
    labels.len() >= 2
        && labels
            .iter()
            .all(|l| !l.is_empty() && l.chars().all(|c| c.is_alphanumeric() || c == '-'))
        && labels
            .last()
            .is_some_and(|tld| tld.len() >= 2 && tld.chars().all(char::is_alphabetic))
}

/// The URL as a string, with what RFC 3987 forbids after the authority percent-encoded.
fn encode_forbidden(url: &Url) -> String {
    let prefix = &url[..Position::BeforePath];
    let rest = &url[Position::BeforePath..];
    let mut out = String::with_capacity(url.as_str().len() + 8);
    out.push_str(prefix);
    let mut in_fragment = false;
    for (index, c) in rest.char_indices() {
        match c {
            '#' if !in_fragment => {
                in_fragment = true;
                out.push('#');
            }
            '%' if is_hex_pair(&rest[index + 1..]) => out.push('%'),
            '#' | '%' | ' ' | '"' | '<' | '>' | '\\' | '^' | '`' | '{' | '|' | '}' | '[' | ']' => {
                push_encoded(&mut out, c);
            }
            c if c.is_control() || !c.is_ascii() => push_encoded(&mut out, c),
            c => out.push(c),
        }
    }
    out
}

fn is_hex_pair(text: &str) -> bool {
    let mut bytes = text.bytes();
    matches!((bytes.next(), bytes.next()), (Some(a), Some(b)) if a.is_ascii_hexdigit() && b.is_ascii_hexdigit())
}

fn push_encoded(out: &mut String, c: char) {
    let mut buffer = [0; 4];
    for byte in c.encode_utf8(&mut buffer).bytes() {
        out.push_str(&format!("%{byte:02X}"));
    }
}

/// A record's triples, every bad value repaired or dropped, and what was done.
#[derive(Debug, Default)]
pub struct CheckedRecord {
    /// The triples to store.
    pub triples: Vec<Triple>,
    /// One entry per value repaired or dropped (a value met several times counts once per
    /// property).
    pub issues: Vec<ValueIssue>,
}

/// What became of one node or literal.
enum Fix<T> {
    Keep,
    Replace(T, &'static str),
    Drop(&'static str),
}

/// Checks every value of the record keyed `record_key` (see the module docs).
pub fn check_record(record_key: &str, triples: Vec<Triple>) -> CheckedRecord {
    let mut checker = Checker {
        record_key,
        iris: HashMap::new(),
        seen: HashSet::new(),
        issues: Vec::new(),
        originals: Vec::new(),
    };
    let mut out = Vec::with_capacity(triples.len());
    for triple in triples {
        checker.check_triple(triple, &mut out);
    }
    for (iri, original) in std::mem::take(&mut checker.originals) {
        out.push(Triple::new(
            iri,
            fedcat::ORIGINAL_IRI,
            Literal::new_simple_literal(original),
        ));
    }
    CheckedRecord {
        triples: out,
        issues: checker.issues,
    }
}

struct Checker<'a> {
    record_key: &'a str,
    /// IRIs already repaired (`Some`) or found unusable (`None`) in this record.
    iris: HashMap<String, Option<NamedNode>>,
    /// (property, value) pairs already reported.
    seen: HashSet<(String, String)>,
    issues: Vec<ValueIssue>,
    /// Repaired IRIs and the portal's string for each.
    originals: Vec<(NamedNode, String)>,
}

impl Checker<'_> {
    fn check_triple(&mut self, mut triple: Triple, out: &mut Vec<Triple>) {
        if let NamedOrBlankNode::NamedNode(subject) = &triple.subject {
            match self.iri(subject, "subject") {
                Fix::Keep => {}
                Fix::Replace(iri, _) => triple.subject = iri.into(),
                Fix::Drop(_) => return,
            }
        }
        if NamedNode::new(triple.predicate.as_str()).is_err() {
            let value = triple.predicate.as_str().to_owned();
            self.report(IssueAction::Dropped, "predicate", "iri-invalid", &value);
            return;
        }
        let property = triple.predicate.as_str().to_owned();
        match &triple.object {
            Term::NamedNode(object) if triple.predicate == vcard::HAS_EMAIL => {
                let object = object.clone();
                for address in self.emails(&object, &property) {
                    out.push(Triple::new(
                        triple.subject.clone(),
                        triple.predicate.clone(),
                        address,
                    ));
                }
                return;
            }
            Term::NamedNode(object) => match self.iri(object, &property) {
                Fix::Keep => {}
                Fix::Replace(iri, _) => triple.object = iri.into(),
                Fix::Drop(_) => return,
            },
            Term::Literal(literal) => match check_literal(literal) {
                Fix::Keep => {}
                Fix::Replace(repaired, rule) => {
                    let value = literal.value().to_owned();
                    self.report(IssueAction::Repaired, &property, rule, &value);
                    triple.object = repaired.into();
                }
                Fix::Drop(rule) => {
                    let value = literal.value().to_owned();
                    self.report(IssueAction::Dropped, &property, rule, &value);
                    return;
                }
            },
            _ => {}
        }
        out.push(triple);
    }

    /// An IRI met as `property`'s object (or as a subject), repaired once per record.
    fn iri(&mut self, node: &NamedNode, property: &str) -> Fix<NamedNode> {
        let raw = node.as_str();
        if let Some(known) = self.iris.get(raw) {
            return match known {
                Some(iri) => Fix::Replace(iri.clone(), "iri"),
                None => Fix::Drop("iri"),
            };
        }
        match repair_iri(raw) {
            IriRepair::Valid => Fix::Keep,
            IriRepair::Repaired { iri, rule } => {
                self.report(IssueAction::Repaired, property, rule, raw);
                self.iris.insert(raw.to_owned(), Some(iri.clone()));
                self.originals.push((iri.clone(), raw.to_owned()));
                Fix::Replace(iri, rule)
            }
            IriRepair::Unusable { .. } => {
                self.report(IssueAction::Dropped, property, "iri-invalid", raw);
                self.iris.insert(raw.to_owned(), None);
                Fix::Drop("iri-invalid")
            }
        }
    }

    /// The addresses of a `vcard:hasEmail` value (one, several, or none).
    fn emails(&mut self, node: &NamedNode, property: &str) -> Vec<NamedNode> {
        let raw = node.as_str();
        let Some(text) = strip_prefix_ignore_case(raw, "mailto:") else {
            // Not a mailto: IRI (a contact form, a web page): an IRI like any other.
            return match self.iri(node, property) {
                Fix::Keep => vec![node.clone()],
                Fix::Replace(iri, _) => vec![iri],
                Fix::Drop(_) => Vec::new(),
            };
        };
        let parts: Vec<&str> = text
            .split([';', ',', ' ', '\t', '\n', '\r'])
            .map(|p| {
                let p = p.trim().trim_matches(['<', '>']);
                strip_prefix_ignore_case(p, "mailto:").unwrap_or(p)
            })
            .filter(|p| !p.is_empty())
            .collect();
        let addresses: Vec<NamedNode> = parts
            .iter()
            .filter(|p| is_email(p))
            .filter_map(|p| match repair_iri(&format!("mailto:{p}")) {
                IriRepair::Valid => NamedNode::new(format!("mailto:{p}")).ok(),
                IriRepair::Repaired { iri, .. } => Some(iri),
                IriRepair::Unusable { .. } => None,
            })
            .collect();
        if addresses.is_empty() {
            self.report(IssueAction::Dropped, property, "email-invalid", raw);
        } else if addresses.len() > 1 {
            self.report(IssueAction::Repaired, property, "email-list-split", raw);
        } else if addresses[0].as_str() != raw {
            self.report(IssueAction::Repaired, property, "email-cleaned", raw);
        }
        addresses
    }

    fn report(&mut self, action: IssueAction, property: &str, rule: &'static str, value: &str) {
        if !self.seen.insert((property.to_owned(), value.to_owned())) {
            return;
        }
        self.issues.push(ValueIssue {
            record_key: self.record_key.to_owned(),
            action,
            property: property.to_owned(),
            rule: rule.to_owned(),
            value: shortened(value),
        });
    }
}

fn strip_prefix_ignore_case<'t>(text: &'t str, prefix: &str) -> Option<&'t str> {
    text.get(..prefix.len())
        .filter(|head| head.eq_ignore_ascii_case(prefix))
        .map(|_| &text[prefix.len()..])
}

/// `local@domain.tld`, with nothing in it a mail address cannot hold.
fn is_email(text: &str) -> bool {
    let Some((local, domain)) = text.rsplit_once('@') else {
        return false;
    };
    let forbidden = |c: char| c.is_whitespace() || c.is_control() || "<>()[]\\,;:\"@".contains(c);
    !local.is_empty()
        && !local
            .chars()
            .any(|c| c.is_whitespace() || c.is_control() || "<>\\,;".contains(c))
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !domain.chars().any(forbidden)
}

/// At most [`MAX_ISSUE_VALUE`] characters of a value.
fn shortened(value: &str) -> String {
    match value.char_indices().nth(MAX_ISSUE_VALUE) {
        Some((end, _)) => format!("{}…", &value[..end]),
        None => value.to_owned(),
    }
}

/// Checks a literal: its text, its language tag and its datatype's lexical form.
fn check_literal(literal: &Literal) -> Fix<Literal> {
    let value = literal.value();
    let clean;
    let (value, mut repaired_rule) = if value.chars().any(is_xml_forbidden) {
        clean = value
            .chars()
            .filter(|c| !is_xml_forbidden(*c))
            .collect::<String>();
        (clean.as_str(), Some("control-characters-removed"))
    } else {
        (value, None)
    };
    if let Some(language) = literal.language() {
        if repaired_rule.is_none() && is_plain_language_tag(language) {
            return Fix::Keep;
        }
        let fixed = match Literal::new_language_tagged_literal(value, language) {
            Ok(ok) => ok,
            Err(_) => {
                let normalised = language.trim().replace('_', "-").to_ascii_lowercase();
                match Literal::new_language_tagged_literal(value, &normalised) {
                    Ok(ok) => {
                        repaired_rule = Some("language-tag-normalised");
                        ok
                    }
                    Err(_) => {
                        repaired_rule = Some("language-tag-removed");
                        Literal::new_simple_literal(value)
                    }
                }
            }
        };
        return match repaired_rule {
            Some(rule) => Fix::Replace(fixed, rule),
            None => Fix::Keep,
        };
    }
    let datatype = literal.datatype();
    if NamedNode::new(datatype.as_str()).is_err() {
        return Fix::Replace(
            Literal::new_simple_literal(value),
            "datatype-invalid-removed",
        );
    }
    let typed = if is_date_type(datatype) {
        check_date(value, datatype)
    } else if let Some(kind) = number_kind(datatype) {
        check_number(value, datatype, kind)
    } else if datatype == xsd::BOOLEAN {
        check_boolean(value)
    } else if datatype == xsd::DURATION {
        if oxsdatatypes::Duration::from_str(value.trim()).is_ok() {
            same_or_trimmed(value, datatype)
        } else {
            Fix::Drop("duration-invalid")
        }
    } else {
        Fix::Keep
    };
    match (typed, repaired_rule) {
        (Fix::Keep, Some(rule)) => Fix::Replace(Literal::new_typed_literal(value, datatype), rule),
        (other, _) => other,
    }
}

/// `fr`, `en-gb`, `pt-br`, `zh-hant-tw`: a language subtag of two or three letters, then subtags
/// of two to eight letters or digits — valid BCP 47 without parsing it (the common case, checked
/// without allocating).
fn is_plain_language_tag(tag: &str) -> bool {
    let mut subtags = tag.split('-');
    let Some(language) = subtags.next() else {
        return false;
    };
    (2..=3).contains(&language.len())
        && language.bytes().all(|b| b.is_ascii_alphabetic())
        && subtags
            .all(|s| (2..=8).contains(&s.len()) && s.bytes().all(|b| b.is_ascii_alphanumeric()))
}

/// Characters XML 1.0 cannot carry (C0 controls but tab, newline and carriage return; DEL; the
/// non-characters U+FFFE and U+FFFF).
fn is_xml_forbidden(c: char) -> bool {
    (c.is_control() && !matches!(c, '\t' | '\n' | '\r') && (c as u32) < 0x80)
        || matches!(c, '\u{FFFE}' | '\u{FFFF}')
}

fn same_or_trimmed(value: &str, datatype: NamedNodeRef<'_>) -> Fix<Literal> {
    if value.trim() == value {
        Fix::Keep
    } else {
        Fix::Replace(
            Literal::new_typed_literal(value.trim(), datatype),
            "whitespace-trimmed",
        )
    }
}

fn is_date_type(datatype: NamedNodeRef<'_>) -> bool {
    [xsd::DATE_TIME, xsd::DATE, xsd::G_YEAR, xsd::G_YEAR_MONTH].contains(&datatype)
}

/// The date type whose lexical form `value` has.
pub fn date_kind(value: &str) -> Option<NamedNodeRef<'static>> {
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

/// A date in one of the forms portals write that XSD does not (`2019-06-21 14:52:27`,
/// `2019-06-21T14:52`, `2019-06-21T14:52:27+0200`), written as XSD writes it.
pub fn normalised_date(value: &str) -> Option<String> {
    let mut text = zero_padded(value.trim());
    if text.len() > 10 && text.is_char_boundary(10) && text[10..].starts_with(' ') {
        text.replace_range(10..11, "T");
    }
    // Minutes without seconds.
    if text.len() >= 16
        && text.is_char_boundary(16)
        && text.as_bytes().get(10) == Some(&b'T')
        && text.as_bytes().get(13) == Some(&b':')
        && text.as_bytes().get(16) != Some(&b':')
    {
        text.insert_str(16, ":00");
    }
    // `+0200` → `+02:00`.
    let bytes = text.as_bytes();
    if bytes.len() > 19 {
        let tail = &bytes[bytes.len() - 5..];
        if matches!(tail[0], b'+' | b'-') && tail[1..].iter().all(u8::is_ascii_digit) {
            let at = text.len() - 2;
            text.insert(at, ':');
        }
    }
    date_kind(&text).map(|_| text)
}

/// `2000-4` → `2000-04`, `1999-4-4` → `1999-04-04`: a year of four digits, then a month and a
/// day of one or two, written as XSD writes them (the order is ISO's: nothing is guessed).
fn zero_padded(text: &str) -> String {
    let (date, rest) = text.split_at(text.find('T').unwrap_or(text.len()));
    let parts: Vec<&str> = date.split('-').collect();
    let digits = |p: &str, max: usize| {
        !p.is_empty() && p.len() <= max && p.bytes().all(|b| b.is_ascii_digit())
    };
    let well_formed = (2..=3).contains(&parts.len())
        && parts[0].len() == 4
        && digits(parts[0], 4)
        && parts[1..].iter().all(|p| digits(p, 2));
    if !well_formed || parts[1..].iter().all(|p| p.len() == 2) {
        return text.to_owned();
    }
    let padded: Vec<String> = parts
        .iter()
        .enumerate()
        .map(|(i, p)| {
            if i > 0 && p.len() == 1 {
                format!("0{p}")
            } else {
                (*p).to_owned()
            }
        })
        .collect();
    format!("{}{rest}", padded.join("-"))
}

fn check_date(value: &str, datatype: NamedNodeRef<'_>) -> Fix<Literal> {
    if value.trim().is_empty() {
        return Fix::Drop("date-empty");
    }
    if let Some(kind) = date_kind(value) {
        return if kind == datatype {
            Fix::Keep
        } else {
            Fix::Replace(Literal::new_typed_literal(value, kind), "date-retyped")
        };
    }
    match normalised_date(value) {
        Some(text) => {
            let kind = date_kind(&text).unwrap_or(datatype);
            Fix::Replace(Literal::new_typed_literal(text, kind), "date-normalised")
        }
        None => Fix::Drop("date-invalid"),
    }
}

#[derive(Clone, Copy, PartialEq)]
enum NumberKind {
    Integer,
    NonNegativeInteger,
    Decimal,
    Floating,
}

fn number_kind(datatype: NamedNodeRef<'_>) -> Option<NumberKind> {
    if [xsd::INTEGER, xsd::LONG, xsd::INT, xsd::SHORT].contains(&datatype) {
        Some(NumberKind::Integer)
    } else if [
        xsd::NON_NEGATIVE_INTEGER,
        xsd::POSITIVE_INTEGER,
        xsd::UNSIGNED_LONG,
        xsd::UNSIGNED_INT,
    ]
    .contains(&datatype)
    {
        Some(NumberKind::NonNegativeInteger)
    } else if datatype == xsd::DECIMAL {
        Some(NumberKind::Decimal)
    } else if [xsd::DOUBLE, xsd::FLOAT].contains(&datatype) {
        Some(NumberKind::Floating)
    } else {
        None
    }
}

fn valid_number(text: &str, kind: NumberKind) -> bool {
    match kind {
        NumberKind::Integer => oxsdatatypes::Integer::from_str(text).is_ok(),
        NumberKind::NonNegativeInteger => {
            oxsdatatypes::Integer::from_str(text).is_ok() && !text.starts_with('-')
        }
        NumberKind::Decimal => oxsdatatypes::Decimal::from_str(text).is_ok(),
        NumberKind::Floating => oxsdatatypes::Double::from_str(text).is_ok(),
    }
}

fn check_number(value: &str, datatype: NamedNodeRef<'_>, kind: NumberKind) -> Fix<Literal> {
    if valid_number(value, kind) {
        return Fix::Keep;
    }
    // Digit-group spaces (ordinary, no-break, thin) and a decimal comma.
    let mut text: String = value
        .trim()
        .chars()
        .filter(|c| !matches!(c, ' ' | '\u{a0}' | '\u{202f}' | '\u{2009}'))
        .collect();
    if !text.contains('.') && text.matches(',').count() == 1 {
        text = text.replace(',', ".");
    }
    if matches!(kind, NumberKind::Integer | NumberKind::NonNegativeInteger)
        && let Some((whole, fraction)) = text.split_once('.')
        && !fraction.is_empty()
        && fraction.chars().all(|c| c == '0')
    {
        text = whole.to_owned();
    }
    if !text.is_empty() && valid_number(&text, kind) {
        Fix::Replace(
            Literal::new_typed_literal(text, datatype),
            "number-normalised",
        )
    } else {
        Fix::Drop("number-invalid")
    }
}

fn check_boolean(value: &str) -> Fix<Literal> {
    if oxsdatatypes::Boolean::from_str(value).is_ok() {
        return Fix::Keep;
    }
    let normalised = match value.trim().to_ascii_lowercase().as_str() {
        "true" | "yes" | "oui" => "true",
        "false" | "no" | "non" => "false",
        _ => return Fix::Drop("boolean-invalid"),
    };
    Fix::Replace(
        Literal::new_typed_literal(normalised, xsd::BOOLEAN),
        "boolean-normalised",
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn repaired(raw: &str) -> String {
        match repair_iri(raw) {
            IriRepair::Repaired { iri, .. } => iri.into_string(),
            other => panic!("{raw:?}: {other:?}"),
        }
    }

    #[test]
    fn urls_browsers_accept_become_iris() {
        // The Banco Central do Brasil URL of legado.dados.gov.br: a second `#` in the fragment.
        let bcb = "https://olinda.bcb.gov.br/olinda/servico/Expectativas/versao/v1/aplicacao#!/recursos/Recursos#eyJmb3JtdWxh";
        assert_eq!(
            repaired(bcb),
            "https://olinda.bcb.gov.br/olinda/servico/Expectativas/versao/v1/aplicacao#!/recursos/Recursos%23eyJmb3JtdWxh"
        );
        assert_eq!(
            repaired("http://e.org/a b\t/c"),
            "http://e.org/a%20b/c",
            "spaces encoded, tabs removed (WHATWG)"
        );
        assert_eq!(repaired("http://e.org/a|b{c}"), "http://e.org/a%7Cb%7Bc%7D");
        // The default port goes, as a browser writes the URL.
        assert_eq!(
            repaired("http://h:80/k.html?LAYER[id]=3"),
            "http://h/k.html?LAYER%5Bid%5D=3"
        );
        assert_eq!(repaired(" http://e.org/x "), "http://e.org/x");
        assert_eq!(repaired("http://e.org/100%"), "http://e.org/100%25");
        assert_eq!(
            repaired("www.insee.fr/fr/statistiques"),
            "http://www.insee.fr/fr/statistiques"
        );
        assert_eq!(
            repaired("tel:+49 40 4 28 40 - 3494"),
            "tel:+49%2040%204%2028%2040%20-%203494"
        );
        assert_eq!(
            repaired("HTTP://BÜCHER.example/ä b"),
            "http://xn--bcher-kva.example/%C3%A4%20b"
        );
        assert_eq!(repair_iri("http://e.org/ok"), IriRepair::Valid);
        assert_eq!(repair_iri("https://bücher.example/"), IriRepair::Valid);
        for unusable in ["N/A", "", "   ", "-", "non renseigné"] {
            assert!(
                matches!(repair_iri(unusable), IriRepair::Unusable { .. }),
                "{unusable:?}"
            );
        }
    }

    fn triple(predicate: &str, object: impl Into<Term>) -> Triple {
        Triple::new(
            NamedNode::new("http://e/s").unwrap(),
            NamedNode::new(predicate).unwrap(),
            object,
        )
    }

    #[test]
    #[expect(clippy::too_many_lines, reason = "a test reads as one scenario")]
    fn a_bad_value_costs_its_triple_not_the_record() {
        let triples = vec![
            triple("http://e/title", Literal::new_simple_literal("kept")),
            triple(
                "http://e/url",
                NamedNode::new_unchecked("http://e.org/a#b#c"),
            ),
            triple("http://e/page", NamedNode::new_unchecked("N/A")),
            triple(
                "http://e/issued",
                Literal::new_typed_literal("31/12/2020", xsd::DATE),
            ),
            triple(
                "http://e/modified",
                Literal::new_typed_literal("2019-06-21 14:52:27", xsd::DATE_TIME),
            ),
            triple(
                "http://e/size",
                Literal::new_typed_literal("1 234", xsd::NON_NEGATIVE_INTEGER),
            ),
            triple(
                "http://e/count",
                Literal::new_typed_literal("-3", xsd::NON_NEGATIVE_INTEGER),
            ),
            triple(
                "http://e/label",
                Literal::new_language_tagged_literal_unchecked("texte", "fr_FR"),
            ),
            triple(
                vcard::HAS_EMAIL.as_str(),
                NamedNode::new_unchecked("mailto:a@x.fr; b@y.fr"),
            ),
            triple(
                vcard::HAS_EMAIL.as_str(),
                NamedNode::new_unchecked("mailto:personne"),
            ),
        ];
        let checked = check_record("k", triples);
        let objects: Vec<String> = checked
            .triples
            .iter()
            .map(|t| t.object.to_string())
            .collect();
        assert!(objects.contains(&"\"kept\"".to_owned()));
        assert!(
            objects.contains(&"<http://e.org/a#b%23c>".to_owned()),
            "{objects:?}"
        );
        assert!(
            objects.contains(&"\"http://e.org/a#b#c\"".to_owned()),
            "original kept"
        );
        assert!(objects.contains(
            &"\"2019-06-21T14:52:27\"^^<http://www.w3.org/2001/XMLSchema#dateTime>".to_owned()
        ));
        assert!(objects.contains(
            &"\"1234\"^^<http://www.w3.org/2001/XMLSchema#nonNegativeInteger>".to_owned()
        ));
        assert!(
            objects.contains(&"\"texte\"@fr-fr".to_owned()),
            "{objects:?}"
        );
        assert!(objects.contains(&"<mailto:a@x.fr>".to_owned()));
        assert!(objects.contains(&"<mailto:b@y.fr>".to_owned()));
        let rules: Vec<(IssueAction, &str)> = checked
            .issues
            .iter()
            .map(|i| (i.action, i.rule.as_str()))
            .collect();
        for expected in [
            (IssueAction::Repaired, "iri-percent-encoded"),
            (IssueAction::Dropped, "iri-invalid"),
            (IssueAction::Dropped, "date-invalid"),
            (IssueAction::Repaired, "date-normalised"),
            (IssueAction::Repaired, "number-normalised"),
            (IssueAction::Dropped, "number-invalid"),
            (IssueAction::Repaired, "language-tag-normalised"),
            (IssueAction::Repaired, "email-list-split"),
            (IssueAction::Dropped, "email-invalid"),
        ] {
            assert!(rules.contains(&expected), "{expected:?} in {rules:?}");
        }
        assert!(checked.issues.iter().all(|i| i.record_key == "k"));
    }

    #[test]
    fn a_bad_subject_drops_its_triples_and_dates_are_retyped() {
        let bad = NamedNode::new_unchecked("not an iri at all");
        let checked = check_record(
            "k",
            vec![
                Triple::new(
                    bad.clone(),
                    NamedNode::new("http://e/p").unwrap(),
                    bad.clone(),
                ),
                triple(
                    "http://e/d",
                    Literal::new_typed_literal("2022-03-22T08:51:36", xsd::DATE),
                ),
                triple("http://e/e", Literal::new_typed_literal("", xsd::DATE)),
                triple("http://e/t", Literal::new_simple_literal("a\u{0}b\u{8}c")),
            ],
        );
        assert_eq!(checked.triples.len(), 2, "{:?}", checked.triples);
        assert_eq!(
            checked.triples[0].object,
            Term::from(Literal::new_typed_literal(
                "2022-03-22T08:51:36",
                xsd::DATE_TIME
            ))
        );
        assert_eq!(
            checked.triples[1].object,
            Term::from(Literal::new_simple_literal("abc"))
        );
        assert_eq!(
            checked
                .issues
                .iter()
                .filter(|i| i.action == IssueAction::Dropped)
                .count(),
            2,
            "{:?}",
            checked.issues
        );
    }

    /// Strings built from the characters that break URLs, dates and numbers (a fixed
    /// pseudo-random sequence, so a failure repeats): nothing panics, and whatever is kept is
    /// valid.
    #[test]
    fn no_value_makes_the_check_panic_or_keep_an_invalid_term() {
        let alphabet: Vec<char> =
            "ab:/?#[]@!$&'()*+,;=%20 \t\n\u{0}\u{7f}|{}\\^`\"<>éß日\u{202e}\u{fffe}-T.Z+9"
                .chars()
                .collect();
        let mut state: u64 = 0x2545_f491_4f6c_dd1d;
        let mut next = move |n: usize| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            (state % n as u64) as usize
        };
        for _ in 0..20_000 {
            let len = next(24);
            let body: String = (0..len).map(|_| alphabet[next(alphabet.len())]).collect();
            let prefix = [
                "http://e.org/",
                "https://",
                "mailto:",
                "",
                "www.e.fr/",
                "2019-0",
            ][next(6)];
            let raw = format!("{prefix}{body}");
            if let IriRepair::Repaired { iri, .. } = repair_iri(&raw) {
                assert!(NamedNode::new(iri.as_str()).is_ok(), "{raw:?} → {iri}");
            }
            let datatype = [
                xsd::DATE,
                xsd::DATE_TIME,
                xsd::INTEGER,
                xsd::DECIMAL,
                xsd::BOOLEAN,
            ][next(5)];
            let checked = check_record(
                "k",
                vec![
                    triple("http://e/p", NamedNode::new_unchecked(raw.clone())),
                    triple(
                        vcard::HAS_EMAIL.as_str(),
                        NamedNode::new_unchecked(raw.clone()),
                    ),
                    triple(
                        "http://e/d",
                        Literal::new_typed_literal(raw.clone(), datatype),
                    ),
                    triple(
                        "http://e/l",
                        Literal::new_language_tagged_literal_unchecked(raw.clone(), body.clone()),
                    ),
                ],
            );
            for t in &checked.triples {
                if let Term::NamedNode(n) = &t.object {
                    assert!(NamedNode::new(n.as_str()).is_ok(), "{raw:?} kept {n}");
                }
                if let Term::Literal(l) = &t.object
                    && let Some(language) = l.language()
                {
                    assert!(
                        Literal::new_language_tagged_literal(l.value(), language).is_ok(),
                        "{raw:?} kept @{language}"
                    );
                }
            }
        }
    }

    #[test]
    fn dates_in_portal_forms_are_normalised() {
        assert_eq!(
            normalised_date("2019-06-21 14:52:27").as_deref(),
            Some("2019-06-21T14:52:27")
        );
        assert_eq!(
            normalised_date("2019-06-21T14:52").as_deref(),
            Some("2019-06-21T14:52:00")
        );
        assert_eq!(
            normalised_date("2019-06-21T14:52:27+0200").as_deref(),
            Some("2019-06-21T14:52:27+02:00")
        );
        assert_eq!(normalised_date("21/06/2019"), None);
        // opendata.swiss's deliberately bad dates.
        assert_eq!(normalised_date("1999-4-4").as_deref(), Some("1999-04-04"));
        assert_eq!(normalised_date("2000-4").as_deref(), Some("2000-04"));
        assert_eq!(normalised_date("2001-6-06").as_deref(), Some("2001-06-06"));
        assert_eq!(normalised_date("2008-01-01T00:00:75"), None);
    }
}
