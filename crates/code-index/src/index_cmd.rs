//! `code-index index`: index a tree, print a summary, save the snapshot.

use std::io::IsTerminal;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use anyhow::Context;
use clap::Args;
use code_index_core::snapshot::{self, SnapshotError};
use code_index_core::{BuildReport, Index, IndexOptions, Stats};
use serde::Serialize;

use crate::human::{bytes, thousands};

#[derive(Args)]
pub struct IndexArgs {
    /// The tree to index (default: the git root around the working directory).
    #[arg(long)]
    root: Option<PathBuf>,
    /// Print the summary as JSON on stdout.
    #[arg(long)]
    json: bool,
    /// Ignore the snapshot and index everything afresh.
    #[arg(long)]
    cold: bool,
    /// Files larger than this are listed but not parsed (bytes, or with K, M,
    /// G) [default: `max_file_size` in code-index.toml, else 1M].
    #[arg(long, value_parser = code_index_protocol::config::parse_size)]
    max_file_size: Option<u64>,
    /// Do not write the snapshot.
    #[arg(long)]
    no_save: bool,
}

/// How the run started.
#[derive(Serialize)]
#[serde(rename_all = "snake_case")]
enum Start {
    /// No usable snapshot, or `--cold`.
    Cold,
    /// From the snapshot, re-parsing only what changed.
    Warm,
}

#[derive(Serialize)]
struct Summary {
    root: String,
    start: Start,
    /// Why the snapshot was not used, when it was not.
    #[serde(skip_serializing_if = "Option::is_none")]
    snapshot_discarded: Option<String>,
    snapshot_path: String,
    snapshot_bytes: u64,
    load_ms: f64,
    build: BuildReport,
    save_ms: f64,
    elapsed_ms: f64,
    stats: Stats,
}

pub fn run(args: IndexArgs) -> anyhow::Result<()> {
    let started = Instant::now();
    let root = crate::resolve_root(args.root)?;
    let config = crate::project_config(&root)?;
    let options = IndexOptions {
        max_file_size: args
            .max_file_size
            .or(config.max_file_size)
            .unwrap_or(code_index_core::discover::DEFAULT_MAX_FILE_SIZE),
        exclude: config.exclude,
        ..IndexOptions::default()
    };
    let snapshot_path = snapshot::snapshot_path(&root);

    let mut discarded = None;
    let load_started = Instant::now();
    let (mut index, start) = if args.cold {
        (Index::new(&root), Start::Cold)
    } else {
        match Index::load(&root, &snapshot_path) {
            Ok(index) => (index, Start::Warm),
            Err(SnapshotError::Missing(_)) => (Index::new(&root), Start::Cold),
            Err(err) => {
                tracing::warn!(
                    "discarding the snapshot at {}: {err}; indexing afresh",
                    snapshot_path.display()
                );
                discarded = Some(err.to_string());
                (Index::new(&root), Start::Cold)
            }
        }
    };
    let load_ms = ms(load_started.elapsed());

    let bar = progress_bar(args.json);
    let build = index
        .refresh(&options, &mut |p| {
            if let Some(bar) = &bar {
                bar.set_length(p.total as u64);
                bar.set_position(p.done as u64);
            }
        })
        .with_context(|| format!("indexing {}", root.display()))?;
    if let Some(bar) = bar {
        bar.finish_and_clear();
    }

    let save_started = Instant::now();
    let unchanged_warm = matches!(start, Start::Warm) && !build.changed_anything();
    let snapshot_bytes = if args.no_save {
        0
    } else if unchanged_warm {
        // The snapshot already says exactly this.
        std::fs::metadata(&snapshot_path).map_or(0, |m| m.len())
    } else {
        crate::state_dir(&root)?;
        index.save(&snapshot_path).with_context(|| {
            format!(
                "writing the snapshot {} (is the directory writable?)",
                snapshot_path.display()
            )
        })?
    };
    let save_ms = ms(save_started.elapsed());

    let summary = Summary {
        root: root.display().to_string(),
        start,
        snapshot_discarded: discarded,
        snapshot_path: snapshot_path.display().to_string(),
        snapshot_bytes,
        load_ms,
        build,
        save_ms,
        elapsed_ms: ms(started.elapsed()),
        stats: index.stats(),
    };
    let text = if args.json {
        serde_json::to_string_pretty(&summary)? + "\n"
    } else {
        render_summary(&summary)
    };
    crate::write_stdout(&text)
}

fn progress_bar(json: bool) -> Option<indicatif::ProgressBar> {
    if json || !std::io::stderr().is_terminal() {
        return None;
    }
    let bar =
        indicatif::ProgressBar::with_draw_target(None, indicatif::ProgressDrawTarget::stderr());
    bar.set_style(
        indicatif::ProgressStyle::with_template(
            "{spinner} indexing {pos}/{len} files {wide_bar} {eta}",
        )
        .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
    );
    Some(bar)
}

fn ms(d: Duration) -> f64 {
    (d.as_secs_f64() * 1e5).round() / 100.0
}

/// Appends one formatted line to a `String`.
macro_rules! push_line {
    ($out:expr, $($arg:tt)*) => {{
        $out.push_str(&format!($($arg)*));
        $out.push('\n');
    }};
}

fn render_summary(s: &Summary) -> String {
    let mut out = String::new();
    let start = match s.start {
        Start::Cold => "cold".to_string(),
        Start::Warm => format!(
            "warm: {} re-parsed, {} unchanged, {} removed",
            s.build.parsed, s.build.unchanged, s.build.removed
        ),
    };
    push_line!(
        out,
        "Indexed {} in {:.2} s ({start})",
        s.root,
        s.elapsed_ms / 1000.0
    );
    if let Some(reason) = &s.snapshot_discarded {
        push_line!(
            out,
            "  note         the old snapshot was discarded: {reason}"
        );
    }
    let st = &s.stats;
    push_line!(
        out,
        "  files        {} listed, {} parsed",
        thousands(st.files as u64),
        thousands(st.parsed_files as u64)
    );
    push_line!(
        out,
        "  symbols      {} definitions ({} distinct names), {} references",
        thousands(st.definitions as u64),
        thousands(st.distinct_names as u64),
        thousands(st.references as u64)
    );
    for (lang, l) in &st.languages {
        push_line!(
            out,
            "    {lang:<11} {:>8} files {:>10} definitions {:>11} references",
            thousands(l.files as u64),
            thousands(l.definitions as u64),
            thousands(l.references as u64)
        );
    }
    if !st.skipped.is_empty() {
        let skipped: Vec<String> = st
            .skipped
            .iter()
            .map(|(why, n)| format!("{} {why}", thousands(*n as u64)))
            .collect();
        push_line!(out, "  not parsed   {}", skipped.join(", "));
    }
    if s.build.symlinks_outside_root + s.build.symlinks_inside_root > 0 {
        push_line!(
            out,
            "  symlinks     {} pointing out of the root (not followed), {} inside (indexed at their target)",
            s.build.symlinks_outside_root,
            s.build.symlinks_inside_root
        );
    }
    push_line!(
        out,
        "  errors       {} files with syntax errors (still indexed), {} parse failures",
        thousands(st.files_with_syntax_errors as u64),
        thousands(st.parse_failures as u64)
    );
    for err in s.build.walk_errors.iter().take(5) {
        push_line!(out, "    walk: {err}");
    }
    push_line!(
        out,
        "  index        {} in memory, snapshot {} at {}",
        bytes(st.memory_bytes as u64),
        bytes(s.snapshot_bytes),
        s.snapshot_path
    );
    push_line!(
        out,
        "  time         load {:.0} ms, index {:.0} ms, save {:.0} ms",
        s.load_ms,
        s.build.elapsed.as_secs_f64() * 1000.0,
        s.save_ms
    );
    out
}
