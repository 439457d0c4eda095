//! Authentication of API sources: OAuth2 client credentials (the token is
//! cached until shortly before it expires, then fetched again), a bearer
//! token, or a custom header. Secrets come only from environment variables,
//! are read when needed, and never appear in logs, errors or `Debug` output.
//! The token caches live here, one per source ([`Credentials`], held by the
//! [`Fetcher`]), not in the source definition, which only names the
//! variables ([`AuthSpec`]).

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::sync::Mutex;

use super::{FetchError, FetchRequest, Fetcher};
use crate::domain::{AuthSpec, SourceId};

/// A token is renewed this long before the expiry the server announced.
pub const TOKEN_MARGIN: Duration = Duration::from_secs(60);
/// Lifetime assumed when a token response gives no `expires_in`.
pub const DEFAULT_TOKEN_LIFETIME: Duration = Duration::from_secs(600);

/// Why a request could not be authenticated.
#[derive(Debug, thiserror::Error)]
pub enum AuthError {
    /// A required environment variable is not set.
    #[error(
        "environment variable {var} is not set (credentials are read from the environment only)"
    )]
    MissingEnv {
        /// The variable's name.
        var: String,
    },
    /// The token endpoint failed.
    #[error("token request failed")]
    Token(#[from] FetchError),
    /// The token endpoint answered something unusable.
    #[error("token endpoint {url} answered without a usable access_token: {why}")]
    BadToken {
        /// The token URL.
        url: String,
        /// What was wrong (never the body itself: it may hold secrets).
        why: String,
    },
}

struct Token {
    value: String,
    renew_at: Instant,
}

impl std::fmt::Debug for Token {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Token")
            .field("value", &"<redacted>")
            .field("renew_at", &self.renew_at)
            .finish()
    }
}

/// A source's authentication with its token cache. Shared (`Arc`, through
/// [`Credentials`]) by every run of the source so a token lives across runs
/// until it expires.
pub struct Auth {
    spec: AuthSpec,
    cache: Mutex<Option<Token>>,
}

impl std::fmt::Debug for Auth {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Auth").field("spec", &self.spec).finish()
    }
}

fn env(var: &str) -> Result<String, AuthError> {
    std::env::var(var)
        .ok()
        .filter(|v| !v.is_empty())
        .ok_or_else(|| AuthError::MissingEnv {
            var: var.to_owned(),
        })
}

impl Auth {
    /// An authentication with an empty token cache.
    pub fn new(spec: AuthSpec) -> Auth {
        Auth {
            spec,
            cache: Mutex::new(None),
        }
    }

    /// The specification.
    pub fn spec(&self) -> &AuthSpec {
        &self.spec
    }

    /// Forgets the cached token (after a 401).
    pub async fn invalidate(&self) {
        *self.cache.lock().await = None;
    }

    /// The headers to add to a request. `token_url` is the token endpoint to
    /// use (the spec's, or its override for mirrors and tests).
    pub async fn headers(
        &self,
        fetcher: &Fetcher,
        token_url: &str,
        interval: Option<Duration>,
    ) -> Result<Vec<(String, String)>, AuthError> {
        match &self.spec {
            AuthSpec::Bearer { token_env } => Ok(vec![(
                "Authorization".into(),
                format!("Bearer {}", env(token_env)?),
            )]),
            AuthSpec::Header { name, value_env } => Ok(vec![(name.clone(), env(value_env)?)]),
            AuthSpec::OAuth2 {
                client_id_env,
                client_secret_env,
                scope,
                ..
            } => {
                let mut cache = self.cache.lock().await;
                if let Some(token) = cache.as_ref().filter(|t| Instant::now() < t.renew_at) {
                    return Ok(vec![bearer(&token.value)]);
                }
                let mut form = vec![
                    ("grant_type".to_owned(), "client_credentials".to_owned()),
                    ("client_id".to_owned(), env(client_id_env)?),
                    ("client_secret".to_owned(), env(client_secret_env)?),
                ];
                if let Some(scope) = scope {
                    form.push(("scope".to_owned(), scope.clone()));
                }
                let fetched = fetcher
                    .fetch(&FetchRequest {
                        url: token_url.to_owned(),
                        form: Some(form),
                        interval,
                        ..FetchRequest::default()
                    })
                    .await?;
                let token = parse_token(&fetched.body).map_err(|why| AuthError::BadToken {
                    url: token_url.to_owned(),
                    why,
                })?;
                tracing::info!(token_url = %token_url, "OAuth2 token obtained.");
                let header = bearer(&token.value);
                *cache = Some(token);
                Ok(vec![header])
            }
        }
    }
}

/// The authentications of the sources, by source id: where each source's
/// token cache lives across runs.
#[derive(Debug, Default)]
pub struct Credentials {
    by_source: std::sync::Mutex<HashMap<SourceId, Arc<Auth>>>,
}

impl Credentials {
    /// The authentication of `source` described by `spec`: the one already
    /// kept (with its cached token) when the spec is unchanged, else a new
    /// one with an empty cache, kept from now on.
    pub fn auth(&self, source: &SourceId, spec: &AuthSpec) -> Arc<Auth> {
        let mut by_source = self
            .by_source
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        match by_source.get(source) {
            Some(auth) if auth.spec() == spec => auth.clone(),
            _ => {
                let auth = Arc::new(Auth::new(spec.clone()));
                by_source.insert(source.clone(), auth.clone());
                auth
            }
        }
    }
}

fn bearer(token: &str) -> (String, String) {
    ("Authorization".to_owned(), format!("Bearer {token}"))
}

fn parse_token(body: &str) -> Result<Token, String> {
    let v: serde_json::Value = serde_json::from_str(body).map_err(|e| format!("not JSON ({e})"))?;
    let value = v
        .get("access_token")
        .and_then(|t| t.as_str())
        .filter(|t| !t.is_empty())
        .ok_or_else(|| "no access_token".to_owned())?;
    let lifetime = v
        .get("expires_in")
        .and_then(|e| e.as_u64().or_else(|| e.as_str()?.parse().ok()))
        .map_or(DEFAULT_TOKEN_LIFETIME, Duration::from_secs);
    Ok(Token {
        value: value.to_owned(),
        renew_at: Instant::now() + lifetime.saturating_sub(TOKEN_MARGIN),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn token_responses() {
        let t =
            parse_token(r#"{"access_token": "abc", "token_type": "Bearer", "expires_in": 1499}"#)
                .unwrap();
        assert_eq!(t.value, "abc");
        assert!(t.renew_at > Instant::now() + Duration::from_secs(1400));
        assert!(parse_token(r#"{"error": "invalid_client"}"#)
            .unwrap_err()
            .contains("no access_token"));
    }

    #[test]
    fn a_source_keeps_its_authentication_until_its_spec_changes() {
        let credentials = Credentials::default();
        let (a, b) = (SourceId::parse("a").unwrap(), SourceId::parse("b").unwrap());
        let bearer = AuthSpec::Bearer {
            token_env: "SKILLTRACK_TEST_TOKEN".into(),
        };
        let first = credentials.auth(&a, &bearer);
        assert!(Arc::ptr_eq(&first, &credentials.auth(&a, &bearer)));
        assert!(!Arc::ptr_eq(&first, &credentials.auth(&b, &bearer)));
        let header = AuthSpec::Header {
            name: "X-Api-Key".into(),
            value_env: "SKILLTRACK_TEST_KEY".into(),
        };
        let changed = credentials.auth(&a, &header);
        assert_eq!(changed.spec(), &header);
        assert!(Arc::ptr_eq(&changed, &credentials.auth(&a, &header)));
    }

    #[test]
    fn debug_never_shows_secrets() {
        let auth = Auth::new(AuthSpec::Bearer {
            token_env: "SKILLTRACK_TEST_TOKEN".into(),
        });
        let shown = format!("{auth:?}");
        assert!(shown.contains("SKILLTRACK_TEST_TOKEN"), "{shown}");
    }
}
