//! The top-skills CSV (`/api/v1/top.csv` and `skilltrack export top`): one
//! row per ranked skill, the columns of the JSON items in their order
//! ([`TOP_COLUMNS`]); an empty cell where the JSON has null.

use std::io::Write;

use super::{safe_cell, CsvOptions, ExportError, SHARE_DECIMALS};
use crate::trends::top::{Item, Top};

/// Columns of the top CSV, in order.
pub const TOP_COLUMNS: [&str; 18] = [
    "rank",
    "skill",
    "label",
    "category",
    "count",
    "total",
    "share",
    "low",
    "high",
    "low_support",
    "prev_count",
    "prev_total",
    "prev_share",
    "growth",
    "growth_low",
    "growth_high",
    "yoy_count",
    "yoy_share",
];

/// Writes a ranked list: the byte-order mark if asked, the header row, one
/// row per skill. Shares and growths have [`SHARE_DECIMALS`] decimals and
/// the options' decimal mark; text cells go through [`safe_cell`].
pub fn write_top_csv<W: Write>(
    mut out: W,
    top: &Top,
    options: CsvOptions,
) -> Result<(), ExportError> {
    if options.bom {
        out.write_all("\u{feff}".as_bytes())?;
    }
    let mut w = csv::WriterBuilder::new()
        .delimiter(options.delimiter)
        .from_writer(out);
    w.write_record(TOP_COLUMNS)?;
    for item in &top.skills {
        w.write_record(row(item, options))?;
    }
    w.flush()?;
    Ok(())
}

/// One item's cells.
fn row(item: &Item, options: CsvOptions) -> [String; 18] {
    let int = |v: Option<i64>| v.map(|n| n.to_string()).unwrap_or_default();
    let dec = |v: Option<f64>| {
        v.map(|x| options.decimal(x, SHARE_DECIMALS))
            .unwrap_or_default()
    };
    let text = |t: &str| safe_cell(t).into_owned();
    [
        item.rank.to_string(),
        text(&item.skill),
        text(&item.label),
        text(&item.category),
        item.count.to_string(),
        item.total.to_string(),
        dec(item.share),
        dec(item.low),
        dec(item.high),
        item.low_support.to_string(),
        int(item.prev_count),
        int(item.prev_total),
        dec(item.prev_share),
        dec(item.growth),
        dec(item.growth_low),
        dec(item.growth_high),
        int(item.yoy_count),
        dec(item.yoy_share),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::export::DecimalMark;

    fn item() -> Item {
        Item {
            rank: 1,
            skill: "python".into(),
            label: "=Python".into(),
            category: "language".into(),
            count: 150,
            total: 1000,
            share: Some(0.15),
            low: Some(0.129_210_072),
            high: Some(0.173_468_658),
            low_support: false,
            prev_count: Some(100),
            prev_total: Some(1000),
            prev_share: Some(0.1),
            growth: Some(1.5),
            growth_low: Some(1.183_056_9),
            growth_high: Some(1.901_852_7),
            yoy_count: None,
            yoy_share: None,
        }
    }

    #[test]
    fn one_row_per_item_nulls_empty_formulas_neutralised() {
        let top = Top {
            geo: "FR".into(),
            metric: "new",
            from: "2025-01-01".parse().unwrap(),
            to: "2025-01-10".parse().unwrap(),
            prev_from: None,
            prev_to: None,
            category: None,
            sort: "count",
            limit: 20,
            min_support: 30,
            total: 1000,
            prev_total: Some(1000),
            skills: vec![item()],
        };
        let mut out = Vec::new();
        write_top_csv(&mut out, &top, CsvOptions::default()).unwrap();
        assert_eq!(
            String::from_utf8(out).unwrap(),
            format!(
                "{}\n1,python,'=Python,language,150,1000,0.150000,0.129210,0.173469,false,100,1000,0.100000,1.500000,1.183057,1.901853,,\n",
                TOP_COLUMNS.join(",")
            )
        );
        let mut out = Vec::new();
        let french = CsvOptions::new(b';', true, None);
        assert_eq!(french.decimal, DecimalMark::Comma);
        write_top_csv(&mut out, &top, french).unwrap();
        let text = String::from_utf8(out).unwrap();
        assert!(text.starts_with("\u{feff}rank;skill;"), "{text}");
        assert!(
            text.ends_with(";150;1000;0,150000;0,129210;0,173469;false;100;1000;0,100000;1,500000;1,183057;1,901853;;\n"),
            "{text}"
        );
    }
}
