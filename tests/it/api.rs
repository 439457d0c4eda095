//! API routes: validation and JSON errors.

use crate::helpers::{temp_store, TestApp};

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
            400,
            "unknown_skill",
            "did you mean \\\"python\\\"",
        ),
        (
            "/api/v1/trends?skills=python&geo=FR-XX",
            400,
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
    app.stop().await;
}
