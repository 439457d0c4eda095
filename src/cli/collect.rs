//! Collection: the source set (valid and broken), `serve` (API and
//! scheduler, stopped cleanly) and `run`.

use std::io::Write;
use std::sync::Arc;

use anyhow::Context as _;

use super::{normalizer, open_store, Exit, InvalidConfig, RunArgs, ServeArgs};
use crate::api::{self, AppState};
use crate::config::Config;
use crate::extract::{self, SourceDef, SourceSet};
use crate::fetch::Fetcher;
use crate::normalize::Normalizer;
use crate::pipeline::{self, Context, RunOptions};
use crate::schedule::Scheduler;
use crate::shutdown::Shutdown;
use crate::store::Store;

/// The source definitions, valid (with the configuration's overrides) and
/// broken: one bad file never hides the others.
pub(super) fn load_sources(config: &Config) -> SourceSet {
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
pub(super) fn log_broken_sources(set: &SourceSet) {
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

pub(super) fn run_options(
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

pub(super) fn context(
    config: &Config,
    store: Arc<dyn Store>,
    normalizer: Arc<Normalizer>,
) -> anyhow::Result<Context> {
    Ok(Context {
        store,
        normalizer,
        fetcher: Fetcher::new(config.fetch_config())?,
    })
}

pub(super) async fn serve(config: Config, args: ServeArgs) -> anyhow::Result<Exit> {
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
    Ok(Exit::Success)
}

/// The named sources of `set`; a broken or unknown one is an invalid
/// configuration naming what is wrong.
pub(super) fn pick_sources(set: &SourceSet, wanted: &[String]) -> anyhow::Result<Vec<SourceDef>> {
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
                let hint = crate::domain::suggest(name, all.iter().map(|s| s.id.as_str()))
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

pub(super) async fn run_sources(config: Config, args: RunArgs) -> anyhow::Result<Exit> {
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
    Ok(if failed { Exit::Partial } else { Exit::Success })
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
