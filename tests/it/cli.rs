//! The `skilltrack` binary as users run it.

use std::io::Write;
use std::process::{Command, Output, Stdio};

use crate::helpers::{extractors_dir, json_lines, text, FixtureServer, ARBEITNOW};

fn skilltrack(args: &[&str], stdin: Option<&str>) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_skilltrack"))
        .args(args)
        .env("RUST_LOG", "warn")
        .env_remove("SKILLTRACK_CONFIG")
        // Fixture servers are on loopback: no politeness wait.
        .env("SKILLTRACK_LOOPBACK_RATE", "1000/s")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("binary runs");
    if let Some(input) = stdin {
        child
            .stdin
            .take()
            .unwrap()
            .write_all(input.as_bytes())
            .unwrap();
    }
    drop(child.stdin.take());
    child.wait_with_output().unwrap()
}

#[test]
fn extract_prints_one_line_per_posting_and_names_bad_lines() {
    let input = concat!(
        r#"{"id": "fr-1", "title": "Ingénieur DevOps Kubernetes (H/F)", "description": "<p>Linux, Ansible et PostgreSQL. Certification RHCSA appréciée.</p>", "location": "75 - PARIS 09", "remote": false}"#,
        "\n",
        "not json\n",
        r#"{"id": "en-2", "title": "Rust engineer", "location": ["Berlin, Germany", "Remote"]}"#,
        "\n"
    );
    let out = skilltrack(&["extract", "-"], Some(input));
    assert_eq!(out.status.code(), Some(2), "bad lines make exit code 2");
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains("line 2: not a JSON posting object"),
        "{stderr}"
    );
    let lines = json_lines(&out.stdout);
    assert_eq!(lines.len(), 2);
    let first = &lines[0];
    assert_eq!(first["id"], "fr-1");
    for skill in ["kubernetes", "linux", "ansible", "postgresql", "rhcsa"] {
        assert!(
            first["skills"]
                .as_array()
                .unwrap()
                .iter()
                .any(|s| s == skill),
            "{skill} in {first}"
        );
    }
    assert_eq!(first["places"][0]["department"], "FR-75");
    assert_eq!(first["places"][0]["region"], "FR-IDF");
    assert_eq!(first["places"][0]["country"], "FR");
    assert_eq!(first["remote"], false);
    let second = &lines[1];
    assert_eq!(second["skills"], serde_json::json!(["rust"]));
    assert_eq!(second["places"][0]["country"], "DE");
    assert_eq!(second["remote"], true);
}

#[test]
fn import_reports_bad_lines_and_stores_good_ones() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("postings.jsonl");
    std::fs::write(
        &file,
        "{\"id\": \"1\", \"title\": \"Développeur Python\", \"posted_at\": \"2025-01-02\", \"location\": \"Paris\"}\n\
         {\"id\": \"2\", \"title\": \"\"}\n\
         {\"id\": \"3\", \"title\": \"Data engineer Python\", \"posted_at\": \"2025-01-02\", \"location\": \"Lyon\"}\n",
    )
    .unwrap();
    let db = dir.path().join("db");
    let out = skilltrack(
        &[
            "--data-dir",
            db.to_str().unwrap(),
            "import",
            file.to_str().unwrap(),
        ],
        None,
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("line 2: posting \"2\": missing \"title\""),
        "{}",
        text(&out.stderr)
    );
    assert!(text(&out.stdout).contains("2 new"), "{}", text(&out.stdout));

    let csv = skilltrack(
        &[
            "--data-dir",
            db.to_str().unwrap(),
            "export",
            "trends",
            "--skills",
            "python",
            "--geo",
            "FR",
            "--from",
            "2025-01-01",
            "--to",
            "2025-01-03",
            "--interval",
            "day",
            "--delimiter",
            ";",
        ],
        None,
    );
    assert!(csv.status.success(), "{}", text(&csv.stderr));
    assert_eq!(
        text(&csv.stdout),
        "date;skill;geo;metric;interval;count;total;share\n\
         2025-01-01;python;FR;new;day;0;0;\n\
         2025-01-02;python;FR;new;day;2;2;1.000000\n\
         2025-01-03;python;FR;new;day;0;0;\n"
    );

    let unknown = skilltrack(
        &[
            "--data-dir",
            db.to_str().unwrap(),
            "export",
            "trends",
            "--skills",
            "pyhton",
        ],
        None,
    );
    assert_eq!(unknown.status.code(), Some(1));
    assert!(
        text(&unknown.stderr).contains("unknown skill \"pyhton\"; did you mean \"python\"?"),
        "{}",
        text(&unknown.stderr)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn run_against_a_mirror_then_export_csv_file() {
    let server = FixtureServer::start(ARBEITNOW).await;
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("db");
    let csv_path = dir.path().join("out.csv");
    let (db_s, csv_s, base, ext) = (
        db.to_str().unwrap().to_owned(),
        csv_path.to_str().unwrap().to_owned(),
        server.base.clone(),
        extractors_dir().to_str().unwrap().to_owned(),
    );
    let (run, export) = tokio::task::spawn_blocking(move || {
        let run = skilltrack(
            &[
                "--data-dir",
                &db_s,
                "--extractors",
                &ext,
                "run",
                "arbeitnow",
                "--base-url",
                &base,
            ],
            None,
        );
        let export = skilltrack(
            &[
                "--data-dir",
                &db_s,
                "export",
                "trends",
                "--skills",
                "kubernetes,rust",
                "--geo",
                "WORLD",
                "--from",
                "2026-11-01",
                "--to",
                "2026-11-30",
                "--interval",
                "month",
                "-o",
                &csv_s,
            ],
            None,
        );
        (run, export)
    })
    .await
    .unwrap();
    assert!(
        run.status.success(),
        "{}\n{}",
        text(&run.stdout),
        text(&run.stderr)
    );
    assert!(
        text(&run.stdout).contains("arbeitnow: 2 page(s), 6 item(s): 5 new"),
        "{}",
        text(&run.stdout)
    );
    assert!(export.status.success(), "{}", text(&export.stderr));
    let csv = std::fs::read_to_string(&csv_path).unwrap();
    assert_eq!(
        csv,
        "date,skill,geo,metric,interval,count,total,share\n\
         2026-11-01,kubernetes,WORLD,new,month,2,5,0.400000\n\
         2026-11-01,rust,WORLD,new,month,1,5,0.200000\n"
    );
}

#[test]
fn unknown_source_is_a_configuration_error_with_a_suggestion() {
    let out = skilltrack(
        &[
            "--extractors",
            extractors_dir().to_str().unwrap(),
            "run",
            "arbeitnwo",
        ],
        None,
    );
    assert_eq!(out.status.code(), Some(3));
    assert!(
        text(&out.stderr).contains("unknown source \"arbeitnwo\". Did you mean \"arbeitnow\"?"),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn sources_check_reports_every_problem_and_exits_3() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("bad.toml"),
        "name = \"Bad\"\nkind = \"json\"\nschedule = \"every day\"\nbase_url = \"ftp://x\"\nstart = [\"jobs\"]\n[fields]\nid = \"id\"\n",
    )
    .unwrap();
    std::fs::write(
        dir.path().join("typo.toml"),
        "name = \"T\"\nkind = \"json\"\nbase_urll = \"x\"\n",
    )
    .unwrap();
    let out = skilltrack(
        &[
            "--extractors",
            dir.path().to_str().unwrap(),
            "sources",
            "check",
        ],
        None,
    );
    assert_eq!(out.status.code(), Some(3));
    let err = text(&out.stderr);
    for expected in [
        "bad.toml: `schedule`: \"every day\" is not a valid cron expression",
        "bad.toml: `base_url`: \"ftp://x\": scheme \"ftp\" is not http or https",
        "bad.toml: `start`: \"jobs\" must be a path starting with '/'",
        "bad.toml: `fields.title`: is required",
        "typo.toml: `base_urll`: unknown key `base_urll`, did you mean `base_url`?",
    ] {
        assert!(err.contains(expected), "missing {expected:?} in:\n{err}");
    }
    let ok = skilltrack(
        &[
            "--extractors",
            extractors_dir().to_str().unwrap(),
            "sources",
            "check",
        ],
        None,
    );
    assert!(ok.status.success(), "{}", text(&ok.stderr));
}
