//! Helpers shared by the core's integration tests.
#![allow(dead_code)]

use std::path::{Path, PathBuf};

use code_index_core::{Index, IndexOptions};

pub fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

/// Copies a directory tree (files and directories only).
pub fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_tree(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).unwrap();
        }
    }
}

/// A temporary copy of a fixture project, indexed.
pub fn indexed_copy(name: &str) -> (tempfile::TempDir, Index) {
    let dir = tempfile::tempdir().unwrap();
    copy_tree(&fixture(name), dir.path());
    let index = index_dir(dir.path());
    (dir, index)
}

/// Indexes a directory from scratch.
pub fn index_dir(path: &Path) -> Index {
    let root = code_index_core::discover::canonical_root(path).unwrap();
    let mut index = Index::new(root);
    index
        .refresh(&IndexOptions::default(), &mut |_| {})
        .unwrap();
    index
}

/// Writes a file, creating its directories.
pub fn write(root: &Path, rel: &str, text: impl AsRef<[u8]>) {
    let path = root.join(rel);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, text).unwrap();
}
