//! Store semantics: dedup clusters, order independence, reindex, backup,
//! export round trips, locking.

use std::io::Cursor;
use std::sync::Arc;

use skilltrack::domain::{Day, GeoCode, SkillId, SourceId};
use skilltrack::normalize::geo::Gazetteer;
use skilltrack::normalize::skills::Taxonomy;
use skilltrack::normalize::Normalizer;
use skilltrack::pipeline::{import_lines, reindex};
use skilltrack::store::{
    backup, counting, CountRow, CountStore, MetaStore, Metric, PostingStore, SledStore, Store,
    StoreError,
};

use crate::helpers::{normalizer, temp_store, texts_by_id};

type Counts = Vec<skilltrack::store::CountRow>;

const MAX_LINE: usize = skilltrack::lines::DEFAULT_MAX_LINE_BYTES;

/// A tiny deterministic PRNG (xorshift64*), so failures can be replayed.
pub struct Rng(pub u64);

impl Rng {
    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    pub fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    pub fn shuffle<T>(&mut self, v: &mut [T]) {
        for i in (1..v.len()).rev() {
            v.swap(i, self.below(i + 1));
        }
    }
}

fn line(
    source: &str,
    id: &str,
    title: &str,
    company: &str,
    location: &str,
    posted: &str,
) -> String {
    serde_json::json!({
        "id": id, "source": source, "title": title, "company": company, "location": location,
        "posted_at": posted, "first_seen": posted, "last_seen": posted,
        "description": "Stack : Linux, Docker. Télétravail partiel possible."
    })
    .to_string()
}

fn import(store: &dyn Store, n: &Normalizer, lines: &[String]) {
    let text = lines.join("\n");
    let report = import_lines(
        store,
        n,
        Cursor::new(text),
        &SourceId::parse("import").unwrap(),
        |_| {},
    )
    .unwrap();
    assert_eq!(report.rejected, 0, "{:?}", report.errors);
}

fn new_on(store: &dyn CountStore, skill: &str, geo: &str, day: &str) -> i64 {
    let d: Day = day.parse().unwrap();
    store
        .daily(
            &SkillId::parse(skill).unwrap(),
            &GeoCode::parse(geo).unwrap(),
            Metric::New,
            d,
            d,
        )
        .unwrap()
        .first()
        .map_or(0, |(_, v)| *v)
}

/// Postings over three sources, many of them the same job re-published.
fn corpus() -> Vec<String> {
    corpus_over(150, 7)
}

/// 240 postings of 40 jobs, posted over `spread` days (`step` apart in turn).
fn corpus_over(spread: usize, step: usize) -> Vec<String> {
    let titles = [
        "Développeur Python (H/F)",
        "Ingénieur DevOps Kubernetes",
        "DBA PostgreSQL F/H",
        "Data engineer Spark",
    ];
    let places = ["75 - PARIS 09", "Lyon 3e", "13008 Marseille"];
    let sources = ["france-travail", "welcome", "greenhouse"];
    let first: Day = "2025-01-01".parse().unwrap();
    let mut out = Vec::new();
    for i in 0..240 {
        let job = i % 40; // 40 distinct jobs, each seen up to 6 times
        let title = titles[job % titles.len()];
        let company = format!("Société {}", job % 13);
        let place = places[job % places.len()];
        let source = sources[i % sources.len()];
        let day = first.add_days(((i * step) % spread) as i32);
        out.push(line(
            source,
            &format!("{source}-{i}"),
            title,
            &company,
            place,
            &day.to_string(),
        ));
    }
    out
}

#[test]
fn counts_do_not_depend_on_arrival_order_or_batching() {
    assert_order_independent(corpus(), 0x5EED_1234_ABCD_0001);
}

/// Spread over 500 days, most duplicates of a job are more than the window
/// apart: their arrival takes the store's short path (a posting with no
/// stored duplicate within the window is a cluster of its own) as often as
/// the full regrouping.
#[test]
fn counts_do_not_depend_on_order_when_duplicates_are_far_apart() {
    assert_order_independent(corpus_over(500, 37), 0x5EED_1234_ABCD_0002);
}

/// The same postings in five random orders and batchings give the same
/// counts, equal to the pure rules applied to the whole set at once.
fn assert_order_independent(base: Vec<String>, seed: u64) {
    let n = normalizer();
    let mut reference: Option<Counts> = None;
    let mut rng = Rng(seed);
    for round in 0..5 {
        let mut lines = base.clone();
        rng.shuffle(&mut lines);
        let (_dir, store) = temp_store();
        // Arrive in several runs of random sizes, as collection does.
        let mut rest: &[String] = &lines;
        while !rest.is_empty() {
            let take = (1 + rng.below(60)).min(rest.len());
            import(store.as_ref(), &n, &rest[..take]);
            rest = &rest[take..];
        }
        let counts = store.all_counts().unwrap();
        assert!(!counts.is_empty());
        match &reference {
            None => reference = Some(counts),
            Some(r) => assert!(r == &counts, "round {round}: counts differ from round 0"),
        }
    }
    // And equal to the pure rules applied to the whole set at once.
    let (_dir, store) = temp_store();
    import(store.as_ref(), &n, &base);
    let mut postings = Vec::new();
    for p in store.postings() {
        let p = p.unwrap();
        postings.push(p);
    }
    let pure = counting::count_all(&postings, &store.rules());
    let from_pure: Counts = pure
        .into_iter()
        .map(|(k, value)| CountRow {
            skill: k.skill,
            geo: k.geo,
            counter: k.counter,
            day: k.day,
            value,
        })
        .collect();
    assert!(reference.unwrap() == from_pure);
}

#[test]
fn dedup_window_edges_and_a_later_arriving_earlier_duplicate() {
    let n = normalizer();
    let (_dir, store) = temp_store();
    let job = |src: &str, id: &str, day: &str| {
        line(
            src,
            id,
            "Développeur Python (H/F)",
            "ACME",
            "75 - PARIS 09",
            day,
        )
    };
    // The later copy arrives first…
    import(store.as_ref(), &n, &[job("welcome", "w1", "2025-03-01")]);
    assert_eq!(new_on(store.as_ref(), "python", "FR-75", "2025-03-01"), 1);
    // …then the original, 59 days earlier on another source: one job, counted on its day.
    import(
        store.as_ref(),
        &n,
        &[job("france-travail", "ft1", "2025-01-01")],
    );
    assert_eq!(new_on(store.as_ref(), "python", "FR-75", "2025-03-01"), 0);
    assert_eq!(new_on(store.as_ref(), "python", "FR-75", "2025-01-01"), 1);
    // 61 days after the cluster's first day: a new job.
    import(store.as_ref(), &n, &[job("greenhouse", "g1", "2025-03-03")]);
    assert_eq!(new_on(store.as_ref(), "python", "FR-75", "2025-03-03"), 1);
    assert_eq!(new_on(store.as_ref(), "*", "WORLD", "2025-01-01"), 1);
    // Gender markers do not hide a duplicate; another département does.
    import(
        store.as_ref(),
        &n,
        &[line(
            "greenhouse",
            "g2",
            "DÉVELOPPEUR PYTHON F/H",
            "Acme",
            "Paris 15e",
            "2025-01-02",
        )],
    );
    assert_eq!(new_on(store.as_ref(), "*", "WORLD", "2025-01-02"), 0);
    import(
        store.as_ref(),
        &n,
        &[line(
            "greenhouse",
            "g3",
            "Développeur Python",
            "ACME",
            "Lyon",
            "2025-01-02",
        )],
    );
    assert_eq!(new_on(store.as_ref(), "*", "WORLD", "2025-01-02"), 1);
    assert_eq!(store.posting_count().unwrap(), 5);
}

/// The bundled taxonomy as it would be if "Rust" were only recognised as "rustlang".
pub(crate) fn taxonomy_without_rust() -> Taxonomy {
    let src = skilltrack::normalize::skills::BUNDLED_TOML;
    let start = src.find("id = \"rust\"").expect("rust in the taxonomy");
    let end = start
        + src[start..]
            .find("[[skill]]")
            .expect("an entry follows rust");
    let entry = &src[start..end];
    let edited_entry: String = entry
        .lines()
        .map(|l| {
            if l.starts_with("aliases") {
                "aliases = [\"rustlang\"]"
            } else if l.starts_with("ambiguous") {
                "ambiguous = []"
            } else {
                l
            }
        })
        .filter(|l| !l.starts_with("context") && !l.starts_with("exclude"))
        .map(|l| format!("{l}\n"))
        .collect();
    let edited = format!("{}{}{}", &src[..start], edited_entry, &src[end..]);
    Taxonomy::from_toml_str(&edited, "test taxonomy").expect("edited taxonomy loads")
}

#[test]
fn reindex_is_identical_when_nothing_changed_and_follows_a_taxonomy_change() {
    let old = Arc::new(Normalizer::new(
        taxonomy_without_rust(),
        Gazetteer::bundled().unwrap(),
    ));
    let (_dir, store) = temp_store();
    let mut lines = corpus();
    lines.push(line(
        "welcome",
        "rust-1",
        "Développeur Rust",
        "Ferris SAS",
        "Nantes",
        "2025-02-03",
    ));
    import(store.as_ref(), &old, &lines);
    assert_eq!(new_on(store.as_ref(), "rust", "WORLD", "2025-02-03"), 0);
    let before = store.all_counts().unwrap();

    let same = reindex(store.as_ref(), &old, &mut |_| {}).unwrap();
    assert_eq!(same, lines.len() as u64);
    assert!(
        store.all_counts().unwrap() == before,
        "reindex with the same data changed counts"
    );

    let current = normalizer();
    reindex(store.as_ref(), &current, &mut |_| {}).unwrap();
    assert_eq!(new_on(store.as_ref(), "rust", "WORLD", "2025-02-03"), 1);
    assert_eq!(new_on(store.as_ref(), "rust", "FR-44", "2025-02-03"), 1);
    // The new counts are exactly those of a fresh import with the new taxonomy.
    let (_dir2, fresh) = temp_store();
    import(fresh.as_ref(), &current, &lines);
    assert!(store.all_counts().unwrap() == fresh.all_counts().unwrap());
}

#[test]
fn backup_restore_and_jsonl_export_round_trip_to_identical_counts() {
    let n = normalizer();
    let (_dir, store) = temp_store();
    import(store.as_ref(), &n, &corpus());
    let counts = store.all_counts().unwrap();

    let mut file = Vec::new();
    let written = backup::write(store.as_ref(), 1, &mut file).unwrap();
    assert_eq!((written.postings, written.texts_lost.len()), (240, 0));
    let (_dir2, restored) = temp_store();
    backup::restore(restored.as_ref(), Cursor::new(&file), MAX_LINE, &mut |_| {}).unwrap();
    assert_eq!(restored.posting_count().unwrap(), 240);
    assert!(restored.all_counts().unwrap() == counts);
    // Restoring into a database that holds postings is refused.
    let err =
        backup::restore(restored.as_ref(), Cursor::new(&file), MAX_LINE, &mut |_| {}).unwrap_err();
    assert!(
        err.to_string().contains("already holds 240 postings"),
        "{err}"
    );
    // A truncated backup is named as such.
    let text = String::from_utf8(file.clone()).unwrap();
    let truncated: String = text.lines().take(100).map(|l| format!("{l}\n")).collect();
    let (_dir3, partial) = temp_store();
    let err = backup::restore(
        partial.as_ref(),
        Cursor::new(truncated),
        MAX_LINE,
        &mut |_| {},
    )
    .unwrap_err();
    assert!(err.to_string().contains("truncated"), "{err}");

    let mut jsonl = Vec::new();
    let mut writer = skilltrack::export::PostingsWriter::jsonl(&mut jsonl);
    for p in store.postings() {
        let p = p.unwrap();
        writer.write(&p).unwrap();
    }
    writer.finish().unwrap();
    let (_dir4, reimported) = temp_store();
    let lines: Vec<String> = String::from_utf8(jsonl)
        .unwrap()
        .lines()
        .map(str::to_owned)
        .collect();
    import(reimported.as_ref(), &n, &lines);
    assert!(reimported.all_counts().unwrap() == counts);
}

#[test]
fn a_database_in_use_is_refused_with_its_directory_named() {
    let (dir, _store) = temp_store();
    let db = dir.path().join("db");
    match SledStore::open(&db, 8) {
        Err(e @ StoreError::Locked { .. }) => {
            assert!(e.to_string().contains(&db.display().to_string()), "{e}");
            assert!(e.to_string().contains("skilltrack serve"), "{e}");
        }
        Err(other) => panic!("expected Locked, got {other}"),
        Ok(_) => panic!("a second open of the same database succeeded"),
    }
}

/// A handle closing while another open starts (sled's background threads
/// keep the lock a few milliseconds after the last handle goes) is waited
/// for, not reported as a database in use.
#[test]
fn a_database_being_closed_is_waited_for() {
    let (dir, store) = temp_store();
    let db = dir.path().join("db");
    let closer = std::thread::spawn(move || {
        std::thread::sleep(std::time::Duration::from_millis(300));
        drop(store);
    });
    let started = std::time::Instant::now();
    let reopened = SledStore::open(&db, 8);
    closer.join().unwrap();
    let reopened = reopened.unwrap_or_else(|e| panic!("a closing database was refused: {e}"));
    // It did wait: the first handle was still open when the second began.
    assert!(started.elapsed() >= std::time::Duration::from_millis(250));
    assert!(reopened.all_counts().is_ok());
}

/// Issue #13: a store error names what was being done and keeps its cause
/// as its source, so logs and reports show the whole chain.
#[test]
fn store_errors_keep_their_cause_as_source() {
    let (dir, _store) = temp_store();
    let locked = SledStore::open(&dir.path().join("db"), 8)
        .err()
        .expect("a second open of the same database succeeded");
    assert!(std::error::Error::source(&locked).is_some(), "{locked:?}");
    // A database directory that cannot be created: the I/O error is the source.
    let file = dir.path().join("not-a-directory");
    std::fs::write(&file, "x").unwrap();
    let err = SledStore::open(&file.join("db"), 8)
        .err()
        .expect("a database under a file opened");
    assert!(matches!(err, StoreError::CreateDir { .. }), "{err:?}");
    let io = std::error::Error::source(&err)
        .and_then(|s| s.downcast_ref::<std::io::Error>())
        .expect("the I/O error is the source");
    assert!(
        skilltrack::domain::error_chain(&err).ends_with(&io.to_string()),
        "{}",
        skilltrack::domain::error_chain(&err)
    );
}

#[test]
fn postings_and_texts_survive_reopening_and_a_damaged_text_is_named() {
    let n = normalizer();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("db");
    let lines = corpus();
    let source = SourceId::parse("welcome").unwrap();
    let id = skilltrack::domain::PostingId::new(&source, "welcome-1");
    let counts = {
        let store = SledStore::open(&path, 8).unwrap();
        import(&store, &n, &lines);
        store.all_counts().unwrap()
    };

    // Reopened: the same postings, texts and counts; seeing them again
    // rewrites each record in place.
    let store = SledStore::open(&path, 8).unwrap();
    let text = store.posting(id).unwrap().expect("stored").text;
    assert!(text.contains("Télétravail partiel"), "{text}");
    import(&store, &n, &lines);
    assert_eq!(store.posting_count().unwrap(), 240);
    assert_eq!(store.postings().map(Result::unwrap).count(), 240);
    assert!(store.all_counts().unwrap() == counts);

    // A changed description is appended and the record points to it.
    let changed = lines[1].replace("Linux, Docker", "Rust, PostgreSQL");
    assert_ne!(changed, lines[1]);
    import(&store, &n, std::slice::from_ref(&changed));
    let posting = store.posting(id).unwrap().expect("stored");
    assert!(
        posting.text.contains("Rust, PostgreSQL"),
        "{}",
        posting.text
    );
    assert!(posting.skills.iter().any(|s| s.as_str() == "rust"));
    assert_eq!(store.posting_count().unwrap(), 240);
    drop(store);

    // Damage that text on disk: reading it is an error naming the posting;
    // the other postings and the counts are untouched.
    let log = path.join("texts-0.log");
    let changed_counts = SledStore::open(&path, 8).unwrap().all_counts().unwrap();
    assert!(changed_counts != counts);
    let mut bytes = std::fs::read(&log).unwrap();
    let last = bytes.len() - 3;
    bytes[last] ^= 0x20;
    std::fs::write(&log, bytes).unwrap();
    let store = SledStore::open(&path, 8).unwrap();
    let err = store.posting(id).unwrap_err().to_string();
    assert!(
        err.contains(&id.to_string()) && err.contains("checksum"),
        "{err}"
    );
    let other = skilltrack::domain::PostingId::new(&source, "welcome-4");
    assert!(store.posting(other).unwrap().is_some());
    assert!(store.all_counts().unwrap() == changed_counts);
}

/// After a power cut the text log can be shorter than the records sled made
/// durable say: those texts read as damage, and collecting the postings again
/// writes them anew without touching the counts.
#[test]
fn texts_lost_from_the_end_of_the_log_are_written_again_when_seen_again() {
    let n = normalizer();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("db");
    let lines = corpus();
    let id = skilltrack::domain::PostingId::new(&SourceId::parse("welcome").unwrap(), "welcome-1");
    let counts = {
        let store = SledStore::open(&path, 8).unwrap();
        import(&store, &n, &lines);
        store.all_counts().unwrap()
    };
    let log = path.join("texts-0.log");
    std::fs::OpenOptions::new()
        .write(true)
        .open(&log)
        .unwrap()
        .set_len(8)
        .unwrap();
    let store = SledStore::open(&path, 8).unwrap();
    let err = store.posting(id).unwrap_err().to_string();
    assert!(err.contains(&id.to_string()), "{err}");
    import(&store, &n, &lines);
    let text = store.posting(id).unwrap().expect("stored").text;
    assert!(text.contains("Télétravail partiel"), "{text}");
    assert_eq!(store.posting_count().unwrap(), 240);
    assert!(store.all_counts().unwrap() == counts);
}

/// `reindex` compacts the text log: the dead copy a changed text left
/// behind is dropped, every text still reads back, counts are unchanged.
#[test]
fn reindex_drops_the_dead_copies_of_changed_texts() {
    let n = normalizer();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("db");
    let lines = corpus();
    let store = SledStore::open(&path, 8).unwrap();
    import(&store, &n, &lines);
    let size = |g: u16| std::fs::metadata(path.join(format!("texts-{g}.log"))).map(|m| m.len());
    let first = size(0).unwrap();
    let changed: Vec<String> = lines[..10]
        .iter()
        .map(|l| l.replace("Linux, Docker", "Rust, PostgreSQL, Kubernetes"))
        .collect();
    import(&store, &n, &changed);
    let grown = size(0).unwrap();
    assert!(grown > first, "changed texts are appended");
    let counts = store.all_counts().unwrap();
    let texts = texts_by_id(&store).unwrap();

    reindex(&store, &n, &mut |_| {}).unwrap();
    assert!(size(0).is_err(), "the old generation is deleted");
    let compacted = size(1).unwrap();
    // A fresh store given only the live versions holds the same texts,
    // each compressed alike (one frame per text; too few texts here to
    // train a dictionary).
    let fresh_path = dir.path().join("fresh");
    let fresh = SledStore::open(&fresh_path, 8).unwrap();
    let live_lines: Vec<String> = changed.iter().chain(&lines[10..]).cloned().collect();
    import(&fresh, &n, &live_lines);
    fresh.flush().unwrap();
    let live = std::fs::metadata(fresh_path.join("texts-0.log"))
        .unwrap()
        .len();
    assert_eq!(compacted, live, "only live texts remain");
    assert!(compacted < grown);
    assert!(store.all_counts().unwrap() == counts);
    assert!(texts_by_id(&store).unwrap() == texts);
    drop(store);
    // And after reopening, appends go on in the new generation.
    let store = SledStore::open(&path, 8).unwrap();
    import(&store, &n, &lines[..10]);
    assert!(size(1).unwrap() > compacted);
    assert!(store.all_counts().unwrap() != counts);
}

/// A posting whose text is damaged is backed up without it and marked: the
/// restore counts it as the damaged store did, its text stays known lost,
/// and a `reindex` of the restored store keeps its skills instead of
/// finding none in an empty text.
#[test]
fn a_lost_text_survives_backup_restore_and_reindex_with_the_same_counts() {
    let n = normalizer();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("db");
    let counts = {
        let store = SledStore::open(&path, 8).unwrap();
        import(&store, &n, &corpus());
        store.all_counts().unwrap()
    };
    let log = path.join("texts-0.log");
    let mut bytes = std::fs::read(&log).unwrap();
    let middle = bytes.len() / 2;
    bytes[middle] ^= 0x55;
    std::fs::write(&log, bytes).unwrap();
    let store = SledStore::open(&path, 8).unwrap();

    let mut file = Vec::new();
    let written = backup::write(&store, 1, &mut file).unwrap();
    assert_eq!(written.postings, 240);
    assert_eq!(written.texts_lost.len(), 1);
    let (lost, cause) = &written.texts_lost[0];
    assert!(cause.to_string().contains("checksum"), "{cause}");
    assert!(store.posting(*lost).is_err());

    let (_dir2, restored) = temp_store();
    backup::restore(restored.as_ref(), Cursor::new(&file), MAX_LINE, &mut |_| {}).unwrap();
    assert!(restored.all_counts().unwrap() == counts);
    let err = restored.posting(*lost).unwrap_err().to_string();
    assert!(
        err.contains("lost") && err.contains(&lost.to_string()),
        "{err}"
    );
    reindex(restored.as_ref(), &n, &mut |_| {}).unwrap();
    assert!(restored.all_counts().unwrap() == counts);
    assert!(restored.posting(*lost).is_err());
    // Collected again, it gets its text back.
    import(restored.as_ref(), &n, &corpus());
    assert!(restored.posting(*lost).unwrap().is_some());
    assert!(restored.all_counts().unwrap() == counts);
}

/// `restore_dir` builds next to the target and moves into place only when
/// complete: a failure leaves no directory behind.
#[test]
fn restore_dir_is_all_or_nothing() {
    let n = normalizer();
    let (_dir, store) = temp_store();
    import(store.as_ref(), &n, &corpus());
    let mut file = Vec::new();
    backup::write(store.as_ref(), 1, &mut file).unwrap();
    let target = tempfile::tempdir().unwrap();
    let db = target.path().join("restored");
    let half = &file[..file.len() / 2];
    let err = backup::restore_dir(
        &db,
        8,
        store.rules(),
        7,
        Cursor::new(half),
        MAX_LINE,
        &mut |_| {},
    )
    .unwrap_err();
    assert!(
        err.to_string().starts_with("nothing was restored into"),
        "{err}"
    );
    assert_eq!(std::fs::read_dir(target.path()).unwrap().count(), 0);
    let restored = backup::restore_dir(
        &db,
        8,
        store.rules(),
        7,
        Cursor::new(&file),
        MAX_LINE,
        &mut |_| {},
    )
    .unwrap();
    assert_eq!(restored, 240);
    let reopened = SledStore::open(&db, 8).unwrap();
    assert_eq!(reopened.data_fingerprint().unwrap(), Some(7));
    assert!(reopened.all_counts().unwrap() == store.all_counts().unwrap());
}

#[test]
fn the_generation_moves_when_counts_are_written_and_not_otherwise() {
    let (dir, store) = temp_store();
    let n = normalizer();
    let first = store.generation();
    store.flush().unwrap();
    assert_eq!(store.generation(), first, "a flush with nothing to write");
    import(store.as_ref(), &n, &corpus()[..3]);
    let after_import = store.generation();
    assert_ne!(after_import, first, "an import writes counts");
    let _ = store.daily(
        &SkillId::all_postings(),
        &GeoCode::parse(GeoCode::WORLD).unwrap(),
        Metric::New,
        Day::MIN,
        Day::MAX,
    );
    store.flush().unwrap();
    assert_eq!(store.generation(), after_import, "reads and empty flushes");
    drop(store);
    let reopened = SledStore::open(&dir.path().join("db"), 16).unwrap();
    assert_ne!(reopened.generation(), after_import, "a new opening");
}

#[test]
fn prepare_can_be_called_again_and_leaves_the_store_readable() {
    let (dir, store) = temp_store();
    let n = normalizer();
    import(store.as_ref(), &n, &corpus()[..5]);
    drop(store);
    let reopened = SledStore::open(&dir.path().join("db"), 16).unwrap();
    reopened.prepare().unwrap();
    reopened.prepare().unwrap();
    assert_eq!(reopened.postings().count(), 5);
}

/// A store that only answers `daily`: its `span_values` is the trait's
/// default, the reference the sled store's in-place sums must equal.
struct DailyOnly<'a>(&'a SledStore);

impl CountStore for DailyOnly<'_> {
    fn daily(
        &self,
        skill: &SkillId,
        geo: &GeoCode,
        metric: Metric,
        from: Day,
        to: Day,
    ) -> Result<Vec<(Day, i64)>, StoreError> {
        self.0.daily(skill, geo, metric, from, to)
    }
    fn rules(&self) -> counting::CountRules {
        self.0.rules()
    }
    fn flush(&self) -> Result<(), StoreError> {
        Ok(())
    }
    fn generation(&self) -> u64 {
        0
    }
}

#[test]
fn span_values_sum_the_daily_series_across_years_for_new_and_active() {
    let (_dir, store) = temp_store();
    let n = normalizer();
    // 240 postings over 500 days from 2025-01-01: the series cross into 2026.
    import(store.as_ref(), &n, &corpus_over(500, 11));
    let day = |s: &str| s.parse::<Day>().unwrap();
    let spans = [
        (day("2025-01-01"), day("2025-12-31")),
        (day("2025-11-15"), day("2026-02-10")),
        (day("2026-03-01"), day("2026-03-01")),
        (day("2024-01-01"), day("2024-12-31")),
    ];
    let mut nonzero = 0;
    for skill in [
        "*",
        "python",
        "kubernetes",
        "postgresql",
        "spark",
        "no-such-skill",
    ] {
        for geo in ["FR", "FR-IDF", "FR-13", "WORLD", "DE"] {
            for metric in [Metric::New, Metric::Active] {
                let (s, g) = (SkillId::parse(skill).unwrap(), GeoCode::parse(geo).unwrap());
                let fast = store.span_values(&s, &g, metric, &spans).unwrap();
                let reference = DailyOnly(&store)
                    .span_values(&s, &g, metric, &spans)
                    .unwrap();
                assert_eq!(fast, reference, "{skill} × {geo}, {metric:?}");
                // And by hand from the daily series, for `new`.
                if metric == Metric::New {
                    let daily = store
                        .daily(&s, &g, metric, Day::MIN, day("2026-12-31"))
                        .unwrap();
                    for (i, (from, to)) in spans.iter().enumerate() {
                        let by_hand: i64 = daily
                            .iter()
                            .filter(|(d, _)| from <= d && d <= to)
                            .map(|(_, v)| v)
                            .sum();
                        assert_eq!(fast[i], by_hand, "{skill} × {geo}, span {i}");
                    }
                }
                nonzero += fast.iter().filter(|v| **v != 0).count();
            }
        }
    }
    // The comparison means something only if most answers are not zero.
    assert!(nonzero > 60, "only {nonzero} non-zero values");
    // The sled store keeps the series it summed until the counts change:
    // after another import (a flush, a new generation) it answers anew.
    let (all, fr) = (SkillId::parse("*").unwrap(), GeoCode::parse("FR").unwrap());
    let before = store.span_values(&all, &fr, Metric::New, &spans).unwrap();
    let more: Vec<String> = corpus_over(500, 11)
        .into_iter()
        .map(|l| l.replace("\"id\":\"", "\"id\":\"again-"))
        .map(|l| l.replace("Société", "Entreprise"))
        .collect();
    import(store.as_ref(), &n, &more);
    let after = store.span_values(&all, &fr, Metric::New, &spans).unwrap();
    let reference = DailyOnly(&store)
        .span_values(&all, &fr, Metric::New, &spans)
        .unwrap();
    assert_eq!(after, reference);
    assert_ne!(after, before, "the second import added postings in France");
}

/// Every page of `cell`, as (posting id, day) pairs, following the cursors.
fn listed(store: &dyn Store, cell: &skilltrack::store::Cell) -> Vec<(String, Day)> {
    let mut out = Vec::new();
    let mut after = None;
    loop {
        let page = store.cell_page(cell, after, 7).unwrap();
        out.extend(
            page.postings
                .iter()
                .map(|p| (p.posting.id.to_string(), p.posting.posted)),
        );
        match page.next {
            Some(next) => after = Some(next),
            None => return out,
        }
    }
}

#[test]
fn the_postings_behind_a_count_are_the_same_whether_the_listing_index_came_first_or_last() {
    // An import builds the posting index without its by-day list; the first
    // listing builds it then. A store prepared first keeps the list in step
    // with every batch. Both must list the same postings, before and after
    // more postings arrive.
    let n = normalizer();
    // The corpus's duplicates across sources, with the fields production
    // fills: tags (skills found only there), remote flags, a default country.
    let lines: Vec<String> = corpus()
        .into_iter()
        .enumerate()
        .map(|(i, line)| {
            let mut v: serde_json::Value = serde_json::from_str(&line).unwrap();
            if i % 3 == 0 {
                v["tags"] = serde_json::json!(["PostgreSQL", "Kubernetes"]);
            }
            if i % 4 == 0 {
                v["remote"] = true.into();
            }
            if i % 5 == 0 {
                v["country"] = "FR".into();
                v["location"] = "Télétravail".into();
            }
            v.to_string()
        })
        .collect();
    let (_d1, listed_last) = temp_store();
    let (_d2, listed_first) = temp_store();
    listed_first.prepare().unwrap();
    let cells: Vec<skilltrack::store::Cell> = [
        ("python", "FR"),
        ("linux", "FR-IDF"),
        ("postgresql", "FR"),
        ("kubernetes", "REMOTE"),
        ("*", "FR"),
        ("*", "REMOTE"),
    ]
    .iter()
    .map(|(skill, geo)| skilltrack::store::Cell {
        skill: SkillId::parse(skill).unwrap(),
        geo: GeoCode::parse(geo).unwrap(),
        metric: Metric::New,
        from: "2025-01-01".parse().unwrap(),
        to: "2025-12-31".parse().unwrap(),
        source: None,
    })
    .collect();
    for half in [&lines[..120], &lines[120..]] {
        import(listed_last.as_ref(), &n, half);
        import(listed_first.as_ref(), &n, half);
        for cell in &cells {
            let (a, b) = (
                listed(listed_last.as_ref(), cell),
                listed(listed_first.as_ref(), cell),
            );
            assert!(
                !a.is_empty(),
                "{} in {}: nothing listed",
                cell.skill,
                cell.geo
            );
            assert_eq!(a, b, "{} in {}", cell.skill, cell.geo);
            let total: i64 = listed_last
                .daily(&cell.skill, &cell.geo, Metric::New, cell.from, cell.to)
                .unwrap()
                .iter()
                .map(|(_, v)| v)
                .sum();
            assert_eq!(
                a.len() as i64,
                total,
                "{} in {}: the count",
                cell.skill,
                cell.geo
            );
        }
    }
}
