//! The reqwest client and what every request carries: the client built once
//! (default headers, timeouts, no redirect policy of its own), and the
//! caller's headers checked once per request.

use reqwest::header::{HeaderMap, HeaderName, HeaderValue, ACCEPT, USER_AGENT};

use super::{FetchConfig, FetchError, FetchRequest};

/// What the client accepts, most wanted first.
const ACCEPTED: &str = "application/json, text/html;q=0.9, application/xml;q=0.8, */*;q=0.5";

/// Builds the one client of a [`super::Fetcher`]: its `Accept` and
/// `User-Agent`, the connect and request timeouts, and no redirect policy
/// (the polite loop follows redirects hop by hop: robots.txt, politeness
/// and credentials per hop).
pub(super) fn build(config: &FetchConfig) -> Result<reqwest::Client, FetchError> {
    let mut headers = HeaderMap::new();
    headers.insert(ACCEPT, HeaderValue::from_static(ACCEPTED));
    let agent =
        HeaderValue::from_str(&config.user_agent).map_err(|source| FetchError::UserAgent {
            agent: config.user_agent.clone(),
            source,
        })?;
    headers.insert(USER_AGENT, agent);
    reqwest::Client::builder()
        .default_headers(headers)
        .connect_timeout(config.connect_timeout)
        .timeout(config.request_timeout)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .map_err(FetchError::Client)
}

/// The caller's headers, checked once (an invalid one is an error naming
/// it, never its value) and marked sensitive (HTTP/2 never indexes them).
pub(super) fn caller_headers(request: &FetchRequest) -> Result<HeaderMap, FetchError> {
    let mut map = HeaderMap::with_capacity(request.headers.len());
    for (name, value) in &request.headers {
        let bad = |why: &str| FetchError::BadHeader {
            url: request.url.clone(),
            name: name.clone(),
            why: why.to_owned(),
        };
        let name =
            HeaderName::from_bytes(name.as_bytes()).map_err(|_| bad("not a valid header name"))?;
        let mut value = HeaderValue::from_str(value)
            .map_err(|_| bad("the value has characters a header cannot carry"))?;
        value.set_sensitive(true);
        map.append(name, value);
    }
    Ok(map)
}
