//! What the benches measure below the [`Store`](super::Store) interface:
//! the posting record encoding and the key it is stored under. Not part of
//! the API; kept so that the record and key modules stay private.

use rustc_hash::FxHashMap;

use crate::domain::Posting;

/// A name table in memory, numbering skill and geography names as the
/// store's does (one number space, in order of first use).
#[derive(Debug, Default)]
pub struct RecordNames {
    numbers: FxHashMap<(u8, String), u32>,
    names: Vec<String>,
}

impl super::record::NameTable for RecordNames {
    fn number(&mut self, kind: u8, name: &str) -> u32 {
        if let Some(n) = self.numbers.get(&(kind, name.to_owned())) {
            return *n;
        }
        let n = self.names.len() as u32;
        self.names.push(name.to_owned());
        self.numbers.insert((kind, name.to_owned()), n);
        n
    }

    fn name(&self, number: u32) -> Option<&str> {
        self.names.get(number as usize).map(String::as_str)
    }
}

/// A posting's record as the store encodes it, its text left out (as if
/// empty), its names numbered in `names`.
#[inline]
pub fn encode_record_without_text(posting: &Posting, names: &mut RecordNames) -> Vec<u8> {
    super::record::encode(posting, super::texts::TextRef::EMPTY, names)
}

/// The key of the posting record with sequence number `seq`.
#[inline]
pub fn posting_key(seq: u64) -> [u8; 9] {
    super::keys::posting(seq)
}
