//! The raw line: one JSON object per line of a lake file.
//!
//! A posting line IS an import line (`extract::import`, what `skilltrack
//! import` reads) plus a header:
//!
//! ```json
//! {"schema": 1, "source": "board", "fetched": "2026-11-30T06:00:12Z",
//!  "hash": "<16 hex>", "run": "<run id>", "id": "…", "title": "…", …}
//! ```
//!
//! `hash` is a content hash of the posting's fields (the line without its
//! header). A re-sighting without a body (a list page answered 304) is a
//! `seen` line: `{"schema": 1, "kind": "seen", "source", "id", "fetched",
//! "run"}`; it moves the posting's last day seen and nothing else. Unless the
//! line says, a posting's first and last days seen are the UTC day of
//! `fetched`. So `zcat run=….jsonl.gz | skilltrack import` reads a lake's
//! posting lines too.

use serde::Deserialize;
use serde_json::{Map, Value};
use time::format_description::well_known::Rfc3339;
use time::{OffsetDateTime, UtcOffset};

use super::layout::{fetched_text, RunId};
use crate::domain::{Day, PostingId, SourceId};
use crate::extract::import::{self, ImportRecord, LineError};

/// The raw line schema this binary writes and reads.
pub const SCHEMA: u64 = 1;

/// The `kind` of a re-sighting line.
pub const SEEN_KIND: &str = "seen";

/// The header keys, which are not part of a posting's content hash.
const HEADER_KEYS: [&str; 6] = ["schema", "kind", "source", "fetched", "hash", "run"];

/// What every raw line says besides its posting.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RawHeader {
    /// The source the posting was fetched from.
    pub source: SourceId,
    /// When it was fetched (UTC, to the second).
    pub fetched: OffsetDateTime,
    /// The UTC day of `fetched`: the default first and last day seen.
    pub day: Day,
    /// The run that wrote it, when the line says.
    pub run: Option<String>,
}

impl RawHeader {
    /// `fetched` as the lines write it (`2026-11-30T06:00:12Z`), which
    /// sorts as the time does.
    pub fn fetched_text(&self) -> String {
        fetched_text(self.fetched)
    }
}

/// One raw line, read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RawRecord {
    /// A posting as fetched.
    Posting {
        /// Source, time, run.
        header: RawHeader,
        /// The posting as an import line gives it.
        record: Box<ImportRecord>,
        /// Content hash (16 hex digits).
        hash: String,
    },
    /// A re-sighting of a posting without its body.
    Seen {
        /// Source, time, run.
        header: RawHeader,
        /// The source's id of the posting.
        id: String,
    },
}

impl RawRecord {
    /// Its header.
    pub fn header(&self) -> &RawHeader {
        match self {
            RawRecord::Posting { header, .. } | RawRecord::Seen { header, .. } => header,
        }
    }

    /// The id of the posting it is about.
    pub fn posting_id(&self) -> PostingId {
        match self {
            RawRecord::Posting { header, record, .. } => {
                PostingId::new(&header.source, record.raw.external_id.trim())
            }
            RawRecord::Seen { header, id } => PostingId::new(&header.source, id.trim()),
        }
    }
}

/// A posting line: the import line `fields` (e.g. from
/// [`import::line_fields`]) with the header of `source`'s run `run`,
/// fetched at `fetched`, and its content hash.
pub fn posting_line(
    mut fields: Map<String, Value>,
    source: &SourceId,
    fetched: OffsetDateTime,
    run: &RunId,
) -> String {
    for key in HEADER_KEYS {
        fields.remove(key);
    }
    // Keys in a serde_json map are sorted: the same fields hash alike.
    let hash = content_hash(Value::Object(fields.clone()).to_string().as_bytes());
    fields.insert("schema".into(), SCHEMA.into());
    fields.insert("source".into(), source.as_str().into());
    fields.insert("fetched".into(), fetched_text(fetched).into());
    fields.insert("hash".into(), hash.into());
    fields.insert("run".into(), run.as_str().into());
    Value::Object(fields).to_string()
}

/// A `seen` line: posting `id` of `source` seen again at `fetched`, without
/// its body.
pub fn seen_line(source: &SourceId, id: &str, fetched: OffsetDateTime, run: &RunId) -> String {
    serde_json::json!({
        "schema": SCHEMA,
        "kind": SEEN_KIND,
        "source": source.as_str(),
        "id": id,
        "fetched": fetched_text(fetched),
        "run": run.as_str(),
    })
    .to_string()
}

/// 16 hex digits of xxh3 over `bytes`.
fn content_hash(bytes: &[u8]) -> String {
    format!("{:016x}", xxhash_rust::xxh3::xxh3_64(bytes))
}

/// The header as a line writes it (unknown keys are the posting's).
#[derive(Deserialize)]
struct Header {
    #[serde(default)]
    schema: Option<Value>,
    #[serde(default)]
    kind: Option<String>,
    #[serde(default)]
    source: Option<String>,
    #[serde(default)]
    fetched: Option<String>,
    #[serde(default)]
    hash: Option<String>,
    #[serde(default)]
    run: Option<String>,
    #[serde(default)]
    id: Option<Value>,
}

/// Parses one raw line (`line` is its 1-based number, for errors); `Ok(None)`
/// for a blank line. The posting is read by [`import::parse_record`], the
/// one reader of import lines.
pub fn parse_raw_line(text: &str, line: usize) -> Result<Option<RawRecord>, LineError> {
    let trimmed = text.trim_start_matches('\u{feff}').trim();
    if trimmed.is_empty() {
        return Ok(None);
    }
    let err = |why: String| LineError { line, why };
    let h: Header = serde_json::from_str(trimmed)
        .map_err(|e| err(format!("not a JSON raw line object: {e}")))?;
    match &h.schema {
        Some(Value::Number(n)) if n.as_u64() == Some(SCHEMA) => {}
        Some(other) => {
            return Err(err(format!(
                "\"schema\" {other}: this binary reads raw lines of schema {SCHEMA}"
            )))
        }
        None => return Err(err(format!("missing \"schema\" ({SCHEMA})"))),
    }
    let source = match h.source.as_deref() {
        Some(s) => SourceId::parse(s).map_err(|e| err(format!("\"source\": {e}")))?,
        None => return Err(err("missing \"source\"".into())),
    };
    let fetched = match h.fetched.as_deref() {
        Some(t) => OffsetDateTime::parse(t.trim(), &Rfc3339)
            .map(|t| {
                t.to_offset(UtcOffset::UTC)
                    .replace_nanosecond(0)
                    .unwrap_or(t)
            })
            .map_err(|_| {
                err(format!(
                    "\"fetched\" {t:?} is not an RFC 3339 time such as 2026-11-30T06:00:12Z"
                ))
            })?,
        None => return Err(err("missing \"fetched\"".into())),
    };
    let day = Day::from_date(fetched.date())
        .map_err(|e| err(format!("\"fetched\" {}: {e}", fetched_text(fetched))))?;
    let header = RawHeader {
        source,
        fetched,
        day,
        run: h.run,
    };
    match h.kind.as_deref() {
        None => {
            let Some(record) = import::parse_record(trimmed, line)? else {
                return Ok(None);
            };
            let hash = match h.hash {
                Some(hash) if is_hash(&hash) => hash,
                Some(hash) => {
                    return Err(err(format!("\"hash\" {hash:?}: expected 16 hex digits")))
                }
                None => content_hash(trimmed.as_bytes()),
            };
            Ok(Some(RawRecord::Posting {
                header,
                record: Box::new(record),
                hash,
            }))
        }
        Some(SEEN_KIND) => {
            let id = match &h.id {
                Some(Value::String(s)) if !s.trim().is_empty() => s.trim().to_owned(),
                Some(Value::Number(n)) => n.to_string(),
                _ => {
                    return Err(err(
                        "a \"seen\" line needs \"id\" (a non-empty string or number)".into(),
                    ))
                }
            };
            Ok(Some(RawRecord::Seen { header, id }))
        }
        Some(other) => Err(err(format!(
            "\"kind\" {other:?}: a raw line is a posting (no kind) or \"{SEEN_KIND}\""
        ))),
    }
}

fn is_hash(text: &str) -> bool {
    text.len() == 16 && text.bytes().all(|b| b.is_ascii_hexdigit())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::GeoCode;
    use crate::extract::RawPosting;
    use crate::lake::Shard;
    use time::macros::datetime;

    fn raw() -> RawPosting {
        RawPosting {
            external_id: "a-1".into(),
            title: "Dev Rust".into(),
            company: Some("ACME".into()),
            locations: vec!["Lyon".into()],
            description: "Rust et Go".into(),
            ..RawPosting::default()
        }
    }

    #[test]
    fn a_posting_line_is_an_import_line_with_a_header() {
        let source = SourceId::parse("board").unwrap();
        let at = datetime!(2026-11-30 06:00:12 UTC);
        let run = RunId::new(&source, Shard::ALL, at);
        let fr = GeoCode::parse("FR").unwrap();
        let line = posting_line(import::line_fields(&raw(), Some(&fr)), &source, at, &run);
        // The import reader reads it as the posting it was.
        let imported = import::parse_record(&line, 1).unwrap().unwrap();
        assert_eq!(imported.raw, raw());
        assert_eq!(imported.source, Some(source.clone()));
        let Some(RawRecord::Posting {
            header,
            record,
            hash,
        }) = parse_raw_line(&line, 1).unwrap()
        else {
            panic!("not a posting: {line}")
        };
        assert_eq!(record.raw, raw());
        assert_eq!(record.country, Some(fr.clone()));
        assert_eq!(header.fetched_text(), "2026-11-30T06:00:12Z");
        assert_eq!(header.run.as_deref(), Some(run.as_str()));
        assert_eq!(header.day.to_string(), "2026-11-30");
        // The hash is the content's: the same posting at another time keeps
        // it, a changed posting does not.
        let later = datetime!(2026-12-01 08:00:00 UTC);
        let again = posting_line(import::line_fields(&raw(), Some(&fr)), &source, later, &run);
        let changed = RawPosting {
            title: "Dev Go".into(),
            ..raw()
        };
        let changed = posting_line(import::line_fields(&changed, Some(&fr)), &source, at, &run);
        let hash_of = |l: &str| match parse_raw_line(l, 1).unwrap().unwrap() {
            RawRecord::Posting { hash, .. } => hash,
            RawRecord::Seen { .. } => panic!("seen"),
        };
        assert_eq!(hash_of(&again), hash);
        assert_ne!(hash_of(&changed), hash);
    }

    #[test]
    fn a_seen_line_names_the_posting_and_the_time() {
        let source = SourceId::parse("board").unwrap();
        let at = datetime!(2026-11-30 06:00:12 UTC);
        let run = RunId::new(&source, Shard::ALL, at);
        let line = seen_line(&source, "a-1", at, &run);
        let record = parse_raw_line(&line, 4).unwrap().unwrap();
        assert_eq!(record.posting_id(), PostingId::new(&source, "a-1"));
        assert!(matches!(record, RawRecord::Seen { ref id, .. } if id == "a-1"));
        assert_eq!(parse_raw_line("  ", 5).unwrap(), None);
    }

    #[test]
    fn bad_raw_lines_say_what_is_wrong() {
        let cases = [
            ("{", "line 7: not a JSON raw line object"),
            (
                r#"{"source": "b", "fetched": "2026-11-30T06:00:12Z", "id": 1, "title": "t"}"#,
                "missing \"schema\"",
            ),
            (
                r#"{"schema": 2, "source": "b", "fetched": "2026-11-30T06:00:12Z"}"#,
                "\"schema\" 2",
            ),
            (
                r#"{"schema": 1, "fetched": "2026-11-30T06:00:12Z", "id": 1, "title": "t"}"#,
                "missing \"source\"",
            ),
            (
                r#"{"schema": 1, "source": "b", "id": 1, "title": "t"}"#,
                "missing \"fetched\"",
            ),
            (
                r#"{"schema": 1, "source": "b", "fetched": "yesterday", "id": 1, "title": "t"}"#,
                "\"fetched\" \"yesterday\"",
            ),
            (
                r#"{"schema": 1, "source": "b", "fetched": "2026-11-30T06:00:12Z", "kind": "gone", "id": 1}"#,
                "\"kind\" \"gone\"",
            ),
            (
                r#"{"schema": 1, "source": "b", "fetched": "2026-11-30T06:00:12Z", "kind": "seen"}"#,
                "needs \"id\"",
            ),
            (
                r#"{"schema": 1, "source": "b", "fetched": "2026-11-30T06:00:12Z", "id": 1}"#,
                "missing \"title\"",
            ),
            (
                r#"{"schema": 1, "source": "b", "fetched": "2026-11-30T06:00:12Z", "hash": "xyz", "id": 1, "title": "t"}"#,
                "\"hash\" \"xyz\"",
            ),
        ];
        for (line, want) in cases {
            let e = parse_raw_line(line, 7).unwrap_err().to_string();
            assert!(e.contains(want), "{line}: {e}");
        }
    }
}
