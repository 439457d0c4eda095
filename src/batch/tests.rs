//! The three stages on small inputs: rows, error rows, duplicates, order.

use std::sync::OnceLock;

use time::macros::datetime;
use time::OffsetDateTime;

use super::clusters::{group_counts, run_reduce_clusters};
use super::extract::run_extract;
use super::postings::run_reduce_postings;
use super::*;
use crate::domain::{CountRules, Posting, PostingId, SourceId};
use crate::extract::import::line_fields;
use crate::extract::RawPosting;
use crate::lake::{posting_line, seen_line, RunId, Shard};
use crate::normalize::Normalizer;
use crate::store::counting::count_all;

fn normalizer() -> &'static Normalizer {
    static N: OnceLock<Normalizer> = OnceLock::new();
    N.get_or_init(|| Normalizer::bundled().unwrap())
}

fn raw(id: &str, title: &str, description: &str) -> RawPosting {
    RawPosting {
        external_id: id.into(),
        title: title.into(),
        company: Some("ACME".into()),
        locations: vec!["Lyon".into()],
        description: description.into(),
        ..RawPosting::default()
    }
}

fn line(source: &str, raw: &RawPosting, at: OffsetDateTime) -> String {
    let source = SourceId::parse(source).unwrap();
    let run = RunId::new(&source, Shard::ALL, at);
    posting_line(line_fields(raw, None), &source, at, &run)
}

fn seen(source: &str, id: &str, at: OffsetDateTime) -> String {
    let source = SourceId::parse(source).unwrap();
    let run = RunId::new(&source, Shard::ALL, at);
    seen_line(&source, id, at, &run)
}

/// Runs a stage over `input` lines; its output lines.
fn stage(
    run: impl FnOnce(&[u8], &mut Vec<u8>) -> Result<StageReport, BatchError>,
    input: &[String],
) -> Result<Vec<String>, BatchError> {
    let text: String = input.iter().map(|l| format!("{l}\n")).collect();
    let mut out = Vec::new();
    run(text.as_bytes(), &mut out)?;
    Ok(String::from_utf8(out)
        .unwrap()
        .lines()
        .map(str::to_owned)
        .collect())
}

fn extract(input: &[String]) -> Vec<String> {
    stage(|i, o| run_extract(normalizer(), i, 1 << 20, o), input).unwrap()
}

fn reduce_postings(input: &[String]) -> Result<Vec<String>, BatchError> {
    stage(|i, o| run_reduce_postings(i, 1 << 20, o), input)
}

fn reduce_clusters(input: &[String]) -> Result<Vec<String>, BatchError> {
    stage(
        |i, o| run_reduce_clusters(&CountRules::default(), i, 1 << 20, o),
        input,
    )
}

/// Sorted by the first column (stable: rows of one key keep their order).
fn sorted(mut rows: Vec<String>) -> Vec<String> {
    rows.sort_by(|a, b| a.split('\t').next().cmp(&b.split('\t').next()));
    rows
}

fn payload(row: &str) -> Posting {
    serde_json::from_str(row.splitn(3, '\t').nth(2).unwrap()).unwrap()
}

#[test]
fn extract_writes_a_row_per_version_and_error_rows_for_bad_lines() {
    let at = datetime!(2026-11-30 06:00:12 UTC);
    let posting = line("board", &raw("a-1", "Dev Rust", "Rust et Kubernetes"), at);
    let input = vec![
        posting.clone(),
        String::new(),
        "{not json".into(),
        seen("board", "a-1", datetime!(2026-12-02 08:00:00 UTC)),
        "!\t9\t\"upstream\"".into(),
        r#"{"schema": 1, "source": "board", "fetched": "2026-11-30T06:00:12Z", "id": "x", "title": "  "}"#.into(),
    ];
    let out = extract(&input);
    assert_eq!(out.len(), 5, "{out:#?}");
    let id = PostingId::new(&SourceId::parse("board").unwrap(), "a-1");
    let cols: Vec<&str> = out[0].splitn(3, '\t').collect();
    assert_eq!(cols[0], id.to_string());
    assert!(cols[1].starts_with("2026-11-30T06:00:12Z/"), "{}", cols[1]);
    assert_eq!(cols[1].len(), "2026-11-30T06:00:12Z/".len() + 16);
    let p = payload(&out[0]);
    assert_eq!(p.first_seen.to_string(), "2026-11-30");
    assert_eq!(p.last_seen.to_string(), "2026-11-30");
    assert!(
        p.skills.iter().any(|s| s.as_str() == "rust"),
        "{:?}",
        p.skills
    );
    assert!(
        out[1].starts_with("!\t3\t\"not a JSON raw line object"),
        "{}",
        out[1]
    );
    assert_eq!(
        out[2],
        format!("{id}\t2026-12-02T08:00:00Z/seen\t{{\"seen\":\"2026-12-02\"}}")
    );
    assert_eq!(out[3], "!\t9\t\"upstream\"");
    assert!(
        out[4].starts_with("!\t6\t\"posting \\\"x\\\": missing \\\"title\\\""),
        "{}",
        out[4]
    );
}

#[test]
fn reduce_postings_folds_versions_with_the_stores_rule_in_any_order() {
    let day1 = datetime!(2026-11-01 06:00:00 UTC);
    let day5 = datetime!(2026-11-05 06:00:00 UTC);
    let day9 = datetime!(2026-11-09 06:00:00 UTC);
    let v1 = raw("a-1", "Dev Rust", "Rust");
    let v2 = raw("a-1", "Dev Rust", "Rust et Go");
    let rows = extract(&[
        line("board", &v2, day5),
        line("board", &v1, day1),
        seen("board", "a-1", day9),
        seen("board", "never-stored", day9),
    ]);
    let out = reduce_postings(&sorted(rows.clone())).unwrap();
    assert_eq!(out.len(), 1, "{out:#?}");
    let p = payload(&out[0]);
    assert_eq!(p.text, "Rust et Go", "the later version's content");
    assert_eq!(p.first_seen.to_string(), "2026-11-01");
    assert_eq!(
        p.last_seen.to_string(),
        "2026-11-09",
        "moved by the seen row"
    );
    assert_eq!(
        p.posted.to_string(),
        "2026-11-01",
        "kept: the source gives no date"
    );
    let key = out[0].split('\t').next().unwrap();
    assert_eq!(key, format!("{:016x}", p.fingerprint));
    // Duplicated rows, in another order within the group, change nothing.
    let mut doubled: Vec<String> = rows.iter().chain(rows.iter()).rev().cloned().collect();
    doubled = sorted(doubled);
    assert_eq!(reduce_postings(&doubled).unwrap(), out);
}

#[test]
fn reduce_postings_passes_error_rows_and_refuses_unsorted_input() {
    let a = line(
        "board",
        &raw("a", "Dev Rust", "Rust"),
        datetime!(2026-11-01 06:00:00 UTC),
    );
    let b = line(
        "board",
        &raw("b", "Dev Go", "Go"),
        datetime!(2026-11-01 06:00:00 UTC),
    );
    let rows = sorted(extract(&[a, b]));
    let mut with_errors = rows.clone();
    with_errors.insert(1, "!\t12\t\"bad\"".into());
    with_errors.push(format!(
        "{}\t2026-11-01T06:00:00Z/0000000000000000\t{{broken",
        rows[1].split('\t').next().unwrap()
    ));
    let out = reduce_postings(&with_errors).unwrap();
    assert!(out.contains(&"!\t12\t\"bad\"".to_string()), "{out:#?}");
    assert!(
        out.iter()
            .any(|r| r.starts_with('!') && r.contains("not a posting")),
        "{out:#?}"
    );
    assert_eq!(out.iter().filter(|r| !r.starts_with('!')).count(), 2);
    let reversed: Vec<String> = rows.into_iter().rev().collect();
    let e = reduce_postings(&reversed).unwrap_err().to_string();
    assert!(
        e.starts_with("input not sorted by posting id at line 2 ("),
        "{e}"
    );
}

#[test]
fn reduce_clusters_counts_a_group_as_count_all_does() {
    let d =
        |s: &str| OffsetDateTime::parse(s, &time::format_description::well_known::Rfc3339).unwrap();
    // The same job on two sources, ten days apart: one cluster.
    let job = raw("j", "Dev Rust", "Rust et Kubernetes");
    let lines = vec![
        line("board", &job, d("2026-11-01T06:00:00Z")),
        line("other", &job, d("2026-11-11T06:00:00Z")),
        line(
            "board",
            &raw("k", "Dev Go", "Go"),
            d("2026-11-02T06:00:00Z"),
        ),
        line(
            "board",
            &raw("l", "Admin Linux", "Linux"),
            d("2026-11-03T06:00:00Z"),
        ),
    ];
    let merged = reduce_postings(&sorted(extract(&lines))).unwrap();
    let postings: Vec<Posting> = merged.iter().map(|r| payload(r)).collect();
    let counts = reduce_clusters(&sorted(merged.clone())).unwrap();
    let mut table = std::collections::BTreeMap::<String, i64>::new();
    for row in &counts {
        let (key, delta) = row.rsplit_once('\t').unwrap();
        *table.entry(key.to_owned()).or_default() += delta.parse::<i64>().unwrap();
    }
    table.retain(|_, v| *v != 0);
    let want: std::collections::BTreeMap<String, i64> =
        count_all(&postings, &CountRules::default())
            .into_iter()
            .map(|(k, v)| {
                let row = super::clusters::count_row(&k, v);
                (row.rsplit_once('\t').unwrap().0.to_owned(), v)
            })
            .collect();
    assert_eq!(table, want);
    assert!(
        table.contains_key("rust\tFR-69\to\t2026-11-01"),
        "{table:#?}"
    );
    assert_eq!(
        table.get("*\tWORLD\to\t2026-11-01"),
        Some(&1),
        "the two sources count once"
    );
    // Duplicated input rows change nothing; unsorted input is refused.
    let doubled = sorted(merged.iter().chain(merged.iter()).cloned().collect());
    assert_eq!(reduce_clusters(&doubled).unwrap(), counts);
    let mut unsorted = sorted(merged);
    unsorted.reverse();
    let e = reduce_clusters(&unsorted).unwrap_err().to_string();
    assert!(
        e.starts_with("input not sorted by group key at line "),
        "{e}"
    );
    assert_eq!(group_counts(&[], &CountRules::default()).len(), 0);
}
