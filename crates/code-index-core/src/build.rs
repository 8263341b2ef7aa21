//! Bringing an index up to date with the tree: walk, decide what changed,
//! parse the changes on every core, apply them one file at a time.
//!
//! Invariant: a file that cannot be read, is binary, is too large, makes the
//! parser time out or panic, still gets an entry (with a [`SkipReason`]); the
//! build as a whole never fails because of one file.

use std::panic::AssertUnwindSafe;
use std::path::Path;
use std::sync::mpsc;
use std::time::{Duration, Instant};

use rayon::prelude::*;
use serde::Serialize;

use crate::discover::{self, DiscoverOptions, DiscoveredFile};
use crate::extract::{self, ExtractError};
use crate::index::Index;
use crate::language::Language;
use crate::model::{FileSymbols, SkipReason};

/// Bytes looked at for a NUL to call a file binary.
const BINARY_SNIFF_BYTES: usize = 8 * 1024;

/// How to index.
#[derive(Clone, Debug)]
pub struct IndexOptions {
    /// Files larger than this are listed but not parsed.
    pub max_file_size: u64,
    /// A file whose parse takes longer is skipped and counted as an error.
    pub parse_timeout: Duration,
    /// Globs of paths to leave out, on top of the ignore files.
    pub exclude: Vec<String>,
}

impl Default for IndexOptions {
    fn default() -> Self {
        IndexOptions {
            max_file_size: discover::DEFAULT_MAX_FILE_SIZE,
            parse_timeout: Duration::from_secs(10),
            exclude: Vec::new(),
        }
    }
}

/// Progress of a build, reported as files are applied.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Progress {
    /// Files processed so far (parsed or found unchanged).
    pub done: usize,
    /// Files to process in this pass.
    pub total: usize,
}

/// What one pass did.
#[derive(Clone, Debug, Default, Serialize)]
pub struct BuildReport {
    /// Files seen by the walk.
    pub files_seen: usize,
    /// Files read and parsed in this pass.
    pub parsed: usize,
    /// Files whose size and mtime (or content hash) were unchanged.
    pub unchanged: usize,
    /// Of the unchanged files, those whose modification time moved (their
    /// content hashed the same).
    pub touched: usize,
    /// Files dropped because they no longer exist (or are now ignored).
    pub removed: usize,
    /// Symbolic links pointing out of the root, not followed.
    pub symlinks_outside_root: usize,
    /// Symbolic links to files inside the root (indexed at the target's path).
    pub symlinks_inside_root: usize,
    /// Problems the walk met (unreadable directories and the like).
    pub walk_errors: Vec<String>,
    #[serde(rename = "elapsed_ms", serialize_with = "as_millis")]
    pub elapsed: Duration,
}

fn as_millis<S: serde::Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_f64((d.as_secs_f64() * 1e5).round() / 100.0)
}

/// The outcome of looking at one file.
pub enum Processed {
    /// Same content as the indexed version; only its mtime moved.
    Unchanged { path: String, mtime_ns: i64 },
    /// New content, extracted (or listed with a skip reason).
    Changed(Box<FileSymbols>),
}

/// Reads one file and extracts its symbols. Never fails: every problem becomes
/// a [`SkipReason`]. With `previous_hash`, content that hashes the same is
/// reported as [`Processed::Unchanged`] without parsing.
pub fn process_file(
    root: &Path,
    found: &DiscoveredFile,
    options: &IndexOptions,
    previous_hash: Option<u64>,
) -> Processed {
    let rel = Path::new(&found.path);
    let mut file = FileSymbols::empty(
        found.path.clone(),
        Language::from_path(rel),
        found.size,
        found.mtime_ns,
    );
    if found.size > options.max_file_size {
        file.skipped = Some(SkipReason::TooLarge);
        return Processed::Changed(Box::new(file));
    }
    if file.language.is_none() && !Language::needs_content_to_detect(rel) {
        file.skipped = Some(SkipReason::UnsupportedLanguage);
        return Processed::Changed(Box::new(file));
    }
    let bytes = match std::fs::read(root.join(rel)) {
        Ok(bytes) => bytes,
        Err(_) => {
            file.skipped = Some(SkipReason::Unreadable);
            return Processed::Changed(Box::new(file));
        }
    };
    file.size = bytes.len() as u64;
    file.hash = xxhash_rust::xxh3::xxh3_64(&bytes);
    if previous_hash == Some(file.hash) {
        return Processed::Unchanged {
            path: file.path,
            mtime_ns: found.mtime_ns,
        };
    }
    let head = &bytes[..bytes.len().min(BINARY_SNIFF_BYTES)];
    if memchr::memchr(0, head).is_some() {
        file.skipped = Some(SkipReason::Binary);
        return Processed::Changed(Box::new(file));
    }
    file.language = Language::detect(rel, &bytes);
    let Some(lang) = file.language else {
        file.skipped = Some(SkipReason::UnsupportedLanguage);
        return Processed::Changed(Box::new(file));
    };
    let text = match String::from_utf8(bytes) {
        Ok(text) => text,
        // Offsets then refer to the decoded text; names stay readable.
        Err(err) => String::from_utf8_lossy(err.as_bytes()).into_owned(),
    };
    let timeout = Some(options.parse_timeout);
    let outcome = std::panic::catch_unwind(AssertUnwindSafe(|| {
        extract::extract_into(&mut file, lang, &text, timeout)
    }));
    match outcome {
        Ok(Ok(())) => {}
        Ok(Err(ExtractError::Timeout)) => {
            clear_symbols(&mut file);
            file.skipped = Some(SkipReason::ParseTimeout);
        }
        Ok(Err(ExtractError::ParserFailed)) | Err(_) => {
            clear_symbols(&mut file);
            file.skipped = Some(SkipReason::ParsePanic);
        }
    }
    Processed::Changed(Box::new(file))
}

fn clear_symbols(file: &mut FileSymbols) {
    file.definitions.clear();
    file.references.clear();
    file.imports.clear();
    file.relations.clear();
    file.strings.clear();
}

/// Whether an indexed file can be kept as is, needs its content compared, or
/// must be processed again.
fn needs_work(
    indexed: &FileSymbols,
    found: &DiscoveredFile,
    options: &IndexOptions,
) -> Option<Option<u64>> {
    // A file skipped for its size depends on the limit, not only on itself.
    let limit_changed = match indexed.skipped {
        Some(SkipReason::TooLarge) => found.size <= options.max_file_size,
        _ => found.size > options.max_file_size,
    };
    if limit_changed {
        return Some(None);
    }
    if indexed.size == found.size && indexed.mtime_ns == found.mtime_ns {
        return None;
    }
    // Same size, new mtime: compare content before re-parsing.
    let hash = (indexed.size == found.size && indexed.hash != 0).then_some(indexed.hash);
    Some(hash)
}

impl BuildReport {
    /// Whether the pass changed anything a snapshot records.
    pub fn changed_anything(&self) -> bool {
        self.parsed + self.touched + self.removed > 0
    }
}

/// What a pass over the tree must do, decided against the index as it was.
#[derive(Debug, Default)]
pub struct RefreshPlan {
    /// Files to read and (unless their content hashes the same) parse, each
    /// with the hash of its indexed version when only its mtime moved.
    /// Largest first, so that one big file does not finish last.
    pub work: Vec<(DiscoveredFile, Option<u64>)>,
    /// Indexed files that are no longer in the tree (or are now ignored).
    pub gone: Vec<String>,
    /// The directories the walk entered, relative to the root (`""` is the root).
    pub dirs: Vec<String>,
    /// The report so far: what the walk saw and which files are unchanged.
    pub report: BuildReport,
}

/// Where a pass puts its results: the index itself ([`Index::refresh`]), or
/// an index behind a lock that is taken only to apply one finished file (the
/// daemon). Planning, removing, parsing and applying are [`run_pass`]'s, the
/// same for both.
pub trait PassTarget {
    /// Takes the files that are gone out of the index.
    fn remove(&mut self, paths: &[String]);
    /// Applies one processed file, with the progress of the pass so far.
    fn apply(&mut self, processed: Processed, progress: Progress);
}

/// The one pipeline of every update: the plan's vanished files are removed,
/// its work is read and parsed on every core (outside any lock the target
/// holds), and each finished file is applied as it comes.
pub fn run_pass(
    root: &Path,
    plan: RefreshPlan,
    options: &IndexOptions,
    target: &mut dyn PassTarget,
) -> BuildReport {
    let started = Instant::now();
    let mut report = plan.report;
    report.removed = plan.gone.len();
    if !plan.gone.is_empty() {
        target.remove(&plan.gone);
    }
    process_in_parallel(root, &plan.work, options, &mut |processed, progress| {
        tally(&mut report, &processed);
        target.apply(processed, progress);
    });
    report.elapsed += started.elapsed();
    report
}

/// What a path names for an update, as the walk's rules see it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PathPlan {
    /// A file the walk lists: read it (and parse it unless unchanged).
    File(DiscoveredFile),
    /// A directory the walk enters: reconcile everything below it.
    Dir,
    /// Not in the tree, or left out by the rules (`ignored_at` names the
    /// part of the path they leave out): drop what the index holds at or
    /// below it.
    Drop { ignored_at: Option<String> },
}

impl Index {
    /// Walks the tree and compares it with the index. With `force`, every
    /// file is re-read and re-parsed.
    pub fn plan_refresh(&self, options: &IndexOptions, force: bool) -> anyhow::Result<RefreshPlan> {
        self.plan_refresh_under("", options, force)
    }

    /// Like [`Index::plan_refresh`] for the subtree at `dir` (relative to the
    /// root, `""` for the whole tree, which the caller knows the walk enters):
    /// only files below it are compared, and only they can be gone.
    pub fn plan_refresh_under(
        &self,
        dir: &str,
        options: &IndexOptions,
        force: bool,
    ) -> anyhow::Result<RefreshPlan> {
        let walk = DiscoverOptions {
            exclude: options.exclude.clone(),
            ..DiscoverOptions::default()
        };
        let discovery = if dir.is_empty() {
            discover::discover(self.root(), &walk)?
        } else {
            discover::discover_from(self.root(), &self.root().join(dir), &walk)?
        };
        let mut report = BuildReport {
            files_seen: discovery.files.len(),
            symlinks_outside_root: discovery.symlinks_outside_root,
            symlinks_inside_root: discovery.symlinks_inside_root,
            walk_errors: discovery.errors,
            ..BuildReport::default()
        };
        let seen: rustc_hash::FxHashSet<&str> =
            discovery.files.iter().map(|f| f.path.as_str()).collect();
        let gone: Vec<String> = self
            .files_under(dir)
            .filter(|p| !seen.contains(p))
            .map(str::to_string)
            .collect();
        drop(seen);
        let mut work: Vec<(DiscoveredFile, Option<u64>)> = Vec::new();
        for found in discovery.files {
            match self.file_by_path(&found.path) {
                None => work.push((found, None)),
                Some(_) if force => work.push((found, None)),
                Some(indexed) => match needs_work(indexed, &found, options) {
                    None => report.unchanged += 1,
                    Some(hash) => work.push((found, hash)),
                },
            }
        }
        work.sort_by_key(|(f, _)| std::cmp::Reverse(f.size));
        Ok(RefreshPlan {
            work,
            gone,
            dirs: discovery.dirs,
            report,
        })
    }

    /// The plan for one path (normalised, relative to the root): what the
    /// walk's rules make of it ([`discover::admission`]) decides whether it
    /// is read, reconciled as a directory, or dropped.
    pub fn plan_path(
        &self,
        rel: &str,
        options: &IndexOptions,
        force: bool,
    ) -> anyhow::Result<(PathPlan, RefreshPlan)> {
        let walk = DiscoverOptions {
            exclude: options.exclude.clone(),
            ..DiscoverOptions::default()
        };
        Ok(match discover::admission(self.root(), rel, &walk)? {
            discover::Admission::Dir => {
                (PathPlan::Dir, self.plan_refresh_under(rel, options, force)?)
            }
            discover::Admission::File(found) => {
                let mut plan = RefreshPlan::default();
                plan.report.files_seen = 1;
                let hash = if force {
                    Some(None)
                } else {
                    self.needs_work(&found, options)
                };
                match hash {
                    Some(hash) => plan.work.push((found.clone(), hash)),
                    None => plan.report.unchanged = 1,
                }
                (PathPlan::File(found), plan)
            }
            admission @ (discover::Admission::Ignored { .. } | discover::Admission::Absent) => {
                let ignored_at = match admission {
                    discover::Admission::Ignored { at } => Some(at),
                    _ => None,
                };
                let gone = self
                    .file_by_path(rel)
                    .map(|f| f.path.clone())
                    .into_iter()
                    .chain(self.files_under(rel).map(str::to_string))
                    .collect();
                (
                    PathPlan::Drop { ignored_at },
                    RefreshPlan {
                        gone,
                        ..RefreshPlan::default()
                    },
                )
            }
        })
    }

    /// Indexed paths strictly below the directory `dir` (`""`: every path).
    pub fn files_under<'a>(&'a self, dir: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        self.files().map(|(_, f)| f.path.as_str()).filter(move |p| {
            dir.is_empty()
                || p.strip_prefix(dir)
                    .is_some_and(|rest| rest.starts_with('/'))
        })
    }

    /// Whether a file found on disk needs processing: `None` when the indexed
    /// version is current, else `Some` with the indexed content hash to
    /// compare against (when only the mtime moved).
    pub fn needs_work(
        &self,
        found: &DiscoveredFile,
        options: &IndexOptions,
    ) -> Option<Option<u64>> {
        match self.file_by_path(&found.path) {
            None => Some(None),
            Some(indexed) => needs_work(indexed, found, options),
        }
    }

    /// Applies the outcome of [`process_file`]; returns whether symbols changed.
    pub fn apply(&mut self, processed: Processed) -> bool {
        match processed {
            Processed::Unchanged { path, mtime_ns } => {
                self.touch(&path, mtime_ns);
                false
            }
            Processed::Changed(file) => {
                self.upsert(*file);
                true
            }
        }
    }

    /// Brings the index up to date with the tree under its root: new and
    /// changed files are parsed in parallel, vanished ones removed. `progress`
    /// is called from this thread as files are applied.
    pub fn refresh(
        &mut self,
        options: &IndexOptions,
        progress: &mut dyn FnMut(Progress),
    ) -> anyhow::Result<BuildReport> {
        let started = Instant::now();
        let plan = self.plan_refresh(options, false)?;
        let root = self.root().to_path_buf();
        let mut report = run_pass(
            &root,
            plan,
            options,
            &mut InPlace {
                index: self,
                progress,
            },
        );
        report.elapsed = started.elapsed();
        Ok(report)
    }

    /// Re-reads one path (normalised, relative to the root) and applies what
    /// changed: added, modified, deleted, now ignored, or (for a directory)
    /// everything below it. Returns whether the index changed.
    pub fn update_file(&mut self, path: &str, options: &IndexOptions) -> anyhow::Result<bool> {
        let (_, plan) = self.plan_path(path, options, false)?;
        let root = self.root().to_path_buf();
        let generation = self.generation();
        run_pass(
            &root,
            plan,
            options,
            &mut InPlace {
                index: self,
                progress: &mut |_| {},
            },
        );
        Ok(self.generation() != generation)
    }
}

/// An index updated in place, as a [`PassTarget`].
struct InPlace<'a> {
    index: &'a mut Index,
    progress: &'a mut dyn FnMut(Progress),
}

impl PassTarget for InPlace<'_> {
    fn remove(&mut self, paths: &[String]) {
        for path in paths {
            self.index.remove(path);
        }
    }

    fn apply(&mut self, processed: Processed, progress: Progress) {
        self.index.apply(processed);
        (self.progress)(progress);
    }
}

/// Counts one processed file into a report.
pub fn tally(report: &mut BuildReport, processed: &Processed) {
    match processed {
        Processed::Unchanged { .. } => {
            report.unchanged += 1;
            report.touched += 1;
        }
        Processed::Changed(_) => report.parsed += 1,
    }
}

/// Processes files on every core. `apply` runs on the calling thread, once per
/// file as each finishes, with the progress so far (the file just processed
/// included).
pub fn process_in_parallel(
    root: &Path,
    work: &[(DiscoveredFile, Option<u64>)],
    options: &IndexOptions,
    apply: &mut dyn FnMut(Processed, Progress),
) {
    let total = work.len();
    let (tx, rx) = mpsc::sync_channel::<Processed>(1024);
    std::thread::scope(|scope| {
        scope.spawn(move || {
            work.par_iter().for_each_with(tx, |tx, (found, hash)| {
                // The receiver only goes away if the applying side panicked.
                let _ = tx.send(process_file(root, found, options, *hash));
            });
        });
        for (done, processed) in (1..).zip(rx) {
            apply(processed, Progress { done, total });
        }
    });
}
