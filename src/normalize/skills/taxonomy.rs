//! Loading and validation of the taxonomy file.

use std::collections::BTreeSet;

use rustc_hash::FxHashMap;

use serde::Deserialize;

use super::{Category, Skill, TaxonomyError, BUNDLED_ORIGIN, BUNDLED_TOML};
use crate::normalize::text::fold;

/// Keys allowed in a `[[skill]]` table (kept in sync with [`RawSkill`]).
const SKILL_KEYS: &[&str] = &[
    "id",
    "label",
    "category",
    "aliases",
    "implies",
    "requires",
    "issuer",
    "level",
    "ambiguous",
    "case",
    "context",
    "exclude",
    "note",
];

/// Allowed certification levels.
const LEVELS: &[&str] = &[
    "foundational",
    "associate",
    "professional",
    "expert",
    "specialist",
];

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSkill {
    id: String,
    label: String,
    category: String,
    #[serde(default)]
    aliases: Vec<String>,
    #[serde(default)]
    implies: Vec<String>,
    #[serde(default)]
    requires: Vec<String>,
    issuer: Option<String>,
    level: Option<String>,
    #[serde(default)]
    ambiguous: Vec<String>,
    #[serde(default)]
    case: Vec<String>,
    #[serde(default)]
    context: Vec<String>,
    #[serde(default)]
    exclude: Vec<String>,
    note: Option<String>,
}

/// A validated skill taxonomy.
#[derive(Debug, Clone)]
pub struct Taxonomy {
    version: String,
    skills: Vec<Skill>,
    index: FxHashMap<String, usize>,
    fingerprint: u64,
}

impl Taxonomy {
    /// Loads the taxonomy embedded in the binary (`data/skills.toml`).
    pub fn bundled() -> Result<Taxonomy, TaxonomyError> {
        Taxonomy::from_toml_str(BUNDLED_TOML, BUNDLED_ORIGIN)
    }

    /// Parses and validates a taxonomy. `origin` names the source in error
    /// messages. Either the whole file is valid or a single error listing
    /// every problem is returned.
    pub fn from_toml_str(src: &str, origin: &str) -> Result<Taxonomy, TaxonomyError> {
        let table: toml::Table = toml::from_str(src).map_err(|e| TaxonomyError::Syntax {
            origin: origin.to_string(),
            message: one_line(&e.to_string()),
        })?;
        let mut problems = Vec::new();
        let mut version = None;
        let mut raws = Vec::new();
        for (key, value) in table {
            match (key.as_str(), value) {
                ("version", toml::Value::String(v)) => version = Some(v),
                ("version", _) => problems.push("\"version\" must be a string".to_string()),
                ("skill", toml::Value::Array(items)) => {
                    for (i, item) in items.into_iter().enumerate() {
                        if let Some(raw) = parse_skill(i, item, &mut problems) {
                            raws.push(raw);
                        }
                    }
                }
                ("skill", _) => {
                    problems.push("\"skill\" must be an array of tables ([[skill]])".to_string())
                }
                (other, _) => problems.push(format!("unknown top-level key \"{other}\"")),
            }
        }
        let version = match version {
            Some(v) if !v.trim().is_empty() => v,
            Some(_) => {
                problems.push("\"version\" is empty".to_string());
                String::new()
            }
            None => {
                problems.push("missing \"version\"".to_string());
                String::new()
            }
        };
        let skills = validate(raws, &mut problems);
        if !problems.is_empty() {
            return Err(TaxonomyError::Invalid {
                origin: origin.to_string(),
                problems,
            });
        }
        let index = skills
            .iter()
            .enumerate()
            .map(|(i, s)| (s.id.clone(), i))
            .collect();
        Ok(Taxonomy {
            version,
            skills,
            index,
            fingerprint: fnv1a64(src.as_bytes()),
        })
    }

    /// All skills, in file order.
    pub fn skills(&self) -> &[Skill] {
        &self.skills
    }

    /// The skill with id `id`.
    pub fn get(&self, id: &str) -> Option<&Skill> {
        self.index.get(id).map(|&i| &self.skills[i])
    }

    /// Position of skill `id` in [`Taxonomy::skills`].
    pub fn position(&self, id: &str) -> Option<usize> {
        self.index.get(id).copied()
    }

    /// The taxonomy's `version` string.
    pub fn version(&self) -> &str {
        &self.version
    }

    /// FNV-1a 64 hash of the file content: stable across runs and platforms,
    /// changes whenever the file changes.
    pub fn fingerprint(&self) -> u64 {
        self.fingerprint
    }
}

/// FNV-1a, 64 bits.
fn fnv1a64(bytes: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for &b in bytes {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    h
}

fn one_line(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Checks the keys of one `[[skill]]` table and deserializes it.
fn parse_skill(i: usize, item: toml::Value, problems: &mut Vec<String>) -> Option<RawSkill> {
    let toml::Value::Table(mut t) = item else {
        problems.push(format!("skill #{}: not a table", i + 1));
        return None;
    };
    let name = match t.get("id") {
        Some(toml::Value::String(id)) => format!("skill \"{id}\""),
        _ => format!("skill #{}", i + 1),
    };
    let unknown: Vec<String> = t
        .keys()
        .filter(|k| !SKILL_KEYS.contains(&k.as_str()))
        .cloned()
        .collect();
    for k in &unknown {
        problems.push(format!("{name}: unknown key \"{k}\""));
        t.remove(k);
    }
    match toml::Value::Table(t).try_into::<RawSkill>() {
        Ok(raw) => Some(raw),
        Err(e) => {
            problems.push(format!("{name}: {}", one_line(&e.to_string())));
            None
        }
    }
}

fn is_kebab(id: &str) -> bool {
    !id.is_empty()
        && id.split('-').all(|p| {
            !p.is_empty()
                && p.bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
        })
}

/// Validates deserialized entries, pushing every problem found.
fn validate(raws: Vec<RawSkill>, problems: &mut Vec<String>) -> Vec<Skill> {
    let mut skills = Vec::with_capacity(raws.len());
    let mut seen_ids: FxHashMap<String, usize> = FxHashMap::default();
    // folded form -> id of the skill that claimed it first
    let mut claimed: FxHashMap<String, String> = FxHashMap::default();
    for raw in raws {
        let id = raw.id.clone();
        let name = format!("skill \"{id}\"");
        if !is_kebab(&id) {
            problems.push(format!("{name}: id is not kebab-case"));
        }
        if seen_ids.contains_key(&id) {
            problems.push(format!("{name}: duplicate id"));
        } else {
            seen_ids.insert(id.clone(), skills.len());
        }
        if raw.label.trim().is_empty() {
            problems.push(format!("{name}: empty label"));
        }
        let category = match raw.category.parse::<Category>() {
            Ok(c) => c,
            Err(_) => {
                problems.push(format!("{name}: unknown category \"{}\"", raw.category));
                Category::Practice
            }
        };
        let is_cert = category == Category::Certification;
        match (&raw.issuer, is_cert) {
            (None, true) => problems.push(format!("{name}: certification without issuer")),
            (Some(i), true) if i.trim().is_empty() => {
                problems.push(format!("{name}: certification without issuer"))
            }
            (Some(_), false) => {
                problems.push(format!("{name}: issuer is only allowed on certifications"))
            }
            _ => {}
        }
        if let Some(level) = &raw.level {
            if !is_cert {
                problems.push(format!("{name}: level is only allowed on certifications"));
            } else if !LEVELS.contains(&level.as_str()) {
                problems.push(format!(
                    "{name}: unknown level \"{level}\" (expected one of {})",
                    LEVELS.join(", ")
                ));
            }
        }
        if raw.aliases.is_empty() && raw.ambiguous.is_empty() {
            problems.push(format!("{name}: no aliases and no ambiguous forms"));
        }
        let mut own: BTreeSet<String> = BTreeSet::new();
        let mut ambiguous_folded: BTreeSet<String> = BTreeSet::new();
        for (kind, forms) in [("alias", &raw.aliases), ("ambiguous form", &raw.ambiguous)] {
            for form in forms {
                let folded = fold(form).into_string();
                if folded.is_empty() {
                    problems.push(format!("{name}: empty {kind} \"{form}\""));
                    continue;
                }
                if kind == "ambiguous form" {
                    ambiguous_folded.insert(folded.clone());
                }
                if !own.insert(folded.clone()) {
                    if kind == "ambiguous form"
                        && raw.aliases.iter().any(|a| fold(a).as_str() == folded)
                    {
                        problems.push(format!(
                            "{name}: \"{form}\" is both an alias and an ambiguous form"
                        ));
                    }
                    continue;
                }
                match claimed.get(&folded) {
                    Some(other) if other != &id => problems.push(format!(
                        "{name}: {kind} \"{form}\" is also claimed by skill \"{other}\""
                    )),
                    Some(_) => {}
                    None => {
                        claimed.insert(folded, id.clone());
                    }
                }
            }
        }
        for c in &raw.case {
            if !ambiguous_folded.contains(fold(c).as_str()) {
                problems.push(format!(
                    "{name}: case \"{c}\" is not the spelling of any of its ambiguous forms"
                ));
            }
        }
        if !raw.context.is_empty() && raw.ambiguous.is_empty() {
            problems.push(format!("{name}: context words without ambiguous forms"));
        }
        for (kind, list) in [
            ("context word", &raw.context),
            ("exclude phrase", &raw.exclude),
        ] {
            for w in list {
                if fold(w.trim_end_matches('*')).is_empty() {
                    problems.push(format!("{name}: empty {kind} \"{w}\""));
                }
            }
        }
        skills.push(Skill {
            id,
            label: raw.label,
            category,
            aliases: raw.aliases,
            implies: raw.implies,
            requires: raw.requires,
            issuer: raw.issuer,
            level: raw.level,
            ambiguous: raw.ambiguous,
            case: raw.case,
            context: raw.context,
            exclude: raw.exclude,
            note: raw.note,
        });
    }
    check_relation(&skills, &seen_ids, Relation::Implies, problems);
    check_relation(&skills, &seen_ids, Relation::Requires, problems);
    check_overlap(&skills, problems);
    skills
}

/// The two relations between skills.
#[derive(Debug, Clone, Copy)]
enum Relation {
    /// Family: counted as implied.
    Implies,
    /// Prerequisite: shown, never counted.
    Requires,
}

impl Relation {
    /// The key naming the relation in the file.
    fn key(self) -> &'static str {
        match self {
            Relation::Implies => "implies",
            Relation::Requires => "requires",
        }
    }

    fn targets(self, skill: &Skill) -> &[String] {
        match self {
            Relation::Implies => &skill.implies,
            Relation::Requires => &skill.requires,
        }
    }
}

/// Unknown targets, self references and cycles in one relation.
fn check_relation(
    skills: &[Skill],
    ids: &FxHashMap<String, usize>,
    relation: Relation,
    problems: &mut Vec<String>,
) {
    let key = relation.key();
    let mut edges: Vec<Vec<usize>> = vec![Vec::new(); skills.len()];
    for (i, s) in skills.iter().enumerate() {
        for target in relation.targets(s) {
            match ids.get(target) {
                Some(_) if target == &s.id => {
                    problems.push(format!("skill \"{}\": {key} itself", s.id))
                }
                Some(&j) => edges[i].push(j),
                None => problems.push(format!(
                    "skill \"{}\": {key} unknown skill \"{target}\"",
                    s.id
                )),
            }
        }
    }
    for cycle in cycles(&edges) {
        let path: Vec<&str> = cycle.iter().map(|&n| skills[n].id.as_str()).collect();
        problems.push(format!(
            "skill \"{}\": {key} cycle {}",
            path[0],
            path.join(" -> ")
        ));
    }
}

/// A target both implied and required by the same skill: the file must say
/// which relation it is.
fn check_overlap(skills: &[Skill], problems: &mut Vec<String>) {
    for s in skills {
        for target in s.requires.iter().filter(|t| s.implies.contains(t)) {
            problems.push(format!(
                "skill \"{}\": \"{target}\" is in both implies and requires",
                s.id
            ));
        }
    }
}

/// The cycles of a directed graph, one per back edge found by a depth-first
/// search, each as the path from the re-entered node back to itself.
fn cycles(edges: &[Vec<usize>]) -> Vec<Vec<usize>> {
    const WHITE: u8 = 0;
    const GREY: u8 = 1;
    const BLACK: u8 = 2;
    let mut found = Vec::new();
    let mut colour = vec![WHITE; edges.len()];
    for root in 0..edges.len() {
        if colour[root] != WHITE {
            continue;
        }
        let mut stack: Vec<(usize, usize)> = vec![(root, 0)];
        colour[root] = GREY;
        while let Some(&mut (node, ref mut next)) = stack.last_mut() {
            if let Some(&child) = edges[node].get(*next) {
                *next += 1;
                match colour[child] {
                    WHITE => {
                        colour[child] = GREY;
                        stack.push((child, 0));
                    }
                    GREY => {
                        let from = stack.iter().position(|&(n, _)| n == child).unwrap_or(0);
                        let mut path: Vec<usize> = stack[from..].iter().map(|&(n, _)| n).collect();
                        path.push(child);
                        found.push(path);
                    }
                    _ => {}
                }
            } else {
                colour[node] = BLACK;
                stack.pop();
            }
        }
    }
    found
}
