//! The store's errors: each names what was being done and keeps its cause.

use crate::domain::Posting;

use super::record::RecordError;
use super::sled_store::EngineError;
use super::texts::TextError;

/// Why a store operation failed.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The database directory is used by another process.
    #[error("the database in {dir} is in use by another process (is `skilltrack serve` running? stop it, or query it over HTTP)")]
    Locked {
        /// The directory.
        dir: String,
        /// What the engine said.
        #[source]
        source: EngineError,
    },
    /// The database directory could not be created.
    #[error("cannot create the database directory {dir}")]
    CreateDir {
        /// The directory.
        dir: String,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },
    /// The database could not be opened.
    #[error("cannot open the database in {dir}")]
    Open {
        /// The directory.
        dir: String,
        /// The underlying error.
        #[source]
        source: EngineError,
    },
    /// A compaction (the database copied into a fresh one and swapped in)
    /// failed at a file operation.
    #[error("cannot {doing} the database directory {dir} while compacting it")]
    Compact {
        /// The database directory.
        dir: String,
        /// What was being done ("move the compacted files into").
        doing: &'static str,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// The database was written by an incompatible version.
    #[error("the database in {dir} has schema version {found}, this build reads version {expected}: make a backup with the version that wrote it (`skilltrack backup FILE`) and `skilltrack restore FILE` it with this one into a new --data-dir, or remove it and collect again")]
    Schema {
        /// The directory.
        dir: String,
        /// Version on disk.
        found: u32,
        /// Version this build reads.
        expected: u32,
    },
    /// The database engine failed.
    #[error("database error while {doing}")]
    Engine {
        /// What was being done ("writing a batch of postings").
        doing: &'static str,
        /// The engine's error.
        #[source]
        source: EngineError,
    },
    /// A value could not be encoded for storage.
    #[error("cannot encode {what}")]
    Encode {
        /// What was being encoded ("a run report").
        what: &'static str,
        /// The encoder's error.
        #[source]
        source: serde_json::Error,
    },
    /// The text log failed (its own I/O, not a damaged text: see
    /// [`StoreError::Corrupt`]).
    #[error(transparent)]
    Text(#[from] TextError),
    /// A stored record or text does not decode (damage, or a bug).
    #[error("corrupt record {key}: {damage}")]
    Corrupt {
        /// Which record.
        key: String,
        /// What is wrong with it.
        damage: Damage,
    },
    /// A posting whose text cannot be read, met while walking the postings
    /// (see [`Postings`](super::Postings)): the walk can go on.
    #[error(transparent)]
    UnreadableText(Box<UnreadableText>),
    /// The in-memory posting index was not built when it had to be (a bug).
    #[error("the posting index is missing {doing}")]
    IndexMissing {
        /// When ("during an ingest").
        doing: &'static str,
    },
    /// A lock was poisoned by a writer that panicked.
    #[error("a lock was poisoned by a panicked writer")]
    Poisoned,
    /// A counter's skill, geography or year does not fit its record key.
    #[error("counter out of range: skill #{skill}, geo #{geo}, year {year}")]
    CounterOutOfRange {
        /// The skill's interned number.
        skill: u32,
        /// The geography's interned number.
        geo: u32,
        /// The year.
        year: i32,
    },
    /// A counter value given to
    /// [`replace_counts`](super::PostingStore::replace_counts) does not fit
    /// the stored 32-bit day value.
    #[error("counter value {value} of {skill} in {geo} on {day} does not fit a stored counter (32 bits)")]
    CountTooLarge {
        /// The skill, or `*`.
        skill: String,
        /// The geography.
        geo: String,
        /// The day.
        day: String,
        /// The value.
        value: i64,
    },
}

/// What is wrong with a stored record or text.
#[derive(Debug, thiserror::Error)]
pub enum Damage {
    /// A posting record does not decode.
    #[error("{0}")]
    Record(RecordError),
    /// A posting key or the fixed-place header of its record is bad.
    #[error("bad key or record header")]
    Header,
    /// An interned name does not decode.
    #[error("bad interned name")]
    Name,
    /// A counter key or record does not decode.
    #[error("bad counter record")]
    Counter,
    /// A JSON value (run report, validators) does not decode.
    #[error("{0}")]
    Json(serde_json::Error),
    /// A text cannot be read from its file.
    #[error("cannot read {bytes} bytes: {error}")]
    TextRead {
        /// How many bytes were to be read.
        bytes: usize,
        /// The read's error.
        error: std::io::Error,
    },
    /// The text's file has a damaged header.
    #[error("the file is damaged ({})", Damage::NotATextLog)]
    TextFileDamaged,
    /// The text's file is missing.
    #[error("the file is missing")]
    TextFileMissing,
    /// The stored text does not match its record.
    #[error("the stored text does not match its record (length or checksum)")]
    TextMismatch,
    /// The stored text is not UTF-8.
    #[error("{0}")]
    TextUtf8(std::string::FromUtf8Error),
    /// The text is known to be lost.
    #[error("lost: it could not be read when the backup this posting was restored from was made")]
    TextLost,
    /// A file is not a text log.
    #[error("not a skilltrack text log (bad magic bytes)")]
    NotATextLog,
    /// A text log file's compression dictionary is damaged.
    #[error("the file's compression dictionary is damaged")]
    TextDictionary,
    /// A stored text does not decompress.
    #[error("the stored text does not decompress: {0}")]
    TextDecompress(std::io::Error),
}

/// A stored posting whose description text cannot be read (the text log is
/// damaged there): the posting without its text, and why.
#[derive(Debug)]
pub struct UnreadableText {
    /// The posting, its `text` empty.
    pub posting: Posting,
    /// Why the text cannot be read (a [`StoreError::Corrupt`] naming the
    /// posting).
    pub cause: StoreError,
}

impl std::fmt::Display for UnreadableText {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.cause.fmt(f)
    }
}

impl std::error::Error for UnreadableText {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        std::error::Error::source(&self.cause)
    }
}

/// The error for a lock a panicked writer left poisoned.
pub(crate) fn poisoned<T>(_: T) -> StoreError {
    StoreError::Poisoned
}
