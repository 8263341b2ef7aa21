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
//!
//! The watcher cannot drift silently. Each watched directory is remembered
//! with its inode and modification time as last listed: a directory named by
//! an event whose inode changed was removed and made again (its old watch died
//! with the old inode), so it is watched afresh and reconciled whole. Every
//! `--verify-interval` the watcher stats each watched directory and re-lists
//! those that changed without its knowing, and those that hold indexed files
//! without being watched, which repairs whatever the events missed; `status`
//! counts those repairs. A directory the watcher did not know is reconciled
//! whole when it appears: what the index held below it and is not there now
//! is dropped.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::mpsc::{Receiver, RecvTimeoutError};
use std::time::{Duration, Instant, SystemTime};

use code_index_core::discover::{
    self, DiscoverOptions, DiscoveredFile, is_always_skipped, relative_path,
};
use notify::EventKind;
use notify::event::{AccessKind, AccessMode};

use crate::dirwatch::{Delivery, DirWatcher};
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
/// How often, by default, watched directories are checked against the index.
pub const DEFAULT_VERIFY_INTERVAL: Duration = Duration::from_secs(30);

/// A directory as it was when last listed: a new inode means it was removed
/// and made again, a new modification time that entries changed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct DirStamp {
    ino: u64,
    mtime_ns: i64,
}

fn stamp(abs: &Path) -> Option<DirStamp> {
    let meta = std::fs::symlink_metadata(abs).ok()?;
    if !meta.is_dir() {
        return None;
    }
    #[cfg(unix)]
    let ino = std::os::unix::fs::MetadataExt::ino(&meta);
    #[cfg(not(unix))]
    let ino = 0;
    Some(DirStamp {
        ino,
        mtime_ns: discover::mtime_ns(&meta),
    })
}

/// Runs until the daemon stops. `dirs` are the directories of the tree,
/// relative to the root, as a walk that started after `since` found them.
pub fn run(shared: Arc<Shared>, dirs: Vec<String>, since: SystemTime) {
    let (tx, rx) = std::sync::mpsc::channel();
    let watcher = match DirWatcher::start(tx) {
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
        dirs: HashMap::new(),
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
    // A directory whose entries changed after the walk began may have
    // changed before its watch was set, unseen: list those again.
    let since_ns = since
        .duration_since(SystemTime::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_nanos()).unwrap_or(i64::MAX))
        // Coarse file-system clocks round down.
        .saturating_sub(2_000_000_000);
    let touched: Vec<String> = tree
        .dirs
        .iter()
        .filter(|(_, seen)| seen.mtime_ns >= since_ns)
        .map(|(dir, _)| dir.clone())
        .collect();
    if !touched.is_empty() {
        tracing::debug!(
            dirs = touched.len(),
            "re-listing directories changed during the first pass"
        );
        tree.relist(touched, false);
    }
    tree.run(rx);
}

struct Watched {
    shared: Arc<Shared>,
    watcher: DirWatcher,
    /// Directories watched, relative to the root, as last listed.
    dirs: HashMap<String, DirStamp>,
    /// Why watching stopped working, when the OS ran out of watches.
    exhausted: Option<String>,
}

impl Watched {
    fn watch(&mut self, dir: &str) {
        if self.exhausted.is_some() || self.dirs.contains_key(dir) {
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
        // Stamped before it is watched and listed: a change after this shows.
        let Some(seen) = stamp(&abs) else {
            return;
        };
        let refused = self
            .shared
            .faults
            .unwatchable_under
            .as_deref()
            .is_some_and(|under| Path::new(dir).starts_with(under));
        let watched = if refused {
            Err(crate::dirwatch::WatchError {
                exhausted: false,
                detail: "refused (--unwatchable-under)".into(),
            })
        } else {
            self.watcher.watch(&abs)
        };
        match watched {
            Ok(()) => {
                self.dirs.insert(dir.to_string(), seen);
            }
            Err(err) if err.exhausted => {
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
            .keys()
            .filter(|d| *d == dir || d.starts_with(&prefix))
            .cloned()
            .collect();
        for d in gone {
            self.watcher.unwatch(&self.shared.root.join(&d));
            self.dirs.remove(&d);
        }
    }

    /// Watches a directory that just appeared and everything below it, each
    /// directory before it is listed: a file created before the watch is in
    /// the listing, one created after it sends an event. What the index holds
    /// below it and the listings no longer show (the directory was removed
    /// and made again unseen) is dropped. Returns the files that need
    /// indexing, and how many were dropped.
    fn watch_new_tree(&mut self, rel: &str) -> (Vec<(DiscoveredFile, Option<u64>)>, usize) {
        let mut work = Vec::new();
        let mut listed: HashSet<String> = HashSet::new();
        // Directories below that are watched already, and so not listed here.
        let mut known: Vec<String> = Vec::new();
        let mut queue = vec![rel.to_string()];
        while let Some(dir) = queue.pop() {
            self.watch(&dir);
            let abs = self.shared.root.join(&dir);
            let Some((files, subdirs)) =
                list_children(&self.shared.root, &abs, &self.shared.options.exclude)
            else {
                continue;
            };
            let index = self.shared.read_index();
            for file in files {
                if let Some(hash) = index.needs_work(&file, &self.shared.options) {
                    work.push((file.clone(), hash));
                }
                listed.insert(file.path);
            }
            for sub in subdirs {
                if self.dirs.contains_key(&sub) {
                    known.push(sub);
                } else {
                    queue.push(sub);
                }
            }
        }
        let under_known = |path: &str| {
            known.iter().any(|k| {
                path.strip_prefix(k.as_str())
                    .is_some_and(|rest| rest.starts_with('/'))
            })
        };
        let stale: Vec<String> = self
            .shared
            .read_index()
            .files_under(rel)
            .filter(|p| !listed.contains(*p) && !under_known(p))
            .map(str::to_string)
            .collect();
        if !stale.is_empty() {
            tracing::debug!(
                dir = rel,
                files = stale.len(),
                "files indexed below a new directory are gone"
            );
            let mut index = self.shared.write_index();
            for path in &stale {
                index.remove(path);
            }
            self.shared
                .dirty
                .store(true, std::sync::atomic::Ordering::SeqCst);
        }
        (work, stale.len())
    }

    /// A full pass, then watches for directories the pass found unwatched.
    fn rescan(&mut self) {
        // Events were lost (or are too many to go one by one): the end of a
        // directory's watch may be among them. Watching each directory again
        // before the walk keeps what stands, and sets a new watch where a
        // directory was made again.
        if self.exhausted.is_none() {
            let root = self.shared.root.clone();
            for dir in self.dirs.keys() {
                let _ = self.watcher.watch(&root.join(dir));
            }
        }
        let mut walked = Vec::new();
        if let Err(err) = indexer::full_pass(&self.shared, false, |dirs| walked = dirs) {
            tracing::warn!(root = %self.shared.root.display(), "rescan failed: {err:#}");
            return;
        }
        let mut work = Vec::new();
        for dir in walked {
            if self.exhausted.is_none() && !self.dirs.contains_key(&dir) {
                work.extend(self.watch_new_tree(&dir).0);
            }
        }
        self.report_health();
        if !work.is_empty() {
            indexer::update_files(&self.shared, &work);
        }
        // Directories made again during the burst (a checkout removes and
        // makes them) have dead watches, and what changed in them after
        // the pass's walk sent no event: watch and reconcile them now.
        let changed = self.changed_dirs();
        if !changed.is_empty() {
            self.reconcile(changed);
        }
    }

    /// Directories that hold indexed files but are not watched: none should
    /// be, so each is a change the events missed (a directory removed and
    /// made again before its removal was seen, say).
    fn unwatched_dirs(&self) -> Vec<String> {
        let index = self.shared.read_index();
        let mut dirs = BTreeSet::new();
        for (_, file) in index.files() {
            if let Some((dir, _)) = file.path.rsplit_once('/')
                && !self.dirs.contains_key(dir)
                && !dirs.contains(dir)
            {
                dirs.insert(dir.to_string());
            }
        }
        dirs.into_iter().collect()
    }

    /// Watched directories that are not as they were when last listed.
    fn changed_dirs(&self) -> Vec<String> {
        let root = &self.shared.root;
        self.dirs
            .iter()
            .filter(|(dir, seen)| stamp(&root.join(dir.as_str())) != Some(**seen))
            .map(|(dir, _)| dir.clone())
            .collect()
    }

    fn report_health(&self) {
        let health = match &self.exhausted {
            Some(detail) => WatcherHealth::Polling(detail.clone()),
            None => WatcherHealth::Ok,
        };
        self.shared.set_watcher(health);
    }

    fn run(&mut self, rx: Receiver<Delivery>) {
        let mut last_poll = Instant::now();
        let mut last_verify = Instant::now();
        let dropped = self
            .shared
            .faults
            .drop_events_under
            .as_ref()
            .map(|d| self.shared.root.join(d));
        let tick = self.shared.verify_interval.min(Duration::from_millis(250));
        loop {
            if self.shared.is_stopping() {
                return;
            }
            let first = match rx.recv_timeout(tick) {
                Ok(event) => event,
                Err(RecvTimeoutError::Timeout) => {
                    if self.exhausted.is_some() && last_poll.elapsed() >= self.shared.poll_interval
                    {
                        rescan(&self.shared);
                        last_poll = Instant::now();
                    }
                    if last_verify.elapsed() >= self.shared.verify_interval {
                        self.verify();
                        last_verify = Instant::now();
                    }
                    continue;
                }
                Err(RecvTimeoutError::Disconnected) => return,
            };
            let mut paths: BTreeSet<PathBuf> = BTreeSet::new();
            // Paths created, removed or renamed: a directory among them that
            // exists now is a new one, whatever its inode number (a removed
            // directory's number is often given to the next one made).
            let mut fresh: HashSet<PathBuf> = HashSet::new();
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
                        let kept = event
                            .paths
                            .into_iter()
                            .filter(|p| dropped.as_ref().is_none_or(|d| !p.starts_with(d)));
                        if matches!(
                            event.kind,
                            EventKind::Create(_)
                                | EventKind::Remove(_)
                                | EventKind::Modify(notify::event::ModifyKind::Name(_))
                        ) {
                            for path in kept {
                                fresh.insert(path.clone());
                                paths.insert(path);
                            }
                        } else {
                            paths.extend(kept);
                        }
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
                self.apply_batch(paths, &fresh);
            }
            // If the changes brought or took names, rebuild the search table
            // now rather than in the next search.
            self.shared.read_index().prepare_search();
        }
    }

    /// Checks every watched directory against what was seen when it was last
    /// listed, and re-lists those that changed unseen (or vanished): the
    /// repair for events the OS lost or never sent.
    fn verify(&mut self) {
        if self.exhausted.is_some() {
            return;
        }
        let mut changed = self.changed_dirs();
        changed.extend(self.unwatched_dirs());
        changed.sort();
        changed.dedup();
        *self
            .shared
            .watcher_checked
            .lock()
            .unwrap_or_else(|e| e.into_inner()) = Some(Instant::now());
        if changed.is_empty() {
            return;
        }
        let dirs = changed.len();
        let fixed = self.reconcile(changed);
        if fixed > 0 {
            self.shared
                .watcher_repairs
                .fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            tracing::info!(
                root = %self.shared.root.display(),
                dirs,
                files = fixed,
                "the periodic check found changes the file events missed, and applied them"
            );
            self.shared.read_index().prepare_search();
        }
    }

    /// Re-lists directories that changed without events, watches each afresh
    /// (it may have been made again under the same inode number, its watch
    /// dead) and applies what differs; returns how many files changed.
    fn reconcile(&mut self, changed: Vec<String>) -> usize {
        self.relist(changed, true)
    }

    /// Lists directories again and applies what differs from the index;
    /// with `remade`, each is also watched afresh and re-read whole.
    fn relist(&mut self, mut changed: Vec<String>, remade: bool) -> usize {
        let root = self.shared.root.clone();
        changed.sort();
        // A directory made again is reconciled whole: what is below it need
        // not be named again.
        let mut top: Vec<String> = Vec::new();
        for dir in changed {
            let under_another = remade
                && top
                    .iter()
                    .any(|t| !t.is_empty() && dir.starts_with(&format!("{t}/")));
            if !under_another {
                top.push(dir);
            }
        }
        let mut paths: BTreeSet<PathBuf> = BTreeSet::new();
        for dir in &top {
            let abs = root.join(dir);
            if !dir.is_empty() {
                paths.insert(abs.clone());
            }
            // Its entries now, what the index holds directly in it, and the
            // directories watched directly in it.
            if let Some((files, subdirs)) = list_children(&root, &abs, &self.shared.options.exclude)
            {
                paths.extend(files.into_iter().map(|f| root.join(f.path)));
                paths.extend(subdirs.into_iter().map(|d| root.join(d)));
            }
            let direct = |p: &str| {
                let rest = if dir.is_empty() {
                    Some(p)
                } else {
                    p.strip_prefix(dir.as_str())
                        .and_then(|r| r.strip_prefix('/'))
                };
                rest.is_some_and(|r| !r.is_empty() && !r.contains('/'))
            };
            paths.extend(
                self.shared
                    .read_index()
                    .files_under(dir)
                    .filter(|p| direct(p))
                    .map(|p| root.join(p)),
            );
            paths.extend(self.dirs.keys().filter(|d| direct(d)).map(|d| root.join(d)));
        }
        let fresh: HashSet<PathBuf> = top
            .iter()
            .filter(|d| remade && !d.is_empty())
            .map(|d| root.join(d))
            .collect();
        self.apply_batch(paths, &fresh)
    }

    /// Resolves the named paths against the tree as it is now; returns how
    /// many files of the index changed.
    /// `fresh` are the paths that were created, removed or renamed.
    fn apply_batch(&mut self, paths: BTreeSet<PathBuf>, fresh: &HashSet<PathBuf>) -> usize {
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
        let mut remade: Vec<String> = Vec::new();
        for (dir, named) in by_dir {
            // Entries of `dir` that are not ignored, as the walk sees them,
            // listed after the directory is stamped.
            let seen = stamp(&dir);
            let listing = if seen.is_some() {
                list_children(&root, &dir, &self.shared.options.exclude)
            } else {
                None
            };
            let this = relative_path(&root, &dir).unwrap_or_default();
            if let (Some(seen), Some(known)) = (seen, self.dirs.get_mut(&this))
                && known.ino == seen.ino
            {
                *known = seen;
            }
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
                    match self.dirs.get(&rel) {
                        None => new_dirs.push(rel),
                        // Removed and made again: the old watch died with
                        // the old directory.
                        Some(known)
                            if fresh.contains(&root.join(&rel))
                                || stamp(&root.join(&rel)).is_none_or(|s| s.ino != known.ino) =>
                        {
                            remade.push(rel)
                        }
                        Some(_) => {}
                    }
                } else {
                    removed.push(rel);
                }
            }
        }
        let mut changed = 0;
        if !removed.is_empty() {
            let mut index = self.shared.write_index();
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
            let (found, dropped) = self.watch_new_tree(&rel);
            work.extend(found);
            changed += dropped;
        }
        for rel in remade {
            tracing::debug!(dir = rel, "a directory was made again: watching it afresh");
            self.forget_under(&rel);
            // Watched before it is reconciled, each directory below it too.
            drop(self.watch_new_tree(&rel));
            match indexer::reindex_path(&self.shared, &rel, false) {
                Ok(done) => {
                    changed += done.report.parsed + done.report.removed + done.report.touched
                }
                Err(err) => {
                    tracing::warn!(dir = rel, "cannot re-read a re-created directory: {err:#}")
                }
            }
        }
        self.report_health();
        if !work.is_empty() {
            changed += indexer::update_files(&self.shared, &work);
        }
        if changed > 0 {
            tracing::debug!(changed, "applied file changes");
        }
        changed
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
