//! The data blocks of the custom format, sans-IO: block type and dump id, then the (compressed) stream cut into
//! chunks of an integer length and the bytes, ended by a zero length. A BLOBS block holds, per large object, its
//! OID and its own stream, and ends with OID 0.

use super::compress::{StreamEncoder, StreamKind};
use super::encode::put_int;
use super::WriteError;
use crate::format::{Compression, CompressionMethod};
use crate::toc::DumpId;

/// Block type of table data (`BLK_DATA`).
pub const BLK_DATA: u8 = 1;
/// Block type of large objects (`BLK_BLOBS`).
pub const BLK_BLOBS: u8 = 3;

/// Compressed bytes are framed into a chunk once this many are waiting (uncompressed data is framed as it
/// comes).
const CHUNK_TARGET: usize = 64 * 1024;
/// No chunk is longer than this.
const CHUNK_MAX: usize = 1 << 20;

/// Encodes one custom-format data block into caller-supplied buffers.
///
/// Uncompressed, each push becomes one chunk, as pg_dump writes one chunk per COPY row and per 16 KiB of a large
/// object (so feeding rows one by one reproduces its bytes); compressed output is framed in chunks of about
/// 64 KiB. No chunk is empty (an empty chunk would end the stream) or longer than 1 MiB.
///
/// ```
/// use pgferry_archive::format::Compression;
/// use pgferry_archive::write::BlockEncoder;
/// use pgferry_archive::DumpId;
///
/// let mut out = Vec::new();
/// let mut block = BlockEncoder::data(DumpId(7), Compression::NONE, &mut out).unwrap();
/// block.push(b"1\tAnn\n", &mut out).unwrap();
/// block.push(b"\\.\n\n\n", &mut out).unwrap();
/// block.finish(&mut out).unwrap();
/// assert_eq!(out[..6], [1, 0, 7, 0, 0, 0]);
/// ```
#[derive(Debug)]
pub struct BlockEncoder {
    dump_id: DumpId,
    compression: Compression,
    blobs: bool,
    /// The stream being written: the table's, or the current large object's.
    stream: Option<StreamEncoder>,
    raw_bytes: u64,
    stored_bytes: u64,
    blob_count: u64,
}

impl BlockEncoder {
    /// A `BLK_DATA` block for entry `dump_id`; its header goes to `out`.
    pub fn data(
        dump_id: DumpId,
        compression: Compression,
        out: &mut Vec<u8>,
    ) -> Result<BlockEncoder, WriteError> {
        let mut encoder = BlockEncoder::new(dump_id, compression, false, out)?;
        encoder.stream = Some(StreamEncoder::new(compression, StreamKind::Block)?);
        Ok(encoder)
    }

    /// A `BLK_BLOBS` block for the BLOBS entry `dump_id`; its header goes to `out`.
    pub fn blobs(
        dump_id: DumpId,
        compression: Compression,
        out: &mut Vec<u8>,
    ) -> Result<BlockEncoder, WriteError> {
        BlockEncoder::new(dump_id, compression, true, out)
    }

    fn new(
        dump_id: DumpId,
        compression: Compression,
        blobs: bool,
        out: &mut Vec<u8>,
    ) -> Result<BlockEncoder, WriteError> {
        let id = i32::try_from(dump_id.0)
            .map_err(|_| WriteError::InvalidToc(format!("dump id {dump_id} is above 2^31")))?;
        let start = out.len();
        out.push(if blobs { BLK_BLOBS } else { BLK_DATA });
        put_int(out, id);
        Ok(BlockEncoder {
            dump_id,
            compression,
            blobs,
            stream: None,
            raw_bytes: 0,
            stored_bytes: (out.len() - start) as u64,
            blob_count: 0,
        })
    }

    /// The entry.
    pub fn dump_id(&self) -> DumpId {
        self.dump_id
    }

    /// Bytes pushed so far.
    pub fn raw_bytes(&self) -> u64 {
        self.raw_bytes
    }

    /// Bytes of block produced so far (header, chunk lengths, chunks).
    pub fn stored_bytes(&self) -> u64 {
        self.stored_bytes
    }

    /// Large objects started so far.
    pub fn blob_count(&self) -> u64 {
        self.blob_count
    }

    /// Whether a large object is open.
    pub fn in_blob(&self) -> bool {
        self.blobs && self.stream.is_some()
    }

    /// Append data (table data, or the current large object's bytes). Framed chunks go to `out` as they fill.
    pub fn push(&mut self, data: &[u8], out: &mut Vec<u8>) -> Result<(), WriteError> {
        let Some(stream) = self.stream.as_mut() else {
            return Err(self.sequence("data must follow start_blob"));
        };
        self.raw_bytes += data.len() as u64;
        if self.compression.method == CompressionMethod::None {
            // Framed as it comes, without a copy through the (identity) stream.
            self.stored_bytes += frame(data, out);
            return Ok(());
        }
        stream.write(data)?;
        if stream.output().len() >= CHUNK_TARGET {
            let pending = stream.take_output();
            self.stored_bytes += frame(&pending, out);
        }
        Ok(())
    }

    /// Begin large object `oid` (BLOBS blocks only). OIDs above 2^31 are stored as negative integers, as pg_dump
    /// stores them.
    pub fn start_blob(&mut self, oid: u32, out: &mut Vec<u8>) -> Result<(), WriteError> {
        if !self.blobs {
            return Err(self.sequence("start_blob on a table data block"));
        }
        if self.stream.is_some() {
            return Err(self.sequence("start_blob while another large object is open"));
        }
        if oid == 0 {
            return Err(self.sequence("OID 0 is not a large object"));
        }
        put_int(out, oid as i32);
        self.stored_bytes += super::encode::INT_LEN as u64;
        self.stream = Some(StreamEncoder::new(self.compression, StreamKind::Block)?);
        self.blob_count += 1;
        Ok(())
    }

    /// End the current large object: its stream's rest and the zero length go to `out`.
    pub fn end_blob(&mut self, out: &mut Vec<u8>) -> Result<(), WriteError> {
        if !self.in_blob() {
            return Err(self.sequence("end_blob without start_blob"));
        }
        self.end_stream(out)
    }

    fn end_stream(&mut self, out: &mut Vec<u8>) -> Result<(), WriteError> {
        if let Some(stream) = self.stream.take() {
            let rest = stream.finish()?;
            self.stored_bytes += frame(&rest, out);
            put_int(out, 0);
            self.stored_bytes += super::encode::INT_LEN as u64;
        }
        Ok(())
    }

    /// End the block: the rest of the stream and its end marker (data), or the end-of-objects OID 0 (BLOBS).
    pub fn finish(mut self, out: &mut Vec<u8>) -> Result<(), WriteError> {
        if self.blobs {
            if self.stream.is_some() {
                return Err(self.sequence("finish while a large object is open"));
            }
            put_int(out, 0);
            self.stored_bytes += super::encode::INT_LEN as u64;
            Ok(())
        } else {
            self.end_stream(out)
        }
    }

    fn sequence(&self, reason: &str) -> WriteError {
        WriteError::BlobSequence {
            dump_id: self.dump_id,
            reason: reason.to_owned(),
        }
    }
}

/// Frames `bytes` as chunks of at most [`CHUNK_MAX`]; returns the bytes added. Nothing for empty input: a zero
/// length would end the stream.
fn frame(bytes: &[u8], out: &mut Vec<u8>) -> u64 {
    let mut added = 0;
    for chunk in bytes.chunks(CHUNK_MAX) {
        put_int(out, chunk.len() as i32);
        out.extend_from_slice(chunk);
        added += (super::encode::INT_LEN + chunk.len()) as u64;
    }
    added
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_data_block_matches_pg_dump_layout() {
        let mut out = Vec::new();
        let mut block = BlockEncoder::data(DumpId(3358), Compression::NONE, &mut out).unwrap();
        block.push(b"1\tAnn\n", &mut out).unwrap();
        block.push(b"", &mut out).unwrap();
        block.push(b"2\tBob\n", &mut out).unwrap();
        block.push(b"\\.\n\n\n", &mut out).unwrap();
        assert_eq!(block.stored_bytes(), 6 + 3 * 5 + 17);
        block.finish(&mut out).unwrap();
        // The block of pg_dump 15's `-Z0` dump (format reference, section 8.5).
        let mut expected = vec![1, 0, 0x1e, 0x0d, 0, 0];
        for row in [&b"1\tAnn\n"[..], b"2\tBob\n", b"\\.\n\n\n"] {
            expected.extend_from_slice(&[0, row.len() as u8, 0, 0, 0]);
            expected.extend_from_slice(row);
        }
        expected.extend_from_slice(&[0, 0, 0, 0, 0]);
        assert_eq!(out, expected);
    }

    #[test]
    fn blobs_block_wraps_large_oids() {
        let mut out = Vec::new();
        let mut block = BlockEncoder::blobs(DumpId(3362), Compression::NONE, &mut out).unwrap();
        assert!(block.push(b"x", &mut out).is_err());
        block.start_blob(424_242, &mut out).unwrap();
        block.push(b"hello large object", &mut out).unwrap();
        block.end_blob(&mut out).unwrap();
        block.start_blob(3_000_000_000, &mut out).unwrap();
        block.end_blob(&mut out).unwrap();
        assert!(block.start_blob(0, &mut out).is_err());
        block.finish(&mut out).unwrap();
        let mut expected = vec![3, 0, 0x22, 0x0d, 0, 0];
        expected.extend_from_slice(&[0, 0x32, 0x79, 0x06, 0]);
        expected.extend_from_slice(&[0, 18, 0, 0, 0]);
        expected.extend_from_slice(b"hello large object");
        expected.extend_from_slice(&[0, 0, 0, 0, 0]);
        expected.extend_from_slice(&[1, 0x00, 0xa2, 0x2f, 0x4d]);
        expected.extend_from_slice(&[0, 0, 0, 0, 0]);
        expected.extend_from_slice(&[0, 0, 0, 0, 0]);
        assert_eq!(out, expected);
    }

    #[test]
    fn compressed_blocks_are_chunked_and_never_hold_an_empty_chunk() {
        let compression = Compression {
            method: CompressionMethod::Zstd,
            level: Some(1),
        };
        let mut out = Vec::new();
        let mut block = BlockEncoder::data(DumpId(1), compression, &mut out).unwrap();
        let mut state = 12345u64;
        for _ in 0..4000 {
            // Poorly compressible bytes, so that several chunks fill up.
            let row: Vec<u8> = (0..100)
                .map(|_| {
                    state = state.wrapping_mul(6364136223846793005).wrapping_add(1);
                    (state >> 56) as u8
                })
                .collect();
            block.push(&row, &mut out).unwrap();
        }
        block.finish(&mut out).unwrap();
        // Walk the chunks: all positive, then exactly one zero at the very end.
        let mut pos = 6;
        let mut stream = Vec::new();
        let mut chunks = 0;
        loop {
            assert_eq!(out[pos], 0, "no negative length");
            let len = u32::from_le_bytes(out[pos + 1..pos + 5].try_into().unwrap()) as usize;
            pos += 5;
            if len == 0 {
                break;
            }
            stream.extend_from_slice(&out[pos..pos + len]);
            pos += len;
            chunks += 1;
        }
        assert_eq!(pos, out.len());
        assert!(chunks > 3, "{chunks} chunks");
        assert_eq!(zstd::decode_all(&stream[..]).unwrap().len(), 400_000);
    }
}
