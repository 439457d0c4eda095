//! Every bundled source against its saved fixtures: the real pipeline (fetch
//! → extract → normalize → store) with `--base-url` pointing at the local
//! fixture server. (France Travail, which needs credentials in the
//! environment, runs through the binary in `sources_cli`; the French boards
//! of issue 18 are in `sources_fr`.)

use std::collections::BTreeMap;

use skilltrack::domain::RunReport;
use skilltrack::extract::load_sources;
use skilltrack::normalize::Posting;
use skilltrack::pipeline::{run_source, RunOptions};
use skilltrack::store::PostingStore;

use crate::helpers::{context, extractors_dir, temp_store, FixtureServer};

/// Runs bundled source `id` against `routes`; the stored postings by external id.
async fn collect(
    id: &str,
    routes: &[(&str, &str)],
) -> (BTreeMap<String, Posting>, RunReport, Vec<String>) {
    let server = FixtureServer::start(routes).await;
    let (postings, report) = collect_at(id, &server.base).await;
    (postings, report, server.page_requests())
}

/// Runs bundled source `id` with `--base-url` `base`; the stored postings
/// by external id, and the run's report.
pub(crate) async fn collect_at(id: &str, base: &str) -> (BTreeMap<String, Posting>, RunReport) {
    let (_dir, store) = temp_store();
    let ctx = context(store.clone());
    let sources = load_sources(&extractors_dir()).expect("bundled sources load");
    let source = sources
        .iter()
        .find(|s| s.id.as_str() == id)
        .expect("source exists");
    let options = RunOptions {
        base_url: Some(base.to_owned()),
        ..RunOptions::default()
    };
    let report = run_source(&ctx, source, &options).await;
    let mut postings = BTreeMap::new();
    for p in store.postings() {
        let p = p.unwrap();
        postings.insert(p.external_id.clone(), p);
    }
    (postings, report)
}

pub(crate) fn places(p: &Posting) -> Vec<String> {
    p.places
        .iter()
        .map(|pl| pl.codes().next().unwrap().to_string())
        .collect()
}

pub(crate) fn skills(p: &Posting) -> Vec<&str> {
    p.skills.iter().map(|s| s.as_str()).collect()
}

/// Asserts one stored posting: title, company, places (most precise code
/// of each), posting day, remote flag, and skills it must name.
#[track_caller]
#[allow(clippy::too_many_arguments)] // one call per posting reads as a table
pub(crate) fn check(
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
