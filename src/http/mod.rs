//! The HTTP layer's shared parts: one [`AppState`] for every route, the error answers of the
//! REST API ([`error`]) and the extractors that check who is asking ([`extract`]). Each
//! resource keeps its own `router()` (`api`, `datasets_api`, `ckan_api`, `export`, `web`),
//! typed `Router<AppState>`; `server::app` merges them and gives them the state once.

pub mod error;
pub mod extract;
pub mod paging;

pub use error::{ApiError, ErrorCode, Problem};
pub use extract::{AdminToken, MaybeAdmin};

use crate::AppConfig;
use crate::jobs::JobRunner;
use fedcat_catalog::Catalog;
use fedcat_catalog::search::SearchIndex;
use std::sync::Arc;

/// What every route may need.
#[derive(Clone)]
pub struct AppState {
    /// The configuration.
    pub config: Arc<AppConfig>,
    /// The catalogue.
    pub catalog: Catalog,
    /// The search index; `None` when it could not be opened (search routes answer 503).
    pub index: Option<Arc<SearchIndex>>,
    /// Starts harvests; `None` when the server runs no jobs.
    pub runner: Option<JobRunner>,
    /// The admin's web sessions and failed logins (in memory).
    pub(crate) admin: Arc<crate::web::admin::Sessions>,
}

impl AppState {
    /// The state of a server over `catalog`, with no admin session yet.
    pub fn new(
        config: &AppConfig,
        catalog: Catalog,
        runner: Option<JobRunner>,
        index: Option<Arc<SearchIndex>>,
    ) -> Self {
        Self {
            config: Arc::new(config.clone()),
            catalog,
            index,
            runner,
            admin: Arc::default(),
        }
    }
}

/// Compares a given token with the expected one in constant time: every byte up to the longer
/// length is compared (a missing byte as 0) and the length difference is folded into the result,
/// so the time depends on neither where the tokens differ nor whether their lengths do.
pub(crate) fn same_token(given: &str, expected: &str) -> bool {
    let (given, expected) = (given.as_bytes(), expected.as_bytes());
    let mut difference = given.len() ^ expected.len();
    for i in 0..given.len().max(expected.len()) {
        let a = given.get(i).copied().unwrap_or(0);
        let b = expected.get(i).copied().unwrap_or(0);
        difference |= usize::from(a ^ b);
    }
    std::hint::black_box(difference) == 0
}
#[cfg(test)]
mod tests {
    use super::same_token;

    #[test]
    fn same_token_needs_every_byte_and_the_length() {
        assert!(same_token("0123456789abcdef", "0123456789abcdef"));
        assert!(same_token("", ""));
        assert!(!same_token("0123456789abcdeF", "0123456789abcdef"));
        assert!(!same_token("x123456789abcdef", "0123456789abcdef"));
        // A prefix, a longer token, and a difference hidden by zero bytes are all refused.
        assert!(!same_token("0123456789abcde", "0123456789abcdef"));
        assert!(!same_token("0123456789abcdef0", "0123456789abcdef"));
        assert!(!same_token("abc\0", "abc"));
        assert!(!same_token("", "0123456789abcdef"));
    }
}
