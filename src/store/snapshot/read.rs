//! Reading a snapshot's count table into a [`CountDelta`]: every part, every
//! row checked; one bad row fails the whole read (nothing half-loads).

use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};

use super::{Snapshot, SnapshotError, TABLE_DIR};
use crate::domain::{DomainError, GeoCode, SkillId};
use crate::store::counting::{CountDelta, CountKey, Counter};

/// A bad row of a count table: where, and what is wrong.
#[derive(Debug, thiserror::Error)]
#[error("{}:{line}", file.display())]
pub struct BadRow {
    /// The part file.
    pub file: PathBuf,
    /// The line (1-based).
    pub line: u64,
    /// What is wrong.
    #[source]
    pub why: RowError,
}

/// What is wrong with a count table row.
#[derive(Debug, thiserror::Error)]
pub enum RowError {
    /// Not five tab-separated columns.
    #[error("expected 5 tab-separated columns (skill, geo, counter, day, value), found {found}")]
    Columns {
        /// Columns found.
        found: usize,
    },
    /// An error row of the batch stages (first column `!`) left in the table.
    #[error("an error row of the batch stages, not a count: {row:?}")]
    ErrorRow {
        /// The row.
        row: String,
    },
    /// A skill, geography or day that does not parse.
    #[error(transparent)]
    Field(#[from] DomainError),
    /// A counter other than `o` or `c`.
    #[error("invalid counter {found:?}: expected o (opened) or c (closed)")]
    Counter {
        /// The column.
        found: String,
    },
    /// A value that is not a non-zero integer.
    #[error("invalid value {found:?}: expected a non-zero integer")]
    Value {
        /// The column.
        found: String,
    },
    /// A counter already given by an earlier row.
    #[error("a second row for {skill} in {geo}, counter {counter}, on {day} (the table is one row per counter)")]
    Duplicate {
        /// The skill.
        skill: String,
        /// The geography.
        geo: String,
        /// The counter.
        counter: char,
        /// The day.
        day: String,
    },
    /// Not UTF-8, or unreadable.
    #[error("cannot read the line")]
    Read(#[source] std::io::Error),
}

impl Snapshot {
    /// The part files of the count table, in name order.
    pub fn parts(&self) -> Result<Vec<PathBuf>, SnapshotError> {
        if !self.manifest.parts.is_empty() {
            return Ok(self
                .manifest
                .parts
                .iter()
                .map(|p| self.dir.join(p))
                .collect());
        }
        let table = self.dir.join(TABLE_DIR);
        let io = |source| SnapshotError::Io {
            path: table.clone(),
            source,
        };
        let mut parts = Vec::new();
        for entry in std::fs::read_dir(&table).map_err(io)? {
            let entry = entry.map_err(io)?;
            let name = entry.file_name();
            let hidden = name.to_string_lossy().starts_with(['.', '_']);
            if !hidden && entry.file_type().map_err(io)?.is_file() {
                parts.push(entry.path());
            }
        }
        parts.sort();
        Ok(parts)
    }

    /// The whole count table, checked: every row well-formed, no counter
    /// twice, as many rows as the manifest announces.
    pub fn read_counts(&self) -> Result<CountDelta, SnapshotError> {
        let mut counts = CountDelta::new();
        let mut rows = 0u64;
        for part in self.parts()? {
            rows += read_part(&part, &mut counts)?;
        }
        if rows != self.manifest.rows {
            return Err(SnapshotError::RowCount {
                snapshot: self.id().to_owned(),
                expected: self.manifest.rows,
                found: rows,
            });
        }
        Ok(counts)
    }
}

/// Adds the rows of one part file (plain, or gzip when named `*.gz`) to
/// `counts`; returns how many.
fn read_part(path: &Path, counts: &mut CountDelta) -> Result<u64, SnapshotError> {
    let file = std::fs::File::open(path).map_err(|source| SnapshotError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    let reader: Box<dyn Read> = if path.extension().is_some_and(|e| e == "gz") {
        Box::new(flate2::read::MultiGzDecoder::new(file))
    } else {
        Box::new(file)
    };
    let bad = |line: u64, why: RowError| {
        SnapshotError::Row(Box::new(BadRow {
            file: path.to_path_buf(),
            line,
            why,
        }))
    };
    let mut rows = 0;
    for (n, line) in BufReader::with_capacity(1 << 16, reader)
        .lines()
        .enumerate()
    {
        let n = n as u64 + 1;
        let line = line.map_err(|e| bad(n, RowError::Read(e)))?;
        if line.is_empty() {
            continue;
        }
        let (key, value) = parse_row(&line).map_err(|why| bad(n, why))?;
        if let Some(key) = insert(counts, key, value) {
            return Err(bad(
                n,
                RowError::Duplicate {
                    skill: key.skill.as_str().to_owned(),
                    geo: key.geo.as_str().to_owned(),
                    counter: char::from(key.counter.tag()),
                    day: key.day.to_string(),
                },
            ));
        }
        rows += 1;
    }
    Ok(rows)
}

/// Inserts a counter; gives it back when it was already there.
fn insert(counts: &mut CountDelta, key: CountKey, value: i64) -> Option<CountKey> {
    use std::collections::btree_map::Entry;
    match counts.entry(key) {
        Entry::Vacant(v) => {
            v.insert(value);
            None
        }
        Entry::Occupied(o) => Some(o.key().clone()),
    }
}

/// One row: `skill geo counter day value`, tab-separated.
pub(super) fn parse_row(line: &str) -> Result<(CountKey, i64), RowError> {
    let line = line.strip_suffix('\r').unwrap_or(line);
    let cols: Vec<&str> = line.split('\t').collect();
    if cols.first() == Some(&"!") {
        return Err(RowError::ErrorRow {
            row: line.to_owned(),
        });
    }
    let [skill, geo, counter, day, value] = cols[..] else {
        return Err(RowError::Columns { found: cols.len() });
    };
    let counter = match counter {
        "o" => Counter::Opened,
        "c" => Counter::Closed,
        other => {
            return Err(RowError::Counter {
                found: other.to_owned(),
            })
        }
    };
    let value = value
        .parse::<i64>()
        .ok()
        .filter(|v| *v != 0)
        .ok_or_else(|| RowError::Value {
            found: value.to_owned(),
        })?;
    let key = CountKey {
        skill: SkillId::parse(skill)?,
        geo: GeoCode::parse(geo)?,
        counter,
        day: day.parse()?,
    };
    Ok((key, value))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_row_parses_into_its_counter() {
        let (key, value) = parse_row("kubernetes\tFR-75\tc\t2026-03-01\t-4").unwrap();
        assert_eq!(key.skill.as_str(), "kubernetes");
        assert_eq!(key.geo.as_str(), "FR-75");
        assert_eq!(key.counter, Counter::Closed);
        assert_eq!(key.day.to_string(), "2026-03-01");
        assert_eq!(value, -4);
        let (key, value) = parse_row("*\tFR\to\t2026-03-01\t12\r").unwrap();
        assert_eq!(
            (key.skill.as_str(), key.counter, value),
            ("*", Counter::Opened, 12)
        );
    }

    #[test]
    fn bad_rows_say_what_is_wrong() {
        let cases = [
            (
                "linux\tFR\to\t2026-03-01",
                "expected 5 tab-separated columns",
            ),
            ("linux\tFR\to\t2026-03-01\t1\t2", "found 6"),
            ("linux FR o 2026-03-01 1", "found 1"),
            ("!\t12\t\"not JSON\"", "an error row of the batch stages"),
            ("linux\tFR\tx\t2026-03-01\t1", "invalid counter \"x\""),
            ("linux\tFR\to\t2026-03-01\t0", "invalid value \"0\""),
            ("linux\tFR\to\t2026-03-01\t1.5", "invalid value \"1.5\""),
            ("linux\tFR\to\t01/03/2026\t1", "invalid date"),
            ("Linux Kernel\tFR\to\t2026-03-01\t1", "invalid skill id"),
            ("linux\tParis\to\t2026-03-01\t1", "invalid geography code"),
        ];
        for (row, expected) in cases {
            let err = parse_row(row).unwrap_err().to_string();
            assert!(err.contains(expected), "{row:?}: {err}");
        }
    }
}
