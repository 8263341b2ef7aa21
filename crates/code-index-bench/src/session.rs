//! `code-index mcp` started as an assistant starts it and spoken to over its
//! stdio with JSON-RPC lines: the client of the MCP benchmarks.

use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::Context;
use serde::Serialize;
use serde_json::{Value, json};

pub struct Session {
    child: Child,
    stdin: ChildStdin,
    stdout: BufReader<ChildStdout>,
    next_id: u64,
}

impl Drop for Session {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Session {
    /// Starts `code-index mcp --root ROOT` with `extra` arguments; the
    /// session is not initialized yet.
    pub fn start(binary: &Path, root: &Path, extra: &[&str]) -> anyhow::Result<Session> {
        let mut child = Command::new(binary)
            .args(["mcp", "--root"])
            .arg(root)
            .args(extra)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .context("starting code-index mcp")?;
        Ok(Session {
            stdin: child.stdin.take().context("stdin")?,
            stdout: BufReader::new(child.stdout.take().context("stdout")?),
            child,
            next_id: 0,
        })
    }

    /// Starts and initializes a session.
    pub fn initialized(binary: &Path, root: &Path, extra: &[&str]) -> anyhow::Result<Session> {
        let mut session = Session::start(binary, root, extra)?;
        session.initialize()?;
        Ok(session)
    }

    pub fn initialize(&mut self) -> anyhow::Result<()> {
        self.request(
            "initialize",
            json!({"protocolVersion": "2025-06-18", "capabilities": {},
                   "clientInfo": {"name": "code-index-bench", "version": "1"}}),
        )?;
        self.send(&json!({"jsonrpc": "2.0", "method": "notifications/initialized"}))
    }

    pub fn send(&mut self, message: &Value) -> anyhow::Result<()> {
        let mut line = serde_json::to_vec(message)?;
        line.push(b'\n');
        self.stdin.write_all(&line)?;
        Ok(self.stdin.flush()?)
    }

    /// The next message from the server.
    pub fn read_message(&mut self) -> anyhow::Result<Value> {
        let mut line = String::new();
        anyhow::ensure!(
            self.stdout.read_line(&mut line)? > 0,
            "code-index mcp closed stdout"
        );
        Ok(serde_json::from_str(&line)?)
    }

    pub fn take_id(&mut self) -> u64 {
        self.next_id += 1;
        self.next_id
    }

    /// Sends a `tools/call` without waiting for its answer; returns its id.
    pub fn send_tool(&mut self, name: &str, arguments: &Value) -> anyhow::Result<u64> {
        let id = self.take_id();
        self.send(&json!({"jsonrpc": "2.0", "id": id, "method": "tools/call",
                          "params": {"name": name, "arguments": arguments}}))?;
        Ok(id)
    }

    /// Sends a request and reads until its answer, skipping other messages.
    pub fn request(&mut self, method: &str, params: Value) -> anyhow::Result<Value> {
        let id = self.take_id();
        self.send(&json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params}))?;
        loop {
            let message = self.read_message()?;
            if message["id"] == json!(id) && message.get("method").is_none() {
                return Ok(message["result"].clone());
            }
        }
    }

    pub fn tool(&mut self, name: &str, arguments: Value) -> anyhow::Result<Value> {
        self.request("tools/call", json!({"name": name, "arguments": arguments}))
    }

    /// Asks `index_status` until it says ready.
    pub fn wait_ready(&mut self, within: Duration) -> anyhow::Result<()> {
        let deadline = Instant::now() + within;
        loop {
            let status = self.tool("index_status", json!({}))?;
            if text(&status).contains("state    ready") {
                return Ok(());
            }
            anyhow::ensure!(Instant::now() < deadline, "the index never got ready");
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

/// The text of a tool's result.
pub fn text(result: &Value) -> &str {
    result["content"][0]["text"].as_str().unwrap_or("")
}

/// Names of the definitions an answer lists, from its lines
/// (`path:line  kind  name  signature`): the last segment of each name.
pub fn names_in(answer: &str) -> Vec<String> {
    answer
        .lines()
        .filter_map(|line| line.split("  ").nth(2))
        .map(|n| n.rsplit(['.', ':']).next().unwrap_or(n))
        .filter(|n| !n.is_empty() && n.chars().all(|c| c.is_alphanumeric() || c == '_'))
        .map(str::to_string)
        .collect()
}

/// Stops the daemon of `root`, if one runs, and waits for it to let go of
/// its lock.
pub fn stop_daemon(root: &Path) {
    if let Ok(lock) = code_index_protocol::Lockfile::read(root) {
        // SAFETY: stopping the daemon this benchmark started.
        unsafe { libc::kill(lock.pid as libc::pid_t, libc::SIGTERM) };
        let deadline = Instant::now() + Duration::from_secs(60);
        while code_index_protocol::Lockfile::is_held(root) && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(10));
        }
    }
}

pub fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

#[derive(Debug, Serialize)]
pub struct Percentiles {
    pub p50_ms: f64,
    pub p95_ms: f64,
    pub samples: usize,
}

pub fn percentiles(mut samples: Vec<Duration>) -> Percentiles {
    samples.sort_unstable();
    let at = |q: f64| ms(samples[((samples.len() - 1) as f64 * q).round() as usize]);
    Percentiles {
        p50_ms: at(0.5),
        p95_ms: at(0.95),
        samples: samples.len(),
    }
}
