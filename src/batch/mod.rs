//! The pure batch stages that turn a lake's raw lines into counts:
//! deterministic, stdin → stdout, no sled, no network. `skilltrack batch …`
//! runs one stage as a filter (what Spark's `TRANSFORM … USING` calls);
//! `reindex --from-lake` runs the same functions in one process.
//!
//! Every row is TAB-separated text, one per line, no header; JSON payloads
//! are compact serde_json (a tab or newline inside a string is escaped).
//!
//! 1. [`extract`]: raw lines → `<posting id>\t<seen key>\t<Posting JSON>`,
//!    the seen key being `<fetched>/<hash>` (`<fetched>/seen` with payload
//!    `{"seen":"<day>"}` for a `seen` line). Normalization is
//!    `pipeline::normalize_sighting`, the one `import` and collection use.
//! 2. [`postings`]: rows grouped by ascending posting id → one
//!    `<group key>\t<posting id>\t<merged Posting JSON>` per posting: the
//!    versions ordered by (seen key, payload) and folded with
//!    [`crate::domain::merge_seen`], the store's rule. The group key is the
//!    duplicate fingerprint in 16 hex digits, or `0-<posting id>` for a
//!    posting that never merges.
//! 3. [`clusters`]: rows grouped by ascending group key → count rows
//!    `<skill or *>\t<geo>\t<o|c>\t<day>\t<delta>`, from
//!    `store::counting` (`clusters`, `add_group`). The count table is the
//!    sum of the deltas by (skill, geo, counter, day), zeros left out.
//!
//! A bad record becomes an error row, `!\t<where>\t<message as JSON string>`
//! (`where`: the input line number, or the posting id), and never a
//! non-zero exit; error rows in a stage's input are passed through. Input
//! not sorted by the stage's key is an error ([`BatchError::Unsorted`]).
//! Within a group, rows come in any order: each stage orders them itself.

pub mod clusters;
pub mod extract;
mod group;
pub mod postings;

use std::io;

pub use group::{for_each_group, Input, Row};

/// Why a stage stopped (bad records do not stop it: they are error rows).
#[derive(Debug, thiserror::Error)]
pub enum BatchError {
    /// A row's key is lower than the one before: the input is not grouped.
    #[error("input not sorted by {what} at line {line} ({key:?} after {previous:?})")]
    Unsorted {
        /// What the stage groups by.
        what: &'static str,
        /// 1-based line number of the row.
        line: u64,
        /// Its key.
        key: String,
        /// The key of the row before.
        previous: String,
    },
    /// The input cannot be read or the output written.
    #[error("{doing}")]
    Io {
        /// What was being done.
        doing: &'static str,
        /// The I/O error.
        #[source]
        source: io::Error,
    },
}

/// What a stage did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct StageReport {
    /// Rows (or lines) read.
    pub rows_in: u64,
    /// Rows written, error rows included.
    pub rows_out: u64,
    /// Error rows written (new or passed through).
    pub errors: u64,
}

/// The first column of an error row.
pub const ERROR_MARK: &str = "!";

/// Whether `row` is an error row.
pub fn is_error_row(row: &str) -> bool {
    row.starts_with("!\t")
}

/// Appends an error row about `at` (a line number or a posting id) saying
/// `why`, without its line end.
pub fn push_error_row(out: &mut String, at: &dyn std::fmt::Display, why: &str) {
    use std::fmt::Write as _;
    let why = serde_json::Value::from(why).to_string();
    let _ = write!(out, "{ERROR_MARK}\t{at}\t{why}");
}

/// Writes a stage's rows, one per line, counting them.
pub struct RowWriter<W: io::Write> {
    out: W,
    rows: u64,
    errors: u64,
}

impl<W: io::Write> RowWriter<W> {
    /// Writes to `out` (buffer it: a row is a few small writes).
    pub fn new(out: W) -> RowWriter<W> {
        RowWriter {
            out,
            rows: 0,
            errors: 0,
        }
    }

    /// Writes a row.
    pub fn row(&mut self, row: &str) -> Result<(), BatchError> {
        self.rows += 1;
        self.line(row)
    }

    /// Writes an error row.
    pub fn error(&mut self, row: &str) -> Result<(), BatchError> {
        self.errors += 1;
        self.line(row)
    }

    fn line(&mut self, row: &str) -> Result<(), BatchError> {
        self.out
            .write_all(row.as_bytes())
            .and_then(|()| self.out.write_all(b"\n"))
            .map_err(extract::write_error)
    }

    /// Flushes the output; `report` with the rows written.
    pub fn finish(mut self, mut report: StageReport) -> Result<StageReport, BatchError> {
        self.out.flush().map_err(extract::write_error)?;
        report.rows_out = self.rows + self.errors;
        report.errors = self.errors;
        Ok(report)
    }
}

#[cfg(test)]
mod tests;
