//! Backups: a versioned JSON Lines file. The first line is a header, every
//! following line one stored posting (the store's own representation, with
//! skills and places as computed). Counts are not saved: a restore writes the
//! postings into an empty database and recounts them with the counting rules,
//! which gives the same counts by construction.
//!
//! ```json
//! {"format":"skilltrack-backup","version":1,"schema":1,"created":"…","postings":1234}
//! {"id":"…","source":"…", …}
//! ```

use std::io::{BufRead, Write};

use serde::{Deserialize, Serialize};

use super::{Store, StoreError};
use crate::normalize::Posting;

/// The `format` value of a backup header.
pub const FORMAT: &str = "skilltrack-backup";
/// The backup format version this build writes and reads.
pub const VERSION: u32 = 1;

/// Postings written per batch on restore.
const RESTORE_BATCH: usize = 1000;

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
}

/// Writes every posting of `store` to `out`. Returns the number written.
pub fn write(store: &dyn Store, schema: u32, mut out: impl Write) -> Result<u64, BackupError> {
    let header = Header {
        format: FORMAT.into(),
        version: VERSION,
        schema,
        created: time::OffsetDateTime::now_utc()
            .format(&time::format_description::well_known::Rfc3339)
            .unwrap_or_default(),
        postings: store.posting_count()?,
    };
    serde_json::to_writer(&mut out, &header).map_err(std::io::Error::from)?;
    out.write_all(b"\n")?;
    let mut io_error = None;
    let n = store.for_each_posting(&mut |p| {
        let result = serde_json::to_writer(&mut out, &p)
            .map_err(std::io::Error::from)
            .and_then(|_| out.write_all(b"\n"));
        result.map_err(|e| {
            let msg = e.to_string();
            io_error = Some(e);
            StoreError::Engine(msg)
        })
    });
    if let Some(e) = io_error {
        return Err(e.into());
    }
    out.flush()?;
    Ok(n?)
}

/// Restores a backup into an empty store and recounts. `progress` gets the
/// number of postings read, then recounted.
pub fn restore(
    store: &dyn Store,
    input: impl BufRead,
    progress: &mut dyn FnMut(u64),
) -> Result<u64, BackupError> {
    let existing = store.posting_count()?;
    if existing > 0 {
        return Err(BackupError::NotEmpty(existing));
    }
    let mut lines = input.lines();
    let first = lines.next().transpose()?.ok_or(BackupError::Format {
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
    let mut n = 0u64;
    for (i, line) in lines.enumerate() {
        let line = line?;
        if line.trim().is_empty() {
            continue;
        }
        let p: Posting = serde_json::from_str(&line).map_err(|e| BackupError::Format {
            line: i + 2,
            why: format!("bad posting: {e}"),
        })?;
        batch.push(p);
        n += 1;
        if batch.len() >= RESTORE_BATCH {
            store.put_postings(&batch)?;
            batch.clear();
            progress(n);
        }
    }
    store.put_postings(&batch)?;
    if n != header.postings {
        return Err(BackupError::Format {
            line: n as usize + 1,
            why: format!("the header announces {} postings, the file holds {n} (truncated?); the target database now holds a partial restore: delete it before trying again", header.postings),
        });
    }
    store.rebuild(None, progress)?;
    store.flush()?;
    Ok(n)
}
