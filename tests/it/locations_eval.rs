//! The location evaluation set of `tests/fixtures/locations_eval/` (how it
//! was made: its README): every string is resolved with the bundled
//! gazetteer, as the normalizer resolves a location field, and scored
//! against labels taken from the official codes.
//!
//! Prints accuracy per form and every miss
//! (`cargo test --test it locations_eval -- --nocapture`), and fails below
//! the thresholds of issue 12: départements ≥ 99.5 % (over the strings with
//! an expected département, and those given one where none is expected), no
//! address in two départements, no ambiguous name resolved to a confident
//! département, countries ≥ 97 % on international strings, remote flags
//! ≥ 97 %. Régions (≥ 99.5 %) and the country of remote strings (≥ 97 %)
//! are held to the same standard.

use std::collections::BTreeSet;
use std::fmt::Write as _;

use skilltrack::normalize::geo::{Gazetteer, Place, Resolution};

const SET: &str = include_str!("../fixtures/locations_eval/locations.tsv");

/// Forms of full postal addresses: one address is one place.
const ADDRESS_FORMS: &[&str] = &["address", "bp_cs_cedex"];
/// Forms on which the country threshold applies.
const COUNTRY_FORMS: &[&str] = &["us_ca", "international"];
/// Every form the set must hold, in report order.
const FORMS: &[&str] = &[
    "ft",
    "postal",
    "name_dept",
    "name_region",
    "name_only",
    "name_ambiguous",
    "former",
    "arrondissement",
    "address",
    "bp_cs_cedex",
    "dept_region",
    "us_ca",
    "international",
    "remote",
];
const MIN_DEPARTMENT: f64 = 0.995;
const MIN_REGION: f64 = 0.995;
const MIN_COUNTRY: f64 = 0.97;
const MIN_REMOTE: f64 = 0.97;

/// Whether a string names one place, or a name shared by several communes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Exact,
    Ambiguous,
}

/// One labelled string of the set.
#[derive(Debug)]
struct Case<'a> {
    form: &'a str,
    location: &'a str,
    /// The département, or every candidate of an ambiguous name.
    departments: BTreeSet<&'a str>,
    regions: BTreeSet<&'a str>,
    country: Option<&'a str>,
    remote: bool,
    kind: Kind,
}

fn parse(set: &str) -> Vec<Case<'_>> {
    let mut cases = Vec::new();
    for (i, line) in set.lines().enumerate() {
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let f: Vec<&str> = line.split('\t').collect();
        assert_eq!(f.len(), 7, "locations.tsv line {}: {line:?}", i + 1);
        cases.push(Case {
            form: f[0],
            location: f[1],
            departments: f[2].split_whitespace().collect(),
            regions: f[3].split_whitespace().collect(),
            country: Some(f[4]).filter(|c| !c.is_empty()),
            remote: match f[5] {
                "1" => true,
                "0" => false,
                other => panic!("locations.tsv line {}: remote {other:?}", i + 1),
            },
            kind: match f[6] {
                "exact" => Kind::Exact,
                "ambiguous" => Kind::Ambiguous,
                other => panic!("locations.tsv line {}: kind {other:?}", i + 1),
            },
        });
    }
    cases
}

/// Correct answers out of the strings measured.
#[derive(Debug, Default, Clone, Copy)]
struct Score {
    ok: usize,
    n: usize,
}

impl Score {
    fn add(&mut self, ok: bool) {
        self.n += 1;
        self.ok += usize::from(ok);
    }

    fn merge(&mut self, other: Score) {
        self.ok += other.ok;
        self.n += other.n;
    }

    fn rate(self) -> f64 {
        if self.n == 0 {
            1.0
        } else {
            self.ok as f64 / self.n as f64
        }
    }

    fn cell(self) -> String {
        if self.n == 0 {
            "-".into()
        } else {
            format!("{:.1}% {}/{}", 100.0 * self.rate(), self.ok, self.n)
        }
    }
}

/// The scores of one form.
#[derive(Debug, Default, Clone, Copy)]
struct FormScore {
    department: Score,
    region: Score,
    country: Score,
    remote: Score,
    /// Ambiguous names answered with nothing or a marked guess among the candidates.
    ambiguous: Score,
}

impl FormScore {
    fn merge(&mut self, o: &FormScore) {
        self.department.merge(o.department);
        self.region.merge(o.region);
        self.country.merge(o.country);
        self.remote.merge(o.remote);
        self.ambiguous.merge(o.ambiguous);
    }
}

/// What one string was resolved to, as sets.
#[derive(Debug, Default)]
struct Got {
    departments: BTreeSet<String>,
    regions: BTreeSet<String>,
    countries: BTreeSet<String>,
}

impl Got {
    fn of(r: &Resolution) -> Got {
        let mut g = Got::default();
        for p in &r.places {
            g.countries.insert(p.country.clone());
            g.regions.extend(p.region.clone());
            g.departments.extend(p.department.clone());
        }
        g
    }
}

/// The measures a string failed (empty when right), updating the form's scores.
fn score(case: &Case<'_>, r: &Resolution, s: &mut FormScore) -> Vec<&'static str> {
    let got = Got::of(r);
    let mut failed = Vec::new();
    let mut check = |score: &mut Score, ok: bool, what: &'static str| {
        score.add(ok);
        if !ok {
            failed.push(what);
        }
    };
    let same = |want: &BTreeSet<&str>, got: &BTreeSet<String>| {
        want.len() == got.len() && want.iter().all(|w| got.contains(*w))
    };
    match case.kind {
        Kind::Exact => {
            // A département given where none is expected ("UTC+1" → Ain) is
            // a miss too.
            if !case.departments.is_empty() || !got.departments.is_empty() {
                check(
                    &mut s.department,
                    same(&case.departments, &got.departments),
                    "département",
                );
            }
            if !case.regions.is_empty() {
                check(&mut s.region, same(&case.regions, &got.regions), "région");
            }
            let want: BTreeSet<&str> = case.country.into_iter().collect();
            check(&mut s.country, same(&want, &got.countries), "country");
        }
        Kind::Ambiguous => {
            let ok = r.places.iter().all(|p| honest_about(case, p));
            check(
                &mut s.ambiguous,
                ok,
                "confident answer to an ambiguous name",
            );
        }
    }
    check(&mut s.remote, r.remote == case.remote, "remote");
    failed
}

/// A place given for an ambiguous name is French, and a département only as
/// a marked guess among the candidates.
fn honest_about(case: &Case<'_>, p: &Place) -> bool {
    p.country == "FR"
        && match &p.department {
            None => true,
            Some(d) => p.guess && case.departments.contains(d.as_str()),
        }
}

/// A resolution in the labels' notation: `FR-21/FR-BFC/FR`, `?` before a guess.
fn describe(r: &Resolution) -> String {
    let mut s: Vec<String> = r
        .places
        .iter()
        .map(|p| {
            let mut parts: Vec<&str> = Vec::new();
            parts.extend(p.department.as_deref());
            parts.extend(
                p.region
                    .as_deref()
                    .filter(|r| Some(*r) != p.department.as_deref()),
            );
            parts.push(&p.country);
            format!("{}{}", if p.guess { "?" } else { "" }, parts.join("/"))
        })
        .collect();
    if s.is_empty() {
        s.push("nothing".into());
    }
    if r.remote {
        s.push("remote".into());
    }
    s.join(" + ")
}

/// The labels of a string, in the same notation.
fn expected(case: &Case<'_>) -> String {
    let mut parts: Vec<String> = Vec::new();
    let join = |set: &BTreeSet<&str>| set.iter().copied().collect::<Vec<_>>().join("|");
    if !case.departments.is_empty() {
        parts.push(join(&case.departments));
    }
    if !case.regions.is_empty() && case.regions != case.departments {
        parts.push(join(&case.regions));
    }
    parts.extend(case.country.map(str::to_string));
    let mut s = if parts.is_empty() {
        "nothing".to_string()
    } else {
        parts.join("/")
    };
    if case.kind == Kind::Ambiguous {
        s = format!("nothing or ?{s}");
    }
    if case.remote {
        s.push_str(" + remote");
    }
    s
}

/// Scores of the whole set, the misses and the threshold failures.
struct Report {
    forms: Vec<(&'static str, FormScore)>,
    misses: Vec<String>,
    /// Addresses counted in two départements or more.
    split_addresses: Vec<String>,
}

fn evaluate(gaz: &Gazetteer, cases: &[Case<'_>]) -> Report {
    let mut forms: Vec<(&'static str, FormScore)> =
        FORMS.iter().map(|f| (*f, FormScore::default())).collect();
    let mut misses = Vec::new();
    let mut split_addresses = Vec::new();
    for case in cases {
        let Some((_, s)) = forms.iter_mut().find(|(f, _)| *f == case.form) else {
            panic!("unknown form {:?} ({:?})", case.form, case.location);
        };
        let r = gaz.resolve(case.location);
        let failed = score(case, &r, s);
        if !failed.is_empty() {
            misses.push(format!(
                "{:<14} {:<55} expected {:<28} got {:<30} ({})",
                case.form,
                case.location,
                expected(case),
                describe(&r),
                failed.join(", ")
            ));
        }
        if ADDRESS_FORMS.contains(&case.form) && Got::of(&r).departments.len() > 1 {
            split_addresses.push(format!("{:?} → {}", case.location, describe(&r)));
        }
    }
    Report {
        forms,
        misses,
        split_addresses,
    }
}

impl Report {
    fn total(&self, which: &[&str]) -> FormScore {
        let mut t = FormScore::default();
        for (f, s) in &self.forms {
            if which.is_empty() || which.contains(f) {
                t.merge(s);
            }
        }
        t
    }

    fn table(&self) -> String {
        let mut out = String::new();
        let row = |out: &mut String, name: &str, s: &FormScore| {
            let _ = writeln!(
                out,
                "{name:<15} {:<20} {:<20} {:<20} {:<20} {:<20}",
                s.department.cell(),
                s.region.cell(),
                s.country.cell(),
                s.remote.cell(),
                s.ambiguous.cell()
            );
        };
        let _ = writeln!(
            out,
            "{:<15} {:<20} {:<20} {:<20} {:<20} {:<20}",
            "form", "département", "région", "country", "remote", "ambiguous honest"
        );
        for (f, s) in &self.forms {
            row(&mut out, f, s);
        }
        row(&mut out, "all", &self.total(&[]));
        out
    }

    /// Every threshold missed, as a sentence.
    fn failures(&self) -> Vec<String> {
        let all = self.total(&[]);
        let countries = self.total(COUNTRY_FORMS).country;
        let remote_form = self.total(&["remote"]);
        let mut out = Vec::new();
        let mut need = |what: &str, s: Score, min: f64| {
            if s.rate() < min {
                out.push(format!("{what}: {} below {:.1}%", s.cell(), 100.0 * min));
            }
        };
        need("départements", all.department, MIN_DEPARTMENT);
        need("régions", all.region, MIN_REGION);
        need("countries (us_ca + international)", countries, MIN_COUNTRY);
        need("remote flags (all strings)", all.remote, MIN_REMOTE);
        need("remote flags (remote form)", remote_form.remote, MIN_REMOTE);
        need("countries (remote form)", remote_form.country, MIN_COUNTRY);
        if all.ambiguous.ok < all.ambiguous.n {
            out.push(format!(
                "ambiguous names resolved to a confident département or abroad: {}",
                all.ambiguous.n - all.ambiguous.ok
            ));
        }
        if !self.split_addresses.is_empty() {
            out.push(format!(
                "addresses counted in two départements: {}\n  {}",
                self.split_addresses.len(),
                self.split_addresses.join("\n  ")
            ));
        }
        out
    }
}

fn gazetteer() -> Gazetteer {
    Gazetteer::bundled().expect("the embedded geography loads")
}

#[test]
fn location_strings_meet_the_thresholds() {
    let cases = parse(SET);
    let report = evaluate(&gazetteer(), &cases);
    println!("{}", report.table());
    println!("misses ({}):", report.misses.len());
    for m in &report.misses {
        println!("  {m}");
    }
    let failures = report.failures();
    assert!(
        failures.is_empty(),
        "location evaluation below the thresholds:\n{}",
        failures.join("\n")
    );
}

#[test]
fn the_set_covers_every_form_and_departement() {
    let cases = parse(SET);
    assert!(cases.len() >= 1000, "{} strings", cases.len());
    for form in FORMS {
        let n = cases.iter().filter(|c| c.form == *form).count();
        assert!(n >= 60, "form {form}: {n} strings");
    }
    let seen: BTreeSet<&str> = cases
        .iter()
        .filter(|c| c.kind == Kind::Exact)
        .flat_map(|c| c.departments.iter().copied())
        .collect();
    for code in [
        "FR-01", "FR-2A", "FR-2B", "FR-75", "FR-95", "FR-971", "FR-972", "FR-973", "FR-974",
        "FR-976",
    ] {
        assert!(seen.contains(code), "no string in {code}");
    }
    assert_eq!(seen.len(), 101, "départements covered: {seen:?}");
    let locations: BTreeSet<&str> = cases.iter().map(|c| c.location).collect();
    assert_eq!(locations.len(), cases.len(), "a string appears twice");
}

fn place(department: Option<&str>, guess: bool) -> Place {
    Place {
        country: "FR".into(),
        region: department.map(|_| "FR-ARA".into()),
        department: department.map(str::to_string),
        commune: None,
        guess,
    }
}

fn resolution(places: Vec<Place>, remote: bool) -> Resolution {
    Resolution { places, remote }
}

#[test]
fn an_ambiguous_name_may_stay_unknown_or_be_a_marked_guess_among_its_communes() {
    let cases = parse("name_ambiguous\tValence\tFR-26 FR-82\tFR-ARA FR-OCC\tFR\t0\tambiguous\n");
    let case = &cases[0];
    let ok = |r: Resolution| score(case, &r, &mut FormScore::default()).is_empty();
    assert!(ok(resolution(vec![], false)));
    assert!(ok(resolution(vec![place(None, false)], false)));
    assert!(ok(resolution(vec![place(Some("FR-26"), true)], false)));
    assert!(
        !ok(resolution(vec![place(Some("FR-26"), false)], false)),
        "confident"
    );
    assert!(
        !ok(resolution(vec![place(Some("FR-07"), true)], false)),
        "not a candidate"
    );
    assert!(!ok(resolution(vec![], true)), "remote");
}

#[test]
fn an_exact_string_needs_exactly_its_departement_and_no_other() {
    let cases = parse(
        "address\t7, place de la Mairie, Montbard (Côte-d'Or (21))\tFR-21\tFR-BFC\tFR\t0\texact\n",
    );
    let case = &cases[0];
    let montbard = Place {
        country: "FR".into(),
        region: Some("FR-BFC".into()),
        department: Some("FR-21".into()),
        commune: Some("21425".into()),
        guess: false,
    };
    let ardeche = Place {
        region: Some("FR-ARA".into()),
        department: Some("FR-07".into()),
        ..montbard.clone()
    };
    let mut s = FormScore::default();
    assert!(score(case, &resolution(vec![montbard.clone()], false), &mut s).is_empty());
    let failed = score(case, &resolution(vec![ardeche, montbard], false), &mut s);
    assert_eq!(failed, ["département", "région"]);
    assert_eq!((s.department.ok, s.department.n), (1, 2));
    assert_eq!((s.country.ok, s.country.n), (2, 2));
}

#[test]
fn a_departement_where_none_is_expected_is_a_miss() {
    let cases = parse("remote\tUTC+1\t\t\t\t0\texact\n");
    let mut s = FormScore::default();
    let failed = score(
        &cases[0],
        &resolution(vec![place(Some("FR-01"), false)], false),
        &mut s,
    );
    assert_eq!(failed, ["département", "country"]);
    assert_eq!((s.department.ok, s.department.n), (0, 1));
    assert!(score(&cases[0], &resolution(vec![], false), &mut s).is_empty());
}
