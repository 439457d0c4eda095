//! The demo board's HTTP server (warp): `/robots.txt`, and 100 postings a
//! page in each kind — `/api/jobs` (JSON, a `next` URL), `/emplois` (HTML
//! list items, a `rel=next` link), `/carrieres` (JSON-LD `JobPosting`s, a
//! `rel=next` link) and `/feed.rss` (RSS 2.0, `?page=N` until an empty
//! page). Dates are written from [`Board::today`] and each posting's
//! `days_ago`.

use std::future::Future;
use std::sync::Arc;

use serde::Deserialize;
use serde_json::json;
use time::format_description::well_known::Rfc2822;
use warp::http::header::CONTENT_TYPE;
use warp::http::Response;
use warp::Filter;

use super::{DemoPosting, Kind};
use crate::domain::Day;

/// Postings per page, in every kind.
pub const PAGE_SIZE: usize = 100;

/// What the board's robots.txt says: everything may be read but `/admin`.
pub const ROBOTS_TXT: &str = "User-agent: *\nDisallow: /admin\nAllow: /\n";

/// The board: its postings by kind, the day dates count back from, and its
/// own address (for the postings' URLs).
#[derive(Debug)]
pub struct Board {
    /// Dates are this day minus each posting's `days_ago`.
    pub today: Day,
    /// `http://127.0.0.1:PORT`.
    pub base: String,
    by_kind: [Vec<DemoPosting>; 4],
}

impl Board {
    /// A board serving `postings` at `base`.
    pub fn new(postings: Vec<DemoPosting>, today: Day, base: String) -> Board {
        let mut by_kind: [Vec<DemoPosting>; 4] = Default::default();
        for p in postings {
            by_kind[kind_index(p.kind)].push(p);
        }
        Board {
            today,
            base,
            by_kind,
        }
    }

    /// The postings of `kind` on page `page` (1-based; empty past the end).
    fn page(&self, kind: Kind, page: usize) -> &[DemoPosting] {
        let all = &self.by_kind[kind_index(kind)];
        let start = page
            .saturating_sub(1)
            .saturating_mul(PAGE_SIZE)
            .min(all.len());
        &all[start..(start + PAGE_SIZE).min(all.len())]
    }

    /// Whether a page follows `page` of `kind`.
    fn has_next(&self, kind: Kind, page: usize) -> bool {
        page.saturating_mul(PAGE_SIZE) < self.by_kind[kind_index(kind)].len()
    }

    /// The day a posting was published.
    fn day(&self, p: &DemoPosting) -> Day {
        self.today.saturating_add_days(-i32::from(p.days_ago))
    }

    fn url(&self, p: &DemoPosting) -> String {
        format!("{}/offres/{}", self.base, p.id)
    }
}

fn kind_index(kind: Kind) -> usize {
    match kind {
        Kind::Json => 0,
        Kind::Html => 1,
        Kind::Jsonld => 2,
        Kind::Rss => 3,
    }
}

#[derive(Debug, Deserialize)]
struct PageQuery {
    page: Option<usize>,
}

/// Serves `board` on `listener` until `shutdown` completes.
pub async fn serve_board(
    listener: tokio::net::TcpListener,
    board: Arc<Board>,
    shutdown: impl Future<Output = ()> + Send + 'static,
) {
    warp::serve(routes(board))
        .incoming(listener)
        .graceful(shutdown)
        .run()
        .await;
}

/// Every route of the board.
pub fn routes(
    board: Arc<Board>,
) -> impl Filter<Extract = (Response<String>,), Error = warp::Rejection> + Clone {
    let robots = warp::path!("robots.txt").map(|| reply("text/plain", ROBOTS_TXT.to_owned()));
    let page = |name: &'static str, kind: Kind| {
        let board = board.clone();
        warp::path(name)
            .and(warp::path::end())
            .and(warp::query::<PageQuery>())
            .map(move |q: PageQuery| render(&board, kind, q.page.unwrap_or(1).max(1)))
    };
    warp::get().and(
        robots
            .or(warp::path("api").and(page("jobs", Kind::Json)))
            .unify()
            .or(page("emplois", Kind::Html))
            .unify()
            .or(page("carrieres", Kind::Jsonld))
            .unify()
            .or(page("feed.rss", Kind::Rss))
            .unify(),
    )
}

fn reply(content_type: &'static str, body: String) -> Response<String> {
    let mut r = Response::new(body);
    if let Ok(v) = content_type.parse() {
        r.headers_mut().insert(CONTENT_TYPE, v);
    }
    r
}

fn render(board: &Board, kind: Kind, page: usize) -> Response<String> {
    let items = board.page(kind, page);
    let next = board.has_next(kind, page).then_some(page + 1);
    match kind {
        Kind::Json => reply("application/json", json_page(board, items, next)),
        Kind::Html => reply("text/html; charset=utf-8", html_page(board, items, next)),
        Kind::Jsonld => reply("text/html; charset=utf-8", jsonld_page(board, items, next)),
        Kind::Rss => reply("application/rss+xml; charset=utf-8", rss_page(board, items)),
    }
}

fn json_page(board: &Board, items: &[DemoPosting], next: Option<usize>) -> String {
    let jobs: Vec<serde_json::Value> = items
        .iter()
        .map(|p| {
            json!({
                "id": p.id,
                "title": p.title,
                "company": { "name": p.company },
                "location": p.location,
                "remote": p.remote,
                "description": p.description,
                "published_at": format!("{}T09:30:00Z", board.day(p)),
                "url": board.url(p),
                "tags": p.tags,
            })
        })
        .collect();
    json!({
        "jobs": jobs,
        "next": next.map(|n| format!("/api/jobs?page={n}")),
    })
    .to_string()
}

fn text(s: &str) -> std::borrow::Cow<'_, str> {
    html_escape::encode_text(s)
}

fn html_page(board: &Board, items: &[DemoPosting], next: Option<usize>) -> String {
    let mut out = String::from(
        "<!doctype html>\n<html lang=\"fr\"><head><meta charset=\"utf-8\"><title>Offres d'emploi \
         — tableau de démonstration</title></head><body>\n<header><a href=\"/\">Accueil</a> · \
         <a href=\"/emplois\">Toutes les offres</a></header>\n<ul class=\"jobs\">\n",
    );
    for p in items {
        let remote = if p.remote {
            "<span class=\"remote\">oui</span>"
        } else {
            ""
        };
        let tags: String = p
            .tags
            .iter()
            .map(|t| format!("<li>{}</li>", text(t)))
            .collect();
        out.push_str(&format!(
            "<li class=\"job\" data-ref=\"{id}\"><h2 class=\"title\">{title}</h2>\
             <p><span class=\"company\">{company}</span> · <span class=\"location\">{location}</span> {remote}\
             <time datetime=\"{day}\">{day}</time></p>\n<div class=\"description\">{description}</div>\n\
             <ul class=\"tags\">{tags}</ul><a class=\"link\" href=\"{url}\">Voir l'offre</a></li>\n",
            id = text(&p.id),
            title = text(&p.title),
            company = text(&p.company),
            location = text(&p.location),
            day = board.day(p),
            description = p.description,
            url = board.url(p),
        ));
    }
    out.push_str("</ul>\n<nav>");
    if let Some(n) = next {
        out.push_str(&format!(
            "<a rel=\"next\" href=\"/emplois?page={n}\">Page suivante</a>"
        ));
    }
    out.push_str(
        "</nav>\n<footer>Tableau d'offres de démonstration de skilltrack.</footer></body></html>\n",
    );
    out
}

fn jsonld_page(board: &Board, items: &[DemoPosting], next: Option<usize>) -> String {
    let graph: Vec<serde_json::Value> = items
        .iter()
        .map(|p| {
            let mut posting = json!({
                "@type": "JobPosting",
                "identifier": { "@type": "PropertyValue", "value": p.id },
                "title": p.title,
                "description": p.description,
                "datePosted": board.day(p).to_string(),
                "hiringOrganization": { "@type": "Organization", "name": p.company },
                "url": board.url(p),
                "skills": p.tags,
            });
            if p.remote {
                posting["jobLocationType"] = json!("TELECOMMUTE");
                posting["applicantLocationRequirements"] =
                    json!({ "@type": "Country", "name": p.location });
            } else {
                posting["jobLocation"] = json!({
                    "@type": "Place",
                    "address": { "@type": "PostalAddress", "addressLocality": p.location },
                });
            }
            posting
        })
        .collect();
    let data = json!({ "@context": "https://schema.org", "@graph": graph })
        .to_string()
        .replace("</", "<\\/");
    let titles: String = items
        .iter()
        .map(|p| {
            format!(
                "<li><a href=\"{}\">{}</a></li>",
                board.url(p),
                text(&p.title)
            )
        })
        .collect();
    let next = next
        .map(|n| format!("<a rel=\"next\" href=\"/carrieres?page={n}\">Suivant</a>"))
        .unwrap_or_default();
    format!(
        "<!doctype html>\n<html lang=\"fr\"><head><meta charset=\"utf-8\"><title>Carrières</title>\n\
         <script type=\"application/ld+json\">{data}</script></head>\n<body><h1>Nos offres</h1><ul>{titles}</ul>\
         <nav>{next}</nav></body></html>\n"
    )
}

fn rss_page(board: &Board, items: &[DemoPosting]) -> String {
    let mut out = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<rss version=\"2.0\" \
         xmlns:job=\"https://skilltrack.invalid/demo/job\"><channel>\n<title>Demo board</title>\
         <link>{}/feed.rss</link><description>Sample postings</description>\n",
        board.base
    );
    for p in items {
        let date = board.day(p).to_date();
        let pub_date = date
            .with_hms(9, 30, 0)
            .map(|t| t.assume_utc())
            .ok()
            .and_then(|t| t.format(&Rfc2822).ok())
            .unwrap_or_default();
        let tags: String = p
            .tags
            .iter()
            .map(|t| format!("<category>{}</category>", text(t)))
            .collect();
        out.push_str(&format!(
            "<item><title>{title}</title><link>{url}</link><guid isPermaLink=\"false\">{id}</guid>\
             <pubDate>{pub_date}</pubDate><description><![CDATA[{description}]]></description>\
             <job:company>{company}</job:company><job:location>{location}</job:location>\
             <job:remote>{remote}</job:remote>{tags}</item>\n",
            title = text(&p.title),
            url = board.url(p),
            id = text(&p.id),
            description = p.description,
            company = text(&p.company),
            location = text(&p.location),
            remote = p.remote,
        ));
    }
    out.push_str("</channel></rss>\n");
    out
}
