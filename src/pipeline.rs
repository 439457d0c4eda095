//! The one place stages are composed: a source definition in, a run report
//! out (fetch → extract → normalize → store), and the same normalize → store
//! path for imported files.

use std::io::BufRead;
use std::sync::Arc;
use std::time::Instant;

use crate::domain::{Day, GeoCode, SourceId};
use crate::extract::{import, Page, RawPosting, SourceDef};
use crate::fetch::conditional::Validators;
use crate::fetch::{FetchError, FetchRequest, FetchRun, FetchStats, Fetcher};
use crate::normalize::{Normalizer, Posting};
use crate::report::RunReport;
use crate::store::{IngestOutcome, Store, StoreError};

/// Postings written per batch by `import`.
pub const IMPORT_BATCH: usize = 1000;

/// What a run needs: built once, shared by every run.
#[derive(Clone)]
pub struct Context {
    /// Where postings and counts go.
    pub store: Arc<dyn Store>,
    /// Skills and places.
    pub normalizer: Arc<Normalizer>,
    /// The polite HTTP client.
    pub fetcher: Fetcher,
}

/// Per-run options.
#[derive(Debug, Clone, Default)]
pub struct RunOptions {
    /// Replaces the source's `base_url` (mirrors, tests).
    pub base_url: Option<String>,
}

fn now_rfc3339() -> String {
    time::OffsetDateTime::now_utc()
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default()
}

/// Collects one source now: every start URL, page after page up to
/// `max_pages`, each page's postings normalized and stored together.
pub async fn run_source(ctx: &Context, source: &SourceDef, options: &RunOptions) -> RunReport {
    let started = Instant::now();
    let mut report = RunReport {
        source: Some(source.id.clone()),
        started_at: now_rfc3339(),
        ..RunReport::default()
    };
    let span = tracing::info_span!("run", source = %source.id);
    let _enter = span.enter();
    let interval = source.rate.map(|r| r.interval());
    let base = options.base_url.as_deref();
    let mut net = FetchRun::new(ctx.fetcher.config().run_deadline);
    'starts: for start in source.start_urls(base) {
        let mut url = start;
        for page_number in 0..source.max_pages {
            if net.expired() {
                tracing::warn!(url = %url, "Run deadline reached.");
                report.error(format!(
                    "{url}: run deadline reached, remaining pages skipped"
                ));
                break 'starts;
            }
            report.pages += 1;
            // Conditional GET: the validators this page was last served with.
            let known = ctx.store.page_validators(&url).unwrap_or_else(|e| {
                tracing::warn!(url = %url, error = %e, "Cannot read page validators.");
                None
            });
            let request = FetchRequest {
                url: url.clone(),
                headers: known
                    .as_ref()
                    .map(Validators::request_headers)
                    .unwrap_or_default(),
                interval,
                ..FetchRequest::default()
            };
            let fetched = match ctx.fetcher.fetch_in(&request, &mut net).await {
                Ok(f) => f,
                Err(e) => {
                    tracing::warn!(url = %url, error = %e, "Fetch failed.");
                    report.error(e.to_string());
                    if matches!(e, FetchError::Deadline { .. }) {
                        break 'starts;
                    }
                    break;
                }
            };
            if fetched.not_modified() {
                // Unchanged since last run: nothing to extract or count again.
                report.not_modified += 1;
                match known.and_then(|k| k.next) {
                    Some(next) => {
                        url = next;
                        continue;
                    }
                    None => break,
                }
            }
            let page = Page {
                url: fetched.url,
                body: fetched.body,
            };
            let items = match source.extractor.extract(&page, page_number) {
                Ok(items) => items,
                Err(e) => {
                    tracing::warn!(url = %page.url, error = %e, "Page rejected.");
                    report.error(e.to_string());
                    break;
                }
            };
            report.items += items.items.len() as u64;
            let mut raws = Vec::with_capacity(items.items.len());
            for item in items.items {
                match item {
                    Ok(raw) => raws.push(raw),
                    Err(e) => {
                        report.rejected += 1;
                        report.error(format!("{}: {e}", page.url));
                    }
                }
            }
            if let Err(e) =
                store_raw(ctx, &source.id, source.country.as_ref(), raws, &mut report).await
            {
                tracing::error!(error = %e, "Store failed.");
                report.error(format!("store: {e}"));
                break;
            }
            let next = items.next.map(|n| source.rebase(&n, base));
            // Remembered only once the page is stored: a crash before means a full fetch.
            if let Some(mut validators) = Validators::from_headers(&fetched.headers) {
                validators.next = next.clone();
                if let Err(e) = ctx.store.set_page_validators(&url, &validators) {
                    tracing::warn!(url = %url, error = %e, "Cannot remember page validators.");
                }
            }
            match next {
                Some(next) => url = next,
                None => break,
            }
            if page_number + 1 == source.max_pages {
                tracing::info!(max_pages = source.max_pages, "Stopped at max_pages.");
            }
        }
    }
    add_fetch_stats(&mut report, &net.stats);
    if let Err(e) = ctx.store.flush() {
        report.error(format!("flush: {e}"));
    }
    report.duration_ms = started.elapsed().as_millis() as u64;
    if let Err(e) = ctx.store.record_run(&report) {
        tracing::error!(error = %e, "Could not record the run report.");
    }
    tracing::info!(summary = %report.summary(), "Run finished.");
    report
}

/// Normalizes raw postings and stores them as one batch, off the async threads.
async fn store_raw(
    ctx: &Context,
    source: &SourceId,
    country: Option<&GeoCode>,
    raws: Vec<RawPosting>,
    report: &mut RunReport,
) -> Result<(), StoreError> {
    let (ctx2, source2, country2) = (ctx.clone(), source.clone(), country.cloned());
    let joined = tokio::task::spawn_blocking(move || {
        let mut errors = Vec::new();
        let postings = normalize_all(
            &ctx2.normalizer,
            &source2,
            country2.as_ref(),
            &raws,
            Day::today(),
            &mut errors,
        );
        ctx2.store.ingest(&postings).map(|o| (o, errors))
    })
    .await
    .map_err(|e| StoreError::Engine(format!("ingest task failed: {e}")))?;
    let (outcome, errors) = joined?;
    report.rejected += errors.len() as u64;
    for e in errors {
        report.error(e);
    }
    add_outcome(report, outcome);
    Ok(())
}

fn add_fetch_stats(report: &mut RunReport, stats: &FetchStats) {
    report.requests += stats.requests;
    report.bytes += stats.bytes;
    for (status, n) in &stats.statuses {
        *report.statuses.entry(*status).or_insert(0) += n;
    }
    report.retries += stats.retries;
    report.robots_blocked += stats.robots_blocked;
    report.polite_wait_ms += stats.polite_wait.as_millis() as u64;
    report.retry_wait_ms += stats.retry_wait.as_millis() as u64;
}

fn add_outcome(report: &mut RunReport, outcome: IngestOutcome) {
    report.new += outcome.new;
    report.updated += outcome.updated;
    report.unchanged += outcome.unchanged;
}

/// Normalizes every raw posting; the ones that fail are described in `errors`.
pub fn normalize_all(
    normalizer: &Normalizer,
    source: &SourceId,
    country: Option<&GeoCode>,
    raws: &[RawPosting],
    seen: Day,
    errors: &mut Vec<String>,
) -> Vec<Posting> {
    raws.iter()
        .filter_map(
            |raw| match normalizer.normalize(raw, source, country, seen) {
                Ok(p) => Some(p),
                Err(e) => {
                    errors.push(e.to_string());
                    None
                }
            },
        )
        .collect()
}

/// Normalizes imported records on every core (order kept); failures are
/// described in `errors`.
fn normalize_records(
    normalizer: &Normalizer,
    default_source: &SourceId,
    records: &[import::ImportRecord],
    today: Day,
    errors: &mut Vec<String>,
) -> Vec<Posting> {
    let one = |record: &import::ImportRecord| -> Result<Posting, String> {
        let source = record.source.as_ref().unwrap_or(default_source);
        let seen = record.first_seen.unwrap_or(today);
        let mut p = normalizer
            .normalize(&record.raw, source, None, seen)
            .map_err(|e| e.to_string())?;
        if let Some(last) = record.last_seen {
            p.last_seen = last.max(p.first_seen);
        }
        Ok(p)
    };
    let threads = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .min(8);
    let chunk = records.len().div_ceil(threads).max(1);
    let results: Vec<Result<Posting, String>> = if threads == 1 || records.len() < 64 {
        records.iter().map(one).collect()
    } else {
        std::thread::scope(|scope| {
            let handles: Vec<_> = records
                .chunks(chunk)
                .map(|part| scope.spawn(move || part.iter().map(one).collect::<Vec<_>>()))
                .collect();
            handles
                .into_iter()
                .flat_map(|h| {
                    h.join()
                        .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
                })
                .collect()
        })
    };
    let mut postings = Vec::with_capacity(results.len());
    for r in results {
        match r {
            Ok(p) => postings.push(p),
            Err(e) => errors.push(e),
        }
    }
    postings
}

/// Imports JSON Lines postings (see [`import`]) as source `source`, in
/// batches of [`IMPORT_BATCH`]. Bad lines are reported with their number and
/// skipped; good lines still go in. `progress` is called with the number of
/// lines read so far after each batch.
pub fn import_lines<R: BufRead>(
    store: &dyn Store,
    normalizer: &Normalizer,
    reader: R,
    source: &SourceId,
    mut progress: impl FnMut(u64),
) -> Result<RunReport, StoreError> {
    let started = Instant::now();
    let mut report = RunReport {
        source: Some(source.clone()),
        started_at: now_rfc3339(),
        ..RunReport::default()
    };
    let today = Day::today();
    let mut batch: Vec<import::ImportRecord> = Vec::with_capacity(IMPORT_BATCH);
    let mut lines = 0u64;
    let flush_batch =
        |batch: &mut Vec<import::ImportRecord>, report: &mut RunReport| -> Result<(), StoreError> {
            let mut errors = Vec::new();
            let postings = normalize_records(normalizer, source, batch, today, &mut errors);
            report.rejected += errors.len() as u64;
            errors.into_iter().for_each(|e| report.error(e));
            add_outcome(report, store.ingest(&postings)?);
            batch.clear();
            Ok(())
        };
    for (index, line) in reader.lines().enumerate() {
        lines += 1;
        let line = match line {
            Ok(l) => l,
            Err(e) => {
                report.rejected += 1;
                report.error(format!("line {}: cannot read: {e}", index + 1));
                continue;
            }
        };
        match import::parse_record(&line, index + 1) {
            Ok(Some(raw)) => {
                report.items += 1;
                batch.push(raw);
            }
            Ok(None) => {}
            Err(e) => {
                report.rejected += 1;
                report.error(e.to_string());
            }
        }
        if batch.len() >= IMPORT_BATCH {
            flush_batch(&mut batch, &mut report)?;
            progress(lines);
        }
    }
    flush_batch(&mut batch, &mut report)?;
    progress(lines);
    store.flush()?;
    report.duration_ms = started.elapsed().as_millis() as u64;
    store.record_run(&report)?;
    Ok(report)
}
