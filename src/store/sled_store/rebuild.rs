//! Recounting and rewriting every posting of the sled store: crash
//! recovery, `restore` and `reindex`.

use super::{engine, poisoned, SledStore, DIRTY_KEY, SNAPSHOT_KEY};
use crate::domain::Posting;
use crate::store::index::{IndexMove, PostingIndex};
use crate::store::{counting, keys, record, PostingStore, StoreError};

impl SledStore {
    /// [`PostingStore::rebuild`].
    pub(super) fn rebuild_all(
        &self,
        transform: Option<&dyn Fn(Posting) -> Posting>,
        progress: &mut dyn FnMut(u64),
    ) -> Result<u64, StoreError> {
        let _writer = self.writer.lock().map_err(poisoned)?;
        // Until the recount is written, the counts are not to be trusted.
        self.main
            .insert(DIRTY_KEY, &[1u8][..])
            .map_err(engine("marking the counts dirty"))?;
        self.main
            .flush()
            .map_err(engine("marking the counts dirty"))?;
        {
            let mut cache = self.cache.lock().map_err(poisoned)?;
            cache.records.clear();
            cache.marked = true;
        }
        // 1. Every posting through `transform`; the index follows. Without a
        //    transform (a plain recount) postings and texts are not read here.
        let (rewritten, generation) = match transform {
            Some(transform) => {
                let (n, generation) = self.transform_postings(transform)?;
                (n, Some(generation))
            }
            None => (self.posting_count()?, None),
        };
        // 2. Every counter away, then counted again.
        let mut batch = sled::Batch::default();
        batch.remove(SNAPSHOT_KEY);
        for entry in self.main.scan_prefix([keys::COUNT]) {
            let (k, _) = entry.map_err(engine("reading the counters"))?;
            batch.remove(k);
        }
        self.main
            .apply_batch(batch)
            .map_err(engine("clearing the counters"))?;
        self.recount(progress)?;
        self.flush_counts(false)?;
        self.texts.sync()?;
        self.db.flush().map_err(engine("flushing the database"))?;
        if let Some(generation) = generation {
            // Every record now points into `generation` (or at a text already lost).
            self.texts.remove_older_than(generation)?;
        }
        Ok(rewritten)
    }

    /// Recounts everything from the stored postings (counters must be empty).
    ///
    /// One pass over the posting records in key order counts every posting
    /// that is alone under its fingerprint (nearly all of them) as its own
    /// cluster; then each shared fingerprint's group is loaded and clustered.
    pub(super) fn recount(&self, progress: &mut dyn FnMut(u64)) -> Result<(), StoreError> {
        let index = self.index_ref()?;
        let index = index.as_ref().ok_or(StoreError::IndexMissing {
            doing: "during a recount",
        })?;
        let mut done = 0u64;
        let add = |postings: &[Posting], grouped: bool| -> Result<bool, StoreError> {
            let mut events = Vec::new();
            let refs: Vec<&Posting> = postings.iter().collect();
            if grouped {
                for cluster in counting::clusters(&refs, &self.rules) {
                    self.cluster_events(&cluster, 1, &mut events)?;
                }
            } else {
                for p in &refs {
                    self.cluster_events(&[p], 1, &mut events)?;
                }
            }
            self.cache_events(events)
        };
        let mut singles = Vec::with_capacity(1024);
        let mut flush_singles = |singles: &mut Vec<Posting>, done: &mut u64| {
            let full = add(singles, false)?;
            *done += singles.len() as u64;
            singles.clear();
            if full {
                self.flush_counts(true)?;
                progress(*done);
            }
            Ok::<(), StoreError>(())
        };
        for entry in self.main.scan_prefix([keys::POSTING]) {
            let (k, v) = entry.map_err(engine("reading the postings"))?;
            if record::header(&v).is_some_and(|(_, fp, _)| index.is_shared(fp)) {
                continue;
            }
            singles.push(self.decode_posting(&k, &v)?.0);
            if singles.len() >= 1024 {
                flush_singles(&mut singles, &mut done)?;
            }
        }
        flush_singles(&mut singles, &mut done)?;
        // Groups that can merge.
        for fp in index.shared_fingerprints() {
            let mut group = Vec::new();
            for id in index.group(fp) {
                group.extend(self.load(index, id)?.map(|(p, _)| p));
            }
            let full = add(&group, true)?;
            done += group.len() as u64;
            if full {
                self.flush_counts(true)?;
                progress(done);
            }
        }
        self.flush_counts(true)?;
        progress(done);
        Ok(())
    }

    /// Rewrites every posting through `transform`, keeping the posting index
    /// in step, and compacts the text log on the way: every text is copied
    /// into a new generation (dead copies of changed texts are left behind)
    /// and the older files are deleted by [`PostingStore::rebuild`] once the records
    /// pointing to the copies are flushed. Returns the number of postings
    /// read and the new generation.
    pub(super) fn transform_postings(
        &self,
        transform: &dyn Fn(Posting) -> Posting,
    ) -> Result<(u64, u16), StoreError> {
        let mut index = self.index_mut()?;
        let index = index.as_mut().ok_or(StoreError::IndexMissing {
            doing: "during a rewrite",
        })?;
        let generation = self.texts.start_generation()?;
        let mut rewritten = 0u64;
        let mut unreadable = 0u64;
        let mut batch = sled::Batch::default();
        let mut moves = Vec::new();
        for entry in self.main.scan_prefix([keys::POSTING]) {
            let (k, v) = entry.map_err(engine("reading the postings"))?;
            let (mut old, old_text) = self.decode_posting(&k, &v)?;
            let (id, old_fp) = (old.id, old.fingerprint);
            let (new, text) = match self.texts.read(old_text) {
                Ok(full_text) => {
                    old.text = full_text;
                    let new = transform(old);
                    let text = self.texts.append(&new.text)?;
                    (new, text)
                }
                // A text already lost cannot be normalized again: the
                // posting keeps what it had, and its text is written anew
                // when it is collected again.
                Err(StoreError::Corrupt { key, damage }) => {
                    unreadable += 1;
                    tracing::warn!(posting = %id, %key, cause = %damage, "text unreadable; posting kept as it was");
                    (old, old_text)
                }
                Err(other) => return Err(other),
            };
            self.put_record(&mut batch, &k, &new, text)?;
            moves.push(IndexMove::Relink {
                id,
                old_fingerprint: old_fp,
                fingerprint: new.fingerprint,
                posted: new.posted,
                masks: index.masks_of(&new),
            });
            rewritten += 1;
            if moves.len() >= 1000 {
                self.apply_rewrites(std::mem::take(&mut batch), &mut moves, index)?;
            }
        }
        self.apply_rewrites(batch, &mut moves, index)?;
        if unreadable > 0 {
            tracing::warn!(
                postings = unreadable,
                "postings whose text could not be read were not normalized again"
            );
        }
        Ok((rewritten, generation))
    }

    /// Applies a batch of rewritten posting records (their texts written out
    /// first) and moves them in the index.
    pub(super) fn apply_rewrites(
        &self,
        mut batch: sled::Batch,
        moves: &mut Vec<IndexMove>,
        index: &mut PostingIndex,
    ) -> Result<(), StoreError> {
        self.put_names(&mut batch)?;
        self.texts.write_out()?;
        self.main
            .apply_batch(batch)
            .map_err(engine("writing rewritten postings"))?;
        for m in moves.drain(..) {
            index.apply(m);
        }
        Ok(())
    }
}
