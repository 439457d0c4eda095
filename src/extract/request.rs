//! `[request]`: sources whose list pages are asked with a POST of a JSON
//! body (search web services such as APEC's), instead of a GET.
//!
//! The body is written in the source file as a TOML table and sent as JSON
//! (`Content-Type: application/json`). Pagination can write the page number
//! or the offset into it (`[paginate] field`): the value the file gives is
//! the first page's, and each next page adds a page (or `size` items) to it.

use serde_json::Value;

use super::schema::{Problems, Tab};

/// The JSON body of a source's list requests, as its file wrote it.
#[derive(Debug, Clone, PartialEq)]
pub struct JsonBody {
    value: Value,
}

impl JsonBody {
    /// The body of the first request, as JSON text.
    pub fn text(&self) -> String {
        self.value.to_string()
    }

    /// The integer at `field` (dotted keys), when there is one.
    pub fn integer_at(&self, field: &[String]) -> Option<u64> {
        field
            .iter()
            .try_fold(&self.value, |v, key| v.get(key))?
            .as_u64()
    }

    /// The body with the integer at `field` replaced by `n`, as JSON text
    /// (`None` when `field` is not in it).
    pub fn with_integer(&self, field: &[String], n: u64) -> Option<String> {
        let mut value = self.value.clone();
        let slot = field
            .iter()
            .try_fold(&mut value, |v, key| v.get_mut(key.as_str()))?;
        *slot = Value::from(n);
        Some(value.to_string())
    }
}

/// A dotted `field` split into its keys (`"pagination.startIndex"`).
pub(crate) fn field_keys(field: &str) -> Vec<String> {
    field.split('.').map(str::to_owned).collect()
}

/// Compiles `[request]`: `method` (`"GET"`, the default, or `"POST"`) and
/// `body` (a table, required with POST and only used by it). `None` for a
/// GET; every problem is recorded.
pub(crate) fn compile(tab: &Tab<'_>, p: &mut Problems) -> Option<JsonBody> {
    tab.check_keys(&["method", "body"], p);
    let method = tab.str("method", p).unwrap_or("GET");
    let body = tab.sub("body", p);
    match method {
        "GET" => {
            if tab.has("body") {
                p.bad(
                    &tab.key("body"),
                    "is only sent with method = \"POST\" (a GET has no body)",
                );
            }
            None
        }
        "POST" => {
            let Some(body) = body else {
                if !tab.has("body") {
                    p.bad(
                        &tab.key("body"),
                        "is required with method = \"POST\" (a table, sent as JSON)",
                    );
                }
                return None;
            };
            let table = toml::Value::Table(body.table.clone());
            if has_datetime(&table) {
                p.bad(
                    &tab.key("body"),
                    "holds a TOML date: write dates as strings (JSON has no date type)",
                );
                return None;
            }
            match serde_json::to_value(&table) {
                Ok(value) => Some(JsonBody { value }),
                Err(e) => {
                    p.bad(&tab.key("body"), format!("cannot be written as JSON: {e}"));
                    None
                }
            }
        }
        other => {
            p.bad(
                &tab.key("method"),
                format!("{other:?} is not a request method: use \"GET\" or \"POST\""),
            );
            None
        }
    }
}

fn has_datetime(v: &toml::Value) -> bool {
    match v {
        toml::Value::Datetime(_) => true,
        toml::Value::Array(items) => items.iter().any(has_datetime),
        toml::Value::Table(t) => t.values().any(has_datetime),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn compiled(text: &str) -> (Option<JsonBody>, Vec<String>) {
        let table: toml::Table = toml::from_str(text).unwrap();
        let mut p = Problems::new("x.toml");
        let body = compile(&Tab::at(&table, "request"), &mut p);
        (body, p.list)
    }

    #[test]
    fn a_post_body_is_sent_as_json_and_its_integers_are_replaced() {
        let (body, problems) = compiled(
            "method = \"POST\"\n[body]\nmotsCles = \"développeur\"\nlieux = []\n[body.pagination]\nrange = 20\nstartIndex = 0\n",
        );
        assert!(problems.is_empty(), "{problems:?}");
        let body = body.unwrap();
        let json: Value = serde_json::from_str(&body.text()).unwrap();
        assert_eq!(json["motsCles"], "développeur");
        assert_eq!(json["pagination"]["range"], 20);
        let field = field_keys("pagination.startIndex");
        assert_eq!(body.integer_at(&field), Some(0));
        let next: Value = serde_json::from_str(&body.with_integer(&field, 40).unwrap()).unwrap();
        assert_eq!(next["pagination"]["startIndex"], 40);
        assert_eq!(next["motsCles"], "développeur");
        assert_eq!(body.with_integer(&field_keys("pagination.nope.x"), 1), None);
        assert_eq!(body.integer_at(&field_keys("motsCles")), None);
    }

    #[test]
    fn a_get_has_no_body() {
        let (body, problems) = compiled("method = \"GET\"\n");
        assert_eq!((body, problems), (None, vec![]));
    }

    #[test]
    fn bad_requests_name_the_key_and_the_value() {
        let (_, problems) = compiled("method = \"PUT\"\n");
        assert_eq!(
            problems,
            vec!["x.toml: `request.method`: \"PUT\" is not a request method: use \"GET\" or \"POST\""]
        );
        let (_, problems) = compiled("method = \"POST\"\n");
        assert_eq!(
            problems,
            vec!["x.toml: `request.body`: is required with method = \"POST\" (a table, sent as JSON)"]
        );
        let (_, problems) = compiled("body = { page = 1 }\n");
        assert_eq!(
            problems,
            vec!["x.toml: `request.body`: is only sent with method = \"POST\" (a GET has no body)"]
        );
        let (_, problems) = compiled("method = \"POST\"\nbody = \"{}\"\n");
        assert_eq!(
            problems,
            vec!["x.toml: `request.body`: expected a table, found a string (\"{}\")"]
        );
        let (_, problems) = compiled("method = \"POST\"\nbdy = 1\n[body]\nsince = 2026-01-01\n");
        assert_eq!(
            problems,
            vec![
                "x.toml: `request.bdy`: unknown key `bdy`, did you mean `body`?",
                "x.toml: `request.body`: holds a TOML date: write dates as strings (JSON has no date type)",
            ]
        );
    }
}
