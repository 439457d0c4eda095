//! Running sums of counter series, kept in memory for the store's current
//! [generation](crate::store::CountStore::generation), so that the value of
//! a series over any span is two binary searches.
//!
//! Top and rising skills ask, for every skill of the taxonomy, its value
//! over three periods: read from sled that is three year records per skill
//! and period, a few milliseconds per question, every question different
//! (another period, another limit). The counts only change when a flush
//! writes them, and the generation moves after that write, so a series read
//! after seeing generation `g` holds at least what `g` holds: it is kept
//! under `g` and dropped, with everything else, once a newer generation is
//! seen. The cache is bounded ([`MAX_SUM_BYTES`]); when full it is emptied
//! and refilled by the next questions.

use std::sync::{Arc, Mutex};

use rustc_hash::FxHashMap;

use crate::domain::Day;
use crate::store::running::RunningSums;
use crate::store::StoreError;

/// Memory the kept series may use (their days and sums): a series with a
/// value on every day of three years is 13 KB, so this holds a few
/// thousand (every skill of a few dozen geographies).
pub const MAX_SUM_BYTES: usize = 32 << 20;

/// A series: skill and geography numbers, counter tag.
type SeriesKey = (u32, u32, u8);

/// The kept series of one generation.
#[derive(Debug, Default)]
pub(super) struct SumCache {
    state: Mutex<SumState>,
}

#[derive(Debug, Default)]
struct SumState {
    generation: u64,
    bytes: usize,
    series: FxHashMap<SeriesKey, Arc<RunningSums>>,
}

impl SumCache {
    /// The running sums of series `key` as of `generation`, read by `load`
    /// (the whole daily series) when not kept. A generation older than the
    /// newest seen is answered without being kept.
    pub(super) fn get_or_load(
        &self,
        generation: u64,
        key: SeriesKey,
        load: impl FnOnce() -> Result<Vec<(Day, i64)>, StoreError>,
    ) -> Result<Arc<RunningSums>, StoreError> {
        {
            let mut state = self.state.lock().map_err(super::poisoned)?;
            if generation > state.generation {
                *state = SumState {
                    generation,
                    ..SumState::default()
                };
            }
            if let Some(found) = state.series.get(&key) {
                return Ok(found.clone());
            }
        }
        let sums = Arc::new(RunningSums::of(&load()?));
        let mut state = self.state.lock().map_err(super::poisoned)?;
        if state.generation == generation {
            if state.bytes + sums.bytes() > MAX_SUM_BYTES {
                state.series.clear();
                state.bytes = 0;
            }
            state.bytes += sums.bytes();
            state.series.insert(key, sums.clone());
        }
        Ok(sums)
    }

    /// Series kept now.
    #[cfg(test)]
    fn len(&self) -> usize {
        self.state.lock().map_or(0, |s| s.series.len())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(n: i32) -> Day {
        Day::from_epoch_days(n)
    }

    #[test]
    fn a_series_is_read_once_per_generation_and_a_newer_one_drops_the_rest() {
        let cache = SumCache::default();
        let reads = std::cell::Cell::new(0);
        let load = |v: i64| {
            reads.set(reads.get() + 1);
            Ok(vec![(day(1), v)])
        };
        let a = cache.get_or_load(7, (1, 2, b'o'), || load(5)).unwrap();
        let again = cache.get_or_load(7, (1, 2, b'o'), || load(99)).unwrap();
        assert_eq!(
            (a.through(day(1)), again.through(day(1)), reads.get()),
            (5, 5, 1)
        );
        // Another series of the same generation is read and kept beside it.
        cache.get_or_load(7, (1, 3, b'o'), || load(1)).unwrap();
        assert_eq!(cache.len(), 2);
        // A newer generation reads again and keeps only its own.
        let b = cache.get_or_load(8, (1, 2, b'o'), || load(6)).unwrap();
        assert_eq!((b.through(day(1)), reads.get(), cache.len()), (6, 3, 1));
        // An older generation (a reader that started before the flush) is
        // answered from its own read and not kept.
        let old = cache.get_or_load(7, (9, 9, b'o'), || load(2)).unwrap();
        assert_eq!((old.through(day(1)), cache.len()), (2, 1));
        // A failed read is the caller's error and keeps nothing.
        let failed = cache.get_or_load(8, (4, 4, b'o'), || {
            Err(StoreError::IndexMissing { doing: "test" })
        });
        assert!(failed.is_err());
        assert_eq!(cache.len(), 1);
    }
}
