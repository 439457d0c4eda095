//! `skilltrack extract FILE`: JSON Lines postings normalized and printed,
//! nothing stored. The normalizer is built when the first line is read, so
//! an empty input starts and ends without building it.

use anyhow::Context as _;

use super::{open_input, Exit, ExtractArgs};
use crate::config::Config;
use crate::normalize::Normalizer;
use crate::pipeline::{self, ExtractOptions};

pub(super) fn extract_file(config: &Config, args: &ExtractArgs) -> anyhow::Result<Exit> {
    let input = open_input(&args.file)?;
    let out = std::io::BufWriter::with_capacity(1 << 16, std::io::stdout().lock());
    let options = ExtractOptions::new(config.import.max_line_bytes());
    let bad = pipeline::extract_lines_with(
        || Normalizer::bundled().map(Box::new),
        input,
        &options,
        out,
        |e| eprintln!("{}: {e}", args.file.display()),
    )
    .with_context(|| format!("extract from {}", args.file.display()))?;
    Ok(if bad > 0 {
        Exit::Partial
    } else {
        Exit::Success
    })
}
