//! Compilation of the kind-specific tables of a source file (`[items]`,
//! `[fields]`, `[paginate]`, `[follow]`) into an [`Extractor`], and of
//! `[auth]` (`[request]` is compiled by `request`). Every problem is recorded; nothing half-compiles.

use super::fields::compile_json_fields;
use super::follow::{self, Follow, FollowSyntax, LinkSource, DEFAULT_MAX_FOLLOW};
use super::html::{self, Sel};
use super::json::JsonExtractor;
use super::jsonld::{self, JsonLdExtractor};
use super::paginate::{self, Locator};
use super::path::JsonPath;
use super::request::JsonBody;
use super::rss::{self, RssExtractor};
use super::schema::{Problems, Tab};
use super::source::check_http_url;
use super::Extractor;
use crate::domain::AuthSpec;

pub(crate) fn compile_auth(t: &Tab<'_>, p: &mut Problems) -> Option<AuthSpec> {
    let before = p.list.len();
    let kind = t.req_str("kind", p)?;
    let keys: &[&str] = match kind {
        "oauth2_client_credentials" => &[
            "kind",
            "token_url",
            "client_id_env",
            "client_secret_env",
            "scope",
        ],
        "bearer" => &["kind", "token_env"],
        "header" => &["kind", "name", "value_env"],
        other => {
            p.bad(
                &t.key("kind"),
                format!("{other:?} is not an auth kind: use oauth2_client_credentials, bearer or header"),
            );
            return None;
        }
    };
    t.check_keys(keys, p);
    let env = |key: &str, p: &mut Problems| -> String {
        let v = t.req_str(key, p).unwrap_or_default();
        if !v.is_empty() && !v.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
            p.bad(
                &t.key(key),
                "must name an environment variable such as \"API_TOKEN\", not hold the secret itself (value not shown)",
            );
        }
        v.to_owned()
    };
    let spec = match kind {
        "oauth2_client_credentials" => {
            let token_url = t.req_str("token_url", p).unwrap_or_default().to_owned();
            if !token_url.is_empty() {
                check_http_url(&t.key("token_url"), &token_url, p);
            }
            AuthSpec::OAuth2 {
                token_url,
                client_id_env: env("client_id_env", p),
                client_secret_env: env("client_secret_env", p),
                scope: t.str("scope", p).map(str::to_owned),
            }
        }
        "bearer" => AuthSpec::Bearer {
            token_env: env("token_env", p),
        },
        _ => AuthSpec::Header {
            name: t.req_str("name", p).unwrap_or_default().to_owned(),
            value_env: env("value_env", p),
        },
    };
    (p.list.len() == before).then_some(spec)
}

/// Reports the tables a kind does not read.
fn unused_tables(kind: &str, root: &Tab<'_>, unused: &[&str], p: &mut Problems) {
    for key in unused {
        if root.has(key) {
            p.bad(key, format!("is not used by kind {kind:?}"));
        }
    }
}

/// Compiles the kind's tables; `body` is the source's POSTed body
/// (`[request]`), which `[paginate] field` writes into.
pub(crate) fn compile_kind(
    kind: &str,
    root: &Tab<'_>,
    body: Option<&JsonBody>,
    p: &mut Problems,
) -> Option<Extractor> {
    let before = p.list.len();
    let items = root.sub("items", p);
    let fields = root.sub("fields", p);
    let follow_tab = root.sub("follow", p);
    let paginate_tab = root.sub("paginate", p);
    let css_next = |text: &str, p: &mut Problems| match Sel::parse(text, Some("href")) {
        Ok(sel) => Some(Locator::Css(sel)),
        Err(why) => {
            p.bad("paginate.selector", why);
            None
        }
    };
    let extractor = match kind {
        "json" => {
            let paginate = paginate_tab.and_then(|t| {
                paginate::compile(
                    &t,
                    "path",
                    |text, p| match text.parse::<JsonPath>() {
                        Ok(path) => Some(Locator::Json(path)),
                        Err(e) => {
                            p.bad("paginate.path", e.to_string());
                            None
                        }
                    },
                    body,
                    p,
                )
            });
            let follow = follow_tab.and_then(|t| follow::compile(&t, FollowSyntax::Json, p));
            if let Some(t) = &items {
                t.check_keys(&["path", "skip"], p);
            }
            let items_path = items
                .as_ref()
                .and_then(|t| t.str("path", p))
                .unwrap_or("")
                .parse::<JsonPath>()
                .map_err(|e| p.bad("items.path", e.to_string()))
                .ok();
            let skip = items
                .as_ref()
                .and_then(|t| t.uint("skip", 0, p))
                .unwrap_or(0);
            let fields = compile_json_fields(fields.as_ref(), &[], p);
            Extractor::Json(JsonExtractor {
                items: items_path?,
                skip: skip as usize,
                fields: fields?,
                paginate,
                follow,
            })
        }
        "html" => {
            let paginate =
                paginate_tab.and_then(|t| paginate::compile(&t, "selector", css_next, body, p));
            let follow = follow_tab.and_then(|t| follow::compile(&t, FollowSyntax::Css, p));
            Extractor::Html(html::compile(
                items.as_ref(),
                fields.as_ref(),
                paginate,
                follow,
                p,
            )?)
        }
        "jsonld" => {
            unused_tables(kind, root, &["items"], p);
            let paginate =
                paginate_tab.and_then(|t| paginate::compile(&t, "selector", css_next, body, p));
            let follow = match follow_tab {
                Some(t) => follow::compile(&t, FollowSyntax::Css, p),
                None => Some(Follow {
                    source: LinkSource::SitemapOnly,
                    url: "{}".into(),
                    matches: None,
                    max: DEFAULT_MAX_FOLLOW,
                }),
            };
            let fields = compile_json_fields(fields.as_ref(), jsonld::DEFAULT_FIELDS, p);
            Extractor::JsonLd(JsonLdExtractor::new(fields?, follow?, paginate))
        }
        _ => {
            unused_tables(kind, root, &["items", "follow"], p);
            let paginate = paginate_tab.and_then(|t| {
                paginate::compile(
                    &t,
                    "path",
                    |_, p| {
                        p.bad(
                            "paginate.kind",
                            "\"next\" is not available for feeds: use page or offset",
                        );
                        None
                    },
                    body,
                    p,
                )
            });
            let fields = compile_json_fields(fields.as_ref(), rss::DEFAULT_FIELDS, p);
            Extractor::Rss(RssExtractor {
                fields: fields?,
                paginate,
            })
        }
    };
    (p.list.len() == before).then_some(extractor)
}
