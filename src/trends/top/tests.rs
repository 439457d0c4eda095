//! Top and rising skills over an in-memory store, every number worked out
//! by hand (z = 1.959964).

use std::collections::HashMap;

use super::*;
use crate::store::CountRules;

fn day(s: &str) -> Day {
    s.parse().unwrap()
}

fn round4(x: Option<f64>) -> Option<f64> {
    x.map(|v| (v * 10_000.0).round() / 10_000.0)
}

/// Daily series by (skill, metric), all in one geography.
#[derive(Default)]
struct Memory(HashMap<(String, &'static str), Vec<(Day, i64)>>);

impl Memory {
    fn put(&mut self, skill: &str, metric: Metric, days: &[(&str, i64)]) {
        let mut v: Vec<(Day, i64)> = days.iter().map(|(d, n)| (day(d), *n)).collect();
        v.sort();
        self.0.insert((skill.to_owned(), metric.as_str()), v);
    }
}

impl CountStore for Memory {
    fn daily(
        &self,
        skill: &SkillId,
        _geo: &GeoCode,
        metric: Metric,
        from: Day,
        to: Day,
    ) -> Result<Vec<(Day, i64)>, StoreError> {
        Ok(self
            .0
            .get(&(skill.as_str().to_owned(), metric.as_str()))
            .map(|v| {
                v.iter()
                    .copied()
                    .filter(|(d, _)| *d >= from && *d <= to)
                    .collect()
            })
            .unwrap_or_default())
    }
    fn rules(&self) -> CountRules {
        CountRules::default()
    }
    fn flush(&self) -> Result<(), StoreError> {
        Ok(())
    }
    fn generation(&self) -> u64 {
        0
    }
}

struct Everywhere;

impl Vocabulary for Everywhere {
    fn is_skill(&self, _: &str) -> bool {
        true
    }
    fn skill_ids(&self) -> impl Iterator<Item = &str> {
        std::iter::empty()
    }
    fn is_geo(&self, code: &str) -> bool {
        code == "FR"
    }
}

const CATALOGUE: [Entry<'static>; 5] = [
    Entry {
        id: "python",
        label: "Python",
        category: "language",
    },
    Entry {
        id: "rust",
        label: "Rust",
        category: "language",
    },
    Entry {
        id: "kubernetes",
        label: "Kubernetes",
        category: "devops",
    },
    Entry {
        id: "rhcsa",
        label: "RHCSA",
        category: "certification",
    },
    Entry {
        id: "java",
        label: "Java",
        category: "language",
    },
];

/// `new` postings in FR. Period 2025-01-01..10 (10 days), previous
/// 2024-12-22..31, a year before 2024-01-01..10.
/// - `*`: 1000 now, 1000 before, 500 a year before;
/// - python: 100 + 50 now (the 10th, the last day, counts), 100 on the
///   previous period's first day (7 the day before it do not), 40 a year
///   before;
/// - rust: 3 now, 1 before; rhcsa: 20 now, 10 before; kubernetes: 0 now,
///   40 before; java: nothing.
fn store() -> Memory {
    let mut m = Memory::default();
    let new = Metric::New;
    m.put(
        "*",
        new,
        &[
            ("2024-01-03", 500),
            ("2024-12-25", 1000),
            ("2025-01-05", 1000),
        ],
    );
    m.put(
        "python",
        new,
        &[
            ("2024-01-10", 40),
            ("2024-12-21", 7),
            ("2024-12-22", 100),
            ("2025-01-02", 100),
            ("2025-01-10", 50),
            ("2025-01-11", 9),
        ],
    );
    m.put("rust", new, &[("2024-12-30", 1), ("2025-01-09", 3)]);
    m.put("rhcsa", new, &[("2024-12-30", 10), ("2025-01-09", 20)]);
    m.put("kubernetes", new, &[("2024-12-30", 40)]);
    m
}

fn request(sort: Sort) -> TopRequest {
    TopRequest {
        geo: Some("FR".into()),
        from: Some(day("2025-01-01")),
        to: Some(day("2025-01-10")),
        sort: Some(sort),
        ..TopRequest::default()
    }
}

fn run(r: &TopRequest, min_support: u64) -> Top {
    let q = r
        .resolve(&Everywhere, &CATALOGUE, day("2025-06-01"))
        .unwrap();
    top(&store(), &q, &CATALOGUE, min_support).unwrap()
}

fn ids(t: &Top) -> Vec<&str> {
    t.skills.iter().map(|i| i.skill.as_str()).collect()
}

#[test]
fn growth_intervals_match_hand_computed_values() {
    // 150/1000 over 100/1000: r = 1.5; var = 1/150 − 1/1000 + 1/100 − 1/1000
    // = .0146667; z·√var = .237364; exp(ln 1.5 ∓ .237364) = 1.1831, 1.9019.
    let (low, high) = growth_interval(150, 1000, 100, 1000).unwrap();
    assert_eq!(round4(Some(low)), Some(1.1831));
    assert_eq!(round4(Some(high)), Some(1.9019));
    // 3/1000 over 1/1000: r = 3 but var = 1/3 + 1 − .002 = 1.331333,
    // z·√var = 2.261476: exp(ln 3 ∓ 2.261476) = .3126, 28.7917.
    let (low, high) = growth_interval(3, 1000, 1, 1000).unwrap();
    assert_eq!(round4(Some(low)), Some(0.3126));
    assert_eq!(round4(Some(high)), Some(28.7917));
    // 2/100 over 0/100: the 0 taken as .5, r = 4; var = .5 − .01 + 2 − .01
    // = 2.48, z·√var = 3.086557: exp(ln 4 ∓ 3.086557) = .1826, 87.6059.
    let (low, high) = growth_interval(2, 100, 0, 100).unwrap();
    assert_eq!(round4(Some(low)), Some(0.1826));
    assert_eq!(round4(Some(high)), Some(87.6059));
    assert_eq!(growth_interval(1, 0, 1, 10), None);
    assert_eq!(growth_interval(1, 10, 1, 0), None);
}

#[test]
fn periods_before_and_a_year_before() {
    let p = Period {
        from: day("2025-01-01"),
        to: day("2025-01-10"),
    };
    assert_eq!(
        p.previous(),
        Some(Period {
            from: day("2024-12-22"),
            to: day("2024-12-31")
        })
    );
    // 29 February moves to 28 February, as honest::year_before does.
    let leap = Period {
        from: day("2024-02-29"),
        to: day("2025-02-28"),
    };
    assert_eq!(
        leap.year_before(),
        Some(Period {
            from: day("2023-02-28"),
            to: day("2024-02-28")
        })
    );
    let first = Period {
        from: Day::MIN,
        to: day("2000-01-01"),
    };
    assert_eq!(first.previous(), None);
    assert_eq!(first.year_before(), None);
}

#[test]
fn by_count_with_shares_intervals_previous_and_year_before() {
    let t = run(&request(Sort::Count), 30);
    // kubernetes and java have no posting in the period: not ranked.
    assert_eq!(ids(&t), ["python", "rhcsa", "rust"]);
    assert_eq!((t.total, t.prev_total), (1000, Some(1000)));
    assert_eq!(t.prev_from, Some(day("2024-12-22")));
    assert_eq!(t.prev_to, Some(day("2024-12-31")));
    let python = &t.skills[0];
    assert_eq!(python.rank, 1);
    assert_eq!(python.label, "Python");
    // 100 + 50 of 1000; Wilson: .1292, .1735.
    assert_eq!((python.count, python.total), (150, 1000));
    assert_eq!(python.share, Some(0.15));
    assert_eq!(round4(python.low), Some(0.1292));
    assert_eq!(round4(python.high), Some(0.1735));
    assert!(!python.low_support);
    // 100 of 1000 before: growth .15 / .10 = 1.5, in [1.1831, 1.9019].
    assert_eq!(
        (python.prev_count, python.prev_share),
        (Some(100), Some(0.1))
    );
    assert_eq!(round4(python.growth), Some(1.5));
    assert_eq!(round4(python.growth_low), Some(1.1831));
    assert_eq!(round4(python.growth_high), Some(1.9019));
    // A year before: 40 of 500 = .08.
    assert_eq!((python.yoy_count, python.yoy_share), (Some(40), Some(0.08)));
    let rhcsa = &t.skills[1];
    // 20/1000 over 10/1000: r = 2, var = .05 + .1 − .002 = .148,
    // exp(ln 2 ∓ .754014) = .9409, 4.2510.
    assert_eq!((rhcsa.rank, rhcsa.count, rhcsa.yoy_count), (2, 20, Some(0)));
    assert_eq!(rhcsa.yoy_share, Some(0.0));
    assert_eq!(round4(rhcsa.growth_low), Some(0.9409));
    assert_eq!(round4(rhcsa.growth_high), Some(4.251));
}

#[test]
fn by_growth_the_lower_bound_ranks_and_thin_skills_are_left_out() {
    // min_support 30: rust (3 and 1) and rhcsa (20 and 10) are thin in both
    // periods; kubernetes (0 now, 40 before) is not: .5/1000 over 40/1000,
    // r = .0125, low = exp(ln .0125 − z·√(2 − .001 + .025 − .001)) = .00077.
    let t = run(&request(Sort::Growth), 30);
    assert_eq!(ids(&t), ["python", "kubernetes"]);
    assert_eq!(t.skills[1].growth, Some(0.0));
    assert_eq!(round4(t.skills[1].growth_low), Some(0.0008));
    // Everyone supported: 1 → 3 (growth 3, low .3126) stays below 100 → 150
    // (growth 1.5, low 1.1831) and below 10 → 20 (low .9409).
    let t = run(&request(Sort::Growth), 1);
    assert_eq!(ids(&t), ["python", "rhcsa", "rust", "kubernetes"]);
    assert_eq!(round4(t.skills[2].growth), Some(3.0));
    assert_eq!(t.skills[3].rank, 4);
}

#[test]
fn by_share_a_category_and_a_limit() {
    let t = run(&request(Sort::Share), 30);
    assert_eq!(ids(&t), ["python", "rhcsa", "rust"]);
    let certifications = TopRequest {
        category: Some("certification".into()),
        ..request(Sort::Count)
    };
    let t = run(&certifications, 30);
    assert_eq!(ids(&t), ["rhcsa"]);
    assert_eq!(t.category.as_deref(), Some("certification"));
    let one = TopRequest {
        limit: Some(1),
        ..request(Sort::Count)
    };
    let t = run(&one, 30);
    assert_eq!(ids(&t), ["python"]);
    assert_eq!(t.limit, 1);
}

#[test]
fn active_is_the_stock_on_each_periods_last_day() {
    let mut m = Memory::default();
    let active = Metric::Active;
    // `*`: 10 open from 2024-12-01, 5 more from 2025-01-03, 3 closing on
    // 2025-01-11 (after the period): 15 on 2025-01-10, 10 on 2024-12-31.
    m.put(
        "*",
        active,
        &[("2024-12-01", 10), ("2025-01-03", 5), ("2025-01-11", -3)],
    );
    // python: 4 open from 2024-12-10, one closing on 2025-01-04: 3 now, 4
    // before; nothing a year before.
    m.put("python", active, &[("2024-12-10", 4), ("2025-01-04", -1)]);
    let r = TopRequest {
        metric: Some(active),
        ..request(Sort::Growth)
    };
    let q = r
        .resolve(&Everywhere, &CATALOGUE, day("2025-06-01"))
        .unwrap();
    let t = top(&m, &q, &CATALOGUE, 1).unwrap();
    assert_eq!(t.metric, "active");
    assert_eq!((t.total, t.prev_total), (15, Some(10)));
    let python = &t.skills[0];
    assert_eq!(ids(&t), ["python"]);
    // 3/15 = .2 over 4/10 = .4: growth .5; var = 1/3 − 1/15 + 1/4 − 1/10
    // = .416667, exp(ln .5 ∓ 1.265153) = .1411, 1.7718. 15 postings is
    // under the default min_support: flagged.
    assert_eq!((python.count, python.prev_count), (3, Some(4)));
    assert_eq!(python.growth, Some(0.5));
    assert_eq!(round4(python.growth_low), Some(0.1411));
    assert_eq!(round4(python.growth_high), Some(1.7718));
    assert_eq!((python.yoy_count, python.yoy_share), (Some(0), None));
    // With min_support 30, 3 and 4 are too thin to rank by growth; by
    // count python is there, flagged.
    assert!(top(&m, &q, &CATALOGUE, 30).unwrap().skills.is_empty());
    let by_count = TopQuery {
        sort: Sort::Count,
        ..q
    };
    assert!(top(&m, &by_count, &CATALOGUE, 30).unwrap().skills[0].low_support);
}

#[test]
fn requests_take_the_trends_defaults_and_are_checked() {
    let today = day("2025-06-01");
    let q = TopRequest::default()
        .resolve(&Everywhere, &CATALOGUE, today)
        .unwrap();
    assert_eq!(q.geo.as_str(), "WORLD");
    assert_eq!(q.period.to, today);
    assert_eq!(q.period.from, day("2024-06-01"));
    assert_eq!((q.metric, q.limit, q.sort), (Metric::New, 20, Sort::Count));
    assert_eq!(q.category, None);
    let resolve = |r: TopRequest| r.resolve(&Everywhere, &CATALOGUE, today);
    for (limit, code) in [(0, "invalid_parameter"), (201, "limit_exceeded")] {
        let e = resolve(TopRequest {
            limit: Some(limit),
            ..TopRequest::default()
        })
        .unwrap_err();
        assert_eq!((e.param(), e.code()), ("limit", code));
        assert_eq!(
            e.to_string(),
            format!("{limit} is not a number of skills from 1 to 200")
        );
    }
    assert!(resolve(TopRequest {
        limit: Some(200),
        ..TopRequest::default()
    })
    .is_ok());
    let e = resolve(TopRequest {
        category: Some("certifcation".into()),
        ..TopRequest::default()
    })
    .unwrap_err();
    assert_eq!((e.param(), e.code()), ("category", "invalid_parameter"));
    assert_eq!(
        e.to_string(),
        "unknown category \"certifcation\" (known: language, devops, certification); did you mean \"certification\"?"
    );
    let e = resolve(TopRequest {
        geo: Some("FR-XYZ".into()),
        ..TopRequest::default()
    })
    .unwrap_err();
    assert_eq!((e.param(), e.code()), ("geo", "unknown_geo"));
    let e = resolve(TopRequest {
        from: Some(day("2025-02-01")),
        to: Some(day("2025-01-01")),
        ..TopRequest::default()
    })
    .unwrap_err();
    assert_eq!((e.param(), e.code()), ("from/to", "invalid_parameter"));
    assert_eq!("growth".parse::<Sort>(), Ok(Sort::Growth));
    assert!("rising"
        .parse::<Sort>()
        .unwrap_err()
        .contains("count, share or growth"));
}
