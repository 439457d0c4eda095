//! Body decoding: the charset from `Content-Type`, else a `<meta charset>` (or
//! `http-equiv`) in the first bytes, else UTF-8 — with Windows-1252 when the
//! bytes are not valid UTF-8 (old French sites). Never panics on bad bytes.

use encoding_rs::{Encoding, UTF_8, WINDOWS_1252};

/// Decodes a body to text.
pub fn decode(body: &[u8], content_type: Option<&str>) -> String {
    let encoding = content_type
        .and_then(charset_param)
        .and_then(|label| Encoding::for_label(label.as_bytes()))
        .or_else(|| Encoding::for_bom(body).map(|(e, _)| e))
        .or_else(|| meta_charset(body))
        .unwrap_or_else(|| {
            if std::str::from_utf8(body).is_ok() {
                UTF_8
            } else {
                WINDOWS_1252
            }
        });
    let (text, _, _) = encoding.decode(body);
    text.into_owned()
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
}
