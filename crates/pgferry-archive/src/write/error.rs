//! What can go wrong while writing an archive.

use std::io;

use crate::format::{ArchiveFormat, ArchiveVersion, CompressionMethod};
use crate::toc::DumpId;

/// An archive could not be written.
#[derive(Debug, thiserror::Error)]
pub enum WriteError {
    /// The output failed.
    #[error("{context}: {source}")]
    Io {
        /// What was being done, e.g. `writing "dump/3358.dat.gz"`.
        context: String,
        /// The error.
        #[source]
        source: io::Error,
    },

    /// A compression specification (`-Z`) that cannot be used.
    #[error("invalid compression specification \"{spec}\": {reason}")]
    InvalidCompression {
        /// What was asked for.
        spec: String,
        /// Why it is refused.
        reason: String,
    },

    /// The compression method cannot be recorded in the archive version asked for.
    #[error(
        "{method} compression needs archive version 1.15 or later, but version {version} was asked for \
         (1.14 records only none and gzip; pg_restore 16 and later read 1.15)"
    )]
    CompressionNeedsNewerVersion {
        /// The method.
        method: &'static str,
        /// The version asked for.
        version: ArchiveVersion,
    },

    /// A version pgferry does not write.
    #[error("archive version {0} cannot be written: pgferry writes 1.14, 1.15 and 1.16")]
    UnsupportedVersion(ArchiveVersion),

    /// The format cannot hold what was asked (tar and compression, plain and archive versions).
    #[error("{format:?} format: {reason}")]
    UnsupportedByFormat {
        /// The format.
        format: ArchiveFormat,
        /// What it cannot do.
        reason: String,
    },

    /// The TOC cannot be written as it is.
    #[error("invalid TOC: {0}")]
    InvalidToc(String),

    /// No entry has this dump id.
    #[error("no TOC entry has dump id {0}")]
    UnknownEntry(DumpId),

    /// The entry has no data stream (or the wrong kind of one for the call).
    #[error("TOC entry {dump_id} ({desc}) {reason}")]
    WrongEntry {
        /// The entry.
        dump_id: DumpId,
        /// Its desc.
        desc: String,
        /// What is wrong, e.g. `has no data stream`.
        reason: &'static str,
    },

    /// The entry's data was already written.
    #[error("the data of TOC entry {0} was already written")]
    DataAlreadyWritten(DumpId),

    /// Data came out of TOC order where the format needs TOC order.
    #[error(
        "the data of TOC entry {got} was written before that of entry {expected}; {why} needs data in TOC order"
    )]
    OutOfOrder {
        /// The entry that came.
        got: DumpId,
        /// The entry whose data must come first.
        expected: DumpId,
        /// Which output needs the order.
        why: &'static str,
    },

    /// Another data stream is still open on a writer that takes one at a time.
    #[error("the data of TOC entry {0} is still being written")]
    StreamOpen(DumpId),

    /// A data stream was dropped without `finish()`, or failed: the archive cannot be completed.
    #[error(
        "the data of TOC entry {0} was abandoned before it was finished; the archive is incomplete"
    )]
    Abandoned(DumpId),

    /// `finish()` while entries still lack their data.
    #[error("no data was written for TOC entries {}", list(.0))]
    MissingData(Vec<DumpId>),

    /// A large-object call out of sequence (data before `start_blob`, OID 0, ...).
    #[error("large objects of TOC entry {dump_id}: {reason}")]
    BlobSequence {
        /// The BLOBS entry.
        dump_id: DumpId,
        /// What went wrong.
        reason: String,
    },

    /// The compressor failed.
    #[error("{method:?} compression failed: {source}")]
    Compressor {
        /// The method.
        method: CompressionMethod,
        /// The error.
        #[source]
        source: io::Error,
    },
}

impl WriteError {
    /// An [`Io`](WriteError::Io) error with its context.
    pub(crate) fn io(context: impl Into<String>, source: io::Error) -> WriteError {
        WriteError::Io {
            context: context.into(),
            source,
        }
    }
}

fn list(ids: &[DumpId]) -> String {
    ids.iter()
        .map(|id| id.to_string())
        .collect::<Vec<_>>()
        .join(", ")
}
