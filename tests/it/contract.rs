//! The API's operational contract: `/metrics` after real requests and a
//! fixture run, `405` with `Allow`, `413` for a body, every rejection in
//! the error shape, CORS off by default and on when configured.
//!
//! The metrics registry is one per process and other tests run at the same
//! time: HTTP counters are checked as increases of at least what this test
//! did, run and fetch series on labels only this test uses (exactly).

use std::sync::Arc;

use serde_json::Value;
use skilltrack::api::{self, Cors};
use skilltrack::domain::SourceId;
use skilltrack::extract::load_sources;
use skilltrack::pipeline::{run_source, RunOptions};
use skilltrack::store::PostingStore;

use crate::helpers::{context, extractors_dir, temp_store, FixtureServer, IsolatedApp, ARBEITNOW};

/// The value of the sample `series` (name with labels) in `text`.
fn sample(text: &str, series: &str) -> Option<f64> {
    text.lines()
        .find_map(|l| l.strip_prefix(series)?.strip_prefix(' '))
        .and_then(|v| v.split(' ').next()?.parse().ok())
}

async fn scrape(
    routes: &(impl warp::Filter<Extract = (impl warp::Reply,), Error = std::convert::Infallible>
          + Clone
          + 'static),
) -> String {
    let r = warp::test::request().path("/metrics").reply(routes).await;
    assert_eq!(r.status(), 200);
    assert_eq!(
        r.headers()["content-type"],
        "application/openmetrics-text; version=1.0.0; charset=utf-8"
    );
    String::from_utf8(r.body().to_vec()).unwrap()
}

#[tokio::test]
async fn metrics_count_requests_by_route_template_and_status() {
    let (_dir, store) = temp_store();
    let routes = api::routes(IsolatedApp::state(store));
    let series = |route: &str, status: u16| format!(r#"{{route="{route}",status="{status}"}}"#);
    let posting404 = series("/api/v1/postings/{id}", 404);
    let geos400 = series("/api/v1/geos", 400);
    let other404 = series("other", 404);
    let before = scrape(&routes).await;
    let value = |text: &str, name: &str, labels: &str| {
        sample(text, &format!("{name}{labels}")).unwrap_or(0.0)
    };
    for _ in 0..3 {
        let r = warp::test::request()
            .path("/api/v1/postings/0123456789abcdef")
            .reply(&routes)
            .await;
        assert_eq!(r.status(), 404);
    }
    for _ in 0..2 {
        let r = warp::test::request()
            .path("/api/v1/geos?level=canton")
            .reply(&routes)
            .await;
        assert_eq!(r.status(), 400);
    }
    let r = warp::test::request()
        .path("/wp-login.php?x=secret-path")
        .reply(&routes)
        .await;
    assert_eq!(r.status(), 404);
    let after = scrape(&routes).await;
    for (labels, n) in [(&posting404, 3.0), (&geos400, 2.0), (&other404, 1.0)] {
        for name in ["http_requests_total", "http_request_duration_seconds_count"] {
            let grew = value(&after, name, labels) - value(&before, name, labels);
            assert!(
                grew >= n,
                "{name}{labels} grew by {grew}, not {n}:\n{after}"
            );
        }
        // Every observation falls in the +Inf bucket.
        let inf = format!(
            "http_request_duration_seconds_bucket{{le=\"+Inf\",{}",
            &labels[1..]
        );
        assert!(value(&after, &inf, "") >= n, "{inf}:\n{after}");
    }
    // Route templates only: no raw path or id becomes a label.
    assert!(!after.contains("0123456789abcdef"), "{after}");
    assert!(!after.contains("wp-login"), "{after}");
    // The empty store: no posting.
    assert_eq!(sample(&after, "skilltrack_postings_stored"), Some(0.0));
    // The scrape of `before` was itself counted.
    assert!(value(&after, "http_requests_total", &series("/metrics", 200)) >= 1.0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_report_a_fixture_run_its_fetches_and_the_stored_postings() {
    let server = FixtureServer::start(ARBEITNOW).await;
    let (_dir, store) = temp_store();
    let ctx = context(store.clone());
    let sources = load_sources(&extractors_dir()).expect("bundled sources load");
    let mut source = sources
        .iter()
        .find(|s| s.id.as_str() == "arbeitnow")
        .unwrap()
        .clone();
    // A source id no other test uses, for exact values.
    source.id = SourceId::parse("metrics-probe").unwrap();
    let options = RunOptions {
        base_url: Some(server.base.clone()),
        ..RunOptions::default()
    };
    let report = run_source(&ctx, &source, &options).await;
    // One item has no title: an error, with postings read — a partial run.
    assert_eq!((report.items, report.new), (6, 5), "{report:?}");
    assert_eq!(report.error_count(), 1, "{report:?}");
    let routes = api::routes(IsolatedApp::state(store.clone()));
    let text = scrape(&routes).await;
    assert_eq!(
        sample(
            &text,
            r#"skilltrack_runs_total{source="metrics-probe",outcome="partial"}"#
        ),
        Some(1.0),
        "{text}"
    );
    // No run of this source succeeded: no last-success sample for it.
    assert!(!text.contains(r#"skilltrack_last_success_timestamp_seconds{source="metrics-probe"}"#));
    // Two pages fetched (robots.txt is not a page request), both 200, on
    // this fixture server's host:port.
    let host = server.base.trim_start_matches("http://");
    assert_eq!(
        sample(
            &text,
            &format!(r#"skilltrack_fetch_requests_total{{host="{host}",status="200"}}"#)
        ),
        Some(2.0),
        "{text}"
    );
    assert_eq!(
        sample(&text, "skilltrack_postings_stored"),
        Some(store.posting_count().unwrap() as f64)
    );
    assert_eq!(sample(&text, "skilltrack_postings_stored"), Some(5.0));
    let lag = sample(&text, "skilltrack_store_flush_lag_seconds").unwrap();
    assert!((0.0..60.0).contains(&lag), "{lag}");
}

/// A request's status, `Allow` header and error code.
async fn error_of(
    routes: &(impl warp::Filter<Extract = (impl warp::Reply,), Error = std::convert::Infallible>
          + Clone
          + 'static),
    request: warp::test::RequestBuilder,
) -> (u16, Option<String>, String, String) {
    let r = request.reply(routes).await;
    let allow = r
        .headers()
        .get("allow")
        .map(|v| v.to_str().unwrap().to_owned());
    let body: Value = serde_json::from_slice(r.body())
        .unwrap_or_else(|_| panic!("not JSON: {}", String::from_utf8_lossy(r.body())));
    (
        r.status().as_u16(),
        allow,
        body["error"]["code"]
            .as_str()
            .unwrap_or_default()
            .to_owned(),
        body["error"]["message"]
            .as_str()
            .unwrap_or_default()
            .to_owned(),
    )
}

#[tokio::test]
async fn other_methods_bodies_and_bad_headers_get_the_error_shape() {
    let (_dir, store) = temp_store();
    let routes = api::routes(IsolatedApp::state(store));
    for method in ["POST", "PUT", "DELETE", "PATCH", "OPTIONS"] {
        for path in [
            "/healthz",
            "/api/v1/trends",
            "/api/v1/postings/0123456789abcdef",
            "/metrics",
        ] {
            let (status, allow, code, _) =
                error_of(&routes, warp::test::request().method(method).path(path)).await;
            assert_eq!(
                (status, allow.as_deref(), code.as_str()),
                (405, Some("GET, HEAD"), "method_not_allowed"),
                "{method} {path}"
            );
        }
    }
    // An unknown path stays a 404 whatever the method.
    let (status, allow, code, _) = error_of(
        &routes,
        warp::test::request().method("POST").path("/nothing"),
    )
    .await;
    assert_eq!((status, allow, code.as_str()), (404, None, "not_found"));

    // A body over 1 KiB: 413, the limit stated.
    let (status, _, code, message) = error_of(
        &routes,
        warp::test::request()
            .path("/api/v1/skills")
            .header("content-length", "1025")
            .body(vec![b'x'; 1025]),
    )
    .await;
    assert_eq!((status, code.as_str()), (413, "payload_too_large"));
    assert!(
        message.contains("1025 bytes") && message.contains("limit of 1024"),
        "{message}"
    );
    // A POST with a large body: the body limit answers first.
    let (status, ..) = error_of(
        &routes,
        warp::test::request()
            .method("POST")
            .path("/healthz")
            .header("content-length", "4096")
            .body(vec![b'x'; 4096]),
    )
    .await;
    assert_eq!(status, 413);
    // A chunked body has no length to check: refused too.
    let (status, _, _, message) = error_of(
        &routes,
        warp::test::request()
            .path("/healthz")
            .header("transfer-encoding", "chunked"),
    )
    .await;
    assert_eq!(status, 413);
    assert!(message.contains("unknown length"), "{message}");
    // A small body (up to the limit) is tolerated and ignored.
    let r = warp::test::request()
        .path("/healthz")
        .header("content-length", "1024")
        .body(vec![b'x'; 1024])
        .reply(&routes)
        .await;
    assert_eq!(r.status(), 200);
    // An unreadable Content-Length: 400 in the error shape, no debug text.
    let (status, _, code, message) = error_of(
        &routes,
        warp::test::request()
            .path("/healthz")
            .header("content-length", "lots"),
    )
    .await;
    assert_eq!((status, code.as_str()), (400, "invalid_header"));
    assert!(message.contains("content-length"), "{message}");
    assert!(
        !message.contains("Rejection") && !message.contains("InvalidHeader"),
        "{message}"
    );
}

fn with_cors(store: Arc<skilltrack::store::SledStore>, origins: &[&str]) -> api::AppState {
    let mut state = IsolatedApp::state(store);
    state.cors =
        Cors::from_origins(&origins.iter().map(|s| s.to_string()).collect::<Vec<_>>()).unwrap();
    state
}

#[tokio::test]
async fn cors_is_off_by_default() {
    let (_dir, store) = temp_store();
    let routes = api::routes(IsolatedApp::state(store));
    let r = warp::test::request()
        .path("/healthz")
        .header("origin", "https://a.example")
        .reply(&routes)
        .await;
    assert_eq!(r.status(), 200);
    assert!(r
        .headers()
        .keys()
        .all(|k| !k.as_str().starts_with("access-control-")));
    // A preflight is just another method: 405.
    let r = warp::test::request()
        .method("OPTIONS")
        .path("/api/v1/trends")
        .header("origin", "https://a.example")
        .header("access-control-request-method", "GET")
        .reply(&routes)
        .await;
    assert_eq!(r.status(), 405);
    assert!(r
        .headers()
        .keys()
        .all(|k| !k.as_str().starts_with("access-control-")));
}

#[tokio::test]
async fn cors_lets_configured_origins_read_every_route() {
    let (_dir, store) = temp_store();
    let routes = api::routes(with_cors(store, &["https://a.example"]));
    for path in [
        "/healthz",
        "/api/v1/skills",
        "/api/v1/trends?skills=pyhton",
        "/nothing",
    ] {
        let r = warp::test::request()
            .path(path)
            .header("origin", "https://a.example")
            .reply(&routes)
            .await;
        assert_eq!(
            r.headers()["access-control-allow-origin"],
            "https://a.example",
            "{path}"
        );
        assert_eq!(r.headers()["vary"], "origin", "{path}");
        assert!(r.headers()["access-control-expose-headers"]
            .to_str()
            .unwrap()
            .contains("etag"));
    }
    // Another origin: no grant (but Vary, for caches).
    let r = warp::test::request()
        .path("/healthz")
        .header("origin", "https://evil.example")
        .reply(&routes)
        .await;
    assert!(r.headers().get("access-control-allow-origin").is_none());
    assert_eq!(r.headers()["vary"], "origin");
    // Preflight from the allowed origin: 204 with methods and headers.
    let r = warp::test::request()
        .method("OPTIONS")
        .path("/api/v1/trends")
        .header("origin", "https://a.example")
        .header("access-control-request-method", "GET")
        .reply(&routes)
        .await;
    assert_eq!(r.status(), 204);
    assert_eq!(
        r.headers()["access-control-allow-origin"],
        "https://a.example"
    );
    assert_eq!(r.headers()["access-control-allow-methods"], "GET, HEAD");
    assert_eq!(r.headers()["access-control-allow-headers"], "if-none-match");
    assert!(r.body().is_empty());
    // Preflight from another origin, or on an unknown path: no grant.
    let r = warp::test::request()
        .method("OPTIONS")
        .path("/api/v1/trends")
        .header("origin", "https://evil.example")
        .reply(&routes)
        .await;
    assert_eq!(r.status(), 405);
    assert!(r.headers().get("access-control-allow-origin").is_none());
    let r = warp::test::request()
        .method("OPTIONS")
        .path("/nothing")
        .header("origin", "https://a.example")
        .reply(&routes)
        .await;
    assert_eq!(r.status(), 404);

    // "*": any origin, without Vary.
    let (_dir2, store2) = temp_store();
    let routes = api::routes(with_cors(store2, &["*"]));
    let r = warp::test::request()
        .path("/api/v1/geos")
        .header("origin", "https://anyone.example")
        .reply(&routes)
        .await;
    assert_eq!(r.headers()["access-control-allow-origin"], "*");
    assert!(r.headers().get("vary").is_none());
}
