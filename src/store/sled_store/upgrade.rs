//! Opening a database of an older layout this build upgrades by itself
//! (and, in the tests, what an open after a stop must still read).

use super::{engine, DIRTY_KEY, META_SCHEMA, SCHEMA_VERSION, UPGRADABLE_SCHEMA};
use crate::store::StoreError;

/// Upgrades a schema 3 database to this build's: its counter records are of
/// the old encoding, so they are marked for a recount (the dirty marker the
/// open then acts on) before the new version is written. A crash in between
/// leaves version 3 and the marker: the next open does it again.
pub(super) fn mark_for_recount(main: &sled::Tree, meta: &sled::Tree) -> Result<(), StoreError> {
    tracing::info!(
        from = UPGRADABLE_SCHEMA,
        to = SCHEMA_VERSION,
        "Upgrading the database: its counts are recomputed in the new layout."
    );
    main.insert(DIRTY_KEY, &[1u8][..])
        .map_err(engine("marking the counts for recount"))?;
    main.flush()
        .map_err(engine("marking the counts for recount"))?;
    meta.insert(META_SCHEMA, &SCHEMA_VERSION.to_be_bytes())
        .map_err(engine("writing the schema version"))?;
    meta.flush().map_err(engine("writing the schema version"))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{Day, GeoCode, SkillId};
    use crate::store::counting::tests::posting;
    use crate::store::{keys, CountStore, Metric, PostingStore, SledStore};

    /// The fixed six-byte layout of schema 3: (day of year, value) big-endian.
    fn schema3_values(values: &[(u16, i32)]) -> Vec<u8> {
        values
            .iter()
            .flat_map(|(d, v)| d.to_be_bytes().into_iter().chain(v.to_be_bytes()))
            .collect()
    }

    #[test]
    fn a_schema_3_database_is_recounted_into_the_new_layout() {
        let dir = tempfile::tempdir().unwrap();
        let mut postings = Vec::new();
        for i in 0..120 {
            let day = Day::from_epoch_days(20_000 + (i * 7) % 400);
            let skills: &[&str] = if i % 3 == 0 {
                &["python", "rust"]
            } else {
                &["python"]
            };
            let mut p = posting(
                "s",
                &i.to_string(),
                &day.to_string(),
                (i % 40) as u64,
                skills,
            );
            p.last_seen = day.add_days(i % 30);
            postings.push(p);
        }
        let (from, to) = (Day::from_epoch_days(19_900), Day::from_epoch_days(20_500));
        let series = |store: &SledStore| {
            let mut all = Vec::new();
            for skill in ["python", "rust", "*"] {
                for geo in ["FR-75", "FR"] {
                    for metric in [Metric::New, Metric::Active] {
                        let skill = SkillId::parse(skill).unwrap();
                        let geo = GeoCode::parse(geo).unwrap();
                        all.push(store.daily(&skill, &geo, metric, from, to).unwrap());
                    }
                }
            }
            all
        };
        let (expected, named_records) = {
            let store = SledStore::open(dir.path(), 8).unwrap();
            store.ingest(&postings).unwrap();
            store.flush().unwrap();
            // Its posting records as schema 3 wrote them (record version 2).
            let mut named = Vec::new();
            for entry in store.main.scan_prefix([keys::POSTING]) {
                let (k, v) = entry.unwrap();
                let (p, text) = store.decode_posting(&k, &v).unwrap();
                named.push((k, crate::store::record::encode_named(&p, text)));
            }
            (series(&store), named)
        };
        assert!(expected.iter().all(|s| !s.is_empty()));
        assert_eq!(named_records.len(), postings.len());
        // Rewrite it as schema 3 wrote it: old counter values and posting
        // records, version 3.
        {
            let db = super::super::open_raw(dir.path());
            let main = db.open_tree("main").unwrap();
            for (k, v) in &named_records {
                main.insert(k, v.as_slice()).unwrap();
            }
            let mut old = 0;
            for entry in main.scan_prefix([keys::COUNT]) {
                let (k, v) = entry.unwrap();
                let values = keys::decode_year_values(&v).unwrap();
                main.insert(k, schema3_values(&values)).unwrap();
                old += 1;
            }
            assert!(old > 10);
            let meta = db.open_tree("meta").unwrap();
            meta.insert(META_SCHEMA, &3u32.to_be_bytes()).unwrap();
            db.flush().unwrap();
        }
        let store = SledStore::open(dir.path(), 8).unwrap();
        assert!(store.recovered_on_open(), "the upgrade recounts");
        assert_eq!(series(&store), expected);
        // The version 2 records read as they were written.
        let mut read: Vec<_> = store
            .postings()
            .map(|p| p.unwrap())
            .map(|mut p| {
                p.text.clear();
                p
            })
            .collect();
        read.sort_by_key(|p| p.id);
        let mut written = postings.clone();
        written.sort_by_key(|p| p.id);
        assert_eq!(read, written);
        drop(store);
        // Upgraded for good: version 4, counters in the new layout.
        let db = super::super::open_raw(dir.path());
        let meta = db.open_tree("meta").unwrap();
        let version = meta.get(META_SCHEMA).unwrap().unwrap();
        assert_eq!(version.as_ref(), SCHEMA_VERSION.to_be_bytes());
        let main = db.open_tree("main").unwrap();
        assert!(!main.contains_key(DIRTY_KEY).unwrap());
        for entry in main.scan_prefix([keys::COUNT]) {
            let (k, v) = entry.unwrap();
            let (.., year) = keys::parse_count(&k).unwrap();
            assert!(keys::year_days(year, &v).is_some());
        }
    }

    #[test]
    fn an_unknown_schema_is_still_refused() {
        let dir = tempfile::tempdir().unwrap();
        drop(SledStore::open(dir.path(), 8).unwrap());
        {
            let db = super::super::open_raw(dir.path());
            let meta = db.open_tree("meta").unwrap();
            meta.insert(META_SCHEMA, &2u32.to_be_bytes()).unwrap();
            db.flush().unwrap();
        }
        let err = SledStore::open(dir.path(), 8).err().unwrap();
        assert!(
            matches!(
                err,
                StoreError::Schema {
                    found: 2,
                    expected: 4,
                    ..
                }
            ),
            "{err}"
        );
    }

    /// Names first numbered by a batch's counts are written with its
    /// records: a process stopping before the counts are written leaves
    /// records the recount at the next open can read.
    #[test]
    fn records_are_readable_after_a_stop_before_the_counts_are_written() {
        let dir = tempfile::tempdir().unwrap();
        let postings: Vec<_> = (0..30)
            .map(|i| {
                let skills: &[&str] = if i % 2 == 0 {
                    &["python", "rust"]
                } else {
                    &["sql"]
                };
                posting("s", &i.to_string(), "2025-03-01", 0, skills)
            })
            .collect();
        {
            let store = SledStore::open(dir.path(), 8).unwrap();
            store.ingest(&postings).unwrap();
            // No flush: the counts stay in memory, as when the process is killed.
        }
        let store = SledStore::open(dir.path(), 8).unwrap();
        assert!(store.recovered_on_open());
        assert_eq!(store.posting_count().unwrap(), 30);
        let day: Day = "2025-03-01".parse().unwrap();
        let rust = store
            .daily(
                &SkillId::parse("rust").unwrap(),
                &GeoCode::parse("FR-75").unwrap(),
                Metric::New,
                day,
                day,
            )
            .unwrap();
        assert_eq!(rust, vec![(day, 15)]);
    }
}
