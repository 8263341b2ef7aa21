//! The wire between code-index clients (the MCP server, the shell commands,
//! tests) and the per-root daemon, and the lockfile through which they find it.
//!
//! This crate is the only place the wire is defined. It depends on no other
//! code-index crate: the daemon converts its index's answers into these types.
//!
//! # Framing
//!
//! One JSON object per line, UTF-8, `\n`-terminated, at most
//! [`MAX_LINE_BYTES`] bytes. A client sends [`Request`]s
//! (`{"id", "op", "params"}`) and receives [`Response`]s (`{"id", "result"}` or
//! `{"id", "error": {"code", "message"}}`), matched by `id`.
//!
//! # Authentication
//!
//! The first request on a connection must be `hello` with the `token` from the
//! lockfile ([`HelloParams`]). Any other first request, or a wrong token, gets
//! an [`ErrorCode::Unauthorized`] error and the connection is closed.
//!
//! # Compatibility
//!
//! Every field added after version 1 is optional and omitted when absent, and
//! unknown fields are ignored, so an older client and a newer daemon (and the
//! reverse) keep working. Kinds and states travel as strings, never as closed
//! enums, for the same reason. [`PROTOCOL_VERSION`] changes only for a change
//! that cannot be made compatible.

pub mod calls;
pub mod client;
pub mod config;
pub mod lockfile;
pub mod paths;
mod types;

pub use config::{ConfigError, ProjectConfig};
pub use lockfile::{LockCheck, LockError, LockPayload, Lockfile, lock_path};
pub use types::*;

/// The protocol version this crate speaks.
pub const PROTOCOL_VERSION: u32 = 1;

/// The longest request or response line accepted, newline included.
pub const MAX_LINE_BYTES: usize = 1 << 20;
