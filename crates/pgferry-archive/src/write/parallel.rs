//! One custom-format archive written by several producers at once (`pgferry dump -Fc -j N`).
//!
//! A custom archive is one file, its data blocks one after another. [`ParallelCustomWriter`] owns the
//! [`CustomWriter`] on a thread of its own; each producer ([`BlockProducer`], one per worker) encodes and
//! compresses its blocks itself. At most one block at a time streams straight into the archive (it holds the
//! *lease*); the blocks encoded meanwhile by the other producers are spooled, in memory up to a small limit and
//! then in anonymous temporary files, and copied in when they are complete and the archive is free. So memory
//! stays bounded whatever the tables' sizes, and the disk holds at most the blocks of the tables in flight
//! besides the archive.
//!
//! On an output that can seek, the blocks end up in the order they complete, and the TOC at the head of the
//! archive is rewritten with their offsets. On one that cannot (a pipe, stdout), pg_restore finds the blocks by
//! scanning, so they must come in TOC order: only the block next in TOC order may stream, and complete blocks
//! wait in their spools for their turn (give the producers their entries in TOC order, so that little waits).
//! A producer that stops in the middle of a block (its sink dropped unfinished) makes the archive fail: nothing
//! that looks complete is left.

use std::collections::HashMap;
use std::io::{self, Read, Seek, Write};
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::mpsc::{self, Receiver, Sender, SyncSender};
use std::sync::Arc;
use std::thread::JoinHandle;

use super::block::BlockEncoder;
use super::custom::CustomWriter;
use super::spool::Spool;
use super::{ArchiveWriter, BlobSink, DataSink, DataStats, WriteError};
use crate::format::Compression;
use crate::toc::DumpId;

/// Encoded bytes are handed on in pieces of about this size.
const PIECE: usize = 64 * 1024;
/// Pieces in flight from the block holding the lease to the archive.
const PIECES_IN_FLIGHT: usize = 16;
/// A spool keeps this much of its block in memory before moving it to a file.
const SPOOL_MEMORY: usize = 1 << 20;
/// Complete spooled blocks waiting for the archive may hold this much memory together; beyond it they are moved
/// to files before they queue.
const QUEUED_MEMORY: usize = 16 << 20;

/// A piece of the block that holds the lease.
enum Piece {
    Bytes(Vec<u8>),
    /// The block is complete.
    Done,
}

/// What the archive thread is given.
enum Block {
    /// A block streaming in as it is encoded (it holds the lease).
    Streaming(DumpId, Receiver<Piece>),
    /// A complete block, spooled.
    Spooled(DumpId, Spool),
}

#[derive(Debug, Default)]
struct Shared {
    /// Whether a block is streaming straight into the archive.
    lease: AtomicBool,
    /// Memory held by complete spooled blocks waiting in the queue.
    queued_memory: AtomicUsize,
    /// Blocks must come in TOC order (the output cannot seek).
    in_order: bool,
    /// In TOC order: the dump id of the block the archive needs next (0 when all are written).
    next: AtomicU64,
}

impl Shared {
    /// Whether the block of `dump_id` may stream now; if so, it holds the lease.
    fn take_lease(&self, dump_id: DumpId) -> bool {
        if self.in_order && self.next.load(Ordering::Acquire) != u64::from(dump_id.0) {
            return false;
        }
        self.lease
            .compare_exchange(false, true, Ordering::AcqRel, Ordering::Acquire)
            .is_ok()
    }
}

/// Writes a custom archive from several producers at once: one block at a time streams straight into the
/// archive, the others are spooled (memory, then temporary files) and copied in when complete; on a seekable
/// output the TOC is rewritten with the blocks' offsets, on a pipe the blocks come in TOC order.
///
/// ```
/// use pgferry_archive::format::{ArchiveFormat, Compression};
/// use pgferry_archive::write::{ArchiveWriter, CustomWriter, ParallelCustomWriter, WriteOptions};
/// use pgferry_archive::{desc, DumpId, Section, Toc, TocEntry};
///
/// let mut entries = Vec::new();
/// for (id, name) in [(1, "a"), (3, "b")] {
///     let mut table = TocEntry::new(DumpId(id), desc::TABLE, name, Section::PreData);
///     table.defn = Some(format!("CREATE TABLE public.{name} (x integer);\n"));
///     let mut data = TocEntry::new(DumpId(id + 1), desc::TABLE_DATA, name, Section::Data);
///     data.had_dumper = true;
///     data.dependencies = vec![DumpId(id)];
///     entries.extend([table, data]);
/// }
/// let toc = Toc { header: Default::default(), entries };
/// let options = WriteOptions::new(ArchiveFormat::Custom, Compression::NONE, None).unwrap();
/// let writer = CustomWriter::new(std::io::Cursor::new(Vec::new()), &toc, &options).unwrap();
/// let parallel = ParallelCustomWriter::start(writer).unwrap();
/// let (mut first, mut second) = (parallel.producer(), parallel.producer());
/// let mut b = second.start_data(DumpId(4)).unwrap(); // streams: it holds the lease
/// let mut a = first.start_data(DumpId(2)).unwrap(); // spooled meanwhile
/// a.write_chunk(b"1\n\\.\n\n\n").unwrap();
/// a.finish().unwrap();
/// b.write_chunk(b"2\n\\.\n\n\n").unwrap();
/// b.finish().unwrap();
/// drop((first, second));
/// let archive = parallel.finish().unwrap().into_inner();
/// assert!(archive.starts_with(b"PGDMP"));
/// ```
pub struct ParallelCustomWriter<W: Write + Send + 'static> {
    blocks: Sender<Block>,
    shared: Arc<Shared>,
    compression: Compression,
    thread: JoinHandle<Result<W, WriteError>>,
}

impl<W: Write + Send + 'static> std::fmt::Debug for ParallelCustomWriter<W> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ParallelCustomWriter")
            .field("compression", &self.compression)
            .finish_non_exhaustive()
    }
}

impl<W: Write + Seek + Send + 'static> ParallelCustomWriter<W> {
    /// Takes over `writer` (header and TOC written, no data yet) on a thread of its own.
    pub fn start(writer: CustomWriter<W>) -> Result<ParallelCustomWriter<W>, WriteError> {
        ParallelCustomWriter::start_any(writer)
    }
}

impl<W: Write + Send + 'static> ParallelCustomWriter<W> {
    /// Takes over `writer`, made by [`CustomWriter::new_unseekable`], on a thread of its own: the blocks are
    /// written in TOC order.
    pub fn start_unseekable(
        writer: CustomWriter<W>,
    ) -> Result<ParallelCustomWriter<W>, WriteError> {
        ParallelCustomWriter::start_any(writer)
    }

    fn start_any(writer: CustomWriter<W>) -> Result<ParallelCustomWriter<W>, WriteError> {
        let compression = writer.compression();
        let order = writer.data_order();
        let in_order = !writer.is_seekable();
        let shared = Arc::new(Shared {
            in_order,
            next: AtomicU64::new(order.first().map_or(0, |id| u64::from(id.0))),
            ..Shared::default()
        });
        // Blocks queue without limit: a spooled block costs a file handle and at most its share of
        // QUEUED_MEMORY, and the streaming block's pieces have their own bounded channel.
        let (blocks, queue) = mpsc::channel();
        let thread_shared = Arc::clone(&shared);
        let thread = std::thread::Builder::new()
            .name("pgferry-custom-archive".to_owned())
            .spawn(move || {
                let order = if in_order { order } else { Vec::new() };
                assemble(writer, queue, &thread_shared, order)
            })
            .map_err(|e| WriteError::io("starting the archive thread", e))?;
        Ok(ParallelCustomWriter {
            blocks,
            shared,
            compression,
            thread,
        })
    }

    /// A producer: it encodes blocks on the caller's thread and hands them to the archive. Make one per worker;
    /// drop them all before [`finish`](ParallelCustomWriter::finish).
    pub fn producer(&self) -> BlockProducer {
        BlockProducer {
            blocks: self.blocks.clone(),
            shared: Arc::clone(&self.shared),
            compression: self.compression,
        }
    }

    /// Waits for the queued blocks to be written and completes the archive (every data entry must have its
    /// block). Returns the output, flushed, or the first error the archive met.
    pub fn finish(self) -> Result<W, WriteError> {
        drop(self.blocks);
        match self.thread.join() {
            Ok(result) => result,
            Err(_) => Err(WriteError::io(
                "writing the custom archive",
                io::Error::other("the archive thread panicked"),
            )),
        }
    }
}

/// The archive thread: copies each block in as it comes (or, with an `order`, as its turn comes), then completes
/// the archive.
fn assemble<W: Write>(
    mut writer: CustomWriter<W>,
    queue: Receiver<Block>,
    shared: &Shared,
    order: Vec<DumpId>,
) -> Result<W, WriteError> {
    let mut waiting: HashMap<DumpId, Spool> = HashMap::new();
    let mut turn = 0;
    while let Ok(block) = queue.recv() {
        match block {
            Block::Streaming(dump_id, pieces) => {
                let mut reader = PieceReader {
                    dump_id,
                    pieces,
                    current: Vec::new(),
                    at: 0,
                };
                let written = writer.write_encoded_block(dump_id, &mut reader);
                if !order.is_empty() {
                    turn += 1;
                    publish_next(shared, &order, turn);
                }
                shared.lease.store(false, Ordering::Release);
                written?;
            }
            Block::Spooled(dump_id, spool) if !order.is_empty() => {
                waiting.insert(dump_id, spool);
            }
            Block::Spooled(dump_id, mut spool) => {
                write_spooled(&mut writer, shared, dump_id, &mut spool)?
            }
        }
        // In TOC order: the blocks whose turn has come.
        while let Some(mut spool) = order.get(turn).and_then(|id| waiting.remove(id)) {
            write_spooled(&mut writer, shared, order[turn], &mut spool)?;
            turn += 1;
            publish_next(shared, &order, turn);
        }
    }
    writer.finish()
}

fn publish_next(shared: &Shared, order: &[DumpId], turn: usize) {
    let next = order.get(turn).map_or(0, |id| u64::from(id.0));
    shared.next.store(next, Ordering::Release);
}

fn write_spooled<W: Write>(
    writer: &mut CustomWriter<W>,
    shared: &Shared,
    dump_id: DumpId,
    spool: &mut Spool,
) -> Result<(), WriteError> {
    shared
        .queued_memory
        .fetch_sub(spool.memory_len(), Ordering::AcqRel);
    let mut reader = spool
        .reader()
        .map_err(|e| WriteError::io("reading a spooled data block", e))?;
    writer.write_encoded_block(dump_id, &mut reader)?;
    Ok(())
}

/// Reads the pieces of the streaming block; a block whose producer went away before it was done is an error,
/// never a short block.
struct PieceReader {
    dump_id: DumpId,
    pieces: Receiver<Piece>,
    current: Vec<u8>,
    at: usize,
}

impl Read for PieceReader {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        while self.at == self.current.len() {
            match self.pieces.recv() {
                Ok(Piece::Bytes(bytes)) => {
                    self.current = bytes;
                    self.at = 0;
                }
                Ok(Piece::Done) => return Ok(0),
                Err(_) => {
                    return Err(io::Error::other(format!(
                        "the data of TOC entry {} stopped before its end",
                        self.dump_id
                    )))
                }
            }
        }
        let n = buf.len().min(self.current.len() - self.at);
        buf[..n].copy_from_slice(&self.current[self.at..self.at + n]);
        self.at += n;
        Ok(n)
    }
}

/// One worker's side of a [`ParallelCustomWriter`]: encodes (and compresses) blocks on the caller's thread.
#[derive(Debug)]
pub struct BlockProducer {
    blocks: Sender<Block>,
    shared: Arc<Shared>,
    compression: Compression,
}

impl BlockProducer {
    fn open(&self, dump_id: DumpId, blobs: bool) -> Result<ProducedBlock, WriteError> {
        let mut pending = Vec::new();
        let encoder = if blobs {
            BlockEncoder::blobs(dump_id, self.compression, &mut pending)?
        } else {
            BlockEncoder::data(dump_id, self.compression, &mut pending)?
        };
        let destination = if self.shared.take_lease(dump_id) {
            let (pieces, receiver) = mpsc::sync_channel(PIECES_IN_FLIGHT);
            if self
                .blocks
                .send(Block::Streaming(dump_id, receiver))
                .is_err()
            {
                self.shared.lease.store(false, Ordering::Release);
                return Err(archive_stopped());
            }
            Destination::Streaming(pieces)
        } else {
            Destination::Spool(Spool::with_memory_limit(SPOOL_MEMORY))
        };
        Ok(ProducedBlock {
            dump_id,
            encoder: Some(encoder),
            pending,
            destination,
            blocks: self.blocks.clone(),
            shared: Arc::clone(&self.shared),
        })
    }
}

fn archive_stopped() -> WriteError {
    WriteError::io(
        "writing the custom archive",
        io::Error::other("the archive writer stopped"),
    )
}

enum Destination {
    Streaming(SyncSender<Piece>),
    Spool(Spool),
}

/// One block being encoded by a producer.
struct ProducedBlock {
    dump_id: DumpId,
    encoder: Option<BlockEncoder>,
    pending: Vec<u8>,
    destination: Destination,
    blocks: Sender<Block>,
    shared: Arc<Shared>,
}

impl ProducedBlock {
    fn encoder(&mut self) -> Result<&mut BlockEncoder, WriteError> {
        self.encoder
            .as_mut()
            .ok_or(WriteError::Abandoned(self.dump_id))
    }

    /// Hands on the encoded bytes once there are enough of them (or all of them, with `all`).
    fn pass_on(&mut self, all: bool) -> Result<(), WriteError> {
        if self.pending.is_empty() || (!all && self.pending.len() < PIECE) {
            return Ok(());
        }
        match &mut self.destination {
            Destination::Streaming(pieces) => {
                let bytes = std::mem::replace(&mut self.pending, Vec::with_capacity(PIECE));
                pieces
                    .send(Piece::Bytes(bytes))
                    .map_err(|_| archive_stopped())
            }
            Destination::Spool(spool) => {
                let written = spool.write(&self.pending);
                self.pending.clear();
                written.map_err(|e| WriteError::io("spooling a data block", e))
            }
        }
    }

    fn push(&mut self, chunk: &[u8]) -> Result<(), WriteError> {
        let mut pending = std::mem::take(&mut self.pending);
        let pushed = self.encoder()?.push(chunk, &mut pending);
        self.pending = pending;
        pushed?;
        self.pass_on(false)
    }

    fn complete(mut self) -> Result<DataStats, WriteError> {
        let Some(encoder) = self.encoder.take() else {
            return Err(WriteError::Abandoned(self.dump_id));
        };
        let stats = DataStats {
            raw_bytes: encoder.raw_bytes(),
            stored_bytes: 0,
            blobs: encoder.blob_count(),
        };
        let mut pending = std::mem::take(&mut self.pending);
        encoder.finish(&mut pending)?;
        self.pending = pending;
        self.pass_on(true)?;
        let destination = std::mem::replace(
            &mut self.destination,
            Destination::Spool(Spool::with_memory_limit(0)),
        );
        match destination {
            Destination::Streaming(pieces) => {
                pieces.send(Piece::Done).map_err(|_| archive_stopped())?;
                Ok(DataStats {
                    stored_bytes: 0,
                    ..stats
                })
            }
            Destination::Spool(mut spool) => {
                let stored_bytes = spool.len();
                let memory = spool.memory_len();
                if memory > 0
                    && self
                        .shared
                        .queued_memory
                        .fetch_add(memory, Ordering::AcqRel)
                        + memory
                        > QUEUED_MEMORY
                {
                    self.shared
                        .queued_memory
                        .fetch_sub(memory, Ordering::AcqRel);
                    spool
                        .spill()
                        .map_err(|e| WriteError::io("spooling a data block", e))?;
                }
                self.blocks
                    .send(Block::Spooled(self.dump_id, spool))
                    .map_err(|_| archive_stopped())?;
                Ok(DataStats {
                    stored_bytes,
                    ..stats
                })
            }
        }
    }
}

// A block dropped unfinished: its streaming channel closes without `Done` (the archive fails), or its spool is
// discarded before it was queued (the archive then lacks the entry's data and `finish` fails).

struct ProducedData(ProducedBlock);

impl DataSink for ProducedData {
    fn write_chunk(&mut self, chunk: &[u8]) -> Result<(), WriteError> {
        if chunk.is_empty() {
            return Ok(());
        }
        self.0.push(chunk)
    }

    fn finish(self: Box<Self>) -> Result<DataStats, WriteError> {
        self.0.complete()
    }
}

struct ProducedBlobs(ProducedBlock);

impl BlobSink for ProducedBlobs {
    fn start_blob(&mut self, oid: u32) -> Result<(), WriteError> {
        let block = &mut self.0;
        let mut pending = std::mem::take(&mut block.pending);
        let started = block.encoder()?.start_blob(oid, &mut pending);
        block.pending = pending;
        started
    }

    fn write_chunk(&mut self, chunk: &[u8]) -> Result<(), WriteError> {
        if chunk.is_empty() {
            return Ok(());
        }
        self.0.push(chunk)
    }

    fn end_blob(&mut self) -> Result<(), WriteError> {
        let block = &mut self.0;
        let mut pending = std::mem::take(&mut block.pending);
        let ended = block.encoder()?.end_blob(&mut pending);
        block.pending = pending;
        ended?;
        block.pass_on(false)
    }

    fn finish(self: Box<Self>) -> Result<DataStats, WriteError> {
        self.0.complete()
    }
}

impl ArchiveWriter for BlockProducer {
    fn start_data(&mut self, dump_id: DumpId) -> Result<Box<dyn DataSink + '_>, WriteError> {
        Ok(Box::new(ProducedData(self.open(dump_id, false)?)))
    }

    fn start_blobs(&mut self, dump_id: DumpId) -> Result<Box<dyn BlobSink + '_>, WriteError> {
        Ok(Box::new(ProducedBlobs(self.open(dump_id, true)?)))
    }

    /// A producer completes nothing: this drops it. The archive is completed by
    /// [`ParallelCustomWriter::finish`].
    fn finish_archive(self: Box<Self>) -> Result<(), WriteError> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::format::{ArchiveFormat, CompressionMethod};
    use crate::read::Archive;
    use crate::write::WriteOptions;
    use crate::{desc, Section, Toc, TocEntry};

    fn toc(tables: u32) -> Toc {
        let mut entries = Vec::new();
        for t in 0..tables {
            let id = 2 * t + 1;
            let name = format!("t{t}");
            let mut table = TocEntry::new(DumpId(id), desc::TABLE, &name, Section::PreData);
            table.namespace = Some("public".into());
            table.defn = Some(format!("CREATE TABLE public.{name} (x text);\n"));
            let mut data = TocEntry::new(DumpId(id + 1), desc::TABLE_DATA, &name, Section::Data);
            data.namespace = Some("public".into());
            data.had_dumper = true;
            data.copy_stmt = Some(format!("COPY public.{name} (x) FROM stdin;\n"));
            data.dependencies = vec![DumpId(id)];
            entries.extend([table, data]);
        }
        Toc {
            header: Default::default(),
            entries,
        }
    }

    fn rows(t: u32, n: usize) -> Vec<u8> {
        let mut out = Vec::new();
        for i in 0..n {
            out.extend_from_slice(format!("table {t} row {i} {}\n", i * 7919 % 1013).as_bytes());
        }
        out.extend_from_slice(b"\\.\n\n\n");
        out
    }

    #[test]
    fn producers_on_threads_make_an_archive_that_reads_back() {
        let compression = Compression {
            method: CompressionMethod::Gzip,
            level: Some(1),
        };
        let toc = toc(6);
        let options = WriteOptions::new(ArchiveFormat::Custom, compression, None).unwrap();
        let file = tempfile::tempfile().unwrap();
        let writer = CustomWriter::new(file, &toc, &options).unwrap();
        let parallel = ParallelCustomWriter::start(writer).unwrap();
        std::thread::scope(|scope| {
            for worker in 0..3u32 {
                let mut producer = parallel.producer();
                scope.spawn(move || {
                    for t in [worker, worker + 3] {
                        // Big enough to spill spools to files and to need many pieces.
                        let data = rows(t, 60_000 + t as usize * 1000);
                        let mut sink = producer.start_data(DumpId(2 * t + 2)).unwrap();
                        for piece in data.chunks(10_000) {
                            sink.write_chunk(piece).unwrap();
                        }
                        sink.finish().unwrap();
                    }
                });
            }
        });
        let mut file = parallel.finish().unwrap();
        file.seek(io::SeekFrom::Start(0)).unwrap();
        let mut archive = Archive::from_reader(file).unwrap();
        for t in 0..6u32 {
            let mut got = Vec::new();
            archive
                .data(DumpId(2 * t + 2))
                .unwrap()
                .read_to_end(&mut got)
                .unwrap();
            assert_eq!(got, rows(t, 60_000 + t as usize * 1000), "table {t}");
        }
    }

    #[test]
    fn a_block_cut_short_fails_the_archive() {
        let toc = toc(2);
        let options = WriteOptions::new(ArchiveFormat::Custom, Compression::NONE, None).unwrap();
        let writer = CustomWriter::new(tempfile::tempfile().unwrap(), &toc, &options).unwrap();
        let parallel = ParallelCustomWriter::start(writer).unwrap();
        let mut producer = parallel.producer();
        {
            let mut streaming = producer.start_data(DumpId(2)).unwrap();
            streaming.write_chunk(&rows(0, 10)).unwrap();
            // Dropped without finish.
        }
        let mut other = producer.start_data(DumpId(4)).unwrap();
        other.write_chunk(&rows(1, 10)).unwrap();
        let _ = other.finish();
        drop(producer);
        let error = parallel.finish().unwrap_err().to_string();
        assert!(error.contains("stopped before its end"), "{error}");
    }

    #[test]
    fn a_spooled_block_dropped_unfinished_leaves_its_entry_missing() {
        let toc = toc(2);
        let options = WriteOptions::new(ArchiveFormat::Custom, Compression::NONE, None).unwrap();
        let writer = CustomWriter::new(tempfile::tempfile().unwrap(), &toc, &options).unwrap();
        let parallel = ParallelCustomWriter::start(writer).unwrap();
        let (mut a, mut b) = (parallel.producer(), parallel.producer());
        let mut streaming = a.start_data(DumpId(2)).unwrap();
        {
            let mut spooled = b.start_data(DumpId(4)).unwrap();
            spooled.write_chunk(&rows(1, 10)).unwrap();
        }
        streaming.write_chunk(&rows(0, 10)).unwrap();
        streaming.finish().unwrap();
        drop((a, b));
        assert!(matches!(
            parallel.finish(),
            Err(WriteError::MissingData(missing)) if missing == vec![DumpId(4)]
        ));
    }

    #[test]
    fn on_an_output_that_cannot_seek_blocks_come_in_toc_order() {
        let toc = toc(5);
        let options = WriteOptions::new(ArchiveFormat::Custom, Compression::NONE, None).unwrap();
        let writer =
            CustomWriter::new_unseekable(io::Cursor::new(Vec::new()), &toc, &options).unwrap();
        let parallel = ParallelCustomWriter::start_unseekable(writer).unwrap();
        // Finished in reverse TOC order, from two producers.
        let (mut a, mut b) = (parallel.producer(), parallel.producer());
        for t in (0..5u32).rev() {
            let producer = if t % 2 == 0 { &mut a } else { &mut b };
            let mut sink = producer.start_data(DumpId(2 * t + 2)).unwrap();
            sink.write_chunk(&rows(t, 3000)).unwrap();
            sink.finish().unwrap();
        }
        drop((a, b));
        let bytes = parallel.finish().unwrap().into_inner();
        // pg_restore's way on a pipe: the reader scans the blocks in order.
        let mut archive = Archive::from_stream(io::Cursor::new(bytes)).unwrap();
        for t in 0..5u32 {
            let mut got = Vec::new();
            archive
                .data(DumpId(2 * t + 2))
                .unwrap()
                .read_to_end(&mut got)
                .unwrap();
            assert_eq!(got, rows(t, 3000), "table {t}");
        }
    }
}
