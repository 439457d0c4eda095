//! The sled implementation of the [store traits](super::Store): the only module that
//! imports sled.
//! This file opens the database and reads; `ingest` writes batches of
//! postings, `counts` keeps the counters, `rebuild` recounts and rewrites,
//! `compact` copies the database into a fresh one and swaps it in, `cells`
//! lists the postings behind a count, `replace` swaps in counts computed
//! elsewhere (a count snapshot) in one atomic batch.
//!
//! Trees: the `main` tree holds posting records (see [`record`]), counters,
//! interned names and markers (see [`keys`]); `runs` holds run reports; `http`
//! conditional-GET validators by URL (JSON); `meta` the schema version and
//! the fingerprint of the data counts were computed with. Description texts
//! are not in sled but in the [text log](super::texts) next to it, and the
//! duplicate index is [in memory](super::index). Writers are serialized by a
//! mutex (one process owns the database). Readers never wait for the
//! writer's I/O: the locks they share with it (interned names, the posting
//! index, the text files) are held by the writer only for in-memory updates,
//! never across sled or file I/O — except the one-time build of the posting
//! index after a start, which its first readers wait for.
//!
//! ## Counts are written behind, and recovered by recounting
//! Writing every counter change of every posting would cost ~100 random
//! read-modify-writes per posting. Instead a batch of postings is written
//! atomically with a `Mdirty` marker, and its counter changes are aggregated
//! in memory; [`CountStore::flush`] (after each collected page, at the end of an
//! import, or when the cache grows past [`MAX_CACHED_RECORDS`]) applies them
//! to the per-year counter records in batches of [`FLUSH_CHUNK`], the last of
//! which removes the marker. If the process dies before, the marker is still
//! there at the next open, and every count is recomputed from the stored
//! postings before the store is used. So a crash never leaves counts that disagree with the postings, and
//! re-running an import repairs the postings it did not store.

mod cells;
mod compact;
mod counts;
mod ingest;
mod rebuild;
mod replace;
mod sums;
mod upgrade;

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, RwLock, RwLockReadGuard, RwLockWriteGuard};

use super::counting::{CountDelta, CountRules, Counter};
use super::index::{Masks, PostingIndex};
use super::texts::{TextLog, TextRef};
use super::{
    keys, poisoned, record, Cell, CellKey, CellPage, CountRow, CountStore, Damage, IngestOutcome,
    MetaStore, Metric, PageCache, PostingStore, Postings, RunLog, StoreError, UnreadableText,
};
use crate::domain::{Day, GeoCode, Posting, PostingId, RunReport, SkillId, SourceId, Validators};
pub use compact::Compacted;
use counts::{CountCache, Names};

/// Version of the on-disk layout this build reads and writes. Version 4
/// writes counter records as varints (`keys::encode_year_values`); a
/// version 3 database is upgraded when opened, by recounting.
pub const SCHEMA_VERSION: u32 = 4;

/// The oldest layout this build upgrades by itself: its posting records are
/// read as they are, its counters recounted ([`SledStore::open_with`]).
pub(super) const UPGRADABLE_SCHEMA: u32 = 3;

/// Year records (366 days each, ~1.5 KB) held in memory before they are written.
pub const MAX_CACHED_RECORDS: usize = 20_000;

/// Counter records per batch when the cache is written.
pub const FLUSH_CHUNK: usize = 2_000;

const META_SCHEMA: &[u8] = b"schema_version";
const META_DATA_FINGERPRINT: &[u8] = b"data_fingerprint";
const POSTING_COUNT_KEY: &[u8] = b"Mpostings";
const DIRTY_KEY: &[u8] = b"Mdirty";
/// The id of the count snapshot the counters hold (see
/// [`MetaStore::counts_snapshot`]); in the main tree so that every batch
/// that changes counters can remove it.
const SNAPSHOT_KEY: &[u8] = b"Msnapshot";

/// A store in a sled database directory.
pub struct SledStore {
    dir: PathBuf,
    db: sled::Db,
    main: sled::Tree,
    runs: sled::Tree,
    meta: sled::Tree,
    /// Description texts.
    texts: TextLog,
    http: sled::Tree,
    /// Stored ids and duplicate groups; built on first use.
    index: RwLock<Option<PostingIndex>>,
    names: RwLock<Names>,
    cache: Mutex<CountCache>,
    writer: Mutex<()>,
    /// See [`CountStore::generation`]: starts from the clock at opening,
    /// one more after each flush that wrote counts.
    generation: AtomicU64,
    /// Held for reading by the count reads (`daily`, `span_values`,
    /// `all_counts`) and for writing while
    /// [`replace_counts`](PostingStore::replace_counts) applies its batch,
    /// so that a read sees the old counts or the new ones, never a mix
    /// (a sled range scan is not a snapshot).
    swap: RwLock<()>,
    /// Running sums of the series top and rising skills read, for the
    /// current generation.
    sums: sums::SumCache,
    rules: CountRules,
    /// Whether opening found counts the last process had not written, and
    /// recounted them.
    recovered: bool,
}

/// An error of the sled engine, kept whole.
#[derive(Debug, thiserror::Error)]
#[error(transparent)]
pub struct EngineError(#[from] sled::Error);

/// The error for a sled failure while `doing` something.
fn engine(doing: &'static str) -> impl Fn(sled::Error) -> StoreError {
    move |e| StoreError::Engine {
        doing,
        source: EngineError(e),
    }
}

/// Whether another process (or another handle in this one) holds the lock
/// on the database in `dir`. sled 0.34 reports a held lock as an
/// `io::ErrorKind::Other` whose only trace of the cause is its message
/// (`Config::try_lock` formats the `WouldBlock` into it), so after a failed
/// open the lock is tried again here, on the same file and with the same
/// kind of lock (`flock`), and the `ErrorKind` of that attempt decides.
fn held_by_another(dir: &Path) -> bool {
    let Ok(file) = std::fs::File::open(dir.join("db")) else {
        return false;
    };
    matches!(file.try_lock(), Err(std::fs::TryLockError::WouldBlock))
}

/// How long opening waits for a lock that a handle closing in this
/// process (or a process exiting) still holds. sled 0.34 lets its
/// background threads finish after the last handle is dropped, and they keep
/// the lock file open for a few milliseconds; a lock held longer than this
/// belongs to a running process, and is reported as such.
const LOCK_WAIT: std::time::Duration = std::time::Duration::from_secs(2);

/// Opens the sled database in `dir`, waiting up to [`LOCK_WAIT`] for a lock
/// being released. The error says whether the lock was the cause.
fn open_engine(dir: &Path, cache_mb: u64) -> Result<sled::Db, (sled::Error, bool)> {
    let started = std::time::Instant::now();
    let mut pause = std::time::Duration::from_millis(5);
    loop {
        let opened = sled::Config::new()
            .path(dir)
            .cache_capacity(cache_mb.saturating_mul(1024 * 1024))
            .mode(sled::Mode::HighThroughput)
            .open();
        let e = match opened {
            Ok(db) => return Ok(db),
            Err(e) => e,
        };
        // The lock may be released between sled's attempt and ours, so the
        // message of sled's attempt counts too.
        let locked = matches!(&e, sled::Error::Io(io) if io.to_string().contains("acquire lock"))
            || matches!(e, sled::Error::Io(_) if held_by_another(dir));
        if !locked || started.elapsed() >= LOCK_WAIT {
            return Err((e, locked));
        }
        std::thread::sleep(pause);
        pause = (pause * 2).min(std::time::Duration::from_millis(200));
    }
}

/// The raw sled database in `dir`, for tests that read or damage what a
/// store wrote: opened as the store opens it, waiting for the lock that a
/// store just dropped may still hold (a bare `sled::open` fails then, now
/// and again).
#[cfg(test)]
fn open_raw(dir: &Path) -> sled::Db {
    open_engine(dir, 8)
        .map_err(|(e, _)| e)
        .expect("the database opens")
}

impl SledStore {
    /// Opens (or creates) the database in `dir` with a page cache of
    /// `cache_mb` megabytes and the default counting rules.
    pub fn open(dir: &Path, cache_mb: u64) -> Result<SledStore, StoreError> {
        SledStore::open_with(dir, cache_mb, CountRules::default())
    }

    /// Opens (or creates) the database in `dir` with explicit counting rules.
    pub fn open_with(
        dir: &Path,
        cache_mb: u64,
        rules: CountRules,
    ) -> Result<SledStore, StoreError> {
        let shown = dir.display().to_string();
        std::fs::create_dir_all(dir).map_err(|source| StoreError::CreateDir {
            dir: shown.clone(),
            source,
        })?;
        // A compaction stopped by a crash is finished (or undone) first.
        compact::finish(dir)?;
        let db = open_engine(dir, cache_mb).map_err(|(e, locked)| {
            if locked {
                StoreError::Locked {
                    dir: shown.clone(),
                    source: EngineError(e),
                }
            } else {
                StoreError::Open {
                    dir: shown.clone(),
                    source: EngineError(e),
                }
            }
        })?;
        let open_tree = engine("opening a tree");
        let main = db.open_tree("main").map_err(&open_tree)?;
        let runs = db.open_tree("runs").map_err(&open_tree)?;
        let meta = db.open_tree("meta").map_err(&open_tree)?;
        let http = db.open_tree("http").map_err(&open_tree)?;
        match meta
            .get(META_SCHEMA)
            .map_err(engine("reading the schema version"))?
        {
            Some(v) => {
                let found = v
                    .as_ref()
                    .try_into()
                    .map(u32::from_be_bytes)
                    .unwrap_or(u32::MAX);
                if found == UPGRADABLE_SCHEMA {
                    upgrade::mark_for_recount(&main, &meta)?;
                } else if found != SCHEMA_VERSION {
                    return Err(StoreError::Schema {
                        dir: shown,
                        found,
                        expected: SCHEMA_VERSION,
                    });
                }
            }
            None => {
                meta.insert(META_SCHEMA, &SCHEMA_VERSION.to_be_bytes())
                    .map_err(engine("writing the schema version"))?;
            }
        }
        let texts = TextLog::open(dir)?;
        let mut names = Names::default();
        for entry in main.scan_prefix([keys::NAME]) {
            let (k, v) = entry.map_err(engine("reading the interned names"))?;
            let corrupt = || StoreError::Corrupt {
                key: String::from_utf8_lossy(&k).into_owned(),
                damage: Damage::Name,
            };
            let id = u32::from_be_bytes(v.as_ref().try_into().map_err(|_| corrupt())?);
            let name = std::str::from_utf8(&k[2..]).map_err(|_| corrupt())?;
            names.insert(k[1], name, id);
        }
        let mut store = SledStore {
            dir: dir.to_path_buf(),
            db,
            main,
            runs,
            meta,
            texts,
            http,
            index: RwLock::new(None),
            names: RwLock::new(names),
            cache: Mutex::new(CountCache::default()),
            writer: Mutex::new(()),
            generation: AtomicU64::new(opening_generation()),
            swap: RwLock::new(()),
            sums: sums::SumCache::default(),
            rules,
            recovered: false,
        };
        if store
            .main
            .contains_key(DIRTY_KEY)
            .map_err(engine("reading the dirty marker"))?
        {
            let n = store.posting_count()?;
            tracing::warn!(
                dir = %store.dir.display(),
                postings = n,
                "The last process stopped before writing its counts; recounting from the stored postings."
            );
            store.rebuild(None, &mut |_| {})?;
            store.recovered = true;
        }
        Ok(store)
    }

    /// Copies the database in `dir` (which no process has open) into a
    /// fresh one and swaps it in, giving back the space that rewrites left
    /// in sled's files (`reindex` does it after rewriting everything). The
    /// text log is left as it is. Returns the sizes of sled's files before
    /// and after.
    pub fn compact(dir: &Path, cache_mb: u64) -> Result<Compacted, StoreError> {
        compact::compact(dir, cache_mb)
    }

    /// Whether opening had to recount: the last process stopped (crashed,
    /// or was killed) with counts not yet written.
    pub fn recovered_on_open(&self) -> bool {
        self.recovered
    }

    /// The database directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Approximate memory held by the in-memory posting index, once built.
    pub fn index_heap_bytes(&self) -> Result<Option<usize>, StoreError> {
        Ok(self
            .index
            .read()
            .map_err(poisoned)?
            .as_ref()
            .map(PostingIndex::heap_bytes))
    }

    /// Every counter, sorted by skill, geography, counter and day (tests
    /// compare whole stores with it).
    pub fn all_counts(&self) -> Result<Vec<CountRow>, StoreError> {
        let _swap = self.swap.read().map_err(poisoned)?;
        let names = self.names.read().map_err(poisoned)?;
        let mut out = Vec::new();
        for entry in self.main.scan_prefix([keys::COUNT]) {
            let (k, v) = entry.map_err(engine("reading the counters"))?;
            let bad = || StoreError::Corrupt {
                key: format!("{:02x?}", k.as_ref()),
                damage: Damage::Counter,
            };
            let (s, g, tag, year) = keys::parse_count(&k).ok_or_else(bad)?;
            let skill = SkillId::parse(names.by_id.get(&s).ok_or_else(bad)?).map_err(|_| bad())?;
            let geo = GeoCode::parse(names.by_id.get(&g).ok_or_else(bad)?).map_err(|_| bad())?;
            let counter = Counter::from_tag(tag).ok_or_else(bad)?;
            for (day, value) in keys::year_days(year, &v).ok_or_else(bad)? {
                out.push(CountRow {
                    skill: skill.clone(),
                    geo: geo.clone(),
                    counter,
                    day,
                    value: i64::from(value),
                });
            }
        }
        out.sort();
        Ok(out)
    }

    /// Decodes a posting record (its text stays in the text log).
    fn decode_posting(&self, key: &[u8], bytes: &[u8]) -> Result<(Posting, TextRef), StoreError> {
        let names = self.names.read().map_err(poisoned)?;
        record::decode(bytes, &*names).map_err(|why| StoreError::Corrupt {
            key: format!("posting {key:02x?}"),
            damage: Damage::Record(why),
        })
    }

    /// Encodes a posting record into `batch` under `key`. The batch must
    /// also get [`put_names`](Self::put_names) before it is applied.
    fn put_record(
        &self,
        batch: &mut sled::Batch,
        key: &[u8],
        p: &Posting,
        text: TextRef,
    ) -> Result<(), StoreError> {
        let mut names = self.names.write().map_err(poisoned)?;
        batch.insert(key, record::encode(p, text, &mut *names));
        Ok(())
    }

    /// Adds to `batch` every name numbered but not yet written (by its
    /// records, or by counts not yet flushed): a record is never written
    /// without the names it refers to, or a crash before the next counts
    /// would leave it unreadable. The names are written again, harmlessly,
    /// with the next counts.
    fn put_names(&self, batch: &mut sled::Batch) -> Result<(), StoreError> {
        let names = self.names.read().map_err(poisoned)?;
        for new in &names.pending {
            batch.insert(keys::name(new.kind, &new.name), &new.id.to_be_bytes()[..]);
        }
        Ok(())
    }

    /// `p` with its text from the text log.
    fn with_text(&self, (mut p, text): (Posting, TextRef)) -> Result<Posting, StoreError> {
        p.text = self.text_of(&p, text)?;
        Ok(p)
    }

    /// The text of `p` at `text`; damage is an error naming the posting.
    fn text_of(&self, p: &Posting, text: TextRef) -> Result<String, StoreError> {
        self.texts.read(text).map_err(|e| match e {
            StoreError::Corrupt { key, damage } => StoreError::Corrupt {
                key: format!("{key} (posting {})", p.id),
                damage,
            },
            other => other,
        })
    }

    /// A stored posting (with an empty text) and where its text is.
    fn load(
        &self,
        index: &PostingIndex,
        id: PostingId,
    ) -> Result<Option<(Posting, TextRef)>, StoreError> {
        let Some(seq) = index.seq(id) else {
            return Ok(None);
        };
        let key = keys::posting(seq);
        match self
            .main
            .get(key)
            .map_err(engine("reading a posting record"))?
        {
            Some(bytes) => Ok(Some(self.decode_posting(&key, &bytes)?)),
            None => Ok(None),
        }
    }

    fn read_i64(&self, key: &[u8]) -> Result<i64, StoreError> {
        Ok(self
            .main
            .get(key)
            .map_err(engine("reading a number"))?
            .and_then(|v| v.as_ref().try_into().ok().map(i64::from_be_bytes))
            .unwrap_or(0))
    }

    /// The posting index for writing, built from the posting records on
    /// first use, without the by-day list unless [`SledStore::index_listing`]
    /// or [`PostingStore::prepare`] asked for it before.
    fn index_mut(&self) -> Result<RwLockWriteGuard<'_, Option<PostingIndex>>, StoreError> {
        let mut guard = self.index.write().map_err(poisoned)?;
        if guard.is_none() {
            *guard = Some(self.build_index(false)?);
        }
        Ok(guard)
    }

    /// The posting index with its by-day list, for listing the postings
    /// behind a count: built (again, if it was built without the list) from
    /// the posting records under the writer's lock, so that no batch is
    /// half in it.
    pub(super) fn index_listing(
        &self,
    ) -> Result<RwLockReadGuard<'_, Option<PostingIndex>>, StoreError> {
        {
            let guard = self.index.read().map_err(poisoned)?;
            if guard.as_ref().is_some_and(PostingIndex::keeps_days) {
                return Ok(guard);
            }
        }
        {
            let _writer = self.writer.lock().map_err(poisoned)?;
            let mut guard = self.index.write().map_err(poisoned)?;
            if !guard.as_ref().is_some_and(PostingIndex::keeps_days) {
                // The index without the list is dropped first rather than
                // held beside its replacement; should the build fail, the
                // next use builds it again.
                *guard = None;
                *guard = Some(self.build_index(true)?);
            }
        }
        self.index.read().map_err(poisoned)
    }

    /// The posting index for reading (readers share it; a writer holds it
    /// while it ingests a batch).
    fn index_ref(&self) -> Result<RwLockReadGuard<'_, Option<PostingIndex>>, StoreError> {
        {
            let guard = self.index.read().map_err(poisoned)?;
            if guard.is_some() {
                return Ok(guard);
            }
        }
        drop(self.index_mut()?);
        self.index.read().map_err(poisoned)
    }

    /// The posting index of the stored records, with the by-day list when
    /// `with_days`; without it, only each record's header is read (no
    /// masks: nothing would read them).
    fn build_index(&self, with_days: bool) -> Result<PostingIndex, StoreError> {
        let started = std::time::Instant::now();
        let mut index = if with_days {
            PostingIndex::with_days()
        } else {
            PostingIndex::default()
        };
        let names = self.names.read().map_err(poisoned)?;
        for entry in self.main.scan_prefix([keys::POSTING]) {
            let (k, v) = entry.map_err(engine("building the posting index"))?;
            let corrupt = || StoreError::Corrupt {
                key: format!("posting {:02x?}", k.as_ref()),
                damage: Damage::Header,
            };
            let seq = keys::parse_posting(&k).ok_or_else(corrupt)?;
            let (id, fp, posted, masks) = if with_days {
                record::masks(&v, &*names).map_err(|why| StoreError::Corrupt {
                    key: format!("posting {:02x?}", k.as_ref()),
                    damage: Damage::Record(why),
                })?
            } else {
                let (id, fp, posted) = record::header(&v).ok_or_else(corrupt)?;
                (id, fp, posted, Masks::default())
            };
            index.insert_unsorted(id, seq, fp, posted, masks);
        }
        index.sort_days();
        tracing::debug!(
            postings = index.len(),
            with_days,
            mb = index.heap_bytes() >> 20,
            ms = started.elapsed().as_millis() as u64,
            "posting index built"
        );
        Ok(index)
    }
}

impl PostingStore for SledStore {
    fn ingest(&self, postings: &[Posting]) -> Result<IngestOutcome, StoreError> {
        self.ingest_batch(postings)
    }

    fn posting(&self, id: PostingId) -> Result<Option<Posting>, StoreError> {
        let loaded = {
            let index = self.index_ref()?;
            match index.as_ref() {
                Some(index) => self.load(index, id)?,
                None => None,
            }
        };
        loaded.map(|p| self.with_text(p)).transpose()
    }

    fn group(&self, fingerprint: u64) -> Result<Vec<Posting>, StoreError> {
        if fingerprint == 0 {
            return Ok(Vec::new());
        }
        let index = self.index_ref()?;
        let mut out = Vec::new();
        if let Some(index) = index.as_ref() {
            for id in index.group(fingerprint) {
                out.extend(self.load(index, id)?.map(|(p, _)| p));
            }
        }
        Ok(out)
    }

    fn postings(&self) -> Postings<'_> {
        Box::new(PostingWalk {
            store: self,
            scan: self.main.scan_prefix([keys::POSTING]),
            ended: false,
        })
    }

    fn mark_texts_lost(&self, ids: &[PostingId]) -> Result<(), StoreError> {
        let _writer = self.writer.lock().map_err(poisoned)?;
        let index = self.index_ref()?;
        let Some(index) = index.as_ref() else {
            return Ok(());
        };
        let mut batch = sled::Batch::default();
        for id in ids {
            let Some(seq) = index.seq(*id) else { continue };
            let key = keys::posting(seq);
            if let Some(bytes) = self
                .main
                .get(key)
                .map_err(engine("reading a posting record"))?
            {
                let (posting, _) = self.decode_posting(&key, &bytes)?;
                self.put_record(&mut batch, &key, &posting, TextRef::LOST)?;
            }
        }
        self.put_names(&mut batch)?;
        self.main
            .apply_batch(batch)
            .map_err(engine("marking texts lost"))
    }

    fn rebuild(
        &self,
        transform: Option<&dyn Fn(Posting) -> Posting>,
        progress: &mut dyn FnMut(u64),
    ) -> Result<u64, StoreError> {
        self.rebuild_all(transform, progress)
    }

    fn put_postings(&self, postings: &[Posting]) -> Result<(), StoreError> {
        self.put_batch(postings)
    }

    fn mark_seen(&self, ids: &[PostingId], day: Day) -> Result<u64, StoreError> {
        self.mark_seen_batch(ids, day)
    }

    fn posting_count(&self) -> Result<u64, StoreError> {
        Ok(self.read_i64(POSTING_COUNT_KEY)?.max(0) as u64)
    }

    fn prepare(&self) -> Result<(), StoreError> {
        drop(self.index_listing()?);
        Ok(())
    }

    fn cell_page(
        &self,
        cell: &Cell,
        after: Option<CellKey>,
        limit: usize,
    ) -> Result<CellPage, StoreError> {
        self.cell_page_of(cell, after, limit)
    }

    fn replace_counts(&self, counts: &CountDelta) -> Result<(), StoreError> {
        self.replace_all_counts(counts)
    }
}

/// The first generation of an opening: the clock's nanoseconds, so that a
/// reopened store never repeats a generation a client may have kept (the
/// counter then advances by one per flush, far from the next opening's).
fn opening_generation() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(1, |d| d.as_nanos() as u64)
}

impl CountStore for SledStore {
    fn daily(
        &self,
        skill: &SkillId,
        geo: &GeoCode,
        metric: Metric,
        from: Day,
        to: Day,
    ) -> Result<Vec<(Day, i64)>, StoreError> {
        let _swap = self.swap.read().map_err(poisoned)?;
        let Some((skill, geo)) = self.series_ids(skill, geo)? else {
            return Ok(Vec::new());
        };
        let opened = self.counter_days(skill, geo, Counter::Opened, from, to)?;
        if metric == Metric::New {
            return Ok(opened);
        }
        // Active: the daily change is opened − closed.
        let closed = self.counter_days(skill, geo, Counter::Closed, from, to)?;
        Ok(counts::difference(&opened, &closed))
    }

    fn span_values(
        &self,
        skill: &SkillId,
        geo: &GeoCode,
        metric: Metric,
        spans: &[(Day, Day)],
    ) -> Result<Vec<i64>, StoreError> {
        let _swap = self.swap.read().map_err(poisoned)?;
        let Some((skill, geo)) = self.series_ids(skill, geo)? else {
            return Ok(vec![0; spans.len()]);
        };
        let generation = self.generation();
        let series = |counter: Counter| {
            self.sums
                .get_or_load(generation, (skill, geo, counter.tag()), || {
                    self.counter_days(skill, geo, counter, Day::MIN, Day::MAX)
                })
        };
        let opened = series(Counter::Opened)?;
        if metric == Metric::New {
            return Ok(spans
                .iter()
                .map(|&(from, to)| opened.between(from, to))
                .collect());
        }
        // Active: what opened up to the span's last day, less what closed.
        let closed = series(Counter::Closed)?;
        Ok(spans
            .iter()
            .map(|&(_, to)| opened.through(to) - closed.through(to))
            .collect())
    }

    fn rules(&self) -> CountRules {
        self.rules
    }

    fn generation(&self) -> u64 {
        self.generation.load(Ordering::Acquire)
    }

    fn flush(&self) -> Result<(), StoreError> {
        {
            let _writer = self.writer.lock().map_err(poisoned)?;
            self.flush_counts(false)?;
        }
        self.texts.sync()?;
        self.db.flush().map_err(engine("flushing the database"))?;
        Ok(())
    }
}

impl RunLog for SledStore {
    fn record_run(&self, report: &RunReport) -> Result<(), StoreError> {
        let source = report.source.as_ref().map_or("", SourceId::as_str);
        let mut key = source.as_bytes().to_vec();
        key.push(0);
        key.extend_from_slice(report.started_at.as_bytes());
        let bytes = serde_json::to_vec(report).map_err(|source| StoreError::Encode {
            what: "a run report",
            source,
        })?;
        self.runs
            .insert(key, bytes)
            .map_err(engine("writing a run report"))?;
        Ok(())
    }

    fn runs(&self, source: &SourceId, n: usize) -> Result<Vec<RunReport>, StoreError> {
        let mut prefix = source.as_str().as_bytes().to_vec();
        prefix.push(0);
        self.runs
            .scan_prefix(prefix)
            .rev()
            .take(n)
            .map(|entry| {
                let (k, v) = entry.map_err(engine("reading run reports"))?;
                serde_json::from_slice(&v).map_err(|e| StoreError::Corrupt {
                    key: String::from_utf8_lossy(&k).into_owned(),
                    damage: Damage::Json(e),
                })
            })
            .collect()
    }

    fn run_sources(&self) -> Result<Vec<SourceId>, StoreError> {
        // Keys are `source 0x00 started_at`: one look-up per source, each
        // starting past the previous source's keys (`source 0x01`).
        let mut sources = Vec::new();
        let mut from = Vec::new();
        while let Some(entry) = self.runs.range(from.as_slice()..).next() {
            let (key, _) = entry.map_err(engine("listing the sources of run reports"))?;
            let name = key.split(|b| *b == 0).next().unwrap_or_default();
            if let Some(id) = std::str::from_utf8(name)
                .ok()
                .and_then(|n| SourceId::parse(n).ok())
            {
                sources.push(id);
            }
            from = name.to_vec();
            from.push(1);
        }
        Ok(sources)
    }
}

impl PageCache for SledStore {
    fn page_validators(&self, url: &str) -> Result<Option<Validators>, StoreError> {
        match self
            .http
            .get(url.as_bytes())
            .map_err(engine("reading page validators"))?
        {
            Some(v) => serde_json::from_slice(&v)
                .map(Some)
                .map_err(|e| StoreError::Corrupt {
                    key: format!("http/{url}"),
                    damage: Damage::Json(e),
                }),
            None => Ok(None),
        }
    }

    fn set_page_validators(&self, url: &str, validators: &Validators) -> Result<(), StoreError> {
        let bytes = serde_json::to_vec(validators).map_err(|source| StoreError::Encode {
            what: "page validators",
            source,
        })?;
        self.http
            .insert(url.as_bytes(), bytes)
            .map_err(engine("writing page validators"))?;
        Ok(())
    }
}

impl MetaStore for SledStore {
    fn data_fingerprint(&self) -> Result<Option<u64>, StoreError> {
        Ok(self
            .meta
            .get(META_DATA_FINGERPRINT)
            .map_err(engine("reading the data fingerprint"))?
            .and_then(|v| v.as_ref().try_into().ok().map(u64::from_be_bytes)))
    }

    fn set_data_fingerprint(&self, fingerprint: u64) -> Result<(), StoreError> {
        self.meta
            .insert(META_DATA_FINGERPRINT, &fingerprint.to_be_bytes())
            .map_err(engine("writing the data fingerprint"))?;
        Ok(())
    }

    fn counts_snapshot(&self) -> Result<Option<String>, StoreError> {
        Ok(self
            .main
            .get(SNAPSHOT_KEY)
            .map_err(engine("reading the counts snapshot id"))?
            .map(|v| String::from_utf8_lossy(&v).into_owned()))
    }

    fn set_counts_snapshot(&self, id: &str) -> Result<(), StoreError> {
        let _writer = self.writer.lock().map_err(poisoned)?;
        self.main
            .insert(SNAPSHOT_KEY, id.as_bytes())
            .map_err(engine("writing the counts snapshot id"))?;
        self.main
            .flush()
            .map_err(engine("writing the counts snapshot id"))?;
        Ok(())
    }
}

/// The walk of [`PostingStore::postings`]: one posting record at a time,
/// with its text.
struct PostingWalk<'a> {
    store: &'a SledStore,
    scan: sled::Iter,
    /// Set after an error that ends the walk.
    ended: bool,
}

impl PostingWalk<'_> {
    /// The next record's posting, with its text when it can be read.
    fn read(&self, entry: sled::Result<(sled::IVec, sled::IVec)>) -> Result<Posting, StoreError> {
        let (k, v) = entry.map_err(engine("walking the postings"))?;
        let (mut posting, text) = self.store.decode_posting(&k, &v)?;
        match self.store.text_of(&posting, text) {
            Ok(text) => {
                posting.text = text;
                Ok(posting)
            }
            Err(cause @ StoreError::Corrupt { .. }) => {
                Err(StoreError::UnreadableText(Box::new(UnreadableText {
                    posting,
                    cause,
                })))
            }
            Err(other) => Err(other),
        }
    }
}

impl Iterator for PostingWalk<'_> {
    type Item = Result<Posting, StoreError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.ended {
            return None;
        }
        let entry = self.scan.next()?;
        let read = self.read(entry);
        if matches!(read, Err(ref e) if !matches!(e, StoreError::UnreadableText(_))) {
            self.ended = true;
        }
        Some(read)
    }
}
