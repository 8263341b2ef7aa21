//! `code-index daemon`: run a root's daemon in the foreground.

use std::path::PathBuf;
use std::time::Duration;

use clap::Args;

#[derive(Args)]
pub struct DaemonArgs {
    /// The project root (default: the git root around the working directory).
    #[arg(long)]
    root: Option<PathBuf>,
    /// Loopback port to listen on (default: any free port).
    #[arg(long, default_value_t = 0)]
    port: u16,
    /// Exit after this long without clients: `30m`, `90s`, `2h`; `0` never exits.
    #[arg(long, value_parser = parse_duration, default_value = "30m")]
    idle_timeout: Duration,
    /// Files larger than this are listed but not parsed (bytes, or with K, M, G).
    #[arg(long, value_parser = crate::index_cmd::parse_size, default_value = "1M")]
    max_file_size: u64,
    /// Watch at most this many directories; past it, rescan periodically instead.
    #[arg(long)]
    max_watches: Option<usize>,
    /// How often to rescan when the tree cannot be watched (`10s`, `1m`).
    #[arg(long, value_parser = parse_duration, default_value = "10s")]
    poll_interval: Duration,
    /// Log only to <root>/.code-index/daemon.log, not to stderr (for daemons
    /// started by clients).
    #[arg(long)]
    no_stderr_log: bool,
}

pub fn run(args: DaemonArgs) -> anyhow::Result<()> {
    let root = crate::resolve_root(args.root)?;
    let state = crate::state_dir(&root)?;
    crate::logging::init(
        Some(&state.join(code_index_daemon::LOG_FILE)),
        !args.no_stderr_log,
        "info",
    )?;
    let mut config = code_index_daemon::DaemonConfig::new(root, env!("CARGO_PKG_VERSION"));
    config.port = args.port;
    config.idle_timeout = (!args.idle_timeout.is_zero()).then_some(args.idle_timeout);
    config.max_file_size = args.max_file_size;
    config.max_watches = args.max_watches;
    config.poll_interval = args.poll_interval.max(Duration::from_millis(100));
    code_index_daemon::run(config)
}

/// Parses `0`, `500ms`, `90s`, `30m`, `2h` (a bare number is seconds).
pub fn parse_duration(s: &str) -> Result<Duration, String> {
    let s = s.trim();
    let split = s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len());
    let (digits, unit) = s.split_at(split);
    let n: u64 = digits
        .parse()
        .map_err(|_| format!("{s:?} is not a duration: write e.g. 90s, 30m, 2h or 0"))?;
    Ok(match unit {
        "" | "s" => Duration::from_secs(n),
        "ms" => Duration::from_millis(n),
        "m" | "min" => Duration::from_secs(n * 60),
        "h" => Duration::from_secs(n * 3600),
        other => {
            return Err(format!(
                "unknown duration unit {other:?} in {s:?}: use ms, s, m or h"
            ));
        }
    })
}

#[cfg(test)]
mod tests {
    use super::parse_duration;
    use std::time::Duration;

    #[test]
    fn parses_durations() {
        assert_eq!(parse_duration("0"), Ok(Duration::ZERO));
        assert_eq!(parse_duration("90s"), Ok(Duration::from_secs(90)));
        assert_eq!(parse_duration("30m"), Ok(Duration::from_secs(1800)));
        assert_eq!(parse_duration("2h"), Ok(Duration::from_secs(7200)));
        assert_eq!(parse_duration("250ms"), Ok(Duration::from_millis(250)));
        assert!(parse_duration("soon").is_err());
        assert!(
            parse_duration("5d")
                .unwrap_err()
                .contains("unknown duration unit")
        );
    }
}
