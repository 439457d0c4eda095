//! Reading a lake: its data files in a deterministic order (every name
//! sorted bytewise, directories walked depth first), skipping names that
//! start with `.` (files being written) or `_` (markers), and their lines,
//! bounded as `import` bounds them.

use std::fs::{self, File};
use std::io::{self, BufReader};
use std::path::{Path, PathBuf};

use flate2::read::MultiGzDecoder;

use super::layout::RAW_DIR;
use crate::lines::{LineReader, NumberedLine};

/// Why a lake cannot be read.
#[derive(Debug, thiserror::Error)]
pub enum ReadLakeError {
    /// The lake has no `raw/v1` directory.
    #[error("{} holds no {RAW_DIR} directory: not a lake, or an empty one", lake.display())]
    NotALake {
        /// The lake's root.
        lake: PathBuf,
    },
    /// A directory or file cannot be read.
    #[error("cannot read {}", path.display())]
    Io {
        /// What was being read.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: io::Error,
    },
}

fn at(path: &Path) -> impl FnOnce(io::Error) -> ReadLakeError + '_ {
    move |source| ReadLakeError::Io {
        path: path.to_owned(),
        source,
    }
}

/// Whether a file or directory name is skipped by readers.
fn hidden(name: &str) -> bool {
    name.starts_with('.') || name.starts_with('_')
}

/// Every raw data file (`*.jsonl.gz`) under `lake/raw/v1`, in the
/// deterministic order readers use.
pub fn data_files(lake: &Path) -> Result<Vec<PathBuf>, ReadLakeError> {
    let root = lake.join(RAW_DIR);
    if !root.is_dir() {
        return Err(ReadLakeError::NotALake {
            lake: lake.to_owned(),
        });
    }
    let mut files = Vec::new();
    walk(&root, &mut files)?;
    Ok(files)
}

fn walk(dir: &Path, files: &mut Vec<PathBuf>) -> Result<(), ReadLakeError> {
    let mut entries: Vec<(String, PathBuf, bool)> = Vec::new();
    for entry in fs::read_dir(dir).map_err(at(dir))? {
        let entry = entry.map_err(at(dir))?;
        let name = entry.file_name().to_string_lossy().into_owned();
        if hidden(&name) {
            continue;
        }
        let is_dir = entry.file_type().map_err(at(dir))?.is_dir();
        entries.push((name, entry.path(), is_dir));
    }
    entries.sort();
    for (name, path, is_dir) in entries {
        if is_dir {
            walk(&path, files)?;
        } else if name.ends_with(".jsonl.gz") {
            files.push(path);
        }
    }
    Ok(())
}

/// Calls `f(file, line)` for every line of every data file of `lake`, in
/// order, each line at most `max_line_bytes` long (see [`LineReader`]).
/// Returns the number of files read.
pub fn read_lines(
    lake: &Path,
    max_line_bytes: usize,
    mut f: impl FnMut(&Path, NumberedLine),
) -> Result<u64, ReadLakeError> {
    let files = data_files(lake)?;
    for file in &files {
        let reader = File::open(file).map_err(at(file))?;
        let text = BufReader::with_capacity(1 << 16, MultiGzDecoder::new(reader));
        for line in LineReader::new(text, max_line_bytes) {
            let line = line.map_err(|e| at(file)(e.source))?;
            f(file, line);
        }
    }
    Ok(files.len() as u64)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lake::write_atomically;

    #[test]
    fn files_come_sorted_and_dot_and_underscore_names_are_skipped() {
        let dir = tempfile::tempdir().unwrap();
        let lake = dir.path();
        assert!(matches!(
            data_files(lake),
            Err(ReadLakeError::NotALake { .. })
        ));
        let gz = |lines: &str| {
            use std::io::Write;
            let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
            e.write_all(lines.as_bytes()).unwrap();
            e.finish().unwrap()
        };
        let raw = lake.join(RAW_DIR);
        for (name, lines) in [
            ("day=2026-11-02/source=b/run=1.jsonl.gz", "b1\n"),
            ("day=2026-11-01/source=z/run=2.jsonl.gz", "z2\n"),
            ("day=2026-11-01/source=a/run=9.jsonl.gz", "a9\nlast\n"),
            ("day=2026-11-01/source=a/run=10.jsonl.gz", "a10\n"),
            ("day=2026-11-01/source=a/.run=3.jsonl.gz.tmp", "tmp\n"),
            ("day=2026-11-01/source=a/_SUCCESS", ""),
            ("_tmp/x.jsonl.gz", "underscore\n"),
            ("day=2026-11-01/source=a/run=9.report.json", "{}"),
        ] {
            write_atomically(&raw.join(name), &gz(lines)).unwrap();
        }
        let mut seen = Vec::new();
        let n = read_lines(lake, 1 << 20, |_, line| seen.push(line.text.unwrap())).unwrap();
        assert_eq!(n, 4);
        assert_eq!(seen, vec!["a10", "a9", "last", "z2", "b1"]);
    }
}
