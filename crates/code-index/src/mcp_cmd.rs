//! `code-index mcp`: the MCP server over stdio.

use std::path::PathBuf;

use anyhow::Context;
use clap::Args;

#[derive(Args)]
pub struct McpArgs {
    /// The project root (default: the git root around the working directory).
    #[arg(long)]
    root: Option<PathBuf>,
    /// Never start a daemon: use the one that runs (say, started by hand with
    /// `code-index daemon`), and answer with an error while none does.
    #[arg(long)]
    no_spawn: bool,
}

pub fn run(args: McpArgs) -> anyhow::Result<()> {
    let explicit_root = args.root.is_some();
    let root = crate::resolve_root(args.root)?;
    // The server always serves: without a writable state directory it logs
    // to stderr only, and every tool that needs the daemon says why it
    // cannot have one and what to do.
    let log = match crate::state_dir(&root) {
        Ok(state) => Some(state.join("mcp.log")),
        Err(err) => {
            crate::write_stderr(&format!(
                "code-index mcp: {err:#}; serving without a daemon until that is fixed\n"
            ));
            None
        }
    };
    if crate::logging::init(log.as_deref(), true, "info").is_err() {
        crate::logging::init(None, true, "info")?;
    }
    let spawn = if args.no_spawn {
        None
    } else {
        Some(
            code_index_mcp::SpawnOptions::current_exe()
                .context("cannot find the code-index executable to start the daemon")?,
        )
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .context("starting the async runtime")?;
    runtime.block_on(code_index_mcp::server::serve_stdio(
        root,
        explicit_root,
        spawn,
    ))
}
