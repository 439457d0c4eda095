//! `skilltrack config check`: a configuration file read strictly, every
//! problem reported at once (unknown keys with the closest known key, type
//! errors with their key and line, then the environment's and the ranges'
//! errors), and the effective configuration with where each value came from
//! (default, file, environment, flag), secrets masked.

use std::collections::BTreeMap;
use std::fmt;
use std::ops::Range;
use std::path::PathBuf;

use toml::de::{DeTable, DeValue};

use super::keys::{self, Key, KEYS, SECTIONS, SOURCE_KEYS};
use super::Config;
use crate::domain::{error_chain, suggest};

/// Where an effective value came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Origin {
    /// The built-in default.
    Default,
    /// The file, at this line (1-based).
    File(usize),
    /// This environment variable.
    Env(&'static str),
    /// This command-line flag.
    Flag(&'static str),
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Origin::Default => f.write_str("default"),
            Origin::File(line) => write!(f, "file, line {line}"),
            Origin::Env(var) => write!(f, "environment {var}"),
            Origin::Flag(flag) => write!(f, "flag {flag}"),
        }
    }
}

/// The global flags that override keys (what the user typed, or nothing).
#[derive(Debug, Clone, Default)]
pub struct Flags {
    /// `--data-dir`.
    pub data_dir: Option<PathBuf>,
    /// `--extractors`.
    pub extractors: Option<PathBuf>,
}

/// One line of the effective configuration.
#[derive(Debug, Clone)]
pub struct Effective {
    /// The key (`[sources.ID]` keys are named `sources.ID.key` with no entry in [`KEYS`]).
    pub key: String,
    /// Its section (`""` for the top level, `sources.ID` for a source).
    pub section: String,
    /// Its value as TOML, masked if secret; `None`: unset.
    pub value: Option<String>,
    /// Where it came from.
    pub origin: Origin,
}

/// What `config check` found.
#[derive(Debug, Default)]
pub struct Report {
    /// Every problem, one line each, naming file, line and key.
    pub problems: Vec<String>,
    /// The effective configuration (empty when the file could not be read
    /// as a configuration at all).
    pub effective: Vec<Effective>,
}

impl Report {
    /// Whether no problem was found.
    pub fn is_ok(&self) -> bool {
        self.problems.is_empty()
    }

    /// The effective configuration as a TOML document, each value followed
    /// by its origin in a comment.
    pub fn render(&self) -> String {
        let mut out = String::new();
        let mut section = "";
        for e in &self.effective {
            if e.section != section {
                section = &e.section;
                out.push_str(&format!("\n[{section}]\n"));
            }
            let assignment = match &e.value {
                Some(v) => format!("{} = {v}", e.key),
                None => format!("# {} (not set)", e.key),
            };
            out.push_str(&format!("{assignment:<44} # {}\n", e.origin));
        }
        out
    }
}

/// A value from the file, with the place of its key and value.
struct Seen {
    line: usize,
    value: Range<usize>,
}

/// Checks `text` (the contents of `file`, if a file is given) with the
/// environment read through `env` and the `flags`.
pub fn check(
    file: Option<(&str, &str)>,
    env: impl Fn(&str) -> Option<String>,
    flags: &Flags,
) -> Report {
    let mut report = Report::default();
    let mut seen: BTreeMap<(String, String), Seen> = BTreeMap::new();
    let mut config = Config::default();
    if let Some((path, text)) = file {
        let table = match DeTable::parse(text) {
            Ok(t) => t,
            Err(e) => {
                report
                    .problems
                    .push(format!("{path}: {}", e.to_string().trim_end()));
                return report;
            }
        };
        walk(path, text, table.get_ref(), &mut seen, &mut report.problems);
        if !report.problems.is_empty() {
            return report;
        }
        match toml::from_str::<Config>(text) {
            Ok(c) => config = c,
            Err(e) => {
                report.problems.push(type_error(path, text, &e, &seen));
                return report;
            }
        }
    }
    if let Err(e) = config.apply_env(&env) {
        report.problems.push(error_chain(&e));
        return report;
    }
    if let Some(dir) = &flags.data_dir {
        config.data_dir = dir.clone();
    }
    if let Some(dir) = &flags.extractors {
        config.extractors_dir = dir.clone();
    }
    report.effective = effective(&config, &seen, &env, flags);
    report
}

/// 1-based line of byte `offset` in `text`.
fn line_of(text: &str, offset: usize) -> usize {
    let end = offset.min(text.len());
    text.as_bytes()[..end]
        .iter()
        .filter(|&&b| b == b'\n')
        .count()
        + 1
}

/// Records every key of the file and reports the unknown ones.
fn walk(
    path: &str,
    text: &str,
    table: &DeTable<'_>,
    seen: &mut BTreeMap<(String, String), Seen>,
    problems: &mut Vec<String>,
) {
    let top: Vec<&str> = keys::in_section("")
        .map(|k| k.name)
        .chain(SECTIONS[1..].iter().copied())
        .chain(["sources"])
        .collect();
    for (key, value) in table.iter() {
        let name: &str = key.get_ref();
        let line = line_of(text, key.span().start);
        let record = |seen: &mut BTreeMap<_, _>, section: &str, k: &str| {
            seen.insert(
                (section.to_owned(), k.to_owned()),
                Seen {
                    line,
                    value: value.span(),
                },
            );
        };
        match (name, value.get_ref()) {
            ("sources", DeValue::Table(ids)) => sources(path, text, ids, seen, problems),
            (section, DeValue::Table(sub)) if SECTIONS[1..].contains(&section) => {
                section_keys(path, text, section, sub, seen, problems);
            }
            _ if top.contains(&name) => record(seen, "", name),
            _ => problems.push(unknown(path, line, "", name, top.iter().copied())),
        }
    }
}

/// The keys of one `[section]`.
fn section_keys(
    path: &str,
    text: &str,
    section: &str,
    table: &DeTable<'_>,
    seen: &mut BTreeMap<(String, String), Seen>,
    problems: &mut Vec<String>,
) {
    let known: Vec<&str> = keys::in_section(section).map(|k| k.name).collect();
    for (key, value) in table.iter() {
        let name: &str = key.get_ref();
        let line = line_of(text, key.span().start);
        if known.contains(&name) {
            seen.insert(
                (section.to_owned(), name.to_owned()),
                Seen {
                    line,
                    value: value.span(),
                },
            );
        } else {
            problems.push(unknown(path, line, section, name, known.iter().copied()));
        }
    }
}

/// The `[sources.ID]` tables.
fn sources(
    path: &str,
    text: &str,
    ids: &DeTable<'_>,
    seen: &mut BTreeMap<(String, String), Seen>,
    problems: &mut Vec<String>,
) {
    for (id, value) in ids.iter() {
        let section = format!("sources.{}", id.get_ref());
        let DeValue::Table(table) = value.get_ref() else {
            // Left to the type check, which names the key.
            seen.insert(
                ("sources".to_owned(), id.get_ref().to_string()),
                Seen {
                    line: line_of(text, id.span().start),
                    value: value.span(),
                },
            );
            continue;
        };
        for (key, v) in table.iter() {
            let name: &str = key.get_ref();
            let line = line_of(text, key.span().start);
            if SOURCE_KEYS.contains(&name) {
                seen.insert(
                    (section.clone(), name.to_owned()),
                    Seen {
                        line,
                        value: v.span(),
                    },
                );
            } else {
                problems.push(unknown(path, line, &section, name, SOURCE_KEYS));
            }
        }
    }
}

/// The message of an unknown key.
fn unknown<'a>(
    path: &str,
    line: usize,
    section: &str,
    name: &str,
    known: impl IntoIterator<Item = &'a str>,
) -> String {
    let shown = if section.is_empty() {
        format!("`{name}`")
    } else {
        format!("`{name}` in [{section}]")
    };
    match suggest(name, known) {
        Some(near) => format!("{path}:{line}: unknown key {shown}; did you mean `{near}`?"),
        None => format!("{path}:{line}: unknown key {shown}"),
    }
}

/// The message of a value of the wrong type: file, line, key and why.
fn type_error(
    path: &str,
    text: &str,
    e: &toml::de::Error,
    seen: &BTreeMap<(String, String), Seen>,
) -> String {
    let Some(span) = e.span() else {
        return format!("{path}: {}", e.message());
    };
    let key = seen
        .iter()
        .filter(|(_, s)| s.value.start <= span.start && span.end <= s.value.end)
        .min_by_key(|(_, s)| s.value.len())
        .map(|((section, name), _)| {
            if section.is_empty() {
                format!("`{name}`: ")
            } else {
                format!("`{name}` in [{section}]: ")
            }
        })
        .unwrap_or_default();
    format!("{path}:{}: {key}{}", line_of(text, span.start), e.message())
}

/// Every key's effective value and origin.
fn effective(
    config: &Config,
    seen: &BTreeMap<(String, String), Seen>,
    env: &impl Fn(&str) -> Option<String>,
    flags: &Flags,
) -> Vec<Effective> {
    let mut out: Vec<Effective> = KEYS
        .iter()
        .map(|key| Effective {
            key: key.name.to_owned(),
            section: key.section.to_owned(),
            value: shown(key, config),
            origin: origin(key, seen, env, flags),
        })
        .collect();
    for (id, over) in &config.sources {
        let section = format!("sources.{id}");
        let values = [
            ("base_url", over.base_url.as_deref().map(masked_url)),
            ("auth_url", over.auth_url.as_deref().map(masked_url)),
            ("enabled", over.enabled.map(|b| b.to_string())),
        ];
        for (name, value) in values {
            let Some(value) = value else { continue };
            let line = seen
                .get(&(section.clone(), name.to_owned()))
                .map_or(0, |s| s.line);
            out.push(Effective {
                key: name.to_owned(),
                section: section.clone(),
                value: Some(value),
                origin: Origin::File(line),
            });
        }
    }
    out
}

/// A key's value, masked when it is a secret.
fn shown(key: &Key, config: &Config) -> Option<String> {
    let value = (key.value)(config)?;
    Some(if key.secret {
        "\"********\"".to_owned()
    } else {
        value
    })
}

/// A URL with any password in it replaced by `********`, quoted.
fn masked_url(text: &str) -> String {
    match url::Url::parse(text) {
        Ok(mut u) if u.password().is_some() => {
            let _ = u.set_password(Some("********"));
            keys::quoted(u.as_str())
        }
        _ => keys::quoted(text),
    }
}

/// Where `key`'s value came from: flag, then environment, then file.
fn origin(
    key: &Key,
    seen: &BTreeMap<(String, String), Seen>,
    env: &impl Fn(&str) -> Option<String>,
    flags: &Flags,
) -> Origin {
    let flagged = match key.flag {
        Some("--data-dir") => flags.data_dir.is_some(),
        Some("--extractors") => flags.extractors.is_some(),
        _ => false,
    };
    if let (true, Some(flag)) = (flagged, key.flag) {
        return Origin::Flag(flag);
    }
    if let Some(var) = key.env.filter(|v| env(v).is_some()) {
        return Origin::Env(var);
    }
    match seen.get(&(key.section.to_owned(), key.name.to_owned())) {
        Some(s) => Origin::File(s.line),
        None => Origin::Default,
    }
}
