//! Extract: a fetched page in, raw postings (and the next page) out.
//!
//! Sources are described declaratively in `extractors/*.toml` ([`source`]);
//! each kind of source is one variant of [`Extractor`] in a file of its own
//! ([`json`]). Extraction is pure: a [`Page`] in, a [`PageItems`] out, no I/O.
//! [`import`] reads the JSON Lines posting format of `skilltrack import`.

pub mod import;
pub mod json;
pub mod path;
pub mod source;
pub mod value;

use serde::Serialize;

use crate::domain::Day;

pub use source::{load_sources, SourceDef, SourceErrors};

/// A posting as a source gives it, before normalization.
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

/// A fetched page, decoded to text.
#[derive(Debug, Clone)]
pub struct Page {
    /// The URL the page was fetched from (after redirects).
    pub url: String,
    /// The body as text.
    pub body: String,
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
    /// The next page's URL, when there is one.
    pub next: Option<String>,
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
}

impl Extractor {
    /// Extracts the postings of one page and the URL of the next.
    pub fn extract(&self, page: &Page, page_number: u32) -> Result<PageItems, ExtractError> {
        match self {
            Extractor::Json(x) => x.extract(page, page_number),
        }
    }
}

/// The first `n` characters of `s`, for error messages.
pub(crate) fn head(s: &str, n: usize) -> String {
    s.chars().take(n).collect()
}
