//! The running set: the sources the scheduler runs now (each scheduled one
//! with its cron job, see `jobs`), and [`Running::start_run`], the one place
//! a run starts.
//!
//! Each source id has a guard (an async mutex held by its run), kept across
//! reloads: a run in flight of a source that a reload changed or removed
//! still keeps a second one from starting.

use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use time::OffsetDateTime;
use tokio::sync::mpsc::UnboundedSender;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use super::jobs::JobOp;
use super::{Loader, Planned};
use crate::api::collection::{ReloadError, ReloadOutcome, TriggerError, TriggeredRun};
use crate::domain::Cron;
use crate::pipeline::{self, Context, RunOptions};
use crate::shutdown::Shutdown;

/// Why a run starts (the `trigger` field of its log line).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Trigger {
    /// Its cron schedule fired.
    Schedule,
    /// It missed its last fire time while the server was stopped.
    CatchUp,
    /// `POST /api/v1/sources/{id}/run`.
    Admin,
}

impl Trigger {
    /// The name logged.
    pub fn as_str(self) -> &'static str {
        match self {
            Trigger::Schedule => "schedule",
            Trigger::CatchUp => "catch-up",
            Trigger::Admin => "admin",
        }
    }
}

/// One source of the running set.
pub(super) struct Entry {
    pub(super) planned: Arc<Planned>,
    /// On while this entry is the running one: its cron job fires only
    /// then.
    live: Arc<AtomicBool>,
}

impl Entry {
    /// Its cron schedule, when the scheduler fires it (enabled and
    /// scheduled).
    pub(super) fn cron(&self) -> Option<&Cron> {
        let source = &self.planned.source;
        source.schedule.as_ref().filter(|_| source.enabled)
    }
}

#[derive(Default)]
pub(super) struct Set {
    pub(super) entries: BTreeMap<String, Entry>,
    guards: HashMap<String, Arc<tokio::sync::Mutex<()>>>,
}

impl Set {
    /// The guard of `id` (created on first use, never dropped).
    fn guard(&mut self, id: &str) -> Arc<tokio::sync::Mutex<()>> {
        self.guards.entry(id.to_owned()).or_default().clone()
    }

    /// Whether a run of `id` is in flight.
    pub(super) fn is_running(&self, id: &str) -> bool {
        self.guards.get(id).is_some_and(|g| g.try_lock().is_err())
    }
}

/// The scheduler's shared state.
pub(super) struct Running {
    pub(super) ctx: Context,
    loader: Loader,
    runtime: tokio::runtime::Handle,
    /// Adds and removes the cron jobs (see `jobs::manage`).
    jobs: UnboundedSender<JobOp>,
    runs: TaskTracker,
    /// Fired when scheduling stops: the cron jobs and pending catch-up runs
    /// end, no run starts.
    stopping: CancellationToken,
    /// Fired at the end of the grace period: runs stop at their next page.
    stop_runs: Shutdown,
    set: Mutex<Set>,
}

impl Running {
    pub(super) fn new(
        ctx: Context,
        loader: Loader,
        runtime: tokio::runtime::Handle,
        jobs: UnboundedSender<JobOp>,
    ) -> Arc<Running> {
        Arc::new(Running {
            ctx,
            loader,
            runtime,
            jobs,
            runs: TaskTracker::new(),
            stopping: CancellationToken::new(),
            stop_runs: Shutdown::new(),
            set: Mutex::new(Set::default()),
        })
    }

    /// The set (a panic elsewhere while holding it leaves it usable: every
    /// change to it is one assignment).
    pub(super) fn lock(&self) -> MutexGuard<'_, Set> {
        self.set.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The runs in flight.
    pub(super) fn runs(&self) -> &TaskTracker {
        &self.runs
    }

    /// The runtime tasks are spawned on.
    pub(super) fn runtime(&self) -> &tokio::runtime::Handle {
        &self.runtime
    }

    /// Whether scheduling has stopped.
    pub(super) fn is_stopping(&self) -> bool {
        self.stopping.is_cancelled()
    }

    /// A token fired when scheduling stops.
    pub(super) fn stopping(&self) -> CancellationToken {
        self.stopping.child_token()
    }

    /// Stops the cron jobs and pending catch-up runs; no run starts after.
    pub(super) fn stop_scheduling(&self) {
        self.stopping.cancel();
    }

    /// Tells the runs in flight to stop at their next page.
    pub(super) fn stop_runs(&self) {
        self.stop_runs.trigger();
    }

    /// Starts a run of `id` now, unless one is in flight or scheduling has
    /// stopped. The run id is the start time its report records.
    pub(super) fn start_run(
        &self,
        id: &str,
        trigger: Trigger,
    ) -> Result<TriggeredRun, TriggerError> {
        if self.is_stopping() {
            return Err(TriggerError::ShuttingDown);
        }
        let (planned, guard) = {
            let mut set = self.lock();
            let planned = match set.entries.get(id) {
                Some(entry) => entry.planned.clone(),
                None => return Err(TriggerError::UnknownSource(id.to_owned())),
            };
            (planned, set.guard(id))
        };
        let held = guard
            .try_lock_owned()
            .map_err(|_| TriggerError::AlreadyRunning(id.to_owned()))?;
        let started_at = rfc3339(OffsetDateTime::now_utc());
        let options = RunOptions {
            shutdown: Some(self.stop_runs.clone()),
            started_at: Some(started_at.clone()),
            ..planned.options.clone()
        };
        tracing::info!(source = %id, trigger = trigger.as_str(), "Run started.");
        let ctx = self.ctx.clone();
        self.runs.spawn_on(
            async move {
                let _held = held;
                pipeline::run_source(&ctx, &planned.source, &options).await;
            },
            &self.runtime,
        );
        Ok(TriggeredRun {
            run_id: started_at,
            source: id.to_owned(),
        })
    }

    /// Makes `sources` the running set: the cron jobs of the old set
    /// stopped, those of the new one added. Runs in flight go on. Returns
    /// what changed.
    pub(super) fn replace(&self, sources: Vec<Planned>) -> ReloadOutcome {
        let mut set = self.lock();
        let mut outcome = ReloadOutcome::default();
        let mut entries = BTreeMap::new();
        for planned in sources {
            let id = planned.source.id.as_str().to_owned();
            match set.entries.get(&id) {
                None => outcome.added.push(id.clone()),
                Some(old) if fingerprint(&old.planned) != fingerprint(&planned) => {
                    outcome.changed.push(id.clone());
                }
                Some(_) => {}
            }
            let entry = Entry {
                planned: Arc::new(planned),
                live: Arc::new(AtomicBool::new(true)),
            };
            outcome.sources += usize::from(entry.cron().is_some());
            entries.insert(id, entry);
        }
        let old = std::mem::replace(&mut set.entries, entries);
        for (id, entry) in &old {
            entry.live.store(false, Ordering::Release);
            if !set.entries.contains_key(id) {
                outcome.removed.push(id.clone());
                self.set_job(id, None, &entry.live);
            }
        }
        for (id, entry) in &set.entries {
            self.set_job(id, entry.cron().cloned(), &entry.live);
        }
        outcome
    }

    /// Asks for the cron job of `id` to be replaced by one on `cron` (or
    /// removed).
    fn set_job(&self, id: &str, cron: Option<Cron>, live: &Arc<AtomicBool>) {
        let op = JobOp {
            id: id.to_owned(),
            cron,
            live: live.clone(),
        };
        if self.jobs.send(op).is_err() {
            tracing::warn!(source = %id, "The cron scheduler has stopped: the schedule is not changed.");
        }
    }

    /// Reads the set again and replaces the running one when it is valid.
    pub(super) fn reload(&self) -> Result<ReloadOutcome, ReloadError> {
        let loaded = (self.loader)();
        if !loaded.problems.is_empty() {
            tracing::warn!(
                problems = %loaded.problems.join("; "),
                "Reload refused: the running set is kept."
            );
            return Err(ReloadError {
                problems: loaded.problems,
            });
        }
        if self.is_stopping() {
            return Err(ReloadError {
                problems: vec!["the server is shutting down".to_owned()],
            });
        }
        let outcome = self.replace(loaded.sources);
        tracing::info!(
            scheduled = outcome.sources,
            added = %outcome.added.join(","),
            removed = %outcome.removed.join(","),
            changed = %outcome.changed.join(","),
            "Sources reloaded."
        );
        Ok(outcome)
    }
}

/// What tells two plans of a source apart (definitions hold compiled
/// selectors, so they are compared through their debug form).
fn fingerprint(p: &Planned) -> String {
    format!("{:?}|{:?}|{:?}", p.source, p.options, p.disabled)
}

/// `t` as RFC 3339.
pub(super) fn rfc3339(t: OffsetDateTime) -> String {
    t.format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default()
}
