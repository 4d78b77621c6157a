//! The table of contents: one entry per object, in restore order.

use std::fmt;

use crate::format::{ArchiveFormat, ArchiveVersion, Compression};

/// An entry's id, unique within one archive and greater than zero. Dependencies refer to entries by it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct DumpId(pub u32);

impl fmt::Display for DumpId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// The part of a dump an entry belongs to (pg_dump's `teSection`, with its on-disk numbers).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Section {
    /// Comments, ACLs and security labels: they follow their object's section.
    None = 1,
    /// Definitions restored before the data.
    PreData = 2,
    /// Table data, sequence values, large objects.
    Data = 3,
    /// Indexes, constraints, triggers and the like, restored after the data.
    PostData = 4,
}

impl Section {
    /// The number pg_dump writes for this section.
    pub fn code(self) -> i32 {
        self as i32
    }

    /// The section for pg_dump's number, if it is one.
    pub fn from_code(code: i32) -> Option<Section> {
        match code {
            1 => Some(Section::None),
            2 => Some(Section::PreData),
            3 => Some(Section::Data),
            4 => Some(Section::PostData),
            _ => None,
        }
    }
}

/// One object of the dump: what it is, how to create and drop it, and what it depends on.
///
/// The fields mirror pg_dump's TOC entry, so that every archive format can store them as they are.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TocEntry {
    /// Unique id within the archive.
    pub dump_id: DumpId,
    /// Whether the entry has a data stream (TABLE DATA, BLOBS).
    pub had_dumper: bool,
    /// The OID of the catalog that holds the object (`pg_class`'s 1259 for a table), 0 when none.
    pub table_oid: u32,
    /// The object's OID, 0 when none.
    pub oid: u32,
    /// The object's name as pg_dump tags it (unquoted; `table constraint` for table-scoped objects).
    pub tag: String,
    /// The kind of object: `TABLE`, `INDEX`, `ACL`, ... (see [`desc`]).
    pub desc: String,
    /// The section.
    pub section: Section,
    /// The SQL that creates the object.
    pub defn: Option<String>,
    /// The SQL that drops it (`--clean`).
    pub drop_stmt: Option<String>,
    /// For COPY-mode table data: `COPY schema.table (cols) FROM stdin;`.
    pub copy_stmt: Option<String>,
    /// The schema, when the object lives in one.
    pub namespace: Option<String>,
    /// `None` when the kind has no tablespace; `Some("")` for the default tablespace.
    pub tablespace: Option<String>,
    /// The table access method, for tables and materialized views.
    pub tableam: Option<String>,
    /// `pg_class.relkind` as a byte for relation entries, 0 otherwise.
    pub relkind: u8,
    /// The owning role.
    pub owner: Option<String>,
    /// The entries that must be restored first.
    pub dependencies: Vec<DumpId>,
    /// Where the entry's data stream is stored in the archive it was read from: the TOC's format-specific
    /// extra field (custom: the data offset and its flag; directory and tar: the file name). Readers fill it;
    /// [`DataLocation::None`] (the default) for entries without data and for TOCs built by the dump side.
    /// Writers may ignore it and record their own locations.
    pub data_location: DataLocation,
}

/// Where an entry's data stream lives in an archive: the format-specific extra field that ends each TOC entry.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub enum DataLocation {
    /// No data stream: custom offset flag 3 (`K_OFFSET_NO_DATA`), or an empty (or NULL) file name in the
    /// directory and tar formats.
    #[default]
    None,
    /// Custom format: the data block starts at this byte offset of the file (flag 2, `K_OFFSET_POS_SET`). The
    /// offset points at the block's type byte.
    Offset(u64),
    /// Custom format: the entry has a data block, but its offset was not recorded because pg_dump's output could
    /// not seek (flag 1, `K_OFFSET_POS_NOT_SET`). Readers find the block by scanning.
    OffsetNotSet,
    /// Directory and tar formats: the file (member) name the TOC records, without any compression suffix:
    /// `3358.dat`, or for a directory archive's `BLOBS` entry `blobs.toc` / `blobs_<dumpId>.toc`.
    File(String),
}

impl TocEntry {
    /// A new entry with only the identifying fields set; the rest are empty.
    pub fn new(dump_id: DumpId, desc: &str, tag: impl Into<String>, section: Section) -> TocEntry {
        TocEntry {
            dump_id,
            had_dumper: false,
            table_oid: 0,
            oid: 0,
            tag: tag.into(),
            desc: desc.to_owned(),
            section,
            defn: None,
            drop_stmt: None,
            copy_stmt: None,
            namespace: None,
            tablespace: None,
            tableam: None,
            relkind: 0,
            owner: None,
            dependencies: Vec::new(),
            data_location: DataLocation::None,
        }
    }
}

/// What the archive says about itself.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct TocHeader {
    /// The database that was dumped.
    pub dbname: String,
    /// The server's `version()`-style string, as in "Dumped from database version".
    pub server_version: String,
    /// The dumping program's version string, as in "Dumped by pg_dump version".
    pub dumper_version: String,
    /// The client encoding the dump was taken in.
    pub encoding: String,
    /// Whether `standard_conforming_strings` was on.
    pub std_strings: bool,
}

/// The fixed header at the start of a custom archive and of the `toc.dat` of a directory or tar archive
/// (`shared/design/archive-format.md` section 1), as read, or as a writer should write it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ArchiveHeader {
    /// The archive version (1.12 to 1.16 are read).
    pub version: ArchiveVersion,
    /// Bytes of magnitude in every integer (pg_dump writes 4).
    pub int_size: u8,
    /// Bytes in every data offset of the custom format (pg_dump writes 8).
    pub off_size: u8,
    /// The archive's format. The header's format byte is 1 for custom and 3 for both tar and directory
    /// archives (see [`ArchiveHeader::format_byte`]); readers set [`ArchiveFormat::Directory`] from where they
    /// found the `toc.dat`.
    pub format: ArchiveFormat,
    /// The compression of the data streams. Up to 1.14 the header holds a zlib level (0 none, -1 default,
    /// 1 to 9): `method` is then `None` for 0 and `Gzip` otherwise, and `level` is `Some(level as written)`.
    /// From 1.15 it holds the method byte only, and `level` is `None`.
    pub compression: Compression,
    /// The creation time fields.
    pub created: CreationTime,
    /// The dumped database's name (`PQdb()`); `None` when the archive holds a NULL string.
    pub dbname: Option<String>,
    /// The server version string ("Dumped from database version").
    pub server_version: Option<String>,
    /// The dumping program's version ("Dumped by pg_dump version").
    pub dumper_version: Option<String>,
}

impl ArchiveHeader {
    /// The format byte the header holds for `format`: 1 for custom, 3 for tar and directory (pg_dump writes
    /// the tar code into a directory archive's `toc.dat`), 0 for plain (never in a header).
    pub fn format_byte(format: ArchiveFormat) -> u8 {
        match format {
            ArchiveFormat::Custom => 1,
            ArchiveFormat::Tar | ArchiveFormat::Directory => 3,
            ArchiveFormat::Plain => 0,
        }
    }
}

/// The creation time of an archive as its header stores it: the fields of a C `struct tm` (seconds, minutes,
/// hours, day of month, month 0-11, years since 1900, DST flag), in the dumping machine's local time. pgferry
/// writes UTC with `isdst` 0.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct CreationTime {
    /// `tm_sec`, 0-60.
    pub sec: i64,
    /// `tm_min`, 0-59.
    pub min: i64,
    /// `tm_hour`, 0-23.
    pub hour: i64,
    /// `tm_mday`, 1-31.
    pub mday: i64,
    /// `tm_mon`, 0-11.
    pub mon: i64,
    /// `tm_year`: years since 1900.
    pub year: i64,
    /// `tm_isdst`: 1 in daylight saving time, 0 not, -1 unknown.
    pub isdst: i64,
}

impl CreationTime {
    /// The fields for a moment given as seconds since the Unix epoch, in UTC (`isdst` 0).
    pub fn from_unix_utc(secs: i64) -> CreationTime {
        let days = secs.div_euclid(86_400);
        let rest = secs.rem_euclid(86_400);
        let (year, month, day) = civil_from_days(i128::from(days));
        CreationTime {
            sec: rest % 60,
            min: (rest / 60) % 60,
            hour: rest / 3600,
            mday: day as i64,
            mon: month as i64 - 1,
            year: i64::try_from(year - 1900).unwrap_or(i64::MAX),
            isdst: 0,
        }
    }

    /// The fields read as UTC and normalised the way `timegm`/`mktime` do (a 60th second or a 13th month
    /// carries over), as seconds since the Unix epoch; `None` when that does not fit an `i64`.
    pub fn to_unix_utc(&self) -> Option<i64> {
        let (sec, min, hour, mday, mon, year) = (
            i128::from(self.sec),
            i128::from(self.min),
            i128::from(self.hour),
            i128::from(self.mday),
            i128::from(self.mon),
            i128::from(self.year),
        );
        let year = year + 1900 + mon.div_euclid(12);
        let month = mon.rem_euclid(12) + 1;
        if year.abs() > 1_000_000_000_000 {
            return None;
        }
        let days = days_from_civil(year, month, 1) + mday - 1;
        let secs = days * 86_400 + hour * 3600 + min * 60 + sec;
        i64::try_from(secs).ok()
    }

    /// The time as `pg_restore -l` prints it (`%Y-%m-%d %H:%M:%S %Z`) when run with `TZ=UTC`:
    /// `2026-11-23 23:20:36 UTC`. `[unknown]` when the fields are out of any sensible range.
    pub fn display_utc(&self) -> String {
        let Some(secs) = self.to_unix_utc() else {
            return "[unknown]".to_owned();
        };
        let days = secs.div_euclid(86_400);
        let rest = secs.rem_euclid(86_400);
        let (year, month, day) = civil_from_days(i128::from(days));
        format!(
            "{year:04}-{month:02}-{day:02} {:02}:{:02}:{:02} UTC",
            rest / 3600,
            (rest / 60) % 60,
            rest % 60
        )
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date (month 1-12).
fn days_from_civil(year: i128, month: i128, day: i128) -> i128 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The proleptic Gregorian date (year, month 1-12, day 1-31) of a count of days since 1970-01-01.
fn civil_from_days(days: i128) -> (i128, i128, i128) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i128::from(month <= 2);
    (year, month, day)
}

/// A whole table of contents, in restore order.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Toc {
    /// The header.
    pub header: TocHeader,
    /// The entries, in restore order (not dump id order).
    pub entries: Vec<TocEntry>,
}

impl Toc {
    /// The entry with this id.
    pub fn entry(&self, id: DumpId) -> Option<&TocEntry> {
        self.entries.iter().find(|e| e.dump_id == id)
    }

    /// The largest dump id in use.
    pub fn max_dump_id(&self) -> DumpId {
        self.entries
            .iter()
            .map(|e| e.dump_id)
            .max()
            .unwrap_or(DumpId(0))
    }
}

/// The `desc` strings pg_dump writes, as constants.
pub mod desc {
    #![allow(missing_docs)]
    pub const ENCODING: &str = "ENCODING";
    pub const STDSTRINGS: &str = "STDSTRINGS";
    pub const SEARCHPATH: &str = "SEARCHPATH";
    pub const DATABASE: &str = "DATABASE";
    pub const DATABASE_PROPERTIES: &str = "DATABASE PROPERTIES";
    pub const SCHEMA: &str = "SCHEMA";
    pub const EXTENSION: &str = "EXTENSION";
    pub const TYPE: &str = "TYPE";
    pub const SHELL_TYPE: &str = "SHELL TYPE";
    pub const DOMAIN: &str = "DOMAIN";
    pub const PROCEDURAL_LANGUAGE: &str = "PROCEDURAL LANGUAGE";
    pub const CAST: &str = "CAST";
    pub const TRANSFORM: &str = "TRANSFORM";
    pub const ACCESS_METHOD: &str = "ACCESS METHOD";
    pub const COLLATION: &str = "COLLATION";
    pub const CONVERSION: &str = "CONVERSION";
    pub const OPERATOR: &str = "OPERATOR";
    pub const OPERATOR_CLASS: &str = "OPERATOR CLASS";
    pub const OPERATOR_FAMILY: &str = "OPERATOR FAMILY";
    pub const AGGREGATE: &str = "AGGREGATE";
    pub const FUNCTION: &str = "FUNCTION";
    pub const PROCEDURE: &str = "PROCEDURE";
    pub const TEXT_SEARCH_PARSER: &str = "TEXT SEARCH PARSER";
    pub const TEXT_SEARCH_TEMPLATE: &str = "TEXT SEARCH TEMPLATE";
    pub const TEXT_SEARCH_DICTIONARY: &str = "TEXT SEARCH DICTIONARY";
    pub const TEXT_SEARCH_CONFIGURATION: &str = "TEXT SEARCH CONFIGURATION";
    pub const FOREIGN_DATA_WRAPPER: &str = "FOREIGN DATA WRAPPER";
    pub const SERVER: &str = "SERVER";
    pub const USER_MAPPING: &str = "USER MAPPING";
    pub const TABLE: &str = "TABLE";
    pub const VIEW: &str = "VIEW";
    pub const MATERIALIZED_VIEW: &str = "MATERIALIZED VIEW";
    pub const FOREIGN_TABLE: &str = "FOREIGN TABLE";
    pub const SEQUENCE: &str = "SEQUENCE";
    pub const SEQUENCE_OWNED_BY: &str = "SEQUENCE OWNED BY";
    pub const DEFAULT: &str = "DEFAULT";
    pub const TABLE_ATTACH: &str = "TABLE ATTACH";
    pub const TABLE_DATA: &str = "TABLE DATA";
    pub const SEQUENCE_SET: &str = "SEQUENCE SET";
    pub const BLOB: &str = "BLOB";
    pub const BLOBS: &str = "BLOBS";
    pub const BLOB_METADATA: &str = "BLOB METADATA";
    pub const STATISTICS_DATA: &str = "STATISTICS DATA";
    pub const CONSTRAINT: &str = "CONSTRAINT";
    pub const CHECK_CONSTRAINT: &str = "CHECK CONSTRAINT";
    pub const FK_CONSTRAINT: &str = "FK CONSTRAINT";
    pub const INDEX: &str = "INDEX";
    pub const INDEX_ATTACH: &str = "INDEX ATTACH";
    pub const RULE: &str = "RULE";
    pub const TRIGGER: &str = "TRIGGER";
    pub const EVENT_TRIGGER: &str = "EVENT TRIGGER";
    pub const POLICY: &str = "POLICY";
    pub const ROW_SECURITY: &str = "ROW SECURITY";
    pub const PUBLICATION: &str = "PUBLICATION";
    pub const PUBLICATION_TABLE: &str = "PUBLICATION TABLE";
    pub const PUBLICATION_TABLES_IN_SCHEMA: &str = "PUBLICATION TABLES IN SCHEMA";
    pub const SUBSCRIPTION: &str = "SUBSCRIPTION";
    pub const SUBSCRIPTION_TABLE: &str = "SUBSCRIPTION TABLE";
    pub const DEFAULT_ACL: &str = "DEFAULT ACL";
    pub const STATISTICS: &str = "STATISTICS";
    pub const MATERIALIZED_VIEW_DATA: &str = "MATERIALIZED VIEW DATA";
    pub const COMMENT: &str = "COMMENT";
    pub const ACL: &str = "ACL";
    pub const SECURITY_LABEL: &str = "SECURITY LABEL";
}
