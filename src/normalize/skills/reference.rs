//! The matcher as first written (one unanchored overlapping Aho-Corasick pass
//! plus a short-word table), kept as the reference for the differential test
//! in `tests.rs`.

use std::collections::{BTreeSet, HashMap};
use std::hash::{BuildHasherDefault, Hasher};

use aho_corasick::{AhoCorasick, AhoCorasickKind, MatchKind};

use super::matcher::{pattern_uses, Assignment, PatternUse, PhraseHit};
use super::{SkillMatches, Taxonomy};
use crate::normalize::text::{fold, FoldedText};

/// Maximum gap, in bytes of folded text, between an ambiguous occurrence and a
/// context word of its skill.
pub const CONTEXT_WINDOW: usize = 100;

/// Maximum gap, in bytes of folded text, between an ambiguous occurrence and an
/// unambiguous occurrence of another skill that confirms it.
pub const NEIGHBOUR_WINDOW: usize = 40;

/// What one automaton pattern stands for.
#[derive(Debug, Default, Clone)]
struct Role {
    /// Skill form: (skill index, is ambiguous).
    form: Option<(u32, bool)>,
    /// Skills whose exclude list has this phrase.
    excludes: Vec<u32>,
    /// Skills whose context list has this word, and whether it is a prefix
    /// (written with a trailing `*`: no boundary needed at its end).
    contexts: Vec<(u32, bool)>,
    /// The pattern ends with `+` (`c++`): a following `+` is then no boundary.
    ends_with_plus: bool,
    /// Exclude phrases check a side's boundary only if the phrase's char on
    /// that side is alphanumeric (so `°c` excludes in `20°c`).
    first_alnum: bool,
    last_alnum: bool,
}

/// Finds taxonomy skills in posting text. Built once, shared freely
/// (`Send + Sync`); [`SkillMatcher::find`] takes `&self`.
#[derive(Debug, Clone)]
pub struct SkillMatcher {
    automaton: AhoCorasick,
    /// Automaton pattern index -> pattern id (index into `roles`).
    automaton_ids: Vec<u32>,
    /// Short ASCII alphanumeric patterns ("c", "r", "go", "ai", "sql") are
    /// not put in the automaton, where they would fire inside most words; a
    /// token scan looks whole ASCII words of up to 4 bytes up here instead
    /// (same boundary rules, see [`SkillMatcher::collect`]). Key: [`pack`].
    short: HashMap<u32, u32, BuildHasherDefault<MulHasher>>,
    roles: Vec<Role>,
    ids: Vec<String>,
    /// Per skill: the folded `case` spellings (with their case flags).
    case_forms: Vec<Vec<FoldedText>>,
    /// Per skill: transitive closure of `implies`, without the skill itself.
    closure: Vec<Vec<u32>>,
}

/// A candidate occurrence of a skill form.
#[derive(Debug, Clone, Copy)]
struct Occ {
    start: usize,
    end: usize,
    skill: u32,
    ambiguous: bool,
}

impl SkillMatcher {
    /// Builds the automaton and lookup tables for `taxonomy`.
    pub fn new(taxonomy: &Taxonomy) -> SkillMatcher {
        let skills = taxonomy.skills();
        let mut pattern_ids: HashMap<String, usize> = HashMap::new();
        let mut patterns: Vec<String> = Vec::new();
        let mut roles: Vec<Role> = Vec::new();
        let mut slot = |form: &str| -> Option<usize> {
            let folded = fold(form).into_string();
            if folded.is_empty() {
                return None;
            }
            Some(*pattern_ids.entry(folded.clone()).or_insert_with(|| {
                let first = folded.chars().next().is_some_and(char::is_alphanumeric);
                let last = folded
                    .chars()
                    .next_back()
                    .is_some_and(char::is_alphanumeric);
                roles.push(Role {
                    ends_with_plus: folded.ends_with('+'),
                    first_alnum: first,
                    last_alnum: last,
                    ..Role::default()
                });
                patterns.push(folded);
                patterns.len() - 1
            }))
        };
        let assignments = pattern_uses(skills, &mut slot);
        for Assignment {
            pattern,
            skill,
            what,
        } in assignments
        {
            let role = &mut roles[pattern];
            match what {
                PatternUse::Form { ambiguous } => {
                    // The taxonomy guarantees one owner per form; keep the first.
                    if role.form.is_none() {
                        role.form = Some((skill, ambiguous));
                    }
                }
                PatternUse::Exclude => role.excludes.push(skill),
                PatternUse::Context { prefix } => role.contexts.push((skill, prefix)),
            }
        }
        let mut short = HashMap::default();
        let mut automaton_ids = Vec::with_capacity(patterns.len());
        let mut automaton_patterns = Vec::with_capacity(patterns.len());
        for (p, pattern) in patterns.iter().enumerate() {
            let bytes = pattern.as_bytes();
            let is_prefix = roles[p].contexts.iter().any(|&(_, prefix)| prefix);
            if bytes.len() <= 4 && !is_prefix && bytes.iter().all(|b| b.is_ascii_alphanumeric()) {
                short.insert(pack(bytes), p as u32);
            } else {
                automaton_ids.push(p as u32);
                automaton_patterns.push(pattern.as_str());
            }
        }
        let automaton = AhoCorasick::builder()
            .match_kind(MatchKind::Standard)
            .kind(Some(AhoCorasickKind::DFA))
            .build(&automaton_patterns)
            .or_else(|_| {
                AhoCorasick::builder()
                    .match_kind(MatchKind::Standard)
                    .build(&automaton_patterns)
            })
            .expect("taxonomy forms always build an Aho-Corasick automaton");
        let case_forms = skills
            .iter()
            .map(|s| s.case.iter().map(|c| fold(c)).collect())
            .collect();
        let closure = (0..skills.len())
            .map(|i| implied_closure(taxonomy, i))
            .collect();
        SkillMatcher {
            automaton,
            automaton_ids,
            short,
            roles,
            ids: skills.iter().map(|s| s.id.clone()).collect(),
            case_forms,
            closure,
        }
    }

    /// Finds the skills in `text` (raw posting text: title, newline,
    /// description; HTML allowed).
    pub fn find(&self, text: &str) -> SkillMatches<'_> {
        let folded = fold(text);
        let t = folded.as_str();
        let mut hits = Hits::default();
        for m in self.automaton.find_overlapping_iter(t) {
            let p = self.automaton_ids[m.pattern().as_usize()];
            self.collect(t, p, m.start(), m.end(), &mut hits);
        }
        let bytes = t.as_bytes();
        let mut i = 0;
        while i < bytes.len() {
            if !is_ascii_word(bytes[i]) {
                i += 1;
                continue;
            }
            let start = i;
            while i < bytes.len() && is_ascii_word(bytes[i]) {
                i += 1;
            }
            if i - start <= 4 {
                if let Some(&p) = self.short.get(&pack(&bytes[start..i])) {
                    self.collect(t, p, start, i, &mut hits);
                }
            }
        }
        let Hits {
            mut occs,
            excludes,
            contexts,
        } = hits;
        // Exclusion and case rules.
        occs.retain(|o| {
            if excludes
                .iter()
                .any(|h| h.skill == o.skill && h.start <= o.start && o.end <= h.end)
            {
                return false;
            }
            let cases = &self.case_forms[o.skill as usize];
            !(o.ambiguous
                && !cases.is_empty()
                && !cases
                    .iter()
                    .any(|c| c.len() == o.end - o.start && folded.same_case(o.start, c)))
        });
        // Longest valid wins, then context for ambiguous occurrences.
        occs.sort_by(|a, b| {
            (b.end - b.start)
                .cmp(&(a.end - a.start))
                .then(a.start.cmp(&b.start))
                .then(a.skill.cmp(&b.skill))
        });
        let mut rejected = vec![false; occs.len()];
        let mut taken: Vec<usize> = Vec::new();
        // Taken spans, disjoint and sorted by start (so also by end).
        let mut spans: Vec<(usize, usize)> = Vec::new();
        loop {
            taken.clear();
            spans.clear();
            for (i, o) in occs.iter().enumerate() {
                if rejected[i] {
                    continue;
                }
                let at = spans.partition_point(|&(s, _)| s < o.end);
                if at > 0 && spans[at - 1].1 > o.start {
                    continue;
                }
                spans.insert(at, (o.start, o.end));
                taken.push(i);
            }
            let mut changed = false;
            for &i in &taken {
                let o = occs[i];
                if !o.ambiguous {
                    continue;
                }
                let by_context = contexts.iter().any(|h| {
                    h.skill == o.skill && gap(h.start, h.end, o.start, o.end) <= CONTEXT_WINDOW
                });
                let by_neighbour = || {
                    taken.iter().any(|&j| {
                        let n = occs[j];
                        !n.ambiguous
                            && n.skill != o.skill
                            && gap(n.start, n.end, o.start, o.end) <= NEIGHBOUR_WINDOW
                    })
                };
                if !by_context && !by_neighbour() {
                    rejected[i] = true;
                    changed = true;
                }
            }
            if !changed {
                break;
            }
        }
        let direct: BTreeSet<u32> = taken.iter().map(|&i| occs[i].skill).collect();
        let mut implied: BTreeSet<u32> = BTreeSet::new();
        for &k in &direct {
            implied.extend(self.closure[k as usize].iter().copied());
        }
        let names = |set: &BTreeSet<u32>| {
            let mut v: Vec<&str> = set.iter().map(|&k| self.ids[k as usize].as_str()).collect();
            v.sort_unstable();
            v
        };
        let implied: BTreeSet<u32> = implied.difference(&direct).copied().collect();
        let (skills, implied_ids) = (names(&direct), names(&implied));
        SkillMatches {
            skills,
            implied: implied_ids,
        }
    }
}

/// Raw automaton hits of one posting, by role.
#[derive(Default)]
struct Hits {
    occs: Vec<Occ>,
    excludes: Vec<PhraseHit>,
    contexts: Vec<PhraseHit>,
}

impl SkillMatcher {
    /// Applies the boundary rules to one occurrence of pattern `p` at
    /// `[start, end)` and records it under each of its roles.
    #[inline]
    fn collect(&self, t: &str, p: u32, start: usize, end: usize, hits: &mut Hits) {
        let role = &self.roles[p as usize];
        let start_ok = start_bounded(t, start);
        if !start_ok && role.first_alnum {
            return;
        }
        let end_ok = end_bounded(t, end, role.ends_with_plus);
        if start_ok {
            for &(k, prefix) in &role.contexts {
                if prefix || end_ok {
                    hits.contexts.push(PhraseHit {
                        start,
                        end,
                        skill: k,
                    });
                }
            }
        }
        if !role.excludes.is_empty() && (end_ok || !role.last_alnum) {
            for &k in &role.excludes {
                hits.excludes.push(PhraseHit {
                    start,
                    end,
                    skill: k,
                });
            }
        }
        if let Some((skill, ambiguous)) = role.form {
            if start_ok && end_ok {
                hits.occs.push(Occ {
                    start,
                    end,
                    skill,
                    ambiguous,
                });
            }
        }
    }
}

#[inline]
fn is_ascii_word(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_'
}

/// Packs up to 4 bytes (none of them 0) into a `u32` key.
#[inline]
fn pack(bytes: &[u8]) -> u32 {
    bytes.iter().fold(0u32, |acc, &b| (acc << 8) | u32::from(b))
}

/// Multiplicative hasher for the `u32` keys of the short-pattern table.
#[derive(Default, Clone, Copy, Debug)]
struct MulHasher(u64);

impl Hasher for MulHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0 ^ u64::from(b)).wrapping_mul(0x9e37_79b9_7f4a_7c15);
        }
    }

    fn write_u32(&mut self, n: u32) {
        self.0 = (u64::from(n) ^ self.0).wrapping_mul(0x9e37_79b9_7f4a_7c15);
    }
}

/// Gap in bytes between spans `[a, b)` and `[c, d)` (0 when they overlap).
fn gap(a: usize, b: usize, c: usize, d: usize) -> usize {
    if b <= c {
        c - b
    } else {
        a.saturating_sub(d)
    }
}

#[inline]
fn is_word_char(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

/// The char before `start` is not a word char.
#[inline]
fn start_bounded(t: &str, start: usize) -> bool {
    match t.as_bytes()[..start].last() {
        None => true,
        Some(&b) if b.is_ascii() => !(b.is_ascii_alphanumeric() || b == b'_'),
        Some(_) => !t[..start].chars().next_back().is_some_and(is_word_char),
    }
}

/// The char after `end` is not a word char nor `#`, nor a `+` gluing to the
/// form (the form ends with `+`, or `++` follows).
#[inline]
fn end_bounded(t: &str, end: usize, ends_with_plus: bool) -> bool {
    let bytes = t.as_bytes();
    match bytes.get(end) {
        None => true,
        Some(&b) if b.is_ascii() => match b {
            b'+' => !(ends_with_plus || bytes.get(end + 1) == Some(&b'+')),
            b'#' | b'_' => false,
            _ => !b.is_ascii_alphanumeric(),
        },
        Some(_) => !t[end..].chars().next().is_some_and(is_word_char),
    }
}

/// Transitive closure of `implies` from skill `i`, without `i` itself.
fn implied_closure(taxonomy: &Taxonomy, i: usize) -> Vec<u32> {
    let skills = taxonomy.skills();
    let mut seen = vec![false; skills.len()];
    seen[i] = true;
    let mut stack = vec![i];
    let mut out = Vec::new();
    while let Some(n) = stack.pop() {
        for target in &skills[n].implies {
            if let Some(j) = taxonomy.position(target) {
                if !seen[j] {
                    seen[j] = true;
                    out.push(j as u32);
                    stack.push(j);
                }
            }
        }
    }
    out.sort_unstable();
    out
}
