//! The fetch side of one source run: its deadline, the timeouts of each
//! host so far, and what the client did (requests, statuses, retries,
//! robots blocks, requests skipped on hosts that kept timing out, time spent waiting).

use std::collections::{BTreeMap, HashMap};
use std::time::Duration;

use tokio::time::Instant;

use super::host::HostKey;

/// Counters of one run's requests.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FetchStats {
    /// HTTP requests sent (every attempt; robots.txt not included).
    pub requests: u64,
    /// HTTP status → responses (every attempt, 304 included).
    pub statuses: BTreeMap<u16, u64>,
    /// Bytes of accepted bodies (after decompression).
    pub bytes: u64,
    /// Attempts beyond the first.
    pub retries: u64,
    /// URLs not requested because robots.txt disallows them (or is unavailable).
    pub robots_blocked: u64,
    /// Requests not sent because their host had already timed out
    /// `host_timeout_limit` times in this run.
    pub host_skipped: u64,
    /// Time spent waiting for a host's turn (rate limit, Crawl-delay, concurrency cap).
    pub polite_wait: Duration,
    /// Time spent waiting before retries (backoff, `Retry-After`).
    pub retry_wait: Duration,
}

impl FetchStats {
    /// Counts one response status.
    pub fn status(&mut self, status: u16) {
        *self.statuses.entry(status).or_insert(0) += 1;
    }
}

/// A run's fetching budget and counters, passed to [`super::Fetcher::fetch_in`].
#[derive(Debug, Clone)]
pub struct FetchRun {
    /// When the run must stop requesting (`None`: no deadline).
    pub deadline: Option<Instant>,
    /// What was done so far.
    pub stats: FetchStats,
    /// Timed-out attempts per host in this run.
    host_timeouts: HashMap<HostKey, u32>,
}

impl FetchRun {
    /// A run that must be over within `budget` from now (`None`: unbounded).
    pub fn new(budget: Option<Duration>) -> FetchRun {
        FetchRun {
            deadline: budget.and_then(|b| Instant::now().checked_add(b)),
            stats: FetchStats::default(),
            host_timeouts: HashMap::new(),
        }
    }

    /// How many attempts to `host` timed out in this run.
    pub fn timeouts(&self, host: &HostKey) -> u32 {
        self.host_timeouts.get(host).copied().unwrap_or(0)
    }

    /// Records a timed-out attempt to `host`; returns its count so far.
    pub(crate) fn add_timeout(&mut self, host: &HostKey) -> u32 {
        let n = self.host_timeouts.entry(host.clone()).or_insert(0);
        *n += 1;
        *n
    }

    /// Whether the deadline has passed.
    pub fn expired(&self) -> bool {
        self.deadline.is_some_and(|d| Instant::now() >= d)
    }
}
