//! Collection under control (issue #15) through the `skilltrack` binary:
//! SIGTERM during a catch-up run lets it finish within the grace period
//! (everything stored, exit 0, one start and one end log line); a second
//! signal exits at once, keeping what was stored; SIGHUP reloads the
//! sources (a broken set refused); `skilltrack run` while `serve` holds the
//! database asks the server with the admin token, and without one says
//! exactly what to do.

use std::path::Path;
use std::process::{Command, Output};
use std::time::Duration;

use skilltrack::domain::SourceId;
use skilltrack::store::{PostingStore, RunLog, SledStore};

use crate::control::source_file;
use crate::fault_server::{FaultServer, Reply};
use crate::helpers::json_page as page;
use crate::serve::{serve_with_env, terminate, Served};

/// Generous bound that only detects a hang (never a speed claim).
const HANG: Duration = Duration::from_secs(60);

/// The admin token of these tests.
const TOKEN: &str = "binary-admin-token";

/// A configuration that starts catch-up runs at once.
fn prompt_catch_up(dir: &Path) -> String {
    let path = dir.join("skilltrack.toml");
    std::fs::write(
        &path,
        "[schedule]\ncatch_up_spacing_secs = 0\ncatch_up_jitter_secs = 0\n",
    )
    .unwrap();
    path.to_str().unwrap().to_owned()
}

/// Two pages: the first at once, the second as `second`.
async fn two_pages(second: Reply) -> FaultServer {
    FaultServer::start(vec![
        (
            "/jobs",
            vec![Reply::ok(
                "application/json",
                page(&[1, 2], Some("/jobs?page=2")),
            )],
        ),
        ("/jobs?page=2", vec![second]),
    ])
    .await
}

async fn until_requested(server: &FaultServer, path: &str) {
    tokio::time::timeout(HANG, async {
        while server.hits(path) == 0 {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    })
    .await
    .unwrap_or_else(|_| panic!("{path} was never requested"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_lets_the_run_in_flight_finish_within_the_grace_period() {
    let server = two_pages(Reply::Drip {
        chunk: page(&[3], None).into_bytes(),
        count: 1,
        every: Duration::from_millis(1500),
    })
    .await;
    let dir = tempfile::tempdir().unwrap();
    let (db, extractors) = (dir.path().join("db"), dir.path().join("extractors"));
    std::fs::create_dir(&extractors).unwrap();
    // Daily: only the catch-up run (it never ran) fires during the test.
    source_file(&extractors, "daily", "0 20 4 * * *", &server.base);
    let config = prompt_catch_up(dir.path());
    let served = serve_with_env(
        &db,
        &extractors,
        &[],
        &[
            ("SKILLTRACK_CONFIG", &config),
            ("SKILLTRACK_SHUTDOWN_GRACE_SECS", "30"),
            // What the default filter is without RUST_LOG.
            ("RUST_LOG", &skilltrack::telemetry::default_filter("info")),
        ],
    );
    until_requested(&server, "/jobs?page=2").await;
    let exit = terminate(served.child).await;
    assert!(exit.success(), "serve exited with {exit:?}");

    let store = SledStore::open(&db, 8).unwrap();
    assert!(!store.recovered_on_open(), "counts were left unwritten");
    assert_eq!(store.posting_count().unwrap(), 3, "the run did not finish");
    let runs = store.runs(&SourceId::parse("daily").unwrap(), 5).unwrap();
    assert_eq!(runs.len(), 1, "{runs:?}");
    assert!(!runs[0].interrupted, "{:?}", runs[0]);
    assert_eq!(runs[0].new, 3);

    let log = std::fs::read_to_string(db.with_extension("log")).unwrap();
    assert_eq!(log.matches("Catch-up run due.").count(), 1, "{log}");
    assert_eq!(log.matches("Run started.").count(), 1, "{log}");
    assert!(log.contains("catch-up"), "{log}");
    assert_eq!(log.matches("Run finished.").count(), 1, "{log}");
    assert!(
        log.contains("Waiting for the runs in flight to finish."),
        "{log}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_signal_exits_at_once_keeping_what_was_stored() {
    let server = two_pages(Reply::Hang).await;
    let dir = tempfile::tempdir().unwrap();
    let (db, extractors) = (dir.path().join("db"), dir.path().join("extractors"));
    std::fs::create_dir(&extractors).unwrap();
    source_file(&extractors, "daily", "0 20 4 * * *", &server.base);
    let config = prompt_catch_up(dir.path());
    let Served { mut child, .. } = serve_with_env(
        &db,
        &extractors,
        &[],
        &[
            ("SKILLTRACK_CONFIG", &config),
            ("SKILLTRACK_SHUTDOWN_GRACE_SECS", "600"),
        ],
    );
    until_requested(&server, "/jobs?page=2").await;
    let pid = child.id().to_string();
    assert!(Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .unwrap()
        .success());
    // The grace period holds it...
    tokio::time::sleep(Duration::from_millis(700)).await;
    assert!(
        child.try_wait().unwrap().is_none(),
        "serve did not wait for the run"
    );
    // ...until a second signal.
    assert!(Command::new("kill")
        .args(["-INT", &pid])
        .status()
        .unwrap()
        .success());
    let exit = terminate_wait(&mut child).await;
    assert_eq!(exit.code(), Some(130), "{exit:?}");
    let store = SledStore::open(&db, 8).unwrap();
    assert_eq!(store.posting_count().unwrap(), 2, "page 1 was lost");
}

/// Waits for `child` to exit.
async fn terminate_wait(child: &mut std::process::Child) -> std::process::ExitStatus {
    tokio::time::timeout(HANG, async {
        loop {
            if let Some(s) = child.try_wait().unwrap() {
                return s;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    })
    .await
    .expect("serve exited")
}

/// `skilltrack run` on the database `serve` holds, with `token` (or none).
fn run_beside(db: &Path, extractors: &Path, server: &str, token: Option<&str>) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_skilltrack"));
    command
        .args([
            "--data-dir",
            db.to_str().unwrap(),
            "--extractors",
            extractors.to_str().unwrap(),
            "run",
            "daily",
            "--server",
            server,
        ])
        .env_remove("SKILLTRACK_ADMIN_TOKEN")
        .env("RUST_LOG", "warn");
    if let Some(t) = token {
        command.env("SKILLTRACK_ADMIN_TOKEN", t);
    }
    command.output().unwrap()
}

/// `serve` with the admin token and no catch-up, over one source
/// (`daily`, 04:20 UTC) whose one page at `/jobs` of a fault server lists
/// the postings `ids`; the database and the extractors are under the
/// returned directory (`db`, `extractors`).
async fn serve_daily_source(ids: &[u32]) -> (FaultServer, tempfile::TempDir, Served) {
    let server = FaultServer::start(vec![(
        "/jobs",
        vec![Reply::ok("application/json", page(ids, None))],
    )])
    .await;
    let dir = tempfile::tempdir().unwrap();
    let (db, extractors) = (dir.path().join("db"), dir.path().join("extractors"));
    std::fs::create_dir(&extractors).unwrap();
    source_file(&extractors, "daily", "0 20 4 * * *", &server.base);
    let served = serve_with_env(
        &db,
        &extractors,
        &["--no-catch-up"],
        &[("SKILLTRACK_ADMIN_TOKEN", TOKEN)],
    );
    (server, dir, served)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn run_while_serve_holds_the_database_asks_the_server_or_says_what_to_do() {
    let (server, dir, served) = serve_daily_source(&[1, 2]).await;
    let (db, extractors) = (dir.path().join("db"), dir.path().join("extractors"));
    let url = format!("http://{}", served.addr);
    let (db2, ex2, url2) = (db.clone(), extractors.clone(), url.clone());

    // No token: exactly what to do.
    let out = tokio::task::spawn_blocking(move || run_beside(&db2, &ex2, &url2, None))
        .await
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("set SKILLTRACK_ADMIN_TOKEN"), "{stderr}");
    assert!(stderr.contains("or stop the server"), "{stderr}");
    assert_eq!(server.hits("/jobs"), 0);

    // A wrong token: the server's refusal.
    let (db2, ex2, url2) = (db.clone(), extractors.clone(), url.clone());
    let out = tokio::task::spawn_blocking(move || run_beside(&db2, &ex2, &url2, Some("nope")))
        .await
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("refused to run daily (401)"), "{stderr}");

    // The token: the server runs it; the report is printed when the
    // server lists runs, else where to find it is.
    let (db2, ex2, url2) = (db.clone(), extractors.clone(), url.clone());
    let out = tokio::task::spawn_blocking(move || run_beside(&db2, &ex2, &url2, Some(TOKEN)))
        .await
        .unwrap();
    let (stdout, stderr) = (
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr),
    );
    assert!(out.status.success(), "{stderr}");
    assert!(stderr.contains("asking it to run daily"), "{stderr}");
    assert!(
        stdout.contains("2 new") || stderr.contains("goes on on the server"),
        "{stdout}\n{stderr}"
    );
    until_requested(&server, "/jobs").await;
    let exit = terminate(served.child).await;
    assert!(exit.success());
    let store = SledStore::open(&db, 8).unwrap();
    assert_eq!(store.posting_count().unwrap(), 2);
}

/// `POST` to `path` on `addr` with the test token; the status.
async fn post_status(addr: &str, path: &str) -> u16 {
    reqwest::Client::new()
        .post(format!("http://{addr}{path}"))
        .bearer_auth(TOKEN)
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sighup_reloads_the_sources_and_a_broken_set_is_refused() {
    let (server, dir, served) = serve_daily_source(&[1]).await;
    let (db, extractors) = (dir.path().join("db"), dir.path().join("extractors"));
    let pid = served.child.id().to_string();
    assert_eq!(
        post_status(&served.addr, "/api/v1/sources/added/run").await,
        404
    );

    // A broken file next to a new one: the whole set is refused.
    source_file(&extractors, "added", "0 20 4 * * *", &server.base);
    std::fs::write(
        extractors.join("typo.toml"),
        "kind = \"json\"\nnmae = \"x\"\n",
    )
    .unwrap();
    assert!(Command::new("kill")
        .args(["-HUP", &pid])
        .status()
        .unwrap()
        .success());
    let log = db.with_extension("log");
    tokio::time::timeout(HANG, async {
        while !std::fs::read_to_string(&log)
            .unwrap_or_default()
            .contains("Reload refused")
        {
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    })
    .await
    .expect("the refused reload is logged");
    assert_eq!(
        post_status(&served.addr, "/api/v1/sources/added/run").await,
        404
    );

    // Fixed: the new source is there.
    std::fs::remove_file(extractors.join("typo.toml")).unwrap();
    assert!(Command::new("kill")
        .args(["-HUP", &pid])
        .status()
        .unwrap()
        .success());
    tokio::time::timeout(HANG, async {
        while post_status(&served.addr, "/api/v1/sources/added/run").await != 202 {
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    })
    .await
    .expect("the reloaded set has the new source");
    let exit = terminate(served.child).await;
    assert!(exit.success(), "{exit:?}");
}
