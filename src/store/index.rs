//! The in-memory posting index: where each posting is stored (its sequence
//! number, the key of its record), which postings share a duplicate
//! fingerprint (with their posting days), and every posting by posting day
//! with two Bloom [`Masks`] of its skills and geographies, so that the
//! postings behind a count (`PostingStore::cell_page`) are found by walking
//! days newest first and skipping, without reading their records, the
//! postings that cannot be in the cell.
//!
//! Kept in memory rather than in sled: an index entry in sled is one more
//! random insert per posting (~10 µs) and one prefix scan per look-up, while
//! in memory it is a hash probe and about 108 bytes per posting (108 MiB at a
//! million, by the tables' capacities), some 52 of them the by-day list. That
//! list is only kept by an index built for listing
//! ([`PostingIndex::with_days`]): an import, which never lists, leaves it out. Records are keyed
//! by sequence number rather than by id so that sled appends to its last
//! leaf instead of writing all over the tree: at a million postings a random
//! key costs 27 µs per insert and gigabytes of memory where an increasing
//! key costs 12 µs and stays within the cache (`benches/sled_keys.rs`). It is rebuilt from
//! the posting records (whose fingerprint sits at a fixed place, see
//! [`record`](super::record)) the first time a writer or a duplicate look-up
//! needs it, and kept in step by the single writer after each applied batch.

use std::collections::BTreeMap;

use rustc_hash::FxHashMap;

use crate::domain::{Day, GeoCode, Posting, PostingId, SkillId};

/// Stored ids and duplicate groups.
#[derive(Debug, Default)]
pub struct PostingIndex {
    /// Posting id → sequence number and posting day.
    ids: FxHashMap<u64, Slot>,
    /// Posting day → the postings of that day, by id, descending; `None`
    /// when this index is not kept for listing.
    days: Option<BTreeMap<i32, Vec<DayEntry>>>,
    /// The next sequence number to give.
    next_seq: u64,
    /// Fingerprint → the id of its first member; most fingerprints have one
    /// posting. A member's posting day is its [`Slot`]'s.
    first: FxHashMap<u64, u64>,
    /// Fingerprint → the ids of its other members, for groups of two or more.
    more: FxHashMap<u64, Vec<u64>>,
}

/// Where a posting is: its record's sequence number (the high 40 bits) and
/// its posting day (the low 24, signed), the key of its entry in `days`.
/// One `u64` rather than a struct of a `u64` and an `i32`, which pads to 16
/// bytes: 16 bytes an `ids` entry instead of 24, 16 MiB less per million
/// postings. 40 bits number a trillion postings; 24 bits hold every
/// [`Day`] (±4.2 million days cover `Day::MIN..=Day::MAX`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Slot(u64);

impl Slot {
    /// Bits of the posting day.
    const DAY_BITS: u32 = 24;

    fn new(seq: u64, day: i32) -> Slot {
        assert!(
            seq >> (64 - Slot::DAY_BITS) == 0,
            "posting sequence number {seq} beyond 2^40"
        );
        debug_assert!((Day::MIN.epoch_days()..=Day::MAX.epoch_days()).contains(&day));
        let day_bits = u64::from(day as u32) & ((1 << Slot::DAY_BITS) - 1);
        Slot(seq << Slot::DAY_BITS | day_bits)
    }

    fn seq(self) -> u64 {
        self.0 >> Slot::DAY_BITS
    }

    fn day(self) -> i32 {
        // The low 24 bits, sign-extended.
        ((self.0 << (64 - Slot::DAY_BITS)) as i64 >> (64 - Slot::DAY_BITS)) as i32
    }
}

/// Two Bloom masks of a posting: the skills it counts for (direct,
/// implied and `*`) and the geographies it counts in ([`Posting::geos`]).
/// Each name sets two bits chosen by its hash; a posting whose mask lacks a
/// bit of a name certainly does not name it, one that has them all may.
///
/// Packed to 8-byte alignment: a `u128` would align the struct, and every
/// by-day entry holding it, on 16 bytes (64 bytes an entry instead of 48).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[repr(C, packed(8))]
pub struct Masks {
    /// Bits of the skills: 128 of them, as a posting names a dozen or
    /// more skills (with the implied ones and `*`). By the Bloom arithmetic
    /// (computed, not measured), 15 names set about 24 of 64 bits, so a
    /// skill a posting lacks passes with a chance of 0.37² ≈ 14 % and its
    /// record is read for nothing; of 128 bits about 27 are set, 0.21² ≈ 4 %.
    pub skills: u128,
    /// Bits of the geographies.
    pub geos: u64,
}

impl Masks {
    /// The masks of what `p` counts for, were it a cluster's representative.
    pub fn of(p: &Posting) -> Masks {
        let skills = p
            .all_skills()
            .map(|s| skill_bits(s.as_str()))
            .fold(skill_bits(SkillId::ALL_POSTINGS), |a, b| a | b);
        let geos = p
            .geos()
            .iter()
            .map(|g| name_bits(g.as_str()))
            .fold(0, |a, b| a | b);
        Masks { skills, geos }
    }

    /// Adds a skill the posting counts for.
    pub fn add_skill(&mut self, skill: &str) {
        self.skills |= skill_bits(skill);
    }

    /// Adds a geography the posting counts in.
    pub fn add_geo(&mut self, geo: &str) {
        self.geos |= name_bits(geo);
    }

    /// The bits a posting counting for `skill` in `geo` has in its masks.
    pub fn wanted(skill: &SkillId, geo: &GeoCode) -> Masks {
        Masks {
            skills: skill_bits(skill.as_str()),
            geos: name_bits(geo.as_str()),
        }
    }

    /// Whether a posting with these masks may count for what `wanted` asks.
    pub fn may_hold(self, wanted: Masks) -> bool {
        self.skills & wanted.skills == wanted.skills && self.geos & wanted.geos == wanted.geos
    }
}

/// The two bits of a name in a 64-bit mask.
fn name_bits(name: &str) -> u64 {
    let h = xxhash_rust::xxh3::xxh3_64(name.as_bytes());
    (1u64 << (h & 63)) | (1u64 << ((h >> 6) & 63))
}

/// The two bits of a skill in the 128-bit skills mask.
fn skill_bits(name: &str) -> u128 {
    let h = xxhash_rust::xxh3::xxh3_64(name.as_bytes());
    (1u128 << (h & 127)) | (1u128 << ((h >> 7) & 127))
}

/// A posting in the by-day list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DayEntry {
    /// The posting id.
    pub id: PostingId,
    /// The sequence number of its record.
    pub seq: u64,
    /// What it counts for, as masks.
    pub masks: Masks,
    /// Its duplicate fingerprint (0: never merged), so that the days of its
    /// group can be looked up without reading its record.
    pub fingerprint: u64,
}

/// A change of the index, applied once the batch it describes is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IndexMove {
    /// A new posting.
    Insert {
        /// The posting.
        id: PostingId,
        /// The sequence number of its record.
        seq: u64,
        /// Its fingerprint (0: never merged).
        fingerprint: u64,
        /// Its posting day.
        posted: Day,
        /// Its masks.
        masks: Masks,
    },
    /// A stored posting, whose fingerprint or posting day may have changed.
    Relink {
        /// The posting.
        id: PostingId,
        /// The fingerprint it was stored under.
        old_fingerprint: u64,
        /// Its fingerprint now.
        fingerprint: u64,
        /// Its posting day now.
        posted: Day,
        /// Its masks now.
        masks: Masks,
    },
}

impl PostingIndex {
    /// An empty index that also keeps every posting by posting day, for
    /// [`PostingIndex::newest_first`]. [`PostingIndex::default`] does not.
    pub fn with_days() -> PostingIndex {
        PostingIndex {
            days: Some(BTreeMap::new()),
            ..PostingIndex::default()
        }
    }

    /// Whether this index keeps the postings by day.
    pub fn keeps_days(&self) -> bool {
        self.days.is_some()
    }

    /// The masks of `p` for an [`IndexMove`]: [`Masks::of`] when this index
    /// keeps the postings by day, else nothing (only the by-day list reads
    /// them, and an import's index has none: no hashing per posting there).
    pub fn masks_of(&self, p: &Posting) -> Masks {
        if self.keeps_days() {
            Masks::of(p)
        } else {
            Masks::default()
        }
    }

    /// The sequence number of a stored posting.
    pub fn seq(&self, id: PostingId) -> Option<u64> {
        self.ids.get(&id.as_u64()).map(|s| s.seq())
    }

    /// A sequence number for a new posting (a failed write only leaves a gap).
    pub fn next_seq(&mut self) -> u64 {
        let seq = self.next_seq;
        self.next_seq += 1;
        seq
    }

    /// The sequence number [`PostingIndex::next_seq`] would give next.
    pub fn peek_next_seq(&self) -> u64 {
        self.next_seq
    }

    /// Number of stored postings.
    pub fn len(&self) -> usize {
        self.ids.len()
    }

    /// Approximate heap bytes held, from the tables' capacities (a hash
    /// table slot is its entry plus one control byte).
    pub fn heap_bytes(&self) -> usize {
        use std::mem::size_of;
        let table = |capacity: usize, entry: usize| capacity * (entry + 1);
        table(self.ids.capacity(), size_of::<(u64, Slot)>())
            + self
                .days
                .iter()
                .flat_map(BTreeMap::values)
                .map(|v| v.capacity() * size_of::<DayEntry>() + size_of::<(i32, Vec<DayEntry>)>())
                .sum::<usize>()
            + table(self.first.capacity(), size_of::<(u64, u64)>())
            + table(self.more.capacity(), size_of::<(u64, Vec<u64>)>())
            + self
                .more
                .values()
                .map(|v| v.capacity() * size_of::<u64>())
                .sum::<usize>()
    }

    /// Records a stored posting: its sequence number, fingerprint (0: never
    /// merged), posting day and masks.
    pub fn insert(&mut self, id: PostingId, seq: u64, fingerprint: u64, posted: Day, masks: Masks) {
        let day = posted.epoch_days();
        if let Some(old) = self.ids.insert(id.as_u64(), Slot::new(seq, day)) {
            self.unlist(id, old.day());
        }
        self.list(
            DayEntry {
                id,
                seq,
                masks,
                fingerprint,
            },
            day,
        );
        self.next_seq = self.next_seq.max(seq + 1);
        self.link(id.as_u64(), fingerprint);
    }

    /// Records `id` as a member of `fingerprint`'s group.
    fn link(&mut self, id: u64, fingerprint: u64) {
        if fingerprint == 0 {
            return;
        }
        match self.first.get(&fingerprint) {
            None => {
                self.first.insert(fingerprint, id);
            }
            Some(&f) if f == id => {}
            Some(_) => {
                let more = self.more.entry(fingerprint).or_default();
                if !more.contains(&id) {
                    more.push(id);
                }
            }
        }
    }

    /// [`PostingIndex::insert`] for building the index from the stored
    /// records, each posting once: its day's list is put in order once, by
    /// [`PostingIndex::sort_days`], rather than at every insert.
    pub fn insert_unsorted(
        &mut self,
        id: PostingId,
        seq: u64,
        fingerprint: u64,
        posted: Day,
        masks: Masks,
    ) {
        let day = posted.epoch_days();
        if let Some(old) = self.ids.insert(id.as_u64(), Slot::new(seq, day)) {
            // Not expected (one record per id), and not sorted yet.
            if let Some(list) = self.days.as_mut().and_then(|days| days.get_mut(&old.day())) {
                list.retain(|e| e.id != id);
            }
        }
        if let Some(days) = &mut self.days {
            days.entry(day).or_default().push(DayEntry {
                id,
                seq,
                masks,
                fingerprint,
            });
        }
        self.next_seq = self.next_seq.max(seq + 1);
        self.link(id.as_u64(), fingerprint);
    }

    /// Puts every day's list in order (after [`PostingIndex::insert_unsorted`]).
    pub fn sort_days(&mut self) {
        for list in self.days.iter_mut().flat_map(BTreeMap::values_mut) {
            list.sort_unstable_by_key(|e| std::cmp::Reverse(e.id.as_u64()));
        }
    }

    /// Applies one change.
    pub fn apply(&mut self, change: IndexMove) {
        match change {
            IndexMove::Insert {
                id,
                seq,
                fingerprint,
                posted,
                masks,
            } => self.insert(id, seq, fingerprint, posted, masks),
            IndexMove::Relink {
                id,
                old_fingerprint,
                fingerprint,
                posted,
                masks,
            } => self.relink(id, old_fingerprint, fingerprint, posted, masks),
        }
    }

    /// Moves a stored posting from one fingerprint to another, or to another
    /// posting day, with its masks now.
    pub fn relink(&mut self, id: PostingId, old: u64, new: u64, posted: Day, masks: Masks) {
        if old != new {
            self.unlink(id.as_u64(), old);
        }
        if let Some(seq) = self.seq(id) {
            self.insert(id, seq, new, posted, masks);
        }
    }

    /// Puts `entry` in the list of `day` (kept by id, descending; an entry
    /// of the same id is replaced).
    fn list(&mut self, entry: DayEntry, day: i32) {
        let Some(days) = &mut self.days else { return };
        let list = days.entry(day).or_default();
        match list.binary_search_by(|e| entry.id.as_u64().cmp(&e.id.as_u64())) {
            Ok(i) => list[i] = entry,
            Err(i) => list.insert(i, entry),
        }
    }

    /// Takes `id` out of the list of `day`.
    fn unlist(&mut self, id: PostingId, day: i32) {
        let Some(days) = &mut self.days else { return };
        if let Some(list) = days.get_mut(&day) {
            if let Ok(i) = list.binary_search_by(|e| id.as_u64().cmp(&e.id.as_u64())) {
                list.remove(i);
            }
            if list.is_empty() {
                days.remove(&day);
            }
        }
    }

    /// The postings of the days `from..=to`, newest first: by posting day
    /// descending, then by id descending, starting strictly after `after`
    /// (a day and an id of that order) when given. Nothing when the index
    /// does not [keep the days](PostingIndex::keeps_days).
    pub fn newest_first(
        &self,
        from: Day,
        to: Day,
        after: Option<(Day, PostingId)>,
    ) -> impl Iterator<Item = (Day, &DayEntry)> + '_ {
        let (from, mut to) = (from.epoch_days(), to.epoch_days());
        if let Some((day, _)) = after {
            to = to.min(day.epoch_days());
        }
        let days = self.days.iter().filter(move |_| from <= to);
        let range = days.flat_map(move |days| days.range(from..=to).rev());
        range.flat_map(move |(&day, list)| {
            let start = match after {
                Some((d, id)) if d.epoch_days() == day => {
                    list.partition_point(|e| e.id.as_u64() >= id.as_u64())
                }
                _ => 0,
            };
            list[start..]
                .iter()
                .map(move |e| (Day::from_epoch_days(day), e))
        })
    }

    fn unlink(&mut self, id: u64, fingerprint: u64) {
        if fingerprint == 0 {
            return;
        }
        if self.first.get(&fingerprint) == Some(&id) {
            match self.more.get_mut(&fingerprint).and_then(Vec::pop) {
                Some(next) => {
                    self.first.insert(fingerprint, next);
                }
                None => {
                    self.first.remove(&fingerprint);
                }
            }
        } else if let Some(more) = self.more.get_mut(&fingerprint) {
            more.retain(|&m| m != id);
        }
        if self.more.get(&fingerprint).is_some_and(Vec::is_empty) {
            self.more.remove(&fingerprint);
        }
    }

    /// The ids of `fingerprint`'s members.
    fn members(&self, fingerprint: u64) -> impl Iterator<Item = &u64> {
        self.first
            .get(&fingerprint)
            .into_iter()
            .chain(self.more.get(&fingerprint).into_iter().flatten())
    }

    /// The ids stored under `fingerprint`, sorted.
    pub fn group(&self, fingerprint: u64) -> Vec<PostingId> {
        if fingerprint == 0 {
            return Vec::new();
        }
        let mut ids: Vec<u64> = self.members(fingerprint).copied().collect();
        ids.sort_unstable();
        ids.into_iter().map(PostingId::from_u64).collect()
    }

    /// The posting days of the postings stored under `fingerprint` (see
    /// [`counting::stands_alone`](super::counting::stands_alone)).
    pub fn member_days(&self, fingerprint: u64) -> impl Iterator<Item = Day> + '_ {
        self.members(fingerprint)
            .filter_map(|id| self.ids.get(id))
            .map(|slot| Day::from_epoch_days(slot.day()))
    }

    /// Whether `fingerprint` groups two postings or more.
    pub fn is_shared(&self, fingerprint: u64) -> bool {
        fingerprint != 0 && self.more.contains_key(&fingerprint)
    }

    /// Every fingerprint shared by two postings or more, sorted.
    pub fn shared_fingerprints(&self) -> Vec<u64> {
        let mut fps: Vec<u64> = self.more.keys().copied().collect();
        fps.sort_unstable();
        fps
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id(n: u64) -> PostingId {
        PostingId::from_u64(n)
    }

    fn day(n: i32) -> Day {
        Day::from_epoch_days(n)
    }

    #[test]
    fn groups_follow_inserts_and_moves() {
        let mut index = PostingIndex::default();
        index.insert(id(1), 1, 7, day(100), Masks::default());
        index.insert(id(2), 2, 7, day(100), Masks::default());
        index.insert(id(3), 3, 7, day(100), Masks::default());
        index.insert(id(2), 2, 7, day(100), Masks::default()); // again: no duplicate entry
        index.insert(id(4), 4, 0, day(100), Masks::default());
        index.insert(id(5), 5, 8, day(100), Masks::default());
        assert_eq!(index.len(), 5);
        assert!(index.seq(id(4)).is_some() && index.seq(id(6)).is_none());
        assert_eq!(index.seq(id(4)), Some(4));
        assert_eq!(index.next_seq(), 6);
        assert_eq!(index.next_seq(), 7);
        assert_eq!(index.group(7), vec![id(1), id(2), id(3)]);
        assert_eq!(index.group(0), vec![]);
        assert!(index.is_shared(7) && !index.is_shared(8));
        assert_eq!(index.shared_fingerprints(), vec![7]);

        // The first of a group moves away: another takes its place.
        index.relink(id(1), 7, 8, day(100), Masks::default());
        assert_eq!(index.group(7), vec![id(2), id(3)]);
        assert_eq!(index.group(8), vec![id(1), id(5)]);
        index.relink(id(3), 7, 0, day(100), Masks::default());
        index.relink(id(2), 7, 9, day(100), Masks::default());
        assert_eq!(index.group(7), vec![]);
        assert_eq!(index.group(9), vec![id(2)]);
        assert_eq!(index.shared_fingerprints(), vec![8]);
        index.relink(id(5), 8, 0, day(100), Masks::default());
        assert!(!index.is_shared(8));
        assert_eq!(index.len(), 5);
    }

    #[test]
    fn member_days_follow_moves() {
        let mut index = PostingIndex::default();
        index.insert(id(1), 1, 7, day(1_000), Masks::default());
        index.insert(id(2), 2, 7, day(1_200), Masks::default());
        let days = |index: &PostingIndex, fp| {
            let mut d: Vec<Day> = index.member_days(fp).collect();
            d.sort();
            d
        };
        assert_eq!(days(&index, 7), vec![day(1_000), day(1_200)]);
        assert_eq!(days(&index, 8), vec![]);
        // A member whose day changes is found at its new day only.
        index.relink(id(2), 7, 7, day(2_000), Masks::default());
        assert_eq!(days(&index, 7), vec![day(1_000), day(2_000)]);
        assert_eq!(index.group(7), vec![id(1), id(2)]);
    }

    #[test]
    fn days_list_newest_first_and_follow_moves() {
        let mut index = PostingIndex::with_days();
        let python = Masks { skills: 1, geos: 2 };
        index.insert(id(5), 1, 0, day(10), python);
        index.insert(id(9), 2, 0, day(10), python);
        index.insert(id(7), 3, 0, day(12), python);
        index.insert(id(3), 4, 0, day(8), python);
        let walk = |index: &PostingIndex, from, to, after| -> Vec<(i32, u64)> {
            index
                .newest_first(day(from), day(to), after)
                .map(|(d, e)| (d.epoch_days(), e.id.as_u64()))
                .collect()
        };
        assert_eq!(
            walk(&index, 0, 20, None),
            vec![(12, 7), (10, 9), (10, 5), (8, 3)]
        );
        assert_eq!(walk(&index, 9, 11, None), vec![(10, 9), (10, 5)]);
        // Strictly after a key, within its day and the days before.
        assert_eq!(
            walk(&index, 0, 20, Some((day(10), id(9)))),
            vec![(10, 5), (8, 3)]
        );
        assert_eq!(
            walk(&index, 0, 20, Some((day(10), id(6)))),
            vec![(10, 5), (8, 3)]
        );
        assert_eq!(
            walk(&index, 0, 20, Some((day(11), id(0)))),
            vec![(10, 9), (10, 5), (8, 3)]
        );
        assert_eq!(walk(&index, 9, 20, Some((day(10), id(5)))), vec![]);
        assert_eq!(walk(&index, 20, 0, None), vec![]);
        // A posting moving to another day leaves its old one.
        let rust = Masks { skills: 4, geos: 2 };
        index.relink(id(9), 0, 0, day(12), rust);
        assert_eq!(
            walk(&index, 0, 20, None),
            vec![(12, 9), (12, 7), (10, 5), (8, 3)]
        );
        let (_, moved) = index.newest_first(day(12), day(12), None).next().unwrap();
        assert_eq!((moved.seq, moved.masks), (2, rust));
        assert_eq!(index.len(), 4);
    }

    #[test]
    fn a_slot_keeps_its_sequence_number_and_every_day() {
        for day in [
            Day::MIN.epoch_days(),
            -1,
            0,
            1,
            20_000,
            Day::MAX.epoch_days(),
        ] {
            for seq in [0, 1, 1_000_000, (1 << 40) - 1] {
                let slot = Slot::new(seq, day);
                assert_eq!((slot.seq(), slot.day()), (seq, day), "{seq} {day}");
            }
        }
        assert_eq!(size_of::<(u64, Slot)>(), 16);
    }

    #[test]
    fn a_by_day_entry_stays_at_48_bytes() {
        assert_eq!(size_of::<Masks>(), 24);
        assert_eq!(size_of::<DayEntry>(), 48);
    }

    #[test]
    fn a_bulk_build_gives_the_index_of_the_inserts() {
        let mut one_by_one = PostingIndex::with_days();
        let mut bulk = PostingIndex::with_days();
        let mut seed = 0x2545_F491_4F6C_DD1Du64;
        for seq in 0..500u64 {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            let (n, d, fp) = (seed, (seed % 30) as i32, seed % 7);
            let masks = Masks {
                skills: u128::from(seed) << 3,
                geos: !seed,
            };
            one_by_one.insert(id(n), seq, fp, day(d), masks);
            bulk.insert_unsorted(id(n), seq, fp, day(d), masks);
        }
        bulk.sort_days();
        let walk = |index: &PostingIndex| -> Vec<(Day, DayEntry)> {
            index
                .newest_first(day(0), day(40), None)
                .map(|(d, e)| (d, *e))
                .collect()
        };
        assert_eq!(walk(&bulk), walk(&one_by_one));
        assert_eq!(walk(&bulk).len(), 500);
        for fp in 0..7 {
            assert_eq!(bulk.group(fp), one_by_one.group(fp));
        }
        assert_eq!(bulk.peek_next_seq(), one_by_one.peek_next_seq());
    }

    #[test]
    fn an_index_for_writing_keeps_ids_and_groups_but_lists_nothing() {
        let mut listing = PostingIndex::with_days();
        let mut writing = PostingIndex::default();
        assert!(listing.keeps_days() && !writing.keeps_days());
        let masks = Masks { skills: 1, geos: 1 };
        for index in [&mut listing, &mut writing] {
            index.insert(id(1), 1, 7, day(10), masks);
            index.insert_unsorted(id(2), 2, 7, day(11), masks);
            index.insert(id(3), 3, 0, day(12), masks);
            index.relink(id(3), 0, 7, day(9), masks);
            index.sort_days();
        }
        for fp in [0, 7] {
            assert_eq!(writing.group(fp), listing.group(fp));
        }
        let mut member_days: Vec<Day> = writing.member_days(7).collect();
        member_days.sort();
        assert_eq!(member_days, vec![day(9), day(10), day(11)]);
        assert_eq!(writing.seq(id(3)), Some(3));
        assert_eq!(writing.peek_next_seq(), listing.peek_next_seq());
        assert_eq!(listing.newest_first(day(0), day(20), None).count(), 3);
        assert_eq!(writing.newest_first(day(0), day(20), None).count(), 0);
        assert!(writing.heap_bytes() < listing.heap_bytes());
    }

    #[test]
    fn masks_may_hold_every_name_a_posting_counts_for() {
        let p = {
            let source = crate::domain::SourceId::parse("s").unwrap();
            let mut p: Posting = serde_json::from_value(serde_json::json!({
                "id": PostingId::new(&source, "1"), "source": "s", "external_id": "1",
                "title": "t", "remote": true, "posted": "2025-01-01",
                "first_seen": "2025-01-01", "last_seen": "2025-01-01",
                "skills": ["python"], "implied_skills": ["programming"],
                "fingerprint": 0, "content_hash": 0, "taxonomy": 0,
                "places": [{"country": "FR", "region": "FR-IDF", "department": "FR-75"}]
            }))
            .unwrap();
            p.text.clear();
            p
        };
        let masks = Masks::of(&p);
        let sk = |s: &str| SkillId::parse(s).unwrap();
        let geo = |g: &str| GeoCode::parse(g).unwrap();
        for s in ["python", "programming", "*"] {
            for g in ["FR-75", "FR-IDF", "FR", "REMOTE", "WORLD"] {
                assert!(masks.may_hold(Masks::wanted(&sk(s), &geo(g))), "{s} {g}");
            }
        }
        // Names it lacks are mostly ruled out (a mask is a Bloom filter).
        let others = [
            "rust",
            "java",
            "go",
            "kubernetes",
            "terraform",
            "react",
            "sql",
            "docker",
        ];
        let ruled_out = others
            .iter()
            .filter(|s| !masks.may_hold(Masks::wanted(&sk(s), &geo("FR"))))
            .count();
        assert!(ruled_out >= 6, "{ruled_out} of 8 ruled out");
    }
}
