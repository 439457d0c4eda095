//! Issue #14's trends views: several geographies per query, the CSV's
//! appended columns (intervals, low support, index, year on year, smoothed
//! counts), the wide layout, `export trends` byte for byte the same as
//! `/api/v1/trends.csv`, the `ETag` / `304` and the cache of small answers.
//! Every number is hand-computed in a comment.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::Arc;

use serde_json::Value;
use skilltrack::api::{self, cache::ResponseCache, AppState};
use skilltrack::domain::SourceId;
use skilltrack::pipeline::import_lines;
use skilltrack::store::SledStore;

use crate::helpers::{normalizer, text, IsolatedApp};

/// `n` postings in `city` posted on `day`: the first `python` are Python
/// jobs, the next `rust` Rust jobs, the others Java jobs; ids from `first`.
fn postings(first: usize, city: &str, day: &str, n: usize, python: usize, rust: usize) -> String {
    let mut lines = String::new();
    for i in 0..n {
        let id = first + i;
        let title = if i < python {
            "Développeur Python"
        } else if i < python + rust {
            "Développeur Rust"
        } else {
            "Développeur Java"
        };
        let line = serde_json::json!({
            "id": id.to_string(), "title": title, "company": format!("Company {id}"),
            "location": city, "posted_at": day, "valid_through": day,
            "first_seen": day, "last_seen": day,
        });
        lines.push_str(&line.to_string());
        lines.push('\n');
    }
    lines
}

/// The fixture's postings, new per month:
///
/// | month   | geo    | total | python | rust |
/// |---------|--------|-------|--------|------|
/// | 2025-01 | FR-IDF | 5     | 3      | 0    |
/// | 2025-01 | FR-ARA | 10    | 2      | 1    |
/// | 2025-02 | FR-IDF | 20    | 5      | 2    |
/// | 2025-02 | FR-ARA | 4     | 1      | 0    |
fn fixture_lines() -> String {
    [
        postings(1000, "Paris", "2025-01-20", 5, 3, 0),
        postings(2000, "Lyon", "2025-01-15", 10, 2, 1),
        postings(3000, "Paris", "2025-02-12", 20, 5, 2),
        postings(4000, "Lyon", "2025-02-10", 4, 1, 0),
    ]
    .concat()
}

/// The `skilltrack` binary on the data directory `db`.
fn skilltrack(db: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_skilltrack"))
        .arg("--data-dir")
        .arg(db)
        .args(args)
        .env("RUST_LOG", "warn")
        .env_remove("SKILLTRACK_CONFIG")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .output()
        .expect("binary runs")
}

/// A data directory holding the fixture, imported by the binary.
fn populated(dir: &Path) -> PathBuf {
    let file = dir.join("postings.jsonl");
    std::fs::write(&file, fixture_lines()).unwrap();
    let db = dir.join("db");
    let out = skilltrack(&db, &["import", file.to_str().unwrap()]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    db
}

/// The state over the store in `db` (opened once the binary is done).
fn state(db: &Path, cache: ResponseCache) -> (Arc<SledStore>, AppState) {
    let store = Arc::new(SledStore::open(db, 16).expect("store opens"));
    let state = AppState {
        cache,
        ..IsolatedApp::state(store.clone())
    };
    (store, state)
}

async fn get(
    routes: &(impl warp::Filter<Extract = (impl warp::Reply,), Error = std::convert::Infallible>
          + Clone
          + 'static),
    path: &str,
) -> warp::http::Response<warp::hyper::body::Bytes> {
    warp::test::request().path(path).reply(routes).await
}

const MONTHS: &str = "from=2025-01-01&to=2025-02-28&interval=month";

/// One test over one fixture: the binary runs first (it locks the store),
/// then the routes read the same directory.
#[tokio::test]
async fn the_trends_views_of_issue_14() {
    let dir = tempfile::tempdir().unwrap();
    let db = populated(dir.path());

    // CLI flags and their query strings: same filters, same bytes.
    let cases: [(&[&str], &str); 6] = [
        (
            &["--skills", "python,rust", "--geo", "FR-IDF,FR-ARA"],
            "skills=python,rust&geo=FR-IDF,FR-ARA",
        ),
        (
            &[
                "--skills",
                "python",
                "--geo",
                "FR-ARA",
                "--smooth",
                "2",
                "--index",
                "2025-01-01",
                "--compare",
                "yoy",
            ],
            "skills=python&geo=FR-ARA&smooth=2&index=2025-01-01&compare=yoy",
        ),
        (
            &[
                "--skills",
                "python,rust",
                "--geo",
                "FR-IDF,FR-ARA",
                "--wide",
            ],
            "skills=python,rust&geo=FR-IDF,FR-ARA&wide=true",
        ),
        (
            &[
                "--skills",
                "python",
                "--geo",
                "FR-IDF,FR-ARA",
                "--wide",
                "--value",
                "count",
            ],
            "skills=python&geo=FR-IDF,FR-ARA&wide=true&value=count",
        ),
        (
            &[
                "--skills",
                "python,rust",
                "--geo",
                "FR-ARA",
                "--wide",
                "--value",
                "total",
            ],
            "skills=python,rust&geo=FR-ARA&wide=true&value=total",
        ),
        (
            &[
                "--skills",
                "python",
                "--geo",
                "FR-ARA",
                "--smooth",
                "2",
                "--delimiter",
                ";",
                "--bom",
            ],
            "skills=python&geo=FR-ARA&smooth=2&delimiter=;&bom=true",
        ),
    ];
    let mut from_cli = Vec::new();
    for (flags, _) in &cases {
        let mut args = vec![
            "export",
            "trends",
            "--from",
            "2025-01-01",
            "--to",
            "2025-02-28",
            "--interval",
            "month",
        ];
        args.extend_from_slice(flags);
        let out = skilltrack(&db, &args);
        assert!(out.status.success(), "{flags:?}: {}", text(&out.stderr));
        from_cli.push(out.stdout);
    }
    let wide_with_index = skilltrack(
        &db,
        &[
            "export",
            "trends",
            "--skills",
            "python",
            "--from",
            "2025-01-01",
            "--wide",
            "--index",
            "2025-01-01",
        ],
    );
    // Refused like an unknown skill: exit code 1, the flag named.
    assert_eq!(wide_with_index.status.code(), Some(1));
    assert!(
        text(&wide_with_index.stderr).contains("--index: not available with wide=true"),
        "{}",
        text(&wide_with_index.stderr)
    );

    // A big answer (streamed by the API): 3 skills × 2 geographies × 1,460
    // days = 8,760 points > 8,192.
    let big_cli = skilltrack(
        &db,
        &[
            "export",
            "trends",
            "--skills",
            "python,rust,java",
            "--geo",
            "FR-IDF,FR-ARA",
            "--from",
            "2022-01-01",
            "--to",
            "2025-12-30",
            "--interval",
            "day",
            "--compare",
            "yoy",
        ],
    );
    assert!(big_cli.status.success(), "{}", text(&big_cli.stderr));

    let (store, state) = state(&db, ResponseCache::default());
    let cache = state.cache.clone();
    let routes = api::routes(state);

    // Byte equality, CLI against the served CSV.
    for ((_, query), cli) in cases.iter().zip(&from_cli) {
        let r = get(&routes, &format!("/api/v1/trends.csv?{query}&{MONTHS}")).await;
        assert_eq!(r.status(), 200, "{query}: {}", text(r.body()));
        assert_eq!(text(r.body()), text(cli), "{query}");
    }

    let big = "/api/v1/trends.csv?skills=python,rust,java&geo=FR-IDF,FR-ARA&from=2022-01-01&to=2025-12-30&interval=day&compare=yoy";
    let kept = cache.stats().entries;
    let r = get(&routes, big).await;
    assert_eq!(cache.stats().entries, kept, "streamed, not kept");
    assert_eq!(text(r.body()), text(&big_cli.stdout));
    assert_eq!(text(r.body()).lines().count(), 1 + 8760);

    // Several geographies, skill-major, each with its own denominator:
    // python 3/5 = .6 and 5/20 = .25 in FR-IDF, 2/10 = .2 and 1/4 = .25 in
    // FR-ARA; rust 0/5, 2/20 = .1 in FR-IDF, 1/10 = .1, 0/4 in FR-ARA.
    // Wilson 95 % (z² = 3.8415) of 3 of 5: [0.230724, 0.882379]; 0 of n:
    // [0, z² / (n + z²)], so 0 of 5: 3.8415 / 8.8415 = 0.434482.
    assert_eq!(
        text(&from_cli[0]),
        "date,skill,geo,metric,interval,count,total,share,low,high,low_support\n\
         2025-01-01,python,FR-IDF,new,month,3,5,0.600000,0.230724,0.882379,true\n\
         2025-02-01,python,FR-IDF,new,month,5,20,0.250000,0.111862,0.468701,true\n\
         2025-01-01,python,FR-ARA,new,month,2,10,0.200000,0.056682,0.509838,true\n\
         2025-02-01,python,FR-ARA,new,month,1,4,0.250000,0.045587,0.699358,true\n\
         2025-01-01,rust,FR-IDF,new,month,0,5,0.000000,0.000000,0.434482,true\n\
         2025-02-01,rust,FR-IDF,new,month,2,20,0.100000,0.027866,0.301034,true\n\
         2025-01-01,rust,FR-ARA,new,month,1,10,0.100000,0.017876,0.404150,true\n\
         2025-02-01,rust,FR-ARA,new,month,0,4,0.000000,0.000000,0.489891,true\n"
    );
    let r = get(
        &routes,
        &format!("/api/v1/trends?skills=python,rust&geo=FR-IDF,FR-ARA,FR-IDF&{MONTHS}"),
    )
    .await;
    assert_eq!(r.status(), 200);
    let body: Value = serde_json::from_slice(r.body()).unwrap();
    // The top-level geo is the list asked, repeats merged.
    assert_eq!(body["geo"], "FR-IDF,FR-ARA");
    let series: Vec<(String, String, Vec<i64>, Vec<i64>)> = body["series"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            let points = s["points"].as_array().unwrap();
            (
                s["skill"].as_str().unwrap().to_owned(),
                s["geo"].as_str().unwrap().to_owned(),
                points
                    .iter()
                    .map(|p| p["count"].as_i64().unwrap())
                    .collect(),
                points
                    .iter()
                    .map(|p| p["total"].as_i64().unwrap())
                    .collect(),
            )
        })
        .collect();
    let expected = [
        ("python", "FR-IDF", [3, 5], [5, 20]),
        ("python", "FR-ARA", [2, 1], [10, 4]),
        ("rust", "FR-IDF", [0, 2], [5, 20]),
        ("rust", "FR-ARA", [1, 0], [10, 4]),
    ];
    assert_eq!(series.len(), expected.len());
    for (got, want) in series.iter().zip(expected) {
        assert_eq!(
            (got.0.as_str(), got.1.as_str(), &got.2[..], &got.3[..]),
            (want.0, want.1, &want.2[..], &want.3[..])
        );
    }
    // One geography: a series still names it.
    let r = get(
        &routes,
        &format!("/api/v1/trends?skills=python&geo=FR&{MONTHS}"),
    )
    .await;
    let body: Value = serde_json::from_slice(r.body()).unwrap();
    assert_eq!(
        (&body["geo"], &body["series"][0]["geo"]),
        (&"FR".into(), &"FR".into())
    );
    // Each geography of a list is checked.
    let r = get(
        &routes,
        &format!("/api/v1/trends.csv?skills=python&geo=FR-IDF,FR-XX&{MONTHS}"),
    )
    .await;
    assert_eq!(r.status(), 404);
    let body: Value = serde_json::from_slice(r.body()).unwrap();
    assert_eq!(body["error"]["code"], "unknown_geo");

    // Smoothing, index and year on year in the CSV. python in FR-ARA with
    // smooth=2 (history from 2023-12: compare reaches 2024-01, smoothing
    // one bucket more, all empty):
    // - Jan: count (0 + 2) / 2 = 1, total (0 + 10) / 2 = 5, share .2,
    //   Wilson(1, 5) = [0.036224, 0.624465], index 100;
    // - Feb: count (2 + 1) / 2 = 1.5, total (10 + 4) / 2 = 7, share
    //   1.5 / 7 = 0.214286, Wilson(1.5, 7) = [0.051124, 0.579922], index
    //   0.214286 / 0.2 × 100 = 107.14;
    // - a year before: counts (0 + 0) / 2 = 0, totals 0 so no share.
    assert_eq!(
        text(&from_cli[1]),
        "date,skill,geo,metric,interval,count,total,share,low,high,low_support,index,yoy_count,yoy_share\n\
         2025-01-01,python,FR-ARA,new,month,1.000000,5.000000,0.200000,0.036224,0.624465,true,100.00,0.000000,\n\
         2025-02-01,python,FR-ARA,new,month,1.500000,7.000000,0.214286,0.051124,0.579922,true,107.14,0.000000,\n"
    );
    // With `;`, a BOM and the decimal comma by default.
    assert_eq!(
        text(&from_cli[5]),
        "\u{feff}date;skill;geo;metric;interval;count;total;share;low;high;low_support\n\
         2025-01-01;python;FR-ARA;new;month;1,000000;5,000000;0,200000;0,036224;0,624465;true\n\
         2025-02-01;python;FR-ARA;new;month;1,500000;7,000000;0,214286;0,051124;0,579922;true\n"
    );

    // Wide: shares by default, columns skill@geo with several of both.
    assert_eq!(
        text(&from_cli[2]),
        "date,python@FR-IDF,python@FR-ARA,rust@FR-IDF,rust@FR-ARA\n\
         2025-01-01,0.600000,0.200000,0.000000,0.100000\n\
         2025-02-01,0.250000,0.250000,0.100000,0.000000\n"
    );
    // One skill, several geographies: a column per geography.
    assert_eq!(
        text(&from_cli[3]),
        "date,FR-IDF,FR-ARA\n2025-01-01,3,2\n2025-02-01,5,1\n"
    );
    // One geography: a column per skill; the totals are the geography's.
    assert_eq!(
        text(&from_cli[4]),
        "date,python,rust\n2025-01-01,10,10\n2025-02-01,4,4\n"
    );

    // ETag: a 200 with it, a 304 when sent back, a 200 with a new tag and
    // new numbers once an import changes the counts.
    let path = format!("/api/v1/trends?skills=python&geo=FR-ARA&{MONTHS}");
    let first = get(&routes, &path).await;
    assert_eq!(first.status(), 200);
    let tag = first.headers()["etag"].to_str().unwrap().to_owned();
    assert!(tag.starts_with('"') && tag.ends_with('"'), "{tag}");
    let again = warp::test::request()
        .path(&path)
        .header("if-none-match", &tag)
        .reply(&routes)
        .await;
    assert_eq!(again.status(), 304);
    assert!(again.body().is_empty());
    assert_eq!(again.headers()["etag"], tag.as_str());
    let csv_path = path.replace("/trends?", "/trends.csv?");
    let csv = get(&routes, &csv_path).await;
    assert_ne!(
        csv.headers()["etag"],
        tag.as_str(),
        "each route its own tag"
    );
    // The cache answered the second JSON request (after a miss for the first).
    let before = cache.stats();
    let cached = get(&routes, &path).await;
    assert_eq!(cached.body(), first.body());
    assert_eq!(cache.stats().hits, before.hits + 1);

    // 3 more Python postings in Lyon in February: 4 of 7 there.
    import_lines(
        store.as_ref(),
        &normalizer(),
        std::io::Cursor::new(postings(5000, "Lyon", "2025-02-11", 3, 3, 0)),
        &SourceId::parse("t").unwrap(),
        |_| {},
    )
    .unwrap();
    let after = warp::test::request()
        .path(&path)
        .header("if-none-match", &tag)
        .reply(&routes)
        .await;
    assert_eq!(after.status(), 200);
    assert_ne!(after.headers()["etag"], tag.as_str());
    let body: Value = serde_json::from_slice(after.body()).unwrap();
    let feb = &body["series"][0]["points"][1];
    assert_eq!((&feb["count"], &feb["total"]), (&4.into(), &7.into()));

    // Cached and uncached answers are the same bytes: a second state on the
    // same store whose cache keeps nothing.
    let uncached = api::routes(AppState {
        cache: ResponseCache::new(0, 0),
        collection: None,
        ..IsolatedApp::state(store.clone())
    });
    for query in [
        format!(
            "/api/v1/trends?skills=python,rust&geo=FR-IDF,FR-ARA&{MONTHS}&smooth=2&compare=yoy"
        ),
        format!("/api/v1/trends.csv?skills=python,rust&geo=FR-IDF,FR-ARA&{MONTHS}&wide=true"),
    ] {
        let miss = get(&routes, &query).await;
        let hit = get(&routes, &query).await;
        let plain = get(&uncached, &query).await;
        assert_eq!(miss.body(), hit.body(), "{query}");
        assert_eq!(miss.body(), plain.body(), "{query}");
        assert_eq!(miss.headers()["etag"], plain.headers()["etag"], "{query}");
        assert_eq!(
            miss.headers()["content-type"],
            hit.headers()["content-type"],
            "{query}"
        );
    }
    // Five skills over three years daily (5,475 points) is built whole and
    // cached: the second request is a hit, with the same bytes.
    let wide = "/api/v1/trends?skills=python,rust,java,linux,kubernetes&geo=FR&from=2023-01-01&to=2025-12-29&interval=day";
    let before = cache.stats();
    let first_wide = get(&routes, wide).await;
    assert_eq!(first_wide.status(), 200);
    assert_eq!(cache.stats().entries, before.entries + 1);
    let again = get(&routes, wide).await;
    assert_eq!(cache.stats().hits, before.hits + 1);
    assert_eq!(again.body(), first_wide.body());
    assert_eq!(again.body(), get(&uncached, wide).await.body());
    // A bigger answer is streamed, not cached, and tagged all the same: 3
    // skills × 2 geographies × 1,460 days = 8,760 points > 8,192.
    let big = "/api/v1/trends?skills=python,rust,java&geo=FR-IDF,FR-ARA&from=2022-01-01&to=2025-12-30&interval=day";
    let entries = cache.stats().entries;
    let streamed = get(&routes, big).await;
    assert_eq!(streamed.status(), 200);
    assert!(streamed.headers().contains_key("etag"));
    assert_eq!(cache.stats().entries, entries);
    assert_eq!(streamed.body(), get(&uncached, big).await.body());
}
