//! Helpers for the cross-crate integration tests under `tests/tests/`: they run
//! the real `code-index` binary on real temporary projects.
//!
//! `cargo test --workspace` builds the binary before any test runs (the
//! `code-index` package has integration tests of its own, which makes Cargo
//! build its binary); `CODE_INDEX_BIN` points the tests at another build.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// The `code-index` binary under test.
pub fn code_index_bin() -> PathBuf {
    if let Some(path) = std::env::var_os("CODE_INDEX_BIN") {
        return PathBuf::from(path);
    }
    // target/<profile>/deps/<test binary> -> target/<profile>/code-index
    let exe = std::env::current_exe().expect("the test binary has a path");
    let profile_dir = exe
        .parent()
        .and_then(Path::parent)
        .expect("test binaries live in target/<profile>/deps");
    let bin = profile_dir.join(format!("code-index{}", std::env::consts::EXE_SUFFIX));
    assert!(
        bin.exists(),
        "{} is missing: run the whole suite with `cargo test --workspace`, or `cargo build -p code-index` first",
        bin.display()
    );
    bin
}

/// A command running the binary with a clean environment for logging.
pub fn code_index() -> Command {
    let mut cmd = Command::new(code_index_bin());
    cmd.env_remove("RUST_LOG");
    cmd
}

/// A temporary project directory.
pub struct Project {
    dir: tempfile::TempDir,
}

impl Project {
    pub fn new() -> Self {
        Project {
            dir: tempfile::tempdir().expect("a temporary directory"),
        }
    }

    pub fn root(&self) -> &Path {
        self.dir.path()
    }

    /// Writes a file, creating its directories.
    pub fn write(&self, rel: &str, text: impl AsRef<[u8]>) -> &Self {
        let path = self.root().join(rel);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
        self
    }
}

impl Default for Project {
    fn default() -> Self {
        Self::new()
    }
}

/// stdout as text, after checking the command succeeded.
pub fn success(output: Output) -> String {
    assert!(
        output.status.success(),
        "command failed with {}\nstdout:\n{}\nstderr:\n{}",
        output.status,
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).expect("stdout is UTF-8")
}
