//! A cron schedule (`schedule` of a source file): six fields, seconds first,
//! UTC, checked once when the file is loaded with the parser the scheduler
//! uses, then handed to the scheduler as it was written.

use std::fmt;

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
        croner::parser::CronParser::builder()
            .seconds(croner::parser::Seconds::Required)
            .dom_and_dow(true)
            .build()
            .parse(expr)?;
        Ok(Cron(expr.to_owned()))
    }

    /// The expression as written.
    pub fn as_str(&self) -> &str {
        &self.0
    }
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
}
