//! Scheduled collection: one tokio-cron-scheduler job per enabled source
//! with a `schedule` (cron, seconds first, UTC; next fire times shown from
//! [`Cron`](crate::domain::Cron), which reads it with the same parser),
//! a catch-up run at start for the sources that missed their last fire time,
//! runs started on demand, the source set replaced live, and a shutdown that
//! lets the runs in flight finish within a grace period.
//!
//! - here: [`Scheduler`] (start, shutdown) and what it is given: the sources
//!   as planned ([`Planned`]) and how to load them again ([`Loader`]).
//! - `running`: the running set: its entries and the one place a run
//!   starts ([`Trigger`] says why), guarded so that a source never runs
//!   twice at once (a tick, catch-up or admin trigger that finds a run going
//!   is refused).
//! - `jobs`: the cron jobs, added and removed by one task as the set
//!   changes.
//! - `catch_up`: which sources are due at start, and when each runs.
//! - `control`: the [`Collection`] the API sees (sources, trigger, reload).

mod catch_up;
mod control;
mod jobs;
mod running;

use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use tokio::task::JoinHandle;
use tokio_cron_scheduler::JobScheduler;

use crate::api::collection::{Collection, ReloadError, ReloadOutcome};
use crate::extract::SourceDef;
use crate::pipeline::{Context, RunOptions};

pub use catch_up::CatchUp;
pub use running::Trigger;

use running::Running;

/// After the grace period, how long [`Scheduler::shutdown`] still waits for
/// the runs it told to stop. A run stops at its next page boundary (a fetch
/// in flight is abandoned), so this bound is only reached when storing a
/// page hangs.
pub const RUNS_STOP_TIMEOUT: Duration = Duration::from_secs(30);

/// Why the scheduler could not start.
#[derive(Debug, thiserror::Error)]
#[error("scheduler: {0}")]
pub struct ScheduleError(String);

/// A source as the scheduler is given it.
#[derive(Debug, Clone)]
pub struct Planned {
    /// Its definition (with the configuration's overrides).
    pub source: SourceDef,
    /// Its run options (base URL overrides); the scheduler adds the stop
    /// signal and the start time.
    pub options: RunOptions,
    /// Why it is not enabled (`disabled in config`, `missing credentials:
    /// …`); None when it is.
    pub disabled: Option<String>,
}

/// A source set read again: the sources, or every problem found (any
/// problem refuses the whole set).
#[derive(Debug, Default)]
pub struct Loaded {
    /// The valid sources.
    pub sources: Vec<Planned>,
    /// Every problem, one per line, naming the file.
    pub problems: Vec<String>,
}

/// Reads the source set again (the extractor directory with the
/// configuration's overrides), for a reload.
pub type Loader = Arc<dyn Fn() -> Loaded + Send + Sync>;

/// A running scheduler.
pub struct Scheduler {
    running: Arc<Running>,
    /// The task that owns the cron scheduler (ends once scheduling stops).
    jobs_task: Mutex<Option<JoinHandle<()>>>,
    /// Number of scheduled sources at start.
    pub jobs: usize,
}

impl Scheduler {
    /// Schedules every enabled source of `sources` that has a `schedule`,
    /// and, when `catch_up` is given, runs once soon the ones that never ran
    /// or missed their last fire time. `loader` reads the set again on
    /// [`Scheduler::reload`].
    pub async fn start(
        ctx: Context,
        sources: Vec<Planned>,
        loader: Loader,
        catch_up: Option<CatchUp>,
    ) -> Result<Scheduler, ScheduleError> {
        let runtime = tokio::runtime::Handle::try_current()
            .map_err(|e| ScheduleError(format!("no async runtime: {e}")))?;
        let err = |e: tokio_cron_scheduler::JobSchedulerError| ScheduleError(e.to_string());
        let cron = JobScheduler::new().await.map_err(err)?;
        cron.start().await.map_err(err)?;
        let (ops, ops_rx) = tokio::sync::mpsc::unbounded_channel();
        let running = Running::new(ctx, loader, runtime, ops);
        let jobs_task = tokio::spawn(jobs::manage(
            cron,
            ops_rx,
            Arc::downgrade(&running),
            running.stopping(),
        ));
        let jobs = running.replace(sources).sources;
        if let Some(plan) = catch_up {
            catch_up::schedule(&running, plan);
        }
        Ok(Scheduler {
            running,
            jobs_task: Mutex::new(Some(jobs_task)),
            jobs,
        })
    }

    /// The running set as the API sees it.
    pub fn collection(&self) -> Arc<dyn Collection> {
        Arc::new(control::Control(self.running.clone()))
    }

    /// Reads the source set again and, when it is valid, replaces the
    /// schedule (runs in flight go on); else keeps it and lists every
    /// problem. The outcome is logged.
    pub fn reload(&self) -> Result<ReloadOutcome, ReloadError> {
        self.running.reload()
    }

    /// Stops scheduling new runs, lets the runs in flight go on for up to
    /// `grace`, then tells the ones still going to stop at their next page
    /// and waits up to [`RUNS_STOP_TIMEOUT`] more. What a run stored stays
    /// stored. Returns whether every run ended.
    pub async fn shutdown(&self, grace: Duration) -> bool {
        self.running.stop_scheduling();
        let jobs_task = self
            .jobs_task
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take();
        if let Some(task) = jobs_task {
            // The cron scheduler stops at once; bound it all the same.
            let _ = tokio::time::timeout(Duration::from_secs(5), task).await;
        }
        let runs = self.running.runs();
        runs.close();
        if !runs.is_empty() {
            tracing::info!(
                runs = runs.len(),
                grace_secs = grace.as_secs_f64(),
                "Waiting for the runs in flight to finish."
            );
        }
        if tokio::time::timeout(grace, runs.wait()).await.is_ok() {
            return true;
        }
        tracing::info!(
            runs = runs.len(),
            "Grace period over: the runs in flight stop at their next page."
        );
        self.running.stop_runs();
        let ended = tokio::time::timeout(RUNS_STOP_TIMEOUT, runs.wait())
            .await
            .is_ok();
        if !ended {
            tracing::warn!(
                runs = runs.len(),
                "Runs still going after {}s; stopping anyway.",
                RUNS_STOP_TIMEOUT.as_secs()
            );
        }
        ended
    }
}
