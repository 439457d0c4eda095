//! Stage 2, `skilltrack batch reduce-postings`: the versions of each
//! posting (stage-1 rows, grouped by ascending posting id) folded into the
//! posting the store would hold, `<group key>\t<posting id>\t<Posting JSON>`.
//!
//! A group's rows are ordered by (seen key, payload): by fetch time, then
//! content hash, so the fold does not depend on the input's order within a
//! group; identical rows are kept once (a duplicated line or a re-executed
//! task changes nothing). The fold is the store's: each posting version is
//! merged into what came before with [`merge_seen`], and a `seen` row moves
//! the last day seen (ignored before any version, as the store ignores a
//! re-sighting of a posting it does not hold).

use std::io::{BufRead, Write};

use serde::Deserialize;

use super::extract::{write_error, SEEN_SUFFIX};
use super::{for_each_group, push_error_row, BatchError, Input, Row, RowWriter, StageReport};
use crate::domain::{merge_seen, Day, Posting, PostingId};
use crate::lines::LineReader;

/// The key stage 3 groups by: the duplicate fingerprint as 16 hex digits,
/// or `0-<posting id>` for a posting without one (never merged).
pub fn group_key(p: &Posting) -> String {
    if p.fingerprint == 0 {
        format!("0-{}", p.id)
    } else {
        format!("{:016x}", p.fingerprint)
    }
}

/// The payload of a `seen` row.
#[derive(Deserialize)]
struct Seen {
    seen: Day,
}

/// Folds the rows of posting `key` (stage-1 rows without their key) into
/// the posting to keep; each row that cannot be read adds an error row to
/// `errors`. `None` when no row is a posting version.
pub fn fold_versions(key: &str, mut rows: Vec<Row>, errors: &mut Vec<String>) -> Option<Posting> {
    let error = |errors: &mut Vec<String>, why: &str| {
        let mut row = String::new();
        push_error_row(&mut row, &key, why);
        errors.push(row);
    };
    let id: PostingId = match key.parse() {
        Ok(id) => id,
        Err(e) => {
            error(errors, &format!("not a posting id: {e}"));
            return None;
        }
    };
    rows.sort_unstable_by(|a, b| a.rest.cmp(&b.rest));
    rows.dedup_by(|a, b| a.rest == b.rest);
    let mut merged: Option<Posting> = None;
    for row in rows {
        let Some((seen_key, payload)) = row.rest.split_once('\t') else {
            error(
                errors,
                &format!("line {}: no payload after the seen key", row.line),
            );
            continue;
        };
        if seen_key.ends_with(SEEN_SUFFIX) && seen_key.len() > SEEN_SUFFIX.len() {
            match serde_json::from_str::<Seen>(payload) {
                Ok(Seen { seen }) => {
                    if let Some(p) = merged.as_mut() {
                        p.last_seen = p.last_seen.max(seen);
                    }
                }
                Err(e) => error(
                    errors,
                    &format!("line {}: not a seen payload: {e}", row.line),
                ),
            }
            continue;
        }
        let posting: Posting = match serde_json::from_str(payload) {
            Ok(p) => p,
            Err(e) => {
                error(errors, &format!("line {}: not a posting: {e}", row.line));
                continue;
            }
        };
        if posting.id != id {
            error(
                errors,
                &format!("line {}: the payload is posting {}", row.line, posting.id),
            );
            continue;
        }
        merged = Some(match merged {
            None => posting,
            Some(old) => merge_seen(&old, posting),
        });
    }
    merged
}

/// Runs stage 2 over `input` into `out`. Stops only on unsorted input or a
/// read or write error.
pub fn run_reduce_postings(
    input: impl BufRead,
    max_line_bytes: usize,
    out: impl Write,
) -> Result<StageReport, BatchError> {
    let mut report = StageReport::default();
    let mut out = RowWriter::new(out);
    let mut errors = Vec::new();
    let lines = LineReader::new(input, max_line_bytes);
    for_each_group(lines, "posting id", &mut report, |input| match input {
        Input::Error(row) => out.error(row),
        Input::Group(key, rows) => {
            let merged = fold_versions(key, rows, &mut errors);
            for e in errors.drain(..) {
                out.error(&e)?;
            }
            match merged {
                Some(p) => {
                    let json = serde_json::to_string(&p).map_err(|e| write_error(e.into()))?;
                    out.row(&format!("{}\t{}\t{json}", group_key(&p), p.id))
                }
                None => Ok(()),
            }
        }
    })?;
    out.finish(report)
}
