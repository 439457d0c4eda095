//! How costly an HTML document is to build into a tree, estimated before
//! building it.
//!
//! html5ever (under scraper) looks through the stack of open elements for
//! most start tags, so building a tree costs about the sum, over the start
//! tags, of how deep each one is: linear for real pages (depth ~30), but
//! quadratic for a document that opens tens of thousands of elements without
//! closing them (60,000 nested `<div>` took 30 s). [`tree_cost`] computes
//! that sum with a linear scan of the tags, so such a document can be refused
//! (a page) or read without a tree (a description) instead.

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
    while let Some(at) = memchr(b'<', &b[i..]) {
        i += at + 1;
        match b.get(i) {
            Some(b'/') => {
                let name_end = b[i + 1..]
                    .iter()
                    .position(|c| !c.is_ascii_alphanumeric())
                    .map_or(b.len(), |n| i + 1 + n);
                let name = html[i + 1..name_end].to_ascii_lowercase();
                if !(VOID.contains(&name.as_str()) || SELF_ENDING.contains(&name.as_str())) {
                    depth = depth.saturating_sub(1);
                }
                i = skip_past(b, i, b">");
            }
            Some(b'!') if b[i..].starts_with(b"!--") => i = skip_past(b, i + 3, b"-->"),
            Some(b'!' | b'?') => i = skip_past(b, i, b">"),
            Some(c) if c.is_ascii_alphabetic() => {
                let name_end = b[i..]
                    .iter()
                    .position(|c| !c.is_ascii_alphanumeric())
                    .map_or(b.len(), |n| i + n);
                let name = html[i..name_end].to_ascii_lowercase();
                let end = skip_past(b, name_end, b">");
                let self_closing = end >= 2 && b.get(end - 2) == Some(&b'/');
                cost = cost.saturating_add(depth);
                if !(self_closing
                    || VOID.contains(&name.as_str())
                    || SELF_ENDING.contains(&name.as_str()))
                {
                    depth += 1;
                }
                i = end;
                if name == "script" || name == "style" {
                    let close = format!("</{name}");
                    i = find_ignore_case(b, i, close.as_bytes()).unwrap_or(b.len());
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

fn memchr(needle: u8, hay: &[u8]) -> Option<usize> {
    hay.iter().position(|&c| c == needle)
}

/// The position just after the next `end` from `from` (or the end of `b`).
fn skip_past(b: &[u8], from: usize, end: &[u8]) -> usize {
    b.get(from..)
        .and_then(|rest| rest.windows(end.len()).position(|w| w == end))
        .map_or(b.len(), |n| from + n + end.len())
}

/// The position of the next `needle` (ASCII, any case) from `from`.
fn find_ignore_case(b: &[u8], from: usize, needle: &[u8]) -> Option<usize> {
    b.get(from..)?
        .windows(needle.len())
        .position(|w| w.eq_ignore_ascii_case(needle))
        .map(|n| from + n)
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
