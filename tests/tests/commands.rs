//! The shell commands (`status`, `stop`, `query`, `doctor`) against real
//! daemons on temporary projects.

use std::path::{Path, PathBuf};
use std::process::Output;

use code_index_protocol::{Lockfile, lock_path};
use code_index_tests::mcp::McpSession;
use code_index_tests::{
    DEADLINE, Daemon, OutputWithin, Project, StopDaemonOnDrop, code_index, code_index_bin,
    doctor_finding as finding, success, wait_until,
};
use serde_json::{Value, json};

fn run(root: &Path, args: &[&str]) -> Output {
    code_index()
        .args(args)
        .arg("--root")
        .arg(root)
        .output_within(DEADLINE)
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

fn json_of(output: &Output) -> Value {
    serde_json::from_slice(&output.stdout)
        .unwrap_or_else(|e| panic!("not JSON ({e}): {}", stdout(output)))
}

#[test]
fn status_says_when_no_daemon_runs_and_describes_the_one_that_does() {
    let project = Project::shapes();
    let before = run(project.root(), &["status"]);
    assert_eq!(before.status.code(), Some(3), "{}", stderr(&before));
    assert!(
        stdout(&before).starts_with("No daemon is running for "),
        "{}",
        stdout(&before)
    );
    let before = json_of(&run(project.root(), &["status", "--json"]));
    assert_eq!(before["running"], false);
    assert_eq!(before["daemon"], "none");

    let daemon = Daemon::start(project.root(), &[]);
    daemon.wait_ready();
    let after = run(project.root(), &["status"]);
    let text = success(after);
    assert!(
        text.contains(&format!(
            "pid        {}, port {},",
            daemon.pid(),
            daemon.port()
        )),
        "{text}"
    );
    assert!(
        text.contains(&format!("version {}", env!("CARGO_PKG_VERSION"))),
        "{text}"
    );
    assert!(text.contains("  state      ready\n"), "{text}");
    assert!(text.contains("  files      2 (2 parsed)\n"), "{text}");
    assert!(text.contains("  watcher    ok"), "{text}");

    let after = json_of(&run(project.root(), &["status", "--json"]));
    assert_eq!(after["running"], true);
    assert_eq!(after["pid"], daemon.pid());
    assert_eq!(after["status"]["state"], "ready");
    assert_eq!(after["stats"]["files"], 2);
    assert!(
        after["stats"]["definitions"].as_u64().unwrap() >= 7,
        "{after}"
    );
    assert!(
        after.to_string().find("token").is_none(),
        "the token stays private"
    );
}

#[test]
fn stop_saves_and_shuts_the_daemon_down() {
    let project = Project::shapes();
    let mut daemon = Daemon::start(project.root(), &[]);
    let mut client = daemon.wait_ready();
    // A change after the first pass's save must reach the snapshot on stop.
    project.write("src/late.rs", "pub fn added_after_ready() {}\n");
    wait_until(DEADLINE, "the new file to be indexed", || {
        let found = client.ok("definitions", json!({"name": "added_after_ready"}));
        (found["total"] == 1).then_some(())
    });
    drop(client);
    let text = success(run(project.root(), &["stop"]));
    assert_eq!(
        text,
        format!(
            "Stopped the daemon for {} (pid {}).\n",
            daemon.root.display(),
            daemon.pid()
        )
    );
    // `stop` returns once the daemon has exited.
    let (exit, _, _) = daemon.wait_exit();
    assert!(exit.success(), "the daemon exited with {exit}");
    assert!(!lock_path(&daemon.root).exists(), "the lockfile is removed");
    let snapshot = code_index_core::snapshot::snapshot_path(&daemon.root);
    let saved = code_index_core::Index::load(&daemon.root, &snapshot).expect("a snapshot");
    let found = saved.definitions(
        "added_after_ready",
        None,
        &code_index_core::SymbolFilter::default(),
        code_index_core::PageRequest::default(),
    );
    assert_eq!(found.total, 1, "the snapshot holds the late change");

    let again = success(run(project.root(), &["stop"]));
    assert!(again.starts_with("No daemon is running for "), "{again}");
}

/// A tool, its MCP arguments, and the same as `--arg`s.
type QueryCase<'a> = (&'a str, Value, &'a [(&'a str, &'a str)]);

/// Calls `tool` through `code-index query`; returns (stdout, stderr, success).
fn query(root: &Path, tool: &str, args: &[(&str, &str)], extra: &[&str]) -> (String, String, bool) {
    let mut cmd = code_index();
    cmd.arg("query")
        .arg(tool)
        .arg("--root")
        .arg(root)
        .args(extra);
    for (key, value) in args {
        cmd.arg("--arg").arg(format!("{key}={value}"));
    }
    let out = cmd.output_within(DEADLINE);
    (stdout(&out), stderr(&out), out.status.success())
}

#[test]
fn query_starts_the_daemon_and_answers_what_mcp_answers() {
    let project = Project::shapes();
    let _daemon = StopDaemonOnDrop(project.root().to_path_buf());
    let root = std::fs::canonicalize(project.root()).unwrap();

    // No daemon runs: the first query starts one and waits for a complete index.
    let (text, err, ok) = query(&root, "find_definition", &[("name", "total")], &[]);
    assert!(ok, "{err}");
    assert!(text.contains("src/shapes.rs:14"), "{text}");
    assert!(!text.contains("still being built"), "{text}");
    assert!(Lockfile::is_held(&root), "the daemon keeps running");

    let mut mcp = McpSession::start(&root);
    let cases: &[QueryCase] = &[
        (
            "find_definition",
            json!({"name": "total"}),
            &[("name", "total")],
        ),
        (
            "find_references",
            json!({"name": "area", "limit": 5}),
            &[("name", "area"), ("limit", "5")],
        ),
        (
            "search_symbols",
            json!({"query": "a", "kind": ["function", "method"]}),
            &[("query", "a"), ("kind", "function,method")],
        ),
        (
            "file_outline",
            json!({"path": "src/shapes.rs"}),
            &[("path", "src/shapes.rs")],
        ),
        (
            "find_callers",
            json!({"name": "area", "depth": 2}),
            &[("name", "area"), ("depth", "2")],
        ),
        (
            "symbol_at",
            json!({"path": "src/main.rs", "line": 5, "column": 13}),
            &[("path", "src/main.rs"), ("line", "5"), ("column", "13")],
        ),
        (
            "search_text",
            json!({"pattern": "self.0", "context": 1}),
            &[("pattern", "self.0"), ("context", "1")],
        ),
        ("repo_map", json!({}), &[]),
    ];
    for (tool, arguments, args) in cases {
        let (expected, structured, is_error) = mcp.tool_when_ready(tool, arguments.clone());
        assert!(!is_error, "{tool}: {expected}");
        // By default an MCP answer is its text alone.
        assert_eq!(structured, Value::Null, "{tool}");
        let (text, err, ok) = query(&root, tool, args, &[]);
        assert!(ok, "{tool}: {err}");
        assert_eq!(text.trim_end(), expected.trim_end(), "{tool}");
        let (json_text, err, ok) = query(&root, tool, args, &["--json"]);
        assert!(ok, "{tool}: {err}");
        // `--json` is the daemon's result as it is.
        let json: Value = serde_json::from_str(&json_text).unwrap();
        assert!(json.is_object(), "{tool} --json: {json_text}");
        assert!(
            !json.as_object().unwrap().contains_key("answer"),
            "{tool} --json: {json_text}"
        );
    }
    let (json_text, err, ok) = query(&root, "find_definition", &[("name", "total")], &["--json"]);
    assert!(ok, "{err}");
    let json: Value = serde_json::from_str(&json_text).unwrap();
    assert_eq!(json["items"][0]["path"], "src/shapes.rs", "{json}");
    assert_eq!(json["items"][0]["span"]["start_line"], 14, "{json}");
    mcp.close();
}

#[test]
fn query_explains_bad_input() {
    let project = Project::shapes();
    let _daemon = StopDaemonOnDrop(project.root().to_path_buf());
    let root = project.root();

    // Without a tool: the list of tools.
    let list = success(
        code_index()
            .args(["query", "--root"])
            .arg(root)
            .output_within(DEADLINE),
    );
    assert!(list.contains("  find_definition  "), "{list}");
    assert_eq!(
        list.lines().filter(|l| l.starts_with("  ")).count(),
        19,
        "the 19 tools:\n{list}"
    );
    let described = success(
        code_index()
            .args(["query", "find_references", "--describe", "--root"])
            .arg(root)
            .output_within(DEADLINE),
    );
    assert!(
        described.starts_with("find_references\n\nWhere a name is used"),
        "{described}"
    );
    assert!(described.contains("  name "), "{described}");
    assert!(described.contains("(string, required)"), "{described}");

    let (_, err, ok) = query(root, "find_defintion", &[], &[]);
    assert!(!ok);
    assert!(err.contains("there is no tool `find_defintion`"), "{err}");
    assert!(err.contains("find_definition"), "{err}");

    let (_, err, ok) = query(root, "find_definition", &[], &[]);
    assert!(!ok);
    assert!(
        err.contains("`find_definition` needs `--arg name=...`"),
        "{err}"
    );
    assert!(err.contains("Arguments of `find_definition`:"), "{err}");

    let (_, err, ok) = query(
        root,
        "symbol_at",
        &[("path", "src/main.rs"), ("line", "four")],
        &[],
    );
    assert!(!ok);
    assert!(err.contains("line must be integer"), "{err}");

    let (_, err, ok) = query(root, "find_definition", &[("nam", "x")], &[]);
    assert!(!ok);
    assert!(err.contains("has no argument `nam`"), "{err}");

    // An error the tool itself reports: exit 1, the message on stderr.
    let (out, err, ok) = query(root, "read_file", &[("path", "../../etc/passwd")], &[]);
    assert!(!ok);
    assert!(out.is_empty(), "{out}");
    assert!(err.starts_with("error: "), "{err}");
    assert!(err.contains("outside the project"), "{err}");
}

/// `code-index doctor --json` for `root`, with this build of `code-index`
/// first on PATH; returns (report, exit code).
fn doctor(root: &Path) -> (Value, i32) {
    let bin_dir = code_index_bin().parent().unwrap().to_path_buf();
    let path = std::env::join_paths(
        std::iter::once(bin_dir).chain(std::env::split_paths(&std::env::var_os("PATH").unwrap())),
    )
    .unwrap();
    let out = code_index()
        .args(["doctor", "--json", "--root"])
        .arg(root)
        .env("PATH", path)
        .output_within(DEADLINE);
    (json_of(&out), out.status.code().unwrap())
}

#[test]
fn doctor_passes_a_healthy_root() {
    let project = Project::shapes();
    let daemon = Daemon::start(project.root(), &[]);
    daemon.wait_ready();
    let (report, code) = doctor(project.root());
    assert_eq!(code, 0, "{report:#}");
    assert_eq!(report["healthy"], true);
    for f in report["findings"].as_array().unwrap() {
        assert!(
            f["level"] == "ok" || f["level"] == "info",
            "every check passes: {f}"
        );
    }
    let (_, message, _) = finding(&report, "root");
    assert!(message.contains("given with --root"), "{message}");
    let (level, message, _) = finding(&report, "daemon");
    assert_eq!(level, "ok");
    assert!(
        message.contains(&format!(
            "pid {} on 127.0.0.1:{}",
            daemon.pid(),
            daemon.port()
        )),
        "{message}"
    );
    assert!(message.contains("ready, 2 files"), "{message}");
    let (level, message, _) = finding(&report, "version");
    assert_eq!(level, "ok", "{message}");
    let (level, message, _) = finding(&report, "permissions");
    assert_eq!(level, "ok", "{message}");
    let (level, message, _) = finding(&report, "mcp");
    assert_eq!(level, "ok", "{message}");
    assert!(
        message.contains(&format!("code-index {}", env!("CARGO_PKG_VERSION"))),
        "{message}"
    );
}

#[test]
fn doctor_without_a_daemon_starts_none() {
    let project = Project::shapes();
    let (report, code) = doctor(project.root());
    assert_eq!(code, 0, "{report:#}");
    let (level, message, _) = finding(&report, "daemon");
    assert_eq!(level, "info");
    assert!(message.contains("none runs"), "{message}");
    let (level, _, _) = finding(&report, "mcp");
    assert_eq!(level, "ok");
    assert!(
        !lock_path(project.root()).exists(),
        "checking the MCP server started no daemon"
    );
}

#[test]
fn doctor_reports_a_stale_lockfile() {
    let project = Project::shapes();
    let mut daemon = Daemon::start(project.root(), &[]);
    let pid = daemon.pid();
    daemon.signal(libc::SIGKILL);
    daemon.wait_exit();
    let (report, code) = doctor(project.root());
    assert_eq!(code, 0, "a stale lockfile breaks nothing: {report:#}");
    let (level, message, fix) = finding(&report, "lockfile");
    assert_eq!(level, "warn");
    assert!(message.contains("is stale"), "{message}");
    assert!(message.contains(&format!("pid {pid}")), "{message}");
    assert!(fix.contains("the next daemon takes it over"), "{fix}");
    let (level, _, _) = finding(&report, "daemon");
    assert_eq!(level, "info");
    // `status` agrees.
    let status = run(project.root(), &["status"]);
    assert_eq!(status.status.code(), Some(3));
    assert!(stdout(&status).contains(&format!("pid {pid}, did not exit cleanly")));
}

/// A root whose `.code-index/` was copied from a project with a live daemon.
#[test]
fn doctor_reports_a_lockfile_copied_from_another_root() {
    let original = Project::shapes();
    let copy = Project::shapes();
    let daemon = Daemon::start(original.root(), &[]);
    daemon.wait_ready();
    let copy_root: PathBuf = std::fs::canonicalize(copy.root()).unwrap();
    std::fs::create_dir_all(copy_root.join(".code-index")).unwrap();
    std::fs::copy(lock_path(&daemon.root), lock_path(&copy_root)).unwrap();

    let (report, code) = doctor(&copy_root);
    assert_eq!(code, 1, "{report:#}");
    assert_eq!(report["healthy"], false);
    let (level, message, fix) = finding(&report, "lockfile");
    assert_eq!(level, "fail");
    assert!(
        message.contains(&format!(
            "belongs to a daemon for {}",
            daemon.root.display()
        )),
        "{message}"
    );
    assert!(
        fix.contains(&format!("rm {}", lock_path(&copy_root).display())),
        "{fix}"
    );

    let status = run(&copy_root, &["status"]);
    assert_eq!(status.status.code(), Some(1));
    assert!(
        stderr(&status).contains("code-index doctor"),
        "{}",
        stderr(&status)
    );
}

/// A held lockfile naming this root whose port answers for another root.
#[test]
fn doctor_reports_a_daemon_serving_another_root() {
    let other = Project::shapes();
    let this = Project::shapes();
    let daemon = Daemon::start(other.root(), &[]);
    daemon.wait_ready();
    let this_root: PathBuf = std::fs::canonicalize(this.root()).unwrap();
    let mut payload = daemon.lock().unwrap();
    payload.root = this_root.display().to_string();
    std::fs::create_dir_all(this_root.join(".code-index")).unwrap();
    let path = lock_path(&this_root);
    std::fs::write(&path, serde_json::to_string(&payload).unwrap()).unwrap();
    set_mode_600(&path);
    // This test holds the lock, as a live daemon would.
    let held = std::fs::File::open(&path).unwrap();
    held.try_lock().unwrap();

    let (report, code) = doctor(&this_root);
    assert_eq!(code, 1, "{report:#}");
    let (level, message, fix) = finding(&report, "daemon");
    assert_eq!(level, "fail");
    assert!(
        message.contains(&format!(
            "port {} answers for {}, not for this root",
            daemon.port(),
            daemon.root.display()
        )),
        "{message}"
    );
    assert!(fix.contains("clients refuse it"), "{fix}");
    drop(held);
}

#[test]
fn doctor_reports_a_lockfile_others_can_read() {
    let project = Project::shapes();
    let daemon = Daemon::start(project.root(), &[]);
    let path = lock_path(&daemon.root);
    let mut perms = std::fs::metadata(&path).unwrap().permissions();
    std::os::unix::fs::PermissionsExt::set_mode(&mut perms, 0o644);
    std::fs::set_permissions(&path, perms).unwrap();
    let (report, code) = doctor(project.root());
    assert_eq!(code, 1, "{report:#}");
    let (level, message, fix) = finding(&report, "permissions");
    assert_eq!(level, "fail");
    assert!(message.contains("mode 644"), "{message}");
    assert_eq!(fix, format!("chmod 600 {}", path.display()));
}

fn set_mode_600(path: &Path) {
    let mut perms = std::fs::metadata(path).unwrap().permissions();
    std::os::unix::fs::PermissionsExt::set_mode(&mut perms, 0o600);
    std::fs::set_permissions(path, perms).unwrap();
}
