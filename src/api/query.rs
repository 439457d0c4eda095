//! Query-string parsing shared by the routes (a trends query string becomes
//! a [`TrendRequest`], resolved like `export trends`'s flags), and the JSON
//! error type.

use std::collections::HashMap;

use serde::Serialize;
use warp::http::{Response, StatusCode};
use warp::hyper::body::Bytes;

use crate::domain::Day;
use crate::normalize::Normalizer;
use crate::store::{Metric, StoreError};
use crate::trends::{Compare, Interval, Options, QueryError, TrendQuery, TrendRequest, Vocabulary};

/// An API error: status, machine code, message for people.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError {
    /// HTTP status.
    pub status: StatusCode,
    /// Stable machine-readable code.
    pub code: &'static str,
    /// What went wrong and what to do.
    pub message: String,
}

#[derive(Serialize)]
struct ErrorBody<'a> {
    error: ErrorInner<'a>,
}

#[derive(Serialize)]
struct ErrorInner<'a> {
    code: &'a str,
    message: &'a str,
}

impl ApiError {
    /// Any error.
    pub fn new(status: StatusCode, code: &'static str, message: String) -> ApiError {
        ApiError {
            status,
            code,
            message,
        }
    }

    /// A bad parameter (400), naming it.
    pub fn bad(param: &str, why: String) -> ApiError {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            "invalid_parameter",
            format!("{param}: {why}"),
        )
    }

    /// A query over a size limit (400): the message names the parameter,
    /// the limit and what to do.
    pub fn limit(param: &str, why: String) -> ApiError {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            "limit_exceeded",
            format!("{param}: {why}"),
        )
    }

    /// An invalid or too large trends query (400), or an unknown skill or
    /// geography (404, with a suggestion), with its code
    /// ([`QueryError::code`]).
    pub fn query(e: &QueryError) -> ApiError {
        let status = match e {
            QueryError::UnknownSkill { .. } | QueryError::UnknownGeo { .. } => {
                StatusCode::NOT_FOUND
            }
            _ => StatusCode::BAD_REQUEST,
        };
        ApiError::new(status, e.code(), format!("{}: {e}", e.param()))
    }

    /// A server-side failure (500).
    pub fn internal(message: String) -> ApiError {
        ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", message)
    }

    /// A store failure (500).
    pub fn store(e: StoreError) -> ApiError {
        tracing::error!(error = %crate::domain::error_chain(&e), "Store failed while serving a request.");
        ApiError::internal(e.to_string())
    }

    /// The JSON response.
    pub fn response(&self) -> Response<Bytes> {
        super::json(
            self.status,
            &ErrorBody {
                error: ErrorInner {
                    code: self.code,
                    message: &self.message,
                },
            },
        )
    }
}

/// Rejects parameters the route does not know (a typo would otherwise be
/// silently ignored).
pub fn known_params(p: &HashMap<String, String>, known: &[&str]) -> Result<(), ApiError> {
    let mut unknown: Vec<&String> = p.keys().filter(|k| !known.contains(&k.as_str())).collect();
    unknown.sort();
    match unknown.first() {
        None => Ok(()),
        Some(k) => {
            let hint = crate::domain::suggest(k, known.iter().copied())
                .map(|s| format!("; did you mean {s:?}?"))
                .unwrap_or_default();
            Err(ApiError::bad(
                k,
                format!("unknown parameter (known: {}){hint}", known.join(", ")),
            ))
        }
    }
}

/// A boolean flag parameter (`true`/`false`/`1`/`0`), false when absent.
pub fn flag(p: &HashMap<String, String>, name: &str) -> Result<bool, ApiError> {
    match p.get(name).map(String::as_str) {
        None | Some("false") | Some("0") => Ok(false),
        Some("true") | Some("1") | Some("") => Ok(true),
        Some(other) => Err(ApiError::bad(
            name,
            format!("{other:?} is not true or false"),
        )),
    }
}

/// Parameter `name` as a day (`YYYY-MM-DD`), if given.
pub(super) fn day(p: &HashMap<String, String>, name: &str) -> Result<Option<Day>, ApiError> {
    p.get(name)
        .map(|v| {
            v.parse::<Day>()
                .map_err(|e| ApiError::bad(name, e.to_string()))
        })
        .transpose()
}

/// The taxonomy's skills and the gazetteer's geographies, for
/// [`TrendRequest::resolve`].
impl Vocabulary for Normalizer {
    fn is_skill(&self, id: &str) -> bool {
        self.taxonomy().get(id).is_some()
    }

    fn skill_ids(&self) -> impl Iterator<Item = &str> {
        self.taxonomy().skills().iter().map(|k| k.id.as_str())
    }

    fn is_geo(&self, code: &str) -> bool {
        self.gazetteer().contains(code)
    }
}

/// Parses a trends query string into a [`TrendRequest`]: `skills`
/// (comma-separated), `geo`, `from`, `to`, `interval`, `metric`, `smooth`
/// (a whole number), `index` (a day), `compare` (`yoy`).
pub fn trend_request(p: &HashMap<String, String>) -> Result<TrendRequest, ApiError> {
    let interval = p
        .get("interval")
        .map(|v| {
            v.parse::<Interval>()
                .map_err(|e| ApiError::bad("interval", e))
        })
        .transpose()?;
    let metric = p
        .get("metric")
        .map(|v| v.parse::<Metric>().map_err(|e| ApiError::bad("metric", e)))
        .transpose()?;
    let smooth = p
        .get("smooth")
        .map(|v| {
            v.trim().parse::<usize>().map_err(|_| {
                ApiError::bad(
                    "smooth",
                    format!("{v:?} is not a whole number of buckets (1 to 52)"),
                )
            })
        })
        .transpose()?;
    let compare = p
        .get("compare")
        .map(|v| {
            v.parse::<Compare>()
                .map_err(|e| ApiError::bad("compare", e))
        })
        .transpose()?;
    Ok(TrendRequest {
        skills: p
            .get("skills")
            .map(|s| s.split(',').map(str::to_owned).collect())
            .unwrap_or_default(),
        geo: p.get("geo").cloned(),
        from: day(p, "from")?,
        to: day(p, "to")?,
        interval,
        metric,
        smooth,
        index: day(p, "index")?,
        compare,
    })
}

/// Parses and validates a trends query against the taxonomy and geography
/// ([`TrendRequest::resolve`]).
pub fn trend_query(p: &HashMap<String, String>, n: &Normalizer) -> Result<TrendQuery, ApiError> {
    trend_request(p)?
        .resolve(n, Day::today())
        .map_err(|e| ApiError::query(&e))
}

/// [`trend_query`] with the options beyond the plain series (`smooth`,
/// `index`, `compare`) and the configured `min_support`.
pub fn trend_query_with_options(
    p: &HashMap<String, String>,
    n: &Normalizer,
    min_support: u64,
) -> Result<(TrendQuery, Options), ApiError> {
    trend_request(p)?
        .resolve_with_options(n, Day::today(), min_support)
        .map_err(|e| ApiError::query(&e))
}
