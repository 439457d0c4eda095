//! Every key of the configuration file, in one table: its name, the
//! `SKILLTRACK_…` variable and the flag that also set it, whether it is a
//! secret, and how its effective value is shown. `config check` reads it to
//! find unknown keys and to print where each value came from; the tests
//! compare it with `skilltrack.example.toml`, the README and [`ENV_VARS`].
//!
//! [`ENV_VARS`]: super::ENV_VARS

use std::fmt::Write as _;
use std::time::Duration;

use super::Config;

/// One key of the configuration.
#[derive(Debug, Clone, Copy)]
pub struct Key {
    /// Its section, `""` for the top level (`fetch` for `[fetch]`).
    pub section: &'static str,
    /// Its name within the section (`max_attempts`).
    pub name: &'static str,
    /// The environment variable that overrides it, if any.
    pub env: Option<&'static str>,
    /// The command-line flag that overrides it, if any (global flags only).
    pub flag: Option<&'static str>,
    /// Whether its value is masked when printed.
    pub secret: bool,
    /// Its value in `config`, as TOML (`None`: not set, no default).
    pub value: fn(&Config) -> Option<String>,
}

impl Key {
    /// The key as the documentation writes it: `data_dir`, `[fetch] max_attempts`.
    pub fn display_name(&self) -> String {
        if self.section.is_empty() {
            self.name.to_owned()
        } else {
            format!("[{}] {}", self.section, self.name)
        }
    }
}

/// The sections of the file, in the order `config check` prints them
/// (`sources` is printed apart: its keys are source ids).
pub const SECTIONS: [&str; 8] = [
    "", "fetch", "server", "counting", "import", "trends", "api", "schedule",
];

/// The keys a `[sources.ID]` table takes.
pub const SOURCE_KEYS: [&str; 3] = ["base_url", "auth_url", "enabled"];

/// A TOML basic string.
pub fn quoted(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('"');
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            c if c.is_control() => {
                let _ = write!(out, "\\u{:04X}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// A duration in `unit` seconds: a bare number when it is whole, else
/// quoted with its units (`"1m 30s"`).
fn in_unit(d: Duration, unit_secs: u64) -> String {
    let secs = d.as_secs();
    if d.subsec_nanos() == 0 && secs.is_multiple_of(unit_secs) {
        (secs / unit_secs).to_string()
    } else {
        quoted(&humantime::format_duration(d).to_string())
    }
}

fn secs(d: Duration) -> Option<String> {
    Some(in_unit(d, 1))
}

fn hours(d: Duration) -> Option<String> {
    Some(in_unit(d, 3600))
}

fn millis(d: Duration) -> Option<String> {
    let ms = d.as_millis();
    Some(if d.subsec_nanos().is_multiple_of(1_000_000) {
        ms.to_string()
    } else {
        quoted(&humantime::format_duration(d).to_string())
    })
}

fn num(n: impl ToString) -> Option<String> {
    Some(n.to_string())
}

fn text(s: impl AsRef<str>) -> Option<String> {
    Some(quoted(s.as_ref()))
}

fn strings(items: &[String]) -> Option<String> {
    let parts: Vec<String> = items.iter().map(|s| quoted(s)).collect();
    Some(format!("[{}]", parts.join(", ")))
}

fn host_rates(c: &Config) -> Option<String> {
    let rates = &c.fetch.host_rates;
    (!rates.is_empty()).then(|| {
        let parts: Vec<String> = rates
            .iter()
            .map(|(h, r)| format!("{} = {}", quoted(h), quoted(r)))
            .collect();
        format!("{{ {} }}", parts.join(", "))
    })
}

macro_rules! key {
    ($section:literal, $name:literal, $env:expr, $value:expr) => {
        Key {
            section: $section,
            name: $name,
            env: $env,
            flag: None,
            secret: false,
            value: $value,
        }
    };
}

/// Every key, in the order of the example file.
pub const KEYS: &[Key] = &[
    Key {
        flag: Some("--data-dir"),
        ..key!("", "data_dir", Some("SKILLTRACK_DATA_DIR"), |c| text(
            c.data_dir.to_string_lossy()
        ))
    },
    Key {
        flag: Some("--extractors"),
        ..key!(
            "",
            "extractors_dir",
            Some("SKILLTRACK_EXTRACTORS_DIR"),
            |c| text(c.extractors_dir.to_string_lossy())
        )
    },
    key!("", "bind", Some("SKILLTRACK_BIND"), |c| text(
        c.bind.to_string()
    )),
    key!("", "cache_mb", Some("SKILLTRACK_CACHE_MB"), |c| num(
        c.cache_mb
    )),
    key!("", "user_agent", Some("SKILLTRACK_USER_AGENT"), |c| text(
        &c.user_agent
    )),
    key!(
        "",
        "request_timeout_secs",
        Some("SKILLTRACK_REQUEST_TIMEOUT_SECS"),
        |c| secs(c.request_timeout)
    ),
    key!("", "max_body_mb", Some("SKILLTRACK_MAX_BODY_MB"), |c| num(
        c.max_body_mb
    )),
    key!(
        "fetch",
        "connect_timeout_secs",
        Some("SKILLTRACK_CONNECT_TIMEOUT_SECS"),
        |c| secs(c.fetch.connect_timeout)
    ),
    key!(
        "fetch",
        "max_attempts",
        Some("SKILLTRACK_MAX_ATTEMPTS"),
        |c| num(c.fetch.max_attempts)
    ),
    key!("fetch", "backoff_ms", None, |c| millis(c.fetch.backoff)),
    key!("fetch", "max_retry_after_secs", None, |c| secs(
        c.fetch.max_retry_after
    )),
    key!(
        "fetch",
        "default_rate",
        Some("SKILLTRACK_DEFAULT_RATE"),
        |c| text(&c.fetch.default_rate)
    ),
    key!(
        "fetch",
        "host_concurrency",
        Some("SKILLTRACK_HOST_CONCURRENCY"),
        |c| num(c.fetch.host_concurrency)
    ),
    key!("fetch", "max_redirects", None, |c| num(c
        .fetch
        .max_redirects)),
    key!("fetch", "obey_robots", None, |c| num(c.fetch.obey_robots)),
    key!("fetch", "robots_cache_hours", None, |c| hours(
        c.fetch.robots_cache
    )),
    key!(
        "fetch",
        "run_deadline_secs",
        Some("SKILLTRACK_RUN_DEADLINE_SECS"),
        |c| secs(c.fetch.run_deadline)
    ),
    key!(
        "fetch",
        "host_timeout_limit",
        Some("SKILLTRACK_HOST_TIMEOUT_LIMIT"),
        |c| num(c.fetch.host_timeout_limit)
    ),
    key!(
        "fetch",
        "loopback_rate",
        Some("SKILLTRACK_LOOPBACK_RATE"),
        |c| c.fetch.loopback_rate.as_deref().and_then(text)
    ),
    key!("fetch", "host_rates", None, host_rates),
    key!(
        "server",
        "header_timeout_secs",
        Some("SKILLTRACK_HEADER_TIMEOUT_SECS"),
        |c| secs(c.server.header_timeout)
    ),
    key!(
        "server",
        "idle_timeout_secs",
        Some("SKILLTRACK_IDLE_TIMEOUT_SECS"),
        |c| secs(c.server.idle_timeout)
    ),
    key!(
        "server",
        "max_connections",
        Some("SKILLTRACK_MAX_CONNECTIONS"),
        |c| num(c.server.max_connections)
    ),
    key!("counting", "dedup_window_days", None, |c| num(c
        .counting
        .dedup_window_days)),
    key!("counting", "unseen_close_days", None, |c| num(c
        .counting
        .unseen_close_days)),
    key!("counting", "max_open_days", None, |c| num(c
        .counting
        .max_open_days)),
    key!(
        "import",
        "max_line_mb",
        Some("SKILLTRACK_MAX_LINE_MB"),
        |c| num(c.import.max_line_mb)
    ),
    key!(
        "trends",
        "min_support",
        Some("SKILLTRACK_MIN_SUPPORT"),
        |c| num(c.trends.min_support)
    ),
    key!(
        "api",
        "cors_origins",
        Some("SKILLTRACK_CORS_ORIGINS"),
        |c| strings(&c.api.cors_origins)
    ),
    Key {
        secret: true,
        ..key!("api", "admin_token", Some("SKILLTRACK_ADMIN_TOKEN"), |c| c
            .api
            .admin_token
            .as_ref()
            .map(|_| "\"<set>\"".to_owned()))
    },
    key!(
        "schedule",
        "catch_up",
        Some("SKILLTRACK_CATCH_UP"),
        |c| num(c.schedule.catch_up)
    ),
    key!("schedule", "catch_up_spacing_secs", None, |c| secs(
        c.schedule.catch_up_spacing
    )),
    key!("schedule", "catch_up_jitter_secs", None, |c| secs(
        c.schedule.catch_up_jitter
    )),
    key!(
        "schedule",
        "shutdown_grace_secs",
        Some("SKILLTRACK_SHUTDOWN_GRACE_SECS"),
        |c| secs(c.schedule.shutdown_grace)
    ),
];

/// The keys of `section` (`""`: the top level).
pub fn in_section(section: &str) -> impl Iterator<Item = &'static Key> + '_ {
    KEYS.iter().filter(move |k| k.section == section)
}
