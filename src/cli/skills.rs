//! `skilltrack skills`: the taxonomy.

use std::io::Write;

use super::{normalizer, Exit, SkillsArgs};

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
