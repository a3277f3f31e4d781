//! Link checks and file downloads of a source's URLs, and the last check of every URL.

use super::*;
use crate::DomainError;
use fedcat_catalog::storage::{FileDownload, NewLinkCheck};

/// How many recent checks of a URL its availability (E6) is computed over.
pub const AVAILABILITY_CHECKS: u32 = 8;

/// The last check of every URL, with its availability over its recent checks.
pub async fn link_checks(catalog: &Catalog) -> Result<HashMap<String, LinkCheck>, DomainError> {
    let history = catalog
        .quality_state()
        .link_history(AVAILABILITY_CHECKS)
        .await?;
    let mut samples = catalog.quality_state().file_samples().await?;
    Ok(history
        .into_iter()
        .filter_map(|(url, checks)| {
            let last = checks.first()?.clone();
            let (head_status, status) = (last.head_status, last.status);
            let (content_type, content_length) = (last.content_type, last.content_length);
            let ok = checks
                .iter()
                .filter(|check| (200..300).contains(&check.status))
                .count();
            let file = samples.remove(&url).map(|(_, facts)| facts);
            Some((
                url,
                LinkCheck {
                    head_status,
                    status,
                    availability: Some((100 * ok / checks.len()) as u8),
                    content_type,
                    content_length,
                    file,
                },
            ))
        })
        .collect())
}

/// What one link-check run did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct LinkRun {
    /// URLs checked.
    pub checked: usize,
    /// Of those, answering 2xx.
    pub ok: usize,
    /// URLs checked recently, left alone.
    pub skipped: usize,
    /// Files downloaded (within the byte budget) for their format, syntax and digests.
    pub downloaded: usize,
}

/// The URLs of a source's records: every access, download and landing-page URL, and the file
/// URLs among them (a distribution's download URLs, or its access URLs when it has none).
fn source_urls(
    catalog: &Catalog,
    source: &str,
) -> Result<
    (
        std::collections::BTreeSet<String>,
        std::collections::BTreeSet<String>,
    ),
    DomainError,
> {
    const ACCESS: &str = "http://www.w3.org/ns/dcat#accessURL";
    const DOWNLOAD: &str = "http://www.w3.org/ns/dcat#downloadURL";
    const LANDING: &str = "http://www.w3.org/ns/dcat#landingPage";
    let records = crate::report::source_records(catalog.graphs(), catalog.iris(), source)?;
    let mut all = std::collections::BTreeSet::new();
    let mut files = std::collections::BTreeSet::new();
    for (_, triples) in records {
        let mut by_subject: HashMap<String, (Vec<String>, Vec<String>)> = HashMap::new();
        for triple in triples {
            let predicate = triple.predicate.as_str();
            if !matches!(predicate, ACCESS | DOWNLOAD | LANDING) {
                continue;
            }
            let url = match triple.object {
                Term::NamedNode(n) => n.into_string(),
                Term::Literal(l) => l.value().to_owned(),
                _ => continue,
            };
            all.insert(url.clone());
            let entry = by_subject.entry(triple.subject.to_string()).or_default();
            match predicate {
                ACCESS => entry.0.push(url),
                DOWNLOAD => entry.1.push(url),
                _ => {}
            }
        }
        for (access, download) in by_subject.into_values() {
            files.extend(if download.is_empty() {
                access
            } else {
                download
            });
        }
    }
    Ok((all, files))
}

/// Checks the access, download and landing-page URLs of `source`'s records not checked within
/// `recheck_after`, and records the results; with a byte budget, also downloads the files among
/// them that answered (their first bytes: format, syntax, digests). Keeps the last
/// [`AVAILABILITY_CHECKS`] checks of each URL.
#[expect(
    clippy::too_many_lines,
    reason = "one link-check run: the due URLs, bounded concurrent checks, file samples, each result recorded, the history pruned, with progress lines"
)]
pub async fn check_source_links(
    catalog: &Catalog,
    checker: &fedcat_harvester::linkcheck::LinkChecker,
    source: &str,
    recheck_after: chrono::Duration,
    download_budget: Option<u64>,
    progress: &(dyn Fn(&str) + Sync),
) -> Result<LinkRun, DomainError> {
    let (urls, files) = tokio::task::spawn_blocking({
        let catalog = catalog.clone();
        let source = source.to_owned();
        move || source_urls(&catalog, &source)
    })
    .await??;
    let history = catalog.quality_state().link_history(1).await?;
    let cutoff = chrono::Utc::now() - recheck_after;
    let due: Vec<String> = urls
        .iter()
        .filter(|u| {
            history
                .get(*u)
                .and_then(|c| c.first())
                .is_none_or(|check| check.checked_at < cutoff)
        })
        .cloned()
        .collect();
    let mut run = LinkRun {
        skipped: urls.len() - due.len(),
        ..LinkRun::default()
    };
    progress(&format!(
        "{source}: {} URL(s) to check, {} checked recently",
        due.len(),
        run.skipped
    ));
    use futures_util::StreamExt;
    let total = due.len();
    let mut results = futures_util::stream::iter(due)
        .map(|url| async move { checker.check(&url).await })
        .buffer_unordered(16);
    let mut answering_files = Vec::new();
    while let Some(result) = results.next().await {
        run.checked += 1;
        if (200..300).contains(&result.status) {
            run.ok += 1;
            if files.contains(&result.url) {
                answering_files.push(result.url.clone());
            }
        }
        let redirects = serde_json::to_string(&result.redirects).unwrap_or_default();
        catalog
            .quality_state()
            .record_link_check(&NewLinkCheck {
                url: &result.url,
                checked_at: chrono::Utc::now(),
                head_status: result.head_status,
                status: result.status,
                redirects: &redirects,
                content_type: result.content_type.as_deref(),
                content_length: result.content_length,
                error: result.error.as_deref(),
            })
            .await?;
        if run.checked.is_multiple_of(100) {
            progress(&format!(
                "{source}: {} of {total} URL(s) checked",
                run.checked
            ));
        }
    }
    drop(results);
    if let Some(budget) = download_budget {
        progress(&format!(
            "{source}: downloading {} file(s), at most {budget} bytes each",
            answering_files.len()
        ));
        let mut downloads = futures_util::stream::iter(answering_files)
            .map(|url| async move { checker.download(&url, budget).await })
            .buffer_unordered(4);
        while let Some(result) = downloads.next().await {
            let facts = result.sample.as_ref().map(|sample| FileFacts {
                bytes_read: sample.bytes_read,
                complete: sample.complete,
                sniffed: sample.sniffed.map(str::to_owned),
                syntax_valid: sample.syntax_valid,
                external_links: sample.external_links,
                digests: sample.digests.clone(),
            });
            let error = result
                .error
                .clone()
                .or_else(|| result.sample.as_ref().and_then(|s| s.syntax_error.clone()));
            catalog
                .quality_state()
                .record_file_sample(&FileDownload {
                    url: &result.url,
                    checked_at: chrono::Utc::now(),
                    status: result.status,
                    sample: facts.as_ref(),
                    error: error.as_deref(),
                })
                .await?;
            if facts.is_some() {
                run.downloaded += 1;
            }
        }
    }
    catalog
        .quality_state()
        .prune_link_checks(AVAILABILITY_CHECKS)
        .await?;
    Ok(run)
}
