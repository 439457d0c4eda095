//! The `sources` commands as users run them: `check` on a broken set of
//! files (exact messages), `list`, `try` (stores nothing), and France Travail
//! end to end with credentials from the environment.

use std::process::{Command, Output};

use crate::helpers::{
    extractors_dir, extractors_with_broken_files, json_lines, text, FixtureServer,
};

fn skilltrack(args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_skilltrack"));
    cmd.args(args)
        .env("RUST_LOG", "warn")
        .env_remove("SKILLTRACK_CONFIG")
        // Fixture servers are on loopback: no politeness wait.
        .env("SKILLTRACK_LOOPBACK_RATE", "1000/s")
        .env_remove("FT_CLIENT_ID")
        .env_remove("FT_CLIENT_SECRET");
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.output().expect("binary runs")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn france_travail_oauth2_and_range_paging() {
    let server = FixtureServer::start(&[
        ("/connexion/oauth2/access_token?realm=%2Fpartenaire", "francetravail/token.json"),
        (
            "/partenaire/offresdemploi/v2/offres/search?codeROME=M1801,M1805,M1810&range=0-149",
            "francetravail/search-0-149.json",
        ),
        (
            "/partenaire/offresdemploi/v2/offres/search?codeROME=M1801%2CM1805%2CM1810&range=150-151",
            "francetravail/search-150-151.json",
        ),
    ])
    .await;
    let (base, ext) = (server.base.clone(), extractors_dir().display().to_string());
    let (without, with) = tokio::task::spawn_blocking(move || {
        let args = [
            "--extractors",
            &ext,
            "sources",
            "try",
            "francetravail",
            "--base-url",
            &base,
            "--json",
            "--limit",
            "100",
        ];
        let without = skilltrack(&args, &[]);
        let with = skilltrack(
            &args,
            &[
                ("FT_CLIENT_ID", "fixture-id"),
                ("FT_CLIENT_SECRET", "fixture-secret"),
            ],
        );
        (without, with)
    })
    .await
    .unwrap();
    // Without credentials nothing is fetched, and the error says which variable is missing.
    assert_eq!(without.status.code(), Some(2));
    assert!(
        text(&without.stderr).contains("environment variable FT_CLIENT_ID is not set"),
        "{}",
        text(&without.stderr)
    );
    assert!(with.status.success(), "{}", text(&with.stderr));
    // One token for the whole run; the second range follows Content-Range and stops at the total.
    assert_eq!(
        server.page_requests(),
        vec![
            "/connexion/oauth2/access_token?realm=%2Fpartenaire",
            "/partenaire/offresdemploi/v2/offres/search?codeROME=M1801,M1805,M1810&range=0-149",
            "/partenaire/offresdemploi/v2/offres/search?codeROME=M1801%2CM1805%2CM1810&range=150-151",
        ]
    );
    let stderr = text(&with.stderr);
    assert!(
        !stderr.contains("fixture-secret") && !stderr.contains("fixture-token"),
        "{stderr}"
    );
    assert!(
        stderr.contains("item 1: posted_at \"le 4 novembre\" is not a date this tracker reads"),
        "{stderr}"
    );
    let lines = json_lines(&with.stdout);
    let ids: Vec<&str> = lines.iter().map(|l| l["id"].as_str().unwrap()).collect();
    assert_eq!(ids, vec!["201QRTK", "201QSBW", "201QTZP", "201QVAA"]);
    let first = &lines[0];
    assert_eq!(
        first["title"],
        "Développeur / Développeuse Python Django (H/F)"
    );
    assert_eq!(first["company"], "OPENLOGIC SERVICES");
    assert_eq!(first["posted_at"], "2026-11-02");
    assert_eq!(
        first["url"],
        "https://candidat.francetravail.fr/offres/recherche/detail/201QRTK"
    );
    assert_eq!(first["places"][0]["department"], "FR-69");
    assert_eq!(first["remote"], false);
    for skill in ["python", "django", "postgresql", "docker", "gitlab"] {
        assert!(
            first["skills"]
                .as_array()
                .unwrap()
                .iter()
                .any(|s| s == skill),
            "{skill} in {first}"
        );
    }
    assert_eq!(lines[1]["places"][0]["department"], "FR-35");
    assert_eq!(lines[1]["company"], "RENNES METROPOLE");
    // No company, a région-level place ("Bretagne"), no postal code.
    assert_eq!(lines[2]["company"], serde_json::Value::Null);
    assert_eq!(lines[2]["places"][0]["region"], "FR-BRE");
    assert_eq!(lines[3]["places"][0]["department"], "FR-31");
    assert!(lines[3]["skills"]
        .as_array()
        .unwrap()
        .iter()
        .any(|s| s == "rust"));
}

#[test]
fn sources_list_shows_kind_schedule_and_missing_credentials() {
    let dir = tempfile::tempdir().unwrap();
    let out = skilltrack(
        &[
            "--data-dir",
            dir.path().join("db").to_str().unwrap(),
            "--extractors",
            extractors_dir().to_str().unwrap(),
            "sources",
            "list",
        ],
        &[],
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    let line = |id: &str| {
        stdout
            .lines()
            .find(|l| l.starts_with(&format!("{id} ")))
            .unwrap_or_else(|| panic!("{id} in {stdout}"))
            .to_owned()
    };
    let ft = line("francetravail");
    assert!(
        ft.contains(" json ")
            && ft.contains("0 40 5 * * *")
            && ft.contains("false (needs FT_CLIENT_ID, FT_CLIENT_SECRET)"),
        "{ft}"
    );
    assert!(line("weworkremotely").contains(" rss "), "{stdout}");
    assert!(line("jsonld-example").contains(" jsonld "), "{stdout}");
    assert!(line("greenhouse").ends_with(" true"), "{stdout}");
    // A header, then one line per bundled file.
    let files = std::fs::read_dir(extractors_dir())
        .unwrap()
        .filter(|e| {
            e.as_ref()
                .unwrap()
                .path()
                .extension()
                .is_some_and(|x| x == "toml")
        })
        .count();
    assert_eq!(stdout.lines().count(), 1 + files, "{stdout}");
}

/// One broken and one stray file among valid ones: `sources list` shows
/// the valid sources and the broken ones with every problem; `run` refuses
/// a broken source by name, with its problems (exit 3).
#[test]
fn broken_source_files_are_listed_with_their_problems() {
    let dir = tempfile::tempdir().unwrap();
    let extractors = extractors_with_broken_files(dir.path(), &["arbeitnow", "remotive"]);
    let (db, ext) = (
        dir.path().join("db").display().to_string(),
        extractors.display().to_string(),
    );
    let out = skilltrack(
        &["--data-dir", &db, "--extractors", &ext, "sources", "list"],
        &[],
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    assert!(
        stdout
            .lines()
            .any(|l| l.starts_with("arbeitnow ") && l.ends_with(" true")),
        "{stdout}"
    );
    assert!(
        stdout
            .lines()
            .any(|l| l.starts_with("broken ") && l.ends_with("false (broken)")),
        "{stdout}"
    );
    assert!(stdout.contains("2 broken source definition(s)"), "{stdout}");
    assert!(
        stdout.contains("nmae") && stdout.contains("not valid TOML"),
        "{stdout}"
    );

    let out = skilltrack(
        &["--data-dir", &db, "--extractors", &ext, "run", "broken"],
        &[],
    );
    assert_eq!(out.status.code(), Some(3), "{}", text(&out.stderr));
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains("source \"broken\" is broken") && stderr.contains("nmae"),
        "{stderr}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sources_try_prints_postings_and_stores_nothing() {
    let server = FixtureServer::start(&[("/api", "remoteok/api.json")]).await;
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("db");
    let (base, ext, db_s) = (
        server.base.clone(),
        extractors_dir().display().to_string(),
        db.display().to_string(),
    );
    let out = tokio::task::spawn_blocking(move || {
        skilltrack(
            &[
                "--data-dir",
                &db_s,
                "--extractors",
                &ext,
                "sources",
                "try",
                "remoteok",
                "--base-url",
                &base,
                "--json",
                "--limit",
                "1",
            ],
            &[],
        )
    })
    .await
    .unwrap();
    assert!(out.status.success(), "{}", text(&out.stderr));
    let lines = json_lines(&out.stdout);
    assert_eq!(lines.len(), 1, "--limit 1");
    let l = &lines[0];
    for key in [
        "id",
        "title",
        "company",
        "url",
        "posted_at",
        "places",
        "remote",
        "skills",
    ] {
        assert!(l.get(key).is_some(), "{key} in {l}");
    }
    assert_eq!(
        (
            l["id"].as_str(),
            l["posted_at"].as_str(),
            l["remote"].as_bool()
        ),
        (Some("1129001"), Some("2026-11-02"), Some(true))
    );
    assert!(!db.exists(), "sources try stores nothing");
}

#[test]
fn sources_check_reports_every_error_of_a_broken_set_in_one_run() {
    let dir = tempfile::tempdir().unwrap();
    let files = [
        ("broken-json.toml", "name = \"Broken JSON\"\nkind = \"json\"\nschedule = \"every day\"\nbase_url = \"ftp://x\"\nstart = [\"jobs\"]\nmax_pages = 0\n[items]\nselectr = \"li\"\n[paginate]\nkind = \"range\"\n[fields]\nid = \"id\"\ntitel = \"title\"\nposted_at = { path = \"date\", transform = \"datetime\" }\n"),
        ("broken-html.toml", "name = \"Broken HTML\"\nkind = \"html\"\nbase_url = \"https://ex.org\"\nstart = [\"/jobs\"]\n[items]\nselector = \"li..job\"\n[paginate]\nkind = \"next\"\nselectr = \"a.next\"\n[fields]\ntitle = { selector = \"h2\", regex = \"(unclosed\" }\n"),
        ("typo.toml", "name = \"T\"\nkind = \"jsn\"\nbase_urll = \"https://x\"\nstart = [\"/a\"]\n"),
        ("secrets.toml", "name = \"Secrets\"\nkind = \"rss\"\nbase_url = \"https://ex.org\"\nstart = [\"/feed\"]\nenabled = \"yes\"\n[auth]\nkind = \"bearer\"\ntoken_env = \"abc123 my token\"\ntoken_url = \"https://ex.org/token\"\n"),
        ("ok.toml", "name = \"Fine\"\nkind = \"rss\"\nbase_url = \"https://ex.org\"\nstart = [\"/feed\"]\n"),
    ];
    for (name, body) in files {
        std::fs::write(dir.path().join(name), body).unwrap();
    }
    let out = skilltrack(
        &[
            "--extractors",
            dir.path().to_str().unwrap(),
            "sources",
            "check",
        ],
        &[],
    );
    assert_eq!(out.status.code(), Some(3));
    let d = dir.path().display().to_string();
    let expected = [
        "19 problem(s) in source definitions:",
        "D/broken-html.toml: `paginate.selectr`: unknown key `selectr`, did you mean `selector`?",
        "D/broken-html.toml: `paginate.selector`: paginate kind \"next\" needs `selector` (where the next link is)",
        "D/broken-html.toml: `items.selector`: \"li..job\" is not a valid CSS selector: ClassNeedsIdent",
        "D/broken-html.toml: `fields.title.regex`: \"(unclosed\" is not a valid regex: regex parse error: (unclosed ^ error: unclosed group",
        "D/broken-json.toml: `schedule`: \"every day\" is not a valid cron expression: Invalid pattern: Pattern must have 6 or 7 fields when seconds are required and years are optional. (6 fields, seconds first, UTC: \"0 15 5 * * *\")",
        "D/broken-json.toml: `base_url`: \"ftp://x\": scheme \"ftp\" is not http or https",
        "D/broken-json.toml: `start`: \"jobs\" must be a path starting with '/' (it is joined to base_url)",
        "D/broken-json.toml: `max_pages`: 0 is less than 1",
        "D/broken-json.toml: `paginate.size`: paginate kind \"range\" needs `size` (items per request)",
        "D/broken-json.toml: `items.selectr`: unknown key `selectr`; known keys: path, skip",
        "D/broken-json.toml: `fields.titel`: unknown key `titel`, did you mean `title`?",
        "D/broken-json.toml: `fields.posted_at.transform`: \"datetime\" is not a transform: use text, html or date",
        "D/broken-json.toml: `fields.title`: is required",
        "D/secrets.toml: `enabled`: expected true or false, found a string (\"yes\")",
        "D/secrets.toml: `auth.token_url`: unknown key `token_url`; known keys: kind, token_env",
        "D/secrets.toml: `auth.token_env`: must name an environment variable such as \"API_TOKEN\", not hold the secret itself (value not shown)",
        "D/typo.toml: `base_urll`: unknown key `base_urll`, did you mean `base_url`?",
        "D/typo.toml: `base_url`: is required",
        "D/typo.toml: `kind`: \"jsn\" is not a source kind: use json, html, jsonld or rss",
    ];
    let got: Vec<String> = text(&out.stderr)
        .lines()
        .map(|l| l.trim().replace(&d, "D"))
        .collect();
    assert_eq!(got, expected);
    // The secret-looking value is never printed.
    assert!(!text(&out.stderr).contains("abc123"));
}
