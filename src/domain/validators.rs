//! Conditional GET: the validators (`ETag`, `Last-Modified`) a page was
//! served with, remembered per URL so that the next run can ask
//! `If-None-Match` / `If-Modified-Since` and skip a page answered 304.

use serde::{Deserialize, Serialize};

use super::PostingId;

/// What is remembered about a page between runs.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Validators {
    /// The `ETag` it was served with.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub etag: Option<String>,
    /// The `Last-Modified` it was served with.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_modified: Option<String>,
    /// The next page's URL found in it, followed when the page is unchanged
    /// (a 304 has no body to find it in).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next: Option<String>,
    /// The postings the page listed (with those of the detail pages it led
    /// to), re-seen when the page is answered 304: a page unchanged for a
    /// week must not close the postings it still lists.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub postings: Vec<PostingId>,
}

impl Validators {
    /// The validators in response headers (lowercase names), if any.
    pub fn from_headers(headers: &[(String, String)]) -> Option<Validators> {
        let find = |name: &str| {
            headers
                .iter()
                .find(|(k, _)| k.eq_ignore_ascii_case(name))
                .map(|(_, v)| v.clone())
        };
        let v = Validators {
            etag: find("etag"),
            last_modified: find("last-modified"),
            next: None,
            postings: Vec::new(),
        };
        v.is_usable().then_some(v)
    }

    /// Whether there is anything to ask the server with.
    pub fn is_usable(&self) -> bool {
        self.etag.is_some() || self.last_modified.is_some()
    }

    /// The request headers of a conditional GET.
    pub fn request_headers(&self) -> Vec<(String, String)> {
        let mut headers = Vec::new();
        if let Some(etag) = &self.etag {
            headers.push(("if-none-match".to_owned(), etag.clone()));
        }
        if let Some(date) = &self.last_modified {
            headers.push(("if-modified-since".to_owned(), date.clone()));
        }
        headers
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn from_response_to_request_headers() {
        let headers = vec![
            ("content-type".to_owned(), "application/json".to_owned()),
            ("etag".to_owned(), "\"v1\"".to_owned()),
            (
                "last-modified".to_owned(),
                "Wed, 21 Oct 2026 07:28:00 GMT".to_owned(),
            ),
        ];
        let v = Validators::from_headers(&headers).unwrap();
        assert_eq!(
            v.request_headers(),
            vec![
                ("if-none-match".to_owned(), "\"v1\"".to_owned()),
                (
                    "if-modified-since".to_owned(),
                    "Wed, 21 Oct 2026 07:28:00 GMT".to_owned()
                ),
            ]
        );
        assert_eq!(Validators::from_headers(&headers[..1]), None);
    }
}
