//! Body decoding to text. The encoding is taken, in order, from a byte-order
//! mark, the `Content-Type` charset, a `<meta charset>` (or `http-equiv`) in
//! the first 2 KB, and finally detection (chardetng, which knows Latin-1 /
//! Windows-1252 French pages). Decoding goes through encoding_rs: invalid
//! bytes become U+FFFD, never a panic.

use encoding_rs::Encoding;

/// Decodes a body to text (no hint about the site's country).
pub fn decode(body: &[u8], content_type: Option<&str>) -> String {
    decode_with_tld(body, content_type, None)
}

/// Decodes a body to text; `tld` (e.g. `b"fr"`) helps detection when
/// neither the header nor the page names a charset.
pub fn decode_with_tld(body: &[u8], content_type: Option<&str>, tld: Option<&[u8]>) -> String {
    let (text, _, _) = encoding_for(body, content_type, tld).decode(body);
    text.into_owned()
}

/// The encoding [`decode_with_tld`] uses for `body`.
pub fn encoding_for(
    body: &[u8],
    content_type: Option<&str>,
    tld: Option<&[u8]>,
) -> &'static Encoding {
    Encoding::for_bom(body)
        .map(|(e, _)| e)
        .or_else(|| {
            content_type
                .and_then(charset_param)
                .and_then(|label| Encoding::for_label(label.as_bytes()))
        })
        .or_else(|| meta_charset(body))
        .unwrap_or_else(|| detect(body, tld))
}

/// chardetng's guess over (at most) the first 64 KB.
fn detect(body: &[u8], tld: Option<&[u8]>) -> &'static Encoding {
    let sample = &body[..body.len().min(64 * 1024)];
    let mut detector = chardetng::EncodingDetector::new(chardetng::Iso2022JpDetection::Deny);
    detector.feed(sample, sample.len() == body.len());
    detector.guess(tld, chardetng::Utf8Detection::Allow)
}

fn charset_param(content_type: &str) -> Option<String> {
    content_type.split(';').skip(1).find_map(|param| {
        let (k, v) = param.split_once('=')?;
        (k.trim().eq_ignore_ascii_case("charset"))
            .then(|| v.trim().trim_matches(['"', '\'']).to_owned())
    })
}

/// `<meta charset="…">` or `content="text/html; charset=…"` in the first 2 KB.
fn meta_charset(body: &[u8]) -> Option<&'static Encoding> {
    let head = &body[..body.len().min(2048)];
    let head = String::from_utf8_lossy(head).to_ascii_lowercase();
    let at = head.find("charset=")?;
    let rest = head[at + 8..].trim_start_matches(['"', '\'', ' ']);
    let end = rest
        .find(|c: char| !(c.is_ascii_alphanumeric() || c == '-' || c == '_'))
        .unwrap_or(rest.len());
    Encoding::for_label(&rest.as_bytes()[..end])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn latin1_with_header_meta_or_nothing() {
        let body = b"<p>D\xe9veloppeur S\xe9curit\xe9</p>";
        assert_eq!(
            decode(body, Some("text/html; charset=ISO-8859-1")),
            "<p>Développeur Sécurité</p>"
        );
        let with_meta = b"<meta charset=\"iso-8859-1\"><p>\xe9t\xe9</p>";
        assert!(decode(with_meta, Some("text/html")).contains("été"));
        assert!(decode(body, None).contains("Développeur"));
        assert_eq!(decode("déjà".as_bytes(), None), "déjà");
    }

    #[test]
    fn windows_1252_is_detected_without_any_label() {
        // 0x92 is a curly apostrophe and 0x80 the euro sign in Windows-1252.
        let body = b"<p>L\x92\xe9quipe recrute un d\xe9veloppeur \xe0 Lyon, salaire 45 000 \x80, t\xe9l\xe9travail possible.</p>";
        let text = decode_with_tld(body, Some("text/html"), Some(b"fr"));
        assert!(text.contains("L’équipe"), "{text}");
        assert!(text.contains("45 000 €"), "{text}");
    }

    #[test]
    fn bom_wins_and_invalid_bytes_never_panic() {
        assert_eq!(
            decode(
                b"\xef\xbb\xbfcaf\xc3\xa9",
                Some("text/html; charset=iso-8859-1")
            ),
            "café"
        );
        let garbage: Vec<u8> = (0..=255u8).cycle().take(5000).collect();
        let text = decode(&garbage, Some("text/html; charset=utf-8"));
        assert!(text.contains('\u{FFFD}'));
        let _ = decode(&garbage, Some("text/html; charset=bogus"));
        let _ = decode(&[0xff, 0xfe, 0x00], None);
    }
}
