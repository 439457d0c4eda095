//! Counter bookkeeping of the sled store: interned names, the write-behind
//! cache of dense year records, and writing it out.

use rustc_hash::FxHashMap;

use super::{
    engine, poisoned, SledStore, DIRTY_KEY, FLUSH_CHUNK, MAX_CACHED_RECORDS, SNAPSHOT_KEY,
};
use crate::domain::{Day, GeoCode, Posting, SkillId};
use crate::store::counting::{self, Counter};
use crate::store::{keys, Damage, StoreError};

/// Bits of an interned id in a packed record key.
const ID_BITS: u32 = 24;
const ID_MASK: u64 = (1 << ID_BITS) - 1;
/// Offset making years non-negative in a packed record key.
const YEAR_OFFSET: i32 = 1 << 14;

/// Interned names, mirrored in memory.
#[derive(Default)]
pub(super) struct Names {
    pub(super) skills: FxHashMap<String, u32>,
    pub(super) geos: FxHashMap<String, u32>,
    pub(super) by_id: FxHashMap<u32, String>,
    pub(super) next: u32,
    /// Assigned but not yet persisted (written with the next counts).
    pub(super) pending: Vec<PendingName>,
}

/// A name interned since the last flush, written with the next counts.
#[derive(Debug, Clone)]
pub(super) struct PendingName {
    /// [`keys::NAME_SKILL`] or [`keys::NAME_GEO`].
    pub(super) kind: u8,
    /// The skill or geography.
    pub(super) name: String,
    /// Its number.
    pub(super) id: u32,
}

impl Names {
    pub(super) fn map(&self, kind: u8) -> &FxHashMap<String, u32> {
        if kind == keys::NAME_SKILL {
            &self.skills
        } else {
            &self.geos
        }
    }

    pub(super) fn get(&self, kind: u8, name: &str) -> Option<u32> {
        self.map(kind).get(name).copied()
    }

    pub(super) fn insert(&mut self, kind: u8, name: &str, id: u32) {
        let map = if kind == keys::NAME_SKILL {
            &mut self.skills
        } else {
            &mut self.geos
        };
        map.insert(name.to_owned(), id);
        self.by_id.insert(id, name.to_owned());
        self.next = self.next.max(id + 1);
    }

    pub(super) fn get_or_assign(&mut self, kind: u8, name: &str) -> u32 {
        if let Some(id) = self.get(kind, name) {
            return id;
        }
        let id = self.next;
        self.insert(kind, name, id);
        self.pending.push(PendingName {
            kind,
            name: name.to_owned(),
            id,
        });
        id
    }
}

impl crate::store::record::NameTable for Names {
    fn number(&mut self, kind: u8, name: &str) -> u32 {
        self.get_or_assign(kind, name)
    }

    fn name(&self, number: u32) -> Option<&str> {
        self.by_id.get(&number).map(String::as_str)
    }
}

/// Counter changes not yet written, one dense year per record.
#[derive(Default)]
pub(super) struct CountCache {
    /// Packed (skill, geo, counter, year) → change per day of year (index 0 = 1 January).
    pub(super) records: FxHashMap<u64, Box<[i32; 366]>>,
    /// Whether the `Mdirty` marker is on disk for the changes held here.
    pub(super) marked: bool,
}

impl CountCache {
    pub(super) fn add(&mut self, record: u64, ordinal: u16, change: i32) {
        let days = self
            .records
            .entry(record)
            .or_insert_with(|| Box::new([0; 366]));
        days[usize::from(ordinal.clamp(1, 366)) - 1] += change;
    }
}

/// One counter change, waiting in memory to be written.
#[derive(Debug, Clone, Copy)]
pub(super) struct Event {
    /// The per-year record it changes ([`pack_record`]).
    pub(super) record: u64,
    /// Day of the year (1–366).
    pub(super) ordinal: u16,
    /// +1 or −1 (or more, for a cluster counted several times).
    pub(super) change: i32,
}

pub(super) fn pack_record(
    skill: u32,
    geo: u32,
    counter: Counter,
    year: i32,
) -> Result<u64, StoreError> {
    let y = year + YEAR_OFFSET;
    if u64::from(skill) > ID_MASK || u64::from(geo) > ID_MASK || !(0..(1 << 15)).contains(&y) {
        return Err(StoreError::CounterOutOfRange { skill, geo, year });
    }
    let c = u64::from(counter == Counter::Closed);
    Ok((u64::from(skill) << 40) | (u64::from(geo) << 16) | (c << 15) | y as u64)
}

pub(super) fn unpack_record(k: u64) -> (u32, u32, Counter, i32) {
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

impl SledStore {
    /// Appends `sign` × the counter changes of a cluster to `events`,
    /// resolving each skill and geography once.
    pub(super) fn cluster_events(
        &self,
        cluster: &[&Posting],
        sign: i64,
        events: &mut Vec<Event>,
    ) -> Result<(), StoreError> {
        let Some(c) = counting::contribution(cluster, &self.rules) else {
            return Ok(());
        };
        let (skills, geos): (Vec<u32>, Vec<u32>) = {
            // Memory only under the lock: readers resolving names wait for nothing slow.
            let mut names = self.names.write().map_err(poisoned)?;
            (
                c.skills
                    .iter()
                    .map(|s| names.get_or_assign(keys::NAME_SKILL, s.as_str()))
                    .collect(),
                c.geos
                    .iter()
                    .map(|g| names.get_or_assign(keys::NAME_GEO, g.as_str()))
                    .collect(),
            )
        };
        let (open_year, open_day) = keys::year_and_ordinal(c.opened);
        let (close_year, close_day) = keys::year_and_ordinal(c.closed);
        let change = sign as i32;
        let mut result = Ok(());
        c.for_each_counter(&skills, &geos, |s, g, counter, _| {
            let (year, ordinal) = match counter {
                Counter::Opened => (open_year, open_day),
                Counter::Closed => (close_year, close_day),
            };
            match pack_record(s, g, counter, year) {
                Ok(record) => events.push(Event {
                    record,
                    ordinal,
                    change,
                }),
                Err(e) => result = Err(e),
            }
        });
        result
    }

    /// Adds events to the cache (after the postings they come from are
    /// stored); true when the cache should be written.
    pub(super) fn cache_events(&self, events: Vec<Event>) -> Result<bool, StoreError> {
        let mut cache = self.cache.lock().map_err(poisoned)?;
        for e in events {
            cache.add(e.record, e.ordinal, e.change);
        }
        Ok(cache.records.len() >= MAX_CACHED_RECORDS)
    }

    /// Writes every cached counter change to the per-year records (the
    /// pending names with the first batch); the last batch removes the dirty
    /// marker unless a rebuild is still under way (`keep_dirty`).
    ///
    /// Called by the writer only (under the writer lock), so nothing else
    /// adds names or changes while it runs; no lock a reader needs is held
    /// across the I/O.
    pub(super) fn flush_counts(&self, keep_dirty: bool) -> Result<(), StoreError> {
        let pending: Vec<PendingName> = self.names.read().map_err(poisoned)?.pending.clone();
        let mut records: Vec<(u64, Box<[i32; 366]>)> = {
            let mut cache = self.cache.lock().map_err(poisoned)?;
            if cache.records.is_empty() && pending.is_empty() && !cache.marked {
                return Ok(());
            }
            let records = cache.records.drain().collect();
            cache.records.shrink_to(1024);
            records
        };
        records.sort_unstable_by_key(|(k, _)| *k);
        // Written in chunks, so a flush never holds every new value at once;
        // the names go with the first chunk, and the dirty marker goes away
        // with the last, so a crash in between still means a recount.
        let mut batch = sled::Batch::default();
        // The counts no longer are those of a snapshot (if they were).
        batch.remove(SNAPSHOT_KEY);
        for p in &pending {
            batch.insert(keys::name(p.kind, &p.name), &p.id.to_be_bytes()[..]);
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
            let values = match self
                .main
                .get(key)
                .map_err(engine("reading a counter record"))?
            {
                Some(v) => keys::decode_year_values(&v).ok_or_else(|| StoreError::Corrupt {
                    key: format!("{key:02x?}"),
                    damage: Damage::Counter,
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
                    .map_err(engine("writing the counts"))?;
                in_batch = 0;
            }
        }
        if !keep_dirty {
            batch.remove(DIRTY_KEY);
        }
        self.main
            .apply_batch(batch)
            .map_err(engine("writing the counts"))?;
        {
            let mut names = self.names.write().map_err(poisoned)?;
            let written = pending.len().min(names.pending.len());
            names.pending.drain(..written);
        }
        if !keep_dirty {
            self.cache.lock().map_err(poisoned)?.marked = false;
        }
        self.generation
            .fetch_add(1, std::sync::atomic::Ordering::AcqRel);
        Ok(())
    }

    /// The stored numbers of a skill and a geography, `None` when either
    /// was never counted (its series are all zeros).
    pub(super) fn series_ids(
        &self,
        skill: &SkillId,
        geo: &GeoCode,
    ) -> Result<Option<(u32, u32)>, StoreError> {
        let names = self.names.read().map_err(poisoned)?;
        Ok(
            match (
                names.get(keys::NAME_SKILL, skill.as_str()),
                names.get(keys::NAME_GEO, geo.as_str()),
            ) {
                (Some(s), Some(g)) => Some((s, g)),
                _ => None,
            },
        )
    }

    /// Daily values of one stored counter series.
    pub(super) fn counter_days(
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
            let (k, v) = entry.map_err(engine("reading a counter series"))?;
            let bad = || StoreError::Corrupt {
                key: format!("{:02x?}", k.as_ref()),
                damage: Damage::Counter,
            };
            let (_, _, _, year) = keys::parse_count(&k).ok_or_else(bad)?;
            let days = keys::year_days(year, &v).ok_or_else(bad)?;
            out.extend(
                days.filter(|(day, _)| *day >= from && *day <= to)
                    .map(|(day, value)| (day, i64::from(value))),
            );
        }
        Ok(out)
    }
}

/// `opened − closed` day by day, both sorted by day with one value per
/// day; days whose difference is zero are left out. A linear merge: the
/// `active` series of a three-year range is two thousand days.
pub(super) fn difference(opened: &[(Day, i64)], closed: &[(Day, i64)]) -> Vec<(Day, i64)> {
    let mut out = Vec::with_capacity(opened.len().max(closed.len()));
    let (mut i, mut j) = (0, 0);
    loop {
        let next = match (opened.get(i), closed.get(j)) {
            (Some(&(a, x)), Some(&(b, y))) if a == b => {
                i += 1;
                j += 1;
                (a, x - y)
            }
            (Some(&(a, x)), Some(&(b, _))) if a < b => {
                i += 1;
                (a, x)
            }
            (Some(&(a, x)), None) => {
                i += 1;
                (a, x)
            }
            (_, Some(&(b, y))) => {
                j += 1;
                (b, -y)
            }
            (None, None) => break,
        };
        if next.1 != 0 {
            out.push(next);
        }
    }
    out
}

/// Adds sorted `changes` (duplicates allowed) into sorted `values`, dropping zeros.
pub(super) fn merge_values(values: &[(u16, i32)], changes: &[(u16, i32)]) -> Vec<(u16, i32)> {
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

#[cfg(test)]
mod tests {
    use super::*;

    fn day(n: i32) -> Day {
        Day::from_epoch_days(n)
    }

    #[test]
    fn difference_merges_both_sides_and_drops_zeros() {
        let opened = [(day(1), 3), (day(2), 2), (day(5), 1)];
        let closed = [(day(2), 2), (day(3), 4), (day(5), 1), (day(9), 1)];
        // Day 2: 2 − 2 = 0 and day 5: 1 − 1 = 0 leave; 3 and 9 only close.
        assert_eq!(
            difference(&opened, &closed),
            vec![(day(1), 3), (day(3), -4), (day(9), -1)]
        );
        assert_eq!(difference(&opened, &[]), opened.to_vec());
        assert_eq!(difference(&[], &[(day(4), 2)]), vec![(day(4), -2)]);
    }
}
