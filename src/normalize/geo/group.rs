//! Groups of mentions (one place each): candidate readings, how mentions
//! merge into a group, and the choice of the place of a group.

use super::data::Data;
use super::Place;

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
pub(super) struct Candidate {
    pub(super) country: u16,
    pub(super) region: Option<u16>,
    pub(super) dept: Option<u16>,
    pub(super) commune: Option<u32>,
    pub(super) pop: u32,
    pub(super) kind: Kind,
    /// A commune named alone in its segment by a name that designates a
    /// single commune: trusted whatever its population.
    pub(super) lone: bool,
}

impl Candidate {
    /// A country named, and nothing more precise.
    pub(super) fn country(k: u16) -> Candidate {
        Candidate {
            country: k,
            region: None,
            dept: None,
            commune: None,
            pop: 0,
            kind: Kind::Named,
            lone: false,
        }
    }

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

    fn priority(&self) -> u8 {
        match self.kind {
            Kind::Named | Kind::Code => 6,
            Kind::Commune if self.pop >= BIG_POP => 5,
            Kind::Foreign => 4,
            Kind::Commune => 2,
        }
    }
}

/// How sure a mention is of its département, for addresses (one address
/// is one place: the group with the best evidence is kept).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord)]
pub(super) enum Evidence {
    /// A name.
    #[default]
    Name,
    /// A postal code.
    Postal,
    /// A département number next to a name (`Montbard (21)`, `21 - MONTBARD`).
    Explicit,
}

/// Mention flags.
#[derive(Debug, Clone, Copy, Default)]
pub(super) struct Flags {
    /// An explicit code: wins over a name that contradicts it.
    pub(super) strong: bool,
    /// A code, département or région: confirms a small commune.
    pub(super) confirming: bool,
    /// May be a city (a qualifier after it may relocate it).
    pub(super) city: bool,
    /// A country, state or province (relocates the city before it).
    pub(super) qualifier: bool,
    /// The country named.
    pub(super) country: Option<u16>,
    /// A CEDEX or unlisted postal code: its département holds only if the
    /// commune named next agrees.
    pub(super) soft: bool,
    /// Evidence of the mention.
    pub(super) evidence: Evidence,
}

#[derive(Debug)]
pub(super) struct Group {
    candidates: Vec<Candidate>,
    strong: bool,
    confirmed: bool,
    last_city: bool,
    country: Option<u16>,
    soft: bool,
    evidence: Evidence,
    /// List item (places separated by `/`, `;`, `ou`…) the group is in.
    item: u16,
}

pub(super) struct State<'d> {
    pub(super) d: &'d Data,
    pub(super) groups: Vec<Group>,
    /// Another place follows: the next mention starts a new group.
    pub(super) list_break: bool,
    /// Index of the current list item.
    pub(super) item: u16,
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
                let c = &self.d.communes;
                x == y
                    || c[x as usize].insee == c[y as usize].insee
                    || self.d.communes[x as usize].parent == Some(y)
                    || self.d.communes[y as usize].parent == Some(x)
            }
            _ => true,
        }
    }

    /// A French département or région named or coded (not a commune).
    fn names_area(&self, c: &Candidate) -> bool {
        matches!(c.kind, Kind::Named | Kind::Code)
            && c.country == self.d.fr
            && c.commune.is_none()
            && (c.dept.is_some() || c.region.is_some())
    }

    fn compat(&self, a: &Candidate, b: &Candidate) -> bool {
        a.country == b.country
            && same_opt(a.region, b.region)
            && same_opt(a.dept, b.dept)
            && self.commune_rel(a.commune, b.commune)
    }

    fn refine(&self, a: &Candidate, b: &Candidate) -> Candidate {
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
        Candidate {
            country: a.country,
            region: a.region.or(b.region),
            dept: a.dept.or(b.dept),
            commune,
            pop: spec.pop,
            kind,
            lone: a.lone || b.lone,
        }
    }

    pub(super) fn push(&mut self, candidates: &[Candidate], f: Flags) {
        if candidates.is_empty() {
            return;
        }
        let new_group = self.groups.is_empty() || self.list_break;
        let item = self.item;
        self.list_break = false;
        if !new_group {
            let mut merged: Vec<Candidate> = Vec::new();
            let mut area = false;
            if let Some(g) = self.groups.last() {
                for a in &g.candidates {
                    for b in candidates {
                        if self.compat(a, b) {
                            area |= self.names_area(a) || self.names_area(b);
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
                    g.candidates = merged;
                    g.strong |= f.strong;
                    // "Viviers, Bourgogne": the région reading of a name that is
                    // also a commune confirms the commune it agrees with
                    g.confirmed |= f.confirming || area;
                    g.last_city = f.city;
                    g.country = g.country.or(f.country);
                    g.soft &= f.soft;
                    g.evidence = g.evidence.max(f.evidence);
                    return;
                }
                // "13999 Dijon": an unlisted code gives way to the commune named after it
                if g.soft && !f.qualifier && !f.soft {
                    *g = Group::new(candidates, f, item);
                    return;
                }
                // incompatible: the explicit code wins over a name next to it
                if f.strong && !g.strong {
                    *g = Group::new(candidates, f, item);
                    return;
                }
                if g.strong
                    && !f.strong
                    && !f.qualifier
                    && candidates.iter().all(|c| c.country == self.d.fr)
                {
                    return;
                }
                // "Paris, TX", "London, ON", "Valence, Espagne": the qualifier says where the city is
                if f.qualifier && g.last_city && !g.confirmed && !g.strong {
                    *g = Group::new(&candidates[..1], f, item);
                    return;
                }
            }
        }
        self.groups.push(Group::new(candidates, f, item));
    }

    /// The last group (with no list break since) has a reading compatible
    /// with `c`.
    pub(super) fn last_agrees(&self, c: &Candidate) -> bool {
        !self.list_break
            && self
                .groups
                .last()
                .is_some_and(|g| g.candidates.iter().any(|a| self.compat(a, c)))
    }

    fn place_of(&self, c: &Candidate) -> Place {
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

    pub(super) fn finalize(&self, g: &Group) -> Option<Place> {
        let trusted = g.confirmed || g.strong;
        let eligible: Vec<&Candidate> = g
            .candidates
            .iter()
            .filter(|c| trusted || c.kind != Kind::Commune || c.pop >= MIN_POP || c.lone)
            .collect();
        if eligible.is_empty() {
            return g.country.map(|k| self.place_of(&Candidate::country(k)));
        }
        let best_priority = eligible.iter().map(|c| c.priority()).max().unwrap_or(0);
        let mut tops: Vec<&Candidate> = eligible
            .iter()
            .copied()
            .filter(|c| c.priority() == best_priority)
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
        // (communes too small to be chosen count: `Montreuil` alone may be in 28 or 85)
        let guess = g
            .candidates
            .iter()
            .any(|c| class(c.kind) == class(chosen.kind) && !self.compat(&chosen, c));
        let mut p = self.place_of(&chosen);
        p.guess = guess;
        Some(p)
    }
}

impl Group {
    fn new(candidates: &[Candidate], f: Flags, item: u16) -> Group {
        Group {
            candidates: candidates.to_vec(),
            strong: f.strong,
            confirmed: f.confirming,
            last_city: f.city,
            country: f.country,
            soft: f.soft,
            evidence: f.evidence,
            item,
        }
    }
}

impl State<'_> {
    /// A group whose only readings are small communes trusted by their lone
    /// name (`Les Granges` before `21500 Montbard`) is dropped when a code
    /// places another group of the same list item: the name was a lieu-dit.
    pub(super) fn drop_lone_next_to_codes(&mut self) {
        let lone_only = |g: &Group| {
            !g.strong
                && !g.confirmed
                && g.candidates
                    .iter()
                    .all(|c| c.kind != Kind::Commune || c.lone)
                && g.candidates.iter().any(|c| c.lone && c.pop < MIN_POP)
        };
        if !self.groups.iter().any(lone_only) {
            return;
        }
        let coded: Vec<u16> = self
            .groups
            .iter()
            .filter(|g| g.strong)
            .map(|g| g.item)
            .collect();
        self.groups
            .retain(|g| !(lone_only(g) && coded.contains(&g.item)));
    }

    /// One address is one place: in each list item of an address, only the
    /// French group with the best evidence (an explicit département number,
    /// then a postal code, then a name; the first on a tie) is kept.
    pub(super) fn one_place_per_address(&mut self) {
        let fr = self.d.fr;
        let french = |g: &Group| g.candidates.iter().any(|c| c.country == fr);
        // (item, index of its best French group); groups are in item order
        let mut best: Vec<(u16, usize)> = Vec::new();
        for (i, g) in self.groups.iter().enumerate().filter(|(_, g)| french(g)) {
            match best.last_mut() {
                Some((item, b)) if *item == g.item => {
                    if g.evidence > self.groups[*b].evidence {
                        *b = i;
                    }
                }
                _ => best.push((g.item, i)),
            }
        }
        let mut i = 0;
        self.groups.retain(|g| {
            let keep = !french(g) || best.iter().any(|&(item, b)| item == g.item && b == i);
            i += 1;
            keep
        });
    }
}
