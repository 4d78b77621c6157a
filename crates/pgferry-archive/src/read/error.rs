//! What can go wrong while reading an archive, and where.

use std::fmt;
use std::io;
use std::path::PathBuf;

/// The part of an archive being read when something went wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Where {
    /// The fixed header (magic, version, sizes, format, compression, creation time, names).
    Header,
    /// The number of TOC entries that follows the header.
    TocCount,
    /// One TOC entry: its number in the TOC (from 1) and, once read, its dump id.
    TocEntry {
        /// The entry's position in the TOC, counting from 1.
        number: usize,
        /// The entry's dump id, when it was read before the problem.
        dump_id: Option<i64>,
    },
    /// The sequence of data blocks of a custom archive, while looking for one.
    DataBlocks,
    /// The data stream of an entry.
    Data {
        /// The entry's dump id.
        dump_id: u32,
    },
    /// The large objects of a `BLOBS` entry, or one of them.
    LargeObject {
        /// The `BLOBS` entry's dump id.
        dump_id: u32,
        /// The large object, once its OID is known.
        oid: Option<u32>,
    },
    /// A header block of a tar archive.
    TarHeader,
    /// The contents of a tar member.
    TarMember {
        /// The member's name.
        name: String,
    },
    /// A file of a directory archive.
    File {
        /// The file's name inside the archive directory.
        name: String,
    },
    /// A part of a file of a directory archive (the header or a TOC entry of `toc.dat`); offsets are in the
    /// file.
    InFile {
        /// The file's name inside the archive directory.
        file: String,
        /// The part of it.
        part: Box<Where>,
    },
}

impl fmt::Display for Where {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Where::Header => f.write_str("the archive header"),
            Where::TocCount => f.write_str("the number of TOC entries"),
            Where::TocEntry {
                number,
                dump_id: Some(id),
            } => write!(f, "TOC entry {number} (dump id {id})"),
            Where::TocEntry {
                number,
                dump_id: None,
            } => write!(f, "TOC entry {number}"),
            Where::DataBlocks => f.write_str("the data blocks"),
            Where::Data { dump_id } => write!(f, "the data of TOC entry {dump_id}"),
            Where::LargeObject {
                dump_id,
                oid: Some(oid),
            } => write!(f, "large object {oid} of TOC entry {dump_id}"),
            Where::LargeObject { dump_id, oid: None } => {
                write!(f, "the large objects of TOC entry {dump_id}")
            }
            Where::TarHeader => f.write_str("a tar header"),
            Where::TarMember { name } => write!(f, "tar member {name}"),
            Where::File { name } => write!(f, "file {name}"),
            Where::InFile { file, part } => write!(f, "{part} of file {file}"),
        }
    }
}

/// Why bytes are not a valid archive (the sans-IO parsers' verdicts).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Problem {
    /// The first bytes are not `PGDMP`.
    BadMagic,
    /// An archive version outside 1.12 to 1.16.
    UnsupportedVersion {
        /// The major version byte.
        major: u8,
        /// The minor version byte.
        minor: u8,
    },
    /// The integer size byte is 0 or above 32.
    BadIntSize(u8),
    /// The offset size byte is 0 or above 32.
    BadOffsetSize(u8),
    /// The header's format byte is not the one of the container it was found in.
    FormatMismatch {
        /// The byte expected: 1 for a custom file, 3 for a `toc.dat`.
        expected: u8,
        /// The byte found.
        found: u8,
    },
    /// A compression algorithm byte (1.15+) that is not 0 to 3.
    UnknownCompression(u8),
    /// An integer whose magnitude does not fit 64 bits.
    IntTooLarge,
    /// An integer out of the range its field allows.
    OutOfRange {
        /// The field.
        field: &'static str,
        /// The value found.
        value: i64,
    },
    /// A string longer than pgferry accepts (1 GiB).
    StringTooLong(i64),
    /// A data offset flag that is not 1, 2 or 3.
    BadOffsetFlag(u8),
    /// A data offset with non-zero bytes beyond the eighth.
    OffsetTooLarge,
    /// A NULL string where a value is required.
    MissingField(&'static str),
    /// A string that should hold a number and does not.
    BadNumber {
        /// The field.
        field: &'static str,
        /// What it holds.
        text: String,
    },
    /// An `ENCODING` or `STDSTRINGS` entry that does not say what it should.
    BadSpecialEntry {
        /// `ENCODING` or `STDSTRINGS`.
        desc: &'static str,
        /// Its definition.
        defn: String,
    },
    /// A data block type other than 1 (data) and 3 (large objects).
    BadBlockType(u8),
    /// A block found where another entry's block was expected.
    UnexpectedBlock {
        /// The dump id looked for.
        expected: u32,
        /// The dump id found.
        found: i64,
    },
    /// A data block of the wrong kind for its entry.
    WrongBlockKind {
        /// The dump id.
        dump_id: u32,
        /// The block type byte found.
        found: u8,
    },
    /// A compressed stream that does not decompress (what the decompressor says).
    Decompress(String),
    /// A compressed stream that stops before its end.
    StreamEndsEarly {
        /// `zlib`, `gzip`, `LZ4` or `zstd`.
        codec: &'static str,
    },
    /// A tar header whose checksum does not match.
    BadTarChecksum {
        /// The checksum the header states.
        stated: u64,
        /// The checksum of its bytes.
        computed: u64,
    },
    /// A tar header field that is not a number.
    BadTarNumber(&'static str),
    /// A line of a large-object TOC file (`blobs.toc`) that is not `<oid> <file>`.
    BadBlobsTocLine(String),
    /// Anything else, said in words.
    Other(String),
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Problem::BadMagic => f.write_str("it does not start with PGDMP"),
            Problem::UnsupportedVersion { major, minor } => write!(
                f,
                "archive version {major}.{minor} is not supported (pgferry reads 1.12 to 1.16)"
            ),
            Problem::BadIntSize(n) => write!(f, "integer size {n} is out of range (1 to 32)"),
            Problem::BadOffsetSize(n) => write!(f, "offset size {n} is out of range (1 to 32)"),
            Problem::FormatMismatch { expected: 1, found: 3 } => f.write_str(
                "format byte 3 in the header: this is the toc.dat of a directory or tar archive, not a custom \
                 archive (for a directory archive, give the directory)",
            ),
            Problem::FormatMismatch { expected, found } => write!(
                f,
                "format byte {found} in the header, expected {expected} ({})",
                if *expected == 1 {
                    "a custom archive"
                } else {
                    "the toc.dat of a directory or tar archive"
                }
            ),
            Problem::UnknownCompression(b) => write!(f, "unknown compression algorithm {b}"),
            Problem::IntTooLarge => f.write_str("an integer is too large"),
            Problem::OutOfRange { field, value } => write!(f, "{field} {value} is out of range"),
            Problem::StringTooLong(n) => write!(
                f,
                "a string claims {n} bytes, more than the 1 GiB a value can have"
            ),
            Problem::BadOffsetFlag(b) => write!(f, "unexpected data offset flag {b}"),
            Problem::OffsetTooLarge => f.write_str("a data offset is too large"),
            Problem::MissingField(field) => write!(f, "its {field} is missing (NULL)"),
            Problem::BadNumber { field, text } => {
                write!(f, "{field} {text:?} is not a valid number")
            }
            Problem::BadSpecialEntry { desc, defn } => write!(f, "invalid {desc} item: {defn:?}"),
            Problem::BadBlockType(b) => write!(f, "unrecognized data block type {b}"),
            Problem::UnexpectedBlock { expected, found } => write!(
                f,
                "found the data block of entry {found} where entry {expected}'s was expected"
            ),
            Problem::WrongBlockKind { dump_id, found } => write!(
                f,
                "entry {dump_id}'s data block has type {found}, which does not fit the entry"
            ),
            Problem::Decompress(why) => write!(f, "it does not decompress ({why})"),
            Problem::StreamEndsEarly { codec } => {
                write!(f, "its {codec} stream stops before its end")
            }
            Problem::BadTarChecksum { stated, computed } => write!(
                f,
                "its checksum does not match (the header says {stated}, its bytes add up to {computed})"
            ),
            Problem::BadTarNumber(field) => write!(f, "tar header field {field} is not a number"),
            Problem::BadBlobsTocLine(line) => {
                write!(f, "invalid line in a large-object TOC file: {line:?}")
            }
            Problem::Other(text) => f.write_str(text),
        }
    }
}

/// A parse failure of the sans-IO parsers: what is wrong, where in the bytes given, and in which part.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseError {
    /// Offset of the problem in the bytes given to the parser.
    pub offset: usize,
    /// The part being parsed.
    pub what: Where,
    /// What is wrong.
    pub problem: Problem,
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "at offset {} while reading {}: {}",
            self.offset, self.what, self.problem
        )
    }
}

impl std::error::Error for ParseError {}

/// An error of the archive readers. Every message says what was being read and, for bytes, at which offset.
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    /// The input is not a pg_dump archive at all (the reason says why, as "it ...").
    #[error("this is not a pg_dump archive: {0}")]
    NotAnArchive(String),
    /// An archive of a version pgferry does not read.
    #[error("archive version {major}.{minor} is not supported (pgferry reads 1.12 to 1.16)")]
    UnsupportedVersion {
        /// The major version.
        major: u8,
        /// The minor version.
        minor: u8,
    },
    /// The input ends in the middle of something.
    #[error("{}", truncated_message(*.offset, .what))]
    Truncated {
        /// Offset in the archive (for a directory archive, in the file named by `what`) where bytes ran out.
        offset: u64,
        /// What was being read.
        what: Where,
    },
    /// The bytes say something impossible.
    #[error("{}", corrupt_message(*.offset, .what, .problem))]
    Corrupt {
        /// Offset of the problem in the archive (or in the file named by `what`).
        offset: u64,
        /// What was being read.
        what: Where,
        /// What is wrong.
        problem: Problem,
    },
    /// A file a directory archive needs is not there.
    #[error("{}", if *.kind == "TOC" {
        format!("{name} is missing: this is not a pg_dump directory archive")
    } else {
        format!("{kind} file {name} is missing")
    })]
    MissingFile {
        /// `data`, `TOC` or `large-object TOC`.
        kind: &'static str,
        /// The file name expected (with the compression suffix the header implies).
        name: String,
        /// The archive directory.
        dir: PathBuf,
    },
    /// No entry of the TOC has this dump id.
    #[error("the archive has no TOC entry with dump id {0}")]
    NoSuchEntry(u32),
    /// The entry has no data stream in this archive.
    #[error("entry {dump_id} ({desc}) has no data in this archive")]
    NoData {
        /// The entry.
        dump_id: u32,
        /// Its desc.
        desc: String,
    },
    /// Data of a `BLOBS` entry asked for as a table's, or the other way round.
    #[error("entry {dump_id} is {desc}: read it with {use_instead}")]
    WrongKind {
        /// The entry.
        dump_id: u32,
        /// Its desc.
        desc: String,
        /// The method that reads it.
        use_instead: &'static str,
    },
    /// The data block of an entry is not in the archive.
    #[error("the data of TOC entry {dump_id} is not in the archive: {}", if *.input_can_seek {
        "the archive is truncated or corrupt"
    } else {
        "the archive is truncated or corrupt, or the data was asked for out of order from an input that \
         cannot seek (a pipe; read data in archive order or use a file)"
    })]
    DataNotFound {
        /// The entry.
        dump_id: u32,
        /// Whether the input could seek.
        input_can_seek: bool,
    },
    /// The data asked for comes before data already read, and the input cannot go back.
    #[error(
        "the data of TOC entry {dump_id} comes earlier in the archive than data already read, and the input \
         cannot seek (a pipe); read data in archive order or use a file"
    )]
    OutOfOrder {
        /// The entry.
        dump_id: u32,
    },
    /// A file name in the archive that would lead outside the archive directory.
    #[error("unsafe file name {name:?} in the archive: only plain names are accepted")]
    UnsafeName {
        /// The name.
        name: String,
    },
    /// The operating system refused a read (not a format problem).
    #[error("could not read {what}: {source}")]
    Io {
        /// What was being read (a path, or a part of the archive).
        what: String,
        /// The error.
        #[source]
        source: io::Error,
    },
}

/// What a truncation says: which file (the archive, or a file of a directory archive) ends too early, where.
fn truncated_message(offset: u64, what: &Where) -> String {
    match what {
        Where::File { name } => {
            format!("file {name} ends too early: it is cut off at offset {offset}")
        }
        Where::InFile { file, part } => {
            format!("file {file} ends too early: it is cut off at offset {offset}, in {part}")
        }
        what => format!("the archive ends too early: it is cut off at offset {offset}, in {what}"),
    }
}

/// What a corruption says: which file is corrupt, where, and how.
fn corrupt_message(offset: u64, what: &Where, problem: &Problem) -> String {
    match (what, problem) {
        (Where::File { name }, Problem::StreamEndsEarly { codec }) => {
            format!("file {name} ends too early: its {codec} stream stops before its end")
        }
        (Where::File { name }, Problem::Decompress(_)) => {
            format!("file {name} is corrupt: {problem}")
        }
        (Where::File { name }, problem) => {
            format!("file {name} is corrupt at offset {offset}: {problem}")
        }
        (Where::InFile { file, part }, problem) => {
            format!("file {file} is corrupt at offset {offset}, in {part}: {problem}")
        }
        // Decompressors do not say where in the stream: the offset is the stream's start.
        (what, Problem::StreamEndsEarly { .. } | Problem::Decompress(_)) => {
            format!("the archive is corrupt: {what} (at offset {offset}): {problem}")
        }
        (what, problem) => {
            format!("the archive is corrupt at offset {offset}, in {what}: {problem}")
        }
    }
}

impl ReadError {
    /// The reader error carried by an `io::Error` that a data reader returned, or the `io::Error` itself as
    /// [`ReadError::Io`].
    pub fn from_io(error: io::Error, what: impl fmt::Display) -> ReadError {
        let carries_read_error = error.get_ref().is_some_and(|inner| inner.is::<ReadError>());
        if carries_read_error {
            let kind = error.kind();
            return match error
                .into_inner()
                .map(|inner| inner.downcast::<ReadError>())
            {
                Some(Ok(read_error)) => *read_error,
                _ => ReadError::Io {
                    what: what.to_string(),
                    source: io::Error::from(kind),
                },
            };
        }
        ReadError::Io {
            what: what.to_string(),
            source: error,
        }
    }

    /// This error as an `io::Error` (for `Read` implementations), recoverable with [`ReadError::from_io`].
    pub(crate) fn into_io(self) -> io::Error {
        let kind = match &self {
            ReadError::Truncated { .. } => io::ErrorKind::UnexpectedEof,
            ReadError::Io { source, .. } => source.kind(),
            _ => io::ErrorKind::InvalidData,
        };
        io::Error::new(kind, self)
    }

    /// A [`ParseError`] of bytes that start at `base` in the archive.
    pub(crate) fn from_parse(error: ParseError, base: u64) -> ReadError {
        match error.problem {
            Problem::BadMagic => ReadError::NotAnArchive(Problem::BadMagic.to_string()),
            Problem::UnsupportedVersion { major, minor } => {
                ReadError::UnsupportedVersion { major, minor }
            }
            problem => ReadError::Corrupt {
                offset: base + error.offset as u64,
                what: error.what,
                problem,
            },
        }
    }
}
