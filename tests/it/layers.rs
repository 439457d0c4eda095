//! The layering of the tree, checked on the sources: a pipeline stage
//! (`fetch → extract → normalize → store → trends → export → api`) imports
//! only the stages before it that it needs, listed below, and the shared
//! modules; never a later stage, nor the modules that compose the stages
//! (`pipeline`, `schedule`, `cli`) or read the configuration (`config`).
//! The store in particular knows no upstream stage: what it keeps is in
//! `domain`.

use std::path::{Path, PathBuf};

/// Modules any stage may import: plain data and small utilities.
const SHARED: &[&str] = &["domain", "lines", "shutdown", "telemetry"];

/// Each stage, in pipeline order, with the earlier stages it may import.
const STAGES: &[(&str, &[&str])] = &[
    ("fetch", &[]),
    ("extract", &[]),
    ("normalize", &["extract"]),
    ("store", &[]),
    ("trends", &["store"]),
    ("export", &["store", "trends"]),
    ("api", &["export", "normalize", "store", "trends"]),
];

/// The `.rs` files of module `name`: `src/name.rs` and everything under `src/name/`.
fn module_files(src: &Path, name: &str) -> Vec<PathBuf> {
    let mut files = Vec::new();
    let file = src.join(format!("{name}.rs"));
    if file.is_file() {
        files.push(file);
    }
    let mut dirs = vec![src.join(name)];
    while let Some(dir) = dirs.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for entry in entries {
            let path = entry.expect("directory entry").path();
            if path.is_dir() {
                dirs.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") {
                files.push(path);
            }
        }
    }
    files
}

/// The top-level modules named by `crate::…` paths in `text`, grouped
/// uses (`crate::{a::X, b}`) included.
fn crate_modules(text: &str) -> Vec<&str> {
    let mut modules = Vec::new();
    for (at, m) in text.match_indices("crate::") {
        let rest = &text[at + m.len()..];
        match rest.strip_prefix('{') {
            Some(group) => modules.extend(group_heads(group)),
            None => modules.push(ident(rest)),
        }
    }
    modules
}

/// The first path segment of each item of a `{…}` group (`group` starts
/// after the opening brace).
fn group_heads(group: &str) -> Vec<&str> {
    let mut heads = vec![ident(group.trim_start())];
    let mut depth = 0;
    for (at, c) in group.char_indices() {
        match c {
            '{' => depth += 1,
            '}' if depth == 0 => break,
            '}' => depth -= 1,
            ',' if depth == 0 => heads.push(ident(group[at + 1..].trim_start())),
            _ => {}
        }
    }
    heads.retain(|h| !h.is_empty());
    heads
}

/// The identifier `text` starts with.
fn ident(text: &str) -> &str {
    let end = text
        .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .unwrap_or(text.len());
    &text[..end]
}

/// Every `file: crate::module` import of `stage` outside what it may import.
fn violations(src: &Path, stage: &str, allowed: &[&str]) -> Vec<String> {
    let mut found = Vec::new();
    for file in module_files(src, stage) {
        let text = std::fs::read_to_string(&file).expect("source file reads");
        for module in crate_modules(&text) {
            if module != stage && !SHARED.contains(&module) && !allowed.contains(&module) {
                found.push(format!("{}: crate::{module}", file.display()));
            }
        }
    }
    found.sort();
    found.dedup();
    found
}

#[test]
fn no_stage_imports_a_later_stage_or_the_composing_modules() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    for (rank, (stage, allowed)) in STAGES.iter().enumerate() {
        let earlier: Vec<&str> = STAGES[..rank].iter().map(|(s, _)| *s).collect();
        for module in *allowed {
            assert!(
                earlier.contains(module),
                "{stage} may only import earlier stages, not {module}"
            );
        }
        assert!(
            !module_files(&src, stage).is_empty(),
            "no sources for {stage}"
        );
        let found = violations(&src, stage, allowed);
        assert!(found.is_empty(), "{stage} imports {found:#?}");
    }
}

#[test]
fn the_rule_sees_imports_paths_and_grouped_uses() {
    let text = "use crate::fetch::Fetcher;\nlet x: crate::pipeline::Context;\n\
                use crate::{domain::{Day, Posting}, store,\n    report::RunReport};";
    assert_eq!(
        crate_modules(text),
        vec!["fetch", "pipeline", "domain", "store", "report"]
    );
}
