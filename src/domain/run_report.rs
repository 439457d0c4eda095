//! Run reports: what one collection run of one source did. Plain data,
//! written by the pipeline, kept by the store, shown by the CLI and the API.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::SourceId;

/// How many errors a report keeps verbatim (the rest are only counted).
pub const MAX_REPORTED_ERRORS: usize = 20;

/// What one run of one source did. Fields added later default to zero when
/// an older stored report is read.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct RunReport {
    /// The source.
    pub source: Option<SourceId>,
    /// Start, RFC 3339 UTC.
    pub started_at: String,
    /// Wall-clock duration in milliseconds.
    pub duration_ms: u64,
    /// Pages requested (including failed and robots-blocked ones).
    pub pages: u64,
    /// HTTP requests sent, retries included (robots.txt not included).
    pub requests: u64,
    /// Bytes of page bodies received (after decompression).
    pub bytes: u64,
    /// HTTP status → number of responses (every attempt, 304 included).
    pub statuses: BTreeMap<u16, u64>,
    /// Attempts beyond the first (after 429, 5xx, timeouts, broken connections).
    pub retries: u64,
    /// Pages not requested because robots.txt disallows them or is unavailable.
    pub robots_blocked: u64,
    /// Pages not requested because their host had timed out
    /// `host_timeout_limit` times in this run.
    pub host_skipped: u64,
    /// Pages answered 304 Not Modified: not extracted again.
    pub not_modified: u64,
    /// Milliseconds spent waiting for a host's turn (rate limit, Crawl-delay, concurrency).
    pub polite_wait_ms: u64,
    /// Milliseconds spent waiting before retries (backoff, `Retry-After`).
    pub retry_wait_ms: u64,
    /// Items seen in pages.
    pub items: u64,
    /// Items rejected (malformed, missing title, bad date…).
    pub rejected: u64,
    /// Postings stored for the first time.
    pub new: u64,
    /// Postings seen before whose content changed.
    pub updated: u64,
    /// Postings seen before, unchanged (only `last_seen` moves).
    pub unchanged: u64,
    /// Errors, with URL and cause (at most [`MAX_REPORTED_ERRORS`]).
    pub errors: Vec<String>,
    /// Errors beyond those kept in `errors`.
    pub more_errors: u64,
    /// The run was stopped by a shutdown before it finished: what it had
    /// fetched was stored, the pages after it were not fetched.
    pub interrupted: bool,
}

impl RunReport {
    /// Records an error, keeping the first [`MAX_REPORTED_ERRORS`].
    pub fn error(&mut self, message: impl Into<String>) {
        if self.errors.len() < MAX_REPORTED_ERRORS {
            self.errors.push(message.into());
        } else {
            self.more_errors += 1;
        }
    }

    /// Total errors, kept or not.
    pub fn error_count(&self) -> u64 {
        self.errors.len() as u64 + self.more_errors
    }

    /// One line for people; a second one about fetching when anything was requested.
    pub fn summary(&self) -> String {
        let mut line = format!(
            "{}: {} page(s), {} item(s): {} new, {} updated, {} unchanged, {} rejected, {} error(s) in {:.1}s",
            self.source.as_ref().map_or("import", SourceId::as_str),
            self.pages,
            self.items,
            self.new,
            self.updated,
            self.unchanged,
            self.rejected,
            self.error_count(),
            self.duration_ms as f64 / 1000.0
        );
        if self.interrupted {
            line.push_str(", interrupted by shutdown");
        }
        if self.requests > 0 || self.robots_blocked > 0 || self.host_skipped > 0 {
            let statuses: Vec<String> = self
                .statuses
                .iter()
                .map(|(status, n)| format!("{status}×{n}"))
                .collect();
            let skipped = match self.host_skipped {
                0 => String::new(),
                n => format!(", {n} skipped (host kept timing out)"),
            };
            line.push_str(&format!(
                "\n  fetch: {} request(s), {} byte(s), status [{}], {} retr{}, {} not modified, {} blocked by robots.txt{skipped}, waited {:.1}s (politeness) + {:.1}s (retries)",
                self.requests,
                self.bytes,
                statuses.join(" "),
                self.retries,
                if self.retries == 1 { "y" } else { "ies" },
                self.not_modified,
                self.robots_blocked,
                self.polite_wait_ms as f64 / 1000.0,
                self.retry_wait_ms as f64 / 1000.0,
            ));
        }
        line
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn old_reports_read_and_summary_shows_fetching() {
        let old: RunReport =
            serde_json::from_str(r#"{"source":"x","started_at":"t","pages":2,"errors":[]}"#)
                .unwrap();
        assert_eq!((old.pages, old.requests, old.not_modified), (2, 0, 0));
        assert!(!old.summary().contains("fetch:"));
        let r = RunReport {
            pages: 3,
            requests: 4,
            retries: 1,
            robots_blocked: 1,
            not_modified: 1,
            polite_wait_ms: 1500,
            statuses: [(200, 2), (304, 1), (503, 1)].into_iter().collect(),
            ..RunReport::default()
        };
        let s = r.summary();
        assert!(
            s.contains("4 request(s), 0 byte(s), status [200×2 304×1 503×1], 1 retry, 1 not modified, 1 blocked by robots.txt, waited 1.5s (politeness)"),
            "{s}"
        );
        let hanging = RunReport {
            pages: 5,
            host_skipped: 4,
            ..RunReport::default()
        };
        let s = hanging.summary();
        assert!(
            s.contains("0 blocked by robots.txt, 4 skipped (host kept timing out), waited"),
            "{s}"
        );
    }
}
