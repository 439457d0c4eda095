//! Per-host politeness state: a rate limiter (governor), a concurrency cap
//! and the host's robots.txt rules.
//!
//! A host is an origin: scheme, host name and port (`http://127.0.0.1:8080`).
//! Two servers on 127.0.0.1 with different ports are different hosts. All
//! sources fetching from one host share its state; hosts never wait for
//! each other (the table lock is only held to look a host up).

use std::collections::HashMap;
use std::num::NonZeroU32;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use governor::{DefaultDirectRateLimiter, Quota, RateLimiter};
use reqwest::Url;
use tokio::sync::{Semaphore, SemaphorePermit};
use tokio::time::Instant;

use super::robots::CachedRobots;

/// A host: a URL's origin (scheme, host name, port), e.g.
/// `http://127.0.0.1:8080`. Rate limits, concurrency caps, robots.txt,
/// per-run timeout counts and the "same origin" test of redirects are keyed by it.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct HostKey(String);

impl HostKey {
    /// The host of `url`.
    pub fn of(url: &Url) -> HostKey {
        HostKey(url.origin().ascii_serialization())
    }

    /// The origin as text (`scheme://host:port`, default ports omitted).
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for HostKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// Every host seen by one [`super::Fetcher`].
pub(crate) struct Hosts {
    map: Mutex<HashMap<HostKey, Arc<Host>>>,
    concurrency: usize,
}

impl Hosts {
    /// An empty table; each host admits `concurrency` requests at a time.
    pub(crate) fn new(concurrency: usize) -> Hosts {
        Hosts {
            map: Mutex::new(HashMap::new()),
            concurrency: concurrency.max(1),
        }
    }

    /// The state of `key`'s host, created on first use.
    pub(crate) fn get(&self, key: &HostKey) -> Arc<Host> {
        let mut map = self.map.lock().unwrap_or_else(|p| p.into_inner());
        map.entry(key.clone())
            .or_insert_with(|| Arc::new(Host::new(self.concurrency)))
            .clone()
    }
}

/// One host's politeness state.
pub(crate) struct Host {
    /// The current spacing between requests and its limiter. The slowest
    /// spacing ever asked for wins (a source's rate, the config, Crawl-delay).
    limiter: Mutex<Option<(Duration, Arc<DefaultDirectRateLimiter>)>>,
    permits: Semaphore,
    /// robots.txt, fetched once and cached; the lock is held while fetching
    /// so that concurrent requests to this host wait for one fetch.
    pub(crate) robots: tokio::sync::Mutex<Option<CachedRobots>>,
}

impl Host {
    fn new(concurrency: usize) -> Host {
        Host {
            limiter: Mutex::new(None),
            permits: Semaphore::new(concurrency),
            robots: tokio::sync::Mutex::new(None),
        }
    }

    /// The limiter for a spacing of at least `interval`, replacing a faster one.
    fn limiter(&self, interval: Duration) -> Option<Arc<DefaultDirectRateLimiter>> {
        let mut slot = self.limiter.lock().unwrap_or_else(|p| p.into_inner());
        if let Some((current, limiter)) = slot.as_ref() {
            if *current >= interval {
                return Some(limiter.clone());
            }
        }
        let quota = Quota::with_period(interval)?.allow_burst(NonZeroU32::MIN);
        let limiter = Arc::new(RateLimiter::direct(quota));
        if slot.is_some() {
            // The host was asked moments ago on the old limiter: the new one
            // starts with its single cell spent, so the next request waits.
            let _ = limiter.check();
        }
        *slot = Some((interval, limiter.clone()));
        Some(limiter)
    }

    /// Waits for this host's turn: a concurrency permit, then the rate
    /// limit for `interval`. Returns the permit (hold it for the whole
    /// exchange) and the time spent waiting.
    pub(crate) async fn turn(&self, interval: Duration) -> (Option<SemaphorePermit<'_>>, Duration) {
        let started = Instant::now();
        // The semaphore is never closed; if it were, there would be no cap.
        let permit = self.permits.acquire().await.ok();
        if let Some(limiter) = self.limiter(interval) {
            limiter.until_ready().await;
        }
        (permit, started.elapsed())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn host_key_includes_scheme_and_port() {
        let a = Url::parse("http://127.0.0.1:8080/x").unwrap();
        let b = Url::parse("http://127.0.0.1:8081/x").unwrap();
        let c = Url::parse("https://example.com/a?b").unwrap();
        let d = Url::parse("https://example.com:443/other").unwrap();
        assert_eq!(HostKey::of(&a).as_str(), "http://127.0.0.1:8080");
        assert_ne!(HostKey::of(&a), HostKey::of(&b));
        assert_eq!(HostKey::of(&c).to_string(), "https://example.com");
        assert_eq!(HostKey::of(&c), HostKey::of(&d));
    }

    #[tokio::test]
    async fn slowest_interval_wins_and_spaces_requests() {
        let host = Host::new(1);
        let t0 = Instant::now();
        let (p, _) = host.turn(Duration::from_millis(1)).await;
        drop(p);
        // A slower rate asked later replaces the faster one and spaces the next turns.
        for _ in 0..2 {
            let (p, _) = host.turn(Duration::from_millis(60)).await;
            drop(p);
        }
        assert!(
            t0.elapsed() >= Duration::from_millis(100),
            "{:?}",
            t0.elapsed()
        );
        let (p, waited) = host.turn(Duration::from_millis(1)).await;
        drop(p);
        assert!(waited >= Duration::from_millis(40), "{waited:?}");
    }
}
