//! `skilltrack import FILE`: JSON Lines postings normalized and stored.

use std::io::Write;

use super::{normalizer, open_input, open_store, Exit, ImportArgs, InvalidConfig};
use crate::config::Config;
use crate::domain::SourceId;
use crate::pipeline;
use crate::pipeline::{ImportError, ImportOptions};

pub(super) fn import_file(config: &Config, args: &ImportArgs) -> anyhow::Result<Exit> {
    let source =
        SourceId::parse(&args.source).map_err(|e| InvalidConfig(format!("--source: {e}")))?;
    let input = open_input(&args.file)?;
    let store = open_store(config)?;
    let normalizer = normalizer()?;
    let progress = indicatif::ProgressBar::new_spinner();
    progress.set_draw_target(indicatif::ProgressDrawTarget::stderr());
    let options = ImportOptions {
        max_line_bytes: config.import.max_line_bytes(),
    };
    let imported =
        pipeline::import_with(store.as_ref(), &normalizer, input, &source, &options, |n| {
            progress.set_message(format!("{n} lines read"));
            progress.tick();
        });
    progress.finish_and_clear();
    let file = args.file.display();
    let (report, stopped) = match imported {
        Ok(report) => (report, None),
        Err(ImportError::Read { error, report }) => (*report, Some(error)),
        Err(e) => return Err(e.into()),
    };
    // The read error is in the report (for the stored run) and said below.
    let read_error = stopped.as_ref().map(|e| format!("{e}: {}", e.source));
    for e in report
        .errors
        .iter()
        .filter(|e| Some(*e) != read_error.as_ref())
    {
        eprintln!("{file}: {e}");
    }
    if report.more_errors > 0 {
        eprintln!("… and {} more errors", report.more_errors);
    }
    writeln!(std::io::stdout(), "{}", report.summary())?;
    if let Some(error) = stopped {
        if report.new + report.updated + report.unchanged > 0 {
            eprintln!(
                "{file}: the postings before line {} are stored; importing the file again once it \
                 can be read does not count them twice",
                error.line
            );
        }
        return Err(anyhow::Error::new(error).context(format!("{file}: import stopped")));
    }
    Ok(if report.rejected > 0 {
        Exit::Partial
    } else {
        Exit::Success
    })
}
