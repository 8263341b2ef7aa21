//! Bringing the shared index up to date: the first load and pass, `reindex`,
//! batches of changed files, and saving the snapshot. All of it runs on
//! blocking threads; the index lock is taken only to apply one finished file.

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Instant;

use code_index_core::build::{
    self, PassTarget, PathPlan, Processed, process_file, process_in_parallel,
};
use code_index_core::discover::DiscoveredFile;
use code_index_core::snapshot::{self, SnapshotError};
use code_index_core::{BuildReport, Index};
use code_index_protocol::Progress;

use crate::state::{Phase, Shared};

/// Loads the snapshot, then reconciles it with the tree. `on_walked` gets the
/// tree's directories as soon as the walk has found them (the watcher starts
/// there, so that no change made during the pass is missed).
pub fn initial_pass(
    shared: &Arc<Shared>,
    on_walked: impl FnOnce(Vec<String>),
) -> anyhow::Result<()> {
    let path = snapshot::snapshot_path(&shared.root);
    let started = Instant::now();
    // No pass (a `reindex`) may run on the empty index this one replaces.
    let one_at_a_time = shared.pass.lock().unwrap();
    if let Some(delay) = shared.faults.load_delay {
        std::thread::sleep(delay);
    }
    let loaded = Index::load_with_progress(&shared.root, &path, &mut |done, total| {
        shared.set_phase(Phase::Loading, Some(Progress { done, total }));
    });
    match loaded {
        Ok(index) => {
            tracing::info!(
                root = %shared.root.display(),
                files = index.len(),
                "snapshot loaded in {:.0} ms",
                started.elapsed().as_secs_f64() * 1000.0
            );
            *shared.write_index() = index;
        }
        Err(SnapshotError::Missing(_)) => {
            tracing::info!(root = %shared.root.display(), "no snapshot: indexing from scratch");
        }
        Err(err) => {
            tracing::warn!(
                root = %shared.root.display(),
                "discarding the snapshot at {}: {err}; indexing afresh",
                path.display()
            );
        }
    }
    drop(one_at_a_time);
    shared.set_phase(Phase::Indexing, Some(Progress::default()));
    if let Some(delay) = shared.faults.pass_delay {
        std::thread::sleep(delay);
    }
    let report = full_pass(shared, false, on_walked)?;
    shared.set_phase(Phase::Ready, None);
    shared.read_index().prepare_search();
    tracing::info!(
        root = %shared.root.display(),
        parsed = report.parsed,
        unchanged = report.unchanged,
        removed = report.removed,
        "index ready in {:.0} ms",
        started.elapsed().as_secs_f64() * 1000.0
    );
    if shared.dirty.load(Ordering::SeqCst) {
        save(shared);
    }
    Ok(())
}

/// Walks the whole tree and applies what changed (with `force`, re-parses
/// everything); `on_walked` gets the directories the walk found. Passes never
/// overlap.
pub fn full_pass(
    shared: &Shared,
    force: bool,
    on_walked: impl FnOnce(Vec<String>),
) -> anyhow::Result<BuildReport> {
    let _one_at_a_time = shared.pass.lock().unwrap();
    let started = Instant::now();
    let mut plan = shared
        .index
        .read()
        .unwrap()
        .plan_refresh(&shared.options, force)?;
    on_walked(std::mem::take(&mut plan.dirs));
    let mut report = run(shared, plan);
    report.elapsed = started.elapsed();
    Ok(report)
}

/// What `reindex` of one path did.
pub struct PathReport {
    pub report: BuildReport,
    pub plan: PathPlan,
    /// Why the file (when it is one) is listed but not parsed.
    pub skipped: Option<String>,
}

/// Re-reads one path (normalised, relative to the root) through the same
/// pipeline as a full pass: planned by the walk's rules, parsed outside the
/// index lock, applied one file at a time. A directory is reconciled whole;
/// a path that is gone or ignored is dropped from the index.
pub fn reindex_path(shared: &Shared, rel: &str, force: bool) -> anyhow::Result<PathReport> {
    let _one_at_a_time = shared.pass.lock().unwrap();
    let started = Instant::now();
    let (what, mut plan) = shared
        .index
        .read()
        .unwrap()
        .plan_path(rel, &shared.options, force)?;
    plan.dirs.clear();
    let mut report = run(shared, plan);
    report.elapsed = started.elapsed();
    let skipped = match &what {
        PathPlan::File(found) => shared
            .index
            .read()
            .unwrap()
            .skip_reason(&found.path)
            .map(|r| r.as_str().to_string()),
        _ => None,
    };
    Ok(PathReport {
        report,
        plan: what,
        skipped,
    })
}

/// Runs a plan with the shared index as the target: the lock is taken to
/// remove the vanished files and to apply each finished file, never while
/// parsing.
fn run(shared: &Shared, plan: build::RefreshPlan) -> BuildReport {
    let (phase, _) = shared.phase();
    let total = plan.work.len() as u64;
    shared.set_phase(phase, Some(Progress { done: 0, total }));
    let mut target = Locked { shared, phase };
    let report = build::run_pass(&shared.root, plan, &shared.options, &mut target);
    shared.set_phase(phase, None);
    report
}

/// The daemon's index as a pass target.
struct Locked<'a> {
    shared: &'a Shared,
    phase: Phase,
}

impl PassTarget for Locked<'_> {
    fn remove(&mut self, paths: &[String]) {
        let mut index = self.shared.write_index();
        for path in paths {
            index.remove(path);
        }
        self.shared.dirty.store(true, Ordering::SeqCst);
    }

    fn apply(&mut self, processed: Processed, progress: build::Progress) {
        apply(self.shared, processed);
        self.shared.set_phase(
            self.phase,
            Some(Progress {
                done: progress.done as u64,
                total: progress.total as u64,
            }),
        );
    }
}

/// Processes changed files in parallel and applies each as it finishes.
pub fn update_files(shared: &Shared, work: &[(DiscoveredFile, Option<u64>)]) -> usize {
    let mut changed = 0;
    if work.len() == 1 {
        let (found, hash) = &work[0];
        if apply(
            shared,
            process_file(&shared.root, found, &shared.options, *hash),
        ) {
            changed += 1;
        }
        return changed;
    }
    process_in_parallel(&shared.root, work, &shared.options, &mut |processed, _| {
        if apply(shared, processed) {
            changed += 1;
        }
    });
    changed
}

fn apply(shared: &Shared, processed: Processed) -> bool {
    let changed = shared.write_index().apply(processed);
    shared.dirty.store(true, Ordering::SeqCst);
    changed
}

/// Writes the snapshot if the index changed since the last one.
pub fn save(shared: &Shared) {
    // One save at a time: the save at exit waits for one in progress (say,
    // the first pass's) rather than finding nothing dirty and letting the
    // process end in the middle of it.
    let _one_at_a_time = shared.saving.lock().unwrap_or_else(|e| e.into_inner());
    if !shared.dirty.swap(false, Ordering::SeqCst) {
        return;
    }
    let path = snapshot::snapshot_path(&shared.root);
    let started = Instant::now();
    let result = shared.read_index().save(&path);
    match result {
        Ok(bytes) => tracing::info!(
            root = %shared.root.display(),
            bytes,
            "snapshot saved in {:.0} ms",
            started.elapsed().as_secs_f64() * 1000.0
        ),
        Err(err) => {
            shared.dirty.store(true, Ordering::SeqCst);
            tracing::warn!(
                root = %shared.root.display(),
                "could not save the snapshot to {}: {err}",
                path.display()
            );
        }
    }
}
