//! `code-index daemon`: real processes, real sockets, real temporary projects.

use std::collections::HashSet;

use code_index_protocol::{ErrorCode, LockError, Lockfile, MAX_LINE_BYTES};
use code_index_tests::{Client, DEADLINE, Daemon, Project, wait_until};
use serde_json::{Value, json};

fn project() -> Project {
    let project = Project::new();
    project
        .write(
            "src/lib.rs",
            "/// Adds.\npub fn add(a: i32, b: i32) -> i32 { a + b }\n",
        )
        .write(
            "src/main.rs",
            "fn main() {\n    let sum = add(1, 2);\n    println!(\"{sum}\");\n}\n",
        )
        .write(
            "app/models.py",
            "class User:\n    def name(self):\n        return 'x'\n",
        );
    project
}

/// Paths of the definitions of `name`.
fn defined_at(client: &mut Client, name: &str) -> Vec<String> {
    let result = client.ok("definitions", json!({ "name": name }));
    result["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["path"].as_str().unwrap().to_string())
        .collect()
}

fn wait_defined_at(client: &mut Client, name: &str, paths: &[&str], what: &str) {
    wait_until(DEADLINE, what, || {
        let found = defined_at(client, name);
        (found == paths).then_some(())
    });
}

#[test]
fn start_publishes_a_private_lockfile_and_serves_its_root() {
    let project = project();
    let daemon = Daemon::start(project.root(), &[]);
    let lock = daemon.lock().unwrap();
    assert_eq!(lock.pid, daemon.pid());
    assert_eq!(lock.root, daemon.root.display().to_string());
    assert_eq!(lock.token.len(), 32);
    assert_eq!(lock.protocol, code_index_protocol::PROTOCOL_VERSION);
    assert_eq!(lock.version, env!("CARGO_PKG_VERSION"));
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let path = code_index_protocol::lockfile::lock_path(&daemon.root);
        let mode = std::fs::metadata(path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
    }

    let mut client = daemon.wait_ready();
    let stats = client.call("stats", Value::Null);
    assert_eq!(stats.complete, Some(true));
    let stats = stats.result.unwrap();
    assert_eq!(stats["root"], daemon.root.display().to_string());
    assert_eq!(stats["files"], 3);
    assert_eq!(defined_at(&mut client, "add"), vec!["src/lib.rs"]);
    let status = client.ok("status", Value::Null);
    assert_eq!(status["pid"], daemon.pid());
    assert_eq!(status["watcher"], "ok");
    assert!(daemon.root.join(".code-index/daemon.log").exists());
}

#[test]
fn only_one_daemon_serves_a_root_even_when_ten_start_at_once() {
    for count in [2, 10] {
        let project = project();
        let mut daemons: Vec<Daemon> = (0..count)
            .map(|_| Daemon::spawn(project.root(), &[]))
            .collect();
        let winner = wait_until(DEADLINE, "one daemon to publish its port", || {
            let lock = Lockfile::read(&daemons[0].root).ok()?;
            lock.port.map(|_| lock)
        });
        let mut exited = 0;
        for daemon in &mut daemons {
            if daemon.pid() == winner.pid {
                continue;
            }
            let (status, _, stderr) = daemon.wait_exit();
            assert!(!status.success(), "a losing daemon exits with an error");
            let expected = format!(
                "another daemon (pid {}, port {}) already serves {}",
                winner.pid,
                winner.port.unwrap(),
                winner.root
            );
            assert!(stderr.contains(&expected), "stderr: {stderr}");
            exited += 1;
        }
        assert_eq!(exited, count - 1);
        let survivor = daemons.iter_mut().find(|d| d.pid() == winner.pid).unwrap();
        assert!(survivor.is_running());
        let mut client = survivor.client();
        assert_eq!(client.ok("stats", Value::Null)["root"], winner.root);
    }
}

#[test]
fn a_killed_daemons_lockfile_is_stale_and_taken_over() {
    let project = project();
    let mut first = Daemon::start(project.root(), &[]);
    let old = first.lock().unwrap();
    first.signal(libc::SIGKILL);
    first.wait_exit();
    // The lockfile is left behind, but nobody holds its lock.
    assert_eq!(first.lock().unwrap(), old);
    assert!(!Lockfile::is_held(&first.root));

    let second = Daemon::start(project.root(), &[]);
    let new = second.lock().unwrap();
    assert_eq!(new.pid, second.pid());
    assert_ne!(new.token, old.token);
    let mut client = second.wait_ready();
    assert_eq!(defined_at(&mut client, "add"), vec!["src/lib.rs"]);
}

#[test]
fn a_wrong_or_missing_token_is_refused() {
    let project = project();
    let daemon = Daemon::start(project.root(), &[]);
    let port = daemon.port();

    let mut wrong = Client::connect(port);
    let refused = wrong.call("hello", json!({"token": "not-the-token"}));
    assert_eq!(refused.error.unwrap().kind(), Some(ErrorCode::Unauthorized));
    assert!(wrong.receive().is_none(), "the connection is closed");

    let mut missing = Client::connect(port);
    let refused = missing.call("stats", Value::Null);
    assert_eq!(refused.error.unwrap().kind(), Some(ErrorCode::Unauthorized));
    assert!(missing.receive().is_none(), "the connection is closed");

    let mut garbage = Client::connect(port);
    garbage.send(b"GET / HTTP/1.1\r\n\r\n").unwrap();
    assert!(garbage.receive().unwrap().error.is_some());
    assert!(garbage.receive().is_none(), "the connection is closed");

    // The right token still works.
    let mut client = daemon.wait_ready();
    assert_eq!(client.ok("stats", Value::Null)["files"], 3);
}

#[test]
fn a_silent_or_vanishing_client_does_not_block_others() {
    let project = project();
    let daemon = Daemon::start(project.root(), &[]);
    let _silent = Client::connect(daemon.port());
    let mut half = daemon.client();
    half.send(b"{\"id\": 1, \"op\": \"references\", \"params\": {\"name\"")
        .unwrap();
    // A client that sends a request and goes away at once.
    {
        let mut gone = daemon.client();
        gone.send(b"{\"id\": 9, \"op\": \"reindex\"}\n").unwrap();
    }
    let mut client = daemon.wait_ready();
    assert_eq!(defined_at(&mut client, "add"), vec!["src/lib.rs"]);
    let mut other = daemon.client();
    assert_eq!(other.ok("status", Value::Null)["state"], "ready");
}

#[test]
fn bad_lines_get_errors_and_the_daemon_keeps_serving() {
    let project = project();
    let daemon = Daemon::start(project.root(), &[]);
    let mut client = daemon.wait_ready();

    client.send(b"{not json}\n").unwrap();
    let err = client.receive().unwrap().error.unwrap();
    assert_eq!(err.kind(), Some(ErrorCode::ParseError));

    let err = client.call("frobnicate", Value::Null).error.unwrap();
    assert_eq!(err.kind(), Some(ErrorCode::UnknownOp));
    assert!(err.message.contains("definitions"), "{}", err.message);

    let err = client
        .call("symbol_at", json!({"path": "src/lib.rs", "line": "two"}))
        .error
        .unwrap();
    assert_eq!(err.kind(), Some(ErrorCode::InvalidParams));

    let err = client
        .call("file_outline", json!({"path": "no/such.rs"}))
        .error
        .unwrap();
    assert_eq!(err.kind(), Some(ErrorCode::NotFound));

    let err = client
        .call("search_symbols", json!({"query": "a", "kind": ["gadget"]}))
        .error
        .unwrap();
    assert_eq!(err.kind(), Some(ErrorCode::InvalidParams));
    assert!(err.message.contains("function"), "{}", err.message);

    // The same connection still answers.
    assert_eq!(defined_at(&mut client, "add"), vec!["src/lib.rs"]);

    // A line over the limit: an error, then the connection closes.
    let mut big = daemon.client();
    let mut line = vec![b'x'; MAX_LINE_BYTES + 10];
    line.push(b'\n');
    let _ = big.send(&line);
    let err = big.receive().unwrap().error.unwrap();
    assert_eq!(err.kind(), Some(ErrorCode::LineTooLong));
    assert!(big.receive().is_none());

    // The daemon lives on.
    let mut after = daemon.client();
    assert_eq!(defined_at(&mut after, "add"), vec!["src/lib.rs"]);
}

#[test]
fn every_query_op_answers() {
    let project = project();
    let daemon = Daemon::start(project.root(), &[]);
    let mut client = daemon.wait_ready();
    // Through the protocol's types: every answer decodes into its op's type.
    use code_index_protocol::{self as wire, calls};
    let page = |limit| wire::PageRequest {
        offset: None,
        limit: Some(limit),
    };
    let found = client.op::<calls::SearchSymbols>(&wire::SearchSymbolsParams {
        query: "ad".into(),
        paging: page(5),
        ..Default::default()
    });
    assert_eq!(found.items[0].symbol.name, "add");
    assert_eq!(found.items[0].match_kind, "prefix");
    let refs = client.op::<calls::References>(&wire::ReferencesParams {
        name: "add".into(),
        kind: Some(vec!["call".into()]),
        ..Default::default()
    });
    assert_eq!(refs.total, 1);
    assert_eq!(refs.files[0].path, "src/main.rs");
    let models = wire::PathParams {
        path: "app/models.py".into(),
    };
    let outline = client.op::<calls::FileOutline>(&models);
    assert_eq!(outline[0].symbol.name, "User");
    assert_eq!(outline[0].children[0].symbol.name, "name");
    let at = client.op::<calls::SymbolAt>(&wire::SymbolAtParams {
        path: models.path.clone(),
        line: 3,
        column: None,
    });
    assert_eq!(at.enclosing.unwrap().qualified_name, "User.name");
    let graph = |name: &str, depth| wire::CallGraphParams {
        name: name.into(),
        depth: Some(depth),
        ..Default::default()
    };
    let callers = client.op::<calls::Callers>(&graph("add", 1));
    assert_eq!(callers.edges[0].from, "main");
    let callees = client.op::<calls::Callees>(&graph("main", 2));
    let tos: HashSet<&str> = callees.edges.iter().map(|e| e.to.as_str()).collect();
    assert!(tos.contains("add") && tos.contains("println"), "{tos:?}");
    let imps = client.op::<calls::Implementations>(&wire::NameParams {
        name: "User".into(),
    });
    assert!(imps.implementations.is_empty());
    let main = wire::PathParams {
        path: "src/main.rs".into(),
    };
    assert!(client.op::<calls::Imports>(&main).is_empty());
    let dependents = client.op::<calls::Dependents>(&wire::DependentsParams {
        target: "src/lib.rs".into(),
        ..Default::default()
    });
    assert_eq!(dependents.total, 0);
    let files = client.op::<calls::Files>(&Default::default());
    assert_eq!(files.total, 3);
    let dir = client.op::<calls::Dir>(&Default::default());
    assert!(
        dir.items
            .iter()
            .any(|e| e.path == "src/" && e.files == Some(2)),
        "{dir:?}"
    );
    let hits = client.op::<calls::SearchText>(&wire::SearchTextParams {
        pattern: "add(".into(),
        ..Default::default()
    });
    assert!(
        hits.items.iter().any(|h| h.path == "src/main.rs"),
        "{hits:?}"
    );
    let map = client.op::<calls::RepoMap>(&Default::default());
    assert!(map.iter().any(|f| f.path == "src/lib.rs"), "{map:?}");
    let stats = client.op::<calls::Stats>(&());
    assert_eq!(stats.files, 3);
    let reindex = client.op::<calls::Reindex>(&Default::default());
    assert_eq!(reindex.parsed, 0);
    assert_eq!(reindex.unchanged, 3);
}

#[test]
fn the_watcher_applies_creates_edits_deletes_renames_and_moves() {
    let project = project();
    let daemon = Daemon::start(project.root(), &[]);
    let mut client = daemon.wait_ready();

    project.write("src/extra.rs", "pub fn freshly_added() {}\n");
    wait_defined_at(
        &mut client,
        "freshly_added",
        &["src/extra.rs"],
        "a created file",
    );

    project.write("src/extra.rs", "pub fn edited_in_place() {}\n");
    wait_defined_at(
        &mut client,
        "edited_in_place",
        &["src/extra.rs"],
        "an edited file",
    );
    assert!(defined_at(&mut client, "freshly_added").is_empty());

    std::fs::rename(
        project.root().join("src/extra.rs"),
        project.root().join("src/renamed.rs"),
    )
    .unwrap();
    wait_defined_at(
        &mut client,
        "edited_in_place",
        &["src/renamed.rs"],
        "a renamed file",
    );

    std::fs::remove_file(project.root().join("src/renamed.rs")).unwrap();
    wait_defined_at(&mut client, "edited_in_place", &[], "a deleted file");

    std::fs::rename(project.root().join("app"), project.root().join("web")).unwrap();
    wait_defined_at(&mut client, "User", &["web/models.py"], "a moved directory");

    // A file written right after its directory is created.
    std::fs::create_dir_all(project.root().join("new/deep")).unwrap();
    std::fs::write(
        project.root().join("new/deep/late.go"),
        "package deep\nfunc Late() {}\n",
    )
    .unwrap();
    wait_defined_at(
        &mut client,
        "Late",
        &["new/deep/late.go"],
        "a file in a new directory",
    );

    // Ignored paths stay out.
    project.write(".gitignore", "scratch/\n");
    std::fs::create_dir_all(project.root().join("scratch")).unwrap();
    project.write("scratch/tmp.rs", "fn ignored_thing() {}\n");
    project.write("src/marker.rs", "fn after_ignored() {}\n");
    wait_defined_at(
        &mut client,
        "after_ignored",
        &["src/marker.rs"],
        "a later file",
    );
    assert!(defined_at(&mut client, "ignored_thing").is_empty());
}

#[test]
fn idle_timeout_exits_and_removes_the_lockfile() {
    let project = project();
    let mut daemon = Daemon::start(project.root(), &["--idle-timeout", "1s"]);
    {
        // A connection keeps it alive; its end starts the clock.
        let mut client = daemon.wait_ready();
        client.ok("status", Value::Null);
    }
    let (status, _, stderr) = daemon.wait_exit();
    assert!(status.success(), "{stderr}");
    assert!(stderr.contains("no client for"), "{stderr}");
    assert!(matches!(
        Lockfile::read(&daemon.root),
        Err(LockError::Missing(_))
    ));
}

#[test]
fn sigterm_saves_the_snapshot_and_removes_the_lockfile() {
    let project = project();
    let mut daemon = Daemon::start(project.root(), &["--idle-timeout", "0"]);
    let mut client = daemon.wait_ready();
    project.write("src/late.rs", "pub fn written_before_sigterm() {}\n");
    wait_defined_at(
        &mut client,
        "written_before_sigterm",
        &["src/late.rs"],
        "the new file",
    );
    drop(client);

    daemon.signal(libc::SIGTERM);
    let (status, _, stderr) = daemon.wait_exit();
    assert!(status.success(), "{stderr}");
    assert!(stderr.contains("saving the snapshot"), "{stderr}");
    assert!(!code_index_protocol::lockfile::lock_path(&daemon.root).exists());

    let snapshot = code_index_core::snapshot::snapshot_path(&daemon.root);
    let index = code_index_core::Index::load(&daemon.root, &snapshot).unwrap();
    let found = index.definitions(
        "written_before_sigterm",
        None,
        &Default::default(),
        Default::default(),
    );
    assert_eq!(found.total, 1);

    // The next daemon starts warm from it.
    let next = Daemon::start(project.root(), &[]);
    let mut client = next.wait_ready();
    assert_eq!(
        defined_at(&mut client, "written_before_sigterm"),
        vec!["src/late.rs"]
    );
}

#[test]
fn shutdown_stops_the_daemon_cleanly() {
    let project = project();
    let mut daemon = Daemon::start(project.root(), &[]);
    let mut client = daemon.wait_ready();
    assert_eq!(client.ok("shutdown", Value::Null)["stopping"], true);
    let (status, _, _) = daemon.wait_exit();
    assert!(status.success());
    assert!(!code_index_protocol::lockfile::lock_path(&daemon.root).exists());
}

#[test]
fn without_enough_watches_the_daemon_says_so_and_polls() {
    let project = project();
    let daemon = Daemon::start(
        project.root(),
        &["--max-watches", "1", "--poll-interval", "200ms"],
    );
    let mut client = daemon.wait_ready();
    let status = client.ok("status", Value::Null);
    assert_eq!(status["watcher"], "polling");
    assert!(
        status["watcher_detail"]
            .as_str()
            .unwrap()
            .contains("rescanned every"),
        "{status}"
    );
    // A change in an unwatched directory is still picked up, by a rescan.
    project.write("app/more.py", "def polled_in():\n    pass\n");
    wait_defined_at(
        &mut client,
        "polled_in",
        &["app/more.py"],
        "a rescan to find the file",
    );
    let log = std::fs::read_to_string(daemon.root.join(".code-index/daemon.log")).unwrap();
    assert!(log.contains("--max-watches"), "the log says why: {log}");
}

#[test]
fn a_burst_of_thousands_of_changes_is_absorbed() {
    let project = project();
    let daemon = Daemon::start(project.root(), &[]);
    let mut client = daemon.wait_ready();
    // Like a `git checkout` that rewrites many files at once.
    for i in 0..3000 {
        project.write(
            &format!("gen/m{}/f{i}.py", i % 30),
            format!("def generated_{i}():\n    pass\n"),
        );
    }
    std::fs::remove_file(project.root().join("src/lib.rs")).unwrap();
    wait_until(DEADLINE, "all 3,000 new files to be indexed", || {
        let stats = client.ok("stats", Value::Null);
        (stats["files"] == 3002).then_some(())
    });
    assert_eq!(
        defined_at(&mut client, "generated_2999"),
        vec!["gen/m29/f2999.py"]
    );
    assert!(defined_at(&mut client, "add").is_empty());
}

#[test]
fn the_daemons_own_reads_do_not_wake_the_watcher() {
    // More directories than a batch handles path by path: the first pass
    // opens them all, and were those reads taken for changes, every rescan
    // would trigger the next, forever.
    let project = project();
    for i in 0..2100 {
        std::fs::create_dir_all(project.root().join(format!("many/d{i}"))).unwrap();
    }
    project.write("many/d7/only.py", "def only_one():\n    pass\n");
    let daemon = Daemon::start(project.root(), &[]);
    let mut client = daemon.wait_ready();
    // A new ignore rule makes the daemon walk the whole tree again.
    project.write(".gitignore", "*.log\n");
    project.write("many/d9/second.py", "def second_one():\n    pass\n");
    wait_defined_at(
        &mut client,
        "second_one",
        &["many/d9/second.py"],
        "the rescan",
    );
    let batches = |client: &mut Client| {
        client.ok("status", Value::Null)["watcher_batches"]
            .as_u64()
            .unwrap()
    };
    wait_until(DEADLINE, "the watcher to go quiet", || {
        let before = batches(&mut client);
        std::thread::sleep(std::time::Duration::from_millis(300));
        (batches(&mut client) == before).then_some(())
    });
    project.write("many/d2000/new.py", "def appears_later():\n    pass\n");
    wait_defined_at(
        &mut client,
        "appears_later",
        &["many/d2000/new.py"],
        "a new file",
    );
}

#[test]
fn a_query_sent_while_the_snapshot_loads_waits_for_it() {
    let project = project();
    let mut first = Daemon::start(project.root(), &[]);
    let mut client = first.wait_ready();
    client.ok("shutdown", Value::Null);
    first.wait_exit();
    let snapshot = code_index_core::snapshot::snapshot_path(&first.root);
    assert!(snapshot.exists(), "the first daemon saved its snapshot");

    // The load is slowed down: a query sent meanwhile waits for it instead
    // of answering from the empty index.
    let second = Daemon::start(project.root(), &["--load-delay", "3s"]);
    let mut client = second.client();
    assert_eq!(client.ok("status", Value::Null)["state"], "loading");
    let found = client.ok("definitions", json!({"name": "add"}));
    assert_eq!(found["items"][0]["path"], "src/lib.rs", "{found}");
    assert_ne!(client.ok("status", Value::Null)["state"], "loading");
}

#[test]
fn files_git_tracks_under_an_ignored_directory_are_indexed_and_watched() {
    let project = Project::new();
    let root = project.root();
    let git = |args: &[&str]| {
        let status = std::process::Command::new("git")
            .arg("-C")
            .arg(root)
            .args(args)
            .status()
            .expect("git runs");
        assert!(status.success(), "git {args:?}");
    };
    git(&["init", "-q"]);
    project
        .write(".gitignore", "vendor/\n")
        .write("src/main.rs", "fn main() {}\n")
        .write("vendor/lib/api.rs", "pub fn vendored_api() {}\n")
        .write("vendor/lib/scratch.rs", "pub fn scratch_space() {}\n");
    git(&["add", "-f", "vendor/lib/api.rs"]);
    let daemon = Daemon::start(root, &[]);
    let mut client = daemon.wait_ready();
    assert_eq!(
        defined_at(&mut client, "vendored_api"),
        ["vendor/lib/api.rs"]
    );
    assert!(defined_at(&mut client, "scratch_space").is_empty());
    // Edits of the tracked file are seen; a new untracked file beside it is
    // still ignored.
    project.write(
        "vendor/lib/api.rs",
        "pub fn vendored_api() {}\npub fn vendored_more() {}\n",
    );
    project.write("vendor/lib/new.rs", "pub fn untracked_new() {}\n");
    wait_defined_at(
        &mut client,
        "vendored_more",
        &["vendor/lib/api.rs"],
        "the edit of a tracked file under an ignored directory",
    );
    assert!(defined_at(&mut client, "untracked_new").is_empty());
    assert!(defined_at(&mut client, "scratch_space").is_empty());
}
