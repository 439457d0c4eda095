//! The OpenAPI document against the routes: real responses of every route
//! (parameter mixes and errors) validated with a JSON-Schema validator
//! (`boon`, draft 2020-12, formats asserted) against the schema the
//! document gives for their path and status; every route is documented and
//! every documented path answers, so the document cannot drift.
//!
//! A new route gets its cases with one line each in [`CASES`].

use std::collections::BTreeSet;
use std::io::Cursor;

use serde_json::Value;
use skilltrack::api;
use skilltrack::api::admin::AdminToken;
use skilltrack::api::collection::{
    Collection, ReloadError, ReloadOutcome, SourceInfo, TriggerError, TriggeredRun,
};
use skilltrack::api::edge::{route_template, ROUTE_TEMPLATES};
use skilltrack::api::AppState;
use skilltrack::domain::{PostingId, SourceId};
use skilltrack::pipeline::import_lines;
use warp::http::Response;
use warp::hyper::body::Bytes;

use crate::helpers::{normalizer, temp_store, IsolatedApp};

/// `{id}` in a case: the id of the fixture's posting "1" of source "t".
const ID: &str = "{id}";

/// GET requests (path and query) and the status each must get.
const CASES: &[(&str, u16)] = &[
    ("/healthz", 200),
    ("/metrics", 200),
    ("/api/v1/openapi.json", 200),
    ("/api/v1/skills", 200),
    ("/api/v1/geos", 200),
    ("/api/v1/geos?level=region", 200),
    ("/api/v1/geos?level=canton", 400),
    ("/api/v1/geos?levl=region", 400),
    ("/api/v1/trends?skills=python", 200),
    ("/api/v1/trends?skills=python,java&geo=FR-ARA&from=2025-01-01&to=2025-04-30&interval=month", 200),
    ("/api/v1/trends?skills=python&geo=FR-ARA&from=2025-01-01&to=2025-04-30&interval=month&smooth=2", 200),
    ("/api/v1/trends?skills=python&geo=FR-ARA&from=2025-01-01&to=2025-04-30&interval=month&index=2025-01-15", 200),
    ("/api/v1/trends?skills=python&geo=FR-ARA&from=2025-01-01&to=2025-04-30&interval=week&compare=yoy", 200),
    ("/api/v1/trends?skills=python&geo=FR&metric=active&interval=day&from=2025-01-01&to=2025-01-31", 200),
    ("/api/v1/trends?skills=python&from=2025-02-01&to=2025-01-01", 400),
    ("/api/v1/trends?skills=python&interval=fortnight", 400),
    ("/api/v1/trends?skills=python&interval=day&from=1000-01-01&to=2025-01-01", 400),
    ("/api/v1/trends", 400),
    ("/api/v1/trends?skills=pyhton", 404),
    ("/api/v1/trends?skills=python&geo=FR-XX", 404),
    ("/api/v1/trends.csv?skills=python,java&geo=FR-ARA&from=2025-01-01&to=2025-04-30&interval=month", 200),
    ("/api/v1/trends.csv?skills=python&delimiter=;&bom=true", 200),
    ("/api/v1/trends.csv?skills=python&delimiter=|", 400),
    ("/api/v1/trends.csv?skills=pyhton", 404),
    ("/api/v1/trends?skills=python,java&geo=FR,FR-ARA&from=2025-01-01&to=2025-04-30&interval=month", 200),
    ("/api/v1/trends?skills=python&geo=FR,FR-XX", 404),
    ("/api/v1/trends?skills=python&wide=true", 400),
    ("/api/v1/trends.csv?skills=python,java&geo=FR-ARA&interval=month&wide=true", 200),
    ("/api/v1/trends.csv?skills=python&geo=FR,FR-ARA&interval=month&wide=true&value=count", 200),
    ("/api/v1/trends.csv?skills=python&geo=FR-ARA&interval=week&smooth=4&compare=yoy&index=2025-01-15&from=2025-01-01&to=2025-04-30", 200),
    ("/api/v1/trends.csv?skills=python&wide=true&value=median", 400),
    ("/api/v1/postings/{id}", 200),
    ("/api/v1/postings/0000000000000000", 404),
    ("/api/v1/postings/not-an-id", 400),
    ("/api/v1/top?geo=FR-ARA&from=2025-01-01&to=2025-12-31", 200),
    ("/api/v1/top?geo=FR&from=2025-01-01&to=2025-12-31&sort=growth&metric=active", 200),
    ("/api/v1/top?category=certification&limit=5", 200),
    ("/api/v1/top?from=0001-01-01&to=0001-01-31", 200),
    ("/api/v1/top?sort=hype", 400),
    ("/api/v1/top?limit=0", 400),
    ("/api/v1/top?category=certificaton", 400),
    ("/api/v1/top?geo=FR-XX", 404),
    ("/api/v1/top.csv?geo=FR-ARA&from=2025-01-01&to=2025-12-31", 200),
    ("/api/v1/top.csv?delimiter=;&decimal=comma", 200),
    ("/api/v1/top.csv?limit=1000", 400),
    ("/api/v1/postings?skill=python&geo=FR-ARA&from=2025-01-01&to=2025-12-31", 200),
    ("/api/v1/postings?skill=python&geo=FR-ARA&from=2024-01-01&to=2025-12-31&limit=1", 200),
    ("/api/v1/postings?geo=FR&metric=active&to=2025-01-20", 200),
    ("/api/v1/postings?skill=python&source=t&from=2025-01-01&to=2025-12-31", 200),
    ("/api/v1/postings?skill=python&limit=501", 400),
    ("/api/v1/postings?skill=python&cursor=zz", 400),
    ("/api/v1/postings?skill=pyhton", 404),
    ("/api/v1/postings.csv?skill=python&geo=FR-ARA&from=2024-01-01&to=2025-12-31", 200),
    ("/api/v1/postings.csv?skill=python&delimiter=;&bom=true", 200),
    ("/api/v1/postings.csv?skill=python&geo=FR-XX", 404),
    ("/api/v1/sources", 200),
    ("/api/v1/sources/t/runs", 200),
    ("/api/v1/sources/t/runs?limit=1", 200),
    ("/api/v1/sources/t/runs?limit=0", 400),
    ("/api/v1/sources/t/runs?limit=101", 400),
    ("/api/v1/sources/t/runs?limt=1", 400),
    ("/api/v1/sources/u/runs", 404),
    ("/", 200),
    ("/assets/app.js", 200),
    ("/assets/style.css", 200),
    ("/assets/france.json", 200),
    ("/assets/nothing.js", 404),
];

/// The routes over a store holding a few postings in Lyon (FR-ARA), posted
/// on days of 2024 and 2025.
fn fixture() -> (
    tempfile::TempDir,
    impl warp::Filter<Extract = (impl warp::Reply,), Error = std::convert::Infallible> + Clone,
) {
    let (dir, store) = temp_store();
    let days = [
        "2024-01-10",
        "2025-01-15",
        "2025-01-16",
        "2025-02-10",
        "2025-03-03",
    ];
    let lines: Vec<String> = (1..=20)
        .map(|i| {
            let title = if i % 3 == 0 {
                "Développeur Java"
            } else {
                "Développeur Python"
            };
            let day = days[i % days.len()];
            serde_json::json!({
                "id": i.to_string(), "title": title, "company": format!("Company {i}"),
                "location": "Lyon", "posted_at": day, "first_seen": day, "last_seen": day,
                "url": format!("https://jobs.example/{i}"),
            })
            .to_string()
        })
        .collect();
    import_lines(
        store.as_ref(),
        &normalizer(),
        Cursor::new(lines.join("\n")),
        &SourceId::parse("t").unwrap(),
        |_| {},
    )
    .unwrap();
    (dir, api::routes(IsolatedApp::state(store)))
}

fn posting_id() -> String {
    PostingId::new(&SourceId::parse("t").unwrap(), "1").to_string()
}

/// `/a/b` as a JSON pointer token (`~1a~1b`).
fn pointer_token(s: &str) -> String {
    s.replace('~', "~0").replace('/', "~1")
}

/// The response object the document gives for `template` and `status`
/// (its `$ref` followed).
fn documented_response<'a>(doc: &'a Value, template: &str, status: u16) -> Option<&'a Value> {
    let pointer = format!("/paths/{}/get/responses/{status}", pointer_token(template));
    let response = doc.pointer(&pointer)?;
    match response.get("$ref").and_then(Value::as_str) {
        Some(r) => doc.pointer(r.strip_prefix('#')?),
        None => Some(response),
    }
}

/// Validates `instance` against `schema` (a schema of the document, whose
/// `$ref`s point into `#/components/schemas`).
fn validate(doc: &Value, schema: &Value, instance: &Value) -> Result<(), String> {
    let rewrite = |v: &Value| -> Value {
        let text = v.to_string().replace("#/components/schemas/", "#/$defs/");
        serde_json::from_str(&text).unwrap()
    };
    let wrapper = serde_json::json!({
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$defs": rewrite(&doc["components"]["schemas"]),
        "allOf": [rewrite(schema)],
    });
    let mut schemas = boon::Schemas::new();
    let mut compiler = boon::Compiler::new();
    compiler.set_default_draft(boon::Draft::V2020_12);
    compiler.enable_format_assertions();
    let url = "http://skilltrack.test/case.json";
    compiler
        .add_resource(url, wrapper)
        .map_err(|e| e.to_string())?;
    let index = compiler
        .compile(url, &mut schemas)
        .map_err(|e| format!("the document's schema does not compile: {e:#}"))?;
    schemas
        .validate(instance, index)
        .map_err(|e| format!("{e:#}"))
}

/// Checks one response against the document: its status is documented for
/// the path's template, its content type is the documented one, and a JSON
/// body validates against the documented schema.
fn check(doc: &Value, request: &str, response: &Response<Bytes>) -> Result<(), String> {
    let path = request.split('?').next().unwrap_or(request);
    let template = route_template(path);
    let status = response.status().as_u16();
    let documented = documented_response(doc, template, status)
        .ok_or_else(|| format!("{request}: status {status} is not documented for {template}"))?;
    let Some(content) = documented.get("content").and_then(Value::as_object) else {
        return if response.body().is_empty() {
            Ok(())
        } else {
            Err(format!(
                "{request}: {status} has a body the document does not describe"
            ))
        };
    };
    let content_type = response
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    let media = content.get(content_type).ok_or_else(|| {
        format!(
            "{request}: content type {content_type:?} not among the documented {:?}",
            content.keys().collect::<Vec<_>>()
        )
    })?;
    if content_type == "application/json" {
        let body: Value = serde_json::from_slice(response.body())
            .map_err(|e| format!("{request}: body is not JSON: {e}"))?;
        validate(doc, &media["schema"], &body).map_err(|e| format!("{request}: {e}\n{body}"))?;
    }
    Ok(())
}

fn document() -> Value {
    api::openapi::document().expect("the document assembles")
}

#[tokio::test]
async fn real_responses_of_every_route_match_the_document() {
    let doc = document();
    let (_dir, routes) = fixture();
    let mut failures = Vec::new();
    let mut covered = BTreeSet::new();
    for (request, expected) in CASES {
        let request = request.replace(ID, &posting_id());
        let r = warp::test::request().path(&request).reply(&routes).await;
        if r.status().as_u16() != *expected {
            failures.push(format!(
                "{request}: status {} instead of {expected}: {}",
                r.status(),
                String::from_utf8_lossy(r.body())
            ));
            continue;
        }
        if let Err(e) = check(&doc, &request, &r) {
            failures.push(e);
        }
        if *expected == 200 {
            covered.insert(route_template(request.split('?').next().unwrap()));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
    let untested: Vec<_> = ROUTE_TEMPLATES
        .iter()
        .filter(|t| !covered.contains(**t))
        .collect();
    assert!(untested.is_empty(), "no 200 case for {untested:?}");
}

#[tokio::test]
async fn errors_of_the_edge_match_the_document_on_every_route() {
    let doc = document();
    let (_dir, routes) = fixture();
    let id = posting_id();
    let mut failures = Vec::new();
    for template in ROUTE_TEMPLATES {
        let path = template.replace(ID, &id);
        let long = format!("{path}?skills={}", "x".repeat(9000));
        let requests = [
            (warp::test::request().method("POST").path(&path), 405),
            (warp::test::request().method("DELETE").path(&path), 405),
            (
                warp::test::request()
                    .path(&path)
                    .header("content-length", "5000")
                    .body(vec![b'x'; 5000]),
                413,
            ),
            (warp::test::request().path(&long), 414),
        ];
        for (request, expected) in requests {
            let r = request.reply(&routes).await;
            if r.status().as_u16() != expected {
                failures.push(format!("{path}: {} instead of {expected}", r.status()));
            } else if let Err(e) = check(&doc, &path, &r) {
                failures.push(e);
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

#[tokio::test]
async fn every_route_is_documented_and_every_documented_path_answers() {
    let doc = document();
    let documented: BTreeSet<&str> = doc["paths"]
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    let routes_known: BTreeSet<&str> = ROUTE_TEMPLATES
        .iter()
        .chain(api::admin::TEMPLATES)
        .copied()
        .collect();
    assert_eq!(
        documented, routes_known,
        "the document's paths and the routes' templates"
    );
    let (_dir, routes) = fixture();
    for template in ROUTE_TEMPLATES {
        let path = template.replace(ID, &posting_id());
        let r = warp::test::request().path(&path).reply(&routes).await;
        let body = String::from_utf8_lossy(r.body());
        assert!(
            !body.contains("no such route"),
            "{template} is documented but no route answers it: {body}"
        );
        // Every operation documents its GET with an id and a 200.
        let op = &doc["paths"][*template]["get"];
        assert!(op["operationId"].is_string(), "{template}");
        assert!(op["responses"]["200"].is_object(), "{template}");
    }
    // A path that is not documented gets the documented 404 shape anyway.
    let r = warp::test::request()
        .path("/api/v1/nothing")
        .reply(&routes)
        .await;
    assert_eq!(r.status(), 404);
    let body: Value = serde_json::from_slice(r.body()).unwrap();
    let error_schema = serde_json::json!({"$ref": "#/components/schemas/Error"});
    validate(&doc, &error_schema, &body).unwrap();
}

/// The parameters an operation documents, by name (`$ref`s resolved).
fn documented_parameters(doc: &Value, template: &str) -> BTreeSet<String> {
    let params = doc["paths"][template]["get"]["parameters"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    params
        .iter()
        .map(|p| match p["$ref"].as_str() {
            Some(r) => doc
                .pointer(r.trim_start_matches('#'))
                .unwrap_or_else(|| panic!("{template}: dangling {r}"))
                .clone(),
            None => p.clone(),
        })
        .filter(|p| p["in"] == "query")
        .map(|p| p["name"].as_str().unwrap_or_default().to_owned())
        .collect()
}

#[tokio::test]
async fn every_route_documents_exactly_the_query_parameters_it_takes() {
    // A route refuses a parameter it does not know and lists those it does
    // ("unknown parameter (known: a, b)"): that list is the handler's own,
    // so comparing it with the document catches a parameter added to one
    // and not the other.
    let doc = document();
    let (_dir, routes) = fixture();
    let mut failures = Vec::new();
    for template in ROUTE_TEMPLATES {
        let path = template.replace(ID, &posting_id());
        let r = warp::test::request()
            .path(&format!("{path}?zz_not_a_parameter=1"))
            .reply(&routes)
            .await;
        let body = String::from_utf8_lossy(r.body()).into_owned();
        let taken: BTreeSet<String> = match body.split("(known: ").nth(1) {
            Some(rest) => rest
                .split(')')
                .next()
                .unwrap_or_default()
                .split(", ")
                .map(str::to_owned)
                .collect(),
            // A route without parameters ignores the query string.
            None => BTreeSet::new(),
        };
        let documented = documented_parameters(&doc, template);
        if taken != documented {
            failures.push(format!(
                "{template}: the route takes {taken:?}, the document lists {documented:?}"
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn the_validator_catches_a_body_that_drifted() {
    // The check must be able to fail: an extra field, a missing one, a
    // wrong type, a bad date are each refused.
    let doc = document();
    let point = serde_json::json!({"$ref": "#/components/schemas/TrendPoint"});
    let good = serde_json::json!({"date": "2025-01-01", "count": 1, "total": 4, "share": 0.25,
        "low": 0.04, "high": 0.7, "low_support": true});
    validate(&doc, &point, &good).unwrap();
    let mut extra = good.clone();
    extra["shares"] = 0.25.into();
    let mut missing = good.clone();
    missing.as_object_mut().unwrap().remove("low");
    let mut wrong = good.clone();
    wrong["low_support"] = "yes".into();
    let mut bad_date = good.clone();
    bad_date["date"] = "2025-02-30".into();
    for bad in [extra, missing, wrong, bad_date] {
        assert!(validate(&doc, &point, &bad).is_err(), "{bad}");
    }
}

/// A scheduler stand-in: source `t` starts, `busy` is running, anything
/// else is unknown; reload succeeds or refuses as told.
struct FakeCollection {
    reload_ok: bool,
}

impl Collection for FakeCollection {
    fn sources(&self) -> Vec<SourceInfo> {
        ["busy", "t"]
            .into_iter()
            .map(|id| SourceInfo {
                id: id.into(),
                name: id.into(),
                kind: "json".into(),
                schedule: None,
                next_run: None,
                enabled: true,
                disabled_reason: None,
                running: id == "busy",
            })
            .collect()
    }

    fn trigger(&self, id: &str) -> Result<TriggeredRun, TriggerError> {
        match id {
            "t" => Ok(TriggeredRun {
                run_id: "2026-12-01T10:00:00.123456789Z".into(),
                source: "t".into(),
            }),
            "busy" => Err(TriggerError::AlreadyRunning(id.into())),
            _ => Err(TriggerError::UnknownSource(id.into())),
        }
    }

    fn reload(&self) -> Result<ReloadOutcome, ReloadError> {
        if self.reload_ok {
            Ok(ReloadOutcome {
                sources: 2,
                added: vec!["t".into()],
                ..ReloadOutcome::default()
            })
        } else {
            Err(ReloadError {
                problems: vec!["extractors/x.toml: unknown key `nmae`".into()],
            })
        }
    }
}

/// The admin routes (POST only) against the document: every status they
/// answer is documented under `post`, with its body's schema.
#[tokio::test]
async fn admin_routes_match_the_document() {
    let doc = document();
    let (_dir, store) = temp_store();
    let token = AdminToken::new("t0ken");
    let state = |reload_ok: bool| {
        IsolatedApp::state(store.clone())
            .with_collection(std::sync::Arc::new(FakeCollection { reload_ok }))
            .with_admin_token(token.clone())
    };
    let bearer = "Bearer t0ken";
    let cases: Vec<(AppState, &str, &str, Option<&str>, u16)> = vec![
        (
            state(true),
            "POST",
            "/api/v1/sources/t/run",
            Some(bearer),
            202,
        ),
        (
            state(true),
            "POST",
            "/api/v1/sources/busy/run",
            Some(bearer),
            409,
        ),
        (
            state(true),
            "POST",
            "/api/v1/sources/nope/run",
            Some(bearer),
            404,
        ),
        (
            state(true),
            "POST",
            "/api/v1/sources/t/run",
            Some("Bearer no"),
            401,
        ),
        (state(true), "POST", "/api/v1/sources/t/run", None, 401),
        (
            IsolatedApp::state(store.clone()),
            "POST",
            "/api/v1/sources/t/run",
            Some(bearer),
            403,
        ),
        (
            IsolatedApp::state(store.clone()).with_admin_token(token.clone()),
            "POST",
            "/api/v1/sources/t/run",
            Some(bearer),
            503,
        ),
        (
            state(true),
            "GET",
            "/api/v1/sources/t/run",
            Some(bearer),
            405,
        ),
        (state(true), "POST", "/api/v1/reload", Some(bearer), 200),
        (state(false), "POST", "/api/v1/reload", Some(bearer), 422),
        (state(true), "POST", "/api/v1/reload", None, 401),
        (
            IsolatedApp::state(store.clone()),
            "POST",
            "/api/v1/reload",
            Some(bearer),
            403,
        ),
        (state(true), "DELETE", "/api/v1/reload", Some(bearer), 405),
    ];
    let mut failures = Vec::new();
    for (state, method, path, auth, expected) in cases {
        let mut request = warp::test::request().method(method).path(path);
        if let Some(a) = auth {
            request = request.header("authorization", a);
        }
        let r = request.reply(&api::routes(state)).await;
        let status = r.status().as_u16();
        if status != expected {
            failures.push(format!("{method} {path}: {status} instead of {expected}"));
            continue;
        }
        let template = route_template(path);
        let pointer = format!("/paths/{}/post/responses/{status}", pointer_token(template));
        let Some(mut documented) = doc.pointer(&pointer) else {
            failures.push(format!("{method} {path}: {status} is not documented"));
            continue;
        };
        if let Some(r) = documented.get("$ref").and_then(Value::as_str) {
            documented = doc.pointer(r.trim_start_matches('#')).unwrap();
        }
        let body: Value = serde_json::from_slice(r.body()).unwrap();
        if let Err(e) = validate(
            &doc,
            &documented["content"]["application/json"]["schema"],
            &body,
        ) {
            failures.push(format!("{method} {path}: {e}\n{body}"));
        }
        for header in documented["headers"]
            .as_object()
            .into_iter()
            .flat_map(|h| h.keys())
        {
            if !r
                .headers()
                .contains_key(header.to_ascii_lowercase().as_str())
            {
                failures.push(format!("{method} {path}: no {header} header"));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
    // The scheme the operations name is defined.
    assert_eq!(
        doc["components"]["securitySchemes"]["adminToken"]["scheme"],
        "bearer"
    );
}
