//! The `skilltrack` binary: parse the command line, set up logging, call the
//! library, map the outcome to an exit status ([`cli::Exit`]). An error from
//! writing to a reader that went away (`skilltrack geos | head -1`) ends
//! quietly with 0.

use std::process::ExitCode;

use clap::Parser;
use skilltrack::cli::{self, Cli, Exit};

/// mimalloc rather than the system allocator: the server and the import spend
/// a third of their time in glibc's `malloc`/`free` (decoded sled pages and
/// posting records are short-lived), see BENCHMARKS.md. Built with its
/// `no_thp` feature (Cargo.toml): with transparent huge pages, partly used
/// 2 MiB pages stay resident (a million-posting import peaked 60 MB higher,
/// no faster).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    // Read by clap, not by `Config::apply_env`: an empty value is refused
    // like the others (clap would call it a missing --config).
    if let Some(v) = std::env::var_os("SKILLTRACK_CONFIG") {
        if v.to_string_lossy().trim().is_empty() {
            eprintln!("error: environment variable SKILLTRACK_CONFIG={v:?}: empty: give a file, or unset it");
            return Exit::InvalidConfig.into();
        }
    }
    let cli = Cli::parse();
    skilltrack::telemetry::init("info");
    match cli::run(cli) {
        Ok(exit) => exit.into(),
        Err(e) => {
            let exit = Exit::of_error(&e);
            if exit != Exit::Success {
                eprintln!("error: {e:#}");
            }
            exit.into()
        }
    }
}
