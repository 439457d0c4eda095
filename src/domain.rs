//! Domain newtypes shared by every stage, and the plain data several stages
//! hand each other: [`Posting`] (made by `normalize`, kept by `store`),
//! [`RunReport`] (written by the pipeline, kept by the store) and
//! [`Validators`] (conditional GET: asked by `fetch`, kept by the store),
//! [`AuthSpec`] (read from a source file by `extract`, used by `fetch`),
//! [`Rate`] (read by `extract` and `config`, applied by `fetch`) and [`Cron`]
//! (read by `extract`, run by the scheduler). [`health`] judges a source
//! from its run reports (pure rules, for the API, the CLI and the pipeline).
//!
//! Each type has one parsing constructor; code downstream of it never re-checks.
//! `Day` is the unit of every time series: a UTC calendar day counted from
//! 1970-01-01, so that it orders, subtracts and encodes (big-endian) cheaply.
//! It keeps to the years 1 to 9999 (the dates `YYYY-MM-DD` can write): parsing
//! rejects what lies outside, and arithmetic that could leave the range is
//! checked ([`Day::checked_add_days`]) — never silently held at the edge, which
//! would turn a `while day <= to` loop infinite at the end of the calendar.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use time::{Date, Month, OffsetDateTime};

mod auth_spec;
mod count_rules;
mod cron;
mod error_chain;
pub mod health;
mod posting;
mod rate;
mod run_report;
mod validators;

pub use auth_spec::AuthSpec;
pub use count_rules::{
    CountRules, DEFAULT_DEDUP_WINDOW_DAYS, DEFAULT_MAX_OPEN_DAYS, DEFAULT_UNSEEN_CLOSE_DAYS,
};
pub use cron::{Cron, CronError};
pub use error_chain::error_chain;
pub use posting::{content_hash, merge_seen, Place, Posting};
pub use rate::{Rate, RateError};
pub use run_report::{Completeness, Figure, RunReport, MAX_REPORTED_ERRORS};
pub use validators::Validators;

/// The closest of `candidates` to `word`, when it is near enough to be a
/// typo (Damerau–Levenshtein distance at most 2, or a quarter of the
/// candidate's length): the "did you mean" of every error message about an
/// unknown key, parameter or skill.
pub fn suggest<'a>(word: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    candidates
        .into_iter()
        .map(|c| (strsim::damerau_levenshtein(word, c), c))
        .filter(|(d, c)| *d <= 2.max(c.len() / 4))
        .min()
        .map(|(_, c)| c)
}

/// Why a domain value was rejected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DomainError {
    /// A date that is not `YYYY-MM-DD` (or an RFC 3339 timestamp where allowed).
    #[error("invalid date {value:?}: expected YYYY-MM-DD (e.g. 2024-03-01)")]
    Day {
        /// The rejected text.
        value: String,
    },
    /// A source id that is not lowercase letters, digits, `-` or `_`.
    #[error("invalid source id {value:?}: use lowercase letters, digits, '-' and '_' (1 to 64 characters)")]
    SourceId {
        /// The rejected text.
        value: String,
    },
    /// A skill id that is not kebab-case (or `*`).
    #[error("invalid skill id {value:?}: use kebab-case such as \"scikit-learn\"")]
    SkillId {
        /// The rejected text.
        value: String,
    },
    /// A geography code that is not of a known shape.
    #[error("invalid geography code {value:?}: expected WORLD, REMOTE, UNKNOWN, a country such as FR, or FR-IDF / FR-75")]
    GeoCode {
        /// The rejected text.
        value: String,
    },
    /// A calendar date outside the years 1 to 9999.
    #[error(
        "date {value} is outside the calendar this program counts in (0001-01-01 to 9999-12-31)"
    )]
    DayOutOfRange {
        /// The rejected date.
        value: String,
    },
    /// A posting id that is not 16 hexadecimal digits.
    #[error("invalid posting id {value:?}: expected 16 hexadecimal digits")]
    PostingId {
        /// The rejected text.
        value: String,
    },
}

/// A UTC calendar day, stored as the number of days since 1970-01-01.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Day(i32);

/// Julian day number of 1970-01-01, the epoch of [`Day`].
const UNIX_EPOCH_JULIAN_DAY: i32 = 2_440_588;

impl Day {
    /// The first day of the calendar: 0001-01-01.
    pub const MIN: Day = Day(-719_162);
    /// The last day of the calendar: 9999-12-31.
    pub const MAX: Day = Day(2_932_896);

    /// The day `n` days after 1970-01-01. The caller keeps `n` within
    /// [`Day::MIN`]..=[`Day::MAX`] (it decodes a day this program encoded);
    /// parse or use [`Day::from_date`] otherwise.
    pub const fn from_epoch_days(n: i32) -> Day {
        Day(n)
    }

    /// Days since 1970-01-01.
    pub const fn epoch_days(self) -> i32 {
        self.0
    }

    /// The day of a calendar date, if within the years 1 to 9999.
    pub fn from_date(date: Date) -> Result<Day, DomainError> {
        let day = Day::of_date(date);
        if (Day::MIN..=Day::MAX).contains(&day) {
            Ok(day)
        } else {
            Err(DomainError::DayOutOfRange {
                value: date.to_string(),
            })
        }
    }

    /// The day of a date known to be in range (derived from an in-range day
    /// within the same year).
    fn of_date(date: Date) -> Day {
        Day(date.to_julian_day() - UNIX_EPOCH_JULIAN_DAY)
    }

    /// The calendar date of this day.
    pub fn to_date(self) -> Date {
        // Every day between MIN and MAX is a valid `Date`; a day decoded from
        // damaged bytes outside them shows as the earliest date.
        Date::from_julian_day(self.0 + UNIX_EPOCH_JULIAN_DAY).unwrap_or(Date::MIN)
    }

    /// Today in UTC.
    pub fn today() -> Day {
        Day::of_date(OffsetDateTime::now_utc().date()).clamp(Day::MIN, Day::MAX)
    }

    /// This day moved by `n` days, or `None` when that leaves the calendar
    /// (before 0001-01-01 or after 9999-12-31).
    pub fn checked_add_days(self, n: i32) -> Option<Day> {
        self.0
            .checked_add(n)
            .map(Day)
            .filter(|d| (Day::MIN..=Day::MAX).contains(d))
    }

    /// This day moved by `n` days, held at [`Day::MIN`] or [`Day::MAX`] when
    /// that leaves the calendar. For limits (a posting's close day), never to
    /// step a loop: at the calendar's end it returns the same day.
    pub fn saturating_add_days(self, n: i32) -> Day {
        Day(self.0.saturating_add(n)).clamp(Day::MIN, Day::MAX)
    }

    /// This day moved by `n` days, for offsets known to stay in the calendar
    /// (tests, benches, generated data near today).
    ///
    /// # Panics
    /// When the result leaves the calendar; use [`Day::checked_add_days`]
    /// for anything derived from input.
    #[track_caller]
    pub fn add_days(self, n: i32) -> Day {
        match self.checked_add_days(n) {
            Some(day) => day,
            None => panic!("{self} + {n} days leaves the calendar (0001-01-01 to 9999-12-31)"),
        }
    }

    /// Days from `earlier` to `self` (negative when `earlier` is later).
    pub fn days_since(self, earlier: Day) -> i32 {
        self.0 - earlier.0
    }

    /// The Monday that starts this day's ISO week (1970-01-01 was a
    /// Thursday, three days after a Monday).
    pub fn week_start(self) -> Day {
        Day(self.0 - (self.0 + 3).rem_euclid(7))
    }

    /// The first day of this day's month.
    pub fn month_start(self) -> Day {
        let (year, month, _) = self.ymd();
        Day(calendar::days_from_civil(year, month, 1))
    }

    /// The first day of this day's quarter.
    pub fn quarter_start(self) -> Day {
        let (year, month, _) = self.ymd();
        Day(calendar::days_from_civil(year, (month - 1) / 3 * 3 + 1, 1))
    }

    /// The first day of this day's year.
    pub fn year_start(self) -> Day {
        let (year, _, _) = self.ymd();
        Day(calendar::days_from_civil(year, 1, 1))
    }

    /// Year, month (1–12) and day of the month (1–31), by integer
    /// arithmetic: bucketing and writing days never go through a calendar
    /// library, which costs several times more per day.
    pub fn ymd(self) -> (i32, u8, u8) {
        calendar::civil_from_days(self.0)
    }

    /// `YYYY-MM-DD`, as bytes (years 1 to 9999 have four digits).
    pub fn iso_bytes(self) -> [u8; 10] {
        let (year, month, day) = self.ymd();
        let year = year.clamp(0, 9999) as u32;
        let digit = |n: u32| b'0' + (n % 10) as u8;
        [
            digit(year / 1000),
            digit(year / 100),
            digit(year / 10),
            digit(year),
            b'-',
            digit(u32::from(month) / 10),
            digit(u32::from(month)),
            b'-',
            digit(u32::from(day) / 10),
            digit(u32::from(day)),
        ]
    }

    /// Parses a posting date as sources write it: `YYYY-MM-DD`, or an RFC 3339
    /// timestamp (`2024-03-01T09:30:00+01:00`, `…Z`) whose UTC day is taken.
    pub fn parse_lenient(text: &str) -> Result<Day, DomainError> {
        let text = text.trim();
        if let Ok(day) = text.parse::<Day>() {
            return Ok(day);
        }
        let rfc3339 = time::format_description::well_known::Rfc3339;
        if let Ok(ts) = OffsetDateTime::parse(text, &rfc3339) {
            if let Some(utc) = ts.checked_to_offset(time::UtcOffset::UTC) {
                return Day::from_date(utc.date());
            }
        }
        Err(DomainError::Day {
            value: text.to_owned(),
        })
    }
}

impl FromStr for Day {
    type Err = DomainError;

    fn from_str(s: &str) -> Result<Day, DomainError> {
        let bad = || DomainError::Day {
            value: s.to_owned(),
        };
        let b = s.as_bytes();
        if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
            return Err(bad());
        }
        let num = |r: std::ops::Range<usize>| -> Result<i32, DomainError> {
            let part = &s[r];
            if !part.bytes().all(|c| c.is_ascii_digit()) {
                return Err(bad());
            }
            part.parse::<i32>().map_err(|_| bad())
        };
        let (y, m, d) = (num(0..4)?, num(5..7)?, num(8..10)?);
        let month = u8::try_from(m)
            .ok()
            .and_then(|m| Month::try_from(m).ok())
            .ok_or_else(bad)?;
        let day = u8::try_from(d).map_err(|_| bad())?;
        let date = Date::from_calendar_date(y, month, day).map_err(|_| bad())?;
        Day::from_date(date)
    }
}

impl fmt::Display for Day {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let iso = self.iso_bytes();
        // Ten ASCII digits and dashes.
        f.pad(std::str::from_utf8(&iso).map_err(|_| fmt::Error)?)
    }
}

impl Serialize for Day {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let iso = self.iso_bytes();
        s.serialize_str(std::str::from_utf8(&iso).map_err(serde::ser::Error::custom)?)
    }
}

/// The proleptic Gregorian calendar by integer arithmetic, in eras of 400
/// years (146,097 days) counted from 0000-03-01, so that the leap day ends
/// its year.
mod calendar {
    /// Days from 0000-03-01 to 1970-01-01.
    const EPOCH_SHIFT: i64 = 719_468;
    /// Days in 400 years.
    const ERA_DAYS: i64 = 146_097;

    /// Year, month (1–12), day (1–31) of `days` since 1970-01-01.
    pub(super) fn civil_from_days(days: i32) -> (i32, u8, u8) {
        let z = i64::from(days) + EPOCH_SHIFT;
        let era = z.div_euclid(ERA_DAYS);
        let day_of_era = z.rem_euclid(ERA_DAYS);
        let year_of_era =
            (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
        let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
        // Months counted from March: 0 is March, 11 is February.
        let month_from_march = (5 * day_of_year + 2) / 153;
        let day = day_of_year - (153 * month_from_march + 2) / 5 + 1;
        let month = if month_from_march < 10 {
            month_from_march + 3
        } else {
            month_from_march - 9
        };
        let year = year_of_era + era * 400 + i64::from(month <= 2);
        // In range for every i32 day count: |year| < 6 million.
        (year as i32, month as u8, day as u8)
    }

    /// Days since 1970-01-01 of a valid date (`month` 1–12, `day` within
    /// the month).
    pub(super) fn days_from_civil(year: i32, month: u8, day: u8) -> i32 {
        let (month, day) = (i64::from(month), i64::from(day));
        let year = i64::from(year) - i64::from(month <= 2);
        let era = year.div_euclid(400);
        let year_of_era = year.rem_euclid(400);
        let month_from_march = if month > 2 { month - 3 } else { month + 9 };
        let day_of_year = (153 * month_from_march + 2) / 5 + day - 1;
        let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
        // Callers pass dates of in-range days.
        (era * ERA_DAYS + day_of_era - EPOCH_SHIFT) as i32
    }
}

impl<'de> Deserialize<'de> for Day {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Day, D::Error> {
        let text = String::deserialize(d)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

/// Declares a validated string newtype with serde and Display support.
macro_rules! string_newtype {
    ($(#[$doc:meta])* $name:ident, $check:expr, $err:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub struct $name(String);

        impl $name {
            /// Parses and validates.
            pub fn parse(value: &str) -> Result<$name, DomainError> {
                let check: fn(&str) -> bool = $check;
                if check(value) {
                    Ok($name(value.to_owned()))
                } else {
                    Err(DomainError::$err { value: value.to_owned() })
                }
            }

            /// The id as text.
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl FromStr for $name {
            type Err = DomainError;
            fn from_str(s: &str) -> Result<$name, DomainError> {
                $name::parse(s)
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                // `pad` honours width and alignment (`{:<18}`) in tables.
                f.pad(&self.0)
            }
        }

        impl AsRef<str> for $name {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }

        impl Serialize for $name {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(&self.0)
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<$name, D::Error> {
                let text = String::deserialize(d)?;
                $name::parse(&text).map_err(serde::de::Error::custom)
            }
        }
    };
}

fn is_source_id(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 64
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_')
}

fn is_skill_id(s: &str) -> bool {
    s == SkillId::ALL_POSTINGS
        || (!s.is_empty()
            && s.len() <= 64
            && !s.starts_with('-')
            && !s.ends_with('-')
            && !s.contains("--")
            && s.bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-'))
}

fn is_geo_code(s: &str) -> bool {
    let upper_alnum = |p: &str| {
        !p.is_empty()
            && p.len() <= 4
            && p.bytes()
                .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
    };
    match s {
        GeoCode::WORLD | GeoCode::REMOTE | GeoCode::UNKNOWN => true,
        _ => match s.split_once('-') {
            Some((country, sub)) => {
                country.len() == 2
                    && country.bytes().all(|b| b.is_ascii_uppercase())
                    && upper_alnum(sub)
            }
            None => s.len() == 2 && s.bytes().all(|b| b.is_ascii_uppercase()),
        },
    }
}

string_newtype!(
    /// A source's id: the stem of its file in `extractors/` (`greenhouse`, `france-travail`).
    SourceId,
    is_source_id,
    SourceId
);

string_newtype!(
    /// A skill's id in the taxonomy (`python`, `scikit-learn`), or `*` for all postings.
    SkillId,
    is_skill_id,
    SkillId
);

string_newtype!(
    /// An ISO 3166 geography code: `WORLD`, a country (`FR`), a French région
    /// (`FR-IDF`) or département (`FR-75`, `FR-2A`, `FR-971`), `REMOTE`, or `UNKNOWN`.
    GeoCode,
    is_geo_code,
    GeoCode
);

impl SkillId {
    /// The pseudo-skill that counts every posting: the denominator of shares.
    pub const ALL_POSTINGS: &'static str = "*";

    /// The `*` pseudo-skill.
    pub fn all_postings() -> SkillId {
        SkillId(Self::ALL_POSTINGS.to_owned())
    }
}

impl GeoCode {
    /// The whole world: every posting counts here.
    pub const WORLD: &'static str = "WORLD";
    /// Remote postings, a geography of their own.
    pub const REMOTE: &'static str = "REMOTE";
    /// Postings whose place could not be determined.
    pub const UNKNOWN: &'static str = "UNKNOWN";

    /// `WORLD`.
    pub fn world() -> GeoCode {
        GeoCode(Self::WORLD.to_owned())
    }

    /// `REMOTE`.
    pub fn remote() -> GeoCode {
        GeoCode(Self::REMOTE.to_owned())
    }

    /// `UNKNOWN`.
    pub fn unknown() -> GeoCode {
        GeoCode(Self::UNKNOWN.to_owned())
    }
}

/// A posting's stable id: a 64-bit hash of its source and the source's own id,
/// written as 16 hexadecimal digits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct PostingId(u64);

impl PostingId {
    /// The id of the posting `external_id` of `source`.
    pub fn new(source: &SourceId, external_id: &str) -> PostingId {
        let mut key = Vec::with_capacity(source.as_str().len() + 1 + external_id.len());
        key.extend_from_slice(source.as_str().as_bytes());
        key.push(0);
        key.extend_from_slice(external_id.as_bytes());
        PostingId(xxhash_rust::xxh3::xxh3_64(&key))
    }

    /// From its 64-bit value.
    pub const fn from_u64(v: u64) -> PostingId {
        PostingId(v)
    }

    /// Its 64-bit value.
    pub const fn as_u64(self) -> u64 {
        self.0
    }
}

impl FromStr for PostingId {
    type Err = DomainError;
    fn from_str(s: &str) -> Result<PostingId, DomainError> {
        if s.len() != 16 {
            return Err(DomainError::PostingId {
                value: s.to_owned(),
            });
        }
        u64::from_str_radix(s, 16)
            .map(PostingId)
            .map_err(|_| DomainError::PostingId {
                value: s.to_owned(),
            })
    }
}

impl fmt::Display for PostingId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:016x}", self.0)
    }
}

impl Serialize for PostingId {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for PostingId {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<PostingId, D::Error> {
        let text = String::deserialize(d)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The arithmetic calendar against the `time` crate's, over the whole
    /// calendar in steps and every day of 1600–2400 (leap centuries, week
    /// 53s, the epoch).
    #[test]
    fn calendar_arithmetic_agrees_with_the_time_crate() {
        let check = |day: Day| {
            let date = day.to_date();
            assert_eq!(
                day.ymd(),
                (date.year(), u8::from(date.month()), date.day()),
                "{day:?}"
            );
            let first = |m: Month| Date::from_calendar_date(date.year(), m, 1).unwrap();
            assert_eq!(
                day.month_start(),
                Day::of_date(first(date.month())),
                "{date}"
            );
            let quarter = Month::try_from((u8::from(date.month()) - 1) / 3 * 3 + 1).unwrap();
            assert_eq!(day.quarter_start(), Day::of_date(first(quarter)), "{date}");
            assert_eq!(
                day.year_start(),
                Day::of_date(first(Month::January)),
                "{date}"
            );
            let monday = date.weekday().number_days_from_monday();
            assert_eq!(day.week_start(), Day(day.0 - i32::from(monday)), "{date}");
            assert_eq!(
                day.to_string(),
                format!(
                    "{:04}-{:02}-{:02}",
                    date.year(),
                    u8::from(date.month()),
                    date.day()
                )
            );
        };
        let (lo, hi) = (Day::MIN.epoch_days(), Day::MAX.epoch_days());
        for n in (lo..=hi).step_by(997).chain([lo, lo + 1, hi - 1, hi]) {
            check(Day(n));
        }
        let from = "1600-01-01".parse::<Day>().unwrap().epoch_days();
        let to = "2400-12-31".parse::<Day>().unwrap().epoch_days();
        for n in from..=to {
            check(Day(n));
        }
    }

    #[test]
    fn days_serialize_and_pad_as_iso_dates() {
        let day: Day = "2026-12-02".parse().unwrap();
        assert_eq!(serde_json::to_string(&day).unwrap(), "\"2026-12-02\"");
        assert_eq!(format!("[{day:>12}]"), "[  2026-12-02]");
        assert_eq!(Day::MIN.to_string(), "0001-01-01");
        assert_eq!(Day::MAX.to_string(), "9999-12-31");
    }

    #[test]
    fn day_round_trips_and_orders() {
        let d: Day = "2024-03-01".parse().unwrap();
        assert_eq!(d.to_string(), "2024-03-01");
        assert_eq!(Day::from_epoch_days(0).to_string(), "1970-01-01");
        assert!(d < "2024-03-02".parse().unwrap());
        assert_eq!("2024-02-29".parse::<Day>().unwrap().add_days(1), d);
    }

    #[test]
    fn day_rejects_bad_dates_with_the_value() {
        for bad in [
            "2024-02-30",
            "2024-3-01",
            "01/03/2024",
            "",
            "2024-13-01",
            "２０２４-03-01",
        ] {
            let err = bad.parse::<Day>().unwrap_err();
            assert!(err.to_string().contains(&format!("{bad:?}")), "{err}");
        }
    }

    #[test]
    fn day_parses_rfc3339_in_utc() {
        assert_eq!(
            Day::parse_lenient("2024-03-01T23:30:00-02:00")
                .unwrap()
                .to_string(),
            "2024-03-02"
        );
        assert_eq!(
            Day::parse_lenient(" 2024-03-01 ").unwrap().to_string(),
            "2024-03-01"
        );
        assert!(Day::parse_lenient("yesterday").is_err());
    }

    #[test]
    fn the_calendar_is_years_1_to_9999() {
        assert_eq!(Day::MIN.to_string(), "0001-01-01");
        assert_eq!(Day::MAX.to_string(), "9999-12-31");
        assert_eq!("0001-01-01".parse::<Day>(), Ok(Day::MIN));
        assert_eq!("9999-12-31".parse::<Day>(), Ok(Day::MAX));
        let err = "0000-12-31".parse::<Day>().unwrap_err();
        assert!(err.to_string().contains("0000-12-31"), "{err}");
        // A timestamp whose UTC day is past the calendar is rejected, not a panic.
        for bad in ["9999-12-31T23:30:00-02:00", "0000-06-01T00:00:00Z"] {
            let err = Day::parse_lenient(bad).unwrap_err();
            assert!(
                err.to_string().contains("0000") || err.to_string().contains("9999"),
                "{err}"
            );
        }
        assert_eq!(
            Day::parse_lenient("0001-01-01T01:00:00+01:00"),
            Ok(Day::MIN)
        );
        let ten_thousand = Date::from_calendar_date(-1, Month::January, 1).unwrap();
        assert!(Day::from_date(ten_thousand).is_err());
    }

    #[test]
    fn arithmetic_at_the_calendars_edges_is_checked() {
        assert_eq!(Day::MAX.checked_add_days(1), None);
        assert_eq!(Day::MIN.checked_add_days(-1), None);
        assert_eq!(Day::MAX.checked_add_days(0), Some(Day::MAX));
        assert_eq!(
            Day::MAX
                .checked_add_days(-1)
                .map(|d| d.to_string())
                .as_deref(),
            Some("9999-12-30")
        );
        assert_eq!(Day::MIN.checked_add_days(i32::MAX), None);
        assert_eq!(Day::MAX.checked_add_days(i32::MIN), None);
        assert_eq!(Day::MAX.saturating_add_days(7), Day::MAX);
        assert_eq!(Day::MIN.saturating_add_days(i32::MIN), Day::MIN);
        assert_eq!(Day::MAX.saturating_add_days(-1), Day::MAX.add_days(-1));
        let last_bucket_starts = Day::MAX.month_start();
        assert_eq!(last_bucket_starts.to_string(), "9999-12-01");
        assert_eq!(Day::MAX.quarter_start().to_string(), "9999-10-01");
        assert_eq!(Day::MAX.year_start().to_string(), "9999-01-01");
        assert_eq!(Day::MIN.week_start(), Day::MIN, "0001-01-01 is a Monday");
    }

    #[test]
    #[should_panic(expected = "leaves the calendar")]
    fn add_days_past_the_end_panics_instead_of_holding() {
        let _ = Day::MAX.add_days(1);
    }

    #[test]
    fn calendar_buckets() {
        let d: Day = "2024-05-16".parse().unwrap(); // a Thursday
        assert_eq!(d.week_start().to_string(), "2024-05-13");
        assert_eq!(d.month_start().to_string(), "2024-05-01");
        assert_eq!(d.quarter_start().to_string(), "2024-04-01");
        assert_eq!(d.year_start().to_string(), "2024-01-01");
    }

    #[test]
    fn ids_validate() {
        assert!(SourceId::parse("greenhouse").is_ok());
        assert!(SourceId::parse("Green house").is_err());
        assert!(SkillId::parse("scikit-learn").is_ok());
        assert!(SkillId::parse("*").is_ok());
        assert!(SkillId::parse("Scikit").is_err());
        for ok in [
            "WORLD", "REMOTE", "FR", "FR-IDF", "FR-75", "FR-2A", "FR-971", "FR-20R",
        ] {
            assert!(GeoCode::parse(ok).is_ok(), "{ok}");
        }
        for bad in ["fr", "FR-", "FRA", "FR-IDFXX", "-75"] {
            assert!(GeoCode::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn posting_id_is_stable_and_round_trips() {
        let s = SourceId::parse("greenhouse").unwrap();
        let a = PostingId::new(&s, "123");
        assert_eq!(a, PostingId::new(&s, "123"));
        assert_ne!(a, PostingId::new(&s, "124"));
        assert_eq!(a.to_string().parse::<PostingId>().unwrap(), a);
    }
}
