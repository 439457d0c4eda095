//! Value transforms shared by the source kinds: dates in the many shapes job
//! boards write them, HTML to text, booleans, text out of JSON values.
//!
//! HTML and character references are turned into text here, once: a
//! description read as HTML goes through [`html_to_text`], and every text
//! field normalization reads (title, company, description, tags) through
//! [`plain_text`] when the posting is built (`RawPosting::into_plain_text`).
//! Normalization folds that text without looking for markup again.

use std::borrow::Cow;

use serde_json::Value;
use time::format_description::well_known::{Iso8601, Rfc2822, Rfc3339};
use time::{Date, Month, OffsetDateTime, PrimitiveDateTime, UtcOffset};

use crate::domain::Day;

/// Unix timestamps above this are taken as milliseconds (≈ year 33658 in seconds).
const MILLIS_THRESHOLD: i64 = 1_000_000_000_000;

/// Parses a date as job boards write it, to its UTC day:
/// ISO 8601 / RFC 3339 dates and timestamps (with or without offset,
/// fractional seconds, space instead of `T`), RFC 2822 (RSS), unix seconds or
/// milliseconds (number or digits), and French `dd/mm/yyyy`.
pub fn parse_date(text: &str) -> Option<Day> {
    let text = text.trim();
    if text.is_empty() {
        return None;
    }
    if text.bytes().all(|b| b.is_ascii_digit()) && text.len() >= 9 {
        return text.parse::<i64>().ok().and_then(day_from_unix);
    }
    if let Ok(day) = text.parse::<Day>() {
        return Some(day);
    }
    if let Ok(ts) = OffsetDateTime::parse(text, &Rfc3339) {
        return utc_day(ts);
    }
    if let Ok(ts) = OffsetDateTime::parse(text, &Rfc2822) {
        return utc_day(ts);
    }
    if let Ok(ts) = OffsetDateTime::parse(text, &Iso8601::DEFAULT) {
        return utc_day(ts);
    }
    if let Ok(ts) = PrimitiveDateTime::parse(text, &Iso8601::DEFAULT) {
        return Day::from_date(ts.date()).ok();
    }
    // "2024-03-01 10:00:00" and friends: the date part is enough.
    if text.len() > 10 && text.is_char_boundary(10) {
        let (head, tail) = text.split_at(10);
        if tail.starts_with([' ', 'T']) {
            if let Ok(day) = head.parse::<Day>() {
                return Some(day);
            }
        }
    }
    parse_day_month_year(text).or_else(|| parse_written_date(text))
}

/// A date written with the month's name, in French or English, as boards
/// print it: `24 novembre 2026`, `1er déc. 2026`, `Publié le mardi 3 mars
/// 2026`, `24 November 2026`, `Nov 24, 2026`. The first month name with a
/// day next to it (before it, or after it in the English order) and a
/// four-digit year after it.
fn parse_written_date(text: &str) -> Option<Day> {
    let lower = text.to_lowercase();
    let words: Vec<&str> = lower
        .split(|c: char| c.is_whitespace() || matches!(c, ',' | '.' | '/'))
        .filter(|w| !w.is_empty())
        .collect();
    let day_of = |w: &str| -> Option<u8> {
        let digits = w
            .strip_suffix("er")
            .or_else(|| w.strip_suffix("st"))
            .or_else(|| w.strip_suffix("nd"))
            .or_else(|| w.strip_suffix("rd"))
            .or_else(|| w.strip_suffix("th"))
            .unwrap_or(w);
        (digits.len() <= 2)
            .then(|| digits.parse::<u8>().ok())
            .flatten()
            .filter(|d| (1..=31).contains(d))
    };
    let year_of = |w: &str| (w.len() == 4).then(|| w.parse::<i32>().ok()).flatten();
    for (i, word) in words.iter().enumerate() {
        let Some(month) = month_named(word) else {
            continue;
        };
        let before = i.checked_sub(1).and_then(|j| day_of(words[j]));
        let (day, year_at) = match before {
            Some(day) => (day, i + 1),
            None => match words.get(i + 1).and_then(|w| day_of(w)) {
                Some(day) => (day, i + 2),
                None => continue,
            },
        };
        let Some(year) = words.get(year_at).and_then(|w| year_of(w)) else {
            continue;
        };
        let date = Date::from_calendar_date(year, month, day).ok()?;
        return Day::from_date(date).ok();
    }
    None
}

/// A month from its French or English name or usual abbreviation, lower
/// case, with or without accents.
fn month_named(word: &str) -> Option<Month> {
    use Month::*;
    Some(match word {
        "janvier" | "janv" | "january" | "jan" => January,
        "février" | "fevrier" | "févr" | "fevr" | "fév" | "fev" | "february" | "feb" => February,
        "mars" | "march" | "mar" => March,
        "avril" | "avr" | "april" | "apr" => April,
        "mai" | "may" => May,
        "juin" | "june" | "jun" => June,
        "juillet" | "juil" | "july" | "jul" => July,
        "août" | "aout" | "august" | "aug" => August,
        "septembre" | "sept" | "sep" | "september" => September,
        "octobre" | "oct" | "october" => October,
        "novembre" | "nov" | "november" => November,
        "décembre" | "decembre" | "déc" | "dec" | "december" => December,
        _ => return None,
    })
}

/// A date from a JSON value: a string (see [`parse_date`]) or a unix
/// timestamp number (seconds or milliseconds).
pub fn date_from_value(value: &Value) -> Option<Day> {
    match value {
        Value::String(s) => parse_date(s),
        Value::Number(n) => n
            .as_i64()
            .or_else(|| n.as_f64().map(|f| f as i64))
            .and_then(day_from_unix),
        _ => None,
    }
}

fn day_from_unix(n: i64) -> Option<Day> {
    let seconds = if n.abs() >= MILLIS_THRESHOLD {
        n / 1000
    } else {
        n
    };
    OffsetDateTime::from_unix_timestamp(seconds)
        .ok()
        .and_then(utc_day)
}

/// The UTC day of a timestamp, if within the calendar (`to_offset` would
/// panic past year 9999).
fn utc_day(ts: OffsetDateTime) -> Option<Day> {
    let utc = ts.checked_to_offset(UtcOffset::UTC)?;
    Day::from_date(utc.date()).ok()
}

/// `dd/mm/yyyy`, `dd-mm-yyyy` or `dd.mm.yyyy`, optionally followed by a time.
fn parse_day_month_year(text: &str) -> Option<Day> {
    let head = text.split_whitespace().next()?;
    let mut parts = head.split(['/', '-', '.']);
    let (d, m, y) = (parts.next()?, parts.next()?, parts.next()?);
    if parts.next().is_some() || y.len() != 4 || d.len() > 2 || m.len() > 2 {
        return None;
    }
    let month = Month::try_from(m.parse::<u8>().ok()?).ok()?;
    let date = Date::from_calendar_date(y.parse().ok()?, month, d.parse().ok()?).ok()?;
    Day::from_date(date).ok()
}

/// Text of a JSON value: strings as they are, numbers and booleans printed,
/// arrays joined with `sep`; objects and null give nothing.
pub fn text_from_value(value: &Value, sep: &str) -> Option<String> {
    match value {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        Value::Array(items) => {
            let parts: Vec<String> = items
                .iter()
                .filter_map(|v| text_from_value(v, sep))
                .filter(|s| !s.is_empty())
                .collect();
            (!parts.is_empty()).then(|| parts.join(sep))
        }
        Value::Object(_) | Value::Null => None,
    }
}

/// A boolean from a JSON value: `true`, `1`, `"true"`, `"yes"`, `"oui"`,
/// `"remote"`, `"telecommute"`, `"full"` … Anything else is `false`.
pub fn bool_from_value(value: &Value) -> bool {
    match value {
        Value::Bool(b) => *b,
        Value::Number(n) => n.as_f64().is_some_and(|f| f != 0.0),
        Value::String(s) => matches!(
            s.trim().to_ascii_lowercase().as_str(),
            "true"
                | "1"
                | "yes"
                | "y"
                | "oui"
                | "remote"
                | "telecommute"
                | "full"
                | "fully remote"
                | "full remote"
                | "100% remote"
        ),
        _ => false,
    }
}

/// Plain text of an HTML fragment: tags dropped (block elements become line
/// breaks), entities decoded, whitespace folded. Already-plain text passes
/// through (entities decoded).
///
/// The fragment is read as a stream of tokens (html5gum, the WHATWG
/// tokenizer), not built into a tree: the text is the same, in document
/// order, without a node per element, and a fragment of tens of thousands of
/// unclosed elements costs no more than a flat one. Scripts and styles are
/// not text.
pub fn html_to_text(html: &str) -> String {
    // Some APIs (Greenhouse) send the HTML itself entity-escaped.
    let unescaped;
    let has_tag = |s: &str| memchr::memchr(b'<', s.as_bytes()).is_some();
    let html = if !has_tag(html) && memchr::memmem::find(html.as_bytes(), b"&lt;").is_some() {
        unescaped = html_escape::decode_html_entities(html).into_owned();
        unescaped.as_str()
    } else {
        html
    };
    if !has_tag(html) {
        return fold_whitespace(&html_escape::decode_html_entities(html));
    }
    fold_whitespace(&text_of_tokens(html))
}

/// The character data of `html` in document order, with a line break where
/// a block element starts, without the code of scripts and styles.
fn text_of_tokens(html: &str) -> String {
    use html5gum::emitters::callback::{CallbackEmitter, CallbackEvent};

    let is_code = |name: &[u8]| matches!(name, b"script" | b"style");
    let mut text: Vec<u8> = Vec::with_capacity(html.len() / 2);
    let mut in_code = false;
    let mut emitter = CallbackEmitter::new(|event: CallbackEvent<'_>, _: html5gum::Span<()>| {
        match event {
            CallbackEvent::OpenStartTag { name } => {
                in_code = is_code(name);
                if is_block(name) {
                    text.push(b'\n');
                }
            }
            CallbackEvent::EndTag { name } if is_code(name) => in_code = false,
            CallbackEvent::String { value } if !in_code => text.extend_from_slice(value),
            _ => {}
        }
        None::<()>
    });
    // Raw text for `<script>` and `<style>` (a `<p>` in them is no tag),
    // RCDATA for `<title>`…: what a tree builder switches the tokenizer to.
    emitter.naively_switch_states(true);
    html5gum::Tokenizer::new_with_emitter(html, WithoutErrors(emitter)).for_each(drop);
    // The tokens of a `str` are UTF-8 (character references decode to
    // characters); should a byte not be, it is replaced, not trusted.
    String::from_utf8(text).unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned())
}

/// Plain text of a field that may still hold markup: tags and comments
/// become a space and character references are decoded, twice, so that
/// escaped markup (`&lt;p&gt;`) and references escaped once more
/// (`&amp;eacute;`) go too. A `<` not followed by a letter, `/`, `!` or `?`,
/// or with no closing `>`, is text (`a < b`). Borrows `text` when there is
/// nothing to do.
///
/// It is the last step of reading every text field that normalization reads:
/// on a description [`html_to_text`] already converted, it decodes what a
/// source escaped twice; on a field read as text (titles, tags, a description
/// given as `text`), it is the only conversion.
pub fn plain_text(text: &str) -> Cow<'_, str> {
    let mut out = Cow::Borrowed(text);
    for _ in 0..2 {
        if let Some(stripped) = tags_to_spaces(&out) {
            out = Cow::Owned(stripped);
        }
        if memchr::memchr(b'&', out.as_bytes()).is_some() {
            if let Cow::Owned(decoded) = html_escape::decode_html_entities(&out) {
                out = Cow::Owned(decoded);
            }
        }
    }
    out
}

/// `text` with every tag (`<p>`, `</li>`, `<br/>`, `<?xml …?>`) and comment
/// (`<!-- … -->`) replaced by one space, `None` when it has none; see
/// [`plain_text`] for what a tag is.
fn tags_to_spaces(text: &str) -> Option<String> {
    let bytes = text.as_bytes();
    let mut out = String::new();
    let mut copied = 0;
    let mut from = 0;
    while let Some(at) = memchr::memchr(b'<', &bytes[from..]).map(|p| p + from) {
        from = at + 1;
        let next = bytes.get(at + 1).copied().unwrap_or(b' ');
        if !(next.is_ascii_alphabetic() || matches!(next, b'/' | b'!' | b'?')) {
            continue;
        }
        let end = if bytes[at + 1..].starts_with(b"!--") {
            text.get(at + 4..)
                .and_then(|rest| rest.find("-->"))
                .map(|p| at + 4 + p + 3)
        } else {
            memchr::memchr(b'>', &bytes[at + 1..]).map(|p| at + 1 + p + 1)
        };
        if let Some(end) = end {
            if out.is_empty() {
                out.reserve(text.len());
            }
            out.push_str(&text[copied..at]);
            out.push(' ');
            copied = end;
            from = end;
        }
    }
    if copied == 0 {
        return None;
    }
    out.push_str(&text[copied..]);
    Some(out)
}

/// An emitter that asks the tokenizer for no parse errors: they are not
/// read, and checking every character for them was over a third of
/// [`html_to_text`]'s instructions.
struct WithoutErrors<E>(E);

impl<E: html5gum::Emitter> html5gum::ForwardingEmitter for WithoutErrors<E> {
    type Token = E::Token;

    fn inner(&mut self) -> &mut impl html5gum::Emitter<Token = Self::Token> {
        &mut self.0
    }

    fn should_emit_errors(&mut self) -> bool {
        false
    }
}

/// Whether an element (by its lower-case name) starts a line in the text of
/// HTML ([`html_to_text`]): paragraphs, list items, headings, table cells…
pub fn is_block_element(name: &str) -> bool {
    is_block(name.as_bytes())
}

fn is_block(name: &[u8]) -> bool {
    matches!(
        name,
        b"p" | b"div"
            | b"br"
            | b"li"
            | b"ul"
            | b"ol"
            | b"h1"
            | b"h2"
            | b"h3"
            | b"h4"
            | b"h5"
            | b"h6"
            | b"tr"
            | b"td"
            | b"th"
            | b"section"
            | b"article"
            | b"header"
            | b"footer"
            | b"blockquote"
            | b"pre"
            | b"dt"
            | b"dd"
            | b"table"
    )
}

/// Folds runs of spaces and tabs to one space and runs of blank lines to one
/// line break; trims the ends. A run of whitespace holding a `\n` becomes
/// `\n`, any other run one space (Unicode whitespace, no-break spaces
/// included).
///
/// One pass over the bytes: what lies between two runs of whitespace that
/// need folding (words and the single spaces between them) is copied in
/// one piece, and only the lead bytes of the few non-ASCII whitespace
/// characters make it decode a character.
pub fn fold_whitespace(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = String::with_capacity(text.len());
    // `text[copy_from..i]` is already folded (words and single spaces) and
    // is copied in one piece when a run of whitespace needs folding.
    let mut copy_from = 0;
    let mut i = 0;
    while i < bytes.len() {
        // Most bytes cannot start whitespace: printable ASCII is skipped
        // eight bytes at a time, the rest by a table lookup (continuation
        // bytes included: none is a lead byte in the table).
        i = skip_printable_ascii(bytes, i);
        if i == bytes.len() {
            break;
        }
        if !MAY_START_WHITESPACE[usize::from(bytes[i])] {
            i += 1;
            continue;
        }
        // The common case: one space between two words (the byte before
        // is not whitespace, or the run before would have taken this one).
        if bytes[i] == b' '
            && i > 0
            && bytes
                .get(i + 1)
                .is_some_and(|&next| !MAY_START_WHITESPACE[usize::from(next)])
        {
            i += 2;
            continue;
        }
        let (width, newline) = match whitespace_at(text, i) {
            Whitespace::No(width) => {
                i += width;
                continue;
            }
            Whitespace::Yes { width, newline } => (width, newline),
        };
        // The whole run of whitespace: `text[i..end]`.
        let (start, single_space) = (i, bytes[i] == b' ');
        let mut end = i + width;
        let mut newline = newline;
        while let Whitespace::Yes { width, newline: n } = whitespace_at(text, end) {
            end += width;
            newline |= n;
        }
        i = end;
        if single_space && end == start + 1 && start > 0 && end < bytes.len() {
            // One space between two words: already folded.
            continue;
        }
        out.push_str(&text[copy_from..start]);
        copy_from = end;
        // Leading and trailing whitespace goes; a run between two words
        // becomes one line break if it has one, else one space.
        if !out.is_empty() && end < bytes.len() {
            out.push(if newline { '\n' } else { ' ' });
        }
    }
    out.push_str(&text[copy_from..]);
    out
}

/// The first byte of `bytes` from `i` on that is not printable ASCII
/// (`!` to `~` and DEL): a control character, a space or a byte of a
/// non-ASCII character; `bytes.len()` if none.
#[inline]
fn skip_printable_ascii(bytes: &[u8], mut i: usize) -> usize {
    const LOW7: u64 = 0x7F7F_7F7F_7F7F_7F7F;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    // Per byte, (b & 0x7F) + 0x5F has its high bit set when b & 0x7F is at
    // least 0x21, and never carries into the next byte.
    const TO_21: u64 = 0x5F5F_5F5F_5F5F_5F5F;
    while let Some(chunk) = bytes.get(i..i + 8) {
        let mut word = [0; 8];
        word.copy_from_slice(chunk);
        let x = u64::from_le_bytes(word);
        // High bit of each byte under 0x21, or at 0x80 and above.
        let stops = (!((x & LOW7) + TO_21) & HIGH) | (x & HIGH);
        if stops != 0 {
            return i + (stops.trailing_zeros() / 8) as usize;
        }
        i += 8;
    }
    while i < bytes.len() && (0x21..0x80).contains(&bytes[i]) {
        i += 1;
    }
    i
}

/// Per byte: whether a whitespace character may start with it (ASCII
/// whitespace, and the lead bytes of the non-ASCII ones, see
/// [`whitespace_at`]).
static MAY_START_WHITESPACE: [bool; 256] = {
    let mut table = [false; 256];
    let mut b = 0;
    while b < 256 {
        table[b] = matches!(
            b as u8,
            b' ' | b'\t' | b'\n' | 0x0B | 0x0C | b'\r' | 0xC2 | 0xE1..=0xE3
        );
        b += 1;
    }
    table
};

/// What starts at a byte of a text: whitespace or not, and how wide the
/// character is.
enum Whitespace {
    /// Not whitespace (or the text's end, width 0).
    No(usize),
    /// Whitespace; `newline` for a line feed.
    Yes { width: usize, newline: bool },
}

/// Whether the character at byte `i` of `text` is whitespace. Only the lead
/// bytes of the few non-ASCII whitespace characters (U+0085, U+00A0,
/// U+1680, U+2000–U+200A, U+2028, U+2029, U+202F, U+205F, U+3000) make it
/// decode a character.
#[inline]
fn whitespace_at(text: &str, i: usize) -> Whitespace {
    let Some(&b) = text.as_bytes().get(i) else {
        return Whitespace::No(0);
    };
    match b {
        b' ' | b'\t' | 0x0B | 0x0C | b'\r' => Whitespace::Yes {
            width: 1,
            newline: false,
        },
        b'\n' => Whitespace::Yes {
            width: 1,
            newline: true,
        },
        0..=0x7F => Whitespace::No(1),
        0xC2 | 0xE1..=0xE3 => match text[i..].chars().next() {
            Some(c) if c.is_whitespace() => Whitespace::Yes {
                width: c.len_utf8(),
                newline: false,
            },
            _ => Whitespace::No(utf8_width(b)),
        },
        _ => Whitespace::No(utf8_width(b)),
    }
}

/// Bytes of the UTF-8 character that starts with `lead` (1 for a byte that
/// cannot start one, which a `str` never has at a character's start).
#[inline]
fn utf8_width(lead: u8) -> usize {
    match lead {
        0xC0..=0xDF => 2,
        0xE0..=0xEF => 3,
        0xF0..=0xFF => 4,
        _ => 1,
    }
}

/// The whitespace folding as first written (a `char` loop), kept to check
/// [`fold_whitespace`] against.
#[cfg(test)]
mod reference {
    /// True when `text` has nothing to fold.
    fn is_folded(text: &str) -> bool {
        if text.starts_with(' ') || text.ends_with(' ') {
            return false;
        }
        let mut previous_space = false;
        for c in text.chars() {
            if c == ' ' {
                if previous_space {
                    return false;
                }
                previous_space = true;
            } else if c.is_whitespace() {
                return false;
            } else {
                previous_space = false;
            }
        }
        true
    }

    /// The first `fold_whitespace`.
    pub(super) fn fold_whitespace(text: &str) -> String {
        if is_folded(text) {
            return text.to_owned();
        }
        let mut out = String::with_capacity(text.len());
        let mut pending: Option<char> = None;
        for c in text.chars() {
            let c = if c == '\u{a0}' { ' ' } else { c };
            if c.is_whitespace() {
                if c == '\n' || pending == Some('\n') {
                    pending = Some('\n');
                } else {
                    pending = Some(' ');
                }
                continue;
            }
            if let Some(p) = pending.take() {
                if !out.is_empty() {
                    out.push(p);
                }
            }
            out.push(c);
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_written_with_month_names_in_french_and_english() {
        let day = |s: &str| s.parse::<Day>().unwrap();
        for (text, want) in [
            ("24 novembre 2026", "2026-11-24"),
            ("1er décembre 2026", "2026-12-01"),
            ("Publié le mardi 3 mars 2026", "2026-03-03"),
            ("Date de publication : 15 févr. 2025", "2025-02-15"),
            ("le 14 août 2025 à 10h32", "2025-08-14"),
            ("24 November 2026", "2026-11-24"),
            ("Nov 24, 2026", "2026-11-24"),
            ("posted on March 1st, 2025", "2025-03-01"),
        ] {
            assert_eq!(parse_date(text), Some(day(want)), "{text}");
        }
        for text in [
            "31 février 2026",
            "novembre 2026",
            "mai",
            "Mai 68",
            "le 3 mars",
            "Marseille 13 mars",
        ] {
            assert_eq!(parse_date(text), None, "{text}");
        }
    }
    use serde_json::json;

    fn day(s: &str) -> Option<String> {
        parse_date(s).map(|d| d.to_string())
    }

    #[test]
    fn dates_in_every_shape() {
        let cases = [
            ("2024-03-01", "2024-03-01"),
            ("2024-03-01T10:00:00Z", "2024-03-01"),
            ("2024-03-01T23:30:00-05:00", "2024-03-02"),
            ("2024-03-01T10:00:00.123+01:00", "2024-03-01"),
            ("2024-03-01T10:00:00", "2024-03-01"),
            ("2024-03-01 10:00:00", "2024-03-01"),
            ("Fri, 01 Mar 2024 10:00:00 +0000", "2024-03-01"),
            ("01/03/2024", "2024-03-01"),
            ("1709287200", "2024-03-01"),
            ("1709287200000", "2024-03-01"),
        ];
        for (input, expected) in cases {
            assert_eq!(day(input).as_deref(), Some(expected), "{input}");
        }
        assert_eq!(
            date_from_value(&json!(1709287200)).unwrap().to_string(),
            "2024-03-01"
        );
        assert_eq!(
            date_from_value(&json!(1709287200000_i64))
                .unwrap()
                .to_string(),
            "2024-03-01"
        );
        for bad in ["", "yesterday", "31/02/2024", "2024-13-01", "12345"] {
            assert_eq!(day(bad), None, "{bad}");
        }
    }

    #[test]
    fn dates_past_the_calendar_are_no_date_not_a_panic() {
        for text in [
            "9999-12-31T23:30:00-02:00",
            "Fri, 31 Dec 9999 23:30:00 -0200",
            "01/01/0000",
            "0000-01-01T00:00:00",
        ] {
            assert_eq!(parse_date(text), None, "{text}");
        }
        assert_eq!(
            parse_date("9999-12-31T23:30:00+02:00").map(|d| d.to_string()),
            Some("9999-12-31".to_owned())
        );
    }

    #[test]
    fn html_becomes_text() {
        let t = html_to_text("<p>Nous cherchons un·e <b>développeur&nbsp;Rust</b></p><ul><li>Linux</li><li>K8s &amp; Helm</li></ul>");
        assert_eq!(t, "Nous cherchons un·e développeur Rust\nLinux\nK8s & Helm");
        let escaped = html_to_text("&lt;p&gt;Python &amp;amp; Django&lt;/p&gt;");
        assert_eq!(escaped, "Python & Django");
        assert_eq!(
            html_to_text("plain  text &#39;quoted&#39;"),
            "plain text 'quoted'"
        );
    }

    #[test]
    fn html_is_read_as_a_browser_tokenizes_it() {
        let cases = [
            // Upper-case and unclosed tags, attributes holding `>`.
            (
                "<P>Stack :<UL><LI>Linux<LI title=\"a > b\">PostgreSQL</UL>",
                "Stack :\nLinux\nPostgreSQL",
            ),
            // Comments, doctypes and processing instructions are not text.
            (
                "<!DOCTYPE html><!-- <p>Java</p> --><?php echo 1 ?><p>Rust</p>",
                "Rust",
            ),
            // A `<` that opens no tag is text; so is an unknown entity.
            ("<p>a < b &unknown; &lt;c&gt;</p>", "a < b &unknown; <c>"),
            // Scripts and styles are code, not text (a `<p>` in them is no
            // tag either).
            (
                "<div>Go<style>p { color: red }</style><script>if (a<b) x = '<p>Java'</script> and Rust</div>",
                "Go and Rust",
            ),
            // Line breaks of any convention, inline tags between words.
            ("<p>Python\r\n<b>and</b>\rDjango</p><br/>Vue", "Python\nand\nDjango\nVue"),
            // Table cells each on a line, numeric references decoded.
            (
                "<table><tr><td>Kubernetes</td><td>Helm&#x20;3 &#233;t&eacute;</td></tr></table>",
                "Kubernetes\nHelm 3 été",
            ),
        ];
        for (html, text) in cases {
            assert_eq!(html_to_text(html), text, "{html}");
        }
    }

    #[test]
    fn a_deeply_nested_description_is_read_in_one_pass() {
        // Tens of thousands of elements never closed: a tree builder looks
        // through them all at each start tag; a token stream does not care.
        let deep = format!(
            "{}{}",
            "<div><p>Kubernetes &amp; Linux</p>".repeat(20_000),
            "</div>".repeat(20_000)
        );
        let t = html_to_text(&deep);
        assert!(
            t.starts_with("Kubernetes & Linux\nKubernetes & Linux"),
            "{}",
            &t[..60]
        );
        assert_eq!(t.lines().count(), 20_000);
        assert!(t.lines().all(|line| line == "Kubernetes & Linux"));
    }

    #[test]
    fn whitespace_folds_to_one_space_or_one_line_break() {
        let cases = [
            ("", ""),
            ("   ", ""),
            ("a", "a"),
            ("  a  ", "a"),
            ("a  b\tc", "a b c"),
            ("a \t\r\n \n b", "a\nb"),
            ("a\r\nb", "a\nb"),
            ("a\u{a0}\u{a0}b", "a b"),
            ("a\u{2009}b\u{202f}c\u{3000}d\u{85}e", "a b c d e"),
            ("a\u{2028}b", "a b"),
            ("Ingénieur  sécurité\n\n\nLyon ", "Ingénieur sécurité\nLyon"),
            ("\n\nTitre\n", "Titre"),
            (
                "\u{200b}zero-width is not whitespace",
                "\u{200b}zero-width is not whitespace",
            ),
            ("日本\u{3000}語 😀  x", "日本 語 😀 x"),
        ];
        for (input, expected) in cases {
            assert_eq!(fold_whitespace(input), expected, "{input:?}");
            assert_eq!(reference::fold_whitespace(input), expected, "{input:?}");
        }
    }

    #[test]
    fn whitespace_folding_equals_the_first_version_on_random_text() {
        let alphabet: Vec<char> = " \t\n\r\u{b}\u{c}\u{85}\u{a0}\u{1680}\u{2000}\u{200a}\u{200b}\u{2028}\u{2029}\u{202f}\u{205f}\u{3000}\u{feff}aZé€ß日😀-<>&;\u{301}\u{e1}\u{e2}\u{180e}"
            .chars()
            .collect();
        let word_chars: Vec<char> = "abcXYZ09-.,;!~\u{7f}\u{1}\u{1f}é".chars().collect();
        let mut rng = fastrand::Rng::with_seed(19);
        for round in 0..40_000 {
            let len = rng.usize(0..64);
            let text: String = if round % 2 == 0 {
                (0..len)
                    .map(|_| alphabet[rng.usize(0..alphabet.len())])
                    .collect()
            } else {
                // Words of printable ASCII (runs of eight bytes and more,
                // with a control byte, DEL or an accent now and then)
                // between any whitespace.
                (0..len)
                    .map(|_| {
                        if rng.u8(0..5) == 0 {
                            alphabet[rng.usize(0..alphabet.len())]
                        } else {
                            word_chars[rng.usize(0..word_chars.len())]
                        }
                    })
                    .collect()
            };
            assert_eq!(
                fold_whitespace(&text),
                reference::fold_whitespace(&text),
                "{text:?}"
            );
        }
    }

    #[test]
    fn booleans() {
        assert!(bool_from_value(&json!(true)));
        assert!(bool_from_value(&json!("Remote")));
        assert!(bool_from_value(&json!(1)));
        assert!(!bool_from_value(&json!("onsite")));
        assert!(!bool_from_value(&json!(null)));
    }

    #[test]
    fn plain_text_removes_tags_and_references_twice_and_keeps_what_is_text() {
        assert_eq!(plain_text("<p>R&amp;D</p><br/>Go"), " R&D  Go");
        assert_eq!(plain_text("&lt;p&gt;Rust&lt;/p&gt;"), " Rust ");
        assert_eq!(plain_text("R&amp;amp;D &amp;eacute;"), "R&D é");
        assert_eq!(plain_text("x <!-- <b>hidden</b> --> y"), "x   y");
        assert_eq!(plain_text("salary < 50k, a<b"), "salary < 50k, a<b");
        assert_eq!(plain_text("<?xml version?>x"), " x");
        assert_eq!(plain_text("a <b no end"), "a <b no end");
        assert!(matches!(plain_text("R&D, C++ < 5 ans"), Cow::Borrowed(_)));
        // Three levels of escaping keep one: the second pass is the last.
        assert_eq!(plain_text("&amp;amp;lt;"), "&lt;");
    }
}
