//! The text log: postings' description texts, appended to files next to the
//! sled database, referenced from each posting record by [`TextRef`].
//!
//! Texts are the bulk of a posting (~3 KB of its ~3.3 KB) but are written
//! once and read only by `reindex`, exports and drill-down. In sled, a 3 KB
//! value costs 20–49 µs per insert (leaf nodes are copied on write) and
//! takes 2.4 times its size on disk; appended to a file, it costs a `memcpy`.
//!
//! ## Format
//! Files `texts-G.log`, `G` a generation number. Each starts with a header
//! (see `codec`): the magic, and in the current format (`SKTEXT02`) the
//! file's zstd dictionary; then records, each `len · check · plain_len ·
//! zstd frame` (files of the first format, `SKTEXT01`, plain `len · check ·
//! text` records, are still read; appends never go to them). Records are
//! only ever appended, to the newest generation. A text that changes is
//! appended again and the posting record points to the new copy; the old
//! one is dead space until the next compaction, which copies every live
//! text into a new generation, points every record to it (see
//! `SledStore::rebuild`), and only then deletes the older files. A
//! compaction cut short leaves records pointing into either generation,
//! both still readable; the next one finishes the job.
//!
//! ## Compression
//! Each text is one zstd frame, compressed with its file's dictionary.
//! A new generation starts without one; once [`codec::SAMPLE_BYTES`] of
//! texts were appended to it, a dictionary is trained on them and the log
//! moves on to a new generation holding it (the texts before stay where
//! they are, readable with the first file's settings). A fresh import thus
//! trains on its first postings, and every compaction on the first texts it
//! copies.
//!
//! ## Crash safety
//! [`TextLog::append`] buffers; [`TextLog::write_out`] hands the buffer to the
//! operating system and is called before the sled batch that references the
//! texts is applied, so a posting record never points past what a killed
//! process wrote. [`TextLog::sync`] also asks the disk (`fsync`), before sled
//! is flushed. A torn or unreferenced tail (a batch that never committed) is
//! harmless: nothing points to it, and new records are appended after it.
//! A new generation's header (with its dictionary) is written and synced
//! before any text goes into it.
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

pub(crate) mod codec;

use codec::{Decoder, Encoder, FileHeader, Format};

/// Where a text is: file generation, offset of its record, length.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct TextRef {
    /// Generation of the file holding it.
    pub file: u16,
    /// Offset of the record (its header) in the file.
    pub offset: u64,
    /// Length of the record's payload in bytes: the zstd frame (the text
    /// itself in a file of the first, plain format).
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
    /// (`u64::MAX` while it is), and how its texts are read.
    Open(File, u64, Decoder),
    /// Its header is not a text log's.
    Damaged,
}

struct Appender {
    generation: u16,
    out: BufWriter<File>,
    /// Offset of the next record.
    end: u64,
    /// How texts are compressed into it.
    encoder: Encoder,
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

fn next_generation(g: u16) -> Result<u16, StoreError> {
    g.checked_add(1)
        .ok_or(StoreError::Text(TextError::OutOfGenerations))
}

impl TextLog {
    /// Opens (or creates) the text files in `dir`. A file whose header is
    /// damaged is kept out (its texts read as errors) with a warning; appends
    /// go to a new generation when it is the newest, or when the newest is
    /// of the first (plain) format.
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
            match open_header(&file, &path) {
                Ok((len, header)) => {
                    let decoder = match &header {
                        Some(header) => Decoder::of(header, &path),
                        None => Ok(Decoder::Zstd(Mutex::new(
                            zstd::bulk::Decompressor::new()
                                .map_err(|e| io_error(&path, "set up decompression for", e))?,
                        ))),
                    };
                    match decoder {
                        Ok(decoder) => files.insert(g, Generation::Open(file, len, decoder)),
                        Err(e) => files.insert(g, damaged(&path, e)),
                    }
                }
                Err(e @ StoreError::Corrupt { .. }) => files.insert(g, damaged(&path, e)),
                Err(other) => return Err(other),
            };
        }
        let mut newest = generations.last().copied().unwrap_or(0);
        let appendable = matches!(
            files.get(&newest),
            None | Some(Generation::Open(_, _, Decoder::Zstd(_)))
        );
        if !appendable {
            newest = next_generation(newest)?;
        }
        files.remove(&newest);
        let log = TextLog {
            dir: dir.to_path_buf(),
            writer: Mutex::new(Self::appender(dir, newest, &[])?),
            files: RwLock::new(files),
        };
        log.open_for_reading(newest)?;
        Ok(log)
    }

    /// Opens generation `g` for appending, creating it with `dictionary`
    /// when missing or empty (an existing file keeps its own).
    fn appender(dir: &Path, generation: u16, dictionary: &[u8]) -> Result<Appender, StoreError> {
        let path = dir.join(file_name(generation));
        let mut file = OpenOptions::new()
            .read(true)
            .append(true)
            .create(true)
            .open(&path)
            .map_err(|e| io_error(&path, "open", e))?;
        let (mut end, header) = open_header(&file, &path)?;
        let encoder = match header {
            Some(header) => Encoder::new(&header.dictionary, &path)?,
            None => {
                let bytes = FileHeader::bytes(dictionary)?;
                file.write_all(&bytes)
                    .and_then(|()| file.sync_data())
                    .map_err(|e| io_error(&path, "write", e))?;
                end = bytes.len() as u64;
                Encoder::new(dictionary, &path)?
            }
        };
        Ok(Appender {
            generation,
            out: BufWriter::with_capacity(1 << 20, file),
            end,
            encoder,
        })
    }

    fn open_for_reading(&self, generation: u16) -> Result<(), StoreError> {
        let path = self.dir.join(file_name(generation));
        let file = File::open(&path).map_err(|e| io_error(&path, "open", e))?;
        let (_, header) = open_header(&file, &path)?;
        let header = header.ok_or(StoreError::Corrupt {
            key: path.display().to_string(),
            damage: Damage::NotATextLog,
        })?;
        let decoder = Decoder::of(&header, &path)?;
        self.files
            .write()
            .map_err(poisoned)?
            .insert(generation, Generation::Open(file, u64::MAX, decoder));
        Ok(())
    }

    /// Appends `text` (compressed, buffered) and returns where it will be.
    /// Once enough texts went into a generation without a dictionary, the
    /// log trains one on them and moves on to a new generation with it.
    pub fn append(&self, text: &str) -> Result<TextRef, StoreError> {
        if text.is_empty() {
            return Ok(TextRef::EMPTY);
        }
        let mut w = self.writer.lock().map_err(poisoned)?;
        let offset = w.end;
        let generation = w.generation;
        let path = self.dir.join(file_name(generation));
        let a = &mut *w;
        let (header, frame) = a.encoder.encode(text.as_bytes(), &path)?;
        let len = frame.len() as u32;
        a.out
            .write_all(&header)
            .and_then(|()| a.out.write_all(frame))
            .map_err(|e| io_error(&path, "append to", e))?;
        a.end += Format::Zstd.record_header() + u64::from(len);
        if let Some(dictionary) = a.encoder.dictionary_due() {
            self.roll(&mut w, &dictionary)?;
        }
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
        self.roll(&mut w, &[])
    }

    /// Moves appends on to a new generation created with `dictionary`,
    /// the old one written out, synced and kept for reading.
    fn roll(&self, w: &mut Appender, dictionary: &[u8]) -> Result<u16, StoreError> {
        let old = w.generation;
        let new = next_generation(old)?;
        w.out
            .flush()
            .and_then(|()| w.out.get_ref().sync_data())
            .map_err(|e| io_error(&self.dir.join(file_name(old)), "sync", e))?;
        let end = w.end;
        *w = Self::appender(&self.dir, new, dictionary)?;
        if let Some(Generation::Open(_, len, _)) =
            self.files.write().map_err(poisoned)?.get_mut(&old)
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
        let w = self.writer.lock().map_err(poisoned)?;
        let files = self.files.read().map_err(poisoned)?;
        let (end, format) = match files.get(&r.file) {
            Some(Generation::Open(_, len, decoder)) => {
                let end = if w.generation == r.file { w.end } else { *len };
                (end, decoder.format())
            }
            Some(Generation::Damaged) | None => return Ok(false),
        };
        Ok(r.offset
            .checked_add(format.record_header() + u64::from(r.len))
            .is_some_and(|last| last <= end))
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
        let files = self.files.read().map_err(poisoned)?;
        let text = match files.get(&r.file) {
            Some(Generation::Open(file, _, decoder)) => {
                let mut buf = vec![0u8; decoder.format().record_header() as usize + r.len as usize];
                read_at(file, &mut buf, r.offset).map_err(|error| {
                    corrupt(Damage::TextRead {
                        bytes: buf.len(),
                        error,
                    })
                })?;
                decoder.decode(&buf, r.len).map_err(corrupt)?
            }
            Some(Generation::Damaged) => return Err(corrupt(Damage::TextFileDamaged)),
            None => return Err(corrupt(Damage::TextFileMissing)),
        };
        drop(files);
        String::from_utf8(text).map_err(|e| corrupt(Damage::TextUtf8(e)))
    }
}

/// A damaged file, with the warning that says what to do.
fn damaged(path: &Path, error: StoreError) -> Generation {
    let cause = match &error {
        StoreError::Corrupt { damage, .. } => damage.to_string(),
        other => other.to_string(),
    };
    tracing::warn!(
        file = %path.display(),
        %cause,
        "A text log file is damaged: the descriptions stored in it cannot be read. \
         Counts, trends and posting records are not affected, and new texts are written \
         to another file. `skilltrack backup FILE` saves everything else and lists the \
         postings concerned; collecting or importing them again writes their texts anew, \
         and `skilltrack reindex` then deletes the damaged file."
    );
    Generation::Damaged
}

/// The length of a file and, when it is not empty, its header.
fn open_header(file: &File, path: &Path) -> Result<(u64, Option<FileHeader>), StoreError> {
    let len = file
        .metadata()
        .map_err(|e| io_error(path, "read the size of", e))?
        .len();
    if len == 0 {
        return Ok((0, None));
    }
    Ok((len, Some(codec::read_header(file, path, len)?)))
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
mod tests;
