//! The text log: postings' description texts, appended to files next to the
//! sled database, referenced from each posting record by [`TextRef`].
//!
//! Texts are the bulk of a posting (~3 KB of its ~3.3 KB) but are written
//! once and read only by `reindex`, exports and drill-down. In sled, a 3 KB
//! value costs 20–49 µs per insert (leaf nodes are copied on write) and
//! takes 2.4 times its size on disk; appended to a file, it costs a `memcpy`.
//!
//! ## Format
//! Files `texts-G.log`, `G` a generation number. Each starts with [`MAGIC`];
//! then records, each `len (u32 LE) · check (u32 LE, low half of the text's
//! xxh3) · text bytes`. Records are only ever appended, to the newest
//! generation. A text that changes is appended again and the posting record
//! points to the new copy; the old one is dead space until the next
//! compaction, which copies every live text into a new generation, points
//! every record to it (see `SledStore::rebuild`), and only then deletes the
//! older files. A compaction cut short leaves records pointing into either
//! generation, both still readable; the next one finishes the job.
//!
//! ## Crash safety
//! [`TextLog::append`] buffers; [`TextLog::write_out`] hands the buffer to the
//! operating system and is called before the sled batch that references the
//! texts is applied, so a posting record never points past what a killed
//! process wrote. [`TextLog::sync`] also asks the disk (`fsync`), before sled
//! is flushed. A torn or unreferenced tail (a batch that never committed) is
//! harmless: nothing points to it, and new records are appended after it.
//!
//! ## Damage
//! A damaged text reads as an error naming where it was ([`StoreError::Corrupt`];
//! the store adds the posting). A file whose header is destroyed does not stop
//! the log from opening: it is left as it is, every text in it reads as an
//! error, a warning says what to do, and when it was the newest generation new
//! texts go to a new one. [`TextRef::LOST`] marks a text known to be lost (a
//! posting restored from a backup that could not read it).

use std::collections::BTreeMap;
use std::fs::{File, OpenOptions};
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::{Mutex, RwLock};

use super::{poisoned, Damage, StoreError};

/// First bytes of a text log file.
pub const MAGIC: &[u8; 8] = b"SKTEXT01";

/// Bytes before each text: its length and check.
const HEADER: u64 = 8;

/// Where a text is: file generation, offset of its record, length.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct TextRef {
    /// Generation of the file holding it.
    pub file: u16,
    /// Offset of the record (its header) in the file.
    pub offset: u64,
    /// Length of the text in bytes.
    pub len: u32,
}

impl TextRef {
    /// The reference of "no text" (an empty description).
    pub const EMPTY: TextRef = TextRef {
        file: 0,
        offset: 0,
        len: 0,
    };

    /// The reference of a text known to be lost: it reads as an error, and
    /// the text is written anew when the posting is collected again.
    pub const LOST: TextRef = TextRef {
        file: u16::MAX,
        offset: u64::MAX,
        len: 0,
    };
}

/// The text files of one database.
pub struct TextLog {
    dir: PathBuf,
    /// Appends go to the newest generation through this buffer.
    writer: Mutex<Appender>,
    /// Every generation, for positional reads.
    files: RwLock<BTreeMap<u16, Generation>>,
}

/// One file of the log.
enum Generation {
    /// Readable, with its length once it is no longer appended to
    /// (`u64::MAX` while it is).
    Open(File, u64),
    /// Its header is not a text log's.
    Damaged,
}

struct Appender {
    generation: u16,
    out: BufWriter<File>,
    /// Offset of the next record.
    end: u64,
}

/// Why the text log failed (its own I/O and limits; a damaged text is a
/// [`StoreError::Corrupt`]).
#[derive(Debug, thiserror::Error)]
pub enum TextError {
    /// A file operation failed.
    #[error("cannot {doing} the text log {}", path.display())]
    Io {
        /// What was being done ("append to").
        doing: &'static str,
        /// The file or directory.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// Every generation number is used.
    #[error("the text log ran out of generation numbers")]
    OutOfGenerations,
    /// A text longer than a record can say.
    #[error("a description of {0} bytes is too long to store (at most 4 GiB)")]
    TooLong(usize),
}

fn io_error(path: &Path, doing: &'static str, source: std::io::Error) -> StoreError {
    StoreError::Text(TextError::Io {
        doing,
        path: path.to_path_buf(),
        source,
    })
}

/// The 32-bit check stored with a text.
fn check(text: &[u8]) -> u32 {
    xxhash_rust::xxh3::xxh3_64(text) as u32
}

/// The file name of a generation.
pub fn file_name(generation: u16) -> String {
    format!("texts-{generation}.log")
}

fn generation_of(name: &str) -> Option<u16> {
    name.strip_prefix("texts-")?
        .strip_suffix(".log")?
        .parse()
        .ok()
}

impl TextLog {
    /// Opens (or creates) the text files in `dir`. A file whose header is
    /// damaged is kept out (its texts read as errors) with a warning; appends
    /// go to a new generation when it is the newest.
    pub fn open(dir: &Path) -> Result<TextLog, StoreError> {
        let mut generations = Vec::new();
        let entries = std::fs::read_dir(dir).map_err(|e| io_error(dir, "list", e))?;
        for entry in entries {
            let entry = entry.map_err(|e| io_error(dir, "list", e))?;
            if let Some(g) = entry.file_name().to_str().and_then(generation_of) {
                generations.push(g);
            }
        }
        generations.sort_unstable();
        let mut files = BTreeMap::new();
        for g in generations.iter().copied() {
            let path = dir.join(file_name(g));
            let file = File::open(&path).map_err(|e| io_error(&path, "open", e))?;
            match check_magic(&file, &path) {
                Ok(len) => files.insert(g, Generation::Open(file, len)),
                Err(StoreError::Corrupt { damage, .. }) => {
                    tracing::warn!(
                        file = %path.display(),
                        cause = %damage,
                        "A text log file is damaged: the descriptions stored in it cannot be read. \
                         Counts, trends and posting records are not affected, and new texts are written \
                         to another file. `skilltrack backup FILE` saves everything else and lists the \
                         postings concerned; collecting or importing them again writes their texts anew, \
                         and `skilltrack reindex` then deletes the damaged file."
                    );
                    files.insert(g, Generation::Damaged)
                }
                Err(other) => return Err(other),
            };
        }
        let mut newest = generations.last().copied().unwrap_or(0);
        if matches!(files.get(&newest), Some(Generation::Damaged)) {
            newest = newest
                .checked_add(1)
                .ok_or_else(|| StoreError::Text(TextError::OutOfGenerations))?;
        }
        files.remove(&newest);
        let log = TextLog {
            dir: dir.to_path_buf(),
            writer: Mutex::new(Self::appender(dir, newest)?),
            files: RwLock::new(files),
        };
        log.open_for_reading(newest)?;
        Ok(log)
    }

    /// Opens generation `g` for appending, creating it when missing.
    fn appender(dir: &Path, generation: u16) -> Result<Appender, StoreError> {
        let path = dir.join(file_name(generation));
        let mut file = OpenOptions::new()
            .read(true)
            .append(true)
            .create(true)
            .open(&path)
            .map_err(|e| io_error(&path, "open", e))?;
        let mut end = check_magic(&file, &path)?;
        if end == 0 {
            file.write_all(MAGIC)
                .map_err(|e| io_error(&path, "write", e))?;
            end = MAGIC.len() as u64;
        }
        Ok(Appender {
            generation,
            out: BufWriter::with_capacity(1 << 20, file),
            end,
        })
    }

    fn open_for_reading(&self, generation: u16) -> Result<(), StoreError> {
        let path = self.dir.join(file_name(generation));
        let file = File::open(&path).map_err(|e| io_error(&path, "open", e))?;
        self.files
            .write()
            .map_err(poisoned)?
            .insert(generation, Generation::Open(file, u64::MAX));
        Ok(())
    }

    /// Appends `text` (buffered) and returns where it will be.
    pub fn append(&self, text: &str) -> Result<TextRef, StoreError> {
        if text.is_empty() {
            return Ok(TextRef::EMPTY);
        }
        let bytes = text.as_bytes();
        let len = u32::try_from(bytes.len())
            .map_err(|_| StoreError::Text(TextError::TooLong(bytes.len())))?;
        let mut w = self.writer.lock().map_err(poisoned)?;
        let offset = w.end;
        let mut header = [0u8; HEADER as usize];
        header[..4].copy_from_slice(&len.to_le_bytes());
        header[4..].copy_from_slice(&check(bytes).to_le_bytes());
        let generation = w.generation;
        w.out
            .write_all(&header)
            .and_then(|()| w.out.write_all(bytes))
            .map_err(|e| io_error(&self.dir.join(file_name(generation)), "append to", e))?;
        w.end += HEADER + u64::from(len);
        Ok(TextRef {
            file: generation,
            offset,
            len,
        })
    }

    /// Hands every appended text to the operating system (survives the
    /// process being killed, not a power cut).
    pub fn write_out(&self) -> Result<(), StoreError> {
        let mut w = self.writer.lock().map_err(poisoned)?;
        let generation = w.generation;
        w.out
            .flush()
            .map_err(|e| io_error(&self.dir.join(file_name(generation)), "write", e))
    }

    /// Writes out and waits for the disk (`fsync`).
    pub fn sync(&self) -> Result<(), StoreError> {
        let mut w = self.writer.lock().map_err(poisoned)?;
        let generation = w.generation;
        w.out
            .flush()
            .and_then(|()| w.out.get_ref().sync_data())
            .map_err(|e| io_error(&self.dir.join(file_name(generation)), "sync", e))
    }

    /// Starts a new generation: later appends go to a new file, older files
    /// stay readable. Returns the new generation.
    pub fn start_generation(&self) -> Result<u16, StoreError> {
        let mut w = self.writer.lock().map_err(poisoned)?;
        let old = w.generation;
        let new = old
            .checked_add(1)
            .ok_or_else(|| StoreError::Text(TextError::OutOfGenerations))?;
        w.out
            .flush()
            .and_then(|()| w.out.get_ref().sync_data())
            .map_err(|e| io_error(&self.dir.join(file_name(old)), "sync", e))?;
        let end = w.end;
        *w = Self::appender(&self.dir, new)?;
        drop(w);
        if let Some(Generation::Open(_, len)) = self.files.write().map_err(poisoned)?.get_mut(&old)
        {
            *len = end;
        }
        self.open_for_reading(new)?;
        Ok(new)
    }

    /// Deletes every generation older than `generation` (once no record
    /// points into them).
    pub fn remove_older_than(&self, generation: u16) -> Result<(), StoreError> {
        let mut files = self.files.write().map_err(poisoned)?;
        let old: Vec<u16> = files.range(..generation).map(|(g, _)| *g).collect();
        for g in old {
            files.remove(&g);
            let path = self.dir.join(file_name(g));
            std::fs::remove_file(&path).map_err(|e| io_error(&path, "remove", e))?;
        }
        Ok(())
    }

    /// Whether the log is long enough to hold the text at `r`. After a power
    /// cut the file can be shorter than the records that sled had already
    /// made durable say; a posting seen again then has its text written anew
    /// rather than pointing into nothing.
    pub fn holds(&self, r: TextRef) -> Result<bool, StoreError> {
        if r == TextRef::EMPTY {
            return Ok(true);
        }
        if r == TextRef::LOST {
            return Ok(false);
        }
        let end = {
            let w = self.writer.lock().map_err(poisoned)?;
            if w.generation == r.file {
                Some(w.end)
            } else {
                let files = self.files.read().map_err(poisoned)?;
                match files.get(&r.file) {
                    Some(Generation::Open(_, len)) => Some(*len),
                    Some(Generation::Damaged) | None => None,
                }
            }
        };
        Ok(end.is_some_and(|end| {
            r.offset
                .checked_add(HEADER + u64::from(r.len))
                .is_some_and(|last| last <= end)
        }))
    }

    /// Reads the text at `r` (written out before, see [`TextLog::write_out`]),
    /// checking its length and check.
    pub fn read(&self, r: TextRef) -> Result<String, StoreError> {
        if r == TextRef::EMPTY {
            return Ok(String::new());
        }
        if r == TextRef::LOST {
            return Err(StoreError::Corrupt {
                key: "text".into(),
                damage: Damage::TextLost,
            });
        }
        let path = self.dir.join(file_name(r.file));
        let corrupt = |damage: Damage| StoreError::Corrupt {
            key: format!("text at offset {} of {}", r.offset, path.display()),
            damage,
        };
        let mut buf = vec![0u8; HEADER as usize + r.len as usize];
        {
            let files = self.files.read().map_err(poisoned)?;
            match files.get(&r.file) {
                Some(Generation::Open(file, _)) => {
                    read_at(file, &mut buf, r.offset).map_err(|error| {
                        corrupt(Damage::TextRead {
                            bytes: buf.len(),
                            error,
                        })
                    })?
                }
                Some(Generation::Damaged) => return Err(corrupt(Damage::TextFileDamaged)),
                None => return Err(corrupt(Damage::TextFileMissing)),
            }
        }
        let len = u32::from_le_bytes([buf[0], buf[1], buf[2], buf[3]]);
        let stored = u32::from_le_bytes([buf[4], buf[5], buf[6], buf[7]]);
        let text = buf.split_off(HEADER as usize);
        if len != r.len || stored != check(&text) {
            return Err(corrupt(Damage::TextMismatch));
        }
        String::from_utf8(text).map_err(|e| corrupt(Damage::TextUtf8(e)))
    }
}

/// Checks the magic bytes of a non-empty file; returns its length.
fn check_magic(file: &File, path: &Path) -> Result<u64, StoreError> {
    let len = file
        .metadata()
        .map_err(|e| io_error(path, "read the size of", e))?
        .len();
    if len > 0 {
        let mut magic = [0u8; 8];
        let ok = read_at(file, &mut magic, 0).is_ok() && &magic == MAGIC;
        if !ok {
            return Err(StoreError::Corrupt {
                key: path.display().to_string(),
                damage: Damage::NotATextLog,
            });
        }
    }
    Ok(len)
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
        let log = TextLog::open(dir.path()).unwrap();
        let a = log.append("Développeur Rust — télétravail").unwrap();
        assert_eq!(a.offset, MAGIC.len() as u64);
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
        let end = b.offset + HEADER + u64::from(b.len);
        drop(log);

        let log = TextLog::open(dir.path()).unwrap();
        assert_eq!(log.read(b).unwrap(), "second");
        let c = log.append("third").unwrap();
        assert_eq!(c.offset, end);
        log.sync().unwrap();
        assert_eq!(log.read(c).unwrap(), "third");
    }

    #[test]
    fn generations_stay_readable_until_removed() {
        let dir = tempfile::tempdir().unwrap();
        let log = TextLog::open(dir.path()).unwrap();
        let old = log.append("old copy").unwrap();
        assert_eq!(old.file, 0);
        assert_eq!(log.start_generation().unwrap(), 1);
        let new = log.append("new copy").unwrap();
        assert_eq!((new.file, new.offset), (1, MAGIC.len() as u64));
        log.write_out().unwrap();
        assert_eq!(log.read(old).unwrap(), "old copy");
        assert!(log.holds(old).unwrap() && log.holds(new).unwrap());
        drop(log);

        // Reopened mid-way (a compaction cut short): both are read, appends
        // go to the newest.
        let log = TextLog::open(dir.path()).unwrap();
        assert_eq!(log.read(old).unwrap(), "old copy");
        assert_eq!(log.append("more").unwrap().file, 1);
        log.remove_older_than(1).unwrap();
        assert!(!dir.path().join(file_name(0)).exists());
        assert!(log.read(old).is_err() && !log.holds(old).unwrap());
        assert_eq!(log.read(new).unwrap(), "new copy");
    }

    #[test]
    fn damage_is_reported_not_returned() {
        let dir = tempfile::tempdir().unwrap();
        let log = TextLog::open(dir.path()).unwrap();
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
        let err = log.read(TextRef { file: 7, ..a }).unwrap_err().to_string();
        assert!(err.contains("missing"), "{err}");
        drop(log);
        let path = dir.path().join(file_name(0));
        let mut bytes = std::fs::read(&path).unwrap();
        let last = bytes.len() - 1;
        bytes[last] ^= 1;
        std::fs::write(&path, bytes).unwrap();
        let log = TextLog::open(dir.path()).unwrap();
        assert!(log.read(a).is_err());
    }

    #[test]
    fn a_damaged_header_leaves_the_file_aside_and_appends_to_a_new_generation() {
        let dir = tempfile::tempdir().unwrap();
        let log = TextLog::open(dir.path()).unwrap();
        let a = log.append("written before the damage").unwrap();
        log.sync().unwrap();
        drop(log);
        let path = dir.path().join(file_name(0));
        let mut bytes = std::fs::read(&path).unwrap();
        bytes[..8].copy_from_slice(b"\0\0\0\0\0\0\0\0");
        std::fs::write(&path, &bytes).unwrap();

        let log = TextLog::open(dir.path()).unwrap();
        let err = log.read(a).unwrap_err().to_string();
        assert!(
            err.contains("damaged") && err.contains("not a skilltrack text log"),
            "{err}"
        );
        assert!(
            !log.holds(a).unwrap(),
            "a posting seen again gets its text anew"
        );
        let b = log.append("written after").unwrap();
        assert_eq!(b.file, 1);
        log.write_out().unwrap();
        assert_eq!(log.read(b).unwrap(), "written after");
        assert_eq!(
            std::fs::read(&path).unwrap(),
            bytes,
            "the damaged file is left as it is"
        );
        drop(log);
        // Reopened: the same, appends go on in generation 1.
        let log = TextLog::open(dir.path()).unwrap();
        assert_eq!(log.read(b).unwrap(), "written after");
        assert!(log.read(a).is_err());
        assert_eq!(log.append("more").unwrap().file, 1);
        // A compaction removes it with the other old generations.
        log.remove_older_than(1).unwrap();
        assert!(!path.exists());
    }

    #[test]
    fn a_foreign_or_torn_file_does_not_stop_the_log() {
        for content in [&b"something else entirely"[..], b"SKT"] {
            let dir = tempfile::tempdir().unwrap();
            std::fs::write(dir.path().join(file_name(0)), content).unwrap();
            let log = TextLog::open(dir.path()).unwrap();
            let r = log.append("new").unwrap();
            assert_eq!(r.file, 1);
            log.write_out().unwrap();
            assert_eq!(log.read(r).unwrap(), "new");
        }
    }

    #[test]
    fn a_lost_text_reads_as_an_error_and_is_not_held() {
        let dir = tempfile::tempdir().unwrap();
        let log = TextLog::open(dir.path()).unwrap();
        let err = log.read(TextRef::LOST).unwrap_err().to_string();
        assert!(err.contains("lost"), "{err}");
        assert!(!log.holds(TextRef::LOST).unwrap());
    }
}
