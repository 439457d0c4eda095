//! `skilltrack demo` end to end, through the binary: the bundled board
//! collected through the normal pipeline into a temporary directory, then
//! served; the API shows the stories built into the data (CKA taking off in
//! Bretagne, Rust rising, AngularJS declining), postings from all four
//! kinds, départements resolved; SIGTERM stops it and removes the directory.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;
use skilltrack::domain::Day;

fn get(base: &str, path: &str) -> Value {
    let url = format!("{base}{path}");
    let body = http_get(base, path);
    serde_json::from_slice(&body).unwrap_or_else(|e| panic!("{url}: {e}"))
}

/// A GET over a raw socket (the test needs no HTTP client of its own).
fn http_get(base: &str, path: &str) -> Vec<u8> {
    use std::io::{Read, Write};
    let addr = base.trim_start_matches("http://");
    let mut s = std::net::TcpStream::connect(addr).expect("connect");
    write!(s, "GET {path} HTTP/1.0\r\nHost: {addr}\r\n\r\n").unwrap();
    let mut raw = Vec::new();
    s.read_to_end(&mut raw).unwrap();
    let at = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .expect("headers");
    let head = String::from_utf8_lossy(&raw[..at]);
    assert!(
        head.starts_with("HTTP/1.1 200") || head.starts_with("HTTP/1.0 200"),
        "{path}: {head}"
    );
    raw[at + 4..].to_vec()
}

/// The entry of `skill` in a `/api/v1/top` answer.
fn skill<'a>(top: &'a Value, id: &str) -> &'a Value {
    top["skills"]
        .as_array()
        .and_then(|a| a.iter().find(|s| s["skill"] == id))
        .unwrap_or_else(|| panic!("{id} not in {top}"))
}

fn share(v: &Value, key: &str) -> f64 {
    v[key].as_f64().unwrap_or_else(|| panic!("no {key} in {v}"))
}

#[test]
fn the_demo_collects_the_board_and_shows_its_trends() {
    let logs = tempfile::tempdir().unwrap();
    let stderr_path = logs.path().join("stderr");
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_skilltrack"));
    for (k, _) in std::env::vars() {
        if k.starts_with("SKILLTRACK_") {
            cmd.env_remove(k);
        }
    }
    let started = Instant::now();
    let mut child = cmd
        .args(["demo", "--bind", "127.0.0.1:0"])
        .stdout(Stdio::piped())
        .stderr(std::fs::File::create(&stderr_path).unwrap())
        .spawn()
        .expect("start skilltrack demo");
    let stdout = BufReader::new(child.stdout.take().unwrap());
    let mut base = None;
    let mut printed = String::new();
    for line in stdout.lines() {
        let line = line.unwrap();
        printed.push_str(&line);
        printed.push('\n');
        if let Some(url) = line.strip_prefix("skilltrack: serving on ") {
            base = Some(url.to_owned());
        }
        if line.starts_with("Ctrl-C stops the demo.") {
            break;
        }
    }
    let ready = started.elapsed();
    let stderr = std::fs::read_to_string(&stderr_path).unwrap();
    let base = base.unwrap_or_else(|| panic!("no address printed:\n{printed}\n{stderr}"));
    eprintln!("demo ready in {ready:?}");
    // The three example queries are printed and answer.
    let curls: Vec<&str> = printed
        .lines()
        .filter_map(|l| l.trim().strip_prefix("curl -s '"))
        .collect();
    assert_eq!(curls.len(), 3, "{printed}");
    for c in curls {
        let path = c.trim_end_matches('\'').trim_start_matches(base.as_str());
        let v = get(&base, path);
        assert!(v.is_object(), "{path}: {v}");
    }

    let today = Day::today();
    let from = today.add_days(-90);
    // CKA in Bretagne: the last 3 months against the same 3 months a year before.
    let top = get(
        &base,
        &format!("/api/v1/top?geo=FR-BRE&from={from}&to={today}&category=certification"),
    );
    let cka = skill(&top, "cka");
    let (now, before) = (share(cka, "share"), share(cka, "yoy_share"));
    assert!(
        now > 0.3 && before < 0.1 && now > 4.0 * before,
        "CKA in FR-BRE: {before} → {now}"
    );
    // Rust rises everywhere; AngularJS declines (over 6 months, more postings).
    let from6 = today.add_days(-182);
    let world = get(
        &base,
        &format!("/api/v1/top?geo=WORLD&from={from6}&to={today}&limit=200"),
    );
    let rust = skill(&world, "rust");
    assert!(
        share(rust, "share") > 2.0 * share(rust, "yoy_share"),
        "{rust}"
    );
    let angularjs = skill(&world, "angularjs");
    assert!(
        share(angularjs, "share") < 0.6 * share(angularjs, "yoy_share"),
        "{angularjs}"
    );

    // Postings came from each of the four kinds' sources.
    for source in ["demo-json", "demo-html", "demo-jsonld", "demo-rss"] {
        let page = get(
            &base,
            &format!("/api/v1/postings?skill=*&source={source}&limit=1"),
        );
        let items = page["postings"].as_array().map_or(0, Vec::len);
        assert_eq!(items, 1, "{source}: {page}");
    }
    // Départements resolved: Ille-et-Vilaine (Rennes, Cesson-Sévigné) and Paris.
    for geo in ["FR-35", "FR-75", "FR-29"] {
        let top = get(&base, &format!("/api/v1/top?geo={geo}&limit=1"));
        assert!(top["total"].as_u64().unwrap_or(0) > 10, "{geo}: {top}");
    }

    let data_dir = stderr
        .lines()
        .find_map(|l| l.strip_prefix("Data directory: "))
        .and_then(|l| l.strip_suffix(" (removed at exit)"))
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| panic!("no data directory in:\n{stderr}"));
    assert!(data_dir.exists());
    assert!(Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap()
        .success());
    let deadline = Instant::now() + Duration::from_secs(20);
    let status = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break s;
        }
        assert!(Instant::now() < deadline, "demo did not stop on SIGTERM");
        std::thread::sleep(Duration::from_millis(100));
    };
    assert_eq!(status.code(), Some(0));
    assert!(!data_dir.exists(), "{} left behind", data_dir.display());
}
