//! Postal codes, département numbers, arrondissements and two-letter codes.

use super::data::Data;
use super::fold::Folded;
use super::group::{Candidate, Flags, Kind, State};

/// A département given by a code.
pub(super) fn code_candidate(d: &Data, dept: u16) -> Candidate {
    Candidate {
        country: d.fr,
        region: Some(d.depts[dept as usize].region),
        dept: Some(dept),
        commune: None,
        pop: 0,
        kind: Kind::Code,
        lone: false,
    }
}

/// The communes of a listed postal code (five digits).
pub(super) fn postal_candidates(d: &Data, text: &str, out: &mut Vec<Candidate>) {
    let Ok(code) = text.parse::<u32>() else {
        return;
    };
    for &(_, c) in d.postal_communes(code) {
        let cm = &d.communes[c as usize];
        out.push(Candidate {
            commune: Some(c),
            pop: cm.pop,
            ..code_candidate(d, cm.dept)
        });
    }
}

/// The département of an unlisted (CEDEX) postal code, from its first
/// digits (`21003` → 21, `20090` → 2A, `97490` → 974).
pub(super) fn prefix_candidate(d: &Data, text: &str) -> Option<Candidate> {
    let dept = match text.get(..2)? {
        "20" => {
            if text.as_bytes()[2] < b'2' {
                "2a"
            } else {
                "2b"
            }
        }
        "97" | "98" => text.get(..3)?,
        p => p,
    };
    d.dept_by_num.get(dept).map(|x| code_candidate(d, *x))
}

/// "15e", "09", "1er", "7eme" after Paris/Lyon/Marseille; returns the arrondissement and tokens used.
pub(super) fn arrondissement(
    d: &Data,
    f: &Folded,
    candidates: &[Candidate],
    j: usize,
    seg_end: usize,
) -> Option<(u32, usize)> {
    let city = candidates.iter().find_map(|c| {
        c.commune
            .filter(|&x| d.arrondissements.contains_key(&(x, 1)))
    })?;
    let text = f.text(j);
    let digits = text.bytes().take_while(u8::is_ascii_digit).count();
    let suffix = &text[digits..];
    if digits == 0
        || digits > 2
        || !matches!(
            suffix,
            "" | "e" | "er" | "eme" | "em" | "ieme" | "me" | "eme arrondissement"
        )
    {
        return None;
    }
    let num: u8 = text[..digits].parse().ok()?;
    let arr = *d.arrondissements.get(&(city, num))?;
    let mut used = 1;
    while j + used <= seg_end
        && matches!(
            f.text(j + used),
            "arrondissement" | "arr" | "arrt" | "ardt" | "arrdt" | "e" | "eme" | "er"
        )
    {
        used += 1;
    }
    Some((arr, used))
}

/// An upper-case two-letter token alone after a comma: state, province or
/// country code. After a place, the code is read against that place's
/// country first (`Birmingham, AL` is in the US, `Berlin, DE` in Germany);
/// after an unknown city it is a state or province when one has that code
/// (`Sacramento, CA`, `Boise, ID`); alone it is a country first.
pub(super) fn two_letter(st: &mut State, text: &str, after_unknown: bool) {
    let d = st.d;
    let admin = d.admin_codes.get(text).copied();
    let country = d.alpha2.get(text).copied();
    let mut candidates: Vec<Candidate> = Vec::with_capacity(2);
    let after_place = !st.groups.is_empty() && !st.list_break;
    let order = if after_place {
        [admin, country]
    } else if after_unknown && admin.is_some() {
        [admin, None]
    } else {
        [country, admin]
    };
    for k in order.into_iter().flatten() {
        if !candidates.iter().any(|c| c.country == k) {
            candidates.push(Candidate::country(k));
        }
    }
    st.push(
        &candidates,
        Flags {
            qualifier: true,
            ..Flags::default()
        },
    );
}

/// Département number token ("75", "2a", "971") -> département index.
pub(super) fn dept_number(d: &Data, t: &str) -> Option<u16> {
    let b = t.as_bytes();
    let ok = match b.len() {
        1 => b[0].is_ascii_digit() && b[0] != b'0',
        2 => (b[0].is_ascii_digit() && b[1].is_ascii_digit()) || t == "2a" || t == "2b",
        3 => t.starts_with("97"),
        _ => false,
    };
    if !ok {
        return None;
    }
    if b.len() == 1 {
        let padded = [b'0', b[0]];
        return std::str::from_utf8(&padded)
            .ok()
            .and_then(|p| d.dept_by_num.get(p).copied());
    }
    d.dept_by_num.get(t).copied()
}
