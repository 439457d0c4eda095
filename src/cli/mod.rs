//! The command line: one function per command ([`args`] defines them). This
//! is the edge where library errors get context (anyhow) and become exit codes:
//! 0 ok, 1 unexpected error, 2 some sources or lines failed, 3 invalid
//! configuration.

mod args;

pub use args::*;

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::{bail, Context as _};

use crate::api::{self, AppState};
use crate::config::Config;
use crate::domain::{PostingId, SourceId};
use crate::export::{self, CsvOptions};
use crate::extract::{self, SourceDef, SourceSet};
use crate::fetch::Fetcher;
use crate::normalize::Normalizer;
use crate::pipeline::{self, Context, ImportError, ImportOptions, RunOptions};
use crate::schedule::Scheduler;
use crate::shutdown::Shutdown;
use crate::store::{backup, SledStore, Store, UnreadableText};
use crate::trends;

/// An error that means the configuration is invalid (exit 3).
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct InvalidConfig(pub String);

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

fn reindex(config: &Config) -> anyhow::Result<ExitCode> {
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
    Ok(ExitCode::SUCCESS)
}

fn backup(config: &Config, file: &Path) -> anyhow::Result<ExitCode> {
    // Before anything is created: `backup DATA_DIR/texts-0.log` would
    // truncate the text log it is about to read.
    backup::check_outside(&config.data_dir, file)?;
    let store = open_store(config)?;
    let out = output(Some(file))?;
    let written = backup::write(
        store.as_ref(),
        crate::store::sled_store::SCHEMA_VERSION,
        out,
    )?;
    eprintln!(
        "backed up {} postings to {}",
        written.postings,
        file.display()
    );
    if written.texts_lost.is_empty() {
        return Ok(ExitCode::SUCCESS);
    }
    list_unreadable(
        written.texts_lost.iter().map(|(id, cause)| (id, cause)),
        "written without their text, marked \"text_lost\" (a restore counts them as this database does)",
    );
    Ok(ExitCode::from(EXIT_PARTIAL))
}

/// Lists on stderr the postings whose text cannot be read, then their count
/// and what became of them.
fn list_unreadable<'a>(
    postings: impl ExactSizeIterator<Item = (&'a PostingId, &'a crate::store::StoreError)>,
    outcome: &str,
) {
    let n = postings.len();
    for (id, cause) in postings {
        eprintln!("posting {id}: text unreadable: {cause}");
    }
    eprintln!("{n} postings with an unreadable text: {outcome}");
}

fn restore(config: &Config, file: &Path) -> anyhow::Result<ExitCode> {
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
    Ok(ExitCode::SUCCESS)
}

fn export_postings(config: &Config, args: &ExportPostingsArgs) -> anyhow::Result<ExitCode> {
    let store = open_store(config)?;
    let out = output(args.out.output.as_deref())?;
    let (mut writer, csv) = match args.format.as_str() {
        "jsonl" => (export::PostingsWriter::jsonl(out), false),
        "csv" => (
            export::PostingsWriter::csv(out, csv_options(&args.out)?)?,
            true,
        ),
        other => bail!("--format {other:?}: use jsonl or csv"),
    };
    let mut failure = None;
    let mut left_out = Vec::new();
    let mut without_text = 0u64;
    store.for_each_posting_lossy(&mut |read| {
        // CSV has no text column: a posting whose text is lost is complete
        // there. JSON Lines is re-imported, and a posting without its
        // description would come back with other skills: it is left out.
        let posting = match read {
            Ok(p) => p,
            Err(UnreadableText { posting, .. }) if csv => {
                without_text += 1;
                posting
            }
            Err(UnreadableText { posting, cause }) => {
                left_out.push((posting.id, cause));
                return Ok(());
            }
        };
        writer.write(&posting).map_err(|e| {
            let msg = e.to_string();
            failure = Some(e);
            crate::store::StoreError::Engine(msg)
        })
    })?;
    if let Some(e) = failure {
        return Err(e.into());
    }
    writer.finish()?;
    if without_text > 0 {
        tracing::warn!(
            postings = without_text,
            "Postings whose text cannot be read were exported (the CSV has no text column); `skilltrack backup` lists them."
        );
    }
    if left_out.is_empty() {
        return Ok(ExitCode::SUCCESS);
    }
    list_unreadable(
        left_out.iter().map(|(id, cause)| (id, cause)),
        "left out (re-imported without their description they would count other skills)",
    );
    Ok(ExitCode::from(EXIT_PARTIAL))
}

fn normalizer() -> anyhow::Result<Arc<Normalizer>> {
    Ok(Arc::new(
        Normalizer::bundled().context("loading the bundled taxonomy and geography")?,
    ))
}

/// The source definitions, valid (with the configuration's overrides) and
/// broken: one bad file never hides the others.
fn load_sources(config: &Config) -> SourceSet {
    let mut set = extract::load_source_set(&config.extractors_dir);
    for s in &mut set.sources {
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
    set
}

/// Logs what is wrong with a source set (`serve` goes on with the valid sources).
fn log_broken_sources(set: &SourceSet) {
    if let Some(why) = &set.unreadable {
        tracing::warn!(problem = %why, "No source definitions: nothing will be collected.");
    }
    for b in &set.broken {
        tracing::error!(
            source = %b.id,
            file = %b.file.display(),
            problems = %b.problems.join("; "),
            "Source definition is broken: it is not collected until fixed (see `skilltrack sources check`)."
        );
    }
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
        seen_on: None,
        shutdown: None,
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
    let set = load_sources(&config);
    log_broken_sources(&set);
    let sources = set.sources;
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
    shutdown.on_signal();
    let scheduler = if args.no_schedule {
        None
    } else {
        let jobs: Vec<_> = sources
            .iter()
            .map(|s| (s.clone(), run_options(&config, s, None, None)))
            .collect();
        let scheduler = Scheduler::start(ctx.clone(), jobs, shutdown.clone()).await?;
        tracing::info!(jobs = scheduler.jobs, "Scheduler started.");
        Some(scheduler)
    };
    let addr = listener.local_addr()?;
    tracing::info!(%addr, data_dir = %config.data_dir.display(), "Serving.");
    // On stdout, for people and for scripts that bound port 0.
    // A closed stdout must not stop the daemon.
    let _ = writeln!(std::io::stdout(), "skilltrack: serving on http://{addr}");
    let state = AppState {
        store: store.clone(),
        normalizer,
    };
    let limits = config.server_limits();
    let server = tokio::spawn(api::serve_with(listener, state, limits, shutdown.wait()));
    shutdown.wait().await;
    // Runs stop between pages and are waited for, so that the flush below
    // comes after their last write and no count is left to a recount.
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
    tracing::info!("Stopped; the database is flushed.");
    Ok(ExitCode::SUCCESS)
}

/// The named sources of `set`; a broken or unknown one is an invalid
/// configuration naming what is wrong.
fn pick_sources(set: &SourceSet, wanted: &[String]) -> anyhow::Result<Vec<SourceDef>> {
    let mut picked = Vec::new();
    for name in wanted {
        if let Some(b) = set.broken.iter().find(|b| &b.id == name) {
            return Err(InvalidConfig(format!(
                "source {name:?} is broken:\n  {}",
                b.problems.join("\n  ")
            ))
            .into());
        }
        match set.sources.iter().find(|s| s.id.as_str() == name) {
            Some(s) => picked.push(s.clone()),
            None => {
                if let Some(why) = &set.unreadable {
                    return Err(InvalidConfig(why.clone()).into());
                }
                let all = &set.sources;
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
    let sources = pick_sources(&load_sources(&config), &args.sources)?;
    let store = open_store(&config)?;
    let ctx = context(&config, store.clone(), normalizer()?)?;
    let shutdown = Shutdown::new();
    shutdown.on_signal();
    let mut failed = false;
    let mut print_error = None;
    for source in &sources {
        if shutdown.is_triggered() {
            break;
        }
        let options = RunOptions {
            shutdown: Some(shutdown.clone()),
            ..run_options(
                &config,
                source,
                args.base_url.as_deref(),
                args.auth_url.as_deref(),
            )
        };
        eprintln!("Collecting {} ({})…", source.id, source.name);
        let report = pipeline::run_source(&ctx, source, &options).await;
        // A reader gone away (`run … | head`) does not stop the collection.
        if let Err(e) = print_report(&report) {
            print_error.get_or_insert(e);
        }
        failed |= report.error_count() > 0 && report.new + report.unchanged + report.updated == 0;
        failed |= report.pages > 0 && report.statuses.keys().all(|s| *s >= 400);
    }
    store.flush()?;
    if let Some(e) = print_error {
        return Err(e.into());
    }
    if shutdown.is_triggered() {
        eprintln!(
            "Interrupted: the pages fetched so far are stored; run again to collect the rest."
        );
        failed = true;
    }
    Ok(if failed {
        ExitCode::from(EXIT_PARTIAL)
    } else {
        ExitCode::SUCCESS
    })
}

/// A run's summary and errors on stdout.
fn print_report(report: &crate::report::RunReport) -> std::io::Result<()> {
    let mut out = std::io::stdout().lock();
    writeln!(out, "{}", report.summary())?;
    for e in &report.errors {
        writeln!(out, "  error: {e}")?;
    }
    Ok(())
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
        ExitCode::from(EXIT_PARTIAL)
    } else {
        ExitCode::SUCCESS
    })
}

fn extract_file(config: &Config, args: &ExtractArgs) -> anyhow::Result<ExitCode> {
    let normalizer = normalizer()?;
    let input = open_input(&args.file)?;
    let out = std::io::BufWriter::new(std::io::stdout().lock());
    let max_line_bytes = config.import.max_line_bytes();
    let bad = pipeline::extract_lines(&normalizer, input, max_line_bytes, out, |e| {
        eprintln!("{}: {e}", args.file.display());
    })
    .with_context(|| format!("extract from {}", args.file.display()))?;
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
    let options = csv_options(&args.out)?;
    let store = open_store(config)?;
    let series = trends::trends(store.as_ref(), &query)?;
    export::write_trends_csv(
        output(args.out.output.as_deref())?,
        &query,
        &series,
        options,
    )?;
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
            writeln!(
                std::io::stdout(),
                "{} source definition(s) OK",
                sources.len()
            )?;
            Ok(ExitCode::SUCCESS)
        }
        Err(e) => {
            eprint!("{e}");
            Ok(ExitCode::from(EXIT_INVALID_CONFIG))
        }
    }
}

fn sources_list(config: &Config) -> anyhow::Result<ExitCode> {
    let set = load_sources(config);
    if let Some(why) = &set.unreadable {
        return Err(InvalidConfig(why.clone()).into());
    }
    // The last run comes from the store; a store held by `serve` is not an error here.
    let store = if config.data_dir.exists() {
        SledStore::open_with(&config.data_dir, config.cache_mb, config.count_rules())
            .map_err(|e| tracing::debug!(error = %e, "Store not available: last runs not shown."))
            .ok()
    } else {
        None
    };
    let mut out = std::io::stdout().lock();
    writeln!(
        out,
        "{:<18} {:<6} {:<16} {:<26} {:<56} enabled",
        "id", "kind", "schedule", "last run", "name"
    )?;
    let last_run = |id: &str| {
        SourceId::parse(id)
            .ok()
            .and_then(|id| store.as_ref().and_then(|st| st.runs(&id, 1).ok()))
            .and_then(|runs| runs.into_iter().next())
            .map_or_else(|| "-".to_owned(), |r| r.started_at)
    };
    for s in &set.sources {
        let enabled = match s.missing_credentials() {
            m if m.is_empty() => s.enabled.to_string(),
            m => format!("false (needs {})", m.join(", ")),
        };
        writeln!(
            out,
            "{:<18} {:<6} {:<16} {:<26} {:<56} {}",
            s.id,
            s.extractor.kind(),
            s.schedule.as_deref().unwrap_or("-"),
            last_run(s.id.as_str()),
            s.name,
            enabled
        )?;
    }
    for b in &set.broken {
        writeln!(
            out,
            "{:<18} {:<6} {:<16} {:<26} {:<56} false (broken)",
            b.id,
            "-",
            "-",
            last_run(&b.id),
            format!("{} problem(s), below", b.problems.len()),
        )?;
    }
    if !set.broken.is_empty() {
        writeln!(
            out,
            "\n{} broken source definition(s), not collected until fixed:",
            set.broken.len()
        )?;
        for p in set.broken.iter().flat_map(|b| &b.problems) {
            writeln!(out, "  {p}")?;
        }
    }
    Ok(ExitCode::SUCCESS)
}

async fn sources_try(config: Config, args: TryArgs) -> anyhow::Result<ExitCode> {
    let source = pick_sources(&load_sources(&config), std::slice::from_ref(&args.source))?
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
    let (postings, report) =
        pipeline::try_source(&fetcher, &normalizer, &source, &options, args.limit).await;
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    let mut shown = 0usize;
    for (raw, normalized) in &postings {
        let p = match normalized {
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
