//! Sans-IO encoders for what the custom file and `toc.dat` hold: integers, strings, offsets, the header and the
//! TOC, as pg_dump writes them (`WriteInt`, `WriteStr`, `WriteOffset`, `WriteHead`, `WriteToc`).
//!
//! Integers are sign-magnitude: a sign byte, then the magnitude in 4 little-endian bytes (intSize 4). Strings are
//! an integer length and the bytes, with length -1 for NULL. Offsets are a flag byte and 8 little-endian bytes.

use std::time::{SystemTime, UNIX_EPOCH};

use super::WriteError;
use crate::format::{ArchiveFormat, ArchiveVersion, Compression, CompressionMethod, MAGIC};
use crate::toc::{ArchiveHeader, CreationTime, TocEntry, TocHeader};

/// The integer size written in the header (`sizeof(int)`).
pub const INT_SIZE: u8 = 4;
/// The offset size written in the header (`sizeof(pgoff_t)`).
pub const OFF_SIZE: u8 = 8;
/// Bytes an encoded integer takes.
pub const INT_LEN: usize = 1 + INT_SIZE as usize;
/// Bytes an encoded offset takes.
pub const OFFSET_LEN: usize = 1 + OFF_SIZE as usize;

/// The format byte of custom files.
pub const FORMAT_CUSTOM: u8 = 1;
/// The format byte of tar archives, and of directory archives' `toc.dat`.
pub const FORMAT_TAR: u8 = 3;

/// An integer: sign byte (1 when negative), then the magnitude in 4 little-endian bytes.
pub fn put_int(buf: &mut Vec<u8>, value: i32) {
    buf.push(u8::from(value < 0));
    buf.extend_from_slice(&value.unsigned_abs().to_le_bytes());
}

/// A string: its length as an integer and its bytes; `None` (NULL) is length -1 and no bytes.
///
/// # Panics
///
/// When the string is 2 GiB or longer, which no TOC field comes near.
pub fn put_str(buf: &mut Vec<u8>, value: Option<&str>) {
    match value {
        None => put_int(buf, -1),
        Some(s) => {
            let len = i32::try_from(s.len()).expect("a TOC string shorter than 2 GiB");
            put_int(buf, len);
            buf.extend_from_slice(s.as_bytes());
        }
    }
}

/// The data offset of a custom-format TOC entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DataOffset {
    /// Flag 1: the entry has data, but its position is not known (non-seekable output); pg_restore scans.
    NotSet,
    /// Flag 2: the data block starts at this byte of the file.
    At(u64),
    /// Flag 3: the entry has no data.
    NoData,
}

/// An offset: flag byte (1 not set, 2 set, 3 no data), then 8 little-endian bytes of position.
pub fn put_offset(buf: &mut Vec<u8>, offset: DataOffset) {
    let (flag, pos) = match offset {
        DataOffset::NotSet => (1u8, 0u64),
        DataOffset::At(pos) => (2, pos),
        DataOffset::NoData => (3, 0),
    };
    buf.push(flag);
    buf.extend_from_slice(&pos.to_le_bytes());
}

/// A header for a new archive of `toc`: pgferry's integer and offset sizes, the TOC header's strings.
pub fn archive_header(
    header: &TocHeader,
    version: ArchiveVersion,
    format: ArchiveFormat,
    compression: Compression,
    created: CreationTime,
) -> ArchiveHeader {
    ArchiveHeader {
        version,
        int_size: INT_SIZE,
        off_size: OFF_SIZE,
        format,
        compression,
        created,
        dbname: Some(header.dbname.clone()),
        server_version: Some(header.server_version.clone()),
        dumper_version: Some(header.dumper_version.clone()),
    }
}

/// The creation time of an archive made now, in UTC.
pub fn created_now() -> CreationTime {
    created_at(SystemTime::now())
}

/// The creation time `time`, in UTC (times before 1970 are taken as 1970-01-01).
pub fn created_at(time: SystemTime) -> CreationTime {
    let secs = time
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    CreationTime::from_unix_utc(i64::try_from(secs).unwrap_or(i64::MAX))
}

/// The header (`WriteHead`): magic, version, sizes, format, compression (a level integer up to 1.14, an
/// algorithm byte from 1.15), creation time and the three strings.
///
/// Only what pgferry writes is accepted: versions 1.14 to 1.16, integer size 4 and offset size 8. Up to 1.14 the
/// compression is recorded as a zlib level: 0 for none, the gzip level, or -1 (`Z_DEFAULT_COMPRESSION`) when no
/// level was given.
pub fn encode_header(buf: &mut Vec<u8>, header: &ArchiveHeader) -> Result<(), WriteError> {
    let version = header.version;
    if !(ArchiveVersion::V1_14..=ArchiveVersion::V1_16).contains(&version) || version.major != 1 {
        return Err(WriteError::UnsupportedVersion(version));
    }
    if header.int_size != INT_SIZE || header.off_size != OFF_SIZE {
        return Err(WriteError::InvalidToc(format!(
            "integer size {} and offset size {}: pgferry writes {INT_SIZE} and {OFF_SIZE}",
            header.int_size, header.off_size
        )));
    }
    let format = match header.format {
        ArchiveFormat::Custom => FORMAT_CUSTOM,
        ArchiveFormat::Directory | ArchiveFormat::Tar => FORMAT_TAR,
        ArchiveFormat::Plain => {
            return Err(WriteError::UnsupportedByFormat {
                format: ArchiveFormat::Plain,
                reason: "a plain script has no archive header".into(),
            })
        }
    };
    buf.extend_from_slice(MAGIC);
    buf.extend_from_slice(&[version.major, version.minor, version.rev]);
    buf.extend_from_slice(&[INT_SIZE, OFF_SIZE, format]);
    let compression = header.compression;
    if version >= ArchiveVersion::V1_15 {
        buf.push(compression.method.code());
    } else {
        let level = match compression.method {
            CompressionMethod::None => 0,
            CompressionMethod::Gzip => compression.level.unwrap_or(-1),
            CompressionMethod::Lz4 | CompressionMethod::Zstd => {
                return Err(WriteError::CompressionNeedsNewerVersion {
                    method: compression.method.name(),
                    version,
                })
            }
        };
        put_int(buf, level);
    }
    let t = header.created;
    for field in [t.sec, t.min, t.hour, t.mday, t.mon, t.year, t.isdst] {
        let field = i32::try_from(field).map_err(|_| {
            WriteError::InvalidToc(format!("creation time field {field} out of range"))
        })?;
        put_int(buf, field);
    }
    put_str(buf, header.dbname.as_deref());
    put_str(buf, header.server_version.as_deref());
    put_str(buf, header.dumper_version.as_deref());
    Ok(())
}

/// The format-specific field that ends each TOC entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TocExtra<'a> {
    /// Custom format: the data offset.
    Offset(DataOffset),
    /// Directory and tar: the data file's name, `""` when the entry has none.
    File(&'a str),
}

/// One TOC entry (`WriteToc`'s loop body) as `version` lays it out: `tableam` from 1.14, `relkind` from 1.16.
pub fn encode_toc_entry(
    buf: &mut Vec<u8>,
    entry: &TocEntry,
    version: ArchiveVersion,
    extra: TocExtra<'_>,
) {
    put_int(buf, dump_id_int(entry));
    put_int(buf, i32::from(entry.had_dumper));
    put_str(buf, Some(&entry.table_oid.to_string()));
    put_str(buf, Some(&entry.oid.to_string()));
    put_str(buf, Some(&entry.tag));
    put_str(buf, Some(&entry.desc));
    put_int(buf, entry.section.code());
    put_str(buf, entry.defn.as_deref());
    put_str(buf, entry.drop_stmt.as_deref());
    put_str(buf, entry.copy_stmt.as_deref());
    put_str(buf, entry.namespace.as_deref());
    put_str(buf, entry.tablespace.as_deref());
    if version >= ArchiveVersion::V1_14 {
        put_str(buf, entry.tableam.as_deref());
    }
    if version >= ArchiveVersion::V1_16 {
        put_int(buf, i32::from(entry.relkind));
    }
    put_str(buf, entry.owner.as_deref());
    put_str(buf, Some("false"));
    for dep in &entry.dependencies {
        put_str(buf, Some(&dep.0.to_string()));
    }
    put_str(buf, None);
    match extra {
        TocExtra::Offset(offset) => put_offset(buf, offset),
        TocExtra::File(name) => put_str(buf, Some(name)),
    }
}

/// The entry count, as the TOC starts with it.
pub fn encode_toc_count(buf: &mut Vec<u8>, count: usize) -> Result<(), WriteError> {
    let count = i32::try_from(count)
        .map_err(|_| WriteError::InvalidToc(format!("{count} entries are too many")))?;
    put_int(buf, count);
    Ok(())
}

/// A dump id as the signed integer the archive stores (validated to fit before anything is encoded).
fn dump_id_int(entry: &TocEntry) -> i32 {
    i32::try_from(entry.dump_id.0).unwrap_or(i32::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::toc::{DumpId, Section};
    use std::time::Duration;

    fn int(value: i32) -> Vec<u8> {
        let mut buf = Vec::new();
        put_int(&mut buf, value);
        buf
    }

    #[test]
    fn integers_are_sign_magnitude() {
        assert_eq!(int(5), [0, 5, 0, 0, 0]);
        assert_eq!(int(-1), [1, 1, 0, 0, 0]);
        assert_eq!(int(3365), [0, 0x25, 0x0d, 0, 0]);
        // A large-object OID above 2^31 goes through the signed path, as pg_dump writes it.
        assert_eq!(int(3_000_000_000u32 as i32), [1, 0x00, 0xa2, 0x2f, 0x4d]);
        assert_eq!(int(i32::MIN), [1, 0, 0, 0, 0x80]);
    }

    #[test]
    fn strings_and_offsets() {
        let mut buf = Vec::new();
        put_str(&mut buf, None);
        put_str(&mut buf, Some(""));
        put_str(&mut buf, Some("demo"));
        assert_eq!(
            buf,
            [1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 4, 0, 0, 0, b'd', b'e', b'm', b'o']
        );
        let mut buf = Vec::new();
        put_offset(&mut buf, DataOffset::At(0x1618));
        put_offset(&mut buf, DataOffset::NotSet);
        put_offset(&mut buf, DataOffset::NoData);
        assert_eq!(
            buf,
            [
                2, 0x18, 0x16, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 3, 0, 0, 0, 0, 0, 0, 0,
                0
            ]
        );
    }

    #[test]
    fn creation_times_are_utc() {
        // 2026-11-23 23:20:36 UTC, the creation time of the fixture dumps.
        let t = created_at(UNIX_EPOCH + Duration::from_secs(1_795_476_036));
        assert_eq!(
            (t.year, t.mon, t.mday, t.hour, t.min, t.sec, t.isdst),
            (126, 10, 23, 23, 20, 36, 0)
        );
        let t = created_at(UNIX_EPOCH + Duration::from_secs(951_782_400)); // 2000-02-29
        assert_eq!((t.year, t.mon, t.mday), (100, 1, 29));
        let t = created_at(UNIX_EPOCH - Duration::from_secs(5));
        assert_eq!((t.year, t.mon, t.mday, t.hour), (70, 0, 1, 0));
    }

    fn fixture_header(version: ArchiveVersion, compression: Compression) -> ArchiveHeader {
        let toc = TocHeader {
            dbname: "demo".into(),
            server_version: "15.18 (Debian 15.18-0+deb12u1)".into(),
            dumper_version: "15.18 (Debian 15.18-0+deb12u1)".into(),
            ..Default::default()
        };
        archive_header(
            &toc,
            version,
            ArchiveFormat::Custom,
            compression,
            created_at(UNIX_EPOCH + Duration::from_secs(1_795_476_036)),
        )
    }

    /// The first 277 bytes of `v15_c_z0.dump` (pg_dump 15.18 `-Fc -Z0`): header, TOC count and the ENCODING entry.
    const V15_C_Z0_START: &str = "\
        5047444d50010e0004080100000000000024000000001400000000170000000017000000000a000000007e0000000000\
        000000000400000064656d6f001e00000031352e3138202844656269616e2031352e31382d302b646562313275312900\
        1e00000031352e3138202844656269616e2031352e31382d302b6465623132753129001800000000250d000000000000\
        000001000000300001000000300008000000454e434f44494e470008000000454e434f44494e470002000000001e0000\
        0053455420636c69656e745f656e636f64696e67203d202755544638273b0a0101000000010100000001010000000101\
        00000001010000000101000000000500000066616c73650101000000030000000000000000";

    fn unhex(text: &str) -> Vec<u8> {
        let text: String = text.split_whitespace().collect();
        (0..text.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&text[i..i + 2], 16).unwrap())
            .collect()
    }

    #[test]
    fn header_sizes_per_version() {
        let mut v14 = Vec::new();
        encode_header(
            &mut v14,
            &fixture_header(ArchiveVersion::V1_14, Compression::NONE),
        )
        .unwrap();
        let mut v15 = Vec::new();
        encode_header(
            &mut v15,
            &fixture_header(ArchiveVersion::V1_15, Compression::NONE),
        )
        .unwrap();
        let strings = 3 * INT_LEN + 4 + 2 * 30;
        assert_eq!(v14.len(), 51 + strings);
        assert_eq!(v15.len(), 47 + strings);
        assert_eq!(&v15[5..11], [1, 15, 0, 4, 8, 1]);
        assert_eq!(v15[11], 0);
        let gzip = Compression {
            method: CompressionMethod::Gzip,
            level: None,
        };
        let mut v14 = Vec::new();
        encode_header(&mut v14, &fixture_header(ArchiveVersion::V1_14, gzip)).unwrap();
        assert_eq!(&v14[11..16], [1, 1, 0, 0, 0]);
        let zstd = Compression {
            method: CompressionMethod::Zstd,
            level: None,
        };
        let mut v16 = Vec::new();
        encode_header(&mut v16, &fixture_header(ArchiveVersion::V1_16, zstd)).unwrap();
        assert_eq!(&v16[5..12], [1, 16, 0, 4, 8, 1, 3]);
        assert!(matches!(
            encode_header(
                &mut Vec::new(),
                &fixture_header(ArchiveVersion::V1_14, zstd)
            ),
            Err(WriteError::CompressionNeedsNewerVersion { .. })
        ));
        assert!(matches!(
            encode_header(
                &mut Vec::new(),
                &fixture_header(ArchiveVersion::V1_13, Compression::NONE)
            ),
            Err(WriteError::UnsupportedVersion(_))
        ));
    }

    #[test]
    fn header_and_first_entry_match_pg_dump_15_bytes() {
        let expected = unhex(V15_C_Z0_START);
        let mut buf = Vec::new();
        encode_header(
            &mut buf,
            &fixture_header(ArchiveVersion::V1_14, Compression::NONE),
        )
        .unwrap();
        encode_toc_count(&mut buf, 24).unwrap();
        assert_eq!(buf[..], expected[..buf.len()]);
        assert_eq!(buf.len(), 0x87);

        let mut entry = TocEntry::new(DumpId(3365), "ENCODING", "ENCODING", Section::PreData);
        entry.defn = Some("SET client_encoding = 'UTF8';\n".into());
        let mut buf = Vec::new();
        encode_toc_entry(
            &mut buf,
            &entry,
            ArchiveVersion::V1_14,
            TocExtra::Offset(DataOffset::NoData),
        );
        assert_eq!(buf.len(), 142);
        let mut v16 = Vec::new();
        encode_toc_entry(
            &mut v16,
            &entry,
            ArchiveVersion::V1_16,
            TocExtra::Offset(DataOffset::NoData),
        );
        assert_eq!(v16.len(), 147);
        assert_eq!(buf[..], expected[0x87..]);
    }
}
