//! The job API: sources and their harvest jobs as JSON, and the admin action that starts a
//! harvest. `POST /api/sources/{id}/harvest` needs `Authorization: Bearer <[admin] token>`.

use crate::http::{AdminToken, ApiError, AppState, ErrorCode, MaybeAdmin, Problem};
use crate::jobs::{JobRunner, StartError};
use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};
use utoipa::IntoParams;
use utoipa_axum::{router::OpenApiRouter, routes};

/// The job API and the indicators, under `/api`, each with its OpenAPI operation.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(sources))
        .routes(routes!(source_jobs))
        .routes(routes!(start_harvest))
        .routes(routes!(job))
        .routes(routes!(indicators))
}

/// Configured sources, running state and last job.
#[utoipa::path(get, path = "/api/sources", responses(
    (status = 200, description = "sources", body = Vec<serde_json::Value>),
))]
async fn sources(State(state): State<AppState>) -> Response {
    let running = state
        .runner
        .as_ref()
        .map(JobRunner::running)
        .unwrap_or_default();
    let mut out = Vec::new();
    for source in &state.config.sources.sources {
        let last_job = match state.catalog.jobs().jobs(Some(&source.id), 1).await {
            Ok(mut jobs) => jobs.pop(),
            Err(e) => return ApiError::internal(e).into_response(),
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

/// A source's last 100 jobs, newest first.
#[utoipa::path(get, path = "/api/sources/{id}/jobs",
    params(("id" = String, Path, description = "source id")),
    responses(
        (status = 200, description = "jobs", body = Vec<serde_json::Value>),
        (status = 404, description = "no such source", body = Problem),
))]
async fn source_jobs(State(state): State<AppState>, Path(id): Path<String>) -> Response {
    if state.config.sources.get(&id).is_none() {
        return ApiError::new(ErrorCode::UnknownSource, format!("no source {id:?}"))
            .into_response();
    }
    match state.catalog.jobs().jobs(Some(&id), 100).await {
        Ok(jobs) => Json(jobs).into_response(),
        Err(e) => ApiError::internal(e).into_response(),
    }
}

/// One job with its errors and the records it deleted. An administrator (Bearer admin token)
/// also gets each error's `detail`: the start of the response body a portal answered, which
/// may quote internal pages and so is never public.
#[utoipa::path(get, path = "/api/jobs/{id}",
    params(("id" = i64, Path, description = "job id")),
    responses(
        (status = 200, description = "the job", body = serde_json::Value),
        (status = 404, description = "no such job", body = Problem),
))]
async fn job(
    MaybeAdmin(admin): MaybeAdmin,
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Response {
    let Ok(job_id) = id.parse::<i64>() else {
        return ApiError::new(ErrorCode::UnknownJob, format!("no job {id:?}")).into_response();
    };
    let job = match state.catalog.jobs().job(job_id).await {
        Ok(Some(job)) => job,
        Ok(None) => {
            return ApiError::new(ErrorCode::UnknownJob, format!("no job {job_id}"))
                .into_response();
        }
        Err(e) => return ApiError::internal(e).into_response(),
    };
    let errors = match state.catalog.jobs().job_errors(job_id).await {
        Ok(errors) => errors,
        Err(e) => return ApiError::internal(e).into_response(),
    };
    let deleted = match state.catalog.records().records_deleted_by_job(job_id).await {
        Ok(deleted) => deleted,
        Err(e) => return ApiError::internal(e).into_response(),
    };
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

/// Starts a harvest of the source now (admin token).
#[utoipa::path(post, path = "/api/sources/{id}/harvest",
    params(("id" = String, Path, description = "source id")),
    security(("bearer" = [])),
    responses(
        (status = 202, description = "started"),
        (status = 401, description = "no or wrong admin token", body = Problem),
        (status = 403, description = "no admin token configured", body = Problem),
        (status = 404, description = "no such source", body = Problem),
        (status = 409, description = "already running or disabled", body = Problem),
        (status = 503, description = "no job runner, or the state database cannot say", body = Problem),
))]
async fn start_harvest(
    _admin: AdminToken,
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Response {
    let Some(runner) = &state.runner else {
        return ApiError::new(
            ErrorCode::NoJobRunner,
            "this server does not run harvest jobs",
        )
        .into_response();
    };
    match runner.start(&id).await {
        Ok(_) => (
            StatusCode::ACCEPTED,
            [(header::LOCATION, format!("/api/sources/{id}/jobs"))],
            Json(json!({"source": id, "status": "started"})),
        )
            .into_response(),
        Err(StartError::UnknownSource) => {
            ApiError::new(ErrorCode::UnknownSource, format!("no source {id:?}")).into_response()
        }
        Err(StartError::Disabled) => ApiError::new(
            ErrorCode::SourceDisabled,
            format!("source {id:?} is disabled in the sources file"),
        )
        .into_response(),
        Err(StartError::AlreadyRunning) => ApiError::new(
            ErrorCode::AlreadyRunning,
            format!("a job of source {id:?} is already running"),
        )
        .into_response(),
        Err(StartError::Storage) => ApiError::new(
            ErrorCode::StateDatabaseUnavailable,
            "the state database could not say whether a job of this source is running",
        )
        .into_response(),
    }
}

/// `/api/indicators` filters.
#[derive(Debug, serde::Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
struct IndicatorQuery {
    /// Source id.
    producer: Option<String>,
    /// Publisher name within the source (without it: whole sources).
    publisher: Option<String>,
    /// RFC 3339 time or date prefix (inclusive).
    from: Option<String>,
    /// RFC 3339 time or date prefix (inclusive).
    to: Option<String>,
    /// `csv` for CSV (or `Accept: text/csv`).
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

/// Openness indicators per producer over time: each producer's indicators after every harvest
/// and link check, oldest first — whole sources, or one publisher's datasets within them (JSON,
/// or CSV with `format=csv` or `Accept: text/csv`).
#[utoipa::path(get, path = "/api/indicators", params(IndicatorQuery), responses(
    (status = 200, description = "snapshots", content(
        (serde_json::Value = "application/json"),
        (String = "text/csv"))),
    (status = 404, description = "no such producer", body = Problem),
))]
async fn indicators(
    State(state): State<AppState>,
    Query(query): Query<IndicatorQuery>,
    headers: HeaderMap,
) -> Response {
    if let Some(producer) = &query.producer
        && state.config.sources.get(producer).is_none()
    {
        return ApiError::new(
            ErrorCode::UnknownProducer,
            format!("no source {producer:?} in the sources file"),
        )
        .into_response();
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
        Err(error) => return ApiError::internal(error).into_response(),
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
