//! Path arguments under abuse, against a real daemon: symbolic links out of
//! the root, ignored secrets, the daemon's own state, and spellings of one
//! file that must not become several entries.

use code_index_protocol::ErrorCode;
use code_index_tests::{Client, Daemon, Project};
use serde_json::{Value, json};

fn project() -> Project {
    let project = Project::new();
    project
        .write("a.rs", "pub fn only_once() {}\n")
        .write("crates/b.rs", "pub fn other() {}\n")
        .write(".gitignore", ".env\ntarget/\n")
        .write(".env", "API_SECRET=hunter2-do-not-leak\n")
        .write("target/gen.rs", "pub fn generated_secret() {}\n")
        .write("blob.rs", b"\0\0\0binary data\0".as_slice());
    project
}

fn search(client: &mut Client, pattern: &str) -> Vec<String> {
    let found = client.ok("search_text", json!({"pattern": pattern}));
    found["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| format!("{}:{}", h["path"].as_str().unwrap(), h["text"]))
        .collect()
}

fn error_of(client: &mut Client, op: &str, params: Value) -> (i64, String) {
    let response = client.call(op, params.clone());
    let error = response
        .error
        .unwrap_or_else(|| panic!("{op} {params} succeeded: {:?}", response.result));
    (error.code, error.message)
}

#[cfg(unix)]
#[test]
fn reindex_cannot_reach_outside_the_root_or_past_the_ignore_rules() {
    let project = project();
    let outside = tempfile::tempdir().unwrap();
    std::fs::write(
        outside.path().join("passwd"),
        "root:x:0:0:root:/root:/bin/sh\n",
    )
    .unwrap();
    std::os::unix::fs::symlink(outside.path(), project.root().join("outdir")).unwrap();
    let daemon = Daemon::start(project.root(), &[]);
    let mut client = daemon.wait_ready();

    // Out through a symbolic link, `..`, or an absolute path.
    let absolute = outside.path().join("passwd").display().to_string();
    for path in ["outdir/passwd", "../passwd", absolute.as_str()] {
        let (code, message) = error_of(&mut client, "reindex", json!({"path": path}));
        assert_eq!(code, ErrorCode::InvalidParams.code(), "{path}: {message}");
        assert!(message.contains("outside the project"), "{path}: {message}");
    }
    // The daemon's own state and the repository's internals.
    for path in [
        ".code-index/daemon.lock",
        "./.code-index/index.bin",
        ".git/config",
    ] {
        let (code, message) = error_of(&mut client, "reindex", json!({"path": path}));
        assert_eq!(code, ErrorCode::InvalidParams.code(), "{path}: {message}");
        assert!(message.contains("never reads"), "{path}: {message}");
    }
    // Ignored files, and files in ignored directories, say why.
    for (path, why) in [(".env", ".env"), ("target/gen.rs", "target")] {
        let (code, message) = error_of(&mut client, "reindex", json!({"path": path}));
        assert_eq!(code, ErrorCode::InvalidParams.code(), "{path}: {message}");
        assert!(
            message.contains("ignored") && message.contains(why),
            "{path}: {message}"
        );
    }
    // Nothing of it became searchable.
    assert!(search(&mut client, "root:x:0").is_empty());
    assert!(search(&mut client, "hunter2").is_empty());
    assert!(search(&mut client, "generated_secret").is_empty());
    let token = daemon.lock().unwrap().token;
    assert!(search(&mut client, &token).is_empty());

    // A path that does not exist is not found, not "1 unchanged".
    let (code, message) = error_of(&mut client, "reindex", json!({"path": "no/such.rs"}));
    assert_eq!(code, ErrorCode::NotFound.code(), "{message}");

    // A binary file is read, listed, and the answer says why it is not parsed.
    let done = client.ok("reindex", json!({"path": "./blob.rs"}));
    assert_eq!(done["path"], "blob.rs");
    assert_eq!(done["skipped"], "binary", "{done}");
}

#[test]
fn spellings_of_one_file_stay_one_entry() {
    let project = project();
    let daemon = Daemon::start(project.root(), &[]);
    let mut client = daemon.wait_ready();
    let files_before = client.ok("stats", Value::Null)["files"].clone();

    let absolute = daemon.root.join("a.rs").display().to_string();
    for path in [
        "a.rs",
        "./a.rs",
        ".//a.rs",
        "crates/../a.rs",
        absolute.as_str(),
    ] {
        let done = client.ok("reindex", json!({"path": path}));
        assert_eq!(done["path"], "a.rs", "{path}: {done}");
    }
    assert_eq!(client.ok("stats", Value::Null)["files"], files_before);
    let found = client.ok("definitions", json!({"name": "only_once"}));
    assert_eq!(found["total"], 1, "{found}");

    // Every op that takes a path reads it the same way.
    for path in ["./a.rs", "crates/../a.rs", absolute.as_str()] {
        let outline = client.ok("file_outline", json!({"path": path}));
        assert_eq!(outline[0]["name"], "only_once", "{path}: {outline}");
        let at = client.ok("symbol_at", json!({"path": path, "line": 1}));
        assert_eq!(at["path"], "a.rs", "{path}: {at}");
    }
    let listed = client.ok("files", json!({"prefix": "./crates/"}));
    assert_eq!(listed["items"][0]["path"], "crates/b.rs", "{listed}");

    // Paths that name nothing indexed say what is wrong.
    let (code, message) = error_of(&mut client, "file_outline", json!({"path": ".env"}));
    assert_eq!(code, ErrorCode::InvalidParams.code());
    assert!(message.contains("ignored"), "{message}");
    let (code, message) = error_of(&mut client, "file_outline", json!({"path": "crates"}));
    assert_eq!(code, ErrorCode::InvalidParams.code());
    assert!(message.contains("directory"), "{message}");
    let (code, _) = error_of(&mut client, "file_outline", json!({"path": "gone.rs"}));
    assert_eq!(code, ErrorCode::NotFound.code());
    let (_, message) = error_of(
        &mut client,
        "file_outline",
        json!({"path": ".code-index/daemon.lock"}),
    );
    assert!(message.contains("never reads"), "{message}");
}

#[test]
fn reindex_of_a_deleted_file_or_directory_drops_it() {
    let project = project();
    project.write("gen/one.rs", "pub fn gen_one() {}\n");
    project.write("gen/two.rs", "pub fn gen_two() {}\n");
    // No watcher help: the daemon polls only every minute.
    let daemon = Daemon::start(
        project.root(),
        &["--max-watches", "0", "--poll-interval", "10m"],
    );
    let mut client = daemon.wait_ready();
    std::fs::remove_file(project.root().join("a.rs")).unwrap();
    let done = client.ok("reindex", json!({"path": "a.rs"}));
    assert_eq!(done["removed"], 1, "{done}");
    std::fs::remove_dir_all(project.root().join("gen")).unwrap();
    let done = client.ok("reindex", json!({"path": "gen/"}));
    assert_eq!(done["removed"], 2, "{done}");
    assert_eq!(
        client.ok("definitions", json!({"name": "gen_one"}))["total"],
        0
    );
    // A new directory is taken whole.
    project.write("fresh/x.rs", "pub fn fresh_x() {}\n");
    project.write("fresh/deep/y.rs", "pub fn fresh_y() {}\n");
    let done = client.ok("reindex", json!({"path": "fresh"}));
    assert_eq!(done["parsed"], 2, "{done}");
    assert_eq!(
        client.ok("definitions", json!({"name": "fresh_y"}))["total"],
        1
    );
}
