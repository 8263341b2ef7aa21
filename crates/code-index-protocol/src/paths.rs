//! Path arguments: how every op and tool turns the path a client gave into a
//! path of the project, the same way in the daemon and in the MCP server.
//!
//! A path is taken relative to the root (an absolute one must lead into it),
//! normalised (`./a.rs`, `.//a.rs` and `src/../a.rs` are all `a.rs`), and its
//! symbolic links are resolved before the confinement check, so a link that
//! leads out of the root is refused like `../`. The state directory
//! (`.code-index/`) and version-control internals (`.git/` and the like) are
//! refused too: they hold the daemon's token and the repository's objects.
//! Whether a file belongs to the index (ignore rules, size, binary content) is
//! the indexer's to say; this module only decides what the path names.

use std::path::{Component, Path, PathBuf};

/// Directories whose contents no op or tool ever reads or indexes.
pub const INTERNAL_DIRS: &[&str] = &[".git", ".code-index", ".hg", ".svn", ".jj"];

/// Longest path argument accepted, in bytes.
pub const MAX_PATH_BYTES: usize = 4096;

/// What a path argument names.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProjectPath {
    /// Relative to the root, `/`-separated, normalised; `""` is the root.
    pub rel: String,
    /// Where it is on disk (symbolic links resolved where it exists).
    pub abs: PathBuf,
    /// Whether something is there now.
    pub exists: bool,
    /// Whether it is a directory now.
    pub is_dir: bool,
}

/// Why a path argument names nothing of the project.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum PathError {
    #[error("the path is empty")]
    Empty,
    #[error("the path is {0} bytes long; at most {MAX_PATH_BYTES} are accepted")]
    TooLong(usize),
    #[error("{given:?} is outside the project {root}; only paths inside it are accepted")]
    Outside { given: String, root: String },
    #[error(
        "{given:?} is inside {dir}/, which code-index never reads (it holds the repository's or code-index's own state)"
    )]
    Internal { given: String, dir: String },
}

/// Resolves `given` against `root` (canonical), as the module explains.
pub fn resolve(root: &Path, given: &str) -> Result<ProjectPath, PathError> {
    if given.len() > MAX_PATH_BYTES {
        return Err(PathError::TooLong(given.len()));
    }
    let trimmed = given.trim();
    if trimmed.is_empty() {
        return Err(PathError::Empty);
    }
    let outside = || PathError::Outside {
        given: given.to_string(),
        root: root.display().to_string(),
    };
    if trimmed.contains('\0') {
        return Err(outside());
    }
    let joined = if Path::new(trimmed).is_absolute() {
        PathBuf::from(trimmed)
    } else {
        root.join(trimmed)
    };
    let (abs, exists) = match std::fs::canonicalize(&joined) {
        Ok(canonical) => (canonical, true),
        Err(_) => (resolve_missing(&joined).ok_or_else(outside)?, false),
    };
    let rel_path = abs.strip_prefix(root).map_err(|_| outside())?;
    let mut rel = String::new();
    for part in rel_path.components() {
        match part {
            Component::Normal(name) => {
                if !rel.is_empty() {
                    rel.push('/');
                }
                rel.push_str(&name.to_string_lossy());
            }
            _ => return Err(outside()),
        }
    }
    if let Some(dir) = rel.split('/').find(|part| INTERNAL_DIRS.contains(part)) {
        return Err(PathError::Internal {
            given: given.to_string(),
            dir: dir.to_string(),
        });
    }
    let is_dir = exists && abs.is_dir();
    Ok(ProjectPath {
        rel,
        abs,
        exists,
        is_dir,
    })
}

/// A path that does not exist: its deepest existing ancestor canonicalized,
/// the rest normalised lexically (`.` dropped, `..` taken back).
fn resolve_missing(path: &Path) -> Option<PathBuf> {
    let mut lexical = PathBuf::new();
    for part in path.components() {
        match part {
            Component::CurDir => {}
            Component::ParentDir => {
                if !lexical.pop() {
                    return None;
                }
            }
            other => lexical.push(other),
        }
    }
    let mut base = lexical.as_path();
    let mut rest = Vec::new();
    loop {
        if let Ok(canonical) = std::fs::canonicalize(base) {
            let mut out = canonical;
            for part in rest.iter().rev() {
                out.push(part);
            }
            return Some(out);
        }
        rest.push(base.file_name()?.to_os_string());
        base = base.parent()?;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn project() -> (tempfile::TempDir, PathBuf) {
        let dir = tempfile::tempdir().unwrap();
        let root = std::fs::canonicalize(dir.path()).unwrap();
        std::fs::create_dir_all(root.join("src/inner")).unwrap();
        std::fs::create_dir_all(root.join(".code-index")).unwrap();
        std::fs::write(root.join("a.rs"), "fn a() {}\n").unwrap();
        std::fs::write(root.join("src/b.rs"), "fn b() {}\n").unwrap();
        (dir, root)
    }

    #[test]
    fn spellings_of_one_file_are_one_path() {
        let (_dir, root) = project();
        let absolute = root.join("a.rs").display().to_string();
        for given in [
            "a.rs",
            "./a.rs",
            ".//a.rs",
            "src/../a.rs",
            "src/inner/../../a.rs",
            &absolute,
        ] {
            let p = resolve(&root, given).unwrap();
            assert_eq!(p.rel, "a.rs", "{given}");
            assert!(p.exists && !p.is_dir, "{given}");
        }
        let p = resolve(&root, "src/").unwrap();
        assert_eq!(p.rel, "src");
        assert!(p.is_dir);
        assert_eq!(resolve(&root, ".").unwrap().rel, "");
    }

    #[test]
    fn missing_paths_are_normalised_too() {
        let (_dir, root) = project();
        let p = resolve(&root, "./src/inner/../gone.rs").unwrap();
        assert_eq!(p.rel, "src/gone.rs");
        assert!(!p.exists);
        let p = resolve(&root, "new/dir/file.rs").unwrap();
        assert_eq!(p.rel, "new/dir/file.rs");
    }

    #[test]
    fn nothing_outside_the_root_or_inside_its_state() {
        let (_dir, root) = project();
        for given in ["../x.rs", "/etc/passwd", "src/../../x", "/"] {
            assert!(
                matches!(resolve(&root, given), Err(PathError::Outside { .. })),
                "{given}"
            );
        }
        for given in [
            ".code-index/daemon.lock",
            "./.code-index",
            ".git/config",
            "src/.git/HEAD",
        ] {
            assert!(
                matches!(resolve(&root, given), Err(PathError::Internal { .. })),
                "{given}"
            );
        }
        assert_eq!(resolve(&root, "  "), Err(PathError::Empty));
        assert!(matches!(
            resolve(&root, &"a/".repeat(5000)),
            Err(PathError::TooLong(_))
        ));
    }

    #[cfg(unix)]
    #[test]
    fn symbolic_links_are_resolved_before_the_check() {
        let (_dir, root) = project();
        let elsewhere = tempfile::tempdir().unwrap();
        std::fs::write(elsewhere.path().join("secret"), "x").unwrap();
        std::os::unix::fs::symlink(elsewhere.path(), root.join("outdir")).unwrap();
        std::os::unix::fs::symlink(root.join("src/b.rs"), root.join("link.rs")).unwrap();
        std::os::unix::fs::symlink(root.join(".code-index"), root.join("state")).unwrap();
        assert!(matches!(
            resolve(&root, "outdir/secret"),
            Err(PathError::Outside { .. })
        ));
        assert!(matches!(
            resolve(&root, "outdir/missing"),
            Err(PathError::Outside { .. })
        ));
        assert_eq!(resolve(&root, "link.rs").unwrap().rel, "src/b.rs");
        assert!(matches!(
            resolve(&root, "state/daemon.lock"),
            Err(PathError::Internal { .. })
        ));
    }
}
