//! `skilltrack batch extract | reduce-postings | reduce-clusters`: one pure
//! stage as a filter, stdin → stdout (see [`crate::batch`]). Bad records are
//! error rows and the status stays 0; unsorted input or a bad
//! configuration ends the command with a non-zero status and a message.

use std::io::{BufReader, BufWriter};

use anyhow::Context as _;

use super::{BatchCommand, Exit};
use crate::batch::{clusters, extract, postings, StageReport};
use crate::config::Config;
use crate::normalize::Normalizer;

pub(super) fn batch(config: &Config, stage: &BatchCommand) -> anyhow::Result<Exit> {
    let input = BufReader::with_capacity(1 << 20, std::io::stdin().lock());
    let out = BufWriter::with_capacity(1 << 16, std::io::stdout().lock());
    let max_line = config.import.max_line_bytes();
    let (name, report): (&str, StageReport) = match stage {
        BatchCommand::Extract => {
            let normalizer =
                Normalizer::bundled().context("loading the bundled taxonomy and geography")?;
            let report = extract::run_extract(&normalizer, input, max_line, out)?;
            ("extract", report)
        }
        BatchCommand::ReducePostings => (
            "reduce-postings",
            postings::run_reduce_postings(input, max_line, out)?,
        ),
        BatchCommand::Fingerprint => return super::import_counts::batch_fingerprint(config),
        BatchCommand::ReduceClusters => (
            "reduce-clusters",
            clusters::run_reduce_clusters(&config.count_rules(), input, max_line, out)?,
        ),
    };
    tracing::info!(
        stage = name,
        rows_in = report.rows_in,
        rows_out = report.rows_out,
        error_rows = report.errors,
        "Batch stage done."
    );
    Ok(Exit::Success)
}
