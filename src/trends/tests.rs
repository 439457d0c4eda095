//! Buckets at the calendar's edges and the size limits of a query.

use super::*;

fn day(s: &str) -> Day {
    s.parse().unwrap()
}

const ALL: [Interval; 5] = [
    Interval::Day,
    Interval::Week,
    Interval::Month,
    Interval::Quarter,
    Interval::Year,
];

#[test]
fn the_bucket_after_the_last_one_is_none() {
    for interval in ALL {
        assert_eq!(interval.next(Day::MAX), None, "{interval:?}");
        assert!(interval.next(Day::MIN).is_some_and(|d| d > Day::MIN));
    }
    assert_eq!(
        Interval::Month.next(day("9999-11-15")),
        Some(day("9999-12-01"))
    );
    assert_eq!(
        Interval::Quarter.next(day("9999-09-30")),
        Some(day("9999-10-01"))
    );
    assert_eq!(
        Interval::Year.next(day("9998-12-31")),
        Some(day("9999-01-01"))
    );
    // 9999-12-27 is a Monday: its week runs past the calendar's end.
    assert_eq!(Interval::Week.next(day("9999-12-27")), None);
    assert_eq!(
        Interval::Week.next(day("9999-12-20")),
        Some(day("9999-12-27"))
    );
}

#[test]
fn buckets_up_to_the_calendars_end_end() {
    for interval in ALL {
        let from = day("9990-02-15");
        let buckets: Vec<Day> = interval.buckets(from, Day::MAX).collect();
        assert_eq!(
            buckets.first(),
            Some(&interval.bucket(from)),
            "{interval:?}"
        );
        assert_eq!(
            buckets.last(),
            Some(&interval.bucket(Day::MAX)),
            "{interval:?}"
        );
        assert!(buckets.windows(2).all(|w| w[0] < w[1]));
        assert_eq!(buckets.len(), interval.bucket_count(from, Day::MAX));
    }
    assert_eq!(Interval::Year.buckets(Day::MAX, Day::MAX).count(), 1);
    assert_eq!(Interval::Day.buckets(Day::MAX, Day::MIN).count(), 0);
    assert_eq!(Interval::Day.bucket_count(Day::MAX, Day::MIN), 0);
}

#[test]
fn bucket_count_matches_the_buckets() {
    let mut seed = 0x2545_f491_u64;
    let mut next = |n: u64| {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed % n
    };
    for _ in 0..500 {
        let from = Day::from_epoch_days(next(40_000) as i32 - 20_000);
        let to = from.add_days(next(800) as i32);
        for interval in ALL {
            assert_eq!(
                interval.bucket_count(from, to),
                interval.buckets(from, to).count(),
                "{interval:?} {from}..{to}"
            );
        }
    }
}

fn query(skills: usize, from: &str, to: &str, interval: Interval) -> TrendQuery {
    TrendQuery {
        skills: (0..skills)
            .map(|i| SkillId::parse(&format!("s{i}")).unwrap())
            .collect(),
        geos: vec![GeoCode::world()],
        from: day(from),
        to: day(to),
        interval,
        metric: Metric::New,
    }
}

#[test]
fn limits_name_the_limit_and_what_to_do() {
    assert_eq!(
        query(MAX_SKILLS, "2024-01-01", "2024-12-31", Interval::Month).validate(),
        Ok(())
    );
    let e = query(MAX_SKILLS + 1, "2024-01-01", "2024-12-31", Interval::Month)
        .validate()
        .unwrap_err();
    assert_eq!(
        e,
        QueryError::TooManySkills {
            asked: MAX_SKILLS + 1
        }
    );
    assert!(e.is_limit() && e.param() == "skills");
    assert!(e.to_string().contains(&MAX_SKILLS.to_string()), "{e}");
    assert!(e.to_string().contains("fewer skills"), "{e}");

    // 19 daily series over 30 years: 209,019 points.
    let e = query(19, "1996-01-01", "2026-01-01", Interval::Day)
        .validate()
        .unwrap_err();
    assert!(e.is_limit() && e.param() == "from/to/interval", "{e:?}");
    let text = e.to_string();
    for needle in [
        "200000",
        "19 series",
        "10959 day buckets",
        "narrow the range",
        "wider interval",
    ] {
        assert!(text.contains(needle), "{needle}: {text}");
    }
    assert_eq!(
        query(19, "1996-01-01", "2026-01-01", Interval::Week).validate(),
        Ok(())
    );
    let e = query(1, "1990-01-01", "2026-01-01", Interval::Year)
        .validate()
        .unwrap_err();
    assert!(e.is_limit() && e.param() == "from/to", "{e:?}");
    assert!(e.to_string().contains("limit of 11000 days"), "{e}");
    assert_eq!(
        query(1, "2024-01-01", "2023-01-01", Interval::Week)
            .validate()
            .map_err(|e| (e.param(), e.is_limit())),
        Err(("from/to", false))
    );
}

/// A vocabulary of three skills, a département and two régions.
struct Words;

impl Vocabulary for Words {
    fn is_skill(&self, id: &str) -> bool {
        ["python", "rust", "kubernetes"].contains(&id)
    }
    fn skill_ids(&self) -> impl Iterator<Item = &str> {
        ["python", "rust", "kubernetes"].into_iter()
    }
    fn is_geo(&self, code: &str) -> bool {
        ["FR-75", "FR-IDF", "FR-ARA"].contains(&code)
    }
}

fn request(skills: &[&str]) -> TrendRequest {
    TrendRequest {
        skills: skills.iter().map(|s| (*s).to_owned()).collect(),
        ..TrendRequest::default()
    }
}

#[test]
fn a_request_takes_its_defaults_and_merges_repeated_skills() {
    let today = day("2025-06-30");
    let q = request(&[" rust", "python", "", "rust", "*"])
        .resolve(&Words, today)
        .unwrap();
    let skills: Vec<&str> = q.skills.iter().map(SkillId::as_str).collect();
    assert_eq!(skills, ["rust", "python", "*"]);
    assert_eq!(q.geo_list(), "WORLD");
    assert_eq!((q.from, q.to), (day("2024-06-30"), today));
    assert_eq!((q.interval, q.metric), (Interval::Week, Metric::New));
    let q = TrendRequest {
        geo: Some("FR-75".into()),
        from: Some(day("2025-01-01")),
        interval: Some(Interval::Month),
        metric: Some(Metric::Active),
        ..request(&["python"])
    }
    .resolve(&Words, today)
    .unwrap();
    assert_eq!(q.geo_list(), "FR-75");
    assert_eq!(q.from, day("2025-01-01"));
    assert_eq!((q.interval, q.metric), (Interval::Month, Metric::Active));
}

#[test]
fn a_request_is_refused_with_the_parameter_and_a_suggestion() {
    let today = day("2025-06-30");
    let refused = |r: TrendRequest| {
        let e = r.resolve(&Words, today).unwrap_err();
        (e.code(), format!("{}: {e}", e.param()))
    };
    assert_eq!(
        refused(request(&["pyhton"])),
        (
            "unknown_skill",
            "skills: unknown skill \"pyhton\"; did you mean \"python\"?".to_owned()
        )
    );
    assert_eq!(
        refused(request(&["cobol"])),
        (
            "unknown_skill",
            "skills: unknown skill \"cobol\"; see /api/v1/skills".to_owned()
        )
    );
    assert_eq!(
        refused(request(&[" ", ""])),
        (
            "invalid_parameter",
            "skills: name at least one skill, e.g. skills=python,rust".to_owned()
        )
    );
    let geo = TrendRequest {
        geo: Some("FR-XX".into()),
        ..request(&["python"])
    };
    assert_eq!(
        refused(geo),
        ("unknown_geo", "geo: unknown geography \"FR-XX\"; use WORLD, REMOTE, a country (FR) or FR-IDF / FR-75 (see /api/v1/geos)".to_owned())
    );
    let reversed = TrendRequest {
        from: Some(day("2025-07-01")),
        ..request(&["python"])
    };
    assert_eq!(
        refused(reversed),
        (
            "invalid_parameter",
            "from/to: from (2025-07-01) is after to (2025-06-30)".to_owned()
        )
    );
    // Too many skills are refused before any is looked up (none is known).
    let many: Vec<String> = (0..=MAX_SKILLS).map(|i| format!("s{i}")).collect();
    let many: Vec<&str> = many.iter().map(String::as_str).collect();
    let (code, message) = refused(request(&many));
    assert_eq!(code, "limit_exceeded");
    assert!(
        message.starts_with("skills: 101 different skills asked"),
        "{message}"
    );
}

#[test]
fn several_geographies_give_one_series_per_skill_and_geography_skill_major() {
    let today = day("2025-06-30");
    let q = TrendRequest {
        geo: Some("FR-IDF, FR-ARA,FR-IDF,,".into()),
        ..request(&["python", "rust"])
    }
    .resolve(&Words, today)
    .unwrap();
    // Repeats merged, the first place kept; blanks ignored.
    assert_eq!(q.geo_list(), "FR-IDF,FR-ARA");
    assert_eq!((q.geo_count(), q.series_count()), (2, 4));
    // Skill-major: python@IDF, python@ARA, rust@IDF, rust@ARA.
    assert_eq!(
        q.series_order().collect::<Vec<_>>(),
        [(0, 0), (0, 1), (1, 0), (1, 1)]
    );
}

#[test]
fn each_geography_of_a_list_is_checked_and_the_series_limit_counts_them() {
    let today = day("2025-06-30");
    let e = TrendRequest {
        geo: Some("FR-IDF,FR-XX".into()),
        ..request(&["python"])
    }
    .resolve(&Words, today)
    .unwrap_err();
    assert_eq!((e.code(), e.param()), ("unknown_geo", "geo"));
    assert!(e.to_string().contains("\"FR-XX\""), "{e}");
    // 51 skills × 2 geographies = 102 series > 100, refused before lookup
    // (none of these skills is known).
    let skills: Vec<String> = (0..51).map(|i| format!("s{i}")).collect();
    let skills: Vec<&str> = skills.iter().map(String::as_str).collect();
    let e = TrendRequest {
        geo: Some("FR-IDF,FR-ARA".into()),
        ..request(&skills)
    }
    .resolve(&Words, today)
    .unwrap_err();
    assert_eq!(e.code(), "limit_exceeded");
    assert_eq!(
        format!("{}: {e}", e.param()),
        "skills/geo: 51 skills × 2 geographies = 102 series, more than the limit of 100 per query: ask for fewer skills or geographies"
    );
    // Points count every series: 20 skills × 2 geographies × 5,001 daily
    // buckets = 200,040 > 200,000 (MAX_POINTS); one geography (100,020) fits.
    let mut q = query(20, "2000-01-01", "2000-01-01", Interval::Day);
    q.to = q.from.checked_add_days(5_000).unwrap();
    assert!(q.validate().is_ok());
    q.geos.push(GeoCode::parse("FR").unwrap());
    let e = q.validate().unwrap_err();
    assert!(
        e.to_string().starts_with("40 series × 5001 day buckets"),
        "{e}"
    );
    q.geos.clear();
    assert_eq!(q.validate(), Err(QueryError::NoGeo));
}
