//! `skilltrack reindex`: every stored posting normalized again with the
//! bundled data, every count recomputed, then the database compacted (copied
//! into a fresh one and swapped in), so that reindexing does not grow it.
//! `reindex --from-lake LAKE`: the postings and counts of a raw-postings
//! lake (`pipeline::reindex_from_lake`), then the same compaction.

use std::io::Write;

use super::{compact_store, normalizer, open_store, progress_bar, Exit, ReindexArgs};
use crate::config::Config;
use crate::pipeline;

pub(super) fn reindex(config: &Config, args: &ReindexArgs) -> anyhow::Result<Exit> {
    if let Some(lake) = &args.from_lake {
        return reindex_from_lake(config, lake);
    }
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
    // The database is closed before it is copied and swapped.
    drop(store);
    compact_and_log(config)?;
    writeln!(std::io::stdout(), "reindexed {n} postings")?;
    Ok(Exit::Success)
}

fn reindex_from_lake(config: &Config, lake: &std::path::Path) -> anyhow::Result<Exit> {
    use anyhow::Context as _;
    let store = open_store(config)?;
    let normalizer = normalizer()?;
    let bar = progress_bar("reading the lake and computing its counts");
    bar.tick();
    let done = pipeline::reindex_from_lake(
        store.as_ref(),
        &normalizer,
        &config.count_rules(),
        lake,
        config.import.max_line_bytes(),
    )
    .with_context(|| format!("reindex from the lake {}", lake.display()))?;
    bar.finish_and_clear();
    drop(store);
    compact_and_log(config)?;
    for row in &done.error_rows {
        eprintln!("{row}");
    }
    if done.errors > done.error_rows.len() as u64 {
        eprintln!("… {} error rows in all", done.errors);
    }
    writeln!(
        std::io::stdout(),
        "reindexed {} postings from {} raw lines in {} files: {} counters, {} error rows",
        done.postings,
        done.lines,
        done.files,
        done.counters,
        done.errors
    )?;
    Ok(if done.errors > 0 {
        Exit::Partial
    } else {
        Exit::Success
    })
}

/// Compacts the closed database (the end of every reindex) and logs the sizes.
fn compact_and_log(config: &Config) -> anyhow::Result<()> {
    let compacted = compact_store(config)?;
    tracing::info!(
        before = compacted.before,
        after = compacted.after,
        "Database compacted."
    );
    Ok(())
}
