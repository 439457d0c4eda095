//! Fetch: a polite, fault-tolerant HTTP client.
//!
//! - One reqwest client per process (connection pool; no cookie store).
//! - Per-host politeness ([`host`]): a governor rate limiter per host (the
//!   slowest of the source's `rate`, the configured host rate and the
//!   robots.txt `Crawl-delay`), and a concurrency cap per host (default 1).
//!   A host is an origin (scheme, name, port); hosts never wait for each other.
//! - robots.txt ([`robots`]) fetched once per host, cached, obeyed by every
//!   GET: a disallowed URL is counted and never requested (form POSTs, i.e.
//!   OAuth2 token requests, are not crawls and are not checked).
//! - Redirects (`redirect`) followed here, hop by hop: each hop is checked
//!   against its own host's robots.txt and waits for that host's turn, like
//!   a first request; the caller's headers (credentials) never go to another
//!   origin (an authenticated GET follows without them; `redirect` says
//!   why), and a form never leaves its origin.
//! - Retries (`retry`): 408, 429 and 5xx, and transport failures that can
//!   succeed on a second try (timeouts, connection failed or broken — not
//!   undecodable bodies nor unbuildable requests), with exponential backoff
//!   and jitter; `Retry-After` honoured (capped) on 429 and 503; other 4xx
//!   never retried; bounded attempts.
//! - Hanging hosts: after `host_timeout_limit` timeouts on one host within a
//!   run ([`FetchRun`]), that run's later requests to the host fail at once
//!   ([`FetchError::HostSkipped`], counted in [`FetchStats::host_skipped`]).
//! - Limits: connect and request timeouts, a per-run deadline ([`FetchRun`]),
//!   a streamed body cap, at most `max_redirects` redirects to http(s) only.
//! - Bodies decompressed (gzip, brotli, deflate) and decoded ([`decode`]).
//! - Conditional GET (the request headers come from
//!   [`crate::domain::Validators`]): a 304 is a success with an empty body.
//!
//! Every delay is a [`FetchConfig`] field, so tests run in milliseconds.

mod attempt;
pub mod auth;
pub mod decode;
mod error;
pub mod host;
mod redirect;
mod retry;
pub mod robots;
pub mod stats;

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use reqwest::header::{HeaderMap, HeaderName, HeaderValue, ACCEPT, USER_AGENT};
use reqwest::Url;

use crate::domain::{AuthSpec, SourceId};
use attempt::{Answer, Attempt, Hop};
use auth::{Auth, Credentials};
pub use error::FetchError;
use host::{HostKey, Hosts};
use redirect::Refused;
use retry::Failure;
use robots::{CachedRobots, Rules};
pub use stats::{FetchRun, FetchStats};

/// The default User-Agent: names the project and where site owners learn what it does.
pub const DEFAULT_USER_AGENT: &str = concat!(
    "skilltrack/",
    env!("CARGO_PKG_VERSION"),
    " (+https://github.com/skilltrack/skilltrack; job-market skills statistics)"
);

/// Client settings. Defaults are the production values.
#[derive(Debug, Clone)]
pub struct FetchConfig {
    /// User-Agent header; its product token (up to `/`) is matched against robots.txt.
    pub user_agent: String,
    /// Connect timeout (default 10 s).
    pub connect_timeout: Duration,
    /// Whole-request timeout, headers and body (default 30 s).
    pub request_timeout: Duration,
    /// Largest body accepted after decompression, in bytes (default 10 MB).
    pub max_body_bytes: usize,
    /// Attempts per request, 1 = no retry (default 3).
    pub max_attempts: u32,
    /// First backoff delay; doubles at each retry, plus up to 50 % jitter (default 500 ms).
    pub backoff: Duration,
    /// Longest wait honoured from `Retry-After` (default 120 s).
    pub max_retry_after: Duration,
    /// Spacing between requests to a host when neither the source nor
    /// `host_intervals` sets one (default 1 s).
    pub default_host_interval: Duration,
    /// Configured spacing per host, keyed by host name (`example.com`) or
    /// `name:port`. The slowest of this, the source's rate and Crawl-delay wins.
    pub host_intervals: HashMap<String, Duration>,
    /// Requests in flight per host at once (default 1).
    pub host_concurrency: usize,
    /// Redirects followed per request, http and https only (default 5).
    pub max_redirects: usize,
    /// Whether robots.txt is fetched and obeyed (default true).
    pub obey_robots: bool,
    /// How long a host's robots.txt is cached (default 24 h).
    pub robots_ttl: Duration,
    /// How long an unreachable or failing robots.txt keeps its host
    /// disallowed before it is asked again (default 10 min).
    pub robots_error_ttl: Duration,
    /// Total time one source run may spend fetching (default 30 min; `None`: unbounded).
    pub run_deadline: Option<Duration>,
    /// Timed-out attempts on one host after which a run skips that host's
    /// remaining requests (default 3; 0: never skip).
    pub host_timeout_limit: u32,
    /// Spacing for loopback hosts (127.0.0.0/8, `::1`, `localhost`), used
    /// instead of every other rule for them (source rate, host intervals,
    /// `Crawl-delay`): local mirrors and test servers. `None` (the default):
    /// loopback hosts are treated like any other.
    pub loopback_interval: Option<Duration>,
}

impl Default for FetchConfig {
    fn default() -> FetchConfig {
        FetchConfig {
            user_agent: DEFAULT_USER_AGENT.to_owned(),
            connect_timeout: Duration::from_secs(10),
            request_timeout: Duration::from_secs(30),
            max_body_bytes: 10 * 1024 * 1024,
            max_attempts: 3,
            backoff: Duration::from_millis(500),
            max_retry_after: Duration::from_secs(120),
            default_host_interval: Duration::from_millis(1000),
            host_intervals: HashMap::new(),
            host_concurrency: 1,
            max_redirects: 5,
            obey_robots: true,
            robots_ttl: Duration::from_secs(24 * 3600),
            robots_error_ttl: Duration::from_secs(600),
            run_deadline: Some(Duration::from_secs(1800)),
            host_timeout_limit: 3,
            loopback_interval: None,
        }
    }
}

/// One request: GET by default; headers (auth, `Range`, conditional GET…)
/// and a form body (OAuth2 token requests) when a source needs them.
/// `Debug` shows header and form names, never their values.
#[derive(Clone, Default)]
pub struct FetchRequest {
    /// Absolute http(s) URL.
    pub url: String,
    /// Extra request headers (name, value). Values may be secrets: never
    /// logged, and never sent to another origin than the URL's (a
    /// cross-origin redirect drops them all).
    pub headers: Vec<(String, String)>,
    /// When set, the request is a POST of this `application/x-www-form-urlencoded`
    /// form; it is never sent to another origin (such a redirect is an error).
    pub form: Option<Vec<(String, String)>>,
    /// Minimum spacing between requests to this host (the source's rate).
    pub interval: Option<Duration>,
}

impl std::fmt::Debug for FetchRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let names = |pairs: &[(String, String)]| {
            pairs
                .iter()
                .map(|(name, _)| format!("{name}: <redacted>"))
                .collect::<Vec<_>>()
        };
        f.debug_struct("FetchRequest")
            .field("url", &self.url)
            .field("headers", &names(&self.headers))
            .field("form", &self.form.as_deref().map(names))
            .field("interval", &self.interval)
            .finish()
    }
}

impl FetchRequest {
    /// A plain GET.
    pub fn get(url: impl Into<String>) -> FetchRequest {
        FetchRequest {
            url: url.into(),
            ..FetchRequest::default()
        }
    }
}

/// A fetched page.
#[derive(Debug, Clone)]
pub struct Fetched {
    /// Final URL (after redirects).
    pub url: String,
    /// HTTP status (2xx, or 304 for an unchanged page with an empty body).
    pub status: u16,
    /// Body decoded to text.
    pub body: String,
    /// Body size in bytes, after decompression, before decoding.
    pub bytes: usize,
    /// Retries made.
    pub retries: u32,
    /// Response headers (lowercase names), for `Content-Range`, `ETag`…
    pub headers: Vec<(String, String)>,
}

impl Fetched {
    /// Whether the server said the page is unchanged (304).
    pub fn not_modified(&self) -> bool {
        self.status == 304
    }
}

/// The polite client. Cheap to clone (shared state behind `Arc`): clones
/// share the connection pool, the per-host limits, the robots.txt cache and
/// the sources' token caches.
#[derive(Clone)]
pub struct Fetcher {
    client: reqwest::Client,
    config: Arc<FetchConfig>,
    hosts: Arc<Hosts>,
    credentials: Arc<Credentials>,
}

impl Fetcher {
    /// Builds the client.
    pub fn new(config: FetchConfig) -> Result<Fetcher, FetchError> {
        let mut headers = HeaderMap::new();
        headers.insert(
            ACCEPT,
            HeaderValue::from_static(
                "application/json, text/html;q=0.9, application/xml;q=0.8, */*;q=0.5",
            ),
        );
        let ua = HeaderValue::from_str(&config.user_agent)
            .map_err(|e| FetchError::Client(format!("user agent {:?}: {e}", config.user_agent)))?;
        headers.insert(USER_AGENT, ua);
        // Redirects are followed by `fetch_polite`, hop by hop (robots.txt,
        // politeness and credentials per hop): the client follows none.
        let client = reqwest::Client::builder()
            .default_headers(headers)
            .connect_timeout(config.connect_timeout)
            .timeout(config.request_timeout)
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|e| FetchError::Client(e.to_string()))?;
        Ok(Fetcher {
            client,
            hosts: Arc::new(Hosts::new(config.host_concurrency)),
            config: Arc::new(config),
            credentials: Arc::new(Credentials::default()),
        })
    }

    /// The authentication of `source` described by `spec`, with the token
    /// cache every run of the source shares (see [`Credentials::auth`]).
    pub fn auth(&self, source: &SourceId, spec: &AuthSpec) -> Arc<Auth> {
        self.credentials.auth(source, spec)
    }

    /// The settings.
    pub fn config(&self) -> &FetchConfig {
        &self.config
    }

    /// Sends one request politely, outside any run (no deadline, no counters).
    pub async fn fetch(&self, request: &FetchRequest) -> Result<Fetched, FetchError> {
        self.fetch_in(request, &mut FetchRun::new(None)).await
    }

    /// Sends one request politely as part of `run`: robots.txt, host rate
    /// and concurrency, retries, redirects (each hop checked like a first
    /// request); counted in `run.stats`, bounded by `run.deadline`.
    pub async fn fetch_in(
        &self,
        request: &FetchRequest,
        run: &mut FetchRun,
    ) -> Result<Fetched, FetchError> {
        let url = request.url.as_str();
        let parsed = Url::parse(url).map_err(|e| FetchError::BadUrl {
            url: url.to_owned(),
            why: e.to_string(),
        })?;
        if !matches!(parsed.scheme(), "http" | "https") {
            return Err(FetchError::BadUrl {
                url: url.to_owned(),
                why: format!("scheme {:?} is not http or https", parsed.scheme()),
            });
        }
        let headers = caller_headers(request)?;
        let deadline = run.deadline;
        let work = self.fetch_polite(&parsed, request, &headers, run);
        match deadline {
            Some(at) => tokio::time::timeout_at(at, work).await.unwrap_or_else(|_| {
                Err(FetchError::Deadline {
                    url: url.to_owned(),
                })
            }),
            None => work.await,
        }
    }

    /// Follows the redirect chain from `url`, one polite exchange per hop.
    async fn fetch_polite(
        &self,
        url: &Url,
        request: &FetchRequest,
        headers: &HeaderMap,
        run: &mut FetchRun,
    ) -> Result<Fetched, FetchError> {
        let mut hop = Hop {
            url: url.clone(),
            form: request.form.as_deref(),
            headers: Some(headers),
        };
        let mut visited = vec![url.clone()];
        let mut retries = 0;
        loop {
            let (status, location) = match self
                .exchange(&hop, url, request.interval, run, &mut retries)
                .await?
            {
                Answer::Page(mut page) => {
                    page.retries = retries;
                    return Ok(page);
                }
                Answer::Redirect { status, location } => (status, location),
            };
            let next = redirect::next_hop(
                &hop.url,
                status,
                &location,
                hop.form.is_some(),
                &visited,
                self.config.max_redirects,
            )
            .map_err(|refused| match refused {
                Refused::Bad(cause) => FetchError::Redirect {
                    url: url.to_string(),
                    cause,
                },
                Refused::FormAcrossOrigins { from, to } => FetchError::FormAcrossOrigins {
                    url: url.to_string(),
                    from,
                    to,
                },
            })?;
            if next.cross_origin {
                if let Some(dropped) = hop.headers.take().filter(|h| !h.is_empty()) {
                    let names: Vec<&str> = dropped.keys().map(HeaderName::as_str).collect();
                    tracing::info!(from = %HostKey::of(&hop.url), to = %HostKey::of(&next.url), dropped = ?names, "Redirect to another origin: the request's own headers are not sent there.");
                }
            }
            if !next.keeps_body {
                hop.form = None;
            }
            tracing::debug!(from = %hop.url, to = %next.url, status = status.as_u16(), "Following a redirect.");
            visited.push(next.url.clone());
            hop.url = next.url;
        }
    }

    /// One hop, politely: the host's timeout budget for this run, its
    /// robots.txt (GETs), its turn, then attempts until an answer, a failure
    /// that cannot succeed on retry, or `max_attempts`. `first` is the URL
    /// the chain started from; retries are added to `retries`.
    async fn exchange(
        &self,
        hop: &Hop<'_>,
        first: &Url,
        source_interval: Option<Duration>,
        run: &mut FetchRun,
        retries: &mut u32,
    ) -> Result<Answer, FetchError> {
        let url = &hop.url;
        let key = HostKey::of(url);
        let limit = self.config.host_timeout_limit;
        let timeouts = run.timeouts(&key);
        if limit > 0 && timeouts >= limit {
            run.stats.host_skipped += 1;
            tracing::info!(url = %url, host = %key, timeouts, "Skipped: the host kept timing out in this run.");
            return Err(FetchError::HostSkipped {
                url: url.to_string(),
                host: key,
                timeouts,
            });
        }
        let host = self.hosts.get(&key);
        let mut interval = self.interval_for(url, source_interval, None);
        // robots.txt governs crawling: form POSTs (OAuth2 token requests) are not crawls.
        if self.config.obey_robots && hop.form.is_none() {
            let rules = self.robots(&host, url, interval, run).await;
            if !rules.allows(url) {
                run.stats.robots_blocked += 1;
                let mut why = match rules.unavailable() {
                    Some(cause) => format!("host disallowed for now: {cause}"),
                    None => "disallowed by robots.txt".to_owned(),
                };
                if url != first {
                    why.push_str(&format!(" (reached by a redirect from {first})"));
                }
                tracing::info!(url = %url, why = %why, "Blocked by robots.txt.");
                return Err(FetchError::RobotsDisallowed {
                    url: url.to_string(),
                    why,
                });
            }
            interval = self.interval_for(url, source_interval, rules.crawl_delay());
        }
        let mut attempt = 0;
        loop {
            attempt += 1;
            let (permit, waited) = host.turn(interval).await;
            run.stats.polite_wait += waited;
            run.stats.requests += 1;
            let mut result = self.attempt(hop).await;
            drop(permit);
            let status = match &result {
                Ok(Answer::Page(page)) => Some(page.status),
                Ok(Answer::Redirect { status, .. }) => Some(status.as_u16()),
                Err(failed) => failed.status(),
            };
            if let Some(s) = status {
                run.stats.status(s);
            }
            let mut retry_in = match &result {
                Ok(_) => None,
                Err(Attempt::Status(status, retry_after)) if retry::retryable(*status) => {
                    Some(match retry_after {
                        Some(d) if retry::honours_retry_after(*status) => {
                            (*d).min(self.config.max_retry_after)
                        }
                        _ => retry::backoff(self.config.backoff, attempt),
                    })
                }
                Err(Attempt::Failed { failure, .. }) if failure.retryable() => {
                    Some(retry::backoff(self.config.backoff, attempt))
                }
                Err(_) => None,
            };
            if let Err(Attempt::Failed {
                failure: Failure::Timeout,
                cause,
                ..
            }) = &mut result
            {
                let timeouts = run.add_timeout(&key);
                if limit > 0 && timeouts >= limit {
                    tracing::warn!(host = %key, timeouts, "The host keeps timing out: its remaining requests in this run are skipped.");
                    cause.push_str(&format!(
                        " ({key} timed out {timeouts} time(s) in this run: its remaining requests are skipped)"
                    ));
                    retry_in = None;
                }
            }
            match (result, retry_in) {
                (Ok(answer), _) => {
                    if let Answer::Page(page) = &answer {
                        run.stats.bytes += page.bytes as u64;
                    }
                    return Ok(answer);
                }
                (Err(e), Some(wait)) if attempt < self.config.max_attempts.max(1) => {
                    tracing::warn!(url = %url, attempt, wait_ms = wait.as_millis() as u64, error = %e.describe(), "Retrying.");
                    *retries += 1;
                    run.stats.retries += 1;
                    run.stats.retry_wait += wait;
                    tokio::time::sleep(wait).await;
                }
                (Err(e), _) => return Err(e.into_error(url.as_str(), attempt)),
            }
        }
    }

    /// The spacing for `url`'s host: on a loopback host with
    /// `loopback_interval` set, that; else the slowest of the source's, the
    /// configured one and robots.txt's `crawl_delay`, with the default when
    /// neither the source nor the configuration sets one.
    fn interval_for(
        &self,
        url: &Url,
        source: Option<Duration>,
        crawl_delay: Option<Duration>,
    ) -> Duration {
        let name = url.host_str().unwrap_or("");
        if let Some(interval) = self.config.loopback_interval {
            let loopback = name.eq_ignore_ascii_case("localhost")
                || name
                    .trim_start_matches('[')
                    .trim_end_matches(']')
                    .parse::<std::net::IpAddr>()
                    .is_ok_and(|ip| ip.is_loopback());
            if loopback {
                return interval;
            }
        }
        let name = url.host_str().unwrap_or("");
        let with_port = format!("{name}:{}", url.port_or_known_default().unwrap_or(0));
        let configured = self
            .config
            .host_intervals
            .get(&with_port)
            .or_else(|| self.config.host_intervals.get(name))
            .copied();
        let rule = match (source, configured) {
            (None, None) => self.config.default_host_interval,
            (a, b) => a.unwrap_or_default().max(b.unwrap_or_default()),
        };
        rule.max(crawl_delay.unwrap_or_default())
    }

    /// The host's robots.txt rules, fetched (in the host's turn) when not cached.
    async fn robots(
        &self,
        host: &host::Host,
        url: &Url,
        interval: Duration,
        run: &mut FetchRun,
    ) -> Arc<Rules> {
        let mut slot = host.robots.lock().await;
        if let Some(cached) = slot
            .as_ref()
            .filter(|c| c.until > tokio::time::Instant::now())
        {
            return cached.rules.clone();
        }
        let (permit, waited) = host.turn(interval).await;
        run.stats.polite_wait += waited;
        let agent = robots::agent_token(&self.config.user_agent);
        let rules = Arc::new(robots::fetch(&self.client, url, agent).await);
        drop(permit);
        let ttl = match rules.unavailable() {
            Some(_) => self.config.robots_error_ttl,
            None => self.config.robots_ttl,
        };
        *slot = Some(CachedRobots {
            rules: rules.clone(),
            until: tokio::time::Instant::now() + ttl,
        });
        rules
    }
}

/// The caller's headers, checked once (an invalid one is an error naming
/// it, never its value) and marked sensitive (HTTP/2 never indexes them).
fn caller_headers(request: &FetchRequest) -> Result<HeaderMap, FetchError> {
    let mut map = HeaderMap::with_capacity(request.headers.len());
    for (name, value) in &request.headers {
        let bad = |why: String| FetchError::BadHeader {
            url: request.url.clone(),
            name: name.clone(),
            why,
        };
        let name = HeaderName::from_bytes(name.as_bytes())
            .map_err(|_| bad("not a valid header name".into()))?;
        let mut value = HeaderValue::from_str(value)
            .map_err(|_| bad("the value has characters a header cannot carry".into()))?;
        value.set_sensitive(true);
        map.append(name, value);
    }
    Ok(map)
}

/// An error with its causes, one line.
pub(crate) fn error_chain(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        text.push_str(": ");
        text.push_str(&s.to_string());
        source = s.source();
    }
    text
}

#[cfg(test)]
mod tests;
