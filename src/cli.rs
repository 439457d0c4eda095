//! The command line: argument definitions and one function per command. This
//! is the edge where library errors get context (anyhow) and become exit codes:
//! 0 ok, 1 unexpected error, 2 some sources or lines failed, 3 invalid
//! configuration.

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::{bail, Context as _};
use clap::{Args, Parser, Subcommand};

use crate::api::{self, AppState};
use crate::config::Config;
use crate::domain::SourceId;
use crate::export::{self, CsvOptions};
use crate::extract::{self, import, SourceDef};
use crate::fetch::Fetcher;
use crate::normalize::Normalizer;
use crate::pipeline::{self, Context, RunOptions};
use crate::schedule::Scheduler;
use crate::shutdown::{self, Shutdown};
use crate::store::{SledStore, Store};
use crate::trends;

/// Exit code: some sources or input lines failed.
pub const EXIT_PARTIAL: u8 = 2;
/// Exit code: invalid configuration or source definitions.
pub const EXIT_INVALID_CONFIG: u8 = 3;

/// Tracks which open-source skills and certifications employers ask for,
/// where, and how that changes over time.
#[derive(Debug, Parser)]
#[command(name = "skilltrack", version, about, long_about = None)]
pub struct Cli {
    /// Configuration file (TOML). Environment variables SKILLTRACK_* override it.
    #[arg(long, global = true, env = "SKILLTRACK_CONFIG", value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Database directory (default var/db).
    #[arg(long, global = true, value_name = "DIR")]
    pub data_dir: Option<PathBuf>,
    /// Directory of source definitions (default extractors/).
    #[arg(long, global = true, value_name = "DIR")]
    pub extractors: Option<PathBuf>,
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Serve the HTTP API and collect on schedule.
    Serve(ServeArgs),
    /// Collect the named sources now, print a summary, exit.
    Run(RunArgs),
    /// Ingest postings from a JSON Lines file (or - for stdin).
    Import(ImportArgs),
    /// Find skills and places in postings (JSON Lines in, JSON Lines out); stores nothing.
    Extract(ExtractArgs),
    /// Write CSV for analysts.
    #[command(subcommand)]
    Export(ExportCommand),
    /// Inspect source definitions.
    #[command(subcommand)]
    Sources(SourcesCommand),
    /// List the skill taxonomy.
    Skills(SkillsArgs),
    /// List geography codes (countries, French régions and départements).
    Geos(GeosArgs),
    /// Recompute skills, places and every count from the stored postings
    /// (after a taxonomy or geography change).
    Reindex,
    /// Write every stored posting to a versioned JSON Lines backup file.
    Backup {
        /// Output file (- for stdout).
        file: PathBuf,
    },
    /// Restore a backup into an empty database, then recount.
    Restore {
        /// Backup file (- for stdin).
        file: PathBuf,
    },
}

/// `serve` options.
#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Address to listen on (default 127.0.0.1:8080).
    #[arg(long)]
    pub bind: Option<std::net::SocketAddr>,
    /// Serve the API only; do not collect on schedule.
    #[arg(long)]
    pub no_schedule: bool,
}

/// `run` options.
#[derive(Debug, Args)]
pub struct RunArgs {
    /// Source ids (file stems in extractors/).
    #[arg(required = true)]
    pub sources: Vec<String>,
    /// Replace the sources' base_url (a mirror, a local fixture server).
    #[arg(long, value_name = "URL")]
    pub base_url: Option<String>,
    /// Replace the OAuth2 token URL (default: follows --base-url).
    #[arg(long, value_name = "URL")]
    pub auth_url: Option<String>,
}

/// `import` options.
#[derive(Debug, Args)]
pub struct ImportArgs {
    /// JSON Lines file, or - for stdin.
    pub file: PathBuf,
    /// Source id the postings are recorded under.
    #[arg(long, default_value = "import")]
    pub source: String,
}

/// `extract` options.
#[derive(Debug, Args)]
pub struct ExtractArgs {
    /// JSON Lines file, or - (default) for stdin.
    #[arg(default_value = "-")]
    pub file: PathBuf,
}

/// `export` subcommands.
#[derive(Debug, Subcommand)]
pub enum ExportCommand {
    /// Trend series as CSV (long format).
    Trends(ExportTrendsArgs),
    /// Stored postings, as JSON Lines (re-importable) or CSV.
    Postings(ExportPostingsArgs),
}

/// `export postings` options.
#[derive(Debug, Args)]
pub struct ExportPostingsArgs {
    /// jsonl (the import format: re-imports to identical counts) or csv.
    #[arg(long, default_value = "jsonl")]
    pub format: String,
    /// Output file (default: stdout).
    #[arg(short, long)]
    pub output: Option<PathBuf>,
    /// CSV field delimiter: , or ;
    #[arg(long, default_value = ",")]
    pub delimiter: char,
    /// CSV: start with a UTF-8 byte-order mark.
    #[arg(long)]
    pub bom: bool,
}

/// `export trends` options.
#[derive(Debug, Args)]
pub struct ExportTrendsArgs {
    /// Skill ids, comma-separated.
    #[arg(long, required = true)]
    pub skills: String,
    /// Geography code (WORLD, FR, FR-IDF, FR-75, REMOTE…).
    #[arg(long, default_value = "WORLD")]
    pub geo: String,
    /// First day, YYYY-MM-DD (default: a year before --to).
    #[arg(long)]
    pub from: Option<String>,
    /// Last day, YYYY-MM-DD (default: today).
    #[arg(long)]
    pub to: Option<String>,
    /// day, week, month, quarter or year.
    #[arg(long, default_value = "week")]
    pub interval: String,
    /// Output file (default: stdout).
    #[arg(short, long)]
    pub output: Option<PathBuf>,
    /// Field delimiter: , or ; (French Excel).
    #[arg(long, default_value = ",")]
    pub delimiter: char,
    /// Start with a UTF-8 byte-order mark (for Excel).
    #[arg(long)]
    pub bom: bool,
}

/// `sources` subcommands.
#[derive(Debug, Subcommand)]
pub enum SourcesCommand {
    /// Validate source files; print every problem; exit 3 if any.
    Check {
        /// Files to check (default: every file in the extractors directory).
        files: Vec<PathBuf>,
    },
    /// List sources: id, kind, schedule, enabled, last run.
    List,
    /// Fetch, extract and normalize a source's postings and print them; stores nothing.
    Try(TryArgs),
}

/// `sources try` options.
#[derive(Debug, Args)]
pub struct TryArgs {
    /// Source id (file stem in extractors/).
    pub source: String,
    /// Replace the source's base_url (a mirror, a local fixture server).
    #[arg(long, value_name = "URL")]
    pub base_url: Option<String>,
    /// Replace the OAuth2 token URL (default: follows --base-url).
    #[arg(long, value_name = "URL")]
    pub auth_url: Option<String>,
    /// Stop after this many postings.
    #[arg(long, default_value_t = 20)]
    pub limit: usize,
    /// One JSON object per posting per line.
    #[arg(long)]
    pub json: bool,
}

/// `skills` options.
#[derive(Debug, Args)]
pub struct SkillsArgs {
    /// One JSON object per line instead of a table.
    #[arg(long)]
    pub json: bool,
    /// Only this category.
    #[arg(long)]
    pub category: Option<String>,
}

/// `geos` options.
#[derive(Debug, Args)]
pub struct GeosArgs {
    /// One JSON object per line instead of a table.
    #[arg(long)]
    pub json: bool,
    /// Only this level: world, country, region, department or remote.
    #[arg(long)]
    pub level: Option<String>,
}

/// An error that means the configuration is invalid (exit 3).
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct InvalidConfig(pub String);

/// Runs a parsed command line.
pub fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    let mut config =
        Config::load(cli.config.as_deref()).map_err(|e| InvalidConfig(e.to_string()))?;
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
        Command::Extract(args) => extract_file(&args),
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

fn open_store(config: &Config) -> anyhow::Result<Arc<SledStore>> {
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

fn csv_delimiter(c: char) -> anyhow::Result<u8> {
    match c {
        ',' => Ok(b','),
        ';' => Ok(b';'),
        '\t' => Ok(b'\t'),
        other => bail!("--delimiter {other:?}: use , or ;"),
    }
}

fn reindex(config: &Config) -> anyhow::Result<ExitCode> {
    let store = open_store(config)?;
    let normalizer = normalizer()?;
    let bar = progress_bar("reindexing");
    let n = store.rebuild(Some(&|p| normalizer.renormalize(&p)), &mut |done| {
        bar.set_message(format!("{done} postings recounted"));
        bar.tick();
    })?;
    bar.finish_and_clear();
    store.set_data_fingerprint(normalizer.data_fingerprint())?;
    store.flush()?;
    println!("reindexed {n} postings");
    Ok(ExitCode::SUCCESS)
}

fn backup(config: &Config, file: &Path) -> anyhow::Result<ExitCode> {
    let store = open_store(config)?;
    let out = output(Some(file))?;
    let n = crate::store::backup::write(
        store.as_ref(),
        crate::store::sled_store::SCHEMA_VERSION,
        out,
    )?;
    eprintln!("backed up {n} postings to {}", file.display());
    Ok(ExitCode::SUCCESS)
}

fn restore(config: &Config, file: &Path) -> anyhow::Result<ExitCode> {
    let input = open_input(file)?;
    let store = open_store(config)?;
    let bar = progress_bar("restoring");
    let n = crate::store::backup::restore(store.as_ref(), input, &mut |done| {
        bar.set_message(format!("{done} postings"));
        bar.tick();
    })?;
    bar.finish_and_clear();
    store.set_data_fingerprint(normalizer()?.data_fingerprint())?;
    println!("restored {n} postings into {}", config.data_dir.display());
    Ok(ExitCode::SUCCESS)
}

fn export_postings(config: &Config, args: &ExportPostingsArgs) -> anyhow::Result<ExitCode> {
    let store = open_store(config)?;
    let out = output(args.output.as_deref())?;
    let mut writer = match args.format.as_str() {
        "jsonl" => export::PostingsWriter::jsonl(out),
        "csv" => export::PostingsWriter::csv(
            out,
            CsvOptions {
                delimiter: csv_delimiter(args.delimiter)?,
                bom: args.bom,
            },
        )?,
        other => bail!("--format {other:?}: use jsonl or csv"),
    };
    let mut failure = None;
    store.for_each_posting(&mut |p| {
        writer.write(&p).map_err(|e| {
            let msg = e.to_string();
            failure = Some(e);
            crate::store::StoreError::Engine(msg)
        })
    })?;
    if let Some(e) = failure {
        return Err(e.into());
    }
    writer.finish()?;
    Ok(ExitCode::SUCCESS)
}

fn normalizer() -> anyhow::Result<Arc<Normalizer>> {
    Ok(Arc::new(
        Normalizer::bundled().context("loading the bundled taxonomy and geography")?,
    ))
}

fn load_sources(config: &Config) -> anyhow::Result<Vec<SourceDef>> {
    let mut sources =
        extract::load_sources(&config.extractors_dir).map_err(|e| InvalidConfig(e.to_string()))?;
    for s in &mut sources {
        if let Some(o) = config.sources.get(s.id.as_str()) {
            if let Some(enabled) = o.enabled {
                s.enabled = enabled;
            }
        }
        let missing = s.missing_credentials();
        if s.enabled && !missing.is_empty() {
            tracing::info!(source = %s.id, missing = %missing.join(", "), "Source disabled until its credentials are set.");
            s.enabled = false;
        }
    }
    Ok(sources)
}

fn run_options(
    config: &Config,
    source: &SourceDef,
    base_url: Option<&str>,
    auth_url: Option<&str>,
) -> RunOptions {
    let o = config.sources.get(source.id.as_str());
    RunOptions {
        base_url: base_url
            .map(str::to_owned)
            .or_else(|| o.and_then(|o| o.base_url.clone())),
        auth_url: auth_url
            .map(str::to_owned)
            .or_else(|| o.and_then(|o| o.auth_url.clone())),
    }
}

fn context(
    config: &Config,
    store: Arc<SledStore>,
    normalizer: Arc<Normalizer>,
) -> anyhow::Result<Context> {
    Ok(Context {
        store,
        normalizer,
        fetcher: Fetcher::new(config.fetch_config())?,
    })
}

async fn serve(config: Config, args: ServeArgs) -> anyhow::Result<ExitCode> {
    let sources = load_sources(&config)?;
    let store = open_store(&config)?;
    let normalizer = normalizer()?;
    let fingerprint = normalizer.data_fingerprint();
    match store.data_fingerprint()? {
        Some(fp) if fp != fingerprint => tracing::warn!(
            "The taxonomy or geography changed since the counts were computed: run `skilltrack reindex`."
        ),
        Some(_) => {}
        None => store.set_data_fingerprint(fingerprint)?,
    }
    let ctx = context(&config, store.clone(), normalizer.clone())?;
    let bind = args.bind.unwrap_or(config.bind);
    let listener = tokio::net::TcpListener::bind(bind)
        .await
        .with_context(|| format!("cannot listen on {bind} (is the port taken? use --bind)"))?;
    let shutdown = Shutdown::new();
    let scheduler = if args.no_schedule {
        None
    } else {
        let jobs: Vec<_> = sources
            .iter()
            .map(|s| (s.clone(), run_options(&config, s, None, None)))
            .collect();
        let scheduler = Scheduler::start(ctx.clone(), jobs).await?;
        tracing::info!(jobs = scheduler.jobs, "Scheduler started.");
        Some(scheduler)
    };
    tracing::info!(addr = %listener.local_addr()?, data_dir = %config.data_dir.display(), "Serving.");
    let trigger = shutdown.clone();
    tokio::spawn(async move {
        shutdown::signal().await;
        tracing::info!("Shutting down.");
        trigger.trigger();
    });
    let state = AppState {
        store: store.clone(),
        normalizer,
    };
    let server = tokio::spawn(api::serve(listener, state, shutdown.wait()));
    shutdown.wait().await;
    if let Some(s) = scheduler {
        s.shutdown().await;
    }
    // Keep-alive connections can hold a graceful shutdown open: bound it.
    if tokio::time::timeout(std::time::Duration::from_secs(10), server)
        .await
        .is_err()
    {
        tracing::warn!("HTTP connections still open after 10 s; closing anyway.");
    }
    store.flush()?;
    Ok(ExitCode::SUCCESS)
}

fn pick_sources(all: Vec<SourceDef>, wanted: &[String]) -> anyhow::Result<Vec<SourceDef>> {
    let mut picked = Vec::new();
    for name in wanted {
        match all.iter().find(|s| s.id.as_str() == name) {
            Some(s) => picked.push(s.clone()),
            None => {
                let hint = api::query::suggest(name, all.iter().map(|s| s.id.as_str()))
                    .map(|s| format!(" Did you mean {s:?}?"))
                    .unwrap_or_default();
                let known: Vec<&str> = all.iter().map(|s| s.id.as_str()).collect();
                return Err(InvalidConfig(format!(
                    "unknown source {name:?}.{hint} Known sources: {}",
                    known.join(", ")
                ))
                .into());
            }
        }
    }
    Ok(picked)
}

async fn run_sources(config: Config, args: RunArgs) -> anyhow::Result<ExitCode> {
    let sources = pick_sources(load_sources(&config)?, &args.sources)?;
    let store = open_store(&config)?;
    let ctx = context(&config, store.clone(), normalizer()?)?;
    let mut failed = false;
    for source in &sources {
        let options = run_options(
            &config,
            source,
            args.base_url.as_deref(),
            args.auth_url.as_deref(),
        );
        eprintln!("Collecting {} ({})…", source.id, source.name);
        let report = pipeline::run_source(&ctx, source, &options).await;
        println!("{}", report.summary());
        for e in &report.errors {
            println!("  error: {e}");
        }
        failed |= report.error_count() > 0 && report.new + report.unchanged + report.updated == 0;
        failed |= report.pages > 0 && report.statuses.keys().all(|s| *s >= 400);
    }
    store.flush()?;
    Ok(if failed {
        ExitCode::from(EXIT_PARTIAL)
    } else {
        ExitCode::SUCCESS
    })
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

fn import_file(config: &Config, args: &ImportArgs) -> anyhow::Result<ExitCode> {
    let source =
        SourceId::parse(&args.source).map_err(|e| InvalidConfig(format!("--source: {e}")))?;
    let input = open_input(&args.file)?;
    let store = open_store(config)?;
    let normalizer = normalizer()?;
    let progress = indicatif::ProgressBar::new_spinner();
    progress.set_draw_target(indicatif::ProgressDrawTarget::stderr());
    let report = pipeline::import_lines(store.as_ref(), &normalizer, input, &source, |n| {
        progress.set_message(format!("{n} lines read"));
        progress.tick();
    })?;
    progress.finish_and_clear();
    for e in &report.errors {
        eprintln!("{}: {e}", args.file.display());
    }
    if report.more_errors > 0 {
        eprintln!("… and {} more errors", report.more_errors);
    }
    println!("{}", report.summary());
    Ok(if report.rejected > 0 {
        ExitCode::from(EXIT_PARTIAL)
    } else {
        ExitCode::SUCCESS
    })
}

fn extract_file(args: &ExtractArgs) -> anyhow::Result<ExitCode> {
    let normalizer = normalizer()?;
    let input = open_input(&args.file)?;
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    let mut bad = 0u64;
    for (index, line) in input.lines().enumerate() {
        let line = line.with_context(|| format!("reading line {}", index + 1))?;
        match import::parse_line(&line, index + 1) {
            Ok(Some(raw)) => {
                serde_json::to_writer(&mut out, &normalizer.extract(&raw))?;
                out.write_all(b"\n")?;
            }
            Ok(None) => {}
            Err(e) => {
                bad += 1;
                eprintln!("{}: {e}", args.file.display());
            }
        }
    }
    out.flush()?;
    Ok(if bad > 0 {
        ExitCode::from(EXIT_PARTIAL)
    } else {
        ExitCode::SUCCESS
    })
}

fn export_trends(config: &Config, args: &ExportTrendsArgs) -> anyhow::Result<ExitCode> {
    let normalizer = normalizer()?;
    let mut params: HashMap<String, String> = HashMap::new();
    params.insert("skills".into(), args.skills.clone());
    params.insert("geo".into(), args.geo.clone());
    params.insert("interval".into(), args.interval.clone());
    if let Some(f) = &args.from {
        params.insert("from".into(), f.clone());
    }
    if let Some(t) = &args.to {
        params.insert("to".into(), t.clone());
    }
    let query =
        api::query::trend_query(&params, &normalizer).map_err(|e| anyhow::anyhow!(e.message))?;
    let delimiter = csv_delimiter(args.delimiter)?;
    let store = open_store(config)?;
    let series = trends::trends(store.as_ref(), &query)?;
    let options = CsvOptions {
        delimiter,
        bom: args.bom,
    };
    export::write_trends_csv(output(args.output.as_deref())?, &query, &series, options)?;
    Ok(ExitCode::SUCCESS)
}

fn sources_check(config: &Config, files: &[PathBuf]) -> anyhow::Result<ExitCode> {
    let result = if files.is_empty() {
        extract::load_sources(&config.extractors_dir)
    } else {
        extract::source::load_files(files)
    };
    match result {
        Ok(sources) => {
            println!("{} source definition(s) OK", sources.len());
            Ok(ExitCode::SUCCESS)
        }
        Err(e) => {
            eprint!("{e}");
            Ok(ExitCode::from(EXIT_INVALID_CONFIG))
        }
    }
}

fn sources_list(config: &Config) -> anyhow::Result<ExitCode> {
    let sources = load_sources(config)?;
    // The last run comes from the store; a store held by `serve` is not an error here.
    let store = if config.data_dir.exists() {
        SledStore::open_with(&config.data_dir, config.cache_mb, config.count_rules())
            .map_err(|e| tracing::debug!(error = %e, "Store not available: last runs not shown."))
            .ok()
    } else {
        None
    };
    println!(
        "{:<18} {:<6} {:<16} {:<26} {:<56} enabled",
        "id", "kind", "schedule", "last run", "name"
    );
    for s in sources {
        let last = store
            .as_ref()
            .and_then(|st| st.runs(&s.id, 1).ok())
            .and_then(|runs| runs.into_iter().next())
            .map_or_else(|| "-".to_owned(), |r| r.started_at);
        let enabled = match s.missing_credentials() {
            m if m.is_empty() => s.enabled.to_string(),
            m => format!("false (needs {})", m.join(", ")),
        };
        println!(
            "{:<18} {:<6} {:<16} {:<26} {:<56} {}",
            s.id,
            s.extractor.kind(),
            s.schedule.as_deref().unwrap_or("-"),
            last,
            s.name,
            enabled
        );
    }
    Ok(ExitCode::SUCCESS)
}

async fn sources_try(config: Config, args: TryArgs) -> anyhow::Result<ExitCode> {
    let source = pick_sources(load_sources(&config)?, std::slice::from_ref(&args.source))?
        .into_iter()
        .next()
        .context("no source picked")?;
    let normalizer = normalizer()?;
    let fetcher = Fetcher::new(config.fetch_config())?;
    let options = run_options(
        &config,
        &source,
        args.base_url.as_deref(),
        args.auth_url.as_deref(),
    );
    let (raws, report) = pipeline::try_source(&fetcher, &source, &options, args.limit).await;
    let today = crate::domain::Day::today();
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    let mut shown = 0usize;
    for raw in &raws {
        let p = match normalizer.normalize(raw, &source.id, source.country.as_ref(), today) {
            Ok(p) => p,
            Err(e) => {
                eprintln!("error: {e}");
                continue;
            }
        };
        shown += 1;
        let skills: Vec<&str> = p.skills.iter().map(|s| s.as_str()).collect();
        let implied: Vec<&str> = p.implied_skills.iter().map(|s| s.as_str()).collect();
        let posted = raw.posted_at.map(|d| d.to_string());
        if args.json {
            serde_json::to_writer(
                &mut out,
                &serde_json::json!({
                    "id": p.external_id, "title": p.title, "company": p.company, "url": p.url,
                    "posted_at": posted, "valid_through": p.valid_through.map(|d| d.to_string()),
                    "locations": p.locations, "places": p.places, "remote": p.remote,
                    "skills": skills, "implied_skills": implied, "tags": raw.tags,
                }),
            )?;
            writeln!(out)?;
        } else {
            let places: Vec<String> = p
                .places
                .iter()
                .map(|pl| {
                    pl.codes()
                        .next()
                        .map_or_else(String::new, |c| c.to_string())
                })
                .collect();
            writeln!(out, "{} [{}]", p.title, p.external_id)?;
            writeln!(
                out,
                "  company: {}  posted: {}  remote: {}",
                p.company.as_deref().unwrap_or("-"),
                posted.as_deref().unwrap_or("-"),
                p.remote
            )?;
            writeln!(
                out,
                "  places: {} ({})",
                places.join(", "),
                p.locations.join(" / ")
            )?;
            writeln!(out, "  skills: {}", skills.join(", "))?;
            if let Some(url) = &p.url {
                writeln!(out, "  {url}")?;
            }
        }
    }
    out.flush()?;
    for e in &report.errors {
        eprintln!("error: {e}");
    }
    eprintln!(
        "{}: {} page(s), {} item(s), {} shown, {} rejected, {} error(s)",
        source.id,
        report.pages,
        report.items,
        shown,
        report.rejected,
        report.error_count()
    );
    Ok(if shown == 0 && report.error_count() > 0 {
        ExitCode::from(EXIT_PARTIAL)
    } else {
        ExitCode::SUCCESS
    })
}

fn skills(args: &SkillsArgs) -> anyhow::Result<ExitCode> {
    let normalizer = normalizer()?;
    let taxonomy = normalizer.taxonomy();
    let category = args
        .category
        .as_deref()
        .map(|c| c.parse::<crate::normalize::skills::Category>())
        .transpose()
        .map_err(|e| anyhow::anyhow!("--category: {e}"))?;
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    for skill in taxonomy
        .skills()
        .iter()
        .filter(|s| category.is_none_or(|c| s.category == c))
    {
        if args.json {
            serde_json::to_writer(
                &mut out,
                &serde_json::json!({
                    "id": skill.id, "label": skill.label, "category": skill.category.as_str(),
                    "aliases": skill.aliases, "implies": skill.implies, "issuer": skill.issuer,
                }),
            )?;
            writeln!(out)?;
        } else {
            writeln!(
                out,
                "{:<28} {:<14} {}",
                skill.id,
                skill.category.as_str(),
                skill.label
            )?;
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn geos(args: &GeosArgs) -> anyhow::Result<ExitCode> {
    let normalizer = normalizer()?;
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    for e in normalizer.gazetteer().entries() {
        if args.level.as_deref().is_some_and(|l| e.level.as_str() != l) {
            continue;
        }
        if args.json {
            serde_json::to_writer(
                &mut out,
                &serde_json::json!({"code": e.code, "name": e.name, "level": e.level.as_str(), "parent": e.parent}),
            )?;
            writeln!(out)?;
        } else {
            writeln!(
                out,
                "{:<10} {:<11} {:<8} {}",
                e.code,
                e.level.as_str(),
                e.parent.as_deref().unwrap_or("-"),
                e.name
            )?;
        }
    }
    Ok(ExitCode::SUCCESS)
}
