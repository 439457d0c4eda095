//! Count snapshots: the count table computed outside the store (by the
//! Spark job `scaleout/spark/skilltrack_counts.py`, from a raw-postings
//! lake), read back to be served through
//! [`PostingStore::replace_counts`](super::PostingStore::replace_counts).
//!
//! ## Layout (version 1)
//! ```text
//! LAKE/counts/v1/_CURRENT                      the current snapshot id (written last)
//! LAKE/counts/v1/snapshot=<id>/manifest.json   see [`Manifest`]
//! LAKE/counts/v1/snapshot=<id>/tsv/part-*      the count table (plain or .gz)
//! LAKE/counts/v1/snapshot=<id>/csv/part-*      its twin for analysts (header, commas)
//! ```
//! A count table row is `skill<TAB>geo<TAB>counter<TAB>day<TAB>value`, no
//! header: skill id or `*`, geography code, `o` (opened) or `c` (closed),
//! `YYYY-MM-DD`, a signed non-zero integer; one row per counter. Names
//! starting with `.` or `_` are ignored (Spark's `_SUCCESS` and `.crc`).
//!
//! A snapshot is only as good as the data it was computed with: its
//! manifest carries the [`Provenance`] of the binary that computed it, and
//! [`Snapshot::check`] refuses one computed with another taxonomy,
//! geography or counting rules.

mod read;

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::domain::CountRules;

pub use read::{BadRow, RowError};

/// The manifest's file name in a snapshot directory.
pub const MANIFEST: &str = "manifest.json";
/// The file naming the current snapshot, in the snapshots' directory.
pub const CURRENT: &str = "_CURRENT";
/// The directory of the count table's parts in a snapshot directory.
pub const TABLE_DIR: &str = "tsv";
/// The manifest schema this build reads and writes.
pub const MANIFEST_SCHEMA: u32 = 1;

/// A 64-bit fingerprint, written as 16 lowercase hex digits (JSON numbers
/// lose bits past 2⁵³ in most readers).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Fingerprint(pub u64);

impl std::fmt::Display for Fingerprint {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:016x}", self.0)
    }
}

impl Serialize for Fingerprint {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Fingerprint {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Fingerprint, D::Error> {
        let text = String::deserialize(d)?;
        if text.len() != 16 {
            return Err(serde::de::Error::custom(format!(
                "fingerprint {text:?}: expected 16 hex digits"
            )));
        }
        u64::from_str_radix(&text, 16)
            .map(Fingerprint)
            .map_err(|_| serde::de::Error::custom(format!("fingerprint {text:?}: not hex")))
    }
}

/// The counting rules, as a manifest writes them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RulesJson {
    /// See [`CountRules::dedup_window_days`].
    pub dedup_window_days: i32,
    /// See [`CountRules::unseen_close_days`].
    pub unseen_close_days: i32,
    /// See [`CountRules::max_open_days`].
    pub max_open_days: i32,
}

impl From<CountRules> for RulesJson {
    fn from(r: CountRules) -> RulesJson {
        RulesJson {
            dedup_window_days: r.dedup_window_days,
            unseen_close_days: r.unseen_close_days,
            max_open_days: r.max_open_days,
        }
    }
}

impl std::fmt::Display for RulesJson {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "dedup_window_days={} unseen_close_days={} max_open_days={}",
            self.dedup_window_days, self.unseen_close_days, self.max_open_days
        )
    }
}

/// What counts depend on besides the log: printed by `skilltrack batch
/// fingerprint` for the Spark job, which copies it into the manifest.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Provenance {
    /// The version of the binary that computed the counts.
    pub binary_version: String,
    /// The skill taxonomy's fingerprint.
    pub taxonomy_fingerprint: Fingerprint,
    /// The geography's fingerprint.
    pub geography_fingerprint: Fingerprint,
    /// The counting rules (configuration `[counting]`).
    pub count_rules: RulesJson,
}

/// The first and last day a snapshot has counts for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DaysCovered {
    /// First day (`YYYY-MM-DD`).
    pub first: String,
    /// Last day.
    pub last: String,
}

/// A snapshot's `manifest.json`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Manifest {
    /// Always [`MANIFEST_SCHEMA`].
    pub schema: u32,
    /// The snapshot id (the directory is `snapshot=<id>`).
    pub snapshot: String,
    /// When it was made (RFC 3339 UTC).
    pub created: String,
    /// The binary and data that computed it.
    #[serde(flatten)]
    pub provenance: Provenance,
    /// Days with counts (`null` for an empty table).
    pub days: Option<DaysCovered>,
    /// Rows of the count table (checked when it is read).
    pub rows: u64,
    /// Distinct postings in the log it was computed from.
    pub postings: u64,
    /// Error rows the batch stages produced (bad raw lines).
    pub error_rows: u64,
    /// The count table's part files, relative to the snapshot directory
    /// (every file of [`TABLE_DIR`] when empty).
    #[serde(default)]
    pub parts: Vec<String>,
}

/// One way a snapshot's provenance differs from the binary's.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Difference {
    /// What differs ("taxonomy fingerprint").
    pub what: &'static str,
    /// The snapshot's value.
    pub snapshot: String,
    /// This binary's value.
    pub binary: String,
}

impl std::fmt::Display for Difference {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{}: {} in the snapshot, {} in this binary",
            self.what, self.snapshot, self.binary
        )
    }
}

/// Why a snapshot cannot be read or used.
#[derive(Debug, thiserror::Error)]
pub enum SnapshotError {
    /// No `_CURRENT` and no snapshot id given.
    #[error(
        "{dir} has no {CURRENT}: no snapshot was completed there (or name one with --snapshot)"
    )]
    NoCurrent {
        /// The snapshots' directory.
        dir: PathBuf,
    },
    /// A snapshot id that cannot be a directory name of the layout.
    #[error("invalid snapshot id {id:?}: use letters, digits, '.', '-' and '_', not starting with '.' or '_'")]
    BadId {
        /// The id.
        id: String,
    },
    /// A file or directory could not be read.
    #[error("cannot read {path}")]
    Io {
        /// The path.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// The manifest is not valid JSON of the expected shape.
    #[error("{path} is not a valid manifest")]
    Manifest {
        /// The manifest.
        path: PathBuf,
        /// The JSON error.
        #[source]
        source: serde_json::Error,
    },
    /// The manifest is of another schema.
    #[error("{path} has manifest schema {found}; this build reads schema {MANIFEST_SCHEMA}")]
    Schema {
        /// The manifest.
        path: PathBuf,
        /// Its schema.
        found: u32,
    },
    /// The manifest names another snapshot than its directory.
    #[error("{path} is the manifest of snapshot {found:?}, not {expected:?}")]
    WrongId {
        /// The manifest.
        path: PathBuf,
        /// The id it names.
        found: String,
        /// The directory's id.
        expected: String,
    },
    /// Computed with other data or rules than this binary's.
    #[error("snapshot {snapshot} was computed with other data or rules than this binary ({})", list(.differences))]
    Mismatch {
        /// The snapshot id.
        snapshot: String,
        /// Every difference.
        differences: Vec<Difference>,
    },
    /// A bad row in a part file.
    #[error(transparent)]
    Row(#[from] Box<BadRow>),
    /// The table does not have the rows the manifest announces.
    #[error("snapshot {snapshot}: its manifest announces {expected} rows, its parts hold {found} (a part is missing or cut)")]
    RowCount {
        /// The snapshot id.
        snapshot: String,
        /// Rows in the manifest.
        expected: u64,
        /// Rows read.
        found: u64,
    },
}

fn list(differences: &[Difference]) -> String {
    differences
        .iter()
        .map(Difference::to_string)
        .collect::<Vec<_>>()
        .join("; ")
}

/// Whether `id` can name a snapshot directory.
pub fn valid_id(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= 128
        && !id.starts_with(['.', '_'])
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b'_'))
}

/// A snapshot found in a snapshots' directory, its manifest read.
#[derive(Debug, Clone)]
pub struct Snapshot {
    /// Its directory (`…/snapshot=<id>`).
    pub dir: PathBuf,
    /// Its manifest.
    pub manifest: Manifest,
}

impl Snapshot {
    /// The snapshot `id` of the snapshots' directory `root`
    /// (`LAKE/counts/v1`), or the one `_CURRENT` names; its manifest read
    /// and checked against its directory.
    pub fn open(root: &Path, id: Option<&str>) -> Result<Snapshot, SnapshotError> {
        let id = match id {
            Some(id) => id.to_owned(),
            None => current(root)?,
        };
        if !valid_id(&id) {
            return Err(SnapshotError::BadId { id });
        }
        let dir = root.join(format!("snapshot={id}"));
        let path = dir.join(MANIFEST);
        let bytes = std::fs::read(&path).map_err(|source| SnapshotError::Io {
            path: path.clone(),
            source,
        })?;
        let manifest: Manifest =
            serde_json::from_slice(&bytes).map_err(|source| SnapshotError::Manifest {
                path: path.clone(),
                source,
            })?;
        if manifest.schema != MANIFEST_SCHEMA {
            return Err(SnapshotError::Schema {
                path,
                found: manifest.schema,
            });
        }
        if manifest.snapshot != id {
            return Err(SnapshotError::WrongId {
                path,
                found: manifest.snapshot,
                expected: id,
            });
        }
        Ok(Snapshot { dir, manifest })
    }

    /// The snapshot's id.
    pub fn id(&self) -> &str {
        &self.manifest.snapshot
    }

    /// Refuses a snapshot computed with another taxonomy, geography or
    /// counting rules than `binary` (a different binary version alone is
    /// not a difference: the fingerprints say whether the data changed).
    pub fn check(&self, binary: &Provenance) -> Result<(), SnapshotError> {
        let differences = differences(&self.manifest.provenance, binary);
        if differences.is_empty() {
            Ok(())
        } else {
            Err(SnapshotError::Mismatch {
                snapshot: self.id().to_owned(),
                differences,
            })
        }
    }
}

/// How `snapshot`'s provenance differs from `binary`'s (versions aside).
pub fn differences(snapshot: &Provenance, binary: &Provenance) -> Vec<Difference> {
    let mut out = Vec::new();
    let mut compare = |what, a: String, b: String| {
        if a != b {
            out.push(Difference {
                what,
                snapshot: a,
                binary: b,
            });
        }
    };
    compare(
        "taxonomy fingerprint",
        snapshot.taxonomy_fingerprint.to_string(),
        binary.taxonomy_fingerprint.to_string(),
    );
    compare(
        "geography fingerprint",
        snapshot.geography_fingerprint.to_string(),
        binary.geography_fingerprint.to_string(),
    );
    compare(
        "count rules",
        snapshot.count_rules.to_string(),
        binary.count_rules.to_string(),
    );
    out
}

/// The id `_CURRENT` names in `root`.
fn current(root: &Path) -> Result<String, SnapshotError> {
    let path = root.join(CURRENT);
    match std::fs::read_to_string(&path) {
        Ok(text) => Ok(text.trim().to_owned()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Err(SnapshotError::NoCurrent {
            dir: root.to_path_buf(),
        }),
        Err(source) => Err(SnapshotError::Io { path, source }),
    }
}
