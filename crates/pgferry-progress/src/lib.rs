//! Progress of a dump, restore or copy: counters the engines bump as data flows, and snapshots that a reporter
//! (the CLI's bars, plain lines or JSON lines) takes when it likes.
//!
//! The engines never format or print anything: they count rows and bytes per table with atomics, cheap enough
//! to do for every chunk, and the reporter decides how often to look. A [`Snapshot`] is plain data (and
//! serializable), so the end-of-run summary is the last snapshot.
//!
//! ```
//! use pgferry_progress::{Phase, Progress};
//!
//! let progress = Progress::new();
//! progress.plan(3, 1, Some(8192));
//! progress.phase(Phase::Data);
//! let table = progress.table("public.t", Some(8192));
//! table.add(b"1\tone\n2\ttwo\n");
//! table.finish();
//! progress.object_done();
//! let snapshot = progress.snapshot();
//! assert_eq!((snapshot.rows, snapshot.tables_done), (2, 1));
//! ```

use std::collections::BTreeMap;
use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use serde::Serialize;

/// Where a run is.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Phase {
    /// Connecting, reading the catalog, planning.
    #[default]
    Starting,
    /// Object definitions before the data.
    PreData,
    /// Table data and large objects.
    Data,
    /// Indexes, constraints, triggers, privileges after the data.
    PostData,
    /// Finished.
    Done,
}

/// The counters of one run, shared by its sessions.
pub struct Progress {
    started: Instant,
    state: Mutex<State>,
    /// Bytes of output written (compressed archive bytes), for the compression ratio.
    written: AtomicU64,
}

#[derive(Default)]
struct State {
    phase: Phase,
    objects_total: usize,
    objects_done: usize,
    tables_total: usize,
    tables_done: usize,
    estimated_bytes: Option<u64>,
    /// Rows and bytes of the tables that are finished.
    rows_done: u64,
    bytes_done: u64,
    running: BTreeMap<u64, Arc<TableCounter>>,
    next_key: u64,
}

struct TableCounter {
    name: String,
    estimated_bytes: Option<u64>,
    started: Instant,
    rows: AtomicU64,
    bytes: AtomicU64,
}

impl fmt::Debug for Progress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Progress")
            .field("snapshot", &self.snapshot())
            .finish()
    }
}

impl Progress {
    /// New counters; the clock starts now.
    pub fn new() -> Arc<Progress> {
        Arc::new(Progress {
            started: Instant::now(),
            state: Mutex::new(State::default()),
            written: AtomicU64::new(0),
        })
    }

    fn state(&self) -> MutexGuard<'_, State> {
        // A panic elsewhere must not silence the counters.
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// What the run will do: `objects` TOC entries, of which `tables` carry data, about `estimated_bytes` of
    /// it when known (a dump estimates from the tables' on-disk size).
    pub fn plan(&self, objects: usize, tables: usize, estimated_bytes: Option<u64>) {
        let mut state = self.state();
        state.objects_total = objects;
        state.tables_total = tables;
        state.estimated_bytes = estimated_bytes;
    }

    /// Enters `phase`.
    pub fn phase(&self, phase: Phase) {
        self.state().phase = phase;
    }

    /// One more TOC entry done.
    pub fn object_done(&self) {
        self.state().objects_done += 1;
    }

    /// The run is over: every object is done.
    pub fn finish(&self) {
        let mut state = self.state();
        state.phase = Phase::Done;
        state.objects_done = state.objects_done.max(state.objects_total);
    }

    /// Bytes of output written (after compression).
    pub fn written(&self, bytes: u64) {
        self.written.fetch_add(bytes, Ordering::Relaxed);
    }

    /// A table's data (or a group of large objects) starts flowing; count it through the returned handle.
    pub fn table(self: &Arc<Self>, name: &str, estimated_bytes: Option<u64>) -> TableProgress {
        let counter = Arc::new(TableCounter {
            name: name.to_owned(),
            estimated_bytes,
            started: Instant::now(),
            rows: AtomicU64::new(0),
            bytes: AtomicU64::new(0),
        });
        let mut state = self.state();
        let key = state.next_key;
        state.next_key += 1;
        state.running.insert(key, Arc::clone(&counter));
        TableProgress {
            progress: Arc::clone(self),
            counter,
            key,
        }
    }

    /// The counters now.
    pub fn snapshot(&self) -> Snapshot {
        let state = self.state();
        let mut rows = state.rows_done;
        let mut bytes = state.bytes_done;
        let running: Vec<TableSnapshot> = state
            .running
            .values()
            .map(|t| {
                let table = TableSnapshot {
                    name: t.name.clone(),
                    rows: t.rows.load(Ordering::Relaxed),
                    bytes: t.bytes.load(Ordering::Relaxed),
                    estimated_bytes: t.estimated_bytes,
                    seconds: t.started.elapsed().as_secs_f64(),
                };
                rows += table.rows;
                bytes += table.bytes;
                table
            })
            .collect();
        Snapshot {
            phase: state.phase,
            seconds: self.started.elapsed().as_secs_f64(),
            objects_total: state.objects_total,
            objects_done: state.objects_done,
            tables_total: state.tables_total,
            tables_done: state.tables_done,
            rows,
            bytes,
            estimated_bytes: state.estimated_bytes,
            written_bytes: self.written.load(Ordering::Relaxed),
            running,
        }
    }
}

/// Counts one table's data; finishing (or dropping, when the table failed) moves its counts into the totals.
pub struct TableProgress {
    progress: Arc<Progress>,
    counter: Arc<TableCounter>,
    key: u64,
}

impl fmt::Debug for TableProgress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TableProgress")
            .field("name", &self.counter.name)
            .finish()
    }
}

impl TableProgress {
    /// A chunk of COPY text: its bytes, and a row per line.
    pub fn add(&self, chunk: &[u8]) {
        self.add_counts(count_lines(chunk), chunk.len() as u64);
    }

    /// Rows and bytes, counted by the caller.
    pub fn add_counts(&self, rows: u64, bytes: u64) {
        self.counter.rows.fetch_add(rows, Ordering::Relaxed);
        self.counter.bytes.fetch_add(bytes, Ordering::Relaxed);
    }

    /// The table is done.
    pub fn finish(self) {
        // Drop does the work: a failed table is moved out of the running set the same way.
    }
}

impl Drop for TableProgress {
    fn drop(&mut self) {
        let mut state = self.progress.state();
        state.running.remove(&self.key);
        state.tables_done += 1;
        state.rows_done += self.counter.rows.load(Ordering::Relaxed);
        state.bytes_done += self.counter.bytes.load(Ordering::Relaxed);
    }
}

/// Lines in `chunk` (COPY text has one row per line; embedded newlines are escaped).
pub fn count_lines(chunk: &[u8]) -> u64 {
    chunk.iter().filter(|&&b| b == b'\n').count() as u64
}

/// The counters at one moment.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Snapshot {
    /// Where the run is.
    pub phase: Phase,
    /// Seconds since the run started.
    pub seconds: f64,
    /// TOC entries to process.
    pub objects_total: usize,
    /// TOC entries processed.
    pub objects_done: usize,
    /// Tables (and large object groups) with data to move.
    pub tables_total: usize,
    /// Of which done.
    pub tables_done: usize,
    /// Rows moved so far.
    pub rows: u64,
    /// Bytes of data moved so far (COPY text, uncompressed).
    pub bytes: u64,
    /// The expected data size, when known.
    pub estimated_bytes: Option<u64>,
    /// Output bytes written (compressed), when the run writes an archive.
    pub written_bytes: u64,
    /// The tables in flight.
    pub running: Vec<TableSnapshot>,
}

/// One table in flight.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TableSnapshot {
    /// `schema.table` (or `large objects`).
    pub name: String,
    /// Rows so far.
    pub rows: u64,
    /// Bytes so far.
    pub bytes: u64,
    /// The expected size, when known.
    pub estimated_bytes: Option<u64>,
    /// Seconds since this table started.
    pub seconds: f64,
}

impl Snapshot {
    /// Bytes per second over the whole run.
    pub fn throughput(&self) -> f64 {
        if self.seconds > 0.0 {
            self.bytes as f64 / self.seconds
        } else {
            0.0
        }
    }

    /// Time left, from the estimate and the rate so far (none without an estimate or before data flows).
    pub fn eta(&self) -> Option<Duration> {
        let estimated = self.estimated_bytes?;
        let rate = self.throughput();
        if rate <= 0.0 || self.bytes == 0 {
            return None;
        }
        let left = estimated.saturating_sub(self.bytes) as f64;
        Some(Duration::from_secs_f64(left / rate))
    }

    /// Uncompressed data bytes per output byte, when output was counted.
    pub fn compression_ratio(&self) -> Option<f64> {
        (self.written_bytes > 0).then(|| self.bytes as f64 / self.written_bytes as f64)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tables_move_into_the_totals_when_done_or_dropped() {
        let progress = Progress::new();
        progress.plan(10, 2, Some(1000));
        let a = progress.table("a", Some(600));
        let b = progress.table("b", None);
        a.add(b"1\n2\n3\n");
        b.add_counts(5, 50);
        let during = progress.snapshot();
        assert_eq!(during.running.len(), 2);
        assert_eq!((during.rows, during.bytes), (8, 56));
        a.finish();
        drop(b);
        let after = progress.snapshot();
        assert!(after.running.is_empty());
        assert_eq!((after.rows, after.bytes, after.tables_done), (8, 56, 2));
    }

    #[test]
    fn eta_needs_an_estimate_and_a_rate() {
        let mut snapshot = Snapshot {
            seconds: 10.0,
            bytes: 100,
            ..Snapshot::default()
        };
        assert_eq!(snapshot.eta(), None);
        snapshot.estimated_bytes = Some(300);
        assert_eq!(snapshot.eta(), Some(Duration::from_secs(20)));
        snapshot.written_bytes = 25;
        assert_eq!(snapshot.compression_ratio(), Some(4.0));
    }

    #[test]
    fn snapshots_serialize() {
        let progress = Progress::new();
        let _t = progress.table("public.t", None);
        let json = serde_json::to_value(progress.snapshot()).expect("json");
        assert_eq!(json["running"][0]["name"], "public.t");
        assert_eq!(json["phase"], "starting");
    }
}
