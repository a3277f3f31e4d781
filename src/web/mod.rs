//! The web pages, rendered on the server (minijinja templates compiled into the binary, no
//! external asset), readable without JavaScript: search with facets (`/`), a dataset
//! (`/datasets/{source}/{key}`), the openness indicators with an SVG chart (`/indicators`) and
//! the harvest status (`/sources`). French by default, English with `?lang=en`; every label
//! comes from [`i18n`]. A URL from a harvested record is a link only when it is http(s) or ftp
//! ([`safe_link`]); the admin's session and forms are in `admin`.

pub(crate) mod admin;
mod charts;
pub mod i18n;

use charts::{bands_chart, html_escape, line_chart, shares_chart, trend_chart};

use crate::datasets_api::{DatasetQuery, describe, parse_query, record_triples};
use crate::http::AppState;
use axum::extract::{Path, Query, RawQuery, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use fedcat_catalog::search::FACETS;
use minijinja::Environment;
use serde_json::{Value, json};
use std::sync::OnceLock;

fn environment() -> &'static Environment<'static> {
    static ENVIRONMENT: OnceLock<Environment<'static>> = OnceLock::new();
    ENVIRONMENT.get_or_init(|| {
        let mut env = Environment::new();
        for (name, text) in [
            ("base.html", include_str!("templates/base.html")),
            ("search.html", include_str!("templates/search.html")),
            ("dataset.html", include_str!("templates/dataset.html")),
            ("indicators.html", include_str!("templates/indicators.html")),
            ("sources.html", include_str!("templates/sources.html")),
            ("sparql.html", include_str!("templates/sparql.html")),
        ] {
            env.add_template(name, text).expect("templates parse");
        }
        // `{% set href = url | safe_link %}{% if href %}<a href="{{ href }}">…`: none for a URL
        // that must not be a link.
        env.add_filter("safe_link", |url: String| {
            safe_link(&url).map(str::to_owned)
        });
        env
    })
}

/// The page routes.
pub fn router() -> axum::Router<AppState> {
    axum::Router::new()
        .route("/", get(search_page))
        .route("/datasets/{source}/{*key}", get(dataset_page))
        .route("/indicators", get(indicators_page))
        .route("/sources", get(sources_page))
        .route("/admin/login", axum::routing::post(admin::login))
        .route("/admin/logout", axum::routing::post(admin::logout))
        .route(
            "/sources/{id}/harvest",
            axum::routing::post(admin::harvest_now),
        )
}

/// `url` when it may be written as a link (`href`): an absolute http, https or ftp URL. Any
/// other scheme — `javascript:`, `vbscript:`, `data:`, `file:` … — and anything that is not an
/// absolute URL is `None`, to be shown as text. The URL is parsed as browsers do (WHATWG),
/// so control characters, tabs or case tricks in the scheme cannot slip through.
pub fn safe_link(url: &str) -> Option<&str> {
    let parsed = url::Url::parse(url).ok()?;
    matches!(parsed.scheme(), "http" | "https" | "ftp").then_some(url)
}

fn pairs(raw: &Option<String>) -> Vec<(String, String)> {
    url::form_urlencoded::parse(raw.as_deref().unwrap_or("").as_bytes())
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect()
}

fn lang_of(pairs: &[(String, String)]) -> &'static str {
    match pairs
        .iter()
        .find(|(k, _)| k == "lang")
        .map(|(_, v)| v.as_str())
    {
        Some("en") => "en",
        _ => "fr",
    }
}

fn url_with(path: &str, pairs: &[(String, String)]) -> String {
    let mut serializer = url::form_urlencoded::Serializer::new(String::new());
    for (key, value) in pairs {
        serializer.append_pair(key, value);
    }
    let query = serializer.finish();
    if query.is_empty() {
        path.to_owned()
    } else {
        format!("{path}?{query}")
    }
}

/// The same page in the other language.
fn switch_url(path: &str, pairs: &[(String, String)], lang: &str) -> String {
    let mut switched: Vec<(String, String)> =
        pairs.iter().filter(|(k, _)| k != "lang").cloned().collect();
    switched.push(("lang".into(), if lang == "en" { "fr" } else { "en" }.into()));
    url_with(path, &switched)
}

fn render(template: &str, context: minijinja::Value) -> Response {
    match environment()
        .get_template(template)
        .and_then(|t| t.render(context))
    {
        Ok(html) => ([(header::CONTENT_TYPE, "text/html; charset=utf-8")], html).into_response(),
        Err(error) => {
            tracing::error!(%error, template, "page rendering failed");
            (StatusCode::INTERNAL_SERVER_ERROR, "page rendering failed").into_response()
        }
    }
}

fn page_context(path: &str, pairs: &[(String, String)]) -> (&'static str, Value) {
    let lang = lang_of(pairs);
    (
        lang,
        json!({
            "lang": lang,
            "other_lang": if lang == "en" { "fr" } else { "en" },
            "tr": i18n::labels(lang),
            "switch_url": switch_url(path, pairs, lang),
        }),
    )
}

fn merge(mut base: Value, extra: Value) -> minijinja::Value {
    if let (Some(base), Value::Object(extra)) = (base.as_object_mut(), extra) {
        base.extend(extra);
    }
    minijinja::Value::from_serialize(&base)
}

/// `/`: search with facets.
async fn search_page(
    State(state): State<AppState>,
    Query(query): Query<DatasetQuery>,
    RawQuery(raw): RawQuery,
) -> Response {
    let pairs = pairs(&raw);
    let (lang, base) = page_context("/", &pairs);
    let tr = i18n::labels(lang);
    let Some(index) = state.index.clone() else {
        return (StatusCode::SERVICE_UNAVAILABLE, "search unavailable").into_response();
    };
    let (search, page, page_size) = match parse_query(&query, state.config.search_max_window) {
        Ok(parsed) => parsed,
        Err(detail) => return (StatusCode::BAD_REQUEST, detail).into_response(),
    };
    let outcome =
        tokio::task::spawn_blocking(move || crate::datasets_api::search_entries(&index, &search))
            .await;
    let Ok(Ok((results, entries))) = outcome else {
        return (StatusCode::INTERNAL_SERVER_ERROR, "search failed").into_response();
    };
    let without_page: Vec<(String, String)> =
        pairs.iter().filter(|(k, _)| k != "page").cloned().collect();
    let shown = ["publisher", "theme", "format", "licence", "rating"];
    let facets: Vec<Value> = FACETS
        .iter()
        .filter(|name| shown.contains(name))
        .map(|name| {
            let values: Vec<Value> = results
                .facet(name)
                .iter()
                .take(12)
                .map(|(value, count)| {
                    let active = pairs.iter().any(|(k, v)| k == name && v == value);
                    let mut next: Vec<(String, String)> = without_page
                        .iter()
                        .filter(|(k, _)| k != name)
                        .cloned()
                        .collect();
                    if !active {
                        next.push(((*name).to_owned(), value.clone()));
                    }
                    json!({"value": value, "count": count, "active": active, "url": url_with("/", &next)})
                })
                .collect();
            json!({"name": name, "label": tr.get(name).copied().unwrap_or(name), "values": values})
        })
        .collect();
    let page_url = |number: usize| {
        let mut next = without_page.clone();
        next.push(("page".into(), number.to_string()));
        url_with("/", &next)
    };
    let filters: Vec<Value> = pairs
        .iter()
        .filter(|(k, _)| FACETS.contains(&k.as_str()))
        .map(|(k, v)| json!({"name": k, "value": v}))
        .collect();
    render(
        "search.html",
        merge(
            base,
            json!({
                "q": query_text(&pairs),
                "total": results.total,
                "results": entries,
                "facets": facets,
                "filters": filters,
                "page": page,
                "previous_url": (page > 1).then(|| page_url(page - 1)),
                "next_url": (page * page_size < results.total).then(|| page_url(page + 1)),
            }),
        ),
    )
}

fn query_text(pairs: &[(String, String)]) -> String {
    pairs
        .iter()
        .find(|(k, _)| k == "q")
        .map(|(_, v)| v.clone())
        .unwrap_or_default()
}

/// `/datasets/{source}/{key}`: one dataset.
async fn dataset_page(
    State(state): State<AppState>,
    Path((source, key)): Path<(String, String)>,
    RawQuery(raw): RawQuery,
) -> Response {
    let pairs = pairs(&raw);
    let path = format!("/datasets/{source}/{key}");
    let (lang, base) = page_context(&path, &pairs);
    let triples = match record_triples(&state.catalog, &source, &key).await {
        Ok(triples) if !triples.is_empty() => triples,
        Ok(_) => return (StatusCode::NOT_FOUND, "no such dataset").into_response(),
        Err(error) => {
            tracing::error!(%error, "record graph unreadable");
            return (
                StatusCode::INTERNAL_SERVER_ERROR,
                "the page could not be built",
            )
                .into_response();
        }
    };
    let described = match describe(&state, &source, &key, &triples).await {
        Ok(body) => body,
        Err(response) => return *response,
    };
    // Dimension rows from the DQV scores (mqa_findabilityScoring, ext_findabilityScoring…).
    let quality = &described["quality"];
    let mut rows = Vec::new();
    for dimension in [
        "findability",
        "accessibility",
        "interoperability",
        "reusability",
        "contextuality",
    ] {
        let mqa = &quality[format!("mqa_{dimension}Scoring")];
        let ext = &quality[format!("ext_{dimension}Scoring")];
        if !mqa.is_null() || !ext.is_null() {
            rows.push(json!({"name": dimension, "mqa": mqa, "ext": ext}));
        }
    }
    if !quality["mqa_scoring"].is_null() {
        rows.push(
            json!({"name": "total", "mqa": quality["mqa_scoring"], "ext": quality["ext_scoring"]}),
        );
    }
    let findings = match shacl_findings(&state, &source, &key, lang).await {
        Ok(findings) => findings,
        Err(error) => {
            tracing::error!(%error, "SHACL findings unreadable");
            return (
                StatusCode::INTERNAL_SERVER_ERROR,
                "the page could not be built",
            )
                .into_response();
        }
    };
    let dataset = described["dataset"].as_str().unwrap_or_default();
    let sparql = format!("SELECT ?p ?o WHERE {{ GRAPH ?g {{ <{dataset}> ?p ?o }} }}");
    let sparql_url = url_with("/sparql", &[("query".into(), sparql)]);
    render(
        "dataset.html",
        merge(
            base,
            json!({"d": described, "quality": rows, "sparql_url": sparql_url, "findings": findings}),
        ),
    )
}

/// The SHACL results of the record's last assessment (its DQV graph), in plain words: which
/// property, how serious, what the shape says.
async fn shacl_findings(
    state: &AppState,
    source: &str,
    key: &str,
    lang: &str,
) -> Result<Vec<String>, fedcat_catalog::CatalogError> {
    let (store, iris) = (state.catalog.graph_store(), state.catalog.iris().clone());
    let (source, key) = (source.to_owned(), key.to_owned());
    let rows = tokio::task::spawn_blocking(move || {
        fedcat_domain::queries::shacl_findings(&*store, &iris, &source, &key)
    })
    .await??;
    let english = lang == "en";
    let mut out: Vec<String> = rows
        .into_iter()
        .map(|finding| {
            let set = match finding.report.rsplit_once("#shacl") {
                Some((_, "")) => "DCAT-AP",
                Some((_, "-recommended")) => {
                    if english {
                        "recommended properties"
                    } else {
                        "propriétés recommandées"
                    }
                }
                Some((_, "-vocabularies")) => {
                    if english {
                        "controlled vocabularies"
                    } else {
                        "vocabulaires contrôlés"
                    }
                }
                _ => "SHACL",
            };
            let severity = match finding.severity.rsplit('#').next().unwrap_or_default() {
                "Violation" => {
                    if english {
                        "Non-conformity"
                    } else {
                        "Non-conformité"
                    }
                }
                "Warning" => {
                    if english {
                        "Advice"
                    } else {
                        "Conseil"
                    }
                }
                _ => "Information",
            };
            let path = finding.path.unwrap_or_default();
            let property = path
                .rsplit(['#', '/'])
                .next()
                .filter(|p| !p.is_empty())
                .map(|p| format!(" « {p} »"))
                .unwrap_or_default();
            let message = finding.message.unwrap_or_default();
            if english {
                format!("{severity} ({set}) on{property}: {message}")
            } else {
                format!("{severity} ({set}) sur{property} : {message}")
            }
        })
        .collect();
    out.dedup();
    Ok(out)
}

/// The SPARQL page for browsers (given to the `sparql` crate as its page renderer): the
/// editor, the example queries and the results table, with the labels of [`i18n`].
pub fn sparql_page(lang: &str, query: &str, results: Option<&str>) -> String {
    let pairs = vec![
        ("query".to_owned(), query.to_owned()),
        ("lang".to_owned(), lang.to_owned()),
    ];
    let (lang, base) = page_context("/sparql", &pairs);
    let labels = i18n::labels(lang);
    let examples: Vec<Value> = fedcat_sparql::html::EXAMPLES
        .iter()
        .enumerate()
        .map(|(n, (_, text))| {
            let key = format!("example_{n}");
            json!({
                "label": labels.get(key.as_str()).copied().unwrap_or(key.as_str()),
                "url": url_with("/sparql", &[("query".into(), (*text).to_owned()), ("lang".into(), lang.to_owned())]),
            })
        })
        .collect();
    let context = merge(
        base,
        json!({"query": query, "examples": examples, "results": results}),
    );
    environment()
        .get_template("sparql.html")
        .and_then(|t| t.render(context))
        .unwrap_or_else(|e| format!("page rendering failed: {e}"))
}

/// `/indicators`: the latest indicators of each producer and their trend.
#[expect(
    clippy::too_many_lines,
    reason = "the indicators page: one block per chart and table"
)]
async fn indicators_page(State(state): State<AppState>, RawQuery(raw): RawQuery) -> Response {
    let pairs = pairs(&raw);
    let (lang, base) = page_context("/indicators", &pairs);
    let rows = match state
        .catalog
        .quality_state()
        .indicator_snapshots(None, Some(""), None, None)
        .await
    {
        Ok(rows) => rows,
        Err(error) => {
            return (StatusCode::INTERNAL_SERVER_ERROR, error.to_string()).into_response();
        }
    };
    let mut series: std::collections::BTreeMap<String, Vec<(String, f64)>> = Default::default();
    let share_fields = [
        ("open_licence_share", "open_licence"),
        ("machine_readable_share", "machine_readable"),
        ("working_links_share", "working_links"),
        ("freshness_share", "freshness"),
    ];
    let mut share_series: Vec<std::collections::BTreeMap<String, Vec<(String, f64)>>> =
        vec![Default::default(); share_fields.len()];
    let mut latest: std::collections::BTreeMap<String, Value> = Default::default();
    for row in rows {
        let (producer, taken_at) = (row.source_id, row.taken_at);
        let Ok(indicators) = serde_json::from_str::<Value>(&row.indicators) else {
            continue;
        };
        for (n, (field, _)) in share_fields.iter().enumerate() {
            if let Some(share) = indicators[*field].as_f64() {
                share_series[n]
                    .entry(producer.clone())
                    .or_default()
                    .push((taken_at.clone(), share * 100.0));
            }
        }
        if let Some(mean) = indicators["mqa_mean"].as_f64() {
            series
                .entry(producer.clone())
                .or_default()
                .push((taken_at, mean));
        }
        latest.insert(producer, indicators);
    }
    let pct = |v: &Value| {
        v.as_f64()
            .map_or("—".to_owned(), |s| format!("{:.0} %", s * 100.0))
    };
    let producers: Vec<Value> = latest
        .iter()
        .map(|(producer, i)| {
            json!({
                "producer": producer,
                "datasets": i["datasets"],
                "mqa_mean": i["mqa_mean"].as_f64().map(|m| format!("{m:.1}")),
                "bands": format!("{} / {} / {} / {}", i["bands"][0], i["bands"][1], i["bands"][2], i["bands"][3]),
                "open_licence": pct(&i["open_licence_share"]),
                "machine_readable": pct(&i["machine_readable_share"]),
                "working_links": pct(&i["working_links_share"]),
                "freshness": pct(&i["freshness_share"]),
            })
        })
        .collect();
    let series: Vec<(String, Vec<(String, f64)>)> = series.into_iter().collect();
    let labels = i18n::labels(lang);
    let chart = trend_chart(&series, labels["score_trend"]);
    let shares = shares_chart(&latest, &labels);
    // One chart over time per share (a producer whose share was never measured has no line).
    let share_trends: String = share_fields
        .iter()
        .zip(share_series)
        .filter(|(_, series)| !series.is_empty())
        .map(|((field, label), series)| {
            let series: Vec<(String, Vec<(String, f64)>)> = series.into_iter().collect();
            format!(
                "<h3>{} (%)</h3>{}",
                html_escape(labels[label]),
                line_chart(
                    &series,
                    &format!("{} (%)", labels[label]),
                    &format!("trend-{field}"),
                    100.0,
                    &[0.0, 25.0, 50.0, 75.0, 100.0],
                )
            )
        })
        .collect();
    let bands = bands_chart(&latest, labels["bands_title"]);
    // Per producer: the five lowest-scoring rated datasets and the most frequent problems
    // (the metrics true for the fewest datasets, the most frequent SHACL violations).
    let mut attention = Vec::new();
    for (producer, indicators) in &latest {
        let worst = match &state.index {
            Some(index) => {
                let index = index.clone();
                let producer = producer.clone();
                tokio::task::spawn_blocking(move || {
                    index.search(&fedcat_catalog::search::SearchQuery {
                        filters: vec![("source".into(), producer), ("rating".into(), "bad".into())],
                        sort: fedcat_catalog::search::Sort::WorstFirst,
                        limit: 5,
                        ..Default::default()
                    })
                })
                .await
                .ok()
                .and_then(Result::ok)
                .map(|r| r.hits)
                .unwrap_or_default()
            }
            None => Vec::new(),
        };
        let mut shares: Vec<(String, f64)> = indicators["metric_shares"]
            .as_object()
            .into_iter()
            .flatten()
            .filter_map(|(id, v)| Some((id.clone(), v.as_f64()?)))
            .collect();
        shares.sort_by(|a, b| a.1.total_cmp(&b.1).then(a.0.cmp(&b.0)));
        let problems: Vec<String> = shares
            .iter()
            .take(5)
            .map(|(id, share)| format!("{id} {:.0} %", share * 100.0))
            .chain(
                indicators["top_violations"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .take(3)
                    .filter_map(|v| Some(format!("SHACL {} ({})", v[0].as_str()?, v[1]))),
            )
            .collect();
        attention.push(json!({
            "producer": producer,
            "worst": worst.iter().map(|d| json!({"id": d.id, "title": d.title(), "score": d.mqa_score})).collect::<Vec<_>>(),
            "problems": problems,
        }));
    }
    render(
        "indicators.html",
        merge(
            base,
            json!({"producers": producers, "chart": chart, "shares": shares, "share_trends": share_trends, "bands": bands, "attention": attention}),
        ),
    )
}

/// `/sources`: each source with its schedule, last job and its first errors; the "harvest now"
/// button for the admin.
async fn sources_page(
    State(web): State<AppState>,
    RawQuery(raw): RawQuery,
    headers: axum::http::HeaderMap,
) -> Response {
    let state = web.clone();
    // The admin's forms carry the session's CSRF token.
    let csrf = web.admin.csrf_of(&headers);
    let admin = csrf.is_some();
    let pairs = pairs(&raw);
    let (_, base) = page_context("/sources", &pairs);
    let mut sources = Vec::new();
    for source in &state.config.sources.sources {
        let job = state
            .catalog
            .jobs()
            .jobs(Some(&source.id), 1)
            .await
            .ok()
            .and_then(|mut jobs| jobs.pop());
        let errors: Vec<Value> = match &job {
            Some(job) => state
                .catalog
                .jobs()
                .job_errors(job.id)
                .await
                .unwrap_or_default()
                .into_iter()
                .take(5)
                .map(|e| {
                    let place = e.url.or(e.record_key).unwrap_or_default();
                    // The body excerpt may quote an internal page: administrators only.
                    let detail = if admin { e.detail } else { None };
                    json!({"text": format!("{place}: {}", e.message), "detail": detail})
                })
                .collect(),
            None => Vec::new(),
        };
        sources.push(json!({
            "errors": errors,
            "id": source.id,
            "title": source.title,
            "url": source.url.as_str(),
            "schedule": source.schedule.as_ref().map(ToString::to_string),
            "started_at": job.as_ref().map(|j| fedcat_catalog::storage::time_text(&j.started_at)),
            "status": job.as_ref().map(|j| j.status.clone()),
            "counts": job.as_ref().map(|j| format!(
                "{} / {} / {} / {} / {}",
                j.counts.added, j.counts.updated, j.counts.unchanged, j.counts.deleted, j.counts.failed
            )),
            "repairs": job.as_ref().map(|j| format!(
                "{} ({}) / {} / {}",
                j.counts.records_repaired, j.counts.values_repaired, j.counts.values_dropped,
                j.counts.records_rejected
            )),
        }));
    }
    let mut response = render(
        "sources.html",
        merge(
            base,
            json!({"sources": sources, "admin": admin, "csrf": csrf, "admin_configured": state.config.admin_token.is_some()}),
        ),
    );
    // The admin's page holds the session's CSRF token and response excerpts: never cached.
    let headers = response.headers_mut();
    headers.insert(
        axum::http::header::VARY,
        axum::http::HeaderValue::from_static("Cookie"),
    );
    if admin {
        headers.insert(
            axum::http::header::CACHE_CONTROL,
            axum::http::HeaderValue::from_static("no-store"),
        );
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_http_https_and_ftp_urls_are_links() {
        for url in [
            "https://www.datasud.fr/fr/dataset/x.csv",
            "http://example.org/a?b=c#d",
            "HTTPS://EXAMPLE.ORG/",
            "ftp://ftp.example.org/pub/file.zip",
        ] {
            assert_eq!(safe_link(url), Some(url), "{url}");
        }
        for url in [
            "javascript:alert(document.cookie)",
            "JavaScript:alert(1)",
            " javascript:alert(1)",
            "java\tscript:alert(1)",
            "java\nscript:alert(1)",
            "\u{1}javascript:alert(1)",
            "vbscript:msgbox(1)",
            "data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==",
            "file:///etc/passwd",
            "mailto:someone@example.org",
            "/relative/path",
            "//example.org/no-scheme",
            "www.example.org",
            "",
        ] {
            assert_eq!(safe_link(url), None, "{url:?}");
        }
    }

    #[test]
    fn the_dataset_page_writes_unsafe_urls_as_text() {
        let (_, base) = page_context("/datasets/s/k", &[]);
        let context = merge(
            base,
            json!({
                "d": {
                    "id": "s/k",
                    "title": "A dataset",
                    "source": "s",
                    "dataset": "http://fedcat.test/id/dataset/s/k",
                    "distributions": [{
                        "title": "Hostile",
                        "access_urls": [
                            {"url": "javascript:alert(document.cookie)"},
                            {"url": "https://example.org/data.csv"},
                        ],
                        "download_urls": [{"url": "data:text/html;base64,PHNjcmlwdD4="}],
                    }],
                    "provenance": {"harvested_at": "2026-01-01", "original_url": "vbscript:msgbox(1)"},
                },
                "quality": [],
                "findings": [],
                "sparql_url": "/sparql",
            }),
        );
        let html = environment()
            .get_template("dataset.html")
            .and_then(|t| t.render(context))
            .unwrap();
        let lower = html.to_ascii_lowercase();
        for scheme in ["javascript:", "data:", "vbscript:"] {
            assert!(!lower.contains(&format!("href=\"{scheme}")), "{html}");
        }
        assert!(html.contains("<code>javascript:alert(document.cookie)</code>"));
        assert!(html.contains("<code>vbscript:msgbox(1)</code>"));
        assert!(html.contains("href=\"https:"), "http(s) URLs stay links");
    }
}
