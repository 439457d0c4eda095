//! The polite loop: a request followed hop by hop through its redirects,
//! each hop treated like a first request. A hop is
//! 1. checked against its host's timeout budget for the run,
//! 2. admitted by its host's robots.txt (GETs; fetched in the host's turn
//!    when not cached), which may slow the host down (`Crawl-delay`),
//! 3. attempted in the host's turn, and attempted again after a failure
//!    that can succeed on retry ([`retry_delay`]), up to `max_attempts`.

use std::sync::Arc;
use std::time::Duration;

use reqwest::header::{HeaderMap, HeaderName};
use reqwest::Url;

use super::attempt::{Answer, Attempt, Hop};
use super::error::GaveUp;
use super::host::{self, HostKey};
use super::redirect::{self, NextHop, Refused};
use super::robots::{self, CachedRobots, Rules};
use super::{retry, FetchConfig, FetchError, FetchRequest, FetchRun, Fetched, Fetcher};
use crate::telemetry::metrics;

impl Fetcher {
    /// Follows the redirect chain from `url`, one polite exchange per hop.
    pub(super) async fn follow(
        &self,
        url: &Url,
        request: &FetchRequest,
        headers: &HeaderMap,
        run: &mut FetchRun,
    ) -> Result<Fetched, FetchError> {
        let mut hop = Hop {
            url: url.clone(),
            form: request.form.as_deref(),
            json: request.json.as_deref(),
            headers: Some(headers),
        };
        let mut visited = vec![url.clone()];
        let mut retries = 0;
        loop {
            let (status, location) = match self
                .exchange(&hop, url, request.interval, run, &mut retries)
                .await?
            {
                Answer::Page(mut page) => {
                    page.retries = retries;
                    return Ok(page);
                }
                Answer::Redirect { status, location } => (status, location),
            };
            let next = redirect::next_hop(
                &hop.url,
                status,
                &location,
                hop.form.is_some() || hop.json.is_some(),
                &visited,
                self.config.max_redirects,
            )
            .map_err(|refused| refused_error(url, refused))?;
            tracing::debug!(from = %hop.url, to = %next.url, status = status.as_u16(), "Following a redirect.");
            visited.push(next.url.clone());
            take(&mut hop, next);
        }
    }

    /// One hop, politely: the host's timeout budget for this run, its
    /// robots.txt (GETs), its turn, then attempts until an answer, a failure
    /// that cannot succeed on retry, or `max_attempts`. `first` is the URL
    /// the chain started from; retries are added to `retries`.
    async fn exchange(
        &self,
        hop: &Hop<'_>,
        first: &Url,
        source_interval: Option<Duration>,
        run: &mut FetchRun,
        retries: &mut u32,
    ) -> Result<Answer, FetchError> {
        let key = HostKey::of(&hop.url);
        self.check_timeouts(&hop.url, &key, run)?;
        let host = self.hosts.get(&key);
        let interval = self.admit(hop, first, &host, source_interval, run).await?;
        self.attempts(hop, &key, &host, interval, run, retries)
            .await
    }

    /// Fails at once when `key` already timed out `host_timeout_limit`
    /// times in this run (counted in `run`).
    fn check_timeouts(
        &self,
        url: &Url,
        key: &HostKey,
        run: &mut FetchRun,
    ) -> Result<(), FetchError> {
        let limit = self.config.host_timeout_limit;
        let timeouts = run.timeouts(key);
        if limit == 0 || timeouts < limit {
            return Ok(());
        }
        run.stats.host_skipped += 1;
        tracing::info!(url = %url, host = %key, timeouts, "Skipped: the host kept timing out in this run.");
        Err(FetchError::HostSkipped {
            url: url.to_string(),
            host: key.clone(),
            timeouts,
        })
    }

    /// Asks the host's robots.txt whether `hop` may be requested (form
    /// POSTs, i.e. OAuth2 token requests, are not crawls and are not
    /// checked); returns the spacing between requests to its host, its
    /// `Crawl-delay` included. A refusal is counted in `run`.
    async fn admit(
        &self,
        hop: &Hop<'_>,
        first: &Url,
        host: &host::Host,
        source_interval: Option<Duration>,
        run: &mut FetchRun,
    ) -> Result<Duration, FetchError> {
        let url = &hop.url;
        let interval = self.interval_for(url, source_interval, None);
        if !self.config.obey_robots || hop.form.is_some() {
            return Ok(interval);
        }
        let rules = self.robots(host, url, interval, run).await;
        if !rules.allows(url) {
            run.stats.robots_blocked += 1;
            let why = blocked_why(&rules, url, first);
            tracing::info!(url = %url, why = %why, "Blocked by robots.txt.");
            return Err(FetchError::RobotsDisallowed {
                url: url.to_string(),
                why,
            });
        }
        Ok(self.interval_for(url, source_interval, rules.crawl_delay()))
    }

    /// Attempts `hop` until an answer, a failure that cannot succeed on
    /// retry, `max_attempts`, or its host timing out once too often.
    async fn attempts(
        &self,
        hop: &Hop<'_>,
        key: &HostKey,
        host: &host::Host,
        interval: Duration,
        run: &mut FetchRun,
        retries: &mut u32,
    ) -> Result<Answer, FetchError> {
        let mut attempt = 0;
        loop {
            attempt += 1;
            let failed = match self.attempt_in_turn(hop, host, interval, run).await {
                Ok(answer) => return Ok(answer),
                Err(failed) => failed,
            };
            let gave_up = if failed.timed_out() {
                self.count_timeout(key, run)
            } else {
                None
            };
            // A host given up on gets no further attempt.
            let wait = match gave_up {
                Some(_) => None,
                None => retry_delay(&self.config, &failed, attempt),
            };
            match wait {
                Some(wait) if attempt < self.config.max_attempts.max(1) => {
                    tracing::warn!(url = %hop.url, attempt, wait_ms = wait.as_millis() as u64, error = %failed.describe(), "Retrying.");
                    *retries += 1;
                    run.stats.retries += 1;
                    run.stats.retry_wait += wait;
                    tokio::time::sleep(wait).await;
                }
                _ => return Err(failed.into_error(hop.url.as_str(), attempt, gave_up)),
            }
        }
    }

    /// One attempt in the host's turn; the request, its status and the
    /// bytes of a page are counted in `run`.
    async fn attempt_in_turn(
        &self,
        hop: &Hop<'_>,
        host: &host::Host,
        interval: Duration,
        run: &mut FetchRun,
    ) -> Result<Answer, Attempt> {
        let (permit, waited) = host.turn(interval).await;
        run.stats.polite_wait += waited;
        run.stats.requests += 1;
        let result = self.attempt(hop).await;
        drop(permit);
        let status = match &result {
            Ok(Answer::Page(page)) => Some(page.status),
            Ok(Answer::Redirect { status, .. }) => Some(status.as_u16()),
            Err(failed) => failed.status(),
        };
        if let Some(s) = status {
            run.stats.status(s);
        }
        if let Some(name) = hop.url.host_str() {
            metrics::global().fetch_request(name, hop.url.port(), status);
        }
        if let Ok(Answer::Page(page)) = &result {
            run.stats.bytes += page.bytes as u64;
        }
        result
    }

    /// Counts a timed-out attempt on `key`; when that reaches
    /// `host_timeout_limit`, the run gives the host up.
    fn count_timeout(&self, key: &HostKey, run: &mut FetchRun) -> Option<GaveUp> {
        let limit = self.config.host_timeout_limit;
        let timeouts = run.add_timeout(key);
        if limit == 0 || timeouts < limit {
            return None;
        }
        tracing::warn!(host = %key, timeouts, "The host keeps timing out: its remaining requests in this run are skipped.");
        Some(GaveUp {
            host: key.clone(),
            timeouts,
        })
    }

    /// The spacing for `url`'s host: on a loopback host with
    /// `loopback_interval` set, that; else the slowest of the source's, the
    /// configured one and robots.txt's `crawl_delay`, with the default when
    /// neither the source nor the configuration sets one.
    pub(super) fn interval_for(
        &self,
        url: &Url,
        source: Option<Duration>,
        crawl_delay: Option<Duration>,
    ) -> Duration {
        let name = url.host_str().unwrap_or("");
        if let Some(interval) = self.config.loopback_interval {
            if is_loopback(name) {
                return interval;
            }
        }
        let with_port = format!("{name}:{}", url.port_or_known_default().unwrap_or(0));
        let configured = self
            .config
            .host_intervals
            .get(&with_port)
            .or_else(|| self.config.host_intervals.get(name))
            .copied();
        let rule = match (source, configured) {
            (None, None) => self.config.default_host_interval,
            (a, b) => a.unwrap_or_default().max(b.unwrap_or_default()),
        };
        rule.max(crawl_delay.unwrap_or_default())
    }

    /// The host's robots.txt rules, fetched (in the host's turn) when not cached.
    async fn robots(
        &self,
        host: &host::Host,
        url: &Url,
        interval: Duration,
        run: &mut FetchRun,
    ) -> Arc<Rules> {
        let mut slot = host.robots.lock().await;
        if let Some(cached) = slot
            .as_ref()
            .filter(|c| c.until > tokio::time::Instant::now())
        {
            return cached.rules.clone();
        }
        let (permit, waited) = host.turn(interval).await;
        run.stats.polite_wait += waited;
        let agent = robots::agent_token(&self.config.user_agent);
        let rules = Arc::new(robots::fetch(&self.client, url, agent).await);
        drop(permit);
        let ttl = match rules.unavailable() {
            Some(_) => self.config.robots_error_ttl,
            None => self.config.robots_ttl,
        };
        *slot = Some(CachedRobots {
            rules: rules.clone(),
            until: tokio::time::Instant::now() + ttl,
        });
        rules
    }
}

/// Moves `hop` to `next`: the caller's headers stay behind when it leaves
/// the origin (for the rest of the chain), the body when the redirect turns
/// the POST into a GET.
fn take(hop: &mut Hop<'_>, next: NextHop) {
    if next.cross_origin {
        if let Some(dropped) = hop.headers.take().filter(|h| !h.is_empty()) {
            let names: Vec<&str> = dropped.keys().map(HeaderName::as_str).collect();
            tracing::info!(from = %HostKey::of(&hop.url), to = %HostKey::of(&next.url), dropped = ?names, "Redirect to another origin: the request's own headers are not sent there.");
        }
    }
    if !next.keeps_body {
        hop.form = None;
        hop.json = None;
    }
    hop.url = next.url;
}

/// The error of a redirect not followed, for the chain started at `first`.
fn refused_error(first: &Url, refused: Refused) -> FetchError {
    match refused {
        Refused::Bad(cause) => FetchError::Redirect {
            url: first.to_string(),
            cause,
        },
        Refused::FormAcrossOrigins { from, to } => FetchError::FormAcrossOrigins {
            url: first.to_string(),
            from,
            to,
        },
    }
}

/// Why robots.txt (`rules`) keeps `url` from being requested; says which
/// redirect led there when `url` is not the `first` of its chain.
fn blocked_why(rules: &Rules, url: &Url, first: &Url) -> String {
    let mut why = match rules.unavailable() {
        Some(cause) => format!("host disallowed for now: {cause}"),
        None => "disallowed by robots.txt".to_owned(),
    };
    if url != first {
        why.push_str(&format!(" (reached by a redirect from {first})"));
    }
    why
}

/// How long to wait before another attempt after `failed` (attempt number
/// `attempt`, from 1), or `None` when another attempt cannot succeed:
/// a retryable status waits its `Retry-After` where honoured (capped at
/// `max_retry_after`), else the backoff; a retryable transport failure
/// waits the backoff.
fn retry_delay(config: &FetchConfig, failed: &Attempt, attempt: u32) -> Option<Duration> {
    match failed {
        Attempt::Status(status, retry_after) if retry::retryable(*status) => {
            Some(match retry_after {
                Some(d) if retry::honours_retry_after(*status) => (*d).min(config.max_retry_after),
                _ => retry::backoff(config.backoff, attempt),
            })
        }
        Attempt::Failed { failure, .. } if failure.retryable() => {
            Some(retry::backoff(config.backoff, attempt))
        }
        _ => None,
    }
}

/// Whether a host name is a loopback host: `localhost`, 127.0.0.0/8, `::1`.
fn is_loopback(name: &str) -> bool {
    name.eq_ignore_ascii_case("localhost")
        || name
            .trim_start_matches('[')
            .trim_end_matches(']')
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fetch::BadRedirect;
    use reqwest::StatusCode;

    fn status(code: u16, retry_after: Option<u64>) -> Attempt {
        Attempt::Status(
            StatusCode::from_u16(code).unwrap(),
            retry_after.map(Duration::from_secs),
        )
    }

    #[test]
    fn retry_delays_follow_the_status_and_the_retry_after_cap() {
        let config = FetchConfig {
            backoff: Duration::from_millis(100),
            max_retry_after: Duration::from_secs(60),
            ..FetchConfig::default()
        };
        let delay = |failed: &Attempt, attempt| retry_delay(&config, failed, attempt);
        // Retry-After is honoured on 429 and 503, capped.
        assert_eq!(
            delay(&status(429, Some(7)), 1),
            Some(Duration::from_secs(7))
        );
        assert_eq!(
            delay(&status(503, Some(600)), 1),
            Some(Duration::from_secs(60))
        );
        // Elsewhere (or without one) the backoff: 100 ms doubled per attempt, up to +50 %.
        for (failed, attempt, floor) in [
            (status(500, Some(7)), 1, 100),
            (status(503, None), 2, 200),
            (status(408, None), 3, 400),
        ] {
            let d = delay(&failed, attempt).expect("retried");
            let floor = Duration::from_millis(floor);
            assert!(d >= floor && d <= floor.mul_f64(1.5), "{d:?}");
        }
        // Other statuses and an oversized body never come out differently.
        for failed in [
            status(404, Some(1)),
            status(401, None),
            Attempt::TooLarge(200, 10),
        ] {
            assert_eq!(delay(&failed, 1), None);
        }
    }

    #[test]
    fn a_request_that_cannot_be_built_is_not_retried() {
        let error = reqwest::Client::new()
            .get("http://127.0.0.1:9/")
            .header("bad name", "v")
            .build()
            .unwrap_err();
        let failed = Attempt::Failed {
            failure: retry::Failure::of(&error),
            status: None,
            error,
        };
        assert!(!failed.timed_out());
        assert_eq!(retry_delay(&FetchConfig::default(), &failed, 1), None);
    }

    #[test]
    fn a_hop_leaves_the_callers_headers_at_the_origin_and_the_form_unless_kept() {
        let headers = HeaderMap::from_iter([(
            reqwest::header::AUTHORIZATION,
            reqwest::header::HeaderValue::from_static("Bearer t"),
        )]);
        let form = [("grant_type".to_owned(), "client_credentials".to_owned())];
        let url = |u: &str| Url::parse(u).unwrap();
        let mut hop = Hop {
            url: url("http://h/token"),
            form: Some(&form),
            json: None,
            headers: Some(&headers),
        };
        let next = |to: &str, keeps_body, cross_origin| NextHop {
            url: url(to),
            keeps_body,
            cross_origin,
        };
        // Same origin, 307: everything is kept.
        take(&mut hop, next("http://h/token2", true, false));
        assert_eq!(hop.url.as_str(), "http://h/token2");
        assert!(hop.form.is_some() && hop.headers.is_some());
        // Same origin, 303: the form is dropped, the headers kept.
        take(&mut hop, next("http://h/done", false, false));
        assert!(hop.form.is_none() && hop.headers.is_some());
        // Another origin: the headers are dropped, and stay dropped back home.
        take(&mut hop, next("http://cdn/file", false, true));
        assert!(hop.headers.is_none());
        take(&mut hop, next("http://h/again", false, true));
        assert!(hop.headers.is_none());
        assert_eq!(hop.url.as_str(), "http://h/again");
    }

    #[test]
    fn a_json_search_keeps_its_body_on_307_and_drops_it_on_303() {
        let headers = HeaderMap::new();
        let url = |u: &str| Url::parse(u).unwrap();
        let mut hop = Hop {
            url: url("http://h/search"),
            form: None,
            json: Some("{\"page\":1}"),
            headers: Some(&headers),
        };
        let next = |to: &str, keeps_body| NextHop {
            url: url(to),
            keeps_body,
            cross_origin: false,
        };
        take(&mut hop, next("http://h/search2", true));
        assert_eq!(hop.json, Some("{\"page\":1}"));
        take(&mut hop, next("http://h/results", false));
        assert_eq!(hop.json, None);
    }

    #[test]
    fn refusals_name_the_first_url_of_the_chain() {
        let first = Url::parse("http://h/start").unwrap();
        let target = Url::parse("http://h/start").unwrap();
        let err = refused_error(&first, Refused::Bad(BadRedirect::Loop { target }));
        assert!(matches!(&err, FetchError::Redirect { url, .. } if url == "http://h/start"));
        assert_eq!(
            crate::domain::error_chain(&err),
            "GET http://h/start: bad redirect: redirect loop back to http://h/start"
        );
    }

    #[test]
    fn loopback_hosts() {
        for name in ["localhost", "LocalHost", "127.0.0.1", "127.9.9.9", "[::1]"] {
            assert!(is_loopback(name), "{name}");
        }
        for name in [
            "example.com",
            "10.0.0.1",
            "[::2]",
            "localhost.example.com",
            "",
        ] {
            assert!(!is_loopback(name), "{name}");
        }
    }

    #[test]
    fn a_block_says_which_redirect_led_there() {
        let rules = Rules::from_answer(200, b"User-agent: *\nDisallow: /private\n", "skilltrack");
        let first = Url::parse("http://h/start").unwrap();
        let there = Url::parse("http://h/private/x").unwrap();
        assert_eq!(
            blocked_why(&rules, &first, &first),
            "disallowed by robots.txt"
        );
        assert_eq!(
            blocked_why(&rules, &there, &first),
            "disallowed by robots.txt (reached by a redirect from http://h/start)"
        );
        let failing = Rules::from_answer(503, b"", "skilltrack");
        assert_eq!(
            blocked_why(&failing, &first, &first),
            "host disallowed for now: robots.txt answered HTTP 503"
        );
    }
}
