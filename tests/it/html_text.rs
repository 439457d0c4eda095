//! HTML descriptions are read as a stream of tokens (`extract::value::html_to_text`,
//! html5gum): the text must be what a tree builder gives (html5ever under
//! scraper, which read them before), on every HTML text the fixtures hold.

use std::path::Path;

use serde_json::Value;
use skilltrack::extract::value::{fold_whitespace, html_to_text, is_block_element};

/// The text of `html` as the tree gives it: text nodes in document order
/// (not those of scripts and styles), a line break where a block element
/// starts, whitespace folded.
fn text_of_tree(html: &str) -> String {
    let fragment = scraper::Html::parse_fragment(html);
    let mut out = String::new();
    for node in fragment.root_element().descendants() {
        match node.value() {
            scraper::Node::Text(t) => {
                let parent = node.parent().and_then(|p| p.value().as_element());
                if !parent.is_some_and(|e| matches!(e.name(), "script" | "style")) {
                    out.push_str(t);
                }
            }
            scraper::Node::Element(e) if is_block_element(e.name()) => out.push('\n'),
            _ => {}
        }
    }
    fold_whitespace(&out)
}

/// Every HTML description of the evaluation sets, then every HTML page of
/// the source fixtures read whole (heads, JSON-LD scripts, navigation,
/// footers); and how many of them are descriptions.
fn html_texts() -> (Vec<String>, usize) {
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
    let mut files = vec![fixtures.join("skills_eval.jsonl")];
    for entry in std::fs::read_dir(fixtures.join("postings_eval")).unwrap() {
        files.push(entry.unwrap().path());
    }
    let mut texts = Vec::new();
    for file in files
        .iter()
        .filter(|p| p.extension().is_some_and(|e| e == "jsonl"))
    {
        for line in std::fs::read_to_string(file).unwrap().lines() {
            let Ok(posting) = serde_json::from_str::<Value>(line) else {
                continue;
            };
            if let Some(d) = posting["description"].as_str().filter(|d| d.contains('<')) {
                texts.push(d.to_owned());
            }
        }
    }
    let descriptions = texts.len();
    for dir in std::fs::read_dir(&fixtures).unwrap() {
        let dir = dir.unwrap().path();
        if !dir.is_dir() {
            continue;
        }
        for page in std::fs::read_dir(&dir).unwrap() {
            let page = page.unwrap().path();
            if page.extension().is_some_and(|e| e == "html") {
                texts.push(std::fs::read_to_string(&page).unwrap());
            }
        }
    }
    (texts, descriptions)
}

#[test]
fn the_token_stream_gives_the_text_a_tree_gives() {
    let (texts, descriptions) = html_texts();
    assert!(
        descriptions >= 150 && texts.len() >= descriptions + 5,
        "{descriptions} descriptions, {} texts",
        texts.len()
    );
    for html in &texts {
        assert_eq!(
            html_to_text(html),
            text_of_tree(html),
            "{}",
            &html[..html.len().min(200)]
        );
    }
}
