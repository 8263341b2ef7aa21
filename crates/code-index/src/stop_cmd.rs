//! `code-index stop`: ask a root's daemon to save its snapshot and exit.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use clap::Args;

use crate::running::{self, Found};

#[derive(Args)]
pub struct StopArgs {
    /// The project root (default: the git root around the working directory).
    #[arg(long)]
    root: Option<PathBuf>,
    /// How long to wait for the daemon to exit (`30s`, `2m`).
    #[arg(long, value_parser = code_index_protocol::config::parse_duration, default_value = "60s")]
    timeout: Duration,
}

pub fn run(args: StopArgs) -> anyhow::Result<()> {
    let root = crate::resolve_root(args.root)?;
    let shown = root.display();
    let deadline = Instant::now() + args.timeout;
    // A daemon that is starting publishes its port within moments.
    let mut live = loop {
        match running::find(&root, "code-index stop")? {
            Found::Nothing(_) => {
                return crate::write_stdout(&format!("No daemon is running for {shown}.\n"));
            }
            Found::Live(live) => break live,
            Found::Starting(pid) => {
                if Instant::now() >= deadline {
                    let advice = match pid {
                        Some(pid) => format!("stop it with `kill {pid}`"),
                        None => format!(
                            "find it with `fuser {}` and stop it",
                            code_index_protocol::lock_path(&root).display()
                        ),
                    };
                    anyhow::bail!(
                        "the daemon for {shown} is still starting after {:?}; {advice}",
                        args.timeout
                    );
                }
                std::thread::sleep(Duration::from_millis(50));
            }
        }
    };
    let pid = live.payload.pid;
    running::op::<code_index_protocol::calls::Shutdown>(&mut live.client, &())?;
    drop(live);
    // It saves its snapshot, removes its lockfile and exits. (A client may
    // start a new daemon meanwhile: that one is not ours to wait for.)
    while running::process_alive(pid) {
        if Instant::now() >= deadline {
            anyhow::bail!(
                "the daemon for {shown} (pid {pid}) is still running {:?} after being asked to stop \
                 (saving a large snapshot?); wait, or stop it with `kill {pid}`",
                args.timeout
            );
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    crate::write_stdout(&format!("Stopped the daemon for {shown} (pid {pid}).\n"))
}
