//! `DaemonClient` against real daemons: reconnecting after a restart on another
//! port, not reconnecting when asked not to, refusing a daemon of another
//! root, and starting a daemon when none runs.

use code_index_mcp::{DaemonClient, DaemonError, SpawnOptions};
use code_index_protocol::{LockPayload, Lockfile, lock_path};
use code_index_tests::{DEADLINE, Daemon, Project, StopDaemonOnDrop, code_index_bin, wait_until};
use serde_json::{Value, json};

fn project(marker: &str) -> Project {
    let project = Project::new();
    project.write("src/lib.rs", format!("pub fn {marker}() {{}}\n"));
    project
}

async fn files(client: &DaemonClient) -> Result<u64, DaemonError> {
    let stats: Value = client.call("stats", Value::Null).await?;
    Ok(stats["files"].as_u64().unwrap())
}

/// Stops a daemon the hard way and starts another on the same root.
fn restart(daemon: &mut Daemon) -> Daemon {
    daemon.signal(libc::SIGKILL);
    daemon.wait_exit();
    let next = Daemon::start(&daemon.root, &[]);
    next.wait_ready();
    next
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reconnect_aware_client_survives_daemon_restart() {
    let project = project("first_marker");
    let mut first = Daemon::start(project.root(), &[]);
    first.wait_ready();
    let client = DaemonClient::connect_with_reconnect(&first.root, first.port())
        .await
        .unwrap();
    assert_eq!(files(&client).await.unwrap(), 1);

    let second = restart(&mut first);
    assert_eq!(
        files(&client).await.unwrap(),
        1,
        "the same client's next call succeeds"
    );
    assert_eq!(client.port().await, Some(second.port()));
    assert_ne!(second.lock().unwrap().pid, first.pid());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn plain_connect_does_not_reconnect() {
    let project = project("plain_marker");
    let mut first = Daemon::start(project.root(), &[]);
    first.wait_ready();
    let token = first.lock().unwrap().token;
    let client = DaemonClient::connect(first.port(), &token).await.unwrap();
    assert_eq!(files(&client).await.unwrap(), 1);

    let _second = restart(&mut first);
    let err = files(&client).await.unwrap_err();
    assert!(err.is_connection(), "{err}");
    // And it stays disconnected.
    assert!(files(&client).await.unwrap_err().is_connection());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reconnect_rejects_a_foreign_daemon() {
    let ours = project("ours_marker");
    let theirs = project("theirs_marker");
    let mut our_daemon = Daemon::start(ours.root(), &[]);
    our_daemon.wait_ready();
    let their_daemon = Daemon::start(theirs.root(), &[]);
    their_daemon.wait_ready();
    let client = DaemonClient::connect_with_reconnect(&our_daemon.root, our_daemon.port())
        .await
        .unwrap();
    assert_eq!(files(&client).await.unwrap(), 1);

    // Our daemon dies; a stale lockfile now points at the other root's live daemon.
    our_daemon.signal(libc::SIGKILL);
    our_daemon.wait_exit();
    let theirs_lock = their_daemon.lock().unwrap();
    let forged = LockPayload {
        root: our_daemon.root.display().to_string(),
        ..theirs_lock.clone()
    };
    std::fs::write(
        lock_path(&our_daemon.root),
        serde_json::to_string(&forged).unwrap(),
    )
    .unwrap();

    match files(&client).await {
        Err(DaemonError::ForeignDaemon {
            expected, found, ..
        }) => {
            assert_eq!(expected, our_daemon.root.display().to_string());
            assert_eq!(found, their_daemon.root.display().to_string());
        }
        other => panic!("expected the foreign daemon to be refused, got {other:?}"),
    }

    // A lockfile that says outright it is another root's is not used either.
    std::fs::write(
        lock_path(&our_daemon.root),
        serde_json::to_string(&theirs_lock).unwrap(),
    )
    .unwrap();
    assert!(files(&client).await.is_err());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn attach_starts_a_daemon_when_none_runs_and_again_when_it_dies() {
    let project = project("spawned_marker");
    let root = std::fs::canonicalize(project.root()).unwrap();
    let _daemon = StopDaemonOnDrop(root.clone());
    let spawn = SpawnOptions {
        program: code_index_bin(),
        args: vec!["--idle-timeout".into(), "2m".into()],
    };
    let client = DaemonClient::attach(&root, spawn).await.unwrap();
    let started = std::time::Instant::now();
    loop {
        let found = client
            .request("definitions", json!({"name": "spawned_marker"}))
            .await
            .unwrap();
        if found.complete == Some(true) {
            assert_eq!(found.result.unwrap()["total"], 1);
            break;
        }
        assert!(
            started.elapsed() < DEADLINE,
            "the spawned daemon never got ready"
        );
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    let first: LockPayload = Lockfile::read(&root).unwrap();
    assert!(Lockfile::is_held(&root));

    // SAFETY: killing the daemon this test started.
    unsafe { libc::kill(first.pid as libc::pid_t, libc::SIGKILL) };
    wait_until(DEADLINE, "the killed daemon to release its lock", || {
        (!Lockfile::is_held(&root)).then_some(())
    });
    // The next call reaches a new daemon, which may still be loading the
    // snapshot: it then reports the file once loaded.
    files(&client)
        .await
        .expect("a new daemon serves the next call");
    let reloaded = std::time::Instant::now();
    while files(&client).await.unwrap() != 1 {
        assert!(
            reloaded.elapsed() < DEADLINE,
            "the new daemon never reported the file"
        );
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    let second = Lockfile::read(&root).unwrap();
    assert_ne!(second.pid, first.pid);
    assert!(root.join(".code-index/daemon.log").exists());
    // SAFETY: cleaning up the daemon this test caused to start.
    unsafe { libc::kill(second.pid as libc::pid_t, libc::SIGTERM) };
    wait_until(DEADLINE, "the daemon to stop", || {
        (!Lockfile::is_held(&root)).then_some(())
    });
}
