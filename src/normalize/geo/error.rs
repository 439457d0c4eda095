//! The error of the gazetteer's build (also compiled by `build.rs`, which
//! builds the name index from the same files).

/// Errors building the gazetteer from its embedded data.
#[derive(Debug, thiserror::Error)]
pub enum GeoError {
    /// A line of an embedded data file could not be read.
    #[error("data/geo/{file}, line {line}: {reason}")]
    BadLine {
        /// File name under `data/geo/`.
        file: &'static str,
        /// 1-based line number (0 when the problem is not tied to one line).
        line: usize,
        /// What is wrong.
        reason: String,
    },
    /// The name index could not be built, or the one embedded at build
    /// time could not be read.
    #[error("the gazetteer's name index: {0}")]
    Index(String),
}
