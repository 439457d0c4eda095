//! The raw-postings lake: an append-only, at-least-once log of what
//! collectors fetched, from which every count is computed again
//! (`skilltrack batch …`, `reindex --from-lake`, the Spark job). Collectors
//! never count; counts are a pure function of the log.
//!
//! ## Layout (version 1)
//!
//! ```text
//! LAKE/raw/v1/day=<collection day YYYY-MM-DD>/source=<source id>/run=<run id>.jsonl.gz
//! LAKE/raw/v1/day=…/source=…/run=<run id>.report.json      the run's RunReport
//! LAKE/counts/v1/…                                          count snapshots (not this module)
//! ```
//!
//! - `layout`: the paths, [`Shard`] and the deterministic [`RunId`] (the same
//!   source, shard and start time always give the same file name, so a
//!   re-executed run replaces its file instead of adding one).
//! - `raw`: the raw line, one JSON object per line: an import line
//!   (`extract::import`) plus `schema`, `source`, `fetched`, `hash`, `run`
//!   and, for a re-sighting without a body, `"kind": "seen"`.
//! - `write`: a run's file, gzip'd into a temporary `.name.tmp` in the same
//!   directory, fsynced, then renamed; the run's report beside it.
//! - `read`: every data file of `raw/v1` in a deterministic order (names
//!   sorted bytewise), skipping names that start with `.` or `_`.

mod layout;
mod raw;
mod read;
mod write;

pub use layout::{
    data_file, fetched_text, report_file, run_dir, RunId, Shard, ShardError, RAW_DIR,
};
pub use raw::{parse_raw_line, posting_line, seen_line, RawHeader, RawRecord, SCHEMA, SEEN_KIND};
pub use read::{data_files, read_lines, ReadLakeError};
pub use write::{write_atomically, LakeWriteError, RunFile};
