//! The one place stages are composed: a source definition in, a run report
//! out (fetch → extract → normalize → store: `collect`), and the same
//! normalize → store path for imported files (`import`), `extract` and
//! `reindex`.

mod collect;
mod import;

use std::sync::Arc;

use crate::domain::{Day, GeoCode, RunReport, SourceId};
use crate::extract::{self, RawPosting};
use crate::fetch::Fetcher;
use crate::normalize::{Normalizer, Posting};
use crate::shutdown::Shutdown;
use crate::store::{IngestOutcome, PostingStore, Store, StoreError};

pub use collect::{run_source, try_source};
pub use import::{
    extract_lines, import_lines, import_with, ExtractError, ImportError, ImportOptions,
    IMPORT_BATCH, IMPORT_BATCH_BYTES,
};

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
    let items = raws.iter().map(|raw| (raw, source, country, seen, None));
    normalize_each(normalizer, items, errors)
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
    let items = records.iter().map(|r| {
        let source = r.source.as_ref().unwrap_or(default_source);
        let first_seen = r.first_seen.unwrap_or(today);
        (&r.raw, source, r.country.as_ref(), first_seen, r.last_seen)
    });
    normalize_each(normalizer, items, errors)
}

/// Normalizes (raw posting, source, default country, first seen, last seen) items.
fn normalize_each<'a>(
    normalizer: &Normalizer,
    items: impl Iterator<
        Item = (
            &'a RawPosting,
            &'a SourceId,
            Option<&'a GeoCode>,
            Day,
            Option<Day>,
        ),
    >,
    errors: &mut Vec<String>,
) -> Vec<Posting> {
    let mut postings = Vec::with_capacity(items.size_hint().0);
    for (raw, source, country, first_seen, last_seen) in items {
        match normalizer.normalize(raw, source, country, first_seen) {
            Ok(mut p) => {
                if let Some(last) = last_seen {
                    p.last_seen = last.max(p.first_seen);
                }
                postings.push(p);
            }
            Err(e) => errors.push(e.to_string()),
        }
    }
    postings
}

/// `skilltrack reindex`: skills and places of every stored posting found
/// again with `normalizer`'s data, then every count recomputed. Returns the
/// number of postings.
pub fn reindex(
    store: &dyn PostingStore,
    normalizer: &Normalizer,
    progress: &mut dyn FnMut(u64),
) -> Result<u64, StoreError> {
    store.rebuild(Some(&|p| normalizer.renormalize(p)), progress)
}
