//! The postings behind a count, as the API's `/api/v1/postings` and
//! `/api/v1/postings.csv` and `skilltrack export postings --skill …` give
//! them: the one request model both parse into ([`CellRequest`], resolved
//! against the taxonomy and gazetteer like a trends query), the JSON item
//! ([`PostingItem`]) and the one CSV writer ([`write_cell_csv_head`],
//! [`write_cell_csv_rows`], and [`write_cell_csv`] which streams a whole
//! cell page by page), so the command line and the route write the same
//! bytes.
//!
//! CSV columns are the JSON item's fields in order ([`CELL_COLUMNS`]):
//! `places` is each place as its codes from the country down joined with
//! `/` (`FR/FR-IDF/FR-75`), places joined with `|`; skill lists are joined
//! with `|`; every text cell goes through [`safe_cell`].

use std::io::Write;

use serde::Serialize;

use super::{safe_cell, CsvOptions, ExportError};
use crate::domain::{Day, GeoCode, Place, SkillId, SourceId};
use crate::store::cells::MAX_PAGE;
use crate::store::{BadCursor, Cell, CellKey, CellPosting, Metric, PostingStore, StoreError};
use crate::trends::{QueryError, TrendRequest, Vocabulary};

/// Postings per page when `limit` is not given (JSON).
pub const DEFAULT_PAGE: usize = 50;

/// A listing of a cell as asked: what the query string or the command
/// line's flags hold, parsed into types; [`CellRequest::resolve`] fills in
/// the defaults and checks it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CellRequest {
    /// Skill id, or `*` (default: every posting).
    pub skill: Option<String>,
    /// Geography code (default `WORLD`).
    pub geo: Option<String>,
    /// First day (default: a year before `to`).
    pub from: Option<Day>,
    /// Last day (default: today).
    pub to: Option<Day>,
    /// Metric (default `new`).
    pub metric: Option<Metric>,
    /// Only postings from this source.
    pub source: Option<String>,
    /// Most postings listed.
    pub limit: Option<usize>,
    /// Where to resume (a `next_cursor`).
    pub cursor: Option<String>,
}

/// A resolved listing: the cell, how many postings at most, from where.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CellListing {
    /// The cell.
    pub cell: Cell,
    /// Most postings listed (`None`: all of them).
    pub limit: Option<usize>,
    /// Resume strictly after this key.
    pub after: Option<CellKey>,
}

/// Why a listing request is refused; [`CellRequestError::param`] names the
/// parameter, [`CellRequestError::code`] gives the API's code.
#[derive(Debug, thiserror::Error)]
pub enum CellRequestError {
    /// The skill, geography or range, refused as a trends query would be.
    #[error("{0}")]
    Query(QueryError),
    /// A skill or geography the trends rules accept but a cell cannot hold
    /// (a cell is one skill in one geography).
    #[error("{value:?} is not one {param}: a count is of one skill in one geography")]
    NotOne {
        /// `skill` or `geo`.
        param: &'static str,
        /// As given.
        value: String,
    },
    /// A source id that cannot be one.
    #[error("{source_id:?} is not a source id: {why}")]
    Source {
        /// As given.
        source_id: String,
        /// Why.
        why: String,
    },
    /// A limit of 0.
    #[error("the limit must be at least 1")]
    ZeroLimit,
    /// A limit over [`MAX_PAGE`] on a page.
    #[error("{asked} postings asked, more than the limit of {MAX_PAGE} per page: follow next_cursor for more")]
    TooMany {
        /// As given.
        asked: usize,
    },
    /// A cursor this program did not write.
    #[error(transparent)]
    Cursor(#[from] BadCursor),
}

impl CellRequestError {
    /// The parameter at fault.
    pub fn param(&self) -> &'static str {
        match self {
            CellRequestError::Query(e) => match e.param() {
                "skills" => "skill",
                other => other,
            },
            CellRequestError::NotOne { param, .. } => param,
            CellRequestError::Source { .. } => "source",
            CellRequestError::ZeroLimit | CellRequestError::TooMany { .. } => "limit",
            CellRequestError::Cursor(_) => "cursor",
        }
    }

    /// The API's machine-readable code.
    pub fn code(&self) -> &'static str {
        match self {
            CellRequestError::Query(e) => e.code(),
            CellRequestError::TooMany { .. } => "limit_exceeded",
            _ => "invalid_parameter",
        }
    }
}

impl CellRequest {
    /// Checks the request against `vocabulary` with the rules of a trends
    /// query (the same skills, geographies, defaults and range limits), the
    /// limit against `max_limit` when given (a page: at most [`MAX_PAGE`];
    /// a CSV: any), and `default_limit` when none is asked.
    pub fn resolve(
        &self,
        vocabulary: &impl Vocabulary,
        today: Day,
        default_limit: Option<usize>,
        max_limit: Option<usize>,
    ) -> Result<CellListing, CellRequestError> {
        let skill = self
            .skill
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .unwrap_or(SkillId::ALL_POSTINGS);
        let geo = self.geo.as_deref().unwrap_or(GeoCode::WORLD);
        let query = TrendRequest {
            skills: vec![skill.to_owned()],
            geo: Some(geo.to_owned()),
            from: self.from,
            to: self.to,
            metric: self.metric,
            ..TrendRequest::default()
        }
        .resolve(vocabulary, today)
        .map_err(CellRequestError::Query)?;
        let not_one = |param, value: &str| CellRequestError::NotOne {
            param,
            value: value.to_owned(),
        };
        let source = self
            .source
            .as_deref()
            .map(|s| {
                SourceId::parse(s).map_err(|e| CellRequestError::Source {
                    source_id: s.to_owned(),
                    why: e.to_string(),
                })
            })
            .transpose()?;
        let limit = match self.limit.or(default_limit) {
            Some(0) => return Err(CellRequestError::ZeroLimit),
            Some(n) if max_limit.is_some_and(|m| n > m) => {
                return Err(CellRequestError::TooMany { asked: n })
            }
            other => other,
        };
        let after = self.cursor.as_deref().map(CellKey::parse).transpose()?;
        Ok(CellListing {
            cell: Cell {
                skill: SkillId::parse(skill).map_err(|_| not_one("skill", skill))?,
                geo: GeoCode::parse(geo).map_err(|_| not_one("geo", geo))?,
                metric: query.metric,
                from: query.from,
                to: query.to,
                source,
            },
            limit,
            after,
        })
    }
}

/// One listed posting, as the JSON body and the CSV row give it.
#[derive(Debug, Serialize)]
pub struct PostingItem<'a> {
    /// The posting id (16 hexadecimal digits).
    pub id: String,
    /// Job title.
    pub title: &'a str,
    /// Employer, if known.
    pub company: Option<&'a str>,
    /// Link, if known.
    pub url: Option<&'a str>,
    /// Posting day.
    pub posted: String,
    /// Where it was collected.
    pub source: &'a str,
    /// Resolved places.
    pub places: &'a [Place],
    /// Whether remote work is possible.
    pub remote: bool,
    /// Skills the text names.
    pub skills: &'a [SkillId],
    /// Skills implied by those.
    pub implied_skills: &'a [SkillId],
    /// Other postings its cluster merged into it.
    pub duplicates: u32,
}

impl<'a> PostingItem<'a> {
    /// The item of a listed posting.
    pub fn of(c: &'a CellPosting) -> PostingItem<'a> {
        let p = &c.posting;
        PostingItem {
            id: p.id.to_string(),
            title: &p.title,
            company: p.company.as_deref(),
            url: p.url.as_deref(),
            posted: p.posted.to_string(),
            source: p.source.as_str(),
            places: &p.places,
            remote: p.remote,
            skills: &p.skills,
            implied_skills: &p.implied_skills,
            duplicates: c.duplicates,
        }
    }
}

/// Columns of the postings-behind-a-count CSV: [`PostingItem`]'s fields.
pub const CELL_COLUMNS: [&str; 11] = [
    "id",
    "title",
    "company",
    "url",
    "posted",
    "source",
    "places",
    "remote",
    "skills",
    "implied_skills",
    "duplicates",
];

/// Writes what starts the CSV: the byte-order mark if asked, then the
/// header row.
pub fn write_cell_csv_head<W: Write>(mut out: W, options: CsvOptions) -> Result<(), ExportError> {
    if options.bom {
        out.write_all("\u{feff}".as_bytes())?;
    }
    let mut w = csv::WriterBuilder::new()
        .delimiter(options.delimiter)
        .from_writer(out);
    w.write_record(CELL_COLUMNS)?;
    w.flush()?;
    Ok(())
}

/// Writes the rows of one page (after [`write_cell_csv_head`]).
pub fn write_cell_csv_rows<W: Write>(
    out: W,
    postings: &[CellPosting],
    options: CsvOptions,
) -> Result<(), ExportError> {
    let mut w = csv::WriterBuilder::new()
        .delimiter(options.delimiter)
        .from_writer(out);
    for c in postings {
        w.write_record(row(&PostingItem::of(c)))?;
    }
    w.flush()?;
    Ok(())
}

/// One item's cells.
fn row(item: &PostingItem<'_>) -> [String; 11] {
    let text = |t: &str| safe_cell(t).into_owned();
    let places: Vec<String> = item
        .places
        .iter()
        .map(|p| {
            let mut codes: Vec<&str> = p.codes().map(GeoCode::as_str).collect();
            codes.reverse();
            codes.join("/")
        })
        .collect();
    let skills = |s: &[SkillId]| s.iter().map(SkillId::as_str).collect::<Vec<_>>().join("|");
    [
        text(&item.id),
        text(item.title),
        text(item.company.unwrap_or("")),
        text(item.url.unwrap_or("")),
        item.posted.clone(),
        text(item.source),
        text(&places.join("|")),
        item.remote.to_string(),
        text(&skills(item.skills)),
        text(&skills(item.implied_skills)),
        item.duplicates.to_string(),
    ]
}

/// The next page of a listing that has written `written` postings so far
/// and stopped after `after`: at most [`MAX_PAGE`] postings, fewer when the
/// listing's limit is near. `None` when the listing is complete.
pub fn next_page(
    store: &dyn PostingStore,
    listing: &CellListing,
    after: Option<CellKey>,
    written: usize,
) -> Result<Option<crate::store::CellPage>, StoreError> {
    let left = listing
        .limit
        .map_or(MAX_PAGE, |l| l.saturating_sub(written));
    if left == 0 {
        return Ok(None);
    }
    store
        .cell_page(&listing.cell, after, left.min(MAX_PAGE))
        .map(Some)
}

/// Writes a whole listing as CSV, a page at a time (memory holds one page).
pub fn write_cell_csv<W: Write>(
    store: &dyn PostingStore,
    listing: &CellListing,
    options: CsvOptions,
    mut out: W,
) -> Result<(), CellExportError> {
    write_cell_csv_head(&mut out, options)?;
    let mut after = listing.after;
    let mut written = 0;
    while let Some(page) = next_page(store, listing, after, written)? {
        write_cell_csv_rows(&mut out, &page.postings, options)?;
        written += page.postings.len();
        match page.next {
            Some(next) => after = Some(next),
            None => break,
        }
    }
    out.flush().map_err(ExportError::from)?;
    Ok(())
}

/// Why a listing could not be written.
#[derive(Debug, thiserror::Error)]
pub enum CellExportError {
    /// Reading the store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// Writing failed.
    #[error(transparent)]
    Write(#[from] ExportError),
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Words;

    impl Vocabulary for Words {
        fn is_skill(&self, id: &str) -> bool {
            ["python", "rust"].contains(&id)
        }
        fn skill_ids(&self) -> impl Iterator<Item = &str> {
            ["python", "rust"].into_iter()
        }
        fn is_geo(&self, code: &str) -> bool {
            ["FR", "FR-IDF", "FR-75"].contains(&code)
        }
    }

    fn day(s: &str) -> Day {
        s.parse().unwrap()
    }

    #[test]
    fn defaults_are_those_of_trends() {
        let today = day("2025-06-30");
        let l = CellRequest::default()
            .resolve(&Words, today, Some(DEFAULT_PAGE), Some(MAX_PAGE))
            .unwrap();
        assert_eq!(l.cell.skill.as_str(), "*");
        assert_eq!(l.cell.geo.as_str(), "WORLD");
        assert_eq!(l.cell.metric, Metric::New);
        // 365 days before 2025-06-30.
        assert_eq!((l.cell.from, l.cell.to), (day("2024-06-30"), today));
        assert_eq!((l.limit, l.after, l.cell.source), (Some(50), None, None));
        let csv = CellRequest::default()
            .resolve(&Words, today, None, None)
            .unwrap();
        assert_eq!(csv.limit, None);
    }

    #[test]
    fn each_bad_parameter_is_named() {
        let today = day("2025-06-30");
        let refused = |r: CellRequest| {
            let e = r
                .resolve(&Words, today, Some(DEFAULT_PAGE), Some(MAX_PAGE))
                .unwrap_err();
            (e.param(), e.code(), e.to_string())
        };
        let (param, code, _) = refused(CellRequest {
            skill: Some("pyhton".into()),
            ..CellRequest::default()
        });
        assert_eq!((param, code), ("skill", "unknown_skill"));
        let (param, code, _) = refused(CellRequest {
            geo: Some("FR-99".into()),
            ..CellRequest::default()
        });
        assert_eq!((param, code), ("geo", "unknown_geo"));
        let (param, code, _) = refused(CellRequest {
            from: Some(day("2025-07-01")),
            ..CellRequest::default()
        });
        assert_eq!((param, code), ("from/to", "invalid_parameter"));
        let (param, code, msg) = refused(CellRequest {
            limit: Some(501),
            ..CellRequest::default()
        });
        assert_eq!((param, code), ("limit", "limit_exceeded"));
        assert!(msg.contains("limit of 500"), "{msg}");
        let (param, _, _) = refused(CellRequest {
            limit: Some(0),
            ..CellRequest::default()
        });
        assert_eq!(param, "limit");
        let (param, code, _) = refused(CellRequest {
            cursor: Some("nope".into()),
            ..CellRequest::default()
        });
        assert_eq!((param, code), ("cursor", "invalid_parameter"));
        let (param, _, _) = refused(CellRequest {
            source: Some("Not A Source!".into()),
            ..CellRequest::default()
        });
        assert_eq!(param, "source");
        // At the limit is fine.
        let ok = CellRequest {
            limit: Some(500),
            ..CellRequest::default()
        };
        assert!(ok.resolve(&Words, today, Some(50), Some(500)).is_ok());
    }
}
