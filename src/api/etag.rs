//! Entity tags of the responses computed from the counts (trends, top).
//!
//! Such a response depends only on its route, its parameters and the counts
//! the store shows, which change only when [`CountStore::generation`]
//! moves. So its tag is a hash of those three, known before any count is
//! read: a client that sends the tag back in `If-None-Match` gets a `304
//! Not Modified` without the store being touched.
//!
//! [`CountStore::generation`]: crate::store::CountStore::generation

use warp::http::{header, HeaderValue, Response, StatusCode};
use warp::hyper::body::Bytes;

use super::coding::Coding;
use super::Params;
use crate::domain::Day;

/// The entity tag of one response: a strong tag, `"` + 16 hex digits + `"`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) struct ETag(String);

impl ETag {
    /// The tag of `route`'s answer to `params` on `day` while the store's
    /// counts are at `generation`. The day is part of it because a query
    /// without `to` (or `from`) covers a range that ends today. Parameters
    /// are hashed in name order, so their order in the query string does
    /// not matter.
    pub(crate) fn of(generation: u64, route: &str, day: Day, params: &Params) -> ETag {
        let mut sorted: Vec<(&String, &String)> = params.iter().collect();
        sorted.sort();
        let mut bytes = Vec::with_capacity(64);
        bytes.extend_from_slice(&generation.to_be_bytes());
        bytes.extend_from_slice(route.as_bytes());
        bytes.extend_from_slice(&day.epoch_days().to_be_bytes());
        for (name, value) in sorted {
            // Each length first, so that no two lists of parameters
            // (`a=b&c=d`, `a=b%26c%3Dd`…) give the same bytes.
            for part in [name, value] {
                bytes.extend_from_slice(&(part.len() as u64).to_be_bytes());
                bytes.extend_from_slice(part.as_bytes());
            }
        }
        ETag::of_bytes(&bytes)
    }

    /// The tag of fixed content: a hash of its bytes (the dashboard's
    /// files, which change only with the binary).
    pub(crate) fn of_bytes(body: &[u8]) -> ETag {
        ETag(format!("\"{:016x}\"", xxhash_rust::xxh3::xxh3_64(body)))
    }

    /// The form of this tag an `If-None-Match` header value names: `*`, or
    /// a comma-separated list of tags, weak ones (`W/"…"`) compared by their
    /// opaque part as RFC 9110 asks for `If-None-Match`. The plain tag and
    /// its gzip form ([`ETag::coded`]) name the same content, so either
    /// matches; the `304` repeats the one the client named (the plain one
    /// for `*`), the tag of the representation it holds.
    pub(crate) fn matched(&self, if_none_match: Option<&str>) -> Option<ETag> {
        let gzip = self.coded(Coding::Gzip);
        if_none_match?
            .split(',')
            .map(str::trim)
            .find_map(|candidate| {
                let opaque = candidate.strip_prefix("W/").unwrap_or(candidate);
                if candidate == "*" || opaque == self.0 {
                    Some(self.clone())
                } else if opaque == gzip.0 {
                    Some(gzip.clone())
                } else {
                    None
                }
            })
    }

    /// The tag of this content sent in `coding`: the plain tag, or for gzip
    /// the same with `-gz` before the closing quote.
    pub(crate) fn coded(&self, coding: Coding) -> ETag {
        match coding {
            Coding::Identity => self.clone(),
            Coding::Gzip => {
                let opaque = self.0.strip_suffix('"').unwrap_or(&self.0);
                ETag(format!("{opaque}-gz\""))
            }
        }
    }

    /// The header value.
    pub(crate) fn header_value(&self) -> HeaderValue {
        // Quotes and hex digits only: always a valid header value.
        HeaderValue::from_str(&self.0).unwrap_or_else(|_| HeaderValue::from_static("\"\""))
    }

    /// Adds the tag to a response's headers.
    pub(crate) fn tag<B>(&self, response: &mut Response<B>) {
        response
            .headers_mut()
            .insert(header::ETAG, self.header_value());
    }

    /// The `304 Not Modified` answer: no body, the tag repeated.
    pub(crate) fn not_modified(&self) -> Response<Bytes> {
        let mut r = Response::new(Bytes::new());
        *r.status_mut() = StatusCode::NOT_MODIFIED;
        self.tag(&mut r);
        r
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn params(pairs: &[(&str, &str)]) -> Params {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    const D: Day = Day::MIN;

    #[test]
    fn the_tag_depends_on_generation_route_and_parameters_not_their_order() {
        let a = params(&[("skills", "python"), ("geo", "FR")]);
        let tag = ETag::of(7, "trends", D, &a);
        assert_eq!(tag, ETag::of(7, "trends", D, &a.clone()));
        assert_ne!(tag, ETag::of(8, "trends", D, &a));
        assert_ne!(tag, ETag::of(7, "top", D, &a));
        assert_ne!(tag, ETag::of(7, "trends", Day::MAX, &a));
        assert_ne!(
            tag,
            ETag::of(7, "trends", D, &params(&[("skills", "python")]))
        );
        assert_ne!(
            ETag::of(7, "trends", D, &params(&[("a", "b"), ("c", "d")])),
            ETag::of(7, "trends", D, &params(&[("a", "b\u{0}c\u{1}d")]))
        );
        assert!(tag.0.starts_with('"') && tag.0.ends_with('"') && tag.0.len() == 18);
    }

    #[test]
    fn if_none_match_lists_weak_tags_and_star_match() {
        let tag = ETag::of(1, "top", D, &Params::new());
        let t = tag.0.clone();
        assert!(tag.matched(Some(&t)).is_some());
        assert!(tag.matched(Some(&format!("W/{t}"))).is_some());
        assert!(tag.matched(Some(&format!("\"other\", {t}"))).is_some());
        assert!(tag.matched(Some("*")).is_some());
        assert!(tag.matched(Some("\"other\"")).is_none());
        assert!(tag.matched(Some("")).is_none());
        assert!(tag.matched(None).is_none());
        assert_eq!(tag.matched(Some("*")), Some(tag.clone()));
        let r = tag.not_modified();
        assert_eq!(r.status(), StatusCode::NOT_MODIFIED);
        assert_eq!(r.headers()[header::ETAG], t.as_str());
        assert!(r.body().is_empty());
    }

    #[test]
    fn the_gzip_form_is_its_own_strong_tag_and_if_none_match_names_either_form() {
        let tag = ETag::of(3, "trends", D, &Params::new());
        let gz = tag.coded(Coding::Gzip);
        assert_ne!(gz, tag);
        assert_eq!(gz.0, format!("{}-gz\"", &tag.0[..tag.0.len() - 1]));
        assert_eq!(tag.coded(Coding::Identity), tag);
        assert_eq!(tag.matched(Some(&gz.0)), Some(gz.clone()));
        assert_eq!(tag.matched(Some(&format!("W/{}", gz.0))), Some(gz.clone()));
        assert_eq!(
            tag.matched(Some(&format!("\"x\", {}", tag.0))),
            Some(tag.clone())
        );
        assert_eq!(gz.0.len(), 21);
        // Another answer's gzip form names nothing here.
        let other = ETag::of(4, "trends", D, &Params::new()).coded(Coding::Gzip);
        assert_eq!(tag.matched(Some(&other.0)), None);
        assert_eq!(gz.not_modified().headers()[header::ETAG], gz.0.as_str());
    }
}
