//! Duration settings, read once when the configuration loads.
//!
//! A key names its unit (`request_timeout_secs`, `backoff_ms`,
//! `robots_cache_hours`) and takes either a whole number in that unit, as it
//! always has (`request_timeout_secs = 30`), or a duration that says its own
//! unit (`"90s"`, `"2m"`, `"1h 30m"`, `"500ms"`), read by `humantime`. The
//! same two forms are accepted from the `SKILLTRACK_*` variables. The rest of
//! the program sees [`Duration`]s only.
//!
//! (`humantime-serde` reads strings only; a visitor that takes both forms
//! keeps every configuration file written so far valid.)

use std::fmt;
use std::time::Duration;

use serde::de::{self, Deserializer, Visitor};

/// The unit a key's name gives to a bare number.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unit {
    /// `_ms`.
    Millis,
    /// `_secs`.
    Secs,
    /// `_hours`.
    Hours,
}

impl Unit {
    /// `n` of this unit, `None` past what a `Duration` holds.
    fn times(self, n: u64) -> Option<Duration> {
        match self {
            Unit::Millis => Some(Duration::from_millis(n)),
            Unit::Secs => Some(Duration::from_secs(n)),
            Unit::Hours => n.checked_mul(3600).map(Duration::from_secs),
        }
    }

    /// How many whole units `d` is (`Secs.count(90s)` = 90).
    pub fn count(self, d: Duration) -> u128 {
        match self {
            Unit::Millis => d.as_millis(),
            Unit::Secs => u128::from(d.as_secs()),
            Unit::Hours => u128::from(d.as_secs() / 3600),
        }
    }

    /// The unit's name, plural.
    pub fn name(self) -> &'static str {
        match self {
            Unit::Millis => "milliseconds",
            Unit::Secs => "seconds",
            Unit::Hours => "hours",
        }
    }
}

/// Reads `text` as a whole number of `unit` or as a duration with its unit;
/// the error says which forms are accepted.
pub fn parse(text: &str, unit: Unit) -> Result<Duration, String> {
    let text = text.trim();
    if let Ok(n) = text.parse::<u64>() {
        return unit.times(n).ok_or_else(|| "too long".to_owned());
    }
    humantime::parse_duration(text).map_err(|e| {
        format!(
            "expected a whole number of {} or a duration such as \"90s\", \"2m\" or \"1h 30m\" ({e})",
            unit.name()
        )
    })
}

/// How a duration is shown in an error message about a key of `unit`: a
/// whole number of the unit as a bare number, as it is usually written
/// (`9000` hours), anything else with its units (`500ms`, `1h 30m`).
pub fn show(d: Duration, unit: Unit) -> String {
    let whole = unit.count(d);
    match u64::try_from(whole).ok().and_then(|n| unit.times(n)) {
        Some(back) if back == d => whole.to_string(),
        _ => humantime::format_duration(d).to_string(),
    }
}

struct DurationVisitor(Unit);

impl<'de> Visitor<'de> for DurationVisitor {
    type Value = Duration;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "a whole number of {} or a duration such as \"90s\", \"2m\" or \"1h 30m\"",
            self.0.name()
        )
    }

    fn visit_u64<E: de::Error>(self, n: u64) -> Result<Duration, E> {
        self.0
            .times(n)
            .ok_or_else(|| E::invalid_value(de::Unexpected::Unsigned(n), &self))
    }

    fn visit_i64<E: de::Error>(self, n: i64) -> Result<Duration, E> {
        match u64::try_from(n) {
            Ok(n) => self.visit_u64(n),
            Err(_) => Err(E::invalid_value(de::Unexpected::Signed(n), &self)),
        }
    }

    fn visit_str<E: de::Error>(self, s: &str) -> Result<Duration, E> {
        parse(s, self.0).map_err(E::custom)
    }
}

/// `#[serde(deserialize_with = "duration::secs")]`: a bare number is seconds.
pub fn secs<'de, D: Deserializer<'de>>(d: D) -> Result<Duration, D::Error> {
    d.deserialize_any(DurationVisitor(Unit::Secs))
}

/// `#[serde(deserialize_with = "duration::millis")]`: a bare number is
/// milliseconds.
pub fn millis<'de, D: Deserializer<'de>>(d: D) -> Result<Duration, D::Error> {
    d.deserialize_any(DurationVisitor(Unit::Millis))
}

/// `#[serde(deserialize_with = "duration::hours")]`: a bare number is hours.
pub fn hours<'de, D: Deserializer<'de>>(d: D) -> Result<Duration, D::Error> {
    d.deserialize_any(DurationVisitor(Unit::Hours))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bare_number_takes_the_keys_unit_and_a_duration_says_its_own() {
        assert_eq!(parse("30", Unit::Secs), Ok(Duration::from_secs(30)));
        assert_eq!(parse(" 500 ", Unit::Millis), Ok(Duration::from_millis(500)));
        assert_eq!(parse("24", Unit::Hours), Ok(Duration::from_secs(86_400)));
        assert_eq!(parse("2m", Unit::Secs), Ok(Duration::from_secs(120)));
        assert_eq!(parse("1h 30m", Unit::Hours), Ok(Duration::from_secs(5_400)));
        assert_eq!(parse("750ms", Unit::Secs), Ok(Duration::from_millis(750)));
        assert_eq!(parse("0", Unit::Secs), Ok(Duration::ZERO));
    }

    #[test]
    fn a_bad_duration_says_what_is_accepted() {
        for bad in ["fast", "-5", "5 parsecs", "1.5"] {
            let err = parse(bad, Unit::Secs).unwrap_err();
            assert!(
                err.starts_with("expected a whole number of seconds or a duration such as \"90s\""),
                "{bad}: {err}"
            );
        }
        assert_eq!(
            parse(&u64::MAX.to_string(), Unit::Hours),
            Err("too long".to_owned())
        );
    }

    #[test]
    fn shown_in_the_keys_unit_when_whole() {
        assert_eq!(show(Duration::from_secs(5_400), Unit::Secs), "5400");
        assert_eq!(show(Duration::from_secs(5_400), Unit::Hours), "1h 30m");
        assert_eq!(show(Duration::from_millis(500), Unit::Secs), "500ms");
        assert_eq!(show(Duration::from_millis(500), Unit::Millis), "500");
        assert_eq!(show(Duration::ZERO, Unit::Secs), "0");
    }
}
