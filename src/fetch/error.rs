//! Why a page could not be fetched: one variant per cause, each naming the
//! URL (and the host, header or origins involved), never a secret.

use super::host::HostKey;

/// Why a page could not be fetched.
#[derive(Debug, thiserror::Error)]
pub enum FetchError {
    /// The URL does not parse or is not http(s).
    #[error("invalid URL {url:?}: {why}")]
    BadUrl {
        /// The URL.
        url: String,
        /// Why.
        why: String,
    },
    /// The HTTP client could not be built.
    #[error("cannot build the HTTP client: {0}")]
    Client(String),
    /// A request header has an invalid name or value (the value is not shown: it may be a secret).
    #[error(
        "{url}: request header {name:?} is invalid ({why}); check the source's headers and auth"
    )]
    BadHeader {
        /// The URL.
        url: String,
        /// The header's name.
        name: String,
        /// What is wrong.
        why: String,
    },
    /// Transport failure (connection, timeout, broken body) after every attempt.
    #[error("GET {url} failed after {attempts} attempt(s): {cause}")]
    Transport {
        /// The URL.
        url: String,
        /// Attempts made.
        attempts: u32,
        /// Last error.
        cause: String,
    },
    /// A non-success HTTP status (after retries when retryable).
    #[error("GET {url} answered HTTP {status}")]
    Status {
        /// The URL.
        url: String,
        /// The status.
        status: u16,
    },
    /// The body exceeded the cap.
    #[error("GET {url}: body larger than {limit} bytes, abandoned")]
    TooLarge {
        /// The URL.
        url: String,
        /// The cap.
        limit: usize,
    },
    /// Too many redirects, a redirect loop, or a redirect to a non-http(s) URL.
    #[error("GET {url}: bad redirect: {cause}")]
    Redirect {
        /// The URL.
        url: String,
        /// What was wrong.
        cause: String,
    },
    /// A form POST (an OAuth2 token request: it holds the client secret) was
    /// redirected to another origin: the form is never sent there.
    #[error("POST {url}: redirected from {from} to {to}; a form (it may hold credentials) is never sent to another origin: use the final token URL instead")]
    FormAcrossOrigins {
        /// The URL posted to.
        url: String,
        /// The origin the form was meant for.
        from: HostKey,
        /// The origin the redirect pointed to.
        to: HostKey,
    },
    /// The host timed out too often in this run: the request was not sent.
    #[error("GET {url}: not requested, {host} timed out {timeouts} time(s) in this run (host_timeout_limit); its remaining requests wait for the next run")]
    HostSkipped {
        /// The URL.
        url: String,
        /// The host.
        host: HostKey,
        /// Its timed-out attempts in this run.
        timeouts: u32,
    },
    /// robots.txt disallows the URL (or is unavailable): it was not requested.
    #[error("GET {url}: not requested, {why}")]
    RobotsDisallowed {
        /// The URL.
        url: String,
        /// Which rule (disallowed, or robots.txt unavailable).
        why: String,
    },
    /// The run's deadline passed before the request was done.
    #[error("GET {url}: run deadline reached")]
    Deadline {
        /// The URL.
        url: String,
    },
}

impl FetchError {
    /// The HTTP status behind the error, if any.
    pub fn status(&self) -> Option<u16> {
        match self {
            FetchError::Status { status, .. } => Some(*status),
            _ => None,
        }
    }
}
