//! Source definitions: `extractors/*.toml`, one file per source, the file
//! stem being the source id. Files are strict (unknown keys are errors) and
//! validated together: every problem of every file is reported at once, each
//! naming file, key and bad value. Paths, cron expressions and rates are
//! compiled at load, so a bad one is a load error, never a runtime surprise.
//! `extractors/README.md` documents every key.

use std::fmt;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::de::{self, Deserializer, MapAccess, Visitor};
use serde::Deserialize;

use super::json::{FieldRule, JsonExtractor, JsonFields, Paginate, Transform};
use super::path::JsonPath;
use super::Extractor;
use crate::domain::{GeoCode, SourceId};

/// Pages fetched per start URL when a source does not say.
pub const DEFAULT_MAX_PAGES: u32 = 20;

/// A validated, compiled source definition.
#[derive(Debug, Clone)]
pub struct SourceDef {
    /// Id: the file stem.
    pub id: SourceId,
    /// Human name.
    pub name: String,
    /// The file it was loaded from.
    pub file: PathBuf,
    /// Whether scheduled runs collect it.
    pub enabled: bool,
    /// Cron expression with seconds, UTC (`0 15 5 * * *`).
    pub schedule: Option<String>,
    /// Base URL every start path is relative to; overridable for mirrors and tests.
    pub base_url: String,
    /// Start paths (relative to `base_url`).
    pub start: Vec<String>,
    /// Per-host request rate.
    pub rate: Option<Rate>,
    /// Country assumed when a posting's place says nothing.
    pub country: Option<GeoCode>,
    /// Upper bound on pages per start URL.
    pub max_pages: u32,
    /// How pages become postings.
    pub extractor: Extractor,
}

impl SourceDef {
    /// The start URLs, with `base_url` replaced by `base_override` when given.
    pub fn start_urls(&self, base_override: Option<&str>) -> Vec<String> {
        let base = base_override
            .unwrap_or(&self.base_url)
            .trim_end_matches('/');
        self.start.iter().map(|s| format!("{base}{s}")).collect()
    }

    /// `url` moved under `base_override` when it points under the source's own
    /// `base_url` (next links written absolute by the API).
    pub fn rebase(&self, url: &str, base_override: Option<&str>) -> String {
        match base_override {
            Some(new_base) => match url.strip_prefix(self.base_url.trim_end_matches('/')) {
                Some(rest) => format!("{}{rest}", new_base.trim_end_matches('/')),
                None => url.to_owned(),
            },
            None => url.to_owned(),
        }
    }
}

/// Requests per interval (`"1/s"`, `"10/min"`, `"500/h"`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rate {
    /// Requests allowed…
    pub requests: u32,
    /// …per this interval.
    pub per: Duration,
}

impl Rate {
    /// The minimum spacing between two requests.
    pub fn interval(&self) -> Duration {
        self.per / self.requests.max(1)
    }
}

impl std::str::FromStr for Rate {
    type Err = String;
    fn from_str(s: &str) -> Result<Rate, String> {
        let (n, unit) = s
            .split_once('/')
            .ok_or_else(|| "expected requests/unit such as \"1/s\" or \"10/min\"".to_owned())?;
        let requests: u32 = n
            .trim()
            .parse()
            .ok()
            .filter(|n| *n > 0)
            .ok_or_else(|| format!("{n:?} is not a positive number of requests"))?;
        let per = match unit.trim() {
            "s" | "sec" | "second" => Duration::from_secs(1),
            "min" | "minute" => Duration::from_secs(60),
            "h" | "hour" => Duration::from_secs(3600),
            other => return Err(format!("unknown unit {other:?}: use s, min or h")),
        };
        Ok(Rate { requests, per })
    }
}

/// Every problem found in a set of source files.
#[derive(Debug, thiserror::Error)]
pub struct SourceErrors {
    /// One line per problem: `file: key: why`.
    pub problems: Vec<String>,
}

impl fmt::Display for SourceErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "{} problem(s) in source definitions:",
            self.problems.len()
        )?;
        for p in &self.problems {
            writeln!(f, "  {p}")?;
        }
        Ok(())
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct SourceFile {
    name: String,
    kind: String,
    #[serde(default = "yes")]
    enabled: bool,
    schedule: Option<String>,
    base_url: String,
    start: Vec<String>,
    rate: Option<String>,
    country: Option<String>,
    max_pages: Option<u32>,
    paginate: Option<PaginateFile>,
    items: Option<ItemsFile>,
    fields: Option<FieldsFile>,
}

fn yes() -> bool {
    true
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct PaginateFile {
    kind: String,
    path: Option<String>,
    param: Option<String>,
    start: Option<u64>,
    size: Option<u64>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ItemsFile {
    #[serde(default)]
    path: String,
    #[serde(default)]
    skip: usize,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct FieldsFile {
    id: Option<FieldFile>,
    title: Option<FieldFile>,
    company: Option<FieldFile>,
    location: Option<FieldFile>,
    description: Option<FieldFile>,
    posted_at: Option<FieldFile>,
    valid_through: Option<FieldFile>,
    url: Option<FieldFile>,
    remote: Option<FieldFile>,
    tags: Option<FieldFile>,
}

/// A field as written: a path string, or a table.
#[derive(Debug)]
struct FieldFile(FieldTable);

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct FieldTable {
    path: Option<String>,
    value: Option<String>,
    transform: Option<String>,
    join: Option<String>,
}

impl<'de> Deserialize<'de> for FieldFile {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<FieldFile, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = FieldFile;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a path string or a table { path, value, transform, join }")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<FieldFile, E> {
                Ok(FieldFile(FieldTable {
                    path: Some(v.to_owned()),
                    ..FieldTable::default()
                }))
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<FieldFile, A::Error> {
                FieldTable::deserialize(de::value::MapAccessDeserializer::new(map)).map(FieldFile)
            }
        }
        d.deserialize_any(V)
    }
}

/// Loads and validates every `*.toml` in `dir` (sorted by name).
pub fn load_sources(dir: &Path) -> Result<Vec<SourceDef>, SourceErrors> {
    let mut files: Vec<PathBuf> = match std::fs::read_dir(dir) {
        Ok(entries) => entries
            .filter_map(Result::ok)
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|e| e == "toml"))
            .collect(),
        Err(e) => {
            return Err(SourceErrors {
                problems: vec![format!(
                    "{}: cannot read the extractors directory: {e} (set `extractors_dir` in the config or --extractors)",
                    dir.display()
                )],
            })
        }
    };
    files.sort();
    load_files(&files)
}

/// Loads and validates the given files together.
pub fn load_files(files: &[PathBuf]) -> Result<Vec<SourceDef>, SourceErrors> {
    let mut problems = Vec::new();
    let mut sources = Vec::new();
    for file in files {
        match std::fs::read_to_string(file) {
            Ok(text) => match parse_source(file, &text) {
                Ok(def) => sources.push(def),
                Err(mut ps) => problems.append(&mut ps),
            },
            Err(e) => problems.push(format!("{}: cannot read: {e}", file.display())),
        }
    }
    if problems.is_empty() {
        Ok(sources)
    } else {
        Err(SourceErrors { problems })
    }
}

/// Parses and validates one source file's text; `file` names it in errors
/// and gives the id (its stem).
pub fn parse_source(file: &Path, text: &str) -> Result<SourceDef, Vec<String>> {
    let shown = file.display().to_string();
    let stem = file.file_stem().and_then(|s| s.to_str()).unwrap_or("");
    let raw: SourceFile = toml::from_str(text).map_err(|e| {
        vec![format!(
            "{shown}: {}",
            e.to_string().trim_end().replace('\n', "\n    ")
        )]
    })?;
    let mut problems = Vec::new();
    let mut bad = |key: &str, why: String| problems.push(format!("{shown}: `{key}`: {why}"));

    let id = SourceId::parse(stem)
        .map_err(|e| bad("(file name)", e.to_string()))
        .ok();
    if raw.name.trim().is_empty() {
        bad("name", "must not be empty".into());
    }
    if let Some(schedule) = &raw.schedule {
        if let Err(why) = check_cron(schedule) {
            bad("schedule", format!("{schedule:?} is not a valid cron expression: {why} (6 fields, seconds first, UTC: \"0 15 5 * * *\")"));
        }
    }
    match reqwest::Url::parse(&raw.base_url) {
        Ok(u) if matches!(u.scheme(), "http" | "https") => {}
        Ok(u) => bad(
            "base_url",
            format!(
                "{:?}: scheme {:?} is not http or https",
                raw.base_url,
                u.scheme()
            ),
        ),
        Err(e) => bad("base_url", format!("{:?} is not a URL: {e}", raw.base_url)),
    }
    if raw.start.is_empty() {
        bad("start", "needs at least one path".into());
    }
    for s in &raw.start {
        if !s.starts_with('/') {
            bad(
                "start",
                format!("{s:?} must be a path starting with '/' (it is joined to base_url)"),
            );
        }
    }
    let rate = raw.rate.as_ref().and_then(|r| {
        r.parse::<Rate>()
            .map_err(|why| bad("rate", format!("{r:?}: {why}")))
            .ok()
    });
    let country = raw.country.as_ref().and_then(|c| {
        GeoCode::parse(c)
            .ok()
            .filter(|g| g.as_str().len() == 2)
            .or_else(|| {
                bad(
                    "country",
                    format!("{c:?} is not an ISO 3166 alpha-2 country code such as \"FR\""),
                );
                None
            })
    });
    if raw.max_pages == Some(0) {
        bad("max_pages", "must be at least 1".into());
    }
    let extractor = match raw.kind.as_str() {
        "json" => compile_json(&raw, &mut bad).map(Extractor::Json),
        "html" | "jsonld" | "rss" => {
            bad(
                "kind",
                format!(
                    "{:?} is not available in this build yet; use \"json\"",
                    raw.kind
                ),
            );
            None
        }
        other => {
            bad(
                "kind",
                format!("{other:?} is not a source kind: use json, html, jsonld or rss"),
            );
            None
        }
    };
    match (problems.is_empty(), id, extractor) {
        (true, Some(id), Some(extractor)) => Ok(SourceDef {
            id,
            name: raw.name,
            file: file.to_path_buf(),
            enabled: raw.enabled,
            schedule: raw.schedule,
            base_url: raw.base_url,
            start: raw.start,
            rate,
            country,
            max_pages: raw.max_pages.unwrap_or(DEFAULT_MAX_PAGES),
            extractor,
        }),
        _ => Err(problems),
    }
}

/// Checks a cron expression the way the scheduler will read it.
pub fn check_cron(expr: &str) -> Result<(), String> {
    croner::parser::CronParser::builder()
        .seconds(croner::parser::Seconds::Required)
        .dom_and_dow(true)
        .build()
        .parse(expr)
        .map(|_| ())
        .map_err(|e| e.to_string())
}

fn compile_json(raw: &SourceFile, bad: &mut impl FnMut(&str, String)) -> Option<JsonExtractor> {
    let items = raw.items.as_ref();
    let items_path = items.map_or("", |i| i.path.as_str());
    let items_path = compile_path("items.path", items_path, bad);
    let Some(fields) = raw.fields.as_ref() else {
        bad(
            "fields",
            "a json source needs a [fields] table with at least id and title".into(),
        );
        return None;
    };
    let mut field = |name: &str, f: &Option<FieldFile>, default: Transform| {
        f.as_ref()
            .and_then(|f| compile_field(&format!("fields.{name}"), &f.0, default, bad))
    };
    let id = field("id", &fields.id, Transform::Text);
    let title = field("title", &fields.title, Transform::Text);
    let compiled = JsonFields {
        company: field("company", &fields.company, Transform::Text),
        location: field("location", &fields.location, Transform::Text),
        description: field("description", &fields.description, Transform::Html),
        posted_at: field("posted_at", &fields.posted_at, Transform::Date),
        valid_through: field("valid_through", &fields.valid_through, Transform::Date),
        url: field("url", &fields.url, Transform::Text),
        remote: field("remote", &fields.remote, Transform::Text),
        tags: field("tags", &fields.tags, Transform::Text),
        id: id.or_else(|| {
            bad("fields.id", "is required".into());
            None
        })?,
        title: title.or_else(|| {
            bad("fields.title", "is required".into());
            None
        })?,
    };
    let paginate = raw.paginate.as_ref().and_then(|p| compile_paginate(p, bad));
    Some(JsonExtractor {
        items: items_path?,
        skip: items.map_or(0, |i| i.skip),
        fields: compiled,
        paginate,
    })
}

fn compile_path(key: &str, path: &str, bad: &mut impl FnMut(&str, String)) -> Option<JsonPath> {
    path.parse::<JsonPath>()
        .map_err(|e| bad(key, e.to_string()))
        .ok()
}

fn compile_field(
    key: &str,
    f: &FieldTable,
    default: Transform,
    bad: &mut impl FnMut(&str, String),
) -> Option<FieldRule> {
    if f.path.is_none() && f.value.is_none() {
        bad(key, "needs a `path` or a constant `value`".into());
        return None;
    }
    let path = match &f.path {
        Some(p) => Some(compile_path(&format!("{key}.path"), p, bad)?),
        None => None,
    };
    let transform = match f.transform.as_deref() {
        None => default,
        Some("text") => Transform::Text,
        Some("html") => Transform::Html,
        Some("date") => Transform::Date,
        Some(other) => {
            bad(
                &format!("{key}.transform"),
                format!("{other:?} is not a transform: use text, html or date"),
            );
            return None;
        }
    };
    Some(FieldRule {
        path,
        constant: f.value.clone(),
        transform,
        join: f.join.clone().unwrap_or_else(|| ", ".to_owned()),
    })
}

fn compile_paginate(p: &PaginateFile, bad: &mut impl FnMut(&str, String)) -> Option<Paginate> {
    let param = |bad: &mut dyn FnMut(&str, String)| {
        p.param.clone().or_else(|| {
            bad(
                "paginate.param",
                format!("paginate kind {:?} needs `param`", p.kind),
            );
            None
        })
    };
    match p.kind.as_str() {
        "next" => {
            let Some(path) = &p.path else {
                bad(
                    "paginate.path",
                    "paginate kind \"next\" needs `path` (where the next link is)".into(),
                );
                return None;
            };
            compile_path("paginate.path", path, bad).map(Paginate::NextLink)
        }
        "page" => Some(Paginate::PageNumber {
            param: param(bad)?,
            start: p.start.unwrap_or(1),
        }),
        "offset" => {
            let size = p.size.filter(|s| *s > 0).or_else(|| {
                bad(
                    "paginate.size",
                    "paginate kind \"offset\" needs `size` > 0 (items per page)".into(),
                );
                None
            });
            Some(Paginate::Offset {
                param: param(bad)?,
                size: size?,
            })
        }
        other => {
            bad(
                "paginate.kind",
                format!("{other:?} is not a pagination kind: use next, page or offset"),
            );
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: &str = r#"
name = "Example board"
kind = "json"
schedule = "0 15 5 * * *"
base_url = "https://api.example.org"
start = ["/v1/jobs?page=1"]
rate = "2/s"
country = "FR"
[paginate]
kind = "page"
param = "page"
[items]
path = "data"
[fields]
id = "id"
title = "title"
description = { path = "body", transform = "html" }
"#;

    #[test]
    fn a_good_file_compiles() {
        let def = parse_source(Path::new("extractors/example.toml"), GOOD).unwrap();
        assert_eq!(def.id.as_str(), "example");
        assert_eq!(def.rate.unwrap().interval(), Duration::from_millis(500));
        assert_eq!(
            def.start_urls(Some("http://127.0.0.1:9/")),
            vec!["http://127.0.0.1:9/v1/jobs?page=1"]
        );
        assert_eq!(
            def.rebase(
                "https://api.example.org/v1/jobs?page=2",
                Some("http://127.0.0.1:9")
            ),
            "http://127.0.0.1:9/v1/jobs?page=2"
        );
    }

    #[test]
    fn every_problem_is_reported_with_file_key_and_value() {
        let broken = GOOD
            .replace("0 15 5 * * *", "15 5 * * *")
            .replace("\"2/s\"", "\"2/fortnight\"")
            .replace("\"FR\"", "\"France\"")
            .replace("path = \"data\"", "path = \"data..x\"")
            .replace("kind = \"page\"", "kind = \"pages\"");
        let problems = parse_source(Path::new("extractors/example.toml"), &broken).unwrap_err();
        let all = problems.join("\n");
        for expected in [
            "extractors/example.toml: `schedule`: \"15 5 * * *\" is not a valid cron expression",
            "extractors/example.toml: `rate`: \"2/fortnight\": unknown unit \"fortnight\"",
            "extractors/example.toml: `country`: \"France\" is not an ISO 3166 alpha-2",
            "extractors/example.toml: `items.path`: invalid path \"data..x\"",
            "extractors/example.toml: `paginate.kind`: \"pages\" is not a pagination kind",
        ] {
            assert!(all.contains(expected), "missing {expected:?} in:\n{all}");
        }
        assert_eq!(problems.len(), 5, "{all}");
    }

    #[test]
    fn unknown_keys_are_rejected_with_their_name() {
        let broken = GOOD.replace("title = \"title\"", "title = \"title\"\ntitel = \"x\"");
        let problems = parse_source(Path::new("x.toml"), &broken).unwrap_err();
        assert!(
            problems[0].contains("unknown field `titel`"),
            "{problems:?}"
        );
    }
}
