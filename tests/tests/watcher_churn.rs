//! The watcher under churn, on real daemons and real files: directories
//! removed and re-created at once, real `git checkout`s, and changes the
//! events never report. Each test waits, with a deadline, until the index
//! lists exactly the files a fresh walk of the tree finds.

use std::collections::BTreeSet;
use std::path::Path;
use std::time::{Duration, Instant};

use code_index_tests::{Client, DEADLINE, Daemon, OutputWithin, Project, success};
use serde_json::{Value, json};

/// Every path the daemon's index lists.
fn indexed(client: &mut Client) -> BTreeSet<String> {
    let mut paths = BTreeSet::new();
    loop {
        let page = client.ok("files", json!({"offset": paths.len(), "limit": 10_000}));
        let items = page["items"].as_array().expect("a page of files");
        paths.extend(
            items
                .iter()
                .map(|f| f["path"].as_str().expect("a path").to_string()),
        );
        if items.is_empty() || paths.len() as u64 >= page["total"].as_u64().unwrap() {
            return paths;
        }
    }
}

/// The files a fresh walk of the tree finds, with the daemon's rules.
fn fresh_walk(root: &Path) -> BTreeSet<String> {
    let root = std::fs::canonicalize(root).unwrap();
    let found = code_index_core::discover::discover(&root, &Default::default())
        .expect("the tree can be walked");
    found.files.into_iter().map(|f| f.path).collect()
}

/// Waits until the index lists exactly `expected`, and returns how long that
/// took; fails, saying what differs, after `DEADLINE`.
fn wait_consistent(client: &mut Client, expected: &BTreeSet<String>, what: &str) -> Duration {
    let start = Instant::now();
    loop {
        let found = indexed(client);
        if &found == expected {
            let took = start.elapsed();
            eprintln!("{what}: index consistent after {took:.2?}");
            return took;
        }
        if start.elapsed() > DEADLINE {
            let missing: Vec<_> = expected.difference(&found).take(5).collect();
            let extra: Vec<_> = found.difference(expected).take(5).collect();
            panic!(
                "{what}: after {DEADLINE:?} the index lists {} files, the tree has {}; \
                 {} missing (e.g. {missing:?}), {} extra (e.g. {extra:?})",
                found.len(),
                expected.len(),
                expected.difference(&found).count(),
                found.difference(expected).count(),
            );
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Waits until the watcher's periodic check has run once.
fn wait_first_check(client: &mut Client) {
    code_index_tests::wait_until(DEADLINE, "a first check", || {
        let status = client.ok("status", Value::Null);
        status["watcher_checked_seconds_ago"].as_u64()
    });
}

/// Waits until `status` counts a repair by the periodic check; returns it.
fn wait_repair_counted(client: &mut Client) -> Value {
    code_index_tests::wait_until(DEADLINE, "the repair to be counted", || {
        let status = client.ok("status", Value::Null);
        (status["watcher_repairs"].as_u64().unwrap() >= 1).then_some(status)
    })
}

const DIRS: usize = 50;
const FILES: usize = 30;

/// Writes `DIRS` directories of `FILES` files under `gen/`, named and filled
/// after `tag`; returns their paths.
fn generate(project: &Project, tag: &str) -> BTreeSet<String> {
    let mut paths = BTreeSet::new();
    for d in 0..DIRS {
        paths.extend(generate_dir(project, d, tag));
    }
    paths
}

fn generate_dir(project: &Project, d: usize, tag: &str) -> Vec<String> {
    (0..FILES)
        .map(|f| {
            let rel = format!("gen/d{d}/{tag}_{f}.py");
            project.write(&rel, format!("def {tag}_{d}_{f}():\n    pass\n"));
            rel
        })
        .collect()
}

#[test]
fn directories_removed_and_recreated_at_once_are_watched_again() {
    let project = Project::new();
    project.write("src/main.py", "def main():\n    pass\n");
    let daemon = Daemon::start(project.root(), &[]);
    let mut client = daemon.wait_ready();
    let mut expected: BTreeSet<String> = BTreeSet::from(["src/main.py".to_string()]);

    expected.extend(generate(&project, "first"));
    wait_consistent(&mut client, &expected, "50x30 files created");

    // `rm -rf gen/d* && regenerate`: every directory goes, then comes back
    // with other files.
    for d in 0..DIRS {
        std::fs::remove_dir_all(project.root().join(format!("gen/d{d}"))).unwrap();
    }
    let regenerated = generate(&project, "second");
    expected.retain(|p| !p.starts_with("gen/"));
    expected.extend(regenerated);
    assert_eq!(expected, fresh_walk(project.root()));
    wait_consistent(&mut client, &expected, "50x30 removed, then re-created");

    // The same, directory by directory, as a checkout does.
    expected.retain(|p| !p.starts_with("gen/"));
    for d in 0..DIRS {
        std::fs::remove_dir_all(project.root().join(format!("gen/d{d}"))).unwrap();
        expected.extend(generate_dir(&project, d, "third"));
    }
    assert_eq!(expected, fresh_walk(project.root()));
    wait_consistent(&mut client, &expected, "50x30 each removed and re-created");

    // The re-created directories are watched: a file written later shows up.
    project.write("gen/d7/late.py", "def written_later():\n    pass\n");
    expected.insert("gen/d7/late.py".to_string());
    wait_consistent(
        &mut client,
        &expected,
        "a file written into a re-created dir",
    );
    let status = client.ok("status", Value::Null);
    assert_eq!(status["watcher"], "ok", "{status}");
}

/// Runs git in `root`, isolated from the machine's git configuration.
fn git(root: &Path, args: &[&str]) -> String {
    let output = std::process::Command::new("git")
        .current_dir(root)
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .args([
            "-c",
            "user.name=Churn Test",
            "-c",
            "user.email=churn@example.invalid",
        ])
        .args(args)
        .output_within(DEADLINE);
    success(output)
}

#[test]
fn the_index_follows_git_checkouts_between_distant_branches() {
    let project = Project::new();
    let root = project.root();
    // main: a0..a39 and r0..r19 with 25 files each, and keep/.
    for r in 0..20 {
        for f in 0..25 {
            project.write(
                &format!("r{r}/main_{f}.py"),
                format!("def main_{r}_{f}():\n    pass\n"),
            );
        }
    }
    for a in 0..40 {
        for f in 0..25 {
            project.write(
                &format!("a{a}/f{f}.py"),
                format!("def a_{a}_{f}():\n    pass\n"),
            );
        }
    }
    for k in 0..20 {
        project.write(
            &format!("keep/k{k}.py"),
            format!("def keep_{k}():\n    pass\n"),
        );
    }
    git(root, &["init", "-q", "-b", "main"]);
    git(root, &["add", "-A"]);
    git(root, &["commit", "-q", "-m", "main"]);
    // other: a0..a19 deleted, b0..b19 added, a20..a29 moved to c20..c29,
    // a30..a39 edited, and every file of r0..r19 another: 2,750 paths
    // differ. A checkout empties each r directory, removes it and makes it
    // again.
    git(root, &["checkout", "-q", "-b", "other"]);
    for r in 0..20 {
        std::fs::remove_dir_all(root.join(format!("r{r}"))).unwrap();
        for f in 0..25 {
            project.write(
                &format!("r{r}/other_{f}.py"),
                format!("def other_{r}_{f}():\n    pass\n"),
            );
        }
    }
    for a in 0..20 {
        std::fs::remove_dir_all(root.join(format!("a{a}"))).unwrap();
        for f in 0..25 {
            project.write(
                &format!("b{a}/g{f}.py"),
                format!("def b_{a}_{f}():\n    pass\n"),
            );
        }
    }
    for a in 20..30 {
        git(root, &["mv", &format!("a{a}"), &format!("c{a}")]);
    }
    for a in 30..40 {
        for f in 0..25 {
            project.write(
                &format!("a{a}/f{f}.py"),
                format!("def edited_{a}_{f}():\n    return {f}\n"),
            );
        }
    }
    git(root, &["add", "-A"]);
    git(root, &["commit", "-q", "-m", "other"]);
    git(root, &["checkout", "-q", "main"]);

    // The periodic check is put out of reach: the events alone must do.
    let daemon = Daemon::start(root, &["--verify-interval", "1h"]);
    let mut client = daemon.wait_ready();
    wait_consistent(&mut client, &fresh_walk(root), "on main");
    for branch in ["other", "main", "other", "main"] {
        git(root, &["checkout", "-q", branch]);
        let tree = fresh_walk(root);
        assert!(tree.len() >= 1520, "{branch} has {} files", tree.len());
        wait_consistent(&mut client, &tree, &format!("git checkout {branch}"));
    }
    // a0 was removed by the checkout of other and made again by that of
    // main; r0 removed and made again by each checkout.
    project.write("a0/after.py", "def after_checkouts():\n    pass\n");
    project.write("r0/after.py", "def after_checkouts():\n    pass\n");
    wait_consistent(
        &mut client,
        &fresh_walk(root),
        "a file written after the checkouts",
    );
    // The file events alone kept the index right.
    let status = client.ok("status", Value::Null);
    assert_eq!(status["watcher_repairs"], 0, "{status}");
    assert_eq!(status["watcher"], "ok", "{status}");
    let definitions = client.ok("definitions", json!({"name": "edited_35_3"}));
    assert_eq!(
        definitions["items"].as_array().unwrap().len(),
        0,
        "{definitions}"
    );
    let definitions = client.ok("definitions", json!({"name": "a_35_3"}));
    assert_eq!(
        definitions["items"][0]["path"], "a35/f3.py",
        "{definitions}"
    );
}

#[test]
fn the_periodic_check_repairs_what_the_events_missed() {
    let project = Project::new();
    project
        .write("src/main.py", "def main():\n    pass\n")
        .write("lost/old.py", "def old():\n    pass\n")
        .write("lost/gone/g.py", "def gone():\n    pass\n")
        .write("lost/remade/r.py", "def remade():\n    pass\n");
    // Events under lost/ are dropped, as if the OS had lost them.
    let daemon = Daemon::start(
        project.root(),
        &["--verify-interval", "200ms", "--drop-events-under", "lost"],
    );
    let mut client = daemon.wait_ready();
    wait_consistent(&mut client, &fresh_walk(project.root()), "started");
    wait_first_check(&mut client);
    let repairs = |client: &mut Client| {
        client.ok("status", Value::Null)["watcher_repairs"]
            .as_u64()
            .expect("status counts repairs")
    };
    assert_eq!(repairs(&mut client), 0, "nothing to repair yet");

    // Files added, a file and a directory removed, a directory made again.
    let root = project.root();
    project.write("lost/new.py", "def appeared_unseen():\n    pass\n");
    project.write("lost/sub/deep.py", "def deep_unseen():\n    pass\n");
    std::fs::remove_file(root.join("lost/old.py")).unwrap();
    std::fs::remove_dir_all(root.join("lost/gone")).unwrap();
    std::fs::remove_dir_all(root.join("lost/remade")).unwrap();
    project.write("lost/remade/r2.py", "def remade_again():\n    pass\n");
    let tree = fresh_walk(root);
    assert!(tree.contains("lost/sub/deep.py") && !tree.contains("lost/old.py"));
    wait_consistent(&mut client, &tree, "changes without events");
    // The count moves right after the repair is applied.
    let status = wait_repair_counted(&mut client);
    assert_eq!(status["watcher"], "ok", "{status}");
    assert_eq!(status["state"], "ready", "{status}");
}

#[test]
fn directories_the_os_would_not_watch_are_kept_right_by_the_periodic_check() {
    let project = Project::new();
    project
        .write("src/main.py", "def main():\n    pass\n")
        .write("stuck/old.py", "def old():\n    pass\n")
        .write("stuck/deep/d.py", "def deep():\n    pass\n");
    // No watch can be set under stuck/: no event ever comes from there.
    let daemon = Daemon::start(
        project.root(),
        &["--verify-interval", "200ms", "--unwatchable-under", "stuck"],
    );
    let mut client = daemon.wait_ready();
    wait_consistent(&mut client, &fresh_walk(project.root()), "started");
    wait_first_check(&mut client);

    let root = project.root();
    project.write("stuck/new.py", "def appeared_unwatched():\n    pass\n");
    std::fs::remove_file(root.join("stuck/old.py")).unwrap();
    std::fs::remove_dir_all(root.join("stuck/deep")).unwrap();
    project.write("stuck/deep/again.py", "def made_again():\n    pass\n");
    let tree = fresh_walk(root);
    assert!(tree.contains("stuck/deep/again.py") && !tree.contains("stuck/deep/d.py"));
    wait_consistent(&mut client, &tree, "changes in unwatched directories");
    let status = wait_repair_counted(&mut client);
    assert_eq!(status["state"], "ready", "{status}");
}
