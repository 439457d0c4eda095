//! Top and rising skills: every skill of a catalogue ranked over one period
//! of one geography, with its share of all postings, the previous period of
//! the same length (growth, and the interval of that growth), and the same
//! period a year earlier.
//!
//! A query as asked is a [`TopRequest`] (what the API's query string or the
//! CLI's flags hold once parsed); [`TopRequest::resolve`] is the one place it
//! becomes a [`TopQuery`], defaults filled in (those of trends: today, a year
//! back, `new`) and every part checked, so the API and `skilltrack export
//! top` accept and refuse the same queries. [`top`] then reads each skill's
//! daily series once, over a span covering the three periods.
//!
//! The skills come as a catalogue of [`Entry`] (id, label, category) from
//! the caller: this module knows the store, not the taxonomy.

use serde::Serialize;

use super::honest::{self, wilson};
use super::{check_range, request, Interval, QueryError, Vocabulary, DEFAULT_METRIC};
use crate::domain::{Day, GeoCode, SkillId};
use crate::store::{CountStore, Metric, StoreError};

/// Default number of ranked skills.
pub const DEFAULT_LIMIT: usize = 20;
/// Most ranked skills a query may ask for.
pub const MAX_LIMIT: usize = 200;
/// The normal quantile of a two-sided 95 % interval.
const Z95: f64 = 1.959_963_984_540_054;

/// How the skills are ranked.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Sort {
    /// Most postings first.
    #[default]
    Count,
    /// Largest share first (the same order as `count` within one period,
    /// as every skill shares the same total).
    Share,
    /// Surest risers first: by the lower bound of the growth interval, so
    /// that 1 → 3 postings does not outrank 100 → 150.
    Growth,
}

impl Sort {
    /// The name used in queries and CSV.
    pub fn as_str(self) -> &'static str {
        match self {
            Sort::Count => "count",
            Sort::Share => "share",
            Sort::Growth => "growth",
        }
    }
}

impl std::str::FromStr for Sort {
    type Err = String;
    fn from_str(s: &str) -> Result<Sort, String> {
        match s {
            "count" => Ok(Sort::Count),
            "share" => Ok(Sort::Share),
            "growth" => Ok(Sort::Growth),
            other => Err(format!(
                "unknown sort {other:?}: use count, share or growth"
            )),
        }
    }
}

/// One skill of the catalogue a query ranks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Entry<'a> {
    /// Its id.
    pub id: &'a str,
    /// Its label for people.
    pub label: &'a str,
    /// Its taxonomy category (`language`, `certification`…).
    pub category: &'a str,
}

/// A top query as asked, each part parsed into its type; what is left out
/// takes its default in [`TopRequest::resolve`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TopRequest {
    /// Geography code (default `WORLD`).
    pub geo: Option<String>,
    /// First day (default: [`DEFAULT_RANGE_DAYS`](super::DEFAULT_RANGE_DAYS) before `to`).
    pub from: Option<Day>,
    /// Last day (default: today).
    pub to: Option<Day>,
    /// Metric (default [`DEFAULT_METRIC`]).
    pub metric: Option<Metric>,
    /// Only the skills of this taxonomy category.
    pub category: Option<String>,
    /// Ranked skills to return, 1 to [`MAX_LIMIT`] (default [`DEFAULT_LIMIT`]).
    pub limit: Option<usize>,
    /// Ranking (default [`Sort::Count`]).
    pub sort: Option<Sort>,
}

/// Why a top query is not valid.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TopError {
    /// The geography or the range (as for trends).
    #[error(transparent)]
    Query(#[from] QueryError),
    /// A category no skill of the catalogue has.
    #[error("unknown category {category:?} (known: {}){}", known.join(", "), suggestion.as_ref().map_or_else(String::new, |s| format!("; did you mean {s:?}?")))]
    UnknownCategory {
        /// The category as asked.
        category: String,
        /// The categories of the catalogue.
        known: Vec<String>,
        /// The nearest known category, if one is near.
        suggestion: Option<String>,
    },
    /// A limit outside 1..=[`MAX_LIMIT`].
    #[error("{limit} is not a number of skills from 1 to {MAX_LIMIT}")]
    BadLimit {
        /// The limit asked.
        limit: usize,
    },
}

impl TopError {
    /// The query parameter the error is about, as the API names it.
    pub fn param(&self) -> &'static str {
        match self {
            TopError::Query(e) => e.param(),
            TopError::UnknownCategory { .. } => "category",
            TopError::BadLimit { .. } => "limit",
        }
    }

    /// The API's machine-readable code for the error.
    pub fn code(&self) -> &'static str {
        match self {
            TopError::Query(e) => e.code(),
            TopError::UnknownCategory { .. } => "invalid_parameter",
            TopError::BadLimit { limit } if *limit > MAX_LIMIT => "limit_exceeded",
            TopError::BadLimit { .. } => "invalid_parameter",
        }
    }
}

/// A period of days, both ends included.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Period {
    /// First day.
    pub from: Day,
    /// Last day.
    pub to: Day,
}

impl Period {
    /// The period of the same length ending the day before this one starts,
    /// or `None` when it would start before the calendar.
    pub fn previous(self) -> Option<Period> {
        let length = self.to.days_since(self.from) + 1;
        Some(Period {
            from: self.from.checked_add_days(-length)?,
            to: self.from.checked_add_days(-1)?,
        })
    }

    /// The same period one year earlier, each end moved as
    /// [`honest::year_before`] moves a day (29 February → 28 February), or
    /// `None` before the calendar.
    pub fn year_before(self) -> Option<Period> {
        Some(Period {
            from: honest::year_before(Interval::Day, self.from)?,
            to: honest::year_before(Interval::Day, self.to)?,
        })
    }
}

/// A top query, resolved and valid.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TopQuery {
    /// Geography.
    pub geo: GeoCode,
    /// The period ranked.
    pub period: Period,
    /// The previous period of the same length (`None` before the calendar).
    pub previous: Option<Period>,
    /// The period a year earlier (`None` before the calendar).
    pub year_before: Option<Period>,
    /// Metric.
    pub metric: Metric,
    /// Only this category's skills, when given.
    pub category: Option<String>,
    /// Ranked skills returned, at most.
    pub limit: usize,
    /// Ranking.
    pub sort: Sort,
}

impl TopRequest {
    /// Checks the request against `vocabulary` (geography) and `catalogue`
    /// (category), fills in the defaults (`to` defaults to `today`) and
    /// applies the range and limit bounds.
    pub fn resolve(
        &self,
        vocabulary: &impl Vocabulary,
        catalogue: &[Entry],
        today: Day,
    ) -> Result<TopQuery, TopError> {
        let geo = request::geo(vocabulary, self.geo.as_deref().unwrap_or(GeoCode::WORLD))?;
        let (from, to) = request::default_range(self.from, self.to, today);
        check_range(from, to)?;
        let limit = self.limit.unwrap_or(DEFAULT_LIMIT);
        if !(1..=MAX_LIMIT).contains(&limit) {
            return Err(TopError::BadLimit { limit });
        }
        let category = match &self.category {
            Some(c) => Some(known_category(c.trim(), catalogue)?),
            None => None,
        };
        let period = Period { from, to };
        Ok(TopQuery {
            geo,
            period,
            previous: period.previous(),
            year_before: period.year_before(),
            metric: self.metric.unwrap_or(DEFAULT_METRIC),
            category,
            limit,
            sort: self.sort.unwrap_or_default(),
        })
    }
}

/// `category` if some skill of `catalogue` has it, else the error listing
/// the known ones (in catalogue order) with the nearest.
fn known_category(category: &str, catalogue: &[Entry]) -> Result<String, TopError> {
    let mut known: Vec<&str> = Vec::new();
    for e in catalogue {
        if !known.contains(&e.category) {
            known.push(e.category);
        }
    }
    if known.contains(&category) {
        return Ok(category.to_owned());
    }
    Err(TopError::UnknownCategory {
        category: category.to_owned(),
        suggestion: crate::domain::suggest(category, known.iter().copied()).map(str::to_owned),
        known: known.into_iter().map(str::to_owned).collect(),
    })
}

/// A ranked list of skills.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Top {
    /// Geography code.
    pub geo: String,
    /// `new` or `active`.
    pub metric: &'static str,
    /// First day of the period.
    pub from: Day,
    /// Last day of the period.
    pub to: Day,
    /// First day of the previous period (null before the calendar).
    pub prev_from: Option<Day>,
    /// Last day of the previous period (null before the calendar).
    pub prev_to: Option<Day>,
    /// The category asked, if any.
    pub category: Option<String>,
    /// The ranking.
    pub sort: &'static str,
    /// The most items asked.
    pub limit: usize,
    /// Under this count in both periods a skill is not ranked by growth;
    /// under this total a share is flagged `low_support`.
    pub min_support: u64,
    /// All postings (`*`) of the geography in the period.
    pub total: i64,
    /// All postings of the geography in the previous period (null with it).
    pub prev_total: Option<i64>,
    /// The ranked skills, best first.
    pub skills: Vec<Item>,
}

/// One ranked skill.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Item {
    /// 1 for the first.
    pub rank: usize,
    /// Skill id.
    pub skill: String,
    /// Its label.
    pub label: String,
    /// Its category.
    pub category: String,
    /// Postings with the skill in the period.
    pub count: i64,
    /// All postings in the period.
    pub total: i64,
    /// `count / total` (null when `total` is 0).
    pub share: Option<f64>,
    /// Lower bound of the Wilson 95 % interval of `share`.
    pub low: Option<f64>,
    /// Upper bound of the Wilson 95 % interval of `share`.
    pub high: Option<f64>,
    /// Whether `total` is under `min_support`.
    pub low_support: bool,
    /// Postings with the skill in the previous period.
    pub prev_count: Option<i64>,
    /// All postings in the previous period.
    pub prev_total: Option<i64>,
    /// `prev_count / prev_total` (null when that total is 0).
    pub prev_share: Option<f64>,
    /// `share / prev_share` (null when `prev_share` is 0 or null).
    pub growth: Option<f64>,
    /// Lower bound of the 95 % interval of the growth ([`growth_interval`]).
    pub growth_low: Option<f64>,
    /// Upper bound of the 95 % interval of the growth.
    pub growth_high: Option<f64>,
    /// Postings with the skill in the same period a year earlier.
    pub yoy_count: Option<i64>,
    /// Their share (null when that period's total is 0).
    pub yoy_share: Option<f64>,
}

/// The 95 % interval of the ratio of two independent proportions `a / n1`
/// over `b / n2` (Katz's log method): `exp(ln r ± z·sqrt(1/a − 1/n1 + 1/b −
/// 1/n2))`, a count of 0 taken as 0.5 so that a bound always exists (the
/// ratio is then that of the corrected counts). `None` when a total is not
/// positive.
pub fn growth_interval(a: i64, n1: i64, b: i64, n2: i64) -> Option<(f64, f64)> {
    if n1 <= 0 || n2 <= 0 {
        return None;
    }
    let corrected = |count: i64| if count <= 0 { 0.5 } else { count as f64 };
    let (a, b, n1, n2) = (corrected(a), corrected(b), n1 as f64, n2 as f64);
    let ln_ratio = ((a / n1) / (b / n2)).ln();
    let spread = Z95 * (1.0 / a - 1.0 / n1 + 1.0 / b - 1.0 / n2).max(0.0).sqrt();
    Some(((ln_ratio - spread).exp(), (ln_ratio + spread).exp()))
}

/// A series' value over the query's three periods: current, previous, a
/// year before (`None` where the period is).
type Values = [Option<i64>; 3];

/// The query's periods in [`Values`] order.
fn periods(q: &TopQuery) -> [Option<Period>; 3] {
    [Some(q.period), q.previous, q.year_before]
}

/// Reads one series once and gives its value in each period: for `new`, the
/// postings opened in it; for `active` (a stock), those open on its last day
/// ([`CountStore::span_values`]).
fn values(store: &dyn CountStore, skill: &SkillId, q: &TopQuery) -> Result<Values, StoreError> {
    let wanted = periods(q);
    let spans: Vec<(Day, Day)> = wanted.iter().flatten().map(|p| (p.from, p.to)).collect();
    let mut sums = store
        .span_values(skill, &q.geo, q.metric, &spans)?
        .into_iter();
    Ok(wanted.map(|p| p.and_then(|_| sums.next())))
}

/// The ranked skills of `q` among `catalogue` (`*` never ranked), with
/// `min_support` as the growth ranking's floor and the low-support mark.
pub fn top(
    store: &dyn CountStore,
    q: &TopQuery,
    catalogue: &[Entry],
    min_support: u64,
) -> Result<Top, StoreError> {
    let totals = values(store, &SkillId::all_postings(), q)?;
    let total = totals[0].unwrap_or(0);
    let mut items = Vec::new();
    for entry in catalogue {
        if entry.id == SkillId::ALL_POSTINGS
            || q.category.as_deref().is_some_and(|c| c != entry.category)
        {
            continue;
        }
        let Ok(skill) = SkillId::parse(entry.id) else {
            continue;
        };
        let counts = values(store, &skill, q)?;
        let item = item(entry, counts, totals, min_support);
        if ranked(&item, q.sort, min_support) {
            items.push(item);
        }
    }
    sort(&mut items, q.sort);
    items.truncate(q.limit);
    for (i, item) in items.iter_mut().enumerate() {
        item.rank = i + 1;
    }
    Ok(Top {
        geo: q.geo.as_str().to_owned(),
        metric: q.metric.as_str(),
        from: q.period.from,
        to: q.period.to,
        prev_from: q.previous.map(|p| p.from),
        prev_to: q.previous.map(|p| p.to),
        category: q.category.clone(),
        sort: q.sort.as_str(),
        limit: q.limit,
        min_support,
        total,
        prev_total: totals[1],
        skills: items,
    })
}

/// `count / total`, `None` when `total` is not positive.
fn share(count: i64, total: i64) -> Option<f64> {
    (total > 0).then(|| count as f64 / total as f64)
}

/// One skill's numbers (rank 0 until ranked).
fn item(entry: &Entry, counts: Values, totals: Values, min_support: u64) -> Item {
    let [count, prev_count, yoy_count] = counts;
    let [total, prev_total, yoy_total] = totals;
    let (count, total) = (count.unwrap_or(0), total.unwrap_or(0));
    let share_now = share(count, total);
    let interval = wilson(count as f64, total as f64);
    let prev_share = prev_count.zip(prev_total).and_then(|(c, t)| share(c, t));
    let growth = match (share_now, prev_share) {
        (Some(s), Some(p)) if p > 0.0 => Some(s / p),
        _ => None,
    };
    let growth95 = prev_count
        .zip(prev_total)
        .and_then(|(b, n2)| growth_interval(count, total, b, n2));
    Item {
        rank: 0,
        skill: entry.id.to_owned(),
        label: entry.label.to_owned(),
        category: entry.category.to_owned(),
        count,
        total,
        share: share_now,
        low: interval.map(|(low, _)| low),
        high: interval.map(|(_, high)| high),
        low_support: (total as f64) < min_support as f64,
        prev_count,
        prev_total,
        prev_share,
        growth,
        growth_low: growth95.map(|(low, _)| low),
        growth_high: growth95.map(|(_, high)| high),
        yoy_count,
        yoy_share: yoy_count.zip(yoy_total).and_then(|(c, t)| share(c, t)),
    }
}

/// Whether `item` takes part in a `sort` ranking: by count or share, when
/// it has postings in the period; by growth, when its growth interval exists
/// and it has at least `min_support` postings in one of the two periods.
fn ranked(item: &Item, sort: Sort, min_support: u64) -> bool {
    match sort {
        Sort::Count | Sort::Share => item.count > 0,
        Sort::Growth => {
            let supported = |n: i64| n >= 0 && n as u64 >= min_support;
            item.growth_low.is_some()
                && (supported(item.count) || item.prev_count.is_some_and(supported))
        }
    }
}

/// Orders `items` best first; ties go to the larger count, then the skill id.
fn sort(items: &mut [Item], sort: Sort) {
    let key = |item: &Item| match sort {
        Sort::Count => 0.0,
        Sort::Share => item.share.unwrap_or(0.0),
        Sort::Growth => item.growth_low.unwrap_or(0.0),
    };
    items.sort_by(|a, b| {
        key(b)
            .total_cmp(&key(a))
            .then(b.count.cmp(&a.count))
            .then_with(|| a.skill.cmp(&b.skill))
    });
}

#[cfg(test)]
mod tests;
