//! Reading archives written by pg_dump (or pgferry): custom, directory and tar, archive versions 1.12 to 1.16.
//!
//! * [`parse`]: sans-IO parsers (bytes in, values out) of the header, the TOC and their primitives, of custom
//!   data block headers and of tar headers. They never panic, and running out of bytes is a normal result.
//! * [`CustomArchive`], [`DirectoryArchive`], [`TarArchive`]: readers over `std::io` that read the header and
//!   TOC up front and the data on demand, streaming with bounded memory whatever the data size.
//! * [`Archive`]: any of the three, detected from the path or the first bytes.
//! * [`write_list`]: the TOC as `pg_restore -l` prints it.
//!
//! Every reader returns the crate's shared [`Toc`]; each entry's [`DataLocation`](crate::DataLocation) says
//! where its data is. The data of a `TABLE DATA` entry is an [`io::Read`] over the decompressed stream (COPY
//! text ending in `\.`); the data of a `BLOBS` entry is a sequence of large objects, each an OID and an
//! [`io::Read`] ([`LargeObjects`]). Errors are [`ReadError`]s that say what was being read and where; data
//! readers return them inside `io::Error`s, recovered with [`ReadError::from_io`].
//!
//! ```no_run
//! # fn main() -> Result<(), pgferry_archive::read::ReadError> {
//! use std::io::Read;
//! use pgferry_archive::read::Archive;
//!
//! let mut archive = Archive::open("db.dump")?;
//! let tables: Vec<_> = archive
//!     .toc()
//!     .entries
//!     .iter()
//!     .filter(|e| e.desc == "TABLE DATA")
//!     .map(|e| e.dump_id)
//!     .collect();
//! for id in tables {
//!     let mut copy_text = String::new();
//!     archive.data(id)?.read_to_string(&mut copy_text).map_err(|e| pgferry_archive::read::ReadError::from_io(e, "data"))?;
//! }
//! # Ok(()) }
//! ```

mod custom;
mod decompress;
mod directory;
mod error;
mod input;
mod list;
pub mod parse;
mod tar;
#[cfg(test)]
mod tests;

use std::collections::HashMap;
use std::fmt;
use std::fs::File;
use std::io::{self, Read, Seek};
use std::path::Path;

pub use custom::CustomArchive;
pub use directory::DirectoryArchive;
pub use error::{ParseError, Problem, ReadError, Where};
pub use input::NoSeek;
pub use list::{is_listed, list_line, write_list, write_list_entries};
pub use tar::TarArchive;

use crate::format::{detect_format, ArchiveFormat};
use crate::toc::{desc, ArchiveHeader, DumpId, Toc, TocEntry};
use input::Input;
use parse::{Parsed, TocParser, TocStep};

/// Reads the header and TOC at the input's position. `base` is added to offsets in errors (the position of
/// the bytes in the archive, for a `toc.dat` inside a tar file).
pub(crate) fn read_toc<R: Read>(
    input: &mut Input<R>,
    format: ArchiveFormat,
    base: u64,
) -> Result<(ArchiveHeader, Toc), ReadError> {
    let mut parser = TocParser::new(format);
    loop {
        match parser.step(input.available()) {
            Ok(TocStep::Advanced { consumed }) => input.consume(consumed),
            Ok(TocStep::Complete) => break,
            Ok(TocStep::NeedMore { at_least }) => {
                let more = input
                    .fill(at_least)
                    .map_err(|e| ReadError::from_io(e, "the archive"))?;
                if !more {
                    let mut what = parser.current_part();
                    if let (Where::TocEntry { dump_id, .. }, Some(header)) =
                        (&mut what, parser.header())
                    {
                        *dump_id = parse::int(input.available(), header.int_size)
                            .ok()
                            .and_then(Parsed::done);
                    }
                    return Err(ReadError::Truncated {
                        offset: base + input.pos() + input.available().len() as u64,
                        what,
                    });
                }
            }
            Err(e) => return Err(ReadError::from_parse(e, base + input.pos())),
        }
    }
    match parser.finish() {
        Some(done) => Ok(done),
        None => Err(ReadError::Truncated {
            offset: base + input.pos(),
            what: Where::TocCount,
        }),
    }
}

/// Entry positions by dump id (the first entry wins when an id repeats).
pub(crate) fn index_entries(toc: &Toc) -> HashMap<u32, usize> {
    let mut by_id = HashMap::with_capacity(toc.entries.len());
    for (i, entry) in toc.entries.iter().enumerate() {
        by_id.entry(entry.dump_id.0).or_insert(i);
    }
    by_id
}

/// The entry `dump_id`, checked to have a data stream of the kind asked for (`BLOBS` or not).
pub(crate) fn data_entry<'t>(
    toc: &'t Toc,
    by_id: &HashMap<u32, usize>,
    dump_id: DumpId,
    blobs: bool,
) -> Result<&'t TocEntry, ReadError> {
    let entry = by_id
        .get(&dump_id.0)
        .and_then(|&i| toc.entries.get(i))
        .ok_or(ReadError::NoSuchEntry(dump_id.0))?;
    if (entry.desc == desc::BLOBS) != blobs {
        return Err(ReadError::WrongKind {
            dump_id: dump_id.0,
            desc: entry.desc.clone(),
            use_instead: if blobs { "data()" } else { "large_objects()" },
        });
    }
    if !entry.had_dumper || entry.data_location == crate::toc::DataLocation::None {
        return Err(ReadError::NoData {
            dump_id: dump_id.0,
            desc: entry.desc.clone(),
        });
    }
    Ok(entry)
}

/// The decompressed data stream of one entry (or of one large object).
///
/// Errors come as `io::Error`s that carry a [`ReadError`] (see [`ReadError::from_io`]).
pub struct DataReader<'a> {
    inner: Box<dyn Read + 'a>,
    what: Where,
    offset: u64,
}

impl<'a> DataReader<'a> {
    pub(crate) fn new(inner: Box<dyn Read + 'a>, what: Where, offset: u64) -> DataReader<'a> {
        DataReader {
            inner,
            what,
            offset,
        }
    }
}

impl fmt::Debug for DataReader<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DataReader")
            .field("what", &self.what)
            .field("offset", &self.offset)
            .finish_non_exhaustive()
    }
}

impl Read for DataReader<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.inner.read(buf).map_err(|e| {
            if e.get_ref().is_some_and(|inner| inner.is::<ReadError>()) {
                return e;
            }
            if let Some(codec) = decompress::CodecError::from_io(&e) {
                return ReadError::Corrupt {
                    offset: self.offset,
                    what: self.what.clone(),
                    problem: if codec.ends_early {
                        error::Problem::StreamEndsEarly { codec: codec.codec }
                    } else {
                        error::Problem::Decompress(format!("{}: {}", codec.codec, codec.detail))
                    },
                }
                .into_io();
            }
            // Anything else that says the bytes are bad or cut is the data's; the rest is the system's.
            let error = match e.kind() {
                io::ErrorKind::InvalidData
                | io::ErrorKind::InvalidInput
                | io::ErrorKind::UnexpectedEof => ReadError::Corrupt {
                    offset: self.offset,
                    what: self.what.clone(),
                    problem: error::Problem::Decompress(e.to_string()),
                },
                _ => ReadError::Io {
                    what: self.what.to_string(),
                    source: e,
                },
            };
            error.into_io()
        })
    }
}

/// A large object as a source gives it: its OID, the offset where it starts (for messages), and its data.
pub(crate) type NextObject<'a> = (u32, u64, Box<dyn Read + 'a>);

/// A source of large objects, one format's way.
pub(crate) trait LoSource {
    /// The next large object: its OID, the offset where it starts (for messages), and its data.
    fn next_object(&mut self) -> Result<Option<NextObject<'_>>, ReadError>;

    /// The `BLOBS` entry's dump id.
    fn dump_id(&self) -> u32;
}

/// The large objects of a `BLOBS` entry, read one after the other with [`next_object`](Self::next_object).
pub struct LargeObjects<'a> {
    source: Box<dyn LoSource + 'a>,
}

impl fmt::Debug for LargeObjects<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LargeObjects")
            .field("dump_id", &self.source.dump_id())
            .finish_non_exhaustive()
    }
}

impl<'a> LargeObjects<'a> {
    pub(crate) fn new(source: Box<dyn LoSource + 'a>) -> LargeObjects<'a> {
        LargeObjects { source }
    }

    /// The next large object, `None` after the last. The previous one need not have been read to its end.
    pub fn next_object(&mut self) -> Result<Option<LargeObject<'_>>, ReadError> {
        let dump_id = self.source.dump_id();
        Ok(self
            .source
            .next_object()?
            .map(|(oid, offset, reader)| LargeObject {
                oid,
                data: DataReader::new(
                    reader,
                    Where::LargeObject {
                        dump_id,
                        oid: Some(oid),
                    },
                    offset,
                ),
            }))
    }
}

/// One large object: its OID and its (decompressed) bytes.
#[derive(Debug)]
pub struct LargeObject<'a> {
    oid: u32,
    data: DataReader<'a>,
}

impl LargeObject<'_> {
    /// The large object's OID (OIDs above 2^31, stored as negative integers, come out right).
    pub fn oid(&self) -> u32 {
        self.oid
    }
}

impl Read for LargeObject<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.data.read(buf)
    }
}

/// Inputs the [`Archive`] reads: anything that reads and seeks (or pretends to, see [`NoSeek`]).
trait ReadSeek: Read + Seek + Send {}

impl<T: Read + Seek + Send> ReadSeek for T {}

type AnyInput = Box<dyn ReadSeek>;

/// An archive of any format, detected from its path (a directory is a directory archive) or its first bytes
/// (`PGDMP` for custom, a tar header for tar).
pub struct Archive {
    inner: Inner,
}

enum Inner {
    Custom(CustomArchive<AnyInput>),
    Directory(DirectoryArchive),
    Tar(TarArchive<AnyInput>),
}

impl fmt::Debug for Archive {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Archive")
            .field("format", &self.format())
            .field("entries", &self.toc().entries.len())
            .finish_non_exhaustive()
    }
}

const PLAIN_SCRIPT_START: &[u8] = b"--\n-- PostgreSQL database dump";

impl Archive {
    /// Opens the archive at `path`: a directory archive (a directory holding `toc.dat`), or a custom or tar
    /// file. Reads the header and the TOC.
    pub fn open(path: impl AsRef<Path>) -> Result<Archive, ReadError> {
        let path = path.as_ref();
        let metadata = std::fs::metadata(path).map_err(|source| ReadError::Io {
            what: path.display().to_string(),
            source,
        })?;
        if metadata.is_dir() {
            return Ok(Archive {
                inner: Inner::Directory(DirectoryArchive::open(path)?),
            });
        }
        let file = File::open(path).map_err(|source| ReadError::Io {
            what: path.display().to_string(),
            source,
        })?;
        Archive::from_reader(file)
    }

    /// Reads a custom or tar archive from `reader`, seeking when it can.
    pub fn from_reader<R: Read + Seek + Send + 'static>(reader: R) -> Result<Archive, ReadError> {
        Archive::sniff(Input::probe(Box::new(reader)))
    }

    /// Reads a custom or tar archive from an input that cannot seek (standard input, a pipe). Its data must be
    /// read in archive order.
    pub fn from_stream<R: Read + Send + 'static>(reader: R) -> Result<Archive, ReadError> {
        Archive::sniff(Input::sequential(Box::new(NoSeek(reader))))
    }

    fn sniff(mut input: Input<AnyInput>) -> Result<Archive, ReadError> {
        input
            .fill(parse::TAR_BLOCK)
            .map_err(|e| ReadError::from_io(e, "the archive"))?;
        let first = input.available();
        if first.is_empty() {
            return Err(ReadError::NotAnArchive("it is empty".to_owned()));
        }
        let inner = match detect_format(first) {
            Some(ArchiveFormat::Custom) => Inner::Custom(CustomArchive::from_input(input)?),
            Some(ArchiveFormat::Tar) => Inner::Tar(TarArchive::from_input(input)?),
            Some(ArchiveFormat::Directory) | Some(ArchiveFormat::Plain) => {
                return Err(ReadError::NotAnArchive(
                    if first.starts_with(PLAIN_SCRIPT_START) {
                        "it is a plain SQL script (pgferry restore -d runs it, as psql does)"
                            .to_owned()
                    } else if first.len() < parse::TAR_BLOCK {
                        format!(
                            "it does not start with PGDMP (a custom archive), and at {} bytes it is too short \
                             for a tar archive",
                            first.len()
                        )
                    } else {
                        "it starts with neither PGDMP (a custom archive) nor a tar header"
                            .to_owned()
                    },
                ))
            }
            None => {
                return Err(ReadError::Truncated {
                    offset: first.len() as u64,
                    what: Where::Header,
                })
            }
        };
        Ok(Archive { inner })
    }

    /// The archive's format.
    pub fn format(&self) -> ArchiveFormat {
        self.header().format
    }

    /// The archive header.
    pub fn header(&self) -> &ArchiveHeader {
        match &self.inner {
            Inner::Custom(a) => a.header(),
            Inner::Directory(a) => a.header(),
            Inner::Tar(a) => a.header(),
        }
    }

    /// The table of contents.
    pub fn toc(&self) -> &Toc {
        match &self.inner {
            Inner::Custom(a) => a.toc(),
            Inner::Directory(a) => a.toc(),
            Inner::Tar(a) => a.toc(),
        }
    }

    /// The header and TOC, giving up the data.
    pub fn into_toc(self) -> (ArchiveHeader, Toc) {
        match self.inner {
            Inner::Custom(a) => a.into_toc(),
            Inner::Directory(a) => a.into_toc(),
            Inner::Tar(a) => a.into_toc(),
        }
    }

    /// Whether data can be read in any order (a directory, or a file that can seek). When not, read it in
    /// archive (TOC) order.
    pub fn can_seek(&self) -> bool {
        match &self.inner {
            Inner::Custom(a) => a.can_seek(),
            Inner::Directory(_) => true,
            Inner::Tar(a) => a.can_seek(),
        }
    }

    /// The decompressed data of entry `dump_id` (`TABLE DATA` and other entries with a data stream, but not
    /// `BLOBS`).
    pub fn data(&mut self, dump_id: DumpId) -> Result<DataReader<'_>, ReadError> {
        match &mut self.inner {
            Inner::Custom(a) => a.data(dump_id),
            Inner::Directory(a) => a.data(dump_id),
            Inner::Tar(a) => a.data(dump_id),
        }
    }

    /// The large objects of the `BLOBS` entry `dump_id`.
    pub fn large_objects(&mut self, dump_id: DumpId) -> Result<LargeObjects<'_>, ReadError> {
        match &mut self.inner {
            Inner::Custom(a) => a.large_objects(dump_id),
            Inner::Directory(a) => a.large_objects(dump_id),
            Inner::Tar(a) => a.large_objects(dump_id),
        }
    }
}
