//! The query worker process (`fedcat sparql-worker`): reads one [`QueryJob`] as JSON on its
//! standard input, opens the store read-only, evaluates, and writes the answer's head as one
//! JSON line and then its body on standard output.
//!
//! Once the store is open, it limits itself before touching the query: its data segment and
//! anonymous mappings (`RLIMIT_DATA`) to what it uses then plus the query's memory budget, so an
//! evaluation that grows past the budget fails an allocation and the process ends; a watchdog
//! thread ends it at its deadline or as soon as the server that started it is gone.

use crate::evaluate::{QueryJob, Reply, STORE_CHANGED, evaluate};
use crate::executor::{QUERY_STACK_BYTES, WORKER_TIMED_OUT};
use crate::protocol::HtmlPage;
use fedcat_catalog::storage::OxigraphStore;
use oxigraph::sparql::CancellationToken;
use std::io::{Read, Write};
use std::path::PathBuf;
use std::time::{Duration, Instant};

/// Most bytes of a job accepted on standard input.
const MAX_JOB_BYTES: u64 = 16 << 20;

/// The worker's arguments.
#[derive(Debug, Clone)]
pub struct WorkerArgs {
    /// The store's directory (opened read-only).
    pub store: PathBuf,
    /// Memory the query may use beyond the opened store (`RLIMIT_DATA` is set to what the
    /// process uses once the store is open plus this).
    pub memory_bytes: u64,
    /// The process ends itself after this long.
    pub timeout: Duration,
}

/// Runs one job; the return value is the process's exit code.
pub fn run(args: WorkerArgs, html_page: Option<HtmlPage>) -> i32 {
    spawn_watchdog(args.timeout);
    let mut input = Vec::new();
    if let Err(e) = std::io::stdin().take(MAX_JOB_BYTES).read_to_end(&mut input) {
        eprintln!("sparql-worker: cannot read the job: {e}");
        return 1;
    }
    let job: QueryJob = match serde_json::from_slice(&input) {
        Ok(job) => job,
        Err(e) => {
            eprintln!("sparql-worker: invalid job: {e}");
            return 1;
        }
    };
    let reply = evaluate_on_a_fresh_view(&args.store, job, html_page, args.memory_bytes);
    match write_reply(&reply) {
        Ok(()) => 0,
        Err(e) => {
            eprintln!("sparql-worker: cannot write the answer: {e}");
            1
        }
    }
}

/// How often the store is opened again when the server's compaction removed a file the
/// read-only view was opening or reading (RocksDB's read-only mode does not pin files).
const OPEN_ATTEMPTS: u32 = 12;

/// Opens a read-only view and evaluates, again on a new view when the writer's compaction
/// removed a file under the previous one.
fn evaluate_on_a_fresh_view(
    path: &std::path::Path,
    job: QueryJob,
    html_page: Option<HtmlPage>,
    budget: u64,
) -> Reply {
    let mut last = Reply::text(503, "the store cannot be read now");
    for attempt in 0..OPEN_ATTEMPTS {
        if attempt > 0 {
            // 40 ms, doubling up to half a second: about 4 s in all, longer than a compaction
            // of a catalogue's store takes to replace its files.
            std::thread::sleep(Duration::from_millis((20u64 << attempt.min(5)).min(500)));
            // A new view allocates its own caches: open it without the previous limit, which
            // was measured with the previous view (it failed RocksDB's allocations under load).
            if let Err(e) = lift_memory_limit() {
                eprintln!("sparql-worker: cannot lift the memory limit: {e}");
                return Reply::text(500, "query evaluation failed");
            }
        }
        match OxigraphStore::open_read_only(path) {
            Ok(store) => {
                if let Err(e) = limit_memory(budget) {
                    eprintln!("sparql-worker: cannot set the memory limit: {e}");
                    return Reply::text(500, "query evaluation failed");
                }
                let reply = evaluate_with_stack(store, job.clone(), html_page);
                if reply.body != STORE_CHANGED.as_bytes() {
                    return reply;
                }
                last = reply;
            }
            Err(e) => {
                eprintln!("sparql-worker: cannot open the store (attempt {attempt}): {e}");
            }
        }
    }
    last
}

/// Limits the process's data segment and anonymous mappings (`RLIMIT_DATA`) to what it uses
/// now — the program and the opened store, whose cache and threads RocksDB reserves at open —
/// plus the query thread's stack and `budget`: the memory the query itself may use.
fn limit_memory(budget: u64) -> std::io::Result<()> {
    let in_use = std::fs::read_to_string("/proc/self/status")?
        .lines()
        .find_map(|line| line.strip_prefix("VmData:"))
        .and_then(|kib| kib.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        .map_or(0, |kib| kib * 1024);
    let limit = in_use + QUERY_STACK_BYTES as u64 + budget;
    // Only the soft limit: the hard one stays, so that a retry can lift it to open a new view
    // (the worker runs nothing but the query, which cannot raise it).
    let (_, hard) = rlimit::getrlimit(rlimit::Resource::DATA)?;
    rlimit::setrlimit(rlimit::Resource::DATA, limit.min(hard), hard)
}

/// Lifts the soft limit to the hard one, before a new view of the store is opened.
fn lift_memory_limit() -> std::io::Result<()> {
    let (_, hard) = rlimit::getrlimit(rlimit::Resource::DATA)?;
    rlimit::setrlimit(rlimit::Resource::DATA, hard, hard)
}

/// Evaluates on a thread with the same known stack as in-process evaluation.
fn evaluate_with_stack(store: OxigraphStore, job: QueryJob, html_page: Option<HtmlPage>) -> Reply {
    let spawned = std::thread::Builder::new()
        .name("sparql-query".into())
        .stack_size(QUERY_STACK_BYTES)
        .spawn(move || evaluate(&store, job, CancellationToken::new(), html_page));
    match spawned.map(std::thread::JoinHandle::join) {
        Ok(Ok(reply)) => reply,
        _ => Reply::text(500, "query evaluation failed"),
    }
}

fn write_reply(reply: &Reply) -> std::io::Result<()> {
    let mut out = std::io::stdout().lock();
    serde_json::to_writer(&mut out, &reply.head)?;
    out.write_all(b"\n")?;
    out.write_all(&reply.body)?;
    out.flush()
}

/// Ends the process at its deadline, or when its parent (the server) is gone.
fn spawn_watchdog(timeout: Duration) {
    let deadline = Instant::now() + timeout;
    let parent = std::os::unix::process::parent_id();
    let _ = std::thread::Builder::new()
        .name("sparql-watchdog".into())
        .stack_size(64 << 10)
        .spawn(move || {
            loop {
                std::thread::sleep(Duration::from_millis(200));
                if Instant::now() >= deadline {
                    std::process::exit(WORKER_TIMED_OUT);
                }
                if std::os::unix::process::parent_id() != parent {
                    std::process::exit(WORKER_TIMED_OUT);
                }
            }
        });
}
