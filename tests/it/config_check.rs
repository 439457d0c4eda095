//! `skilltrack config check` and the example file: unknown keys with a
//! suggestion, type errors with key and line, every value's origin, secrets
//! masked, exit statuses; `skilltrack.example.toml` equal to the defaults.

use std::collections::BTreeSet;
use std::path::PathBuf;

use skilltrack::config::check::{check, Effective, Flags, Origin, Report};
use skilltrack::config::keys::KEYS;
use skilltrack::config::{Config, ENV_VARS};

fn no_env(_: &str) -> Option<String> {
    None
}

fn example() -> String {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/skilltrack.example.toml");
    std::fs::read_to_string(path).expect("skilltrack.example.toml")
}

fn find<'a>(report: &'a Report, section: &str, key: &str) -> &'a Effective {
    report
        .effective
        .iter()
        .find(|e| e.section == section && e.key == key)
        .unwrap_or_else(|| panic!("[{section}] {key} not printed"))
}

#[test]
fn the_example_file_sets_every_key_to_its_default() {
    let text = example();
    let report = check(Some(("example", &text)), no_env, &Flags::default());
    assert!(report.is_ok(), "{:?}", report.problems);
    let defaults = Config::default();
    for key in KEYS {
        let e = find(&report, key.section, key.name);
        let default = (key.value)(&defaults);
        match default {
            Some(default) => {
                assert_eq!(e.value.as_ref(), Some(&default), "{}", key.display_name());
                assert!(
                    matches!(e.origin, Origin::File(_)),
                    "{} is not set in the example file",
                    key.display_name()
                );
            }
            // No default: shown commented out, and unset once loaded.
            None => {
                assert_eq!(e.value, None, "{}", key.display_name());
                assert!(
                    text.contains(&format!("# {} =", key.name))
                        || text.contains(&format!("[{}.{}]", key.section, key.name)),
                    "{} has no commented example",
                    key.display_name()
                );
            }
        }
    }
    // The real loader agrees, and every variable the example names exists.
    let loaded = Config::load(Some(&PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/skilltrack.example.toml"
    ))));
    assert!(loaded.is_ok(), "{:?}", loaded.err());
    for var in ENV_VARS {
        assert!(text.contains(var), "the example does not name {var}");
    }
}

#[test]
fn the_key_table_names_every_environment_variable_once() {
    let named: Vec<&str> = KEYS.iter().filter_map(|k| k.env).collect();
    let set: BTreeSet<&str> = named.iter().copied().collect();
    assert_eq!(named.len(), set.len(), "a variable named twice");
    assert_eq!(set, ENV_VARS.iter().copied().collect::<BTreeSet<_>>());
}

#[test]
fn unknown_keys_are_all_reported_with_line_and_closest_key() {
    let text = "data_dri = \"x\"\n[fetch]\nmax_attempt = 3\nobey_robots = true\n[sources.foo]\nbase_ur = \"x\"\n[weird]\nzzz = 1\n";
    let report = check(Some(("my.toml", text)), no_env, &Flags::default());
    assert_eq!(
        report.problems,
        [
            "my.toml:1: unknown key `data_dri`; did you mean `data_dir`?",
            "my.toml:3: unknown key `max_attempt` in [fetch]; did you mean `max_attempts`?",
            "my.toml:6: unknown key `base_ur` in [sources.foo]; did you mean `base_url`?",
            "my.toml:7: unknown key `weird`",
        ]
    );
    assert!(report.effective.is_empty());
    // A section name mistyped is suggested too.
    let report = check(
        Some(("f", "[fecth]\nmax_attempts = 3\n")),
        no_env,
        &Flags::default(),
    );
    assert_eq!(
        report.problems,
        ["f:1: unknown key `fecth`; did you mean `fetch`?"]
    );
}

#[test]
fn type_errors_name_the_key_and_line() {
    let text = "cache_mb = 8\n\n[fetch]\nmax_attempts = \"three\"\n";
    let report = check(Some(("c.toml", text)), no_env, &Flags::default());
    assert_eq!(
        report.problems,
        ["c.toml:4: `max_attempts` in [fetch]: invalid type: string \"three\", expected u32"]
    );
    let report = check(Some(("c.toml", "bind = 8080\n")), no_env, &Flags::default());
    assert_eq!(report.problems.len(), 1);
    assert!(
        report.problems[0].starts_with("c.toml:1: `bind`: invalid type: integer"),
        "{:?}",
        report.problems
    );
    // TOML that does not parse names the line.
    let report = check(Some(("c.toml", "a = \n")), no_env, &Flags::default());
    assert!(
        report.problems[0].contains("line 1"),
        "{:?}",
        report.problems
    );
}

#[test]
fn range_and_environment_errors_name_key_and_variable() {
    let report = check(
        Some(("c.toml", "[server]\nmax_connections = 0\n")),
        no_env,
        &Flags::default(),
    );
    assert_eq!(report.problems.len(), 1);
    assert!(
        report.problems[0].contains("max_connections"),
        "{:?}",
        report.problems
    );
    let env = |k: &str| (k == "SKILLTRACK_CACHE_MB").then(|| "lots".to_owned());
    let report = check(None, env, &Flags::default());
    assert_eq!(report.problems.len(), 1);
    assert!(
        report.problems[0].contains("SKILLTRACK_CACHE_MB=\"lots\""),
        "{:?}",
        report.problems
    );
}

#[test]
fn each_value_says_where_it_came_from_flag_over_environment_over_file() {
    let text = "data_dir = \"/from/file\"\ncache_mb = 64\n[fetch]\nmax_attempts = 5\n";
    let env = |k: &str| match k {
        "SKILLTRACK_DATA_DIR" => Some("/from/env".to_owned()),
        "SKILLTRACK_MAX_ATTEMPTS" => Some("7".to_owned()),
        _ => None,
    };
    let flags = Flags {
        data_dir: Some("/from/flag".into()),
        extractors: None,
    };
    let report = check(Some(("c.toml", text)), env, &flags);
    assert!(report.is_ok(), "{:?}", report.problems);
    let data_dir = find(&report, "", "data_dir");
    assert_eq!(data_dir.value.as_deref(), Some("\"/from/flag\""));
    assert_eq!(data_dir.origin, Origin::Flag("--data-dir"));
    let attempts = find(&report, "fetch", "max_attempts");
    assert_eq!(attempts.value.as_deref(), Some("7"));
    assert_eq!(attempts.origin, Origin::Env("SKILLTRACK_MAX_ATTEMPTS"));
    let cache = find(&report, "", "cache_mb");
    assert_eq!(
        (cache.value.as_deref(), &cache.origin),
        (Some("64"), &Origin::File(2))
    );
    let bind = find(&report, "", "bind");
    assert_eq!(bind.origin, Origin::Default);
    let rendered = report.render();
    assert!(rendered.contains("# flag --data-dir"), "{rendered}");
    assert!(
        rendered.contains("# environment SKILLTRACK_MAX_ATTEMPTS"),
        "{rendered}"
    );
    assert!(rendered.contains("# file, line 2"), "{rendered}");
    // The printed configuration is itself a valid configuration.
    let again = check(Some(("printed", &rendered)), no_env, &Flags::default());
    assert!(again.is_ok(), "{:?}\n{rendered}", again.problems);
}

#[test]
fn secrets_are_masked() {
    let text = "[api]\nadmin_token = \"s3cret-file\"\n[sources.foo]\nbase_url = \"https://user:pa55@mirror.example/\"\n";
    let report = check(Some(("c.toml", text)), no_env, &Flags::default());
    let rendered = report.render();
    assert!(!rendered.contains("s3cret"), "{rendered}");
    assert!(!rendered.contains("pa55"), "{rendered}");
    assert!(
        rendered.contains("admin_token = \"********\""),
        "{rendered}"
    );
    assert!(
        rendered.contains("https://user:********@mirror.example/"),
        "{rendered}"
    );
    let env = |k: &str| (k == "SKILLTRACK_ADMIN_TOKEN").then(|| "s3cret-env".to_owned());
    let report = check(None, env, &Flags::default());
    let token = find(&report, "api", "admin_token");
    assert_eq!(token.value.as_deref(), Some("\"********\""));
    assert_eq!(token.origin, Origin::Env("SKILLTRACK_ADMIN_TOKEN"));
    assert!(!report.render().contains("s3cret"));
}

fn skilltrack(args: &[&str], env: &[(&str, &str)]) -> std::process::Output {
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_skilltrack"));
    for var in ENV_VARS.iter().chain(&["SKILLTRACK_CONFIG"]) {
        cmd.env_remove(var);
    }
    cmd.args(args)
        .envs(env.iter().copied())
        .output()
        .expect("run skilltrack")
}

#[test]
fn the_command_exits_3_on_problems_and_0_with_the_effective_configuration() {
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.toml");
    std::fs::write(&bad, "[fetch]\nmax_atempts = 2\n").unwrap();
    let out = skilltrack(&["config", "check", bad.to_str().unwrap()], &[]);
    assert_eq!(out.status.code(), Some(3));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains(
            "bad.toml:2: unknown key `max_atempts` in [fetch]; did you mean `max_attempts`?"
        ),
        "{stderr}"
    );
    let good = dir.path().join("good.toml");
    std::fs::write(&good, "[api]\nadmin_token = \"hunter2\"\n").unwrap();
    let out = skilltrack(
        &["--config", good.to_str().unwrap(), "config", "check"],
        &[("SKILLTRACK_MIN_SUPPORT", "5")],
    );
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(!stdout.contains("hunter2"), "{stdout}");
    assert!(stdout.contains("min_support = 5"), "{stdout}");
    assert!(
        stdout.contains("# environment SKILLTRACK_MIN_SUPPORT"),
        "{stdout}"
    );
    assert!(stdout.contains("# file, line 2"), "{stdout}");
    // The example file checks clean through the binary too.
    let example = concat!(env!("CARGO_MANIFEST_DIR"), "/skilltrack.example.toml");
    let out = skilltrack(&["config", "check", example], &[]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // A missing file is a configuration error.
    let out = skilltrack(&["config", "check", "/nonexistent/x.toml"], &[]);
    assert_eq!(out.status.code(), Some(3));
}
