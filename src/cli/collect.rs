//! `skilltrack collect --out LAKE [--shard I/N] [--once|--daemon]
//! [SOURCE…]`: sources collected into a raw-postings lake, never into the
//! database (which is not opened); `skilltrack sources shards --of N`,
//! which collector shard collects each source; and `skilltrack export lake
//! --out LAKE`, a lake seeded from the database.
//!
//! `--daemon` runs each source of the shard on its schedule
//! (tokio-cron-scheduler, UTC, as `serve` does; never two runs of one
//! source at once) until SIGTERM or Ctrl-C: runs in progress then stop
//! after the page in hand and publish their file before the process exits.

use std::io::Write;
use std::path::Path;
use std::sync::Arc;

use anyhow::Context as _;
use tokio_cron_scheduler::{Job, JobScheduler};
use tokio_util::task::TaskTracker;

use super::{load_sources, pick_sources, run_options, CollectArgs, Exit};
use crate::config::Config;
use crate::extract::SourceDef;
use crate::fetch::Fetcher;
use crate::lake::Shard;
use crate::pipeline::{self, RunOptions};
use crate::shutdown::Shutdown;

pub(super) async fn collect(config: Config, args: CollectArgs) -> anyhow::Result<Exit> {
    let sources = shard_sources(&config, &args)?;
    if sources.is_empty() {
        eprintln!(
            "No enabled source falls in shard {} (see `skilltrack sources shards --of {}`).",
            args.shard,
            args.shard.of()
        );
        return Ok(Exit::Success);
    }
    let fetcher = Fetcher::new(config.fetch_config())?;
    let shutdown = Shutdown::new();
    shutdown.on_signal();
    if args.daemon {
        return daemon(&config, &args, fetcher, sources, shutdown).await;
    }
    let mut failed = false;
    for source in &sources {
        if shutdown.is_triggered() {
            break;
        }
        let options = RunOptions {
            shutdown: Some(shutdown.clone()),
            started_at: args.started_at.clone(),
            ..run_options(&config, source, args.base_url.as_deref(), None)
        };
        eprintln!(
            "Collecting {} ({}) into {}…",
            source.id,
            source.name,
            args.out.display()
        );
        failed |= !run_once(&fetcher, source, &options, &args.out, args.shard).await;
    }
    if shutdown.is_triggered() {
        eprintln!("Interrupted: the pages fetched so far are in the lake.");
        failed = true;
    }
    Ok(if failed { Exit::Partial } else { Exit::Success })
}

/// One lake run; prints its summary. Whether it wrote its file and read
/// something (or had nothing to read without error).
async fn run_once(
    fetcher: &Fetcher,
    source: &SourceDef,
    options: &RunOptions,
    lake: &Path,
    shard: Shard,
) -> bool {
    match pipeline::collect_to_lake(fetcher, source, options, lake, shard).await {
        Ok(done) => {
            let r = &done.report;
            let mut out = std::io::stdout().lock();
            let _ = writeln!(
                out,
                "{}: {} page(s), {} item(s), {} raw line(s) written to {}, {} error(s)",
                source.id,
                r.pages,
                r.items,
                r.new,
                done.data.display(),
                r.error_count()
            );
            for e in &r.errors {
                let _ = writeln!(out, "  error: {e}");
            }
            !(r.error_count() > 0 && r.new == 0)
        }
        Err(e) => {
            eprintln!("{}: {:#}", source.id, anyhow::Error::new(e));
            false
        }
    }
}

/// The sources to collect: the named ones (else every enabled one) that
/// fall in the shard.
fn shard_sources(config: &Config, args: &CollectArgs) -> anyhow::Result<Vec<SourceDef>> {
    let set = load_sources(config);
    let candidates = if args.sources.is_empty() {
        set.sources.iter().filter(|s| s.enabled).cloned().collect()
    } else {
        pick_sources(&set, &args.sources)?
    };
    Ok(candidates
        .into_iter()
        .filter(|s| {
            let mine = pipeline::shard_of(s, args.shard.of()) == args.shard;
            if !mine && !args.sources.is_empty() {
                eprintln!(
                    "{}: collected by shard {}, not {}; skipped.",
                    s.id,
                    pipeline::shard_of(s, args.shard.of()),
                    args.shard
                );
            }
            mine
        })
        .collect())
}

/// Runs every scheduled source on its cron until `shutdown`, then waits
/// for the runs in progress (they stop between pages and publish).
async fn daemon(
    config: &Config,
    args: &CollectArgs,
    fetcher: Fetcher,
    sources: Vec<SourceDef>,
    shutdown: Shutdown,
) -> anyhow::Result<Exit> {
    let scheduler = JobScheduler::new()
        .await
        .context("starting the scheduler")?;
    let runs = TaskTracker::new();
    let lake = Arc::new(args.out.clone());
    let mut scheduled = 0;
    for source in sources {
        let Some(cron) = source.schedule.clone() else {
            tracing::info!(source = %source.id, "No schedule: not collected by the daemon.");
            continue;
        };
        let options = RunOptions {
            shutdown: Some(shutdown.clone()),
            ..run_options(config, &source, args.base_url.as_deref(), None)
        };
        let guard = Arc::new(tokio::sync::Mutex::new(()));
        let (fetcher, runs, lake, shard) =
            (fetcher.clone(), runs.clone(), lake.clone(), args.shard);
        let id = source.id.clone();
        let source = Arc::new(source);
        let job = Job::new_async(cron.as_str(), move |_uuid, _scheduler| {
            let (fetcher, source, options, runs, lake, guard) = (
                fetcher.clone(),
                source.clone(),
                options.clone(),
                runs.clone(),
                lake.clone(),
                guard.clone(),
            );
            Box::pin(async move {
                let Ok(_running) = guard.try_lock() else {
                    tracing::warn!(source = %source.id, "Previous run still going; tick skipped.");
                    return;
                };
                if options
                    .shutdown
                    .as_ref()
                    .is_some_and(Shutdown::is_triggered)
                {
                    return;
                }
                let run = async {
                    run_once(&fetcher, &source, &options, &lake, shard).await;
                };
                runs.track_future(run).await;
            })
        })
        .with_context(|| format!("scheduling {id} ({cron})"))?;
        scheduler.add(job).await.context("adding a cron job")?;
        scheduled += 1;
    }
    scheduler.start().await.context("starting the scheduler")?;
    eprintln!(
        "skilltrack: collecting {scheduled} source(s) of shard {} into {} on their schedules",
        args.shard,
        args.out.display()
    );
    shutdown.wait().await;
    let mut scheduler = scheduler;
    if let Err(e) = scheduler.shutdown().await {
        tracing::warn!(error = %e, "Scheduler shutdown reported an error.");
    }
    runs.close();
    runs.wait().await;
    Ok(Exit::Success)
}

/// `sources shards --of N`: one line per valid source, `source\thost\tshard`.
pub(super) fn sources_shards(config: &Config, of: u32) -> anyhow::Result<Exit> {
    let set = load_sources(config);
    let mut out = std::io::stdout().lock();
    writeln!(out, "source\thost\tshard")?;
    for s in &set.sources {
        let shard = pipeline::shard_of(s, of);
        writeln!(out, "{}\t{}\t{}", s.id, pipeline::shard_key(s), shard)?;
    }
    Ok(Exit::Success)
}

/// `export lake --out LAKE`: every stored posting as a raw line.
pub(super) fn export_lake(config: &Config, args: &super::ExportLakeArgs) -> anyhow::Result<Exit> {
    let store = super::open_store(config)?;
    let done = pipeline::export_lake(store.as_ref(), &args.out, time::OffsetDateTime::now_utc())
        .with_context(|| format!("export to the lake {}", args.out.display()))?;
    for (id, why) in &done.left_out {
        eprintln!("posting {id} left out: its text cannot be read: {why}");
    }
    writeln!(
        std::io::stdout(),
        "exported {} postings to {} files under {}",
        done.postings,
        done.files,
        args.out.join(crate::lake::RAW_DIR).display()
    )?;
    Ok(if done.left_out.is_empty() {
        Exit::Success
    } else {
        Exit::Partial
    })
}
