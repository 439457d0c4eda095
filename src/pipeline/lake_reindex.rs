//! `skilltrack reindex --from-lake LAKE`: the three batch stages run in
//! this process over every raw line of a lake, with the same functions as
//! `skilltrack batch …` (`batch::extract::extract_row`,
//! `batch::postings::fold_versions`, `batch::clusters::group_counts`), then
//! the merged postings stored as they are and every counter replaced by the
//! lake's counts (`PostingStore::replace_counts`). No Spark: the small
//! user's path, and the oracle the Spark job is tested against.
//!
//! Sorting is done **in memory**: every stage-1 row (about the size of the
//! posting's JSON with its text, a few KB) is held at once, then every
//! merged posting. A lake too big for memory is what the Spark job (or the
//! CLI stages with an external `sort`) is for.
//!
//! Stage 1 runs on every core (the lines split in contiguous chunks, the
//! rows concatenated in order), so the rows are the same as one thread's.

use std::path::{Path, PathBuf};

use rustc_hash::FxHashSet;

use crate::batch::clusters::group_counts;
use crate::batch::extract::{extract_row, Extracted};
use crate::batch::postings::{fold_versions, group_key};
use crate::batch::{for_each_group, BatchError, Input, StageReport};
use crate::domain::{CountRules, Posting, PostingId};
use crate::lake::{self, ReadLakeError};
use crate::lines::{BadLine, NumberedLine};
use crate::normalize::Normalizer;
use crate::store::counting::CountDelta;
use crate::store::{Store, StoreError};

/// Postings written per `put_postings` batch.
const PUT_BATCH: usize = 2_000;

/// Error rows kept for the report (all are counted).
pub const KEPT_ERRORS: usize = 100;

/// Why a reindex from a lake stopped (before it changed anything, unless
/// it is a store error while writing).
#[derive(Debug, thiserror::Error)]
pub enum LakeReindexError {
    /// The lake cannot be read.
    #[error(transparent)]
    Read(#[from] ReadLakeError),
    /// A stage failed (it cannot on in-memory rows, but says so if it does).
    #[error(transparent)]
    Stage(#[from] BatchError),
    /// The database holds postings the lake does not: their counts would be
    /// lost, and a recount would bring them back.
    #[error("the database holds {missing} posting(s) the lake does not (e.g. {example}): seed the lake with `skilltrack export lake --out LAKE` first, or reindex into an empty --data-dir")]
    NotInLake {
        /// How many.
        missing: u64,
        /// One of them.
        example: PostingId,
    },
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// What a reindex from a lake did.
#[derive(Debug, Default)]
pub struct LakeReindex {
    /// Data files read.
    pub files: u64,
    /// Raw lines read.
    pub lines: u64,
    /// Postings stored (one per posting id).
    pub postings: u64,
    /// Non-zero counters stored.
    pub counters: u64,
    /// Error rows (bad lines, postings that could not be normalized).
    pub errors: u64,
    /// The first [`KEPT_ERRORS`] error rows, each prefixed by its file.
    pub error_rows: Vec<String>,
}

impl LakeReindex {
    fn error(&mut self, file: &Path, row: &str) {
        self.errors += 1;
        if self.error_rows.len() < KEPT_ERRORS {
            self.error_rows.push(format!("{}: {row}", file.display()));
        }
    }
}

/// One raw line with where it comes from.
struct Line {
    file: usize,
    number: u64,
    text: Result<String, BadLine>,
}

/// The lake's counts and merged postings, computed in memory (no store).
pub struct LakeCounts {
    /// Every posting of the lake, merged.
    pub postings: Vec<Posting>,
    /// The count table (zeros left out).
    pub counts: CountDelta,
    /// What was read.
    pub done: LakeReindex,
}

/// Runs the three stages over every raw line of `lake` in memory.
pub fn lake_counts(
    normalizer: &Normalizer,
    rules: &CountRules,
    lake: &Path,
    max_line_bytes: usize,
) -> Result<LakeCounts, LakeReindexError> {
    let mut done = LakeReindex::default();
    let mut files: Vec<PathBuf> = Vec::new();
    let mut lines: Vec<Line> = Vec::new();
    done.files = lake::read_lines(lake, max_line_bytes, |file, line| {
        if files.last().map(PathBuf::as_path) != Some(file) {
            files.push(file.to_owned());
        }
        lines.push(Line {
            file: files.len() - 1,
            number: line.number,
            text: line.text,
        });
    })?;
    done.lines = lines.len() as u64;
    let rows = extract_all(normalizer, &lines, &files, &mut done);
    drop(lines);
    let postings = merge_all(rows, &files, &mut done)?;
    let counts = count_all_groups(postings.as_slice(), rules);
    Ok(LakeCounts {
        postings,
        counts,
        done,
    })
}

/// Stage 1 on every core; error rows go to `done`, rows come back sorted
/// by posting id (stable: rows of one id keep the lake's order).
fn extract_all(
    normalizer: &Normalizer,
    lines: &[Line],
    files: &[PathBuf],
    done: &mut LakeReindex,
) -> Vec<String> {
    let workers = std::thread::available_parallelism().map_or(1, |n| n.get().min(8));
    let chunk = lines.len().div_ceil(workers).max(1);
    let results: Vec<Vec<(usize, Extracted, String)>> = std::thread::scope(|scope| {
        let handles: Vec<_> = lines
            .chunks(chunk)
            .map(|part| {
                scope.spawn(move || {
                    let mut out = Vec::with_capacity(part.len());
                    for line in part {
                        let mut row = String::new();
                        let what = match &line.text {
                            Ok(text) => extract_row(normalizer, line.number, text, &mut row),
                            Err(bad) => {
                                crate::batch::push_error_row(
                                    &mut row,
                                    &line.number,
                                    &bad.to_string(),
                                );
                                Extracted::Error
                            }
                        };
                        out.push((line.file, what, row));
                    }
                    out
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().unwrap_or_else(|p| std::panic::resume_unwind(p)))
            .collect()
    });
    let mut rows = Vec::with_capacity(lines.len());
    for (file, what, row) in results.into_iter().flatten() {
        match what {
            Extracted::Nothing => {}
            Extracted::Row => rows.push(row),
            Extracted::Error => done.error(&files[file], &row),
        }
    }
    rows.sort_by(|a, b| first_column(a).cmp(first_column(b)));
    rows
}

fn first_column(row: &str) -> &str {
    row.split_once('\t').map_or(row, |(k, _)| k)
}

/// Stage 2 over the sorted rows: one merged posting per id.
fn merge_all(
    rows: Vec<String>,
    files: &[PathBuf],
    done: &mut LakeReindex,
) -> Result<Vec<Posting>, LakeReindexError> {
    let lines = rows.into_iter().enumerate().map(|(i, text)| {
        Ok(NumberedLine {
            number: i as u64 + 1,
            text: Ok(text),
        })
    });
    let mut postings = Vec::new();
    let mut errors = Vec::new();
    let lake = files
        .first()
        .and_then(|f| f.parent())
        .unwrap_or(Path::new(""));
    for_each_group(lines, "posting id", &mut StageReport::default(), |input| {
        match input {
            Input::Error(row) => done.error(lake, row),
            Input::Group(key, rows) => {
                postings.extend(fold_versions(key, rows, &mut errors));
                for e in errors.drain(..) {
                    done.error(lake, &e);
                }
            }
        }
        Ok(())
    })?;
    Ok(postings)
}

/// Stage 3 and the final sum: the count table of the merged postings.
fn count_all_groups(postings: &[Posting], rules: &CountRules) -> CountDelta {
    let mut order: Vec<(String, usize)> = postings
        .iter()
        .enumerate()
        .map(|(i, p)| (group_key(p), i))
        .collect();
    order.sort();
    let mut total = CountDelta::new();
    let mut group: Vec<Posting> = Vec::new();
    for (i, (key, at)) in order.iter().enumerate() {
        group.push(postings[*at].clone());
        if order.get(i + 1).is_none_or(|(next, _)| next != key) {
            for (k, v) in group_counts(&group, rules) {
                *total.entry(k).or_insert(0) += v;
            }
            group.clear();
        }
    }
    total.retain(|_, v| *v != 0);
    total
}

/// `reindex --from-lake`: the lake's postings stored (a stored posting is
/// replaced by the lake's version of it) and every counter replaced by the
/// lake's counts. Refuses, before writing, a database holding postings the
/// lake does not.
pub fn reindex_from_lake(
    store: &dyn Store,
    normalizer: &Normalizer,
    rules: &CountRules,
    lake: &Path,
    max_line_bytes: usize,
) -> Result<LakeReindex, LakeReindexError> {
    let LakeCounts {
        postings,
        counts,
        mut done,
    } = lake_counts(normalizer, rules, lake, max_line_bytes)?;
    check_stored_in_lake(store, &postings)?;
    for batch in postings.chunks(PUT_BATCH) {
        store.put_postings(batch)?;
    }
    store.replace_counts(&counts)?;
    store.set_data_fingerprint(normalizer.data_fingerprint())?;
    store.flush()?;
    done.postings = postings.len() as u64;
    done.counters = counts.len() as u64;
    Ok(done)
}

/// Fails when the store holds a posting that is not in `postings`.
fn check_stored_in_lake(store: &dyn Store, postings: &[Posting]) -> Result<(), LakeReindexError> {
    if store.posting_count()? == 0 {
        return Ok(());
    }
    let ids: FxHashSet<PostingId> = postings.iter().map(|p| p.id).collect();
    let mut missing = 0u64;
    let mut example = None;
    for read in store.postings() {
        let id = match read {
            Ok(p) => p.id,
            Err(StoreError::UnreadableText(u)) => u.posting.id,
            Err(other) => return Err(other.into()),
        };
        if !ids.contains(&id) {
            missing += 1;
            example.get_or_insert(id);
        }
    }
    match example {
        Some(example) => Err(LakeReindexError::NotInLake { missing, example }),
        None => Ok(()),
    }
}
