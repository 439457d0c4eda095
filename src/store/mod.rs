//! Store: postings, daily counts, run reports, page validators and metadata,
//! behind one narrow trait per need: [`PostingStore`], [`CountStore`],
//! [`RunLog`], [`PageCache`] and [`MetaStore`]; [`Store`] is all of them,
//! for the code that needs every one (the pipeline, the server).
//!
//! Only `sled_store` imports sled. The counting rules are pure functions in
//! [`counting`]; a store only applies their output. Posting records are
//! encoded by `record`, their texts kept in the append-only `texts` log,
//! and the id, duplicate and by-day indexes held in memory by `index` (these
//! modules are private to the crate). [`cells`] says which postings a count
//! is made of, for [`PostingStore::cell_page`]. Ingestion is idempotent: re-seeing a posting
//! moves `last_seen`, never counts it twice, and a posting whose content
//! changed has its old contributions removed and the new added.

pub mod backup;
#[doc(hidden)]
pub mod bench_support;
pub mod cells;
pub mod counting;
mod error;
pub(crate) mod index;
pub(crate) mod keys;
pub(crate) mod record;
pub(crate) mod running;
pub(crate) mod sled_store;
pub mod snapshot;
pub(crate) mod texts;

use serde::Serialize;

use crate::domain::{Day, GeoCode, Posting, PostingId, RunReport, SkillId, SourceId, Validators};
pub use cells::{BadCursor, Cell, CellKey, CellPage, CellPosting};
pub use counting::{CountDelta, CountRules, Counter, Metric};
pub(crate) use error::poisoned;
pub use error::{Damage, StoreError, UnreadableText};
pub use record::RecordError;
pub use sled_store::{Compacted, EngineError, SledStore, SCHEMA_VERSION};
pub use texts::TextError;

/// One stored counter value.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct CountRow {
    /// The skill, or `*`.
    pub skill: SkillId,
    /// The geography.
    pub geo: GeoCode,
    /// Which counter.
    pub counter: Counter,
    /// The day.
    pub day: Day,
    /// The value.
    pub value: i64,
}

/// What one ingested batch did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct IngestOutcome {
    /// Postings stored for the first time.
    pub new: u64,
    /// Postings seen before whose content changed (counts moved).
    pub updated: u64,
    /// Postings seen before, unchanged.
    pub unchanged: u64,
}

impl std::ops::AddAssign for IngestOutcome {
    fn add_assign(&mut self, o: IngestOutcome) {
        self.new += o.new;
        self.updated += o.updated;
        self.unchanged += o.unchanged;
    }
}

/// Every stored posting, in the order they were first stored, read one at a
/// time (the store holds millions; they are never all in memory).
///
/// A posting whose text cannot be read comes as
/// [`StoreError::UnreadableText`], and the walk can go on (`backup`, `export
/// postings` keep or list such postings); any other error ends it (the
/// iterator yields nothing after it). Collecting into a `Result` stops at
/// the first error of either kind.
pub type Postings<'a> = Box<dyn Iterator<Item = Result<Posting, StoreError>> + 'a>;

/// Postings: ingestion, look-ups and whole-store walks and rewrites.
pub trait PostingStore: Send + Sync {
    /// Upserts a batch of postings atomically (all of its postings are
    /// stored, or none); its count changes are written behind, at the next
    /// [`CountStore::flush`]. The counting rules are [`counting`]'s.
    fn ingest(&self, postings: &[Posting]) -> Result<IngestOutcome, StoreError>;

    /// One posting by id.
    fn posting(&self, id: PostingId) -> Result<Option<Posting>, StoreError>;

    /// Every stored posting sharing `fingerprint` (its duplicate group),
    /// without their texts.
    fn group(&self, fingerprint: u64) -> Result<Vec<Posting>, StoreError>;

    /// Every stored posting with its text, streamed (see [`Postings`]).
    fn postings(&self) -> Postings<'_>;

    /// Writes postings as they are, without counting (restore; then `rebuild`).
    fn put_postings(&self, postings: &[Posting]) -> Result<(), StoreError>;

    /// Records that the texts of these postings are lost (restored from a
    /// backup that could not read them): reading them is an error, as it was
    /// in the store the backup came from, and collecting them again writes
    /// their texts anew.
    fn mark_texts_lost(&self, ids: &[PostingId]) -> Result<(), StoreError>;

    /// Records that the stored postings `ids` were seen again on `day`
    /// without being fetched again (their list page answered 304): their
    /// last day seen moves to `day` when later, and their `active` counts
    /// with it. Ids not stored are ignored. Returns how many are stored.
    fn mark_seen(&self, ids: &[PostingId], day: Day) -> Result<u64, StoreError>;

    /// Number of stored postings.
    fn posting_count(&self) -> Result<u64, StoreError>;

    /// Builds the in-memory indexes now rather than at the first request
    /// that needs them (a server calls it in the background at start, so
    /// that no listing or duplicate look-up waits for it). Idempotent.
    fn prepare(&self) -> Result<(), StoreError>;

    /// The postings counted in `cell` (see [`cells`]): the representatives
    /// of the clusters whose contribution [counts in](cells::counts_in) it,
    /// newest first (posting day, then id, descending), at most `limit` of
    /// them, starting strictly after `after`. The page's `next` is set when
    /// more follow. Like the counts, a listing follows what
    /// [`CountStore::flush`] made visible: a posting ingested since may be
    /// listed on a day that already had counted postings, or not yet.
    fn cell_page(
        &self,
        cell: &Cell,
        after: Option<CellKey>,
        limit: usize,
    ) -> Result<CellPage, StoreError>;

    /// Rewrites every posting through `transform` when given (`reindex`),
    /// then recomputes every count from the stored postings (`None`: only the
    /// recount, as after a crash or a restore). `progress` gets the number of
    /// postings done so far. Returns the number of postings.
    fn rebuild(
        &self,
        transform: Option<&dyn Fn(Posting) -> Posting>,
        progress: &mut dyn FnMut(u64),
    ) -> Result<u64, StoreError>;

    /// Replaces every stored counter by `counts` (zero values left out),
    /// atomically: readers, and a store reopened after a crash, see the old
    /// counts or the new ones, never a mix, and the new counts are never
    /// recounted away from the stored postings (count changes of postings
    /// ingested but not yet flushed are dropped with the old counts). Counts
    /// computed elsewhere (a Spark snapshot, `reindex --from-lake`) are
    /// served this way; postings are not touched. The recorded
    /// [counts snapshot](MetaStore::counts_snapshot) is cleared; the
    /// generation moves.
    fn replace_counts(&self, counts: &CountDelta) -> Result<(), StoreError>;
}

/// Counts: reading daily series, and making ingested counts visible.
pub trait CountStore: Send + Sync {
    /// Daily values of one series, in day order, days without a value
    /// omitted: for `new` the postings opened that day; for `active` the
    /// day's change (opened − closed), whose running sum is the series.
    fn daily(
        &self,
        skill: &SkillId,
        geo: &GeoCode,
        metric: Metric,
        from: Day,
        to: Day,
    ) -> Result<Vec<(Day, i64)>, StoreError>;

    /// The value of one series over each of `spans` (inclusive day
    /// ranges), in their order: for `new` the postings opened in the span,
    /// for `active` those open on its last day. The default reads
    /// [`daily`](CountStore::daily) once into running sums; a store may keep
    /// them.
    fn span_values(
        &self,
        skill: &SkillId,
        geo: &GeoCode,
        metric: Metric,
        spans: &[(Day, Day)],
    ) -> Result<Vec<i64>, StoreError> {
        let Some(last) = spans.iter().map(|s| s.1).max() else {
            return Ok(Vec::new());
        };
        let first = if metric.is_cumulative() {
            Day::MIN
        } else {
            spans.iter().map(|s| s.0).min().unwrap_or(last)
        };
        let sums = running::RunningSums::of(&self.daily(skill, geo, metric, first, last)?);
        Ok(spans
            .iter()
            .map(|&(from, to)| {
                if metric.is_cumulative() {
                    sums.through(to)
                } else {
                    sums.between(from, to)
                }
            })
            .collect())
    }

    /// The counting rules this store applies.
    fn rules(&self) -> CountRules;

    /// Writes the counts of everything ingested so far and makes it durable
    /// (postings and texts included). Counts become visible to readers here
    /// (after each collected page and at the end of an import).
    fn flush(&self) -> Result<(), StoreError>;

    /// A number that changes whenever the counts readers see may have
    /// changed (every flush that wrote counter changes, every step of a
    /// recount), and differs between two openings of the same store. Equal
    /// generations mean equal answers, so responses and caches are keyed by
    /// it (the API's `ETag`s).
    fn generation(&self) -> u64;
}

/// Run reports.
pub trait RunLog: Send + Sync {
    /// Keeps a run report.
    fn record_run(&self, report: &RunReport) -> Result<(), StoreError>;

    /// The latest `n` run reports of a source, newest first.
    fn runs(&self, source: &SourceId, n: usize) -> Result<Vec<RunReport>, StoreError>;

    /// Every source with at least one stored run report, sorted by id
    /// (reports without a source, or whose source is no longer a valid id,
    /// are left out).
    fn run_sources(&self) -> Result<Vec<SourceId>, StoreError>;
}

/// Conditional-GET validators of fetched pages.
pub trait PageCache: Send + Sync {
    /// The conditional-GET validators remembered for `url`, if any.
    fn page_validators(&self, url: &str) -> Result<Option<Validators>, StoreError>;

    /// Remembers `url`'s validators (after its page was stored).
    fn set_page_validators(&self, url: &str, validators: &Validators) -> Result<(), StoreError>;
}

/// What the store records about itself.
pub trait MetaStore: Send + Sync {
    /// The fingerprint of the taxonomy and geography the counts were
    /// computed with, if recorded.
    fn data_fingerprint(&self) -> Result<Option<u64>, StoreError>;

    /// Records the data fingerprint the counts are computed with.
    fn set_data_fingerprint(&self, fingerprint: u64) -> Result<(), StoreError>;

    /// The id of the count snapshot whose counts the store holds, unchanged
    /// since [`set_counts_snapshot`](MetaStore::set_counts_snapshot)
    /// recorded it: any later change of the counts (a flush that writes
    /// counts, a recount, [`PostingStore::replace_counts`]) clears it.
    fn counts_snapshot(&self) -> Result<Option<String>, StoreError>;

    /// Records that the counts now stored are those of snapshot `id` (call
    /// it after [`PostingStore::replace_counts`] returned: a crash in
    /// between leaves no id, so loading the snapshot again is not skipped).
    fn set_counts_snapshot(&self, id: &str) -> Result<(), StoreError>;
}

/// Everything a store does, for the code that needs all of it (the
/// pipeline's context, the server's state, the command line). Implemented
/// for every type that implements the five parts.
pub trait Store: PostingStore + CountStore + RunLog + PageCache + MetaStore {}

impl<T: PostingStore + CountStore + RunLog + PageCache + MetaStore + ?Sized> Store for T {}
