//! The trends routes, `/api/v1/trends` (JSON) and `/api/v1/trends.csv`.
//!
//! Every answer carries an `ETag` ([`ETag::of`] the store's generation, the
//! route, today's date — `to` defaults to today — and the parameters),
//! known before the store is touched. The generation is read before any
//! count, so a tag never names counts older than its body's. Then:
//! - a body kept in the [`ResponseCache`](super::cache::ResponseCache) under that tag is answered from
//!   the async worker, without the blocking pool (a `304 Not Modified`
//!   when `If-None-Match` names the tag);
//! - otherwise the request is validated on the blocking pool, answered
//!   `304` if `If-None-Match` names the tag (before any count is read),
//!   and the totals (one denominator per geography) are read before the
//!   response starts, so a bad query or a failing store still gets its
//!   JSON error and status;
//! - a small answer (at most [`WHOLE_MAX_POINTS`] points) and any wide CSV
//!   are built whole on the blocking pool, and kept in the cache when at
//!   most [`max_body`](super::cache::ResponseCache::max_body) bytes. A wide CSV needs every series
//!   at once: its size is bounded by [`MAX_POINTS`](trends::MAX_POINTS)
//!   like any query's;
//! - a bigger answer is streamed: the series follow one at a time
//!   (skill-major: each skill in every geography), each computed on the
//!   blocking pool when the body asks for it, so memory holds one series
//!   (at most [`MAX_RANGE_DAYS`](crate::trends::MAX_RANGE_DAYS) points) and
//!   nothing is computed ahead of a slow reader. A store failure mid-body
//!   ends the response early (the connection is closed without the body's
//!   end), so a cut answer never looks complete.
//!
//! `smooth`, `index` and `compare` apply to both routes; the CSV writes
//! their columns ([`TrendsCsv`]). `wide` and `value` are CSV only.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{ready, Context, Poll};

use serde::Serialize;
use warp::http::{header, HeaderValue};
use warp::hyper::body::Bytes;
use warp::Reply;

use super::coding::{self, Encoded};
use super::etag::ETag;
use super::query::{self, ApiError};
use super::work::{StoreWork, WorkError};
use super::{AppState, Negotiation, Params};
use crate::domain::Day;
use crate::export::{CsvOptions, DecimalMark, ExportError, Layout, TrendsCsv, WideValue};
use crate::store::{CountStore, StoreError};
use crate::trends::{self, Options, TrendQuery};

/// Query parameters the trends routes know.
const KNOWN: [&str; 14] = [
    "skills",
    "geo",
    "from",
    "to",
    "interval",
    "metric",
    "smooth",
    "index",
    "compare",
    "delimiter",
    "bom",
    "decimal",
    "wide",
    "value",
];

/// Parameters the JSON route refuses (the CSV layout). `delimiter`, `bom`
/// and `decimal` have always been accepted and ignored there: they still are.
const CSV_ONLY: [&str; 2] = ["wide", "value"];

/// Answers of at most this many points (series × buckets) are built whole
/// (and cached when small enough); bigger ones are streamed. 8,192 covers
/// five skills over three years daily (5,480 points, 794 KB of JSON), which
/// the cache then answers at 7–8k req/s instead of 1.2k streamed (see
/// BENCHMARKS.md, "Wide series"); a whole body of this size is about 1.2 MB.
pub const WHOLE_MAX_POINTS: usize = 8_192;

/// Answers one trends request (`csv`: the `.csv` route), with the request's
/// `If-None-Match` and `Accept-Encoding` ([`Negotiation`]).
pub(super) async fn handler(
    state: AppState,
    params: Params,
    csv: bool,
    asked: Negotiation,
) -> warp::reply::Response {
    let today = Day::today();
    let generation = state.store.generation();
    let tag = ETag::of(generation, route(csv), today, &params);
    if let Some(cached) = state.cache.get(&tag) {
        if let Some(held) = tag.matched(asked.if_none_match.as_deref()) {
            return held.not_modified().into_response();
        }
        let body = coding::hit(&state.cache, &state.work, &tag, cached, asked.coding).await;
        return respond(Answer::Whole(body), csv, &tag);
    }
    let work = state.work.clone();
    let streamed = work.clone();
    let answered = work
        .run(move || {
            let job = Job::start(&state, &params, csv, today)?;
            if let Some(held) = tag.matched(asked.if_none_match.as_deref()) {
                return Ok::<_, ApiError>((Answer::NotModified(held), tag));
            }
            let answer = match job.answer(&streamed)? {
                Answer::Whole(built) => Answer::Whole(coding::keep(
                    &state.cache,
                    generation,
                    &tag,
                    built.body,
                    asked.coding,
                )),
                other => other,
            };
            Ok((answer, tag))
        })
        .await;
    match answered {
        Ok(Ok((answer, tag))) => respond(answer, csv, &tag),
        Ok(Err(e)) => e.response().into_response(),
        Err(error) => {
            tracing::error!(%error, "A trends request failed.");
            ApiError::internal("the request failed: see the server log".into())
                .response()
                .into_response()
        }
    }
}

/// The route's name in its ETag.
fn route(csv: bool) -> &'static str {
    if csv {
        "trends.csv"
    } else {
        "trends"
    }
}

/// What a request is answered with.
enum Answer {
    /// `304 Not Modified`, with the tag the client holds.
    NotModified(ETag),
    /// A body built whole (and kept in the cache), plain or compressed.
    Whole(Encoded),
    /// A body streamed series by series, never compressed.
    Streamed(SeriesBody),
}

/// The `200` response: headers, tag and body.
fn respond(answer: Answer, csv: bool, tag: &ETag) -> warp::reply::Response {
    let mut r = match answer {
        Answer::NotModified(held) => return held.not_modified().into_response(),
        Answer::Whole(body) => body.response(tag).into_response(),
        Answer::Streamed(body) => {
            let mut r = warp::reply::stream(body).into_response();
            tag.tag(&mut r);
            r
        }
    };
    let headers = r.headers_mut();
    if csv {
        super::csv_attachment(headers, "attachment; filename=\"skilltrack-trends.csv\"");
    } else {
        headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        );
    }
    r
}

/// How the series are written.
#[derive(Debug, Clone, Copy)]
enum Format {
    Json,
    Csv(TrendsCsv),
}

/// A validated query with its totals: everything the body is made from.
struct Job {
    store: Arc<dyn CountStore>,
    query: TrendQuery,
    options: Options,
    /// One denominator per geography, in the order of `query.geos`.
    totals: Vec<Vec<(Day, i64)>>,
    format: Format,
}

/// The JSON fields before `series`, in the order of the documented body.
#[derive(Serialize)]
struct Head<'a> {
    geo: &'a str,
    metric: &'static str,
    interval: &'static str,
    from: String,
    to: String,
}

/// Why a body was cut short.
#[derive(Debug, thiserror::Error)]
enum BodyError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Csv(#[from] ExportError),
    #[error("cannot write JSON: {0}")]
    Json(#[from] serde_json::Error),
    #[error("a series computation failed: {0}")]
    Task(#[from] super::work::WorkError),
}

impl Job {
    /// Validates the request and reads the totals (on the blocking pool).
    fn start(s: &AppState, p: &Params, csv: bool, today: Day) -> Result<Job, ApiError> {
        query::known_params(p, &KNOWN)?;
        let (q, options) = query::trend_request(p)?
            .resolve_with_options(&*s.normalizer, today, s.min_support)
            .map_err(|e| ApiError::query(&e))?;
        let format = if csv {
            Format::Csv(trends_csv(p, &options)?)
        } else {
            if let Some(name) = CSV_ONLY.iter().find(|k| p.contains_key(**k)) {
                return Err(ApiError::bad(name, "only for /api/v1/trends.csv".into()));
            }
            Format::Json
        };
        let totals =
            trends::all_totals_with(s.store.as_ref(), &q, &options).map_err(ApiError::store)?;
        Ok(Job {
            store: s.store.clone(),
            query: q,
            options,
            totals,
            format,
        })
    }

    /// The body: whole when small or wide, else streamed.
    fn answer(self, work: &StoreWork) -> Result<Answer, ApiError> {
        let points = self.query.series_count() * self.query.bucket_count();
        let wide = matches!(
            self.format,
            Format::Csv(TrendsCsv {
                layout: Layout::Wide(_),
                ..
            })
        );
        if !wide && points > WHOLE_MAX_POINTS {
            return Ok(Answer::Streamed(SeriesBody {
                job: Arc::new(self),
                work: work.clone(),
                step: Step::Head,
                pending: None,
            }));
        }
        self.whole()
            .map(|body| Answer::Whole(Encoded::plain(body)))
            .map_err(|e| match e {
                BodyError::Store(e) | BodyError::Csv(ExportError::Store(e)) => ApiError::store(e),
                other => {
                    tracing::error!(error = %other, "A trends body failed.");
                    ApiError::internal("the request failed: see the server log".into())
                }
            })
    }

    /// The whole body at once: the same chunks as the streamed one, or the
    /// wide CSV.
    fn whole(&self) -> Result<Bytes, BodyError> {
        if let Format::Csv(
            csv @ TrendsCsv {
                layout: Layout::Wide(value),
                ..
            },
        ) = self.format
        {
            let series = trends::all_series_with(
                self.store.as_ref(),
                &self.query,
                &self.options,
                &self.totals,
            )?;
            let mut out = Vec::new();
            csv.write_wide(&mut out, &self.query, &series, value)?;
            return Ok(out.into());
        }
        let mut out = self.head()?.to_vec();
        for i in 0..self.query.series_count() {
            out.extend_from_slice(&self.series(i)?);
        }
        if let Some(tail) = self.tail() {
            out.extend_from_slice(&tail);
        }
        Ok(out.into())
    }

    /// What comes before the first series.
    fn head(&self) -> Result<Bytes, BodyError> {
        match self.format {
            Format::Json => {
                let q = &self.query;
                let mut out = serde_json::to_vec(&Head {
                    geo: &q.geo_list(),
                    metric: q.metric.as_str(),
                    interval: q.interval.as_str(),
                    from: q.from.to_string(),
                    to: q.to.to_string(),
                })?;
                // `{...}` becomes `{...,"series":[`.
                out.pop();
                out.extend_from_slice(br#","series":["#);
                Ok(out.into())
            }
            Format::Csv(csv) => {
                let mut out = Vec::new();
                csv.write_head(&mut out)?;
                Ok(out.into())
            }
        }
    }

    /// Series `i` (in [`TrendQuery::series_order`]), computed now.
    fn series(&self, i: usize) -> Result<Bytes, BodyError> {
        let geos = self.query.geo_count();
        let (skill, geo) = (i / geos, i % geos);
        let series = trends::series_with(
            self.store.as_ref(),
            &self.query,
            &self.options,
            &self.query.skills[skill],
            &self.query.geos[geo],
            &self.totals[geo],
        )?;
        let mut out = Vec::new();
        match self.format {
            Format::Json => {
                if i > 0 {
                    out.push(b',');
                }
                series.write_json(&mut out);
            }
            Format::Csv(csv) => csv.write_rows(&mut out, &self.query, &series)?,
        }
        Ok(out.into())
    }

    /// What comes after the last series.
    fn tail(&self) -> Option<Bytes> {
        match self.format {
            Format::Json => Some(Bytes::from_static(b"]}")),
            Format::Csv(_) => None,
        }
    }
}

/// Where a body is.
#[derive(Debug, Clone, Copy)]
enum Step {
    Head,
    Series(usize),
    Done,
}

/// The streamed body of a trends response: head, one chunk per series, tail.
struct SeriesBody {
    job: Arc<Job>,
    /// Each series is computed when its turn comes, like a whole answer.
    work: StoreWork,
    step: Step,
    pending: Option<Pending>,
}

/// A series being computed.
type Pending =
    Pin<Box<dyn Future<Output = Result<Result<Bytes, BodyError>, WorkError>> + Send + Sync>>;

impl futures_util::Stream for SeriesBody {
    type Item = Result<Bytes, BodyError>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = &mut *self;
        loop {
            if let Some(handle) = this.pending.as_mut() {
                let result = ready!(Pin::new(handle).poll(cx));
                this.pending = None;
                return Poll::Ready(Some(
                    this.check(result.map_err(BodyError::from).and_then(|r| r)),
                ));
            }
            match this.step {
                Step::Head => {
                    this.step = Step::Series(0);
                    let head = this.job.head();
                    return Poll::Ready(Some(this.check(head)));
                }
                Step::Series(i) if i < this.job.query.series_count() => {
                    this.step = Step::Series(i + 1);
                    let job = this.job.clone();
                    let work = this.work.clone();
                    this.pending = Some(Box::pin(
                        async move { work.run(move || job.series(i)).await },
                    ));
                }
                Step::Series(_) => {
                    this.step = Step::Done;
                    if let Some(tail) = this.job.tail() {
                        return Poll::Ready(Some(Ok(tail)));
                    }
                }
                Step::Done => return Poll::Ready(None),
            }
        }
    }
}

impl SeriesBody {
    /// Passes a chunk on; after an error, logs it and ends the body.
    fn check(&mut self, chunk: Result<Bytes, BodyError>) -> Result<Bytes, BodyError> {
        if let Err(error) = &chunk {
            tracing::error!(%error, geo = %self.job.query.geo_list(), "Trends response cut short.");
            self.step = Step::Done;
        }
        chunk
    }
}

/// How a `.csv` request is written: its CSV options, and the layout —
/// `wide` (a flag) with `value` (`count`, `share` or `total`; default
/// `share`, only with `wide`), refused with `index` or `compare`.
fn trends_csv(p: &Params, options: &Options) -> Result<TrendsCsv, ApiError> {
    let value = p
        .get("value")
        .map(|name| {
            WideValue::parse(name).ok_or_else(|| {
                ApiError::bad(
                    "value",
                    format!("{name:?} is not a value: use count, share or total"),
                )
            })
        })
        .transpose()?;
    let wide = query::flag(p, "wide")?;
    if value.is_some() && !wide {
        return Err(ApiError::bad("value", "only with wide=true".into()));
    }
    let wide = wide.then(|| value.unwrap_or_default());
    TrendsCsv::new(csv_options(p)?, options, wide)
        .map_err(|e| ApiError::bad(e.param, e.to_string()))
}

/// The CSV options of a `.csv` request: `delimiter` (`,`, `;` or `tab`),
/// `bom` and `decimal` (`point` or `comma`; by default a comma with `;`, a
/// point otherwise).
pub(super) fn csv_options(p: &Params) -> Result<CsvOptions, ApiError> {
    let delimiter = match p.get("delimiter").map(String::as_str) {
        None | Some(",") => b',',
        Some(";") => b';',
        Some("tab") | Some("\t") => b'\t',
        Some(other) => {
            return Err(ApiError::bad(
                "delimiter",
                format!("{other:?} is not a delimiter: use , ; or tab"),
            ))
        }
    };
    let decimal = p
        .get("decimal")
        .map(|name| {
            DecimalMark::parse(name).ok_or_else(|| {
                ApiError::bad(
                    "decimal",
                    format!("{name:?} is not a decimal mark: use point or comma"),
                )
            })
        })
        .transpose()?;
    Ok(CsvOptions::new(delimiter, query::flag(p, "bom")?, decimal))
}
