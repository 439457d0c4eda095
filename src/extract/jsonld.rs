//! The `jsonld` kind: schema.org `JobPosting` objects embedded in career
//! pages as `<script type="application/ld+json">`. Listing pages (HTML with
//! links, or a `sitemap.xml`) lead to the job pages; every page fetched is
//! searched for postings (`@graph`, arrays, `ItemList`s and nesting
//! included).
//!
//! Each `JobPosting` is read by field rules with schema.org defaults; the
//! places are computed first from `jobLocation` (Place, PostalAddress or an
//! array) and `applicantLocationRequirements` into `_locations`, remote work
//! (`jobLocationType: TELECOMMUTE`) into `_remote` and the page URL into
//! `_page`, so `[fields]` can still replace any default.

use scraper::{Html, Selector};
use serde_json::{Map, Value};

use super::fields::JsonFields;
use super::follow::Follow;
use super::html::{check_html, css_next_link};
use super::paginate::{PageState, Paginate};
use super::value::text_from_value;
use super::xml::{looks_like_xml, sitemap_locs, to_json};
use super::{head, ExtractError, Page, PageItems};

/// Default field paths of a `JobPosting`.
pub const DEFAULT_FIELDS: &[(&str, &str)] = &[
    (
        "id",
        "identifier.value | identifier[0].value | identifier | [\"@id\"] | url | _page",
    ),
    ("title", "title | name"),
    ("company", "hiringOrganization.name | hiringOrganization"),
    ("location", "_locations[*]"),
    ("description", "description"),
    ("posted_at", "datePosted"),
    ("valid_through", "validThrough"),
    ("url", "url | _page"),
    ("remote", "_remote"),
    ("tags", "skills[*] | skills"),
];

/// A compiled `jsonld` source.
#[derive(Debug, Clone)]
pub struct JsonLdExtractor {
    /// Field rules (schema.org defaults merged with `[fields]`).
    pub fields: JsonFields,
    /// Links from listing pages and sitemaps to job pages.
    pub follow: Follow,
    /// Pagination of listing pages.
    pub paginate: Option<Paginate>,
    scripts: Selector,
}

impl JsonLdExtractor {
    /// A `jsonld` extractor.
    pub fn new(fields: JsonFields, follow: Follow, paginate: Option<Paginate>) -> JsonLdExtractor {
        JsonLdExtractor {
            fields,
            follow,
            paginate,
            // A fixed, valid selector.
            scripts: Selector::parse(r#"script[type="application/ld+json"]"#)
                .unwrap_or_else(|_| unreachable!("constant selector")),
        }
    }

    /// Extracts a listing page or sitemap: postings found in it, links to job pages, next page.
    pub fn extract(&self, page: &Page, page_number: u32) -> Result<PageItems, ExtractError> {
        if looks_like_xml(&page.body) {
            return self.sitemap(page);
        }
        check_html(page)?;
        let html = Html::parse_document(&page.body);
        let mut out = self.postings(&html, page);
        out.follow = self.follow.html_links(&html, &page.url);
        if let Some(paginate) = &self.paginate {
            out.next = paginate.next(&PageState {
                page,
                number: page_number,
                items: out.items.len() + out.follow.len(),
                link: css_next_link(Some(paginate), &html),
            });
        }
        Ok(out)
    }

    /// Extracts a job page (or a nested sitemap).
    pub fn extract_detail(&self, page: &Page) -> Result<PageItems, ExtractError> {
        if looks_like_xml(&page.body) {
            return self.sitemap(page);
        }
        check_html(page)?;
        let html = Html::parse_document(&page.body);
        let out = self.postings(&html, page);
        if out.items.is_empty() {
            return Err(ExtractError::NoJobPosting {
                url: page.url.clone(),
            });
        }
        Ok(out)
    }

    fn sitemap(&self, page: &Page) -> Result<PageItems, ExtractError> {
        let bad = |cause: String| ExtractError::NotFeed {
            url: page.url.clone(),
            cause,
            start: head(page.body.trim_start(), 60),
        };
        let doc = to_json(&page.body).map_err(|e| bad(e.to_string()))?;
        let (locs, index) = sitemap_locs(&doc)
            .ok_or_else(|| bad("not a sitemap (urlset or sitemapindex)".into()))?;
        let follow = if index {
            // Nested sitemaps are followed whatever `matches` says.
            locs
        } else {
            self.follow.sitemap_links(locs, &page.url)
        };
        Ok(PageItems {
            follow,
            ..PageItems::default()
        })
    }

    fn postings(&self, html: &Html, page: &Page) -> PageItems {
        let mut found = Vec::new();
        for script in html.select(&self.scripts) {
            let text: String = script.text().collect();
            match serde_json::from_str::<Value>(text.trim()) {
                Ok(doc) => collect_job_postings(doc, &mut found),
                Err(e) => {
                    tracing::debug!(url = %page.url, error = %e, "Unreadable JSON-LD script skipped.")
                }
            }
        }
        PageItems {
            items: found
                .into_iter()
                .enumerate()
                .map(|(i, posting)| {
                    let posting = prepare(posting, &page.url);
                    self.fields.posting(i, &posting, &posting)
                })
                .collect(),
            ..PageItems::default()
        }
    }
}

fn is_job_posting(map: &Map<String, Value>) -> bool {
    match map.get("@type") {
        Some(Value::String(t)) => t == "JobPosting" || t.ends_with("/JobPosting"),
        Some(Value::Array(types)) => types.iter().any(|t| t == "JobPosting"),
        _ => false,
    }
}

/// Every `JobPosting` object in a JSON-LD document, in document order.
fn collect_job_postings(doc: Value, out: &mut Vec<Value>) {
    match doc {
        Value::Object(map) if is_job_posting(&map) => out.push(Value::Object(map)),
        Value::Object(map) => map
            .into_iter()
            .for_each(|(_, v)| collect_job_postings(v, out)),
        Value::Array(items) => items.into_iter().for_each(|v| collect_job_postings(v, out)),
        _ => {}
    }
}

/// Adds `_locations`, `_remote` and `_page` to a posting.
fn prepare(mut posting: Value, page_url: &str) -> Value {
    let mut locations = Vec::new();
    for place in list(posting.get("jobLocation")) {
        locations.extend(place_text(place));
    }
    for area in list(posting.get("applicantLocationRequirements")) {
        locations.extend(name_of(area));
    }
    let remote = list(posting.get("jobLocationType")).iter().any(|t| {
        t.as_str()
            .is_some_and(|t| t.eq_ignore_ascii_case("TELECOMMUTE"))
    });
    if let Value::Object(map) = &mut posting {
        map.insert(
            "_locations".into(),
            Value::Array(locations.into_iter().map(Value::String).collect()),
        );
        if remote {
            map.insert("_remote".into(), Value::Bool(true));
        }
        map.insert("_page".into(), Value::String(page_url.to_owned()));
    }
    posting
}

fn list(v: Option<&Value>) -> Vec<&Value> {
    match v {
        Some(Value::Array(items)) => items.iter().collect(),
        Some(Value::Null) | None => Vec::new(),
        Some(v) => vec![v],
    }
}

fn name_of(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.trim().to_owned()).filter(|s| !s.is_empty()),
        Value::Object(m) => m.get("name").and_then(|n| text_from_value(n, " ")),
        _ => None,
    }
}

/// "Locality, postal code, region, country" of a Place or PostalAddress.
fn place_text(place: &Value) -> Option<String> {
    let address = match place {
        Value::String(s) => return Some(s.clone()),
        Value::Object(m) => m.get("address").unwrap_or(place),
        _ => return None,
    };
    let address = match address {
        Value::String(s) => return Some(s.clone()),
        // Some sites give an array of addresses: the first is the place.
        Value::Array(items) => items.first()?,
        other => other,
    };
    let parts: Vec<String> = [
        "addressLocality",
        "postalCode",
        "addressRegion",
        "addressCountry",
    ]
    .iter()
    .filter_map(|k| address.get(*k).and_then(name_of))
    .collect();
    if parts.is_empty() {
        return place.get("name").and_then(name_of);
    }
    Some(parts.join(", "))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::extract::fields::compile_json_fields;
    use crate::extract::follow::{LinkSource, DEFAULT_MAX_FOLLOW};
    use crate::extract::schema::Problems;

    fn extractor() -> JsonLdExtractor {
        let mut p = Problems::new("t");
        JsonLdExtractor::new(
            compile_json_fields(None, DEFAULT_FIELDS, &mut p).unwrap(),
            Follow {
                source: LinkSource::SitemapOnly,
                url: "{}".into(),
                matches: Some(regex::Regex::new("/jobs/").unwrap()),
                max: DEFAULT_MAX_FOLLOW,
            },
            None,
        )
    }

    #[test]
    fn graph_places_remote_and_identifier() {
        let page = Page::new(
            "https://ex.org/jobs/12",
            r#"<html><head><script type="application/ld+json">{"@context": "https://schema.org", "@graph": [
              {"@type": "Organization", "name": "Ex"},
              {"@type": "JobPosting", "title": "Ingénieur·e Kubernetes", "datePosted": "2026-11-02",
               "validThrough": "2027-01-31T23:59", "identifier": {"@type": "PropertyValue", "value": "K8S-12"},
               "hiringOrganization": {"@type": "Organization", "name": "Nuage Libre"},
               "jobLocation": [{"@type": "Place", "address": {"@type": "PostalAddress", "addressLocality": "Nantes", "postalCode": "44000", "addressCountry": "FR"}},
                               {"@type": "Place", "address": {"addressLocality": "Rennes", "addressRegion": "Bretagne", "addressCountry": {"@type": "Country", "name": "France"}}}],
               "jobLocationType": "TELECOMMUTE", "applicantLocationRequirements": {"@type": "Country", "name": "France"},
               "description": "<p>Kubernetes &amp; Go</p>"}]}</script></head><body></body></html>"#,
        );
        let out = extractor().extract_detail(&page).unwrap();
        let p = out.items[0].as_ref().unwrap();
        assert_eq!(p.external_id, "K8S-12");
        assert_eq!(p.company.as_deref(), Some("Nuage Libre"));
        assert_eq!(
            p.locations,
            vec!["Nantes, 44000, FR", "Rennes, Bretagne, France", "France"]
        );
        assert_eq!(p.remote, Some(true));
        assert_eq!(p.url.as_deref(), Some("https://ex.org/jobs/12"));
        assert_eq!(p.valid_through.unwrap().to_string(), "2027-01-31");
        assert_eq!(p.description, "Kubernetes & Go");
    }

    #[test]
    fn sitemaps_give_filtered_links_and_pages_without_postings_are_errors() {
        let sitemap = Page::new(
            "https://ex.org/sitemap.xml",
            r#"<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">
            <url><loc>https://ex.org/jobs/1</loc></url><url><loc>https://ex.org/about</loc></url></urlset>"#,
        );
        let out = extractor().extract(&sitemap, 0).unwrap();
        assert_eq!(out.follow, vec!["https://ex.org/jobs/1"]);
        let err = extractor()
            .extract_detail(&Page::new(
                "https://ex.org/jobs/1",
                "<html><body>Gone</body></html>",
            ))
            .unwrap_err();
        assert_eq!(
            err.to_string(),
            "page https://ex.org/jobs/1 has no schema.org JobPosting"
        );
    }

    /// Regression (issue 13): JSON-LD titles and names with character
    /// references leave extract as plain text.
    #[test]
    fn references_in_titles_leave_as_plain_text() {
        let page = Page::new(
            "https://ex.org/jobs/13",
            r#"<html><head><script type="application/ld+json">{"@type": "JobPosting",
              "title": "Ing&eacute;nieur R&amp;D", "hiringOrganization": {"name": "AT&amp;T"},
              "description": "&lt;p&gt;Go &amp;amp;amp; Rust&lt;/p&gt;"}</script></head></html>"#,
        );
        let out = extractor().extract_detail(&page).unwrap();
        let p = out.items[0].as_ref().unwrap();
        assert_eq!(p.title, "Ingénieur R&D");
        assert_eq!(p.company.as_deref(), Some("AT&T"));
        assert_eq!(p.description, "Go & Rust");
    }
}
