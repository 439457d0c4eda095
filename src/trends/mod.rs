//! Trends: queries over the stored daily counts — series bucketed by day,
//! ISO week, month, quarter or year, each point with its count, the total of
//! all postings for the same geography (the denominator) and their share,
//! with the share's 95 % interval and a low-support flag; on request, a
//! moving average, an index to a base day and the year before
//! ([`honest`]). [`top`] ranks the skills of a period: top and rising.

use serde::ser::SerializeStruct;
use serde::Serialize;

use crate::domain::{Day, GeoCode, SkillId};
use crate::store::{CountStore, Metric, StoreError};

pub mod honest;
mod json;
mod request;
pub mod top;
pub use honest::{Compare, Options, DEFAULT_MIN_SUPPORT, MAX_SMOOTH};
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
    /// Skills, one series each per geography.
    pub skills: Vec<SkillId>,
    /// Geographies (at least one, no repeats): each skill has one series
    /// per geography, and each geography its own totals (denominator).
    pub geos: Vec<GeoCode>,
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
    /// An empty list of geographies.
    #[error("name at least one geography, e.g. geo=FR-IDF,FR-ARA")]
    NoGeo,
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
    #[error("{series} series × {buckets} {} buckets from {from} to {to} = {} points, more than the limit of {MAX_POINTS} per query: narrow the range (from/to), use a wider interval (week, month, quarter, year), or ask for fewer skills or geographies", interval.as_str(), series * buckets)]
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
    /// A moving-average window outside 1..=[`MAX_SMOOTH`].
    #[error("{smooth} is not a window of 1 to {MAX_SMOOTH} buckets")]
    BadSmooth {
        /// The window asked.
        smooth: usize,
    },
    /// An index base day outside the query's range.
    #[error("{day} is outside the range {from}..{to}: choose a base day within from/to")]
    IndexOutOfRange {
        /// The day asked.
        day: Day,
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
            QueryError::UnknownGeo { .. } | QueryError::NoGeo => "geo",
            QueryError::TooManySeries { .. } => "skills/geo",
            QueryError::TooManyPoints { .. } => "from/to/interval",
            QueryError::BadSmooth { .. } => "smooth",
            QueryError::IndexOutOfRange { .. } => "index",
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
    /// Geographies asked.
    pub fn geo_count(&self) -> usize {
        self.geos.len()
    }

    /// The series of the query in their order, skill-major: every
    /// geography of the first skill, then of the second… Each item is the
    /// skill's and the geography's index in [`TrendQuery::skills`] and
    /// [`TrendQuery::geos`].
    pub fn series_order(&self) -> impl Iterator<Item = (usize, usize)> + '_ {
        let geos = self.geos.len();
        (0..self.skills.len()).flat_map(move |s| (0..geos).map(move |g| (s, g)))
    }

    /// The geographies joined with commas, as asked (`FR-IDF,FR-ARA`).
    pub fn geo_list(&self) -> String {
        let codes: Vec<&str> = self.geos.iter().map(GeoCode::as_str).collect();
        codes.join(",")
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
        if self.geos.is_empty() {
            return Err(QueryError::NoGeo);
        }
        check_range(self.from, self.to)?;
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

/// Checks a query's range: `from` not after `to`, at most
/// [`MAX_RANGE_DAYS`] between them (trends and top alike).
pub fn check_range(from: Day, to: Day) -> Result<(), QueryError> {
    if from > to {
        return Err(QueryError::Reversed { from, to });
    }
    if to.days_since(from) > MAX_RANGE_DAYS {
        return Err(QueryError::TooLong { from, to });
    }
    Ok(())
}

/// One bucket of a series.
///
/// In JSON: `date`, `count`, `total`, `share`, `low`, `high`,
/// `low_support`, then `index` when the query asked for one and `yoy_count`,
/// `yoy_share` when it asked `compare=yoy`. With `smooth` above 1, `count`
/// and `total` are written as the smoothed (possibly fractional) averages,
/// which `share`, `low`, `high` and `low_support` are computed from.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Point {
    /// First day of the bucket.
    pub date: Day,
    /// Postings with the skill.
    pub count: i64,
    /// All postings (same geography, metric and bucket): the denominator.
    pub total: i64,
    /// `count / total` (of the smoothed pair when smoothing), absent when
    /// the total is 0.
    pub share: Option<f64>,
    /// Lower bound of the Wilson 95 % interval of `share` (absent with it).
    pub low: Option<f64>,
    /// Upper bound of the Wilson 95 % interval of `share` (absent with it).
    pub high: Option<f64>,
    /// Whether the (smoothed) total is under the query's `min_support`.
    pub low_support: bool,
    /// The trailing averages of `count` and `total`, when smoothing.
    pub smoothed: Option<(f64, f64)>,
    /// `100 × share / base share`, when an index was asked (`Some(None)`:
    /// undefined for this point).
    pub index: Option<Option<f64>>,
    /// The same bucket a year earlier, when asked.
    pub yoy: Option<YearBefore>,
}

/// The bucket a year before a point's ([`honest::year_before`]), with the
/// point's smoothing.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct YearBefore {
    /// Its count (absent before the calendar's start).
    pub count: Option<f64>,
    /// Its share (absent when its total is 0).
    pub share: Option<f64>,
}

impl Serialize for Point {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut st = s.serialize_struct("Point", 10)?;
        st.serialize_field("date", &self.date)?;
        match self.smoothed {
            None => {
                st.serialize_field("count", &self.count)?;
                st.serialize_field("total", &self.total)?;
            }
            Some((count, total)) => {
                st.serialize_field("count", &count)?;
                st.serialize_field("total", &total)?;
            }
        }
        st.serialize_field("share", &self.share)?;
        st.serialize_field("low", &self.low)?;
        st.serialize_field("high", &self.high)?;
        st.serialize_field("low_support", &self.low_support)?;
        if let Some(index) = self.index {
            st.serialize_field("index", &index)?;
        }
        if let Some(yoy) = self.yoy {
            match (yoy.count, self.smoothed) {
                // Unsmoothed counts are whole numbers: write them as such.
                (Some(c), None) => st.serialize_field("yoy_count", &(c as i64))?,
                (c, _) => st.serialize_field("yoy_count", &c)?,
            }
            st.serialize_field("yoy_share", &yoy.share)?;
        }
        st.end()
    }
}

/// One skill's series in one geography.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Series {
    /// The skill.
    pub skill: SkillId,
    /// The geography.
    pub geo: GeoCode,
    /// Points, one per bucket from `from` to `to`, empty buckets included. For
    /// `new`, a bucket's count is the sum of its days; for `active` (open
    /// postings, a stock), the value on the bucket's last day within range.
    pub points: Vec<Point>,
}

/// The denominator of a query's shares in `geo`: every bucket of the
/// range with the value of all postings (`*`) there.
pub fn totals(
    store: &dyn CountStore,
    q: &TrendQuery,
    geo: &GeoCode,
) -> Result<Vec<(Day, i64)>, StoreError> {
    bucketed(store, &SkillId::all_postings(), geo, q)
}

/// One skill's series in `geo`, with `totals` from [`totals`] for the same
/// query and geography.
pub fn series(
    store: &dyn CountStore,
    q: &TrendQuery,
    skill: &SkillId,
    geo: &GeoCode,
    totals: &[(Day, i64)],
) -> Result<Series, StoreError> {
    series_with(store, q, &Options::default(), skill, geo, totals)
}

/// The denominator of a query with `options` in `geo`: [`totals`]
/// preceded by the buckets that smoothing and `compare` need before the
/// range.
pub fn totals_with(
    store: &dyn CountStore,
    q: &TrendQuery,
    options: &Options,
    geo: &GeoCode,
) -> Result<Vec<(Day, i64)>, StoreError> {
    with_history(store, &SkillId::all_postings(), geo, q, options)
}

/// The denominators of every geography of `q` ([`totals_with`]), in the
/// order of [`TrendQuery::geos`].
pub fn all_totals_with(
    store: &dyn CountStore,
    q: &TrendQuery,
    options: &Options,
) -> Result<Vec<Vec<(Day, i64)>>, StoreError> {
    q.geos
        .iter()
        .map(|geo| totals_with(store, q, options, geo))
        .collect()
}

/// One skill's series in `geo` with `options`, and `totals` from
/// [`totals_with`] for the same query, options and geography.
pub fn series_with(
    store: &dyn CountStore,
    q: &TrendQuery,
    options: &Options,
    skill: &SkillId,
    geo: &GeoCode,
    totals: &[(Day, i64)],
) -> Result<Series, StoreError> {
    let counts = with_history(store, skill, geo, q, options)?;
    let first = q.interval.bucket(q.from);
    let lead = counts.iter().take_while(|(d, _)| *d < first).count();
    Ok(Series {
        skill: skill.clone(),
        geo: geo.clone(),
        points: points(q.interval, options, &counts, totals, lead),
    })
}

/// Every series of `q` with `options`, in [`TrendQuery::series_order`],
/// from `totals` given by [`all_totals_with`].
pub fn all_series_with(
    store: &dyn CountStore,
    q: &TrendQuery,
    options: &Options,
    totals: &[Vec<(Day, i64)>],
) -> Result<Vec<Series>, StoreError> {
    q.series_order()
        .map(|(s, g)| series_with(store, q, options, &q.skills[s], &q.geos[g], &totals[g]))
        .collect()
}

/// The points of a series from its bucketed `counts` and `totals` (same
/// buckets), of which the first `lead` precede the range: they feed the
/// moving average and the year before, and are not returned.
pub fn points(
    interval: Interval,
    options: &Options,
    counts: &[(Day, i64)],
    totals: &[(Day, i64)],
    lead: usize,
) -> Vec<Point> {
    let raw = |v: &[(Day, i64)]| -> Vec<f64> { v.iter().map(|&(_, n)| n as f64).collect() };
    let c = honest::trailing_mean(&raw(counts), options.smooth);
    let t = honest::trailing_mean(&raw(totals), options.smooth);
    let share = |i: usize| match (c.get(i), t.get(i)) {
        (Some(&c), Some(&t)) if t > 0.0 => Some(c / t),
        _ => None,
    };
    let at = |day: Day| counts.binary_search_by_key(&day, |&(d, _)| d).ok();
    let base = options
        .index
        .map(|day| at(interval.bucket(day)).and_then(share));
    let smoothing = options.smooth > 1;
    counts
        .iter()
        .zip(totals)
        .enumerate()
        .skip(lead)
        .map(|(i, (&(date, count), &(_, total)))| {
            let interval95 = honest::wilson(c[i], t[i]);
            Point {
                date,
                count,
                total,
                share: share(i),
                low: interval95.map(|(low, _)| low),
                high: interval95.map(|(_, high)| high),
                low_support: t[i] < options.min_support as f64,
                smoothed: smoothing.then_some((c[i], t[i])),
                index: base.map(|base| honest::index(share(i), base)),
                yoy: options.compare.map(|Compare::Yoy| {
                    let before = honest::year_before(interval, date).and_then(at);
                    YearBefore {
                        count: before.map(|j| c[j]),
                        share: before.and_then(share),
                    }
                }),
            }
        })
        .collect()
}

/// The first day of the earliest bucket a query with `options` reads: the
/// range's first bucket, a year earlier for `compare`, and `smooth - 1`
/// buckets earlier still (never before the calendar's start).
pub fn history_start(q: &TrendQuery, options: &Options) -> Day {
    let mut start = q.interval.bucket(q.from);
    if options.compare.is_some() {
        start = honest::year_before(q.interval, start).unwrap_or(Day::MIN);
    }
    for _ in 1..options.smooth {
        match start.checked_add_days(-1) {
            Some(day) => start = q.interval.bucket(day),
            None => break,
        }
    }
    start
}

/// The buckets of `q`'s range, preceded by those from [`history_start`].
fn with_history(
    store: &dyn CountStore,
    skill: &SkillId,
    geo: &GeoCode,
    q: &TrendQuery,
    options: &Options,
) -> Result<Vec<(Day, i64)>, StoreError> {
    let first = q.interval.bucket(q.from);
    let start = history_start(q, options);
    let mut out = match first.checked_add_days(-1) {
        Some(before) if start < first => {
            let earlier = TrendQuery {
                from: start,
                to: before,
                ..q.clone()
            };
            bucketed(store, skill, geo, &earlier)?
        }
        _ => Vec::new(),
    };
    out.extend(bucketed(store, skill, geo, q)?);
    Ok(out)
}

/// Runs a trends query (call [`TrendQuery::validate`] first): every series
/// at once, in [`TrendQuery::series_order`]. The API produces them one at a
/// time with [`totals_with`] and [`series_with`] instead.
pub fn trends(store: &dyn CountStore, q: &TrendQuery) -> Result<Vec<Series>, StoreError> {
    let options = Options::default();
    let totals = all_totals_with(store, q, &options)?;
    all_series_with(store, q, &options, &totals)
}

/// Every bucket from `q.from` to `q.to` with its value: for `new`, the sum of
/// its days; for `active` (a stock), the value on its last day within range.
fn bucketed(
    store: &dyn CountStore,
    skill: &SkillId,
    geo: &GeoCode,
    q: &TrendQuery,
) -> Result<Vec<(Day, i64)>, StoreError> {
    let mut buckets: Vec<(Day, i64)> = q
        .interval
        .buckets(q.from, q.to)
        .map(|day| (day, 0))
        .collect();
    if q.metric.is_cumulative() {
        // The running sum starts with the first change ever stored.
        let changes = store.daily(skill, geo, q.metric, Day::MIN, q.to)?;
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
    let daily = store.daily(skill, geo, q.metric, q.from, q.to)?;
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
