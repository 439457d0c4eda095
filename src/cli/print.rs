//! Printing shared by commands: output files, CSV options, progress, run
//! reports, lists of unreadable postings.

use std::io::Write;
use std::path::Path;

use anyhow::{bail, Context as _};

use super::CsvOutputArgs;
use crate::domain::PostingId;
use crate::export::CsvOptions;
use crate::store::StoreError;

/// Lists on stderr the postings whose text cannot be read, then their count
/// and what became of them.
pub(super) fn list_unreadable<'a>(
    postings: impl ExactSizeIterator<Item = (&'a PostingId, &'a StoreError)>,
    outcome: &str,
) {
    let n = postings.len();
    for (id, cause) in postings {
        eprintln!("posting {id}: text unreadable: {cause}");
    }
    eprintln!("{n} postings with an unreadable text: {outcome}");
}

/// A run's summary and errors on stdout.
pub(super) fn print_report(report: &crate::domain::RunReport) -> std::io::Result<()> {
    let mut out = std::io::stdout().lock();
    writeln!(out, "{}", report.summary())?;
    for e in &report.errors {
        writeln!(out, "  error: {e}")?;
    }
    Ok(())
}

pub(super) fn progress_bar(what: &'static str) -> indicatif::ProgressBar {
    let bar = indicatif::ProgressBar::new_spinner();
    bar.set_draw_target(indicatif::ProgressDrawTarget::stderr());
    bar.set_message(what);
    bar
}

pub(super) fn output(path: Option<&Path>) -> anyhow::Result<Box<dyn Write>> {
    Ok(match path {
        Some(p) if p != Path::new("-") => Box::new(std::io::BufWriter::new(
            std::fs::File::create(p).with_context(|| format!("cannot create {}", p.display()))?,
        )),
        _ => Box::new(std::io::BufWriter::new(std::io::stdout())),
    })
}

/// The CSV options the flags ask for.
pub(super) fn csv_options(out: &CsvOutputArgs) -> anyhow::Result<CsvOptions> {
    let delimiter = match out.delimiter {
        ',' => b',',
        ';' => b';',
        '\t' => b'\t',
        other => bail!("--delimiter {other:?}: use , or ;"),
    };
    Ok(CsvOptions::new(delimiter, out.bom, out.decimal()))
}
