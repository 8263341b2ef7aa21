//! `<root>/.code-index/daemon.lock`: how clients find a root's daemon, and
//! how daemons make sure there is only one per root.
//!
//! The daemon holds an exclusive OS lock on the file (`std::fs::File::try_lock`)
//! for its whole life, so exactly one daemon per root gets it however many
//! start at once, and the lock disappears with the process however it dies.
//! The file's content is a JSON [`LockPayload`]; the port appears in it only
//! once the daemon listens. A file whose lock nobody holds is stale: the next
//! daemon takes it over. The file is created with mode 0600: its token is what
//! lets a client in.

use std::fs::{File, OpenOptions};
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};

/// The state directory under a root, shared with the index snapshot.
pub const STATE_DIR: &str = ".code-index";
/// The lockfile's name inside [`STATE_DIR`].
pub const LOCK_FILE: &str = "daemon.lock";

/// What a running daemon publishes about itself.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LockPayload {
    pub pid: u32,
    /// The loopback port it listens on; absent until it listens.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub port: Option<u16>,
    /// The canonical root it serves.
    pub root: String,
    pub protocol: u32,
    pub version: String,
    /// Seconds since the Unix epoch.
    pub started_at: u64,
    /// The secret a client presents in `hello`.
    pub token: String,
}

/// Why the lockfile could not be taken or read.
#[derive(Debug, thiserror::Error)]
pub enum LockError {
    /// Another live daemon holds the lock; its payload, if it has written one.
    #[error("{}", held_message(.0))]
    Held(Option<LockPayload>),
    /// The lockfile describes a daemon for another root (a symlinked or
    /// copied `.code-index/`): never to be used for this one.
    #[error("the lockfile at {path} belongs to a daemon for {found}, not {expected}")]
    RootMismatch {
        path: PathBuf,
        found: String,
        expected: String,
    },
    /// No lockfile, or an empty one (a daemon that is still starting).
    #[error("no daemon lockfile at {0}")]
    Missing(PathBuf),
    /// The content is not a payload (being written, or damaged).
    #[error("the lockfile at {path} is not valid: {reason}")]
    Invalid { path: PathBuf, reason: String },
    #[error("lockfile {path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

fn held_message(payload: &Option<LockPayload>) -> String {
    match payload {
        Some(LockPayload {
            pid,
            port: Some(port),
            root,
            ..
        }) => format!("another daemon (pid {pid}, port {port}) already serves {root}"),
        Some(LockPayload { pid, root, .. }) => {
            format!("another daemon (pid {pid}, still starting) already serves {root}")
        }
        None => "another daemon already holds the lock (it is still starting)".to_string(),
    }
}

/// The lockfile path for a root.
pub fn lock_path(root: &Path) -> PathBuf {
    root.join(STATE_DIR).join(LOCK_FILE)
}

/// A held lockfile. Dropping it removes the file and releases the lock.
#[derive(Debug)]
pub struct Lockfile {
    file: Option<File>,
    path: PathBuf,
    payload: LockPayload,
}

impl Lockfile {
    /// Takes the lock for `root` (canonical), or says who holds it. The
    /// payload is written at once, without a port; call [`Lockfile::publish`]
    /// once listening.
    pub fn acquire(root: &Path, version: &str) -> Result<Lockfile, LockError> {
        let path = lock_path(root);
        let io = |source| LockError::Io {
            path: path.clone(),
            source,
        };
        create_state_dir(path.parent().expect("a lock path has a parent")).map_err(io)?;
        // A daemon that exits removes the file before unlocking it; if we
        // locked a file that was unlinked meanwhile, try again on the new one.
        for _ in 0..16 {
            let file = open_private(&path).map_err(io)?;
            match file.try_lock() {
                Ok(()) => {}
                Err(std::fs::TryLockError::WouldBlock) => {
                    return Err(LockError::Held(read_payload(&path).ok()));
                }
                Err(std::fs::TryLockError::Error(e)) => return Err(io(e)),
            }
            if !same_file(&file, &path) {
                continue;
            }
            set_private(&file).map_err(io)?;
            let payload = LockPayload {
                pid: std::process::id(),
                port: None,
                root: root.display().to_string(),
                protocol: crate::PROTOCOL_VERSION,
                version: version.to_string(),
                started_at: SystemTime::now()
                    .duration_since(UNIX_EPOCH)
                    .map_or(0, |d| d.as_secs()),
                token: random_token().map_err(io)?,
            };
            let mut lock = Lockfile {
                file: Some(file),
                path: path.clone(),
                payload,
            };
            lock.write_payload().map_err(io)?;
            return Ok(lock);
        }
        Err(LockError::Io {
            path: path.clone(),
            source: std::io::Error::other("the lockfile keeps being replaced"),
        })
    }

    /// Records the port, now that the daemon listens.
    pub fn publish(&mut self, port: u16) -> std::io::Result<()> {
        self.payload.port = Some(port);
        self.write_payload()
    }

    pub fn payload(&self) -> &LockPayload {
        &self.payload
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    fn write_payload(&mut self) -> std::io::Result<()> {
        let file = self.file.as_mut().expect("a held lockfile has its file");
        let text = serde_json::to_string_pretty(&self.payload)? + "\n";
        file.set_len(0)?;
        file.seek(SeekFrom::Start(0))?;
        file.write_all(text.as_bytes())?;
        file.sync_data()
    }

    /// Reads the payload of `root`'s lockfile, refusing one that describes
    /// another root. It says nothing of whether that daemon still runs: try
    /// its port, or [`Lockfile::is_held`].
    pub fn read(root: &Path) -> Result<LockPayload, LockError> {
        let path = lock_path(root);
        let payload = read_payload(&path)?;
        let expected = root.display().to_string();
        if payload.root != expected {
            return Err(LockError::RootMismatch {
                path,
                found: payload.root,
                expected,
            });
        }
        Ok(payload)
    }

    /// Reads the payload of `root`'s lockfile whatever root it names: for
    /// diagnostics that report a mismatch rather than refuse it.
    pub fn read_unverified(root: &Path) -> Result<LockPayload, LockError> {
        read_payload(&lock_path(root))
    }

    /// Whether some process holds `root`'s lock right now. Only for
    /// diagnostics: the probe itself takes a shared lock for an instant.
    pub fn is_held(root: &Path) -> bool {
        let Ok(file) = File::open(lock_path(root)) else {
            return false;
        };
        match file.try_lock_shared() {
            Ok(()) => {
                let _ = file.unlock();
                false
            }
            Err(_) => true,
        }
    }
}

/// What [`Lockfile::check`] found at the lockfile's path.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LockCheck {
    /// Our file, as we left it.
    Intact,
    /// Our file was gone (removed, or its directory with it) or replaced by
    /// one nobody holds; ours is back, with the same payload.
    Restored,
    /// Another live process holds the lock of the file now at the path:
    /// another daemon serves this root, and this one should exit without
    /// touching that file.
    Replaced(Option<LockPayload>),
}

impl Lockfile {
    /// Makes sure the file at the path is still the one this daemon holds,
    /// restoring it when it was removed (`rm`, `git clean -fdx`) or replaced
    /// by a file nobody holds. Meant to be called periodically.
    pub fn check(&mut self) -> std::io::Result<LockCheck> {
        let ours = self.file.as_ref().expect("a held lockfile has its file");
        if same_file(ours, &self.path) {
            return Ok(LockCheck::Intact);
        }
        create_state_dir(self.path.parent().expect("a lock path has a parent"))?;
        for _ in 0..16 {
            let file = open_private(&self.path)?;
            match file.try_lock() {
                Ok(()) => {}
                Err(std::fs::TryLockError::WouldBlock) => {
                    return Ok(LockCheck::Replaced(read_payload(&self.path).ok()));
                }
                Err(std::fs::TryLockError::Error(e)) => return Err(e),
            }
            if !same_file(&file, &self.path) {
                continue;
            }
            set_private(&file)?;
            // The old file's lock goes with it; it is no longer at the path.
            self.file = Some(file);
            self.write_payload()?;
            return Ok(LockCheck::Restored);
        }
        Err(std::io::Error::other("the lockfile keeps being replaced"))
    }

    /// Whether the file at the path is still ours.
    pub fn is_intact(&self) -> bool {
        self.file
            .as_ref()
            .is_some_and(|file| same_file(file, &self.path))
    }
}

impl Drop for Lockfile {
    fn drop(&mut self) {
        // Remove first, then unlock by closing: a daemon waiting for the lock
        // then opens a fresh file rather than the one being removed. A file
        // that is no longer ours (another daemon's) is left alone.
        if let Some(file) = &self.file
            && same_file(file, &self.path)
        {
            let _ = std::fs::remove_file(&self.path);
        }
        drop(self.file.take());
    }
}

/// Opens a file of the state directory (appending, or truncating), readable
/// and writable by its owner only whatever the umask; an existing file is
/// made private too.
pub fn open_private_file(path: &Path, append: bool) -> std::io::Result<File> {
    let mut options = OpenOptions::new();
    options.create(true);
    if append {
        options.append(true);
    } else {
        options.write(true).truncate(true);
    }
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let file = options.open(path)?;
    set_private(&file)?;
    Ok(file)
}

/// Creates the state directory, private (0700) whatever the umask.
pub fn create_state_dir(dir: &Path) -> std::io::Result<()> {
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder.create(dir)
}

fn read_payload(path: &Path) -> Result<LockPayload, LockError> {
    let mut text = String::new();
    match File::open(path).and_then(|mut f| f.read_to_string(&mut text)) {
        Ok(_) => {}
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Err(LockError::Missing(path.to_path_buf()));
        }
        Err(source) => {
            return Err(LockError::Io {
                path: path.to_path_buf(),
                source,
            });
        }
    }
    if text.trim().is_empty() {
        return Err(LockError::Missing(path.to_path_buf()));
    }
    serde_json::from_str(&text).map_err(|e| LockError::Invalid {
        path: path.to_path_buf(),
        reason: e.to_string(),
    })
}

#[cfg(unix)]
fn open_private(path: &Path) -> std::io::Result<File> {
    use std::os::unix::fs::OpenOptionsExt;
    OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .mode(0o600)
        .open(path)
}

#[cfg(not(unix))]
fn open_private(path: &Path) -> std::io::Result<File> {
    OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(path)
}

/// A stale lockfile may have been created with other permissions.
#[cfg(unix)]
fn set_private(file: &File) -> std::io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    file.set_permissions(std::fs::Permissions::from_mode(0o600))
}

#[cfg(not(unix))]
fn set_private(_file: &File) -> std::io::Result<()> {
    Ok(())
}

#[cfg(unix)]
fn same_file(file: &File, path: &Path) -> bool {
    use std::os::unix::fs::MetadataExt;
    match (file.metadata(), std::fs::metadata(path)) {
        (Ok(a), Ok(b)) => a.dev() == b.dev() && a.ino() == b.ino(),
        _ => false,
    }
}

#[cfg(not(unix))]
fn same_file(_file: &File, path: &Path) -> bool {
    path.exists()
}

/// 128 random bits from the OS, hex-encoded.
fn random_token() -> std::io::Result<String> {
    let mut bytes = [0u8; 16];
    getrandom::fill(&mut bytes)
        .map_err(|e| std::io::Error::other(format!("the OS gave no random bytes: {e}")))?;
    Ok(bytes.iter().map(|b| format!("{b:02x}")).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_holder_at_a_time_and_the_file_goes_with_it() {
        let dir = tempfile::tempdir().unwrap();
        let root = std::fs::canonicalize(dir.path()).unwrap();
        let mut first = Lockfile::acquire(&root, "1.0.0").unwrap();
        assert_eq!(first.payload().port, None);
        first.publish(4242).unwrap();

        match Lockfile::acquire(&root, "1.0.0") {
            Err(LockError::Held(Some(payload))) => {
                assert_eq!(payload.port, Some(4242));
                assert_eq!(payload.pid, std::process::id());
            }
            other => panic!("expected Held, got {other:?}"),
        }
        let err = Lockfile::acquire(&root, "1.0.0").unwrap_err().to_string();
        assert!(err.contains("port 4242"), "{err}");
        assert!(Lockfile::is_held(&root));

        let read = Lockfile::read(&root).unwrap();
        assert_eq!(&read, first.payload());
        assert_eq!(read.token.len(), 32);

        drop(first);
        assert!(!lock_path(&root).exists());
        assert!(!Lockfile::is_held(&root));
        assert!(matches!(Lockfile::read(&root), Err(LockError::Missing(_))));
        let again = Lockfile::acquire(&root, "1.0.0").unwrap();
        assert_ne!(again.payload().token, read.token);
    }

    #[cfg(unix)]
    #[test]
    fn the_file_is_private_and_a_stale_one_is_taken_over() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let root = std::fs::canonicalize(dir.path()).unwrap();
        let path = lock_path(&root);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, "{\"pid\": 1, \"root\": \"/elsewhere\"}").unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();

        let lock = Lockfile::acquire(&root, "1.0.0").unwrap();
        let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
        assert_eq!(lock.payload().root, root.display().to_string());
    }

    #[test]
    fn a_removed_lockfile_is_restored_and_a_replaced_one_left_alone() {
        let dir = tempfile::tempdir().unwrap();
        let root = std::fs::canonicalize(dir.path()).unwrap();
        let mut lock = Lockfile::acquire(&root, "1.0.0").unwrap();
        lock.publish(4242).unwrap();
        assert_eq!(lock.check().unwrap(), LockCheck::Intact);

        std::fs::remove_file(lock_path(&root)).unwrap();
        assert!(!lock.is_intact());
        assert_eq!(lock.check().unwrap(), LockCheck::Restored);
        assert_eq!(&Lockfile::read(&root).unwrap(), lock.payload());
        assert!(Lockfile::is_held(&root));

        // The whole state directory, as `git clean -fdx` removes it.
        std::fs::remove_dir_all(root.join(STATE_DIR)).unwrap();
        assert_eq!(lock.check().unwrap(), LockCheck::Restored);
        assert_eq!(Lockfile::read(&root).unwrap().port, Some(4242));

        // Garbage nobody holds is taken back.
        std::fs::remove_file(lock_path(&root)).unwrap();
        std::fs::write(lock_path(&root), "{}").unwrap();
        assert_eq!(lock.check().unwrap(), LockCheck::Restored);

        // Another holder's file is left alone, on check and on drop.
        std::fs::remove_file(lock_path(&root)).unwrap();
        let other = Lockfile::acquire(&root, "2.0.0").unwrap();
        match lock.check().unwrap() {
            LockCheck::Replaced(Some(payload)) => assert_eq!(payload.version, "2.0.0"),
            found => panic!("expected Replaced, got {found:?}"),
        }
        drop(lock);
        assert_eq!(Lockfile::read(&root).unwrap().version, "2.0.0");
        drop(other);
        assert!(!lock_path(&root).exists());
    }

    #[test]
    fn a_payload_for_another_root_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let root = std::fs::canonicalize(dir.path()).unwrap();
        let other = tempfile::tempdir().unwrap();
        let other = std::fs::canonicalize(other.path()).unwrap();
        let _lock = Lockfile::acquire(&other, "1.0.0").unwrap();
        // `.code-index/` of `root` is a copy of `other`'s.
        std::fs::create_dir_all(root.join(STATE_DIR)).unwrap();
        std::fs::copy(lock_path(&other), lock_path(&root)).unwrap();
        match Lockfile::read(&root) {
            Err(LockError::RootMismatch {
                found, expected, ..
            }) => {
                assert_eq!(found, other.display().to_string());
                assert_eq!(expected, root.display().to_string());
            }
            other => panic!("expected RootMismatch, got {other:?}"),
        }
    }

    #[test]
    fn garbage_is_invalid_and_empty_is_missing() {
        let dir = tempfile::tempdir().unwrap();
        let root = std::fs::canonicalize(dir.path()).unwrap();
        std::fs::create_dir_all(root.join(STATE_DIR)).unwrap();
        std::fs::write(lock_path(&root), "").unwrap();
        assert!(matches!(Lockfile::read(&root), Err(LockError::Missing(_))));
        std::fs::write(lock_path(&root), "{not json").unwrap();
        assert!(matches!(
            Lockfile::read(&root),
            Err(LockError::Invalid { .. })
        ));
    }
}
