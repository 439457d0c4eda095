//! The dashboard: `GET /` serves one HTML page and `GET /assets/{name}` its
//! scripts, style sheet and map, all embedded in the binary
//! (`include_bytes!`), so the page works offline and needs no build step.
//!
//! The page reads only the JSON API (`/api/v1/skills`, `geos`, `trends`,
//! `top`, `postings`) and links to its CSV routes: it computes no count of
//! its own. Its files are in `src/api/dashboard/`; the map is
//! `data/maps/france.json` (provenance in `data/README.md`).
//!
//! Every answer carries a strong `ETag` (a hash of the file's bytes) and
//! `Cache-Control: no-cache`: browsers keep the files and revalidate them,
//! and an `If-None-Match` naming the tag gets a `304` with no body. An
//! unknown asset is a JSON `404` like any unknown route. A client that
//! accepts gzip gets the files compressed (made once, at the first request
//! for each), under their own tags ([`super::coding`]).

use std::collections::HashMap;
use std::sync::LazyLock;

use warp::http::{header, HeaderValue, Response, StatusCode};
use warp::hyper::body::Bytes;
use warp::{Filter, Rejection};

use super::coding::{self, Coding, Encoded};
use super::etag::ETag;
use super::{get_or_head, negotiation, ApiError, Negotiation};

/// One embedded file.
#[derive(Debug, Clone, Copy)]
pub struct Asset {
    /// The name under `/assets/` (the page itself is served at `/`).
    pub name: &'static str,
    /// Its `Content-Type`.
    pub content_type: &'static str,
    /// Its bytes.
    pub body: &'static [u8],
}

const HTML: &str = "text/html; charset=utf-8";
const JS: &str = "text/javascript; charset=utf-8";
const CSS: &str = "text/css; charset=utf-8";
const JSON: &str = "application/json";

/// The page served at `/`.
pub const INDEX: Asset = Asset {
    name: "index.html",
    content_type: HTML,
    body: include_bytes!("dashboard/index.html"),
};

/// The files served under `/assets/`.
pub const ASSETS: &[Asset] = &[
    Asset {
        name: "app.js",
        content_type: JS,
        body: include_bytes!("dashboard/app.js"),
    },
    Asset {
        name: "api.js",
        content_type: JS,
        body: include_bytes!("dashboard/api.js"),
    },
    Asset {
        name: "chart.js",
        content_type: JS,
        body: include_bytes!("dashboard/chart.js"),
    },
    Asset {
        name: "map.js",
        content_type: JS,
        body: include_bytes!("dashboard/map.js"),
    },
    Asset {
        name: "i18n.js",
        content_type: JS,
        body: include_bytes!("dashboard/i18n.js"),
    },
    Asset {
        name: "style.css",
        content_type: CSS,
        body: include_bytes!("dashboard/style.css"),
    },
    Asset {
        name: "france.json",
        content_type: JSON,
        body: include_bytes!("../../data/maps/france.json"),
    },
];

/// The page's content security policy: its own files only, no inline
/// script.
const CSP: &str = "default-src 'self'; img-src 'self' data:; style-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

/// The asset called `name`, if there is one.
pub fn asset(name: &str) -> Option<&'static Asset> {
    ASSETS.iter().find(|a| a.name == name)
}

/// `GET /` and `GET /assets/{name}` (and HEAD).
pub(super) fn routes() -> impl Filter<Extract = (Response<Bytes>,), Error = Rejection> + Clone {
    let index = warp::path::end()
        .and(get_or_head())
        .and(negotiation())
        .map(|asked: Negotiation| respond(&INDEX, &asked));
    let assets = warp::path!("assets" / String)
        .and(get_or_head())
        .and(negotiation())
        .map(|name: String, asked: Negotiation| match asset(&name) {
            Some(a) => respond(a, &asked),
            None => ApiError::new(
                StatusCode::NOT_FOUND,
                "not_found",
                format!("no asset {name:?}"),
            )
            .response(),
        });
    index.or(assets).unify()
}

/// The tags of [`INDEX`] and [`ASSETS`] by file name, hashed once: the
/// files change only with the binary.
static TAGS: LazyLock<HashMap<&'static str, ETag>> = LazyLock::new(|| {
    std::iter::once(&INDEX)
        .chain(ASSETS)
        .map(|a| (a.name, ETag::of_bytes(a.body)))
        .collect()
});

/// The tag of `asset`.
fn tag_of(asset: &Asset) -> ETag {
    TAGS.get(asset.name)
        .cloned()
        .unwrap_or_else(|| ETag::of_bytes(asset.body))
}

/// The files compressed with gzip, by name (None: too short to be worth
/// it), made once.
static GZIPPED: LazyLock<HashMap<&'static str, Option<Bytes>>> = LazyLock::new(|| {
    std::iter::once(&INDEX)
        .chain(ASSETS)
        .map(|a| (a.name, coding::gzip(a.body)))
        .collect()
});

/// `asset`'s response: its bytes (compressed when the client takes gzip),
/// or a `304` when the client has them.
fn respond(asset: &Asset, asked: &Negotiation) -> Response<Bytes> {
    let tag = tag_of(asset);
    let mut r = if let Some(held) = tag.matched(asked.if_none_match.as_deref()) {
        held.not_modified()
    } else {
        let compressed = match asked.coding {
            Coding::Gzip => GZIPPED.get(asset.name).cloned().flatten(),
            Coding::Identity => None,
        };
        let body = match compressed {
            Some(body) => Encoded {
                body,
                coding: Coding::Gzip,
            },
            None => Encoded::plain(Bytes::from_static(asset.body)),
        };
        let mut r = body.response(&tag);
        r.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static(asset.content_type),
        );
        r
    };
    let headers = r.headers_mut();
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    if asset.content_type == HTML {
        headers.insert(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(CSP),
        );
    }
    r
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_asset_has_a_unique_name_and_a_body() {
        for (i, a) in ASSETS.iter().enumerate() {
            assert!(!a.body.is_empty(), "{} is empty", a.name);
            assert!(
                ASSETS[i + 1..].iter().all(|b| b.name != a.name),
                "{} twice",
                a.name
            );
        }
    }

    #[test]
    fn the_page_names_only_embedded_assets() {
        let page = std::str::from_utf8(INDEX.body).unwrap();
        let named: Vec<&str> = page
            .split("/assets/")
            .skip(1)
            .map(|rest| rest.split(['"', '\'']).next().unwrap_or_default())
            .collect();
        assert!(!named.is_empty());
        for name in named {
            assert!(asset(name).is_some(), "the page names {name}, not embedded");
        }
    }

    #[test]
    fn scripts_import_only_embedded_modules() {
        for a in ASSETS.iter().filter(|a| a.content_type == JS) {
            let text = std::str::from_utf8(a.body).unwrap();
            for line in text.lines().filter(|l| l.starts_with("import ")) {
                let module = line
                    .rsplit("./")
                    .next()
                    .and_then(|m| m.split(['"', '\'']).next())
                    .unwrap_or_default();
                assert!(asset(module).is_some(), "{} imports {module}", a.name);
            }
        }
    }

    #[test]
    fn nothing_is_loaded_from_another_origin() {
        // Works offline: no CDN, no font or script from elsewhere. The only
        // URL allowed is the SVG namespace, which names and loads nothing.
        const SVG_NAMESPACE: &str = "http://www.w3.org/2000/svg";
        for a in ASSETS.iter().chain([&INDEX]) {
            let text = std::str::from_utf8(a.body)
                .unwrap()
                .replace(SVG_NAMESPACE, "");
            for scheme in ["http://", "https://", "\"//", "'//"] {
                assert!(!text.contains(scheme), "{} names {scheme}", a.name);
            }
            if a.content_type == CSS {
                assert!(!text.contains("url("), "{} loads a url()", a.name);
                assert!(!text.contains("@import"), "{} imports", a.name);
            }
        }
    }

    #[test]
    fn each_file_has_its_own_tag_hashed_from_its_bytes() {
        for a in ASSETS.iter().chain([&INDEX]) {
            assert_eq!(tag_of(a), ETag::of_bytes(a.body), "{}", a.name);
        }
        let distinct: std::collections::HashSet<_> = TAGS.values().collect();
        assert_eq!(distinct.len(), ASSETS.len() + 1);
    }
}
