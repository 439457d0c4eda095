//! One HTTP exchange: a request sent once, its answer read (the body
//! streamed up to the cap, [`super::body`]) or classified as a failure.
//! Redirects are answers here; [`super::redirect`] and the polite loop
//! ([`super::polite`]) follow them.

use std::time::{Duration, SystemTime};

use reqwest::header::{HeaderMap, CONTENT_TYPE, LOCATION, RETRY_AFTER};
use reqwest::{RequestBuilder, Response, StatusCode, Url};

use super::body::{self, BodyError};
use super::error::GaveUp;
use super::retry::{self, Failure};
use super::{FetchError, Fetched, Fetcher};
use crate::domain::error_chain;

/// One request of a redirect chain, as it is sent.
pub(super) struct Hop<'a> {
    /// Where.
    pub(super) url: Url,
    /// The form, while the request is still a POST.
    pub(super) form: Option<&'a [(String, String)]>,
    /// The JSON body, while the request is still a POST.
    pub(super) json: Option<&'a str>,
    /// The caller's headers, until the chain leaves the first origin.
    pub(super) headers: Option<&'a HeaderMap>,
}

/// What an exchange that did not fail brought.
pub(super) enum Answer {
    /// A page (2xx, or 304 with an empty body).
    Page(Fetched),
    /// A redirect to follow.
    Redirect {
        /// 301, 302, 303, 307 or 308.
        status: StatusCode,
        /// The `Location` header, as sent.
        location: String,
    },
}

/// What went wrong with one attempt.
pub(super) enum Attempt {
    /// A transport failure, classified (with the status if headers came).
    Failed {
        /// Its kind, which decides whether it is retried.
        failure: Failure,
        /// The status, when the failure came while reading the body.
        status: Option<u16>,
        /// The error.
        error: reqwest::Error,
    },
    /// A status other than 2xx/304 (or a redirect without `Location`), with its `Retry-After`.
    Status(StatusCode, Option<Duration>),
    /// The body passed the cap (status, cap).
    TooLarge(u16, usize),
}

impl Attempt {
    fn failed(error: reqwest::Error, status: Option<u16>) -> Attempt {
        Attempt::Failed {
            failure: Failure::of(&error),
            status,
            error,
        }
    }

    /// The status the server answered, if it got that far.
    pub(super) fn status(&self) -> Option<u16> {
        match self {
            Attempt::Failed { status, .. } => *status,
            Attempt::Status(s, _) => Some(s.as_u16()),
            Attempt::TooLarge(s, _) => Some(*s),
        }
    }

    /// Whether the attempt timed out (which counts against its host).
    pub(super) fn timed_out(&self) -> bool {
        matches!(
            self,
            Attempt::Failed {
                failure: Failure::Timeout,
                ..
            }
        )
    }

    /// A one-line description for logs.
    pub(super) fn describe(&self) -> String {
        match self {
            Attempt::Failed { failure, error, .. } => format!("{failure}: {}", error_chain(error)),
            Attempt::Status(s, _) => format!("HTTP {}", s.as_u16()),
            Attempt::TooLarge(..) => "body too large".into(),
        }
    }

    /// The error reported after `attempts` attempts on `url`; `gave_up`
    /// when this attempt's timeout made the run give its host up.
    pub(super) fn into_error(
        self,
        url: &str,
        attempts: u32,
        gave_up: Option<GaveUp>,
    ) -> FetchError {
        let url = url.to_owned();
        match self {
            Attempt::Failed { failure, error, .. } => FetchError::Transport {
                url,
                attempts,
                failure,
                gave_up,
                source: error,
            },
            Attempt::Status(status, _) => FetchError::Status {
                url,
                status: status.as_u16(),
            },
            Attempt::TooLarge(_, limit) => FetchError::TooLarge { url, limit },
        }
    }
}

impl Fetcher {
    /// Sends `hop` once and reads its answer: a redirect, a failing status,
    /// or a page whose body is read up to the cap.
    pub(super) async fn attempt(&self, hop: &Hop<'_>) -> Result<Answer, Attempt> {
        let mut response = self
            .request(hop)
            .send()
            .await
            .map_err(|e| Attempt::failed(e, None))?;
        let status = response.status();
        if let Some(location) = redirect_location(&response) {
            return Ok(Answer::Redirect { status, location });
        }
        if !status.is_success() && status != StatusCode::NOT_MODIFIED {
            return Err(Attempt::Status(status, retry_after(&response)));
        }
        let (headers, content_type) = body::headers_of(&response);
        let limit = self.config.max_body_bytes;
        let code = status.as_u16();
        let bytes = body::read_capped(&mut response, limit)
            .await
            .map_err(|e| match e {
                BodyError::TooLarge => Attempt::TooLarge(code, limit),
                BodyError::Read(e) => Attempt::failed(e, Some(code)),
            })?;
        Ok(Answer::Page(body::page(
            &hop.url,
            code,
            headers,
            content_type.as_deref(),
            &bytes,
        )))
    }

    /// The request `hop` stands for: a GET, or a POST of its form or JSON
    /// body; with the caller's headers while it still carries them.
    fn request(&self, hop: &Hop<'_>) -> RequestBuilder {
        let builder = match (hop.form, hop.json) {
            (Some(form), _) => {
                let body = url::form_urlencoded::Serializer::new(String::new())
                    .extend_pairs(form.iter())
                    .finish();
                self.client
                    .post(hop.url.clone())
                    .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
                    .body(body)
            }
            (None, Some(json)) => self
                .client
                .post(hop.url.clone())
                .header(CONTENT_TYPE, "application/json")
                .body(json.to_owned()),
            (None, None) => self.client.get(hop.url.clone()),
        };
        match hop.headers {
            Some(headers) => builder.headers(headers.clone()),
            None => builder,
        }
    }
}

/// The `Location` of a redirect this client follows (a redirect without a
/// readable one is an ordinary status).
fn redirect_location(response: &Response) -> Option<String> {
    if !super::redirect::is_redirect(response.status()) {
        return None;
    }
    let location = response.headers().get(LOCATION)?.to_str().ok()?;
    Some(location.to_owned())
}

/// The response's `Retry-After`, when readable.
fn retry_after(response: &Response) -> Option<Duration> {
    let value = response.headers().get(RETRY_AFTER)?.to_str().ok()?;
    retry::parse_retry_after(value, SystemTime::now())
}
