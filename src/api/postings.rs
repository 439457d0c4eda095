//! The postings behind a count: `/api/v1/postings` (a JSON page, with a
//! cursor to the next) and `/api/v1/postings.csv` (every posting of the
//! cell, or `limit` of them, streamed a page at a time).
//!
//! The query string becomes an [`export::cell::CellRequest`], resolved like
//! `skilltrack export postings --skill …`'s flags, and the CSV is written by
//! the same functions as the command line's, so both give the same bytes.
//! The store lists the cell ([`PostingStore::cell_page`]) on the blocking
//! pool, one page per chunk of the CSV body, so memory holds one page and
//! nothing is read ahead of a slow reader; a store failure mid-body ends the
//! response early (the connection is closed without the body's end).
//!
//! [`PostingStore::cell_page`]: crate::store::PostingStore::cell_page

use std::sync::Arc;

use serde::Serialize;
use warp::http::{header, HeaderValue, Response, StatusCode};
use warp::hyper::body::Bytes;
use warp::Reply;

use super::coding::{self, Encoded};
use super::etag::ETag;
use super::query::{self, ApiError};
use super::{AppState, Negotiation, Params};
use crate::domain::Day;
use crate::export::cell::{
    self as cells, CellExportError, CellListing, CellRequest, CellRequestError, PostingItem,
};
use crate::export::CsvOptions;
use crate::store::cells::MAX_PAGE;
use crate::store::{CellKey, Store};

/// Query parameters of the JSON route.
const KNOWN: [&str; 8] = [
    "skill", "geo", "from", "to", "metric", "source", "limit", "cursor",
];

/// Query parameters of the CSV route.
const KNOWN_CSV: [&str; 11] = [
    "skill",
    "geo",
    "from",
    "to",
    "metric",
    "source",
    "limit",
    "cursor",
    "delimiter",
    "bom",
    "decimal",
];

/// The query string as a [`CellRequest`].
fn request(p: &Params) -> Result<CellRequest, ApiError> {
    let day = |name: &str| {
        p.get(name)
            .map(|v| {
                v.parse::<Day>()
                    .map_err(|e| ApiError::bad(name, e.to_string()))
            })
            .transpose()
    };
    let metric = p
        .get("metric")
        .map(|v| v.parse().map_err(|e| ApiError::bad("metric", e)))
        .transpose()?;
    let limit = p
        .get("limit")
        .map(|v| {
            v.trim().parse::<usize>().map_err(|_| {
                ApiError::bad(
                    "limit",
                    format!("{v:?} is not a whole number of postings (1 to {MAX_PAGE})"),
                )
            })
        })
        .transpose()?;
    Ok(CellRequest {
        skill: p.get("skill").cloned(),
        geo: p.get("geo").cloned(),
        from: day("from")?,
        to: day("to")?,
        metric,
        source: p.get("source").cloned(),
        limit,
        cursor: p.get("cursor").cloned(),
    })
}

/// The error response of a refused request: an unknown skill or geography
/// is a 404 (as on the trends routes), anything else a 400.
fn refused(e: &CellRequestError) -> ApiError {
    match e {
        CellRequestError::Query(q) => {
            let mut error = ApiError::query(q);
            error.message = format!("{}: {e}", e.param());
            error
        }
        _ => ApiError::new(
            StatusCode::BAD_REQUEST,
            e.code(),
            format!("{}: {e}", e.param()),
        ),
    }
}

/// The JSON body.
#[derive(Serialize)]
struct PageBody<'a> {
    skill: &'a str,
    geo: &'a str,
    metric: &'static str,
    from: String,
    to: String,
    limit: usize,
    postings: Vec<PostingItem<'a>>,
    next_cursor: Option<String>,
}

/// `/api/v1/postings`: one page (on the blocking pool).
/// `/api/v1/postings`, with the request's `If-None-Match`: a page kept in
/// the response cache under its tag (store generation, day, parameters) is
/// answered at once, as trends and top answers are; otherwise it is listed
/// on the blocking pool and kept. A page is tagged like them: a listing
/// changes only with the counts it follows.
pub(super) async fn page_handler(
    state: AppState,
    params: Params,
    asked: Negotiation,
) -> Response<Bytes> {
    let today = Day::today();
    let generation = state.store.generation();
    let tag = ETag::of(generation, "postings", today, &params);
    // Only valid requests were kept, so a hit needs no validation.
    if let Some(cached) = state.cache.get(&tag) {
        if let Some(held) = tag.matched(asked.if_none_match.as_deref()) {
            return held.not_modified();
        }
        let body = coding::hit(&state.cache, &state.work, &tag, cached, asked.coding).await;
        return json_page(body, &tag);
    }
    super::blocking(state.work.clone(), move || {
        let body = page(&state, &params, today)?;
        if let Some(held) = tag.matched(asked.if_none_match.as_deref()) {
            state.cache.insert(generation, tag.clone(), body);
            return Ok(held.not_modified());
        }
        let body = coding::keep(&state.cache, generation, &tag, body, asked.coding);
        Ok(json_page(body, &tag))
    })
    .await
}

/// A JSON page's `200` response.
fn json_page(body: Encoded, tag: &ETag) -> Response<Bytes> {
    let mut r = body.response(tag);
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    r
}

/// The JSON body of one page.
fn page(s: &AppState, p: &Params, today: Day) -> Result<Bytes, ApiError> {
    query::known_params(p, &KNOWN)?;
    let listing = request(p)?
        .resolve(
            s.normalizer.as_ref(),
            today,
            Some(cells::DEFAULT_PAGE),
            Some(MAX_PAGE),
        )
        .map_err(|e| refused(&e))?;
    let limit = listing.limit.unwrap_or(cells::DEFAULT_PAGE);
    let page = s
        .store
        .cell_page(&listing.cell, listing.after, limit)
        .map_err(ApiError::store)?;
    let cell = &listing.cell;
    let body = serde_json::to_vec(&PageBody {
        skill: cell.skill.as_str(),
        geo: cell.geo.as_str(),
        metric: cell.metric.as_str(),
        from: cell.from.to_string(),
        to: cell.to.to_string(),
        limit,
        postings: page.postings.iter().map(PostingItem::of).collect(),
        next_cursor: page.next.map(|k| k.cursor()),
    })
    .map_err(|e| ApiError::internal(format!("cannot write JSON: {e}")))?;
    Ok(Bytes::from(body))
}

/// `/api/v1/postings.csv`: validated now, the rows streamed.
pub(super) async fn csv(s: AppState, p: Params) -> warp::reply::Response {
    let started = (|| {
        query::known_params(&p, &KNOWN_CSV)?;
        let options = super::trends::csv_options(&p)?;
        let listing = request(&p)?
            .resolve(s.normalizer.as_ref(), Day::today(), None, None)
            .map_err(|e| refused(&e))?;
        Ok::<_, ApiError>((options, listing))
    })();
    let (options, listing) = match started {
        Ok(ok) => ok,
        Err(e) => return e.response().into_response(),
    };
    let rows = CsvRows {
        store: s.store.clone(),
        work: s.work.clone(),
        listing: Arc::new(listing),
        options,
        after: None,
        written: 0,
        step: CsvStep::Head,
    };
    let body = futures_util::stream::unfold(rows, |mut rows| async move {
        let chunk = rows.next_chunk().await?;
        Some((chunk, rows))
    });
    let mut r = warp::reply::stream(body).into_response();
    let headers = r.headers_mut();
    super::csv_attachment(headers, "attachment; filename=\"skilltrack-postings.csv\"");
    r
}

/// Where a CSV body is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum CsvStep {
    Head,
    Rows,
    Done,
}

/// The state of a streamed CSV body.
struct CsvRows {
    store: Arc<dyn Store>,
    /// Each page is listed when its turn comes ([`super::work::StoreWork`]).
    work: super::work::StoreWork,
    listing: Arc<CellListing>,
    options: CsvOptions,
    /// Where the next page starts (the listing's own cursor at first).
    after: Option<CellKey>,
    written: usize,
    step: CsvStep,
}

impl CsvRows {
    /// The next chunk: the head, then a page of rows; `None` at the end
    /// (and after an error, which ends the body).
    async fn next_chunk(&mut self) -> Option<Result<Bytes, CellExportError>> {
        match self.step {
            CsvStep::Done => None,
            CsvStep::Head => {
                self.step = CsvStep::Rows;
                self.after = self.listing.after;
                let mut out = Vec::new();
                Some(
                    cells::write_cell_csv_head(&mut out, self.options)
                        .map(|()| Bytes::from(out))
                        .map_err(CellExportError::from),
                )
            }
            CsvStep::Rows => {
                let (store, listing, options) =
                    (self.store.clone(), self.listing.clone(), self.options);
                let (after, written) = (self.after, self.written);
                let page = self
                    .work
                    .run(move || {
                        let Some(page) =
                            cells::next_page(store.as_ref(), &listing, after, written)?
                        else {
                            return Ok(None);
                        };
                        let mut out = Vec::new();
                        cells::write_cell_csv_rows(&mut out, &page.postings, options)?;
                        Ok::<_, CellExportError>(Some((out, page.postings.len(), page.next)))
                    })
                    .await;
                match page {
                    Ok(Ok(Some((out, n, next)))) => {
                        self.written += n;
                        match next {
                            Some(key) => self.after = Some(key),
                            None => self.step = CsvStep::Done,
                        }
                        Some(Ok(Bytes::from(out)))
                    }
                    Ok(Ok(None)) => None,
                    Ok(Err(error)) => {
                        self.step = CsvStep::Done;
                        tracing::error!(%error, "Postings CSV cut short.");
                        Some(Err(error))
                    }
                    Err(error) => {
                        self.step = CsvStep::Done;
                        tracing::error!(%error, "Postings CSV cut short.");
                        let failed = std::io::Error::other(error.to_string());
                        Some(Err(CellExportError::Write(failed.into())))
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The OpenAPI fragment of these routes (assembled by the contract's
    /// document) names every field and parameter the routes have.
    #[test]
    fn the_openapi_fragment_describes_the_fields_and_parameters() {
        let doc: serde_json::Value =
            serde_json::from_str(include_str!("openapi/postings.json")).unwrap();
        let schemas = &doc["components"]["schemas"];
        let names = |v: &serde_json::Value| -> Vec<String> {
            v.as_array()
                .unwrap()
                .iter()
                .map(|s| s.as_str().unwrap().to_owned())
                .collect()
        };
        assert_eq!(
            names(&schemas["PostingsPageItem"]["required"]),
            cells::CELL_COLUMNS.to_vec()
        );
        assert_eq!(
            names(&schemas["PostingsPage"]["required"]),
            [
                "skill",
                "geo",
                "metric",
                "from",
                "to",
                "limit",
                "postings",
                "next_cursor"
            ]
        );
        let params = |path: &str| -> Vec<String> {
            doc["paths"][path]["get"]["parameters"]
                .as_array()
                .unwrap()
                .iter()
                .map(|p| match p.get("$ref").and_then(|r| r.as_str()) {
                    Some(r) => {
                        let name = r.rsplit('/').next().unwrap();
                        match &doc["components"]["parameters"][name]["name"] {
                            serde_json::Value::String(n) => n.clone(),
                            // A parameter of the base document.
                            _ => name.to_lowercase(),
                        }
                    }
                    None => p["name"].as_str().unwrap().to_owned(),
                })
                .collect()
        };
        assert_eq!(params("/api/v1/postings"), KNOWN.to_vec());
        assert_eq!(params("/api/v1/postings.csv"), KNOWN_CSV.to_vec());
    }
}
