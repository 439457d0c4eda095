//! How an error is shown in a report or a log: with all its causes.

/// An error with its causes, one line: `error: cause: cause of the cause`.
/// What a report or a log shows of an error whose causes are sources.
pub fn error_chain(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        text.push_str(": ");
        text.push_str(&s.to_string());
        source = s.source();
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, thiserror::Error)]
    #[error("cannot write the batch")]
    struct Outer(#[source] std::io::Error);

    #[test]
    fn every_cause_is_shown_once_in_order() {
        let e = Outer(std::io::Error::other("disk full"));
        assert_eq!(error_chain(&e), "cannot write the batch: disk full");
        assert_eq!(error_chain(&std::io::Error::other("alone")), "alone");
    }
}
