//! Throughput benchmark of `SkillMatcher::find` (single thread, std::time only).
//!
//! Usage: `cargo bench --bench skills_throughput -- [CORPUS_FILE] [--postings N]
//! [--dump-aliases FILE]`
//!
//! Generates a deterministic corpus of mixed French/English postings of 2–4 KB
//! (own xorshift PRNG, sentence templates with skills sprinkled in, some HTML
//! and character references), turns each into text as `extract` does before
//! normalization (`html_to_text`, then `plain_text`: the matcher reads plain
//! text, see ARCHITECTURE.md), writes it
//! to CORPUS_FILE (default `target/skills_corpus.txt`; postings separated by a
//! line holding only U+001E), then times the matcher over every posting with
//! the full bundled taxonomy and prints MB/s and postings/s. With
//! `--dump-aliases FILE` it also writes `{"skill-id": ["folded form", …]}` for
//! the Python baselines (`benches/compare_python.sh`). Last, it times a plain
//! `aho-corasick` scan (no folding, no boundaries, no resolution: ASCII case
//! folding, every overlapping match counted) over the same folded forms and
//! texts, and prints the matcher's speed as a fraction of it.

use std::fmt::Write as _;
use std::time::Instant;

use skilltrack::extract::value::{html_to_text, plain_text};
use skilltrack::normalize::skills::{SkillMatcher, Taxonomy};
use skilltrack::normalize::text::fold;

/// Separator between postings in the corpus file.
const SEPARATOR: &str = "\n\u{1e}\n";

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        // xorshift64*
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.below(items.len())]
    }
}

const FR_TITLES: &[&str] = &[
    "Ingénieur DevOps (H/F)",
    "DÉVELOPPEUR FULL STACK {s} (H/F)",
    "Administrateur systèmes Linux",
    "Data Engineer confirmé·e – {s}",
    "Chef de projet technique {s}",
    "Ingénieur(e) sécurité {s}",
];
const EN_TITLES: &[&str] = &[
    "Senior Backend Engineer ({s})",
    "Site Reliability Engineer",
    "Machine Learning Engineer – {s}",
    "Platform Engineer, {s}",
    "Full-stack developer",
    "Data Scientist ({s} / {s})",
];
const FR_SENTENCES: &[&str] = &[
    "Vous rejoindrez une équipe de huit personnes qui conçoit et maintient nos services critiques.",
    "Maîtrise de {s} et de {s} indispensable ; une première expérience avec {s} serait un plus.",
    "<li>Déploiement et supervision de nos applications avec {s} et {s}</li>",
    "Notre stack&nbsp;: {s}, {s}, {s} et {s}.",
    "Vous participerez aux revues de code, à l&#39;intégration continue et à l’amélioration de la qualité.",
    "Télétravail jusqu’à trois jours par semaine, tickets restaurant et mutuelle prise en charge à 60 %.",
    "Une certification {s} est appréciée, ainsi que des contributions aux logiciels libres.",
    "Le chef de projet vous accompagnera pendant la période d’intégration et le go-live du projet.",
    "Vous travaillerez en méthode agile avec des sprints de deux semaines et des démonstrations régulières.",
    "<p><strong>Environnement technique</strong> : {s} / {s} / {s}</p>",
    "Poste basé à Lyon, déplacements ponctuels à Paris ; salaire selon profil et expérience.",
    "Connaissances appréciées : {s}, {s} ; sensibilité à la sécurité et au RGPD.",
];
const EN_SENTENCES: &[&str] = &[
    "You will join a team of eight engineers who design and run our critical services.",
    "Strong experience with {s} and {s}; exposure to {s} is a plus.",
    "<li>Build and operate services using {s}, {s} and {s}</li>",
    "Our stack: {s}, {s}, {s} and {s}.",
    "We value code reviews, continuous delivery and a sustainable pace of work.",
    "Competitive salary, equity, 28 days of holiday and a yearly learning budget.",
    "A {s} certification is a plus, as are contributions to open source projects.",
    "You can react quickly to incidents and go the extra mile for our customers.",
    "We are a Series C company with offices in Berlin, Paris and Amsterdam.",
    "<p><b>Tech environment</b>: {s} / {s} / {s}</p>",
    "Nice to have: {s}, {s}; experience with regulated industries.",
    "You will mentor junior engineers and help shape our technical roadmap.",
];

fn fill(rng: &mut Rng, template: &str, skills: &[&str], out: &mut String) {
    let mut rest = template;
    while let Some(pos) = rest.find("{s}") {
        out.push_str(&rest[..pos]);
        out.push_str(rng.pick(skills));
        rest = &rest[pos + 3..];
    }
    out.push_str(rest);
}

fn generate(count: usize, skills: &[&str]) -> Vec<String> {
    let mut rng = Rng(0x5eed_2026_0001_u64);
    let mut postings = Vec::with_capacity(count);
    for _ in 0..count {
        let french = rng.below(2) == 0;
        let (titles, sentences) = if french {
            (FR_TITLES, FR_SENTENCES)
        } else {
            (EN_TITLES, EN_SENTENCES)
        };
        let target = 2048 + rng.below(2048);
        let mut text = String::with_capacity(target + 256);
        let title = rng.pick(titles);
        fill(&mut rng, title, skills, &mut text);
        text.push('\n');
        while text.len() < target {
            let s = rng.pick(sentences);
            fill(&mut rng, s, skills, &mut text);
            text.push(' ');
        }
        postings.push(text);
    }
    postings
}

fn json_string(s: &str, out: &mut String) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if (c as u32) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

fn dump_aliases(taxonomy: &Taxonomy, path: &str) -> std::io::Result<()> {
    let mut out = String::from("{\n");
    for (i, skill) in taxonomy.skills().iter().enumerate() {
        if i > 0 {
            out.push_str(",\n");
        }
        json_string(&skill.id, &mut out);
        out.push_str(": [");
        let forms = skill.aliases.iter().chain(&skill.ambiguous);
        for (j, form) in forms.enumerate() {
            if j > 0 {
                out.push_str(", ");
            }
            json_string(fold(form).as_str(), &mut out);
        }
        out.push(']');
    }
    out.push_str("\n}\n");
    std::fs::write(path, out)
}

fn main() {
    let mut corpus_path = String::from("target/skills_corpus.txt");
    let mut aliases_path: Option<String> = None;
    let mut count = 20_000usize;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--bench" => {}
            "--dump-aliases" => aliases_path = args.next(),
            "--postings" => {
                count = args
                    .next()
                    .and_then(|n| n.parse().ok())
                    .unwrap_or_else(|| exit_with("--postings needs a number"));
            }
            other if other.starts_with("--") => exit_with(&format!("unknown option {other}")),
            other => corpus_path = other.to_string(),
        }
    }
    let taxonomy = Taxonomy::bundled().unwrap_or_else(|e| exit_with(&e.to_string()));
    let build = Instant::now();
    let matcher = SkillMatcher::new(&taxonomy);
    let build_time = build.elapsed();
    if let Some(path) = &aliases_path {
        dump_aliases(&taxonomy, path).unwrap_or_else(|e| exit_with(&format!("{path}: {e}")));
        println!("aliases written to {path}");
    }
    // Surface forms sprinkled into the corpus: every skill's first alias and
    // label, plus some ambiguous spellings.
    let mut forms: Vec<&str> = Vec::new();
    for s in taxonomy.skills() {
        forms.push(s.label.as_str());
        if let Some(a) = s.aliases.first() {
            forms.push(a.as_str());
        }
    }
    forms.extend([
        "Go", "R", "C", "Chef", "Spark", "React", "Vue", "Node", "Rust",
    ]);
    // What production hands the matcher: the text extract made of the HTML.
    let postings: Vec<String> = generate(count, &forms)
        .iter()
        .map(|html| plain_text(&html_to_text(html)).into_owned())
        .collect();
    let corpus = postings.join(SEPARATOR);
    if let Some(dir) = std::path::Path::new(&corpus_path).parent() {
        if !dir.as_os_str().is_empty() {
            let _ = std::fs::create_dir_all(dir);
        }
    }
    std::fs::write(&corpus_path, &corpus)
        .unwrap_or_else(|e| exit_with(&format!("{corpus_path}: {e}")));
    let bytes: usize = postings.iter().map(String::len).sum();
    println!(
        "corpus: {} postings, {:.1} MB -> {corpus_path}",
        postings.len(),
        bytes as f64 / 1e6
    );
    println!(
        "taxonomy {} ({} entries), matcher built in {:.1} ms",
        taxonomy.version(),
        taxonomy.skills().len(),
        build_time.as_secs_f64() * 1e3
    );
    // Warm-up.
    let mut sink = 0usize;
    for p in postings.iter().take(500) {
        sink += matcher.find(p).skills.len();
    }
    let start = Instant::now();
    let mut found = 0usize;
    for p in &postings {
        let m = matcher.find(p);
        found += m.skills.len() + m.implied.len();
    }
    let secs = start.elapsed().as_secs_f64();
    let mbs = bytes as f64 / 1e6 / secs;
    println!(
        "SkillMatcher::find: {:.3} s, {:.1} MB/s, {:.0} postings/s, {:.1} skills/posting (warm-up {sink})",
        secs,
        mbs,
        postings.len() as f64 / secs,
        found as f64 / postings.len() as f64
    );
    println!("RUST_MB_PER_S={mbs:.2}");
    let plain = plain_scan(&taxonomy, &postings);
    println!(
        "plain aho-corasick scan: {:.1} MB/s; SkillMatcher::find at {:.0} % of it",
        plain,
        mbs / plain * 100.0
    );
    println!("PLAIN_AC_MB_PER_S={plain:.2}");
}

/// MB/s of a plain overlapping `aho-corasick` pass (ASCII case-insensitive)
/// over every folded form of the taxonomy: what a matcher that neither
/// folds, checks boundaries nor resolves would cost on the same texts.
fn plain_scan(taxonomy: &Taxonomy, postings: &[String]) -> f64 {
    let forms: Vec<String> = taxonomy
        .skills()
        .iter()
        .flat_map(|s| s.aliases.iter().chain(&s.ambiguous))
        .map(|form| fold(form).into_string())
        .filter(|form| !form.is_empty())
        .collect();
    let automaton = aho_corasick::AhoCorasick::builder()
        .ascii_case_insensitive(true)
        .build(&forms)
        .unwrap_or_else(|e| exit_with(&e.to_string()));
    let bytes: usize = postings.iter().map(String::len).sum();
    let mut best = f64::INFINITY;
    let mut found = 0usize;
    for _ in 0..3 {
        let start = Instant::now();
        found = postings
            .iter()
            .map(|p| automaton.find_overlapping_iter(p.as_str()).count())
            .sum();
        best = best.min(start.elapsed().as_secs_f64());
    }
    println!(
        "plain aho-corasick scan (best of 3): {best:.3} s, {:.1} matches/posting",
        found as f64 / postings.len().max(1) as f64
    );
    bytes as f64 / 1e6 / best
}

fn exit_with(msg: &str) -> ! {
    eprintln!("skills_throughput: {msg}");
    std::process::exit(2)
}
