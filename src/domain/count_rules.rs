//! The parameters of the counting rules (`store::counting`): what makes two
//! postings one job and when a posting is closed. Set by `config`, applied
//! by the store.

/// The parameters of the counting rules.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CountRules {
    /// Postings of one group at most this many days after the cluster's first
    /// posting day are the same job.
    pub dedup_window_days: i32,
    /// A posting not seen for this many days is closed.
    pub unseen_close_days: i32,
    /// A posting is closed at the latest this many days after its posting day.
    pub max_open_days: i32,
}

/// Default dedup window.
pub const DEFAULT_DEDUP_WINDOW_DAYS: i32 = 60;
/// Default days unseen before a posting is closed.
pub const DEFAULT_UNSEEN_CLOSE_DAYS: i32 = 7;
/// Default longest life of a posting.
pub const DEFAULT_MAX_OPEN_DAYS: i32 = 90;

impl Default for CountRules {
    fn default() -> CountRules {
        CountRules {
            dedup_window_days: DEFAULT_DEDUP_WINDOW_DAYS,
            unseen_close_days: DEFAULT_UNSEEN_CLOSE_DAYS,
            max_open_days: DEFAULT_MAX_OPEN_DAYS,
        }
    }
}
