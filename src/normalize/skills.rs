//! Skill taxonomy and skill matcher.
//!
//! The taxonomy (`data/skills.toml`, embedded in the binary, format described
//! in `data/SKILLS.md`) lists skills and certifications with their spellings.
//! [`Taxonomy`] loads and validates it; [`SkillMatcher`] finds skills in raw
//! posting text. Everything here is pure: no I/O at run time.
//!
//! # Matching semantics
//!
//! 1. **Folding.** The posting and every form of the taxonomy are folded with
//!    [`crate::normalize::text::fold`] (plain text, as extract hands it
//!    over: NFKC, no diacritics,
//!    lowercase, typographic punctuation to ASCII, whitespace runs to one
//!    space). The folder keeps a per-byte "was uppercase" flag.
//! 2. **One automaton.** A single Aho-Corasick automaton
//!    (`MatchKind::Standard`) holds every alias, ambiguous form, exclude phrase
//!    and context word; every occurrence, overlapping ones included, is a
//!    candidate. One pattern may play several roles (an alias of one skill can
//!    be a context word of another). The automaton is run *anchored*, from each
//!    position where the start rule of step 3 can hold (word starts) and from
//!    each position holding the first byte of a pattern that starts with a
//!    symbol (`.net`): this yields exactly the candidates that an unanchored
//!    overlapping search followed by the start-boundary check would give.
//! 3. **Word boundaries** (on the folded text). A skill form or exclude phrase
//!    occurrence `[s, e)` is *bounded* when:
//!    - the char before `s` (if any) is not alphanumeric (Unicode) nor `_`;
//!    - the char after `e` (if any) is not alphanumeric nor `_` nor `#`, and it
//!      is not a `+` when the form itself ends with `+` or when another `+`
//!      follows (so `c++` does not match in `c+++`, `c` does not match in `c++`
//!      or `c#`).
//!
//!    Consequences: `.net` needs a non-alphanumeric char before its dot, so it
//!    does not match inside `asp.net` or `vb.net` (those are aliases of their
//!    own skills: `aspnet` implies `dotnet`, `vbnet` requires it); `java` does not match in `javascript`;
//!    a sentence-final dot (`Python.`), a hyphen (`spark-submit`), a slash
//!    (`C/C++`) or an apostrophe are boundaries. Context words need the same
//!    boundaries, except that one written with a trailing `*` in the file is a
//!    prefix and needs none at its end: `statisti*` matches `statistiques`;
//!    `rest` does not match `restaurant`.
//! 4. **Exclusion.** A skill occurrence (ambiguous or not) is dropped when a
//!    bounded `exclude` phrase *of the same skill* covers its whole span
//!    (`chef de projet` covers `chef`, `r&d` covers `r`).
//! 5. **Case.** An occurrence of an *ambiguous* form whose skill has a
//!    non-empty `case` list is dropped unless the original text spells the span
//!    exactly like one of the `case` entries (accents aside): with
//!    `case = ["Go", "GO"]`, "Go" and "GO" pass, "go" does not.
//! 6. **Longest valid wins.** Among the surviving occurrences, overlapping
//!    ones are resolved by taking the longest first (ties: leftmost, then the
//!    earlier skill in the file); an occurrence that overlaps an already taken
//!    one is dropped. Occurrences that failed the boundary, exclusion or case
//!    checks never take part, so they cannot hide a shorter valid one (`sap fi`
//!    in "sap field" does not hide `sap`).
//! 7. **Context** for ambiguous forms. A taken ambiguous occurrence `[s, e)` is
//!    confirmed when either
//!    - a context word of the same skill occurs with a gap of at most
//!      [`CONTEXT_WINDOW`] bytes of folded text from the span (the context
//!      occurrence lies entirely inside `[s - 100, e + 100)`), or
//!    - a taken *unambiguous* occurrence of another skill lies with a gap of at
//!      most [`NEIGHBOUR_WINDOW`] bytes (lists such as "Python, R, SQL").
//!
//!    Unconfirmed ambiguous occurrences are removed and step 6 is re-run
//!    without them (so they do not hide anything either), until stable.
//! 8. **Result.** Each skill counts once per posting. `skills` holds the
//!    directly matched ids; `implied` the transitive closure of `implies` over
//!    them minus the direct ones. Both are sorted. `requires` (prerequisites)
//!    plays no part in matching: a posting naming Django counts `django`, not
//!    `python`.

#[path = "skills/matcher.rs"]
mod matcher;
#[path = "skills/taxonomy.rs"]
mod taxonomy;

#[cfg(test)]
#[path = "skills/eval_tests.rs"]
mod eval_tests;
#[cfg(test)]
#[path = "skills/reference.rs"]
#[allow(dead_code)]
mod reference;
#[cfg(test)]
#[path = "skills/tests.rs"]
mod tests;

use std::fmt;
use std::str::FromStr;

pub use matcher::{SkillMatcher, CONTEXT_WINDOW, NEIGHBOUR_WINDOW};
pub use taxonomy::Taxonomy;

/// The taxonomy bundled with the binary.
pub const BUNDLED_TOML: &str = include_str!("../../data/skills.toml");

/// Origin name used in error messages for the bundled taxonomy.
pub const BUNDLED_ORIGIN: &str = "data/skills.toml";

/// Skill category.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "kebab-case")]
pub enum Category {
    /// Programming, query and markup languages.
    Language,
    /// Libraries and frameworks (web, mobile, testing, build).
    Framework,
    /// Databases, search engines and data stores.
    Database,
    /// Operating systems and distributions.
    Os,
    /// Clouds, containers, orchestration, virtualisation, servers, messaging.
    Platform,
    /// CI/CD, forges, IaC, configuration management, observability.
    Devops,
    /// Data engineering, analytics, machine learning and AI.
    DataAi,
    /// Security tooling and practices.
    Security,
    /// Practices and methods (open source, agile, CI/CD …).
    Practice,
    /// Certifications.
    Certification,
}

impl Category {
    /// All categories, in declaration order.
    pub const ALL: [Category; 10] = [
        Category::Language,
        Category::Framework,
        Category::Database,
        Category::Os,
        Category::Platform,
        Category::Devops,
        Category::DataAi,
        Category::Security,
        Category::Practice,
        Category::Certification,
    ];

    /// The kebab-case name used in the taxonomy file.
    pub fn as_str(self) -> &'static str {
        match self {
            Category::Language => "language",
            Category::Framework => "framework",
            Category::Database => "database",
            Category::Os => "os",
            Category::Platform => "platform",
            Category::Devops => "devops",
            Category::DataAi => "data-ai",
            Category::Security => "security",
            Category::Practice => "practice",
            Category::Certification => "certification",
        }
    }
}

impl fmt::Display for Category {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Error returned by [`Category::from_str`] for an unknown name.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown category \"{0}\"")]
pub struct UnknownCategory(pub String);

impl FromStr for Category {
    type Err = UnknownCategory;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Category::ALL
            .into_iter()
            .find(|c| c.as_str() == s)
            .ok_or_else(|| UnknownCategory(s.to_string()))
    }
}

/// One skill or certification of the taxonomy, as written in the file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Skill {
    /// Stable kebab-case identifier (`python`, `cpp`, `rhcsa`).
    pub id: String,
    /// Human-readable name.
    pub label: String,
    /// Category.
    pub category: Category,
    /// Forms always counted when found on word boundaries.
    pub aliases: Vec<String>,
    /// Ids of the skill's *families*: skills a posting asks for by naming
    /// this one (RHEL → Linux, OpenShift → Kubernetes). Counted, transitively,
    /// as implied skills.
    pub implies: Vec<String>,
    /// Ids of the skill's *prerequisites*: skills it is built on, written in
    /// or used through (Django → Python, React → JavaScript). Shown in the
    /// listings, never counted.
    pub requires: Vec<String>,
    /// Issuing body (certifications only).
    pub issuer: Option<String>,
    /// Level (certifications only): foundational, associate, professional,
    /// expert or specialist.
    pub level: Option<String>,
    /// Forms counted only when confirmed (case, context, exclusions).
    pub ambiguous: Vec<String>,
    /// Exact-case spellings required for ambiguous forms (empty: any case).
    pub case: Vec<String>,
    /// Words confirming an ambiguous form when found nearby.
    pub context: Vec<String>,
    /// Phrases that reject a match of this skill when they cover it.
    pub exclude: Vec<String>,
    /// Rationale of the rules.
    pub note: Option<String>,
}

/// Skills found in one posting, as ids borrowed from the matcher (no
/// allocation per id; callers copy what they keep).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SkillMatches<'a> {
    /// Ids of skills matched directly, sorted.
    pub skills: Vec<&'a str>,
    /// Ids of skills implied by the direct ones (transitively) and not matched
    /// directly, sorted.
    pub implied: Vec<&'a str>,
}

/// Error loading a taxonomy.
#[derive(Debug, thiserror::Error)]
pub enum TaxonomyError {
    /// The file is not valid TOML.
    #[error("{origin}: invalid TOML: {message}")]
    Syntax {
        /// Where the taxonomy came from (file name).
        origin: String,
        /// Parser message.
        message: String,
    },
    /// The file parsed but breaks the format rules; every problem is listed.
    #[error("{}", display_problems(origin, problems))]
    Invalid {
        /// Where the taxonomy came from (file name).
        origin: String,
        /// One message per problem, each naming the entry.
        problems: Vec<String>,
    },
}

fn display_problems(origin: &str, problems: &[String]) -> String {
    problems
        .iter()
        .map(|p| format!("{origin}: {p}"))
        .collect::<Vec<_>>()
        .join("\n")
}
