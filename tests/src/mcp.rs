//! `code-index mcp` as an assistant runs it: a child process spoken to over
//! its stdin and stdout, every stdout line checked to be JSON-RPC.

use std::io::{BufRead, BufReader, Write};
use std::process::{Child, ChildStdin, ChildStdout, Stdio};

use serde_json::{Value, json};

use crate::{DEADLINE, code_index, wait_until};

/// A raw JSON-RPC session with a `code-index mcp` child.
pub struct McpSession {
    child: Child,
    stdin: Option<ChildStdin>,
    stdout: BufReader<ChildStdout>,
    next_id: u64,
    /// `file://` URIs this client offers as MCP roots.
    roots: Option<Vec<String>>,
}

impl McpSession {
    pub fn start(root: &std::path::Path) -> McpSession {
        let mut cmd = code_index();
        cmd.args(["mcp", "--root"]).arg(root);
        McpSession::start_with(cmd, None)
    }

    /// Starts `cmd` (a `code-index mcp` command) and initializes, offering
    /// `roots` when given.
    pub fn start_with(mut cmd: std::process::Command, roots: Option<Vec<String>>) -> McpSession {
        let mut child = cmd
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("code-index mcp starts");
        let stdin = child.stdin.take().unwrap();
        let stdout = BufReader::new(child.stdout.take().unwrap());
        let capabilities = if roots.is_some() {
            json!({"roots": {"listChanged": false}})
        } else {
            json!({})
        };
        let mut session = McpSession {
            child,
            stdin: Some(stdin),
            stdout,
            next_id: 0,
            roots,
        };
        let init = session.request(
            "initialize",
            json!({
                "protocolVersion": "2025-06-18",
                "capabilities": capabilities,
                "clientInfo": {"name": "code-index-tests", "version": "1"}
            }),
        );
        assert_eq!(init["serverInfo"]["name"], "code-index");
        assert!(init["capabilities"]["tools"].is_object(), "{init}");
        session.notify("notifications/initialized");
        session
    }

    /// A fresh request id, for requests built by hand.
    pub fn take_id(&mut self) -> u64 {
        self.next_id += 1;
        self.next_id - 1
    }

    /// The next message on stdout, which must be JSON.
    pub fn read_message(&mut self) -> Value {
        let mut line = String::new();
        let n = self.stdout.read_line(&mut line).unwrap();
        assert!(n > 0, "code-index mcp closed stdout");
        serde_json::from_str(&line)
            .unwrap_or_else(|e| panic!("stdout carried something that is not JSON ({e}): {line:?}"))
    }

    pub fn send(&mut self, message: Value) {
        let mut line = serde_json::to_vec(&message).unwrap();
        line.push(b'\n');
        let stdin = self.stdin.as_mut().expect("stdin is open");
        stdin.write_all(&line).unwrap();
        stdin.flush().unwrap();
    }

    pub fn notify(&mut self, method: &str) {
        self.send(json!({"jsonrpc": "2.0", "method": method}));
    }

    /// Sends a request and returns its result; every line read on the way
    /// must be a JSON-RPC message.
    pub fn request(&mut self, method: &str, params: Value) -> Value {
        let id = self.next_id;
        self.next_id += 1;
        self.send(json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params}));
        loop {
            let message = self.read_message();
            assert_eq!(message["jsonrpc"], "2.0", "not JSON-RPC: {message}");
            if message["method"] == "roots/list" {
                let roots: Vec<Value> = self
                    .roots
                    .iter()
                    .flatten()
                    .map(|uri| json!({"uri": uri, "name": "project"}))
                    .collect();
                let answer =
                    json!({"jsonrpc": "2.0", "id": message["id"], "result": {"roots": roots}});
                self.send(answer);
                continue;
            }
            if message["id"] == json!(id) && message.get("method").is_none() {
                assert!(message.get("error").is_none(), "{method} failed: {message}");
                return message["result"].clone();
            }
        }
    }

    /// Calls a tool; returns (text, structured content, is_error).
    pub fn tool(&mut self, name: &str, arguments: Value) -> (String, Value, bool) {
        let result = self.request("tools/call", json!({"name": name, "arguments": arguments}));
        let text = result["content"][0]["text"]
            .as_str()
            .unwrap_or("")
            .to_string();
        let is_error = result["isError"].as_bool().unwrap_or(false);
        (text, result["structuredContent"].clone(), is_error)
    }

    /// Calls a tool until the index is complete (no "still being built" note).
    pub fn tool_when_ready(&mut self, name: &str, arguments: Value) -> (String, Value, bool) {
        wait_until(DEADLINE, "the index to be complete", || {
            let answer = self.tool(name, arguments.clone());
            (!answer.0.contains("still being built")).then_some(answer)
        })
    }

    pub fn close(mut self) -> std::process::ExitStatus {
        drop(self.stdin.take());
        let status = wait_until(DEADLINE, "code-index mcp to exit", || {
            self.child.try_wait().unwrap()
        });
        // Nothing but JSON-RPC was left on stdout either.
        let mut rest = String::new();
        std::io::Read::read_to_string(&mut self.stdout, &mut rest).unwrap();
        for line in rest.lines() {
            let message: Value = serde_json::from_str(line).expect("stdout is JSON-RPC only");
            assert_eq!(message["jsonrpc"], "2.0");
        }
        status
    }
}

impl Drop for McpSession {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
