//! Precision/recall of the bundled taxonomy on the hand-annotated evaluation
//! set `tests/fixtures/skills_eval.jsonl` (direct skills only).

use std::collections::BTreeSet;

use super::{SkillMatcher, Taxonomy};

const EVAL: &str = include_str!("../../../tests/fixtures/skills_eval.jsonl");

/// Minimum micro precision over the evaluation set.
const MIN_PRECISION: f64 = 0.95;
/// Minimum micro recall over the evaluation set.
const MIN_RECALL: f64 = 0.92;

#[derive(serde::Deserialize)]
struct Case {
    id: String,
    lang: String,
    text: String,
    expected: Vec<String>,
}

#[test]
fn eval_set_precision_and_recall() {
    let taxonomy = Taxonomy::bundled().expect("bundled taxonomy is valid");
    let matcher = SkillMatcher::new(&taxonomy);
    let (mut tp, mut fp, mut fn_) = (0usize, 0usize, 0usize);
    let mut errors = Vec::new();
    let mut cases = 0;
    for (n, line) in EVAL.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let case: Case = serde_json::from_str(line)
            .unwrap_or_else(|e| panic!("skills_eval.jsonl line {}: {e}", n + 1));
        assert!(
            matches!(case.lang.as_str(), "fr" | "en"),
            "{}: lang",
            case.id
        );
        for id in &case.expected {
            assert!(
                taxonomy.get(id).is_some(),
                "{}: unknown expected id {id}",
                case.id
            );
        }
        cases += 1;
        let found: BTreeSet<String> = matcher
            .find(&case.text)
            .skills
            .into_iter()
            .map(str::to_owned)
            .collect();
        let expected: BTreeSet<String> = case.expected.into_iter().collect();
        tp += found.intersection(&expected).count();
        for extra in found.difference(&expected) {
            fp += 1;
            errors.push(format!("FP {:<8} {extra}", case.id));
        }
        for missing in expected.difference(&found) {
            fn_ += 1;
            errors.push(format!("FN {:<8} {missing}", case.id));
        }
    }
    let precision = tp as f64 / (tp + fp).max(1) as f64;
    let recall = tp as f64 / (tp + fn_).max(1) as f64;
    println!("skills eval: {cases} postings, tp={tp} fp={fp} fn={fn_}");
    println!("precision = {precision:.4}, recall = {recall:.4}");
    for e in &errors {
        println!("  {e}");
    }
    assert!(cases >= 150, "evaluation set too small: {cases}");
    assert!(
        precision >= MIN_PRECISION && recall >= MIN_RECALL,
        "precision {precision:.4} (min {MIN_PRECISION}) / recall {recall:.4} (min {MIN_RECALL})"
    );
}
