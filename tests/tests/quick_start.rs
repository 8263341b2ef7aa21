//! The README's quick start, followed literally: from a clean checkout (the
//! files git tracks, nothing built), its install command puts a working
//! `code-index` into a fresh prefix; that binary reports its version, answers
//! an MCP `initialize`, and runs the README's first query.

use std::path::{Path, PathBuf};
use std::process::Command;

use code_index_tests::mcp::McpSession;
use code_index_tests::{DEADLINE, OutputWithin, StopDaemonOnDrop, code_index_bin, success};

/// A release build of the workspace on two cores, with nothing compiled yet.
const INSTALL_DEADLINE: std::time::Duration = std::time::Duration::from_secs(30 * 60);

/// The repository this test belongs to.
fn repository() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("the tests crate sits in the repository")
        .to_path_buf()
}

/// The shell commands of the README's `## Quick start` code block.
fn quick_start_commands(readme: &str) -> Vec<String> {
    let section = readme
        .split("\n## Quick start\n")
        .nth(1)
        .expect("README.md has a Quick start section");
    let block = section
        .split("```sh\n")
        .nth(1)
        .and_then(|rest| rest.split("```").next())
        .expect("the Quick start section opens with a sh code block");
    block
        .lines()
        .map(|line| line.split(" #").next().unwrap_or("").trim().to_string())
        .filter(|line| !line.is_empty())
        .collect()
}

/// Copies the files git tracks (as they are in the working tree) to `to`.
fn clean_checkout(repo: &Path, to: &Path) {
    let out = Command::new("git")
        .args(["ls-files", "-z"])
        .current_dir(repo)
        .output()
        .expect("git runs (the quick start begins with a clone)");
    assert!(out.status.success(), "git ls-files failed");
    for rel in out.stdout.split(|&b| b == 0).filter(|p| !p.is_empty()) {
        let rel = std::str::from_utf8(rel).expect("tracked paths are UTF-8");
        let from = repo.join(rel);
        if !from.is_file() {
            continue; // deleted in the working tree
        }
        let dest = to.join(rel);
        std::fs::create_dir_all(dest.parent().unwrap()).unwrap();
        std::fs::copy(&from, &dest).unwrap();
    }
}

/// Where Cargo keeps this build's artifacts: the install reuses the compiled
/// dependencies rather than building them all again.
fn target_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os("CARGO_TARGET_DIR") {
        return PathBuf::from(dir);
    }
    // target/<profile>/code-index -> target
    code_index_bin()
        .parent()
        .and_then(Path::parent)
        .expect("the binary lives in target/<profile>/")
        .to_path_buf()
}

#[test]
fn the_readme_quick_start_installs_a_working_binary() {
    let repo = repository();
    let readme = std::fs::read_to_string(repo.join("README.md")).unwrap();
    let commands = quick_start_commands(&readme);
    assert_eq!(
        commands,
        [
            "cargo install --locked --path crates/code-index",
            "cargo test --workspace --locked",
        ],
        "the quick start is exactly two commands"
    );
    let ci = std::fs::read_to_string(repo.join(".ci/run")).unwrap();
    assert!(
        ci.lines().any(|line| line.trim() == commands[1]),
        ".ci/run runs the README's test command"
    );

    let work = tempfile::tempdir().unwrap();
    let checkout = work.path().join("code-index");
    let prefix = work.path().join("prefix");
    clean_checkout(&repo, &checkout);

    // The first command, into a temporary prefix.
    let mut words = commands[0].split_whitespace();
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    assert_eq!(words.next(), Some("cargo"));
    let install = Command::new(cargo)
        .args(words)
        .arg("--root")
        .arg(&prefix)
        .current_dir(&checkout)
        .env("CARGO_TARGET_DIR", target_dir())
        .env("CARGO_TERM_COLOR", "never")
        .output_within(INSTALL_DEADLINE);
    assert!(
        install.status.success(),
        "`{}` failed:\n{}",
        commands[0],
        String::from_utf8_lossy(&install.stderr)
    );
    let installed = prefix.join("bin").join("code-index");

    let version = success(
        Command::new(&installed)
            .arg("--version")
            .output_within(DEADLINE),
    );
    assert_eq!(
        version.trim(),
        format!("code-index {}", env!("CARGO_PKG_VERSION"))
    );

    let _daemon = StopDaemonOnDrop(checkout.clone());
    let mut mcp_command = Command::new(&installed);
    mcp_command.arg("mcp").arg("--root").arg(&checkout);
    let mcp = McpSession::start_with(mcp_command, None);
    assert!(mcp.close().success());

    // The line after the two commands: a first query on the clone itself.
    assert!(
        readme.contains("\ncode-index query repo_map"),
        "the README shows the first query"
    );
    let map = success(
        Command::new(&installed)
            .args(["query", "repo_map"])
            .current_dir(&checkout)
            .output_within(DEADLINE),
    );
    assert!(map.contains("crates/code-index-core/src/"), "{map}");
    let stopped = success(
        Command::new(&installed)
            .arg("stop")
            .current_dir(&checkout)
            .output_within(DEADLINE),
    );
    assert!(stopped.starts_with("Stopped the daemon"), "{stopped}");
}
