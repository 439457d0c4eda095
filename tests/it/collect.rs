//! A source run end to end: fixture API → fetch → extract → normalize → store
//! → trends API → CSV.

use skilltrack::domain::{Day, GeoCode, SkillId};
use skilltrack::extract::load_sources;
use skilltrack::pipeline::{run_source, RunOptions};
use skilltrack::store::{CountStore, Metric, RunLog};

use crate::helpers::{context, extractors_dir, temp_store, FixtureServer, TestApp, ARBEITNOW};

fn day(s: &str) -> Day {
    s.parse().unwrap()
}

fn count(store: &dyn CountStore, skill: &str, geo: &str, d: &str) -> i64 {
    store
        .daily(
            &SkillId::parse(skill).unwrap(),
            &GeoCode::parse(geo).unwrap(),
            Metric::New,
            day(d),
            day(d),
        )
        .unwrap()
        .first()
        .map_or(0, |(_, v)| *v)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn arbeitnow_run_counts_serves_and_exports() {
    let server = FixtureServer::start(ARBEITNOW).await;
    let (_dir, store) = temp_store();
    let ctx = context(store.clone());
    let sources = load_sources(&extractors_dir()).expect("bundled sources load");
    let source = sources
        .iter()
        .find(|s| s.id.as_str() == "arbeitnow")
        .unwrap();
    let options = RunOptions {
        base_url: Some(server.base.clone()),
        ..RunOptions::default()
    };

    let report = run_source(&ctx, source, &options).await;
    assert_eq!(report.pages, 2, "{report:?}");
    assert_eq!(
        (report.items, report.new, report.rejected),
        (6, 5, 1),
        "{report:?}"
    );
    assert!(
        report.errors.iter().any(|e| e.contains("item 3: no title")),
        "{:?}",
        report.errors
    );
    assert_eq!(
        server.requests(),
        vec![
            "/robots.txt",
            "/api/job-board-api",
            "/api/job-board-api?page=2"
        ]
    );

    // All postings, by posting day (created_at), world-wide.
    assert_eq!(count(store.as_ref(), "*", "WORLD", "2026-11-02"), 2);
    assert_eq!(count(store.as_ref(), "*", "WORLD", "2026-11-03"), 2);
    assert_eq!(count(store.as_ref(), "*", "WORLD", "2026-11-04"), 1);
    // Skills: direct mentions and implications.
    assert_eq!(count(store.as_ref(), "python", "WORLD", "2026-11-02"), 1);
    assert_eq!(count(store.as_ref(), "python", "WORLD", "2026-11-03"), 1);
    assert_eq!(
        count(store.as_ref(), "kubernetes", "WORLD", "2026-11-02"),
        2
    );
    assert_eq!(count(store.as_ref(), "rust", "REMOTE", "2026-11-03"), 1);
    assert_eq!(count(store.as_ref(), "rhcsa", "FR-75", "2026-11-04"), 1);
    assert_eq!(count(store.as_ref(), "linux", "FR-IDF", "2026-11-04"), 1);
    // Places: Paris is in France, the German postings in Germany.
    assert_eq!(count(store.as_ref(), "*", "FR", "2026-11-04"), 1);
    assert_eq!(count(store.as_ref(), "*", "DE", "2026-11-02"), 2);

    // Running again changes nothing: re-seen postings are not counted twice.
    let again = run_source(&ctx, source, &options).await;
    assert_eq!((again.new, again.unchanged), (0, 5), "{again:?}");
    assert_eq!(count(store.as_ref(), "*", "WORLD", "2026-11-02"), 2);
    assert_eq!(
        count(store.as_ref(), "kubernetes", "WORLD", "2026-11-02"),
        2
    );
    assert_eq!(store.runs(&source.id, 10).unwrap().len(), 2);

    // The trends API answers from the same counts.
    let app = TestApp::spawn(store.clone()).await;
    let (status, body) = app
        .get("/api/v1/trends?skills=python,kubernetes&geo=WORLD&from=2026-11-02&to=2026-11-08&interval=week")
        .await;
    assert_eq!(status, 200, "{body}");
    let v: serde_json::Value = serde_json::from_str(&body).unwrap();
    let python = &v["series"][0];
    assert_eq!(python["skill"], "python");
    assert_eq!(python["points"][0]["date"], "2026-11-02");
    assert_eq!(python["points"][0]["count"], 2);
    assert_eq!(python["points"][0]["total"], 5);
    assert_eq!(v["series"][1]["points"][0]["count"], 2);

    let (status, csv) = app
        .get(
            "/api/v1/trends.csv?skills=python&geo=WORLD&from=2026-11-02&to=2026-11-04&interval=day",
        )
        .await;
    assert_eq!(status, 200);
    assert_eq!(
        csv,
        // 1 of 2: 0.5 ± 0.4055 (Wilson 95 %); 0 of 1: [0, 3.8415 / 4.8415].
        "date,skill,geo,metric,interval,count,total,share,low,high,low_support\n\
         2026-11-02,python,WORLD,new,day,1,2,0.500000,0.094531,0.905469,true\n\
         2026-11-03,python,WORLD,new,day,1,2,0.500000,0.094531,0.905469,true\n\
         2026-11-04,python,WORLD,new,day,0,1,0.000000,0.000000,0.793451,true\n"
    );
    app.stop().await;
}
