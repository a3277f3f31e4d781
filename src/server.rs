//! The HTTP server: `/health`, the SPARQL endpoint, the APIs and the pages ([`app`]); the layers
//! every response passes through — body limit, panics caught, security headers, tracing
//! ([`harden`]); and the accept loop that serves them ([`serve`]): header and idle timeouts, a
//! connection cap, the client address for handlers, and a graceful shutdown bounded in time on
//! Ctrl-C or SIGTERM ([`shutdown_signal`]).

use crate::AppConfig;
use crate::config::ServerLimits;
use crate::http::{ApiError, AppState, ErrorCode};
use crate::jobs::JobRunner;
use axum::Router;
use axum::extract::{ConnectInfo, State};
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::response::IntoResponse;
use axum::routing::get;
use fedcat_catalog::Catalog;
use fedcat_sparql::SparqlConfig;
use hyper_util::rt::{TokioIo, TokioTimer};
use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::task::{Context, Poll};
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;
use tokio::sync::{OwnedSemaphorePermit, Semaphore, watch};
use tokio::task::JoinSet;
use tower_http::cors::{Any, CorsLayer};
use tower_http::set_header::SetResponseHeaderLayer;

/// The Content-Security-Policy of every response: the pages have no script, style only from
/// their own `<style>` blocks and attributes, no frame may embed them, and forms post only here.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'none'; style-src 'self' 'unsafe-inline'; \
     img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

/// The application's routes; `runner` starts harvests (`serve`), `None` serves read-only;
/// `index` answers `/api/datasets` (503 without it).
pub fn app(
    catalog: &Catalog,
    config: &AppConfig,
    runner: Option<JobRunner>,
    index: Option<std::sync::Arc<fedcat_catalog::search::SearchIndex>>,
) -> Router {
    let state = AppState::new(config, catalog.clone(), runner, index);
    let sparql = fedcat_sparql::router(
        catalog.graph_store(),
        SparqlConfig {
            limits: fedcat_sparql::QueryLimits {
                timeout: config.sparql_timeout,
                max_concurrent: config.sparql_limits.max_concurrent,
                max_queued: config.sparql_limits.max_queued,
                max_memory_bytes: config.sparql_limits.max_memory_bytes,
                max_nesting: config.sparql_limits.max_nesting,
            },
            max_results: config.sparql_max_results,
            test_data_loading: config.sparql_test_data_loading,
            html_page: Some(crate::web::sparql_page),
            endpoint_iri: format!("{}/sparql", config.base_iri.trim_end_matches('/')),
            worker: config.sparql_worker.clone(),
        },
    );
    // The read-only data routes are open to scripts of any origin (CORS `*`); the pages and the
    // admin's forms are not. `/sparql` brings its own CORS layer.
    let (rest, _) = crate::openapi::rest_router().split_for_parts();
    let data = Router::new()
        .merge(rest)
        .route("/api/openapi.json", get(crate::openapi::serve))
        .merge(crate::ckan_api::router())
        .merge(crate::export::router())
        .layer(data_cors());
    let routes = Router::new()
        .route("/health", get(health))
        .merge(data)
        .merge(crate::web::router())
        .with_state(state)
        .merge(sparql);
    harden(routes, config)
}

/// CORS of the data routes: any origin may read (GET, HEAD, and the CKAN API's POST); the
/// `Authorization` header is not allowed, so no other site's script can use an admin token.
fn data_cors() -> CorsLayer {
    CorsLayer::new()
        .allow_origin(Any)
        .allow_methods([Method::GET, Method::HEAD, Method::POST])
        .allow_headers([header::CONTENT_TYPE, header::ACCEPT])
}

/// The layers every response of `router` passes through, inside out: request bodies past
/// `[serve] max_request_bytes` are refused (413); a panic in a handler becomes a 500 for that
/// request only (problem+json, the panic in the log); the security headers are added where the
/// handler set none (Content-Security-Policy, `X-Content-Type-Options: nosniff`,
/// `Referrer-Policy: no-referrer`, `X-Frame-Options: DENY`); every request is traced.
pub fn harden(router: Router, config: &AppConfig) -> Router {
    let if_absent = |name: header::HeaderName, value: &'static str| {
        SetResponseHeaderLayer::if_not_present(name, HeaderValue::from_static(value))
    };
    router
        .layer(tower_http::limit::RequestBodyLimitLayer::new(
            config.server.max_request_bytes,
        ))
        // axum's own extractor limit (2 MiB) would otherwise cap a larger configured one.
        .layer(axum::extract::DefaultBodyLimit::max(
            config.server.max_request_bytes,
        ))
        // A client that stops sending its body mid-request: the body read fails after
        // `idle_timeout` without data, and the handler answers (the connection is then closed).
        .layer(tower_http::timeout::RequestBodyTimeoutLayer::new(
            config.server.idle_timeout,
        ))
        .layer(tower_http::catch_panic::CatchPanicLayer::custom(
            panic_response,
        ))
        .layer(if_absent(
            header::CONTENT_SECURITY_POLICY,
            CONTENT_SECURITY_POLICY,
        ))
        .layer(if_absent(header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .layer(if_absent(header::REFERRER_POLICY, "no-referrer"))
        .layer(if_absent(header::X_FRAME_OPTIONS, "DENY"))
        .layer(axum::middleware::map_response(utf8_charset))
        .layer(tower_http::trace::TraceLayer::new_for_http())
}

/// Names the charset of every text answer (`text/turtle; charset=utf-8`…): everything fedcat
/// writes is UTF-8, and a client that reads an unnamed charset by the HTTP/1.1 default
/// (python-requests: ISO-8859-1, as udata's DCAT harvester does) garbles every accent.
async fn utf8_charset(mut response: axum::response::Response) -> axum::response::Response {
    let Some(content_type) = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
    else {
        return response;
    };
    let lower = content_type.to_ascii_lowercase();
    let textual = lower.starts_with("text/")
        || [
            "application/n-triples",
            "application/n-quads",
            "application/trig",
        ]
        .iter()
        .any(|t| lower.starts_with(t));
    if textual && !lower.contains("charset=") {
        let named = format!("{content_type}; charset=utf-8");
        if let Ok(value) = HeaderValue::from_str(&named) {
            response.headers_mut().insert(header::CONTENT_TYPE, value);
        }
    }
    response
}

/// The answer to a request whose handler panicked: a 500 problem; what panicked goes to the log.
fn panic_response(panic: Box<dyn std::any::Any + Send + 'static>) -> axum::response::Response {
    let message = panic
        .downcast_ref::<String>()
        .map(String::as_str)
        .or_else(|| panic.downcast_ref::<&str>().copied())
        .unwrap_or("(no message)");
    tracing::error!(panic = message, "a request handler panicked; answered 500");
    ApiError::new(
        ErrorCode::Internal,
        "the request failed; the server's log says why",
    )
    .into_response()
}

/// `/health`: 200 when the store answers, 503 otherwise.
async fn health(State(state): State<AppState>) -> impl IntoResponse {
    let store = state.catalog.graph_store();
    let probe = tokio::task::spawn_blocking(move || store.is_empty()).await;
    match probe {
        Ok(Ok(_)) => (
            StatusCode::OK,
            [("content-type", "application/json")],
            "{\"status\":\"ok\"}",
        ),
        _ => (
            StatusCode::SERVICE_UNAVAILABLE,
            [("content-type", "application/json")],
            "{\"status\":\"store unavailable\"}",
        ),
    }
}

/// Resolves when the process is asked to stop.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
}

/// Serves `app` on `listener` until `shutdown` resolves, with `limits`:
///
/// - at most `max_connections` connections at once: the next one is accepted only when one
///   ends, so the extra ones wait in the kernel's accept queue;
/// - a connection that has not sent a whole request head within `header_read_timeout` is closed
///   (hyper's timer, restarted for each request of a kept-alive connection);
/// - a connection with no byte read or written for `idle_timeout`, and no request being
///   answered, is closed (a client that stops sending its body or stops reading the response);
/// - each request carries [`ConnectInfo<SocketAddr>`](ConnectInfo) of its client;
/// - when `shutdown` resolves, no connection is accepted any more, each open one finishes its
///   request and closes, and those still open after `shutdown_grace` are cut.
pub async fn serve(
    listener: tokio::net::TcpListener,
    app: Router,
    limits: ServerLimits,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> io::Result<()> {
    let permits = Arc::new(Semaphore::new(
        limits.max_connections.min(Semaphore::MAX_PERMITS),
    ));
    // Dropping the sender tells every connection to finish.
    let (closing, closing_rx) = watch::channel(());
    let mut connections = JoinSet::new();
    let mut shutdown = std::pin::pin!(shutdown);
    loop {
        let permit = tokio::select! {
            () = &mut shutdown => break,
            permit = permits.clone().acquire_owned() => match permit {
                Ok(permit) => permit,
                Err(_) => break,
            },
        };
        let accepted = tokio::select! {
            () = &mut shutdown => break,
            accepted = listener.accept() => accepted,
        };
        // Reap the connections that ended.
        while connections.try_join_next().is_some() {}
        match accepted {
            Ok((stream, remote)) => {
                connections.spawn(serve_connection(
                    stream,
                    remote,
                    app.clone(),
                    limits,
                    closing_rx.clone(),
                    permit,
                ));
            }
            // The client left before it was accepted.
            Err(error) if is_connection_error(&error) => {}
            // Out of file descriptors, or the like: wait rather than spin.
            Err(error) => {
                tracing::warn!(%error, "cannot accept a connection");
                tokio::select! {
                    () = &mut shutdown => break,
                    () = tokio::time::sleep(Duration::from_millis(100)) => {}
                }
            }
        }
    }
    drop(listener);
    drop(closing);
    let open = connections.len();
    if open > 0 {
        tracing::info!(open, "waiting for open connections to finish");
    }
    let drained = tokio::time::timeout(limits.shutdown_grace, async {
        while connections.join_next().await.is_some() {}
    })
    .await
    .is_ok();
    if !drained {
        tracing::warn!(
            cut = connections.len(),
            "connections still open at the end of the shutdown grace period are cut"
        );
        connections.shutdown().await;
    }
    Ok(())
}

fn is_connection_error(error: &io::Error) -> bool {
    matches!(
        error.kind(),
        io::ErrorKind::ConnectionRefused
            | io::ErrorKind::ConnectionAborted
            | io::ErrorKind::ConnectionReset
    )
}

/// One connection, HTTP/1.1, until it ends, stays idle too long, or has finished its request
/// after the shutdown began. The permit is held (one slot of `max_connections`) until then.
async fn serve_connection(
    stream: TcpStream,
    remote: SocketAddr,
    app: Router,
    limits: ServerLimits,
    mut closing: watch::Receiver<()>,
    _permit: OwnedSemaphorePermit,
) {
    let activity = Arc::new(Activity::new());
    let io = TokioIo::new(Tracked {
        inner: stream,
        activity: activity.clone(),
    });
    let router = hyper_util::service::TowerToHyperService::new(app);
    let requests = activity.clone();
    let service =
        hyper::service::service_fn(move |mut request: hyper::Request<hyper::body::Incoming>| {
            request.extensions_mut().insert(ConnectInfo(remote));
            // A request being answered (a long SPARQL query) is not idleness.
            let in_flight = InFlight::new(requests.clone());
            let answer = hyper::service::Service::call(&router, request);
            async move {
                let response = answer.await;
                drop(in_flight);
                response
            }
        });
    let mut builder = hyper::server::conn::http1::Builder::new();
    builder
        .timer(TokioTimer::new())
        .header_read_timeout(limits.header_read_timeout);
    let mut connection = std::pin::pin!(builder.serve_connection(io, service));
    let mut idle = std::pin::pin!(until_idle(&activity, limits.idle_timeout));
    let mut finishing = false;
    loop {
        tokio::select! {
            result = connection.as_mut() => {
                if let Err(error) = result {
                    tracing::debug!(%remote, %error, "connection ended with an error");
                }
                break;
            }
            () = &mut idle => {
                tracing::debug!(%remote, "idle connection closed");
                break;
            }
            _ = closing.changed(), if !finishing => {
                finishing = true;
                connection.as_mut().graceful_shutdown();
            }
        }
    }
}

/// When a connection last read or wrote a byte, and how many of its requests are being answered.
struct Activity {
    start: tokio::time::Instant,
    last_millis: AtomicU64,
    in_flight: AtomicU64,
}

/// One request being answered on a connection; its end counts as activity.
struct InFlight(Arc<Activity>);

impl InFlight {
    fn new(activity: Arc<Activity>) -> Self {
        activity.in_flight.fetch_add(1, Ordering::SeqCst);
        Self(activity)
    }
}

impl Drop for InFlight {
    fn drop(&mut self) {
        self.0.touch();
        self.0.in_flight.fetch_sub(1, Ordering::SeqCst);
    }
}

impl Activity {
    fn new() -> Self {
        Self {
            start: tokio::time::Instant::now(),
            last_millis: AtomicU64::new(0),
            in_flight: AtomicU64::new(0),
        }
    }

    fn touch(&self) {
        let millis = u64::try_from(self.start.elapsed().as_millis()).unwrap_or(u64::MAX);
        self.last_millis.store(millis, Ordering::Relaxed);
    }

    fn last(&self) -> tokio::time::Instant {
        self.start + Duration::from_millis(self.last_millis.load(Ordering::Relaxed))
    }
}

/// Resolves once the connection has had no traffic for `idle` and no request being answered.
async fn until_idle(activity: &Activity, idle: Duration) {
    loop {
        let deadline = activity.last() + idle;
        let busy = activity.in_flight.load(Ordering::SeqCst) > 0;
        if !busy && tokio::time::Instant::now() >= deadline {
            return;
        }
        if busy {
            tokio::time::sleep(idle).await;
            continue;
        }
        tokio::time::sleep_until(deadline).await;
    }
}

/// A TCP stream that records its traffic in an [`Activity`].
struct Tracked {
    inner: TcpStream,
    activity: Arc<Activity>,
}

impl AsyncRead for Tracked {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        let before = buf.filled().len();
        let poll = Pin::new(&mut this.inner).poll_read(cx, buf);
        if buf.filled().len() > before {
            this.activity.touch();
        }
        poll
    }
}

impl AsyncWrite for Tracked {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        let poll = Pin::new(&mut this.inner).poll_write(cx, buf);
        if let Poll::Ready(Ok(written)) = &poll
            && *written > 0
        {
            this.activity.touch();
        }
        poll
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        let poll = Pin::new(&mut this.inner).poll_write_vectored(cx, bufs);
        if let Poll::Ready(Ok(written)) = &poll
            && *written > 0
        {
            this.activity.touch();
        }
        poll
    }

    fn is_write_vectored(&self) -> bool {
        AsyncWrite::is_write_vectored(&self.inner)
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_shutdown(cx)
    }
}
