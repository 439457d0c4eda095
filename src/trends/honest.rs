//! Honest numbers: what a point's share is worth (the Wilson 95 % score
//! interval, a low-support flag), and the derived views a query may ask for
//! (a trailing moving average, an index to a base day, the same bucket a
//! year earlier). Pure functions over bucketed `(count, total)` pairs; the
//! store is read in [`super::series_with`].

use super::Interval;
use crate::domain::Day;

/// Default `min_support`: a point whose `total` is under it is flagged
/// `low_support` (config `[trends] min_support`).
pub const DEFAULT_MIN_SUPPORT: u64 = 30;
/// Largest `smooth` window, in buckets (a year of weeks).
pub const MAX_SMOOTH: usize = 52;
/// The normal quantile of a two-sided 95 % interval.
const Z95: f64 = 1.959_963_984_540_054;

/// What a query asks beyond the plain series (defaults: nothing more).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Options {
    /// Trailing moving average over this many buckets (1: none).
    pub smooth: usize,
    /// Day whose bucket is the base (100) of `index`.
    pub index: Option<Day>,
    /// Add the same bucket one year earlier.
    pub compare: Option<Compare>,
    /// A point whose total is under this is flagged `low_support`.
    pub min_support: u64,
}

impl Default for Options {
    fn default() -> Options {
        Options {
            smooth: 1,
            index: None,
            compare: None,
            min_support: DEFAULT_MIN_SUPPORT,
        }
    }
}

/// A comparison a query may ask for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Compare {
    /// Year on year: the same bucket one year earlier ([`year_before`]).
    Yoy,
}

impl Compare {
    /// The name used in queries (`yoy`).
    pub fn as_str(self) -> &'static str {
        match self {
            Compare::Yoy => "yoy",
        }
    }
}

impl std::str::FromStr for Compare {
    type Err = String;
    fn from_str(s: &str) -> Result<Compare, String> {
        match s {
            "yoy" => Ok(Compare::Yoy),
            other => Err(format!("unknown comparison {other:?}: use yoy")),
        }
    }
}

/// The Wilson 95 % score interval of the proportion `count / total`, or
/// `None` when `total` is not positive. Bounds lie in [0, 1]; at 0 of n
/// the low bound is 0 and at n of n the high bound is 1, exactly.
/// Fractional counts (smoothed averages) are accepted.
pub fn wilson(count: f64, total: f64) -> Option<(f64, f64)> {
    if total.partial_cmp(&0.0) != Some(std::cmp::Ordering::Greater) {
        return None;
    }
    let p = (count / total).clamp(0.0, 1.0);
    let z2 = Z95 * Z95;
    let denom = 1.0 + z2 / total;
    let centre = (p + z2 / (2.0 * total)) / denom;
    let half = Z95 * (p * (1.0 - p) / total + z2 / (4.0 * total * total)).sqrt() / denom;
    // At p = 0 (or 1) the bound is exactly 0 (or 1); rounding may miss it.
    let low = if p <= 0.0 {
        0.0
    } else {
        (centre - half).max(0.0)
    };
    let high = if p >= 1.0 {
        1.0
    } else {
        (centre + half).min(1.0)
    };
    Some((low, high))
}

/// Trailing moving average over `window` values: item `i` is the mean of
/// `values[i + 1 - window ..= i]`, or of `values[..= i]` where fewer values
/// precede it. A window of 0 or 1 returns the values as they are.
pub fn trailing_mean(values: &[f64], window: usize) -> Vec<f64> {
    let window = window.max(1);
    let mut sum = 0.0;
    let mut out = Vec::with_capacity(values.len());
    for (i, v) in values.iter().enumerate() {
        sum += v;
        if i >= window {
            sum -= values[i - window];
        }
        out.push(sum / (i + 1).min(window) as f64);
    }
    out
}

/// `100 × share / base`, or `None` when either is undefined or `base` is 0.
pub fn index(share: Option<f64>, base: Option<f64>) -> Option<f64> {
    match (share, base) {
        (Some(s), Some(b)) if b > 0.0 => Some(100.0 * s / b),
        _ => None,
    }
}

/// The first day of the bucket one year before the bucket starting on
/// `start` (a bucket start of `interval`), or `None` before the calendar's
/// start:
/// - day: the same calendar day of the previous year, 29 February → 28 February;
/// - month, quarter, year: the same month, quarter, year one year earlier;
/// - week: the same ISO week number of the previous ISO year; week 53
///   compares with week 52 when the previous ISO year has no week 53.
pub fn year_before(interval: Interval, start: Day) -> Option<Day> {
    let date = start.to_date();
    let earlier = match interval {
        Interval::Week => {
            let (year, week, _) = date.to_iso_week_date();
            time::Date::from_iso_week_date(year - 1, week, time::Weekday::Monday)
                .or_else(|_| {
                    time::Date::from_iso_week_date(year - 1, week - 1, time::Weekday::Monday)
                })
                .ok()?
        }
        _ => {
            let (year, month, day) = (date.year() - 1, date.month(), date.day());
            time::Date::from_calendar_date(year, month, day)
                .or_else(|_| time::Date::from_calendar_date(year, month, day - 1))
                .ok()?
        }
    };
    Day::from_date(earlier).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(s: &str) -> Day {
        s.parse().unwrap()
    }

    fn round4(v: (f64, f64)) -> (f64, f64) {
        let r = |x: f64| (x * 10_000.0).round() / 10_000.0;
        (r(v.0), r(v.1))
    }

    #[test]
    fn wilson_matches_hand_computed_intervals() {
        // p = .04, z² = 3.8415: centre .057017, half-width .041353.
        assert_eq!(round4(wilson(4.0, 100.0).unwrap()), (0.0157, 0.0984));
        // 0 of 10: [0, z²/(n + z²)] = [0, 3.8415 / 13.8415].
        let (low, high) = wilson(0.0, 10.0).unwrap();
        assert_eq!(low, 0.0);
        assert!((high - 0.277_53).abs() < 1e-5, "{high}");
        // 10 of 10: [n/(n + z²), 1].
        let (low, high) = wilson(10.0, 10.0).unwrap();
        assert!((low - 0.722_47).abs() < 1e-5, "{low}");
        assert_eq!(high, 1.0);
        // 1 of 2 is symmetric: .5 ± z·sqrt(.125 + z²/16) / (1 + z²/2) = .5 ± .4055.
        assert_eq!(round4(wilson(1.0, 2.0).unwrap()), (0.0945, 0.9055));
        assert_eq!(wilson(0.0, 0.0), None);
        assert_eq!(wilson(1.0, -1.0), None);
        assert_eq!(wilson(1.0, f64::NAN), None);
    }

    #[test]
    fn the_trailing_mean_uses_what_precedes() {
        let v = [2.0, 4.0, 6.0, 8.0, 10.0];
        assert_eq!(trailing_mean(&v, 3), [2.0, 3.0, 4.0, 6.0, 8.0]);
        assert_eq!(trailing_mean(&v, 1), v);
        assert_eq!(trailing_mean(&v, 0), v);
        assert_eq!(trailing_mean(&v, 9), [2.0, 3.0, 4.0, 5.0, 6.0]);
        assert!(trailing_mean(&[], 4).is_empty());
    }

    #[test]
    fn an_index_needs_a_positive_base() {
        assert_eq!(index(Some(0.06), Some(0.04)), Some(150.0));
        assert_eq!(index(Some(0.0), Some(0.04)), Some(0.0));
        assert_eq!(index(Some(0.06), Some(0.0)), None);
        assert_eq!(index(Some(0.06), None), None);
        assert_eq!(index(None, Some(0.04)), None);
    }

    #[test]
    fn the_bucket_a_year_before() {
        let yb = |i, d: &str| year_before(i, day(d)).map(|d| d.to_string());
        assert_eq!(yb(Interval::Day, "2025-03-14"), Some("2024-03-14".into()));
        assert_eq!(yb(Interval::Day, "2024-02-29"), Some("2023-02-28".into()));
        assert_eq!(yb(Interval::Day, "2025-02-28"), Some("2024-02-28".into()));
        assert_eq!(yb(Interval::Month, "2025-02-01"), Some("2024-02-01".into()));
        assert_eq!(
            yb(Interval::Quarter, "2025-10-01"),
            Some("2024-10-01".into())
        );
        assert_eq!(yb(Interval::Year, "2025-01-01"), Some("2024-01-01".into()));
        // ISO 2026-W01 starts 2025-12-29; 2025-W01 started 2024-12-30.
        assert_eq!(yb(Interval::Week, "2025-12-29"), Some("2024-12-30".into()));
        // 2026 has a week 53 (from 2026-12-28); 2025 has not: week 52 (2025-12-22).
        assert_eq!(yb(Interval::Week, "2026-12-28"), Some("2025-12-22".into()));
        // 2021-W01 (2021-01-04) ← 2020-W01 (2019-12-30).
        assert_eq!(yb(Interval::Week, "2021-01-04"), Some("2019-12-30".into()));
        // 2020 had a week 53 (2020-12-28); 2021-W52 (2021-12-27) ← 2020-W52 (2020-12-21).
        assert_eq!(yb(Interval::Week, "2021-12-27"), Some("2020-12-21".into()));
        assert_eq!(yb(Interval::Year, &Day::MIN.to_string()), None);
    }
}
