//! A CKAN portal of generated packages for the scale benchmarks: the real recorded packages
//! (six CKAN fixtures of four portals) repeated under fresh package and resource ids, served
//! 1,000 per page by the e2e tests' fake portal in a child process (this same benchmark binary,
//! started with `FEDCAT_BENCH_PORTAL=<count>`), so the portal's memory is not counted as
//! fedcat's. The child reads commands on its standard input: `change <n>` edits `n` packages
//! spread over the whole listing (a new title and `metadata_modified`) and answers `changed`;
//! end of input stops it.
#![allow(dead_code)]

use super::fake_portal;
use serde_json::Value;
use std::io::{BufRead, BufReader, Write};
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};

const FIXTURES: [&str; 6] = [
    "ckan/extracted/datasud.fr_package_search_snapshot__00.json",
    "ckan/extracted/legado.dados.gov.br_vcr_catalog__00.json",
    "ckan/extracted/legado.dados.gov.br_vcr_search_or_query__00.json",
    "ckan/extracted/legado.dados.gov.br_vcr_read_packages_by_organization__00.json",
    "ckan/amsterdam-dcatd_demo.ckan.org_packages.json",
    "ckan/hdx_package_show_unesco-data-for-zimbabwe.json",
];

/// Real packages repeated with new package and resource ids until `count`.
pub fn packages(count: usize) -> Vec<Value> {
    let originals: Vec<Value> = FIXTURES
        .iter()
        .flat_map(|f| fake_portal::ckan_packages(f))
        .collect();
    (0..count)
        .map(|i| {
            let mut package = originals[i % originals.len()].clone();
            let id = format!("{}-{i}", package["id"].as_str().unwrap_or("p"));
            package["id"] = Value::String(id.clone());
            if let Some(resources) = package["resources"].as_array_mut() {
                for (r, resource) in resources.iter_mut().enumerate() {
                    resource["id"] = Value::String(format!("{id}-r{r}"));
                }
            }
            package
        })
        .collect()
}

/// When this process is the portal child: serves the packages until its input ends, then
/// returns `true` (the benchmark's `main` returns at once).
pub async fn serve_if_child() -> bool {
    let Some(count) = std::env::var("FEDCAT_BENCH_PORTAL")
        .ok()
        .and_then(|v| v.parse::<usize>().ok())
    else {
        return false;
    };
    let portal = fake_portal::FakePortal::start().await;
    let generated = packages(count);
    let ids: Vec<String> = generated
        .iter()
        .map(|p| p["id"].as_str().unwrap_or_default().to_owned())
        .collect();
    let url = portal.add_ckan("bench", generated);
    println!("{url}");
    let _ = tokio::task::spawn_blocking(move || {
        let mut round = 0;
        for line in std::io::stdin().lock().lines() {
            let Ok(line) = line else { break };
            if let Some(n) = line
                .strip_prefix("change ")
                .and_then(|n| n.parse::<usize>().ok())
            {
                round += 1;
                let step = (ids.len() / n.max(1)).max(1);
                for id in ids.iter().step_by(step).take(n) {
                    portal.edit_ckan_package("bench", id, |package| {
                        let title = package["title"].as_str().unwrap_or_default().to_owned();
                        package["title"] = Value::String(format!("{title} (révision {round})"));
                        package["metadata_modified"] =
                            Value::String(format!("2026-12-0{}T00:00:00", round.min(9)));
                    });
                }
                println!("changed");
            }
        }
    })
    .await;
    true
}

/// The portal child, seen from the benchmark.
pub struct PortalChild {
    child: Child,
    stdin: ChildStdin,
    stdout: BufReader<ChildStdout>,
    /// The CKAN API's base URL.
    pub url: String,
}

impl PortalChild {
    /// Starts the child serving `count` packages.
    pub fn start(count: usize) -> Self {
        let mut child = Command::new(std::env::current_exe().unwrap())
            .env("FEDCAT_BENCH_PORTAL", count.to_string())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        let stdin = child.stdin.take().unwrap();
        let mut stdout = BufReader::new(child.stdout.take().unwrap());
        let mut url = String::new();
        stdout.read_line(&mut url).unwrap();
        Self {
            child,
            stdin,
            stdout,
            url: url.trim().to_owned(),
        }
    }

    /// Edits `n` packages spread over the listing.
    pub fn change(&mut self, n: usize) {
        writeln!(self.stdin, "change {n}").unwrap();
        let mut answer = String::new();
        self.stdout.read_line(&mut answer).unwrap();
        assert_eq!(answer.trim(), "changed");
    }
}

impl Drop for PortalChild {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
