//! The in-memory posting index: where each posting is stored (its sequence
//! number, the key of its record), and which postings share a duplicate
//! fingerprint (with their posting days).
//!
//! Kept in memory rather than in sled: an index entry in sled is one more
//! random insert per posting (~10 µs) and one prefix scan per look-up, while
//! in memory it is ~70 bytes per posting and a hash probe. Records are keyed
//! by sequence number rather than by id so that sled appends to its last
//! leaf instead of writing all over the tree: at a million postings a random
//! key costs 27 µs per insert and gigabytes of memory where an increasing
//! key costs 12 µs and stays within the cache (`benches/sled_keys.rs`). It is rebuilt from
//! the posting records (whose fingerprint sits at a fixed place, see
//! [`record`](super::record)) the first time a writer or a duplicate look-up
//! needs it, and kept in step by the single writer after each applied batch.

use rustc_hash::FxHashMap;

use crate::domain::{Day, PostingId};

/// Stored ids and duplicate groups.
#[derive(Debug, Default)]
pub struct PostingIndex {
    /// Posting id → sequence number.
    ids: FxHashMap<u64, u64>,
    /// The next sequence number to give.
    next_seq: u64,
    /// Fingerprint → its first member; most fingerprints have one posting.
    first: FxHashMap<u64, Member>,
    /// Fingerprint → its other members, for groups of two or more.
    more: FxHashMap<u64, Vec<Member>>,
}

/// A member of a duplicate group.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Member {
    /// The posting id.
    id: u64,
    /// Its posting day (days since 1970-01-01).
    day: i32,
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
    },
}

impl PostingIndex {
    /// The sequence number of a stored posting.
    pub fn seq(&self, id: PostingId) -> Option<u64> {
        self.ids.get(&id.as_u64()).copied()
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
        table(self.ids.capacity(), size_of::<(u64, u64)>())
            + table(self.first.capacity(), size_of::<(u64, Member)>())
            + table(self.more.capacity(), size_of::<(u64, Vec<Member>)>())
            + self
                .more
                .values()
                .map(|v| v.capacity() * size_of::<Member>())
                .sum::<usize>()
    }

    /// Records a stored posting: its sequence number, fingerprint (0: never
    /// merged) and posting day.
    pub fn insert(&mut self, id: PostingId, seq: u64, fingerprint: u64, posted: Day) {
        let id = id.as_u64();
        self.ids.insert(id, seq);
        self.next_seq = self.next_seq.max(seq + 1);
        if fingerprint == 0 {
            return;
        }
        let member = Member {
            id,
            day: posted.epoch_days(),
        };
        match self.first.get_mut(&fingerprint) {
            None => {
                self.first.insert(fingerprint, member);
            }
            Some(f) if f.id == id => *f = member,
            Some(_) => {
                let more = self.more.entry(fingerprint).or_default();
                match more.iter_mut().find(|m| m.id == id) {
                    Some(m) => *m = member,
                    None => more.push(member),
                }
            }
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
            } => self.insert(id, seq, fingerprint, posted),
            IndexMove::Relink {
                id,
                old_fingerprint,
                fingerprint,
                posted,
            } => self.relink(id, old_fingerprint, fingerprint, posted),
        }
    }

    /// Moves a stored posting from one fingerprint to another, or to another
    /// posting day.
    pub fn relink(&mut self, id: PostingId, old: u64, new: u64, posted: Day) {
        if old != new {
            self.unlink(id.as_u64(), old);
        }
        if let Some(seq) = self.seq(id) {
            self.insert(id, seq, new, posted);
        }
    }

    fn unlink(&mut self, id: u64, fingerprint: u64) {
        if fingerprint == 0 {
            return;
        }
        if self.first.get(&fingerprint).is_some_and(|f| f.id == id) {
            match self.more.get_mut(&fingerprint).and_then(Vec::pop) {
                Some(next) => {
                    self.first.insert(fingerprint, next);
                }
                None => {
                    self.first.remove(&fingerprint);
                }
            }
        } else if let Some(more) = self.more.get_mut(&fingerprint) {
            more.retain(|m| m.id != id);
        }
        if self.more.get(&fingerprint).is_some_and(Vec::is_empty) {
            self.more.remove(&fingerprint);
        }
    }

    fn members(&self, fingerprint: u64) -> impl Iterator<Item = &Member> {
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
        let mut ids: Vec<u64> = self.members(fingerprint).map(|m| m.id).collect();
        ids.sort_unstable();
        ids.into_iter().map(PostingId::from_u64).collect()
    }

    /// The posting days of the postings stored under `fingerprint` (see
    /// [`counting::stands_alone`](super::counting::stands_alone)).
    pub fn member_days(&self, fingerprint: u64) -> impl Iterator<Item = Day> + '_ {
        self.members(fingerprint)
            .map(|m| Day::from_epoch_days(m.day))
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
        index.insert(id(1), 1, 7, day(100));
        index.insert(id(2), 2, 7, day(100));
        index.insert(id(3), 3, 7, day(100));
        index.insert(id(2), 2, 7, day(100)); // again: no duplicate entry
        index.insert(id(4), 4, 0, day(100));
        index.insert(id(5), 5, 8, day(100));
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
        index.relink(id(1), 7, 8, day(100));
        assert_eq!(index.group(7), vec![id(2), id(3)]);
        assert_eq!(index.group(8), vec![id(1), id(5)]);
        index.relink(id(3), 7, 0, day(100));
        index.relink(id(2), 7, 9, day(100));
        assert_eq!(index.group(7), vec![]);
        assert_eq!(index.group(9), vec![id(2)]);
        assert_eq!(index.shared_fingerprints(), vec![8]);
        index.relink(id(5), 8, 0, day(100));
        assert!(!index.is_shared(8));
        assert_eq!(index.len(), 5);
    }

    #[test]
    fn member_days_follow_moves() {
        let mut index = PostingIndex::default();
        index.insert(id(1), 1, 7, day(1_000));
        index.insert(id(2), 2, 7, day(1_200));
        let days = |index: &PostingIndex, fp| {
            let mut d: Vec<Day> = index.member_days(fp).collect();
            d.sort();
            d
        };
        assert_eq!(days(&index, 7), vec![day(1_000), day(1_200)]);
        assert_eq!(days(&index, 8), vec![]);
        // A member whose day changes is found at its new day only.
        index.relink(id(2), 7, 7, day(2_000));
        assert_eq!(days(&index, 7), vec![day(1_000), day(2_000)]);
        assert_eq!(index.group(7), vec![id(1), id(2)]);
    }
}
