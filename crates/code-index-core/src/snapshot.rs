//! The on-disk snapshot of an index, in `<root>/.code-index/index.bin`.
//!
//! Layout: a 40-byte header — magic `CODEIDX\0`, format version (u32), flags
//! (u32, zero), fingerprint of the extraction queries (u64), payload length
//! (u64), xxh3 checksum of the payload (u64), all little-endian — then the
//! payload, the postcard encoding of [`SnapshotBody`].
//!
//! Invariants: a snapshot is written to a temporary file and renamed into
//! place, so a reader sees the old or the new one, never half of one; a
//! snapshot that is truncated, corrupt, of another format version or made by
//! other extraction queries is refused with a [`SnapshotError`], never trusted.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use serde::ser::{SerializeSeq, Serializer};
use serde::{Deserialize, Serialize};

use crate::index::Index;
use crate::language::Language;
use crate::model::FileSymbols;

/// Bumped whenever the layout of [`SnapshotBody`] or the model changes.
pub const FORMAT_VERSION: u32 = 1;
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

/// What a snapshot holds.
#[derive(Debug, Deserialize)]
pub struct SnapshotBody {
    /// The root the snapshot was taken of (informational: paths are relative).
    pub root: String,
    pub files: Vec<FileSymbols>,
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
        for lang in Language::ALL {
            all.push_str(lang.name());
            all.push_str(&lang.full_query());
        }
        xxhash_rust::xxh3::xxh3_64(all.as_bytes())
    })
}

/// Creates `<root>/.code-index/` with a `.gitignore` that ignores everything in it.
pub fn ensure_state_dir(root: &Path) -> std::io::Result<PathBuf> {
    let dir = root.join(STATE_DIR);
    std::fs::create_dir_all(&dir)?;
    let gitignore = dir.join(".gitignore");
    if !gitignore.exists() {
        std::fs::write(&gitignore, "*\n")?;
    }
    Ok(dir)
}

struct FilesOf<'a>(&'a Index);

impl Serialize for FilesOf<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut seq = serializer.serialize_seq(Some(self.0.len()))?;
        for (_, file) in self.0.files() {
            seq.serialize_element(file)?;
        }
        seq.end()
    }
}

#[derive(Serialize)]
struct BodyRef<'a> {
    root: String,
    files: FilesOf<'a>,
}

impl Index {
    /// Writes the snapshot atomically to `path`; returns its size in bytes.
    pub fn save(&self, path: &Path) -> Result<u64, SnapshotError> {
        let body = BodyRef {
            root: self.root().display().to_string(),
            files: FilesOf(self),
        };
        let payload =
            postcard::to_stdvec(&body).map_err(|e| SnapshotError::Decode(e.to_string()))?;
        let mut header = Vec::with_capacity(HEADER_LEN);
        header.extend_from_slice(MAGIC);
        header.extend_from_slice(&FORMAT_VERSION.to_le_bytes());
        header.extend_from_slice(&0u32.to_le_bytes());
        header.extend_from_slice(&extraction_fingerprint().to_le_bytes());
        header.extend_from_slice(&(payload.len() as u64).to_le_bytes());
        header.extend_from_slice(&xxhash_rust::xxh3::xxh3_64(&payload).to_le_bytes());
        debug_assert_eq!(header.len(), HEADER_LEN);

        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir)?;
        }
        let tmp = path.with_extension(format!("tmp.{}", std::process::id()));
        let write = || -> std::io::Result<()> {
            let mut out = std::io::BufWriter::new(std::fs::File::create(&tmp)?);
            out.write_all(&header)?;
            out.write_all(&payload)?;
            out.into_inner().map_err(|e| e.into_error())?.sync_all()?;
            std::fs::rename(&tmp, path)
        };
        if let Err(err) = write() {
            let _ = std::fs::remove_file(&tmp);
            return Err(err.into());
        }
        Ok((HEADER_LEN + payload.len()) as u64)
    }

    /// Reads a snapshot into a fresh index for `root`.
    pub fn load(root: &Path, path: &Path) -> Result<Index, SnapshotError> {
        let bytes = match std::fs::read(path) {
            Ok(bytes) => bytes,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Err(SnapshotError::Missing(path.to_path_buf()));
            }
            Err(e) => return Err(e.into()),
        };
        let body = decode(&bytes)?;
        let mut index = Index::new(root);
        for file in body.files {
            index.upsert(file);
        }
        Ok(index)
    }
}

/// Checks the header and decodes the payload.
pub fn decode(bytes: &[u8]) -> Result<SnapshotBody, SnapshotError> {
    if bytes.len() < HEADER_LEN {
        if bytes.len() >= 8 && &bytes[..8] != MAGIC {
            return Err(SnapshotError::BadMagic);
        }
        return Err(SnapshotError::Truncated {
            found: 0,
            expected: HEADER_LEN as u64,
        });
    }
    let u32_at = |at: usize| u32::from_le_bytes(bytes[at..at + 4].try_into().unwrap());
    let u64_at = |at: usize| u64::from_le_bytes(bytes[at..at + 8].try_into().unwrap());
    if &bytes[..8] != MAGIC {
        return Err(SnapshotError::BadMagic);
    }
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
    let expected = u64_at(24);
    let payload = &bytes[HEADER_LEN..];
    if payload.len() as u64 != expected {
        return Err(SnapshotError::Truncated {
            found: payload.len() as u64,
            expected,
        });
    }
    if xxhash_rust::xxh3::xxh3_64(payload) != u64_at(32) {
        return Err(SnapshotError::Checksum);
    }
    postcard::from_bytes(payload).map_err(|e| SnapshotError::Decode(e.to_string()))
}
