//! Pagination shared by every kind: a next link found in the page (by JSON
//! path or CSS selector, depending on the kind), a page-number or offset
//! query parameter, or item ranges (`range=0-149` or an HTTP `Range` header)
//! moved along by the response's `Content-Range` (France Travail style), or
//! a page number or offset written in a POSTed JSON body (`field`, APEC style).

use url::Url;

use super::html::Sel;
use super::path::JsonPath;
use super::request::{field_keys, JsonBody};
use super::schema::{Problems, Tab};
use super::{NextPage, Page};

/// Where a next link is written in a page.
#[derive(Debug, Clone)]
pub enum Locator {
    /// A JSON path (json kind).
    Json(JsonPath),
    /// A CSS selector, usually `…@href` (html and jsonld kinds).
    Css(Sel),
}

/// How to reach the next page.
#[derive(Debug, Clone)]
pub enum Paginate {
    /// The next page's URL is in the page (absolute or relative).
    Next(Locator),
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
    /// Item ranges `first-last`, in a query parameter or in an HTTP `Range`
    /// header, moved along by the response's `Content-Range`.
    Range {
        /// Query parameter carrying the range; `None`: an HTTP `Range` header.
        param: Option<String>,
        /// Range unit of the `Range` header (`items`, `offres`…).
        unit: String,
        /// Items per request.
        size: u64,
        /// Largest item index the API serves (its cap); never asked beyond.
        max_index: Option<u64>,
    },
    /// A page number or an offset written at `field` of the POSTed JSON
    /// body: page `n` (from 0) sends `first + n * step`.
    Body {
        /// The body of the source's requests (`[request] body`).
        body: JsonBody,
        /// The keys leading to the integer (`pagination.startIndex`).
        field: Vec<String>,
        /// The value the file's body holds: the first page's.
        first: u64,
        /// 1 for page numbers, `size` for offsets.
        step: u64,
    },
}

/// The parts of a page pagination looks at.
pub struct PageState<'a> {
    /// The page.
    pub page: &'a Page,
    /// Its number, from 0.
    pub number: u32,
    /// Items it held (before any were rejected).
    pub items: usize,
    /// The next link, for [`Paginate::Next`], as found by the kind.
    pub link: Option<String>,
}

impl Paginate {
    /// Headers of the first request of each start URL.
    pub fn start_headers(&self) -> Vec<(String, String)> {
        match self {
            Paginate::Range {
                param: None,
                unit,
                size,
                max_index,
            } => vec![(
                "Range".to_owned(),
                format!("{unit}=0-{}", last_index(0, *size, *max_index, None)),
            )],
            _ => Vec::new(),
        }
    }

    /// The next page, if any. Nothing follows a page without items.
    pub fn next(&self, state: &PageState<'_>) -> Option<NextPage> {
        if state.items == 0 {
            return None;
        }
        let current = state.page.url.as_str();
        let url = match self {
            Paginate::Next(_) => {
                let link = state.link.as_deref()?.trim();
                if link.is_empty() {
                    return None;
                }
                let next = Url::parse(current).ok()?.join(link).ok()?;
                (next.as_str() != current).then(|| next.to_string())?
            }
            Paginate::PageNumber { param, start } => with_param(
                current,
                param,
                &(start + u64::from(state.number) + 1).to_string(),
            )?,
            Paginate::Offset { param, size } => {
                let offset = query_value(current, param)
                    .and_then(|v| v.parse::<u64>().ok())
                    .unwrap_or(0);
                with_param(current, param, &(offset + size).to_string())?
            }
            Paginate::Range {
                param,
                unit,
                size,
                max_index,
            } => {
                let (first, total) = match content_range(state.page) {
                    Some((_, last, total)) => (last + 1, total),
                    None if (state.items as u64) < *size => return None,
                    None => ((u64::from(state.number) + 1) * size, None),
                };
                if total.is_some_and(|t| first >= t) || max_index.is_some_and(|m| first > m) {
                    return None;
                }
                let last = last_index(first, *size, *max_index, total);
                let range = format!("{first}-{last}");
                return Some(match param {
                    Some(param) => NextPage::get(with_param(current, param, &range)?),
                    None => NextPage {
                        url: current.to_owned(),
                        headers: vec![("Range".to_owned(), format!("{unit}={range}"))],
                        body: None,
                    },
                });
            }
            Paginate::Body {
                body,
                field,
                first,
                step,
            } => {
                let n = (u64::from(state.number) + 1)
                    .checked_mul(*step)
                    .and_then(|n| n.checked_add(*first))?;
                return Some(NextPage {
                    url: current.to_owned(),
                    headers: Vec::new(),
                    body: Some(body.with_integer(field, n)?),
                });
            }
        };
        Some(NextPage::get(url))
    }
}

fn last_index(first: u64, size: u64, max_index: Option<u64>, total: Option<u64>) -> u64 {
    let mut last = first + size.max(1) - 1;
    if let Some(m) = max_index {
        last = last.min(m);
    }
    if let Some(t) = total {
        last = last.min(t.saturating_sub(1));
    }
    last
}

/// `Content-Range: unit first-last/total` of a page (`total` may be `*`).
fn content_range(page: &Page) -> Option<(u64, u64, Option<u64>)> {
    let value = page
        .headers
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case("content-range"))?
        .1
        .as_str();
    let spec = value.split_whitespace().last()?;
    let (range, total) = spec.split_once('/')?;
    let (first, last) = range.split_once('-')?;
    Some((
        first.trim().parse().ok()?,
        last.trim().parse().ok()?,
        total.trim().parse().ok(),
    ))
}

fn query_value(url: &str, param: &str) -> Option<String> {
    Url::parse(url)
        .ok()?
        .query_pairs()
        .find(|(k, _)| k == param)
        .map(|(_, v)| v.into_owned())
}

/// `url` with query parameter `param` set to `value` (replaced or appended).
pub(crate) fn with_param(url: &str, param: &str, value: &str) -> Option<String> {
    let mut url = Url::parse(url).ok()?;
    let kept: Vec<(String, String)> = url
        .query_pairs()
        .filter(|(k, _)| k != param)
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    url.query_pairs_mut()
        .clear()
        .extend_pairs(kept)
        .append_pair(param, value);
    Some(url.to_string())
}

/// The pagination kinds, for messages.
const KINDS: &str = "next, page, offset or range";

/// Compiles `[paginate]`. `next_link` turns the `path`/`selector` of kind
/// `next` into a locator (the kind decides which key it reads); `body` is
/// the source's POSTed body (`[request]`), where `field` writes.
pub(crate) fn compile(
    tab: &Tab<'_>,
    locator_key: &str,
    next_link: impl FnOnce(&str, &mut Problems) -> Option<Locator>,
    body: Option<&JsonBody>,
    p: &mut Problems,
) -> Option<Paginate> {
    tab.check_keys(
        &[
            "kind",
            locator_key,
            "param",
            "field",
            "start",
            "size",
            "unit",
            "max_index",
        ],
        p,
    );
    let kind = tab.req_str("kind", p)?;
    if let Some(field) = tab.str("field", p) {
        return compile_body_field(tab, kind, field, body, p);
    }
    let param = tab.str("param", p).map(str::to_owned);
    let size = tab.uint("size", 1, p);
    let need = |key: &str, what: &str, p: &mut Problems| {
        p.bad(
            &tab.key(key),
            format!("paginate kind {kind:?} needs `{key}` ({what})"),
        )
    };
    match kind {
        "next" => match tab.str(locator_key, p) {
            Some(text) => next_link(text, p).map(Paginate::Next),
            None => {
                need(locator_key, "where the next link is", p);
                None
            }
        },
        "page" => {
            let start = tab.uint("start", 0, p).unwrap_or(1);
            match param {
                Some(param) => Some(Paginate::PageNumber { param, start }),
                None => {
                    need("param", "the query parameter", p);
                    None
                }
            }
        }
        "offset" => {
            if param.is_none() {
                need("param", "the query parameter", p);
            }
            if size.is_none() && !tab.has("size") {
                need("size", "items per page", p);
            }
            Some(Paginate::Offset {
                param: param?,
                size: size?,
            })
        }
        "range" => {
            if size.is_none() && !tab.has("size") {
                need("size", "items per request", p);
            }
            Some(Paginate::Range {
                param,
                unit: tab.str("unit", p).unwrap_or("items").to_owned(),
                size: size?,
                max_index: tab.uint("max_index", 0, p),
            })
        }
        other => {
            p.bad(
                &tab.key("kind"),
                format!("{other:?} is not a pagination kind: use {KINDS}"),
            );
            None
        }
    }
}

/// `[paginate] field`: kinds `page` and `offset` writing into the POSTed
/// body rather than the query string.
fn compile_body_field(
    tab: &Tab<'_>,
    kind: &str,
    field: &str,
    body: Option<&JsonBody>,
    p: &mut Problems,
) -> Option<Paginate> {
    let key = tab.key("field");
    let step = match kind {
        "page" => Some(1),
        "offset" => tab.uint("size", 1, p).or_else(|| {
            if !tab.has("size") {
                p.bad(
                    &tab.key("size"),
                    "paginate kind \"offset\" needs `size` (items per page)",
                );
            }
            None
        }),
        "next" | "range" => {
            p.bad(
                &key,
                format!("is not used by paginate kind {kind:?} (only page and offset write into the body)"),
            );
            None
        }
        other => {
            p.bad(
                &tab.key("kind"),
                format!("{other:?} is not a pagination kind: use {KINDS}"),
            );
            None
        }
    };
    for unused in ["param", "start"] {
        if tab.has(unused) {
            p.bad(
                &tab.key(unused),
                "is not used with `field`: the page number or offset is the body's, and its first value is the one `request.body` holds",
            );
        }
    }
    let Some(body) = body else {
        p.bad(
            &key,
            format!("{field:?} needs a body to write into: [request] method = \"POST\" with a `body` table"),
        );
        return None;
    };
    let keys = field_keys(field);
    let Some(first) = body.integer_at(&keys) else {
        p.bad(
            &key,
            format!("{field:?} is not an integer of `request.body` (write the first page's value there, e.g. 0)"),
        );
        return None;
    };
    Some(Paginate::Body {
        body: body.clone(),
        field: keys,
        first,
        step: step?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn page(url: &str, headers: &[(&str, &str)]) -> Page {
        Page {
            url: url.into(),
            body: String::new(),
            status: 206,
            headers: headers
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect(),
        }
    }

    fn range(param: Option<&str>) -> Paginate {
        Paginate::Range {
            param: param.map(str::to_owned),
            unit: "offres".into(),
            size: 150,
            max_index: Some(3149),
        }
    }

    #[test]
    fn ranges_follow_content_range_up_to_the_total_and_the_cap() {
        let p = page(
            "http://h/search?motsCles=rust&range=0-149",
            &[("content-range", "offres 0-149/320")],
        );
        let state = |p, items| PageState {
            page: p,
            number: 0,
            items,
            link: None,
        };
        let next = range(Some("range")).next(&state(&p, 150)).unwrap();
        assert_eq!(next.url, "http://h/search?motsCles=rust&range=150-299");
        let p = page(
            "http://h/search?range=300-319",
            &[("content-range", "offres 300-319/320")],
        );
        assert!(range(Some("range")).next(&state(&p, 20)).is_none());
        // The API's cap: no first index beyond max_index.
        let p = page(
            "http://h/search?range=3000-3149",
            &[("content-range", "offres 3000-3149/9000")],
        );
        assert!(range(Some("range")).next(&state(&p, 150)).is_none());
        let p = page(
            "http://h/search?range=2850-2999",
            &[("content-range", "offres 2850-2999/9000")],
        );
        assert_eq!(
            range(Some("range")).next(&state(&p, 150)).unwrap().url,
            "http://h/search?range=3000-3149"
        );
        // Header mode.
        let by_header = range(None);
        assert_eq!(
            by_header.start_headers(),
            vec![("Range".to_owned(), "offres=0-149".to_owned())]
        );
        let p = page("http://h/search", &[("Content-Range", "offres 0-149/200")]);
        let next = by_header.next(&state(&p, 150)).unwrap();
        assert_eq!(
            (next.url.as_str(), next.headers),
            (
                "http://h/search",
                vec![("Range".to_owned(), "offres=150-199".to_owned())]
            )
        );
    }
}

#[cfg(test)]
mod body_tests {
    use super::*;

    fn body(text: &str) -> JsonBody {
        let table: toml::Table = toml::from_str(text).unwrap();
        let mut p = Problems::new("x.toml");
        super::super::request::compile(&Tab::at(&table, "request"), &mut p).unwrap()
    }

    fn compiled(paginate: &str, body: Option<&JsonBody>) -> (Option<Paginate>, Vec<String>) {
        let table: toml::Table = toml::from_str(paginate).unwrap();
        let mut p = Problems::new("x.toml");
        let tab = Tab::at(&table, "paginate");
        let out = compile(&tab, "path", |_, _| None, body, &mut p);
        (out, p.list)
    }

    fn state(page: &Page, number: u32, items: usize) -> PageState<'_> {
        PageState {
            page,
            number,
            items,
            link: None,
        }
    }

    #[test]
    fn offsets_and_page_numbers_are_written_into_the_body() {
        let apec = body(
            "method = \"POST\"\n[body]\nmotsCles = \"linux\"\npagination = { range = 20, startIndex = 0 }\n",
        );
        let (paginate, problems) = compiled(
            "kind = \"offset\"\nfield = \"pagination.startIndex\"\nsize = 20\n",
            Some(&apec),
        );
        assert!(problems.is_empty(), "{problems:?}");
        let paginate = paginate.unwrap();
        let page = Page::new("http://h/search", "");
        let next = paginate.next(&state(&page, 0, 20)).unwrap();
        assert_eq!(next.url, "http://h/search");
        let sent: serde_json::Value = serde_json::from_str(next.body.as_deref().unwrap()).unwrap();
        assert_eq!(sent["pagination"]["startIndex"], 20);
        assert_eq!(sent["pagination"]["range"], 20);
        assert_eq!(sent["motsCles"], "linux");
        let third = paginate.next(&state(&page, 1, 20)).unwrap();
        assert!(third.body.unwrap().contains("\"startIndex\":40"));
        // A page without items ends it.
        assert!(paginate.next(&state(&page, 2, 0)).is_none());

        // Page numbers start at the body's value.
        let csp = body("method = \"POST\"\nbody = { page = 1 }\n");
        let (paginate, problems) = compiled("kind = \"page\"\nfield = \"page\"\n", Some(&csp));
        assert!(problems.is_empty(), "{problems:?}");
        let next = paginate.unwrap().next(&state(&page, 0, 20)).unwrap();
        assert_eq!(next.body.as_deref(), Some("{\"page\":2}"));
    }

    #[test]
    fn a_bad_field_names_the_key_and_the_value() {
        let csp = body("method = \"POST\"\nbody = { page = 1, query = \"rust\" }\n");
        let cases: &[(&str, Option<&JsonBody>, &[&str])] = &[
            (
                "kind = \"page\"\nfield = \"page\"\n",
                None,
                &["x.toml: `paginate.field`: \"page\" needs a body to write into: [request] method = \"POST\" with a `body` table"],
            ),
            (
                "kind = \"page\"\nfield = \"pagination.page\"\n",
                Some(&csp),
                &["x.toml: `paginate.field`: \"pagination.page\" is not an integer of `request.body` (write the first page's value there, e.g. 0)"],
            ),
            (
                "kind = \"page\"\nfield = \"query\"\n",
                Some(&csp),
                &["x.toml: `paginate.field`: \"query\" is not an integer of `request.body` (write the first page's value there, e.g. 0)"],
            ),
            (
                "kind = \"offset\"\nfield = \"page\"\n",
                Some(&csp),
                &["x.toml: `paginate.size`: paginate kind \"offset\" needs `size` (items per page)"],
            ),
            (
                "kind = \"next\"\nfield = \"page\"\n",
                Some(&csp),
                &["x.toml: `paginate.field`: is not used by paginate kind \"next\" (only page and offset write into the body)"],
            ),
            (
                "kind = \"page\"\nfield = \"page\"\nparam = \"p\"\nstart = 0\n",
                Some(&csp),
                &[
                    "x.toml: `paginate.param`: is not used with `field`: the page number or offset is the body's, and its first value is the one `request.body` holds",
                    "x.toml: `paginate.start`: is not used with `field`: the page number or offset is the body's, and its first value is the one `request.body` holds",
                ],
            ),
            (
                "kind = \"page\"\nfeild = \"page\"\nparam = \"p\"\n",
                Some(&csp),
                &["x.toml: `paginate.feild`: unknown key `feild`, did you mean `field`?"],
            ),
        ];
        for (text, body, expected) in cases {
            let (_, problems) = compiled(text, *body);
            assert_eq!(&problems, expected, "{text}");
        }
    }
}
