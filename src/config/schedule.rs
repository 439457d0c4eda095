//! The `[schedule]` section: what `serve` does at start and at shutdown
//! around the cron schedules.

use std::time::Duration;

use serde::Deserialize;

use super::duration;

/// Default `[schedule] catch_up_spacing_secs`.
pub const DEFAULT_CATCH_UP_SPACING: Duration = Duration::from_secs(15);
/// Default `[schedule] catch_up_jitter_secs`.
pub const DEFAULT_CATCH_UP_JITTER: Duration = Duration::from_secs(10);
/// Default `[schedule] shutdown_grace_secs`: under the 10 s a container
/// runtime waits before it kills.
pub const DEFAULT_SHUTDOWN_GRACE: Duration = Duration::from_secs(5);

/// The `[schedule]` section.
#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ScheduleSettings {
    /// At start, run once every enabled scheduled source that never ran or
    /// missed its last fire time (`serve --no-catch-up` turns it off).
    pub catch_up: bool,
    /// Between two catch-up runs' starts (`catch_up_spacing_secs`).
    #[serde(rename = "catch_up_spacing_secs", deserialize_with = "duration::secs")]
    pub catch_up_spacing: Duration,
    /// Up to this random delay is added to each catch-up run
    /// (`catch_up_jitter_secs`).
    #[serde(rename = "catch_up_jitter_secs", deserialize_with = "duration::secs")]
    pub catch_up_jitter: Duration,
    /// On SIGINT/SIGTERM, how long runs in flight may go on before they are
    /// stopped at their next page (`shutdown_grace_secs`).
    #[serde(rename = "shutdown_grace_secs", deserialize_with = "duration::secs")]
    pub shutdown_grace: Duration,
}

impl Default for ScheduleSettings {
    fn default() -> ScheduleSettings {
        ScheduleSettings {
            catch_up: true,
            catch_up_spacing: DEFAULT_CATCH_UP_SPACING,
            catch_up_jitter: DEFAULT_CATCH_UP_JITTER,
            shutdown_grace: DEFAULT_SHUTDOWN_GRACE,
        }
    }
}
