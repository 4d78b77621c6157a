//! One database into another, schema and data, with no intermediate file: `pgferry copy`.
//!
//! [`copy`] joins the two engines rather than duplicating them. The dump engine (`pgferry-dump`) prepares the
//! source as a dump does ([`PreparedDump`]: the leader session, its locks and snapshot, the catalog and the
//! TOC), and its [`DataStreamer`]s read the tables in that snapshot. The restore engine (`pgferry-restore`)
//! restores that TOC into the destination as it restores an archive ([`restore_feed`]): pre-data in order on
//! its leader connection, then with `jobs` above 1 the data and post-data entries on `jobs` connections as
//! their dependencies finish (largest tables first, indexes and constraints in parallel once their table's
//! rows are in). Only where a restore would read an entry's data from an archive, it takes it from a
//! [`DataFeed`] that streams it from the source: the destination connection asks for an entry, a source
//! session streams it, and the rows go from one server's `COPY ... TO STDOUT` to the other's `COPY ... FROM
//! STDIN` as they come.
//!
//! ```no_run
//! # async fn example() -> Result<(), Box<dyn std::error::Error>> {
//! use pgferry_conn::{ConnConfig, Overrides, ProcessEnv};
//! use pgferry_copy::{copy, CopyOptions};
//!
//! let resolve = |text| ConnConfig::resolve(Some(text), &Overrides::default(), &ProcessEnv);
//! let source = resolve("postgresql://app@old-host/shop")?;
//! let destination = resolve("postgresql://app@new-host/shop")?;
//! let backup = std::fs::File::create("shop.dump")?;
//! let options = CopyOptions { jobs: 4, ..CopyOptions::default() };
//! let summary = copy(&source, Some(&destination), Some(backup), &options).await?;
//! for error in summary.errors() {
//!     eprintln!("skipped: {error}");
//! }
//! # Ok(()) }
//! ```
//!
//! The source side writes SQL for the source's server version, as pg_dump does; the destination runs it as
//! pg_restore would, so the two may be of different major versions (a 13 source into an 18 destination).
//!
//! # Memory
//!
//! No table is ever held whole: a source session fills one chunk of about 64 KiB at a time and sends it
//! through a channel of [`CHANNEL_DEPTH`] chunks to the destination connection that asked for it, waiting
//! while the channel is full (backpressure); the destination hands each chunk to its `COPY ... FROM STDIN`
//! as it comes. So each stream holds at most about 0.6 MiB, and a copy `(jobs + 1)` times that, whatever the
//! tables' sizes. With a backup archive, each chunk also goes through the source session's writer thread (16
//! chunks in flight) into its block, which streams into the file or, while another block does, into a spool
//! (1 MiB in memory, then a temporary file; complete spools waiting for the file keep at most 16 MiB in memory
//! together). A test copies a table of about 100 MiB with `-j 2` and a backup in under 40 MiB of memory.
//!
//! # Backup archive
//!
//! Given a file, [`copy`] also writes a custom-format archive of what it copied into it, on the way: every
//! stream goes to the destination and into the archive, whose header and TOC are written first and whose data
//! offsets are filled in at the end (it is the archive `pgferry dump -Fc` would have written, gzip-compressed,
//! version 1.14 by default, which pg_restore 12 and later read). An entry the destination does not take, or
//! stops taking (its `COPY` failed), is still read whole into the archive. Without a destination, the copy only
//! writes the archive: that is `pgferry dump -Fc -j N`.
//!
//! # Progress
//!
//! Each table is counted once, by the destination side (entries done, rows and bytes per table), or by the
//! dump when there is no destination.

use std::fs::File;
use std::io;
use std::sync::{Arc, Mutex, MutexGuard};

use bytes::Bytes;
use pgferry_archive::format::ArchiveFormat;
use pgferry_archive::{DumpId, TocEntry};
use pgferry_conn::ConnConfig;
use pgferry_dump::{
    ArchiveOptions, ArchiveTarget, ArchiveVersion, Compression, DataStreamer, DumpError,
    DumpOptions, DumpSummary, PreparedDump, StreamOutput,
};
use pgferry_progress::Progress;
use pgferry_restore::select::{select, SelectOptions};
use pgferry_restore::{
    restore_feed, BlobEvent, DataFeed, EntryError, RestoreError, RestoreOptions, RestoreSummary,
};
use tokio::sync::{mpsc, Semaphore};
use tokio::task::JoinSet;

/// Chunks (of about 64 KiB each) in flight from a source session to the destination connection that asked
/// for the entry.
pub const CHANNEL_DEPTH: usize = 8;

/// How a copy runs.
#[derive(Debug, Clone, Default)]
pub struct CopyOptions {
    /// What is read from the source, with pg_dump's meaning: the selection (`schemas`, `exclude_schemas`,
    /// `tables`, `exclude_tables`, `exclude_table_data`, ...), what the plan leaves out (`plan.no_privileges`,
    /// `plan.no_comments`, ...) and the session settings. Its `progress` is not used (see
    /// [`progress`](Self::progress)).
    pub dump: DumpOptions,
    /// How the destination is restored, with pg_restore's meaning: `script.clean`, `script.if_exists`,
    /// `script.no_owner`, `script.role`, `exit_on_error`, ... The parts restored (`script.schema`,
    /// `script.data`, `script.statistics`) follow what the dump holds, and its `progress` is not used.
    pub restore: RestoreOptions,
    /// Connections on each side besides the leaders (0 and 1: the data goes over the leaders, in TOC order).
    pub jobs: usize,
    /// The backup archive's compression; `None` for gzip, as `pg_dump -Fc`.
    pub backup_compression: Option<Compression>,
    /// The backup archive's version; `None` for 1.14 (1.15 with lz4 or zstd).
    pub backup_version: Option<ArchiveVersion>,
    /// Counters for a progress report: each table is counted once, by the destination side (or by the dump,
    /// when there is no destination).
    pub progress: Option<Arc<Progress>>,
}

/// What a copy did.
#[derive(Debug, Clone, Default)]
pub struct CopySummary {
    /// The source side: entries planned, catalog queries, lock statements.
    pub dump: DumpSummary,
    /// The destination side (`None` without a destination): entries restored, and those that failed and were
    /// skipped.
    pub restore: Option<RestoreSummary>,
    /// Data entries (tables, large object groups) read from the source (0 when there is no destination).
    pub data_entries: usize,
}

impl CopySummary {
    /// The destination's entries that failed (and were skipped, the copy going on), as pg_restore reports them.
    pub fn errors(&self) -> &[EntryError] {
        self.restore.as_ref().map_or(&[], |r| &r.errors)
    }
}

/// Why a copy failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CopyError {
    /// Neither a destination nor a backup file: nothing to copy into.
    #[error("nothing to copy into: give a destination database, a backup file, or both")]
    NoTarget,
    /// The source could not be read (connecting, locking, the catalog, a table's rows).
    #[error("source database: {0}")]
    Source(#[source] DumpError),
    /// The destination failed in a way that stops the copy (connecting, a session statement, an entry with
    /// `exit_on_error`).
    #[error("destination database: {0}")]
    Destination(#[source] RestoreError),
    /// The backup archive could not be written.
    #[error("backup file: {0}")]
    Backup(#[source] DumpError),
}

/// A dump error of the archive (writing it) rather than of the source.
fn source_or_backup(error: DumpError) -> CopyError {
    match error {
        DumpError::Archive(_) | DumpError::Write(_) => CopyError::Backup(error),
        error => CopyError::Source(error),
    }
}

/// Copies the database `source` names into the database `destination` names (which must exist: the copy
/// creates the objects in it, as `pg_restore -d` does), and when `backup` is given writes a custom archive of
/// what it copied into that file (see the [crate documentation](crate)). Without a destination, only the
/// archive is written.
///
/// Entries that fail at the destination are reported in the summary and skipped, as pg_restore does (unless
/// `options.restore.exit_on_error`); any failure to read the source, or to write the archive, fails the copy.
/// On failure `backup` holds no complete archive: its owner should remove it.
pub async fn copy(
    source: &ConnConfig,
    destination: Option<&ConnConfig>,
    backup: Option<File>,
    options: &CopyOptions,
) -> Result<CopySummary, CopyError> {
    let jobs = options.jobs.max(1);
    let archive = ArchiveOptions {
        format: ArchiveFormat::Custom,
        compression: options.backup_compression,
        version: options.backup_version,
        sync: false,
        jobs,
    };
    let Some(destination) = destination else {
        let Some(file) = backup else {
            return Err(CopyError::NoTarget);
        };
        // Only the archive: what `pgferry dump -Fc -j N` writes (its workers feed the archive's blocks).
        let mut dump = options.dump.clone();
        dump.progress = options.progress.clone();
        let summary =
            pgferry_dump::dump_archive(source, &dump, &archive, ArchiveTarget::File(file))
                .await
                .map_err(source_or_backup)?;
        return Ok(CopySummary {
            dump: summary,
            restore: None,
            data_entries: 0,
        });
    };

    let mut dump = options.dump.clone();
    // The destination counts the rows: counting them on both sides would count each table twice.
    dump.progress = None;
    let shape = ArchiveOptions {
        // Without an archive to keep, large objects go in groups of up to 1000 per entry, as archive version
        // 1.16 holds them, rather than one entry each.
        version: match backup {
            Some(_) => options.backup_version,
            None => Some(ArchiveVersion::V1_16),
        },
        ..archive
    };
    let mut prepared = PreparedDump::prepare(source, &dump, &shape)
        .await
        .map_err(CopyError::Source)?;
    if let Some(file) = backup {
        prepared.archive_into(file).map_err(CopyError::Backup)?;
    }
    let workers = if jobs > 1 { jobs } else { 0 };
    let streamers = prepared
        .streamers(workers)
        .await
        .map_err(CopyError::Source)?;

    let selection = select(prepared.toc(), &SelectOptions::default())
        .map_err(|e| CopyError::Destination(RestoreError::Archive(e.to_string())))?;
    let toc = selection.toc(prepared.toc());
    let content = selection.content();
    let mut restore = options.restore.clone();
    restore.progress = options.progress.clone();
    restore.script.schema = content.schema && selection.has_schema();
    restore.script.data = content.data;
    restore.script.statistics = content.statistics;
    restore.script.transaction_timeout = true;
    restore.script.restrict_key = None;
    if selection.has_schema() {
        // pg_restore disables triggers only when it restores no definitions.
        restore.script.disable_triggers = false;
    }

    let pool = Arc::new(Pool::new(streamers));
    let open = || -> Result<Box<dyn DataFeed>, RestoreError> {
        Ok(Box::new(LiveFeed {
            pool: Arc::clone(&pool),
        }))
    };
    let restored = restore_feed(
        destination,
        &open,
        &toc,
        &restore,
        jobs,
        prepared.data_sizes(),
    )
    .await;
    if restored.is_err() {
        pool.abort();
    }
    let joined = pool.join().await;
    if let Some(error) = pool.take_failure() {
        // The source's error, not what the destination made of the stream it cut.
        return Err(source_or_backup(error));
    }
    let restored = restored.map_err(CopyError::Destination)?;
    joined.map_err(CopyError::Source)?;
    let streamers = pool.take_streamers();
    let data_entries = prepared.data_entries().len();
    let dump_summary = prepared.finish(streamers).await.map_err(source_or_backup)?;
    Ok(CopySummary {
        dump: dump_summary,
        restore: Some(restored),
        data_entries,
    })
}

/// The source's streamers, lent to one stream at a time; and the tasks that stream.
struct Pool {
    idle: Mutex<Vec<DataStreamer>>,
    /// A permit per idle streamer.
    available: Semaphore,
    /// Every stream's task.
    tasks: Mutex<JoinSet<()>>,
    /// The first error of the source (or of the archive).
    failure: Mutex<Option<DumpError>>,
    count: usize,
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|e| e.into_inner())
}

impl Pool {
    fn new(streamers: Vec<DataStreamer>) -> Pool {
        let count = streamers.len();
        Pool {
            idle: Mutex::new(streamers),
            available: Semaphore::new(count),
            tasks: Mutex::new(JoinSet::new()),
            failure: Mutex::new(None),
            count,
        }
    }

    /// Waits for an idle streamer (there are as many as the destination has connections, plus the leader, so
    /// this waits only while a stream the destination gave up on runs out).
    async fn take(&self) -> Option<DataStreamer> {
        self.available.acquire().await.ok()?.forget();
        lock(&self.idle).pop()
    }

    fn give_back(&self, streamer: DataStreamer) {
        lock(&self.idle).push(streamer);
        self.available.add_permits(1);
    }

    /// Records the source's failure (the first one is kept) and returns its message for the destination.
    fn failed(&self, error: DumpError) -> String {
        let message = error.to_string();
        lock(&self.failure).get_or_insert(error);
        message
    }

    fn take_failure(&self) -> Option<DumpError> {
        lock(&self.failure).take()
    }

    fn abort(&self) {
        lock(&self.tasks).abort_all();
    }

    /// Waits for every stream's task to end.
    async fn join(&self) -> Result<(), DumpError> {
        let mut tasks = std::mem::take(&mut *lock(&self.tasks));
        let mut result = Ok(());
        while let Some(joined) = tasks.join_next().await {
            if let Err(error) = joined {
                if error.is_panic() && result.is_ok() {
                    result = Err(DumpError::Unsupported(format!(
                        "a source stream failed: {error}"
                    )));
                }
            }
        }
        result
    }

    /// The streamers, all idle again.
    fn take_streamers(&self) -> Vec<DataStreamer> {
        let streamers = std::mem::take(&mut *lock(&self.idle));
        debug_assert_eq!(streamers.len(), self.count);
        streamers
    }

    /// Streams entry `id` on the next idle streamer into `out`, on a task of its own.
    fn spawn<O: Consumer>(self: &Arc<Self>, id: DumpId, mut out: O) {
        let pool = Arc::clone(self);
        lock(&self.tasks).spawn(async move {
            let Some(mut streamer) = pool.take().await else {
                return;
            };
            let result = streamer.stream(id, &mut out).await;
            pool.give_back(streamer);
            if let Err(error) = result {
                let message = pool.failed(error);
                out.fail(message).await;
            }
        });
    }
}

/// A destination connection's end of one stream.
trait Consumer: StreamOutput + 'static {
    /// Tells the destination that the source failed (the copy then fails with the source's error).
    fn fail(self, message: String) -> impl std::future::Future<Output = ()> + Send;
}

/// A destination connection's feed: each entry it asks for is streamed from the source by a task of its own.
struct LiveFeed {
    pool: Arc<Pool>,
}

impl DataFeed for LiveFeed {
    fn data(&mut self, entry: &TocEntry) -> mpsc::Receiver<io::Result<Bytes>> {
        let (sender, receiver) = mpsc::channel(CHANNEL_DEPTH);
        self.pool.spawn(entry.dump_id, Rows(sender));
        receiver
    }

    fn blobs(&mut self, entry: &TocEntry) -> mpsc::Receiver<BlobEvent> {
        let (sender, receiver) = mpsc::channel(CHANNEL_DEPTH);
        self.pool.spawn(entry.dump_id, LargeObjects(sender));
        receiver
    }
}

fn gone() -> io::Error {
    io::Error::new(
        io::ErrorKind::BrokenPipe,
        "the destination stopped taking the data",
    )
}

/// A table's rows, on their way to a destination connection's `COPY`.
struct Rows(mpsc::Sender<io::Result<Bytes>>);

impl StreamOutput for Rows {
    async fn chunk(&mut self, bytes: Bytes) -> io::Result<()> {
        self.0.send(Ok(bytes)).await.map_err(|_| gone())
    }

    async fn blob_start(&mut self, oid: u32) -> io::Result<()> {
        Err(io::Error::other(format!(
            "large object {oid} in the rows of a table"
        )))
    }

    async fn blob_end(&mut self) -> io::Result<()> {
        Err(io::Error::other(
            "a large object's end in the rows of a table",
        ))
    }
}

impl Consumer for Rows {
    async fn fail(self, message: String) {
        let _ = self.0.send(Err(io::Error::other(message))).await;
    }
}

/// Large objects, on their way to a destination connection's `lowrite`s.
struct LargeObjects(mpsc::Sender<BlobEvent>);

impl StreamOutput for LargeObjects {
    async fn chunk(&mut self, bytes: Bytes) -> io::Result<()> {
        self.0
            .send(BlobEvent::Chunk(bytes))
            .await
            .map_err(|_| gone())
    }

    async fn blob_start(&mut self, oid: u32) -> io::Result<()> {
        self.0.send(BlobEvent::Start(oid)).await.map_err(|_| gone())
    }

    async fn blob_end(&mut self) -> io::Result<()> {
        self.0.send(BlobEvent::End).await.map_err(|_| gone())
    }
}

impl Consumer for LargeObjects {
    async fn fail(self, message: String) {
        let _ = self.0.send(BlobEvent::Failed(message)).await;
    }
}
