//! Tests of the parent module.
use super::*;

#[test]
fn the_loopback_rate_replaces_every_other_rule_on_loopback_only() {
    let ms = Duration::from_millis;
    let fetcher = |loopback| {
        Fetcher::new(FetchConfig {
            default_host_interval: ms(1000),
            host_intervals: [("127.0.0.1".to_owned(), ms(3000))].into(),
            loopback_interval: loopback,
            ..FetchConfig::default()
        })
        .unwrap()
    };
    let url = |u: &str| Url::parse(u).unwrap();
    let with = fetcher(Some(ms(0)));
    for local in [
        "http://127.0.0.1:8080/jobs",
        "http://127.3.2.1/jobs",
        "http://[::1]:9000/jobs",
        "http://LOCALHOST/jobs",
    ] {
        assert_eq!(
            with.interval_for(&url(local), Some(ms(2000)), Some(ms(5000))),
            ms(0),
            "{local}"
        );
    }
    // Other hosts keep their rules.
    let remote = url("https://jobs.example.org/jobs");
    assert_eq!(with.interval_for(&remote, Some(ms(2000)), None), ms(2000));
    assert_eq!(
        with.interval_for(&remote, Some(ms(2000)), Some(ms(5000))),
        ms(5000)
    );
    assert_eq!(with.interval_for(&remote, None, None), ms(1000));
    // Without the setting, loopback hosts are like any other.
    let without = fetcher(None);
    let local = url("http://127.0.0.1/jobs");
    assert_eq!(without.interval_for(&local, Some(ms(2000)), None), ms(3000));
}
