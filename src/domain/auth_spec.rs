//! How a source authenticates: the names of the environment variables that
//! hold its credentials, never their values. Written in a source file
//! (`[auth]`, read by `extract`), used by `fetch`, which reads the secrets
//! and keeps the token cache.

/// How a source authenticates (names of environment variables, never values).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AuthSpec {
    /// OAuth2 client credentials grant.
    OAuth2 {
        /// Token endpoint (absolute URL, query included, e.g. France Travail's `?realm=`).
        token_url: String,
        /// Variable holding the client id.
        client_id_env: String,
        /// Variable holding the client secret.
        client_secret_env: String,
        /// Scope requested, if any.
        scope: Option<String>,
    },
    /// `Authorization: Bearer <token>`.
    Bearer {
        /// Variable holding the token.
        token_env: String,
    },
    /// A custom header (`X-Api-Key: <value>`).
    Header {
        /// Header name.
        name: String,
        /// Variable holding the value.
        value_env: String,
    },
}

impl AuthSpec {
    /// The environment variables it needs.
    pub fn env_vars(&self) -> Vec<&str> {
        match self {
            AuthSpec::OAuth2 {
                client_id_env,
                client_secret_env,
                ..
            } => vec![client_id_env, client_secret_env],
            AuthSpec::Bearer { token_env } => vec![token_env],
            AuthSpec::Header { value_env, .. } => vec![value_env],
        }
    }

    /// The environment variables it needs that are not set (or set empty).
    /// Only whether they hold a value is looked at; the value is not kept.
    pub fn missing_env(&self) -> Vec<String> {
        self.env_vars()
            .into_iter()
            .filter(|v| !std::env::var(v).is_ok_and(|value| !value.is_empty()))
            .map(str::to_owned)
            .collect()
    }
}
