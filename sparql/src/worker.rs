//! The query worker process (`fedcat sparql-worker`): reads one [`QueryJob`] as JSON on its
//! standard input, opens the store read-only, evaluates, and writes the answer's head as one
//! JSON line and then its body on standard output.
//!
//! It limits itself before touching the query: its data segment and anonymous mappings
//! (`RLIMIT_DATA`) to the query's memory budget, so an evaluation that grows past it fails an
//! allocation and the process ends; a watchdog thread ends it at its deadline or as soon as the
//! server that started it is gone.

use crate::evaluate::{QueryJob, Reply, evaluate};
use crate::executor::{QUERY_STACK_BYTES, WORKER_TIMED_OUT};
use crate::protocol::HtmlPage;
use oxigraph::sparql::CancellationToken;
use oxigraph::store::Store;
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
    /// `RLIMIT_DATA` of this process.
    pub memory_bytes: u64,
    /// The process ends itself after this long.
    pub timeout: Duration,
}

/// Runs one job; the return value is the process's exit code.
pub fn run(args: WorkerArgs, html_page: Option<HtmlPage>) -> i32 {
    if let Err(e) = rlimit::setrlimit(rlimit::Resource::DATA, args.memory_bytes, args.memory_bytes)
    {
        eprintln!("sparql-worker: cannot set the memory limit: {e}");
        return 1;
    }
    spawn_watchdog(args.timeout);
    let mut input = Vec::new();
    if let Err(e) = std::io::stdin()
        .take(MAX_JOB_BYTES)
        .read_to_end(&mut input)
    {
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
    let reply = match Store::open_read_only(&args.store) {
        Ok(store) => evaluate_with_stack(store, job, html_page),
        Err(e) => {
            eprintln!("sparql-worker: cannot open the store: {e}");
            Reply::text(503, "the store cannot be read now")
        }
    };
    match write_reply(&reply) {
        Ok(()) => 0,
        Err(e) => {
            eprintln!("sparql-worker: cannot write the answer: {e}");
            1
        }
    }
}

/// Evaluates on a thread with the same known stack as in-process evaluation.
fn evaluate_with_stack(store: Store, job: QueryJob, html_page: Option<HtmlPage>) -> Reply {
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
