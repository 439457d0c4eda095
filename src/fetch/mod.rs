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
//!   why), and a body (a form, a JSON search) never leaves its origin.
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
//!
//! # Layout
//! Two halves. The client and one exchange: `client` builds the reqwest
//! client and checks the caller's headers, `attempt` sends one request and
//! classifies its answer, `body` streams a body up to the cap and decodes it
//! ([`decode`]). The polite loop: `polite` follows a request hop by hop
//! (timeout budget, robots.txt, the host's turn, attempts and retries), with
//! `redirect`, [`host`], [`robots`], `retry` and [`stats`]. [`auth`] makes the
//! headers of authenticated sources; `error` says why a fetch failed, its
//! cause kept as the error's source ([`crate::domain::error_chain`] prints them all).

mod attempt;
pub mod auth;
mod body;
mod client;
mod config;
pub mod decode;
mod error;
pub mod host;
mod polite;
mod redirect;
mod retry;
pub mod robots;
pub mod stats;

use std::sync::Arc;
use std::time::Duration;

use reqwest::Url;

use crate::domain::{AuthSpec, SourceId};
use auth::{Auth, Credentials};
pub use config::{FetchConfig, DEFAULT_USER_AGENT};
pub use error::{FetchError, GaveUp};
use host::Hosts;
pub use redirect::BadRedirect;
pub use retry::Failure;
pub use stats::{FetchRun, FetchStats};

/// One request: GET by default; headers (auth, `Range`, conditional GET…),
/// a form body (OAuth2 token requests) or a JSON body (search APIs asked
/// with a POST, `[request]` in a source file) when a source needs them.
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
    /// When set (and `form` is not), the request is a POST of this JSON text
    /// (`application/json`). Unlike a form it is a crawl: robots.txt is
    /// checked; like a form it never goes to another origin.
    pub json: Option<String>,
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
            .field("json", &self.json.as_ref().map(String::len))
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
        Ok(Fetcher {
            client: client::build(&config)?,
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
        let parsed = Url::parse(url).map_err(|source| FetchError::BadUrl {
            url: url.to_owned(),
            source,
        })?;
        if !matches!(parsed.scheme(), "http" | "https") {
            return Err(FetchError::NotHttp {
                url: url.to_owned(),
                scheme: parsed.scheme().to_owned(),
            });
        }
        let headers = client::caller_headers(request)?;
        let deadline = run.deadline;
        let work = self.follow(&parsed, request, &headers, run);
        match deadline {
            Some(at) => tokio::time::timeout_at(at, work).await.unwrap_or_else(|_| {
                Err(FetchError::Deadline {
                    url: url.to_owned(),
                })
            }),
            None => work.await,
        }
    }
}

#[cfg(test)]
mod tests;
