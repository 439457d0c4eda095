//! The walk over a source, step by step: for each start URL, list pages
//! with their pagination. A list page is asked conditionally (the
//! validators it was last served with), and then either
//! - answered 304: its postings are seen again, the walk goes on with the
//!   page that followed it last time; or
//! - extracted: its postings delivered, the detail pages it leads to
//!   fetched and delivered (up to `[follow] max` per start URL), its
//!   validators remembered with the postings it led to, and the next page
//!   requested.
//!
//! A failed page ends its start URL (a failed detail page is skipped); a
//! shutdown, the run's deadline, or a sink that wants no more ends the walk.

use std::collections::VecDeque;
use std::ops::ControlFlow::{self, Break, Continue};
use std::sync::Arc;
use std::time::Duration;

use super::collect::{deliver, mark_seen, Sink};
use super::RunOptions;
use crate::domain::error_chain;
use crate::domain::{Day, PostingId, RunReport, Validators};
use crate::extract::{ItemError, NextPage, Page, RawPosting, SourceDef};
use crate::fetch::auth::Auth;
use crate::fetch::{FetchError, FetchRequest, FetchRun, Fetcher};
use crate::shutdown::Shutdown;
use crate::store::Store;

/// Walks a source: list pages with their pagination, and the detail pages
/// they lead to; hands each page's postings to `sink`. When postings are
/// stored, list pages are asked conditionally (ETag / Last-Modified) and a
/// 304 is neither extracted nor counted again.
pub(super) async fn walk(
    fetcher: &Fetcher,
    source: &SourceDef,
    options: &RunOptions,
    report: &mut RunReport,
    net: &mut FetchRun,
    sink: &mut Sink<'_>,
) {
    let base = options.base_url.as_deref();
    let mut walk = Walk {
        fetcher,
        source,
        base,
        seen: options.seen_on.unwrap_or_else(Day::today),
        token_url: source.token_url(base, options.auth_url.as_deref()),
        // The token cache lives in the fetcher, across runs of the source.
        auth: source
            .auth
            .as_ref()
            .map(|spec| fetcher.auth(&source.id, spec)),
        stop: options.shutdown.as_ref(),
        store: sink.store(),
        report,
        net,
        sink,
    };
    for start in source.start_urls(base) {
        if walk.start(start).await.is_break() {
            return;
        }
    }
}

/// One walk: the source, the run's options, and where its findings go.
struct Walk<'a, 's> {
    fetcher: &'a Fetcher,
    source: &'a SourceDef,
    /// Replaces the source's `base_url`.
    base: Option<&'a str>,
    /// The day the postings are seen.
    seen: Day,
    token_url: Option<String>,
    auth: Option<Arc<Auth>>,
    stop: Option<&'a Shutdown>,
    /// Where validators are kept (only when postings are stored).
    store: Option<Arc<dyn Store>>,
    report: &'a mut RunReport,
    net: &'a mut FetchRun,
    sink: &'a mut Sink<'s>,
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

impl Walk<'_, '_> {
    /// The list pages from `start`, up to `max_pages`; `Break` when the
    /// whole walk must end.
    async fn start(&mut self, start: String) -> ControlFlow<()> {
        let mut request = NextPage {
            url: start,
            headers: self.source.extractor.start_headers(),
            body: self.source.start_body(),
        };
        let mut followed = 0u64;
        for page_number in 0..self.source.max_pages {
            if self.net.expired() {
                tracing::warn!(url = %request.url, "Run deadline reached.");
                self.report.error(format!(
                    "{}: run deadline reached, remaining pages skipped",
                    request.url
                ));
                return Break(());
            }
            match self.list_page(&request, page_number, &mut followed).await? {
                Some(next) => request = next,
                None => return Continue(()),
            }
            if page_number + 1 == self.source.max_pages {
                tracing::info!(max_pages = self.source.max_pages, "Stopped at max_pages.");
            }
        }
        Continue(())
    }

    /// One list page and what it leads to; the page after it, if any.
    /// `followed` counts the detail pages fetched from this start URL.
    async fn list_page(
        &mut self,
        request: &NextPage,
        page_number: u32,
        followed: &mut u64,
    ) -> ControlFlow<(), Option<NextPage>> {
        let known = self.known_validators(request);
        let conditional = NextPage {
            url: request.url.clone(),
            headers: known
                .as_ref()
                .map(Validators::request_headers)
                .unwrap_or_default(),
            body: request.body.clone(),
        };
        let Some(page) = self.fetch(&conditional).await? else {
            return Continue(None);
        };
        if page.status == 304 {
            return Continue(self.unchanged(known).await);
        }
        let items = match self.source.extractor.extract(&page, page_number) {
            Ok(items) => items,
            Err(e) => {
                tracing::warn!(url = %page.url, error = %e, "Page rejected.");
                self.report.error(e.to_string());
                return Continue(None);
            }
        };
        // The postings this page leads to, remembered with its validators.
        let mut listed = Vec::new();
        self.deliver(&page.url, items.items, &mut listed).await?;
        self.follow_details(items.follow, followed, &mut listed)
            .await?;
        let next = items.next.map(|next| NextPage {
            url: self.source.rebase(&next.url, self.base),
            headers: next.headers,
            body: next.body,
        });
        self.remember(request, &page, next.as_ref(), listed);
        Continue(next)
    }

    /// Conditional GET: the validators `request`'s page was last served
    /// with (none for a request with headers or a body of its own, or when
    /// nothing is stored).
    fn known_validators(&self, request: &NextPage) -> Option<Validators> {
        let store = self.store.as_ref().filter(|_| request.is_plain())?;
        store.page_validators(&request.url).unwrap_or_else(|e| {
            tracing::warn!(url = %request.url, error = %error_chain(&e), "Cannot read page validators.");
            None
        })
    }

    /// A list page answered 304, unchanged since the last run: nothing to
    /// extract or count again, but the postings it lists are still there.
    /// The page after it is the one remembered with its validators.
    async fn unchanged(&mut self, known: Option<Validators>) -> Option<NextPage> {
        self.report.not_modified += 1;
        if let (Some(store), Some(known)) = (&self.store, &known) {
            mark_seen(store, &known.postings, self.seen, self.report).await;
        }
        known.and_then(|k| k.next).map(NextPage::get)
    }

    /// Fetches the detail pages `links` lead to (and those they lead to),
    /// while fewer than `[follow] max` were `followed` from this start URL,
    /// and delivers their postings.
    async fn follow_details(
        &mut self,
        links: Vec<String>,
        followed: &mut u64,
        listed: &mut Vec<PostingId>,
    ) -> ControlFlow<()> {
        let max_follow = self.source.extractor.max_follow();
        let mut queue: VecDeque<String> = links.into();
        while let Some(link) = queue.pop_front() {
            if *followed >= max_follow {
                tracing::info!(
                    max = max_follow,
                    "Stopped following detail pages at `follow.max`."
                );
                break;
            }
            *followed += 1;
            let detail = NextPage::get(self.source.rebase(&link, self.base));
            // A stop here leaves the list page unremembered: next time it
            // is fetched whole, and all it leads to stored.
            let Some(page) = self.fetch(&detail).await? else {
                continue;
            };
            match self.source.extractor.extract_detail(&page) {
                Ok(found) => {
                    queue.extend(found.follow);
                    self.deliver(&page.url, found.items, listed).await?;
                }
                Err(e) => {
                    tracing::warn!(url = %page.url, error = %e, "Detail page rejected.");
                    self.report.error(e.to_string());
                }
            }
        }
        Continue(())
    }

    /// Hands a page's postings to the sink; `Break` when it wants no more.
    async fn deliver(
        &mut self,
        url: &str,
        items: Vec<Result<RawPosting, ItemError>>,
        listed: &mut Vec<PostingId>,
    ) -> ControlFlow<()> {
        deliver(
            self.source,
            url,
            items,
            self.seen,
            listed,
            self.report,
            self.sink,
        )
        .await
    }

    /// Remembers the validators `page` (asked by `request`) was served with,
    /// the postings it `listed` and, when plain, the `next` page's URL.
    /// Called only once the page is stored: a crash before means a full fetch.
    fn remember(
        &self,
        request: &NextPage,
        page: &Page,
        next: Option<&NextPage>,
        listed: Vec<PostingId>,
    ) {
        // A POSTed page is not a URL's page: its validators are not kept.
        let Some(store) = self.store.as_ref().filter(|_| request.body.is_none()) else {
            return;
        };
        let url = request.url.as_str();
        let Some(mut validators) = Validators::from_headers(&page.headers) else {
            return;
        };
        validators.next = next.filter(|n| n.is_plain()).map(|n| n.url.clone());
        validators.postings = listed;
        if let Err(e) = store.set_page_validators(url, &validators) {
            tracing::warn!(url = %url, error = %error_chain(&e), "Cannot remember page validators.");
        }
    }

    /// Fetches one page unless the run is stopped first: `Continue(None)`
    /// when this page failed, `Break` when the walk must end (a shutdown,
    /// which marks the report interrupted, or the run's deadline).
    async fn fetch(&mut self, request: &NextPage) -> ControlFlow<(), Option<Page>> {
        let stop = self.stop;
        let fetched = match stop {
            Some(stop) => tokio::select! {
                biased;
                _ = stop.wait() => None,
                done = self.fetch_page(request) => Some(done),
            },
            None => Some(self.fetch_page(request).await),
        };
        match fetched {
            Some(Fetch::Page(page)) => Continue(Some(page)),
            Some(Fetch::Failed) => Continue(None),
            Some(Fetch::Stop) => Break(()),
            None => {
                self.report.interrupted = true;
                Break(())
            }
        }
    }

    /// Fetches one page with the source's authentication; failures are
    /// recorded in the report (HTTP figures are counted by `net`). A 401
    /// with OAuth2 renews the token once.
    async fn fetch_page(&mut self, request: &NextPage) -> Fetch {
        let interval = self.source.rate.map(|r| r.interval());
        let mut renewed = false;
        loop {
            self.report.pages += 1;
            let Some(mut headers) = self.auth_headers(request, interval).await else {
                return Fetch::Failed;
            };
            headers.extend(request.headers.iter().cloned());
            let asked = FetchRequest {
                url: request.url.clone(),
                headers,
                form: None,
                json: request.body.clone(),
                interval,
            };
            let e = match self.fetcher.fetch_in(&asked, self.net).await {
                Ok(f) => {
                    return Fetch::Page(Page {
                        url: f.url,
                        body: f.body,
                        status: f.status,
                        headers: f.headers,
                    })
                }
                Err(e) => e,
            };
            if !renewed && e.status() == Some(401) && self.token_url.is_some() {
                if let Some(auth) = &self.auth {
                    tracing::info!("HTTP 401: renewing the token.");
                    auth.invalidate().await;
                    renewed = true;
                    continue;
                }
            }
            let shown = error_chain(&e);
            tracing::warn!(url = %request.url, error = %shown, "Fetch failed.");
            self.report.error(shown);
            return if matches!(e, FetchError::Deadline { .. }) {
                Fetch::Stop
            } else {
                Fetch::Failed
            };
        }
    }

    /// The headers that authenticate a request for `request` (none without
    /// authentication); `None`, recorded in the report, when they cannot
    /// be had.
    async fn auth_headers(
        &mut self,
        request: &NextPage,
        interval: Option<Duration>,
    ) -> Option<Vec<(String, String)>> {
        let Some(auth) = &self.auth else {
            return Some(Vec::new());
        };
        let token_url = self.token_url.as_deref().unwrap_or_default();
        match auth.headers(self.fetcher, token_url, interval).await {
            Ok(headers) => Some(headers),
            Err(e) => {
                let e = error_chain(&e);
                tracing::warn!(url = %request.url, error = %e, "Authentication failed.");
                self.report.error(format!("{}: {e}", request.url));
                None
            }
        }
    }
}
