//! `sources check`, `sources list` and `sources try`. `sources list`'s
//! health column is `domain::health`'s judgement of the stored runs, the
//! same as `GET /api/v1/sources`'s.

use std::io::Write;
use std::path::PathBuf;

use anyhow::Context as _;

use crate::config::Config;
use crate::domain::health::{self, Health};
use crate::domain::{RunReport, SourceId};
use crate::extract;
use crate::fetch::Fetcher;
use crate::pipeline;

use super::{load_sources, pick_sources, run_options};
use super::{normalizer, open_store, Exit, InvalidConfig, TryArgs};

pub(super) fn sources_check(config: &Config, files: &[PathBuf]) -> anyhow::Result<Exit> {
    let result = if files.is_empty() {
        extract::load_sources(&config.extractors_dir)
    } else {
        extract::source::load_files(files)
    };
    match result {
        Ok(sources) => {
            writeln!(
                std::io::stdout(),
                "{} source definition(s) OK",
                sources.len()
            )?;
            Ok(Exit::Success)
        }
        Err(e) => {
            eprint!("{e}");
            Ok(Exit::InvalidConfig)
        }
    }
}

pub(super) fn sources_list(config: &Config) -> anyhow::Result<Exit> {
    let set = load_sources(config);
    if let Some(why) = &set.unreadable {
        return Err(InvalidConfig(why.clone()).into());
    }
    // The last run comes from the store; a store held by `serve` is not an error here.
    let store = if config.data_dir.exists() {
        open_store(config)
            .map_err(|e| tracing::debug!(error = %format!("{e:#}"), "Store not available: last runs not shown."))
            .ok()
    } else {
        None
    };
    let mut out = std::io::stdout().lock();
    writeln!(
        out,
        "{:<18} {:<6} {:<16} {:<26} {:<9} {:<56} enabled",
        "id", "kind", "schedule", "last run", "health", "name"
    )?;
    // The stored runs of a source (None: no store to read them from).
    let history = |id: &str| -> Option<Vec<RunReport>> {
        let store = store.as_ref()?;
        let id = SourceId::parse(id).ok()?;
        store.runs(&id, health::HISTORY_RUNS).ok()
    };
    let mut drifting: Vec<(String, Health)> = Vec::new();
    let mut row = |id: &str| -> (String, String) {
        let Some(runs) = history(id) else {
            return ("-".to_owned(), "-".to_owned());
        };
        let judged = health::assess(&runs);
        let state = judged.state.as_str().to_owned();
        if !judged.alarms.is_empty() {
            drifting.push((id.to_owned(), judged));
        }
        let last = runs
            .first()
            .map_or_else(|| "-".to_owned(), |r| r.started_at.clone());
        (last, state)
    };
    for s in &set.sources {
        let enabled = match s.missing_credentials() {
            m if m.is_empty() => s.enabled.to_string(),
            m => format!("false (needs {})", m.join(", ")),
        };
        let (last_run, health) = row(s.id.as_str());
        writeln!(
            out,
            "{:<18} {:<6} {:<16} {:<26} {:<9} {:<56} {}",
            s.id,
            s.extractor.kind(),
            s.schedule.as_ref().map_or("-", |c| c.as_str()),
            last_run,
            health,
            s.name,
            enabled
        )?;
    }
    for b in &set.broken {
        let (last_run, health) = row(&b.id);
        writeln!(
            out,
            "{:<18} {:<6} {:<16} {:<26} {:<9} {:<56} false (broken)",
            b.id,
            "-",
            "-",
            last_run,
            health,
            format!("{} problem(s), below", b.problems.len()),
        )?;
    }
    if !drifting.is_empty() {
        writeln!(out, "\n{} source(s) drifting:", drifting.len())?;
        for (id, judged) in &drifting {
            for alarm in &judged.alarms {
                writeln!(out, "  {id}: {}", alarm.message)?;
            }
        }
    }
    if !set.broken.is_empty() {
        writeln!(
            out,
            "\n{} broken source definition(s), not collected until fixed:",
            set.broken.len()
        )?;
        for p in set.broken.iter().flat_map(|b| &b.problems) {
            writeln!(out, "  {p}")?;
        }
    }
    Ok(Exit::Success)
}

pub(super) async fn sources_try(config: Config, args: TryArgs) -> anyhow::Result<Exit> {
    let source = pick_sources(&load_sources(&config), std::slice::from_ref(&args.source))?
        .into_iter()
        .next()
        .context("no source picked")?;
    let normalizer = normalizer()?;
    let fetcher = Fetcher::new(config.fetch_config())?;
    let options = run_options(
        &config,
        &source,
        args.base_url.as_deref(),
        args.auth_url.as_deref(),
    );
    let (postings, report) =
        pipeline::try_source(&fetcher, &normalizer, &source, &options, args.limit).await;
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    let mut shown = 0usize;
    for pipeline::TriedPosting { raw, posting } in &postings {
        let p = match posting {
            Ok(p) => p,
            Err(e) => {
                eprintln!("error: {e}");
                continue;
            }
        };
        shown += 1;
        let skills: Vec<&str> = p.skills.iter().map(|s| s.as_str()).collect();
        let implied: Vec<&str> = p.implied_skills.iter().map(|s| s.as_str()).collect();
        let posted = raw.posted_at.map(|d| d.to_string());
        if args.json {
            serde_json::to_writer(
                &mut out,
                &serde_json::json!({
                    "id": p.external_id, "title": p.title, "company": p.company, "url": p.url,
                    "posted_at": posted, "valid_through": p.valid_through.map(|d| d.to_string()),
                    "locations": p.locations, "places": p.places, "remote": p.remote,
                    "skills": skills, "implied_skills": implied, "tags": raw.tags,
                }),
            )?;
            writeln!(out)?;
        } else {
            let places: Vec<String> = p
                .places
                .iter()
                .map(|pl| {
                    pl.codes()
                        .next()
                        .map_or_else(String::new, |c| c.to_string())
                })
                .collect();
            writeln!(out, "{} [{}]", p.title, p.external_id)?;
            writeln!(
                out,
                "  company: {}  posted: {}  remote: {}",
                p.company.as_deref().unwrap_or("-"),
                posted.as_deref().unwrap_or("-"),
                p.remote
            )?;
            writeln!(
                out,
                "  places: {} ({})",
                places.join(", "),
                p.locations.join(" / ")
            )?;
            writeln!(out, "  skills: {}", skills.join(", "))?;
            if let Some(url) = &p.url {
                writeln!(out, "  {url}")?;
            }
        }
    }
    out.flush()?;
    for e in &report.errors {
        eprintln!("error: {e}");
    }
    eprintln!(
        "{}: {} page(s), {} item(s), {} shown, {} rejected, {} error(s)",
        source.id,
        report.pages,
        report.items,
        shown,
        report.rejected,
        report.error_count()
    );
    Ok(if shown == 0 && report.error_count() > 0 {
        Exit::Partial
    } else {
        Exit::Success
    })
}
