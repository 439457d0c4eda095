//! Ingestion into the sled store: upserts, duplicate groups before and
//! after, and the counter changes between them.
//!
//! Readers are not held up by a batch: the writer reads the posting index
//! under a shared lock while it loads, counts and writes, and takes the
//! exclusive lock only to apply the index changes of a written batch (no
//! I/O under it).

use std::borrow::Cow;
use std::collections::BTreeSet;

use rustc_hash::FxHashMap;

use super::counts::Event;
use super::{engine, poisoned, SledStore, DIRTY_KEY, POSTING_COUNT_KEY};
use crate::domain::{content_hash, Day, Posting, PostingId};
use crate::store::index::PostingIndex;
use crate::store::texts::TextRef;
use crate::store::{counting, keys, record, IngestOutcome, StoreError};

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

/// A change of the posting index, applied once its batch is written.
enum IndexMove {
    /// A new posting: id, sequence number, fingerprint, posting day.
    Insert(PostingId, u64, u64, Day),
    /// A stored posting: id, old fingerprint, new fingerprint, posting day.
    Relink(PostingId, u64, u64, Day),
}

/// What a written batch leaves to do: index changes and counter changes.
struct Written {
    moves: Vec<IndexMove>,
    events: Vec<Event>,
}

impl SledStore {
    /// [`Store::ingest`](crate::store::Store::ingest): the batch's upserts,
    /// their count changes, the postings written in one sled batch, then the
    /// index updated and the changes cached.
    pub(super) fn ingest_batch(&self, postings: &[Posting]) -> Result<IngestOutcome, StoreError> {
        let _writer = self.writer.lock().map_err(poisoned)?;
        let (outcome, written) = {
            let guard = self.index_ref()?;
            let index = guard.as_ref().ok_or_else(|| {
                StoreError::Engine("the posting index is missing during an ingest".into())
            })?;
            let upserts = self.upserts(index, postings)?;
            let outcome = upserts.outcome;
            (outcome, self.write_upserts(index, &upserts)?)
        };
        self.finish_batch(written)?;
        Ok(outcome)
    }

    /// [`Store::mark_seen`](crate::store::Store::mark_seen): moves the last
    /// day seen of stored postings to `day` (when later), and their `active`
    /// counts with it. Returns how many of `ids` are stored.
    pub(super) fn mark_seen_batch(&self, ids: &[PostingId], day: Day) -> Result<u64, StoreError> {
        let _writer = self.writer.lock().map_err(poisoned)?;
        let (found, written) = {
            let guard = self.index_ref()?;
            let index = guard.as_ref().ok_or_else(|| {
                StoreError::Engine(
                    "the posting index is missing while marking postings seen".into(),
                )
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
            let index = guard.as_mut().ok_or_else(|| {
                StoreError::Engine("the posting index is missing after a write".into())
            })?;
            for m in written.moves {
                match m {
                    IndexMove::Insert(id, seq, fp, posted) => index.insert(id, seq, fp, posted),
                    IndexMove::Relink(id, old, new, posted) => index.relink(id, old, new, posted),
                }
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

    /// The counter changes of the upserts: every touched duplicate group's
    /// clusters before (removed) and after (added), except for new postings
    /// that are clusters of their own, which only add.
    fn count_changes(
        &self,
        index: &PostingIndex,
        u: &Upserts<'_>,
    ) -> Result<Vec<Event>, StoreError> {
        let mut events: Vec<Event> = Vec::new();
        let mut groups: BTreeSet<u64> = BTreeSet::new();
        // How many postings of the batch touch each fingerprint (before or after).
        let mut touches: FxHashMap<u64, u32> = FxHashMap::default();
        for (id, new) in &u.after {
            let old = u.stored_before(id).map(|(p, _)| p);
            for fp in old
                .map(|p| p.fingerprint)
                .into_iter()
                .chain([new.fingerprint])
            {
                *touches.entry(fp).or_default() += 1;
            }
        }
        for (id, new) in &u.after {
            let old = u.stored_before(id).map(|(p, _)| p);
            if let Some(old) = old.filter(|p| p.fingerprint == 0) {
                self.cluster_events(&[old], -1, &mut events)?;
            }
            let fp = new.fingerprint;
            // A new posting alone in the batch under its fingerprint that
            // stands alone among the stored ones: its group need not be read.
            let alone = fp == 0
                || (old.is_none()
                    && touches.get(&fp) == Some(&1)
                    && counting::stands_alone(new.posted, index.member_days(fp), &self.rules));
            if alone {
                self.cluster_events(&[new], 1, &mut events)?;
            } else {
                groups.insert(fp);
            }
            if let Some(old) = old.filter(|p| p.fingerprint != 0) {
                groups.insert(old.fingerprint);
            }
        }
        for fp in groups {
            let stored_ids = index.group(fp);
            let mut loaded: Vec<Posting> = Vec::new();
            for id in &stored_ids {
                if !u.before.contains_key(id) {
                    loaded.extend(self.load(index, *id)?.map(|(p, _)| p));
                }
            }
            let old_group: Vec<&Posting> = stored_ids
                .iter()
                .filter_map(|id| u.stored_before(id).map(|(p, _)| p))
                .chain(&loaded)
                .collect();
            let mut new_group: Vec<&Posting> = old_group
                .iter()
                .copied()
                .filter(|p| !u.after.contains_key(&p.id))
                .collect();
            new_group.extend(
                u.after
                    .values()
                    .map(|p| p.as_ref())
                    .filter(|p| p.fingerprint == fp),
            );
            for cluster in counting::clusters(&old_group, &self.rules) {
                self.cluster_events(&cluster, -1, &mut events)?;
            }
            for cluster in counting::clusters(&new_group, &self.rules) {
                self.cluster_events(&cluster, 1, &mut events)?;
            }
        }
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
            batch.insert(&keys::posting(seq)[..], record::encode(posting, text));
            moves.push(match u.stored_before(id) {
                Some((old, _)) => {
                    IndexMove::Relink(*id, old.fingerprint, posting.fingerprint, posting.posted)
                }
                None => IndexMove::Insert(*id, seq, posting.fingerprint, posting.posted),
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
        self.main.apply_batch(batch).map_err(engine)?;
        if mark {
            self.cache.lock().map_err(poisoned)?.marked = true;
        }
        Ok(moves)
    }

    /// [`Store::put_postings`].
    pub(super) fn put_batch(&self, postings: &[Posting]) -> Result<(), StoreError> {
        let _writer = self.writer.lock().map_err(poisoned)?;
        let mut index = self.index_mut()?;
        let index = index.as_mut().ok_or_else(|| {
            StoreError::Engine("the posting index is missing during a restore".into())
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
            batch.insert(&keys::posting(seq)[..], record::encode(p, text));
            moves.push((p.id, seq, old_fp, p.fingerprint, p.posted));
        }
        self.texts.write_out()?;
        let total = self.read_i64(POSTING_COUNT_KEY)? + added;
        batch.insert(POSTING_COUNT_KEY, &total.to_be_bytes()[..]);
        self.main.apply_batch(batch).map_err(engine)?;
        for (id, seq, old, new, posted) in moves {
            match old {
                Some(old) => index.relink(id, old, new, posted),
                None => index.insert(id, seq, new, posted),
            }
        }
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
    new.content_hash = content_hash(&new);
    new
}
