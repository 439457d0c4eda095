//! API routes: validation and JSON errors, query limits, HEAD, long URIs,
//! dates at the calendar's end.

use std::time::Duration;

use skilltrack::api::ServerLimits;
use skilltrack::trends::{MAX_POINTS, MAX_SKILLS};

use crate::helpers::{normalizer, temp_store, IsolatedApp, TestApp};

/// A client whose timeout only detects a hang.
fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .timeout(Duration::from_secs(30))
        .build()
        .unwrap()
}

async fn json_get(client: &reqwest::Client, url: &str) -> (u16, serde_json::Value) {
    let r = client
        .get(url)
        .send()
        .await
        .unwrap_or_else(|e| panic!("{url}: no answer ({e})"));
    let status = r.status().as_u16();
    let text = r.text().await.unwrap();
    let v = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{url}: {e}: {text}"));
    (status, v)
}

#[tokio::test]
async fn health_and_errors_are_json_with_the_right_status() {
    let (_dir, store) = temp_store();
    let app = TestApp::spawn(store).await;
    assert_eq!(
        app.get("/healthz").await,
        (200, r#"{"status":"ok"}"#.to_owned())
    );

    let cases = [
        (
            "/api/v1/trends?skills=pyhton",
            // Issue 14: an unknown skill or geography is a 404, with its suggestion.
            404,
            "unknown_skill",
            "did you mean \\\"python\\\"",
        ),
        (
            "/api/v1/trends?skills=python&geo=FR-XX",
            404,
            "unknown_geo",
            "FR-XX",
        ),
        (
            "/api/v1/trends?skills=python&from=2024-02-30",
            400,
            "invalid_parameter",
            "2024-02-30",
        ),
        (
            "/api/v1/trends?skills=python&from=2024-03-01&to=2024-01-01",
            400,
            "invalid_parameter",
            "after",
        ),
        (
            "/api/v1/trends?skills=python&interval=fortnight",
            400,
            "invalid_parameter",
            "fortnight",
        ),
        (
            "/api/v1/trends?skills=python&geoo=FR",
            400,
            "invalid_parameter",
            "did you mean \\\"geo\\\"",
        ),
        ("/api/v1/trends", 400, "invalid_parameter", "skills"),
        ("/api/v1/nothing", 404, "not_found", "no such route"),
    ];
    for (path, status, code, needle) in cases {
        let (s, body) = app.get(path).await;
        assert_eq!(s, status, "{path}: {body}");
        assert!(
            body.contains(&format!("\"code\":\"{code}\"")),
            "{path}: {body}"
        );
        assert!(body.contains(needle), "{path}: {body}");
    }
    let (s, body) = app.get("/api/v1/geos?level=region").await;
    assert_eq!(s, 200);
    let v: serde_json::Value = serde_json::from_str(&body).unwrap();
    let regions = v["geos"].as_array().unwrap();
    assert_eq!(
        regions.len(),
        13,
        "12 metropolitan régions and Corse: {body}"
    );
    assert!(regions
        .iter()
        .any(|g| g["code"] == "FR-IDF" && g["name"] == "Île-de-France" && g["parent"] == "FR"));
    let (s, body) = app.get("/api/v1/geos?level=canton").await;
    assert_eq!(s, 400, "{body}");
    let (s, body) = app.get("/api/v1/skills").await;
    assert_eq!(s, 200);
    assert!(body.contains("\"id\":\"python\""), "{body}");
    // Issue 12: families and prerequisites are both listed.
    let v: serde_json::Value = serde_json::from_str(&body).unwrap();
    let skill = |id: &str| {
        v["skills"]
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["id"] == id)
            .cloned()
            .unwrap_or_else(|| panic!("{id} listed"))
    };
    assert_eq!(skill("django")["requires"], serde_json::json!(["python"]));
    assert_eq!(skill("django")["implies"], serde_json::json!([]));
    assert_eq!(
        skill("openshift")["implies"],
        serde_json::json!(["kubernetes"])
    );
    assert_eq!(skill("openshift")["requires"], serde_json::json!([]));
    app.stop().await;
}

/// Regression: a last bucket in year 9999 looped forever (the month after
/// 9999-12 "was" 9999-12) and grew the server until it was killed, even on
/// an empty database.
#[tokio::test]
async fn trends_ending_in_year_9999_answer_promptly() {
    let (_dir, store) = temp_store();
    let app = IsolatedApp::spawn(IsolatedApp::state(store), ServerLimits::default());
    let client = client();
    for (interval, points, last) in [
        ("day", 365, "9999-12-31"),
        ("week", 53, "9999-12-27"),
        ("month", 12, "9999-12-01"),
        ("quarter", 4, "9999-10-01"),
        ("year", 1, "9999-01-01"),
    ] {
        for metric in ["new", "active"] {
            let url = app.url(&format!(
                "/api/v1/trends?skills=python&from=9999-01-01&to=9999-12-31&interval={interval}&metric={metric}"
            ));
            let (status, v) = json_get(&client, &url).await;
            assert_eq!(status, 200, "{url}: {v}");
            let got = v["series"][0]["points"].as_array().unwrap();
            assert_eq!(got.len(), points, "{url}");
            assert_eq!(got.last().unwrap()["date"], last, "{url}");
            assert!(got.iter().all(|p| p["count"] == 0), "{url}");
        }
    }
    // Outside the calendar: a 400 naming the date.
    let (status, v) = json_get(
        &client,
        &app.url("/api/v1/trends?skills=python&from=0000-12-31&to=0001-01-10"),
    )
    .await;
    assert_eq!(status, 400, "{v}");
    assert!(
        v["error"]["message"]
            .as_str()
            .unwrap()
            .contains("0000-12-31"),
        "{v}"
    );
    // `from` defaults to a year before `to`, held at the calendar's start.
    let (status, v) = json_get(
        &client,
        &app.url("/api/v1/trends?skills=python&to=0001-01-10"),
    )
    .await;
    assert_eq!(status, 200, "{v}");
    assert_eq!(v["from"], "0001-01-01");
    app.stop().await;
}

#[tokio::test]
async fn query_limits_are_400s_naming_the_limit_and_repeats_merge() {
    let (_dir, store) = temp_store();
    let app = TestApp::spawn(store).await;
    let client = client();
    let base = format!("http://{}", app.addr);
    let ids: Vec<String> = normalizer()
        .taxonomy()
        .skills()
        .iter()
        .take(MAX_SKILLS + 1)
        .map(|k| k.id.clone())
        .collect();
    assert_eq!(ids.len(), MAX_SKILLS + 1, "the taxonomy has enough skills");
    for route in ["trends", "trends.csv"] {
        let url = format!(
            "{base}/api/v1/{route}?skills={}&interval=month",
            ids.join(",")
        );
        let (status, v) = json_get(&client, &url).await;
        assert_eq!(status, 400, "{route}: {v}");
        assert_eq!(v["error"]["code"], "limit_exceeded", "{v}");
        let msg = v["error"]["message"].as_str().unwrap();
        for needle in [
            "skills:",
            &format!("{}", MAX_SKILLS + 1),
            &format!("limit of {MAX_SKILLS}"),
            "fewer skills",
        ] {
            assert!(msg.contains(needle), "{needle}: {msg}");
        }
    }
    // Exactly the limit passes.
    let url = format!(
        "{base}/api/v1/trends?skills={}&interval=year&from=2024-01-01&to=2025-12-31",
        ids[..MAX_SKILLS].join(",")
    );
    let (status, v) = json_get(&client, &url).await;
    assert_eq!(status, 200, "{v}");
    assert_eq!(v["series"].as_array().unwrap().len(), MAX_SKILLS);

    // 19 daily series over 30 years: over the points limit.
    let url = format!(
        "{base}/api/v1/trends?skills={}&interval=day&from=1996-01-01&to=2026-01-01",
        ids[..19].join(",")
    );
    let (status, v) = json_get(&client, &url).await;
    assert_eq!(status, 400, "{v}");
    assert_eq!(v["error"]["code"], "limit_exceeded", "{v}");
    let msg = v["error"]["message"].as_str().unwrap();
    for needle in [
        "from/to/interval:",
        &MAX_POINTS.to_string(),
        "narrow the range",
        "wider interval",
        "fewer skills",
    ] {
        assert!(msg.contains(needle), "{needle}: {msg}");
    }

    // Repeats are merged, first place kept: one series each.
    let (status, v) = json_get(
        &client,
        &format!("{base}/api/v1/trends?skills=rust,python,rust,%20python,rust&interval=month"),
    )
    .await;
    assert_eq!(status, 200, "{v}");
    let skills: Vec<&str> = v["series"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["skill"].as_str().unwrap())
        .collect();
    assert_eq!(skills, ["rust", "python"]);
    app.stop().await;
}

#[tokio::test]
async fn head_answers_like_get_without_a_body() {
    let (_dir, store) = temp_store();
    let app = TestApp::spawn(store).await;
    let client = client();
    for path in [
        "/healthz",
        "/api/v1/skills",
        "/api/v1/geos?level=region",
        "/api/v1/trends?skills=python&interval=month",
        "/api/v1/trends.csv?skills=python&interval=month&delimiter=;",
        "/api/v1/trends?skills=pyhton",
        "/api/v1/postings/0123456789abcdef",
        "/api/v1/nothing",
    ] {
        let url = format!("http://{}{path}", app.addr);
        let get = client.get(&url).send().await.unwrap();
        let head = client.head(&url).send().await.unwrap();
        assert_eq!(head.status(), get.status(), "{path}");
        let headers = |r: &reqwest::Response| {
            let mut h = r.headers().clone();
            h.remove("date");
            h.remove("transfer-encoding");
            h
        };
        assert_eq!(headers(&head), headers(&get), "{path}");
        assert!(get.headers().contains_key("content-type"), "{path}");
        assert_eq!(head.bytes().await.unwrap().len(), 0, "{path}");
        assert!(!get.bytes().await.unwrap().is_empty(), "{path}");
    }
    // Other methods are still refused, with the JSON error.
    let r = client
        .post(format!("http://{}/healthz", app.addr))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 405);
    assert!(r.text().await.unwrap().contains("method_not_allowed"));
    app.stop().await;
}

#[tokio::test]
async fn an_over_long_uri_gets_414_with_the_json_error() {
    let (_dir, store) = temp_store();
    let app = TestApp::spawn(store).await;
    let long = format!(
        "/api/v1/trends?skills={}",
        vec!["python"; 20 * 1024 / 7].join(",")
    );
    assert!(long.len() > 20_000);
    let (status, body) = app.get(&long).await;
    assert_eq!(status, 414, "{body}");
    let v: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(v["error"]["code"], "uri_too_long", "{v}");
    assert!(
        v["error"]["message"].as_str().unwrap().contains("8192"),
        "{v}"
    );
    // A long path too, where no route matches.
    let (status, body) = app.get(&format!("/{}", "a".repeat(10_000))).await;
    assert_eq!(status, 414, "{body}");
    app.stop().await;
}
