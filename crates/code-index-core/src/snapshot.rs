//! The on-disk snapshot of an index, in `<root>/.code-index/index.bin`.
//!
//! Layout: a 40-byte header — magic `CODEIDX\0`, format version (u32), flags
//! (u32, zero), fingerprint of the extraction queries (u64), payload length
//! (u64), xxh3 checksum of the payload (u64), all little-endian — then the
//! payload: the root and then each file, every one a frame of its length (u32
//! little-endian) and its postcard encoding. Frames let a snapshot be written
//! and read one file at a time, never holding the whole encoding in memory.
//!
//! Invariants: a snapshot is written to a temporary file and renamed into
//! place, so a reader sees the old or the new one, never half of one; a
//! snapshot that is truncated, corrupt, of another format version or made by
//! other extraction queries is refused with a [`SnapshotError`], never trusted.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use crate::index::Index;
use crate::language::Language;
use crate::model::FileSymbols;

/// Bumped whenever the layout of [`SnapshotBody`] or the model changes.
pub const FORMAT_VERSION: u32 = 4;
const MAGIC: &[u8; 8] = b"CODEIDX\0";
const HEADER_LEN: usize = 40;

/// The directory, under a root, where code-index keeps its state.
pub const STATE_DIR: &str = ".code-index";
/// The snapshot's file name inside [`STATE_DIR`].
pub const SNAPSHOT_FILE: &str = "index.bin";

/// Why a snapshot could not be used.
#[derive(Debug, thiserror::Error)]
pub enum SnapshotError {
    #[error("no snapshot at {0}")]
    Missing(PathBuf),
    #[error("cannot read or write the snapshot: {0}")]
    Io(#[from] std::io::Error),
    #[error("not a code-index snapshot (bad magic bytes)")]
    BadMagic,
    #[error("snapshot format version {found}, this build reads version {expected}")]
    Version { found: u32, expected: u32 },
    #[error("snapshot made with different extraction rules (an older or newer code-index)")]
    Fingerprint,
    #[error("snapshot is truncated: {found} bytes of payload, header says {expected}")]
    Truncated { found: u64, expected: u64 },
    #[error("snapshot checksum mismatch: the file is corrupt")]
    Checksum,
    #[error("snapshot payload does not decode: {0}")]
    Decode(String),
}

/// The snapshot path for a root.
pub fn snapshot_path(root: &Path) -> PathBuf {
    root.join(STATE_DIR).join(SNAPSHOT_FILE)
}

/// A hash of everything that decides what extraction produces: when the
/// queries change, old snapshots no longer describe what a parse would give.
pub fn extraction_fingerprint() -> u64 {
    static FINGERPRINT: OnceLock<u64> = OnceLock::new();
    *FINGERPRINT.get_or_init(|| {
        let mut all = String::from(env!("CARGO_PKG_VERSION"));
        all.push_str(&crate::extract::EXTRACTOR_REVISION.to_string());
        for lang in Language::ALL {
            all.push_str(lang.name());
            all.push_str(&lang.full_query());
        }
        xxhash_rust::xxh3::xxh3_64(all.as_bytes())
    })
}

/// Creates `<root>/.code-index/` with a `.gitignore` that ignores everything in it.
///
/// The directory is private (0700) whatever the umask: it holds the daemon's
/// token and the snapshot the daemon trusts. An existing one is made private
/// too when it is ours.
pub fn ensure_state_dir(root: &Path) -> std::io::Result<PathBuf> {
    let dir = root.join(STATE_DIR);
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::{DirBuilderExt, PermissionsExt};
        builder.mode(0o700);
        builder.create(&dir)?;
        let meta = std::fs::metadata(&dir)?;
        if meta.permissions().mode() & 0o077 != 0 {
            std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o700))?;
        }
    }
    #[cfg(not(unix))]
    builder.create(&dir)?;
    let gitignore = dir.join(".gitignore");
    if !gitignore.exists() {
        use std::io::Write;
        create_private(&gitignore)?.write_all(b"*\n")?;
    }
    Ok(dir)
}

/// Creates (or truncates) a file readable and writable by its owner only,
/// whatever the umask.
pub fn create_private(path: &Path) -> std::io::Result<std::fs::File> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
        options.mode(0o600);
        let file = options.open(path)?;
        file.set_permissions(std::fs::Permissions::from_mode(0o600))?;
        Ok(file)
    }
    #[cfg(not(unix))]
    options.open(path)
}

/// Largest frame accepted: far above any file the index keeps.
const MAX_FRAME: usize = 1 << 30;

/// Writes through to `inner`, hashing and counting what passes.
struct HashingWriter<W> {
    inner: W,
    hasher: xxhash_rust::xxh3::Xxh3,
    len: u64,
}

impl<W: Write> HashingWriter<W> {
    fn frame(&mut self, bytes: &[u8]) -> std::io::Result<()> {
        let len = u32::try_from(bytes.len())
            .map_err(|_| std::io::Error::other("a snapshot frame over 4 GiB"))?;
        self.write_all(&len.to_le_bytes())?;
        self.write_all(bytes)
    }
}

impl<W: Write> Write for HashingWriter<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.hasher.update(&buf[..n]);
        self.len += n as u64;
        Ok(n)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush()
    }
}

fn header(payload_len: u64, checksum: u64) -> [u8; HEADER_LEN] {
    let mut header = [0u8; HEADER_LEN];
    header[..8].copy_from_slice(MAGIC);
    header[8..12].copy_from_slice(&FORMAT_VERSION.to_le_bytes());
    header[16..24].copy_from_slice(&extraction_fingerprint().to_le_bytes());
    header[24..32].copy_from_slice(&payload_len.to_le_bytes());
    header[32..40].copy_from_slice(&checksum.to_le_bytes());
    header
}

impl Index {
    /// Writes the snapshot atomically to `path`; returns its size in bytes.
    pub fn save(&self, path: &Path) -> Result<u64, SnapshotError> {
        use std::io::{Seek, SeekFrom};

        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir)?;
        }
        remove_abandoned_temporaries(path);
        let tmp = path.with_extension(format!("tmp.{}", std::process::id()));
        let write = || -> Result<u64, SnapshotError> {
            let file = create_private(&tmp)?;
            let mut out = HashingWriter {
                inner: std::io::BufWriter::with_capacity(1 << 20, file),
                hasher: xxhash_rust::xxh3::Xxh3::new(),
                len: 0,
            };
            out.inner.write_all(&[0u8; HEADER_LEN])?;
            let mut buf = Vec::new();
            encode(&self.root().display().to_string(), &mut buf)?;
            out.frame(&buf)?;
            out.write_all(&(self.len() as u64).to_le_bytes())?;
            for (_, file) in self.files() {
                encode(file, &mut buf)?;
                out.frame(&buf)?;
            }
            let (payload_len, checksum) = (out.len, out.hasher.digest());
            let mut file = out.inner.into_inner().map_err(|e| e.into_error())?;
            file.seek(SeekFrom::Start(0))?;
            file.write_all(&header(payload_len, checksum))?;
            file.sync_all()?;
            std::fs::rename(&tmp, path)?;
            Ok(HEADER_LEN as u64 + payload_len)
        };
        write().inspect_err(|_| {
            let _ = std::fs::remove_file(&tmp);
        })
    }

    /// Reads a snapshot into a fresh index for `root`. Files are decoded and
    /// indexed as they are read; the index is returned only if the whole
    /// payload matches its checksum.
    pub fn load(root: &Path, path: &Path) -> Result<Index, SnapshotError> {
        Self::load_with_progress(root, path, &mut |_, _| {})
    }

    /// [`Index::load`], calling `progress(files loaded, files in all)` as it goes.
    pub fn load_with_progress(
        root: &Path,
        path: &Path,
        progress: &mut dyn FnMut(u64, u64),
    ) -> Result<Index, SnapshotError> {
        use std::io::Read;

        let file = match std::fs::File::open(path) {
            Ok(file) => file,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Err(SnapshotError::Missing(path.to_path_buf()));
            }
            Err(e) => return Err(e.into()),
        };
        let file_len = file.metadata()?.len();
        let mut input = std::io::BufReader::with_capacity(1 << 20, file);
        let mut head = Vec::with_capacity(HEADER_LEN);
        (&mut input)
            .take(HEADER_LEN as u64)
            .read_to_end(&mut head)?;
        let (payload_len, checksum) = check_header(&head)?;
        let found = file_len.saturating_sub(HEADER_LEN as u64);
        if found != payload_len {
            return Err(SnapshotError::Truncated {
                found,
                expected: payload_len,
            });
        }

        let mut reader = HashingReader {
            inner: input,
            hasher: xxhash_rust::xxh3::Xxh3::new(),
        };
        let mut decode = || -> Result<Index, SnapshotError> {
            let mut buf = Vec::new();
            let _root: String = reader.frame(&mut buf)?;
            let mut count = [0u8; 8];
            reader.read_exact(&mut count).map_err(truncated)?;
            let count = u64::from_le_bytes(count);
            let mut index = Index::new(root);
            for done in 0..count {
                let file: FileSymbols = reader.frame(&mut buf)?;
                index.upsert(file);
                if done % 1024 == 0 {
                    progress(done, count);
                }
            }
            progress(count, count);
            if std::io::copy(&mut reader, &mut std::io::sink())? != 0 {
                return Err(SnapshotError::Decode(
                    "trailing bytes after the last file".into(),
                ));
            }
            Ok(index)
        };
        let decoded = decode();
        // A payload that does not decode is most likely corrupt: say so when
        // the checksum agrees.
        if decoded.is_err() {
            let _ = std::io::copy(&mut reader, &mut std::io::sink());
        }
        if reader.hasher.digest() != checksum {
            return Err(SnapshotError::Checksum);
        }
        decoded
    }
}

/// Removes `index.tmp.<pid>` files left by writers that died mid-write (their
/// process no longer exists).
fn remove_abandoned_temporaries(path: &Path) {
    let (Some(dir), Some(stem)) = (path.parent(), path.file_stem()) else {
        return;
    };
    let prefix = format!("{}.tmp.", stem.to_string_lossy());
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let Some(pid) = name.to_str().and_then(|n| n.strip_prefix(&prefix)) else {
            continue;
        };
        let alive = pid.parse::<u32>().is_ok_and(|pid| {
            pid == std::process::id() || Path::new(&format!("/proc/{pid}")).exists()
        });
        if !alive && Path::new("/proc/self").exists() {
            let _ = std::fs::remove_file(entry.path());
        }
    }
}

/// Reads through from `inner`, hashing what passes.
struct HashingReader<R> {
    inner: R,
    hasher: xxhash_rust::xxh3::Xxh3,
}

impl<R: std::io::Read> std::io::Read for HashingReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.hasher.update(&buf[..n]);
        Ok(n)
    }
}

impl<R: std::io::Read> HashingReader<R> {
    /// Reads one length-prefixed frame and decodes it.
    fn frame<T: serde::de::DeserializeOwned>(
        &mut self,
        buf: &mut Vec<u8>,
    ) -> Result<T, SnapshotError> {
        use std::io::Read;
        let mut len = [0u8; 4];
        self.read_exact(&mut len).map_err(truncated)?;
        let len = u32::from_le_bytes(len) as usize;
        if len > MAX_FRAME {
            return Err(SnapshotError::Decode(format!("a frame of {len} bytes")));
        }
        buf.resize(len, 0);
        self.read_exact(buf).map_err(truncated)?;
        postcard::from_bytes(buf).map_err(|e| SnapshotError::Decode(e.to_string()))
    }
}

fn truncated(err: std::io::Error) -> SnapshotError {
    if err.kind() == std::io::ErrorKind::UnexpectedEof {
        SnapshotError::Decode("the payload ends inside a frame".into())
    } else {
        SnapshotError::Io(err)
    }
}

/// Encodes one value into `buf` (cleared first).
fn encode<T: serde::Serialize + ?Sized>(value: &T, buf: &mut Vec<u8>) -> Result<(), SnapshotError> {
    buf.clear();
    *buf = postcard::to_extend(value, std::mem::take(buf))
        .map_err(|e| SnapshotError::Decode(e.to_string()))?;
    Ok(())
}

/// Checks a header: returns the payload length and checksum it announces.
fn check_header(bytes: &[u8]) -> Result<(u64, u64), SnapshotError> {
    if bytes.len() >= 8 && &bytes[..8] != MAGIC {
        return Err(SnapshotError::BadMagic);
    }
    if bytes.len() < HEADER_LEN {
        return Err(SnapshotError::Truncated {
            found: 0,
            expected: HEADER_LEN as u64,
        });
    }
    let u32_at = |at: usize| u32::from_le_bytes(bytes[at..at + 4].try_into().unwrap());
    let u64_at = |at: usize| u64::from_le_bytes(bytes[at..at + 8].try_into().unwrap());
    let version = u32_at(8);
    if version != FORMAT_VERSION {
        return Err(SnapshotError::Version {
            found: version,
            expected: FORMAT_VERSION,
        });
    }
    if u64_at(16) != extraction_fingerprint() {
        return Err(SnapshotError::Fingerprint);
    }
    Ok((u64_at(24), u64_at(32)))
}
