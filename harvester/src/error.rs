//! The harvester's one error type. Every variant names where it happened (URL, record) and why.

/// Errors of fetching, parsing and mapping.
#[derive(Debug, thiserror::Error)]
pub enum HarvestError {
    /// The request could not be sent or the connection failed.
    #[error("request to {url} failed after {attempts} attempt(s): {cause}")]
    Request {
        /// The URL.
        url: String,
        /// How many attempts were made.
        attempts: u32,
        /// The cause.
        cause: String,
    },
    /// The server answered with an error status.
    #[error("{url} answered HTTP {status}{}", snippet_suffix(.snippet))]
    Status {
        /// The URL.
        url: String,
        /// The HTTP status.
        status: u16,
        /// How many attempts were made.
        attempts: u32,
        /// The start of the body, for context.
        snippet: String,
    },
    /// The body exceeded the configured size cap.
    #[error("{url}: response body exceeds the limit of {limit} bytes")]
    TooLarge {
        /// The URL.
        url: String,
        /// The cap.
        limit: u64,
    },
    /// The body is not what the API returns (an HTML error page where JSON or RDF was expected).
    #[error("{url}: expected {expected}, got {got}{}", snippet_suffix(.snippet))]
    UnexpectedContent {
        /// The URL.
        url: String,
        /// What was expected.
        expected: &'static str,
        /// What came (content type or sniffed kind).
        got: String,
        /// The start of the body.
        snippet: String,
    },
    /// The body could not be parsed.
    #[error("{url}: cannot parse {format}: {cause}")]
    Parse {
        /// The URL.
        url: String,
        /// The format parsed.
        format: String,
        /// The parser's message.
        cause: String,
    },
    /// The API answered with an error of its own (e.g. CKAN `success: false`).
    #[error("{url}: the portal reported an error: {message}")]
    Api {
        /// The URL.
        url: String,
        /// The portal's message.
        message: String,
    },
    /// A URL in the configuration or built from it is invalid.
    #[error("invalid URL {url:?}: {cause}")]
    InvalidUrl {
        /// The text.
        url: String,
        /// Why.
        cause: String,
    },
    /// A local file (a `file://` source) could not be read.
    #[error("cannot read {path}: {cause}")]
    File {
        /// The path.
        path: String,
        /// The cause.
        cause: String,
    },
    /// A vocabulary table under `config/vocabularies/` is missing or malformed.
    #[error("vocabulary table {path}: {cause}")]
    Vocabulary {
        /// The table file.
        path: String,
        /// What is wrong, with the line when known.
        cause: String,
    },
    /// The catalogue failed while storing.
    #[error(transparent)]
    Catalog(#[from] fedcat_catalog::CatalogError),
}

impl HarvestError {
    /// How many times the request was sent, for errors of a request.
    pub fn attempts(&self) -> Option<u32> {
        match self {
            Self::Request { attempts, .. } | Self::Status { attempts, .. } => Some(*attempts),
            _ => None,
        }
    }
}

fn snippet_suffix(snippet: &str) -> String {
    if snippet.is_empty() {
        String::new()
    } else {
        format!(" (body starts with: {snippet:?})")
    }
}

/// The first `max` characters of a body, on one line, for error messages.
pub(crate) fn body_snippet(body: &[u8], max: usize) -> String {
    let text = String::from_utf8_lossy(&body[..body.len().min(max * 4)]);
    let one_line: String = text
        .chars()
        .map(|c| if c.is_whitespace() { ' ' } else { c })
        .collect();
    let trimmed = one_line.trim();
    trimmed.chars().take(max).collect()
}
