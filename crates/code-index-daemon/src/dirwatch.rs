//! One non-recursive OS watch per directory, delivering `notify` events.
//!
//! On Linux this talks to inotify itself, keyed by watch descriptor rather
//! than by path. That matters when a directory is removed and made again at
//! once (a `git checkout`): the old directory's watch and the new one's share
//! a path but not a descriptor, and the old one's end (`IN_IGNORED`, which can
//! come late, after the new directory is watched) must not take the new
//! watch with it. An event of a watch that no longer stands for its path is
//! dropped; the end of the watch that does is reported as a removal of the
//! directory, so the watcher re-lists it and watches what is there now.
//!
//! Elsewhere, `notify`'s recommended watcher does the job.

/// What the watcher is sent: one event, or an error that calls for a rescan.
pub type Delivery = notify::Result<notify::Event>;

/// Why a directory could not be watched.
#[derive(Debug)]
pub struct WatchError {
    /// The OS has no watches left: nothing more can be watched.
    pub exhausted: bool,
    pub detail: String,
}

impl std::fmt::Display for WatchError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.detail)
    }
}

#[cfg(target_os = "linux")]
pub use linux::DirWatcher;

#[cfg(not(target_os = "linux"))]
pub use portable::DirWatcher;

#[cfg(target_os = "linux")]
mod linux {
    use std::collections::HashMap;
    use std::path::{Path, PathBuf};
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::sync::mpsc::Sender;
    use std::sync::{Arc, Mutex, MutexGuard};

    use inotify::{EventMask, Inotify, WatchDescriptor, WatchMask, Watches};
    use notify::event::{
        AccessKind, AccessMode, CreateKind, DataChange, MetadataKind, ModifyKind, RemoveKind,
        RenameMode,
    };
    use notify::{Event, EventKind};

    use super::{Delivery, WatchError};

    /// What is asked of the kernel for each directory. Opens, reads and
    /// closes without writing are not: they change nothing, and the daemon's
    /// own reads would cause them by the thousand.
    fn mask() -> WatchMask {
        WatchMask::CREATE
            | WatchMask::DELETE
            | WatchMask::DELETE_SELF
            | WatchMask::MOVE_SELF
            | WatchMask::MOVED_FROM
            | WatchMask::MOVED_TO
            | WatchMask::MODIFY
            | WatchMask::CLOSE_WRITE
            | WatchMask::ATTRIB
            | WatchMask::ONLYDIR
            | WatchMask::DONT_FOLLOW
            | WatchMask::EXCL_UNLINK
    }

    /// Watches by descriptor and by path. A path's entry names the watch that
    /// stands for it now; a descriptor may outlive that (its directory was
    /// replaced) until the kernel ends it.
    #[derive(Default)]
    struct Table {
        by_wd: HashMap<i32, PathBuf>,
        by_path: HashMap<PathBuf, WatchDescriptor>,
    }

    impl Table {
        fn is_current(&self, id: i32, path: &Path) -> bool {
            self.by_path
                .get(path)
                .is_some_and(|wd| wd.get_watch_descriptor_id() == id)
        }
    }

    pub struct DirWatcher {
        watches: Watches,
        table: Arc<Mutex<Table>>,
        stop: Arc<AtomicBool>,
    }

    fn lock(table: &Mutex<Table>) -> MutexGuard<'_, Table> {
        table.lock().unwrap_or_else(|e| e.into_inner())
    }

    impl DirWatcher {
        pub fn start(tx: Sender<Delivery>) -> Result<Self, String> {
            let inotify = Inotify::init().map_err(|err| {
                if err.raw_os_error() == Some(libc::EMFILE) {
                    format!(
                        "{err} (the OS allows no more inotify instances: raise \
                         fs.inotify.max_user_instances)"
                    )
                } else {
                    err.to_string()
                }
            })?;
            let watches = inotify.watches();
            let table = Arc::new(Mutex::new(Table::default()));
            let stop = Arc::new(AtomicBool::new(false));
            {
                let table = table.clone();
                let stop = stop.clone();
                std::thread::Builder::new()
                    .name("code-index-inotify".into())
                    .spawn(move || read_loop(inotify, &table, &stop, &tx))
                    .map_err(|err| format!("cannot start the inotify thread: {err}"))?;
            }
            Ok(DirWatcher {
                watches,
                table,
                stop,
            })
        }

        /// Watches `dir` (absolute). Watching it again is harmless: the kernel
        /// gives the same descriptor while it is the same directory.
        pub fn watch(&mut self, dir: &Path) -> Result<(), WatchError> {
            let mut table = lock(&self.table);
            match self.watches.add(dir, mask()) {
                Ok(wd) => {
                    table
                        .by_wd
                        .insert(wd.get_watch_descriptor_id(), dir.to_path_buf());
                    table.by_path.insert(dir.to_path_buf(), wd);
                    Ok(())
                }
                Err(err) => Err(WatchError {
                    exhausted: err.raw_os_error() == Some(libc::ENOSPC),
                    detail: err.to_string(),
                }),
            }
        }

        /// Stops watching `dir`, unless its watch now stands for another
        /// path (a directory renamed and watched under its new name).
        pub fn unwatch(&mut self, dir: &Path) {
            let mut table = lock(&self.table);
            let Some(wd) = table.by_path.remove(dir) else {
                return;
            };
            let id = wd.get_watch_descriptor_id();
            if table.by_wd.get(&id).is_some_and(|p| p == dir) {
                table.by_wd.remove(&id);
                // Fails when the kernel has ended the watch already.
                let _ = self.watches.remove(wd);
            }
        }
    }

    impl Drop for DirWatcher {
        fn drop(&mut self) {
            self.stop.store(true, Ordering::SeqCst);
            // Ending the watches wakes the reader, which then sees `stop`.
            let mut table = lock(&self.table);
            for (_, wd) in table.by_path.drain() {
                let _ = self.watches.remove(wd);
            }
            table.by_wd.clear();
        }
    }

    fn read_loop(
        mut inotify: Inotify,
        table: &Mutex<Table>,
        stop: &AtomicBool,
        tx: &Sender<Delivery>,
    ) {
        let mut buffer = vec![0u8; 64 * 1024];
        loop {
            let mut out = Vec::new();
            match inotify.read_events_blocking(&mut buffer) {
                Ok(events) => {
                    let mut table = lock(table);
                    for event in events {
                        translate(&mut table, &event, &mut out);
                    }
                }
                Err(err) if err.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(err) => {
                    let _ = tx.send(Err(notify::Error::io(err)));
                    return;
                }
            }
            if stop.load(Ordering::SeqCst) {
                return;
            }
            for event in out {
                if tx.send(Ok(event)).is_err() {
                    return;
                }
            }
        }
    }

    fn translate(
        table: &mut Table,
        event: &inotify::Event<&std::ffi::OsStr>,
        out: &mut Vec<Event>,
    ) {
        let mask = event.mask;
        if mask.contains(EventMask::Q_OVERFLOW) {
            out.push(Event::new(EventKind::Other).set_flag(notify::event::Flag::Rescan));
            return;
        }
        let id = event.wd.get_watch_descriptor_id();
        let Some(dir) = table.by_wd.get(&id).cloned() else {
            // Ended by `unwatch`, or never known.
            return;
        };
        let current = table.is_current(id, &dir);
        if mask.contains(EventMask::IGNORED) {
            table.by_wd.remove(&id);
            if current {
                // The directory is gone (or its file system unmounted): the
                // watcher re-lists its parent and watches what is there now.
                table.by_path.remove(&dir);
                out.push(Event::new(EventKind::Remove(RemoveKind::Folder)).add_path(dir));
            }
            return;
        }
        if !current {
            // A directory that was replaced: what happens in it is no longer
            // in the tree.
            return;
        }
        let path = match event.name {
            Some(name) => dir.join(name),
            None => dir.clone(),
        };
        let is_dir = mask.contains(EventMask::ISDIR);
        let mut push = |kind: EventKind| out.push(Event::new(kind).add_path(path.clone()));
        if mask.contains(EventMask::CREATE) {
            push(EventKind::Create(if is_dir {
                CreateKind::Folder
            } else {
                CreateKind::File
            }));
        }
        if mask.contains(EventMask::DELETE) {
            push(EventKind::Remove(if is_dir {
                RemoveKind::Folder
            } else {
                RemoveKind::File
            }));
        }
        if mask.contains(EventMask::DELETE_SELF) {
            push(EventKind::Remove(RemoveKind::Folder));
        }
        if mask.contains(EventMask::MOVED_FROM) || mask.contains(EventMask::MOVE_SELF) {
            push(EventKind::Modify(ModifyKind::Name(RenameMode::From)));
        }
        if mask.contains(EventMask::MOVED_TO) {
            push(EventKind::Modify(ModifyKind::Name(RenameMode::To)));
        }
        if mask.contains(EventMask::MODIFY) {
            push(EventKind::Modify(ModifyKind::Data(DataChange::Any)));
        }
        if mask.contains(EventMask::ATTRIB) {
            push(EventKind::Modify(ModifyKind::Metadata(MetadataKind::Any)));
        }
        if mask.contains(EventMask::CLOSE_WRITE) {
            push(EventKind::Access(AccessKind::Close(AccessMode::Write)));
        }
    }
}

#[cfg(not(target_os = "linux"))]
mod portable {
    use std::path::Path;
    use std::sync::mpsc::Sender;

    use notify::{RecommendedWatcher, RecursiveMode, Watcher};

    use super::{Delivery, WatchError};

    pub struct DirWatcher {
        inner: RecommendedWatcher,
    }

    impl DirWatcher {
        pub fn start(tx: Sender<Delivery>) -> Result<Self, String> {
            let inner = notify::recommended_watcher(move |event| {
                let _ = tx.send(event);
            })
            .map_err(|err| err.to_string())?;
            Ok(DirWatcher { inner })
        }

        pub fn watch(&mut self, dir: &Path) -> Result<(), WatchError> {
            self.inner
                .watch(dir, RecursiveMode::NonRecursive)
                .map_err(|err| WatchError {
                    exhausted: matches!(err.kind, notify::ErrorKind::MaxFilesWatch),
                    detail: err.to_string(),
                })
        }

        pub fn unwatch(&mut self, dir: &Path) {
            let _ = self.inner.unwatch(dir);
        }
    }
}
