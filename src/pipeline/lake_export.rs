//! `skilltrack export lake --out LAKE`: a lake seeded from the database,
//! every stored posting as one raw line that re-imports to the same posting
//! and the same counts (the import line of `export postings`: source,
//! first and last seen, country, tags, the source's remote flag, the text
//! verbatim). One run file per source, under the export's day, run ids from
//! (source, shard 0/1, export time); each line `fetched` at the start of its
//! last day seen, so a collector's later fetch of the same posting is the
//! later version.

use std::collections::BTreeMap;
use std::path::Path;

use time::OffsetDateTime;

use crate::domain::{Day, PostingId, SourceId};
use crate::export::posting_import_line;
use crate::lake::{self, LakeWriteError, RunFile, RunId, Shard};
use crate::store::{Store, StoreError, UnreadableText};

/// Why an export stopped.
#[derive(Debug, thiserror::Error)]
pub enum LakeExportError {
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// A lake file could not be written.
    #[error(transparent)]
    Write(#[from] LakeWriteError),
}

/// What an export wrote.
#[derive(Debug, Default)]
pub struct LakeExport {
    /// Raw lines written.
    pub postings: u64,
    /// Files written (one per source).
    pub files: u64,
    /// Postings left out because their text cannot be read (re-imported
    /// without it, they would count other skills), with why.
    pub left_out: Vec<(PostingId, String)>,
}

/// Writes every stored posting of `store` to `lake` as raw lines, the
/// export made at `at`.
pub fn export_lake(
    store: &dyn Store,
    lake: &Path,
    at: OffsetDateTime,
) -> Result<LakeExport, LakeExportError> {
    let day =
        Day::from_date(at.to_offset(time::UtcOffset::UTC).date()).unwrap_or_else(|_| Day::today());
    let mut files: BTreeMap<SourceId, (RunFile, RunId)> = BTreeMap::new();
    let mut done = LakeExport::default();
    for read in store.postings() {
        let posting = match read {
            Ok(p) => p,
            Err(StoreError::UnreadableText(unreadable)) => {
                let UnreadableText { posting, cause } = *unreadable;
                done.left_out
                    .push((posting.id, crate::domain::error_chain(&cause)));
                continue;
            }
            Err(other) => return Err(other.into()),
        };
        if !files.contains_key(&posting.source) {
            let run = RunId::new(&posting.source, Shard::ALL, at);
            let file = RunFile::create(lake::data_file(lake, day, &posting.source, &run))?;
            files.insert(posting.source.clone(), (file, run));
        }
        let Some((file, run)) = files.get_mut(&posting.source) else {
            continue;
        };
        let serde_json::Value::Object(fields) = posting_import_line(&posting) else {
            continue;
        };
        let fetched = OffsetDateTime::new_utc(posting.last_seen.to_date(), time::Time::MIDNIGHT);
        file.write_line(&lake::posting_line(fields, &posting.source, fetched, run))?;
        done.postings += 1;
    }
    for (_, (file, _)) in files {
        file.finish()?;
        done.files += 1;
    }
    Ok(done)
}
