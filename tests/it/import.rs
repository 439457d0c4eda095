//! `import`: a generated file of 1,000 postings, exact counts, idempotence;
//! input that cannot be read, or with lines too long.

use std::collections::BTreeMap;
use std::io::{BufReader, Cursor, Read};

use skilltrack::domain::{Day, GeoCode, SkillId, SourceId};
use skilltrack::pipeline::{import_lines, import_with, ImportError, ImportOptions};
use skilltrack::store::{CountStore, Metric, PostingStore};

use crate::helpers::{normalizer, temp_store};

/// (title, skill the title names)
const TITLES: &[(&str, &str)] = &[
    ("Développeur Python (H/F)", "python"),
    ("Ingénieur Kubernetes", "kubernetes"),
    ("PostgreSQL Database Administrator", "postgresql"),
    ("Développeur Rust confirmé", "rust"),
];
/// (location string, département, région, country)
const PLACES: &[(&str, &str, &str, &str)] = &[
    ("75 - PARIS 09", "FR-75", "FR-IDF", "FR"),
    ("Lyon 3e", "FR-69", "FR-ARA", "FR"),
    ("33000 Bordeaux", "FR-33", "FR-NAQ", "FR"),
];

/// A deterministic file: posting i has title i % 4, place i % 3, day i % 10.
fn generated(n: usize) -> (String, BTreeMap<(String, String, Day), i64>) {
    let mut text = String::new();
    let mut expected: BTreeMap<(String, String, Day), i64> = BTreeMap::new();
    let first: Day = "2025-01-01".parse().unwrap();
    for i in 0..n {
        let (title, skill) = TITLES[i % TITLES.len()];
        let (location, dep, reg, country) = PLACES[i % PLACES.len()];
        let day = first.add_days((i % 10) as i32);
        let line = serde_json::json!({
            "id": format!("gen-{i}"),
            "title": title,
            "description": "Poste en CDI au sein d'une équipe bienveillante. Horaires flexibles.",
            "company": format!("Entreprise {i}"),
            "location": location,
            "posted_at": day.to_string(),
        });
        text.push_str(&line.to_string());
        text.push('\n');
        for geo in [dep, reg, country, "WORLD"] {
            for s in [skill, "*"] {
                *expected
                    .entry((s.to_owned(), geo.to_owned(), day))
                    .or_default() += 1;
            }
        }
    }
    (text, expected)
}

fn stored(store: &dyn CountStore, skill: &str, geo: &str, day: Day) -> i64 {
    store
        .daily(
            &SkillId::parse(skill).unwrap(),
            &GeoCode::parse(geo).unwrap(),
            Metric::New,
            day,
            day,
        )
        .unwrap()
        .first()
        .map_or(0, |(_, v)| *v)
}

#[test]
fn thousand_postings_give_exact_counts_and_reimport_changes_nothing() {
    let (text, expected) = generated(1000);
    let (_dir, store) = temp_store();
    let n = normalizer();
    let source = SourceId::parse("generated").unwrap();

    let report = import_lines(
        store.as_ref(),
        &n,
        Cursor::new(text.as_bytes()),
        &source,
        |_| {},
    )
    .unwrap();
    assert_eq!(
        (report.items, report.new, report.rejected),
        (1000, 1000, 0),
        "{report:?}"
    );
    for ((skill, geo, day), want) in &expected {
        assert_eq!(
            stored(store.as_ref(), skill, geo, *day),
            *want,
            "{skill} {geo} {day}"
        );
    }
    // A skill no posting names has no count anywhere.
    let first = "2025-01-01".parse().unwrap();
    assert_eq!(stored(store.as_ref(), "java", "WORLD", first), 0);

    let again = import_lines(
        store.as_ref(),
        &n,
        Cursor::new(text.as_bytes()),
        &source,
        |_| {},
    )
    .unwrap();
    assert_eq!((again.new, again.unchanged, again.updated), (0, 1000, 0));
    for ((skill, geo, day), want) in &expected {
        assert_eq!(
            stored(store.as_ref(), skill, geo, *day),
            *want,
            "after re-import: {skill} {geo} {day}"
        );
    }
    assert_eq!(store.posting_count().unwrap(), 1000);
}

#[test]
fn a_changed_posting_moves_its_counts() {
    let (_dir, store) = temp_store();
    let n = normalizer();
    let source = SourceId::parse("generated").unwrap();
    let day: Day = "2025-03-03".parse().unwrap();
    let v1 = r#"{"id": "x1", "title": "Développeur Python", "location": "Paris", "posted_at": "2025-03-03"}"#;
    let v2 = r#"{"id": "x1", "title": "Développeur Rust", "location": "Paris", "posted_at": "2025-03-03"}"#;
    import_lines(store.as_ref(), &n, Cursor::new(v1), &source, |_| {}).unwrap();
    assert_eq!(stored(store.as_ref(), "python", "FR-75", day), 1);
    let r = import_lines(store.as_ref(), &n, Cursor::new(v2), &source, |_| {}).unwrap();
    assert_eq!(r.updated, 1);
    assert_eq!(stored(store.as_ref(), "python", "FR-75", day), 0);
    assert_eq!(stored(store.as_ref(), "rust", "FR-75", day), 1);
    assert_eq!(stored(store.as_ref(), "*", "FR-75", day), 1);
}

#[test]
fn bad_lines_are_reported_with_their_number_and_good_lines_still_go_in() {
    let (_dir, store) = temp_store();
    let input = "{\"id\": \"a\", \"title\": \"Dev Python\", \"posted_at\": \"2025-01-02\"}\n\
                 {broken json\n\
                 {\"id\": \"b\"}\n\
                 \n\
                 {\"id\": \"c\", \"title\": \"Dev Rust\", \"posted_at\": \"2025-02-30\"}\n\
                 {\"id\": \"d\", \"title\": \"Dev Go\", \"posted_at\": \"2025-01-02\"}\n";
    let source = SourceId::parse("manual").unwrap();
    let r = import_lines(
        store.as_ref(),
        &normalizer(),
        Cursor::new(input),
        &source,
        |_| {},
    )
    .unwrap();
    assert_eq!((r.new, r.rejected), (2, 3), "{r:?}");
    let all = r.errors.join("\n");
    assert!(all.contains("line 2: not a JSON posting object"), "{all}");
    assert!(
        all.contains("line 3: posting \"b\": missing \"title\""),
        "{all}"
    );
    assert!(
        all.contains("line 5: posting \"c\": \"posted_at\" \"2025-02-30\" is not a date"),
        "{all}"
    );
    let day: Day = "2025-01-02".parse().unwrap();
    assert_eq!(stored(store.as_ref(), "*", "UNKNOWN", day), 2);
}

/// Gives its bytes, then fails on every read (a failing device) — up to
/// `give_up` failures, then says the input ended, so that a reader that
/// retries forever shows up as a wrong result rather than a hang.
struct FailingInput {
    good: Cursor<Vec<u8>>,
    failures: u32,
    give_up: u32,
}

impl Read for FailingInput {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        match self.good.read(buf)? {
            0 if self.failures < self.give_up => {
                self.failures += 1;
                Err(std::io::Error::other("input/output error"))
            }
            n => Ok(n),
        }
    }
}

/// Issue #11: an input whose reads keep failing made `import` loop forever,
/// growing memory. It stops at the first failure, naming the line; what was
/// read before is stored, and importing the repaired input counts it once.
#[test]
fn a_read_error_stops_the_import_and_what_was_read_is_counted_once() {
    let (text, expected) = generated(1200);
    let (_dir, store) = temp_store();
    let n = normalizer();
    let source = SourceId::parse("generated").unwrap();
    let mut input = FailingInput {
        good: Cursor::new(text.as_bytes()[..text.len() / 2].to_vec()),
        failures: 0,
        give_up: 10_000,
    };
    let stored_lines = text[..text.len() / 2].matches('\n').count() as u64;
    let result = import_lines(
        store.as_ref(),
        &n,
        BufReader::new(&mut input),
        &source,
        |_| {},
    );
    let Err(ImportError::Read { error, report }) = result else {
        panic!("expected a read error, got {result:?}");
    };
    assert_eq!(
        input.failures, 1,
        "the input is not read again after a failure"
    );
    assert_eq!(error.line, stored_lines + 1);
    assert_eq!(error.source.to_string(), "input/output error");
    assert_eq!(report.new, stored_lines, "{report:?}");
    assert_eq!(store.posting_count().unwrap(), stored_lines);

    // The repaired file: everything counted once.
    let again = import_lines(
        store.as_ref(),
        &n,
        Cursor::new(text.as_bytes()),
        &source,
        |_| {},
    )
    .unwrap();
    assert_eq!(
        (again.new, again.unchanged),
        (1200 - stored_lines, stored_lines)
    );
    for ((skill, geo, day), want) in &expected {
        assert_eq!(
            stored(store.as_ref(), skill, geo, *day),
            *want,
            "{skill} {geo} {day}"
        );
    }
}

/// Issue #11: one 50 MB line took 1.5 GB. A line over the limit is skipped
/// without being kept, reported by number; the lines around it go in.
#[test]
fn a_line_over_the_limit_is_reported_by_number_and_the_others_stored() {
    let (_dir, store) = temp_store();
    let long = format!(
        r#"{{"id": "long", "title": "Dev", "description": "{}"}}"#,
        "x".repeat(5000)
    );
    let mut input = format!(
        "{{\"id\": \"a\", \"title\": \"Dev Python\"}}\n{long}\n\
         {{\"id\": \"b\", \"title\": \"Dev Rust\"}}\n\
         {{\"id\": \"c\", \"title\": \"Dev Z\"}}\n"
    )
    .into_bytes();
    // A byte that is not UTF-8 (in line 4) is a bad line, not a stop.
    let z = input.iter().rposition(|b| *b == b'Z').unwrap();
    input[z] = 0xff;
    let r = import_with(
        store.as_ref(),
        &normalizer(),
        Cursor::new(input),
        &SourceId::parse("manual").unwrap(),
        &ImportOptions {
            max_line_bytes: 1000,
        },
        |_| {},
    )
    .unwrap();
    assert_eq!((r.new, r.rejected), (2, 2), "{r:?}");
    assert_eq!(r.errors[0], "line 2: longer than 1000 bytes, skipped");
    assert!(
        r.errors[1].starts_with("line 4: not UTF-8 text"),
        "{:?}",
        r.errors
    );
}
