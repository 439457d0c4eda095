//! The `json` kind: JSON APIs. Items are found at a path, each field by a path
//! with an optional transform ([`super::fields`]); pagination by a next link,
//! a page number, an offset or item ranges ([`super::paginate`]); optional
//! detail documents (`[follow]`).

use serde_json::Value;

use super::fields::JsonFields;
use super::follow::Follow;
use super::paginate::{Locator, PageState, Paginate};
use super::path::JsonPath;
use super::{head, ExtractError, ItemError, Page, PageItems, RawPosting};

pub use super::fields::{FieldRule, Transform};

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
    /// Detail documents: list pages give links, detail pages the items.
    pub follow: Option<Follow>,
}

/// Parses a page as JSON; an empty body (HTTP 204) is `None`.
pub(crate) fn parse_json(page: &Page) -> Result<Option<Value>, ExtractError> {
    let body = page.body.trim_start_matches('\u{feff}');
    if body.trim().is_empty() && (page.status == 204 || page.status == 206) {
        return Ok(None);
    }
    serde_json::from_str(body)
        .map(Some)
        .map_err(|e| ExtractError::NotJson {
            url: page.url.clone(),
            cause: e.to_string(),
            start: head(body.trim_start(), 60),
        })
}

impl JsonExtractor {
    /// Extracts one list page. `page_number` counts from 0 for the first page.
    pub fn extract(&self, page: &Page, page_number: u32) -> Result<PageItems, ExtractError> {
        let Some(doc) = parse_json(page)? else {
            return Ok(PageItems::default());
        };
        let mut out = PageItems::default();
        let count = match &self.follow {
            Some(follow) => {
                out.follow = follow.json_links(&doc, &page.url);
                out.follow.len()
            }
            None => {
                out.items = self.items_of(&doc, page, page_number)?;
                out.items.len()
            }
        };
        if let Some(paginate) = &self.paginate {
            let link = match paginate {
                Paginate::Next(Locator::Json(path)) => {
                    path.first(&doc).and_then(Value::as_str).map(str::to_owned)
                }
                _ => None,
            };
            out.next = paginate.next(&PageState {
                page,
                number: page_number,
                items: count,
                link,
            });
        }
        Ok(out)
    }

    /// Extracts a detail document reached through `[follow]`.
    pub fn extract_detail(&self, page: &Page) -> Result<PageItems, ExtractError> {
        let Some(doc) = parse_json(page)? else {
            return Ok(PageItems::default());
        };
        // A detail document may be the posting itself.
        if self.items.as_str().is_empty() && doc.is_object() {
            return Ok(PageItems {
                items: vec![self.fields.posting(0, &doc, &doc)],
                ..PageItems::default()
            });
        }
        Ok(PageItems {
            items: self.items_of(&doc, page, 1)?,
            ..PageItems::default()
        })
    }

    fn items_of(
        &self,
        doc: &Value,
        page: &Page,
        page_number: u32,
    ) -> Result<Vec<Result<RawPosting, ItemError>>, ExtractError> {
        let wildcard = self.items.as_str().contains('*');
        let items: Vec<&Value> = match self.items.first(doc) {
            Some(Value::Array(items)) => items.iter().collect(),
            Some(Value::Object(_)) if wildcard => self.items.select(doc),
            // An empty page of an API that drops the key when there is nothing.
            None => Vec::new(),
            _ => {
                return Err(ExtractError::NoItems {
                    url: page.url.clone(),
                    path: self.items.as_str().to_owned(),
                })
            }
        };
        Ok(items
            .iter()
            .enumerate()
            .skip(if page_number == 0 { self.skip } else { 0 })
            .map(|(index, item)| self.fields.posting(index, item, doc))
            .collect())
    }
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
            regex: None,
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
            follow: None,
        }
    }

    fn page(url: &str, body: &str) -> Page {
        Page::new(url, body)
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
        let next = extractor(Some(Paginate::Next(Locator::Json(
            "links.next".parse().unwrap(),
        ))))
        .extract(&page("http://h/jobs", body), 0)
        .unwrap()
        .next
        .map(|n| n.url);
        assert_eq!(next.as_deref(), Some("http://h/jobs?page=2"));
        let by_page = extractor(Some(Paginate::PageNumber {
            param: "page".into(),
            start: 1,
        }))
        .extract(&page("http://h/jobs?page=1&q=rust", body), 0)
        .unwrap()
        .next
        .map(|n| n.url);
        assert_eq!(by_page.as_deref(), Some("http://h/jobs?q=rust&page=2"));
        let by_offset = extractor(Some(Paginate::Offset {
            param: "offset".into(),
            size: 50,
        }))
        .extract(&page("http://h/jobs?offset=50", body), 1)
        .unwrap()
        .next
        .map(|n| n.url);
        assert_eq!(by_offset.as_deref(), Some("http://h/jobs?offset=100"));
        let empty = extractor(Some(Paginate::PageNumber {
            param: "page".into(),
            start: 1,
        }))
        .extract(&page("http://h/jobs?page=3", r#"{"jobs": []}"#), 2)
        .unwrap();
        assert!(empty.next.is_none() && empty.items.is_empty());
    }

    /// Regression (issue 13): every text field normalization reads leaves
    /// extract as plain text (character references decoded, escaped markup
    /// removed); ids, URLs and locations stay as the source wrote them.
    #[test]
    fn text_fields_leave_as_plain_text() {
        let body = r#"{"jobs": [{"id": "a&amp;b", "title": "R&amp;D &lt;b&gt;Go&lt;/b&gt;",
            "company": {"name": "AT&amp;T"}, "offices": [{"name": "Paris &amp; Lyon"}],
            "content": "&lt;p&gt;Kubernetes &amp;amp;amp; Linux&lt;/p&gt;", "url": "https://x/?a=1&amp;b=2"}]}"#;
        let out = extractor(None)
            .extract(&page("http://h/jobs", body), 0)
            .unwrap();
        let p = out.items[0].as_ref().unwrap();
        assert_eq!(p.title, "R&D  Go ");
        assert_eq!(p.company.as_deref(), Some("AT&T"));
        assert_eq!(p.description, "Kubernetes & Linux");
        assert_eq!(p.external_id, "a&amp;b");
        assert_eq!(p.url.as_deref(), Some("https://x/?a=1&amp;b=2"));
        assert_eq!(p.locations, vec!["Paris &amp; Lyon"]);
    }
}
