//! Geography: job-posting location strings → French département → région →
//! country, or remote, or honestly unknown.
//!
//! # Codes
//! Countries are ISO 3166-1 alpha-2 (`FR`, `DE`); French régions and
//! départements are ISO 3166-2 (`FR-IDF`, `FR-20R` for Corse, `FR-75`,
//! `FR-2A`, `FR-2B`). The five overseas départements `FR-971` … `FR-976` are
//! also their own région: in a [`Place`] both `region` and `department` hold
//! the same code; [`Gazetteer::entries`] lists each once, at the
//! [`GeoLevel::Department`] level, with parent `FR`. `REMOTE` stands for
//! remote work and `WORLD` sits above the countries.
//!
//! # How a string is read
//! 1. The string is folded once: lower case, accents removed, `St`/`Ste`
//!    expanded to `Saint`/`Sainte`, hyphens, apostrophes and dots turned into
//!    spaces. Separators split it into segments: `,` `(` `)` `:` and a spaced
//!    dash (`75 - Paris`) introduce a *qualifier*; `/` `;` `|` `&` `+`, and the
//!    words `ou`/`or`/`et`/`and` between spaces introduce *another place*
//!    (a new list item).
//! 2. Numbers that are not places are set aside first (`address.rs`): house
//!    numbers before a street or lieu-dit word (`7, place de la Mairie`,
//!    `12-14 avenue…`, `7 bis rue…`, `95, Grande Rue`, `3, Le Bourg`, and a
//!    number alone before a comma at the start of an address), box numbers
//!    (`BP 80352`, `CS 70001`, `TSA 10001`), CEDEX office numbers
//!    (`Dijon cedex 9`), time-zone offsets (`UTC+1`, `GMT-5`, `GMT+5:30`) and
//!    the ZIP or postal code after a state or province (`MA 02108`,
//!    `ON M5V 3L9`). A string with a house number, a street word followed by a
//!    name, a box or `cedex` is an *address*.
//! 3. Inside each segment the longest run of words that is a known name is
//!    taken (communes, former communes, départements and régions, also after
//!    an article — `La Marne` —, the régions' short and pre-2016 names —
//!    `IDF`, `PACA`, `AURA`, `Rhône-Alpes` —, countries in English, French and
//!    local languages, ~200 major foreign cities, US states and Canadian
//!    provinces, and a few districts such as La Défense); an article does not
//!    hide a longer name (`de la Côte-d'Or`). Five-digit numbers are postal
//!    codes; an unlisted one (CEDEX, `75000`) gives the département of its
//!    first digits when the commune named next to it agrees. A number 1–95,
//!    `2A`, `2B` or 971–976 is a département number when it stands alone in
//!    its segment (`75 - Paris`, `Marseille (13)`), ends a segment after a
//!    name (`Lyon 69`) or starts it before a name (`69 Lyon`). `Paris 15e`,
//!    `Lyon 7ème`, `PARIS 09`, `Marseille 8e arrondissement` give the
//!    arrondissement municipal. After a street word (`rue`, `avenue`, `ZI`…)
//!    the words up to the next postal code are skipped. An upper-case
//!    two-letter code alone after a separator is a state, province or country
//!    code (`codes::two_letter`): after a place it is read against that
//!    place's country first (`Berlin, DE`, `Birmingham, AL` → US), after an
//!    unknown city it is a state or province (`Sacramento, CA`, `Boise, ID`).
//! 4. Mentions separated only by qualifier separators are merged when they
//!    agree (`Paris, Île-de-France, France`, `Vitry-sur-Seine (Val-de-Marne
//!    (94))`): an ambiguous name keeps only the readings compatible with the
//!    rest. When they disagree, a new place starts (`Paris, Lyon ou Nantes`),
//!    except that:
//!    * **an explicit département number or postal code always wins**: a
//!      commune name that contradicts the code next to it is dropped, so the
//!      output never contradicts a code written in the string;
//!    * a country, US state or Canadian province right after a city name
//!      relocates that city (`Paris, TX` → US, `London, ON` → CA,
//!      `Valence, Espagne` → ES); a state comes before a country of the same
//!      name (`Athens, Georgia` → US).
//!    * **one address is one place**: in each list item of an address only
//!      the French place with the best evidence is kept — a département
//!      number next to a name (`Montbard (Côte-d'Or (21))`, `21 - MONTBARD`),
//!      then a postal code, then a name.
//! 5. Each place is then chosen among the readings left:
//!    * a commune recognised by its name alone (no code, département or région
//!      confirming it) must have at least 2,000 inhabitants ([`MIN_POPULATION`]),
//!      unless the name designates a single commune of France (current, or
//!      former mapped to its current one), stands alone in its segment, has
//!      at least four letters and is no stop-name (`words::STOP_NAMES`: words,
//!      people's names, foreign towns: `Place`, `Alex`, `Trivy`);
//!      `Rocamadour` and `Giverny` are placed, `Y`, `Eu`, `Port` are not, and
//!      such a village is dropped when a code places another part of the same
//!      string (`Les Granges, 21500 Montbard`). Words such as `Remote`,
//!      `Hybrid`, `EU`, `Head office`, `Multiple locations`, `Sud`, `Le` and
//!      time zones are known non-places and shadow any commune of that name;
//!    * named départements, régions and countries come before communes
//!      (`Vienne` is the département 86), a commune of at least 20,000
//!      inhabitants comes before a foreign city of the same name (`Laval` is in
//!      France, `Montréal` in Canada), then the most populous commune;
//!    * [`Place::guess`] is set when the name has other readings of the same
//!      kind, however small (`Saint-Denis` alone: 93 or 974, the more populous
//!      wins; `Montreuil`: 93, 28 or 85);
//!    * nothing known gives no place; a string known to be in France but whose
//!      commune is unknown gives `FR` alone (`Trifouilly, France`).
//! 6. [`Resolution::remote`] is true when the job can be done fully remotely
//!    (`remote.rs`): a full-remote phrase anywhere (`Full remote`, `100 %
//!    télétravail`, `Télétravail complet`, `Anywhere`, `Worldwide`), or a
//!    remote phrase (`Remote`, `remote-friendly`, `we hire remotely`,
//!    `Télétravail`, `WFH`) in a list item without a partial marker
//!    (`hybride`, `partiel`, `2 jours`, `some days`, `par semaine`): `Paris or
//!    Remote` is remote, `onsite, WFH some days` and `2 jours de télétravail`
//!    are not, and keep their place. A country next to a remote phrase is kept
//!    (`Remote (US)` → US); a continent is no place (`Remote (EU only)`).
//!    Places that are ancestors of another place of the same string are
//!    dropped (`France / Paris` → Paris).
//!
//! The data is embedded (`data/geo/*.tsv`, see `data/geo/README.md`); no I/O
//! happens at run time.

mod address;
mod codes;
mod data;
mod error;
mod fold;
mod group;
mod names;
mod remote;
mod resolve;
mod rows;
mod words;

#[cfg(test)]
mod tests;
#[cfg(test)]
mod tests_forms;

use data::{CodeRef, Data};
pub use error::GeoError;
use names::NameIndex;

/// Communes matched by name alone (without a code, département or région
/// confirming them) need at least this many inhabitants, unless their name
/// designates a single commune of France and is no stop-name.
pub const MIN_POPULATION: u32 = group::MIN_POP;

/// A fingerprint of every embedded data file: changes whenever the data does.
fn fingerprint() -> u64 {
    use data::{
        ADMIN_ABROAD, CITIES_ABROAD, COMMUNES, COUNTRIES, DEPARTEMENTS, PLACES_EXTRA, REGIONS,
    };
    let mut h = xxhash_rust::xxh3::Xxh3::new();
    for file in [
        REGIONS,
        DEPARTEMENTS,
        COMMUNES,
        COUNTRIES,
        CITIES_ABROAD,
        ADMIN_ABROAD,
        PLACES_EXTRA,
    ] {
        h.update(&(file.len() as u64).to_le_bytes());
        h.update(file.as_bytes());
    }
    h.digest()
}

/// The name index `build.rs` laid out when skilltrack was compiled
/// (`names.rs`).
const NAME_INDEX: names::IndexBytes<'static> = names::IndexBytes {
    names: include_str!(concat!(env!("OUT_DIR"), "/geo_names.txt")),
    slots: include_bytes!(concat!(env!("OUT_DIR"), "/geo_name_slots.bin")),
    first_words: include_str!(concat!(env!("OUT_DIR"), "/geo_first_words.txt")),
    first_lengths: include_bytes!(concat!(env!("OUT_DIR"), "/geo_first_lengths.bin")),
    readings: include_bytes!(concat!(env!("OUT_DIR"), "/geo_readings.bin")),
};

/// The gazetteer: French administrative geography, countries and major
/// foreign cities, with the location-string parser.
#[derive(Debug)]
pub struct Gazetteer {
    data: Data,
}

/// The places found in a location string.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Resolution {
    /// Places, in the order they appear; empty when nothing could be placed.
    pub places: Vec<Place>,
    /// The string says the job can be done remotely.
    pub remote: bool,
}

/// One place.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Place {
    /// ISO 3166-1 alpha-2 country code, e.g. `FR`.
    pub country: String,
    /// Région code, e.g. `FR-IDF` (French places only).
    pub region: Option<String>,
    /// Département code, e.g. `FR-75`.
    pub department: Option<String>,
    /// INSEE commune code when known, e.g. `75109` (arrondissements included).
    pub commune: Option<String>,
    /// True when an ambiguous name was resolved by the priority/population rule.
    pub guess: bool,
}

/// One code of the gazetteer, for listings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GeoEntry {
    /// Code: `WORLD`, `REMOTE`, `FR`, `FR-IDF`, `FR-75`.
    pub code: String,
    /// French name.
    pub name: String,
    /// Level of the code.
    pub level: GeoLevel,
    /// Parent code (`None` for `WORLD` and `REMOTE`).
    pub parent: Option<String>,
}

/// Level of a geography code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum GeoLevel {
    /// `WORLD`.
    World,
    /// A country (`FR`, `DE`).
    Country,
    /// A French région (`FR-IDF`).
    Region,
    /// A French département (`FR-75`), overseas ones included (`FR-971`).
    Department,
    /// `REMOTE`.
    Remote,
}

impl GeoLevel {
    /// The level's name in listings: world, country, region, department, remote.
    pub fn as_str(self) -> &'static str {
        match self {
            GeoLevel::World => "world",
            GeoLevel::Country => "country",
            GeoLevel::Region => "region",
            GeoLevel::Department => "department",
            GeoLevel::Remote => "remote",
        }
    }
}

impl Gazetteer {
    /// The bundled data (built once; cheap to share via &/Arc). Returns Err only if embedded data is corrupt.
    pub fn bundled() -> Result<Gazetteer, GeoError> {
        let names = NameIndex::from_bytes(NAME_INDEX)?;
        Ok(Gazetteer {
            data: data::build(names)?,
        })
    }

    /// A fingerprint of the embedded data: when it changes, places of stored
    /// postings may change and counts should be recomputed.
    pub fn data_fingerprint(&self) -> u64 {
        fingerprint()
    }

    /// Resolve one location string (as a job board gives it).
    pub fn resolve(&self, location: &str) -> Resolution {
        resolve::resolve(&self.data, location)
    }

    /// Every code with French name, level and parent, for listings (`skilltrack geos`, GET /api/v1/geos).
    pub fn entries(&self) -> Vec<GeoEntry> {
        let d = &self.data;
        let mut out = Vec::with_capacity(d.countries.len() + d.regions.len() + d.depts.len() + 2);
        out.push(GeoEntry {
            code: "WORLD".into(),
            name: "Monde".into(),
            level: GeoLevel::World,
            parent: None,
        });
        out.push(GeoEntry {
            code: "REMOTE".into(),
            name: "Télétravail".into(),
            level: GeoLevel::Remote,
            parent: None,
        });
        for c in &d.countries {
            out.push(GeoEntry {
                code: c.code.clone(),
                name: c.name.clone(),
                level: GeoLevel::Country,
                parent: Some("WORLD".into()),
            });
        }
        for r in d.regions.iter().filter(|r| !is_overseas(&r.code)) {
            out.push(GeoEntry {
                code: r.code.clone(),
                name: r.name.clone(),
                level: GeoLevel::Region,
                parent: Some("FR".into()),
            });
        }
        for (i, x) in d.depts.iter().enumerate() {
            out.push(GeoEntry {
                code: x.iso.clone(),
                name: x.name.clone(),
                level: GeoLevel::Department,
                parent: self.parent(&d.depts[i].iso).map(str::to_string),
            });
        }
        out
    }

    /// French name of a code ("FR-IDF" → "Île-de-France", "DE" → "Allemagne", "REMOTE" → "Télétravail", "WORLD" → "Monde"), None if unknown.
    pub fn label(&self, code: &str) -> Option<&str> {
        let d = &self.data;
        Some(match *d.by_code.get(code)? {
            CodeRef::World => "Monde",
            CodeRef::Remote => "Télétravail",
            CodeRef::Country(k) => &d.countries[k as usize].name,
            CodeRef::Region(r) => &d.regions[r as usize].name,
            CodeRef::Dept(x) => &d.depts[x as usize].name,
        })
    }

    /// Parent code ("FR-75" → "FR-IDF", "FR-IDF" → "FR", "FR" → "WORLD", "DE" → "WORLD", "FR-971" → "FR"), None for WORLD/REMOTE/unknown.
    pub fn parent(&self, code: &str) -> Option<&str> {
        let d = &self.data;
        match *d.by_code.get(code)? {
            CodeRef::World | CodeRef::Remote => None,
            CodeRef::Country(_) => Some("WORLD"),
            CodeRef::Region(_) => Some("FR"),
            CodeRef::Dept(x) => {
                let r = &d.regions[d.depts[x as usize].region as usize].code;
                if is_overseas(r) {
                    Some("FR")
                } else {
                    Some(r)
                }
            }
        }
    }

    /// Whether a code exists.
    pub fn contains(&self, code: &str) -> bool {
        self.data.by_code.contains_key(code)
    }
}

/// Overseas département-régions have numeric codes (`FR-971`).
fn is_overseas(code: &str) -> bool {
    code.starts_with("FR-97")
}
