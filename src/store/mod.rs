//! Store: postings, daily counts and run reports, behind the [`Store`] trait.
//!
//! Only [`sled_store`] imports sled. The counting rules are pure functions in
//! [`counting`]; a store only applies their output. Posting records are
//! encoded by [`record`], their texts kept in the append-only [`texts`] log,
//! and the id and duplicate indexes held in memory by [`index`]. Ingestion is idempotent:
//! re-seeing a posting moves `last_seen`, never counts it twice, and a posting
//! whose content changed has its old contributions removed and the new added.

pub mod backup;
pub mod counting;
pub mod index;
pub mod keys;
pub mod record;
pub mod sled_store;
pub mod texts;

use serde::Serialize;

use crate::domain::{Day, GeoCode, Posting, PostingId, RunReport, SkillId, SourceId, Validators};
pub use counting::{CountRules, Counter, Metric};
pub use sled_store::SledStore;

/// Why a store operation failed.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The database directory is used by another process.
    #[error("the database in {dir} is in use by another process (is `skilltrack serve` running? stop it, or query it over HTTP)")]
    Locked {
        /// The directory.
        dir: String,
    },
    /// The database could not be opened.
    #[error("cannot open the database in {dir}: {cause}")]
    Open {
        /// The directory.
        dir: String,
        /// The underlying error.
        cause: String,
    },
    /// The database was written by an incompatible version.
    #[error("the database in {dir} has schema version {found}, this build reads version {expected}: make a backup with the version that wrote it (`skilltrack backup FILE`) and `skilltrack restore FILE` it with this one into a new --data-dir, or remove it and collect again")]
    Schema {
        /// The directory.
        dir: String,
        /// Version on disk.
        found: u32,
        /// Version this build reads.
        expected: u32,
    },
    /// An I/O or engine error.
    #[error("database error: {0}")]
    Engine(String),
    /// A stored record does not decode (corruption, or a bug).
    #[error("corrupt record {key}: {cause}")]
    Corrupt {
        /// Which record.
        key: String,
        /// Decoding error.
        cause: String,
    },
}

/// One stored counter value: skill, geography, counter, day, value.
pub type CountRow = (SkillId, GeoCode, Counter, Day, i64);

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

/// A stored posting whose description text cannot be read (the text log is
/// damaged there): the posting without its text, and why.
#[derive(Debug)]
pub struct UnreadableText {
    /// The posting, its `text` empty.
    pub posting: Posting,
    /// Why the text cannot be read.
    pub cause: StoreError,
}

/// The error for a lock a panicked writer left poisoned.
pub(crate) fn poisoned<T>(_: T) -> StoreError {
    StoreError::Engine("a lock was poisoned by a panicked writer".into())
}

impl std::ops::AddAssign for IngestOutcome {
    fn add_assign(&mut self, o: IngestOutcome) {
        self.new += o.new;
        self.updated += o.updated;
        self.unchanged += o.unchanged;
    }
}

/// The storage interface the rest of the application uses.
pub trait Store: Send + Sync {
    /// Upserts a batch of postings atomically: all of it is applied, counts
    /// included, or none of it. The counting rules are [`counting`]'s.
    fn ingest(&self, postings: &[Posting]) -> Result<IngestOutcome, StoreError>;

    /// One posting by id.
    fn posting(&self, id: PostingId) -> Result<Option<Posting>, StoreError>;

    /// Every stored posting sharing `fingerprint` (its duplicate group).
    fn group(&self, fingerprint: u64) -> Result<Vec<Posting>, StoreError>;

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

    /// Every counter, in key order: (skill, geo, metric, day, value).
    fn all_counts(&self) -> Result<Vec<CountRow>, StoreError>;

    /// Calls `f` with every stored posting, in the order they were first
    /// stored; a posting whose text cannot be read comes as an
    /// [`UnreadableText`] instead of stopping the walk (`backup`, `export
    /// postings`). Returns the number of postings.
    fn for_each_posting_lossy(
        &self,
        f: &mut dyn FnMut(Result<Posting, UnreadableText>) -> Result<(), StoreError>,
    ) -> Result<u64, StoreError>;

    /// Calls `f` with every stored posting, in the order they were first
    /// stored; a text that cannot be read stops the walk with its error.
    fn for_each_posting(
        &self,
        f: &mut dyn FnMut(Posting) -> Result<(), StoreError>,
    ) -> Result<u64, StoreError> {
        self.for_each_posting_lossy(&mut |read| match read {
            Ok(p) => f(p),
            Err(UnreadableText { cause, .. }) => Err(cause),
        })
    }

    /// Records that the texts of these postings are lost (restored from a
    /// backup that could not read them): reading them is an error, as it was
    /// in the store the backup came from, and collecting them again writes
    /// their texts anew.
    fn mark_texts_lost(&self, ids: &[PostingId]) -> Result<(), StoreError>;

    /// Rewrites every posting through `transform` when given (`reindex`),
    /// then recomputes every count from the stored postings (`None`: only the
    /// recount, as after a crash or a restore). `progress` gets the number of
    /// postings done so far. Returns the number of postings.
    fn rebuild(
        &self,
        transform: Option<&dyn Fn(Posting) -> Posting>,
        progress: &mut dyn FnMut(u64),
    ) -> Result<u64, StoreError>;

    /// Records that the stored postings `ids` were seen again on `day`
    /// without being fetched again (their list page answered 304): their
    /// last day seen moves to `day` when later, and their `active` counts
    /// with it. Ids not stored are ignored. Returns how many are stored.
    fn mark_seen(&self, ids: &[PostingId], day: Day) -> Result<u64, StoreError>;

    /// Writes postings as they are, without counting (restore; then `rebuild`).
    fn put_postings(&self, postings: &[Posting]) -> Result<(), StoreError>;

    /// The counting rules this store applies.
    fn rules(&self) -> CountRules;

    /// Keeps a run report.
    fn record_run(&self, report: &RunReport) -> Result<(), StoreError>;

    /// The latest `n` run reports of a source, newest first.
    fn runs(&self, source: &SourceId, n: usize) -> Result<Vec<RunReport>, StoreError>;

    /// Number of stored postings.
    fn posting_count(&self) -> Result<u64, StoreError>;

    /// Writes the counts of everything ingested so far and makes it durable.
    /// Counts become visible to readers here (after each collected page and
    /// at the end of an import).
    fn flush(&self) -> Result<(), StoreError>;

    /// The conditional-GET validators remembered for `url`, if any.
    fn page_validators(&self, url: &str) -> Result<Option<Validators>, StoreError>;

    /// Remembers `url`'s validators (after its page was stored).
    fn set_page_validators(&self, url: &str, validators: &Validators) -> Result<(), StoreError>;
}
