//! The embedded TSV files, read one row at a time into borrowed structs:
//! tab-separated positional columns, no header, no quoting, `#` lines are
//! comments, blank lines are skipped, and a row may stop early (its missing
//! columns are empty where the struct says so).
//!
//! The format is this simple on purpose (`data/geo/generate.mjs` writes it),
//! so it is split on tabs directly: a CSV reader and a serde struct per row
//! made up a quarter of the gazetteer's build, which every process pays once
//! before its first location.

use super::GeoError;

/// One row of a file, read from its fields.
pub(super) trait Row<'a>: Sized {
    /// Reads the row; an error says which column is missing or wrong.
    fn read(fields: &mut Fields<'a>) -> Result<Self, String>;
}

/// The fields of one row, taken left to right.
pub(super) struct Fields<'a> {
    fields: SplitByte<'a>,
    /// Fields taken so far.
    taken: usize,
}

impl<'a> Fields<'a> {
    /// The next field; an error naming the column (`what`) when the row
    /// stops before it.
    pub(super) fn next(&mut self, what: &str) -> Result<&'a str, String> {
        self.taken += 1;
        self.fields
            .next()
            .ok_or_else(|| format!("missing column {} ({what})", self.taken))
    }

    /// The next field, empty when the row stops before it.
    pub(super) fn optional(&mut self) -> &'a str {
        self.taken += 1;
        self.fields.next().unwrap_or("")
    }

    /// The next field as a number.
    pub(super) fn number(&mut self, what: &str) -> Result<u32, String> {
        let field = self.next(what)?;
        field
            .parse()
            .map_err(|_| format!("column {} ({what}): bad number {field:?}", self.taken))
    }
}

/// The parts of `text` between the bytes `sep`, an ASCII separator: what
/// `text.split(sep as char)` gives.
pub(super) fn split_byte(text: &str, sep: u8) -> SplitByte<'_> {
    debug_assert!(sep.is_ascii());
    SplitByte {
        rest: Some(text),
        sep,
    }
}

/// The iterator of [`split_byte`]: a plain byte loop, which finds the end of
/// a short field or name sooner than `split`'s searcher (a third of the
/// gazetteer's start-up was in that searcher).
pub(super) struct SplitByte<'a> {
    /// What is left after the last separator; `None` once the last part
    /// is given.
    rest: Option<&'a str>,
    sep: u8,
}

impl<'a> Iterator for SplitByte<'a> {
    type Item = &'a str;

    #[inline]
    fn next(&mut self) -> Option<&'a str> {
        let rest = self.rest?;
        match rest.bytes().position(|b| b == self.sep) {
            Some(at) => {
                // `sep` is ASCII: both sides of it are character boundaries
                self.rest = Some(&rest[at + 1..]);
                Some(&rest[..at])
            }
            None => {
                self.rest = None;
                Some(rest)
            }
        }
    }
}

/// The rows of one embedded file, read one at a time into borrowed structs.
pub(super) struct Rows {
    file: &'static str,
    lines: std::iter::Enumerate<SplitByte<'static>>,
}

impl Rows {
    /// A reader of `text`, the content of `data/geo/{file}`.
    pub(super) fn new(file: &'static str, text: &'static str) -> Rows {
        Rows {
            file,
            lines: split_byte(text, b'\n').enumerate(),
        }
    }

    /// The next row with its 1-based line number, `None` after the last; a
    /// row that does not fit `T` is an error naming the file and the line.
    pub(super) fn next<T: Row<'static>>(&mut self) -> Result<Option<(usize, T)>, GeoError> {
        for (i, line) in self.lines.by_ref() {
            let line = line.strip_suffix('\r').unwrap_or(line);
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let mut fields = Fields {
                fields: split_byte(line, b'\t'),
                taken: 0,
            };
            return T::read(&mut fields)
                .map(|row| Some((i + 1, row)))
                .map_err(|reason| GeoError::BadLine {
                    file: self.file,
                    line: i + 1,
                    reason,
                });
        }
        Ok(None)
    }
}

/// `regions.tsv`: ISO code, INSEE code, name, aliases (`|` separated).
pub(super) struct RegionRow<'a> {
    pub code: &'a str,
    pub name: &'a str,
    pub aliases: &'a str,
}

impl<'a> Row<'a> for RegionRow<'a> {
    fn read(f: &mut Fields<'a>) -> Result<Self, String> {
        let code = f.next("code")?;
        f.next("INSEE code")?;
        Ok(RegionRow {
            code,
            name: f.next("name")?,
            aliases: f.optional(),
        })
    }
}

/// `departements.tsv`: number, région ISO code, name.
pub(super) struct DepartementRow<'a> {
    pub number: &'a str,
    pub region: &'a str,
    pub name: &'a str,
}

impl<'a> Row<'a> for DepartementRow<'a> {
    fn read(f: &mut Fields<'a>) -> Result<Self, String> {
        Ok(DepartementRow {
            number: f.next("number")?,
            region: f.next("région")?,
            name: f.next("name")?,
        })
    }
}

/// `communes.tsv`: INSEE code, name, département number, population,
/// postal codes (space separated), parent commune (arrondissements).
pub(super) struct CommuneRow<'a> {
    pub insee: &'a str,
    pub name: &'a str,
    pub departement: &'a str,
    pub population: u32,
    pub postal_codes: &'a str,
    pub parent: &'a str,
}

impl<'a> Row<'a> for CommuneRow<'a> {
    fn read(f: &mut Fields<'a>) -> Result<Self, String> {
        Ok(CommuneRow {
            insee: f.next("INSEE code")?,
            name: f.next("name")?,
            departement: f.next("département")?,
            population: f.number("population")?,
            postal_codes: f.next("postal codes")?,
            parent: f.next("parent")?,
        })
    }
}

/// `countries.tsv`: alpha-2 code, name, names and aliases (`|` separated).
pub(super) struct CountryRow<'a> {
    pub alpha2: &'a str,
    pub name: &'a str,
    pub aliases: &'a str,
}

impl<'a> Row<'a> for CountryRow<'a> {
    fn read(f: &mut Fields<'a>) -> Result<Self, String> {
        Ok(CountryRow {
            alpha2: f.next("alpha-2 code")?,
            name: f.next("name")?,
            aliases: f.next("aliases")?,
        })
    }
}

/// `cities_abroad.tsv`: alpha-2 country code, names (`|` separated).
pub(super) struct CityAbroadRow<'a> {
    pub country: &'a str,
    pub names: &'a str,
}

impl<'a> Row<'a> for CityAbroadRow<'a> {
    fn read(f: &mut Fields<'a>) -> Result<Self, String> {
        Ok(CityAbroadRow {
            country: f.next("country")?,
            names: f.next("names")?,
        })
    }
}

/// `admin_abroad.tsv`: code (`-` for none), alpha-2 country code, names.
pub(super) struct AdminAbroadRow<'a> {
    pub code: &'a str,
    pub country: &'a str,
    pub names: &'a str,
}

impl<'a> Row<'a> for AdminAbroadRow<'a> {
    fn read(f: &mut Fields<'a>) -> Result<Self, String> {
        Ok(AdminAbroadRow {
            code: f.next("code")?,
            country: f.next("country")?,
            names: f.next("names")?,
        })
    }
}

/// `places_extra.tsv`: département number, INSEE code of the commune (`-`
/// for none), names (`|` separated).
pub(super) struct ExtraPlaceRow<'a> {
    pub departement: &'a str,
    pub commune: &'a str,
    pub names: &'a str,
}

impl<'a> Row<'a> for ExtraPlaceRow<'a> {
    fn read(f: &mut Fields<'a>) -> Result<Self, String> {
        Ok(ExtraPlaceRow {
            departement: f.next("département")?,
            commune: f.next("commune")?,
            names: f.next("names")?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn split_byte_gives_what_split_gives() {
        for text in [
            "",
            "\t",
            "a",
            "a\tb",
            "\ta\t\tb\t",
            "Île-de-France\tÎDF|PARIS\t",
            "ab\tc\td",
        ] {
            let split: Vec<&str> = text.split('\t').collect();
            assert_eq!(
                split_byte(text, b'\t').collect::<Vec<_>>(),
                split,
                "{text:?}"
            );
        }
        let names = "paris\nsaint denis\nchâteau chinon\n";
        assert_eq!(split_byte(names, b'\n').count(), 4);
    }

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
    fn crlf_line_ends_and_extra_columns_are_read_like_the_plain_file() {
        let mut rows = Rows::new(
            "regions.tsv",
            "FR-IDF\t11\tÎle-de-France\tIDF\textra\r\n\r\n",
        );
        let (line, row) = rows.next::<RegionRow>().unwrap().unwrap();
        assert_eq!(
            (line, row.code, row.name, row.aliases),
            (1, "FR-IDF", "Île-de-France", "IDF")
        );
        assert!(rows.next::<RegionRow>().unwrap().is_none());
    }

    #[test]
    fn a_bad_number_names_its_column() {
        let mut rows = Rows::new(
            "communes.tsv",
            "01001\tL'Abergement-Clémenciat\t01\t860\t01400\t\n01002\tL'Abergement-de-Varey\t01\tmany\t01640\t\n",
        );
        let (_, row) = rows.next::<CommuneRow>().unwrap().unwrap();
        assert_eq!(
            (row.population, row.postal_codes, row.parent),
            (860, "01400", "")
        );
        let shown = rows
            .next::<CommuneRow>()
            .map(|_| ())
            .unwrap_err()
            .to_string();
        assert_eq!(
            shown,
            "data/geo/communes.tsv, line 2: column 4 (population): bad number \"many\""
        );
    }

    #[test]
    fn a_short_row_is_an_error_naming_the_file_and_the_line() {
        let mut rows = Rows::new("cities_abroad.tsv", "# names\nDE\tBerlin\n\nFR\n");
        assert!(rows.next::<CityAbroadRow>().unwrap().is_some());
        let err = rows.next::<CityAbroadRow>().map(|_| ()).unwrap_err();
        let shown = err.to_string();
        assert!(
            shown == "data/geo/cities_abroad.tsv, line 4: missing column 2 (names)",
            "{shown}"
        );
    }
}
