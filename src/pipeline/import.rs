//! Imported files (`skilltrack import`): JSON Lines read with bounded lines
//! on one thread, normalized on every core, stored in file order.

use std::collections::BTreeMap;
use std::io::BufRead;
use std::sync::{mpsc, Arc, Mutex};
use std::time::Instant;

use super::{add_outcome, line_error, normalize_records, now_rfc3339};
use crate::domain::{Day, RunReport, SourceId};
use crate::extract::import;
use crate::lines::{LineReader, ReadError, DEFAULT_MAX_LINE_BYTES};
use crate::normalize::{Normalizer, Posting};
use crate::store::{Store, StoreError};

/// Postings written per batch by `import`.
pub const IMPORT_BATCH: usize = 500;

/// Bytes of input lines after which an import batch is closed even if it
/// holds fewer than [`IMPORT_BATCH`] postings: long lines do not pile up
/// in memory.
pub const IMPORT_BATCH_BYTES: usize = 16 << 20;

/// Why an import stopped.
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    /// The input cannot be read further. The postings of the lines before
    /// were stored (`report` says what they did); importing the repaired
    /// input again does not count them twice.
    #[error("import stopped after {} postings were stored", report.new + report.updated + report.unchanged)]
    Read {
        /// Where and why reading failed.
        #[source]
        error: ReadError,
        /// What the lines before did.
        report: Box<RunReport>,
    },
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// How `import` reads its input.
#[derive(Debug, Clone, Copy)]
pub struct ImportOptions {
    /// Longest line accepted, in bytes (longer ones are rejected by number).
    pub max_line_bytes: usize,
}

impl Default for ImportOptions {
    fn default() -> ImportOptions {
        ImportOptions {
            max_line_bytes: DEFAULT_MAX_LINE_BYTES,
        }
    }
}

/// A batch of parsed lines on its way to the store.
struct ImportBatch {
    /// Position of the batch in the file (batches are stored in order).
    seq: u64,
    /// Lines read up to the end of this batch.
    lines: u64,
    /// Parsed records.
    records: Vec<import::ImportRecord>,
    /// Number of records parsed.
    parsed: u64,
    /// Postings, once normalized.
    postings: Vec<Posting>,
    /// Lines and postings rejected, with why.
    errors: Vec<String>,
}

/// Imports JSON Lines postings (see [`import`]) as source `source`, in
/// batches of [`IMPORT_BATCH`], with the default [`ImportOptions`]. Bad lines
/// are reported with their number and skipped; good lines still go in.
/// `progress` is called with the number of lines read so far after each
/// batch. A read error stops the import (see [`ImportError::Read`]).
pub fn import_lines<R: BufRead + Send>(
    store: &dyn Store,
    normalizer: &Normalizer,
    reader: R,
    source: &SourceId,
    progress: impl FnMut(u64),
) -> Result<RunReport, ImportError> {
    import_with(
        store,
        normalizer,
        reader,
        source,
        &ImportOptions::default(),
        progress,
    )
}

/// [`import_lines`] with explicit options.
pub fn import_with<R: BufRead + Send>(
    store: &dyn Store,
    normalizer: &Normalizer,
    reader: R,
    source: &SourceId,
    options: &ImportOptions,
    mut progress: impl FnMut(u64),
) -> Result<RunReport, ImportError> {
    let started = Instant::now();
    let mut report = RunReport {
        source: Some(source.clone()),
        started_at: now_rfc3339(),
        ..RunReport::default()
    };
    let today = Day::today();
    let workers = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .clamp(1, 4);
    // Reading and parsing → normalizing on every core → storing in file
    // order on this thread; bounded channels keep memory flat.
    let max_line_bytes = options.max_line_bytes;
    let read = std::thread::scope(|scope| -> Result<Result<(), ReadError>, StoreError> {
        let (parsed_tx, parsed_rx) = mpsc::sync_channel::<ImportBatch>(workers);
        let parsed_rx = Arc::new(Mutex::new(parsed_rx));
        let (ready_tx, ready_rx) = mpsc::sync_channel::<ImportBatch>(workers);
        let reading = scope.spawn(move || read_batches(reader, max_line_bytes, parsed_tx));
        for _ in 0..workers {
            let (parsed_rx, ready_tx) = (parsed_rx.clone(), ready_tx.clone());
            scope
                .spawn(move || normalize_batches(normalizer, source, today, &parsed_rx, &ready_tx));
        }
        drop(ready_tx);
        store_in_order(store, ready_rx, &mut report, &mut progress)?;
        // Every batch read before a read error is stored by now.
        Ok(reading
            .join()
            .unwrap_or_else(|panic| std::panic::resume_unwind(panic)))
    })?;
    store.flush()?;
    report.duration_ms = started.elapsed().as_millis() as u64;
    if let Err(error) = &read {
        report.error(format!("{error}: {}", error.source));
    }
    store.record_run(&report)?;
    match read {
        Ok(()) => Ok(report),
        Err(error) => Err(ImportError::Read {
            error,
            report: Box::new(report),
        }),
    }
}

/// A normalizing worker: takes parsed batches from `parsed` until it is
/// closed, normalizes them as `source`'s (seen `today` unless a record says
/// otherwise) and hands them to `ready`, until it is closed.
fn normalize_batches(
    normalizer: &Normalizer,
    source: &SourceId,
    today: Day,
    parsed: &Mutex<mpsc::Receiver<ImportBatch>>,
    ready: &mpsc::SyncSender<ImportBatch>,
) {
    loop {
        let next = parsed.lock().map(|rx| rx.recv());
        let Ok(Ok(mut batch)) = next else { return };
        batch.parsed = batch.records.len() as u64;
        batch.postings =
            normalize_records(normalizer, source, &batch.records, today, &mut batch.errors);
        batch.records = Vec::new();
        if ready.send(batch).is_err() {
            return;
        }
    }
}

/// Stores the normalized batches coming from `ready` in file order (a
/// batch waits for those before it), adding what each did to `report` and
/// calling `progress` with the lines read up to its end.
fn store_in_order(
    store: &dyn Store,
    ready: mpsc::Receiver<ImportBatch>,
    report: &mut RunReport,
    progress: &mut impl FnMut(u64),
) -> Result<(), StoreError> {
    let mut waiting: BTreeMap<u64, ImportBatch> = BTreeMap::new();
    let mut next = 0;
    for batch in ready {
        waiting.insert(batch.seq, batch);
        while let Some(batch) = waiting.remove(&next) {
            report.items += batch.parsed;
            report.rejected += batch.errors.len() as u64;
            batch.errors.into_iter().for_each(|e| report.error(e));
            add_outcome(report, store.ingest(&batch.postings)?);
            progress(batch.lines);
            next += 1;
        }
    }
    Ok(())
}

/// Reads and parses lines into batches of [`IMPORT_BATCH`] lines (or
/// [`IMPORT_BATCH_BYTES`] of them) until the input ends, a read error
/// (returned, after the batch before it is sent), or the receiver is gone.
fn read_batches<R: BufRead>(
    reader: R,
    max_line_bytes: usize,
    tx: mpsc::SyncSender<ImportBatch>,
) -> Result<(), ReadError> {
    let new_batch = |seq| ImportBatch {
        seq,
        lines: 0,
        records: Vec::with_capacity(IMPORT_BATCH),
        parsed: 0,
        postings: Vec::new(),
        errors: Vec::new(),
    };
    let mut seq = 0;
    let mut batch = new_batch(seq);
    let mut bytes = 0usize;
    let mut lines = LineReader::new(reader, max_line_bytes);
    let mut failed = None;
    for line in &mut lines {
        let (number, text) = match line {
            Ok(line) => (line.number, line.text),
            Err(e) => {
                failed = Some(e);
                break;
            }
        };
        let parsed = text.map_err(|e| line_error(number, &e)).and_then(|text| {
            bytes += text.len();
            import::parse_record(&text, number as usize)
        });
        match parsed {
            Ok(Some(record)) => batch.records.push(record),
            Ok(None) => {}
            Err(e) => batch.errors.push(e.to_string()),
        }
        if batch.records.len() >= IMPORT_BATCH || bytes >= IMPORT_BATCH_BYTES {
            batch.lines = number;
            seq += 1;
            bytes = 0;
            if tx
                .send(std::mem::replace(&mut batch, new_batch(seq)))
                .is_err()
            {
                return Ok(());
            }
        }
    }
    batch.lines = lines.lines_read();
    let _ = tx.send(batch);
    failed.map_or(Ok(()), Err)
}
