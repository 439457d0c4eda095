//! Remote or not: the remote phrases of a string, read per list item.
//!
//! `remote` is true when the job can be done fully remotely: a full-remote
//! phrase (`Full remote`, `100 % télétravail`, `Anywhere`) anywhere in the
//! string, or a remote phrase (`Remote`, `Télétravail`, `WFH`) in a list item
//! with no partial marker (`hybrid`, `partiel`, `2 jours`, `some days`…).
//! `Paris or Remote` is remote (remote is one of the options);
//! `Onsite, WFH some days` and `2 jours de télétravail` are not.

use super::fold::Tok;
use super::words::class;

/// What the remote phrases of a string said so far.
#[derive(Debug, Default)]
pub(super) struct RemoteReading {
    /// A full-remote phrase was seen.
    full: bool,
    /// A list item with a remote phrase and no partial marker was seen.
    remote: bool,
    /// The current list item has a remote phrase.
    item_remote: bool,
    /// The current list item has a partial marker.
    item_partial: bool,
}

impl RemoteReading {
    /// A remote phrase; `full` for a full-remote one.
    pub(super) fn phrase(&mut self, full: bool) {
        self.full |= full;
        self.item_remote = true;
    }

    /// A token of the string (and its folded text): notes partial markers.
    pub(super) fn token(&mut self, t: &Tok, folded: &str) {
        if t.class & class::PARTIAL != 0 || is_day_count(folded) {
            self.item_partial = true;
        }
    }

    /// The list item ends (`/`, `;`, `or`, `ou`…).
    pub(super) fn end_item(&mut self) {
        self.remote |= self.item_remote && !self.item_partial;
        self.item_remote = false;
        self.item_partial = false;
    }

    /// Whether the string says the job can be done fully remotely.
    pub(super) fn finish(mut self) -> bool {
        self.end_item();
        self.full || self.remote
    }
}

/// `2j`, `3jrs`, `2d`: a number of days.
fn is_day_count(folded: &str) -> bool {
    let digits = folded.bytes().take_while(u8::is_ascii_digit).count();
    digits > 0
        && digits <= 2
        && matches!(
            &folded[digits..],
            "j" | "jr" | "jrs" | "d" | "days" | "jours"
        )
}
