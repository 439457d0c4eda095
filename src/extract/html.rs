//! The `html` kind: postings read from web pages with CSS selectors. Each
//! field is a selector, optionally `@attr` to read an attribute instead of
//! the text, and an optional regex keeping its first capture group. List
//! pages give items (one element per posting) or, with `[follow]`, links to
//! detail pages that each hold one posting. Selectors are compiled at load.
//!
//! scraper's `Html` is not `Send`: everything here parses and reads in
//! synchronous functions that return owned data.

use regex::Regex;
use scraper::{ElementRef, Html, Selector};

use super::fields::{apply_regex, read_field_spec, Transform, FIELD_NAMES};
use super::follow::Follow;
use super::paginate::{Locator, PageState, Paginate};
use super::schema::{Problems, Tab};
use super::value::{bool_from_value, fold_whitespace, html_to_text, parse_date};
use super::{head, ExtractError, ItemError, Page, PageItems, RawPosting};

/// A compiled selector with an optional attribute: `css`, `css@attr`, or
/// `@attr` (an attribute of the item element itself).
#[derive(Debug, Clone)]
pub struct Sel {
    selector: Option<Selector>,
    attr: Option<String>,
    text: String,
}

impl Sel {
    /// Parses `css[@attr]`; `default_attr` applies when no attribute is named.
    pub fn parse(text: &str, default_attr: Option<&str>) -> Result<Sel, String> {
        let (css, attr) = match text.rsplit_once('@') {
            Some((css, attr))
                if !attr.is_empty()
                    && attr
                        .chars()
                        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | ':')) =>
            {
                (css.trim(), Some(attr.to_owned()))
            }
            _ => (text.trim(), default_attr.map(str::to_owned)),
        };
        let selector = if css.is_empty() {
            None
        } else {
            Some(Selector::parse(css).map_err(|e| css_error(text, &e))?)
        };
        if selector.is_none() && attr.is_none() {
            return Err("empty selector".to_owned());
        }
        Ok(Sel {
            selector,
            attr,
            text: text.to_owned(),
        })
    }

    /// The selector as written.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    fn elements<'a>(&self, root: ElementRef<'a>) -> Vec<ElementRef<'a>> {
        match &self.selector {
            Some(s) => root.select(s).collect(),
            None => vec![root],
        }
    }

    /// Every value under `root`: attribute values or element texts.
    pub fn values(&self, root: ElementRef<'_>) -> Vec<String> {
        self.read(root, Transform::Text)
    }

    fn read(&self, root: ElementRef<'_>, transform: Transform) -> Vec<String> {
        self.elements(root)
            .into_iter()
            .filter_map(|e| match &self.attr {
                Some(a) => e.value().attr(a).map(|v| v.trim().to_owned()),
                None if transform == Transform::Html => Some(html_to_text(&e.inner_html())),
                None => Some(fold_whitespace(&e.text().collect::<String>())),
            })
            .filter(|v| !v.is_empty())
            .collect()
    }
}

/// A selector error on one line: scraper's message ends with the reason.
pub(crate) fn css_error(text: &str, e: &impl std::fmt::Display) -> String {
    let shown = e.to_string();
    let reason = shown.lines().rfind(|l| !l.trim().is_empty()).unwrap_or("");
    format!("{text:?} is not a valid CSS selector: {}", reason.trim())
}

/// Where one field comes from in an HTML item.
#[derive(Debug, Clone)]
pub struct HtmlField {
    /// Selector; `None` with a constant.
    pub sel: Option<Sel>,
    /// Constant used when the selector finds nothing, or alone.
    pub constant: Option<String>,
    /// Transform.
    pub transform: Transform,
    /// Separator for several matches.
    pub join: String,
    /// Regex keeping its first capture group.
    pub regex: Option<Regex>,
}

impl HtmlField {
    fn texts(&self, root: ElementRef<'_>) -> Vec<String> {
        let mut out: Vec<String> = self
            .sel
            .as_ref()
            .map(|s| s.read(root, self.transform))
            .unwrap_or_default()
            .into_iter()
            .filter_map(|t| apply_regex(self.regex.as_ref(), t))
            .collect();
        if out.is_empty() {
            out.extend(self.constant.clone());
        }
        out
    }

    fn text(&self, root: ElementRef<'_>) -> Option<String> {
        let texts = self.texts(root);
        (!texts.is_empty()).then(|| texts.join(&self.join))
    }
}

/// The fields of an `html` source; `title` is required, `id` defaults to the
/// posting's URL.
#[derive(Debug, Clone, Default)]
pub struct HtmlFields {
    rules: Vec<(&'static str, HtmlField)>,
}

impl HtmlFields {
    fn get(&self, name: &str) -> Option<&HtmlField> {
        self.rules.iter().find(|(n, _)| *n == name).map(|(_, r)| r)
    }

    fn posting(
        &self,
        index: usize,
        root: ElementRef<'_>,
        page_url: &str,
        detail: bool,
    ) -> Result<RawPosting, ItemError> {
        let text = |name: &str| self.get(name).and_then(|r| r.text(root));
        let err = |why: String| ItemError { index, why };
        let url = text("url").map(|u| {
            url::Url::parse(page_url)
                .and_then(|base| base.join(&u))
                .map_or(u, |u| u.to_string())
        });
        let url = url.or_else(|| detail.then(|| page_url.to_owned()));
        let title = text("title").ok_or_else(|| {
            err(format!(
                "no title at {:?}",
                self.get("title")
                    .and_then(|r| r.sel.as_ref())
                    .map_or("", Sel::as_str)
            ))
        })?;
        let external_id = text("id")
            .or_else(|| url.clone())
            .ok_or_else(|| err("no id (set fields.id or fields.url)".into()))?;
        let date = |name: &str| -> Result<_, ItemError> {
            match text(name) {
                None => Ok(None),
                Some(t) => parse_date(&t).map(Some).ok_or_else(|| {
                    err(format!(
                        "{name} {:?} is not a date this tracker reads",
                        head(&t, 60)
                    ))
                }),
            }
        };
        Ok(RawPosting {
            external_id,
            title,
            url,
            company: text("company"),
            locations: self
                .get("location")
                .map(|r| r.texts(root))
                .unwrap_or_default(),
            description: text("description").unwrap_or_default(),
            posted_at: date("posted_at")?,
            valid_through: date("valid_through")?,
            remote: text("remote").map(|t| bool_from_value(&serde_json::Value::String(t))),
            tags: self.get("tags").map(|r| r.texts(root)).unwrap_or_default(),
        }
        .into_plain_text())
    }
}

/// A compiled `html` source.
#[derive(Debug, Clone)]
pub struct HtmlExtractor {
    /// One element per posting on list pages (without `[follow]`).
    pub items: Option<Selector>,
    /// Field rules, relative to an item (or to a detail page).
    pub fields: HtmlFields,
    /// Pagination of list pages.
    pub paginate: Option<Paginate>,
    /// Detail pages.
    pub follow: Option<Follow>,
}

/// A body that is clearly not HTML (JSON, empty), or nested too deeply to
/// build into a tree in reasonable time, is a page error.
pub(crate) fn check_html(page: &Page) -> Result<(), ExtractError> {
    let start = page.body.trim_start_matches('\u{feff}').trim_start();
    if start.is_empty() || start.starts_with('{') || start.starts_with('[') {
        return Err(ExtractError::NotHtml {
            url: page.url.clone(),
            start: head(start, 60),
        });
    }
    if super::nesting::too_deep(&page.body) {
        return Err(ExtractError::TooDeep {
            url: page.url.clone(),
        });
    }
    Ok(())
}

/// The first value of a `next` locator in an HTML document.
pub(crate) fn css_next_link(paginate: Option<&Paginate>, html: &Html) -> Option<String> {
    match paginate? {
        Paginate::Next(Locator::Css(sel)) => sel.values(html.root_element()).into_iter().next(),
        _ => None,
    }
}

impl HtmlExtractor {
    /// Extracts a list page: postings (or links to detail pages) and the next page.
    pub fn extract(&self, page: &Page, page_number: u32) -> Result<PageItems, ExtractError> {
        check_html(page)?;
        let html = Html::parse_document(&page.body);
        let root = html.root_element();
        let mut out = PageItems::default();
        let count = match (&self.follow, &self.items) {
            (Some(follow), _) => {
                out.follow = follow.html_links(&html, &page.url);
                out.follow.len()
            }
            (None, Some(items)) => {
                out.items = root
                    .select(items)
                    .enumerate()
                    .map(|(i, e)| self.fields.posting(i, e, &page.url, false))
                    .collect();
                out.items.len()
            }
            (None, None) => {
                out.items = vec![self.fields.posting(0, root, &page.url, true)];
                1
            }
        };
        if let Some(paginate) = &self.paginate {
            out.next = paginate.next(&PageState {
                page,
                number: page_number,
                items: count,
                link: css_next_link(Some(paginate), &html),
            });
        }
        Ok(out)
    }

    /// Extracts a detail page: one posting, fields relative to the document.
    pub fn extract_detail(&self, page: &Page) -> Result<PageItems, ExtractError> {
        check_html(page)?;
        let html = Html::parse_document(&page.body);
        Ok(PageItems {
            items: vec![self.fields.posting(0, html.root_element(), &page.url, true)],
            ..PageItems::default()
        })
    }
}

/// Compiles the `html`-specific tables: `[items] selector` and `[fields]`.
pub(crate) fn compile(
    items: Option<&Tab<'_>>,
    fields: Option<&Tab<'_>>,
    paginate: Option<Paginate>,
    follow: Option<Follow>,
    p: &mut Problems,
) -> Option<HtmlExtractor> {
    let before = p.list.len();
    let items = items.and_then(|t| {
        t.check_keys(&["selector"], p);
        let text = t.str("selector", p)?;
        Selector::parse(text)
            .map_err(|e| p.bad(&t.key("selector"), css_error(text, &e)))
            .ok()
    });
    let Some(fields_tab) = fields else {
        p.bad(
            "fields",
            "an html source needs a [fields] table with at least title",
        );
        return None;
    };
    fields_tab.check_keys(FIELD_NAMES, p);
    let mut compiled = HtmlFields::default();
    for name in FIELD_NAMES {
        let Some(spec) = read_field_spec(fields_tab.clone(), name, "selector", p) else {
            continue;
        };
        let sel = match &spec.locator {
            Some(text) => match Sel::parse(text, None) {
                Ok(sel) => Some(sel),
                Err(why) => {
                    p.bad(&fields_tab.key(name), why);
                    continue;
                }
            },
            None => None,
        };
        compiled.rules.push((
            name,
            HtmlField {
                sel,
                constant: spec.constant,
                transform: spec.transform,
                join: spec.join,
                regex: spec.regex,
            },
        ));
    }
    if !fields_tab.has("title") {
        p.bad(&fields_tab.key("title"), "is required");
    }
    (p.list.len() == before).then_some(HtmlExtractor {
        items,
        fields: compiled,
        paginate,
        follow,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_page_too_deep_for_a_tree_is_a_page_error() {
        let deep = format!(
            "<html><body>{}</body></html>",
            "<div><span>Ingénieur DevOps</span>".repeat(20_000)
        );
        let page = Page::new("https://jobs.example.org/list", deep);
        match extractor().extract(&page, 0) {
            Err(e @ ExtractError::TooDeep { .. }) => {
                assert!(
                    e.to_string().contains("https://jobs.example.org/list"),
                    "{e}"
                )
            }
            other => panic!("expected TooDeep, got {other:?}"),
        }
        // A long page of ordinary depth is read.
        let long = LIST.replace("<ul>", &"<div>x</div>".repeat(20_000));
        assert!(extractor().extract(&Page::new("u", long), 0).is_ok());
    }

    const LIST: &str = r#"<html><body><ul>
      <li class="job"><a class="t" href="/jobs/42-devops">Ingénieur DevOps (H/F)</a>
        <span class="co">Acme</span><span class="loc">Lyon (69)</span><time datetime="2026-11-03">3 nov.</time>
        <p class="ref">Réf. JOB-42</p></li>
      <li class="job"><span class="co">No title here</span></li>
    </ul><a rel="next" href="?page=2">Suivant</a></body></html>"#;

    fn extractor() -> HtmlExtractor {
        let field = |s: &str, regex: Option<&str>| HtmlField {
            sel: Some(Sel::parse(s, None).unwrap()),
            constant: None,
            transform: Transform::Text,
            join: ", ".into(),
            regex: regex.map(|r| Regex::new(r).unwrap()),
        };
        HtmlExtractor {
            items: Some(Selector::parse("li.job").unwrap()),
            fields: HtmlFields {
                rules: vec![
                    ("id", field("p.ref", Some(r"Réf\. (\S+)"))),
                    ("title", field("a.t", None)),
                    ("url", field("a.t@href", None)),
                    ("company", field(".co", None)),
                    ("location", field(".loc", None)),
                    ("posted_at", field("time@datetime", None)),
                ],
            },
            paginate: Some(Paginate::Next(Locator::Css(
                Sel::parse("a[rel=next]@href", None).unwrap(),
            ))),
            follow: None,
        }
    }

    #[test]
    fn list_items_attributes_regex_and_next() {
        let page = Page::new("http://h/emplois", LIST);
        let out = extractor().extract(&page, 0).unwrap();
        let first = out.items[0].as_ref().unwrap();
        assert_eq!(first.external_id, "JOB-42");
        assert_eq!(first.title, "Ingénieur DevOps (H/F)");
        assert_eq!(first.url.as_deref(), Some("http://h/jobs/42-devops"));
        assert_eq!(first.locations, vec!["Lyon (69)"]);
        assert_eq!(first.posted_at.unwrap().to_string(), "2026-11-03");
        assert_eq!(
            out.items[1].as_ref().unwrap_err().to_string(),
            "item 1: no title at \"a.t\""
        );
        assert_eq!(
            out.next.map(|n| n.url).as_deref(),
            Some("http://h/emplois?page=2")
        );
    }

    #[test]
    fn json_instead_of_html_is_a_page_error() {
        let err = extractor()
            .extract(&Page::new("http://h/x", "{\"error\": 1}"), 0)
            .unwrap_err();
        assert!(err.to_string().contains("http://h/x"), "{err}");
    }

    #[test]
    fn bad_selectors_are_load_errors() {
        assert!(Sel::parse("li..job", None).unwrap_err().contains("li..job"));
        assert!(Sel::parse("a@href", None).is_ok());
        assert!(Sel::parse("@data-id", None).is_ok());
    }

    /// Regression (issue 13): text that a page escaped twice leaves extract
    /// as plain text, since normalization no longer looks for markup.
    #[test]
    fn escaped_text_leaves_as_plain_text() {
        let page = Page::new(
            "http://h/emplois",
            r#"<ul><li class="job"><a class="t" href="/j/1">R&amp;amp;D &amp;lt;b&amp;gt;Rust&amp;lt;/b&amp;gt;</a>
            <span class="co">AT&amp;amp;T</span><p class="ref">Réf. J-1</p></li></ul>"#,
        );
        let out = extractor().extract(&page, 0).unwrap();
        let p = out.items[0].as_ref().unwrap();
        assert_eq!(p.title, "R&D  Rust ");
        assert_eq!(p.company.as_deref(), Some("AT&T"));
        assert_eq!(p.url.as_deref(), Some("http://h/j/1"));
    }
}
