//! Run reports: what one collection run of one source did. Plain data,
//! written by the pipeline, kept by the store, shown by the CLI and the API.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::{Posting, SourceId};

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
    /// How complete the postings the run extracted were (all zero in
    /// reports stored before it was recorded, and for imports).
    pub completeness: Completeness,
}

/// Field completeness of the postings a run extracted: of the postings
/// read from the pages the run fetched and normalized without error (those
/// stored as new, updated or unchanged — not those re-seen because their
/// list page answered 304, which were not read again), how many had each
/// field. Counts, not shares, so that pages add up; [`Completeness::share`]
/// gives the shares.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Completeness {
    /// Postings counted.
    pub postings: u64,
    /// With a place: a resolved geography, or remote.
    pub place: u64,
    /// With a posting date given by the source.
    pub posted: u64,
    /// With a company.
    pub company: u64,
    /// With a description (not blank).
    pub description: u64,
    /// With at least one skill (found or implied).
    pub skill: u64,
}

/// One figure of [`Completeness`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Figure {
    /// [`Completeness::place`].
    Place,
    /// [`Completeness::posted`].
    Posted,
    /// [`Completeness::company`].
    Company,
    /// [`Completeness::description`].
    Description,
    /// [`Completeness::skill`].
    Skill,
}

impl Figure {
    /// Every figure, in the order reports show them.
    pub const ALL: [Figure; 5] = [
        Figure::Place,
        Figure::Posted,
        Figure::Company,
        Figure::Description,
        Figure::Skill,
    ];

    /// Its name, as the JSON field and the alarms name it.
    pub fn as_str(self) -> &'static str {
        match self {
            Figure::Place => "place",
            Figure::Posted => "posted",
            Figure::Company => "company",
            Figure::Description => "description",
            Figure::Skill => "skill",
        }
    }
}

impl Completeness {
    /// Counts one normalized posting.
    pub fn count(&mut self, p: &Posting) {
        let has = |yes: bool| u64::from(yes);
        self.postings += 1;
        self.place += has(p.remote || !p.places.is_empty());
        self.posted += has(p.date_from_source);
        self.company += has(p.company.as_deref().is_some_and(|c| !c.trim().is_empty()));
        self.description += has(!p.text.trim().is_empty());
        self.skill += has(p.all_skills().next().is_some());
    }

    /// Adds the counts of another page or run.
    pub fn add(&mut self, o: &Completeness) {
        self.postings += o.postings;
        self.place += o.place;
        self.posted += o.posted;
        self.company += o.company;
        self.description += o.description;
        self.skill += o.skill;
    }

    /// How many postings had `figure`.
    pub fn with(&self, figure: Figure) -> u64 {
        match figure {
            Figure::Place => self.place,
            Figure::Posted => self.posted,
            Figure::Company => self.company,
            Figure::Description => self.description,
            Figure::Skill => self.skill,
        }
    }

    /// The share (0 to 1) of postings with `figure`; None when no posting
    /// was counted.
    pub fn share(&self, figure: Figure) -> Option<f64> {
        (self.postings > 0).then(|| self.with(figure) as f64 / self.postings as f64)
    }
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
        if self.completeness.postings > 0 {
            let shares: Vec<String> = Figure::ALL
                .iter()
                .map(|f| {
                    let share = self.completeness.share(*f).unwrap_or(0.0);
                    format!("{} {:.0}%", f.as_str(), share * 100.0)
                })
                .collect();
            line.push_str(&format!(
                "\n  completeness of {} posting(s): {}",
                self.completeness.postings,
                shares.join(", ")
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

    #[test]
    fn reports_stored_before_completeness_load_with_none_measured() {
        let old: RunReport = serde_json::from_str(
            r#"{"source":"x","started_at":"2026-01-01T00:00:00Z","duration_ms":1200,"items":20,"new":20,"errors":[],"more_errors":0,"interrupted":false}"#,
        )
        .unwrap();
        assert_eq!(old.completeness, Completeness::default());
        assert_eq!(old.completeness.share(Figure::Company), None);
        assert!(!old.summary().contains("completeness"));
        // And what is written now reads back whole.
        let mut now = old.clone();
        now.completeness.postings = 4;
        now.completeness.company = 3;
        let back: RunReport = serde_json::from_str(&serde_json::to_string(&now).unwrap()).unwrap();
        assert_eq!(back, now);
        assert_eq!(back.completeness.share(Figure::Company), Some(0.75));
        assert!(
            back.summary().ends_with(
                "completeness of 4 posting(s): place 0%, posted 0%, company 75%, description 0%, skill 0%"
            ),
            "{}",
            back.summary()
        );
    }

    #[test]
    fn completeness_adds_up_pages() {
        let mut a = Completeness {
            postings: 2,
            place: 1,
            posted: 2,
            company: 0,
            description: 2,
            skill: 1,
        };
        a.add(&Completeness {
            postings: 2,
            place: 2,
            ..Completeness::default()
        });
        assert_eq!((a.postings, a.place, a.posted), (4, 3, 2));
        assert_eq!(a.share(Figure::Place), Some(0.75));
        assert_eq!(a.share(Figure::Company), Some(0.0));
    }
}
