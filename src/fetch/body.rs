//! A response body: streamed chunk by chunk up to the cap (a declared
//! length over it is refused before reading), then decoded to text
//! ([`super::decode`], with the site's top-level domain as a hint).

use reqwest::header::CONTENT_TYPE;
use reqwest::{Response, Url};

use super::{decode, Fetched};

/// Why a body was not read whole.
pub(super) enum BodyError {
    /// It is (or says it is) longer than the cap.
    TooLarge,
    /// Reading it failed (broken connection, timeout, bad compression).
    Read(reqwest::Error),
}

/// Reads `response`'s body, at most `limit` bytes after decompression.
pub(super) async fn read_capped(
    response: &mut Response,
    limit: usize,
) -> Result<Vec<u8>, BodyError> {
    if response.content_length().is_some_and(|n| n > limit as u64) {
        return Err(BodyError::TooLarge);
    }
    let mut body = Vec::new();
    while let Some(chunk) = response.chunk().await.map_err(BodyError::Read)? {
        if body.len() + chunk.len() > limit {
            return Err(BodyError::TooLarge);
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

/// The headers of a response worth keeping (lowercase names; values that
/// are not visible ASCII are left out) and its `Content-Type`.
pub(super) fn headers_of(response: &Response) -> (Vec<(String, String)>, Option<String>) {
    let headers = response
        .headers()
        .iter()
        .filter_map(|(k, v)| Some((k.as_str().to_owned(), v.to_str().ok()?.to_owned())))
        .collect();
    let content_type = response
        .headers()
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    (headers, content_type)
}

/// The page `url` answered with `status`, `headers` and `body`, its body
/// decoded to text.
pub(super) fn page(
    url: &Url,
    status: u16,
    headers: Vec<(String, String)>,
    content_type: Option<&str>,
    body: &[u8],
) -> Fetched {
    let tld = top_level_domain(url);
    Fetched {
        url: url.to_string(),
        status,
        bytes: body.len(),
        body: decode::decode_with_tld(body, content_type, tld.map(str::as_bytes)),
        retries: 0,
        headers,
    }
}

/// The top-level domain of `url`'s host when it is one (two letters or
/// more, all ASCII letters): `fr` for `emploi.exemple.fr`, none for an IP
/// address.
pub(super) fn top_level_domain(url: &Url) -> Option<&str> {
    url.host_str()
        .and_then(|h| h.rsplit('.').next())
        .filter(|t| t.len() >= 2 && t.bytes().all(|b| b.is_ascii_alphabetic()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tld(url: &str) -> Option<String> {
        top_level_domain(&Url::parse(url).unwrap()).map(str::to_owned)
    }

    #[test]
    fn the_top_level_domain_is_a_hint_only_when_it_is_letters() {
        assert_eq!(
            tld("https://emploi.exemple.fr/offres").as_deref(),
            Some("fr")
        );
        assert_eq!(tld("http://LOCALHOST:8080/").as_deref(), Some("localhost"));
        assert_eq!(tld("http://127.0.0.1:8080/"), None);
        assert_eq!(tld("http://[::1]/"), None);
        assert_eq!(tld("http://x.a/"), None, "one letter is no domain");
        assert_eq!(
            tld("http://host.xn--p1ai/"),
            None,
            "punycode is not letters"
        );
    }

    #[test]
    fn a_page_is_decoded_with_its_charset_and_counts_raw_bytes() {
        let url = Url::parse("https://jobs.example.fr/1").unwrap();
        let body = b"<p>D\xe9veloppeur</p>";
        let page = page(
            &url,
            200,
            vec![("etag".into(), "\"v1\"".into())],
            Some("text/html; charset=iso-8859-1"),
            body,
        );
        assert_eq!(page.body, "<p>Développeur</p>");
        assert_eq!(page.bytes, body.len());
        assert_eq!((page.status, page.retries), (200, 0));
        assert_eq!(page.url, "https://jobs.example.fr/1");
        assert_eq!(page.headers, [("etag".to_owned(), "\"v1\"".to_owned())]);
    }
}
