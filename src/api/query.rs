//! Query-string parsing and validation shared by the routes, and the JSON
//! error type.

use std::collections::HashMap;

use serde::Serialize;
use warp::http::{Response, StatusCode};
use warp::hyper::body::Bytes;

use crate::domain::{Day, GeoCode, SkillId};
use crate::normalize::Normalizer;
use crate::store::{Metric, StoreError};
use crate::trends::{Interval, QueryError, TrendQuery};

/// Default length of a trends range when `from` is not given.
pub const DEFAULT_RANGE_DAYS: i32 = 365;

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

    /// An invalid or too large trends query (400).
    pub fn query(e: &QueryError) -> ApiError {
        if e.is_limit() {
            ApiError::limit(e.param(), e.to_string())
        } else {
            ApiError::bad(e.param(), e.to_string())
        }
    }

    /// A server-side failure (500).
    pub fn internal(message: String) -> ApiError {
        ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", message)
    }

    /// A store failure (500).
    pub fn store(e: StoreError) -> ApiError {
        tracing::error!(error = %e, "Store failed while serving a request.");
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

fn day(p: &HashMap<String, String>, name: &str) -> Result<Option<Day>, ApiError> {
    p.get(name)
        .map(|v| {
            v.parse::<Day>()
                .map_err(|e| ApiError::bad(name, e.to_string()))
        })
        .transpose()
}

/// Parses and validates a trends query against the taxonomy and geography.
/// Repeated skills are merged (first place kept); the size limits of
/// [`TrendQuery::validate`] apply.
pub fn trend_query(p: &HashMap<String, String>, n: &Normalizer) -> Result<TrendQuery, ApiError> {
    let taxonomy = n.taxonomy();
    let mut seen = std::collections::HashSet::new();
    let raw_skills: Vec<&str> = p
        .get("skills")
        .map(String::as_str)
        .unwrap_or("")
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty() && seen.insert(*s))
        .collect();
    // Refused before each name is looked up.
    if raw_skills.len() > crate::trends::MAX_SKILLS {
        return Err(ApiError::query(&QueryError::TooManySkills {
            asked: raw_skills.len(),
        }));
    }
    let mut skills = Vec::new();
    for s in raw_skills {
        let known = s == SkillId::ALL_POSTINGS || taxonomy.get(s).is_some();
        if !known {
            let hint = crate::domain::suggest(s, taxonomy.skills().iter().map(|k| k.id.as_str()))
                .map(|c| format!("; did you mean {c:?}?"))
                .unwrap_or_else(|| "; see /api/v1/skills".to_owned());
            return Err(ApiError::new(
                StatusCode::BAD_REQUEST,
                "unknown_skill",
                format!("skills: unknown skill {s:?}{hint}"),
            ));
        }
        skills.push(SkillId::parse(s).map_err(|e| ApiError::bad("skills", e.to_string()))?);
    }
    if skills.is_empty() {
        return Err(ApiError::bad(
            "skills",
            "name at least one skill, e.g. skills=python,rust".into(),
        ));
    }
    let geo_text = p.get("geo").map(String::as_str).unwrap_or(GeoCode::WORLD);
    let geo = GeoCode::parse(geo_text)
        .ok()
        .filter(|g| matches!(g.as_str(), GeoCode::WORLD | GeoCode::REMOTE | GeoCode::UNKNOWN) || n.gazetteer().contains(g.as_str()))
        .ok_or_else(|| {
            ApiError::new(
                StatusCode::BAD_REQUEST,
                "unknown_geo",
                format!("geo: unknown geography {geo_text:?}; use WORLD, REMOTE, a country (FR) or FR-IDF / FR-75 (see /api/v1/geos)"),
            )
        })?;
    let to = day(p, "to")?.unwrap_or_else(Day::today);
    let from = day(p, "from")?
        .unwrap_or_else(|| to.checked_add_days(-DEFAULT_RANGE_DAYS).unwrap_or(Day::MIN));
    let interval = p
        .get("interval")
        .map(|v| {
            v.parse::<Interval>()
                .map_err(|e| ApiError::bad("interval", e))
        })
        .transpose()?
        .unwrap_or(Interval::Week);
    let metric = p
        .get("metric")
        .map(|v| v.parse::<Metric>().map_err(|e| ApiError::bad("metric", e)))
        .transpose()?
        .unwrap_or(Metric::New);
    let q = TrendQuery {
        skills,
        geo,
        from,
        to,
        interval,
        metric,
    };
    q.validate().map_err(|e| ApiError::query(&e))?;
    Ok(q)
}
