//! What a client's query text may be before it reaches tantivy's query grammar. The grammar is
//! recursive — each `(` (and each chained `NOT `) is a level of recursion in its parser, in the
//! syntax tree and in the query built from it — so a text nested deeper than
//! [`MAX_QUERY_DEPTH`] or longer than [`MAX_QUERY_CHARS`] is refused before it is parsed, with a
//! [`QueryTextError`] the APIs answer as a 400. And the `field:` syntax may only name the fields
//! where it works ([`fields_as_text`]); any other `name:` is read as the words it contains.

use tantivy::query_grammar::{Delimiter, UserInputAst, UserInputLeaf, UserInputLiteral};

/// Longest query text accepted, in characters.
pub const MAX_QUERY_CHARS: usize = 1000;

/// Deepest nesting of parentheses (and chained `NOT`s) accepted in a query text.
pub const MAX_QUERY_DEPTH: usize = 32;

/// Why a query text was refused before it was parsed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum QueryTextError {
    /// Longer than [`MAX_QUERY_CHARS`].
    #[error("the query text is {chars} characters long; at most {max} are accepted")]
    TooLong {
        /// Its length in characters.
        chars: usize,
        /// The limit.
        max: usize,
    },
    /// Nested deeper than [`MAX_QUERY_DEPTH`].
    #[error(
        "the query text nests parentheses (or chained NOTs) {depth} levels deep; at most {max} levels are accepted"
    )]
    TooDeep {
        /// Its nesting, as [`nesting_depth`] counts it.
        depth: usize,
        /// The limit.
        max: usize,
    },
}

/// Accepts a query text tantivy's grammar can parse within a blocking thread's stack, or says
/// which limit it passes. Runs in time linear in the text and without recursion.
pub fn check_query_text(text: &str) -> Result<(), QueryTextError> {
    let chars = text.chars().count();
    if chars > MAX_QUERY_CHARS {
        return Err(QueryTextError::TooLong {
            chars,
            max: MAX_QUERY_CHARS,
        });
    }
    let depth = nesting_depth(text);
    if depth > MAX_QUERY_DEPTH {
        return Err(QueryTextError::TooDeep {
            depth,
            max: MAX_QUERY_DEPTH,
        });
    }
    Ok(())
}

/// Characters after which tantivy may read a `)` as text rather than as the end of a group:
/// they can open a phrase (`"`, `'`), a regex (`/`), a range (`[`, `{`), a set (`IN [`), or
/// escape the next character (`\`).
const OPENS_TEXT: [char; 6] = ['"', '\'', '/', '[', '{', '\\'];

/// An upper bound of the nesting tantivy's lenient grammar gives `text` (never less, sometimes
/// more, so that no text passes the check with a deeper parse than it counted):
///
/// - every `(` opens a level, even where tantivy reads it as text (inside a word or a phrase);
/// - a `)` closes the latest level only before the first [`OPENS_TEXT`] character — up to there
///   tantivy reads every `)` as the end of a group (or stops parsing at top level); after it,
///   whether a `)` is text depends on the grammar's state, so none is counted as closing;
/// - each `NOT` word chained before a leaf or a group (`NOT NOT (…)`) adds a level, as the
///   grammar recurses once per `NOT `.
pub fn nesting_depth(text: &str) -> usize {
    // The depth before each unclosed `(`, the depth of the group the scan is in, the `NOT`s
    // chained since the last leaf.
    let mut open: Vec<usize> = Vec::new();
    let mut settled = 0usize;
    let mut chained_nots = 0usize;
    let mut deepest = 0usize;
    let mut closing_trusted = true;
    let mut token_start: Option<usize> = None;
    // A word ends: a `NOT` chains one more level, any other word is a leaf that ends the chain.
    fn end_token(token: &str, settled: usize, chained_nots: &mut usize, deepest: &mut usize) {
        if token == "NOT" {
            *chained_nots += 1;
            *deepest = (*deepest).max(settled + *chained_nots);
        } else if !token.is_empty() {
            *chained_nots = 0;
        }
    }
    for (at, c) in text.char_indices() {
        if c.is_whitespace() || c == '(' || c == ')' {
            if let Some(start) = token_start.take() {
                end_token(&text[start..at], settled, &mut chained_nots, &mut deepest);
            }
        } else if token_start.is_none() {
            token_start = Some(at);
        }
        if OPENS_TEXT.contains(&c) {
            closing_trusted = false;
        }
        match c {
            '(' => {
                open.push(settled);
                settled += chained_nots + 1;
                chained_nots = 0;
                deepest = deepest.max(settled);
            }
            ')' => {
                if closing_trusted && let Some(before) = open.pop() {
                    settled = before;
                }
                chained_nots = 0;
            }
            _ => {}
        }
    }
    if let Some(start) = token_start {
        end_token(&text[start..], settled, &mut chained_nots, &mut deepest);
    }
    deepest
}

fn word(text: String) -> UserInputAst {
    UserInputLeaf::Literal(UserInputLiteral {
        field_name: None,
        phrase: text,
        delimiter: Delimiter::None,
        slop: 0,
        prefix: false,
    })
    .into()
}

/// The words of a leaf whose field is not allowed, searched in the default fields: the field
/// name, then what the leaf held.
fn words(texts: impl IntoIterator<Item = String>) -> UserInputAst {
    let clauses: Vec<_> = texts
        .into_iter()
        .filter(|t| !t.trim().is_empty())
        .map(|t| (None, word(t)))
        .collect();
    UserInputAst::Clause(clauses)
}

/// Rewrites every leaf of a parsed query text whose field is not in `allowed` into the words it
/// contains, searched in the default fields: `id:*` searches `id`, `Covid-19 : vaccination`
/// (French typography) searches both words, `https://…` its words. Only fields where every
/// form of the syntax works (`field:*` needs a fast field) should be allowed; anything else
/// would fail at search time with a schema error. Recursive, over a tree whose depth
/// [`check_query_text`] bounded.
pub fn fields_as_text(ast: UserInputAst, allowed: &[&str]) -> UserInputAst {
    let known = |field: &Option<String>| field.as_deref().is_none_or(|f| allowed.contains(&f));
    match ast {
        UserInputAst::Clause(clauses) => UserInputAst::Clause(
            clauses
                .into_iter()
                .map(|(occur, ast)| (occur, fields_as_text(ast, allowed)))
                .collect(),
        ),
        UserInputAst::Boost(inner, boost) => {
            UserInputAst::Boost(Box::new(fields_as_text(*inner, allowed)), boost)
        }
        UserInputAst::Leaf(leaf) => match *leaf {
            UserInputLeaf::Literal(mut literal) if !known(&literal.field_name) => {
                let field = literal.field_name.take().unwrap_or_default();
                UserInputAst::Clause(vec![
                    (None, word(field)),
                    (None, UserInputLeaf::Literal(literal).into()),
                ])
            }
            UserInputLeaf::Exists { field } if !allowed.contains(&field.as_str()) => word(field),
            UserInputLeaf::Range {
                field,
                lower,
                upper,
            } if !known(&field) => words(
                field.into_iter().chain(
                    [lower.term_str(), upper.term_str()]
                        .into_iter()
                        .filter(|b| *b != "*")
                        .map(str::to_owned),
                ),
            ),
            UserInputLeaf::Set { field, elements } if !known(&field) => {
                words(field.into_iter().chain(elements))
            }
            UserInputLeaf::Regex { field, pattern } if !known(&field) => {
                words(field.into_iter().chain([pattern]))
            }
            other => UserInputAst::Leaf(Box::new(other)),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nesting_counts_groups_and_chained_nots() {
        assert_eq!(nesting_depth("santé publique"), 0);
        assert_eq!(nesting_depth("((((a))))"), 4);
        assert_eq!(nesting_depth("(a) (b OR c) (d)"), 1);
        assert_eq!(nesting_depth("NOT NOT NOT a"), 3);
        assert_eq!(nesting_depth("a NOT b NOT c"), 1);
        assert_eq!(nesting_depth("NOT (NOT (a))"), 4);
        assert_eq!(nesting_depth("titre:(a (b))"), 2);
        // A stray `)` does not lower the count below zero.
        assert_eq!(nesting_depth(")))((a"), 2);
    }

    #[test]
    fn nesting_is_never_undercounted_after_a_phrase_regex_or_escape() {
        // After a character that may open text, a `)` no longer closes: the count can only be
        // higher than tantivy's.
        assert_eq!(nesting_depth("\"(((\" ((a))"), 5);
        assert_eq!(nesting_depth("l'eau (a) (b)"), 2);
        assert_eq!(nesting_depth("a:/x \"/ ((((( \""), 5);
        assert_eq!(nesting_depth("\\) ((a)) ((b))"), 4);
        // A phrase that hides closing parentheses from a naive counter.
        let hidden = format!(
            "{} \"{}\" {}",
            "(".repeat(20),
            ")".repeat(20),
            "(".repeat(20)
        );
        assert!(nesting_depth(&hidden) >= 40);
    }

    #[test]
    fn long_or_deep_texts_are_refused_before_parsing() {
        assert_eq!(check_query_text("covid (vaccination OR dépistage)"), Ok(()));
        let deep = format!("{}a{}", "(".repeat(1000), ")".repeat(1000));
        assert!(matches!(
            check_query_text(&deep),
            Err(QueryTextError::TooLong { chars: 2001, .. })
        ));
        let deep = format!("{}a{}", "(".repeat(33), ")".repeat(33));
        assert_eq!(
            check_query_text(&deep),
            Err(QueryTextError::TooDeep {
                depth: 33,
                max: MAX_QUERY_DEPTH
            })
        );
        let at_limit = format!("{}a{}", "(".repeat(32), ")".repeat(32));
        assert_eq!(check_query_text(&at_limit), Ok(()));
        assert!(check_query_text(&"NOT ".repeat(40)).is_err());
        assert_eq!(check_query_text(&"é".repeat(MAX_QUERY_CHARS)), Ok(()));
        assert!(check_query_text(&"é".repeat(MAX_QUERY_CHARS + 1)).is_err());
    }

    #[test]
    fn unknown_fields_become_words() {
        let allowed = ["publisher", "modified"];
        let rewrite = |text: &str| {
            let (ast, _) = tantivy::query_grammar::parse_query_lenient(text);
            format!("{:?}", fields_as_text(ast, &allowed))
        };
        assert_eq!(rewrite("id:*"), "id");
        assert_eq!(rewrite("visible:1"), "(*visible *1)");
        assert_eq!(rewrite("publisher:ARS"), "\"publisher\":ARS");
        assert_eq!(rewrite("publisher:*"), "$exists(\"publisher\")");
        assert_eq!(
            rewrite("Covid-19 : vaccination"),
            "(*Covid-19 *vaccination)"
        );
        assert_eq!(rewrite("note:[1 TO *]"), "(*note *1)");
        assert_eq!(rewrite("cluster:(a b)"), "(*(*cluster *a) *(*cluster *b))");
    }
}
