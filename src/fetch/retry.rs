//! When to retry and how long to wait. Only what can succeed on a second
//! try is retried: transport failures are classified once ([`Failure`]);
//! statuses 408, 429 and 5xx. `Retry-After` (seconds or HTTP date) is
//! honoured on 429 and 503, exponential backoff with jitter otherwise.

use std::time::{Duration, SystemTime};

use reqwest::StatusCode;

/// What kind of transport failure an attempt met, read from reqwest's error
/// (`is_timeout`, `is_connect`… and its cause chain), never from its text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Failure {
    /// Connect or request timeout, or a body that stalled: retried, and
    /// counted against the host ([`super::FetchConfig::host_timeout_limit`]).
    Timeout,
    /// The connection could not be made (refused, DNS, TLS): retried.
    Connect,
    /// The connection broke during the exchange (reset, closed early, a
    /// malformed HTTP message): retried.
    Broken,
    /// The body arrived but cannot be decoded (bad gzip, brotli, deflate):
    /// the same bytes would come again, not retried.
    Decode,
    /// The request could not be built (bad header, bad URL): not retried.
    Builder,
    /// Anything else reqwest reports: not retried.
    Other,
}

impl Failure {
    /// Classifies a reqwest error. reqwest wraps every body error, broken
    /// connections included, as a "decode" error, so the cause chain decides:
    /// an error from hyper (the HTTP connection) or a reset / aborted / broken
    /// socket means the transfer broke, whatever the outer kind says.
    pub(crate) fn of(e: &reqwest::Error) -> Failure {
        if e.is_timeout() {
            Failure::Timeout
        } else if e.is_connect() {
            Failure::Connect
        } else if connection_broke(e) {
            Failure::Broken
        } else if e.is_builder() {
            Failure::Builder
        } else if e.is_decode() {
            Failure::Decode
        } else {
            Failure::Other
        }
    }

    /// Whether another attempt can succeed.
    pub(crate) fn retryable(self) -> bool {
        matches!(self, Failure::Timeout | Failure::Connect | Failure::Broken)
    }

    /// A short name for messages.
    pub fn name(self) -> &'static str {
        match self {
            Failure::Timeout => "timeout",
            Failure::Connect => "connection failed",
            Failure::Broken => "connection broken",
            Failure::Decode => "undecodable body (not retried)",
            Failure::Builder => "request could not be built (not retried)",
            Failure::Other => "request failed (not retried)",
        }
    }
}

impl std::fmt::Display for Failure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// Whether an error in `e`'s cause chain comes from the HTTP connection.
fn connection_broke(e: &(dyn std::error::Error + 'static)) -> bool {
    let mut next = e.source();
    while let Some(cause) = next {
        if cause.is::<hyper::Error>() {
            return true;
        }
        if let Some(io) = cause.downcast_ref::<std::io::Error>() {
            use std::io::ErrorKind::*;
            if matches!(
                io.kind(),
                ConnectionReset | ConnectionAborted | BrokenPipe | NotConnected
            ) {
                return true;
            }
            // An io::Error's `source` skips the error it wraps: look at it too.
            if let Some(inner) = io.get_ref() {
                if inner.is::<hyper::Error>() || connection_broke(inner) {
                    return true;
                }
            }
        }
        next = cause.source();
    }
    false
}

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
    fn builder_errors_are_not_retried() {
        let e = reqwest::Client::new()
            .get("http://127.0.0.1:9/")
            .header("bad name", "v")
            .build()
            .unwrap_err();
        assert_eq!(Failure::of(&e), Failure::Builder);
        assert!(!Failure::of(&e).retryable());
        for f in [Failure::Timeout, Failure::Connect, Failure::Broken] {
            assert!(f.retryable(), "{f:?}");
        }
        for f in [Failure::Decode, Failure::Other] {
            assert!(!f.retryable(), "{f:?}");
        }
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
