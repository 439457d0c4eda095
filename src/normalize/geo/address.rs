//! Numbers that are not places, found before the string is read.
//!
//! A full postal address carries numbers that look like département codes:
//! the house number (`7, place de la Mairie`), the box number (`BP 80352`,
//! `CS 70001`, `TSA 10001`), the CEDEX office number (`Dijon cedex 9`).
//! Strings from abroad carry time-zone offsets (`UTC+1`, `GMT-5`) and US ZIP
//! codes (`Boston, MA 02108`). [`mark`] flags those number tokens
//! ([`Tok::skip`]) so the reader never takes them for a place, and tells
//! whether the string is an address (one address is one place).

use super::data::Data;
use super::fold::{Folded, Sep, TokKind};
use super::words::class;

/// Sets the word classes of the tokens of `f`, flags the number tokens that
/// are not places and returns whether the string is a postal address (house
/// number, street word followed by a name, box number or CEDEX).
pub(super) fn mark(d: &Data, f: &mut Folded) -> bool {
    let n = f.toks.len();
    for i in 0..n {
        f.toks[i].class = d.class(f.text(i));
    }
    let mut address = false;
    let mut i = 0;
    while i < n {
        let t = f.toks[i];
        if t.kind == TokKind::Word {
            address |= t.class & class::CEDEX != 0
                || (i + 1 < n && f.toks[i + 1].sep == Sep::Word && starts(d, f, i, class::STREET));
            if is_state_code(d, f, i) {
                skip_zip(f, i + 1);
            }
            i += 1;
            continue;
        }
        if after_box(d, f, i) || after_cedex(f, i) {
            f.toks[i].skip = true;
            address = true;
        } else if after_time_zone(f, i) {
            f.toks[i].skip = true;
        } else if let Some(end) = house_number(d, f, i) {
            for k in i..end {
                if f.toks[k].kind == TokKind::Num {
                    f.toks[k].skip = true;
                }
            }
            address = true;
            i = end;
            continue;
        }
        i += 1;
    }
    if leading_number(f) && (address || has_postal_code(f)) {
        f.toks[0].skip = true;
        address = true;
    }
    address
}

/// A number alone before a comma at the very start (`12, Le Clos des Pins,
/// 32200 Sainte-Marie`): in an address, a house number, unlike the dashed
/// `21 - MONTBARD`.
fn leading_number(f: &Folded) -> bool {
    let toks = &f.toks;
    toks.len() > 1
        && toks[0].kind == TokKind::Num
        && toks[1].sep == Sep::Qual
        && !toks[1].dash
        && toks[0].end - toks[0].start <= 4
}

/// The string has a five-digit number (a postal code).
fn has_postal_code(f: &Folded) -> bool {
    (0..f.toks.len()).any(|i| {
        let t = f.text(i);
        t.len() == 5 && t.bytes().all(|b| b.is_ascii_digit())
    })
}

/// `BP 80352`, `B.P. 12`, `CS 70001`, `TSA 10001`, `Boîte postale 5`.
fn after_box(d: &Data, f: &Folded, i: usize) -> bool {
    if i == 0 || f.toks[i].sep != Sep::Word {
        return false;
    }
    f.toks[i - 1].class & class::BOX != 0
        || (i >= 2
            && f.toks[i - 1].sep == Sep::Word
            && d.class(f.span(i - 2, i - 1)) & class::BOX != 0)
}

/// `Dijon cedex 9`, `Paris Cedex 07`: the CEDEX office number (one or two digits).
fn after_cedex(f: &Folded, i: usize) -> bool {
    i > 0
        && f.toks[i].sep == Sep::Word
        && f.toks[i - 1].class & class::CEDEX != 0
        && f.text(i).len() <= 2
        && f.text(i).bytes().all(|b| b.is_ascii_digit())
}

/// `UTC+1`, `GMT-5`, `UTC+01:00`, `GMT+5:30`: offsets after a time zone.
fn after_time_zone(f: &Folded, i: usize) -> bool {
    if i == 0 {
        return false;
    }
    if f.toks[i - 1].class & class::TIME_ZONE != 0 {
        return true;
    }
    // the minutes of an offset: a number right after a skipped offset
    i >= 2 && f.toks[i - 1].skip && f.toks[i - 2].class & class::TIME_ZONE != 0
}

/// A house number: one or more numbers (`7`, `12-14`, `7 bis`) followed by a
/// street word in the same segment or at the start of the next one
/// (`7, place de la Mairie`). Returns the index after the number tokens.
fn house_number(d: &Data, f: &Folded, i: usize) -> Option<usize> {
    let text = f.text(i);
    let digits = text.bytes().take_while(u8::is_ascii_digit).count();
    if digits == 0 || digits > 4 || !matches!(&text[digits..], "" | "bis" | "ter" | "b") {
        return None;
    }
    let n = f.toks.len();
    let mut j = i + 1;
    while j < n
        && f.toks[j].sep == Sep::Word
        && (f.toks[j].kind == TokKind::Num || f.toks[j].class & class::HOUSE_SUFFIX != 0)
    {
        j += 1;
    }
    // "47 - COURS" is a département and a commune, not a street
    if j >= n || !matches!(f.toks[j].sep, Sep::Word | Sep::Qual) || f.toks[j].dash {
        return None;
    }
    let mut k = j;
    if f.toks[k].class & class::ARTICLE != 0 && k + 1 < n && f.toks[k + 1].sep == Sep::Word {
        k += 1;
    }
    // "Grande Rue" needs no name after it
    let mut named = false;
    if f.toks[k].class & class::STREET_ADJECTIVE != 0 && k + 1 < n && f.toks[k + 1].sep == Sep::Word
    {
        k += 1;
        named = true;
    }
    named |= k + 1 < n && f.toks[k + 1].sep == Sep::Word;
    (starts(d, f, k, class::LIEU_DIT) || (starts(d, f, k, class::STREET) && named)).then_some(j)
}

/// A word (`rue`) or two-word phrase (`lieu-dit`, `rond-point`) of class
/// `bit` starts at token `i`.
fn starts(d: &Data, f: &Folded, i: usize, bit: u16) -> bool {
    f.toks[i].class & bit != 0
        || (i + 1 < f.toks.len()
            && f.toks[i + 1].sep == Sep::Word
            && d.class(f.span(i, i + 1)) & bit != 0)
}

/// An upper-case US state or Canadian province code (`MA`, `ON`) at the
/// start of its segment.
fn is_state_code(d: &Data, f: &Folded, i: usize) -> bool {
    let t = f.toks[i];
    i > 0
        && t.upper
        && t.sep != Sep::Word
        && f.text(i).len() == 2
        && d.admin_codes.contains_key(f.text(i))
}

/// Marks the ZIP code after a state (`MA 02108`, `CA 94043-1351`) or the
/// postal code after a province (`ON M5V 3L9`).
fn skip_zip(f: &mut Folded, j: usize) {
    let n = f.toks.len();
    if j >= n || f.toks[j].sep != Sep::Word {
        return;
    }
    let is_zip = |s: &str| s.len() == 5 && s.bytes().all(|b| b.is_ascii_digit());
    let is_fsa = |s: &str| {
        let b = s.as_bytes();
        b.len() == 3
            && b[0].is_ascii_alphabetic() != b[1].is_ascii_alphabetic()
            && b[1].is_ascii_digit() != b[2].is_ascii_digit()
    };
    if is_zip(f.text(j)) {
        f.toks[j].skip = true;
        if j + 1 < n && f.toks[j + 1].sep == Sep::Word && f.text(j + 1).len() == 4 {
            f.toks[j + 1].skip = true;
        }
    } else if is_fsa(f.text(j)) && j + 1 < n && is_fsa(f.text(j + 1)) {
        f.toks[j].skip = true;
        f.toks[j + 1].skip = true;
    }
}
