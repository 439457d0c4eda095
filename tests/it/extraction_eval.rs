//! Skill extraction measured on full-length postings labelled by reading
//! (`tests/fixtures/postings_eval/`, see its README): each file goes through
//! `pipeline::extract_lines`, the code of `skilltrack extract`, and the skills
//! found (direct ∪ implied) are compared with the labels (skills ∪ family).
//!
//! Prints precision and recall overall, per language and per skill, every
//! miss (`FN*`: found in the text, but where it is not an ask), and the matcher alone on the same text (no link, employer or section
//! blanking) to show what the rest of the normalizer gains.
//! `cargo test --test it extraction_eval -- --nocapture` shows the report.

use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::path::PathBuf;

use serde::Deserialize;
use skilltrack::extract::import::parse_line;
use skilltrack::normalize::skills::SkillMatcher;
use skilltrack::normalize::Normalizer;
use skilltrack::pipeline::extract_lines;

/// The thresholds of issue 12: precision and recall on skills ∪ family.
const MIN_PRECISION: f64 = 0.97;
const MIN_RECALL: f64 = 0.95;
/// The set must stay large enough to mean something.
const MIN_POSTINGS: usize = 200;

/// The labels of one line (the importer ignores these keys).
#[derive(Deserialize)]
struct Labels {
    id: String,
    lang: String,
    #[serde(default)]
    skills: Vec<String>,
    #[serde(default)]
    family: Vec<String>,
}

/// What `skilltrack extract` writes for one posting.
#[derive(Deserialize)]
struct Extracted {
    id: String,
    skills: Vec<String>,
    implied_skills: Vec<String>,
}

/// True/false positives and false negatives.
#[derive(Default, Clone, Copy)]
struct Score {
    tp: usize,
    fp: usize,
    fn_: usize,
}

impl Score {
    fn add(&mut self, expected: &BTreeSet<String>, found: &BTreeSet<String>) {
        self.tp += found.intersection(expected).count();
        self.fp += found.difference(expected).count();
        self.fn_ += expected.difference(found).count();
    }
    fn precision(self) -> f64 {
        self.tp as f64 / (self.tp + self.fp).max(1) as f64
    }
    fn recall(self) -> f64 {
        self.tp as f64 / (self.tp + self.fn_).max(1) as f64
    }
    fn line(self) -> String {
        format!(
            "precision {:.4}  recall {:.4}  (tp {}, fp {}, fn {})",
            self.precision(),
            self.recall(),
            self.tp,
            self.fp,
            self.fn_
        )
    }
}

fn eval_files() -> Vec<PathBuf> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/postings_eval");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .expect("tests/fixtures/postings_eval exists")
        .map(|e| e.expect("readable directory").path())
        .filter(|p| p.extension().is_some_and(|x| x == "jsonl"))
        .collect();
    files.sort();
    files
}

#[test]
fn full_length_postings_meet_the_precision_and_recall_targets() {
    let normalizer = Normalizer::bundled().expect("bundled data");
    let matcher = SkillMatcher::new(normalizer.taxonomy());
    let taxonomy = normalizer.taxonomy();

    let mut total = Score::default();
    let mut matcher_alone = Score::default();
    let mut by_lang: BTreeMap<String, Score> = BTreeMap::new();
    let mut by_skill: BTreeMap<String, Score> = BTreeMap::new();
    let mut misses: Vec<String> = Vec::new();
    let mut ids = HashSet::new();
    let mut postings = 0;

    for file in eval_files() {
        let name = file.file_name().unwrap_or_default().to_string_lossy();
        let text = std::fs::read_to_string(&file).expect("readable eval file");
        let mut out = Vec::new();
        let bad = extract_lines(&normalizer, text.as_bytes(), 1 << 20, &mut out, |e| {
            panic!("{name}: {e}")
        })
        .expect("extract runs");
        assert_eq!(bad, 0, "{name}: rejected lines");
        let extracted: Vec<Extracted> = out
            .split(|&b| b == b'\n')
            .filter(|l| !l.is_empty())
            .map(|l| serde_json::from_slice(l).expect("extract writes JSON"))
            .collect();
        let lines: Vec<(usize, &str)> = text
            .lines()
            .enumerate()
            .filter(|(_, l)| !l.trim().is_empty())
            .collect();
        assert_eq!(
            extracted.len(),
            lines.len(),
            "{name}: one output per posting"
        );

        for ((n, line), got) in lines.into_iter().zip(extracted) {
            let labels: Labels = serde_json::from_str(line)
                .unwrap_or_else(|e| panic!("{name} line {}: labels: {e}", n + 1));
            assert_eq!(labels.id, got.id, "{name} line {}", n + 1);
            assert!(ids.insert(labels.id.clone()), "duplicate id {}", labels.id);
            assert!(
                matches!(labels.lang.as_str(), "fr" | "en"),
                "{}: lang {:?}",
                labels.id,
                labels.lang
            );
            for id in labels.skills.iter().chain(&labels.family) {
                assert!(
                    taxonomy.get(id).is_some(),
                    "{}: unknown skill id {id}",
                    labels.id
                );
            }
            postings += 1;

            let expected: BTreeSet<String> = labels
                .skills
                .iter()
                .chain(&labels.family)
                .cloned()
                .collect();
            // The matcher alone on the same fields, for comparison.
            let raw = parse_line(line, n + 1)
                .expect("line parsed above")
                .expect("not blank");
            let mut plain = raw.title.clone();
            plain.push('\n');
            plain.push_str(&raw.description);
            for tag in &raw.tags {
                plain.push('\n');
                plain.push_str(tag);
            }
            let alone = matcher.find(&plain);
            let alone: BTreeSet<String> = alone
                .skills
                .into_iter()
                .chain(alone.implied)
                .map(str::to_owned)
                .collect();
            matcher_alone.add(&expected, &alone);
            let found: BTreeSet<String> =
                got.skills.into_iter().chain(got.implied_skills).collect();
            total.add(&expected, &found);
            by_lang
                .entry(labels.lang.clone())
                .or_default()
                .add(&expected, &found);
            for s in found.difference(&expected) {
                by_skill.entry(s.clone()).or_default().fp += 1;
                misses.push(format!("FP {:<12} {s}", labels.id));
            }
            for s in expected.difference(&found) {
                by_skill.entry(s.clone()).or_default().fn_ += 1;
                // FN*: the matcher alone finds it, the ask filter removed it.
                let mark = if alone.contains(s) { "FN*" } else { "FN " };
                misses.push(format!("{mark} {:<12} {s}", labels.id));
            }
            for s in found.intersection(&expected) {
                by_skill.entry(s.clone()).or_default().tp += 1;
            }
        }
    }

    println!("full-length postings: {postings}");
    println!("skilltrack extract:  {}", total.line());
    println!("matcher alone:       {}", matcher_alone.line());
    for (lang, score) in &by_lang {
        println!("  {lang}: {}", score.line());
    }
    println!("skills with misses:");
    for (skill, score) in by_skill.iter().filter(|(_, s)| s.fp + s.fn_ > 0) {
        println!("  {skill:<28} {}", score.line());
    }
    for m in &misses {
        println!("  {m}");
    }
    assert!(
        postings >= MIN_POSTINGS,
        "evaluation set too small: {postings}"
    );
    assert!(
        total.precision() >= MIN_PRECISION && total.recall() >= MIN_RECALL,
        "precision {:.4} (min {MIN_PRECISION}), recall {:.4} (min {MIN_RECALL})",
        total.precision(),
        total.recall()
    );
}
