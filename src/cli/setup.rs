//! What the collecting commands (`serve`, `run`, `sources`) build: the
//! source set (valid and broken), the sources picked, run options and the
//! pipeline context.

use std::collections::BTreeMap;
use std::sync::Arc;

use super::InvalidConfig;
use crate::config::Config;
use crate::extract;
use crate::extract::{SourceDef, SourceSet};
use crate::fetch::Fetcher;
use crate::normalize::Normalizer;
use crate::pipeline::{Context, RunOptions};
use crate::schedule::{Loaded, Planned};
use crate::store::Store;

/// The source definitions, valid (with the configuration's overrides) and
/// broken: one bad file never hides the others.
pub(super) fn load_sources(config: &Config) -> SourceSet {
    load_sources_with_reasons(config).0
}

/// [`load_sources`], with why each disabled source is (by id): `disabled in
/// config`, `disabled in its source file`, or `missing credentials: …`.
pub(super) fn load_sources_with_reasons(config: &Config) -> (SourceSet, BTreeMap<String, String>) {
    let mut set = extract::load_source_set(&config.extractors_dir);
    let mut reasons = BTreeMap::new();
    for s in &mut set.sources {
        let mut reason = (!s.enabled).then(|| "disabled in its source file".to_owned());
        if let Some(o) = config.sources.get(s.id.as_str()) {
            if let Some(enabled) = o.enabled {
                s.enabled = enabled;
                reason = (!enabled).then(|| "disabled in config".to_owned());
            }
        }
        let missing = s.missing_credentials();
        if s.enabled && !missing.is_empty() {
            tracing::info!(source = %s.id, missing = %missing.join(", "), "Source disabled until its credentials are set.");
            s.enabled = false;
            reason = Some(format!("missing credentials: {}", missing.join(", ")));
        }
        if let Some(why) = reason {
            reasons.insert(s.id.as_str().to_owned(), why);
        }
    }
    (set, reasons)
}

/// The source set as the scheduler takes it: every valid source with its
/// run options and why it is disabled, and every problem of the broken ones
/// (which a reload refuses; `serve` starts with the valid ones).
pub(super) fn planned_sources(config: &Config) -> Loaded {
    let (set, reasons) = load_sources_with_reasons(config);
    plan(config, set, reasons)
}

/// A loaded set and its reasons ([`load_sources_with_reasons`]) as the
/// scheduler takes them.
pub(super) fn plan(
    config: &Config,
    set: SourceSet,
    mut reasons: BTreeMap<String, String>,
) -> Loaded {
    let problems = set.problems();
    let sources = set
        .sources
        .into_iter()
        .map(|source| Planned {
            options: run_options(config, &source, None, None),
            disabled: reasons.remove(source.id.as_str()),
            source,
        })
        .collect();
    Loaded { sources, problems }
}

/// Logs what is wrong with a source set (`serve` goes on with the valid sources).
pub(super) fn log_broken_sources(set: &SourceSet) {
    if let Some(why) = &set.unreadable {
        tracing::warn!(problem = %why, "No source definitions: nothing will be collected.");
    }
    for b in &set.broken {
        tracing::error!(
            source = %b.id,
            file = %b.file.display(),
            problems = %b.problems.join("; "),
            "Source definition is broken: it is not collected until fixed (see `skilltrack sources check`)."
        );
    }
}

pub(super) fn run_options(
    config: &Config,
    source: &SourceDef,
    base_url: Option<&str>,
    auth_url: Option<&str>,
) -> RunOptions {
    let o = config.sources.get(source.id.as_str());
    RunOptions {
        base_url: base_url
            .map(str::to_owned)
            .or_else(|| o.and_then(|o| o.base_url.clone())),
        auth_url: auth_url
            .map(str::to_owned)
            .or_else(|| o.and_then(|o| o.auth_url.clone())),
        seen_on: None,
        shutdown: None,
        started_at: None,
    }
}

pub(super) fn context(
    config: &Config,
    store: Arc<dyn Store>,
    normalizer: Arc<Normalizer>,
) -> anyhow::Result<Context> {
    Ok(Context {
        store,
        normalizer,
        fetcher: Fetcher::new(config.fetch_config())?,
    })
}

/// The named sources of `set`; a broken or unknown one is an invalid
/// configuration naming what is wrong.
pub(super) fn pick_sources(set: &SourceSet, wanted: &[String]) -> anyhow::Result<Vec<SourceDef>> {
    let mut picked = Vec::new();
    for name in wanted {
        if let Some(b) = set.broken.iter().find(|b| &b.id == name) {
            return Err(InvalidConfig(format!(
                "source {name:?} is broken:\n  {}",
                b.problems.join("\n  ")
            ))
            .into());
        }
        match set.sources.iter().find(|s| s.id.as_str() == name) {
            Some(s) => picked.push(s.clone()),
            None => {
                if let Some(why) = &set.unreadable {
                    return Err(InvalidConfig(why.clone()).into());
                }
                let all = &set.sources;
                let hint = crate::domain::suggest(name, all.iter().map(|s| s.id.as_str()))
                    .map(|s| format!(" Did you mean {s:?}?"))
                    .unwrap_or_default();
                let known: Vec<&str> = all.iter().map(|s| s.id.as_str()).collect();
                return Err(InvalidConfig(format!(
                    "unknown source {name:?}.{hint} Known sources: {}",
                    known.join(", ")
                ))
                .into());
            }
        }
    }
    Ok(picked)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A minimal valid source file, `enabled` as given, with `extra` lines.
    fn source(enabled: bool, extra: &str) -> String {
        format!(
            "name = \"S\"\nkind = \"rss\"\nbase_url = \"https://example.org\"\nstart = [\"/feed\"]\nenabled = {enabled}\nschedule = \"0 0 4 * * *\"\n{extra}"
        )
    }

    #[test]
    fn each_disabled_source_keeps_why() {
        let dir = tempfile::tempdir().unwrap();
        let write = |id: &str, text: String| {
            std::fs::write(dir.path().join(format!("{id}.toml")), text).unwrap()
        };
        write("on", source(true, ""));
        write("off_in_file", source(false, ""));
        write("off_in_config", source(true, ""));
        write(
            "no_creds",
            source(
                true,
                "[auth]\nkind = \"bearer\"\ntoken_env = \"SKILLTRACK_TEST_SURELY_UNSET_TOKEN\"\n",
            ),
        );
        let mut config = Config {
            extractors_dir: dir.path().to_owned(),
            ..Config::default()
        };
        config.sources.insert(
            "off_in_config".into(),
            crate::config::SourceOverride {
                enabled: Some(false),
                ..Default::default()
            },
        );
        let loaded = planned_sources(&config);
        assert!(loaded.problems.is_empty(), "{:?}", loaded.problems);
        let why: BTreeMap<&str, (bool, Option<&str>)> = loaded
            .sources
            .iter()
            .map(|p| {
                (
                    p.source.id.as_str(),
                    (p.source.enabled, p.disabled.as_deref()),
                )
            })
            .collect();
        assert_eq!(why["on"], (true, None));
        assert_eq!(
            why["off_in_file"],
            (false, Some("disabled in its source file"))
        );
        assert_eq!(why["off_in_config"], (false, Some("disabled in config")));
        assert_eq!(
            why["no_creds"],
            (
                false,
                Some("missing credentials: SKILLTRACK_TEST_SURELY_UNSET_TOKEN")
            )
        );
    }
}
