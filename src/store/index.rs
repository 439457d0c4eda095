//! The in-memory posting index: which posting ids are stored, and which
//! share a duplicate fingerprint.
//!
//! Kept in memory rather than in sled: an index entry in sled is one more
//! random insert per posting (~10 µs) and one prefix scan per look-up, while
//! in memory it is ~40 bytes per posting and a hash probe. It is rebuilt from
//! the posting records (whose fingerprint sits at a fixed place, see
//! [`record`](super::record)) the first time a writer or a duplicate look-up
//! needs it, and kept in step by the single writer after each applied batch.

use rustc_hash::{FxHashMap, FxHashSet};

use crate::domain::PostingId;

/// Stored ids and duplicate groups.
#[derive(Debug, Default)]
pub struct PostingIndex {
    ids: FxHashSet<u64>,
    /// Fingerprint → its first id; most fingerprints have one posting.
    first: FxHashMap<u64, u64>,
    /// Fingerprint → its other ids, for groups of two or more.
    more: FxHashMap<u64, Vec<u64>>,
}

impl PostingIndex {
    /// Whether a posting with this id is stored.
    pub fn contains(&self, id: PostingId) -> bool {
        self.ids.contains(&id.as_u64())
    }

    /// Number of stored postings.
    pub fn len(&self) -> usize {
        self.ids.len()
    }

    /// Whether no posting is stored.
    pub fn is_empty(&self) -> bool {
        self.ids.is_empty()
    }

    /// Records a stored posting and its fingerprint (0: never merged).
    pub fn insert(&mut self, id: PostingId, fingerprint: u64) {
        let id = id.as_u64();
        self.ids.insert(id);
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

    /// Moves a stored posting from one fingerprint to another.
    pub fn refingerprint(&mut self, id: PostingId, old: u64, new: u64) {
        if old != new {
            self.unlink(id.as_u64(), old);
            self.insert(id, new);
        }
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
            more.retain(|m| *m != id);
        }
        if self.more.get(&fingerprint).is_some_and(Vec::is_empty) {
            self.more.remove(&fingerprint);
        }
    }

    /// The ids stored under `fingerprint`, sorted.
    pub fn group(&self, fingerprint: u64) -> Vec<PostingId> {
        if fingerprint == 0 {
            return Vec::new();
        }
        let mut ids: Vec<u64> = self.first.get(&fingerprint).copied().into_iter().collect();
        if let Some(more) = self.more.get(&fingerprint) {
            ids.extend(more);
        }
        ids.sort_unstable();
        ids.into_iter().map(PostingId::from_u64).collect()
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

    #[test]
    fn groups_follow_inserts_and_moves() {
        let mut index = PostingIndex::default();
        index.insert(id(1), 7);
        index.insert(id(2), 7);
        index.insert(id(3), 7);
        index.insert(id(2), 7); // again: no duplicate entry
        index.insert(id(4), 0);
        index.insert(id(5), 8);
        assert_eq!(index.len(), 5);
        assert!(index.contains(id(4)) && !index.contains(id(6)));
        assert_eq!(index.group(7), vec![id(1), id(2), id(3)]);
        assert_eq!(index.group(0), vec![]);
        assert!(index.is_shared(7) && !index.is_shared(8));
        assert_eq!(index.shared_fingerprints(), vec![7]);

        // The first of a group moves away: another takes its place.
        index.refingerprint(id(1), 7, 8);
        assert_eq!(index.group(7), vec![id(2), id(3)]);
        assert_eq!(index.group(8), vec![id(1), id(5)]);
        index.refingerprint(id(3), 7, 0);
        index.refingerprint(id(2), 7, 9);
        assert_eq!(index.group(7), vec![]);
        assert_eq!(index.group(9), vec![id(2)]);
        assert_eq!(index.shared_fingerprints(), vec![8]);
        index.refingerprint(id(5), 8, 0);
        assert!(!index.is_shared(8));
        assert_eq!(index.len(), 5);
    }
}
