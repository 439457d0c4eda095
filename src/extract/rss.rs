//! The `rss` kind: RSS 2.0, RSS 1.0 and Atom job feeds. The feed is turned
//! into JSON ([`super::xml`]); each `<item>` or `<entry>` is read by field
//! rules whose defaults know both formats, and `[fields]` can replace any of
//! them with a JSON path into the item (`["job:company"]`, `link.@href`).

use serde_json::Value;

use super::fields::JsonFields;
use super::paginate::{PageState, Paginate};
use super::xml::{looks_like_xml, to_json};
use super::{head, ExtractError, Page, PageItems};

/// Default field paths of feed items (RSS 2.0 / 1.0 and Atom).
pub const DEFAULT_FIELDS: &[(&str, &str)] = &[
    (
        "id",
        "guid.#text | guid | id | link.@href | link[0].@href | link",
    ),
    ("title", "title.#text | title"),
    ("url", "link.@href | link[0].@href | link | guid.#text"),
    (
        "description",
        "[\"content:encoded\"] | description | content.#text | content | summary.#text | summary",
    ),
    ("posted_at", "pubDate | published | updated | [\"dc:date\"]"),
    ("company", "company | [\"job:company\"] | author.name"),
    ("location", "location | [\"job:location\"]"),
    (
        "tags",
        "category[*].@term | category.@term | category[*] | category",
    ),
];

/// A compiled `rss` source.
#[derive(Debug, Clone)]
pub struct RssExtractor {
    /// Field rules (defaults merged with the file's `[fields]`).
    pub fields: JsonFields,
    /// Pagination (page or offset parameter), if any.
    pub paginate: Option<Paginate>,
}

fn as_list(v: Option<&Value>) -> Vec<&Value> {
    match v {
        Some(Value::Array(items)) => items.iter().collect(),
        Some(v) => vec![v],
        None => Vec::new(),
    }
}

impl RssExtractor {
    /// Extracts the items of one feed page.
    pub fn extract(&self, page: &Page, page_number: u32) -> Result<PageItems, ExtractError> {
        let not_feed = |cause: String| ExtractError::NotFeed {
            url: page.url.clone(),
            cause,
            start: head(page.body.trim_start(), 60),
        };
        if !looks_like_xml(&page.body) {
            return Err(not_feed("not XML".into()));
        }
        let doc = to_json(&page.body).map_err(|e| not_feed(e.to_string()))?;
        let items = if let Some(rss) = doc.get("rss") {
            as_list(rss.get("channel").and_then(|c| c.get("item")))
        } else if let Some(feed) = doc.get("feed") {
            as_list(feed.get("entry"))
        } else if let Some(rdf) = doc.get("rdf:RDF") {
            as_list(rdf.get("item"))
        } else {
            return Err(not_feed(
                "neither an RSS <rss> nor an Atom <feed> document".into(),
            ));
        };
        let mut out = PageItems {
            items: items
                .iter()
                .enumerate()
                .map(|(i, item)| self.fields.posting(i, item, item))
                .collect(),
            ..PageItems::default()
        };
        if let Some(paginate) = &self.paginate {
            out.next = paginate.next(&PageState {
                page,
                number: page_number,
                items: items.len(),
                link: None,
            });
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::extract::fields::compile_json_fields;
    use crate::extract::schema::Problems;

    fn extractor() -> RssExtractor {
        let mut p = Problems::new("t");
        RssExtractor {
            fields: compile_json_fields(None, DEFAULT_FIELDS, &mut p).unwrap(),
            paginate: None,
        }
    }

    #[test]
    fn rss_and_atom_items() {
        let rss = r#"<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/"><channel><title>Jobs</title>
<item><title>Administrateur systèmes Linux (H/F)</title><link>https://ex.org/jobs/1</link>
<guid isPermaLink="false">job-1</guid><pubDate>Tue, 03 Nov 2026 08:00:00 +0100</pubDate>
<category>Linux</category><category>Ansible</category>
<content:encoded><![CDATA[<p>Debian &amp; <b>Ansible</b></p>]]></content:encoded></item>
</channel></rss>"#;
        let out = extractor()
            .extract(&Page::new("http://h/feed", rss), 0)
            .unwrap();
        let p = out.items[0].as_ref().unwrap();
        assert_eq!(
            (p.external_id.as_str(), p.url.as_deref()),
            ("job-1", Some("https://ex.org/jobs/1"))
        );
        assert_eq!(p.tags, vec!["Linux", "Ansible"]);
        assert_eq!(p.description, "Debian & Ansible");
        assert_eq!(p.posted_at.unwrap().to_string(), "2026-11-03");

        let atom = r#"<feed xmlns="http://www.w3.org/2005/Atom"><entry><id>urn:job:7</id>
<title type="text">Rust developer</title><link rel="alternate" href="https://ex.org/7"/>
<updated>2026-11-04T09:00:00Z</updated><author><name>Ferrous SAS</name></author>
<category term="rust"/><summary type="html">&lt;p&gt;Tokio&lt;/p&gt;</summary></entry></feed>"#;
        let out = extractor()
            .extract(&Page::new("http://h/atom", atom), 0)
            .unwrap();
        let p = out.items[0].as_ref().unwrap();
        assert_eq!(p.external_id, "urn:job:7");
        assert_eq!(p.title, "Rust developer");
        assert_eq!(p.url.as_deref(), Some("https://ex.org/7"));
        assert_eq!(p.company.as_deref(), Some("Ferrous SAS"));
        assert_eq!(p.tags, vec!["rust"]);
        assert_eq!(p.description, "Tokio");
    }

    #[test]
    fn html_instead_of_a_feed_is_a_page_error() {
        let err = extractor()
            .extract(
                &Page::new("http://h/feed", "<html><body>Oops</body></html>"),
                0,
            )
            .unwrap_err();
        assert!(err.to_string().contains("http://h/feed"), "{err}");
    }

    /// Regression (issue 13): titles and categories escaped twice in a
    /// feed leave extract as plain text.
    #[test]
    fn escaped_titles_and_categories_leave_as_plain_text() {
        let rss = r#"<rss version="2.0"><channel><item><title>R&amp;amp;D &amp;lt;b&amp;gt;Go&amp;lt;/b&amp;gt;</title>
<link>https://ex.org/jobs/1</link><guid>j-1</guid><category>C&amp;amp;C</category>
<description>&lt;p&gt;Debian &amp;amp;amp; Ansible&lt;/p&gt;</description></item></channel></rss>"#;
        let out = extractor()
            .extract(&Page::new("http://h/feed", rss), 0)
            .unwrap();
        let p = out.items[0].as_ref().unwrap();
        assert_eq!(p.title, "R&D  Go ");
        assert_eq!(p.tags, vec!["C&C"]);
        assert_eq!(p.description, "Debian & Ansible");
    }
}
