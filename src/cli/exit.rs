//! How `skilltrack` ends: its exit statuses, and which error gives which.

use std::process::ExitCode;

/// An error that means the configuration or the source definitions are
/// invalid ([`Exit::InvalidConfig`]).
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct InvalidConfig(pub String);

/// The exit status of a command. Scripts rely on these numbers: they do not
/// change.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exit {
    /// 0: everything asked was done (also when the reader of the output went
    /// away: `skilltrack geos | head -1`).
    Success,
    /// 1: an error stopped the command.
    Failure,
    /// 2: the command ran to its end, but some sources, pages or input lines
    /// failed (each was reported), or a flag had a bad value.
    Partial,
    /// 3: the configuration or a source definition is invalid.
    InvalidConfig,
}

impl Exit {
    /// The status as a number.
    pub fn code(self) -> u8 {
        match self {
            Exit::Success => 0,
            Exit::Failure => 1,
            Exit::Partial => 2,
            Exit::InvalidConfig => 3,
        }
    }

    /// [`Exit::Partial`] when something failed, else [`Exit::Success`].
    pub fn partial_if(failed: bool) -> Exit {
        if failed {
            Exit::Partial
        } else {
            Exit::Success
        }
    }

    /// The status of a command that ended with `e`: an [`InvalidConfig`]
    /// anywhere in the chain is [`Exit::InvalidConfig`], a write to a reader
    /// that went away is [`Exit::Success`], anything else [`Exit::Failure`].
    pub fn of_error(e: &anyhow::Error) -> Exit {
        if super::is_broken_pipe(e) {
            Exit::Success
        } else if e.chain().any(|c| c.is::<InvalidConfig>()) {
            Exit::InvalidConfig
        } else {
            Exit::Failure
        }
    }
}

impl From<Exit> for ExitCode {
    fn from(exit: Exit) -> ExitCode {
        ExitCode::from(exit.code())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use anyhow::Context as _;

    #[test]
    fn errors_map_to_their_status() {
        let config = anyhow::Error::new(InvalidConfig("bad key".into()));
        assert_eq!(Exit::of_error(&config), Exit::InvalidConfig);
        // With context added on the way up, still a configuration error.
        let wrapped = Err::<(), _>(InvalidConfig("bad key".into()))
            .context("loading extractors")
            .unwrap_err();
        assert_eq!(Exit::of_error(&wrapped), Exit::InvalidConfig);
        let pipe = anyhow::Error::new(std::io::Error::from(std::io::ErrorKind::BrokenPipe));
        assert_eq!(Exit::of_error(&pipe), Exit::Success);
        assert_eq!(Exit::of_error(&anyhow::anyhow!("disk full")), Exit::Failure);
        assert_eq!(
            [
                Exit::Success,
                Exit::Failure,
                Exit::Partial,
                Exit::InvalidConfig
            ]
            .map(Exit::code),
            [0, 1, 2, 3]
        );
        assert_eq!(Exit::partial_if(true), Exit::Partial);
        assert_eq!(Exit::partial_if(false), Exit::Success);
    }
}
