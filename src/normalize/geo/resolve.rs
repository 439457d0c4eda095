//! Turning a folded string into mentions, grouping them, choosing places.

use std::cell::RefCell;

use super::codes::{arrondissement, code_cand, dept_number, postal_cands, two_letter};
use super::data::{weak_decode, Data, Interp};
use super::fold::{fold_into, Folded, Sep, TokKind};
use super::words::STREET;
use super::{Place, Resolution};

/// Communes matched by name alone need at least this population.
pub(crate) const MIN_POP: u32 = 2_000;
/// A French commune this large beats a foreign city of the same name.
pub(crate) const BIG_POP: u32 = 20_000;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Kind {
    /// A commune name.
    Commune,
    /// A foreign city name.
    Foreign,
    /// A named département, région, country, state, or hand-listed place.
    Named,
    /// A postal code or a département number.
    Code,
}

/// One possible reading of a mention.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Cand {
    pub(super) country: u16,
    pub(super) region: Option<u16>,
    pub(super) dept: Option<u16>,
    pub(super) commune: Option<u32>,
    pub(super) pop: u32,
    pub(super) kind: Kind,
}

impl Cand {
    fn level(&self) -> u8 {
        if self.commune.is_some() {
            3
        } else if self.dept.is_some() {
            2
        } else if self.region.is_some() {
            1
        } else {
            0
        }
    }

    fn prio(&self) -> u8 {
        match self.kind {
            Kind::Named | Kind::Code => 6,
            Kind::Commune if self.pop >= BIG_POP => 5,
            Kind::Foreign => 4,
            Kind::Commune => 2,
        }
    }
}

/// Mention flags.
#[derive(Debug, Clone, Copy, Default)]
pub(super) struct Flags {
    pub(super) strong: bool,
    pub(super) confirming: bool,
    pub(super) city: bool,
    pub(super) qualifier: bool,
    pub(super) country: Option<u16>,
}

#[derive(Debug)]
pub(super) struct Group {
    cands: Vec<Cand>,
    strong: bool,
    confirmed: bool,
    last_city: bool,
    country: Option<u16>,
}

pub(super) struct State<'d> {
    pub(super) d: &'d Data,
    pub(super) groups: Vec<Group>,
    pub(super) list_break: bool,
    remote: bool,
}

fn same_opt<T: PartialEq>(a: Option<T>, b: Option<T>) -> bool {
    match (a, b) {
        (Some(x), Some(y)) => x == y,
        _ => true,
    }
}

impl State<'_> {
    fn commune_rel(&self, a: Option<u32>, b: Option<u32>) -> bool {
        match (a, b) {
            (Some(x), Some(y)) => {
                x == y
                    || self.d.communes[x as usize].parent == Some(y)
                    || self.d.communes[y as usize].parent == Some(x)
            }
            _ => true,
        }
    }

    fn compat(&self, a: &Cand, b: &Cand) -> bool {
        a.country == b.country
            && same_opt(a.region, b.region)
            && same_opt(a.dept, b.dept)
            && self.commune_rel(a.commune, b.commune)
    }

    fn refine(&self, a: &Cand, b: &Cand) -> Cand {
        let commune = match (a.commune, b.commune) {
            (Some(x), Some(y)) => {
                if self.d.communes[x as usize].parent.is_some() {
                    Some(x)
                } else {
                    Some(y)
                }
            }
            (x, y) => x.or(y),
        };
        let (spec, other) = if b.level() > a.level() {
            (b, a)
        } else {
            (a, b)
        };
        let kind = if other.kind == Kind::Code || spec.kind == Kind::Code {
            Kind::Code
        } else {
            spec.kind
        };
        Cand {
            country: a.country,
            region: a.region.or(b.region),
            dept: a.dept.or(b.dept),
            commune,
            pop: spec.pop,
            kind,
        }
    }

    pub(super) fn push(&mut self, cands: &[Cand], f: Flags) {
        if cands.is_empty() {
            return;
        }
        let new_group = self.groups.is_empty() || self.list_break;
        self.list_break = false;
        if !new_group {
            let mut merged: Vec<Cand> = Vec::new();
            if let Some(g) = self.groups.last() {
                for a in &g.cands {
                    for b in cands {
                        if self.compat(a, b) {
                            let r = self.refine(a, b);
                            if !merged.contains(&r) {
                                merged.push(r);
                            }
                        }
                    }
                }
            }
            if let Some(g) = self.groups.last_mut() {
                if !merged.is_empty() {
                    g.cands = merged;
                    g.strong |= f.strong;
                    g.confirmed |= f.confirming;
                    g.last_city = f.city;
                    g.country = g.country.or(f.country);
                    return;
                }
                // incompatible: the explicit code wins over a name next to it
                if f.strong && !g.strong {
                    *g = Group::new(cands, f);
                    return;
                }
                if g.strong
                    && !f.strong
                    && !f.qualifier
                    && cands.iter().all(|c| c.country == self.d.fr)
                {
                    return;
                }
                // "Paris, TX", "London, ON", "Valence, Espagne": the qualifier says where the city is
                if f.qualifier && g.last_city && !g.confirmed && !g.strong {
                    *g = Group::new(&cands[..1], f);
                    return;
                }
            }
        }
        self.groups.push(Group::new(cands, f));
    }

    fn place_of(&self, c: &Cand) -> Place {
        let d = self.d;
        let region = c.dept.map(|x| d.depts[x as usize].region).or(c.region);
        Place {
            country: d.countries[c.country as usize].code.clone(),
            region: region.map(|r| d.regions[r as usize].code.clone()),
            department: c.dept.map(|x| d.depts[x as usize].iso.clone()),
            commune: c
                .commune
                .map(|x| String::from_utf8_lossy(&d.communes[x as usize].insee).into_owned()),
            guess: false,
        }
    }

    fn finalize(&self, g: &Group) -> Option<Place> {
        let trusted = g.confirmed || g.strong;
        let eligible: Vec<&Cand> = g
            .cands
            .iter()
            .filter(|c| trusted || c.kind != Kind::Commune || c.pop >= MIN_POP)
            .collect();
        if eligible.is_empty() {
            return g.country.map(|k| {
                self.place_of(&Cand {
                    country: k,
                    region: None,
                    dept: None,
                    commune: None,
                    pop: 0,
                    kind: Kind::Named,
                })
            });
        }
        let best_prio = eligible.iter().map(|c| c.prio()).max().unwrap_or(0);
        let mut tops: Vec<&Cand> = eligible
            .iter()
            .copied()
            .filter(|c| c.prio() == best_prio)
            .collect();
        tops.sort_by(|a, b| b.pop.cmp(&a.pop).then(b.level().cmp(&a.level())));
        let best = *tops[0];
        let same_dept = tops
            .iter()
            .all(|c| c.country == best.country && c.dept == best.dept && c.region == best.region);
        let mut chosen = best;
        if same_dept && !tops.iter().all(|c| c.commune == best.commune) {
            chosen.commune = None;
        }
        if chosen.commune.is_none() {
            // refine "Paris" (département) to the commune when only one commune fits
            let mut finer = eligible
                .iter()
                .filter(|c| c.commune.is_some() && self.compat(&chosen, c));
            if let Some(first) = finer.next() {
                if finer.all(|c| c.commune == first.commune) {
                    chosen = self.refine(&chosen, first);
                }
            }
        }
        // a guess: another reading of the same kind (commune, foreign city, named place) was possible
        let class = |k: Kind| match k {
            Kind::Commune => 0,
            Kind::Foreign => 1,
            Kind::Named | Kind::Code => 2,
        };
        let guess = eligible
            .iter()
            .any(|c| class(c.kind) == class(chosen.kind) && !self.compat(&chosen, c));
        let mut p = self.place_of(&chosen);
        p.guess = guess;
        Some(p)
    }
}

impl Group {
    fn new(cands: &[Cand], f: Flags) -> Group {
        Group {
            cands: cands.to_vec(),
            strong: f.strong,
            confirmed: f.confirming,
            last_city: f.city,
            country: f.country,
        }
    }
}

thread_local! {
    static FOLDED: RefCell<Folded> = RefCell::new(Folded::default());
}

/// Resolves one string.
pub(crate) fn resolve(d: &Data, s: &str) -> Resolution {
    FOLDED.with(|f| match f.try_borrow_mut() {
        Ok(mut f) => {
            fold_into(s, &mut f);
            resolve_folded(d, &f)
        }
        Err(_) => {
            let mut f = Folded::default();
            fold_into(s, &mut f);
            resolve_folded(d, &f)
        }
    })
}

fn interp_cand(d: &Data, i: Interp) -> Option<(Cand, Flags)> {
    let fr = d.fr;
    let named = |region: Option<u16>, dept: Option<u16>, commune| Cand {
        country: fr,
        region: dept.map(|x: u16| d.depts[x as usize].region).or(region),
        dept,
        commune,
        pop: 0,
        kind: Kind::Named,
    };
    let confirming = Flags {
        confirming: true,
        ..Flags::default()
    };
    Some(match i {
        Interp::Commune(c) => {
            let cm = &d.communes[c as usize];
            (
                Cand {
                    country: fr,
                    region: Some(d.depts[cm.dept as usize].region),
                    dept: Some(cm.dept),
                    commune: Some(c),
                    pop: cm.pop,
                    kind: Kind::Commune,
                },
                Flags {
                    city: true,
                    ..Flags::default()
                },
            )
        }
        Interp::Dept(x) => (named(None, Some(x), None), confirming),
        Interp::Region(r) => (named(Some(r), None, None), confirming),
        Interp::Extra(x, c) => (named(None, Some(x), c), confirming),
        Interp::Country(k) => (
            Cand {
                country: k,
                region: None,
                dept: None,
                commune: None,
                pop: 0,
                kind: Kind::Named,
            },
            Flags {
                qualifier: true,
                country: Some(k),
                ..Flags::default()
            },
        ),
        Interp::Admin(k) => (
            Cand {
                country: k,
                region: None,
                dept: None,
                commune: None,
                pop: 0,
                kind: Kind::Named,
            },
            Flags {
                qualifier: true,
                ..Flags::default()
            },
        ),
        Interp::Foreign(k) => (
            Cand {
                country: k,
                region: None,
                dept: None,
                commune: None,
                pop: 0,
                kind: Kind::Foreign,
            },
            Flags {
                city: true,
                ..Flags::default()
            },
        ),
        Interp::Weak(w) => return weak_decode(w).and_then(|i| interp_cand(d, i)),
        Interp::Remote | Interp::Noise => return None,
    })
}

fn merge_flags(a: Flags, b: Flags) -> Flags {
    Flags {
        strong: a.strong || b.strong,
        confirming: a.confirming || b.confirming,
        city: a.city || b.city,
        qualifier: a.qualifier || b.qualifier,
        country: a.country.or(b.country),
    }
}

fn resolve_folded(d: &Data, f: &Folded) -> Resolution {
    let toks = &f.toks;
    let n = toks.len();
    let mut st = State {
        d,
        groups: Vec::new(),
        list_break: false,
        remote: false,
    };
    let mut cands: Vec<Cand> = Vec::new();
    let mut in_street = false;
    let mut last_mention_end: Option<usize> = None; // token index after the last mention
    let mut lead_num: Option<(usize, u16)> = None; // "69 Lyon": département number before a name
    let mut i = 0;
    while i < n {
        let t = toks[i];
        if t.sep == Sep::List {
            st.list_break = true;
        }
        if t.sep != Sep::Word {
            in_street = false;
            lead_num = None;
        }
        let mut seg_end = i;
        while seg_end + 1 < n && toks[seg_end + 1].sep == Sep::Word {
            seg_end += 1;
        }
        let seg_start = if t.sep == Sep::Word {
            (0..i)
                .rev()
                .find(|&k| toks[k].sep != Sep::Word)
                .unwrap_or(0)
        } else {
            i
        };
        let text = f.text(i);
        if t.kind == TokKind::Num {
            if in_street && text.len() != 5 {
                i += 1;
                continue;
            }
            let digits = text.bytes().take_while(u8::is_ascii_digit).count();
            cands.clear();
            if digits == 5 && text.len() == 5 {
                in_street = false;
                postal_cands(d, text, i < seg_end, &mut cands);
            } else if let Some(x) = dept_number(d, text) {
                let alone = seg_start == i && seg_end == i;
                let after_mention = i == seg_end && last_mention_end == Some(i) && seg_start < i;
                if alone || after_mention {
                    cands.push(code_cand(d, x));
                } else if i == seg_start {
                    lead_num = Some((i + 1, x));
                }
            } else if text == "20" && seg_start == i && seg_end == i {
                if let Some(&r) = d
                    .regions
                    .iter()
                    .position(|r| r.code == "FR-20R")
                    .map(|r| r as u16)
                    .as_ref()
                {
                    cands.push(Cand {
                        country: d.fr,
                        region: Some(r),
                        dept: None,
                        commune: None,
                        pop: 0,
                        kind: Kind::Code,
                    });
                }
            }
            if !cands.is_empty() {
                st.push(
                    &cands,
                    Flags {
                        strong: true,
                        confirming: true,
                        ..Flags::default()
                    },
                );
                last_mention_end = Some(i + 1);
            }
            i += 1;
            continue;
        }
        if in_street {
            i += 1;
            continue;
        }
        // street words start a street name when more words follow ("Rue de Paris")
        if i < seg_end && STREET.contains(&text) {
            in_street = true;
            i += 1;
            continue;
        }
        let mut matched = 0;
        if let Some(&maxn) = d.first.get(text) {
            let maxn = (maxn as usize).min(seg_end - i + 1);
            for len in (1..=maxn).rev() {
                if let Some(interps) = d.lookup(f.span(i, i + len - 1)) {
                    matched = len;
                    let whole = i == seg_start && i + len - 1 == seg_end;
                    cands.clear();
                    let mut flags = Flags::default();
                    let mut city = false;
                    for &ip in interps {
                        if ip == Interp::Remote {
                            st.remote = true;
                        }
                        if matches!(ip, Interp::Weak(_)) && !whole {
                            continue;
                        }
                        if let Some((c, fl)) = interp_cand(d, ip) {
                            city |= fl.city;
                            flags = merge_flags(flags, fl);
                            cands.push(c);
                        }
                    }
                    flags.city = city;
                    // a name that may be a commune does not confirm itself ("Vienne")
                    flags.confirming &= !city;
                    // arrondissements: "Paris 15e", "Lyon 7ème", "PARIS 09", "Marseille 8e arrondissement"
                    let j = i + len;
                    if j <= seg_end && toks[j].kind == TokKind::Num {
                        if let Some((arr, used)) = arrondissement(d, f, &cands, j, seg_end) {
                            let cm = &d.communes[arr as usize];
                            cands.clear();
                            cands.push(Cand {
                                country: d.fr,
                                region: Some(d.depts[cm.dept as usize].region),
                                dept: Some(cm.dept),
                                commune: Some(arr),
                                pop: cm.pop,
                                kind: Kind::Commune,
                            });
                            matched += used;
                        }
                    }
                    if let Some((_, x)) = lead_num.take().filter(|&(at, _)| at == i) {
                        let code = [code_cand(d, x)];
                        st.push(
                            &code,
                            Flags {
                                strong: true,
                                confirming: true,
                                ..Flags::default()
                            },
                        );
                    }
                    if !cands.is_empty() {
                        st.push(&cands, flags);
                    }
                    last_mention_end = Some(i + matched);
                    break;
                }
            }
        }
        if matched > 0 {
            i += matched;
            continue;
        }
        if t.conj {
            st.list_break = true;
        } else if text.len() == 2 && t.upper && seg_start == i && seg_end == i && i > 0 {
            two_letter(&mut st, text);
        }
        i += 1;
    }
    let mut places: Vec<Place> = Vec::new();
    for g in &st.groups {
        if let Some(p) = st.finalize(g) {
            if !places.contains(&p) {
                places.push(p);
            }
        }
    }
    // drop places that are ancestors of another place ("France" next to "Paris")
    let mut keep = vec![true; places.len()];
    for (a, pa) in places.iter().enumerate() {
        for pb in &places {
            if is_ancestor(pa, pb) {
                keep[a] = false;
            }
        }
    }
    let mut k = keep.iter();
    places.retain(|_| *k.next().unwrap_or(&true));
    Resolution {
        places,
        remote: st.remote,
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
