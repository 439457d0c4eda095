//! The sled implementation of [`Store`]: the only file that imports sled.
//!
//! Trees: the `main` tree holds postings, the fingerprint index, counters,
//! interned names and the posting count (see [`keys`]) so that one
//! `sled::Batch` writes a page's postings and counts atomically; `runs` holds
//! run reports; `http` conditional-GET validators by URL (JSON); `meta` the
//! schema version, the fingerprint of the data counts
//! were computed with, and a flag while a rebuild is under way. Writers are
//! serialized by a mutex (one process owns the database); readers never block.

use std::collections::{BTreeSet, HashMap};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use super::counting::{self, CountDelta, CountRules};
use super::{keys, CountRow, IngestOutcome, Metric, Store, StoreError};
use crate::domain::{Day, GeoCode, PostingId, SkillId, SourceId};
use crate::fetch::conditional::Validators;
use crate::normalize::{dedup, Posting};
use crate::report::RunReport;

/// Version of the on-disk layout this build reads and writes.
pub const SCHEMA_VERSION: u32 = 1;

/// Default page cache size.
pub const DEFAULT_CACHE_MB: u64 = 64;

/// Postings recounted per applied chunk during a rebuild.
const REBUILD_CHUNK: usize = 20_000;

const META_SCHEMA: &[u8] = b"schema_version";
const META_DATA_FINGERPRINT: &[u8] = b"data_fingerprint";
const META_REBUILDING: &[u8] = b"rebuilding";
const POSTING_COUNT_KEY: &[u8] = b"Mpostings";

/// Interned names, mirrored in memory.
#[derive(Default)]
struct Names {
    ids: HashMap<(u8, String), u32>,
    by_id: HashMap<u32, (u8, String)>,
    next: u32,
    /// Assigned but not yet persisted (written with the next batch).
    pending: Vec<(u8, String, u32)>,
}

impl Names {
    fn get(&self, kind: u8, name: &str) -> Option<u32> {
        self.ids.get(&(kind, name.to_owned())).copied()
    }

    fn get_or_assign(&mut self, kind: u8, name: &str) -> u32 {
        if let Some(id) = self.get(kind, name) {
            return id;
        }
        let id = self.next;
        self.next += 1;
        self.ids.insert((kind, name.to_owned()), id);
        self.by_id.insert(id, (kind, name.to_owned()));
        self.pending.push((kind, name.to_owned(), id));
        id
    }
}

/// A store in a sled database directory.
pub struct SledStore {
    dir: PathBuf,
    db: sled::Db,
    main: sled::Tree,
    runs: sled::Tree,
    meta: sled::Tree,
    http: sled::Tree,
    names: Mutex<Names>,
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
        let mut names = Names::default();
        for entry in main.scan_prefix([keys::NAME]) {
            let (k, v) = entry.map_err(engine)?;
            let corrupt = || StoreError::Corrupt {
                key: String::from_utf8_lossy(&k).into_owned(),
                cause: "bad interned name".into(),
            };
            let id = u32::from_be_bytes(v.as_ref().try_into().map_err(|_| corrupt())?);
            let name = std::str::from_utf8(&k[2..]).map_err(|_| corrupt())?;
            names.ids.insert((k[1], name.to_owned()), id);
            names.by_id.insert(id, (k[1], name.to_owned()));
            names.next = names.next.max(id + 1);
        }
        Ok(SledStore {
            dir: dir.to_path_buf(),
            db,
            main,
            runs,
            meta,
            http,
            names: Mutex::new(names),
            writer: Mutex::new(()),
            rules,
        })
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

    /// True when a rebuild was interrupted: counts are incomplete until
    /// `skilltrack reindex` runs again.
    pub fn rebuild_interrupted(&self) -> Result<bool, StoreError> {
        Ok(self.meta.get(META_REBUILDING).map_err(engine)?.is_some())
    }

    fn decode_posting(key: &[u8], bytes: &[u8]) -> Result<Posting, StoreError> {
        serde_json::from_slice(bytes).map_err(|e| StoreError::Corrupt {
            key: format!("posting {key:02x?}"),
            cause: e.to_string(),
        })
    }

    fn encode_posting(p: &Posting) -> Result<Vec<u8>, StoreError> {
        serde_json::to_vec(p).map_err(|e| StoreError::Engine(e.to_string()))
    }

    fn load(&self, id: PostingId) -> Result<Option<Posting>, StoreError> {
        let key = keys::posting(id);
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

    fn group_ids(&self, fp: u64) -> Result<Vec<PostingId>, StoreError> {
        let mut ids = Vec::new();
        for entry in self.main.scan_prefix(keys::fingerprint_prefix(fp)) {
            let (k, _) = entry.map_err(engine)?;
            if let Some((_, id)) = keys::parse_fingerprint(&k) {
                ids.push(id);
            }
        }
        Ok(ids)
    }

    /// Adds the counter changes of `delta` (read-modify-write) to `batch`.
    fn add_counts(
        &self,
        delta: &CountDelta,
        names: &mut Names,
        batch: &mut sled::Batch,
    ) -> Result<(), StoreError> {
        for (key, change) in delta {
            let skill = names.get_or_assign(keys::NAME_SKILL, key.skill.as_str());
            let geo = names.get_or_assign(keys::NAME_GEO, key.geo.as_str());
            let k = keys::count(skill, geo, key.metric.tag(), key.day);
            let value = self.read_i64(&k)? + change;
            if value == 0 {
                batch.remove(&k[..]);
            } else {
                batch.insert(&k[..], &value.to_be_bytes()[..]);
            }
        }
        for (kind, name, id) in &names.pending {
            batch.insert(keys::name(*kind, name), &id.to_be_bytes()[..]);
        }
        Ok(())
    }

    fn apply(&self, batch: sled::Batch, names: &mut Names) -> Result<(), StoreError> {
        self.main.apply_batch(batch).map_err(engine)?;
        names.pending.clear();
        Ok(())
    }

    /// Recounts everything from the stored postings (counters must be empty).
    fn recount(&self, progress: &mut dyn FnMut(u64)) -> Result<(), StoreError> {
        let mut delta = CountDelta::new();
        let mut pending = 0usize;
        let mut done = 0u64;
        let flush = |delta: &mut CountDelta, pending: &mut usize| -> Result<(), StoreError> {
            counting::compact(delta);
            let mut names = self.names.lock().map_err(poisoned)?;
            let mut batch = sled::Batch::default();
            self.add_counts(delta, &mut names, &mut batch)?;
            self.apply(batch, &mut names)?;
            delta.clear();
            *pending = 0;
            Ok(())
        };
        // Postings that can merge: one group per fingerprint, in index order.
        let mut group: Vec<Posting> = Vec::new();
        let mut current = None;
        for entry in self.main.scan_prefix([keys::FINGERPRINT]) {
            let (k, _) = entry.map_err(engine)?;
            let Some((fp, id)) = keys::parse_fingerprint(&k) else {
                continue;
            };
            if current != Some(fp) {
                let refs: Vec<&Posting> = group.iter().collect();
                counting::add_group(&refs, &self.rules, 1, &mut delta);
                pending += group.len();
                done += group.len() as u64;
                group.clear();
                current = Some(fp);
                if pending >= REBUILD_CHUNK {
                    flush(&mut delta, &mut pending)?;
                    progress(done);
                }
            }
            group.extend(self.load(id)?);
        }
        let refs: Vec<&Posting> = group.iter().collect();
        counting::add_group(&refs, &self.rules, 1, &mut delta);
        done += group.len() as u64;
        // Postings that never merge.
        for entry in self.main.scan_prefix([keys::POSTING]) {
            let (k, v) = entry.map_err(engine)?;
            let p = Self::decode_posting(&k, &v)?;
            if p.fingerprint == 0 {
                counting::add_cluster(&[&p], &self.rules, 1, &mut delta);
                pending += 1;
                done += 1;
                if pending >= REBUILD_CHUNK {
                    flush(&mut delta, &mut pending)?;
                    progress(done);
                }
            }
        }
        flush(&mut delta, &mut pending)?;
        progress(done);
        Ok(())
    }
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
        let mut outcome = IngestOutcome::default();
        // What is stored now for every touched id, and what will be.
        let mut before: HashMap<PostingId, Option<Posting>> = HashMap::new();
        let mut after: HashMap<PostingId, Posting> = HashMap::new();
        for posting in postings {
            let previous = match after.get(&posting.id) {
                Some(p) => Some(p.clone()),
                None => {
                    let stored = self.load(posting.id)?;
                    before.insert(posting.id, stored.clone());
                    stored
                }
            };
            let stored = match &previous {
                None => {
                    outcome.new += 1;
                    posting.clone()
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
                    merged
                }
            };
            after.insert(stored.id, stored);
        }

        // Count changes: every touched duplicate group before and after.
        let mut delta = CountDelta::new();
        let mut groups: BTreeSet<u64> = BTreeSet::new();
        for (id, new) in &after {
            let old = before.get(id).and_then(Option::as_ref);
            for fp in old
                .map(|p| p.fingerprint)
                .into_iter()
                .chain([new.fingerprint])
            {
                if fp != 0 {
                    groups.insert(fp);
                }
            }
            if let Some(old) = old.filter(|p| p.fingerprint == 0) {
                counting::add_cluster(&[old], &self.rules, -1, &mut delta);
            }
            if new.fingerprint == 0 {
                counting::add_cluster(&[new], &self.rules, 1, &mut delta);
            }
        }
        let mut index_changes: Vec<(u64, PostingId, bool)> = Vec::new();
        for fp in groups {
            let stored_ids = self.group_ids(fp)?;
            let mut old_group: Vec<Posting> = Vec::with_capacity(stored_ids.len());
            for id in &stored_ids {
                match before.get(id) {
                    Some(Some(p)) => old_group.push(p.clone()),
                    Some(None) => {}
                    None => old_group.extend(self.load(*id)?),
                }
            }
            let mut new_group: Vec<&Posting> = old_group
                .iter()
                .filter(|p| !after.contains_key(&p.id))
                .collect();
            new_group.extend(after.values().filter(|p| p.fingerprint == fp));
            let old_refs: Vec<&Posting> = old_group.iter().collect();
            counting::group_change(&old_refs, &new_group, &self.rules, &mut delta);
        }
        for (id, new) in &after {
            let old_fp = before
                .get(id)
                .and_then(Option::as_ref)
                .map(|p| p.fingerprint);
            if old_fp != Some(new.fingerprint) {
                if let Some(fp) = old_fp.filter(|fp| *fp != 0) {
                    index_changes.push((fp, *id, false));
                }
                if new.fingerprint != 0 {
                    index_changes.push((new.fingerprint, *id, true));
                }
            }
        }
        counting::compact(&mut delta);

        let mut batch = sled::Batch::default();
        let mut names = self.names.lock().map_err(poisoned)?;
        self.add_counts(&delta, &mut names, &mut batch)?;
        for (fp, id, add) in index_changes {
            let k = keys::fingerprint(fp, id);
            if add {
                batch.insert(&k[..], &[][..]);
            } else {
                batch.remove(&k[..]);
            }
        }
        for posting in after.values() {
            batch.insert(
                &keys::posting(posting.id)[..],
                Self::encode_posting(posting)?,
            );
        }
        if outcome.new > 0 {
            let total = self.read_i64(POSTING_COUNT_KEY)? + outcome.new as i64;
            batch.insert(POSTING_COUNT_KEY, &total.to_be_bytes()[..]);
        }
        self.apply(batch, &mut names)?;
        Ok(outcome)
    }

    fn posting(&self, id: PostingId) -> Result<Option<Posting>, StoreError> {
        self.load(id)
    }

    fn group(&self, fingerprint: u64) -> Result<Vec<Posting>, StoreError> {
        if fingerprint == 0 {
            return Ok(Vec::new());
        }
        let mut out = Vec::new();
        for id in self.group_ids(fingerprint)? {
            out.extend(self.load(id)?);
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
        let start = keys::count(skill, geo, metric.tag(), from);
        let end = keys::count(skill, geo, metric.tag(), to);
        let mut out = Vec::new();
        for entry in self.main.range(start..=end) {
            let (k, v) = entry.map_err(engine)?;
            let bad = |what: &str| StoreError::Corrupt {
                key: format!("{:02x?}", k.as_ref()),
                cause: what.into(),
            };
            let (_, _, _, day) = keys::parse_count(&k).ok_or_else(|| bad("bad counter key"))?;
            let value = v
                .as_ref()
                .try_into()
                .map(i64::from_be_bytes)
                .map_err(|_| bad("bad counter value"))?;
            out.push((day, value));
        }
        Ok(out)
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
            let (s, g, m, day) = keys::parse_count(&k).ok_or_else(bad)?;
            let skill = names.by_id.get(&s).ok_or_else(bad)?;
            let geo = names.by_id.get(&g).ok_or_else(bad)?;
            let metric = Metric::ALL
                .into_iter()
                .find(|x| x.tag() == m)
                .ok_or_else(bad)?;
            let value = v
                .as_ref()
                .try_into()
                .map(i64::from_be_bytes)
                .map_err(|_| bad())?;
            out.push((
                SkillId::parse(&skill.1).map_err(|_| bad())?,
                GeoCode::parse(&geo.1).map_err(|_| bad())?,
                metric,
                day,
                value,
            ));
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
            f(Self::decode_posting(&k, &v)?)?;
            n += 1;
        }
        Ok(n)
    }

    fn rebuild(
        &self,
        transform: &dyn Fn(Posting) -> Posting,
        progress: &mut dyn FnMut(u64),
    ) -> Result<u64, StoreError> {
        let _writer = self.writer.lock().map_err(poisoned)?;
        self.meta
            .insert(META_REBUILDING, &[1u8][..])
            .map_err(engine)?;
        self.meta.flush().map_err(engine)?;
        // 1. Every posting through `transform`; the fingerprint index follows.
        let mut rewritten = 0u64;
        let mut batch = sled::Batch::default();
        let mut in_batch = 0;
        for entry in self.main.scan_prefix([keys::POSTING]) {
            let (k, v) = entry.map_err(engine)?;
            let old = Self::decode_posting(&k, &v)?;
            let new = transform(old.clone());
            if new != old {
                if old.fingerprint != new.fingerprint {
                    if old.fingerprint != 0 {
                        batch.remove(&keys::fingerprint(old.fingerprint, old.id)[..]);
                    }
                    if new.fingerprint != 0 {
                        batch.insert(&keys::fingerprint(new.fingerprint, new.id)[..], &[][..]);
                    }
                }
                batch.insert(k, Self::encode_posting(&new)?);
                in_batch += 1;
            }
            rewritten += 1;
            if in_batch >= 1000 {
                self.main
                    .apply_batch(std::mem::take(&mut batch))
                    .map_err(engine)?;
                in_batch = 0;
            }
        }
        self.main.apply_batch(batch).map_err(engine)?;
        // 2. Every counter away, then counted again.
        let mut batch = sled::Batch::default();
        for entry in self.main.scan_prefix([keys::COUNT]) {
            let (k, _) = entry.map_err(engine)?;
            batch.remove(k);
        }
        self.main.apply_batch(batch).map_err(engine)?;
        self.recount(progress)?;
        self.db.flush().map_err(engine)?;
        self.meta.remove(META_REBUILDING).map_err(engine)?;
        self.meta.flush().map_err(engine)?;
        Ok(rewritten)
    }

    fn put_postings(&self, postings: &[Posting]) -> Result<(), StoreError> {
        let _writer = self.writer.lock().map_err(poisoned)?;
        let mut batch = sled::Batch::default();
        let mut added = 0i64;
        for p in postings {
            if let Some(old) = self.load(p.id)? {
                if old.fingerprint != 0 {
                    batch.remove(&keys::fingerprint(old.fingerprint, old.id)[..]);
                }
            } else {
                added += 1;
            }
            if p.fingerprint != 0 {
                batch.insert(&keys::fingerprint(p.fingerprint, p.id)[..], &[][..]);
            }
            batch.insert(&keys::posting(p.id)[..], Self::encode_posting(p)?);
        }
        let total = self.read_i64(POSTING_COUNT_KEY)? + added;
        batch.insert(POSTING_COUNT_KEY, &total.to_be_bytes()[..]);
        self.main.apply_batch(batch).map_err(engine)
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
