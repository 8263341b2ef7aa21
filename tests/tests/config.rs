//! `code-index.toml`: exclude globs, the size limit and the idle timeout, as
//! the daemon and `code-index index` apply them; bad files are refused with
//! an error that names them.

use code_index_tests::{
    Client, DEADLINE, Daemon, OutputWithin, Project, code_index, success, wait_until,
};
use serde_json::{Value, json};

fn project(config: &str) -> Project {
    let project = Project::new();
    project
        .write("code-index.toml", config)
        .write("src/lib.rs", "pub fn kept() {}\n")
        .write("vendor/dep.rs", "pub fn vendored() {}\n")
        .write(
            "src/big.rs",
            format!("pub fn big() {{}}\n{}", "// filler\n".repeat(20)),
        );
    project
}

fn defined_at(client: &mut Client, name: &str) -> Vec<String> {
    client.ok("definitions", json!({ "name": name }))["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["path"].as_str().unwrap().to_string())
        .collect()
}

fn skipped(client: &mut Client, path: &str) -> Value {
    let files = client.ok("files", json!({ "glob": path }));
    files["items"][0]["skipped"].clone()
}

#[test]
fn the_daemon_applies_excludes_and_the_size_limit_to_walks_and_changes() {
    let project = project("exclude = [\"vendor/**\"]\nmax_file_size = \"100\"\n");
    let daemon = Daemon::start(project.root(), &[]);
    let mut client = daemon.wait_ready();
    assert_eq!(defined_at(&mut client, "kept"), ["src/lib.rs"]);
    assert!(defined_at(&mut client, "vendored").is_empty());
    assert_eq!(skipped(&mut client, "src/big.rs"), "too_large");

    // Files that appear later follow the same rules. Events come in order:
    // once the last file is indexed, the others have been seen.
    project.write("vendor/later.rs", "pub fn vendored_later() {}\n");
    project.write(
        "src/later_big.rs",
        format!("pub fn big_later() {{}}\n{}", "// filler\n".repeat(20)),
    );
    project.write("src/later.rs", "pub fn kept_later() {}\n");
    wait_until(DEADLINE, "the new file to be indexed", || {
        (defined_at(&mut client, "kept_later") == ["src/later.rs"]).then_some(())
    });
    assert!(defined_at(&mut client, "vendored_later").is_empty());
    let vendored = client.ok("files", json!({ "glob": "vendor/**" }));
    assert_eq!(vendored["total"], 0, "{vendored}");
    assert_eq!(skipped(&mut client, "src/later_big.rs"), "too_large");
    assert!(defined_at(&mut client, "big_later").is_empty());
}

#[test]
fn flags_override_the_file() {
    let project = project("max_file_size = \"100\"\n");
    let out = code_index()
        .args(["index", "--json", "--no-save", "--root"])
        .arg(project.root())
        .output_within(DEADLINE);
    let summary: Value = serde_json::from_str(&success(out)).unwrap();
    assert_eq!(summary["stats"]["skipped"]["too_large"], 1, "{summary:#}");

    let out = code_index()
        .args([
            "index",
            "--json",
            "--no-save",
            "--max-file-size",
            "1M",
            "--root",
        ])
        .arg(project.root())
        .output_within(DEADLINE);
    let summary: Value = serde_json::from_str(&success(out)).unwrap();
    assert!(
        summary["stats"]["skipped"].get("too_large").is_none(),
        "{summary:#}"
    );
    // Nothing excluded: vendor/ is indexed too.
    assert_eq!(summary["stats"]["parsed_files"], 3, "{summary:#}");
}

#[test]
fn the_idle_timeout_comes_from_the_file() {
    let project = project("idle_timeout = \"1s\"\n");
    let mut daemon = Daemon::start(project.root(), &[]);
    drop(daemon.wait_ready());
    let (status, _, stderr) = daemon.wait_exit();
    assert!(status.success(), "{stderr}");
    assert!(stderr.contains("no client for 1s"), "{stderr}");
}

#[test]
fn a_bad_file_is_refused_by_name() {
    let project = project("excludes = [\"vendor/**\"]\n");
    for command in ["index", "daemon"] {
        let out = code_index()
            .args([command, "--root"])
            .arg(project.root())
            .output_within(DEADLINE);
        assert!(!out.status.success(), "{command} accepted a bad file");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.contains("code-index.toml is not valid"), "{stderr}");
        assert!(stderr.contains("unknown field `excludes`"), "{stderr}");
    }

    // `query` says so before starting a daemon, and at once.
    let out = code_index()
        .args(["query", "repo_map", "--root"])
        .arg(project.root())
        .output_within(DEADLINE);
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("unknown field `excludes`"), "{stderr}");
    assert!(
        !code_index_protocol::lock_path(project.root()).exists(),
        "no daemon was started"
    );

    project.write("code-index.toml", "exclude = [\"src/{a\"]\n");
    let out = code_index()
        .args(["index", "--root"])
        .arg(project.root())
        .output_within(DEADLINE);
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("invalid exclude glob \"src/{a\""),
        "{stderr}"
    );

    let out = code_index()
        .args(["doctor", "--json", "--root"])
        .arg(project.root())
        .output_within(DEADLINE);
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    let (level, message, _) = code_index_tests::doctor_finding(&report, "config");
    assert_eq!(level, "fail", "{report:#}");
    assert!(message.contains("invalid exclude glob"), "{message}");
}

/// An assistant's tools report a daemon that cannot start at once, with the
/// reason the daemon printed.
#[test]
fn mcp_tools_report_why_the_daemon_cannot_start() {
    let project = project("max_file_size = \"lots\"\n");
    let mut mcp = code_index_tests::mcp::McpSession::start(project.root());
    let (text, _, is_error) = mcp.tool("find_definition", json!({"name": "kept"}));
    assert!(is_error, "{text}");
    // Seen exiting, not given up on after the spawn timeout.
    assert!(text.contains("exited at once"), "{text}");
    assert!(text.contains("code-index.toml is not valid"), "{text}");
    assert!(text.contains("max_file_size"), "{text}");
    assert!(mcp.close().success());
}
