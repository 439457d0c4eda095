//! Logging through `tracing`: human-readable lines on stderr, filtered by
//! `RUST_LOG` (default `info`, or `warn` for quiet commands); and the
//! process's Prometheus metrics ([`metrics`]), here because `fetch`,
//! `pipeline` and `api` all record into them and a shared module is the
//! one place each may import.

use tracing_subscriber::EnvFilter;

/// Installs the global subscriber. `default_level` applies when `RUST_LOG`
/// is unset. Safe to call twice (the second call does nothing).
pub fn init(default_level: &str) {
    let filter =
        EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(default_level));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_target(false)
        .try_init();
}

pub mod metrics;
