//! A dump whose data is handed to a consumer as it is read instead of being written into an archive: what
//! `pgferry copy` uses to pour a source database's rows straight into a restore into another database.
//!
//! [`PreparedDump::prepare`] does what [`dump_archive`](crate::dump_archive) does before it reads any data: the
//! leader session connects (refusing transaction poolers unless allowed), is set up as pg_dump sets it up, takes
//! its table locks, reads the catalog and plans the TOC. The TOC is the one an archive of the chosen version
//! holds: with the `DATABASE` entries, and with large objects as that version records them (see
//! `blobs_as_v114`), so that it can be restored, or written into an archive, as it is.
//!
//! [`PreparedDump::streamers`] gives the [`DataStreamer`]s that read the data: one on the leader session and,
//! for parallel reads, worker sessions that import the leader's snapshot after the same session setup (as `-j`
//! workers do), so every table is read as of one moment. [`DataStreamer::stream`] reads one data entry and hands
//! its bytes to a [`StreamOutput`] as they come: a table's COPY text in chunks of about 64 KiB ending with the
//! `\.` line, exactly as an archive holds it, or for a `BLOBS` entry each large object's OID and contents.
//!
//! With [`PreparedDump::archive_into`], every stream is also written into a custom archive on its way (a tee):
//! each streamer feeds a writer thread of its own, which encodes and compresses its blocks; one block at a time
//! streams into the file while the others spool (`ParallelCustomWriter`). When the consumer of a stream stops
//! taking it (a failed `COPY` on its side), the rest still goes into the archive, which then holds the whole
//! source. [`PreparedDump::finish`] reads the entries no consumer asked for into the archive, completes it, and
//! ends the snapshot transactions.
//!
//! Memory is bounded whatever the tables' sizes: a streamer fills one chunk (64 KiB) at a time and hands it on;
//! what it handed on waits in the consumer's channel (its bound is the consumer's) and, with an archive, in the
//! writer thread's channel (16 chunks) and the block's spool (1 MiB in memory, then a temporary file).

use std::collections::{HashMap, HashSet};
use std::fs::File;
use std::future::Future;
use std::io::{self, BufWriter};
use std::sync::{Arc, Mutex};

use bytes::Bytes;
use pgferry_archive::format::ArchiveFormat;
use pgferry_archive::write::{
    default_compression, CustomWriter, ParallelCustomWriter, WriteError, WriteOptions,
};
use pgferry_archive::{DumpId, Toc};
use pgferry_catalog::Oid;
use pgferry_conn::{ConnConfig, ServerVersion, Session};
use pgferry_progress::Progress;
use tokio::sync::mpsc;

use crate::archive::{combine, data_streams, pump, send, Message, CHANNEL_DEPTH, CHUNK};
use crate::data::{DataPlan, DataWriter, Output};
use crate::session::{self, SessionOptions};
use crate::{prepare, ArchiveOptions, DumpError, DumpOptions, DumpSummary, Prepared};

/// Where [`DataStreamer::stream`] hands a data entry's bytes. Each call may wait: that is the backpressure
/// (send into a bounded channel, say). An error means the consumer stopped taking the stream: reading stops,
/// unless an archive still needs the rest.
pub trait StreamOutput: Send {
    /// Bytes of the entry's data (COPY text, ending with the `\.` line; or SQL for `--inserts` dumps), or of
    /// the current large object.
    fn chunk(&mut self, bytes: Bytes) -> impl Future<Output = io::Result<()>> + Send;

    /// A large object of a `BLOBS` entry starts; its bytes follow.
    fn blob_start(&mut self, oid: Oid) -> impl Future<Output = io::Result<()>> + Send;

    /// The current large object is complete.
    fn blob_end(&mut self) -> impl Future<Output = io::Result<()>> + Send;
}

/// A consumer that takes nothing: the stream goes into the archive alone.
struct ArchiveOnly;

impl StreamOutput for ArchiveOnly {
    #[allow(clippy::manual_async_fn)]
    fn chunk(&mut self, _bytes: Bytes) -> impl Future<Output = io::Result<()>> + Send {
        async { Ok(()) }
    }

    #[allow(clippy::manual_async_fn)]
    fn blob_start(&mut self, _oid: Oid) -> impl Future<Output = io::Result<()>> + Send {
        async { Ok(()) }
    }

    #[allow(clippy::manual_async_fn)]
    fn blob_end(&mut self) -> impl Future<Output = io::Result<()>> + Send {
        async { Ok(()) }
    }
}

/// A dump planned and ready to hand its data to a consumer as it is read, rather than write it into an
/// archive: what `pgferry copy` reads its source with.
///
/// [`prepare`](Self::prepare) does what [`dump_archive`](crate::dump_archive) does before it reads data (session
/// setup, locks, catalog, the TOC as an archive holds it); [`streamers`](Self::streamers) gives the
/// [`DataStreamer`]s that read the data entries, on the leader session and on workers in its snapshot;
/// [`archive_into`](Self::archive_into) also writes every stream into a custom archive as it passes; and
/// [`finish`](Self::finish) completes that archive and ends the snapshot.
///
/// Memory is bounded whatever the tables' sizes: a streamer fills one chunk (64 KiB) at a time and hands it on;
/// what it handed on waits in the consumer's channel (bounded by the consumer) and, with an archive, in the
/// writer thread's channel (16 chunks) and the block's spool (1 MiB in memory, then a temporary file).
pub struct PreparedDump {
    config: ConnConfig,
    session_options: SessionOptions,
    leader: Arc<Session>,
    shared: Arc<Shared>,
    toc: Toc,
    /// The data entries, in TOC order.
    order: Vec<DumpId>,
    sizes: HashMap<DumpId, u64>,
    write_options: WriteOptions,
    summary: DumpSummary,
    progress: Option<Arc<Progress>>,
    archive: Option<ParallelCustomWriter<BufWriter<File>>>,
}

impl std::fmt::Debug for PreparedDump {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PreparedDump")
            .field("entries", &self.toc.entries.len())
            .field("data_entries", &self.order.len())
            .field("archive", &self.archive.is_some())
            .finish_non_exhaustive()
    }
}

/// What every streamer of one dump shares.
struct Shared {
    plan: Arc<DataPlan>,
    /// Every data entry; for a `BLOBS` entry, its large objects.
    streams: HashMap<DumpId, Option<Vec<Oid>>>,
    /// The entries whose data went into the archive whole.
    archived: Mutex<HashSet<DumpId>>,
    /// The role the dump reads as, for the advice on privilege errors.
    role: String,
}

impl Shared {
    fn archived(&self) -> std::sync::MutexGuard<'_, HashSet<DumpId>> {
        self.archived.lock().unwrap_or_else(|e| e.into_inner())
    }
}

impl PreparedDump {
    /// Connects to the database `config` names and does everything a dump does before reading data (session
    /// setup, locks, catalog, plan), with the TOC shaped as a custom archive with `archive`'s version and
    /// compression holds it (`archive.jobs` and `sync` are not used: see [`streamers`](Self::streamers)).
    pub async fn prepare(
        config: &ConnConfig,
        options: &DumpOptions,
        archive: &ArchiveOptions,
    ) -> Result<PreparedDump, DumpError> {
        if archive.format != ArchiveFormat::Custom {
            return Err(DumpError::Unsupported(
                "a streamed dump keeps its archive in the custom format only".to_owned(),
            ));
        }
        let compression = archive
            .compression
            .unwrap_or_else(|| default_compression(ArchiveFormat::Custom));
        let write_options = WriteOptions::new(ArchiveFormat::Custom, compression, archive.version)?;
        let session = crate::connect(config, options).await?;
        let role = crate::acting_role(&session, options);
        PreparedDump::plan(config, session, options, write_options, role.clone())
            .await
            .map_err(|e| e.explained(&role))
    }

    async fn plan(
        config: &ConnConfig,
        session: Session,
        options: &DumpOptions,
        write_options: WriteOptions,
        role: String,
    ) -> Result<PreparedDump, DumpError> {
        let mut plan = options.plan.clone();
        // As in archives: the DATABASE entries are there (a restore takes them only with --create).
        plan.database_entries = true;
        let Prepared {
            session,
            catalog,
            toc,
            quoter,
            entries,
            ..
        } = prepare(session, options, plan).await?;
        let writer = DataWriter::new(
            &session,
            &catalog,
            &toc,
            quoter,
            &options.data,
            options.progress.clone(),
        );
        let (toc, streams) = data_streams(toc, &write_options, &writer);
        let sizes = streams
            .iter()
            .map(|s| (s.id, writer.estimated_bytes(s.id)))
            .collect();
        let order = streams.iter().map(|s| s.id).collect();
        let shared = Shared {
            plan: writer.plan(),
            streams: streams
                .into_iter()
                .map(|s| (s.id, s.large_objects))
                .collect(),
            archived: Mutex::default(),
            role,
        };
        drop(writer);
        Ok(PreparedDump {
            config: config.clone(),
            session_options: options.session.clone(),
            leader: Arc::new(session),
            shared: Arc::new(shared),
            toc,
            order,
            sizes,
            write_options,
            summary: DumpSummary {
                entries,
                catalog_queries: catalog.query_count,
                lock_statements: catalog.lock_statements,
                warnings: Vec::new(),
            },
            progress: options.progress.clone(),
            archive: None,
        })
    }

    /// The TOC, as an archive holds it: restore it, or write it, as it is.
    pub fn toc(&self) -> &Toc {
        &self.toc
    }

    /// The entries with data to stream (`TABLE DATA`, `BLOBS`), in TOC order.
    pub fn data_entries(&self) -> &[DumpId] {
        &self.order
    }

    /// Each data entry's expected size in bytes, from its table's size on disk (0 for large objects): larger
    /// entries are worth starting first.
    pub fn data_sizes(&self) -> &HashMap<DumpId, u64> {
        &self.sizes
    }

    /// The archive version and compression the TOC was shaped for.
    pub fn write_options(&self) -> &WriteOptions {
        &self.write_options
    }

    /// The source server's version.
    pub fn server_version(&self) -> ServerVersion {
        self.leader.server_version()
    }

    /// Writes every stream into a custom archive in `file` as well, as it passes: the header and TOC now, each
    /// entry's block when its stream is read, the data offsets at [`finish`](Self::finish). Call it before
    /// [`streamers`](Self::streamers): the streamers made before it do not write into the archive (finish then
    /// reads their entries again for it). The file should be new and empty; on failure it holds no complete
    /// archive, and its owner should remove it.
    pub fn archive_into(&mut self, file: File) -> Result<(), DumpError> {
        let writer = CustomWriter::new(BufWriter::new(file), &self.toc, &self.write_options)?;
        self.archive = Some(ParallelCustomWriter::start(writer)?);
        Ok(())
    }

    /// The streamers that read the data: one on the leader session, then up to `workers` worker sessions
    /// (never more than there are data entries) that import the leader's snapshot (or `--snapshot`'s). Give
    /// them all back to [`finish`](Self::finish).
    pub async fn streamers(&self, workers: usize) -> Result<Vec<DataStreamer>, DumpError> {
        let mut streamers = vec![self.streamer(Arc::clone(&self.leader), false)];
        let workers = workers.min(self.order.len());
        if workers > 0 {
            let sessions = crate::parallel::start_workers(
                &self.config,
                &self.session_options,
                &self.leader,
                workers,
            )
            .await
            .map_err(|e| e.explained(&self.shared.role))?;
            streamers.extend(
                sessions
                    .into_iter()
                    .map(|session| self.streamer(Arc::new(session), true)),
            );
        }
        Ok(streamers)
    }

    fn streamer(&self, session: Arc<Session>, worker: bool) -> DataStreamer {
        let archive = self.archive.as_ref().map(|parallel| {
            let mut producer = parallel.producer();
            let (sender, mut receiver) = mpsc::channel(CHANNEL_DEPTH);
            let thread = tokio::task::spawn_blocking(move || pump(&mut producer, &mut receiver));
            ArchivePump { sender, thread }
        });
        DataStreamer {
            session,
            shared: Arc::clone(&self.shared),
            worker,
            archive,
        }
    }

    /// Ends the dump: with an archive, reads into it the entries no consumer streamed, waits for the streamers'
    /// writer threads and completes it (flushed; syncing the file is its owner's business); then ends the
    /// snapshot transactions of the workers and of the leader. `streamers` are all the streamers this dump
    /// made, none of them streaming any more.
    pub async fn finish(mut self, streamers: Vec<DataStreamer>) -> Result<DumpSummary, DumpError> {
        let mut streamers = streamers;
        if self.archive.is_some() {
            let missing: Vec<DumpId> = {
                let archived = self.shared.archived();
                self.order
                    .iter()
                    .filter(|id| !archived.contains(id))
                    .copied()
                    .collect()
            };
            if !missing.is_empty() {
                let at = match streamers.iter().position(|s| !s.worker) {
                    Some(at) => at,
                    None => {
                        streamers.push(self.streamer(Arc::clone(&self.leader), false));
                        streamers.len() - 1
                    }
                };
                for id in missing {
                    streamers[at].stream(id, &mut ArchiveOnly).await?;
                }
            }
        }
        let mut result = Ok(());
        for streamer in streamers {
            let closed = streamer.close().await;
            if result.is_ok() {
                result = closed;
            }
        }
        result?;
        if let Some(parallel) = self.archive.take() {
            combine(Ok(()), crate::parallel::finish_custom(parallel).await)?;
        }
        session::finish(&self.leader).await?;
        if let Some(progress) = &self.progress {
            progress.finish();
        }
        Ok(self.summary)
    }
}

/// The writer thread of one streamer, when the dump keeps an archive.
struct ArchivePump {
    sender: mpsc::Sender<Message>,
    thread: tokio::task::JoinHandle<Result<(), WriteError>>,
}

/// Reads data entries on one session of a [`PreparedDump`] (the leader's, or a worker's in its snapshot), one
/// at a time.
pub struct DataStreamer {
    session: Arc<Session>,
    shared: Arc<Shared>,
    worker: bool,
    archive: Option<ArchivePump>,
}

impl std::fmt::Debug for DataStreamer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DataStreamer")
            .field("worker", &self.worker)
            .field("archive", &self.archive.is_some())
            .finish_non_exhaustive()
    }
}

impl DataStreamer {
    /// Reads the data of entry `id` (one of [`PreparedDump::data_entries`]) and hands it to `out` as it
    /// comes, in chunks of about 64 KiB; with an archive, each chunk goes into it too. A worker first locks the
    /// entry's table without waiting, as pg_dump's workers do (if someone queued for an exclusive lock since
    /// the leader locked it, waiting would hang the dump: it fails instead).
    ///
    /// When `out` fails (its consumer went away), the rest of the entry still goes into the archive; without
    /// an archive, reading stops and this returns `Ok`: the consumer knows why it stopped. An error is the
    /// source's (the server's, the connection's) or the archive's.
    pub async fn stream<O: StreamOutput>(
        &mut self,
        id: DumpId,
        out: &mut O,
    ) -> Result<(), DumpError> {
        let Some(large_objects) = self.shared.streams.get(&id) else {
            return Err(DumpError::Unsupported(format!(
                "TOC entry {id} has no data to stream"
            )));
        };
        let data = DataWriter::with_plan(&self.session, Arc::clone(&self.shared.plan));
        if self.worker {
            data.lock_for_worker(id).await?;
        }
        let mut tee = Tee {
            consumer: out,
            gone: false,
            archive: self.archive.as_ref().map(|a| &a.sender),
            buffer: Vec::with_capacity(CHUNK),
        };
        let counted = data.track(id);
        let read = async {
            match large_objects {
                Some(oids) => {
                    to_archive(tee.archive, Message::Blobs(id)).await?;
                    for &oid in oids {
                        tee.blob_start(oid).await?;
                        data.large_object_bytes(oid, &mut tee, counted.as_ref())
                            .await?;
                        tee.blob_end().await?;
                    }
                }
                None => {
                    to_archive(tee.archive, Message::Data(id)).await?;
                    data.write(id, &mut tee, counted.as_ref()).await?;
                    tee.flush().await?;
                }
            }
            to_archive(tee.archive, Message::End).await?;
            Ok::<(), DumpError>(())
        };
        let result = read.await;
        match result {
            Ok(()) => {
                if self.archive.is_some() {
                    self.shared.archived().insert(id);
                }
                Ok(())
            }
            // The consumer stopped taking the rows and no archive needs them: its own error says why.
            Err(_) if tee.gone && tee.archive.is_none() => Ok(()),
            // The archive's writer thread stopped: its own error says why (a full disk, say).
            Err(error @ DumpError::Write(_))
                if self.archive.as_ref().is_some_and(|a| a.sender.is_closed()) =>
            {
                let Some(ArchivePump { sender, thread }) = self.archive.take() else {
                    return Err(error);
                };
                drop(sender);
                Err(match combine(Err(error), thread.await) {
                    Ok(()) => DumpError::Unsupported("the archive writer stopped".to_owned()),
                    Err(error) => error,
                })
            }
            Err(error) => Err(error.explained(&self.shared.role)),
        }
    }

    /// Stops the writer thread (waiting for it) and ends a worker's snapshot transaction.
    async fn close(self) -> Result<(), DumpError> {
        let mut result = Ok(());
        if let Some(ArchivePump { sender, thread }) = self.archive {
            drop(sender);
            result = combine(Ok(()), thread.await);
        }
        if self.worker {
            let finished = session::finish(&self.session).await;
            if result.is_ok() {
                result = finished;
            }
        }
        result
    }
}

/// Hands what the data writer reads to the consumer and, when there is one, to the archive's writer thread,
/// in chunks of about [`CHUNK`] bytes (COPY sends a message per row: they are gathered here).
struct Tee<'a, O> {
    consumer: &'a mut O,
    /// The consumer failed: it gets nothing more.
    gone: bool,
    archive: Option<&'a mpsc::Sender<Message>>,
    buffer: Vec<u8>,
}

/// Sends `message` to the archive's writer thread, when there is an archive.
async fn to_archive(archive: Option<&mpsc::Sender<Message>>, message: Message) -> io::Result<()> {
    match archive {
        Some(sender) => send(sender, message).await,
        None => Ok(()),
    }
}

impl<O: StreamOutput> Tee<'_, O> {
    /// The consumer failed: with an archive to complete, the stream goes on for the archive alone.
    fn consumer_failed(&mut self, error: io::Error) -> io::Result<()> {
        self.gone = true;
        match self.archive {
            Some(_) => Ok(()),
            None => Err(error),
        }
    }

    async fn flush(&mut self) -> io::Result<()> {
        if self.buffer.is_empty() {
            return Ok(());
        }
        let chunk = Bytes::from(std::mem::replace(
            &mut self.buffer,
            Vec::with_capacity(CHUNK),
        ));
        to_archive(self.archive, Message::Chunk(chunk.clone())).await?;
        if !self.gone {
            if let Err(error) = self.consumer.chunk(chunk).await {
                return self.consumer_failed(error);
            }
        }
        Ok(())
    }

    async fn blob_start(&mut self, oid: Oid) -> io::Result<()> {
        self.flush().await?;
        to_archive(self.archive, Message::BlobStart(oid)).await?;
        if !self.gone {
            if let Err(error) = self.consumer.blob_start(oid).await {
                return self.consumer_failed(error);
            }
        }
        Ok(())
    }

    async fn blob_end(&mut self) -> io::Result<()> {
        self.flush().await?;
        to_archive(self.archive, Message::BlobEnd).await?;
        if !self.gone {
            if let Err(error) = self.consumer.blob_end().await {
                return self.consumer_failed(error);
            }
        }
        Ok(())
    }
}

impl<O: StreamOutput> Output for Tee<'_, O> {
    #[allow(clippy::manual_async_fn)]
    fn put(&mut self, bytes: &[u8]) -> impl Future<Output = io::Result<()>> + Send {
        async move {
            self.buffer.extend_from_slice(bytes);
            if self.buffer.len() >= CHUNK {
                self.flush().await?;
            }
            Ok(())
        }
    }
}
