//! The embedded TSV files, read through `csv` into one serde struct per
//! file: tab-separated positional columns, no header, no quoting, `#` lines
//! are comments, and a row may stop early (its missing columns are empty
//! where the struct says so).

use serde::de::IgnoredAny;
use serde::Deserialize;

use super::GeoError;

/// The rows of one embedded file, read one at a time into borrowed structs.
pub(super) struct Rows {
    file: &'static str,
    text: &'static str,
    reader: csv::Reader<&'static [u8]>,
    record: csv::StringRecord,
    /// A byte offset of `text` and its 1-based line: csv counts neither
    /// blank nor comment lines, so lines are counted here, from the byte
    /// where a record starts.
    counted: (usize, usize),
}

impl Rows {
    /// A reader of `text`, the content of `data/geo/{file}`.
    pub(super) fn new(file: &'static str, text: &'static str) -> Rows {
        let reader = csv::ReaderBuilder::new()
            .delimiter(b'\t')
            .has_headers(false)
            .quoting(false)
            .flexible(true)
            .from_reader(text.as_bytes());
        Rows {
            file,
            text,
            reader,
            record: csv::StringRecord::new(),
            counted: (0, 1),
        }
    }

    /// The next row with its 1-based line number, `None` after the last; a
    /// row that does not fit `T` is an error naming the file and the line.
    pub(super) fn next<'r, T: Deserialize<'r>>(
        &'r mut self,
    ) -> Result<Option<(usize, T)>, GeoError> {
        // Comment lines are read as records and skipped (csv's own comment
        // option leaves them out of its line count).
        loop {
            let more = match self.reader.read_record(&mut self.record) {
                Ok(more) => more,
                Err(e) => {
                    let line = e.position().map_or(0, |p| self.line_at(p.byte()));
                    return Err(bad(self.file, line, e.to_string()));
                }
            };
            if !more {
                return Ok(None);
            }
            if !self.record.get(0).is_some_and(|f| f.starts_with('#')) {
                break;
            }
        }
        let byte = self.record.position().map(csv::Position::byte);
        let line = byte.map_or(0, |b| self.line_at(b));
        let row = self.record.deserialize(None).map_err(|e| {
            let reason = match e.kind() {
                csv::ErrorKind::Deserialize { err, .. } => err.to_string(),
                _ => e.to_string(),
            };
            bad(self.file, line, reason)
        })?;
        Ok(Some((line, row)))
    }
}

impl Rows {
    /// The 1-based line of byte `byte` (records come in order: only the
    /// lines since the last record are counted).
    fn line_at(&mut self, byte: u64) -> usize {
        let mut byte = usize::try_from(byte)
            .unwrap_or(usize::MAX)
            .min(self.text.len());
        // csv places a record after blank lines at the first of them.
        while matches!(self.text.as_bytes().get(byte), Some(b'\n' | b'\r')) {
            byte += 1;
        }
        let (from, line) = self.counted;
        if byte < from {
            return line;
        }
        let more = self.text.as_bytes()[from..byte]
            .iter()
            .filter(|&&b| b == b'\n')
            .count();
        self.counted = (byte, line + more);
        line + more
    }
}

fn bad(file: &'static str, line: usize, reason: String) -> GeoError {
    GeoError::BadLine { file, line, reason }
}

/// `regions.tsv`: ISO code, INSEE code, name, aliases (`|` separated).
#[derive(Deserialize)]
pub(super) struct RegionRow<'a> {
    pub code: &'a str,
    _insee: IgnoredAny,
    pub name: &'a str,
    #[serde(default)]
    pub aliases: &'a str,
}

/// `departements.tsv`: number, région ISO code, name.
#[derive(Deserialize)]
pub(super) struct DepartementRow<'a> {
    pub number: &'a str,
    pub region: &'a str,
    pub name: &'a str,
}

/// `communes.tsv`: INSEE code, name, département number, population,
/// postal codes (space separated), parent commune (arrondissements).
#[derive(Deserialize)]
pub(super) struct CommuneRow<'a> {
    pub insee: &'a str,
    pub name: &'a str,
    pub departement: &'a str,
    pub population: u32,
    pub postal_codes: &'a str,
    pub parent: &'a str,
}

/// `countries.tsv`: alpha-2 code, name, names and aliases (`|` separated).
#[derive(Deserialize)]
pub(super) struct CountryRow<'a> {
    pub alpha2: &'a str,
    pub name: &'a str,
    pub aliases: &'a str,
}

/// `cities_abroad.tsv`: alpha-2 country code, names (`|` separated).
#[derive(Deserialize)]
pub(super) struct CityAbroadRow<'a> {
    pub country: &'a str,
    pub names: &'a str,
}

/// `admin_abroad.tsv`: code (`-` for none), alpha-2 country code, names.
#[derive(Deserialize)]
pub(super) struct AdminAbroadRow<'a> {
    pub code: &'a str,
    pub country: &'a str,
    pub names: &'a str,
}

/// `places_extra.tsv`: département number, INSEE code of the commune (`-`
/// for none), names (`|` separated).
#[derive(Deserialize)]
pub(super) struct ExtraPlaceRow<'a> {
    pub departement: &'a str,
    pub commune: &'a str,
    pub names: &'a str,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_skip_comments_and_blank_lines_and_keep_their_line_numbers() {
        let mut rows = Rows::new("t.tsv", "# comment\nDE\tBerlin|Berlin\n\nUS\tNew York\n");
        let mut seen = Vec::new();
        while let Some((line, row)) = rows.next::<CityAbroadRow>().unwrap() {
            seen.push((line, row.country.to_owned(), row.names.to_owned()));
        }
        assert_eq!(
            seen,
            vec![
                (2, "DE".to_owned(), "Berlin|Berlin".to_owned()),
                (4, "US".to_owned(), "New York".to_owned()),
            ]
        );
    }

    #[test]
    fn a_missing_optional_column_is_empty() {
        let mut rows = Rows::new("regions.tsv", "FR-IDF\t11\tÎle-de-France\n");
        let (_, row) = rows.next::<RegionRow>().unwrap().unwrap();
        assert_eq!(
            (row.code, row.name, row.aliases),
            ("FR-IDF", "Île-de-France", "")
        );
    }

    #[test]
    fn a_short_row_is_an_error_naming_the_file_and_the_line() {
        let mut rows = Rows::new("cities_abroad.tsv", "# names\nDE\tBerlin\n\nFR\n");
        assert!(rows.next::<CityAbroadRow>().unwrap().is_some());
        let err = rows.next::<CityAbroadRow>().map(|_| ()).unwrap_err();
        let shown = err.to_string();
        assert!(
            shown.starts_with("data/geo/cities_abroad.tsv, line 4: "),
            "{shown}"
        );
    }
}
