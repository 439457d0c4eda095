//! Export: CSV for analysts (RFC 4180, UTF-8, header row).
//!
//! Long format, one row per skill and bucket:
//! `date,skill,geo,metric,interval,count,total,share`. Options for French
//! spreadsheets: `;` as delimiter, a UTF-8 byte-order mark, and a decimal
//! comma (`0,074586`, on by default with `;`: a French-locale spreadsheet
//! reads `0.074586` as text). Text cells a spreadsheet would run as a formula
//! (starting with `=`, `+`, `-`, `@`, tab or CR) are prefixed with `'`
//! ([`safe_cell`]); numbers the writer makes itself are never touched.
//!
//! Both writers stream: the postings CSV one posting at a time, the trends
//! CSV one series at a time ([`write_trends_csv_head`], then
//! [`write_trends_csv_rows`] per series).

pub mod cell;

use std::io::Write;

use crate::trends::{Series, TrendQuery};

/// How the fraction of a decimal number is marked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DecimalMark {
    /// `0.074586`: what programs and English-locale spreadsheets read.
    Point,
    /// `0,074586`: what French-locale spreadsheets read as a number.
    Comma,
}

impl DecimalMark {
    /// The mark used when none is asked for: a comma with `;` as delimiter
    /// (the French spreadsheet convention), a point with any other.
    pub fn default_for(delimiter: u8) -> DecimalMark {
        if delimiter == b';' {
            DecimalMark::Comma
        } else {
            DecimalMark::Point
        }
    }

    /// Parses `point` or `comma` (the API's `decimal` parameter).
    pub fn parse(name: &str) -> Option<DecimalMark> {
        match name {
            "point" => Some(DecimalMark::Point),
            "comma" => Some(DecimalMark::Comma),
            _ => None,
        }
    }

    /// The name [`DecimalMark::parse`] reads.
    pub fn as_str(self) -> &'static str {
        match self {
            DecimalMark::Point => "point",
            DecimalMark::Comma => "comma",
        }
    }
}

/// CSV writing options.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CsvOptions {
    /// Field delimiter (`,` by default, `;` for French Excel).
    pub delimiter: u8,
    /// Write a UTF-8 byte-order mark first (Excel then reads UTF-8 correctly).
    pub bom: bool,
    /// The decimal mark of the numbers with a fraction (shares).
    pub decimal: DecimalMark,
}

impl Default for CsvOptions {
    fn default() -> CsvOptions {
        CsvOptions::new(b',', false, None)
    }
}

impl CsvOptions {
    /// Options for `delimiter`; the decimal mark is `decimal` if given, else
    /// the delimiter's default ([`DecimalMark::default_for`]).
    pub fn new(delimiter: u8, bom: bool, decimal: Option<DecimalMark>) -> CsvOptions {
        CsvOptions {
            delimiter,
            bom,
            decimal: decimal.unwrap_or_else(|| DecimalMark::default_for(delimiter)),
        }
    }

    /// `value` with `places` decimals and the options' decimal mark
    /// (`0.074586` or `0,074586`). Never neutralised: it is a number.
    pub fn decimal(&self, value: f64, places: usize) -> String {
        let text = format!("{value:.places$}");
        match self.decimal {
            DecimalMark::Point => text,
            DecimalMark::Comma => text.replacen('.', ",", 1),
        }
    }
}

/// Why an export failed.
#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    /// Writing failed.
    #[error("cannot write CSV: {0}")]
    Io(#[from] std::io::Error),
    /// The CSV writer failed.
    #[error("cannot write CSV: {0}")]
    Csv(#[from] csv::Error),
}

/// Columns of the trends CSV, in order.
pub const TRENDS_COLUMNS: [&str; 8] = [
    "date", "skill", "geo", "metric", "interval", "count", "total", "share",
];

/// Neutralises a text cell a spreadsheet would run as a formula: one that
/// starts with `=`, `+`, `-`, `@`, a tab or a carriage return gets a `'`
/// first (OWASP's advice against CSV injection); any other is unchanged.
pub fn safe_cell(text: &str) -> std::borrow::Cow<'_, str> {
    if is_formula(text) {
        format!("'{text}").into()
    } else {
        text.into()
    }
}

/// [`safe_cell`] for an owned cell (no copy when it is safe).
fn safe_owned(mut text: String) -> String {
    if is_formula(&text) {
        text.insert(0, '\'');
    }
    text
}

/// Whether a spreadsheet would read `text` as a formula.
fn is_formula(text: &str) -> bool {
    matches!(
        text.as_bytes().first(),
        Some(b'=' | b'+' | b'-' | b'@' | b'\t' | b'\r')
    )
}

/// Decimals of the `share` column.
pub const SHARE_DECIMALS: usize = 6;

/// Writes a trends result in long format.
pub fn write_trends_csv<W: Write>(
    mut out: W,
    query: &TrendQuery,
    series: &[Series],
    options: CsvOptions,
) -> Result<(), ExportError> {
    write_trends_csv_head(&mut out, options)?;
    for s in series {
        write_trends_csv_rows(&mut out, query, s, options)?;
    }
    out.flush()?;
    Ok(())
}

/// Writes what starts a trends CSV: the byte-order mark if asked, then the
/// header row.
pub fn write_trends_csv_head<W: Write>(mut out: W, options: CsvOptions) -> Result<(), ExportError> {
    if options.bom {
        out.write_all("\u{feff}".as_bytes())?;
    }
    let mut w = csv::WriterBuilder::new()
        .delimiter(options.delimiter)
        .from_writer(out);
    w.write_record(TRENDS_COLUMNS)?;
    w.flush()?;
    Ok(())
}

/// Writes the rows of one series (after [`write_trends_csv_head`]), so a
/// long result can be written series by series.
pub fn write_trends_csv_rows<W: Write>(
    out: W,
    query: &TrendQuery,
    series: &Series,
    options: CsvOptions,
) -> Result<(), ExportError> {
    let mut w = csv::WriterBuilder::new()
        .delimiter(options.delimiter)
        .from_writer(out);
    for p in &series.points {
        w.write_record([
            p.date.to_string().as_str(),
            &safe_cell(series.skill.as_str()),
            &safe_cell(query.geo.as_str()),
            query.metric.as_str(),
            query.interval.as_str(),
            &p.count.to_string(),
            &p.total.to_string(),
            &p.share
                .map(|v| options.decimal(v, SHARE_DECIMALS))
                .unwrap_or_default(),
        ])?;
    }
    w.flush()?;
    Ok(())
}

/// Columns of the postings CSV, in order.
pub const POSTINGS_COLUMNS: [&str; 17] = [
    "id",
    "source",
    "external_id",
    "title",
    "company",
    "url",
    "posted",
    "first_seen",
    "last_seen",
    "valid_through",
    "remote",
    "departments",
    "regions",
    "countries",
    "skills",
    "implied_skills",
    "tags",
];

/// One posting as an import line: everything normalization reads, as the
/// source gave it, so that `skilltrack import` gives back the same posting and
/// the same counts. `description` is the stored text, marked
/// `"description_format": "text"` so it is taken verbatim (not read as HTML);
/// `remote` is the source's own flag (absent when the source gave none; the
/// posting's `remote` is derived from it and the locations again); `country`
/// is the source's default country; `source`, `first_seen` and `last_seen`
/// say where and when it was seen.
pub fn posting_import_line(p: &crate::domain::Posting) -> serde_json::Value {
    let mut line = serde_json::json!({
        "id": p.external_id,
        "source": p.source,
        "title": p.title,
        "company": p.company,
        "description": p.text,
        "description_format": "text",
        "location": p.locations,
        "posted_at": p.date_from_source.then(|| p.posted.to_string()),
        "valid_through": p.valid_through.map(|d| d.to_string()),
        "url": p.url,
        "first_seen": p.first_seen.to_string(),
        "last_seen": p.last_seen.to_string(),
    });
    if let Some(map) = line.as_object_mut() {
        if let Some(remote) = p.source_remote {
            map.insert("remote".into(), remote.into());
        }
        if !p.tags.is_empty() {
            map.insert("tags".into(), p.tags.clone().into());
        }
        if let Some(country) = &p.default_country {
            map.insert("country".into(), country.as_str().into());
        }
    }
    line
}

/// Writes postings one at a time, as JSON Lines (import format) or CSV.
pub enum PostingsWriter<W: Write> {
    /// JSON Lines in the import format.
    Jsonl(W),
    /// CSV, one row per posting, lists joined with `|`.
    Csv(Box<csv::Writer<W>>),
}

impl<W: Write> PostingsWriter<W> {
    /// A JSON Lines writer.
    pub fn jsonl(out: W) -> PostingsWriter<W> {
        PostingsWriter::Jsonl(out)
    }

    /// A CSV writer; writes the BOM (if asked) and the header row.
    pub fn csv(mut out: W, options: CsvOptions) -> Result<PostingsWriter<W>, ExportError> {
        if options.bom {
            out.write_all("\u{feff}".as_bytes())?;
        }
        let mut w = csv::WriterBuilder::new()
            .delimiter(options.delimiter)
            .from_writer(out);
        w.write_record(POSTINGS_COLUMNS)?;
        Ok(PostingsWriter::Csv(Box::new(w)))
    }

    /// Writes one posting.
    pub fn write(&mut self, p: &crate::domain::Posting) -> Result<(), ExportError> {
        match self {
            PostingsWriter::Jsonl(out) => {
                serde_json::to_writer(&mut *out, &posting_import_line(p))
                    .map_err(std::io::Error::from)?;
                out.write_all(b"\n")?;
            }
            PostingsWriter::Csv(w) => w.write_record(posting_row(p))?,
        }
        Ok(())
    }

    /// Flushes everything.
    pub fn finish(self) -> Result<(), ExportError> {
        match self {
            PostingsWriter::Jsonl(mut out) => out.flush()?,
            PostingsWriter::Csv(mut w) => w.flush()?,
        }
        Ok(())
    }
}

/// One posting's cells. Every text cell goes through [`safe_cell`]: titles,
/// companies, ids, URLs and tags come from the sources as they are; codes and
/// skill ids cannot start like a formula, but are checked all the same.
fn posting_row(p: &crate::domain::Posting) -> Vec<String> {
    fn join<'a>(codes: impl Iterator<Item = &'a str>) -> String {
        let mut codes: Vec<&str> = codes.collect();
        codes.sort_unstable();
        codes.dedup();
        safe_owned(codes.join("|"))
    }
    let text = |t: &str| safe_cell(t).into_owned();
    vec![
        p.id.to_string(),
        text(p.source.as_str()),
        text(&p.external_id),
        text(&p.title),
        text(p.company.as_deref().unwrap_or("")),
        text(p.url.as_deref().unwrap_or("")),
        p.posted.to_string(),
        p.first_seen.to_string(),
        p.last_seen.to_string(),
        p.valid_through.map(|d| d.to_string()).unwrap_or_default(),
        p.remote.to_string(),
        join(
            p.places
                .iter()
                .filter_map(|x| x.department.as_ref().map(|g| g.as_str())),
        ),
        join(
            p.places
                .iter()
                .filter_map(|x| x.region.as_ref().map(|g| g.as_str())),
        ),
        join(p.places.iter().map(|x| x.country.as_str())),
        join(p.skills.iter().map(|s| s.as_str())),
        join(p.implied_skills.iter().map(|s| s.as_str())),
        safe_owned(p.tags.join("|")),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formulas_are_neutralised() {
        assert_eq!(safe_cell("=SUM(A1)"), "'=SUM(A1)");
        assert_eq!(safe_cell("-1+2"), "'-1+2");
        assert_eq!(safe_cell("@cmd"), "'@cmd");
        assert_eq!(safe_cell("python"), "python");
    }

    #[test]
    fn every_formula_start_is_neutralised_and_only_at_the_start() {
        for hostile in [
            "=HYPERLINK(\"http://evil\",\"x\")",
            "+cmd|' /C calc'!A0",
            "-2+3",
            "@SUM(1+1)",
            "\t=1+1",
            "\r=1+1",
        ] {
            let want = format!("'{hostile}");
            assert_eq!(safe_cell(hostile), want.as_str());
            assert_eq!(safe_owned(hostile.to_owned()), want);
        }
        for harmless in [
            "",
            "Développeur Rust",
            "a=1",
            "x-y",
            "'=already quoted",
            " leading space",
            "c++",
            "FR-IDF|FR-ARA",
        ] {
            assert_eq!(safe_cell(harmless), harmless);
            assert_eq!(safe_owned(harmless.to_owned()), harmless);
        }
    }

    #[test]
    fn the_decimal_mark_follows_the_delimiter_unless_asked() {
        assert_eq!(CsvOptions::default().decimal, DecimalMark::Point);
        assert_eq!(
            CsvOptions::new(b';', false, None).decimal,
            DecimalMark::Comma
        );
        assert_eq!(
            CsvOptions::new(b'\t', false, None).decimal,
            DecimalMark::Point
        );
        assert_eq!(
            CsvOptions::new(b';', true, Some(DecimalMark::Point)).decimal,
            DecimalMark::Point
        );
        assert_eq!(
            CsvOptions::new(b',', false, Some(DecimalMark::Comma)).decimal,
            DecimalMark::Comma
        );
        for mark in [DecimalMark::Point, DecimalMark::Comma] {
            assert_eq!(DecimalMark::parse(mark.as_str()), Some(mark));
        }
        assert_eq!(DecimalMark::parse("Comma"), None);
    }

    #[test]
    fn decimals_keep_their_digits_and_change_only_the_mark() {
        let point = CsvOptions::default();
        let comma = CsvOptions::new(b';', false, None);
        assert_eq!(point.decimal(0.074586, 6), "0.074586");
        assert_eq!(comma.decimal(0.074586, 6), "0,074586");
        assert_eq!(comma.decimal(1.0, 6), "1,000000");
        assert_eq!(comma.decimal(-0.5, 2), "-0,50");
        assert_eq!(comma.decimal(12.0, 0), "12");
        // The writer's numbers are never neutralised, negative ones included.
        assert_eq!(point.decimal(-0.25, 6), "-0.250000");
    }
}
