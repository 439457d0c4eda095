//! A cron schedule (`schedule` of a source file): six fields, seconds first,
//! UTC, checked once when the file is loaded with the parser the scheduler
//! uses; the scheduler asks it for its fire times ([`Cron::next_after`],
//! [`Cron::last_at_or_before`]).

use std::fmt;

use chrono::{DateTime, Utc};
use time::OffsetDateTime;

/// A cron expression with seconds, UTC (`0 15 5 * * *`), known to parse.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cron(String);

/// Why a cron expression was refused (the parser's own error).
#[derive(Debug, thiserror::Error)]
#[error(transparent)]
pub struct CronError(#[from] croner::errors::CronError);

impl Cron {
    /// Parses `expr` the way the scheduler (tokio-cron-scheduler, through
    /// croner) will: seconds required, day-of-month and day-of-week both
    /// honoured.
    pub fn parse(expr: &str) -> Result<Cron, CronError> {
        parsed(expr)?;
        Ok(Cron(expr.to_owned()))
    }

    /// The first fire time strictly after `t` (None past the calendar's end).
    pub fn next_after(&self, t: OffsetDateTime) -> Option<OffsetDateTime> {
        let cron = parsed(&self.0).ok()?;
        from_chrono(cron.find_next_occurrence(&to_chrono(t)?, false).ok()?)
    }

    /// The last fire time at or before `t` (None before the calendar's start).
    pub fn last_at_or_before(&self, t: OffsetDateTime) -> Option<OffsetDateTime> {
        let cron = parsed(&self.0).ok()?;
        from_chrono(cron.find_previous_occurrence(&to_chrono(t)?, true).ok()?)
    }

    /// The expression as written.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// `expr` parsed the way the scheduler reads it.
fn parsed(expr: &str) -> Result<croner::Cron, croner::errors::CronError> {
    croner::parser::CronParser::builder()
        .seconds(croner::parser::Seconds::Required)
        .dom_and_dow(true)
        .build()
        .parse(expr)
}

fn to_chrono(t: OffsetDateTime) -> Option<DateTime<Utc>> {
    DateTime::from_timestamp(t.unix_timestamp(), t.nanosecond())
}

fn from_chrono(t: DateTime<Utc>) -> Option<OffsetDateTime> {
    let t = OffsetDateTime::from_unix_timestamp(t.timestamp()).ok()?;
    Some(t)
}

impl fmt::Display for Cron {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn six_fields_seconds_first_parse_and_five_do_not() {
        let cron = Cron::parse("0 15 5 * * *").unwrap();
        assert_eq!(cron.as_str(), "0 15 5 * * *");
        assert!(Cron::parse("15 5 * * *").is_err());
        assert!(Cron::parse("0 61 5 * * *").is_err());
        assert!(Cron::parse("").is_err());
    }

    #[test]
    fn fire_times_around_an_instant() {
        use time::macros::datetime;
        let daily = Cron::parse("0 20 4 * * *").unwrap();
        let t = datetime!(2026-12-01 10:00:00.5 UTC);
        assert_eq!(
            daily.next_after(t),
            Some(datetime!(2026-12-02 04:20:00 UTC))
        );
        assert_eq!(
            daily.last_at_or_before(t),
            Some(datetime!(2026-12-01 04:20:00 UTC))
        );
        // At a fire time: the next is the one after, the last is itself.
        let at = datetime!(2026-12-01 04:20:00 UTC);
        assert_eq!(
            daily.next_after(at),
            Some(datetime!(2026-12-02 04:20:00 UTC))
        );
        assert_eq!(daily.last_at_or_before(at), Some(at));
        let every = Cron::parse("*/1 * * * * *").unwrap();
        assert_eq!(
            every.next_after(t),
            Some(datetime!(2026-12-01 10:00:01 UTC))
        );
        assert_eq!(
            every.last_at_or_before(t),
            Some(datetime!(2026-12-01 10:00:00 UTC))
        );
    }
}
