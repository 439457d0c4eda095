//! Logging through `tracing`: human-readable lines on stderr, filtered by
//! `RUST_LOG` (default: this crate at `info`, or `warn` for quiet commands,
//! and the dependencies at `warn`, so their chatter stays out); and the
//! process's Prometheus metrics ([`metrics`]), here because `fetch`,
//! `pipeline` and `api` all record into them and a shared module is the
//! one place each may import.

use tracing_subscriber::EnvFilter;

/// Installs the global subscriber. When `RUST_LOG` is unset,
/// [`default_filter`] of `default_level` applies. Safe to call twice (the
/// second call does nothing).
pub fn init(default_level: &str) {
    let filter = EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| EnvFilter::new(default_filter(default_level)));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_target(false)
        .try_init();
}

/// The filter used without `RUST_LOG`: this crate's events at
/// `default_level`, every dependency's at `warn` at most.
pub fn default_filter(default_level: &str) -> String {
    format!("warn,{}={default_level}", env!("CARGO_CRATE_NAME"))
}

pub mod metrics;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dependencies_log_warnings_only_unless_rust_log_says_otherwise() {
        assert_eq!(default_filter("info"), "warn,skilltrack=info");
        assert_eq!(default_filter("warn"), "warn,skilltrack=warn");
        let filter = EnvFilter::new(default_filter("info"));
        assert_eq!(
            filter.max_level_hint(),
            Some(tracing::level_filters::LevelFilter::INFO)
        );
    }
}
