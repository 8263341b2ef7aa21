//! Which files of a tree belong to the index.
//!
//! The walk honours `.gitignore` (inside or outside a git repository),
//! `.ignore`, `.git/info/exclude` and the global git excludes, never enters
//! `.git/` or `.code-index/`, and never follows a symbolic link: a link to a file
//! inside the root is indexed at the target's own path, and a link that leads
//! out of the root is counted and left alone.

use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::UNIX_EPOCH;

use ignore::overrides::OverrideBuilder;
use ignore::{WalkBuilder, WalkState};

/// Directories that are never indexed, wherever they are.
pub const ALWAYS_SKIPPED_DIRS: &[&str] = &[".git", ".code-index", ".hg", ".svn", ".jj"];

/// Default limit above which a file is listed but not parsed: 1 MiB.
pub const DEFAULT_MAX_FILE_SIZE: u64 = 1024 * 1024;

/// How to walk a tree.
#[derive(Clone, Debug, Default)]
pub struct DiscoverOptions {
    /// Globs (gitignore syntax, relative to the root) of paths to leave out.
    pub exclude: Vec<String>,
    /// Walker threads; 0 picks one per core.
    pub threads: usize,
    /// How deep to go below the starting directory (1: its entries only).
    pub max_depth: Option<usize>,
}

/// A file found by the walk.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DiscoveredFile {
    /// Relative to the root, `/`-separated.
    pub path: String,
    pub size: u64,
    pub mtime_ns: i64,
}

/// What a walk found.
#[derive(Debug, Default)]
pub struct Discovery {
    /// Sorted by path.
    pub files: Vec<DiscoveredFile>,
    /// The directories walked, relative to the root (`""` for the root), sorted.
    pub dirs: Vec<String>,
    /// Symbolic links that point out of the root (or nowhere), left alone.
    pub symlinks_outside_root: usize,
    /// Symbolic links to files inside the root, indexed at the target's path.
    pub symlinks_inside_root: usize,
    /// Paths the walk could not read, with the reason.
    pub errors: Vec<String>,
}

/// Nanoseconds since the Unix epoch of a file's modification time (0 if unknown).
pub fn mtime_ns(meta: &std::fs::Metadata) -> i64 {
    meta.modified()
        .ok()
        .and_then(|t| t.duration_since(UNIX_EPOCH).ok())
        .map_or(0, |d| d.as_nanos() as i64)
}

/// `path` relative to `root`, `/`-separated; `None` if it is not under `root`.
pub fn relative_path(root: &Path, path: &Path) -> Option<String> {
    let rel = path.strip_prefix(root).ok()?;
    let mut out = String::new();
    for part in rel.components() {
        if !out.is_empty() {
            out.push('/');
        }
        out.push_str(&part.as_os_str().to_string_lossy());
    }
    (!out.is_empty()).then_some(out)
}

/// Whether a relative path lies in a directory that is never indexed.
pub fn is_always_skipped(rel_path: &str) -> bool {
    rel_path
        .split('/')
        .any(|part| ALWAYS_SKIPPED_DIRS.contains(&part))
}

/// Walks `root` (which must be canonical) in parallel.
pub fn discover(root: &Path, options: &DiscoverOptions) -> anyhow::Result<Discovery> {
    discover_from(root, root, options)
}

/// Walks the subtree at `start` (inside `root`, both canonical) with the
/// ignore rules that apply there, including those of its ancestors up to
/// `root`. Paths are relative to `root`.
pub fn discover_from(
    root: &Path,
    start: &Path,
    options: &DiscoverOptions,
) -> anyhow::Result<Discovery> {
    let mut builder = WalkBuilder::new(start);
    builder
        .hidden(false)
        .ignore(true)
        .git_ignore(true)
        .git_global(true)
        .git_exclude(true)
        .parents(true)
        .require_git(false)
        .follow_links(false)
        .max_depth(options.max_depth)
        .threads(options.threads)
        .filter_entry(|entry| {
            let name = entry.file_name().to_string_lossy();
            !(entry.file_type().is_some_and(|t| t.is_dir())
                && ALWAYS_SKIPPED_DIRS.contains(&name.as_ref()))
        });
    if !options.exclude.is_empty() {
        builder.overrides(exclude_overrides(root, &options.exclude)?);
    }

    struct Found {
        files: Vec<DiscoveredFile>,
        dirs: Vec<String>,
        outside: usize,
        inside: usize,
        errors: Vec<String>,
    }
    let found = Mutex::new(Found {
        files: Vec::new(),
        dirs: Vec::new(),
        outside: 0,
        inside: 0,
        errors: Vec::new(),
    });
    /// Each walker thread batches its files and hands them over when the
    /// batch fills up and when the thread's visitor is dropped.
    struct Batch<'a> {
        files: Vec<DiscoveredFile>,
        found: &'a Mutex<Found>,
    }
    impl Drop for Batch<'_> {
        fn drop(&mut self) {
            if let Ok(mut found) = self.found.lock() {
                found.files.append(&mut self.files);
            }
        }
    }
    builder.build_parallel().run(|| {
        let found = &found;
        let mut batch = Batch {
            files: Vec::new(),
            found,
        };
        Box::new(move |entry| {
            let entry = match entry {
                Ok(entry) => entry,
                Err(err) => {
                    found.lock().unwrap().errors.push(err.to_string());
                    return WalkState::Continue;
                }
            };
            let Some(file_type) = entry.file_type() else {
                return WalkState::Continue;
            };
            if file_type.is_symlink() {
                let inside = std::fs::canonicalize(entry.path())
                    .is_ok_and(|target| target.starts_with(root) && target.is_file());
                let mut f = found.lock().unwrap();
                if inside {
                    f.inside += 1;
                } else {
                    f.outside += 1;
                }
                return WalkState::Continue;
            }
            if file_type.is_dir() {
                let dir = relative_path(root, entry.path()).unwrap_or_default();
                found.lock().unwrap().dirs.push(dir);
                return WalkState::Continue;
            }
            if !file_type.is_file() {
                return WalkState::Continue;
            }
            let Some(path) = relative_path(root, entry.path()) else {
                return WalkState::Continue;
            };
            match entry.metadata() {
                Ok(meta) => batch.files.push(DiscoveredFile {
                    path,
                    size: meta.len(),
                    mtime_ns: mtime_ns(&meta),
                }),
                Err(err) => found.lock().unwrap().errors.push(format!("{path}: {err}")),
            }
            if batch.files.len() >= 256 {
                found.lock().unwrap().files.append(&mut batch.files);
            }
            WalkState::Continue
        })
    });
    let found = found.into_inner().unwrap();
    let mut files = found.files;
    files.sort_unstable_by(|a, b| a.path.cmp(&b.path));
    files.dedup_by(|a, b| a.path == b.path);
    let mut dirs = found.dirs;
    dirs.sort_unstable();
    Ok(Discovery {
        files,
        dirs,
        symlinks_outside_root: found.outside,
        symlinks_inside_root: found.inside,
        errors: found.errors,
    })
}

/// Checks exclude globs (gitignore syntax, relative to `root`), with an
/// error naming the bad one.
pub fn check_exclude(root: &Path, exclude: &[String]) -> anyhow::Result<()> {
    exclude_overrides(root, exclude).map(drop)
}

fn exclude_overrides(
    root: &Path,
    exclude: &[String],
) -> anyhow::Result<ignore::overrides::Override> {
    use anyhow::Context;
    for glob in exclude {
        anyhow::ensure!(
            glob.len() <= crate::query::MAX_GLOB_BYTES,
            "exclude glob {:?}... is {} bytes long; at most {} are accepted",
            glob.chars().take(40).collect::<String>(),
            glob.len(),
            crate::query::MAX_GLOB_BYTES
        );
    }
    // globset can panic on a glob whose regex outgrows its limits.
    std::panic::catch_unwind(|| {
        let mut overrides = OverrideBuilder::new(root);
        for glob in exclude {
            overrides
                .add(&format!("!{glob}"))
                .with_context(|| format!("invalid exclude glob {glob:?}"))?;
        }
        overrides.build().context("building the exclude globs")
    })
    .unwrap_or_else(|_| {
        Err(anyhow::anyhow!(
            "the exclude globs are too complex to compile"
        ))
    })
}

/// Canonicalizes a root directory, with an error that says what to do.
pub fn canonical_root(root: &Path) -> anyhow::Result<PathBuf> {
    use anyhow::Context;
    let canonical = std::fs::canonicalize(root)
        .with_context(|| format!("cannot open the root directory {}", root.display()))?;
    anyhow::ensure!(
        canonical.is_dir(),
        "{} is not a directory: pass the project's root directory",
        root.display()
    );
    Ok(canonical)
}

/// The project root for a working directory: the nearest ancestor (or the
/// directory itself) holding `.git`, else the directory itself.
pub fn find_project_root(start: &Path) -> PathBuf {
    start
        .ancestors()
        .find(|dir| dir.join(".git").exists())
        .unwrap_or(start)
        .to_path_buf()
}

/// Whether the walk would take a path (relative to `root`, normalised).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Admission {
    /// A file the walk lists, as it lists it.
    File(DiscoveredFile),
    /// A directory the walk enters (`""` is the root).
    Dir,
    /// Left out by an ignore file or an exclude glob, here or in a parent.
    Ignored {
        /// The part of the path the rules leave out (the path or a parent).
        at: String,
    },
    /// Nothing the walk would list: absent, a symbolic link, a socket.
    Absent,
}

/// Decides whether `rel` belongs to the walk of `root` with `options`' exclude
/// globs, by the walk's own rules: each directory on the way is listed as the
/// walk lists it, so an ignored parent leaves out everything below it.
pub fn admission(root: &Path, rel: &str, options: &DiscoverOptions) -> anyhow::Result<Admission> {
    if rel.is_empty() {
        return Ok(if root.is_dir() {
            Admission::Dir
        } else {
            Admission::Absent
        });
    }
    if is_always_skipped(rel) {
        return Ok(Admission::Ignored {
            at: rel.to_string(),
        });
    }
    let parts: Vec<&str> = rel.split('/').collect();
    let listing = DiscoverOptions {
        max_depth: Some(1),
        threads: 1,
        ..options.clone()
    };
    let mut parent = String::new();
    for (i, part) in parts.iter().enumerate() {
        let here = if parent.is_empty() {
            (*part).to_string()
        } else {
            format!("{parent}/{part}")
        };
        let last = i + 1 == parts.len();
        let abs = root.join(&here);
        let Ok(meta) = std::fs::symlink_metadata(&abs) else {
            return Ok(Admission::Absent);
        };
        if !(meta.is_dir() || (last && meta.is_file())) {
            return Ok(Admission::Absent);
        }
        let found = discover_from(root, &root.join(&parent), &listing)?;
        if meta.is_dir() {
            if !found.dirs.contains(&here) {
                return Ok(Admission::Ignored { at: here });
            }
            if last {
                return Ok(Admission::Dir);
            }
        } else {
            return Ok(match found.files.into_iter().find(|f| f.path == here) {
                Some(file) => Admission::File(file),
                None => Admission::Ignored { at: here },
            });
        }
        parent = here;
    }
    Ok(Admission::Absent)
}
