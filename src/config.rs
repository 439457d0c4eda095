//! Configuration: a TOML file (optional), then environment variables, then
//! command-line flags, each overriding the one before. Every key has a
//! default, so no file is needed to start.
//!
//! | key              | env                          | default            |
//! |------------------|------------------------------|--------------------|
//! | `data_dir`       | `SKILLTRACK_DATA_DIR`        | `var/db`           |
//! | `extractors_dir` | `SKILLTRACK_EXTRACTORS_DIR`  | `extractors`       |
//! | `bind`           | `SKILLTRACK_BIND`            | `127.0.0.1:8080`   |
//! | `cache_mb`       | `SKILLTRACK_CACHE_MB`        | `32`               |
//! | `user_agent`     | `SKILLTRACK_USER_AGENT`      | names the project  |
//! | `request_timeout_secs` | `SKILLTRACK_REQUEST_TIMEOUT_SECS` | `30`   |
//! | `max_body_mb`    | `SKILLTRACK_MAX_BODY_MB`     | `10`               |
//! | `[fetch] connect_timeout_secs` | `SKILLTRACK_CONNECT_TIMEOUT_SECS` | `10` |
//! | `[fetch] max_attempts`         | `SKILLTRACK_MAX_ATTEMPTS`     | `3`     |
//! | `[fetch] backoff_ms`           | —                             | `500`   |
//! | `[fetch] max_retry_after_secs` | —                             | `120`   |
//! | `[fetch] default_rate`         | `SKILLTRACK_DEFAULT_RATE`     | `"1/s"` |
//! | `[fetch] host_concurrency`     | `SKILLTRACK_HOST_CONCURRENCY` | `1`     |
//! | `[fetch] max_redirects`        | —                             | `5`     |
//! | `[fetch] obey_robots`          | —                             | `true`  |
//! | `[fetch] robots_cache_hours`   | —                             | `24`    |
//! | `[fetch] run_deadline_secs`    | `SKILLTRACK_RUN_DEADLINE_SECS` | `1800` (0: none) |
//! | `[fetch] host_timeout_limit`   | `SKILLTRACK_HOST_TIMEOUT_LIMIT` | `3` (0: never skip) |
//! | `[fetch] loopback_rate`        | `SKILLTRACK_LOOPBACK_RATE`    | none (loopback hosts like any other) |
//! | `[fetch.host_rates] HOST`      | —                             | none    |
//! | `[server] header_timeout_secs` | `SKILLTRACK_HEADER_TIMEOUT_SECS` | `10` |
//! | `[server] idle_timeout_secs`   | `SKILLTRACK_IDLE_TIMEOUT_SECS`   | `60` |
//! | `[server] max_connections`     | `SKILLTRACK_MAX_CONNECTIONS`     | `256` |
//! | `[import] max_line_mb`         | `SKILLTRACK_MAX_LINE_MB` | `4`         |
//! | `[trends] min_support`         | `SKILLTRACK_MIN_SUPPORT` | `30`        |
//! | `[api] cors_origins`           | `SKILLTRACK_CORS_ORIGINS` (comma-separated) | `[]` (CORS off); `"*"`: any origin |
//! | `[api] admin_token`            | `SKILLTRACK_ADMIN_TOKEN` | none (admin routes answer 403) |
//! | `[schedule] catch_up`          | `SKILLTRACK_CATCH_UP` (`true`/`false`) | `true` |
//! | `[schedule] catch_up_spacing_secs` | —                    | `15`        |
//! | `[schedule] catch_up_jitter_secs`  | —                    | `10`        |
//! | `[schedule] shutdown_grace_secs`   | `SKILLTRACK_SHUTDOWN_GRACE_SECS` | `5` |
//! | `[counting] dedup_window_days` | —                | `60`               |
//! | `[counting] unseen_close_days` | —                | `7`                |
//! | `[counting] max_open_days`     | —                | `90`               |
//! | `[sources.ID] base_url`, `enabled` | —          | from the source file |
//!
//! Durations (keys ending in `_secs`, `_ms`, `_hours`, and their variables)
//! take a whole number in that unit or a duration with its unit (`"90s"`,
//! `"1h 30m"`); see [`duration`]. They are `Duration`s from then on.
//!
//! A `SKILLTRACK_*` variable set to an empty value is an error (unset it to
//! get the default), and so is a number out of its range (see
//! [`Config::validate`]): both exit with status 3, never a panic later.
//!
//! [`keys`] lists every key once (variable, flag, secret, shown value);
//! [`check`] is `skilltrack config check`: unknown keys with a suggestion,
//! type errors with key and line, and each effective value's origin.
//! `skilltrack.example.toml` sets every key to its default (tested).

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Deserialize;

use crate::api::admin::AdminToken;
use crate::api::server::{self, ServerLimits};
use crate::api::Cors;
use crate::domain::CountRules;
use crate::domain::{Rate, RateError};
use crate::fetch::{FetchConfig, DEFAULT_USER_AGENT};
use crate::lines::DEFAULT_MAX_LINE_MB;
use duration::Unit;
pub use schedule::{
    ScheduleSettings, DEFAULT_CATCH_UP_JITTER, DEFAULT_CATCH_UP_SPACING, DEFAULT_SHUTDOWN_GRACE,
};

/// The shortest timeout used when a [`Config`] was not validated.
const ONE_SECOND: Duration = Duration::from_secs(1);
/// The shortest robots.txt cache time used likewise.
const ONE_HOUR: Duration = Duration::from_secs(3600);

/// Default database directory (outside the versioned `data/`).
pub const DEFAULT_DATA_DIR: &str = "var/db";
/// Default directory of source definitions.
pub const DEFAULT_EXTRACTORS_DIR: &str = "extractors";
/// Default address of the HTTP API.
pub const DEFAULT_BIND: &str = "127.0.0.1:8080";

/// Default size of the store's page cache in megabytes (`cache_mb`),
/// handed to the store when it is opened.
pub const DEFAULT_CACHE_MB: u64 = 32;
/// Largest `cache_mb` accepted (1 TiB).
pub const MAX_CACHE_MB: u64 = 1 << 20;

/// Default rate per host (`[fetch] default_rate`).
pub const DEFAULT_RATE: Rate = Rate::ONE_PER_SECOND;

/// Every environment variable [`Config::apply_env`] reads.
pub const ENV_VARS: [&str; 23] = [
    "SKILLTRACK_DATA_DIR",
    "SKILLTRACK_EXTRACTORS_DIR",
    "SKILLTRACK_BIND",
    "SKILLTRACK_CACHE_MB",
    "SKILLTRACK_USER_AGENT",
    "SKILLTRACK_REQUEST_TIMEOUT_SECS",
    "SKILLTRACK_MAX_BODY_MB",
    "SKILLTRACK_CONNECT_TIMEOUT_SECS",
    "SKILLTRACK_MAX_ATTEMPTS",
    "SKILLTRACK_HOST_CONCURRENCY",
    "SKILLTRACK_RUN_DEADLINE_SECS",
    "SKILLTRACK_DEFAULT_RATE",
    "SKILLTRACK_MAX_LINE_MB",
    "SKILLTRACK_HOST_TIMEOUT_LIMIT",
    "SKILLTRACK_LOOPBACK_RATE",
    "SKILLTRACK_HEADER_TIMEOUT_SECS",
    "SKILLTRACK_IDLE_TIMEOUT_SECS",
    "SKILLTRACK_MAX_CONNECTIONS",
    "SKILLTRACK_MIN_SUPPORT",
    "SKILLTRACK_CORS_ORIGINS",
    "SKILLTRACK_ADMIN_TOKEN",
    "SKILLTRACK_CATCH_UP",
    "SKILLTRACK_SHUTDOWN_GRACE_SECS",
];

/// Why the configuration could not be loaded. The message names the file,
/// key or variable and the bad value; the parser's own error, when there is
/// one, is the `source` (print the chain, `{:#}` with anyhow, to see it).
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The file could not be read.
    #[error("cannot read config file {path}")]
    Read {
        /// The file.
        path: String,
        /// The error.
        #[source]
        source: std::io::Error,
    },
    /// The file is not valid TOML, or not a valid configuration.
    #[error("config file {path}")]
    Parse {
        /// The file.
        path: String,
        /// The parser's error (it shows the line, the value and why).
        #[source]
        source: TomlError,
    },
    /// An environment variable has a bad value.
    #[error("environment variable {var}={value:?}: {why}")]
    Env {
        /// The variable.
        var: &'static str,
        /// Its value.
        value: String,
        /// Why it is rejected.
        why: String,
    },
    /// An environment variable holds a rate that does not parse.
    #[error("environment variable {var}={value:?}")]
    EnvRate {
        /// The variable.
        var: &'static str,
        /// Its value.
        value: String,
        /// Why it is rejected.
        #[source]
        source: RateError,
    },
    /// A rate of the `[fetch]` section does not parse.
    #[error("configuration `[fetch] {key}` = {value:?}")]
    Rate {
        /// The key (`default_rate`, `host_rates.HOST`, `loopback_rate`).
        key: String,
        /// Its value.
        value: String,
        /// Why it is rejected.
        #[source]
        source: RateError,
    },
    /// A key is out of its accepted range (from the file or the environment).
    #[error("configuration `{key}`{} = {value}: {why}", env.map(|v| format!(" (or {v})")).unwrap_or_default())]
    Range {
        /// The key, as written in the file (`[fetch] max_attempts`).
        key: &'static str,
        /// The environment variable that also sets it, if any.
        env: Option<&'static str>,
        /// Its value.
        value: String,
        /// The accepted range.
        why: String,
    },
}

/// A TOML error, shown without the blank line the parser's message ends with.
#[derive(Debug, thiserror::Error)]
#[error("{}", .0.to_string().trim_end())]
pub struct TomlError(pub toml::de::Error);

/// Per-source overrides.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SourceOverride {
    /// Replaces the source's `base_url` (a mirror or proxy).
    pub base_url: Option<String>,
    /// Replaces the source's OAuth2 token URL (else it follows `base_url`).
    pub auth_url: Option<String>,
    /// Enables or disables scheduled collection.
    pub enabled: Option<bool>,
}

/// The whole configuration.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Config {
    /// Database directory.
    pub data_dir: PathBuf,
    /// Source definitions directory.
    pub extractors_dir: PathBuf,
    /// Address of the HTTP API.
    pub bind: SocketAddr,
    /// sled page cache, in megabytes.
    pub cache_mb: u64,
    /// User-Agent of every request.
    pub user_agent: String,
    /// Whole-request timeout (`request_timeout_secs`).
    #[serde(rename = "request_timeout_secs", deserialize_with = "duration::secs")]
    pub request_timeout: Duration,
    /// Largest page body accepted, megabytes.
    pub max_body_mb: u64,
    /// Fetching politeness and limits.
    pub fetch: FetchSettings,
    /// Limits of the HTTP API server.
    pub server: ServerSettings,
    /// Counting rules.
    pub counting: CountingConfig,
    /// How `import`, `extract` and `restore` read their input.
    pub import: ImportSettings,
    /// How trends are reported.
    pub trends: TrendSettings,
    /// Who may call the HTTP API from a browser, and the admin token.
    pub api: ApiSettings,
    /// Catch-up at start and the shutdown grace period of `serve`.
    pub schedule: ScheduleSettings,
    /// Per-source overrides, by source id.
    pub sources: BTreeMap<String, SourceOverride>,
    /// The `[fetch]` rates, parsed by [`Config::apply_env`] (which
    /// [`Config::load`] calls) from the text the file and the environment
    /// give.
    #[serde(skip)]
    pub rates: FetchRates,
}

/// The rates of the `[fetch]` section, parsed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FetchRates {
    /// `default_rate`.
    pub default: Rate,
    /// `host_rates`, by host.
    pub hosts: BTreeMap<String, Rate>,
    /// `loopback_rate`.
    pub loopback: Option<Rate>,
}

impl Default for FetchRates {
    fn default() -> FetchRates {
        FetchRates {
            default: DEFAULT_RATE,
            hosts: BTreeMap::new(),
            loopback: None,
        }
    }
}

/// The `[fetch]` section: politeness and limits of the HTTP client.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct FetchSettings {
    /// Connect timeout (`connect_timeout_secs`).
    #[serde(rename = "connect_timeout_secs", deserialize_with = "duration::secs")]
    pub connect_timeout: Duration,
    /// Attempts per request (1 = no retry).
    pub max_attempts: u32,
    /// First retry backoff (`backoff_ms`; doubles at each retry, plus jitter).
    #[serde(rename = "backoff_ms", deserialize_with = "duration::millis")]
    pub backoff: Duration,
    /// Longest `Retry-After` honoured (`max_retry_after_secs`).
    #[serde(rename = "max_retry_after_secs", deserialize_with = "duration::secs")]
    pub max_retry_after: Duration,
    /// Rate per host when a source sets none (`"1/s"`, `"10/min"`).
    pub default_rate: String,
    /// Requests in flight per host.
    pub host_concurrency: usize,
    /// Redirects followed per request.
    pub max_redirects: usize,
    /// Whether robots.txt is fetched and obeyed.
    pub obey_robots: bool,
    /// How long a robots.txt is cached (`robots_cache_hours`).
    #[serde(rename = "robots_cache_hours", deserialize_with = "duration::hours")]
    pub robots_cache: Duration,
    /// Total fetching time of one source run (`run_deadline_secs`; zero: no
    /// deadline).
    #[serde(rename = "run_deadline_secs", deserialize_with = "duration::secs")]
    pub run_deadline: Duration,
    /// Timeouts on one host after which a run skips the host's remaining
    /// requests (0: never skip).
    pub host_timeout_limit: u32,
    /// Rate per host name (or `name:port`), e.g. `"api.example.com" = "2/s"`;
    /// the slowest of this and the source's `rate` applies.
    pub host_rates: BTreeMap<String, String>,
    /// Rate for loopback hosts (127.0.0.0/8, `::1`, `localhost`: a local
    /// mirror, a test server), replacing every other rule for them (source
    /// rates, host rates, `Crawl-delay`); other hosts are not affected.
    pub loopback_rate: Option<String>,
}

impl Default for FetchSettings {
    fn default() -> FetchSettings {
        let f = FetchConfig::default();
        FetchSettings {
            connect_timeout: f.connect_timeout,
            max_attempts: f.max_attempts,
            backoff: f.backoff,
            max_retry_after: f.max_retry_after,
            default_rate: DEFAULT_RATE.to_string(),
            host_concurrency: f.host_concurrency,
            max_redirects: f.max_redirects,
            obey_robots: f.obey_robots,
            robots_cache: f.robots_ttl,
            run_deadline: f.run_deadline.unwrap_or(Duration::ZERO),
            host_timeout_limit: f.host_timeout_limit,
            host_rates: BTreeMap::new(),
            loopback_rate: None,
        }
    }
}

/// The `[server]` section: limits of the HTTP API server.
#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ServerSettings {
    /// Time allowed for a request's headers (and for an idle keep-alive
    /// connection to send its next request) (`header_timeout_secs`).
    #[serde(rename = "header_timeout_secs", deserialize_with = "duration::secs")]
    pub header_timeout: Duration,
    /// A connection on which no byte moves for this long is closed
    /// (`idle_timeout_secs`).
    #[serde(rename = "idle_timeout_secs", deserialize_with = "duration::secs")]
    pub idle_timeout: Duration,
    /// Connections served at once; more wait until one closes.
    pub max_connections: usize,
}

impl Default for ServerSettings {
    fn default() -> ServerSettings {
        ServerSettings {
            header_timeout: Duration::from_secs(server::DEFAULT_HEADER_TIMEOUT_SECS),
            idle_timeout: Duration::from_secs(server::DEFAULT_IDLE_TIMEOUT_SECS),
            max_connections: server::DEFAULT_MAX_CONNECTIONS,
        }
    }
}

/// The `[import]` section: how JSON Lines input is read.
#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ImportSettings {
    /// Longest line accepted, megabytes; a longer line is skipped and
    /// reported by number (`restore` allows at least twice `max_body_mb`).
    pub max_line_mb: u64,
}

impl Default for ImportSettings {
    fn default() -> ImportSettings {
        ImportSettings {
            max_line_mb: DEFAULT_MAX_LINE_MB,
        }
    }
}

impl ImportSettings {
    /// The longest line, in bytes.
    pub fn max_line_bytes(&self) -> usize {
        usize::try_from(self.max_line_mb.saturating_mul(1 << 20)).unwrap_or(usize::MAX)
    }
}

/// The `[trends]` section: how trend points are reported.
#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct TrendSettings {
    /// A point whose `total` is under this is flagged `low_support` (its
    /// share rests on too few postings to be read alone).
    pub min_support: u64,
}

impl Default for TrendSettings {
    fn default() -> TrendSettings {
        TrendSettings {
            min_support: crate::trends::DEFAULT_MIN_SUPPORT,
        }
    }
}

/// The `[api]` section: the HTTP API's openness to browsers.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ApiSettings {
    /// Origins whose pages may read the API's responses (CORS):
    /// `["https://a.example", …]`, or `"*"` for any; empty (the default):
    /// CORS off.
    #[serde(deserialize_with = "one_or_many")]
    pub cors_origins: Vec<String>,
    /// The bearer token of the admin routes (`POST /api/v1/sources/{id}/run`,
    /// `POST /api/v1/reload`); none: they answer 403. Never printed.
    pub admin_token: Option<AdminToken>,
}

/// A string (`"*"`) or a list of strings.
fn one_or_many<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Vec<String>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum OneOrMany {
        One(String),
        Many(Vec<String>),
    }
    Ok(match OneOrMany::deserialize(d)? {
        OneOrMany::One(s) => vec![s],
        OneOrMany::Many(v) => v,
    })
}

/// The `[counting]` section: parameters of the counting rules.
#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct CountingConfig {
    /// Same-fingerprint postings at most this many days after a cluster's
    /// first posting day are one job.
    pub dedup_window_days: i32,
    /// A posting unseen for this many days is closed.
    pub unseen_close_days: i32,
    /// A posting is closed at the latest this many days after its posting day.
    pub max_open_days: i32,
}

impl Default for CountingConfig {
    fn default() -> CountingConfig {
        let r = CountRules::default();
        CountingConfig {
            dedup_window_days: r.dedup_window_days,
            unseen_close_days: r.unseen_close_days,
            max_open_days: r.max_open_days,
        }
    }
}

impl Default for Config {
    fn default() -> Config {
        Config {
            data_dir: PathBuf::from(DEFAULT_DATA_DIR),
            extractors_dir: PathBuf::from(DEFAULT_EXTRACTORS_DIR),
            bind: DEFAULT_BIND
                .parse()
                .unwrap_or_else(|_| SocketAddr::from(([127, 0, 0, 1], 8080))),
            cache_mb: DEFAULT_CACHE_MB,
            user_agent: DEFAULT_USER_AGENT.to_owned(),
            request_timeout: Duration::from_secs(30),
            max_body_mb: 10,
            fetch: FetchSettings::default(),
            server: ServerSettings::default(),
            counting: CountingConfig::default(),
            import: ImportSettings::default(),
            trends: TrendSettings::default(),
            api: ApiSettings::default(),
            schedule: ScheduleSettings::default(),
            sources: BTreeMap::new(),
            rates: FetchRates::default(),
        }
    }
}

impl Config {
    /// Loads `file` (if given) and applies environment overrides.
    pub fn load(file: Option<&Path>) -> Result<Config, ConfigError> {
        let mut config = match file {
            Some(path) => {
                let shown = path.display().to_string();
                let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
                    path: shown.clone(),
                    source,
                })?;
                toml::from_str(&text).map_err(|e| ConfigError::Parse {
                    path: shown,
                    source: TomlError(e),
                })?
            }
            None => Config::default(),
        };
        config.apply_env(|k| std::env::var(k).ok())?;
        Ok(config)
    }

    /// Applies `SKILLTRACK_*` overrides read through `get`, then checks the
    /// result ([`Config::validate`]). A variable set to an empty (or blank)
    /// value is an error naming it: unset it to get the default.
    pub fn apply_env(&mut self, get: impl Fn(&str) -> Option<String>) -> Result<(), ConfigError> {
        fn num(var: &'static str, v: String) -> Result<u64, ConfigError> {
            v.trim().parse().map_err(|_| ConfigError::Env {
                var,
                value: v,
                why: "expected a whole number".into(),
            })
        }
        fn dur(var: &'static str, v: String, unit: Unit) -> Result<Duration, ConfigError> {
            duration::parse(&v, unit).map_err(|why| ConfigError::Env { var, value: v, why })
        }
        for var in ENV_VARS {
            if let Some(value) = get(var).filter(|v| v.trim().is_empty()) {
                return Err(ConfigError::Env {
                    var,
                    value,
                    why: "empty: give a value, or unset it to use the default".into(),
                });
            }
        }
        if let Some(v) = get("SKILLTRACK_DATA_DIR") {
            self.data_dir = v.into();
        }
        if let Some(v) = get("SKILLTRACK_EXTRACTORS_DIR") {
            self.extractors_dir = v.into();
        }
        if let Some(v) = get("SKILLTRACK_BIND") {
            self.bind = v.parse().map_err(|_| ConfigError::Env {
                var: "SKILLTRACK_BIND",
                value: v.clone(),
                why: "expected an address such as 127.0.0.1:8080".into(),
            })?;
        }
        if let Some(v) = get("SKILLTRACK_CACHE_MB") {
            self.cache_mb = num("SKILLTRACK_CACHE_MB", v)?;
        }
        if let Some(v) = get("SKILLTRACK_USER_AGENT") {
            self.user_agent = v;
        }
        if let Some(v) = get("SKILLTRACK_REQUEST_TIMEOUT_SECS") {
            self.request_timeout = dur("SKILLTRACK_REQUEST_TIMEOUT_SECS", v, Unit::Secs)?;
        }
        if let Some(v) = get("SKILLTRACK_MAX_BODY_MB") {
            self.max_body_mb = num("SKILLTRACK_MAX_BODY_MB", v)?;
        }
        if let Some(v) = get("SKILLTRACK_CONNECT_TIMEOUT_SECS") {
            self.fetch.connect_timeout = dur("SKILLTRACK_CONNECT_TIMEOUT_SECS", v, Unit::Secs)?;
        }
        if let Some(v) = get("SKILLTRACK_MAX_ATTEMPTS") {
            self.fetch.max_attempts =
                u32::try_from(num("SKILLTRACK_MAX_ATTEMPTS", v)?).unwrap_or(u32::MAX);
        }
        if let Some(v) = get("SKILLTRACK_HOST_CONCURRENCY") {
            self.fetch.host_concurrency =
                usize::try_from(num("SKILLTRACK_HOST_CONCURRENCY", v)?).unwrap_or(usize::MAX);
        }
        if let Some(v) = get("SKILLTRACK_RUN_DEADLINE_SECS") {
            self.fetch.run_deadline = dur("SKILLTRACK_RUN_DEADLINE_SECS", v, Unit::Secs)?;
        }
        if let Some(v) = get("SKILLTRACK_HOST_TIMEOUT_LIMIT") {
            self.fetch.host_timeout_limit =
                num("SKILLTRACK_HOST_TIMEOUT_LIMIT", v)?.min(u64::from(u32::MAX)) as u32;
        }
        if let Some(v) = get("SKILLTRACK_LOOPBACK_RATE") {
            v.parse::<Rate>().map_err(|source| ConfigError::EnvRate {
                var: "SKILLTRACK_LOOPBACK_RATE",
                value: v.clone(),
                source,
            })?;
            self.fetch.loopback_rate = Some(v);
        }
        if let Some(v) = get("SKILLTRACK_HEADER_TIMEOUT_SECS") {
            self.server.header_timeout = dur("SKILLTRACK_HEADER_TIMEOUT_SECS", v, Unit::Secs)?;
        }
        if let Some(v) = get("SKILLTRACK_IDLE_TIMEOUT_SECS") {
            self.server.idle_timeout = dur("SKILLTRACK_IDLE_TIMEOUT_SECS", v, Unit::Secs)?;
        }
        if let Some(v) = get("SKILLTRACK_MAX_CONNECTIONS") {
            self.server.max_connections = num("SKILLTRACK_MAX_CONNECTIONS", v)? as usize;
        }
        if let Some(v) = get("SKILLTRACK_DEFAULT_RATE") {
            v.parse::<Rate>().map_err(|source| ConfigError::EnvRate {
                var: "SKILLTRACK_DEFAULT_RATE",
                value: v.clone(),
                source,
            })?;
            self.fetch.default_rate = v;
        }
        if let Some(v) = get("SKILLTRACK_MAX_LINE_MB") {
            self.import.max_line_mb = num("SKILLTRACK_MAX_LINE_MB", v)?;
        }
        if let Some(v) = get("SKILLTRACK_MIN_SUPPORT") {
            self.trends.min_support = num("SKILLTRACK_MIN_SUPPORT", v)?;
        }
        if let Some(v) = get("SKILLTRACK_CORS_ORIGINS") {
            self.api.cors_origins = v.split(',').map(|o| o.trim().to_owned()).collect();
        }
        if let Some(v) = get("SKILLTRACK_ADMIN_TOKEN") {
            // Not blank: checked above with every variable.
            self.api.admin_token = AdminToken::new(&v);
        }
        if let Some(v) = get("SKILLTRACK_CATCH_UP") {
            self.schedule.catch_up = match v.trim() {
                "true" | "1" => true,
                "false" | "0" => false,
                _ => {
                    return Err(ConfigError::Env {
                        var: "SKILLTRACK_CATCH_UP",
                        value: v,
                        why: "expected true or false".into(),
                    })
                }
            };
        }
        if let Some(v) = get("SKILLTRACK_SHUTDOWN_GRACE_SECS") {
            self.schedule.shutdown_grace = dur("SKILLTRACK_SHUTDOWN_GRACE_SECS", v, Unit::Secs)?;
        }
        self.rates = self.fetch.rates()?;
        self.validate()
    }

    /// The counting rules.
    pub fn count_rules(&self) -> CountRules {
        CountRules {
            dedup_window_days: self.counting.dedup_window_days.max(0),
            unseen_close_days: self.counting.unseen_close_days.max(0),
            max_open_days: self.counting.max_open_days.max(1),
        }
    }

    /// The CORS policy of the API (`[api] cors_origins`, checked by
    /// [`Config::validate`]; off if it does not parse).
    pub fn cors(&self) -> Cors {
        Cors::from_origins(&self.api.cors_origins).unwrap_or_default()
    }

    /// The HTTP server's limits (zeros read as the smallest useful value:
    /// 1 s, one connection).
    pub fn server_limits(&self) -> ServerLimits {
        let s = &self.server;
        ServerLimits {
            header_timeout: s.header_timeout.max(ONE_SECOND),
            idle_timeout: s.idle_timeout.max(ONE_SECOND),
            max_connections: s.max_connections.max(1),
            ..ServerLimits::default()
        }
    }

    /// The HTTP client settings (with the rates parsed by [`Config::load`]).
    pub fn fetch_config(&self) -> FetchConfig {
        let defaults = FetchConfig::default();
        let f = &self.fetch;
        let rates = &self.rates;
        FetchConfig {
            user_agent: self.user_agent.clone(),
            connect_timeout: f.connect_timeout.max(ONE_SECOND),
            request_timeout: self.request_timeout.max(ONE_SECOND),
            max_body_bytes: (self.max_body_mb.max(1) * 1024 * 1024) as usize,
            max_attempts: f.max_attempts.max(1),
            backoff: f.backoff,
            max_retry_after: f.max_retry_after,
            default_host_interval: rates.default.interval(),
            host_intervals: rates
                .hosts
                .iter()
                .map(|(host, rate)| (host.clone(), rate.interval()))
                .collect(),
            host_concurrency: f.host_concurrency.max(1),
            max_redirects: f.max_redirects,
            obey_robots: f.obey_robots,
            robots_ttl: f.robots_cache.max(ONE_HOUR),
            run_deadline: (!f.run_deadline.is_zero()).then_some(f.run_deadline),
            host_timeout_limit: f.host_timeout_limit,
            loopback_interval: rates.loopback.map(|r| r.interval()),
            ..defaults
        }
    }
}

pub mod check;
pub mod duration;
pub mod keys;
mod schedule;
#[cfg(test)]
mod tests;
mod validate;
