//! The `json` kind: JSON APIs. Items are found at a path, each field by a path
//! with an optional transform; pagination by a next link, a page number or an
//! offset.

use reqwest::Url;
use serde_json::Value;

use super::path::JsonPath;
use super::value::{bool_from_value, date_from_value, html_to_text, text_from_value};
use super::{head, ExtractError, ItemError, Page, PageItems, RawPosting};

/// How a field's value is turned into text or a date.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transform {
    /// Text as it is (arrays joined).
    Text,
    /// HTML to plain text.
    Html,
    /// A date in any supported shape (the default for date fields).
    Date,
}

/// Where one field comes from.
#[derive(Debug, Clone)]
pub struct FieldRule {
    /// Path to the value; `None` with a constant.
    pub path: Option<JsonPath>,
    /// A constant value (used when the path yields nothing, or alone).
    pub constant: Option<String>,
    /// Transform applied to the value.
    pub transform: Transform,
    /// Separator used to join several values into one text.
    pub join: String,
}

impl FieldRule {
    fn values<'a>(&self, item: &'a Value) -> Vec<&'a Value> {
        self.path
            .as_ref()
            .map(|p| p.select(item))
            .unwrap_or_default()
    }

    /// The field as one text, if present and not blank.
    pub fn text(&self, item: &Value) -> Option<String> {
        let values = self.values(item);
        let joined: Vec<String> = values
            .iter()
            .filter_map(|v| text_from_value(v, &self.join))
            .collect();
        let text = if joined.is_empty() {
            self.constant.clone()?
        } else {
            joined.join(&self.join)
        };
        let text = match self.transform {
            Transform::Html => html_to_text(&text),
            Transform::Text | Transform::Date => text.trim().to_owned(),
        };
        (!text.is_empty()).then_some(text)
    }

    /// The field as several texts (one per value), blanks dropped.
    pub fn texts(&self, item: &Value) -> Vec<String> {
        let mut out: Vec<String> = self
            .values(item)
            .iter()
            .filter_map(|v| text_from_value(v, &self.join))
            .map(|s| match self.transform {
                Transform::Html => html_to_text(&s),
                _ => s.trim().to_owned(),
            })
            .filter(|s| !s.is_empty())
            .collect();
        if out.is_empty() {
            out.extend(self.constant.clone());
        }
        out
    }
}

/// The field rules of a JSON source. `id` and `title` are required.
#[derive(Debug, Clone)]
pub struct JsonFields {
    /// The posting's id at the source.
    pub id: FieldRule,
    /// Job title.
    pub title: FieldRule,
    /// Employer.
    pub company: Option<FieldRule>,
    /// One or more location strings.
    pub location: Option<FieldRule>,
    /// Description.
    pub description: Option<FieldRule>,
    /// Publication date.
    pub posted_at: Option<FieldRule>,
    /// Closing date.
    pub valid_through: Option<FieldRule>,
    /// Link.
    pub url: Option<FieldRule>,
    /// Remote flag.
    pub remote: Option<FieldRule>,
    /// Tags.
    pub tags: Option<FieldRule>,
}

/// How to reach the next page.
#[derive(Debug, Clone)]
pub enum Paginate {
    /// The next page's URL is at a path in the page (absolute or relative).
    NextLink(JsonPath),
    /// A page-number query parameter, starting at `start`.
    PageNumber {
        /// Query parameter name.
        param: String,
        /// Number of the first page.
        start: u64,
    },
    /// An offset query parameter advanced by `size` each page.
    Offset {
        /// Query parameter name.
        param: String,
        /// Items per page.
        size: u64,
    },
}

/// A compiled `json` source.
#[derive(Debug, Clone)]
pub struct JsonExtractor {
    /// Where the items are in a page.
    pub items: JsonPath,
    /// Leading items to skip (RemoteOK's first element is a notice).
    pub skip: usize,
    /// Field rules.
    pub fields: JsonFields,
    /// Pagination, if any.
    pub paginate: Option<Paginate>,
}

impl JsonExtractor {
    /// Extracts one page. `page_number` counts from 0 for the first page.
    pub fn extract(&self, page: &Page, page_number: u32) -> Result<PageItems, ExtractError> {
        let body = page.body.trim_start_matches('\u{feff}');
        let doc: Value = serde_json::from_str(body).map_err(|e| ExtractError::NotJson {
            url: page.url.clone(),
            cause: e.to_string(),
            start: head(body.trim_start(), 60),
        })?;
        let items: Vec<&Value> = match self.items.first(&doc) {
            Some(Value::Array(items)) => items.iter().collect(),
            Some(Value::Object(_)) if self.items.as_str().contains('*') => self.items.select(&doc),
            None if self.items.as_str().contains('*') => Vec::new(),
            // An empty page of an API that drops the key when there is nothing.
            None => Vec::new(),
            _ => {
                return Err(ExtractError::NoItems {
                    url: page.url.clone(),
                    path: self.items.as_str().to_owned(),
                })
            }
        };
        let extracted: Vec<Result<RawPosting, ItemError>> = items
            .iter()
            .enumerate()
            .skip(if page_number == 0 { self.skip } else { 0 })
            .map(|(index, item)| self.posting(index, item))
            .collect();
        let next = if items.is_empty() {
            None
        } else {
            self.next_url(&doc, &page.url, page_number)
        };
        Ok(PageItems {
            items: extracted,
            next,
        })
    }

    fn posting(&self, index: usize, item: &Value) -> Result<RawPosting, ItemError> {
        let f = &self.fields;
        let missing = |field: &str, rule: &FieldRule| ItemError {
            index,
            why: format!(
                "no {field} at {:?}",
                rule.path.as_ref().map_or("", JsonPath::as_str)
            ),
        };
        if !item.is_object() {
            return Err(ItemError {
                index,
                why: format!("expected an object, found {}", head(&item.to_string(), 40)),
            });
        }
        let external_id = f.id.text(item).ok_or_else(|| missing("id", &f.id))?;
        let title = f
            .title
            .text(item)
            .ok_or_else(|| missing("title", &f.title))?;
        let date = |rule: &Option<FieldRule>, name: &str| -> Result<_, ItemError> {
            let Some(rule) = rule else { return Ok(None) };
            let Some(value) = rule.values(item).into_iter().next() else {
                return Ok(None);
            };
            date_from_value(value).map(Some).ok_or_else(|| ItemError {
                index,
                why: format!(
                    "{name} {} is not a date this tracker reads",
                    head(&value.to_string(), 60)
                ),
            })
        };
        Ok(RawPosting {
            external_id,
            title,
            url: f.url.as_ref().and_then(|r| r.text(item)),
            company: f.company.as_ref().and_then(|r| r.text(item)),
            locations: f
                .location
                .as_ref()
                .map(|r| r.texts(item))
                .unwrap_or_default(),
            description: f
                .description
                .as_ref()
                .and_then(|r| r.text(item))
                .unwrap_or_default(),
            posted_at: date(&f.posted_at, "posted_at")?,
            valid_through: date(&f.valid_through, "valid_through")?,
            remote: f.remote.as_ref().and_then(|r| {
                let values = r.values(item);
                if values.is_empty() {
                    r.constant
                        .as_ref()
                        .map(|c| bool_from_value(&Value::String(c.clone())))
                } else {
                    Some(values.into_iter().any(bool_from_value))
                }
            }),
            tags: f.tags.as_ref().map(|r| r.texts(item)).unwrap_or_default(),
        })
    }

    fn next_url(&self, doc: &Value, current: &str, page_number: u32) -> Option<String> {
        match self.paginate.as_ref()? {
            Paginate::NextLink(path) => {
                let link = path.first(doc)?.as_str()?.trim();
                if link.is_empty() {
                    return None;
                }
                let base = Url::parse(current).ok()?;
                let next = base.join(link).ok()?;
                (next.as_str() != current).then(|| next.to_string())
            }
            Paginate::PageNumber { param, start } => {
                with_param(current, param, start + u64::from(page_number) + 1)
            }
            Paginate::Offset { param, size } => {
                let url = Url::parse(current).ok()?;
                let offset = url
                    .query_pairs()
                    .find(|(k, _)| k == param)
                    .and_then(|(_, v)| v.parse::<u64>().ok())
                    .unwrap_or(0);
                with_param(current, param, offset + size)
            }
        }
    }
}

/// `url` with query parameter `param` set to `value` (replaced or appended).
fn with_param(url: &str, param: &str, value: u64) -> Option<String> {
    let mut url = Url::parse(url).ok()?;
    let kept: Vec<(String, String)> = url
        .query_pairs()
        .filter(|(k, _)| k != param)
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    url.query_pairs_mut()
        .clear()
        .extend_pairs(kept)
        .append_pair(param, &value.to_string());
    Some(url.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule(path: &str) -> FieldRule {
        FieldRule {
            path: Some(path.parse().unwrap()),
            constant: None,
            transform: Transform::Text,
            join: ", ".into(),
        }
    }

    fn extractor(paginate: Option<Paginate>) -> JsonExtractor {
        JsonExtractor {
            items: "jobs".parse().unwrap(),
            skip: 0,
            fields: JsonFields {
                id: rule("id"),
                title: rule("title"),
                company: Some(rule("company.name")),
                location: Some(rule("offices[*].name")),
                description: Some(FieldRule {
                    transform: Transform::Html,
                    ..rule("content")
                }),
                posted_at: Some(rule("updated_at")),
                valid_through: None,
                url: Some(rule("url")),
                remote: Some(rule("remote")),
                tags: None,
            },
            paginate,
        }
    }

    fn page(url: &str, body: &str) -> Page {
        Page {
            url: url.into(),
            body: body.into(),
        }
    }

    #[test]
    fn extracts_fields_and_reports_bad_items() {
        let body = r#"{"jobs": [
            {"id": 1, "title": "Ingénieur DevOps", "company": {"name": "Acme"}, "offices": [{"name": "Paris"}, {"name": "Lyon"}],
             "content": "<p>Kubernetes &amp; Linux</p>", "updated_at": "2024-03-01T10:00:00Z", "url": "https://x/1", "remote": false},
            {"id": 2, "company": {"name": "NoTitle"}},
            {"id": 3, "title": "Dev", "updated_at": "someday"}
        ]}"#;
        let out = extractor(None)
            .extract(&page("http://h/jobs", body), 0)
            .unwrap();
        let first = out.items[0].as_ref().unwrap();
        assert_eq!(first.external_id, "1");
        assert_eq!(first.locations, vec!["Paris", "Lyon"]);
        assert_eq!(first.description, "Kubernetes & Linux");
        assert_eq!(first.posted_at.unwrap().to_string(), "2024-03-01");
        assert_eq!(first.remote, Some(false));
        assert_eq!(
            out.items[1].as_ref().unwrap_err().to_string(),
            "item 1: no title at \"title\""
        );
        assert!(out.items[2]
            .as_ref()
            .unwrap_err()
            .to_string()
            .contains("\"someday\" is not a date"));
        assert!(out.next.is_none());
    }

    #[test]
    fn html_instead_of_json_is_a_page_error_naming_the_url() {
        let err = extractor(None)
            .extract(&page("http://h/jobs", "<html><body>503</body></html>"), 0)
            .unwrap_err();
        let msg = err.to_string();
        assert!(
            msg.contains("http://h/jobs") && msg.contains("<html>"),
            "{msg}"
        );
    }

    #[test]
    fn pagination_kinds() {
        let body = r#"{"jobs": [{"id": 1, "title": "T"}], "links": {"next": "/jobs?page=2"}}"#;
        let next = extractor(Some(Paginate::NextLink("links.next".parse().unwrap())))
            .extract(&page("http://h/jobs", body), 0)
            .unwrap()
            .next;
        assert_eq!(next.as_deref(), Some("http://h/jobs?page=2"));
        let by_page = extractor(Some(Paginate::PageNumber {
            param: "page".into(),
            start: 1,
        }))
        .extract(&page("http://h/jobs?page=1&q=rust", body), 0)
        .unwrap()
        .next;
        assert_eq!(by_page.as_deref(), Some("http://h/jobs?q=rust&page=2"));
        let by_offset = extractor(Some(Paginate::Offset {
            param: "offset".into(),
            size: 50,
        }))
        .extract(&page("http://h/jobs?offset=50", body), 1)
        .unwrap()
        .next;
        assert_eq!(by_offset.as_deref(), Some("http://h/jobs?offset=100"));
        let empty = extractor(Some(Paginate::PageNumber {
            param: "page".into(),
            start: 1,
        }))
        .extract(&page("http://h/jobs?page=3", r#"{"jobs": []}"#), 2)
        .unwrap();
        assert!(empty.next.is_none() && empty.items.is_empty());
    }
}
