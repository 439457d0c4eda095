//! Stage 3, `skilltrack batch reduce-clusters`: the merged postings of each
//! duplicate group (stage-2 rows, grouped by ascending group key) clustered
//! and counted with the pure rules of `store::counting` ([`counting::clusters`]
//! through [`counting::add_group`]), one count row per counter change:
//! `<skill or *>\t<geo>\t<o|c>\t<day>\t<delta>`.
//!
//! The count table is the sum of the deltas by (skill, geo, counter, day)
//! over every group, zeros left out: what `store::counting::count_all`
//! gives for the same postings, and so what the store counts.

use std::io::{BufRead, Write};

use super::postings::group_key;
use super::{for_each_group, push_error_row, BatchError, Input, Row, RowWriter, StageReport};
use crate::domain::{CountRules, Posting};
use crate::lines::LineReader;
use crate::store::counting::{self, CountDelta, CountKey};

/// Reads the postings of group `key` (stage-2 rows without their key):
/// identical rows once, a posting id twice (with another payload) or a
/// posting of another group is an error row in `errors`.
pub fn read_group(key: &str, mut rows: Vec<Row>, errors: &mut Vec<String>) -> Vec<Posting> {
    let error = |errors: &mut Vec<String>, at: &str, why: String| {
        let mut row = String::new();
        push_error_row(&mut row, &at, &why);
        errors.push(row);
    };
    rows.sort_unstable_by(|a, b| a.rest.cmp(&b.rest));
    rows.dedup_by(|a, b| a.rest == b.rest);
    let mut postings: Vec<Posting> = Vec::with_capacity(rows.len());
    for row in rows {
        let Some((id, payload)) = row.rest.split_once('\t') else {
            error(
                errors,
                key,
                format!("line {}: no posting after the group key", row.line),
            );
            continue;
        };
        let posting: Posting = match serde_json::from_str(payload) {
            Ok(p) => p,
            Err(e) => {
                error(errors, id, format!("line {}: not a posting: {e}", row.line));
                continue;
            }
        };
        if group_key(&posting) != key || posting.id.to_string() != id {
            error(
                errors,
                id,
                format!(
                    "line {}: posting {} is not of group {key}",
                    row.line, posting.id
                ),
            );
        } else if postings.iter().any(|p| p.id == posting.id) {
            error(
                errors,
                id,
                format!(
                    "line {}: posting {id} twice in one group, with other content",
                    row.line
                ),
            );
        } else {
            postings.push(posting);
        }
    }
    postings
}

/// The count changes of one duplicate group, zeros left out.
pub fn group_counts(group: &[Posting], rules: &CountRules) -> CountDelta {
    let refs: Vec<&Posting> = group.iter().collect();
    let mut delta = CountDelta::new();
    counting::add_group(&refs, rules, 1, &mut delta);
    delta.retain(|_, v| *v != 0);
    delta
}

/// One count row (no line end).
pub fn count_row(key: &CountKey, delta: i64) -> String {
    format!(
        "{}\t{}\t{}\t{}\t{delta}",
        key.skill,
        key.geo,
        char::from(key.counter.tag()),
        key.day
    )
}

/// Runs stage 3 over `input` into `out`, with the count rules `rules`.
/// Stops only on unsorted input or a read or write error.
pub fn run_reduce_clusters(
    rules: &CountRules,
    input: impl BufRead,
    max_line_bytes: usize,
    out: impl Write,
) -> Result<StageReport, BatchError> {
    let mut report = StageReport::default();
    let mut out = RowWriter::new(out);
    let mut errors = Vec::new();
    let lines = LineReader::new(input, max_line_bytes);
    for_each_group(lines, "group key", &mut report, |input| match input {
        Input::Error(row) => out.error(row),
        Input::Group(key, rows) => {
            let group = read_group(key, rows, &mut errors);
            for e in errors.drain(..) {
                out.error(&e)?;
            }
            for (key, delta) in group_counts(&group, rules) {
                out.row(&count_row(&key, delta))?;
            }
            Ok(())
        }
    })?;
    out.finish(report)
}
