//! Benchmark: resolves the evaluation strings of `tests/fixtures/locations.tsv`
//! repeatedly on one thread and prints strings per second.
//!
//! Run with `cargo bench --bench geo_resolve` (release profile).

use std::hint::black_box;
use std::time::{Duration, Instant};

use skilltrack::normalize::geo::Gazetteer;

const FIXTURE: &str = include_str!("../tests/fixtures/locations.tsv");

fn main() {
    let t0 = Instant::now();
    let g = match Gazetteer::bundled() {
        Ok(g) => g,
        Err(e) => {
            eprintln!("cannot load the gazetteer: {e}");
            std::process::exit(1);
        }
    };
    println!(
        "gazetteer built in {:.1} ms",
        t0.elapsed().as_secs_f64() * 1e3
    );
    let strings: Vec<&str> = FIXTURE
        .lines()
        .filter(|l| !l.starts_with('#'))
        .map(|l| l.split('\t').next().unwrap_or(""))
        .collect();
    // warm-up
    for s in &strings {
        black_box(g.resolve(black_box(s)));
    }
    let min = Duration::from_millis(1500);
    let start = Instant::now();
    let mut done: u64 = 0;
    let mut places: u64 = 0;
    while start.elapsed() < min {
        for s in &strings {
            let r = g.resolve(black_box(s));
            places += r.places.len() as u64;
            black_box(r);
        }
        done += strings.len() as u64;
    }
    let secs = start.elapsed().as_secs_f64();
    println!(
        "resolved {done} strings ({} distinct, {places} places) in {secs:.2} s: {:.0} strings/s (single thread)",
        strings.len(),
        done as f64 / secs
    );
}
