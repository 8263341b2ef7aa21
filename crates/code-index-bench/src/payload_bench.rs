//! What the model receives: for each tool, the characters (and tokens) a
//! client forwards, by the rule of Claude Code and Codex CLI (the JSON of
//! `structuredContent` when a result has it, else the text), on questions
//! drawn from the corpus; beside it, what `rg -n -w NAME` prints for the same
//! name, the answer an assistant gets without the index. Also the latency
//! of `find_definition` alone and while a slow `search_text` is in flight in
//! the same session.

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use anyhow::Context;
use serde::Serialize;
use serde_json::{Value, json};

use crate::session::{Percentiles, Session, names_in, percentiles, text};

#[derive(Debug, Serialize)]
pub struct PayloadResult {
    corpus: String,
    /// Whether the server ran with `--structured`.
    structured: bool,
    tools: Vec<ToolPayload>,
    /// `rg -n -w NAME` over the tree, for the names `find_references` got.
    rg_chars: Stats,
    /// That, plus the source of the name's definition (what reading the
    /// enclosing function adds): a lower bound of answering without the index.
    rg_and_source_chars: Stats,
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
    let extra: &[&str] = if structured { &["--structured"] } else { &[] };
    let mut session = Session::initialized(binary, root, extra)?;
    session.wait_ready(Duration::from_secs(600))?;
    let mut names = Vec::new();
    for prefix in [
        "get", "new", "run", "set", "read", "parse", "handle", "make",
    ] {
        let found = session.tool("search_symbols", json!({"query": prefix, "limit": 5}))?;
        // Three characters of each make a prefix query.
        names.extend(
            names_in(text(&found))
                .into_iter()
                .filter(|n| n.len() > 2 && n.is_ascii()),
        );
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
    let mut rg_and_source = Vec::new();
    for n in &names {
        let out = Command::new("rg")
            .args(["-n", "-w", "--no-heading", "-e", n])
            .current_dir(root)
            .output()
            .context("running rg (apt-get install ripgrep)")?;
        let printed = String::from_utf8_lossy(&out.stdout).chars().count();
        rg.push(printed);
        let source = session.tool("get_symbol_source", json!({"name": n}))?;
        rg_and_source.push(printed + text(&source).chars().count());
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
    let mut search_id = session.send_tool("search_text", &slow)?;
    let mut searches = 0;
    for i in 0..200 {
        let t = Instant::now();
        let id = session.send_tool("find_definition", &json!({"name": names[i % names.len()]}))?;
        loop {
            let answer = session.read_message()?;
            if answer["id"] == json!(id) {
                during.push(t.elapsed());
                break;
            }
            if answer["id"] == json!(search_id) {
                searches += 1;
                search_id = session.send_tool("search_text", &slow)?;
            }
        }
    }
    eprintln!("{searches} slow searches finished during the 200 lookups");
    Ok(PayloadResult {
        corpus: name.to_string(),
        structured,
        tools,
        rg_chars: stats(rg),
        rg_and_source_chars: stats(rg_and_source),
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
            "| `rg -n -w NAME` and the definition's source | {} | {} | {} | | |",
            r.rg_and_source_chars.samples, r.rg_and_source_chars.p50, r.rg_and_source_chars.max
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
