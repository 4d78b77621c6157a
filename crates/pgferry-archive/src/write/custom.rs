//! The custom format (`-Fc`): header, TOC, then one data block per entry with data.
//!
//! The header and TOC are written when the writer is made, with the data offsets "not set". Data blocks follow
//! as their streams are written. At [`finish`](CustomWriter::finish), an output that can seek gets each data
//! entry's offset patched in place (flag 2 and the block's position: the TOC keeps its length, as offsets are
//! fixed width), as pg_dump rewrites its TOC. An output that cannot seek keeps flag 1, and pg_restore finds the
//! blocks by scanning; for that the blocks must be in TOC order, which the writer then enforces.

use std::io::{self, Read, Seek, SeekFrom, Write};

use super::block::BlockEncoder;
use super::encode::{
    archive_header, encode_header, encode_toc_count, encode_toc_entry, put_offset, DataOffset,
    TocExtra, OFFSET_LEN,
};
use super::validate::{validate, DataSlots};
use super::{ArchiveWriter, BlobSink, DataSink, DataStats, WriteError, WriteOptions};
use crate::format::{ArchiveFormat, Compression};
use crate::toc::{DumpId, Toc};

type SeekFn<W> = fn(&mut W, u64) -> io::Result<()>;

fn seek_start<W: Seek>(out: &mut W, pos: u64) -> io::Result<()> {
    out.seek(SeekFrom::Start(pos)).map(|_| ())
}

#[derive(Debug, Clone, Copy, Default)]
struct SlotState {
    /// Where the entry's 9-byte offset field is, from the start of the archive.
    offset_field: u64,
    /// Where its block starts, once written.
    block: Option<u64>,
}

/// Writes a custom-format archive to `W`.
///
/// ```
/// use pgferry_archive::format::{ArchiveFormat, Compression};
/// use pgferry_archive::write::{CustomWriter, WriteOptions};
/// use pgferry_archive::{desc, DumpId, Section, Toc, TocEntry};
///
/// let mut table = TocEntry::new(DumpId(1), desc::TABLE, "t", Section::PreData);
/// table.defn = Some("CREATE TABLE public.t (a integer);\n".into());
/// let mut data = TocEntry::new(DumpId(2), desc::TABLE_DATA, "t", Section::Data);
/// data.had_dumper = true;
/// data.copy_stmt = Some("COPY public.t (a) FROM stdin;\n".into());
/// data.dependencies = vec![DumpId(1)];
/// let toc = Toc { header: Default::default(), entries: vec![table, data] };
///
/// let options = WriteOptions::new(ArchiveFormat::Custom, Compression::NONE, None).unwrap();
/// let mut writer = CustomWriter::new(std::io::Cursor::new(Vec::new()), &toc, &options).unwrap();
/// let mut sink = writer.start_data(DumpId(2)).unwrap();
/// sink.write_chunk(b"1\n2\n\\.\n\n\n").unwrap();
/// sink.finish().unwrap();
/// let archive = writer.finish().unwrap().into_inner();
/// assert!(archive.starts_with(b"PGDMP"));
/// ```
pub struct CustomWriter<W: Write> {
    out: W,
    /// Bytes written since the archive's first byte.
    pos: u64,
    /// How to seek, when the output can; positions are `base + archive position`.
    seek: Option<SeekFn<W>>,
    base: u64,
    compression: Compression,
    slots: DataSlots,
    states: Vec<SlotState>,
    /// A stream was abandoned or failed: nothing more can be written.
    failed: Option<DumpId>,
    buf: Vec<u8>,
}

impl<W: Write> std::fmt::Debug for CustomWriter<W> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CustomWriter")
            .field("pos", &self.pos)
            .field("seekable", &self.seek.is_some())
            .field("compression", &self.compression)
            .field("failed", &self.failed)
            .finish_non_exhaustive()
    }
}

impl<W: Write + Seek> CustomWriter<W> {
    /// A writer on an output that may be able to seek (a file). Whether it really can is checked as pg_dump
    /// checks it (a `File` on a pipe cannot); if it cannot, the archive is written as for
    /// [`new_unseekable`](CustomWriter::new_unseekable). The header and TOC are written at once.
    pub fn new(
        mut out: W,
        toc: &Toc,
        options: &WriteOptions,
    ) -> Result<CustomWriter<W>, WriteError> {
        let base = out
            .stream_position()
            .and_then(|pos| out.seek(SeekFrom::Start(pos)));
        match base {
            Ok(base) => CustomWriter::start(out, Some(seek_start::<W>), base, toc, options),
            Err(_) => CustomWriter::start(out, None, 0, toc, options),
        }
    }
}

impl<W: Write> CustomWriter<W> {
    /// A writer on an output that cannot seek (stdout, a pipe, a socket): data offsets stay "not set", and data
    /// must be written in TOC order so that pg_restore finds it by scanning.
    pub fn new_unseekable(
        out: W,
        toc: &Toc,
        options: &WriteOptions,
    ) -> Result<CustomWriter<W>, WriteError> {
        CustomWriter::start(out, None, 0, toc, options)
    }

    fn start(
        out: W,
        seek: Option<SeekFn<W>>,
        base: u64,
        toc: &Toc,
        options: &WriteOptions,
    ) -> Result<CustomWriter<W>, WriteError> {
        let version = options.version;
        super::compress::choose_version(ArchiveFormat::Custom, options.compression, Some(version))?;
        let slots = validate(toc, ArchiveFormat::Custom, version)?;
        let header = archive_header(
            &toc.header,
            version,
            ArchiveFormat::Custom,
            options.compression,
            options.created,
        );
        let mut buf = Vec::new();
        encode_header(&mut buf, &header)?;
        encode_toc_count(&mut buf, toc.entries.len())?;
        let mut states = vec![SlotState::default(); slots.slots.len()];
        for entry in &toc.entries {
            let offset = if entry.had_dumper {
                DataOffset::NotSet
            } else {
                DataOffset::NoData
            };
            encode_toc_entry(&mut buf, entry, version, TocExtra::Offset(offset));
            if let Some(&i) = slots.index.get(&entry.dump_id) {
                states[i].offset_field = (buf.len() - OFFSET_LEN) as u64;
            }
        }
        let mut writer = CustomWriter {
            out,
            pos: 0,
            seek,
            base,
            compression: options.compression,
            slots,
            states,
            failed: None,
            buf: Vec::new(),
        };
        writer.write_out(&buf)?;
        Ok(writer)
    }

    /// Whether data offsets will be recorded (the output can seek).
    pub fn is_seekable(&self) -> bool {
        self.seek.is_some()
    }

    /// The entries with a data block, in TOC order.
    pub(crate) fn data_order(&self) -> Vec<DumpId> {
        self.slots.slots.iter().map(|slot| slot.dump_id).collect()
    }

    /// The compression of the data blocks.
    pub fn compression(&self) -> Compression {
        self.compression
    }

    /// Bytes written so far.
    pub fn position(&self) -> u64 {
        self.pos
    }

    fn write_out(&mut self, bytes: &[u8]) -> Result<(), WriteError> {
        self.out
            .write_all(bytes)
            .map_err(|e| WriteError::io("writing the custom archive", e))?;
        self.pos += bytes.len() as u64;
        Ok(())
    }

    /// Writes the pending bytes of the scratch buffer.
    fn flush_buf(&mut self) -> Result<(), WriteError> {
        if self.buf.is_empty() {
            return Ok(());
        }
        let buf = std::mem::take(&mut self.buf);
        let result = self.write_out(&buf);
        self.buf = buf;
        self.buf.clear();
        result
    }

    /// Checks that the slot can start now, and records where its block starts.
    fn begin(&mut self, dump_id: DumpId, blobs: bool) -> Result<usize, WriteError> {
        if let Some(failed) = self.failed {
            return Err(WriteError::Abandoned(failed));
        }
        let i = self.slots.find(dump_id, blobs)?;
        if self.states[i].block.is_some() {
            return Err(WriteError::DataAlreadyWritten(dump_id));
        }
        if self.seek.is_none() {
            if let Some(j) = (0..i).find(|&j| self.states[j].block.is_none()) {
                return Err(WriteError::OutOfOrder {
                    got: dump_id,
                    expected: self.slots.slots[j].dump_id,
                    why: "a custom archive on an output that cannot seek",
                });
            }
        }
        self.states[i].block = Some(self.pos);
        Ok(i)
    }

    /// Start the data stream of entry `dump_id` (table data; not BLOBS).
    pub fn start_data(&mut self, dump_id: DumpId) -> Result<CustomDataWriter<'_, W>, WriteError> {
        self.begin(dump_id, false)?;
        let mut buf = std::mem::take(&mut self.buf);
        let block = BlockEncoder::data(dump_id, self.compression, &mut buf);
        self.buf = buf;
        let block = self.fail_on_error(dump_id, block)?;
        let flushed = self.flush_buf();
        self.fail_on_error(dump_id, flushed)?;
        Ok(CustomDataWriter {
            writer: self,
            block: Some(block),
        })
    }

    /// Start the large objects of the BLOBS entry `dump_id`.
    pub fn start_blobs(&mut self, dump_id: DumpId) -> Result<CustomBlobsWriter<'_, W>, WriteError> {
        self.begin(dump_id, true)?;
        let mut buf = std::mem::take(&mut self.buf);
        let block = BlockEncoder::blobs(dump_id, self.compression, &mut buf);
        self.buf = buf;
        let block = self.fail_on_error(dump_id, block)?;
        let flushed = self.flush_buf();
        self.fail_on_error(dump_id, flushed)?;
        Ok(CustomBlobsWriter {
            writer: self,
            block: Some(block),
        })
    }

    /// Copy in a whole data block that was encoded elsewhere (by a [`BlockEncoder`] on another thread, or
    /// spooled to disk while another table's block was being written). The block must be entry `dump_id`'s and
    /// use this archive's compression; its first bytes (type and dump id) are checked. Returns its length.
    pub fn write_encoded_block(
        &mut self,
        dump_id: DumpId,
        block: &mut dyn Read,
    ) -> Result<u64, WriteError> {
        let mut head = [0u8; 6];
        block
            .read_exact(&mut head)
            .map_err(|e| WriteError::io("reading an encoded data block", e))?;
        let blobs = match head[0] {
            super::BLK_DATA => false,
            super::BLK_BLOBS => true,
            other => {
                return Err(WriteError::InvalidToc(format!(
                    "an encoded block for entry {dump_id} starts with block type {other}"
                )))
            }
        };
        let mut expected = Vec::new();
        super::encode::put_int(&mut expected, dump_id.0 as i32);
        if head[1..] != expected[..] {
            return Err(WriteError::InvalidToc(format!(
                "the encoded block given for entry {dump_id} belongs to another entry"
            )));
        }
        self.begin(dump_id, blobs)?;
        let result = self.write_out(&head).and_then(|()| {
            let mut counter = Counter {
                out: &mut self.out,
                count: 0,
            };
            let copied = io::copy(block, &mut counter)
                .map_err(|e| WriteError::io("copying an encoded data block", e));
            let count = counter.count;
            self.pos += count;
            copied.map(|_| count + head.len() as u64)
        });
        self.fail_on_error(dump_id, result)
    }

    fn fail_on_error<T>(
        &mut self,
        dump_id: DumpId,
        result: Result<T, WriteError>,
    ) -> Result<T, WriteError> {
        if result.is_err() {
            self.failed = Some(dump_id);
        }
        result
    }

    /// Complete the archive: every entry with data must have had its block written. On a seekable output the
    /// data offsets are patched in (and the output is left positioned at the end). Returns the output, flushed.
    pub fn finish(mut self) -> Result<W, WriteError> {
        if let Some(failed) = self.failed {
            return Err(WriteError::Abandoned(failed));
        }
        let missing: Vec<DumpId> = self
            .slots
            .slots
            .iter()
            .zip(&self.states)
            .filter(|(_, s)| s.block.is_none())
            .map(|(slot, _)| slot.dump_id)
            .collect();
        if !missing.is_empty() {
            return Err(WriteError::MissingData(missing));
        }
        if let Some(seek) = self.seek {
            let context = "rewriting the TOC with data offsets";
            let end = self.base + self.pos;
            for state in &self.states {
                let mut field = Vec::with_capacity(OFFSET_LEN);
                put_offset(&mut field, DataOffset::At(state.block.unwrap_or(0)));
                seek(&mut self.out, self.base + state.offset_field)
                    .and_then(|()| self.out.write_all(&field))
                    .map_err(|e| WriteError::io(context, e))?;
            }
            seek(&mut self.out, end).map_err(|e| WriteError::io(context, e))?;
        }
        self.out
            .flush()
            .map_err(|e| WriteError::io("flushing the custom archive", e))?;
        Ok(self.out)
    }
}

struct Counter<'a, W: Write> {
    out: &'a mut W,
    count: u64,
}

impl<W: Write> Write for Counter<'_, W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.out.write(buf)?;
        self.count += n as u64;
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.out.flush()
    }
}

/// The data stream of one entry of a [`CustomWriter`]. Dropping it without [`finish`](CustomDataWriter::finish)
/// leaves the block without its end marker and the writer refusing to go on.
pub struct CustomDataWriter<'a, W: Write> {
    writer: &'a mut CustomWriter<W>,
    block: Option<BlockEncoder>,
}

impl<W: Write> std::fmt::Debug for CustomDataWriter<'_, W> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CustomDataWriter")
            .field("block", &self.block)
            .finish_non_exhaustive()
    }
}

impl<W: Write> CustomDataWriter<'_, W> {
    /// Append bytes to the stream.
    pub fn write_chunk(&mut self, chunk: &[u8]) -> Result<(), WriteError> {
        let Some(block) = self.block.as_mut() else {
            return Ok(());
        };
        let dump_id = block.dump_id();
        let result = block
            .push(chunk, &mut self.writer.buf)
            .and_then(|()| self.writer.flush_buf());
        self.writer.fail_on_error(dump_id, result)
    }

    /// End the stream.
    pub fn finish(mut self) -> Result<DataStats, WriteError> {
        let block = self.block.take().expect("a stream is finished once");
        let dump_id = block.dump_id();
        let raw_bytes = block.raw_bytes();
        let before = self.writer.pos - block.stored_bytes();
        let result = block
            .finish(&mut self.writer.buf)
            .and_then(|()| self.writer.flush_buf());
        self.writer.fail_on_error(dump_id, result)?;
        Ok(DataStats {
            raw_bytes,
            stored_bytes: self.writer.pos - before,
            blobs: 0,
        })
    }
}

impl<W: Write> Drop for CustomDataWriter<'_, W> {
    fn drop(&mut self) {
        if let Some(block) = &self.block {
            self.writer.failed.get_or_insert(block.dump_id());
        }
    }
}

impl<W: Write> Write for CustomDataWriter<'_, W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.write_chunk(buf).map_err(io::Error::other)?;
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl<W: Write> DataSink for CustomDataWriter<'_, W> {
    fn write_chunk(&mut self, chunk: &[u8]) -> Result<(), WriteError> {
        CustomDataWriter::write_chunk(self, chunk)
    }

    fn finish(self: Box<Self>) -> Result<DataStats, WriteError> {
        CustomDataWriter::finish(*self)
    }
}

/// The large objects of one BLOBS entry of a [`CustomWriter`].
pub struct CustomBlobsWriter<'a, W: Write> {
    writer: &'a mut CustomWriter<W>,
    block: Option<BlockEncoder>,
}

impl<W: Write> std::fmt::Debug for CustomBlobsWriter<'_, W> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CustomBlobsWriter")
            .field("block", &self.block)
            .finish_non_exhaustive()
    }
}

impl<W: Write> CustomBlobsWriter<'_, W> {
    fn step(
        &mut self,
        op: impl FnOnce(&mut BlockEncoder, &mut Vec<u8>) -> Result<(), WriteError>,
    ) -> Result<(), WriteError> {
        let block = self.block.as_mut().expect("an unfinished BLOBS block");
        let dump_id = block.dump_id();
        let result = op(block, &mut self.writer.buf).and_then(|()| self.writer.flush_buf());
        self.writer.fail_on_error(dump_id, result)
    }

    /// Begin large object `oid`.
    pub fn start_blob(&mut self, oid: u32) -> Result<(), WriteError> {
        self.step(|block, buf| block.start_blob(oid, buf))
    }

    /// Append bytes to the current large object.
    pub fn write_chunk(&mut self, chunk: &[u8]) -> Result<(), WriteError> {
        self.step(|block, buf| block.push(chunk, buf))
    }

    /// End the current large object.
    pub fn end_blob(&mut self) -> Result<(), WriteError> {
        self.step(|block, buf| block.end_blob(buf))
    }

    /// A whole large object.
    pub fn write_blob(&mut self, oid: u32, bytes: &[u8]) -> Result<(), WriteError> {
        self.start_blob(oid)?;
        self.write_chunk(bytes)?;
        self.end_blob()
    }

    /// End the entry (the OID 0 marker).
    pub fn finish(mut self) -> Result<DataStats, WriteError> {
        let block = self.block.take().expect("a BLOBS block is finished once");
        let dump_id = block.dump_id();
        let (raw_bytes, blobs) = (block.raw_bytes(), block.blob_count());
        let before = self.writer.pos - block.stored_bytes();
        if block.in_blob() {
            self.block = Some(block);
            return Err(WriteError::BlobSequence {
                dump_id,
                reason: "finish while a large object is open".into(),
            });
        }
        let result = block
            .finish(&mut self.writer.buf)
            .and_then(|()| self.writer.flush_buf());
        self.writer.fail_on_error(dump_id, result)?;
        Ok(DataStats {
            raw_bytes,
            stored_bytes: self.writer.pos - before,
            blobs,
        })
    }
}

impl<W: Write> Drop for CustomBlobsWriter<'_, W> {
    fn drop(&mut self) {
        if let Some(block) = &self.block {
            self.writer.failed.get_or_insert(block.dump_id());
        }
    }
}

impl<W: Write> BlobSink for CustomBlobsWriter<'_, W> {
    fn start_blob(&mut self, oid: u32) -> Result<(), WriteError> {
        CustomBlobsWriter::start_blob(self, oid)
    }

    fn write_chunk(&mut self, chunk: &[u8]) -> Result<(), WriteError> {
        CustomBlobsWriter::write_chunk(self, chunk)
    }

    fn end_blob(&mut self) -> Result<(), WriteError> {
        CustomBlobsWriter::end_blob(self)
    }

    fn finish(self: Box<Self>) -> Result<DataStats, WriteError> {
        CustomBlobsWriter::finish(*self)
    }
}

impl<W: Write> ArchiveWriter for CustomWriter<W> {
    fn start_data(&mut self, dump_id: DumpId) -> Result<Box<dyn DataSink + '_>, WriteError> {
        Ok(Box::new(CustomWriter::start_data(self, dump_id)?))
    }

    fn start_blobs(&mut self, dump_id: DumpId) -> Result<Box<dyn BlobSink + '_>, WriteError> {
        Ok(Box::new(CustomWriter::start_blobs(self, dump_id)?))
    }

    fn finish_archive(self: Box<Self>) -> Result<(), WriteError> {
        CustomWriter::finish(*self).map(drop)
    }
}
