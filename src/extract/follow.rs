//! Detail pages: `[follow]` says which links of a list page lead to pages
//! holding the postings themselves (a JSON document per posting, an HTML
//! job page, a page with JSON-LD). The pipeline fetches them; the kind reads
//! them with [`super::Extractor::extract_detail`].

use regex::Regex;
use serde_json::Value;
use url::Url;

use super::fields::compile_regex;
use super::html::Sel;
use super::path::JsonPath;
use super::schema::{Problems, Tab};
use super::value::text_from_value;

/// Detail pages fetched per start URL when `[follow] max` is not set.
pub const DEFAULT_MAX_FOLLOW: u64 = 200;

/// Where the links are on a list page.
#[derive(Debug, Clone)]
pub enum LinkSource {
    /// JSON: candidates at `items`, the link (or id) at `link` inside each,
    /// and the text tested by `matches` at `when`.
    Json {
        /// Candidates.
        items: JsonPath,
        /// Link or id inside a candidate (the candidate itself when `None`).
        link: Option<JsonPath>,
        /// Text tested by `matches` (the link when `None`).
        when: Option<JsonPath>,
    },
    /// HTML: a CSS selector, `@href` unless another attribute is named.
    Css(Sel),
    /// Only sitemaps (`<loc>` of a `urlset`) give links.
    SitemapOnly,
}

/// A compiled `[follow]`.
#[derive(Debug, Clone)]
pub struct Follow {
    /// Where links are.
    pub source: LinkSource,
    /// URL template, `{}` replaced by the link; resolved against the page URL.
    pub url: String,
    /// Only links (or `when` texts) matching this regex are followed.
    pub matches: Option<Regex>,
    /// Detail pages fetched at most per start URL.
    pub max: u64,
}

impl Follow {
    fn resolve(&self, page_url: &str, link: &str) -> Option<String> {
        let link = link.trim();
        if link.is_empty() {
            return None;
        }
        let filled = self.url.replace("{}", link);
        let url = Url::parse(page_url).ok()?.join(&filled).ok()?;
        matches!(url.scheme(), "http" | "https").then(|| url.to_string())
    }

    fn keep(&self, text: &str) -> bool {
        self.matches.as_ref().is_none_or(|re| re.is_match(text))
    }

    /// Links of a JSON list page.
    pub fn json_links(&self, doc: &Value, page_url: &str) -> Vec<String> {
        let LinkSource::Json { items, link, when } = &self.source else {
            return Vec::new();
        };
        let mut out = Vec::new();
        for candidate in items.select(doc) {
            let value = match link {
                Some(path) => path.first(candidate),
                None => Some(candidate),
            };
            let Some(value) = value.and_then(|v| text_from_value(v, "")) else {
                continue;
            };
            let tested = match when {
                Some(path) => path
                    .first(candidate)
                    .and_then(|v| text_from_value(v, " "))
                    .unwrap_or_default(),
                None => value.clone(),
            };
            if self.matches.is_some() && !self.keep(&tested) {
                continue;
            }
            out.extend(self.resolve(page_url, &value));
        }
        dedup(out)
    }

    /// Links of an HTML list page.
    pub fn html_links(&self, html: &scraper::Html, page_url: &str) -> Vec<String> {
        let LinkSource::Css(sel) = &self.source else {
            return Vec::new();
        };
        let links = sel
            .values(html.root_element())
            .into_iter()
            .filter_map(|l| self.resolve(page_url, &l))
            .filter(|u| self.keep(u))
            .collect();
        dedup(links)
    }

    /// Links of a sitemap (`<loc>` of a `urlset`), filtered by `matches`.
    pub fn sitemap_links(&self, locs: Vec<String>, page_url: &str) -> Vec<String> {
        let links = locs
            .into_iter()
            .filter_map(|l| self.resolve(page_url, &l))
            .filter(|u| self.keep(u))
            .collect();
        dedup(links)
    }
}

fn dedup(mut links: Vec<String>) -> Vec<String> {
    let mut seen = std::collections::HashSet::new();
    links.retain(|l| seen.insert(l.clone()));
    links
}

/// Whether the kind reads links with JSON paths or CSS selectors.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum FollowSyntax {
    /// JSON paths (`items`, `link`, `when`).
    Json,
    /// A CSS selector (`links`), and sitemaps.
    Css,
}

/// Compiles `[follow]`.
pub(crate) fn compile(tab: &Tab<'_>, syntax: FollowSyntax, p: &mut Problems) -> Option<Follow> {
    let before = p.list.len();
    let source = match syntax {
        FollowSyntax::Json => {
            tab.check_keys(&["items", "link", "when", "url", "matches", "max"], p);
            let path = |key: &str, p: &mut Problems| -> Option<JsonPath> {
                let text = tab.str(key, p)?;
                text.parse::<JsonPath>()
                    .map_err(|e| p.bad(&tab.key(key), e.to_string()))
                    .ok()
            };
            let items = path("items", p);
            if !tab.has("items") {
                p.bad(
                    &tab.key("items"),
                    "is required (JSON path of the candidates)",
                );
            }
            LinkSource::Json {
                link: path("link", p),
                when: path("when", p),
                items: items.unwrap_or_else(JsonPath::document),
            }
        }
        FollowSyntax::Css => {
            tab.check_keys(&["links", "url", "matches", "max"], p);
            match tab.str("links", p) {
                Some(text) => match Sel::parse(text, Some("href")) {
                    Ok(sel) => LinkSource::Css(sel),
                    Err(why) => {
                        p.bad(&tab.key("links"), why);
                        LinkSource::SitemapOnly
                    }
                },
                None => LinkSource::SitemapOnly,
            }
        }
    };
    let url = tab.str("url", p).unwrap_or("{}").to_owned();
    let matches = tab
        .str("matches", p)
        .and_then(|r| compile_regex(&tab.key("matches"), r, p));
    let max = tab.uint("max", 1, p).unwrap_or(DEFAULT_MAX_FOLLOW);
    (p.list.len() == before).then_some(Follow {
        source,
        url,
        matches,
        max,
    })
}
