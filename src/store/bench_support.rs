//! What the benches measure below the [`Store`](super::Store) interface:
//! the posting record encoding and the key it is stored under. Not part of
//! the API; kept so that the record and key modules stay private.

use crate::domain::Posting;

/// A posting's record as the store encodes it, its text left out (as if
/// empty).
#[inline]
pub fn encode_record_without_text(posting: &Posting) -> Vec<u8> {
    super::record::encode(posting, super::texts::TextRef::EMPTY)
}

/// The key of the posting record with sequence number `seq`.
#[inline]
pub fn posting_key(seq: u64) -> [u8; 9] {
    super::keys::posting(seq)
}
