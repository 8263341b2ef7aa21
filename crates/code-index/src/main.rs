//! `code-index`: one binary for the index, the daemon and the MCP server.

mod daemon_cmd;
mod index_cmd;
mod logging;
mod mcp_cmd;

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
        answers where things are defined, who calls them and what a file contains."
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
}

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    code_index_core::alloc::use_mimalloc_for_parsers();
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Index(args) => {
            let _ = logging::init(None, true, "warn");
            index_cmd::run(args)
        }
        // The daemon and the MCP server log to their own files as well.
        Command::Daemon(args) => daemon_cmd::run(args),
        Command::Mcp(args) => mcp_cmd::run(args),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("error: {err:#}");
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
