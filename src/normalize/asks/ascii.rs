//! An ASCII, lowercase copy of a text whose bytes point back into it.
//!
//! The cue patterns of [`super::clauses`] and [`super::sections`] are
//! written in plain ASCII ("equipe", "decommission") and run on this copy:
//! ASCII word boundaries let the regex engine use its fast automata on
//! French text, and every span found maps back to the original bytes.

use std::ops::Range;

use unicode_normalization::char::decompose_canonical;

use crate::normalize::text::special;

/// The lowercase ASCII transliteration of a text ("Équipe" → "equipe",
/// "œuvre" → "oeuvre", typographic quotes and dashes → `'` `"` `-`, other
/// characters → a space), with the offset in the text of each byte's
/// character.
#[derive(Debug)]
pub(crate) struct AsciiText {
    text: Vec<u8>,
    /// `from[i]`: offset in the original text of the character that gave
    /// byte `i`; one more entry holds the original text's length. Empty
    /// for an ASCII text (byte `i` came from byte `i`).
    from: Vec<u32>,
}

impl AsciiText {
    /// Transliterates `text`.
    pub(crate) fn new(text: &str) -> AsciiText {
        if text.is_ascii() {
            // Every byte is its own character: no map needed.
            return AsciiText {
                text: text.to_ascii_lowercase().into_bytes(),
                from: Vec::new(),
            };
        }
        let mut out = AsciiText {
            text: Vec::with_capacity(text.len()),
            from: Vec::with_capacity(text.len() + 1),
        };
        let bytes = text.as_bytes();
        let mut i = 0;
        while i < bytes.len() {
            // A run of ASCII bytes is copied lowercased, each byte mapping
            // to itself.
            let run = bytes[i..]
                .iter()
                .position(|b| !b.is_ascii())
                .unwrap_or(bytes.len() - i);
            out.text
                .extend(bytes[i..i + run].iter().map(u8::to_ascii_lowercase));
            out.from.extend((i..i + run).map(offset));
            i += run;
            let Some(c) = text[i..].chars().next() else {
                break;
            };
            let at = offset(i);
            i += c.len_utf8();
            let before = out.text.len();
            match special(c) {
                Some(s) => out.text.extend_from_slice(s.as_bytes()),
                None => decompose_canonical(c, |d| {
                    if d.is_ascii_alphanumeric() {
                        out.text.push(d.to_ascii_lowercase() as u8);
                    }
                }),
            }
            if out.text.len() == before {
                out.text.push(b' ');
            }
            out.from.resize(out.text.len(), at);
        }
        out.from.push(offset(text.len()));
        out
    }

    /// The transliteration as text.
    pub(crate) fn as_str(&self) -> &str {
        std::str::from_utf8(&self.text).unwrap_or_default()
    }

    /// The range of the original text that `range` of the transliteration
    /// came from.
    pub(crate) fn source(&self, range: Range<usize>) -> Range<usize> {
        let len = self.text.len();
        let (start, end) = (range.start.min(len), range.end.min(len));
        if self.from.is_empty() {
            return start..end.max(start);
        }
        if start >= end {
            let at = self.from[start] as usize;
            return at..at;
        }
        // The end of the character that gave the last byte: the next byte
        // from another character (or the end of the text).
        let last = self.from[end - 1];
        let mut next = end;
        while next < len && self.from[next] == last {
            next += 1;
        }
        self.from[start] as usize..self.from[next] as usize
    }
}

/// A byte offset as stored (texts over 4 GiB are cut by the line cap long
/// before they reach here).
fn offset(at: usize) -> u32 {
    u32::try_from(at).unwrap_or(u32::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The first transliteration, a character at a time: the reference.
    fn char_by_char(text: &str) -> (Vec<u8>, Vec<u32>) {
        let (mut bytes, mut from) = (Vec::new(), Vec::new());
        for (at, c) in text.char_indices() {
            let at = offset(at);
            let before = bytes.len();
            if c.is_ascii() {
                bytes.push(c.to_ascii_lowercase() as u8);
            } else {
                match special(c) {
                    Some(s) => bytes.extend_from_slice(s.as_bytes()),
                    None => decompose_canonical(c, |d| {
                        if d.is_ascii_alphanumeric() {
                            bytes.push(d.to_ascii_lowercase() as u8);
                        }
                    }),
                }
                if bytes.len() == before {
                    bytes.push(b' ');
                }
            }
            from.resize(bytes.len(), at);
        }
        from.push(offset(text.len()));
        (bytes, from)
    }

    #[test]
    fn runs_of_ascii_map_like_single_characters() {
        for text in [
            "é",
            "Équipe",
            "Développeur·se Rust — télétravail",
            "ﬁnance ½ 你好 Kubernetes €",
            "fin é",
            "Œ",
            "«\u{a0}DevOps\u{a0}» et l’équipe SRE…",
        ] {
            let ascii = AsciiText::new(text);
            assert_eq!((ascii.text, ascii.from), char_by_char(text), "{text}");
        }
    }

    #[test]
    fn ascii_text_maps_to_itself() {
        let ascii = AsciiText::new("No Java HERE");
        assert_eq!(ascii.as_str(), "no java here");
        assert_eq!(ascii.source(3..7), 3..7);
        assert_eq!(ascii.source(10..20), 10..12);
    }

    #[test]
    fn accents_and_typography_become_ascii_and_map_back() {
        let text = "Nous avons quitté l’équipe — Œuvre à 100 € !";
        let ascii = AsciiText::new(text);
        assert_eq!(
            ascii.as_str(),
            "nous avons quitte l'equipe - oeuvre a 100   !"
        );
        let at = ascii.as_str().find("equipe").unwrap();
        assert_eq!(&text[ascii.source(at..at + 6)], "équipe");
        let at = ascii.as_str().find("oeuvre").unwrap();
        assert_eq!(&text[ascii.source(at..at + 6)], "Œuvre");
        let all = ascii.source(0..ascii.as_str().len());
        assert_eq!(&text[all], text);
        // Half a ligature maps to the whole character.
        assert_eq!(&text[ascii.source(at..at + 1)], "Œ");
    }
}
