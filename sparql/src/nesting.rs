//! How deeply a query nests, measured on its text before any parser sees it.
//!
//! Oxigraph's SPARQL parser and evaluator recurse once per nested group, bracket or
//! parenthesis: about 900 `{` or 3,000 `(` overflow a thread's stack and abort the whole
//! process, which no `catch_unwind` can stop. So the depth is counted here, by a loop with no
//! recursion, and a query deeper than the limit is refused before it is parsed.

/// The deepest nesting of `{}`, `()` and `[]` in `query`, outside strings and comments.
///
/// This is a guard, not a parser: it needs only to never under-count what the parser will
/// recurse on. Unbalanced closers are ignored.
pub fn nesting_depth(query: &str) -> usize {
    let bytes = query.as_bytes();
    let mut depth = 0usize;
    let mut deepest = 0usize;
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'{' | b'(' | b'[' => {
                depth += 1;
                deepest = deepest.max(depth);
                i += 1;
            }
            b'}' | b')' | b']' => {
                depth = depth.saturating_sub(1);
                i += 1;
            }
            b'#' => i = skip_comment(bytes, i),
            // `<` opens an IRI or is the less-than operator: brackets after it are counted
            // either way (an IRI holding an unbalanced bracket only over-counts).
            quote @ (b'"' | b'\'') => i = skip_string(bytes, i, quote),
            _ => i += 1,
        }
    }
    deepest
}

/// After a `#` comment: the next line.
fn skip_comment(bytes: &[u8], start: usize) -> usize {
    bytes[start..]
        .iter()
        .position(|&b| b == b'\n' || b == b'\r')
        .map_or(bytes.len(), |offset| start + offset + 1)
}

/// After a string literal (short or long form, with escapes).
fn skip_string(bytes: &[u8], start: usize, quote: u8) -> usize {
    let long = bytes.get(start + 1) == Some(&quote) && bytes.get(start + 2) == Some(&quote);
    let mut i = if long { start + 3 } else { start + 1 };
    while i < bytes.len() {
        match bytes[i] {
            b'\\' => i += 2,
            b if b == quote => {
                if !long {
                    return i + 1;
                }
                if bytes.get(i + 1) == Some(&quote) && bytes.get(i + 2) == Some(&quote) {
                    return i + 3;
                }
                i += 1;
            }
            b'\n' | b'\r' if !long => return i + 1,
            _ => i += 1,
        }
    }
    bytes.len()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_groups_brackets_and_parentheses() {
        assert_eq!(nesting_depth("SELECT * WHERE { ?s ?p ?o }"), 1);
        assert_eq!(
            nesting_depth("SELECT * WHERE { { ?s ?p [ ?q (1 2) ] } FILTER((?o > 1)) }"),
            4
        );
        let deep = format!("SELECT * WHERE {}{}", "{".repeat(900), "}".repeat(900));
        assert_eq!(nesting_depth(&deep), 900);
        let filter = format!(
            "ASK {{ FILTER({}1{}) }}",
            "(".repeat(3000),
            ")".repeat(3000)
        );
        assert_eq!(nesting_depth(&filter), 3002);
    }

    #[test]
    fn ignores_strings_and_comments() {
        let query = "SELECT * WHERE { ?s <http://x/> \"(((\" ; <p> '''[[[\n''' # {{{{\n }";
        assert_eq!(nesting_depth(query), 1);
        assert_eq!(nesting_depth(r#"ASK { FILTER("\"((" = "") }"#), 2);
    }

    #[test]
    fn brackets_after_a_less_than_sign_count() {
        // `1<(((…` is less-than, not an IRI: the parser recurses on every `(`.
        let query = format!(
            "ASK {{ FILTER(1<{}1{}>2) }}",
            "(".repeat(500),
            ")".repeat(500)
        );
        assert!(nesting_depth(&query) >= 500);
    }

    #[test]
    fn less_than_is_not_an_iri() {
        assert_eq!(
            nesting_depth("ASK { FILTER(?a < ?b && (?c > 1)) }"),
            3,
            "the `<` operator must not hide the parentheses after it"
        );
    }
}
