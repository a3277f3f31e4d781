//! [`ApiError`]: every error the REST API answers, as RFC 9457 `application/problem+json` with a
//! stable `code` from one table ([`ErrorCode`]), in the manner of Meilisearch's `error.rs`. The
//! code, HTTP status, title and type URL of an error are decided here, once; a handler says
//! which error happened and, for the client's errors, what was wrong this time. An internal
//! error's cause goes to the log, never to the client.

use axum::Json;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};

/// Where the problem types live: `{PROBLEM_BASE}{code}`.
pub const PROBLEM_BASE: &str = "https://w3id.org/fedcat/problems/";

macro_rules! error_codes {
    ($($variant:ident => ($code:literal, $status:ident, $title:literal)),+ $(,)?) => {
        /// The stable error codes of the REST API.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum ErrorCode {
            $(
                #[doc = $title]
                $variant,
            )+
        }

        impl ErrorCode {
            /// Every code, in the table's order.
            pub const ALL: &[ErrorCode] = &[$(ErrorCode::$variant),+];

            /// The code as the client sees it (`invalid-parameter`).
            pub fn code(self) -> &'static str {
                match self {
                    $(ErrorCode::$variant => $code,)+
                }
            }

            /// The HTTP status it is answered with.
            pub fn status(self) -> StatusCode {
                match self {
                    $(ErrorCode::$variant => StatusCode::$status,)+
                }
            }

            /// Its fixed, human title.
            pub fn title(self) -> &'static str {
                match self {
                    $(ErrorCode::$variant => $title,)+
                }
            }
        }
    };
}

// The table. A code is a contract: never rename one; add a new one instead.
error_codes! {
    InvalidParameter => ("invalid-parameter", BAD_REQUEST, "invalid parameter"),
    Unauthorized => ("unauthorized", UNAUTHORIZED, "unauthorized"),
    WriteEndpointsDisabled => ("write-endpoints-disabled", FORBIDDEN, "write endpoints disabled"),
    NotFound => ("not-found", NOT_FOUND, "not found"),
    DatasetNotFound => ("dataset-not-found", NOT_FOUND, "dataset not found"),
    UnknownSource => ("unknown-source", NOT_FOUND, "unknown source"),
    UnknownJob => ("unknown-job", NOT_FOUND, "unknown job"),
    UnknownProducer => ("unknown-producer", NOT_FOUND, "unknown producer"),
    NotAcceptable => ("not-acceptable", NOT_ACCEPTABLE, "not acceptable"),
    SourceDisabled => ("source-disabled", CONFLICT, "source disabled"),
    AlreadyRunning => ("already-running", CONFLICT, "already running"),
    NoJobRunner => ("no-job-runner", SERVICE_UNAVAILABLE, "no job runner"),
    SearchUnavailable => ("search-unavailable", SERVICE_UNAVAILABLE, "search unavailable"),
    StateDatabaseUnavailable => (
        "state-database-unavailable",
        SERVICE_UNAVAILABLE,
        "state database unavailable"
    ),
    Internal => ("internal-error", INTERNAL_SERVER_ERROR, "internal error"),
}

impl ErrorCode {
    /// The problem type's IRI.
    pub fn type_url(self) -> String {
        format!("{PROBLEM_BASE}{}", self.code())
    }
}

/// The body of every error answer (RFC 9457 problem details).
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct Problem {
    /// The problem type's IRI: [`PROBLEM_BASE`] and the code.
    #[serde(rename = "type")]
    pub kind: String,
    /// The stable code (`invalid-parameter`…), the table's.
    pub code: String,
    /// The HTTP status.
    pub status: u16,
    /// The code's fixed title.
    pub title: String,
    /// What happened this time.
    pub detail: String,
}

/// What an internal error tells the client: the cause is in the server's log.
const INTERNAL_DETAIL: &str = "the request failed; the server's log says why";

/// An error answer of the REST API.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError {
    code: ErrorCode,
    detail: String,
}

impl ApiError {
    /// An error whose `detail` says what was wrong this time (the client's input, a missing
    /// resource); never an internal error's text.
    pub fn new(code: ErrorCode, detail: impl Into<String>) -> Self {
        Self {
            code,
            detail: detail.into(),
        }
    }

    /// A 500: `error` is logged with the route's context, the client gets a fixed detail.
    pub fn internal(error: impl std::fmt::Display) -> Self {
        tracing::error!(%error, "request failed");
        Self::new(ErrorCode::Internal, INTERNAL_DETAIL)
    }

    /// A 400 for a bad parameter.
    pub fn invalid_parameter(detail: impl Into<String>) -> Self {
        Self::new(ErrorCode::InvalidParameter, detail)
    }

    /// Its code.
    pub fn code(&self) -> ErrorCode {
        self.code
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = self.code.status();
        let body = Json(Problem {
            kind: self.code.type_url(),
            code: self.code.code().to_owned(),
            status: status.as_u16(),
            title: self.code.title().to_owned(),
            detail: self.detail,
        });
        let mut response = (
            status,
            [(header::CONTENT_TYPE, "application/problem+json")],
            body,
        )
            .into_response();
        if self.code == ErrorCode::Unauthorized {
            response.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                header::HeaderValue::from_static("Bearer"),
            );
        }
        response
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn codes_are_unique_kebab_case_and_match_their_titles() {
        let mut seen = HashSet::new();
        for code in ErrorCode::ALL {
            assert!(seen.insert(code.code()), "{} twice", code.code());
            assert!(
                code.code()
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c == '-'),
                "{}",
                code.code()
            );
            assert!(code.status().is_client_error() || code.status().is_server_error());
            // Codes were once derived from titles; the table keeps them as they were.
            assert_eq!(code.code(), code.title().replace(' ', "-"));
        }
    }

    #[tokio::test]
    async fn an_internal_error_never_reaches_the_client() {
        let response =
            ApiError::internal("disk /var/lib/fedcat/state.sqlite is locked").into_response();
        assert_eq!(response.status(), StatusCode::INTERNAL_SERVER_ERROR);
        let body = axum::body::to_bytes(response.into_body(), 4096)
            .await
            .unwrap();
        let text = String::from_utf8(body.to_vec()).unwrap();
        assert!(!text.contains("state.sqlite"), "{text}");
        assert!(text.contains("\"code\":\"internal-error\""), "{text}");
    }
}
