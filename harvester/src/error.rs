//! The harvester's one error type. Every variant names where it happened (URL, record) and why.
//! Its message is public (job errors are served by `/api/jobs/{id}` and the `/sources` page), so
//! it never quotes a response body: the start of a body, for context, is [`HarvestError::detail`],
//! stored apart and shown to administrators only.

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
    #[error("{url} answered HTTP {status}")]
    Status {
        /// The URL.
        url: String,
        /// The HTTP status.
        status: u16,
        /// How many attempts were made.
        attempts: u32,
        /// The start of the body, for context (administrators only: see [`HarvestError::detail`]).
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
    #[error("{url}: expected {expected}, got {got}")]
    UnexpectedContent {
        /// The URL.
        url: String,
        /// What was expected.
        expected: &'static str,
        /// What came (content type or sniffed kind).
        got: String,
        /// The start of the body (administrators only: see [`HarvestError::detail`]).
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

    /// What only an administrator may see beyond the public message: the start of the response
    /// body. A body can come from an address the public must not read (a redirect to an
    /// internal service, an intranet portal), so it never goes into the message itself.
    pub fn detail(&self) -> Option<String> {
        match self {
            Self::Status { snippet, .. } | Self::UnexpectedContent { snippet, .. }
                if !snippet.is_empty() =>
            {
                Some(format!("body starts with: {snippet:?}"))
            }
            _ => None,
        }
    }
}

/// The first `max` characters of a body, on one line, for an error's [`HarvestError::detail`].
pub(crate) fn body_snippet(body: &[u8], max: usize) -> String {
    let text = String::from_utf8_lossy(&body[..body.len().min(max * 4)]);
    let one_line: String = text
        .chars()
        .map(|c| if c.is_whitespace() { ' ' } else { c })
        .collect();
    let trimmed = one_line.trim();
    trimmed.chars().take(max).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_never_quote_the_body_and_the_detail_does() {
        let status = HarvestError::Status {
            url: "http://10.0.0.5/api".into(),
            status: 500,
            attempts: 1,
            snippet: body_snippet(b"AWS_SECRET_ACCESS_KEY=wJalrXUtnFEMI\nmore", 120),
        };
        let content = HarvestError::UnexpectedContent {
            url: "http://10.0.0.5/page".into(),
            expected: "RDF",
            got: "an unrecognised body (Content-Type none)".into(),
            snippet: body_snippet(b"root:x:0:0:root:/root:/bin/bash", 120),
        };
        assert_eq!(status.to_string(), "http://10.0.0.5/api answered HTTP 500");
        assert!(!content.to_string().contains("root:"), "{content}");
        assert!(
            status
                .detail()
                .unwrap()
                .contains("AWS_SECRET_ACCESS_KEY=wJalrXUtnFEMI")
        );
        assert!(content.detail().unwrap().contains("root:x:0:0"));
        let empty = HarvestError::Status {
            url: "http://example.org/".into(),
            status: 404,
            attempts: 1,
            snippet: String::new(),
        };
        assert_eq!(empty.detail(), None);
    }
}
