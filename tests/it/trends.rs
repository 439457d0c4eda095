//! Trends over stored counts: buckets, totals, shares, the `active` stock.

use std::io::Cursor;

use serde::Serialize;
use skilltrack::domain::{Day, GeoCode, SkillId, SourceId};
use skilltrack::export::{self, CsvOptions, DecimalMark};
use skilltrack::pipeline::import_lines;
use skilltrack::store::Metric;
use skilltrack::trends::{trends, Interval, Series, TrendQuery, MAX_POINTS};

use crate::helpers::{normalizer, temp_store, TestApp};

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
        geos: vec![GeoCode::parse("FR-ARA").unwrap()],
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

/// The JSON body as it was built before streaming: one struct, one buffer.
#[derive(Serialize)]
struct WholeBody<'a> {
    geo: &'a str,
    metric: &'static str,
    interval: &'static str,
    from: String,
    to: String,
    series: Vec<Series>,
}

/// A long answer (15 daily series over 10 years, 54,795 points) comes
/// streamed, series by series, and is byte for byte the body built at once.
#[tokio::test]
async fn a_large_streamed_answer_is_the_same_json_and_csv() {
    let (_dir, store) = temp_store();
    let words = [
        "Python",
        "Java",
        "Rust",
        "Kubernetes",
        "Linux",
        "Docker",
        "SQL",
        "JavaScript",
        "React",
        "AWS",
        "Terraform",
        "Ansible",
        "PostgreSQL",
        "Git",
        "Kafka",
        "Spark",
    ];
    let first: Day = "2023-01-01".parse().unwrap();
    let lines: Vec<String> = (0..1500usize)
        .map(|i| {
            let posted = first.add_days((i * 7 % 1000) as i32).to_string();
            let skills = format!(
                "{} {} {}",
                words[i % 16],
                words[i * 7 % 16],
                words[i * 3 % 16]
            );
            let mut v = serde_json::json!({
                "id": i.to_string(), "title": format!("Développeur {skills}"),
                "description": format!("Nous cherchons {skills}."),
                "company": format!("Company {i}"), "location": "Lyon", "posted_at": posted,
            });
            if i % 2 == 0 {
                v["valid_through"] = first
                    .add_days((i * 7 % 1000 + 20) as i32)
                    .to_string()
                    .into();
            }
            v.to_string()
        })
        .collect();
    import_lines(
        store.as_ref(),
        &normalizer(),
        Cursor::new(lines.join("\n")),
        &SourceId::parse("t").unwrap(),
        |_| {},
    )
    .unwrap();
    let mut skills: Vec<SkillId> = store
        .all_counts()
        .unwrap()
        .into_iter()
        .map(|row| row.skill)
        .filter(|s| s.as_str() != SkillId::ALL_POSTINGS)
        .collect();
    skills.dedup();
    assert!(skills.len() >= 15, "{skills:?}");
    skills.truncate(15);
    let names: Vec<&str> = skills.iter().map(SkillId::as_str).collect();

    let app = TestApp::spawn(store.clone()).await;
    let client = reqwest::Client::new();
    for metric in [Metric::New, Metric::Active] {
        let q = TrendQuery {
            skills: skills.clone(),
            geos: vec![GeoCode::parse("FR").unwrap()],
            from: "2016-01-01".parse().unwrap(),
            to: "2026-01-01".parse().unwrap(),
            interval: Interval::Day,
            metric,
        };
        assert!(q.series_count() * q.bucket_count() <= MAX_POINTS);
        q.validate().unwrap();
        let series = trends(store.as_ref(), &q).unwrap();
        assert!(series.iter().all(|s| s.points.iter().any(|p| p.count > 0)));
        let query = format!(
            "skills={}&geo=FR&from=2016-01-01&to=2026-01-01&interval=day&metric={}",
            names.join(","),
            metric.as_str()
        );

        let mut csv = Vec::new();
        let options = CsvOptions {
            delimiter: b';',
            bom: true,
            decimal: DecimalMark::Comma,
        };
        export::write_trends_csv(&mut csv, &q, &series, options).unwrap();
        let whole = serde_json::to_string(&WholeBody {
            geo: "FR",
            metric: metric.as_str(),
            interval: "day",
            from: q.from.to_string(),
            to: q.to.to_string(),
            series,
        })
        .unwrap();

        let r = client
            .get(format!("http://{}/api/v1/trends?{query}", app.addr))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        assert_eq!(r.headers()["transfer-encoding"], "chunked", "streamed");
        assert_eq!(r.headers()["content-type"], "application/json");
        let body = r.text().await.unwrap();
        assert!(body.len() > 1_500_000, "{} bytes", body.len());
        assert!(
            body == whole,
            "the streamed JSON differs from the whole body"
        );
        serde_json::from_str::<serde_json::Value>(&body).unwrap();

        let r = client
            .get(format!(
                "http://{}/api/v1/trends.csv?{query}&delimiter=;&bom=true",
                app.addr
            ))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        assert_eq!(r.headers()["transfer-encoding"], "chunked", "streamed");
        let body = r.bytes().await.unwrap();
        assert!(body == csv, "the streamed CSV differs from the export");
    }
    app.stop().await;
}
