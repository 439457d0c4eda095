//! What the API knows of collection: the running set of sources and the two
//! admin actions on it, behind a trait so the API does not reach up into the
//! scheduler (which implements it). A server without a scheduler (tests,
//! `serve --no-schedule`) may have none: the routes that need it then say so.

use time::OffsetDateTime;

/// A source as the server runs it now (after the last reload).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceInfo {
    /// The source id (its extractor file's stem).
    pub id: String,
    /// Human name.
    pub name: String,
    /// Extractor kind: `json`, `html`, `jsonld`, `rss`.
    pub kind: String,
    /// Cron expression (seconds first, UTC), if scheduled.
    pub schedule: Option<String>,
    /// When the scheduler will next start it (None when not scheduled).
    pub next_run: Option<OffsetDateTime>,
    /// Whether scheduled runs collect it.
    pub enabled: bool,
    /// Why it is not enabled (`disabled in config`, `missing credentials:
    /// FT_CLIENT_ID, …`); None when enabled.
    pub disabled_reason: Option<String>,
    /// A run of it is in flight now.
    pub running: bool,
}

/// A run started by [`Collection::trigger`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TriggeredRun {
    /// Identifies the run; its report is stored under the same start time.
    pub run_id: String,
    /// The source.
    pub source: String,
}

/// Why a run could not be started.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TriggerError {
    /// No source has this id.
    #[error("no source {0:?}")]
    UnknownSource(String),
    /// A run of it is already in flight (409).
    #[error("source {0:?} is already running")]
    AlreadyRunning(String),
    /// The server is stopping.
    #[error("the server is shutting down")]
    ShuttingDown,
}

/// What a successful reload changed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ReloadOutcome {
    /// Sources now scheduled.
    pub sources: usize,
    /// Ids new in the set.
    pub added: Vec<String>,
    /// Ids no longer present.
    pub removed: Vec<String>,
    /// Ids whose definition changed.
    pub changed: Vec<String>,
}

/// Why a reload was refused; the running set is kept.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the source definitions have {} problem(s); the running set is kept", problems.len())]
pub struct ReloadError {
    /// Every problem found, one per line, naming the file.
    pub problems: Vec<String>,
}

/// The scheduler as the API sees it.
pub trait Collection: Send + Sync {
    /// The sources of the running set, sorted by id.
    fn sources(&self) -> Vec<SourceInfo>;
    /// Starts a run of `id` now, outside its schedule.
    fn trigger(&self, id: &str) -> Result<TriggeredRun, TriggerError>;
    /// Re-reads the extractor directory and replaces the schedule when the
    /// whole set is valid.
    fn reload(&self) -> Result<ReloadOutcome, ReloadError>;
}
