//! The dashboard's routes: `/` serves the page, `/assets/{name}` its files
//! with their types, strong ETags and revalidation (`304`), an unknown asset
//! is a JSON 404, HEAD answers like GET without a body. The page's behaviour
//! in a browser is `tests/browser/`'s.

use skilltrack::api;
use skilltrack::api::dashboard::ASSETS;
use warp::http::Response;
use warp::hyper::body::Bytes;

use crate::helpers::{temp_store, IsolatedApp, TestApp};

async fn get(path: &str, if_none_match: Option<&str>) -> Response<Bytes> {
    let (_dir, store) = temp_store();
    let routes = api::routes(IsolatedApp::state(store));
    let mut request = warp::test::request().path(path);
    if let Some(tag) = if_none_match {
        request = request.header("if-none-match", tag);
    }
    request.reply(&routes).await
}

fn header<'a>(r: &'a Response<Bytes>, name: &str) -> &'a str {
    r.headers()
        .get(name)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
}

#[tokio::test]
async fn the_page_is_html_that_loads_its_module_and_style() {
    let r = get("/", None).await;
    assert_eq!(r.status(), 200);
    assert_eq!(header(&r, "content-type"), "text/html; charset=utf-8");
    assert_eq!(header(&r, "cache-control"), "no-cache");
    assert!(header(&r, "content-security-policy").contains("default-src 'self'"));
    let page = String::from_utf8_lossy(r.body());
    assert!(page.starts_with("<!doctype html>"));
    assert!(page.contains(r#"<script type="module" src="/assets/app.js">"#));
    assert!(page.contains(r#"href="/assets/style.css""#));
}

#[tokio::test]
async fn assets_have_their_types_and_strong_etags() {
    for (name, content_type) in [
        ("app.js", "text/javascript; charset=utf-8"),
        ("chart.js", "text/javascript; charset=utf-8"),
        ("map.js", "text/javascript; charset=utf-8"),
        ("style.css", "text/css; charset=utf-8"),
        ("france.json", "application/json"),
    ] {
        let r = get(&format!("/assets/{name}"), None).await;
        assert_eq!(r.status(), 200, "{name}");
        assert_eq!(header(&r, "content-type"), content_type, "{name}");
        assert_eq!(header(&r, "cache-control"), "no-cache", "{name}");
        assert_eq!(header(&r, "x-content-type-options"), "nosniff", "{name}");
        let tag = header(&r, "etag");
        assert!(
            tag.len() == 18 && tag.starts_with('"') && tag.ends_with('"'),
            "{name}: {tag}"
        );
        let asset = ASSETS.iter().find(|a| a.name == name).unwrap();
        assert_eq!(r.body().as_ref(), asset.body, "{name}");
    }
    // Each file its own tag.
    let a = get("/assets/app.js", None).await;
    let b = get("/assets/map.js", None).await;
    assert_ne!(header(&a, "etag"), header(&b, "etag"));
}

#[tokio::test]
async fn a_known_tag_gets_304_without_a_body_and_a_stale_one_the_file() {
    for path in ["/", "/assets/app.js", "/assets/france.json"] {
        let first = get(path, None).await;
        let tag = header(&first, "etag").to_owned();
        let again = get(path, Some(&tag)).await;
        assert_eq!(again.status(), 304, "{path}");
        assert!(again.body().is_empty(), "{path}");
        assert_eq!(header(&again, "etag"), tag, "{path}");
        let weak = get(path, Some(&format!("\"x\", W/{tag}"))).await;
        assert_eq!(weak.status(), 304, "{path}: a list with the weak form");
        let stale = get(path, Some("\"0000000000000000\"")).await;
        assert_eq!(stale.status(), 200, "{path}");
        assert_eq!(stale.body(), first.body(), "{path}");
    }
}

#[tokio::test]
async fn a_client_that_takes_gzip_gets_the_files_compressed_under_their_own_tags() {
    use std::io::Read as _;
    let (_dir, store) = temp_store();
    let routes = api::routes(IsolatedApp::state(store));
    let paths =
        std::iter::once("/".to_owned()).chain(ASSETS.iter().map(|a| format!("/assets/{}", a.name)));
    for path in paths {
        let plain = warp::test::request().path(&path).reply(&routes).await;
        let zipped = warp::test::request()
            .path(&path)
            .header("accept-encoding", "gzip, deflate, br")
            .reply(&routes)
            .await;
        assert_eq!(header(&plain, "content-encoding"), "", "{path}");
        assert_eq!(header(&zipped, "vary"), "accept-encoding", "{path}");
        if plain.body().len() < api::coding::MIN_GZIP_BYTES {
            // A file this short (api.js) is sent as it is.
            assert_eq!(header(&zipped, "content-encoding"), "", "{path}");
            assert_eq!(zipped.body(), plain.body(), "{path}");
            assert_eq!(header(&zipped, "etag"), header(&plain, "etag"), "{path}");
            continue;
        }
        assert_eq!(header(&zipped, "content-encoding"), "gzip", "{path}");
        assert_eq!(header(&zipped, "vary"), "accept-encoding", "{path}");
        assert_eq!(
            header(&zipped, "content-type"),
            header(&plain, "content-type")
        );
        assert_eq!(header(&zipped, "cache-control"), "no-cache", "{path}");
        let mut unpacked = Vec::new();
        flate2::read::GzDecoder::new(&zipped.body()[..])
            .read_to_end(&mut unpacked)
            .unwrap();
        assert_eq!(unpacked, plain.body().to_vec(), "{path}");
        assert!(zipped.body().len() < plain.body().len(), "{path}");
        let tag = header(&zipped, "etag").to_owned();
        assert_eq!(
            tag,
            format!("\"{}-gz\"", header(&plain, "etag").trim_matches('"')),
            "{path}"
        );
        let again = warp::test::request()
            .path(&path)
            .header("accept-encoding", "gzip")
            .header("if-none-match", &tag)
            .reply(&routes)
            .await;
        assert_eq!(again.status(), 304, "{path}");
        assert_eq!(header(&again, "etag"), tag, "{path}");
    }
}

#[tokio::test]
async fn an_unknown_asset_is_a_json_404() {
    for path in [
        "/assets/nothing.js",
        "/assets/../Cargo.toml",
        "/assets/%2e%2e%2fCargo.toml",
        "/assets/",
        "/assets/app.js/x",
        "/index.html",
    ] {
        let r = get(path, None).await;
        assert_eq!(r.status(), 404, "{path}");
        assert_eq!(header(&r, "content-type"), "application/json", "{path}");
        let body: serde_json::Value = serde_json::from_slice(r.body()).unwrap();
        assert_eq!(body["error"]["code"], "not_found", "{path}");
    }
}

#[tokio::test]
async fn head_answers_like_get_without_a_body_and_other_methods_get_405() {
    let (_dir, store) = temp_store();
    let app = TestApp::spawn(store).await;
    let client = reqwest::Client::new();
    for path in [
        "/",
        "/assets/app.js",
        "/assets/style.css",
        "/assets/nothing.js",
    ] {
        let url = format!("http://{}{path}", app.addr);
        let get = client.get(&url).send().await.unwrap();
        let head = client.head(&url).send().await.unwrap();
        assert_eq!(head.status(), get.status(), "{path}");
        for name in ["content-type", "etag", "cache-control", "content-length"] {
            assert_eq!(
                head.headers().get(name),
                get.headers().get(name),
                "{path} {name}"
            );
        }
        assert_eq!(head.bytes().await.unwrap().len(), 0, "{path}");
        assert!(!get.bytes().await.unwrap().is_empty(), "{path}");
    }
    let r = client
        .post(format!("http://{}/", app.addr))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 405);
    assert_eq!(r.headers()["allow"], "GET, HEAD");
    app.stop().await;
}

#[tokio::test]
async fn the_skills_carry_their_aliases_for_the_search_box() {
    let r = get("/api/v1/skills", None).await;
    let body: serde_json::Value = serde_json::from_slice(r.body()).unwrap();
    let postgres = body["skills"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["id"] == "postgresql")
        .unwrap();
    let aliases: Vec<&str> = postgres["aliases"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|a| a.as_str())
        .collect();
    assert!(aliases.contains(&"postgres"), "{aliases:?}");
}
