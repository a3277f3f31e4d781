//! The HTTP server: `/health`, the SPARQL endpoint and the job API, with request tracing and graceful
//! shutdown on Ctrl-C or SIGTERM.

use crate::AppConfig;
use crate::jobs::JobRunner;
use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::routing::get;
use fedcat_catalog::{Catalog, RdfStore};
use fedcat_sparql::SparqlConfig;

/// The application's routes; `runner` starts harvests (`serve`), `None` serves read-only;
/// `index` answers `/api/datasets` (503 without it).
pub fn app(
    catalog: &Catalog,
    config: &AppConfig,
    runner: Option<JobRunner>,
    index: Option<std::sync::Arc<fedcat_catalog::search::SearchIndex>>,
) -> Router {
    let web_index = index.clone();
    let web_runner = runner.clone();
    let store = catalog.store().clone();
    let sparql = fedcat_sparql::router(
        store.clone(),
        SparqlConfig {
            timeout: config.sparql_timeout,
            max_results: config.sparql_max_results,
            test_data_loading: config.sparql_test_data_loading,
            html_page: Some(crate::web::sparql_page),
        },
    );
    Router::new()
        .route("/health", get(health))
        .with_state(store)
        .merge(sparql)
        .merge(crate::api::router(
            config,
            catalog.clone(),
            runner,
            index.clone(),
        ))
        .merge(crate::ckan_api::router(crate::ckan_api::CkanState {
            config: std::sync::Arc::new(config.clone()),
            catalog: catalog.clone(),
            index,
        }))
        .merge(crate::export::router(config, catalog.clone()))
        .merge(crate::web::router(crate::web::WebState {
            datasets: crate::datasets_api::DatasetsState {
                config: std::sync::Arc::new(config.clone()),
                catalog: catalog.clone(),
                index: web_index,
            },
            runner: web_runner,
        }))
        .layer(tower_http::trace::TraceLayer::new_for_http())
}

/// `/health`: 200 when the store answers, 503 otherwise.
async fn health(State(store): State<RdfStore>) -> impl IntoResponse {
    let probe = tokio::task::spawn_blocking(move || store.is_empty()).await;
    match probe {
        Ok(Ok(_)) => (
            StatusCode::OK,
            [("content-type", "application/json")],
            "{\"status\":\"ok\"}",
        ),
        _ => (
            StatusCode::SERVICE_UNAVAILABLE,
            [("content-type", "application/json")],
            "{\"status\":\"store unavailable\"}",
        ),
    }
}

/// Resolves when the process is asked to stop.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
}
