//! The text log: postings' description texts, appended to one file next to
//! the sled database, referenced from each posting record by [`TextRef`].
//!
//! Texts are the bulk of a posting (~3 KB of its ~3.3 KB) but are written
//! once and read only by `reindex`, exports and drill-down. In sled, a 3 KB
//! value costs 25–45 µs per insert (leaf nodes are copied on write) and
//! doubles the bytes on disk; appended to a file, it costs one `memcpy`.
//!
//! ## Format
//! The file starts with [`MAGIC`]; then records, each
//! `len (u32 LE) · check (u32 LE, low half of the text's xxh3) · text bytes`.
//! A record is only ever appended. A text that changes is appended again and
//! the posting record points to the new copy; the old one is dead space,
//! dropped by `backup` + `restore`.
//!
//! ## Crash safety
//! [`TextLog::append`] buffers; [`TextLog::write_out`] hands the buffer to the
//! operating system and is called before the sled batch that references the
//! texts is applied, so a posting record never points past what a killed
//! process wrote. [`TextLog::sync`] also asks the disk (`fsync`), before sled
//! is flushed. A torn or unreferenced tail (a batch that never committed) is
//! harmless: nothing points to it, and new records are appended after it.

use std::fs::{File, OpenOptions};
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use super::StoreError;

/// First bytes of a text log.
pub const MAGIC: &[u8; 8] = b"SKTEXT01";

/// Bytes before each text: its length and check.
const HEADER: u64 = 8;

/// Where a text is in the log.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct TextRef {
    /// Offset of the record (its header) in the file.
    pub offset: u64,
    /// Length of the text in bytes.
    pub len: u32,
}

impl TextRef {
    /// The reference of "no text" (an empty description).
    pub const EMPTY: TextRef = TextRef { offset: 0, len: 0 };
}

/// The append-only text file.
pub struct TextLog {
    path: PathBuf,
    /// Appends go through this buffer; `end` is the offset of the next record.
    writer: Mutex<Appender>,
    /// Positional reads, independent of the writer.
    reader: File,
}

struct Appender {
    out: BufWriter<File>,
    end: u64,
}

fn io_error(path: &Path, what: &str, e: std::io::Error) -> StoreError {
    StoreError::Engine(format!(
        "cannot {what} the text log {}: {e}",
        path.display()
    ))
}

fn poisoned<T>(_: T) -> StoreError {
    StoreError::Engine("the text log's lock was poisoned by a panicked writer".into())
}

/// The 32-bit check stored with a text.
fn check(text: &[u8]) -> u32 {
    xxhash_rust::xxh3::xxh3_64(text) as u32
}

impl TextLog {
    /// Opens (or creates) the log at `path`.
    pub fn open(path: &Path) -> Result<TextLog, StoreError> {
        let mut file = OpenOptions::new()
            .read(true)
            .append(true)
            .create(true)
            .open(path)
            .map_err(|e| io_error(path, "open", e))?;
        let mut end = file
            .metadata()
            .map_err(|e| io_error(path, "read the size of", e))?
            .len();
        if end == 0 {
            file.write_all(MAGIC)
                .map_err(|e| io_error(path, "write", e))?;
            end = MAGIC.len() as u64;
        } else {
            let mut magic = [0u8; 8];
            read_at(&file, &mut magic, 0).map_err(|e| io_error(path, "read", e))?;
            if &magic != MAGIC {
                return Err(StoreError::Corrupt {
                    key: path.display().to_string(),
                    cause: "not a skilltrack text log (bad magic bytes)".into(),
                });
            }
        }
        let reader = File::open(path).map_err(|e| io_error(path, "open", e))?;
        Ok(TextLog {
            path: path.to_path_buf(),
            writer: Mutex::new(Appender {
                out: BufWriter::with_capacity(1 << 20, file),
                end,
            }),
            reader,
        })
    }

    /// The file's path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Appends `text` (buffered) and returns where it will be.
    pub fn append(&self, text: &str) -> Result<TextRef, StoreError> {
        if text.is_empty() {
            return Ok(TextRef::EMPTY);
        }
        let bytes = text.as_bytes();
        let len = u32::try_from(bytes.len()).map_err(|_| {
            StoreError::Engine(format!(
                "a description of {} bytes is too long to store (at most 4 GiB)",
                bytes.len()
            ))
        })?;
        let mut w = self.writer.lock().map_err(poisoned)?;
        let offset = w.end;
        let mut header = [0u8; HEADER as usize];
        header[..4].copy_from_slice(&len.to_le_bytes());
        header[4..].copy_from_slice(&check(bytes).to_le_bytes());
        w.out
            .write_all(&header)
            .and_then(|()| w.out.write_all(bytes))
            .map_err(|e| io_error(&self.path, "append to", e))?;
        w.end += HEADER + u64::from(len);
        Ok(TextRef { offset, len })
    }

    /// Hands every appended text to the operating system (survives the
    /// process being killed, not a power cut).
    pub fn write_out(&self) -> Result<(), StoreError> {
        let mut w = self.writer.lock().map_err(poisoned)?;
        w.out.flush().map_err(|e| io_error(&self.path, "write", e))
    }

    /// Writes out and waits for the disk (`fsync`).
    pub fn sync(&self) -> Result<(), StoreError> {
        let mut w = self.writer.lock().map_err(poisoned)?;
        w.out
            .flush()
            .and_then(|()| w.out.get_ref().sync_data())
            .map_err(|e| io_error(&self.path, "sync", e))
    }

    /// Size of the file in bytes, buffered appends included.
    pub fn len(&self) -> Result<u64, StoreError> {
        Ok(self.writer.lock().map_err(poisoned)?.end)
    }

    /// Whether the log holds no text.
    pub fn is_empty(&self) -> Result<bool, StoreError> {
        Ok(self.len()? <= MAGIC.len() as u64)
    }

    /// Whether the log is long enough to hold the text at `r`. After a power
    /// cut the file can be shorter than the records that sled had already
    /// made durable say; a posting seen again then has its text written anew
    /// rather than pointing into nothing.
    pub fn holds(&self, r: TextRef) -> Result<bool, StoreError> {
        Ok(r == TextRef::EMPTY || r.offset + HEADER + u64::from(r.len) <= self.len()?)
    }

    /// Reads the text at `r` (written out before, see [`TextLog::write_out`]),
    /// checking its length and check.
    pub fn read(&self, r: TextRef) -> Result<String, StoreError> {
        if r == TextRef::EMPTY {
            return Ok(String::new());
        }
        let corrupt = |cause: String| StoreError::Corrupt {
            key: format!("text at offset {} of {}", r.offset, self.path.display()),
            cause,
        };
        let mut buf = vec![0u8; HEADER as usize + r.len as usize];
        read_at(&self.reader, &mut buf, r.offset)
            .map_err(|e| corrupt(format!("cannot read {} bytes: {e}", buf.len())))?;
        let len = u32::from_le_bytes([buf[0], buf[1], buf[2], buf[3]]);
        let stored = u32::from_le_bytes([buf[4], buf[5], buf[6], buf[7]]);
        let text = buf.split_off(HEADER as usize);
        if len != r.len || stored != check(&text) {
            return Err(corrupt(
                "the stored text does not match its record (length or checksum)".into(),
            ));
        }
        String::from_utf8(text).map_err(|e| corrupt(e.to_string()))
    }
}

#[cfg(unix)]
fn read_at(file: &File, buf: &mut [u8], offset: u64) -> std::io::Result<()> {
    std::os::unix::fs::FileExt::read_exact_at(file, buf, offset)
}

#[cfg(windows)]
fn read_at(file: &File, mut buf: &mut [u8], mut offset: u64) -> std::io::Result<()> {
    while !buf.is_empty() {
        match std::os::windows::fs::FileExt::seek_read(file, buf, offset)? {
            0 => return Err(std::io::ErrorKind::UnexpectedEof.into()),
            n => {
                buf = &mut buf[n..];
                offset += n as u64;
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn texts_round_trip_across_reopen() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("texts.log");
        let log = TextLog::open(&path).unwrap();
        assert!(log.is_empty().unwrap());
        let a = log.append("Développeur Rust — télétravail").unwrap();
        let b = log.append("second").unwrap();
        assert_eq!(log.append("").unwrap(), TextRef::EMPTY);
        log.write_out().unwrap();
        assert_eq!(log.read(a).unwrap(), "Développeur Rust — télétravail");
        assert_eq!(log.read(b).unwrap(), "second");
        assert_eq!(log.read(TextRef::EMPTY).unwrap(), "");
        assert!(log.holds(a).unwrap() && log.holds(b).unwrap());
        assert!(!log
            .holds(TextRef {
                len: b.len + 1,
                ..b
            })
            .unwrap());
        let end = log.len().unwrap();
        drop(log);

        let log = TextLog::open(&path).unwrap();
        assert_eq!(log.len().unwrap(), end);
        assert_eq!(log.read(b).unwrap(), "second");
        let c = log.append("third").unwrap();
        assert_eq!(c.offset, end);
        log.sync().unwrap();
        assert_eq!(log.read(c).unwrap(), "third");
    }

    #[test]
    fn damage_is_reported_not_returned() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("texts.log");
        let log = TextLog::open(&path).unwrap();
        let a = log.append("hello world").unwrap();
        log.write_out().unwrap();
        // A reference with the wrong length, past the end, or a flipped byte.
        let err = log.read(TextRef { len: 5, ..a }).unwrap_err().to_string();
        assert!(err.contains("does not match"), "{err}");
        let err = log
            .read(TextRef {
                offset: 1 << 20,
                ..a
            })
            .unwrap_err()
            .to_string();
        assert!(err.contains("cannot read"), "{err}");
        drop(log);
        let mut bytes = std::fs::read(&path).unwrap();
        let last = bytes.len() - 1;
        bytes[last] ^= 1;
        std::fs::write(&path, bytes).unwrap();
        let log = TextLog::open(&path).unwrap();
        assert!(log.read(a).is_err());
    }

    #[test]
    fn a_foreign_file_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("texts.log");
        std::fs::write(&path, b"something else entirely").unwrap();
        let err = TextLog::open(&path).err().unwrap().to_string();
        assert!(err.contains("not a skilltrack text log"), "{err}");
    }
}
