//! The postings behind a count: what one *cell* of the counts is (a skill,
//! a geography, a metric and a range of days, optionally one source), which
//! clusters it counts ([`counts_in`], decided by the very functions that
//! make the counts: [`contribution`] of a
//! cluster from [`clusters`](super::counting::clusters)), in which order
//! they are listed (newest first: the representative's posting day
//! descending, then its id descending) and the cursor that resumes a
//! listing ([`CellKey`]).
//!
//! A store lists a cell with [`PostingStore::cell_page`](super::PostingStore::cell_page);
//! the days it has to look at are [`Cell::days`].

use crate::domain::{Day, GeoCode, Posting, PostingId, SkillId, SourceId};

use super::counting::{contribution, CountRules, Metric};

/// Most postings one page may hold.
pub const MAX_PAGE: usize = 500;

/// One cell of the counts: what a point of a trends series counts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cell {
    /// The skill, or `*` (every posting).
    pub skill: SkillId,
    /// The geography.
    pub geo: GeoCode,
    /// `new`: clusters whose representative was posted in `from..=to`;
    /// `active`: clusters open on the day `to` (the value of a trends bucket
    /// is the stock on its last day; `from` plays no part).
    pub metric: Metric,
    /// First day (for `new`).
    pub from: Day,
    /// Last day.
    pub to: Day,
    /// Only the clusters whose representative comes from this source (a
    /// part of the cell's count).
    pub source: Option<SourceId>,
}

impl Cell {
    /// The posting days a representative counted in the cell can have,
    /// `(first, last)`: `from..=to` for `new`; for `active`, `to` back to
    /// `to − (dedup_window_days + max_open_days)`.
    ///
    /// Why that bound: a cluster is open on `to` when its representative's
    /// day `r` is at most `to` and `to` is at most its close day, the latest
    /// close day of its members. Every member is posted at most
    /// `dedup_window_days` after `r` (that is how [`clusters`] joins them),
    /// and closes at the latest `max_open_days` after its own posting day
    /// ([`close_day`]). So the close day is at most
    /// `r + dedup_window_days + max_open_days`, and a cluster open on `to`
    /// has `r ≥ to − dedup_window_days − max_open_days`.
    ///
    /// [`clusters`]: super::counting::clusters
    /// [`close_day`]: super::counting::close_day
    pub fn days(&self, rules: &CountRules) -> (Day, Day) {
        match self.metric {
            Metric::New => (self.from, self.to),
            Metric::Active => {
                let back = rules
                    .dedup_window_days
                    .saturating_add(rules.max_open_days)
                    .max(0);
                let first = self.to.checked_add_days(-back).unwrap_or(Day::MIN);
                (first, self.to)
            }
        }
    }
}

/// Whether `cluster` (in cluster order, its representative first) counts in
/// `cell`: its contribution names the skill and the geography, it opens in
/// the range (`new`) or is open on `to` (`active`), and, when the cell names
/// a source, its representative comes from it.
pub fn counts_in(cell: &Cell, cluster: &[&Posting], rules: &CountRules) -> bool {
    let Some(c) = contribution(cluster, rules) else {
        return false;
    };
    let in_time = match cell.metric {
        Metric::New => cell.from <= c.opened && c.opened <= cell.to,
        // Opened counts from its day, closed from the day after the close
        // day: the stock on `to` holds the clusters with opened ≤ to < closed.
        Metric::Active => c.opened <= cell.to && cell.to < c.closed,
    };
    in_time
        && c.skills.binary_search(&&cell.skill).is_ok()
        && c.geos.binary_search(&cell.geo).is_ok()
        && cell
            .source
            .as_ref()
            .is_none_or(|s| cluster.first().is_some_and(|rep| rep.source == *s))
}

/// A place in the newest-first order: a representative's posting day and
/// id. A page resumes strictly after the key of the last posting of the
/// page before.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CellKey {
    /// The posting day.
    pub day: Day,
    /// The posting id.
    pub id: PostingId,
}

/// A cursor that is not one this program wrote.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{cursor:?} is not a cursor of this listing: pass the next_cursor of the page before, unchanged")]
pub struct BadCursor {
    /// The cursor as given.
    pub cursor: String,
}

impl CellKey {
    /// The key of a posting.
    pub fn of(p: &Posting) -> CellKey {
        CellKey {
            day: p.posted,
            id: p.id,
        }
    }

    /// The opaque cursor: 24 hexadecimal digits, the day (days since
    /// 1970-01-01, as the bits of a 32-bit integer) then the id.
    pub fn cursor(&self) -> String {
        format!("{:08x}{}", self.day.epoch_days() as u32, self.id)
    }

    /// Reads a cursor written by [`CellKey::cursor`].
    pub fn parse(cursor: &str) -> Result<CellKey, BadCursor> {
        let bad = || BadCursor {
            cursor: cursor.to_owned(),
        };
        if cursor.len() != 24 || !cursor.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(bad());
        }
        let days = u32::from_str_radix(&cursor[..8], 16).map_err(|_| bad())? as i32;
        if !(Day::MIN.epoch_days()..=Day::MAX.epoch_days()).contains(&days) {
            return Err(bad());
        }
        let id: PostingId = cursor[8..].parse().map_err(|_| bad())?;
        Ok(CellKey {
            day: Day::from_epoch_days(days),
            id,
        })
    }
}

/// A posting counted in a cell: the representative of its cluster.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CellPosting {
    /// The representative (its description text left empty).
    pub posting: Posting,
    /// How many other postings its cluster merged into it.
    pub duplicates: u32,
}

/// One page of a cell's postings.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CellPage {
    /// The postings, newest first.
    pub postings: Vec<CellPosting>,
    /// Where the next page starts; `None` when this page is the last.
    pub next: Option<CellKey>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::counting::{self, close_day, clusters};

    fn day(s: &str) -> Day {
        s.parse().unwrap()
    }

    /// A posting of source `s` under fingerprint 7.
    fn posting(id: &str, posted: &str, skills: &[&str]) -> Posting {
        counting::tests::posting("s", id, posted, 7, skills)
    }

    fn cell(skill: &str, geo: &str, metric: Metric, from: &str, to: &str) -> Cell {
        Cell {
            skill: SkillId::parse(skill).unwrap(),
            geo: GeoCode::parse(geo).unwrap(),
            metric,
            from: day(from),
            to: day(to),
            source: None,
        }
    }

    #[test]
    fn cursors_round_trip_and_strangers_are_refused() {
        let key = CellKey {
            day: day("2025-03-01"),
            id: PostingId::from_u64(0xdead_beef),
        };
        // 2025-03-01 is day 20148 since 1970-01-01 = 0x4eb4.
        assert_eq!(key.cursor(), "00004eb400000000deadbeef");
        assert_eq!(CellKey::parse(&key.cursor()), Ok(key));
        let early = CellKey {
            day: day("1900-01-01"),
            id: PostingId::from_u64(u64::MAX),
        };
        assert_eq!(CellKey::parse(&early.cursor()), Ok(early));
        for bad in [
            "",
            "zz",
            "00004eb400000000deadbee",
            "00004eb400000000deadbeefX",
            "7fffffff00000000deadbeef",
            "+0004eb400000000deadbeef",
        ] {
            assert!(CellKey::parse(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn a_cluster_counts_in_the_cells_of_its_contribution() {
        let rules = CountRules::default();
        let a = posting("1", "2025-01-10", &["python"]);
        let mut b = posting("2", "2025-01-20", &["rust"]);
        b.last_seen = day("2025-02-01"); // closes 2025-02-08
        let group = [&a, &b];
        let cl = clusters(&group, &rules);
        assert_eq!(cl.len(), 1);
        let cluster = &cl[0];
        let new = |skill, geo, from, to| {
            counts_in(&cell(skill, geo, Metric::New, from, to), cluster, &rules)
        };
        assert!(new("python", "FR-75", "2025-01-10", "2025-01-10"));
        assert!(new("*", "WORLD", "2025-01-01", "2025-01-31"));
        assert!(new("python", "FR-IDF", "2025-01-01", "2025-01-31"));
        assert!(
            !new("rust", "FR", "2025-01-01", "2025-01-31"),
            "the representative's skills only"
        );
        assert!(!new("python", "FR-69", "2025-01-01", "2025-01-31"));
        assert!(!new("python", "FR", "2025-01-11", "2025-01-31"));
        // Open from 2025-01-10 through 2025-02-08 (b's last_seen + 7 days).
        let active = |to| {
            counts_in(
                &cell("python", "FR", Metric::Active, "2000-01-01", to),
                cluster,
                &rules,
            )
        };
        assert!(!active("2025-01-09"));
        assert!(active("2025-01-10"));
        assert!(active("2025-02-08"));
        assert!(!active("2025-02-09"));
        let mut from_t = cell("python", "FR", Metric::New, "2025-01-01", "2025-01-31");
        from_t.source = Some(SourceId::parse("t").unwrap());
        assert!(!counts_in(&from_t, cluster, &rules));
        from_t.source = Some(SourceId::parse("s").unwrap());
        assert!(counts_in(&from_t, cluster, &rules));
    }

    #[test]
    fn an_active_cell_looks_back_far_enough_and_no_further() {
        // Random clusters: whenever one is open on `to`, its representative
        // lies within `Cell::days`; and the bound is reached.
        let rules = CountRules::default();
        let to = day("2025-06-30");
        let c = cell("*", "WORLD", Metric::Active, "2025-06-30", "2025-06-30");
        let (first, last) = c.days(&rules);
        // 60 + 90 = 150 days before 2025-06-30 is 2025-01-31.
        assert_eq!((first, last), (day("2025-01-31"), to));
        let mut seed = 0x9E37_79B9_7F4A_7C15u64;
        let mut next = |n: u64| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed % n
        };
        let mut open = 0;
        for round in 0..2_000 {
            let n = 1 + next(4) as usize;
            let start = to.add_days(-(next(200) as i32));
            let group: Vec<Posting> = (0..n)
                .map(|i| {
                    let mut p = posting(
                        &format!("{round}-{i}"),
                        &start.add_days(next(61) as i32).to_string(),
                        &[],
                    );
                    p.last_seen = p.posted.add_days(next(120) as i32);
                    p
                })
                .collect();
            let refs: Vec<&Posting> = group.iter().collect();
            for cluster in clusters(&refs, &rules) {
                if counts_in(&c, &cluster, &rules) {
                    open += 1;
                    assert!(cluster[0].posted >= first, "round {round}");
                }
            }
        }
        assert!(open > 100, "{open} open clusters");
        // The edge: a representative exactly 150 days before, its duplicate
        // 60 days later, open for 90 more days, is open on `to`.
        let rep = posting("edge-1", "2025-01-31", &[]);
        let mut dup = posting("edge-2", "2025-04-01", &[]);
        dup.last_seen = day("2025-12-31");
        assert_eq!(close_day(&dup, &rules), to);
        assert!(counts_in(&c, &[&rep, &dup], &rules));
    }
}
