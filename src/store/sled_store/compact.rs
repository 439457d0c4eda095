//! Compaction: the sled database copied, key by key, into a fresh one that
//! then takes its place, giving back the space rewrites left behind.
//!
//! sled never shrinks its files: a `reindex`, which rewrites every record
//! and every counter, leaves the old versions as garbage in the `db` file
//! (measured 74 → 146 MB over 4 reindexes of 100,000 postings). A fresh
//! database written in key order holds only the live data.
//!
//! ## Crash safety
//! The copy is built in `compacting/` inside the database directory and
//! marked complete (a `COMPLETE` file, synced) only once it is flushed. The
//! swap then deletes sled's files in the directory (`conf`, `db`, `blobs/`,
//! `snap.*`; the text log is not sled's and stays), marks the move
//! (`compacting.moving`), moves the copy's files in and removes the marks.
//! [`finish`] runs at every open before sled does and picks up where a
//! stopped compaction was: a copy not marked complete is deleted (the old
//! database is whole), a complete one has its swap finished.

use std::fs::File;
use std::path::{Path, PathBuf};

use super::{engine, EngineError};
use crate::store::StoreError;

/// Where the copy is built, inside the database directory.
const COPY_DIR: &str = "compacting";
/// In the copy's directory: the copy is whole.
const COMPLETE: &str = "COMPLETE";
/// In the database directory: the old files are gone, the copy's are
/// being moved in.
const MOVING: &str = "compacting.moving";
/// Attempts at opening a database whose lock is still held (50 ms apart).
const LOCK_TRIES: u32 = 100;
/// Records per batch while copying. sled writes a batch's pages as one
/// stretch of its log, and big batches leave it larger: the same 100,000
/// postings copied in batches of 10,000 took 50.3 MB, in batches of 1,000
/// 39.8–41.9 MB (the import that wrote them, 42.3 MB), which is what keeps
/// `reindex` (which ends with a compaction) from growing the database.
const COPY_BATCH: usize = 1_000;

/// Sizes of the sled files before and after a compaction, in bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Compacted {
    /// Bytes of sled's files before.
    pub before: u64,
    /// Bytes of sled's files after.
    pub after: u64,
}

fn io<'a>(dir: &'a Path, doing: &'static str) -> impl Fn(std::io::Error) -> StoreError + 'a {
    move |source| StoreError::Compact {
        dir: dir.display().to_string(),
        doing,
        source,
    }
}

/// Copies the database in `dir` (not open elsewhere) into a fresh one and
/// swaps it in. `cache_mb` is the page cache of each of the two databases
/// while copying.
pub fn compact(dir: &Path, cache_mb: u64) -> Result<Compacted, StoreError> {
    finish(dir)?;
    let before = sled_bytes(dir)?;
    let copy_dir = dir.join(COPY_DIR);
    copy(dir, &copy_dir, cache_mb)?;
    let mark = copy_dir.join(COMPLETE);
    File::create(&mark)
        .and_then(|f| f.sync_all())
        .map_err(io(dir, "mark the copy complete in"))?;
    sync_dir(&copy_dir).map_err(io(dir, "mark the copy complete in"))?;
    finish(dir)?;
    Ok(Compacted {
        before,
        after: sled_bytes(dir)?,
    })
}

/// Copies every tree of the database in `from` into a new one in `to`.
fn copy(from: &Path, to: &Path, cache_mb: u64) -> Result<(), StoreError> {
    let open = |path: &Path| {
        let config = sled::Config::new()
            .path(path)
            .cache_capacity(cache_mb.saturating_mul(1024 * 1024))
            .mode(sled::Mode::HighThroughput);
        // sled's threads can hold the lock a moment after the handle that
        // wrote last (`reindex`'s) is dropped: tried again for a while.
        let mut tries = 0;
        loop {
            match config.open() {
                Err(sled::Error::Io(_)) if tries < LOCK_TRIES && super::held_by_another(path) => {
                    tries += 1;
                    std::thread::sleep(std::time::Duration::from_millis(50));
                }
                other => {
                    return other.map_err(|e| StoreError::Open {
                        dir: path.display().to_string(),
                        source: EngineError(e),
                    })
                }
            }
        }
    };
    let old = open(from)?;
    let new = open(to)?;
    for name in old.tree_names() {
        let source = old.open_tree(&name).map_err(engine("opening a tree"))?;
        let target = new.open_tree(&name).map_err(engine("creating a tree"))?;
        let mut batch = sled::Batch::default();
        let mut n = 0;
        for entry in source.iter() {
            let (k, v) = entry.map_err(engine("reading a tree to compact"))?;
            batch.insert(k, v);
            n += 1;
            if n == COPY_BATCH {
                target
                    .apply_batch(std::mem::take(&mut batch))
                    .map_err(engine("writing the compacted copy"))?;
                n = 0;
            }
        }
        target
            .apply_batch(batch)
            .map_err(engine("writing the compacted copy"))?;
    }
    new.flush().map_err(engine("flushing the compacted copy"))?;
    drop((old, new));
    // Neither is used any more once their locks are let go: the swap (and
    // a next open) comes after.
    for path in [from, to] {
        let mut tries = 0;
        while tries < LOCK_TRIES && super::held_by_another(path) {
            tries += 1;
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
    }
    Ok(())
}

/// Finishes or undoes a compaction that stopped in `dir` (see the module
/// doc); nothing when none did.
pub fn finish(dir: &Path) -> Result<(), StoreError> {
    let copy_dir = dir.join(COPY_DIR);
    let moving = dir.join(MOVING);
    if !moving.exists() {
        if !copy_dir.exists() {
            return Ok(());
        }
        if !copy_dir.join(COMPLETE).exists() {
            return std::fs::remove_dir_all(&copy_dir)
                .map_err(io(dir, "remove an incomplete compaction from"));
        }
        for path in sled_files(dir)? {
            remove(&path).map_err(io(dir, "remove the old database files from"))?;
        }
        File::create(&moving)
            .and_then(|f| f.sync_all())
            .map_err(io(dir, "mark the compaction's move in"))?;
        sync_dir(dir).map_err(io(dir, "mark the compaction's move in"))?;
    }
    for path in sled_files(&copy_dir)? {
        let name = path.file_name().map(PathBuf::from).unwrap_or_default();
        std::fs::rename(&path, dir.join(name)).map_err(io(dir, "move the compacted files into"))?;
    }
    sync_dir(dir).map_err(io(dir, "move the compacted files into"))?;
    std::fs::remove_dir_all(&copy_dir).map_err(io(dir, "remove the compaction's copy from"))?;
    std::fs::remove_file(&moving).map_err(io(dir, "remove the compaction's mark from"))?;
    sync_dir(dir).map_err(io(dir, "remove the compaction's mark from"))
}

/// sled's files and directories in `dir`.
fn sled_files(dir: &Path) -> Result<Vec<PathBuf>, StoreError> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).map_err(io(dir, "list"))? {
        let entry = entry.map_err(io(dir, "list"))?;
        let name = entry.file_name();
        let name = name.to_string_lossy();
        if matches!(&*name, "conf" | "db" | "blobs") || name.starts_with("snap.") {
            files.push(entry.path());
        }
    }
    Ok(files)
}

/// Bytes of sled's files in `dir`.
pub fn sled_bytes(dir: &Path) -> Result<u64, StoreError> {
    let mut total = 0;
    for path in sled_files(dir)? {
        total += tree_bytes(&path).map_err(io(dir, "measure"))?;
    }
    Ok(total)
}

fn tree_bytes(path: &Path) -> std::io::Result<u64> {
    let meta = std::fs::metadata(path)?;
    if !meta.is_dir() {
        return Ok(meta.len());
    }
    let mut total = 0;
    for entry in std::fs::read_dir(path)? {
        total += tree_bytes(&entry?.path())?;
    }
    Ok(total)
}

fn remove(path: &Path) -> std::io::Result<()> {
    if path.is_dir() {
        std::fs::remove_dir_all(path)
    } else {
        std::fs::remove_file(path)
    }
}

#[cfg(unix)]
fn sync_dir(dir: &Path) -> std::io::Result<()> {
    File::open(dir)?.sync_all()
}

#[cfg(not(unix))]
fn sync_dir(_dir: &Path) -> std::io::Result<()> {
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A database with two trees and a text log file beside it; returns
    /// what each tree holds.
    fn fill(dir: &Path) -> Vec<(Vec<u8>, Vec<u8>)> {
        let db = super::super::open_raw(dir);
        let tree = db.open_tree("main").unwrap();
        let mut data = Vec::new();
        for i in 0u32..3_000 {
            let (k, v) = (i.to_be_bytes().to_vec(), vec![(i % 251) as u8; 200]);
            tree.insert(&k, v.clone()).unwrap();
            data.push((k, v));
        }
        // Rewritten, as a reindex does: garbage in sled's files.
        for (k, v) in &data {
            tree.insert(k, v.clone()).unwrap();
        }
        db.open_tree("meta").unwrap().insert("schema", "3").unwrap();
        db.flush().unwrap();
        std::fs::write(dir.join("texts-0.log"), b"not sled's").unwrap();
        data
    }

    fn assert_holds(dir: &Path, data: &[(Vec<u8>, Vec<u8>)]) {
        let db = super::super::open_raw(dir);
        let tree = db.open_tree("main").unwrap();
        let got: Vec<(Vec<u8>, Vec<u8>)> = tree
            .iter()
            .map(|e| e.unwrap())
            .map(|(k, v)| (k.to_vec(), v.to_vec()))
            .collect();
        assert!(got == data, "{} entries", got.len());
        let schema = db.open_tree("meta").unwrap().get("schema").unwrap();
        assert_eq!(schema.as_deref(), Some(&b"3"[..]));
        assert_eq!(
            std::fs::read(dir.join("texts-0.log")).unwrap(),
            b"not sled's"
        );
        assert!(!dir.join(COPY_DIR).exists() && !dir.join(MOVING).exists());
    }

    #[test]
    fn compaction_keeps_every_tree_and_the_text_log_and_gives_space_back() {
        let dir = tempfile::tempdir().unwrap();
        let data = fill(dir.path());
        let sizes = compact(dir.path(), 8).unwrap();
        assert!(sizes.after < sizes.before, "{sizes:?}");
        assert_eq!(sizes.after, sled_bytes(dir.path()).unwrap());
        assert_holds(dir.path(), &data);
    }

    #[test]
    fn a_copy_cut_short_is_deleted_and_the_old_database_kept() {
        let dir = tempfile::tempdir().unwrap();
        let data = fill(dir.path());
        copy(dir.path(), &dir.path().join(COPY_DIR), 8).unwrap();
        // No COMPLETE mark: the process stopped before the copy was whole.
        finish(dir.path()).unwrap();
        assert_holds(dir.path(), &data);
    }

    #[test]
    fn a_complete_copy_is_swapped_in_wherever_the_swap_stopped() {
        // Stopped after the mark, before the old files were deleted.
        let dir = tempfile::tempdir().unwrap();
        let data = fill(dir.path());
        let copy_dir = dir.path().join(COPY_DIR);
        copy(dir.path(), &copy_dir, 8).unwrap();
        File::create(copy_dir.join(COMPLETE)).unwrap();
        finish(dir.path()).unwrap();
        assert_holds(dir.path(), &data);

        // Stopped half-way through the move: the old files gone, one of the
        // copy's moved in.
        let dir = tempfile::tempdir().unwrap();
        let data = fill(dir.path());
        copy(dir.path(), &copy_dir_of(dir.path()), 8).unwrap();
        for path in sled_files(dir.path()).unwrap() {
            remove(&path).unwrap();
        }
        File::create(dir.path().join(MOVING)).unwrap();
        std::fs::rename(
            copy_dir_of(dir.path()).join("conf"),
            dir.path().join("conf"),
        )
        .unwrap();
        // The database's own open finishes it.
        drop(crate::store::SledStore::open(dir.path(), 8).unwrap());
        assert_holds(dir.path(), &data);
    }

    fn copy_dir_of(dir: &Path) -> PathBuf {
        dir.join(COPY_DIR)
    }
}
