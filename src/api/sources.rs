//! The sources as collection sees them: `GET /api/v1/sources` (each
//! source's schedule, state and health, from the scheduler's
//! [`Collection`](super::collection::Collection) and the stored run
//! reports) and `GET /api/v1/sources/{id}/runs?limit=` (its last run
//! reports, newest first). Health is [`crate::domain::health`]'s, judged
//! from the last [`HISTORY_RUNS`] stored runs of each source — the same
//! rules as `skilltrack sources list` and `/metrics`.
//!
//! A server that collects nothing (`serve --no-schedule`, no
//! `collection`) still answers from the store: it lists the sources that
//! have stored runs, with what only the scheduler knows (name, kind,
//! schedule, next run) as `null`, `enabled: false` and the reason, and
//! `"collecting": false`.
//!
//! Both handlers read the store and run on the blocking pool.

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;
use time::format_description::well_known::Rfc3339;
use warp::http::{Response, StatusCode};
use warp::hyper::body::Bytes;

use super::collection::SourceInfo;
use super::query::known_params;
use super::{json, ApiError, AppState, Params};
use crate::domain::health::{self, Alarm, Health, HISTORY_RUNS};
use crate::domain::{Completeness, Figure, RunReport, SourceId};
use crate::telemetry::metrics;

/// Run reports `/api/v1/sources/{id}/runs` gives without `limit`.
pub const DEFAULT_RUNS_LIMIT: usize = 20;

/// The most run reports one request may ask for.
pub const MAX_RUNS_LIMIT: usize = 100;

/// Why a source is shown as not enabled by a server that does not collect.
const NOT_COLLECTING: &str = "this server does not collect (serve --no-schedule)";

/// `GET /api/v1/sources`.
pub(super) fn list_handler(s: &AppState) -> Result<Response<Bytes>, ApiError> {
    let sources = known(s)?
        .into_iter()
        .map(|(id, info)| {
            let runs = stored_runs(s, &id, HISTORY_RUNS)?;
            Ok(SourceBody::new(id, info, &runs))
        })
        .collect::<Result<Vec<_>, ApiError>>()?;
    Ok(json(
        StatusCode::OK,
        &SourcesBody {
            collecting: s.collection.is_some(),
            sources,
        },
    ))
}

/// `GET /api/v1/sources/{id}/runs?limit=`.
pub(super) fn runs_handler(
    s: &AppState,
    id: &str,
    p: &Params,
) -> Result<Response<Bytes>, ApiError> {
    known_params(p, &["limit"])?;
    let limit = runs_limit(p)?;
    let mut known: BTreeSet<SourceId> = known(s)?.into_keys().collect();
    known.extend(s.store.run_sources().map_err(ApiError::store)?);
    let Some(source) = known.iter().find(|k| k.as_str() == id).cloned() else {
        let hint = crate::domain::suggest(id, known.iter().map(SourceId::as_str)).map_or_else(
            || "see /api/v1/sources".to_owned(),
            |k| format!("did you mean {k:?}?"),
        );
        return Err(ApiError::new(
            StatusCode::NOT_FOUND,
            "unknown_source",
            format!("no source {id:?}; {hint}"),
        ));
    };
    let runs = stored_runs(s, &source, limit)?;
    Ok(json(
        StatusCode::OK,
        &RunsBody {
            source: source.as_str(),
            limit,
            runs: runs.iter().map(RunBody::new).collect(),
        },
    ))
}

/// Sets the `/metrics` health series of every known source from its
/// stored runs (called at each scrape).
pub(super) fn record_health_metrics(s: &AppState) -> Result<(), ApiError> {
    for id in known(s)?.into_keys() {
        let runs = stored_runs(s, &id, HISTORY_RUNS)?;
        metrics::global().source_health(id.as_str(), &health::assess(&runs));
    }
    Ok(())
}

/// `limit`: 1 to [`MAX_RUNS_LIMIT`], [`DEFAULT_RUNS_LIMIT`] when absent.
fn runs_limit(p: &Params) -> Result<usize, ApiError> {
    let Some(v) = p.get("limit") else {
        return Ok(DEFAULT_RUNS_LIMIT);
    };
    match v.trim().parse::<usize>() {
        Ok(n @ 1..=MAX_RUNS_LIMIT) => Ok(n),
        Ok(n) if n > MAX_RUNS_LIMIT => Err(ApiError::limit(
            "limit",
            format!("{n} is over the limit of {MAX_RUNS_LIMIT} runs: ask for fewer"),
        )),
        _ => Err(ApiError::bad(
            "limit",
            format!("{v:?} is not a whole number of runs (1 to {MAX_RUNS_LIMIT})"),
        )),
    }
}

/// The sources to show, by id: the scheduler's running set when there is
/// one (a source of the set is shown before its first run), else the
/// sources with stored runs. The runs route also knows a source that has
/// stored runs and left the set.
fn known(s: &AppState) -> Result<BTreeMap<SourceId, Option<SourceInfo>>, ApiError> {
    Ok(match &s.collection {
        Some(collection) => collection
            .sources()
            .into_iter()
            .filter_map(|info| Some((SourceId::parse(&info.id).ok()?, Some(info))))
            .collect(),
        None => s
            .store
            .run_sources()
            .map_err(ApiError::store)?
            .into_iter()
            .map(|id| (id, None))
            .collect(),
    })
}

/// The latest `n` runs of `source`, newest first.
fn stored_runs(s: &AppState, source: &SourceId, n: usize) -> Result<Vec<RunReport>, ApiError> {
    s.store.runs(source, n).map_err(ApiError::store)
}

/// The answer of `GET /api/v1/sources`.
#[derive(Serialize)]
struct SourcesBody {
    /// Whether this server schedules runs.
    collecting: bool,
    /// Sorted by id.
    sources: Vec<SourceBody>,
}

/// One source.
#[derive(Serialize)]
struct SourceBody {
    id: String,
    name: Option<String>,
    kind: Option<String>,
    schedule: Option<String>,
    next_run: Option<String>,
    enabled: bool,
    disabled_reason: Option<String>,
    running: bool,
    health: &'static str,
    alarms: Vec<AlarmBody>,
    last_success: Option<String>,
    consecutive_failures: u64,
    last_run: Option<RunSummary>,
}

impl SourceBody {
    /// `id` as the scheduler runs it (`info`, when it does) and as its
    /// stored `runs` (newest first) judge it.
    fn new(id: SourceId, info: Option<SourceInfo>, runs: &[RunReport]) -> SourceBody {
        let Health {
            state,
            alarms,
            consecutive_failures,
            last_success,
        } = health::assess(runs);
        let (name, kind, schedule, next_run, enabled, disabled_reason, running) = match info {
            Some(i) => (
                Some(i.name),
                Some(i.kind),
                i.schedule,
                i.next_run.and_then(|t| t.format(&Rfc3339).ok()),
                i.enabled,
                i.disabled_reason,
                i.running,
            ),
            None => (
                None,
                None,
                None,
                None,
                false,
                Some(NOT_COLLECTING.to_owned()),
                false,
            ),
        };
        SourceBody {
            id: id.as_str().to_owned(),
            name,
            kind,
            schedule,
            next_run,
            enabled,
            disabled_reason,
            running,
            health: state.as_str(),
            alarms: alarms.iter().map(AlarmBody::new).collect(),
            last_success,
            consecutive_failures,
            last_run: runs.first().map(RunSummary::new),
        }
    }
}

/// A drift alarm.
#[derive(Serialize)]
struct AlarmBody {
    code: &'static str,
    figure: &'static str,
    baseline: f64,
    current: f64,
    message: String,
}

impl AlarmBody {
    fn new(a: &Alarm) -> AlarmBody {
        AlarmBody {
            code: a.code.as_str(),
            figure: a.figure,
            baseline: a.baseline,
            current: a.current,
            message: a.message.clone(),
        }
    }
}

/// The latest run, in short.
#[derive(Serialize)]
struct RunSummary {
    started_at: String,
    duration_ms: u64,
    failed: bool,
    interrupted: bool,
    items: u64,
    rejected: u64,
    postings: u64,
    new: u64,
    errors: u64,
    shares: Option<Shares>,
}

impl RunSummary {
    fn new(r: &RunReport) -> RunSummary {
        RunSummary {
            started_at: r.started_at.clone(),
            duration_ms: r.duration_ms,
            failed: health::failed(r),
            interrupted: r.interrupted,
            items: r.items,
            rejected: r.rejected,
            postings: health::postings(r),
            new: r.new,
            errors: r.error_count(),
            shares: Shares::of(&r.completeness),
        }
    }
}

/// The completeness figures as shares from 0 to 1.
#[derive(Serialize)]
struct Shares(BTreeMap<&'static str, f64>);

impl Shares {
    /// None when the run measured no posting.
    fn of(c: &Completeness) -> Option<Shares> {
        Figure::ALL
            .iter()
            .map(|f| Some((f.as_str(), c.share(*f)?)))
            .collect::<Option<BTreeMap<_, _>>>()
            .map(Shares)
    }
}

/// The answer of `GET /api/v1/sources/{id}/runs`.
#[derive(Serialize)]
struct RunsBody<'a> {
    source: &'a str,
    limit: usize,
    runs: Vec<RunBody<'a>>,
}

/// A stored run report as it is, with whether it failed and its shares.
#[derive(Serialize)]
struct RunBody<'a> {
    #[serde(flatten)]
    report: &'a RunReport,
    failed: bool,
    postings: u64,
    shares: Option<Shares>,
}

impl<'a> RunBody<'a> {
    fn new(report: &'a RunReport) -> RunBody<'a> {
        RunBody {
            report,
            failed: health::failed(report),
            postings: health::postings(report),
            shares: Shares::of(&report.completeness),
        }
    }
}
