//! robots.txt (RFC 9309), parsed by `texting_robots`.
//!
//! Fetched once per host and cached. 2xx: the rules for our product token
//! (the User-Agent up to the first `/` or space), `Crawl-delay` included.
//! 4xx (404, 403, 410…): no rules, everything allowed. 429, 5xx or an
//! unreachable host: everything disallowed until the (shorter) error
//! cache expires, so the run that saw it requests nothing from that host.
//! Only the first [`MAX_ROBOTS_BYTES`] are read; up to
//! [`MAX_ROBOTS_REDIRECTS`] redirects to it are followed. Every URL a
//! request visits, redirect targets included, is checked against its own
//! host's rules.

use std::sync::Arc;
use std::time::Duration;

use reqwest::Url;
use texting_robots::Robot;
use tokio::time::Instant;

/// Bytes of a robots.txt read (RFC 9309 asks crawlers to parse at least 500 KiB).
pub const MAX_ROBOTS_BYTES: usize = 512 * 1024;
/// Redirects followed to reach a robots.txt (RFC 9309 asks for at least five).
pub const MAX_ROBOTS_REDIRECTS: usize = 5;

/// What a host's robots.txt says about us.
#[derive(Debug)]
pub(crate) enum Rules {
    /// No usable robots.txt (4xx, or a file we could not parse): all allowed.
    AllowAll,
    /// robots.txt unreachable or failing: nothing may be fetched for now.
    DisallowAll(String),
    /// Parsed rules for our product token.
    Parsed(Box<Robot>),
}

impl Rules {
    /// Whether `url` may be fetched.
    pub(crate) fn allows(&self, url: &Url) -> bool {
        match self {
            Rules::AllowAll => true,
            Rules::DisallowAll(_) => false,
            Rules::Parsed(robot) => robot.allowed(url.as_str()),
        }
    }

    /// The `Crawl-delay` for our product token, if any.
    pub(crate) fn crawl_delay(&self) -> Option<Duration> {
        match self {
            Rules::Parsed(robot) => robot
                .delay
                .filter(|d| d.is_finite() && *d > 0.0)
                .map(|d| Duration::from_secs_f32(d.min(86_400.0))),
            _ => None,
        }
    }

    /// Why everything is disallowed, when it is.
    pub(crate) fn unavailable(&self) -> Option<&str> {
        match self {
            Rules::DisallowAll(why) => Some(why),
            _ => None,
        }
    }

    /// The rules a robots.txt answer implies.
    pub(crate) fn from_answer(status: u16, body: &[u8], agent: &str) -> Rules {
        match status {
            200..=299 => match Robot::new(agent, body) {
                Ok(robot) => Rules::Parsed(Box::new(robot)),
                Err(e) => {
                    tracing::warn!(error = %e, "Unparsable robots.txt: treated as no rules.");
                    Rules::AllowAll
                }
            },
            429 => Rules::DisallowAll("robots.txt answered HTTP 429".into()),
            400..=499 => Rules::AllowAll,
            other => Rules::DisallowAll(format!("robots.txt answered HTTP {other}")),
        }
    }
}

/// A host's rules and when they expire.
pub(crate) struct CachedRobots {
    /// The rules.
    pub(crate) rules: Arc<Rules>,
    /// Expiry.
    pub(crate) until: Instant,
}

/// The product token robots.txt groups are matched against:
/// `skilltrack/0.1 (+https://…)` → `skilltrack`.
pub(crate) fn agent_token(user_agent: &str) -> &str {
    let token = user_agent
        .split(|c: char| c == '/' || c.is_whitespace())
        .next()
        .unwrap_or("");
    if token.is_empty() {
        "*"
    } else {
        token
    }
}

/// The robots.txt URL of `url`'s origin.
pub(crate) fn robots_url(url: &Url) -> Option<Url> {
    url.join("/robots.txt").ok().map(|mut u| {
        u.set_query(None);
        u.set_fragment(None);
        u
    })
}

/// Fetches and interprets `url`'s robots.txt with `client` (one attempt:
/// a failure means "disallowed for now", tried again when the cache expires).
/// Up to [`MAX_ROBOTS_REDIRECTS`] redirects are followed, to any http(s)
/// origin (RFC 9309 § 2.3.1.2; the request carries no credentials).
pub(crate) async fn fetch(client: &reqwest::Client, url: &Url, agent: &str) -> Rules {
    let Some(mut robots) = robots_url(url) else {
        return Rules::DisallowAll(format!("no robots.txt URL for {url}"));
    };
    let mut redirects = 0;
    let mut response = loop {
        let response = match client.get(robots.clone()).send().await {
            Ok(r) => r,
            Err(e) => {
                let cause = crate::domain::error_chain(&e);
                tracing::warn!(url = %robots, error = %cause, "robots.txt unreachable: host disallowed for now.");
                return Rules::DisallowAll(format!("robots.txt unreachable: {cause}"));
            }
        };
        let target = super::redirect::is_redirect(response.status())
            .then(|| response.headers().get(reqwest::header::LOCATION))
            .flatten()
            .and_then(|v| v.to_str().ok())
            .and_then(|location| robots.join(location.trim()).ok())
            .filter(|u| matches!(u.scheme(), "http" | "https"));
        match target {
            Some(next) if redirects < MAX_ROBOTS_REDIRECTS => {
                redirects += 1;
                robots = next;
            }
            // RFC 9309: past the redirect limit, as if there were no robots.txt.
            Some(_) => return Rules::AllowAll,
            None => break response,
        }
    };
    let status = response.status().as_u16();
    let mut body = Vec::new();
    if (200..300).contains(&status) {
        loop {
            match response.chunk().await {
                Ok(Some(chunk)) => {
                    let room = MAX_ROBOTS_BYTES - body.len();
                    body.extend_from_slice(&chunk[..chunk.len().min(room)]);
                    if body.len() >= MAX_ROBOTS_BYTES {
                        break;
                    }
                }
                Ok(None) => break,
                Err(e) => {
                    let cause = crate::domain::error_chain(&e);
                    tracing::warn!(url = %robots, error = %cause, "robots.txt truncated: host disallowed for now.");
                    return Rules::DisallowAll(format!("robots.txt unreadable: {cause}"));
                }
            }
        }
    }
    let rules = Rules::from_answer(status, &body, agent);
    tracing::info!(url = %robots, status, delay = ?rules.crawl_delay(), unavailable = ?rules.unavailable(), "robots.txt read.");
    rules
}

#[cfg(test)]
mod tests {
    use super::*;

    fn url(s: &str) -> Url {
        Url::parse(s).unwrap()
    }

    #[test]
    fn statuses_map_to_rfc_9309_decisions() {
        let page = url("http://h/jobs");
        assert!(Rules::from_answer(404, b"", "skilltrack").allows(&page));
        assert!(Rules::from_answer(403, b"", "skilltrack").allows(&page));
        assert!(!Rules::from_answer(500, b"", "skilltrack").allows(&page));
        assert!(!Rules::from_answer(503, b"", "skilltrack").allows(&page));
        assert!(!Rules::from_answer(429, b"", "skilltrack").allows(&page));
    }

    #[test]
    fn groups_for_our_token_and_crawl_delay() {
        let txt = b"User-agent: *\nDisallow: /\n\nUser-agent: skilltrack\nDisallow: /private\nCrawl-delay: 0.25\n";
        let rules = Rules::from_answer(200, txt, agent_token("skilltrack/0.1 (+https://x)"));
        assert!(rules.allows(&url("http://h/jobs?page=2")));
        assert!(!rules.allows(&url("http://h/private/x")));
        assert_eq!(rules.crawl_delay(), Some(Duration::from_millis(250)));
        let other = Rules::from_answer(200, txt, "otherbot");
        assert!(!other.allows(&url("http://h/jobs")));
    }

    #[test]
    fn token_and_robots_url() {
        assert_eq!(agent_token("skilltrack/0.1 (+https://x)"), "skilltrack");
        assert_eq!(agent_token(""), "*");
        assert_eq!(
            robots_url(&url("http://h:81/a/b?c=d#e")).unwrap().as_str(),
            "http://h:81/robots.txt"
        );
    }
}
