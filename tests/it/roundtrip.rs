//! Round trips that must change nothing: `reindex` with an unchanged
//! taxonomy, `export postings` → `import` and `backup` → `restore` into a new
//! database give the same postings and byte-identical trends for every metric — on a corpus as
//! rich as production: skills that only the source's tags name, sources with
//! a default country, remote flags given, withheld and contradicted by the
//! location, texts that look like HTML, the same job on several sources, and
//! postings collected through the real pipeline next to imported ones.

use std::io::Cursor;
use std::sync::Arc;

use skilltrack::domain::{Day, GeoCode, SkillId, SourceId};
use skilltrack::export::{write_trends_csv, CsvOptions, PostingsWriter};
use skilltrack::extract::load_sources;
use skilltrack::normalize::Posting;
use skilltrack::pipeline::{import_lines, reindex, run_source, RunOptions};
use skilltrack::store::{backup, CountStore, Metric, PostingStore, SledStore, Store};
use skilltrack::trends::{self, Interval, TrendQuery};

use crate::helpers::{context, extractors_dir, normalizer, temp_store, FixtureServer, ARBEITNOW};
use crate::store::Rng;

const COMPANIES: &[&str] = &[
    "OVHcloud",
    "Doctolib",
    "Société Générale",
    "Scaleway",
    "Mirakl",
    "Datadog",
    "Back Market",
    "Qonto",
    "Ledger",
    "Contentsquare",
];

const TITLES: &[&str] = &[
    "Ingénieur DevOps (H/F)",
    "Site Reliability Engineer",
    "Développeur Backend F/H",
    "Administrateur systèmes et réseaux",
    "Data Scientist - NLP",
    "Platform Engineer (m/w/d)",
    "Ingénieur d'exploitation",
    "Tech Lead",
];

/// Descriptions that name no skill of the taxonomy on their own: the skills
/// of these postings come from the tags only. Some look like HTML and carry
/// entities, which a re-import must not read as markup.
const PLAIN_TEXTS: &[&str] = &[
    "Rejoignez une équipe de 12 personnes qui exploite une plateforme utilisée par 40 millions de patients. Vous participez aux astreintes (1 semaine sur 6) et à l'amélioration continue de nos outils internes. Salaire : 55 k€ < x < 70 k€ selon expérience.",
    "You will own our deployment pipeline end to end, from code review to production, and mentor two junior engineers. We value written communication & ownership <3. Hybrid: 2 days a week at the office.",
    "Au sein de la DSI, vous assurez le maintien en condition opérationnelle du parc et la documentation des procédures. Les candidatures R&amp;D sont aussi les bienvenues. Poste basé à 10 minutes de la gare.",
    "Our team ships a product used by 30,000 merchants. You will design services, write tests and take part in incident reviews. <b>Not</b> a management role; mutuelle prise en charge à 100 %.",
];

/// Descriptions that name skills themselves.
const SKILL_TEXTS: &[&str] = &[
    "Stack : Python, Django, PostgreSQL et Redis, déployés sur Kubernetes. Une expérience de Terraform est un plus.",
    "Vous administrez des serveurs Linux (RHEL 9) avec Ansible ; la certification RHCSA est appréciée.",
    "We build data pipelines with Apache Spark and PyTorch models served in production; scikit-learn for baselines.",
    "Backend in Rust and Go, gRPC between services, observability with Prometheus and Grafana.",
];

const TAGS: &[&[&str]] = &[
    &["Kubernetes", "Terraform"],
    &["PostgreSQL"],
    &["Rust", "WebAssembly"],
    &["RHCSA"],
    &["Ansible", "GitLab CI"],
    &["DevOps"],
    &[],
    &["Python", "FastAPI"],
];

/// Locations with and without a place the gazetteer knows; "Remote" alone
/// leaves the source's default country as the only place.
const LOCATIONS: &[&[&str]] = &[
    &["75 - PARIS 09"],
    &["Lyon 3e"],
    &["Remote"],
    &["Télétravail complet"],
    &["Berlin, Germany"],
    &[],
    &["Hybrid - Bordeaux"],
    &["13008 Marseille", "Nantes"],
    &["Siège social"],
];

/// A rich import corpus: 420 lines over four sources, two of them with a
/// default country; a third of the jobs published on several sources within
/// the duplicate window, a few beyond it.
fn rich_corpus(rng: &mut Rng) -> Vec<String> {
    let sources: [(&str, Option<&str>); 4] = [
        ("welcome", Some("FR")),
        ("berlin-board", Some("DE")),
        ("apec", None),
        ("remote-feed", None),
    ];
    let first: Day = "2025-03-01".parse().unwrap();
    let mut lines = Vec::new();
    for job in 0..150 {
        let company = COMPANIES[rng.below(COMPANIES.len())];
        let title = TITLES[rng.below(TITLES.len())];
        let tags = TAGS[rng.below(TAGS.len())];
        let locations = LOCATIONS[rng.below(LOCATIONS.len())];
        let text = if rng.below(2) == 0 {
            PLAIN_TEXTS[rng.below(PLAIN_TEXTS.len())]
        } else {
            SKILL_TEXTS[rng.below(SKILL_TEXTS.len())]
        };
        let posted = first.add_days(rng.below(400) as i32);
        // 1 to 3 sources; re-publications up to 70 days later, so that some
        // fall beyond the 60-day window.
        let copies = 1 + rng.below(3);
        for copy in 0..copies {
            let (source, country) = sources[(job + copy) % sources.len()];
            let day = posted.add_days(if copy == 0 { 0 } else { rng.below(71) as i32 });
            let mut line = serde_json::json!({
                "id": format!("{source}-{job}-{copy}"),
                "source": source,
                "title": title,
                "company": company,
                "description": text,
                "location": locations,
                "first_seen": day.to_string(),
                "last_seen": day.add_days(rng.below(40) as i32).to_string(),
            });
            let map = line.as_object_mut().unwrap();
            if !tags.is_empty() {
                map.insert("tags".into(), serde_json::json!(tags));
            }
            if let Some(c) = country {
                map.insert("country".into(), c.into());
            }
            match rng.below(3) {
                0 => {}
                1 => {
                    map.insert("remote".into(), true.into());
                }
                _ => {
                    map.insert("remote".into(), false.into());
                }
            }
            if rng.below(4) != 0 {
                map.insert("posted_at".into(), day.to_string().into());
            }
            if rng.below(5) == 0 {
                map.insert("valid_through".into(), day.add_days(30).to_string().into());
            }
            lines.push(line.to_string());
        }
    }
    lines
}

fn import(store: &dyn Store, lines: &[String]) {
    let report = import_lines(
        store,
        &normalizer(),
        Cursor::new(lines.join("\n")),
        &SourceId::parse("import").unwrap(),
        |_| {},
    )
    .unwrap();
    assert_eq!(report.rejected, 0, "{:?}", report.errors);
}

/// Asserts two sets of postings are equal, showing the first that differs.
#[track_caller]
fn assert_same_postings(got: &[Posting], expected: &[Posting]) {
    assert_eq!(got.len(), expected.len(), "number of postings");
    if let Some((g, e)) = got.iter().zip(expected).find(|(g, e)| g != e) {
        panic!("posting differs:\n got      {g:?}\n expected {e:?}");
    }
}

fn postings(store: &dyn PostingStore) -> Vec<Posting> {
    let mut all = Vec::new();
    for p in store.postings() {
        let p = p.unwrap();
        all.push(p);
    }
    all.sort_by_key(|p| p.id);
    all
}

/// Every metric as an analyst exports it: `new` and `active`, daily and
/// monthly, for skills that come from tags or text, in every kind of geography.
fn trends_csv(store: &dyn CountStore) -> Vec<u8> {
    let skills: Vec<SkillId> = [
        "*",
        "kubernetes",
        "terraform",
        "postgresql",
        "rust",
        "webassembly",
        "rhcsa",
        "linux",
        "ansible",
        "python",
        "fastapi",
    ]
    .iter()
    .map(|s| SkillId::parse(s).unwrap())
    .collect();
    let mut out = Vec::new();
    for geo in ["WORLD", "FR", "FR-IDF", "FR-75", "DE", "REMOTE", "UNKNOWN"] {
        for metric in [Metric::New, Metric::Active] {
            for interval in [Interval::Day, Interval::Month] {
                let q = TrendQuery {
                    skills: skills.clone(),
                    geos: vec![GeoCode::parse(geo).unwrap()],
                    from: "2025-01-01".parse().unwrap(),
                    to: "2026-12-31".parse().unwrap(),
                    interval,
                    metric,
                };
                let series = trends::trends(store, &q).unwrap();
                write_trends_csv(&mut out, &q, &series, CsvOptions::default()).unwrap();
            }
        }
    }
    out
}

/// Store A: two bundled sources collected through the real pipeline
/// (Arbeitnow has a default country, tags and remote flags) and the rich
/// corpus imported.
async fn rich_store() -> (tempfile::TempDir, Arc<SledStore>) {
    let (dir, store) = temp_store();
    let server = FixtureServer::start(&[
        ARBEITNOW[0],
        ARBEITNOW[1],
        (
            "/api/remote-jobs?category=software-dev",
            "remotive/software-dev.json",
        ),
        ("/api/remote-jobs?category=devops", "remotive/devops.json"),
    ])
    .await;
    let ctx = context(store.clone());
    let sources = load_sources(&extractors_dir()).unwrap();
    for id in ["arbeitnow", "remotive"] {
        let source = sources.iter().find(|s| s.id.as_str() == id).unwrap();
        let options = RunOptions {
            base_url: Some(server.base.clone()),
            ..RunOptions::default()
        };
        let report = run_source(&ctx, source, &options).await;
        assert!(report.new > 0, "{report:?}");
    }
    import(store.as_ref(), &rich_corpus(&mut Rng(0x5eed_cafe)));
    (dir, store)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reindex_with_an_unchanged_taxonomy_changes_nothing() {
    let (_dir, store) = rich_store().await;
    let (before_postings, before_counts, before_csv) = (
        postings(store.as_ref()),
        store.all_counts().unwrap(),
        trends_csv(store.as_ref()),
    );
    // The corpus does what it should: skills named only by tags, and a
    // posting located only by its source's default country.
    let tag_only = before_postings
        .iter()
        .find(|p| p.tags == ["Rust", "WebAssembly"] && !p.text.contains("Rust"))
        .expect("a posting whose skills come from its tags");
    assert!(tag_only.skills.iter().any(|s| s.as_str() == "rust"));
    let arbeitnow_remote = before_postings
        .iter()
        .find(|p| p.source.as_str() == "arbeitnow" && p.locations == ["Remote"])
        .expect("Arbeitnow's remote posting");
    assert!(arbeitnow_remote
        .geos()
        .contains(&GeoCode::parse("DE").unwrap()));

    reindex(store.as_ref(), &normalizer(), &mut |_| {}).unwrap();
    store.flush().unwrap();
    assert_same_postings(&postings(store.as_ref()), &before_postings);
    assert!(store.all_counts().unwrap() == before_counts);
    assert_eq!(
        String::from_utf8(trends_csv(store.as_ref())).unwrap(),
        String::from_utf8(before_csv).unwrap()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reindex_then_compaction_changes_nothing_and_does_not_grow_the_database() {
    let (dir, store) = rich_store().await;
    let db = dir.path().join("db");
    let (before_postings, before_counts, before_csv) = (
        postings(store.as_ref()),
        store.all_counts().unwrap(),
        trends_csv(store.as_ref()),
    );
    drop(store);
    let fresh = SledStore::compact(&db, 16).unwrap();
    assert!(fresh.after <= fresh.before, "{fresh:?}");
    // What `skilltrack reindex` does, several times: rewrite everything,
    // close, compact.
    let mut sizes = Vec::new();
    for _ in 0..4 {
        let store = SledStore::open(&db, 16).unwrap();
        reindex(&store, &normalizer(), &mut |_| {}).unwrap();
        store.flush().unwrap();
        drop(store);
        let compacted = SledStore::compact(&db, 16).unwrap();
        assert!(
            compacted.after < compacted.before,
            "a reindex leaves garbage the compaction removes: {compacted:?}"
        );
        sizes.push(compacted.after);
    }
    // Half a megabyte: sled's own writes (segment headers, its snapshot)
    // move the size by a few percent from one copy to the next whatever the
    // data (497,706 / 486,947 / 513,907 / 495,295 bytes in one run against
    // 488,630 fresh): the bound is growth, not that noise.
    for size in &sizes {
        assert!(
            (*size as f64) <= fresh.after as f64 * 1.10,
            "compacted sizes {sizes:?} against {} after the import",
            fresh.after
        );
    }
    let store = SledStore::open(&db, 16).unwrap();
    assert!(!store.recovered_on_open());
    assert_same_postings(&postings(&store), &before_postings);
    assert!(store.all_counts().unwrap() == before_counts);
    assert_eq!(
        String::from_utf8(trends_csv(&store)).unwrap(),
        String::from_utf8(before_csv).unwrap()
    );
    let leftovers: Vec<_> = std::fs::read_dir(&db)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|name| name.starts_with("compacting") || name.starts_with("texts-0"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn export_postings_then_import_gives_the_same_postings_and_trends() {
    let (_dir, store) = rich_store().await;
    let mut jsonl = Vec::new();
    let mut writer = PostingsWriter::jsonl(&mut jsonl);
    for p in postings(store.as_ref()) {
        writer.write(&p).unwrap();
    }
    writer.finish().unwrap();
    let lines: Vec<String> = String::from_utf8(jsonl)
        .unwrap()
        .lines()
        .map(str::to_owned)
        .collect();

    let (_dir2, copy) = temp_store();
    import(copy.as_ref(), &lines);
    assert_same_postings(&postings(copy.as_ref()), &postings(store.as_ref()));
    assert!(copy.all_counts().unwrap() == store.all_counts().unwrap());
    assert_eq!(
        String::from_utf8(trends_csv(copy.as_ref())).unwrap(),
        String::from_utf8(trends_csv(store.as_ref())).unwrap()
    );
    // Importing the export again into the copy changes nothing either.
    import(copy.as_ref(), &lines);
    assert!(copy.all_counts().unwrap() == store.all_counts().unwrap());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn backup_then_restore_gives_the_same_postings_and_trends() {
    let (_dir, store) = rich_store().await;
    let mut file = Vec::new();
    let written = backup::write(store.as_ref(), 3, &mut file).unwrap();
    assert!(written.texts_lost.is_empty());
    let (_dir2, copy) = temp_store();
    let restored = backup::restore(copy.as_ref(), Cursor::new(file), 4 << 20, &mut |_| {}).unwrap();
    assert_eq!(restored, written.postings);
    assert_same_postings(&postings(copy.as_ref()), &postings(store.as_ref()));
    assert!(copy.all_counts().unwrap() == store.all_counts().unwrap());
    assert_eq!(
        String::from_utf8(trends_csv(copy.as_ref())).unwrap(),
        String::from_utf8(trends_csv(store.as_ref())).unwrap()
    );
    // And a reindex of the restored copy changes nothing either.
    reindex(copy.as_ref(), &normalizer(), &mut |_| {}).unwrap();
    assert_same_postings(&postings(copy.as_ref()), &postings(store.as_ref()));
}
