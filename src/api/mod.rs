//! API: the HTTP interface on warp. JSON unless the path ends in `.csv`;
//! errors are `{"error": {"code": "...", "message": "..."}}` with the right
//! status. Every parameter is validated in the handler once a route matched
//! (warp merges rejections across branches, so routes only match paths).
//!
//! Every route answers GET and HEAD (HEAD: the same status and headers, no
//! body). Handlers that read the store run on tokio's blocking pool, never
//! on the async workers, so a slow read cannot stall `/healthz` or other
//! requests; trends are produced series by series into a streamed body
//! (`trends`), except small answers, built whole and kept in a bounded
//! cache by ETag ([`cache`]) that the async worker answers from; the postings behind a count come
//! page by page (`postings`); [`top`]
//! ranks the taxonomy's skills over a period, its responses tagged (`ETag`,
//! `If-None-Match` → 304). [`server`] accepts the connections, with the
//! header-read and idle timeouts and the connection cap of [`ServerLimits`].
//!
//! Around the routes ([`edge`]): a request body over
//! [`MAX_BODY_BYTES`](edge::MAX_BODY_BYTES) is a `413`, a URI over
//! [`MAX_URI_BYTES`] a `414`, another method than GET/HEAD on a known path a
//! `405` with `Allow: GET, HEAD`; one `recover` turns every rejection into
//! the JSON error shape; each response is counted in the metrics by route
//! template and status (`GET /metrics`) and gets the CORS headers of
//! [`Cors`]. `GET /api/v1/openapi.json` serves the OpenAPI document
//! ([`openapi`]), assembled once when the routes are built. [`sources`]
//! shows collection: each source's schedule and health, and its run
//! reports. `GET /` serves the dashboard, a page built on these routes,
//! with its files under `/assets/` ([`dashboard`]).
//!
//! Two admin routes ([`admin`]) are the only ones that act and the only
//! ones answering POST (and nothing else): a run started now, the source
//! definitions read again; they need the admin bearer token.

pub mod admin;
pub mod cache;
pub mod coding;
pub mod collection;
pub mod cors;
pub mod dashboard;
pub mod edge;
mod etag;
pub mod openapi;
mod postings;
pub mod query;
pub mod server;
pub mod sources;
pub mod top;
mod trends;
pub mod work;

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
use crate::telemetry::metrics;

pub use cors::Cors;
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
    /// Which browser origins may read the responses (`[api] cors_origins`).
    pub cors: Cors,
    /// Complete bodies of small trends answers, by ETag
    /// ([`cache::ResponseCache`]; `ResponseCache::default()` to start).
    pub cache: cache::ResponseCache,
    /// The scheduler's view of the sources and its admin actions; None when
    /// the server collects nothing (`serve --no-schedule`, tests).
    pub collection: Option<Arc<dyn collection::Collection>>,
    /// The token the admin routes ask for; None: they answer 403.
    pub admin_token: Option<admin::AdminToken>,
    /// The bound on requests computing from the store at once
    /// ([`work::StoreWork`]).
    pub work: work::StoreWork,
}

impl AppState {
    /// The state of a server on `store` with the defaults: `min_support`
    /// [`DEFAULT_MIN_SUPPORT`](crate::trends::DEFAULT_MIN_SUPPORT), CORS
    /// off, an empty response cache.
    pub fn new(store: Arc<dyn Store>, normalizer: Arc<Normalizer>) -> AppState {
        AppState {
            store,
            normalizer,
            min_support: crate::trends::DEFAULT_MIN_SUPPORT,
            cors: Cors::default(),
            cache: cache::ResponseCache::default(),
            collection: None,
            admin_token: None,
            work: work::StoreWork::for_machine(),
        }
    }

    /// The same state with the scheduler's view of collection.
    pub fn with_collection(self, collection: Arc<dyn collection::Collection>) -> AppState {
        AppState {
            collection: Some(collection),
            ..self
        }
    }

    /// The same state with the admin routes' token.
    pub fn with_admin_token(self, token: Option<admin::AdminToken>) -> AppState {
        AppState {
            admin_token: token,
            ..self
        }
    }

    /// The same state with another `min_support`.
    pub fn with_min_support(self, min_support: u64) -> AppState {
        AppState {
            min_support,
            ..self
        }
    }
}

type Params = HashMap<String, String>;

/// Every route, with JSON errors for anything that does not match.
///
/// A new route is one more `.or(...)` below and its template in
/// [`edge::ROUTE_TEMPLATES`].
pub fn routes(state: AppState) -> impl Filter<Extract = (impl Reply,), Error = Infallible> + Clone {
    let cors = state.cors.clone();
    let document = openapi::document_bytes();
    let admin = admin::routes(state.clone());
    let with_state = warp::any().map(move || state.clone());
    let healthz = warp::path!("healthz")
        .and(get_or_head())
        .map(|| json(StatusCode::OK, &serde_json::json!({"status": "ok"})));
    let metrics = warp::path!("metrics")
        .and(get_or_head())
        .and(with_state.clone())
        .then(|s: AppState| blocking(s.work.clone(), move || metrics_handler(&s)));
    let openapi = warp::path!("api" / "v1" / "openapi.json")
        .and(get_or_head())
        .map(move || openapi::response(&document));
    let trends_json = warp::path!("api" / "v1" / "trends")
        .and(get_or_head())
        .and(warp::query::<Params>())
        .and(negotiation())
        .and(with_state.clone())
        .then(|p, tag, s| trends::handler(s, p, false, tag));
    let trends_csv = warp::path!("api" / "v1" / "trends.csv")
        .and(get_or_head())
        .and(warp::query::<Params>())
        .and(negotiation())
        .and(with_state.clone())
        .then(|p, tag, s| trends::handler(s, p, true, tag));
    let top_json = warp::path!("api" / "v1" / "top")
        .and(get_or_head())
        .and(warp::query::<Params>())
        .and(negotiation())
        .and(with_state.clone())
        .then(|p: Params, tag, s: AppState| top::handler(s, p, false, tag));
    let top_csv = warp::path!("api" / "v1" / "top.csv")
        .and(get_or_head())
        .and(warp::query::<Params>())
        .and(negotiation())
        .and(with_state.clone())
        .then(|p: Params, tag, s: AppState| top::handler(s, p, true, tag));
    let postings_json = warp::path!("api" / "v1" / "postings")
        .and(get_or_head())
        .and(warp::query::<Params>())
        .and(negotiation())
        .and(with_state.clone())
        .then(|p, tag, s| postings::page_handler(s, p, tag));
    let postings_csv = warp::path!("api" / "v1" / "postings.csv")
        .and(get_or_head())
        .and(warp::query::<Params>())
        .and(with_state.clone())
        .then(|p: Params, s: AppState| postings::csv(s, p));
    let posting = warp::path!("api" / "v1" / "postings" / String)
        .and(get_or_head())
        .and(with_state.clone())
        .then(|id: String, s: AppState| blocking(s.work.clone(), move || posting_handler(&s, &id)));
    let geos = warp::path!("api" / "v1" / "geos")
        .and(get_or_head())
        .and(warp::query::<Params>())
        .and(with_state.clone())
        .map(|p: Params, s: AppState| respond(geos_handler(&s, &p)));
    let sources = warp::path!("api" / "v1" / "sources")
        .and(get_or_head())
        .and(with_state.clone())
        .then(|s: AppState| blocking(s.work.clone(), move || sources::list_handler(&s)));
    let source_runs = warp::path!("api" / "v1" / "sources" / String / "runs")
        .and(get_or_head())
        .and(warp::query::<Params>())
        .and(with_state.clone())
        .then(|id: String, p: Params, s: AppState| {
            blocking(s.work.clone(), move || sources::runs_handler(&s, &id, &p))
        });
    let skills = warp::path!("api" / "v1" / "skills")
        .and(get_or_head())
        .and(with_state)
        .map(|s: AppState| respond(skills_handler(&s)));
    let routes = edge::body_within_limit()
        .and(uri_within_limit())
        .and(
            healthz
                .or(trends_json)
                .or(trends_csv)
                .or(top_json)
                .or(top_csv)
                .or(postings_json)
                .or(postings_csv)
                .or(posting)
                .or(geos)
                .or(skills)
                .or(sources)
                .or(source_runs)
                .or(metrics)
                .or(openapi)
                .or(dashboard::routes())
                .or(admin),
        )
        .recover(recover);
    edge::request_facts().and(routes).map(
        move |started, method, path, origin: Option<String>, reply: _| {
            edge::finish(
                &cors,
                started,
                &method,
                &path,
                origin.as_deref(),
                Reply::into_response(reply),
            )
        },
    )
}

/// GET, or HEAD (answered like GET; the HTTP layer leaves the body out).
fn get_or_head() -> impl Filter<Extract = (), Error = Rejection> + Copy {
    warp::get().or(warp::head()).unify()
}

/// What a request says of the copies it holds and the codings it takes:
/// the headers the cached routes (trends, top, a postings page) answer by.
#[derive(Debug, Clone, Default)]
pub(crate) struct Negotiation {
    /// `If-None-Match`, if any.
    pub(crate) if_none_match: Option<String>,
    /// The coding to answer with, from `Accept-Encoding`.
    pub(crate) coding: coding::Coding,
}

/// The request's [`Negotiation`].
pub(super) fn negotiation() -> impl Filter<Extract = (Negotiation,), Error = Rejection> + Copy {
    warp::header::optional::<String>("if-none-match")
        .and(warp::header::optional::<String>("accept-encoding"))
        .map(|if_none_match, accept: Option<String>| Negotiation {
            if_none_match,
            coding: coding::Coding::accepted(accept.as_deref()),
        })
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
/// async workers stay free for other requests, when its turn comes
/// ([`work::StoreWork`]).
async fn blocking<F>(work: work::StoreWork, handler: F) -> Response<Bytes>
where
    F: FnOnce() -> Result<Response<Bytes>, ApiError> + Send + 'static,
{
    match work.run(handler).await {
        Ok(result) => respond(result),
        Err(error) => {
            tracing::error!(%error, "A request handler failed.");
            ApiError::internal("the request failed: see the server log".into()).response()
        }
    }
}

/// Marks a response as a CSV download: its content type, and the
/// `Content-Disposition` that names the file (`disposition`, e.g.
/// `attachment; filename="skilltrack-top.csv"`).
pub(crate) fn csv_attachment(headers: &mut warp::http::HeaderMap, disposition: &'static str) {
    headers.insert(
        header::CONTENT_TYPE,
        header::HeaderValue::from_static("text/csv; charset=utf-8"),
    );
    headers.insert(
        header::CONTENT_DISPOSITION,
        header::HeaderValue::from_static(disposition),
    );
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
    /// The words that name the skill in postings (French and English), for
    /// search boxes.
    aliases: &'a [String],
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
            aliases: &k.aliases,
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

/// `GET /metrics`: every series, with the stored postings and the
/// sources' health read now.
fn metrics_handler(s: &AppState) -> Result<Response<Bytes>, ApiError> {
    sources::record_health_metrics(s)?;
    let postings = s.store.posting_count().map_err(ApiError::store)?;
    let mut r = Response::new(Bytes::from(metrics::global().scrape(postings)));
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        header::HeaderValue::from_static(metrics::CONTENT_TYPE),
    );
    Ok(r)
}

/// The one place a rejection becomes a response: every status in the
/// error shape, no internal detail shown.
async fn recover(rejection: Rejection) -> Result<Response<Bytes>, Infallible> {
    let error = rejection_error(&rejection);
    let mut r = error.response();
    if error.status == StatusCode::METHOD_NOT_ALLOWED {
        r.headers_mut()
            .insert(header::ALLOW, header::HeaderValue::from_static("GET, HEAD"));
    }
    Ok(r)
}

/// The error a rejection stands for.
fn rejection_error(rejection: &Rejection) -> ApiError {
    if let Some(UriTooLong { bytes }) = rejection.find::<UriTooLong>() {
        ApiError::new(
            StatusCode::URI_TOO_LONG,
            "uri_too_long",
            format!("the request URI is {bytes} bytes, over the limit of {MAX_URI_BYTES}: ask for fewer skills per query"),
        )
    } else if let Some(edge::BodyTooLarge { bytes }) = rejection.find::<edge::BodyTooLarge>() {
        let size = bytes.map_or_else(|| "of unknown length".to_owned(), |b| format!("{b} bytes"));
        ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "payload_too_large",
            format!(
                "the request body is {size}, over the limit of {} bytes: these routes read no body (send the parameters in the query string)",
                edge::MAX_BODY_BYTES
            ),
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
    } else if let Some(e) = rejection.find::<warp::reject::InvalidHeader>() {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            "invalid_header",
            format!("header {:?} has a value that cannot be read", e.name()),
        )
    } else if rejection.find::<warp::reject::InvalidQuery>().is_some() {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            "invalid_parameter",
            "the query string cannot be read: use name=value pairs joined by &, percent-encoded"
                .into(),
        )
    } else {
        tracing::error!(
            ?rejection,
            "A request was rejected for an unexpected reason."
        );
        ApiError::internal("the request could not be answered: see the server log".into())
    }
}
