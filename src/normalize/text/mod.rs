//! Text folding shared by the matchers.
//!
//! [`fold`] turns posting text into a canonical form that is compared byte
//! for byte against equally folded keywords. Its input is plain text: HTML
//! and character references were turned into text once, by `extract`, when
//! the posting was read (`RawPosting::into_plain_text`; see the invariant
//! "Postings leave extract as plain text" in ARCHITECTURE.md). Markup that
//! reaches the folder anyway is folded as the characters it is made of.
//!
//! 1. Unicode NFKC (ligatures, full-width forms, no-break spaces …).
//! 2. Diacritics are removed (canonical decomposition, combining marks dropped)
//!    and a few letters without a decomposition are spelled out (`œ`→`oe`,
//!    `æ`→`ae`, `ß`→`ss`, `ø`→`o`, `ł`→`l`, `đ`→`d`, `þ`→`th`).
//! 3. Lowercase (full Unicode, so `SÉCURITÉ` → `securite`).
//! 4. Typographic apostrophes and primes become `'`, dashes and minus signs
//!    become `-`, typographic quotes and guillemets become `"`.
//! 5. Every run of whitespace becomes one ASCII space; leading and trailing
//!    whitespace is dropped. Invisible format characters (soft hyphen,
//!    zero-width space, BOM …) are dropped.
//!
//! For every output byte the folder keeps whether the character it came from
//! was uppercase, so case-sensitive rules ("Go" but not "go") can be checked on
//! the folded text; see [`FoldedText::is_upper`] and [`FoldedText::same_case`].
//!
//! The code follows the steps' cost: `ascii.rs` the fast path for ASCII
//! (eight bytes at a time while there is nothing to do but lowercase),
//! `tables.rs` the per-char table of common non-ASCII characters and the
//! fixed spellings, `folder.rs` the general path that computes the table
//! and folds whatever the table does not cover. `reference.rs` is the
//! folding as first written, which the tests compare the fast paths with.

mod ascii;
mod folder;
mod tables;

use unicode_normalization::UnicodeNormalization;

use folder::Folder;
use tables::char_table;
pub(crate) use tables::special;

/// Folded text plus per-byte case information.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FoldedText {
    text: String,
    upper: Vec<bool>,
}

impl FoldedText {
    /// The folded text.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// Length of the folded text in bytes.
    pub fn len(&self) -> usize {
        self.text.len()
    }

    /// Whether the folded text is empty.
    pub fn is_empty(&self) -> bool {
        self.text.is_empty()
    }

    /// Whether the character that produced the folded byte at `byte` was
    /// uppercase in the original text. Out-of-range positions are `false`.
    pub fn is_upper(&self, byte: usize) -> bool {
        self.upper.get(byte).copied().unwrap_or(false)
    }

    /// Per-byte "was uppercase" flags, parallel to [`FoldedText::as_str`].
    pub fn upper_flags(&self) -> &[bool] {
        &self.upper
    }

    /// Reconstructs an approximation of the original spelling of
    /// `self.as_str()[range]`: folded characters whose source was uppercase
    /// are uppercased again. Returns `None` if `range` is not a valid char
    /// range of the folded text.
    pub fn original_case(&self, range: std::ops::Range<usize>) -> Option<String> {
        let slice = self.text.get(range.clone())?;
        let mut out = String::with_capacity(slice.len());
        for (i, c) in slice.char_indices() {
            if self.is_upper(range.start + i) {
                out.extend(c.to_uppercase());
            } else {
                out.push(c);
            }
        }
        Some(out)
    }

    /// Whether `self.as_str()[start..start + other.len()]` equals `other`
    /// byte for byte *and* has the same per-byte case flags, i.e. the
    /// original text spelled that span exactly like `other` was spelled
    /// (modulo accents and typography).
    pub fn same_case(&self, start: usize, other: &FoldedText) -> bool {
        let end = start + other.len();
        self.text.as_bytes().get(start..end) == Some(other.text.as_bytes())
            && self.upper.get(start..end) == Some(other.upper.as_slice())
    }

    /// Consumes the value and returns the folded text.
    pub fn into_string(self) -> String {
        self.text
    }
}

impl AsRef<str> for FoldedText {
    fn as_ref(&self) -> &str {
        &self.text
    }
}

/// Folds `input` (see the module documentation for the exact steps).
pub fn fold(input: &str) -> FoldedText {
    let mut buffers = FoldBuffers::default();
    fold_into(input, &mut buffers);
    FoldedText {
        text: String::from_utf8(buffers.text).expect("folding only emits whole UTF-8 characters"),
        upper: buffers.upper,
    }
}

/// Reusable buffers for [`fold_into`]: the folded bytes and case flags (same
/// content as [`FoldedText`]).
#[derive(Debug, Default)]
pub(crate) struct FoldBuffers {
    /// Folded text (always valid UTF-8 after [`fold_into`]).
    pub(crate) text: Vec<u8>,
    /// Per-byte "was uppercase" flags, parallel to `text`.
    pub(crate) upper: Vec<bool>,
}

/// Folds `input` into `out`, reusing its allocations. Produces exactly what
/// [`fold`] produces.
pub(crate) fn fold_into(input: &str, out: &mut FoldBuffers) {
    out.text.clear();
    out.upper.clear();
    out.text.reserve(input.len());
    out.upper.reserve(input.len());
    let mut folder = Folder {
        text: &mut out.text,
        upper: &mut out.upper,
        pending_space: false,
    };
    let table = char_table();
    let bytes = input.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] < 0x80 {
            i = folder.push_ascii_from(bytes, i);
        } else {
            // A maximal run of non-ASCII characters goes through NFKC together
            // so that composition inside the run is right.
            let start = i;
            while i < bytes.len() && bytes[i] >= 0x80 {
                i += 1;
            }
            let run = &input[start..i];
            if !folder.push_run_fast(table, run) {
                for c in run.nfkc() {
                    folder.push_char(c);
                }
            }
        }
    }
}

/// The folding as first written, kept to check [`fold`] against.
#[cfg(test)]
pub(crate) mod reference;

#[cfg(test)]
mod tests;
