//! Polite, fault-tolerant fetching against the fault-injecting server: the
//! client alone (robots.txt, rate limits, retries, limits, decoding,
//! conditional GET) and whole source runs (run reports, 304 on the second
//! run, a failing host next to a healthy one).
//!
//! Hosts are origins: two servers on 127.0.0.1 with different ports are two
//! hosts, with separate rate limits, concurrency caps and robots.txt.
//! Every delay is configured in milliseconds; timing assertions are
//! generous and measured on the server's log.

use std::io::Write;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use skilltrack::domain::error_chain;
use skilltrack::extract::{load_sources, SourceDef};
use skilltrack::fetch::{FetchConfig, FetchError, FetchRequest, FetchRun, Fetcher};
use skilltrack::pipeline::{run_source, Context, RunOptions};
use skilltrack::store::{CountStore, PostingStore, RunLog, SledStore};
use tokio::time::Instant;

use crate::fault_server::{FaultServer, Reply};
use crate::helpers::{json_page as page, normalizer, temp_store, JSON_SOURCE};

mod hops;

const MS: fn(u64) -> Duration = Duration::from_millis;

/// Test settings: millisecond delays, `Retry-After` capped at 300 ms.
fn fast() -> FetchConfig {
    FetchConfig {
        connect_timeout: MS(1000),
        request_timeout: MS(2000),
        default_host_interval: MS(5),
        backoff: MS(10),
        max_retry_after: MS(300),
        run_deadline: None,
        ..FetchConfig::default()
    }
}

fn fetcher(config: FetchConfig) -> Fetcher {
    Fetcher::new(config).expect("client builds")
}

async fn get(
    f: &Fetcher,
    url: &str,
    run: &mut FetchRun,
) -> Result<skilltrack::fetch::Fetched, FetchError> {
    f.fetch_in(&FetchRequest::get(url), run).await
}

fn run() -> FetchRun {
    FetchRun::new(None)
}

fn json(body: impl Into<Vec<u8>>) -> Reply {
    Reply::ok("application/json", body)
}

#[tokio::test]
async fn robots_disallowed_path_is_never_requested() {
    let server = FaultServer::start(vec![
        (
            "/robots.txt",
            vec![Reply::ok(
                "text/plain",
                "User-agent: *\nDisallow: /private\n",
            )],
        ),
        ("/jobs", vec![json("[]")]),
        ("/private/jobs", vec![json("[]")]),
    ])
    .await;
    let f = fetcher(fast());
    let mut r = run();
    let err = get(&f, &server.url("/private/jobs"), &mut r)
        .await
        .unwrap_err();
    assert!(matches!(err, FetchError::RobotsDisallowed { .. }), "{err}");
    assert!(get(&f, &server.url("/jobs"), &mut r).await.is_ok());
    assert!(get(&f, &server.url("/private/jobs?page=2"), &mut r)
        .await
        .is_err());
    // robots.txt once (cached), the allowed page, never the disallowed one.
    assert_eq!(server.paths(), vec!["/robots.txt", "/jobs"]);
    assert_eq!((r.stats.robots_blocked, r.stats.requests), (2, 1));
    // A form POST (an OAuth2 token request) is not a crawl: robots.txt does not apply.
    let token = FetchRequest {
        form: Some(vec![("grant_type".into(), "client_credentials".into())]),
        ..FetchRequest::get(server.url("/private/token"))
    };
    let err = f.fetch_in(&token, &mut r).await.unwrap_err();
    assert_eq!(err.status(), Some(404));
    assert_eq!(server.hits("/private/token"), 1);
    // The configured User-Agent went out, naming the project.
    let ua = server.log()[1]
        .header("user-agent")
        .unwrap_or("")
        .to_owned();
    assert!(
        ua.starts_with("skilltrack/") && ua.contains("https://"),
        "{ua}"
    );
}

#[tokio::test]
async fn robots_failing_disallows_the_host_missing_allows_it() {
    let failing = FaultServer::start(vec![
        ("/robots.txt", vec![Reply::status(503)]),
        ("/jobs", vec![json("[]")]),
    ])
    .await;
    let missing = FaultServer::start(vec![("/jobs", vec![json("[]")])]).await;
    let f = fetcher(fast());
    let mut r = run();
    let err = get(&f, &failing.url("/jobs"), &mut r).await.unwrap_err();
    assert!(err.to_string().contains("HTTP 503"), "{err}");
    assert_eq!(failing.paths(), vec!["/robots.txt"]);
    assert!(get(&f, &missing.url("/jobs"), &mut r).await.is_ok());
    assert_eq!(missing.paths(), vec!["/robots.txt", "/jobs"]);

    // Unreachable host: disallowed, nothing requested, an error rather than a hang.
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let err = get(&f, &format!("http://127.0.0.1:{port}/jobs"), &mut r)
        .await
        .unwrap_err();
    assert!(err.to_string().contains("unreachable"), "{err}");
    assert_eq!(r.stats.robots_blocked, 2);
}

#[tokio::test]
async fn crawl_delay_spaces_requests() {
    let server = FaultServer::start(vec![
        (
            "/robots.txt",
            vec![Reply::ok(
                "text/plain",
                "User-agent: skilltrack\nCrawl-delay: 0.2\n",
            )],
        ),
        ("/jobs", vec![json("[]")]),
    ])
    .await;
    let f = fetcher(fast());
    let mut r = run();
    for _ in 0..4 {
        get(&f, &server.url("/jobs"), &mut r).await.unwrap();
    }
    let times: Vec<Instant> = server
        .log()
        .into_iter()
        .filter(|l| l.path == "/jobs")
        .map(|l| l.at)
        .collect();
    assert_eq!(times.len(), 4);
    for pair in times.windows(2) {
        let gap = pair[1] - pair[0];
        assert!(
            gap >= MS(170),
            "requests {gap:?} apart despite Crawl-delay 0.2"
        );
    }
    assert!(r.stats.polite_wait >= MS(450), "{:?}", r.stats.polite_wait);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rate_limit_is_shared_by_everyone_on_a_host() {
    let server = FaultServer::start(vec![("/jobs", vec![json("[]")])]).await;
    let f = fetcher(FetchConfig {
        obey_robots: false,
        ..fast()
    });
    // Two "sources" at 20/s each on the same host, concurrently.
    let url = server.url("/jobs");
    let work = |f: Fetcher, url: String| async move {
        let mut r = run();
        for _ in 0..6 {
            f.fetch_in(
                &FetchRequest {
                    interval: Some(MS(50)),
                    ..FetchRequest::get(url.clone())
                },
                &mut r,
            )
            .await
            .unwrap();
        }
    };
    tokio::join!(work(f.clone(), url.clone()), work(f.clone(), url.clone()));
    let times: Vec<Instant> = server.log().into_iter().map(|l| l.at).collect();
    assert_eq!(times.len(), 12);
    // At 20/s, any 250 ms window holds at most 6 requests (5 + 1 of tolerance).
    for (i, t) in times.iter().enumerate() {
        let in_window = times[i..].iter().filter(|u| **u - *t < MS(250)).count();
        assert!(in_window <= 6, "{in_window} requests within 250 ms");
    }
    let span = times[11] - times[0];
    assert!(span >= MS(440), "12 requests at 20/s took only {span:?}");
}

#[tokio::test]
async fn retry_after_is_honoured_and_capped() {
    let server = FaultServer::start(vec![(
        "/jobs",
        vec![Reply::status(429).header("Retry-After", "3"), json("[1]")],
    )])
    .await;
    let f = fetcher(fast());
    let mut r = run();
    let page = get(&f, &server.url("/jobs"), &mut r).await.unwrap();
    assert_eq!(
        (page.status, page.retries, page.body.as_str()),
        (200, 1, "[1]")
    );
    let times: Vec<Instant> = server
        .log()
        .into_iter()
        .filter(|l| l.path == "/jobs")
        .map(|l| l.at)
        .collect();
    // Retry-After: 3 capped at 300 ms (the test's max_retry_after).
    let gap = times[1] - times[0];
    assert!(gap >= MS(280) && gap < MS(2500), "{gap:?}");
    assert_eq!(r.stats.statuses.get(&429), Some(&1));
    assert_eq!(r.stats.statuses.get(&200), Some(&1));
    assert_eq!(r.stats.retry_wait, MS(300));
}

#[tokio::test]
async fn server_errors_are_retried_client_errors_are_not() {
    let server = FaultServer::start(vec![
        ("/flaky", vec![Reply::status(500), json("{}")]),
        ("/down", vec![Reply::status(503)]),
        ("/gone", vec![Reply::status(404)]),
        ("/forbidden", vec![Reply::status(403)]),
    ])
    .await;
    let f = fetcher(fast());
    let mut r = run();
    let page = get(&f, &server.url("/flaky"), &mut r).await.unwrap();
    assert_eq!(page.retries, 1);
    let err = get(&f, &server.url("/down"), &mut r).await.unwrap_err();
    assert_eq!(err.status(), Some(503));
    assert_eq!(server.hits("/down"), 3, "bounded attempts");
    for path in ["/gone", "/forbidden"] {
        let err = get(&f, &server.url(path), &mut r).await.unwrap_err();
        assert!(err.status().is_some_and(|s| (400..500).contains(&s)));
        assert_eq!(server.hits(path), 1, "{path} retried");
    }
    assert_eq!(r.stats.retries, 1 + 2);
}

#[tokio::test]
async fn connection_reset_mid_body_is_retried_then_reported() {
    let reset = || Reply::ResetMidBody {
        declared: 10_000,
        body: b"{\"data\": [".to_vec(),
    };
    let server = FaultServer::start(vec![
        ("/once", vec![reset(), json("{\"data\": []}")]),
        ("/always", vec![reset()]),
    ])
    .await;
    let f = fetcher(fast());
    let mut r = run();
    let page = get(&f, &server.url("/once"), &mut r).await.unwrap();
    assert_eq!((page.retries, page.body.as_str()), (1, "{\"data\": []}"));
    let err = get(&f, &server.url("/always"), &mut r).await.unwrap_err();
    assert!(
        matches!(err, FetchError::Transport { attempts: 3, .. }),
        "{err}"
    );
    assert_eq!(server.hits("/always"), 3);
}

#[tokio::test]
async fn timeouts_and_slow_drip_bodies_are_abandoned() {
    let server = FaultServer::start(vec![
        ("/hang", vec![Reply::Hang]),
        (
            "/drip",
            vec![Reply::Drip {
                chunk: b"[1,".to_vec(),
                count: 100,
                every: MS(50),
            }],
        ),
    ])
    .await;
    // Four timeouts on one host: host skipping is off here (see `hops::a_hanging_host_is_skipped_for_the_rest_of_the_run`).
    let f = fetcher(FetchConfig {
        request_timeout: MS(300),
        max_attempts: 2,
        host_timeout_limit: 0,
        ..fast()
    });
    let mut r = run();
    // The drip would take 5 s; "timed out" after 2 attempts says it was abandoned.
    for path in ["/hang", "/drip"] {
        let err = get(&f, &server.url(path), &mut r).await.unwrap_err();
        assert!(
            matches!(err, FetchError::Transport { attempts: 2, .. }),
            "{err}"
        );
        assert!(error_chain(&err).contains("timed out"), "{err}");
        assert_eq!(server.hits(path), 2);
    }
}

#[tokio::test]
async fn oversized_bodies_are_a_page_error() {
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(&vec![b' '; 50_000]).unwrap();
    let bomb = gz.finish().unwrap();
    let server = FaultServer::start(vec![
        ("/big", vec![json(vec![b'x'; 5_000])]),
        ("/bomb", vec![json(bomb).header("Content-Encoding", "gzip")]),
        ("/small", vec![json("[]")]),
    ])
    .await;
    let f = fetcher(FetchConfig {
        max_body_bytes: 1_000,
        ..fast()
    });
    let mut r = run();
    for path in ["/big", "/bomb"] {
        let err = get(&f, &server.url(path), &mut r).await.unwrap_err();
        assert!(
            matches!(err, FetchError::TooLarge { limit: 1_000, .. }),
            "{err}"
        );
        assert_eq!(server.hits(path), 1, "too large is not retried");
    }
    assert!(get(&f, &server.url("/small"), &mut r).await.is_ok());
}

#[tokio::test]
async fn redirects_are_bounded_and_http_only() {
    let to = |p: &str| Reply::status(302).header("Location", p);
    let server = FaultServer::start(vec![
        ("/a", vec![to("/b")]),
        ("/b", vec![to("/a")]),
        ("/r1", vec![to("/r2")]),
        ("/r2", vec![to("/ok")]),
        ("/ok", vec![json("[]")]),
        ("/ftp", vec![to("ftp://127.0.0.1/x")]),
        ("/c0", vec![to("/c1")]),
        ("/c1", vec![to("/c2")]),
        ("/c2", vec![to("/c3")]),
        ("/c3", vec![to("/c4")]),
        ("/c4", vec![to("/c5")]),
        ("/c5", vec![to("/c6")]),
        ("/c6", vec![to("/ok")]),
    ])
    .await;
    let f = fetcher(fast());
    let mut r = run();
    let page = get(&f, &server.url("/r1"), &mut r).await.unwrap();
    assert!(page.url.ends_with("/ok"), "{}", page.url);
    for (path, why) in [("/a", "loop"), ("/ftp", "ftp"), ("/c0", "more than 5")] {
        let err = get(&f, &server.url(path), &mut r).await.unwrap_err();
        assert!(matches!(err, FetchError::Redirect { .. }), "{err}");
        assert!(error_chain(&err).contains(why), "{err}");
    }
    assert_eq!((server.hits("/a"), server.hits("/b")), (1, 1));
    assert_eq!(server.hits("/c6"), 0, "stopped after 5 redirects");
}

#[tokio::test]
async fn latin1_pages_decode_with_or_without_meta_and_gzip_bodies_inflate() {
    let latin1: &[u8] = b"<p>D\xe9veloppeur \xe0 S\xe8te, exp\xe9rience en s\xe9curit\xe9 r\xe9seau, t\xe9l\xe9travail partiel.</p>";
    let with_meta = [
        b"<html><head><meta charset=\"iso-8859-1\"></head><body>".as_slice(),
        latin1,
    ]
    .concat();
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all("{\"title\": \"Ingénieur DevOps\"}".as_bytes())
        .unwrap();
    let server = FaultServer::start(vec![
        ("/meta", vec![Reply::ok("text/html", with_meta)]),
        ("/bare", vec![Reply::ok("text/html", latin1)]),
        (
            "/header",
            vec![Reply::ok("text/html; charset=ISO-8859-1", latin1)],
        ),
        (
            "/gzip",
            vec![json(gz.finish().unwrap()).header("Content-Encoding", "gzip")],
        ),
    ])
    .await;
    let f = fetcher(fast());
    let mut r = run();
    for path in ["/meta", "/bare", "/header"] {
        let page = get(&f, &server.url(path), &mut r).await.unwrap();
        assert!(
            page.body
                .contains("Développeur à Sète, expérience en sécurité"),
            "{path}: {}",
            page.body
        );
    }
    let page = get(&f, &server.url("/gzip"), &mut r).await.unwrap();
    assert_eq!(page.body, "{\"title\": \"Ingénieur DevOps\"}");
    assert_eq!(page.bytes, page.body.len());
    let accept = server
        .log()
        .last()
        .unwrap()
        .header("accept-encoding")
        .unwrap_or("")
        .to_owned();
    assert!(accept.contains("gzip") && accept.contains("br"), "{accept}");
}

#[tokio::test]
async fn conditional_get_answers_304() {
    let server = FaultServer::start(vec![(
        "/jobs",
        vec![Reply::Etag {
            etag: "\"v1\"".into(),
            body: b"[]".to_vec(),
        }],
    )])
    .await;
    let f = fetcher(fast());
    let mut r = run();
    let first = get(&f, &server.url("/jobs"), &mut r).await.unwrap();
    let etag = first
        .headers
        .iter()
        .find(|(k, _)| k == "etag")
        .map(|(_, v)| v.clone())
        .unwrap();
    let request = FetchRequest {
        headers: vec![("if-none-match".into(), etag)],
        ..FetchRequest::get(server.url("/jobs"))
    };
    let second = f.fetch_in(&request, &mut r).await.unwrap();
    assert!(second.not_modified() && second.body.is_empty());
    assert_eq!(r.stats.statuses.get(&304), Some(&1));
}

// ---- whole source runs -------------------------------------------------

/// Loads `ids` (each a copy of [`JSON_SOURCE`], `start` replaced when given).
fn sources(dir: &Path, defs: &[(&str, Option<&str>)]) -> Vec<SourceDef> {
    for (id, start) in defs {
        let text = match start {
            Some(s) => JSON_SOURCE.replace("start = [\"/jobs\"]", &format!("start = {s}")),
            None => JSON_SOURCE.to_owned(),
        };
        std::fs::write(dir.join(format!("{id}.toml")), text).unwrap();
    }
    load_sources(dir).expect("test sources load")
}

fn context(store: Arc<SledStore>, config: FetchConfig) -> Context {
    Context {
        store,
        normalizer: normalizer(),
        fetcher: fetcher(config),
    }
}

fn options(server: &FaultServer) -> RunOptions {
    RunOptions {
        base_url: Some(server.base.clone()),
        ..RunOptions::default()
    }
}

/// A later run answered 304 counts nothing twice, but the postings the
/// unchanged pages list were seen again: their last day seen moves, so
/// `active` does not close them a week after the page stopped changing.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn second_run_gets_304_counts_nothing_twice_and_keeps_postings_open() {
    let etag = |tag: &str, body: String| Reply::Etag {
        etag: tag.into(),
        body: body.into_bytes(),
    };
    let server = FaultServer::start(vec![
        (
            "/jobs",
            vec![etag("\"p1\"", page(&[1, 2], Some("/jobs?page=2")))],
        ),
        ("/jobs?page=2", vec![etag("\"p2\"", page(&[3], None))]),
    ])
    .await;
    let dir = tempfile::tempdir().unwrap();
    let source = sources(dir.path(), &[("alpha", None)]).remove(0);
    let (_db, store) = temp_store();
    let ctx = context(store.clone(), fast());

    let day = |s: &str| s.parse::<skilltrack::domain::Day>().unwrap();
    let on = |seen: &str| RunOptions {
        seen_on: Some(day(seen)),
        ..options(&server)
    };
    let first = run_source(&ctx, &source, &on("2026-11-10")).await;
    assert_eq!(
        (first.pages, first.items, first.new),
        (2, 3, 3),
        "{first:?}"
    );
    assert_eq!(first.statuses.get(&200), Some(&2));
    assert_eq!(first.not_modified, 0);

    let active_on = |d: &str| {
        store
            .daily(
                &skilltrack::domain::SkillId::all_postings(),
                &skilltrack::domain::GeoCode::world(),
                skilltrack::store::Metric::Active,
                day("2026-01-01"),
                day(d),
            )
            .unwrap()
            .iter()
            .map(|(_, v)| v)
            .sum::<i64>()
    };
    // Seen on the 10th: open until the 17th.
    assert_eq!((active_on("2026-11-17"), active_on("2026-11-18")), (3, 0));

    let second = run_source(&ctx, &source, &on("2026-11-20")).await;
    assert_eq!(second.not_modified, 2, "{second:?}");
    assert_eq!(second.statuses.get(&304), Some(&2), "{second:?}");
    // Nothing extracted or new; the three listed postings re-seen, unchanged.
    assert_eq!(
        (second.items, second.new, second.unchanged, second.updated),
        (0, 0, 3, 0)
    );
    let mut last_seen = Vec::new();
    for p in store.postings() {
        let p = p.unwrap();
        last_seen.push(p.last_seen.to_string());
    }
    assert_eq!(last_seen, vec!["2026-11-20"; 3]);
    // Re-seen on the 20th: open until the 27th, counted once.
    assert_eq!((active_on("2026-11-27"), active_on("2026-11-28")), (3, 0));
    assert!(second.errors.is_empty(), "{:?}", second.errors);
    assert_eq!(store.posting_count().unwrap(), 3);
    // Run 2 asked conditionally for both pages (page 2 through the remembered next link).
    let conditional: Vec<String> = server
        .log()
        .into_iter()
        .filter(|l| l.header("if-none-match").is_some())
        .map(|l| l.path)
        .collect();
    assert_eq!(conditional, vec!["/jobs", "/jobs?page=2"]);
    let stored = store.runs(&source.id, 1).unwrap();
    assert_eq!(stored[0].not_modified, 2);
    assert!(
        second.summary().contains("2 not modified"),
        "{}",
        second.summary()
    );
}

#[tokio::test]
async fn malformed_pages_are_page_errors_and_robots_blocks_are_reported() {
    let server = FaultServer::start(vec![
        (
            "/robots.txt",
            vec![Reply::ok(
                "text/plain",
                "User-agent: *\nDisallow: /private\n",
            )],
        ),
        ("/jobs", vec![json("{\"data\": [{\"id\": \"1\", \"title\"")]),
        (
            "/html",
            vec![Reply::ok(
                "text/html",
                "<html><body><h1>Oops</h1><p>unclosed",
            )],
        ),
        ("/private/jobs", vec![json(page(&[9], None))]),
        ("/ok", vec![json(page(&[1], None))]),
    ])
    .await;
    let dir = tempfile::tempdir().unwrap();
    let start = r#"["/jobs", "/html", "/private/jobs", "/ok"]"#;
    let source = sources(dir.path(), &[("alpha", Some(start))]).remove(0);
    let (_db, store) = temp_store();
    let ctx = context(store.clone(), fast());
    let report = run_source(&ctx, &source, &options(&server)).await;
    assert_eq!(report.pages, 4, "{report:?}");
    assert_eq!((report.new, report.robots_blocked), (1, 1), "{report:?}");
    assert_eq!(report.requests, 3);
    assert_eq!(report.statuses.get(&200), Some(&3));
    assert_eq!(report.errors.len(), 3, "{:?}", report.errors);
    assert!(
        report.errors[0].contains("not valid JSON"),
        "{:?}",
        report.errors
    );
    assert!(
        report.errors[1].contains("starts with \"<html>"),
        "{:?}",
        report.errors
    );
    assert!(report.errors[2].contains("/private/jobs") && report.errors[2].contains("robots.txt"));
    assert_eq!(server.hits("/private/jobs"), 0);
    let stored = &store.runs(&source.id, 1).unwrap()[0];
    assert_eq!((stored.robots_blocked, stored.requests), (1, 3));
    assert!(
        report.summary().contains("1 blocked by robots.txt"),
        "{}",
        report.summary()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failing_host_does_not_stop_or_slow_another() {
    // Two hosts: the same address, different ports (a host is an origin).
    let failing = FaultServer::start(vec![("/jobs", vec![Reply::Hang])]).await;
    let healthy = FaultServer::start(vec![
        ("/jobs", vec![json(page(&[1, 2], Some("/jobs?page=2")))]),
        ("/jobs?page=2", vec![json(page(&[3], None))]),
    ])
    .await;
    let dir = tempfile::tempdir().unwrap();
    let defs = sources(dir.path(), &[("alpha", None), ("beta", None)]);
    let (_db, store) = temp_store();
    let ctx = context(
        store.clone(),
        FetchConfig {
            request_timeout: MS(700),
            backoff: MS(200),
            ..fast()
        },
    );
    let (opt_a, opt_b) = (options(&failing), options(&healthy));
    let bad = tokio::spawn({
        let (ctx, source) = (ctx.clone(), defs[0].clone());
        async move { run_source(&ctx, &source, &opt_a).await }
    });
    let good = run_source(&ctx, &defs[1], &opt_b).await;
    // The failing run needs 3 timeouts and 2 backoffs (over 2.1 s): the
    // healthy host's run is over while the failing one still waits.
    assert!(
        !bad.is_finished(),
        "the healthy run waited for the failing host"
    );
    assert_eq!(good.new, 3, "{good:?}");
    assert!(good.errors.is_empty(), "{:?}", good.errors);
    let bad = bad.await.unwrap();
    assert!(bad.new == 0 && bad.error_count() == 1, "{bad:?}");
    assert_eq!(failing.hits("/jobs"), 3);
}

#[tokio::test]
async fn the_run_deadline_stops_a_run() {
    let server = FaultServer::start(vec![("/jobs", vec![Reply::Hang])]).await;
    let dir = tempfile::tempdir().unwrap();
    let source = sources(dir.path(), &[("alpha", None)]).remove(0);
    let (_db, store) = temp_store();
    let ctx = context(
        store,
        FetchConfig {
            run_deadline: Some(MS(400)),
            ..fast()
        },
    );
    // Without the deadline the run would end after 3 timeouts of 2 s, with
    // another error.
    let report = run_source(&ctx, &source, &options(&server)).await;
    assert!(
        report.errors[0].contains("run deadline reached"),
        "{:?}",
        report.errors
    );
}

/// The OAuth2 token cache lives in the fetcher, keyed by source, not in the
/// source definition: runs sharing a context ask for one token, and a 401
/// renews it once. (The credentials are variables cargo always sets.)
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_oauth2_token_serves_every_run_until_a_401() {
    let json = |body: &str| Reply::ok("application/json", body.to_owned());
    let server = FaultServer::start(vec![
        (
            "/token",
            vec![
                json(r#"{"access_token": "first", "expires_in": 3600}"#),
                json(r#"{"access_token": "second", "expires_in": 3600}"#),
            ],
        ),
        (
            "/jobs",
            vec![
                json(&page(&[1], None)),
                json(&page(&[1], None)),
                Reply::status(401),
                json(&page(&[1], None)),
            ],
        ),
    ])
    .await;
    let dir = tempfile::tempdir().unwrap();
    let auth = "\n[auth]\nkind = \"oauth2_client_credentials\"\ntoken_url = \"https://jobs.example.org/token\"\nclient_id_env = \"CARGO_PKG_NAME\"\nclient_secret_env = \"CARGO_PKG_VERSION\"\n";
    std::fs::write(
        dir.path().join("alpha.toml"),
        format!("{JSON_SOURCE}{auth}"),
    )
    .unwrap();
    let source = load_sources(dir.path()).expect("source loads").remove(0);
    let (_db, store) = temp_store();
    let ctx = context(store, fast());

    for run in 0..3 {
        let report = run_source(&ctx, &source, &options(&server)).await;
        assert!(report.errors.is_empty(), "run {run}: {:?}", report.errors);
        assert_eq!(report.items, 1, "run {run}: {report:?}");
    }
    let log = server.log();
    let token_requests: Vec<_> = log.iter().filter(|l| l.path == "/token").collect();
    assert_eq!(token_requests.len(), 2, "{:?}", server.paths());
    let form = String::from_utf8_lossy(&token_requests[0].body).into_owned();
    assert!(form.contains("client_id=skilltrack"), "{form}");
    let bearers: Vec<Option<&str>> = log
        .iter()
        .filter(|l| l.path == "/jobs")
        .map(|l| l.header("authorization"))
        .collect();
    assert_eq!(
        bearers,
        vec![
            Some("Bearer first"),
            Some("Bearer first"),
            Some("Bearer first"),
            Some("Bearer second")
        ]
    );
}
