//! Ingestion into the sled store: upserts, their counter changes (computed
//! by [`counting::batch_changes`] from what is stored), and the write.
//!
//! Readers are not held up by a batch: the writer reads the posting index
//! under a shared lock while it loads, counts and writes, and takes the
//! exclusive lock only to apply the index changes of a written batch (no
//! I/O under it).

use std::borrow::Cow;

use rustc_hash::FxHashMap;

use super::counts::Event;
use super::{engine, poisoned, SledStore, DIRTY_KEY, POSTING_COUNT_KEY};
use crate::domain::{merge_seen, Day, Posting, PostingId};
use crate::store::counting::{self, StoredGroups, Upsert};
use crate::store::index::{IndexMove, PostingIndex};
use crate::store::texts::TextRef;
use crate::store::{keys, IngestOutcome, StoreError};

/// The stored and the new version of every posting a batch touches.
struct Upserts<'a> {
    /// What is stored now, by id (`None`: a new posting).
    before: FxHashMap<PostingId, Option<(Posting, TextRef)>>,
    /// What will be stored.
    after: FxHashMap<PostingId, Cow<'a, Posting>>,
    outcome: IngestOutcome,
    /// The new versions carry no text: keep each stored text where it is
    /// (postings re-seen on a page answered 304).
    keep_texts: bool,
}

impl Upserts<'_> {
    fn stored_before(&self, id: &PostingId) -> Option<&(Posting, TextRef)> {
        self.before.get(id).and_then(Option::as_ref)
    }
}

/// What the store holds before a batch, for the counting rules: the index,
/// and the records (a posting the batch loaded already is not read again).
struct Stored<'s, 'u> {
    store: &'s SledStore,
    index: &'s PostingIndex,
    upserts: &'s Upserts<'u>,
}

impl StoredGroups for Stored<'_, '_> {
    type Error = StoreError;

    fn member_days(&self, fingerprint: u64) -> impl Iterator<Item = Day> + '_ {
        self.index.member_days(fingerprint)
    }

    fn group(&self, fingerprint: u64) -> Vec<PostingId> {
        self.index.group(fingerprint)
    }

    fn load(&self, id: PostingId) -> Result<Option<Posting>, StoreError> {
        match self.upserts.before.get(&id) {
            Some(before) => Ok(before.as_ref().map(|(p, _)| p.clone())),
            None => Ok(self.store.load(self.index, id)?.map(|(p, _)| p)),
        }
    }
}

/// What a written batch leaves to do: index changes and counter changes.
struct Written {
    moves: Vec<IndexMove>,
    events: Vec<Event>,
}

impl SledStore {
    /// [`PostingStore::ingest`](crate::store::PostingStore::ingest): the batch's upserts,
    /// their count changes, the postings written in one sled batch, then the
    /// index updated and the changes cached.
    pub(super) fn ingest_batch(&self, postings: &[Posting]) -> Result<IngestOutcome, StoreError> {
        let _writer = self.writer.lock().map_err(poisoned)?;
        let (outcome, written) = {
            let guard = self.index_ref()?;
            let index = guard.as_ref().ok_or(StoreError::IndexMissing {
                doing: "during an ingest",
            })?;
            let upserts = self.upserts(index, postings)?;
            let outcome = upserts.outcome;
            (outcome, self.write_upserts(index, &upserts)?)
        };
        self.finish_batch(written)?;
        Ok(outcome)
    }

    /// [`PostingStore::mark_seen`](crate::store::PostingStore::mark_seen): moves the last
    /// day seen of stored postings to `day` (when later), and their `active`
    /// counts with it. Returns how many of `ids` are stored.
    pub(super) fn mark_seen_batch(&self, ids: &[PostingId], day: Day) -> Result<u64, StoreError> {
        let _writer = self.writer.lock().map_err(poisoned)?;
        let (found, written) = {
            let guard = self.index_ref()?;
            let index = guard.as_ref().ok_or(StoreError::IndexMissing {
                doing: "while marking postings seen",
            })?;
            let mut u = Upserts {
                before: FxHashMap::default(),
                after: FxHashMap::default(),
                outcome: IngestOutcome::default(),
                keep_texts: true,
            };
            let mut found = 0;
            for id in ids {
                if u.before.contains_key(id) {
                    continue;
                }
                let Some((stored, text)) = self.load(index, *id)? else {
                    continue;
                };
                found += 1;
                if stored.last_seen < day {
                    let mut seen = stored.clone();
                    seen.last_seen = day;
                    u.outcome.unchanged += 1;
                    u.after.insert(*id, Cow::Owned(seen));
                }
                u.before.insert(*id, Some((stored, text)));
            }
            if u.after.is_empty() {
                return Ok(found);
            }
            (found, self.write_upserts(index, &u)?)
        };
        self.finish_batch(written)?;
        Ok(found)
    }

    /// Computes the count changes of `u` and writes its postings.
    fn write_upserts(&self, index: &PostingIndex, u: &Upserts<'_>) -> Result<Written, StoreError> {
        let events = self.count_changes(index, u)?;
        let moves = self.write_postings(index, u, !events.is_empty())?;
        Ok(Written { moves, events })
    }

    /// Applies a written batch's index changes (briefly, under the exclusive
    /// lock) and caches its counter changes.
    fn finish_batch(&self, written: Written) -> Result<(), StoreError> {
        {
            let mut guard = self.index.write().map_err(poisoned)?;
            let index = guard.as_mut().ok_or(StoreError::IndexMissing {
                doing: "after a write",
            })?;
            for m in written.moves {
                index.apply(m);
            }
        }
        if self.cache_events(written.events)? {
            self.flush_counts(false)?;
        }
        Ok(())
    }

    /// Loads what is stored of each posting and merges in what was seen.
    fn upserts<'a>(
        &self,
        index: &PostingIndex,
        postings: &'a [Posting],
    ) -> Result<Upserts<'a>, StoreError> {
        let mut u = Upserts {
            before: FxHashMap::default(),
            after: FxHashMap::default(),
            outcome: IngestOutcome::default(),
            keep_texts: false,
        };
        for posting in postings {
            if !u.after.contains_key(&posting.id) {
                let stored = self.load(index, posting.id)?;
                u.before.insert(posting.id, stored);
            }
            // The version to merge with: this batch's, else the stored one.
            let previous: Option<&Posting> = match u.after.get(&posting.id) {
                Some(p) => Some(p.as_ref()),
                None => u
                    .before
                    .get(&posting.id)
                    .and_then(Option::as_ref)
                    .map(|(p, _)| p),
            };
            let stored = match previous {
                None => {
                    u.outcome.new += 1;
                    Cow::Borrowed(posting)
                }
                Some(old) => {
                    let merged = merge_seen(old, posting.clone());
                    let same = old.content_hash == merged.content_hash
                        && old.skills == merged.skills
                        && old.implied_skills == merged.implied_skills
                        && old.places == merged.places;
                    if same {
                        u.outcome.unchanged += 1;
                    } else {
                        u.outcome.updated += 1;
                    }
                    Cow::Owned(merged)
                }
            };
            u.after.insert(stored.id, stored);
        }
        Ok(u)
    }

    /// The counter changes of the upserts ([`counting::batch_changes`]).
    fn count_changes(
        &self,
        index: &PostingIndex,
        u: &Upserts<'_>,
    ) -> Result<Vec<Event>, StoreError> {
        let batch: Vec<Upsert<'_>> = u
            .after
            .iter()
            .map(|(id, after)| Upsert {
                before: u.stored_before(id).map(|(p, _)| p),
                after: after.as_ref(),
            })
            .collect();
        let stored = Stored {
            store: self,
            index,
            upserts: u,
        };
        let mut events: Vec<Event> = Vec::new();
        counting::batch_changes(&batch, &stored, &self.rules, &mut |cluster, sign| {
            self.cluster_events(cluster, sign, &mut events)
        })?;
        Ok(events)
    }

    /// Writes the upserted postings in one sled batch (with the posting
    /// count, and the dirty marker when `counts_change`), their texts first.
    /// Returns the index changes to apply.
    fn write_postings(
        &self,
        index: &PostingIndex,
        u: &Upserts<'_>,
        counts_change: bool,
    ) -> Result<Vec<IndexMove>, StoreError> {
        // Texts first, handed to the OS before any record points to them.
        let mut batch = sled::Batch::default();
        let mut moves = Vec::with_capacity(u.after.len());
        let mut next_seq = index.peek_next_seq();
        for (id, posting) in &u.after {
            let text = match u.stored_before(id) {
                Some((_, text)) if u.keep_texts => *text,
                Some((old, text))
                    if old.content_hash == posting.content_hash && self.texts.holds(*text)? =>
                {
                    *text
                }
                _ => self.texts.append(&posting.text)?,
            };
            let seq = match index.seq(*id) {
                Some(seq) => seq,
                None => {
                    next_seq += 1;
                    next_seq - 1
                }
            };
            self.put_record(&mut batch, &keys::posting(seq), posting, text)?;
            moves.push(match u.stored_before(id) {
                Some((old, _)) => IndexMove::Relink {
                    id: *id,
                    old_fingerprint: old.fingerprint,
                    fingerprint: posting.fingerprint,
                    posted: posting.posted,
                    masks: index.masks_of(posting),
                },
                None => IndexMove::Insert {
                    id: *id,
                    seq,
                    fingerprint: posting.fingerprint,
                    posted: posting.posted,
                    masks: index.masks_of(posting),
                },
            });
        }
        self.texts.write_out()?;
        if u.outcome.new > 0 {
            let total = self.read_i64(POSTING_COUNT_KEY)? + u.outcome.new as i64;
            batch.insert(POSTING_COUNT_KEY, &total.to_be_bytes()[..]);
        }
        let marked = self.cache.lock().map_err(poisoned)?.marked;
        let mark = counts_change && !marked;
        if mark {
            batch.insert(DIRTY_KEY, &[1u8][..]);
        }
        self.put_names(&mut batch)?;
        self.main
            .apply_batch(batch)
            .map_err(engine("writing a batch of postings"))?;
        if mark {
            self.cache.lock().map_err(poisoned)?.marked = true;
        }
        Ok(moves)
    }

    /// [`PostingStore::put_postings`](crate::store::PostingStore::put_postings).
    pub(super) fn put_batch(&self, postings: &[Posting]) -> Result<(), StoreError> {
        let _writer = self.writer.lock().map_err(poisoned)?;
        let mut index = self.index_mut()?;
        let index = index.as_mut().ok_or(StoreError::IndexMissing {
            doing: "during a restore",
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
            self.put_record(&mut batch, &keys::posting(seq), p, text)?;
            moves.push(match old_fp {
                Some(old_fingerprint) => IndexMove::Relink {
                    id: p.id,
                    old_fingerprint,
                    fingerprint: p.fingerprint,
                    posted: p.posted,
                    masks: index.masks_of(p),
                },
                None => IndexMove::Insert {
                    id: p.id,
                    seq,
                    fingerprint: p.fingerprint,
                    posted: p.posted,
                    masks: index.masks_of(p),
                },
            });
        }
        self.texts.write_out()?;
        let total = self.read_i64(POSTING_COUNT_KEY)? + added;
        batch.insert(POSTING_COUNT_KEY, &total.to_be_bytes()[..]);
        self.put_names(&mut batch)?;
        self.main
            .apply_batch(batch)
            .map_err(engine("writing restored postings"))?;
        for m in moves {
            index.apply(m);
        }
        Ok(())
    }
}
