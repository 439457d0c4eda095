//! Export: CSV for analysts (RFC 4180, UTF-8, header row).
//!
//! Long format, one row per skill, geography and bucket:
//! `date,skill,geo,metric,interval,count,total,share,low,high,low_support`,
//! then `index` when the query asks for one and `yoy_count,yoy_share` with
//! `compare=yoy` ([`TrendsCsv`]). Wide format ([`Layout::Wide`]): one row
//! per bucket, one column per series. Options for French
//! spreadsheets: `;` as delimiter, a UTF-8 byte-order mark, and a decimal
//! comma (`0,074586`, on by default with `;`: a French-locale spreadsheet
//! reads `0.074586` as text). Text cells a spreadsheet would run as a formula
//! (starting with `=`, `+`, `-`, `@`, tab or CR) are prefixed with `'`
//! ([`safe_cell`]); numbers the writer makes itself are never touched.
//!
//! Both writers stream: the postings CSV one posting at a time, the long
//! trends CSV one series at a time ([`TrendsCsv::write_head`], then
//! [`TrendsCsv::write_rows`] per series). The wide trends CSV needs every
//! series at once: it is bounded by [`MAX_POINTS`](crate::trends::MAX_POINTS)
//! like any query. [`write_trends_csv_from_store`] writes a whole query
//! either way; `skilltrack export trends` and the API's `trends.csv` write
//! through the same [`TrendsCsv`] methods, so their bytes are the same.
//! The top-skills CSV, at most a few hundred rows, is written at once
//! ([`write_top_csv`]).

pub mod cell;
mod decimal;
mod rows;

use std::io::Write;

use crate::store::{CountStore, StoreError};
use crate::trends::{self, Options, Point, Series, TrendQuery};

mod top;
pub use top::{write_top_csv, TOP_COLUMNS};

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
        let mut text = String::with_capacity(16);
        self.push_decimal(&mut text, value, places);
        text
    }

    /// [`CsvOptions::decimal`], appended to `text`.
    fn push_decimal(&self, text: &mut String, value: f64, places: usize) {
        let start = text.len();
        decimal::push_fixed(text, value, places);
        if self.decimal == DecimalMark::Comma {
            if let Some(dot) = text[start..].find('.') {
                text.replace_range(start + dot..=start + dot, ",");
            }
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
    /// Reading the counts failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Columns of the trends CSV (long layout), in order; `index` and
/// `yoy_count,yoy_share` follow when asked ([`TrendsCsv::columns`]).
pub const TRENDS_COLUMNS: [&str; 11] = [
    "date",
    "skill",
    "geo",
    "metric",
    "interval",
    "count",
    "total",
    "share",
    "low",
    "high",
    "low_support",
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

/// Decimals of the `share`, `low`, `high` and `yoy_share` columns, and of
/// smoothed (averaged) counts and totals.
pub const SHARE_DECIMALS: usize = 6;
/// Decimals of the `index` column (100 = the base bucket's share).
pub const INDEX_DECIMALS: usize = 2;

/// The value of a wide CSV's cells.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum WideValue {
    /// Postings with the skill.
    Count,
    /// `count / total` (empty when the total is 0).
    #[default]
    Share,
    /// All postings of the geography: the denominator.
    Total,
}

impl WideValue {
    /// Parses `count`, `share` or `total` (the API's `value` parameter).
    pub fn parse(name: &str) -> Option<WideValue> {
        match name {
            "count" => Some(WideValue::Count),
            "share" => Some(WideValue::Share),
            "total" => Some(WideValue::Total),
            _ => None,
        }
    }

    /// The name [`WideValue::parse`] reads.
    pub fn as_str(self) -> &'static str {
        match self {
            WideValue::Count => "count",
            WideValue::Share => "share",
            WideValue::Total => "total",
        }
    }
}

/// A query option the wide layout cannot write (one value per cell).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("not available with wide=true (one value per cell): use the long layout")]
pub struct WideConflict {
    /// The option: `index` or `compare`.
    pub param: &'static str,
}

/// How the rows of a trends CSV are laid out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Layout {
    /// One row per series and bucket ([`TRENDS_COLUMNS`]).
    #[default]
    Long,
    /// One row per bucket, `date` then one column per series holding this
    /// value ([`wide_columns`]).
    Wide(WideValue),
}

/// How a trends CSV is written: CSV options, layout, and the optional
/// columns of the long layout.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct TrendsCsv {
    /// Delimiter, byte-order mark, decimal mark.
    pub csv: CsvOptions,
    /// Long or wide.
    pub layout: Layout,
    /// Write the `index` column (the query asked for an index).
    pub index: bool,
    /// Write `yoy_count,yoy_share` (the query asked `compare=yoy`).
    pub yoy: bool,
}

impl TrendsCsv {
    /// A long CSV with the columns `options` call for.
    pub fn long(csv: CsvOptions, options: &Options) -> TrendsCsv {
        TrendsCsv {
            csv,
            layout: Layout::Long,
            index: options.index.is_some(),
            yoy: options.compare.is_some(),
        }
    }

    /// The CSV of a query with `options`: long, or wide with `value` when
    /// `wide` is given (refused with an index or a comparison).
    pub fn new(
        csv: CsvOptions,
        options: &Options,
        wide: Option<WideValue>,
    ) -> Result<TrendsCsv, WideConflict> {
        let Some(value) = wide else {
            return Ok(TrendsCsv::long(csv, options));
        };
        if options.index.is_some() {
            return Err(WideConflict { param: "index" });
        }
        if options.compare.is_some() {
            return Err(WideConflict { param: "compare" });
        }
        Ok(TrendsCsv {
            csv,
            layout: Layout::Wide(value),
            index: false,
            yoy: false,
        })
    }

    /// The header of the long layout: [`TRENDS_COLUMNS`], then `index`,
    /// then `yoy_count,yoy_share`, as asked.
    pub fn columns(&self) -> Vec<&'static str> {
        let mut columns = TRENDS_COLUMNS.to_vec();
        if self.index {
            columns.push("index");
        }
        if self.yoy {
            columns.extend(["yoy_count", "yoy_share"]);
        }
        columns
    }

    /// Writes what starts a long trends CSV: the byte-order mark if asked,
    /// then the header row.
    pub fn write_head<W: Write>(&self, mut out: W) -> Result<(), ExportError> {
        if self.csv.bom {
            out.write_all("\u{feff}".as_bytes())?;
        }
        let mut w = rows::RowBuf::new(self.csv.delimiter);
        for name in self.columns() {
            w.field(name);
        }
        w.end_row();
        w.flush_to(&mut out)?;
        out.flush()?;
        Ok(())
    }

    /// Writes the long rows of one series (after [`TrendsCsv::write_head`]).
    pub fn write_rows<W: Write>(
        &self,
        mut out: W,
        query: &TrendQuery,
        series: &Series,
    ) -> Result<(), ExportError> {
        let mut w = rows::RowBuf::new(self.csv.delimiter);
        let skill = safe_cell(series.skill.as_str());
        let geo = safe_cell(series.geo.as_str());
        let (metric, interval) = (query.metric.as_str(), query.interval.as_str());
        // Fields are written one by one from stack buffers and one reused
        // string into one buffer: a daily series is thousands of rows.
        let mut text = String::new();
        for p in &series.points {
            w.field(p.date.iso_bytes());
            w.field(skill.as_bytes());
            w.field(geo.as_bytes());
            w.field(metric);
            w.field(interval);
            for value in [WideValue::Count, WideValue::Total, WideValue::Share] {
                w.field(self.cell_into(&mut text, p, value));
            }
            w.field(self.fraction_into(&mut text, p.low));
            w.field(self.fraction_into(&mut text, p.high));
            w.field(if p.low_support { "true" } else { "false" });
            if self.index {
                let index = p.index.flatten();
                w.field(self.decimal_into(&mut text, index, INDEX_DECIMALS));
            }
            if self.yoy {
                let yoy = p.yoy.unwrap_or(trends::YearBefore {
                    count: None,
                    share: None,
                });
                match yoy.count {
                    Some(c) => w.field(self.amount_into(&mut text, c, p)),
                    None => w.field(""),
                }
                w.field(self.fraction_into(&mut text, yoy.share));
            }
            w.end_row();
            w.flush_if_full(&mut out)?;
        }
        w.flush_to(&mut out)?;
        out.flush()?;
        Ok(())
    }

    /// Writes a whole wide CSV: the byte-order mark if asked, the header
    /// `date,<column>…` ([`wide_columns`]), one row per bucket holding
    /// `value` of each series. `series` are every series of `query` in
    /// [`TrendQuery::series_order`].
    pub fn write_wide<W: Write>(
        &self,
        mut out: W,
        query: &TrendQuery,
        series: &[Series],
        value: WideValue,
    ) -> Result<(), ExportError> {
        if self.csv.bom {
            out.write_all("\u{feff}".as_bytes())?;
        }
        let mut header = vec!["date".to_owned()];
        header.extend(wide_columns(query).into_iter().map(safe_owned));
        let mut w = rows::RowBuf::new(self.csv.delimiter);
        for name in &header {
            w.field(name);
        }
        w.end_row();
        let rows = series.first().map_or(0, |s| s.points.len());
        let mut text = String::new();
        for i in 0..rows {
            w.field(series[0].points[i].date.iso_bytes());
            for s in series {
                match s.points.get(i) {
                    Some(p) => w.field(self.cell_into(&mut text, p, value)),
                    None => w.field(""),
                }
            }
            w.end_row();
            w.flush_if_full(&mut out)?;
        }
        w.flush_to(&mut out)?;
        out.flush()?;
        Ok(())
    }

    /// A point's count, total or share as written, into `text` (cleared
    /// first): counts and totals are whole numbers, or decimals when
    /// smoothed; an undefined share is empty.
    fn cell_into<'t>(&self, text: &'t mut String, p: &Point, value: WideValue) -> &'t str {
        match (value, p.smoothed) {
            (WideValue::Count, None) => integer_into(text, p.count),
            (WideValue::Total, None) => integer_into(text, p.total),
            (WideValue::Count, Some((count, _))) => {
                self.decimal_into(text, Some(count), SHARE_DECIMALS)
            }
            (WideValue::Total, Some((_, total))) => {
                self.decimal_into(text, Some(total), SHARE_DECIMALS)
            }
            (WideValue::Share, _) => self.fraction_into(text, p.share),
        }
    }

    /// A count of the year before, written like the point's own count,
    /// into `text` (cleared first).
    fn amount_into<'t>(&self, text: &'t mut String, count: f64, p: &Point) -> &'t str {
        match p.smoothed {
            None => integer_into(text, count as i64),
            Some(_) => self.decimal_into(text, Some(count), SHARE_DECIMALS),
        }
    }

    /// A share or bound, empty when undefined, into `text` (cleared first).
    fn fraction_into<'t>(&self, text: &'t mut String, value: Option<f64>) -> &'t str {
        self.decimal_into(text, value, SHARE_DECIMALS)
    }

    /// [`CsvOptions::decimal`] of `value` (empty when `None`), written into
    /// `text` (cleared first).
    fn decimal_into<'t>(&self, text: &'t mut String, value: Option<f64>, places: usize) -> &'t str {
        text.clear();
        if let Some(value) = value {
            self.csv.push_decimal(text, value, places);
        }
        text
    }
}

/// `n` in decimal, written into `text` (cleared first).
fn integer_into(text: &mut String, n: i64) -> &str {
    text.clear();
    text.push_str(itoa::Buffer::new().format(n));
    text
}

/// The column names of a wide CSV after `date`, one per series in
/// [`TrendQuery::series_order`]: the skill with one geography, the
/// geography with one skill and several geographies, `skill@geo` with
/// several of both.
pub fn wide_columns(query: &TrendQuery) -> Vec<String> {
    let (skills, geos) = (query.skills.len(), query.geos.len());
    query
        .series_order()
        .map(|(s, g)| {
            let (skill, geo) = (query.skills[s].as_str(), query.geos[g].as_str());
            if geos == 1 {
                skill.to_owned()
            } else if skills == 1 {
                geo.to_owned()
            } else {
                format!("{skill}@{geo}")
            }
        })
        .collect()
}

/// Writes the trends CSV of `query` with `options`, read from `store`: the
/// long layout one series at a time, the wide one once every series is
/// read. What `skilltrack export trends` writes, byte for byte what the
/// API's `trends.csv` answers.
pub fn write_trends_csv_from_store<W: Write>(
    mut out: W,
    store: &dyn CountStore,
    query: &TrendQuery,
    options: &Options,
    csv: &TrendsCsv,
) -> Result<(), ExportError> {
    let totals = trends::all_totals_with(store, query, options)?;
    match csv.layout {
        Layout::Wide(value) => {
            let series = trends::all_series_with(store, query, options, &totals)?;
            csv.write_wide(&mut out, query, &series, value)?;
        }
        Layout::Long => {
            csv.write_head(&mut out)?;
            for (s, g) in query.series_order() {
                let series = trends::series_with(
                    store,
                    query,
                    options,
                    &query.skills[s],
                    &query.geos[g],
                    &totals[g],
                )?;
                csv.write_rows(&mut out, query, &series)?;
            }
        }
    }
    out.flush()?;
    Ok(())
}

/// Writes a trends result in long format (plain columns).
pub fn write_trends_csv<W: Write>(
    mut out: W,
    query: &TrendQuery,
    series: &[Series],
    options: CsvOptions,
) -> Result<(), ExportError> {
    let csv = TrendsCsv {
        csv: options,
        ..TrendsCsv::default()
    };
    csv.write_head(&mut out)?;
    for s in series {
        csv.write_rows(&mut out, query, s)?;
    }
    out.flush()?;
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

    use crate::domain::{Day, GeoCode, SkillId};
    use crate::store::Metric;
    use crate::trends::{Interval, YearBefore};

    fn day(s: &str) -> Day {
        s.parse().unwrap()
    }

    fn query(skills: &[&str], geos: &[&str]) -> TrendQuery {
        TrendQuery {
            skills: skills.iter().map(|s| SkillId::parse(s).unwrap()).collect(),
            geos: geos.iter().map(|g| GeoCode::parse(g).unwrap()).collect(),
            from: day("2025-01-01"),
            to: day("2025-01-31"),
            interval: Interval::Month,
            metric: Metric::New,
        }
    }

    fn point(count: i64, total: i64) -> Point {
        Point {
            date: day("2025-01-01"),
            count,
            total,
            share: (total > 0).then(|| count as f64 / total as f64),
            low: None,
            high: None,
            low_support: true,
            smoothed: None,
            index: None,
            yoy: None,
        }
    }

    fn written(f: impl FnOnce(&mut Vec<u8>)) -> String {
        let mut out = Vec::new();
        f(&mut out);
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn the_long_header_appends_what_the_options_ask() {
        let plain = TrendsCsv::new(CsvOptions::default(), &Options::default(), None).unwrap();
        assert_eq!(plain.columns(), TRENDS_COLUMNS);
        let all = Options {
            index: Some(day("2025-01-01")),
            compare: Some(crate::trends::Compare::Yoy),
            ..Options::default()
        };
        let csv = TrendsCsv::new(CsvOptions::default(), &all, None).unwrap();
        assert_eq!(
            csv.columns()[TRENDS_COLUMNS.len()..],
            ["index", "yoy_count", "yoy_share"]
        );
        // The wide layout holds one value per cell: no index, no comparison.
        let wide = TrendsCsv::new(CsvOptions::default(), &all, Some(WideValue::Share));
        assert_eq!(wide, Err(WideConflict { param: "index" }));
        let yoy_only = Options { index: None, ..all };
        let wide = TrendsCsv::new(CsvOptions::default(), &yoy_only, Some(WideValue::Count));
        assert_eq!(wide, Err(WideConflict { param: "compare" }));
    }

    #[test]
    fn smoothed_counts_and_a_missing_year_before_are_written_as_such() {
        let options = Options {
            smooth: 2,
            compare: Some(crate::trends::Compare::Yoy),
            index: Some(day("2025-01-01")),
            ..Options::default()
        };
        let csv = TrendsCsv::new(CsvOptions::new(b';', false, None), &options, None).unwrap();
        let q = query(&["python"], &["FR-ARA"]);
        let p = Point {
            smoothed: Some((1.5, 7.0)),
            share: Some(1.5 / 7.0),
            index: Some(None),
            yoy: Some(YearBefore {
                count: None,
                share: None,
            }),
            ..point(1, 4)
        };
        let series = Series {
            skill: q.skills[0].clone(),
            geo: q.geos[0].clone(),
            points: vec![p],
        };
        // 1.5 / 7 = 0.2142857…; an undefined index and year before: empty.
        assert_eq!(
            written(|out| csv.write_rows(out, &q, &series).unwrap()),
            "2025-01-01;python;FR-ARA;new;month;1,500000;7,000000;0,214286;;;true;;;\n"
        );
    }

    #[test]
    fn wide_columns_name_what_varies() {
        assert_eq!(
            wide_columns(&query(&["python", "rust"], &["FR"])),
            ["python", "rust"]
        );
        assert_eq!(
            wide_columns(&query(&["python"], &["FR-IDF", "FR-ARA"])),
            ["FR-IDF", "FR-ARA"]
        );
        assert_eq!(
            wide_columns(&query(&["python", "rust"], &["FR-IDF", "FR-ARA"])),
            [
                "python@FR-IDF",
                "python@FR-ARA",
                "rust@FR-IDF",
                "rust@FR-ARA"
            ]
        );
        assert_eq!(wide_columns(&query(&["python"], &["WORLD"])), ["python"]);
    }

    #[test]
    fn a_wide_csv_has_one_row_per_bucket_and_empty_undefined_shares() {
        let q = query(&["python"], &["FR-IDF", "FR-ARA"]);
        let series: Vec<Series> = [(3, 5), (0, 0)]
            .iter()
            .zip(&q.geos)
            .map(|(&(count, total), geo)| Series {
                skill: q.skills[0].clone(),
                geo: geo.clone(),
                points: vec![point(count, total)],
            })
            .collect();
        let csv = TrendsCsv::default();
        let wide = |value| written(|out| csv.write_wide(out, &q, &series, value).unwrap());
        // 3 / 5 = 0.6; 0 of 0 has no share.
        assert_eq!(
            wide(WideValue::Share),
            "date,FR-IDF,FR-ARA\n2025-01-01,0.600000,\n"
        );
        assert_eq!(
            wide(WideValue::Count),
            "date,FR-IDF,FR-ARA\n2025-01-01,3,0\n"
        );
        assert_eq!(
            wide(WideValue::Total),
            "date,FR-IDF,FR-ARA\n2025-01-01,5,0\n"
        );
        for value in [WideValue::Count, WideValue::Share, WideValue::Total] {
            assert_eq!(WideValue::parse(value.as_str()), Some(value));
        }
        assert_eq!(WideValue::parse("mean"), None);
    }
}
