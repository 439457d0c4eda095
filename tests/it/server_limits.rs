//! One request must not take the server down: store reads off the async
//! workers, a header-read timeout, a connection cap, a bounded shutdown.
//! Timeouts here only detect a hang (generous), except where a test shows
//! that something does *not* happen yet.

use std::io::Cursor;
use std::sync::{Arc, Condvar, Mutex};
use std::time::Duration;

use skilltrack::api::ServerLimits;
use skilltrack::domain::RunReport;
use skilltrack::domain::Validators;
use skilltrack::domain::{Day, GeoCode, PostingId, SkillId, SourceId};
use skilltrack::normalize::Posting;
use skilltrack::pipeline::import_lines;
use skilltrack::store::{
    CountRules, CountStore, IngestOutcome, MetaStore, Metric, PageCache, PostingStore, Postings,
    RunLog, SledStore, StoreError,
};
use skilltrack::trends::{trends, Interval, TrendQuery};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::mpsc;

use crate::helpers::{normalizer, temp_store, IsolatedApp};

/// Long enough to mean "hung" rather than "slow".
const HANG: Duration = Duration::from_secs(30);

/// A gate store reads wait behind until the test opens it (or drops it).
#[derive(Default)]
struct Gate {
    open: Mutex<bool>,
    opened: Condvar,
}

/// Opens the gate when dropped, so a failing test leaves no thread stuck.
struct Release(Arc<Gate>);

impl Drop for Release {
    fn drop(&mut self) {
        *self.0.open.lock().unwrap() = true;
        self.0.opened.notify_all();
    }
}

/// A real store whose `daily` reads report that they started, then wait
/// for the gate.
struct GatedStore {
    inner: Arc<SledStore>,
    gate: Arc<Gate>,
    entered: mpsc::UnboundedSender<()>,
}

impl PostingStore for GatedStore {
    fn ingest(&self, postings: &[Posting]) -> Result<IngestOutcome, StoreError> {
        self.inner.ingest(postings)
    }
    fn posting(&self, id: PostingId) -> Result<Option<Posting>, StoreError> {
        self.inner.posting(id)
    }
    fn group(&self, fingerprint: u64) -> Result<Vec<Posting>, StoreError> {
        self.inner.group(fingerprint)
    }
    fn postings(&self) -> Postings<'_> {
        self.inner.postings()
    }
    fn rebuild(
        &self,
        transform: Option<&dyn Fn(Posting) -> Posting>,
        progress: &mut dyn FnMut(u64),
    ) -> Result<u64, StoreError> {
        self.inner.rebuild(transform, progress)
    }
    fn put_postings(&self, postings: &[Posting]) -> Result<(), StoreError> {
        self.inner.put_postings(postings)
    }
    fn mark_seen(&self, ids: &[PostingId], day: Day) -> Result<u64, StoreError> {
        self.inner.mark_seen(ids, day)
    }
    fn mark_texts_lost(&self, ids: &[PostingId]) -> Result<(), StoreError> {
        self.inner.mark_texts_lost(ids)
    }
    fn posting_count(&self) -> Result<u64, StoreError> {
        self.inner.posting_count()
    }
    fn prepare(&self) -> Result<(), StoreError> {
        self.inner.prepare()
    }
    fn cell_page(
        &self,
        cell: &skilltrack::store::Cell,
        after: Option<skilltrack::store::CellKey>,
        limit: usize,
    ) -> Result<skilltrack::store::CellPage, StoreError> {
        self.inner.cell_page(cell, after, limit)
    }
    fn replace_counts(&self, counts: &skilltrack::store::CountDelta) -> Result<(), StoreError> {
        self.inner.replace_counts(counts)
    }
}

impl CountStore for GatedStore {
    fn daily(
        &self,
        skill: &SkillId,
        geo: &GeoCode,
        metric: Metric,
        from: Day,
        to: Day,
    ) -> Result<Vec<(Day, i64)>, StoreError> {
        let _ = self.entered.send(());
        let mut open = self.gate.open.lock().unwrap();
        while !*open {
            open = self.gate.opened.wait(open).unwrap();
        }
        drop(open);
        self.inner.daily(skill, geo, metric, from, to)
    }
    fn rules(&self) -> CountRules {
        self.inner.rules()
    }
    fn generation(&self) -> u64 {
        self.inner.generation()
    }
    fn flush(&self) -> Result<(), StoreError> {
        self.inner.flush()
    }
}

impl RunLog for GatedStore {
    fn record_run(&self, report: &RunReport) -> Result<(), StoreError> {
        self.inner.record_run(report)
    }
    fn runs(&self, source: &SourceId, n: usize) -> Result<Vec<RunReport>, StoreError> {
        self.inner.runs(source, n)
    }
    fn run_sources(&self) -> Result<Vec<SourceId>, StoreError> {
        self.inner.run_sources()
    }
}

impl PageCache for GatedStore {
    fn page_validators(&self, url: &str) -> Result<Option<Validators>, StoreError> {
        self.inner.page_validators(url)
    }
    fn set_page_validators(&self, url: &str, validators: &Validators) -> Result<(), StoreError> {
        self.inner.set_page_validators(url, validators)
    }
}

impl MetaStore for GatedStore {
    fn data_fingerprint(&self) -> Result<Option<u64>, StoreError> {
        self.inner.data_fingerprint()
    }
    fn set_data_fingerprint(&self, fingerprint: u64) -> Result<(), StoreError> {
        self.inner.set_data_fingerprint(fingerprint)
    }
    fn counts_snapshot(&self) -> Result<Option<String>, StoreError> {
        self.inner.counts_snapshot()
    }
    fn set_counts_snapshot(&self, id: &str) -> Result<(), StoreError> {
        self.inner.set_counts_snapshot(id)
    }
}

/// A store with a few postings, and the app over it behind a closed gate.
fn gated_app(
    limits: ServerLimits,
) -> (
    tempfile::TempDir,
    Arc<SledStore>,
    IsolatedApp,
    Release,
    mpsc::UnboundedReceiver<()>,
) {
    let (dir, store) = temp_store();
    let lines: Vec<String> = (0..40)
        .map(|i| {
            let title = ["Développeur Python", "Ingénieur Rust"][i % 2];
            serde_json::json!({
                "id": i.to_string(), "title": title,
                "company": format!("Company {i}"), "location": "Lyon",
                "posted_at": format!("2025-0{}-1{}", 1 + i % 6, i % 10),
            })
            .to_string()
        })
        .collect();
    import_lines(
        store.as_ref(),
        &normalizer(),
        Cursor::new(lines.join("\n")),
        &SourceId::parse("t").unwrap(),
        |_| {},
    )
    .unwrap();
    let gate = Arc::new(Gate::default());
    let (entered, entered_rx) = mpsc::unbounded_channel();
    let gated = GatedStore {
        inner: store.clone(),
        gate: gate.clone(),
        entered,
    };
    let app = IsolatedApp::spawn(IsolatedApp::state(Arc::new(gated)), limits);
    (dir, store, app, Release(gate), entered_rx)
}

fn client() -> reqwest::Client {
    reqwest::Client::builder().timeout(HANG).build().unwrap()
}

/// Regression: trends handlers ran inside warp's synchronous filters on the
/// async workers, so a few slow store reads stalled every other request.
#[tokio::test]
async fn slow_store_reads_do_not_stall_other_requests() {
    let (_dir, store, app, release, mut entered) = gated_app(ServerLimits::default());
    // More blocked requests than the server's two async workers.
    const BLOCKED: usize = 4;
    let client = client();
    let path =
        "/api/v1/trends?skills=python,rust&geo=FR&from=2025-01-01&to=2025-06-30&interval=month";
    let requests: Vec<_> = (0..BLOCKED)
        .map(|_| {
            let request = client.get(app.url(path)).send();
            tokio::spawn(async move {
                let r = request
                    .await
                    .expect("trends answer once the store reads go on");
                (r.status().as_u16(), r.text().await.unwrap())
            })
        })
        .collect();
    for n in 0..BLOCKED {
        tokio::time::timeout(HANG, entered.recv())
            .await
            .unwrap_or_else(|_| {
                panic!("only {n} of {BLOCKED} trends requests reached the store: the others wait behind blocked async workers")
            });
    }
    // Every store read is blocked; the server still answers.
    for other in ["/healthz", "/api/v1/skills"] {
        let r = tokio::time::timeout(HANG, client.get(app.url(other)).send())
            .await
            .unwrap_or_else(|_| panic!("{other} stalled behind blocked store reads"))
            .unwrap();
        assert_eq!(r.status(), 200, "{other}");
    }
    drop(release);
    let q = TrendQuery {
        skills: vec![
            SkillId::parse("python").unwrap(),
            SkillId::parse("rust").unwrap(),
        ],
        geos: vec![GeoCode::parse("FR").unwrap()],
        from: "2025-01-01".parse().unwrap(),
        to: "2025-06-30".parse().unwrap(),
        interval: Interval::Month,
        metric: Metric::New,
    };
    let expected: Vec<Vec<(String, i64, i64)>> = trends(store.as_ref(), &q)
        .unwrap()
        .iter()
        .map(|s| {
            s.points
                .iter()
                .map(|p| (p.date.to_string(), p.count, p.total))
                .collect()
        })
        .collect();
    assert!(expected[0].iter().any(|p| p.1 > 0) && expected[1].iter().any(|p| p.1 > 0));
    for request in requests {
        let (status, body) = request.await.unwrap();
        assert_eq!(status, 200, "{body}");
        let v: serde_json::Value = serde_json::from_str(&body).unwrap();
        let got: Vec<Vec<(String, i64, i64)>> = v["series"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| {
                s["points"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|p| {
                        (
                            p["date"].as_str().unwrap().to_owned(),
                            p["count"].as_i64().unwrap(),
                            p["total"].as_i64().unwrap(),
                        )
                    })
                    .collect()
            })
            .collect();
        assert_eq!(got, expected);
    }
    app.stop().await;
}

/// A request stuck in the store does not hold the shutdown forever: after
/// the grace its connection is closed and `serve` returns.
#[tokio::test]
async fn shutdown_is_bounded_with_a_request_stuck_in_the_store() {
    let limits = ServerLimits {
        shutdown_grace: Duration::from_millis(200),
        ..ServerLimits::default()
    };
    let (_dir, _store, app, release, mut entered) = gated_app(limits);
    // An idle keep-alive connection,
    let mut idle = TcpStream::connect(app.addr).await.unwrap();
    idle.write_all(b"GET /healthz HTTP/1.1\r\nHost: t\r\n\r\n")
        .await
        .unwrap();
    read_until(&mut idle, b"{\"status\":\"ok\"}").await;
    // and a request that never gets its store read.
    let stuck = tokio::spawn(client().get(app.url("/api/v1/trends?skills=python")).send());
    tokio::time::timeout(HANG, entered.recv())
        .await
        .expect("the request reaches the store");
    app.stop().await;
    let answer = tokio::time::timeout(HANG, stuck).await.unwrap().unwrap();
    assert!(
        answer.is_err(),
        "the stuck request's connection was closed: {answer:?}"
    );
    drop(release);
}

/// Reads until `needle` arrived (or the peer closed); what was read.
async fn read_until(s: &mut TcpStream, needle: &[u8]) -> Vec<u8> {
    let mut got = Vec::new();
    let mut buf = [0u8; 4096];
    while !got.windows(needle.len()).any(|w| w == needle) {
        let n = tokio::time::timeout(HANG, s.read(&mut buf))
            .await
            .expect("an answer")
            .unwrap();
        if n == 0 {
            break;
        }
        got.extend_from_slice(&buf[..n]);
    }
    got
}

/// Waits until the server closes `s` (a generous timeout detects that it never does).
async fn closed_by_server(s: &mut TcpStream, what: &str) {
    let mut buf = [0u8; 1024];
    loop {
        match tokio::time::timeout(HANG, s.read(&mut buf)).await {
            Err(_) => panic!("{what}: the server kept the connection open"),
            Ok(Ok(0)) | Ok(Err(_)) => return,
            Ok(Ok(_)) => {}
        }
    }
}

/// Regression (slowloris): a client that sends part of a request head and
/// stalls held its connection and file descriptor forever.
#[tokio::test]
async fn a_stalled_request_head_and_an_idle_connection_are_closed() {
    let (_dir, store) = temp_store();
    let limits = ServerLimits {
        header_timeout: Duration::from_millis(300),
        ..ServerLimits::default()
    };
    let app = IsolatedApp::spawn(IsolatedApp::state(store), limits);
    let mut slow = TcpStream::connect(app.addr).await.unwrap();
    slow.write_all(b"GET /healthz HTTP/1.1\r\nHost: t\r\n")
        .await
        .unwrap();
    closed_by_server(&mut slow, "a partial request head").await;

    // Keep-alive: after its answer, a connection that sends nothing more is closed too.
    let mut idle = TcpStream::connect(app.addr).await.unwrap();
    idle.write_all(b"GET /healthz HTTP/1.1\r\nHost: t\r\n\r\n")
        .await
        .unwrap();
    let answer = read_until(&mut idle, b"{\"status\":\"ok\"}").await;
    assert!(
        answer.starts_with(b"HTTP/1.1 200"),
        "{}",
        String::from_utf8_lossy(&answer)
    );
    closed_by_server(&mut idle, "an idle keep-alive connection").await;
    app.stop().await;
}

/// Connections beyond the cap are not served until one closes.
#[tokio::test]
async fn connections_beyond_the_cap_wait_for_a_free_slot() {
    let (_dir, store) = temp_store();
    let limits = ServerLimits {
        max_connections: 2,
        header_timeout: Duration::from_secs(60),
        ..ServerLimits::default()
    };
    let app = IsolatedApp::spawn(IsolatedApp::state(store), limits);
    let mut held = Vec::new();
    for _ in 0..2 {
        let mut s = TcpStream::connect(app.addr).await.unwrap();
        s.write_all(b"GET /healthz HTTP/1.1\r\nHost: t\r\n\r\n")
            .await
            .unwrap();
        let answer = read_until(&mut s, b"{\"status\":\"ok\"}").await;
        assert!(answer.starts_with(b"HTTP/1.1 200"));
        held.push(s);
    }
    // The kernel completes the handshake; the server does not take it up.
    let mut third = TcpStream::connect(app.addr).await.unwrap();
    third
        .write_all(b"GET /healthz HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n")
        .await
        .unwrap();
    let mut buf = [0u8; 64];
    let early = tokio::time::timeout(Duration::from_millis(500), third.read(&mut buf)).await;
    assert!(
        early.is_err(),
        "a third connection was served while two were open: {early:?}"
    );
    drop(held.pop());
    let answer = read_until(&mut third, b"{\"status\":\"ok\"}").await;
    assert!(
        answer.starts_with(b"HTTP/1.1 200"),
        "{}",
        String::from_utf8_lossy(&answer)
    );
    app.stop().await;
}
