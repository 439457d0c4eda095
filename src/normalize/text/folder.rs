//! The folder's writer: steps 3 to 6 of the folding for one character at a
//! time (the general path), and for runs of non-ASCII characters through the
//! precomputed table when that gives the same result.

use unicode_normalization::char::{decompose_canonical, is_combining_mark};

use super::ascii::{ASCII_CLASS, PLAIN, SPACE};
use super::tables::{is_invisible, special, CharFold, CharTable};

/// The folder's output and state: folded bytes, their case flags, and
/// whether whitespace waits to be written (as one space, never at the ends).
pub(super) struct Folder<'a> {
    /// Folded text.
    pub(super) text: &'a mut Vec<u8>,
    /// Per-byte "was uppercase" flags, parallel to `text`.
    pub(super) upper: &'a mut Vec<bool>,
    /// Whitespace was seen since the last byte written.
    pub(super) pending_space: bool,
}

impl Folder<'_> {
    /// Writes the pending space, unless nothing was written yet.
    #[inline]
    pub(super) fn emit_space_if_pending(&mut self) {
        if self.pending_space {
            if !self.text.is_empty() {
                self.text.push(b' ');
                self.upper.push(false);
            }
            self.pending_space = false;
        }
    }

    /// Folds one ASCII byte: lowercased, whitespace pending, control
    /// bytes dropped.
    #[inline(always)]
    pub(super) fn push_ascii(&mut self, b: u8) {
        match ASCII_CLASS[usize::from(b & 0x7f)] {
            PLAIN => {
                self.emit_space_if_pending();
                self.text.push(b.to_ascii_lowercase());
                self.upper.push(b.is_ascii_uppercase());
            }
            SPACE => self.pending_space = true,
            _ => {}
        }
    }

    /// Writes a folded string whose characters all get the case `upper`.
    fn push_str(&mut self, s: &str, upper: bool) {
        self.emit_space_if_pending();
        self.text.extend_from_slice(s.as_bytes());
        self.upper.extend(std::iter::repeat_n(upper, s.len()));
    }

    /// Folds a run of non-ASCII characters with the precomputed per-char
    /// table when that gives the same result as NFKC over the whole run:
    /// every char is in the table and every char after the first starts
    /// (canonically decomposed) with a starter that composes with nothing
    /// before it. Returns `false` (nothing pushed) otherwise.
    #[inline]
    pub(super) fn push_run_fast(&mut self, table: &CharTable, run: &str) -> bool {
        let mut first = true;
        for c in run.chars() {
            match table.get(c) {
                Some(e) if e.valid && (first || e.safe_start) => first = false,
                _ => return false,
            }
        }
        for c in run.chars() {
            if let Some(e) = table.get(c) {
                self.apply(e);
            }
        }
        true
    }

    /// Writes what the table says one char folds to.
    #[inline]
    fn apply(&mut self, e: &CharFold) {
        for k in 0..usize::from(e.len) {
            let b = e.bytes[k];
            if b == b' ' {
                self.pending_space = true;
            } else {
                self.emit_space_if_pending();
                self.text.push(b);
                self.upper.push(e.upper & (1 << k) != 0);
            }
        }
        if e.trailing_space {
            self.pending_space = true;
        }
    }

    /// Folds one char of NFKC output by the general path: whitespace,
    /// fixed spellings, invisible characters, then canonical decomposition
    /// without combining marks, lowercased.
    pub(super) fn push_char(&mut self, c: char) {
        if c.is_ascii() {
            self.push_ascii(c as u8);
            return;
        }
        if c.is_whitespace() {
            self.pending_space = true;
            return;
        }
        let upper = c.is_uppercase();
        if let Some(mapped) = special(c) {
            if mapped.trim().is_empty() {
                self.pending_space |= !mapped.is_empty();
                return;
            }
            self.push_str(mapped, upper);
            return;
        }
        if is_invisible(c) || c.is_control() {
            return;
        }
        // Canonical decompositions have at most 4 chars; `extra` never
        // allocates in practice.
        let mut parts = ['\0'; 8];
        let mut n = 0;
        let mut extra: Vec<char> = Vec::new();
        decompose_canonical(c, |d| {
            if !is_combining_mark(d) {
                if n < parts.len() {
                    parts[n] = d;
                    n += 1;
                } else {
                    extra.push(d);
                }
            }
        });
        for &d in parts[..n].iter().chain(extra.iter()) {
            if let Some(mapped) = special(d) {
                self.push_str(mapped, upper);
                continue;
            }
            for l in d.to_lowercase() {
                if is_combining_mark(l) {
                    continue;
                }
                let mut buf = [0u8; 4];
                self.push_str(l.encode_utf8(&mut buf), upper);
            }
        }
    }
}
