//! Extract: a fetched page in, raw postings (and the next page) out.
//!
//! Sources are described declaratively in `extractors/*.toml` ([`source`],
//! read strictly by `schema`); each kind of source is one variant of
//! [`Extractor`] in a file of its own ([`json`], [`html`], [`jsonld`],
//! [`rss`]), sharing [`fields`], [`paginate`] and [`follow`] (detail pages);
//! [`request`] is the JSON body of sources asked with a POST.
//! Extraction is pure: a [`Page`] in, a [`PageItems`] out, no I/O.
//! [`import`] reads the JSON Lines posting format of `skilltrack import`.

mod compile;
pub mod fields;
pub mod follow;
pub mod html;
pub mod import;
pub mod json;
pub mod jsonld;
pub mod nesting;
pub mod paginate;
pub mod path;
pub mod request;
pub mod rss;
pub(crate) mod schema;
pub mod source;
pub mod value;
pub mod xml;

use serde::Serialize;

use crate::domain::Day;

pub use source::{load_source_set, load_sources, BrokenSource, SourceDef, SourceErrors, SourceSet};

/// A posting as a source gives it, before normalization. Its text fields
/// (title, company, description, tags) are plain text: every kind, and the
/// import format, builds it through [`RawPosting::into_plain_text`].
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct RawPosting {
    /// The source's own id of the posting.
    pub external_id: String,
    /// Link to the posting.
    pub url: Option<String>,
    /// Job title.
    pub title: String,
    /// Employer.
    pub company: Option<String>,
    /// Location strings as written by the source.
    pub locations: Vec<String>,
    /// Description as plain text.
    pub description: String,
    /// Day the posting was published, when the source says.
    pub posted_at: Option<Day>,
    /// Last day the posting is open, when the source says.
    pub valid_through: Option<Day>,
    /// Remote flag, when the source says.
    pub remote: Option<bool>,
    /// Free tags (skills, categories) given by the source.
    pub tags: Vec<String>,
}

impl RawPosting {
    /// The posting with the fields that normalization reads as words
    /// (title, company, description, tags) made plain text by
    /// [`value::plain_text`]: the last step of reading a posting, so that
    /// HTML and character references are converted here, once, and never
    /// again downstream. Ids, URLs and locations are kept as the source
    /// wrote them.
    pub fn into_plain_text(mut self) -> RawPosting {
        make_plain(&mut self.title);
        if let Some(company) = &mut self.company {
            make_plain(company);
        }
        make_plain(&mut self.description);
        for tag in &mut self.tags {
            make_plain(tag);
        }
        self
    }
}

/// Replaces `text` by its [`value::plain_text`] when that differs.
fn make_plain(text: &mut String) {
    if let std::borrow::Cow::Owned(plain) = value::plain_text(text) {
        *text = plain;
    }
}

/// A fetched page, decoded to text.
#[derive(Debug, Clone)]
pub struct Page {
    /// The URL the page was fetched from (after redirects).
    pub url: String,
    /// The body as text.
    pub body: String,
    /// HTTP status (200, 206 for a partial range…).
    pub status: u16,
    /// Response headers, lowercase names (`content-range` for range pagination).
    pub headers: Vec<(String, String)>,
}

impl Page {
    /// A page answered 200 without headers (tests, saved pages).
    pub fn new(url: impl Into<String>, body: impl Into<String>) -> Page {
        Page {
            url: url.into(),
            body: body.into(),
            status: 200,
            headers: Vec::new(),
        }
    }
}

/// The request for the next page: a URL, the headers it needs (an HTTP
/// `Range` for range pagination) and, for a source asked with a POST
/// (`[request]`), its JSON body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NextPage {
    /// Absolute URL.
    pub url: String,
    /// Extra request headers.
    pub headers: Vec<(String, String)>,
    /// JSON text POSTed to `url`; `None`: a GET.
    pub body: Option<String>,
}

impl NextPage {
    /// Whether the request is a plain GET of its URL (no headers or body of
    /// its own), so that the URL alone names its page: only such pages are
    /// asked conditionally and remembered as a next page.
    pub fn is_plain(&self) -> bool {
        self.headers.is_empty() && self.body.is_none()
    }

    /// A plain GET of `url`.
    pub fn get(url: impl Into<String>) -> NextPage {
        NextPage {
            url: url.into(),
            headers: Vec::new(),
            body: None,
        }
    }
}

/// One item of a page that could not become a posting.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("item {index}: {why}")]
pub struct ItemError {
    /// Position of the item in its page (0-based).
    pub index: usize,
    /// What was wrong.
    pub why: String,
}

/// What one page held.
#[derive(Debug, Default)]
pub struct PageItems {
    /// Postings, or why an item was rejected; the good ones still go through.
    pub items: Vec<Result<RawPosting, ItemError>>,
    /// The next list page, when there is one.
    pub next: Option<NextPage>,
    /// Detail pages to fetch (absolute URLs); each is read with
    /// [`Extractor::extract_detail`].
    pub follow: Vec<String>,
}

/// A page that is not what the source's kind expects.
#[derive(Debug, thiserror::Error)]
pub enum ExtractError {
    /// The body is not JSON (an HTML error page, a truncated body…).
    #[error("page {url} is not valid JSON ({cause}); starts with {start:?}")]
    NotJson {
        /// The page's URL.
        url: String,
        /// The parser's message.
        cause: String,
        /// The first characters of the body, to recognise an HTML error page.
        start: String,
    },
    /// The body is not HTML (JSON, empty) where the kind reads web pages.
    #[error("page {url} is not an HTML page; starts with {start:?}")]
    NotHtml {
        /// The page's URL.
        url: String,
        /// The first characters of the body.
        start: String,
    },
    /// The body is not a feed or sitemap where one was expected.
    #[error("page {url} is not an RSS/Atom feed or sitemap ({cause}); starts with {start:?}")]
    NotFeed {
        /// The page's URL.
        url: String,
        /// What is wrong.
        cause: String,
        /// The first characters of the body.
        start: String,
    },
    /// An HTML page nesting tags so deeply that building it would take
    /// minutes (see [`nesting`]).
    #[error("page {url} nests its tags too deeply to be read safely (tens of thousands of unclosed elements); not parsed")]
    TooDeep {
        /// The page's URL.
        url: String,
    },
    /// A job page without any schema.org `JobPosting`.
    #[error("page {url} has no schema.org JobPosting")]
    NoJobPosting {
        /// The page's URL.
        url: String,
    },
    /// The items path does not lead to an array.
    #[error("page {url}: items path {path:?} does not lead to an array of postings")]
    NoItems {
        /// The page's URL.
        url: String,
        /// The configured path.
        path: String,
    },
}

/// A compiled source kind: how to turn one page into postings.
#[derive(Debug, Clone)]
pub enum Extractor {
    /// JSON APIs: items at a path, fields by path.
    Json(json::JsonExtractor),
    /// Web pages read with CSS selectors.
    Html(html::HtmlExtractor),
    /// schema.org `JobPosting` in JSON-LD scripts.
    JsonLd(jsonld::JsonLdExtractor),
    /// RSS and Atom feeds.
    Rss(rss::RssExtractor),
}

impl Extractor {
    /// The kind's name as written in source files.
    pub fn kind(&self) -> &'static str {
        match self {
            Extractor::Json(_) => "json",
            Extractor::Html(_) => "html",
            Extractor::JsonLd(_) => "jsonld",
            Extractor::Rss(_) => "rss",
        }
    }

    /// Extracts a list page (a start URL or a next page): postings, detail
    /// pages to follow and the next page. `page_number` counts from 0.
    pub fn extract(&self, page: &Page, page_number: u32) -> Result<PageItems, ExtractError> {
        match self {
            Extractor::Json(x) => x.extract(page, page_number),
            Extractor::Html(x) => x.extract(page, page_number),
            Extractor::JsonLd(x) => x.extract(page, page_number),
            Extractor::Rss(x) => x.extract(page, page_number),
        }
    }

    /// Extracts a detail page reached through [`PageItems::follow`].
    pub fn extract_detail(&self, page: &Page) -> Result<PageItems, ExtractError> {
        match self {
            Extractor::Json(x) => x.extract_detail(page),
            Extractor::Html(x) => x.extract_detail(page),
            Extractor::JsonLd(x) => x.extract_detail(page),
            Extractor::Rss(x) => x.extract(page, 1),
        }
    }

    /// Headers of the first request of each start URL (an HTTP `Range`).
    pub fn start_headers(&self) -> Vec<(String, String)> {
        let paginate = match self {
            Extractor::Json(x) => x.paginate.as_ref(),
            Extractor::Html(x) => x.paginate.as_ref(),
            Extractor::JsonLd(x) => x.paginate.as_ref(),
            Extractor::Rss(x) => x.paginate.as_ref(),
        };
        paginate.map(|p| p.start_headers()).unwrap_or_default()
    }

    /// Detail pages fetched at most per start URL.
    pub fn max_follow(&self) -> u64 {
        let follow = match self {
            Extractor::Json(x) => x.follow.as_ref(),
            Extractor::Html(x) => x.follow.as_ref(),
            Extractor::JsonLd(x) => Some(&x.follow),
            Extractor::Rss(_) => None,
        };
        follow.map_or(0, |f| f.max)
    }
}

/// The first `n` characters of `s`, for error messages.
pub(crate) fn head(s: &str, n: usize) -> String {
    s.chars().take(n).collect()
}
