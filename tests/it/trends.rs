//! Trends over stored counts: buckets, totals, shares, the `active` stock.

use std::io::Cursor;

use skilltrack::domain::{GeoCode, SkillId, SourceId};
use skilltrack::pipeline::import_lines;
use skilltrack::store::Metric;
use skilltrack::trends::{trends, Interval, TrendQuery};

use crate::helpers::{normalizer, temp_store};

fn line(id: &str, title: &str, posted: &str, valid: &str) -> String {
    serde_json::json!({
        "id": id, "title": title, "company": format!("Company {id}"), "location": "Lyon",
        "posted_at": posted, "valid_through": valid, "first_seen": posted, "last_seen": valid,
    })
    .to_string()
}

#[test]
fn buckets_totals_shares_and_the_active_stock() {
    let (_dir, store) = temp_store();
    let lines = [
        line("1", "Développeur Python", "2025-01-10", "2025-02-20"),
        line("2", "Développeur Python", "2025-02-03", "2025-02-05"),
        line("3", "Développeur Java", "2025-02-04", "2025-04-30"),
        line("4", "Ingénieur Kubernetes", "2025-04-01", "2025-04-02"),
    ]
    .join("\n");
    import_lines(
        store.as_ref(),
        &normalizer(),
        Cursor::new(lines),
        &SourceId::parse("t").unwrap(),
        |_| {},
    )
    .unwrap();

    let q = |interval, metric| TrendQuery {
        skills: vec![SkillId::parse("python").unwrap()],
        geo: GeoCode::parse("FR-ARA").unwrap(),
        from: "2025-01-01".parse().unwrap(),
        to: "2025-04-30".parse().unwrap(),
        interval,
        metric,
    };
    let month = trends(store.as_ref(), &q(Interval::Month, Metric::New)).unwrap();
    let got: Vec<(String, i64, i64)> = month[0]
        .points
        .iter()
        .map(|p| (p.date.to_string(), p.count, p.total))
        .collect();
    assert_eq!(
        got,
        vec![
            ("2025-01-01".into(), 1, 1),
            ("2025-02-01".into(), 1, 2),
            ("2025-03-01".into(), 0, 0),
            ("2025-04-01".into(), 0, 1),
        ]
    );
    assert_eq!(month[0].points[1].share, Some(0.5));
    assert_eq!(month[0].points[2].share, None);

    let quarter = trends(store.as_ref(), &q(Interval::Quarter, Metric::New)).unwrap();
    let got: Vec<(String, i64, i64)> = quarter[0]
        .points
        .iter()
        .map(|p| (p.date.to_string(), p.count, p.total))
        .collect();
    assert_eq!(
        got,
        vec![("2025-01-01".into(), 2, 3), ("2025-04-01".into(), 0, 1)]
    );

    // Active: open on the last day of each month.
    let active = trends(store.as_ref(), &q(Interval::Month, Metric::Active)).unwrap();
    let got: Vec<(i64, i64)> = active[0]
        .points
        .iter()
        .map(|p| (p.count, p.total))
        .collect();
    // Jan 31: posting 1 open. Feb 28: 1 closed on 02-20, 2 closed, 3 open. Mar 31: 3. Apr 30: 3 (closes that day).
    assert_eq!(got, vec![(1, 1), (0, 1), (0, 1), (0, 1)]);
    let daily = trends(store.as_ref(), &q(Interval::Day, Metric::Active)).unwrap();
    let on = |day: &str| {
        daily[0]
            .points
            .iter()
            .find(|p| p.date.to_string() == day)
            .map(|p| (p.count, p.total))
            .unwrap()
    };
    assert_eq!(on("2025-02-04"), (2, 3));
    assert_eq!(on("2025-02-06"), (1, 2));
    assert_eq!(on("2025-02-21"), (0, 1));
    assert_eq!(on("2025-04-01"), (0, 2));
}
