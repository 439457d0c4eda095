//! Text folding shared by the matchers.
//!
//! [`fold`] turns raw posting text (possibly HTML, possibly HTML-escaped HTML as
//! some job boards serve it) into a canonical form that is compared byte for
//! byte against equally folded keywords:
//!
//! 1. HTML: tags (`<p>`, `</li>`, `<br/>`, `<!-- … -->`) are replaced by a space
//!    and character references (`&amp;`, `&eacute;`, `&#39;`, `&#x2019;`) are
//!    decoded. This runs twice so that escaped markup (`&lt;p&gt;`) is removed as
//!    well. A `<` that is not followed by a letter, `/`, `!` or `?` is text.
//! 2. Unicode NFKC (ligatures, full-width forms, no-break spaces …).
//! 3. Diacritics are removed (canonical decomposition, combining marks dropped)
//!    and a few letters without a decomposition are spelled out (`œ`→`oe`,
//!    `æ`→`ae`, `ß`→`ss`, `ø`→`o`, `ł`→`l`, `đ`→`d`, `þ`→`th`).
//! 4. Lowercase (full Unicode, so `SÉCURITÉ` → `securite`).
//! 5. Typographic apostrophes and primes become `'`, dashes and minus signs
//!    become `-`, typographic quotes and guillemets become `"`.
//! 6. Every run of whitespace becomes one ASCII space; leading and trailing
//!    whitespace is dropped. Invisible format characters (soft hyphen,
//!    zero-width space, BOM …) are dropped.
//!
//! For every output byte the folder keeps whether the character it came from
//! was uppercase, so case-sensitive rules ("Go" but not "go") can be checked on
//! the folded text; see [`FoldedText::is_upper`] and [`FoldedText::same_case`].

use unicode_normalization::char::{
    canonical_combining_class, decompose_canonical, is_combining_mark,
};
use unicode_normalization::UnicodeNormalization;

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
/// content as [`FoldedText`]) plus the scratch strings of the HTML passes.
#[derive(Debug, Default)]
pub(crate) struct FoldBuffers {
    /// Folded text (always valid UTF-8 after [`fold_into`]).
    pub(crate) text: Vec<u8>,
    /// Per-byte "was uppercase" flags, parallel to `text`.
    pub(crate) upper: Vec<bool>,
    html: String,
    spare: String,
}

/// Folds `input` into `out`, reusing its allocations. Produces exactly what
/// [`fold`] produces.
pub(crate) fn fold_into(input: &str, out: &mut FoldBuffers) {
    out.text.clear();
    out.upper.clear();
    let mut cur = std::mem::take(&mut out.html);
    let mut spare = std::mem::take(&mut out.spare);
    let mut owned = false;
    for _ in 0..2 {
        let s: &str = if owned { &cur } else { input };
        if s.as_bytes().contains(&b'<') {
            spare.clear();
            strip_tags_into(s, &mut spare);
            std::mem::swap(&mut cur, &mut spare);
            owned = true;
        }
        let s: &str = if owned { &cur } else { input };
        if s.as_bytes().contains(&b'&') {
            spare.clear();
            html_escape::decode_html_entities_to_string(s, &mut spare);
            std::mem::swap(&mut cur, &mut spare);
            owned = true;
        }
    }
    let s: &str = if owned { &cur } else { input };
    fold_plain(s, &mut out.text, &mut out.upper);
    out.html = cur;
    out.spare = spare;
}

/// Steps 2–6 of the folding (no HTML handling).
fn fold_plain(s: &str, text: &mut Vec<u8>, upper: &mut Vec<bool>) {
    text.reserve(s.len());
    upper.reserve(s.len());
    let mut folder = Folder {
        text,
        upper,
        pending_space: false,
    };
    let table = char_table();
    let bytes = s.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        if b < 0x80 {
            if let Some(chunk) = bytes.get(i..i + 8) {
                let x = u64::from_le_bytes(chunk.try_into().expect("8 bytes"));
                let bad = chunk_breaks(x);
                // Lowercase and case flags (no carry leaves an ASCII byte,
                // so they are right for every byte before the first break).
                let up = (x.wrapping_add(0x3f3f_3f3f_3f3f_3f3f)
                    & !x.wrapping_add(0x2525_2525_2525_2525))
                    & HIGH_BITS;
                let lower = (x | (up >> 2)).to_le_bytes();
                let flags = (up >> 7).to_le_bytes();
                if bad == 0 {
                    // Printable ASCII and single inner spaces: the per-byte
                    // path would emit these 8 bytes lowercased, as they are.
                    folder.emit_space_if_pending();
                    folder.text.extend_from_slice(&lower);
                    folder.upper.extend(flags.iter().map(|&f| f != 0));
                    i += 8;
                    continue;
                }
                // Bytes before the first break are printable ASCII with
                // single inner spaces, the first one not a space: emit them
                // at once up to the last non-space one.
                let k = (bad.trailing_zeros() / 8) as usize;
                let m = if k > 0 && bytes[i + k - 1] == b' ' {
                    k - 1
                } else {
                    k
                };
                if m > 0 {
                    folder.emit_space_if_pending();
                    folder.text.extend_from_slice(&lower[..m]);
                    folder.upper.extend(flags[..m].iter().map(|&f| f != 0));
                }
                for &c in &bytes[i + m..i + k] {
                    folder.push_ascii(c);
                }
                i += k;
                if bytes[i] < 0x80 {
                    folder.push_ascii(bytes[i]);
                    i += 1;
                }
                continue;
            }
            folder.push_ascii(b);
            i += 1;
        } else {
            // A maximal run of non-ASCII characters goes through NFKC together
            // so that composition inside the run is right.
            let start = i;
            while i < bytes.len() && bytes[i] >= 0x80 {
                i += 1;
            }
            let run = &s[start..i];
            if !folder.push_run_fast(table, run) {
                for c in run.nfkc() {
                    folder.push_char(c);
                }
            }
        }
    }
}

const HIGH_BITS: u64 = 0x8080_8080_8080_8080;
const LOW_BITS: u64 = 0x0101_0101_0101_0101;

/// For 8 bytes read little-endian: a mask with the high bit set in (at
/// least) the first byte where the bulk ASCII path does not apply: a
/// non-ASCII byte, a control byte (whitespace included), DEL, a space at
/// either end, or the second of two adjacent spaces. Zero when the bulk path
/// applies.
#[inline(always)]
fn chunk_breaks(x: u64) -> u64 {
    let non_ascii = x & HIGH_BITS;
    let x7 = x & !HIGH_BITS;
    // Every partial sum stays below 0x100 per byte: no carries.
    let control = !(x7 + 0x60 * LOW_BITS) & HIGH_BITS;
    let del = (x7 + LOW_BITS) & HIGH_BITS;
    let y = x7 ^ (0x20 * LOW_BITS);
    let space = !(((y & !HIGH_BITS) + !HIGH_BITS) | y | !HIGH_BITS);
    let edges = 0x80 | (0x80 << 56);
    non_ascii | control | del | (space & (space << 8)) | (space & edges)
}

/// Position of the first `needle` byte in `hay[from..]`, scanning 8 bytes at
/// a time.
#[inline]
fn next_byte(hay: &[u8], from: usize, needle: u8) -> Option<usize> {
    let mut i = from;
    let pattern = u64::from(needle) * LOW_BITS;
    while let Some(chunk) = hay.get(i..i + 8) {
        let y = u64::from_le_bytes(chunk.try_into().expect("8 bytes")) ^ pattern;
        if (y.wrapping_sub(LOW_BITS) & !y & HIGH_BITS) != 0 {
            break;
        }
        i += 8;
    }
    hay.get(i..)?
        .iter()
        .position(|&b| b == needle)
        .map(|p| p + i)
}

struct Folder<'a> {
    text: &'a mut Vec<u8>,
    upper: &'a mut Vec<bool>,
    pending_space: bool,
}

/// ASCII byte classes for [`Folder::push_ascii`].
const PLAIN: u8 = 0;
const SPACE: u8 = 1;
const DROP: u8 = 2;
static ASCII_CLASS: [u8; 128] = {
    let mut t = [PLAIN; 128];
    let mut b = 0;
    while b < 128 {
        let byte = b as u8;
        t[b] = if byte.is_ascii_whitespace() || byte == 0x0b {
            SPACE
        } else if byte.is_ascii_control() {
            DROP
        } else {
            PLAIN
        };
        b += 1;
    }
    t
};

impl Folder<'_> {
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
    fn push_run_fast(&mut self, table: &CharTable, run: &str) -> bool {
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

/// The effect of folding one non-ASCII char on its own: output bytes (a
/// `b' '` stands for "whitespace pending"), their case flags, and whether a
/// whitespace is pending afterwards.
#[derive(Debug, Clone, Copy, Default)]
struct CharFold {
    valid: bool,
    /// The char's canonical decomposition starts with a starter that is never
    /// the second element of a composition (so NFKC of a run is the
    /// concatenation of NFKC of its chars when all but the first have this).
    safe_start: bool,
    trailing_space: bool,
    len: u8,
    upper: u16,
    bytes: [u8; 12],
}

/// Per-char folding of the non-ASCII chars common in postings: Latin-1,
/// Latin Extended A/B, IPA, spacing modifiers, combining diacritics
/// (U+0080–U+036F), general punctuation, currency and letterlike symbols
/// (U+2000–U+214F). Computed once with the general code path.
struct CharTable {
    low: Vec<CharFold>,
    high: Vec<CharFold>,
}

const LOW: std::ops::Range<u32> = 0x80..0x370;
const HIGH: std::ops::Range<u32> = 0x2000..0x2150;

impl CharTable {
    #[inline]
    fn get(&self, c: char) -> Option<&CharFold> {
        let u = c as u32;
        if LOW.contains(&u) {
            self.low.get((u - LOW.start) as usize)
        } else if HIGH.contains(&u) {
            self.high.get((u - HIGH.start) as usize)
        } else {
            None
        }
    }
}

fn char_table() -> &'static CharTable {
    static TABLE: std::sync::OnceLock<CharTable> = std::sync::OnceLock::new();
    TABLE.get_or_init(|| {
        let build = |range: std::ops::Range<u32>| -> Vec<CharFold> {
            range
                .map(|u| char::from_u32(u).map(char_fold).unwrap_or_default())
                .collect()
        };
        CharTable {
            low: build(LOW),
            high: build(HIGH),
        }
    })
}

/// Records what the general path does with `c` alone.
fn char_fold(c: char) -> CharFold {
    let mut text = vec![b'x'];
    let mut upper = vec![false];
    let mut rec = Folder {
        text: &mut text,
        upper: &mut upper,
        pending_space: false,
    };
    let mut buf = [0u8; 4];
    for d in c.encode_utf8(&mut buf).nfkc() {
        rec.push_char(d);
    }
    let trailing_space = rec.pending_space;
    let mut out = CharFold {
        trailing_space,
        ..CharFold::default()
    };
    let produced = &text[1..];
    if produced.len() > out.bytes.len() {
        return out;
    }
    out.bytes[..produced.len()].copy_from_slice(produced);
    out.len = produced.len() as u8;
    for (k, &u) in upper[1..].iter().enumerate() {
        if u {
            out.upper |= 1 << k;
        }
    }
    let first = c.encode_utf8(&mut buf).nfkd().next().unwrap_or(c);
    // Chars that can be the second element of a canonical composition and
    // are starters all lie at U+0900 or above (Indic vowel signs, Hangul
    // jamo …).
    out.safe_start = canonical_combining_class(first) == 0 && (first as u32) < 0x900;
    out.valid = true;
    out
}

/// Characters with a fixed ASCII spelling (or none, for the empty string).
pub(crate) fn special(c: char) -> Option<&'static str> {
    Some(match c {
        '\u{2018}' | '\u{2019}' | '\u{201A}' | '\u{201B}' | '\u{2032}' | '\u{02BC}'
        | '\u{02BB}' => "'",
        '\u{201C}' | '\u{201D}' | '\u{201E}' | '\u{201F}' | '\u{2033}' | '\u{00AB}'
        | '\u{00BB}' | '\u{2039}' | '\u{203A}' => "\"",
        '\u{2010}' | '\u{2011}' | '\u{2012}' | '\u{2013}' | '\u{2014}' | '\u{2015}'
        | '\u{2212}' | '\u{FE58}' | '\u{FE63}' | '\u{FF0D}' => "-",
        '\u{2022}' | '\u{25CF}' | '\u{25AA}' | '\u{2023}' | '\u{2043}' | '\u{00B7}' => " ",
        'œ' | 'Œ' => "oe",
        'æ' | 'Æ' => "ae",
        'ß' | 'ẞ' => "ss",
        'ø' | 'Ø' => "o",
        'ł' | 'Ł' => "l",
        'đ' | 'Đ' => "d",
        'þ' | 'Þ' => "th",
        'ı' => "i",
        _ => return None,
    })
}

/// Invisible format characters that are dropped.
fn is_invisible(c: char) -> bool {
    matches!(
        c,
        '\u{00AD}' | '\u{200B}' | '\u{200C}' | '\u{200D}' | '\u{2060}' | '\u{FEFF}' | '\u{180E}'
    )
}

/// Replaces HTML tags and comments by a single space. A `<` starts a tag only
/// when followed by an ASCII letter, `/`, `!` or `?`, and only if a closing
/// `>` follows; otherwise it is kept as text ("< 5 ans", "a<b").
fn strip_tags_into(s: &str, out: &mut String) {
    let bytes = s.as_bytes();
    out.reserve(s.len());
    let mut last = 0;
    let mut i = 0;
    while let Some(lt) = next_byte(bytes, i, b'<') {
        i = lt;
        let next = bytes.get(i + 1).copied().unwrap_or(b' ');
        if next.is_ascii_alphabetic() || matches!(next, b'/' | b'!' | b'?') {
            let close = if bytes[i + 1..].starts_with(b"!--") {
                find(bytes, i + 4, b"-->").map(|p| p + 3)
            } else {
                find(bytes, i + 1, b">").map(|p| p + 1)
            };
            if let Some(end) = close {
                out.push_str(&s[last..i]);
                out.push(' ');
                i = end;
                last = end;
                continue;
            }
        }
        i += 1;
    }
    out.push_str(&s[last..]);
}

fn find(hay: &[u8], from: usize, needle: &[u8]) -> Option<usize> {
    if from > hay.len() {
        return None;
    }
    if let [byte] = needle {
        return next_byte(hay, from, *byte);
    }
    hay[from..]
        .windows(needle.len())
        .position(|w| w == needle)
        .map(|p| p + from)
}

/// The folding as first written, kept to check [`fold`] against.
#[cfg(test)]
pub(crate) mod reference;

#[cfg(test)]
mod tests {
    use super::*;

    #[track_caller]
    fn same_as_reference(s: &str) {
        let want = reference::fold(s);
        let got = fold(s);
        assert_eq!(got, want, "{s:?}");
    }

    #[test]
    fn fast_paths_match_reference_per_char_and_pairs() {
        let table_chars: Vec<char> = LOW
            .chain(HIGH)
            .chain(0x0370..0x0400)
            .chain([
                0x0915, 0x093E, 0x0B3E, 0x1100, 0x1161, 0x11A8, 0xAC00, 0x3000, 0xFB01, 0xFF21,
            ])
            .filter_map(char::from_u32)
            .collect();
        let partners: Vec<char> = "aÉé\u{301}\u{327}\u{308}’–«» \u{a0}\u{2009}œßı\u{ad}ǅ½…™ℌ\u{a8}\u{b4}\u{1161}\u{b3e}\u{2044}Ａ"
            .chars()
            .collect();
        for &c in &table_chars {
            same_as_reference(&format!("{c}"));
            same_as_reference(&format!("x{c}y"));
            same_as_reference(&format!("X {c} Y"));
            for &p in &partners {
                same_as_reference(&format!("a{c}{p}b"));
                same_as_reference(&format!("a{p}{c}b"));
                same_as_reference(&format!("{p}{c}{p}"));
            }
        }
    }

    #[test]
    fn fast_paths_match_reference_on_random_text() {
        let pieces = [
            "a",
            "Z",
            "Go",
            " ",
            "  ",
            "\t",
            "\n",
            "\r\n",
            "\u{b}",
            "\u{1}",
            "\u{7f}",
            ".",
            "+",
            "#",
            "<p>",
            "</li>",
            "<br/>",
            "<!-- x -->",
            "&amp;",
            "&lt;p&gt;",
            "&eacute;",
            "&#39;",
            "&#x2019;",
            "&nbsp;",
            "&",
            "<",
            ">",
            "é",
            "É",
            "e\u{301}",
            "\u{301}",
            "ç",
            "Œ",
            "ß",
            "’",
            "—",
            "«",
            "»",
            "\u{a0}",
            "\u{202f}",
            "\u{200b}",
            "\u{ad}",
            "ﬁ",
            "Ｐ",
            "½",
            "™",
            "İ",
            "ǅ",
            "Ω",
            "日本",
            "\u{1100}\u{1161}",
            "가",
            "\u{915}\u{93e}",
            "😀",
            "\u{2028}",
            "Straße",
            "SÉCURITÉ",
            "l’équipe",
            "C++",
            "C#",
            ".NET",
            "Node.js",
            "Hello World of Kubernetes",
            "  two  spaces ",
            "@ABCXYZ[\\]^_`az{|}~",
            "a b c d e f g h i",
            "x\ty\u{7f}z",
            "MixedCase Words Here.",
            "end ",
            " start",
            "12345678",
            "<<<<<<<<",
        ];
        let mut state = 0x9e37_79b9_7f4a_7c15_u64;
        let mut next = move || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        for _ in 0..40_000 {
            let len = (next() % 16) as usize;
            let s: String = (0..len)
                .map(|_| pieces[(next() % pieces.len() as u64) as usize])
                .collect();
            same_as_reference(&s);
        }
    }

    #[test]
    fn accents_and_case() {
        let f = fold("SÉCURITÉ Opérationnelle");
        assert_eq!(f.as_str(), "securite operationnelle");
        assert!(f.is_upper(0));
        assert!(f.is_upper(1));
        assert!(!f.is_upper(10));
        assert_eq!(fold("Œuvre cœur ÇA").as_str(), "oeuvre coeur ca");
        assert_eq!(fold("Straße").as_str(), "strasse");
    }

    #[test]
    fn html_and_entities() {
        let f = fold("<p>Chef d&#39;&eacute;quipe&nbsp;<b>Python</b></p><br/>R&amp;D");
        assert_eq!(f.as_str(), "chef d'equipe python r&d");
        let f = fold("&lt;p&gt;Kubernetes&lt;/p&gt;&amp;nbsp;Go");
        assert_eq!(f.as_str(), "kubernetes go");
        assert_eq!(fold("salary < 50k, a<b").as_str(), "salary < 50k, a<b");
        assert_eq!(fold("x <!-- hidden <b> --> y").as_str(), "x y");
    }

    #[test]
    fn typography_and_whitespace() {
        let f = fold("  l\u{2019}open\u{2011}source \u{2014} ﬁnance\t\n\n  «Go»  ");
        assert_eq!(f.as_str(), "l'open-source - finance \"go\"");
        assert_eq!(fold("Kuber\u{00AD}netes").as_str(), "kubernetes");
        assert_eq!(fold("ＰＹＴＨＯＮ").as_str(), "python");
        assert_eq!(fold("e\u{0301}te\u{0301}").as_str(), "ete");
    }

    #[test]
    fn case_reconstruction() {
        let f = fold("We use Go and GO and go");
        assert_eq!(f.original_case(7..9).as_deref(), Some("Go"));
        let go = fold("Go");
        assert!(f.same_case(7, &go));
        assert!(!f.same_case(14, &go));
        assert!(!f.same_case(20, &go));
        assert_eq!(f.upper_flags().len(), f.len());
    }

    #[test]
    fn per_byte_flags_match_text_length() {
        for s in [
            "ÉCOLE Ωmega İstanbul ǅ",
            "日本語 テキスト",
            "a\u{0301}\u{0327}",
        ] {
            let f = fold(s);
            assert_eq!(f.upper_flags().len(), f.len(), "{s}");
        }
    }
}
