//! Embedded data files and the lookup tables built from them.

use super::error::GeoError;
use super::fold::{fold_key, fold_key_with, FastMap, Folded};
use super::names::{NameEntry, NameIndex, OwnedIndexBytes};
use super::rows::{
    split_byte, AdminAbroadRow, CityAbroadRow, CommuneRow, CountryRow, DepartementRow,
    ExtraPlaceRow, RegionRow, Rows,
};
use super::words::{
    ARTICLES, BOXES, CLASSES, FRANCE_WIDE, NOISE, REMOTE, REMOTE_FULL, STOP_NAMES, TIME_ZONES, WEAK,
};

pub(super) const REGIONS: &str = include_str!("../../../data/geo/regions.tsv");
pub(super) const DEPARTEMENTS: &str = include_str!("../../../data/geo/departements.tsv");
pub(super) const COMMUNES: &str = include_str!("../../../data/geo/communes.tsv");
pub(super) const COUNTRIES: &str = include_str!("../../../data/geo/countries.tsv");
pub(super) const CITIES_ABROAD: &str = include_str!("../../../data/geo/cities_abroad.tsv");
pub(super) const ADMIN_ABROAD: &str = include_str!("../../../data/geo/admin_abroad.tsv");
pub(super) const PLACES_EXTRA: &str = include_str!("../../../data/geo/places_extra.tsv");

/// One reading of a folded name (what it may name).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Reading {
    /// A commune (index into `communes`).
    Commune(u32),
    /// A département named (index into `depts`).
    Dept(u16),
    /// A région named (index into `regions`).
    Region(u16),
    /// A country named (index into `countries`).
    Country(u16),
    /// A major foreign city of this country.
    Foreign(u16),
    /// A state/province/region abroad of this country.
    Admin(u16),
    /// A hand-listed French place: département and maybe commune.
    Extra(u16, Option<u32>),
    /// Remote work phrase (hybrid when a partial marker goes with it).
    Remote,
    /// Fully remote work phrase.
    RemoteFull,
    /// Word known not to be a place ("hybrid", "EU", "head office").
    Noise,
    /// Same as the inner reading, valid only when alone in its segment.
    Weak(u16),
}

/// A région (or an overseas département-région).
#[derive(Debug)]
pub(crate) struct Region {
    pub code: String,
    pub name: String,
}

/// A département.
#[derive(Debug)]
pub(crate) struct Dept {
    /// `FR-75`
    pub iso: String,
    pub name: String,
    pub region: u16,
}

/// A commune, an arrondissement municipal or a former commune.
#[derive(Debug)]
pub(crate) struct Commune {
    pub insee: [u8; 5],
    pub dept: u16,
    pub pop: u32,
    /// For arrondissements: the city (index).
    pub parent: Option<u32>,
}

/// A country.
#[derive(Debug)]
pub(crate) struct Country {
    pub code: String,
    pub name: String,
}

/// All tables.
#[derive(Debug)]
pub(crate) struct Data {
    pub regions: Vec<Region>,
    pub depts: Vec<Dept>,
    pub communes: Vec<Commune>,
    pub countries: Vec<Country>,
    /// Dept number ("75", "2A", "971") -> index.
    pub dept_by_num: FastMap<Box<str>, u16>,
    /// Code (FR-75, FR-IDF, DE) -> entry.
    pub by_code: FastMap<Box<str>, CodeRef>,
    /// Folded name → its readings; first word → longest name.
    pub names: NameIndex,
    /// Sorted (postal code, commune index).
    pub postal: Vec<(u32, u32)>,
    /// (city index, arrondissement number) -> commune index.
    pub arrondissements: FastMap<(u32, u8), u32>,
    /// Two-letter codes abroad (TX, ON): code -> country index.
    pub admin_codes: FastMap<Box<str>, u16>,
    /// Folded word or two-word phrase -> `words::class` bits.
    pub classes: FastMap<Box<str>, u16>,
    /// Country alpha-2 (lower case) -> index.
    pub alpha2: FastMap<Box<str>, u16>,
    pub fr: u16,
}

/// Shortest name (folded, spaces included) trusted as a lone commune name (see
/// [`NameIndex::lookup`]):
/// `Us`, `Eu`, `By`, `Oz` are words before they are villages.
pub(crate) const LONE_MIN_LEN: usize = 4;

/// What a code refers to.
#[derive(Debug, Clone, Copy)]
pub(crate) enum CodeRef {
    World,
    Remote,
    Country(u16),
    Region(u16),
    Dept(u16),
}

fn bad(file: &'static str, line: usize, reason: impl Into<String>) -> GeoError {
    GeoError::BadLine {
        file,
        line,
        reason: reason.into(),
    }
}

struct Builder {
    /// Collect the names (`build.rs`), or only the tables (at run time,
    /// when the names come from the embedded index).
    with_names: bool,
    names: FastMap<String, Vec<Reading>>,
    /// Code (`FR-75`, `FR-IDF`, `DE`) → what it refers to.
    by_code: FastMap<Box<str>, CodeRef>,
    /// The folder's buffers, reused for every name.
    scratch: Folded,
}

impl Builder {
    /// `La Marne`, `Le Nord`, `L'Isère`: an area name after an article is the
    /// area, before the small commune of that name (`La Marne` in 44).
    fn add_with_articles(&mut self, name: &str, i: Reading) {
        if !self.with_names {
            return;
        }
        let key = fold_key_with(name, &mut self.scratch);
        if key.split(' ').next().is_some_and(|w| ARTICLES.contains(&w)) {
            return;
        }
        for art in ARTICLES {
            self.add(&format!("{art} {key}"), i);
        }
    }

    fn add(&mut self, name: &str, i: Reading) {
        if !self.with_names {
            return;
        }
        let key = fold_key_with(name, &mut self.scratch);
        if key.is_empty() {
            return;
        }
        let v = self.names.entry(key).or_default();
        if v.contains(&i) {
            return;
        }
        // a state before the country of the same name: "Athens, Georgia" is in the US
        match (i, v.iter().position(|x| matches!(x, Reading::Country(_)))) {
            (Reading::Admin(_), Some(at)) => v.insert(at, i),
            _ => v.push(i),
        }
    }
}

fn parse_u32(file: &'static str, line: usize, s: &str) -> Result<u32, GeoError> {
    s.parse()
        .map_err(|_| bad(file, line, format!("bad number {s:?}")))
}

/// Names the builder's map is sized for (the bundled data has about
/// 36,600 folded names).
pub(super) const NAMES_CAPACITY: usize = 50_000;

impl Builder {
    fn new(with_names: bool) -> Builder {
        let capacity = if with_names { NAMES_CAPACITY } else { 0 };
        let mut by_code = FastMap::default();
        by_code.insert("WORLD".into(), CodeRef::World);
        by_code.insert("REMOTE".into(), CodeRef::Remote);
        Builder {
            with_names,
            // With the names: about as many as communes, and a few more (no
            // rehashing); without: an empty map.
            names: FastMap::with_capacity_and_hasher(capacity, Default::default()),
            by_code,
            scratch: Folded::default(),
        }
    }
}

/// Builds the tables from the embedded files, with their name index (the
/// one `build.rs` laid out, read by [`NameIndex::from_bytes`]).
// Not called by `build.rs`, which compiles this file too.
#[allow(dead_code)]
pub(crate) fn build(names: NameIndex) -> Result<Data, GeoError> {
    let t = load(&mut Builder::new(false))?;
    Ok(Data {
        classes: word_classes(),
        regions: t.regions,
        depts: t.depts,
        communes: t.communes.communes,
        countries: t.countries.countries,
        dept_by_num: t.dept_by_num,
        by_code: t.by_code,
        names,
        postal: t.communes.postal,
        arrondissements: t.communes.arrondissements,
        admin_codes: t.admin_codes,
        alpha2: t.countries.alpha2,
        fr: t.countries.fr,
    })
}

/// Lays out the name index from the embedded files: what `build.rs` runs
/// when skilltrack is compiled (and a test, to compare with the embedded
/// index).
// At run time, only tests call it.
#[cfg_attr(not(test), allow(dead_code))]
pub(crate) fn build_names() -> Result<OwnedIndexBytes, GeoError> {
    let mut b = Builder::new(true);
    let t = load(&mut b)?;
    add_rule_words(&mut b, t.countries.fr);
    flatten(b, &t.communes.communes)
}

/// The tables read from the files, before the name index joins them.
struct Tables {
    regions: Vec<Region>,
    depts: Vec<Dept>,
    dept_by_num: IndexByCode,
    communes: Communes,
    countries: Countries,
    admin_codes: IndexByCode,
    by_code: FastMap<Box<str>, CodeRef>,
}

/// Reads every file; the builder collects the names if it was asked to.
fn load(b: &mut Builder) -> Result<Tables, GeoError> {
    let regions = load_regions(b)?;
    let (depts, dept_by_num) = load_departements(b, &regions)?;
    let communes = load_communes(b, &dept_by_num)?;
    let countries = load_countries(b)?;
    let admin_codes = load_abroad(b, &countries.alpha2)?;
    load_extra_places(b, &dept_by_num, &communes.by_insee)?;
    Ok(Tables {
        regions,
        depts,
        dept_by_num,
        communes,
        countries,
        admin_codes,
        by_code: std::mem::take(&mut b.by_code),
    })
}

/// `regions.tsv`: code, INSEE code, name, aliases.
fn load_regions(b: &mut Builder) -> Result<Vec<Region>, GeoError> {
    let mut regions = Vec::new();
    let mut rows = Rows::new("regions.tsv", REGIONS);
    while let Some((_, row)) = rows.next::<RegionRow>()? {
        let idx = regions.len() as u16;
        b.add(row.name, Reading::Region(idx));
        b.add_with_articles(row.name, Reading::Region(idx));
        for a in row.aliases.split('|').filter(|a| !a.is_empty()) {
            b.add(a, Reading::Region(idx));
        }
        b.by_code.insert(row.code.into(), CodeRef::Region(idx));
        regions.push(Region {
            code: row.code.to_string(),
            name: row.name.to_string(),
        });
    }

    Ok(regions)
}

/// Index of an entry by its code (département number, alpha-2 code…),
/// lowercase.
type IndexByCode = FastMap<Box<str>, u16>;

/// `departements.tsv`: number, région code, name; with the number → index map.
fn load_departements(
    b: &mut Builder,
    regions: &[Region],
) -> Result<(Vec<Dept>, IndexByCode), GeoError> {
    let mut depts = Vec::new();
    let mut dept_by_num: FastMap<Box<str>, u16> = FastMap::default();
    let mut rows = Rows::new("departements.tsv", DEPARTEMENTS);
    while let Some((line, row)) = rows.next::<DepartementRow>()? {
        let region = regions
            .iter()
            .position(|x| x.code == row.region)
            .ok_or_else(|| {
                bad(
                    "departements.tsv",
                    line,
                    format!("unknown region {}", row.region),
                )
            })? as u16;
        let idx = depts.len() as u16;
        let iso = format!("FR-{}", row.number);
        // an overseas département is its own région: keep one entry, with the département
        b.add(row.name, Reading::Dept(idx));
        b.add_with_articles(row.name, Reading::Dept(idx));
        dept_by_num.insert(row.number.to_ascii_lowercase().into(), idx);
        b.by_code.insert(iso.as_str().into(), CodeRef::Dept(idx));
        depts.push(Dept {
            iso,
            name: row.name.to_string(),
            region,
        });
    }

    Ok((depts, dept_by_num))
}

/// The communes with their postal codes, INSEE codes and arrondissements.
struct Communes {
    communes: Vec<Commune>,
    /// (postal code, commune), sorted.
    postal: Vec<(u32, u32)>,
    by_insee: FastMap<[u8; 5], u32>,
    /// (city, arrondissement number) → arrondissement.
    arrondissements: FastMap<(u32, u8), u32>,
}

/// An arrondissement municipal read before its city may be: tied to the city
/// once every commune is read.
struct ArrondissementRow {
    /// Its index in the communes.
    commune: u32,
    /// The city's INSEE code.
    parent: [u8; 5],
    /// Its name ("Paris 9e Arrondissement"), which holds its number.
    name: String,
}

/// The entry of a code as written (`75`, `2A`, `DE`) in a map whose keys are
/// lower case; a code without an upper-case letter (the département of most
/// of the 35,000 communes) is looked up without allocating.
fn index_of(map: &IndexByCode, code: &str) -> Option<u16> {
    if code.bytes().any(|b| b.is_ascii_uppercase()) {
        map.get(code.to_ascii_lowercase().as_str()).copied()
    } else {
        map.get(code).copied()
    }
}

/// The index of the département a row of `file` gives by its number.
fn departement_of(
    dept_by_num: &IndexByCode,
    file: &'static str,
    line: usize,
    number: &str,
) -> Result<u16, GeoError> {
    index_of(dept_by_num, number)
        .ok_or_else(|| bad(file, line, format!("unknown département {number}")))
}

/// `communes.tsv`: INSEE code, name, département, population, postal codes,
/// parent (arrondissements).
fn load_communes(b: &mut Builder, dept_by_num: &IndexByCode) -> Result<Communes, GeoError> {
    let mut communes: Vec<Commune> = Vec::with_capacity(40_000);
    let mut postal: Vec<(u32, u32)> = Vec::with_capacity(45_000);
    let mut by_insee: FastMap<[u8; 5], u32> =
        FastMap::with_capacity_and_hasher(40_000, Default::default());
    let mut arrondissement_rows: Vec<ArrondissementRow> = Vec::new();
    let mut rows = Rows::new("communes.tsv", COMMUNES);
    while let Some((line, row)) = rows.next::<CommuneRow>()? {
        let insee: [u8; 5] = row
            .insee
            .as_bytes()
            .try_into()
            .map_err(|_| bad("communes.tsv", line, "INSEE code must have 5 characters"))?;
        let dept = departement_of(dept_by_num, "communes.tsv", line, row.departement)?;
        let pop = row.population;
        let idx = communes.len() as u32;
        for p in split_byte(row.postal_codes, b' ').filter(|p| !p.is_empty()) {
            postal.push((parse_u32("communes.tsv", line, p)?, idx));
        }
        if !row.parent.is_empty() {
            let parent: [u8; 5] = row
                .parent
                .as_bytes()
                .try_into()
                .map_err(|_| bad("communes.tsv", line, "parent code must have 5 characters"))?;
            arrondissement_rows.push(ArrondissementRow {
                commune: idx,
                parent,
                name: row.name.to_string(),
            });
        } else {
            b.add(row.name, Reading::Commune(idx));
            // "Bors (Canton de Charente-Sud)", "Château-Chinon (Ville)": also by the name before the brackets
            if let Some(base) = before_bracket(row.name) {
                b.add(base, Reading::Commune(idx));
            }
            by_insee.entry(insee).or_insert(idx);
        }
        communes.push(Commune {
            insee,
            dept,
            pop,
            parent: None,
        });
    }
    let mut arrondissements = FastMap::default();
    for ArrondissementRow {
        commune: idx,
        parent,
        name,
    } in arrondissement_rows
    {
        let p = *by_insee.get(&parent).ok_or_else(|| {
            bad(
                "communes.tsv",
                0,
                format!("unknown parent commune of {name}"),
            )
        })?;
        let n: u8 = name
            .split(' ')
            .find_map(|w| w.trim_end_matches(|c: char| c.is_alphabetic()).parse().ok())
            .ok_or_else(|| {
                bad(
                    "communes.tsv",
                    0,
                    format!("no arrondissement number in {name}"),
                )
            })?;
        communes[idx as usize].parent = Some(p);
        arrondissements.insert((p, n), idx);
    }
    // one u64 key: sorts in a fifth of the instructions the pair takes
    postal.sort_unstable_by_key(|&(code, commune)| (u64::from(code) << 32) | u64::from(commune));

    Ok(Communes {
        communes,
        postal,
        by_insee,
        arrondissements,
    })
}

/// The name before the first ` (` of `name`, if it has one (what
/// `split_once(" (")` gives, without building a substring searcher for
/// each of the 37,000 communes).
fn before_bracket(name: &str) -> Option<&str> {
    name.match_indices('(')
        .find(|&(at, _)| at > 0 && name.as_bytes()[at - 1] == b' ')
        .map(|(at, _)| &name[..at - 1])
}

/// The countries, by alpha-2 code, and France.
struct Countries {
    countries: Vec<Country>,
    alpha2: IndexByCode,
    fr: u16,
}

/// `countries.tsv`: alpha-2 code, name, other names.
fn load_countries(b: &mut Builder) -> Result<Countries, GeoError> {
    let mut countries = Vec::new();
    let mut alpha2: FastMap<Box<str>, u16> = FastMap::default();
    let mut rows = Rows::new("countries.tsv", COUNTRIES);
    while let Some((_, row)) = rows.next::<CountryRow>()? {
        let idx = countries.len() as u16;
        b.add(row.name, Reading::Country(idx));
        for a in row.aliases.split('|').filter(|a| !a.is_empty()) {
            b.add(a, Reading::Country(idx));
        }
        alpha2.insert(row.alpha2.to_ascii_lowercase().into(), idx);
        b.by_code.insert(row.alpha2.into(), CodeRef::Country(idx));
        countries.push(Country {
            code: row.alpha2.to_string(),
            name: row.name.to_string(),
        });
    }
    let fr = *alpha2
        .get("fr")
        .ok_or_else(|| bad("countries.tsv", 0, "FR missing"))?;
    Ok(Countries {
        countries,
        alpha2,
        fr,
    })
}

/// `cities_abroad.tsv` and `admin_abroad.tsv`; the state and province codes.
fn load_abroad(b: &mut Builder, alpha2: &IndexByCode) -> Result<IndexByCode, GeoError> {
    let country = |file: &'static str, line: usize, a2: &str| {
        index_of(alpha2, a2).ok_or_else(|| bad(file, line, format!("unknown country {a2}")))
    };
    let mut rows = Rows::new("cities_abroad.tsv", CITIES_ABROAD);
    while let Some((line, row)) = rows.next::<CityAbroadRow>()? {
        let k = country("cities_abroad.tsv", line, row.country)?;
        for n in row.names.split('|').filter(|a| !a.is_empty()) {
            b.add(n, Reading::Foreign(k));
        }
    }
    let mut admin_codes: FastMap<Box<str>, u16> = FastMap::default();
    let mut rows = Rows::new("admin_abroad.tsv", ADMIN_ABROAD);
    while let Some((line, row)) = rows.next::<AdminAbroadRow>()? {
        let k = country("admin_abroad.tsv", line, row.country)?;
        if row.code != "-" {
            admin_codes.insert(row.code.to_ascii_lowercase().into(), k);
        }
        for n in row.names.split('|').filter(|a| !a.is_empty()) {
            b.add(n, Reading::Admin(k));
        }
    }
    Ok(admin_codes)
}

/// `places_extra.tsv`: French places that are not communes.
fn load_extra_places(
    b: &mut Builder,
    dept_by_num: &IndexByCode,
    by_insee: &FastMap<[u8; 5], u32>,
) -> Result<(), GeoError> {
    let mut rows = Rows::new("places_extra.tsv", PLACES_EXTRA);
    while let Some((line, row)) = rows.next::<ExtraPlaceRow>()? {
        let d = departement_of(dept_by_num, "places_extra.tsv", line, row.departement)?;
        let commune = if row.commune == "-" {
            None
        } else {
            let insee: [u8; 5] = row
                .commune
                .as_bytes()
                .try_into()
                .map_err(|_| bad("places_extra.tsv", line, "bad INSEE code"))?;
            Some(
                *by_insee
                    .get(&insee)
                    .ok_or_else(|| bad("places_extra.tsv", line, "unknown INSEE code"))?,
            )
        };
        for n in row.names.split('|').filter(|a| !a.is_empty()) {
            b.add(n, Reading::Extra(d, commune));
        }
    }
    Ok(())
}

/// France-wide words, and the rule words: remote and noise shadow any other
/// reading; weak names need to be alone.
fn add_rule_words(b: &mut Builder, fr: u16) {
    for n in FRANCE_WIDE {
        b.add(n, Reading::Country(fr));
    }
    for n in REMOTE {
        b.names.insert(fold_key(n), vec![Reading::Remote]);
    }
    for n in REMOTE_FULL {
        b.names.insert(fold_key(n), vec![Reading::RemoteFull]);
    }
    for n in NOISE.iter().chain(TIME_ZONES).chain(BOXES) {
        b.names.insert(fold_key(n), vec![Reading::Noise]);
    }
    for n in WEAK {
        if let Some(v) = b.names.get_mut(&fold_key(n)) {
            for i in v.iter_mut() {
                if !matches!(i, Reading::Commune(_)) {
                    *i = Reading::Weak(weak_encode(*i));
                }
            }
        }
    }
}

/// The builder's names, with their lone flags, laid out as the index.
fn flatten(b: Builder, communes: &[Commune]) -> Result<OwnedIndexBytes, GeoError> {
    let stop: FastMap<String, ()> = STOP_NAMES.iter().map(|n| (fold_key(n), ())).collect();
    let names = b
        .names
        .into_iter()
        .map(|(key, readings)| NameEntry {
            lone: key.len() >= LONE_MIN_LEN
                && !stop.contains_key(&key)
                && single_commune(communes, &readings),
            key,
            readings,
        })
        .collect();
    OwnedIndexBytes::build(names)
}

/// Word classes (street, box, time zone…), one bit each, by folded word.
fn word_classes() -> FastMap<Box<str>, u16> {
    let mut classes: FastMap<Box<str>, u16> = FastMap::default();
    for (words, bit) in CLASSES {
        for w in *words {
            *classes.entry(fold_key(w).into_boxed_str()).or_insert(0) |= bit;
        }
    }
    classes
}

/// The commune readings of a name all designate one current commune.
fn single_commune(communes: &[Commune], readings: &[Reading]) -> bool {
    let mut one: Option<[u8; 5]> = None;
    for i in readings {
        if let Reading::Commune(c) = i {
            let insee = communes[*c as usize].insee;
            if one.is_some_and(|x| x != insee) {
                return false;
            }
            one = Some(insee);
        }
    }
    one.is_some()
}

/// Weak names keep their inner reading in a table of their own kind;
/// only régions and départements can be weak, encoded as region | dept<<1.
fn weak_encode(i: Reading) -> u16 {
    match i {
        Reading::Region(r) => r << 1,
        Reading::Dept(d) => (d << 1) | 1,
        _ => u16::MAX,
    }
}

/// Decodes [`weak_encode`].
pub(crate) fn weak_decode(w: u16) -> Option<Reading> {
    if w == u16::MAX {
        None
    } else if w & 1 == 0 {
        Some(Reading::Region(w >> 1))
    } else {
        Some(Reading::Dept(w >> 1))
    }
}

impl Data {
    /// Readings of a folded name, and whether it is a lone commune
    /// name (see [`NameIndex::lookup`]).
    #[inline]
    pub fn lookup(&self, key: &str) -> Option<(&[Reading], bool)> {
        self.names.lookup(key)
    }

    /// The `words::class` bits of a folded word or two-word phrase.
    #[inline]
    pub fn class(&self, key: &str) -> u16 {
        self.classes.get(key).copied().unwrap_or(0)
    }

    /// Communes having this postal code.
    pub fn postal_communes(&self, code: u32) -> &[(u32, u32)] {
        let lo = self.postal.partition_point(|&(p, _)| p < code);
        let hi = self.postal.partition_point(|&(p, _)| p <= code);
        &self.postal[lo..hi]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_name_before_a_bracket_is_what_split_once_gives() {
        let names = COMMUNES
            .lines()
            .filter_map(|l| l.split('\t').nth(1))
            .chain([
                "Bors (Canton de Charente-Sud)",
                "(Ville)",
                " (Ville)",
                "A(b) (c)",
                "A(b)",
                "Château-Chinon (Ville) (Nièvre)",
                "",
            ]);
        let mut bracketed = 0;
        for name in names {
            let expected = name.split_once(" (").map(|(base, _)| base);
            assert_eq!(before_bracket(name), expected, "{name:?}");
            bracketed += usize::from(expected.is_some());
        }
        assert!(bracketed >= 8, "{bracketed} bracketed names");
    }

    #[test]
    fn codes_are_found_as_written_and_an_unknown_one_is_named() {
        let map: IndexByCode = [("2a".into(), 29), ("75".into(), 74), ("de".into(), 3)]
            .into_iter()
            .collect();
        for (code, index) in [
            ("2A", Some(29)),
            ("2a", Some(29)),
            ("75", Some(74)),
            ("DE", Some(3)),
        ] {
            assert_eq!(index_of(&map, code), index, "{code}");
        }
        assert_eq!(index_of(&map, "99"), None);
        let e = departement_of(&map, "communes.tsv", 12, "2C").expect_err("unknown");
        assert_eq!(
            e.to_string(),
            "data/geo/communes.tsv, line 12: unknown département 2C"
        );
    }

    #[test]
    fn keys_folded_with_a_reused_buffer_are_the_same_as_fresh_ones() {
        let mut scratch = Folded::default();
        for name in COMMUNES
            .lines()
            .filter_map(|l| l.split('\t').nth(1))
            .take(3000)
        {
            let key = fold_key_with(name, &mut scratch);
            assert_eq!(key, fold_key(name), "{name:?}");
            assert_eq!(key.capacity(), key.len(), "{name:?}");
        }
    }
}
