//! The HTTP client every connector shares: gzip, connect and total timeouts, a redirect limit,
//! a response size cap enforced while streaming, a clear User-Agent, a rate limit per host, and
//! retries with exponential backoff and jitter on connection errors, 429 and 502–504 (honouring
//! `Retry-After`). `file://` URLs are read from disk under the same size cap (enforced while
//! reading, so a device such as `/dev/zero` stops there) and timeout, so a catalogue dump can be
//! harvested offline; only a source's configured URL may be one (see [`crate::fetch_loop`]).

use crate::HarvestError;
use crate::error::body_snippet;
use futures_util::StreamExt;
use governor::{DefaultDirectRateLimiter, Quota, RateLimiter};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::io::AsyncReadExt;
use url::Url;

/// Limits of the shared client (from `[http]` in `fedcat.toml`).
#[derive(Debug, Clone, PartialEq)]
pub struct HttpSettings {
    /// User-Agent header.
    pub user_agent: String,
    /// Connect timeout.
    pub connect_timeout_secs: u64,
    /// Total timeout of one request, body included.
    pub timeout_secs: u64,
    /// Maximum redirects followed.
    pub max_redirects: usize,
    /// Maximum body size.
    pub max_body_bytes: u64,
    /// Attempts per request (1 = no retry).
    pub max_attempts: u32,
    /// First backoff delay; doubled at each retry.
    pub retry_base_millis: u64,
}

impl Default for HttpSettings {
    fn default() -> Self {
        Self {
            user_agent: format!(
                "fedcat/{} (federated DCAT-AP harvester)",
                env!("CARGO_PKG_VERSION")
            ),
            connect_timeout_secs: 10,
            timeout_secs: 60,
            max_redirects: 5,
            max_body_bytes: 64 * 1024 * 1024,
            max_attempts: 3,
            retry_base_millis: 500,
        }
    }
}

/// A fetched response body.
#[derive(Debug, Clone)]
pub struct Fetched {
    /// The final URL (after redirects).
    pub url: Url,
    /// The HTTP status (200 for files).
    pub status: u16,
    /// The media type of the `Content-Type` header, lowercased, without parameters.
    pub content_type: Option<String>,
    /// The body (empty on 304 Not Modified).
    pub body: Vec<u8>,
    /// The `ETag` header.
    pub etag: Option<String>,
    /// The `Last-Modified` header.
    pub last_modified: Option<String>,
}

impl Fetched {
    /// True when the server answered 304 to a conditional request.
    pub fn not_modified(&self) -> bool {
        self.status == 304
    }
}

/// Validators of an earlier response, for a conditional GET.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Validators {
    /// Sent as `If-None-Match`.
    pub etag: Option<String>,
    /// Sent as `If-Modified-Since`.
    pub last_modified: Option<String>,
}

/// The shared client.
pub struct HttpClient {
    client: reqwest::Client,
    settings: HttpSettings,
    limiters: Mutex<HashMap<String, (Arc<DefaultDirectRateLimiter>, Duration)>>,
}

/// The longest `Retry-After` we wait for; a longer one fails the attempt.
const MAX_RETRY_AFTER: Duration = Duration::from_secs(120);

impl HttpClient {
    /// Builds the client.
    pub fn new(settings: HttpSettings) -> Result<Self, HarvestError> {
        let client = reqwest::Client::builder()
            .user_agent(settings.user_agent.clone())
            .connect_timeout(Duration::from_secs(settings.connect_timeout_secs))
            .timeout(Duration::from_secs(settings.timeout_secs))
            .redirect(redirect_policy(settings.max_redirects))
            .gzip(true)
            .build()
            .map_err(|e| HarvestError::Request {
                url: String::new(),
                attempts: 0,
                cause: format!("cannot build the HTTP client: {e}"),
            })?;
        Ok(Self {
            client,
            settings,
            limiters: Mutex::new(HashMap::new()),
        })
    }

    /// The settings in force.
    pub fn settings(&self) -> &HttpSettings {
        &self.settings
    }

    /// Limits requests to `host` to `per_sec` per second. When several sources share a host,
    /// the strictest limit wins.
    pub fn limit_host(&self, host: &str, per_sec: f64) {
        let Some(period) = Duration::try_from_secs_f64(1.0 / per_sec).ok() else {
            return;
        };
        let Some(quota) = Quota::with_period(period) else {
            return;
        };
        let mut limiters = self
            .limiters
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let stricter = limiters
            .get(host)
            .is_none_or(|(_, existing_period)| period > *existing_period);
        if stricter {
            limiters.insert(
                host.to_owned(),
                (Arc::new(RateLimiter::direct(quota)), period),
            );
        }
    }

    fn limiter(&self, host: &str) -> Option<Arc<DefaultDirectRateLimiter>> {
        let limiters = self
            .limiters
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        limiters.get(host).map(|(l, _)| l.clone())
    }

    /// GETs `url` with `Accept: accept`, retrying transient failures; an error status after the
    /// last attempt is an error.
    pub async fn get(&self, url: &Url, accept: &str) -> Result<Fetched, HarvestError> {
        self.get_conditional(url, accept, None).await
    }

    /// Like [`Self::get`], sending `validators` as `If-None-Match` / `If-Modified-Since`; a
    /// `304 Not Modified` answer is returned as such (see [`Fetched::not_modified`]).
    pub async fn get_conditional(
        &self,
        url: &Url,
        accept: &str,
        validators: Option<&Validators>,
    ) -> Result<Fetched, HarvestError> {
        if url.scheme() == "file" {
            return self.read_file(url).await;
        }
        let mut attempt = 0;
        loop {
            attempt += 1;
            if let Some(limiter) = url.host_str().and_then(|h| self.limiter(h)) {
                limiter.until_ready().await;
            }
            let (cause, retry_after) = match self.attempt(url, accept, validators).await {
                Ok(fetched) if fetched.status < 400 => return Ok(fetched),
                Ok(fetched) => return status_error(url, fetched, attempt),
                Err(AttemptError::Final(error)) => return Err(error),
                Err(AttemptError::Retryable { cause, retry_after }) => (cause, retry_after),
            };
            if attempt >= self.settings.max_attempts.max(1)
                || retry_after.is_some_and(|d| d > MAX_RETRY_AFTER)
            {
                return Err(match cause {
                    RetryCause::Status(fetched) => match status_error(url, fetched, attempt) {
                        Err(error) => error,
                        Ok(_) => unreachable!("status_error always fails"),
                    },
                    RetryCause::Transport(cause) => HarvestError::Request {
                        url: url.to_string(),
                        attempts: attempt,
                        cause,
                    },
                });
            }
            let delay = retry_after.unwrap_or_else(|| self.backoff(attempt));
            tracing::debug!(url = %url, attempt, delay_ms = delay.as_millis() as u64, "retrying");
            tokio::time::sleep(delay).await;
        }
    }

    fn backoff(&self, attempt: u32) -> Duration {
        let base = self
            .settings
            .retry_base_millis
            .saturating_mul(1 << (attempt - 1).min(10));
        // Jitter spreads retries of workers that failed together; the clock's nanoseconds are
        // random enough for that.
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.subsec_nanos() as u64)
            .unwrap_or(0);
        let jitter = if base == 0 { 0 } else { nanos % (base / 2 + 1) };
        Duration::from_millis(base + jitter)
    }

    #[expect(
        clippy::too_many_lines,
        reason = "one request with its redirects followed by hand (each hop checked against private addresses), its size and time limits, and the outcome classified"
    )]
    async fn attempt(
        &self,
        url: &Url,
        accept: &str,
        validators: Option<&Validators>,
    ) -> Result<Fetched, AttemptError> {
        let mut request = self
            .client
            .get(url.clone())
            .header(reqwest::header::ACCEPT, accept);
        if let Some(validators) = validators {
            if let Some(etag) = &validators.etag {
                request = request.header(reqwest::header::IF_NONE_MATCH, etag);
            }
            if let Some(last_modified) = &validators.last_modified {
                request = request.header(reqwest::header::IF_MODIFIED_SINCE, last_modified);
            }
        }
        let response = request.send().await.map_err(|e| {
            let cause = describe_reqwest_error(&e);
            if e.is_redirect() || e.is_builder() {
                AttemptError::Final(HarvestError::Request {
                    url: url.to_string(),
                    attempts: 1,
                    cause,
                })
            } else {
                AttemptError::Retryable {
                    cause: RetryCause::Transport(cause),
                    retry_after: None,
                }
            }
        })?;
        let status = response.status().as_u16();
        let final_url = response.url().clone();
        let content_type = response
            .headers()
            .get(reqwest::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .map(media_type_of);
        let header_text = |name: reqwest::header::HeaderName| {
            response
                .headers()
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned)
        };
        let etag = header_text(reqwest::header::ETAG);
        let last_modified = header_text(reqwest::header::LAST_MODIFIED);
        let retry_after = response
            .headers()
            .get(reqwest::header::RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .and_then(parse_retry_after);
        let limit = self.settings.max_body_bytes;
        if response.content_length().is_some_and(|len| len > limit) {
            return Err(AttemptError::Final(HarvestError::TooLarge {
                url: url.to_string(),
                limit,
            }));
        }
        let mut body = Vec::new();
        let mut stream = response.bytes_stream();
        while let Some(chunk) = stream.next().await {
            let chunk = chunk.map_err(|e| AttemptError::Retryable {
                cause: RetryCause::Transport(format!(
                    "reading the body failed: {}",
                    describe_reqwest_error(&e)
                )),
                retry_after: None,
            })?;
            if body.len() as u64 + chunk.len() as u64 > limit {
                return Err(AttemptError::Final(HarvestError::TooLarge {
                    url: url.to_string(),
                    limit,
                }));
            }
            body.extend_from_slice(&chunk);
        }
        let fetched = Fetched {
            url: final_url,
            status,
            content_type,
            body,
            etag,
            last_modified,
        };
        if matches!(status, 429 | 502..=504) {
            return Err(AttemptError::Retryable {
                cause: RetryCause::Status(fetched),
                retry_after,
            });
        }
        Ok(fetched)
    }

    async fn read_file(&self, url: &Url) -> Result<Fetched, HarvestError> {
        let path = url.to_file_path().map_err(|()| HarvestError::InvalidUrl {
            url: url.to_string(),
            cause: "not a local file path".into(),
        })?;
        let file_error = |cause: String| HarvestError::File {
            path: path.display().to_string(),
            cause,
        };
        let limit = self.settings.max_body_bytes;
        let too_large = || HarvestError::TooLarge {
            url: url.to_string(),
            limit,
        };
        let metadata = tokio::fs::metadata(&path)
            .await
            .map_err(|e| file_error(e.to_string()))?;
        if metadata.len() > limit {
            return Err(too_large());
        }
        // The length on disk says nothing of a device or a pipe (`/dev/zero` has length 0 and
        // never ends): the cap holds while reading, one byte past it telling "too large", and
        // the request timeout holds too.
        let read = async {
            let file = tokio::fs::File::open(&path).await?;
            let mut body = Vec::new();
            file.take(limit.saturating_add(1))
                .read_to_end(&mut body)
                .await?;
            Ok::<_, std::io::Error>(body)
        };
        let timeout = Duration::from_secs(self.settings.timeout_secs);
        let body = tokio::time::timeout(timeout, read)
            .await
            .map_err(|_| file_error(format!("timed out after {} s", timeout.as_secs())))?
            .map_err(|e| file_error(e.to_string()))?;
        if body.len() as u64 > limit {
            return Err(too_large());
        }
        Ok(Fetched {
            url: url.clone(),
            status: 200,
            content_type: None,
            body,
            etag: None,
            last_modified: None,
        })
    }
}

/// At most `max` redirects, and never from a public address to a private one: a portal (or
/// anyone who can make it redirect) must not turn the harvester into a reader of the internal
/// network — a cloud metadata endpoint, a loopback service. Only literal addresses and
/// `localhost` are judged here (names are not resolved); a portal the operator configured on a
/// private address may redirect within private addresses.
fn redirect_policy(max: usize) -> reqwest::redirect::Policy {
    reqwest::redirect::Policy::custom(move |attempt| {
        if attempt.previous().len() > max {
            return attempt.error(format!("more than {max} redirects"));
        }
        let refused = attempt
            .previous()
            .first()
            .is_some_and(|first| !redirect_allowed(first, attempt.url()));
        if refused {
            let target = attempt.url().to_string();
            return attempt.error(format!(
                "redirect to a private or loopback address refused: {target}"
            ));
        }
        attempt.follow()
    })
}

/// Whether a request that started at `first` may be redirected to `target`.
fn redirect_allowed(first: &Url, target: &Url) -> bool {
    is_private_host(first) || !is_private_host(target)
}

/// Whether `url` names a loopback, private or link-local address literally, or `localhost`.
fn is_private_host(url: &Url) -> bool {
    match url.host() {
        Some(url::Host::Ipv4(ip)) => crate::linkcheck::is_forbidden(ip.into()),
        Some(url::Host::Ipv6(ip)) => crate::linkcheck::is_forbidden(ip.into()),
        Some(url::Host::Domain(name)) => {
            let name = name.trim_end_matches('.').to_ascii_lowercase();
            name == "localhost" || name.ends_with(".localhost")
        }
        None => false,
    }
}

enum RetryCause {
    Status(Fetched),
    Transport(String),
}

enum AttemptError {
    Retryable {
        cause: RetryCause,
        retry_after: Option<Duration>,
    },
    Final(HarvestError),
}

fn status_error(url: &Url, fetched: Fetched, attempts: u32) -> Result<Fetched, HarvestError> {
    Err(HarvestError::Status {
        url: url.to_string(),
        status: fetched.status,
        attempts,
        snippet: body_snippet(&fetched.body, 120),
    })
}

/// `text/html; charset=utf-8` → `text/html`.
fn media_type_of(header: &str) -> String {
    header
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase()
}

/// `Retry-After` as seconds or as an HTTP date.
fn parse_retry_after(value: &str) -> Option<Duration> {
    let value = value.trim();
    if let Ok(seconds) = value.parse::<u64>() {
        return Some(Duration::from_secs(seconds));
    }
    let date = chrono::DateTime::parse_from_rfc2822(value).ok()?;
    let wait = date.with_timezone(&chrono::Utc) - chrono::Utc::now();
    Some(wait.to_std().unwrap_or(Duration::ZERO))
}

fn describe_reqwest_error(error: &reqwest::Error) -> String {
    let head = if error.is_timeout() {
        "timed out".to_owned()
    } else if error.is_connect() {
        "connection failed".to_owned()
    } else if error.is_redirect() {
        "too many redirects (or a redirect loop)".to_owned()
    } else {
        error.to_string()
    };
    with_causes(head, std::error::Error::source(error))
}

/// `head`, then every cause of the chain after a colon (reqwest hides the useful part there).
pub(crate) fn with_causes(
    mut text: String,
    mut source: Option<&(dyn std::error::Error + 'static)>,
) -> String {
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_after_accepts_seconds_and_dates() {
        assert_eq!(parse_retry_after("7"), Some(Duration::from_secs(7)));
        assert_eq!(
            parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT"),
            Some(Duration::ZERO)
        );
        assert_eq!(parse_retry_after("soon"), None);
    }

    #[test]
    fn private_hosts_are_recognised_literally() {
        for url in [
            "http://127.0.0.1:8080/x",
            "http://169.254.169.254/latest/meta-data/",
            "http://10.1.2.3/",
            "http://[::1]/",
            "http://[::ffff:192.168.0.1]/",
            "http://localhost/",
            "http://api.localhost./",
        ] {
            assert!(is_private_host(&Url::parse(url).unwrap()), "{url}");
        }
        for url in ["https://www.data.gouv.fr/api/1/", "http://8.8.8.8/"] {
            assert!(!is_private_host(&Url::parse(url).unwrap()), "{url}");
        }
    }

    #[test]
    fn a_public_portal_cannot_redirect_into_the_private_network() {
        let url = |text: &str| Url::parse(text).unwrap();
        let portal = url("https://www.data.gouv.fr/api/1/datasets/");
        assert!(!redirect_allowed(
            &portal,
            &url("http://169.254.169.254/latest/meta-data/")
        ));
        assert!(!redirect_allowed(
            &portal,
            &url("http://localhost:8080/admin")
        ));
        assert!(redirect_allowed(
            &portal,
            &url("https://static.data.gouv.fr/catalog.ttl")
        ));
        // A portal the operator placed on the private network may redirect within it.
        assert!(redirect_allowed(
            &url("http://10.0.0.5/catalog"),
            &url("http://10.0.0.6/catalog")
        ));
    }

    #[test]
    fn media_type_drops_parameters() {
        assert_eq!(media_type_of("Text/HTML; charset=UTF-8"), "text/html");
    }

    fn capped_client(max_body_bytes: u64) -> HttpClient {
        HttpClient::new(HttpSettings {
            max_body_bytes,
            timeout_secs: 5,
            ..HttpSettings::default()
        })
        .unwrap()
    }

    #[tokio::test]
    async fn a_device_file_stops_at_the_body_cap() {
        // `/dev/zero` has length 0 on disk and never ends.
        let url = Url::parse("file:///dev/zero").unwrap();
        match capped_client(4096).get(&url, "*/*").await {
            Err(HarvestError::TooLarge { limit, .. }) => assert_eq!(limit, 4096),
            other => panic!("expected TooLarge, got {other:?}"),
        }
    }

    #[tokio::test]
    async fn a_file_at_the_cap_is_read_and_one_byte_more_is_too_large() {
        let path = std::env::temp_dir().join(format!("fedcat-http-cap-{}.ttl", std::process::id()));
        std::fs::write(&path, vec![b'#'; 100]).unwrap();
        let url = Url::from_file_path(&path).unwrap();
        let fetched = capped_client(100).get(&url, "*/*").await.unwrap();
        assert_eq!(fetched.body.len(), 100);
        let error = capped_client(99).get(&url, "*/*").await.unwrap_err();
        std::fs::remove_file(&path).unwrap();
        assert!(matches!(error, HarvestError::TooLarge { .. }), "{error}");
    }
}
