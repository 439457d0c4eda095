//! How costly an HTML document is to build into a tree, estimated before
//! building it.
//!
//! html5ever (under scraper) looks through the stack of open elements for
//! most start tags, so building a tree costs about the sum, over the start
//! tags, of how deep each one is: linear for real pages (depth ~30), but
//! quadratic for a document that opens tens of thousands of elements without
//! closing them (60,000 nested `<div>` took 30 s). [`tree_cost`] computes
//! that sum with a linear scan of the tags, so that such a page can be
//! refused before it is built. Descriptions are never built into a tree
//! ([`super::value::html_to_text`] reads their tokens), so they need no check.

/// The [`tree_cost`] above which a document is not built into a tree: about
/// 0.25 s of html5ever on this project's machine, 30 times what the largest
/// real job pages cost.
pub const MAX_TREE_COST: u64 = 50_000_000;

/// Elements with no content (never closed).
const VOID: &[&str] = &[
    "area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "param", "source",
    "track", "wbr",
];

/// Elements that pages often leave unclosed and that a parser closes by
/// itself at the next one: counting them as nesting would overestimate.
const SELF_ENDING: &[&str] = &[
    "p", "li", "dt", "dd", "option", "tr", "td", "th", "thead", "tbody", "tfoot",
];

/// The sum, over the start tags of `html`, of the number of elements open
/// when each is met (void, self-closing and self-ending elements do not
/// nest; the end tag of any other closes one level). Comments, doctypes and processing
/// instructions are skipped; the text of `<script>` and `<style>` is not
/// read as tags.
pub fn tree_cost(html: &str) -> u64 {
    let b = html.as_bytes();
    let mut i = 0;
    let mut depth: u64 = 0;
    let mut cost: u64 = 0;
    while let Some(at) = memchr::memchr(b'<', &b[i..]) {
        i += at + 1;
        match b.get(i) {
            Some(b'/') => {
                if nests(tag_name(b, i + 1)) {
                    depth = depth.saturating_sub(1);
                }
                i = skip_past(b, i, b">");
            }
            Some(b'!') if b[i..].starts_with(b"!--") => i = skip_past(b, i + 3, b"-->"),
            Some(b'!' | b'?') => i = skip_past(b, i, b">"),
            Some(c) if c.is_ascii_alphabetic() => {
                let name = tag_name(b, i);
                let end = skip_past(b, i + name.len(), b">");
                let self_closing = end >= 2 && b.get(end - 2) == Some(&b'/');
                cost = cost.saturating_add(depth);
                if !self_closing && nests(name) {
                    depth += 1;
                }
                i = end;
                // Their text is not markup.
                for raw in [&b"script"[..], b"style"] {
                    if name.eq_ignore_ascii_case(raw) {
                        i = find_end_tag(b, i, raw).unwrap_or(b.len());
                    }
                }
            }
            _ => {}
        }
    }
    cost
}

/// Whether building `html` into a tree would cost more than [`MAX_TREE_COST`].
pub fn too_deep(html: &str) -> bool {
    tree_cost(html) > MAX_TREE_COST
}

/// The tag name starting at `at` (ASCII letters and digits).
fn tag_name(b: &[u8], at: usize) -> &[u8] {
    let rest = b.get(at..).unwrap_or_default();
    let len = rest
        .iter()
        .position(|c| !c.is_ascii_alphanumeric())
        .unwrap_or(rest.len());
    &rest[..len]
}

/// Whether an element of this name holds what follows until its end tag.
fn nests(name: &[u8]) -> bool {
    !VOID
        .iter()
        .chain(SELF_ENDING)
        .any(|n| name.eq_ignore_ascii_case(n.as_bytes()))
}

/// The position just after the next `end` from `from` (or the end of `b`).
fn skip_past(b: &[u8], from: usize, end: &[u8]) -> usize {
    b.get(from..)
        .and_then(|rest| rest.windows(end.len()).position(|w| w == end))
        .map_or(b.len(), |n| from + n + end.len())
}

/// The position of the next `</name` (any case) from `from`.
fn find_end_tag(b: &[u8], from: usize, name: &[u8]) -> Option<usize> {
    let mut i = from;
    while let Some(at) = memchr::memchr(b'<', b.get(i..)?) {
        let start = i + at;
        if b.get(start + 1) == Some(&b'/')
            && b.get(start + 2..start + 2 + name.len())
                .is_some_and(|n| n.eq_ignore_ascii_case(name))
        {
            return Some(start);
        }
        i = start + 1;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn real_pages_cost_little_and_deep_nesting_a_lot() {
        let flat =
            "<div><p>Kubernetes &amp; <b>Linux</b><br><img src=x/></p></div>\n".repeat(10_000);
        assert!(tree_cost(&flat) < 100_000, "{}", tree_cost(&flat));
        // Unclosed paragraphs and list items do not nest.
        let sloppy = "<ul><li>Python<li>Rust<p>Go<p>C</ul>".repeat(10_000);
        assert!(tree_cost(&sloppy) < 2_000_000, "{}", tree_cost(&sloppy));
        let deep = format!(
            "{}{}",
            "<div><p>Kubernetes</p>".repeat(20_000),
            "</div>".repeat(20_000)
        );
        assert!(too_deep(&deep), "{}", tree_cost(&deep));
    }

    #[test]
    fn comments_scripts_and_odd_tags_are_not_nesting() {
        let text = format!(
            "<!doctype html><!-- {} --><script>{}</script><style>{}</style><?xml?><a>x</a>",
            "<div>".repeat(50_000),
            "if (a < b) { s = '<div>'; }".repeat(50_000),
            "<div>".repeat(50_000)
        );
        assert_eq!(tree_cost(&text), 0);
        assert_eq!(tree_cost("a < b and <3 <"), 0);
        assert_eq!(tree_cost("<div><div><DIV>"), 3);
    }
}
