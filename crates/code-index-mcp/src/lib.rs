//! The MCP side of code-index: [`rpc::RpcIndex`], the client through which
//! `code-index mcp` reaches each root's daemon. The MCP process holds no
//! index: everything it answers comes from a daemon.

pub mod rpc;

pub use rpc::{RpcIndex, RpcIndexError, SpawnOptions};
