//! `DaemonClient`: the MCP server's client of a root's daemon, typed by
//! [`code_index_protocol::calls`].
//!
//! [`DaemonClient::connect`] keeps one connection and never reconnects.
//! [`DaemonClient::connect_with_reconnect`] survives its daemon: on a
//! connection-level failure (refused, reset, end of stream, broken pipe; never
//! an error the daemon answered with) it drops the connection, reads the
//! lockfile again, starts a daemon if none runs, connects to the port the
//! lockfile names, checks that the daemon serves the same root, and retries
//! the request once. A daemon that serves another root is refused and never
//! used.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use code_index_protocol::calls::Call;
use code_index_protocol::{
    HelloParams, HelloResult, LockError, Lockfile, PROTOCOL_VERSION, Request, Response, RpcError,
};
use serde_json::Value;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};
use tokio::sync::Mutex;

/// How long to wait for a connection or an answer before giving up.
pub const CALL_TIMEOUT: Duration = Duration::from_secs(120);
/// How long the daemon may take to answer an op: its bookkeeping ops
/// answer at once, a `reindex` of a large tree takes minutes, and a query
/// may wait for a snapshot to load.
pub fn timeout_for(op: &str) -> Duration {
    match op {
        "hello" | "stats" | "status" | "cancel" | "shutdown" => Duration::from_secs(10),
        "reindex" => Duration::from_secs(30 * 60),
        _ => CALL_TIMEOUT,
    }
}

/// How long a daemon we started has to publish its port.
pub const SPAWN_TIMEOUT: Duration = Duration::from_secs(20);

/// Why a call failed.
#[derive(Debug, thiserror::Error)]
pub enum DaemonError {
    /// The connection failed (refused, reset, closed, timed out).
    #[error("cannot reach the code-index daemon: {0}")]
    Connection(#[source] std::io::Error),
    /// The daemon answered with an error.
    #[error("{0}")]
    Daemon(RpcError),
    /// The daemon on the port serves another root.
    #[error("refusing the daemon on port {port}: it serves {found}, not {expected}")]
    ForeignDaemon {
        port: u16,
        expected: String,
        found: String,
    },
    /// No daemon could be found or started.
    #[error("no code-index daemon for {root}: {reason}")]
    NoDaemon { root: String, reason: String },
    /// The daemon's answer made no sense.
    #[error("unexpected answer from the daemon: {0}")]
    Protocol(String),
    /// The request names something this server does not have (a project).
    #[error("{0}")]
    Usage(String),
    /// The MCP request this call served was cancelled.
    #[error("cancelled")]
    Cancelled,
}

impl DaemonError {
    /// Whether this failure is the connection's, which a reconnect may cure.
    pub fn is_connection(&self) -> bool {
        matches!(self, DaemonError::Connection(_))
    }
}

/// How to start a daemon when none runs.
#[derive(Clone, Debug)]
pub struct SpawnOptions {
    /// The `code-index` executable (normally our own).
    pub program: PathBuf,
    /// Extra arguments after `daemon --root ROOT`.
    pub args: Vec<String>,
}

impl SpawnOptions {
    /// Re-executes the running binary.
    pub fn current_exe() -> std::io::Result<SpawnOptions> {
        Ok(SpawnOptions {
            program: std::env::current_exe()?,
            args: Vec::new(),
        })
    }
}

enum Mode {
    /// One connection, never replaced.
    Fixed,
    Reconnect {
        root: PathBuf,
        spawn: Option<SpawnOptions>,
    },
}

struct Connection {
    reader: BufReader<OwnedReadHalf>,
    writer: OwnedWriteHalf,
    next_id: u64,
    port: u16,
}

tokio::task_local! {
    /// The MCP request being answered gives up when this is cancelled
    /// (`notifications/cancelled`); daemon calls made for it then send the
    /// daemon a `cancel`.
    pub static CANCEL: tokio_util::sync::CancellationToken;
}

/// What a waiting call is sent: its response, or why the connection ended.
type Reply = Result<Response, String>;

/// One verified connection carrying many requests at once: each gets an id,
/// a reader task hands every response to the call that waits for its id,
/// and the daemon answers in whatever order its work ends.
struct Mux {
    port: u16,
    writer: Mutex<OwnedWriteHalf>,
    next_id: std::sync::atomic::AtomicU64,
    waiting: Arc<std::sync::Mutex<Waiting>>,
    reader: tokio::task::JoinHandle<()>,
}

#[derive(Default)]
struct Waiting {
    calls: std::collections::HashMap<u64, tokio::sync::oneshot::Sender<Reply>>,
    /// Why the connection ended, once it has.
    ended: Option<String>,
}

impl Drop for Mux {
    fn drop(&mut self) {
        self.reader.abort();
    }
}

impl Mux {
    fn start(conn: Connection) -> Arc<Mux> {
        let waiting: Arc<std::sync::Mutex<Waiting>> = Default::default();
        let reader = {
            let waiting = waiting.clone();
            let mut lines = conn.reader;
            tokio::spawn(async move {
                let reason = loop {
                    let mut line = String::new();
                    match lines.read_line(&mut line).await {
                        Ok(0) => break "the daemon closed the connection".to_string(),
                        Err(err) => break err.to_string(),
                        Ok(_) => {}
                    }
                    let Ok(response) = serde_json::from_str::<Response>(&line) else {
                        break format!("not a response: {}", line.trim_end());
                    };
                    let Some(id) = response.id.as_u64() else {
                        // An answer to no request (a line the daemon could
                        // not parse): nothing waits for it.
                        continue;
                    };
                    let call = lock(&waiting).calls.remove(&id);
                    if let Some(call) = call {
                        let _ = call.send(Ok(response));
                    }
                };
                let mut waiting = lock(&waiting);
                waiting.ended = Some(reason.clone());
                for (_, call) in waiting.calls.drain() {
                    let _ = call.send(Err(reason.clone()));
                }
            })
        };
        Arc::new(Mux {
            port: conn.port,
            writer: Mutex::new(conn.writer),
            next_id: std::sync::atomic::AtomicU64::new(conn.next_id + 1),
            waiting,
            reader,
        })
    }

    fn has_ended(&self) -> bool {
        lock(&self.waiting).ended.is_some()
    }

    async fn send(&self, id: u64, op: &str, params: &Value) -> std::io::Result<()> {
        let request = Request {
            id: id.into(),
            op: op.to_string(),
            params: params.clone(),
        };
        let mut line = serde_json::to_vec(&request)?;
        line.push(b'\n');
        let mut writer = self.writer.lock().await;
        match tokio::time::timeout(CALL_TIMEOUT, writer.write_all(&line)).await {
            Ok(written) => written,
            Err(_) => Err(std::io::Error::new(
                std::io::ErrorKind::TimedOut,
                "writing to the daemon timed out",
            )),
        }
    }

    /// One request; with `cancel`, given up (and cancelled in the daemon)
    /// when it fires.
    async fn call(
        &self,
        op: &str,
        params: &Value,
        cancel: Option<&tokio_util::sync::CancellationToken>,
    ) -> Result<Response, DaemonError> {
        let id = self
            .next_id
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let (tx, rx) = tokio::sync::oneshot::channel();
        {
            let mut waiting = lock(&self.waiting);
            if let Some(reason) = &waiting.ended {
                return Err(lost(reason));
            }
            waiting.calls.insert(id, tx);
        }
        if let Err(err) = self.send(id, op, params).await {
            lock(&self.waiting).calls.remove(&id);
            return Err(DaemonError::Connection(err));
        }
        let cancelled = async {
            match cancel {
                Some(token) => token.cancelled().await,
                None => std::future::pending().await,
            }
        };
        tokio::select! {
            reply = rx => match reply {
                Ok(Ok(response)) => Ok(response),
                Ok(Err(reason)) => Err(lost(&reason)),
                Err(_) => Err(lost("the connection's reader stopped")),
            },
            () = cancelled => {
                lock(&self.waiting).calls.remove(&id);
                // The daemon stops the work; its answer is not waited for.
                let cancel_id = self
                    .next_id
                    .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                let _ = self
                    .send(cancel_id, "cancel", &serde_json::json!({ "id": id }))
                    .await;
                Err(DaemonError::Cancelled)
            }
            () = tokio::time::sleep(timeout_for(op)) => {
                lock(&self.waiting).calls.remove(&id);
                Err(timed_out(op))
            }
        }
    }
}

fn lock<T>(mutex: &std::sync::Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|e| e.into_inner())
}

fn lost(reason: &str) -> DaemonError {
    DaemonError::Connection(std::io::Error::new(
        std::io::ErrorKind::ConnectionAborted,
        reason.to_string(),
    ))
}

/// A client of one root's daemon, shared by concurrent calls: they go out
/// at once over one connection, and a slow one never delays a fast one.
pub struct DaemonClient {
    mode: Mode,
    conn: Mutex<Option<Arc<Mux>>>,
}

impl DaemonClient {
    /// One connection to the daemon on `port`, authenticated with `token`;
    /// it never reconnects.
    pub async fn connect(port: u16, token: &str) -> Result<DaemonClient, DaemonError> {
        let (conn, _) = open(port, token).await?;
        Ok(DaemonClient {
            mode: Mode::Fixed,
            conn: Mutex::new(Some(Mux::start(conn))),
        })
    }

    /// Connects to the daemon on `port` for `root` (canonical), reading the
    /// token from the root's lockfile, and reconnects as the module explains.
    /// It starts no daemon: see [`DaemonClient::attach`] for that.
    pub async fn connect_with_reconnect(
        root: &Path,
        port: u16,
    ) -> Result<DaemonClient, DaemonError> {
        let lock = read_lock(root)?;
        let conn = connect_verified(root, port, &lock.token).await?;
        Ok(DaemonClient {
            mode: Mode::Reconnect {
                root: root.to_path_buf(),
                spawn: None,
            },
            conn: Mutex::new(Some(Mux::start(conn))),
        })
    }

    /// Connects to the daemon that runs for `root`, found through its
    /// lockfile, and reconnects as the module explains; it starts none.
    pub async fn connect_running(root: &Path) -> Result<DaemonClient, DaemonError> {
        let conn = establish(root, None).await?;
        Ok(DaemonClient {
            mode: Mode::Reconnect {
                root: root.to_path_buf(),
                spawn: None,
            },
            conn: Mutex::new(Some(Mux::start(conn))),
        })
    }

    /// Attaches to `root`'s daemon, starting one with `spawn` if none runs,
    /// and keeps doing so whenever the connection fails.
    pub async fn attach(root: &Path, spawn: SpawnOptions) -> Result<DaemonClient, DaemonError> {
        let conn = establish(root, Some(&spawn)).await?;
        Ok(DaemonClient {
            mode: Mode::Reconnect {
                root: root.to_path_buf(),
                spawn: Some(spawn),
            },
            conn: Mutex::new(Some(Mux::start(conn))),
        })
    }

    /// The port of the current connection, if connected.
    pub async fn port(&self) -> Option<u16> {
        self.conn.lock().await.as_ref().map(|c| c.port)
    }

    /// Sends a request and returns the daemon's whole response (with its
    /// `complete` flag and progress). Errors the daemon answers with are in
    /// the response, not in `Err`. Inside an MCP request ([`CANCEL`]), the
    /// call is given up, and cancelled in the daemon, when that request is.
    pub async fn request(&self, op: &str, params: Value) -> Result<Response, DaemonError> {
        let cancel = CANCEL.try_with(Clone::clone).ok();
        let mux = self.current(None).await?;
        let first = mux.call(op, &params, cancel.as_ref()).await;
        match (&self.mode, first) {
            (Mode::Reconnect { root, .. }, Err(err)) if err.is_connection() && mux.has_ended() => {
                tracing::info!(root = %root.display(), "lost the daemon ({err}); reconnecting");
                let mux = self.current(Some(&mux)).await?;
                mux.call(op, &params, cancel.as_ref()).await
            }
            (_, other) => other,
        }
    }

    /// The connection to use: the current one, or (when there is none, or
    /// `ended` is still the current one) a new one, made once for all
    /// callers.
    async fn current(&self, ended: Option<&Arc<Mux>>) -> Result<Arc<Mux>, DaemonError> {
        let mut guard = self.conn.lock().await;
        if let Some(mux) = guard.as_ref() {
            let stale = ended.is_some_and(|e| Arc::ptr_eq(e, mux)) || mux.has_ended();
            if !stale {
                return Ok(mux.clone());
            }
        }
        match &self.mode {
            Mode::Fixed => {
                // A fixed client whose connection failed stays failed.
                Err(DaemonError::Connection(std::io::Error::new(
                    std::io::ErrorKind::NotConnected,
                    "the connection to the daemon was lost",
                )))
            }
            Mode::Reconnect { root, spawn } => {
                *guard = None;
                let mux = Mux::start(establish(root, spawn.as_ref()).await?);
                *guard = Some(mux.clone());
                Ok(mux)
            }
        }
    }

    /// A typed call: the op, its params and its result as the protocol
    /// defines them ([`code_index_protocol::calls`]).
    pub async fn op<C: Call>(&self, params: &C::Params) -> Result<C::Result, DaemonError> {
        Ok(self.ask::<C>(params).await?.result)
    }

    /// A typed call, with what the daemon says of its index's readiness.
    pub async fn ask<C: Call>(&self, params: &C::Params) -> Result<Answer<C::Result>, DaemonError> {
        let params =
            serde_json::to_value(params).map_err(|e| DaemonError::Protocol(e.to_string()))?;
        let response = self.request(C::OP, params).await?;
        let complete = response.complete.unwrap_or(true);
        let progress = response.progress;
        let value = response
            .into_result::<Value>()
            .map_err(DaemonError::Daemon)?;
        let result = serde_json::from_value(value).map_err(|e| {
            DaemonError::Protocol(format!("the answer to {} is not of its type: {e}", C::OP))
        })?;
        Ok(Answer {
            result,
            complete,
            progress,
        })
    }

    /// An untyped call whose daemon error becomes `Err`, and whose result is
    /// decoded (for ops sent as data, as tests do).
    pub async fn call<T: serde::de::DeserializeOwned>(
        &self,
        op: &str,
        params: Value,
    ) -> Result<T, DaemonError> {
        self.request(op, params)
            .await?
            .into_result()
            .map_err(DaemonError::Daemon)
    }
}

/// A daemon's answer and what it says of the index it came from.
#[derive(Clone, Debug)]
pub struct Answer<T> {
    pub result: T,
    /// False while the index is still being built: results may be missing.
    pub complete: bool,
    pub progress: Option<code_index_protocol::Progress>,
}

fn read_lock(root: &Path) -> Result<code_index_protocol::LockPayload, DaemonError> {
    Lockfile::read(root).map_err(|e| match e {
        LockError::RootMismatch {
            found, expected, ..
        } => DaemonError::ForeignDaemon {
            port: 0,
            expected,
            found,
        },
        other => DaemonError::NoDaemon {
            root: root.display().to_string(),
            reason: other.to_string(),
        },
    })
}

/// Finds (or starts) the root's daemon and opens a verified connection.
async fn establish(root: &Path, spawn: Option<&SpawnOptions>) -> Result<Connection, DaemonError> {
    if let Ok(lock) = Lockfile::read(root)
        && let Some(port) = lock.port
    {
        match connect_verified(root, port, &lock.token).await {
            Ok(conn) => return Ok(conn),
            Err(err @ DaemonError::ForeignDaemon { .. }) => {
                tracing::warn!(root = %root.display(), "{err}");
                if spawn.is_none() {
                    return Err(err);
                }
            }
            Err(err) => {
                tracing::info!(root = %root.display(), "the daemon in the lockfile does not answer: {err}");
            }
        }
    } else if let Err(LockError::RootMismatch {
        found, expected, ..
    }) = Lockfile::read(root)
    {
        // A lockfile for another root (a copied or linked .code-index/):
        // never used; a daemon of our own replaces it.
        tracing::warn!(root = %root.display(), "ignoring a lockfile for {found} (expected {expected})");
    }
    let Some(spawn) = spawn else {
        return Err(DaemonError::NoDaemon {
            root: root.display().to_string(),
            reason: "none is running".to_string(),
        });
    };
    let started = start_daemon(root, spawn)?;
    let pid = started.pid;
    tracing::info!(root = %root.display(), pid, "started a daemon");
    let deadline = Instant::now() + SPAWN_TIMEOUT;
    loop {
        // Whichever daemon won the race for the lock serves us.
        if let Ok(lock) = Lockfile::read(root)
            && let Some(port) = lock.port
        {
            match connect_verified(root, port, &lock.token).await {
                Ok(conn) => return Ok(conn),
                Err(err @ DaemonError::ForeignDaemon { .. }) => return Err(err),
                Err(_) => {}
            }
        }
        // Ours exited: it lost the race to another daemon (which then serves
        // us), or it could not start at all.
        if let Some(status) = started.exit_status()
            && !Lockfile::is_held(root)
        {
            let out = root.join(".code-index/daemon.out");
            let mut said = last_lines(&out, 3);
            if disk_is_full(root) {
                said.push_str(&format!(
                    "; the file system holding {} is full: free some space",
                    root.display()
                ));
            }
            return Err(DaemonError::NoDaemon {
                root: root.display().to_string(),
                reason: format!(
                    "the daemon it started (pid {pid}) exited at once ({status}): {said}; \
                     its output is in {}",
                    out.display()
                ),
            });
        }
        if Instant::now() > deadline {
            return Err(DaemonError::NoDaemon {
                root: root.display().to_string(),
                reason: format!(
                    "a daemon was started (pid {pid}) but did not publish its port within {}s; \
                     see {}",
                    SPAWN_TIMEOUT.as_secs(),
                    root.join(".code-index/daemon.log").display()
                ),
            });
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// A daemon this process started.
struct Started {
    pid: u32,
    /// Set by a thread that waits for the daemon (so that it never lingers
    /// as a zombie of this process) once it exits.
    exited: Arc<std::sync::Mutex<Option<std::process::ExitStatus>>>,
}

impl Started {
    fn exit_status(&self) -> Option<std::process::ExitStatus> {
        *self.exited.lock().unwrap()
    }
}

/// The last `n` non-empty lines of a file, joined, for an error message.
fn last_lines(path: &Path, n: usize) -> String {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let lines: Vec<&str> = text.lines().filter(|l| !l.trim().is_empty()).collect();
    let tail = lines[lines.len().saturating_sub(n)..].join(" / ");
    if tail.is_empty() {
        "it printed nothing".into()
    } else {
        tail
    }
}

/// Whether the file system holding `path` has no space left for us.
fn disk_is_full(path: &Path) -> bool {
    #[cfg(unix)]
    {
        use std::os::unix::ffi::OsStrExt;
        let Ok(c_path) = std::ffi::CString::new(path.as_os_str().as_bytes()) else {
            return false;
        };
        // SAFETY: statvfs writes only into `stats`, and `c_path` is a valid C string.
        let mut stats: libc::statvfs = unsafe { std::mem::zeroed() };
        if unsafe { libc::statvfs(c_path.as_ptr(), &mut stats) } != 0 {
            return false;
        }
        (stats.f_bavail as u128) * (stats.f_frsize as u128) < 4096
    }
    #[cfg(not(unix))]
    {
        let _ = path;
        false
    }
}

/// `daemon.out` is moved aside to `daemon.out.1` past this size when a
/// daemon is started.
const MAX_DAEMON_OUT_BYTES: u64 = 1 << 20;

/// Starts `code-index daemon --root ROOT` detached in a session of its own.
/// It logs to its log file; what it prints (a panic) goes to `daemon.out`.
fn start_daemon(root: &Path, spawn: &SpawnOptions) -> Result<Started, DaemonError> {
    let no_daemon = |reason: String| DaemonError::NoDaemon {
        root: root.display().to_string(),
        reason,
    };
    let state = root.join(code_index_protocol::lockfile::STATE_DIR);
    if let Err(e) = code_index_protocol::lockfile::create_state_dir(&state) {
        let fix = if e.kind() == std::io::ErrorKind::PermissionDenied {
            format!(
                "code-index keeps the index and the daemon's lockfile there: make {} writable \
                 for this user, or have its owner run `code-index daemon --root {}`",
                root.display(),
                root.display()
            )
        } else if disk_is_full(root) {
            "the file system is full: free some space".to_string()
        } else {
            "check that the project directory is writable".to_string()
        };
        return Err(no_daemon(format!(
            "cannot create {}: {e}; {fix}",
            state.display()
        )));
    }
    let out = state.join("daemon.out");
    // What daemons print is kept, but only the latest megabyte or two.
    if std::fs::metadata(&out).is_ok_and(|m| m.len() > MAX_DAEMON_OUT_BYTES) {
        let _ = std::fs::rename(&out, state.join("daemon.out.1"));
    }
    let log = code_index_protocol::lockfile::open_private_file(&out, true)
        .map_err(|e| no_daemon(format!("cannot open the daemon's output file: {e}")))?;
    let mut cmd = std::process::Command::new(&spawn.program);
    cmd.arg("daemon")
        .arg("--root")
        .arg(root)
        .arg("--no-stderr-log")
        .args(&spawn.args)
        .stdin(std::process::Stdio::null())
        .stdout(log.try_clone().map_err(|e| no_daemon(e.to_string()))?)
        .stderr(log);
    #[cfg(unix)]
    {
        use std::os::unix::process::CommandExt;
        // SAFETY: setsid is async-signal-safe and touches no Rust state.
        unsafe {
            cmd.pre_exec(|| {
                if libc::setsid() < 0 {
                    return Err(std::io::Error::last_os_error());
                }
                Ok(())
            });
        }
    }
    let mut child = cmd
        .spawn()
        .map_err(|e| no_daemon(format!("cannot start {}: {e}", spawn.program.display())))?;
    let started = Started {
        pid: child.id(),
        exited: Arc::default(),
    };
    let exited = started.exited.clone();
    std::thread::Builder::new()
        .name("code-index-daemon-reaper".into())
        .spawn(move || {
            if let Ok(status) = child.wait() {
                *exited.lock().unwrap() = Some(status);
            }
        })
        .map_err(|e| no_daemon(format!("cannot start a thread: {e}")))?;
    Ok(started)
}

/// Connects, says hello, and checks with `stats` that the daemon serves `root`.
async fn connect_verified(root: &Path, port: u16, token: &str) -> Result<Connection, DaemonError> {
    let (mut conn, hello) = open(port, token).await?;
    let expected = root.display().to_string();
    if hello.root != expected {
        return Err(DaemonError::ForeignDaemon {
            port,
            expected,
            found: hello.root,
        });
    }
    let stats = exchange(&mut conn, "stats", &Value::Null).await?;
    let stats = stats.into_result::<Value>().map_err(DaemonError::Daemon)?;
    match stats.get("root").and_then(Value::as_str) {
        Some(found) if found != expected => {
            return Err(DaemonError::ForeignDaemon {
                port,
                expected,
                found: found.to_string(),
            });
        }
        Some(_) => {}
        None => {
            tracing::info!(root = %root.display(), port, "the daemon does not report its root (an older version); accepting it")
        }
    }
    tracing::info!(root = %root.display(), port, "attached to the daemon");
    Ok(conn)
}

async fn open(port: u16, token: &str) -> Result<(Connection, HelloResult), DaemonError> {
    let stream = tokio::time::timeout(CALL_TIMEOUT, TcpStream::connect(("127.0.0.1", port)))
        .await
        .map_err(|_| timed_out("connecting"))?
        .map_err(DaemonError::Connection)?;
    stream.set_nodelay(true).map_err(DaemonError::Connection)?;
    let (read, writer) = stream.into_split();
    let mut conn = Connection {
        reader: BufReader::new(read),
        writer,
        next_id: 0,
        port,
    };
    let hello = HelloParams {
        token: token.to_string(),
        client: Some(format!("code-index-mcp {}", env!("CARGO_PKG_VERSION"))),
        protocol: Some(PROTOCOL_VERSION),
    };
    let params = serde_json::to_value(hello).map_err(|e| DaemonError::Protocol(e.to_string()))?;
    let response = exchange(&mut conn, "hello", &params).await?;
    let hello = response
        .into_result::<HelloResult>()
        .map_err(DaemonError::Daemon)?;
    Ok((conn, hello))
}

fn timed_out(what: &str) -> DaemonError {
    DaemonError::Connection(std::io::Error::new(
        std::io::ErrorKind::TimedOut,
        format!("{what} took longer than {}s", timeout_for(what).as_secs()),
    ))
}

/// One request and its response on a connection.
async fn exchange(
    conn: &mut Connection,
    op: &str,
    params: &Value,
) -> Result<Response, DaemonError> {
    conn.next_id += 1;
    let id = conn.next_id;
    let request = Request {
        id: id.into(),
        op: op.to_string(),
        params: params.clone(),
    };
    let mut line =
        serde_json::to_vec(&request).map_err(|e| DaemonError::Protocol(e.to_string()))?;
    line.push(b'\n');
    let io = async {
        conn.writer.write_all(&line).await?;
        let mut answer = String::new();
        if conn.reader.read_line(&mut answer).await? == 0 {
            return Err(std::io::Error::new(
                std::io::ErrorKind::UnexpectedEof,
                "the daemon closed the connection",
            ));
        }
        Ok(answer)
    };
    let answer = tokio::time::timeout(timeout_for(op), io)
        .await
        .map_err(|_| timed_out(op))?
        .map_err(DaemonError::Connection)?;
    let response: Response =
        serde_json::from_str(&answer).map_err(|e| DaemonError::Protocol(e.to_string()))?;
    if response.id != id {
        return Err(DaemonError::Protocol(format!(
            "answer for request {} while waiting for {id}",
            response.id
        )));
    }
    Ok(response)
}
