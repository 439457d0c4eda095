//! What every request goes through around the routes: the body limit
//! (`413`), the route template a path belongs to (the `route` label of the
//! HTTP metrics: bounded, never the raw path), the metrics themselves, and
//! CORS ([`Cors`]).

use std::convert::Infallible;
use std::time::Instant;

use warp::http::Method;
use warp::reply::Response;
use warp::{Filter, Rejection};

use super::cors::Cors;
use crate::telemetry::metrics;

/// Largest request body accepted, bytes: the routes are GET and HEAD and
/// read no body, so anything over this is refused with a `413`.
pub const MAX_BODY_BYTES: u64 = 1024;

/// Every GET route's path template, as the OpenAPI document names it. A new
/// route adds its template here (the OpenAPI test checks both agree); the
/// POST-only admin routes are in [`admin::TEMPLATES`](super::admin::TEMPLATES).
pub const ROUTE_TEMPLATES: &[&str] = &[
    "/healthz",
    "/metrics",
    "/api/v1/openapi.json",
    "/api/v1/trends",
    "/api/v1/trends.csv",
    "/api/v1/skills",
    "/api/v1/geos",
    "/api/v1/postings/{id}",
    "/api/v1/top",
    "/api/v1/top.csv",
    "/api/v1/postings",
    "/api/v1/postings.csv",
    "/api/v1/sources",
    "/api/v1/sources/{id}/runs",
    "/",
    "/assets/{name}",
];

/// The `route` label of paths no template matches.
pub const OTHER_ROUTE: &str = "other";

/// The template `path` matches (a `{…}` segment matches any one non-empty
/// segment), or [`OTHER_ROUTE`].
pub fn route_template(path: &str) -> &'static str {
    ROUTE_TEMPLATES
        .iter()
        .chain(super::admin::TEMPLATES)
        .copied()
        .find(|t| matches_template(t, path))
        .unwrap_or(OTHER_ROUTE)
}

fn matches_template(template: &str, path: &str) -> bool {
    let mut t = template.split('/');
    let mut p = path.split('/');
    loop {
        match (t.next(), p.next()) {
            (None, None) => return true,
            (Some(ts), Some(ps)) if ts.starts_with('{') && ts.ends_with('}') => {
                if ps.is_empty() {
                    return false;
                }
            }
            (Some(ts), Some(ps)) if ts == ps => {}
            _ => return false,
        }
    }
}

/// A request carrying a body (over [`MAX_BODY_BYTES`], or of unknown
/// length) that no route reads.
#[derive(Debug)]
pub(super) struct BodyTooLarge {
    /// Its `Content-Length`, when it has one.
    pub(super) bytes: Option<u64>,
}

impl warp::reject::Reject for BodyTooLarge {}

/// Rejects a request whose body is over [`MAX_BODY_BYTES`] or chunked.
pub(super) fn body_within_limit() -> impl Filter<Extract = (), Error = Rejection> + Copy {
    warp::header::optional::<u64>("content-length")
        .and(warp::header::optional::<String>("transfer-encoding"))
        .and_then(|length: Option<u64>, chunked: Option<String>| async move {
            match (length, chunked) {
                (Some(n), _) if n > MAX_BODY_BYTES => {
                    Err(warp::reject::custom(BodyTooLarge { bytes: Some(n) }))
                }
                (_, Some(_)) => Err(warp::reject::custom(BodyTooLarge { bytes: None })),
                _ => Ok(()),
            }
        })
        .untuple_one()
}

/// What the outer layer needs of a request: when it came, its method,
/// path and `Origin`.
pub(super) fn request_facts(
) -> impl Filter<Extract = (Instant, Method, warp::path::FullPath, Option<String>), Error = Infallible>
       + Clone {
    warp::any()
        .map(Instant::now)
        .and(warp::method())
        .and(warp::path::full())
        .and(
            warp::header::optional::<String>("origin")
                .or(warp::any().map(|| None))
                .unify(),
        )
}

/// Finishes a response: a CORS preflight replaces the routes' `405` when
/// its origin is allowed, an admin path's `405` says it takes POST, CORS
/// headers are added, and the request is counted in the metrics.
pub(super) fn finish(
    cors: &Cors,
    started: Instant,
    method: &Method,
    path: &warp::path::FullPath,
    origin: Option<&str>,
    response: Response,
) -> Response {
    let route = route_template(path.as_str());
    let mut response = match (method == Method::OPTIONS && route != OTHER_ROUTE)
        .then(|| cors.preflight(origin))
        .flatten()
    {
        Some(preflight) => preflight,
        None if response.status() == warp::http::StatusCode::METHOD_NOT_ALLOWED
            && super::admin::TEMPLATES.contains(&route) =>
        {
            warp::Reply::into_response(super::admin::method_not_allowed())
        }
        None => response,
    };
    cors.decorate(response.headers_mut(), origin);
    metrics::global().http_request(route, response.status().as_u16(), started.elapsed());
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_map_to_their_template_and_the_rest_to_other() {
        assert_eq!(route_template("/healthz"), "/healthz");
        assert_eq!(route_template("/api/v1/trends"), "/api/v1/trends");
        assert_eq!(route_template("/api/v1/trends.csv"), "/api/v1/trends.csv");
        assert_eq!(
            route_template("/api/v1/postings/0123456789abcdef"),
            "/api/v1/postings/{id}"
        );
        assert_eq!(
            route_template("/api/v1/postings/anything"),
            "/api/v1/postings/{id}"
        );
        assert_eq!(route_template("/"), "/");
        assert_eq!(route_template("/assets/app.js"), "/assets/{name}");
        assert_eq!(
            route_template("/api/v1/sources/francetravail/run"),
            "/api/v1/sources/{id}/run"
        );
        assert_eq!(route_template("/api/v1/reload"), "/api/v1/reload");
        for other in [
            "",
            "/assets/",
            "/assets/a/b",
            "/api/v1/postings/",
            "/api/v1/postings/a/b",
            "/healthz/",
            "/healthzz",
            "/api/v1/trends/x",
            "/wp-admin.php",
        ] {
            assert_eq!(route_template(other), OTHER_ROUTE, "{other}");
        }
    }
}
