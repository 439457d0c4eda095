//! `skilltrack reindex`: every stored posting normalized again with the
//! current taxonomy and geography, then every count recomputed.

use crate::normalize::Normalizer;
use crate::store::{PostingStore, StoreError};

/// `skilltrack reindex`: skills and places of every stored posting found
/// again with `normalizer`'s data, then every count recomputed. Returns the
/// number of postings.
pub fn reindex(
    store: &dyn PostingStore,
    normalizer: &Normalizer,
    progress: &mut dyn FnMut(u64),
) -> Result<u64, StoreError> {
    store.rebuild(Some(&|p| normalizer.renormalize(p)), progress)
}
