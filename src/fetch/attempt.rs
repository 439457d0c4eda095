//! One HTTP exchange: a request sent once, its answer read (the body
//! streamed up to the cap) or classified as a failure. Redirects are
//! answers here; [`super::redirect`] and the fetcher's hop loop follow them.

use std::time::{Duration, SystemTime};

use reqwest::header::{HeaderMap, CONTENT_TYPE, LOCATION, RETRY_AFTER};
use reqwest::{StatusCode, Url};

use super::retry::{self, Failure};
use super::{decode, error_chain, FetchError, Fetched, Fetcher};

/// One request of a redirect chain, as it is sent.
pub(super) struct Hop<'a> {
    /// Where.
    pub(super) url: Url,
    /// The form, while the request is still a POST.
    pub(super) form: Option<&'a [(String, String)]>,
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
        /// The error and its causes, one line.
        cause: String,
    },
    /// A status other than 2xx/304 (or a redirect without `Location`), with its `Retry-After`.
    Status(StatusCode, Option<Duration>),
    /// The body passed the cap (status, cap).
    TooLarge(u16, usize),
}

impl Attempt {
    fn failed(e: &reqwest::Error, status: Option<u16>) -> Attempt {
        let failure = Failure::of(e);
        Attempt::Failed {
            failure,
            status,
            cause: format!("{}: {}", failure.name(), error_chain(e)),
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

    /// A one-line description for logs.
    pub(super) fn describe(&self) -> String {
        match self {
            Attempt::Failed { cause, .. } => cause.clone(),
            Attempt::Status(s, _) => format!("HTTP {}", s.as_u16()),
            Attempt::TooLarge(..) => "body too large".into(),
        }
    }

    /// The error reported after `attempts` attempts on `url`.
    pub(super) fn into_error(self, url: &str, attempts: u32) -> FetchError {
        let url = url.to_owned();
        match self {
            Attempt::Failed { cause, .. } => FetchError::Transport {
                url,
                attempts,
                cause,
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
    /// Sends `hop` once and reads its answer.
    pub(super) async fn attempt(&self, hop: &Hop<'_>) -> Result<Answer, Attempt> {
        let mut builder = match hop.form {
            Some(form) => {
                let body = url::form_urlencoded::Serializer::new(String::new())
                    .extend_pairs(form.iter())
                    .finish();
                self.client
                    .post(hop.url.clone())
                    .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
                    .body(body)
            }
            None => self.client.get(hop.url.clone()),
        };
        if let Some(headers) = hop.headers {
            builder = builder.headers(headers.clone());
        }
        let mut response = builder
            .send()
            .await
            .map_err(|e| Attempt::failed(&e, None))?;
        let status = response.status();
        if super::redirect::is_redirect(status) {
            if let Some(location) = response
                .headers()
                .get(LOCATION)
                .and_then(|v| v.to_str().ok())
            {
                return Ok(Answer::Redirect {
                    status,
                    location: location.to_owned(),
                });
            }
        }
        if !status.is_success() && status != StatusCode::NOT_MODIFIED {
            let retry_after = response
                .headers()
                .get(RETRY_AFTER)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| retry::parse_retry_after(v, SystemTime::now()));
            return Err(Attempt::Status(status, retry_after));
        }
        let headers: Vec<(String, String)> = response
            .headers()
            .iter()
            .filter_map(|(k, v)| Some((k.as_str().to_owned(), v.to_str().ok()?.to_owned())))
            .collect();
        let content_type = response
            .headers()
            .get(CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        let limit = self.config.max_body_bytes;
        let code = status.as_u16();
        if response.content_length().is_some_and(|n| n > limit as u64) {
            return Err(Attempt::TooLarge(code, limit));
        }
        let mut body = Vec::new();
        while let Some(chunk) = response
            .chunk()
            .await
            .map_err(|e| Attempt::failed(&e, Some(code)))?
        {
            if body.len() + chunk.len() > limit {
                return Err(Attempt::TooLarge(code, limit));
            }
            body.extend_from_slice(&chunk);
        }
        let tld = hop
            .url
            .host_str()
            .and_then(|h| h.rsplit('.').next())
            .filter(|t| t.len() >= 2 && t.bytes().all(|b| b.is_ascii_alphabetic()));
        Ok(Answer::Page(Fetched {
            url: hop.url.to_string(),
            status: code,
            bytes: body.len(),
            body: decode::decode_with_tld(&body, content_type.as_deref(), tld.map(str::as_bytes)),
            retries: 0,
            headers,
        }))
    }
}
