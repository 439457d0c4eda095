//! `skilltrack serve` as operators run it: it answers on the port it was
//! given (0: any free port, printed), SIGTERM stops it cleanly (exit 0,
//! database flushed and reusable), and a collection run caught by SIGTERM
//! stops between pages, is recorded, and leaves counts that need no recount.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use skilltrack::domain::SourceId;
use skilltrack::extract::load_source_set;
use skilltrack::pipeline::{run_source, RunOptions};
use skilltrack::store::{PostingStore, RunLog, SledStore};

use crate::fault_server::{FaultServer, Reply};
use crate::helpers::{
    context, extractors_dir, extractors_with_broken_files, json_page as page, temp_store,
    JSON_SOURCE,
};

/// Generous bound that only detects a hang (never a speed claim).
const HANG: Duration = Duration::from_secs(60);

/// A running `skilltrack serve` and the address it printed.
pub(crate) struct Served {
    pub(crate) child: Child,
    pub(crate) addr: String,
}

/// Starts `skilltrack serve --bind 127.0.0.1:0` and waits for the address it
/// prints on stdout. Its log goes to `db` + `.log`.
fn serve(db: &Path, extractors: &Path, extra: &[&str]) -> Served {
    serve_with_env(db, extractors, extra, &[])
}

/// [`serve`] with environment variables set (after the defaults, so
/// `RUST_LOG` may be replaced).
pub(crate) fn serve_with_env(
    db: &Path,
    extractors: &Path,
    extra: &[&str],
    envs: &[(&str, &str)],
) -> Served {
    let log = std::fs::File::create(db.with_extension("log")).unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_skilltrack"))
        .args([
            "--data-dir",
            db.to_str().unwrap(),
            "--extractors",
            extractors.to_str().unwrap(),
            "serve",
            "--bind",
            "127.0.0.1:0",
        ])
        .args(extra)
        .env("RUST_LOG", "warn")
        .env("SKILLTRACK_LOOPBACK_RATE", "1000/s")
        .envs(envs.iter().copied())
        .stdout(Stdio::piped())
        .stderr(log)
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if let Some(addr) = line.strip_prefix("skilltrack: serving on http://") {
                let _ = tx.send(addr.to_owned());
            }
        }
    });
    match rx.recv_timeout(HANG) {
        Ok(addr) => Served { child, addr },
        Err(_) => {
            let _ = child.kill();
            panic!("serve did not print its address");
        }
    }
}

/// Sends SIGTERM and waits for the exit status.
pub(crate) async fn terminate(mut child: Child) -> std::process::ExitStatus {
    let status = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let waited = tokio::time::timeout(HANG, async {
        loop {
            if let Some(s) = child.try_wait().unwrap() {
                return s;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    })
    .await;
    match waited {
        Ok(status) => status,
        Err(_) => {
            let _ = child.kill();
            panic!("serve did not stop after SIGTERM");
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serve_answers_then_stops_on_sigterm() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("db");
    // The bundled sources, never scheduled: no test reaches a real site.
    let served = serve(&db, &extractors_dir(), &["--no-schedule"]);
    let body = reqwest::get(format!("http://{}/healthz", served.addr))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(body, r#"{"status":"ok"}"#);

    let exit = terminate(served.child).await;
    assert!(exit.success(), "serve exited with {exit:?}");
    // The lock is released and the database opens again, with nothing to recount.
    let store = SledStore::open(&db, 8).expect("database reopens after shutdown");
    assert!(!store.recovered_on_open());
}

/// A source collected every second from `base`, with a default country.
fn every_second_source(dir: &Path, base: &str) {
    let text = format!(
        "schedule = \"* * * * * *\"\ncountry = \"FR\"\n{}",
        JSON_SOURCE.replace("https://jobs.example.org", base)
    );
    std::fs::write(dir.join("every.toml"), text).unwrap();
}

/// SIGTERM while a scheduled run waits for its second page: the run stops
/// there (the page in flight abandoned), is recorded as interrupted, the
/// database is flushed after its last write (no recount at the next start,
/// counts equal a recount of what was stored), and running the source again
/// gives the counts of one uninterrupted run.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_during_a_run_stops_between_pages_and_needs_no_recount() {
    let hanging = FaultServer::start(vec![
        (
            "/jobs",
            vec![Reply::ok(
                "application/json",
                page(&[1, 2], Some("/jobs?page=2")),
            )],
        ),
        ("/jobs?page=2", vec![Reply::Hang]),
    ])
    .await;
    let dir = tempfile::tempdir().unwrap();
    let (db, extractors) = (dir.path().join("db"), dir.path().join("extractors"));
    std::fs::create_dir(&extractors).unwrap();
    every_second_source(&extractors, &hanging.base);
    // A broken file next to it does not stop the valid source being collected.
    std::fs::write(
        extractors.join("broken.toml"),
        "kind = \"json\"\nnmae = \"typo\"\n",
    )
    .unwrap();

    let served = serve(&db, &extractors, &[]);
    // Page 1 is stored before page 2 is asked for.
    tokio::time::timeout(HANG, async {
        while !hanging.log().iter().any(|l| l.path == "/jobs?page=2") {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    })
    .await
    .expect("the scheduled run reached page 2");
    let exit = terminate(served.child).await;
    assert!(exit.success(), "serve exited with {exit:?}");

    let store = std::sync::Arc::new(SledStore::open(&db, 8).unwrap());
    assert!(
        !store.recovered_on_open(),
        "counts were left unwritten at shutdown"
    );
    assert_eq!(store.posting_count().unwrap(), 2);
    let source = SourceId::parse("every").unwrap();
    let runs = store.runs(&source, 5).unwrap();
    let interrupted: Vec<_> = runs.iter().filter(|r| r.interrupted).collect();
    assert_eq!(interrupted.len(), 1, "{runs:?}");
    assert_eq!(interrupted[0].new, 2, "{:?}", interrupted[0]);
    assert!(interrupted[0].summary().contains("interrupted by shutdown"));
    let counts = store.all_counts().unwrap();
    store.rebuild(None, &mut |_| {}).unwrap();
    assert!(
        store.all_counts().unwrap() == counts,
        "stored counts differ from a recount"
    );

    // Collected again, now that page 2 answers: the counts of one
    // uninterrupted run.
    let healthy = FaultServer::start(vec![
        (
            "/jobs",
            vec![Reply::ok(
                "application/json",
                page(&[1, 2], Some("/jobs?page=2")),
            )],
        ),
        (
            "/jobs?page=2",
            vec![Reply::ok("application/json", page(&[3], None))],
        ),
    ])
    .await;
    let defs = load_source_set(&extractors).sources;
    assert_eq!(defs[0].id.as_str(), "every");
    let options = RunOptions {
        base_url: Some(healthy.base.clone()),
        ..RunOptions::default()
    };
    let again = run_source(&context(store.clone()), &defs[0], &options).await;
    assert_eq!((again.new, again.unchanged), (1, 2), "{again:?}");
    let (_clean_dir, clean) = temp_store();
    let once = run_source(&context(clean.clone()), &defs[0], &options).await;
    assert_eq!(once.new, 3, "{once:?}");
    assert!(store.all_counts().unwrap() == clean.all_counts().unwrap());
}

/// A broken or stray source file, or no extractors directory at all, does
/// not keep the API from starting: the problems are logged.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serve_starts_with_broken_or_missing_source_files() {
    let dir = tempfile::tempdir().unwrap();
    let extractors = extractors_with_broken_files(dir.path(), &["arbeitnow"]);
    for (db, extractors) in [
        (dir.path().join("db1"), extractors.clone()),
        (dir.path().join("db2"), dir.path().join("no-such-dir")),
    ] {
        let served = serve(&db, &extractors, &["--no-schedule"]);
        let status = reqwest::get(format!("http://{}/healthz", served.addr))
            .await
            .unwrap()
            .status();
        assert_eq!(status, 200);
        assert!(terminate(served.child).await.success());
        let log = std::fs::read_to_string(db.with_extension("log")).unwrap();
        if extractors.ends_with("no-such-dir") {
            assert!(
                log.contains("cannot read the extractors directory"),
                "{log}"
            );
        } else {
            assert!(log.contains("broken.toml") && log.contains("nmae"), "{log}");
            assert!(
                log.contains("notes.toml") && log.contains("not valid TOML"),
                "{log}"
            );
        }
    }
}
