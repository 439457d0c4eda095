//! Key layout of the main tree. Every key starts with a one-byte tag; numbers
//! are big-endian so that byte order is numeric order and one prefix scan
//! returns a series in day order.
//!
//! | tag | key                                              | value                     |
//! |-----|--------------------------------------------------|---------------------------|
//! | `P` | `P` sequence number(u64), in arrival order        | posting record, binary (see [`record`](super::record)) |
//! | `C` | `C` skill(u32) geo(u32) counter(u8) year(u16, +32768) | the year's non-zero days |
//! | `M` | `Mpostings`, `Mdirty`                            | posting count; "counts pending" marker |
//! | `N` | `N` kind(`s` skill / `g` geo) name               | interned number, u32 BE   |
//!
//! Skill and geography names are interned to 4-byte numbers (persisted in the
//! same tree, written in the same batch as the counts that use them), which
//! keeps count keys at 12 bytes. A counter value holds one year of one series:
//! `(day-of-year u16, count i32)` pairs, big-endian, sorted, zeros omitted —
//! so a three-year daily series is three reads.

use crate::domain::Day;

/// Tag of posting records.
pub const POSTING: u8 = b'P';
/// Tag of counters.
pub const COUNT: u8 = b'C';
/// Tag of interned names.
pub const NAME: u8 = b'N';
/// Name kind: skill.
pub const NAME_SKILL: u8 = b's';
/// Name kind: geography.
pub const NAME_GEO: u8 = b'g';

/// Length of a counter key.
pub const COUNT_KEY_LEN: usize = 12;

/// Key of a posting record: its sequence number (see
/// [`index`](super::index) for why not its id).
pub fn posting(seq: u64) -> [u8; 9] {
    let mut k = [0u8; 9];
    k[0] = POSTING;
    k[1..].copy_from_slice(&seq.to_be_bytes());
    k
}

/// The sequence number of a posting record's key.
pub fn parse_posting(key: &[u8]) -> Option<u64> {
    match key {
        [POSTING, seq @ ..] => Some(u64::from_be_bytes(seq.try_into().ok()?)),
        _ => None,
    }
}

/// Key of an interned name.
pub fn name(kind: u8, name: &str) -> Vec<u8> {
    let mut k = Vec::with_capacity(2 + name.len());
    k.push(NAME);
    k.push(kind);
    k.extend_from_slice(name.as_bytes());
    k
}

/// Prefix of one series: skill, geography, counter.
pub fn series_prefix(skill: u32, geo: u32, counter: u8) -> [u8; 10] {
    let mut k = [0u8; 10];
    k[0] = COUNT;
    k[1..5].copy_from_slice(&skill.to_be_bytes());
    k[5..9].copy_from_slice(&geo.to_be_bytes());
    k[9] = counter;
    k
}

/// Key of one year of one series.
pub fn count(skill: u32, geo: u32, counter: u8, year: i32) -> [u8; COUNT_KEY_LEN] {
    let mut k = [0u8; COUNT_KEY_LEN];
    k[..10].copy_from_slice(&series_prefix(skill, geo, counter));
    k[10..].copy_from_slice(&encode_year(year));
    k
}

/// A year as 2 bytes whose byte order is year order.
pub fn encode_year(year: i32) -> [u8; 2] {
    ((year.clamp(-32768, 32767) + 32768) as u16).to_be_bytes()
}

/// The parts of a counter key: skill, geo, counter tag, year.
pub fn parse_count(key: &[u8]) -> Option<(u32, u32, u8, i32)> {
    if key.len() != COUNT_KEY_LEN || key[0] != COUNT {
        return None;
    }
    let u32_at = |i: usize| u32::from_be_bytes([key[i], key[i + 1], key[i + 2], key[i + 3]]);
    let year = i32::from(u16::from_be_bytes([key[10], key[11]])) - 32768;
    Some((u32_at(1), u32_at(5), key[9], year))
}

/// Encodes one year's non-zero days, sorted by day of year (1-based).
pub fn encode_year_values(values: &[(u16, i32)]) -> Vec<u8> {
    let mut out = Vec::with_capacity(values.len() * 6);
    for (doy, v) in values {
        out.extend_from_slice(&doy.to_be_bytes());
        out.extend_from_slice(&v.to_be_bytes());
    }
    out
}

/// Decodes a year value; `None` when its length is not a multiple of 6.
pub fn decode_year_values(bytes: &[u8]) -> Option<Vec<(u16, i32)>> {
    if !bytes.len().is_multiple_of(6) {
        return None;
    }
    Some(
        bytes
            .chunks_exact(6)
            .map(|c| {
                (
                    u16::from_be_bytes([c[0], c[1]]),
                    i32::from_be_bytes([c[2], c[3], c[4], c[5]]),
                )
            })
            .collect(),
    )
}

/// The days of one year's record with their values, in record order,
/// without allocating; `None` when the bytes are not whole entries, an
/// ordinal is outside the year, or the year is outside the calendar.
///
/// A day is the year's first day plus its ordinal: no calendar conversion
/// per value (a three-year series read converted each of its days).
pub fn year_days(year: i32, bytes: &[u8]) -> Option<YearDays<'_>> {
    if !bytes.len().is_multiple_of(6) {
        return None;
    }
    let first = day_of(year, 1)?;
    let days = time::util::days_in_year(year);
    let ordinal = |c: &[u8]| u16::from_be_bytes([c[0], c[1]]);
    if bytes
        .chunks_exact(6)
        .any(|c| ordinal(c) == 0 || ordinal(c) > days)
    {
        return None;
    }
    Some(YearDays {
        before: first.epoch_days() - 1,
        chunks: bytes.chunks_exact(6),
    })
}

/// Iterator of [`year_days`].
#[derive(Debug, Clone)]
pub struct YearDays<'a> {
    /// The epoch day before the year's first day.
    before: i32,
    chunks: std::slice::ChunksExact<'a, u8>,
}

impl Iterator for YearDays<'_> {
    type Item = (Day, i32);

    fn next(&mut self) -> Option<(Day, i32)> {
        let c = self.chunks.next()?;
        let ordinal = i32::from(u16::from_be_bytes([c[0], c[1]]));
        let value = i32::from_be_bytes([c[2], c[3], c[4], c[5]]);
        Some((Day::from_epoch_days(self.before + ordinal), value))
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        self.chunks.size_hint()
    }
}

/// The year and day of year (1-based) of a day.
pub fn year_and_ordinal(day: Day) -> (i32, u16) {
    let d = day.to_date();
    (d.year(), d.ordinal())
}

/// The day of a year and day of year.
pub fn day_of(year: i32, ordinal: u16) -> Option<Day> {
    time::Date::from_ordinal_date(year, ordinal)
        .ok()
        .and_then(|d| Day::from_date(d).ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn year_days_match_the_calendar_and_refuse_damage() {
        // 2024 is a leap year: ordinal 60 is 29 February, 366 is 31 December.
        let bytes = encode_year_values(&[(1, 5), (60, -2), (366, 7)]);
        let days: Vec<_> = year_days(2024, &bytes).unwrap().collect();
        let expected: Vec<_> = [(1, 5), (60, -2), (366, 7)]
            .into_iter()
            .map(|(o, v)| (day_of(2024, o).unwrap(), v))
            .collect();
        assert_eq!(days, expected);
        assert_eq!(days[1].0.to_string(), "2024-02-29");
        // 2025 has no day 366; a cut entry is not a whole one; ordinal 0 is none.
        assert!(year_days(2025, &bytes).is_none());
        assert!(year_days(2024, &bytes[..7]).is_none());
        assert!(year_days(2024, &encode_year_values(&[(0, 1)])).is_none());
        assert!(year_days(10_000, &encode_year_values(&[(1, 1)])).is_none());
    }

    #[test]
    fn count_keys_round_trip_and_sort_by_year() {
        let years = [-5, 1969, 1970, 2024, 2025, 2100];
        let keys: Vec<_> = years.iter().map(|y| count(7, 3, b'o', *y)).collect();
        let mut sorted = keys.clone();
        sorted.sort();
        assert_eq!(keys, sorted);
        for (k, y) in keys.iter().zip(years) {
            assert_eq!(parse_count(k), Some((7, 3, b'o', y)));
            assert!(k.starts_with(&series_prefix(7, 3, b'o')));
        }
    }

    #[test]
    fn posting_keys_round_trip() {
        let seq = 0x0123_4567_89ab_cdef;
        assert_eq!(parse_posting(&posting(seq)), Some(seq));
        assert!(posting(1) < posting(256));
        assert_eq!(parse_posting(&posting(seq)[..8]), None);
        assert_eq!(parse_posting(&count(1, 2, b'o', 2024)), None);
    }

    #[test]
    fn year_values_round_trip() {
        let v = vec![(1, 3), (60, -1), (366, 70_000)];
        assert_eq!(decode_year_values(&encode_year_values(&v)), Some(v));
        assert_eq!(decode_year_values(&[1, 2, 3]), None);
        let d: Day = "2024-12-31".parse().unwrap();
        assert_eq!(year_and_ordinal(d), (2024, 366));
        assert_eq!(day_of(2024, 366), Some(d));
    }
}
