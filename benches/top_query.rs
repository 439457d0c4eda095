//! Top-skills benchmark: `trends::top` in process over a store left by the
//! store bench (`cargo bench --bench store_import -- --postings N --dir D`),
//! for one geography over one year, each sort and both metrics.
//!
//! cargo bench --bench top_query -- [--dir target/bench-store] [--geo FR] [--to 2025-12-31] [--runs 200]
//!
//! Prints p50, p99 and the slowest of `--runs` queries, each with the
//! catalogue built as the API builds it.

mod common;

use std::path::PathBuf;
use std::time::Instant;

use skilltrack::api::top::catalogue;
use skilltrack::domain::Day;
use skilltrack::normalize::Normalizer;
use skilltrack::store::{Metric, SledStore};
use skilltrack::trends::top::{self, Sort, TopRequest};

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let arg = |name: &str| common::arg(&args, name);
    let dir = PathBuf::from(arg("--dir").unwrap_or_else(|| "target/bench-store".into()));
    let geo = arg("--geo").unwrap_or_else(|| "FR".into());
    let to: Day = arg("--to")
        .unwrap_or_else(|| "2025-12-31".into())
        .parse()
        .expect("--to is a day");
    let runs: usize = arg("--runs").and_then(|v| v.parse().ok()).unwrap_or(200);
    let normalizer = Normalizer::bundled().expect("bundled data loads");
    let store = SledStore::open(&dir, skilltrack::config::DEFAULT_CACHE_MB).expect("store opens");
    for metric in [Metric::New, Metric::Active] {
        for sort in [Sort::Count, Sort::Growth] {
            let request = TopRequest {
                geo: Some(geo.clone()),
                to: Some(to),
                metric: Some(metric),
                sort: Some(sort),
                ..TopRequest::default()
            };
            let mut times = Vec::with_capacity(runs);
            let mut ranked = 0;
            let mut total = 0;
            for _ in 0..runs {
                let t = Instant::now();
                let skills = catalogue(&normalizer);
                let q = request
                    .resolve(&normalizer, &skills, to)
                    .expect("query resolves");
                let result = top::top(&store, &q, &skills, 30).expect("top runs");
                times.push(t.elapsed().as_secs_f64() * 1e3);
                ranked = result.skills.len();
                total = result.total;
            }
            times.sort_by(f64::total_cmp);
            println!(
                "top {geo} one year to {to}, {} by {}: {} skills ranked of {total} postings; p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms ({runs} runs)",
                metric.as_str(),
                sort.as_str(),
                ranked,
                times[times.len() / 2],
                times[(times.len() * 99 / 100).min(times.len() - 1)],
                times[times.len() - 1],
            );
        }
    }
}
