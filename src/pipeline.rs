//! The one place stages are composed: a source definition in, a run report
//! out (fetch → extract → normalize → store), and the same normalize → store
//! path for imported files.

use std::collections::{BTreeMap, VecDeque};
use std::future::Future;
use std::io::BufRead;
use std::ops::ControlFlow;
use std::sync::{mpsc, Arc, Mutex};
use std::time::Instant;

use tracing::Instrument;

use crate::domain::{Day, GeoCode, PostingId, SourceId};
use crate::extract::{import, ItemError, NextPage, Page, RawPosting, SourceDef};
use crate::fetch::conditional::Validators;
use crate::fetch::{FetchError, FetchRequest, FetchRun, FetchStats, Fetcher};
use crate::lines::{BadLine, LineReader, ReadError, DEFAULT_MAX_LINE_BYTES};
use crate::normalize::{NormalizeError, Normalizer, Posting};
use crate::report::RunReport;
use crate::shutdown::Shutdown;
use crate::store::{IngestOutcome, Store, StoreError};

/// Postings written per batch by `import`.
pub const IMPORT_BATCH: usize = 500;

/// Bytes of input lines after which an import batch is closed even if it
/// holds fewer than [`IMPORT_BATCH`] postings: long lines do not pile up
/// in memory.
pub const IMPORT_BATCH_BYTES: usize = 16 << 20;

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
    /// The day the run's postings are seen (default: today, UTC).
    pub seen_on: Option<Day>,
    /// Stops the run when fired: a fetch in flight is abandoned, postings
    /// already fetched are stored, no further page is requested, and the
    /// report says `interrupted`.
    pub shutdown: Option<Shutdown>,
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
/// normalized and stored together. Stops between pages when
/// `options.shutdown` fires.
pub async fn run_source(ctx: &Context, source: &SourceDef, options: &RunOptions) -> RunReport {
    let started = Instant::now();
    let mut report = RunReport {
        source: Some(source.id.clone()),
        started_at: now_rfc3339(),
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
) -> (
    Vec<(RawPosting, Result<Posting, NormalizeError>)>,
    RunReport,
) {
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
        .map(|raw| {
            let p = normalizer.normalize(&raw, &source.id, source.country.as_ref(), today);
            (raw, p)
        })
        .collect();
    (postings, report)
}

/// Walks a source: list pages with their pagination, and the detail pages
/// they lead to; hands each page's postings to `sink`. When postings are
/// stored, list pages are asked conditionally (ETag / Last-Modified) and a
/// 304 is neither extracted nor counted again.
async fn walk(
    fetcher: &Fetcher,
    source: &SourceDef,
    options: &RunOptions,
    report: &mut RunReport,
    net: &mut FetchRun,
    sink: &mut Sink<'_>,
) {
    let store = match sink {
        Sink::Store(ctx) => Some(ctx.store.clone()),
        Sink::Collect { .. } => None,
    };
    let base = options.base_url.as_deref();
    let seen = options.seen_on.unwrap_or_else(Day::today);
    let token_url = source.token_url(base, options.auth_url.as_deref());
    let max_follow = source.extractor.max_follow();
    let stop = options.shutdown.as_ref();
    'starts: for start in source.start_urls(base) {
        let mut request = NextPage {
            url: start,
            headers: source.extractor.start_headers(),
        };
        let mut followed = 0u64;
        for page_number in 0..source.max_pages {
            if net.expired() {
                tracing::warn!(url = %request.url, "Run deadline reached.");
                report.error(format!(
                    "{}: run deadline reached, remaining pages skipped",
                    request.url
                ));
                break 'starts;
            }
            // Conditional GET: the validators this page was last served with.
            let known = match &store {
                Some(store) if request.headers.is_empty() => store.page_validators(&request.url).unwrap_or_else(|e| {
                    tracing::warn!(url = %request.url, error = %e, "Cannot read page validators.");
                    None
                }),
                _ => None,
            };
            let conditional = NextPage {
                url: request.url.clone(),
                headers: known
                    .as_ref()
                    .map(Validators::request_headers)
                    .unwrap_or_default(),
            };
            let fetched = unless_stopped(
                stop,
                fetch_page(
                    fetcher,
                    source,
                    &conditional,
                    token_url.as_deref(),
                    report,
                    net,
                ),
            )
            .await;
            let page = match fetched {
                Some(Fetch::Page(page)) => page,
                Some(Fetch::Failed) => break,
                Some(Fetch::Stop) => break 'starts,
                None => {
                    report.interrupted = true;
                    break 'starts;
                }
            };
            if page.status == 304 {
                // Unchanged since the last run: nothing to extract or count
                // again, but the postings it lists are still there.
                report.not_modified += 1;
                if let (Some(store), Some(known)) = (&store, &known) {
                    mark_seen(store, &known.postings, seen, report).await;
                }
                match known.and_then(|k| k.next) {
                    Some(next) => {
                        request = NextPage::get(next);
                        continue;
                    }
                    None => break,
                }
            }
            let items = match source.extractor.extract(&page, page_number) {
                Ok(items) => items,
                Err(e) => {
                    tracing::warn!(url = %page.url, error = %e, "Page rejected.");
                    report.error(e.to_string());
                    break;
                }
            };
            let mut queue: VecDeque<String> = items.follow.into();
            // The postings this page leads to, remembered with its validators.
            let mut listed: Vec<PostingId> = Vec::new();
            if deliver(
                source,
                &page.url,
                items.items,
                seen,
                &mut listed,
                report,
                sink,
            )
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
                let fetched = unless_stopped(
                    stop,
                    fetch_page(fetcher, source, &detail, token_url.as_deref(), report, net),
                )
                .await;
                let page = match fetched {
                    Some(Fetch::Page(page)) => page,
                    Some(Fetch::Failed) => continue,
                    Some(Fetch::Stop) => break 'starts,
                    None => {
                        // Remember the list page only once all it leads to is stored.
                        report.interrupted = true;
                        break 'starts;
                    }
                };
                match source.extractor.extract_detail(&page) {
                    Ok(found) => {
                        queue.extend(found.follow);
                        if deliver(
                            source,
                            &page.url,
                            found.items,
                            seen,
                            &mut listed,
                            report,
                            sink,
                        )
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
            let next = items.next.map(|next| NextPage {
                url: source.rebase(&next.url, base),
                headers: next.headers,
            });
            // Remembered only once the page is stored: a crash before means a full fetch.
            if let (Some(store), Some(mut validators)) =
                (&store, Validators::from_headers(&page.headers))
            {
                validators.next = next
                    .as_ref()
                    .filter(|n| n.headers.is_empty())
                    .map(|n| n.url.clone());
                validators.postings = listed;
                if let Err(e) = store.set_page_validators(&request.url, &validators) {
                    tracing::warn!(url = %request.url, error = %e, "Cannot remember page validators.");
                }
            }
            match next {
                Some(next) => request = next,
                None => break,
            }
            if page_number + 1 == source.max_pages {
                tracing::info!(max_pages = source.max_pages, "Stopped at max_pages.");
            }
        }
    }
}

/// Runs `work` unless `stop` fires first (or has fired): `None` when stopped.
async fn unless_stopped<T>(stop: Option<&Shutdown>, work: impl Future<Output = T>) -> Option<T> {
    match stop {
        Some(stop) => tokio::select! {
            biased;
            _ = stop.wait() => None,
            done = work => Some(done),
        },
        None => Some(work.await),
    }
}

/// The outcome of fetching one page.
enum Fetch {
    /// The page (a 304 has an empty body).
    Page(Page),
    /// This page failed (recorded in the report); the walk goes on elsewhere.
    Failed,
    /// The run must stop (its deadline passed).
    Stop,
}

/// Fetches one page with the source's authentication; failures are recorded
/// in the report (HTTP figures are counted by `net`). A 401 with OAuth2
/// renews the token once.
async fn fetch_page(
    fetcher: &Fetcher,
    source: &SourceDef,
    request: &NextPage,
    token_url: Option<&str>,
    report: &mut RunReport,
    net: &mut FetchRun,
) -> Fetch {
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
                    return Fetch::Failed;
                }
            }
        }
        headers.extend(request.headers.iter().cloned());
        let fetched = fetcher
            .fetch_in(
                &FetchRequest {
                    url: request.url.clone(),
                    headers,
                    form: None,
                    interval,
                },
                net,
            )
            .await;
        match fetched {
            Ok(f) => {
                return Fetch::Page(Page {
                    url: f.url,
                    body: f.body,
                    status: f.status,
                    headers: f.headers,
                })
            }
            Err(e) => {
                if e.status() == Some(401) && attempt == 1 && token_url.is_some() {
                    if let Some(auth) = &source.auth {
                        tracing::info!("HTTP 401: renewing the token.");
                        auth.invalidate().await;
                        continue;
                    }
                }
                tracing::warn!(url = %request.url, error = %e, "Fetch failed.");
                report.error(e.to_string());
                return if matches!(e, FetchError::Deadline { .. }) {
                    Fetch::Stop
                } else {
                    Fetch::Failed
                };
            }
        }
    }
}

/// Marks the postings a page answered 304 listed as seen on `seen`; they
/// count as unchanged postings of the run.
async fn mark_seen(store: &Arc<dyn Store>, ids: &[PostingId], seen: Day, report: &mut RunReport) {
    if ids.is_empty() {
        return;
    }
    let (store, ids) = (store.clone(), ids.to_vec());
    let marked = tokio::task::spawn_blocking(move || store.mark_seen(&ids, seen))
        .await
        .map_err(|e| StoreError::Engine(format!("mark-seen task failed: {e}")));
    match marked.and_then(|r| r) {
        Ok(n) => report.unchanged += n,
        Err(e) => {
            tracing::error!(error = %e, "Cannot mark the postings of an unchanged page as seen.");
            report.error(format!("store: {e}"));
        }
    }
}

/// Hands a page's postings to the sink, seen on `seen`; the ids of those
/// stored are added to `stored`, rejected items go to the report.
async fn deliver(
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

/// Normalizes raw postings seen on `seen` and stores them as one batch with
/// their counts, off the async threads. Returns the ids stored.
async fn store_raw(
    ctx: &Context,
    source: &SourceId,
    country: Option<&GeoCode>,
    raws: Vec<RawPosting>,
    seen: Day,
    report: &mut RunReport,
) -> Result<Vec<PostingId>, StoreError> {
    let (ctx2, source2, country2) = (ctx.clone(), source.clone(), country.cloned());
    let joined = tokio::task::spawn_blocking(move || {
        let mut errors = Vec::new();
        let postings = normalize_all(
            &ctx2.normalizer,
            &source2,
            country2.as_ref(),
            &raws,
            seen,
            &mut errors,
        );
        // The page's counts are written (and visible) before the next page.
        let outcome = ctx2.store.ingest(&postings)?;
        ctx2.store.flush()?;
        let ids: Vec<PostingId> = postings.iter().map(|p| p.id).collect();
        Ok::<_, StoreError>((outcome, errors, ids))
    })
    .await
    .map_err(|e| StoreError::Engine(format!("ingest task failed: {e}")))?;
    let (outcome, errors, ids) = joined?;
    report.rejected += errors.len() as u64;
    for e in errors {
        report.error(e);
    }
    add_outcome(report, outcome);
    Ok(ids)
}

fn add_fetch_stats(report: &mut RunReport, stats: &FetchStats) {
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

fn add_outcome(report: &mut RunReport, outcome: IngestOutcome) {
    report.new += outcome.new;
    report.updated += outcome.updated;
    report.unchanged += outcome.unchanged;
}

/// Normalizes the raw postings of one page of `source`, seen on `seen`; the
/// ones that fail are described in `errors`.
fn normalize_all(
    normalizer: &Normalizer,
    source: &SourceId,
    country: Option<&GeoCode>,
    raws: &[RawPosting],
    seen: Day,
    errors: &mut Vec<String>,
) -> Vec<Posting> {
    let items = raws.iter().map(|raw| (raw, source, country, seen, None));
    normalize_each(normalizer, items, errors)
}

/// Normalizes imported records (each may name its source and seen days);
/// failures are described in `errors`.
fn normalize_records(
    normalizer: &Normalizer,
    default_source: &SourceId,
    records: &[import::ImportRecord],
    today: Day,
    errors: &mut Vec<String>,
) -> Vec<Posting> {
    let items = records.iter().map(|r| {
        let source = r.source.as_ref().unwrap_or(default_source);
        let first_seen = r.first_seen.unwrap_or(today);
        (&r.raw, source, r.country.as_ref(), first_seen, r.last_seen)
    });
    normalize_each(normalizer, items, errors)
}

/// Normalizes (raw posting, source, default country, first seen, last seen) items.
fn normalize_each<'a>(
    normalizer: &Normalizer,
    items: impl Iterator<
        Item = (
            &'a RawPosting,
            &'a SourceId,
            Option<&'a GeoCode>,
            Day,
            Option<Day>,
        ),
    >,
    errors: &mut Vec<String>,
) -> Vec<Posting> {
    let mut postings = Vec::with_capacity(items.size_hint().0);
    for (raw, source, country, first_seen, last_seen) in items {
        match normalizer.normalize(raw, source, country, first_seen) {
            Ok(mut p) => {
                if let Some(last) = last_seen {
                    p.last_seen = last.max(p.first_seen);
                }
                postings.push(p);
            }
            Err(e) => errors.push(e.to_string()),
        }
    }
    postings
}

/// `skilltrack reindex`: skills and places of every stored posting found
/// again with `normalizer`'s data, then every count recomputed. Returns the
/// number of postings.
pub fn reindex(
    store: &dyn Store,
    normalizer: &Normalizer,
    progress: &mut dyn FnMut(u64),
) -> Result<u64, StoreError> {
    store.rebuild(Some(&|p| normalizer.renormalize(&p)), progress)
}

/// `skilltrack extract`: reads JSON Lines postings, writes one extraction
/// (skills, implied skills, places, remote) per posting to `out`, stores
/// nothing. A bad line (not a posting, not UTF-8, longer than
/// `max_line_bytes`) goes to `on_bad` with its number and is skipped; a read
/// error stops at once. Returns the number of bad lines.
pub fn extract_lines<R: BufRead, W: std::io::Write>(
    normalizer: &Normalizer,
    reader: R,
    max_line_bytes: usize,
    mut out: W,
    mut on_bad: impl FnMut(import::LineError),
) -> Result<u64, ExtractError> {
    let mut bad = 0;
    for line in LineReader::new(reader, max_line_bytes) {
        let (number, text) = line?;
        let parsed = text
            .map_err(|e| line_error(number, &e))
            .and_then(|text| import::parse_line(&text, number as usize));
        match parsed {
            Ok(Some(raw)) => {
                serde_json::to_writer(&mut out, &normalizer.extract(&raw))
                    .map_err(std::io::Error::from)
                    .and_then(|()| out.write_all(b"\n"))
                    .map_err(ExtractError::Write)?;
            }
            Ok(None) => {}
            Err(e) => {
                bad += 1;
                on_bad(e);
            }
        }
    }
    out.flush().map_err(ExtractError::Write)?;
    Ok(bad)
}

/// Why `skilltrack extract` stopped.
#[derive(Debug, thiserror::Error)]
pub enum ExtractError {
    /// The input cannot be read further.
    #[error(transparent)]
    Read(#[from] ReadError),
    /// The output cannot be written.
    #[error("cannot write the output")]
    Write(#[source] std::io::Error),
}

/// Why an import stopped.
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    /// The input cannot be read further. The postings of the lines before
    /// were stored (`report` says what they did); importing the repaired
    /// input again does not count them twice.
    #[error("import stopped after {} postings were stored", report.new + report.updated + report.unchanged)]
    Read {
        /// Where and why reading failed.
        #[source]
        error: ReadError,
        /// What the lines before did.
        report: Box<RunReport>,
    },
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// How `import` reads its input.
#[derive(Debug, Clone, Copy)]
pub struct ImportOptions {
    /// Longest line accepted, in bytes (longer ones are rejected by number).
    pub max_line_bytes: usize,
}

impl Default for ImportOptions {
    fn default() -> ImportOptions {
        ImportOptions {
            max_line_bytes: DEFAULT_MAX_LINE_BYTES,
        }
    }
}

/// A bad line as an import line error.
fn line_error(number: u64, bad: &BadLine) -> import::LineError {
    import::LineError {
        line: number as usize,
        why: bad.to_string(),
    }
}

/// A batch of parsed lines on its way to the store.
struct ImportBatch {
    /// Position of the batch in the file (batches are stored in order).
    seq: u64,
    /// Lines read up to the end of this batch.
    lines: u64,
    /// Parsed records.
    records: Vec<import::ImportRecord>,
    /// Number of records parsed.
    parsed: u64,
    /// Postings, once normalized.
    postings: Vec<Posting>,
    /// Lines and postings rejected, with why.
    errors: Vec<String>,
}

/// Imports JSON Lines postings (see [`import`]) as source `source`, in
/// batches of [`IMPORT_BATCH`], with the default [`ImportOptions`]. Bad lines
/// are reported with their number and skipped; good lines still go in.
/// `progress` is called with the number of lines read so far after each
/// batch. A read error stops the import (see [`ImportError::Read`]).
pub fn import_lines<R: BufRead + Send>(
    store: &dyn Store,
    normalizer: &Normalizer,
    reader: R,
    source: &SourceId,
    progress: impl FnMut(u64),
) -> Result<RunReport, ImportError> {
    import_with(
        store,
        normalizer,
        reader,
        source,
        &ImportOptions::default(),
        progress,
    )
}

/// [`import_lines`] with explicit options.
pub fn import_with<R: BufRead + Send>(
    store: &dyn Store,
    normalizer: &Normalizer,
    reader: R,
    source: &SourceId,
    options: &ImportOptions,
    mut progress: impl FnMut(u64),
) -> Result<RunReport, ImportError> {
    let started = Instant::now();
    let mut report = RunReport {
        source: Some(source.clone()),
        started_at: now_rfc3339(),
        ..RunReport::default()
    };
    let today = Day::today();
    let workers = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .clamp(1, 4);
    // Reading and parsing → normalizing on every core → storing in file
    // order on this thread; bounded channels keep memory flat.
    let max_line_bytes = options.max_line_bytes;
    let read = std::thread::scope(|scope| -> Result<Result<(), ReadError>, StoreError> {
        let (parsed_tx, parsed_rx) = mpsc::sync_channel::<ImportBatch>(workers);
        let parsed_rx = Arc::new(Mutex::new(parsed_rx));
        let (ready_tx, ready_rx) = mpsc::sync_channel::<ImportBatch>(workers);
        let reading = scope.spawn(move || read_batches(reader, max_line_bytes, parsed_tx));
        for _ in 0..workers {
            let (parsed_rx, ready_tx) = (parsed_rx.clone(), ready_tx.clone());
            scope.spawn(move || loop {
                let next = parsed_rx.lock().map(|rx| rx.recv());
                let Ok(Ok(mut batch)) = next else { return };
                batch.parsed = batch.records.len() as u64;
                batch.postings =
                    normalize_records(normalizer, source, &batch.records, today, &mut batch.errors);
                batch.records = Vec::new();
                if ready_tx.send(batch).is_err() {
                    return;
                }
            });
        }
        drop(ready_tx);
        let mut waiting: BTreeMap<u64, ImportBatch> = BTreeMap::new();
        let mut next = 0;
        for batch in ready_rx {
            waiting.insert(batch.seq, batch);
            while let Some(batch) = waiting.remove(&next) {
                report.items += batch.parsed;
                report.rejected += batch.errors.len() as u64;
                batch.errors.into_iter().for_each(|e| report.error(e));
                add_outcome(&mut report, store.ingest(&batch.postings)?);
                progress(batch.lines);
                next += 1;
            }
        }
        // Every batch read before a read error is stored by now.
        Ok(reading
            .join()
            .unwrap_or_else(|panic| std::panic::resume_unwind(panic)))
    })?;
    store.flush()?;
    report.duration_ms = started.elapsed().as_millis() as u64;
    if let Err(error) = &read {
        report.error(format!("{error}: {}", error.source));
    }
    store.record_run(&report)?;
    match read {
        Ok(()) => Ok(report),
        Err(error) => Err(ImportError::Read {
            error,
            report: Box::new(report),
        }),
    }
}

/// Reads and parses lines into batches of [`IMPORT_BATCH`] lines (or
/// [`IMPORT_BATCH_BYTES`] of them) until the input ends, a read error
/// (returned, after the batch before it is sent), or the receiver is gone.
fn read_batches<R: BufRead>(
    reader: R,
    max_line_bytes: usize,
    tx: mpsc::SyncSender<ImportBatch>,
) -> Result<(), ReadError> {
    let new_batch = |seq| ImportBatch {
        seq,
        lines: 0,
        records: Vec::with_capacity(IMPORT_BATCH),
        parsed: 0,
        postings: Vec::new(),
        errors: Vec::new(),
    };
    let mut seq = 0;
    let mut batch = new_batch(seq);
    let mut bytes = 0usize;
    let mut lines = LineReader::new(reader, max_line_bytes);
    let mut failed = None;
    for line in &mut lines {
        let (number, text) = match line {
            Ok(line) => line,
            Err(e) => {
                failed = Some(e);
                break;
            }
        };
        let parsed = text.map_err(|e| line_error(number, &e)).and_then(|text| {
            bytes += text.len();
            import::parse_record(&text, number as usize)
        });
        match parsed {
            Ok(Some(record)) => batch.records.push(record),
            Ok(None) => {}
            Err(e) => batch.errors.push(e.to_string()),
        }
        if batch.records.len() >= IMPORT_BATCH || bytes >= IMPORT_BATCH_BYTES {
            batch.lines = number;
            seq += 1;
            bytes = 0;
            if tx
                .send(std::mem::replace(&mut batch, new_batch(seq)))
                .is_err()
            {
                return Ok(());
            }
        }
    }
    batch.lines = lines.lines_read();
    let _ = tx.send(batch);
    failed.map_or(Ok(()), Err)
}
