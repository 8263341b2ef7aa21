//! The MCP side of code-index: `code-index mcp`, an MCP server over stdio
//! ([`server::CodeIndexServer`]), and [`rpc::RpcIndex`], the client through
//! which it reaches the project's daemon.
//!
//! Invariants: the MCP process holds no index (everything it answers comes
//! from a daemon), and its stdout carries JSON-RPC only (logs go to stderr and
//! `<root>/.code-index/mcp.log`).

pub mod diff;
pub mod projects;
pub mod render;
pub mod rpc;
pub mod server;

pub use rpc::{RpcIndex, RpcIndexError, SpawnOptions};
pub use server::CodeIndexServer;
