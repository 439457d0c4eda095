//! The `skilltrack` binary: parse the command line, set up logging, call the
//! library, map the outcome to an exit code.

use std::process::ExitCode;

use clap::Parser;
use skilltrack::cli::{self, Cli, InvalidConfig, EXIT_INVALID_CONFIG};

fn main() -> ExitCode {
    let cli = Cli::parse();
    skilltrack::telemetry::init("info");
    match cli::run(cli) {
        Ok(code) => code,
        Err(e) if e.downcast_ref::<InvalidConfig>().is_some() => {
            eprintln!("error: {e:#}");
            ExitCode::from(EXIT_INVALID_CONFIG)
        }
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}
