//! What the model receives: for each tool, the characters (and tokens) a
//! client forwards, by the rule of Claude Code and Codex CLI (the JSON of
//! `structuredContent` when a result has it, else the text), on questions
//! drawn from the corpus; beside it, what `rg -n -w NAME` prints for the same
//! name, the answer an assistant gets without the index. Also the latency
//! of `find_definition` alone and while a slow `search_text` is in flight in
//! the same session.

use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::Context;
use serde::Serialize;
use serde_json::{Value, json};

#[derive(Debug, Serialize)]
pub struct PayloadResult {
    corpus: String,
    /// Whether the server ran with `--structured`.
    structured: bool,
    tools: Vec<ToolPayload>,
    /// `rg -n -w NAME` over the tree, for the names `find_references` got.
    rg_chars: Stats,
    find_definition_alone: Percentiles,
    find_definition_during_search: Percentiles,
}

#[derive(Debug, Serialize)]
pub struct ToolPayload {
    tool: String,
    chars: Stats,
    tokens: Stats,
}

#[derive(Debug, Default, Serialize)]
pub struct Stats {
    samples: usize,
    p50: usize,
    max: usize,
}

fn stats(mut v: Vec<usize>) -> Stats {
    if v.is_empty() {
        return Stats::default();
    }
    v.sort_unstable();
    Stats {
        samples: v.len(),
        p50: v[(v.len() - 1) / 2],
        max: *v.last().unwrap(),
    }
}

#[derive(Debug, Serialize)]
pub struct Percentiles {
    p50_ms: f64,
    p95_ms: f64,
    samples: usize,
}

fn percentiles(mut samples: Vec<Duration>) -> Percentiles {
    samples.sort_unstable();
    let at =
        |q: f64| samples[((samples.len() - 1) as f64 * q).round() as usize].as_secs_f64() * 1e3;
    Percentiles {
        p50_ms: at(0.5),
        p95_ms: at(0.95),
        samples: samples.len(),
    }
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
    fn start(binary: &Path, root: &Path, structured: bool) -> anyhow::Result<Session> {
        let mut cmd = Command::new(binary);
        cmd.args(["mcp", "--root"]).arg(root);
        if structured {
            cmd.arg("--structured");
        }
        let mut child = cmd
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .context("starting code-index mcp")?;
        let mut session = Session {
            stdin: child.stdin.take().context("stdin")?,
            stdout: BufReader::new(child.stdout.take().context("stdout")?),
            child,
            next_id: 0,
        };
        session.wait_for(&json!({"jsonrpc": "2.0", "id": 0, "method": "initialize",
            "params": {"protocolVersion": "2025-06-18", "capabilities": {},
                       "clientInfo": {"name": "code-index-bench", "version": "1"}}}))?;
        session.send(&json!({"jsonrpc": "2.0", "method": "notifications/initialized"}))?;
        Ok(session)
    }

    fn send(&mut self, message: &Value) -> anyhow::Result<()> {
        let mut line = serde_json::to_vec(message)?;
        line.push(b'\n');
        self.stdin.write_all(&line)?;
        Ok(self.stdin.flush()?)
    }

    /// Sends a request and reads until its answer, skipping other messages.
    fn wait_for(&mut self, message: &Value) -> anyhow::Result<Value> {
        self.send(message)?;
        let id = message["id"].clone();
        loop {
            let mut line = String::new();
            anyhow::ensure!(
                self.stdout.read_line(&mut line)? > 0,
                "code-index mcp closed stdout"
            );
            let answer: Value = serde_json::from_str(&line)?;
            if answer["id"] == id && answer.get("method").is_none() {
                return Ok(answer["result"].clone());
            }
        }
    }

    fn take_id(&mut self) -> u64 {
        self.next_id += 1;
        self.next_id
    }

    fn tool(&mut self, name: &str, arguments: Value) -> anyhow::Result<Value> {
        let id = self.take_id();
        self.wait_for(&json!({"jsonrpc": "2.0", "id": id, "method": "tools/call",
                              "params": {"name": name, "arguments": arguments}}))
    }
}

/// What Claude Code and Codex CLI hand the model.
fn forwarded(result: &Value) -> String {
    match &result["structuredContent"] {
        Value::Null => result["content"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|block| block["text"].as_str())
            .collect(),
        structured => structured.to_string(),
    }
}

fn text(result: &Value) -> &str {
    result["content"][0]["text"].as_str().unwrap_or("")
}

/// Names of the definitions a `search_symbols` answer lists, from its lines
/// (`path:line  kind  name  signature`).
fn names_in(answer: &str) -> Vec<String> {
    answer
        .lines()
        .filter_map(|line| {
            let mut fields = line.split("  ");
            let _location = fields.next()?;
            let _kind = fields.next()?;
            let name = fields.next()?;
            let last = name.rsplit(['.', ':']).next()?;
            (last.len() > 2 && last.chars().all(|c| c.is_alphanumeric() || c == '_'))
                .then(|| last.to_string())
        })
        .collect()
}

/// Paths of the files a `repo_map` answer lists.
fn files_in(answer: &str) -> Vec<String> {
    answer
        .lines()
        .filter(|l| !l.starts_with(' ') && !l.starts_with('…') && !l.is_empty())
        .map(str::to_string)
        .collect()
}

pub fn measure(
    name: &str,
    root: &Path,
    binary: &Path,
    structured: bool,
) -> anyhow::Result<PayloadResult> {
    let bpe = tiktoken_rs::o200k_base().context("loading the o200k tokenizer")?;
    let mut session = Session::start(binary, root, structured)?;
    let deadline = Instant::now() + Duration::from_secs(600);
    loop {
        let status = session.tool("index_status", json!({}))?;
        if text(&status).contains("state    ready") {
            break;
        }
        anyhow::ensure!(Instant::now() < deadline, "the index never got ready");
        std::thread::sleep(Duration::from_millis(100));
    }
    let mut names = Vec::new();
    for prefix in [
        "get", "new", "run", "set", "read", "parse", "handle", "make",
    ] {
        let found = session.tool("search_symbols", json!({"query": prefix, "limit": 5}))?;
        names.extend(names_in(text(&found)));
    }
    names.sort();
    names.dedup();
    names.truncate(20);
    anyhow::ensure!(!names.is_empty(), "no names found in {name}");
    let map = session.tool("repo_map", json!({}))?;
    let mut files = files_in(text(&map));
    files.truncate(10);

    let mut questions: Vec<(&str, Value)> = Vec::new();
    for n in &names {
        questions.push(("find_definition", json!({"name": n})));
        questions.push(("find_references", json!({"name": n})));
        questions.push(("find_callers", json!({"name": n, "depth": 2})));
        questions.push(("find_callees", json!({"name": n})));
        questions.push(("search_text", json!({"pattern": n})));
        questions.push(("get_symbol_source", json!({"name": n})));
        questions.push(("search_symbols", json!({"query": &n[..3]})));
        questions.push(("find_implementations", json!({"name": n})));
    }
    for f in &files {
        questions.push(("file_outline", json!({"path": f})));
        questions.push(("file_dependencies", json!({"path": f})));
        questions.push(("read_file", json!({"path": f})));
        questions.push(("symbol_at", json!({"path": f, "line": 1})));
    }
    for (tool, arguments) in [
        ("list_dir", json!({})),
        ("list_dir", json!({"depth": 3})),
        ("repo_map", json!({})),
        ("repo_map", json!({"max_tokens": 50000})),
        ("index_status", json!({})),
        ("list_projects", json!({})),
        ("find_files", json!({"pattern": "*"})),
    ] {
        questions.push((tool, arguments));
    }
    let mut by_tool: std::collections::BTreeMap<&str, (Vec<usize>, Vec<usize>)> =
        Default::default();
    for (tool, arguments) in questions {
        let result = session.tool(tool, arguments)?;
        let payload = forwarded(&result);
        let entry = by_tool.entry(tool).or_default();
        entry.0.push(payload.chars().count());
        entry.1.push(bpe.encode_ordinary(&payload).len());
    }
    let tools = by_tool
        .into_iter()
        .map(|(tool, (chars, tokens))| ToolPayload {
            tool: tool.to_string(),
            chars: stats(chars),
            tokens: stats(tokens),
        })
        .collect();

    let mut rg = Vec::new();
    for n in &names {
        let out = Command::new("rg")
            .args(["-n", "-w", "--no-heading", "-e", n])
            .current_dir(root)
            .output()
            .context("running rg (apt-get install ripgrep)")?;
        rg.push(String::from_utf8_lossy(&out.stdout).chars().count());
    }

    let mut alone = Vec::new();
    for i in 0..200 {
        let t = Instant::now();
        session.tool("find_definition", json!({"name": names[i % names.len()]}))?;
        alone.push(t.elapsed());
    }
    // A search with no literal to narrow it, kept in flight: each time its
    // answer comes, another is sent.
    let slow = json!({"pattern": "[a-z]+_[a-z]+\\s*\\(", "regex": true, "limit": 1000});
    let mut during = Vec::new();
    let mut search_id = session.take_id();
    session.send(
        &json!({"jsonrpc": "2.0", "id": search_id, "method": "tools/call",
                         "params": {"name": "search_text", "arguments": slow}}),
    )?;
    let mut searches = 0;
    for i in 0..200 {
        let id = session.take_id();
        let t = Instant::now();
        session.send(&json!({"jsonrpc": "2.0", "id": id, "method": "tools/call",
            "params": {"name": "find_definition", "arguments": {"name": names[i % names.len()]}}}))?;
        loop {
            let mut line = String::new();
            anyhow::ensure!(session.stdout.read_line(&mut line)? > 0, "stdout closed");
            let answer: Value = serde_json::from_str(&line)?;
            if answer["id"] == json!(id) {
                during.push(t.elapsed());
                break;
            }
            if answer["id"] == json!(search_id) {
                searches += 1;
                search_id = session.take_id();
                session.send(
                    &json!({"jsonrpc": "2.0", "id": search_id, "method": "tools/call",
                                     "params": {"name": "search_text", "arguments": slow}}),
                )?;
            }
        }
    }
    eprintln!("{searches} slow searches finished during the 200 lookups");
    Ok(PayloadResult {
        corpus: name.to_string(),
        structured,
        tools,
        rg_chars: stats(rg),
        find_definition_alone: percentiles(alone),
        find_definition_during_search: percentiles(during),
    })
}

pub fn print_table(results: &[PayloadResult]) {
    for r in results {
        println!(
            "\n{} ({}): characters (and o200k tokens) the model receives per call",
            r.corpus,
            if r.structured {
                "--structured"
            } else {
                "text, the default"
            }
        );
        println!("| tool | calls | chars p50 | chars max | tokens p50 | tokens max |");
        println!("|---|---|---|---|---|---|");
        for t in &r.tools {
            println!(
                "| {} | {} | {} | {} | {} | {} |",
                t.tool, t.chars.samples, t.chars.p50, t.chars.max, t.tokens.p50, t.tokens.max
            );
        }
        println!(
            "| `rg -n -w NAME` (same names) | {} | {} | {} | | |",
            r.rg_chars.samples, r.rg_chars.p50, r.rg_chars.max
        );
        println!(
            "find_definition p50/p95: alone {:.2}/{:.2} ms; while a search_text runs {:.2}/{:.2} ms",
            r.find_definition_alone.p50_ms,
            r.find_definition_alone.p95_ms,
            r.find_definition_during_search.p50_ms,
            r.find_definition_during_search.p95_ms
        );
    }
}
