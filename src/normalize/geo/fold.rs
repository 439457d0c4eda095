//! Folding and tokenising of location strings.
//!
//! A string is folded once: lower case, accents removed, `st`/`ste` expanded
//! to `saint`/`sainte`, words separated by exactly one space inside a
//! segment, so that any run of tokens of one segment is a `&str` slice of the
//! folded buffer that can be looked up in a hash map without allocating.

use std::hash::{BuildHasherDefault, Hasher};

/// What separates a token from the one before it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Sep {
    /// Start of the string.
    Start,
    /// Whitespace, hyphen, apostrophe or dot: same segment.
    Word,
    /// Comma, parenthesis, colon, spaced dash: a qualifier follows.
    Qual,
    /// Slash, semicolon, pipe, ampersand, plus, newline: another place follows.
    List,
}

/// Kind of a token.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum TokKind {
    /// Starts with a letter.
    Word,
    /// Starts with a digit (`75`, `13008`, `15e`, `2a`).
    Num,
}

/// One token of the folded buffer.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Tok {
    pub start: u32,
    pub end: u32,
    pub kind: TokKind,
    /// Separator before this token.
    pub sep: Sep,
    /// All letters of the original token were upper case.
    pub upper: bool,
    /// Joined to the previous token by a hyphen or an apostrophe.
    pub hyphen: bool,
    /// A conjunction (`ou`, `or`, `et`, `and`) standing between spaces.
    pub conj: bool,
    /// The separator before this token has a dash (`21 - Montbard`, `Paris – Lyon`).
    pub dash: bool,
    /// Word classes of the token (`words::class` bits, set by `address::mark`).
    pub class: u16,
    /// A number that is not a place: house number, box number, CEDEX
    /// number, time-zone offset, US ZIP code (set by `address::mark`).
    pub skip: bool,
}

/// A folded location string.
#[derive(Debug, Default)]
pub(crate) struct Folded {
    pub buf: String,
    pub toks: Vec<Tok>,
}

impl Folded {
    /// The folded text of tokens `i..=j` (same segment).
    #[inline]
    pub fn span(&self, i: usize, j: usize) -> &str {
        &self.buf[self.toks[i].start as usize..self.toks[j].end as usize]
    }

    /// The folded text of token `i`.
    #[inline]
    pub fn text(&self, i: usize) -> &str {
        self.span(i, i)
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Brk {
    None,
    Space,
    Hyphen,
    Qual,
    List,
}

/// Folds one char to ASCII lower-case alphanumerics, pushed on `out`.
/// Returns false when the char is not a letter or digit.
#[inline]
fn fold_char(c: char, out: &mut String) -> bool {
    if c.is_ascii_alphanumeric() {
        out.push(c.to_ascii_lowercase());
        return true;
    }
    let s = match c {
        'à' | 'â' | 'ä' | 'á' | 'ã' | 'å' | 'À' | 'Â' | 'Ä' | 'Á' | 'Ã' | 'Å' => "a",
        'ç' | 'Ç' => "c",
        'é' | 'è' | 'ê' | 'ë' | 'É' | 'È' | 'Ê' | 'Ë' => "e",
        'î' | 'ï' | 'í' | 'ì' | 'Î' | 'Ï' | 'Í' | 'Ì' => "i",
        'ô' | 'ö' | 'ó' | 'ò' | 'õ' | 'ø' | 'Ô' | 'Ö' | 'Ó' | 'Ò' | 'Õ' | 'Ø' => "o",
        'û' | 'ü' | 'ú' | 'ù' | 'Û' | 'Ü' | 'Ú' | 'Ù' => "u",
        'ÿ' | 'ý' | 'Ÿ' | 'Ý' => "y",
        'ñ' | 'Ñ' => "n",
        'œ' | 'Œ' => "oe",
        'æ' | 'Æ' => "ae",
        'ß' => "ss",
        _ => {
            if !c.is_alphanumeric() {
                return false;
            }
            let before = out.len();
            for l in c.to_lowercase() {
                unicode_normalization::char::decompose_canonical(l, |d| {
                    if d.is_ascii_alphanumeric() {
                        out.push(d.to_ascii_lowercase());
                    }
                });
            }
            return out.len() > before;
        }
    };
    out.push_str(s);
    true
}

#[inline]
fn brk_of(c: char) -> Brk {
    match c {
        ' ' | '\t' | '\u{a0}' | '\u{202f}' | '.' | '_' | '*' | '%' | '#' | '"' | '«' | '»'
        | '!' | '?' | '=' | '<' | '>' | '~' => Brk::Space,
        '-' | '\'' | '’' | '‘' | '`' | '´' => Brk::Hyphen,
        ',' | '(' | ')' | '[' | ']' | '{' | '}' | ':' | '–' | '—' => Brk::Qual,
        '/' | '\\' | ';' | '|' | '&' | '+' | '\n' | '\r' | '•' | '·' => Brk::List,
        _ => Brk::Space,
    }
}

/// Folds `input` into `out` (cleared first).
pub(crate) fn fold_into(input: &str, out: &mut Folded) {
    out.buf.clear();
    out.toks.clear();
    let mut pending = Brk::None; // strongest break since last token
    let mut saw_space = false; // whitespace seen in the current break run
    let mut hyphen_run = false; // a hyphen/apostrophe seen in the current break run
    let mut dash_run = false; // a dash seen in the current break run
    let mut in_tok = false;
    let mut upper = true;
    for c in input.chars() {
        let before = out.buf.len();
        if !in_tok {
            // about to start a token? only if this char folds to something
            let sep_at = out.buf.len();
            if !out.toks.is_empty() {
                out.buf.push(' ');
            }
            let start = out.buf.len();
            if fold_char(c, &mut out.buf) {
                let sep = if out.toks.is_empty() {
                    Sep::Start
                } else {
                    match pending {
                        Brk::List => Sep::List,
                        Brk::Qual => Sep::Qual,
                        Brk::Hyphen if saw_space => Sep::Qual, // spaced dash " - "
                        _ => Sep::Word,
                    }
                };
                let kind = if c.is_ascii_digit() {
                    TokKind::Num
                } else {
                    TokKind::Word
                };
                out.toks.push(Tok {
                    start: start as u32,
                    end: start as u32,
                    kind,
                    sep,
                    upper: true,
                    hyphen: matches!(pending, Brk::Hyphen) && !saw_space,
                    dash: dash_run,
                    class: 0,
                    conj: false,
                    skip: false,
                });
                upper = !c.is_lowercase();
                in_tok = true;
                pending = Brk::None;
                saw_space = false;
                hyphen_run = false;
                dash_run = false;
            } else {
                out.buf.truncate(sep_at);
                dash_run |= matches!(c, '-' | '–' | '—');
                let b = brk_of(c);
                accumulate(&mut pending, &mut saw_space, &mut hyphen_run, b, c);
            }
            continue;
        }
        // inside a token
        let prev_digit = out
            .buf
            .as_bytes()
            .last()
            .is_some_and(|b| b.is_ascii_digit());
        let is_digit = c.is_ascii_digit();
        // split "75001Paris" style glued number/word, but keep "15e", "2a", "1er"
        let glued_split = prev_digit && !is_digit && c.is_alphabetic() && {
            let tok_len = out.buf.len() - out.toks.last().map_or(0, |t| t.start as usize);
            tok_len >= 4
        };
        if !glued_split && fold_char(c, &mut out.buf) {
            if c.is_lowercase() {
                upper = false;
            }
            continue;
        }
        out.buf.truncate(before);
        close_token(out, upper);
        in_tok = false;
        if glued_split {
            pending = Brk::Space;
            // reprocess c as the start of a new token
            let start_sep = out.buf.len();
            out.buf.push(' ');
            let start = out.buf.len();
            if fold_char(c, &mut out.buf) {
                out.toks.push(Tok {
                    start: start as u32,
                    end: start as u32,
                    kind: TokKind::Word,
                    sep: Sep::Word,
                    upper: true,
                    hyphen: false,
                    dash: false,
                    class: 0,
                    conj: false,
                    skip: false,
                });
                upper = !c.is_lowercase();
                in_tok = true;
                pending = Brk::None;
            } else {
                out.buf.truncate(start_sep);
            }
            continue;
        }
        pending = Brk::None;
        saw_space = false;
        hyphen_run = false;
        dash_run = matches!(c, '-' | '–' | '—');
        accumulate(&mut pending, &mut saw_space, &mut hyphen_run, brk_of(c), c);
    }
    if in_tok {
        close_token(out, upper);
    }
    mark_conjunctions(out);
}

fn accumulate(pending: &mut Brk, saw_space: &mut bool, hyphen_run: &mut bool, b: Brk, c: char) {
    if c.is_whitespace() {
        *saw_space = true;
        if *hyphen_run {
            // "Paris - " : dash followed by a space
            *pending = stronger(*pending, Brk::Qual);
        }
    }
    if b == Brk::Hyphen {
        if *saw_space && c == '-' {
            *pending = stronger(*pending, Brk::Qual);
        }
        *hyphen_run = c == '-';
    }
    *pending = stronger(*pending, b);
}

fn stronger(a: Brk, b: Brk) -> Brk {
    fn rank(x: Brk) -> u8 {
        match x {
            Brk::None => 0,
            Brk::Space => 1,
            Brk::Hyphen => 2,
            Brk::Qual => 3,
            Brk::List => 4,
        }
    }
    if rank(b) > rank(a) {
        b
    } else {
        a
    }
}

/// Ends the current token: sets `end`, `upper`, expands `st`/`ste`.
fn close_token(out: &mut Folded, upper: bool) {
    let Some(last) = out.toks.last_mut() else {
        return;
    };
    let start = last.start as usize;
    last.upper = upper;
    match &out.buf[start..] {
        "st" => {
            out.buf.truncate(start);
            out.buf.push_str("saint");
        }
        "ste" => {
            out.buf.truncate(start);
            out.buf.push_str("sainte");
        }
        _ => {}
    }
    last.end = out.buf.len() as u32;
}

fn mark_conjunctions(out: &mut Folded) {
    let n = out.toks.len();
    for i in 1..n.saturating_sub(1) {
        let t = out.toks[i];
        if t.kind != TokKind::Word || t.hyphen || out.toks[i + 1].hyphen {
            continue;
        }
        if matches!(
            &out.buf[t.start as usize..t.end as usize],
            "ou" | "or" | "et" | "and" | "oder" | "und" | "y"
        ) {
            out.toks[i].conj = true;
        }
    }
}

/// Folds a data name into its lookup key (tokens joined by single spaces).
pub(crate) fn fold_key(name: &str) -> String {
    fold_key_with(name, &mut Folded::default())
}

/// [`fold_key`] with a reused scratch buffer; the key is allocated at its
/// exact length (it becomes a `Box<str>` without a copy).
pub(crate) fn fold_key_with(name: &str, f: &mut Folded) -> String {
    fold_into(name, f);
    let len = f
        .toks
        .iter()
        .map(|t| (t.end - t.start) as usize + 1)
        .sum::<usize>()
        .saturating_sub(1);
    let mut key = String::with_capacity(len);
    for (i, t) in f.toks.iter().enumerate() {
        if i > 0 {
            key.push(' ');
        }
        key.push_str(&f.buf[t.start as usize..t.end as usize]);
    }
    key
}

/// A small, fast hasher for short string keys (FxHash-style).
#[derive(Default, Clone, Copy)]
pub(crate) struct FastHasher(u64);

const SEED: u64 = 0x51_7c_c1_b7_27_22_0a_95;

impl Hasher for FastHasher {
    #[inline]
    fn write(&mut self, bytes: &[u8]) {
        let mut h = self.0;
        let mut chunks = bytes.chunks_exact(8);
        for c in &mut chunks {
            let mut a = [0u8; 8];
            a.copy_from_slice(c);
            h = (h.rotate_left(5) ^ u64::from_le_bytes(a)).wrapping_mul(SEED);
        }
        for &b in chunks.remainder() {
            h = (h.rotate_left(5) ^ u64::from(b)).wrapping_mul(SEED);
        }
        self.0 = h;
    }

    #[inline]
    fn write_u8(&mut self, i: u8) {
        self.0 = (self.0.rotate_left(5) ^ u64::from(i)).wrapping_mul(SEED);
    }

    #[inline]
    fn write_u32(&mut self, i: u32) {
        self.0 = (self.0.rotate_left(5) ^ u64::from(i)).wrapping_mul(SEED);
    }

    #[inline]
    fn write_u64(&mut self, i: u64) {
        self.0 = (self.0.rotate_left(5) ^ i).wrapping_mul(SEED);
    }

    #[inline]
    fn write_usize(&mut self, i: usize) {
        self.write_u64(i as u64);
    }

    #[inline]
    fn finish(&self) -> u64 {
        self.0
    }
}

/// Hash map with the fast hasher.
pub(crate) type FastMap<K, V> = std::collections::HashMap<K, V, BuildHasherDefault<FastHasher>>;
