//! `skilltrack reindex`: every stored posting normalized again with the
//! bundled data, every count recomputed.

use std::io::Write;

use super::{normalizer, open_store, progress_bar, Exit};
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
    writeln!(std::io::stdout(), "reindexed {n} postings")?;
    Ok(Exit::Success)
}
