//! What the daemon's tasks share: the index, its indexing state, the watcher's
//! health and the connection count.

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Mutex, RwLock};
use std::time::{Duration, Instant};

use code_index_core::{Index, IndexOptions};
use code_index_protocol::Progress;
use tokio::sync::Notify;

/// Where the index is in its life.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Phase {
    /// Reading the snapshot.
    Loading,
    /// The first full pass over the tree.
    Indexing,
    /// The first full pass is done; changes are applied as they come.
    Ready,
    /// The first full pass could not run (the root cannot be walked); the
    /// reason is in `Shared::failure`.
    Failed,
}

impl Phase {
    pub fn as_str(self) -> &'static str {
        match self {
            Phase::Loading => "loading",
            Phase::Indexing => "indexing",
            Phase::Ready => "ready",
            Phase::Failed => "failed",
        }
    }
}

/// How file watching is doing.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum WatcherHealth {
    /// Not started yet.
    Starting,
    /// Every directory is watched.
    Ok,
    /// The OS ran out of watches: the tree is rescanned periodically.
    Polling(String),
    /// Watching failed altogether.
    Off(String),
}

impl WatcherHealth {
    pub fn as_str(&self) -> &'static str {
        match self {
            WatcherHealth::Starting => "starting",
            WatcherHealth::Ok => "ok",
            WatcherHealth::Polling(_) => "polling",
            WatcherHealth::Off(_) => "off",
        }
    }

    pub fn detail(&self) -> Option<String> {
        match self {
            WatcherHealth::Polling(d) | WatcherHealth::Off(d) => Some(d.clone()),
            _ => None,
        }
    }
}

/// Everything shared between the accept loop, connections, the indexer and
/// the watcher.
pub struct Shared {
    pub root: PathBuf,
    pub version: String,
    pub token: String,
    pub started: Instant,
    pub idle_timeout: Option<Duration>,
    pub options: IndexOptions,
    pub max_watches: Option<usize>,
    pub poll_interval: Duration,
    /// The index. Writers hold the lock only to apply one finished file.
    pub index: RwLock<Index>,
    phase: Mutex<(Phase, Option<Progress>)>,
    /// Why the first pass failed (phase `Failed`).
    failure: Mutex<Option<String>>,
    pub watcher: Mutex<WatcherHealth>,
    /// Batches of file events the watcher has applied.
    pub watcher_batches: AtomicU64,
    /// Periodic checks that found and repaired changes the events missed.
    pub watcher_repairs: AtomicU64,
    /// When the periodic check last ran.
    pub watcher_checked: Mutex<Option<Instant>>,
    /// How often the watcher checks watched directories against the index.
    pub verify_interval: Duration,
    /// Faults the tests asked for.
    pub faults: crate::Faults,
    connections: AtomicUsize,
    /// Queries and `reindex` requests being answered, over all connections.
    pub requests_in_flight: AtomicUsize,
    idle_since: Mutex<Instant>,
    /// Set when the index changed since the last snapshot.
    pub dirty: AtomicBool,
    /// Held while a snapshot is written.
    pub saving: Mutex<()>,
    /// Notified when the daemon must stop.
    pub shutdown: Notify,
    pub stopping: AtomicBool,
    /// Serializes full passes (the first one, `reindex`, the watcher's rescans).
    pub pass: Mutex<()>,
    /// `stats` of the index at a generation: computing them walks everything.
    pub stats_cache: Mutex<Option<(u64, code_index_protocol::StatsResult)>>,
    /// Failed authentications not yet logged, and when the last log line was.
    auth_failures: Mutex<(u64, Option<Instant>)>,
    /// `repo_map` at a generation, for a number of symbols per file.
    #[allow(clippy::type_complexity)]
    pub repo_map_cache: Mutex<Option<(u64, usize, Vec<code_index_protocol::RepoMapFile>)>>,
}

impl Shared {
    pub fn new(
        root: PathBuf,
        version: String,
        token: String,
        config: &crate::DaemonConfig,
        options: IndexOptions,
    ) -> Shared {
        Shared {
            index: RwLock::new(Index::new(&root)),
            root,
            version,
            token,
            started: Instant::now(),
            idle_timeout: config.idle_timeout.filter(|t| !t.is_zero()),
            options,
            max_watches: config.max_watches,
            poll_interval: config.poll_interval,
            phase: Mutex::new((Phase::Loading, None)),
            failure: Mutex::new(None),
            watcher: Mutex::new(WatcherHealth::Starting),
            watcher_batches: AtomicU64::new(0),
            watcher_repairs: AtomicU64::new(0),
            watcher_checked: Mutex::new(None),
            verify_interval: config.verify_interval,
            faults: config.faults.clone(),
            connections: AtomicUsize::new(0),
            requests_in_flight: AtomicUsize::new(0),
            idle_since: Mutex::new(Instant::now()),
            dirty: AtomicBool::new(false),
            saving: Mutex::new(()),
            shutdown: Notify::new(),
            stopping: AtomicBool::new(false),
            pass: Mutex::new(()),
            stats_cache: Mutex::new(None),
            auth_failures: Mutex::new((0, None)),
            repo_map_cache: Mutex::new(None),
        }
    }

    /// The index for reading. A panic that poisoned the lock (caught and
    /// answered as an internal error) does not make it unusable: a panic
    /// while applying one file leaves the index as it was or with that file
    /// applied, both of them consistent.
    pub fn read_index(&self) -> std::sync::RwLockReadGuard<'_, Index> {
        self.index.read().unwrap_or_else(|e| e.into_inner())
    }

    /// The index for writing; see [`Shared::read_index`] about poisoning.
    pub fn write_index(&self) -> std::sync::RwLockWriteGuard<'_, Index> {
        self.index.write().unwrap_or_else(|e| e.into_inner())
    }

    pub fn phase(&self) -> (Phase, Option<Progress>) {
        *self.phase.lock().unwrap()
    }

    pub fn set_phase(&self, phase: Phase, progress: Option<Progress>) {
        *self.phase.lock().unwrap() = (phase, progress);
    }

    /// The first pass could not run: answers stay incomplete, and `status`
    /// says why.
    pub fn set_failed(&self, reason: String) {
        *self.failure.lock().unwrap() = Some(reason);
        self.set_phase(Phase::Failed, None);
    }

    pub fn failure(&self) -> Option<String> {
        self.failure.lock().unwrap().clone()
    }

    pub fn set_watcher(&self, health: WatcherHealth) {
        *self.watcher.lock().unwrap() = health;
    }

    pub fn watcher_health(&self) -> WatcherHealth {
        self.watcher.lock().unwrap().clone()
    }

    pub fn connection_opened(&self) {
        self.connections.fetch_add(1, Ordering::SeqCst);
    }

    pub fn connection_closed(&self) {
        if self.connections.fetch_sub(1, Ordering::SeqCst) == 1 {
            *self.idle_since.lock().unwrap() = Instant::now();
        }
    }

    pub fn connections(&self) -> usize {
        self.connections.load(Ordering::SeqCst)
    }

    /// How long there has been no connection at all (zero while one is open).
    pub fn idle_for(&self) -> Duration {
        if self.connections() > 0 {
            Duration::ZERO
        } else {
            self.idle_since.lock().unwrap().elapsed()
        }
    }

    /// Logs a refused client, at most once per ten seconds with the count
    /// since the last line: a client hammering the port cannot flood the log.
    pub fn note_auth_failure(&self, why: &str) {
        let mut failures = self.auth_failures.lock().unwrap_or_else(|e| e.into_inner());
        failures.0 += 1;
        if failures
            .1
            .is_none_or(|at| at.elapsed() >= Duration::from_secs(10))
        {
            tracing::warn!(
                root = %self.root.display(),
                refused = failures.0,
                "refused a client ({why}); clients must say hello with the token from the lockfile"
            );
            *failures = (0, Some(Instant::now()));
        }
    }

    /// Marks the daemon stopping without waking the tasks yet: answers in
    /// flight are still written (each connection closes after its
    /// current answer), and the connection that asked wakes them once its
    /// answer is out ([`Shared::stop`]).
    pub fn stop_after_answering(&self) {
        self.stopping.store(true, Ordering::SeqCst);
    }

    /// Asks every task to stop.
    pub fn stop(&self) {
        self.stopping.store(true, Ordering::SeqCst);
        self.shutdown.notify_waiters();
    }

    pub fn is_stopping(&self) -> bool {
        self.stopping.load(Ordering::SeqCst)
    }
}
