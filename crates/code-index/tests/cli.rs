//! The command line itself: version, help and argument errors. (Behaviour on
//! real projects is tested in the workspace's `tests/` crate.)

use std::process::Command;

fn code_index() -> Command {
    Command::new(env!("CARGO_BIN_EXE_code-index"))
}

#[test]
fn prints_its_version() {
    let out = code_index().arg("--version").output().unwrap();
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    assert_eq!(
        text.trim(),
        format!("code-index {}", env!("CARGO_PKG_VERSION"))
    );
}

#[test]
fn every_command_has_help_with_examples() {
    for command in [
        "index", "daemon", "mcp", "query", "status", "stop", "doctor",
    ] {
        let out = code_index().args([command, "--help"]).output().unwrap();
        assert!(out.status.success(), "{command} --help");
        let text = String::from_utf8(out.stdout).unwrap();
        assert!(text.contains("--root"), "{command} --help:\n{text}");
        assert!(
            text.contains("Examples:\n  code-index "),
            "{command} --help:\n{text}"
        );
    }
    let out = code_index().arg("--help").output().unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    for command in [
        "index", "daemon", "mcp", "query", "status", "stop", "doctor",
    ] {
        assert!(
            text.contains(&format!("\n  {command} ")),
            "`{command}` is listed in --help:\n{text}"
        );
    }
}

#[test]
fn an_unknown_command_fails_with_usage() {
    let out = code_index().arg("frobnicate").output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("Usage"));
}
