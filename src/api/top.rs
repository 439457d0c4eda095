//! The top-skills routes, `/api/v1/top` (JSON) and `/api/v1/top.csv`: the
//! skills of the taxonomy ranked over a period ([`crate::trends::top`]).
//!
//! The query string becomes a [`TopRequest`], resolved like `skilltrack
//! export top`'s flags. A valid request gets its `ETag` from the store's
//! generation, the route and its parameters before the store is read: an
//! `If-None-Match` naming it is answered `304 Not Modified` at once. The
//! tag names the day too (without `to`, the period ends today). Bodies are
//! kept in the server's response cache under their tag, as small trends
//! answers are, so a repeated question is answered without the store.

use warp::http::{header, HeaderValue, Response, StatusCode};
use warp::hyper::body::Bytes;

use super::coding::{self, Encoded};
use super::etag::ETag;
use super::query::{self, ApiError};
use super::trends::csv_options;
use super::{AppState, Negotiation, Params};
use crate::domain::Day;
use crate::export;
use crate::normalize::Normalizer;
use crate::store::Metric;
use crate::trends::top::{self, Entry, Sort, TopError, TopRequest};

/// Query parameters the JSON route knows.
const KNOWN: [&str; 7] = ["geo", "from", "to", "metric", "category", "limit", "sort"];
/// Query parameters the CSV route knows besides [`KNOWN`].
const CSV_ONLY: [&str; 3] = ["delimiter", "bom", "decimal"];

/// Every skill of the taxonomy, as [`top::top`] ranks them.
pub fn catalogue(n: &Normalizer) -> Vec<Entry<'_>> {
    n.taxonomy()
        .skills()
        .iter()
        .map(|k| Entry {
            id: &k.id,
            label: &k.label,
            category: k.category.as_str(),
        })
        .collect()
}

/// An invalid top query (400), naming its parameter; the geography and
/// range errors answered as trends answers them ([`ApiError::query`]).
pub fn error(e: &TopError) -> ApiError {
    match e {
        TopError::Query(q) => ApiError::query(q),
        other => ApiError::new(
            StatusCode::BAD_REQUEST,
            other.code(),
            format!("{}: {other}", other.param()),
        ),
    }
}

/// Parses a top query string into a [`TopRequest`]: `geo`, `from`, `to`
/// (days), `metric`, `category`, `limit` (a whole number), `sort`.
pub fn top_request(p: &Params) -> Result<TopRequest, ApiError> {
    let limit = p
        .get("limit")
        .map(|v| {
            v.trim().parse::<usize>().map_err(|_| {
                ApiError::bad(
                    "limit",
                    format!(
                        "{v:?} is not a whole number of skills (1 to {})",
                        top::MAX_LIMIT
                    ),
                )
            })
        })
        .transpose()?;
    Ok(TopRequest {
        geo: p.get("geo").cloned(),
        from: query::day(p, "from")?,
        to: query::day(p, "to")?,
        metric: parsed::<Metric>(p, "metric")?,
        category: p.get("category").cloned(),
        limit,
        sort: parsed::<Sort>(p, "sort")?,
    })
}

/// Parameter `name` parsed by its `FromStr`, whose message names the values.
fn parsed<T: std::str::FromStr<Err = String>>(
    p: &Params,
    name: &str,
) -> Result<Option<T>, ApiError> {
    p.get(name)
        .map(|v| v.parse::<T>().map_err(|e| ApiError::bad(name, e)))
        .transpose()
}

/// Answers one top request (`csv`: the `.csv` route). A body kept in the
/// [`ResponseCache`](super::cache::ResponseCache) under the request's tag
/// is answered at once; otherwise the ranking is computed on the blocking
/// pool and its body kept.
pub(super) async fn handler(
    state: AppState,
    params: Params,
    csv: bool,
    asked: Negotiation,
) -> Response<Bytes> {
    let today = Day::today();
    let generation = state.store.generation();
    let route = if csv { "top.csv" } else { "top" };
    let tag = ETag::of(generation, route, today, &params);
    // Only valid requests were kept, so a hit needs no validation.
    if let Some(cached) = state.cache.get(&tag) {
        if let Some(held) = tag.matched(asked.if_none_match.as_deref()) {
            return held.not_modified();
        }
        let body = coding::hit(&state.cache, &state.work, &tag, cached, asked.coding).await;
        return respond(body, csv, &tag);
    }
    super::blocking(state.work.clone(), move || {
        match answer(
            &state,
            &params,
            csv,
            today,
            &tag,
            asked.if_none_match.as_deref(),
        )? {
            Err(held) => Ok(held.not_modified()),
            Ok(body) => {
                let body = coding::keep(&state.cache, generation, &tag, body, asked.coding);
                Ok(respond(body, csv, &tag))
            }
        }
    })
    .await
}

/// The body of a request, validated first; `Err` with the tag the client
/// holds when `if_none_match` names `tag` (then the store is not read, and
/// a bad request still gets its 400).
fn answer(
    s: &AppState,
    p: &Params,
    csv: bool,
    today: Day,
    tag: &ETag,
    if_none_match: Option<&str>,
) -> Result<Result<Bytes, ETag>, ApiError> {
    let known: Vec<&str> = if csv {
        KNOWN.iter().chain(&CSV_ONLY).copied().collect()
    } else {
        KNOWN.to_vec()
    };
    query::known_params(p, &known)?;
    let catalogue = catalogue(&s.normalizer);
    let q = top_request(p)?
        .resolve(s.normalizer.as_ref(), &catalogue, today)
        .map_err(|e| error(&e))?;
    let options = csv.then(|| csv_options(p)).transpose()?;
    if let Some(held) = tag.matched(if_none_match) {
        return Ok(Err(held));
    }
    let ranked =
        top::top(s.store.as_ref(), &q, &catalogue, s.min_support).map_err(ApiError::store)?;
    let body = match options {
        None => serde_json::to_vec(&ranked)
            .map_err(|e| ApiError::internal(format!("cannot write JSON: {e}")))?,
        Some(options) => {
            let mut out = Vec::new();
            export::write_top_csv(&mut out, &ranked, options)
                .map_err(|e| ApiError::internal(e.to_string()))?;
            out
        }
    };
    Ok(Ok(Bytes::from(body)))
}

/// The `200` response of a body, tagged.
fn respond(body: Encoded, csv: bool, tag: &ETag) -> Response<Bytes> {
    let mut r = body.response(tag);
    if csv {
        super::csv_attachment(
            r.headers_mut(),
            "attachment; filename=\"skilltrack-top.csv\"",
        );
    } else {
        r.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        );
    }
    r
}
