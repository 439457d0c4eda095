//! The `skilltrack` binary as users run it.

use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::mpsc;
use std::time::Duration;

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

/// Issue 12: prerequisites are listed (`requires`) but never extracted; a
/// family is extracted as implied.
#[test]
fn skills_json_lists_prerequisites_that_extract_never_counts() {
    let out = skilltrack(&["skills", "--json", "--category", "framework"], None);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let lines = json_lines(&out.stdout);
    let django = lines
        .iter()
        .find(|l| l["id"] == "django")
        .expect("django listed");
    assert_eq!(django["requires"], serde_json::json!(["python"]));
    assert_eq!(django["implies"], serde_json::json!([]));
    assert!(lines.iter().all(|l| l["requires"].is_array()));
    let input = r#"{"id": "1", "title": "Développeur Django", "description": "Déploiement sur OpenShift, code sur GitLab."}"#;
    let out = skilltrack(&["extract", "-"], Some(input));
    assert!(out.status.success(), "{}", text(&out.stderr));
    let line = &json_lines(&out.stdout)[0];
    assert_eq!(
        line["skills"],
        serde_json::json!(["django", "gitlab", "openshift"])
    );
    assert_eq!(
        line["implied_skills"],
        serde_json::json!(["git", "kubernetes"])
    );
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
        // 2 of 2: [2 / 5.8415, 1] = [0.342380, 1]; no total, no share.
        "date;skill;geo;metric;interval;count;total;share;low;high;low_support\n\
         2025-01-01;python;FR;new;day;0;0;;;;true\n\
         2025-01-02;python;FR;new;day;2;2;1,000000;0,342380;1,000000;true\n\
         2025-01-03;python;FR;new;day;0;0;;;;true\n"
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
        "date,skill,geo,metric,interval,count,total,share,low,high,low_support\n\
         2026-11-01,kubernetes,WORLD,new,month,2,5,0.400000,0.117621,0.769276,true\n\
         2026-11-01,rust,WORLD,new,month,1,5,0.200000,0.036224,0.624465,true\n"
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

/// Longest a command may take before it is taken for a hang and killed.
const HANG: Duration = Duration::from_secs(120);

/// Runs the binary with extra environment variables, in `cwd` when given,
/// stdin empty. A run still going after [`HANG`] is killed and fails the test.
fn run(args: &[&str], env: &[(&str, &str)], cwd: Option<&Path>) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_skilltrack"));
    command
        .args(args)
        .env("RUST_LOG", "warn")
        .env_remove("SKILLTRACK_CONFIG")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for (k, v) in env {
        command.env(k, v);
    }
    if let Some(dir) = cwd {
        command.current_dir(dir);
    }
    let mut child = command.spawn().expect("binary runs");
    let (mut stdout, mut stderr) = (child.stdout.take().unwrap(), child.stderr.take().unwrap());
    // The pipes close when the child ends.
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let err = std::thread::spawn(move || {
            let mut bytes = Vec::new();
            let _ = stderr.read_to_end(&mut bytes);
            bytes
        });
        let mut out = Vec::new();
        let _ = stdout.read_to_end(&mut out);
        let _ = tx.send((out, err.join().unwrap_or_default()));
    });
    match rx.recv_timeout(HANG) {
        Ok((stdout, stderr)) => Output {
            status: child.wait().unwrap(),
            stdout,
            stderr,
        },
        Err(_) => {
            let _ = child.kill();
            let _ = child.wait();
            panic!("skilltrack {args:?} still running after {HANG:?}: killed");
        }
    }
}

/// `--data-dir DB` then `args`.
fn on(db: &Path, args: &[&str]) -> Output {
    let mut all = vec!["--data-dir", db.to_str().unwrap()];
    all.extend_from_slice(args);
    run(&all, &[], None)
}

/// 30 postings (python, rust or kubernetes, Paris or Lyon, 2025-01-01..03).
fn postings_file(path: &Path) {
    let mut text = String::new();
    for i in 0..30 {
        let skill = ["Python", "Rust", "Kubernetes"][i % 3];
        let place = ["75 - PARIS 09", "Lyon 3e"][i % 2];
        let line = serde_json::json!({
            "id": format!("p-{i}"),
            "title": format!("Développeur {skill} ({i})"),
            "company": format!("Société {i}"),
            "location": place,
            "posted_at": format!("2025-01-0{}", 1 + i % 3),
            "description": format!("Poste {i} : Linux, Docker et Git. Télétravail partiel."),
        });
        text.push_str(&line.to_string());
        text.push('\n');
    }
    std::fs::write(path, text).unwrap();
}

/// A data directory holding [`postings_file`]'s postings.
fn populated(dir: &Path) -> PathBuf {
    let file = dir.join("postings.jsonl");
    postings_file(&file);
    let db = dir.join("db");
    let out = on(&db, &["import", file.to_str().unwrap()]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    db
}

const TRENDS: &[&str] = &[
    "export",
    "trends",
    "--skills",
    "python,rust,kubernetes,linux",
    "--geo",
    "FR",
    "--from",
    "2025-01-01",
    "--to",
    "2025-01-03",
    "--interval",
    "day",
];

/// Issue #11: `import DIR` read the same error forever, growing memory.
#[test]
fn importing_a_directory_ends_with_an_error_naming_it() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("not-a-file");
    std::fs::create_dir(&input).unwrap();
    let out = on(&dir.path().join("db"), &["import", input.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    let err = text(&out.stderr);
    assert!(
        err.contains(&format!(
            "{}: import stopped: cannot read line 1:",
            input.display()
        )) && err.contains("directory"),
        "{err}"
    );
}

/// Issue #11: a line over `SKILLTRACK_MAX_LINE_MB` is skipped and reported
/// by number; the lines around it are stored.
#[test]
fn an_over_long_line_is_reported_by_number_and_the_others_imported() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("in.jsonl");
    let long = format!(
        r#"{{"id": "big", "title": "Dev", "description": "{}"}}"#,
        "x".repeat(3 << 19)
    );
    std::fs::write(
        &file,
        format!(
            "{{\"id\": \"1\", \"title\": \"Dev Python\"}}\n{long}\n{{\"id\": \"3\", \"title\": \"Dev Rust\"}}\n"
        ),
    )
    .unwrap();
    let db = dir.path().join("db");
    let args = [
        "--data-dir",
        db.to_str().unwrap(),
        "import",
        file.to_str().unwrap(),
    ];
    let out = run(&args, &[("SKILLTRACK_MAX_LINE_MB", "1")], None);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
    assert!(
        text(&out.stderr).contains("line 2: longer than 1048576 bytes, skipped"),
        "{}",
        text(&out.stderr)
    );
    assert!(
        text(&out.stdout).contains("2 new, 0 updated, 0 unchanged, 1 rejected"),
        "{}",
        text(&out.stdout)
    );
}

/// Invalid UTF-8 in one line stopped `extract` there; it is a bad line.
#[test]
fn extract_reports_a_line_that_is_not_utf8_and_goes_on() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("in.jsonl");
    std::fs::write(
        &file,
        b"{\"id\": \"1\", \"title\": \"Dev \xe9\"}\n{\"id\": \"2\", \"title\": \"Dev Rust\"}\n",
    )
    .unwrap();
    let out = run(&["extract", file.to_str().unwrap()], &[], None);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
    assert!(
        text(&out.stderr).contains("line 1: not UTF-8 text"),
        "{}",
        text(&out.stderr)
    );
    assert_eq!(json_lines(&out.stdout).len(), 1);
}

/// Issue #11: a damaged text stopped `backup` and `export postings` at the
/// first bad record. The rest is written; the postings concerned are listed
/// (exit 2); the backup keeps them without text and restores to the same
/// counts.
#[test]
fn a_damaged_text_is_listed_and_everything_else_backed_up_and_exported() {
    let dir = tempfile::tempdir().unwrap();
    let db = populated(dir.path());
    let trends = on(&db, TRENDS);
    assert!(trends.status.success(), "{}", text(&trends.stderr));
    let log = db.join("texts-0.log");
    let mut bytes = std::fs::read(&log).unwrap();
    let middle = bytes.len() / 2;
    bytes[middle] ^= 0x55;
    std::fs::write(&log, bytes).unwrap();

    let file = dir.path().join("backup.jsonl");
    let backup = on(&db, &["backup", file.to_str().unwrap()]);
    assert_eq!(backup.status.code(), Some(2), "{}", text(&backup.stderr));
    let err = text(&backup.stderr);
    assert!(err.contains("backed up 30 postings"), "{err}");
    assert!(err.contains("1 postings with an unreadable text"), "{err}");
    let listed: Vec<&str> = err.lines().filter(|l| l.starts_with("posting ")).collect();
    assert_eq!(listed.len(), 1, "{err}");
    let lines = json_lines(std::fs::read(&file).unwrap().as_slice());
    assert_eq!(lines.len(), 31);
    let lost: Vec<_> = lines.iter().filter(|l| l["text_lost"] == true).collect();
    assert_eq!(lost.len(), 1);
    let id = format!(
        "posting {}: text unreadable",
        lost[0]["id"].as_str().unwrap()
    );
    assert!(listed[0].starts_with(&id), "{err}");

    let jsonl = on(&db, &["export", "postings"]);
    assert_eq!(jsonl.status.code(), Some(2), "{}", text(&jsonl.stderr));
    assert_eq!(json_lines(&jsonl.stdout).len(), 29);
    assert!(text(&jsonl.stderr).contains(&id), "{}", text(&jsonl.stderr));
    let csv = on(&db, &["export", "postings", "--format", "csv"]);
    assert!(csv.status.success(), "{}", text(&csv.stderr));
    assert_eq!(
        text(&csv.stdout).lines().count(),
        31,
        "the CSV has no text column"
    );

    // Restored: the same counts; the lost text is still known lost.
    let restored = dir.path().join("restored");
    let out = on(&restored, &["restore", file.to_str().unwrap()]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(on(&restored, TRENDS).stdout, trends.stdout);
    let again = on(&restored, &["export", "postings"]);
    assert_eq!(again.status.code(), Some(2));
    assert!(text(&again.stderr).contains(&id), "{}", text(&again.stderr));
}

/// Issue #11: a destroyed text-log header stopped every command. The store
/// opens with a warning naming the file; counts and trends work; texts
/// imported again are written to a new file and read back.
#[test]
fn a_destroyed_text_log_header_leaves_counts_and_trends_usable() {
    let dir = tempfile::tempdir().unwrap();
    let db = populated(dir.path());
    let trends = on(&db, TRENDS);
    assert!(trends.status.success(), "{}", text(&trends.stderr));
    assert!(text(&trends.stdout).contains("2025-01-01,python,FR,new,day,"));
    let log = db.join("texts-0.log");
    let mut bytes = std::fs::read(&log).unwrap();
    bytes[..8].copy_from_slice(b"XXXXXXXX");
    std::fs::write(&log, bytes).unwrap();

    let damaged = on(&db, TRENDS);
    assert!(damaged.status.success(), "{}", text(&damaged.stderr));
    assert_eq!(damaged.stdout, trends.stdout);
    let warning = text(&damaged.stderr);
    assert!(
        warning.contains("texts-0.log")
            && warning.contains("damaged")
            && warning.contains("backup"),
        "{warning}"
    );
    let backup = on(
        &db,
        &["backup", dir.path().join("b.jsonl").to_str().unwrap()],
    );
    assert_eq!(backup.status.code(), Some(2), "{}", text(&backup.stderr));
    assert!(text(&backup.stderr).contains("30 postings with an unreadable text"));

    // Imported again: the texts are written anew (to texts-1.log).
    let file = dir.path().join("postings.jsonl");
    let out = on(&db, &["import", file.to_str().unwrap()]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(db.join("texts-1.log").exists());
    let export = on(&db, &["export", "postings"]);
    assert!(export.status.success(), "{}", text(&export.stderr));
    let postings = json_lines(&export.stdout);
    assert_eq!(postings.len(), 30);
    assert!(postings[0]["description"]
        .as_str()
        .unwrap()
        .contains("Linux, Docker"));
    assert_eq!(on(&db, TRENDS).stdout, trends.stdout);
}

/// Issue #11: a backup written inside the data directory could overwrite
/// the database (`backup DB/texts-0.log` truncated the text log).
#[test]
fn a_backup_inside_the_data_directory_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let db = populated(dir.path());
    let log = db.join("texts-0.log");
    let size = std::fs::metadata(&log).unwrap().len();
    let new_file = db.join("sub").join("new.jsonl");
    let dotted = dir.path().join("db/../db/b.jsonl");
    for file in [&log, &new_file, &dotted] {
        let out = on(&db, &["backup", file.to_str().unwrap()]);
        assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
        assert!(
            text(&out.stderr).contains("inside the data directory"),
            "{}",
            text(&out.stderr)
        );
    }
    #[cfg(unix)]
    {
        let link = dir.path().join("dangling.jsonl");
        std::os::unix::fs::symlink(db.join("new.jsonl"), &link).unwrap();
        let out = on(&db, &["backup", link.to_str().unwrap()]);
        assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
        assert!(!db.join("new.jsonl").exists());
    }
    assert_eq!(std::fs::metadata(&log).unwrap().len(), size);
    assert!(!dotted.exists());
    let outside = on(
        &db,
        &["backup", dir.path().join("b.jsonl").to_str().unwrap()],
    );
    assert!(outside.status.success(), "{}", text(&outside.stderr));
}

/// Issue #11: `cache_mb = 0` panicked inside sled (exit 101).
#[test]
fn a_zero_cache_is_a_configuration_error() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("c.toml");
    std::fs::write(&config, "cache_mb = 0\n").unwrap();
    let db = dir.path().join("db");
    let db = db.to_str().unwrap();
    let from_file = run(
        &[
            "--config",
            config.to_str().unwrap(),
            "--data-dir",
            db,
            "export",
            "trends",
            "--skills",
            "python",
        ],
        &[],
        None,
    );
    let from_env = run(
        &["--data-dir", db, "export", "trends", "--skills", "python"],
        &[("SKILLTRACK_CACHE_MB", "0")],
        None,
    );
    for out in [from_file, from_env] {
        assert_eq!(out.status.code(), Some(3), "{}", text(&out.stderr));
        let err = text(&out.stderr);
        assert!(
            err.contains("`cache_mb` (or SKILLTRACK_CACHE_MB) = 0: must be between 1 and"),
            "{err}"
        );
    }
}

/// Issue #11: `SKILLTRACK_DATA_DIR=` wrote sled files into the current
/// directory.
#[test]
fn an_empty_environment_variable_is_refused_by_name() {
    let cwd = tempfile::tempdir().unwrap();
    for var in [
        "SKILLTRACK_DATA_DIR",
        "SKILLTRACK_CACHE_MB",
        "SKILLTRACK_BIND",
        "SKILLTRACK_CONFIG",
    ] {
        let out = run(
            &["export", "trends", "--skills", "python"],
            &[(var, " ")],
            Some(cwd.path()),
        );
        assert_eq!(out.status.code(), Some(3), "{var}: {}", text(&out.stderr));
        assert!(
            text(&out.stderr).contains(&format!("{var}=\" \": empty")),
            "{}",
            text(&out.stderr)
        );
    }
    let out = run(
        &["export", "trends", "--skills", "python"],
        &[("SKILLTRACK_DATA_DIR", "")],
        Some(cwd.path()),
    );
    assert_eq!(out.status.code(), Some(3), "{}", text(&out.stderr));
    let left: Vec<_> = std::fs::read_dir(cwd.path()).unwrap().collect();
    assert!(
        left.is_empty(),
        "files written in the current directory: {left:?}"
    );
}

/// Issue #11: a restore that failed mid-file left a partial database.
#[test]
fn a_damaged_or_truncated_backup_restores_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let db = populated(dir.path());
    let file = dir.path().join("backup.jsonl");
    let out = on(&db, &["backup", file.to_str().unwrap()]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let backup = std::fs::read_to_string(&file).unwrap();
    let lines: Vec<&str> = backup.lines().collect();
    let truncated = lines[..20].join("\n") + "\n";
    let mut damaged = lines.clone();
    damaged[15] = "{\"id\": \"broken";
    let damaged = damaged.join("\n") + "\n";
    let empty_dir = dir.path().join("empty");
    std::fs::create_dir(&empty_dir).unwrap();
    for (name, content, target) in [
        ("truncated", truncated, dir.path().join("new")),
        ("damaged", damaged, empty_dir.clone()),
    ] {
        let bad = dir.path().join(format!("{name}.jsonl"));
        std::fs::write(&bad, content).unwrap();
        let out = on(&target, &["restore", bad.to_str().unwrap()]);
        assert_eq!(out.status.code(), Some(1), "{name}: {}", text(&out.stderr));
        assert!(
            text(&out.stderr).contains("nothing was restored"),
            "{name}: {}",
            text(&out.stderr)
        );
        let leftovers: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|n| n.contains("restoring"))
            .collect();
        assert!(leftovers.is_empty(), "{name}: {leftovers:?}");
    }
    assert!(!dir.path().join("new").exists());
    assert_eq!(std::fs::read_dir(&empty_dir).unwrap().count(), 0);
    // Into a directory that holds something: refused, untouched.
    let out = on(&db, &["restore", file.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).contains("is not empty"),
        "{}",
        text(&out.stderr)
    );
    // The whole file: restored, same counts.
    let restored = dir.path().join("new");
    let out = on(&restored, &["restore", file.to_str().unwrap()]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(on(&restored, TRENDS).stdout, on(&db, TRENDS).stdout);
}

/// Issue #11: `skilltrack geos | head -1` printed "error: Broken pipe" and
/// exited 1. The reader going away ends the command quietly with 0.
#[test]
fn a_reader_that_goes_away_ends_the_command_quietly() {
    // More output than a pipe holds: the command is still writing when the
    // reader stops after one line.
    let mut child = Command::new(env!("CARGO_BIN_EXE_skilltrack"))
        .args(["skills", "--json"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut first = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut first)
        .unwrap();
    assert!(first.starts_with('{'), "{first}");
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(text(&out.stderr), "");
    // The reader gone before the first line.
    let mut child = Command::new(env!("CARGO_BIN_EXE_skilltrack"))
        .arg("geos")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take());
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(text(&out.stderr), "");
}

/// The I/O errors serde_json and csv wrap (without exposing them as a
/// source) are found too.
#[test]
fn broken_pipes_are_found_through_wrapping_errors() {
    use skilltrack::cli::is_broken_pipe;
    let pipe = || std::io::Error::from(std::io::ErrorKind::BrokenPipe);
    let json = serde_json::Error::io(pipe());
    let csv = csv::Error::from(pipe());
    assert!(is_broken_pipe(
        &anyhow::Error::new(pipe()).context("writing")
    ));
    assert!(is_broken_pipe(&anyhow::Error::new(json).context("writing")));
    assert!(is_broken_pipe(&anyhow::Error::new(
        skilltrack::export::ExportError::Csv(csv)
    )));
    assert!(!is_broken_pipe(&anyhow::anyhow!("broken pipe")));
    assert!(!is_broken_pipe(&anyhow::Error::new(std::io::Error::other(
        "x"
    ))));
}

/// Issue #13: `export trends --metric active` gives the open postings on
/// each bucket's last day, like the API's `metric=active`.
#[test]
fn export_trends_takes_the_metric() {
    let dir = tempfile::tempdir().unwrap();
    let db = populated(dir.path());
    let trends = |metric: &str| {
        let mut args = vec![
            "export",
            "trends",
            "--skills",
            "python",
            "--geo",
            "FR",
            "--from",
            "2025-01-01",
            "--to",
            "2025-01-04",
            "--interval",
            "day",
        ];
        args.extend_from_slice(&["--metric", metric]);
        on(&db, &args)
    };
    let active = trends("active");
    assert!(active.status.success(), "{}", text(&active.stderr));
    // Python postings are all posted on 2025-01-01; a third of the postings
    // are posted on each of the first three days, and all stay open.
    assert_eq!(
        text(&active.stdout),
        // low/high: Wilson 95 % (z² = 3.8415). 10 of 10: [10 / 13.8415, 1]
        // = [0.722467, 1]; low_support: a total under 30.
        "date,skill,geo,metric,interval,count,total,share,low,high,low_support\n\
         2025-01-01,python,FR,active,day,10,10,1.000000,0.722467,1.000000,true\n\
         2025-01-02,python,FR,active,day,10,20,0.500000,0.299298,0.700702,true\n\
         2025-01-03,python,FR,active,day,10,30,0.333333,0.192305,0.512199,false\n\
         2025-01-04,python,FR,active,day,10,30,0.333333,0.192305,0.512199,false\n"
    );
    let new = trends("new");
    assert!(new.status.success(), "{}", text(&new.stderr));
    assert_eq!(
        text(&new.stdout),
        // 0 of 10: [0, 3.8415 / 13.8415] = [0, 0.277533].
        "date,skill,geo,metric,interval,count,total,share,low,high,low_support\n\
         2025-01-01,python,FR,new,day,10,10,1.000000,0.722467,1.000000,true\n\
         2025-01-02,python,FR,new,day,0,10,0.000000,0.000000,0.277533,true\n\
         2025-01-03,python,FR,new,day,0,10,0.000000,0.000000,0.277533,true\n\
         2025-01-04,python,FR,new,day,0,0,,,,true\n"
    );
    let bad = trends("open");
    assert_eq!(bad.status.code(), Some(2), "{}", text(&bad.stderr));
    assert!(
        text(&bad.stderr).contains("[possible values: new, active]"),
        "{}",
        text(&bad.stderr)
    );
}

/// Issue #13: the CLI's flags and the API's query string become the same
/// query, and are refused with the same messages.
#[test]
fn export_trends_and_the_api_read_a_query_alike() {
    use clap::Parser;
    use skilltrack::cli::{Cli, Command, ExportCommand};
    use std::collections::HashMap;

    let normalizer = skilltrack::normalize::Normalizer::bundled().unwrap();
    let today = skilltrack::domain::Day::today();
    for (flags, query) in [
        (
            vec![
                "--skills",
                "rust,python,rust",
                "--interval",
                "month",
                "--metric",
                "active",
            ],
            vec![
                ("skills", "rust,python,rust"),
                ("interval", "month"),
                ("metric", "active"),
            ],
        ),
        (
            vec![
                "--skills",
                "python",
                "--geo",
                "FR-75",
                "--from",
                "2025-01-01",
                "--to",
                "2025-02-01",
            ],
            vec![
                ("skills", "python"),
                ("geo", "FR-75"),
                ("from", "2025-01-01"),
                ("to", "2025-02-01"),
            ],
        ),
        (vec!["--skills", "pyhton"], vec![("skills", "pyhton")]),
        (
            vec!["--skills", "python", "--geo", "FR-XX"],
            vec![("skills", "python"), ("geo", "FR-XX")],
        ),
        (vec!["--skills", " , "], vec![("skills", " , ")]),
        (
            vec![
                "--skills",
                "python",
                "--from",
                "2025-03-01",
                "--to",
                "2025-01-01",
            ],
            vec![
                ("skills", "python"),
                ("from", "2025-03-01"),
                ("to", "2025-01-01"),
            ],
        ),
        (
            vec![
                "--skills",
                "python",
                "--from",
                "1990-01-01",
                "--to",
                "2025-01-01",
            ],
            vec![
                ("skills", "python"),
                ("from", "1990-01-01"),
                ("to", "2025-01-01"),
            ],
        ),
    ] {
        let mut argv = vec!["skilltrack", "export", "trends"];
        argv.extend(&flags);
        let Command::Export(ExportCommand::Trends(args)) =
            Cli::try_parse_from(&argv).unwrap().command
        else {
            panic!("{argv:?} is not export trends");
        };
        let from_cli = args
            .request()
            .resolve(&normalizer, today)
            .map_err(|e| format!("{}: {e}", e.param()));
        let params: HashMap<String, String> = query
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        let from_api =
            skilltrack::api::query::trend_query(&params, &normalizer).map_err(|e| e.message);
        match (from_cli, from_api) {
            (Ok(cli), Ok(api)) => assert_eq!(format!("{cli:?}"), format!("{api:?}"), "{flags:?}"),
            (Err(cli), Err(api)) => assert_eq!(cli, api, "{flags:?}"),
            (cli, api) => panic!("{flags:?}: the CLI gives {cli:?}, the API {api:?}"),
        }
    }
}
