//! Parallel restore (`-j N`), scheduled as pg_restore schedules it.
//!
//! 1. The leader connection restores the beginning of the archive in order: pre-data entries (and the comments
//!    and the like among them), up to the first data or post-data entry; later pre-data-like entries wait.
//! 2. N worker connections then take the rest as their dependencies finish: data entries largest first, then
//!    post-data entries, which depend on their table's data rather than on the table itself (so an index is
//!    built after the rows are in). Two entries that both need an exclusive lock on one table (constraints,
//!    foreign keys, rules, triggers) never run at once. The privilege pass and the final pass (event
//!    triggers, materialized view refreshes) follow, also in parallel, each once the previous pass is done.
//! 3. The leader restores whatever is left (entries whose dependencies failed) in order.
//!
//! Each worker reads the archive through its own reader, so decompression runs in parallel too.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap, HashSet};
use std::path::Path;
use std::sync::Mutex;

use futures_util::stream::{FuturesUnordered, StreamExt};
use pgferry_archive::read::Archive;
use pgferry_archive::script::{restore_pass, RestorePass};
use pgferry_archive::{desc, DataLocation, DumpId, Section, Toc, TocEntry};
use pgferry_conn::ConnConfig;
use tokio::sync::Notify;

use crate::engine::{ArchiveThread, DataFeed, RestoreOptions, RestoreSummary, Worker};
use crate::RestoreError;

/// Opens the archive again, for one more connection.
pub type OpenArchive<'a> = &'a (dyn Fn() -> Result<Archive, RestoreError> + Sync);

/// Makes the [`DataFeed`] of one more connection.
pub type OpenFeed<'a> = &'a (dyn Fn() -> Result<Box<dyn DataFeed + 'a>, RestoreError> + Sync);

/// Restores `toc` (the archive's TOC, as selected) into the database `config` names with `jobs` connections
/// besides the leader. `open` opens the archive for each of them; `sizes` estimates each data entry's size
/// (larger ones start first).
pub async fn restore_archive_parallel(
    config: &ConnConfig,
    open: OpenArchive<'_>,
    toc: &Toc,
    options: &RestoreOptions,
    jobs: usize,
    sizes: &HashMap<DumpId, u64>,
) -> Result<RestoreSummary, RestoreError> {
    let open_feed = || -> Result<Box<dyn DataFeed>, RestoreError> {
        Ok(Box::new(ArchiveThread::start(open()?)))
    };
    restore_parallel(config, &open_feed, toc, options, jobs, sizes, None).await
}

/// Restores `toc` into the database `config` names with the data of its data entries from feeds that `open`
/// makes, one per connection: a live source rather than an archive (`pgferry copy`). With `jobs` above 1, on
/// `jobs` connections besides the leader, scheduled as [`restore_archive_parallel`] schedules them; else on one
/// connection, in order, as [`restore_archive`](crate::restore_archive) restores. `sizes` holds each data
/// entry's expected size in bytes (uncompressed): larger entries start first, and the sum is the progress
/// estimate.
pub async fn restore_feed(
    config: &ConnConfig,
    open: OpenFeed<'_>,
    toc: &Toc,
    options: &RestoreOptions,
    jobs: usize,
    sizes: &HashMap<DumpId, u64>,
) -> Result<RestoreSummary, RestoreError> {
    let estimate = (!sizes.is_empty()).then(|| sizes.values().sum::<u64>());
    if jobs <= 1 {
        return crate::engine::restore_serial(config, open()?, toc, options, estimate).await;
    }
    restore_parallel(config, open, toc, options, jobs, sizes, estimate).await
}

async fn restore_parallel(
    config: &ConnConfig,
    open: OpenFeed<'_>,
    toc: &Toc,
    options: &RestoreOptions,
    jobs: usize,
    sizes: &HashMap<DumpId, u64>,
    estimated_bytes: Option<u64>,
) -> Result<RestoreSummary, RestoreError> {
    if options.script.single_transaction {
        return Err(RestoreError::Archive(
            "cannot specify both --single-transaction and multiple jobs".to_owned(),
        ));
    }
    crate::engine::plan_progress(toc, options, estimated_bytes);
    let mut leader = Worker::connect(config, open()?, toc, options).await?;
    leader.drops().await?;

    // 1. The leader: pre-data in order, until something has to wait.
    let mut done: HashSet<DumpId> = HashSet::new();
    let mut later: Vec<usize> = Vec::new();
    let mut skipped_some = false;
    for (i, entry) in toc.entries.iter().enumerate() {
        let mut now = match entry.section {
            Section::PreData => true,
            Section::Data | Section::PostData => {
                skipped_some = true;
                false
            }
            // Comments, ACLs and the like: now while still in the pre-data part, else when their
            // dependencies are done.
            Section::None => !skipped_some,
        };
        if restore_pass(entry) != RestorePass::Main {
            now = false;
        }
        if now {
            leader.entry(entry).await?;
            done.insert(entry.dump_id);
        } else {
            later.push(i);
        }
    }

    // 2. The workers.
    let worker_config = leader.config().clone();
    let schedule = Schedule::new(toc, &later, &done, sizes);
    let state = Mutex::new(schedule);
    let changed = Notify::new();
    let mut workers = Vec::with_capacity(jobs);
    // Tables the leader created can take their rows with COPY FREEZE; the leader's batch (with
    // --transaction-size) is committed first, so that the workers see them.
    leader.finish().await?;
    for _ in 0..jobs {
        let mut worker = Worker::connect(&worker_config, open()?, toc, options).await?;
        worker.share_tables(&leader);
        workers.push(worker);
    }
    let mut running: FuturesUnordered<_> = workers
        .into_iter()
        .map(|worker| work(worker, toc, &state, &changed))
        .collect();
    let mut summary = RestoreSummary::default();
    let mut first_error = None;
    while let Some(result) = running.next().await {
        match result {
            Ok(worker_summary) => {
                summary.entries += worker_summary.entries;
                summary.errors.extend(worker_summary.errors);
            }
            Err(error) => {
                if first_error.is_none() {
                    first_error = Some(error);
                }
                lock(&state).stop = true;
                changed.notify_waiters();
            }
        }
    }
    if let Some(error) = first_error {
        return Err(error);
    }

    // 3. The leader again: what never became ready, in order.
    let left = lock(&state).left();
    for i in left {
        leader.entry(&toc.entries[i]).await?;
    }
    leader.finish().await?;
    summary.entries += leader.summary.entries;
    let mut errors = std::mem::take(&mut leader.summary.errors);
    errors.extend(summary.errors);
    summary.errors = errors;
    if let Some(progress) = &options.progress {
        progress.finish();
    }
    Ok(summary)
}

/// How much data each data entry of the archive at `path` holds, as stored (compressed): block lengths in a
/// custom file, file sizes in a directory. Unknown sizes are left out.
pub fn data_sizes(path: &Path, toc: &Toc) -> HashMap<DumpId, u64> {
    let mut sizes = HashMap::new();
    if path.is_dir() {
        for entry in &toc.entries {
            let DataLocation::File(name) = &entry.data_location else {
                continue;
            };
            let size = ["", ".gz", ".lz4", ".zst"]
                .iter()
                .find_map(|suffix| std::fs::metadata(path.join(format!("{name}{suffix}"))).ok())
                .map(|m| m.len());
            if let Some(size) = size {
                sizes.insert(entry.dump_id, size);
            }
        }
        return sizes;
    }
    let end = std::fs::metadata(path).map(|m| m.len()).unwrap_or(0);
    let mut offsets: Vec<(u64, DumpId)> = toc
        .entries
        .iter()
        .filter_map(|e| match e.data_location {
            DataLocation::Offset(at) => Some((at, e.dump_id)),
            _ => None,
        })
        .collect();
    offsets.sort_unstable();
    for (i, (at, id)) in offsets.iter().enumerate() {
        let next = offsets.get(i + 1).map_or(end, |(next, _)| *next);
        sizes.insert(*id, next.saturating_sub(*at));
    }
    sizes
}

fn lock<'a>(state: &'a Mutex<Schedule>) -> std::sync::MutexGuard<'a, Schedule> {
    state.lock().unwrap_or_else(|e| e.into_inner())
}

/// One worker: takes the next ready entry until none is left.
async fn work<'a>(
    mut worker: Worker<'a>,
    toc: &'a Toc,
    state: &Mutex<Schedule>,
    changed: &Notify,
) -> Result<RestoreSummary, RestoreError> {
    loop {
        // Registered before looking, so that a change between the look and the wait is not missed.
        let notified = changed.notified();
        let next = {
            let mut schedule = lock(state);
            if schedule.stop {
                return Ok(std::mem::take(&mut worker.summary));
            }
            match schedule.next() {
                Next::Run(i) => Some(i),
                Next::Wait => None,
                Next::Finished => break,
            }
        };
        let Some(i) = next else {
            notified.await;
            continue;
        };
        let result = worker.entry(&toc.entries[i]).await;
        lock(state).finish(i);
        changed.notify_waiters();
        result?;
    }
    worker.finish().await?;
    Ok(std::mem::take(&mut worker.summary))
}

enum Next {
    Run(usize),
    Wait,
    Finished,
}

/// Which entries can run: their dependencies (among the entries restored) are done, their pass has come, and
/// no running entry holds a lock they need.
struct Schedule {
    /// Per entry (by position): dependencies not yet done.
    waiting_on: HashMap<usize, HashSet<usize>>,
    /// Per entry: the entries waiting on it.
    dependents: HashMap<usize, Vec<usize>>,
    /// Per entry: the tables (positions of TABLE / TABLE DATA entries) it locks exclusively.
    locks: HashMap<usize, Vec<usize>>,
    /// Per entry: its pass.
    pass: HashMap<usize, RestorePass>,
    /// Ready entries, largest first, then in TOC order.
    ready: BinaryHeap<(u64, Reverse<usize>)>,
    /// Entries not yet ready or not yet run, in TOC order.
    pending: Vec<usize>,
    running: HashSet<usize>,
    current_pass: RestorePass,
    stop: bool,
    sizes: HashMap<usize, u64>,
}

impl Schedule {
    fn new(
        toc: &Toc,
        later: &[usize],
        done: &HashSet<DumpId>,
        sizes: &HashMap<DumpId, u64>,
    ) -> Schedule {
        let position: HashMap<DumpId, usize> = toc
            .entries
            .iter()
            .enumerate()
            .map(|(i, e)| (e.dump_id, i))
            .collect();
        // Post-data entries wait for their table's data, not just the table (pg_restore's
        // repoint_table_dependencies).
        let data_of: HashMap<DumpId, usize> = toc
            .entries
            .iter()
            .enumerate()
            .filter(|(_, e)| e.desc == desc::TABLE_DATA)
            .filter_map(|(i, e)| {
                let table = e.dependencies.first()?;
                (toc.entry(*table)?.desc == desc::TABLE).then_some((*table, i))
            })
            .collect();
        let pending_set: HashSet<usize> = later.iter().copied().collect();
        let mut schedule = Schedule {
            waiting_on: HashMap::new(),
            dependents: HashMap::new(),
            locks: HashMap::new(),
            pass: HashMap::new(),
            ready: BinaryHeap::new(),
            pending: later.to_vec(),
            running: HashSet::new(),
            current_pass: RestorePass::Main,
            stop: false,
            sizes: HashMap::new(),
        };
        for &i in later {
            let entry = &toc.entries[i];
            let mut deps = HashSet::new();
            let mut locks = Vec::new();
            for dep in &entry.dependencies {
                let target = match (entry.section, data_of.get(dep)) {
                    (Section::PostData, Some(&data)) => Some(data),
                    _ => position.get(dep).copied(),
                };
                let Some(target) = target else { continue };
                if takes_exclusive_lock(entry)
                    && matches!(
                        toc.entries[target].desc.as_str(),
                        desc::TABLE | desc::TABLE_DATA
                    )
                {
                    locks.push(target);
                }
                // Only entries still to be restored hold anything up.
                if pending_set.contains(&target) && !done.contains(&toc.entries[target].dump_id) {
                    deps.insert(target);
                }
            }
            for &d in &deps {
                schedule.dependents.entry(d).or_default().push(i);
            }
            schedule.waiting_on.insert(i, deps);
            schedule.locks.insert(i, locks);
            schedule.pass.insert(i, restore_pass(entry));
            schedule
                .sizes
                .insert(i, sizes.get(&entry.dump_id).copied().unwrap_or(0));
        }
        schedule.refill();
        schedule
    }

    /// Moves the entries of the current pass whose dependencies are done to the ready heap.
    fn refill(&mut self) {
        let pass = self.current_pass;
        let mut still = Vec::with_capacity(self.pending.len());
        for &i in &self.pending {
            if self.pass[&i] == pass && self.waiting_on[&i].is_empty() {
                self.ready.push((self.sizes[&i], Reverse(i)));
            } else {
                still.push(i);
            }
        }
        self.pending = still;
    }

    fn next(&mut self) -> Next {
        loop {
            // The largest ready entry without a lock conflict with a running one.
            let mut held_back = Vec::new();
            let mut found = None;
            while let Some(item) = self.ready.pop() {
                let i = item.1 .0;
                if self.conflicts(i) {
                    held_back.push(item);
                } else {
                    found = Some(i);
                    break;
                }
            }
            self.ready.extend(held_back);
            if let Some(i) = found {
                self.running.insert(i);
                return Next::Run(i);
            }
            if !self.ready.is_empty() || !self.running.is_empty() {
                return Next::Wait;
            }
            // Nothing ready, nothing running: the next pass, or the end.
            match self.current_pass {
                RestorePass::Main => self.current_pass = RestorePass::Acl,
                RestorePass::Acl => self.current_pass = RestorePass::PostAcl,
                RestorePass::PostAcl => return Next::Finished,
            }
            self.refill();
        }
    }

    fn conflicts(&self, i: usize) -> bool {
        let mine = &self.locks[&i];
        !mine.is_empty()
            && self
                .running
                .iter()
                .any(|r| self.locks[r].iter().any(|t| mine.contains(t)))
    }

    fn finish(&mut self, i: usize) {
        self.running.remove(&i);
        for d in self.dependents.remove(&i).unwrap_or_default() {
            if let Some(waiting) = self.waiting_on.get_mut(&d) {
                waiting.remove(&i);
            }
        }
        self.refill();
    }

    /// Entries that never ran, in TOC order.
    fn left(&self) -> Vec<usize> {
        let mut left = self.pending.clone();
        left.extend(self.ready.iter().map(|item| item.1 .0));
        left.sort_unstable();
        left
    }
}

/// pg_restore's entries that take an exclusive lock on the tables they depend on.
fn takes_exclusive_lock(entry: &TocEntry) -> bool {
    matches!(
        entry.desc.as_str(),
        desc::CONSTRAINT
            | desc::CHECK_CONSTRAINT
            | desc::FK_CONSTRAINT
            | desc::RULE
            | desc::TRIGGER
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(id: u32, desc: &str, section: Section, deps: &[u32]) -> TocEntry {
        let mut e = TocEntry::new(DumpId(id), desc, format!("e{id}"), section);
        e.dependencies = deps.iter().map(|d| DumpId(*d)).collect();
        e
    }

    #[test]
    fn indexes_wait_for_data_and_locks_keep_constraints_apart() {
        let toc = Toc {
            header: Default::default(),
            entries: vec![
                entry(1, desc::TABLE, Section::PreData, &[]),
                entry(2, desc::TABLE, Section::PreData, &[]),
                entry(3, desc::TABLE_DATA, Section::Data, &[1]),
                entry(4, desc::TABLE_DATA, Section::Data, &[2]),
                entry(5, desc::INDEX, Section::PostData, &[1]),
                entry(6, desc::FK_CONSTRAINT, Section::PostData, &[1, 2]),
                entry(7, desc::CONSTRAINT, Section::PostData, &[2]),
            ],
        };
        let done: HashSet<DumpId> = [DumpId(1), DumpId(2)].into();
        let sizes: HashMap<DumpId, u64> = [(DumpId(4), 100), (DumpId(3), 5)].into();
        let mut s = Schedule::new(&toc, &[2, 3, 4, 5, 6], &done, &sizes);
        // The larger table's data first; the index waits for table 1's data.
        assert!(matches!(s.next(), Next::Run(3)));
        assert!(matches!(s.next(), Next::Run(2)));
        assert!(matches!(s.next(), Next::Wait));
        s.finish(2);
        assert!(matches!(s.next(), Next::Run(4)));
        s.finish(3);
        // The foreign key and the primary key both lock table 2: one at a time.
        let first = match s.next() {
            Next::Run(i) => i,
            _ => panic!("expected work"),
        };
        assert!(first == 5 || first == 6);
        assert!(matches!(s.next(), Next::Wait));
        s.finish(first);
        assert!(matches!(s.next(), Next::Run(_)));
    }
}
