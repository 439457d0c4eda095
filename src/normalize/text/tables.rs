//! The Unicode tables of the folder: the per-char table of the non-ASCII
//! characters common in postings (computed once with the general path), the
//! characters with a fixed ASCII spelling and the invisible ones.

use unicode_normalization::char::canonical_combining_class;
use unicode_normalization::UnicodeNormalization;

use super::folder::Folder;

/// The effect of folding one non-ASCII char on its own: output bytes (a
/// `b' '` stands for "whitespace pending"), their case flags, and whether a
/// whitespace is pending afterwards.
#[derive(Debug, Clone, Copy, Default)]
pub(super) struct CharFold {
    pub(super) valid: bool,
    /// The char's canonical decomposition starts with a starter that is never
    /// the second element of a composition (so NFKC of a run is the
    /// concatenation of NFKC of its chars when all but the first have this).
    pub(super) safe_start: bool,
    pub(super) trailing_space: bool,
    pub(super) len: u8,
    pub(super) upper: u16,
    pub(super) bytes: [u8; 12],
}

/// Per-char folding of the non-ASCII chars common in postings: Latin-1,
/// Latin Extended A/B, IPA, spacing modifiers, combining diacritics
/// (U+0080–U+036F), general punctuation, currency and letterlike symbols
/// (U+2000–U+214F). Computed once with the general code path.
pub(super) struct CharTable {
    low: Vec<CharFold>,
    high: Vec<CharFold>,
}

pub(super) const LOW: std::ops::Range<u32> = 0x80..0x370;
pub(super) const HIGH: std::ops::Range<u32> = 0x2000..0x2150;

impl CharTable {
    #[inline]
    pub(super) fn get(&self, c: char) -> Option<&CharFold> {
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

pub(super) fn char_table() -> &'static CharTable {
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
pub(super) fn is_invisible(c: char) -> bool {
    matches!(
        c,
        '\u{00AD}' | '\u{200B}' | '\u{200C}' | '\u{200D}' | '\u{2060}' | '\u{FEFF}' | '\u{180E}'
    )
}
