//! The counting rules, as pure functions: postings in, count changes out.
//! Live ingestion, `import` and `reindex` all use these; only the store
//! applies their output. The same postings in any order give the same counts.
//!
//! ## Duplicates
//! Postings with the same non-zero fingerprint (folded company + title without
//! "(H/F)"-style noise + first département; see `normalize::dedup`) form a
//! *group*. A group is split into *clusters* deterministically: sort its
//! postings by (posting day, source, external id); the first one opens a
//! cluster; every following posting whose day is at most
//! [`CountRules::dedup_window_days`] after the cluster's first day joins it;
//! the first one beyond opens the next cluster. Each cluster counts once,
//! through its **representative**: its first posting in that order. Postings
//! without a company (fingerprint 0) are never merged.
//!
//! ## Counters and metrics
//! Two counters are stored per skill, geography and day:
//! - [`Counter::Opened`]: clusters whose representative was posted that day.
//!   This is the metric `new`.
//! - [`Counter::Closed`]: clusters whose close day was the day before. A
//!   cluster is open from the representative's posting day to its *close
//!   day*, the latest close day of its members; a member closes on the
//!   earliest of its `valid_through`, `last_seen + unseen_close_days` and
//!   `posted + max_open_days` (never before it opened).
//!
//! The metric `active` (clusters open on a day) is the running sum of
//! `opened − closed` up to that day, computed at query time.
//!
//! Each is counted for every skill the representative names (directly or by
//! implication) and for `*` (all postings, the share denominator), in every
//! geography of `Posting::geos`. A skill counts once per posting per geography.
//!
//! ## A batch's changes
//! [`batch_changes`] says which clusters a batch of upserts removes and
//! adds: every touched group's clusters before (removed) and after (added),
//! except for a new posting that stands alone ([`stands_alone`]), which only
//! adds itself, so its group is not read. A store feeds it what it has
//! stored ([`StoredGroups`]) and applies its output.

use std::collections::{BTreeMap, BTreeSet};

use rustc_hash::FxHashMap;

use crate::domain::{Day, GeoCode, Posting, PostingId, SkillId};

/// What is counted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Metric {
    /// Postings published that day.
    New,
    /// Postings open that day (stored as opening/closing changes).
    Active,
}

impl Metric {
    /// The metric's name in the API and CSV.
    pub fn as_str(self) -> &'static str {
        match self {
            Metric::New => "new",
            Metric::Active => "active",
        }
    }

    /// Whether the series is a running sum of daily changes (a stock).
    pub fn is_cumulative(self) -> bool {
        matches!(self, Metric::Active)
    }
}

impl std::str::FromStr for Metric {
    type Err = String;
    fn from_str(s: &str) -> Result<Metric, String> {
        match s {
            "new" => Ok(Metric::New),
            "active" => Ok(Metric::Active),
            other => Err(format!("unknown metric {other:?}: use new or active")),
        }
    }
}

pub use crate::domain::{
    CountRules, DEFAULT_DEDUP_WINDOW_DAYS, DEFAULT_MAX_OPEN_DAYS, DEFAULT_UNSEEN_CLOSE_DAYS,
};

/// What a stored counter counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Counter {
    /// Clusters opened (posted) that day: the metric `new`.
    Opened,
    /// Clusters closed the day before.
    Closed,
}

impl Counter {
    /// Both counters.
    pub const ALL: [Counter; 2] = [Counter::Opened, Counter::Closed];

    /// The counter's one-byte tag in storage keys.
    pub fn tag(self) -> u8 {
        match self {
            Counter::Opened => b'o',
            Counter::Closed => b'c',
        }
    }

    /// The counter of a tag.
    pub fn from_tag(tag: u8) -> Option<Counter> {
        Counter::ALL.into_iter().find(|c| c.tag() == tag)
    }
}

/// One counter: a skill in a geography on a day.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct CountKey {
    /// Skill, or `*`.
    pub skill: SkillId,
    /// Geography.
    pub geo: GeoCode,
    /// Counter.
    pub counter: Counter,
    /// Day.
    pub day: Day,
}

/// Count changes, pre-aggregated.
pub type CountDelta = BTreeMap<CountKey, i64>;

/// A posting's last open day under `rules` (at most the calendar's last day).
pub fn close_day(p: &Posting, rules: &CountRules) -> Day {
    let mut close = p
        .last_seen
        .saturating_add_days(rules.unseen_close_days)
        .min(p.posted.saturating_add_days(rules.max_open_days));
    if let Some(v) = p.valid_through {
        close = close.min(v);
    }
    close.max(p.posted)
}

/// The order that decides cluster membership and representatives.
fn cluster_order(a: &&Posting, b: &&Posting) -> std::cmp::Ordering {
    (a.posted, &a.source, &a.external_id).cmp(&(b.posted, &b.source, &b.external_id))
}

/// Splits one group (postings sharing a fingerprint) into clusters, each in
/// cluster order (its representative first).
pub fn clusters<'a>(group: &[&'a Posting], rules: &CountRules) -> Vec<Vec<&'a Posting>> {
    let mut sorted: Vec<&Posting> = group.to_vec();
    sorted.sort_by(cluster_order);
    let mut out: Vec<Vec<&Posting>> = Vec::new();
    for p in sorted {
        match out.last_mut() {
            Some(cluster)
                if p.fingerprint != 0
                    && p.posted.days_since(cluster[0].posted) <= rules.dedup_window_days =>
            {
                cluster.push(p)
            }
            _ => out.push(vec![p]),
        }
    }
    out
}

/// Whether a posting made on `day`, joining a group whose other members were
/// made on `member_days`, is a cluster of its own that leaves the group's
/// other clusters as they were (so the group need not be read to count it):
/// true when no member lies within `dedup_window_days` of it on either side.
///
/// Why: in [`clusters`], a cluster's members lie within the window after its
/// first posting, so every cluster ending before `day` started more than the
/// window before it and cannot take the posting in; and the first member
/// after it is more than the window after it and after every earlier
/// cluster's first day, so it opens a cluster with or without the posting.
pub fn stands_alone(
    day: Day,
    member_days: impl IntoIterator<Item = Day>,
    rules: &CountRules,
) -> bool {
    member_days
        .into_iter()
        .all(|d| day.days_since(d).abs() > rules.dedup_window_days)
}

/// Where a posting day falls among its group's clusters, from the members'
/// posting days alone ([`cluster_span`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClusterSpan {
    /// The cluster's first day (its representative's posting day).
    pub first: Day,
    /// Its members.
    pub members: usize,
    /// Its members posted on `first`: with one, that posting is the
    /// representative; with more, source and external id decide.
    pub on_first_day: usize,
}

/// The cluster of a group that holds the posting day `day`, computed from
/// the posting days of every member of the group; `day` must be one of
/// them (`None` when it is before them all).
///
/// Why days suffice: [`clusters`] sorts by (day, source, external id) and
/// opens a cluster at a posting more than the window after the current
/// cluster's first day. Which posting comes first among those of one day
/// changes the order within a day, never where a cluster starts or ends,
/// since that depends only on days. So the days give every cluster's first
/// day and size; only the choice of the representative among several
/// postings of the first day needs the records.
pub fn cluster_span(
    member_days: impl IntoIterator<Item = Day>,
    day: Day,
    rules: &CountRules,
) -> Option<ClusterSpan> {
    let mut days: Vec<Day> = member_days.into_iter().collect();
    days.sort_unstable();
    let mut span: Option<ClusterSpan> = None;
    for d in days {
        match span.as_mut() {
            Some(s) if d.days_since(s.first) <= rules.dedup_window_days => {
                s.members += 1;
                if d == s.first {
                    s.on_first_day += 1;
                }
            }
            Some(s) if s.first <= day && day < d => return span,
            _ => {
                span = Some(ClusterSpan {
                    first: d,
                    members: 1,
                    on_first_day: 1,
                })
            }
        }
    }
    span.filter(|s| s.first <= day)
}

/// What one cluster adds to the counts: each of `skills` in each of `geos`
/// opens on `opened` and closes on `closed` (the day after its close day).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Contribution<'a> {
    /// The representative's skills, direct and implied, and `*`; sorted, unique.
    pub skills: Vec<&'a SkillId>,
    /// The representative's geographies.
    pub geos: Vec<GeoCode>,
    /// The representative's posting day.
    pub opened: Day,
    /// The day after the cluster's close day.
    pub closed: Day,
}

impl<'a> Contribution<'a> {
    /// Calls `f(skill, geo, counter, day)` for every counter the cluster
    /// changes, geography by geography, its skills and geographies given as
    /// the caller names them (`skills[i]` for `self.skills[i]`, `geos[j]`
    /// for `self.geos[j]`: the references themselves, or interned numbers).
    /// The one expansion of a cluster into counters.
    pub fn for_each_counter<S: Copy, G: Copy>(
        &self,
        skills: &[S],
        geos: &[G],
        mut f: impl FnMut(S, G, Counter, Day),
    ) {
        for &geo in geos {
            for &skill in skills {
                f(skill, geo, Counter::Opened, self.opened);
                f(skill, geo, Counter::Closed, self.closed);
            }
        }
    }
}

/// The contribution of one cluster (representative first).
pub fn contribution<'a>(cluster: &[&'a Posting], rules: &CountRules) -> Option<Contribution<'a>> {
    static ALL: std::sync::OnceLock<SkillId> = std::sync::OnceLock::new();
    let rep = cluster.first()?;
    let close = cluster
        .iter()
        .map(|p| close_day(p, rules))
        .max()
        .unwrap_or(rep.posted);
    let mut skills: Vec<&SkillId> = rep.all_skills().collect();
    skills.push(ALL.get_or_init(SkillId::all_postings));
    skills.sort();
    skills.dedup();
    Some(Contribution {
        skills,
        geos: rep.geos(),
        opened: rep.posted,
        // A cluster open through 9999-12-31 closes on that day, one day early.
        closed: close.saturating_add_days(1),
    })
}

/// Calls `sink(skill, geo, counter, day, change)` for every counter change
/// of one cluster (representative first), times `sign`.
pub fn visit_cluster(
    cluster: &[&Posting],
    rules: &CountRules,
    sign: i64,
    sink: &mut dyn FnMut(&SkillId, &GeoCode, Counter, Day, i64),
) {
    let Some(c) = contribution(cluster, rules) else {
        return;
    };
    let geos: Vec<&GeoCode> = c.geos.iter().collect();
    c.for_each_counter(&c.skills, &geos, |skill, geo, counter, day| {
        sink(skill, geo, counter, day, sign)
    });
}

/// Adds `sign` × the contributions of one cluster (representative first).
pub fn add_cluster(cluster: &[&Posting], rules: &CountRules, sign: i64, delta: &mut CountDelta) {
    visit_cluster(
        cluster,
        rules,
        sign,
        &mut |skill, geo, counter, day, change| {
            let key = CountKey {
                skill: skill.clone(),
                geo: geo.clone(),
                counter,
                day,
            };
            *delta.entry(key).or_insert(0) += change;
        },
    );
}

/// Adds `sign` × the contributions of a whole group.
pub fn add_group(group: &[&Posting], rules: &CountRules, sign: i64, delta: &mut CountDelta) {
    for cluster in clusters(group, rules) {
        add_cluster(&cluster, rules, sign, delta);
    }
}

/// A posting a batch writes: the version stored before it (`None`: a new
/// posting) and the version the batch stores.
#[derive(Debug, Clone, Copy)]
pub struct Upsert<'a> {
    /// What is stored now.
    pub before: Option<&'a Posting>,
    /// What will be stored.
    pub after: &'a Posting,
}

/// What a store holds before a batch, as [`batch_changes`] needs it.
pub trait StoredGroups {
    /// Why a stored posting cannot be read.
    type Error;

    /// The posting days of the postings stored under `fingerprint`.
    fn member_days(&self, fingerprint: u64) -> impl Iterator<Item = Day> + '_;

    /// The ids of the postings stored under `fingerprint`.
    fn group(&self, fingerprint: u64) -> Vec<PostingId>;

    /// A stored posting the batch does not write.
    fn load(&self, id: PostingId) -> Result<Option<Posting>, Self::Error>;
}

/// The count changes of a batch of upserts (each posting once), as clusters
/// to remove (`sink(cluster, -1)`) and to add (`sink(cluster, 1)`): for
/// every duplicate group the batch touches (before or after), its clusters
/// before and after. A new posting alone in the batch under its fingerprint
/// that [stands alone](stands_alone) among the stored ones only adds itself:
/// its group is not read. Postings without a fingerprint are clusters of
/// their own.
pub fn batch_changes<S: StoredGroups>(
    batch: &[Upsert<'_>],
    stored: &S,
    rules: &CountRules,
    sink: &mut impl FnMut(&[&Posting], i64) -> Result<(), S::Error>,
) -> Result<(), S::Error> {
    // How many postings of the batch touch each fingerprint (before or after).
    let mut touches: FxHashMap<u64, u32> = FxHashMap::default();
    for u in batch {
        let before = u.before.map(|p| p.fingerprint);
        for fp in before.into_iter().chain([u.after.fingerprint]) {
            *touches.entry(fp).or_default() += 1;
        }
    }
    let mut groups: BTreeSet<u64> = BTreeSet::new();
    for u in batch {
        if let Some(old) = u.before.filter(|p| p.fingerprint == 0) {
            sink(&[old], -1)?;
        }
        let fp = u.after.fingerprint;
        let alone = fp == 0
            || (u.before.is_none()
                && touches.get(&fp) == Some(&1)
                && stands_alone(u.after.posted, stored.member_days(fp), rules));
        if alone {
            sink(&[u.after], 1)?;
        } else {
            groups.insert(fp);
        }
        if let Some(old) = u.before.filter(|p| p.fingerprint != 0) {
            groups.insert(old.fingerprint);
        }
    }
    if groups.is_empty() {
        return Ok(());
    }
    let by_id: FxHashMap<PostingId, &Upsert<'_>> = batch.iter().map(|u| (u.after.id, u)).collect();
    for fp in groups {
        let mut before: Vec<&Posting> = Vec::new();
        let mut loaded: Vec<Posting> = Vec::new();
        for id in stored.group(fp) {
            match by_id.get(&id) {
                Some(u) => before.extend(u.before),
                None => loaded.extend(stored.load(id)?),
            }
        }
        before.extend(&loaded);
        let mut after: Vec<&Posting> = before
            .iter()
            .copied()
            .filter(|p| !by_id.contains_key(&p.id))
            .collect();
        after.extend(
            batch
                .iter()
                .map(|u| u.after)
                .filter(|p| p.fingerprint == fp),
        );
        for cluster in clusters(&before, rules) {
            sink(&cluster, -1)?;
        }
        for cluster in clusters(&after, rules) {
            sink(&cluster, 1)?;
        }
    }
    Ok(())
}

/// Counts a whole set of postings from scratch: the reference the store's
/// incremental counts are tested against.
pub fn count_all(postings: &[Posting], rules: &CountRules) -> CountDelta {
    let mut groups: BTreeMap<u64, Vec<&Posting>> = BTreeMap::new();
    let mut delta = CountDelta::new();
    for p in postings {
        if p.fingerprint == 0 {
            add_cluster(&[p], rules, 1, &mut delta);
        } else {
            groups.entry(p.fingerprint).or_default().push(p);
        }
    }
    for group in groups.values() {
        add_group(group, rules, 1, &mut delta);
    }
    delta.retain(|_, v| *v != 0);
    delta
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::domain::Place;
    use crate::domain::{PostingId, SourceId};

    /// A posting in Paris (FR-75) of `source`, posted on `posted`, naming
    /// `skills`, under fingerprint `fp` (also used by `cells`' tests).
    pub(crate) fn posting(
        source: &str,
        id: &str,
        posted: &str,
        fp: u64,
        skills: &[&str],
    ) -> Posting {
        let source = SourceId::parse(source).unwrap();
        let day: Day = posted.parse().unwrap();
        Posting {
            id: PostingId::new(&source, id),
            source,
            external_id: id.into(),
            url: None,
            title: "t".into(),
            company: Some("c".into()),
            locations: vec![],
            places: vec![Place {
                country: GeoCode::parse("FR").unwrap(),
                region: Some(GeoCode::parse("FR-IDF").unwrap()),
                department: Some(GeoCode::parse("FR-75").unwrap()),
                guess: false,
            }],
            remote: false,
            source_remote: None,
            tags: Vec::new(),
            default_country: None,
            posted: day,
            date_from_source: true,
            first_seen: day,
            last_seen: day,
            valid_through: None,
            skills: skills.iter().map(|s| SkillId::parse(s).unwrap()).collect(),
            implied_skills: vec![],
            fingerprint: fp,
            content_hash: 0,
            taxonomy: 0,
            text: String::new(),
        }
    }

    fn new_count(delta: &CountDelta, skill: &str, geo: &str, day: &str) -> i64 {
        let key = CountKey {
            skill: SkillId::parse(skill).unwrap(),
            geo: GeoCode::parse(geo).unwrap(),
            counter: Counter::Opened,
            day: day.parse().unwrap(),
        };
        delta.get(&key).copied().unwrap_or(0)
    }

    #[test]
    fn duplicates_within_the_window_count_once_through_the_earliest() {
        let rules = CountRules::default();
        let a = posting("b-source", "1", "2025-01-01", 7, &["python"]);
        let b = posting("a-source", "9", "2025-03-01", 7, &["python"]); // 59 days later
        let c = posting("a-source", "5", "2025-03-03", 7, &["python"]); // 61 days later
        let delta = count_all(&[c.clone(), b.clone(), a.clone()], &rules);
        assert_eq!(new_count(&delta, "python", "FR-75", "2025-01-01"), 1);
        assert_eq!(new_count(&delta, "python", "FR-75", "2025-03-01"), 0);
        assert_eq!(new_count(&delta, "python", "FR-75", "2025-03-03"), 1);
        assert_eq!(new_count(&delta, "*", "WORLD", "2025-03-03"), 1);
    }

    #[test]
    fn ties_on_the_day_are_broken_by_source_then_id() {
        let rules = CountRules::default();
        let x = posting("zeta", "1", "2025-01-01", 7, &["rust"]);
        let y = posting("alpha", "2", "2025-01-01", 7, &["go"]);
        let group = [&x, &y];
        let cl = clusters(&group, &rules);
        assert_eq!(cl.len(), 1);
        assert_eq!(cl[0][0].source.as_str(), "alpha");
        let delta = count_all(&[x, y], &rules);
        assert_eq!(new_count(&delta, "go", "FR-75", "2025-01-01"), 1);
        assert_eq!(new_count(&delta, "rust", "FR-75", "2025-01-01"), 0);
    }

    #[test]
    fn postings_without_fingerprint_are_never_merged() {
        let rules = CountRules::default();
        let a = posting("s", "1", "2025-01-01", 0, &["python"]);
        let b = posting("s", "2", "2025-01-01", 0, &["python"]);
        let delta = count_all(&[a, b], &rules);
        assert_eq!(new_count(&delta, "python", "FR-75", "2025-01-01"), 2);
    }

    #[test]
    fn active_opens_on_the_posting_day_and_closes_after_the_last_member() {
        let rules = CountRules::default();
        let mut a = posting("s", "1", "2025-01-01", 7, &[]);
        a.valid_through = Some("2025-01-10".parse().unwrap());
        let mut b = posting("t", "2", "2025-01-05", 7, &[]);
        b.last_seen = "2025-01-20".parse().unwrap(); // closes 2025-01-27
        let delta = count_all(&[a, b], &rules);
        let at = |counter, day: &str| {
            let key = CountKey {
                skill: SkillId::all_postings(),
                geo: GeoCode::world(),
                counter,
                day: day.parse().unwrap(),
            };
            delta.get(&key).copied().unwrap_or(0)
        };
        assert_eq!(at(Counter::Opened, "2025-01-01"), 1);
        assert_eq!(at(Counter::Closed, "2025-01-28"), 1);
        let world_all = delta
            .iter()
            .filter(|(k, _)| k.skill.as_str() == "*" && k.geo.as_str() == "WORLD")
            .count();
        assert_eq!(world_all, 2, "one opening, one closing");
    }

    #[test]
    fn a_posting_standing_alone_leaves_the_other_clusters_as_they_were() {
        // Random groups of one fingerprint: whenever `stands_alone` says so,
        // the clusters with the posting are those without it plus itself.
        let rules = CountRules::default();
        let first: Day = "2024-01-01".parse().unwrap();
        let mut seed = 0x2545_F491_4F6C_DD1Du64;
        let mut next = |n: u64| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed % n
        };
        let (mut alone, mut not_alone) = (0, 0);
        for round in 0..400 {
            let size = 2 + next(6) as usize;
            let group: Vec<Posting> = (0..size)
                .map(|i| {
                    let day = first.add_days(next(300) as i32);
                    posting("s", &format!("{round}-{i}"), &day.to_string(), 7, &["rust"])
                })
                .collect();
            let (x, others) = group.split_last().unwrap();
            let days = others.iter().map(|p| p.posted);
            let with: Vec<&Posting> = group.iter().collect();
            let without: Vec<&Posting> = others.iter().collect();
            let mut expected: Vec<Vec<&Posting>> = clusters(&without, &rules);
            expected.push(vec![x]);
            let ids = |cs: Vec<Vec<&Posting>>| {
                let mut v: Vec<Vec<PostingId>> = cs
                    .iter()
                    .map(|c| c.iter().map(|p| p.id).collect())
                    .collect();
                v.sort();
                v
            };
            let same = ids(clusters(&with, &rules)) == ids(expected);
            if stands_alone(x.posted, days, &rules) {
                alone += 1;
                assert!(same, "round {round}: stands alone but changes the clusters");
            } else {
                not_alone += 1;
            }
        }
        // Both answers occur, so the property was exercised.
        assert!(
            alone > 50 && not_alone > 50,
            "{alone} alone, {not_alone} not"
        );
        // The edges: exactly the window away is within it.
        let day = |d: i32| first.add_days(d);
        assert!(!stands_alone(day(100), [day(40)], &rules));
        assert!(!stands_alone(day(100), [day(160)], &rules));
        assert!(stands_alone(day(100), [day(39), day(161)], &rules));
    }

    /// What a store holds before a batch, in memory, counting its reads.
    struct Held {
        postings: Vec<Posting>,
        loads: std::cell::Cell<usize>,
    }

    impl Held {
        fn new(postings: &[&Posting]) -> Held {
            Held {
                postings: postings.iter().map(|p| (*p).clone()).collect(),
                loads: std::cell::Cell::new(0),
            }
        }
    }

    impl StoredGroups for Held {
        type Error = std::convert::Infallible;

        fn member_days(&self, fingerprint: u64) -> impl Iterator<Item = Day> + '_ {
            self.postings
                .iter()
                .filter(move |p| fingerprint != 0 && p.fingerprint == fingerprint)
                .map(|p| p.posted)
        }

        fn group(&self, fingerprint: u64) -> Vec<PostingId> {
            self.postings
                .iter()
                .filter(|p| fingerprint != 0 && p.fingerprint == fingerprint)
                .map(|p| p.id)
                .collect()
        }

        fn load(&self, id: PostingId) -> Result<Option<Posting>, Self::Error> {
            self.loads.set(self.loads.get() + 1);
            Ok(self.postings.iter().find(|p| p.id == id).cloned())
        }
    }

    /// The changes of writing `after` over the stored `before` (matched by
    /// id), checked against the counts of both sets from scratch.
    fn diff(before: &[&Posting], after: &[&Posting]) -> CountDelta {
        let rules = CountRules::default();
        let held = Held::new(before);
        let batch: Vec<Upsert<'_>> = after
            .iter()
            .map(|a| Upsert {
                before: before.iter().copied().find(|b| b.id == a.id),
                after: a,
            })
            .collect();
        let mut delta = CountDelta::new();
        batch_changes(&batch, &held, &rules, &mut |cluster, sign| {
            add_cluster(cluster, &rules, sign, &mut delta);
            Ok(())
        })
        .unwrap();
        delta.retain(|_, v| *v != 0);
        // Applying the changes to the counts before gives the counts after.
        let stored: Vec<Posting> = before.iter().map(|p| (*p).clone()).collect();
        let mut result = count_all(&stored, &rules);
        for (k, v) in &delta {
            *result.entry(k.clone()).or_insert(0) += v;
        }
        result.retain(|_, v| *v != 0);
        let mut now: Vec<Posting> = stored
            .into_iter()
            .filter(|p| !after.iter().any(|a| a.id == p.id))
            .collect();
        now.extend(after.iter().map(|p| (*p).clone()));
        assert_eq!(result, count_all(&now, &rules), "before + diff = after");
        delta
    }

    fn at(delta: &CountDelta, skill: &str, counter: Counter, day: &str) -> i64 {
        let key = CountKey {
            skill: SkillId::parse(skill).unwrap(),
            geo: GeoCode::world(),
            counter,
            day: day.parse().unwrap(),
        };
        delta.get(&key).copied().unwrap_or(0)
    }

    #[test]
    fn a_cluster_gaining_a_member_keeps_its_opening_and_moves_its_close() {
        let a = posting("s", "1", "2025-01-01", 7, &["python"]);
        let b = posting("t", "2", "2025-01-20", 7, &["rust"]);
        let delta = diff(&[&a], &[&b]);
        // Opened once, through a; closed after b's close day instead of a's.
        assert_eq!(at(&delta, "python", Counter::Opened, "2025-01-01"), 0);
        assert_eq!(at(&delta, "rust", Counter::Opened, "2025-01-20"), 0);
        assert_eq!(at(&delta, "python", Counter::Closed, "2025-01-09"), -1);
        assert_eq!(at(&delta, "python", Counter::Closed, "2025-01-28"), 1);
    }

    #[test]
    fn a_cluster_losing_its_earliest_member_is_represented_by_the_next() {
        let a = posting("s", "1", "2025-01-01", 7, &["python"]);
        let b = posting("t", "2", "2025-01-20", 7, &["rust"]);
        let mut moved = a.clone();
        moved.fingerprint = 8;
        let delta = diff(&[&a, &b], &[&moved]);
        // b now opens its own cluster; a opens one under its new fingerprint.
        assert_eq!(at(&delta, "rust", Counter::Opened, "2025-01-20"), 1);
        assert_eq!(at(&delta, "python", Counter::Opened, "2025-01-01"), 0);
        assert_eq!(at(&delta, "*", Counter::Opened, "2025-01-20"), 1);
        assert_eq!(at(&delta, "python", Counter::Closed, "2025-01-28"), -1);
        assert_eq!(at(&delta, "python", Counter::Closed, "2025-01-09"), 1);
    }

    #[test]
    fn a_changed_posting_moves_its_skills() {
        let a = posting("s", "1", "2025-01-01", 7, &["python"]);
        let mut changed = a.clone();
        changed.skills = vec![SkillId::parse("rust").unwrap()];
        let delta = diff(&[&a], &[&changed]);
        assert_eq!(at(&delta, "python", Counter::Opened, "2025-01-01"), -1);
        assert_eq!(at(&delta, "rust", Counter::Opened, "2025-01-01"), 1);
        assert_eq!(at(&delta, "*", Counter::Opened, "2025-01-01"), 0);
        // Without a fingerprint, the same.
        let mut a0 = a.clone();
        a0.fingerprint = 0;
        let mut changed0 = changed.clone();
        changed0.fingerprint = 0;
        let delta = diff(&[&a0], &[&changed0]);
        assert_eq!(at(&delta, "python", Counter::Opened, "2025-01-01"), -1);
        assert_eq!(at(&delta, "rust", Counter::Opened, "2025-01-01"), 1);
    }

    #[test]
    fn a_posting_moving_between_clusters_of_its_group() {
        // Two clusters: a (1 January) with c (20 February), and b (1 May).
        let a = posting("s", "1", "2025-01-01", 7, &["python"]);
        let b = posting("s", "2", "2025-05-01", 7, &["rust"]);
        let c = posting("s", "3", "2025-02-20", 7, &["go"]);
        let mut later = c.clone();
        later.posted = "2025-05-10".parse().unwrap();
        later.first_seen = later.posted;
        later.last_seen = later.posted;
        let delta = diff(&[&a, &b, &c], &[&later]);
        // a's cluster closes after a alone; b's after c.
        assert_eq!(at(&delta, "python", Counter::Closed, "2025-02-28"), -1);
        assert_eq!(at(&delta, "python", Counter::Closed, "2025-01-09"), 1);
        assert_eq!(at(&delta, "rust", Counter::Closed, "2025-05-09"), -1);
        assert_eq!(at(&delta, "rust", Counter::Closed, "2025-05-18"), 1);
        assert_eq!(at(&delta, "*", Counter::Opened, "2025-05-01"), 0);
        // Moving into a group from another, and out of it, in one batch.
        let mut into = posting("s", "4", "2025-05-02", 9, &["java"]);
        let stored_into = into.clone();
        into.fingerprint = 7;
        let mut out = b.clone();
        out.fingerprint = 9;
        diff(&[&a, &b, &c, &stored_into], &[&into, &out]);
    }

    #[test]
    fn postings_seen_again_move_their_close_day_only() {
        let a = posting("s", "1", "2025-01-01", 7, &["python"]);
        let b = posting("t", "2", "2025-01-03", 0, &["rust"]);
        let mut seen_a = a.clone();
        seen_a.last_seen = "2025-01-30".parse().unwrap();
        let mut seen_b = b.clone();
        seen_b.last_seen = "2025-01-30".parse().unwrap();
        let delta = diff(&[&a, &b], &[&seen_a, &seen_b]);
        for skill in ["python", "rust", "*"] {
            assert_eq!(at(&delta, skill, Counter::Opened, "2025-01-01"), 0);
            assert_eq!(at(&delta, skill, Counter::Opened, "2025-01-03"), 0);
        }
        assert_eq!(at(&delta, "python", Counter::Closed, "2025-01-09"), -1);
        assert_eq!(at(&delta, "rust", Counter::Closed, "2025-01-11"), -1);
        assert_eq!(at(&delta, "python", Counter::Closed, "2025-02-07"), 1);
        assert_eq!(at(&delta, "rust", Counter::Closed, "2025-02-07"), 1);
    }

    #[test]
    fn a_new_posting_standing_alone_does_not_read_its_group() {
        let rules = CountRules::default();
        let a = posting("s", "1", "2025-01-01", 7, &["python"]);
        let b = posting("s", "2", "2025-01-02", 7, &["python"]);
        let far = posting("s", "3", "2025-09-01", 7, &["rust"]);
        let held = Held::new(&[&a, &b]);
        let mut clusters_seen = Vec::new();
        let batch = [Upsert {
            before: None,
            after: &far,
        }];
        batch_changes(&batch, &held, &rules, &mut |cluster, sign| {
            clusters_seen.push((cluster.len(), sign));
            Ok(())
        })
        .unwrap();
        assert_eq!(clusters_seen, vec![(1, 1)]);
        assert_eq!(held.loads.get(), 0, "the group was read");
        // Within the window it joins a's cluster: the group is read.
        let near = posting("s", "4", "2025-01-10", 7, &["rust"]);
        let batch = [Upsert {
            before: None,
            after: &near,
        }];
        batch_changes(&batch, &held, &rules, &mut |_, _| Ok(())).unwrap();
        assert_eq!(held.loads.get(), 2);
        diff(&[&a, &b], &[&near]);
        diff(&[&a, &b], &[&far]);
    }

    #[test]
    fn cluster_spans_from_days_agree_with_the_clusters() {
        let rules = CountRules::default();
        let mut seed = 0x9e37_79b9_7f4a_7c15_u64;
        let mut next = |n: u64| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed % n
        };
        for _ in 0..300 {
            let size = 1 + next(12) as usize;
            let group: Vec<Posting> = (0..size)
                .map(|i| {
                    // Days bunched so that ties and window edges are common.
                    let day = Day::from_epoch_days(20_000 + (next(4) * 30 + next(3)) as i32);
                    posting(
                        ["a", "b", "c"][next(3) as usize],
                        &format!("x{i}"),
                        &day.to_string(),
                        7,
                        &["python"],
                    )
                })
                .collect();
            let refs: Vec<&Posting> = group.iter().collect();
            for cluster in clusters(&refs, &rules) {
                let first = cluster[0].posted;
                for p in &cluster {
                    let span = cluster_span(group.iter().map(|g| g.posted), p.posted, &rules);
                    assert_eq!(
                        span,
                        Some(ClusterSpan {
                            first,
                            members: cluster.len(),
                            on_first_day: cluster.iter().filter(|q| q.posted == first).count(),
                        }),
                        "{:?} in {:?}",
                        p.posted,
                        group.iter().map(|g| g.posted).collect::<Vec<_>>()
                    );
                }
            }
        }
    }
}
