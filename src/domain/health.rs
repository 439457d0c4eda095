//! The health of a source, judged from its stored run reports alone: pure
//! rules, no I/O, shared by the API (`GET /api/v1/sources`), `skilltrack
//! sources list`, `/metrics` and the log line the pipeline writes after
//! each run.
//!
//! - A run **failed** when it had errors and got nothing: no item read and
//!   no page answered 304 (every page failed, or the source could not be
//!   reached at all). A run that read items is not a failure, even with
//!   errors.
//! - A run **drifted** when it did not fail and raised an [`Alarm`] against
//!   the baseline: the last [`BASELINE_RUNS`] healthy runs before it (runs
//!   that neither failed nor drifted, so that a broken source does not
//!   become its own baseline), once there are at least
//!   [`MIN_BASELINE_RUNS`] of them. Alarms: postings stopped (the baseline's
//!   median was above zero, the run has none); a completeness figure fell
//!   by [`COMPLETENESS_DROP_POINTS`] points or more against the baseline's
//!   median; rejected items at least [`REJECTED_FACTOR`] times the median
//!   and at least [`REJECTED_FLOOR`].
//! - A run stopped by a shutdown (`interrupted`) is incomplete: it is not
//!   judged for drift and does not join the baseline.
//!
//! A source's state is its latest run's: `failing`, `drifting`, `ok`, or
//! `never_ran` without runs. The next run that is healthy clears it.

use std::collections::VecDeque;

use super::{Figure, RunReport};

/// Healthy runs a new run is compared with.
pub const BASELINE_RUNS: usize = 10;

/// Healthy runs needed before any drift alarm is raised.
pub const MIN_BASELINE_RUNS: usize = 3;

/// A completeness share falling by this many points (of 100) or more
/// against the baseline's median raises an alarm.
pub const COMPLETENESS_DROP_POINTS: f64 = 30.0;

/// Rejected items at least this many times the baseline's median raise an
/// alarm...
pub const REJECTED_FACTOR: f64 = 3.0;

/// ...when they are at least this many (so that 0 → 1 is not an alarm).
pub const REJECTED_FLOOR: u64 = 5;

/// Run reports to read for an assessment (newest first): enough for the
/// baseline to be made of healthy runs after a spell of bad ones.
pub const HISTORY_RUNS: usize = 50;

/// A source's state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum HealthState {
    /// Its latest run neither failed nor drifted.
    Ok,
    /// Its latest run failed.
    Failing,
    /// Its latest run raised drift alarms.
    Drifting,
    /// No run is stored.
    NeverRan,
}

impl HealthState {
    /// Every state.
    pub const ALL: [HealthState; 4] = [
        HealthState::Ok,
        HealthState::Failing,
        HealthState::Drifting,
        HealthState::NeverRan,
    ];

    /// Its name in the API, the CLI and the metrics.
    pub fn as_str(self) -> &'static str {
        match self {
            HealthState::Ok => "ok",
            HealthState::Failing => "failing",
            HealthState::Drifting => "drifting",
            HealthState::NeverRan => "never_ran",
        }
    }
}

/// What kind of drift an alarm signals.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AlarmCode {
    /// The source used to return postings and returned none.
    NoPostings,
    /// A completeness figure dropped.
    CompletenessDrop,
    /// Rejected items rose.
    RejectedRise,
}

impl AlarmCode {
    /// Its stable machine-readable name.
    pub fn as_str(self) -> &'static str {
        match self {
            AlarmCode::NoPostings => "no_postings",
            AlarmCode::CompletenessDrop => "completeness_drop",
            AlarmCode::RejectedRise => "rejected_rise",
        }
    }
}

/// One drift alarm of a run.
#[derive(Debug, Clone, PartialEq)]
pub struct Alarm {
    /// What kind.
    pub code: AlarmCode,
    /// The figure: `postings`, `rejected`, or a completeness figure
    /// ([`Figure::as_str`]).
    pub figure: &'static str,
    /// The baseline's median (a share from 0 to 1 for completeness).
    pub baseline: f64,
    /// The run's value (same unit).
    pub current: f64,
    /// For people: the figure and both values.
    pub message: String,
}

/// A source's health, from its runs.
#[derive(Debug, Clone, PartialEq)]
pub struct Health {
    /// The state of its latest run.
    pub state: HealthState,
    /// The latest run's alarms (empty unless `drifting`).
    pub alarms: Vec<Alarm>,
    /// Failed runs in a row, ending with the latest.
    pub consecutive_failures: u64,
    /// Start (RFC 3339) of the latest run that did not fail.
    pub last_success: Option<String>,
}

/// Whether a run failed: errors, and no item read nor page answered 304.
pub fn failed(run: &RunReport) -> bool {
    run.error_count() > 0 && run.items == 0 && run.not_modified == 0
}

/// The postings a run returned: stored new, updated, or seen unchanged
/// (304 pages included).
pub fn postings(run: &RunReport) -> u64 {
    run.new + run.updated + run.unchanged
}

/// The health of a source from its runs, newest first (as the store lists
/// them; [`HISTORY_RUNS`] of them are enough).
pub fn assess(newest_first: &[RunReport]) -> Health {
    let Some(latest) = newest_first.first() else {
        return Health {
            state: HealthState::NeverRan,
            alarms: Vec::new(),
            consecutive_failures: 0,
            last_success: None,
        };
    };
    let consecutive_failures = newest_first.iter().take_while(|r| failed(r)).count() as u64;
    let last_success = newest_first
        .iter()
        .find(|r| !failed(r))
        .map(|r| r.started_at.clone());
    let alarms = if failed(latest) {
        Vec::new()
    } else {
        latest_alarms(newest_first)
    };
    let state = if failed(latest) {
        HealthState::Failing
    } else if !alarms.is_empty() {
        HealthState::Drifting
    } else {
        HealthState::Ok
    };
    Health {
        state,
        alarms,
        consecutive_failures,
        last_success,
    }
}

/// The alarms of the latest run, each earlier run judged in turn (oldest
/// first) so that only healthy runs form the baseline.
fn latest_alarms(newest_first: &[RunReport]) -> Vec<Alarm> {
    let mut baseline: VecDeque<&RunReport> = VecDeque::with_capacity(BASELINE_RUNS);
    let mut found = Vec::new();
    for run in newest_first.iter().rev() {
        found = if failed(run) || run.interrupted {
            Vec::new()
        } else {
            alarms(run, baseline.make_contiguous())
        };
        if found.is_empty() && !failed(run) && !run.interrupted {
            if baseline.len() == BASELINE_RUNS {
                baseline.pop_front();
            }
            baseline.push_back(run);
        }
    }
    found
}

/// The drift alarms of `run` against `baseline` (healthy runs before it):
/// none while the baseline has fewer than [`MIN_BASELINE_RUNS`] runs.
pub fn alarms(run: &RunReport, baseline: &[&RunReport]) -> Vec<Alarm> {
    let mut found = Vec::new();
    if baseline.len() < MIN_BASELINE_RUNS {
        return found;
    }
    let n = baseline.len();
    let usual = median(baseline.iter().map(|r| postings(r) as f64));
    if usual > 0.0 && postings(run) == 0 {
        found.push(Alarm {
            code: AlarmCode::NoPostings,
            figure: "postings",
            baseline: usual,
            current: 0.0,
            message: format!(
                "postings: 0 this run, against a median of {usual} over the last {n} healthy runs"
            ),
        });
    }
    found.extend(completeness_drops(run, baseline));
    let usual = median(baseline.iter().map(|r| r.rejected as f64));
    let now = run.rejected as f64;
    if run.rejected >= REJECTED_FLOOR && now >= REJECTED_FACTOR * usual {
        found.push(Alarm {
            code: AlarmCode::RejectedRise,
            figure: "rejected",
            baseline: usual,
            current: now,
            message: format!(
                "rejected items: {} this run, against a median of {usual} over the last {n} healthy runs",
                run.rejected
            ),
        });
    }
    found
}

/// A completeness alarm per figure that fell by
/// [`COMPLETENESS_DROP_POINTS`] or more against the median of the baseline
/// runs that measured it (reports stored before completeness was recorded
/// measured nothing).
fn completeness_drops(run: &RunReport, baseline: &[&RunReport]) -> Vec<Alarm> {
    let measured: Vec<_> = baseline
        .iter()
        .filter(|r| r.completeness.postings > 0)
        .map(|r| r.completeness)
        .collect();
    if measured.len() < MIN_BASELINE_RUNS {
        return Vec::new();
    }
    let mut found = Vec::new();
    for figure in Figure::ALL {
        let Some(now) = run.completeness.share(figure) else {
            continue;
        };
        let usual = median(measured.iter().filter_map(|c| c.share(figure)));
        let drop = (usual - now) * 100.0;
        if drop >= COMPLETENESS_DROP_POINTS - 1e-9 {
            found.push(Alarm {
                code: AlarmCode::CompletenessDrop,
                figure: figure.as_str(),
                baseline: usual,
                current: now,
                message: format!(
                    "{} completeness: {:.0}% this run, against a median of {:.0}% over the last {} measured healthy runs ({:.0} points down)",
                    figure.as_str(),
                    now * 100.0,
                    usual * 100.0,
                    measured.len(),
                    drop
                ),
            });
        }
    }
    found
}

/// The median (the mean of the two middle values for an even count); 0
/// for none.
fn median(values: impl Iterator<Item = f64>) -> f64 {
    let mut v: Vec<f64> = values.collect();
    if v.is_empty() {
        return 0.0;
    }
    v.sort_by(f64::total_cmp);
    let mid = v.len() / 2;
    if v.len() % 2 == 1 {
        v[mid]
    } else {
        (v[mid - 1] + v[mid]) / 2.0
    }
}

#[cfg(test)]
mod tests;
