//! The cron ticks: one tokio-cron-scheduler job per scheduled source (UTC,
//! seconds first), added and removed by one task as the running set changes
//! ([`JobOp`]), so that replacing the set (a reload) never waits on the
//! scheduler. A tick only asks [`Running::start_run`](super::running::Running)
//! for a run; a job whose entry was replaced is dead (its `live` flag is
//! off) and fires nothing, even before the task has removed it.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Weak};

use tokio::sync::mpsc::UnboundedReceiver;
use tokio_cron_scheduler::{Job, JobScheduler};
use tokio_util::sync::CancellationToken;

use super::running::{Running, Trigger};
use crate::api::collection::TriggerError;
use crate::domain::Cron;

/// A change to the jobs: the job of `id` (if any) is removed, and one on
/// `cron` added when given.
pub(super) struct JobOp {
    pub(super) id: String,
    pub(super) cron: Option<Cron>,
    /// Whether the entry the new job belongs to is still the running one.
    pub(super) live: Arc<AtomicBool>,
}

/// Applies `ops` to `scheduler` until `stop` fires or the running set is
/// gone, then shuts the scheduler down.
pub(super) async fn manage(
    mut scheduler: JobScheduler,
    mut ops: UnboundedReceiver<JobOp>,
    running: Weak<Running>,
    stop: CancellationToken,
) {
    let mut jobs = HashMap::new();
    loop {
        let op = tokio::select! {
            _ = stop.cancelled() => break,
            op = ops.recv() => match op {
                Some(op) => op,
                None => break,
            },
        };
        if let Some(old) = jobs.remove(&op.id) {
            if let Err(e) = scheduler.remove(&old).await {
                tracing::warn!(source = %op.id, error = %e, "Cannot remove a cron job.");
            }
        }
        let Some(cron) = op.cron else {
            continue;
        };
        let job = tick(op.id.clone(), &cron, op.live, running.clone());
        match job {
            Ok(job) => match scheduler.add(job).await {
                Ok(uuid) => {
                    jobs.insert(op.id, uuid);
                }
                Err(e) => {
                    tracing::error!(source = %op.id, error = %e, "Cannot schedule the source.");
                }
            },
            Err(e) => {
                tracing::error!(source = %op.id, schedule = %cron, error = %e, "Cannot schedule the source.");
            }
        }
    }
    if let Err(e) = scheduler.shutdown().await {
        tracing::warn!(error = %e, "Scheduler shutdown reported an error.");
    }
}

/// The job of `id`: at each fire time of `cron`, a run unless the previous
/// one is still going (then the tick is skipped and logged).
fn tick(
    id: String,
    cron: &Cron,
    live: Arc<AtomicBool>,
    running: Weak<Running>,
) -> Result<Job, tokio_cron_scheduler::JobSchedulerError> {
    Job::new_async(cron.as_str(), move |_uuid, _scheduler| {
        let (id, live, running) = (id.clone(), live.clone(), running.clone());
        Box::pin(async move {
            if !live.load(Ordering::Acquire) {
                return;
            }
            let Some(running) = running.upgrade() else {
                return;
            };
            if let Err(TriggerError::AlreadyRunning(_)) = running.start_run(&id, Trigger::Schedule)
            {
                tracing::warn!(source = %id, "Previous run still going; tick skipped.");
            }
        })
    })
}
