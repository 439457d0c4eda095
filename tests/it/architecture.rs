//! What ARCHITECTURE.md states, checked on the source tree: only the sled
//! store names sled, and `extract` and `normalize` do no file or network I/O
//! (apart from loading the source definitions). The order of the stages
//! (no stage imports a later one) is checked by `layers.rs`.

use std::path::{Path, PathBuf};

/// Where sled may be named.
const SLED_HOME: [&str; 2] = ["src/store/sled_store.rs", "src/store/sled_store/"];

/// Where the concrete sled store may be named: the store itself, and the
/// one function of the command line that opens it.
const SLED_STORE_NAMED: [&str; 2] = ["src/store/", "src/cli/mod.rs"];

/// Paths that would mean I/O in `extract` or `normalize`.
const IO_PATHS: [&str; 5] = [
    "std::fs",
    "std::net",
    "tokio::",
    "reqwest::Client",
    "File::",
];

/// The one file of `extract` that reads files: loading `extractors/*.toml`.
const LOADER: &str = "src/extract/source.rs";

/// Every `.rs` file under `dir`, as paths relative to the crate root.
fn rust_files(root: &Path, dir: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<_> = std::fs::read_dir(root.join(dir))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    entries.sort();
    for path in entries {
        let rel = path.strip_prefix(root).unwrap().to_path_buf();
        if path.is_dir() {
            rust_files(root, &rel, out);
        } else if rel.extension().is_some_and(|e| e == "rs") {
            out.push(rel);
        }
    }
}

/// The crate's source files with their code lines (comments left out),
/// paths with `/` separators.
fn sources() -> Vec<(String, Vec<String>)> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = Vec::new();
    rust_files(root, Path::new("src"), &mut files);
    files
        .into_iter()
        .map(|rel| {
            let text = std::fs::read_to_string(root.join(&rel)).unwrap();
            let code = text
                .lines()
                .filter(|l| !l.trim_start().starts_with("//"))
                .map(str::to_owned)
                .collect();
            (rel.to_string_lossy().replace('\\', "/"), code)
        })
        .collect()
}

/// The top-level module a file belongs to (`src/store/keys.rs` → `store`).
fn module_of(path: &str) -> &str {
    let rest = path.strip_prefix("src/").unwrap_or(path);
    let first = rest.split('/').next().unwrap_or(rest);
    first.strip_suffix(".rs").unwrap_or(first)
}

/// The top-level modules a line names through `crate::`.
fn crate_modules(line: &str) -> Vec<&str> {
    line.match_indices("crate::")
        .map(|(i, m)| {
            let rest = &line[i + m.len()..];
            let end = rest
                .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                .unwrap_or(rest.len());
            &rest[..end]
        })
        .collect()
}

/// Every `file: line` where `test` holds, for an assertion message.
fn offending(files: &[(String, Vec<String>)], test: fn(&str, &str) -> bool) -> Vec<String> {
    let mut out = Vec::new();
    for (path, code) in files {
        for line in code {
            if test(path, line) {
                out.push(format!("{path}: {}", line.trim()));
            }
        }
    }
    out
}

/// Whether `line` of `path` names sled outside the sled store.
fn names_sled_elsewhere(path: &str, line: &str) -> bool {
    !SLED_HOME.iter().any(|home| path.starts_with(home))
        && (line.contains("sled::") || line.trim_start().starts_with("use sled"))
}

/// Whether `line` of `path` names the concrete `SledStore` where the store's
/// traits should be used.
fn names_the_sled_store_elsewhere(path: &str, line: &str) -> bool {
    !SLED_STORE_NAMED.iter().any(|home| path.starts_with(home)) && line.contains("SledStore")
}

/// Whether `line` of `path` does I/O in `extract` or `normalize`.
fn io_in_pure_stage(path: &str, line: &str) -> bool {
    matches!(module_of(path), "extract" | "normalize")
        && path != LOADER
        && IO_PATHS.iter().any(|p| line.contains(p))
}

#[test]
fn only_the_sled_store_names_sled() {
    let bad = offending(&sources(), names_sled_elsewhere);
    assert!(
        bad.is_empty(),
        "sled named outside the sled store:\n{}",
        bad.join("\n")
    );
}

#[test]
fn only_the_opening_code_names_the_sled_store() {
    let bad = offending(&sources(), names_the_sled_store_elsewhere);
    assert!(
        bad.is_empty(),
        "SledStore named outside the store and `cli::open_store`:\n{}",
        bad.join("\n")
    );
}

#[test]
fn extract_and_normalize_do_no_io() {
    let bad = offending(&sources(), io_in_pure_stage);
    assert!(
        bad.is_empty(),
        "I/O in extract or normalize:\n{}",
        bad.join("\n")
    );
}

/// The checks can fail: each finds what it looks for in made-up files.
#[test]
fn the_checks_see_what_they_look_for() {
    assert_eq!(module_of("src/store/sled_store/ingest.rs"), "store");
    assert_eq!(module_of("src/report.rs"), "report");
    assert_eq!(
        crate_modules("use crate::store::Store; x(crate::pipeline::run)"),
        ["store", "pipeline"]
    );
    let files = vec![
        (
            "src/extract/json.rs".to_owned(),
            vec![
                "use crate::store::Store;".to_owned(),
                "use crate::fetch::Page;".to_owned(),
                "let f = std::fs::read(p);".to_owned(),
            ],
        ),
        (
            "src/trends/mod.rs".to_owned(),
            vec![
                "use crate::pipeline::run;".to_owned(),
                "let t: sled::Tree;".to_owned(),
            ],
        ),
        (
            "src/store/sled_store/counts.rs".to_owned(),
            vec!["let t: sled::Tree;".to_owned()],
        ),
        (
            "src/cli/collect.rs".to_owned(),
            vec!["store: Arc<SledStore>,".to_owned()],
        ),
        (
            "src/cli/mod.rs".to_owned(),
            vec!["SledStore::open_with(dir)".to_owned()],
        ),
    ];
    assert_eq!(
        offending(&files, names_the_sled_store_elsewhere),
        ["src/cli/collect.rs: store: Arc<SledStore>,"]
    );
    assert_eq!(
        offending(&files, names_sled_elsewhere),
        ["src/trends/mod.rs: let t: sled::Tree;"]
    );
    assert_eq!(
        offending(&files, io_in_pure_stage),
        ["src/extract/json.rs: let f = std::fs::read(p);"]
    );
}
