//! A bounded in-memory cache of complete response bodies, keyed by their
//! `ETag` (so by the store's generation, the route and the parameters).
//!
//! A hit is answered on the async worker, without the blocking pool, the
//! taxonomy or the store; that is what makes a repeated trends query cheap.
//! Staleness cannot happen by construction: when the counts change, the
//! store's generation moves, every later request has a new tag and the old
//! entries are never looked up again. They are dropped all at once by the
//! first insertion of the newer generation, before any eviction of current
//! entries.
//!
//! Bounds: bodies over [`ResponseCache::max_body`] are not kept, and the
//! bodies kept sum to at most [`ResponseCache::max_bytes`]; when full, the
//! entry to drop is chosen by the CLOCK policy (an approximation of
//! least-recently-used: a hit marks an entry, the hand spares a marked
//! entry once and clears its mark). Hits and misses are counted
//! ([`ResponseCache::stats`]).
//!
//! An entry may also hold its body compressed with gzip, made for the first
//! client that accepts it ([`coding`](super::coding)); both copies count
//! towards the bound and go together.

use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

use warp::hyper::body::Bytes;

use super::etag::ETag;

/// Default [`ResponseCache::max_body`]: 2 MiB, so that a whole trends
/// answer (at most 8,192 points, the trends module's `WHOLE_MAX_POINTS`,
/// about 1.2 MB of JSON) can be kept: 32 of them at least fit in
/// [`DEFAULT_MAX_BYTES`].
pub const DEFAULT_MAX_BODY: usize = 2 * 1024 * 1024;
/// Default [`ResponseCache::max_bytes`]: 64 MiB.
pub const DEFAULT_MAX_BYTES: usize = 64 * 1024 * 1024;

/// A shared, bounded cache of response bodies (clones share it).
#[derive(Clone)]
pub struct ResponseCache {
    shared: Arc<Shared>,
}

impl std::fmt::Debug for ResponseCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ResponseCache")
            .field("stats", &self.stats())
            .finish()
    }
}

struct Shared {
    max_body: usize,
    max_bytes: usize,
    hits: AtomicU64,
    misses: AtomicU64,
    entries: Mutex<Entries>,
}

/// The entries of one generation, and the CLOCK's ring.
#[derive(Default)]
struct Entries {
    generation: u64,
    map: HashMap<ETag, Slot>,
    /// Keys in insertion order; the front is under the hand.
    ring: VecDeque<ETag>,
    bytes: usize,
}

struct Slot {
    body: Bytes,
    gzip: Option<Bytes>,
    referenced: bool,
}

impl Slot {
    fn bytes(&self) -> usize {
        self.body.len() + self.gzip.as_ref().map_or(0, Bytes::len)
    }
}

/// What a hit finds: the body, and its gzip copy once one was made.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Cached {
    /// The body as built.
    pub(crate) body: Bytes,
    /// The same compressed with gzip, when a client asked for it before.
    pub(crate) gzip: Option<Bytes>,
}

/// What the cache holds and how it served.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CacheStats {
    /// Lookups answered from the cache.
    pub hits: u64,
    /// Lookups that found nothing.
    pub misses: u64,
    /// Bodies kept.
    pub entries: usize,
    /// Their total size in bytes.
    pub bytes: usize,
}

impl Default for ResponseCache {
    fn default() -> ResponseCache {
        ResponseCache::new(DEFAULT_MAX_BYTES, DEFAULT_MAX_BODY)
    }
}

impl ResponseCache {
    /// A cache keeping bodies of at most `max_body` bytes, `max_bytes` in
    /// all (0: keeps nothing).
    pub fn new(max_bytes: usize, max_body: usize) -> ResponseCache {
        ResponseCache {
            shared: Arc::new(Shared {
                max_body: max_body.min(max_bytes),
                max_bytes,
                hits: AtomicU64::new(0),
                misses: AtomicU64::new(0),
                entries: Mutex::new(Entries::default()),
            }),
        }
    }

    /// Largest body kept, in bytes.
    pub fn max_body(&self) -> usize {
        self.shared.max_body
    }

    /// Most bytes kept in all.
    pub fn max_bytes(&self) -> usize {
        self.shared.max_bytes
    }

    /// The body kept under `tag`, if any (counted as a hit or a miss).
    pub(crate) fn get(&self, tag: &ETag) -> Option<Cached> {
        let found = {
            let mut entries = self.lock();
            entries.map.get_mut(tag).map(|slot| {
                slot.referenced = true;
                Cached {
                    body: slot.body.clone(),
                    gzip: slot.gzip.clone(),
                }
            })
        };
        let counter = if found.is_some() {
            &self.shared.hits
        } else {
            &self.shared.misses
        };
        counter.fetch_add(1, Ordering::Relaxed);
        found
    }

    /// Keeps `body` under `tag`, computed from the counts of `generation`.
    /// A body over [`ResponseCache::max_body`], or of a generation older
    /// than the entries', is not kept; a newer generation drops every
    /// entry first.
    pub(crate) fn insert(&self, generation: u64, tag: ETag, body: Bytes) {
        if body.len() > self.shared.max_body {
            return;
        }
        let mut entries = self.lock();
        if generation < entries.generation {
            return;
        }
        if generation > entries.generation {
            *entries = Entries {
                generation,
                ..Entries::default()
            };
        }
        if entries.map.contains_key(&tag) {
            return;
        }
        while entries.bytes + body.len() > self.shared.max_bytes {
            if !entries.evict_one() {
                return;
            }
        }
        entries.bytes += body.len();
        entries.ring.push_back(tag.clone());
        entries.map.insert(
            tag,
            Slot {
                body,
                gzip: None,
                referenced: false,
            },
        );
    }

    /// Keeps `gzip`, the compressed copy of the body kept under `tag`,
    /// beside it (other entries dropped by the CLOCK if needed). Nothing is
    /// kept when that body is gone, already has its copy, or the two would
    /// not fit.
    pub(crate) fn keep_gzip(&self, tag: &ETag, gzip: Bytes) {
        let mut entries = self.lock();
        let Some(slot) = entries.map.get_mut(tag) else {
            return;
        };
        if slot.gzip.is_some() || slot.bytes() + gzip.len() > self.shared.max_bytes {
            return;
        }
        // The entry is in use: spared by the hand's next pass.
        slot.referenced = true;
        while entries.bytes + gzip.len() > self.shared.max_bytes {
            if !entries.evict_one() {
                return;
            }
        }
        let Some(slot) = entries.map.get_mut(tag) else {
            // Dropped to make room after all (every entry was in use).
            return;
        };
        slot.gzip = Some(gzip);
        let added = slot.gzip.as_ref().map_or(0, Bytes::len);
        entries.bytes += added;
    }

    /// Hits, misses, entries and bytes now.
    pub fn stats(&self) -> CacheStats {
        let (entries, bytes) = {
            let e = self.lock();
            (e.map.len(), e.bytes)
        };
        CacheStats {
            hits: self.shared.hits.load(Ordering::Relaxed),
            misses: self.shared.misses.load(Ordering::Relaxed),
            entries,
            bytes,
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Entries> {
        // The entries are consistent between statements: a panic elsewhere
        // cannot leave them half-updated.
        self.shared
            .entries
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }
}

impl Entries {
    /// Drops one entry by the CLOCK policy; false when empty.
    fn evict_one(&mut self) -> bool {
        while let Some(tag) = self.ring.pop_front() {
            let Some(slot) = self.map.get_mut(&tag) else {
                continue;
            };
            if slot.referenced {
                slot.referenced = false;
                self.ring.push_back(tag);
                continue;
            }
            if let Some(slot) = self.map.remove(&tag) {
                self.bytes -= slot.bytes();
            }
            return true;
        }
        false
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::Params;

    fn tag(name: &str) -> ETag {
        ETag::of(0, name, crate::domain::Day::MIN, &Params::new())
    }

    fn body(len: usize) -> Bytes {
        Bytes::from(vec![b'x'; len])
    }

    #[test]
    fn a_body_is_found_under_its_tag_and_hits_and_misses_are_counted() {
        let cache = ResponseCache::new(1000, 100);
        assert_eq!(cache.get(&tag("a")), None);
        cache.insert(1, tag("a"), Bytes::from_static(b"{\"a\":1}"));
        assert_eq!(
            cache.get(&tag("a")).map(|hit| hit.body),
            Some(Bytes::from_static(b"{\"a\":1}"))
        );
        assert_eq!(cache.get(&tag("b")), None);
        assert_eq!(
            cache.stats(),
            CacheStats {
                hits: 1,
                misses: 2,
                entries: 1,
                bytes: 7
            }
        );
    }

    #[test]
    fn big_bodies_and_older_generations_are_not_kept() {
        let cache = ResponseCache::new(1000, 100);
        cache.insert(5, tag("big"), body(101));
        assert_eq!(cache.stats().entries, 0);
        cache.insert(5, tag("fits"), body(100));
        cache.insert(4, tag("old"), body(10));
        assert_eq!(cache.get(&tag("old")), None);
        assert_eq!(cache.stats().entries, 1);
    }

    #[test]
    fn a_newer_generation_drops_every_older_entry_first() {
        let cache = ResponseCache::new(1000, 100);
        cache.insert(1, tag("a"), body(10));
        cache.insert(1, tag("b"), body(20));
        cache.insert(2, tag("c"), body(30));
        let stats = cache.stats();
        assert_eq!((stats.entries, stats.bytes), (1, 30));
        assert_eq!(cache.get(&tag("a")), None);
        assert!(cache.get(&tag("c")).is_some());
    }

    #[test]
    fn when_full_the_clock_spares_the_entries_used_since_its_last_pass() {
        // Room for three bodies of 40 bytes (120 ≤ 130 < 160).
        let cache = ResponseCache::new(130, 100);
        for name in ["a", "b", "c"] {
            cache.insert(1, tag(name), body(40));
        }
        assert!(cache.get(&tag("a")).is_some());
        // The hand passes a (used: spared, mark cleared), drops b.
        cache.insert(1, tag("d"), body(40));
        assert!(cache.get(&tag("b")).is_none());
        for name in ["a", "c", "d"] {
            assert!(cache.get(&tag(name)).is_some(), "{name}");
        }
        let stats = cache.stats();
        assert_eq!((stats.entries, stats.bytes), (3, 120));
        // Every entry used: one full turn clears the marks, then the oldest
        // in the ring (c) goes.
        cache.insert(1, tag("e"), body(40));
        assert!(cache.get(&tag("c")).is_none());
        assert_eq!(cache.stats().bytes, 120);
    }

    #[test]
    fn a_cache_of_zero_bytes_keeps_nothing() {
        let cache = ResponseCache::new(0, 100);
        cache.insert(1, tag("a"), body(1));
        assert_eq!(cache.get(&tag("a")), None);
        assert_eq!(cache.stats().entries, 0);
    }

    #[test]
    fn a_gzip_copy_is_kept_beside_its_body_counted_and_dropped_with_it() {
        let cache = ResponseCache::new(200, 100);
        // No body under the tag: nothing kept.
        cache.keep_gzip(&tag("a"), body(5));
        assert_eq!(cache.stats().bytes, 0);
        cache.insert(1, tag("a"), body(60));
        cache.keep_gzip(&tag("a"), body(10));
        let hit = cache.get(&tag("a")).unwrap();
        assert_eq!((hit.body.len(), hit.gzip.map(|g| g.len())), (60, Some(10)));
        assert_eq!(cache.stats().bytes, 70);
        // A second copy is not kept over the first.
        cache.keep_gzip(&tag("a"), body(20));
        assert_eq!(cache.stats().bytes, 70);
        // Full: the hand spares a (just used) and drops b.
        cache.insert(1, tag("b"), body(90));
        cache.insert(1, tag("c"), body(50));
        assert!(cache.get(&tag("b")).is_none());
        assert_eq!(cache.stats().bytes, 120);
        // The hand cleared a's mark: a goes next, with both of its copies.
        cache.insert(1, tag("d"), body(100));
        assert!(cache.get(&tag("a")).is_none());
        let stats = cache.stats();
        assert_eq!((stats.entries, stats.bytes), (2, 150));
        // A newer generation drops copies and bodies alike.
        cache.insert(2, tag("f"), body(1));
        assert_eq!(cache.stats().bytes, 1);
    }

    #[test]
    fn a_gzip_copy_that_cannot_fit_is_not_kept_and_the_body_stays() {
        let cache = ResponseCache::new(100, 100);
        cache.insert(1, tag("a"), body(80));
        cache.keep_gzip(&tag("a"), body(30));
        let hit = cache.get(&tag("a")).unwrap();
        assert_eq!((hit.body.len(), hit.gzip), (80, None));
        assert_eq!(cache.stats().bytes, 80);
    }
}
