//! The README against the program: every subcommand in its command
//! reference, every configuration key and variable in its configuration
//! reference, and its runnable shell blocks (fenced as `sh runnable`) run
//! in order, as written, in a fresh clone in a scratch directory, with
//! `cargo run --release --` standing for the binary this test was built
//! with (building a release binary in a test would take minutes).

use std::path::Path;
use std::process::Command;

use clap::CommandFactory;
use skilltrack::cli::Cli;
use skilltrack::config::keys::KEYS;
use skilltrack::config::ENV_VARS;

fn readme() -> String {
    std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).expect("README.md")
}

/// The text of the `## title` section.
fn section(text: &str, title: &str) -> String {
    let start = text
        .find(&format!("\n## {title}\n"))
        .unwrap_or_else(|| panic!("no section {title:?}"));
    let rest = &text[start + 1..];
    let end = rest[3..].find("\n## ").map_or(rest.len(), |i| i + 3);
    rest[..end].to_owned()
}

#[test]
fn the_command_reference_names_every_subcommand() {
    let text = readme();
    let reference = section(&text, "Commands");
    let cli = Cli::command();
    for sub in cli.get_subcommands() {
        let name = sub.get_name();
        let nested: Vec<String> = sub
            .get_subcommands()
            .map(|s| format!("`{name} {}", s.get_name()))
            .collect();
        if nested.is_empty() {
            assert!(
                reference.contains(&format!("| `{name}"))
                    || reference.contains(&format!("/ `{name}")),
                "`{name}` is missing from the README's command reference"
            );
        }
        for n in nested {
            assert!(
                reference.contains(&n),
                "{n}` is missing from the README's command reference"
            );
        }
    }
}

#[test]
fn the_configuration_reference_names_every_key_and_variable() {
    let reference = section(&readme(), "Configuration");
    for key in KEYS {
        let named = [
            format!("`{}`", key.name),
            format!(" {}`", key.name),
            format!(".{}]", key.name),
            format!("`{},", key.name),
        ];
        assert!(
            named.iter().any(|n| reference.contains(n.as_str())),
            "{} is missing from the README's configuration reference",
            key.display_name()
        );
        if !key.section.is_empty() {
            assert!(
                reference.contains(&format!("[{}", key.section)),
                "[{}]",
                key.section
            );
        }
    }
    for var in ENV_VARS {
        assert!(
            reference.contains(var),
            "{var} is missing from the README's configuration reference"
        );
    }
}

/// The blocks fenced as `sh runnable`, in order.
fn runnable_blocks(text: &str) -> Vec<String> {
    let mut blocks = Vec::new();
    let mut current: Option<String> = None;
    for line in text.lines() {
        match &mut current {
            None if line.trim() == "```sh runnable" => current = Some(String::new()),
            Some(block) if line.trim() == "```" => {
                blocks.push(std::mem::take(block));
                current = None;
            }
            Some(block) => {
                block.push_str(line);
                block.push('\n');
            }
            None => {}
        }
    }
    blocks
}

#[test]
fn the_readme_runnable_blocks_work_from_a_fresh_clone() {
    let text = readme();
    let blocks = runnable_blocks(&text);
    assert!(blocks.len() >= 3, "runnable blocks: {}", blocks.len());
    assert!(
        blocks[0].contains("-- demo"),
        "the tour starts with the demo"
    );
    let scratch = tempfile::tempdir().unwrap();
    let clone = scratch.path().join("skilltrack");
    let cloned = Command::new("git")
        .args([
            "clone",
            "--quiet",
            "--no-hardlinks",
            env!("CARGO_MANIFEST_DIR"),
        ])
        .arg(&clone)
        .status();
    if !matches!(cloned, Ok(s) if s.success()) {
        eprintln!(
            "skipped: {} is not a git checkout (or git is missing)",
            env!("CARGO_MANIFEST_DIR")
        );
        return;
    }
    // `cargo run --release -- ARGS` runs this build's binary (exec'd, so that
    // `kill %1` in a block stops the binary itself); other cargo calls go on.
    let shims = scratch.path().join("bin");
    std::fs::create_dir_all(&shims).unwrap();
    let real_cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
    let shim = format!(
        "#!/usr/bin/env bash\nif [ \"$1 $2 $3\" = 'run --release --' ]; then shift 3; exec {:?} \"$@\"; fi\nexec {real_cargo:?} \"$@\"\n",
        env!("CARGO_BIN_EXE_skilltrack")
    );
    let shim_path = shims.join("cargo");
    std::fs::write(&shim_path, shim).unwrap();
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&shim_path, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    let path = format!(
        "{}:{}",
        shims.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    for (i, block) in blocks.iter().enumerate() {
        let script = format!("set -euo pipefail\nexport PATH={path:?}\n{block}");
        let out = run_bash(&clone, &script);
        assert!(
            out.status.success(),
            "README block {} failed ({}):\n{block}\n--- stdout\n{}\n--- stderr\n{}",
            i + 1,
            out.status,
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }
    // What the blocks promise is there.
    assert!(clone.join("cka-bretagne.csv").exists());
    assert!(clone.join("demo-backup.jsonl").exists());
    assert!(clone.join("demo-db").is_dir());
}

fn run_bash(dir: &Path, script: &str) -> std::process::Output {
    let mut cmd = Command::new("bash");
    for (k, _) in std::env::vars() {
        if k.starts_with("SKILLTRACK_") {
            cmd.env_remove(k);
        }
    }
    cmd.arg("-c")
        .arg(script)
        .current_dir(dir)
        .output()
        .expect("bash")
}
