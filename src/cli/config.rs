//! `skilltrack config check [FILE]`: the file checked strictly, then the
//! effective configuration printed with each value's origin (see
//! [`crate::config::check`]); every problem on stderr and exit 3 if any.

use std::io::Write as _;
use std::path::{Path, PathBuf};

use anyhow::Context as _;

use super::Exit;
use crate::config::check::{check, Flags};

/// Checks `file` (else the `--config` file, else none) with the
/// environment and the global flags.
pub(super) fn config_check(
    file: Option<&Path>,
    config_flag: Option<&Path>,
    flags: Flags,
) -> anyhow::Result<Exit> {
    let path: Option<PathBuf> = file.or(config_flag).map(Path::to_path_buf);
    let text = match &path {
        Some(p) => Some(
            std::fs::read_to_string(p)
                .with_context(|| format!("cannot read config file {}", p.display()))
                .map_err(|e| super::InvalidConfig(format!("{e:#}")))?,
        ),
        None => None,
    };
    let shown = path.as_ref().map(|p| p.display().to_string());
    let file = shown.as_deref().zip(text.as_deref());
    let report = check(file, |k| std::env::var(k).ok(), &flags);
    if !report.is_ok() {
        for problem in &report.problems {
            eprintln!("error: {problem}");
        }
        eprintln!(
            "{} problem(s); the configuration was not loaded.",
            report.problems.len()
        );
        return Ok(Exit::InvalidConfig);
    }
    let mut out = std::io::stdout().lock();
    let source = shown.unwrap_or_else(|| "no file".to_owned());
    writeln!(
        out,
        "# The configuration is valid ({source}). Effective values, and where each came from:"
    )?;
    out.write_all(report.render().as_bytes())?;
    Ok(Exit::Success)
}
