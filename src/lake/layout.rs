//! Where things are in a lake: the versioned directories, shards and run ids.

use std::fmt;
use std::path::{Path, PathBuf};
use std::str::FromStr;

use time::format_description::BorrowedFormatItem;
use time::macros::format_description;
use time::{OffsetDateTime, UtcOffset};

use crate::domain::{Day, SourceId};

/// The raw postings' directory, under the lake's root (version 1).
pub const RAW_DIR: &str = "raw/v1";

/// One collector's share of the sources: shard `index` of `of` (0-based).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shard {
    index: u32,
    of: u32,
}

/// Why a shard is not one.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("shard {value:?}: use I/N with 0 <= I < N, e.g. 0/3")]
pub struct ShardError {
    /// What was given.
    pub value: String,
}

impl Shard {
    /// The only shard of one collector (`0/1`).
    pub const ALL: Shard = Shard { index: 0, of: 1 };

    /// Shard `index` of `of`, when `index < of`.
    pub fn new(index: u32, of: u32) -> Option<Shard> {
        (index < of).then_some(Shard { index, of })
    }

    /// Its 0-based index.
    pub fn index(self) -> u32 {
        self.index
    }

    /// How many shards there are.
    pub fn of(self) -> u32 {
        self.of
    }

    /// The shard, of `of`, that collects the sources whose rate-limit host
    /// (or host group) is `host`: a hash of the host, never of the source,
    /// so every source of one host is fetched by one collector and the
    /// host's politeness holds across collectors.
    pub fn of_host(host: &str, of: u32) -> Shard {
        let of = of.max(1);
        let index = (xxhash_rust::xxh3::xxh3_64(host.as_bytes()) % u64::from(of)) as u32;
        Shard { index, of }
    }
}

impl FromStr for Shard {
    type Err = ShardError;
    fn from_str(s: &str) -> Result<Shard, ShardError> {
        let bad = || ShardError {
            value: s.to_owned(),
        };
        let (i, n) = s.split_once('/').ok_or_else(bad)?;
        let (i, n) = (
            i.trim().parse().map_err(|_| bad())?,
            n.trim().parse().map_err(|_| bad())?,
        );
        Shard::new(i, n).ok_or_else(bad)
    }
}

impl fmt::Display for Shard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.index, self.of)
    }
}

/// A run's id: its start time (UTC, to the second), its shard and 8 hex
/// digits of a hash of (source, shard, start time), e.g.
/// `20261130T060012Z-s0of3-1a2b3c4d`. The same run started again at the
/// same time gets the same id, so its file is replaced, never doubled.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct RunId(String);

impl RunId {
    /// The id of `source`'s run on `shard` started at `started`.
    pub fn new(source: &SourceId, shard: Shard, started: OffsetDateTime) -> RunId {
        let stamp = utc_text(started, RUN_STAMP);
        let shard = format!("s{}of{}", shard.index, shard.of);
        let mut key = Vec::new();
        for part in [source.as_str(), &shard, &stamp] {
            key.extend_from_slice(part.as_bytes());
            key.push(0);
        }
        let hash = xxhash_rust::xxh3::xxh3_64(&key) >> 32;
        RunId(format!("{stamp}-{shard}-{hash:08x}"))
    }

    /// The id as written in file names and raw lines.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for RunId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// An instant as raw lines write `fetched`: RFC 3339 in UTC to the second
/// (`2026-11-30T06:00:12Z`), so that the text sorts as the time does.
pub fn fetched_text(at: OffsetDateTime) -> String {
    utc_text(at, FETCHED)
}

/// A run id's time stamp: `20261130T060012Z`.
const RUN_STAMP: &[BorrowedFormatItem<'_>] =
    format_description!("[year][month][day]T[hour][minute][second]Z");
/// A raw line's `fetched`: `2026-11-30T06:00:12Z`.
const FETCHED: &[BorrowedFormatItem<'_>] =
    format_description!("[year]-[month]-[day]T[hour]:[minute]:[second]Z");

/// `at` in UTC, written with `format` (which only names calendar and clock
/// fields, so it cannot fail).
fn utc_text(at: OffsetDateTime, format: &[BorrowedFormatItem<'_>]) -> String {
    at.to_offset(UtcOffset::UTC)
        .format(format)
        .unwrap_or_default()
}

/// The directory of `source`'s runs collected on `day`.
pub fn run_dir(lake: &Path, day: Day, source: &SourceId) -> PathBuf {
    lake.join(RAW_DIR)
        .join(format!("day={day}"))
        .join(format!("source={source}"))
}

/// The data file of run `run` of `source`, collected on `day`.
pub fn data_file(lake: &Path, day: Day, source: &SourceId, run: &RunId) -> PathBuf {
    run_dir(lake, day, source).join(format!("run={run}.jsonl.gz"))
}

/// The report file of run `run` of `source`, beside its data file.
pub fn report_file(lake: &Path, day: Day, source: &SourceId, run: &RunId) -> PathBuf {
    run_dir(lake, day, source).join(format!("run={run}.report.json"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn run_ids_are_a_pure_function_of_source_shard_and_start() {
        let source = SourceId::parse("board").unwrap();
        let shard: Shard = "1/3".parse().unwrap();
        let at = datetime!(2026-11-30 07:00:12.5 +01:00);
        let id = RunId::new(&source, shard, at);
        assert!(id.as_str().starts_with("20261130T060012Z-s1of3-"), "{id}");
        assert_eq!(id.as_str().len(), "20261130T060012Z-s1of3-".len() + 8);
        assert_eq!(id, RunId::new(&source, shard, at));
        let other = SourceId::parse("other").unwrap();
        assert_ne!(id, RunId::new(&other, shard, at));
        assert_ne!(id, RunId::new(&source, Shard::ALL, at));
        assert_eq!(fetched_text(at), "2026-11-30T06:00:12Z");
        let day = Day::parse_lenient("2026-11-30").unwrap();
        assert_eq!(
            data_file(Path::new("/l"), day, &source, &id),
            PathBuf::from(format!(
                "/l/raw/v1/day=2026-11-30/source=board/run={id}.jsonl.gz"
            ))
        );
    }

    #[test]
    fn shards_parse_and_hash_hosts_into_range() {
        assert_eq!("0/1".parse::<Shard>().unwrap(), Shard::ALL);
        for bad in ["3/3", "1", "a/2", "0/0", "-1/2"] {
            let e = bad.parse::<Shard>().unwrap_err();
            assert!(e.to_string().contains("use I/N"), "{bad}: {e}");
        }
        for host in ["https://a.example", "https://b.example:8443", "group:x"] {
            let s = Shard::of_host(host, 4);
            assert!(s.index() < 4);
            assert_eq!(s, Shard::of_host(host, 4));
        }
        assert_eq!(Shard::of_host("anything", 1), Shard::ALL);
    }
}
