//! Faults and abuse around a running daemon: its lockfile deleted under it,
//! idle connections at the open-file limit, clients without the token. Real
//! processes, real sockets, real files.

use std::net::TcpStream;
use std::process::Stdio;

use code_index_protocol::Lockfile;
use code_index_tests::{Client, DEADLINE, Daemon, Project, code_index_bin, wait_until};
use serde_json::{Value, json};

/// The pid in the root's lockfile, when it is readable and held.
fn holder(root: &std::path::Path) -> Option<u32> {
    let lock = Lockfile::read(root).ok()?;
    (lock.port.is_some() && Lockfile::is_held(root)).then_some(lock.pid)
}

#[test]
fn a_deleted_lockfile_is_restored_and_a_second_daemon_defers() {
    let project = Project::shapes();
    let mut daemon = Daemon::start(project.root(), &[]);
    let root = daemon.root.clone();
    let mut client = daemon.wait_ready();
    let pid = daemon.pid();

    std::fs::remove_file(code_index_protocol::lock_path(&root)).unwrap();
    wait_until(DEADLINE, "the daemon to restore its lockfile", || {
        (holder(&root) == Some(pid)).then_some(())
    });
    // The token is the same: connected clients and new ones both work.
    client.ok("stats", Value::Null);
    daemon.client().ok("stats", Value::Null);

    // `git clean -fdx` takes the whole state directory.
    std::fs::remove_dir_all(root.join(".code-index")).unwrap();
    wait_until(
        DEADLINE,
        "the daemon to restore its state directory",
        || (holder(&root) == Some(pid)).then_some(()),
    );

    // A second daemon now finds the first and leaves.
    let mut second = Daemon::spawn(&root, &[]);
    let (status, _, stderr) = second.wait_exit();
    assert!(
        !status.success() && stderr.contains("already serves"),
        "{stderr}"
    );
    assert!(daemon.is_running());
    assert_eq!(holder(&root), Some(pid));
}

#[test]
fn a_daemon_racing_a_restore_leaves_exactly_one_and_its_lockfile() {
    let project = Project::shapes();
    let mut first = Daemon::start(project.root(), &[]);
    let root = first.root.clone();
    first.wait_ready();
    std::fs::remove_file(code_index_protocol::lock_path(&root)).unwrap();
    // Whichever wins, one daemon serves the root and the lockfile is its own.
    let mut second = Daemon::spawn(&root, &[]);
    let survivor = wait_until(DEADLINE, "exactly one daemon to remain", || {
        match (first.is_running(), second.is_running()) {
            (true, false) => Some(first.pid()),
            (false, true) => Some(second.pid()),
            _ => None,
        }
    });
    wait_until(DEADLINE, "the lockfile to name the survivor", || {
        (holder(&root) == Some(survivor)).then_some(())
    });
    // The one that left did not take the survivor's lockfile with it.
    let lock = Lockfile::read(&root).unwrap();
    let mut client = Client::connect(lock.port.unwrap());
    client.ok("hello", json!({"token": lock.token}));
    assert_eq!(
        client.ok("stats", Value::Null)["root"],
        root.display().to_string()
    );
}

#[cfg(target_os = "linux")]
#[test]
fn idle_connections_at_the_open_file_limit_do_not_shut_out_a_client() {
    if std::process::Command::new("prlimit")
        .arg("--version")
        .output()
        .is_err()
    {
        eprintln!("skipped: prlimit (util-linux) is not installed");
        return;
    }
    let project = Project::shapes();
    let root = std::fs::canonicalize(project.root()).unwrap();
    let child = std::process::Command::new("prlimit")
        .arg("--nofile=128:128")
        .arg(code_index_bin())
        .args(["daemon", "--no-stderr-log", "--root"])
        .arg(&root)
        .env_remove("RUST_LOG")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    struct Kill(std::process::Child);
    impl Drop for Kill {
        fn drop(&mut self) {
            let _ = self.0.kill();
            let _ = self.0.wait();
        }
    }
    let _child = Kill(child);
    let lock = wait_until(DEADLINE, "the daemon to publish its port", || {
        Lockfile::read(&root).ok().filter(|l| l.port.is_some())
    });
    let port = lock.port.unwrap();

    // 200 connections that never say hello, more than the daemon has fds.
    let idle: Vec<TcpStream> = (0..200)
        .map(|_| TcpStream::connect(("127.0.0.1", port)).unwrap())
        .collect();
    // A real client still gets in, and gets answers.
    let mut client = Client::connect(port);
    client.ok("hello", json!({"token": lock.token}));
    assert_eq!(
        client.ok("stats", Value::Null)["root"],
        root.display().to_string()
    );
    drop(idle);
    // A second client after the storm, too.
    let mut again = Client::connect(port);
    again.ok("hello", json!({"token": lock.token}));

    // At most one line per episode, not one per attempt.
    let log = std::fs::read_to_string(root.join(".code-index/daemon.log")).unwrap();
    let accept_lines = log.matches("cannot accept connections").count();
    assert!(
        log.len() < 64 * 1024,
        "daemon.log grew to {} bytes",
        log.len()
    );
    assert!(accept_lines <= 5, "{accept_lines} accept warnings:\n{log}");
}

#[test]
fn refused_clients_are_logged_without_flooding_the_log() {
    let project = Project::shapes();
    let daemon = Daemon::start(project.root(), &[]);
    daemon.wait_ready();
    for i in 0..50 {
        let mut intruder = Client::connect(daemon.port());
        let response = if i % 2 == 0 {
            intruder.call("hello", json!({"token": "guessed"}))
        } else {
            intruder.call("stats", Value::Null)
        };
        assert!(response.error.is_some());
        assert!(intruder.receive().is_none(), "the connection is closed");
    }
    let log_path = daemon.root.join(".code-index/daemon.log");
    let refused = wait_until(DEADLINE, "the refusal to be logged", || {
        let log = std::fs::read_to_string(&log_path).ok()?;
        let n = log.matches("refused a client").count();
        (n > 0).then_some(n)
    });
    assert!(refused <= 2, "{refused} lines for 50 refusals");
}

#[cfg(unix)]
#[test]
fn the_state_directory_and_its_files_are_private_whatever_the_umask() {
    use std::os::unix::fs::PermissionsExt;
    let project = Project::shapes();
    // A daemon started under umask 000, as the attacker would hope.
    let mut cmd = std::process::Command::new("sh");
    cmd.arg("-c")
        .arg("umask 000; exec \"$0\" daemon --no-stderr-log --root \"$1\"")
        .arg(code_index_bin())
        .arg(project.root())
        .env_remove("RUST_LOG")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    let mut child = cmd.spawn().unwrap();
    let root = std::fs::canonicalize(project.root()).unwrap();
    let lock = wait_until(DEADLINE, "the daemon to publish its port", || {
        Lockfile::read(&root).ok().filter(|l| l.port.is_some())
    });
    let mut client = Client::connect(lock.port.unwrap());
    client.ok("hello", json!({"token": lock.token}));
    wait_until(DEADLINE, "the index to be ready", || {
        (client.ok("status", Value::Null)["state"] == "ready").then_some(())
    });
    client.ok("shutdown", Value::Null);
    wait_until(DEADLINE, "the daemon to exit", || child.try_wait().unwrap());
    let state = root.join(".code-index");
    let mode = |p: &std::path::Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(&state), 0o700);
    for name in ["index.bin", "daemon.log", ".gitignore"] {
        assert_eq!(mode(&state.join(name)), 0o600, "{name}");
    }
}

/// A command that runs as the unprivileged user `nobody`, when this process
/// can switch to it and `nobody` can run the binary; `None` (after saying
/// why) otherwise.
#[cfg(unix)]
fn as_nobody() -> Option<std::process::Command> {
    use std::os::unix::process::CommandExt;
    // SAFETY: geteuid has no preconditions.
    if unsafe { libc::geteuid() } != 0 {
        eprintln!("skipped: only root can run a command as another user here");
        return None;
    }
    let mut probe = std::process::Command::new(code_index_bin());
    probe.arg("--version").uid(65534).gid(65534);
    if !probe.output().is_ok_and(|o| o.status.success()) {
        eprintln!(
            "skipped: the user nobody cannot run {}",
            code_index_bin().display()
        );
        return None;
    }
    let mut cmd = std::process::Command::new(code_index_bin());
    cmd.uid(65534).gid(65534).env_remove("RUST_LOG");
    Some(cmd)
}

#[cfg(unix)]
#[test]
fn mcp_serves_and_explains_when_the_state_directory_cannot_be_created() {
    use std::os::unix::fs::PermissionsExt;
    let Some(mut cmd) = as_nobody() else { return };
    // Another user's read-only checkout.
    let project = Project::shapes();
    for dir in ["", "src"] {
        let path = project.root().join(dir);
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    cmd.args(["mcp", "--root"]).arg(project.root());
    let mut mcp = code_index_tests::mcp::McpSession::start_with(cmd, None);
    let tools = mcp.request("tools/list", json!({}));
    assert!(tools["tools"].as_array().unwrap().len() > 10, "{tools}");
    let (text, _, error) = mcp.tool("find_definition", json!({"name": "total"}));
    assert!(error, "{text}");
    assert!(
        text.contains("cannot create") && text.contains("writable"),
        "{text}"
    );
    // What needs no daemon still works.
    let (text, _, error) = mcp.tool("read_file", json!({"path": "src/main.rs", "end_line": 1}));
    assert!(!error && text.contains("mod shapes"), "{text}");
    assert!(!project.root().join(".code-index").exists());
    assert!(mcp.close().success());
}

/// A tmpfs of `kib` KiB mounted at `dir`, unmounted when dropped; `None`
/// (after saying why) when this process may not mount.
#[cfg(target_os = "linux")]
struct Tmpfs(std::path::PathBuf);

#[cfg(target_os = "linux")]
impl Tmpfs {
    fn mount(dir: &std::path::Path, kib: u32) -> Option<Tmpfs> {
        let status = std::process::Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={kib}k"), "tmpfs"])
            .arg(dir)
            .stderr(Stdio::null())
            .status();
        if !status.is_ok_and(|s| s.success()) {
            eprintln!("skipped: cannot mount a tmpfs here (needs root)");
            return None;
        }
        Some(Tmpfs(dir.to_path_buf()))
    }
}

#[cfg(target_os = "linux")]
impl Drop for Tmpfs {
    fn drop(&mut self) {
        let _ = std::process::Command::new("umount")
            .arg("-l")
            .arg(&self.0)
            .status();
    }
}

#[cfg(target_os = "linux")]
#[test]
fn a_full_disk_is_named_not_a_panic() {
    let dir = tempfile::tempdir().unwrap();
    let Some(_mount) = Tmpfs::mount(dir.path(), 256) else {
        return;
    };
    let root = std::fs::canonicalize(dir.path()).unwrap();
    std::fs::create_dir_all(root.join("src")).unwrap();
    std::fs::write(root.join("src/lib.rs"), "pub fn full() {}\n").unwrap();
    std::fs::create_dir_all(root.join(".code-index")).unwrap();
    // Fill it up.
    let mut filler = std::fs::File::create(root.join("filler")).unwrap();
    let block = vec![b'x'; 4096];
    while std::io::Write::write_all(&mut filler, &block).is_ok() {}
    drop(filler);

    // A daemon started by hand fails with a message and exit 1, not 101.
    let output = code_index_tests::code_index()
        .args(["daemon", "--root"])
        .arg(&root)
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1), "{output:?}");

    // An assistant's tool says the disk is full.
    let _stop = code_index_tests::StopDaemonOnDrop(root.clone());
    let mut mcp = code_index_tests::mcp::McpSession::start(&root);
    let (text, _, error) = mcp.tool("find_definition", json!({"name": "full"}));
    assert!(error, "{text}");
    assert!(text.contains("full"), "{text}");
}

#[test]
fn a_connection_that_never_says_hello_is_closed_and_a_client_that_did_stays() {
    let project = Project::shapes();
    let daemon = Daemon::start(project.root(), &[]);
    let mut client = daemon.wait_ready();
    let mut silent = TcpStream::connect(("127.0.0.1", daemon.port())).unwrap();
    silent
        .set_read_timeout(Some(std::time::Duration::from_millis(500)))
        .unwrap();
    // The daemon ends the silent connection: a read sees its end, not
    // only the timeout.
    wait_until(DEADLINE, "the daemon to close a silent connection", || {
        let mut byte = [0u8; 1];
        match std::io::Read::read(&mut silent, &mut byte) {
            Ok(0) => Some(()),
            Ok(_) => panic!("the daemon wrote to a connection that sent nothing"),
            Err(err)
                if matches!(
                    err.kind(),
                    std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                ) =>
            {
                None
            }
            Err(_) => Some(()),
        }
    });
    // The client that said hello before is past the deadline too, and served.
    assert_eq!(
        client.ok("stats", Value::Null)["root"],
        daemon.root.display().to_string()
    );
}

#[test]
fn a_panicking_handler_is_answered_and_the_daemon_serves_on() {
    let project = Project::shapes();
    let mut daemon = Daemon::start(project.root(), &["--fail-on", "definitions"]);
    let mut client = daemon.wait_ready();
    for _ in 0..3 {
        let response = client.call("definitions", json!({"name": "Square"}));
        let error = response.error.expect("an error answer");
        assert!(
            error.message.contains("failed on this definitions request"),
            "{error:?}"
        );
    }
    // The same connection goes on: other queries answer.
    let found = client.ok("search_symbols", json!({"query": "Square"}));
    assert!(found.to_string().contains("Square"), "{found}");
    assert!(daemon.is_running());
    // One line per panic in the log, no backtrace in it or on stderr.
    let log = std::fs::read_to_string(daemon.root.join(".code-index/daemon.log")).unwrap();
    assert_eq!(
        log.matches("the definitions handler panicked").count(),
        3,
        "{log}"
    );
    client.ok("shutdown", Value::Null);
    let (_, _, stderr) = daemon.wait_exit();
    for text in [&log, &stderr] {
        assert!(!text.contains("stack backtrace"), "{text}");
        assert!(!text.contains("RUST_BACKTRACE"), "{text}");
    }
    assert!(stderr.contains("--fail-on definitions"), "{stderr}");
}
