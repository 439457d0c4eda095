//! Source definitions: `extractors/*.toml`, one file per source, the file
//! stem being the source id. Files are strict (unknown keys are errors) and
//! validated together: every problem of every file is reported at once, each
//! naming file, key and bad value. Paths, cron expressions and rates are
//! compiled at load, so a bad one is a load error, never a runtime surprise.
//! `extractors/README.md` documents every key.

use std::fmt;
use std::path::{Path, PathBuf};

use url::Url;

use super::compile::{compile_auth, compile_kind};
use super::request::{self, JsonBody};
use super::schema::{Problems, Tab};
use super::Extractor;
pub use crate::domain::Rate;
use crate::domain::{AuthSpec, Cron, GeoCode, SourceId};

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
    pub schedule: Option<Cron>,
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
    /// How the source authenticates: variable names only (the secrets and
    /// the token cache are kept by `fetch`).
    pub auth: Option<AuthSpec>,
    /// The JSON body POSTed to each start URL (`[request]`); `None`: a GET.
    pub body: Option<JsonBody>,
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
    /// `base_url` (next links written absolute by the API). "Under" ends at a
    /// path, query or fragment boundary: with `base_url = "http://127.0.0.1"`,
    /// a link already on `http://127.0.0.1:8080/…` (the override's own port)
    /// is left alone.
    pub fn rebase(&self, url: &str, base_override: Option<&str>) -> String {
        let Some(new_base) = base_override else {
            return url.to_owned();
        };
        match url.strip_prefix(self.base_url.trim_end_matches('/')) {
            Some(rest) if rest.is_empty() || rest.starts_with(['/', '?', '#']) => {
                format!("{}{rest}", new_base.trim_end_matches('/'))
            }
            _ => url.to_owned(),
        }
    }
}

impl SourceDef {
    /// The token endpoint to use: `auth_override` when given; else the
    /// source's `token_url`, moved under `base_override` (its path and query
    /// kept) when the base URL is overridden, so mirrors and tests serve it too.
    pub fn token_url(
        &self,
        base_override: Option<&str>,
        auth_override: Option<&str>,
    ) -> Option<String> {
        let Some(AuthSpec::OAuth2 { token_url, .. }) = self.auth.as_ref() else {
            return None;
        };
        if let Some(url) = auth_override {
            return Some(url.to_owned());
        }
        match (base_override, Url::parse(token_url)) {
            (Some(base), Ok(url)) => {
                let mut rest = url.path().to_owned();
                if let Some(q) = url.query() {
                    rest.push('?');
                    rest.push_str(q);
                }
                Some(format!("{}{rest}", base.trim_end_matches('/')))
            }
            _ => Some(token_url.clone()),
        }
    }

    /// The JSON text of the first request of each start URL, for a source
    /// asked with a POST (`[request]`); `None` for a GET.
    pub fn start_body(&self) -> Option<String> {
        self.body.as_ref().map(JsonBody::text)
    }

    /// The environment variables the source's credentials need that are not set.
    pub fn missing_credentials(&self) -> Vec<String> {
        self.auth
            .as_ref()
            .map(AuthSpec::missing_env)
            .unwrap_or_default()
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

/// A source file that failed validation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BrokenSource {
    /// The file's stem: the id the source would have.
    pub id: String,
    /// The file.
    pub file: PathBuf,
    /// Every problem found, one line each (`file: key: why`).
    pub problems: Vec<String>,
}

/// Every source definition of a directory, valid or not: a daemon serves and
/// collects the valid ones and reports the others, so one broken or stray
/// file does not stop the rest.
#[derive(Debug, Default)]
pub struct SourceSet {
    /// Valid definitions, sorted by file name.
    pub sources: Vec<SourceDef>,
    /// Files that failed validation, sorted by file name.
    pub broken: Vec<BrokenSource>,
    /// Why the directory could not be read at all (then there is nothing else).
    pub unreadable: Option<String>,
}

impl SourceSet {
    /// Every problem, in file order, as [`load_sources`] reports them.
    pub fn problems(&self) -> Vec<String> {
        self.unreadable
            .iter()
            .cloned()
            .chain(self.broken.iter().flat_map(|b| b.problems.iter().cloned()))
            .collect()
    }

    /// The set when nothing is wrong, else every problem.
    pub fn into_result(self) -> Result<Vec<SourceDef>, SourceErrors> {
        let problems = self.problems();
        if problems.is_empty() {
            Ok(self.sources)
        } else {
            Err(SourceErrors { problems })
        }
    }
}

/// Loads and validates every `*.toml` in `dir` (sorted by name): the
/// sources, or every problem of every file.
pub fn load_sources(dir: &Path) -> Result<Vec<SourceDef>, SourceErrors> {
    load_source_set(dir).into_result()
}

/// Loads every `*.toml` in `dir` (sorted by name), keeping the valid
/// definitions and the broken files apart.
pub fn load_source_set(dir: &Path) -> SourceSet {
    let mut files: Vec<PathBuf> = match std::fs::read_dir(dir) {
        Ok(entries) => entries
            .filter_map(Result::ok)
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|e| e == "toml"))
            .collect(),
        Err(e) => {
            return SourceSet {
                unreadable: Some(format!(
                    "{}: cannot read the extractors directory: {e} (set `extractors_dir` in the config or --extractors)",
                    dir.display()
                )),
                ..SourceSet::default()
            }
        }
    };
    files.sort();
    load_file_set(&files)
}

/// Loads and validates the given files together.
pub fn load_files(files: &[PathBuf]) -> Result<Vec<SourceDef>, SourceErrors> {
    load_file_set(files).into_result()
}

/// Loads the given files, keeping the valid definitions and the broken files apart.
fn load_file_set(files: &[PathBuf]) -> SourceSet {
    let mut set = SourceSet::default();
    for file in files {
        let problems = match std::fs::read_to_string(file) {
            Ok(text) => match parse_source(file, &text) {
                Ok(def) => {
                    set.sources.push(def);
                    continue;
                }
                Err(problems) => problems,
            },
            Err(e) => vec![format!("{}: cannot read: {e}", file.display())],
        };
        set.broken.push(BrokenSource {
            id: file
                .file_stem()
                .map_or_else(String::new, |s| s.to_string_lossy().into_owned()),
            file: file.clone(),
            problems,
        });
    }
    set
}

/// Top-level keys of a source file.
const TOP_KEYS: &[&str] = &[
    "name",
    "kind",
    "enabled",
    "schedule",
    "base_url",
    "start",
    "rate",
    "country",
    "max_pages",
    "auth",
    "request",
    "paginate",
    "items",
    "follow",
    "fields",
];

/// The source kinds.
const KINDS: &[&str] = &["json", "html", "jsonld", "rss"];

/// Parses and validates one source file's text; `file` names it in errors
/// and gives the id (its stem). Every problem is reported, each as
/// `file: \`key\`: why`.
pub fn parse_source(file: &Path, text: &str) -> Result<SourceDef, Vec<String>> {
    let shown = file.display().to_string();
    let mut p = Problems::new(shown.clone());
    let table: toml::Table = match toml::from_str(text) {
        Ok(t) => t,
        Err(e) => {
            p.file(format!(
                "not valid TOML: {}",
                e.to_string().trim_end().replace('\n', "\n    ")
            ));
            return Err(p.list);
        }
    };
    let root = Tab::root(&table);
    root.check_keys(TOP_KEYS, &mut p);
    let stem = file.file_stem().and_then(|s| s.to_str()).unwrap_or("");
    let id = SourceId::parse(stem)
        .map_err(|e| p.bad("(file name)", e.to_string()))
        .ok();
    let name = root.req_str("name", &mut p);
    if name.is_some_and(|n| n.trim().is_empty()) {
        p.bad("name", "must not be empty");
    }
    let kind = root.req_str("kind", &mut p);
    let enabled = root.bool("enabled", &mut p).unwrap_or(true);
    let schedule = root.str("schedule", &mut p).and_then(|schedule| {
        Cron::parse(schedule)
            .map_err(|why| p.bad("schedule", format!("{schedule:?} is not a valid cron expression: {why} (6 fields, seconds first, UTC: \"0 15 5 * * *\")")))
            .ok()
    });
    let base_url = root.req_str("base_url", &mut p);
    if let Some(base) = base_url {
        check_http_url("base_url", base, &mut p);
    }
    let start = root.str_array("start", &mut p);
    if !root.has("start") {
        p.bad(
            "start",
            "is required (paths joined to base_url, e.g. [\"/v1/jobs\"])",
        );
    }
    for s in start.iter().flatten() {
        if !s.starts_with('/') {
            p.bad(
                "start",
                format!("{s:?} must be a path starting with '/' (it is joined to base_url)"),
            );
        }
    }
    if start.as_ref().is_some_and(Vec::is_empty) {
        p.bad("start", "needs at least one path");
    }
    let rate = root.str("rate", &mut p).and_then(|r| {
        r.parse::<Rate>()
            .map_err(|why| p.bad("rate", format!("{r:?}: {why}")))
            .ok()
    });
    let country = root.str("country", &mut p).and_then(|c| {
        let code = GeoCode::parse(c).ok().filter(|g| g.as_str().len() == 2);
        if code.is_none() {
            p.bad(
                "country",
                format!("{c:?} is not an ISO 3166 alpha-2 country code such as \"FR\""),
            );
        }
        code
    });
    let max_pages = root
        .uint("max_pages", 1, &mut p)
        .map(|n| n.min(u64::from(u32::MAX)) as u32);
    let auth = root
        .sub("auth", &mut p)
        .and_then(|t| compile_auth(&t, &mut p));
    let body = root
        .sub("request", &mut p)
        .and_then(|t| request::compile(&t, &mut p));
    let extractor = match kind {
        Some(kind) if KINDS.contains(&kind) => compile_kind(kind, &root, body.as_ref(), &mut p),
        Some(other) => {
            p.bad(
                "kind",
                format!("{other:?} is not a source kind: use json, html, jsonld or rss"),
            );
            None
        }
        None => None,
    };
    match (p.is_empty(), id, extractor, name, base_url, start) {
        (true, Some(id), Some(extractor), Some(name), Some(base_url), Some(start)) => {
            Ok(SourceDef {
                id,
                name: name.to_owned(),
                file: file.to_path_buf(),
                enabled,
                schedule,
                base_url: base_url.to_owned(),
                start: start.into_iter().map(str::to_owned).collect(),
                rate,
                country,
                max_pages: max_pages.unwrap_or(DEFAULT_MAX_PAGES),
                extractor,
                auth,
                body,
            })
        }
        _ => Err(p.list),
    }
}

pub(crate) fn check_http_url(key: &str, url: &str, p: &mut Problems) {
    match Url::parse(url) {
        Ok(u) if matches!(u.scheme(), "http" | "https") => {}
        Ok(u) => p.bad(
            key,
            format!("{url:?}: scheme {:?} is not http or https", u.scheme()),
        ),
        Err(e) => p.bad(key, format!("{url:?} is not a URL: {e}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

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
    fn rebasing_stops_at_a_boundary_of_the_base_url() {
        let local = GOOD.replace("https://api.example.org", "http://127.0.0.1");
        let def = parse_source(Path::new("extractors/example.toml"), &local).unwrap();
        let base = Some("http://127.0.0.1:8123");
        // A link the overridden server wrote itself: not moved again.
        assert_eq!(
            def.rebase("http://127.0.0.1:8123/v1/jobs?page=2", base),
            "http://127.0.0.1:8123/v1/jobs?page=2"
        );
        assert_eq!(
            def.rebase("http://127.0.0.1/v1/jobs?page=2", base),
            "http://127.0.0.1:8123/v1/jobs?page=2"
        );
        assert_eq!(
            def.rebase("http://127.0.0.1?page=2", base),
            "http://127.0.0.1:8123?page=2"
        );
        assert_eq!(
            def.rebase("http://127.0.0.1", base),
            "http://127.0.0.1:8123"
        );
        // Another host that merely starts like the base is left alone.
        assert_eq!(
            def.rebase("http://127.0.0.10/v1/jobs", base),
            "http://127.0.0.10/v1/jobs"
        );
        assert_eq!(
            def.rebase("http://127.0.0.1/v1/jobs", None),
            "http://127.0.0.1/v1/jobs"
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
    fn unknown_keys_anywhere_are_all_reported_with_suggestions() {
        let broken = GOOD
            .replace("title = \"title\"", "title = \"title\"\ntitel = \"x\"")
            .replace("rate = \"2/s\"", "rate = \"2/s\"\nmax_page = 3")
            .replace("param = \"page\"", "parm = \"page\"")
            .replace(
                "transform = \"html\" }",
                "transform = \"html\", regexp = \"x\" }",
            );
        let problems = parse_source(Path::new("x.toml"), &broken).unwrap_err();
        assert_eq!(
            problems,
            vec![
                "x.toml: `max_page`: unknown key `max_page`, did you mean `max_pages`?",
                "x.toml: `paginate.parm`: unknown key `parm`, did you mean `param`?",
                "x.toml: `paginate.param`: paginate kind \"page\" needs `param` (the query parameter)",
                "x.toml: `fields.titel`: unknown key `titel`, did you mean `title`?",
                "x.toml: `fields.description.regexp`: unknown key `regexp`, did you mean `regex`?",
            ]
        );
    }

    #[test]
    fn every_kind_compiles_and_bad_selectors_and_regexes_are_load_errors() {
        let html = r#"
name = "Careers"
kind = "html"
base_url = "https://ex.org"
start = ["/jobs"]
[items]
selector = "li.job"
[paginate]
kind = "next"
selector = "a[rel=next]"
[fields]
title = "h2"
url = "a@href"
posted_at = { selector = "time@datetime", regex = "^(\\d{4}-\\d{2}-\\d{2})" }
"#;
        let def = parse_source(Path::new("careers.toml"), html).unwrap();
        assert_eq!(def.extractor.kind(), "html");
        let broken = html
            .replace("\"h2\"", "\"h2[\"")
            .replace("^(\\\\d{4}", "^((\\\\d{4}");
        let problems = parse_source(Path::new("careers.toml"), &broken).unwrap_err();
        assert_eq!(problems.len(), 2, "{problems:#?}");
        assert!(
            problems[0]
                .starts_with("careers.toml: `fields.title`: \"h2[\" is not a valid CSS selector"),
            "{problems:#?}"
        );
        assert!(
            problems[1].starts_with("careers.toml: `fields.posted_at.regex`: \"^((\\\\d{4}"),
            "{problems:#?}"
        );
        for (kind, extra) in [("jsonld", ""), ("rss", "")] {
            let text = format!("name = \"X\"\nkind = \"{kind}\"\nbase_url = \"https://ex.org\"\nstart = [\"/feed\"]\n{extra}");
            let def = parse_source(Path::new("x.toml"), &text).unwrap();
            assert_eq!(def.extractor.kind(), kind);
        }
    }

    #[test]
    fn auth_secrets_come_from_the_environment_and_token_urls_follow_the_base() {
        let text = r#"
name = "FT"
kind = "json"
base_url = "https://api.example.org"
start = ["/v2/search?range=0-149"]
[auth]
kind = "oauth2_client_credentials"
token_url = "https://login.example.org/oauth2/token?realm=%2Fpartenaire"
client_id_env = "SKILLTRACK_TEST_UNSET_ID"
client_secret_env = "SKILLTRACK_TEST_UNSET_SECRET"
[paginate]
kind = "range"
param = "range"
size = 150
max_index = 3149
[fields]
id = "id"
title = "intitule"
"#;
        let def = parse_source(Path::new("ft.toml"), text).unwrap();
        assert_eq!(
            def.missing_credentials(),
            vec!["SKILLTRACK_TEST_UNSET_ID", "SKILLTRACK_TEST_UNSET_SECRET"]
        );
        assert_eq!(
            def.token_url(Some("http://127.0.0.1:9/"), None).as_deref(),
            Some("http://127.0.0.1:9/oauth2/token?realm=%2Fpartenaire")
        );
        assert_eq!(
            def.token_url(Some("http://127.0.0.1:9"), Some("http://127.0.0.1:8/t"))
                .as_deref(),
            Some("http://127.0.0.1:8/t")
        );
        let secret = text.replace("\"SKILLTRACK_TEST_UNSET_ID\"", "\"my secret value\"");
        let problems = parse_source(Path::new("ft.toml"), &secret).unwrap_err();
        assert_eq!(
            problems,
            vec!["ft.toml: `auth.client_id_env`: must name an environment variable such as \"API_TOKEN\", not hold the secret itself (value not shown)"]
        );
    }
}
