//! The trends routes, `/api/v1/trends` (JSON) and `/api/v1/trends.csv`.
//!
//! A request is validated and the totals (the shares' denominator) read
//! before the response starts, so a bad query or a failing store still gets
//! its JSON error and status. The series then follow one at a time, each
//! computed on the blocking pool when the body asks for it: memory holds one
//! series (at most [`MAX_RANGE_DAYS`](crate::trends::MAX_RANGE_DAYS) points),
//! not the whole response, and nothing is computed ahead of a slow reader.
//! A store failure mid-body ends the response early (the connection is
//! closed without the body's end), so a cut answer never looks complete.
//!
//! `smooth`, `index` and `compare` shape the JSON points only; on the CSV
//! route they are a 400 until the CSV writer carries those columns.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{ready, Context, Poll};

use serde::Serialize;
use warp::http::{header, HeaderValue};
use warp::hyper::body::Bytes;
use warp::Reply;

use super::query::{self, ApiError};
use super::{AppState, Params};
use crate::domain::Day;
use crate::export::{self, CsvOptions, DecimalMark, ExportError};
use crate::store::{CountStore, StoreError};
use crate::trends::{self, Options, TrendQuery};

/// Query parameters the trends routes know.
const KNOWN: [&str; 12] = [
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
];

/// Parameters the JSON route knows and the CSV route does not write yet.
const JSON_ONLY: [&str; 3] = ["smooth", "index", "compare"];

/// Answers one trends request (`csv`: the `.csv` route).
pub(super) async fn handler(state: AppState, params: Params, csv: bool) -> warp::reply::Response {
    match tokio::task::spawn_blocking(move || Job::start(&state, &params, csv)).await {
        Ok(Ok(job)) => job.response(),
        Ok(Err(e)) => e.response().into_response(),
        Err(error) => {
            tracing::error!(%error, "A trends request failed.");
            ApiError::internal("the request failed: see the server log".into())
                .response()
                .into_response()
        }
    }
}

/// How the series are written.
#[derive(Debug, Clone, Copy)]
enum Format {
    Json,
    Csv(CsvOptions),
}

/// A validated query with its totals: everything the body is made from.
struct Job {
    store: Arc<dyn CountStore>,
    query: TrendQuery,
    options: Options,
    totals: Vec<(Day, i64)>,
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
    Task(#[from] tokio::task::JoinError),
}

impl Job {
    /// Validates the request and reads the totals (on the blocking pool).
    fn start(s: &AppState, p: &Params, csv: bool) -> Result<Job, ApiError> {
        query::known_params(p, &KNOWN)?;
        let (q, options) = query::trend_query_with_options(p, &s.normalizer, s.min_support)?;
        let format = if csv {
            if let Some(name) = JSON_ONLY.iter().find(|k| p.contains_key(**k)) {
                return Err(ApiError::bad(
                    name,
                    "not available in CSV yet: use /api/v1/trends (JSON)".into(),
                ));
            }
            Format::Csv(csv_options(p)?)
        } else {
            Format::Json
        };
        let totals =
            trends::totals_with(s.store.as_ref(), &q, &options).map_err(ApiError::store)?;
        Ok(Job {
            store: s.store.clone(),
            query: q,
            options,
            totals,
            format,
        })
    }

    /// The response: headers now, the series as the body is read.
    fn response(self) -> warp::reply::Response {
        let format = self.format;
        let body = SeriesBody {
            job: Arc::new(self),
            step: Step::Head,
            pending: None,
        };
        let mut r = warp::reply::stream(body).into_response();
        let headers = r.headers_mut();
        match format {
            Format::Json => {
                headers.insert(
                    header::CONTENT_TYPE,
                    HeaderValue::from_static("application/json"),
                );
            }
            Format::Csv(_) => {
                headers.insert(
                    header::CONTENT_TYPE,
                    HeaderValue::from_static("text/csv; charset=utf-8"),
                );
                headers.insert(
                    header::CONTENT_DISPOSITION,
                    HeaderValue::from_static("attachment; filename=\"skilltrack-trends.csv\""),
                );
            }
        }
        r
    }

    /// What comes before the first series.
    fn head(&self) -> Result<Bytes, BodyError> {
        match self.format {
            Format::Json => {
                let q = &self.query;
                let mut out = serde_json::to_vec(&Head {
                    geo: q.geo.as_str(),
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
            Format::Csv(options) => {
                let mut out = Vec::new();
                export::write_trends_csv_head(&mut out, options)?;
                Ok(out.into())
            }
        }
    }

    /// Series `i`, computed now.
    fn series(&self, i: usize) -> Result<Bytes, BodyError> {
        let skill = &self.query.skills[i];
        let series = trends::series_with(
            self.store.as_ref(),
            &self.query,
            &self.options,
            skill,
            &self.totals,
        )?;
        let mut out = Vec::new();
        match self.format {
            Format::Json => {
                if i > 0 {
                    out.push(b',');
                }
                serde_json::to_writer(&mut out, &series)?;
            }
            Format::Csv(options) => {
                export::write_trends_csv_rows(&mut out, &self.query, &series, options)?
            }
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
    step: Step,
    pending: Option<tokio::task::JoinHandle<Result<Bytes, BodyError>>>,
}

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
                Step::Series(i) if i < this.job.query.skills.len() => {
                    this.step = Step::Series(i + 1);
                    let job = this.job.clone();
                    this.pending = Some(tokio::task::spawn_blocking(move || job.series(i)));
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
            tracing::error!(%error, geo = %self.job.query.geo, "Trends response cut short.");
            self.step = Step::Done;
        }
        chunk
    }
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
