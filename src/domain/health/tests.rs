//! The health rules on hand-written run histories (written oldest first,
//! reversed into the store's newest-first order).

use super::*;
use crate::domain::Completeness;

/// A run started on day `day` of January 2026 that stored `postings` new
/// postings, every field present.
fn run(day: u32, postings: u64) -> RunReport {
    RunReport {
        started_at: format!("2026-01-{day:02}T04:20:00Z"),
        pages: 1,
        items: postings,
        new: postings,
        completeness: Completeness {
            postings,
            place: postings,
            posted: postings,
            company: postings,
            description: postings,
            skill: postings,
        },
        ..RunReport::default()
    }
}

/// A run that reached nothing: one error, no item.
fn failure(day: u32) -> RunReport {
    let mut r = run(day, 0);
    r.error("https://jobs.example/: connection refused");
    r
}

/// `oldest_first` as the store lists it.
fn assess_history(oldest_first: &[RunReport]) -> Health {
    let mut newest_first = oldest_first.to_vec();
    newest_first.reverse();
    assess(&newest_first)
}

fn codes(h: &Health) -> Vec<(&'static str, &'static str)> {
    h.alarms
        .iter()
        .map(|a| (a.code.as_str(), a.figure))
        .collect()
}

#[test]
fn a_source_without_runs_never_ran() {
    let h = assess(&[]);
    assert_eq!(h.state, HealthState::NeverRan);
    assert_eq!(h.state.as_str(), "never_ran");
    assert_eq!((h.consecutive_failures, h.last_success), (0, None));
}

#[test]
fn postings_stopping_raise_an_alarm_that_the_next_healthy_run_clears() {
    let mut history: Vec<RunReport> = (1..=5).map(|d| run(d, 20)).collect();
    assert_eq!(assess_history(&history).state, HealthState::Ok);
    history.push(run(6, 0));
    let h = assess_history(&history);
    assert_eq!(h.state, HealthState::Drifting);
    assert_eq!(codes(&h), [("no_postings", "postings")]);
    assert_eq!((h.alarms[0].baseline, h.alarms[0].current), (20.0, 0.0));
    assert_eq!(
        h.alarms[0].message,
        "postings: 0 this run, against a median of 20 over the last 5 healthy runs"
    );
    // A run without error that returned nothing is not a failure.
    assert_eq!(h.consecutive_failures, 0);
    assert_eq!(h.last_success.as_deref(), Some("2026-01-06T04:20:00Z"));
    history.push(run(7, 18));
    let h = assess_history(&history);
    assert_eq!(h.state, HealthState::Ok);
    assert!(h.alarms.is_empty());
}

#[test]
fn a_broken_source_does_not_become_its_own_baseline() {
    // Twelve empty runs after five good ones: the median of the last ten
    // runs would be 0 by now, but empty runs never join the baseline.
    let mut history: Vec<RunReport> = (1..=5).map(|d| run(d, 20)).collect();
    history.extend((6..=17).map(|d| run(d, 0)));
    let h = assess_history(&history);
    assert_eq!(codes(&h), [("no_postings", "postings")]);
}

#[test]
fn no_alarm_before_the_baseline_has_three_healthy_runs() {
    let h = assess_history(&[run(1, 20), run(2, 20), run(3, 0)]);
    assert_eq!(h.state, HealthState::Ok);
    let h = assess_history(&[run(1, 20), run(2, 20), run(3, 20), run(4, 0)]);
    assert_eq!(h.state, HealthState::Drifting);
}

#[test]
fn the_baseline_is_the_median_of_the_last_ten_healthy_runs() {
    // Twenty old runs of 1 posting, then ten of 40: the median is 40, and
    // 0 alarms against it; the old runs have left the baseline.
    let mut history: Vec<RunReport> = (1..=20).map(|d| run(d, 1)).collect();
    history.extend((21..=30).map(|d| run(d, 40)));
    history.push(run(31, 0));
    let h = assess_history(&history);
    assert_eq!(h.alarms[0].baseline, 40.0);
    assert!(h.alarms[0]
        .message
        .contains("over the last 10 healthy runs"));
}

/// `run(day, 20)` with `company` postings of 20 having a company.
fn with_company(day: u32, company: u64) -> RunReport {
    let mut r = run(day, 20);
    r.completeness.company = company;
    r
}

#[test]
fn a_completeness_figure_dropping_30_points_or_more_raises_an_alarm() {
    let history: Vec<RunReport> = (1..=5).map(|d| with_company(d, 19)).collect();
    // 95% → 55%: 40 points down.
    let mut dropped = history.clone();
    dropped.push(with_company(6, 11));
    let h = assess_history(&dropped);
    assert_eq!(h.state, HealthState::Drifting);
    assert_eq!(codes(&h), [("completeness_drop", "company")]);
    let alarm = &h.alarms[0];
    assert!((alarm.baseline - 0.95).abs() < 1e-9 && (alarm.current - 0.55).abs() < 1e-9);
    assert_eq!(
        alarm.message,
        "company completeness: 55% this run, against a median of 95% over the last 5 measured healthy runs (40 points down)"
    );
    // 95% → 65%: exactly 30 points, an alarm; 95% → 70%: 25 points, none.
    let mut thirty = history.clone();
    thirty.push(with_company(6, 13));
    assert_eq!(
        codes(&assess_history(&thirty)),
        [("completeness_drop", "company")]
    );
    let mut twenty_five = history.clone();
    twenty_five.push(with_company(6, 14));
    assert_eq!(assess_history(&twenty_five).state, HealthState::Ok);
    // Cleared by the next healthy run.
    dropped.push(with_company(7, 20));
    assert_eq!(assess_history(&dropped).state, HealthState::Ok);
}

#[test]
fn every_figure_is_watched() {
    for figure in Figure::ALL {
        let mut history: Vec<RunReport> = (1..=4).map(|d| run(d, 10)).collect();
        let mut bad = run(5, 10);
        let field = match figure {
            Figure::Place => &mut bad.completeness.place,
            Figure::Posted => &mut bad.completeness.posted,
            Figure::Company => &mut bad.completeness.company,
            Figure::Description => &mut bad.completeness.description,
            Figure::Skill => &mut bad.completeness.skill,
        };
        *field = 0;
        history.push(bad);
        let h = assess_history(&history);
        assert_eq!(codes(&h), [("completeness_drop", figure.as_str())]);
    }
}

#[test]
fn reports_without_completeness_raise_no_completeness_alarm() {
    // Reports stored before completeness was recorded measured nothing.
    let mut history: Vec<RunReport> = (1..=5)
        .map(|d| RunReport {
            completeness: Completeness::default(),
            ..run(d, 20)
        })
        .collect();
    history.push(with_company(6, 0));
    assert_eq!(assess_history(&history).state, HealthState::Ok);
}

/// `run(day, 20)` with `rejected` items rejected.
fn rejecting(day: u32, rejected: u64) -> RunReport {
    RunReport {
        rejected,
        ..run(day, 20)
    }
}

#[test]
fn rejected_items_tripling_raise_an_alarm_above_a_floor() {
    let alarm = |usual: u64, now: u64| {
        let mut history: Vec<RunReport> = (1..=5).map(|d| rejecting(d, usual)).collect();
        history.push(rejecting(6, now));
        codes(&assess_history(&history)) == [("rejected_rise", "rejected")]
    };
    assert!(alarm(2, 6), "2 → 6 triples");
    assert!(!alarm(2, 5), "2 → 5 does not");
    assert!(!alarm(0, 1), "0 → 1 is under the floor");
    assert!(!alarm(0, 4), "0 → 4 is under the floor");
    assert!(alarm(0, 5), "0 → 5 reaches it");
    assert!(!alarm(10, 29));
    assert!(alarm(10, 30));
    let mut history: Vec<RunReport> = (1..=5).map(|d| rejecting(d, 2)).collect();
    history.push(rejecting(6, 9));
    let h = assess_history(&history);
    assert_eq!(
        h.alarms[0].message,
        "rejected items: 9 this run, against a median of 2 over the last 5 healthy runs"
    );
}

#[test]
fn failures_are_counted_in_a_row_and_the_last_success_kept() {
    let history = [run(1, 20), failure(2), run(3, 20), failure(4), failure(5)];
    let h = assess_history(&history);
    assert_eq!(h.state, HealthState::Failing);
    assert_eq!(h.state.as_str(), "failing");
    assert!(h.alarms.is_empty());
    assert_eq!(h.consecutive_failures, 2);
    assert_eq!(h.last_success.as_deref(), Some("2026-01-03T04:20:00Z"));
    let h = assess_history(&[failure(1)]);
    assert_eq!((h.consecutive_failures, h.last_success), (1, None));
}

#[test]
fn errors_with_items_read_or_pages_unchanged_are_not_failures() {
    let mut partial = run(1, 3);
    partial.error("https://jobs.example/page/2: 503");
    assert!(!failed(&partial));
    // A list page answered 304: nothing read, its postings seen unchanged.
    let mut unchanged = failure(2);
    unchanged.not_modified = 1;
    unchanged.unchanged = 20;
    assert!(!failed(&unchanged));
    assert!(failed(&failure(3)));
    assert!(!failed(&run(4, 0)), "no error is no failure");
}

#[test]
fn unchanged_pages_are_postings_and_failures_stay_out_of_the_baseline() {
    let mut history: Vec<RunReport> = (1..=4).map(|d| run(d, 20)).collect();
    // A 304 run: its postings are re-seen, not read; no alarm.
    history.push(RunReport {
        not_modified: 1,
        unchanged: 20,
        ..RunReport::default()
    });
    assert_eq!(assess_history(&history).state, HealthState::Ok);
    // Failures in between do not pull the median down.
    history.extend([failure(10), failure(11), failure(12), run(13, 0)]);
    let h = assess_history(&history);
    assert_eq!(codes(&h), [("no_postings", "postings")]);
    assert_eq!(h.alarms[0].baseline, 20.0);
}

#[test]
fn an_interrupted_run_is_not_judged() {
    let mut history: Vec<RunReport> = (1..=5).map(|d| run(d, 20)).collect();
    history.push(RunReport {
        interrupted: true,
        ..run(6, 0)
    });
    assert_eq!(assess_history(&history).state, HealthState::Ok);
    // And did not join the baseline: the median is still 20.
    history.push(run(7, 0));
    assert_eq!(assess_history(&history).alarms[0].baseline, 20.0);
}

#[test]
fn medians_of_odd_and_even_counts() {
    assert_eq!(median([3.0, 1.0, 2.0].into_iter()), 2.0);
    assert_eq!(median([4.0, 1.0, 3.0, 2.0].into_iter()), 2.5);
    assert_eq!(median(std::iter::empty()), 0.0);
}
