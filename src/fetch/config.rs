//! The client's settings: timeouts, caps, politeness and retry delays, each
//! a field so that tests run in milliseconds; defaults are the production values.

use std::collections::HashMap;
use std::time::Duration;

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
