//! The job runner and the job API of `fedcat serve`: starting a harvest over HTTP with the admin
//! token (401 without it), one job per source at a time, job history and errors as JSON, and
//! jobs left running by a dead process shown as abandoned.

use crate::fake_portal::{FakePortal, ckan_packages};
use crate::support::{Deployment, source_toml};
use fedcat::jobs::JobRunner;
use serde_json::Value;
use std::time::{Duration, Instant};

const TOKEN: &str = "test-admin-token-0123456789";

async fn get_json(url: &str) -> (u16, Value) {
    let response = reqwest::get(url).await.unwrap();
    let status = response.status().as_u16();
    (
        status,
        serde_json::from_str(&response.text().await.unwrap()).unwrap(),
    )
}

async fn post(url: &str, token: Option<&str>) -> u16 {
    let mut request = reqwest::Client::new().post(url);
    if let Some(token) = token {
        request = request.header("authorization", format!("Bearer {token}"));
    }
    request.send().await.unwrap().status().as_u16()
}

#[tokio::test(flavor = "multi_thread")]
async fn harvest_started_over_http_once_per_source() {
    let portal = FakePortal::start().await;
    let datasud = portal.add_ckan(
        "datasud",
        ckan_packages("ckan/extracted/datasud.fr_package_search_snapshot__00.json"),
    );
    // Three pages at 300 ms each: the job is still running when the second request comes.
    portal.delay_ckan("datasud", Duration::from_millis(300));
    let deployment = Deployment::new(
        &source_toml(
            "datasud",
            "ckan",
            &datasud,
            "page_size = 3\nschedule = \"0 0 3 * * *\"",
        ),
        &format!("[admin]\ntoken = \"{TOKEN}\"\n"),
    );
    let catalog = deployment.open().await;
    let runner = JobRunner::new(deployment.config.clone(), catalog.clone()).unwrap();
    let app = fedcat::server::app(&catalog, &deployment.config, Some(runner), None);
    let server = crate::support::serve_router(app, deployment.config.server).await;

    let (status, sources) = get_json(&format!("{server}/api/sources")).await;
    assert_eq!(status, 200);
    assert_eq!(sources[0]["id"], "datasud");
    assert_eq!(sources[0]["schedule"], "0 0 3 * * *");
    assert_eq!(sources[0]["last_job"], Value::Null);

    let harvest = format!("{server}/api/sources/datasud/harvest");
    assert_eq!(post(&harvest, None).await, 401);
    assert_eq!(
        post(&harvest, Some("wrong-token-wrong-token-00")).await,
        401
    );
    assert_eq!(
        post(&format!("{server}/api/sources/nope/harvest"), Some(TOKEN)).await,
        404
    );
    assert_eq!(post(&harvest, Some(TOKEN)).await, 202);
    // Never two jobs of one source at once.
    assert_eq!(post(&harvest, Some(TOKEN)).await, 409);
    let (_, sources) = get_json(&format!("{server}/api/sources")).await;
    assert_eq!(sources[0]["running"], true);

    let started = Instant::now();
    let job = loop {
        let (status, jobs) = get_json(&format!("{server}/api/sources/datasud/jobs")).await;
        assert_eq!(status, 200);
        if let Some(job) = jobs.as_array().unwrap().first()
            && job["status"] != "running"
        {
            break job.clone();
        }
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "the job never ended"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert_eq!(job["status"], "succeeded", "{job}");
    assert_eq!(job["counts"]["added"], 7);
    assert_eq!(job["counts"]["pages"], 3);
    let (status, detail) = get_json(&format!("{server}/api/jobs/{}", job["id"])).await;
    assert_eq!(status, 200);
    assert_eq!(detail["errors"], Value::Array(vec![]));
    assert_eq!(detail["source_id"], "datasud");
    let (status, problem) = get_json(&format!("{server}/api/jobs/999999")).await;
    assert_eq!((status, problem["status"].as_u64()), (404, Some(404)));
    // Once finished, the source can run again.
    tokio::time::sleep(Duration::from_millis(50)).await;
    assert_eq!(post(&harvest, Some(TOKEN)).await, 202);
}

#[tokio::test(flavor = "multi_thread")]
async fn write_endpoints_are_closed_without_a_configured_token() {
    let deployment = Deployment::new(
        &source_toml("a", "dcat", "http://127.0.0.1:9/c.ttl", ""),
        "",
    );
    let catalog = deployment.open().await;
    let server = deployment.serve(&catalog).await;
    assert_eq!(
        post(&format!("{server}/api/sources/a/harvest"), Some(TOKEN)).await,
        403
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_job_left_running_by_a_dead_process_is_abandoned() {
    let deployment = Deployment::new(
        &source_toml("a", "dcat", "http://127.0.0.1:9/c.ttl", ""),
        "",
    );
    {
        // A process registers the source, starts a job, and dies without finishing it.
        let catalog = deployment.open().await;
        catalog
            .register_source(&fedcat_catalog::NewSource {
                id: "a",
                title: "A",
                kind: "dcat",
                url: "http://127.0.0.1:9/c.ttl",
            })
            .await
            .unwrap();
        catalog.start_job("a").await.unwrap();
    }
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_fedcat"))
        .arg("--config")
        .arg(deployment.config_path())
        .arg("jobs")
        .output()
        .unwrap();
    let stdout = String::from_utf8(output.stdout).unwrap();
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert!(stdout.contains("abandoned"), "{stdout}");
    assert!(
        stderr.contains("1 job(s) left running by a stopped process"),
        "{stderr}"
    );
}

/// The OpenAPI description is generated from the REST handlers and their routes are registered
/// with it: every documented operation is routed (requested with placeholder parameters, it
/// never meets the router's bare 404 or a 405), the expected operations are all there, and
/// every error it answers is a problem whose code is in the code table, with no internal text.
#[tokio::test(flavor = "multi_thread")]
async fn every_documented_operation_is_routed_and_errors_come_from_the_code_table() {
    let deployment = Deployment::new(
        &source_toml("a", "dcat", "http://127.0.0.1:9/c.ttl", ""),
        &format!("[admin]\ntoken = \"{TOKEN}\"\n"),
    );
    let catalog = deployment.open().await;
    let app = fedcat::server::app(&catalog, &deployment.config, None, None);
    let server = crate::support::serve_router(app, deployment.config.server).await;
    let document = fedcat::openapi::document();
    assert_eq!(document["openapi"], "3.1.0");
    let codes: Vec<&str> = fedcat::http::ErrorCode::ALL
        .iter()
        .map(|code| code.code())
        .collect();
    let mut operations = Vec::new();
    for (path, item) in document["paths"].as_object().unwrap() {
        for method in ["get", "post", "put", "delete"] {
            let Some(operation) = item.get(method) else {
                continue;
            };
            assert!(
                operation["responses"]
                    .as_object()
                    .is_some_and(|r| !r.is_empty()),
                "{method} {path} documents no answer"
            );
            operations.push(format!("{method} {path}"));
            let url = format!(
                "{server}{}",
                path.replace("{source}", "a")
                    .replace("{key}", "some/key")
                    .replace("{id}", "1")
            );
            let response = reqwest::Client::new()
                .request(method.to_uppercase().parse().unwrap(), &url)
                .send()
                .await
                .unwrap();
            let status = response.status().as_u16();
            let content_type = response
                .headers()
                .get("content-type")
                .map(|v| v.to_str().unwrap().to_owned())
                .unwrap_or_default();
            let body = response.text().await.unwrap();
            assert_ne!(status, 405, "{method} {path} is not routed for {method}");
            if status >= 400 {
                assert!(
                    content_type.starts_with("application/problem+json"),
                    "{method} {path}: {status} {content_type} {body}"
                );
                let problem: Value = serde_json::from_str(&body).unwrap();
                let code = problem["code"].as_str().unwrap_or_default();
                assert!(codes.contains(&code), "{method} {path}: code {code:?}");
                assert_eq!(
                    problem["type"],
                    format!("https://w3id.org/fedcat/problems/{code}")
                );
                assert_eq!(problem["status"], status);
            }
        }
    }
    operations.sort();
    assert_eq!(
        operations,
        [
            "get /api/datasets",
            "get /api/datasets/{source}/{key}",
            "get /api/indicators",
            "get /api/jobs/{id}",
            "get /api/publishers",
            "get /api/sources",
            "get /api/sources/{id}/jobs",
            "post /api/sources/{id}/harvest",
        ]
    );
    // The admin route refuses before its handler runs, with the table's codes.
    let unauthorized = reqwest::Client::new()
        .post(format!("{server}/api/sources/a/harvest"))
        .send()
        .await
        .unwrap();
    assert_eq!(unauthorized.status(), 401);
    assert_eq!(
        unauthorized.headers().get("www-authenticate").unwrap(),
        "Bearer"
    );
    let problem: Value = serde_json::from_str(&unauthorized.text().await.unwrap()).unwrap();
    assert_eq!(problem["code"], "unauthorized");
    assert_eq!(
        post(&format!("{server}/api/sources/a/harvest"), Some(TOKEN)).await,
        503
    );
}
