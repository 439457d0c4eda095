//! Run reports: what one collection run of one source did. Plain data,
//! written by the pipeline, kept by the store, shown by the CLI and the API.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::domain::SourceId;

/// How many errors a report keeps verbatim (the rest are only counted).
pub const MAX_REPORTED_ERRORS: usize = 20;

/// What one run of one source did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RunReport {
    /// The source.
    pub source: Option<SourceId>,
    /// Start, RFC 3339 UTC.
    pub started_at: String,
    /// Wall-clock duration in milliseconds.
    pub duration_ms: u64,
    /// Pages requested (including failed ones).
    pub pages: u64,
    /// Bytes of page bodies received.
    pub bytes: u64,
    /// HTTP status → number of responses.
    pub statuses: BTreeMap<u16, u64>,
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

    /// One line for people.
    pub fn summary(&self) -> String {
        format!(
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
        )
    }
}
