//! `/api/openapi.json`: the OpenAPI 3.1 description of the REST API, generated from the
//! handlers. Each REST handler carries its operation (`#[utoipa::path]`: parameters, answers)
//! and is routed through `utoipa_axum`'s `routes!`, which registers the route and its
//! operation together — so a REST route cannot exist undocumented, nor a documented one
//! unrouted (a test requests every documented operation).

use crate::http::{AppState, Problem};
use axum::Json;
use axum::response::{IntoResponse, Response};
use serde_json::Value;
use std::sync::LazyLock;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};
use utoipa_axum::router::OpenApiRouter;

/// What the description says of the service as a whole.
#[derive(OpenApi)]
#[openapi(
    info(
        title = "fedcat",
        description = "Federated DCAT-AP catalogue of health open data: search, datasets, publishers, sources and harvest jobs, openness indicators. SPARQL at /sparql, DCAT-AP at /catalog, CKAN Action API at /api/3/action/."
    ),
    components(schemas(Problem)),
    modifiers(&BearerToken)
)]
struct ServiceDoc;

/// The admin token's security scheme (`Authorization: Bearer …`).
struct BearerToken;

impl Modify for BearerToken {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
    }
}

/// The REST routes (`/api/…` but the CKAN API), each with its operation.
pub fn rest_router() -> OpenApiRouter<AppState> {
    OpenApiRouter::with_openapi(ServiceDoc::openapi())
        .merge(crate::api::router())
        .merge(crate::datasets_api::router())
}

/// The description, as served.
pub fn document() -> &'static Value {
    static DOCUMENT: LazyLock<Value> = LazyLock::new(|| {
        let (_, mut openapi) = rest_router().split_for_parts();
        openapi.info.version = env!("CARGO_PKG_VERSION").to_owned();
        // axum's catch-all `{*key}` is OpenAPI's `{key}`.
        let paths = std::mem::take(&mut openapi.paths.paths);
        openapi.paths.paths = paths
            .into_iter()
            .map(|(path, item)| (path.replace("{*", "{"), item))
            .collect();
        serde_json::to_value(&openapi).unwrap_or(Value::Null)
    });
    &DOCUMENT
}

/// `GET /api/openapi.json`.
pub async fn serve() -> Response {
    Json(document()).into_response()
}
