//! `code-index daemon`: run a root's daemon in the foreground.

use std::path::PathBuf;
use std::time::Duration;

use clap::Args;
use code_index_protocol::config::parse_duration;

#[derive(Args)]
pub struct DaemonArgs {
    /// The project root (default: the git root around the working directory).
    #[arg(long)]
    root: Option<PathBuf>,
    /// Loopback port to listen on (default: any free port).
    #[arg(long, default_value_t = 0)]
    port: u16,
    /// Exit after this long without clients: `30m`, `90s`, `2h`; `0` never
    /// exits [default: `idle_timeout` in code-index.toml, else 30m].
    #[arg(long, value_parser = parse_duration)]
    idle_timeout: Option<Duration>,
    /// Files larger than this are listed but not parsed (bytes, or with K, M,
    /// G) [default: `max_file_size` in code-index.toml, else 1M].
    #[arg(long, value_parser = code_index_protocol::config::parse_size)]
    max_file_size: Option<u64>,
    /// Watch at most this many directories; past it, rescan periodically instead.
    #[arg(long)]
    max_watches: Option<usize>,
    /// How often to rescan when the tree cannot be watched (`10s`, `1m`).
    #[arg(long, value_parser = parse_duration, default_value = "10s")]
    poll_interval: Duration,
    /// How often to check every watched directory against the index, repairing
    /// what the file events missed (`30s`, `2m`).
    #[arg(long, value_parser = parse_duration, default_value = "30s")]
    verify_interval: Duration,
    /// Drop the file events under this directory (relative to the root), as
    /// if the OS had lost them: for testing the periodic check.
    #[arg(long, hide = true)]
    drop_events_under: Option<String>,
    /// Fail to watch the directories under this one (relative to the root),
    /// as the OS may: for testing that the periodic check keeps them right.
    #[arg(long, hide = true)]
    unwatchable_under: Option<String>,
    /// Make the handler of this query panic, as a bug would: for testing
    /// that a panic is answered and the daemon goes on serving.
    #[arg(long, hide = true)]
    fail_on: Option<String>,
    /// Wait this long before loading the snapshot, as a slow disk would: for
    /// testing that queries wait for the load.
    #[arg(long, hide = true, value_parser = parse_duration)]
    load_delay: Option<Duration>,
    /// Wait this long before the first full pass, as a huge tree would: for
    /// testing answers given while the index is incomplete.
    #[arg(long, hide = true, value_parser = parse_duration)]
    pass_delay: Option<Duration>,
    /// `OP=DURATION`: answering this query takes that much longer (and a
    /// `cancel` ends the wait): for testing concurrent and cancelled calls.
    #[arg(long, hide = true, value_parser = parse_op_delay)]
    delay_op: Option<(String, Duration)>,
    /// Log only to <root>/.code-index/daemon.log, not to stderr (for daemons
    /// started by clients).
    #[arg(long)]
    no_stderr_log: bool,
}

/// How long a daemon waits without clients before it exits.
const DEFAULT_IDLE_TIMEOUT: Duration = Duration::from_secs(30 * 60);

pub fn run(args: DaemonArgs) -> anyhow::Result<()> {
    let root = crate::resolve_root(args.root)?;
    let state = crate::state_dir(&root)?;
    crate::logging::init(
        Some(&state.join(code_index_daemon::LOG_FILE)),
        !args.no_stderr_log,
        "info",
    )?;
    let project = crate::project_config(&root).inspect_err(|err| {
        tracing::error!(root = %root.display(), "cannot start: {err:#}");
    })?;
    let mut config = code_index_daemon::DaemonConfig::new(root, env!("CARGO_PKG_VERSION"));
    config.port = args.port;
    let idle_timeout = args
        .idle_timeout
        .or(project.idle_timeout)
        .unwrap_or(DEFAULT_IDLE_TIMEOUT);
    config.idle_timeout = (!idle_timeout.is_zero()).then_some(idle_timeout);
    if let Some(size) = args.max_file_size.or(project.max_file_size) {
        config.max_file_size = size;
    }
    config.exclude = project.exclude;
    config.max_watches = args.max_watches;
    config.poll_interval = args.poll_interval.max(Duration::from_millis(100));
    config.verify_interval = args.verify_interval.max(Duration::from_millis(100));
    config.faults = code_index_daemon::Faults {
        drop_events_under: args.drop_events_under,
        unwatchable_under: args.unwatchable_under,
        fail_on: args.fail_on,
        load_delay: args.load_delay,
        pass_delay: args.pass_delay,
        delay_op: args.delay_op,
    };
    code_index_daemon::run(config)
}

fn parse_op_delay(s: &str) -> Result<(String, Duration), String> {
    let (op, delay) = s
        .split_once('=')
        .ok_or_else(|| format!("{s:?}: write OP=DURATION, e.g. search_text=5s"))?;
    Ok((op.to_string(), parse_duration(delay)?))
}
