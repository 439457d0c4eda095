//! Commands on stored data: `import`, `extract`, `export`, `reindex`,
//! `backup` and `restore`.

use std::io::Write;
use std::path::Path;

use anyhow::Context as _;

use super::{
    csv_options, normalizer, open_input, open_store, output, progress_bar, Exit,
    ExportPostingsArgs, ExportTrendsArgs, ExtractArgs, ImportArgs, InvalidConfig, PostingsFormat,
};
use crate::config::Config;
use crate::domain::{Day, PostingId, SourceId};
use crate::export;
use crate::pipeline::{self, ImportError, ImportOptions};
use crate::store::{backup, StoreError, UnreadableText};
use crate::trends;

pub(super) fn reindex(config: &Config) -> anyhow::Result<Exit> {
    let store = open_store(config)?;
    let normalizer = normalizer()?;
    let bar = progress_bar("reindexing");
    let n = pipeline::reindex(store.as_ref(), &normalizer, &mut |done| {
        bar.set_message(format!("{done} postings recounted"));
        bar.tick();
    })?;
    bar.finish_and_clear();
    store.set_data_fingerprint(normalizer.data_fingerprint())?;
    store.flush()?;
    writeln!(std::io::stdout(), "reindexed {n} postings")?;
    Ok(Exit::Success)
}

pub(super) fn backup(config: &Config, file: &Path) -> anyhow::Result<Exit> {
    // Before anything is created: `backup DATA_DIR/texts-0.log` would
    // truncate the text log it is about to read.
    backup::check_outside(&config.data_dir, file)?;
    let store = open_store(config)?;
    let out = output(Some(file))?;
    let written = backup::write(store.as_ref(), crate::store::SCHEMA_VERSION, out)?;
    eprintln!(
        "backed up {} postings to {}",
        written.postings,
        file.display()
    );
    if written.texts_lost.is_empty() {
        return Ok(Exit::Success);
    }
    list_unreadable(
        written.texts_lost.iter().map(|(id, cause)| (id, cause)),
        "written without their text, marked \"text_lost\" (a restore counts them as this database does)",
    );
    Ok(Exit::Partial)
}

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

pub(super) fn restore(config: &Config, file: &Path) -> anyhow::Result<Exit> {
    let input = open_input(file)?;
    let fingerprint = normalizer()?.data_fingerprint();
    // A backup line is a stored posting, whose text came from a page of at
    // most `max_body_mb`: such a line is always read back.
    let from_pages = usize::try_from(config.max_body_mb.saturating_mul(2 << 20));
    let max_line = config
        .import
        .max_line_bytes()
        .max(from_pages.unwrap_or(usize::MAX));
    let bar = progress_bar("restoring");
    let n = backup::restore_dir(
        &config.data_dir,
        config.cache_mb,
        config.count_rules(),
        fingerprint,
        input,
        max_line,
        &mut |done| {
            bar.set_message(format!("{done} postings"));
            bar.tick();
        },
    );
    bar.finish_and_clear();
    let n = n.with_context(|| format!("restoring {}", file.display()))?;
    writeln!(
        std::io::stdout(),
        "restored {n} postings into {}",
        config.data_dir.display()
    )?;
    Ok(Exit::Success)
}

pub(super) fn export_postings(config: &Config, args: &ExportPostingsArgs) -> anyhow::Result<Exit> {
    let store = open_store(config)?;
    let out = output(args.out.output.as_deref())?;
    let (mut writer, csv) = match args.format {
        PostingsFormat::Jsonl => (export::PostingsWriter::jsonl(out), false),
        PostingsFormat::Csv => (
            export::PostingsWriter::csv(out, csv_options(&args.out)?)?,
            true,
        ),
    };
    let mut left_out = Vec::new();
    let mut without_text = 0u64;
    for read in store.postings() {
        // CSV has no text column: a posting whose text is lost is complete
        // there. JSON Lines is re-imported, and a posting without its
        // description would come back with other skills: it is left out.
        let posting = match read {
            Ok(p) => p,
            Err(StoreError::UnreadableText(unreadable)) => {
                let UnreadableText { posting, cause } = *unreadable;
                if !csv {
                    left_out.push((posting.id, cause));
                    continue;
                }
                without_text += 1;
                posting
            }
            Err(other) => return Err(other.into()),
        };
        writer.write(&posting)?;
    }
    writer.finish()?;
    if without_text > 0 {
        tracing::warn!(
            postings = without_text,
            "Postings whose text cannot be read were exported (the CSV has no text column); `skilltrack backup` lists them."
        );
    }
    if left_out.is_empty() {
        return Ok(Exit::Success);
    }
    list_unreadable(
        left_out.iter().map(|(id, cause)| (id, cause)),
        "left out (re-imported without their description they would count other skills)",
    );
    Ok(Exit::Partial)
}

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

pub(super) fn export_trends(config: &Config, args: &ExportTrendsArgs) -> anyhow::Result<Exit> {
    let normalizer = normalizer()?;
    let query = args
        .request()
        .resolve(normalizer.as_ref(), Day::today())
        .map_err(|e| anyhow::anyhow!("{}: {e}", e.param()))?;
    let options = csv_options(&args.out)?;
    let store = open_store(config)?;
    let series = trends::trends(store.as_ref(), &query)?;
    export::write_trends_csv(
        output(args.out.output.as_deref())?,
        &query,
        &series,
        options,
    )?;
    Ok(Exit::Success)
}
