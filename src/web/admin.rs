//! The admin's web session. `POST /admin/login` exchanges the `[admin] token` for a random
//! session id (32 bytes from the OS, hex) in an HttpOnly, SameSite=Strict cookie; the session
//! lives in memory on the server until `[admin] session_hours` have passed, `POST /admin/logout`
//! or a restart. Each session has a second random token, written as a hidden `csrf` field in the
//! admin's forms and required by every state-changing POST (`/sources/{id}/harvest`,
//! `/admin/logout`). These POSTs, and the login, are also refused (403) when the browser says they
//! come from another origin. Failed logins are counted per client address: past
//! `[admin] login_attempts_per_minute` within a minute, the login answers 429.

use crate::AppConfig;
use crate::http::AppState;
use crate::http::same_token;
use axum::Extension;
use axum::body::Bytes;
use axum::extract::{ConnectInfo, Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use std::collections::HashMap;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

/// The session cookie's name.
const COOKIE: &str = "fedcat_admin";
/// The window failed logins are counted in.
const WINDOW: Duration = Duration::from_secs(60);
/// Most client addresses whose failures are tracked one by one; past it (an attacker with many
/// addresses), the failures of new addresses share one count, soon throttled.
const MAX_TRACKED: usize = 10_000;
/// The shared count of the addresses past [`MAX_TRACKED`].
const OVERFLOW: IpAddr = IpAddr::V4(Ipv4Addr::UNSPECIFIED);

/// The admin sessions and the failed-login counts, in memory.
#[derive(Default)]
pub(crate) struct Sessions {
    sessions: Mutex<HashMap<String, Session>>,
    failures: Mutex<HashMap<IpAddr, Failures>>,
}

struct Session {
    expires: Instant,
    /// The token the session's forms carry.
    csrf: String,
}

struct Failures {
    since: Instant,
    count: u32,
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

/// 32 random bytes from the operating system, as 64 hex digits.
fn random_token() -> Result<String, getrandom::Error> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes)?;
    Ok(hex::encode(bytes))
}

/// The value of the session cookie the request carries.
fn cookie(headers: &HeaderMap) -> Option<&str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, _)| *name == COOKIE)
        .map(|(_, value)| value)
}

/// The client's address as failures are counted: IPv6 clients by their /64, which one host
/// usually holds whole (IPv4 clients of a dual-stack socket by their IPv4 address).
fn client_key(client: Option<Extension<ConnectInfo<SocketAddr>>>) -> IpAddr {
    let address = client.map(|Extension(ConnectInfo(address))| address.ip().to_canonical());
    match address {
        Some(IpAddr::V6(v6)) => {
            let segments = v6.segments();
            IpAddr::V6(Ipv6Addr::new(
                segments[0],
                segments[1],
                segments[2],
                segments[3],
                0,
                0,
                0,
                0,
            ))
        }
        Some(v4) => v4,
        // Served without [`crate::server::serve`] (a test calling the router directly).
        None => OVERFLOW,
    }
}

impl Sessions {
    /// A new session of `lifetime`: its id and its CSRF token.
    fn open(&self, lifetime: Duration) -> Result<(String, String), getrandom::Error> {
        let id = random_token()?;
        let csrf = random_token()?;
        let now = Instant::now();
        let mut sessions = lock(&self.sessions);
        sessions.retain(|_, session| session.expires > now);
        sessions.insert(
            id.clone(),
            Session {
                expires: now + lifetime,
                csrf: csrf.clone(),
            },
        );
        Ok((id, csrf))
    }

    /// The CSRF token of the live session the request's cookie names; `None`: not the admin.
    pub(crate) fn csrf_of(&self, headers: &HeaderMap) -> Option<String> {
        let id = cookie(headers)?;
        let mut sessions = lock(&self.sessions);
        let session = sessions.get(id)?;
        if session.expires > Instant::now() {
            Some(session.csrf.clone())
        } else {
            sessions.remove(id);
            None
        }
    }

    fn close(&self, headers: &HeaderMap) {
        if let Some(id) = cookie(headers) {
            lock(&self.sessions).remove(id);
        }
    }

    /// The key `client`'s failures are counted under.
    fn bucket(failures: &HashMap<IpAddr, Failures>, client: IpAddr) -> IpAddr {
        if failures.len() >= MAX_TRACKED && !failures.contains_key(&client) {
            OVERFLOW
        } else {
            client
        }
    }

    /// Seconds until `client` may try again, when it has failed `limit` times in this window.
    #[cfg(test)]
    fn throttled(&self, client: IpAddr, limit: u32) -> Option<u64> {
        let failures = lock(&self.failures);
        let entry = failures.get(&Self::bucket(&failures, client))?;
        let elapsed = entry.since.elapsed();
        (elapsed < WINDOW && entry.count >= limit).then(|| (WINDOW - elapsed).as_secs() + 1)
    }

    /// Counts a login attempt of `client` unless it is throttled; `Some(seconds to wait)` when
    /// it is. The check and the count happen under one lock.
    fn attempt(&self, client: IpAddr, limit: u32) -> Option<u64> {
        let mut failures = lock(&self.failures);
        let bucket = Self::bucket(&failures, client);
        if let Some(entry) = failures.get(&bucket) {
            let elapsed = entry.since.elapsed();
            if elapsed < WINDOW && entry.count >= limit {
                return Some((WINDOW - elapsed).as_secs() + 1);
            }
        }
        Self::count(&mut failures, client);
        None
    }

    /// A right token: the attempt counted for it is taken back.
    fn succeeded(&self, client: IpAddr) {
        let mut failures = lock(&self.failures);
        let bucket = Self::bucket(&failures, client);
        if let Some(entry) = failures.get_mut(&bucket) {
            entry.count = entry.count.saturating_sub(1);
        }
    }

    #[cfg(test)]
    fn failed(&self, client: IpAddr) {
        Self::count(&mut lock(&self.failures), client);
    }

    fn count(failures: &mut HashMap<IpAddr, Failures>, client: IpAddr) {
        let now = Instant::now();
        if failures.len() >= MAX_TRACKED {
            failures.retain(|_, f| now.duration_since(f.since) < WINDOW);
        }
        let bucket = Self::bucket(failures, client);
        let entry = failures.entry(bucket).or_insert(Failures {
            since: now,
            count: 0,
        });
        if now.duration_since(entry.since) >= WINDOW {
            *entry = Failures {
                since: now,
                count: 0,
            };
        }
        entry.count = entry.count.saturating_add(1);
    }
}

/// Whether a state-changing request comes from fedcat's own pages: its `Origin`, when the browser
/// sends one, must be `base_iri`'s origin or the origin of the `Host` the request was sent to.
fn same_origin(headers: &HeaderMap, config: &AppConfig) -> bool {
    same_origin_as(&config.base_iri, headers)
}

fn same_origin_as(base_iri: &str, headers: &HeaderMap) -> bool {
    let Some(origin) = headers.get(header::ORIGIN) else {
        return true;
    };
    let Ok(origin) = origin.to_str() else {
        return false;
    };
    if url::Url::parse(base_iri)
        .is_ok_and(|base| base.origin().ascii_serialization() == origin.to_ascii_lowercase())
    {
        return true;
    }
    // `null` (a sandboxed frame, a redirect) does not parse and is refused.
    let Ok(parsed) = url::Url::parse(origin) else {
        return false;
    };
    let Some(host) = parsed.host_str() else {
        return false;
    };
    let authority = match parsed.port() {
        Some(port) => format!("{host}:{port}"),
        None => host.to_owned(),
    };
    headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .is_some_and(|h| h.eq_ignore_ascii_case(&authority))
}

/// The session cookie (`Secure` when fedcat is published over https).
fn session_cookie(config: &AppConfig, value: &str, max_age_secs: u64) -> String {
    let secure = if config.base_iri.starts_with("https://") {
        "; Secure"
    } else {
        ""
    };
    format!("{COOKIE}={value}; HttpOnly; SameSite=Strict; Path=/; Max-Age={max_age_secs}{secure}")
}

fn form_value(body: &[u8], name: &str) -> Option<String> {
    url::form_urlencoded::parse(body)
        .find(|(key, _)| key == name)
        .map(|(_, value)| value.into_owned())
}

/// The request comes from fedcat's own pages ([`same_origin`]); a form posted from another
/// origin is refused with 403 before its handler runs.
pub(crate) struct SameOrigin;

impl axum::extract::FromRequestParts<AppState> for SameOrigin {
    type Rejection = Response;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        state: &AppState,
    ) -> Result<Self, Response> {
        if same_origin(&parts.headers, &state.config) {
            Ok(Self)
        } else {
            Err(cross_origin())
        }
    }
}

/// A live admin session: the request carries its cookie. Without one: 401 before the handler
/// runs. `csrf` is the session's form token, which the handler compares with the form's.
pub(crate) struct AdminSession {
    csrf: String,
}

impl axum::extract::FromRequestParts<AppState> for AdminSession {
    type Rejection = Response;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        state: &AppState,
    ) -> Result<Self, Response> {
        match state.admin.csrf_of(&parts.headers) {
            Some(csrf) => Ok(Self { csrf }),
            None => Err((StatusCode::UNAUTHORIZED, "admin login required").into_response()),
        }
    }
}

fn cross_origin() -> Response {
    (
        StatusCode::FORBIDDEN,
        "cross-origin request refused: post this form from fedcat's own page",
    )
        .into_response()
}

fn see_sources(cookie: Option<String>) -> Response {
    let mut response = (
        StatusCode::SEE_OTHER,
        [(header::LOCATION, "/sources".to_owned())],
    )
        .into_response();
    if let Some(cookie) = cookie
        && let Ok(value) = header::HeaderValue::from_str(&cookie)
    {
        response.headers_mut().insert(header::SET_COOKIE, value);
    }
    response
}

/// `POST /admin/login` (form `token`): the right token opens a session and returns to
/// `/sources`; 401 for a wrong one, 429 past the failures allowed per minute, 403 from another
/// origin or when no token is configured.
pub(super) async fn login(
    _origin: SameOrigin,
    State(state): State<AppState>,
    client: Option<Extension<ConnectInfo<SocketAddr>>>,
    body: Bytes,
) -> Response {
    let config = &state.config;
    let Some(expected) = config.admin_token.as_deref() else {
        return (StatusCode::FORBIDDEN, "no admin token is configured").into_response();
    };
    let client = client_key(client);
    // Counted before the comparison, under one lock with the check: parallel guesses cannot all
    // pass the check before any of them is counted.
    if let Some(retry_after) = state
        .admin
        .attempt(client, config.login_attempts_per_minute)
    {
        return (
            StatusCode::TOO_MANY_REQUESTS,
            [(header::RETRY_AFTER, retry_after.to_string())],
            "too many failed logins: try again later",
        )
            .into_response();
    }
    let token = form_value(&body, "token").unwrap_or_default();
    if !same_token(&token, expected) {
        tracing::warn!(%client, "failed admin login");
        return (StatusCode::UNAUTHORIZED, "wrong admin token").into_response();
    }
    state.admin.succeeded(client);
    match state.admin.open(config.admin_session) {
        Ok((id, _)) => see_sources(Some(session_cookie(
            config,
            &id,
            config.admin_session.as_secs(),
        ))),
        Err(error) => {
            tracing::error!(%error, "no random bytes for an admin session");
            (StatusCode::INTERNAL_SERVER_ERROR, "login failed").into_response()
        }
    }
}

/// `POST /admin/logout` (form `csrf`): ends the session and clears the cookie.
pub(super) async fn logout(
    _origin: SameOrigin,
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if let Some(csrf) = state.admin.csrf_of(&headers) {
        let given = form_value(&body, "csrf").unwrap_or_default();
        if !same_token(&given, &csrf) {
            return (StatusCode::FORBIDDEN, "missing or wrong form token").into_response();
        }
        state.admin.close(&headers);
    }
    see_sources(Some(session_cookie(&state.config, "", 0)))
}

/// `POST /sources/{id}/harvest` (form `csrf`) from the admin's button: starts a job. 401 without
/// a live session, 403 with a missing or wrong form token or from another origin.
pub(super) async fn harvest_now(
    _origin: SameOrigin,
    session: AdminSession,
    State(state): State<AppState>,
    Path(id): Path<String>,
    body: Bytes,
) -> Response {
    let given = form_value(&body, "csrf").unwrap_or_default();
    if !same_token(&given, &session.csrf) {
        return (
            StatusCode::FORBIDDEN,
            "missing or wrong form token: reload the page and try again",
        )
            .into_response();
    }
    let Some(runner) = &state.runner else {
        return (
            StatusCode::SERVICE_UNAVAILABLE,
            "this server runs no harvest jobs",
        )
            .into_response();
    };
    match runner.start(&id).await {
        Ok(_) => see_sources(None),
        Err(error) => {
            let status = match error {
                crate::jobs::StartError::UnknownSource => StatusCode::NOT_FOUND,
                crate::jobs::StartError::Storage => StatusCode::SERVICE_UNAVAILABLE,
                _ => StatusCode::CONFLICT,
            };
            (status, error.to_string()).into_response()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(header::HeaderName, &str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.append(name.clone(), value.parse().unwrap());
        }
        map
    }

    #[test]
    fn sessions_are_random_expire_and_close() {
        let sessions = Sessions::default();
        let (id, csrf) = sessions.open(Duration::from_secs(60)).unwrap();
        let (other, _) = sessions.open(Duration::from_secs(60)).unwrap();
        assert_eq!(id.len(), 64);
        assert!(id.bytes().all(|b| b.is_ascii_hexdigit()));
        assert_ne!(id, other);
        assert_ne!(id, csrf);
        let cookie = format!("lang=en; {COOKIE}={id}");
        let with = headers(&[(header::COOKIE, cookie.as_str())]);
        assert_eq!(sessions.csrf_of(&with), Some(csrf));
        let wrong = format!("{COOKIE}=00{id}");
        assert_eq!(
            sessions.csrf_of(&headers(&[(header::COOKIE, wrong.as_str())])),
            None
        );
        sessions.close(&with);
        assert_eq!(sessions.csrf_of(&with), None);
        let (expired, _) = sessions.open(Duration::ZERO).unwrap();
        let expired = format!("{COOKIE}={expired}");
        assert_eq!(
            sessions.csrf_of(&headers(&[(header::COOKIE, expired.as_str())])),
            None
        );
    }

    #[test]
    fn failed_logins_are_throttled_per_client() {
        let sessions = Sessions::default();
        let client: IpAddr = "192.0.2.1".parse().unwrap();
        let other: IpAddr = "192.0.2.2".parse().unwrap();
        for _ in 0..5 {
            assert_eq!(sessions.throttled(client, 5), None);
            sessions.failed(client);
        }
        assert!(sessions.throttled(client, 5).is_some_and(|s| s <= 60));
        assert_eq!(sessions.throttled(other, 5), None);
    }

    #[test]
    fn ipv6_clients_are_counted_by_their_64() {
        let address = |text: &str| {
            Some(Extension(ConnectInfo(SocketAddr::new(
                text.parse().unwrap(),
                1234,
            ))))
        };
        assert_eq!(
            client_key(address("2001:db8:1:2:aaaa::1")),
            client_key(address("2001:db8:1:2:bbbb::2"))
        );
        assert_ne!(
            client_key(address("2001:db8:1:2::1")),
            client_key(address("2001:db8:1:3::1"))
        );
    }

    #[test]
    fn origin_must_be_fedcat_or_the_host() {
        let check = |pairs: &[(header::HeaderName, &str)]| {
            same_origin_as("https://catalogue.example.org", &headers(pairs))
        };
        assert!(
            check(&[]),
            "no Origin: a client other than a browser, or an old browser"
        );
        assert!(check(&[(header::ORIGIN, "https://catalogue.example.org")]));
        assert!(check(&[
            (header::ORIGIN, "http://127.0.0.1:8080"),
            (header::HOST, "127.0.0.1:8080")
        ]));
        assert!(!check(&[
            (header::ORIGIN, "https://evil.example"),
            (header::HOST, "catalogue.example.org")
        ]));
        assert!(!check(&[(header::ORIGIN, "null"), (header::HOST, "null")]));
        assert!(!check(&[
            (header::ORIGIN, "http://catalogue.example.org"),
            (header::HOST, "127.0.0.1:8080")
        ]));
    }
}
