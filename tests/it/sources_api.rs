//! Issue #15's visibility: `GET /api/v1/sources` and
//! `/api/v1/sources/{id}/runs` through `warp::test` over stored run reports
//! (a source drifting and clearing, a completeness drop, a source that
//! never ran, limits and order, a server that does not collect), the health
//! gauges of `/metrics`, the store's list of sources with runs, and a real
//! run against the fixture server recording completeness and logging its
//! drift.

use std::io::Write;
use std::sync::{Arc, Mutex};

use serde_json::Value;
use skilltrack::api::collection::{
    Collection, ReloadError, ReloadOutcome, SourceInfo, TriggerError, TriggeredRun,
};
use skilltrack::api::{self, AppState};
use skilltrack::domain::{Completeness, RunReport, SourceId};
use skilltrack::extract::load_sources;
use skilltrack::pipeline::{run_source, RunOptions};
use skilltrack::store::{PostingStore, RunLog, SledStore};

use crate::helpers::{
    context, extractors_dir, get_json, temp_store, FixtureServer, IsolatedApp, ARBEITNOW,
};

/// A scheduler as the API sees it: a fixed set of sources.
struct FakeCollection(Vec<SourceInfo>);

impl Collection for FakeCollection {
    fn sources(&self) -> Vec<SourceInfo> {
        self.0.clone()
    }
    fn trigger(&self, id: &str) -> Result<TriggeredRun, TriggerError> {
        Err(TriggerError::UnknownSource(id.to_owned()))
    }
    fn reload(&self) -> Result<ReloadOutcome, ReloadError> {
        Ok(ReloadOutcome::default())
    }
}

/// An enabled json source scheduled at 04:20 UTC, next due on 2026-12-02.
fn info(id: &str) -> SourceInfo {
    SourceInfo {
        id: id.to_owned(),
        name: format!("Source {id}"),
        kind: "json".to_owned(),
        schedule: Some("0 20 4 * * *".to_owned()),
        next_run: Some(time::macros::datetime!(2026-12-02 04:20 UTC)),
        enabled: true,
        disabled_reason: None,
        running: false,
    }
}

/// The routes over `store`, with a scheduler running `sources` (none: a
/// server that does not collect).
fn routes(
    store: Arc<SledStore>,
    sources: Option<Vec<SourceInfo>>,
) -> impl warp::Filter<Extract = (impl warp::Reply,), Error = std::convert::Infallible> + Clone {
    let state: AppState = IsolatedApp::state(store);
    let state = match sources {
        Some(s) => state.with_collection(Arc::new(FakeCollection(s))),
        None => state,
    };
    api::routes(state)
}

/// A run of `source` on day `n` (hour `n % 24` of a day of 2000, so
/// reports sort by `n`) that stored `postings` new postings, all with every
/// field.
fn run(source: &str, n: u32, postings: u64) -> RunReport {
    RunReport {
        source: Some(SourceId::parse(source).unwrap()),
        started_at: format!("2000-01-{:02}T{:02}:00:00Z", 1 + n / 24, n % 24),
        duration_ms: 1500,
        pages: 1,
        items: postings,
        new: postings,
        completeness: Completeness {
            postings,
            place: postings,
            posted: postings,
            company: postings,
            description: postings,
            skill: postings,
        },
        ..RunReport::default()
    }
}

/// The entry of `id` in a `/api/v1/sources` answer.
fn source<'a>(body: &'a Value, id: &str) -> &'a Value {
    body["sources"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["id"] == id)
        .unwrap_or_else(|| panic!("{id} in {body}"))
}

#[tokio::test]
async fn a_source_returning_no_postings_drifts_until_a_healthy_run() {
    let (_dir, store) = temp_store();
    for n in 1..=5 {
        store.record_run(&run("alpha", n, 20)).unwrap();
    }
    store.record_run(&run("alpha", 6, 0)).unwrap();
    let routes = routes(store.clone(), Some(vec![info("alpha")]));
    let (status, body) = get_json(&routes, "/api/v1/sources").await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["collecting"], true);
    let alpha = source(&body, "alpha");
    assert_eq!(alpha["health"], "drifting", "{alpha}");
    assert_eq!(alpha["alarms"].as_array().unwrap().len(), 1, "{alpha}");
    let alarm = &alpha["alarms"][0];
    assert_eq!(
        (
            &alarm["code"],
            &alarm["figure"],
            &alarm["baseline"],
            &alarm["current"]
        ),
        (
            &"no_postings".into(),
            &"postings".into(),
            &20.0.into(),
            &0.0.into()
        )
    );
    assert_eq!(
        alarm["message"],
        "postings: 0 this run, against a median of 20 over the last 5 healthy runs"
    );
    // What the scheduler says, and the latest run in short.
    assert_eq!(alpha["name"], "Source alpha");
    assert_eq!(alpha["schedule"], "0 20 4 * * *");
    assert_eq!(alpha["next_run"], "2026-12-02T04:20:00Z");
    assert_eq!(alpha["enabled"], true);
    assert_eq!(alpha["consecutive_failures"], 0);
    assert_eq!(alpha["last_success"], "2000-01-01T06:00:00Z");
    assert_eq!(alpha["last_run"]["postings"], 0);
    assert_eq!(alpha["last_run"]["shares"], Value::Null);
    assert_eq!(alpha["last_run"]["duration_ms"], 1500);

    store.record_run(&run("alpha", 7, 19)).unwrap();
    let (_, body) = get_json(&routes, "/api/v1/sources").await;
    let alpha = source(&body, "alpha");
    assert_eq!(alpha["health"], "ok", "{alpha}");
    assert_eq!(alpha["alarms"], serde_json::json!([]));
    assert_eq!(alpha["last_run"]["shares"]["company"], 1.0);
}

#[tokio::test]
async fn a_completeness_drop_of_40_points_raises_an_alarm() {
    let (_dir, store) = temp_store();
    for n in 1..=6 {
        let mut r = run("beta", n, 20);
        r.completeness.place = 18; // 90%
        store.record_run(&r).unwrap();
    }
    let mut dropped = run("beta", 7, 20);
    dropped.completeness.place = 10; // 50%
    store.record_run(&dropped).unwrap();
    let routes = routes(store, Some(vec![info("beta")]));
    let (_, body) = get_json(&routes, "/api/v1/sources").await;
    let beta = source(&body, "beta");
    assert_eq!(beta["health"], "drifting", "{beta}");
    let alarm = &beta["alarms"][0];
    assert_eq!(alarm["code"], "completeness_drop");
    assert_eq!(alarm["figure"], "place");
    assert_eq!(
        alarm["message"],
        "place completeness: 50% this run, against a median of 90% over the last 6 measured healthy runs (40 points down)"
    );
    // The runs route shows the figures that raised it.
    let (status, runs) = get_json(&routes, "/api/v1/sources/beta/runs?limit=2").await;
    assert_eq!(status, 200, "{runs}");
    assert_eq!(runs["runs"][0]["completeness"]["place"], 10);
    assert_eq!(runs["runs"][0]["shares"]["place"], 0.5);
    assert_eq!(runs["runs"][1]["shares"]["place"], 0.9);
}

#[tokio::test]
async fn a_source_that_never_ran_says_so_with_what_the_scheduler_knows() {
    let (_dir, store) = temp_store();
    store.record_run(&run("gamma", 1, 3)).unwrap();
    let mut delta = info("delta");
    delta.enabled = false;
    delta.disabled_reason = Some("missing credentials: FT_CLIENT_ID".to_owned());
    delta.next_run = None;
    let routes = routes(store, Some(vec![delta, info("gamma")]));
    let (_, body) = get_json(&routes, "/api/v1/sources").await;
    let ids: Vec<&str> = body["sources"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["delta", "gamma"]);
    let delta = source(&body, "delta");
    assert_eq!(delta["health"], "never_ran");
    assert_eq!(delta["last_run"], Value::Null);
    assert_eq!(delta["last_success"], Value::Null);
    assert_eq!(delta["enabled"], false);
    assert_eq!(
        delta["disabled_reason"],
        "missing credentials: FT_CLIENT_ID"
    );
    assert_eq!(delta["next_run"], Value::Null);
    assert_eq!(source(&body, "gamma")["health"], "ok");
    // A source of the set with no run has an empty history, not a 404.
    let (status, runs) = get_json(&routes, "/api/v1/sources/delta/runs").await;
    assert_eq!(status, 200);
    assert_eq!(runs["runs"], serde_json::json!([]));
}

#[tokio::test]
async fn runs_come_newest_first_up_to_the_limit() {
    let (_dir, store) = temp_store();
    for n in 1..=25 {
        store.record_run(&run("epsilon", n, u64::from(n))).unwrap();
    }
    // Another source's runs, whose id starts like this one's.
    store.record_run(&run("epsilon-2", 1, 1)).unwrap();
    let routes = routes(store, Some(vec![info("epsilon")]));
    let new = |body: &Value| -> Vec<u64> {
        body["runs"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["new"].as_u64().unwrap())
            .collect()
    };
    let (status, body) = get_json(&routes, "/api/v1/sources/epsilon/runs").await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["limit"], 20);
    assert_eq!(new(&body), (6..=25).rev().collect::<Vec<u64>>());
    let (_, body) = get_json(&routes, "/api/v1/sources/epsilon/runs?limit=3").await;
    assert_eq!(new(&body), [25, 24, 23]);
    assert_eq!(body["runs"][0]["started_at"], "2000-01-02T01:00:00Z");
    assert_eq!(body["runs"][0]["failed"], false);
    let (_, body) = get_json(&routes, "/api/v1/sources/epsilon/runs?limit=100").await;
    assert_eq!(new(&body).len(), 25);
    // A source that left the set keeps its history.
    let (status, body) = get_json(&routes, "/api/v1/sources/epsilon-2/runs").await;
    assert_eq!((status, new(&body)), (200, vec![1]));

    for (query, status, code, message) in [
        (
            "?limit=0",
            400,
            "invalid_parameter",
            "limit: \"0\" is not a whole number of runs (1 to 100)",
        ),
        (
            "?limit=101",
            400,
            "limit_exceeded",
            "limit: 101 is over the limit of 100 runs: ask for fewer",
        ),
        (
            "?limit=ten",
            400,
            "invalid_parameter",
            "limit: \"ten\" is not a whole number of runs (1 to 100)",
        ),
        (
            "?limt=3",
            400,
            "invalid_parameter",
            "limt: unknown parameter (known: limit); did you mean \"limit\"?",
        ),
    ] {
        let (s, body) = get_json(&routes, &format!("/api/v1/sources/epsilon/runs{query}")).await;
        assert_eq!(s, status, "{query}: {body}");
        assert_eq!(body["error"]["code"], code, "{query}");
        assert_eq!(body["error"]["message"], message, "{query}");
    }
    let (s, body) = get_json(&routes, "/api/v1/sources/epsilom/runs").await;
    assert_eq!(s, 404);
    assert_eq!(body["error"]["code"], "unknown_source");
    assert_eq!(
        body["error"]["message"],
        "no source \"epsilom\"; did you mean \"epsilon\"?"
    );
    let (_, body) = get_json(&routes, "/api/v1/sources/zzz/runs").await;
    assert_eq!(
        body["error"]["message"],
        "no source \"zzz\"; see /api/v1/sources"
    );
}

#[tokio::test]
async fn a_server_that_does_not_collect_lists_the_sources_with_runs() {
    let (_dir, store) = temp_store();
    let mut failed = run("zeta", 2, 0);
    failed.error("https://jobs.example/: connection refused");
    store.record_run(&run("zeta", 1, 4)).unwrap();
    store.record_run(&failed).unwrap();
    store.record_run(&run("eta", 1, 2)).unwrap();
    let routes = routes(store, None);
    let (status, body) = get_json(&routes, "/api/v1/sources").await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["collecting"], false);
    assert_eq!(body["sources"].as_array().unwrap().len(), 2, "{body}");
    let zeta = source(&body, "zeta");
    assert_eq!(zeta["health"], "failing");
    assert_eq!(zeta["consecutive_failures"], 1);
    assert_eq!(zeta["last_success"], "2000-01-01T01:00:00Z");
    assert_eq!(zeta["last_run"]["failed"], true);
    assert_eq!(zeta["last_run"]["errors"], 1);
    assert_eq!(zeta["enabled"], false);
    assert_eq!(
        zeta["disabled_reason"],
        "this server does not collect (serve --no-schedule)"
    );
    for field in ["name", "kind", "schedule", "next_run"] {
        assert_eq!(zeta[field], Value::Null, "{field}");
    }
    let (status, body) = get_json(&routes, "/api/v1/sources/zeta/runs").await;
    assert_eq!(status, 200);
    assert_eq!(
        body["runs"][0]["errors"][0],
        "https://jobs.example/: connection refused"
    );
    let (status, _) = get_json(&routes, "/api/v1/sources/theta/runs").await;
    assert_eq!(status, 404);
}

#[tokio::test]
async fn a_report_stored_before_completeness_reads_with_none_measured() {
    // A report as the build before #15 wrote it: no completeness.
    let old: RunReport = serde_json::from_str(
        r#"{"source":"iota","started_at":"2000-01-01T00:00:00Z","duration_ms":900,"pages":1,"requests":1,"bytes":10,"statuses":{"200":1},"retries":0,"robots_blocked":0,"host_skipped":0,"not_modified":0,"polite_wait_ms":0,"retry_wait_ms":0,"items":7,"rejected":0,"new":7,"updated":0,"unchanged":0,"errors":[],"more_errors":0,"interrupted":false}"#,
    )
    .unwrap();
    let (_dir, store) = temp_store();
    store.record_run(&old).unwrap();
    let routes = routes(store, None);
    let (status, body) = get_json(&routes, "/api/v1/sources/iota/runs").await;
    assert_eq!(status, 200, "{body}");
    let r = &body["runs"][0];
    assert_eq!((&r["new"], &r["duration_ms"]), (&7.into(), &900.into()));
    assert_eq!(r["completeness"]["postings"], 0);
    assert_eq!(r["shares"], Value::Null);
    assert_eq!(r["statuses"]["200"], 1);
}

/// The sample value of `series` (name and labels) in a scrape.
fn sample(text: &str, series: &str) -> Option<f64> {
    text.lines()
        .find_map(|l| l.strip_prefix(series)?.strip_prefix(' '))
        .and_then(|v| v.parse().ok())
}

#[tokio::test]
async fn metrics_carry_each_sources_health() {
    // Source ids of their own: the registry is the process's.
    let (_dir, store) = temp_store();
    for n in 1..=4 {
        store.record_run(&run("metrics-drift", n, 10)).unwrap();
        store.record_run(&run("metrics-failing", n, 10)).unwrap();
    }
    store.record_run(&run("metrics-drift", 5, 0)).unwrap();
    for n in 5..=7 {
        let mut failed = run("metrics-failing", n, 0);
        failed.error("https://jobs.example/: 503");
        store.record_run(&failed).unwrap();
    }
    let routes = routes(
        store,
        Some(vec![
            info("metrics-drift"),
            info("metrics-failing"),
            info("metrics-new"),
        ]),
    );
    let r = warp::test::request().path("/metrics").reply(&routes).await;
    assert_eq!(r.status(), 200);
    let text = String::from_utf8_lossy(r.body()).into_owned();
    let health = |source: &str, state: &str| {
        sample(
            &text,
            &format!(r#"skilltrack_source_health{{source="{source}",state="{state}"}}"#),
        )
    };
    assert_eq!(health("metrics-drift", "drifting"), Some(1.0), "{text}");
    assert_eq!(health("metrics-drift", "ok"), Some(0.0));
    assert_eq!(health("metrics-failing", "failing"), Some(1.0));
    assert_eq!(health("metrics-new", "never_ran"), Some(1.0));
    assert_eq!(
        sample(
            &text,
            r#"skilltrack_source_drift_alarms{source="metrics-drift"}"#
        ),
        Some(1.0)
    );
    assert_eq!(
        sample(
            &text,
            r#"skilltrack_source_consecutive_failures{source="metrics-failing"}"#
        ),
        Some(3.0)
    );
    assert_eq!(
        sample(
            &text,
            r#"skilltrack_source_consecutive_failures{source="metrics-drift"}"#
        ),
        Some(0.0)
    );
}

#[test]
fn the_store_lists_each_source_with_runs_once_in_order() {
    let (_dir, store) = temp_store();
    assert!(store.run_sources().unwrap().is_empty());
    for (source, n) in [
        ("b", 1),
        ("ab-c", 1),
        ("ab", 2),
        ("ab", 1),
        ("b", 2),
        ("a", 1),
    ] {
        store.record_run(&run(source, n, 1)).unwrap();
    }
    let ids: Vec<String> = store
        .run_sources()
        .unwrap()
        .iter()
        .map(|s| s.as_str().to_owned())
        .collect();
    assert_eq!(ids, ["a", "ab", "ab-c", "b"]);
    let ab = store.runs(&SourceId::parse("ab").unwrap(), 10).unwrap();
    let starts: Vec<&str> = ab.iter().map(|r| r.started_at.as_str()).collect();
    assert_eq!(starts, ["2000-01-01T02:00:00Z", "2000-01-01T01:00:00Z"]);
}

/// Log lines written while it is held, as text.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Captured {
    fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().unwrap()).into_owned()
    }
}

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for Captured {
    type Writer = Captured;
    fn make_writer(&'a self) -> Captured {
        self.clone()
    }
}

/// A real run against the fixture server records the completeness of what
/// it read; after five stored runs of 20 postings, a run of an empty page
/// logs a WARN naming the alarm, and the next run with postings an INFO
/// saying the drift cleared.
#[tokio::test]
async fn real_runs_record_completeness_and_log_drift_and_its_end() {
    let full = FixtureServer::start(ARBEITNOW).await;
    let empty = FixtureServer::start(&[("/api/job-board-api", "arbeitnow/empty.json")]).await;
    let (_dir, store) = temp_store();
    let ctx = context(store.clone());
    let sources = load_sources(&extractors_dir()).unwrap();
    let arbeitnow = sources
        .iter()
        .find(|s| s.id.as_str() == "arbeitnow")
        .unwrap();
    let options = |base: &str| RunOptions {
        base_url: Some(base.to_owned()),
        ..RunOptions::default()
    };
    let report = run_source(&ctx, arbeitnow, &options(&full.base)).await;
    // Five postings read (the sixth item has no title): each with a
    // company, a date, a description and a skill; a place for each.
    let c = report.completeness;
    assert_eq!(
        (c.postings, c.posted, c.company, c.description, c.skill),
        (5, 5, 5, 5, 5),
        "{report:?}"
    );
    assert_eq!(c.place, 5, "{report:?}");
    assert!(report.duration_ms > 0, "{report:?}");
    let stored = &store.runs(&arbeitnow.id, 1).unwrap()[0];
    assert_eq!(stored.completeness, c);
    // The same figures from the stored postings themselves.
    let mut recount = Completeness::default();
    for p in store.postings() {
        recount.count(&p.unwrap());
    }
    assert_eq!(recount, c);

    // Five earlier runs of 20 postings each, stored before this one's.
    for n in 1..=5 {
        store
            .record_run(&RunReport {
                completeness: Completeness::default(),
                ..run("arbeitnow", n, 20)
            })
            .unwrap();
    }
    let captured = Captured::default();
    let subscriber = tracing_subscriber::fmt()
        .with_writer(captured.clone())
        .with_ansi(false)
        .with_max_level(tracing::Level::INFO)
        .finish();
    let drifted = {
        let _logging = tracing::subscriber::set_default(subscriber);
        let drifted = run_source(&ctx, arbeitnow, &options(&empty.base)).await;
        assert_eq!(drifted.completeness.postings, 0);
        let log = captured.text();
        let warn = log
            .lines()
            .find(|l| l.contains("WARN"))
            .unwrap_or_else(|| panic!("no WARN in {log}"));
        assert!(warn.contains("The source is drifting"), "{warn}");
        assert!(warn.contains("source=arbeitnow"), "{warn}");
        assert!(warn.contains("codes=no_postings"), "{warn}");
        assert!(
            warn.contains(
                "postings: 0 this run, against a median of 20 over the last 6 healthy runs"
            ),
            "{warn}"
        );
        assert!(!log.contains("drift cleared"), "{log}");
        let again = run_source(&ctx, arbeitnow, &options(&full.base)).await;
        assert_eq!(again.completeness.postings, 5);
        let log = captured.text();
        assert_eq!(log.matches("WARN").count(), 1, "{log}");
        assert!(
            log.contains("INFO") && log.contains("drift cleared"),
            "{log}"
        );
        drifted
    };
    assert_eq!(drifted.new + drifted.unchanged, 0);
    let routes = routes(store.clone(), None);
    let (_, body) = get_json(&routes, "/api/v1/sources/arbeitnow/runs?limit=3").await;
    assert_eq!(body["runs"][0]["shares"]["company"], 1.0, "{body}");
    assert_eq!(body["runs"][1]["postings"], 0);
    assert_eq!(body["runs"][1]["shares"], Value::Null);
}

/// `sources list` judges the stored runs with the same rules: its health
/// column, and the alarms of drifting sources below the table.
#[test]
fn sources_list_shows_the_health_column_and_the_alarms() {
    let (dir, store) = temp_store();
    for n in 1..=5 {
        store.record_run(&run("arbeitnow", n, 20)).unwrap();
        store.record_run(&run("remotive", n, 20)).unwrap();
    }
    store.record_run(&run("arbeitnow", 6, 0)).unwrap();
    let mut failed = run("greenhouse", 1, 0);
    failed.error("https://boards.example/: 503");
    store.record_run(&failed).unwrap();
    drop(store);
    let db = dir.path().join("db");
    let out = crate::helpers::skilltrack_ok(&[
        "--data-dir",
        db.to_str().unwrap(),
        "--extractors",
        extractors_dir().to_str().unwrap(),
        "sources",
        "list",
    ]);
    let stdout = crate::helpers::text(&out.stdout);
    let line = |id: &str| {
        stdout
            .lines()
            .find(|l| l.starts_with(&format!("{id} ")))
            .unwrap_or_else(|| panic!("{id} in {stdout}"))
            .to_owned()
    };
    assert!(
        stdout.lines().next().unwrap().contains(" health "),
        "{stdout}"
    );
    assert!(
        line("arbeitnow").contains(" 2000-01-01T06:00:00Z "),
        "{stdout}"
    );
    assert!(line("arbeitnow").contains(" drifting "), "{stdout}");
    assert!(line("remotive").contains(" ok "), "{stdout}");
    assert!(line("greenhouse").contains(" failing "), "{stdout}");
    assert!(line("greenhouse").ends_with(" true"), "{stdout}");
    assert!(line("weworkremotely").contains(" never_ran "), "{stdout}");
    assert!(
        stdout.ends_with(
            "\n1 source(s) drifting:\n  arbeitnow: postings: 0 this run, against a median of 20 over the last 5 healthy runs\n"
        ),
        "{stdout}"
    );
}
