//! Fetch: a polite HTTP client.
//!
//! One reqwest client per process (connection pool, timeouts, a User-Agent
//! naming the project), per-host spacing between requests, bounded retries
//! with exponential backoff on 429/5xx and connection errors (honouring
//! `Retry-After`), a cap on body size, and charset decoding (header, then
//! `<meta charset>`, then UTF-8).

pub mod auth;
pub mod decode;

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use reqwest::header::{HeaderMap, HeaderValue, ACCEPT, CONTENT_TYPE, RETRY_AFTER, USER_AGENT};
use reqwest::{StatusCode, Url};
use tokio::sync::Mutex;
use tokio::time::Instant;

/// The default User-Agent: names the project and where site owners learn what it does.
pub const DEFAULT_USER_AGENT: &str = concat!(
    "skilltrack/",
    env!("CARGO_PKG_VERSION"),
    " (+https://github.com/skilltrack/skilltrack; job-market skills statistics)"
);

/// Client settings.
#[derive(Debug, Clone)]
pub struct FetchConfig {
    /// User-Agent header.
    pub user_agent: String,
    /// Connect timeout.
    pub connect_timeout: Duration,
    /// Whole-request timeout (headers and body).
    pub request_timeout: Duration,
    /// Largest body accepted, in bytes.
    pub max_body_bytes: usize,
    /// Attempts per request (1 = no retry).
    pub max_attempts: u32,
    /// First backoff delay; doubles at each retry.
    pub backoff: Duration,
    /// Longest wait honoured from `Retry-After`.
    pub max_retry_after: Duration,
    /// Minimum spacing between requests to one host when a source sets none.
    pub default_host_interval: Duration,
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
    /// Transport failure after every attempt.
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

/// One request: GET by default; headers (auth, `Range`…) and a form body
/// (OAuth2 token requests) when a source needs them.
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
    /// HTTP status.
    pub status: u16,
    /// Body decoded to text.
    pub body: String,
    /// Body size in bytes, before decoding.
    pub bytes: usize,
    /// Retries made.
    pub retries: u32,
    /// Response headers (lowercase names), for `Content-Range`, `ETag`…
    pub headers: Vec<(String, String)>,
}

/// The polite client. Cheap to clone (shared state behind `Arc`).
#[derive(Clone)]
pub struct Fetcher {
    client: reqwest::Client,
    config: Arc<FetchConfig>,
    hosts: Arc<Mutex<HashMap<String, Instant>>>,
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
        let client = reqwest::Client::builder()
            .default_headers(headers)
            .connect_timeout(config.connect_timeout)
            .timeout(config.request_timeout)
            .redirect(reqwest::redirect::Policy::limited(5))
            .build()
            .map_err(|e| FetchError::Client(e.to_string()))?;
        Ok(Fetcher {
            client,
            config: Arc::new(config),
            hosts: Arc::new(Mutex::new(HashMap::new())),
        })
    }

    /// The settings.
    pub fn config(&self) -> &FetchConfig {
        &self.config
    }

    /// Waits until the host of `url` may be asked again, then books the slot.
    async fn wait_turn(&self, url: &Url, interval: Duration) {
        let host = format!(
            "{}:{}",
            url.host_str().unwrap_or(""),
            url.port_or_known_default().unwrap_or(0)
        );
        let start = {
            let mut hosts = self.hosts.lock().await;
            let now = Instant::now();
            let slot = hosts
                .get(&host)
                .copied()
                .filter(|t| *t > now)
                .unwrap_or(now);
            hosts.insert(host, slot + interval);
            slot
        };
        tokio::time::sleep_until(start).await;
    }

    /// GETs `url`, spacing requests to its host by `interval` (or the
    /// default), retrying transient failures.
    pub async fn get(&self, url: &str, interval: Option<Duration>) -> Result<Fetched, FetchError> {
        self.fetch(&FetchRequest {
            url: url.to_owned(),
            interval,
            ..FetchRequest::default()
        })
        .await
    }

    /// Sends one request politely (host spacing, retries on transient failures).
    pub async fn fetch(&self, request: &FetchRequest) -> Result<Fetched, FetchError> {
        let url = request.url.as_str();
        let interval = request.interval;
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
        let interval = interval.unwrap_or(self.config.default_host_interval);
        let mut attempt = 0;
        loop {
            attempt += 1;
            self.wait_turn(&parsed, interval).await;
            let result = self.attempt(&parsed, request).await;
            let retry_in = match &result {
                Ok(_) => None,
                Err(Attempt::Status(status, retry_after)) if is_retryable(*status) => Some(
                    retry_after
                        .map(|d| d.min(self.config.max_retry_after))
                        .unwrap_or_else(|| self.backoff(attempt)),
                ),
                Err(Attempt::Transport(_)) => Some(self.backoff(attempt)),
                Err(_) => None,
            };
            match (result, retry_in) {
                (Ok(mut fetched), _) => {
                    fetched.retries = attempt - 1;
                    return Ok(fetched);
                }
                (Err(e), Some(wait)) if attempt < self.config.max_attempts => {
                    tracing::warn!(url = %parsed, attempt, wait_ms = wait.as_millis() as u64, error = %e.describe(), "Retrying.");
                    tokio::time::sleep(wait).await;
                }
                (Err(e), _) => return Err(e.into_error(url, attempt)),
            }
        }
    }

    fn backoff(&self, attempt: u32) -> Duration {
        let base = self
            .config
            .backoff
            .saturating_mul(1 << (attempt - 1).min(10));
        // Jitter: up to a quarter more, derived from the clock's nanoseconds.
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.subsec_nanos())
            .unwrap_or(0);
        base + base.mul_f64(f64::from(nanos % 1000) / 4000.0)
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
        let response = builder
            .send()
            .await
            .map_err(|e| Attempt::Transport(error_chain(&e)))?;
        let status = response.status();
        if !status.is_success() {
            let retry_after = response
                .headers()
                .get(RETRY_AFTER)
                .and_then(|v| v.to_str().ok())
                .and_then(parse_retry_after);
            return Err(Attempt::Status(status, retry_after));
        }
        let final_url = response.url().to_string();
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
        if response
            .content_length()
            .is_some_and(|n| n as usize > limit)
        {
            return Err(Attempt::TooLarge(limit));
        }
        let mut body = Vec::new();
        let mut response = response;
        while let Some(chunk) = response
            .chunk()
            .await
            .map_err(|e| Attempt::Transport(error_chain(&e)))?
        {
            if body.len() + chunk.len() > limit {
                return Err(Attempt::TooLarge(limit));
            }
            body.extend_from_slice(&chunk);
        }
        Ok(Fetched {
            url: final_url,
            status: status.as_u16(),
            bytes: body.len(),
            body: decode::decode(&body, content_type.as_deref()),
            retries: 0,
            headers,
        })
    }
}

enum Attempt {
    Transport(String),
    Status(StatusCode, Option<Duration>),
    TooLarge(usize),
}

impl Attempt {
    fn describe(&self) -> String {
        match self {
            Attempt::Transport(e) => e.clone(),
            Attempt::Status(s, _) => format!("HTTP {}", s.as_u16()),
            Attempt::TooLarge(_) => "body too large".into(),
        }
    }

    fn into_error(self, url: &str, attempts: u32) -> FetchError {
        match self {
            Attempt::Transport(cause) => FetchError::Transport {
                url: url.to_owned(),
                attempts,
                cause,
            },
            Attempt::Status(status, _) => FetchError::Status {
                url: url.to_owned(),
                status: status.as_u16(),
            },
            Attempt::TooLarge(limit) => FetchError::TooLarge {
                url: url.to_owned(),
                limit,
            },
        }
    }
}

fn is_retryable(status: StatusCode) -> bool {
    status == StatusCode::TOO_MANY_REQUESTS
        || status == StatusCode::REQUEST_TIMEOUT
        || status.is_server_error()
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

/// `Retry-After` as seconds or an HTTP date.
fn parse_retry_after(value: &str) -> Option<Duration> {
    let value = value.trim();
    if let Ok(secs) = value.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    let when =
        time::OffsetDateTime::parse(value, &time::format_description::well_known::Rfc2822).ok()?;
    let secs = (when - time::OffsetDateTime::now_utc()).whole_seconds();
    Some(Duration::from_secs(secs.max(0) as u64))
}

/// An error with its causes, one line.
fn error_chain(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        text.push_str(": ");
        text.push_str(&s.to_string());
        source = s.source();
    }
    text
}
