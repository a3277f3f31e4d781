//! The `fedcat` command line (DESIGN.md, Contract): `check-config`, `harvest`, `serve`, `jobs`,
//! `report`.

use anyhow::{Context, Result, bail};
use clap::{Parser, Subcommand};
use fedcat::harvest::{claim_source, harvest_one, http_client, select_sources, summary_line};
use fedcat::{AppConfig, server};
use fedcat_catalog::{Catalog, JobStatus};
use fedcat_harvester::ProgressEvent;
use indicatif::{ProgressBar, ProgressStyle};
use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// Federated DCAT-AP catalogue: harvest producer portals, serve one catalogue over SPARQL.
#[derive(Parser)]
#[command(name = "fedcat", version, about)]
struct Cli {
    /// Configuration file.
    #[arg(
        long,
        global = true,
        env = "FEDCAT_CONFIG",
        default_value = "config/fedcat.toml"
    )]
    config: PathBuf,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Validate fedcat.toml and the sources file; print every problem.
    CheckConfig,
    /// Check the access and download URLs of the stored records (all sources unless --source),
    /// record the results, and take a new quality snapshot of each source.
    CheckLinks {
        /// Source id (repeatable).
        #[arg(long = "source", value_name = "ID")]
        sources: Vec<String>,
    },
    /// Harvest sources now (all enabled sources unless --source is given).
    Harvest {
        /// Source id to harvest (repeatable).
        #[arg(long = "source", value_name = "ID")]
        sources: Vec<String>,
        /// Read every page in full, without conditional requests (re-maps every record).
        #[arg(long)]
        full: bool,
        /// Apply deletions even past `[harvest] max_delete_share` (once, for this run).
        #[arg(long)]
        allow_mass_delete: bool,
    },
    /// Serve the catalogue (SPARQL, health), harvesting every enabled source at start.
    Serve,
    /// Rebuild the search index from the store.
    Reindex,
    /// List harvest jobs, newest first.
    Jobs {
        /// Only the jobs of this source.
        #[arg(long = "source", value_name = "ID")]
        source: Option<String>,
    },
    /// Print a report on the stored catalogue.
    Report {
        /// `mapping`: share of DCAT-AP properties and unmapped values per source.
        /// `duplicates`: clusters of the same dataset on several portals, with the evidence.
        /// `quality`: MQA and extended scores and openness indicators per source.
        kind: ReportKind,
        /// Only these sources (repeatable); default every configured source.
        #[arg(long = "source", value_name = "ID")]
        sources: Vec<String>,
    },
    /// Internal: evaluates one SPARQL query for `serve` in a process of its own (a job on
    /// standard input, the answer on standard output).
    #[command(hide = true, name = "sparql-worker")]
    SparqlWorker {
        /// The store's directory, opened read-only.
        #[arg(long)]
        store: PathBuf,
        /// Memory limit of this process (RLIMIT_DATA), in bytes.
        #[arg(long)]
        memory_bytes: u64,
        /// The process ends itself after this many milliseconds.
        #[arg(long)]
        timeout_millis: u64,
    },
}

#[derive(Clone, Copy, clap::ValueEnum)]
enum ReportKind {
    Mapping,
    Quality,
    Duplicates,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    if let Command::SparqlWorker {
        store,
        memory_bytes,
        timeout_millis,
    } = &cli.command
    {
        let args = fedcat_sparql::worker::WorkerArgs {
            store: store.clone(),
            memory_bytes: *memory_bytes,
            timeout: std::time::Duration::from_millis(*timeout_millis),
        };
        let code = fedcat_sparql::worker::run(args, Some(fedcat::web::sparql_page));
        return ExitCode::from(u8::try_from(code).unwrap_or(1));
    }
    let default_filter = match cli.command {
        Command::Serve => "info",
        // The harvest summary lists every failure; logs would repeat them.
        Command::Harvest { .. } => "error",
        _ => "warn",
    };
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default_filter)),
        )
        .with_writer(std::io::stderr)
        .init();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let outcome = runtime.block_on(run(cli));
    // Blocking tasks still running (a store scan of a request cut off by the shutdown) must not
    // hold the process: SIGTERM ends it within the grace period and this second.
    runtime.shutdown_timeout(std::time::Duration::from_secs(1));
    match outcome {
        Ok(code) => code,
        Err(error) => {
            eprintln!("error: {error:#}");
            ExitCode::FAILURE
        }
    }
}

fn load_config(path: &Path) -> Result<AppConfig> {
    AppConfig::load(path).map_err(|problems| {
        let lines: Vec<String> = problems.iter().map(|p| format!("  {p}")).collect();
        anyhow::anyhow!(
            "invalid configuration ({} problem(s)):\n{}",
            problems.len(),
            lines.join("\n")
        )
    })
}

#[expect(
    clippy::too_many_lines,
    reason = "the command-line dispatch: one arm per subcommand"
)]
async fn run(cli: Cli) -> Result<ExitCode> {
    match cli.command {
        Command::CheckConfig => match AppConfig::load(&cli.config) {
            Ok(config) => {
                let enabled = config.sources.sources.iter().filter(|s| s.enabled).count();
                println!(
                    "{}: OK — {} source(s), {} enabled; data in {}",
                    cli.config.display(),
                    config.sources.sources.len(),
                    enabled,
                    config.data_dir.display()
                );
                Ok(ExitCode::SUCCESS)
            }
            Err(problems) => {
                for problem in &problems {
                    eprintln!("{problem}");
                }
                eprintln!("{} problem(s) found", problems.len());
                Ok(ExitCode::FAILURE)
            }
        },
        Command::Harvest {
            sources,
            full,
            allow_mass_delete,
        } => {
            let config = load_config(&cli.config)?;
            let options = fedcat_harvester::HarvestOptions {
                allow_mass_delete,
                full,
                ..config.harvest
            };
            let catalog = open_catalog(&config).await?;
            let selected = select_sources(&config, &sources).map_err(anyhow::Error::msg)?;
            if selected.is_empty() {
                bail!("no source to harvest: every source is disabled in the sources file");
            }
            let client = http_client(&config)?;
            let mut failed_jobs = 0;
            let harvested: Vec<String> = selected.iter().map(|s| s.id.clone()).collect();
            for source in selected {
                let bar = progress_bar(&source.id);
                let on_progress = {
                    let bar = bar.clone();
                    // A bar on a terminal; plain lines in logs and pipes.
                    let interactive = std::io::stderr().is_terminal();
                    let source_id = source.id.clone();
                    move |event: ProgressEvent| match event {
                        ProgressEvent::Page {
                            url,
                            records,
                            total_hint,
                        } => {
                            if let Some(total) = total_hint {
                                bar.set_length(total);
                            }
                            bar.inc(records);
                            if !interactive {
                                eprintln!(
                                    "{source_id}: page read ({records} records, {} of {} so far): {url}",
                                    bar.position(),
                                    total_hint.map_or("?".into(), |t| t.to_string())
                                );
                            }
                        }
                        ProgressEvent::PageFailed { url, message } => {
                            bar.set_message(format!("page failed: {url}"));
                            if !interactive {
                                eprintln!("{source_id}: page failed: {message}");
                            }
                        }
                    }
                };
                let started = std::time::Instant::now();
                let Some(_claim) = claim_source(&catalog, &source.id).await? else {
                    bail!(
                        "harvest of {} not started: a job of this source is running in another \
                         process (fedcat serve?); run it again when that job has finished",
                        source.id
                    );
                };
                let report = harvest_one(
                    source,
                    &client,
                    &catalog,
                    &config.vocabularies,
                    &options,
                    &on_progress,
                )
                .await
                .with_context(|| format!("harvest of {} stopped", source.id))?;
                bar.finish_and_clear();
                println!("{}", summary_line(&report));
                if let Some(message) = &report.message {
                    println!("  {message}");
                }
                print_errors(&catalog, report.job_id).await?;
                eprintln!("  {}", fedcat::harvest::cost_line(started.elapsed()));
                if report.status == JobStatus::Failed {
                    failed_jobs += 1;
                }
            }
            // `serve` may hold the index: it repairs it from the store when it next starts.
            let index = fedcat_catalog::search::SearchIndex::open(
                &fedcat_domain::search_sync::index_dir(&config.domain()),
            );
            if let Err(error) = &index {
                eprintln!(
                    "search index not updated ({error}); `fedcat serve` or `fedcat reindex` will bring it up to date"
                );
            }
            // As before: a failed duplicate linking fails the command; a quality snapshot or
            // the search index that could not be updated is reported, and repaired later.
            let mut duplicates_failed = false;
            let mut step_started = std::time::Instant::now();
            fedcat_domain::pipeline::after_harvest(
                &config.domain(),
                &catalog,
                &harvested,
                index.as_ref().ok(),
                &|line| eprintln!("{line}"),
                &mut |step| {
                    if matches!(step, fedcat_domain::pipeline::Step::Duplicates(Err(_))) {
                        duplicates_failed = true;
                    }
                    if step.failed() {
                        eprintln!("{step}");
                    } else {
                        println!("{step}");
                    }
                    eprintln!("  {}", fedcat::harvest::cost_line(step_started.elapsed()));
                    step_started = std::time::Instant::now();
                },
            )
            .await;
            if duplicates_failed {
                return Ok(ExitCode::FAILURE);
            }
            if failed_jobs > 0 {
                eprintln!("{failed_jobs} job(s) failed");
                return Ok(ExitCode::FAILURE);
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Serve => {
            let mut config = load_config(&cli.config)?;
            // Each SPARQL query runs in a process of this same executable (`sparql-worker`);
            // `/proc/self/exe` still names it after the file was replaced by an upgrade.
            let own_executable = std::path::Path::new("/proc/self/exe");
            config.sparql_worker = Some(if own_executable.exists() {
                own_executable.to_owned()
            } else {
                std::env::current_exe().context("cannot find the fedcat executable")?
            });
            let catalog = open_catalog(&config).await?;
            let listener = tokio::net::TcpListener::bind(config.listen)
                .await
                .with_context(|| format!("cannot listen on {}", config.listen))?;
            let address = listener.local_addr()?;
            println!("fedcat listening on http://{address} (SPARQL at http://{address}/sparql)");
            let index = match fedcat_catalog::search::SearchIndex::open(
                &fedcat_domain::search_sync::index_dir(&config.domain()),
            ) {
                Ok(index) => Some(std::sync::Arc::new(index)),
                Err(error) => {
                    eprintln!("search disabled: {error}");
                    None
                }
            };
            let mut runner = fedcat::jobs::JobRunner::new(config.clone(), catalog.clone())?;
            if let Some(index) = &index {
                runner = runner.with_search(index.clone());
                runner.spawn_search_repair();
            }
            if config.harvest_on_start {
                runner.start_all().await;
            }
            runner.spawn_schedules();
            runner.spawn_link_checks();
            runner.spawn_error_pruning();
            server::serve(
                listener,
                server::app(&catalog, &config, Some(runner), index),
                config.server,
                server::shutdown_signal(),
            )
            .await
            .context("server failed")?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Reindex => {
            let config = load_config(&cli.config)?;
            let catalog = open_catalog(&config).await?;
            let index = fedcat_catalog::search::SearchIndex::open(
                &fedcat_domain::search_sync::index_dir(&config.domain()),
            )
            .context("cannot open the search index (is `fedcat serve` running?)")?;
            index.clear()?;
            let (written, _) =
                fedcat_domain::search_sync::sync_all(&config.domain(), &catalog, &index)
                    .await
                    .map_err(anyhow::Error::msg)
                    .context("reindex failed")?;
            println!("search index rebuilt: {written} dataset(s)");
            Ok(ExitCode::SUCCESS)
        }
        Command::Report { kind, sources } => {
            let config = load_config(&cli.config)?;
            let catalog = open_catalog(&config).await?;
            if let ReportKind::Duplicates = kind {
                let source = match sources.as_slice() {
                    [] => None,
                    [one] => Some(
                        select_sources(&config, std::slice::from_ref(one))
                            .map_err(anyhow::Error::msg)?[0]
                            .id
                            .as_str(),
                    ),
                    _ => bail!("`report duplicates` takes at most one --source"),
                };
                let clusters = catalog.duplicate_clusters(source).await?;
                print!(
                    "{}",
                    fedcat_domain::duplicates::render(&clusters, config.dedup_threshold)
                );
            } else {
                let links = fedcat_domain::quality::link_checks(&catalog)
                    .await
                    .map_err(anyhow::Error::msg)?;
                report(&config, &catalog, kind, &sources, &links).await?;
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::CheckLinks { sources } => {
            let config = load_config(&cli.config)?;
            let catalog = open_catalog(&config).await?;
            let selected = select_sources(&config, &sources).map_err(anyhow::Error::msg)?;
            let checker = fedcat_harvester::linkcheck::LinkChecker::new(config.linkcheck.clone())
                .map_err(anyhow::Error::msg)?;
            for source in selected {
                let run = fedcat_domain::quality::check_source_links(
                    &catalog,
                    &checker,
                    &source.id,
                    config.linkcheck_recheck_after,
                    config.download_max_bytes,
                    &|line| eprintln!("{line}"),
                )
                .await
                .map_err(anyhow::Error::msg)
                .with_context(|| format!("link check of {}", source.id))?;
                let downloaded = match config.download_max_bytes {
                    Some(_) => format!("; {} file(s) downloaded", run.downloaded),
                    None => String::new(),
                };
                println!(
                    "{}: checked {} URL(s), {} answering 2xx, {} not answering; {} checked recently{downloaded}",
                    source.id,
                    run.checked,
                    run.ok,
                    run.checked - run.ok,
                    run.skipped
                );
                let snapshot =
                    fedcat_domain::quality::snapshot_source(&config.domain(), &catalog, &source.id)
                        .await
                        .map_err(anyhow::Error::msg)?;
                println!(
                    "{}",
                    fedcat_domain::quality::summary_line(&source.id, &snapshot)
                );
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::SparqlWorker { .. } => unreachable!("handled before the runtime starts"),
        Command::Jobs { source } => {
            let config = load_config(&cli.config)?;
            let catalog = open_catalog(&config).await?;
            let jobs = catalog.jobs().jobs(source.as_deref(), 50).await?;
            if jobs.is_empty() {
                println!("no harvest job yet");
            }
            for job in jobs {
                let c = job.counts;
                println!(
                    "job {:>5}  {:<12} {:<10} {}  pages {}{} added {} updated {} unchanged {} deleted {} failed {}{}{}",
                    job.id,
                    job.source_id,
                    job.status,
                    fedcat_catalog::storage::time_text(&job.started_at),
                    c.pages,
                    fedcat::harvest::not_modified(c.not_modified_pages),
                    c.added,
                    c.updated,
                    c.unchanged,
                    c.deleted,
                    c.failed,
                    fedcat::harvest::repairs(&c),
                    job.message.map(|m| format!("  — {m}")).unwrap_or_default()
                );
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}

async fn report(
    config: &AppConfig,
    catalog: &Catalog,
    kind: ReportKind,
    ids: &[String],
    links: &std::collections::HashMap<String, fedcat_catalog::quality::measure::LinkCheck>,
) -> Result<()> {
    match kind {
        ReportKind::Mapping => {}
        ReportKind::Quality => {}
        ReportKind::Duplicates => unreachable!("handled by the caller"),
    }
    let selected: Vec<&str> = if ids.is_empty() {
        config
            .sources
            .sources
            .iter()
            .map(|s| s.id.as_str())
            .collect()
    } else {
        select_sources(config, ids)
            .map_err(anyhow::Error::msg)?
            .into_iter()
            .map(|s| s.id.as_str())
            .collect()
    };
    let shapes =
        fedcat_domain::quality::ShapeSets::load(&config.domain()).map_err(anyhow::Error::msg)?;
    let facts = fedcat_domain::quality::facts(&config.vocabularies);
    let today = chrono::Utc::now().date_naive();

    for source in selected {
        if let ReportKind::Quality = kind {
            let assessor = fedcat_domain::quality::Assessor {
                facts: &facts,
                shapes: &shapes,
                table: &config.score_table,
                links,
                today,
                strict_head: config.strict_head,
            };
            let assessments = fedcat_domain::quality::assess_source(
                catalog.graphs(),
                catalog.iris(),
                source,
                &assessor,
            )
            .map_err(anyhow::Error::msg)
            .with_context(|| format!("quality report of {source}"))?;
            let indicators = fedcat_domain::quality::indicators(&assessments);
            println!("{}", fedcat_domain::quality::render(source, &indicators));
            continue;
        }
        let mut mapping = fedcat_domain::report::source_mapping(
            catalog.graphs(),
            catalog.iris(),
            source,
            shapes.core.as_ref(),
        )
        .map_err(anyhow::Error::msg)
        .with_context(|| format!("mapping report of {source}"))?;
        mapping.repairs = catalog.records().repair_counts(source, 20).await?;
        println!("{}", fedcat_domain::report::render(&mapping, 10));
    }
    Ok(())
}

async fn open_catalog(config: &AppConfig) -> Result<Catalog> {
    let catalog = Catalog::open(&config.data_dir, &config.base_iri)
        .await
        .with_context(|| format!("cannot open the catalogue in {}", config.data_dir.display()))?;
    let pruned = catalog
        .jobs()
        .prune_job_errors(config.keep_errors_days)
        .await?;
    if pruned > 0 {
        tracing::info!(
            "{pruned} job error(s) older than {} days deleted",
            config.keep_errors_days
        );
    }
    let abandoned = catalog.jobs().abandon_running_jobs().await?;
    if abandoned > 0 {
        eprintln!(
            "note: {abandoned} job(s) left running by a stopped process were marked abandoned"
        );
    }
    Ok(catalog)
}

fn progress_bar(source_id: &str) -> ProgressBar {
    let bar = ProgressBar::new(0);
    bar.set_style(
        ProgressStyle::with_template("{prefix:>12} [{bar:30}] {pos}/{len} records {per_sec} {msg}")
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            .progress_chars("=> "),
    );
    bar.set_prefix(source_id.to_owned());
    bar
}

async fn print_errors(catalog: &Catalog, job_id: i64) -> Result<()> {
    const SHOWN: usize = 10;
    let mut errors = catalog.jobs().job_errors(job_id).await?;
    // Failures first; a dropped value (its record kept) is a warning.
    errors.sort_by_key(|e| e.kind == "value");
    for error in errors.iter().take(SHOWN) {
        // Messages usually name their URL already; the place is added only when they do not.
        let place = match (&error.record_key, &error.url) {
            (Some(key), Some(url)) => format!("record {key} on {url}: "),
            (None, Some(url)) if !error.message.contains(url.as_str()) => format!("{url}: "),
            (Some(key), None) => format!("record {key}: "),
            _ => String::new(),
        };
        let label = match error.kind.as_str() {
            "value" => "warning".to_owned(),
            kind => format!("{kind} error"),
        };
        println!("  {label}: {place}{}", error.message);
        // The operator sees what the portal answered (the public pages do not).
        if let Some(detail) = &error.detail {
            println!("    body starts with: {detail:?}");
        }
    }
    if errors.len() > SHOWN {
        println!("  … and {} more (see `fedcat jobs`)", errors.len() - SHOWN);
    }
    Ok(())
}
