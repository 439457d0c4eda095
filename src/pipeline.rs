//! The one place stages are composed: a source definition in, a run report
//! out (fetch → extract → normalize → store), and the same normalize → store
//! path for imported files.

use std::collections::VecDeque;
use std::io::BufRead;
use std::ops::ControlFlow;
use std::sync::Arc;
use std::time::Instant;

use tracing::Instrument;

use crate::domain::{Day, GeoCode, SourceId};
use crate::extract::{import, ItemError, NextPage, Page, RawPosting, SourceDef};
use crate::fetch::{FetchRequest, Fetcher};
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
    /// Replaces the source's OAuth2 token URL (else it follows `base_url`).
    pub auth_url: Option<String>,
}

fn now_rfc3339() -> String {
    time::OffsetDateTime::now_utc()
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default()
}

/// Where the postings of each page go.
enum Sink<'a> {
    /// Normalized and stored, page by page.
    Store(&'a Context),
    /// Kept in memory up to `limit` (`sources try`).
    Collect {
        out: &'a mut Vec<RawPosting>,
        limit: usize,
    },
}

/// Collects one source now: every start URL, page after page up to
/// `max_pages`, detail pages up to `[follow] max`, each page's postings
/// normalized and stored together.
pub async fn run_source(ctx: &Context, source: &SourceDef, options: &RunOptions) -> RunReport {
    let started = Instant::now();
    let mut report = RunReport {
        source: Some(source.id.clone()),
        started_at: now_rfc3339(),
        ..RunReport::default()
    };
    let span = tracing::info_span!("run", source = %source.id);
    walk(
        &ctx.fetcher,
        source,
        options,
        &mut report,
        &mut Sink::Store(ctx),
    )
    .instrument(span.clone())
    .await;
    let _enter = span.enter();
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

/// Fetches and extracts up to `limit` postings of a source without storing
/// anything (`skilltrack sources try`); the report says what went wrong.
pub async fn try_source(
    fetcher: &Fetcher,
    source: &SourceDef,
    options: &RunOptions,
    limit: usize,
) -> (Vec<RawPosting>, RunReport) {
    let started = Instant::now();
    let mut report = RunReport {
        source: Some(source.id.clone()),
        started_at: now_rfc3339(),
        ..RunReport::default()
    };
    let mut out = Vec::new();
    let span = tracing::info_span!("try", source = %source.id);
    walk(
        fetcher,
        source,
        options,
        &mut report,
        &mut Sink::Collect {
            out: &mut out,
            limit,
        },
    )
    .instrument(span)
    .await;
    report.duration_ms = started.elapsed().as_millis() as u64;
    (out, report)
}

/// Walks a source: list pages with their pagination, and the detail pages
/// they lead to; hands each page's postings to `sink`.
async fn walk(
    fetcher: &Fetcher,
    source: &SourceDef,
    options: &RunOptions,
    report: &mut RunReport,
    sink: &mut Sink<'_>,
) {
    let base = options.base_url.as_deref();
    let token_url = source.token_url(base, options.auth_url.as_deref());
    let max_follow = source.extractor.max_follow();
    for start in source.start_urls(base) {
        let mut request = NextPage {
            url: start,
            headers: source.extractor.start_headers(),
        };
        let mut followed = 0u64;
        for page_number in 0..source.max_pages {
            let Some(page) =
                fetch_page(fetcher, source, &request, token_url.as_deref(), report).await
            else {
                break;
            };
            let items = match source.extractor.extract(&page, page_number) {
                Ok(items) => items,
                Err(e) => {
                    tracing::warn!(url = %page.url, error = %e, "Page rejected.");
                    report.error(e.to_string());
                    break;
                }
            };
            let mut queue: VecDeque<String> = items.follow.into();
            if deliver(source, &page.url, items.items, report, sink)
                .await
                .is_break()
            {
                return;
            }
            while let Some(link) = queue.pop_front() {
                if followed >= max_follow {
                    tracing::info!(
                        max = max_follow,
                        "Stopped following detail pages at `follow.max`."
                    );
                    break;
                }
                followed += 1;
                let detail = NextPage::get(source.rebase(&link, base));
                let Some(page) =
                    fetch_page(fetcher, source, &detail, token_url.as_deref(), report).await
                else {
                    continue;
                };
                match source.extractor.extract_detail(&page) {
                    Ok(found) => {
                        queue.extend(found.follow);
                        if deliver(source, &page.url, found.items, report, sink)
                            .await
                            .is_break()
                        {
                            return;
                        }
                    }
                    Err(e) => {
                        tracing::warn!(url = %page.url, error = %e, "Detail page rejected.");
                        report.error(e.to_string());
                    }
                }
            }
            match items.next {
                Some(next) => {
                    request = NextPage {
                        url: source.rebase(&next.url, base),
                        headers: next.headers,
                    }
                }
                None => break,
            }
            if page_number + 1 == source.max_pages {
                tracing::info!(max_pages = source.max_pages, "Stopped at max_pages.");
            }
        }
    }
}

/// Fetches one page with the source's authentication; failures are recorded
/// in the report. A 401 with OAuth2 renews the token once.
async fn fetch_page(
    fetcher: &Fetcher,
    source: &SourceDef,
    request: &NextPage,
    token_url: Option<&str>,
    report: &mut RunReport,
) -> Option<Page> {
    let interval = source.rate.map(|r| r.interval());
    let mut attempt = 0;
    loop {
        attempt += 1;
        report.pages += 1;
        let mut headers = Vec::new();
        if let Some(auth) = &source.auth {
            match auth
                .headers(fetcher, token_url.unwrap_or_default(), interval)
                .await
            {
                Ok(h) => headers = h,
                Err(e) => {
                    tracing::warn!(url = %request.url, error = %e, "Authentication failed.");
                    report.error(format!("{}: {e}", request.url));
                    return None;
                }
            }
        }
        headers.extend(request.headers.iter().cloned());
        let fetched = fetcher
            .fetch(&FetchRequest {
                url: request.url.clone(),
                headers,
                form: None,
                interval,
            })
            .await;
        match fetched {
            Ok(f) => {
                *report.statuses.entry(f.status).or_insert(0) += 1;
                report.bytes += f.bytes as u64;
                return Some(Page {
                    url: f.url,
                    body: f.body,
                    status: f.status,
                    headers: f.headers,
                });
            }
            Err(e) => {
                if let Some(status) = e.status() {
                    *report.statuses.entry(status).or_insert(0) += 1;
                }
                if e.status() == Some(401) && attempt == 1 && token_url.is_some() {
                    if let Some(auth) = &source.auth {
                        tracing::info!("HTTP 401: renewing the token.");
                        auth.invalidate().await;
                        continue;
                    }
                }
                tracing::warn!(url = %request.url, error = %e, "Fetch failed.");
                report.error(e.to_string());
                return None;
            }
        }
    }
}

/// Hands a page's postings to the sink; rejected items go to the report.
async fn deliver(
    source: &SourceDef,
    url: &str,
    items: Vec<Result<RawPosting, ItemError>>,
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
            match store_raw(ctx, &source.id, source.country.as_ref(), raws, report).await {
                Ok(()) => ControlFlow::Continue(()),
                Err(e) => {
                    tracing::error!(error = %e, "Store failed.");
                    report.error(format!("store: {e}"));
                    ControlFlow::Break(())
                }
            }
        }
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
