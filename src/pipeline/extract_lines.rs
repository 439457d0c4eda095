//! `skilltrack extract`: the normalizer on its own, over JSON Lines
//! postings read with bounded lines; nothing is stored.
//!
//! Lines are read on the calling thread in batches; each batch is parsed,
//! normalized and serialized by one of the workers (every core), and the
//! batches are written back in input order, so the output is the same,
//! byte for byte, as one thread's. The normalizer is built when the first
//! batch holds a line: an empty input never pays for the taxonomy, the
//! matcher and the gazetteer.

use std::collections::BTreeMap;
use std::io::BufRead;
use std::ops::Deref;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{mpsc, Arc, Mutex};

use super::line_error;
use crate::extract::import;
use crate::lines::{LineReader, NumberedLine, ReadError};
use crate::normalize::{NormalizeError, Normalizer};

/// Lines per batch handed to a worker by `extract`.
pub const EXTRACT_BATCH_LINES: usize = 256;

/// Bytes of input lines after which an `extract` batch is closed even if it
/// holds fewer than [`EXTRACT_BATCH_LINES`] lines.
pub const EXTRACT_BATCH_BYTES: usize = 1 << 20;

/// How `extract` reads and shares its work.
#[derive(Debug, Clone, Copy)]
pub struct ExtractOptions {
    /// Longest line accepted, in bytes (longer ones are bad lines).
    pub max_line_bytes: usize,
    /// Threads that parse and normalize; 1 does everything on the calling
    /// thread.
    pub workers: usize,
    /// Lines per batch (at least 1).
    pub batch_lines: usize,
    /// Bytes of lines after which a batch is closed.
    pub batch_bytes: usize,
}

impl ExtractOptions {
    /// Lines of at most `max_line_bytes`, one worker per core (at most 8),
    /// batches of [`EXTRACT_BATCH_LINES`] lines or [`EXTRACT_BATCH_BYTES`].
    pub fn new(max_line_bytes: usize) -> ExtractOptions {
        ExtractOptions {
            max_line_bytes,
            workers: std::thread::available_parallelism().map_or(1, |n| n.get().min(8)),
            batch_lines: EXTRACT_BATCH_LINES,
            batch_bytes: EXTRACT_BATCH_BYTES,
        }
    }
}

/// `skilltrack extract`: reads JSON Lines postings, writes one extraction
/// (skills, implied skills, places, remote) per posting to `out`, stores
/// nothing. A bad line (not a posting, not UTF-8, longer than
/// `max_line_bytes`) goes to `on_bad` with its number and is skipped; a read
/// error stops after the lines before it are written. Returns the number of
/// bad lines. Runs on every core ([`ExtractOptions::new`]).
pub fn extract_lines<R: BufRead, W: std::io::Write>(
    normalizer: &Normalizer,
    reader: R,
    max_line_bytes: usize,
    out: W,
    on_bad: impl FnMut(import::LineError),
) -> Result<u64, ExtractError> {
    let options = ExtractOptions::new(max_line_bytes);
    extract_lines_with(|| Ok(normalizer), reader, &options, out, on_bad)
}

/// [`extract_lines`] with its options, the normalizer made by `make` when
/// the first line is read (never, on an empty input). `N` is whatever holds
/// the normalizer: a reference, a `Box`, an `Arc`.
pub fn extract_lines_with<N, R, W>(
    make: impl FnOnce() -> Result<N, NormalizeError>,
    reader: R,
    options: &ExtractOptions,
    mut out: W,
    mut on_bad: impl FnMut(import::LineError),
) -> Result<u64, ExtractError>
where
    N: Deref<Target = Normalizer>,
    R: BufRead,
    W: std::io::Write,
{
    let mut lines = LineReader::new(reader, options.max_line_bytes);
    let first = read_batch(&mut lines, 0, options);
    if first.lines.is_empty() {
        out.flush().map_err(ExtractError::Write)?;
        return first.end.map_or(Ok(0), |e| Err(ExtractError::Read(e)));
    }
    let normalizer = make().map_err(ExtractError::Normalizer)?;
    let mut writer = InOrder {
        out: &mut out,
        on_bad: &mut on_bad,
        waiting: BTreeMap::new(),
        next: 0,
        bad: 0,
    };
    if options.workers <= 1 {
        one_thread(&normalizer, &mut lines, first, options, &mut writer)?;
    } else {
        threaded(&normalizer, &mut lines, first, options, &mut writer)?;
    }
    let bad = writer.bad;
    out.flush().map_err(ExtractError::Write)?;
    Ok(bad)
}

/// Every batch on the calling thread, in turn.
fn one_thread<R: BufRead, W: std::io::Write>(
    normalizer: &Normalizer,
    lines: &mut LineReader<R>,
    first: Batch,
    options: &ExtractOptions,
    writer: &mut InOrder<'_, W, impl FnMut(import::LineError)>,
) -> Result<(), ExtractError> {
    let mut batch = first;
    loop {
        let end = batch.end.take();
        let (seq, empty) = (batch.seq, batch.lines.is_empty());
        if !empty {
            writer.put(extract_batch(normalizer, batch))?;
        }
        if let Some(error) = end {
            return Err(ExtractError::Read(error));
        }
        if empty {
            return Ok(());
        }
        batch = read_batch(lines, seq + 1, options);
    }
}

/// Batches read here, extracted by `options.workers` threads, written here
/// in order as they come back.
fn threaded<R: BufRead, W: std::io::Write>(
    normalizer: &Normalizer,
    lines: &mut LineReader<R>,
    first: Batch,
    options: &ExtractOptions,
    writer: &mut InOrder<'_, W, impl FnMut(import::LineError)>,
) -> Result<(), ExtractError> {
    let stop = AtomicBool::new(false);
    std::thread::scope(|scope| {
        let (work_tx, work_rx) = mpsc::sync_channel::<Batch>(options.workers * 2);
        let work_rx = Arc::new(Mutex::new(work_rx));
        let (done_tx, done_rx) = mpsc::channel::<Extracted>();
        for _ in 0..options.workers {
            let (work_rx, done_tx, stop) = (work_rx.clone(), done_tx.clone(), &stop);
            scope.spawn(move || work(normalizer, &work_rx, &done_tx, stop));
        }
        drop(done_tx);
        let result = feed(lines, first, options, &work_tx, &done_rx, writer);
        drop(work_tx);
        let result = result.and_then(|end| {
            for done in done_rx {
                writer.put(done)?;
            }
            end.map_or(Ok(()), |e| Err(ExtractError::Read(e)))
        });
        if result.is_err() {
            stop.store(true, Ordering::Relaxed);
        }
        result
    })
}

/// Reads batches and sends them to the workers, writing what came back
/// between two sends. Returns the read error that ended the input, if one
/// did.
fn feed<R: BufRead, W: std::io::Write>(
    lines: &mut LineReader<R>,
    first: Batch,
    options: &ExtractOptions,
    work: &mpsc::SyncSender<Batch>,
    done: &mpsc::Receiver<Extracted>,
    writer: &mut InOrder<'_, W, impl FnMut(import::LineError)>,
) -> Result<Option<ReadError>, ExtractError> {
    let mut batch = first;
    loop {
        let end = batch.end.take();
        let (seq, empty) = (batch.seq, batch.lines.is_empty());
        if !empty && work.send(batch).is_err() {
            // Every worker is gone: only a panic does that.
            return Err(ExtractError::Worker);
        }
        while let Ok(extracted) = done.try_recv() {
            writer.put(extracted)?;
        }
        if end.is_some() || empty {
            return Ok(end);
        }
        batch = read_batch(lines, seq + 1, options);
    }
}

/// A worker: extracts the batches it takes from `work` until it is closed
/// (or `stop` is set) and sends them to `done`.
fn work(
    normalizer: &Normalizer,
    work: &Mutex<mpsc::Receiver<Batch>>,
    done: &mpsc::Sender<Extracted>,
    stop: &AtomicBool,
) {
    loop {
        let next = work.lock().map(|rx| rx.recv());
        let Ok(Ok(batch)) = next else { return };
        if stop.load(Ordering::Relaxed) || done.send(extract_batch(normalizer, batch)).is_err() {
            return;
        }
    }
}

/// Lines read together, with their place in the input.
struct Batch {
    /// Position of the batch in the input (batches are written in order).
    seq: u64,
    lines: Vec<NumberedLine>,
    /// Why reading stopped after these lines, if it did with an error.
    end: Option<ReadError>,
}

/// Reads up to `options.batch_lines` lines (or `options.batch_bytes`). An
/// empty batch without `end` is the end of the input.
fn read_batch<R: BufRead>(lines: &mut LineReader<R>, seq: u64, options: &ExtractOptions) -> Batch {
    let mut batch = Batch {
        seq,
        lines: Vec::new(),
        end: None,
    };
    let mut bytes = 0;
    while batch.lines.len() < options.batch_lines.max(1) && bytes < options.batch_bytes {
        match lines.next() {
            Some(Ok(line)) => {
                bytes += line.text.as_ref().map_or(0, String::len);
                batch.lines.push(line);
            }
            Some(Err(error)) => {
                batch.end = Some(error);
                break;
            }
            None => break,
        }
    }
    batch
}

/// A batch's output: its JSON lines, and its bad lines in order.
struct Extracted {
    seq: u64,
    json: Result<Vec<u8>, serde_json::Error>,
    bad: Vec<import::LineError>,
}

/// Parses, normalizes and serializes a batch.
fn extract_batch(normalizer: &Normalizer, batch: Batch) -> Extracted {
    let mut json = Vec::with_capacity(batch.lines.len() * 160);
    let mut bad = Vec::new();
    for NumberedLine { number, text } in batch.lines {
        let parsed = text
            .map_err(|e| line_error(number, &e))
            .and_then(|text| import::parse_line(&text, number as usize));
        match parsed {
            Ok(Some(raw)) => {
                if let Err(e) = serde_json::to_writer(&mut json, &normalizer.extract(&raw)) {
                    return Extracted {
                        seq: batch.seq,
                        json: Err(e),
                        bad,
                    };
                }
                json.push(b'\n');
            }
            Ok(None) => {}
            Err(e) => bad.push(e),
        }
    }
    Extracted {
        seq: batch.seq,
        json: Ok(json),
        bad,
    }
}

/// Writes extracted batches in input order, holding those that come early.
struct InOrder<'a, W, F> {
    out: &'a mut W,
    on_bad: &'a mut F,
    waiting: BTreeMap<u64, Extracted>,
    next: u64,
    bad: u64,
}

impl<W: std::io::Write, F: FnMut(import::LineError)> InOrder<'_, W, F> {
    /// Takes a batch, and writes every batch that is now next.
    fn put(&mut self, extracted: Extracted) -> Result<(), ExtractError> {
        self.waiting.insert(extracted.seq, extracted);
        while let Some(Extracted { json, bad, .. }) = self.waiting.remove(&self.next) {
            // The batch's bad lines are reported once its output is written.
            let json = json.map_err(|e| ExtractError::Write(e.into()))?;
            self.out.write_all(&json).map_err(ExtractError::Write)?;
            self.bad += bad.len() as u64;
            bad.into_iter().for_each(&mut *self.on_bad);
            self.next += 1;
        }
        Ok(())
    }
}

/// Why `skilltrack extract` stopped.
#[derive(Debug, thiserror::Error)]
pub enum ExtractError {
    /// The input cannot be read further.
    #[error(transparent)]
    Read(#[from] ReadError),
    /// The output cannot be written.
    #[error("cannot write the output")]
    Write(#[source] std::io::Error),
    /// The normalizer could not be built (bundled data broken).
    #[error("cannot load the bundled taxonomy and geography")]
    Normalizer(#[source] NormalizeError),
    /// Every worker thread ended before the input did (a panic).
    #[error("the extraction workers stopped")]
    Worker,
}

#[cfg(test)]
mod tests;
