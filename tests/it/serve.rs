//! `skilltrack serve` as operators run it: it answers, and SIGTERM stops it
//! cleanly (exit 0, database flushed and reusable).

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::helpers::extractors_dir;

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serve_answers_then_stops_on_sigterm() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("db");
    let port = free_port();
    let mut child = Command::new(env!("CARGO_BIN_EXE_skilltrack"))
        .args([
            "--data-dir",
            db.to_str().unwrap(),
            "--extractors",
            extractors_dir().to_str().unwrap(),
            "serve",
            "--bind",
            &format!("127.0.0.1:{port}"),
        ])
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let url = format!("http://127.0.0.1:{port}/healthz");
    let started = Instant::now();
    let body = loop {
        match reqwest::get(&url).await {
            Ok(r) if r.status().is_success() => break r.text().await.unwrap(),
            _ if started.elapsed() > Duration::from_secs(30) => {
                let _ = child.kill();
                panic!("serve did not answer within 30 s");
            }
            _ => tokio::time::sleep(Duration::from_millis(100)).await,
        }
    };
    assert_eq!(body, r#"{"status":"ok"}"#);

    let status = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let deadline = Instant::now() + Duration::from_secs(20);
    let exit = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break s;
        }
        assert!(
            Instant::now() < deadline,
            "serve did not stop within 20 s of SIGTERM"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert!(exit.success(), "serve exited with {exit:?}");
    // The lock is released and the database opens again.
    skilltrack::store::SledStore::open(&db, 8).expect("database reopens after shutdown");
}
