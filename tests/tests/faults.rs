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
