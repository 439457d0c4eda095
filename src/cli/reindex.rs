//! `skilltrack reindex`: every stored posting normalized again with the
//! bundled data, every count recomputed, then the database compacted (copied
//! into a fresh one and swapped in), so that reindexing does not grow it.

use std::io::Write;

use super::{compact_store, normalizer, open_store, progress_bar, Exit};
use crate::config::Config;
use crate::pipeline;

pub(super) fn reindex(config: &Config) -> anyhow::Result<Exit> {
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
    let compacted = compact_store(config)?;
    tracing::info!(
        before = compacted.before,
        after = compacted.after,
        "Database compacted."
    );
    writeln!(std::io::stdout(), "reindexed {n} postings")?;
    Ok(Exit::Success)
}
