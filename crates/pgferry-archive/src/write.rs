//! Writing archives in pg_dump's formats: custom (`-Fc`), directory (`-Fd`) and tar (`-Ft`), archive versions
//! 1.14 (the default, read by pg_restore 12 and later), 1.15 and 1.16. The byte-level reference is
//! `shared/design/archive-format.md`.
//!
//! Every writer takes the shared [`Toc`](crate::Toc) (entries in restore order) and [`WriteOptions`], writes what
//! it can up front, and then takes the data streams of the entries that have one (`had_dumper`: `TABLE DATA`,
//! `BLOBS`), a chunk at a time:
//!
//! * [`CustomWriter`]: one file. On an output that can seek, the TOC is rewritten at the end with the real data
//!   offsets; on one that cannot (a pipe, stdout), the offsets stay "not set" as pg_dump leaves them and
//!   pg_restore scans for the blocks, which then must come in TOC order.
//! * [`DirectoryWriter`]: `toc.dat` plus one file per data entry and per large object. Data files can be written
//!   concurrently, one writer per entry, from any thread.
//! * [`TarWriter`]: the same members in one tar stream, plus `restore.sql`. Uncompressed, as tar cannot compress.
//! * [`ParallelCustomWriter`]: a custom archive fed by several [`BlockProducer`]s at once (one per worker), each
//!   encoding its own blocks; one block streams into the file at a time, the others are spooled until it is free.
//!
//! A data stream is written with [`start_data`](CustomWriter::start_data) (a [`DataSink`]) or, for `BLOBS`
//! entries, [`start_blobs`](CustomWriter::start_blobs) (a [`BlobSink`]), and must be ended with `finish()`. A
//! sink dropped without `finish()` never leaves data that looks complete: the custom and tar writers refuse to
//! go on (the archive is abandoned), the directory writer removes the partial file. The archive itself is only
//! complete after the writer's own `finish()`, which fails if a data entry got no data.
//!
//! The TOC is checked before anything is written (dump ids unique and positive, `TABLE DATA` depending first on
//! its table, `BLOB METADATA` only in 1.16, ...). Each writer records its own data locations: the entries'
//! `data_location` (filled by readers) is ignored.
//!
//! The encoders underneath are sans-IO and public: [`encode`] (header, TOC, integers, strings, offsets),
//! [`BlockEncoder`] (custom data blocks with their compression and chunk framing) and [`StreamEncoder`] (the
//! compressed streams of data files). [`choose_version`] decides the archive version from what was asked for.

mod block;
mod compress;
mod custom;
mod directory;
pub mod encode;
mod error;
mod parallel;
mod spool;
mod tar;
mod validate;

pub use block::{BlockEncoder, BLK_BLOBS, BLK_DATA};
pub use compress::{
    choose_version, default_compression, parse_compression, validate_compression, CompressedWriter,
    StreamEncoder, StreamKind,
};
pub use custom::{CustomBlobsWriter, CustomDataWriter, CustomWriter};
pub use directory::{DirectoryBlobsWriter, DirectoryDataWriter, DirectoryWriter};
pub use error::WriteError;
pub use parallel::{BlockProducer, ParallelCustomWriter};
pub use tar::{TarBlobsWriter, TarDataWriter, TarWriter};

use crate::format::{ArchiveFormat, ArchiveVersion, Compression};
use crate::toc::{ArchiveHeader, CreationTime, DumpId};

/// How an archive is written: version, compression, creation time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WriteOptions {
    /// The archive version: 1.14, 1.15 or 1.16 (see [`choose_version`]).
    pub version: ArchiveVersion,
    /// The compression of the data streams (always none for tar).
    pub compression: Compression,
    /// The creation time recorded in the header (pgferry records UTC with `isdst` 0:
    /// [`encode::created_now`], [`encode::created_at`]).
    pub created: CreationTime,
    /// Directory format: `fsync` the files and the directory before `finish` returns, as pg_dump does unless
    /// `--no-sync`. The custom and tar writers leave syncing to the owner of their output.
    pub sync: bool,
}

impl WriteOptions {
    /// Options for `format` with the version [`choose_version`] decides for `requested` and `compression`,
    /// created now, syncing on.
    pub fn new(
        format: ArchiveFormat,
        compression: Compression,
        requested: Option<ArchiveVersion>,
    ) -> Result<WriteOptions, WriteError> {
        let version = choose_version(format, compression, requested)?;
        Ok(WriteOptions {
            version,
            compression,
            created: encode::created_now(),
            sync: true,
        })
    }

    /// The version, compression and creation time of an archive that was read (to write it again, in the same
    /// or another format), syncing on. The header strings come from the TOC's header.
    pub fn like(header: &ArchiveHeader) -> WriteOptions {
        WriteOptions {
            version: header.version,
            compression: header.compression,
            created: header.created,
            sync: true,
        }
    }
}

/// What one finished data stream amounted to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct DataStats {
    /// Bytes given to the sink (before compression).
    pub raw_bytes: u64,
    /// Bytes written to the archive for it (after compression and framing).
    pub stored_bytes: u64,
    /// Large objects written (BLOBS entries only).
    pub blobs: u64,
}

/// The data stream of one entry (`TABLE DATA` and the like): push chunks, then [`finish`](DataSink::finish).
///
/// Dropping a sink without finishing it abandons the stream: nothing that looks like complete data is left.
pub trait DataSink {
    /// Append bytes (COPY text rows, or SQL for `--inserts` dumps). Chunks may have any size; empty ones are
    /// ignored.
    fn write_chunk(&mut self, chunk: &[u8]) -> Result<(), WriteError>;

    /// End the stream: flush the compressor and write the end marker.
    fn finish(self: Box<Self>) -> Result<DataStats, WriteError>;
}

/// The large objects of one `BLOBS` entry: for each, [`start_blob`](BlobSink::start_blob), chunks,
/// [`end_blob`](BlobSink::end_blob); then [`finish`](BlobSink::finish).
pub trait BlobSink {
    /// Begin the large object `oid` (any OID but 0; those above 2^31 are fine).
    fn start_blob(&mut self, oid: u32) -> Result<(), WriteError>;

    /// Append bytes to the current large object.
    fn write_chunk(&mut self, chunk: &[u8]) -> Result<(), WriteError>;

    /// End the current large object.
    fn end_blob(&mut self) -> Result<(), WriteError>;

    /// End the entry. Fails if a large object is still open.
    fn finish(self: Box<Self>) -> Result<DataStats, WriteError>;

    /// A whole large object at once.
    fn write_blob(&mut self, oid: u32, bytes: &[u8]) -> Result<(), WriteError> {
        self.start_blob(oid)?;
        self.write_chunk(bytes)?;
        self.end_blob()
    }
}

/// What every archive writer offers, for code that picks the format at run time.
pub trait ArchiveWriter {
    /// The data stream of entry `dump_id` (one with `had_dumper`, not `BLOBS`).
    fn start_data(&mut self, dump_id: DumpId) -> Result<Box<dyn DataSink + '_>, WriteError>;

    /// The large objects of the `BLOBS` entry `dump_id`.
    fn start_blobs(&mut self, dump_id: DumpId) -> Result<Box<dyn BlobSink + '_>, WriteError>;

    /// Complete the archive. Fails if an entry with a data stream got none.
    fn finish_archive(self: Box<Self>) -> Result<(), WriteError>;
}
