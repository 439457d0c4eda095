//! Top and rising skills through the routes (`warp::test`) and the binary:
//! shares with their Wilson interval, the previous period, growth and its
//! interval (1 → 3 postings not ranked above a solid riser), `min_support`,
//! the year before, `category=certification`, `active` against `new`, the
//! limits and the 400s, `ETag` → 304, and `export top` giving the bytes of
//! `/api/v1/top.csv`. Every number is worked out by hand (z = 1.959964).

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;

use serde_json::Value;
use skilltrack::api::{self, AppState};
use skilltrack::export::TOP_COLUMNS;
use skilltrack::store::{SledStore, Store};

use crate::helpers::{get_json, normalizer, skilltrack_ok, text};

/// `n` postings in Lyon (FR-ARA) posted on `day` with `title`, ids from `first`.
fn postings(first: usize, day: &str, n: usize, title: &str) -> Vec<String> {
    (0..n)
        .map(|i| {
            let id = first + i;
            serde_json::json!({
                "id": id.to_string(), "title": title, "company": format!("Company {id}"),
                "location": "Lyon", "posted_at": day, "valid_through": day,
                "first_seen": day, "last_seen": day,
            })
            .to_string()
        })
        .collect()
}

/// In FR-ARA, period 2025-03-01..31 (31 days; previous 2025-01-29..02-28,
/// a year before 2024-03-01..31):
/// - 2025-03-10: 40 postings: 15 Python, 3 Rust, 2 RHCSA, 20 Java;
/// - 2025-02-10: 40 postings: 10 Python, 1 Rust, 29 Java;
/// - 2024-03-12: 20 postings: 5 Python, 15 Java.
fn fixture_lines() -> String {
    let mut lines = Vec::new();
    lines.extend(postings(1000, "2025-03-10", 15, "Développeur Python"));
    lines.extend(postings(1100, "2025-03-10", 3, "Développeur Rust"));
    lines.extend(postings(1200, "2025-03-10", 2, "Administrateur RHCSA"));
    lines.extend(postings(1300, "2025-03-10", 20, "Développeur Java"));
    lines.extend(postings(2000, "2025-02-10", 10, "Développeur Python"));
    lines.extend(postings(2100, "2025-02-10", 1, "Développeur Rust"));
    lines.extend(postings(2200, "2025-02-10", 29, "Développeur Java"));
    lines.extend(postings(3000, "2024-03-12", 5, "Développeur Python"));
    lines.extend(postings(3100, "2024-03-12", 15, "Développeur Java"));
    lines.join("\n")
}

/// The fixture imported by the binary into `dir/db`.
fn imported(dir: &Path) -> PathBuf {
    let file = dir.join("postings.jsonl");
    std::fs::write(&file, fixture_lines()).unwrap();
    let db = dir.join("db");
    skilltrack_ok(&[
        "--data-dir",
        db.to_str().unwrap(),
        "import",
        file.to_str().unwrap(),
    ]);
    db
}

/// The routes over the store in `db` with `min_support`.
fn routes(
    db: &Path,
    min_support: u64,
) -> impl warp::Filter<Extract = (impl warp::Reply,), Error = std::convert::Infallible> + Clone {
    let store: Arc<dyn Store> = Arc::new(SledStore::open(db, 16).expect("store opens"));
    api::routes(AppState::new(store, normalizer()).with_min_support(min_support))
}

const MARCH: &str = "/api/v1/top?geo=FR-ARA&from=2025-03-01&to=2025-03-31";

fn num(v: &Value) -> Option<f64> {
    v.as_f64().map(|x| (x * 10_000.0).round() / 10_000.0)
}

fn item<'a>(body: &'a Value, skill: &str) -> &'a Value {
    body["skills"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["skill"] == skill)
        .unwrap_or_else(|| panic!("{skill} not in {body}"))
}

fn ids(body: &Value) -> Vec<&str> {
    body["skills"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["skill"].as_str().unwrap())
        .collect()
}

#[tokio::test]
async fn top_numbers_growth_and_the_year_before() {
    let dir = tempfile::tempdir().unwrap();
    let r = routes(&imported(dir.path()), 10);
    let (status, body) = get_json(&r, MARCH).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["geo"], "FR-ARA");
    assert_eq!(body["metric"], "new");
    assert_eq!(
        (&body["from"], &body["to"]),
        (&"2025-03-01".into(), &"2025-03-31".into())
    );
    // 31 days before 2025-03-01: 2025-01-29..2025-02-28.
    assert_eq!(body["prev_from"], "2025-01-29");
    assert_eq!(body["prev_to"], "2025-02-28");
    assert_eq!(body["category"], Value::Null);
    assert_eq!(
        (&body["sort"], &body["limit"]),
        (&"count".into(), &20.into())
    );
    assert_eq!(
        (&body["min_support"], &body["total"], &body["prev_total"]),
        (&10.into(), &40.into(), &40.into())
    );
    let python = item(&body, "python");
    assert_eq!(python["label"], "Python");
    assert_eq!(python["category"], "language");
    // 15 of 40 = .375; Wilson: (p + z²/2n) / (1 + z²/n) = .423018 /
    // 1.096036 = .385952, half-width z·√(.005859 + .000600) / 1.096036
    // = .143720: .2422, .5297.
    assert_eq!(
        (&python["count"], &python["total"]),
        (&15.into(), &40.into())
    );
    assert_eq!(num(&python["share"]), Some(0.375));
    assert_eq!(num(&python["low"]), Some(0.2422));
    assert_eq!(num(&python["high"]), Some(0.5297));
    assert_eq!(python["low_support"], false);
    // Before: 10 of 40 = .25; growth .375/.25 = 1.5; Katz: var = 1/15 −
    // 1/40 + 1/10 − 1/40 = .116667, z·√var = .669455: exp(ln 1.5 ∓ .669455)
    // = .7680, 2.9298.
    assert_eq!(
        (&python["prev_count"], &python["prev_total"]),
        (&10.into(), &40.into())
    );
    assert_eq!(num(&python["prev_share"]), Some(0.25));
    assert_eq!(num(&python["growth"]), Some(1.5));
    assert_eq!(num(&python["growth_low"]), Some(0.768));
    assert_eq!(num(&python["growth_high"]), Some(2.9298));
    // A year before: 5 of 20.
    assert_eq!(python["yoy_count"], 5);
    assert_eq!(num(&python["yoy_share"]), Some(0.25));
    // By count: java (20), python (15), …; rank follows the order.
    let order = ids(&body);
    assert_eq!(&order[..2], ["java", "python"]);
    assert_eq!(body["skills"][1]["rank"], 2);
    assert!(!order.contains(&"*"));
    // Nothing of the taxonomy without postings in March.
    for skill in body["skills"].as_array().unwrap() {
        assert!(skill["count"].as_i64().unwrap() > 0, "{skill}");
    }
    // RHCSA, new in March: 2 of 40 over 0 of 40 → prev_share 0, growth
    // null; the 0 taken as .5: r = 4, var = 1/2 − 1/40 + 2 − 1/40 = 2.45,
    // exp(ln 4 ∓ 3.067829) = .1861, 85.9807.
    let rhcsa = item(&body, "rhcsa");
    assert_eq!(
        (&rhcsa["prev_count"], &rhcsa["growth"]),
        (&0.into(), &Value::Null)
    );
    assert_eq!(num(&rhcsa["prev_share"]), Some(0.0));
    assert_eq!(num(&rhcsa["growth_low"]), Some(0.1861));
    assert_eq!(num(&rhcsa["growth_high"]), Some(85.9807));
    assert_eq!(rhcsa["yoy_count"], 0);
}

#[tokio::test]
async fn rising_ranks_by_the_lower_bound_and_leaves_thin_skills_out() {
    let dir = tempfile::tempdir().unwrap();
    let db = imported(dir.path());
    let growth = format!("{MARCH}&sort=growth");
    {
        // min_support 10: rust (3 and 1) and rhcsa (2 and 0) are thin in
        // both periods; python (15) and java (20, 29) are not.
        let r = routes(&db, 10);
        let (status, body) = get_json(&r, &growth).await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(body["sort"], "growth");
        let order = ids(&body);
        assert!(
            !order.contains(&"rust") && !order.contains(&"rhcsa"),
            "{order:?}"
        );
        // python: low .7680; java: 20/40 over 29/40, r = .689655, var = 1/20
        // − 1/40 + 1/29 − 1/40 = .034483, exp(ln r − .363955) = .4793.
        assert_eq!(&order[..2], ["python", "java"]);
        assert_eq!(num(&item(&body, "java")["growth_low"]), Some(0.4793));
    }
    // min_support 1: rust's 1 → 3 (growth 3, low: var = 1/3 − 1/40 + 1 −
    // 1/40 = 1.283333, exp(ln 3 − 2.220332) = .3257) stays below python's
    // 10 → 15 (growth 1.5, low .7680).
    let r = routes(&db, 1);
    let (_, body) = get_json(&r, &growth).await;
    let order = ids(&body);
    let at = |s: &str| order.iter().position(|x| *x == s).unwrap();
    assert!(at("python") < at("rust"), "{order:?}");
    assert_eq!(num(&item(&body, "rust")["growth"]), Some(3.0));
    assert_eq!(num(&item(&body, "rust")["growth_low"]), Some(0.3257));
    let lows: Vec<f64> = body["skills"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["growth_low"].as_f64().unwrap())
        .collect();
    assert!(lows.windows(2).all(|w| w[0] >= w[1]), "{lows:?}");
}

#[tokio::test]
async fn certifications_active_limits_and_errors() {
    let dir = tempfile::tempdir().unwrap();
    let r = routes(&imported(dir.path()), 30);
    let (status, body) = get_json(&r, &format!("{MARCH}&category=certification")).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(ids(&body), ["rhcsa"]);
    assert_eq!(body["category"], "certification");
    // 2 of 40: share .05; 40 postings is over min_support 30.
    assert_eq!(num(&item(&body, "rhcsa")["share"]), Some(0.05));
    assert_eq!(item(&body, "rhcsa")["low_support"], false);

    let (_, body) = get_json(&r, &format!("{MARCH}&limit=1")).await;
    assert_eq!(ids(&body), ["java"]);
    assert_eq!(
        (&body["limit"], &body["skills"][0]["rank"]),
        (&1.into(), &1.into())
    );

    // Active on 2025-03-10: the 40 postings of the day are open; on the
    // previous period's last day (03-09) none is: no previous share, no
    // growth, no growth interval.
    let (status, body) = get_json(
        &r,
        "/api/v1/top?geo=FR-ARA&from=2025-03-01&to=2025-03-10&metric=active",
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        (&body["metric"], &body["total"], &body["prev_total"]),
        (&"active".into(), &40.into(), &0.into())
    );
    let python = item(&body, "python");
    assert_eq!(python["count"], 15);
    assert_eq!(
        (
            &python["prev_share"],
            &python["growth"],
            &python["growth_low"]
        ),
        (&Value::Null, &Value::Null, &Value::Null)
    );
    // The same days as `new`: the 40 postings of 2025-03-10.
    let (_, new) = get_json(&r, "/api/v1/top?geo=FR-ARA&from=2025-03-01&to=2025-03-10").await;
    assert_eq!(
        (&new["total"], &item(&new, "python")["count"]),
        (&40.into(), &15.into())
    );
    // A period without postings: nothing ranked, total 0.
    let (_, empty) = get_json(&r, "/api/v1/top?geo=FR-ARA&from=2023-01-01&to=2023-01-31").await;
    assert_eq!(
        (&empty["total"], &empty["skills"]),
        (&0.into(), &serde_json::json!([]))
    );

    for (query, code, message) in [
        (
            "limit=0",
            "invalid_parameter",
            "limit: 0 is not a number of skills from 1 to 200",
        ),
        (
            "limit=201",
            "limit_exceeded",
            "limit: 201 is not a number of skills from 1 to 200",
        ),
        (
            "limit=ten",
            "invalid_parameter",
            "limit: \"ten\" is not a whole number",
        ),
        (
            "sort=rising",
            "invalid_parameter",
            "sort: unknown sort \"rising\": use count, share or growth",
        ),
        ("metric=old", "invalid_parameter", "metric:"),
        (
            "category=certifcation",
            "invalid_parameter",
            "category: unknown category \"certifcation\" (known: language,",
        ),
        (
            "category=certifcation",
            "invalid_parameter",
            "did you mean \"certification\"?",
        ),
        (
            "geo=FR-XYZ",
            "unknown_geo",
            "geo: unknown geography \"FR-XYZ\"",
        ),
        (
            "from=2025-02-01&to=2025-01-01",
            "invalid_parameter",
            "from/to: from (2025-02-01) is after to (2025-01-01)",
        ),
        (
            "from=1900-01-01&to=2025-01-01",
            "limit_exceeded",
            "from/to: the range",
        ),
        (
            "skills=python",
            "invalid_parameter",
            "skills: unknown parameter",
        ),
        (
            "delimiter=;",
            "invalid_parameter",
            "delimiter: unknown parameter",
        ),
    ] {
        let (status, body) = get_json(&r, &format!("/api/v1/top?{query}")).await;
        // An unknown skill or geography is a 404 (with its suggestion).
        let expected = if code.starts_with("unknown_") {
            404
        } else {
            400
        };
        assert_eq!(status, expected, "{query}: {body}");
        assert_eq!(body["error"]["code"], code, "{query}: {body}");
        let got = body["error"]["message"].as_str().unwrap();
        assert!(got.contains(message), "{query}: {got}");
    }
    let (status, body) = get_json(&r, "/api/v1/top.csv?delimiter=:").await;
    assert_eq!(
        (status, &body["error"]["code"]),
        (400, &"invalid_parameter".into())
    );
}

#[tokio::test]
async fn the_etag_answers_304_until_the_counts_move() {
    let dir = tempfile::tempdir().unwrap();
    let db = imported(dir.path());
    let store = Arc::new(SledStore::open(&db, 16).expect("store opens"));
    let state = AppState::new(store.clone(), normalizer()).with_min_support(30);
    let cache = state.cache.clone();
    let r = api::routes(state);
    for path in [MARCH.to_owned(), MARCH.replace("/top?", "/top.csv?")] {
        let first = warp::test::request().path(&path).reply(&r).await;
        assert_eq!(first.status(), 200);
        // The same request again is answered from the cache, same bytes
        // and headers.
        let hits = cache.stats().hits;
        let cached = warp::test::request().path(&path).reply(&r).await;
        assert_eq!(cache.stats().hits, hits + 1, "{path}");
        assert_eq!(cached.body(), first.body(), "{path}");
        assert_eq!(cached.headers(), first.headers(), "{path}");
        let tag = first.headers()["etag"].to_str().unwrap().to_owned();
        let again = warp::test::request()
            .path(&path)
            .header("if-none-match", &tag)
            .reply(&r)
            .await;
        assert_eq!(again.status(), 304, "{path}");
        assert!(again.body().is_empty());
        assert_eq!(again.headers()["etag"], tag.as_str());
        // Another tag, other parameters: the whole answer.
        let other = warp::test::request()
            .path(&path)
            .header("if-none-match", "\"0000000000000000\"")
            .reply(&r)
            .await;
        assert_eq!(other.status(), 200);
        assert_eq!(other.body(), first.body());
        let limited = warp::test::request()
            .path(&format!("{path}&limit=3"))
            .header("if-none-match", &tag)
            .reply(&r)
            .await;
        assert_eq!(limited.status(), 200);
    }
    // New counts: the old tag no longer matches.
    let first = warp::test::request().path(MARCH).reply(&r).await;
    let tag = first.headers()["etag"].to_str().unwrap().to_owned();
    skilltrack::pipeline::import_lines(
        store.as_ref(),
        &normalizer(),
        std::io::Cursor::new(postings(9000, "2025-03-20", 2, "Développeur Python").join("\n")),
        &skilltrack::domain::SourceId::parse("t").unwrap(),
        |_| {},
    )
    .unwrap();
    let after = warp::test::request()
        .path(MARCH)
        .header("if-none-match", &tag)
        .reply(&r)
        .await;
    assert_eq!(after.status(), 200);
    let body: Value = serde_json::from_slice(after.body()).unwrap();
    assert_eq!(item(&body, "python")["count"], 17);
    // A bad query is a 400 whatever tag is sent.
    let bad = warp::test::request()
        .path("/api/v1/top?limit=0")
        .header("if-none-match", "*")
        .reply(&r)
        .await;
    assert_eq!(bad.status(), 400);
}

#[tokio::test]
async fn export_top_writes_the_bytes_of_top_csv() {
    let dir = tempfile::tempdir().unwrap();
    let db = imported(dir.path());
    let flags: [(&[&str], &str); 4] = [
        (&[], ""),
        (
            &["--sort", "growth", "--limit", "5"],
            "&sort=growth&limit=5",
        ),
        (
            &["--category", "certification", "--metric", "active"],
            "&category=certification&metric=active",
        ),
        (&["--delimiter", ";", "--bom"], "&delimiter=;&bom=true"),
    ];
    let mut cli = Vec::new();
    for (extra, _) in flags {
        let mut args = vec![
            "--data-dir",
            db.to_str().unwrap(),
            "export",
            "top",
            "--geo",
            "FR-ARA",
            "--from",
            "2025-03-01",
            "--to",
            "2025-03-31",
        ];
        args.extend_from_slice(extra);
        cli.push(skilltrack_ok(&args).stdout);
    }
    let r = routes(&db, skilltrack::trends::DEFAULT_MIN_SUPPORT);
    for ((_, query), cli) in flags.iter().zip(&cli) {
        let path = format!("/api/v1/top.csv?geo=FR-ARA&from=2025-03-01&to=2025-03-31{query}");
        let resp = warp::test::request().path(&path).reply(&r).await;
        assert_eq!(resp.status(), 200, "{path}");
        assert_eq!(resp.headers()["content-type"], "text/csv; charset=utf-8");
        assert!(
            resp.body().as_ref() == cli.as_slice(),
            "{path}:\n{}\n---\n{}",
            text(resp.body()),
            text(cli)
        );
    }
    // The columns, and the JSON's numbers in the rows.
    let csv = text(&cli[0]);
    let mut lines = csv.lines();
    assert_eq!(lines.next(), Some(TOP_COLUMNS.join(",").as_str()));
    let python = lines.find(|l| l.contains(",python,")).unwrap();
    assert!(
        python.ends_with(",python,Python,language,15,40,0.375000,0.242230,0.529676,false,10,40,0.250000,1.500000,0.767981,2.929759,5,0.250000"),
        "{python}"
    );
    assert!(text(&cli[3]).starts_with("\u{feff}rank;skill;label;"));
    // The CLI refuses what the API refuses, with the same message.
    let bad = Command::new(env!("CARGO_BIN_EXE_skilltrack"))
        .args([
            "--data-dir",
            db.to_str().unwrap(),
            "export",
            "top",
            "--limit",
            "0",
        ])
        .env("RUST_LOG", "warn")
        .env_remove("SKILLTRACK_CONFIG")
        .output()
        .unwrap();
    assert_eq!(bad.status.code(), Some(1), "{}", text(&bad.stderr));
    assert!(
        text(&bad.stderr).contains("limit: 0 is not a number of skills from 1 to 200"),
        "{}",
        text(&bad.stderr)
    );
    assert!(text(&cli[3]).contains(";0,375000;"));
}
