//! `code-index`: one binary for the index, the daemon and the MCP server.

mod daemon_cmd;
mod doctor_cmd;
mod human;
mod index_cmd;
mod logging;
mod mcp_cmd;
mod query_cmd;
mod running;
mod status_cmd;
mod stop_cmd;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(
    name = "code-index",
    version,
    about = "A tree-sitter code index for AI coding assistants",
    long_about = "A tree-sitter code index for AI coding assistants.\n\n\
        It indexes definitions, references, calls and imports of 16 languages and \
        answers where things are defined, who calls them and what a file contains. \
        An assistant runs `code-index mcp`; one daemon per project keeps the index \
        fresh and is started on demand.",
    after_help = "Getting started:\n  \
        code-index query repo_map          the project's main files (starts its daemon)\n  \
        code-index query                   the tools an assistant gets\n  \
        code-index status                  the project's daemon\n  \
        code-index doctor                  check the setup, with fixes\n  \
        claude mcp add code-index -- code-index mcp   use it from Claude Code"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Index a tree and print a summary (warm start from the snapshot when there is one).
    #[command(after_help = "Examples:\n  \
        code-index index                 index the project around the working directory\n  \
        code-index index --root ~/src/x  index another tree\n  \
        code-index index --cold --json   ignore the snapshot, print JSON")]
    Index(index_cmd::IndexArgs),
    /// Run the daemon for a project root in the foreground (clients start one on demand).
    #[command(after_help = "Examples:\n  \
        code-index daemon                          serve the project around the working directory\n  \
        code-index daemon --port 7070              on a fixed port\n  \
        RUST_LOG=debug code-index daemon --idle-timeout 0   debug logs, never exit on idle\n\n\
        Logs go to stderr and to <root>/.code-index/daemon.log.")]
    Daemon(daemon_cmd::DaemonArgs),
    /// Serve MCP over stdio for an assistant (Claude Code, Cursor, Codex CLI, ...).
    #[command(after_help = "Examples:\n  \
        code-index mcp                     serve the project around the working directory\n  \
        code-index mcp --root ~/src/app    serve another project\n\n\
        stdout carries MCP's JSON-RPC only; logs go to stderr and <root>/.code-index/mcp.log.\n\
        The project's daemon is started on demand.")]
    Mcp(mcp_cmd::McpArgs),
    /// Call one of the MCP tools from the shell, with the answer an assistant gets.
    #[command(after_help = "Examples:\n  \
        code-index query                                      list the tools\n  \
        code-index query find_references --describe           what it answers, its arguments\n  \
        code-index query repo_map                             the project's main files\n  \
        code-index query find_definition --arg name=Config    where Config is defined\n  \
        code-index query find_references -a name=parse -a limit=10\n  \
        code-index query search_symbols -a query=conf -a kind=function,method --json\n\n\
        The project's daemon is started if none runs, and the answer waits until the \
        index is complete (--no-wait answers at once). Without a required argument, \
        the tool's arguments are listed. Exits with 1 when the tool reports an error.")]
    Query(query_cmd::QueryArgs),
    /// Show the project's daemon: pid, port, version, state, files, symbols, watcher.
    #[command(after_help = "Examples:\n  \
        code-index status                  the project around the working directory\n  \
        code-index status --root ~/src/x   another project\n  \
        code-index status --json           as JSON\n\n\
        Exits with 0 when a daemon runs, 3 when none does, 1 when it cannot be reached \
        or the lockfile belongs to another root. It never starts one.")]
    Status(status_cmd::StatusArgs),
    /// Ask the project's daemon to save its snapshot and exit.
    #[command(after_help = "Examples:\n  \
        code-index stop                    the project around the working directory\n  \
        code-index stop --root ~/src/x     another project\n\n\
        Clients still attached start a new daemon on their next call.")]
    Stop(stop_cmd::StopArgs),
    /// Check the setup (root, lockfile, daemon, versions, watches, MCP) and say how to fix it.
    #[command(after_help = "Examples:\n  \
        code-index doctor                  check the project around the working directory\n  \
        code-index doctor --root ~/src/x   another project\n  \
        code-index doctor --json           findings as JSON\n\n\
        Exits with 1 when a check fails (warnings alone exit with 0). It starts no daemon.")]
    Doctor(doctor_cmd::DoctorArgs),
}

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    code_index_core::alloc::use_mimalloc_for_parsers();
    let cli = Cli::parse();
    let done = ExitCode::SUCCESS;
    let result = match cli.command {
        // The daemon and the MCP server log to their own files as well.
        Command::Daemon(args) => daemon_cmd::run(args).map(|()| done),
        Command::Mcp(args) => mcp_cmd::run(args).map(|()| done),
        command => {
            // `query` prints the tools' errors itself.
            let level = if matches!(command, Command::Query(_)) {
                "error"
            } else {
                "warn"
            };
            let _ = logging::init(None, true, level);
            match command {
                Command::Index(args) => index_cmd::run(args).map(|()| done),
                Command::Query(args) => query_cmd::run(args),
                Command::Status(args) => status_cmd::run(args),
                Command::Stop(args) => stop_cmd::run(args).map(|()| done),
                Command::Doctor(args) => doctor_cmd::run(args),
                Command::Daemon(_) | Command::Mcp(_) => unreachable!("handled above"),
            }
        }
    };
    match result {
        Ok(code) => code,
        Err(err) => {
            write_stderr(&format!("error: {err:#}\n"));
            ExitCode::FAILURE
        }
    }
}

/// `--root`, else the nearest ancestor of the working directory with `.git`,
/// else the working directory; canonical.
pub fn resolve_root(root: Option<PathBuf>) -> anyhow::Result<PathBuf> {
    use anyhow::Context;
    let start = match root {
        Some(root) => root,
        None => {
            let cwd = std::env::current_dir().context("cannot read the working directory")?;
            code_index_core::discover::find_project_root(&cwd)
        }
    };
    code_index_core::discover::canonical_root(&start)
}

/// Writes to stderr, ignoring failure: a full disk or a closed stderr must
/// not turn an error into a panic (`eprintln!` panics when it cannot write).
pub fn write_stderr(text: &str) {
    use std::io::Write;
    let mut stderr = std::io::stderr().lock();
    let _ = stderr.write_all(text.as_bytes());
    let _ = stderr.flush();
}

/// Writes to stdout; a reader that went away (`| head`) is not an error.
pub fn write_stdout(text: &str) -> anyhow::Result<()> {
    use std::io::Write;
    let mut stdout = std::io::stdout().lock();
    match stdout
        .write_all(text.as_bytes())
        .and_then(|()| stdout.flush())
    {
        Err(err) if err.kind() != std::io::ErrorKind::BrokenPipe => {
            Err(anyhow::Error::new(err).context("writing to stdout"))
        }
        _ => Ok(()),
    }
}

/// `<root>/.code-index/`, created (with its `.gitignore`) if needed.
pub fn state_dir(root: &std::path::Path) -> anyhow::Result<PathBuf> {
    use anyhow::Context;
    code_index_core::snapshot::ensure_state_dir(root).with_context(|| {
        format!(
            "cannot create the state directory in {} (is it writable?)",
            root.display()
        )
    })
}

/// The root's `code-index.toml`, with its exclude globs checked.
pub fn project_config(
    root: &std::path::Path,
) -> anyhow::Result<code_index_protocol::ProjectConfig> {
    use anyhow::Context;
    let fix = || {
        format!(
            "fix {} (the README's Configuration section lists its keys)",
            code_index_protocol::config::config_path(root).display()
        )
    };
    let config = code_index_protocol::ProjectConfig::load(root).with_context(fix)?;
    code_index_core::discover::check_exclude(root, &config.exclude).with_context(fix)?;
    Ok(config)
}
