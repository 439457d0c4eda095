use std::collections::BTreeSet;
use std::sync::OnceLock;

use super::*;

const FIXTURE: &str = include_str!("../../../tests/fixtures/locations.tsv");

/// A line of the fixture: a location string, the codes it should give (`;`
/// separated) and `guess` when the place is a population guess.
struct FixtureRow<'a> {
    location: &'a str,
    expected: &'a str,
    guess: &'a str,
}

impl<'a> super::rows::Row<'a> for FixtureRow<'a> {
    fn read(f: &mut super::rows::Fields<'a>) -> Result<Self, String> {
        Ok(FixtureRow {
            location: f.next("location")?,
            expected: f.optional(),
            guess: f.optional(),
        })
    }
}

/// Calls `f` with the line number and row of every fixture line.
fn each_fixture_row(mut f: impl FnMut(usize, FixtureRow<'_>)) {
    let mut rows = super::rows::Rows::new("../../tests/fixtures/locations.tsv", FIXTURE);
    while let Some((line, row)) = rows.next::<FixtureRow>().expect("readable fixture") {
        f(line, row);
    }
}

pub(super) fn gaz() -> &'static Gazetteer {
    static G: OnceLock<Gazetteer> = OnceLock::new();
    G.get_or_init(|| Gazetteer::bundled().expect("embedded geo data must load"))
}

/// The most precise code of each place, plus REMOTE.
fn codes(r: &Resolution) -> BTreeSet<String> {
    let mut s: BTreeSet<String> = r
        .places
        .iter()
        .map(|p| {
            p.department
                .clone()
                .or_else(|| p.region.clone())
                .unwrap_or_else(|| p.country.clone())
        })
        .collect();
    if r.remote {
        s.insert("REMOTE".into());
    }
    s
}

pub(super) fn res(s: &str) -> BTreeSet<String> {
    codes(&gaz().resolve(s))
}

pub(super) fn set(codes: &[&str]) -> BTreeSet<String> {
    codes.iter().map(|c| c.to_string()).collect()
}

/// Départements written explicitly in the string: postal codes, "75 - ", "(75)", "- 75".
fn explicit_depts(s: &str) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    let b = s.as_bytes();
    let mut i = 0;
    while i < b.len() {
        if b[i].is_ascii_alphanumeric() {
            let start = i;
            while i < b.len() && b[i].is_ascii_alphanumeric() {
                i += 1;
            }
            let w = &s[start..i];
            let before = s[..start].trim_end();
            let after = s[i..].trim_start();
            let all_digits = w.bytes().all(|c| c.is_ascii_digit());
            if all_digits && w.len() == 5 && w != "12345" {
                let d = match &w[..2] {
                    "20" => {
                        if w.as_bytes()[2] < b'2' {
                            "2A".to_string()
                        } else {
                            "2B".to_string()
                        }
                    }
                    "97" => w[..3].to_string(),
                    p => p.to_string(),
                };
                out.insert(format!("FR-{d}"));
            } else if (all_digits && w.len() <= 3)
                || w.eq_ignore_ascii_case("2a")
                || w.eq_ignore_ascii_case("2b")
            {
                let standalone = (start == 0 && after.starts_with('-'))
                    || (before.ends_with('(') && after.starts_with(')'))
                    || (before.ends_with('-') && after.is_empty());
                if standalone {
                    out.insert(format!("FR-{}", w.to_ascii_uppercase()));
                }
            }
        } else {
            i += 1;
        }
    }
    out
}

#[test]
fn fixture_accuracy() {
    let g = gaz();
    let (mut dept_total, mut dept_ok, mut reg_total, mut reg_ok, mut total, mut exact) =
        (0, 0, 0, 0, 0, 0);
    let mut failures = Vec::new();
    each_fixture_row(|line, row| {
        let loc = row.location;
        let expected: BTreeSet<String> = row
            .expected
            .split(';')
            .filter(|c| !c.is_empty())
            .map(str::to_string)
            .collect();
        let want_guess = row.guess == "guess";
        let r = g.resolve(loc);
        let got = codes(&r);
        total += 1;
        let mut ok = got == expected;
        // départements
        let is_dept = |c: &String| {
            c.starts_with("FR-") && c != "FR-20R" && !c[3..].chars().all(char::is_alphabetic)
        };
        let exp_d: BTreeSet<&String> = expected.iter().filter(|c| is_dept(c)).collect();
        let got_d: BTreeSet<&String> = got.iter().filter(|c| is_dept(c)).collect();
        if !exp_d.is_empty() {
            dept_total += 1;
            if exp_d == got_d {
                dept_ok += 1;
            }
        }
        // régions
        let region_of = |c: &String| -> Option<String> {
            if !c.starts_with("FR-") {
                return None;
            }
            if is_dept(c) {
                g.parent(c)
                    .filter(|p| *p != "FR")
                    .map(str::to_string)
                    .or_else(|| Some(c.clone()))
            } else {
                Some(c.clone())
            }
        };
        let exp_r: BTreeSet<String> = expected.iter().filter_map(region_of).collect();
        let got_r: BTreeSet<String> = got.iter().filter_map(region_of).collect();
        if !exp_r.is_empty() {
            reg_total += 1;
            if exp_r == got_r {
                reg_ok += 1;
            }
        }
        // hard rules
        let explicit = explicit_depts(loc);
        if !explicit.is_empty() {
            for p in &r.places {
                if let Some(d) = &p.department {
                    if !explicit.contains(d) {
                        failures.push(format!(
                            "line {line}: {loc:?} contradicts explicit {explicit:?}: {d}"
                        ));
                    }
                }
            }
        }
        if expected.iter().all(|c| c == "REMOTE") && !r.places.is_empty() {
            failures.push(format!(
                "line {line}: {loc:?} should give no place, got {got:?}"
            ));
        }
        let got_guess = r.places.iter().any(|p| p.guess);
        if got_guess != want_guess {
            ok = false;
            println!("guess mismatch: {loc:?}: want {want_guess}, got {got_guess}");
        }
        if ok {
            exact += 1;
        } else {
            println!("MISMATCH line {line}: {loc:?}: expected {expected:?}, got {got:?}");
        }
    });
    let pct = |a: usize, b: usize| {
        if b == 0 {
            100.0
        } else {
            100.0 * a as f64 / b as f64
        }
    };
    println!(
        "strings: {total}, exact: {exact} ({:.1}%)",
        pct(exact, total)
    );
    println!(
        "département accuracy: {dept_ok}/{dept_total} ({:.1}%)",
        pct(dept_ok, dept_total)
    );
    println!(
        "région accuracy: {reg_ok}/{reg_total} ({:.1}%)",
        pct(reg_ok, reg_total)
    );
    assert!(total >= 300, "fixture must have at least 300 strings");
    assert!(
        failures.is_empty(),
        "hard-rule failures:\n{}",
        failures.join("\n")
    );
    assert!(
        pct(dept_ok, dept_total) >= 98.0,
        "département accuracy below 98%"
    );
}

#[test]
fn france_travail_prefix() {
    assert_eq!(res("75 - PARIS 09"), set(&["FR-75"]));
    assert_eq!(res("44 - Loire-Atlantique"), set(&["FR-44"]));
    let r = gaz().resolve("69 - LYON 03");
    assert_eq!(r.places[0].commune.as_deref(), Some("69383"));
    assert_eq!(r.places[0].region.as_deref(), Some("FR-ARA"));
}

#[test]
fn arrondissements() {
    let c = |s: &str| {
        gaz()
            .resolve(s)
            .places
            .first()
            .and_then(|p| p.commune.clone())
    };
    assert_eq!(c("Paris 15e").as_deref(), Some("75115"));
    assert_eq!(c("75 - Paris 9e Arrondissement").as_deref(), Some("75109"));
    assert_eq!(c("PARIS 09").as_deref(), Some("75109"));
    assert_eq!(c("Lyon 7ème").as_deref(), Some("69387"));
    assert_eq!(c("Marseille 1er").as_deref(), Some("13201"));
    assert_eq!(c("13008 Marseille").as_deref(), Some("13208"));
    assert_eq!(c("75116 Paris").as_deref(), Some("75116"));
    assert_eq!(c("Paris").as_deref(), Some("75056"));
}

#[test]
fn corsica_and_overseas() {
    assert_eq!(res("20000 Ajaccio"), set(&["FR-2A"]));
    assert_eq!(res("20200 Bastia"), set(&["FR-2B"]));
    assert_eq!(res("2A - AJACCIO"), set(&["FR-2A"]));
    assert_eq!(res("Haute-Corse"), set(&["FR-2B"]));
    assert_eq!(res("Corse"), set(&["FR-20R"]));
    for (s, d) in [
        ("97110 Pointe-à-Pitre", "FR-971"),
        ("Fort-de-France", "FR-972"),
        ("Cayenne", "FR-973"),
        ("97400 Saint-Denis", "FR-974"),
        ("Mamoudzou", "FR-976"),
    ] {
        let r = gaz().resolve(s);
        assert_eq!(r.places.len(), 1, "{s}");
        assert_eq!(r.places[0].department.as_deref(), Some(d), "{s}");
        assert_eq!(r.places[0].region.as_deref(), Some(d), "{s}");
        assert_eq!(r.places[0].country, "FR");
    }
}

#[test]
fn postal_code_and_department_number_win() {
    assert_eq!(res("Saint-Denis (93)"), set(&["FR-93"]));
    assert_eq!(res("93200 Saint-Denis"), set(&["FR-93"]));
    assert_eq!(res("Valence (82)"), set(&["FR-82"]));
    assert_eq!(res("93 - SAINT OUEN"), set(&["FR-93"]));
    // a name contradicting the code is dropped, never output
    assert_eq!(res("75 - Lyon"), set(&["FR-75"]));
    assert_eq!(res("Bordeaux (69)"), set(&["FR-69"]));
    assert!(!gaz().resolve("93 - SAINT DENIS").places[0].guess);
}

#[test]
fn population_guess_is_flagged() {
    let r = gaz().resolve("Saint-Denis");
    assert_eq!(r.places.len(), 1);
    assert!(r.places[0].guess);
    let r = gaz().resolve("Valence");
    assert_eq!(r.places[0].department.as_deref(), Some("FR-26"));
    assert!(r.places[0].guess);
    assert!(!gaz().resolve("Lyon").places[0].guess);
    assert!(!gaz().resolve("Valence (26)").places[0].guess);
}

#[test]
fn small_and_generic_words_do_not_match() {
    for s in [
        "Y",
        "Le",
        "Sud",
        "Eu",
        "Remote",
        "Hybrid",
        "Head office",
        "Multiple locations",
        "N/A",
        "",
        "   ",
        "See description",
        "-",
        "()",
    ] {
        assert!(gaz().resolve(s).places.is_empty(), "{s:?}");
    }
    // tiny communes are fine when a code confirms them
    assert_eq!(res("80 - Y"), set(&["FR-80"]));
    assert_eq!(res("61 - SEES"), set(&["FR-61"]));
    assert_eq!(
        gaz().resolve("61 - SEES").places[0].commune.as_deref(),
        Some("61464")
    );
}

#[test]
fn spelling_variants() {
    for s in [
        "ST ETIENNE",
        "Saint-Étienne",
        "SAINT-ETIENNE",
        "St Etienne",
        "st-étienne",
    ] {
        assert_eq!(res(s), set(&["FR-42"]), "{s}");
    }
    for s in [
        "CHATENAY MALABRY",
        "Châtenay-Malabry",
        "92290 CHATENAY-MALABRY",
    ] {
        assert_eq!(res(s), set(&["FR-92"]), "{s}");
    }
    assert_eq!(res("Villeneuve d'Ascq"), set(&["FR-59"]));
    assert_eq!(res("Villeneuve d’Ascq"), set(&["FR-59"]));
    assert_eq!(res("L'Isle-d'Abeau"), set(&["FR-38"]));
}

#[test]
fn regions_and_departments_by_name() {
    assert_eq!(res("IDF"), set(&["FR-IDF"]));
    assert_eq!(res("Ile de France"), set(&["FR-IDF"]));
    assert_eq!(res("PACA"), set(&["FR-PAC"]));
    assert_eq!(res("AURA"), set(&["FR-ARA"]));
    assert_eq!(res("Grand Est"), set(&["FR-GES"]));
    assert_eq!(res("Rhône-Alpes"), set(&["FR-ARA"]));
    assert_eq!(res("Midi-Pyrénées"), set(&["FR-OCC"]));
    assert_eq!(res("Gironde"), set(&["FR-33"]));
    assert_eq!(res("France"), set(&["FR"]));
    assert_eq!(res("Lyon, Auvergne-Rhône-Alpes"), set(&["FR-69"]));
    assert_eq!(res("Paris, Île-de-France, France"), set(&["FR-75"]));
}

#[test]
fn remote_phrases() {
    for s in [
        "Télétravail",
        "Télétravail complet",
        "100% remote",
        "Full remote",
        "Remote",
        "Remote (EU)",
    ] {
        let r = gaz().resolve(s);
        assert!(r.remote && r.places.is_empty(), "{s}: {r:?}");
    }
    assert_eq!(res("Remote - France"), set(&["FR", "REMOTE"]));
    assert_eq!(res("Remote - US"), set(&["US", "REMOTE"]));
    assert_eq!(res("Hybride Bordeaux"), set(&["FR-33"]));
    assert_eq!(res("Hybrid - Bordeaux"), set(&["FR-33"]));
    assert_eq!(res("Paris or Remote"), set(&["FR-75", "REMOTE"]));
}

#[test]
fn foreign_places() {
    assert_eq!(res("Berlin, Germany"), set(&["DE"]));
    assert_eq!(res("Allemagne"), set(&["DE"]));
    assert_eq!(res("London, UK"), set(&["GB"]));
    assert_eq!(res("NYC"), set(&["US"]));
    assert_eq!(res("San Francisco, CA"), set(&["US"]));
    assert_eq!(res("Austin, TX"), set(&["US"]));
    assert_eq!(res("Toronto, ON, Canada"), set(&["CA"]));
    assert_eq!(res("Paris, TX"), set(&["US"]));
    assert_eq!(res("London, ON"), set(&["CA"]));
    assert_eq!(res("Montréal"), set(&["CA"]));
}

#[test]
fn several_places() {
    assert_eq!(res("Paris / Lyon"), set(&["FR-75", "FR-69"]));
    assert_eq!(
        res("Paris, Lyon ou Nantes"),
        set(&["FR-75", "FR-69", "FR-44"])
    );
    assert_eq!(res("Paris; Remote"), set(&["FR-75", "REMOTE"]));
    let r = gaz().resolve("Lyon / Paris");
    assert_eq!(
        r.places[0].department.as_deref(),
        Some("FR-69"),
        "order is kept"
    );
}

#[test]
fn api_codes() {
    let g = gaz();
    assert_eq!(g.label("FR-IDF"), Some("Île-de-France"));
    assert_eq!(g.label("DE"), Some("Allemagne"));
    assert_eq!(g.label("REMOTE"), Some("Télétravail"));
    assert_eq!(g.label("WORLD"), Some("Monde"));
    assert_eq!(g.label("FR-75"), Some("Paris"));
    assert_eq!(g.label("XX-99"), None);
    assert_eq!(g.parent("FR-75"), Some("FR-IDF"));
    assert_eq!(g.parent("FR-IDF"), Some("FR"));
    assert_eq!(g.parent("FR"), Some("WORLD"));
    assert_eq!(g.parent("DE"), Some("WORLD"));
    assert_eq!(g.parent("FR-971"), Some("FR"));
    assert_eq!(g.parent("FR-2A"), Some("FR-20R"));
    assert_eq!(g.parent("WORLD"), None);
    assert_eq!(g.parent("REMOTE"), None);
    assert_eq!(g.parent("nope"), None);
    assert!(
        g.contains("FR-2B") && g.contains("FR-976") && g.contains("US") && !g.contains("FR-GP")
    );
    let e = g.entries();
    let count = |l: GeoLevel| e.iter().filter(|x| x.level == l).count();
    assert_eq!(count(GeoLevel::Region), 13);
    assert_eq!(count(GeoLevel::Department), 101);
    assert_eq!(count(GeoLevel::World), 1);
    assert_eq!(count(GeoLevel::Remote), 1);
    assert!(count(GeoLevel::Country) > 200);
    for x in &e {
        assert_eq!(g.parent(&x.code), x.parent.as_deref(), "{}", x.code);
        assert_eq!(g.label(&x.code), Some(x.name.as_str()), "{}", x.code);
    }
}

#[test]
fn every_place_code_is_known() {
    let g = gaz();
    each_fixture_row(|_, row| {
        let loc = row.location;
        for p in g.resolve(loc).places {
            assert!(g.contains(&p.country), "{loc}");
            for c in p.region.iter().chain(p.department.iter()) {
                assert!(g.contains(c), "{loc}: {c}");
            }
            if let (Some(d), Some(r)) = (&p.department, &p.region) {
                let parent = g.parent(d).unwrap_or("");
                assert!(
                    parent == r || (parent == "FR" && d == r),
                    "{loc}: {d} in {r}"
                );
            }
        }
    });
}

#[test]
fn the_name_table_is_sized_for_the_bundled_names() {
    let names = gaz().data.names.len();
    assert!(
        names > super::data::NAMES_CAPACITY / 2 && names <= super::data::NAMES_CAPACITY,
        "{names} names for a capacity of {}",
        super::data::NAMES_CAPACITY
    );
}

#[test]
fn the_embedded_name_index_is_what_the_data_builds() {
    let fresh = super::data::build_names().expect("the names build");
    assert_eq!(
        fresh.parts(),
        NAME_INDEX,
        "build.rs did not run on this data"
    );
    // what the maps say, read back from the embedded bytes
    let index = &gaz().data.names;
    let (readings, lone) = index.lookup("paris").expect("Paris is a name");
    let paris = super::data::Reading::Dept(gaz().data.dept_by_num["75"]);
    assert!(readings.contains(&paris), "{readings:?}");
    assert!(lone, "one commune is named Paris: {readings:?}");
    let (readings, lone) = index.lookup("saint denis").expect("two communes");
    assert!(!lone && readings.len() >= 2, "{readings:?}");
    let (readings, lone) = index.lookup("rocamadour").expect("a village");
    assert!(matches!(readings, [super::data::Reading::Commune(_)]) && lone);
    let remote = [super::data::Reading::Remote];
    assert_eq!(index.lookup("remote"), Some((&remote[..], false)));
    assert!(index.longest_from("saint").is_some_and(|n| n >= 4));
    assert_eq!(index.longest_from("trifouilly"), None);
}

#[test]
fn a_damaged_name_index_is_an_error_that_says_what_to_do() {
    let cut = |b: &'static [u8], n: usize| &b[..b.len() - n];
    let mut more_lengths = NAME_INDEX.first_lengths.to_vec();
    more_lengths.push(1);
    let mut bad_kind = NAME_INDEX.readings.to_vec();
    bad_kind[7] = 0xee; // the kind byte of the first reading
    let cases: [(names::IndexBytes<'static>, &[&str]); 8] = [
        (
            names::IndexBytes {
                slots: cut(NAME_INDEX.slots, 8),
                ..NAME_INDEX
            },
            &["too few slots", "rebuild skilltrack"],
        ),
        (
            names::IndexBytes {
                slots: cut(NAME_INDEX.slots, 3),
                ..NAME_INDEX
            },
            &["name slots", "multiple of 8"],
        ),
        (
            names::IndexBytes {
                first_lengths: cut(NAME_INDEX.first_lengths, 1),
                ..NAME_INDEX
            },
            &["too few lengths"],
        ),
        (
            names::IndexBytes {
                first_lengths: Vec::leak(more_lengths),
                ..NAME_INDEX
            },
            &["too many lengths"],
        ),
        (
            names::IndexBytes {
                names: "lyon\nlyon\n",
                slots: &[0; 16],
                ..NAME_INDEX
            },
            &["\"lyon\" is there twice"],
        ),
        (
            names::IndexBytes {
                readings: cut(NAME_INDEX.readings, 3),
                ..NAME_INDEX
            },
            &["readings", "multiple of 8"],
        ),
        (
            names::IndexBytes {
                readings: cut(NAME_INDEX.readings, 800),
                ..NAME_INDEX
            },
            &["points past the readings"],
        ),
        (
            names::IndexBytes {
                readings: Vec::leak(bad_kind),
                ..NAME_INDEX
            },
            &["bad reading 0xee"],
        ),
    ];
    for (bytes, expected) in cases {
        let message = match NameIndex::from_bytes(bytes) {
            Ok(_) => panic!("a damaged index was read: {expected:?}"),
            Err(e) => e.to_string(),
        };
        for part in expected {
            assert!(message.contains(part), "{message} should say {part:?}");
        }
    }
}
