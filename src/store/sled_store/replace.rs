//! Swapping in counts computed elsewhere ([`PostingStore::replace_counts`]):
//! a count snapshot made by Spark, or `reindex --from-lake`.
//!
//! The new counters go in **one sled batch**, which sled applies atomically
//! (and recovers whole or not at all after a crash): every old counter
//! record removed, every new one inserted, the names the new ones need, and
//! the `Mdirty` marker and the recorded snapshot id removed. Removing the
//! marker in the same batch is what keeps a crash right after from
//! recounting the imported counts away from the stored postings (a serving
//! store fed by snapshots may hold no postings at all). Count changes of
//! postings ingested but not yet flushed are dropped with the old counts.
//!
//! [`PostingStore::replace_counts`]: crate::store::PostingStore::replace_counts

use rustc_hash::FxHashMap;

use super::{engine, poisoned, SledStore, DIRTY_KEY, SNAPSHOT_KEY};
use crate::store::counting::{CountDelta, CountKey};
use crate::store::{keys, StoreError};

/// One counter record: its key and its non-zero days (day of year, value),
/// sorted.
type YearRecord = ([u8; keys::COUNT_KEY_LEN], Vec<(u16, i32)>);

impl SledStore {
    /// [`PostingStore::replace_counts`](crate::store::PostingStore::replace_counts).
    pub(super) fn replace_all_counts(&self, counts: &CountDelta) -> Result<(), StoreError> {
        let _writer = self.writer.lock().map_err(poisoned)?;
        let records = self.year_records(counts)?;
        let pending = self.names.read().map_err(poisoned)?.pending.clone();
        let mut batch = sled::Batch::default();
        for entry in self.main.scan_prefix([keys::COUNT]) {
            let (k, _) = entry.map_err(engine("reading the counters"))?;
            batch.remove(k);
        }
        for p in &pending {
            batch.insert(keys::name(p.kind, &p.name), &p.id.to_be_bytes()[..]);
        }
        // An insert after a remove of the same key wins in a sled batch.
        for (key, values) in &records {
            batch.insert(&key[..], keys::encode_year_values(values));
        }
        batch.remove(DIRTY_KEY);
        batch.remove(SNAPSHOT_KEY);
        {
            let _swap = self.swap.write().map_err(poisoned)?;
            self.main
                .apply_batch(batch)
                .map_err(engine("replacing the counts"))?;
            // Readers that start now see the new generation too.
            self.generation
                .fetch_add(1, std::sync::atomic::Ordering::AcqRel);
        }
        self.db.flush().map_err(engine("replacing the counts"))?;
        {
            let mut names = self.names.write().map_err(poisoned)?;
            let written = pending.len().min(names.pending.len());
            names.pending.drain(..written);
        }
        {
            let mut cache = self.cache.lock().map_err(poisoned)?;
            cache.records.clear();
            cache.marked = false;
        }
        Ok(())
    }

    /// `counts` as per-year counter records (key → sorted non-zero days),
    /// interning the skills and geographies they name (memory only: the
    /// names are written with the records).
    fn year_records(&self, counts: &CountDelta) -> Result<Vec<YearRecord>, StoreError> {
        let mut records: FxHashMap<[u8; keys::COUNT_KEY_LEN], Vec<(u16, i32)>> =
            FxHashMap::default();
        let mut names = self.names.write().map_err(poisoned)?;
        for (key, &value) in counts {
            if value == 0 {
                continue;
            }
            let value = i32::try_from(value).map_err(|_| too_large(key, value))?;
            let skill = names.get_or_assign(keys::NAME_SKILL, key.skill.as_str());
            let geo = names.get_or_assign(keys::NAME_GEO, key.geo.as_str());
            let (year, ordinal) = keys::year_and_ordinal(key.day);
            records
                .entry(keys::count(skill, geo, key.counter.tag(), year))
                .or_default()
                .push((ordinal, value));
        }
        drop(names);
        let mut records: Vec<_> = records.into_iter().collect();
        records.sort_unstable_by_key(|(k, _)| *k);
        for (_, values) in &mut records {
            // A delta map holds each day once, already in day order; sorting
            // keeps the record's invariant whatever the map's order.
            values.sort_unstable_by_key(|(ordinal, _)| *ordinal);
        }
        Ok(records)
    }
}

fn too_large(key: &CountKey, value: i64) -> StoreError {
    StoreError::CountTooLarge {
        skill: key.skill.as_str().to_owned(),
        geo: key.geo.as_str().to_owned(),
        day: key.day.to_string(),
        value,
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::sync::Arc;

    use super::*;
    use crate::domain::{Day, GeoCode, SkillId};
    use crate::store::counting::tests::posting;
    use crate::store::counting::Counter;
    use crate::store::{CountRow, CountStore, MetaStore, Metric, PostingStore};

    fn key(skill: &str, geo: &str, counter: Counter, day: &str) -> CountKey {
        CountKey {
            skill: SkillId::parse(skill).unwrap(),
            geo: GeoCode::parse(geo).unwrap(),
            counter,
            day: day.parse().unwrap(),
        }
    }

    /// A delta as `(skill, geo, counter, day, value)` rows.
    fn delta(rows: &[(&str, &str, Counter, &str, i64)]) -> CountDelta {
        rows.iter()
            .map(|&(s, g, c, d, v)| (key(s, g, c, d), v))
            .collect()
    }

    /// What `all_counts` should give for `counts` (zeros left out).
    fn rows(counts: &CountDelta) -> Vec<CountRow> {
        let mut out: Vec<CountRow> = counts
            .iter()
            .filter(|(_, v)| **v != 0)
            .map(|(k, v)| CountRow {
                skill: k.skill.clone(),
                geo: k.geo.clone(),
                counter: k.counter,
                day: k.day,
                value: *v,
            })
            .collect();
        out.sort();
        out
    }

    fn open(dir: &std::path::Path) -> SledStore {
        SledStore::open(&dir.join("db"), 16).unwrap()
    }

    fn active(store: &SledStore, skill: &str, geo: &str) -> Vec<(Day, i64)> {
        store
            .daily(
                &SkillId::parse(skill).unwrap(),
                &GeoCode::parse(geo).unwrap(),
                Metric::Active,
                Day::MIN,
                Day::MAX,
            )
            .unwrap()
    }

    fn snapshot_a() -> CountDelta {
        use Counter::*;
        delta(&[
            ("linux", "FR", Opened, "2026-03-01", 3),
            ("linux", "FR", Closed, "2026-03-05", 1),
            ("*", "FR", Opened, "2026-03-01", 4),
        ])
    }

    /// Other values, another skill and geography, two years, a zero.
    fn snapshot_b() -> CountDelta {
        use Counter::*;
        delta(&[
            ("linux", "FR", Opened, "2026-03-01", 5),
            ("linux", "FR", Closed, "2026-03-05", 2),
            ("kubernetes", "FR-75", Opened, "2025-12-31", 7),
            ("kubernetes", "FR-75", Opened, "2026-01-01", 1),
            ("kubernetes", "FR-75", Closed, "2026-02-01", 0),
            ("*", "FR", Opened, "2026-03-01", 9),
        ])
    }

    #[test]
    fn every_counter_is_replaced_and_the_generation_moves() {
        let dir = tempfile::tempdir().unwrap();
        let store = open(dir.path());
        store
            .ingest(&[posting("a", "1", "2026-01-10", 0, &["docker"])])
            .unwrap();
        store.flush().unwrap();
        assert!(!store.all_counts().unwrap().is_empty());
        let before = store.generation();
        store.replace_counts(&snapshot_b()).unwrap();
        // Docker's counts from the ingested posting are gone; B's are there.
        assert_eq!(store.all_counts().unwrap(), rows(&snapshot_b()));
        assert!(store.generation() > before);
        let day = |d: &str| d.parse::<Day>().unwrap();
        assert_eq!(
            active(&store, "linux", "FR"),
            vec![(day("2026-03-01"), 5), (day("2026-03-05"), -2)]
        );
        assert_eq!(
            store
                .span_values(
                    &SkillId::parse("kubernetes").unwrap(),
                    &GeoCode::parse("FR-75").unwrap(),
                    Metric::New,
                    &[(day("2025-01-01"), day("2026-12-31"))],
                )
                .unwrap(),
            vec![8]
        );
        // Replacing by A removes what only B had; by nothing, everything.
        store.replace_counts(&snapshot_a()).unwrap();
        assert_eq!(store.all_counts().unwrap(), rows(&snapshot_a()));
        assert!(active(&store, "kubernetes", "FR-75").is_empty());
        store.replace_counts(&CountDelta::new()).unwrap();
        assert!(store.all_counts().unwrap().is_empty());
        // The postings themselves are untouched.
        assert_eq!(store.posting_count().unwrap(), 1);
    }

    #[test]
    fn a_value_too_large_for_a_counter_replaces_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let store = open(dir.path());
        store.replace_counts(&snapshot_a()).unwrap();
        let mut bad = snapshot_b();
        bad.insert(
            key("linux", "FR", Counter::Opened, "2026-04-01"),
            i64::from(i32::MAX) + 1,
        );
        let err = store.replace_counts(&bad).unwrap_err();
        assert!(
            matches!(err, StoreError::CountTooLarge { value, .. } if value == 2_147_483_648),
            "{err}"
        );
        assert!(
            err.to_string().contains("linux in FR on 2026-04-01"),
            "{err}"
        );
        assert_eq!(store.all_counts().unwrap(), rows(&snapshot_a()));
    }

    #[test]
    fn reopening_keeps_replaced_counts_even_over_unflushed_postings() {
        let dir = tempfile::tempdir().unwrap();
        {
            let store = open(dir.path());
            // Ingested, never flushed: the dirty marker is on disk, and a
            // reopen would recount from the postings...
            store
                .ingest(&[posting("a", "1", "2026-01-10", 0, &["docker"])])
                .unwrap();
            store.replace_counts(&snapshot_b()).unwrap();
            store.set_counts_snapshot("s1").unwrap();
        }
        // ...but the replacement removed it with the old counts.
        let store = open(dir.path());
        assert!(!store.recovered_on_open());
        assert_eq!(store.all_counts().unwrap(), rows(&snapshot_b()));
        assert_eq!(store.counts_snapshot().unwrap().as_deref(), Some("s1"));
    }

    #[test]
    fn the_control_a_dirty_store_is_recounted_on_open() {
        // Shows the test above can fail: without a replacement, the
        // unflushed posting is counted again at the next open.
        let dir = tempfile::tempdir().unwrap();
        {
            let store = open(dir.path());
            store.replace_counts(&snapshot_b()).unwrap();
            store
                .ingest(&[posting("a", "1", "2026-01-10", 0, &["docker"])])
                .unwrap();
        }
        let store = open(dir.path());
        assert!(store.recovered_on_open());
        assert_ne!(store.all_counts().unwrap(), rows(&snapshot_b()));
        assert!(!active(&store, "docker", "FR").is_empty());
        assert_eq!(store.counts_snapshot().unwrap(), None);
    }

    #[test]
    fn the_snapshot_id_goes_with_any_later_change_of_the_counts() {
        let dir = tempfile::tempdir().unwrap();
        let store = open(dir.path());
        store.replace_counts(&snapshot_a()).unwrap();
        assert_eq!(store.counts_snapshot().unwrap(), None);
        store.set_counts_snapshot("s1").unwrap();
        // A flush with nothing to write keeps it.
        store.flush().unwrap();
        assert_eq!(store.counts_snapshot().unwrap().as_deref(), Some("s1"));
        // Counts written by an ingest clear it.
        store
            .ingest(&[posting("a", "1", "2026-01-10", 0, &["docker"])])
            .unwrap();
        store.flush().unwrap();
        assert_eq!(store.counts_snapshot().unwrap(), None);
        // So do a recount and a new replacement.
        store.set_counts_snapshot("s2").unwrap();
        store.rebuild(None, &mut |_| {}).unwrap();
        assert_eq!(store.counts_snapshot().unwrap(), None);
        store.set_counts_snapshot("s3").unwrap();
        store.replace_counts(&snapshot_b()).unwrap();
        assert_eq!(store.counts_snapshot().unwrap(), None);
    }

    #[test]
    fn readers_see_the_old_counts_or_the_new_never_a_mix() {
        let dir = tempfile::tempdir().unwrap();
        let store = Arc::new(open(dir.path()));
        let (a, b) = (snapshot_a(), snapshot_b());
        store.replace_counts(&a).unwrap();
        let day = |d: &str| d.parse::<Day>().unwrap();
        let active_a = vec![(day("2026-03-01"), 3), (day("2026-03-05"), -1)];
        let active_b = vec![(day("2026-03-01"), 5), (day("2026-03-05"), -2)];
        let (rows_a, rows_b) = (rows(&a), rows(&b));
        let done = Arc::new(AtomicBool::new(false));
        let reader = {
            let (store, done) = (store.clone(), done.clone());
            std::thread::spawn(move || {
                let mut reads = 0u32;
                let mut seen_b = false;
                while !done.load(Ordering::Acquire) || reads < 50 {
                    let all = store.all_counts().unwrap();
                    assert!(all == rows_a || all == rows_b, "a mix: {all:?}");
                    let series = active(&store, "linux", "FR");
                    assert!(series == active_a || series == active_b, "{series:?}");
                    seen_b |= all == rows_b;
                    reads += 1;
                }
                seen_b
            })
        };
        for i in 0..200 {
            store
                .replace_counts(if i % 2 == 0 { &b } else { &a })
                .unwrap();
        }
        store.replace_counts(&b).unwrap();
        done.store(true, Ordering::Release);
        assert!(
            reader.join().unwrap(),
            "the reader never saw the new counts"
        );
    }
}
