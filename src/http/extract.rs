//! Extractors that check who is asking, so that a handler's signature says it: [`AdminToken`]
//! (the REST API's write routes: `Authorization: Bearer <[admin] token>`, or the request is
//! refused before the handler runs) and [`MaybeAdmin`] (routes whose answer adds what only the
//! administrator may see).

use super::{ApiError, AppState, ErrorCode, same_token};
use axum::extract::FromRequestParts;
use axum::http::header;
use axum::http::request::Parts;

/// The request carries the configured admin token. Rejections: 403 `write-endpoints-disabled`
/// when no token is configured, 401 `unauthorized` (with `WWW-Authenticate: Bearer`) otherwise.
pub struct AdminToken;

/// Whether the request carries the configured admin token; never refuses.
pub struct MaybeAdmin(pub bool);

/// The bearer token of `parts`, if any.
fn bearer(parts: &Parts) -> Option<&str> {
    parts
        .headers
        .get(header::AUTHORIZATION)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.strip_prefix("Bearer "))
        .map(str::trim)
}

impl FromRequestParts<AppState> for AdminToken {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let Some(expected) = state.config.admin_token.as_deref() else {
            return Err(ApiError::new(
                ErrorCode::WriteEndpointsDisabled,
                "no [admin] token (or FEDCAT_ADMIN_TOKEN) is configured",
            ));
        };
        if bearer(parts).is_some_and(|token| same_token(token, expected)) {
            Ok(Self)
        } else {
            Err(ApiError::new(
                ErrorCode::Unauthorized,
                "send Authorization: Bearer <admin token>",
            ))
        }
    }
}

impl FromRequestParts<AppState> for MaybeAdmin {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, std::convert::Infallible> {
        let admin =
            state.config.admin_token.as_deref().is_some_and(|expected| {
                bearer(parts).is_some_and(|token| same_token(token, expected))
            });
        Ok(Self(admin))
    }
}
