//! What sled charges per insert with random or increasing keys: the reason
//! posting records are keyed by sequence number (see ARCHITECTURE.md).
//!
//! ```sh
//! cargo bench --bench sled_keys -- --keys random     [--inserts 1000000] [--bytes 200]
//! cargo bench --bench sled_keys -- --keys increasing [--inserts 1000000] [--bytes 200]
//! ```
//! One kind per run, so that the peak RSS printed is that kind's. Batches of
//! 1,000 inserts, a 32 MB page cache, as the store uses.

mod common;

use std::time::Instant;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let arg = |name: &str| common::arg(&args, name);
    let inserts: u64 = arg("--inserts")
        .and_then(|v| v.parse().ok())
        .unwrap_or(1_000_000);
    let bytes: usize = arg("--bytes").and_then(|v| v.parse().ok()).unwrap_or(200);
    let random = arg("--keys").as_deref() != Some("increasing");
    let dir = std::path::PathBuf::from("target/bench-sled-keys");
    let _ = std::fs::remove_dir_all(&dir);
    let db = sled::Config::new()
        .path(&dir)
        .cache_capacity(32 << 20)
        .open()
        .expect("sled opens");
    let value: Vec<u8> = (0..bytes).map(|i| (i % 251) as u8).collect();
    let mut rng = fastrand::Rng::with_seed(7);
    let started = Instant::now();
    let mut i = 0u64;
    while i < inserts {
        let mut batch = sled::Batch::default();
        for _ in 0..1000 {
            let key = if random { rng.u64(..) } else { i };
            batch.insert(&key.to_be_bytes()[..], value.as_slice());
            i += 1;
        }
        db.apply_batch(batch).expect("batch applies");
    }
    db.flush().expect("flush");
    let secs = started.elapsed().as_secs_f64();
    let hwm = common::peak_rss_mb();
    println!(
        "{} keys, {inserts} inserts of {bytes} bytes: {:.1} µs per insert, peak RSS {hwm:.0} MB, {} MB on disk",
        if random { "random" } else { "increasing" },
        secs * 1e6 / inserts as f64,
        db.size_on_disk().unwrap_or(0) >> 20
    );
    drop(db);
    let _ = std::fs::remove_dir_all(&dir);
}
