//! Trends: queries over the stored daily counts — series bucketed by day,
//! ISO week, month, quarter or year, each point with its count, the total of
//! all postings for the same geography (the denominator) and their share.

use serde::Serialize;

use crate::domain::{Day, GeoCode, SkillId};
use crate::store::{CountStore, Metric, StoreError};

mod request;
pub use request::{TrendRequest, Vocabulary, DEFAULT_INTERVAL, DEFAULT_METRIC, DEFAULT_RANGE_DAYS};

/// Longest range a query may span (about 30 years of days).
pub const MAX_RANGE_DAYS: i32 = 11_000;
/// Most skills a query may name, after merging repeats.
pub const MAX_SKILLS: usize = 100;
/// Most series (skills × geographies) a query may return.
pub const MAX_SERIES: usize = 100;
/// Most points (series × buckets) a query may return: 18 daily series over
/// 30 years, or 100 skills weekly over 30 years (about 12 MB of JSON).
pub const MAX_POINTS: usize = 200_000;

/// Width of the buckets of a series.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Interval {
    /// One point per day.
    Day,
    /// One point per ISO week (starting Monday).
    Week,
    /// One point per calendar month.
    Month,
    /// One point per quarter.
    Quarter,
    /// One point per year.
    Year,
}

impl Interval {
    /// The first day of the bucket holding `day`.
    pub fn bucket(self, day: Day) -> Day {
        match self {
            Interval::Day => day,
            Interval::Week => day.week_start(),
            Interval::Month => day.month_start(),
            Interval::Quarter => day.quarter_start(),
            Interval::Year => day.year_start(),
        }
    }

    /// The first day of the bucket after the one holding `day`, or `None`
    /// when that bucket would start after 9999-12-31: the series ends there.
    pub fn next(self, day: Day) -> Option<Day> {
        let start = self.bucket(day);
        match self {
            Interval::Day => start.checked_add_days(1),
            Interval::Week => start.checked_add_days(7),
            Interval::Month => add_months(start, 1),
            Interval::Quarter => add_months(start, 3),
            Interval::Year => add_months(start, 12),
        }
    }

    /// The first day of every bucket from the one holding `from` to the one
    /// holding `to`, in order (empty when `from` is after `to`).
    pub fn buckets(self, from: Day, to: Day) -> Buckets {
        Buckets {
            interval: self,
            next: Some(self.bucket(from)),
            to,
        }
    }

    /// How many buckets [`Interval::buckets`] gives, without iterating.
    pub fn bucket_count(self, from: Day, to: Day) -> usize {
        if from > to {
            return 0;
        }
        let index = |d: Day| -> i64 {
            let date = d.to_date();
            let (year, month0) = (
                i64::from(date.year()),
                i64::from(u8::from(date.month())) - 1,
            );
            match self {
                Interval::Day => i64::from(d.epoch_days()),
                Interval::Week => i64::from(d.week_start().epoch_days()).div_euclid(7),
                Interval::Month => year * 12 + month0,
                Interval::Quarter => year * 4 + month0 / 3,
                Interval::Year => year,
            }
        };
        usize::try_from(index(to) - index(from) + 1).unwrap_or(0)
    }

    /// The name used in queries and CSV.
    pub fn as_str(self) -> &'static str {
        match self {
            Interval::Day => "day",
            Interval::Week => "week",
            Interval::Month => "month",
            Interval::Quarter => "quarter",
            Interval::Year => "year",
        }
    }
}

/// The first days of the buckets of a range (see [`Interval::buckets`]).
/// Each step moves strictly forward or ends, so it always ends.
#[derive(Debug, Clone)]
pub struct Buckets {
    interval: Interval,
    next: Option<Day>,
    to: Day,
}

impl Iterator for Buckets {
    type Item = Day;

    fn next(&mut self) -> Option<Day> {
        let day = self.next.filter(|d| *d <= self.to)?;
        self.next = self.interval.next(day);
        Some(day)
    }
}

impl std::str::FromStr for Interval {
    type Err = String;
    fn from_str(s: &str) -> Result<Interval, String> {
        Ok(match s {
            "day" => Interval::Day,
            "week" => Interval::Week,
            "month" => Interval::Month,
            "quarter" => Interval::Quarter,
            "year" => Interval::Year,
            other => {
                return Err(format!(
                    "unknown interval {other:?}: use day, week, month, quarter or year"
                ))
            }
        })
    }
}

/// The first day of the month `n` months after `start`'s month, or `None`
/// past the calendar's end.
fn add_months(start: Day, n: i32) -> Option<Day> {
    let d = start.to_date();
    let total = d.year() * 12 + i32::from(u8::from(d.month())) - 1 + n;
    let (year, month0) = (total.div_euclid(12), total.rem_euclid(12));
    let month = time::Month::try_from(u8::try_from(month0 + 1).ok()?).ok()?;
    let date = time::Date::from_calendar_date(year, month, 1).ok()?;
    Day::from_date(date).ok()
}

/// A trends query, validated.
#[derive(Debug, Clone)]
pub struct TrendQuery {
    /// Skills, one series each.
    pub skills: Vec<SkillId>,
    /// Geography.
    pub geo: GeoCode,
    /// First day (inclusive).
    pub from: Day,
    /// Last day (inclusive).
    pub to: Day,
    /// Bucket width.
    pub interval: Interval,
    /// Metric.
    pub metric: Metric,
}

/// Why a query is not valid.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum QueryError {
    /// `from` is after `to`.
    #[error("from ({from}) is after to ({to})")]
    Reversed {
        /// Start.
        from: Day,
        /// End.
        to: Day,
    },
    /// Range too long.
    #[error("the range {from}..{to} spans more than the limit of {MAX_RANGE_DAYS} days per query: narrow the range, or split it over several queries")]
    TooLong {
        /// Start.
        from: Day,
        /// End.
        to: Day,
    },
    /// No skill asked.
    #[error("name at least one skill, e.g. skills=python,rust")]
    NoSkill,
    /// A skill the taxonomy does not know.
    #[error("unknown skill {skill:?}; {}", suggestion.as_ref().map_or_else(|| "see /api/v1/skills".to_owned(), |s| format!("did you mean {s:?}?")))]
    UnknownSkill {
        /// The skill as asked.
        skill: String,
        /// The nearest known skill, if one is near.
        suggestion: Option<String>,
    },
    /// A skill id that is not well formed.
    #[error("{why}")]
    BadSkill {
        /// The skill as asked.
        skill: String,
        /// Why it is refused (shown as the message, so not a `source`).
        why: crate::domain::DomainError,
    },
    /// A geography the gazetteer does not know.
    #[error("unknown geography {geo:?}; use WORLD, REMOTE, a country (FR) or FR-IDF / FR-75 (see /api/v1/geos)")]
    UnknownGeo {
        /// The code as asked.
        geo: String,
    },
    /// More skills than [`MAX_SKILLS`].
    #[error("{asked} different skills asked, more than the limit of {MAX_SKILLS} per query: ask for fewer skills, or split them over several queries")]
    TooManySkills {
        /// Skills asked, repeats merged.
        asked: usize,
    },
    /// More series than [`MAX_SERIES`].
    #[error("{skills} skills × {geos} geographies = {} series, more than the limit of {MAX_SERIES} per query: ask for fewer skills or geographies", skills * geos)]
    TooManySeries {
        /// Skills asked.
        skills: usize,
        /// Geographies asked.
        geos: usize,
    },
    /// More points than [`MAX_POINTS`].
    #[error("{series} series × {buckets} {} buckets from {from} to {to} = {} points, more than the limit of {MAX_POINTS} per query: narrow the range (from/to), use a wider interval (week, month, quarter, year), or ask for fewer skills", interval.as_str(), series * buckets)]
    TooManyPoints {
        /// Series asked (skills × geographies).
        series: usize,
        /// Buckets in the range.
        buckets: usize,
        /// Their width.
        interval: Interval,
        /// Start.
        from: Day,
        /// End.
        to: Day,
    },
}

impl QueryError {
    /// The query parameters the error is about, as the API names them.
    pub fn param(&self) -> &'static str {
        match self {
            QueryError::Reversed { .. } | QueryError::TooLong { .. } => "from/to",
            QueryError::NoSkill
            | QueryError::TooManySkills { .. }
            | QueryError::UnknownSkill { .. }
            | QueryError::BadSkill { .. } => "skills",
            QueryError::UnknownGeo { .. } => "geo",
            QueryError::TooManySeries { .. } => "skills/geo",
            QueryError::TooManyPoints { .. } => "from/to/interval",
        }
    }

    /// The API's machine-readable code for the error.
    pub fn code(&self) -> &'static str {
        match self {
            QueryError::UnknownSkill { .. } => "unknown_skill",
            QueryError::UnknownGeo { .. } => "unknown_geo",
            e if e.is_limit() => "limit_exceeded",
            _ => "invalid_parameter",
        }
    }

    /// Whether a size limit was exceeded (rather than a malformed query).
    pub fn is_limit(&self) -> bool {
        matches!(
            self,
            QueryError::TooLong { .. }
                | QueryError::TooManySkills { .. }
                | QueryError::TooManySeries { .. }
                | QueryError::TooManyPoints { .. }
        )
    }
}

impl TrendQuery {
    /// Geographies asked: one today (a list will multiply the series).
    pub fn geo_count(&self) -> usize {
        1
    }

    /// Series the query returns: skills × geographies.
    pub fn series_count(&self) -> usize {
        self.skills.len().saturating_mul(self.geo_count())
    }

    /// Buckets in the query's range.
    pub fn bucket_count(&self) -> usize {
        self.interval.bucket_count(self.from, self.to)
    }

    /// Checks the range and the size of a query: at most [`MAX_SKILLS`]
    /// skills, [`MAX_SERIES`] series and [`MAX_POINTS`] points. Repeated
    /// skills count as many times as they are named (merge them first).
    pub fn validate(&self) -> Result<(), QueryError> {
        if self.skills.is_empty() {
            return Err(QueryError::NoSkill);
        }
        if self.from > self.to {
            return Err(QueryError::Reversed {
                from: self.from,
                to: self.to,
            });
        }
        if self.to.days_since(self.from) > MAX_RANGE_DAYS {
            return Err(QueryError::TooLong {
                from: self.from,
                to: self.to,
            });
        }
        if self.skills.len() > MAX_SKILLS {
            return Err(QueryError::TooManySkills {
                asked: self.skills.len(),
            });
        }
        let series = self.series_count();
        if series > MAX_SERIES {
            return Err(QueryError::TooManySeries {
                skills: self.skills.len(),
                geos: self.geo_count(),
            });
        }
        let buckets = self.bucket_count();
        if series.saturating_mul(buckets) > MAX_POINTS {
            return Err(QueryError::TooManyPoints {
                series,
                buckets,
                interval: self.interval,
                from: self.from,
                to: self.to,
            });
        }
        Ok(())
    }
}

/// One bucket of a series.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Point {
    /// First day of the bucket.
    pub date: Day,
    /// Postings with the skill.
    pub count: i64,
    /// All postings (same geography, metric and bucket): the denominator.
    pub total: i64,
    /// `count / total`, absent when `total` is 0.
    pub share: Option<f64>,
}

/// One skill's series.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Series {
    /// The skill.
    pub skill: SkillId,
    /// Points, one per bucket from `from` to `to`, empty buckets included. For
    /// `new`, a bucket's count is the sum of its days; for `active` (open
    /// postings, a stock), the value on the bucket's last day within range.
    pub points: Vec<Point>,
}

/// The denominator of a query's shares: every bucket of the range with the
/// value of all postings (`*`) in the query's geography.
pub fn totals(store: &dyn CountStore, q: &TrendQuery) -> Result<Vec<(Day, i64)>, StoreError> {
    bucketed(store, &SkillId::all_postings(), q)
}

/// One skill's series, with `totals` from [`totals`] for the same query.
pub fn series(
    store: &dyn CountStore,
    q: &TrendQuery,
    skill: &SkillId,
    totals: &[(Day, i64)],
) -> Result<Series, StoreError> {
    let counts = bucketed(store, skill, q)?;
    let points = counts
        .iter()
        .zip(totals)
        .map(|(&(date, count), &(_, total))| Point {
            date,
            count,
            total,
            share: (total > 0).then(|| count as f64 / total as f64),
        })
        .collect();
    Ok(Series {
        skill: skill.clone(),
        points,
    })
}

/// Runs a trends query (call [`TrendQuery::validate`] first): every series
/// at once. The API produces them one at a time with [`totals`] and
/// [`series`] instead.
pub fn trends(store: &dyn CountStore, q: &TrendQuery) -> Result<Vec<Series>, StoreError> {
    let totals = totals(store, q)?;
    q.skills
        .iter()
        .map(|skill| series(store, q, skill, &totals))
        .collect()
}

/// Every bucket from `q.from` to `q.to` with its value: for `new`, the sum of
/// its days; for `active` (a stock), the value on its last day within range.
fn bucketed(
    store: &dyn CountStore,
    skill: &SkillId,
    q: &TrendQuery,
) -> Result<Vec<(Day, i64)>, StoreError> {
    let mut buckets: Vec<(Day, i64)> = q
        .interval
        .buckets(q.from, q.to)
        .map(|day| (day, 0))
        .collect();
    if q.metric.is_cumulative() {
        // The running sum starts with the first change ever stored.
        let changes = store.daily(skill, &q.geo, q.metric, Day::MIN, q.to)?;
        let mut running = 0;
        let mut c = changes.iter().peekable();
        for bucket in buckets.iter_mut() {
            // The bucket's last day: the day before the next bucket, or the
            // calendar's last day when no bucket follows.
            let last_day = q
                .interval
                .next(bucket.0)
                .and_then(|next| next.checked_add_days(-1))
                .unwrap_or(Day::MAX)
                .min(q.to);
            while let Some((d, v)) = c.peek() {
                if *d > last_day {
                    break;
                }
                running += v;
                c.next();
            }
            bucket.1 = running;
        }
        return Ok(buckets);
    }
    let daily = store.daily(skill, &q.geo, q.metric, q.from, q.to)?;
    let mut i = 0;
    for (day, value) in daily {
        let bucket = q.interval.bucket(day);
        while i < buckets.len() && buckets[i].0 < bucket {
            i += 1;
        }
        if let Some(b) = buckets.get_mut(i) {
            b.1 += value;
        }
    }
    Ok(buckets)
}

#[cfg(test)]
mod tests;
