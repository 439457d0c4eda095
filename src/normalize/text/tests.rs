//! The folding against its reference, and its steps one by one.

use super::tables::{HIGH, LOW};
use super::*;
use crate::extract::value::{html_to_text, plain_text};

#[track_caller]
fn same_as_reference(s: &str) {
    let want = reference::fold(s);
    let got = fold(s);
    assert_eq!(got, want, "{s:?}");
}

#[test]
fn fast_paths_match_reference_per_char_and_pairs() {
    let table_chars: Vec<char> = LOW
        .chain(HIGH)
        .chain(0x0370..0x0400)
        .chain([
            0x0915, 0x093E, 0x0B3E, 0x1100, 0x1161, 0x11A8, 0xAC00, 0x3000, 0xFB01, 0xFF21,
        ])
        .filter_map(char::from_u32)
        .collect();
    let partners: Vec<char> = "aÉé\u{301}\u{327}\u{308}’–«» \u{a0}\u{2009}œßı\u{ad}ǅ½…™ℌ\u{a8}\u{b4}\u{1161}\u{b3e}\u{2044}Ａ"
        .chars()
        .collect();
    for &c in &table_chars {
        same_as_reference(&format!("{c}"));
        same_as_reference(&format!("x{c}y"));
        same_as_reference(&format!("X {c} Y"));
        for &p in &partners {
            same_as_reference(&format!("a{c}{p}b"));
            same_as_reference(&format!("a{p}{c}b"));
            same_as_reference(&format!("{p}{c}{p}"));
        }
    }
}

#[test]
fn fast_paths_match_reference_on_random_text() {
    let pieces = [
        "a",
        "Z",
        "Go",
        " ",
        "  ",
        "\t",
        "\n",
        "\r\n",
        "\u{b}",
        "\u{1}",
        "\u{7f}",
        ".",
        "+",
        "#",
        "<p>",
        "</li>",
        "<br/>",
        "<!-- x -->",
        "&amp;",
        "&lt;p&gt;",
        "&eacute;",
        "&#39;",
        "&#x2019;",
        "&nbsp;",
        "&",
        "<",
        ">",
        "é",
        "É",
        "e\u{301}",
        "\u{301}",
        "ç",
        "Œ",
        "ß",
        "’",
        "—",
        "«",
        "»",
        "\u{a0}",
        "\u{202f}",
        "\u{200b}",
        "\u{ad}",
        "ﬁ",
        "Ｐ",
        "½",
        "™",
        "İ",
        "ǅ",
        "Ω",
        "日本",
        "\u{1100}\u{1161}",
        "가",
        "\u{915}\u{93e}",
        "😀",
        "\u{2028}",
        "Straße",
        "SÉCURITÉ",
        "l’équipe",
        "C++",
        "C#",
        ".NET",
        "Node.js",
        "Hello World of Kubernetes",
        "  two  spaces ",
        "@ABCXYZ[\\]^_`az{|}~",
        "a b c d e f g h i",
        "x\ty\u{7f}z",
        "MixedCase Words Here.",
        "end ",
        " start",
        "12345678",
        "<<<<<<<<",
    ];
    let mut state = 0x9e37_79b9_7f4a_7c15_u64;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    for _ in 0..40_000 {
        let len = (next() % 16) as usize;
        let s: String = (0..len)
            .map(|_| pieces[(next() % pieces.len() as u64) as usize])
            .collect();
        same_as_reference(&s);
    }
}

#[test]
fn accents_and_case() {
    let f = fold("SÉCURITÉ Opérationnelle");
    assert_eq!(f.as_str(), "securite operationnelle");
    assert!(f.is_upper(0));
    assert!(f.is_upper(1));
    assert!(!f.is_upper(10));
    assert_eq!(fold("Œuvre cœur ÇA").as_str(), "oeuvre coeur ca");
    assert_eq!(fold("Straße").as_str(), "strasse");
}

/// The folder reads plain text: markup and character references are
/// characters like any other (extract turned them into text before).
#[test]
fn markup_is_folded_as_the_characters_it_is_made_of() {
    assert_eq!(fold("<p>R&amp;D</p>").as_str(), "<p>r&amp;d</p>");
    assert_eq!(fold("a &lt; b").as_str(), "a &lt; b");
}

/// What the folder read before extract's conversion was the only one: the
/// text of HTML, entities and escaped markup, through `plain_text` (and
/// `html_to_text` for descriptions), folds as it did.
#[test]
fn html_and_entities() {
    let f = fold(&plain_text(
        "<p>Chef d&#39;&eacute;quipe&nbsp;<b>Python</b></p><br/>R&amp;D",
    ));
    assert_eq!(f.as_str(), "chef d'equipe python r&d");
    let f = fold(&plain_text("&lt;p&gt;Kubernetes&lt;/p&gt;&amp;nbsp;Go"));
    assert_eq!(f.as_str(), "kubernetes go");
    assert_eq!(
        fold(&plain_text("salary < 50k, a<b")).as_str(),
        "salary < 50k, a<b"
    );
    assert_eq!(fold(&plain_text("x <!-- hidden <b> --> y")).as_str(), "x y");
    let html = "<p>Chef d&#39;&eacute;quipe&nbsp;<b>Python</b></p><br/>R&amp;amp;D";
    assert_eq!(
        fold(&plain_text(&html_to_text(html))).as_str(),
        "chef d'equipe python r&d"
    );
}

#[test]
fn typography_and_whitespace() {
    let f = fold("  l\u{2019}open\u{2011}source \u{2014} ﬁnance\t\n\n  «Go»  ");
    assert_eq!(f.as_str(), "l'open-source - finance \"go\"");
    assert_eq!(fold("Kuber\u{00AD}netes").as_str(), "kubernetes");
    assert_eq!(fold("ＰＹＴＨＯＮ").as_str(), "python");
    assert_eq!(fold("e\u{0301}te\u{0301}").as_str(), "ete");
}

#[test]
fn case_reconstruction() {
    let f = fold("We use Go and GO and go");
    assert_eq!(f.original_case(7..9).as_deref(), Some("Go"));
    let go = fold("Go");
    assert!(f.same_case(7, &go));
    assert!(!f.same_case(14, &go));
    assert!(!f.same_case(20, &go));
    assert_eq!(f.upper_flags().len(), f.len());
}

#[test]
fn per_byte_flags_match_text_length() {
    for s in [
        "ÉCOLE Ωmega İstanbul ǅ",
        "日本語 テキスト",
        "a\u{0301}\u{0327}",
    ] {
        let f = fold(s);
        assert_eq!(f.upper_flags().len(), f.len(), "{s}");
    }
}
