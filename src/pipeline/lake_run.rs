//! Collecting a source into a lake (`skilltrack collect --out LAKE`): the
//! same walk, fetcher and extractors as a stored run, but each page's raw
//! postings are written as raw lines to the run's file, never normalized,
//! counted or stored: a collector does not open the database.
//!
//! The run's file is `raw/v1/day=<start day>/source=<id>/run=<run id>.jsonl.gz`
//! (written to its temporary name, published when the run ends, whatever
//! ended it), its report beside it. A lake collector keeps no page memory,
//! so it sends no validators (no conditional requests, never a 304) and
//! writes no `seen` lines; every posting a page lists is written again.

use std::ops::ControlFlow;
use std::path::{Path, PathBuf};
use std::time::Instant;

use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;
use tracing::Instrument;

use super::collect::{add_fetch_stats, Sink};
use super::walk::walk;
use super::RunOptions;
use crate::domain::{Day, GeoCode, RunReport, SourceId};
use crate::extract::import::line_fields;
use crate::extract::{RawPosting, SourceDef};
use crate::fetch::host::HostKey;
use crate::fetch::{FetchRun, Fetcher};
use crate::lake::{self, LakeWriteError, RunFile, RunId, Shard};

/// Where a lake run writes, and what it wrote.
pub(super) struct LakeRun {
    file: RunFile,
    source: SourceId,
    country: Option<GeoCode>,
    run: RunId,
    /// The first write error: the run stops at it.
    failed: Option<LakeWriteError>,
}

impl LakeRun {
    /// Writes a page's raw postings, fetched now. `Break` once a write
    /// failed (the error is kept for the end of the run).
    pub(super) fn write(&mut self, raws: &[RawPosting], report: &mut RunReport) -> ControlFlow<()> {
        let fetched = OffsetDateTime::now_utc();
        for raw in raws {
            let fields = line_fields(raw, self.country.as_ref());
            let line = lake::posting_line(fields, &self.source, fetched, &self.run);
            if let Err(e) = self.file.write_line(&line) {
                report.error(format!("lake: {}", crate::domain::error_chain(&e)));
                self.failed = Some(e);
                return ControlFlow::Break(());
            }
            report.new += 1;
        }
        ControlFlow::Continue(())
    }
}

/// The key a source is sharded by: the origin of its `base_url` (the host
/// its rate limit, concurrency cap and robots.txt are kept for, as
/// `fetch::host::HostKey` names it), else the text of `base_url`. Never the
/// source id: every source of one host lands on one collector.
pub fn shard_key(source: &SourceDef) -> String {
    url::Url::parse(&source.base_url)
        .map(|u| HostKey::of(&u).as_str().to_owned())
        .unwrap_or_else(|_| source.base_url.clone())
}

/// The shard, of `of`, that collects `source` ([`shard_key`]).
pub fn shard_of(source: &SourceDef, of: u32) -> Shard {
    Shard::of_host(&shard_key(source), of)
}

/// What a lake run did.
#[derive(Debug)]
pub struct LakeRunDone {
    /// The run's report (`new`: raw lines written).
    pub report: RunReport,
    /// The data file written.
    pub data: PathBuf,
    /// The report file beside it.
    pub report_file: PathBuf,
}

/// Collects `source` once into `lake` as shard `shard`'s run started at
/// `options.started_at` (RFC 3339; default now): the run id, and so the
/// file name, is a function of (source, shard, start time), so the same
/// run again replaces its file. Stops between pages when
/// `options.shutdown` fires, and publishes what it fetched.
pub async fn collect_to_lake(
    fetcher: &Fetcher,
    source: &SourceDef,
    options: &RunOptions,
    lake: &Path,
    shard: Shard,
) -> Result<LakeRunDone, LakeWriteError> {
    let started = Instant::now();
    let start = options
        .started_at
        .as_deref()
        .and_then(|t| OffsetDateTime::parse(t, &Rfc3339).ok())
        .unwrap_or_else(OffsetDateTime::now_utc);
    let run = RunId::new(&source.id, shard, start);
    let day = Day::from_date(start.to_offset(time::UtcOffset::UTC).date())
        .unwrap_or_else(|_| Day::today());
    let data = lake::data_file(lake, day, &source.id, &run);
    let report_file = lake::report_file(lake, day, &source.id, &run);
    let mut report = RunReport {
        source: Some(source.id.clone()),
        started_at: lake::fetched_text(start),
        ..RunReport::default()
    };
    let mut out = LakeRun {
        file: RunFile::create(data.clone())?,
        source: source.id.clone(),
        country: source.country.clone(),
        run,
        failed: None,
    };
    let span = tracing::info_span!("collect", source = %source.id);
    let mut net = FetchRun::new(fetcher.config().run_deadline);
    walk(
        fetcher,
        source,
        options,
        &mut report,
        &mut net,
        &mut Sink::Lake(&mut out),
    )
    .instrument(span)
    .await;
    add_fetch_stats(&mut report, &net.stats);
    if let Some(e) = out.failed {
        return Err(e);
    }
    out.file.finish()?;
    report.duration_ms = started.elapsed().as_millis() as u64;
    let json = serde_json::to_vec_pretty(&report).unwrap_or_default();
    lake::write_atomically(&report_file, &json)?;
    tracing::info!(summary = %report.summary(), file = %data.display(), "Lake run finished.");
    Ok(LakeRunDone {
        report,
        data,
        report_file,
    })
}
