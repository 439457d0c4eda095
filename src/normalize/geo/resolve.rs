//! Reading a folded string: its mentions (names and codes), in order,
//! handed to the groups of [`super::group`].

use std::cell::RefCell;

use super::address;
use super::codes::{
    arrondissement, code_candidate, dept_number, postal_candidates, prefix_candidate, two_letter,
};
use super::data::{weak_decode, Data, Reading};
use super::fold::{fold_into, Folded, Sep, TokKind};
use super::group::{Candidate, Evidence, Flags, Kind, State};
use super::remote::RemoteReading;
use super::words::class;
use super::{Place, Resolution};

thread_local! {
    static FOLDED: RefCell<Folded> = RefCell::new(Folded::default());
}

/// Resolves one string.
pub(crate) fn resolve(d: &Data, s: &str) -> Resolution {
    FOLDED.with(|f| match f.try_borrow_mut() {
        Ok(mut f) => read(d, &mut f, s),
        Err(_) => read(d, &mut Folded::default(), s),
    })
}

fn read(d: &Data, f: &mut Folded, s: &str) -> Resolution {
    fold_into(s, f);
    let address = address::mark(d, f);
    let mut r = Reader {
        f,
        st: State {
            d,
            groups: Vec::new(),
            list_break: false,
            item: 0,
        },
        remote: RemoteReading::default(),
        candidates: Vec::new(),
        in_street: false,
        last_mention_end: None,
        lead_num: None,
        seg_unknown: false,
        prev_unknown: false,
    };
    r.read_all();
    r.st.drop_lone_next_to_codes();
    if address {
        r.st.one_place_per_address();
    }
    let mut places: Vec<Place> = Vec::new();
    for g in &r.st.groups {
        if let Some(p) = r.st.finalize(g) {
            if !places.contains(&p) {
                places.push(p);
            }
        }
    }
    drop_ancestors(&mut places);
    Resolution {
        places,
        remote: r.remote.finish(),
    }
}

/// Drops places that are ancestors of another place (`France` next to `Paris`).
fn drop_ancestors(places: &mut Vec<Place>) {
    let keep: Vec<bool> = places
        .iter()
        .map(|a| !places.iter().any(|b| is_ancestor(a, b)))
        .collect();
    let mut k = keep.iter();
    places.retain(|_| *k.next().unwrap_or(&true));
}

/// Reads the tokens of one folded string, left to right.
struct Reader<'a, 'd> {
    f: &'a Folded,
    st: State<'d>,
    remote: RemoteReading,
    /// Candidates of the current mention (reused).
    candidates: Vec<Candidate>,
    /// Inside a street name (`rue de Paris`): words are skipped up to the next postal code.
    in_street: bool,
    /// Token index after the last mention that gave candidates.
    last_mention_end: Option<usize>,
    /// `69 Lyon`: a département number before a name (index of the name, département).
    lead_num: Option<(usize, u16)>,
    /// The current segment has a word that is no known name.
    seg_unknown: bool,
    /// The previous segment had such a word (`Sacramento, CA`).
    prev_unknown: bool,
}

/// Number of tokens of the longest known name starting at token `i`.
fn longest_at(d: &Data, f: &Folded, i: usize, seg_end: usize) -> Option<usize> {
    if i > seg_end {
        return None;
    }
    let maxn = d.names.longest_from(f.text(i))?.min(seg_end - i + 1);
    (1..=maxn)
        .rev()
        .find(|&len| d.lookup(f.span(i, i + len - 1)).is_some())
}

/// The flags of a code.
fn code_flags(evidence: Evidence) -> Flags {
    Flags {
        strong: true,
        confirming: true,
        evidence,
        ..Flags::default()
    }
}

impl Reader<'_, '_> {
    fn read_all(&mut self) {
        let f = self.f;
        let n = f.toks.len();
        let (mut seg_start, mut seg_end) = (0, 0);
        let mut i = 0;
        while i < n {
            let t = f.toks[i];
            if t.sep != Sep::Word {
                if t.sep == Sep::List {
                    self.next_item();
                }
                self.in_street = false;
                self.lead_num = None;
                self.prev_unknown = self.seg_unknown;
                self.seg_unknown = false;
                seg_start = i;
                seg_end = i;
                while seg_end + 1 < n && f.toks[seg_end + 1].sep == Sep::Word {
                    seg_end += 1;
                }
            }
            let text = f.text(i);
            self.remote.token(&t, text);
            if t.skip {
                i += 1;
                continue;
            }
            if t.kind == TokKind::Num {
                self.number(i, seg_start, seg_end);
                i += 1;
                continue;
            }
            if self.in_street {
                i += 1;
                continue;
            }
            // "Grande Rue": a street, not the commune Rue
            if i > seg_start
                && t.class & class::STREET != 0
                && f.toks[i - 1].class & class::STREET_ADJECTIVE != 0
            {
                self.in_street = true;
                i += 1;
                continue;
            }
            // street words start a street name when more words follow ("Rue de Paris")
            // ("Cours-les-Bains" is a commune, "cours Lafayette" a street)
            if i < seg_end
                && t.class & class::STREET != 0
                && longest_at(self.st.d, f, i, seg_end).is_none_or(|l| l < 2)
            {
                self.in_street = true;
                i += 1;
                continue;
            }
            if self.state_or_country_code(i, seg_start, seg_end) {
                i += 1;
                continue;
            }
            let matched = self.name(i, seg_start, seg_end);
            if matched > 0 {
                i += matched;
                continue;
            }
            if t.conj {
                self.next_item();
            } else {
                self.seg_unknown = true;
            }
            i += 1;
        }
    }

    /// Another place follows (`/`, `;`, `ou`, `or`…).
    fn next_item(&mut self) {
        self.st.list_break = true;
        self.st.item = self.st.item.saturating_add(1);
        self.remote.end_item();
    }

    /// An upper-case two-letter state, province or country code standing
    /// alone after a separator (`Austin, TX`, `Berlin, DE`, `Remote (US)`).
    /// A code that is also a name (`DE`, `LA`, `NC`) is read as a code only
    /// after a place or an unknown city.
    fn state_or_country_code(&mut self, i: usize, seg_start: usize, seg_end: usize) -> bool {
        let f = self.f;
        let t = f.toks[i];
        let text = f.text(i);
        let alone = seg_start == i && f.toks[i + 1..=seg_end].iter().all(|t| t.skip);
        if i == 0 || !t.upper || text.len() != 2 || !alone {
            return false;
        }
        let d = self.st.d;
        if !d.admin_codes.contains_key(text) && !d.alpha2.contains_key(text) {
            return false;
        }
        let after_place = !self.st.groups.is_empty() && !self.st.list_break;
        if d.names.contains(text) && !after_place && !self.prev_unknown {
            return false;
        }
        two_letter(&mut self.st, text, self.prev_unknown);
        true
    }

    /// A number token: postal code, département number, or nothing.
    fn number(&mut self, i: usize, seg_start: usize, seg_end: usize) {
        let f = self.f;
        let d = self.st.d;
        let text = f.text(i);
        if self.in_street && text.len() != 5 {
            return;
        }
        let digits = text.bytes().take_while(u8::is_ascii_digit).count();
        self.candidates.clear();
        let mut flags = code_flags(Evidence::Postal);
        if digits == 5 && text.len() == 5 {
            self.in_street = false;
            postal_candidates(d, text, &mut self.candidates);
            if self.candidates.is_empty() {
                // CEDEX or unlisted code: the département of its first digits,
                // if the commune named next to it agrees
                if let Some(c) = prefix_candidate(d, text) {
                    if i < seg_end {
                        self.candidates.push(c);
                        flags.strong = false;
                        flags.soft = true;
                    } else if self.last_mention_end == Some(i) && self.st.last_agrees(&c) {
                        self.candidates.push(c);
                    }
                }
            }
        } else if let Some(x) = dept_number(d, text) {
            let alone = seg_start == i && seg_end == i;
            let after_mention = i == seg_end && self.last_mention_end == Some(i) && seg_start < i;
            if alone || after_mention {
                self.candidates.push(code_candidate(d, x));
                flags.evidence = Evidence::Explicit;
            } else if i == seg_start {
                self.lead_num = Some((i + 1, x));
            }
        } else if text == "20" && seg_start == i && seg_end == i {
            if let Some(r) = d.regions.iter().position(|r| r.code == "FR-20R") {
                self.candidates.push(Candidate {
                    country: d.fr,
                    region: Some(r as u16),
                    dept: None,
                    commune: None,
                    pop: 0,
                    kind: Kind::Code,
                    lone: false,
                });
                flags.evidence = Evidence::Explicit;
            }
        }
        if !self.candidates.is_empty() {
            self.st.push(&self.candidates, flags);
            self.last_mention_end = Some(i + 1);
        }
    }

    /// The longest known name starting at token `i`; returns the number of
    /// tokens used (0 when none).
    fn name(&mut self, i: usize, seg_start: usize, seg_end: usize) -> usize {
        let f = self.f;
        let d = self.st.d;
        let Some(maxn) = d.names.longest_from(f.text(i)) else {
            return 0;
        };
        let maxn = maxn.min(seg_end - i + 1);
        for len in (1..=maxn).rev() {
            let Some((readings, lone)) = d.lookup(f.span(i, i + len - 1)) else {
                continue;
            };
            // "la Côte-d'Or": the article is not part of "La Côte" when a name
            // starting after it reaches further
            if len >= 2
                && f.toks[i].class & (class::ARTICLE | class::PARTICLE) != 0
                && longest_at(d, f, i + 1, seg_end).is_some_and(|l| i + 1 + l > i + len)
            {
                return 1;
            }
            let mut matched = len;
            let whole = i == seg_start && i + len - 1 == seg_end;
            self.candidates.clear();
            let mut flags = Flags::default();
            let mut city = false;
            for &ip in readings {
                match ip {
                    Reading::Remote => self.remote.phrase(false),
                    Reading::RemoteFull => self.remote.phrase(true),
                    Reading::Weak(_) if !whole => continue,
                    _ => {}
                }
                if let Some((mut c, fl)) = reading_candidate(d, ip) {
                    c.lone = whole && lone && c.kind == Kind::Commune;
                    city |= fl.city;
                    flags = merge_flags(flags, fl);
                    self.candidates.push(c);
                }
            }
            flags.city = city;
            // a name that may be a commune does not confirm itself ("Vienne")
            flags.confirming &= !city;
            // arrondissements: "Paris 15e", "Lyon 7ème", "PARIS 09", "Marseille 8e arrondissement"
            let j = i + len;
            if j <= seg_end && f.toks[j].kind == TokKind::Num && !f.toks[j].skip {
                if let Some((arr, used)) = arrondissement(d, f, &self.candidates, j, seg_end) {
                    let cm = &d.communes[arr as usize];
                    self.candidates.clear();
                    self.candidates.push(Candidate {
                        country: d.fr,
                        region: Some(d.depts[cm.dept as usize].region),
                        dept: Some(cm.dept),
                        commune: Some(arr),
                        pop: cm.pop,
                        kind: Kind::Commune,
                        lone: false,
                    });
                    matched += used;
                }
            }
            if !self.candidates.is_empty() {
                if let Some((_, x)) = self.lead_num.take().filter(|&(at, _)| at == i) {
                    self.st
                        .push(&[code_candidate(d, x)], code_flags(Evidence::Explicit));
                }
                self.st.push(&self.candidates, flags);
                self.last_mention_end = Some(i + matched);
            }
            return matched;
        }
        0
    }
}

fn reading_candidate(d: &Data, i: Reading) -> Option<(Candidate, Flags)> {
    let fr = d.fr;
    let named = |region: Option<u16>, dept: Option<u16>, commune| Candidate {
        country: fr,
        region: dept.map(|x: u16| d.depts[x as usize].region).or(region),
        dept,
        commune,
        pop: 0,
        kind: Kind::Named,
        lone: false,
    };
    let confirming = Flags {
        confirming: true,
        ..Flags::default()
    };
    Some(match i {
        Reading::Commune(c) => {
            let cm = &d.communes[c as usize];
            (
                Candidate {
                    country: fr,
                    region: Some(d.depts[cm.dept as usize].region),
                    dept: Some(cm.dept),
                    commune: Some(c),
                    pop: cm.pop,
                    kind: Kind::Commune,
                    lone: false,
                },
                Flags {
                    city: true,
                    ..Flags::default()
                },
            )
        }
        Reading::Dept(x) => (named(None, Some(x), None), confirming),
        Reading::Region(r) => (named(Some(r), None, None), confirming),
        Reading::Extra(x, c) => (named(None, Some(x), c), confirming),
        Reading::Country(k) => (
            Candidate::country(k),
            Flags {
                qualifier: true,
                country: Some(k),
                ..Flags::default()
            },
        ),
        Reading::Admin(k) => (
            Candidate::country(k),
            Flags {
                qualifier: true,
                ..Flags::default()
            },
        ),
        Reading::Foreign(k) => (
            Candidate {
                country: k,
                region: None,
                dept: None,
                commune: None,
                pop: 0,
                kind: Kind::Foreign,
                lone: false,
            },
            Flags {
                city: true,
                ..Flags::default()
            },
        ),
        Reading::Weak(w) => return weak_decode(w).and_then(|i| reading_candidate(d, i)),
        Reading::Remote | Reading::RemoteFull | Reading::Noise => return None,
    })
}

fn merge_flags(a: Flags, b: Flags) -> Flags {
    Flags {
        strong: a.strong || b.strong,
        confirming: a.confirming || b.confirming,
        city: a.city || b.city,
        qualifier: a.qualifier || b.qualifier,
        country: a.country.or(b.country),
        soft: a.soft && b.soft,
        evidence: a.evidence.max(b.evidence),
    }
}

fn is_ancestor(a: &Place, b: &Place) -> bool {
    fn level(p: &Place) -> u8 {
        if p.commune.is_some() {
            3
        } else if p.department.is_some() {
            2
        } else if p.region.is_some() {
            1
        } else {
            0
        }
    }
    if a.country != b.country || level(a) >= level(b) {
        return false;
    }
    (a.region.is_none() || a.region == b.region)
        && (a.department.is_none() || a.department == b.department)
}
