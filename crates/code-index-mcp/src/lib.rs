//! The MCP side of code-index: `code-index mcp`, an MCP server over stdio
//! ([`server::CodeIndexServer`]), and [`daemon_client::DaemonClient`], the client through
//! which it reaches the project's daemon.
//!
//! Invariants: the MCP process holds no index (everything it answers comes
//! from a daemon), and its stdout carries JSON-RPC only (logs go to stderr and
//! `<root>/.code-index/mcp.log`).

pub mod args;
pub mod daemon_client;
pub mod diff;
pub mod fanout;
pub mod payload;
pub mod projects;
pub mod render;
pub mod server;

pub use daemon_client::{DaemonClient, DaemonError, SpawnOptions};
pub use server::CodeIndexServer;
