//! Backups: a versioned JSON Lines file. The first line is a header, every
//! following line one stored posting (the store's own representation, with
//! skills and places as computed). Counts are not saved: a restore writes the
//! postings into an empty database and recounts them with the counting rules,
//! which gives the same counts by construction.
//!
//! ```json
//! {"format":"skilltrack-backup","version":1,"schema":1,"created":"…","postings":1234}
//! {"id":"…","source":"…", …}
//! {"id":"…","source":"…", …, "text":"", "text_lost":true}
//! ```
//!
//! A posting whose text cannot be read (damaged text log) is written without
//! it and marked `"text_lost": true`: its skills and places are in the line,
//! so a restore counts it exactly as the damaged store did, and the restored
//! posting's text reads as lost too (so `reindex` keeps its skills instead of
//! finding them again in an empty text). [`write()`] lists those postings.
//!
//! [`restore_dir`] restores into a new directory next to the target and moves
//! it into place only once every line was read and the counts rebuilt: a
//! failed restore leaves nothing behind.

use std::io::{BufRead, Write};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::{CountStore, MetaStore, PostingStore, SledStore, StoreError, UnreadableText};
use crate::domain::{Posting, PostingId};
use crate::lines::{LineReader, ReadError};
use crate::store::CountRules;

/// The `format` value of a backup header.
pub const FORMAT: &str = "skilltrack-backup";
/// The backup format version this build writes and reads.
pub const VERSION: u32 = 1;

/// Postings written per batch on restore.
const RESTORE_BATCH: usize = 1000;

/// The key marking a posting written without its text.
const TEXT_LOST: &str = "text_lost";

/// The first line of a backup.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Header {
    /// Always [`FORMAT`].
    pub format: String,
    /// Backup format version.
    pub version: u32,
    /// Store schema version of the database it came from.
    pub schema: u32,
    /// When it was written (RFC 3339).
    pub created: String,
    /// Number of postings that follow.
    pub postings: u64,
}

/// Why a backup or restore failed.
#[derive(Debug, thiserror::Error)]
pub enum BackupError {
    /// Reading or writing the file failed.
    #[error("backup file: {0}")]
    Io(#[from] std::io::Error),
    /// The backup file cannot be read further.
    #[error("backup file")]
    Read(#[from] ReadError),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The file is not a backup this build reads.
    #[error("not a skilltrack backup (line {line}): {why}")]
    Format {
        /// 1-based line number.
        line: usize,
        /// What is wrong.
        why: String,
    },
    /// The target database already holds postings.
    #[error("the target database already holds {0} postings: restore into an empty --data-dir")]
    NotEmpty(u64),
    /// The target directory exists and is not empty.
    #[error("{0} is not empty: restore into a new or empty --data-dir (or move it aside first)")]
    TargetNotEmpty(String),
    /// A restore failed; the target was left as it was.
    #[error("nothing was restored into {target} (it is left as it was)")]
    NothingRestored {
        /// The target directory.
        target: String,
        /// Why.
        #[source]
        cause: Box<BackupError>,
    },
    /// The backup file would be written inside the data directory.
    #[error("refusing to write the backup {file} inside the data directory {dir}: it could overwrite the database and would be lost with it; write it elsewhere")]
    InsideDataDir {
        /// The backup file.
        file: String,
        /// The data directory.
        dir: String,
    },
}

/// What [`write()`] did.
#[derive(Debug, Default)]
pub struct Written {
    /// Postings written (all of them, those without their text included).
    pub postings: u64,
    /// Postings written without their text because it cannot be read.
    pub texts_lost: Vec<(PostingId, StoreError)>,
}

/// A posting written without its text.
#[derive(Serialize)]
struct LostLine<'a> {
    #[serde(flatten)]
    posting: &'a Posting,
    text_lost: bool,
}

/// Whether a posting line carries `"text_lost": true`.
#[derive(Deserialize)]
struct LostMark {
    #[serde(default)]
    text_lost: bool,
}

/// Writes every posting of `store` to `out`; a posting whose text cannot be
/// read is written without it, marked (see the [module](self) docs) and
/// listed in the result.
pub fn write(
    store: &dyn PostingStore,
    schema: u32,
    mut out: impl Write,
) -> Result<Written, BackupError> {
    let header = Header {
        format: FORMAT.into(),
        version: VERSION,
        schema,
        created: time::OffsetDateTime::now_utc()
            .format(&time::format_description::well_known::Rfc3339)
            .unwrap_or_default(),
        postings: store.posting_count()?,
    };
    write_line(&mut out, &header)?;
    let mut written = Written::default();
    for read in store.postings() {
        match read {
            Ok(posting) => write_line(&mut out, &posting)?,
            Err(StoreError::UnreadableText(unreadable)) => {
                let UnreadableText { posting, cause } = *unreadable;
                let line = LostLine {
                    posting: &posting,
                    text_lost: true,
                };
                write_line(&mut out, &line)?;
                written.texts_lost.push((posting.id, cause));
            }
            Err(other) => return Err(other.into()),
        }
        written.postings += 1;
    }
    out.flush()?;
    Ok(written)
}

/// Writes `value` as one JSON line.
fn write_line(out: &mut impl Write, value: &impl Serialize) -> std::io::Result<()> {
    serde_json::to_writer(&mut *out, value).map_err(std::io::Error::from)?;
    out.write_all(b"\n")
}

/// Refuses a backup `file` inside `data_dir` (paths compared once resolved,
/// also when `file` does not exist yet): writing it could overwrite the
/// database, and it would be lost with it. `-` (stdout) is always allowed.
pub fn check_outside(data_dir: &Path, file: &Path) -> Result<(), BackupError> {
    if file == Path::new("-") {
        return Ok(());
    }
    let (Some(dir), Some(target)) = (resolve(data_dir), resolve(file)) else {
        return Ok(());
    };
    if target.starts_with(&dir) {
        return Err(BackupError::InsideDataDir {
            file: file.display().to_string(),
            dir: data_dir.display().to_string(),
        });
    }
    Ok(())
}

/// `path` made absolute with symbolic links resolved, for the part of it
/// that exists (the rest appended as written; a dangling link followed).
fn resolve(path: &Path) -> Option<PathBuf> {
    let mut existing = std::path::absolute(path).ok()?;
    let mut rest = Vec::new();
    // Bounded: a loop of links does not resolve.
    for _ in 0..64 {
        if let Ok(real) = existing.canonicalize() {
            return Some(rest.iter().rev().fold(real, |p, c| p.join(c)));
        }
        let parent = existing.parent()?.to_path_buf();
        match std::fs::read_link(&existing) {
            // A link to something that does not exist yet (it would be created there).
            Ok(target) => existing = parent.join(target),
            Err(_) => {
                rest.push(existing.file_name()?.to_owned());
                existing = parent;
            }
        }
    }
    None
}

/// Restores a backup into an empty store and recounts. `progress` gets the
/// number of postings read, then recounted. On error the store holds what
/// was written so far: use [`restore_dir`] for a restore that is complete or
/// nothing.
pub fn restore<S: PostingStore + CountStore + ?Sized>(
    store: &S,
    input: impl BufRead,
    max_line_bytes: usize,
    progress: &mut dyn FnMut(u64),
) -> Result<u64, BackupError> {
    let existing = store.posting_count()?;
    if existing > 0 {
        return Err(BackupError::NotEmpty(existing));
    }
    let mut lines = LineReader::new(input, max_line_bytes);
    let text = |line: Option<Result<crate::lines::NumberedLine, ReadError>>| match line {
        None => Ok(None),
        Some(line) => {
            let crate::lines::NumberedLine { number, text } = line?;
            text.map(|t| Some((number as usize, t)))
                .map_err(|bad| BackupError::Format {
                    line: number as usize,
                    why: format!("{bad} (a larger `[import] max_line_mb` reads it)"),
                })
        }
    };
    let (_, first) = text(lines.next())?.ok_or(BackupError::Format {
        line: 1,
        why: "the file is empty".into(),
    })?;
    let header: Header = serde_json::from_str(&first).map_err(|e| BackupError::Format {
        line: 1,
        why: format!("bad header: {e}"),
    })?;
    if header.format != FORMAT || header.version != VERSION {
        return Err(BackupError::Format {
            line: 1,
            why: format!(
                "format {:?} version {}, this build reads {FORMAT:?} version {VERSION}",
                header.format, header.version
            ),
        });
    }
    let mut batch: Vec<Posting> = Vec::with_capacity(RESTORE_BATCH);
    let mut lost: Vec<PostingId> = Vec::new();
    let mut n = 0u64;
    let put = |batch: &mut Vec<Posting>, lost: &mut Vec<PostingId>| {
        store.put_postings(batch)?;
        store.mark_texts_lost(lost)?;
        batch.clear();
        lost.clear();
        Ok::<(), StoreError>(())
    };
    while let Some((number, line)) = text(lines.next())? {
        if line.trim().is_empty() {
            continue;
        }
        let bad = |e: serde_json::Error| BackupError::Format {
            line: number,
            why: format!("bad posting: {e}"),
        };
        let p: Posting = serde_json::from_str(&line).map_err(bad)?;
        // Only a key can hold `"text_lost"` unescaped; parse to be sure.
        if line.contains(TEXT_LOST)
            && serde_json::from_str::<LostMark>(&line)
                .map_err(bad)?
                .text_lost
        {
            lost.push(p.id);
        }
        batch.push(p);
        n += 1;
        if batch.len() >= RESTORE_BATCH {
            put(&mut batch, &mut lost)?;
            progress(n);
        }
    }
    put(&mut batch, &mut lost)?;
    if n != header.postings {
        return Err(BackupError::Format {
            line: n as usize + 1,
            why: format!(
                "the header announces {} postings, the file holds {n} (truncated?)",
                header.postings
            ),
        });
    }
    store.rebuild(None, progress)?;
    store.flush()?;
    Ok(n)
}

/// Restores a backup into `target`, a directory that does not exist or is
/// empty: the database is built in a new directory next to it, recounted,
/// given `data_fingerprint`, and renamed into place only when all of it is
/// done. On error that directory is removed and `target` is left as it was.
pub fn restore_dir(
    target: &Path,
    cache_mb: u64,
    rules: CountRules,
    data_fingerprint: u64,
    input: impl BufRead,
    max_line_bytes: usize,
    progress: &mut dyn FnMut(u64),
) -> Result<u64, BackupError> {
    let shown = target.display().to_string();
    let nothing = |cause: BackupError| BackupError::NothingRestored {
        target: shown.clone(),
        cause: Box::new(cause),
    };
    let exists = match std::fs::read_dir(target) {
        Ok(mut entries) => {
            if entries.next().is_some() {
                return Err(BackupError::TargetNotEmpty(shown));
            }
            true
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => false,
        Err(e) => return Err(nothing(e.into())),
    };
    let name = target
        .file_name()
        .ok_or_else(|| nothing(std::io::Error::other("the data directory has no name").into()))?;
    let parent = match target.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    std::fs::create_dir_all(&parent).map_err(|e| nothing(e.into()))?;
    let temp = parent.join(format!(
        ".{}.restoring-{}",
        name.to_string_lossy(),
        std::process::id()
    ));
    std::fs::create_dir(&temp).map_err(|e| nothing(e.into()))?;
    let restored = (|| -> Result<u64, BackupError> {
        let store = SledStore::open_with(&temp, cache_mb, rules)?;
        let n = restore(&store, input, max_line_bytes, progress)?;
        store.set_data_fingerprint(data_fingerprint)?;
        store.flush()?;
        drop(store);
        // On Unix a rename replaces an empty directory in one step.
        if exists && cfg!(not(unix)) {
            std::fs::remove_dir(target)?;
        }
        std::fs::rename(&temp, target)?;
        Ok(n)
    })();
    restored.map_err(|e| {
        if let Err(cleanup) = std::fs::remove_dir_all(&temp) {
            tracing::warn!(dir = %temp.display(), error = %cleanup, "Cannot remove the unfinished restore: delete it.");
        }
        nothing(e)
    })
}
