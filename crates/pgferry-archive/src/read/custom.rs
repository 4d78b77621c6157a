//! The custom format (`-Fc`, `pg_backup_custom.c`): header, TOC, then data blocks.
//!
//! A block is found by its offset when the TOC has one and the input can seek. Otherwise (offsets not set
//! because pg_dump wrote to a pipe, or an input that cannot seek) the blocks are scanned in order from the end
//! of the TOC, as pg_restore does, remembering where each block seen starts so that a seekable input can go back
//! to it. An input that cannot seek must be read in archive order.

use std::collections::HashMap;
use std::io::{self, Read, Seek};

use crate::format::ArchiveFormat;
use crate::read::decompress::{decoder, Codec};
use crate::read::error::{ParseError, Problem, ReadError, Where};
use crate::read::input::{Input, NoSeek};
use crate::read::parse::{self, BlockHeader, BlockKind, Parsed};
use crate::read::{
    data_entry, index_entries, read_toc, DataReader, LargeObjects, LoSource, NextObject,
};
use crate::toc::{ArchiveHeader, DataLocation, DumpId, Toc};

/// A custom-format archive being read: its header and TOC, and its data on demand.
#[derive(Debug)]
pub struct CustomArchive<R> {
    header: ArchiveHeader,
    toc: Toc,
    by_id: HashMap<u32, usize>,
    blocks: Blocks<R>,
}

impl<R: Read + Seek> CustomArchive<R> {
    /// Reads the header and TOC from `reader` (which starts at the archive's first byte). Data is read later,
    /// on demand; `reader` is used seekably when it can seek (a file), front to back otherwise.
    pub fn new(reader: R) -> Result<CustomArchive<R>, ReadError> {
        CustomArchive::from_input(Input::probe(reader))
    }

    pub(crate) fn from_input(mut input: Input<R>) -> Result<CustomArchive<R>, ReadError> {
        let (header, toc) = read_toc(&mut input, ArchiveFormat::Custom, 0)?;
        let by_id = index_entries(&toc);
        let data_start = input.pos();
        Ok(CustomArchive {
            blocks: Blocks {
                input,
                int_size: header.int_size,
                codec: Codec::for_custom(header.compression.method),
                scan_pos: data_start,
                found: HashMap::new(),
                open: None,
                chunk: ChunkState::default(),
            },
            header,
            toc,
            by_id,
        })
    }

    /// The archive header.
    pub fn header(&self) -> &ArchiveHeader {
        &self.header
    }

    /// The table of contents.
    pub fn toc(&self) -> &Toc {
        &self.toc
    }

    /// The header and TOC, giving up the data.
    pub fn into_toc(self) -> (ArchiveHeader, Toc) {
        (self.header, self.toc)
    }

    /// Whether the input can seek (data can then be read in any order).
    pub fn can_seek(&self) -> bool {
        self.blocks.input.seekable()
    }

    /// The decompressed data stream of entry `dump_id` (`TABLE DATA` and other entries with a data stream, not
    /// `BLOBS`): COPY text ending in `\.` for COPY-mode table data.
    pub fn data(&mut self, dump_id: DumpId) -> Result<DataReader<'_>, ReadError> {
        let entry = data_entry(&self.toc, &self.by_id, dump_id, false)?;
        let location = entry.data_location.clone();
        let start = self.blocks.locate(dump_id.0, &location, BlockKind::Data)?;
        let codec = self.blocks.codec;
        let what = Where::Data { dump_id: dump_id.0 };
        Ok(DataReader::new(
            decoder(
                codec,
                ChunkStream {
                    blocks: &mut self.blocks,
                    what: what.clone(),
                },
            ),
            what,
            start,
        ))
    }

    /// The large objects of the `BLOBS` entry `dump_id`, one after the other.
    pub fn large_objects(&mut self, dump_id: DumpId) -> Result<LargeObjects<'_>, ReadError> {
        let entry = data_entry(&self.toc, &self.by_id, dump_id, true)?;
        let location = entry.data_location.clone();
        let start = self.blocks.locate(dump_id.0, &location, BlockKind::Blobs)?;
        Ok(LargeObjects::new(Box::new(CustomObjects {
            blocks: &mut self.blocks,
            dump_id: dump_id.0,
            start,
        })))
    }
}

impl<R: Read> CustomArchive<NoSeek<R>> {
    /// Reads an archive from an input that cannot seek (a pipe, standard input): its data must be read in
    /// archive order, as with `pg_restore` reading standard input.
    pub fn from_stream(reader: R) -> Result<CustomArchive<NoSeek<R>>, ReadError> {
        CustomArchive::from_input(Input::sequential(NoSeek(reader)))
    }
}

/// Where a data stream's chunks stand: bytes left in the current chunk, and whether the end (a chunk of
/// length 0) was read.
#[derive(Debug, Clone, Copy, Default)]
struct ChunkState {
    left: u64,
    ended: bool,
}

/// Where the large objects of an open `BLOBS` block stand.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum LoPhase {
    /// The next thing is an OID (0 ends the block).
    AtOid,
    /// Inside the data stream of a large object.
    InObject,
    /// The block's end was read.
    Finished,
}

/// The block being read, so that it can be skipped to its end before the next is looked for.
#[derive(Debug, Clone, Copy)]
struct OpenBlock {
    dump_id: u32,
    start: u64,
    kind: BlockKind,
    /// Reached by scanning forward from `scan_pos`: its end then extends the scanned region.
    scanned: bool,
    phase: LoPhase,
}

/// The data blocks of a custom archive and the input they are read from.
#[derive(Debug)]
struct Blocks<R> {
    input: Input<R>,
    int_size: u8,
    codec: Codec,
    /// Seekable inputs: every block before this position has its start in `found`.
    scan_pos: u64,
    /// Starts of the blocks seen, by dump id.
    found: HashMap<u32, u64>,
    open: Option<OpenBlock>,
    chunk: ChunkState,
}

fn io_error(e: io::Error) -> ReadError {
    ReadError::from_io(e, "the archive")
}

impl<R: Read + Seek> Blocks<R> {
    /// Moves to `pos`; a position beyond the end means the archive is cut short.
    fn seek(&mut self, pos: u64, what: Where) -> Result<(), ReadError> {
        match self.input.seek_to(pos) {
            Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => Err(ReadError::Truncated {
                offset: self.input.known_end(),
                what,
            }),
            other => other.map_err(io_error),
        }
    }

    fn truncated(&self, what: Where) -> ReadError {
        ReadError::Truncated {
            offset: self.input.pos() + self.input.available().len() as u64,
            what,
        }
    }

    fn parse_error(&self, error: ParseError, what: Where) -> ReadError {
        ReadError::from_parse(ParseError { what, ..error }, self.input.pos())
    }

    /// An archive integer.
    fn read_int(&mut self, what: Where) -> Result<i64, ReadError> {
        let need = 1 + usize::from(self.int_size);
        if !self.input.fill(need).map_err(io_error)? {
            return Err(self.truncated(what));
        }
        match parse::int(self.input.available(), self.int_size) {
            Ok(Parsed::Done { value, consumed }) => {
                self.input.consume(consumed);
                Ok(value)
            }
            Ok(Parsed::NeedMore { .. }) => Err(self.truncated(what)),
            Err(problem) => Err(ReadError::Corrupt {
                offset: self.input.pos(),
                what,
                problem,
            }),
        }
    }

    /// The next block header, with its position; `None` at the end of the input.
    fn read_block_header(&mut self) -> Result<Option<(u64, BlockHeader)>, ReadError> {
        let at = self.input.pos();
        if !self.input.fill(1).map_err(io_error)? {
            return Ok(None);
        }
        let need = 2 + usize::from(self.int_size);
        self.input.fill(need).map_err(io_error)?;
        match parse::block_header(self.input.available(), self.int_size) {
            Ok(Parsed::Done { value, consumed }) => {
                self.input.consume(consumed);
                Ok(Some((at, value)))
            }
            Ok(Parsed::NeedMore { .. }) => Err(self.truncated(Where::DataBlocks)),
            Err(e) => Err(self.parse_error(e, Where::DataBlocks)),
        }
    }

    /// Reads the next chunk length of the current data stream; a length of 0 ends it.
    fn next_chunk(&mut self, what: &Where) -> Result<(), ReadError> {
        let at = self.input.pos();
        let len = self.read_int(what.clone())?;
        if len < 0 {
            return Err(ReadError::Corrupt {
                offset: at,
                what: what.clone(),
                problem: Problem::OutOfRange {
                    field: "chunk length",
                    value: len,
                },
            });
        }
        self.chunk.left = len as u64;
        self.chunk.ended = len == 0;
        Ok(())
    }

    /// Reads from the current data stream; 0 at its end. Fills `out` across chunks (pg_dump writes one chunk
    /// per row when it does not compress) as far as the bytes already buffered allow.
    fn read_chunked(&mut self, out: &mut [u8], what: &Where) -> Result<usize, ReadError> {
        let mut total = 0;
        let chunk_header = 1 + usize::from(self.int_size);
        while total < out.len() {
            while self.chunk.left == 0 {
                if self.chunk.ended {
                    return Ok(total);
                }
                if total > 0 && self.input.available().len() < chunk_header {
                    return Ok(total);
                }
                self.next_chunk(what)?;
            }
            if total > 0 && self.input.available().is_empty() {
                break;
            }
            let room = out.len() - total;
            let want = room.min(usize::try_from(self.chunk.left).unwrap_or(usize::MAX));
            let got = self
                .input
                .read_some(&mut out[total..total + want])
                .map_err(io_error)?;
            if got == 0 {
                return Err(self.truncated(what.clone()));
            }
            self.chunk.left -= got as u64;
            total += got;
        }
        Ok(total)
    }

    /// Skips to the end of the current data stream.
    fn skip_stream(&mut self, what: &Where) -> Result<(), ReadError> {
        loop {
            if self.chunk.left > 0 {
                let left = self.chunk.left;
                let skipped = self.input.skip(left).map_err(io_error)?;
                self.chunk.left -= skipped;
                if skipped < left {
                    return Err(self.truncated(what.clone()));
                }
            }
            if self.chunk.ended {
                return Ok(());
            }
            self.next_chunk(what)?;
        }
    }

    /// Reads the OID that starts a large object (0: the end of the block).
    fn read_oid(&mut self, dump_id: u32) -> Result<u32, ReadError> {
        let at = self.input.pos();
        let what = Where::LargeObject { dump_id, oid: None };
        let value = self.read_int(what.clone())?;
        // pg_dump writes OIDs through the signed integer path: those above 2^31 come out negative.
        match (i32::try_from(value), u32::try_from(value)) {
            (Ok(signed), _) => Ok(signed as u32),
            (_, Ok(unsigned)) => Ok(unsigned),
            _ => Err(ReadError::Corrupt {
                offset: at,
                what,
                problem: Problem::OutOfRange {
                    field: "large object OID",
                    value,
                },
            }),
        }
    }

    /// Reads (skips) whatever is left of the open block, and records where it was.
    fn close(&mut self) -> Result<(), ReadError> {
        let Some(mut block) = self.open else {
            return Ok(());
        };
        match block.kind {
            BlockKind::Data => self.skip_stream(&Where::Data {
                dump_id: block.dump_id,
            })?,
            BlockKind::Blobs => loop {
                match block.phase {
                    LoPhase::InObject => {
                        self.skip_stream(&Where::LargeObject {
                            dump_id: block.dump_id,
                            oid: None,
                        })?;
                        block.phase = LoPhase::AtOid;
                    }
                    LoPhase::AtOid => {
                        if self.read_oid(block.dump_id)? == 0 {
                            block.phase = LoPhase::Finished;
                        } else {
                            self.chunk = ChunkState::default();
                            block.phase = LoPhase::InObject;
                        }
                    }
                    LoPhase::Finished => break,
                }
                self.open = Some(block);
            },
        }
        self.found.entry(block.dump_id).or_insert(block.start);
        if block.scanned && self.input.seekable() {
            self.scan_pos = self.scan_pos.max(self.input.pos());
        }
        self.open = None;
        Ok(())
    }

    /// Skips a whole block whose header was just read.
    fn skip_block(&mut self, header: BlockHeader) -> Result<(), ReadError> {
        let dump_id = u32::try_from(header.dump_id).unwrap_or(0);
        self.chunk = ChunkState::default();
        match header.kind {
            BlockKind::Data => self.skip_stream(&Where::Data { dump_id }),
            BlockKind::Blobs => loop {
                if self.read_oid(dump_id)? == 0 {
                    return Ok(());
                }
                self.chunk = ChunkState::default();
                self.skip_stream(&Where::LargeObject { dump_id, oid: None })?;
            },
        }
    }

    /// Positions the input after the header of entry `dump_id`'s block and opens it. Returns the block's
    /// offset.
    fn locate(
        &mut self,
        dump_id: u32,
        location: &DataLocation,
        kind: BlockKind,
    ) -> Result<u64, ReadError> {
        self.close()?;
        let seekable = self.input.seekable();
        let known = match location {
            DataLocation::Offset(offset) => Some(*offset),
            _ => self.found.get(&dump_id).copied(),
        };
        let (start, header, scanned) = match known {
            Some(offset) if seekable => {
                self.seek(offset, Where::Data { dump_id })?;
                match self.read_block_header()? {
                    Some((at, header)) => (at, header, false),
                    None => {
                        return Err(ReadError::DataNotFound {
                            dump_id,
                            input_can_seek: true,
                        })
                    }
                }
            }
            Some(offset) if offset < self.input.pos() => {
                return Err(ReadError::OutOfOrder { dump_id })
            }
            _ => {
                if seekable {
                    self.seek(self.scan_pos, Where::DataBlocks)?;
                }
                self.scan_for(dump_id)?
            }
        };
        if header.dump_id != i64::from(dump_id) {
            return Err(ReadError::Corrupt {
                offset: start,
                what: Where::Data { dump_id },
                problem: Problem::UnexpectedBlock {
                    expected: dump_id,
                    found: header.dump_id,
                },
            });
        }
        if header.kind != kind {
            return Err(ReadError::Corrupt {
                offset: start,
                what: Where::Data { dump_id },
                problem: Problem::WrongBlockKind {
                    dump_id,
                    found: header.kind.code(),
                },
            });
        }
        self.chunk = ChunkState::default();
        self.open = Some(OpenBlock {
            dump_id,
            start,
            kind,
            scanned,
            phase: LoPhase::AtOid,
        });
        Ok(start)
    }

    /// Reads block headers from the current position until `dump_id`'s, skipping (and recording) the others.
    fn scan_for(&mut self, dump_id: u32) -> Result<(u64, BlockHeader, bool), ReadError> {
        let seekable = self.input.seekable();
        loop {
            let Some((at, header)) = self.read_block_header()? else {
                return Err(ReadError::DataNotFound {
                    dump_id,
                    input_can_seek: seekable,
                });
            };
            if header.dump_id == i64::from(dump_id) {
                return Ok((at, header, true));
            }
            if let Ok(other) = u32::try_from(header.dump_id) {
                self.found.entry(other).or_insert(at);
            }
            self.skip_block(header)?;
            if seekable {
                self.scan_pos = self.scan_pos.max(self.input.pos());
            }
        }
    }
}

/// The chunks of the open block's current data stream, as one byte stream.
struct ChunkStream<'a, R> {
    blocks: &'a mut Blocks<R>,
    what: Where,
}

impl<R: Read + Seek> Read for ChunkStream<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.blocks
            .read_chunked(buf, &self.what)
            .map_err(ReadError::into_io)
    }
}

/// The large objects of an open `BLOBS` block.
struct CustomObjects<'a, R> {
    blocks: &'a mut Blocks<R>,
    dump_id: u32,
    start: u64,
}

impl<R: Read + Seek> LoSource for CustomObjects<'_, R> {
    fn next_object(&mut self) -> Result<Option<NextObject<'_>>, ReadError> {
        let Some(mut block) = self
            .blocks
            .open
            .filter(|b| b.dump_id == self.dump_id && b.start == self.start)
        else {
            return Ok(None);
        };
        loop {
            match block.phase {
                LoPhase::Finished => return Ok(None),
                LoPhase::InObject => {
                    self.blocks.skip_stream(&Where::LargeObject {
                        dump_id: self.dump_id,
                        oid: None,
                    })?;
                    block.phase = LoPhase::AtOid;
                    self.blocks.open = Some(block);
                }
                LoPhase::AtOid => {
                    let at = self.blocks.input.pos();
                    let oid = self.blocks.read_oid(self.dump_id)?;
                    if oid == 0 {
                        block.phase = LoPhase::Finished;
                        self.blocks.open = Some(block);
                        return Ok(None);
                    }
                    block.phase = LoPhase::InObject;
                    self.blocks.open = Some(block);
                    self.blocks.chunk = ChunkState::default();
                    let codec = self.blocks.codec;
                    let what = Where::LargeObject {
                        dump_id: self.dump_id,
                        oid: Some(oid),
                    };
                    let stream = ChunkStream {
                        blocks: &mut *self.blocks,
                        what,
                    };
                    return Ok(Some((oid, at, decoder(codec, stream))));
                }
            }
        }
    }

    fn dump_id(&self) -> u32 {
        self.dump_id
    }
}
