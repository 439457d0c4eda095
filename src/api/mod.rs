//! API: the HTTP interface on warp. JSON unless the path ends in `.csv`;
//! errors are `{"error": {"code": "...", "message": "..."}}` with the right
//! status. Every parameter is validated in the handler once a route matched
//! (warp merges rejections across branches, so routes only match paths).
//!
//! Every route answers GET and HEAD (HEAD: the same status and headers, no
//! body). Handlers that read the store run on tokio's blocking pool, never
//! on the async workers, so a slow read cannot stall `/healthz` or other
//! requests; trends are produced series by series into a streamed body
//! (`trends`), the postings behind a count page by page (`postings`). [`server`] accepts the connections, with the header-read
//! and idle timeouts and the connection cap of [`ServerLimits`].

// Used by the trends and top routes (issue #14, being wired).
#[allow(dead_code)]
mod etag;
mod postings;
pub mod query;
pub mod server;
mod trends;

use std::collections::HashMap;
use std::convert::Infallible;
use std::sync::Arc;

use serde::Serialize;
use warp::http::{header, Response, StatusCode};
use warp::hyper::body::Bytes;
use warp::{Filter, Rejection, Reply};

use crate::domain::PostingId;
use crate::normalize::Normalizer;
use crate::store::counting;
use crate::store::Store;

pub use query::ApiError;
pub use server::{serve, serve_with, ServerLimits};

/// Longest request URI (path and query) answered; longer ones get a 414.
pub const MAX_URI_BYTES: usize = 8 * 1024;

/// What the handlers share.
#[derive(Clone)]
pub struct AppState {
    /// Postings and counts.
    pub store: Arc<dyn Store>,
    /// Taxonomy and geography (for validation and labels).
    pub normalizer: Arc<Normalizer>,
    /// Trend points whose total is under this are flagged `low_support`
    /// (config `[trends] min_support`).
    pub min_support: u64,
}

type Params = HashMap<String, String>;

/// Every route, with JSON errors for anything that does not match.
pub fn routes(state: AppState) -> impl Filter<Extract = (impl Reply,), Error = Infallible> + Clone {
    let with_state = warp::any().map(move || state.clone());
    let healthz = warp::path!("healthz")
        .and(get_or_head())
        .map(|| json(StatusCode::OK, &serde_json::json!({"status": "ok"})));
    let trends_json = warp::path!("api" / "v1" / "trends")
        .and(get_or_head())
        .and(warp::query::<Params>())
        .and(with_state.clone())
        .then(|p: Params, s: AppState| trends::handler(s, p, false));
    let trends_csv = warp::path!("api" / "v1" / "trends.csv")
        .and(get_or_head())
        .and(warp::query::<Params>())
        .and(with_state.clone())
        .then(|p: Params, s: AppState| trends::handler(s, p, true));
    let postings_json = warp::path!("api" / "v1" / "postings")
        .and(get_or_head())
        .and(warp::query::<Params>())
        .and(with_state.clone())
        .then(|p: Params, s: AppState| blocking(move || postings::page(&s, &p)));
    let postings_csv = warp::path!("api" / "v1" / "postings.csv")
        .and(get_or_head())
        .and(warp::query::<Params>())
        .and(with_state.clone())
        .then(|p: Params, s: AppState| postings::csv(s, p));
    let posting = warp::path!("api" / "v1" / "postings" / String)
        .and(get_or_head())
        .and(with_state.clone())
        .then(|id: String, s: AppState| blocking(move || posting_handler(&s, &id)));
    let geos = warp::path!("api" / "v1" / "geos")
        .and(get_or_head())
        .and(warp::query::<Params>())
        .and(with_state.clone())
        .map(|p: Params, s: AppState| respond(geos_handler(&s, &p)));
    let skills = warp::path!("api" / "v1" / "skills")
        .and(get_or_head())
        .and(with_state)
        .map(|s: AppState| respond(skills_handler(&s)));
    uri_within_limit()
        .and(
            healthz
                .or(trends_json)
                .or(trends_csv)
                .or(postings_json)
                .or(postings_csv)
                .or(posting)
                .or(geos)
                .or(skills),
        )
        .recover(recover)
}

/// GET, or HEAD (answered like GET; the HTTP layer leaves the body out).
fn get_or_head() -> impl Filter<Extract = (), Error = Rejection> + Copy {
    warp::get().or(warp::head()).unify()
}

/// A request URI longer than [`MAX_URI_BYTES`].
#[derive(Debug)]
struct UriTooLong {
    bytes: usize,
}

impl warp::reject::Reject for UriTooLong {}

/// Rejects a URI over [`MAX_URI_BYTES`] before any route parses it.
fn uri_within_limit() -> impl Filter<Extract = (), Error = Rejection> + Copy {
    warp::path::full()
        .and(warp::query::raw().or(warp::any().map(String::new)).unify())
        .and_then(|path: warp::path::FullPath, query: String| async move {
            let bytes = path.as_str().len() + query.len();
            if bytes > MAX_URI_BYTES {
                Err(warp::reject::custom(UriTooLong { bytes }))
            } else {
                Ok(())
            }
        })
        .untuple_one()
}

fn respond(result: Result<Response<Bytes>, ApiError>) -> Response<Bytes> {
    result.unwrap_or_else(|e| e.response())
}

/// Runs a handler that reads the store on tokio's blocking pool, so the
/// async workers stay free for other requests.
async fn blocking<F>(handler: F) -> Response<Bytes>
where
    F: FnOnce() -> Result<Response<Bytes>, ApiError> + Send + 'static,
{
    match tokio::task::spawn_blocking(handler).await {
        Ok(result) => respond(result),
        Err(error) => {
            tracing::error!(%error, "A request handler failed.");
            ApiError::internal("the request failed: see the server log".into()).response()
        }
    }
}

/// A JSON response.
pub(crate) fn json<T: Serialize>(status: StatusCode, body: &T) -> Response<Bytes> {
    let bytes = serde_json::to_vec(body).unwrap_or_else(|_| b"{}".to_vec());
    let mut r = Response::new(Bytes::from(bytes));
    *r.status_mut() = status;
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        header::HeaderValue::from_static("application/json"),
    );
    r
}

#[derive(Serialize)]
struct DuplicateBody<'a> {
    id: String,
    source: &'a str,
    external_id: &'a str,
    title: &'a str,
    company: Option<&'a str>,
    posted: String,
    url: Option<&'a str>,
    representative: bool,
}

/// One posting with its duplicate cluster: which posting represents it in
/// the counts, the other members, and why they were merged.
fn posting_handler(s: &AppState, id: &str) -> Result<Response<Bytes>, ApiError> {
    let pid: PostingId = id
        .parse()
        .map_err(|e: crate::domain::DomainError| ApiError::bad("id", e.to_string()))?;
    let posting = s
        .store
        .posting(pid)
        .map_err(ApiError::store)?
        .ok_or_else(|| {
            ApiError::new(
                StatusCode::NOT_FOUND,
                "not_found",
                format!("no posting {id}"),
            )
        })?;
    let group = s
        .store
        .group(posting.fingerprint)
        .map_err(ApiError::store)?;
    let rules = s.store.rules();
    let refs: Vec<&crate::domain::Posting> = group.iter().collect();
    let cluster: Vec<&crate::domain::Posting> = counting::clusters(&refs, &rules)
        .into_iter()
        .find(|c| c.iter().any(|p| p.id == posting.id))
        .unwrap_or_else(|| vec![&posting]);
    let representative = cluster.first().map_or(posting.id, |p| p.id);
    let members: Vec<DuplicateBody> = cluster
        .iter()
        .map(|p| DuplicateBody {
            id: p.id.to_string(),
            source: p.source.as_str(),
            external_id: &p.external_id,
            title: &p.title,
            company: p.company.as_deref(),
            posted: p.posted.to_string(),
            url: p.url.as_deref(),
            representative: p.id == representative,
        })
        .collect();
    let reason = if members.len() > 1 {
        Some(format!(
            "same company, title (without gender markers such as \"(H/F)\") and département, posted within {} days of the cluster's first posting ({}); the earliest posting (ties: source, then id) represents the cluster in the counts",
            rules.dedup_window_days,
            cluster.first().map_or(String::new(), |p| p.posted.to_string())
        ))
    } else {
        None
    };
    Ok(json(
        StatusCode::OK,
        &serde_json::json!({
            "posting": posting,
            "counted": representative == posting.id,
            "representative": representative.to_string(),
            "duplicates": members,
            "reason": reason,
        }),
    ))
}

/// Every geography code with its French name, level and parent.
fn geos_handler(s: &AppState, p: &Params) -> Result<Response<Bytes>, ApiError> {
    query::known_params(p, &["level"])?;
    let level = p.get("level").map(String::as_str);
    if let Some(l) = level {
        if !["world", "country", "region", "department", "remote"].contains(&l) {
            return Err(ApiError::bad(
                "level",
                format!("{l:?} is not a level: use world, country, region, department or remote"),
            ));
        }
    }
    let geos: Vec<serde_json::Value> = s
        .normalizer
        .gazetteer()
        .entries()
        .into_iter()
        .filter(|e| level.is_none_or(|l| e.level.as_str() == l))
        .map(|e| serde_json::json!({"code": e.code, "name": e.name, "level": e.level.as_str(), "parent": e.parent}))
        .collect();
    Ok(json(StatusCode::OK, &serde_json::json!({ "geos": geos })))
}

#[derive(Serialize)]
struct SkillBody<'a> {
    id: &'a str,
    label: &'a str,
    category: &'a str,
    /// Families: counted as implied skills.
    implies: &'a [String],
    /// Prerequisites: shown for browsing, never counted.
    requires: &'a [String],
    #[serde(skip_serializing_if = "Option::is_none")]
    issuer: Option<&'a str>,
}

fn skills_handler(s: &AppState) -> Result<Response<Bytes>, ApiError> {
    let taxonomy = s.normalizer.taxonomy();
    let skills: Vec<SkillBody> = taxonomy
        .skills()
        .iter()
        .map(|k| SkillBody {
            id: &k.id,
            label: &k.label,
            category: k.category.as_str(),
            implies: &k.implies,
            requires: &k.requires,
            issuer: k.issuer.as_deref(),
        })
        .collect();
    Ok(json(
        StatusCode::OK,
        &serde_json::json!({"version": taxonomy.version(), "skills": skills}),
    ))
}

async fn recover(rejection: Rejection) -> Result<Response<Bytes>, Infallible> {
    let error = if let Some(UriTooLong { bytes }) = rejection.find::<UriTooLong>() {
        ApiError::new(
            StatusCode::URI_TOO_LONG,
            "uri_too_long",
            format!("the request URI is {bytes} bytes, over the limit of {MAX_URI_BYTES}: ask for fewer skills per query"),
        )
    } else if rejection.is_not_found() {
        ApiError::new(
            StatusCode::NOT_FOUND,
            "not_found",
            "no such route: see /api/v1/openapi.json".into(),
        )
    } else if rejection.find::<warp::reject::MethodNotAllowed>().is_some() {
        ApiError::new(
            StatusCode::METHOD_NOT_ALLOWED,
            "method_not_allowed",
            "this route only answers GET and HEAD".into(),
        )
    } else {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            "bad_request",
            format!("{rejection:?}"),
        )
    };
    Ok(error.response())
}
