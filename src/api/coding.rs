//! Content coding of the answers kept in the response cache: gzip for the
//! clients that accept it (`Accept-Encoding`), the plain bytes otherwise.
//!
//! A wide answer is big and repetitive (five skills over three years daily:
//! 794 KB of JSON, 389 KB of CSV) and a browser, `curl --compressed` or an
//! HTTP library asks for gzip. The compressed copy is made once, for the
//! first request of an answer that accepts it, and kept in the
//! [`ResponseCache`] beside the plain body, so a repeated request costs no
//! compression. Bodies under [`MIN_GZIP_BYTES`] and streamed answers are
//! always sent plain.
//!
//! The two representations have two strong tags (RFC 9110: a validator
//! names one representation): the gzip one is the plain tag with `-gz`
//! before its closing quote (`ETag::coded`); `If-None-Match` is matched
//! against either. Every answer that may be compressed carries
//! `Vary: Accept-Encoding`.

use std::io::Write as _;

use flate2::write::GzEncoder;
use flate2::Compression;
use warp::http::{header, HeaderValue, Response};
use warp::hyper::body::Bytes;

use super::cache::{Cached, ResponseCache};
use super::etag::ETag;
use super::work::StoreWork;

/// Bodies shorter than this are sent plain: gzip's header and trailer
/// would take back most of what it saves.
pub const MIN_GZIP_BYTES: usize = 1024;

/// A content coding the API answers with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Coding {
    /// The bytes as built.
    #[default]
    Identity,
    /// gzip (RFC 1952).
    Gzip,
}

impl Coding {
    /// The coding to answer with, given the request's `Accept-Encoding`
    /// value: gzip when `gzip` (or `x-gzip`, or else `*`) is listed with a
    /// quality above zero, identity otherwise (no header, `identity`,
    /// `gzip;q=0`, codings the API does not make).
    pub fn accepted(accept_encoding: Option<&str>) -> Coding {
        let Some(list) = accept_encoding else {
            return Coding::Identity;
        };
        let mut named = None;
        let mut star = None;
        for item in list.split(',') {
            let mut parts = item.split(';');
            let name = parts.next().unwrap_or("").trim();
            let quality = parts
                .filter_map(|p| {
                    let (k, v) = p.split_once('=')?;
                    k.trim().eq_ignore_ascii_case("q").then(|| v.trim())
                })
                .next_back()
                .map_or(Some(1.0), |v| v.parse::<f32>().ok());
            // An unreadable quality: the item is ignored, as if absent.
            let Some(quality) = quality else { continue };
            if name.eq_ignore_ascii_case("gzip") || name.eq_ignore_ascii_case("x-gzip") {
                named = Some(quality > 0.0);
            } else if name == "*" {
                star = Some(quality > 0.0);
            }
        }
        if named.or(star).unwrap_or(false) {
            Coding::Gzip
        } else {
            Coding::Identity
        }
    }
}

/// A body ready to send, and its coding.
#[derive(Debug, Clone)]
pub(crate) struct Encoded {
    /// The bytes sent.
    pub(crate) body: Bytes,
    /// How they are coded.
    pub(crate) coding: Coding,
}

impl Encoded {
    /// A body sent as built.
    pub(crate) fn plain(body: Bytes) -> Encoded {
        Encoded {
            body,
            coding: Coding::Identity,
        }
    }

    /// The `200` response: the body, `Content-Encoding` when compressed,
    /// `Vary: Accept-Encoding`, and the tag of this representation. The
    /// route adds its `Content-Type`.
    pub(crate) fn response(self, tag: &ETag) -> Response<Bytes> {
        let mut r = Response::new(self.body);
        let headers = r.headers_mut();
        headers.insert(header::VARY, HeaderValue::from_static("accept-encoding"));
        if self.coding == Coding::Gzip {
            headers.insert(header::CONTENT_ENCODING, HeaderValue::from_static("gzip"));
        }
        tag.coded(self.coding).tag(&mut r);
        r
    }
}

/// `body` compressed with gzip, or None when it is too short to be worth
/// it or would not shrink.
pub(crate) fn gzip(body: &[u8]) -> Option<Bytes> {
    if body.len() < MIN_GZIP_BYTES {
        return None;
    }
    // The fast level: the answers are repetitive enough that it shrinks
    // them almost as much as the default, in a third of the time
    // (BENCHMARKS.md, "compressed copies").
    let mut encoder = GzEncoder::new(Vec::with_capacity(body.len() / 4), Compression::fast());
    // Writing to a Vec cannot fail.
    encoder.write_all(body).ok()?;
    let compressed = encoder.finish().ok()?;
    (compressed.len() < body.len()).then(|| Bytes::from(compressed))
}

/// On the blocking pool, for a body just built: keeps it in `cache` under
/// `tag` and returns it coded as `wanted` (the compressed copy kept too).
pub(crate) fn keep(
    cache: &ResponseCache,
    generation: u64,
    tag: &ETag,
    body: Bytes,
    wanted: Coding,
) -> Encoded {
    cache.insert(generation, tag.clone(), body.clone());
    if wanted == Coding::Gzip {
        if let Some(compressed) = gzip(&body) {
            cache.keep_gzip(tag, compressed.clone());
            return Encoded {
                body: compressed,
                coding: Coding::Gzip,
            };
        }
    }
    Encoded::plain(body)
}

/// On the async worker, for a cache hit: the body coded as `wanted`. A
/// compressed copy not made yet is made on the blocking pool (in `work`'s
/// turn) and kept.
pub(crate) async fn hit(
    cache: &ResponseCache,
    work: &StoreWork,
    tag: &ETag,
    cached: Cached,
    wanted: Coding,
) -> Encoded {
    if wanted == Coding::Identity || cached.body.len() < MIN_GZIP_BYTES {
        return Encoded::plain(cached.body);
    }
    if let Some(compressed) = cached.gzip {
        return Encoded {
            body: compressed,
            coding: Coding::Gzip,
        };
    }
    let body = cached.body.clone();
    match work.run(move || gzip(&body)).await {
        Ok(Some(compressed)) => {
            cache.keep_gzip(tag, compressed.clone());
            Encoded {
                body: compressed,
                coding: Coding::Gzip,
            }
        }
        // Would not shrink, or the pool failed: the plain body is right too.
        Ok(None) | Err(_) => Encoded::plain(cached.body),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Read as _;

    #[test]
    fn gzip_is_chosen_only_when_the_client_accepts_it() {
        for (header, expected) in [
            (None, Coding::Identity),
            (Some(""), Coding::Identity),
            (Some("identity"), Coding::Identity),
            (Some("br, zstd"), Coding::Identity),
            (Some("gzip"), Coding::Gzip),
            (Some("GZip"), Coding::Gzip),
            (Some("x-gzip"), Coding::Gzip),
            (Some("gzip, deflate, br, zstd"), Coding::Gzip),
            (Some("deflate;q=1.0, gzip;q=0.5"), Coding::Gzip),
            (Some("gzip;q=0"), Coding::Identity),
            (Some("gzip; q=0.000"), Coding::Identity),
            (Some("*"), Coding::Gzip),
            (Some("*;q=0"), Coding::Identity),
            (Some("*, gzip;q=0"), Coding::Identity),
            (Some("gzip;q=0, *"), Coding::Identity),
            (Some("br, *;q=0.1"), Coding::Gzip),
            (Some("gzip;q=high"), Coding::Identity),
        ] {
            assert_eq!(Coding::accepted(header), expected, "{header:?}");
        }
    }

    #[test]
    fn a_compressed_body_unpacks_to_the_same_bytes_and_small_ones_stay_plain() {
        let body: Vec<u8> = (0..5_000)
            .flat_map(|i| {
                format!("{{\"date\":\"2024-01-{:02}\",\"count\":{i}}},", i % 28 + 1).into_bytes()
            })
            .collect();
        let compressed = gzip(&body).expect("a long repetitive body shrinks");
        assert!(compressed.len() * 4 < body.len(), "{}", compressed.len());
        let mut back = Vec::new();
        flate2::read::GzDecoder::new(&compressed[..])
            .read_to_end(&mut back)
            .unwrap();
        assert_eq!(back, body);
        assert_eq!(gzip(&body[..MIN_GZIP_BYTES - 1]), None);
    }

    #[test]
    fn a_response_names_its_coding_and_its_own_tag() {
        let tag = ETag::of_bytes(b"answer");
        let plain = Encoded::plain(Bytes::from_static(b"{}")).response(&tag);
        assert_eq!(plain.headers()[header::VARY], "accept-encoding");
        assert!(plain.headers().get(header::CONTENT_ENCODING).is_none());
        assert_eq!(plain.headers()[header::ETAG], tag.header_value());
        let zipped = Encoded {
            body: Bytes::from_static(b"\x1f\x8b"),
            coding: Coding::Gzip,
        }
        .response(&tag);
        assert_eq!(zipped.headers()[header::CONTENT_ENCODING], "gzip");
        let gz_tag = zipped.headers()[header::ETAG].to_str().unwrap().to_owned();
        assert_ne!(gz_tag, tag.header_value().to_str().unwrap());
        assert!(gz_tag.ends_with("-gz\""), "{gz_tag}");
        assert!(tag.matched(Some(&gz_tag)).is_some());
    }
}
