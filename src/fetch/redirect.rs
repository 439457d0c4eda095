//! Redirects, followed by the fetcher itself, one hop at a time (reqwest's
//! own policy is off), so that every hop is a request like any other: its
//! host's robots.txt, rate limit and concurrency permit, retries and timeout
//! count. This module decides where a redirect leads and what the next
//! request carries; the fetcher sends it.
//!
//! - **Which answers**: 301, 302, 303, 307 and 308 with a `Location`
//!   (resolved against the current URL). Other 3xx are ordinary statuses.
//! - **Limits**: http and https only, no loop (a URL already visited by this
//!   request), at most `max_redirects` hops.
//! - **Method**: 307 and 308 keep the method and the body; 303 always, and
//!   301 / 302 after a POST, become a GET without body (RFC 9110 § 15.4, as
//!   browsers do).
//! - **Credentials never cross origins.** A hop to another origin (scheme,
//!   host or port differ) drops every header the caller supplied — auth
//!   headers have arbitrary names (`X-Api-Key`), so there is no allow-list —
//!   and the headers stay dropped for the rest of the chain, even back on
//!   the first origin (the other origin chose that URL). A form POST (an
//!   OAuth2 token request, client secret in the body) redirected to another
//!   origin is refused, whatever the status.
//! - **An authenticated GET still follows a cross-origin redirect, without
//!   its headers.** That is what browsers (Fetch standard) and curl do, and
//!   what redirects to a CDN or object storage (signed URLs), or from
//!   `http://` to `https://`, need. Refusing would turn those into failures
//!   and protect nothing more: no secret leaves the origin it was meant for,
//!   and the other origin answers what it would answer anyone (a 401 or 403
//!   there is reported as that page's error, naming the URL). The price: a
//!   conditional or `Range` header is dropped too, so that hop gets a full
//!   `200` instead of a `304` or `206` — correct, only less economical.

use reqwest::{StatusCode, Url};

use super::host::HostKey;

/// Whether `status` is a redirect this client follows (when it has a `Location`).
pub(crate) fn is_redirect(status: StatusCode) -> bool {
    matches!(status.as_u16(), 301 | 302 | 303 | 307 | 308)
}

/// The request a redirect leads to.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct NextHop {
    /// Where.
    pub(crate) url: Url,
    /// Whether a POST stays a POST with its body (307, 308).
    pub(crate) keeps_body: bool,
    /// Whether the hop leaves the current origin.
    pub(crate) cross_origin: bool,
}

/// Why a redirect is not followed.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Refused {
    /// Bad target, loop or too many hops.
    Bad(BadRedirect),
    /// A form POST redirected to another origin.
    FormAcrossOrigins {
        /// The origin the form was meant for.
        from: HostKey,
        /// The origin of the redirect's target.
        to: HostKey,
    },
}

/// What is wrong with a redirect: where it leads, or how long the chain got.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BadRedirect {
    /// The `Location` header is not a URL, even relative to the current one.
    #[error("unreadable Location {location:?}")]
    Location {
        /// The header, as sent.
        location: String,
        /// Why it does not resolve.
        #[source]
        source: url::ParseError,
    },
    /// The target is not http(s).
    #[error("redirect to a {} URL refused ({target})", .target.scheme())]
    Scheme {
        /// Where the redirect pointed.
        target: Url,
    },
    /// The target was already visited by this request.
    #[error("redirect loop back to {target}")]
    Loop {
        /// The URL visited again.
        target: Url,
    },
    /// The chain is longer than `max_redirects`.
    #[error("more than {max} redirects (max_redirects), the last to {target}")]
    TooMany {
        /// `max_redirects`.
        max: usize,
        /// Where the redirect over the limit pointed.
        target: Url,
    },
}

/// Where the `status` answer of `from`, with `location`, leads. `post` says
/// whether `from` was requested with a body (a form or JSON); `visited` holds every URL of
/// the chain so far (the first included); `max` is `max_redirects`.
pub(crate) fn next_hop(
    from: &Url,
    status: StatusCode,
    location: &str,
    post: bool,
    visited: &[Url],
    max: usize,
) -> Result<NextHop, Refused> {
    let url = from.join(location.trim()).map_err(|source| {
        Refused::Bad(BadRedirect::Location {
            location: location.to_owned(),
            source,
        })
    })?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(Refused::Bad(BadRedirect::Scheme { target: url }));
    }
    if visited.iter().any(|v| same_resource(v, &url)) {
        return Err(Refused::Bad(BadRedirect::Loop { target: url }));
    }
    if visited.len() > max {
        return Err(Refused::Bad(BadRedirect::TooMany { max, target: url }));
    }
    let cross_origin = HostKey::of(from) != HostKey::of(&url);
    if post && cross_origin {
        return Err(Refused::FormAcrossOrigins {
            from: HostKey::of(from),
            to: HostKey::of(&url),
        });
    }
    Ok(NextHop {
        url,
        keeps_body: post && matches!(status.as_u16(), 307 | 308),
        cross_origin,
    })
}

/// Whether two URLs name the same resource (the fragment is never sent).
fn same_resource(a: &Url, b: &Url) -> bool {
    a.as_str().split('#').next() == b.as_str().split('#').next()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn url(s: &str) -> Url {
        Url::parse(s).unwrap()
    }

    fn status(code: u16) -> StatusCode {
        StatusCode::from_u16(code).unwrap()
    }

    #[test]
    fn only_the_five_redirect_statuses_are_followed() {
        for code in [301, 302, 303, 307, 308] {
            assert!(is_redirect(status(code)), "{code}");
        }
        for code in [300, 304, 305, 306, 200, 404] {
            assert!(!is_redirect(status(code)), "{code}");
        }
    }

    #[test]
    fn relative_locations_resolve_and_origins_compare_scheme_host_port() {
        let from = url("http://h:81/a/b?x=1");
        let visited = [from.clone()];
        let same = next_hop(&from, status(302), "../c", false, &visited, 5).unwrap();
        assert_eq!(same.url.as_str(), "http://h:81/c");
        assert!(!same.cross_origin);
        for other in ["http://h:82/c", "https://h:81/c", "http://g:81/c"] {
            let hop = next_hop(&from, status(302), other, false, &visited, 5).unwrap();
            assert!(hop.cross_origin, "{other}");
        }
    }

    #[test]
    fn method_semantics() {
        let from = url("http://h/token");
        let visited = [from.clone()];
        for (code, keeps) in [
            (301, false),
            (302, false),
            (303, false),
            (307, true),
            (308, true),
        ] {
            let hop = next_hop(&from, status(code), "/t2", true, &visited, 5).unwrap();
            assert_eq!(hop.keeps_body, keeps, "{code}");
            // A GET has no body to keep.
            let get = next_hop(&from, status(code), "/t2", false, &visited, 5).unwrap();
            assert!(!get.keeps_body, "{code}");
        }
    }

    #[test]
    fn a_form_never_goes_to_another_origin() {
        let from = url("https://auth.example.com/token");
        for code in [302, 303, 307, 308] {
            let err = next_hop(
                &from,
                status(code),
                "https://evil.example.net/t",
                true,
                std::slice::from_ref(&from),
                5,
            )
            .unwrap_err();
            assert_eq!(
                err,
                Refused::FormAcrossOrigins {
                    from: HostKey::of(&from),
                    to: HostKey::of(&url("https://evil.example.net/")),
                }
            );
        }
    }

    #[test]
    fn schemes_loops_and_the_cap() {
        let from = url("http://h/a");
        let first = [from.clone()];
        let refused = |location: &str, visited: &[Url], max| match next_hop(
            &from,
            status(302),
            location,
            false,
            visited,
            max,
        ) {
            Err(Refused::Bad(why)) => why,
            other => panic!("{location}: {other:?}"),
        };
        let ftp = refused("ftp://h/x", &first, 5);
        assert_eq!(
            ftp,
            BadRedirect::Scheme {
                target: url("ftp://h/x")
            }
        );
        assert!(ftp.to_string().contains("ftp"));
        let back = refused("/a#top", &first, 5);
        assert_eq!(
            back,
            BadRedirect::Loop {
                target: url("http://h/a#top")
            }
        );
        assert!(back.to_string().contains("loop"));
        let chain: Vec<Url> = (0..6).map(|i| url(&format!("http://h/c{i}"))).collect();
        assert!(refused("/next", &chain, 5)
            .to_string()
            .contains("more than 5"));
        assert!(next_hop(&from, status(302), "/next", false, &chain[..5], 5).is_ok());
        assert_eq!(
            refused("/next", &first, 0),
            BadRedirect::TooMany {
                max: 0,
                target: url("http://h/next")
            }
        );
        assert!(refused("/next", &first, 0)
            .to_string()
            .contains("more than 0"));
    }

    #[test]
    fn an_unreadable_location_keeps_the_parse_error_as_its_source() {
        let from = url("http://h/a");
        let Err(Refused::Bad(bad)) = next_hop(
            &from,
            status(302),
            "http://[oops/",
            false,
            std::slice::from_ref(&from),
            5,
        ) else {
            panic!("an unreadable Location is refused");
        };
        assert!(bad.to_string().contains("\"http://[oops/\""), "{bad}");
        let source = std::error::Error::source(&bad).expect("a source");
        assert_eq!(
            source.downcast_ref::<url::ParseError>(),
            Some(&url::ParseError::InvalidIpv6Address)
        );
    }
}
