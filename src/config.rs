//! Configuration: a TOML file (optional), then environment variables, then
//! command-line flags, each overriding the one before. Every key has a
//! default, so no file is needed to start.
//!
//! | key              | env                          | default            |
//! |------------------|------------------------------|--------------------|
//! | `data_dir`       | `SKILLTRACK_DATA_DIR`        | `var/db`           |
//! | `extractors_dir` | `SKILLTRACK_EXTRACTORS_DIR`  | `extractors`       |
//! | `bind`           | `SKILLTRACK_BIND`            | `127.0.0.1:8080`   |
//! | `cache_mb`       | `SKILLTRACK_CACHE_MB`        | `64`               |
//! | `user_agent`     | `SKILLTRACK_USER_AGENT`      | names the project  |
//! | `request_timeout_secs` | `SKILLTRACK_REQUEST_TIMEOUT_SECS` | `30`   |
//! | `max_body_mb`    | `SKILLTRACK_MAX_BODY_MB`     | `10`               |
//! | `[counting] dedup_window_days` | —                | `60`               |
//! | `[counting] unseen_close_days` | —                | `7`                |
//! | `[counting] max_open_days`     | —                | `90`               |
//! | `[sources.ID] base_url`, `enabled` | —          | from the source file |

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Deserialize;

use crate::fetch::{FetchConfig, DEFAULT_USER_AGENT};
use crate::store::sled_store::DEFAULT_CACHE_MB;
use crate::store::CountRules;

/// Default database directory (outside the versioned `data/`).
pub const DEFAULT_DATA_DIR: &str = "var/db";
/// Default directory of source definitions.
pub const DEFAULT_EXTRACTORS_DIR: &str = "extractors";
/// Default address of the HTTP API.
pub const DEFAULT_BIND: &str = "127.0.0.1:8080";

/// Why the configuration could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The file could not be read.
    #[error("cannot read config file {path}: {cause}")]
    Read {
        /// The file.
        path: String,
        /// The error.
        cause: String,
    },
    /// The file is not valid.
    #[error("config file {path}: {cause}")]
    Parse {
        /// The file.
        path: String,
        /// The parser's message.
        cause: String,
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
}

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
    /// Whole-request timeout, seconds.
    pub request_timeout_secs: u64,
    /// Largest page body accepted, megabytes.
    pub max_body_mb: u64,
    /// Counting rules.
    pub counting: CountingConfig,
    /// Per-source overrides, by source id.
    pub sources: BTreeMap<String, SourceOverride>,
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
            request_timeout_secs: 30,
            max_body_mb: 10,
            counting: CountingConfig::default(),
            sources: BTreeMap::new(),
        }
    }
}

impl Config {
    /// Loads `file` (if given) and applies environment overrides.
    pub fn load(file: Option<&Path>) -> Result<Config, ConfigError> {
        let mut config = match file {
            Some(path) => {
                let shown = path.display().to_string();
                let text = std::fs::read_to_string(path).map_err(|e| ConfigError::Read {
                    path: shown.clone(),
                    cause: e.to_string(),
                })?;
                toml::from_str(&text).map_err(|e| ConfigError::Parse {
                    path: shown,
                    cause: e.to_string().trim_end().to_owned(),
                })?
            }
            None => Config::default(),
        };
        config.apply_env(|k| std::env::var(k).ok())?;
        Ok(config)
    }

    /// Applies `SKILLTRACK_*` overrides read through `get`.
    pub fn apply_env(&mut self, get: impl Fn(&str) -> Option<String>) -> Result<(), ConfigError> {
        fn num(var: &'static str, v: String) -> Result<u64, ConfigError> {
            v.trim().parse().map_err(|_| ConfigError::Env {
                var,
                value: v,
                why: "expected a whole number".into(),
            })
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
            self.request_timeout_secs = num("SKILLTRACK_REQUEST_TIMEOUT_SECS", v)?;
        }
        if let Some(v) = get("SKILLTRACK_MAX_BODY_MB") {
            self.max_body_mb = num("SKILLTRACK_MAX_BODY_MB", v)?;
        }
        Ok(())
    }

    /// The counting rules.
    pub fn count_rules(&self) -> CountRules {
        CountRules {
            dedup_window_days: self.counting.dedup_window_days.max(0),
            unseen_close_days: self.counting.unseen_close_days.max(0),
            max_open_days: self.counting.max_open_days.max(1),
        }
    }

    /// The HTTP client settings.
    pub fn fetch_config(&self) -> FetchConfig {
        FetchConfig {
            user_agent: self.user_agent.clone(),
            request_timeout: Duration::from_secs(self.request_timeout_secs.max(1)),
            max_body_bytes: (self.max_body_mb.max(1) * 1024 * 1024) as usize,
            ..FetchConfig::default()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn env_overrides_file_and_bad_values_are_named() {
        let mut c: Config = toml::from_str("data_dir = \"/tmp/x\"\ncache_mb = 8").unwrap();
        c.apply_env(|k| (k == "SKILLTRACK_CACHE_MB").then(|| "16".to_owned()))
            .unwrap();
        assert_eq!(c.cache_mb, 16);
        assert_eq!(c.data_dir, PathBuf::from("/tmp/x"));
        let err = c
            .apply_env(|k| (k == "SKILLTRACK_BIND").then(|| "nowhere".to_owned()))
            .unwrap_err();
        assert!(
            err.to_string().contains("SKILLTRACK_BIND=\"nowhere\""),
            "{err}"
        );
        assert!(toml::from_str::<Config>("data_dri = \"x\"").is_err());
    }
}
