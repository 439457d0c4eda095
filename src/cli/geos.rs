//! `skilltrack geos`: the geography.

use std::io::Write;

use super::{normalizer, Exit, GeosArgs};

pub(super) fn geos(args: &GeosArgs) -> anyhow::Result<Exit> {
    let normalizer = normalizer()?;
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    for e in normalizer.gazetteer().entries() {
        if args.level.is_some_and(|l| e.level != l) {
            continue;
        }
        if args.json {
            serde_json::to_writer(
                &mut out,
                &serde_json::json!({"code": e.code, "name": e.name, "level": e.level.as_str(), "parent": e.parent}),
            )?;
            writeln!(out)?;
        } else {
            writeln!(
                out,
                "{:<10} {:<11} {:<8} {}",
                e.code,
                e.level.as_str(),
                e.parent.as_deref().unwrap_or("-"),
                e.name
            )?;
        }
    }
    Ok(Exit::Success)
}
