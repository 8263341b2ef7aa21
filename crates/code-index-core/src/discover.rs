//! Which files of a tree belong to the index.
//!
//! The walk honours `.gitignore` (inside or outside a git repository),
//! `.ignore`, `.git/info/exclude` and the global git excludes, never enters
//! `.git/` or `.code-index/`, and never follows a symbolic link: a link to a file
//! inside the root is indexed at the target's own path, and a link that leads
//! out of the root is counted and left alone.
//!
//! In a git work tree, a file git tracks is part of the walk even where a
//! `.gitignore` pattern matches it (git never ignores a tracked file: code
//! vendored on purpose under an ignored directory is code of the project);
//! the exclude globs still leave it out.

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
    let mut found = found.into_inner().unwrap();
    add_tracked_but_ignored(root, start, options, &mut found.files, &mut found.dirs)?;
    let mut files = found.files;
    files.sort_unstable_by(|a, b| a.path.cmp(&b.path));
    files.dedup_by(|a, b| a.path == b.path);
    let mut dirs = found.dirs;
    dirs.sort_unstable();
    dirs.dedup();
    Ok(Discovery {
        files,
        dirs,
        symlinks_outside_root: found.outside,
        symlinks_inside_root: found.inside,
        errors: found.errors,
    })
}

/// Files below `start` that git tracks although an ignore pattern matches
/// them, relative to `root`; empty outside a git work tree or without git.
pub fn tracked_but_ignored(root: &Path, start: &Path) -> Vec<String> {
    let Some(prefix) = relative_path(root, start).or_else(|| (start == root).then(String::new))
    else {
        return Vec::new();
    };
    // Outside a work tree there is nothing tracked: no git to start on
    // every walk (the watcher walks each directory it relists).
    if !start.ancestors().any(|dir| dir.join(".git").exists()) {
        return Vec::new();
    }
    // `-c -i --exclude-standard`: tracked files that the standard excludes
    // (.gitignore files, .git/info/exclude, core.excludesFile) match.
    let output = std::process::Command::new("git")
        .arg("-C")
        .arg(start)
        .args(["ls-files", "-z", "-c", "-i", "--exclude-standard"])
        .stdin(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .output();
    let output = match output {
        Ok(output) if output.status.success() => output.stdout,
        // Not a work tree, no git, or a repository git refuses to read.
        _ => return Vec::new(),
    };
    output
        .split(|&b| b == 0)
        .filter(|p| !p.is_empty())
        .filter_map(|p| std::str::from_utf8(p).ok())
        .map(|p| {
            if prefix.is_empty() {
                p.to_string()
            } else {
                format!("{prefix}/{p}")
            }
        })
        .collect()
}

/// Adds to a walk's findings the files git tracks that ignore rules left out
/// (see the module's doc), and the directories that lead to them, within
/// the walk's depth and its exclude globs.
fn add_tracked_but_ignored(
    root: &Path,
    start: &Path,
    options: &DiscoverOptions,
    files: &mut Vec<DiscoveredFile>,
    dirs: &mut Vec<String>,
) -> anyhow::Result<()> {
    let tracked = tracked_but_ignored(root, start);
    if tracked.is_empty() {
        return Ok(());
    }
    let excluded = if options.exclude.is_empty() {
        None
    } else {
        Some(exclude_overrides(root, &options.exclude)?)
    };
    let start_rel = relative_path(root, start).unwrap_or_default();
    if !start_rel.is_empty() && git_ignores(start) {
        // A directory the ignore rules leave out, walked for the tracked
        // files it holds: nothing else in it belongs to the walk (walking
        // from inside it, the rule that leaves it out does not apply).
        files.clear();
        dirs.retain(|d| *d == start_rel);
    }
    let depth_of = |rel: &str| {
        let below = if start_rel.is_empty() {
            rel
        } else {
            rel.strip_prefix(start_rel.as_str())
                .map_or(rel, |r| r.trim_start_matches('/'))
        };
        below.split('/').count()
    };
    for rel in tracked {
        if is_always_skipped(&rel) {
            continue;
        }
        let abs = root.join(&rel);
        if let Some(excluded) = &excluded
            && (excluded.matched(&abs, false).is_ignore()
                || abs
                    .ancestors()
                    .skip(1)
                    .take_while(|dir| dir.starts_with(root) && *dir != root)
                    .any(|dir| excluded.matched(dir, true).is_ignore()))
        {
            continue;
        }
        // A tracked path that is a link, or gone from the work tree, is not
        // a file of the walk.
        let Ok(meta) = std::fs::symlink_metadata(&abs) else {
            continue;
        };
        if !meta.is_file() {
            continue;
        }
        let mut parent = rel.as_str();
        while let Some((dir, _)) = parent.rsplit_once('/') {
            if dir.len() < start_rel.len() || (dir.len() == start_rel.len() && dir == start_rel) {
                break;
            }
            if !max_depth_exceeded(options, depth_of(dir)) {
                dirs.push(dir.to_string());
            }
            parent = dir;
        }
        if !max_depth_exceeded(options, depth_of(&rel)) {
            files.push(DiscoveredFile {
                size: meta.len(),
                mtime_ns: mtime_ns(&meta),
                path: rel,
            });
        }
    }
    Ok(())
}

/// Whether git's ignore patterns match the directory `dir` (or one of its
/// parents), whatever the index holds.
fn git_ignores(dir: &Path) -> bool {
    let (Some(parent), Some(name)) = (dir.parent(), dir.file_name()) else {
        return false;
    };
    std::process::Command::new("git")
        .arg("-C")
        .arg(parent)
        .args(["check-ignore", "-q", "--no-index", "--"])
        .arg(name)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .status()
        .is_ok_and(|status| status.code() == Some(0))
}

fn max_depth_exceeded(options: &DiscoverOptions, depth: usize) -> bool {
    options.max_depth.is_some_and(|max| depth > max)
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
