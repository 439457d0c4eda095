//! `skilltrack serve`: the API and the scheduler, stopped cleanly.

use std::io::Write;

use anyhow::Context as _;

use super::{
    context, load_sources, log_broken_sources, normalizer, open_store, run_options, Exit, ServeArgs,
};
use crate::api;
use crate::api::AppState;
use crate::config::Config;
use crate::schedule::Scheduler;
use crate::shutdown::Shutdown;

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
    // The posting index (ids, duplicate groups, postings by day) is built
    // from the records on first use, seconds for a million postings: build
    // it now, beside the server, rather than in the first request's time.
    let prepared = store.clone();
    tokio::task::spawn_blocking(move || {
        let started = std::time::Instant::now();
        match prepared.prepare() {
            Ok(()) => tracing::info!(
                seconds = started.elapsed().as_secs_f64(),
                "Posting index ready."
            ),
            Err(e) => tracing::error!(
                error = %crate::domain::error_chain(&e),
                "Cannot build the posting index; requests that need it will fail."
            ),
        }
    });
    let state = AppState {
        store: store.clone(),
        normalizer,
        min_support: config.trends.min_support,
        cors: config.cors(),
        cache: api::cache::ResponseCache::default(),
        collection: None,
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
