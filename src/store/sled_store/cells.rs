//! [`PostingStore::cell_page`](crate::store::PostingStore::cell_page): the
//! postings behind a count, from the in-memory index's by-day list.
//!
//! A page walks the days a representative in the cell can have
//! ([`Cell::days`]) newest first, from the cursor on — only those whose
//! `Opened` counter of the cell's skill and geography is positive (the
//! series `new`, one read of its year records): a representative counted in
//! the cell adds one to that counter on its posting day, and nothing
//! subtracts from it but the removal of a cluster that was added, so a day
//! without openings holds no such representative, and a rare skill does not
//! make the walk visit a whole year of postings. On those days, a posting
//! whose [`Masks`] lack the skill's or the geography's bits is skipped
//! without reading its record, and so is one whose duplicate group's days
//! (in the index, found by the fingerprint its entry carries) show that it
//! does not open its cluster. Every other one is read; for `new` the sole
//! posting of its cluster's first
//! day is the representative without reading the others
//! ([`cluster_span`]); otherwise its group is read and split into clusters.
//! It is kept when it represents its cluster and the cluster
//! [counts in](counts_in) the cell — the counting rules' own functions, so
//! the listed postings are the counted ones by construction. One posting
//! past the page is looked for, so that `next` is only set when more follow.

use super::SledStore;
use crate::domain::Posting;
use crate::store::cells::{counts_in, Cell, CellKey, CellPage, CellPosting};
use crate::store::counting::{cluster_span, clusters};
use crate::store::index::{Masks, PostingIndex};
use crate::store::{CountStore, Metric, StoreError};

impl SledStore {
    /// See [`PostingStore::cell_page`](crate::store::PostingStore::cell_page).
    pub(super) fn cell_page_of(
        &self,
        cell: &Cell,
        after: Option<CellKey>,
        limit: usize,
    ) -> Result<CellPage, StoreError> {
        let (first, mut last) = cell.days(&self.rules);
        if let Some(after) = after {
            last = last.min(after.day);
        }
        if first > last {
            return Ok(CellPage::default());
        }
        let opened = self.daily(&cell.skill, &cell.geo, Metric::New, first, last)?;
        let wanted = Masks::wanted(&cell.skill, &cell.geo);
        let guard = self.index_listing()?;
        let index = guard.as_ref().ok_or(StoreError::IndexMissing {
            doing: "listing the postings of a count",
        })?;
        let mut page = CellPage::default();
        let resume = after.map(|k| (k.day, k.id));
        let days = opened.iter().rev().filter(|(_, n)| *n > 0);
        for (day, _) in days {
            for (_, entry) in index.newest_first(*day, *day, resume) {
                if !entry.masks.may_hold(wanted) {
                    continue;
                }
                // A posting that does not open its cluster represents
                // nothing: its group's days say so without its record.
                if index.is_shared(entry.fingerprint) {
                    let span =
                        cluster_span(index.member_days(entry.fingerprint), *day, &self.rules);
                    if span.is_some_and(|s| s.first != *day) {
                        continue;
                    }
                }
                let Some(found) = self.counted(index, cell, entry.id)? else {
                    continue;
                };
                if page.postings.len() >= limit {
                    page.next = page.postings.last().map(|p| CellKey::of(&p.posting));
                    return Ok(page);
                }
                page.postings.push(found);
            }
        }
        Ok(page)
    }

    /// The posting `id` with its duplicate count, when it represents a
    /// cluster counted in `cell`.
    fn counted(
        &self,
        index: &PostingIndex,
        cell: &Cell,
        id: crate::domain::PostingId,
    ) -> Result<Option<CellPosting>, StoreError> {
        let Some((posting, _)) = self.load(index, id)? else {
            return Ok(None);
        };
        if let Some(source) = &cell.source {
            if posting.source != *source {
                return Ok(None);
            }
        }
        if !index.is_shared(posting.fingerprint) {
            let counted = counts_in(cell, &[&posting], &self.rules);
            return Ok(counted.then_some(CellPosting {
                posting,
                duplicates: 0,
            }));
        }
        // Where its cluster starts and how big it is follow from the
        // group's days in the index (`cluster_span`): a posting that does
        // not open its cluster represents nothing, and for `new`, which
        // needs nothing of the other members, the sole posting of its
        // cluster's first day is the representative: no other record is read.
        let span = cluster_span(
            index.member_days(posting.fingerprint),
            posting.posted,
            &self.rules,
        );
        match span {
            Some(span) if span.first != posting.posted => return Ok(None),
            Some(span) if span.on_first_day == 1 && cell.metric == Metric::New => {
                let counted = counts_in(cell, &[&posting], &self.rules);
                return Ok(counted.then(|| CellPosting {
                    duplicates: u32::try_from(span.members - 1).unwrap_or(u32::MAX),
                    posting,
                }));
            }
            _ => {}
        }
        let mut group: Vec<Posting> = Vec::new();
        for member in index.group(posting.fingerprint) {
            if member == posting.id {
                continue;
            }
            group.extend(self.load(index, member)?.map(|(p, _)| p));
        }
        let mut refs: Vec<&Posting> = group.iter().collect();
        refs.push(&posting);
        let duplicates = clusters(&refs, &self.rules)
            .into_iter()
            .find(|c| c.first().is_some_and(|rep| rep.id == posting.id))
            .filter(|c| counts_in(cell, c, &self.rules))
            .map(|c| c.len().saturating_sub(1));
        Ok(duplicates.map(|d| CellPosting {
            duplicates: u32::try_from(d).unwrap_or(u32::MAX),
            posting,
        }))
    }
}
