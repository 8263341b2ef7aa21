//! The daemon of a root as the shell commands (`status`, `stop`, `doctor`)
//! find it: through the lockfile, without ever starting one.

use std::path::Path;
use std::time::Duration;

use anyhow::Context;
use code_index_protocol::client::Client;
use code_index_protocol::{LockError, LockPayload, Lockfile};

/// How long a shell command waits for a daemon to answer.
pub const TIMEOUT: Duration = Duration::from_secs(10);

/// What a root's lockfile says, checked against the OS lock.
pub enum LockState {
    /// No lockfile: no daemon runs.
    Absent,
    /// A lockfile that cannot be parsed. Held: a daemon is writing it (or a
    /// process holds a damaged file); not held: debris the next daemon replaces.
    Unreadable { held: bool, reason: String },
    /// A lockfile naming another root: `.code-index/` was copied or linked
    /// from another project. Clients never use it.
    ForeignRoot { payload: LockPayload, held: bool },
    /// A lockfile whose lock nobody holds: its daemon is gone (killed). It is
    /// harmless: the next daemon takes it over.
    Stale(LockPayload),
    /// A daemon holds the lock (its port may not be published yet).
    Held(LockPayload),
}

/// Reads and classifies `root`'s lockfile.
pub fn lock_state(root: &Path) -> LockState {
    let held = Lockfile::is_held(root);
    match Lockfile::read_unverified(root) {
        Ok(payload) if payload.root != root.display().to_string() => {
            LockState::ForeignRoot { payload, held }
        }
        Ok(payload) if held => LockState::Held(payload),
        Ok(payload) => LockState::Stale(payload),
        // An empty file held by a daemon is one that is starting.
        Err(LockError::Missing(_)) if held => LockState::Unreadable {
            held,
            reason: "it is empty".into(),
        },
        Err(LockError::Missing(_)) => LockState::Absent,
        Err(err) => LockState::Unreadable {
            held,
            reason: err.to_string(),
        },
    }
}

/// What the shell commands act on.
pub enum Found {
    /// No daemon runs (perhaps a stale or unreadable lockfile remains, which
    /// the next daemon replaces): the pid of the last one when known.
    Nothing(Option<u32>),
    /// A daemon holds the lock but has not published its port (or even its
    /// payload) yet: it is starting.
    Starting(Option<u32>),
    /// A daemon that answered `hello` with the lockfile's token, for this root.
    Live(Box<Live>),
}

pub struct Live {
    pub payload: LockPayload,
    pub client: Client,
}

/// Finds `root`'s daemon and, when one runs, connects to it. A lockfile that
/// names another root, or a daemon that holds the lock but does not answer,
/// is an error that says what to do.
pub fn find(root: &Path, client_name: &str) -> anyhow::Result<Found> {
    let payload = match lock_state(root) {
        LockState::Absent => return Ok(Found::Nothing(None)),
        LockState::Stale(payload) => return Ok(Found::Nothing(Some(payload.pid))),
        LockState::Unreadable { held: false, .. } => return Ok(Found::Nothing(None)),
        LockState::Unreadable { held: true, .. } => return Ok(Found::Starting(None)),
        LockState::ForeignRoot { payload, .. } => anyhow::bail!(
            "the lockfile of {} belongs to a daemon for {}: the project's .code-index/ was \
             copied or linked from another project; `code-index doctor` says how to fix it",
            root.display(),
            payload.root
        ),
        LockState::Held(payload) => payload,
    };
    let Some(port) = payload.port else {
        return Ok(Found::Starting(Some(payload.pid)));
    };
    let (client, hello) = Client::connect_with_token(port, &payload.token, client_name, TIMEOUT)
        .with_context(|| {
            format!(
                "the daemon (pid {}) holds the lock of {} but does not answer on port {port}; \
                 if it stays so, stop it with `kill {}`",
                payload.pid,
                root.display(),
                payload.pid
            )
        })?;
    anyhow::ensure!(
        hello.root == root.display().to_string(),
        "port {port} answers for {}, not for {}; `code-index doctor` says how to fix it",
        hello.root,
        root.display()
    );
    Ok(Found::Live(Box::new(Live { payload, client })))
}

/// Calls op `C` and decodes its result, with the daemon's error as context.
pub fn op<C: code_index_protocol::calls::Call>(
    client: &mut Client,
    params: &C::Params,
) -> anyhow::Result<C::Result> {
    let op = C::OP;
    client
        .op::<C>(params)
        .with_context(|| format!("the daemon did not answer `{op}`"))?
        .map_err(|err| anyhow::anyhow!("the daemon refused `{op}`: {}", err.message))
}

/// Whether process `pid` still runs. A zombie (exited, not yet reaped by its
/// parent) does not.
#[cfg(unix)]
pub fn process_alive(pid: u32) -> bool {
    let Ok(raw) = libc::pid_t::try_from(pid) else {
        return false;
    };
    // SAFETY: signal 0 only checks that the process exists and may be signalled.
    let result = unsafe { libc::kill(raw, 0) };
    let exists = result == 0 || std::io::Error::last_os_error().raw_os_error() == Some(libc::EPERM);
    // /proc/<pid>/stat: "pid (comm) state ...", comm may hold spaces.
    let zombie = std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .ok()
        .and_then(|stat| {
            let after = stat.rsplit_once(')')?.1;
            after.split_whitespace().next().map(|state| state == "Z")
        })
        .unwrap_or(false);
    exists && !zombie
}
