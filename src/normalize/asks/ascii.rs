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
/// characters → a space), with where each byte's character is in the text.
#[derive(Debug)]
pub(crate) struct AsciiText {
    text: Vec<u8>,
    /// One mark per non-ASCII character of the original, in order: between
    /// two marks (and before the first, and after the last) byte `i` of the
    /// transliteration came from one ASCII byte, at a constant distance.
    /// Empty for an ASCII text (byte `i` came from byte `i`). A map per
    /// byte cost an entry for every byte of every description.
    marks: Vec<Mark>,
}

/// Where a non-ASCII character went.
#[derive(Debug, Clone, Copy)]
struct Mark {
    /// Its first byte in the transliteration.
    at: u32,
    /// How many bytes it became (at least one).
    len: u32,
    /// Its offset in the original text.
    src: u32,
    /// Its length there (2 to 4 bytes).
    src_len: u32,
}

impl AsciiText {
    /// Transliterates `text`.
    pub(crate) fn new(text: &str) -> AsciiText {
        if text.is_ascii() {
            // Every byte is its own character: no map needed.
            return AsciiText {
                text: text.to_ascii_lowercase().into_bytes(),
                marks: Vec::new(),
            };
        }
        let mut out = AsciiText {
            text: Vec::with_capacity(text.len()),
            marks: Vec::new(),
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
            i += run;
            let Some(c) = text[i..].chars().next() else {
                break;
            };
            let at = i;
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
            out.marks.push(Mark {
                at: offset(before),
                len: offset(out.text.len() - before),
                src: offset(at),
                src_len: offset(c.len_utf8()),
            });
        }
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
        if start >= end {
            let at = self.from(start);
            return at..at;
        }
        // Up to the end of the character that gave the last byte.
        let last = end - 1;
        let end = match self.mark_of(last) {
            Some(m) if last < (m.at + m.len) as usize => (m.src + m.src_len) as usize,
            _ => self.from(last) + 1,
        };
        self.from(start)..end
    }

    /// The offset in the original text of the character that gave byte `k`
    /// (`k` = the length: the original's length).
    fn from(&self, k: usize) -> usize {
        match self.mark_of(k) {
            None => k,
            Some(m) => {
                let (at, len) = (m.at as usize, m.len as usize);
                if k < at + len {
                    m.src as usize
                } else {
                    (m.src + m.src_len) as usize + (k - at - len)
                }
            }
        }
    }

    /// The last mark at or before byte `k`.
    fn mark_of(&self, k: usize) -> Option<Mark> {
        let after = self.marks.partition_point(|m| m.at as usize <= k);
        after.checked_sub(1).map(|i| self.marks[i])
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
            let from: Vec<u32> = (0..=ascii.text.len())
                .map(|k| offset(ascii.from(k)))
                .collect();
            assert_eq!((ascii.text, from), char_by_char(text), "{text}");
        }
    }

    /// The first `source`, over the map per byte of [`char_by_char`].
    fn source_by_byte(from: &[u32], range: Range<usize>) -> Range<usize> {
        let len = from.len() - 1;
        let (start, end) = (range.start.min(len), range.end.min(len));
        if start >= end {
            let at = from[start] as usize;
            return at..at;
        }
        let last = from[end - 1];
        let mut next = end;
        while next < len && from[next] == last {
            next += 1;
        }
        from[start] as usize..from[next] as usize
    }

    #[test]
    fn every_range_maps_back_as_through_a_map_per_byte() {
        for text in [
            "",
            "plain ASCII",
            "é",
            "Équipe",
            "Développeur·se Rust — télétravail",
            "ﬁnance ½ 你好 Kubernetes €",
            "«\u{a0}DevOps\u{a0}» et l’équipe SRE… Œ",
            "ÉÉÉ ß ﬃ 𝔘nicode",
        ] {
            let ascii = AsciiText::new(text);
            let (bytes, from) = char_by_char(text);
            assert_eq!(ascii.text, bytes, "{text}");
            for start in 0..=bytes.len() + 1 {
                for end in 0..=bytes.len() + 1 {
                    assert_eq!(
                        ascii.source(start..end),
                        source_by_byte(&from, start..end),
                        "{text:?} {start}..{end}"
                    );
                }
            }
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
