//! Keys that recognise the same posting twice.
//!
//! - The **content hash** ([`crate::domain::content_hash`], kept with the
//!   posting because the store recomputes it) covers everything that affects
//!   counts (title, text, places, tags, dates, remote flag): when a re-seen
//!   posting's hash changes, its old contributions are removed and the new
//!   ones added.
//! - The **fingerprint** recognises the same job published on two sources:
//!   the folded company name, the title without gender/noise markers such as
//!   "(H/F)", "F/H", "(m/w/d)", "(M/F)", and the first département.

use xxhash_rust::xxh3::Xxh3;

use super::text;

/// Title markers that say nothing about the job ("(H/F)", "m/w/d", …),
/// compared on folded text (lowercase, no accents).
const TITLE_NOISE: &[&str] = &[
    "(h/f)",
    "(f/h)",
    "h/f",
    "f/h",
    "(h/f/x)",
    "(f/h/x)",
    "h/f/x",
    "f/h/x",
    "(m/f)",
    "(f/m)",
    "m/f",
    "(m/w/d)",
    "(w/m/d)",
    "m/w/d",
    "w/m/d",
    "(m/f/d)",
    "m/f/d",
    "(h/f/n)",
    "(x/f/h)",
    "(hf)",
    "(fh)",
    "h-f",
    "f-h",
    "(e)",
    "(all genders)",
    "(tous genres)",
    "cdi",
    "cdd",
];

/// The cross-source duplicate key of a posting.
pub fn fingerprint(company: &str, title: &str, department: Option<&str>) -> u64 {
    let mut hasher = Xxh3::new();
    hasher.update(fold_words(company, &[]).as_bytes());
    hasher.update(&[0]);
    hasher.update(fold_words(title, TITLE_NOISE).as_bytes());
    hasher.update(&[0]);
    hasher.update(department.unwrap_or("").as_bytes());
    hasher.digest()
}

/// Lowercase, accent-free words of `s`, joined by single spaces, with the
/// `noise` tokens and punctuation-only tokens removed.
fn fold_words(s: &str, noise: &[&str]) -> String {
    let folded = text::fold(s);
    let mut out = String::with_capacity(s.len());
    for word in folded
        .as_str()
        .split(|c: char| c.is_whitespace() || c == ',' || c == '-' || c == '–')
    {
        let word = word.trim_matches(|c: char| matches!(c, '.' | ';' | ':' | '!' | '|'));
        if word.is_empty() || noise.contains(&word) || !word.chars().any(char::is_alphanumeric) {
            continue;
        }
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(word);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gender_markers_and_case_do_not_change_the_fingerprint() {
        let a = fingerprint("ACME SAS", "Développeur Rust (H/F)", Some("FR-75"));
        let b = fingerprint("Acme SAS", "Developpeur Rust - F/H", Some("FR-75"));
        let c = fingerprint("acme sas", "DÉVELOPPEUR RUST (m/w/d)", Some("FR-75"));
        assert_eq!(a, b);
        assert_eq!(a, c);
    }

    #[test]
    fn different_place_or_title_changes_the_fingerprint() {
        let a = fingerprint("Acme", "Développeur Rust", Some("FR-75"));
        assert_ne!(a, fingerprint("Acme", "Développeur Rust", Some("FR-69")));
        assert_ne!(a, fingerprint("Acme", "Développeur Go", Some("FR-75")));
        assert_ne!(a, fingerprint("Other", "Développeur Rust", Some("FR-75")));
    }
}
