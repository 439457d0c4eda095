//! Tests of the parent module.
use super::*;
use crate::api::Cors;

#[test]
fn env_overrides_file_and_bad_values_are_named() {
    let mut c: Config = toml::from_str("data_dir = \"/tmp/x\"\ncache_mb = 8").unwrap();
    c.apply_env(|k| (k == "SKILLTRACK_CACHE_MB").then(|| "16".to_owned()))
        .unwrap();
    assert_eq!(c.cache_mb, 16);
    assert_eq!(c.data_dir, PathBuf::from("/tmp/x"));
    let err = c
        .apply_env(|k| (k == "SKILLTRACK_BIND").then(|| "nowhere".to_owned()))
        .unwrap_err();
    assert!(
        err.to_string().contains("SKILLTRACK_BIND=\"nowhere\""),
        "{err}"
    );
    assert!(toml::from_str::<Config>("data_dri = \"x\"").is_err());
}

#[test]
fn server_section_and_env_overrides() {
    let mut c: Config =
        toml::from_str("[server]\nheader_timeout_secs = 5\nmax_connections = 2").unwrap();
    c.apply_env(|k| (k == "SKILLTRACK_IDLE_TIMEOUT_SECS").then(|| "30".to_owned()))
        .unwrap();
    let l = c.server_limits();
    assert_eq!(l.header_timeout, Duration::from_secs(5));
    assert_eq!(l.idle_timeout, Duration::from_secs(30));
    assert_eq!(l.max_connections, 2);
    // No connection at all would be no server: a configuration error naming the key.
    let mut zero: Config = toml::from_str("[server]\nmax_connections = 0").unwrap();
    let err = zero.apply_env(|_| None).unwrap_err();
    assert!(err.to_string().contains("max_connections"), "{err}");
    assert_eq!(Config::default().server_limits(), ServerLimits::default());
    assert!(toml::from_str::<Config>("[server]\nheader_timeout = 5").is_err());
    let err = c
        .apply_env(|k| (k == "SKILLTRACK_MAX_CONNECTIONS").then(|| "many".to_owned()))
        .unwrap_err();
    assert!(
        err.to_string().contains("SKILLTRACK_MAX_CONNECTIONS"),
        "{err}"
    );
}

#[test]
fn fetch_section_env_overrides_and_bad_rates() {
    let mut c: Config = toml::from_str(
        "[fetch]\ndefault_rate = \"10/min\"\nrun_deadline_secs = 0\n[fetch.host_rates]\n\"api.example.com\" = \"2/s\"",
    )
    .unwrap();
    c.apply_env(|k| (k == "SKILLTRACK_HOST_CONCURRENCY").then(|| "2".to_owned()))
        .unwrap();
    assert_eq!(c.fetch_config().host_timeout_limit, 3);
    c.apply_env(|k| (k == "SKILLTRACK_HOST_TIMEOUT_LIMIT").then(|| "0".to_owned()))
        .unwrap();
    let f = c.fetch_config();
    assert_eq!(f.host_timeout_limit, 0);
    assert_eq!(f.default_host_interval, Duration::from_secs(6));
    assert_eq!(
        f.host_intervals["api.example.com"],
        Duration::from_millis(500)
    );
    assert_eq!(f.host_concurrency, 2);
    assert_eq!(f.run_deadline, None);
    assert!(f.obey_robots);
    let err = c
        .apply_env(|k| (k == "SKILLTRACK_DEFAULT_RATE").then(|| "fast".to_owned()))
        .unwrap_err();
    assert!(err.to_string().contains("SKILLTRACK_DEFAULT_RATE"), "{err}");
    let mut bad: Config =
        toml::from_str("[fetch.host_rates]\n\"x.org\" = \"1/fortnight\"").unwrap();
    let err = bad.apply_env(|_| None).unwrap_err();
    assert!(err.to_string().contains("host_rates.x.org"), "{err}");
    let d = Config::default().fetch_config();
    assert_eq!(d.default_host_interval, Duration::from_secs(1));
    assert_eq!(d.run_deadline, Some(Duration::from_secs(1800)));
}

/// Issue #11: `cache_mb = 0` panicked inside sled; other keys silently
/// became something else at 0.
#[test]
fn out_of_range_numbers_are_errors_naming_the_key_and_range() {
    let err = Config::default()
        .apply_env(|k| (k == "SKILLTRACK_CACHE_MB").then(|| "0".to_owned()))
        .unwrap_err()
        .to_string();
    assert_eq!(
        err,
        "configuration `cache_mb` (or SKILLTRACK_CACHE_MB) = 0: must be between 1 and 1048576"
    );
    for (file, key) in [
        ("cache_mb = 0", "`cache_mb`"),
        ("request_timeout_secs = 0", "`request_timeout_secs`"),
        ("max_body_mb = 0", "`max_body_mb`"),
        (
            "[fetch]\nconnect_timeout_secs = 0",
            "`[fetch] connect_timeout_secs`",
        ),
        ("[fetch]\nmax_attempts = 0", "`[fetch] max_attempts`"),
        (
            "[fetch]\nhost_concurrency = 0",
            "`[fetch] host_concurrency`",
        ),
        (
            "[fetch]\nrobots_cache_hours = 0",
            "`[fetch] robots_cache_hours`",
        ),
        ("[import]\nmax_line_mb = 0", "`[import] max_line_mb`"),
        (
            "[counting]\nmax_open_days = 0",
            "`[counting] max_open_days`",
        ),
        ("data_dir = \"\"", "`data_dir`"),
    ] {
        let mut c: Config = toml::from_str(file).unwrap();
        let err = c.apply_env(|_| None).unwrap_err().to_string();
        assert!(
            err.starts_with(&format!("configuration {key}")),
            "{file}: {err}"
        );
    }
    let mut c: Config = toml::from_str("[import]\nmax_line_mb = 2").unwrap();
    c.apply_env(|_| None).unwrap();
    assert_eq!(c.import.max_line_bytes(), 2 << 20);
}

/// Issue #11: `SKILLTRACK_DATA_DIR=` wrote sled files into the current
/// directory.
#[test]
fn every_empty_environment_variable_is_an_error_naming_it() {
    for var in ENV_VARS {
        for value in ["", "  "] {
            let err = Config::default()
                .apply_env(|k| (k == var).then(|| value.to_owned()))
                .unwrap_err()
                .to_string();
            assert!(
                err.starts_with(&format!("environment variable {var}={value:?}: empty")),
                "{err}"
            );
        }
    }
}

/// `ENV_VARS` (checked for empty values) lists every variable
/// `apply_env` reads.
#[test]
fn every_variable_read_is_checked_for_emptiness() {
    let source = include_str!("../config.rs");
    let read: Vec<&str> = source
        .split("get(\"")
        .skip(1)
        .filter_map(|rest| rest.split('"').next())
        .filter(|name| name.starts_with("SKILLTRACK_"))
        .collect();
    assert!(read.len() >= 13, "{read:?}");
    for name in read {
        assert!(ENV_VARS.contains(&name), "{name} is not in ENV_VARS");
    }
}

/// The whole message, causes included (what the CLI prints).
fn chain(e: &ConfigError) -> String {
    let mut text = e.to_string();
    let mut cause = std::error::Error::source(e);
    while let Some(c) = cause {
        text.push_str(&format!(": {c}"));
        cause = c.source();
    }
    text
}

/// Issue #13: the errors keep their cause as a source, and the message
/// still names the file, key and value.
#[test]
fn load_errors_keep_their_cause_and_name_file_key_and_value() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("missing.toml");
    let err = Config::load(Some(&missing)).unwrap_err();
    let ConfigError::Read { source, .. } = &err else {
        panic!("{err:?}");
    };
    assert_eq!(source.kind(), std::io::ErrorKind::NotFound);
    assert!(
        chain(&err).starts_with(&format!("cannot read config file {}: ", missing.display())),
        "{}",
        chain(&err)
    );

    let bad = dir.path().join("bad.toml");
    std::fs::write(&bad, "cache_mb = \"many\"\n").unwrap();
    let err = Config::load(Some(&bad)).unwrap_err();
    assert!(matches!(err, ConfigError::Parse { .. }), "{err:?}");
    let text = chain(&err);
    assert!(
        text.starts_with(&format!(
            "config file {}: TOML parse error at line 1",
            bad.display()
        )),
        "{text}"
    );
    assert!(
        text.contains("cache_mb = \"many\"") && !text.ends_with('\n'),
        "{text}"
    );

    let mut c: Config = toml::from_str("[fetch]\nloopback_rate = \"3/fortnight\"").unwrap();
    let err = c.apply_env(|_| None).unwrap_err();
    assert!(
        matches!(&err, ConfigError::Rate { source: RateError::Unit(u), .. } if u == "fortnight"),
        "{err:?}"
    );
    assert_eq!(
        chain(&err),
        "configuration `[fetch] loopback_rate` = \"3/fortnight\": unknown unit \"fortnight\": use s, min or h"
    );
    let err = Config::default()
        .apply_env(|k| (k == "SKILLTRACK_DEFAULT_RATE").then(|| "0/s".to_owned()))
        .unwrap_err();
    assert_eq!(
        chain(&err),
        "environment variable SKILLTRACK_DEFAULT_RATE=\"0/s\": \"0\" is not a positive number of requests"
    );
}

/// Rates are parsed once, at load: `fetch_config` reads them.
#[test]
fn rates_are_kept_parsed() {
    let mut c: Config = toml::from_str(
        "[fetch]\ndefault_rate = \"10/min\"\nloopback_rate = \"1000/s\"\n[fetch.host_rates]\n\"a.org\" = \"2/s\"",
    )
    .unwrap();
    c.apply_env(|_| None).unwrap();
    assert_eq!(c.rates.default, "10/min".parse().unwrap());
    assert_eq!(c.rates.hosts["a.org"], "2/s".parse().unwrap());
    assert_eq!(c.rates.loopback, Some("1000/s".parse().unwrap()));
    assert_eq!(
        c.fetch_config().loopback_interval,
        Some(Duration::from_millis(1))
    );
    assert_eq!(Config::default().rates.default, DEFAULT_RATE);
}

/// Issue #13: durations are parsed once, as a whole number in the key's
/// unit or as a duration that says its unit, from the file and the
/// environment alike.
#[test]
fn durations_take_a_number_in_the_keys_unit_or_a_duration_with_its_unit() {
    let mut c: Config = toml::from_str(
        "request_timeout_secs = \"2m\"\n[fetch]\nbackoff_ms = \"1s 500ms\"\nrobots_cache_hours = \"90m\"\nconnect_timeout_secs = 7\n[server]\nidle_timeout_secs = \"1h\"",
    )
    .unwrap();
    c.apply_env(|k| (k == "SKILLTRACK_RUN_DEADLINE_SECS").then(|| "45m".to_owned()))
        .unwrap();
    let f = c.fetch_config();
    assert_eq!(f.request_timeout, Duration::from_secs(120));
    assert_eq!(f.backoff, Duration::from_millis(1_500));
    assert_eq!(f.robots_ttl, Duration::from_secs(5_400));
    assert_eq!(f.connect_timeout, Duration::from_secs(7));
    assert_eq!(f.run_deadline, Some(Duration::from_secs(2_700)));
    assert_eq!(c.server_limits().idle_timeout, Duration::from_secs(3_600));
    // Zero is still "no deadline", written either way.
    c.apply_env(|k| (k == "SKILLTRACK_RUN_DEADLINE_SECS").then(|| "0s".to_owned()))
        .unwrap();
    assert_eq!(c.fetch_config().run_deadline, None);

    // A bad duration names the key (file) or the variable, and the forms accepted.
    let err = toml::from_str::<Config>("[fetch]\nbackoff_ms = \"soon\"")
        .unwrap_err()
        .to_string();
    assert!(err.contains("backoff_ms"), "{err}");
    assert!(
        err.contains("a whole number of milliseconds or a duration"),
        "{err}"
    );
    let err = toml::from_str::<Config>("request_timeout_secs = -3")
        .unwrap_err()
        .to_string();
    assert!(err.contains("request_timeout_secs"), "{err}");
    let err = Config::default()
        .apply_env(|k| (k == "SKILLTRACK_IDLE_TIMEOUT_SECS").then(|| "a while".to_owned()))
        .unwrap_err()
        .to_string();
    assert!(
        err.starts_with("environment variable SKILLTRACK_IDLE_TIMEOUT_SECS=\"a while\": expected a whole number of seconds or a duration"),
        "{err}"
    );
    // Below the key's range, however written: the range in the key's unit.
    let mut short: Config = toml::from_str("request_timeout_secs = \"500ms\"").unwrap();
    assert_eq!(
        short.apply_env(|_| None).unwrap_err().to_string(),
        "configuration `request_timeout_secs` (or SKILLTRACK_REQUEST_TIMEOUT_SECS) = 500ms: must be between 1 and 86400 seconds"
    );
    let mut long: Config = toml::from_str("[fetch]\nrobots_cache_hours = 9000").unwrap();
    assert_eq!(
        long.apply_env(|_| None).unwrap_err().to_string(),
        "configuration `[fetch] robots_cache_hours` = 9000: must be between 1 and 8760 hours"
    );
}

#[test]
fn min_support_comes_from_the_file_then_the_environment() {
    assert_eq!(Config::default().trends.min_support, 30);
    let mut c: Config = toml::from_str("[trends]\nmin_support = 50").unwrap();
    c.apply_env(|_| None).unwrap();
    assert_eq!(c.trends.min_support, 50);
    c.apply_env(|k| (k == "SKILLTRACK_MIN_SUPPORT").then(|| "7".to_owned()))
        .unwrap();
    assert_eq!(c.trends.min_support, 7);
    let err = Config::default()
        .apply_env(|k| (k == "SKILLTRACK_MIN_SUPPORT").then(|| "many".to_owned()))
        .unwrap_err()
        .to_string();
    assert!(err.contains("SKILLTRACK_MIN_SUPPORT"), "{err}");
    assert!(toml::from_str::<Config>("[trends]\nmin_suport = 5").is_err());
}

#[test]
fn cors_origins_come_from_the_file_then_the_environment() {
    // Off by default.
    assert!(Config::default().api.cors_origins.is_empty());
    assert!(matches!(Config::default().cors(), Cors::Off));
    // A list, or "*" alone.
    let mut c: Config =
        toml::from_str("[api]\ncors_origins = [\"https://a.example\", \"http://localhost:3000\"]")
            .unwrap();
    c.apply_env(|_| None).unwrap();
    assert!(matches!(c.cors(), Cors::Origins(ref l) if l.len() == 2));
    let mut any: Config = toml::from_str("[api]\ncors_origins = \"*\"").unwrap();
    any.apply_env(|_| None).unwrap();
    assert!(matches!(any.cors(), Cors::Any));
    // The environment wins, comma-separated.
    c.apply_env(|k| {
        (k == "SKILLTRACK_CORS_ORIGINS").then(|| "https://b.example, https://c.example".to_owned())
    })
    .unwrap();
    assert_eq!(
        c.api.cors_origins,
        ["https://b.example", "https://c.example"]
    );
    // A bad origin is refused at load, named with its key and variable.
    let err = Config::default()
        .apply_env(|k| (k == "SKILLTRACK_CORS_ORIGINS").then(|| "a.example".to_owned()))
        .unwrap_err()
        .to_string();
    assert!(
        err.starts_with(
            "configuration `[api] cors_origins` (or SKILLTRACK_CORS_ORIGINS) = \"a.example\": \"a.example\" is not an origin"
        ),
        "{err}"
    );
    let mut bad: Config =
        toml::from_str("[api]\ncors_origins = [\"https://a.example/app\"]").unwrap();
    assert!(bad.apply_env(|_| None).is_err());
    assert!(toml::from_str::<Config>("[api]\ncors_origin = \"*\"").is_err());
}

#[test]
fn schedule_section_and_admin_token_come_from_the_file_then_the_environment() {
    let defaults = Config::default();
    assert!(defaults.schedule.catch_up);
    assert_eq!(defaults.schedule.shutdown_grace, DEFAULT_SHUTDOWN_GRACE);
    assert_eq!(defaults.schedule.catch_up_spacing, DEFAULT_CATCH_UP_SPACING);
    assert_eq!(defaults.schedule.catch_up_jitter, DEFAULT_CATCH_UP_JITTER);
    assert!(defaults.api.admin_token.is_none());

    let mut c: Config = toml::from_str(
        "[schedule]\ncatch_up = false\ncatch_up_spacing_secs = \"2s\"\ncatch_up_jitter_secs = 0\nshutdown_grace_secs = \"1m\"\n[api]\nadmin_token = \"from-file\"\n",
    )
    .unwrap();
    c.apply_env(|_| None).unwrap();
    assert!(!c.schedule.catch_up);
    assert_eq!(c.schedule.catch_up_spacing, Duration::from_secs(2));
    assert_eq!(c.schedule.catch_up_jitter, Duration::ZERO);
    assert_eq!(c.schedule.shutdown_grace, Duration::from_secs(60));
    assert!(c.api.admin_token.as_ref().unwrap().matches("from-file"));
    // The token never prints, even with the whole configuration.
    assert!(!format!("{c:?}").contains("from-file"));

    c.apply_env(|k| match k {
        "SKILLTRACK_CATCH_UP" => Some("true".into()),
        "SKILLTRACK_SHUTDOWN_GRACE_SECS" => Some("12".into()),
        "SKILLTRACK_ADMIN_TOKEN" => Some("from-env".into()),
        _ => None,
    })
    .unwrap();
    assert!(c.schedule.catch_up);
    assert_eq!(c.schedule.shutdown_grace, Duration::from_secs(12));
    assert!(c.api.admin_token.as_ref().unwrap().matches("from-env"));

    let err = Config::default()
        .apply_env(|k| (k == "SKILLTRACK_CATCH_UP").then(|| "sometimes".to_owned()))
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("SKILLTRACK_CATCH_UP=\"sometimes\": expected true or false"),
        "{err}"
    );
    let blank = toml::from_str::<Config>("[api]\nadmin_token = \"  \"\n").unwrap_err();
    assert!(
        blank.to_string().contains("admin_token is blank"),
        "{blank}"
    );
    assert!(toml::from_str::<Config>("[schedule]\ncatchup = true\n").is_err());
}
