//! The small path syntax that points into JSON documents.
//!
//! ```text
//! jobs                      key
//! company.name              nested keys
//! offices[0].name           array index
//! offices[*].name           every element (a path may yield several values)
//! *.name                    every value of an object or array
//! ["odd.key"].x             a key containing dots or brackets
//! company_name | company.name   fallbacks: the first alternative that yields a value
//! $.name                    from the page's whole document, not the item
//! ```
//! The empty path (or `.`) is the document itself.

use std::fmt;
use std::str::FromStr;

use serde_json::Value;

/// A compiled JSON path with fallbacks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JsonPath {
    alternatives: Vec<Vec<Segment>>,
    text: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Segment {
    Key(String),
    Index(usize),
    Wildcard,
    /// `$`: the page's whole document (only first).
    Root,
}

/// A path that does not parse, with the reason.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid path {path:?}: {why}")]
pub struct PathError {
    /// The path as written.
    pub path: String,
    /// What is wrong with it.
    pub why: String,
}

impl JsonPath {
    /// Every value the path yields in `doc`: for the first alternative that
    /// yields at least one non-null value.
    pub fn select<'a>(&self, doc: &'a Value) -> Vec<&'a Value> {
        self.select_in(doc, doc)
    }

    /// Like [`JsonPath::select`] on `item`, with `$` standing for `root`
    /// (the page's document, when `item` is one posting of it).
    pub fn select_in<'a>(&self, item: &'a Value, root: &'a Value) -> Vec<&'a Value> {
        for alternative in &self.alternatives {
            let mut current = match alternative.first() {
                Some(Segment::Root) => vec![root],
                _ => vec![item],
            };
            for segment in alternative {
                let mut next = Vec::with_capacity(current.len());
                for value in current {
                    match (segment, value) {
                        (Segment::Key(k), Value::Object(map)) => next.extend(map.get(k)),
                        (Segment::Index(i), Value::Array(items)) => next.extend(items.get(*i)),
                        (Segment::Wildcard, Value::Array(items)) => next.extend(items.iter()),
                        (Segment::Wildcard, Value::Object(map)) => next.extend(map.values()),
                        (Segment::Root, v) => next.push(v),
                        _ => {}
                    }
                }
                current = next;
            }
            current.retain(|v| !v.is_null());
            if !current.is_empty() {
                return current;
            }
        }
        Vec::new()
    }

    /// The empty path: the document itself.
    pub fn document() -> JsonPath {
        JsonPath {
            alternatives: vec![Vec::new()],
            text: String::new(),
        }
    }

    /// The first value the path yields, if any.
    pub fn first<'a>(&self, doc: &'a Value) -> Option<&'a Value> {
        self.select(doc).into_iter().next()
    }

    /// The path as written.
    pub fn as_str(&self) -> &str {
        &self.text
    }
}

impl FromStr for JsonPath {
    type Err = PathError;

    fn from_str(text: &str) -> Result<JsonPath, PathError> {
        let alternatives = text
            .split('|')
            .map(|alt| parse_alternative(alt.trim()))
            .collect::<Result<Vec<_>, String>>()
            .map_err(|why| PathError {
                path: text.to_owned(),
                why,
            })?;
        Ok(JsonPath {
            alternatives,
            text: text.to_owned(),
        })
    }
}

impl fmt::Display for JsonPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

fn parse_alternative(text: &str) -> Result<Vec<Segment>, String> {
    let mut segments = Vec::new();
    if text.is_empty() || text == "." {
        return Ok(segments);
    }
    let mut rest = text;
    let mut expect_key = true;
    while !rest.is_empty() {
        if let Some(after) = rest.strip_prefix('[') {
            let end = after
                .find(']')
                .ok_or_else(|| "a '[' is never closed".to_owned())?;
            let inner = after[..end].trim();
            segments.push(parse_bracket(inner)?);
            rest = &after[end + 1..];
            expect_key = false;
        } else if let Some(after) = rest.strip_prefix('.') {
            if expect_key {
                return Err("empty key (two dots in a row, or a leading dot)".to_owned());
            }
            rest = after;
            expect_key = true;
            if rest.is_empty() {
                return Err("a trailing '.'".to_owned());
            }
        } else {
            if !expect_key {
                return Err(format!("expected '.' or '[' before {rest:?}"));
            }
            let end = rest.find(['.', '[']).unwrap_or(rest.len());
            let key = rest[..end].trim();
            if key.is_empty() {
                return Err("empty key".to_owned());
            }
            if key == "$" && !segments.is_empty() {
                return Err("`$` (the whole page) can only start a path".to_owned());
            }
            segments.push(if key == "*" {
                Segment::Wildcard
            } else if key == "$" {
                Segment::Root
            } else {
                Segment::Key(key.to_owned())
            });
            rest = &rest[end..];
            expect_key = false;
        }
    }
    Ok(segments)
}

fn parse_bracket(inner: &str) -> Result<Segment, String> {
    if inner == "*" {
        return Ok(Segment::Wildcard);
    }
    if let Some(quoted) = inner
        .strip_prefix('"')
        .and_then(|s| s.strip_suffix('"'))
        .or_else(|| inner.strip_prefix('\'').and_then(|s| s.strip_suffix('\'')))
    {
        return Ok(Segment::Key(quoted.to_owned()));
    }
    inner
        .parse::<usize>()
        .map(Segment::Index)
        .map_err(|_| format!("[{inner}] is not an index, [*] or a quoted key"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn sel(path: &str, doc: &Value) -> Vec<Value> {
        path.parse::<JsonPath>()
            .unwrap()
            .select(doc)
            .into_iter()
            .cloned()
            .collect()
    }

    #[test]
    fn keys_indexes_wildcards_and_fallbacks() {
        let doc =
            json!({"a": {"b": 1}, "offices": [{"name": "Paris"}, {"name": "Lyon"}], "odd.key": 3});
        assert_eq!(sel("a.b", &doc), vec![json!(1)]);
        assert_eq!(sel("offices[1].name", &doc), vec![json!("Lyon")]);
        assert_eq!(
            sel("offices[*].name", &doc),
            vec![json!("Paris"), json!("Lyon")]
        );
        assert_eq!(
            sel("offices.*.name", &doc),
            vec![json!("Paris"), json!("Lyon")]
        );
        assert_eq!(sel("missing | a.b", &doc), vec![json!(1)]);
        let p: JsonPath = "$.a.b".parse().unwrap();
        assert_eq!(p.select_in(&doc["offices"][0], &doc), vec![&json!(1)]);
        assert_eq!(sel("[\"odd.key\"]", &doc), vec![json!(3)]);
        assert_eq!(sel("", &doc), vec![doc.clone()]);
        assert!(sel("a.c", &doc).is_empty());
    }

    #[test]
    fn bad_paths_say_why() {
        for (bad, why) in [
            ("a..b", "empty key"),
            ("a[", "never closed"),
            ("a[x]", "not an index"),
            ("a.", "trailing"),
        ] {
            let err = bad.parse::<JsonPath>().unwrap_err();
            assert!(err.to_string().contains(why), "{bad}: {err}");
            assert!(err.to_string().contains(bad), "{bad}: {err}");
        }
    }
}
