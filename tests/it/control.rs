//! Collection under control (issue #15), in process: sources firing on
//! second-level cron schedules against local fault servers, a tick that
//! finds its source still running skipped, catch-up at start, the admin
//! routes (token, trigger, 409, reload refused and accepted) through
//! `warp::test`. The binary's side (SIGTERM, a second signal, `run` while
//! `serve` holds the database) is in `control_binary`.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use serde_json::Value;
use skilltrack::api::admin::AdminToken;
use skilltrack::api::collection::Collection;
use skilltrack::api::{self, AppState};
use skilltrack::domain::{RunReport, SourceId};
use skilltrack::extract::load_source_set;
use skilltrack::pipeline::RunOptions;
use skilltrack::schedule::{CatchUp, Loaded, Loader, Planned, Scheduler};
use skilltrack::store::{RunLog, SledStore};
use warp::http::Response;
use warp::hyper::body::Bytes;

use crate::fault_server::{FaultServer, Reply};
use crate::helpers::{context, json_page, temp_store, IsolatedApp, JSON_SOURCE};

/// Generous bound that only detects a hang (never a speed claim).
const HANG: Duration = Duration::from_secs(20);

/// The admin token of these tests.
const TOKEN: &str = "test-admin-token";

/// Writes source `id` collected on `schedule` from `base`.
pub fn source_file(dir: &Path, id: &str, schedule: &str, base: &str) {
    let text = format!(
        "schedule = \"{schedule}\"\ncountry = \"FR\"\n{}",
        JSON_SOURCE.replace("https://jobs.example.org", base)
    );
    std::fs::write(dir.join(format!("{id}.toml")), text).unwrap();
}

/// Reads `dir` as `serve` does (without configuration overrides).
fn loader(dir: PathBuf) -> Loader {
    Arc::new(move || {
        let set = load_source_set(&dir);
        Loaded {
            problems: set.problems(),
            sources: set
                .sources
                .into_iter()
                .map(|source| Planned {
                    source,
                    options: RunOptions::default(),
                    disabled: None,
                })
                .collect(),
        }
    })
}

/// A scheduler over the sources of `dir`, storing into `store`.
async fn start(store: Arc<SledStore>, dir: &Path, catch_up: Option<CatchUp>) -> Scheduler {
    let load = loader(dir.to_owned());
    let sources = load().sources;
    Scheduler::start(context(store), sources, load, catch_up)
        .await
        .expect("the scheduler starts")
}

/// Waits until `done` holds (panics after [`HANG`]).
async fn until(what: &str, done: impl Fn() -> bool) {
    tokio::time::timeout(HANG, async {
        while !done() {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    })
    .await
    .unwrap_or_else(|_| panic!("timed out waiting for {what}"));
}

fn runs(store: &SledStore, id: &str) -> Vec<RunReport> {
    store.runs(&SourceId::parse(id).unwrap(), 100).unwrap()
}

/// One page of two postings, answered after `delay`.
fn slow_page(delay: Duration) -> Reply {
    Reply::Drip {
        chunk: json_page(&[1, 2], None).into_bytes(),
        count: 1,
        every: delay,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_sources_fire_on_their_own_schedules() {
    let a = FaultServer::start(vec![(
        "/jobs",
        vec![Reply::ok("application/json", json_page(&[1, 2], None))],
    )])
    .await;
    let b = FaultServer::start(vec![(
        "/jobs",
        vec![Reply::ok("application/json", json_page(&[7], None))],
    )])
    .await;
    let (dir, store) = temp_store();
    let extractors = dir.path().join("extractors");
    std::fs::create_dir(&extractors).unwrap();
    source_file(&extractors, "a", "*/1 * * * * *", &a.base);
    source_file(&extractors, "b", "*/1 * * * * *", &b.base);
    let scheduler = start(store.clone(), &extractors, None).await;
    assert_eq!(scheduler.jobs, 2);
    until("both sources to run twice", || {
        runs(&store, "a").len() >= 2 && runs(&store, "b").len() >= 2
    })
    .await;
    assert!(scheduler.shutdown(Duration::from_secs(5)).await);
    assert!(a.hits("/jobs") >= 2 && b.hits("/jobs") >= 2);
    let (ra, rb) = (&runs(&store, "a")[0], &runs(&store, "b")[0]);
    assert_eq!(ra.new + ra.unchanged, 2, "{ra:?}");
    assert_eq!(rb.new + rb.unchanged, 1, "{rb:?}");
    // Stopped: nothing fires any more.
    let hits = a.hits("/jobs");
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert_eq!(a.hits("/jobs"), hits);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_tick_that_finds_the_run_going_is_skipped() {
    // Each run lasts 2.5 s; the schedule fires every second.
    let slow = FaultServer::start(vec![(
        "/jobs",
        vec![slow_page(Duration::from_millis(2500))],
    )])
    .await;
    let (dir, store) = temp_store();
    let extractors = dir.path().join("extractors");
    std::fs::create_dir(&extractors).unwrap();
    source_file(&extractors, "slow", "* * * * * *", &slow.base);
    let scheduler = start(store.clone(), &extractors, None).await;
    let collection = scheduler.collection();
    until("the first run to start", || slow.hits("/jobs") == 1).await;
    assert!(collection.sources()[0].running);
    // Two more ticks pass while the run is going: neither starts a run.
    tokio::time::sleep(Duration::from_millis(2000)).await;
    assert_eq!(slow.hits("/jobs"), 1, "an overlapping run started");
    assert!(runs(&store, "slow").is_empty());
    // The next tick after the run ended starts the next run.
    until("a second run", || slow.hits("/jobs") == 2).await;
    assert_eq!(runs(&store, "slow").len(), 1);
    assert!(scheduler.shutdown(Duration::from_secs(5)).await);
    assert_eq!(runs(&store, "slow").len(), 2, "the run in flight finished");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn catch_up_runs_a_never_run_source_once_and_not_a_fresh_one() {
    let never = FaultServer::start(vec![(
        "/jobs",
        vec![Reply::ok("application/json", json_page(&[1, 2], None))],
    )])
    .await;
    let fresh = FaultServer::start(vec![(
        "/jobs",
        vec![Reply::ok("application/json", json_page(&[3], None))],
    )])
    .await;
    let (dir, store) = temp_store();
    let extractors = dir.path().join("extractors");
    std::fs::create_dir(&extractors).unwrap();
    // Daily at 04:20 UTC: no fire time during the test.
    source_file(&extractors, "never", "0 20 4 * * *", &never.base);
    source_file(&extractors, "fresh", "0 20 4 * * *", &fresh.base);
    // "fresh" ran a moment ago, after its last fire time.
    let now = time::OffsetDateTime::now_utc()
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap();
    store
        .record_run(&RunReport {
            source: Some(SourceId::parse("fresh").unwrap()),
            started_at: now,
            ..RunReport::default()
        })
        .unwrap();
    let plan = CatchUp {
        spacing: Duration::from_millis(100),
        jitter: Duration::from_millis(100),
    };
    let scheduler = start(store.clone(), &extractors, Some(plan)).await;
    until("the catch-up run of `never`", || {
        runs(&store, "never").len() == 1
    })
    .await;
    tokio::time::sleep(Duration::from_millis(1000)).await;
    assert!(scheduler.shutdown(Duration::from_secs(5)).await);
    assert_eq!(runs(&store, "never").len(), 1, "caught up once only");
    assert_eq!(runs(&store, "never")[0].new, 2);
    assert_eq!(never.hits("/jobs"), 1);
    assert_eq!(fresh.hits("/jobs"), 0, "a fresh source was caught up");
    assert_eq!(runs(&store, "fresh").len(), 1);
    // Without catch-up, a never-run source waits for its schedule.
    let (dir2, store2) = temp_store();
    let extractors2 = dir2.path().join("extractors");
    std::fs::create_dir(&extractors2).unwrap();
    source_file(&extractors2, "never", "0 20 4 * * *", &never.base);
    let off = start(store2.clone(), &extractors2, None).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert!(off.shutdown(Duration::from_secs(5)).await);
    assert!(runs(&store2, "never").is_empty());
}

/// A POST to `path` with `authorization`, through the routes.
async fn post(state: &AppState, path: &str, authorization: Option<&str>) -> Response<Bytes> {
    let mut request = warp::test::request().method("POST").path(path);
    if let Some(value) = authorization {
        request = request.header("authorization", value);
    }
    request.reply(&api::routes(state.clone())).await
}

fn body(r: &Response<Bytes>) -> Value {
    serde_json::from_slice(r.body()).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_trigger_needs_the_token_and_refuses_a_second_run() {
    let slow = FaultServer::start(vec![(
        "/jobs",
        vec![slow_page(Duration::from_millis(1500))],
    )])
    .await;
    let (dir, store) = temp_store();
    let extractors = dir.path().join("extractors");
    std::fs::create_dir(&extractors).unwrap();
    source_file(&extractors, "slow", "0 20 4 * * *", &slow.base);
    let scheduler = start(store.clone(), &extractors, None).await;
    let open = IsolatedApp::state(store.clone()).with_collection(scheduler.collection());
    let path = "/api/v1/sources/slow/run";

    // No token configured: 403, saying how to configure one.
    let r = post(&open, path, Some(&format!("Bearer {TOKEN}"))).await;
    assert_eq!(r.status(), 403);
    assert_eq!(body(&r)["error"]["code"], "admin_disabled");
    assert!(body(&r)["error"]["message"]
        .as_str()
        .unwrap()
        .contains("SKILLTRACK_ADMIN_TOKEN"));

    let state = open.with_admin_token(AdminToken::new(TOKEN));
    // Missing, wrong or of another scheme: 401 with the challenge.
    for auth in [None, Some("Bearer wrong"), Some("Basic dGVzdA==")] {
        let r = post(&state, path, auth).await;
        assert_eq!(r.status(), 401, "{auth:?}");
        assert_eq!(
            r.headers()["www-authenticate"],
            "Bearer realm=\"skilltrack admin\""
        );
        assert!(!String::from_utf8_lossy(r.body()).contains(TOKEN));
    }
    assert_eq!(slow.hits("/jobs"), 0, "a refused request started a run");

    // The right token: 202 with the run id; again while it runs: 409.
    let r = post(&state, path, Some(&format!("Bearer {TOKEN}"))).await;
    assert_eq!(r.status(), 202, "{:?}", r.body());
    let accepted = body(&r);
    assert_eq!(accepted["source"], "slow");
    let run_id = accepted["run_id"].as_str().unwrap().to_owned();
    let r = post(&state, path, Some(&format!("bearer {TOKEN}"))).await;
    assert_eq!(r.status(), 409);
    assert_eq!(body(&r)["error"]["code"], "already_running");
    // The report is stored under the run id.
    until("the triggered run's report", || {
        runs(&store, "slow").len() == 1
    })
    .await;
    assert_eq!(runs(&store, "slow")[0].started_at, run_id);
    assert_eq!(runs(&store, "slow")[0].new, 2);
    assert_eq!(slow.hits("/jobs"), 1);

    // Unknown source: 404 with a suggestion.
    let r = post(
        &state,
        "/api/v1/sources/slwo/run",
        Some(&format!("Bearer {TOKEN}")),
    )
    .await;
    assert_eq!(r.status(), 404);
    let message = body(&r)["error"]["message"].as_str().unwrap().to_owned();
    assert!(message.contains("Did you mean \"slow\"?"), "{message}");

    // Other methods: 405 naming POST; other routes stay GET-only.
    let r = warp::test::request()
        .path(path)
        .reply(&api::routes(state.clone()))
        .await;
    assert_eq!(r.status(), 405);
    assert_eq!(r.headers()["allow"], "POST");
    let r = post(&state, "/api/v1/skills", Some(&format!("Bearer {TOKEN}"))).await;
    assert_eq!(r.status(), 405);
    assert_eq!(r.headers()["allow"], "GET, HEAD");
    assert!(scheduler.shutdown(Duration::from_secs(5)).await);

    // A server that collects nothing says so.
    let idle = IsolatedApp::state(store.clone()).with_admin_token(AdminToken::new(TOKEN));
    let r = post(&idle, path, Some(&format!("Bearer {TOKEN}"))).await;
    assert_eq!(r.status(), 503);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reload_refuses_a_broken_set_and_applies_a_valid_one() {
    let server = FaultServer::start(vec![(
        "/jobs",
        vec![Reply::ok("application/json", json_page(&[1], None))],
    )])
    .await;
    let (dir, store) = temp_store();
    let extractors = dir.path().join("extractors");
    std::fs::create_dir(&extractors).unwrap();
    source_file(&extractors, "a", "0 20 4 * * *", &server.base);
    source_file(&extractors, "b", "0 20 4 * * *", &server.base);
    let scheduler = start(store.clone(), &extractors, None).await;
    let collection = scheduler.collection();
    let state = IsolatedApp::state(store.clone())
        .with_collection(collection.clone())
        .with_admin_token(AdminToken::new(TOKEN));
    let auth = format!("Bearer {TOKEN}");
    let ids = |c: &Arc<dyn Collection>| -> Vec<String> {
        c.sources().into_iter().map(|s| s.id).collect()
    };
    assert_eq!(ids(&collection), ["a", "b"]);
    let next = collection.sources()[0]
        .next_run
        .expect("a scheduled source has a next run");
    assert_eq!((next.hour(), next.minute(), next.second()), (4, 20, 0));

    // Two broken files (and a new valid one): refused, every problem
    // listed, the running set kept.
    std::fs::write(
        extractors.join("typo.toml"),
        "kind = \"json\"\nnmae = \"typo\"\n",
    )
    .unwrap();
    std::fs::write(extractors.join("b.toml"), "schedule = \"every day\"\n").unwrap();
    source_file(&extractors, "c", "0 20 4 * * *", &server.base);
    let r = post(&state, "/api/v1/reload", Some(&auth)).await;
    assert_eq!(r.status(), 422, "{:?}", r.body());
    let refused = body(&r);
    assert_eq!(refused["error"]["code"], "invalid_sources");
    let problems: Vec<&str> = refused["error"]["problems"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p.as_str().unwrap())
        .collect();
    assert!(
        problems.iter().any(|p| p.contains("typo.toml")),
        "{problems:?}"
    );
    assert!(
        problems.iter().any(|p| p.contains("b.toml")),
        "{problems:?}"
    );
    assert_eq!(ids(&collection), ["a", "b"], "the running set changed");

    // Fixed: a new source added, one changed, one removed.
    std::fs::remove_file(extractors.join("typo.toml")).unwrap();
    std::fs::remove_file(extractors.join("a.toml")).unwrap();
    source_file(&extractors, "b", "0 30 5 * * *", &server.base);
    let r = post(&state, "/api/v1/reload", Some(&auth)).await;
    assert_eq!(r.status(), 200, "{:?}", r.body());
    assert_eq!(
        body(&r),
        serde_json::json!({"sources": 2, "added": ["c"], "removed": ["a"], "changed": ["b"]})
    );
    assert_eq!(ids(&collection), ["b", "c"]);
    let b = &collection.sources()[0];
    assert_eq!(b.schedule.as_deref(), Some("0 30 5 * * *"));
    // The new source runs on demand.
    assert_eq!(collection.trigger("c").unwrap().source, "c");
    until("the new source's run", || runs(&store, "c").len() == 1).await;
    // Reload needs the token too.
    let r = post(&state, "/api/v1/reload", Some("Bearer nope")).await;
    assert_eq!(r.status(), 401);
    assert!(scheduler.shutdown(Duration::from_secs(5)).await);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reload_moves_the_cron_jobs_with_the_set() {
    let old = FaultServer::start(vec![(
        "/jobs",
        vec![Reply::ok("application/json", json_page(&[1], None))],
    )])
    .await;
    let new = FaultServer::start(vec![(
        "/jobs",
        vec![Reply::ok("application/json", json_page(&[2], None))],
    )])
    .await;
    let (dir, store) = temp_store();
    let extractors = dir.path().join("extractors");
    std::fs::create_dir(&extractors).unwrap();
    source_file(&extractors, "old", "* * * * * *", &old.base);
    let scheduler = start(store.clone(), &extractors, None).await;
    until("the old source to fire", || runs(&store, "old").len() == 1).await;

    // The old source removed, a new one every second added.
    std::fs::remove_file(extractors.join("old.toml")).unwrap();
    source_file(&extractors, "new", "* * * * * *", &new.base);
    let outcome = scheduler.reload().unwrap();
    assert_eq!(
        (outcome.added, outcome.removed),
        (vec!["new".to_owned()], vec!["old".to_owned()])
    );
    until("the new source to fire", || runs(&store, "new").len() == 1).await;
    let hits = old.hits("/jobs");
    tokio::time::sleep(Duration::from_millis(2200)).await;
    assert_eq!(
        old.hits("/jobs"),
        hits,
        "the removed source's job still fires"
    );
    assert!(
        runs(&store, "new").len() >= 2,
        "the new source's job does not fire"
    );
    assert!(scheduler.shutdown(Duration::from_secs(5)).await);
}
