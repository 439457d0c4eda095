//! Writing lake files: never in place. A file is written to `.name.tmp` in
//! its directory, fsynced, then renamed to `name` (and the directory
//! fsynced), so a reader sees a whole file or none, and a crashed writer
//! leaves only a dot-file readers skip.

use std::fs::{self, File};
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};

use flate2::write::GzEncoder;
use flate2::Compression;

/// Why a lake file could not be written.
#[derive(Debug, thiserror::Error)]
#[error("cannot write {}", path.display())]
pub struct LakeWriteError {
    /// The file (or its directory).
    pub path: PathBuf,
    /// The I/O error.
    #[source]
    pub source: io::Error,
}

fn at(path: &Path) -> impl FnOnce(io::Error) -> LakeWriteError + '_ {
    move |source| LakeWriteError {
        path: path.to_owned(),
        source,
    }
}

/// The temporary name of `path`: `.name.tmp` in the same directory.
fn temporary(path: &Path) -> PathBuf {
    let name = path
        .file_name()
        .map_or_else(|| "file".into(), |n| n.to_string_lossy().into_owned());
    path.with_file_name(format!(".{name}.tmp"))
}

/// Creates `path`'s directory, if needed.
fn make_dir(path: &Path) -> Result<(), LakeWriteError> {
    match path.parent() {
        Some(dir) => fs::create_dir_all(dir).map_err(at(dir)),
        None => Ok(()),
    }
}

/// Renames the synced `tmp` to `path` and syncs the directory.
fn publish(tmp: &Path, path: &Path) -> Result<(), LakeWriteError> {
    fs::rename(tmp, path).map_err(at(path))?;
    if let Some(dir) = path.parent() {
        // A directory cannot be opened for syncing everywhere: best effort.
        if let Ok(d) = File::open(dir) {
            let _ = d.sync_all();
        }
    }
    Ok(())
}

/// Writes `bytes` to `path` atomically (temporary file, fsync, rename).
pub fn write_atomically(path: &Path, bytes: &[u8]) -> Result<(), LakeWriteError> {
    make_dir(path)?;
    let tmp = temporary(path);
    let mut file = File::create(&tmp).map_err(at(&tmp))?;
    file.write_all(bytes).map_err(at(&tmp))?;
    file.sync_all().map_err(at(&tmp))?;
    drop(file);
    publish(&tmp, path)
}

/// A gzip'd JSON Lines file being written: lines go to its temporary name,
/// [`RunFile::finish`] publishes it. Dropped unfinished, it leaves only the
/// temporary file, which readers skip and the next run of the same id
/// overwrites.
pub struct RunFile {
    path: PathBuf,
    tmp: PathBuf,
    out: GzEncoder<BufWriter<File>>,
    lines: u64,
}

impl RunFile {
    /// Starts writing `path` (its directories are created).
    pub fn create(path: PathBuf) -> Result<RunFile, LakeWriteError> {
        make_dir(&path)?;
        let tmp = temporary(&path);
        let file = File::create(&tmp).map_err(at(&tmp))?;
        Ok(RunFile {
            out: GzEncoder::new(
                BufWriter::with_capacity(1 << 16, file),
                Compression::default(),
            ),
            path,
            tmp,
            lines: 0,
        })
    }

    /// Appends one line (`line` holds no newline).
    pub fn write_line(&mut self, line: &str) -> Result<(), LakeWriteError> {
        self.out
            .write_all(line.as_bytes())
            .and_then(|()| self.out.write_all(b"\n"))
            .map_err(at(&self.tmp))?;
        self.lines += 1;
        Ok(())
    }

    /// Lines written so far.
    pub fn lines(&self) -> u64 {
        self.lines
    }

    /// The file's final path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Ends the gzip stream, syncs the file and renames it into place.
    /// Returns the number of lines written.
    pub fn finish(self) -> Result<u64, LakeWriteError> {
        let RunFile {
            path,
            tmp,
            out,
            lines,
        } = self;
        let buffered = out.finish().map_err(at(&tmp))?;
        let file = buffered
            .into_inner()
            .map_err(|e| at(&tmp)(e.into_error()))?;
        file.sync_all().map_err(at(&tmp))?;
        drop(file);
        publish(&tmp, &path)?;
        Ok(lines)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Read;

    #[test]
    fn a_finished_file_replaces_its_name_and_leaves_no_temporary() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a/b/run=x.jsonl.gz");
        let mut f = RunFile::create(path.clone()).unwrap();
        f.write_line("{\"n\":1}").unwrap();
        assert!(!path.exists(), "published before it was finished");
        assert!(dir.path().join("a/b/.run=x.jsonl.gz.tmp").exists());
        assert_eq!(f.finish().unwrap(), 1);
        let mut again = RunFile::create(path.clone()).unwrap();
        again.write_line("{\"n\":2}").unwrap();
        again.finish().unwrap();
        let mut text = String::new();
        flate2::read::MultiGzDecoder::new(File::open(&path).unwrap())
            .read_to_string(&mut text)
            .unwrap();
        assert_eq!(text, "{\"n\":2}\n");
        let names: Vec<_> = fs::read_dir(dir.path().join("a/b"))
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names, vec!["run=x.jsonl.gz"]);
        write_atomically(&dir.path().join("r.json"), b"{}").unwrap();
        assert_eq!(fs::read(dir.path().join("r.json")).unwrap(), b"{}");
    }
}
