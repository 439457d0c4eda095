//! The French boards bundled without credentials (issue 18), each through the
//! real pipeline against fixtures written in the board's documented shape,
//! with `--base-url` pointing at a local server: postings stored with their
//! départements resolved and their skills found. APEC and Choisir le service
//! public POST a JSON search: their server answers by the page number or
//! offset in the body. `sources try --base-url` runs against it through the
//! binary.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use warp::http::{Response, StatusCode};
use warp::hyper::body::Bytes;
use warp::Filter;

use skilltrack::shutdown::Shutdown;

use crate::helpers::{extractors_dir, fixture, json_lines, serve_on_loopback, text, FixtureServer};
use crate::sources::{check, collect_at, places, skills};

/// A local server for sources that POST a JSON search: a POST to a route's
/// path whose body holds the route's integer at `field` (dotted) is answered
/// with the route's file; anything else is a 404 (robots.txt included). A
/// POST without `Content-Type: application/json` is a 415. Requests are
/// logged as `POST /path field=N` (GETs as their path).
struct PostServer {
    base: String,
    log: Arc<Mutex<Vec<String>>>,
    shutdown: Shutdown,
}

impl PostServer {
    async fn start(field: &'static str, routes: &[(&str, u64, &str)]) -> PostServer {
        PostServer::with_robots(field, routes, None).await
    }

    async fn with_robots(
        field: &'static str,
        routes: &[(&str, u64, &str)],
        robots: Option<&'static str>,
    ) -> PostServer {
        let table: Arc<HashMap<String, std::path::PathBuf>> = Arc::new(
            routes
                .iter()
                .map(|(path, n, file)| (format!("POST {path} {field}={n}"), fixture(file)))
                .collect(),
        );
        let log = Arc::new(Mutex::new(Vec::new()));
        let log2 = log.clone();
        let route = warp::method()
            .and(warp::path::full())
            .and(warp::header::optional::<String>("content-type"))
            .and(warp::body::bytes())
            .map(
                move |method: warp::http::Method,
                      path: warp::path::FullPath,
                      content_type: Option<String>,
                      body: Bytes| {
                    let key = if method == warp::http::Method::POST {
                        let json: serde_json::Value =
                            serde_json::from_slice(&body).unwrap_or_default();
                        let value = field
                            .split('.')
                            .try_fold(&json, |v, k| v.get(k))
                            .and_then(serde_json::Value::as_u64);
                        let value = value.map_or("none".to_owned(), |n| n.to_string());
                        format!("POST {} {field}={value}", path.as_str())
                    } else {
                        path.as_str().to_owned()
                    };
                    log2.lock().unwrap().push(key.clone());
                    if let (Some(rules), "/robots.txt") = (robots, key.as_str()) {
                        return Response::new(Bytes::from_static(rules.as_bytes()));
                    }
                    if method == warp::http::Method::POST
                        && content_type.as_deref() != Some("application/json")
                    {
                        return status(StatusCode::UNSUPPORTED_MEDIA_TYPE);
                    }
                    match table.get(&key).map(std::fs::read) {
                        Some(Ok(bytes)) => {
                            let mut r = Response::new(Bytes::from(bytes));
                            r.headers_mut().insert(
                                "content-type",
                                warp::http::HeaderValue::from_static("application/json"),
                            );
                            r
                        }
                        _ => status(StatusCode::NOT_FOUND),
                    }
                },
            );
        let (base, shutdown) = serve_on_loopback(route).await;
        PostServer {
            base,
            log,
            shutdown,
        }
    }

    /// Requests received, robots.txt left out.
    fn page_requests(&self) -> Vec<String> {
        let log = self.log.lock().unwrap();
        log.iter()
            .filter(|r| *r != "/robots.txt")
            .cloned()
            .collect()
    }
}

impl Drop for PostServer {
    fn drop(&mut self) {
        self.shutdown.trigger();
    }
}

fn status(code: StatusCode) -> Response<Bytes> {
    let mut r = Response::new(Bytes::from_static(b"{}"));
    *r.status_mut() = code;
    r
}

const TALEEZ_ROUTES: &[(&str, &str)] = &[
    ("/sitemap.xml", "taleez/sitemap.xml"),
    ("/sitemap-static.xml", "taleez/sitemap-static.xml"),
    ("/sitemap-job.xml", "taleez/sitemap-job.xml"),
    (
        "/apply/developpeur-fullstack-typescript-bordeaux-novapost-cdi",
        "taleez/developpeur-fullstack-typescript-bordeaux-novapost-cdi.html",
    ),
    (
        "/apply/ingenieur-systemes-linux-toulouse-bertin-it-cdi",
        "taleez/ingenieur-systemes-linux-toulouse-bertin-it-cdi.html",
    ),
    (
        "/apply/alternance-assistant-rh-marseille-ufcv",
        "taleez/alternance-assistant-rh-marseille-ufcv.html",
    ),
];

/// A source, its fixture routes, how many postings they give, and the first
/// posting's département.
type TryCase<'a> = (&'static str, Vec<(&'a str, &'a str)>, usize, &'static str);

const APEC_PATH: &str = "/cms/webservices/rechercheOffre";
const APEC_ROUTES: &[(&str, u64, &str)] = &[
    (APEC_PATH, 0, "apec/search-0.json"),
    (APEC_PATH, 20, "apec/search-20.json"),
    (APEC_PATH, 40, "apec/search-40.json"),
];

/// Choisir le service public's list: `{"page": N}` POSTed to one path.
const SERVICE_PUBLIC_ROUTES: &[(&str, u64, &str)] = &[
    ("/wp-json/api/offer-list", 1, "service-public/page-1.json"),
    ("/wp-json/api/offer-list", 2, "service-public/page-2.json"),
    ("/wp-json/api/offer-list", 3, "service-public/page-3.json"),
];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn freework_pages_until_an_empty_one() {
    let start = "/api/job_postings?itemsPerPage=30&order=date";
    let page2 = format!("{start}&page=2");
    let page3 = format!("{start}&page=3");
    let server = FixtureServer::start(&[
        (start, "freework/page-1.json"),
        (&page2, "freework/page-2.json"),
        (&page3, "freework/page-3.json"),
    ])
    .await;
    let (p, report) = collect_at("freework", &server.base).await;
    assert_eq!(server.page_requests(), vec![start, &page2, &page3]);
    assert_eq!((report.new, report.error_count()), (5, 0), "{report:?}");
    // "Lyon 3e (69)", entity-escaped HTML description, remoteMode "partial".
    check(
        &p,
        "665332",
        "Ingénieur DevOps Kubernetes / GitLab CI (H/F)",
        Some("Octo Libre"),
        &["FR-69"],
        "2026-11-24",
        false,
        &[
            "kubernetes",
            "helm",
            "ansible",
            "terraform",
            "argocd",
            "prometheus",
        ],
    );
    assert_eq!(p["665332"].valid_through.unwrap().to_string(), "2026-12-24");
    check(
        &p,
        "665101",
        "Développeur Python / Django confirmé – Nantes (44)",
        Some("Smile & Co"),
        &["FR-44"],
        "2026-11-23",
        false,
        &["python", "django", "postgresql", "vue"],
    );
    // A région only, and `&nbsp;` in the title; "full" is remote.
    check(
        &p,
        "664987",
        "Administrateur systèmes Linux – 100\u{a0}% télétravail",
        Some("Hébergement Souverain"),
        &["FR-IDF"],
        "2026-11-22",
        true,
        &["linux", "debian", "proxmox", "ceph", "zabbix", "saltstack"],
    );
    check(
        &p,
        "664702",
        "Développeur Rust embarqué",
        Some("Alpes Systèmes"),
        &["FR-38"],
        "2026-11-20",
        false,
        &["rust", "yocto", "python"],
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn apec_posts_its_search_with_the_offset_in_the_body() {
    let server = PostServer::start("pagination.startIndex", APEC_ROUTES).await;
    let (p, report) = collect_at("apec", &server.base).await;
    assert_eq!(
        server.page_requests(),
        vec![
            "POST /cms/webservices/rechercheOffre pagination.startIndex=0",
            "POST /cms/webservices/rechercheOffre pagination.startIndex=20",
            "POST /cms/webservices/rechercheOffre pagination.startIndex=40",
        ]
    );
    assert_eq!((report.new, report.error_count()), (5, 0), "{report:?}");
    // "Lyon 03 - 69": an arrondissement written with a zero, then the département.
    check(
        &p,
        "178301245W",
        "Architecte cloud Kubernetes H/F",
        Some("Sopra Libre Services"),
        &["FR-69"],
        "2026-11-24",
        false,
        &["kubernetes", "terraform", "ansible", "linux"],
    );
    check(
        &p,
        "178299871W",
        "Chef de projet informatique PostgreSQL / Java (F/H)",
        Some("Mutuelle Atlantique"),
        &["FR-44"],
        "2026-11-23",
        false,
        &["postgresql", "java", "spring-boot"],
    );
    // A confidential offer: no company name.
    check(
        &p,
        "178297002W",
        "Responsable d'exploitation systèmes & réseaux",
        None,
        &["FR-75"],
        "2026-11-23",
        false,
        &["zabbix", "proxmox"],
    );
    check(
        &p,
        "178288120W",
        "Data scientist Python - secteur énergie",
        Some("Énergies Renouvelables de l'Ouest"),
        &["FR-IDF"],
        "2026-11-21",
        false,
        &["python", "docker", "postgresql"],
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn choisir_le_service_public_posts_the_page_number() {
    let server = PostServer::start("page", SERVICE_PUBLIC_ROUTES).await;
    let (p, report) = collect_at("service-public", &server.base).await;
    assert_eq!(
        server.page_requests(),
        vec![
            "POST /wp-json/api/offer-list page=1",
            "POST /wp-json/api/offer-list page=2",
            "POST /wp-json/api/offer-list page=3",
        ]
    );
    assert_eq!((report.new, report.error_count()), (5, 0), "{report:?}");
    // The list's dates are French words ("24 novembre 2026"), read as the
    // posting's day.
    let expect = [
        (
            "2026-2395447",
            "FR-35",
            &["linux-administration", "postgresql"][..],
        ),
        ("2026-2395120", "FR-75", &["kubernetes", "ansible"][..]),
        ("2026-2394871", "FR-59", &[][..]),
        ("2026-2394510", "FR-69", &["python", "django"][..]),
        ("2026-2394102", "FR-44", &["postgis"][..]),
    ];
    for (id, place, some_skills) in expect {
        let posting = &p[id];
        assert_eq!(places(posting), [place], "{id}: {:?}", posting.locations);
        assert!(posting.date_from_source, "{id}");
        for skill in some_skills {
            assert!(
                skills(posting).contains(skill),
                "{id}: {skill} in {:?}",
                skills(posting)
            );
        }
    }
    assert_eq!(p["2026-2395447"].posted.to_string(), "2026-11-24");
    let devops = &p["2026-2395120"];
    assert_eq!(
        devops.title,
        "Ingénieur DevOps - plateforme Kubernetes & Ansible"
    );
    assert_eq!(devops.company.as_deref(), Some("Ministère de l'Intérieur"));
    assert_eq!(
        devops.url.as_deref(),
        Some("https://choisirleservicepublic.gouv.fr/offre-emploi/ingenieur-devops-plateforme-kubernetes-ansible-reference-2026-2395120/")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn emploi_territorial_feed_reads_employer_and_place_from_the_description() {
    let server = FixtureServer::start(&[("/rss", "emploi-territorial/rss.xml")]).await;
    let (p, report) = collect_at("emploi-territorial", &server.base).await;
    assert_eq!(server.page_requests(), vec!["/rss"]);
    assert_eq!((report.new, report.error_count()), (4, 0), "{report:?}");
    let id = |o: &str| format!("https://www.emploi-territorial.fr/:{o}");
    check(
        &p,
        &id("O044261124001873"),
        "ADMINISTRATEUR SYSTÈMES ET RÉSEAUX LINUX H/F",
        Some("NANTES MÉTROPOLE"),
        &["FR-44"],
        "2026-11-24",
        false,
        &["linux", "debian", "ansible", "postgresql"],
    );
    assert_eq!(
        p[&id("O044261124001873")].url.as_deref(),
        Some("https://www.emploi-territorial.fr/offre/o044261124001873-administrateur-systemes-et-reseaux-linux")
    );
    check(
        &p,
        &id("O069261123002240"),
        "DÉVELOPPEUR WEB PHP / SYMFONY & VUE.JS (F/H)",
        Some("MAIRIE DE LYON"),
        &["FR-69"],
        "2026-11-23",
        false,
        &["php", "symfony", "vue", "mariadb", "docker"],
    );
    check(
        &p,
        &id("O035261123001561"),
        "TECHNICIEN SUPPORT ET INFRASTRUCTURES (CATÉGORIE B)",
        Some("RÉGION BRETAGNE"),
        &["FR-35"],
        "2026-11-23",
        false,
        &["ubuntu", "bash"],
    );
    check(
        &p,
        &id("O085261122000428"),
        "PUÉRICULTEUR VOLANT DÉPARTEMENTAL H/F",
        Some("CONSEIL DÉPARTEMENTAL DE LA VENDÉE"),
        &["FR-85"],
        "2026-11-22",
        false,
        &[],
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn taleez_sitemap_index_to_job_pages() {
    let server = FixtureServer::start(TALEEZ_ROUTES).await;
    let (p, report) = collect_at("taleez", &server.base).await;
    // The index's sitemaps are read, the marketing pages are not followed.
    assert_eq!(
        server.page_requests(),
        vec![
            "/sitemap.xml",
            "/sitemap-static.xml",
            "/sitemap-job.xml",
            "/apply/developpeur-fullstack-typescript-bordeaux-novapost-cdi",
            "/apply/ingenieur-systemes-linux-toulouse-bertin-it-cdi",
            "/apply/alternance-assistant-rh-marseille-ufcv",
        ]
    );
    assert_eq!((report.new, report.error_count()), (3, 0), "{report:?}");
    check(
        &p,
        "1841277",
        "Développeur Fullstack TypeScript (H/F)",
        Some("NovaPost"),
        &["FR-33"],
        "2026-11-24",
        false,
        &[
            "typescript",
            "nodejs",
            "nestjs",
            "react",
            "postgresql",
            "kubernetes",
        ],
    );
    // Two jobLocations: two départements.
    check(
        &p,
        "1839904",
        "Ingénieur systèmes Linux / Ansible",
        Some("Bertin IT"),
        &["FR-31", "FR-34"],
        "2026-11-23",
        false,
        &[
            "linux",
            "ansible",
            "debian",
            "selinux",
            "prometheus",
            "grafana",
            "python",
        ],
    );
    check(
        &p,
        "1838120",
        "Alternance - Assistant(e) RH",
        Some("UFCV"),
        &["FR-13"],
        "2026-11-22",
        false,
        &[],
    );
}

/// `skilltrack sources try ID --base-url BASE --json` through the binary:
/// the JSON lines it prints.
async fn try_through_the_binary(id: &'static str, base: String) -> Vec<serde_json::Value> {
    let ext = extractors_dir().display().to_string();
    let out = tokio::task::spawn_blocking(move || {
        std::process::Command::new(env!("CARGO_BIN_EXE_skilltrack"))
            .args([
                "--extractors",
                &ext,
                "sources",
                "try",
                id,
                "--base-url",
                &base,
                "--json",
            ])
            .env("RUST_LOG", "warn")
            .env_remove("SKILLTRACK_CONFIG")
            .env("SKILLTRACK_LOOPBACK_RATE", "1000/s")
            .output()
            .expect("binary runs")
    })
    .await
    .unwrap();
    assert!(out.status.success(), "{id}: {}", text(&out.stderr));
    json_lines(&out.stdout)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sources_try_posts_through_the_binary() {
    let server = PostServer::start("pagination.startIndex", APEC_ROUTES).await;
    let lines = try_through_the_binary("apec", server.base.clone()).await;
    let ids: Vec<&str> = lines.iter().filter_map(|l| l["id"].as_str()).collect();
    assert_eq!(
        ids,
        [
            "178301245W",
            "178299871W",
            "178297002W",
            "178290455W",
            "178288120W"
        ]
    );
    assert_eq!(lines[0]["places"][0]["department"], "FR-69", "{}", lines[0]);
    assert_eq!(server.page_requests().len(), 3);

    let server = PostServer::start("page", SERVICE_PUBLIC_ROUTES).await;
    let lines = try_through_the_binary("service-public", server.base.clone()).await;
    assert_eq!(lines.len(), 5);
    assert_eq!(lines[0]["places"][0]["department"], "FR-35", "{}", lines[0]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sources_try_reads_the_other_boards_through_the_binary() {
    let start = "/api/job_postings?itemsPerPage=30&order=date";
    let (page2, page3) = (format!("{start}&page=2"), format!("{start}&page=3"));
    let cases: [TryCase<'_>; 3] = [
        (
            "freework",
            vec![
                (start, "freework/page-1.json"),
                (&page2, "freework/page-2.json"),
                (&page3, "freework/page-3.json"),
            ],
            5,
            "FR-69",
        ),
        (
            "emploi-territorial",
            vec![("/rss", "emploi-territorial/rss.xml")],
            4,
            "FR-44",
        ),
        ("taleez", TALEEZ_ROUTES.to_vec(), 3, "FR-33"),
    ];
    for (id, routes, count, first_department) in cases {
        let server = FixtureServer::start(&routes).await;
        let lines = try_through_the_binary(id, server.base.clone()).await;
        assert_eq!(lines.len(), count, "{id}");
        assert_eq!(
            lines[0]["places"][0]["department"], first_department,
            "{id}: {}",
            lines[0]
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_posted_search_is_a_crawl_and_obeys_robots_txt() {
    let server = PostServer::with_robots(
        "pagination.startIndex",
        APEC_ROUTES,
        Some("User-agent: *\nDisallow: /cms/webservices/\n"),
    )
    .await;
    let (p, report) = collect_at("apec", &server.base).await;
    assert!(p.is_empty());
    assert_eq!(server.page_requests(), Vec::<String>::new());
    assert_eq!(report.error_count(), 1, "{report:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sources_check_names_every_request_and_body_paging_problem() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("board.toml");
    std::fs::write(
        &file,
        r#"name = "Board"
kind = "json"
base_url = "https://jobs.example.fr"
start = ["/api/search"]

[request]
method = "PUT"
body = { page = 1 }

[paginate]
kind = "page"
field = "page"

[fields]
id = "id"
title = "title"
"#,
    )
    .unwrap();
    let shown = file.display().to_string();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_skilltrack"))
        .args(["sources", "check", &shown])
        .env("RUST_LOG", "warn")
        .env_remove("SKILLTRACK_CONFIG")
        .output()
        .expect("binary runs");
    assert_eq!(out.status.code(), Some(3), "{}", text(&out.stderr));
    let all = format!("{}{}", text(&out.stdout), text(&out.stderr));
    for line in [
        format!("{shown}: `request.method`: \"PUT\" is not a request method: use \"GET\" or \"POST\""),
        format!("{shown}: `paginate.field`: \"page\" needs a body to write into: [request] method = \"POST\" with a `body` table"),
    ] {
        assert!(all.contains(&line), "{line}\nnot in\n{all}");
    }
    // The same file with a POST is valid.
    let fixed = std::fs::read_to_string(&file)
        .unwrap()
        .replace("\"PUT\"", "\"POST\"");
    std::fs::write(&file, fixed).unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_skilltrack"))
        .args(["sources", "check", &shown])
        .env("RUST_LOG", "warn")
        .env_remove("SKILLTRACK_CONFIG")
        .output()
        .expect("binary runs");
    assert!(out.status.success(), "{}", text(&out.stderr));
}
