//! Reading a reduce stage's input: rows grouped by their first column,
//! in ascending byte order, error rows passed through.

use super::{is_error_row, push_error_row, BatchError, StageReport};
use crate::lines::{NumberedLine, ReadError};

/// One row of a group: its line number and what follows its key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Row {
    /// 1-based line number in the stage's input.
    pub line: u64,
    /// The row after its first column and tab.
    pub rest: String,
}

/// What a reduce stage is handed.
#[derive(Debug)]
pub enum Input<'a> {
    /// An error row to write as it is.
    Error(&'a str),
    /// The rows of one key, in input order.
    Group(&'a str, Vec<Row>),
}

/// Reads `lines` (rows keyed by their first column, which must not
/// decrease: `what` names it in the error) and calls `on(Input::Group(key,
/// rows))` once per key, with its rows in input order. Error rows of the
/// input, and rows that cannot be read (not UTF-8, too long, no tab), are
/// handed as `Input::Error`. Counts the lines read in `report`.
pub fn for_each_group(
    lines: impl IntoIterator<Item = Result<NumberedLine, ReadError>>,
    what: &'static str,
    report: &mut StageReport,
    mut on: impl FnMut(Input<'_>) -> Result<(), BatchError>,
) -> Result<(), BatchError> {
    let mut key = String::new();
    let mut rows: Vec<Row> = Vec::new();
    let mut error = String::new();
    for line in lines {
        let line = line.map_err(|e| BatchError::Io {
            doing: "cannot read the input",
            source: e.source,
        })?;
        report.rows_in += 1;
        let text = match line.text {
            Ok(text) if text.is_empty() => continue,
            Ok(text) if is_error_row(&text) => {
                on(Input::Error(&text))?;
                continue;
            }
            Ok(text) => text,
            Err(bad) => {
                error.clear();
                push_error_row(&mut error, &line.number, &bad.to_string());
                on(Input::Error(&error))?;
                continue;
            }
        };
        let Some((row_key, rest)) = text.split_once('\t') else {
            error.clear();
            push_error_row(&mut error, &line.number, "not a row: no tab after the key");
            on(Input::Error(&error))?;
            continue;
        };
        if row_key != key {
            if row_key < key.as_str() {
                return Err(BatchError::Unsorted {
                    what,
                    line: line.number,
                    key: row_key.to_owned(),
                    previous: key,
                });
            }
            if !rows.is_empty() {
                on(Input::Group(&key, std::mem::take(&mut rows)))?;
            }
            key.clear();
            key.push_str(row_key);
        }
        rows.push(Row {
            line: line.number,
            rest: rest.to_owned(),
        });
    }
    if !rows.is_empty() {
        on(Input::Group(&key, rows))?;
    }
    Ok(())
}
