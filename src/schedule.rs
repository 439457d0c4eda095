//! Scheduled collection: one cron job (UTC, seconds first) per enabled
//! source, on tokio-cron-scheduler. A source never runs twice at once: a tick
//! that finds the previous run still going is skipped and logged.

use std::sync::Arc;

use tokio::sync::Mutex;
use tokio_cron_scheduler::{Job, JobScheduler};

use crate::extract::SourceDef;
use crate::pipeline::{self, Context, RunOptions};

/// Why the scheduler could not start.
#[derive(Debug, thiserror::Error)]
#[error("scheduler: {0}")]
pub struct ScheduleError(String);

/// A running scheduler.
pub struct Scheduler {
    inner: JobScheduler,
    /// Number of scheduled sources.
    pub jobs: usize,
}

impl Scheduler {
    /// Schedules every enabled source that has a `schedule`, with its run options.
    pub async fn start(
        ctx: Context,
        sources: Vec<(SourceDef, RunOptions)>,
    ) -> Result<Scheduler, ScheduleError> {
        let err = |e: tokio_cron_scheduler::JobSchedulerError| ScheduleError(e.to_string());
        let inner = JobScheduler::new().await.map_err(err)?;
        let mut jobs = 0;
        for (source, options) in sources {
            let Some(expr) = source.schedule.clone().filter(|_| source.enabled) else {
                continue;
            };
            let guard = Arc::new(Mutex::new(()));
            let (ctx, source, options) = (ctx.clone(), Arc::new(source), Arc::new(options));
            let job = Job::new_async(expr.as_str(), move |_id, _lock| {
                let (ctx, source, options, guard) = (ctx.clone(), source.clone(), options.clone(), guard.clone());
                Box::pin(async move {
                    let Ok(_running) = guard.try_lock() else {
                        tracing::warn!(source = %source.id, "Previous run still going; tick skipped.");
                        return;
                    };
                    pipeline::run_source(&ctx, &source, &options).await;
                })
            })
            .map_err(|e| ScheduleError(format!("{expr:?}: {e}")))?;
            inner.add(job).await.map_err(err)?;
            jobs += 1;
        }
        inner.start().await.map_err(err)?;
        Ok(Scheduler { inner, jobs })
    }

    /// Stops scheduling new runs.
    pub async fn shutdown(mut self) {
        if let Err(e) = self.inner.shutdown().await {
            tracing::warn!(error = %e, "Scheduler shutdown reported an error.");
        }
    }
}
