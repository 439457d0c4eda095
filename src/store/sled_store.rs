//! The sled implementation of [`Store`]: the only file that imports sled.
//!
//! Trees: the `main` tree holds posting records (see [`record`]), counters,
//! interned names and markers (see [`keys`]); `runs` holds run reports; `http`
//! conditional-GET validators by URL (JSON); `meta` the schema version and
//! the fingerprint of the data counts were computed with. Description texts
//! are not in sled but in the [text log](super::texts) next to it, and the
//! duplicate index is [in memory](super::index). Writers are serialized by a
//! mutex (one process owns the database); readers never block.
//!
//! ## Counts are written behind, and recovered by recounting
//! Writing every counter change of every posting would cost ~100 random
//! read-modify-writes per posting. Instead a batch of postings is written
//! atomically with a `Mdirty` marker, and its counter changes are aggregated
//! in memory; [`Store::flush`] (after each collected page, at the end of an
//! import, or when the cache grows past [`MAX_CACHED_RECORDS`]) applies them
//! to the per-year counter records in batches of [`FLUSH_CHUNK`], the last of
//! which removes the marker. If the process dies before, the marker is still
//! there at the next open,
//! and every count is recomputed from the stored postings before the store is
//! used. So a crash never leaves counts that disagree with the postings, and
//! re-running an import repairs the postings it did not store.

use std::borrow::Cow;
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::sync::{Mutex, RwLock, RwLockReadGuard, RwLockWriteGuard};

use rustc_hash::FxHashMap;

use super::counting::{self, CountRules, Counter};
use super::index::PostingIndex;
use super::texts::{TextLog, TextRef};
use super::{keys, record, CountRow, IngestOutcome, Metric, Store, StoreError};
use crate::domain::{Day, GeoCode, PostingId, SkillId, SourceId};
use crate::fetch::conditional::Validators;
use crate::normalize::{dedup, Posting};
use crate::report::RunReport;

/// Version of the on-disk layout this build reads and writes.
pub const SCHEMA_VERSION: u32 = 2;

/// Default page cache size.
pub const DEFAULT_CACHE_MB: u64 = 32;

/// Year records (366 days each, ~1.5 KB) held in memory before they are written.
pub const MAX_CACHED_RECORDS: usize = 20_000;

/// Counter records per batch when the cache is written.
pub const FLUSH_CHUNK: usize = 2_000;

const META_SCHEMA: &[u8] = b"schema_version";
const META_DATA_FINGERPRINT: &[u8] = b"data_fingerprint";
const POSTING_COUNT_KEY: &[u8] = b"Mpostings";
const DIRTY_KEY: &[u8] = b"Mdirty";

/// Bits of an interned id in a packed record key.
const ID_BITS: u32 = 24;
const ID_MASK: u64 = (1 << ID_BITS) - 1;
/// Offset making years non-negative in a packed record key.
const YEAR_OFFSET: i32 = 1 << 14;

/// Interned names, mirrored in memory.
#[derive(Default)]
struct Names {
    skills: FxHashMap<String, u32>,
    geos: FxHashMap<String, u32>,
    by_id: FxHashMap<u32, String>,
    next: u32,
    /// Assigned but not yet persisted (written with the next counts).
    pending: Vec<(u8, String, u32)>,
}

impl Names {
    fn map(&self, kind: u8) -> &FxHashMap<String, u32> {
        if kind == keys::NAME_SKILL {
            &self.skills
        } else {
            &self.geos
        }
    }

    fn get(&self, kind: u8, name: &str) -> Option<u32> {
        self.map(kind).get(name).copied()
    }

    fn insert(&mut self, kind: u8, name: &str, id: u32) {
        let map = if kind == keys::NAME_SKILL {
            &mut self.skills
        } else {
            &mut self.geos
        };
        map.insert(name.to_owned(), id);
        self.by_id.insert(id, name.to_owned());
        self.next = self.next.max(id + 1);
    }

    fn get_or_assign(&mut self, kind: u8, name: &str) -> u32 {
        if let Some(id) = self.get(kind, name) {
            return id;
        }
        let id = self.next;
        self.insert(kind, name, id);
        self.pending.push((kind, name.to_owned(), id));
        id
    }
}

/// Counter changes not yet written, one dense year per record.
#[derive(Default)]
struct CountCache {
    /// Packed (skill, geo, counter, year) → change per day of year (index 0 = 1 January).
    records: FxHashMap<u64, Box<[i32; 366]>>,
    /// Whether the `Mdirty` marker is on disk for the changes held here.
    marked: bool,
}

impl CountCache {
    fn add(&mut self, record: u64, ordinal: u16, change: i32) {
        let days = self
            .records
            .entry(record)
            .or_insert_with(|| Box::new([0; 366]));
        days[usize::from(ordinal.clamp(1, 366)) - 1] += change;
    }
}

/// One counter change: packed record, day of year, change.
type Event = (u64, u16, i32);

fn pack_record(skill: u32, geo: u32, counter: Counter, year: i32) -> Result<u64, StoreError> {
    let y = year + YEAR_OFFSET;
    if u64::from(skill) > ID_MASK || u64::from(geo) > ID_MASK || !(0..(1 << 15)).contains(&y) {
        return Err(StoreError::Engine(format!(
            "counter out of range: skill #{skill}, geo #{geo}, year {year}"
        )));
    }
    let c = u64::from(counter == Counter::Closed);
    Ok((u64::from(skill) << 40) | (u64::from(geo) << 16) | (c << 15) | y as u64)
}

fn unpack_record(k: u64) -> (u32, u32, Counter, i32) {
    let skill = ((k >> 40) & ID_MASK) as u32;
    let geo = ((k >> 16) & ID_MASK) as u32;
    let counter = if (k >> 15) & 1 == 1 {
        Counter::Closed
    } else {
        Counter::Opened
    };
    let year = (k & 0x7fff) as i32 - YEAR_OFFSET;
    (skill, geo, counter, year)
}

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
    names: Mutex<Names>,
    cache: Mutex<CountCache>,
    writer: Mutex<()>,
    rules: CountRules,
}

fn engine(e: sled::Error) -> StoreError {
    StoreError::Engine(e.to_string())
}

fn poisoned<T>(_: T) -> StoreError {
    StoreError::Engine("a lock was poisoned by a panicked writer".into())
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
        std::fs::create_dir_all(dir).map_err(|e| StoreError::Open {
            dir: shown.clone(),
            cause: e.to_string(),
        })?;
        let db = sled::Config::new()
            .path(dir)
            .cache_capacity(cache_mb.saturating_mul(1024 * 1024))
            .mode(sled::Mode::HighThroughput)
            .open()
            .map_err(|e| match e {
                sled::Error::Io(ref io)
                    if io.kind() == std::io::ErrorKind::WouldBlock
                        || io.to_string().contains("lock") =>
                {
                    StoreError::Locked { dir: shown.clone() }
                }
                other => StoreError::Open {
                    dir: shown.clone(),
                    cause: other.to_string(),
                },
            })?;
        let main = db.open_tree("main").map_err(engine)?;
        let runs = db.open_tree("runs").map_err(engine)?;
        let meta = db.open_tree("meta").map_err(engine)?;
        let http = db.open_tree("http").map_err(engine)?;
        match meta.get(META_SCHEMA).map_err(engine)? {
            Some(v) => {
                let found = v
                    .as_ref()
                    .try_into()
                    .map(u32::from_be_bytes)
                    .unwrap_or(u32::MAX);
                if found != SCHEMA_VERSION {
                    return Err(StoreError::Schema {
                        dir: shown,
                        found,
                        expected: SCHEMA_VERSION,
                    });
                }
            }
            None => {
                meta.insert(META_SCHEMA, &SCHEMA_VERSION.to_be_bytes())
                    .map_err(engine)?;
            }
        }
        let texts = TextLog::open(dir)?;
        let mut names = Names::default();
        for entry in main.scan_prefix([keys::NAME]) {
            let (k, v) = entry.map_err(engine)?;
            let corrupt = || StoreError::Corrupt {
                key: String::from_utf8_lossy(&k).into_owned(),
                cause: "bad interned name".into(),
            };
            let id = u32::from_be_bytes(v.as_ref().try_into().map_err(|_| corrupt())?);
            let name = std::str::from_utf8(&k[2..]).map_err(|_| corrupt())?;
            names.insert(k[1], name, id);
        }
        let store = SledStore {
            dir: dir.to_path_buf(),
            db,
            main,
            runs,
            meta,
            texts,
            http,
            index: RwLock::new(None),
            names: Mutex::new(names),
            cache: Mutex::new(CountCache::default()),
            writer: Mutex::new(()),
            rules,
        };
        if store.main.contains_key(DIRTY_KEY).map_err(engine)? {
            let n = store.posting_count()?;
            tracing::warn!(
                dir = %store.dir.display(),
                postings = n,
                "The last process stopped before writing its counts; recounting from the stored postings."
            );
            store.rebuild(None, &mut |_| {})?;
        }
        Ok(store)
    }

    /// The database directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The data fingerprint the counts were computed with, if recorded.
    pub fn data_fingerprint(&self) -> Result<Option<u64>, StoreError> {
        Ok(self
            .meta
            .get(META_DATA_FINGERPRINT)
            .map_err(engine)?
            .and_then(|v| v.as_ref().try_into().ok().map(u64::from_be_bytes)))
    }

    /// Records the data fingerprint the counts are computed with.
    pub fn set_data_fingerprint(&self, fp: u64) -> Result<(), StoreError> {
        self.meta
            .insert(META_DATA_FINGERPRINT, &fp.to_be_bytes())
            .map_err(engine)?;
        Ok(())
    }

    /// Decodes a posting record (its text stays in the text log).
    fn decode_posting(key: &[u8], bytes: &[u8]) -> Result<(Posting, TextRef), StoreError> {
        let corrupt = |cause: String| StoreError::Corrupt {
            key: format!("posting {key:02x?}"),
            cause,
        };
        record::decode(bytes).map_err(corrupt)
    }

    /// `p` with its text from the text log.
    fn with_text(&self, (mut p, text): (Posting, TextRef)) -> Result<Posting, StoreError> {
        p.text = self.texts.read(text).map_err(|e| match e {
            StoreError::Corrupt { key, cause } => StoreError::Corrupt {
                key: format!("{key} (posting {})", p.id),
                cause,
            },
            other => other,
        })?;
        Ok(p)
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
        match self.main.get(key).map_err(engine)? {
            Some(bytes) => Ok(Some(Self::decode_posting(&key, &bytes)?)),
            None => Ok(None),
        }
    }

    fn read_i64(&self, key: &[u8]) -> Result<i64, StoreError> {
        Ok(self
            .main
            .get(key)
            .map_err(engine)?
            .and_then(|v| v.as_ref().try_into().ok().map(i64::from_be_bytes))
            .unwrap_or(0))
    }

    /// The posting index for writing, built from the posting records on
    /// first use.
    fn index_mut(&self) -> Result<RwLockWriteGuard<'_, Option<PostingIndex>>, StoreError> {
        let mut guard = self.index.write().map_err(poisoned)?;
        if guard.is_none() {
            *guard = Some(self.build_index()?);
        }
        Ok(guard)
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

    fn build_index(&self) -> Result<PostingIndex, StoreError> {
        let started = std::time::Instant::now();
        let mut index = PostingIndex::default();
        for entry in self.main.scan_prefix([keys::POSTING]) {
            let (k, v) = entry.map_err(engine)?;
            let corrupt = || StoreError::Corrupt {
                key: format!("posting {:02x?}", k.as_ref()),
                cause: "bad key or record header".into(),
            };
            let seq = keys::parse_posting(&k).ok_or_else(corrupt)?;
            let (id, fp, posted) = record::header(&v).ok_or_else(corrupt)?;
            index.insert(id, seq, fp, posted);
        }
        tracing::debug!(
            postings = index.len(),
            ms = started.elapsed().as_millis() as u64,
            "posting index built"
        );
        Ok(index)
    }

    /// Appends `sign` × the counter changes of a cluster to `events`,
    /// resolving each skill and geography once.
    fn cluster_events(
        &self,
        cluster: &[&Posting],
        sign: i64,
        names: &mut Names,
        events: &mut Vec<Event>,
    ) -> Result<(), StoreError> {
        let Some(c) = counting::contribution(cluster, &self.rules) else {
            return Ok(());
        };
        let skills: Vec<u32> = c
            .skills
            .iter()
            .map(|s| names.get_or_assign(keys::NAME_SKILL, s.as_str()))
            .collect();
        let geos: Vec<u32> = c
            .geos
            .iter()
            .map(|g| names.get_or_assign(keys::NAME_GEO, g.as_str()))
            .collect();
        let (open_year, open_day) = keys::year_and_ordinal(c.opened);
        let (close_year, close_day) = keys::year_and_ordinal(c.closed);
        let change = sign as i32;
        for &g in &geos {
            for &s in &skills {
                events.push((
                    pack_record(s, g, Counter::Opened, open_year)?,
                    open_day,
                    change,
                ));
                events.push((
                    pack_record(s, g, Counter::Closed, close_year)?,
                    close_day,
                    change,
                ));
            }
        }
        Ok(())
    }

    /// Adds events to the cache (after the postings they come from are
    /// stored); true when the cache should be written.
    fn cache_events(&self, events: Vec<Event>) -> Result<bool, StoreError> {
        let mut cache = self.cache.lock().map_err(poisoned)?;
        for (record, ordinal, change) in events {
            cache.add(record, ordinal, change);
        }
        Ok(cache.records.len() >= MAX_CACHED_RECORDS)
    }

    /// Writes every cached counter change to the per-year records (the
    /// pending names with the first batch); the last batch removes the dirty
    /// marker unless a rebuild is still under way (`keep_dirty`).
    fn flush_counts(&self, keep_dirty: bool) -> Result<(), StoreError> {
        let mut names = self.names.lock().map_err(poisoned)?;
        let mut cache = self.cache.lock().map_err(poisoned)?;
        if cache.records.is_empty() && names.pending.is_empty() && !cache.marked {
            return Ok(());
        }
        let mut records: Vec<(u64, Box<[i32; 366]>)> = cache.records.drain().collect();
        records.sort_unstable_by_key(|(k, _)| *k);
        // Written in chunks, so a flush never holds every new value at once;
        // the names go with the first chunk, and the dirty marker goes away
        // with the last, so a crash in between still means a recount.
        let mut batch = sled::Batch::default();
        for (kind, name, id) in &names.pending {
            batch.insert(keys::name(*kind, name), &id.to_be_bytes()[..]);
        }
        let mut in_batch = 0;
        for (record, days) in records {
            let changes: Vec<(u16, i32)> = days
                .iter()
                .enumerate()
                .filter(|(_, v)| **v != 0)
                .map(|(i, v)| (i as u16 + 1, *v))
                .collect();
            drop(days);
            if changes.is_empty() {
                continue;
            }
            let (skill, geo, counter, year) = unpack_record(record);
            let key = keys::count(skill, geo, counter.tag(), year);
            let values = match self.main.get(key).map_err(engine)? {
                Some(v) => keys::decode_year_values(&v).ok_or_else(|| StoreError::Corrupt {
                    key: format!("{key:02x?}"),
                    cause: "bad counter record".into(),
                })?,
                None => Vec::new(),
            };
            let values = merge_values(&values, &changes);
            if values.is_empty() {
                batch.remove(&key[..]);
            } else {
                batch.insert(&key[..], keys::encode_year_values(&values));
            }
            in_batch += 1;
            if in_batch >= FLUSH_CHUNK {
                self.main
                    .apply_batch(std::mem::take(&mut batch))
                    .map_err(engine)?;
                in_batch = 0;
            }
        }
        if !keep_dirty {
            batch.remove(DIRTY_KEY);
        }
        self.main.apply_batch(batch).map_err(engine)?;
        names.pending.clear();
        cache.records.shrink_to(1024);
        if !keep_dirty {
            cache.marked = false;
        }
        Ok(())
    }

    /// Recounts everything from the stored postings (counters must be empty).
    ///
    /// One pass over the posting records in key order counts every posting
    /// that is alone under its fingerprint (nearly all of them) as its own
    /// cluster; then each shared fingerprint's group is loaded and clustered.
    fn recount(&self, progress: &mut dyn FnMut(u64)) -> Result<(), StoreError> {
        let index = self.index_ref()?;
        let index = index.as_ref().ok_or_else(|| {
            StoreError::Engine("the posting index is missing during a recount".into())
        })?;
        let mut done = 0u64;
        let add = |postings: &[Posting], grouped: bool| -> Result<bool, StoreError> {
            let mut events = Vec::new();
            {
                let mut names = self.names.lock().map_err(poisoned)?;
                let refs: Vec<&Posting> = postings.iter().collect();
                if grouped {
                    for cluster in counting::clusters(&refs, &self.rules) {
                        self.cluster_events(&cluster, 1, &mut names, &mut events)?;
                    }
                } else {
                    for p in &refs {
                        self.cluster_events(&[p], 1, &mut names, &mut events)?;
                    }
                }
            }
            self.cache_events(events)
        };
        let mut singles = Vec::with_capacity(1024);
        let mut flush_singles = |singles: &mut Vec<Posting>, done: &mut u64| {
            let full = add(singles, false)?;
            *done += singles.len() as u64;
            singles.clear();
            if full {
                self.flush_counts(true)?;
                progress(*done);
            }
            Ok::<(), StoreError>(())
        };
        for entry in self.main.scan_prefix([keys::POSTING]) {
            let (k, v) = entry.map_err(engine)?;
            if record::header(&v).is_some_and(|(_, fp, _)| index.is_shared(fp)) {
                continue;
            }
            singles.push(Self::decode_posting(&k, &v)?.0);
            if singles.len() >= 1024 {
                flush_singles(&mut singles, &mut done)?;
            }
        }
        flush_singles(&mut singles, &mut done)?;
        // Groups that can merge.
        for fp in index.shared_fingerprints() {
            let mut group = Vec::new();
            for id in index.group(fp) {
                group.extend(self.load(index, id)?.map(|(p, _)| p));
            }
            let full = add(&group, true)?;
            done += group.len() as u64;
            if full {
                self.flush_counts(true)?;
                progress(done);
            }
        }
        self.flush_counts(true)?;
        progress(done);
        Ok(())
    }

    /// Rewrites every posting through `transform`, keeping the posting index
    /// in step, and compacts the text log on the way: every text is copied
    /// into a new generation (dead copies of changed texts are left behind)
    /// and the older files are deleted by [`Store::rebuild`] once the records
    /// pointing to the copies are flushed. Returns the number of postings
    /// read and the new generation.
    fn transform_postings(
        &self,
        transform: &dyn Fn(Posting) -> Posting,
    ) -> Result<(u64, u16), StoreError> {
        let mut index = self.index_mut()?;
        let index = index.as_mut().ok_or_else(|| {
            StoreError::Engine("the posting index is missing during a rewrite".into())
        })?;
        let generation = self.texts.start_generation()?;
        let mut rewritten = 0u64;
        let mut unreadable = 0u64;
        let mut batch = sled::Batch::default();
        let mut moves = Vec::new();
        for entry in self.main.scan_prefix([keys::POSTING]) {
            let (k, v) = entry.map_err(engine)?;
            let (old, old_text) = Self::decode_posting(&k, &v)?;
            let id = old.id;
            let (new, text) = match self.with_text((old.clone(), old_text)) {
                Ok(old) => {
                    let new = transform(old);
                    let text = self.texts.append(&new.text)?;
                    (new, text)
                }
                // A text already lost cannot be normalized again: the
                // posting keeps what it had, and its text is written anew
                // when it is collected again.
                Err(StoreError::Corrupt { key, cause }) => {
                    unreadable += 1;
                    tracing::warn!(posting = %id, %key, %cause, "text unreadable; posting kept as it was");
                    (old.clone(), old_text)
                }
                Err(other) => return Err(other),
            };
            batch.insert(k, record::encode(&new, text));
            moves.push((id, old.fingerprint, new.fingerprint, new.posted));
            rewritten += 1;
            if moves.len() >= 1000 {
                self.apply_rewrites(std::mem::take(&mut batch), &mut moves, index)?;
            }
        }
        self.apply_rewrites(batch, &mut moves, index)?;
        if unreadable > 0 {
            tracing::warn!(
                postings = unreadable,
                "postings whose text could not be read were not normalized again"
            );
        }
        Ok((rewritten, generation))
    }

    /// Applies a batch of rewritten posting records (their texts written out
    /// first) and moves them in the index.
    fn apply_rewrites(
        &self,
        batch: sled::Batch,
        moves: &mut Vec<(PostingId, u64, u64, Day)>,
        index: &mut PostingIndex,
    ) -> Result<(), StoreError> {
        self.texts.write_out()?;
        self.main.apply_batch(batch).map_err(engine)?;
        for (id, old, new, posted) in moves.drain(..) {
            index.relink(id, old, new, posted);
        }
        Ok(())
    }

    /// Daily values of one stored counter series.
    fn counter_days(
        &self,
        skill: u32,
        geo: u32,
        counter: Counter,
        from: Day,
        to: Day,
    ) -> Result<Vec<(Day, i64)>, StoreError> {
        let (from_year, _) = keys::year_and_ordinal(from);
        let (to_year, _) = keys::year_and_ordinal(to);
        let start = keys::count(skill, geo, counter.tag(), from_year);
        let end = keys::count(skill, geo, counter.tag(), to_year);
        let mut out = Vec::new();
        for entry in self.main.range(start..=end) {
            let (k, v) = entry.map_err(engine)?;
            let bad = || StoreError::Corrupt {
                key: format!("{:02x?}", k.as_ref()),
                cause: "bad counter record".into(),
            };
            let (_, _, _, year) = keys::parse_count(&k).ok_or_else(bad)?;
            for (ordinal, value) in keys::decode_year_values(&v).ok_or_else(bad)? {
                let day = keys::day_of(year, ordinal).ok_or_else(bad)?;
                if day >= from && day <= to {
                    out.push((day, i64::from(value)));
                }
            }
        }
        Ok(out)
    }
}

/// Adds sorted `changes` (duplicates allowed) into sorted `values`, dropping zeros.
fn merge_values(values: &[(u16, i32)], changes: &[(u16, i32)]) -> Vec<(u16, i32)> {
    let mut out: Vec<(u16, i32)> = Vec::with_capacity(values.len() + changes.len());
    let (mut i, mut j) = (0, 0);
    while i < values.len() || j < changes.len() {
        let next = match (values.get(i), changes.get(j)) {
            (Some(a), Some(b)) if a.0 <= b.0 => {
                i += 1;
                *a
            }
            (Some(_), Some(b)) | (None, Some(b)) => {
                j += 1;
                *b
            }
            (Some(a), None) => {
                i += 1;
                *a
            }
            (None, None) => break,
        };
        match out.last_mut() {
            Some(last) if last.0 == next.0 => last.1 += next.1,
            _ => out.push(next),
        }
    }
    out.retain(|(_, v)| *v != 0);
    out
}

/// The posting to store when `new` is seen again and `old` was stored:
/// first-seen day and a first-seen posting day are kept.
fn merge_seen(old: &Posting, mut new: Posting) -> Posting {
    new.first_seen = old.first_seen.min(new.first_seen);
    new.last_seen = old.last_seen.max(new.last_seen);
    if !new.date_from_source {
        new.posted = old.posted;
    }
    new.content_hash = dedup::content_hash(&new);
    new
}

impl Store for SledStore {
    fn ingest(&self, postings: &[Posting]) -> Result<IngestOutcome, StoreError> {
        let _writer = self.writer.lock().map_err(poisoned)?;
        let mut index = self.index_mut()?;
        let index = index.as_mut().ok_or_else(|| {
            StoreError::Engine("the posting index is missing during an ingest".into())
        })?;
        let mut outcome = IngestOutcome::default();
        // What is stored now for every touched id, and what will be.
        let mut before: FxHashMap<PostingId, Option<(Posting, TextRef)>> = FxHashMap::default();
        let mut after: FxHashMap<PostingId, Cow<'_, Posting>> = FxHashMap::default();
        for posting in postings {
            let previous = match after.get(&posting.id) {
                Some(p) => Some(p.as_ref().clone()),
                None => {
                    let stored = self.load(index, posting.id)?;
                    let previous = stored.as_ref().map(|(p, _)| p.clone());
                    before.insert(posting.id, stored);
                    previous
                }
            };
            let stored = match &previous {
                None => {
                    outcome.new += 1;
                    Cow::Borrowed(posting)
                }
                Some(old) => {
                    let merged = merge_seen(old, posting.clone());
                    let same = old.content_hash == merged.content_hash
                        && old.skills == merged.skills
                        && old.implied_skills == merged.implied_skills
                        && old.places == merged.places;
                    if same {
                        outcome.unchanged += 1;
                    } else {
                        outcome.updated += 1;
                    }
                    Cow::Owned(merged)
                }
            };
            after.insert(stored.id, stored);
        }
        let stored_before = |id: &PostingId| before.get(id).and_then(Option::as_ref);

        // Count changes: every touched duplicate group before and after,
        // aggregated locally, added to the cache once the postings are stored.
        let mut names = self.names.lock().map_err(poisoned)?;
        let mut events: Vec<Event> = Vec::new();
        let mut groups: BTreeSet<u64> = BTreeSet::new();
        // How many postings of the batch touch each fingerprint (before or after).
        let mut touches: FxHashMap<u64, u32> = FxHashMap::default();
        for (id, new) in &after {
            let old = stored_before(id).map(|(p, _)| p);
            for fp in old
                .map(|p| p.fingerprint)
                .into_iter()
                .chain([new.fingerprint])
            {
                *touches.entry(fp).or_default() += 1;
            }
        }
        for (id, new) in &after {
            let old = stored_before(id).map(|(p, _)| p);
            if let Some(old) = old.filter(|p| p.fingerprint == 0) {
                self.cluster_events(&[old], -1, &mut names, &mut events)?;
            }
            let fp = new.fingerprint;
            // A new posting alone in the batch under its fingerprint, with
            // no stored duplicate within the window: a cluster of its own,
            // the group's other clusters unchanged.
            let alone = fp == 0
                || (old.is_none()
                    && touches.get(&fp) == Some(&1)
                    && !index.has_member_near(fp, new.posted, self.rules.dedup_window_days));
            if alone {
                self.cluster_events(&[new], 1, &mut names, &mut events)?;
            } else {
                groups.insert(fp);
            }
            if let Some(old) = old.filter(|p| p.fingerprint != 0) {
                groups.insert(old.fingerprint);
            }
        }
        for fp in groups {
            let stored_ids = index.group(fp);
            let mut loaded: Vec<Posting> = Vec::new();
            for id in &stored_ids {
                if !before.contains_key(id) {
                    loaded.extend(self.load(index, *id)?.map(|(p, _)| p));
                }
            }
            let old_group: Vec<&Posting> = stored_ids
                .iter()
                .filter_map(|id| stored_before(id).map(|(p, _)| p))
                .chain(&loaded)
                .collect();
            let mut new_group: Vec<&Posting> = old_group
                .iter()
                .copied()
                .filter(|p| !after.contains_key(&p.id))
                .collect();
            new_group.extend(
                after
                    .values()
                    .map(|p| p.as_ref())
                    .filter(|p| p.fingerprint == fp),
            );
            for cluster in counting::clusters(&old_group, &self.rules) {
                self.cluster_events(&cluster, -1, &mut names, &mut events)?;
            }
            for cluster in counting::clusters(&new_group, &self.rules) {
                self.cluster_events(&cluster, 1, &mut names, &mut events)?;
            }
        }
        drop(names);

        // Texts first, handed to the OS before any record points to them.
        let mut batch = sled::Batch::default();
        let mut written = Vec::with_capacity(after.len());
        for (id, posting) in &after {
            let text = match stored_before(id) {
                Some((old, text))
                    if old.content_hash == posting.content_hash && self.texts.holds(*text)? =>
                {
                    *text
                }
                _ => self.texts.append(&posting.text)?,
            };
            let seq = match index.seq(*id) {
                Some(seq) => seq,
                None => index.next_seq(),
            };
            batch.insert(&keys::posting(seq)[..], record::encode(posting, text));
            written.push(seq);
        }
        self.texts.write_out()?;
        if outcome.new > 0 {
            let total = self.read_i64(POSTING_COUNT_KEY)? + outcome.new as i64;
            batch.insert(POSTING_COUNT_KEY, &total.to_be_bytes()[..]);
        }
        let marked = self.cache.lock().map_err(poisoned)?.marked;
        let mark = !events.is_empty() && !marked;
        if mark {
            batch.insert(DIRTY_KEY, &[1u8][..]);
        }
        self.main.apply_batch(batch).map_err(engine)?;
        for ((id, posting), seq) in after.iter().zip(written) {
            match stored_before(id) {
                Some((old, _)) => {
                    index.relink(*id, old.fingerprint, posting.fingerprint, posting.posted)
                }
                None => index.insert(*id, seq, posting.fingerprint, posting.posted),
            }
        }
        if mark {
            self.cache.lock().map_err(poisoned)?.marked = true;
        }
        if self.cache_events(events)? {
            self.flush_counts(false)?;
        }
        Ok(outcome)
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

    fn daily(
        &self,
        skill: &SkillId,
        geo: &GeoCode,
        metric: Metric,
        from: Day,
        to: Day,
    ) -> Result<Vec<(Day, i64)>, StoreError> {
        let (skill, geo) = {
            let names = self.names.lock().map_err(poisoned)?;
            match (
                names.get(keys::NAME_SKILL, skill.as_str()),
                names.get(keys::NAME_GEO, geo.as_str()),
            ) {
                (Some(s), Some(g)) => (s, g),
                _ => return Ok(Vec::new()),
            }
        };
        let opened = self.counter_days(skill, geo, Counter::Opened, from, to)?;
        if metric == Metric::New {
            return Ok(opened);
        }
        // Active: the daily change is opened − closed.
        let closed = self.counter_days(skill, geo, Counter::Closed, from, to)?;
        let mut changes: BTreeMap<Day, i64> = opened.into_iter().collect();
        for (day, v) in closed {
            *changes.entry(day).or_insert(0) -= v;
        }
        Ok(changes.into_iter().filter(|(_, v)| *v != 0).collect())
    }

    fn all_counts(&self) -> Result<Vec<CountRow>, StoreError> {
        let names = self.names.lock().map_err(poisoned)?;
        let mut out = Vec::new();
        for entry in self.main.scan_prefix([keys::COUNT]) {
            let (k, v) = entry.map_err(engine)?;
            let bad = || StoreError::Corrupt {
                key: format!("{:02x?}", k.as_ref()),
                cause: "bad counter".into(),
            };
            let (s, g, tag, year) = keys::parse_count(&k).ok_or_else(bad)?;
            let skill = SkillId::parse(names.by_id.get(&s).ok_or_else(bad)?).map_err(|_| bad())?;
            let geo = GeoCode::parse(names.by_id.get(&g).ok_or_else(bad)?).map_err(|_| bad())?;
            let counter = Counter::from_tag(tag).ok_or_else(bad)?;
            for (ordinal, value) in keys::decode_year_values(&v).ok_or_else(bad)? {
                let day = keys::day_of(year, ordinal).ok_or_else(bad)?;
                out.push((skill.clone(), geo.clone(), counter, day, i64::from(value)));
            }
        }
        out.sort_by(|a, b| (&a.0, &a.1, a.2, a.3).cmp(&(&b.0, &b.1, b.2, b.3)));
        Ok(out)
    }

    fn for_each_posting(
        &self,
        f: &mut dyn FnMut(Posting) -> Result<(), StoreError>,
    ) -> Result<u64, StoreError> {
        let mut n = 0;
        for entry in self.main.scan_prefix([keys::POSTING]) {
            let (k, v) = entry.map_err(engine)?;
            f(self.with_text(Self::decode_posting(&k, &v)?)?)?;
            n += 1;
        }
        Ok(n)
    }

    fn rebuild(
        &self,
        transform: Option<&dyn Fn(Posting) -> Posting>,
        progress: &mut dyn FnMut(u64),
    ) -> Result<u64, StoreError> {
        let _writer = self.writer.lock().map_err(poisoned)?;
        // Until the recount is written, the counts are not to be trusted.
        self.main.insert(DIRTY_KEY, &[1u8][..]).map_err(engine)?;
        self.main.flush().map_err(engine)?;
        {
            let mut cache = self.cache.lock().map_err(poisoned)?;
            cache.records.clear();
            cache.marked = true;
        }
        // 1. Every posting through `transform`; the index follows. Without a
        //    transform (a plain recount) postings and texts are not read here.
        let (rewritten, generation) = match transform {
            Some(transform) => {
                let (n, generation) = self.transform_postings(transform)?;
                (n, Some(generation))
            }
            None => (self.posting_count()?, None),
        };
        // 2. Every counter away, then counted again.
        let mut batch = sled::Batch::default();
        for entry in self.main.scan_prefix([keys::COUNT]) {
            let (k, _) = entry.map_err(engine)?;
            batch.remove(k);
        }
        self.main.apply_batch(batch).map_err(engine)?;
        self.recount(progress)?;
        self.flush_counts(false)?;
        self.texts.sync()?;
        self.db.flush().map_err(engine)?;
        if let Some(generation) = generation {
            // Every record now points into `generation` (or at a text already lost).
            self.texts.remove_older_than(generation)?;
        }
        Ok(rewritten)
    }

    fn put_postings(&self, postings: &[Posting]) -> Result<(), StoreError> {
        let _writer = self.writer.lock().map_err(poisoned)?;
        let mut index = self.index_mut()?;
        let index = index.as_mut().ok_or_else(|| {
            StoreError::Engine("the posting index is missing during a restore".into())
        })?;
        let mut batch = sled::Batch::default();
        let mut moves = Vec::with_capacity(postings.len());
        let mut fresh: FxHashMap<PostingId, u64> = FxHashMap::default();
        let mut added = 0i64;
        for p in postings {
            let old_fp = self.load(index, p.id)?.map(|(old, _)| old.fingerprint);
            // A posting twice in one batch keeps the number given the first time.
            let seq = match index.seq(p.id).or_else(|| fresh.get(&p.id).copied()) {
                Some(seq) => seq,
                None => {
                    added += 1;
                    let seq = index.next_seq();
                    fresh.insert(p.id, seq);
                    seq
                }
            };
            let text = self.texts.append(&p.text)?;
            batch.insert(&keys::posting(seq)[..], record::encode(p, text));
            moves.push((p.id, seq, old_fp, p.fingerprint, p.posted));
        }
        self.texts.write_out()?;
        let total = self.read_i64(POSTING_COUNT_KEY)? + added;
        batch.insert(POSTING_COUNT_KEY, &total.to_be_bytes()[..]);
        self.main.apply_batch(batch).map_err(engine)?;
        for (id, seq, old, new, posted) in moves {
            match old {
                Some(old) => index.relink(id, old, new, posted),
                None => index.insert(id, seq, new, posted),
            }
        }
        Ok(())
    }

    fn rules(&self) -> CountRules {
        self.rules
    }

    fn record_run(&self, report: &RunReport) -> Result<(), StoreError> {
        let source = report.source.as_ref().map_or("", SourceId::as_str);
        let mut key = source.as_bytes().to_vec();
        key.push(0);
        key.extend_from_slice(report.started_at.as_bytes());
        let bytes = serde_json::to_vec(report).map_err(|e| StoreError::Engine(e.to_string()))?;
        self.runs.insert(key, bytes).map_err(engine)?;
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
                let (k, v) = entry.map_err(engine)?;
                serde_json::from_slice(&v).map_err(|e| StoreError::Corrupt {
                    key: String::from_utf8_lossy(&k).into_owned(),
                    cause: e.to_string(),
                })
            })
            .collect()
    }

    fn posting_count(&self) -> Result<u64, StoreError> {
        Ok(self.read_i64(POSTING_COUNT_KEY)?.max(0) as u64)
    }

    fn flush(&self) -> Result<(), StoreError> {
        {
            let _writer = self.writer.lock().map_err(poisoned)?;
            self.flush_counts(false)?;
        }
        self.texts.sync()?;
        self.db.flush().map_err(engine)?;
        Ok(())
    }

    fn page_validators(&self, url: &str) -> Result<Option<Validators>, StoreError> {
        match self.http.get(url.as_bytes()).map_err(engine)? {
            Some(v) => serde_json::from_slice(&v)
                .map(Some)
                .map_err(|e| StoreError::Corrupt {
                    key: format!("http/{url}"),
                    cause: e.to_string(),
                }),
            None => Ok(None),
        }
    }

    fn set_page_validators(&self, url: &str, validators: &Validators) -> Result<(), StoreError> {
        let bytes =
            serde_json::to_vec(validators).map_err(|e| StoreError::Engine(e.to_string()))?;
        self.http.insert(url.as_bytes(), bytes).map_err(engine)?;
        Ok(())
    }
}
