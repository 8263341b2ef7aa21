//! The MCP benchmark: `code-index mcp` started as an assistant starts it,
//! spoken to over its stdio with JSON-RPC lines, timed end to end (client →
//! mcp → daemon → back).

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::Context;
use serde::Serialize;
use serde_json::{Value, json};

use crate::session::{Percentiles, Session, ms, names_in, percentiles, stop_daemon, text};

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

pub fn measure(name: &str, root: &Path, binary: &Path, calls: usize) -> anyhow::Result<McpResult> {
    stop_daemon(root);

    // No daemon yet: the first answer comes while the daemon loads.
    let started = Instant::now();
    let mut session = Session::initialized(binary, root, &[])?;
    let first = session.tool("index_status", json!({}))?;
    let first_answer_cold = started.elapsed();
    let first_answer_incomplete = !text(&first).contains("state    ready");
    session.wait_ready(Duration::from_secs(300))?;

    // Names to look up, from many corners.
    let mut names: Vec<String> = Vec::new();
    for prefix in [
        "ac", "bl", "ca", "de", "en", "fi", "ge", "ha", "in", "ke", "li", "ma", "no", "pa", "re",
        "se", "ti", "up", "wr", "zo",
    ] {
        let found = session.tool("search_symbols", json!({"query": prefix, "limit": 10}))?;
        names.extend(names_in(text(&found)));
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
        Session::initialized(binary, root, &[])?;
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
