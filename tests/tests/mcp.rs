//! `code-index mcp` as an assistant runs it: a child process spoken to over its
//! stdin and stdout, every stdout line checked to be JSON-RPC.

use std::process::Stdio;

use code_index_protocol::Lockfile;
use code_index_tests::mcp::McpSession;
use code_index_tests::{DEADLINE, Project, StopDaemonOnDrop, code_index, wait_until};
use serde_json::{Value, json};

#[test]
fn an_assistant_session_lists_and_calls_the_tools() {
    let project = Project::shapes();
    let _daemon = StopDaemonOnDrop(project.root().to_path_buf());
    let mut mcp = McpSession::start(project.root());
    let tools = mcp.request("tools/list", json!({}));
    let mut names: Vec<&str> = tools["tools"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["name"].as_str().unwrap())
        .collect();
    names.sort();
    assert_eq!(
        names,
        vec![
            "diff_symbols",
            "file_dependencies",
            "file_outline",
            "find_callees",
            "find_callers",
            "find_definition",
            "find_files",
            "find_implementations",
            "find_references",
            "get_symbol_source",
            "index_status",
            "list_dir",
            "list_projects",
            "read_file",
            "reindex",
            "repo_map",
            "search_symbols",
            "search_text",
            "symbol_at",
        ]
    );
    for tool in tools["tools"].as_array().unwrap() {
        assert!(tool["inputSchema"].is_object(), "{tool}");
        let read_only = tool["annotations"]["readOnlyHint"].as_bool();
        assert_eq!(read_only, Some(tool["name"] != "reindex"), "{tool}");
    }

    let (text, data, error) = mcp.tool_when_ready("find_definition", json!({"name": "total"}));
    assert!(!error);
    assert!(
        text.starts_with(
            "src/shapes.rs:14  function  total  pub fn total(shapes: &[Square]) -> f64"
        ),
        "{text}"
    );
    // Text only: the clients that forward structured content would show
    // the model nothing else.
    assert_eq!(data, Value::Null);

    let (text, _, _) = mcp.tool("search_symbols", json!({"query": "tota"}));
    assert!(text.contains("src/shapes.rs:14  function  total"), "{text}");
    let (text, _, _) = mcp.tool("search_symbols", json!({"query": "a", "count_only": true}));
    let count: u64 = text.strip_suffix(" symbols\n").unwrap().parse().unwrap();
    assert!(count >= 3, "{text}");

    let (text, _, _) = mcp.tool(
        "find_references",
        json!({"name": "total", "kind": ["call"]}),
    );
    assert!(text.contains("src/main.rs"), "{text}");
    assert!(
        text.contains("5:13  call (in main)  let t = total(&[]);"),
        "{text}"
    );

    let (text, _, _) = mcp.tool("file_outline", json!({"path": "src/shapes.rs"}));
    assert!(text.contains("2  trait  pub trait Shape"), "{text}");
    assert!(
        text.contains("  3  method  fn area(&self) -> f64;"),
        "{text}"
    );

    let (text, _, _) = mcp.tool(
        "symbol_at",
        json!({"path": "src/main.rs", "line": 5, "column": 13}),
    );
    assert!(text.contains("total  (call reference)"), "{text}");
    assert!(
        text.contains("inside src/main.rs:4  function  main"),
        "{text}"
    );

    let (text, _, _) = mcp.tool("find_callers", json!({"name": "total", "depth": 2}));
    assert!(text.contains("main → total  at src/main.rs:5"), "{text}");
    let (text, _, _) = mcp.tool("find_callees", json!({"name": "main"}));
    assert!(
        text.contains("main → report  at src/main.rs:6  → src/main.rs:9"),
        "{text}"
    );

    let (text, _, _) = mcp.tool("find_implementations", json!({"name": "Shape"}));
    assert!(
        text.contains("Square  src/shapes.rs:6  struct  Square"),
        "{text}"
    );

    let (text, _, _) = mcp.tool("file_dependencies", json!({"path": "src/shapes.rs"}));
    assert!(
        text.contains("imported by:\n  src/main.rs:1  shapes"),
        "{text}"
    );

    let (text, _, _) = mcp.tool("index_status", json!({}));
    assert!(text.contains("state    ready"), "{text}");
    assert!(text.contains("watcher  ok"), "{text}");
    assert!(text.contains("0 repairs by the periodic check"), "{text}");

    let (text, _, _) = mcp.tool("get_symbol_source", json!({"name": "Square::area"}));
    assert!(
        text.contains(" 9│     fn area(&self) -> f64 {\n10│         self.0 * self.0\n11│     }"),
        "{text}"
    );
    let (text, _, _) = mcp.tool(
        "get_symbol_source",
        json!({"path": "src/main.rs", "line": 10}),
    );
    assert!(
        text.starts_with("src/main.rs:9  function  report"),
        "{text}"
    );
    assert!(text.contains("10│     println!(\"{t}\");"), "{text}");

    let (text, _, _) = mcp.tool(
        "read_file",
        json!({"path": "src/main.rs", "start_line": 4, "end_line": 5}),
    );
    assert_eq!(
        text,
        "4│ fn main() {\n5│     let t = total(&[]);\n6 more lines: call again with start_line=6\n"
    );
    let (text, _, error) = mcp.tool(
        "read_file",
        json!({"path": "src/main.rs", "start_line": 99}),
    );
    assert!(error && text.contains("past the end"), "{text}");

    let (text, _, _) = mcp.tool("find_files", json!({"pattern": "shape"}));
    assert_eq!(text, "src/shapes.rs  rust, 5 definitions\n");
    let (text, _, _) = mcp.tool(
        "find_files",
        json!({"pattern": "**/*.rs", "count_only": true}),
    );
    assert_eq!(text, "2 files\n");

    let (text, _, _) = mcp.tool("list_dir", json!({}));
    assert_eq!(text, "src/  (2 files)\n");
    let (text, _, _) = mcp.tool("list_dir", json!({"path": "src"}));
    assert_eq!(text, "main.rs\nshapes.rs\n");

    let (text, _, _) = mcp.tool("search_text", json!({"pattern": "self.0 *"}));
    assert_eq!(
        text,
        "src/shapes.rs:10  (in Square::area)  self.0 * self.0\n"
    );
    let (text, _, _) = mcp.tool(
        "search_text",
        json!({"pattern": "fn \\w+\\(", "regex": true, "count_only": true}),
    );
    assert_eq!(text, "5 matching lines\n");
    let (text, _, error) = mcp.tool("search_text", json!({"pattern": "fn (", "regex": true}));
    assert!(
        error && text.contains("invalid regular expression"),
        "{text}"
    );

    let (text, _, _) = mcp.tool("repo_map", json!({}));
    assert!(
        text.starts_with("src/shapes.rs\n"),
        "the depended-on file comes first: {text}"
    );
    assert!(
        text.contains("  14  function  pub fn total(shapes: &[Square]) -> f64"),
        "{text}"
    );
    let (text, _, _) = mcp.tool("repo_map", json!({"max_tokens": 100}));
    assert!(text.len() <= 500, "the budget holds: {} chars", text.len());

    let (text, _, _) = mcp.tool("list_projects", json!({}));
    assert!(text.contains("  (primary)  "), "{text}");
    assert!(
        text.contains("  ready, 2 files, 8 definitions, daemon pid "),
        "{text}"
    );

    let (text, _, error) = mcp.tool("reindex", json!({}));
    assert!(!error && text.starts_with("reindexed:"), "{text}");

    // Bad arguments are tool errors the model can read, not protocol errors.
    let (text, _, error) = mcp.tool("file_outline", json!({"path": "no/such/file.rs"}));
    assert!(error);
    assert!(text.contains("does not exist in the project"), "{text}");
    let (text, _, error) = mcp.tool("search_symbols", json!({"query": "x", "glob": "src/["}));
    assert!(error && text.contains("invalid path glob"), "{text}");

    assert!(mcp.close().success());
}

#[test]
fn a_tool_call_survives_the_daemon_being_killed() {
    let project = Project::shapes();
    let _daemon = StopDaemonOnDrop(project.root().to_path_buf());
    let mut mcp = McpSession::start(project.root());
    mcp.tool_when_ready("find_definition", json!({"name": "report"}));
    let root = std::fs::canonicalize(project.root()).unwrap();
    let first = Lockfile::read(&root).unwrap();
    // SAFETY: killing the daemon this test caused to start.
    unsafe { libc::kill(first.pid as libc::pid_t, libc::SIGKILL) };
    wait_until(DEADLINE, "the daemon to die", || {
        (!Lockfile::is_held(&root)).then_some(())
    });

    let (text, _, error) = mcp.tool("find_definition", json!({"name": "report"}));
    assert!(!error, "{text}");
    let second = Lockfile::read(&root).unwrap();
    assert_ne!(second.pid, first.pid, "a new daemon serves the second call");
    drop(mcp);
}

#[test]
fn two_mcp_servers_on_one_root_share_one_daemon() {
    let project = Project::shapes();
    let _daemon = StopDaemonOnDrop(project.root().to_path_buf());
    let mut a = McpSession::start(project.root());
    let mut b = McpSession::start(project.root());
    a.tool_when_ready("find_definition", json!({"name": "total"}));
    b.tool_when_ready("find_definition", json!({"name": "total"}));
    let pid = |s: &mut McpSession| {
        let (text, _, _) = s.tool("index_status", json!({}));
        text.lines()
            .find(|l| l.starts_with("daemon"))
            .unwrap()
            .split_whitespace()
            .nth(2)
            .unwrap()
            .trim_end_matches(',')
            .to_string()
    };
    assert_eq!(pid(&mut a), pid(&mut b));
    drop((a, b));
}

#[test]
fn reading_files_is_confined_to_the_project() {
    let project = Project::shapes();
    let _daemon = StopDaemonOnDrop(project.root().to_path_buf());
    let outside = tempfile::tempdir().unwrap();
    std::fs::write(outside.path().join("secret.txt"), "top secret\n").unwrap();
    std::os::unix::fs::symlink(
        outside.path().join("secret.txt"),
        project.root().join("link.txt"),
    )
    .unwrap();
    let name = outside
        .path()
        .file_name()
        .unwrap()
        .to_str()
        .unwrap()
        .to_string();
    let mut mcp = McpSession::start(project.root());
    // Let the daemon it starts come up, so that the guard can stop it.
    mcp.tool_when_ready("index_status", json!({}));
    for path in [
        format!("../{name}/secret.txt"),
        outside.path().join("secret.txt").display().to_string(),
        "link.txt".to_string(),
        "/etc/passwd".to_string(),
    ] {
        let (text, _, error) = mcp.tool("read_file", json!({ "path": path }));
        assert!(error, "{path} must be refused");
        assert!(
            !text.contains("top secret") && !text.contains("root:"),
            "{text}"
        );
        assert!(
            text.contains("outside the project") || text.contains("does not exist"),
            "{text}"
        );
    }
    // A path inside, given absolute, is fine.
    let inside = std::fs::canonicalize(project.root())
        .unwrap()
        .join("src/main.rs");
    let (text, _, error) = mcp.tool(
        "read_file",
        json!({"path": inside.display().to_string(), "end_line": 1}),
    );
    assert!(!error && text.starts_with("1│ mod shapes;"), "{text}");

    // The daemon's state (its token) and git's internals are never read,
    // however the path is spelled.
    std::fs::create_dir_all(project.root().join(".git")).unwrap();
    std::fs::write(project.root().join(".git/config"), "[core]\n").unwrap();
    let token =
        code_index_protocol::Lockfile::read(&std::fs::canonicalize(project.root()).unwrap())
            .unwrap()
            .token;
    for path in [
        ".code-index/daemon.lock",
        "src/../.code-index/daemon.lock",
        ".git/config",
    ] {
        let (text, _, error) = mcp.tool("read_file", json!({ "path": path }));
        assert!(error, "{path} must be refused");
        assert!(
            !text.contains(&token) && text.contains("never reads"),
            "{text}"
        );
    }
}

fn git(root: &std::path::Path, args: &[&str]) {
    let status = std::process::Command::new("git")
        .arg("-C")
        .arg(root)
        .args([
            "-c",
            "user.name=tests",
            "-c",
            "user.email=tests@example.invalid",
            "-c",
            "commit.gpgsign=false",
        ])
        .args(args)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .expect("git runs");
    assert!(status.success(), "git {args:?} failed");
}

#[test]
fn diff_symbols_maps_uncommitted_changes_to_definitions_and_callers() {
    let project = Project::shapes();
    let _daemon = StopDaemonOnDrop(project.root().to_path_buf());
    git(project.root(), &["init", "-q"]);
    git(project.root(), &["add", "-A"]);
    git(project.root(), &["commit", "-q", "-m", "start"]);
    let mut mcp = McpSession::start(project.root());
    mcp.tool_when_ready("find_definition", json!({"name": "total"}));

    let (text, _, _) = mcp.tool("diff_symbols", json!({}));
    assert_eq!(text, "no changes against HEAD\n");

    // Change the body of `total`, add a new file.
    let shapes = std::fs::read_to_string(project.root().join("src/shapes.rs")).unwrap();
    project.write("src/shapes.rs", shapes.replace(".sum()", ".sum::<f64>()"));
    project.write("src/extra.rs", "pub fn brand_new() {}\n");
    wait_until(DEADLINE, "the new file to be indexed", || {
        let (text, _, _) = mcp.tool("find_definition", json!({"name": "brand_new"}));
        text.starts_with("src/extra.rs:1").then_some(())
    });

    let (text, _, error) = mcp.tool("diff_symbols", json!({}));
    assert!(!error, "{text}");
    assert!(
        text.contains("src/shapes.rs\n  src/shapes.rs:14  function  total"),
        "{text}"
    );
    assert!(text.contains("called by main at src/main.rs:5"), "{text}");
    assert!(
        text.contains("src/extra.rs  (new file)\n  src/extra.rs:1  function  brand_new"),
        "{text}"
    );
    assert_eq!(text.matches("  function  ").count(), 2, "{text}");

    let (text, _, error) = mcp.tool("diff_symbols", json!({"base": "no-such-ref"}));
    assert!(error && text.contains("git diff"), "{text}");
}

#[test]
fn without_root_the_clients_mcp_root_is_used() {
    let project = Project::shapes();
    let _daemon = StopDaemonOnDrop(project.root().to_path_buf());
    let elsewhere = tempfile::tempdir().unwrap();
    let root = std::fs::canonicalize(project.root()).unwrap();
    let mut cmd = code_index();
    cmd.arg("mcp").current_dir(elsewhere.path());
    let mut mcp = McpSession::start_with(cmd, Some(vec![format!("file://{}", root.display())]));
    let (text, _, error) = mcp.tool_when_ready("find_definition", json!({"name": "total"}));
    assert!(!error, "{text}");
    assert!(text.starts_with("src/shapes.rs:14"), "{text}");
    assert!(
        Lockfile::read(&root).is_ok(),
        "the daemon serves the client's root"
    );
}

#[test]
fn a_root_given_as_a_localhost_uri_with_escapes_is_used() {
    let base = tempfile::tempdir().unwrap();
    let dir = base.path().join("my project");
    std::fs::create_dir_all(dir.join("src")).unwrap();
    std::fs::write(dir.join("src/lib.rs"), "pub fn spaced_out() {}\n").unwrap();
    let root = std::fs::canonicalize(&dir).unwrap();
    let _daemon = StopDaemonOnDrop(root.clone());
    let elsewhere = tempfile::tempdir().unwrap();
    let mut cmd = code_index();
    cmd.arg("mcp").current_dir(elsewhere.path());
    let uri = format!(
        "file://localhost{}",
        root.display().to_string().replace(' ', "%20")
    );
    let mut mcp = McpSession::start_with(cmd, Some(vec![uri]));
    let (text, _, error) = mcp.tool_when_ready("find_definition", json!({"name": "spaced_out"}));
    assert!(!error, "{text}");
    assert!(text.starts_with("src/lib.rs:1"), "{text}");
}

#[test]
fn reindex_reports_progress_to_a_client_that_asks() {
    let project = Project::shapes();
    let _daemon = StopDaemonOnDrop(project.root().to_path_buf());
    let mut mcp = McpSession::start(project.root());
    mcp.tool_when_ready("find_definition", json!({"name": "total"}));
    let id = mcp.take_id();
    mcp.send(json!({
        "jsonrpc": "2.0", "id": id, "method": "tools/call",
        "params": {"name": "reindex", "arguments": {}, "_meta": {"progressToken": "reindex-1"}}
    }));
    let mut progress = Vec::new();
    loop {
        let message = mcp.read_message();
        if message["method"] == "notifications/progress" {
            assert_eq!(message["params"]["progressToken"], "reindex-1");
            progress.push(message["params"].clone());
        } else if message["id"] == json!(id) {
            assert_eq!(message["result"]["isError"], false);
            break;
        }
    }
    let last = progress
        .last()
        .expect("at least one progress notification before the answer");
    assert_eq!(last["progress"], last["total"]);
    assert_eq!(last["total"], 2.0);
}

#[test]
fn linked_projects_are_searched_together_and_name_their_hits() {
    let base = tempfile::tempdir().unwrap();
    let app = base.path().join("app");
    let lib = base.path().join("lib");
    std::fs::create_dir_all(app.join("src/sub")).unwrap();
    std::fs::create_dir_all(lib.join("src")).unwrap();
    // A link must be a project of its own.
    std::fs::write(lib.join("code-index.toml"), "").unwrap();
    std::fs::write(app.join("src/sub/code-index.toml"), "").unwrap();
    std::fs::write(
        app.join("src/main.rs"),
        "fn main() {\n    shared_helper();\n}\n",
    )
    .unwrap();
    std::fs::write(lib.join("src/lib.rs"), "pub fn shared_helper() {}\n").unwrap();
    std::fs::write(
        app.join("code-index.toml"),
        "links = [\"../lib\", \"src/sub\", \"../nowhere\"]\n",
    )
    .unwrap();
    let _app_daemon = StopDaemonOnDrop(app.clone());
    let _lib_daemon = StopDaemonOnDrop(lib.clone());
    let mut mcp = McpSession::start(&app);

    let (text, _, error) = wait_until(DEADLINE, "the linked project to be indexed", || {
        let answer = mcp.tool("find_definition", json!({"name": "shared_helper"}));
        answer
            .0
            .starts_with("[lib] src/lib.rs:1  function  shared_helper")
            .then_some(answer)
    });
    assert!(!error, "{text}");

    let (text, _, _) = mcp.tool("find_references", json!({"name": "shared_helper"}));
    assert!(text.contains("[app] src/main.rs"), "{text}");
    let (text, _, _) = mcp.tool("search_symbols", json!({"query": "main"}));
    assert!(
        text.contains("[app] src/main.rs:1  function  main"),
        "{text}"
    );
    // One page over both projects' hits, in project order.
    let (text, _, _) = mcp.tool(
        "search_text",
        json!({"pattern": "shared_helper", "limit": 1, "offset": 1}),
    );
    assert_eq!(
        text,
        "[lib] src/lib.rs:1  (in shared_helper)  pub fn shared_helper() {}\nshowing 2–2 of 2\n"
    );
    let (text, _, _) = mcp.tool(
        "search_text",
        json!({"pattern": "shared_helper", "limit": 1}),
    );
    assert!(
        text.starts_with("[app] src/main.rs:2  (in main)  shared_helper();\n")
            && text.contains("1 more: call again with offset=1"),
        "{text}"
    );
    let (text, _, _) = mcp.tool(
        "find_definition",
        json!({"name": "shared_helper", "project": "app"}),
    );
    assert_eq!(text, "0 definitions\n");
    let (text, _, error) = mcp.tool("search_symbols", json!({"query": "x", "project": "nope"}));
    assert!(
        error && text.contains("unknown project \"nope\"; the projects are: app, lib"),
        "{text}"
    );

    let (text, _, _) = mcp.tool("index_status", json!({}));
    assert_eq!(text.matches("project  ").count(), 2, "{text}");
    assert!(
        text.contains(&format!(
            "project  {}",
            lib.canonicalize().unwrap().display()
        )),
        "{text}"
    );

    let (text, _, _) = mcp.tool("list_projects", json!({}));
    assert!(text.starts_with("app  (primary)"), "{text}");
    assert!(text.contains("\nlib  (link)"), "{text}");
    assert!(
        text.contains("warning: link \"src/sub\"") && text.contains("nested"),
        "{text}"
    );
    assert!(text.contains("warning: link \"../nowhere\""), "{text}");
    assert_eq!(text.matches(", daemon pid ").count(), 2, "{text}");
}

#[test]
fn with_no_spawn_the_server_uses_a_running_daemon_and_starts_none() {
    let project = Project::shapes();
    let root = std::fs::canonicalize(project.root()).unwrap();
    let mut cmd = code_index();
    cmd.args(["mcp", "--no-spawn", "--root"]).arg(&root);
    let mut mcp = McpSession::start_with(cmd, None);
    let (text, _, is_error) = mcp.tool("find_definition", json!({"name": "total"}));
    assert!(is_error, "{text}");
    assert!(text.contains("not reachable"), "{text}");
    assert!(text.contains("code-index doctor"), "{text}");
    assert!(!Lockfile::is_held(&root), "no daemon was started");

    // Once one runs (started by hand), the next call uses it.
    let daemon = code_index_tests::Daemon::start(&root, &[]);
    daemon.wait_ready();
    let (text, _, is_error) = mcp.tool("find_definition", json!({"name": "total"}));
    assert!(!is_error, "{text}");
    assert!(text.contains("src/shapes.rs:14"), "{text}");
    assert!(mcp.close().success());
}

#[test]
fn nothing_found_while_indexing_says_the_name_may_be_in_files_not_indexed_yet() {
    let project = Project::shapes();
    let _daemon = StopDaemonOnDrop(project.root().to_path_buf());
    // The first pass waits: the index is empty and incomplete meanwhile.
    let _running = code_index_tests::Daemon::start(project.root(), &["--pass-delay", "30s"]);
    let mut mcp = McpSession::start(project.root());
    let (text, _, error) = mcp.tool("find_definition", json!({"name": "total"}));
    assert!(!error, "{text}");
    assert!(text.contains("still being built"), "{text}");
    assert!(
        text.contains("nothing found yet: it may be in files not indexed so far"),
        "{text}"
    );
    mcp.close();
}

#[test]
fn index_status_shows_languages_while_the_index_is_being_built() {
    let project = Project::shapes();
    let _daemon = StopDaemonOnDrop(project.root().to_path_buf());
    // A snapshot to start from, then a daemon whose pass over the tree waits.
    let mut first = code_index_tests::Daemon::start(project.root(), &[]);
    first.wait_ready();
    first.signal(libc::SIGTERM);
    assert!(first.wait_exit().0.success());
    let _running = code_index_tests::Daemon::start(project.root(), &["--pass-delay", "30s"]);
    let mut mcp = McpSession::start(project.root());
    let (text, _, error) = mcp.tool("index_status", json!({}));
    assert!(!error, "{text}");
    assert!(
        text.contains("state    indexing (listing the files)"),
        "{text}"
    );
    assert!(text.contains("  rust: 2 files, 8 definitions"), "{text}");
    mcp.close();
}

#[test]
fn find_references_says_what_is_resolved_and_what_is_only_a_name_match() {
    let project = Project::shapes();
    let _daemon = StopDaemonOnDrop(project.root().to_path_buf());
    let mut mcp = McpSession::start(project.root());
    // `total` is imported from the file that defines it, then called.
    let (text, _, error) = mcp.tool_when_ready("find_references", json!({"name": "total"}));
    assert!(!error, "{text}");
    assert_eq!(
        text,
        "2 references, all resolved\nsrc/main.rs\n  2:20  import  use crate::shapes::total;\n  5:13  call (in main)  let t = total(&[]);\n"
    );
    // `s.area()`: what `s` is, the index does not know.
    let (text, _, _) = mcp.tool("find_references", json!({"name": "area"}));
    assert!(
        text.starts_with("1 reference, all name-only candidates\nsrc/shapes.rs\n"),
        "{text}"
    );
    let (text, _, _) = mcp.tool(
        "find_references",
        json!({"name": "area", "resolution": "resolved"}),
    );
    assert_eq!(text, "0 references\n");
    let (text, _, error) = mcp.tool(
        "find_references",
        json!({"name": "area", "resolution": "maybe"}),
    );
    assert!(
        error && text.contains("give resolved, candidate, distant or all"),
        "{text}"
    );
    mcp.close();
}
