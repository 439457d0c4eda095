//! Scheduled collection: one cron job (UTC, seconds first) per enabled
//! source, on tokio-cron-scheduler. A source never runs twice at once: a tick
//! that finds the previous run still going is skipped and logged.
//!
//! Runs are tracked: [`Scheduler::shutdown`] stops the ticks, and each run in
//! flight stops between pages (the shutdown reaches it through its
//! [`RunOptions`]) and is waited for, so the store can be flushed after the
//! last write.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::Mutex;
use tokio_cron_scheduler::{Job, JobScheduler};
use tokio_util::task::TaskTracker;

use crate::extract::SourceDef;
use crate::pipeline::{self, Context, RunOptions};
use crate::shutdown::Shutdown;

/// How long [`Scheduler::shutdown`] waits for runs in flight. A run stops at
/// its next page boundary (a fetch in flight is abandoned), so this bound is
/// only reached when storing a page hangs.
pub const RUNS_STOP_TIMEOUT: Duration = Duration::from_secs(60);

/// Why the scheduler could not start.
#[derive(Debug, thiserror::Error)]
#[error("scheduler: {0}")]
pub struct ScheduleError(String);

/// A running scheduler.
pub struct Scheduler {
    inner: JobScheduler,
    runs: TaskTracker,
    /// Number of scheduled sources.
    pub jobs: usize,
}

impl Scheduler {
    /// Schedules every enabled source that has a `schedule`, with its run
    /// options; `shutdown` stops the runs in flight (see [`Scheduler::shutdown`]).
    pub async fn start(
        ctx: Context,
        sources: Vec<(SourceDef, RunOptions)>,
        shutdown: Shutdown,
    ) -> Result<Scheduler, ScheduleError> {
        let err = |e: tokio_cron_scheduler::JobSchedulerError| ScheduleError(e.to_string());
        let inner = JobScheduler::new().await.map_err(err)?;
        let runs = TaskTracker::new();
        let mut jobs = 0;
        for (source, options) in sources {
            let Some(expr) = source.schedule.clone().filter(|_| source.enabled) else {
                continue;
            };
            let guard = Arc::new(Mutex::new(()));
            let options = RunOptions {
                shutdown: Some(shutdown.clone()),
                ..options
            };
            let (ctx, source, options) = (ctx.clone(), Arc::new(source), Arc::new(options));
            let (runs, shutdown) = (runs.clone(), shutdown.clone());
            // Parsed at load (`Cron`): the scheduler reads the same text again.
            let job = Job::new_async(expr.as_str(), move |_id, _lock| {
                let (ctx, source, options, guard) =
                    (ctx.clone(), source.clone(), options.clone(), guard.clone());
                let shutdown = shutdown.clone();
                Box::pin(runs.track_future(async move {
                    if shutdown.is_triggered() {
                        return;
                    }
                    let Ok(_running) = guard.try_lock() else {
                        tracing::warn!(source = %source.id, "Previous run still going; tick skipped.");
                        return;
                    };
                    pipeline::run_source(&ctx, &source, &options).await;
                }))
            })
            .map_err(|e| ScheduleError(format!("{expr:?}: {e}")))?;
            inner.add(job).await.map_err(err)?;
            jobs += 1;
        }
        inner.start().await.map_err(err)?;
        Ok(Scheduler { inner, runs, jobs })
    }

    /// Stops scheduling new runs and waits (up to [`RUNS_STOP_TIMEOUT`]) for
    /// the runs in flight, which stop between pages once the shutdown given
    /// to [`Scheduler::start`] has fired. Returns whether they all ended.
    pub async fn shutdown(mut self) -> bool {
        if let Err(e) = self.inner.shutdown().await {
            tracing::warn!(error = %e, "Scheduler shutdown reported an error.");
        }
        self.runs.close();
        if !self.runs.is_empty() {
            tracing::info!(
                runs = self.runs.len(),
                "Waiting for the runs in flight to stop."
            );
        }
        let ended = tokio::time::timeout(RUNS_STOP_TIMEOUT, self.runs.wait())
            .await
            .is_ok();
        if !ended {
            tracing::warn!(
                runs = self.runs.len(),
                "Runs still going after {}s; stopping anyway.",
                RUNS_STOP_TIMEOUT.as_secs()
            );
        }
        ended
    }
}
