//! The link checker: is a distribution's access or download URL answering? A `HEAD` first (what
//! data.europa.eu's MQA records), then a `GET` with `Range: bytes=0-0` when the server refuses
//! `HEAD` (405, 501) or the `HEAD` fails; redirects followed by hand, at most five, each hop
//! recorded and checked; 10 s per request; MQA's codes for what is not an HTTP status (1100
//! connection error, 1300 invalid URL) and fedcat's 1200 for a refused target. Its own per-host
//! rate limit and concurrency, apart from the harvester's.
//!
//! It never connects to loopback, private, link-local, shared (CGNAT), unspecified or cloud
//! metadata addresses, nor to IPv6 forms carrying one (see [`is_forbidden`]): a literal IP is
//! checked before connecting, a host name after DNS resolution (in the client's resolver, so for
//! every hop of a redirect chain too), unless `allow_private_targets` is set (tests) or the host
//! is listed in `allowed_hosts`. It ignores proxy settings of the environment, which would
//! resolve names past the guard.

use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use reqwest::dns::{Addrs, Name, Resolve, Resolving};
use std::collections::HashSet;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::num::NonZeroU32;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::Semaphore;
use url::Url;

/// MQA's status for a connection error (no HTTP answer).
pub const CONNECTION_ERROR: u16 = 1100;
/// fedcat's status for a target the checker refuses to call (private address).
pub const REFUSED_TARGET: u16 = 1200;
/// MQA's status for an invalid URL.
pub const INVALID_URL: u16 = 1300;

/// How links are checked.
#[derive(Debug, Clone)]
pub struct LinkCheckSettings {
    /// Per request.
    pub timeout: Duration,
    /// Redirects followed (each recorded).
    pub max_redirects: usize,
    /// Requests per second to one host.
    pub per_host_per_sec: u32,
    /// Requests in flight at once.
    pub concurrency: usize,
    /// Call loopback, private and link-local addresses too (tests only).
    pub allow_private_targets: bool,
    /// Hosts called even when they resolve to a private address (an intranet portal).
    pub allowed_hosts: Vec<String>,
    /// User-Agent.
    pub user_agent: String,
}

impl Default for LinkCheckSettings {
    fn default() -> Self {
        Self {
            timeout: Duration::from_secs(10),
            max_redirects: 5,
            per_host_per_sec: 2,
            concurrency: 8,
            allow_private_targets: false,
            allowed_hosts: Vec::new(),
            user_agent: concat!("fedcat/", env!("CARGO_PKG_VERSION"), " (link checker)").into(),
        }
    }
}

/// The result of checking one URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LinkResult {
    /// The URL checked.
    pub url: String,
    /// The status the `HEAD` request ended with (after its redirects).
    pub head_status: u16,
    /// The final status (after the `GET` fallback).
    pub status: u16,
    /// Each redirect followed: its status and the `Location` it pointed to.
    pub redirects: Vec<(u16, String)>,
    /// `Content-Type` of the final answer.
    pub content_type: Option<String>,
    /// `Content-Length` of the HEAD answer (a ranged GET's says nothing of the file).
    pub content_length: Option<u64>,
    /// What went wrong, for the 1xxx codes and refusals.
    pub error: Option<String>,
}

/// True for an address the checker must not call: loopback, private (RFC 1918, unique local),
/// link-local (which holds the cloud metadata address 169.254.169.254), shared CGNAT space,
/// unspecified, broadcast, documentation, and the IPv6 forms that carry one of those IPv4
/// addresses: IPv4-mapped `::ffff:a.b.c.d`, IPv4-compatible `::a.b.c.d` (deprecated, still
/// parsed and routed by some stacks), NAT64 `64:ff9b::a.b.c.d` (RFC 6052) and 6to4
/// `2002:AABB:CCDD::` (RFC 3056). The local-use NAT64 prefix `64:ff9b:1::/48` (RFC 8215) is
/// refused whole: where its IPv4 address sits depends on the operator's prefix length.
pub fn is_forbidden(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => forbidden_v4(v4),
        IpAddr::V6(v6) => {
            // `to_ipv4` reads both `::ffff:a.b.c.d` and `::a.b.c.d` (so `::1` is 0.0.0.1 and
            // `::` 0.0.0.0, both refused as IPv4 too).
            if let Some(v4) = v6.to_ipv4() {
                return forbidden_v4(v4);
            }
            let segments = v6.segments();
            let first = segments[0];
            let embedded_v4 = |high: u16, low: u16| {
                Ipv4Addr::new(
                    (high >> 8) as u8,
                    (high & 0xff) as u8,
                    (low >> 8) as u8,
                    (low & 0xff) as u8,
                )
            };
            if segments[..6] == [0x64, 0xff9b, 0, 0, 0, 0] {
                return forbidden_v4(embedded_v4(segments[6], segments[7]));
            }
            if first == 0x2002 && forbidden_v4(embedded_v4(segments[1], segments[2])) {
                return true;
            }
            v6.is_loopback()
                || v6.is_unspecified()
                || (first & 0xfe00) == 0xfc00 // unique local, incl. fd00:ec2::254
                || (first & 0xffc0) == 0xfe80 // link-local
                || (first & 0xff00) == 0xff00 // multicast
                || segments[..3] == [0x64, 0xff9b, 1] // local-use NAT64
        }
    }
}

fn forbidden_v4(ip: Ipv4Addr) -> bool {
    let [a, b, ..] = ip.octets();
    ip.is_loopback()
        || ip.is_private()
        || ip.is_link_local()
        || ip.is_unspecified()
        || ip.is_broadcast()
        || ip.is_documentation()
        || ip.is_multicast()
        || a == 0
        || (a == 100 && (64..128).contains(&b)) // shared address space (CGNAT)
        || (a == 192 && b == 0 && ip.octets()[2] == 0) // IETF protocol assignments
}

#[derive(Clone)]
struct Policy {
    allow_private: bool,
    allowed_hosts: Arc<HashSet<String>>,
}

impl Policy {
    fn host_allowed(&self, host: &str) -> bool {
        self.allow_private || self.allowed_hosts.contains(&host.to_ascii_lowercase())
    }
}

/// The client's resolver: resolves with the system, then drops forbidden addresses.
struct GuardedResolver(Policy);

impl Resolve for GuardedResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let policy = self.0.clone();
        Box::pin(async move {
            let host = name.as_str().to_owned();
            let addrs: Vec<SocketAddr> =
                tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
            let allowed: Vec<SocketAddr> = if policy.host_allowed(&host) {
                addrs
            } else {
                addrs
                    .into_iter()
                    .filter(|a| !is_forbidden(a.ip()))
                    .collect()
            };
            if allowed.is_empty() {
                return Err(format!("refused: {host} resolves only to private addresses").into());
            }
            Ok(Box::new(allowed.into_iter()) as Addrs)
        })
    }
}

/// The link checker.
pub struct LinkChecker {
    client: reqwest::Client,
    settings: LinkCheckSettings,
    policy: Policy,
    limiter: DefaultKeyedRateLimiter<String>,
    slots: Semaphore,
}

enum Method {
    Head,
    RangeGet,
    /// A plain GET whose body is read up to this many bytes.
    Download(u64),
}

struct Attempt {
    status: u16,
    redirects: Vec<(u16, String)>,
    content_type: Option<String>,
    content_length: Option<u64>,
    error: Option<String>,
    /// The body read by a download: its bytes and whether it ended within the budget.
    body: Option<(Vec<u8>, bool)>,
}

impl Attempt {
    fn failed(status: u16, redirects: Vec<(u16, String)>, error: String) -> Self {
        Self {
            status,
            redirects,
            content_type: None,
            content_length: None,
            error: Some(error),
            body: None,
        }
    }
}

/// A downloaded file's sample, or why there is none.
#[derive(Debug, Clone)]
pub struct DownloadResult {
    /// The URL downloaded.
    pub url: String,
    /// The final status.
    pub status: u16,
    /// What the first bytes say, when the answer was 2xx.
    pub sample: Option<crate::filecheck::FileSample>,
    /// What went wrong.
    pub error: Option<String>,
}

impl LinkChecker {
    /// Builds a checker.
    pub fn new(settings: LinkCheckSettings) -> Result<Self, String> {
        let policy = Policy {
            allow_private: settings.allow_private_targets,
            allowed_hosts: Arc::new(
                settings
                    .allowed_hosts
                    .iter()
                    .map(|h| h.to_ascii_lowercase())
                    .collect(),
            ),
        };
        let client = reqwest::Client::builder()
            .user_agent(settings.user_agent.clone())
            .timeout(settings.timeout)
            .connect_timeout(settings.timeout)
            .redirect(reqwest::redirect::Policy::none())
            .dns_resolver(Arc::new(GuardedResolver(policy.clone())))
            // Through a proxy (HTTP_PROXY, HTTPS_PROXY, ALL_PROXY in the environment), the
            // proxy resolves the target's name and the guarded resolver never sees it: a name
            // of an internal host would be called. The checker always connects itself.
            .no_proxy()
            .build()
            .map_err(|e| format!("cannot build the link-check client: {e}"))?;
        let per_sec = NonZeroU32::new(settings.per_host_per_sec.max(1)).expect("positive");
        Ok(Self {
            client,
            limiter: RateLimiter::keyed(Quota::per_second(per_sec)),
            slots: Semaphore::new(settings.concurrency.max(1)),
            settings,
            policy,
        })
    }

    /// Checks one URL.
    pub async fn check(&self, url: &str) -> LinkResult {
        let result = |status, error: Option<String>| LinkResult {
            url: url.to_owned(),
            head_status: status,
            status,
            redirects: Vec::new(),
            content_type: None,
            content_length: None,
            error,
        };
        // MQA replaces spaces before validating.
        let parsed = match Url::parse(&url.trim().replace(' ', "%20")) {
            Ok(u) if matches!(u.scheme(), "http" | "https") && u.host_str().is_some() => u,
            Ok(u) => {
                return result(
                    INVALID_URL,
                    Some(format!("not an http(s) URL: scheme {}", u.scheme())),
                );
            }
            Err(e) => return result(INVALID_URL, Some(format!("invalid URL: {e}"))),
        };
        let head = self.follow(&parsed, Method::Head).await;
        let fallback = head.status == CONNECTION_ERROR || matches!(head.status, 405 | 501);
        let last = if fallback {
            self.follow(&parsed, Method::RangeGet).await
        } else {
            Attempt {
                status: head.status,
                redirects: head.redirects.clone(),
                content_type: head.content_type.clone(),
                content_length: head.content_length,
                error: head.error.clone(),
                body: None,
            }
        };
        LinkResult {
            url: url.to_owned(),
            head_status: head.status,
            status: last.status,
            redirects: last.redirects,
            content_type: last.content_type,
            content_length: head.content_length,
            error: last.error,
        }
    }

    /// Downloads the first `budget` bytes of the file at `url` (same address guard, redirects
    /// and rate limit as [`check`](Self::check)) and looks at them.
    pub async fn download(&self, url: &str, budget: u64) -> DownloadResult {
        let failed = |status, error: String| DownloadResult {
            url: url.to_owned(),
            status,
            sample: None,
            error: Some(error),
        };
        let parsed = match Url::parse(&url.trim().replace(' ', "%20")) {
            Ok(u) if matches!(u.scheme(), "http" | "https") && u.host_str().is_some() => u,
            _ => return failed(INVALID_URL, "not an http(s) URL".into()),
        };
        let attempt = self.follow(&parsed, Method::Download(budget)).await;
        match attempt.body {
            Some((bytes, complete)) => DownloadResult {
                url: url.to_owned(),
                status: attempt.status,
                sample: Some(crate::filecheck::analyse(url, &bytes, complete)),
                error: None,
            },
            None => failed(
                attempt.status,
                attempt
                    .error
                    .unwrap_or_else(|| format!("HTTP {}", attempt.status)),
            ),
        }
    }

    /// One request chain, redirects followed by hand so that each hop is checked and recorded.
    #[expect(
        clippy::too_many_lines,
        reason = "HEAD then GET, each redirect hop checked and recorded as the link checker reports it"
    )]
    async fn follow(&self, start: &Url, method: Method) -> Attempt {
        let mut url = start.clone();
        let mut redirects = Vec::new();
        loop {
            let host = url.host_str().unwrap_or_default().to_owned();
            let literal = match url.host() {
                Some(url::Host::Ipv4(ip)) => Some(IpAddr::V4(ip)),
                Some(url::Host::Ipv6(ip)) => Some(IpAddr::V6(ip)),
                _ => None,
            };
            if let Some(ip) = literal
                && is_forbidden(ip)
                && !self.policy.host_allowed(&host)
            {
                return Attempt::failed(
                    REFUSED_TARGET,
                    redirects,
                    format!("refused: {ip} is a private or loopback address"),
                );
            }
            let _slot = self.slots.acquire().await.expect("semaphore open");
            self.limiter.until_key_ready(&host).await;
            let request = match method {
                Method::Head => self.client.head(url.clone()),
                Method::RangeGet => self.client.get(url.clone()).header("Range", "bytes=0-0"),
                Method::Download(_) => self.client.get(url.clone()),
            };
            let response = match request.send().await {
                Ok(response) => response,
                Err(error) => {
                    let text = error_chain(&error);
                    let refused = text.contains("refused: ");
                    let status = if refused {
                        REFUSED_TARGET
                    } else {
                        CONNECTION_ERROR
                    };
                    return Attempt::failed(status, redirects, text);
                }
            };
            let status = response.status().as_u16();
            let location = response
                .headers()
                .get(reqwest::header::LOCATION)
                .and_then(|v| v.to_str().ok())
                .and_then(|l| url.join(l).ok());
            if response.status().is_redirection()
                && let Some(next) = location
            {
                redirects.push((status, next.to_string()));
                if redirects.len() > self.settings.max_redirects {
                    let error = format!("more than {} redirects", self.settings.max_redirects);
                    return Attempt::failed(status, redirects, error);
                }
                if !matches!(next.scheme(), "http" | "https") {
                    let error = format!("redirect to a non-http URL {next}");
                    return Attempt::failed(INVALID_URL, redirects, error);
                }
                url = next;
                continue;
            }
            let content_type = response
                .headers()
                .get(reqwest::header::CONTENT_TYPE)
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned);
            let content_length = response
                .headers()
                .get(reqwest::header::CONTENT_LENGTH)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.parse().ok());
            let (body, error) = match method {
                Method::Download(budget) if response.status().is_success() => {
                    match read_within(response, budget).await {
                        Ok(body) => (Some(body), None),
                        Err(error) => (None, Some(error)),
                    }
                }
                _ => (None, None),
            };
            return Attempt {
                status,
                redirects,
                content_type,
                content_length,
                error,
                body,
            };
        }
    }
}

/// Reads a body up to `budget` bytes: the bytes and whether the body ended within the budget.
async fn read_within(
    mut response: reqwest::Response,
    budget: u64,
) -> Result<(Vec<u8>, bool), String> {
    let budget = usize::try_from(budget).unwrap_or(usize::MAX);
    let mut bytes = Vec::new();
    loop {
        match response.chunk().await {
            Ok(Some(chunk)) => {
                let room = budget - bytes.len();
                if chunk.len() > room {
                    bytes.extend_from_slice(&chunk[..room]);
                    return Ok((bytes, false));
                }
                bytes.extend_from_slice(&chunk);
            }
            Ok(None) => return Ok((bytes, true)),
            Err(error) => {
                return Err(format!(
                    "the body broke off after {} bytes: {}",
                    bytes.len(),
                    error_chain(&error)
                ));
            }
        }
    }
}

fn error_chain(error: &reqwest::Error) -> String {
    crate::http::with_causes(error.to_string(), std::error::Error::source(error))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn private_loopback_link_local_and_metadata_addresses_are_forbidden() {
        for forbidden in [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "169.254.169.254",
            "100.64.0.1",
            "0.0.0.0",
            "::1",
            "fd00:ec2::254",
            "fe80::1",
            "::ffff:127.0.0.1",
            "::ffff:169.254.169.254",
        ] {
            assert!(is_forbidden(forbidden.parse().unwrap()), "{forbidden}");
        }
        for public in [
            "93.184.216.34",
            "2606:2800:220:1:248:1893:25c8:1946",
            "8.8.8.8",
        ] {
            assert!(!is_forbidden(public.parse().unwrap()), "{public}");
        }
    }

    #[test]
    fn ipv6_forms_carrying_a_private_ipv4_address_are_forbidden() {
        for forbidden in [
            // IPv4-compatible (::a.b.c.d)
            "::127.0.0.1",
            "::10.0.0.1",
            "::192.168.0.1",
            "::169.254.169.254",
            // IPv4-mapped (::ffff:a.b.c.d)
            "::ffff:127.0.0.1",
            "::ffff:10.0.0.1",
            // NAT64 well-known prefix (64:ff9b::/96)
            "64:ff9b::127.0.0.1",
            "64:ff9b::10.0.0.1",
            "64:ff9b::169.254.169.254",
            // local-use NAT64 (64:ff9b:1::/48), whatever it embeds
            "64:ff9b:1::808:808",
            // 6to4 (2002:AABB:CCDD::/48)
            "2002:7f00:1::1",
            "2002:a00:1::1",
        ] {
            let ip: IpAddr = forbidden.parse().unwrap();
            assert!(is_forbidden(ip), "{forbidden}");
        }
        for public in [
            "::8.8.8.8",
            "::ffff:8.8.8.8",
            "64:ff9b::8.8.8.8",
            "2002:808:808::1",
        ] {
            let ip: IpAddr = public.parse().unwrap();
            assert!(!is_forbidden(ip), "{public}");
        }
    }

    #[test]
    fn bracketed_ipv6_literals_in_urls_are_read_as_forbidden() {
        // What the checker's literal check sees for http://[::127.0.0.1]:8080/ and the others.
        for url in [
            "http://[::127.0.0.1]:8080/",
            "http://[::ffff:127.0.0.1]:8080/",
            "http://[::10.0.0.1]/",
            "http://[64:ff9b::7f00:1]/",
        ] {
            let parsed = Url::parse(url).unwrap();
            let Some(url::Host::Ipv6(ip)) = parsed.host() else {
                panic!("{url} has no IPv6 host");
            };
            assert!(is_forbidden(IpAddr::V6(ip)), "{url}");
        }
    }
}
