//! The one place stages are composed: a source definition in, a run report
//! out (fetch → extract → normalize → store), and the same normalize → store
//! path for imported files.
//!
//! - `collect`: a source run (`run_source`) or trial (`try_source`), and
//!   where each page's postings go; `walk` the walk over the source's
//!   pages, step by step; `error` what a step on the blocking pool can meet.
//! - `import`: the threaded import (bounded lines → normalized on every
//!   core → stored in file order).
//! - `extract_lines`: the normalizer alone over JSON Lines (`skilltrack extract`),
//!   on every core, output in input order.
//! - `reindex`: stored postings normalized again, counts recomputed.
//! - `lake_run`: a source collected into a lake (`collect --out`): the
//!   walk's raw postings written as raw lines, nothing normalized or stored;
//!   `lake_export` the database written as a lake (`export lake`);
//!   `lake_reindex` the batch stages in memory over a lake, into the store
//!   (`reindex --from-lake`).
//! - here: the shared context and options, and the normalization loop
//!   every path uses.

mod collect;
mod error;
mod extract_lines;
mod import;
mod lake_export;
mod lake_reindex;
mod lake_run;
mod reindex;
mod walk;

use std::sync::Arc;

use crate::domain::{Day, GeoCode, RunReport, SourceId};
use crate::extract::{self, RawPosting};
use crate::fetch::Fetcher;
use crate::lines::BadLine;
use crate::normalize::{Normalizer, Posting};
use crate::shutdown::Shutdown;
use crate::store::{IngestOutcome, Store};

pub use collect::{run_source, try_source, TriedPosting};
pub use extract_lines::{
    extract_lines, extract_lines_with, ExtractError, ExtractOptions, EXTRACT_BATCH_BYTES,
    EXTRACT_BATCH_LINES,
};
pub use import::{
    import_lines, import_with, ImportError, ImportOptions, IMPORT_BATCH, IMPORT_BATCH_BYTES,
};
pub use lake_export::{export_lake, LakeExport, LakeExportError};
pub use lake_reindex::{
    lake_counts, reindex_from_lake, LakeCounts, LakeReindex, LakeReindexError, KEPT_ERRORS,
};
pub use lake_run::{collect_to_lake, shard_key, shard_of, LakeRunDone};
pub use reindex::reindex;

/// What a run needs: built once, shared by every run.
#[derive(Clone)]
pub struct Context {
    /// Where postings and counts go.
    pub store: Arc<dyn Store>,
    /// Skills and places.
    pub normalizer: Arc<Normalizer>,
    /// The polite HTTP client.
    pub fetcher: Fetcher,
}

/// Per-run options.
#[derive(Debug, Clone, Default)]
pub struct RunOptions {
    /// Replaces the source's `base_url` (mirrors, tests).
    pub base_url: Option<String>,
    /// Replaces the source's OAuth2 token URL (else it follows `base_url`).
    pub auth_url: Option<String>,
    /// The day the run's postings are seen (default: today, UTC).
    pub seen_on: Option<Day>,
    /// Stops the run when fired: a fetch in flight is abandoned, postings
    /// already fetched are stored, no further page is requested, and the
    /// report says `interrupted`.
    pub shutdown: Option<Shutdown>,
    /// The start time the run's report records (RFC 3339; default: now).
    /// The scheduler sets it: it is the id of a run started on demand.
    pub started_at: Option<String>,
}

fn now_rfc3339() -> String {
    time::OffsetDateTime::now_utc()
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default()
}

fn add_outcome(report: &mut RunReport, outcome: IngestOutcome) {
    report.new += outcome.new;
    report.updated += outcome.updated;
    report.unchanged += outcome.unchanged;
}

/// Normalizes the raw postings of one page of `source`, seen on `seen`; the
/// ones that fail are described in `errors`.
fn normalize_all(
    normalizer: &Normalizer,
    source: &SourceId,
    country: Option<&GeoCode>,
    raws: &[RawPosting],
    seen: Day,
    errors: &mut Vec<String>,
) -> Vec<Posting> {
    let sightings = raws.iter().map(|raw| Sighting {
        raw,
        source,
        country,
        first_seen: seen,
        last_seen: None,
    });
    normalize_each(normalizer, sightings, errors)
}

/// Normalizes imported records (each may name its source and seen days);
/// failures are described in `errors`.
fn normalize_records(
    normalizer: &Normalizer,
    default_source: &SourceId,
    records: &[extract::import::ImportRecord],
    today: Day,
    errors: &mut Vec<String>,
) -> Vec<Posting> {
    let sightings = records.iter().map(|r| Sighting {
        raw: &r.raw,
        source: r.source.as_ref().unwrap_or(default_source),
        country: r.country.as_ref(),
        first_seen: r.first_seen.unwrap_or(today),
        last_seen: r.last_seen,
    });
    normalize_each(normalizer, sightings, errors)
}

/// A raw posting to normalize, with where and when it was seen.
pub(crate) struct Sighting<'a> {
    /// The posting as extracted or imported.
    pub(crate) raw: &'a RawPosting,
    /// Its source.
    pub(crate) source: &'a SourceId,
    /// The source's default country.
    pub(crate) country: Option<&'a GeoCode>,
    /// The first day it was seen.
    pub(crate) first_seen: Day,
    /// The last day it was seen, when known (imports, lake lines); else
    /// `first_seen`.
    pub(crate) last_seen: Option<Day>,
}

/// Normalizes each sighting; failures are described in `errors`.
fn normalize_each<'a>(
    normalizer: &Normalizer,
    sightings: impl Iterator<Item = Sighting<'a>>,
    errors: &mut Vec<String>,
) -> Vec<Posting> {
    let mut postings = Vec::with_capacity(sightings.size_hint().0);
    for s in sightings {
        match normalize_sighting(normalizer, s) {
            Ok(p) => postings.push(p),
            Err(e) => errors.push(e.to_string()),
        }
    }
    postings
}

/// Normalizes one sighting: the posting seen first on `first_seen` and
/// last on `last_seen` (when given, else `first_seen`; never before it).
/// The one normalization of collected, imported and lake postings.
pub(crate) fn normalize_sighting(
    normalizer: &Normalizer,
    s: Sighting<'_>,
) -> Result<Posting, crate::normalize::NormalizeError> {
    let mut p = normalizer.normalize(s.raw, s.source, s.country, s.first_seen)?;
    if let Some(last) = s.last_seen {
        p.last_seen = last.max(p.first_seen);
    }
    Ok(p)
}

/// A bad line as an import line error.
fn line_error(number: u64, bad: &BadLine) -> extract::import::LineError {
    extract::import::LineError {
        line: number as usize,
        why: bad.to_string(),
    }
}
