//! The MCP benchmark: `code-index mcp` started as an assistant starts it,
//! spoken to over its stdio with JSON-RPC lines, timed end to end (client →
//! mcp → daemon → back).

use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::Context;
use serde::Serialize;
use serde_json::{Value, json};

#[derive(Debug, Serialize)]
pub struct McpResult {
    corpus: String,
    /// Spawn to the `initialize` answer, with the daemon already running (p50 of 20).
    initialize_warm_ms: f64,
    /// Spawn to the first tool answer when no daemon runs yet.
    first_answer_cold_ms: f64,
    /// Whether that first answer said the index was still being built.
    first_answer_incomplete: bool,
    find_definition: Percentiles,
    find_references: Percentiles,
    search_symbols: Percentiles,
    search_text_ms: f64,
    rg_ms: f64,
    search_text_name: String,
}

#[derive(Debug, Serialize)]
pub struct Percentiles {
    p50_ms: f64,
    p95_ms: f64,
    samples: usize,
}

struct Session {
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
    fn start(binary: &Path, root: &Path) -> anyhow::Result<Session> {
        let mut child = Command::new(binary)
            .args(["mcp", "--root"])
            .arg(root)
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

    fn send(&mut self, message: &Value) -> anyhow::Result<()> {
        let mut line = serde_json::to_vec(message)?;
        line.push(b'\n');
        self.stdin.write_all(&line)?;
        Ok(self.stdin.flush()?)
    }

    fn request(&mut self, method: &str, params: Value) -> anyhow::Result<Value> {
        let id = self.next_id;
        self.next_id += 1;
        self.send(&json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params}))?;
        loop {
            let mut line = String::new();
            anyhow::ensure!(
                self.stdout.read_line(&mut line)? > 0,
                "code-index mcp closed stdout"
            );
            let message: Value = serde_json::from_str(&line)?;
            if message["id"] == json!(id) && message.get("method").is_none() {
                return Ok(message["result"].clone());
            }
        }
    }

    fn initialize(&mut self) -> anyhow::Result<()> {
        self.request(
            "initialize",
            json!({"protocolVersion": "2025-06-18", "capabilities": {},
                   "clientInfo": {"name": "code-index-bench", "version": "1"}}),
        )?;
        self.send(&json!({"jsonrpc": "2.0", "method": "notifications/initialized"}))
    }

    fn tool(&mut self, name: &str, arguments: Value) -> anyhow::Result<Value> {
        self.request("tools/call", json!({"name": name, "arguments": arguments}))
    }
}

fn stop_daemon(root: &Path) {
    if let Ok(lock) = code_index_protocol::Lockfile::read(root) {
        // SAFETY: stopping the daemon this benchmark started.
        unsafe { libc::kill(lock.pid as libc::pid_t, libc::SIGTERM) };
        let deadline = Instant::now() + Duration::from_secs(60);
        while code_index_protocol::Lockfile::is_held(root) && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(10));
        }
    }
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

fn percentiles(mut samples: Vec<Duration>) -> Percentiles {
    samples.sort_unstable();
    let at = |q: f64| ms(samples[((samples.len() - 1) as f64 * q).round() as usize]);
    Percentiles {
        p50_ms: at(0.5),
        p95_ms: at(0.95),
        samples: samples.len(),
    }
}

pub fn measure(name: &str, root: &Path, binary: &Path, calls: usize) -> anyhow::Result<McpResult> {
    stop_daemon(root);

    // No daemon yet: the first answer comes while the daemon loads.
    let started = Instant::now();
    let mut session = Session::start(binary, root)?;
    session.initialize()?;
    let first = session.tool("index_status", json!({}))?;
    let first_answer_cold = started.elapsed();
    let first_text = first["content"][0]["text"]
        .as_str()
        .unwrap_or("")
        .to_string();
    let first_answer_incomplete = !first_text.contains("state    ready");
    // Wait until ready for the rest.
    let deadline = Instant::now() + Duration::from_secs(300);
    loop {
        let status = session.tool("index_status", json!({}))?;
        if status["content"][0]["text"]
            .as_str()
            .unwrap_or("")
            .contains("state    ready")
        {
            break;
        }
        anyhow::ensure!(Instant::now() < deadline, "the index never got ready");
        std::thread::sleep(Duration::from_millis(50));
    }

    // Names to look up, from many corners.
    let mut names: Vec<String> = Vec::new();
    for prefix in [
        "ac", "bl", "ca", "de", "en", "fi", "ge", "ha", "in", "ke", "li", "ma", "no", "pa", "re",
        "se", "ti", "up", "wr", "zo",
    ] {
        let found = session.tool("search_symbols", json!({"query": prefix, "limit": 10}))?;
        // Lines are `path:line  kind  name  signature`.
        let text = found["content"][0]["text"].as_str().unwrap_or("");
        for line in text.lines() {
            if let Some(n) = line.split("  ").nth(2) {
                let last = n.rsplit(['.', ':']).next().unwrap_or(n);
                if last.chars().all(|c| c.is_alphanumeric() || c == '_') && !last.is_empty() {
                    names.push(last.to_string());
                }
            }
        }
    }
    anyhow::ensure!(!names.is_empty(), "no names found");
    let mut time = |tool: &str, args: &dyn Fn(&str) -> Value| -> anyhow::Result<Percentiles> {
        let mut samples = Vec::with_capacity(calls);
        for i in 0..calls {
            let t = Instant::now();
            session.tool(tool, args(&names[i % names.len()]))?;
            samples.push(t.elapsed());
        }
        Ok(percentiles(samples))
    };
    let find_definition = time("find_definition", &|n| json!({"name": n}))?;
    let find_references = time("find_references", &|n| json!({"name": n}))?;
    let search_symbols = time("search_symbols", &|n| json!({"query": n, "limit": 20}))?;

    // A rare identifier: a name defined once and used a few times.
    let rare = names
        .iter()
        .find(|n| n.len() > 10)
        .cloned()
        .unwrap_or_else(|| names[0].clone());
    // Both read the same files: time each on a warm page cache (second run).
    let mut search_text = Duration::ZERO;
    let mut rg_time = Duration::ZERO;
    for _ in 0..2 {
        let t = Instant::now();
        let rg = Command::new("rg")
            .args(["-F", "-n", "--no-heading", "-e", &rare])
            .current_dir(root)
            .stdout(Stdio::null())
            .status()
            .context("running rg (apt-get install ripgrep)")?;
        rg_time = t.elapsed();
        anyhow::ensure!(rg.code().is_some(), "rg was killed");
        let t = Instant::now();
        session.tool("search_text", json!({"pattern": rare, "limit": 50}))?;
        search_text = t.elapsed();
    }
    drop(session);

    // The daemon runs now: a new MCP server only has to say hello.
    let mut starts = Vec::new();
    for _ in 0..20 {
        let t = Instant::now();
        let mut s = Session::start(binary, root)?;
        s.initialize()?;
        starts.push(t.elapsed());
    }
    let initialize_warm = percentiles(starts).p50_ms;
    stop_daemon(root);

    Ok(McpResult {
        corpus: name.to_string(),
        initialize_warm_ms: initialize_warm,
        first_answer_cold_ms: ms(first_answer_cold),
        first_answer_incomplete,
        find_definition,
        find_references,
        search_symbols,
        search_text_ms: ms(search_text),
        rg_ms: ms(rg_time),
        search_text_name: rare,
    })
}

pub fn print_table(results: &[McpResult]) {
    println!();
    println!(
        "| corpus | `initialize` (daemon running) | first answer (no daemon) | `find_definition` p50 / p95 | `find_references` p50 / p95 | `search_symbols` p50 / p95 | `search_text` vs `rg` |"
    );
    println!("|---|---:|---:|---:|---:|---:|---:|");
    for r in results {
        println!(
            "| {} | {:.0} ms | {:.0} ms{} | {:.1} / {:.1} ms | {:.1} / {:.1} ms | {:.1} / {:.1} ms | {:.0} ms vs {:.0} ms |",
            r.corpus,
            r.initialize_warm_ms,
            r.first_answer_cold_ms,
            if r.first_answer_incomplete {
                " (while loading)"
            } else {
                ""
            },
            r.find_definition.p50_ms,
            r.find_definition.p95_ms,
            r.find_references.p50_ms,
            r.find_references.p95_ms,
            r.search_symbols.p50_ms,
            r.search_symbols.p95_ms,
            r.search_text_ms,
            r.rg_ms,
        );
    }
}
