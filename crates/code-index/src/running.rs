//! The daemon of a root as the shell commands (`status`, `stop`, `doctor`)
//! find it: through the lockfile, without ever starting one.

use std::path::Path;
use std::time::Duration;

use anyhow::Context;
use code_index_protocol::client::Client;
use code_index_protocol::{LockError, LockPayload, Lockfile};

/// How long a shell command waits for a daemon to answer.
pub const TIMEOUT: Duration = Duration::from_secs(10);

/// What the lockfile of a root says, checked against the OS lock.
pub enum Found {
    /// No lockfile: no daemon runs, and none has run since the last clean exit.
    Nothing,
    /// A lockfile whose lock nobody holds: its daemon is gone (killed). It is
    /// harmless: the next daemon takes it over.
    Stale(LockPayload),
    /// A daemon holds the lock but has not published its port (or even its
    /// payload) yet: it is starting.
    Starting(Option<LockPayload>),
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
    let held = Lockfile::is_held(root);
    let payload = match Lockfile::read(root) {
        Ok(payload) => payload,
        Err(LockError::Missing(_)) if held => return Ok(Found::Starting(None)),
        Err(LockError::Missing(_)) => return Ok(Found::Nothing),
        Err(LockError::Invalid { .. }) if held => return Ok(Found::Starting(None)),
        Err(err @ LockError::RootMismatch { .. }) => {
            return Err(anyhow::Error::new(err).context(
                "the project's .code-index/ was copied or linked from another project; \
                 `code-index doctor` says how to fix it",
            ));
        }
        Err(err) => {
            return Err(anyhow::Error::new(err)
                .context("cannot read the daemon's lockfile; `code-index doctor` says more"));
        }
    };
    if !held {
        return Ok(Found::Stale(payload));
    }
    let Some(port) = payload.port else {
        return Ok(Found::Starting(Some(payload)));
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

/// Calls `op` and decodes its result, with the daemon's error as context.
pub fn call<T: serde::de::DeserializeOwned>(
    client: &mut Client,
    op: &str,
    params: serde_json::Value,
) -> anyhow::Result<T> {
    let response = client
        .call(op, params)
        .with_context(|| format!("the daemon did not answer `{op}`"))?;
    response
        .into_result()
        .map_err(|err| anyhow::anyhow!("the daemon refused `{op}`: {}", err.message))
}
