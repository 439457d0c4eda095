//! Stage 1, `skilltrack batch extract`: raw lines in, one row per posting
//! version out, `<posting id>\t<seen key>\t<payload>`.
//!
//! - a posting line: the seen key is `<fetched>/<hash>`, the payload the
//!   normalized `Posting` as JSON, first and last seen on the line's days
//!   (else the UTC day of `fetched`);
//! - a `seen` line: the seen key is `<fetched>/seen`, the payload
//!   `{"seen":"<day>"}`;
//! - a line that cannot be read or normalized: an error row naming its
//!   line number; an error row of the input is passed through.

use std::io::{BufRead, Write};

use super::{is_error_row, push_error_row, BatchError, RowWriter, StageReport};
use crate::lake::{parse_raw_line, RawRecord};
use crate::lines::LineReader;
use crate::normalize::Normalizer;
use crate::pipeline::{normalize_sighting, Sighting};

/// The seen key's suffix of a `seen` line.
pub const SEEN_SUFFIX: &str = "seen";

/// What one input line became.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Extracted {
    /// Nothing: a blank line.
    Nothing,
    /// A row.
    Row,
    /// An error row (new, or passed through).
    Error,
}

/// Appends the row of raw line number `number` to `out` (no line end).
pub fn extract_row(
    normalizer: &Normalizer,
    number: u64,
    text: &str,
    out: &mut String,
) -> Extracted {
    if is_error_row(text) {
        out.push_str(text);
        return Extracted::Error;
    }
    let record = match parse_raw_line(text, number as usize) {
        Ok(Some(record)) => record,
        Ok(None) => return Extracted::Nothing,
        Err(e) => {
            push_error_row(out, &number, &e.why);
            return Extracted::Error;
        }
    };
    let id = record.posting_id();
    let header = record.header();
    let fetched = header.fetched_text();
    match &record {
        RawRecord::Seen { header, .. } => {
            let payload = serde_json::json!({ "seen": header.day.to_string() });
            push_row(out, &id, &fetched, SEEN_SUFFIX, &payload.to_string());
            Extracted::Row
        }
        RawRecord::Posting {
            header,
            record,
            hash,
        } => {
            let sighting = Sighting {
                raw: &record.raw,
                source: &header.source,
                country: record.country.as_ref(),
                first_seen: record.first_seen.unwrap_or(header.day),
                last_seen: Some(record.last_seen.unwrap_or(header.day)),
            };
            let posting = match normalize_sighting(normalizer, sighting) {
                Ok(p) => p,
                Err(e) => {
                    push_error_row(out, &number, &e.to_string());
                    return Extracted::Error;
                }
            };
            match serde_json::to_string(&posting) {
                Ok(payload) => {
                    push_row(out, &id, &fetched, hash, &payload);
                    Extracted::Row
                }
                Err(e) => {
                    push_error_row(out, &number, &format!("cannot write the posting: {e}"));
                    Extracted::Error
                }
            }
        }
    }
}

fn push_row(out: &mut String, id: &dyn std::fmt::Display, fetched: &str, tag: &str, payload: &str) {
    use std::fmt::Write as _;
    let _ = write!(out, "{id}\t{fetched}/{tag}\t{payload}");
}

/// Runs stage 1 over `input` (lines of at most `max_line_bytes`) into
/// `out`. Only a read or write error stops it.
pub fn run_extract(
    normalizer: &Normalizer,
    input: impl BufRead,
    max_line_bytes: usize,
    out: impl Write,
) -> Result<StageReport, BatchError> {
    let mut report = StageReport::default();
    let mut out = RowWriter::new(out);
    let mut row = String::new();
    for line in LineReader::new(input, max_line_bytes) {
        let line = line.map_err(|e| BatchError::Io {
            doing: "cannot read the input",
            source: e.source,
        })?;
        report.rows_in += 1;
        row.clear();
        let done = match &line.text {
            Ok(text) => extract_row(normalizer, line.number, text, &mut row),
            Err(bad) => {
                push_error_row(&mut row, &line.number, &bad.to_string());
                Extracted::Error
            }
        };
        match done {
            Extracted::Nothing => {}
            Extracted::Row => out.row(&row)?,
            Extracted::Error => out.error(&row)?,
        }
    }
    out.finish(report)
}

pub(super) fn write_error(source: std::io::Error) -> BatchError {
    BatchError::Io {
        doing: "cannot write the output",
        source,
    }
}
