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
    /// The most characters of one answer, whichever form the client forwards
    /// to the model (default 20000, or `[mcp] budget` in code-index.toml).
    #[arg(long, value_parser = parse_budget)]
    budget: Option<usize>,
    /// Answer with structured content (a JSON object with the text, `total`,
    /// `next_offset` and `notes`, and an output schema per tool) besides the
    /// text. Off by default: Claude Code and Codex CLI then show the model
    /// only that JSON. Also `[mcp] structured = true` in code-index.toml.
    #[arg(long)]
    structured: bool,
}

fn parse_budget(s: &str) -> Result<usize, String> {
    let range = code_index_protocol::config::BUDGET_RANGE;
    let n: usize = s
        .parse()
        .map_err(|_| format!("{s:?} is not a number of characters"))?;
    if range.contains(&n) {
        Ok(n)
    } else {
        Err(format!(
            "{n} is out of range: give {} to {} characters",
            range.start(),
            range.end()
        ))
    }
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
    // A broken code-index.toml must not cost the assistant its tools: the
    // daemon reports it; here the defaults apply.
    let project = crate::project_config(&root).unwrap_or_else(|err| {
        tracing::warn!(root = %root.display(), "{err:#}; answering with the default budget");
        code_index_protocol::ProjectConfig::default()
    });
    let payload = code_index_mcp::payload::Payload {
        budget: args
            .budget
            .or(project.mcp_budget)
            .unwrap_or(code_index_mcp::payload::DEFAULT_BUDGET),
        structured: args.structured || project.mcp_structured.unwrap_or(false),
        wire: false,
    };
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
        payload,
    ))
}
