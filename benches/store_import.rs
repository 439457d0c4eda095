//! Store benchmark: import N generated postings end to end (parse → normalize
//! → dedup → store) in one process, then time series queries.
//!
//! ```sh
//! cargo bench --bench store_import -- [--postings 1000000] [--dir /tmp/skilltrack-bench]
//! ```
//! Prints postings/s, peak RSS, bytes on disk per posting, and p50/p99 of a
//! one-skill, one-geography, three-year daily series query.

use std::io::Read;
use std::path::PathBuf;
use std::time::Instant;

use skilltrack::domain::{Day, GeoCode, SkillId, SourceId};
use skilltrack::normalize::Normalizer;
use skilltrack::pipeline::import_lines;
use skilltrack::store::{Metric, SledStore, Store};
use skilltrack::trends::{self, Interval, TrendQuery};

/// Sentences of realistic postings, French and English.
const SENTENCES: &[&str] = &[
    "Au sein de notre équipe plateforme, vous participerez à la conception et à l'exploitation de nos services.",
    "You will design, build and operate services used by thousands of customers every day.",
    "Nous recherchons une personne curieuse, rigoureuse et à l'aise avec le travail en équipe.",
    "We value clear written communication, code review and pragmatic engineering.",
    "Le poste est basé dans nos locaux avec deux jours de télétravail par semaine.",
    "Our stack runs on Linux servers, deployed with Docker and Kubernetes, provisioned with Terraform.",
    "Vous développerez des API en Python (Django, FastAPI) adossées à PostgreSQL et Redis.",
    "Experience with Rust or Go for performance-critical services is a strong plus.",
    "Les pipelines de données s'appuient sur Apache Spark, Airflow et Kafka.",
    "You will train and evaluate models with PyTorch and scikit-learn, tracked in MLflow.",
    "Une certification RHCSA ou LPIC-1 serait appréciée ; la certification CKA est un atout.",
    "We contribute to open source projects and encourage engineers to upstream their fixes.",
    "Monitoring avec Prometheus et Grafana, logs centralisés dans Elasticsearch.",
    "Frontend in TypeScript with React; CI/CD on GitLab CI and GitHub Actions.",
    "Avantages : mutuelle, tickets restaurant, RTT, prime de participation, plan de formation.",
    "We offer a competitive salary, stock options, 25 days of paid leave and a learning budget.",
    "Vous maîtrisez Ansible et les bonnes pratiques de sécurité des systèmes Linux.",
    "Knowledge of Java and Spring Boot microservices on OpenShift is appreciated.",
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
        while description.len() < 2800 {
            let s = self.pick(SENTENCES);
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

fn peak_rss_mb() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1)?.parse::<f64>().ok())
        })
        .map_or(f64::NAN, |kb| kb / 1024.0)
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

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let arg = |name: &str| {
        args.iter()
            .position(|a| a == name)
            .and_then(|i| args.get(i + 1))
            .cloned()
    };
    let n: usize = arg("--postings")
        .and_then(|v| v.parse().ok())
        .unwrap_or(1_000_000);
    let dir = PathBuf::from(arg("--dir").unwrap_or_else(|| "target/bench-store".into()));
    let _ = std::fs::remove_dir_all(&dir);

    let normalizer = Normalizer::bundled().expect("bundled data");
    let store = SledStore::open(&dir, 64).expect("store opens");
    let source = SourceId::parse("bench").unwrap();
    let reader = std::io::BufReader::with_capacity(1 << 20, Generated::new(n));
    let started = Instant::now();
    let mut last = Instant::now();
    let report = import_lines(&store, &normalizer, reader, &source, |lines| {
        if last.elapsed().as_secs() >= 10 {
            eprintln!(
                "  {lines} lines, {:.0} postings/s",
                lines as f64 / started.elapsed().as_secs_f64()
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
        geo,
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
}
