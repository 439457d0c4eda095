//! The `skilltrack` binary: parse the command line, set up logging, call the
//! library, map the outcome to an exit code. An error from writing to a
//! reader that went away (`skilltrack geos | head -1`) ends quietly with 0.

use std::process::ExitCode;

use clap::Parser;
use skilltrack::cli::{self, Cli, InvalidConfig, EXIT_INVALID_CONFIG};

fn main() -> ExitCode {
    // Read by clap, not by `Config::apply_env`: an empty value is refused
    // like the others (clap would call it a missing --config).
    if let Some(v) = std::env::var_os("SKILLTRACK_CONFIG") {
        if v.to_string_lossy().trim().is_empty() {
            eprintln!("error: environment variable SKILLTRACK_CONFIG={v:?}: empty: give a file, or unset it");
            return ExitCode::from(EXIT_INVALID_CONFIG);
        }
    }
    let cli = Cli::parse();
    skilltrack::telemetry::init("info");
    match cli::run(cli) {
        Ok(code) => code,
        Err(e) if cli::is_broken_pipe(&e) => ExitCode::SUCCESS,
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
