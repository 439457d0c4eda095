//! The raw-postings lake without Spark (issue 20): generated raw logs with
//! cross-source duplicates, changed postings and re-sightings (also as
//! `seen` lines), split into shards and runs, lines duplicated and whole
//! files repeated → `reindex --from-lake` gives the same postings and the
//! same counts, counter for counter, as a plain `import` of the same
//! postings in fetched order; so do the `batch` stages run as filters. A
//! changed taxonomy is applied from the lake, without fetching again.
//! `collect --out` writes lake files and never a database; `export lake`
//! seeds a lake that reindexes to the database's counts.

use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use serde_json::{json, Map, Value};
use skilltrack::domain::{Day, Posting, SourceId};
use skilltrack::lake::{self, RunFile, RunId, Shard};
use skilltrack::normalize::geo::Gazetteer;
use skilltrack::normalize::Normalizer;
use skilltrack::pipeline;
use skilltrack::store::{CountRow, CountRules, PostingStore, SledStore};
use time::{Duration, OffsetDateTime};

use crate::helpers::{extractors_dir, skilltrack_ok, text, FixtureServer, ARBEITNOW};

/// One fetch of a posting, as a collector would have logged it.
#[derive(Clone)]
struct Event {
    at: OffsetDateTime,
    source: &'static str,
    /// The import line's fields (no header); for a `seen` event, the
    /// version seen, which the oracle imports again.
    fields: Map<String, Value>,
    /// Logged as a `seen` line (a page answered 304) rather than a body.
    seen: bool,
}

impl Event {
    fn id(&self) -> &str {
        self.fields["id"].as_str().unwrap()
    }

    fn day(&self) -> String {
        self.at.date().to_string()
    }
}

const SOURCES: [&str; 3] = ["board-a", "board-b", "board-c"];
const COMPANIES: [&str; 6] = ["ACME", "Globex", "Initech", "Umbrella", "Hooli", ""];
const TITLES: [&str; 5] = [
    "Développeur Python",
    "Ingénieur DevOps",
    "Administrateur Linux",
    "Développeur Rust",
    "Data engineer",
];
const PLACES: [&str; 7] = [
    "Paris",
    "Lyon",
    "Bordeaux",
    "Lille",
    "Télétravail",
    "Berlin",
    // Says nothing of a country: the source's default country decides.
    "Siège social",
];
/// Free tags as boards send them (skills among them, and noise).
const TAGS: [&[&str]; 3] = [
    &["Python", "Backend"],
    &["kubernetes", "CDI"],
    &["PostgreSQL"],
];
const SKILLS: [&str; 10] = [
    "Python",
    "Rust",
    "Kubernetes",
    "Docker",
    "Linux",
    "PostgreSQL",
    "Ansible",
    "Terraform",
    "Java",
    "Go",
];

fn start() -> OffsetDateTime {
    OffsetDateTime::new_utc(
        time::Date::from_calendar_date(2026, time::Month::January, 5).unwrap(),
        time::Time::from_hms(6, 0, 0).unwrap(),
    )
}

fn description(rng: &mut fastrand::Rng) -> String {
    let n = rng.usize(1..4);
    let words: Vec<&str> = (0..n).map(|_| SKILLS[rng.usize(..SKILLS.len())]).collect();
    format!(
        "Nous cherchons une personne qui maîtrise {}.",
        words.join(", ")
    )
}

/// The generated log, in fetched order: ~180 jobs, a third also on a
/// second source days later, some changed, most seen again.
fn events() -> Vec<Event> {
    let mut rng = fastrand::Rng::with_seed(20);
    let mut out = Vec::new();
    let mut second = 0i64;
    for job in 0..180 {
        let day = rng.i64(0..240);
        let company = COMPANIES[rng.usize(..COMPANIES.len())];
        let title = TITLES[rng.usize(..TITLES.len())];
        let place = PLACES[rng.usize(..PLACES.len())];
        let dated = rng.bool();
        let mut appearances = vec![(SOURCES[job % 3], day)];
        if rng.u8(..3) == 0 {
            appearances.push((SOURCES[(job + 1) % 3], day + rng.i64(1..30)));
        }
        for (n, (source, first)) in appearances.into_iter().enumerate() {
            let mut fields = Map::new();
            fields.insert("id".into(), format!("{job}-{n}").into());
            fields.insert("title".into(), title.into());
            if !company.is_empty() {
                fields.insert("company".into(), company.into());
            }
            fields.insert("location".into(), place.into());
            fields.insert("description".into(), description(&mut rng).into());
            fields.insert("description_format".into(), "text".into());
            if dated {
                let posted = (start() + Duration::days(first - rng.i64(0..3))).date();
                fields.insert("posted_at".into(), posted.to_string().into());
            }
            if rng.u8(..5) == 0 {
                let until = (start() + Duration::days(first + rng.i64(5..40))).date();
                fields.insert("valid_through".into(), until.to_string().into());
            }
            if rng.u8(..4) == 0 {
                fields.insert("remote".into(), true.into());
            }
            if rng.u8(..3) == 0 {
                let tags = TAGS[rng.usize(..TAGS.len())];
                fields.insert("tags".into(), tags.to_vec().into());
            }
            if rng.bool() {
                fields.insert("country".into(), "FR".into());
            }
            let mut at_day = first;
            let mut at = |d: i64| {
                second += 7;
                start() + Duration::days(d) + Duration::seconds(second)
            };
            out.push(Event {
                at: at(at_day),
                source,
                fields: fields.clone(),
                seen: false,
            });
            for _ in 0..rng.usize(0..4) {
                at_day += rng.i64(1..12);
                let changed = rng.u8(..5) == 0;
                if changed {
                    fields.insert("description".into(), description(&mut rng).into());
                }
                out.push(Event {
                    at: at(at_day),
                    source,
                    fields: fields.clone(),
                    seen: !changed && rng.bool(),
                });
            }
        }
    }
    out.sort_by_key(|e| e.at);
    out
}

/// The oracle's input: every event as an import line, in fetched order,
/// first and last seen on its day (a `seen` event as its version again).
fn import_file(events: &[Event], dir: &Path) -> PathBuf {
    let path = dir.join("oracle.jsonl");
    let mut text = String::new();
    for e in events {
        let mut line = e.fields.clone();
        line.insert("source".into(), e.source.into());
        line.insert("first_seen".into(), e.day().into());
        line.insert("last_seen".into(), e.day().into());
        text.push_str(&Value::Object(line).to_string());
        text.push('\n');
    }
    std::fs::write(&path, text).unwrap();
    path
}

/// The lake: one run per (source, day), each source on one of two shards;
/// one line in ten written twice, one file in five written again under a
/// second run id (a re-executed run), plus files readers must skip.
fn write_lake(events: &[Event], lake: &Path) {
    let mut runs: BTreeMap<(&str, String), Vec<&Event>> = BTreeMap::new();
    for e in events {
        runs.entry((e.source, e.day())).or_default().push(e);
    }
    let mut rng = fastrand::Rng::with_seed(21);
    for (n, ((source, _), run_events)) in runs.into_iter().enumerate() {
        let id = SourceId::parse(source).unwrap();
        let shard = Shard::new((source.len() % 2) as u32, 2).unwrap();
        let run_start = run_events[0].at;
        let copies = if n % 5 == 0 { 2 } else { 1 };
        for copy in 0..copies {
            let started = run_start + Duration::hours(copy);
            let run = RunId::new(&id, shard, started);
            let day: Day = started.date().to_string().parse().unwrap();
            let mut file = RunFile::create(lake::data_file(lake, day, &id, &run)).unwrap();
            for e in &run_events {
                let line = if e.seen {
                    lake::seen_line(&id, e.id(), e.at, &run)
                } else {
                    lake::posting_line(e.fields.clone(), &id, e.at, &run)
                };
                for _ in 0..(1 + usize::from(rng.u8(..10) == 0)) {
                    file.write_line(&line).unwrap();
                }
            }
            file.finish().unwrap();
        }
    }
    // A run being written and a marker: skipped.
    let raw = lake.join(lake::RAW_DIR).join("day=2026-01-05");
    std::fs::create_dir_all(&raw).unwrap();
    std::fs::write(raw.join(".run=x.jsonl.gz.tmp"), b"garbage").unwrap();
    std::fs::write(raw.join("_SUCCESS"), b"").unwrap();
}

fn counts(db: &Path) -> Vec<CountRow> {
    SledStore::open(db, 16).unwrap().all_counts().unwrap()
}

fn postings(db: &Path) -> Vec<Posting> {
    let store = SledStore::open(db, 16).unwrap();
    let mut all: Vec<Posting> = store.postings().map(Result::unwrap).collect();
    all.sort_by_key(|p| p.id);
    all
}

fn db_arg(dir: &Path) -> String {
    dir.to_str().unwrap().to_owned()
}

#[test]
fn reindex_from_the_lake_counts_as_a_plain_import_counter_for_counter() {
    let dir = tempfile::tempdir().unwrap();
    let events = events();
    let seen = events.iter().filter(|e| e.seen).count();
    assert!(
        events.len() > 400 && seen > 50,
        "{} events, {seen} seen",
        events.len()
    );
    let (lake_dir, a, b) = (
        dir.path().join("lake"),
        dir.path().join("a"),
        dir.path().join("b"),
    );
    write_lake(&events, &lake_dir);
    let oracle = import_file(&events, dir.path());
    skilltrack_ok(&[
        "--data-dir",
        &db_arg(&a),
        "import",
        oracle.to_str().unwrap(),
    ]);
    let out = skilltrack_ok(&[
        "--data-dir",
        &db_arg(&b),
        "reindex",
        "--from-lake",
        lake_dir.to_str().unwrap(),
    ]);
    assert!(
        text(&out.stdout).contains("0 error rows"),
        "{}",
        text(&out.stdout)
    );

    let want = counts(&a);
    assert!(want.len() > 2_000, "a thin oracle: {} counters", want.len());
    let skills: std::collections::BTreeSet<&str> = want.iter().map(|r| r.skill.as_str()).collect();
    let geos: std::collections::BTreeSet<&str> = want.iter().map(|r| r.geo.as_str()).collect();
    assert!(skills.len() > 8 && geos.len() > 8, "{skills:?} {geos:?}");
    let got = counts(&b);
    assert_eq!(got.len(), want.len());
    for (g, w) in got.iter().zip(&want) {
        assert_eq!(g, w);
    }
    assert!(postings(&b) == postings(&a), "the stored postings differ");

    // Reindexing from the same lake again changes nothing.
    skilltrack_ok(&[
        "--data-dir",
        &db_arg(&b),
        "reindex",
        "--from-lake",
        lake_dir.to_str().unwrap(),
    ]);
    assert!(counts(&b) == want);

    // The stages as filters (what Spark runs) give the same count table.
    assert_eq!(batch_pipeline(&lake_dir), table_of(&want));
}

/// Runs `skilltrack batch STAGE` over `input`.
fn batch(stage: &str, input: &[u8]) -> Vec<u8> {
    let mut child = Command::new(env!("CARGO_BIN_EXE_skilltrack"))
        .args(["batch", stage])
        .env("RUST_LOG", "warn")
        .env_remove("SKILLTRACK_CONFIG")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let input = input.to_vec();
    let writer = std::thread::spawn(move || stdin.write_all(&input));
    let out = child.wait_with_output().unwrap();
    writer.join().unwrap().unwrap();
    assert!(out.status.success(), "batch {stage}: {}", text(&out.stderr));
    out.stdout
}

/// Rows sorted by their first column, bytewise and stable (Spark's SORT BY
/// orders within a key as it likes: a stable sort is one of its orders).
fn sort_rows(bytes: &[u8]) -> Vec<u8> {
    let text = String::from_utf8(bytes.to_vec()).unwrap();
    let mut rows: Vec<&str> = text.lines().collect();
    rows.sort_by(|a, b| a.split('\t').next().cmp(&b.split('\t').next()));
    rows.iter()
        .flat_map(|r| [r.as_bytes(), b"\n"])
        .flatten()
        .copied()
        .collect()
}

/// Every lake file decompressed → extract → sort → reduce-postings → sort →
/// reduce-clusters → summed by the first four columns.
fn batch_pipeline(lake_dir: &Path) -> BTreeMap<String, i64> {
    let mut raw = Vec::new();
    for file in lake::data_files(lake_dir).unwrap() {
        flate2::read::MultiGzDecoder::new(std::fs::File::open(file).unwrap())
            .read_to_end(&mut raw)
            .unwrap();
    }
    let rows = batch("extract", &raw);
    let merged = batch("reduce-postings", &sort_rows(&rows));
    let count_rows = batch("reduce-clusters", &sort_rows(&merged));
    let mut table = BTreeMap::new();
    for row in String::from_utf8(count_rows).unwrap().lines() {
        assert!(!row.starts_with('!'), "error row {row}");
        let (key, delta) = row.rsplit_once('\t').unwrap();
        *table.entry(key.to_owned()).or_insert(0) += delta.parse::<i64>().unwrap();
    }
    table.retain(|_, v| *v != 0);
    table
}

fn table_of(rows: &[CountRow]) -> BTreeMap<String, i64> {
    rows.iter()
        .map(|r| {
            let key = format!(
                "{}\t{}\t{}\t{}",
                r.skill.as_str(),
                r.geo.as_str(),
                char::from(r.counter.tag()),
                r.day
            );
            (key, r.value)
        })
        .collect()
}

#[test]
fn a_changed_taxonomy_is_applied_from_the_lake_without_fetching_again() {
    let dir = tempfile::tempdir().unwrap();
    let events = events();
    let lake_dir = dir.path().join("lake");
    write_lake(&events, &lake_dir);
    let rules = CountRules::default();
    let bundled = Normalizer::bundled().unwrap();
    let edited = Normalizer::new(
        crate::store::taxonomy_without_rust(),
        Gazetteer::bundled().unwrap(),
    );
    let before = pipeline::lake_counts(&bundled, &rules, &lake_dir, 1 << 20).unwrap();
    let after = pipeline::lake_counts(&edited, &rules, &lake_dir, 1 << 20).unwrap();
    let rust = |c: &pipeline::LakeCounts| {
        c.counts
            .iter()
            .filter(|(k, _)| k.skill.as_str() == "rust")
            .count()
    };
    assert!(rust(&before) > 0 && rust(&after) == 0);
    // The same counts as an import of the same postings with that taxonomy.
    let db = tempfile::tempdir().unwrap();
    let store = SledStore::open(db.path(), 16).unwrap();
    let oracle = import_file(&events, dir.path());
    let input = std::io::BufReader::new(std::fs::File::open(oracle).unwrap());
    let source = SourceId::parse("import").unwrap();
    pipeline::import_lines(&store, &edited, input, &source, |_| {}).unwrap();
    let want = table_of(&store.all_counts().unwrap());
    let got: BTreeMap<String, i64> = after
        .counts
        .iter()
        .map(|(k, v)| {
            (
                format!(
                    "{}\t{}\t{}\t{}",
                    k.skill,
                    k.geo,
                    char::from(k.counter.tag()),
                    k.day
                ),
                *v,
            )
        })
        .collect();
    assert_eq!(got, want);
}

#[test]
fn export_lake_seeds_a_lake_that_reindexes_to_the_same_counts() {
    let dir = tempfile::tempdir().unwrap();
    let events = events();
    let (a, c, seeded) = (
        dir.path().join("a"),
        dir.path().join("c"),
        dir.path().join("seeded"),
    );
    let oracle = import_file(&events, dir.path());
    skilltrack_ok(&[
        "--data-dir",
        &db_arg(&a),
        "import",
        oracle.to_str().unwrap(),
    ]);
    let out = skilltrack_ok(&[
        "--data-dir",
        &db_arg(&a),
        "export",
        "lake",
        "--out",
        seeded.to_str().unwrap(),
    ]);
    assert!(
        text(&out.stdout).starts_with("exported "),
        "{}",
        text(&out.stdout)
    );
    let files = lake::data_files(&seeded).unwrap();
    assert_eq!(files.len(), 3, "one file per source: {files:?}");
    skilltrack_ok(&[
        "--data-dir",
        &db_arg(&c),
        "reindex",
        "--from-lake",
        seeded.to_str().unwrap(),
    ]);
    assert!(counts(&c) == counts(&a));
    assert!(postings(&c) == postings(&a));
    // Into the database it came from: the same counts again.
    skilltrack_ok(&[
        "--data-dir",
        &db_arg(&a),
        "reindex",
        "--from-lake",
        seeded.to_str().unwrap(),
    ]);
    assert!(counts(&a) == counts(&c));
}

#[test]
fn reindex_from_a_lake_refuses_a_database_holding_postings_it_lacks() {
    let dir = tempfile::tempdir().unwrap();
    let events = events();
    let (a, lake_dir) = (dir.path().join("a"), dir.path().join("lake"));
    // The lake holds only the first source's postings.
    let first: Vec<Event> = events
        .iter()
        .filter(|e| e.source == "board-a")
        .cloned()
        .collect();
    write_lake(&first, &lake_dir);
    let oracle = import_file(&events, dir.path());
    skilltrack_ok(&[
        "--data-dir",
        &db_arg(&a),
        "import",
        oracle.to_str().unwrap(),
    ]);
    let before = counts(&a);
    let out = Command::new(env!("CARGO_BIN_EXE_skilltrack"))
        .args([
            "--data-dir",
            &db_arg(&a),
            "reindex",
            "--from-lake",
            lake_dir.to_str().unwrap(),
        ])
        .env("RUST_LOG", "warn")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    let err = text(&out.stderr);
    assert!(
        err.contains("the database holds") && err.contains("export lake"),
        "{err}"
    );
    assert!(counts(&a) == before, "nothing changed");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn collect_out_writes_named_lake_files_and_never_a_database() {
    let server = FixtureServer::start(ARBEITNOW).await;
    let dir = tempfile::tempdir().unwrap();
    let (lake_dir, data) = (dir.path().join("lake"), dir.path().join("db"));
    let args: Vec<String> = [
        "--data-dir",
        &db_arg(&data),
        "--extractors",
        extractors_dir().to_str().unwrap(),
        "collect",
        "--out",
        lake_dir.to_str().unwrap(),
        "--once",
        "--base-url",
        &server.base,
        "--started-at",
        "2026-11-30T07:00:12+01:00",
        "arbeitnow",
    ]
    .iter()
    .map(|s| (*s).to_owned())
    .collect();
    let blocking = tokio::task::spawn_blocking(move || {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let out = skilltrack_ok(&args);
        let again = skilltrack_ok(&args);
        (out, again, lake_dir, data)
    });
    let (out, _again, lake_dir, data) = blocking.await.unwrap();
    assert!(!data.exists(), "collect created the database directory");
    let run_dir = lake_dir.join("raw/v1/day=2026-11-30/source=arbeitnow");
    let mut names: Vec<String> = std::fs::read_dir(&run_dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    let id = RunId::new(
        &SourceId::parse("arbeitnow").unwrap(),
        Shard::ALL,
        OffsetDateTime::parse(
            "2026-11-30T06:00:12Z",
            &time::format_description::well_known::Rfc3339,
        )
        .unwrap(),
    );
    assert_eq!(
        names,
        vec![
            format!("run={id}.jsonl.gz"),
            format!("run={id}.report.json")
        ],
        "the second run with the same start time replaced the first"
    );
    assert!(id.as_str().starts_with("20261130T060012Z-s0of1-"));
    assert!(
        text(&out.stdout).contains("5 raw line(s) written"),
        "{}",
        text(&out.stdout)
    );
    let mut lines = String::new();
    flate2::read::MultiGzDecoder::new(std::fs::File::open(run_dir.join(&names[0])).unwrap())
        .read_to_string(&mut lines)
        .unwrap();
    let lines: Vec<Value> = lines
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 5);
    for l in &lines {
        assert_eq!(l["schema"], json!(1));
        assert_eq!(l["source"], json!("arbeitnow"));
        assert_eq!(l["run"], json!(id.as_str()));
        assert_eq!(l["hash"].as_str().map(str::len), Some(16));
        assert!(l["fetched"].as_str().unwrap().ends_with('Z'));
    }
    let report: Value =
        serde_json::from_slice(&std::fs::read(run_dir.join(&names[1])).unwrap()).unwrap();
    assert_eq!(report["items"], json!(6));
    assert_eq!(report["rejected"], json!(1));

    // The lake reindexes to what a stored run of the same pages counts.
    let stored = dir.path().join("stored");
    let db = dir.path().join("from-lake");
    let (base, extractors) = (server.base.clone(), extractors_dir());
    let (stored2, db2, lake2) = (stored.clone(), db.clone(), lake_dir.clone());
    tokio::task::spawn_blocking(move || {
        let ex = extractors.to_str().unwrap();
        skilltrack_ok(&[
            "--data-dir",
            &db_arg(&stored2),
            "--extractors",
            ex,
            "run",
            "arbeitnow",
            "--base-url",
            &base,
        ]);
        skilltrack_ok(&[
            "--data-dir",
            &db_arg(&db2),
            "reindex",
            "--from-lake",
            lake2.to_str().unwrap(),
        ]);
    })
    .await
    .unwrap();
    let (from_lake, from_run) = (counts(&db), counts(&stored));
    assert!(!from_lake.is_empty());
    // A run sees its postings today; the lake saw them on 2026-11-30:
    // the `new` counts (posting days, from the source) agree.
    let opened = |rows: &[CountRow]| -> Vec<CountRow> {
        rows.iter()
            .filter(|r| r.counter == skilltrack::store::Counter::Opened)
            .cloned()
            .collect()
    };
    assert_eq!(opened(&from_lake), opened(&from_run));
}

#[test]
fn collectors_are_sharded_by_host_and_sources_shards_says_which() {
    let out = skilltrack_ok(&[
        "--extractors",
        extractors_dir().to_str().unwrap(),
        "sources",
        "shards",
        "--of",
        "3",
    ]);
    let text = text(&out.stdout);
    let mut by_host: BTreeMap<String, String> = BTreeMap::new();
    for row in text.lines().skip(1) {
        let cols: Vec<&str> = row.split('\t').collect();
        assert_eq!(cols.len(), 3, "{row}");
        assert!(cols[1].starts_with("http"), "{row}");
        assert!(["0/3", "1/3", "2/3"].contains(&cols[2]), "{row}");
        // Every source of one host is on one shard.
        let shard = by_host
            .entry(cols[1].to_owned())
            .or_insert_with(|| cols[2].to_owned());
        assert_eq!(shard, cols[2], "{row}");
    }
    assert!(by_host.len() > 3, "{text}");
    assert!(text.starts_with("source\thost\tshard\n"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn collect_daemon_runs_on_schedule_and_publishes_its_files_on_sigterm() {
    let server = FixtureServer::start(ARBEITNOW).await;
    let dir = tempfile::tempdir().unwrap();
    // arbeitnow, scheduled every second.
    let extractors = dir.path().join("extractors");
    std::fs::create_dir(&extractors).unwrap();
    let def = std::fs::read_to_string(extractors_dir().join("arbeitnow.toml")).unwrap();
    let every_second = def.replace("schedule = \"0 20 4 * * *\"", "schedule = \"* * * * * *\"");
    assert_ne!(def, every_second);
    std::fs::write(extractors.join("arbeitnow.toml"), every_second).unwrap();
    let lake_dir = dir.path().join("lake");
    let mut child = Command::new(env!("CARGO_BIN_EXE_skilltrack"))
        .args([
            "--data-dir",
            &db_arg(&dir.path().join("db")),
            "--extractors",
        ])
        .arg(&extractors)
        .args(["collect", "--daemon", "--base-url", &server.base, "--out"])
        .arg(&lake_dir)
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let published = |lake_dir: &Path| lake::data_files(lake_dir).map_or(0, |files| files.len());
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    while published(&lake_dir) < 2 && std::time::Instant::now() < deadline {
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert!(published(&lake_dir) >= 2, "no two scheduled runs in 30 s");
    let kill = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(kill.success());
    let status = tokio::task::spawn_blocking(move || {
        let status = child.wait().unwrap();
        let mut err = String::new();
        child
            .stderr
            .take()
            .unwrap()
            .read_to_string(&mut err)
            .unwrap();
        (status, err)
    });
    let (status, err) = tokio::time::timeout(std::time::Duration::from_secs(20), status)
        .await
        .expect("the daemon stops after SIGTERM")
        .unwrap();
    assert!(status.success(), "{status:?}: {err}");
    assert!(
        !dir.path().join("db").exists(),
        "the daemon created a database"
    );
    // Every file is published: no temporary file is left, each has its report.
    for entry in walk(&lake_dir.join(lake::RAW_DIR)) {
        let name = entry.file_name().unwrap().to_string_lossy().into_owned();
        assert!(!name.starts_with('.'), "left behind: {}", entry.display());
        if let Some(stem) = name.strip_suffix(".jsonl.gz") {
            assert!(
                entry.with_file_name(format!("{stem}.report.json")).exists(),
                "{name}"
            );
        }
    }
}

/// Every file under `dir`.
fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            out.extend(walk(&path));
        } else {
            out.push(path);
        }
    }
    out
}
