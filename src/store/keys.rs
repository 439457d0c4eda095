//! Key layout of the main tree. Every key starts with a one-byte tag; numbers
//! are big-endian so that byte order is numeric order and one prefix scan
//! returns a series in day order.
//!
//! | tag | key                                              | value                     |
//! |-----|--------------------------------------------------|---------------------------|
//! | `P` | `P` posting-id(u64)                              | posting, JSON             |
//! | `C` | `C` skill(u32) geo(u32) metric(u8) day(i32, sign-flipped) | count, i64 BE    |
//! | `F` | `F` fingerprint(u64) posting-id(u64)             | empty (duplicate index)   |
//! | `N` | `N` kind(`s` skill / `g` geo) name               | interned number, u32 BE   |
//!
//! Skill and geography names are interned to 4-byte numbers (persisted in the
//! same tree, written in the same batch as the counts that use them), which
//! keeps count keys at 14 bytes.

use crate::domain::{Day, PostingId};

/// Tag of posting records.
pub const POSTING: u8 = b'P';
/// Tag of counters.
pub const COUNT: u8 = b'C';
/// Tag of the fingerprint index.
pub const FINGERPRINT: u8 = b'F';
/// Tag of interned names.
pub const NAME: u8 = b'N';
/// Name kind: skill.
pub const NAME_SKILL: u8 = b's';
/// Name kind: geography.
pub const NAME_GEO: u8 = b'g';

/// Length of a counter key.
pub const COUNT_KEY_LEN: usize = 14;

/// Key of a posting record.
pub fn posting(id: PostingId) -> [u8; 9] {
    let mut k = [0u8; 9];
    k[0] = POSTING;
    k[1..].copy_from_slice(&id.as_u64().to_be_bytes());
    k
}

/// Key of a fingerprint index entry.
pub fn fingerprint(fp: u64, id: PostingId) -> [u8; 17] {
    let mut k = [0u8; 17];
    k[0] = FINGERPRINT;
    k[1..9].copy_from_slice(&fp.to_be_bytes());
    k[9..].copy_from_slice(&id.as_u64().to_be_bytes());
    k
}

/// Prefix of one fingerprint's index entries.
pub fn fingerprint_prefix(fp: u64) -> [u8; 9] {
    let mut k = [0u8; 9];
    k[0] = FINGERPRINT;
    k[1..].copy_from_slice(&fp.to_be_bytes());
    k
}

/// The parts of a fingerprint index key.
pub fn parse_fingerprint(key: &[u8]) -> Option<(u64, PostingId)> {
    if key.len() != 17 || key[0] != FINGERPRINT {
        return None;
    }
    let fp = u64::from_be_bytes(key[1..9].try_into().ok()?);
    let id = u64::from_be_bytes(key[9..17].try_into().ok()?);
    Some((fp, PostingId::from_u64(id)))
}

/// Key of an interned name.
pub fn name(kind: u8, name: &str) -> Vec<u8> {
    let mut k = Vec::with_capacity(2 + name.len());
    k.push(NAME);
    k.push(kind);
    k.extend_from_slice(name.as_bytes());
    k
}

/// Prefix of one series: skill, geography, metric.
pub fn series_prefix(skill: u32, geo: u32, metric: u8) -> [u8; 10] {
    let mut k = [0u8; 10];
    k[0] = COUNT;
    k[1..5].copy_from_slice(&skill.to_be_bytes());
    k[5..9].copy_from_slice(&geo.to_be_bytes());
    k[9] = metric;
    k
}

/// Key of one counter.
pub fn count(skill: u32, geo: u32, metric: u8, day: Day) -> [u8; COUNT_KEY_LEN] {
    let mut k = [0u8; COUNT_KEY_LEN];
    k[..10].copy_from_slice(&series_prefix(skill, geo, metric));
    k[10..].copy_from_slice(&encode_day(day));
    k
}

/// A day as 4 bytes whose byte order is day order (sign bit flipped).
pub fn encode_day(day: Day) -> [u8; 4] {
    ((day.epoch_days() as u32) ^ 0x8000_0000).to_be_bytes()
}

/// Inverse of [`encode_day`].
pub fn decode_day(bytes: [u8; 4]) -> Day {
    Day::from_epoch_days((u32::from_be_bytes(bytes) ^ 0x8000_0000) as i32)
}

/// The parts of a counter key: skill, geo, metric, day.
pub fn parse_count(key: &[u8]) -> Option<(u32, u32, u8, Day)> {
    if key.len() != COUNT_KEY_LEN || key[0] != COUNT {
        return None;
    }
    let u32_at = |i: usize| u32::from_be_bytes([key[i], key[i + 1], key[i + 2], key[i + 3]]);
    Some((
        u32_at(1),
        u32_at(5),
        key[9],
        decode_day([key[10], key[11], key[12], key[13]]),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn count_keys_round_trip_and_sort_by_day() {
        let days = [-800, -1, 0, 1, 19_000, 25_000].map(Day::from_epoch_days);
        let keys: Vec<_> = days.iter().map(|d| count(7, 3, b'n', *d)).collect();
        let mut sorted = keys.clone();
        sorted.sort();
        assert_eq!(keys, sorted);
        for (k, d) in keys.iter().zip(days) {
            assert_eq!(parse_count(k), Some((7, 3, b'n', d)));
            assert!(k.starts_with(&series_prefix(7, 3, b'n')));
        }
    }
}
