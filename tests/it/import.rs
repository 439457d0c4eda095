//! `import`: a generated file of 1,000 postings, exact counts, idempotence.

use std::collections::BTreeMap;
use std::io::Cursor;

use skilltrack::domain::{Day, GeoCode, SkillId, SourceId};
use skilltrack::pipeline::import_lines;
use skilltrack::store::{Metric, Store};

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

fn stored(store: &dyn Store, skill: &str, geo: &str, day: Day) -> i64 {
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
