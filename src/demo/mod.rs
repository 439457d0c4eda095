//! The sample job board of `skilltrack demo`: a few thousand French and
//! English postings (written by `data/demo/generate.py`, embedded gzipped),
//! served on 127.0.0.1 in each source kind (`json`, `html`, `jsonld`,
//! `rss`, see [`board`]) with a robots.txt, and the four source definitions
//! that read it (`data/demo/extractors/`, embedded). The command
//! (`cli/demo.rs`) collects the board through the normal pipeline, then
//! serves the API; nothing here touches the store.
//!
//! Postings carry a number of days before today, not a date: the board
//! writes dates when it serves a page, so the demo always covers the last
//! 18 months.

use std::io::Read as _;
use std::path::Path;

use serde::Deserialize;

use crate::extract::source::{parse_source, SourceDef};

pub mod board;

pub use board::{serve_board, Board};

/// The postings, gzipped JSON Lines (see `data/demo/generate.py`).
const POSTINGS_GZ: &[u8] = include_bytes!("../../data/demo/postings.jsonl.gz");

/// The demo's source definitions: (file name, text).
pub const SOURCES: [(&str, &str); 4] = [
    (
        "demo-json.toml",
        include_str!("../../data/demo/extractors/demo-json.toml"),
    ),
    (
        "demo-html.toml",
        include_str!("../../data/demo/extractors/demo-html.toml"),
    ),
    (
        "demo-jsonld.toml",
        include_str!("../../data/demo/extractors/demo-jsonld.toml"),
    ),
    (
        "demo-rss.toml",
        include_str!("../../data/demo/extractors/demo-rss.toml"),
    ),
];

/// The source kinds the board serves, in the order of [`SOURCES`].
pub const KINDS: [Kind; 4] = [Kind::Json, Kind::Html, Kind::Jsonld, Kind::Rss];

/// Why the demo data cannot be read (a broken build, never user input).
#[derive(Debug, thiserror::Error)]
pub enum DemoError {
    /// The embedded postings do not decompress.
    #[error("the embedded demo postings do not decompress")]
    Gzip(#[source] std::io::Error),
    /// A line of the embedded postings is not a posting.
    #[error("the embedded demo posting on line {line} is not valid")]
    Posting {
        /// 1-based line.
        line: usize,
        /// The JSON error.
        #[source]
        source: serde_json::Error,
    },
    /// An embedded source definition does not load.
    #[error("the embedded demo source {file} is not valid: {}", problems.join("; "))]
    Source {
        /// Its file name.
        file: &'static str,
        /// Every problem.
        problems: Vec<String>,
    },
}

/// The source kind a posting is served in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    /// The JSON API.
    Json,
    /// The HTML listing.
    Html,
    /// The JSON-LD career pages.
    Jsonld,
    /// The RSS feed.
    Rss,
}

/// One posting of the board.
#[derive(Debug, Clone, Deserialize)]
pub struct DemoPosting {
    /// Its id at the board.
    pub id: String,
    /// The kind that serves it.
    pub kind: Kind,
    /// Published this many days before today.
    pub days_ago: u16,
    /// Job title.
    pub title: String,
    /// Employer.
    pub company: String,
    /// Where, as the board writes it.
    pub location: String,
    /// Fully remote.
    pub remote: bool,
    /// `fr` or `en`.
    pub lang: String,
    /// The description, HTML.
    pub description: String,
    /// Tags the board gives.
    pub tags: Vec<String>,
}

/// Every posting of the board, newest first.
pub fn postings() -> Result<Vec<DemoPosting>, DemoError> {
    let mut text = String::new();
    flate2::read::GzDecoder::new(POSTINGS_GZ)
        .read_to_string(&mut text)
        .map_err(DemoError::Gzip)?;
    let mut out = text
        .lines()
        .enumerate()
        .map(|(i, line)| {
            serde_json::from_str(line).map_err(|source| DemoError::Posting {
                line: i + 1,
                source,
            })
        })
        .collect::<Result<Vec<DemoPosting>, _>>()?;
    out.sort_by(|a, b| a.days_ago.cmp(&b.days_ago).then_with(|| a.id.cmp(&b.id)));
    Ok(out)
}

/// The demo's four source definitions, parsed like `extractors/*.toml`.
pub fn sources() -> Result<Vec<SourceDef>, DemoError> {
    SOURCES
        .iter()
        .map(|(file, text)| {
            parse_source(Path::new(file), text)
                .map_err(|problems| DemoError::Source { file, problems })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_embedded_postings_and_sources_load() {
        let postings = postings().unwrap();
        assert!(postings.len() >= 3000, "{}", postings.len());
        for kind in KINDS {
            assert!(postings.iter().filter(|p| p.kind == kind).count() > 500);
        }
        assert!(postings.iter().any(|p| p.days_ago > 500));
        assert!(postings.iter().any(|p| p.lang == "en") && postings.iter().any(|p| p.lang == "fr"));
        let ids: Vec<String> = sources()
            .unwrap()
            .iter()
            .map(|s| s.id.as_str().to_owned())
            .collect();
        assert_eq!(ids, ["demo-json", "demo-html", "demo-jsonld", "demo-rss"]);
    }
}
