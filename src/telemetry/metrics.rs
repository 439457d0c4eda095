//! Operational metrics, served by `GET /metrics` in the Prometheus text
//! format (OpenMetrics 1.0, through `prometheus-client`).
//!
//! One registry for the process ([`global`]), built on first use. It lives
//! here, in a shared leaf module, because three stages record into it —
//! `fetch` (requests by host and status), `pipeline` (runs, flushes) and
//! `api` (requests by route) — and none of them may import another one for
//! it. Recording is an atomic add once the label set exists; the HTTP
//! labels are a `&'static str` route template and a status number, so a
//! request allocates nothing here.
//!
//! | series | type | labels |
//! |---|---|---|
//! | `http_requests_total` | counter | `route` (template, `other` when none matched), `status` |
//! | `http_request_duration_seconds` | histogram | `route`, `status` |
//! | `skilltrack_postings_stored` | gauge | — (read from the store at scrape time) |
//! | `skilltrack_runs_total` | counter | `source`, `outcome` (`success`, `partial`, `failure`) |
//! | `skilltrack_last_success_timestamp_seconds` | gauge | `source` |
//! | `skilltrack_fetch_requests_total` | counter | `host`, `status` (code, or `error` when no status came) |
//! | `skilltrack_store_flush_lag_seconds` | gauge | — (how long the last flush of stored pages took) |
//! | `skilltrack_source_health` | gauge | `source`, `state` (`ok`, `failing`, `drifting`, `never_ran`): 1 for the source's state, 0 for the others |
//! | `skilltrack_source_drift_alarms` | gauge | `source` (drift alarms its latest run raised) |
//! | `skilltrack_source_consecutive_failures` | gauge | `source` |
//!
//! The three `skilltrack_source_*` series are set at scrape time from the
//! stored run reports ([`Metrics::source_health`]), so they are true after
//! a restart and whichever process ran the source.

use std::sync::atomic::AtomicU64;
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::Registry;

use crate::domain::health::{Health, HealthState};

/// The content type of [`Metrics::encode`]'s output.
pub const CONTENT_TYPE: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";

/// Upper bounds of the request latency histogram, seconds (0.25 ms to 2.5 s).
const LATENCY_BUCKETS: [f64; 12] = [
    0.000_25, 0.000_5, 0.001, 0.002_5, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1.0, 2.5,
];

/// The labels of an HTTP request.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct HttpLabels {
    route: &'static str,
    status: u16,
}

/// The labels of a source run.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RunLabels {
    source: String,
    outcome: &'static str,
}

/// The label of a per-source series.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct SourceLabels {
    source: String,
}

/// The labels of a source's health state.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct HealthLabels {
    source: String,
    state: &'static str,
}

/// The labels of an outgoing fetch request.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct FetchLabels {
    host: String,
    status: String,
}

/// How a source run ended, for `skilltrack_runs_total`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RunOutcome {
    /// No error.
    Success,
    /// Errors, but some postings were read.
    Partial,
    /// Errors and nothing read.
    Failure,
}

impl RunOutcome {
    /// The label value.
    pub fn as_str(self) -> &'static str {
        match self {
            RunOutcome::Success => "success",
            RunOutcome::Partial => "partial",
            RunOutcome::Failure => "failure",
        }
    }
}

type HistogramMaker = fn() -> Histogram;

fn latency_histogram() -> Histogram {
    Histogram::new(LATENCY_BUCKETS)
}

/// The process's metrics (see the module documentation for each series).
#[derive(Debug)]
pub struct Metrics {
    registry: Registry,
    http_requests: Family<HttpLabels, Counter>,
    http_duration: Family<HttpLabels, Histogram, HistogramMaker>,
    postings_stored: Gauge,
    runs: Family<RunLabels, Counter>,
    last_success: Family<SourceLabels, Gauge<f64, AtomicU64>>,
    fetch_requests: Family<FetchLabels, Counter>,
    flush_lag: Gauge<f64, AtomicU64>,
    source_health: Family<HealthLabels, Gauge>,
    drift_alarms: Family<SourceLabels, Gauge>,
    consecutive_failures: Family<SourceLabels, Gauge>,
    /// Held while a scrape sets the postings gauge and encodes, so that two
    /// scrapes of different stores (tests) do not mix.
    scrape: Mutex<()>,
}

/// The process's registry, built on first use.
pub fn global() -> &'static Metrics {
    static METRICS: OnceLock<Metrics> = OnceLock::new();
    METRICS.get_or_init(Metrics::new)
}

impl Default for Metrics {
    fn default() -> Metrics {
        Metrics::new()
    }
}

impl Metrics {
    /// A registry with every series registered and no sample yet.
    pub fn new() -> Metrics {
        let mut registry = Registry::default();
        let http_requests = Family::<HttpLabels, Counter>::default();
        let http_duration = Family::<HttpLabels, Histogram, HistogramMaker>::new_with_constructor(
            latency_histogram as HistogramMaker,
        );
        let postings_stored = Gauge::default();
        let runs = Family::<RunLabels, Counter>::default();
        let last_success = Family::<SourceLabels, Gauge<f64, AtomicU64>>::default();
        let fetch_requests = Family::<FetchLabels, Counter>::default();
        let flush_lag = Gauge::<f64, AtomicU64>::default();
        let source_health = Family::<HealthLabels, Gauge>::default();
        let drift_alarms = Family::<SourceLabels, Gauge>::default();
        let consecutive_failures = Family::<SourceLabels, Gauge>::default();
        registry.register(
            "http_requests",
            "HTTP requests answered, by route template and status.",
            http_requests.clone(),
        );
        registry.register(
            "http_request_duration_seconds",
            "Time to produce an HTTP response's head, by route template and status.",
            http_duration.clone(),
        );
        registry.register(
            "skilltrack_postings_stored",
            "Postings in the store (read at scrape time).",
            postings_stored.clone(),
        );
        registry.register(
            "skilltrack_runs",
            "Source runs finished, by source and outcome (success, partial, failure).",
            runs.clone(),
        );
        registry.register(
            "skilltrack_last_success_timestamp_seconds",
            "Unix time at which the last run of the source without error ended.",
            last_success.clone(),
        );
        registry.register(
            "skilltrack_fetch_requests",
            "HTTP requests sent to job sites (every attempt), by host and status code (error: no status came).",
            fetch_requests.clone(),
        );
        registry.register(
            "skilltrack_store_flush_lag_seconds",
            "How long the last flush of stored postings and counts to disk took (the time they waited to be durable).",
            flush_lag.clone(),
        );
        registry.register(
            "skilltrack_source_health",
            "1 for the source's health state (ok, failing, drifting, never_ran), 0 for the others; from its stored runs.",
            source_health.clone(),
        );
        registry.register(
            "skilltrack_source_drift_alarms",
            "Drift alarms raised by the source's latest run (no postings, a completeness drop, rejected items rising).",
            drift_alarms.clone(),
        );
        registry.register(
            "skilltrack_source_consecutive_failures",
            "Failed runs of the source in a row, ending with its latest.",
            consecutive_failures.clone(),
        );
        Metrics {
            registry,
            http_requests,
            http_duration,
            postings_stored,
            runs,
            last_success,
            fetch_requests,
            flush_lag,
            source_health,
            drift_alarms,
            consecutive_failures,
            scrape: Mutex::new(()),
        }
    }

    /// Records one HTTP response: `route` is the route template (never the
    /// raw path), `elapsed` the time to its head.
    pub fn http_request(&self, route: &'static str, status: u16, elapsed: Duration) {
        let labels = HttpLabels { route, status };
        self.http_requests.get_or_create(&labels).inc();
        self.http_duration
            .get_or_create(&labels)
            .observe(elapsed.as_secs_f64());
    }

    /// Records a finished source run; a success also sets the source's
    /// last-success time to `ended`.
    pub fn run_finished(&self, source: &str, outcome: RunOutcome, ended: SystemTime) {
        self.runs
            .get_or_create(&RunLabels {
                source: source.to_owned(),
                outcome: outcome.as_str(),
            })
            .inc();
        if outcome == RunOutcome::Success {
            let seconds = ended
                .duration_since(UNIX_EPOCH)
                .map_or(0.0, |d| d.as_secs_f64());
            self.last_success
                .get_or_create(&SourceLabels {
                    source: source.to_owned(),
                })
                .set(seconds);
        }
    }

    /// Records one request sent to `host` (with its port when the URL names
    /// one): its status, or `None` when none came (connection, timeout).
    pub fn fetch_request(&self, host: &str, port: Option<u16>, status: Option<u16>) {
        let host = match port {
            Some(port) => format!("{host}:{port}"),
            None => host.to_owned(),
        };
        let status = status.map_or_else(|| "error".to_owned(), |s| s.to_string());
        self.fetch_requests
            .get_or_create(&FetchLabels { host, status })
            .inc();
    }

    /// Records how long a flush of stored postings took.
    pub fn store_flushed(&self, took: Duration) {
        self.flush_lag.set(took.as_secs_f64());
    }

    /// Sets the health series of `source`: 1 for its state and 0 for the
    /// others, its alarms and its failures in a row.
    pub fn source_health(&self, source: &str, health: &Health) {
        for state in HealthState::ALL {
            self.source_health
                .get_or_create(&HealthLabels {
                    source: source.to_owned(),
                    state: state.as_str(),
                })
                .set(i64::from(state == health.state));
        }
        let labels = SourceLabels {
            source: source.to_owned(),
        };
        let count = |n: u64| i64::try_from(n).unwrap_or(i64::MAX);
        self.drift_alarms
            .get_or_create(&labels)
            .set(count(health.alarms.len() as u64));
        self.consecutive_failures
            .get_or_create(&labels)
            .set(count(health.consecutive_failures));
    }

    /// The text exposition with `postings` as the stored postings (read
    /// from the store at scrape time).
    pub fn scrape(&self, postings: u64) -> String {
        let _one_at_a_time = self.scrape.lock().unwrap_or_else(|e| e.into_inner());
        self.postings_stored
            .set(i64::try_from(postings).unwrap_or(i64::MAX));
        self.encode()
    }

    /// The text exposition of every series.
    pub fn encode(&self) -> String {
        let mut out = String::new();
        // Writing to a String cannot fail.
        let _ = prometheus_client::encoding::text::encode(&mut out, &self.registry);
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The value of the sample line starting with `series` (name and labels).
    fn sample(text: &str, series: &str) -> Option<f64> {
        text.lines()
            .find_map(|l| l.strip_prefix(series)?.strip_prefix(' '))
            .and_then(|v| v.split(' ').next()?.parse().ok())
    }

    #[test]
    fn http_requests_are_counted_by_route_and_status_with_their_latency() {
        let m = Metrics::new();
        m.http_request("/api/v1/postings/{id}", 200, Duration::from_millis(2));
        m.http_request("/api/v1/postings/{id}", 200, Duration::from_millis(30));
        m.http_request("/api/v1/postings/{id}", 404, Duration::from_micros(100));
        let text = m.encode();
        let ok = r#"{route="/api/v1/postings/{id}",status="200"}"#;
        assert_eq!(
            sample(&text, &format!("http_requests_total{ok}")),
            Some(2.0)
        );
        assert_eq!(
            sample(
                &text,
                r#"http_requests_total{route="/api/v1/postings/{id}",status="404"}"#
            ),
            Some(1.0)
        );
        assert_eq!(
            sample(&text, &format!("http_request_duration_seconds_count{ok}")),
            Some(2.0)
        );
        // 0.002 + 0.030 = 0.032 s.
        let sum = sample(&text, &format!("http_request_duration_seconds_sum{ok}")).unwrap();
        assert!((sum - 0.032).abs() < 1e-9, "{sum}");
        // 2 ms is within the 2.5 ms bucket, 30 ms is not (it is within 50 ms).
        let le = |b: &str| {
            sample(
                &text,
                &format!(
                    r#"http_request_duration_seconds_bucket{{le="{b}",route="/api/v1/postings/{{id}}",status="200"}}"#
                ),
            )
        };
        assert_eq!(le("0.0025"), Some(1.0));
        assert_eq!(le("0.05"), Some(2.0));
        assert!(text.ends_with("# EOF\n"));
    }

    #[test]
    fn runs_fetches_postings_and_flushes_are_exposed() {
        let m = Metrics::new();
        let t = UNIX_EPOCH + Duration::from_secs(1_700_000_000);
        m.run_finished("jobs-a", RunOutcome::Success, t);
        m.run_finished("jobs-a", RunOutcome::Failure, t + Duration::from_secs(60));
        m.fetch_request("example.org", None, Some(200));
        m.fetch_request("example.org", None, Some(200));
        m.fetch_request("127.0.0.1", Some(8080), None);
        m.store_flushed(Duration::from_millis(250));
        let text = m.scrape(42);
        let has = |series: &str, value: f64| {
            assert_eq!(sample(&text, series), Some(value), "{series} in\n{text}");
        };
        has(
            r#"skilltrack_runs_total{source="jobs-a",outcome="success"}"#,
            1.0,
        );
        has(
            r#"skilltrack_runs_total{source="jobs-a",outcome="failure"}"#,
            1.0,
        );
        // The failure a minute later does not move the last success.
        has(
            r#"skilltrack_last_success_timestamp_seconds{source="jobs-a"}"#,
            1_700_000_000.0,
        );
        has(
            r#"skilltrack_fetch_requests_total{host="example.org",status="200"}"#,
            2.0,
        );
        has(
            r#"skilltrack_fetch_requests_total{host="127.0.0.1:8080",status="error"}"#,
            1.0,
        );
        has("skilltrack_postings_stored", 42.0);
        has("skilltrack_store_flush_lag_seconds", 0.25);
    }

    #[test]
    fn source_health_is_one_state_at_a_time() {
        let m = Metrics::new();
        let mut h = Health {
            state: HealthState::Failing,
            alarms: Vec::new(),
            consecutive_failures: 3,
            last_success: None,
        };
        m.source_health("jobs-b", &h);
        let text = m.encode();
        let state = |text: &str, s: &str| {
            sample(
                text,
                &format!(r#"skilltrack_source_health{{source="jobs-b",state="{s}"}}"#),
            )
        };
        assert_eq!(state(&text, "failing"), Some(1.0));
        assert_eq!(state(&text, "ok"), Some(0.0));
        assert_eq!(
            sample(
                &text,
                r#"skilltrack_source_consecutive_failures{source="jobs-b"}"#
            ),
            Some(3.0)
        );
        h.state = HealthState::Ok;
        h.consecutive_failures = 0;
        m.source_health("jobs-b", &h);
        let text = m.encode();
        assert_eq!(state(&text, "failing"), Some(0.0));
        assert_eq!(state(&text, "ok"), Some(1.0));
        assert_eq!(
            sample(&text, r#"skilltrack_source_drift_alarms{source="jobs-b"}"#),
            Some(0.0)
        );
    }
}
