//! `skilltrack demo`: start the bundled sample board ([`crate::demo`]) on
//! 127.0.0.1, collect its four sources through the normal pipeline (the
//! fetcher with its politeness, extraction, normalization, the store) into
//! a temporary data directory unless `--data-dir` is given, then serve the
//! API and dashboard as `serve --no-schedule` does, and print the URL and
//! three example queries. Ctrl-C stops it like `serve`; the temporary
//! directory is removed at exit.

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

use anyhow::Context as _;

use super::serve::{serve_on, Listening};
use super::ServeArgs;
use super::{context, load_sources, normalizer, open_store, run_options, DemoArgs, Exit};
use crate::config::Config;
use crate::demo::{self, Board};
use crate::domain::Day;
use crate::pipeline::{self, RunOptions};
use crate::shutdown::Shutdown;

/// A directory removed when dropped.
struct Scratch(PathBuf);

impl Scratch {
    fn new() -> anyhow::Result<Scratch> {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.subsec_nanos());
        let dir = std::env::temp_dir().join(format!(
            "skilltrack-demo-{}-{nanos:08x}",
            std::process::id()
        ));
        std::fs::create_dir_all(&dir)
            .with_context(|| format!("cannot create {}", dir.display()))?;
        Ok(Scratch(dir))
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Writes the demo's source definitions into `dir`.
fn write_sources(dir: &Path) -> anyhow::Result<()> {
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    for (file, text) in demo::SOURCES {
        let path = dir.join(file);
        std::fs::write(&path, text).with_context(|| format!("cannot write {}", path.display()))?;
    }
    Ok(())
}

pub(super) async fn demo(
    mut config: Config,
    data_dir: Option<PathBuf>,
    args: DemoArgs,
) -> anyhow::Result<Exit> {
    let started = Instant::now();
    let scratch = Scratch::new()?;
    let kept = data_dir.is_some();
    config.data_dir = data_dir.unwrap_or_else(|| scratch.0.join("db"));
    config.extractors_dir = scratch.0.join("extractors");
    write_sources(&config.extractors_dir)?;
    // Bound first: a taken port is said at once, not after the collection.
    let bind = args.bind.unwrap_or(config.bind);
    let listener = tokio::net::TcpListener::bind(bind)
        .await
        .with_context(|| format!("cannot listen on {bind} (is the port taken? use --bind)"))?;
    let shutdown = Shutdown::new();
    shutdown.on_signal();

    let board_listener = tokio::net::TcpListener::bind(("127.0.0.1", 0))
        .await
        .context("cannot start the demo board on 127.0.0.1")?;
    let base = format!("http://{}", board_listener.local_addr()?);
    let board = Arc::new(Board::new(demo::postings()?, Day::today(), base.clone()));
    let board_stop = Shutdown::new();
    let board_task = tokio::spawn(demo::serve_board(board_listener, board, board_stop.wait()));
    eprintln!("Demo board serving the sample postings on {base} (json, html, jsonld, rss).");
    eprintln!(
        "Data directory: {}{}",
        config.data_dir.display(),
        if kept { "" } else { " (removed at exit)" }
    );

    let store = open_store(&config)?;
    let ctx = context(&config, store.clone(), normalizer()?)?;
    let sources = load_sources(&config)
        .into_result()
        .map_err(|e| anyhow::anyhow!("the demo's source definitions: {e}"))?;
    // The four sources at once, as `serve` runs due sources: the board's
    // host still takes one request at a time at the sources' rate.
    let bar = super::progress_bar("collecting");
    bar.set_message(format!(
        "Collecting {} sources from the demo board…",
        sources.len()
    ));
    bar.enable_steady_tick(std::time::Duration::from_millis(120));
    let runs = sources.iter().map(|source| {
        let options = RunOptions {
            shutdown: Some(shutdown.clone()),
            ..run_options(&config, source, Some(&base), None)
        };
        let (ctx, bar) = (&ctx, &bar);
        async move {
            let report = pipeline::run_source(ctx, source, &options).await;
            let mut lines = vec![report
                .summary()
                .lines()
                .next()
                .unwrap_or_default()
                .to_owned()];
            lines.extend(report.errors.iter().map(|e| format!("  error: {e}")));
            for line in lines {
                // A hidden bar (stderr not a terminal) prints nothing.
                if bar.is_hidden() {
                    eprintln!("{line}");
                } else {
                    bar.println(line);
                }
            }
        }
    });
    futures_util::future::join_all(runs).await;
    bar.finish_and_clear();
    store.flush()?;
    board_stop.trigger();
    let _ = board_task.await;
    if shutdown.is_triggered() {
        return Ok(Exit::Success);
    }
    eprintln!(
        "Collected in {:.1} s; serving the API and dashboard.",
        started.elapsed().as_secs_f64()
    );

    let ready = Box::new(move |addr: std::net::SocketAddr| {
        let mut out = std::io::stdout().lock();
        let _ = writeln!(out, "{}", examples(addr, started.elapsed().as_secs_f64()));
        let _ = out.flush();
    });
    let on = Listening {
        listener,
        shutdown,
        ready,
    };
    let serve_args = ServeArgs {
        bind: Some(bind),
        no_schedule: true,
        no_catch_up: true,
    };
    let exit = serve_on(config, serve_args, Vec::new(), store, on).await;
    drop(scratch);
    exit
}

/// The dashboard's URL and three queries that show the demo's stories.
fn examples(addr: std::net::SocketAddr, seconds: f64) -> String {
    let base = format!("http://{addr}");
    format!(
        "skilltrack demo: ready in {seconds:.1} s. Dashboard: {base}/\n\
         Try:\n  \
         # CKA taking off in Bretagne, quarter by quarter (share of postings):\n  \
         curl -s '{base}/api/v1/trends?skills=cka&geo=FR-BRE&interval=quarter'\n  \
         # the surest risers in France this year:\n  \
         curl -s '{base}/api/v1/top?geo=FR&sort=growth&limit=5'\n  \
         # the latest postings asking for Rust:\n  \
         curl -s '{base}/api/v1/postings?skill=rust&limit=3'\n\
         Ctrl-C stops the demo."
    )
}
