//! The admin routes: `POST /api/v1/sources/{id}/run` starts a run now (202
//! with its id; 409 while one is going; 404 with a suggestion for an
//! unknown id) and `POST /api/v1/reload` reads the source definitions again
//! (200 with what changed; 422 listing every problem, the running set
//! kept). Both act through [`Collection`](super::collection::Collection).
//!
//! Both need `Authorization: Bearer <token>` equal to the configured
//! [`AdminToken`]: none configured → 403 saying how to set one; missing or
//! wrong → 401 with `WWW-Authenticate: Bearer`. The token is compared in
//! constant time and never logged or shown. Browsers on other origins
//! cannot call them: the CORS preflight allows GET and HEAD only.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize};
use subtle::ConstantTimeEq;
use warp::http::{header, HeaderValue, Response, StatusCode};
use warp::hyper::body::Bytes;
use warp::{Filter, Rejection};

use super::collection::{ReloadError, ReloadOutcome, TriggerError};
use super::{json, ApiError, AppState};

/// The path templates of the admin routes (POST only).
pub const TEMPLATES: &[&str] = &["/api/v1/sources/{id}/run", "/api/v1/reload"];

/// The secret the admin routes ask for (`SKILLTRACK_ADMIN_TOKEN`, `[api]
/// admin_token`). It never prints: `Debug` shows a placeholder. Shared,
/// not copied, when the server's state is cloned for each request.
#[derive(Clone, PartialEq, Eq)]
pub struct AdminToken(std::sync::Arc<str>);

impl AdminToken {
    /// The token `text`, or None when it is blank (no token: the admin
    /// routes answer 403).
    pub fn new(text: &str) -> Option<AdminToken> {
        let text = text.trim();
        (!text.is_empty()).then(|| AdminToken(text.into()))
    }

    /// Whether `presented` is the token, compared in constant time (the
    /// time depends on the lengths only, never on where they differ).
    pub fn matches(&self, presented: &str) -> bool {
        self.0.as_bytes().ct_eq(presented.as_bytes()).into()
    }

    /// The token itself, to send it (`skilltrack run` asking the server).
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for AdminToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("AdminToken(<redacted>)")
    }
}

impl<'de> Deserialize<'de> for AdminToken {
    /// A blank token in a file is refused (remove the key to turn the
    /// routes off).
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<AdminToken, D::Error> {
        let text = String::deserialize(d)?;
        AdminToken::new(&text).ok_or_else(|| {
            serde::de::Error::custom("admin_token is blank: give a secret, or remove the key")
        })
    }
}

/// `POST /api/v1/sources/{id}/run` and `POST /api/v1/reload`.
pub(super) fn routes(
    state: AppState,
) -> impl Filter<Extract = (Response<Bytes>,), Error = Rejection> + Clone {
    let with_state = warp::any().map(move || state.clone());
    let authorization = warp::header::optional::<String>("authorization");
    let trigger = warp::path!("api" / "v1" / "sources" / String / "run")
        .and(warp::post())
        .and(authorization)
        .and(with_state.clone())
        .map(|id: String, auth: Option<String>, s: AppState| {
            match authorize(&s, auth.as_deref()) {
                Ok(()) => respond(trigger(&s, &id)),
                Err(refused) => refused.response(),
            }
        });
    let reload = warp::path!("api" / "v1" / "reload")
        .and(warp::post())
        .and(authorization)
        .and(with_state)
        .then(|auth: Option<String>, s: AppState| async move {
            if let Err(refused) = authorize(&s, auth.as_deref()) {
                return refused.response();
            }
            // Reading and compiling the files is blocking work.
            match tokio::task::spawn_blocking(move || reload(&s)).await {
                Ok(response) => respond(response),
                Err(error) => {
                    tracing::error!(%error, "The reload failed.");
                    ApiError::internal("the reload failed: see the server log".into()).response()
                }
            }
        });
    trigger.or(reload).unify()
}

/// The `405` of an admin path asked with another method than POST.
pub(super) fn method_not_allowed() -> Response<Bytes> {
    let mut r = ApiError::new(
        StatusCode::METHOD_NOT_ALLOWED,
        "method_not_allowed",
        "this route only answers POST".into(),
    )
    .response();
    r.headers_mut()
        .insert(header::ALLOW, HeaderValue::from_static("POST"));
    r
}

fn respond(result: Result<Response<Bytes>, ApiError>) -> Response<Bytes> {
    result.unwrap_or_else(|e| e.response())
}

/// Why an admin request is refused before it acts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Refusal {
    /// No token configured (403).
    NoToken,
    /// The token is missing or wrong (401).
    BadToken,
}

impl Refusal {
    /// The 403, saying how to configure a token, or the 401 with
    /// `WWW-Authenticate: Bearer`.
    fn response(self) -> Response<Bytes> {
        match self {
            Refusal::NoToken => ApiError::new(
                StatusCode::FORBIDDEN,
                "admin_disabled",
                "the admin routes are off: set SKILLTRACK_ADMIN_TOKEN (or [api] admin_token in the config file) and restart the server".into(),
            )
            .response(),
            Refusal::BadToken => {
                let mut r = ApiError::new(
                    StatusCode::UNAUTHORIZED,
                    "unauthorized",
                    "send the admin token as `Authorization: Bearer <token>`".into(),
                )
                .response();
                r.headers_mut().insert(
                    header::WWW_AUTHENTICATE,
                    HeaderValue::from_static("Bearer realm=\"skilltrack admin\""),
                );
                r
            }
        }
    }
}

/// Checks the bearer token. Refusals are logged without the token
/// presented.
fn authorize(s: &AppState, authorization: Option<&str>) -> Result<(), Refusal> {
    let Some(token) = &s.admin_token else {
        return Err(Refusal::NoToken);
    };
    let presented = authorization.and_then(bearer);
    if presented.is_some_and(|p| token.matches(p)) {
        return Ok(());
    }
    tracing::warn!(
        token_sent = presented.is_some(),
        "Admin request refused: wrong or missing token."
    );
    Err(Refusal::BadToken)
}

/// The token of an `Authorization: Bearer <token>` value.
fn bearer(value: &str) -> Option<&str> {
    let (scheme, token) = value.trim().split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then(|| token.trim())
        .filter(|t| !t.is_empty())
}

/// The collection, or a 503 when this server collects nothing.
fn collection(s: &AppState) -> Result<&dyn super::collection::Collection, ApiError> {
    s.collection.as_deref().ok_or_else(|| {
        ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "not_collecting",
            "this server collects nothing (started with --no-schedule)".into(),
        )
    })
}

#[derive(Serialize)]
struct TriggerBody<'a> {
    run_id: &'a str,
    source: &'a str,
}

fn trigger(s: &AppState, id: &str) -> Result<Response<Bytes>, ApiError> {
    let collection = collection(s)?;
    match collection.trigger(id) {
        Ok(run) => {
            tracing::info!(source = %run.source, run_id = %run.run_id, "Run requested over the API.");
            Ok(json(
                StatusCode::ACCEPTED,
                &TriggerBody {
                    run_id: &run.run_id,
                    source: &run.source,
                },
            ))
        }
        Err(e @ TriggerError::UnknownSource(_)) => {
            let ids: Vec<String> = collection.sources().into_iter().map(|i| i.id).collect();
            let hint = crate::domain::suggest(id, ids.iter().map(String::as_str))
                .map(|s| format!(" Did you mean {s:?}?"))
                .unwrap_or_default();
            Err(ApiError::new(
                StatusCode::NOT_FOUND,
                "unknown_source",
                format!("{e}.{hint} Known sources: {}", ids.join(", ")),
            ))
        }
        Err(e @ TriggerError::AlreadyRunning(_)) => Err(ApiError::new(
            StatusCode::CONFLICT,
            "already_running",
            format!("{e}: wait for it to finish"),
        )),
        Err(e @ TriggerError::ShuttingDown) => Err(ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "shutting_down",
            e.to_string(),
        )),
    }
}

#[derive(Serialize)]
struct ReloadBody<'a> {
    sources: usize,
    added: &'a [String],
    removed: &'a [String],
    changed: &'a [String],
}

#[derive(Serialize)]
struct RefusedBody<'a> {
    error: RefusedInner<'a>,
}

#[derive(Serialize)]
struct RefusedInner<'a> {
    code: &'static str,
    message: String,
    problems: &'a [String],
}

fn reload(s: &AppState) -> Result<Response<Bytes>, ApiError> {
    match collection(s)?.reload() {
        Ok(ReloadOutcome {
            sources,
            added,
            removed,
            changed,
        }) => Ok(json(
            StatusCode::OK,
            &ReloadBody {
                sources,
                added: &added,
                removed: &removed,
                changed: &changed,
            },
        )),
        Err(e @ ReloadError { .. }) => Ok(json(
            StatusCode::UNPROCESSABLE_ENTITY,
            &RefusedBody {
                error: RefusedInner {
                    code: "invalid_sources",
                    message: e.to_string(),
                    problems: &e.problems,
                },
            },
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_token_matches_itself_only_and_never_prints() {
        let token = AdminToken::new(" s3cret ").unwrap();
        assert!(token.matches("s3cret"));
        for other in ["", "s3cre", "s3cret!", "S3CRET", "s3crex"] {
            assert!(!token.matches(other), "{other}");
        }
        assert!(!format!("{token:?}").contains("s3cret"));
        assert!(AdminToken::new("  ").is_none());
    }

    #[test]
    fn bearer_values_are_read_case_insensitively_and_others_refused() {
        assert_eq!(bearer("Bearer abc"), Some("abc"));
        assert_eq!(bearer("bearer  abc "), Some("abc"));
        assert_eq!(bearer("Basic abc"), None);
        assert_eq!(bearer("Bearer"), None);
        assert_eq!(bearer("Bearer "), None);
        assert_eq!(bearer("abc"), None);
    }
}
