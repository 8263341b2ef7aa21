//! `code-index doctor`: checks what a working setup needs, and says how to
//! fix what is wrong.

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode, Stdio};
use std::time::{Duration, Instant};

use clap::Args;
use code_index_protocol::client::Client;
use code_index_protocol::{PROTOCOL_VERSION, StatusResult};

use crate::running::LockState;
use serde::Serialize;
use serde_json::json;

use crate::human::{count, thousands};

const VERSION: &str = env!("CARGO_PKG_VERSION");

const RAISE_WATCHES: &str = "raise the limit: `sudo sysctl fs.inotify.max_user_watches=524288` \
                             (and in /etc/sysctl.d/ to keep it)";

#[derive(Args)]
pub struct DoctorArgs {
    /// The project root (default: the git root around the working directory).
    #[arg(long)]
    root: Option<PathBuf>,
    /// Print the findings as JSON on stdout.
    #[arg(long)]
    json: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
enum Level {
    Ok,
    Info,
    Warn,
    Fail,
}

#[derive(Debug, Serialize)]
struct Finding {
    check: &'static str,
    level: Level,
    message: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    fix: Option<String>,
}

#[derive(Default)]
struct Findings(Vec<Finding>);

impl Findings {
    fn add(&mut self, check: &'static str, level: Level, message: String, fix: Option<String>) {
        self.0.push(Finding {
            check,
            level,
            message,
            fix,
        });
    }
    fn ok(&mut self, check: &'static str, message: String) {
        self.add(check, Level::Ok, message, None);
    }
    fn info(&mut self, check: &'static str, message: String) {
        self.add(check, Level::Info, message, None);
    }
    fn warn(&mut self, check: &'static str, message: String, fix: String) {
        self.add(check, Level::Warn, message, Some(fix));
    }
    fn fail(&mut self, check: &'static str, message: String, fix: String) {
        self.add(check, Level::Fail, message, Some(fix));
    }
}

#[derive(Serialize)]
struct Report<'a> {
    version: &'static str,
    root: Option<String>,
    /// False when any finding is a failure.
    healthy: bool,
    findings: &'a [Finding],
}

pub fn run(args: DoctorArgs) -> anyhow::Result<ExitCode> {
    let mut findings = Findings::default();
    check_binary(&mut findings);
    let root = check_root(&mut findings, args.root);
    if let Some(root) = &root {
        check_state_dir(&mut findings, root);
        let exclude = check_config(&mut findings, root);
        let status = check_daemon(&mut findings, root);
        check_watches(&mut findings, root, exclude, status.as_ref());
        check_mcp(&mut findings, root);
    }
    let healthy = findings.0.iter().all(|f| f.level != Level::Fail);
    if args.json {
        let report = Report {
            version: VERSION,
            root: root.as_ref().map(|r| r.display().to_string()),
            healthy,
            findings: &findings.0,
        };
        crate::write_stdout(&(serde_json::to_string_pretty(&report)? + "\n"))?;
    } else {
        crate::write_stdout(&render(&findings.0))?;
    }
    Ok(if healthy {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

fn render(findings: &[Finding]) -> String {
    let width = findings.iter().map(|f| f.check.len()).max().unwrap_or(0);
    let mut out = String::new();
    for f in findings {
        let level = match f.level {
            Level::Ok => "ok",
            Level::Info => "info",
            Level::Warn => "warn",
            Level::Fail => "FAIL",
        };
        out += &format!("{level:<5} {:width$}  {}\n", f.check, f.message);
        if let Some(fix) = &f.fix {
            out += &format!("{:5} {:width$}  fix: {fix}\n", "", "");
        }
    }
    let failures = findings.iter().filter(|f| f.level == Level::Fail).count();
    let warnings = findings.iter().filter(|f| f.level == Level::Warn).count();
    out += &match (failures, warnings) {
        (0, 0) => "\nAll checks passed.\n".to_string(),
        (0, w) => format!("\nNo failures; {w} warning(s) above.\n"),
        (f, w) => format!("\n{f} failure(s) and {w} warning(s): see the fixes above.\n"),
    };
    out
}

/// This binary, and the one assistants start by name.
fn check_binary(findings: &mut Findings) {
    let exe = std::env::current_exe()
        .and_then(std::fs::canonicalize)
        .map(|p| p.display().to_string())
        .unwrap_or_else(|_| "code-index".into());
    findings.info("binary", format!("code-index {VERSION} at {exe}"));
    let on_path = std::env::var_os("PATH").and_then(|path| {
        std::env::split_paths(&path)
            .map(|dir| dir.join(format!("code-index{}", std::env::consts::EXE_SUFFIX)))
            .find(|candidate| candidate.is_file())
    });
    match on_path {
        None => findings.warn(
            "path",
            "`code-index` is not on PATH, and assistants start it by name".into(),
            "add the directory `cargo install` put it in (usually ~/.cargo/bin) to PATH, \
             or give your MCP client the full path of the binary"
                .into(),
        ),
        Some(found) => {
            let version = Command::new(&found)
                .arg("--version")
                .stderr(Stdio::null())
                .output()
                .ok()
                .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string());
            let expected = format!("code-index {VERSION}");
            match version {
                Some(v) if v == expected => findings.ok(
                    "path",
                    format!("`code-index` on PATH is {} ({v})", found.display()),
                ),
                other => findings.warn(
                    "path",
                    format!(
                        "`code-index` on PATH is {} and reports {:?}, not {expected:?}",
                        found.display(),
                        other.unwrap_or_default()
                    ),
                    "assistants run the one on PATH: reinstall it \
                     (`cargo install --locked --path crates/code-index`) or fix PATH's order"
                        .into(),
                ),
            }
        }
    }
}

/// The root, how it was found, and whether it is one.
fn check_root(findings: &mut Findings, given: Option<PathBuf>) -> Option<PathBuf> {
    let (start, how) = match given {
        Some(root) => (root, "given with --root"),
        None => {
            let cwd = match std::env::current_dir() {
                Ok(cwd) => cwd,
                Err(err) => {
                    findings.fail(
                        "root",
                        format!("cannot read the working directory: {err}"),
                        "cd into the project, or pass --root DIR".into(),
                    );
                    return None;
                }
            };
            let root = code_index_core::discover::find_project_root(&cwd);
            if root.join(".git").exists() {
                (root, "the git repository around the working directory")
            } else {
                findings.warn(
                    "root",
                    format!(
                        "no .git in {} or above it: the working directory itself is the root",
                        cwd.display()
                    ),
                    "run from inside the project's repository, or pass --root DIR \
                     (assistants: `code-index mcp --root DIR`)"
                        .into(),
                );
                (root, "the working directory")
            }
        }
    };
    match code_index_core::discover::canonical_root(&start) {
        Ok(root) => {
            let home = std::env::var_os("HOME").map(PathBuf::from);
            if root.parent().is_none() || home.as_deref() == Some(root.as_path()) {
                findings.warn(
                    "root",
                    format!("the root is {}: all of it would be indexed", root.display()),
                    "pass the project's own directory with --root".into(),
                );
            } else {
                findings.ok("root", format!("{} ({how})", root.display()));
            }
            Some(root)
        }
        Err(err) => {
            findings.fail(
                "root",
                format!("{err:#}"),
                "pass an existing project directory with --root".into(),
            );
            None
        }
    }
}

/// `<root>/.code-index/` can be written (the lockfile, snapshot and logs live there).
fn check_state_dir(findings: &mut Findings, root: &Path) {
    let dir = root.join(code_index_protocol::lockfile::STATE_DIR);
    let (probe_dir, what) = if dir.is_dir() {
        (dir.clone(), "is writable")
    } else {
        (root.to_path_buf(), "can be created")
    };
    let probe = probe_dir.join(format!(".doctor-probe-{}", std::process::id()));
    match std::fs::File::create(&probe) {
        Ok(_) => {
            let _ = std::fs::remove_file(&probe);
            findings.ok("state", format!("{} {what}", dir.display()));
        }
        Err(err) => findings.fail(
            "state",
            format!("cannot write in {}: {err}", probe_dir.display()),
            format!(
                "the daemon keeps its lockfile, snapshot and log there: make it writable \
                 (`chmod u+w {}`)",
                probe_dir.display()
            ),
        ),
    }
}

/// `code-index.toml` parses, and its exclude globs and links are usable.
/// Returns the exclude globs the daemon would use.
fn check_config(findings: &mut Findings, root: &Path) -> Vec<String> {
    let path = code_index_protocol::config::config_path(root);
    if !path.exists() {
        findings.info(
            "config",
            format!(
                "no {}: the defaults apply",
                code_index_protocol::config::CONFIG_FILE
            ),
        );
        return Vec::new();
    }
    let fix = format!(
        "edit {} (the README's Configuration section lists its keys), then `code-index stop` \
         so the next daemon reads it",
        path.display()
    );
    let config = match code_index_protocol::ProjectConfig::load(root) {
        Ok(config) => config,
        Err(err) => {
            findings.fail("config", err.to_string(), fix);
            return Vec::new();
        }
    };
    if let Err(err) = code_index_core::discover::check_exclude(root, &config.exclude) {
        findings.fail("config", format!("{}: {err:#}", path.display()), fix);
        return Vec::new();
    }
    let (_, warnings) = code_index_mcp::projects::resolve(root);
    if !warnings.is_empty() {
        findings.warn("config", warnings.join("; "), fix);
        return config.exclude;
    }
    let mut parts = vec![
        format!("{} link(s)", config.links.len()),
        format!("{} exclude glob(s)", config.exclude.len()),
    ];
    if let Some(size) = config.max_file_size {
        parts.push(format!("max_file_size {}", crate::human::bytes(size)));
    }
    if let Some(idle) = config.idle_timeout {
        parts.push(format!(
            "idle_timeout {}",
            crate::human::duration(idle.as_secs())
        ));
    }
    findings.ok(
        "config",
        format!("{}: {}", path.display(), parts.join(", ")),
    );
    config.exclude
}

/// The lockfile, its permissions, and the daemon it names: alive, serving this
/// root, and of this version. Returns the daemon's status when one answered.
fn check_daemon(findings: &mut Findings, root: &Path) -> Option<StatusResult> {
    let path = code_index_protocol::lock_path(root);
    let shown = path.display().to_string();
    let none_runs = |findings: &mut Findings| {
        findings.info(
            "daemon",
            "none runs; `code-index mcp` or `code-index query` start one on demand".into(),
        )
    };
    let payload = match crate::running::lock_state(root) {
        LockState::Absent => {
            findings.ok("lockfile", "none: no daemon runs for this root".into());
            none_runs(findings);
            return None;
        }
        LockState::Unreadable { held: true, reason } => {
            findings.warn(
                "lockfile",
                format!("{shown} cannot be read ({reason}) while a process holds it"),
                format!(
                    "a daemon that is starting writes it within moments: run doctor again; if \
                     it persists, find the holder with `fuser {shown}` and stop it"
                ),
            );
            return None;
        }
        LockState::Unreadable {
            held: false,
            reason,
        } => {
            findings.warn(
                "lockfile",
                format!("{shown} cannot be read ({reason}), and no daemon holds it"),
                format!("nothing breaks: the next daemon replaces it; to tidy up, rm {shown}"),
            );
            none_runs(findings);
            return None;
        }
        LockState::ForeignRoot { payload, held } => {
            let state_dir = root.join(code_index_protocol::lockfile::STATE_DIR);
            let linked = std::fs::symlink_metadata(&state_dir).is_ok_and(|m| m.is_symlink());
            let fix = if linked {
                format!(
                    "{} is a link into another project: remove the link itself (rm {}) and the \
                     next daemon makes a directory of this project's own",
                    state_dir.display(),
                    state_dir.display()
                )
            } else if held {
                format!(
                    "pid {} holds it: stop that process, then rm {shown}",
                    payload.pid
                )
            } else {
                format!("clients refuse it and no daemon holds it: rm {shown}")
            };
            findings.fail(
                "lockfile",
                format!(
                    "{shown} belongs to a daemon for {}, not for this root: the .code-index/ \
                     directory was copied or linked from another project",
                    payload.root
                ),
                fix,
            );
            return None;
        }
        LockState::Stale(payload) => {
            findings.warn(
                "lockfile",
                format!(
                    "{shown} is stale: its daemon (pid {}) is gone without cleaning up (killed?)",
                    payload.pid
                ),
                format!(
                    "nothing breaks: the next daemon takes it over; to tidy up, rm {shown} \
                     (and see .code-index/daemon.out and daemon.log for why it died)"
                ),
            );
            none_runs(findings);
            return None;
        }
        LockState::Held(payload) => payload,
    };
    findings.ok("lockfile", format!("{shown}, held by pid {}", payload.pid));
    check_lockfile_permissions(findings, &path);

    let Some(port) = payload.port else {
        findings.info(
            "daemon",
            format!("pid {} is starting (no port published yet)", payload.pid),
        );
        return None;
    };
    let expected = root.display().to_string();
    let kill = format!(
        "if it stays so, stop it with `kill {}`; the next client starts a fresh one",
        payload.pid
    );
    let (mut client, hello) = match Client::connect_with_token(
        port,
        &payload.token,
        "code-index doctor",
        crate::running::TIMEOUT,
    ) {
        Ok(connected) => connected,
        Err(err) => {
            findings.fail(
                "daemon",
                format!(
                    "pid {} holds the lock but port {port} does not answer: {err}",
                    payload.pid
                ),
                kill,
            );
            return None;
        }
    };
    if hello.root != expected {
        findings.fail(
            "daemon",
            format!("port {port} answers for {}, not for this root", hello.root),
            format!("clients refuse it; {kill}"),
        );
        return None;
    }
    let status: StatusResult =
        match crate::running::op::<code_index_protocol::calls::Status>(&mut client, &()) {
            Ok(status) => status,
            Err(err) => {
                findings.fail("daemon", format!("{err:#}"), kill);
                return None;
            }
        };
    let described = format!(
        "pid {} on 127.0.0.1:{port} serves this root: {}, {}, {}",
        status.pid,
        crate::human::daemon_state(&status),
        count(status.files, "file", "files"),
        count(status.definitions, "definition", "definitions")
    );
    if status.state == "failed" {
        findings.fail(
            "daemon",
            described,
            "read .code-index/daemon.log, fix the cause, then `code-index stop`; the next \
             client starts a new daemon"
                .into(),
        );
    } else {
        findings.ok("daemon", described);
    }

    if status.protocol != PROTOCOL_VERSION {
        findings.fail(
            "version",
            format!(
                "the daemon speaks protocol {}, this binary {PROTOCOL_VERSION}",
                status.protocol
            ),
            "stop it (`code-index stop`); the next client starts one of this version".into(),
        );
    } else if status.version != VERSION {
        findings.warn(
            "version",
            format!(
                "the daemon runs code-index {}, this binary is {VERSION}",
                status.version
            ),
            "stop it (`code-index stop`); the next client starts one of this version".into(),
        );
    } else {
        findings.ok("version", format!("daemon and binary are both {VERSION}"));
    }
    Some(status)
}

#[cfg(unix)]
fn check_lockfile_permissions(findings: &mut Findings, path: &Path) {
    use std::os::unix::fs::MetadataExt;
    let Ok(meta) = std::fs::metadata(path) else {
        return;
    };
    let mode = meta.mode() & 0o777;
    if mode & 0o077 != 0 {
        findings.fail(
            "permissions",
            format!(
                "{} has mode {mode:03o}: other users can read the daemon's token",
                path.display()
            ),
            format!("chmod 600 {}", path.display()),
        );
    } else {
        // SAFETY: geteuid has no preconditions and cannot fail.
        let me = unsafe { libc::geteuid() };
        if meta.uid() != me {
            findings.warn(
                "permissions",
                format!(
                    "{} belongs to uid {}, not to you (uid {me})",
                    path.display(),
                    meta.uid()
                ),
                "run code-index as the user who owns the project, or stop that user's daemon"
                    .into(),
            );
        } else {
            findings.ok("permissions", format!("lockfile mode {mode:03o}, yours"));
        }
    }
}

#[cfg(not(unix))]
fn check_lockfile_permissions(_: &mut Findings, _: &Path) {}

/// Enough inotify watches for one per directory of the project.
fn check_watches(
    findings: &mut Findings,
    root: &Path,
    exclude: Vec<String>,
    status: Option<&StatusResult>,
) {
    if let Some(status) = status
        && status.watcher == "polling"
    {
        findings.warn(
            "watches",
            format!(
                "the daemon polls instead of watching: {}",
                status
                    .watcher_detail
                    .as_deref()
                    .unwrap_or("no watches left")
            ),
            format!("{RAISE_WATCHES}, then `code-index stop` so the next daemon watches"),
        );
        return;
    }
    let Ok(limit) = std::fs::read_to_string("/proc/sys/fs/inotify/max_user_watches") else {
        findings.info(
            "watches",
            "no inotify limits to check on this system".into(),
        );
        return;
    };
    let Ok(limit) = limit.trim().parse::<u64>() else {
        return;
    };
    // The daemon watches what it indexes: the project's exclude globs apply.
    let options = code_index_core::discover::DiscoverOptions {
        exclude,
        ..Default::default()
    };
    let dirs = match code_index_core::discover::discover(root, &options) {
        Ok(found) => found.dirs.len() as u64,
        Err(err) => {
            findings.warn(
                "watches",
                format!("cannot walk the project to count its directories: {err:#}"),
                "check that the project is readable".into(),
            );
            return;
        }
    };
    let counts = format!(
        "the project has {} to watch; fs.inotify.max_user_watches is {}",
        count(dirs, "directory", "directories"),
        thousands(limit)
    );
    if dirs > limit {
        findings.warn(
            "watches",
            format!(
                "{counts}: the daemon will rescan periodically instead of watching, \
                 so answers lag behind edits"
            ),
            RAISE_WATCHES.into(),
        );
    } else if dirs * 2 > limit {
        findings.warn(
            "watches",
            format!("{counts}: other programs' watches (editors, tools) may exhaust it"),
            RAISE_WATCHES.into(),
        );
    } else {
        findings.ok("watches", counts);
    }
}

/// `code-index mcp` starts and answers `initialize` with JSON-RPC on stdout.
/// It is started with `--no-spawn`, so the check starts no daemon.
fn check_mcp(findings: &mut Findings, root: &Path) {
    let exe = match std::env::current_exe() {
        Ok(exe) => exe,
        Err(err) => {
            findings.fail(
                "mcp",
                format!("cannot find this executable: {err}"),
                "run `code-index doctor` from an installed binary".into(),
            );
            return;
        }
    };
    let fix = format!(
        "run `code-index mcp --root {}` by hand and read its stderr, or .code-index/mcp.log",
        root.display()
    );
    let started = Instant::now();
    match initialize(&exe, root) {
        Ok(server) => findings.ok(
            "mcp",
            format!(
                "`code-index mcp` answered initialize in {} ms ({server})",
                started.elapsed().as_millis()
            ),
        ),
        Err(err) => findings.fail("mcp", format!("`code-index mcp`: {err:#}"), fix),
    }
}

/// Runs an MCP `initialize` exchange; returns the server's name and version.
fn initialize(exe: &Path, root: &Path) -> anyhow::Result<String> {
    use anyhow::Context;
    let mut child = Command::new(exe)
        .args(["mcp", "--no-spawn", "--root"])
        .arg(root)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .context("cannot start it")?;
    let request = json!({
        "jsonrpc": "2.0", "id": 1, "method": "initialize",
        "params": {
            "protocolVersion": "2025-06-18",
            "capabilities": {},
            "clientInfo": {"name": "code-index-doctor", "version": VERSION}
        }
    });
    let mut stdin = child.stdin.take().expect("stdin is piped");
    let stdout = child.stdout.take().expect("stdout is piped");
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut line = String::new();
        let read = BufReader::new(stdout).read_line(&mut line);
        let _ = tx.send(read.map(|_| line));
    });
    let answer = writeln!(stdin, "{request}")
        .context("it closed its stdin")
        .and_then(|()| {
            rx.recv_timeout(Duration::from_secs(10))
                .context("no answer within 10 s")?
                .context("reading its stdout")
        });
    drop(stdin);
    let reaped = (0..100).any(|_| {
        std::thread::sleep(Duration::from_millis(20));
        matches!(child.try_wait(), Ok(Some(_)))
    });
    if !reaped {
        let _ = child.kill();
        let _ = child.wait();
    }
    let line = answer?;
    anyhow::ensure!(!line.is_empty(), "it exited without answering");
    let response: serde_json::Value = serde_json::from_str(&line)
        .with_context(|| format!("its first line on stdout is not JSON-RPC: {line:?}"))?;
    let info = &response["result"]["serverInfo"];
    anyhow::ensure!(
        response["id"] == 1 && info.is_object(),
        "unexpected answer: {line}"
    );
    Ok(format!(
        "{} {}, MCP {}",
        info["name"].as_str().unwrap_or("?"),
        info["version"].as_str().unwrap_or("?"),
        response["result"]["protocolVersion"]
            .as_str()
            .unwrap_or("?")
    ))
}
