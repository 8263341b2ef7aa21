//! Keeps the index fresh: one non-recursive OS watch per directory that is
//! not ignored, events gathered into batches, and each batch applied.
//!
//! A batch is resolved against the tree as it is now, not against the events:
//! for every directory an event touched, its entries are listed again (with
//! the ignore rules), and each path the events named is then added, updated or
//! removed accordingly. A new directory is watched and scanned whole (inotify
//! misses files written right after a `mkdir`). A batch too large to go path
//! by path (a `git checkout`) becomes one full pass. When the OS has no watches
//! left, the daemon says so in `status` and rescans periodically instead.

use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::mpsc::{Receiver, RecvTimeoutError};
use std::time::{Duration, Instant};

use code_index_core::discover::{
    self, DiscoverOptions, DiscoveredFile, is_always_skipped, relative_path,
};
use notify::event::{AccessKind, AccessMode};
use notify::{EventKind, RecommendedWatcher, RecursiveMode, Watcher};

use crate::indexer;
use crate::state::{Phase, Shared, WatcherHealth};

/// Quiet time that ends a batch of events.
const QUIET: Duration = Duration::from_millis(40);
/// The longest a batch may keep gathering events.
const MAX_BATCH_WAIT: Duration = Duration::from_millis(400);
/// Beyond this many paths, a batch becomes a full pass.
const FULL_PASS_THRESHOLD: usize = 2000;
/// How often to rescan, by default, when the tree cannot be watched.
pub const DEFAULT_POLL_INTERVAL: Duration = Duration::from_secs(10);

/// Runs until the daemon stops. `dirs` are the directories of the tree,
/// relative to the root.
pub fn run(shared: Arc<Shared>, dirs: Vec<String>) {
    let (tx, rx) = std::sync::mpsc::channel();
    let watcher = notify::recommended_watcher(move |event| {
        let _ = tx.send(event);
    });
    let watcher = match watcher {
        Ok(w) => w,
        Err(err) => {
            let detail = format!(
                "cannot start watching: {err}; rescanning every {}s",
                shared.poll_interval.as_secs_f64()
            );
            tracing::warn!(root = %shared.root.display(), "{detail}");
            shared.set_watcher(WatcherHealth::Off(detail));
            while shared.phase().0 != Phase::Ready && !shared.is_stopping() {
                std::thread::sleep(Duration::from_millis(20));
            }
            poll(&shared);
            return;
        }
    };
    let mut tree = Watched {
        shared: shared.clone(),
        watcher,
        dirs: HashSet::new(),
        exhausted: None,
    };
    for dir in dirs {
        tree.watch(&dir);
    }
    tree.report_health();
    // Changes seen during the first pass wait until it is done: applying them
    // earlier could let the pass overwrite them with what it read before.
    while shared.phase().0 != Phase::Ready {
        if shared.is_stopping() {
            return;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    tree.run(rx);
}

struct Watched {
    shared: Arc<Shared>,
    watcher: RecommendedWatcher,
    /// Directories watched, relative to the root.
    dirs: HashSet<String>,
    /// Why watching stopped working, when the OS ran out of watches.
    exhausted: Option<String>,
}

impl Watched {
    fn watch(&mut self, dir: &str) {
        if self.exhausted.is_some() || self.dirs.contains(dir) {
            return;
        }
        if self
            .shared
            .max_watches
            .is_some_and(|max| self.dirs.len() >= max)
        {
            let detail = format!(
                "more directories than the {} watches allowed (--max-watches); \
                 the tree is rescanned every {}s",
                self.dirs.len(),
                self.shared.poll_interval.as_secs_f64()
            );
            tracing::warn!(root = %self.shared.root.display(), "{detail}");
            self.exhausted = Some(detail);
            return;
        }
        let abs = self.shared.root.join(dir);
        match self.watcher.watch(&abs, RecursiveMode::NonRecursive) {
            Ok(()) => {
                self.dirs.insert(dir.to_string());
            }
            Err(err) if is_exhaustion(&err) => {
                let detail = format!(
                    "the OS has no file watches left ({err}); raise fs.inotify.max_user_watches, \
                     meanwhile the tree is rescanned every {}s",
                    self.shared.poll_interval.as_secs_f64()
                );
                tracing::warn!(root = %self.shared.root.display(), "{detail}");
                self.exhausted = Some(detail);
            }
            Err(err) => {
                tracing::debug!(dir, "cannot watch: {err}");
            }
        }
    }

    fn forget_under(&mut self, dir: &str) {
        let prefix = format!("{dir}/");
        let gone: Vec<String> = self
            .dirs
            .iter()
            .filter(|d| *d == dir || d.starts_with(&prefix))
            .cloned()
            .collect();
        for d in gone {
            let _ = self.watcher.unwatch(&self.shared.root.join(&d));
            self.dirs.remove(&d);
        }
    }

    /// Watches a directory that just appeared and everything below it, each
    /// directory before it is listed: a file created before the watch is in
    /// the listing, one created after it sends an event. Returns the files
    /// that need indexing.
    fn watch_new_tree(&mut self, rel: &str) -> Vec<(DiscoveredFile, Option<u64>)> {
        let mut work = Vec::new();
        let mut queue = vec![rel.to_string()];
        while let Some(dir) = queue.pop() {
            self.watch(&dir);
            let abs = self.shared.root.join(&dir);
            let Some((files, subdirs)) =
                list_children(&self.shared.root, &abs, &self.shared.options.exclude)
            else {
                continue;
            };
            let index = self.shared.index.read().unwrap();
            for file in files {
                if let Some(hash) = index.needs_work(&file, &self.shared.options) {
                    work.push((file, hash));
                }
            }
            queue.extend(subdirs.into_iter().filter(|d| !self.dirs.contains(d)));
        }
        work
    }

    /// A full pass, then watches for directories the pass found unwatched.
    fn rescan(&mut self) {
        let mut walked = Vec::new();
        if let Err(err) = indexer::full_pass(&self.shared, false, |dirs| walked = dirs) {
            tracing::warn!(root = %self.shared.root.display(), "rescan failed: {err:#}");
            return;
        }
        let mut work = Vec::new();
        for dir in walked {
            if self.exhausted.is_none() && !self.dirs.contains(&dir) {
                work.extend(self.watch_new_tree(&dir));
            }
        }
        self.report_health();
        if !work.is_empty() {
            indexer::update_files(&self.shared, &work);
        }
    }

    fn report_health(&self) {
        let health = match &self.exhausted {
            Some(detail) => WatcherHealth::Polling(detail.clone()),
            None => WatcherHealth::Ok,
        };
        self.shared.set_watcher(health);
    }

    fn run(&mut self, rx: Receiver<notify::Result<notify::Event>>) {
        let mut last_poll = Instant::now();
        loop {
            if self.shared.is_stopping() {
                return;
            }
            let first = match rx.recv_timeout(Duration::from_millis(250)) {
                Ok(event) => event,
                Err(RecvTimeoutError::Timeout) => {
                    if self.exhausted.is_some() && last_poll.elapsed() >= self.shared.poll_interval
                    {
                        rescan(&self.shared);
                        last_poll = Instant::now();
                    }
                    continue;
                }
                Err(RecvTimeoutError::Disconnected) => return,
            };
            let mut paths: BTreeSet<PathBuf> = BTreeSet::new();
            let mut rescan_all = false;
            let started = Instant::now();
            let mut next = Some(first);
            while let Some(event) = next.take() {
                match event {
                    Ok(event) if is_read_only(&event.kind) => {
                        tracing::trace!(kind = ?event.kind, paths = ?event.paths, "ignored event");
                    }
                    Ok(event) => {
                        tracing::trace!(kind = ?event.kind, paths = ?event.paths, "event");
                        if event.need_rescan() {
                            rescan_all = true;
                        }
                        paths.extend(event.paths);
                    }
                    Err(err) => {
                        tracing::warn!(root = %self.shared.root.display(), "watch error: {err}");
                        rescan_all = true;
                    }
                }
                if started.elapsed() >= MAX_BATCH_WAIT {
                    break;
                }
                next = rx.recv_timeout(QUIET).ok();
            }
            // New ignore rules can change which files belong to the index anywhere below.
            let rules_changed = paths.iter().any(|p| {
                p.file_name()
                    .is_some_and(|n| n == ".gitignore" || n == ".ignore")
            });
            let config = code_index_protocol::config::config_path(&self.shared.root);
            if paths.contains(&config) {
                tracing::warn!(
                    "{} changed; its settings apply to the next daemon: run `code-index stop`, \
                     and the next client starts one",
                    config.display()
                );
            }
            if paths.is_empty() && !rescan_all {
                continue;
            }
            self.shared
                .watcher_batches
                .fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            if rescan_all || rules_changed || paths.len() > FULL_PASS_THRESHOLD {
                tracing::info!(paths = paths.len(), "large change: rescanning the tree");
                self.rescan();
            } else {
                self.apply_batch(paths);
            }
            // If the changes brought or took names, rebuild the search table
            // now rather than in the next search.
            self.shared.index.read().unwrap().prepare_search();
        }
    }

    /// Resolves the named paths against the tree as it is now.
    fn apply_batch(&mut self, paths: BTreeSet<PathBuf>) {
        let root = self.shared.root.clone();
        let mut by_dir: BTreeMap<PathBuf, Vec<String>> = BTreeMap::new();
        for path in paths {
            let Some(rel) = relative_path(&root, &path) else {
                continue;
            };
            if is_always_skipped(&rel) {
                continue;
            }
            let dir = path.parent().unwrap_or(&root).to_path_buf();
            by_dir.entry(dir).or_default().push(rel);
        }
        let mut work: Vec<(DiscoveredFile, Option<u64>)> = Vec::new();
        let mut removed: Vec<String> = Vec::new();
        let mut new_dirs: Vec<String> = Vec::new();
        for (dir, named) in by_dir {
            // Entries of `dir` that are not ignored, as the walk sees them.
            let listing = if dir.is_dir() {
                list_children(&root, &dir, &self.shared.options.exclude)
            } else {
                None
            };
            let (files, dirs) = listing.unwrap_or_default();
            for rel in named {
                if let Some(found) = files.iter().find(|f| f.path == rel) {
                    let needs = self
                        .shared
                        .index
                        .read()
                        .unwrap()
                        .needs_work(found, &self.shared.options);
                    if let Some(hash) = needs {
                        work.push((found.clone(), hash));
                    }
                } else if dirs.contains(&rel) {
                    if !self.dirs.contains(&rel) {
                        new_dirs.push(rel);
                    }
                } else {
                    removed.push(rel);
                }
            }
        }
        let mut changed = 0;
        if !removed.is_empty() {
            let mut index = self.shared.index.write().unwrap();
            for rel in &removed {
                // A file, or a directory with everything under it.
                if index.remove(rel).is_some() {
                    changed += 1;
                }
                let prefix = format!("{rel}/");
                let under: Vec<String> = index
                    .files()
                    .map(|(_, f)| f.path.clone())
                    .filter(|p| p.starts_with(&prefix))
                    .collect();
                for path in under {
                    index.remove(&path);
                    changed += 1;
                }
            }
            drop(index);
            for rel in &removed {
                self.forget_under(rel);
            }
            self.shared
                .dirty
                .store(true, std::sync::atomic::Ordering::SeqCst);
        }
        for rel in new_dirs {
            work.extend(self.watch_new_tree(&rel));
        }
        self.report_health();
        if !work.is_empty() {
            changed += indexer::update_files(&self.shared, &work);
        }
        if changed > 0 {
            tracing::debug!(changed, "applied file changes");
        }
    }
}

/// Entries of `dir` (inside `root`) that the index would see: files, and the
/// relative paths of subdirectories.
fn list_children(
    root: &Path,
    dir: &Path,
    exclude: &[String],
) -> Option<(Vec<DiscoveredFile>, HashSet<String>)> {
    let options = DiscoverOptions {
        max_depth: Some(1),
        threads: 1,
        exclude: exclude.to_vec(),
    };
    let found = discover::discover_from(root, dir, &options).ok()?;
    let this = relative_path(root, dir).unwrap_or_default();
    let dirs = found.dirs.into_iter().filter(|d| *d != this).collect();
    Some((found.files, dirs))
}

fn rescan(shared: &Shared) {
    if let Err(err) = indexer::full_pass(shared, false, |_| {}) {
        tracing::warn!(root = %shared.root.display(), "rescan failed: {err:#}");
    }
}

/// Periodic rescans, for when the OS cannot watch the tree at all.
fn poll(shared: &Shared) {
    while !shared.is_stopping() {
        let deadline = Instant::now() + shared.poll_interval;
        while Instant::now() < deadline {
            if shared.is_stopping() {
                return;
            }
            std::thread::sleep(Duration::from_millis(250));
        }
        rescan(shared);
    }
}

/// Opening, reading or closing without writing changes nothing, and the
/// daemon's own walks and reads cause such events by the thousand: reacting
/// to them would rescan forever.
fn is_read_only(kind: &EventKind) -> bool {
    matches!(kind, EventKind::Access(access) if !matches!(access, AccessKind::Close(AccessMode::Write)))
}

fn is_exhaustion(err: &notify::Error) -> bool {
    match &err.kind {
        notify::ErrorKind::MaxFilesWatch => true,
        notify::ErrorKind::Io(io) => io.raw_os_error() == Some(28), // ENOSPC from inotify_add_watch
        _ => false,
    }
}
