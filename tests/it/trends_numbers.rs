//! Honest trend numbers through the routes (`warp::test`): Wilson intervals,
//! low support, smoothing, an index, year on year across an ISO week 53,
//! and the parameters' 400s — every number hand-computed.

use std::io::Cursor;

use serde_json::Value;
use skilltrack::api;
use skilltrack::domain::SourceId;
use skilltrack::pipeline::import_lines;

use crate::helpers::{get_json, normalizer, temp_store, IsolatedApp};

/// `n` postings in Lyon (FR-ARA) posted on `day`, the first `python` of
/// them Python jobs and the others Java jobs, ids from `first`.
fn postings(first: usize, day: &str, n: usize, python: usize) -> Vec<String> {
    (0..n)
        .map(|i| {
            let id = first + i;
            let title = if i < python {
                "Développeur Python"
            } else {
                "Développeur Java"
            };
            serde_json::json!({
                "id": id.to_string(), "title": title, "company": format!("Company {id}"),
                "location": "Lyon", "posted_at": day, "valid_through": day,
                "first_seen": day, "last_seen": day,
            })
            .to_string()
        })
        .collect()
}

/// The routes over a store holding, in FR-ARA: 2024-03: 5 Python of 20;
/// 2025-01: 4 of 100; 2025-02: 0 of 10; 2025-03: 10 of 10; 2025-04:
/// nothing; 2025-12-23 (ISO 2025-W52): 1 of 3.
fn fixture() -> (
    tempfile::TempDir,
    impl warp::Filter<Extract = (impl warp::Reply,), Error = std::convert::Infallible> + Clone,
) {
    let (dir, store) = temp_store();
    let mut lines = Vec::new();
    lines.extend(postings(1000, "2024-03-12", 20, 5));
    lines.extend(postings(2000, "2025-01-15", 100, 4));
    lines.extend(postings(3000, "2025-02-10", 10, 0));
    lines.extend(postings(4000, "2025-03-03", 10, 10));
    lines.extend(postings(5000, "2025-12-23", 3, 1));
    import_lines(
        store.as_ref(),
        &normalizer(),
        Cursor::new(lines.join("\n")),
        &SourceId::parse("t").unwrap(),
        |_| {},
    )
    .unwrap();
    (dir, api::routes(IsolatedApp::state(store)))
}

const MONTHS: &str =
    "/api/v1/trends?skills=python&geo=FR-ARA&from=2025-01-01&to=2025-04-30&interval=month";

fn points(body: &Value) -> &Vec<Value> {
    body["series"][0]["points"].as_array().unwrap()
}

fn num(v: &Value) -> Option<f64> {
    v.as_f64().map(|x| (x * 10_000.0).round() / 10_000.0)
}

/// count, total, share, low, high, low_support.
type Row = (i64, i64, Option<f64>, Option<f64>, Option<f64>, bool);

#[tokio::test]
async fn each_point_has_its_wilson_interval_and_support() {
    let (_dir, routes) = fixture();
    let (status, body) = get_json(&routes, MONTHS).await;
    assert_eq!(status, 200, "{body}");
    let got: Vec<Row> = points(&body)
        .iter()
        .map(|p| {
            (
                p["count"].as_i64().unwrap(),
                p["total"].as_i64().unwrap(),
                num(&p["share"]),
                num(&p["low"]),
                num(&p["high"]),
                p["low_support"].as_bool().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        got,
        vec![
            (4, 100, Some(0.04), Some(0.0157), Some(0.0984), false),
            (0, 10, Some(0.0), Some(0.0), Some(0.2775), true),
            (10, 10, Some(1.0), Some(0.7225), Some(1.0), true),
            (0, 0, None, None, None, true),
        ]
    );
    let april = &points(&body)[3];
    assert!(april["low"].is_null() && april["high"].is_null(), "{april}");
    // Nothing asked, nothing added.
    for key in ["index", "yoy_count", "yoy_share"] {
        assert!(points(&body)[0].get(key).is_none(), "{key}");
    }
}

#[tokio::test]
async fn smoothing_averages_count_and_total_then_divides() {
    let (_dir, routes) = fixture();
    let (status, body) = get_json(&routes, &format!("{MONTHS}&smooth=2")).await;
    assert_eq!(status, 200, "{body}");
    let got: Vec<(f64, f64, Option<f64>, bool)> = points(&body)
        .iter()
        .map(|p| {
            (
                p["count"].as_f64().unwrap(),
                p["total"].as_f64().unwrap(),
                num(&p["share"]),
                p["low_support"].as_bool().unwrap(),
            )
        })
        .collect();
    // Jan with Dec 2024 (0 of 0): 2/50. Feb: (4+0)/2 over (100+10)/2 = 2/55,
    // not the mean of the shares (.02). Mar: 5/10. Apr: 5/5.
    assert_eq!(
        got,
        vec![
            (2.0, 50.0, Some(0.04), false),
            (2.0, 55.0, Some(0.0364), false),
            (5.0, 10.0, Some(0.5), true),
            (5.0, 5.0, Some(1.0), true),
        ]
    );
    // The interval is the smoothed pair's: 2 of 55.
    let feb = &points(&body)[1];
    assert_eq!(num(&feb["low"]), Some(0.01));
    assert_eq!(num(&feb["high"]), Some(0.1232));
    // smooth=1 is the plain series.
    let (_, plain) = get_json(&routes, MONTHS).await;
    let (_, one) = get_json(&routes, &format!("{MONTHS}&smooth=1")).await;
    assert_eq!(plain, one);
}

#[tokio::test]
async fn an_index_is_relative_to_the_base_days_bucket() {
    let (_dir, routes) = fixture();
    let (status, body) = get_json(&routes, &format!("{MONTHS}&index=2025-01-20")).await;
    assert_eq!(status, 200, "{body}");
    let got: Vec<Option<f64>> = points(&body).iter().map(|p| num(&p["index"])).collect();
    assert_eq!(got, vec![Some(100.0), Some(0.0), Some(2500.0), None]);
    assert!(points(&body)[3]["index"].is_null());
    // A base whose share is 0 leaves every index undefined.
    let (_, body) = get_json(&routes, &format!("{MONTHS}&index=2025-02-01")).await;
    assert!(points(&body).iter().all(|p| p["index"].is_null()), "{body}");
}

#[tokio::test]
async fn year_on_year_takes_the_same_bucket_a_year_earlier() {
    let (_dir, routes) = fixture();
    let (status, body) = get_json(&routes, &format!("{MONTHS}&compare=yoy")).await;
    assert_eq!(status, 200, "{body}");
    let got: Vec<(Option<i64>, Option<f64>)> = points(&body)
        .iter()
        .map(|p| (p["yoy_count"].as_i64(), num(&p["yoy_share"])))
        .collect();
    // Only March 2024 had postings: 5 of 20.
    assert_eq!(
        got,
        vec![
            (Some(0), None),
            (Some(0), None),
            (Some(5), Some(0.25)),
            (Some(0), None)
        ]
    );
    // 2026-W53 (from 2026-12-28) compares with 2025-W52 (2025-12-22..28),
    // 2025 having no week 53: 1 Python posting of 3.
    let (status, body) = get_json(
        &routes,
        "/api/v1/trends?skills=python&geo=FR-ARA&from=2026-12-28&to=2027-01-03&interval=week&compare=yoy",
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let p = &points(&body)[0];
    assert_eq!(p["date"], "2026-12-28");
    assert_eq!(p["yoy_count"], 1);
    assert_eq!(num(&p["yoy_share"]), Some(0.3333));
    // Smoothed year on year compares smoothed with smoothed: Mar 2024 with
    // Feb 2024 (0 of 0) is 2.5 of 10.
    let (_, body) = get_json(&routes, &format!("{MONTHS}&compare=yoy&smooth=2")).await;
    let mar = &points(&body)[2];
    assert_eq!(mar["yoy_count"].as_f64(), Some(2.5));
    assert_eq!(num(&mar["yoy_share"]), Some(0.25));
}

#[tokio::test]
async fn new_parameters_are_validated_by_name() {
    let (_dir, routes) = fixture();
    for (query, param, needle) in [
        ("smooth=0", "smooth", "1 to 52"),
        ("smooth=53", "smooth", "1 to 52"),
        ("smooth=two", "smooth", "whole number"),
        ("index=2024-12-31", "index", "outside the range"),
        ("index=2025-05-01", "index", "outside the range"),
        ("index=yesterday", "index", ""),
        ("compare=mom", "compare", "use yoy"),
    ] {
        let (status, body) = get_json(&routes, &format!("{MONTHS}&{query}")).await;
        assert_eq!(status, 400, "{query}: {body}");
        let message = body["error"]["message"].as_str().unwrap();
        assert!(message.starts_with(&format!("{param}: ")), "{message}");
        assert!(message.contains(needle), "{message}");
    }
    // The CSV carries the new numbers (issue #14); `wide` and `value` are
    // CSV only, and `value` only with `wide`.
    let csv = MONTHS.replace("/trends?", "/trends.csv?");
    for (route, query, param, needle) in [
        (MONTHS, "wide=true", "wide", "only for /api/v1/trends.csv"),
        (
            MONTHS,
            "value=count",
            "value",
            "only for /api/v1/trends.csv",
        ),
        (csv.as_str(), "value=share", "value", "only with wide=true"),
        (
            csv.as_str(),
            "wide=true&value=mean",
            "value",
            "use count, share or total",
        ),
        (csv.as_str(), "wide=yes", "wide", "not true or false"),
        (
            csv.as_str(),
            "wide=true&compare=yoy",
            "compare",
            "one value per cell",
        ),
        (
            csv.as_str(),
            "wide=true&index=2025-02-01",
            "index",
            "one value per cell",
        ),
    ] {
        let (status, body) = get_json(&routes, &format!("{route}&{query}")).await;
        assert_eq!(status, 400, "{query}: {body}");
        let message = body["error"]["message"].as_str().unwrap();
        assert!(message.starts_with(&format!("{param}: ")), "{message}");
        assert!(message.contains(needle), "{message}");
    }
    // The CSV options were always accepted (and ignored) on the JSON route.
    let (status, _) = get_json(&routes, &format!("{MONTHS}&delimiter=;&bom=true")).await;
    assert_eq!(status, 200);
    let r = warp::test::request()
        .path(&format!("{csv}&smooth=2"))
        .reply(&routes)
        .await;
    assert_eq!(r.status(), 200);
    let r = warp::test::request().path(&csv).reply(&routes).await;
    assert_eq!(r.status(), 200);
}
