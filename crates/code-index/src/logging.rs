//! Logging for every command: stderr and, for the daemon and the MCP server,
//! a log file under `<root>/.code-index/`, filtered by `RUST_LOG`.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use anyhow::Context;
use tracing_subscriber::fmt::MakeWriter;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::{EnvFilter, Layer};

/// A log file grows to this size, then becomes `<name>.1` (replacing the
/// previous one) and a new file starts: a long-lived daemon keeps at most
/// twice this much log.
const MAX_LOG_BYTES: u64 = 8 << 20;

/// An appending log file shared by every logging thread, rotated by size.
#[derive(Clone)]
struct LogFile(Arc<Mutex<RotatingFile>>);

struct RotatingFile {
    path: PathBuf,
    file: std::fs::File,
    /// Bytes in the file as far as this process knows (others may append).
    len: u64,
    max_len: u64,
}

impl RotatingFile {
    fn open(path: &Path, max_len: u64) -> std::io::Result<RotatingFile> {
        // Logs name paths of the project: private, like the rest of the
        // state directory, whatever the umask.
        let file = code_index_protocol::lockfile::open_private_file(path, true)?;
        let len = file.metadata()?.len();
        Ok(RotatingFile {
            path: path.to_path_buf(),
            file,
            len,
            max_len,
        })
    }

    fn rotate(&mut self) -> std::io::Result<()> {
        let mut old = self.path.clone().into_os_string();
        old.push(".1");
        std::fs::rename(&self.path, &old)?;
        *self = RotatingFile::open(&self.path, self.max_len)?;
        Ok(())
    }
}

impl Write for RotatingFile {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        if !self.path.exists() {
            // Removed under us (`git clean -fdx`): log on in a new file
            // once the directory is back, in the old one until then.
            if let Ok(fresh) = RotatingFile::open(&self.path, self.max_len) {
                *self = fresh;
            }
        } else if self.len > 0 && self.len + buf.len() as u64 > self.max_len {
            // Logging on in the old file beats losing the line.
            let _ = self.rotate();
        }
        let n = self.file.write(buf)?;
        self.len += n as u64;
        Ok(n)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.file.flush()
    }
}

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

/// Installs the global subscriber: stderr unless `to_stderr` is false, and
/// `file` (appended to) when given. `default_level` applies when `RUST_LOG`
/// is not set. Never writes to stdout.
pub fn init(file: Option<&Path>, to_stderr: bool, default_level: &str) -> anyhow::Result<()> {
    let file = match file {
        Some(path) => Some(
            RotatingFile::open(path, MAX_LOG_BYTES)
                .with_context(|| format!("opening the log file {}", path.display()))?,
        ),
        None => None,
    };
    let filter =
        || EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(default_level));
    let stderr = to_stderr.then(|| {
        tracing_subscriber::fmt::layer()
            .with_writer(std::io::stderr)
            .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
            .with_filter(filter())
    });
    let to_file = file.map(|file| {
        tracing_subscriber::fmt::layer()
            .with_writer(LogFile(Arc::new(Mutex::new(file))))
            .with_ansi(false)
            .with_filter(filter())
    });
    tracing_subscriber::registry()
        .with(stderr)
        .with(to_file)
        .try_init()
        .ok();
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_full_log_file_moves_aside_and_a_new_one_starts() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("daemon.log");
        std::fs::write(&path, "earlier run\n").unwrap();
        let mut log = RotatingFile::open(&path, 64).unwrap();
        for i in 0..10 {
            // tracing writes each event with one call, as here.
            log.write_all(format!("line {i} of the log\n").as_bytes())
                .unwrap();
        }
        let current = std::fs::read_to_string(&path).unwrap();
        let previous = std::fs::read_to_string(dir.path().join("daemon.log.1")).unwrap();
        assert!(current.len() <= 64, "{current:?}");
        assert!(previous.len() <= 64, "{previous:?}");
        assert!(current.ends_with("line 9 of the log\n"), "{current:?}");
        assert!(!previous.contains("earlier run"), "older files are dropped");
        // No line is split across the two files.
        assert!(current.starts_with("line "), "{current:?}");
        assert!(previous.starts_with("line "), "{previous:?}");
    }
}
