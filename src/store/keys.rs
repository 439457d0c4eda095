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
//! its non-zero days in order, each as the gap from the day before and the
//! value, two LEB128 varints (see [`encode_year_values`]; about two bytes a
//! day, a third of the fixed six bytes of store schemas before 4) — so a
//! three-year daily series is three reads.

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

/// Encodes one year's non-zero days, sorted by day of year (1-based, each
/// once): per day, the gap from the previous day of year (from 0 for the
/// first) then the value zigzag-coded, both LEB128 varints. A day costs two
/// bytes unless its gap reaches 128 days or its value ±64 (six bytes each
/// before store schema 4).
pub fn encode_year_values(values: &[(u16, i32)]) -> Vec<u8> {
    let mut out = Vec::with_capacity(values.len() * 2 + 4);
    let mut previous = 0u16;
    for &(ordinal, value) in values {
        debug_assert!(ordinal > previous, "year values must be sorted, days once");
        put_varint(&mut out, u32::from(ordinal.wrapping_sub(previous)));
        put_varint(&mut out, zigzag(value));
        previous = ordinal;
    }
    out
}

/// Decodes a year value; `None` when it is cut, a day is not after the one
/// before, or a day of year passes 366.
pub fn decode_year_values(bytes: &[u8]) -> Option<Vec<(u16, i32)>> {
    let mut values = Vec::with_capacity(bytes.len() / 2);
    let mut entries = Entries::new(bytes);
    for entry in &mut entries {
        values.push(entry?);
    }
    Some(values)
}

/// The days of one year's record with their values, in record order,
/// without allocating; `None` when the record is damaged (see
/// [`decode_year_values`]), a day of year is outside the year, or the year
/// is outside the calendar.
///
/// A day is the year's first day plus its ordinal: no calendar conversion
/// per value (a three-year series read converted each of its days).
pub fn year_days(year: i32, bytes: &[u8]) -> Option<YearDays<'_>> {
    let first = day_of(year, 1)?;
    let days = time::util::days_in_year(year);
    // Checked whole before the first value is given out.
    for entry in Entries::new(bytes) {
        if entry?.0 > days {
            return None;
        }
    }
    Some(YearDays {
        before: first.epoch_days() - 1,
        entries: Entries::new(bytes),
    })
}

/// Iterator of [`year_days`].
#[derive(Debug, Clone)]
pub struct YearDays<'a> {
    /// The epoch day before the year's first day.
    before: i32,
    entries: Entries<'a>,
}

impl Iterator for YearDays<'_> {
    type Item = (Day, i32);

    fn next(&mut self) -> Option<(Day, i32)> {
        // Checked by `year_days`: a damaged entry cannot be met here.
        let (ordinal, value) = self.entries.next()??;
        Some((
            Day::from_epoch_days(self.before + i32::from(ordinal)),
            value,
        ))
    }
}

/// The entries of a year record, each `None` when damaged (and the last).
#[derive(Debug, Clone)]
struct Entries<'a> {
    bytes: &'a [u8],
    ordinal: u16,
    failed: bool,
}

impl<'a> Entries<'a> {
    fn new(bytes: &'a [u8]) -> Entries<'a> {
        Entries {
            bytes,
            ordinal: 0,
            failed: false,
        }
    }
}

impl Iterator for Entries<'_> {
    type Item = Option<(u16, i32)>;

    fn next(&mut self) -> Option<Option<(u16, i32)>> {
        if self.bytes.is_empty() || self.failed {
            return None;
        }
        let entry = (|| {
            let gap = take_varint(&mut self.bytes)?;
            let value = unzigzag(take_varint(&mut self.bytes)?);
            let ordinal = u32::from(self.ordinal) + gap;
            if gap == 0 || ordinal > 366 {
                return None;
            }
            self.ordinal = ordinal as u16;
            Some((self.ordinal, value))
        })();
        self.failed = entry.is_none();
        Some(entry)
    }
}

fn zigzag(v: i32) -> u32 {
    ((v << 1) ^ (v >> 31)) as u32
}

fn unzigzag(v: u32) -> i32 {
    ((v >> 1) as i32) ^ -((v & 1) as i32)
}

fn put_varint(out: &mut Vec<u8>, mut v: u32) {
    while v >= 0x80 {
        out.push((v as u8) | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

/// Takes one LEB128 `u32` off the front of `bytes`; `None` when cut or
/// longer than five bytes.
fn take_varint(bytes: &mut &[u8]) -> Option<u32> {
    let mut v = 0u32;
    for (i, &b) in bytes.iter().enumerate().take(5) {
        if i == 4 && b > 0x0f {
            return None; // more than 32 bits
        }
        v |= u32::from(b & 0x7f) << (7 * i);
        if b & 0x80 == 0 {
            *bytes = &bytes[i + 1..];
            return Some(v);
        }
    }
    None
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
        // 2025 has no day 366; a cut entry is not a whole one.
        assert!(year_days(2025, &bytes).is_none());
        assert!(year_days(2024, &bytes[..bytes.len() - 1]).is_none());
        assert!(year_days(10_000, &encode_year_values(&[(1, 1)])).is_none());
        // A gap of 0 (a day twice, or day of year 0) and days past 366 are damage.
        assert!(year_days(2024, &[0, 2]).is_none());
        assert!(year_days(2024, &[1, 2, 0, 2]).is_none());
        assert!(year_days(2024, &[0xef, 0x02, 2]).is_none()); // day 367
        assert!(year_days(2024, &[]).is_some_and(|mut d| d.next().is_none()));
    }

    #[test]
    fn year_values_are_two_bytes_a_day_when_small() {
        let every_day: Vec<(u16, i32)> = (1..=365).map(|d| (d, (d % 60) as i32 - 30)).collect();
        assert_eq!(encode_year_values(&every_day).len(), 2 * 365);
        // A first day late in the year, and big values, take more.
        assert_eq!(encode_year_values(&[(300, 1)]).len(), 3);
        assert_eq!(encode_year_values(&[(1, 64)]).len(), 3);
        assert_eq!(encode_year_values(&[(1, i32::MIN)]).len(), 6);
    }

    #[test]
    fn year_values_round_trip_awkward_values() {
        let mut rng = fastrand::Rng::with_seed(19);
        for _ in 0..2_000 {
            let mut days: Vec<u16> = (0..rng.usize(0..40)).map(|_| rng.u16(1..=366)).collect();
            days.sort_unstable();
            days.dedup();
            let values: Vec<(u16, i32)> = days
                .into_iter()
                .map(|d| {
                    let v = match rng.u8(0..4) {
                        0 => rng.i32(..),
                        1 => *[i32::MIN, i32::MAX, -1, 1, 63, -64, 64, -65]
                            .get(rng.usize(0..8))
                            .unwrap_or(&1),
                        _ => rng.i32(-300..300),
                    };
                    (d, v)
                })
                .collect();
            let bytes = encode_year_values(&values);
            assert_eq!(decode_year_values(&bytes).as_ref(), Some(&values));
            let days: Vec<(Day, i32)> = year_days(2024, &bytes).unwrap().collect();
            let expected: Vec<(Day, i32)> = values
                .iter()
                .map(|&(o, v)| (day_of(2024, o).unwrap(), v))
                .collect();
            assert_eq!(days, expected);
        }
        // More than 32 bits in a varint, or one never ended, is refused.
        assert_eq!(decode_year_values(&[1, 0xff, 0xff, 0xff, 0xff, 0x1f]), None);
        assert_eq!(decode_year_values(&[1, 0x80]), None);
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
        assert_eq!(decode_year_values(&[]), Some(vec![]));
        let d: Day = "2024-12-31".parse().unwrap();
        assert_eq!(year_and_ordinal(d), (2024, 366));
        assert_eq!(day_of(2024, 366), Some(d));
    }
}
