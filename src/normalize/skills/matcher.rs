//! The skill matcher (semantics documented in the parent module).

use std::cell::RefCell;

use aho_corasick::automaton::{Automaton, StateID};
use aho_corasick::nfa::contiguous;
use aho_corasick::{dfa, Anchored, MatchKind, StartKind};
use rustc_hash::FxHashMap;

use super::{Skill, SkillMatches, Taxonomy};
use crate::normalize::text::{fold, fold_into, FoldBuffers, FoldedText};

/// Maximum gap, in bytes of folded text, between an ambiguous occurrence and a
/// context word of its skill.
pub const CONTEXT_WINDOW: usize = 100;

/// Maximum gap, in bytes of folded text, between an ambiguous occurrence and an
/// unambiguous occurrence of another skill that confirms it.
pub const NEIGHBOUR_WINDOW: usize = 40;

/// What a pattern is to one skill: one of its forms, one of its exclude
/// phrases or one of its context words.
#[derive(Debug, Clone, Copy)]
pub(super) enum PatternUse {
    /// A form of the skill (an alias, or an ambiguous spelling).
    Form {
        /// The form is ambiguous (needs a context or the right case).
        ambiguous: bool,
    },
    /// An exclude phrase of the skill.
    Exclude,
    /// A context word of the skill.
    Context {
        /// Written with a trailing `*`: no boundary needed at its end.
        prefix: bool,
    },
}

/// One use of pattern `pattern` by skill `skill`, collected while the
/// patterns are numbered and applied to their roles after.
#[derive(Debug, Clone, Copy)]
pub(super) struct Assignment {
    /// Index of the pattern.
    pub(super) pattern: usize,
    /// Index of the skill.
    pub(super) skill: u32,
    /// What the pattern is to the skill.
    pub(super) what: PatternUse,
}

/// Every use the taxonomy makes of a pattern, in taxonomy order (forms,
/// ambiguous forms, exclude phrases, context words of each skill). `slot`
/// gives a text's pattern number, `None` for a text that folds to nothing.
/// Shared by this matcher and the reference one, which differ in how they
/// search, not in what the patterns mean.
pub(super) fn pattern_uses(
    skills: &[Skill],
    slot: &mut impl FnMut(&str) -> Option<usize>,
) -> Vec<Assignment> {
    let mut assignments = Vec::new();
    for (i, s) in skills.iter().enumerate() {
        let skill = i as u32;
        let mut assign = |text: &str, what| {
            if let Some(pattern) = slot(text) {
                assignments.push(Assignment {
                    pattern,
                    skill,
                    what,
                });
            }
        };
        for a in &s.aliases {
            assign(a, PatternUse::Form { ambiguous: false });
        }
        for a in &s.ambiguous {
            assign(a, PatternUse::Form { ambiguous: true });
        }
        for x in &s.exclude {
            assign(x, PatternUse::Exclude);
        }
        for c in &s.context {
            let prefix = c.ends_with('*');
            assign(c.trim_end_matches('*'), PatternUse::Context { prefix });
        }
    }
    assignments
}

/// Where an exclude phrase or a context word of a skill was found in the
/// folded text.
#[derive(Debug, Clone, Copy)]
pub(super) struct PhraseHit {
    /// First byte.
    pub(super) start: usize,
    /// Byte after the last.
    pub(super) end: usize,
    /// Index of the skill whose phrase it is.
    pub(super) skill: u32,
}

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
///
/// Every pattern (skill form, exclude phrase, context word) is in one
/// *anchored* automaton (Aho-Corasick's contiguous NFA, walked without
/// failure transitions, i.e. as a trie). Patterns whose first char
/// is alphanumeric can only count where the char before is not a word char,
/// so the automaton is only run from those word starts, plus from every
/// position holding the first byte of a pattern that starts with a symbol
/// (`.net`, `*nix`, `°c`). Each run walks as long as some pattern continues
/// and reports every pattern ending on the way: all overlapping candidates,
/// as an unanchored overlapping search would give after the start-boundary
/// check.
#[derive(Debug, Clone)]
pub struct SkillMatcher {
    engine: Engine,
    /// Automaton pattern index -> (pattern id (index into `roles`), length).
    automaton_ids: Vec<(u32, u32)>,
    /// Per byte: 0 no pattern starts with it; 1 only patterns starting with
    /// an alphanumeric char (tried at word starts); 2 some pattern starting
    /// with another char (tried everywhere).
    first: [u8; 256],
    /// Per byte: stop the in-word skip (not an ASCII word byte, or the first
    /// byte of a symbol-led pattern).
    in_word_stop: [bool; 256],
    roles: Vec<Role>,
    ids: Vec<String>,
    /// Skill indices in order of their ids (output order).
    by_name: Vec<u32>,
    /// Per skill: its position in `by_name`.
    name_rank: Vec<u32>,
    /// Per skill: the folded `case` spellings (with their case flags).
    case_forms: Vec<Vec<FoldedText>>,
    /// Per skill: transitive closure of `implies`, without the skill itself.
    closure: Vec<Vec<u32>>,
}

/// The anchored automaton: a contiguous NFA (compact, so the walks mostly hit
/// the cache; faster here than a DFA), or a DFA should the NFA fail to build.
#[derive(Debug, Clone)]
enum Engine {
    Dfa(dfa::DFA),
    Nfa(contiguous::NFA),
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
        let mut pattern_ids: FxHashMap<String, usize> = FxHashMap::default();
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
        let mut first = [0u8; 256];
        let mut automaton_ids = Vec::with_capacity(patterns.len());
        for (p, pattern) in patterns.iter().enumerate() {
            let lead = usize::from(pattern.as_bytes()[0]);
            if roles[p].first_alnum {
                first[lead] = first[lead].max(1);
            } else {
                first[lead] = 2;
            }
            automaton_ids.push((p as u32, pattern.len() as u32));
        }
        let mut in_word_stop = [false; 256];
        for (b, stop) in in_word_stop.iter_mut().enumerate() {
            *stop = !is_ascii_word(b as u8) || first[b] == 2;
        }
        let engine = contiguous::NFA::builder()
            .match_kind(MatchKind::Standard)
            .prefilter(false)
            .build(&patterns)
            .map(Engine::Nfa)
            .or_else(|_| {
                dfa::DFA::builder()
                    .match_kind(MatchKind::Standard)
                    .start_kind(StartKind::Anchored)
                    .build(&patterns)
                    .map(Engine::Dfa)
            })
            .expect("taxonomy forms always build an Aho-Corasick automaton");
        let case_forms = skills
            .iter()
            .map(|s| s.case.iter().map(|c| fold(c)).collect())
            .collect();
        let closure = (0..skills.len())
            .map(|i| implied_closure(taxonomy, i))
            .collect();
        let ids: Vec<String> = skills.iter().map(|s| s.id.clone()).collect();
        let mut by_name: Vec<u32> = (0..ids.len() as u32).collect();
        by_name.sort_by(|&a, &b| ids[a as usize].cmp(&ids[b as usize]));
        let mut name_rank = vec![0u32; ids.len()];
        for (r, &k) in by_name.iter().enumerate() {
            name_rank[k as usize] = r as u32;
        }
        SkillMatcher {
            engine,
            automaton_ids,
            first,
            in_word_stop,
            roles,
            ids,
            by_name,
            name_rank,
            case_forms,
            closure,
        }
    }

    /// Finds the skills in `text` (raw posting text: title, newline,
    /// description; HTML allowed).
    pub fn find(&self, text: &str) -> SkillMatches<'_> {
        thread_local! {
            static SCRATCH: RefCell<Scratch> = RefCell::new(Scratch::default());
        }
        SCRATCH.with(|cell| match cell.try_borrow_mut() {
            Ok(mut scratch) => self.find_with(text, &mut scratch),
            Err(_) => self.find_with(text, &mut Scratch::default()),
        })
    }

    fn find_with(&self, text: &str, scratch: &mut Scratch) -> SkillMatches<'_> {
        let Scratch {
            fold: folded,
            hits,
            rejected,
            taken,
            spans,
            excluded,
            context,
            direct,
            implied,
            mark,
            stamp,
        } = scratch;
        fold_into(text, folded);
        let t =
            std::str::from_utf8(&folded.text).expect("folding only emits whole UTF-8 characters");
        hits.clear();
        match &self.engine {
            Engine::Dfa(a) => self.scan(a, t, hits),
            Engine::Nfa(a) => self.scan(a, t, hits),
        }
        let Hits {
            occs,
            excludes,
            contexts,
        } = hits;
        let upper = &folded.upper;
        // Every look-up below is logarithmic, so a text with a very large
        // number of occurrences costs n log n, not n² (a 2 MB description
        // full of skill names once took 20 s).
        excluded.build(excludes, occs.len());
        // Exclusion and case rules.
        occs.retain(|o| {
            if excluded.reaches(o.skill, o.start, o.end) {
                return false;
            }
            if !o.ambiguous {
                return true;
            }
            let cases = &self.case_forms[o.skill as usize];
            cases.is_empty()
                || cases.iter().any(|c| {
                    c.len() == o.end - o.start && same_case(t.as_bytes(), upper, o.start, c)
                })
        });
        // Longest valid wins, then context for ambiguous occurrences.
        occs.sort_unstable_by_key(|o| (std::cmp::Reverse(o.end - o.start), o.start, o.skill));
        let any_ambiguous = occs.iter().any(|o| o.ambiguous);
        if any_ambiguous {
            context.build(contexts, occs.iter().filter(|o| o.ambiguous).count());
        }
        rejected.clear();
        rejected.resize(occs.len(), false);
        // Taken spans, disjoint: each byte they cover holds the skill of its
        // occurrence (`AMBIGUOUS` for an ambiguous one), and an occurrence
        // over a held byte is skipped.
        // Every byte is FREE between calls: only grow the map.
        if spans.len() < t.len() {
            spans.resize(t.len(), FREE);
        }
        taken.clear();
        loop {
            for &i in taken.iter() {
                spans[occs[i].start..occs[i].end].fill(FREE);
            }
            taken.clear();
            for (i, o) in occs.iter().enumerate() {
                let covered = &mut spans[o.start..o.end];
                if rejected[i] || covered.iter().any(|&b| b != FREE) {
                    continue;
                }
                covered.fill(if o.ambiguous { AMBIGUOUS } else { o.skill });
                taken.push(i);
            }
            if !any_ambiguous {
                break;
            }
            let mut changed = false;
            for &i in taken.iter() {
                let o = occs[i];
                if !o.ambiguous {
                    continue;
                }
                // A span is within `w` of `o` when it starts at most `w`
                // after o's end and ends at most `w` before o's start.
                let by_context = context.reaches(
                    o.skill,
                    o.end + CONTEXT_WINDOW,
                    o.start.saturating_sub(CONTEXT_WINDOW),
                );
                // An unambiguous taken occurrence of another skill within
                // the window covers a byte from `o.start - w - 1` (it ends
                // `w` before) to `o.end + w` (it starts `w` after).
                let by_neighbour = || {
                    let from = o.start.saturating_sub(NEIGHBOUR_WINDOW + 1);
                    let to = (o.end + NEIGHBOUR_WINDOW + 1).min(spans.len());
                    spans[from..to]
                        .iter()
                        .any(|&k| k != FREE && k != AMBIGUOUS && k != o.skill)
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
        for &i in taken.iter() {
            spans[occs[i].start..occs[i].end].fill(FREE);
        }
        // Direct skills, then the closure of `implies` minus the direct ones.
        if mark.len() != self.ids.len() || *stamp == u32::MAX {
            mark.clear();
            mark.resize(self.ids.len(), 0);
            *stamp = 0;
        }
        *stamp += 1;
        let stamp = *stamp;
        direct.clear();
        for &i in taken.iter() {
            let k = occs[i].skill;
            if mark[k as usize] != stamp {
                mark[k as usize] = stamp;
                direct.push(k);
            }
        }
        implied.clear();
        for &k in direct.iter() {
            for &j in &self.closure[k as usize] {
                if mark[j as usize] != stamp {
                    mark[j as usize] = stamp;
                    implied.push(j);
                }
            }
        }
        SkillMatches {
            skills: self.names(direct),
            implied: self.names(implied),
        }
    }

    /// Ids of `skills` (distinct), sorted.
    fn names(&self, skills: &mut [u32]) -> Vec<&str> {
        for k in skills.iter_mut() {
            *k = self.name_rank[*k as usize];
        }
        skills.sort_unstable();
        skills
            .iter()
            .map(|&r| self.ids[self.by_name[r as usize] as usize].as_str())
            .collect()
    }

    /// Runs the anchored automaton from every position where a pattern may
    /// start (see [`SkillMatcher`]) and collects the candidates.
    #[inline]
    fn scan<A: Automaton>(&self, automaton: &A, t: &str, hits: &mut Hits) {
        let Ok(start) = automaton.start_state(Anchored::Yes) else {
            return;
        };
        let bytes = t.as_bytes();
        let mut prev_word = false;
        let mut i = 0;
        while i < bytes.len() {
            if prev_word {
                // Inside a word only a byte starting a symbol-led pattern or
                // a byte that is not an ASCII word byte matters.
                while i < bytes.len() && !self.in_word_stop[usize::from(bytes[i])] {
                    i += 1;
                }
                if i == bytes.len() {
                    break;
                }
            }
            let b = bytes[i];
            if self.first[usize::from(b)] > u8::from(prev_word) {
                self.walk(automaton, start, t, i, hits);
            }
            if b < 0x80 {
                prev_word = is_ascii_word(b);
                i += 1;
            } else {
                let c = t[i..].chars().next().unwrap_or(' ');
                prev_word = is_word_char(c);
                i += c.len_utf8();
            }
        }
    }

    /// Walks the anchored automaton from `i` and collects every pattern that
    /// starts at `i`.
    #[inline]
    fn walk<A: Automaton>(
        &self,
        automaton: &A,
        start: StateID,
        t: &str,
        i: usize,
        hits: &mut Hits,
    ) {
        let mut sid = start;
        for (j, &c) in t.as_bytes()[i..].iter().enumerate() {
            sid = automaton.next_state(Anchored::Yes, sid, c);
            if automaton.is_special(sid) {
                if automaton.is_dead(sid) {
                    break;
                }
                if automaton.is_match(sid) {
                    let len = j + 1;
                    for m in 0..automaton.match_len(sid) {
                        let pid = automaton.match_pattern(sid, m).as_usize();
                        let (p, plen) = self.automaton_ids[pid];
                        // Matches of patterns that are suffixes of the
                        // walked text start later: found from there.
                        if plen as usize == len {
                            self.collect(t, p, i, i + len, hits);
                            break;
                        }
                    }
                }
            }
        }
    }
}

/// Per-thread buffers reused across [`SkillMatcher::find`] calls.
#[derive(Default)]
struct Scratch {
    fold: FoldBuffers,
    hits: Hits,
    rejected: Vec<bool>,
    taken: Vec<usize>,
    /// Per byte of the folded text: the skill of the taken occurrence
    /// covering it, [`AMBIGUOUS`] or [`FREE`]; all [`FREE`] between calls.
    spans: Vec<u32>,
    excluded: SpanIndex,
    context: SpanIndex,
    direct: Vec<u32>,
    implied: Vec<u32>,
    /// Per skill: `stamp` of the last call that saw it (direct or implied).
    mark: Vec<u32>,
    stamp: u32,
}

/// Whether `text[start..start + other.len()]` equals `other` with the same
/// case flags (see [`FoldedText::same_case`]).
fn same_case(text: &[u8], upper: &[bool], start: usize, other: &FoldedText) -> bool {
    let end = start + other.len();
    text.get(start..end) == Some(other.as_str().as_bytes())
        && upper.get(start..end) == Some(other.upper_flags())
}

/// Raw automaton hits of one posting, by role.
#[derive(Default)]
struct Hits {
    occs: Vec<Occ>,
    excludes: Vec<PhraseHit>,
    contexts: Vec<PhraseHit>,
}

impl Hits {
    fn clear(&mut self) {
        self.occs.clear();
        self.excludes.clear();
        self.contexts.clear();
    }
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

/// A byte of the folded text no taken occurrence covers.
const FREE: u32 = u32::MAX;
/// A byte an ambiguous taken occurrence covers.
const AMBIGUOUS: u32 = u32::MAX - 1;

/// Spans of each skill (exclusion or context phrases), answering "has skill
/// `k` a span starting at or before `x` and ending at or after `y`?": by a
/// scan when there are few spans or few questions (the usual case: sorting
/// costs more than it saves), else by a binary search.
#[derive(Default)]
struct SpanIndex {
    /// The spans; once sorted (by skill, then start), each one's `reach` is
    /// the latest end among this skill's spans starting at or before its
    /// start.
    entries: Vec<SkillSpan>,
    sorted: bool,
}

/// One span of [`SpanIndex`]. Fields in sort order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
struct SkillSpan {
    skill: u32,
    start: usize,
    /// The span's end, then (sorted) the latest end of the skill's spans so far.
    reach: usize,
}

impl SpanIndex {
    /// Indexes `spans` for about `questions` calls of [`SpanIndex::reaches`].
    fn build(&mut self, spans: &[PhraseHit], questions: usize) {
        self.entries.clear();
        self.entries.extend(spans.iter().map(|h| SkillSpan {
            skill: h.skill,
            start: h.start,
            reach: h.end,
        }));
        // Sorting n spans costs about n log n; scanning them for each
        // question costs n each: sort when questions outnumber ~8 log n.
        self.sorted = self.entries.len() > 32 && questions > 128;
        if !self.sorted {
            return;
        }
        self.entries.sort_unstable();
        let mut previous: Option<(u32, usize)> = None;
        for entry in &mut self.entries {
            if let Some((skill, latest)) = previous.filter(|(k, _)| *k == entry.skill) {
                entry.reach = entry.reach.max(latest);
                previous = Some((skill, entry.reach));
            } else {
                previous = Some((entry.skill, entry.reach));
            }
        }
    }

    fn reaches(&self, skill: u32, x: usize, y: usize) -> bool {
        if !self.sorted {
            return self
                .entries
                .iter()
                .any(|e| e.skill == skill && e.start <= x && e.reach >= y);
        }
        let end = self
            .entries
            .partition_point(|e| (e.skill, e.start) <= (skill, x));
        end > 0 && {
            let last = self.entries[end - 1];
            last.skill == skill && last.reach >= y
        }
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
