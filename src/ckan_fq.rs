//! CKAN's `fq` and `sort` parameters, read as CKAN's Solr reads them, for the fields fedcat
//! indexes.
//!
//! `fq` is a Solr boolean query: `field:value` terms (a value bare, quoted, a `[FROM TO TO]`
//! range, or a parenthesised group: `organization:(a OR b)`), joined by `AND`, `OR` and
//! juxtaposition (which means AND, as CKAN's own `fq` strings — `+organization:x +tags:y` —
//! expect), negated by a leading `-` or `NOT`, grouped by parentheses. ckanext-harvest's CKAN
//! harvester writes `organization:a OR organization:b` for `organizations_filter_include` and
//! `-organization:a -organization:b` for `organizations_filter_exclude`. The depth and the
//! length are bounded before anything is built.

use fedcat_catalog::search::{Filter, Sort};
use std::collections::HashMap;

/// Longest `fq` read.
pub const MAX_FQ_CHARS: usize = 4000;
/// Deepest nesting of parentheses and negations.
pub const MAX_FQ_DEPTH: usize = 32;

/// The fields `fq` may name, for the error message.
const FIELDS: &str =
    "organization, owner_org, tags, res_format, license_id, metadata_modified, metadata_created";

/// Why an `fq` or `sort` parameter was refused, in words for the client (CKAN's "Validation
/// Error" carries it).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct FqError(String);

impl From<String> for FqError {
    fn from(message: String) -> Self {
        Self(message)
    }
}

impl From<&str> for FqError {
    fn from(message: &str) -> Self {
        Self(message.to_owned())
    }
}

/// Reads `fq`; `publishers` maps an organization's CKAN name to its title (the facet value).
pub fn parse_fq(fq: &str, publishers: &HashMap<String, String>) -> Result<Option<Filter>, FqError> {
    if fq.chars().count() > MAX_FQ_CHARS {
        return Err(FqError::from(format!(
            "fq is longer than {MAX_FQ_CHARS} characters"
        )));
    }
    let tokens = tokenize(fq)?;
    if tokens.is_empty() {
        return Ok(None);
    }
    let mut parser = Parser {
        tokens,
        at: 0,
        publishers,
        depth: 0,
    };
    let filter = parser.or_expression()?;
    if let Some(token) = parser.tokens.get(parser.at) {
        return Err(FqError::from(format!("cannot read fq near {token:?}")));
    }
    Ok(Some(filter))
}

#[derive(Debug, Clone, PartialEq)]
enum Token {
    Open,
    Close,
    And,
    Or,
    Not,
    /// `+`: required, which is what juxtaposition already means here.
    Plus,
    /// `field:` (the value follows).
    Field(String),
    /// A bare, quoted or range value.
    Value(String),
}

fn tokenize(fq: &str) -> Result<Vec<Token>, FqError> {
    let mut tokens = Vec::new();
    let chars: Vec<char> = fq.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        match c {
            c if c.is_whitespace() => i += 1,
            '(' => {
                tokens.push(Token::Open);
                i += 1;
            }
            ')' => {
                tokens.push(Token::Close);
                i += 1;
            }
            '-' | '!' => {
                tokens.push(Token::Not);
                i += 1;
            }
            '+' => {
                tokens.push(Token::Plus);
                i += 1;
            }
            '"' => {
                let end = chars[i + 1..]
                    .iter()
                    .position(|&c| c == '"')
                    .ok_or("unterminated quote in fq")?;
                tokens.push(Token::Value(chars[i + 1..i + 1 + end].iter().collect()));
                i += end + 2;
            }
            '[' | '{' => {
                let close = if c == '[' { ']' } else { '}' };
                let end = chars[i + 1..]
                    .iter()
                    .position(|&c| c == close)
                    .ok_or("unterminated range in fq")?;
                tokens.push(Token::Value(chars[i..i + 2 + end].iter().collect()));
                i += end + 2;
            }
            _ => {
                let start = i;
                while i < chars.len()
                    && !chars[i].is_whitespace()
                    && !matches!(chars[i], '(' | ')' | '"')
                {
                    // `field:` ends a field name; a `:` later in a value (a time) stays.
                    if chars[i] == ':' {
                        break;
                    }
                    i += 1;
                }
                let word: String = chars[start..i].iter().collect();
                if i < chars.len() && chars[i] == ':' {
                    i += 1;
                    tokens.push(Token::Field(word));
                    // A bare value runs to the next space or parenthesis, colons included.
                    if i < chars.len() && !matches!(chars[i], '"' | '[' | '{' | '(') {
                        let start = i;
                        while i < chars.len()
                            && !chars[i].is_whitespace()
                            && !matches!(chars[i], '(' | ')')
                        {
                            i += 1;
                        }
                        tokens.push(Token::Value(chars[start..i].iter().collect()));
                    }
                    continue;
                }
                tokens.push(match word.as_str() {
                    "AND" | "&&" => Token::And,
                    "OR" | "||" => Token::Or,
                    "NOT" => Token::Not,
                    _ => Token::Value(word),
                });
            }
        }
    }
    Ok(tokens)
}

struct Parser<'a> {
    tokens: Vec<Token>,
    at: usize,
    publishers: &'a HashMap<String, String>,
    depth: usize,
}

impl Parser<'_> {
    fn peek(&self) -> Option<&Token> {
        self.tokens.get(self.at)
    }

    fn deeper(&mut self) -> Result<(), FqError> {
        self.depth += 1;
        if self.depth > MAX_FQ_DEPTH {
            return Err(FqError::from(format!(
                "fq is nested deeper than {MAX_FQ_DEPTH} levels"
            )));
        }
        Ok(())
    }

    fn or_expression(&mut self) -> Result<Filter, FqError> {
        let mut parts = vec![self.and_expression()?];
        while self.peek() == Some(&Token::Or) {
            self.at += 1;
            parts.push(self.and_expression()?);
        }
        Ok(one_or(parts, Filter::Any))
    }

    fn and_expression(&mut self) -> Result<Filter, FqError> {
        let mut parts = vec![self.unary()?];
        loop {
            match self.peek() {
                Some(Token::And) => {
                    self.at += 1;
                    parts.push(self.unary()?);
                }
                Some(Token::Or | Token::Close) | None => break,
                Some(_) => parts.push(self.unary()?),
            }
        }
        Ok(one_or(parts, Filter::All))
    }

    fn unary(&mut self) -> Result<Filter, FqError> {
        match self.peek() {
            Some(Token::Not) => {
                self.at += 1;
                self.deeper()?;
                let inner = self.unary()?;
                self.depth -= 1;
                Ok(Filter::Not(Box::new(inner)))
            }
            Some(Token::Plus) => {
                self.at += 1;
                self.unary()
            }
            _ => self.primary(),
        }
    }

    fn primary(&mut self) -> Result<Filter, FqError> {
        match self.tokens.get(self.at).cloned() {
            Some(Token::Open) => {
                self.at += 1;
                self.deeper()?;
                let inner = self.or_expression()?;
                self.depth -= 1;
                if self.peek() != Some(&Token::Close) {
                    return Err(FqError::from("unbalanced parentheses in fq"));
                }
                self.at += 1;
                Ok(inner)
            }
            Some(Token::Field(field)) => {
                self.at += 1;
                match self.tokens.get(self.at).cloned() {
                    Some(Token::Value(value)) => {
                        self.at += 1;
                        self.term(&field, &value)
                    }
                    // `organization:(a OR b)`: the group's values, each for this field.
                    Some(Token::Open) => {
                        self.at += 1;
                        self.deeper()?;
                        let group = self.value_group(&field)?;
                        self.depth -= 1;
                        Ok(group)
                    }
                    _ => Err(FqError::from(format!("fq: {field}: has no value"))),
                }
            }
            Some(Token::Value(word)) => Err(FqError::from(format!(
                "fq term {word:?} names no field (use field:value with {FIELDS})"
            ))),
            Some(other) => Err(FqError::from(format!("cannot read fq near {other:?}"))),
            None => Err(FqError::from("fq ends too early")),
        }
    }

    /// `(a OR b AND c)` after `field:`, up to its closing parenthesis.
    fn value_group(&mut self, field: &str) -> Result<Filter, FqError> {
        let mut any = Vec::new();
        let mut all = Vec::new();
        loop {
            match self.tokens.get(self.at).cloned() {
                Some(Token::Value(value)) => {
                    self.at += 1;
                    all.push(self.term(field, &value)?);
                }
                Some(Token::And) => self.at += 1,
                Some(Token::Or) => {
                    self.at += 1;
                    any.push(one_or(std::mem::take(&mut all), Filter::All));
                }
                Some(Token::Close) => {
                    self.at += 1;
                    if !all.is_empty() {
                        any.push(one_or(all, Filter::All));
                    }
                    return match any.len() {
                        0 => Err(FqError::from(format!("fq: {field}:() holds no value"))),
                        _ => Ok(one_or(any, Filter::Any)),
                    };
                }
                _ => {
                    return Err(FqError::from(format!(
                        "fq: cannot read the values of {field}:(…)"
                    )));
                }
            }
        }
    }

    fn term(&self, field: &str, value: &str) -> Result<Filter, FqError> {
        // `*` and Solr's `NOW…` are open bounds; a date alone is its midnight (UTC); CKAN
        // writes times without an offset, in UTC.
        let time = |text: &str| -> Result<Option<chrono::DateTime<chrono::Utc>>, FqError> {
            let text = text.trim();
            if text == "*" || text.starts_with("NOW") {
                return Ok(None);
            }
            if let Ok(time) = chrono::DateTime::parse_from_rfc3339(text) {
                return Ok(Some(time.with_timezone(&chrono::Utc)));
            }
            let bare = text.trim_end_matches('Z');
            if let Ok(time) = chrono::NaiveDateTime::parse_from_str(bare, "%Y-%m-%dT%H:%M:%S%.f") {
                return Ok(Some(time.and_utc()));
            }
            chrono::NaiveDate::parse_from_str(text.get(..10).unwrap_or(text), "%Y-%m-%d")
                .ok()
                .and_then(|d| d.and_hms_opt(0, 0, 0))
                .map(|t| Some(t.and_utc()))
                .ok_or_else(|| FqError::from(format!("not a date or time: {text:?}")))
        };
        Ok(match field {
            "organization" | "owner_org" => {
                let publisher = self
                    .publishers
                    .get(value)
                    .cloned()
                    .unwrap_or_else(|| value.to_owned());
                Filter::Facet("publisher".into(), publisher)
            }
            "tags" => Filter::Facet("keyword".into(), value.to_lowercase()),
            "res_format" => Filter::Facet("format".into(), value.to_uppercase()),
            "license_id" => Filter::Facet("licence".into(), value.to_owned()),
            // fedcat's own record times, as CKAN's are its packages' (ckanext-harvest's
            // incremental runs ask for `metadata_modified:[SINCE TO *]`).
            "metadata_modified" | "metadata_created" => {
                let inner = value
                    .trim_start_matches(['[', '{'])
                    .trim_end_matches([']', '}']);
                let (lower, upper) = inner
                    .split_once(" TO ")
                    .ok_or_else(|| format!("{field} takes [FROM TO TO]"))?;
                let (lower, upper) = (time(lower)?, time(upper)?);
                if field == "metadata_modified" {
                    Filter::RecordChanged(lower, upper)
                } else {
                    Filter::RecordCreated(lower, upper)
                }
            }
            other => {
                return Err(FqError::from(format!(
                    "fq field {other:?} is not supported ({FIELDS})"
                )));
            }
        })
    }
}

/// The one part itself, or the parts joined.
fn one_or(mut parts: Vec<Filter>, join: fn(Vec<Filter>) -> Filter) -> Filter {
    if parts.len() == 1 {
        parts.remove(0)
    } else {
        join(parts)
    }
}

/// Reads CKAN's `sort` (its first field): `metadata_modified`, `metadata_created` (fedcat's
/// record times), `title_string`, `name`, `id` and `score`, each `asc` or `desc`
/// (ckanext-harvest pages by `id asc`). Any other field is refused rather than ignored.
pub fn parse_sort(sort: &str) -> Result<Sort, FqError> {
    let first = sort.split(',').next().unwrap_or_default().trim();
    let mut words = first.split_whitespace();
    let field = words.next().unwrap_or("score");
    let descending = match words.next().map(str::to_ascii_lowercase).as_deref() {
        None => field != "title_string",
        Some("desc") => true,
        Some("asc") => false,
        Some(other) => {
            return Err(FqError::from(format!(
                "sort direction {other:?} is not asc or desc"
            )));
        }
    };
    match (field, descending) {
        ("score", true) => Ok(Sort::Relevance),
        ("score", false) => Err(FqError::from("sort by score is descending only")),
        ("metadata_modified", true) => Ok(Sort::RecordChanged),
        ("metadata_modified", false) => Ok(Sort::RecordChangedAscending),
        ("metadata_created", true) => Ok(Sort::RecordCreated),
        ("metadata_created", false) => Ok(Sort::RecordCreatedAscending),
        ("title_string", false) => Ok(Sort::Title),
        ("title_string", true) => Ok(Sort::TitleDescending),
        ("name", false) => Ok(Sort::Name),
        ("name", true) => Ok(Sort::NameDescending),
        ("id", false) => Ok(Sort::Id),
        ("id", true) => Ok(Sort::IdDescending),
        (other, _) => Err(FqError::from(format!(
            "sort field {other:?} is not supported (metadata_modified, metadata_created, \
             title_string, name, id, score)"
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn facet(name: &str, value: &str) -> Filter {
        Filter::Facet(name.into(), value.into())
    }

    fn parse(fq: &str) -> Result<Option<Filter>, FqError> {
        let publishers = HashMap::from([("ars".to_owned(), "ARS Paca".to_owned())]);
        parse_fq(fq, &publishers)
    }

    #[test]
    fn ckanext_harvest_organization_filters_are_read() {
        // organizations_filter_include
        assert_eq!(
            parse("organization:ars OR organization:cnam").unwrap(),
            Some(Filter::Any(vec![
                facet("publisher", "ARS Paca"),
                facet("publisher", "cnam")
            ]))
        );
        // organizations_filter_exclude
        assert_eq!(
            parse("-organization:ars -organization:cnam").unwrap(),
            Some(Filter::All(vec![
                Filter::Not(Box::new(facet("publisher", "ARS Paca"))),
                Filter::Not(Box::new(facet("publisher", "cnam")))
            ]))
        );
        assert_eq!(
            parse("organization:(ars OR cnam) AND NOT tags:Santé").unwrap(),
            Some(Filter::All(vec![
                Filter::Any(vec![
                    facet("publisher", "ARS Paca"),
                    facet("publisher", "cnam")
                ]),
                Filter::Not(Box::new(facet("keyword", "santé")))
            ]))
        );
        assert_eq!(
            parse("+tags:\"open data\" +res_format:csv").unwrap(),
            Some(Filter::All(vec![
                facet("keyword", "open data"),
                facet("format", "CSV")
            ]))
        );
        let midnight = chrono::NaiveDate::from_ymd_opt(2022, 1, 1)
            .and_then(|d| d.and_hms_opt(0, 0, 0))
            .map(|t| t.and_utc());
        assert_eq!(
            parse("metadata_modified:[2022-01-01T00:00:00Z TO *]").unwrap(),
            Some(Filter::RecordChanged(midnight, None))
        );
        // As ckanext-harvest writes it: no offset, microseconds, then a `Z`.
        assert_eq!(
            parse("metadata_modified:[2022-01-01T00:00:00.000000Z TO NOW]").unwrap(),
            Some(Filter::RecordChanged(midnight, None))
        );
        assert_eq!(
            parse("metadata_created:[* TO 2022-01-01]").unwrap(),
            Some(Filter::RecordCreated(None, midnight))
        );
        assert_eq!(parse("  ").unwrap(), None);
    }

    #[test]
    fn bad_fq_is_an_error_not_a_silent_match() {
        for bad in [
            "organization:a OR",
            "(organization:a",
            "organization:a)",
            "unknown:x",
            "justaword",
            "organization:",
            "tags:\"open",
        ] {
            assert!(parse(bad).is_err(), "{bad}");
        }
        let deep = format!("{}tags:x{}", "(".repeat(40), ")".repeat(40));
        assert!(parse(&deep).unwrap_err().to_string().contains("nested"));
        let negations = format!("{}tags:x", "-".repeat(40));
        assert!(
            parse(&negations)
                .unwrap_err()
                .to_string()
                .contains("nested")
        );
        assert!(parse(&"tags:x ".repeat(1000)).is_err());
    }

    #[test]
    fn sort_directions_are_kept_and_unknown_fields_refused() {
        assert_eq!(
            parse_sort("metadata_modified asc"),
            Ok(Sort::RecordChangedAscending)
        );
        assert_eq!(
            parse_sort("metadata_modified desc"),
            Ok(Sort::RecordChanged)
        );
        assert_eq!(
            parse_sort("metadata_created asc"),
            Ok(Sort::RecordCreatedAscending)
        );
        assert_eq!(parse_sort("title_string desc"), Ok(Sort::TitleDescending));
        assert_eq!(parse_sort("title_string asc"), Ok(Sort::Title));
        assert_eq!(
            parse_sort("score desc, metadata_modified desc"),
            Ok(Sort::Relevance)
        );
        assert_eq!(parse_sort("id asc"), Ok(Sort::Id));
        assert_eq!(parse_sort("name desc"), Ok(Sort::NameDescending));
        assert!(parse_sort("views_recent desc").is_err());
        assert!(parse_sort("metadata_modified sideways").is_err());
    }
}
