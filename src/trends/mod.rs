//! Trends: queries over the stored daily counts — series bucketed by day,
//! ISO week, month, quarter or year, each point with its count, the total of
//! all postings for the same geography (the denominator) and their share.

use serde::Serialize;

use crate::domain::{Day, GeoCode, SkillId};
use crate::store::{Metric, Store, StoreError};

/// Longest range a query may span (about 30 years of days).
pub const MAX_RANGE_DAYS: i32 = 11_000;

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

    /// The first day of the bucket after the one holding `day`.
    pub fn next(self, day: Day) -> Day {
        let d = self.bucket(day).to_date();
        let next = match self {
            Interval::Day => return day.add_days(1),
            Interval::Week => return self.bucket(day).add_days(7),
            Interval::Month => add_months(d, 1),
            Interval::Quarter => add_months(d, 3),
            Interval::Year => add_months(d, 12),
        };
        Day::from_date(next)
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

/// The first day of the month `n` months after the month of `d`.
fn add_months(d: time::Date, n: i32) -> time::Date {
    let total = d.year() * 12 + i32::from(u8::from(d.month())) - 1 + n;
    let (year, month0) = (total.div_euclid(12), total.rem_euclid(12));
    let month = time::Month::try_from(month0 as u8 + 1).unwrap_or(time::Month::January);
    time::Date::from_calendar_date(year, month, 1).unwrap_or(d)
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
    #[error("the range {from}..{to} spans more than {MAX_RANGE_DAYS} days")]
    TooLong {
        /// Start.
        from: Day,
        /// End.
        to: Day,
    },
    /// No skill asked.
    #[error("no skill given: name at least one (e.g. skills=python,rust)")]
    NoSkill,
}

impl TrendQuery {
    /// Checks the ranges of a query.
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

/// Runs a trends query (call [`TrendQuery::validate`] first).
pub fn trends(store: &dyn Store, q: &TrendQuery) -> Result<Vec<Series>, StoreError> {
    let totals = bucketed(store, &SkillId::all_postings(), q)?;
    q.skills
        .iter()
        .map(|skill| {
            let counts = bucketed(store, skill, q)?;
            let points = counts
                .iter()
                .zip(&totals)
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
        })
        .collect()
}

/// Days before any posting: where running sums of cumulative metrics start.
const EARLIEST: Day = Day::from_epoch_days(-100_000);

/// Every bucket from `q.from` to `q.to` with its value: for `new`, the sum of
/// its days; for `active` (a stock), the value on its last day within range.
fn bucketed(
    store: &dyn Store,
    skill: &SkillId,
    q: &TrendQuery,
) -> Result<Vec<(Day, i64)>, StoreError> {
    let mut buckets: Vec<(Day, i64)> = Vec::new();
    let mut day = q.interval.bucket(q.from);
    while day <= q.to {
        buckets.push((day, 0));
        day = q.interval.next(day);
    }
    if q.metric.is_cumulative() {
        let changes = store.daily(skill, &q.geo, q.metric, EARLIEST, q.to)?;
        let mut running = 0;
        let mut c = changes.iter().peekable();
        for bucket in buckets.iter_mut() {
            let last_day = q.interval.next(bucket.0).add_days(-1).min(q.to);
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
