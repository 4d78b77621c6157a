//! Sans-IO parsers of pg_dump's archive bytes: the header, the TOC, the primitives they are made of (integers,
//! strings, data offsets), custom-format block headers and tar headers.
//!
//! Every parser takes the bytes available so far and returns either a value with the number of bytes it used
//! ([`Parsed::Done`]), or how many bytes it needs at least before it can say more ([`Parsed::NeedMore`]).
//! Running out of bytes is a normal result, never an error: only the caller knows whether more can come.
//! Nothing here allocates more than the bytes it was given, whatever lengths the bytes claim.
//!
//! The byte-level reference is `shared/design/archive-format.md`.

use crate::format::{ArchiveFormat, ArchiveVersion, Compression, CompressionMethod, MAGIC};
use crate::read::error::{ParseError, Problem, Where};
use crate::toc::{
    desc, ArchiveHeader, CreationTime, DataLocation, DumpId, Section, Toc, TocEntry, TocHeader,
};

/// The longest string (TOC field) accepted: 1 GiB, PostgreSQL's own limit for a value.
pub const MAX_STRING_LEN: i64 = 1 << 30;

/// The outcome of a parser given some bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Parsed<T> {
    /// A value, made of the first `consumed` bytes.
    Done {
        /// The value.
        value: T,
        /// How many bytes it took.
        consumed: usize,
    },
    /// Not enough bytes: the parser needs at least `at_least` bytes in all (counted from the start of the bytes
    /// given) before it can say more. Give it at least that many, or conclude that the input is truncated.
    NeedMore {
        /// The total number of bytes needed at least.
        at_least: usize,
    },
}

impl<T> Parsed<T> {
    /// The value, if there was one.
    pub fn done(self) -> Option<T> {
        match self {
            Parsed::Done { value, .. } => Some(value),
            Parsed::NeedMore { .. } => None,
        }
    }
}

/// Why a cursor stopped: not enough bytes (with the total needed), or a problem at an offset.
enum Halt {
    More(usize),
    Bad(usize, Problem),
}

type Step<T> = Result<T, Halt>;

/// Reads primitives from a byte slice, remembering the position.
struct Cursor<'a> {
    buf: &'a [u8],
    pos: usize,
}

impl<'a> Cursor<'a> {
    fn new(buf: &'a [u8]) -> Cursor<'a> {
        Cursor { buf, pos: 0 }
    }

    fn bad<T>(&self, at: usize, problem: Problem) -> Step<T> {
        Err(Halt::Bad(at, problem))
    }

    fn bytes(&mut self, n: usize) -> Step<&'a [u8]> {
        let end = self.pos.checked_add(n).ok_or(Halt::More(usize::MAX))?;
        if end > self.buf.len() {
            return Err(Halt::More(end));
        }
        let out = &self.buf[self.pos..end];
        self.pos = end;
        Ok(out)
    }

    fn byte(&mut self) -> Step<u8> {
        Ok(self.bytes(1)?[0])
    }

    /// An archive integer: a sign byte (non-zero: negative), then `int_size` bytes of magnitude, little-endian.
    fn int(&mut self, int_size: u8) -> Step<i64> {
        let start = self.pos;
        let sign = self.byte()?;
        let bytes = self.bytes(usize::from(int_size))?;
        let mut magnitude: u64 = 0;
        for (i, &b) in bytes.iter().enumerate() {
            if b == 0 {
                continue;
            }
            if i >= 8 {
                return self.bad(start, Problem::IntTooLarge);
            }
            magnitude |= u64::from(b) << (8 * i);
        }
        let Ok(value) = i64::try_from(magnitude) else {
            return self.bad(start, Problem::IntTooLarge);
        };
        Ok(if sign != 0 { -value } else { value })
    }

    /// An integer that must fit `min..=max`.
    fn int_in(&mut self, int_size: u8, field: &'static str, min: i64, max: i64) -> Step<i64> {
        let start = self.pos;
        let value = self.int(int_size)?;
        if value < min || value > max {
            return self.bad(start, Problem::OutOfRange { field, value });
        }
        Ok(value)
    }

    /// A string: an integer length (negative: NULL), then that many bytes.
    fn str(&mut self, int_size: u8) -> Step<Option<&'a [u8]>> {
        let start = self.pos;
        let len = self.int(int_size)?;
        if len < 0 {
            return Ok(None);
        }
        if len > MAX_STRING_LEN {
            return self.bad(start, Problem::StringTooLong(len));
        }
        // The length fits usize: it is at most 1 GiB.
        Ok(Some(self.bytes(len as usize)?))
    }

    fn text(&mut self, int_size: u8) -> Step<Option<String>> {
        Ok(self.str(int_size)?.map(text))
    }

    /// A custom-format data offset: a flag byte (1 not set, 2 set, 3 no data), then `off_size` bytes.
    fn offset(&mut self, off_size: u8) -> Step<DataLocation> {
        let start = self.pos;
        let flag = self.byte()?;
        if !(1..=3).contains(&flag) {
            return self.bad(start, Problem::BadOffsetFlag(flag));
        }
        let bytes = self.bytes(usize::from(off_size))?;
        let mut position: u64 = 0;
        for (i, &b) in bytes.iter().enumerate() {
            if i < 8 {
                position |= u64::from(b) << (8 * i);
            } else if b != 0 {
                return self.bad(start, Problem::OffsetTooLarge);
            }
        }
        Ok(match flag {
            1 => DataLocation::OffsetNotSet,
            2 => DataLocation::Offset(position),
            _ => DataLocation::None,
        })
    }
}

/// Text from archive bytes. pg_dump writes the database encoding, nearly always UTF-8; bytes that are not
/// UTF-8 are replaced (U+FFFD), which only affects archives of databases in other encodings.
fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn finish<T>(
    cursor: &Cursor<'_>,
    step: Step<T>,
    what: impl FnOnce() -> Where,
) -> Result<Parsed<T>, ParseError> {
    match step {
        Ok(value) => Ok(Parsed::Done {
            value,
            consumed: cursor.pos,
        }),
        Err(Halt::More(at_least)) => Ok(Parsed::NeedMore { at_least }),
        Err(Halt::Bad(offset, problem)) => Err(ParseError {
            offset,
            what: what(),
            problem,
        }),
    }
}

/// The outcome of a primitive parser: a [`Problem`] is at the start of the bytes given.
fn primitive<T>(cursor: &Cursor<'_>, step: Step<T>) -> Result<Parsed<T>, Problem> {
    match step {
        Ok(value) => Ok(Parsed::Done {
            value,
            consumed: cursor.pos,
        }),
        Err(Halt::More(at_least)) => Ok(Parsed::NeedMore { at_least }),
        Err(Halt::Bad(_, problem)) => Err(problem),
    }
}

/// An archive integer (sign byte plus `int_size` bytes of magnitude, little-endian).
pub fn int(buf: &[u8], int_size: u8) -> Result<Parsed<i64>, Problem> {
    let mut c = Cursor::new(buf);
    let step = c.int(int_size);
    primitive(&c, step)
}

/// An archive string: `None` for NULL (a negative length).
pub fn string(buf: &[u8], int_size: u8) -> Result<Parsed<Option<&[u8]>>, Problem> {
    let mut c = Cursor::new(buf);
    let step = c.str(int_size);
    primitive(&c, step)
}

/// A custom-format data offset (flag byte plus `off_size` bytes).
pub fn offset(buf: &[u8], off_size: u8) -> Result<Parsed<DataLocation>, Problem> {
    let mut c = Cursor::new(buf);
    let step = c.offset(off_size);
    primitive(&c, step)
}

/// The archive header, which must carry the format byte of `format` (1 for custom, 3 for the `toc.dat` of
/// directory and tar archives). The returned header has `format` as its format.
pub fn header(buf: &[u8], format: ArchiveFormat) -> Result<Parsed<ArchiveHeader>, ParseError> {
    let mut c = Cursor::new(buf);
    let step = header_fields(&mut c, format);
    finish(&c, step, || Where::Header)
}

fn header_fields(c: &mut Cursor<'_>, format: ArchiveFormat) -> Step<ArchiveHeader> {
    let available = c.buf.len().min(MAGIC.len());
    if c.buf[..available] != MAGIC[..available] {
        return c.bad(0, Problem::BadMagic);
    }
    c.bytes(MAGIC.len())?;
    let major = c.byte()?;
    let minor = c.byte()?;
    let rev = if major > 1 || (major == 1 && minor > 0) {
        c.byte()?
    } else {
        0
    };
    let version = ArchiveVersion { major, minor, rev };
    if major != 1 || version < ArchiveVersion::OLDEST_READ || minor > ArchiveVersion::NEWEST.minor {
        return c.bad(5, Problem::UnsupportedVersion { major, minor });
    }
    let at = c.pos;
    let int_size = c.byte()?;
    if !(1..=32).contains(&int_size) {
        return c.bad(at, Problem::BadIntSize(int_size));
    }
    let at = c.pos;
    let off_size = c.byte()?;
    if !(1..=32).contains(&off_size) {
        return c.bad(at, Problem::BadOffsetSize(off_size));
    }
    let at = c.pos;
    let found = c.byte()?;
    let expected = ArchiveHeader::format_byte(format);
    if found != expected {
        return c.bad(at, Problem::FormatMismatch { expected, found });
    }
    let compression = if version >= ArchiveVersion::V1_15 {
        let at = c.pos;
        let code = c.byte()?;
        let Some(method) = CompressionMethod::from_code(code) else {
            return c.bad(at, Problem::UnknownCompression(code));
        };
        Compression {
            method,
            level: None,
        }
    } else {
        let level = c.int_in(
            int_size,
            "compression level",
            i64::from(i32::MIN),
            i64::from(i32::MAX),
        )?;
        Compression {
            method: if level == 0 {
                CompressionMethod::None
            } else {
                CompressionMethod::Gzip
            },
            level: Some(level as i32),
        }
    };
    let created = CreationTime {
        sec: c.int(int_size)?,
        min: c.int(int_size)?,
        hour: c.int(int_size)?,
        mday: c.int(int_size)?,
        mon: c.int(int_size)?,
        year: c.int(int_size)?,
        isdst: c.int(int_size)?,
    };
    let dbname = c.text(int_size)?;
    let server_version = c.text(int_size)?;
    let dumper_version = c.text(int_size)?;
    Ok(ArchiveHeader {
        version,
        int_size,
        off_size,
        format,
        compression,
        created,
        dbname,
        server_version,
        dumper_version,
    })
}

/// The number of TOC entries, which follows the header.
pub fn toc_count(buf: &[u8], header: &ArchiveHeader) -> Result<Parsed<usize>, ParseError> {
    let mut c = Cursor::new(buf);
    let step = c
        .int_in(header.int_size, "TOC entry count", 0, i64::from(i32::MAX))
        .map(|n| n as usize);
    finish(&c, step, || Where::TocCount)
}

/// One TOC entry, the `number`-th (from 1), with every field its archive version has, and the format-specific
/// extra field as its [`DataLocation`].
pub fn toc_entry(
    buf: &[u8],
    header: &ArchiveHeader,
    number: usize,
) -> Result<Parsed<TocEntry>, ParseError> {
    let mut c = Cursor::new(buf);
    let mut dump_id = None;
    let step = entry_fields(&mut c, header, &mut dump_id);
    finish(&c, step, || Where::TocEntry { number, dump_id })
}

fn oid_field(c: &Cursor<'_>, at: usize, field: &'static str, value: Option<&[u8]>) -> Step<u32> {
    let Some(bytes) = value else {
        return c.bad(at, Problem::MissingField(field));
    };
    match std::str::from_utf8(bytes)
        .ok()
        .and_then(|s| s.parse::<u32>().ok())
    {
        Some(oid) => Ok(oid),
        None => c.bad(
            at,
            Problem::BadNumber {
                field,
                text: text(bytes),
            },
        ),
    }
}

fn entry_fields(
    c: &mut Cursor<'_>,
    header: &ArchiveHeader,
    dump_id_seen: &mut Option<i64>,
) -> Step<TocEntry> {
    let n = header.int_size;
    let at = c.pos;
    let dump_id = c.int(n)?;
    *dump_id_seen = Some(dump_id);
    if dump_id <= 0 || dump_id > i64::from(i32::MAX) {
        return c.bad(
            at,
            Problem::OutOfRange {
                field: "dump id",
                value: dump_id,
            },
        );
    }
    let had_dumper = c.int(n)? != 0;
    let at = c.pos;
    let table_oid = c.str(n)?;
    let table_oid = oid_field(c, at, "table OID", table_oid)?;
    let at = c.pos;
    let oid = c.str(n)?;
    let oid = oid_field(c, at, "OID", oid)?;
    let tag = c.text(n)?.unwrap_or_default();
    let at = c.pos;
    let Some(desc_) = c.text(n)? else {
        return c.bad(at, Problem::MissingField("desc"));
    };
    let at = c.pos;
    let section_code = c.int(n)?;
    let section = i32::try_from(section_code)
        .ok()
        .and_then(Section::from_code);
    let Some(section) = section else {
        return c.bad(
            at,
            Problem::OutOfRange {
                field: "section",
                value: section_code,
            },
        );
    };
    let defn = c.text(n)?;
    let drop_stmt = c.text(n)?;
    let copy_stmt = c.text(n)?;
    let namespace = c.text(n)?;
    let tablespace = c.text(n)?;
    let tableam = if header.version >= ArchiveVersion::V1_14 {
        c.text(n)?
    } else {
        None
    };
    let relkind = if header.version >= ArchiveVersion::V1_16 {
        c.int_in(n, "relkind", 0, 255)? as u8
    } else {
        0
    };
    let owner = c.text(n)?;
    let _with_oids = c.str(n)?;
    let mut dependencies = Vec::new();
    loop {
        let at = c.pos;
        let Some(dep) = c.str(n)? else { break };
        let parsed = std::str::from_utf8(dep)
            .ok()
            .and_then(|s| s.parse::<i32>().ok());
        match parsed {
            Some(id) if id > 0 => dependencies.push(DumpId(id as u32)),
            _ => {
                return c.bad(
                    at,
                    Problem::BadNumber {
                        field: "dependency",
                        text: text(dep),
                    },
                )
            }
        }
    }
    let data_location = match header.format {
        ArchiveFormat::Custom => c.offset(header.off_size)?,
        _ => match c.text(n)? {
            Some(name) if !name.is_empty() => DataLocation::File(name),
            _ => DataLocation::None,
        },
    };
    let mut entry = TocEntry::new(DumpId(dump_id as u32), &desc_, tag, section);
    entry.had_dumper = had_dumper;
    entry.table_oid = table_oid;
    entry.oid = oid;
    entry.defn = defn;
    entry.drop_stmt = drop_stmt;
    entry.copy_stmt = copy_stmt;
    entry.namespace = namespace;
    entry.tablespace = tablespace;
    entry.tableam = tableam;
    entry.relkind = relkind;
    entry.owner = owner;
    entry.dependencies = dependencies;
    entry.data_location = data_location;
    Ok(entry)
}

/// What the special entries say: the encoding named by `ENCODING` and the setting of `STDSTRINGS`, checked as
/// strictly as pg_restore does (a quoted name; `'on'` or `'off'`).
fn apply_special(entry: &TocEntry, header: &mut TocHeader) -> Result<(), Problem> {
    let defn = entry.defn.as_deref().unwrap_or("");
    if entry.desc == desc::ENCODING {
        let name = defn
            .split_once('\'')
            .and_then(|(_, rest)| rest.split_once('\''))
            .map(|(name, _)| name);
        match name {
            Some(name) if !name.is_empty() => header.encoding = name.to_owned(),
            _ => {
                return Err(Problem::BadSpecialEntry {
                    desc: desc::ENCODING,
                    defn: defn.to_owned(),
                })
            }
        }
    } else if entry.desc == desc::STDSTRINGS {
        let value = defn.find('\'').map(|i| &defn[i..]);
        match value {
            Some(v) if v.starts_with("'on'") => header.std_strings = true,
            Some(v) if v.starts_with("'off'") => header.std_strings = false,
            _ => {
                return Err(Problem::BadSpecialEntry {
                    desc: desc::STDSTRINGS,
                    defn: defn.to_owned(),
                })
            }
        }
    }
    Ok(())
}

/// What [`TocParser::step`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TocStep {
    /// It parsed the next part (the header, the entry count, or an entry) from the first `consumed` bytes; drop
    /// them and call again with what follows.
    Advanced {
        /// Bytes used.
        consumed: usize,
    },
    /// It needs at least `at_least` bytes (from the start of the bytes given) for the next part.
    NeedMore {
        /// The total needed.
        at_least: usize,
    },
    /// The TOC is complete; call [`TocParser::finish`].
    Complete,
}

/// An incremental parser of a header and TOC (a custom file's start, or a `toc.dat`): feed it bytes part by part
/// with [`step`](TocParser::step), then take the result with [`finish`](TocParser::finish).
#[derive(Debug, Clone)]
pub struct TocParser {
    format: ArchiveFormat,
    header: Option<ArchiveHeader>,
    count: Option<usize>,
    toc: Toc,
}

impl TocParser {
    /// A parser for an archive of `format` (custom: format byte 1 and offset extras; directory and tar: format
    /// byte 3 and file-name extras).
    pub fn new(format: ArchiveFormat) -> TocParser {
        TocParser {
            format,
            header: None,
            count: None,
            toc: Toc {
                header: TocHeader {
                    encoding: "SQL_ASCII".to_owned(),
                    ..TocHeader::default()
                },
                entries: Vec::new(),
            },
        }
    }

    /// The header, once parsed.
    pub fn header(&self) -> Option<&ArchiveHeader> {
        self.header.as_ref()
    }

    /// Parses the next part from `buf`, which starts where the last part ended.
    pub fn step(&mut self, buf: &[u8]) -> Result<TocStep, ParseError> {
        let Some(header) = &self.header else {
            return Ok(match header(buf, self.format)? {
                Parsed::Done { value, consumed } => {
                    self.toc.header.dbname = value.dbname.clone().unwrap_or_default();
                    self.toc.header.server_version =
                        value.server_version.clone().unwrap_or_default();
                    self.toc.header.dumper_version =
                        value.dumper_version.clone().unwrap_or_default();
                    self.header = Some(value);
                    TocStep::Advanced { consumed }
                }
                Parsed::NeedMore { at_least } => TocStep::NeedMore { at_least },
            });
        };
        let Some(count) = self.count else {
            return Ok(match toc_count(buf, header)? {
                Parsed::Done { value, consumed } => {
                    self.count = Some(value);
                    // Each entry takes dozens of bytes, so the count cannot claim much memory before the bytes
                    // are there; still, reserve only a bounded amount up front.
                    self.toc.entries.reserve(value.min(4096));
                    TocStep::Advanced { consumed }
                }
                Parsed::NeedMore { at_least } => TocStep::NeedMore { at_least },
            });
        };
        let number = self.toc.entries.len() + 1;
        if number > count {
            return Ok(TocStep::Complete);
        }
        match toc_entry(buf, header, number)? {
            Parsed::Done { value, consumed } => {
                if let Err(problem) = apply_special(&value, &mut self.toc.header) {
                    return Err(ParseError {
                        offset: 0,
                        what: Where::TocEntry {
                            number,
                            dump_id: Some(i64::from(value.dump_id.0)),
                        },
                        problem,
                    });
                }
                self.toc.entries.push(value);
                Ok(TocStep::Advanced { consumed })
            }
            Parsed::NeedMore { at_least } => Ok(TocStep::NeedMore { at_least }),
        }
    }

    /// The part the next [`step`](TocParser::step) parses (for messages).
    pub fn current_part(&self) -> Where {
        if self.header.is_none() {
            Where::Header
        } else if self.count.is_none() {
            Where::TocCount
        } else {
            Where::TocEntry {
                number: self.toc.entries.len() + 1,
                dump_id: None,
            }
        }
    }

    /// Whether every entry has been parsed.
    pub fn is_complete(&self) -> bool {
        self.count
            .is_some_and(|count| self.toc.entries.len() >= count)
    }

    /// The header and the TOC, when [`is_complete`](TocParser::is_complete); `None` before.
    pub fn finish(self) -> Option<(ArchiveHeader, Toc)> {
        if !self.is_complete() {
            return None;
        }
        Some((self.header?, self.toc))
    }
}

/// A whole header and TOC from one slice (a `toc.dat`, or the start of a custom file): the header, the TOC, and
/// how many bytes they took.
pub fn header_and_toc(
    buf: &[u8],
    format: ArchiveFormat,
) -> Result<Parsed<(ArchiveHeader, Toc)>, ParseError> {
    let mut parser = TocParser::new(format);
    let mut pos = 0;
    loop {
        match parser.step(&buf[pos..]) {
            Ok(TocStep::Advanced { consumed }) => pos += consumed,
            Ok(TocStep::NeedMore { at_least }) => {
                return Ok(Parsed::NeedMore {
                    at_least: pos.saturating_add(at_least),
                })
            }
            Ok(TocStep::Complete) => break,
            Err(mut e) => {
                e.offset += pos;
                return Err(e);
            }
        }
    }
    match parser.finish() {
        Some(value) => Ok(Parsed::Done {
            value,
            consumed: pos,
        }),
        None => Ok(Parsed::NeedMore {
            at_least: pos.saturating_add(1),
        }),
    }
}

/// The kind of a custom-format data block.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BlockKind {
    /// `BLK_DATA` (1): one data stream (table data).
    Data,
    /// `BLK_BLOBS` (3): large objects, each an OID and a data stream.
    Blobs,
}

impl BlockKind {
    /// The type byte.
    pub fn code(self) -> u8 {
        match self {
            BlockKind::Data => 1,
            BlockKind::Blobs => 3,
        }
    }
}

/// The start of a custom-format data block: its type byte and the dump id of its entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BlockHeader {
    /// Data or large objects.
    pub kind: BlockKind,
    /// The entry's dump id as written.
    pub dump_id: i64,
}

/// A custom-format block header: type byte (1 or 3) and dump id.
pub fn block_header(buf: &[u8], int_size: u8) -> Result<Parsed<BlockHeader>, ParseError> {
    let mut c = Cursor::new(buf);
    let step = (|| {
        let kind = match c.byte()? {
            1 => BlockKind::Data,
            3 => BlockKind::Blobs,
            other => return c.bad(0, Problem::BadBlockType(other)),
        };
        let dump_id = c.int(int_size)?;
        Ok(BlockHeader { kind, dump_id })
    })();
    finish(&c, step, || Where::DataBlocks)
}

/// The size of a tar block.
pub const TAR_BLOCK: usize = 512;

/// What a tar header block says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TarHeader {
    /// The member's name.
    pub name: String,
    /// The size of its contents in bytes.
    pub size: u64,
}

impl TarHeader {
    /// The bytes the member's contents take in the archive: its size rounded up to whole blocks.
    pub fn padded_size(&self) -> u64 {
        self.size.div_ceil(TAR_BLOCK as u64) * TAR_BLOCK as u64
    }
}

/// A number of a tar header: octal digits (leading spaces allowed), or base-256 when the first byte has its
/// high bit set. `None` when it is neither or does not fit 64 bits.
fn tar_number(field: &[u8]) -> Option<u64> {
    if field.first().is_some_and(|b| b & 0x80 != 0) {
        let mut value: u64 = u64::from(field[0] & 0x7f);
        for &b in &field[1..] {
            value = value.checked_mul(256)?.checked_add(u64::from(b))?;
        }
        return Some(value);
    }
    let mut digits = field.iter().skip_while(|&&b| b == b' ').peekable();
    let mut value: u64 = 0;
    let mut any = false;
    while let Some(&&b) = digits.peek() {
        if !(b'0'..=b'7').contains(&b) {
            break;
        }
        value = value.checked_mul(8)?.checked_add(u64::from(b - b'0'))?;
        any = true;
        digits.next();
    }
    // What follows the digits must be a terminator.
    match digits.next() {
        None | Some(0) | Some(b' ') => {}
        Some(_) => return None,
    }
    any.then_some(value)
}

/// A 512-byte tar header block: `Ok(None)` for an all-zero block (the end-of-archive marker, which pg_restore
/// skips), the member's name and size otherwise. The checksum must match, as pg_restore demands.
pub fn tar_header(block: &[u8; TAR_BLOCK]) -> Result<Option<TarHeader>, ParseError> {
    let bad = |offset: usize, problem: Problem| ParseError {
        offset,
        what: Where::TarHeader,
        problem,
    };
    if block.iter().all(|&b| b == 0) {
        return Ok(None);
    }
    let computed: u64 = block
        .iter()
        .enumerate()
        .map(|(i, &b)| {
            if (148..156).contains(&i) {
                u64::from(b' ')
            } else {
                u64::from(b)
            }
        })
        .sum();
    let stated =
        tar_number(&block[148..156]).ok_or_else(|| bad(148, Problem::BadTarNumber("checksum")))?;
    if stated != computed {
        return Err(bad(148, Problem::BadTarChecksum { stated, computed }));
    }
    let size =
        tar_number(&block[124..136]).ok_or_else(|| bad(124, Problem::BadTarNumber("size")))?;
    let name_end = block[..100].iter().position(|&b| b == 0).unwrap_or(100);
    let mut name = text(&block[..name_end]);
    // POSIX ustar keeps long names' leading directories in a prefix field.
    if &block[257..262] == b"ustar" && block[345] != 0 {
        let prefix_end = block[345..500].iter().position(|&b| b == 0).unwrap_or(155);
        name = format!("{}/{}", text(&block[345..345 + prefix_end]), name);
    }
    Ok(Some(TarHeader { name, size }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn integers_are_sign_and_magnitude() {
        assert_eq!(int(&[0, 5, 0, 0, 0], 4).unwrap().done(), Some(5));
        assert_eq!(int(&[1, 1, 0, 0, 0], 4).unwrap().done(), Some(-1));
        // OID 3000000000 written through the signed path.
        assert_eq!(
            int(&[1, 0x00, 0xA2, 0x2F, 0x4D], 4).unwrap().done(),
            Some(-1_294_967_296)
        );
        assert_eq!(
            int(&[0, 1, 2], 4).unwrap(),
            Parsed::NeedMore { at_least: 5 }
        );
        assert_eq!(int(&[], 4).unwrap(), Parsed::NeedMore { at_least: 1 });
        // Wide integers: the bytes beyond the eighth must be zero.
        let mut wide = vec![0u8; 17];
        wide[1] = 7;
        assert_eq!(int(&wide, 16).unwrap().done(), Some(7));
        wide[12] = 1;
        assert_eq!(int(&wide, 16).unwrap_err(), Problem::IntTooLarge);
    }

    #[test]
    fn strings_and_nulls() {
        assert_eq!(string(&[1, 1, 0, 0, 0], 4).unwrap().done(), Some(None));
        assert_eq!(
            string(&[0, 0, 0, 0, 0], 4).unwrap().done(),
            Some(Some(&b""[..]))
        );
        assert_eq!(
            string(b"\x00\x02\x00\x00\x00ab", 4).unwrap().done(),
            Some(Some(&b"ab"[..]))
        );
        // A huge length asks for more bytes rather than allocating.
        assert_eq!(
            string(b"\x00\x00\x00\x00\x01x", 4).unwrap(),
            Parsed::NeedMore {
                at_least: 5 + (1 << 24)
            }
        );
        assert!(matches!(
            string(b"\x00\xff\xff\xff\x7f", 4).unwrap_err(),
            Problem::StringTooLong(_)
        ));
    }

    #[test]
    fn offsets_have_a_flag() {
        assert_eq!(
            offset(&[3, 0, 0, 0, 0, 0, 0, 0, 0], 8).unwrap().done(),
            Some(DataLocation::None)
        );
        assert_eq!(
            offset(&[2, 0x18, 0x16, 0, 0, 0, 0, 0, 0], 8)
                .unwrap()
                .done(),
            Some(DataLocation::Offset(0x1618))
        );
        assert_eq!(
            offset(&[1, 0, 0, 0, 0, 0, 0, 0, 0], 8).unwrap().done(),
            Some(DataLocation::OffsetNotSet)
        );
        assert_eq!(
            offset(&[4, 0, 0, 0, 0, 0, 0, 0, 0], 8).unwrap_err(),
            Problem::BadOffsetFlag(4)
        );
    }

    #[test]
    fn header_errors() {
        assert_eq!(
            header(b"PGD", ArchiveFormat::Custom).unwrap(),
            Parsed::NeedMore { at_least: 5 }
        );
        assert_eq!(
            header(b"PGX", ArchiveFormat::Custom).unwrap_err().problem,
            Problem::BadMagic
        );
        assert_eq!(
            header(b"PGDMP\x01\x11\x00\x04\x08\x01", ArchiveFormat::Custom)
                .unwrap_err()
                .problem,
            Problem::UnsupportedVersion {
                major: 1,
                minor: 17
            }
        );
        assert_eq!(
            header(b"PGDMP\x01\x0b\x00\x04\x08\x01", ArchiveFormat::Custom)
                .unwrap_err()
                .problem,
            Problem::UnsupportedVersion {
                major: 1,
                minor: 11
            }
        );
        assert_eq!(
            header(b"PGDMP\x01\x10\x00\x04\x08\x03\x00", ArchiveFormat::Custom)
                .unwrap_err()
                .problem,
            Problem::FormatMismatch {
                expected: 1,
                found: 3
            }
        );
        assert_eq!(
            header(b"PGDMP\x01\x10\x00\x04\x08\x01\x07", ArchiveFormat::Custom)
                .unwrap_err()
                .problem,
            Problem::UnknownCompression(7)
        );
    }

    #[test]
    fn tar_numbers() {
        assert_eq!(tar_number(b"00000012621 "), Some(0o12621));
        assert_eq!(tar_number(b"  0644\0"), Some(0o644));
        assert_eq!(tar_number(b"\x80\0\0\0\0\0\0\0\0\0\x01\x00"), Some(256));
        assert_eq!(tar_number(b"abc"), None);
    }

    #[test]
    fn creation_time_prints_like_pg_restore_in_utc() {
        let t = CreationTime {
            sec: 36,
            min: 20,
            hour: 23,
            mday: 23,
            mon: 10,
            year: 126,
            isdst: 0,
        };
        assert_eq!(t.display_utc(), "2026-11-23 23:20:36 UTC");
        assert_eq!(CreationTime::from_unix_utc(t.to_unix_utc().unwrap()), t);
        // mktime normalises out-of-range fields.
        let t = CreationTime {
            sec: 60,
            min: 59,
            hour: 23,
            mday: 31,
            mon: 11,
            year: 99,
            isdst: 0,
        };
        assert_eq!(t.display_utc(), "2000-01-01 00:00:00 UTC");
        let huge = CreationTime {
            year: i64::MAX,
            ..t
        };
        assert_eq!(huge.display_utc(), "[unknown]");
    }
}
