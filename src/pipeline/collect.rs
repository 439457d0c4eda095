//! Collecting a source: a run (`run_source`: the walk's postings stored
//! page by page, the report recorded) or a trial (`try_source`: postings
//! kept in memory, nothing stored), and where each page's postings go (a
//! [`Sink`]: the store, memory, or a lake run's file, see `lake_run`). The walk itself, page by page, is in [`super::walk`].
//!
//! A run's report counts the completeness of the postings it normalized
//! (`RunReport::completeness`); once the report is recorded, the source's
//! stored history is judged ([`crate::domain::health`]) and a drift is
//! logged: a WARN line when the run raised alarms, an INFO line when it
//! cleared the previous run's.

use std::ops::ControlFlow;
use std::sync::Arc;
use std::time::{Instant, SystemTime};

use tracing::Instrument;

use super::error::{blocking, StepError};
use super::walk::walk;
use super::{add_outcome, normalize_all, now_rfc3339, Context, RunOptions};
use crate::domain::error_chain;
use crate::domain::health::{self, HealthState};
use crate::domain::{Completeness, Day, GeoCode, PostingId, RunReport, SourceId};
use crate::extract::{ItemError, RawPosting, SourceDef};
use crate::fetch::{FetchRun, FetchStats, Fetcher};
use crate::normalize::{NormalizeError, Normalizer, Posting};
use crate::store::{IngestOutcome, Store};
use crate::telemetry::metrics::{self, RunOutcome};

/// A posting of `skilltrack sources try`: as extracted, and as normalized
/// (or why it could not be).
#[derive(Debug)]
pub struct TriedPosting {
    /// The posting as the extractor read it.
    pub raw: RawPosting,
    /// The normalized posting, or why normalization failed.
    pub posting: Result<Posting, NormalizeError>,
}

/// Where the postings of each page go.
pub(super) enum Sink<'a> {
    /// Normalized and stored, page by page.
    Store(&'a Context),
    /// Kept in memory up to `limit` (`sources try`).
    Collect {
        out: &'a mut Vec<RawPosting>,
        limit: usize,
    },
    /// Written as raw lines to a lake run's file, never normalized or
    /// stored (`collect --out`).
    Lake(&'a mut super::lake_run::LakeRun),
}

impl Sink<'_> {
    /// The store postings go to, if they are stored.
    pub(super) fn store(&self) -> Option<Arc<dyn Store>> {
        match self {
            Sink::Store(ctx) => Some(ctx.store.clone()),
            Sink::Collect { .. } | Sink::Lake(_) => None,
        }
    }
}

/// Collects one source now: every start URL, page after page up to
/// `max_pages`, detail pages up to `[follow] max`, each page's postings
/// normalized and stored together. Stops between pages when
/// `options.shutdown` fires.
pub async fn run_source(ctx: &Context, source: &SourceDef, options: &RunOptions) -> RunReport {
    let started = Instant::now();
    let mut report = RunReport {
        source: Some(source.id.clone()),
        started_at: options.started_at.clone().unwrap_or_else(now_rfc3339),
        ..RunReport::default()
    };
    let span = tracing::info_span!("run", source = %source.id);
    let mut net = FetchRun::new(ctx.fetcher.config().run_deadline);
    walk(
        &ctx.fetcher,
        source,
        options,
        &mut report,
        &mut net,
        &mut Sink::Store(ctx),
    )
    .instrument(span.clone())
    .await;
    add_fetch_stats(&mut report, &net.stats);
    let _enter = span.enter();
    if let Err(e) = flush(ctx) {
        report.error(format!("flush: {e}"));
    }
    report.duration_ms = started.elapsed().as_millis() as u64;
    match ctx.store.record_run(&report) {
        Ok(()) => log_drift(ctx, &source.id),
        Err(e) => tracing::error!(error = %error_chain(&e), "Could not record the run report."),
    }
    metrics::global().run_finished(source.id.as_str(), run_outcome(&report), SystemTime::now());
    tracing::info!(summary = %report.summary(), "Run finished.");
    report
}

/// Judges the source's stored runs now that the latest is recorded: a WARN
/// line naming each alarm when it drifts, an INFO line when the run cleared
/// the drift of the run before.
fn log_drift(ctx: &Context, source: &SourceId) {
    let runs = match ctx.store.runs(source, health::HISTORY_RUNS) {
        Ok(runs) => runs,
        Err(e) => {
            tracing::error!(error = %error_chain(&e), "Could not read the runs to judge the source's health.");
            return;
        }
    };
    let now = health::assess(&runs);
    if now.state == HealthState::Drifting {
        let alarms: Vec<&str> = now.alarms.iter().map(|a| a.message.as_str()).collect();
        let codes: Vec<&str> = now.alarms.iter().map(|a| a.code.as_str()).collect();
        tracing::warn!(
            alarms = %alarms.join("; "),
            codes = %codes.join(","),
            "The source is drifting: its site may have changed."
        );
    } else if now.state == HealthState::Ok
        && runs.len() > 1
        && health::assess(&runs[1..]).state == HealthState::Drifting
    {
        tracing::info!("The source's drift cleared: this run looks like its usual runs again.");
    }
}

/// Fetches, extracts and normalizes up to `limit` postings of a source
/// without storing anything (`skilltrack sources try`): each raw posting with
/// its normalized form (or why it could not be normalized); the report says
/// what went wrong while fetching and extracting.
pub async fn try_source(
    fetcher: &Fetcher,
    normalizer: &Normalizer,
    source: &SourceDef,
    options: &RunOptions,
    limit: usize,
) -> (Vec<TriedPosting>, RunReport) {
    let started = Instant::now();
    let mut report = RunReport {
        source: Some(source.id.clone()),
        started_at: now_rfc3339(),
        ..RunReport::default()
    };
    let mut out = Vec::new();
    let span = tracing::info_span!("try", source = %source.id);
    let mut net = FetchRun::new(fetcher.config().run_deadline);
    walk(
        fetcher,
        source,
        options,
        &mut report,
        &mut net,
        &mut Sink::Collect {
            out: &mut out,
            limit,
        },
    )
    .instrument(span)
    .await;
    add_fetch_stats(&mut report, &net.stats);
    report.duration_ms = started.elapsed().as_millis() as u64;
    let today = Day::today();
    let postings = out
        .into_iter()
        .map(|raw| TriedPosting {
            posting: normalizer.normalize(&raw, &source.id, source.country.as_ref(), today),
            raw,
        })
        .collect();
    (postings, report)
}

/// Marks the postings a page answered 304 listed as seen on `seen`; they
/// count as unchanged postings of the run.
pub(super) async fn mark_seen(
    store: &Arc<dyn Store>,
    ids: &[PostingId],
    seen: Day,
    report: &mut RunReport,
) {
    if ids.is_empty() {
        return;
    }
    let (store, ids) = (store.clone(), ids.to_vec());
    match blocking("mark-seen", move || store.mark_seen(&ids, seen)).await {
        Ok(n) => report.unchanged += n,
        Err(e) => {
            let e = error_chain(&e);
            tracing::error!(error = %e, "Cannot mark the postings of an unchanged page as seen.");
            report.error(format!("store: {e}"));
        }
    }
}

/// Hands a page's postings to the sink, seen on `seen`; the ids of those
/// stored are added to `stored`, rejected items go to the report.
/// `Break` when the sink wants no more: the store failed, or enough
/// postings are collected.
pub(super) async fn deliver(
    source: &SourceDef,
    url: &str,
    items: Vec<Result<RawPosting, ItemError>>,
    seen: Day,
    stored: &mut Vec<PostingId>,
    report: &mut RunReport,
    sink: &mut Sink<'_>,
) -> ControlFlow<()> {
    report.items += items.len() as u64;
    let mut raws = Vec::with_capacity(items.len());
    for item in items {
        match item {
            Ok(raw) => raws.push(raw),
            Err(e) => {
                report.rejected += 1;
                report.error(format!("{url}: {e}"));
            }
        }
    }
    match sink {
        Sink::Store(ctx) => {
            if raws.is_empty() {
                return ControlFlow::Continue(());
            }
            match store_raw(ctx, &source.id, source.country.as_ref(), raws, seen, report).await {
                Ok(ids) => {
                    stored.extend(ids);
                    ControlFlow::Continue(())
                }
                Err(e) => {
                    let e = error_chain(&e);
                    tracing::error!(error = %e, "Store failed.");
                    report.error(format!("store: {e}"));
                    ControlFlow::Break(())
                }
            }
        }
        Sink::Lake(run) => run.write(&raws, report),
        Sink::Collect { out, limit } => {
            let room = limit.saturating_sub(out.len());
            out.extend(raws.into_iter().take(room));
            if out.len() >= *limit {
                ControlFlow::Break(())
            } else {
                ControlFlow::Continue(())
            }
        }
    }
}

/// Normalizes raw postings seen on `seen` and stores them as one batch with
/// their counts, off the async threads. Returns the ids stored.
async fn store_raw(
    ctx: &Context,
    source: &SourceId,
    country: Option<&GeoCode>,
    raws: Vec<RawPosting>,
    seen: Day,
    report: &mut RunReport,
) -> Result<Vec<PostingId>, StepError> {
    let (ctx, source, country) = (ctx.clone(), source.clone(), country.cloned());
    let stored = blocking("ingest", move || {
        normalize_and_store(&ctx, &source, country.as_ref(), &raws, seen)
    })
    .await?;
    report.rejected += stored.rejected.len() as u64;
    report.completeness.add(&stored.completeness);
    for e in stored.rejected {
        report.error(e);
    }
    add_outcome(report, stored.outcome);
    Ok(stored.ids)
}

/// What storing a page's postings did.
struct Stored {
    /// What the store did with them.
    outcome: IngestOutcome,
    /// Why the postings that could not be normalized were not.
    rejected: Vec<String>,
    /// The ids of the postings stored.
    ids: Vec<PostingId>,
    /// How complete the normalized postings were.
    completeness: Completeness,
}

/// Normalizes a page's raw postings and stores them as one batch, flushed
/// so that the page's counts are written (and visible) before the next page.
fn normalize_and_store(
    ctx: &Context,
    source: &SourceId,
    country: Option<&GeoCode>,
    raws: &[RawPosting],
    seen: Day,
) -> Result<Stored, crate::store::StoreError> {
    let mut rejected = Vec::new();
    let postings = normalize_all(&ctx.normalizer, source, country, raws, seen, &mut rejected);
    let outcome = ctx.store.ingest(&postings)?;
    flush(ctx)?;
    let mut completeness = Completeness::default();
    postings.iter().for_each(|p| completeness.count(p));
    Ok(Stored {
        outcome,
        completeness,
        rejected,
        ids: postings.iter().map(|p| p.id).collect(),
    })
}

pub(super) fn add_fetch_stats(report: &mut RunReport, stats: &FetchStats) {
    report.requests += stats.requests;
    report.bytes += stats.bytes;
    for (status, n) in &stats.statuses {
        *report.statuses.entry(*status).or_insert(0) += n;
    }
    report.retries += stats.retries;
    report.robots_blocked += stats.robots_blocked;
    report.host_skipped += stats.host_skipped;
    report.polite_wait_ms += stats.polite_wait.as_millis() as u64;
    report.retry_wait_ms += stats.retry_wait.as_millis() as u64;
}

/// Flushes the store, timing the flush for `skilltrack_store_flush_lag_seconds`.
fn flush(ctx: &Context) -> Result<(), crate::store::StoreError> {
    let started = Instant::now();
    let flushed = ctx.store.flush();
    metrics::global().store_flushed(started.elapsed());
    flushed
}

/// How a run ended, for `skilltrack_runs_total`: no error is a success;
/// errors with items read are partial; errors and nothing read, a failure.
fn run_outcome(report: &RunReport) -> RunOutcome {
    match (report.error_count(), report.items) {
        (0, _) => RunOutcome::Success,
        (_, 0) => RunOutcome::Failure,
        _ => RunOutcome::Partial,
    }
}
