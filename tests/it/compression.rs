//! gzip for the clients that accept it: the cached routes (trends, top, a
//! postings page) answer `Content-Encoding: gzip` to `Accept-Encoding: gzip`
//! with bodies that unpack to the plain bytes, tag each representation, keep
//! the compressed copy in the cache, and send small bodies plain.

use std::io::Read as _;

use skilltrack::api::{self, cache::ResponseCache, AppState};
use skilltrack::domain::SourceId;
use skilltrack::pipeline::import_lines;
use warp::http::Response;
use warp::hyper::body::Bytes;

use crate::helpers::{normalizer, temp_store, IsolatedApp};

/// Postings spread over 2023–2025 in three cities, asking for one or two of
/// five skills each.
fn postings() -> String {
    let cities = ["Paris", "Lyon", "Bordeaux"];
    let asks = [
        ("Développeur Python", "Vous maîtrisez Python et PostgreSQL."),
        ("Ingénieur Rust", "Rust en production, Linux au quotidien."),
        (
            "Développeur Java",
            "Java 21, Spring Boot, déploiement sur Kubernetes.",
        ),
        (
            "Administrateur Linux",
            "Linux (RHEL, Debian), scripts Python.",
        ),
        ("SRE Kubernetes", "Kubernetes, Helm, Linux, astreintes."),
    ];
    let mut lines = String::new();
    for i in 0..600_u32 {
        let (title, text) = asks[i as usize % asks.len()];
        let day = time::Date::from_calendar_date(2023, time::Month::January, 1).unwrap()
            + time::Duration::days(i64::from(i * 37 % 1_090));
        let line = serde_json::json!({
            "id": format!("gz-{i}"), "title": title, "company": format!("Société {}", i % 40),
            "description": format!("{text} CDI, télétravail partiel. Poste n° {i}."),
            "location": cities[i as usize % cities.len()], "posted_at": day.to_string(),
        });
        lines.push_str(&line.to_string());
        lines.push('\n');
    }
    lines
}

async fn get(
    routes: &(impl warp::Filter<Extract = (impl warp::Reply,), Error = std::convert::Infallible>
          + Clone
          + 'static),
    path: &str,
    headers: &[(&str, &str)],
) -> Response<Bytes> {
    let mut request = warp::test::request().path(path);
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    request.reply(routes).await
}

fn gunzip(body: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    flate2::read::GzDecoder::new(body)
        .read_to_end(&mut out)
        .expect("a gzip body");
    out
}

fn header<'a>(r: &'a Response<Bytes>, name: &str) -> Option<&'a str> {
    r.headers().get(name).map(|v| v.to_str().unwrap())
}

const GZIP: (&str, &str) = ("accept-encoding", "gzip, deflate, br, zstd");

const WIDE: &str = "/api/v1/trends?skills=python,rust,java,linux,kubernetes&geo=FR&from=2023-01-01&to=2025-12-29&interval=day";

#[tokio::test]
async fn cached_answers_are_gzipped_for_the_clients_that_accept_it() {
    let (_dir, store) = temp_store();
    import_lines(
        store.as_ref(),
        &normalizer(),
        std::io::Cursor::new(postings()),
        &SourceId::parse("gz").unwrap(),
        |_| {},
    )
    .unwrap();
    let cache = ResponseCache::default();
    let routes = api::routes(AppState {
        cache: cache.clone(),
        ..IsolatedApp::state(store.clone())
    });

    // The wide answer: plain first (a miss), then gzip (a hit whose copy is
    // made then), then gzip again (the copy kept).
    let plain = get(&routes, WIDE, &[]).await;
    assert_eq!(plain.status(), 200);
    assert_eq!(header(&plain, "content-encoding"), None);
    assert_eq!(header(&plain, "vary"), Some("accept-encoding"));
    let plain_tag = header(&plain, "etag").unwrap().to_owned();
    let before = cache.stats();
    let zipped = get(&routes, WIDE, &[GZIP]).await;
    assert_eq!(zipped.status(), 200);
    assert_eq!(header(&zipped, "content-encoding"), Some("gzip"));
    assert_eq!(header(&zipped, "content-type"), Some("application/json"));
    assert_eq!(header(&zipped, "vary"), Some("accept-encoding"));
    assert_eq!(gunzip(zipped.body()), plain.body().to_vec());
    assert!(
        zipped.body().len() * 8 < plain.body().len(),
        "{} of {} bytes",
        zipped.body().len(),
        plain.body().len()
    );
    let gz_tag = header(&zipped, "etag").unwrap().to_owned();
    assert_eq!(
        gz_tag,
        format!("{}-gz\"", &plain_tag[..plain_tag.len() - 1])
    );
    let after = cache.stats();
    assert_eq!(after.hits, before.hits + 1);
    assert_eq!(after.entries, before.entries);
    assert_eq!(after.bytes, before.bytes + zipped.body().len());
    let again = get(&routes, WIDE, &[GZIP]).await;
    assert_eq!(again.body(), zipped.body());
    assert_eq!(cache.stats().bytes, after.bytes, "the copy was kept once");

    // Either tag revalidates; the 304 repeats the one the client holds.
    for (held, accept) in [
        (&gz_tag, GZIP),
        (&plain_tag, ("accept-encoding", "identity")),
    ] {
        let r = get(&routes, WIDE, &[accept, ("if-none-match", held)]).await;
        assert_eq!(r.status(), 304, "{held}");
        assert_eq!(header(&r, "etag"), Some(held.as_str()));
        assert!(r.body().is_empty());
    }

    // gzip first, on a cold cache (the miss compresses), then plain: the
    // CSV unpacks to the same bytes.
    let csv = WIDE.replace("/trends?", "/trends.csv?");
    let zipped = get(&routes, &csv, &[("accept-encoding", "gzip")]).await;
    assert_eq!(header(&zipped, "content-encoding"), Some("gzip"));
    assert!(header(&zipped, "content-disposition").is_some());
    let plain = get(&routes, &csv, &[("accept-encoding", "gzip;q=0, identity")]).await;
    assert_eq!(header(&plain, "content-encoding"), None);
    assert_eq!(gunzip(zipped.body()), plain.body().to_vec());
    assert!(plain.body().starts_with(b"date,"));

    // A small answer is sent plain, with its plain tag, whatever the client
    // takes.
    let small =
        "/api/v1/trends?skills=rust&geo=FR-IDF&from=2025-01-01&to=2025-03-31&interval=month";
    for _ in 0..2 {
        let r = get(&routes, small, &[GZIP]).await;
        assert_eq!(r.status(), 200);
        assert!(
            r.body().len() < api::coding::MIN_GZIP_BYTES,
            "{}",
            r.body().len()
        );
        assert_eq!(header(&r, "content-encoding"), None);
        assert!(!header(&r, "etag").unwrap().ends_with("-gz\""));
    }

    // The other cached routes: the skills ranking and a postings page.
    for path in [
        "/api/v1/top?geo=FR&from=2023-01-01&to=2025-12-31&limit=50",
        "/api/v1/top.csv?geo=FR&from=2023-01-01&to=2025-12-31&limit=50",
        "/api/v1/postings?skill=linux&geo=FR&from=2023-01-01&to=2025-12-31",
    ] {
        let plain = get(&routes, path, &[]).await;
        assert_eq!(plain.status(), 200, "{path}");
        assert!(plain.body().len() >= api::coding::MIN_GZIP_BYTES, "{path}");
        let zipped = get(&routes, path, &[GZIP]).await;
        assert_eq!(header(&zipped, "content-encoding"), Some("gzip"), "{path}");
        assert_eq!(gunzip(zipped.body()), plain.body().to_vec(), "{path}");
        assert_eq!(
            header(&zipped, "content-type"),
            header(&plain, "content-type"),
            "{path}"
        );
    }
}

/// Over TCP, a client that decompresses (reqwest asks for gzip) reads the
/// same bytes as one that does not.
#[tokio::test]
async fn a_decompressing_client_reads_the_same_answer_over_the_network() {
    let (_dir, store) = temp_store();
    import_lines(
        store.as_ref(),
        &normalizer(),
        std::io::Cursor::new(postings()),
        &SourceId::parse("gz").unwrap(),
        |_| {},
    )
    .unwrap();
    let app = IsolatedApp::spawn(
        IsolatedApp::state(store.clone()),
        api::ServerLimits::default(),
    );
    let gzip_client = reqwest::Client::new();
    let plain_client = reqwest::Client::builder().no_gzip().build().unwrap();
    for _ in 0..2 {
        let zipped = gzip_client.get(app.url(WIDE)).send().await.unwrap();
        assert_eq!(zipped.status(), 200);
        let etag = zipped.headers()["etag"].to_str().unwrap().to_owned();
        assert!(etag.ends_with("-gz\""), "{etag}");
        let zipped = zipped.bytes().await.unwrap();
        let plain = plain_client.get(app.url(WIDE)).send().await.unwrap();
        assert!(plain.headers().get("content-encoding").is_none());
        let plain = plain.bytes().await.unwrap();
        assert_eq!(zipped, plain);
        let body: serde_json::Value = serde_json::from_slice(&plain).unwrap();
        assert_eq!(body["series"].as_array().unwrap().len(), 5);
    }
    app.stop().await;
}
