//! Store benchmark: import N generated postings end to end (parse → normalize
//! → dedup → store) in one process, then time series queries.
//!
//! ```sh
//! cargo bench --bench store_import -- [--postings 1000000] [--dir /tmp/skilltrack-bench] [--input FILE] [--cache-mb 32] [--reindex] [--phases] [--recount-only] [--reindex-only] [--drill-only] [--generate-only]
//! ```
//! The generated input (about 3.2 KB a line) is written to `--input`
//! (default `target/store-bench-N.jsonl`) once and read back on later runs.
//! `--phases` instead prints the single-threaded cost of each stage per posting;
//! `--recount-only` recounts the database a previous run left in `--dir`, in a
//! fresh process (crash recovery); `--reindex-only` reindexes it;
//! `--generate-only` writes the input file and stops (`benches/first_answer.sh`
//! uses it); `--drill-only` times pages of the postings behind a count on it (the
//! index build at open, its memory per posting, then p50/p99 of pages of
//! several cells), which a full run also does after its series queries.
//! Prints postings/s, peak RSS, bytes on disk per posting, and p50/p99 of a
//! one-skill, one-geography, three-year daily series query.

mod common;

use std::io::Read;
use std::path::PathBuf;
use std::time::Instant;

use common::{peak_rss_mb, status_mb};
use skilltrack::domain::{Day, GeoCode, SkillId, SourceId};
use skilltrack::normalize::Normalizer;
use skilltrack::pipeline::import_lines;
use skilltrack::store::bench_support::{encode_record_without_text, posting_key, RecordNames};
use skilltrack::store::{CountStore, Metric, PostingStore, SledStore};
use skilltrack::trends::{self, Interval, TrendQuery};

/// Sentences without skills: most of a real posting.
const FILLER: &[&str] = &[
    "Rejoignez une équipe bienveillante qui place la qualité et l'apprentissage au cœur de son fonctionnement.",
    "You will work closely with product managers, designers and support to ship features our users love.",
    "Vous accompagnerez la montée en compétences des profils juniors et participerez aux choix d'architecture.",
    "We are a remote-friendly company with offices in several European cities and a yearly team retreat.",
    "Le processus de recrutement comprend un entretien RH, un exercice technique et une rencontre avec l'équipe.",
    "Our mission is to make public data easier to use for citizens, journalists and researchers.",
    "Vous êtes autonome, vous aimez partager vos connaissances et vous avez le sens du service.",
    "Salary range depends on experience; we publish our salary grid internally and review it every year.",
];
/// Skill names as postings write them, to build a "stack" sentence.
const STACK: &[&str] = &[
    "Python",
    "Django",
    "FastAPI",
    "PostgreSQL",
    "Redis",
    "Docker",
    "Kubernetes",
    "Terraform",
    "Ansible",
    "Linux",
    "Git",
    "GitLab CI",
    "Prometheus",
    "Grafana",
    "Kafka",
    "Apache Spark",
    "Airflow",
    "PyTorch",
    "scikit-learn",
    "pandas",
    "React",
    "TypeScript",
    "Node.js",
    "Java",
    "Spring Boot",
    "Rust",
    "Go (golang)",
    "Elasticsearch",
    "MongoDB",
    "RabbitMQ",
    "Nginx",
    "OpenShift",
    "AWS",
    "RHCSA",
    "CKA",
    "LPIC-1",
    "Vue.js",
    "PHP",
    "Symfony",
    "C++",
    "Jenkins",
    "Helm",
    "ArgoCD",
    "MySQL",
    "Debian",
    "Ubuntu",
    "Bash",
    "SQL",
];

const TITLES: &[&str] = &[
    "Développeur Python (H/F)",
    "Ingénieur DevOps Kubernetes",
    "Administrateur Systèmes Linux F/H",
    "Data Engineer Spark",
    "Senior Rust Engineer",
    "Machine Learning Engineer",
    "DBA PostgreSQL",
    "Développeur Full Stack React / Node.js",
    "SRE - Site Reliability Engineer",
    "Ingénieur Sécurité Open Source",
];
const PLACES: &[&str] = &[
    "75 - PARIS 09",
    "Paris, Île-de-France, France",
    "69 - LYON 03",
    "13008 Marseille",
    "33 - Bordeaux",
    "Toulouse (31)",
    "Nantes, Pays de la Loire",
    "Lille",
    "92 - Courbevoie",
    "Rennes (35)",
    "Grenoble",
    "Télétravail complet",
    "Remote - France",
    "Berlin, Germany",
    "London, UK",
    "Strasbourg",
    "Montpellier",
];

const SOURCES: &[&str] = &["france-travail", "welcome", "greenhouse", "lever"];

/// An endless-looking reader producing `n` JSON lines deterministically.
struct Generated {
    n: usize,
    i: usize,
    rng: u64,
    buf: Vec<u8>,
    pos: usize,
    first: Day,
}

impl Generated {
    fn new(n: usize) -> Generated {
        Generated {
            n,
            i: 0,
            rng: 0x9E37_79B9_7F4A_7C15,
            buf: Vec::new(),
            pos: 0,
            first: "2023-01-01".parse().unwrap(),
        }
    }

    fn next_u64(&mut self) -> u64 {
        self.rng ^= self.rng << 13;
        self.rng ^= self.rng >> 7;
        self.rng ^= self.rng << 17;
        self.rng
    }

    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[(self.next_u64() % items.len() as u64) as usize]
    }

    fn fill(&mut self) {
        self.buf.clear();
        self.pos = 0;
        if self.i >= self.n {
            return;
        }
        let mut description = String::with_capacity(3200);
        let skills = 5 + (self.next_u64() % 8) as usize;
        description.push_str("Stack technique : ");
        for k in 0..skills {
            if k > 0 {
                description.push_str(", ");
            }
            let s = self.pick(STACK);
            description.push_str(s);
        }
        description.push_str(". ");
        while description.len() < 2900 {
            let s = self.pick(FILLER);
            description.push_str(s);
            description.push(' ');
        }
        let day = self.first.add_days((self.next_u64() % 1095) as i32);
        let title = self.pick(TITLES);
        let place = self.pick(PLACES);
        let company = format!("Entreprise {}", self.next_u64() % 20_000);
        let source = SOURCES[self.i % SOURCES.len()];
        let line = serde_json::json!({
            "id": format!("bench-{}", self.i),
            "source": source,
            "title": title, "company": company, "location": place,
            "posted_at": day.to_string(), "first_seen": day.to_string(), "last_seen": day.to_string(),
            "description": description,
        });
        serde_json::to_writer(&mut self.buf, &line).unwrap();
        self.buf.push(b'\n');
        self.i += 1;
    }
}

impl Read for Generated {
    fn read(&mut self, out: &mut [u8]) -> std::io::Result<usize> {
        if self.pos >= self.buf.len() {
            self.fill();
        }
        let n = (self.buf.len() - self.pos).min(out.len());
        out[..n].copy_from_slice(&self.buf[self.pos..self.pos + n]);
        self.pos += n;
        Ok(n)
    }
}

fn dir_bytes(dir: &std::path::Path) -> u64 {
    let mut total = 0;
    if let Ok(entries) = std::fs::read_dir(dir) {
        for e in entries.flatten() {
            let p = e.path();
            total += if p.is_dir() {
                dir_bytes(&p)
            } else {
                e.metadata().map_or(0, |m| m.len())
            };
        }
    }
    total
}

/// Single-threaded cost of each stage on the first `n` postings, per posting.
fn phases(normalizer: &Normalizer, dir: &std::path::Path, n: usize) {
    use std::io::BufRead;
    let _ = std::fs::remove_dir_all(dir);
    let lines: Vec<String> = std::io::BufReader::new(Generated::new(n))
        .lines()
        .map_while(Result::ok)
        .collect();
    let t = Instant::now();
    let records: Vec<_> = lines
        .iter()
        .enumerate()
        .filter_map(|(i, l)| {
            skilltrack::extract::import::parse_record(l, i + 1)
                .ok()
                .flatten()
        })
        .collect();
    let parse = t.elapsed().as_secs_f64();
    let today = Day::today();
    let t = Instant::now();
    let postings: Vec<_> = records
        .iter()
        .filter_map(|r| {
            normalizer
                .normalize(
                    &r.raw,
                    r.source.as_ref().unwrap(),
                    None,
                    r.first_seen.unwrap_or(today),
                )
                .ok()
        })
        .collect();
    let normalize = t.elapsed().as_secs_f64();
    let store = SledStore::open(dir, 64).expect("store opens");
    let t = Instant::now();
    for chunk in postings.chunks(1000) {
        store.ingest(chunk).expect("ingest");
    }
    let ingest = t.elapsed().as_secs_f64();
    let t = Instant::now();
    store.flush().expect("flush");
    let flush = t.elapsed().as_secs_f64();
    let per = |secs: f64| secs * 1e6 / n as f64;
    println!(
        "single-thread cost per posting over {n}: parse {:.1} µs, normalize {:.1} µs, store {:.1} µs, count flush {:.1} µs",
        per(parse),
        per(normalize),
        per(ingest),
        per(flush)
    );
    drop(store);
    let _ = std::fs::remove_dir_all(dir);
    // What the engine alone costs for the same records: encode + batch
    // insert under increasing keys, as the store writes them.
    let t = Instant::now();
    let mut names = RecordNames::default();
    let encoded: Vec<Vec<u8>> = postings
        .iter()
        .map(|p| encode_record_without_text(p, &mut names))
        .collect();
    let encode = t.elapsed().as_secs_f64();
    let db = sled::Config::new()
        .path(dir)
        .cache_capacity(32 << 20)
        .open()
        .unwrap();
    let t = Instant::now();
    for (i, chunk) in encoded.chunks(1000).enumerate() {
        let mut batch = sled::Batch::default();
        for (j, v) in chunk.iter().enumerate() {
            batch.insert(&posting_key((i * 1000 + j) as u64)[..], v.as_slice());
        }
        db.apply_batch(batch).unwrap();
    }
    let raw = t.elapsed().as_secs_f64();
    println!(
        "  of which: record encode {:.1} µs, raw sled batch insert {:.1} µs",
        per(encode),
        per(raw)
    );
    let record_bytes: usize = encoded.iter().map(Vec::len).sum();
    let json_bytes: usize = postings
        .iter()
        .map(|p| {
            let without_text = skilltrack::normalize::Posting {
                text: String::new(),
                ..p.clone()
            };
            serde_json::to_vec(&without_text).map_or(0, |v| v.len())
        })
        .sum();
    println!(
        "  a posting without its text: {} bytes as a record, {} bytes as JSON (averages)",
        record_bytes / n,
        json_bytes / n
    );
    drop(db);
    let _ = std::fs::remove_dir_all(dir);
}

/// Crash recovery in a fresh process: open the database a previous run left
/// in `dir`, rebuild the posting index, recount everything.
fn recount_only(dir: &std::path::Path) {
    let t = Instant::now();
    let store = SledStore::open(dir, skilltrack::config::DEFAULT_CACHE_MB)
        .expect("the database of a previous run opens");
    let n = store.posting_count().expect("count");
    let t_open = t.elapsed().as_secs_f64();
    // The first look-up by id builds the posting index: its memory is the
    // difference.
    let rss_open = status_mb("VmRSS:");
    let t = Instant::now();
    let id = skilltrack::domain::PostingId::new(&SourceId::parse(SOURCES[0]).unwrap(), "bench-0");
    store.posting(id).expect("posting");
    println!(
        "fresh process: index built in {:.2} s, {:.0} MB by its tables' capacities; RSS {rss_open:.0} MB before, {:.0} MB after (sled's cache fills too)",
        t.elapsed().as_secs_f64(),
        store.index_heap_bytes().expect("index").unwrap_or(0) as f64 / 1048576.0,
        status_mb("VmRSS:")
    );
    let t = Instant::now();
    store.rebuild(None, &mut |_| {}).expect("recount");
    println!(
        "fresh process: open {t_open:.2} s, recount of {n} postings {:.1} s, peak RSS {:.0} MB",
        t.elapsed().as_secs_f64(),
        peak_rss_mb()
    );
}

/// The postings behind a count on the database a previous run left in
/// `dir`, in a fresh process: the posting index's build time and memory,
/// then p50/p99 of one page of several cells (and of a walk of ten pages).
fn drill_only(dir: &std::path::Path) {
    let store = SledStore::open(dir, skilltrack::config::DEFAULT_CACHE_MB)
        .expect("the database of a previous run opens");
    drill(&store);
}

/// The drill-down phase on an open store.
fn drill(store: &SledStore) {
    use skilltrack::store::{Cell, CellKey};
    let n = store.posting_count().expect("count").max(1);
    let rss = status_mb("VmRSS:");
    let t = Instant::now();
    let id = skilltrack::domain::PostingId::new(&SourceId::parse(SOURCES[0]).unwrap(), "bench-0");
    store.posting(id).expect("posting");
    let heap = store.index_heap_bytes().expect("index").unwrap_or(0);
    println!(
        "posting index (with the by-day list and masks) built in {:.2} s; {:.0} MB by its tables' capacities, {:.0} bytes per posting; RSS {rss:.0} → {:.0} MB",
        t.elapsed().as_secs_f64(),
        heap as f64 / 1048576.0,
        heap as f64 / n as f64,
        status_mb("VmRSS:")
    );
    let day = |s: &str| -> Day { s.parse().unwrap() };
    let cell = |skill: &str, geo: &str, metric, from: &str, to: &str| Cell {
        skill: SkillId::parse(skill).unwrap(),
        geo: GeoCode::parse(geo).unwrap(),
        metric,
        from: day(from),
        to: day(to),
        source: None,
    };
    let cells = [
        (
            "* WORLD new, a year",
            cell("*", "WORLD", Metric::New, "2025-01-01", "2025-12-31"),
        ),
        (
            "python FR-IDF new, a year",
            cell("python", "FR-IDF", Metric::New, "2025-01-01", "2025-12-31"),
        ),
        (
            "kubernetes FR-75 new, a month",
            cell(
                "kubernetes",
                "FR-75",
                Metric::New,
                "2025-03-01",
                "2025-03-31",
            ),
        ),
        (
            "cka REMOTE new, a week",
            cell("cka", "REMOTE", Metric::New, "2025-03-03", "2025-03-09"),
        ),
        (
            "python FR active, a day",
            cell("python", "FR", Metric::Active, "2025-06-30", "2025-06-30"),
        ),
        (
            "scala WORLD new, a year (no posting names it: no day has an opening)",
            cell("scala", "WORLD", Metric::New, "2025-01-01", "2025-12-31"),
        ),
        (
            "scala FR-75 new, a year (none either)",
            cell("scala", "FR-75", Metric::New, "2025-01-01", "2025-12-31"),
        ),
    ];
    for (name, cell) in &cells {
        let mut times = Vec::with_capacity(200);
        let mut listed = 0;
        for _ in 0..200 {
            let t = Instant::now();
            listed = store
                .cell_page(cell, None, 50)
                .expect("page")
                .postings
                .len();
            times.push(t.elapsed().as_nanos() as f64 / 1e3);
        }
        times.sort_by(f64::total_cmp);
        println!(
            "postings page (limit 50) {name}: {listed} listed, p50 {:.0} µs, p99 {:.0} µs",
            times[times.len() / 2],
            times[times.len() * 99 / 100]
        );
    }
    // Ten pages in a row, following the cursor.
    let (name, cell) = &cells[1];
    let mut times = Vec::with_capacity(50);
    for _ in 0..50 {
        let t = Instant::now();
        let mut after: Option<CellKey> = None;
        for _ in 0..10 {
            after = store.cell_page(cell, after, 50).expect("page").next;
        }
        times.push(t.elapsed().as_nanos() as f64 / 1e3 / 10.0);
    }
    times.sort_by(f64::total_cmp);
    println!(
        "postings pages 1–10 of {name}, per page: p50 {:.0} µs, p99 {:.0} µs",
        times[times.len() / 2],
        times[times.len() * 99 / 100]
    );
}

/// `reindex` in a fresh process on the database a previous run left in `dir`.
fn reindex_only(dir: &std::path::Path) {
    let normalizer = Normalizer::bundled().expect("bundled data");
    let store = SledStore::open(dir, skilltrack::config::DEFAULT_CACHE_MB)
        .expect("the database of a previous run opens");
    let t = Instant::now();
    let n = skilltrack::pipeline::reindex(&store, &normalizer, &mut |_| {}).expect("reindex");
    println!(
        "fresh process: reindex of {n} postings {:.1} s, peak RSS {:.0} MB",
        t.elapsed().as_secs_f64(),
        peak_rss_mb()
    );
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let arg = |name: &str| common::arg(&args, name);
    let n: usize = arg("--postings")
        .and_then(|v| v.parse().ok())
        .unwrap_or(1_000_000);
    let dir = PathBuf::from(arg("--dir").unwrap_or_else(|| "target/bench-store".into()));
    if args.iter().any(|a| a == "--recount-only") {
        recount_only(&dir);
        return;
    }
    if args.iter().any(|a| a == "--reindex-only") {
        reindex_only(&dir);
        return;
    }
    if args.iter().any(|a| a == "--drill-only") {
        drill_only(&dir);
        return;
    }
    let _ = std::fs::remove_dir_all(&dir);

    // The input is generated once into a file and read back, as `skilltrack
    // import` would: generating 3 KB of JSON per posting is not part of the
    // figure.
    let input = arg("--input")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(format!("target/store-bench-{n}.jsonl")));
    let phases_only = args.iter().any(|a| a == "--phases");
    if !input.exists() && !phases_only {
        let t = Instant::now();
        let tmp = input.with_extension("partial");
        let mut out = std::io::BufWriter::new(std::fs::File::create(&tmp).expect("input file"));
        std::io::copy(&mut Generated::new(n), &mut out).expect("input written");
        std::io::Write::flush(&mut out).expect("input written");
        std::fs::rename(&tmp, &input).expect("input renamed");
        eprintln!(
            "generated {} in {:.1} s (not timed)",
            input.display(),
            t.elapsed().as_secs_f64()
        );
    }
    if args.iter().any(|a| a == "--generate-only") {
        // `benches/first_answer.sh` wants the file, not this bench's import.
        return;
    }
    let rss_start = status_mb("VmRSS:");
    let normalizer = Normalizer::bundled().expect("bundled data");
    let rss_data = status_mb("VmRSS:");
    if phases_only {
        phases(&normalizer, &dir.with_extension("phases"), n.min(10_000));
        return;
    }
    let cache_mb: u64 = arg("--cache-mb")
        .and_then(|v| v.parse().ok())
        .unwrap_or(skilltrack::config::DEFAULT_CACHE_MB);
    let store = SledStore::open(&dir, cache_mb).expect("store opens");
    eprintln!(
        "RSS at start {rss_start:.0} MB, with the taxonomy and geography {rss_data:.0} MB, with the store open {:.0} MB",
        status_mb("VmRSS:")
    );
    let source = SourceId::parse("bench").unwrap();
    let file = std::fs::File::open(&input).expect("input file opens");
    let reader = std::io::BufReader::with_capacity(1 << 20, file);
    let started = Instant::now();
    let mut last = Instant::now();
    let report = import_lines(&store, &normalizer, reader, &source, |lines| {
        if last.elapsed().as_secs() >= 10 {
            eprintln!(
                "  {lines} lines, {:.0} postings/s, RSS {:.0} MB",
                lines as f64 / started.elapsed().as_secs_f64(),
                status_mb("VmRSS:")
            );
            last = Instant::now();
        }
    })
    .expect("import");
    let secs = started.elapsed().as_secs_f64();
    store.flush().expect("flush");
    println!(
        "imported {} postings ({} new, {} rejected) in {secs:.1} s: {:.0} postings/s",
        report.items,
        report.new,
        report.rejected,
        report.items as f64 / secs
    );
    println!("peak RSS {:.0} MB", peak_rss_mb());
    let bytes = dir_bytes(&dir);
    println!(
        "on disk {:.1} MB: {:.0} bytes per posting",
        bytes as f64 / 1e6,
        bytes as f64 / n as f64
    );

    let skill = SkillId::parse("python").unwrap();
    let geo = GeoCode::parse("FR-IDF").unwrap();
    let (from, to): (Day, Day) = ("2023-01-01".parse().unwrap(), "2025-12-31".parse().unwrap());
    let mut times = Vec::with_capacity(10_000);
    let mut points = 0;
    for _ in 0..10_000 {
        let t = Instant::now();
        points = store
            .daily(&skill, &geo, Metric::New, from, to)
            .expect("query")
            .len();
        times.push(t.elapsed().as_nanos() as f64 / 1e3);
    }
    times.sort_by(f64::total_cmp);
    println!("series query (python, FR-IDF, new, 3 years daily, {points} days with postings): p50 {:.0} µs, p99 {:.0} µs", times[times.len() / 2], times[times.len() * 99 / 100]);
    let q = TrendQuery {
        skills: vec![skill],
        geos: vec![geo],
        from,
        to,
        interval: Interval::Day,
        metric: Metric::Active,
    };
    let mut times = Vec::with_capacity(2_000);
    for _ in 0..2_000 {
        let t = Instant::now();
        trends::trends(&store, &q).expect("trends");
        times.push(t.elapsed().as_nanos() as f64 / 1e3);
    }
    times.sort_by(f64::total_cmp);
    println!("trends query (python + total, FR-IDF, active, 3 years daily, 1095 points): p50 {:.0} µs, p99 {:.0} µs", times[times.len() / 2], times[times.len() * 99 / 100]);
    drill(&store);

    // Reopening: the posting index is rebuilt on first use.
    let series = |store: &SledStore| -> Vec<Vec<(Day, i64)>> {
        ["python", "kubernetes", "*"]
            .iter()
            .flat_map(|s| ["FR-IDF", "FR", "WORLD", "REMOTE"].map(|g| (*s, g)))
            .map(|(s, g)| {
                let (s, g) = (SkillId::parse(s).unwrap(), GeoCode::parse(g).unwrap());
                store
                    .daily(&s, &g, Metric::Active, from, to)
                    .expect("query")
            })
            .collect()
    };
    let before = series(&store);
    drop(store);
    let t = Instant::now();
    let store = SledStore::open(&dir, cache_mb).expect("store reopens");
    let opened = t.elapsed().as_secs_f64();
    let id = skilltrack::domain::PostingId::new(&SourceId::parse(SOURCES[0]).unwrap(), "bench-0");
    let t = Instant::now();
    assert!(store.posting(id).expect("posting").is_some());
    println!(
        "reopen {:.2} s; first posting look-up (builds the posting index) {:.2} s",
        opened,
        t.elapsed().as_secs_f64()
    );
    // A full recount, as after a crash or a restore.
    let t = Instant::now();
    store.rebuild(None, &mut |_| {}).expect("recount");
    println!(
        "recount of every posting (crash recovery, restore) {:.1} s; 12 series identical after: {}; peak RSS of the whole run {:.0} MB",
        t.elapsed().as_secs_f64(),
        series(&store) == before,
        peak_rss_mb()
    );
    if args.iter().any(|a| a == "--reindex") {
        // Every posting normalized again from its stored text, the text log
        // compacted, everything recounted.
        let t = Instant::now();
        skilltrack::pipeline::reindex(&store, &normalizer, &mut |_| {}).expect("reindex");
        println!(
            "reindex of every posting {:.1} s; 12 series identical after: {}; peak RSS of the whole run {:.0} MB",
            t.elapsed().as_secs_f64(),
            series(&store) == before,
            peak_rss_mb()
        );
    }
}
