//! Logs to stderr and to `<root>/.code-index/daemon.log`, filtered by
//! `RUST_LOG` (default: `info`).

use std::io::Write;
use std::path::Path;
use std::sync::{Arc, Mutex};

use anyhow::Context;
use tracing_subscriber::fmt::MakeWriter;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::{EnvFilter, Layer};

/// The log file's name inside the state directory.
pub const LOG_FILE: &str = "daemon.log";

/// An appending log file shared by every logging thread.
#[derive(Clone)]
struct LogFile(Arc<Mutex<std::fs::File>>);

impl Write for LogFile {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0
            .lock()
            .map_err(|_| std::io::Error::other("log lock poisoned"))?
            .write(buf)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.0
            .lock()
            .map_err(|_| std::io::Error::other("log lock poisoned"))?
            .flush()
    }
}

impl<'a> MakeWriter<'a> for LogFile {
    type Writer = LogFile;

    fn make_writer(&'a self) -> Self::Writer {
        self.clone()
    }
}

pub fn init(root: &Path, to_stderr: bool) -> anyhow::Result<()> {
    let path = root
        .join(code_index_core::snapshot::STATE_DIR)
        .join(LOG_FILE);
    let file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(&path)
        .with_context(|| format!("opening the log file {}", path.display()))?;
    let filter = || EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let stderr = to_stderr.then(|| {
        tracing_subscriber::fmt::layer()
            .with_writer(std::io::stderr)
            .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
            .with_filter(filter())
    });
    let to_file = tracing_subscriber::fmt::layer()
        .with_writer(LogFile(Arc::new(Mutex::new(file))))
        .with_ansi(false)
        .with_filter(filter());
    tracing_subscriber::registry()
        .with(stderr)
        .with(to_file)
        .try_init()
        .ok();
    Ok(())
}
