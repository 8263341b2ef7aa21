//! `code-index status`: the daemon of a root, or that none runs.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Args;
use code_index_protocol::{LockPayload, StatsResult, StatusResult};
use serde::Serialize;

use crate::human::{bytes, count, daemon_state, duration, thousands};
use crate::running::{self, Found};
use code_index_protocol::calls;

/// The exit status when no daemon runs (as in LSB init scripts).
pub const NOT_RUNNING: u8 = 3;

#[derive(Args)]
pub struct StatusArgs {
    /// The project root (default: the git root around the working directory).
    #[arg(long)]
    root: Option<PathBuf>,
    /// Print the status as JSON on stdout.
    #[arg(long)]
    json: bool,
}

/// What `--json` prints. The lockfile's token is left out.
#[derive(Serialize)]
struct Report {
    root: String,
    running: bool,
    /// `running`, `starting`, `stale` (a lockfile left by a killed daemon) or `none`.
    daemon: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pid: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    port: Option<u16>,
    #[serde(skip_serializing_if = "Option::is_none")]
    status: Option<StatusResult>,
    #[serde(skip_serializing_if = "Option::is_none")]
    stats: Option<StatsResult>,
}

pub fn run(args: StatusArgs) -> anyhow::Result<ExitCode> {
    let root = crate::resolve_root(args.root)?;
    let shown = root.display().to_string();
    let mut report = Report {
        root: shown.clone(),
        running: false,
        daemon: "none",
        pid: None,
        port: None,
        status: None,
        stats: None,
    };
    let text = match running::find(&root, "code-index status")? {
        Found::Nothing(None) => {
            format!("No daemon is running for {shown}; clients start one on demand.\n")
        }
        Found::Nothing(Some(pid)) => {
            report.daemon = "stale";
            report.pid = Some(pid);
            format!(
                "No daemon is running for {shown}; clients start one on demand.\n\
                 (Its last daemon, pid {pid}, did not exit cleanly; its lockfile is taken over by the next one.)\n"
            )
        }
        Found::Starting(pid) => {
            report.running = true;
            report.daemon = "starting";
            report.pid = pid;
            match pid {
                Some(pid) => format!("The daemon for {shown} (pid {pid}) is starting.\n"),
                None => format!("A daemon for {shown} is starting.\n"),
            }
        }
        Found::Live(mut live) => {
            let status: StatusResult = running::op::<calls::Status>(&mut live.client, &())?;
            let stats: StatsResult = running::op::<calls::Stats>(&mut live.client, &())?;
            let text = describe(&live.payload, &status, &stats, &root);
            report.running = true;
            report.daemon = "running";
            report.pid = Some(status.pid);
            report.port = live.payload.port;
            report.status = Some(status);
            report.stats = Some(stats);
            text
        }
    };
    if args.json {
        crate::write_stdout(&(serde_json::to_string_pretty(&report)? + "\n"))?;
    } else {
        crate::write_stdout(&text)?;
    }
    Ok(if report.running {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(NOT_RUNNING)
    })
}

fn describe(
    payload: &LockPayload,
    status: &StatusResult,
    stats: &StatsResult,
    root: &std::path::Path,
) -> String {
    let mut out = format!("Daemon for {}\n", status.root);
    let port = payload.port.map_or("-".to_string(), |p| p.to_string());
    out += &format!(
        "  pid        {}, port {port}, version {} (protocol {})\n",
        status.pid, status.version, status.protocol
    );
    out += &format!("  state      {}\n", daemon_state(status));
    let idle = match status.idle_timeout_seconds {
        0 => "never exits on idle".to_string(),
        s => format!("exits after {} without clients", duration(s)),
    };
    let connections = status.connections.saturating_sub(1);
    out += &format!(
        "  up         {}, {}, {idle}\n",
        duration(status.uptime_seconds),
        count(connections, "other connection", "other connections"),
    );
    out += &format!(
        "  files      {} ({} parsed)\n",
        thousands(stats.files),
        thousands(stats.parsed_files)
    );
    out += &format!(
        "  symbols    {}, {}\n",
        count(stats.definitions, "definition", "definitions"),
        count(stats.references, "reference", "references")
    );
    out += &format!("  memory     {} of index\n", bytes(stats.memory_bytes));
    let mut watcher = status.watcher.clone();
    if let Some(batches) = status.watcher_batches {
        watcher += &format!(
            ", {} applied",
            count(batches, "change batch", "change batches")
        );
    }
    if let Some(repairs) = status.watcher_repairs.filter(|&r| r > 0) {
        watcher += &format!(
            ", {} of what events missed",
            count(repairs, "repair", "repairs")
        );
    }
    if let Some(detail) = &status.watcher_detail {
        watcher += &format!(" ({detail})");
    }
    out += &format!("  watcher    {watcher}\n");
    out += &format!(
        "  log        {}\n",
        root.join(code_index_protocol::lockfile::STATE_DIR)
            .join(code_index_daemon::LOG_FILE)
            .display()
    );
    out
}
