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
//! - Retries ([`retry`]): 408, 429 and 5xx, connection errors and timeouts,
//!   with exponential backoff and jitter; `Retry-After` honoured (capped) on
//!   429 and 503; other 4xx never retried; bounded attempts.
//! - Limits: connect and request timeouts, a per-run deadline ([`FetchRun`]),
//!   a streamed body cap, at most `max_redirects` redirects to http(s) only.
//! - Bodies decompressed (gzip, brotli, deflate) and decoded ([`decode`]).
//! - Conditional GET ([`conditional`]): a 304 is a success with an empty body.
//!
//! Every delay is a [`FetchConfig`] field, so tests run in milliseconds.

pub mod auth;
pub mod conditional;
pub mod decode;
pub mod host;
mod retry;
pub mod robots;
pub mod stats;

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use reqwest::header::{HeaderMap, HeaderValue, ACCEPT, CONTENT_TYPE, RETRY_AFTER, USER_AGENT};
use reqwest::{StatusCode, Url};

use host::{host_key, Hosts};
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
        }
    }
}

/// Why a page could not be fetched.
#[derive(Debug, thiserror::Error)]
pub enum FetchError {
    /// The URL does not parse or is not http(s).
    #[error("invalid URL {url:?}: {why}")]
    BadUrl {
        /// The URL.
        url: String,
        /// Why.
        why: String,
    },
    /// The HTTP client could not be built.
    #[error("cannot build the HTTP client: {0}")]
    Client(String),
    /// Transport failure (connection, timeout, broken body) after every attempt.
    #[error("GET {url} failed after {attempts} attempt(s): {cause}")]
    Transport {
        /// The URL.
        url: String,
        /// Attempts made.
        attempts: u32,
        /// Last error.
        cause: String,
    },
    /// A non-success HTTP status (after retries when retryable).
    #[error("GET {url} answered HTTP {status}")]
    Status {
        /// The URL.
        url: String,
        /// The status.
        status: u16,
    },
    /// The body exceeded the cap.
    #[error("GET {url}: body larger than {limit} bytes, abandoned")]
    TooLarge {
        /// The URL.
        url: String,
        /// The cap.
        limit: usize,
    },
    /// Too many redirects, a redirect loop, or a redirect to a non-http(s) URL.
    #[error("GET {url}: bad redirect: {cause}")]
    Redirect {
        /// The URL.
        url: String,
        /// What was wrong.
        cause: String,
    },
    /// robots.txt disallows the URL (or is unavailable): it was not requested.
    #[error("GET {url}: not requested, {why}")]
    RobotsDisallowed {
        /// The URL.
        url: String,
        /// Which rule (disallowed, or robots.txt unavailable).
        why: String,
    },
    /// The run's deadline passed before the request was done.
    #[error("GET {url}: run deadline reached")]
    Deadline {
        /// The URL.
        url: String,
    },
}

impl FetchError {
    /// The HTTP status behind the error, if any.
    pub fn status(&self) -> Option<u16> {
        match self {
            FetchError::Status { status, .. } => Some(*status),
            _ => None,
        }
    }
}

/// One request: GET by default; headers (auth, `Range`, conditional GET…)
/// and a form body (OAuth2 token requests) when a source needs them.
#[derive(Debug, Clone, Default)]
pub struct FetchRequest {
    /// Absolute http(s) URL.
    pub url: String,
    /// Extra request headers (name, value). Values may be secrets: never logged.
    pub headers: Vec<(String, String)>,
    /// When set, the request is a POST of this `application/x-www-form-urlencoded` form.
    pub form: Option<Vec<(String, String)>>,
    /// Minimum spacing between requests to this host (the source's rate).
    pub interval: Option<Duration>,
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
/// share the connection pool, the per-host limits and the robots.txt cache.
#[derive(Clone)]
pub struct Fetcher {
    client: reqwest::Client,
    config: Arc<FetchConfig>,
    hosts: Arc<Hosts>,
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
        let max_redirects = config.max_redirects;
        let policy = reqwest::redirect::Policy::custom(move |attempt| {
            if !matches!(attempt.url().scheme(), "http" | "https") {
                let why = format!("redirect to a {} URL refused", attempt.url().scheme());
                attempt.error(why)
            } else if attempt.previous().contains(attempt.url()) {
                let why = format!("redirect loop back to {}", attempt.url());
                attempt.error(why)
            } else if attempt.previous().len() > max_redirects {
                attempt.error(format!("more than {max_redirects} redirects"))
            } else {
                attempt.follow()
            }
        });
        let client = reqwest::Client::builder()
            .default_headers(headers)
            .connect_timeout(config.connect_timeout)
            .timeout(config.request_timeout)
            .redirect(policy)
            .build()
            .map_err(|e| FetchError::Client(e.to_string()))?;
        Ok(Fetcher {
            client,
            hosts: Arc::new(Hosts::new(config.host_concurrency)),
            config: Arc::new(config),
        })
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
    /// and concurrency, retries; counted in `run.stats`, bounded by `run.deadline`.
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
        let deadline = run.deadline;
        let work = self.fetch_polite(&parsed, request, run);
        match deadline {
            Some(at) => tokio::time::timeout_at(at, work).await.unwrap_or_else(|_| {
                Err(FetchError::Deadline {
                    url: url.to_owned(),
                })
            }),
            None => work.await,
        }
    }

    async fn fetch_polite(
        &self,
        url: &Url,
        request: &FetchRequest,
        run: &mut FetchRun,
    ) -> Result<Fetched, FetchError> {
        let host = self.hosts.get(&host_key(url));
        let mut interval = self.interval_for(url, request.interval);
        // robots.txt governs crawling: form POSTs (OAuth2 token requests) are not crawls.
        if self.config.obey_robots && request.form.is_none() {
            let rules = self.robots(&host, url, interval, run).await;
            if !rules.allows(url) {
                run.stats.robots_blocked += 1;
                let why = match rules.unavailable() {
                    Some(cause) => format!("host disallowed for now: {cause}"),
                    None => "disallowed by robots.txt".to_owned(),
                };
                tracing::info!(url = %url, why = %why, "Blocked by robots.txt.");
                return Err(FetchError::RobotsDisallowed {
                    url: url.to_string(),
                    why,
                });
            }
            interval = interval.max(rules.crawl_delay().unwrap_or_default());
        }
        let mut attempt = 0;
        loop {
            attempt += 1;
            let (permit, waited) = host.turn(interval).await;
            run.stats.polite_wait += waited;
            run.stats.requests += 1;
            let result = self.attempt(url, request).await;
            drop(permit);
            let status = match &result {
                Ok(f) => Some(f.status),
                Err(Attempt::Status(s, _)) => Some(s.as_u16()),
                Err(Attempt::TooLarge(s, _)) | Err(Attempt::Transport(Some(s), _)) => Some(*s),
                Err(_) => None,
            };
            if let Some(s) = status {
                run.stats.status(s);
            }
            let retry_in = match &result {
                Ok(_) => None,
                Err(Attempt::Status(status, retry_after)) if retry::retryable(*status) => {
                    Some(match retry_after {
                        Some(d) if retry::honours_retry_after(*status) => {
                            (*d).min(self.config.max_retry_after)
                        }
                        _ => retry::backoff(self.config.backoff, attempt),
                    })
                }
                Err(Attempt::Transport(..)) => Some(retry::backoff(self.config.backoff, attempt)),
                Err(_) => None,
            };
            match (result, retry_in) {
                (Ok(mut fetched), _) => {
                    run.stats.bytes += fetched.bytes as u64;
                    fetched.retries = attempt - 1;
                    return Ok(fetched);
                }
                (Err(e), Some(wait)) if attempt < self.config.max_attempts.max(1) => {
                    tracing::warn!(url = %url, attempt, wait_ms = wait.as_millis() as u64, error = %e.describe(), "Retrying.");
                    run.stats.retries += 1;
                    run.stats.retry_wait += wait;
                    tokio::time::sleep(wait).await;
                }
                (Err(e), _) => return Err(e.into_error(url.as_str(), attempt)),
            }
        }
    }

    /// The spacing for `url`'s host: the slowest of the source's and the
    /// configured one, else the default.
    fn interval_for(&self, url: &Url, source: Option<Duration>) -> Duration {
        let name = url.host_str().unwrap_or("");
        let with_port = format!("{name}:{}", url.port_or_known_default().unwrap_or(0));
        let configured = self
            .config
            .host_intervals
            .get(&with_port)
            .or_else(|| self.config.host_intervals.get(name))
            .copied();
        match (source, configured) {
            (None, None) => self.config.default_host_interval,
            (a, b) => a.unwrap_or_default().max(b.unwrap_or_default()),
        }
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

    async fn attempt(&self, url: &Url, request: &FetchRequest) -> Result<Fetched, Attempt> {
        let mut builder = match &request.form {
            Some(form) => {
                let body: String = form
                    .iter()
                    .map(|(k, v)| format!("{}={}", form_encode(k), form_encode(v)))
                    .collect::<Vec<_>>()
                    .join("&");
                self.client
                    .post(url.clone())
                    .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
                    .body(body)
            }
            None => self.client.get(url.clone()),
        };
        for (name, value) in &request.headers {
            builder = builder.header(name.as_str(), value.as_str());
        }
        let mut response = builder.send().await.map_err(Attempt::from_send)?;
        let status = response.status();
        if !status.is_success() && status != StatusCode::NOT_MODIFIED {
            let retry_after = response
                .headers()
                .get(RETRY_AFTER)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| retry::parse_retry_after(v, SystemTime::now()));
            return Err(Attempt::Status(status, retry_after));
        }
        let final_url = response.url().clone();
        let headers: Vec<(String, String)> = response
            .headers()
            .iter()
            .filter_map(|(k, v)| Some((k.as_str().to_owned(), v.to_str().ok()?.to_owned())))
            .collect();
        let content_type = response
            .headers()
            .get(CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        let limit = self.config.max_body_bytes;
        let code = status.as_u16();
        if response.content_length().is_some_and(|n| n > limit as u64) {
            return Err(Attempt::TooLarge(code, limit));
        }
        let mut body = Vec::new();
        while let Some(chunk) = response
            .chunk()
            .await
            .map_err(|e| Attempt::Transport(Some(code), error_chain(&e)))?
        {
            if body.len() + chunk.len() > limit {
                return Err(Attempt::TooLarge(code, limit));
            }
            body.extend_from_slice(&chunk);
        }
        let tld = final_url
            .host_str()
            .and_then(|h| h.rsplit('.').next())
            .filter(|t| t.len() >= 2 && t.bytes().all(|b| b.is_ascii_alphabetic()));
        Ok(Fetched {
            url: final_url.to_string(),
            status: code,
            bytes: body.len(),
            body: decode::decode_with_tld(&body, content_type.as_deref(), tld.map(str::as_bytes)),
            retries: 0,
            headers,
        })
    }
}

/// What went wrong with one attempt.
enum Attempt {
    /// Connection, timeout or body error (with the status if headers came).
    Transport(Option<u16>, String),
    /// A redirect was refused: not retried.
    Redirect(String),
    /// A status other than 2xx/304, with its `Retry-After`.
    Status(StatusCode, Option<Duration>),
    /// The body passed the cap (status, cap).
    TooLarge(u16, usize),
}

impl Attempt {
    fn from_send(e: reqwest::Error) -> Attempt {
        if e.is_redirect() {
            Attempt::Redirect(error_chain(&e))
        } else {
            Attempt::Transport(None, error_chain(&e))
        }
    }

    fn describe(&self) -> String {
        match self {
            Attempt::Transport(_, e) | Attempt::Redirect(e) => e.clone(),
            Attempt::Status(s, _) => format!("HTTP {}", s.as_u16()),
            Attempt::TooLarge(..) => "body too large".into(),
        }
    }

    fn into_error(self, url: &str, attempts: u32) -> FetchError {
        let url = url.to_owned();
        match self {
            Attempt::Transport(_, cause) => FetchError::Transport {
                url,
                attempts,
                cause,
            },
            Attempt::Redirect(cause) => FetchError::Redirect { url, cause },
            Attempt::Status(status, _) => FetchError::Status {
                url,
                status: status.as_u16(),
            },
            Attempt::TooLarge(_, limit) => FetchError::TooLarge { url, limit },
        }
    }
}

/// `application/x-www-form-urlencoded` encoding of one key or value.
fn form_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'*' => {
                out.push(b as char)
            }
            b' ' => out.push('+'),
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
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
