//! `skilltrack serve`: the API and the scheduler (catch-up at start, reload
//! on SIGHUP or the admin route), stopped cleanly: on SIGINT/SIGTERM
//! scheduling stops, runs in flight get `[schedule] shutdown_grace_secs` to
//! finish (then stop at their next page), the store is flushed, exit 0; a
//! second signal exits at once (status 130, see [`crate::shutdown`]).

use std::io::Write;
use std::sync::Arc;

use anyhow::Context as _;

use super::{
    context, load_sources_with_reasons, log_broken_sources, normalizer, open_store, plan,
    planned_sources, Exit, ServeArgs,
};
use crate::api;
use crate::api::AppState;
use crate::config::Config;
use crate::schedule::{CatchUp, Loader, Scheduler};
use crate::shutdown::Shutdown;

pub(super) async fn serve(config: Config, args: ServeArgs) -> anyhow::Result<Exit> {
    let (set, reasons) = load_sources_with_reasons(&config);
    log_broken_sources(&set);
    let sources = plan(&config, set, reasons).sources;
    let store = open_store(&config)?;
    let bind = args.bind.unwrap_or(config.bind);
    let listener = tokio::net::TcpListener::bind(bind)
        .await
        .with_context(|| format!("cannot listen on {bind} (is the port taken? use --bind)"))?;
    let shutdown = Shutdown::new();
    shutdown.on_signal();
    let on = Listening {
        listener,
        shutdown,
        ready: Box::new(|_| {}),
    };
    serve_on(config, args, sources, store, on).await
}

/// Where a server listens, what stops it, and what to do once its address
/// is printed.
pub(super) struct Listening {
    /// The bound listener.
    pub listener: tokio::net::TcpListener,
    /// The shutdown trigger (signals already wired by the caller).
    pub shutdown: Shutdown,
    /// Called with the address after the "serving on" line.
    pub ready: Box<dyn FnOnce(std::net::SocketAddr) + Send>,
}

/// `serve` on an open store and a bound listener (`demo` serves its
/// collected store through this too, with no schedule).
pub(super) async fn serve_on(
    config: Config,
    args: ServeArgs,
    sources: Vec<crate::schedule::Planned>,
    store: Arc<dyn crate::store::Store>,
    on: Listening,
) -> anyhow::Result<Exit> {
    let Listening {
        listener,
        shutdown,
        ready,
    } = on;
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
    let scheduler = if args.no_schedule {
        None
    } else {
        let loader: Loader = {
            let config = config.clone();
            Arc::new(move || planned_sources(&config))
        };
        let s = &config.schedule;
        let catch_up = (s.catch_up && !args.no_catch_up).then_some(CatchUp {
            spacing: s.catch_up_spacing,
            jitter: s.catch_up_jitter,
        });
        let scheduler = Scheduler::start(ctx.clone(), sources, loader, catch_up).await?;
        tracing::info!(
            jobs = scheduler.jobs,
            catch_up = catch_up.is_some(),
            "Scheduler started."
        );
        Some(Arc::new(scheduler))
    };
    if let Some(s) = &scheduler {
        reload_on_hangup(s.clone(), shutdown.clone());
    }
    let addr = listener.local_addr()?;
    tracing::info!(%addr, data_dir = %config.data_dir.display(), "Serving.");
    // On stdout, for people and for scripts that bound port 0.
    // A closed stdout must not stop the daemon.
    let _ = writeln!(std::io::stdout(), "skilltrack: serving on http://{addr}");
    ready(addr);
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
    let mut state = AppState {
        store: store.clone(),
        normalizer,
        min_support: config.trends.min_support,
        cors: config.cors(),
        cache: api::cache::ResponseCache::default(),
        collection: None,
        admin_token: config.api.admin_token.clone(),
        work: api::work::StoreWork::for_machine(),
    };
    if let Some(s) = &scheduler {
        state = state.with_collection(s.collection());
    }
    let limits = config.server_limits();
    let server = tokio::spawn(api::serve_with(listener, state, limits, shutdown.wait()));
    shutdown.wait().await;
    // Scheduling stops; runs in flight get the grace period, then stop
    // between pages and are waited for, so that the flush below comes after
    // their last write and no count is left to a recount.
    if let Some(s) = &scheduler {
        s.shutdown(config.schedule.shutdown_grace).await;
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

/// Reloads the source definitions on each SIGHUP until `shutdown` fires
/// (the outcome is logged by the scheduler).
fn reload_on_hangup(scheduler: Arc<Scheduler>, shutdown: Shutdown) {
    #[cfg(unix)]
    tokio::spawn(async move {
        use tokio::signal::unix::{signal, SignalKind};
        let Ok(mut hangups) = signal(SignalKind::hangup()) else {
            tracing::warn!("Cannot listen for SIGHUP: reload through the admin route.");
            return;
        };
        let stop = shutdown.wait();
        tokio::pin!(stop);
        loop {
            tokio::select! {
                _ = &mut stop => return,
                Some(()) = hangups.recv() => {
                    tracing::info!("SIGHUP: reloading the source definitions.");
                    let scheduler = scheduler.clone();
                    let _ = tokio::task::spawn_blocking(move || scheduler.reload()).await;
                }
            }
        }
    });
    #[cfg(not(unix))]
    let _ = (scheduler, shutdown);
}
