//! `skilltrack import-counts DIR`: a count snapshot (see
//! [`store::snapshot`](crate::store::snapshot)) checked against this
//! binary's data and rules, read whole, then swapped in for every count of
//! the database; the same snapshot again does nothing. And `skilltrack
//! batch fingerprint`: what the snapshot's manifest must say for it to be
//! accepted.

use std::io::Write;

use anyhow::Context as _;

use super::{normalizer, open_store, Exit, ImportCountsArgs};
use crate::config::Config;
use crate::normalize::{data_fingerprint_of, Normalizer};
use crate::store::snapshot::{Fingerprint, Provenance, Snapshot, SnapshotError};

/// What counts computed by this binary under `config` depend on.
fn provenance(config: &Config, normalizer: &Normalizer) -> Provenance {
    Provenance {
        binary_version: env!("CARGO_PKG_VERSION").to_owned(),
        taxonomy_fingerprint: Fingerprint(normalizer.taxonomy().fingerprint()),
        geography_fingerprint: Fingerprint(normalizer.gazetteer().data_fingerprint()),
        count_rules: config.count_rules().into(),
    }
}

/// `batch fingerprint`: the provenance as one JSON line.
pub(super) fn batch_fingerprint(config: &Config) -> anyhow::Result<Exit> {
    let normalizer = normalizer()?;
    let mut out = std::io::stdout().lock();
    serde_json::to_writer(&mut out, &provenance(config, &normalizer))?;
    writeln!(out)?;
    Ok(Exit::Success)
}

/// `import-counts DIR [--snapshot ID] [--allow-mismatch]`.
pub(super) fn import_counts(config: &Config, args: &ImportCountsArgs) -> anyhow::Result<Exit> {
    let snapshot = Snapshot::open(&args.dir, args.snapshot.as_deref())?;
    let id = snapshot.id().to_owned();
    let normalizer = normalizer()?;
    let binary = provenance(config, &normalizer);
    let matches = match snapshot.check(&binary) {
        Ok(()) => true,
        Err(e @ SnapshotError::Mismatch { .. }) if args.allow_mismatch => {
            tracing::warn!(error = %e, "Loading it anyway (--allow-mismatch).");
            false
        }
        Err(e) => {
            return Err(anyhow::Error::new(e).context(
                "nothing loaded: recompute the snapshot with this binary, or pass \
                 --allow-mismatch to load it anyway",
            ))
        }
    };
    let manifest = &snapshot.manifest;
    if manifest.provenance.binary_version != binary.binary_version {
        tracing::info!(
            snapshot = %manifest.provenance.binary_version,
            binary = %binary.binary_version,
            "The snapshot was computed by another version with the same data and rules."
        );
    }
    let store = open_store(config)?;
    let mut stdout = std::io::stdout();
    if store.counts_snapshot()?.as_deref() == Some(id.as_str()) {
        writeln!(
            stdout,
            "snapshot {id} is already loaded and its counts unchanged: nothing to do"
        )?;
        return Ok(Exit::Success);
    }
    let counts = snapshot
        .read_counts()
        .with_context(|| format!("snapshot {id}: nothing replaced"))?;
    store.replace_counts(&counts)?;
    store.set_counts_snapshot(&id)?;
    // The data the counts were computed with: `serve` warns when it is not
    // this binary's.
    let data = if matches {
        normalizer.data_fingerprint()
    } else {
        let p = &manifest.provenance;
        data_fingerprint_of(p.taxonomy_fingerprint.0, p.geography_fingerprint.0)
    };
    store.set_data_fingerprint(data)?;
    store.flush()?;
    let days = manifest.days.as_ref().map_or_else(
        || "no days".to_owned(),
        |d| format!("{} to {}", d.first, d.last),
    );
    writeln!(
        stdout,
        "loaded snapshot {id}: {} counters ({days}) from {} postings",
        manifest.rows, manifest.postings
    )?;
    Ok(Exit::Success)
}
