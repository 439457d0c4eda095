//! The command line: one function per command (`args` defines them;
//! `collect` has `serve` and `run`, `data` the commands on stored data,
//! `sources` the `sources` commands, `catalog` `skills` and `geos`). This is
//! the edge where library errors get context (anyhow) and become exit
//! statuses ([`Exit`]: 0 ok, 1 an error stopped the command, 2 some sources or
//! lines failed, 3 invalid configuration).

mod args;
mod catalog;
mod collect;
mod data;
mod exit;
mod sources;

pub use args::*;
pub use exit::{Exit, InvalidConfig};

use catalog::{geos, skills};
use collect::{run_sources, serve};
use data::{backup, export_postings, export_trends, extract_file, import_file, reindex, restore};
use sources::{sources_check, sources_list, sources_try};

use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::sync::Arc;

use anyhow::{bail, Context as _};

use crate::config::Config;
use crate::export::CsvOptions;
use crate::normalize::Normalizer;
use crate::store::{SledStore, Store};

/// Whether `e` comes from writing to a reader that went away (`skilltrack
/// geos | head -1`): the command then ends quietly with status 0, as ripgrep
/// does. The cause chain is walked, with the I/O errors that serde_json and
/// csv wrap without exposing them as a source.
pub fn is_broken_pipe(e: &anyhow::Error) -> bool {
    use std::io::ErrorKind::BrokenPipe;
    e.chain().any(|cause| {
        if let Some(io) = cause.downcast_ref::<std::io::Error>() {
            io.kind() == BrokenPipe
        } else if let Some(json) = cause.downcast_ref::<serde_json::Error>() {
            json.io_error_kind() == Some(BrokenPipe)
        } else if let Some(csv) = cause.downcast_ref::<csv::Error>() {
            matches!(csv.kind(), csv::ErrorKind::Io(io) if io.kind() == BrokenPipe)
        } else {
            false
        }
    })
}

/// Runs a parsed command line.
pub fn run(cli: Cli) -> anyhow::Result<Exit> {
    let mut config = Config::load(cli.config.as_deref())
        .map_err(|e| InvalidConfig(format!("{:#}", anyhow::Error::new(e))))?;
    if let Some(dir) = cli.data_dir {
        config.data_dir = dir;
    }
    if let Some(dir) = cli.extractors {
        config.extractors_dir = dir;
    }
    match cli.command {
        Command::Serve(args) => runtime()?.block_on(serve(config, args)),
        Command::Run(args) => runtime()?.block_on(run_sources(config, args)),
        Command::Import(args) => import_file(&config, &args),
        Command::Extract(args) => extract_file(&config, &args),
        Command::Export(ExportCommand::Trends(args)) => export_trends(&config, &args),
        Command::Export(ExportCommand::Postings(args)) => export_postings(&config, &args),
        Command::Geos(args) => geos(&args),
        Command::Reindex => reindex(&config),
        Command::Backup { file } => backup(&config, &file),
        Command::Restore { file } => restore(&config, &file),
        Command::Sources(SourcesCommand::Check { files }) => sources_check(&config, &files),
        Command::Sources(SourcesCommand::List) => sources_list(&config),
        Command::Sources(SourcesCommand::Try(args)) => {
            runtime()?.block_on(sources_try(config, args))
        }
        Command::Skills(args) => skills(&args),
    }
}

fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")
}

/// Opens the database: the one place the command line names the sled store.
fn open_store(config: &Config) -> anyhow::Result<Arc<dyn Store>> {
    let store = SledStore::open_with(&config.data_dir, config.cache_mb, config.count_rules())?;
    Ok(Arc::new(store))
}

fn progress_bar(what: &'static str) -> indicatif::ProgressBar {
    let bar = indicatif::ProgressBar::new_spinner();
    bar.set_draw_target(indicatif::ProgressDrawTarget::stderr());
    bar.set_message(what);
    bar
}

fn output(path: Option<&Path>) -> anyhow::Result<Box<dyn Write>> {
    Ok(match path {
        Some(p) if p != Path::new("-") => Box::new(std::io::BufWriter::new(
            std::fs::File::create(p).with_context(|| format!("cannot create {}", p.display()))?,
        )),
        _ => Box::new(std::io::BufWriter::new(std::io::stdout())),
    })
}

fn csv_options(out: &CsvOutputArgs) -> anyhow::Result<CsvOptions> {
    let delimiter = match out.delimiter {
        ',' => b',',
        ';' => b';',
        '\t' => b'\t',
        other => bail!("--delimiter {other:?}: use , or ;"),
    };
    Ok(CsvOptions {
        delimiter,
        bom: out.bom,
    })
}

fn normalizer() -> anyhow::Result<Arc<Normalizer>> {
    Ok(Arc::new(
        Normalizer::bundled().context("loading the bundled taxonomy and geography")?,
    ))
}

fn open_input(path: &Path) -> anyhow::Result<Box<dyn BufRead + Send>> {
    if path == Path::new("-") {
        Ok(Box::new(BufReader::new(std::io::stdin())))
    } else {
        let file =
            std::fs::File::open(path).with_context(|| format!("cannot open {}", path.display()))?;
        Ok(Box::new(BufReader::with_capacity(1 << 20, file)))
    }
}
