//! `skilltrack backup FILE` and `skilltrack restore FILE`.

use std::io::Write;
use std::path::Path;

use anyhow::Context as _;

use super::{list_unreadable, normalizer, open_input, open_store, output, progress_bar, Exit};
use crate::config::Config;
use crate::store::backup as store_backup;

pub(super) fn backup(config: &Config, file: &Path) -> anyhow::Result<Exit> {
    // Before anything is created: `backup DATA_DIR/texts-0.log` would
    // truncate the text log it is about to read.
    store_backup::check_outside(&config.data_dir, file)?;
    let store = open_store(config)?;
    let out = output(Some(file))?;
    let written = store_backup::write(store.as_ref(), crate::store::SCHEMA_VERSION, out)?;
    eprintln!(
        "backed up {} postings to {}",
        written.postings,
        file.display()
    );
    if written.texts_lost.is_empty() {
        return Ok(Exit::Success);
    }
    list_unreadable(
        written.texts_lost.iter().map(|(id, cause)| (id, cause)),
        "written without their text, marked \"text_lost\" (a restore counts them as this database does)",
    );
    Ok(Exit::Partial)
}

pub(super) fn restore(config: &Config, file: &Path) -> anyhow::Result<Exit> {
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
    let n = store_backup::restore_dir(
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
    Ok(Exit::Success)
}
