//! Range checks of a loaded configuration: every value that would panic
//! or misbehave is an error naming its key and variable; the `[fetch]`
//! rates parsed once into [`FetchRates`].

use std::time::Duration;

use super::duration::{self, Unit};
use super::{Config, ConfigError, FetchRates, FetchSettings, MAX_CACHE_MB};

/// The shortest timeout.
const SECOND: Duration = Duration::from_secs(1);
use crate::domain::Rate;

impl Config {
    /// Checks the keys a bad value of which would panic or silently do
    /// something else than asked: `cache_mb` (sled panics below 1 MB),
    /// `request_timeout_secs`, `max_body_mb`, `[fetch] connect_timeout_secs`,
    /// `max_attempts`, `host_concurrency`, `robots_cache_hours`,
    /// `[import] max_line_mb` (0 would be read as 1, or reject every line),
    /// `[counting] max_open_days`, and `data_dir` / `extractors_dir` (empty:
    /// the current directory).
    pub fn validate(&self) -> Result<(), ConfigError> {
        let range = |(key, env, value, min, max): (_, _, i128, i128, i128)| {
            if (min..=max).contains(&value) {
                return Ok(());
            }
            Err(ConfigError::Range {
                key,
                env,
                value: value.to_string(),
                why: format!("must be between {min} and {max}"),
            })
        };
        for (key, env, path) in [
            ("data_dir", "SKILLTRACK_DATA_DIR", &self.data_dir),
            (
                "extractors_dir",
                "SKILLTRACK_EXTRACTORS_DIR",
                &self.extractors_dir,
            ),
        ] {
            if path.as_os_str().to_string_lossy().trim().is_empty() {
                return Err(ConfigError::Range {
                    key,
                    env: Some(env),
                    value: format!("{:?}", path.display().to_string()),
                    why: "must not be empty (it would mean the current directory)".into(),
                });
            }
        }
        if let Err(e) = crate::api::Cors::from_origins(&self.api.cors_origins) {
            return Err(ConfigError::Range {
                key: "[api] cors_origins",
                env: Some("SKILLTRACK_CORS_ORIGINS"),
                value: format!("{:?}", e.origin),
                why: e.to_string(),
            });
        }
        let f = &self.fetch;
        let env = Some;
        for check in [
            (
                "cache_mb",
                env("SKILLTRACK_CACHE_MB"),
                i128::from(self.cache_mb),
                1,
                i128::from(MAX_CACHE_MB),
            ),
            (
                "max_body_mb",
                env("SKILLTRACK_MAX_BODY_MB"),
                self.max_body_mb.into(),
                1,
                4_096,
            ),
            (
                "[fetch] max_attempts",
                env("SKILLTRACK_MAX_ATTEMPTS"),
                f.max_attempts.into(),
                1,
                100,
            ),
            (
                "[fetch] host_concurrency",
                env("SKILLTRACK_HOST_CONCURRENCY"),
                f.host_concurrency as i128,
                1,
                64,
            ),
            (
                "[import] max_line_mb",
                env("SKILLTRACK_MAX_LINE_MB"),
                self.import.max_line_mb.into(),
                1,
                1_024,
            ),
            (
                "[counting] max_open_days",
                None,
                self.counting.max_open_days.into(),
                1,
                36_500,
            ),
            (
                "[server] max_connections",
                env("SKILLTRACK_MAX_CONNECTIONS"),
                self.server.max_connections as i128,
                1,
                65_536,
            ),
        ] {
            range(check)?;
        }
        let hour = Duration::from_secs(3600);
        for (key, env, value, min, max, unit) in [
            (
                "request_timeout_secs",
                env("SKILLTRACK_REQUEST_TIMEOUT_SECS"),
                self.request_timeout,
                SECOND,
                24 * hour,
                Unit::Secs,
            ),
            (
                "[fetch] connect_timeout_secs",
                env("SKILLTRACK_CONNECT_TIMEOUT_SECS"),
                f.connect_timeout,
                SECOND,
                hour,
                Unit::Secs,
            ),
            (
                "[fetch] robots_cache_hours",
                None,
                f.robots_cache,
                hour,
                365 * 24 * hour,
                Unit::Hours,
            ),
            (
                "[server] header_timeout_secs",
                env("SKILLTRACK_HEADER_TIMEOUT_SECS"),
                self.server.header_timeout,
                SECOND,
                hour,
                Unit::Secs,
            ),
            (
                "[server] idle_timeout_secs",
                env("SKILLTRACK_IDLE_TIMEOUT_SECS"),
                self.server.idle_timeout,
                SECOND,
                24 * hour,
                Unit::Secs,
            ),
        ] {
            if !(min..=max).contains(&value) {
                return Err(ConfigError::Range {
                    key,
                    env,
                    value: duration::show(value, unit),
                    why: format!(
                        "must be between {} and {} {}",
                        unit.count(min),
                        unit.count(max),
                        unit.name()
                    ),
                });
            }
        }
        Ok(())
    }
}

impl FetchSettings {
    /// Parses every rate of the section; an error names the key and value.
    pub(super) fn rates(&self) -> Result<FetchRates, ConfigError> {
        let parse = |key: &str, value: &str| {
            value.parse::<Rate>().map_err(|source| ConfigError::Rate {
                key: key.to_owned(),
                value: value.to_owned(),
                source,
            })
        };
        Ok(FetchRates {
            default: parse("default_rate", &self.default_rate)?,
            hosts: self
                .host_rates
                .iter()
                .map(|(host, rate)| Ok((host.clone(), parse(&format!("host_rates.{host}"), rate)?)))
                .collect::<Result<_, ConfigError>>()?,
            loopback: self
                .loopback_rate
                .as_deref()
                .map(|rate| parse("loopback_rate", rate))
                .transpose()?,
        })
    }
}
