//! CORS: off unless `[api] cors_origins` names origins (or `"*"`).
//!
//! When on, a response to a request whose `Origin` is allowed carries
//! `Access-Control-Allow-Origin` (the origin itself, with `Vary: Origin`,
//! or `*` when any origin is allowed) and exposes `ETag`; a preflight
//! (`OPTIONS` with an allowed `Origin`) on a known route is answered `204`
//! with the methods (`GET, HEAD`) and headers (`If-None-Match`) a browser
//! may use. Anything else is answered as without CORS (an `OPTIONS` gets the
//! usual `405`).

use std::sync::Arc;

use warp::http::{header, HeaderMap, HeaderValue, StatusCode};
use warp::reply::Response;

/// How long a browser may cache a preflight answer, seconds.
const PREFLIGHT_MAX_AGE: &str = "86400";

/// A bad `cors_origins` entry.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{origin:?} is not an origin: use \"*\" alone, or scheme://host[:port] without a path (e.g. \"https://example.org\")")]
pub struct CorsError {
    /// The entry as given.
    pub origin: String,
}

/// Which origins may read the API's responses from a browser.
#[derive(Debug, Clone, Default)]
pub enum Cors {
    /// No CORS header at all (the default).
    #[default]
    Off,
    /// Any origin (`*`).
    Any,
    /// These origins, exactly.
    Origins(Arc<[HeaderValue]>),
}

impl Cors {
    /// The policy for `origins` as configured: empty is off, `["*"]` is any
    /// origin, else each must be `scheme://host[:port]`.
    pub fn from_origins(origins: &[String]) -> Result<Cors, CorsError> {
        if origins.is_empty() {
            return Ok(Cors::Off);
        }
        if origins.len() == 1 && origins[0] == "*" {
            return Ok(Cors::Any);
        }
        let values = origins
            .iter()
            .map(|o| origin_value(o).ok_or_else(|| CorsError { origin: o.clone() }))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Cors::Origins(values.into()))
    }

    /// The `Access-Control-Allow-Origin` value for a request from `origin`,
    /// if it is allowed.
    fn allowed(&self, origin: &str) -> Option<HeaderValue> {
        match self {
            Cors::Off => None,
            Cors::Any => Some(HeaderValue::from_static("*")),
            Cors::Origins(list) => list
                .iter()
                .find(|v| v.as_bytes() == origin.as_bytes())
                .cloned(),
        }
    }

    /// Adds the CORS headers to a response to a request from `origin`.
    pub(super) fn decorate(&self, headers: &mut HeaderMap, origin: Option<&str>) {
        if let Cors::Origins(_) = self {
            headers.append(header::VARY, HeaderValue::from_static("origin"));
        }
        if let Some(allow) = origin.and_then(|o| self.allowed(o)) {
            headers.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, allow);
            headers.insert(
                header::ACCESS_CONTROL_EXPOSE_HEADERS,
                HeaderValue::from_static("etag, content-disposition"),
            );
        }
    }

    /// The answer to a preflight from `origin`, when that origin is allowed.
    pub(super) fn preflight(&self, origin: Option<&str>) -> Option<Response> {
        let allow = self.allowed(origin?)?;
        let mut r = Response::default();
        *r.status_mut() = StatusCode::NO_CONTENT;
        let h = r.headers_mut();
        h.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, allow);
        h.insert(
            header::ACCESS_CONTROL_ALLOW_METHODS,
            HeaderValue::from_static("GET, HEAD"),
        );
        h.insert(
            header::ACCESS_CONTROL_ALLOW_HEADERS,
            HeaderValue::from_static("if-none-match"),
        );
        h.insert(
            header::ACCESS_CONTROL_MAX_AGE,
            HeaderValue::from_static(PREFLIGHT_MAX_AGE),
        );
        if let Cors::Origins(_) = self {
            h.insert(header::VARY, HeaderValue::from_static("origin"));
        }
        Some(r)
    }
}

/// `origin` as a header value, if it is `scheme://host[:port]`.
fn origin_value(origin: &str) -> Option<HeaderValue> {
    let rest = origin
        .strip_prefix("https://")
        .or_else(|| origin.strip_prefix("http://"))?;
    let ok = !rest.is_empty()
        && rest
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | ':' | '[' | ']'));
    ok.then(|| HeaderValue::from_str(origin).ok()).flatten()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn origins(list: &[&str]) -> Result<Cors, CorsError> {
        Cors::from_origins(&list.iter().map(|s| s.to_string()).collect::<Vec<_>>())
    }

    #[test]
    fn configured_origins_parse_and_bad_ones_are_named() {
        assert!(matches!(origins(&[]), Ok(Cors::Off)));
        assert!(matches!(origins(&["*"]), Ok(Cors::Any)));
        assert!(matches!(
            origins(&["https://a.example", "http://localhost:3000"]),
            Ok(Cors::Origins(l)) if l.len() == 2
        ));
        for bad in [
            "https://a.example/",
            "a.example",
            "ftp://a.example",
            "https://",
            "*x",
        ] {
            assert_eq!(
                origins(&["https://ok.example", bad]).unwrap_err(),
                CorsError { origin: bad.into() },
                "{bad}"
            );
        }
        // "*" among origins is not "any".
        assert!(origins(&["*", "https://a.example"]).is_err());
    }

    #[test]
    fn only_allowed_origins_get_the_header() {
        let cors = origins(&["https://a.example"]).unwrap();
        assert_eq!(
            cors.allowed("https://a.example"),
            Some(HeaderValue::from_static("https://a.example"))
        );
        assert_eq!(cors.allowed("https://b.example"), None);
        assert_eq!(cors.allowed("https://a.example.evil"), None);
        assert_eq!(Cors::Off.allowed("https://a.example"), None);
        assert!(Cors::Off.preflight(Some("https://a.example")).is_none());
        assert!(cors.preflight(None).is_none());
        assert_eq!(
            cors.preflight(Some("https://a.example")).unwrap().status(),
            StatusCode::NO_CONTENT
        );
    }
}
