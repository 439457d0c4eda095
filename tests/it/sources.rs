//! Every bundled source against its saved fixtures: the real pipeline (fetch
//! → extract → normalize → store) with `--base-url` pointing at the local
//! fixture server; and `sources check` / `sources try` / `sources list` as
//! users run them.

use std::collections::BTreeMap;

use skilltrack::extract::load_sources;
use skilltrack::normalize::Posting;
use skilltrack::pipeline::{run_source, RunOptions};
use skilltrack::report::RunReport;
use skilltrack::store::Store;

use std::process::{Command, Output};

use crate::helpers::{context, extractors_dir, temp_store, FixtureServer};

/// Runs bundled source `id` against `routes`; the stored postings by external id.
async fn collect(
    id: &str,
    routes: &[(&str, &str)],
) -> (BTreeMap<String, Posting>, RunReport, Vec<String>) {
    let server = FixtureServer::start(routes).await;
    let (_dir, store) = temp_store();
    let ctx = context(store.clone());
    let sources = load_sources(&extractors_dir()).expect("bundled sources load");
    let source = sources
        .iter()
        .find(|s| s.id.as_str() == id)
        .expect("source exists");
    let options = RunOptions {
        base_url: Some(server.base.clone()),
        ..RunOptions::default()
    };
    let report = run_source(&ctx, source, &options).await;
    let mut postings = BTreeMap::new();
    store
        .for_each_posting(&mut |p| {
            postings.insert(p.external_id.clone(), p);
            Ok(())
        })
        .unwrap();
    (postings, report, server.requests())
}

fn places(p: &Posting) -> Vec<String> {
    p.places
        .iter()
        .map(|pl| pl.codes().next().unwrap().to_string())
        .collect()
}

fn skills(p: &Posting) -> Vec<&str> {
    p.skills.iter().map(|s| s.as_str()).collect()
}

/// Asserts one stored posting: title, company, places (most precise code
/// of each), posting day, remote flag, and skills it must name.
#[track_caller]
#[allow(clippy::too_many_arguments)] // one call per posting reads as a table
fn check(
    postings: &BTreeMap<String, Posting>,
    id: &str,
    title: &str,
    company: Option<&str>,
    place_codes: &[&str],
    posted: &str,
    remote: bool,
    some_skills: &[&str],
) {
    let p = postings
        .get(id)
        .unwrap_or_else(|| panic!("no posting {id:?} in {:?}", postings.keys()));
    assert_eq!(p.title, title, "{id}");
    assert_eq!(p.company.as_deref(), company, "{id}");
    assert_eq!(places(p), place_codes, "{id}: {:?}", p.locations);
    assert_eq!(p.posted.to_string(), posted, "{id}");
    assert!(p.date_from_source, "{id}: the date comes from the source");
    assert_eq!(p.remote, remote, "{id}");
    for skill in some_skills {
        assert!(
            skills(p).contains(skill),
            "{id}: {skill} in {:?}",
            skills(p)
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn greenhouse_boards() {
    let (p, report, requests) = collect(
        "greenhouse",
        &[
            (
                "/v1/boards/gitlab/jobs?content=true",
                "greenhouse/gitlab.json",
            ),
            (
                "/v1/boards/grafanalabs/jobs?content=true",
                "greenhouse/grafanalabs.json",
            ),
            (
                "/v1/boards/canonical/jobs?content=true",
                "greenhouse/empty.json",
            ),
            (
                "/v1/boards/elastic/jobs?content=true",
                "greenhouse/empty.json",
            ),
        ],
    )
    .await;
    assert_eq!((report.new, report.error_count()), (3, 0), "{report:?}");
    assert_eq!(requests.len(), 4);
    // Entity-escaped HTML content becomes text; first_published is the date.
    check(
        &p,
        "8123401",
        "Senior Backend Engineer, Gitaly (Go)",
        Some("GitLab"),
        &[],
        "2026-10-28",
        true,
        &["go", "git", "grpc", "postgresql", "linux", "kubernetes"],
    );
    check(
        &p,
        "8123555",
        "Site Reliability Engineer (France)",
        Some("GitLab"),
        &["FR-75"],
        "2026-11-01",
        false,
        &["terraform", "prometheus", "gcp", "chef"],
    );
    check(
        &p,
        "5550101",
        "Software Engineer - Loki | Germany | Remote",
        Some("Grafana Labs"),
        &["DE"],
        "2026-10-30",
        false,
        &["go", "kubernetes"],
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lever_postings_with_skip_paging() {
    let (p, report, requests) = collect(
        "lever",
        &[
            (
                "/v0/postings/mistral?mode=json&limit=100&skip=0",
                "lever/mistral-0.json",
            ),
            (
                "/v0/postings/mistral?mode=json&limit=100&skip=100",
                "lever/mistral-100.json",
            ),
        ],
    )
    .await;
    assert_eq!((report.new, report.error_count()), (2, 0), "{report:?}");
    assert_eq!(
        requests,
        vec![
            "/v0/postings/mistral?mode=json&limit=100&skip=0",
            "/v0/postings/mistral?mode=json&limit=100&skip=100"
        ]
    );
    // createdAt in milliseconds; the company comes from the posting URL.
    check(
        &p,
        "4f1c2a9e-1b3d-4a57-9c2e-0d6b1f7a8e01",
        "Research Engineer, Inference (Paris)",
        Some("mistral"),
        &["FR-75", "GB"],
        "2026-11-02",
        false,
        &["python", "pytorch", "cuda"],
    );
    check(
        &p,
        "7a9d0c3b-5e21-4c8f-a1b0-2e3f4d5c6b02",
        "Infrastructure Engineer — Kubernetes",
        Some("mistral"),
        &["FR"],
        "2026-11-03",
        true,
        &["kubernetes", "terraform", "ansible"],
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ashby_boards() {
    let (p, report, _) = collect(
        "ashby",
        &[
            ("/posting-api/job-board/posthog", "ashby/posthog.json"),
            ("/posting-api/job-board/supabase", "ashby/empty.json"),
            ("/posting-api/job-board/n8n", "ashby/empty.json"),
        ],
    )
    .await;
    assert_eq!((report.new, report.error_count()), (2, 0), "{report:?}");
    check(
        &p,
        "c2a3f0de-9a1c-4b5e-8f0a-11aa22bb33cc",
        "Product Engineer (TypeScript / Python)",
        Some("posthog"),
        &[],
        "2026-11-02",
        true,
        &["react", "typescript", "django", "clickhouse"],
    );
    check(
        &p,
        "d4b5e6f7-0000-4c1d-9e8f-44dd55ee66ff",
        "Support Engineer",
        Some("posthog"),
        &["DE"],
        "2026-11-04",
        false,
        &["docker", "kubernetes", "sql"],
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn workable_account_name_from_the_page() {
    let (p, report, _) = collect(
        "workable",
        &[(
            "/api/v1/widget/accounts/huggingface?details=true",
            "workable/huggingface.json",
        )],
    )
    .await;
    assert_eq!((report.new, report.error_count()), (2, 0), "{report:?}");
    check(
        &p,
        "3F2A1B9C7D",
        "Machine Learning Engineer - Open Source",
        Some("Hugging Face"),
        &["FR-75"],
        "2026-11-02",
        true,
        &["python", "pytorch", "github"],
    );
    check(
        &p,
        "8E7D6C5B4A",
        "Infrastructure Engineer",
        Some("Hugging Face"),
        &["FR-69"],
        "2026-11-03",
        false,
        &["terraform", "aws", "kubernetes"],
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn recruitee_offers() {
    let (p, report, _) = collect("recruitee", &[("/api/offers/", "recruitee/offers.json")]).await;
    assert_eq!((report.new, report.error_count()), (1, 0), "{report:?}");
    // "2026-11-02 08:00:00 UTC"
    check(
        &p,
        "1874512",
        "Backend Developer PHP (m/w/d)",
        Some("Nextcloud GmbH"),
        &["DE"],
        "2026-11-02",
        true,
        &["php", "mariadb", "postgresql", "redis"],
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn smartrecruiters_list_then_detail_documents() {
    let (p, report, requests) = collect(
        "smartrecruiters",
        &[
            (
                "/v1/companies/OVHcloud/postings?limit=100&offset=0",
                "smartrecruiters/list-0.json",
            ),
            (
                "/v1/companies/OVHcloud/postings?limit=100&offset=100",
                "smartrecruiters/list-100.json",
            ),
            (
                "/v1/companies/OVHcloud/postings/744000091234561",
                "smartrecruiters/744000091234561.json",
            ),
            (
                "/v1/companies/OVHcloud/postings/744000091234562",
                "smartrecruiters/744000091234562.json",
            ),
        ],
    )
    .await;
    assert_eq!((report.new, report.error_count()), (2, 0), "{report:?}");
    // Absolute `ref` links of the real API follow --base-url.
    assert_eq!(
        requests,
        vec![
            "/v1/companies/OVHcloud/postings?limit=100&offset=0",
            "/v1/companies/OVHcloud/postings/744000091234561",
            "/v1/companies/OVHcloud/postings/744000091234562",
            "/v1/companies/OVHcloud/postings?limit=100&offset=100",
        ]
    );
    check(
        &p,
        "744000091234561",
        "Ingénieur Système Linux - Stockage Ceph (F/H)",
        Some("OVHcloud"),
        &["FR-59"],
        "2026-11-02",
        false,
        &["ceph", "debian", "linux"],
    );
    check(
        &p,
        "744000091234562",
        "Développeur Go - Plateforme Kubernetes managée (F/H)",
        Some("OVHcloud"),
        &["FR-69"],
        "2026-11-05",
        true,
        &["go", "kubernetes"],
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn remoteok_skips_its_legal_notice() {
    let (p, report, _) = collect("remoteok", &[("/api", "remoteok/api.json")]).await;
    assert_eq!(
        (report.items, report.new, report.rejected),
        (2, 2, 0),
        "{report:?}"
    );
    check(
        &p,
        "1129001",
        "Senior Rust Engineer",
        Some("Ferrous Labs"),
        &[],
        "2026-11-02",
        true,
        &["rust", "tokio", "postgresql"],
    );
    check(
        &p,
        "1129002",
        "DevOps Engineer",
        Some("Nimbus"),
        &[],
        "2026-11-03",
        true,
        &["terraform", "aws", "github-actions"],
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn remotive_categories() {
    let (p, report, _) = collect(
        "remotive",
        &[
            (
                "/api/remote-jobs?category=software-dev",
                "remotive/software-dev.json",
            ),
            ("/api/remote-jobs?category=devops", "remotive/devops.json"),
        ],
    )
    .await;
    assert_eq!((report.new, report.error_count()), (3, 0), "{report:?}");
    check(
        &p,
        "1988001",
        "Backend Engineer (Python/FastAPI)",
        Some("Kelp Data"),
        &["FR", "DE", "ES"],
        "2026-11-02",
        true,
        &["python", "fastapi", "postgresql"],
    );
    check(
        &p,
        "1988002",
        "Frontend Developer (Vue.js)",
        Some("Lumen"),
        &[],
        "2026-11-03",
        true,
        &["vue", "typescript", "vite"],
    );
    check(
        &p,
        "1988010",
        "Site Reliability Engineer",
        Some("Kelp Data"),
        &[],
        "2026-11-04",
        true,
        &["kubernetes", "prometheus", "grafana", "ovhcloud"],
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn jobicy_remote_jobs() {
    let (p, report, _) = collect(
        "jobicy",
        &[(
            "/api/v2/remote-jobs?count=50&geo=europe&industry=dev",
            "jobicy/remote-jobs.json",
        )],
    )
    .await;
    assert_eq!((report.new, report.error_count()), (2, 0), "{report:?}");
    check(
        &p,
        "118220",
        "Senior Java Developer (Spring Boot)",
        Some("Nordlicht Software"),
        &["DE"],
        "2026-11-03",
        true,
        &["java", "spring-boot", "kubernetes", "helm"],
    );
    check(
        &p,
        "118221",
        "Data Engineer",
        Some("Granite Analytics"),
        &[],
        "2026-11-04",
        true,
        &["airflow", "dbt", "snowflake", "python"],
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn himalayas_offset_paging_until_an_empty_page() {
    let (p, report, requests) = collect(
        "himalayas",
        &[
            ("/jobs/api?limit=20&offset=0", "himalayas/offset-0.json"),
            ("/jobs/api?limit=20&offset=20", "himalayas/offset-20.json"),
            ("/jobs/api?limit=20&offset=40", "himalayas/offset-40.json"),
        ],
    )
    .await;
    assert_eq!((report.new, report.error_count()), (3, 0), "{report:?}");
    assert_eq!(requests.len(), 3);
    let base = "https://himalayas.app/companies/";
    check(
        &p,
        &format!("{base}tidepool/jobs/platform-engineer"),
        "Platform Engineer",
        Some("Tidepool"),
        &["FR", "BE"],
        "2026-11-02",
        true,
        &["kubernetes", "argocd", "terraform"],
    );
    check(
        &p,
        &format!("{base}moss/jobs/elixir-developer"),
        "Elixir Developer",
        Some("Moss"),
        &["NL"],
        "2026-11-03",
        true,
        &["elixir", "postgresql"],
    );
    check(
        &p,
        &format!("{base}moss/jobs/qa-engineer"),
        "QA Engineer",
        Some("Moss"),
        &[],
        "2026-11-04",
        true,
        &["playwright", "cypress"],
    );
    // expiryDate (unix seconds) is the closing day.
    assert_eq!(
        p[&format!("{base}tidepool/jobs/platform-engineer")]
            .valid_through
            .unwrap()
            .to_string(),
        "2027-01-01"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hn_who_is_hiring_top_level_comments() {
    let (p, report, requests) = collect(
        "hn-whoishiring",
        &[
            (
                "/api/v1/search_by_date?tags=story,author_whoishiring&hitsPerPage=5",
                "hn-whoishiring/search.json",
            ),
            (
                "/api/v1/items/46100001",
                "hn-whoishiring/item-46100001.json",
            ),
        ],
    )
    .await;
    // Only the newest "Who is hiring?" thread is followed, not "Who wants to be hired?".
    assert_eq!(
        requests,
        vec![
            "/api/v1/search_by_date?tags=story,author_whoishiring&hitsPerPage=5",
            "/api/v1/items/46100001"
        ]
    );
    // A meta comment without a header line and a deleted comment are reported and skipped;
    // the reply nested under the first posting is not a posting.
    assert_eq!(
        (report.items, report.new, report.rejected),
        (5, 3, 2),
        "{report:?}"
    );
    assert!(
        report.errors[0].ends_with("/api/v1/items/46100001: item 2: no title at \"text\""),
        "{:?}",
        report.errors
    );
    check(
        &p,
        "46100101",
        "Senior Rust Engineer",
        Some("Ferrous Labs"),
        &["FR-75"],
        "2026-12-01",
        true,
        &["rust", "tokio", "postgresql"],
    );
    check(
        &p,
        "46100102",
        "Platform Engineer (Kubernetes / Terraform)",
        Some("Nimbus"),
        &["DE"],
        "2026-12-01",
        false,
        &["kubernetes", "terraform", "python", "go"],
    );
    check(
        &p,
        "46100105",
        "Data Engineer",
        Some("LyonData"),
        &["FR-69"],
        "2026-12-01",
        false,
        &["apache-spark", "airflow", "postgresql"],
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn jsonld_career_site_through_its_sitemap() {
    let (p, report, requests) = collect(
        "jsonld-example",
        &[
            ("/sitemap.xml", "jsonld-example/sitemap.xml"),
            (
                "/jobs/ingenieur-devops-lyon",
                "jsonld-example/ingenieur-devops-lyon.html",
            ),
            (
                "/jobs/rust-backend-remote",
                "jsonld-example/rust-backend-remote.html",
            ),
            ("/jobs/offre-pourvue", "jsonld-example/offre-pourvue.html"),
        ],
    )
    .await;
    // Sitemap URLs of the real host follow --base-url; /about and / do not match `follow.matches`.
    assert_eq!(
        requests,
        vec![
            "/sitemap.xml",
            "/jobs/ingenieur-devops-lyon",
            "/jobs/rust-backend-remote",
            "/jobs/offre-pourvue"
        ]
    );
    assert_eq!(report.new, 2, "{report:?}");
    assert_eq!(report.errors.len(), 1);
    assert!(
        report.errors[0].ends_with("/jobs/offre-pourvue has no schema.org JobPosting"),
        "{:?}",
        report.errors
    );
    check(
        &p,
        "NL-2026-041",
        "Ingénieur DevOps (H/F)",
        Some("Nuage Libre"),
        &["FR-69"],
        "2026-11-02",
        false,
        &["kubernetes", "helm", "argocd", "ansible"],
    );
    assert_eq!(
        p["NL-2026-041"].valid_through.unwrap().to_string(),
        "2027-01-15"
    );
    check(
        &p,
        "https://careers.example.org/jobs/rust-backend-remote",
        "Rust Backend Engineer",
        Some("Nuage Libre"),
        &["FR", "BE"],
        "2026-11-03",
        true,
        &["rust", "axum", "tokio", "postgresql"],
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rss_feed_with_a_bad_date() {
    let (p, report, _) = collect(
        "weworkremotely",
        &[(
            "/categories/remote-programming-jobs.rss",
            "weworkremotely/programming.rss",
        )],
    )
    .await;
    assert_eq!(
        (report.items, report.new, report.rejected),
        (3, 2, 1),
        "{report:?}"
    );
    assert!(
        report.errors[0]
            .ends_with("item 2: posted_at \"sometime next week\" is not a date this tracker reads"),
        "{:?}",
        report.errors
    );
    let wwr = "https://weworkremotely.com/remote-jobs/";
    check(
        &p,
        &format!("{wwr}kestrel-systems-senior-go-engineer"),
        "Senior Go Engineer",
        Some("Kestrel Systems"),
        &[],
        "2026-11-02",
        true,
        &["go", "kubernetes", "postgresql"],
    );
    check(
        &p,
        &format!("{wwr}atelier-numerique-developpeur-full-stack"),
        "Développeur Full-Stack Symfony / Vue",
        Some("Atelier Numérique"),
        &["FR"],
        "2026-11-03",
        true,
        &["symfony", "php", "vue"],
    );
}

fn skilltrack(args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_skilltrack"));
    cmd.args(args)
        .env("RUST_LOG", "warn")
        .env_remove("SKILLTRACK_CONFIG")
        .env_remove("FT_CLIENT_ID")
        .env_remove("FT_CLIENT_SECRET");
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.output().expect("binary runs")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
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
        server.requests(),
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
    let lines: Vec<serde_json::Value> = text(&with.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
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
    assert!(line("greenhouse").contains(" true "), "{stdout}");
    assert_eq!(stdout.lines().count(), 16, "{stdout}");
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
    let lines: Vec<serde_json::Value> = text(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
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
