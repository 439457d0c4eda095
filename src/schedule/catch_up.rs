//! Catch-up at start: every enabled scheduled source that never ran, or
//! whose last run started before its schedule's last fire time (missed
//! while the server was stopped), runs once soon after start — one after
//! the other, `spacing` apart plus a random `jitter`, so hosts are not hit
//! together; the fetcher's per-host limits apply as to any run.

use std::sync::Arc;
use std::time::Duration;

use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

use super::running::{rfc3339, Running, Trigger};
use crate::api::collection::TriggerError;
use crate::domain::{error_chain, Cron};

/// How catch-up runs are spread after start.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CatchUp {
    /// Between two catch-up runs' starts (the first starts after its jitter).
    pub spacing: Duration,
    /// A random delay up to this is added to each.
    pub jitter: Duration,
}

/// Whether a source on `cron` whose last run started at `last` (None:
/// never) is due at `now`: it never ran, or its last run started before the
/// schedule's last fire time.
pub fn due(cron: &Cron, last: Option<OffsetDateTime>, now: OffsetDateTime) -> bool {
    match last {
        None => true,
        Some(last) => cron
            .last_at_or_before(now)
            .is_some_and(|fired| last < fired),
    }
}

/// The delay of the `nth` catch-up run (from 0): `nth` spacings plus a
/// random jitter.
pub fn delay(nth: usize, plan: CatchUp) -> Duration {
    let jitter_ms = u64::try_from(plan.jitter.as_millis()).unwrap_or(u64::MAX);
    let steps = u32::try_from(nth).unwrap_or(u32::MAX);
    plan.spacing.saturating_mul(steps) + Duration::from_millis(fastrand::u64(0..=jitter_ms))
}

/// Finds the due sources and starts each once at its delay (logged).
pub(super) fn schedule(running: &Arc<Running>, plan: CatchUp) {
    let now = OffsetDateTime::now_utc();
    let scheduled: Vec<(String, Cron)> = running
        .lock()
        .entries
        .iter()
        .filter_map(|(id, e)| Some((id.clone(), e.cron()?.clone())))
        .collect();
    let mut nth = 0;
    for (id, cron) in scheduled {
        let Some(last) = last_start(running, &id) else {
            continue;
        };
        if !due(&cron, last, now) {
            continue;
        }
        let wait = delay(nth, plan);
        nth += 1;
        let at = now + wait;
        tracing::info!(
            source = %id,
            at = %rfc3339(at),
            last_run = %last.map_or_else(|| "never".to_owned(), rfc3339),
            "Catch-up run due."
        );
        let (stop, weak) = (running.stopping(), Arc::downgrade(running));
        running.runtime().spawn(async move {
            tokio::select! {
                _ = stop.cancelled() => return,
                _ = tokio::time::sleep(wait) => {}
            }
            let Some(running) = weak.upgrade() else {
                return;
            };
            match running.start_run(&id, Trigger::CatchUp) {
                Ok(_) | Err(TriggerError::ShuttingDown) => {}
                Err(TriggerError::AlreadyRunning(_)) => {
                    tracing::info!(source = %id, "Catch-up run not needed: a run is going.");
                }
                Err(TriggerError::UnknownSource(_)) => {
                    tracing::info!(source = %id, "Catch-up run dropped: the source was removed.");
                }
            }
        });
    }
}

/// When the last stored run of `id` started: `Some(None)` when it never
/// ran (or its start cannot be read), None when the store cannot say (then
/// the source waits for its schedule).
fn last_start(running: &Running, id: &str) -> Option<Option<OffsetDateTime>> {
    let source = crate::domain::SourceId::parse(id).ok()?;
    match running.ctx.store.runs(&source, 1) {
        Ok(runs) => Some(
            runs.first()
                .and_then(|r| OffsetDateTime::parse(&r.started_at, &Rfc3339).ok()),
        ),
        Err(e) => {
            tracing::warn!(source = %id, error = %error_chain(&e), "Cannot read the last run; no catch-up.");
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn a_source_that_never_ran_is_due() {
        let daily = Cron::parse("0 20 4 * * *").unwrap();
        assert!(due(&daily, None, datetime!(2026-12-01 10:00 UTC)));
    }

    #[test]
    fn a_run_after_the_last_fire_time_is_fresh_and_one_before_it_missed_it() {
        let daily = Cron::parse("0 20 4 * * *").unwrap();
        let now = datetime!(2026-12-01 10:00 UTC);
        assert!(!due(&daily, Some(datetime!(2026-12-01 04:20 UTC)), now));
        assert!(!due(&daily, Some(datetime!(2026-12-01 09:59 UTC)), now));
        assert!(due(&daily, Some(datetime!(2026-12-01 04:19:59 UTC)), now));
        assert!(due(&daily, Some(datetime!(2026-11-28 04:20 UTC)), now));
        // Before today's fire time, yesterday's is the one to have caught.
        let early = datetime!(2026-12-01 03:00 UTC);
        assert!(!due(
            &daily,
            Some(datetime!(2026-11-30 04:20:01 UTC)),
            early
        ));
        assert!(due(&daily, Some(datetime!(2026-11-30 04:00 UTC)), early));
    }

    #[test]
    fn delays_are_spaced_and_jittered_within_bounds() {
        let plan = CatchUp {
            spacing: Duration::from_secs(15),
            jitter: Duration::from_secs(10),
        };
        for nth in 0..5 {
            for _ in 0..50 {
                let d = delay(nth, plan);
                let base = Duration::from_secs(15 * nth as u64);
                assert!(d >= base && d <= base + plan.jitter, "{nth}: {d:?}");
            }
        }
        let none = CatchUp {
            spacing: Duration::ZERO,
            jitter: Duration::ZERO,
        };
        assert_eq!(delay(3, none), Duration::ZERO);
    }
}
