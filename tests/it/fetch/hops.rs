//! Every hop is a request of its own (issue #11, items 8–10): credentials
//! never follow a redirect to another origin, robots.txt is checked on every
//! hop, a host that keeps timing out is skipped for the rest of the run, and
//! only failures that can succeed are retried.
//!
//! Two servers on 127.0.0.1 with different ports are two origins.

use skilltrack::fetch::{FetchConfig, FetchError, FetchRequest};
use skilltrack::pipeline::run_source;

use super::{context, fast, fetcher, get, json, options, page, run, sources, MS};
use crate::fault_server::{FaultServer, Reply};
use crate::helpers::temp_store;

fn to(location: &str) -> Reply {
    Reply::status(302).header("Location", location)
}

fn with_header(url: String, name: &str, value: &str) -> FetchRequest {
    FetchRequest {
        headers: vec![(name.into(), value.into())],
        ..FetchRequest::get(url)
    }
}

#[tokio::test]
async fn credentials_never_follow_a_redirect_to_another_origin() {
    let other = FaultServer::start(vec![("/landing", vec![json("[]")])]).await;
    let home = FaultServer::start(vec![
        ("/same", vec![to("/landing")]),
        ("/away", vec![to(&other.url("/landing"))]),
        ("/landing", vec![json("[]")]),
    ])
    .await;
    let f = fetcher(fast());
    let mut r = run();
    let secrets = [
        ("X-Api-Key", "key-s3cr3t"),
        ("Authorization", "Bearer tok-s3cr3t"),
    ];
    for (name, value) in secrets {
        // Same origin: the header follows the redirect.
        let same = f
            .fetch_in(&with_header(home.url("/same"), name, value), &mut r)
            .await
            .unwrap();
        assert_eq!(same.url, home.url("/landing"));
        let landed = home.log().into_iter().last().unwrap();
        assert_eq!(landed.path, "/landing");
        assert_eq!(landed.header(&name.to_ascii_lowercase()), Some(value));
        // Another origin: the page is fetched, without the header.
        let away = f
            .fetch_in(&with_header(home.url("/away"), name, value), &mut r)
            .await
            .unwrap();
        assert_eq!(away.url, other.url("/landing"));
    }
    assert_eq!(
        other.paths(),
        vec!["/robots.txt", "/landing", "/landing"],
        "the other origin's robots.txt is read before its first page"
    );
    let seen = other.all_header_text();
    assert!(
        !seen.contains("s3cr3t"),
        "a secret reached the other origin:\n{seen}"
    );
    assert!(
        !seen.contains("x-api-key") && !seen.contains("authorization"),
        "{seen}"
    );
    // Debug output of a request never shows a secret either.
    let shown = format!(
        "{:?}",
        with_header(home.url("/x"), "X-Api-Key", "key-s3cr3t")
    );
    assert!(
        shown.contains("X-Api-Key") && !shown.contains("s3cr3t"),
        "{shown}"
    );
}

#[tokio::test]
async fn headers_stay_dropped_after_the_chain_left_their_origin() {
    let other = FaultServer::start(vec![]).await;
    let home = FaultServer::start(vec![
        ("/go", vec![to(&other.url("/bounce"))]),
        ("/landing", vec![json("[]")]),
    ])
    .await;
    let other = other.with_route("/bounce", vec![to(&home.url("/landing"))]);
    let f = fetcher(fast());
    let mut r = run();
    // home → other → home: the other origin chose the last URL, so no credentials there either.
    let page = f
        .fetch_in(
            &with_header(home.url("/go"), "X-Api-Key", "key-s3cr3t"),
            &mut r,
        )
        .await
        .unwrap();
    assert_eq!(page.url, home.url("/landing"));
    let landing = home
        .log()
        .into_iter()
        .find(|l| l.path == "/landing")
        .unwrap();
    assert_eq!(landing.header("x-api-key"), None);
    assert_eq!(
        home.log()[1].header("x-api-key"),
        Some("key-s3cr3t"),
        "{:?}",
        home.paths()
    );
    assert!(!other.all_header_text().contains("s3cr3t"));
}

#[tokio::test]
async fn a_form_is_never_posted_to_another_origin() {
    let other = FaultServer::start(vec![("/token", vec![json("{}")])]).await;
    let home = FaultServer::start(vec![
        (
            "/token-elsewhere",
            vec![Reply::status(307).header("Location", &other.url("/token"))],
        ),
        (
            "/token-see-other",
            vec![Reply::status(302).header("Location", &other.url("/token"))],
        ),
        (
            "/token-moved",
            vec![Reply::status(308).header("Location", "/token")],
        ),
        (
            "/token-303",
            vec![Reply::status(303).header("Location", "/token")],
        ),
        ("/token", vec![json("{\"access_token\": \"t\"}")]),
    ])
    .await;
    let f = fetcher(fast());
    let mut r = run();
    let form = |path: &str| FetchRequest {
        form: Some(vec![
            ("grant_type".into(), "client_credentials".into()),
            ("client_secret".into(), "form-s3cr3t".into()),
        ]),
        ..FetchRequest::get(home.url(path))
    };
    for path in ["/token-elsewhere", "/token-see-other"] {
        let err = f.fetch_in(&form(path), &mut r).await.unwrap_err();
        let text = err.to_string();
        assert!(
            matches!(err, FetchError::FormAcrossOrigins { .. })
                && text.contains(&home.base)
                && text.contains(&other.base),
            "{text}"
        );
    }
    assert!(other.log().is_empty(), "{:?}", other.paths());
    // Same origin: 307/308 post the form again, 303 (and 301/302) turn into a GET without body.
    f.fetch_in(&form("/token-moved"), &mut r).await.unwrap();
    f.fetch_in(&form("/token-303"), &mut r).await.unwrap();
    let tokens: Vec<_> = home
        .log()
        .into_iter()
        .filter(|l| l.path == "/token")
        .collect();
    assert_eq!(tokens.len(), 2);
    assert_eq!(tokens[0].method, "POST");
    assert!(String::from_utf8_lossy(&tokens[0].body).contains("client_secret=form-s3cr3t"));
    assert_eq!(tokens[1].method, "GET");
    assert!(tokens[1].body.is_empty() && tokens[1].header("content-type").is_none());
}

#[tokio::test]
async fn robots_txt_is_checked_on_every_hop() {
    let other = FaultServer::start(vec![
        (
            "/robots.txt",
            vec![Reply::ok(
                "text/plain",
                "User-agent: *\nDisallow: /secret\n",
            )],
        ),
        ("/secret/jobs", vec![json(page(&[8], None))]),
    ])
    .await;
    let home = FaultServer::start(vec![
        (
            "/robots.txt",
            vec![Reply::ok(
                "text/plain",
                "User-agent: *\nDisallow: /private\n",
            )],
        ),
        ("/to-private", vec![to("/private/jobs")]),
        ("/to-other", vec![to(&other.url("/secret/jobs"))]),
        ("/private/jobs", vec![json(page(&[9], None))]),
    ])
    .await;
    let dir = tempfile::tempdir().unwrap();
    let start = r#"["/to-private", "/to-other"]"#;
    let source = sources(dir.path(), &[("alpha", Some(start))]).remove(0);
    let (_db, store) = temp_store();
    let report = run_source(&context(store, fast()), &source, &options(&home)).await;
    assert_eq!(
        home.paths(),
        vec!["/robots.txt", "/to-private", "/to-other"]
    );
    assert_eq!(other.paths(), vec!["/robots.txt"]);
    assert_eq!((report.robots_blocked, report.new), (2, 0), "{report:?}");
    assert!(
        report
            .errors
            .iter()
            .all(|e| e.contains("robots.txt") && e.contains("redirect")),
        "{:?}",
        report.errors
    );
}

#[tokio::test]
async fn a_redirected_robots_txt_is_followed() {
    let server = FaultServer::start(vec![
        (
            "/robots.txt",
            vec![Reply::status(301).header("Location", "/real-robots.txt")],
        ),
        (
            "/real-robots.txt",
            vec![Reply::ok(
                "text/plain",
                "User-agent: *\nDisallow: /private\n",
            )],
        ),
        ("/jobs", vec![json("[]")]),
    ])
    .await;
    let f = fetcher(fast());
    let mut r = run();
    assert!(get(&f, &server.url("/private/jobs"), &mut r).await.is_err());
    assert!(get(&f, &server.url("/jobs"), &mut r).await.is_ok());
    assert_eq!(
        server.paths(),
        vec!["/robots.txt", "/real-robots.txt", "/jobs"]
    );
}

#[tokio::test]
async fn a_hanging_host_is_skipped_for_the_rest_of_the_run() {
    let starts = ["/p1", "/p2", "/p3", "/p4", "/p5", "/p6"];
    let server = FaultServer::start(starts.iter().map(|p| (*p, vec![Reply::Hang])).collect()).await;
    let dir = tempfile::tempdir().unwrap();
    let list = format!("{starts:?}");
    let source = sources(dir.path(), &[("alpha", Some(&list))]).remove(0);
    let (_db, store) = temp_store();
    let ctx = context(
        store,
        FetchConfig {
            request_timeout: MS(200),
            max_attempts: 3,
            host_timeout_limit: 2,
            ..fast()
        },
    );
    let report = run_source(&ctx, &source, &options(&server)).await;
    // Two timed-out attempts on /p1 reach the limit: no third attempt, and
    // the five other pages are skipped without touching the network.
    assert_eq!(server.paths(), vec!["/robots.txt", "/p1", "/p1"]);
    assert_eq!((report.requests, report.retries), (2, 1), "{report:?}");
    assert_eq!((report.pages, report.host_skipped), (6, 5), "{report:?}");
    assert_eq!(report.error_count(), 6);
    assert!(
        report.errors[1].contains("timed out 2 time(s)"),
        "{:?}",
        report.errors
    );
    assert!(
        report
            .summary()
            .contains("5 skipped (host kept timing out)"),
        "{}",
        report.summary()
    );
    // The next run starts afresh.
    let again = run_source(&ctx, &source, &options(&server)).await;
    assert_eq!((again.requests, again.host_skipped), (2, 5), "{again:?}");
}

#[tokio::test]
async fn only_failures_that_can_succeed_are_retried() {
    let server = FaultServer::start(vec![
        (
            "/not-gzip",
            vec![json("not gzip at all").header("Content-Encoding", "gzip")],
        ),
        ("/hang", vec![Reply::Hang]),
        ("/ok", vec![json("[]")]),
    ])
    .await;
    let f = fetcher(FetchConfig {
        request_timeout: MS(200),
        max_attempts: 3,
        host_timeout_limit: 0,
        ..fast()
    });
    let mut r = run();
    // Undecodable body: the same bytes would come again.
    let err = get(&f, &server.url("/not-gzip"), &mut r).await.unwrap_err();
    assert!(
        matches!(err, FetchError::Transport { attempts: 1, .. }),
        "{err}"
    );
    assert_eq!(server.hits("/not-gzip"), 1);
    // A request that cannot be built never reaches the network (and the value is not shown).
    let bad = with_header(server.url("/ok"), "X Api Key", "key-s3cr3t");
    let err = f.fetch_in(&bad, &mut r).await.unwrap_err();
    assert!(
        err.to_string().contains("X Api Key") && !err.to_string().contains("s3cr3t"),
        "{err}"
    );
    assert_eq!(server.hits("/ok"), 0);
    // A timeout can succeed next time: retried up to max_attempts.
    let err = get(&f, &server.url("/hang"), &mut r).await.unwrap_err();
    assert!(
        matches!(err, FetchError::Transport { attempts: 3, .. }),
        "{err}"
    );
    assert_eq!(server.hits("/hang"), 3);
    assert_eq!(r.stats.retries, 2);
}
