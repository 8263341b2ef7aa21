//! The daemon benchmark: start to first answer from a snapshot, RPC round
//! trips on one and on eight connections, and freshness after edits.

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::Context;
use code_index_protocol::calls;
use code_index_protocol::client::Client;
use code_index_protocol::{LockPayload, Lockfile};
use serde::Serialize;
use serde_json::{Value, json};

use crate::{Latency, latency};

const TIMEOUT: Duration = Duration::from_secs(120);

#[derive(Debug, Serialize)]
pub struct DaemonResult {
    corpus: String,
    /// From spawning the process to the first answer (`status`).
    first_answer_ms: f64,
    /// From spawning the process to `ready` (snapshot loaded, tree reconciled).
    ready_ms: f64,
    stats_one: Latency,
    stats_eight: Latency,
    definitions_one: Latency,
    definitions_eight: Latency,
    freshness_p50_ms: f64,
    freshness_p95_ms: f64,
    edits: usize,
}

struct Running {
    child: Child,
    lock: LockPayload,
}

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Running {
    fn client(&self) -> anyhow::Result<Client> {
        let (client, _) = Client::connect_with_token(
            self.lock.port.context("no port")?,
            &self.lock.token,
            "code-index-bench",
            TIMEOUT,
        )?;
        Ok(client)
    }
}

pub fn measure(
    name: &str,
    root: &Path,
    binary: &Path,
    requests: usize,
    edits: usize,
) -> anyhow::Result<DaemonResult> {
    let started = Instant::now();
    let child = Command::new(binary)
        .args(["daemon", "--idle-timeout", "0", "--root"])
        .arg(root)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .context("starting the daemon")?;
    let pid = child.id();
    let lock = poll(|| {
        Lockfile::read(root)
            .ok()
            .filter(|l| l.pid == pid && l.port.is_some())
    })?;
    let daemon = Running { child, lock };
    let mut client = daemon.client()?;
    client
        .op::<calls::Status>(&())?
        .map_err(|e| anyhow::anyhow!("status failed: {e}"))?;
    let first_answer = started.elapsed();
    poll(|| {
        let status = client.op::<calls::Status>(&()).ok()?.ok()?;
        (status.state == "ready").then_some(())
    })?;
    let ready = started.elapsed();

    // Names that exist, from many corners of the index.
    let mut names: Vec<String> = Vec::new();
    for prefix in [
        "ac", "bl", "ca", "de", "en", "fi", "ge", "ha", "in", "jo", "ke", "li", "ma", "no", "op",
        "pa", "qu", "re", "se", "ti", "up", "ve", "wr", "xa", "yi", "zo",
    ] {
        let params = code_index_protocol::SearchSymbolsParams {
            query: prefix.to_string(),
            paging: code_index_protocol::PageRequest {
                offset: None,
                limit: Some(20),
            },
            ..Default::default()
        };
        let found = client
            .op::<calls::SearchSymbols>(&params)?
            .map_err(|e| anyhow::anyhow!("search_symbols failed: {e}"))?;
        names.extend(found.items.into_iter().map(|m| m.symbol.name));
    }
    anyhow::ensure!(!names.is_empty(), "no names to look up");

    let stats_one = round_trips(&daemon, 1, requests, |_| ("stats", Value::Null))?;
    let stats_eight = round_trips(&daemon, 8, requests, |_| ("stats", Value::Null))?;
    let lookup = |i: usize| ("definitions", json!({"name": names[i % names.len()]}));
    let definitions_one = round_trips(&daemon, 1, requests, lookup)?;
    let definitions_eight = round_trips(&daemon, 8, requests, lookup)?;

    // Freshness: write a file with a new name, query until it is found.
    let mut fresh = Vec::with_capacity(edits);
    let dir = root.join("code-index-bench-fresh");
    std::fs::create_dir_all(&dir)?;
    // Let the watcher pick up the new directory first.
    let probe = dir.join("probe.c");
    std::fs::write(&probe, "int bench_probe(void) { return 0; }\n")?;
    poll(|| found(&mut client, "bench_probe"))?;
    for i in 0..edits {
        let name = format!("bench_fresh_{}_{i}", std::process::id());
        let written = Instant::now();
        std::fs::write(
            dir.join("edit.c"),
            format!("int {name}(void) {{ return {i}; }}\n"),
        )?;
        poll(|| found(&mut client, &name))?;
        fresh.push(written.elapsed());
    }
    std::fs::remove_dir_all(&dir)?;
    client
        .op::<calls::Shutdown>(&())?
        .map_err(|e| anyhow::anyhow!("shutdown failed: {e}"))?;
    fresh.sort_unstable();
    let at = |q: f64| fresh[((fresh.len() - 1) as f64 * q).round() as usize].as_secs_f64() * 1e3;
    Ok(DaemonResult {
        corpus: name.to_string(),
        first_answer_ms: first_answer.as_secs_f64() * 1e3,
        ready_ms: ready.as_secs_f64() * 1e3,
        stats_one,
        stats_eight,
        definitions_one,
        definitions_eight,
        freshness_p50_ms: at(0.5),
        freshness_p95_ms: at(0.95),
        edits,
    })
}

fn found(client: &mut Client, name: &str) -> Option<()> {
    let params = code_index_protocol::DefinitionsParams {
        name: name.to_string(),
        ..Default::default()
    };
    let found = client.op::<calls::Definitions>(&params).ok()?.ok()?;
    (found.total > 0).then_some(())
}

/// `requests` round trips spread over `connections` connections, one thread each.
fn round_trips(
    daemon: &Running,
    connections: usize,
    requests: usize,
    request: impl Fn(usize) -> (&'static str, Value) + Sync,
) -> anyhow::Result<Latency> {
    let per = requests / connections;
    let samples = std::thread::scope(|scope| -> anyhow::Result<Vec<Duration>> {
        let workers: Vec<_> = (0..connections)
            .map(|c| {
                let request = &request;
                scope.spawn(move || -> anyhow::Result<Vec<Duration>> {
                    let mut client = daemon.client()?;
                    let mut out = Vec::with_capacity(per);
                    for i in 0..per {
                        let (op, params) = request(c * per + i);
                        let started = Instant::now();
                        let response = client.call(op, params)?;
                        out.push(started.elapsed());
                        anyhow::ensure!(
                            response.error.is_none(),
                            "{op} failed: {:?}",
                            response.error
                        );
                    }
                    Ok(out)
                })
            })
            .collect();
        let mut all = Vec::with_capacity(requests);
        for worker in workers {
            all.extend(
                worker
                    .join()
                    .map_err(|_| anyhow::anyhow!("a worker panicked"))??,
            );
        }
        Ok(all)
    })?;
    Ok(latency(samples))
}

/// Polls (every millisecond: this measures latency) until `f` succeeds.
fn poll<T>(mut f: impl FnMut() -> Option<T>) -> anyhow::Result<T> {
    let started = Instant::now();
    loop {
        if let Some(v) = f() {
            return Ok(v);
        }
        anyhow::ensure!(started.elapsed() < TIMEOUT, "timed out");
        std::thread::sleep(Duration::from_millis(1));
    }
}

pub fn print_table(results: &[DaemonResult]) {
    println!();
    println!(
        "| corpus | first answer | ready | `stats` 1 conn p50 / p99 | `stats` 8 conns p50 / p99 | `definitions` 1 conn p50 / p99 | `definitions` 8 conns p50 / p99 | freshness p50 / p95 |"
    );
    println!("|---|---:|---:|---:|---:|---:|---:|---:|");
    for r in results {
        println!(
            "| {} | {:.0} ms | {:.0} ms | {:.0} / {:.0} µs | {:.0} / {:.0} µs | {:.0} / {:.0} µs | {:.0} / {:.0} µs | {:.0} / {:.0} ms |",
            r.corpus,
            r.first_answer_ms,
            r.ready_ms,
            r.stats_one.p50_us,
            r.stats_one.p99_us,
            r.stats_eight.p50_us,
            r.stats_eight.p99_us,
            r.definitions_one.p50_us,
            r.definitions_one.p99_us,
            r.definitions_eight.p50_us,
            r.definitions_eight.p99_us,
            r.freshness_p50_ms,
            r.freshness_p95_ms,
        );
    }
}
