//! Where and how a query runs, so that no query can take the server down with it.
//!
//! Oxigraph checks its cancellation token only where it reads the store: a cross join of
//! materialised results, a sort or a property-path closure can go on computing, and growing,
//! long after the token fired. So a query on a store on disk runs in its own process
//! (`fedcat sparql-worker`) with a memory limit set on that process; at the time limit the
//! process is killed, which stops its work at once and gives its memory back. A stack overflow
//! or an allocation failure kills only that process.
//!
//! A worker never opens the live store: RocksDB leaves reading a database that another process
//! writes undefined (seen here as queries that looped or allocated without end right after a
//! harvest). It opens a *view*: a checkpoint of the store (hard links to its immutable files)
//! taken by this process when a query comes and the store has changed since the last view, so a
//! query sees every write committed before it; the queries that follow share the view until the
//! store changes again. A view's directory is removed when its last query ends.
//!
//! In-memory stores (tests, benchmarks) cannot be shared with another process: their queries run
//! on a thread of this process with a known stack size and the cancellation token.
//!
//! Either way, at most `max_concurrent` queries run at once and at most `max_queued` wait;
//! more are refused with 503 at once.

use crate::evaluate::{QueryJob, Reply, evaluate, timed_out};
use crate::protocol::HtmlPage;
use fedcat_catalog::GraphStore;
use oxigraph::sparql::CancellationToken;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tokio::time::Instant;

/// Stack of the threads that parse and evaluate in-process. Oxigraph recurses once per
/// nested group; with the nesting limit (at most a few hundred) this leaves a wide margin.
pub const QUERY_STACK_BYTES: usize = 32 << 20;

/// The subcommand of the worker executable.
pub const WORKER_SUBCOMMAND: &str = "sparql-worker";

/// Limits of query evaluation.
#[derive(Debug, Clone, Copy)]
pub struct QueryLimits {
    /// Wall-clock limit of one query, waiting time included.
    pub timeout: Duration,
    /// Queries evaluated at once.
    pub max_concurrent: usize,
    /// Queries waiting for a slot; more are refused.
    pub max_queued: usize,
    /// Memory of one worker process (heap and anonymous mappings), in bytes.
    pub max_memory_bytes: u64,
    /// Deepest nesting of `{}`, `()` and `[]` accepted.
    pub max_nesting: usize,
}

impl Default for QueryLimits {
    fn default() -> Self {
        Self {
            timeout: Duration::from_secs(30),
            max_concurrent: 2,
            max_queued: 32,
            max_memory_bytes: 512 << 20,
            max_nesting: 64,
        }
    }
}

/// A checkpoint of the store that workers open read-only; its directory goes with it.
struct View {
    dir: PathBuf,
    generation: u64,
}

impl Drop for View {
    fn drop(&mut self) {
        if let Err(error) = std::fs::remove_dir_all(&self.dir) {
            tracing::warn!(dir = %self.dir.display(), %error, "a SPARQL view was not removed");
        }
    }
}

/// The folder `dir` is in.
fn root_of(dir: &Path) -> &Path {
    dir.parent().unwrap_or(dir)
}

/// Where the views of the store in `store_path` are taken: beside it, on the same file
/// system (so that a checkpoint is hard links).
fn views_dir(store_path: &Path) -> PathBuf {
    let mut name = store_path
        .file_name()
        .map(std::ffi::OsStr::to_os_string)
        .unwrap_or_default();
    name.push("-views");
    store_path.with_file_name(name)
}

/// Executors started by this process, to name their views' folders.
static EXECUTORS: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

/// Removes the views' folders (`{pid}-{n}`) of processes that no longer run: a server killed
/// before it removed its views.
fn remove_dead_views(views: &Path) {
    let Ok(entries) = std::fs::read_dir(views) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let pid = name.to_string_lossy().split('-').next().map(str::to_owned);
        let alive = pid.is_some_and(|pid| Path::new(&format!("/proc/{pid}")).exists());
        if !alive && let Err(error) = std::fs::remove_dir_all(entry.path()) {
            tracing::warn!(dir = %entry.path().display(), %error, "old SPARQL views not removed");
        }
    }
}

/// Runs queries under the limits.
pub(crate) struct Executor {
    store: Arc<dyn GraphStore>,
    /// This executor's folder of views (`None`: queries run in-process).
    views_root: Option<PathBuf>,
    /// The newest view, shared by the queries that start while it is fresh.
    view: tokio::sync::Mutex<Option<Arc<View>>>,
    views_taken: std::sync::atomic::AtomicU64,
    worker: Option<PathBuf>,
    limits: QueryLimits,
    html_page: Option<HtmlPage>,
    slots: Arc<Semaphore>,
    waiting: AtomicUsize,
}

impl Executor {
    pub(crate) fn new(
        store: Arc<dyn GraphStore>,
        worker: Option<PathBuf>,
        limits: QueryLimits,
        html_page: Option<HtmlPage>,
    ) -> Self {
        // Each executor takes its views in a folder of its own (several may serve one store in
        // a process: tests); the folders of processes that are gone are removed.
        let views_root = match (&worker, store.path()) {
            (Some(_), Some(path)) => {
                remove_dead_views(&views_dir(path));
                let executor = EXECUTORS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                Some(views_dir(path).join(format!("{}-{executor}", std::process::id())))
            }
            _ => None,
        };
        Self {
            views_root,
            slots: Arc::new(Semaphore::new(limits.max_concurrent.max(1))),
            waiting: AtomicUsize::new(0),
            view: tokio::sync::Mutex::new(None),
            views_taken: std::sync::atomic::AtomicU64::new(0),
            store,
            worker,
            limits,
            html_page,
        }
    }

    pub(crate) fn limits(&self) -> &QueryLimits {
        &self.limits
    }

    /// Evaluates `job` within the limits.
    pub(crate) async fn run(&self, job: QueryJob) -> Reply {
        let deadline = Instant::now() + self.limits.timeout;
        let permit = match self.admit(deadline).await {
            Ok(permit) => permit,
            Err(reply) => return reply,
        };
        match (&self.worker, self.store.path()) {
            (Some(program), Some(_)) => {
                let view = match self.fresh_view().await {
                    Ok(view) => view,
                    Err(reply) => return reply,
                };
                let worker = Worker {
                    program: program.clone(),
                    store_path: view.dir.clone(),
                    memory_bytes: self.limits.max_memory_bytes,
                };
                // The permit is released after the process was reaped (or, when the client went
                // away, once it was sent SIGKILL: `kill_on_drop`); the view after that.
                let reply = worker.run(job, deadline, self.limits.timeout).await;
                drop(view);
                reply
            }
            _ => self.run_in_process(job, deadline, permit).await,
        }
    }

    /// The view a worker opens: the newest one while it holds the store's content, else a new
    /// checkpoint.
    async fn fresh_view(&self) -> Result<Arc<View>, Reply> {
        let Some(root) = &self.views_root else {
            return Err(Reply::text(503, "the store cannot be read now"));
        };
        let mut newest = self.view.lock().await;
        let generation = self.store.generation();
        if let Some(view) = newest.as_ref()
            && view.generation == generation
        {
            return Ok(view.clone());
        }
        let number = self
            .views_taken
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let dir = root.join(number.to_string());
        let store = self.store.clone();
        // The view is made by the blocking task itself: if this request is dropped meanwhile,
        // the task's result — the view — is dropped too, and its folder with it.
        let taken = tokio::task::spawn_blocking(move || {
            std::fs::create_dir_all(root_of(&dir)).map_err(|source| {
                fedcat_catalog::CatalogError::DataDir {
                    path: dir.clone(),
                    source,
                }
            })?;
            match store.checkpoint(&dir) {
                Ok(()) => Ok(Arc::new(View { dir, generation })),
                Err(error) => {
                    let _ = std::fs::remove_dir_all(&dir);
                    Err(error)
                }
            }
        })
        .await;
        match taken {
            Ok(Ok(view)) => {
                *newest = Some(view.clone());
                Ok(view)
            }
            Ok(Err(error)) => {
                tracing::error!(%error, "cannot take a view of the store");
                Err(Reply::text(503, "the store cannot be read now"))
            }
            Err(error) => {
                tracing::error!(%error, "the view task failed");
                Err(Reply::text(503, "the store cannot be read now"))
            }
        }
    }

    /// A slot, at once or after waiting in the queue until `deadline`.
    async fn admit(&self, deadline: Instant) -> Result<OwnedSemaphorePermit, Reply> {
        if let Ok(permit) = self.slots.clone().try_acquire_owned() {
            return Ok(permit);
        }
        let waiting = Waiting::enter(&self.waiting);
        if waiting.ahead >= self.limits.max_queued {
            return Err(Reply::text(
                503,
                format!(
                    "too many queries: {} running and {} waiting (sparql.max_concurrent_queries, \
                     sparql.max_queued_queries); try again later",
                    self.limits.max_concurrent, self.limits.max_queued
                ),
            ));
        }
        let acquired = tokio::time::timeout_at(deadline, self.slots.clone().acquire_owned()).await;
        drop(waiting);
        match acquired {
            Ok(Ok(permit)) => Ok(permit),
            _ => Err(timed_out(self.limits.timeout.as_secs_f64())),
        }
    }

    /// On a thread of this process with a known stack; the slot is held until the thread ends,
    /// so a query that ignores its cancellation still counts against the limit.
    async fn run_in_process(
        &self,
        job: QueryJob,
        deadline: Instant,
        permit: OwnedSemaphorePermit,
    ) -> Reply {
        let token = CancellationToken::new();
        let _cancel = CancelOnDrop(token.clone());
        let (sender, receiver) = tokio::sync::oneshot::channel();
        let store = self.store.clone();
        let html_page = self.html_page;
        let thread_token = token.clone();
        let spawned = std::thread::Builder::new()
            .name("sparql-query".into())
            .stack_size(QUERY_STACK_BYTES)
            .spawn(move || {
                let reply = evaluate(&*store, job, thread_token, html_page);
                drop(permit);
                let _ = sender.send(reply);
            });
        if let Err(e) = spawned {
            tracing::error!(error = %e, "cannot start a query thread");
            return Reply::text(503, "the server cannot start a query now");
        }
        match tokio::time::timeout_at(deadline, receiver).await {
            Ok(Ok(reply)) => reply,
            Ok(Err(_)) => Reply::text(500, "query evaluation failed"),
            Err(_) => timed_out(self.limits.timeout.as_secs_f64()),
        }
    }
}

/// A place in the queue, left when dropped — also when the client goes away and the handler
/// is dropped while it waits.
struct Waiting<'a> {
    counter: &'a AtomicUsize,
    /// How many were waiting before this one.
    ahead: usize,
}

impl<'a> Waiting<'a> {
    fn enter(counter: &'a AtomicUsize) -> Self {
        let ahead = counter.fetch_add(1, Ordering::SeqCst);
        Self { counter, ahead }
    }
}

impl Drop for Waiting<'_> {
    fn drop(&mut self) {
        self.counter.fetch_sub(1, Ordering::SeqCst);
    }
}

/// Cancels an in-process evaluation when dropped: at the time limit, and when the client goes
/// away and the handler is dropped.
struct CancelOnDrop(CancellationToken);

impl Drop for CancelOnDrop {
    fn drop(&mut self) {
        self.0.cancel();
    }
}

/// One query in a `fedcat sparql-worker` process.
struct Worker {
    program: PathBuf,
    store_path: PathBuf,
    memory_bytes: u64,
}

/// Most bytes of a worker's standard error kept (its last words when it dies).
const STDERR_BYTES: u64 = 16 << 10;

impl Worker {
    async fn run(self, job: QueryJob, deadline: Instant, timeout: Duration) -> Reply {
        let remaining = deadline.saturating_duration_since(Instant::now());
        let mut child = match tokio::process::Command::new(&self.program)
            .arg(WORKER_SUBCOMMAND)
            .arg("--store")
            .arg(&self.store_path)
            .arg("--memory-bytes")
            .arg(self.memory_bytes.to_string())
            // The worker stops itself too, a little after the server gives up on it.
            .arg("--timeout-millis")
            .arg((remaining.as_millis() as u64 + 1000).to_string())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
        {
            Ok(child) => child,
            Err(e) => {
                tracing::error!(error = %e, program = %self.program.display(), "cannot start a SPARQL worker");
                return Reply::text(503, "the server cannot start a query now");
            }
        };
        let (Some(mut stdin), Some(stdout), Some(stderr)) =
            (child.stdin.take(), child.stdout.take(), child.stderr.take())
        else {
            return Reply::text(500, "query evaluation failed");
        };
        let Ok(request) = serde_json::to_vec(&job) else {
            return Reply::text(500, "query evaluation failed");
        };
        // The answer can be no larger than the memory the worker may use to build it.
        let answer_cap = self.memory_bytes;
        let exchange = async {
            stdin.write_all(&request).await?;
            drop(stdin);
            let mut answer = Vec::new();
            let mut last_words = Vec::new();
            let mut stdout = stdout.take(answer_cap + 1);
            let mut stderr = stderr.take(STDERR_BYTES);
            let (read_answer, read_stderr) = tokio::join!(
                stdout.read_to_end(&mut answer),
                stderr.read_to_end(&mut last_words),
            );
            read_answer?;
            read_stderr?;
            if answer.len() as u64 > answer_cap {
                // The worker may be blocked writing the rest: stop it.
                let _ = child.start_kill();
            }
            let status = child.wait().await?;
            Ok::<_, std::io::Error>((status, answer, last_words))
        };
        let outcome = tokio::time::timeout_at(deadline, exchange).await;
        match outcome {
            Err(_) => {
                let _ = child.start_kill();
                let _ = child.wait().await;
                timed_out(timeout.as_secs_f64())
            }
            Ok(Err(e)) => {
                let _ = child.start_kill();
                let _ = child.wait().await;
                tracing::warn!(error = %e, "SPARQL worker exchange failed");
                Reply::text(500, "query evaluation failed")
            }
            Ok(Ok((status, answer, last_words))) => {
                if answer.len() as u64 > answer_cap {
                    return self.memory_exceeded();
                }
                match split_answer(answer) {
                    Some(reply) => reply,
                    None => self.died(status, &last_words),
                }
            }
        }
    }

    fn memory_exceeded(&self) -> Reply {
        Reply::text(
            503,
            format!(
                "query stopped: it needed more than the memory limit of {} MiB (sparql.max_query_memory_mb)",
                self.memory_bytes >> 20
            ),
        )
    }

    /// The answer of a worker that ended without writing one.
    fn died(&self, status: std::process::ExitStatus, last_words: &[u8]) -> Reply {
        let last_words = String::from_utf8_lossy(last_words);
        if last_words.contains("memory allocation")
            || last_words.contains("out of memory")
            || last_words.contains("bad_alloc")
            || last_words.contains("HyperClockCache failed")
        {
            tracing::warn!(stderr = %last_words, "SPARQL worker ran out of its memory budget");
            return self.memory_exceeded();
        }
        if last_words.contains("overflowed its stack") {
            return Reply::text(
                400,
                "the query is nested too deeply to be evaluated (sparql.max_nesting)",
            );
        }
        if status.code() == Some(WORKER_TIMED_OUT) {
            return Reply::text(
                503,
                "query stopped: it ran longer than its time limit (sparql.timeout_secs)",
            );
        }
        tracing::error!(%status, stderr = %last_words, "SPARQL worker died");
        Reply::text(500, "query evaluation failed")
    }
}

/// The exit code of a worker that stopped itself at its own deadline.
pub const WORKER_TIMED_OUT: i32 = 3;

/// A worker's output: one JSON line (the head), then the body.
fn split_answer(mut answer: Vec<u8>) -> Option<Reply> {
    let newline = answer.iter().position(|&b| b == b'\n')?;
    let body = answer.split_off(newline + 1);
    let head = serde_json::from_slice(&answer[..newline]).ok()?;
    Some(Reply { head, body })
}
