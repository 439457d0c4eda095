//! The folding as first written (before the fast paths), kept to check that
//! [`super::fold`] produces exactly the same output.

use unicode_normalization::char::{decompose_canonical, is_combining_mark};
use unicode_normalization::UnicodeNormalization;

use super::tables::{is_invisible, special};
use super::FoldedText;

/// Folds `input` (see the module documentation for the exact steps).
pub(super) fn fold(s: &str) -> FoldedText {
    let mut folder = Folder {
        text: Vec::with_capacity(s.len()),
        upper: Vec::with_capacity(s.len()),
        pending_space: false,
    };
    let bytes = s.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        if b.is_ascii() {
            folder.push_ascii(b);
            i += 1;
        } else {
            // A maximal run of non-ASCII characters goes through NFKC together
            // so that composition inside the run is right.
            let start = i;
            while i < bytes.len() && !bytes[i].is_ascii() {
                i += 1;
            }
            let run = &s[start..i];
            for c in run.nfkc() {
                folder.push_char(c);
            }
        }
    }
    FoldedText {
        text: String::from_utf8(folder.text).expect("folding only emits whole UTF-8 characters"),
        upper: folder.upper,
    }
}

struct Folder {
    text: Vec<u8>,
    upper: Vec<bool>,
    pending_space: bool,
}

impl Folder {
    #[inline]
    fn emit_space_if_pending(&mut self) {
        if self.pending_space {
            if !self.text.is_empty() {
                self.text.push(b' ');
                self.upper.push(false);
            }
            self.pending_space = false;
        }
    }

    #[inline(always)]
    fn push_ascii(&mut self, b: u8) {
        if b.is_ascii_whitespace() || b == 0x0b {
            self.pending_space = true;
            return;
        }
        if b.is_ascii_control() {
            return;
        }
        self.emit_space_if_pending();
        self.text.push(b.to_ascii_lowercase());
        self.upper.push(b.is_ascii_uppercase());
    }

    fn push_str(&mut self, s: &str, upper: bool) {
        self.emit_space_if_pending();
        self.text.extend_from_slice(s.as_bytes());
        self.upper.extend(std::iter::repeat_n(upper, s.len()));
    }

    fn push_char(&mut self, c: char) {
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
        let mut parts: Vec<char> = Vec::new();
        decompose_canonical(c, |d| {
            if !is_combining_mark(d) {
                parts.push(d);
            }
        });
        for d in parts {
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
