//! When to retry and how long to wait: `Retry-After` (seconds or HTTP date)
//! on 429 and 503, exponential backoff with jitter otherwise.

use std::time::{Duration, SystemTime};

use reqwest::StatusCode;

/// Whether a status is worth another attempt: 408, 429 and every 5xx.
/// Other 4xx are the client's fault and are never retried.
pub(crate) fn retryable(status: StatusCode) -> bool {
    status == StatusCode::TOO_MANY_REQUESTS
        || status == StatusCode::REQUEST_TIMEOUT
        || status.is_server_error()
}

/// Whether the server's `Retry-After` is honoured for this status.
pub(crate) fn honours_retry_after(status: StatusCode) -> bool {
    status == StatusCode::TOO_MANY_REQUESTS || status == StatusCode::SERVICE_UNAVAILABLE
}

/// `Retry-After` as delay-seconds or an HTTP date (relative to `now`).
/// A date in the past means "now"; anything else unreadable is `None`.
pub(crate) fn parse_retry_after(value: &str, now: SystemTime) -> Option<Duration> {
    let value = value.trim();
    if let Ok(secs) = value.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    let when = httpdate::parse_http_date(value).ok()?;
    Some(when.duration_since(now).unwrap_or(Duration::ZERO))
}

/// Backoff before attempt `attempt + 1` (attempt counts from 1): `base`
/// doubled at each attempt, plus up to half of it again at random, so that
/// clients failing together do not retry together.
pub(crate) fn backoff(base: Duration, attempt: u32) -> Duration {
    let exp = base.saturating_mul(1u32 << attempt.saturating_sub(1).min(16));
    exp + exp.mul_f64(fastrand::f64() / 2.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_after_seconds_and_dates() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000);
        assert_eq!(parse_retry_after(" 7 ", now), Some(Duration::from_secs(7)));
        let later = httpdate::fmt_http_date(now + Duration::from_secs(30));
        assert_eq!(
            parse_retry_after(&later, now),
            Some(Duration::from_secs(30))
        );
        let past = httpdate::fmt_http_date(now - Duration::from_secs(30));
        assert_eq!(parse_retry_after(&past, now), Some(Duration::ZERO));
        assert_eq!(parse_retry_after("soon", now), None);
        assert_eq!(parse_retry_after("-3", now), None);
    }

    #[test]
    fn backoff_doubles_with_bounded_jitter() {
        let base = Duration::from_millis(100);
        for attempt in 1..=4 {
            let d = backoff(base, attempt);
            let floor = base * (1 << (attempt - 1));
            assert!(d >= floor && d <= floor.mul_f64(1.5), "{attempt}: {d:?}");
        }
        assert!(backoff(base, 200) < Duration::from_secs(100_000));
    }

    #[test]
    fn which_statuses_are_retried() {
        for s in [408, 429, 500, 502, 503, 504] {
            assert!(retryable(StatusCode::from_u16(s).unwrap()), "{s}");
        }
        for s in [400, 401, 403, 404, 410, 451] {
            assert!(!retryable(StatusCode::from_u16(s).unwrap()), "{s}");
        }
        assert!(honours_retry_after(StatusCode::SERVICE_UNAVAILABLE));
        assert!(!honours_retry_after(StatusCode::INTERNAL_SERVER_ERROR));
    }
}
