//! The command line: `args` defines the commands, one file each runs one
//! (`serve`, `run`, `import`, `extract`, `export` trends, postings and top,
//! `reindex`, `backup` with `restore`, `sources`, `skills`, `geos`, `config
//! check`, `demo`, `batch` (the lake's pure stages), `collect` (into a lake)
//! with `sources shards`, `import-counts` with `batch fingerprint`; `remote`
//! asks a running server for `run`); `setup`
//! builds what the collecting commands share (sources, run options, the
//! pipeline context), `print` what they print alike. This is
//! the edge where library errors get context (anyhow) and become exit
//! statuses ([`Exit`]: 0 ok, 1 an error stopped the command, 2 some sources or
//! lines failed, 3 invalid configuration).

mod args;
mod backup;
mod batch;
mod collect;
mod config;
mod demo;
mod exit;
mod export;
mod extract;
mod geos;
mod import;
mod import_counts;
mod print;
mod reindex;
mod remote;
mod run;
mod serve;
mod setup;
mod skills;
mod sources;

pub use args::*;
pub use exit::{Exit, InvalidConfig};

use backup::{backup, restore};
use batch::batch;
use collect::{collect, export_lake, sources_shards};
use config::config_check;
use demo::demo;
use export::{export_postings, export_top, export_trends};
use extract::extract_file;
use geos::geos;
use import::import_file;
use import_counts::import_counts;
use print::{csv_options, list_unreadable, output, print_report, progress_bar};
use reindex::reindex;
use run::run_sources;
use serve::serve;
use setup::{
    context, load_sources, load_sources_with_reasons, log_broken_sources, pick_sources, plan,
    planned_sources, run_options,
};
use skills::skills;
use sources::{sources_check, sources_list, sources_try};

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::sync::Arc;

use anyhow::Context as _;

use crate::config::Config;
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
    // Checked before it is loaded: a broken configuration is what it reports.
    let command = match cli.command {
        Command::Config(ConfigCommand::Check { file }) => {
            let flags = crate::config::check::Flags {
                data_dir: cli.data_dir,
                extractors: cli.extractors,
            };
            return config_check(file.as_deref(), cli.config.as_deref(), flags);
        }
        command => command,
    };
    let mut config = Config::load(cli.config.as_deref())
        .map_err(|e| InvalidConfig(format!("{:#}", anyhow::Error::new(e))))?;
    let data_dir_flag = cli.data_dir.clone();
    if let Some(dir) = cli.data_dir {
        config.data_dir = dir;
    }
    if let Some(dir) = cli.extractors {
        config.extractors_dir = dir;
    }
    match command {
        Command::Serve(args) => runtime()?.block_on(serve(config, args)),
        Command::Run(args) => runtime()?.block_on(run_sources(config, args)),
        Command::Import(args) => import_file(&config, &args),
        Command::Extract(args) => extract_file(&config, &args),
        Command::Export(ExportCommand::Trends(args)) => export_trends(&config, &args),
        Command::Export(ExportCommand::Postings(args)) => export_postings(&config, &args),
        Command::Export(ExportCommand::Top(args)) => export_top(&config, &args),
        Command::Geos(args) => geos(&args),
        Command::Reindex(args) => reindex(&config, &args),
        Command::Export(ExportCommand::Lake(args)) => export_lake(&config, &args),
        Command::Backup { file } => backup(&config, &file),
        Command::Restore { file } => restore(&config, &file),
        Command::Sources(SourcesCommand::Check { files }) => sources_check(&config, &files),
        Command::Sources(SourcesCommand::List) => sources_list(&config),
        Command::Sources(SourcesCommand::Try(args)) => {
            runtime()?.block_on(sources_try(config, args))
        }
        Command::Skills(args) => skills(&args),
        Command::Config(ConfigCommand::Check { .. }) => Ok(Exit::Success),
        Command::Demo(args) => runtime()?.block_on(demo(config, data_dir_flag, args)),
        Command::ImportCounts(args) => import_counts(&config, &args),
        Command::Batch(stage) => batch(&config, &stage),
        Command::Collect(args) => runtime()?.block_on(collect(config, args)),
        Command::Sources(SourcesCommand::Shards { of }) => sources_shards(&config, of),
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

/// Compacts the database of `config` (closed), see `SledStore::compact`.
fn compact_store(config: &Config) -> anyhow::Result<crate::store::Compacted> {
    Ok(SledStore::compact(&config.data_dir, config.cache_mb)?)
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
