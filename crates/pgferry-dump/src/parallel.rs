//! Parallel dumps (`-j N`): N worker sessions in the leader's snapshot, each dumping one data entry at a time,
//! largest first.
//!
//! The leader reads the catalog and holds its table locks until the end; it exports its snapshot (or passes on
//! the one `--snapshot` named) and every worker imports it after the same session setup, so all of them see one
//! consistent database. Each worker locks the table it is about to read (`NOWAIT`, as pg_dump's workers do) and
//! streams the rows through a bounded channel to a blocking thread of its own, which compresses and writes them:
//! into the entry's own file (directory format), or into a block for the shared custom archive, which takes one
//! block at a time straight in and spools the others ([`ParallelCustomWriter`]). A custom archive on a pipe or
//! stdout takes its blocks in TOC order, so there the workers take the entries in TOC order too.
//!
//! The first error stops every worker; what was written is then removed (directory) or left to the caller to
//! discard (the custom file is incomplete and fails to finish).

use std::collections::VecDeque;
use std::io::{BufWriter, Write};
use std::sync::Mutex;

use futures_util::stream::{FuturesUnordered, StreamExt};
use pgferry_archive::format::ArchiveFormat;
use pgferry_archive::write::{
    ArchiveWriter, CustomWriter, DirectoryWriter, ParallelCustomWriter, WriteError, WriteOptions,
};
use pgferry_archive::Toc;
use pgferry_conn::{ConnConfig, Session};
use tokio::sync::{mpsc, watch};

use crate::archive::{
    combine, data_streams, pump, send_stream, ArchiveTarget, DirectoryCleanup, Stream,
    CHANNEL_DEPTH,
};
use crate::data::DataWriter;
use crate::session::{self, SessionOptions};
use crate::DumpError;

/// Connects `count` workers and puts each in the leader's snapshot.
pub(crate) async fn start_workers(
    config: &ConnConfig,
    options: &SessionOptions,
    leader: &Session,
    count: usize,
) -> Result<Vec<Session>, DumpError> {
    let snapshot = match &options.snapshot {
        Some(snapshot) => snapshot.clone(),
        None => export_snapshot(leader).await?,
    };
    let worker_options = SessionOptions {
        snapshot: Some(snapshot),
        // pg_dump's workers import the snapshot into a REPEATABLE READ transaction whatever the leader uses.
        serializable_deferrable: false,
        ..options.clone()
    };
    let starts = (1..=count).map(|number| {
        let worker_options = &worker_options;
        async move {
            let started = async {
                let session = pgferry_conn::connect(config).await?;
                session::setup(&session, worker_options).await?;
                Ok::<Session, DumpError>(session)
            };
            started.await.map_err(|source| DumpError::Worker {
                number,
                source: Box::new(source),
            })
        }
    });
    futures_util::future::try_join_all(starts).await
}

async fn export_snapshot(leader: &Session) -> Result<String, DumpError> {
    let statement = "SELECT pg_catalog.pg_export_snapshot()";
    let failed = |source| DumpError::Session {
        statement: statement.to_owned(),
        source,
    };
    leader
        .query_value(statement)
        .await
        .map_err(failed)?
        .ok_or_else(|| DumpError::Unsupported("the server exported no snapshot".to_owned()))
}

/// Writes `toc` as an archive of `format` to `target`, its data read by `workers` (in the leader's snapshot)
/// through `data`.
pub(crate) async fn write_archive(
    toc: Toc,
    format: ArchiveFormat,
    options: WriteOptions,
    data: &DataWriter<'_>,
    target: ArchiveTarget,
    workers: &[Session],
) -> Result<(), DumpError> {
    let (toc, mut streams) = data_streams(toc, &options, data);
    // Largest first, so that the longest copies start early (ties keep TOC order); but an output that cannot
    // seek takes the blocks in TOC order, so there the work goes in TOC order too and little waits in spools.
    if !matches!(target, ArchiveTarget::Stream(_)) {
        streams.sort_by_key(|s| std::cmp::Reverse(data.size(s.id)));
    }
    let queue = Mutex::new(VecDeque::from(streams));
    match (format, target) {
        (ArchiveFormat::Directory, ArchiveTarget::Directory(dir)) => {
            let cleanup = DirectoryCleanup::new(dir.clone());
            let writer = DirectoryWriter::create(dir, &toc, &options)?;
            run_workers(workers, data, &queue, || Box::new(writer.clone())).await?;
            tokio::task::spawn_blocking(move || writer.finish())
                .await
                .map_err(|e| {
                    DumpError::Write(std::io::Error::other(format!(
                        "the archive writer failed: {e}"
                    )))
                })??;
            cleanup.keep();
            Ok(())
        }
        (ArchiveFormat::Custom, ArchiveTarget::File(file)) => {
            let writer = CustomWriter::new(BufWriter::new(file), &toc, &options)?;
            let parallel = ParallelCustomWriter::start(writer)?;
            write_custom(workers, data, &queue, parallel).await
        }
        (ArchiveFormat::Custom, ArchiveTarget::Stream(out)) => {
            let writer = CustomWriter::new_unseekable(BufWriter::new(out), &toc, &options)?;
            let parallel = ParallelCustomWriter::start_unseekable(writer)?;
            write_custom(workers, data, &queue, parallel).await
        }
        (format, _) => Err(DumpError::Unsupported(format!(
            "parallel dumps (-j) write the directory or the custom format, not the {format:?} format"
        ))),
    }
}

/// The workers feed `parallel`'s producers; then the archive is completed.
async fn write_custom<W: Write + Send + 'static>(
    workers: &[Session],
    data: &DataWriter<'_>,
    queue: &Mutex<VecDeque<Stream>>,
    parallel: ParallelCustomWriter<W>,
) -> Result<(), DumpError> {
    let read = run_workers(workers, data, queue, || Box::new(parallel.producer())).await;
    let written = finish_custom(parallel).await;
    match (read, written) {
        // A worker that could not hand its data on: the archive's own error says why.
        (Err(DumpError::Write(_) | DumpError::Archive(_)), Ok(Err(error))) => {
            Err(DumpError::Archive(error))
        }
        (read, written) => combine(read, written),
    }
}

/// Completes a parallel custom archive (the last blocks, the TOC with offsets) off the async threads, and flushes
/// its output.
pub(crate) async fn finish_custom<W: Write + Send + 'static>(
    parallel: ParallelCustomWriter<W>,
) -> Result<Result<(), WriteError>, tokio::task::JoinError> {
    tokio::task::spawn_blocking(move || {
        let mut out = parallel.finish()?;
        out.flush().map_err(|source| WriteError::Io {
            context: "writing the custom archive".to_owned(),
            source,
        })
    })
    .await
}

/// Runs one task per worker until the queue is empty or one of them fails; the first failure stops the others
/// and is returned.
async fn run_workers(
    workers: &[Session],
    data: &DataWriter<'_>,
    queue: &Mutex<VecDeque<Stream>>,
    target: impl Fn() -> Box<dyn ArchiveWriter + Send>,
) -> Result<(), DumpError> {
    let (stop, stopped) = watch::channel(false);
    let mut running: FuturesUnordered<_> = workers
        .iter()
        .map(|session| run_worker(data.on(session), queue, target(), stopped.clone()))
        .collect();
    let mut first_error = None;
    while let Some(result) = running.next().await {
        if let Err(error) = result {
            if first_error.is_none() {
                first_error = Some(error);
                let _ = stop.send(true);
            }
        }
    }
    first_error.map_or(Ok(()), Err)
}

/// One worker: takes entries off the queue and streams each to its writer thread.
async fn run_worker(
    data: DataWriter<'_>,
    queue: &Mutex<VecDeque<Stream>>,
    mut target: Box<dyn ArchiveWriter + Send>,
    mut stopped: watch::Receiver<bool>,
) -> Result<(), DumpError> {
    let (sender, mut receiver) = mpsc::channel(CHANNEL_DEPTH);
    let writer = tokio::task::spawn_blocking(move || pump(&mut *target, &mut receiver));
    let work = async {
        loop {
            let next = queue.lock().unwrap_or_else(|e| e.into_inner()).pop_front();
            let Some(stream) = next else {
                return Ok(());
            };
            data.lock_for_worker(stream.id).await?;
            send_stream(&sender, &data, &stream).await?;
        }
    };
    let result = tokio::select! {
        result = work => result,
        _ = stopped.wait_for(|stop| *stop) => Err(DumpError::Stopped),
    };
    drop(sender);
    // The writer thread is awaited in every case, so that nothing writes into the archive after this returns.
    combine(result, writer.await)
}
