//! Tests of the parent module.
use super::*;
use crate::domain::error_chain;

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

/// A port on 127.0.0.1 nothing listens on (bound, then released).
fn closed_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.local_addr().unwrap().port()
}

#[tokio::test]
async fn a_transport_error_keeps_reqwests_error_and_the_io_error_under_it() {
    use std::error::Error as _;
    let fetcher = Fetcher::new(FetchConfig {
        obey_robots: false,
        max_attempts: 1,
        ..FetchConfig::default()
    })
    .unwrap();
    let url = format!("http://127.0.0.1:{}/jobs", closed_port());
    let err = fetcher.fetch(&FetchRequest::get(&url)).await.unwrap_err();
    // The message names the URL and what failed; the causes are sources.
    assert_eq!(
        err.to_string(),
        format!("GET {url} failed after 1 attempt(s): connection failed")
    );
    assert!(matches!(
        err,
        FetchError::Transport {
            failure: Failure::Connect,
            gave_up: None,
            ..
        }
    ));
    let reqwest_error = err
        .source()
        .and_then(|s| s.downcast_ref::<reqwest::Error>())
        .expect("reqwest's error is the source");
    assert!(reqwest_error.is_connect());
    let mut refused = false;
    let mut next = err.source();
    while let Some(cause) = next {
        if let Some(io) = cause.downcast_ref::<std::io::Error>() {
            refused |= io.kind() == std::io::ErrorKind::ConnectionRefused;
        }
        next = cause.source();
    }
    assert!(refused, "the chain reaches the refused connection: {err:?}");
    // The one-line form shows the whole chain after the message.
    let chain = error_chain(&err);
    assert!(chain.starts_with(&err.to_string()), "{chain}");
    assert!(chain.len() > err.to_string().len() + 2, "{chain}");
}

#[test]
fn bad_urls_and_clients_keep_their_causes() {
    use std::error::Error as _;
    let bad = FetchError::BadUrl {
        url: "jobs".into(),
        source: Url::parse("jobs").unwrap_err(),
    };
    assert_eq!(
        error_chain(&bad),
        "invalid URL \"jobs\": relative URL without a base"
    );
    let err = Fetcher::new(FetchConfig {
        user_agent: "bad\nagent".into(),
        ..FetchConfig::default()
    })
    .err()
    .expect("a User-Agent with a newline is refused");
    assert!(matches!(err, FetchError::UserAgent { .. }), "{err}");
    assert!(err
        .source()
        .is_some_and(|s| s.is::<reqwest::header::InvalidHeaderValue>()));
}

#[test]
fn a_host_given_up_is_named_in_the_transport_message() {
    let error = reqwest::Client::new()
        .get("http://127.0.0.1:9/")
        .header("bad name", "v")
        .build()
        .unwrap_err();
    let err = FetchError::Transport {
        url: "http://h/p".into(),
        attempts: 2,
        failure: Failure::Timeout,
        gave_up: Some(GaveUp {
            host: host::HostKey::of(&Url::parse("http://h/").unwrap()),
            timeouts: 2,
        }),
        source: error,
    };
    let shown = err.to_string();
    assert!(
        shown.starts_with("GET http://h/p failed after 2 attempt(s): timeout (")
            && shown
                .contains("timed out 2 time(s) in this run: its remaining requests are skipped)"),
        "{shown}"
    );
}
