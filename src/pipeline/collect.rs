//! Collecting a source: list pages with their pagination, detail pages,
//! conditional GET (a 304 re-sees the postings its page listed), each page's
//! postings normalized and stored together, a shutdown honoured between pages.

use std::collections::VecDeque;
use std::future::Future;
use std::ops::ControlFlow;
use std::sync::Arc;
use std::time::Instant;

use tracing::Instrument;

use super::{add_outcome, normalize_all, now_rfc3339, Context, RunOptions};
use crate::domain::{Day, GeoCode, PostingId, RunReport, SourceId, Validators};
use crate::extract::{ItemError, NextPage, Page, RawPosting, SourceDef};
use crate::fetch::auth::Auth;
use crate::fetch::{FetchError, FetchRequest, FetchRun, FetchStats, Fetcher};
use crate::normalize::{NormalizeError, Normalizer, Posting};
use crate::shutdown::Shutdown;
use crate::store::{Store, StoreError};

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
    // The token cache lives in the fetcher, across runs of the source.
    let auth = source
        .auth
        .as_ref()
        .map(|spec| fetcher.auth(&source.id, spec));
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
                    auth.as_deref(),
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
                    fetch_page(
                        fetcher,
                        source,
                        &detail,
                        auth.as_deref(),
                        token_url.as_deref(),
                        report,
                        net,
                    ),
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

/// Fetches one page with the source's authentication `auth`; failures are
/// recorded in the report (HTTP figures are counted by `net`). A 401 with
/// OAuth2 renews the token once.
async fn fetch_page(
    fetcher: &Fetcher,
    source: &SourceDef,
    request: &NextPage,
    auth: Option<&Auth>,
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
        if let Some(auth) = auth {
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
                    if let Some(auth) = auth {
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

/// Why a store call made off the async threads failed.
#[derive(Debug, thiserror::Error)]
enum StoreTaskError {
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The blocking task running it failed (panicked or was cancelled).
    #[error("{what} task failed: {error}")]
    Task {
        /// Which task.
        what: &'static str,
        /// How it failed.
        error: tokio::task::JoinError,
    },
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
        .map_err(|error| StoreTaskError::Task {
            what: "mark-seen",
            error,
        });
    match marked.and_then(|r| Ok(r?)) {
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
) -> Result<Vec<PostingId>, StoreTaskError> {
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
    .map_err(|error| StoreTaskError::Task {
        what: "ingest",
        error,
    })?;
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
