//! The job API: sources and their harvest jobs as JSON, and the admin action that starts a
//! harvest. `POST /api/sources/{id}/harvest` needs `Authorization: Bearer <[admin] token>`.

use crate::AppConfig;
use crate::jobs::{JobRunner, StartError};
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use fedcat_catalog::Catalog;
use serde_json::{Value, json};
use std::sync::Arc;

#[derive(Clone)]
struct ApiState {
    config: Arc<AppConfig>,
    catalog: Catalog,
    runner: Option<JobRunner>,
}

/// The `/api/…` routes of this version; `index` serves `/api/datasets`.
pub fn router(
    config: &AppConfig,
    catalog: Catalog,
    runner: Option<JobRunner>,
    index: Option<Arc<fedcat_catalog::search::SearchIndex>>,
) -> Router {
    let datasets = Router::new()
        .route("/api/datasets", get(crate::datasets_api::search))
        .route("/api/publishers", get(crate::datasets_api::publishers))
        .route("/api/openapi.json", get(crate::openapi::serve))
        .route(
            "/api/datasets/{source}/{*key}",
            get(crate::datasets_api::dataset),
        )
        .with_state(crate::datasets_api::DatasetsState {
            config: Arc::new(config.clone()),
            catalog: catalog.clone(),
            index,
        });
    Router::new()
        .route("/api/sources", get(sources))
        .route("/api/sources/{id}/jobs", get(source_jobs))
        .route("/api/sources/{id}/harvest", post(start_harvest))
        .route("/api/jobs/{id}", get(job))
        .route("/api/indicators", get(indicators))
        .with_state(ApiState {
            config: Arc::new(config.clone()),
            catalog,
            runner,
        })
        .merge(datasets)
}

/// An RFC 9457 problem: `type` and `code` are stable (derived from the fixed title), `detail`
/// says what happened this time.
pub(crate) fn problem(status: StatusCode, title: &str, detail: impl Into<String>) -> Response {
    let code = title.replace(' ', "-");
    (
        status,
        [(header::CONTENT_TYPE, "application/problem+json")],
        Json(json!({
            "type": format!("https://w3id.org/fedcat/problems/{code}"),
            "code": code,
            "status": status.as_u16(),
            "title": title,
            "detail": detail.into(),
        })),
    )
        .into_response()
}

/// A 500 problem with the error's text.
pub(crate) fn internal(error: impl std::fmt::Display) -> Response {
    problem(
        StatusCode::INTERNAL_SERVER_ERROR,
        "internal error",
        error.to_string(),
    )
}

async fn sources(State(state): State<ApiState>) -> Response {
    let running = state
        .runner
        .as_ref()
        .map(JobRunner::running)
        .unwrap_or_default();
    let mut out = Vec::new();
    for source in &state.config.sources.sources {
        let last_job = match state.catalog.jobs().jobs(Some(&source.id), 1).await {
            Ok(mut jobs) => jobs.pop(),
            Err(e) => return internal(e),
        };
        out.push(json!({
            "id": source.id,
            "title": source.title,
            "type": source.kind.as_str(),
            "url": source.url.as_str(),
            "schedule": source.schedule.as_ref().map(ToString::to_string),
            "enabled": source.enabled,
            "priority": source.priority,
            "running": running.contains(&source.id),
            "last_job": last_job,
        }));
    }
    Json(Value::Array(out)).into_response()
}

async fn source_jobs(State(state): State<ApiState>, Path(id): Path<String>) -> Response {
    if state.config.sources.get(&id).is_none() {
        return problem(
            StatusCode::NOT_FOUND,
            "unknown source",
            format!("no source {id:?}"),
        );
    }
    match state.catalog.jobs().jobs(Some(&id), 100).await {
        Ok(jobs) => Json(jobs).into_response(),
        Err(e) => internal(e),
    }
}

/// Whether the request carries `Authorization: Bearer <the configured admin token>`.
fn is_admin_request(config: &AppConfig, headers: &HeaderMap) -> bool {
    let Some(expected) = config.admin_token.as_deref() else {
        return false;
    };
    headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .is_some_and(|token| same_token(token.trim(), expected))
}

/// `GET /api/jobs/{id}`: the job, its errors and the records it deleted. An administrator
/// (Bearer admin token) also gets each error's `detail`: the start of the response body a
/// portal answered, which may quote internal pages and so is never public.
async fn job(
    State(state): State<ApiState>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Response {
    let Ok(job_id) = id.parse::<i64>() else {
        return problem(
            StatusCode::NOT_FOUND,
            "unknown job",
            format!("no job {id:?}"),
        );
    };
    let job = match state.catalog.jobs().job(job_id).await {
        Ok(Some(job)) => job,
        Ok(None) => {
            return problem(
                StatusCode::NOT_FOUND,
                "unknown job",
                format!("no job {job_id}"),
            );
        }
        Err(e) => return internal(e),
    };
    let errors = match state.catalog.jobs().job_errors(job_id).await {
        Ok(errors) => errors,
        Err(e) => return internal(e),
    };
    let deleted = match state.catalog.records().records_deleted_by_job(job_id).await {
        Ok(deleted) => deleted,
        Err(e) => return internal(e),
    };
    let admin = is_admin_request(&state.config, &headers);
    let mut body = serde_json::to_value(&job).unwrap_or(Value::Null);
    let mut error_items = serde_json::to_value(&errors).unwrap_or(Value::Null);
    if admin && let Some(items) = error_items.as_array_mut() {
        for (item, row) in items.iter_mut().zip(&errors) {
            if let Some(detail) = &row.detail {
                item["detail"] = Value::String(detail.clone());
            }
        }
    }
    body["errors"] = error_items;
    body["deleted_records"] = serde_json::to_value(deleted).unwrap_or(Value::Null);
    let mut response = Json(body).into_response();
    // The answer differs by credentials: no cache may give an admin's answer to the public.
    let response_headers = response.headers_mut();
    response_headers.insert(
        header::VARY,
        axum::http::HeaderValue::from_static("Authorization"),
    );
    if admin {
        response_headers.insert(
            header::CACHE_CONTROL,
            axum::http::HeaderValue::from_static("no-store"),
        );
    }
    response
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

async fn start_harvest(
    State(state): State<ApiState>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Response {
    let Some(expected) = state.config.admin_token.as_deref() else {
        return problem(
            StatusCode::FORBIDDEN,
            "write endpoints disabled",
            "no [admin] token (or FEDCAT_ADMIN_TOKEN) is configured",
        );
    };
    let given = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "));
    if !given.is_some_and(|token| same_token(token.trim(), expected)) {
        return (
            StatusCode::UNAUTHORIZED,
            [
                (header::WWW_AUTHENTICATE, "Bearer"),
                (header::CONTENT_TYPE, "application/problem+json"),
            ],
            Json(json!({"status": 401, "title": "unauthorized",
                        "detail": "send Authorization: Bearer <admin token>"})),
        )
            .into_response();
    }
    let Some(runner) = &state.runner else {
        return problem(
            StatusCode::SERVICE_UNAVAILABLE,
            "no job runner",
            "this server does not run harvest jobs",
        );
    };
    match runner.start(&id).await {
        Ok(_) => (
            StatusCode::ACCEPTED,
            [(header::LOCATION, format!("/api/sources/{id}/jobs"))],
            Json(json!({"source": id, "status": "started"})),
        )
            .into_response(),
        Err(StartError::UnknownSource) => problem(
            StatusCode::NOT_FOUND,
            "unknown source",
            format!("no source {id:?}"),
        ),
        Err(StartError::Disabled) => problem(
            StatusCode::CONFLICT,
            "source disabled",
            format!("source {id:?} is disabled in the sources file"),
        ),
        Err(StartError::AlreadyRunning) => problem(
            StatusCode::CONFLICT,
            "already running",
            format!("a job of source {id:?} is already running"),
        ),
        Err(StartError::Storage) => problem(
            StatusCode::SERVICE_UNAVAILABLE,
            "state database unavailable",
            "the state database could not say whether a job of this source is running",
        ),
    }
}

/// `/api/indicators` filters.
#[derive(Debug, serde::Deserialize)]
struct IndicatorQuery {
    producer: Option<String>,
    publisher: Option<String>,
    from: Option<String>,
    to: Option<String>,
    format: Option<String>,
}

/// The CSV columns of `/api/indicators?format=csv`, in order, with their JSON paths.
const INDICATOR_COLUMNS: [(&str, &str); 25] = [
    ("datasets", "/datasets"),
    ("distributions", "/distributions"),
    ("mqa_mean", "/mqa_mean"),
    ("mqa_median", "/mqa_median"),
    ("ext_mean", "/ext_mean"),
    ("ext_median", "/ext_median"),
    ("excellent", "/bands/0"),
    ("good", "/bands/1"),
    ("sufficient", "/bands/2"),
    ("bad", "/bands/3"),
    ("open_licence_share", "/open_licence_share"),
    ("machine_readable_share", "/machine_readable_share"),
    ("non_proprietary_share", "/non_proprietary_share"),
    ("conformance_share", "/conformance_share"),
    ("working_links_share", "/working_links_share"),
    ("freshness_share", "/freshness_share"),
    ("stars_0", "/stars/0"),
    ("stars_1", "/stars/1"),
    ("stars_2", "/stars/2"),
    ("stars_3", "/stars/3"),
    ("stars_4", "/stars/4"),
    ("stars_5", "/stars/5"),
    ("available_share", "/available_share"),
    ("mean_uptime", "/mean_uptime"),
    ("median_days_since_modified", "/median_days_since_modified"),
];

/// `GET /api/indicators[?producer=ID][&publisher=NAME][&from=T][&to=T][&format=csv]`: each
/// producer's openness indicators after every harvest and link check, oldest first — whole
/// sources, or one publisher's datasets within them (JSON, or CSV with `format=csv` or
/// `Accept: text/csv`).
async fn indicators(
    State(state): State<ApiState>,
    Query(query): Query<IndicatorQuery>,
    headers: HeaderMap,
) -> Response {
    if let Some(producer) = &query.producer
        && state.config.sources.get(producer).is_none()
    {
        return problem(
            StatusCode::NOT_FOUND,
            "unknown producer",
            format!("no source {producer:?} in the sources file"),
        );
    }
    let rows = match state
        .catalog
        .quality_state()
        .indicator_snapshots(
            query.producer.as_deref(),
            // Without a publisher filter, whole sources only.
            Some(query.publisher.as_deref().unwrap_or("")),
            query.from.as_deref(),
            query.to.as_deref(),
        )
        .await
    {
        Ok(rows) => rows,
        Err(error) => return internal(error),
    };
    let mut snapshots = Vec::with_capacity(rows.len());
    for row in rows {
        let (producer, publisher, taken_at) = (row.source_id, row.publisher, row.taken_at);
        let Ok(Value::Object(mut fields)) = serde_json::from_str::<Value>(&row.indicators) else {
            continue;
        };
        fields.insert("producer".into(), Value::from(producer));
        fields.insert("publisher".into(), Value::from(publisher));
        fields.insert("taken_at".into(), Value::from(taken_at));
        snapshots.push(Value::Object(fields));
    }
    let wants_csv = query.format.as_deref() == Some("csv")
        || headers
            .get(header::ACCEPT)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|a| a.contains("text/csv"));
    if !wants_csv {
        return Json(json!({ "indicators": snapshots })).into_response();
    }
    let mut csv = String::from("producer,publisher,taken_at");
    // Fixed columns, then the share of each metric (`share_M1` …).
    let mut columns: Vec<(String, String)> = INDICATOR_COLUMNS
        .iter()
        .map(|(name, pointer)| ((*name).to_owned(), (*pointer).to_owned()))
        .collect();
    columns.extend(fedcat_catalog::quality::metrics::ALL.iter().map(|m| {
        (
            format!("share_{}", m.id),
            format!("/metric_shares/{}", m.id),
        )
    }));
    for (name, _) in &columns {
        csv.push(',');
        csv.push_str(name);
    }
    csv.push('\n');
    for snapshot in &snapshots {
        csv.push_str(snapshot["producer"].as_str().unwrap_or_default());
        csv.push(',');
        // Publisher names may hold commas and quotes: quoted as CSV wants.
        if let Some(publisher) = snapshot["publisher"].as_str() {
            csv.push('"');
            csv.push_str(&publisher.replace('"', "\"\""));
            csv.push('"');
        }
        csv.push(',');
        csv.push_str(snapshot["taken_at"].as_str().unwrap_or_default());
        for (_, pointer) in &columns {
            csv.push(',');
            match snapshot.pointer(pointer) {
                Some(Value::Null) | None => {}
                Some(value) => csv.push_str(&value.to_string()),
            }
        }
        csv.push('\n');
    }
    ([(header::CONTENT_TYPE, "text/csv; charset=utf-8")], csv).into_response()
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
