//! Issue 12: addresses, state codes abroad, time zones, remote phrasing,
//! communes known by their name alone.

use super::tests::{gaz, res, set};
use super::words::STOP_NAMES;

/// The commune code of the only place of `s`.
fn commune(s: &str) -> Option<String> {
    let r = gaz().resolve(s);
    assert_eq!(r.places.len(), 1, "{s}: {r:?}");
    r.places[0].commune.clone()
}

/// Départements of the places of `s`.
fn departments(s: &str) -> Vec<String> {
    gaz()
        .resolve(s)
        .places
        .into_iter()
        .filter_map(|p| p.department)
        .collect()
}

#[test]
fn house_numbers_are_not_departments() {
    let s = "7, place de la Mairie, Montbard (Côte-d'Or (21))";
    assert_eq!(res(s), set(&["FR-21"]));
    assert_eq!(commune(s).as_deref(), Some("21425"));
    for (s, d) in [
        ("12 rue de la République, 69002 Lyon", "FR-69"),
        ("7 bis, rue de la Gare, 21500 Montbard", "FR-21"),
        ("12-14 avenue Foch, 21000 Dijon", "FR-21"),
        ("95, Grande Rue, 32200 Sainte-Marie", "FR-32"),
        ("89, Grande Rue 94300 VINCENNES", "FR-94"),
        ("2 A rue de la Corse, 69007 Lyon", "FR-69"),
        ("3, Le Bourg, 46500 Rocamadour", "FR-46"),
        ("12, Le Clos des Pins, 32200 Sainte-Marie", "FR-32"),
        ("Bâtiment 3, 12 rue X, 21000 Dijon", "FR-21"),
        ("33, rue de Lyon, 13015 Marseille", "FR-13"),
        ("75 rue de Rivoli, 75001 Paris", "FR-75"),
    ] {
        assert_eq!(res(s), set(&[d]), "{s}");
    }
    // a dashed or bracketed number is still a département
    assert_eq!(res("21 - MONTBARD"), set(&["FR-21"]));
    assert_eq!(res("Montbard (21)"), set(&["FR-21"]));
    assert_eq!(res("75, Paris"), set(&["FR-75"]));
}

#[test]
fn box_and_cedex_numbers_are_not_departments() {
    for s in [
        "BP 80352 - 21003 Dijon Cedex",
        "CS 70001 21000 Dijon cedex 9",
        "21000 Dijon cedex 9",
        "B.P. 12 - 21500 Montbard",
        "Centre Hospitalier, 1 boulevard Jean Moulin, BP 21, 21000 Dijon Cedex",
        "Hôtel de Région, 17 boulevard de la Trémouille, CS 23502, 21035 Dijon Cedex",
        "TSA 10001 - 21000 Dijon",
    ] {
        assert_eq!(res(s), set(&["FR-21"]), "{s}");
    }
    assert_eq!(res("Paris Cedex 07"), set(&["FR-75"]));
    assert_eq!(res("69419 Lyon Cedex 03"), set(&["FR-69"]));
}

#[test]
fn an_unlisted_cedex_code_gives_its_department_when_the_commune_agrees() {
    // 21003 and 75000 are in no postal list: their first digits give the département
    assert_eq!(res("21003 Dijon Cedex"), set(&["FR-21"]));
    assert_eq!(res("Dijon Cedex 21003"), set(&["FR-21"]));
    assert_eq!(res("Paris 75000"), set(&["FR-75"]));
    // a code contradicting the commune named next to it gives way
    assert_eq!(res("13999 Dijon"), set(&["FR-21"]));
    // a foreign ZIP code after a foreign city is not French
    assert_eq!(res("Boston 02108"), set(&["US"]));
}

#[test]
fn one_address_is_one_place() {
    for s in [
        "7, place de la Mairie, Montbard (Côte-d'Or (21))",
        "Mairie de Montbard, 7 place de la Mairie, 21500 Montbard",
        "Mairie, 1 place de l'Église, 21500 Montbard, Dijon",
        "95, Grande Rue, 32200 Sainte-Marie",
        "Les Granges, 21500 Montbard",
    ] {
        assert_eq!(departments(s).len(), 1, "{s}");
    }
    // the explicit "(Name (NN))" wins over the postal code of another office
    assert_eq!(
        res("Montbard (Côte-d'Or (21)), 12 rue de la Paix, 75002 Paris"),
        set(&["FR-21"])
    );
    // a list is not an address
    assert_eq!(
        res("12 rue X, 21000 Dijon / 75001 Paris"),
        set(&["FR-21", "FR-75"])
    );
}

#[test]
fn a_state_code_is_read_against_the_city_country_first() {
    for s in [
        "Sacramento, CA",
        "Boston, MA",
        "Boise, ID",
        "Pittsburgh, PA",
        "Atlanta, GA",
        "Birmingham, AL",
        "Wilmington, DE",
        "Charlotte, NC",
        "Portland, OR",
        "Baton Rouge, LA",
        "Sacramento, CA 95814",
        "Boston, MA 02108",
        "Mountain View, CA 94043, USA",
    ] {
        assert_eq!(res(s), set(&["US"]), "{s}");
    }
    assert_eq!(res("Birmingham, UK"), set(&["GB"]));
    assert_eq!(res("Berlin, DE"), set(&["DE"]));
    assert_eq!(res("Toronto, ON M5V 3L9"), set(&["CA"]));
    assert_eq!(res("Lévis, QC"), set(&["CA"]));
    // the city's country comes first: Toronto is Canadian, CA is then Canada
    assert_eq!(res("Toronto, CA"), set(&["CA"]));
    assert!(!gaz().resolve("Sacramento, CA").places[0].guess);
}

#[test]
fn time_zones_are_never_places() {
    for s in [
        "UTC+1",
        "UTC-5 to UTC+1",
        "CET–PST",
        "GMT+2",
        "GMT+5:30",
        "EST",
        "PST",
    ] {
        let r = gaz().resolve(s);
        assert!(r.places.is_empty() && !r.remote, "{s}: {r:?}");
    }
    assert_eq!(res("Remote (UTC-3 to UTC+3)"), set(&["REMOTE"]));
    assert_eq!(res("Paris (UTC+1)"), set(&["FR-75"]));
}

#[test]
fn full_remote_phrasings_are_remote() {
    for s in [
        "Remote",
        "remote-friendly",
        "Remote friendly",
        "we hire remotely (EU only)",
        "Full remote",
        "Fully remote",
        "100 % télétravail",
        "100% remote",
        "Télétravail complet",
        "Télétravail total",
        "Anywhere",
        "Worldwide",
        "Work from anywhere",
        "Remote (EU only)",
        "Remote - EMEA",
        "Full remote (hybrid possible)",
    ] {
        let r = gaz().resolve(s);
        assert!(r.remote && r.places.is_empty(), "{s}: {r:?}");
    }
}

#[test]
fn hybrid_phrasings_are_not_remote_and_keep_their_place() {
    for s in [
        "Télétravail partiel",
        "Hybride",
        "Hybrid remote",
        "onsite, WFH some days",
        "2 jours de télétravail",
        "Télétravail 2j/semaine",
        "Remote (hybrid)",
    ] {
        assert!(!gaz().resolve(s).remote, "{s}");
    }
    assert_eq!(res("Lyon (télétravail partiel)"), set(&["FR-69"]));
    assert_eq!(
        res("Nantes - 3 jours de télétravail par semaine"),
        set(&["FR-44"])
    );
    assert_eq!(res("Paris (2 days remote)"), set(&["FR-75"]));
    // remote as one option of a list is remote
    assert_eq!(res("Paris (hybrid) or Remote"), set(&["FR-75", "REMOTE"]));
}

#[test]
fn the_country_restriction_of_a_remote_job_is_kept() {
    assert_eq!(res("Remote (US)"), set(&["US", "REMOTE"]));
    assert_eq!(res("Remote - Spain"), set(&["ES", "REMOTE"]));
    assert_eq!(res("Remote (US only)"), set(&["US", "REMOTE"]));
    assert_eq!(res("US Remote"), set(&["US", "REMOTE"]));
    assert_eq!(res("Remote within Germany"), set(&["DE", "REMOTE"]));
    assert_eq!(res("Full remote (France)"), set(&["FR", "REMOTE"]));
    assert_eq!(res("Remote US/Canada"), set(&["US", "CA", "REMOTE"]));
    // continents are no country
    assert_eq!(res("Remote (EU only)"), set(&["REMOTE"]));
    assert_eq!(res("Remote, Europe"), set(&["REMOTE"]));
}

#[test]
fn a_name_of_a_single_commune_is_resolved_whatever_its_population() {
    for (s, code) in [
        ("Rocamadour", "46240"),
        ("Giverny", "27285"),
        ("Saint-Pierre-de-Chartreuse", "38442"),
        ("ROCAMADOUR", "46240"),
        ("St Pierre de Chartreuse", "38442"),
        // former communes give their current commune
        ("Annecy-le-Vieux", "74010"),
        ("Évry", "91228"),
    ] {
        assert_eq!(commune(s).as_deref(), Some(code), "{s}");
        assert!(!gaz().resolve(s).places[0].guess, "{s}");
    }
}

#[test]
fn a_commune_qualified_by_its_area_is_resolved_within_it() {
    assert_eq!(commune("Giverny, Normandie").as_deref(), Some("27285"));
    assert_eq!(commune("Rocamadour, Occitanie").as_deref(), Some("46240"));
    assert_eq!(
        commune("Saint-Pierre-de-Chartreuse (Isère)").as_deref(),
        Some("38442")
    );
    // homonyms: the area picks one
    assert_eq!(res("Viviers, Bourgogne"), set(&["FR-89"]));
    assert_eq!(res("Viviers (Yonne)"), set(&["FR-89"]));
    assert_eq!(res("Amilly, Loiret"), set(&["FR-45"]));
    assert_eq!(res("Évry (89)"), set(&["FR-89"]));
    assert_eq!(res("La Marne (44)"), set(&["FR-44"]));
}

#[test]
fn a_name_shared_by_several_communes_stays_a_marked_guess() {
    for s in ["Montreuil", "Amilly", "Viviers", "Saint-Denis", "Valence"] {
        let r = gaz().resolve(s);
        assert!(r.places.iter().all(|p| p.guess), "{s}: {r:?}");
    }
}

#[test]
fn words_and_foreign_places_do_not_become_communes() {
    for s in [
        "Remote",
        "Hybrid",
        "Europe",
        "Place",
        "Port",
        "Pont",
        "Aix",
        "Alex",
        "Trivy",
        "Marie",
        "Les Halles",
        "Le Bourg",
        "Many",
        "Real",
        "Simple",
        "Target",
        "Azur",
    ] {
        assert!(gaz().resolve(s).places.is_empty(), "{s}");
    }
    // a stop-name still resolves with a code next to it
    assert_eq!(res("Port (01)"), set(&["FR-01"]));
    assert_eq!(res("01100 Port"), set(&["FR-01"]));
    // a foreign city beats the French village of the same name
    assert_eq!(res("Sion"), set(&["CH"]));
    assert_eq!(res("Durban"), set(&["ZA"]));
    assert_eq!(res("Hagen"), set(&["DE"]));
    // the country written wins over a French commune of the same name
    assert_eq!(res("Rocamadour, Canada"), set(&["CA"]));
    // an area after an article is the area, not a village named after it
    assert_eq!(res("La Marne"), set(&["FR-51"]));
    assert_eq!(res("La Creuse"), set(&["FR-23"]));
    assert_eq!(res("Le Nord"), set(&["FR-59"]));
    assert_eq!(res("Département de la Côte-d'Or"), set(&["FR-21"]));
}

#[test]
fn stop_names_are_folded_single_commune_names() {
    // each stop-name is written folded, and names one commune that its lone
    // name would otherwise place: an entry that no longer does is stale
    let d = &gaz().data;
    for n in STOP_NAMES {
        assert_eq!(*n, super::fold::fold_key(n), "{n} is not folded");
        let (readings, lone) = d.lookup(n).unwrap_or_else(|| panic!("{n} is no name"));
        assert!(!lone, "{n}");
        assert!(
            readings
                .iter()
                .any(|i| matches!(i, super::data::Reading::Commune(_))),
            "{n} is no commune"
        );
    }
}

#[test]
fn word_lists_are_folded() {
    // a word that folds to something else never matches ("st" folds to "saint")
    for (words, _) in super::words::CLASSES {
        for w in *words {
            assert_eq!(*w, super::fold::fold_key(w), "{w} is not folded");
        }
    }
}

#[test]
fn saint_is_no_street() {
    assert_eq!(res("St. John's, NL"), set(&["CA"]));
    assert_eq!(res("Saint X, NL"), set(&["CA"]));
    assert_eq!(res("Saint-Denis (93)"), set(&["FR-93"]));
}
