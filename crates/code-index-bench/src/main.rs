//! `code-index-bench`: indexes real corpora cold and warm with the release
//! `code-index` binary, runs `ctags -R` on the same trees in the same run,
//! measures parse-only time and name lookups, and prints a Markdown table.
//!
//! Run it through `bench/run.sh`, which fetches the corpora and builds first.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

mod calls;
mod daemon_bench;
mod mcp_bench;
mod payload_bench;
mod quality;
mod session;

use anyhow::{Context, bail};
use clap::Parser;
use code_index_core::discover::{self, DiscoverOptions};
use code_index_core::snapshot;
use code_index_core::{Index, Language, PageRequest, ReferenceFilter, SymbolFilter};
use rayon::prelude::*;
use serde::Serialize;

#[derive(Parser)]
#[command(about = "Benchmarks code-index on real corpora against ctags")]
struct Args {
    /// Corpora to measure (directories under --corpora-dir).
    #[arg(required_unless_present_any = ["parse_only_of", "lookups_of"])]
    corpora: Vec<String>,
    /// Where bench/fetch-corpora.sh put them.
    #[arg(long, env = "CODE_INDEX_CORPORA")]
    corpora_dir: Option<PathBuf>,
    /// The code-index binary to measure (default: next to this one).
    #[arg(long)]
    binary: Option<PathBuf>,
    /// Name lookups to time per corpus.
    #[arg(long, default_value_t = 2000)]
    lookups: usize,
    /// Also write the results as JSON here.
    #[arg(long)]
    json: Option<PathBuf>,
    /// Do not run ctags.
    #[arg(long)]
    skip_ctags: bool,
    /// Also measure the daemon: start to first answer, RPC round trips, freshness.
    #[arg(long)]
    daemon: bool,
    /// Also measure `code-index mcp` end to end (needs a snapshot; uses rg).
    #[arg(long)]
    mcp: bool,
    /// Measure what the model receives per tool (characters, tokens), by
    /// default and with `--structured`, and `find_definition` while a slow
    /// search runs.
    #[arg(long)]
    payload: bool,
    /// Score find_references, find_definition and find_callers against the
    /// SCIP index of each corpus (made by bench/quality.sh).
    #[arg(long)]
    quality: bool,
    /// For each function whose name the corpus defines once (Rust, Go),
    /// whether find_references names every file that calls it by name.
    #[arg(long)]
    calling_files: bool,
    /// Symbols sampled per corpus in the quality benchmark.
    #[arg(long, default_value_t = 150)]
    quality_sample: usize,
    /// Seed of the quality benchmark's sample.
    #[arg(long, default_value_t = 20261202)]
    quality_seed: u64,
    /// Ask for a type's member by symbol (`Type.name`) rather than by name.
    #[arg(long)]
    quality_by_symbol: bool,
    /// Where bench/quality.sh put the SCIP indexes (<dir>/<corpus>/index.scip;
    /// default ~/.cache/code-index-quality/indexes).
    #[arg(long, env = "CODE_INDEX_QUALITY_INDEXES")]
    scip_dir: Option<PathBuf>,
    /// Tool calls per measurement in the MCP benchmark.
    #[arg(long, default_value_t = 200)]
    tool_calls: usize,
    /// Only the daemon benchmark (the corpora must have a snapshot already).
    #[arg(long)]
    daemon_only: bool,
    /// RPC requests per measurement in the daemon benchmark.
    #[arg(long, default_value_t = 10_000)]
    requests: usize,
    /// Edits timed in the freshness benchmark.
    #[arg(long, default_value_t = 100)]
    edits: usize,
    /// Internal: time parse-only of this tree and print the seconds. Runs in a
    /// child process so that the parent stays small: a child's peak RSS
    /// includes its parent's at the moment it starts.
    #[arg(long, hide = true)]
    parse_only_of: Option<PathBuf>,
    /// Internal: time lookups on this tree's snapshot and print them as JSON.
    #[arg(long, hide = true)]
    lookups_of: Option<PathBuf>,
}

/// Wall time and peak memory of one child process.
#[derive(Clone, Copy, Debug, Serialize)]
struct Run {
    seconds: f64,
    peak_rss_mib: f64,
}

#[derive(Debug, Serialize, serde::Deserialize)]
pub struct Latency {
    pub samples: usize,
    pub p50_us: f64,
    pub p99_us: f64,
}

#[derive(Debug, Serialize)]
struct CorpusResult {
    corpus: String,
    source_files: usize,
    source_mib: f64,
    files_listed: u64,
    definitions: u64,
    references: u64,
    parse_only_seconds: f64,
    cold: Run,
    warm: Run,
    ctags: Option<Run>,
    snapshot_mib: f64,
    definitions_lookup: Latency,
    references_lookup: Latency,
}

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> anyhow::Result<()> {
    code_index_core::alloc::use_mimalloc_for_parsers();
    let args = Args::parse();
    if let Some(dir) = &args.parse_only_of {
        println!("{}", parse_only(dir)?.as_secs_f64());
        return Ok(());
    }
    if let Some(dir) = &args.lookups_of {
        let root = discover::canonical_root(dir)?;
        let index = Index::load(&root, &snapshot::snapshot_path(&root))?;
        println!(
            "{}",
            serde_json::to_string(&time_lookups(&index, args.lookups))?
        );
        return Ok(());
    }
    let corpora_dir = match &args.corpora_dir {
        Some(dir) => dir.clone(),
        None => PathBuf::from(std::env::var("HOME").context("HOME is not set")?)
            .join(".cache/code-index-corpora"),
    };
    let binary = match &args.binary {
        Some(b) => b.clone(),
        None => std::env::current_exe()?
            .parent()
            .context("the bench binary has no directory")?
            .join("code-index"),
    };
    anyhow::ensure!(
        binary.exists(),
        "{} not found: build it with `cargo build --release -p code-index`",
        binary.display()
    );
    let mut results = Vec::new();
    for name in args.corpora.iter().filter(|_| {
        !args.daemon_only && !args.mcp && !args.payload && !args.quality && !args.calling_files
    }) {
        let dir = corpora_dir.join(name);
        anyhow::ensure!(
            dir.is_dir(),
            "corpus {name} is not in {}: run bench/fetch-corpora.sh {name}",
            corpora_dir.display()
        );
        eprintln!("== {name}");
        let result =
            measure(name, &dir, &binary, &args).with_context(|| format!("measuring {name}"))?;
        eprintln!("{}", serde_json::to_string_pretty(&result)?);
        results.push(result);
    }
    if !results.is_empty() {
        print_table(&results);
    }
    let mut daemon_results = Vec::new();
    if args.daemon || args.daemon_only {
        for name in &args.corpora {
            eprintln!("== daemon on {name}");
            let root = discover::canonical_root(&corpora_dir.join(name))?;
            let result = daemon_bench::measure(name, &root, &binary, args.requests, args.edits)
                .with_context(|| format!("measuring the daemon on {name}"))?;
            eprintln!("{}", serde_json::to_string_pretty(&result)?);
            daemon_results.push(result);
        }
        daemon_bench::print_table(&daemon_results);
    }
    let mut mcp_results = Vec::new();
    if args.mcp {
        for name in &args.corpora {
            eprintln!("== mcp on {name}");
            let root = discover::canonical_root(&corpora_dir.join(name))?;
            let result = mcp_bench::measure(name, &root, &binary, args.tool_calls)
                .with_context(|| format!("measuring code-index mcp on {name}"))?;
            eprintln!("{}", serde_json::to_string_pretty(&result)?);
            mcp_results.push(result);
        }
        mcp_bench::print_table(&mcp_results);
    }
    let mut payload_results = Vec::new();
    if args.payload {
        for name in &args.corpora {
            let root = discover::canonical_root(&corpora_dir.join(name))?;
            for structured in [false, true] {
                eprintln!("== payload on {name} (structured: {structured})");
                let result = payload_bench::measure(name, &root, &binary, structured)
                    .with_context(|| format!("measuring payloads on {name}"))?;
                eprintln!("{}", serde_json::to_string_pretty(&result)?);
                payload_results.push(result);
            }
        }
        payload_bench::print_table(&payload_results);
    }
    let mut quality_results = Vec::new();
    if args.quality {
        let scip_dir = match &args.scip_dir {
            Some(dir) => dir.clone(),
            None => PathBuf::from(std::env::var("HOME").context("HOME is not set")?)
                .join(".cache/code-index-quality/indexes"),
        };
        for name in &args.corpora {
            eprintln!("== quality on {name}");
            let root = discover::canonical_root(&corpora_dir.join(name))?;
            let result = quality::measure(
                name,
                &root,
                &binary,
                &scip_dir.join(name).join("index.scip"),
                args.quality_sample,
                args.quality_seed,
                args.quality_by_symbol,
            )
            .with_context(|| format!("measuring answer quality on {name}"))?;
            eprintln!("{}", serde_json::to_string_pretty(&result)?);
            quality::print_worst(&result, 10);
            quality_results.push(result);
        }
        quality::print_table(&quality_results);
    }
    let mut calling_results = Vec::new();
    if args.calling_files {
        for name in &args.corpora {
            eprintln!("== calling files on {name}");
            let root = discover::canonical_root(&corpora_dir.join(name))?;
            let results = calls::measure(name, &root)
                .with_context(|| format!("measuring calling files on {name}"))?;
            for result in &results {
                eprintln!("{}", serde_json::to_string_pretty(result)?);
            }
            calling_results.extend(results);
        }
        calls::print_table(&calling_results);
    }
    if let Some(path) = &args.json {
        let all = serde_json::json!({"index": results, "daemon": daemon_results,
                                     "mcp": mcp_results, "payload": payload_results,
                                     "quality": quality_results,
                                     "calling_files": calling_results});
        std::fs::write(path, serde_json::to_string_pretty(&all)?)?;
    }
    Ok(())
}

fn measure(name: &str, dir: &Path, binary: &Path, args: &Args) -> anyhow::Result<CorpusResult> {
    let root = discover::canonical_root(dir)?;
    let _ = std::fs::remove_dir_all(root.join(snapshot::STATE_DIR));

    // What the index would parse.
    let found = discover::discover(&root, &DiscoverOptions::default())?;
    let parsed: Vec<u64> = found
        .files
        .iter()
        .filter(|f| f.size <= code_index_core::discover::DEFAULT_MAX_FILE_SIZE)
        .filter(|f| Language::from_path(Path::new(&f.path)).is_some())
        .map(|f| f.size)
        .collect();
    let myself = std::env::current_exe()?;
    let parse_only: f64 = child_output(Command::new(&myself).arg("--parse-only-of").arg(&root))?
        .trim()
        .parse()
        .context("parse-only output")?;
    let (cold, summary) = run_index(binary, &root, true)?;
    let (warm, _) = run_index(binary, &root, false)?;
    let ctags = if args.skip_ctags {
        None
    } else {
        Some(run_ctags(&root)?)
    };

    let snapshot_bytes = std::fs::metadata(snapshot::snapshot_path(&root))?.len();
    let (definitions_lookup, references_lookup): (Latency, Latency) =
        serde_json::from_str(&child_output(
            Command::new(&myself)
                .arg("--lookups-of")
                .arg(&root)
                .arg("--lookups")
                .arg(args.lookups.to_string()),
        )?)?;
    let stats = &summary["stats"];
    Ok(CorpusResult {
        corpus: name.to_string(),
        source_files: parsed.len(),
        source_mib: parsed.iter().sum::<u64>() as f64 / (1 << 20) as f64,
        files_listed: stats["files"].as_u64().unwrap_or(0),
        definitions: stats["definitions"].as_u64().unwrap_or(0),
        references: stats["references"].as_u64().unwrap_or(0),
        parse_only_seconds: parse_only,
        cold,
        warm,
        ctags,
        snapshot_mib: snapshot_bytes as f64 / (1 << 20) as f64,
        definitions_lookup,
        references_lookup,
    })
}

/// Parses every file the index would parse, on every core, and nothing else.
fn parse_only(dir: &Path) -> anyhow::Result<Duration> {
    let root = discover::canonical_root(dir)?;
    let found = discover::discover(&root, &DiscoverOptions::default())?;
    let sources: Vec<(PathBuf, Language)> = found
        .files
        .iter()
        .filter(|f| f.size <= code_index_core::discover::DEFAULT_MAX_FILE_SIZE)
        .filter_map(|f| Language::from_path(Path::new(&f.path)).map(|l| (root.join(&f.path), l)))
        .collect();
    let started = Instant::now();
    sources.par_iter().for_each(|(path, lang)| {
        if let Ok(bytes) = std::fs::read(path) {
            let text = String::from_utf8_lossy(&bytes);
            code_index_core::extract::parse_only(*lang, &text);
        }
    });
    Ok(started.elapsed())
}

/// Runs a command and returns its stdout.
fn child_output(cmd: &mut Command) -> anyhow::Result<String> {
    let out = cmd.output().with_context(|| format!("starting {cmd:?}"))?;
    anyhow::ensure!(
        out.status.success(),
        "{cmd:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    Ok(String::from_utf8(out.stdout)?)
}

fn run_index(binary: &Path, root: &Path, cold: bool) -> anyhow::Result<(Run, serde_json::Value)> {
    let out = std::env::temp_dir().join(format!("code-index-bench-{}.json", std::process::id()));
    let mut cmd = Command::new(binary);
    cmd.arg("index").arg("--root").arg(root).arg("--json");
    if cold {
        cmd.arg("--cold");
    }
    cmd.stdout(std::fs::File::create(&out)?);
    let run = timed(cmd)?;
    let summary: serde_json::Value = serde_json::from_slice(&std::fs::read(&out)?)?;
    let _ = std::fs::remove_file(&out);
    Ok((run, summary))
}

fn run_ctags(root: &Path) -> anyhow::Result<Run> {
    let tags = std::env::temp_dir().join(format!("code-index-bench-{}.tags", std::process::id()));
    let mut cmd = Command::new("ctags");
    cmd.current_dir(root)
        .arg("-R")
        .arg("-f")
        .arg(&tags)
        .arg(".");
    cmd.stdout(std::process::Stdio::null());
    let run = timed(cmd).context("running ctags (apt-get install universal-ctags)")?;
    let _ = std::fs::remove_file(&tags);
    Ok(run)
}

/// Runs a command to completion, measuring wall time and the child's peak RSS.
fn timed(mut cmd: Command) -> anyhow::Result<Run> {
    let started = Instant::now();
    let child = cmd.spawn().with_context(|| format!("starting {cmd:?}"))?;
    let pid = child.id() as libc::pid_t;
    let mut status = 0;
    // SAFETY: an all-zero rusage is a valid value for wait4 to fill in.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: `pid` is our child, not yet waited for; the pointers are valid.
    let waited = unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
    let seconds = started.elapsed().as_secs_f64();
    if waited != pid {
        bail!("waiting for {cmd:?} failed");
    }
    if !libc::WIFEXITED(status) || libc::WEXITSTATUS(status) != 0 {
        bail!("{cmd:?} failed with status {status}");
    }
    std::mem::forget(child);
    Ok(Run {
        seconds,
        peak_rss_mib: usage.ru_maxrss as f64 / 1024.0,
    })
}

/// Times `definitions` for defined names and `references` for referenced
/// names, taken evenly from the sorted distinct names of the index.
fn time_lookups(index: &Index, samples: usize) -> (Latency, Latency) {
    fn spread(mut names: Vec<&str>, samples: usize) -> Vec<&str> {
        names.sort_unstable();
        names.dedup();
        let step = (names.len() / samples.max(1)).max(1);
        names.into_iter().step_by(step).take(samples).collect()
    }
    let defined = spread(
        index
            .files()
            .flat_map(|(_, f)| f.definitions.iter().map(move |d| f.str(d.name)))
            .collect(),
        samples,
    );
    let referenced = spread(
        index
            .files()
            .flat_map(|(_, f)| f.references.iter().map(move |r| f.str(r.name)))
            .collect(),
        samples,
    );
    let filter = SymbolFilter::default();
    let refs_filter = ReferenceFilter::default();
    let mut defs = Vec::with_capacity(defined.len());
    for name in &defined {
        let started = Instant::now();
        let page = index.definitions(name, None, &filter, PageRequest::default());
        defs.push(started.elapsed());
        std::hint::black_box(page);
    }
    let mut refs = Vec::with_capacity(referenced.len());
    for name in &referenced {
        let started = Instant::now();
        let page = index.references(name, &refs_filter, PageRequest::default());
        refs.push(started.elapsed());
        std::hint::black_box(page);
    }
    (latency(defs), latency(refs))
}

pub fn latency(mut samples: Vec<Duration>) -> Latency {
    samples.sort_unstable();
    let at = |q: f64| {
        samples
            .get(((samples.len() as f64 - 1.0) * q).round() as usize)
            .map_or(0.0, |d| d.as_secs_f64() * 1e6)
    };
    Latency {
        samples: samples.len(),
        p50_us: at(0.5),
        p99_us: at(0.99),
    }
}

fn print_table(results: &[CorpusResult]) {
    println!(
        "| corpus | files | MiB | definitions | references | parse only | cold | cold / parse | ctags -R | cold / ctags | warm | warm / cold | peak RSS cold | snapshot | files/s | symbols/s | definitions p50 / p99 | references p50 / p99 |"
    );
    println!(
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
    );
    for r in results {
        let ctags = r
            .ctags
            .map_or("-".to_string(), |c| format!("{:.2} s", c.seconds));
        let ratio = r.ctags.map_or("-".to_string(), |c| {
            format!("{:.1}×", r.cold.seconds / c.seconds)
        });
        println!(
            "| {} | {} | {:.1} | {} | {} | {:.2} s | {:.2} s | {:.2}× | {} | {} | {:.2} s | {:.1}% | {:.0} MiB | {:.1} MiB | {:.0} | {:.0} | {:.0} / {:.0} µs | {:.0} / {:.0} µs |",
            r.corpus,
            r.source_files,
            r.source_mib,
            r.definitions,
            r.references,
            r.parse_only_seconds,
            r.cold.seconds,
            r.cold.seconds / r.parse_only_seconds,
            ctags,
            ratio,
            r.warm.seconds,
            100.0 * r.warm.seconds / r.cold.seconds,
            r.cold.peak_rss_mib,
            r.snapshot_mib,
            r.files_listed as f64 / r.cold.seconds,
            (r.definitions + r.references) as f64 / r.cold.seconds,
            r.definitions_lookup.p50_us,
            r.definitions_lookup.p99_us,
            r.references_lookup.p50_us,
            r.references_lookup.p99_us,
        );
    }
}
