//! `skilltrack run`: collect the enabled (or named) sources once; when
//! `skilltrack serve` holds the database, ask it instead ([`super::remote`]).

use super::remote;
use super::{
    context, load_sources, normalizer, open_store, pick_sources, print_report, run_options, Exit,
    RunArgs,
};
use crate::config::Config;
use crate::pipeline;
use crate::pipeline::RunOptions;
use crate::shutdown::Shutdown;
use crate::store::StoreError;

pub(super) async fn run_sources(config: Config, args: RunArgs) -> anyhow::Result<Exit> {
    let sources = pick_sources(&load_sources(&config), &args.sources)?;
    let store = match open_store(&config) {
        Ok(store) => store,
        Err(e) if is_locked(&e) => {
            let server = remote::server_url(&config, &args);
            return remote::run_on_server(&config, &args, &server).await;
        }
        Err(e) => return Err(e),
    };
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

/// Whether opening the store failed because another process holds it.
fn is_locked(e: &anyhow::Error) -> bool {
    e.chain().any(|c| {
        matches!(
            c.downcast_ref::<StoreError>(),
            Some(StoreError::Locked { .. })
        )
    })
}
