//! `skilltrack run` while `skilltrack serve` holds the database: the run is
//! asked of the server (`POST /api/v1/sources/{id}/run` with the admin
//! token), then its report is awaited (`GET /api/v1/sources/{id}/runs`) and
//! printed. Without a token, what to do is said exactly.

use std::time::Duration;

use anyhow::{anyhow, Context as _};
use serde_json::Value;

use super::{print_report, Exit, RunArgs};
use crate::config::Config;
use crate::domain::RunReport;
use crate::shutdown::Shutdown;

/// Between two looks at the server's run reports.
const POLL_EVERY: Duration = Duration::from_secs(2);

/// Looks in a row that may fail to reach the server before the wait is
/// given up (the run goes on there).
const MAX_UNREACHABLE: u32 = 15;

/// What to tell the user when the database is held and no admin token is
/// set.
pub(super) fn no_token_advice(sources: &[String], server: &str) -> String {
    format!(
        "the database is in use by `skilltrack serve` (at {server}?). To run {} through it, set SKILLTRACK_ADMIN_TOKEN (or [api] admin_token) to the server's admin token and run this command again (add --server URL if it does not listen on the configured `bind`); or stop the server and run again",
        sources.join(", ")
    )
}

/// The server's base URL: `--server`, else the configured `bind` (an
/// unspecified address is reached on the loopback).
pub(super) fn server_url(config: &Config, args: &RunArgs) -> String {
    if let Some(url) = &args.server {
        return url.trim_end_matches('/').to_owned();
    }
    let mut addr = config.bind;
    if addr.ip().is_unspecified() {
        addr.set_ip(std::net::Ipv4Addr::LOCALHOST.into());
    }
    format!("http://{addr}")
}

/// Asks the server at `server` to run each source of `args`, one after the
/// other, and prints each report when the server has it.
pub(super) async fn run_on_server(
    config: &Config,
    args: &RunArgs,
    server: &str,
) -> anyhow::Result<Exit> {
    let Some(token) = &config.api.admin_token else {
        return Err(anyhow!(no_token_advice(&args.sources, server)));
    };
    if args.base_url.is_some() || args.auth_url.is_some() {
        return Err(anyhow!(
            "the database is in use by `skilltrack serve`, which cannot be asked to use --base-url or --auth-url: stop it, or run without them"
        ));
    }
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(30))
        .build()
        .context("cannot build an HTTP client")?;
    let shutdown = Shutdown::new();
    shutdown.on_signal();
    let mut failed = false;
    for id in &args.sources {
        eprintln!("The database is in use by the server at {server}: asking it to run {id}…");
        let run_id = match trigger(&client, server, token.expose(), id).await? {
            Triggered::Started(run_id) => run_id,
            Triggered::AlreadyRunning => {
                eprintln!("{id} is already running on the server: its report will be at {server}/api/v1/sources/{id}/runs");
                failed = true;
                continue;
            }
        };
        match wait_for_report(&client, server, id, &run_id, &shutdown).await? {
            Some(report) => {
                print_report(&report)?;
                failed |=
                    report.error_count() > 0 && report.new + report.unchanged + report.updated == 0;
            }
            None => {
                eprintln!("Run {run_id} of {id} goes on on the server; its report will be at {server}/api/v1/sources/{id}/runs (and in the server's log).");
                if shutdown.is_triggered() {
                    break;
                }
            }
        }
    }
    Ok(if failed { Exit::Partial } else { Exit::Success })
}

enum Triggered {
    Started(String),
    AlreadyRunning,
}

/// `POST /api/v1/sources/{id}/run`.
async fn trigger(
    client: &reqwest::Client,
    server: &str,
    token: &str,
    id: &str,
) -> anyhow::Result<Triggered> {
    let url = format!("{server}/api/v1/sources/{id}/run");
    let response = client
        .post(&url)
        .bearer_auth(token)
        .send()
        .await
        .with_context(|| format!("cannot reach the server at {server} (is it the one holding the database? use --server URL)"))?;
    let status = response.status().as_u16();
    let body: Value = response.json().await.unwrap_or(Value::Null);
    match status {
        202 => body["run_id"]
            .as_str()
            .map(|r| Triggered::Started(r.to_owned()))
            .ok_or_else(|| anyhow!("the server accepted the run but gave no run id: {body}")),
        409 => Ok(Triggered::AlreadyRunning),
        _ => Err(anyhow!(
            "the server refused to run {id} ({status}): {}",
            body["error"]["message"]
                .as_str()
                .unwrap_or("no reason given")
        )),
    }
}

/// Polls the server's run reports of `id` until the one started at
/// `run_id` is there; None when the server cannot list them (or the user
/// stopped waiting).
async fn wait_for_report(
    client: &reqwest::Client,
    server: &str,
    id: &str,
    run_id: &str,
    shutdown: &Shutdown,
) -> anyhow::Result<Option<RunReport>> {
    let url = format!("{server}/api/v1/sources/{id}/runs?limit=5");
    let mut unreachable = 0;
    loop {
        tokio::select! {
            _ = shutdown.wait() => return Ok(None),
            _ = tokio::time::sleep(POLL_EVERY) => {}
        }
        let response = match client.get(&url).send().await {
            Ok(r) => r,
            Err(e) if unreachable < MAX_UNREACHABLE => {
                unreachable += 1;
                eprintln!("Cannot reach the server ({e}); trying again…");
                continue;
            }
            Err(_) => return Ok(None),
        };
        unreachable = 0;
        if response.status() == reqwest::StatusCode::NOT_FOUND {
            return Ok(None);
        }
        let Ok(body) = response.json::<Value>().await else {
            continue;
        };
        if let Some(report) = find_report(&body, run_id) {
            return Ok(Some(report));
        }
    }
}

/// The run report in `body` (anywhere in it) whose `started_at` is `run_id`.
fn find_report(body: &Value, run_id: &str) -> Option<RunReport> {
    match body {
        Value::Object(map) if map.get("started_at").and_then(Value::as_str) == Some(run_id) => {
            serde_json::from_value(body.clone()).ok()
        }
        Value::Object(map) => map.values().find_map(|v| find_report(v, run_id)),
        Value::Array(items) => items.iter().find_map(|v| find_report(v, run_id)),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_report_of_the_run_is_found_wherever_the_listing_puts_it() {
        let body = serde_json::json!({
            "source": "a",
            "runs": [
                {"started_at": "2026-12-01T10:00:00Z", "new": 1},
                {"started_at": "2026-12-01T09:00:00Z", "new": 7, "pages": 2},
            ]
        });
        let report = find_report(&body, "2026-12-01T09:00:00Z").unwrap();
        assert_eq!((report.new, report.pages), (7, 2));
        assert!(find_report(&body, "2026-12-01T08:00:00Z").is_none());
        assert!(find_report(&Value::Null, "x").is_none());
    }

    #[test]
    fn the_advice_names_the_variable_and_the_alternative() {
        let text = no_token_advice(&["a".into(), "b".into()], "http://127.0.0.1:8080");
        assert!(text.contains("set SKILLTRACK_ADMIN_TOKEN"), "{text}");
        assert!(text.contains("run a, b through it"), "{text}");
        assert!(text.contains("or stop the server"), "{text}");
    }
}
