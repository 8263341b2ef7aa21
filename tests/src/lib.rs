//! Helpers for the cross-crate integration tests under `tests/tests/`: they run
//! the real `code-index` binary on real temporary projects.
//!
//! `cargo test --workspace` builds the binary before any test runs (the
//! `code-index` package has integration tests of its own, which makes Cargo
//! build its binary); `CODE_INDEX_BIN` points the tests at another build.

pub mod mcp;

use code_index_protocol::calls;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// The `code-index` binary under test.
pub fn code_index_bin() -> PathBuf {
    if let Some(path) = std::env::var_os("CODE_INDEX_BIN") {
        return PathBuf::from(path);
    }
    // target/<profile>/deps/<test binary> -> target/<profile>/code-index
    let exe = std::env::current_exe().expect("the test binary has a path");
    let profile_dir = exe
        .parent()
        .and_then(Path::parent)
        .expect("test binaries live in target/<profile>/deps");
    let bin = profile_dir.join(format!("code-index{}", std::env::consts::EXE_SUFFIX));
    assert!(
        bin.exists(),
        "{} is missing: run the whole suite with `cargo test --workspace`, or `cargo build -p code-index` first",
        bin.display()
    );
    bin
}

/// A command running the binary with a clean environment for logging.
pub fn code_index() -> Command {
    let mut cmd = Command::new(code_index_bin());
    cmd.env_remove("RUST_LOG");
    cmd
}

/// A temporary project directory.
pub struct Project {
    dir: tempfile::TempDir,
}

impl Project {
    pub fn new() -> Self {
        Project {
            dir: tempfile::tempdir().expect("a temporary directory"),
        }
    }

    pub fn root(&self) -> &Path {
        self.dir.path()
    }

    /// Writes a file, creating its directories.
    pub fn write(&self, rel: &str, text: impl AsRef<[u8]>) -> &Self {
        let path = self.root().join(rel);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
        self
    }
}

impl Project {
    /// A small Rust project with a trait, an implementation, a function that
    /// calls the trait method, and `main` calling that function.
    pub fn shapes() -> Project {
        let project = Project::new();
        project
            .write(
                "src/shapes.rs",
                "/// Anything with an area.\npub trait Shape {\n    fn area(&self) -> f64;\n}\n\npub struct Square(f64);\n\nimpl Shape for Square {\n    fn area(&self) -> f64 {\n        self.0 * self.0\n    }\n}\n\npub fn total(shapes: &[Square]) -> f64 {\n    shapes.iter().map(|s| s.area()).sum()\n}\n",
            )
            .write(
                "src/main.rs",
                "mod shapes;\nuse crate::shapes::total;\n\nfn main() {\n    let t = total(&[]);\n    report(t);\n}\n\nfn report(t: f64) {\n    println!(\"{t}\");\n}\n",
            );
        project
    }
}

impl Default for Project {
    fn default() -> Self {
        Self::new()
    }
}

/// `Command::output` with a deadline.
pub trait OutputWithin {
    /// Runs the command to completion like `Command::output` (stdin closed),
    /// but kills it and fails the test if it runs longer than `deadline`.
    fn output_within(&mut self, deadline: std::time::Duration) -> Output;
}

impl OutputWithin for Command {
    fn output_within(&mut self, deadline: std::time::Duration) -> Output {
        output_within(self, deadline)
    }
}

fn output_within(cmd: &mut Command, deadline: std::time::Duration) -> Output {
    use std::io::Read;
    let what = format!("{cmd:?}");
    let mut child = cmd
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot run {what}: {e}"));
    let drain = |mut pipe: Box<dyn Read + Send>| {
        std::thread::spawn(move || {
            let mut bytes = Vec::new();
            let _ = pipe.read_to_end(&mut bytes);
            bytes
        })
    };
    let stdout = drain(Box::new(child.stdout.take().unwrap()));
    let stderr = drain(Box::new(child.stderr.take().unwrap()));
    let started = std::time::Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if started.elapsed() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            let stderr = String::from_utf8_lossy(&stderr.join().unwrap()).into_owned();
            panic!("{what} did not finish within {deadline:?}; stderr:\n{stderr}");
        }
        std::thread::sleep(std::time::Duration::from_millis(10));
    };
    Output {
        status,
        stdout: stdout.join().unwrap(),
        stderr: stderr.join().unwrap(),
    }
}

/// The finding of `check` in a `code-index doctor --json` report, as
/// (level, message, fix).
pub fn doctor_finding(report: &serde_json::Value, check: &str) -> (String, String, String) {
    let found = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["check"] == check)
        .unwrap_or_else(|| panic!("no {check} finding in {report:#}"));
    let text = |key: &str| found[key].as_str().unwrap_or("").to_string();
    (text("level"), text("message"), text("fix"))
}

/// stdout as text, after checking the command succeeded.
pub fn success(output: Output) -> String {
    assert!(
        output.status.success(),
        "command failed with {}\nstdout:\n{}\nstderr:\n{}",
        output.status,
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).expect("stdout is UTF-8")
}

/// Polls `probe` every 20 ms until it returns `Some`, or panics after
/// `deadline` naming what it waited for.
pub fn wait_until<T>(
    deadline: std::time::Duration,
    what: &str,
    mut probe: impl FnMut() -> Option<T>,
) -> T {
    let start = std::time::Instant::now();
    loop {
        if let Some(value) = probe() {
            return value;
        }
        assert!(
            start.elapsed() < deadline,
            "timed out after {deadline:?} waiting for {what}"
        );
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
}

/// The longest any test waits for a daemon to do something.
pub const DEADLINE: std::time::Duration = std::time::Duration::from_secs(30);

/// A `code-index daemon` child process. Its output is read as it comes (a
/// full pipe would stall the daemon's logging, and with it the daemon), and
/// its log is printed when a test fails with the daemon still held.
pub struct Daemon {
    child: Option<std::process::Child>,
    pid: u32,
    pub root: PathBuf,
    stdout: Option<std::thread::JoinHandle<Vec<u8>>>,
    stderr: Option<std::thread::JoinHandle<Vec<u8>>>,
    log: std::sync::Arc<std::sync::Mutex<Vec<u8>>>,
}

/// Reads a pipe to its end on a thread, copying what comes into `log` too.
fn collect(
    mut pipe: impl std::io::Read + Send + 'static,
    log: Option<std::sync::Arc<std::sync::Mutex<Vec<u8>>>>,
) -> std::thread::JoinHandle<Vec<u8>> {
    std::thread::spawn(move || {
        let mut all = Vec::new();
        let mut buf = [0u8; 8192];
        while let Ok(n) = pipe.read(&mut buf) {
            if n == 0 {
                break;
            }
            all.extend_from_slice(&buf[..n]);
            if let Some(log) = &log {
                log.lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .extend_from_slice(&buf[..n]);
            }
        }
        all
    })
}

impl Daemon {
    /// Starts a daemon for `root` with extra arguments, without waiting.
    pub fn spawn(root: &Path, args: &[&str]) -> Daemon {
        let root = std::fs::canonicalize(root).expect("the project exists");
        let child = code_index()
            .arg("daemon")
            .arg("--root")
            .arg(&root)
            .args(args)
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            // What the watcher and the indexer did, for a failing test's report.
            .env("RUST_LOG", "code_index_daemon=debug")
            .spawn()
            .expect("the daemon starts");
        let log = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        let mut child = child;
        let stdout = collect(child.stdout.take().unwrap(), None);
        let stderr = collect(child.stderr.take().unwrap(), Some(log.clone()));
        Daemon {
            pid: child.id(),
            child: Some(child),
            root,
            stdout: Some(stdout),
            stderr: Some(stderr),
            log,
        }
    }

    /// Starts a daemon and waits until its lockfile names its port.
    pub fn start(root: &Path, args: &[&str]) -> Daemon {
        let daemon = Daemon::spawn(root, args);
        let pid = daemon.pid();
        wait_until(DEADLINE, "the daemon to publish its port", || {
            daemon.lock().filter(|p| p.pid == pid && p.port.is_some())
        });
        daemon
    }

    pub fn pid(&self) -> u32 {
        self.pid
    }

    /// The lockfile's payload, if it can be read.
    pub fn lock(&self) -> Option<code_index_protocol::LockPayload> {
        code_index_protocol::Lockfile::read(&self.root).ok()
    }

    pub fn port(&self) -> u16 {
        self.lock()
            .and_then(|p| p.port)
            .expect("the lockfile names a port")
    }

    /// A client that has said hello with the right token.
    pub fn client(&self) -> Client {
        let lock = self.lock().expect("a lockfile");
        let mut client = Client::connect(lock.port.expect("a port"));
        client.op::<calls::Hello>(&code_index_protocol::HelloParams {
            token: lock.token,
            client: Some("tests".into()),
            protocol: None,
        });
        client
    }

    /// Waits until the first full pass is done.
    pub fn wait_ready(&self) -> Client {
        let mut client = self.client();
        wait_until(DEADLINE, "the index to be ready", || {
            (client.op::<calls::Status>(&()).state == "ready").then_some(())
        });
        client
    }

    pub fn signal(&self, signal: i32) {
        // SAFETY: sending a signal to our own child process.
        let rc = unsafe { libc::kill(self.pid() as libc::pid_t, signal) };
        assert_eq!(rc, 0, "kill({signal}) failed");
    }

    /// Waits for the process to exit; returns its status, stdout and stderr.
    pub fn wait_exit(&mut self) -> (std::process::ExitStatus, String, String) {
        let mut child = self.child.take().expect("not yet waited for");
        let status = wait_until(DEADLINE, "the daemon to exit", || child.try_wait().unwrap());
        let text = |pipe: Option<std::thread::JoinHandle<Vec<u8>>>| {
            let bytes = pipe.expect("read once").join().expect("the reader ends");
            String::from_utf8_lossy(&bytes).into_owned()
        };
        let out = text(self.stdout.take());
        let err = text(self.stderr.take());
        (status, out, err)
    }

    /// Whether the process is still running.
    pub fn is_running(&mut self) -> bool {
        self.child
            .as_mut()
            .is_some_and(|c| c.try_wait().unwrap().is_none())
    }
}

impl Drop for Daemon {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
        if std::thread::panicking() {
            let log = self.log.lock().unwrap_or_else(|e| e.into_inner());
            let text = String::from_utf8_lossy(&log);
            let lines: Vec<&str> = text.lines().collect();
            let tail = &lines[lines.len().saturating_sub(300)..];
            eprintln!(
                "--- the last {} lines the daemon for {} logged ---\n{}",
                tail.len(),
                self.root.display(),
                tail.join("\n")
            );
        }
    }
}

/// A line-protocol client over a real TCP socket that fails the test on
/// transport errors.
pub struct Client(code_index_protocol::client::Client);

impl Client {
    pub fn connect(port: u16) -> Client {
        Client(code_index_protocol::client::Client::connect(port, DEADLINE).expect("connects"))
    }

    /// Sends raw bytes.
    pub fn send(&mut self, bytes: &[u8]) -> std::io::Result<()> {
        self.0.send_raw(bytes)
    }

    /// Reads one response line; `None` when the daemon closed the connection.
    pub fn receive(&mut self) -> Option<code_index_protocol::Response> {
        self.0.receive().ok().flatten()
    }

    /// Sends a request and reads its response.
    pub fn call(&mut self, op: &str, params: serde_json::Value) -> code_index_protocol::Response {
        self.0.call(op, params).expect("a response")
    }

    /// Typed op `C`, which must succeed.
    pub fn op<C: calls::Call>(&mut self, params: &C::Params) -> C::Result {
        self.0
            .op::<C>(params)
            .expect("a response of the op's type")
            .unwrap_or_else(|e| panic!("{} failed: {e}", C::OP))
    }

    /// A call that must succeed; returns its result.
    pub fn ok(&mut self, op: &str, params: serde_json::Value) -> serde_json::Value {
        let response = self.call(op, params);
        assert!(
            response.error.is_none(),
            "{op} failed: {:?}",
            response.error
        );
        response.result.expect("a result")
    }
}

/// Stops (SIGTERM) whatever daemon serves `root` when dropped, so that a
/// failing test leaves no daemon behind it started indirectly.
pub struct StopDaemonOnDrop(pub PathBuf);

impl Drop for StopDaemonOnDrop {
    fn drop(&mut self) {
        let Ok(root) = std::fs::canonicalize(&self.0) else {
            return;
        };
        if let Ok(lock) = code_index_protocol::Lockfile::read(&root) {
            // SAFETY: signalling the daemon this test caused to start.
            unsafe { libc::kill(lock.pid as libc::pid_t, libc::SIGTERM) };
        }
    }
}
