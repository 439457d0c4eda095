//! `GET /api/v1/openapi.json`: the OpenAPI 3.1 document of every route,
//! assembled once from `openapi/base.json` (info, servers and the shared
//! components: the `Error` schema, the error responses, the common
//! parameters) and one fragment per group of routes ([`FRAGMENTS`]).
//!
//! A fragment is `{"paths": {...}, "components": {"schemas": {...},
//! "parameters": {...}, "responses": {...}}}`; a path or component defined
//! twice is an error ([`OpenApiError::Duplicate`]), caught by a unit test.
//! `tests/it/openapi.rs` validates real responses against the document.

use serde_json::{Map, Value};
use warp::http::{header, HeaderValue, Response, StatusCode};
use warp::hyper::body::Bytes;

use super::ApiError;

/// The base document.
const BASE: &str = include_str!("openapi/base.json");

/// The fragments merged into `openapi/base.json`, by file name. A new group of routes
/// adds its file here.
pub const FRAGMENTS: &[(&str, &str)] = &[
    ("ops.json", include_str!("openapi/ops.json")),
    ("catalog.json", include_str!("openapi/catalog.json")),
    ("trends.json", include_str!("openapi/trends.json")),
    ("posting.json", include_str!("openapi/posting.json")),
    ("top.json", include_str!("openapi/top.json")),
    ("postings.json", include_str!("openapi/postings.json")),
    ("sources.json", include_str!("openapi/sources.json")),
    ("dashboard.json", include_str!("openapi/dashboard.json")),
    ("admin.json", include_str!("openapi/admin.json")),
];

/// The sections of `components` a fragment may add to.
const COMPONENT_KINDS: [&str; 4] = ["schemas", "parameters", "responses", "securitySchemes"];

/// Why the document cannot be assembled (a bug in the bundled files).
#[derive(Debug, thiserror::Error)]
pub enum OpenApiError {
    /// A file is not JSON.
    #[error("{file}: not JSON")]
    Json {
        /// The file.
        file: String,
        /// The parser's error.
        #[source]
        source: serde_json::Error,
    },
    /// A file is not shaped like a fragment.
    #[error("{file}: {why}")]
    Shape {
        /// The file.
        file: String,
        /// What is wrong.
        why: String,
    },
    /// A path or component already defined by the base or another fragment.
    #[error("{file}: {kind} {name:?} is already defined")]
    Duplicate {
        /// The file defining it again.
        file: String,
        /// `path`, or the component kind (`schemas`...).
        kind: String,
        /// The path or component name.
        name: String,
    },
}

/// The whole document: `openapi/base.json` with every fragment of [`FRAGMENTS`].
pub fn document() -> Result<Value, OpenApiError> {
    assemble(BASE, FRAGMENTS)
}

/// `base` with `fragments` merged in, in order.
pub fn assemble(base: &str, fragments: &[(&str, &str)]) -> Result<Value, OpenApiError> {
    let mut doc = parse("base.json", base)?;
    for (file, text) in fragments {
        let fragment = parse(file, text)?;
        merge(&mut doc, file, fragment)?;
    }
    Ok(doc)
}

fn parse(file: &str, text: &str) -> Result<Value, OpenApiError> {
    serde_json::from_str(text).map_err(|source| OpenApiError::Json {
        file: file.to_owned(),
        source,
    })
}

/// Adds `fragment`'s paths and components to `doc`, refusing duplicates.
fn merge(doc: &mut Value, file: &str, fragment: Value) -> Result<(), OpenApiError> {
    let shape = |why: &str| OpenApiError::Shape {
        file: file.to_owned(),
        why: why.to_owned(),
    };
    let Value::Object(mut fragment) = fragment else {
        return Err(shape("not a JSON object"));
    };
    if let Some(key) = fragment
        .keys()
        .find(|k| !["paths", "components"].contains(&k.as_str()))
    {
        return Err(shape(&format!(
            "unexpected key {key:?} (only paths and components)"
        )));
    }
    if let Some(paths) = fragment.remove("paths") {
        let target = section(doc, &["paths"]).ok_or_else(|| shape("base has no paths"))?;
        add_all(target, paths, file, "path")?;
    }
    if let Some(Value::Object(components)) = fragment.remove("components") {
        for (kind, entries) in components {
            if !COMPONENT_KINDS.contains(&kind.as_str()) {
                return Err(shape(&format!("unexpected component kind {kind:?}")));
            }
            let target = section(doc, &["components", &kind])
                .ok_or_else(|| shape("base has no components"))?;
            add_all(target, entries, file, &kind)?;
        }
    }
    Ok(())
}

/// The object at `keys` in `doc`, created empty when missing.
fn section<'a>(doc: &'a mut Value, keys: &[&str]) -> Option<&'a mut Map<String, Value>> {
    let mut at = doc;
    for key in keys {
        at = at
            .as_object_mut()?
            .entry(key.to_string())
            .or_insert_with(|| Value::Object(Map::new()));
    }
    at.as_object_mut()
}

fn add_all(
    target: &mut Map<String, Value>,
    entries: Value,
    file: &str,
    kind: &str,
) -> Result<(), OpenApiError> {
    let Value::Object(entries) = entries else {
        return Err(OpenApiError::Shape {
            file: file.to_owned(),
            why: format!("{kind} entries are not an object"),
        });
    };
    for (name, value) in entries {
        if target.contains_key(&name) {
            return Err(OpenApiError::Duplicate {
                file: file.to_owned(),
                kind: kind.to_owned(),
                name,
            });
        }
        target.insert(name, value);
    }
    Ok(())
}

/// The document as served, built once (at start-up, with the routes).
pub(super) fn document_bytes() -> Result<Bytes, ApiError> {
    document()
        .and_then(|doc| {
            serde_json::to_vec(&doc).map_err(|source| OpenApiError::Json {
                file: "openapi.json".into(),
                source,
            })
        })
        .map(Bytes::from)
        .map_err(|e| {
            tracing::error!(error = %crate::domain::error_chain(&e), "The OpenAPI document cannot be assembled.");
            ApiError::internal("the OpenAPI document is not available: see the server log".into())
        })
}

/// The response to `GET /api/v1/openapi.json`.
pub(super) fn response(document: &Result<Bytes, ApiError>) -> Response<Bytes> {
    match document {
        Ok(bytes) => {
            let mut r = Response::new(bytes.clone());
            *r.status_mut() = StatusCode::OK;
            r.headers_mut().insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/json"),
            );
            r
        }
        Err(e) => e.response(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_bundled_document_assembles_with_every_fragment() {
        let doc = document().unwrap();
        assert_eq!(doc["openapi"], "3.1.0");
        let paths = doc["paths"].as_object().unwrap();
        for path in super::super::edge::ROUTE_TEMPLATES {
            assert!(paths.contains_key(*path), "{path} is not documented");
        }
        assert!(doc["components"]["schemas"]["Error"].is_object());
        for name in ["BadRequest", "NotFound", "NotModified"] {
            assert!(doc["components"]["responses"][name].is_object(), "{name}");
        }
        for name in ["Geo", "From", "To", "Metric", "Delimiter", "Bom", "Decimal"] {
            assert!(doc["components"]["parameters"][name].is_object(), "{name}");
        }
    }

    #[test]
    fn a_path_or_component_defined_twice_is_refused() {
        let base = r#"{"paths": {"/a": {}}, "components": {"schemas": {"Error": {}}}}"#;
        let twice_path = r#"{"paths": {"/b": {}, "/a": {}}}"#;
        let err = assemble(base, &[("x.json", twice_path)]).unwrap_err();
        assert_eq!(err.to_string(), r#"x.json: path "/a" is already defined"#);
        let one = r#"{"components": {"schemas": {"TopRow": {}}}}"#;
        let err = assemble(base, &[("top.json", one), ("other.json", one)]).unwrap_err();
        assert_eq!(
            err.to_string(),
            r#"other.json: schemas "TopRow" is already defined"#
        );
        let err = assemble(
            base,
            &[("e.json", r#"{"components": {"schemas": {"Error": {}}}}"#)],
        )
        .unwrap_err();
        assert!(matches!(err, OpenApiError::Duplicate { ref name, .. } if name == "Error"));
        // Distinct names merge, new sections included.
        let doc = assemble(
            base,
            &[
                (
                    "p.json",
                    r#"{"paths": {"/b": {}}, "components": {"parameters": {"P": {}}}}"#,
                ),
                ("q.json", r#"{"components": {"schemas": {"Q": {}}}}"#),
            ],
        )
        .unwrap();
        assert!(doc["paths"]["/b"].is_object());
        assert!(doc["components"]["parameters"]["P"].is_object());
        assert!(doc["components"]["schemas"]["Q"].is_object());
    }

    #[test]
    fn a_fragment_of_another_shape_is_refused() {
        let base = r#"{"paths": {}, "components": {}}"#;
        for (bad, why) in [
            ("[]", "not a JSON object"),
            (r#"{"info": {}}"#, "unexpected key \"info\""),
            (
                r#"{"components": {"examples": {}}}"#,
                "unexpected component kind",
            ),
            (r#"{"paths": []}"#, "path entries are not an object"),
        ] {
            let err = assemble(base, &[("f.json", bad)]).unwrap_err().to_string();
            assert!(err.contains(why), "{bad}: {err}");
        }
        assert!(matches!(
            assemble(base, &[("f.json", "{")]),
            Err(OpenApiError::Json { .. })
        ));
    }
}
