//! A request rate (`"1/s"`, `"10/min"`, `"500/h"`): read from source files
//! (`rate`) and the configuration (`[fetch] default_rate`, `host_rates`,
//! `loopback_rate`), applied by `fetch` as a spacing between requests.

use std::fmt;
use std::str::FromStr;
use std::time::Duration;

/// Requests per interval (`"1/s"`, `"10/min"`, `"500/h"`), parsed once by
/// [`FromStr`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rate {
    /// Requests allowed (at least 1)…
    pub requests: u32,
    /// …per this interval.
    pub per: Duration,
}

/// Why a rate was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RateError {
    /// No `/` between requests and unit.
    #[error("expected requests/unit such as \"1/s\" or \"10/min\"")]
    Shape,
    /// The number of requests is not a positive whole number.
    #[error("{0:?} is not a positive number of requests")]
    Requests(String),
    /// The unit is not one of s, min, h.
    #[error("unknown unit {0:?}: use s, min or h")]
    Unit(String),
}

impl Rate {
    /// One request per second.
    pub const ONE_PER_SECOND: Rate = Rate {
        requests: 1,
        per: Duration::from_secs(1),
    };

    /// The minimum spacing between two requests.
    pub fn interval(&self) -> Duration {
        self.per / self.requests.max(1)
    }
}

impl FromStr for Rate {
    type Err = RateError;

    fn from_str(s: &str) -> Result<Rate, RateError> {
        let (n, unit) = s.split_once('/').ok_or(RateError::Shape)?;
        let requests: u32 = n
            .trim()
            .parse()
            .ok()
            .filter(|n| *n > 0)
            .ok_or_else(|| RateError::Requests(n.to_owned()))?;
        let per = match unit.trim() {
            "s" | "sec" | "second" => Duration::from_secs(1),
            "min" | "minute" => Duration::from_secs(60),
            "h" | "hour" => Duration::from_secs(3600),
            other => return Err(RateError::Unit(other.to_owned())),
        };
        Ok(Rate { requests, per })
    }
}

impl fmt::Display for Rate {
    /// `requests/unit`, in the unit it was written with (`s`, `min` or `h`).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let unit = match self.per.as_secs() {
            60 => "min",
            3600 => "h",
            _ => "s",
        };
        write!(f, "{}/{unit}", self.requests)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rates_parse_into_spacings_and_print_back() {
        for (text, spacing, shown) in [
            ("1/s", Duration::from_secs(1), "1/s"),
            ("10/min", Duration::from_secs(6), "10/min"),
            (" 2 / second ", Duration::from_millis(500), "2/s"),
            ("500/h", Duration::from_millis(7200), "500/h"),
        ] {
            let rate: Rate = text.parse().unwrap();
            assert_eq!(rate.interval(), spacing, "{text}");
            assert_eq!(rate.to_string(), shown);
            assert_eq!(rate.to_string().parse::<Rate>(), Ok(rate));
        }
    }

    #[test]
    fn bad_rates_say_what_is_wrong() {
        for (text, message) in [
            (
                "fast",
                "expected requests/unit such as \"1/s\" or \"10/min\"",
            ),
            ("0/s", "\"0\" is not a positive number of requests"),
            ("-1/s", "\"-1\" is not a positive number of requests"),
            ("2/fortnight", "unknown unit \"fortnight\": use s, min or h"),
        ] {
            assert_eq!(text.parse::<Rate>().unwrap_err().to_string(), message);
        }
    }
}
