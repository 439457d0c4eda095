//! XML documents (RSS and Atom feeds, sitemaps) turned into JSON values, so
//! that the JSON path syntax and field rules read them too.
//!
//! An element with only text becomes a string; otherwise an object whose
//! attributes are `@name` keys, whose child elements are keys named as
//! written (`title`, `dc:creator`, `content:encoded`; repeated children
//! become arrays) and whose text, if any, is `#text`. The document is
//! `{ root_name: root_value }`.

use quick_xml::events::{BytesStart, Event};
use quick_xml::Reader;
use serde_json::{Map, Value};

/// Why a document is not well-formed XML.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct XmlError(pub String);

struct Node {
    name: String,
    map: Map<String, Value>,
    text: String,
}

impl Node {
    fn new(start: &BytesStart<'_>) -> Node {
        let mut map = Map::new();
        for attr in start.attributes().flatten() {
            let key = format!("@{}", String::from_utf8_lossy(attr.key.as_ref()));
            let value = attr
                .unescape_value()
                .map(|v| v.into_owned())
                .unwrap_or_else(|_| String::from_utf8_lossy(&attr.value).into_owned());
            map.insert(key, Value::String(value));
        }
        Node {
            name: String::from_utf8_lossy(start.name().as_ref()).into_owned(),
            map,
            text: String::new(),
        }
    }

    fn into_value(self) -> Value {
        let text = self.text.trim();
        if self.map.is_empty() {
            return Value::String(text.to_owned());
        }
        let mut map = self.map;
        if !text.is_empty() {
            map.insert("#text".to_owned(), Value::String(text.to_owned()));
        }
        Value::Object(map)
    }
}

fn add_child(parent: &mut Map<String, Value>, name: String, value: Value) {
    match parent.get_mut(&name) {
        Some(Value::Array(items)) => items.push(value),
        Some(existing) => {
            let first = existing.take();
            *existing = Value::Array(vec![first, value]);
        }
        None => {
            parent.insert(name, value);
        }
    }
}

fn entity(name: &str) -> Option<char> {
    Some(match name {
        "amp" => '&',
        "lt" => '<',
        "gt" => '>',
        "quot" => '"',
        "apos" => '\'',
        _ => return None,
    })
}

/// Parses an XML document into a JSON value (see the module docs).
pub fn to_json(text: &str) -> Result<Value, XmlError> {
    let mut reader = Reader::from_str(text.trim_start_matches('\u{feff}'));
    reader.config_mut().trim_text(false);
    let mut stack: Vec<Node> = Vec::new();
    let mut root: Option<(String, Value)> = None;
    loop {
        let event = reader.read_event().map_err(|e| {
            XmlError(format!(
                "malformed XML at byte {}: {e}",
                reader.buffer_position()
            ))
        })?;
        match event {
            Event::Start(start) => stack.push(Node::new(&start)),
            Event::Empty(start) => {
                let node = Node::new(&start);
                let (name, value) = (node.name.clone(), node.into_value());
                match stack.last_mut() {
                    Some(parent) => add_child(&mut parent.map, name, value),
                    None => root = Some((name, value)),
                }
            }
            Event::End(_) => {
                let Some(node) = stack.pop() else {
                    return Err(XmlError("a closing tag without an opening one".into()));
                };
                let (name, value) = (node.name.clone(), node.into_value());
                match stack.last_mut() {
                    Some(parent) => add_child(&mut parent.map, name, value),
                    None => root = Some((name, value)),
                }
            }
            Event::Text(t) => {
                if let Some(node) = stack.last_mut() {
                    node.text
                        .push_str(&t.decode().map_err(|e| XmlError(e.to_string()))?);
                }
            }
            Event::CData(c) => {
                if let Some(node) = stack.last_mut() {
                    node.text
                        .push_str(&c.decode().map_err(|e| XmlError(e.to_string()))?);
                }
            }
            Event::GeneralRef(r) => {
                if let Some(node) = stack.last_mut() {
                    let name = r.decode().map_err(|e| XmlError(e.to_string()))?;
                    match r
                        .resolve_char_ref()
                        .ok()
                        .flatten()
                        .or_else(|| entity(&name))
                    {
                        Some(c) => node.text.push(c),
                        None => {
                            node.text.push('&');
                            node.text.push_str(&name);
                            node.text.push(';');
                        }
                    }
                }
            }
            Event::Eof => break,
            _ => {}
        }
    }
    if !stack.is_empty() {
        return Err(XmlError(format!(
            "the document ends inside <{}>",
            stack.last().map_or("", |n| n.name.as_str())
        )));
    }
    let (name, value) = root.ok_or_else(|| XmlError("no root element".into()))?;
    let mut doc = Map::new();
    doc.insert(name, value);
    Ok(Value::Object(doc))
}

/// Whether a body looks like XML rather than HTML or JSON.
pub fn looks_like_xml(body: &str) -> bool {
    let start = body.trim_start_matches('\u{feff}').trim_start();
    start.starts_with("<?xml")
        || start.starts_with("<rss")
        || start.starts_with("<feed")
        || start.starts_with("<urlset")
        || start.starts_with("<sitemapindex")
}

/// The `<loc>` URLs of a sitemap (`urlset`) or sitemap index, with whether
/// it is an index (whose URLs are further sitemaps).
pub fn sitemap_locs(doc: &Value) -> Option<(Vec<String>, bool)> {
    let (entries, index) = if let Some(set) = doc.get("urlset") {
        (set.get("url"), false)
    } else {
        (doc.get("sitemapindex")?.get("sitemap"), true)
    };
    let entries: Vec<&Value> = match entries {
        Some(Value::Array(items)) => items.iter().collect(),
        Some(v) => vec![v],
        None => Vec::new(),
    };
    let locs = entries
        .into_iter()
        .filter_map(|e| e.get("loc")?.as_str().map(|s| s.trim().to_owned()))
        .filter(|s| !s.is_empty())
        .collect();
    Some((locs, index))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn elements_attributes_repeats_cdata_and_entities() {
        let doc = to_json(
            r#"<?xml version="1.0"?><rss version="2.0"><channel><item>
              <title>Dév &amp; Ops</title><category>Rust</category><category>Linux</category>
              <description><![CDATA[<p>Hello</p>]]></description>
              <link href="https://x/1" rel="alternate"/></item></channel></rss>"#,
        )
        .unwrap();
        let item = &doc["rss"]["channel"]["item"];
        assert_eq!(item["title"], "Dév & Ops");
        assert_eq!(item["category"], json!(["Rust", "Linux"]));
        assert_eq!(item["description"], "<p>Hello</p>");
        assert_eq!(item["link"]["@href"], "https://x/1");
        assert_eq!(doc["rss"]["@version"], "2.0");
    }

    #[test]
    fn sitemaps_and_errors() {
        let doc = to_json("<urlset><url><loc> https://x/jobs/1 </loc></url><url><loc>https://x/jobs/2</loc></url></urlset>").unwrap();
        assert_eq!(
            sitemap_locs(&doc),
            Some((
                vec!["https://x/jobs/1".into(), "https://x/jobs/2".into()],
                false
            ))
        );
        assert!(to_json("<rss><channel>").is_err());
    }
}
