//! `skilltrack extract FILE`: JSON Lines postings normalized and printed,
//! nothing stored.

use anyhow::Context as _;

use super::{normalizer, open_input, Exit, ExtractArgs};
use crate::config::Config;
use crate::pipeline;

pub(super) fn extract_file(config: &Config, args: &ExtractArgs) -> anyhow::Result<Exit> {
    let normalizer = normalizer()?;
    let input = open_input(&args.file)?;
    let out = std::io::BufWriter::new(std::io::stdout().lock());
    let max_line_bytes = config.import.max_line_bytes();
    let bad = pipeline::extract_lines(&normalizer, input, max_line_bytes, out, |e| {
        eprintln!("{}: {e}", args.file.display());
    })
    .with_context(|| format!("extract from {}", args.file.display()))?;
    Ok(if bad > 0 {
        Exit::Partial
    } else {
        Exit::Success
    })
}
