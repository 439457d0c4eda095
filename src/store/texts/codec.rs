//! How texts are written in a text log file: the file formats, their
//! headers, and the zstd compression (with the file's dictionary) of the
//! texts in the current format.
//!
//! ## Formats
//! - `SKTEXT01` (plain, written before texts were compressed; still read):
//!   the magic, then records `len (u32 LE) · check (u32 LE) · text`.
//! - `SKTEXT02` (zstd, what is written now): the magic, `dict_len (u32 LE)`
//!   and the file's zstd dictionary (`dict_len` bytes, none when 0), then
//!   records `len (u32 LE, bytes of the frame) · check (u32 LE, low half of
//!   the plain text's xxh3) · plain_len (u32 LE) · zstd frame`.
//!
//! A [`TextRef`](super::TextRef)'s `len` is the stored length of its record's
//! payload (the text in the plain format, the frame in the zstd format).

use std::fs::File;
use std::path::Path;
use std::sync::Mutex;

use zstd::bulk::{Compressor, Decompressor};

use super::{io_error, read_at, Damage, StoreError};

/// First bytes of a plain text log file (the first format).
pub const MAGIC_PLAIN: &[u8; 8] = b"SKTEXT01";

/// First bytes of a compressed text log file (the current format).
pub const MAGIC_ZSTD: &[u8; 8] = b"SKTEXT02";

/// zstd's level for texts: its default, fast enough to keep up with an
/// import on one thread and within a few percent of the higher levels on
/// short texts with a dictionary.
const LEVEL: i32 = 3;

/// Size a trained dictionary is capped at.
pub const DICTIONARY_BYTES: usize = 32 << 10;

/// Bytes of texts gathered to train a file's dictionary (about a hundred
/// times the dictionary, as zstd advises).
pub const SAMPLE_BYTES: usize = 2 << 20;

/// Longest dictionary a header is believed to hold (more is damage).
const MAX_DICTIONARY_BYTES: u32 = 1 << 20;

/// The format of a text log file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// `SKTEXT01`: texts as they are.
    Plain,
    /// `SKTEXT02`: zstd frames, with the file's dictionary.
    Zstd,
}

impl Format {
    /// Bytes before each record's payload.
    pub fn record_header(self) -> u64 {
        match self {
            Format::Plain => 8,
            Format::Zstd => 12,
        }
    }
}

/// What a file's header says: its format and dictionary.
pub struct FileHeader {
    /// The file's format.
    pub format: Format,
    /// Its dictionary (empty: none, or the plain format).
    pub dictionary: Vec<u8>,
}

impl FileHeader {
    /// The header of a new file: the current format, with `dictionary`.
    pub fn bytes(dictionary: &[u8]) -> Result<Vec<u8>, StoreError> {
        let len = u32::try_from(dictionary.len())
            .ok()
            .filter(|&n| n <= MAX_DICTIONARY_BYTES)
            .ok_or(StoreError::Corrupt {
                key: "a new text log dictionary".into(),
                damage: Damage::TextDictionary,
            })?;
        let mut out = Vec::with_capacity(MAGIC_ZSTD.len() + 4 + dictionary.len());
        out.extend_from_slice(MAGIC_ZSTD);
        out.extend_from_slice(&len.to_le_bytes());
        out.extend_from_slice(dictionary);
        Ok(out)
    }
}

/// Reads the header of a file of `len` bytes (not empty).
pub fn read_header(file: &File, path: &Path, len: u64) -> Result<FileHeader, StoreError> {
    let damaged = |damage| StoreError::Corrupt {
        key: path.display().to_string(),
        damage,
    };
    let mut magic = [0u8; 8];
    if read_at(file, &mut magic, 0).is_err() {
        return Err(damaged(Damage::NotATextLog));
    }
    if &magic == MAGIC_PLAIN {
        return Ok(FileHeader {
            format: Format::Plain,
            dictionary: Vec::new(),
        });
    }
    if &magic != MAGIC_ZSTD {
        return Err(damaged(Damage::NotATextLog));
    }
    let mut dict_len = [0u8; 4];
    read_at(file, &mut dict_len, 8).map_err(|_| damaged(Damage::TextDictionary))?;
    let dict_len = u32::from_le_bytes(dict_len);
    if dict_len > MAX_DICTIONARY_BYTES || 12 + u64::from(dict_len) > len {
        return Err(damaged(Damage::TextDictionary));
    }
    let mut dictionary = vec![0u8; dict_len as usize];
    read_at(file, &mut dictionary, 12).map_err(|_| damaged(Damage::TextDictionary))?;
    Ok(FileHeader {
        format: Format::Zstd,
        dictionary,
    })
}

/// How the texts of one file are read.
pub enum Decoder {
    /// Plain texts.
    Plain,
    /// zstd frames, decompressed with the file's dictionary (one context
    /// per file, shared by the readers).
    Zstd(Mutex<Decompressor<'static>>),
}

impl Decoder {
    /// The decoder of a file with `header`.
    pub fn of(header: &FileHeader, path: &Path) -> Result<Decoder, StoreError> {
        Ok(match header.format {
            Format::Plain => Decoder::Plain,
            Format::Zstd => Decoder::Zstd(Mutex::new(
                Decompressor::with_dictionary(&header.dictionary).map_err(|_| {
                    StoreError::Corrupt {
                        key: path.display().to_string(),
                        damage: Damage::TextDictionary,
                    }
                })?,
            )),
        })
    }

    /// The format it reads.
    pub fn format(&self) -> Format {
        match self {
            Decoder::Plain => Format::Plain,
            Decoder::Zstd(_) => Format::Zstd,
        }
    }

    /// The text of a record: `record` is its header and payload, `len` the
    /// payload's length its reference gives. `Err` is the damage found.
    pub fn decode(&self, record: &[u8], len: u32) -> Result<Vec<u8>, Damage> {
        let field = |at: usize| {
            u32::from_le_bytes([record[at], record[at + 1], record[at + 2], record[at + 3]])
        };
        let (stored, check) = (field(0), field(4));
        if stored != len {
            return Err(Damage::TextMismatch);
        }
        let text = match self {
            Decoder::Plain => record[8..].to_vec(),
            Decoder::Zstd(decompressor) => {
                let plain_len = field(8) as usize;
                let mut text = Vec::with_capacity(plain_len);
                // A reader that panicked left no state that matters: each
                // frame starts afresh.
                let mut decompressor = decompressor
                    .lock()
                    .unwrap_or_else(std::sync::PoisonError::into_inner);
                match decompressor.decompress_to_buffer(&record[12..], &mut text) {
                    Ok(n) if n == plain_len => text,
                    Ok(_) => return Err(Damage::TextMismatch),
                    Err(error) => return Err(Damage::TextDecompress(error)),
                }
            }
        };
        if check != super::check(&text) {
            return Err(Damage::TextMismatch);
        }
        Ok(text)
    }
}

/// How texts are written to the newest file: zstd with its dictionary,
/// and while it has none, the texts gathered to train one.
pub struct Encoder {
    compressor: Compressor<'static>,
    /// Whether the file has a dictionary.
    trained: bool,
    /// Texts gathered for training (concatenated) and their lengths.
    samples: Vec<u8>,
    sample_lens: Vec<usize>,
    /// The last frame.
    frame: Vec<u8>,
}

impl Encoder {
    /// The encoder of a file with `dictionary` (empty: none yet).
    pub fn new(dictionary: &[u8], path: &Path) -> Result<Encoder, StoreError> {
        let compressor = Compressor::with_dictionary(LEVEL, dictionary)
            .map_err(|e| io_error(path, "set up compression for", e))?;
        Ok(Encoder {
            compressor,
            trained: !dictionary.is_empty(),
            samples: Vec::new(),
            sample_lens: Vec::new(),
            frame: Vec::new(),
        })
    }

    /// The record header and zstd frame of `text` (the frame valid until
    /// the next call), and the frame's length.
    pub fn encode(&mut self, text: &[u8], path: &Path) -> Result<([u8; 12], &[u8]), StoreError> {
        let too_long = || StoreError::Text(super::TextError::TooLong(text.len()));
        let plain_len = u32::try_from(text.len()).map_err(|_| too_long())?;
        self.frame.clear();
        self.frame
            .reserve(zstd::zstd_safe::compress_bound(text.len()));
        let n = self
            .compressor
            .compress_to_buffer(text, &mut self.frame)
            .map_err(|e| io_error(path, "compress a text for", e))?;
        let stored = u32::try_from(n).map_err(|_| too_long())?;
        let mut header = [0u8; 12];
        header[..4].copy_from_slice(&stored.to_le_bytes());
        header[4..8].copy_from_slice(&super::check(text).to_le_bytes());
        header[8..].copy_from_slice(&plain_len.to_le_bytes());
        if !self.trained && self.samples.len() < SAMPLE_BYTES {
            self.samples.extend_from_slice(text);
            self.sample_lens.push(text.len());
        }
        Ok((header, &self.frame))
    }

    /// A dictionary trained on the texts written so far, once they are
    /// enough and the file has none; `None` until then, or when zstd finds
    /// nothing to learn (the file then goes on without one).
    pub fn dictionary_due(&mut self) -> Option<Vec<u8>> {
        if self.trained || self.samples.len() < SAMPLE_BYTES {
            return None;
        }
        self.trained = true;
        let samples = std::mem::take(&mut self.samples);
        let lens = std::mem::take(&mut self.sample_lens);
        train(&samples, &lens)
    }
}

/// A zstd dictionary trained on texts (`samples` concatenated, `lens` their
/// lengths), or `None` when zstd cannot train one from them.
pub fn train(samples: &[u8], lens: &[usize]) -> Option<Vec<u8>> {
    match zstd::dict::from_continuous(samples, lens, DICTIONARY_BYTES) {
        Ok(dictionary) if !dictionary.is_empty() => Some(dictionary),
        Ok(_) => None,
        Err(error) => {
            tracing::debug!(%error, texts = lens.len(), "No dictionary trained for the text log.");
            None
        }
    }
}
