//! `import-counts` and `batch fingerprint` through the binary, on snapshot
//! directories the tests write: counts replaced, the same snapshot twice a
//! no-op, `_CURRENT` followed, other data or rules refused naming both
//! values (and `--allow-mismatch`), bad rows naming file and line with
//! nothing replaced, parts checked against the manifest; and a store's own
//! counts, written as a snapshot and imported into another database, serve
//! the same trends.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use skilltrack::store::{CountRow, MetaStore, SledStore};

use crate::helpers::{skilltrack_ok, text};

fn skilltrack(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_skilltrack"))
        .args(args)
        .env("RUST_LOG", "warn")
        .env_remove("SKILLTRACK_CONFIG")
        .output()
        .expect("binary runs")
}

/// The binary's provenance, as `batch fingerprint` prints it.
fn fingerprint() -> serde_json::Value {
    let out = skilltrack_ok(&["batch", "fingerprint"]);
    serde_json::from_slice(&out.stdout).expect("one JSON line")
}

/// Writes `snapshot=<id>` under `root` with `parts` (file name → rows) and
/// a manifest made of `provenance` and `rows` (default: the rows written).
fn write_snapshot(
    root: &Path,
    id: &str,
    provenance: &serde_json::Value,
    parts: &[(&str, &[&str])],
    rows: Option<u64>,
) -> PathBuf {
    let dir = root.join(format!("snapshot={id}"));
    std::fs::create_dir_all(dir.join("tsv")).unwrap();
    let mut written = 0;
    for (name, lines) in parts {
        let mut body = String::new();
        for l in *lines {
            body.push_str(l);
            body.push('\n');
        }
        written += lines.len() as u64;
        let path = dir.join("tsv").join(name);
        if name.ends_with(".gz") {
            let mut gz = flate2::write::GzEncoder::new(
                std::fs::File::create(path).unwrap(),
                flate2::Compression::default(),
            );
            gz.write_all(body.as_bytes()).unwrap();
            gz.finish().unwrap();
        } else {
            std::fs::write(path, body).unwrap();
        }
    }
    // What Spark leaves beside its parts: ignored.
    std::fs::write(dir.join("tsv/_SUCCESS"), "").unwrap();
    std::fs::write(dir.join("tsv/.part-00000.tsv.crc"), "not a row").unwrap();
    let mut manifest = provenance.clone();
    let m = manifest.as_object_mut().unwrap();
    m.insert("schema".into(), 1.into());
    m.insert("snapshot".into(), id.into());
    m.insert("created".into(), "2026-12-02T06:00:00Z".into());
    m.insert(
        "days".into(),
        serde_json::json!({"first": "2026-03-01", "last": "2026-03-09"}),
    );
    m.insert("rows".into(), rows.unwrap_or(written).into());
    m.insert("postings".into(), 42.into());
    m.insert("error_rows".into(), 0.into());
    std::fs::write(dir.join("manifest.json"), manifest.to_string()).unwrap();
    dir
}

fn set_current(root: &Path, id: &str) {
    std::fs::write(root.join("_CURRENT"), format!("{id}\n")).unwrap();
}

const S1_A: &[&str] = &[
    "linux\tFR\to\t2026-03-01\t3",
    "linux\tFR\tc\t2026-03-09\t1",
    "*\tFR\to\t2026-03-01\t5",
];
const S1_B: &[&str] = &[
    "kubernetes\tFR-75\to\t2026-03-02\t2",
    "*\tFR-75\to\t2026-03-02\t2",
];
const S2: &[&str] = &["linux\tFR\to\t2026-03-01\t4", "*\tFR\to\t2026-03-01\t4"];

/// Every counter of the database in `db` as count table rows, sorted.
fn counts_of(db: &Path) -> Vec<String> {
    let store = SledStore::open(db, 16).unwrap();
    let mut rows: Vec<String> = store
        .all_counts()
        .unwrap()
        .iter()
        .map(|r: &CountRow| {
            format!(
                "{}\t{}\t{}\t{}\t{}",
                r.skill.as_str(),
                r.geo.as_str(),
                char::from(r.counter.tag()),
                r.day,
                r.value
            )
        })
        .collect();
    rows.sort();
    rows
}

fn sorted(parts: &[&[&str]]) -> Vec<String> {
    let mut rows: Vec<String> = parts
        .iter()
        .flat_map(|p| p.iter())
        .map(|r| r.to_string())
        .collect();
    rows.sort();
    rows
}

fn import_counts(db: &Path, root: &Path, extra: &[&str]) -> Output {
    let mut args = vec![
        "--data-dir",
        db.to_str().unwrap(),
        "import-counts",
        root.to_str().unwrap(),
    ];
    args.extend_from_slice(extra);
    skilltrack(&args)
}

#[test]
fn batch_fingerprint_prints_what_a_manifest_must_say() {
    let fp = fingerprint();
    for key in ["taxonomy_fingerprint", "geography_fingerprint"] {
        let hex = fp[key].as_str().unwrap();
        assert_eq!(hex.len(), 16, "{key}: {hex}");
        assert!(hex.bytes().all(|b| b.is_ascii_hexdigit()), "{key}: {hex}");
    }
    assert_eq!(fp["binary_version"], env!("CARGO_PKG_VERSION"));
    assert_eq!(
        fp["count_rules"],
        serde_json::json!({"dedup_window_days": 60, "unseen_close_days": 7, "max_open_days": 90})
    );
    // The configuration's rules are the ones printed.
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("c.toml");
    std::fs::write(&config, "[counting]\ndedup_window_days = 30\n").unwrap();
    let out = skilltrack_ok(&["--config", config.to_str().unwrap(), "batch", "fingerprint"]);
    let with: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(with["count_rules"]["dedup_window_days"], 30);
    assert_eq!(with["taxonomy_fingerprint"], fp["taxonomy_fingerprint"]);
}

#[test]
fn a_snapshot_replaces_every_count_once_and_current_is_followed() {
    let dir = tempfile::tempdir().unwrap();
    let (root, db) = (dir.path().join("counts/v1"), dir.path().join("db"));
    let fp = fingerprint();
    write_snapshot(
        &root,
        "s1",
        &fp,
        &[("part-00000.tsv", S1_A), ("part-00001.tsv.gz", S1_B)],
        None,
    );
    set_current(&root, "s1");
    let out = import_counts(&db, &root, &[]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(
        text(&out.stdout)
            .contains("loaded snapshot s1: 5 counters (2026-03-01 to 2026-03-09) from 42 postings"),
        "{}",
        text(&out.stdout)
    );
    assert_eq!(counts_of(&db), sorted(&[S1_A, S1_B]));

    // The same snapshot again: nothing to do, and said.
    let out = import_counts(&db, &root, &[]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(
        text(&out.stdout)
            .contains("snapshot s1 is already loaded and its counts unchanged: nothing to do"),
        "{}",
        text(&out.stdout)
    );
    assert_eq!(counts_of(&db), sorted(&[S1_A, S1_B]));

    // A new snapshot, `_CURRENT` flipped: its counts only (Kubernetes gone).
    write_snapshot(&root, "s2", &fp, &[("part-00000.tsv", S2)], None);
    set_current(&root, "s2");
    let out = import_counts(&db, &root, &[]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(counts_of(&db), sorted(&[S2]));

    // An older one by name.
    let out = import_counts(&db, &root, &["--snapshot", "s1"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(counts_of(&db), sorted(&[S1_A, S1_B]));
    let store = SledStore::open(&db, 16).unwrap();
    assert_eq!(store.counts_snapshot().unwrap().as_deref(), Some("s1"));
}

#[test]
fn other_data_or_rules_are_refused_naming_both_values() {
    let dir = tempfile::tempdir().unwrap();
    let (root, db) = (dir.path().join("counts/v1"), dir.path().join("db"));
    let fp = fingerprint();
    write_snapshot(&root, "good", &fp, &[("part-0.tsv", S2)], None);
    assert!(import_counts(&db, &root, &["--snapshot", "good"])
        .status
        .success());

    let mut other = fp.clone();
    other["taxonomy_fingerprint"] = "0000000000000001".into();
    write_snapshot(
        &root,
        "other-taxonomy",
        &other,
        &[("part-0.tsv", S1_A)],
        None,
    );
    set_current(&root, "other-taxonomy");
    let out = import_counts(&db, &root, &[]);
    assert_eq!(out.status.code(), Some(1));
    let err = text(&out.stderr);
    let binary = fp["taxonomy_fingerprint"].as_str().unwrap();
    assert!(
        err.contains(&format!(
            "snapshot other-taxonomy was computed with other data or rules than this binary \
             (taxonomy fingerprint: 0000000000000001 in the snapshot, {binary} in this binary)"
        )),
        "{err}"
    );
    assert!(err.contains("--allow-mismatch"), "{err}");
    assert_eq!(counts_of(&db), sorted(&[S2]), "nothing replaced");

    // Rules from the configuration count too.
    let config = dir.path().join("c.toml");
    std::fs::write(&config, "[counting]\nmax_open_days = 30\n").unwrap();
    let out = skilltrack(&[
        "--config",
        config.to_str().unwrap(),
        "--data-dir",
        db.to_str().unwrap(),
        "import-counts",
        root.to_str().unwrap(),
        "--snapshot",
        "good",
    ]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).contains(
            "count rules: dedup_window_days=60 unseen_close_days=7 max_open_days=90 in the \
             snapshot, dedup_window_days=60 unseen_close_days=7 max_open_days=30 in this binary"
        ),
        "{}",
        text(&out.stderr)
    );

    // Loaded anyway when asked; the database then records the snapshot's
    // data, not this binary's (so `serve` warns).
    let out = import_counts(&db, &root, &["--allow-mismatch"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(counts_of(&db), sorted(&[S1_A]));
    let store = SledStore::open(&db, 16).unwrap();
    let ours = skilltrack::normalize::Normalizer::bundled()
        .unwrap()
        .data_fingerprint();
    let recorded = store.data_fingerprint().unwrap().unwrap();
    assert_ne!(recorded, ours);
    assert_eq!(
        recorded,
        skilltrack::normalize::data_fingerprint_of(
            1,
            u64::from_str_radix(fp["geography_fingerprint"].as_str().unwrap(), 16).unwrap()
        )
    );
}

#[test]
fn a_bad_row_names_its_file_and_line_and_nothing_is_replaced() {
    let dir = tempfile::tempdir().unwrap();
    let (root, db) = (dir.path().join("counts/v1"), dir.path().join("db"));
    let fp = fingerprint();
    write_snapshot(&root, "good", &fp, &[("part-0.tsv", S2)], None);
    assert!(import_counts(&db, &root, &["--snapshot", "good"])
        .status
        .success());
    let cases: &[(&str, &[&str], &str)] = &[
        (
            "bad-counter",
            &["linux\tFR\to\t2026-03-02\t1", "linux\tFR\tx\t2026-03-01\t1"],
            "part-1.tsv:2: invalid counter \"x\"",
        ),
        (
            "bad-columns",
            &["linux\tFR\to\t2026-03-01"],
            "part-1.tsv:1: expected 5 tab-separated columns",
        ),
        (
            "error-row",
            &["!\t7\t\"bad JSON\""],
            "part-1.tsv:1: an error row of the batch stages",
        ),
        (
            "duplicate",
            &[
                "python\tFR\to\t2026-03-01\t1",
                "python\tFR\to\t2026-03-01\t2",
            ],
            "part-1.tsv:2: a second row for python in FR, counter o, on 2026-03-01",
        ),
        (
            "bad-geo",
            &["linux\tParis\to\t2026-03-01\t1"],
            "part-1.tsv:1: invalid geography code \"Paris\"",
        ),
    ];
    for (id, rows, expected) in cases {
        write_snapshot(
            &root,
            id,
            &fp,
            &[("part-0.tsv", S1_A), ("part-1.tsv", rows)],
            None,
        );
        let out = import_counts(&db, &root, &["--snapshot", id]);
        assert_eq!(out.status.code(), Some(1), "{id}");
        let err = text(&out.stderr);
        assert!(
            err.contains(&format!("snapshot {id}: nothing replaced")),
            "{err}"
        );
        assert!(err.contains(expected), "{id}: {err}");
        assert_eq!(counts_of(&db), sorted(&[S2]), "{id}: nothing replaced");
    }
}

#[test]
fn a_snapshot_that_does_not_hold_what_its_manifest_says_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let (root, db) = (dir.path().join("counts/v1"), dir.path().join("db"));
    let fp = fingerprint();

    // No `_CURRENT` yet: no snapshot was completed.
    std::fs::create_dir_all(&root).unwrap();
    let out = import_counts(&db, &root, &[]);
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stderr).contains("has no _CURRENT: no snapshot was completed there"));

    // A part missing (fewer rows than announced).
    write_snapshot(&root, "cut", &fp, &[("part-0.tsv", S1_A)], Some(5));
    let out = import_counts(&db, &root, &["--snapshot", "cut"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).contains("snapshot cut: its manifest announces 5 rows, its parts hold 3"),
        "{}",
        text(&out.stderr)
    );

    // A manifest of another snapshot, an id that is not a name, a schema to come.
    let moved = write_snapshot(&root, "moved", &fp, &[("part-0.tsv", S2)], None);
    std::fs::rename(&moved, root.join("snapshot=elsewhere")).unwrap();
    let out = import_counts(&db, &root, &["--snapshot", "elsewhere"]);
    assert!(text(&out.stderr).contains("is the manifest of snapshot \"moved\", not \"elsewhere\""));
    let out = import_counts(&db, &root, &["--snapshot", "../x"]);
    assert!(text(&out.stderr).contains("invalid snapshot id \"../x\""));
    let later = write_snapshot(&root, "later", &fp, &[("part-0.tsv", S2)], None);
    let manifest = std::fs::read_to_string(later.join("manifest.json")).unwrap();
    std::fs::write(
        later.join("manifest.json"),
        manifest.replace("\"schema\":1", "\"schema\":2"),
    )
    .unwrap();
    let out = import_counts(&db, &root, &["--snapshot", "later"]);
    assert!(
        text(&out.stderr).contains("has manifest schema 2; this build reads schema 1"),
        "{}",
        text(&out.stderr)
    );
    // None of them loaded anything (the database was never even opened).
    assert!(!db.exists() || counts_of(&db).is_empty());
}

/// A store's own counts, written as a snapshot and imported into another
/// database, answer the same trends (both metrics) as the store they came from.
#[test]
fn counts_imported_from_a_snapshot_serve_the_same_trends_as_their_store() {
    let dir = tempfile::tempdir().unwrap();
    let (root, source_db, served_db) = (
        dir.path().join("counts/v1"),
        dir.path().join("source"),
        dir.path().join("served"),
    );
    let postings = dir.path().join("p.jsonl");
    let mut lines = String::new();
    let titles = [
        "Développeur Python",
        "Ingénieur Kubernetes",
        "Admin Linux",
        "DevOps Docker Terraform",
    ];
    let places = ["Paris", "Lyon", "33000 Bordeaux", "Télétravail"];
    for i in 0..120 {
        let day = format!("2026-03-{:02}", 1 + i % 20);
        lines.push_str(
            &serde_json::json!({
                "id": format!("p{i}"), "title": titles[i % 4], "company": format!("C{}", i % 37),
                "location": places[i % 4], "posted_at": day, "first_seen": day,
                "last_seen": format!("2026-03-{:02}", 1 + (i % 20) + i % 5),
                "description": "Stack : Linux, Docker, PostgreSQL."
            })
            .to_string(),
        );
        lines.push('\n');
    }
    std::fs::write(&postings, lines).unwrap();
    skilltrack_ok(&[
        "--data-dir",
        source_db.to_str().unwrap(),
        "import",
        postings.to_str().unwrap(),
    ]);
    let rows = counts_of(&source_db);
    assert!(rows.len() > 50, "{}", rows.len());
    let rows: Vec<&str> = rows.iter().map(String::as_str).collect();
    let half = rows.len() / 2;
    write_snapshot(
        &root,
        "copy",
        &fingerprint(),
        &[("part-0.tsv", &rows[..half]), ("part-1.tsv", &rows[half..])],
        None,
    );
    set_current(&root, "copy");
    let out = import_counts(&served_db, &root, &[]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    for metric in ["new", "active"] {
        let trends = |db: &Path| {
            text(
                &skilltrack_ok(&[
                    "--data-dir",
                    db.to_str().unwrap(),
                    "export",
                    "trends",
                    "--skills",
                    "python,kubernetes,linux,docker,terraform,postgresql",
                    "--geo",
                    "FR,FR-75,FR-IDF,FR-69,FR-33,REMOTE,WORLD",
                    "--from",
                    "2026-02-25",
                    "--to",
                    "2026-04-30",
                    "--interval",
                    "day",
                    "--metric",
                    metric,
                ])
                .stdout,
            )
        };
        let (expected, served) = (trends(&source_db), trends(&served_db));
        assert!(expected.lines().count() > 100, "{expected}");
        assert_eq!(served, expected, "{metric}");
    }
}
