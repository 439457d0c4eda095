//! The JSON Lines posting format read by `skilltrack import` and
//! `skilltrack extract`, one posting per line:
//!
//! ```json
//! {"id": "…", "title": "…", "description": "…", "company": "…",
//!  "location": "…" or ["…", "…"], "posted_at": "2024-03-01" or RFC 3339,
//!  "url": "…", "remote": true}
//! ```
//! `id` and `title` are required, the rest optional; unknown keys are ignored.
//! `id` may be a string or a number; `remote` a boolean or what boards write
//! instead (`"yes"`, `"full"`, `"hybrid"` — only a fully remote word is true). `description` may be HTML (read as
//! plain text, verbatim, when `"description_format": "text"`). Title, company,
//! tags and a description read as HTML leave as plain text (character
//! references decoded, see `RawPosting::into_plain_text`). Also read:
//! `valid_through` (date), `tags` (strings), `country` (the source's default
//! country, ISO 3166 alpha-2, used when the location says nothing), and —
//! written by `skilltrack export postings` so that an export re-imports to
//! identical counts — `source` (source id), `first_seen` and `last_seen` (dates).

use serde::Deserialize;
use serde_json::Value;

use super::value::{bool_from_value, html_to_text, parse_date, text_from_value};
use super::RawPosting;
use crate::domain::{Day, GeoCode, SourceId};

/// One imported line: the posting, and what the line says about where and
/// when it was seen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportRecord {
    /// The posting.
    pub raw: RawPosting,
    /// Source id given by the line (overrides `--source`).
    pub source: Option<SourceId>,
    /// First day seen, when the line says.
    pub first_seen: Option<Day>,
    /// Last day seen, when the line says.
    pub last_seen: Option<Day>,
    /// The source's default country, when the line says.
    pub country: Option<GeoCode>,
}

/// Why one line was rejected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("line {line}: {why}")]
pub struct LineError {
    /// 1-based line number.
    pub line: usize,
    /// What is wrong.
    pub why: String,
}

#[derive(Deserialize)]
struct ImportLine {
    id: Option<Value>,
    title: Option<Value>,
    #[serde(default)]
    description: Option<String>,
    #[serde(default)]
    description_format: Option<String>,
    #[serde(default)]
    country: Option<String>,
    #[serde(default)]
    company: Option<String>,
    #[serde(default)]
    location: Option<Value>,
    #[serde(default)]
    posted_at: Option<String>,
    #[serde(default)]
    valid_through: Option<String>,
    #[serde(default)]
    url: Option<String>,
    #[serde(default)]
    remote: Option<Value>,
    #[serde(default)]
    tags: Option<Vec<String>>,
    #[serde(default)]
    source: Option<String>,
    #[serde(default)]
    first_seen: Option<String>,
    #[serde(default)]
    last_seen: Option<String>,
}

/// Parses one line (`line` is its 1-based number, for errors).
/// Returns `Ok(None)` for a blank line.
pub fn parse_line(text: &str, line: usize) -> Result<Option<RawPosting>, LineError> {
    Ok(parse_record(text, line)?.map(|r| r.raw))
}

/// Parses one line with its optional `source`, `first_seen` and `last_seen`.
pub fn parse_record(text: &str, line: usize) -> Result<Option<ImportRecord>, LineError> {
    let text = text.trim_start_matches('\u{feff}').trim();
    if text.is_empty() {
        return Ok(None);
    }
    let err = |why: String| LineError { line, why };
    let raw: ImportLine =
        serde_json::from_str(text).map_err(|e| err(format!("not a JSON posting object: {e}")))?;
    let id = raw
        .id
        .as_ref()
        .and_then(|v| match v {
            Value::String(_) | Value::Number(_) => text_from_value(v, ""),
            _ => None,
        })
        .map(|s| s.trim().to_owned())
        .filter(|s| !s.is_empty())
        .ok_or_else(|| err("missing \"id\" (a non-empty string or number)".into()))?;
    let title = raw
        .title
        .as_ref()
        .and_then(Value::as_str)
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .ok_or_else(|| {
            err(format!(
                "posting {id:?}: missing \"title\" (a non-empty string)"
            ))
        })?
        .to_owned();
    let locations = match raw.location {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::String(s)) => vec![s],
        Some(Value::Array(items)) => items
            .into_iter()
            .map(|v| match v {
                Value::String(s) => Ok(s),
                other => Err(err(format!(
                    "posting {id:?}: \"location\" array holds {other}, expected strings"
                ))),
            })
            .collect::<Result<_, _>>()?,
        Some(other) => {
            return Err(err(format!(
                "posting {id:?}: \"location\" is {other}, expected a string or an array of strings"
            )))
        }
    };
    let date = |field: &str, value: &Option<String>| match value.as_deref().map(str::trim) {
        None | Some("") => Ok(None),
        Some(text) => parse_date(text).map(Some).ok_or_else(|| {
            err(format!(
                "posting {id:?}: \"{field}\" {text:?} is not a date (use YYYY-MM-DD or RFC 3339)"
            ))
        }),
    };
    let source = match raw.source.as_deref() {
        None => None,
        Some(s) => {
            Some(SourceId::parse(s).map_err(|e| err(format!("posting {id:?}: \"source\": {e}")))?)
        }
    };
    let country = match raw.country.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(c) => Some(
            GeoCode::parse(c)
                .ok()
                .filter(|g| g.as_str().len() == 2)
                .ok_or_else(|| {
                    err(format!(
                        "posting {id:?}: \"country\" {c:?} is not an ISO 3166 alpha-2 country code such as \"FR\""
                    ))
                })?,
        ),
    };
    let verbatim = match raw.description_format.as_deref() {
        None | Some("html") => false,
        Some("text") => true,
        Some(other) => {
            return Err(err(format!(
                "posting {id:?}: \"description_format\" {other:?}: use \"html\" (the default) or \"text\""
            )))
        }
    };
    let first_seen = date("first_seen", &raw.first_seen)?;
    let last_seen = date("last_seen", &raw.last_seen)?;
    // A description given as text is plain text by its line's word (it is
    // what `export postings` writes): taken as it is, not converted again.
    let (html, verbatim_text) = match raw.description {
        Some(text) if verbatim => (String::new(), Some(text)),
        Some(html) => (html_to_text(&html), None),
        None => (String::new(), None),
    };
    let mut posting = RawPosting {
        posted_at: date("posted_at", &raw.posted_at)?,
        valid_through: date("valid_through", &raw.valid_through)?,
        external_id: id,
        title,
        url: raw.url,
        company: raw.company,
        locations,
        description: html,
        remote: raw
            .remote
            .as_ref()
            .filter(|v| !v.is_null())
            .map(bool_from_value),
        tags: raw.tags.unwrap_or_default(),
    }
    .into_plain_text();
    if let Some(text) = verbatim_text {
        posting.description = text;
    }
    Ok(Some(ImportRecord {
        raw: posting,
        source,
        first_seen,
        last_seen,
        country,
    }))
}

/// A raw posting as an import line's fields (the writing half of
/// [`parse_record`]): what the source gave, with the description as text
/// (`"description_format": "text"`, so it is read back verbatim), dates as
/// `YYYY-MM-DD`, the source's own remote flag and `country`, the source's
/// default country, when known. Absent values are left out. Parsing the
/// line gives back `raw` (its words are already plain text).
pub fn line_fields(raw: &RawPosting, country: Option<&GeoCode>) -> serde_json::Map<String, Value> {
    let mut line = serde_json::Map::new();
    let mut put = |key: &str, value: Value| {
        line.insert(key.to_owned(), value);
    };
    put("id", raw.external_id.clone().into());
    put("title", raw.title.clone().into());
    put("description", raw.description.clone().into());
    put("description_format", "text".into());
    if let Some(company) = &raw.company {
        put("company", company.clone().into());
    }
    if !raw.locations.is_empty() {
        put("location", raw.locations.clone().into());
    }
    if let Some(day) = raw.posted_at {
        put("posted_at", day.to_string().into());
    }
    if let Some(day) = raw.valid_through {
        put("valid_through", day.to_string().into());
    }
    if let Some(url) = &raw.url {
        put("url", url.clone().into());
    }
    if let Some(remote) = raw.remote {
        put("remote", remote.into());
    }
    if !raw.tags.is_empty() {
        put("tags", raw.tags.clone().into());
    }
    if let Some(country) = country {
        put("country", country.as_str().into());
    }
    line
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_documented_shape() {
        let p = parse_line(
            r#"{"id": 42, "title": "Dev Python", "location": ["Paris", "Lyon"], "posted_at": "2024-03-01T10:00:00+01:00", "remote": true, "extra": 1}"#,
            1,
        )
        .unwrap()
        .unwrap();
        assert_eq!(p.external_id, "42");
        assert_eq!(p.locations, vec!["Paris", "Lyon"]);
        assert_eq!(p.posted_at.unwrap().to_string(), "2024-03-01");
        assert_eq!(p.remote, Some(true));
        assert_eq!(parse_line("   ", 2).unwrap(), None);
    }

    #[test]
    fn remote_may_be_written_in_words() {
        for (remote, want) in [
            (r#""yes""#, Some(true)),
            (r#""Full remote""#, Some(true)),
            (r#""hybrid""#, Some(false)),
            ("false", Some(false)),
            ("null", None),
        ] {
            let line = format!(r#"{{"id": 1, "title": "t", "remote": {remote}}}"#);
            let p = parse_line(&line, 1).unwrap().unwrap();
            assert_eq!(p.remote, want, "{remote}");
        }
    }

    #[test]
    fn a_text_description_is_taken_verbatim_and_html_is_read() {
        let text = "Salaire < 50 k€ & C++ <templates>,  &amp; \"tags\"";
        let line = serde_json::json!({
            "id": "1", "title": "t", "description": text, "description_format": "text",
            "country": "DE", "tags": ["Go", "Kubernetes"]
        });
        let r = parse_record(&line.to_string(), 1).unwrap().unwrap();
        assert_eq!(r.raw.description, text);
        assert_eq!(r.country.as_ref().map(GeoCode::as_str), Some("DE"));
        assert_eq!(r.raw.tags, vec!["Go", "Kubernetes"]);
        let html = r#"{"id": "1", "title": "t", "description": "<p>R&amp;D</p>"}"#;
        assert_eq!(parse_line(html, 1).unwrap().unwrap().description, "R&D");
    }

    #[test]
    fn bad_lines_name_their_number_and_problem() {
        let cases = [
            ("{not json", "line 3: not a JSON posting object"),
            (r#"{"title": "x"}"#, "line 3: missing \"id\""),
            (r#"{"id": "a"}"#, "line 3: posting \"a\": missing \"title\""),
            (
                r#"{"id": "a", "title": "t", "posted_at": "31/31/2024"}"#,
                "\"posted_at\" \"31/31/2024\" is not a date",
            ),
            (
                r#"{"id": "a", "title": "t", "location": 5}"#,
                "\"location\" is 5",
            ),
            (
                r#"{"id": "a", "title": "t", "country": "France"}"#,
                "\"country\" \"France\" is not an ISO 3166 alpha-2",
            ),
            (
                r#"{"id": "a", "title": "t", "description_format": "markdown"}"#,
                "\"description_format\" \"markdown\"",
            ),
        ];
        for (line, expected) in cases {
            let e = parse_line(line, 3).unwrap_err().to_string();
            assert!(e.contains(expected), "{line}: {e}");
        }
    }

    /// Regression (issue 13): title, company and tags of an import line
    /// leave extract as plain text, and so does its HTML description; a
    /// description given as text is kept as it is.
    #[test]
    fn text_fields_of_a_line_leave_as_plain_text() {
        let line = serde_json::json!({
            "id": "1", "title": "R&amp;D &lt;b&gt;Go&lt;/b&gt;", "company": "AT&amp;T",
            "tags": ["C&amp;amp;C"], "description": "&lt;p&gt;Go &amp;amp;amp; Rust&lt;/p&gt;",
            "location": "Paris &amp; Lyon"
        });
        let p = parse_line(&line.to_string(), 1).unwrap().unwrap();
        assert_eq!(p.title, "R&D  Go ");
        assert_eq!(p.company.as_deref(), Some("AT&T"));
        assert_eq!(p.tags, vec!["C&C"]);
        assert_eq!(p.description, "Go & Rust");
        assert_eq!(p.locations, vec!["Paris &amp; Lyon"]);
    }

    #[test]
    fn line_fields_read_back_as_the_same_posting() {
        let raw = RawPosting {
            external_id: "a-1".into(),
            url: Some("https://example.org/a-1".into()),
            title: "Dev Rust & Go".into(),
            company: Some("ACME".into()),
            locations: vec!["Lyon".into(), "Paris".into()],
            description: "Salaire < 50 k€ & C++ <templates>".into(),
            posted_at: Day::parse_lenient("2026-03-01").ok(),
            valid_through: Day::parse_lenient("2026-04-01").ok(),
            remote: Some(false),
            tags: vec!["rust".into()],
        };
        let country = GeoCode::parse("FR").unwrap();
        let line = Value::Object(line_fields(&raw, Some(&country))).to_string();
        let back = parse_record(&line, 1).unwrap().unwrap();
        assert_eq!(back.raw, raw);
        assert_eq!(back.country, Some(country));
        let bare = RawPosting {
            external_id: "b".into(),
            title: "t".into(),
            ..RawPosting::default()
        };
        let line = Value::Object(line_fields(&bare, None)).to_string();
        assert_eq!(parse_record(&line, 1).unwrap().unwrap().raw, bare);
    }
}
