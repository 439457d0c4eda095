//! The reference lists: `skills` and `geos`.

use super::{normalizer, Exit, GeosArgs, SkillsArgs};
use std::io::Write;

pub(super) fn skills(args: &SkillsArgs) -> anyhow::Result<Exit> {
    let normalizer = normalizer()?;
    let taxonomy = normalizer.taxonomy();
    let category = args
        .category
        .as_deref()
        .map(|c| c.parse::<crate::normalize::skills::Category>())
        .transpose()
        .map_err(|e| anyhow::anyhow!("--category: {e}"))?;
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    for skill in taxonomy
        .skills()
        .iter()
        .filter(|s| category.is_none_or(|c| s.category == c))
    {
        if args.json {
            serde_json::to_writer(
                &mut out,
                &serde_json::json!({
                    "id": skill.id, "label": skill.label, "category": skill.category.as_str(),
                    "aliases": skill.aliases, "implies": skill.implies, "requires": skill.requires,
                    "issuer": skill.issuer,
                }),
            )?;
            writeln!(out)?;
        } else {
            writeln!(
                out,
                "{:<28} {:<14} {}",
                skill.id,
                skill.category.as_str(),
                skill.label
            )?;
        }
    }
    Ok(Exit::Success)
}

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
