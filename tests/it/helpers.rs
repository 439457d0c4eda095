//! Shared test fixtures: a fixture HTTP server, the app on a random port,
//! temporary stores.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock};

use skilltrack::api::{self, AppState};
use skilltrack::domain::PostingId;
use skilltrack::fetch::{FetchConfig, Fetcher};
use skilltrack::normalize::Normalizer;
use skilltrack::pipeline::Context;
use skilltrack::shutdown::Shutdown;
use skilltrack::store::{PostingStore, SledStore, Store, StoreError};
use warp::http::{Response, StatusCode};
use warp::hyper::body::Bytes;
use warp::Filter;

/// Output bytes of a command as text.
pub fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// Output bytes of a command as JSON Lines, one value per line.
pub fn json_lines(bytes: &[u8]) -> Vec<serde_json::Value> {
    text(bytes)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect()
}

/// Path of a file under `tests/fixtures/`.
pub fn fixture(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(rel)
}

/// The repository's `extractors/` directory.
pub fn extractors_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("extractors")
}

/// A new extractors directory in `dir` with copies of the bundled sources
/// `ids`, a broken definition (`broken.toml`: a misspelt key, required keys
/// missing) and a stray file that is not TOML (`notes.toml`).
pub fn extractors_with_broken_files(dir: &Path, ids: &[&str]) -> PathBuf {
    let extractors = dir.join("extractors");
    std::fs::create_dir(&extractors).unwrap();
    for id in ids {
        let file = format!("{id}.toml");
        std::fs::copy(extractors_dir().join(&file), extractors.join(&file)).unwrap();
    }
    std::fs::write(
        extractors.join("broken.toml"),
        "kind = \"json\"\nnmae = \"typo\"\n",
    )
    .unwrap();
    std::fs::write(extractors.join("notes.toml"), "these are my notes [\n").unwrap();
    extractors
}

/// The normalizer, built once per test binary (the taxonomy automaton is not free).
pub fn normalizer() -> Arc<Normalizer> {
    static N: OnceLock<Arc<Normalizer>> = OnceLock::new();
    N.get_or_init(|| Arc::new(Normalizer::bundled().expect("bundled data loads")))
        .clone()
}

/// A store in a fresh temporary directory (kept alive by the returned guard).
pub fn temp_store() -> (tempfile::TempDir, Arc<SledStore>) {
    let dir = tempfile::tempdir().expect("temp dir");
    let store = Arc::new(SledStore::open(&dir.path().join("db"), 16).expect("store opens"));
    (dir, store)
}

/// A pipeline context on `store` with a fast, test-friendly fetcher.
pub fn context(store: Arc<SledStore>) -> Context {
    Context {
        store,
        normalizer: normalizer(),
        fetcher: Fetcher::new(FetchConfig {
            default_host_interval: std::time::Duration::from_millis(10),
            backoff: std::time::Duration::from_millis(20),
            // Fixture servers are on loopback: no politeness wait (the fetch
            // tests, with their own configuration, check the waits).
            loopback_interval: Some(std::time::Duration::ZERO),
            ..FetchConfig::default()
        })
        .expect("client builds"),
    }
}

/// A local HTTP server answering fixture files for exact `path?query` keys
/// (any method), and logging every request it receives. The content type
/// follows the file's extension; a sidecar `FILE.headers` adds a status line
/// (`HTTP 206`) and response headers (`Content-Range: offres 0-149/152`).
pub struct FixtureServer {
    /// `http://127.0.0.1:PORT`
    pub base: String,
    /// Every request received, as `path?query`.
    pub log: Arc<Mutex<Vec<String>>>,
    shutdown: Shutdown,
}

/// Serves `route` on 127.0.0.1 at a free port until the returned shutdown
/// is triggered; returns the server's base URL (`http://127.0.0.1:PORT`).
pub async fn serve_on_loopback<F>(route: F) -> (String, Shutdown)
where
    F: Filter + Clone + Send + Sync + 'static,
    F::Extract: warp::Reply,
{
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let shutdown = Shutdown::new();
    tokio::spawn(
        warp::serve(route)
            .incoming(listener)
            .graceful(shutdown.wait())
            .run(),
    );
    (format!("http://{addr}"), shutdown)
}

impl FixtureServer {
    /// Serves `routes` (`"/api/x?page=2"` → file under tests/fixtures).
    pub async fn start(routes: &[(&str, &str)]) -> FixtureServer {
        let table: Arc<HashMap<String, PathBuf>> = Arc::new(
            routes
                .iter()
                .map(|(k, f)| ((*k).to_owned(), fixture(f)))
                .collect(),
        );
        let log = Arc::new(Mutex::new(Vec::new()));
        let log2 = log.clone();
        let route = warp::path::full()
            .and(warp::query::raw().or(warp::any().map(String::new)).unify())
            .map(move |path: warp::path::FullPath, query: String| {
                let key = if query.is_empty() {
                    path.as_str().to_owned()
                } else {
                    format!("{}?{}", path.as_str(), query)
                };
                log2.lock().unwrap().push(key.clone());
                let file = table.get(&key);
                let mut r = match file.map(std::fs::read) {
                    Some(Ok(bytes)) => Response::new(Bytes::from(bytes)),
                    _ => {
                        let mut r = Response::new(Bytes::from_static(b"not found"));
                        *r.status_mut() = StatusCode::NOT_FOUND;
                        r
                    }
                };
                let content_type = match file.and_then(|f| f.extension()).and_then(|e| e.to_str()) {
                    Some("html") => "text/html; charset=utf-8",
                    Some("xml") | Some("rss") => "application/xml",
                    _ => "application/json",
                };
                r.headers_mut().insert(
                    "content-type",
                    warp::http::HeaderValue::from_static(content_type),
                );
                // A sidecar `FILE.headers` gives a status line (`HTTP 206`) and headers.
                let sidecar = file.map(|f| {
                    f.with_extension(format!(
                        "{}.headers",
                        f.extension().and_then(|e| e.to_str()).unwrap_or("")
                    ))
                });
                if let Some(Ok(extra)) = sidecar.map(std::fs::read_to_string) {
                    for line in extra.lines() {
                        if let Some(code) = line.strip_prefix("HTTP ") {
                            *r.status_mut() =
                                StatusCode::from_u16(code.trim().parse().unwrap()).unwrap();
                        } else if let Some((name, value)) = line.split_once(':') {
                            r.headers_mut().insert(
                                warp::http::HeaderName::from_bytes(name.trim().as_bytes()).unwrap(),
                                warp::http::HeaderValue::from_str(value.trim()).unwrap(),
                            );
                        }
                    }
                }
                r
            });
        let (base, shutdown) = serve_on_loopback(route).await;
        FixtureServer {
            base,
            log,
            shutdown,
        }
    }

    /// Requests received so far.
    pub fn requests(&self) -> Vec<String> {
        self.log.lock().unwrap().clone()
    }

    /// Requests received so far, robots.txt checks left out (the fetch tests
    /// cover those).
    pub fn page_requests(&self) -> Vec<String> {
        self.requests()
            .into_iter()
            .filter(|r| r != "/robots.txt")
            .collect()
    }
}

impl Drop for FixtureServer {
    fn drop(&mut self) {
        self.shutdown.trigger();
    }
}

/// The real API on 127.0.0.1:0 over `store`.
pub struct TestApp {
    /// Where it listens.
    pub addr: SocketAddr,
    shutdown: Shutdown,
    handle: tokio::task::JoinHandle<()>,
}

impl TestApp {
    /// Starts the API.
    pub async fn spawn(store: Arc<SledStore>) -> TestApp {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let shutdown = Shutdown::new();
        let state = AppState::new(store, normalizer());
        let handle = tokio::spawn(api::serve(listener, state, shutdown.wait()));
        TestApp {
            addr,
            shutdown,
            handle,
        }
    }

    /// GET a path; status and body.
    pub async fn get(&self, path_and_query: &str) -> (u16, String) {
        let r = reqwest::get(format!("http://{}{}", self.addr, path_and_query))
            .await
            .expect("request");
        (r.status().as_u16(), r.text().await.expect("body"))
    }

    /// Stops the server and waits for it.
    pub async fn stop(self) {
        self.shutdown.trigger();
        tokio::time::timeout(std::time::Duration::from_secs(5), self.handle)
            .await
            .expect("server stops within 5 s")
            .expect("server task");
    }
}

/// A `json` source for tests: pages of [`json_page`] from `base_url`
/// (replace it with a test server's), starting at `/jobs`.
pub const JSON_SOURCE: &str = r#"
name = "Test source"
kind = "json"
base_url = "https://jobs.example.org"
start = ["/jobs"]
rate = "50/s"
max_pages = 5

[paginate]
kind = "next"
path = "next"

[items]
path = "data"

[fields]
id = "id"
title = "title"
company = "company"
location = "location"
posted_at = "created"
tags = "tags[*]"
"#;

/// A page of [`JSON_SOURCE`]: one posting per id (a Rust developer in Paris
/// at company `i`, tagged Terraform, posted in early November 2026), and the
/// link to `next`.
pub fn json_page(ids: &[u32], next: Option<&str>) -> String {
    let items: Vec<String> = ids
        .iter()
        .map(|i| {
            format!(
                r#"{{"id": "{i}", "title": "Développeur Rust {i}", "company": "Société {i}", "location": "Paris", "created": "2026-11-0{}", "tags": ["Terraform"]}}"#,
                i % 9 + 1
            )
        })
        .collect();
    let next = next.map_or("null".to_owned(), |n| format!("\"{n}\""));
    format!(r#"{{"data": [{}], "next": {next}}}"#, items.join(","))
}

/// The fixture routes of the Arbeitnow sample (two pages).
pub const ARBEITNOW: &[(&str, &str)] = &[
    ("/api/job-board-api", "arbeitnow/page1.json"),
    ("/api/job-board-api?page=2", "arbeitnow/page2.json"),
];

/// Every stored posting's id and text, sorted by id.
pub fn texts_by_id(store: &dyn PostingStore) -> Result<Vec<(PostingId, String)>, StoreError> {
    let mut texts = Vec::new();
    for p in store.postings() {
        let p = p?;
        texts.push((p.id, p.text));
    }
    texts.sort();
    Ok(texts)
}

/// The real API on a runtime of its own (two workers, on its own thread), so
/// that a request that blocks or loops there cannot stall the test's own
/// timeouts, which detect it.
pub struct IsolatedApp {
    /// Where it listens.
    pub addr: SocketAddr,
    shutdown: Shutdown,
    stopped: Option<tokio::sync::oneshot::Receiver<()>>,
}

impl IsolatedApp {
    /// Starts the API over `state` with `limits`.
    pub fn spawn(state: AppState, limits: api::ServerLimits) -> IsolatedApp {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.set_nonblocking(true).unwrap();
        let addr = listener.local_addr().unwrap();
        let shutdown = Shutdown::new();
        let wait = shutdown.wait();
        let (done, stopped) = tokio::sync::oneshot::channel();
        std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .enable_all()
                .build()
                .unwrap();
            rt.block_on(async move {
                let listener = tokio::net::TcpListener::from_std(listener).unwrap();
                api::serve_with(listener, state, limits, wait).await;
            });
            let _ = done.send(());
            // Blocking tasks a test left stuck must not hold this thread.
            rt.shutdown_background();
        });
        IsolatedApp {
            addr,
            shutdown,
            stopped: Some(stopped),
        }
    }

    /// The state over `store` with the bundled taxonomy and geography.
    pub fn state(store: Arc<dyn Store>) -> AppState {
        AppState::new(store, normalizer())
    }

    /// `http://ADDR` + `path`.
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{}", self.addr, path)
    }

    /// Stops the server and waits until `serve` returned (a generous
    /// timeout detects a shutdown that hangs).
    pub async fn stop(mut self) {
        self.shutdown.trigger();
        let stopped = self.stopped.take().expect("stopped once");
        tokio::time::timeout(std::time::Duration::from_secs(30), stopped)
            .await
            .expect("the server stops within 30 s of the shutdown signal")
            .expect("server thread");
    }
}

impl Drop for IsolatedApp {
    fn drop(&mut self) {
        self.shutdown.trigger();
    }
}

/// Runs the `skilltrack` binary with `args` (warnings only, no
/// configuration file or `min_support` from the environment); fails the
/// test if it does not succeed.
pub fn skilltrack_ok(args: &[&str]) -> std::process::Output {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_skilltrack"))
        .args(args)
        .env("RUST_LOG", "warn")
        .env_remove("SKILLTRACK_CONFIG")
        .env_remove("SKILLTRACK_MIN_SUPPORT")
        .output()
        .expect("binary runs");
    assert!(
        out.status.success(),
        "skilltrack {args:?}: {}",
        text(&out.stderr)
    );
    out
}

/// GET `path` from `routes` through `warp::test`: the status, and the body
/// as JSON (`Null` when it is not JSON).
pub async fn get_json(
    routes: &(impl Filter<Extract = (impl warp::Reply,), Error = std::convert::Infallible>
          + Clone
          + 'static),
    path: &str,
) -> (u16, serde_json::Value) {
    let r = warp::test::request().path(path).reply(routes).await;
    let body = serde_json::from_slice(r.body()).unwrap_or(serde_json::Value::Null);
    (r.status().as_u16(), body)
}
