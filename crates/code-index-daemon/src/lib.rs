//! The per-root daemon: one process per project root owns that root's index,
//! keeps it fresh as files change, and serves every client over loopback TCP
//! with the line protocol of `code-index-protocol`.
//!
//! Life of a daemon:
//! 1. take `<root>/.code-index/daemon.lock` (or exit, naming the daemon that
//!    holds it), listen on 127.0.0.1, publish the port in the lockfile;
//! 2. load the snapshot (state `loading`), reconcile it with the tree (state
//!    `indexing`), then serve from a complete index (state `ready`); every
//!    answer says whether the index was complete and how far indexing got;
//! 3. apply file changes as the watcher reports them;
//! 4. on SIGINT, SIGTERM, a `shutdown` request or idle timeout: save the
//!    snapshot, remove the lockfile, exit.
//!
//! Invariants:
//! - queries never wait for indexing: parsing happens outside the index lock,
//!   which is only held to apply one finished file;
//! - a bad request line gets an error answer and never ends the daemon; only an
//!   unauthenticated or oversized line ends its connection;
//! - the daemon listens on loopback only, and only clients presenting the
//!   lockfile's token get past `hello`.

mod dirwatch;
mod handlers;
mod indexer;
mod server;
mod state;
mod watcher;

use std::path::PathBuf;
use std::time::Duration;

use anyhow::Context;
use code_index_protocol::{LockError, Lockfile};

/// How to run a daemon.
#[derive(Clone, Debug)]
pub struct DaemonConfig {
    /// The project root (canonicalized on start).
    pub root: PathBuf,
    /// The loopback port; 0 picks a free one.
    pub port: u16,
    /// Exit after this long without any connection; `None`: never.
    pub idle_timeout: Option<Duration>,
    /// The version reported to clients and written to the lockfile.
    pub version: String,
    /// Files larger than this are listed but not parsed.
    pub max_file_size: u64,
    /// Globs (gitignore syntax, relative to the root) of paths to leave out.
    pub exclude: Vec<String>,
    /// The most directories to watch; beyond it the daemon rescans
    /// periodically, as when the OS runs out of watches.
    pub max_watches: Option<usize>,
    /// How often to rescan when the tree cannot be watched.
    pub poll_interval: Duration,
    /// How often to check every watched directory against the index, to
    /// repair what the events missed.
    pub verify_interval: Duration,
    /// Faults that tests make happen on purpose; none by default.
    pub faults: Faults,
}

/// Faults a test asks for (the daemon's hidden flags), each standing for
/// something the tests cannot otherwise bring about on time.
#[derive(Clone, Debug, Default)]
pub struct Faults {
    /// Drop the events under this root-relative directory: events the OS lost.
    pub drop_events_under: Option<String>,
    /// Directories under this one cannot be watched: a watch the OS refused.
    pub unwatchable_under: Option<String>,
    /// The handler of this query panics: a bug.
    pub fail_on: Option<String>,
    /// A wait before the snapshot is loaded: a slow disk.
    pub load_delay: Option<Duration>,
    /// A wait before the first full pass: a huge tree.
    pub pass_delay: Option<Duration>,
    /// This query takes this much longer (a `cancel` ends the wait): a slow call.
    pub delay_op: Option<(String, Duration)>,
}

impl DaemonConfig {
    pub fn new(root: PathBuf, version: &str) -> Self {
        DaemonConfig {
            root,
            port: 0,
            idle_timeout: Some(Duration::from_secs(30 * 60)),
            version: version.to_string(),
            max_file_size: code_index_core::discover::DEFAULT_MAX_FILE_SIZE,
            exclude: Vec::new(),
            max_watches: None,
            poll_interval: watcher::DEFAULT_POLL_INTERVAL,
            verify_interval: watcher::DEFAULT_VERIFY_INTERVAL,
            faults: Faults::default(),
        }
    }
}

/// How long a daemon that lost the race for the lock waits for the winner to
/// publish its port, so that it can say which port that is.
const WAIT_FOR_WINNER: Duration = Duration::from_secs(3);

/// The daemon's log file, under the state directory.
pub const LOG_FILE: &str = "daemon.log";

/// Runs a daemon in the foreground until it is told to stop. Logging is the
/// caller's to set up (to stderr and [`LOG_FILE`], by convention).
pub fn run(config: DaemonConfig) -> anyhow::Result<()> {
    install_panic_hook();
    raise_open_file_limit();
    let root = code_index_core::discover::canonical_root(&config.root)?;
    code_index_core::snapshot::ensure_state_dir(&root).with_context(|| {
        format!(
            "cannot create {} (is the project writable?)",
            root.join(code_index_core::snapshot::STATE_DIR).display()
        )
    })?;

    let lock = match acquire(&root, &config.version) {
        Ok(lock) => lock,
        Err(LockError::Held(payload)) => {
            let payload = payload
                .filter(|p| p.port.is_some())
                .or_else(|| wait_for_port(&root));
            let err = LockError::Held(payload);
            tracing::info!(root = %root.display(), "{err}; exiting");
            anyhow::bail!("{err}; exiting");
        }
        Err(err) => return Err(err).context("taking the daemon lockfile"),
    };
    tracing::info!(
        root = %root.display(),
        pid = std::process::id(),
        version = %config.version,
        "daemon starting"
    );
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .thread_name("code-index-daemon")
        .build()
        .context("starting the async runtime")?;
    let result = runtime.block_on(server::serve(root.clone(), config, lock));
    // Blocking tasks (a long parse) must not hold up the exit.
    runtime.shutdown_timeout(Duration::from_millis(500));
    if let Err(err) = &result {
        tracing::error!(root = %root.display(), "daemon failed: {err:#}");
    }
    result
}

/// Takes the lock, trying again for a few milliseconds when it is held: a
/// diagnostic probe (`Lockfile::is_held`, used by `status` and `doctor`)
/// holds it for an instant, and must not make a starting daemon give up.
fn acquire(root: &std::path::Path, version: &str) -> Result<Lockfile, LockError> {
    let mut attempts = 0;
    loop {
        match Lockfile::acquire(root, version) {
            Err(LockError::Held(_)) if attempts < 5 => {
                attempts += 1;
                std::thread::sleep(Duration::from_millis(10));
            }
            other => return other,
        }
    }
}

fn wait_for_port(root: &std::path::Path) -> Option<code_index_protocol::LockPayload> {
    let deadline = std::time::Instant::now() + WAIT_FOR_WINNER;
    while std::time::Instant::now() < deadline {
        if let Ok(payload) = Lockfile::read(root)
            && payload.port.is_some()
        {
            return Some(payload);
        }
        std::thread::sleep(Duration::from_millis(25));
    }
    Lockfile::read(root).ok()
}

/// Panics (caught per request, so the daemon goes on) are logged to the log
/// file as one line with their location, and to stderr as one line, never as
/// a backtrace: stderr of a started daemon is a file nobody rotates.
fn install_panic_hook() {
    std::panic::set_hook(Box::new(|info| {
        let thread = std::thread::current();
        let name = thread.name().unwrap_or("unnamed");
        let mut message = info.to_string();
        if let Some((cut, _)) = message.char_indices().nth(2000) {
            message.truncate(cut);
            message.push('…');
        }
        tracing::error!(thread = name, "panic: {message}");
        use std::io::Write;
        let _ = writeln!(
            std::io::stderr(),
            "code-index daemon: panic in {name}: {message}"
        );
    }));
}

/// Raises the soft limit on open files to the hard one: a daemon holds a
/// socket per client and a watch descriptor, and reads files in parallel.
fn raise_open_file_limit() {
    #[cfg(unix)]
    {
        let mut limit = libc::rlimit {
            rlim_cur: 0,
            rlim_max: 0,
        };
        // SAFETY: getrlimit and setrlimit only read and write `limit`.
        unsafe {
            if libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) != 0 {
                return;
            }
            if limit.rlim_cur < limit.rlim_max {
                let wanted = libc::rlimit {
                    rlim_cur: limit.rlim_max,
                    rlim_max: limit.rlim_max,
                };
                if libc::setrlimit(libc::RLIMIT_NOFILE, &wanted) == 0 {
                    tracing::debug!(
                        "raised the open-file limit from {} to {}",
                        limit.rlim_cur,
                        limit.rlim_max
                    );
                }
            }
        }
    }
}
