//! What every archive format shares: the kinds of archive, their versions, compression, and how to tell
//! them apart from their first bytes. The byte-level reference is `shared/design/archive-format.md`.

use std::fmt;

/// The archive formats pg_dump writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ArchiveFormat {
    /// `-Fc`: one file, TOC then data blocks.
    Custom,
    /// `-Fd`: a directory with `toc.dat` and one file per data entry.
    Directory,
    /// `-Ft`: a tar file with `toc.dat`, data members and `restore.sql`.
    Tar,
    /// `-Fp`: a plain SQL script.
    Plain,
}

impl ArchiveFormat {
    /// The name pg_restore -l prints (`CUSTOM`, `DIRECTORY`, `TAR`).
    pub fn list_name(self) -> &'static str {
        match self {
            ArchiveFormat::Custom => "CUSTOM",
            ArchiveFormat::Directory => "DIRECTORY",
            ArchiveFormat::Tar => "TAR",
            ArchiveFormat::Plain => "PLAIN",
        }
    }
}

/// An archive version, `1.minor.rev` (pg_dump writes 1.14 to 1.16).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ArchiveVersion {
    /// Always 1.
    pub major: u8,
    /// 12 to 16.
    pub minor: u8,
    /// 0.
    pub rev: u8,
}

impl ArchiveVersion {
    /// 1.12: one BLOB entry per large object.
    pub const V1_12: ArchiveVersion = ArchiveVersion {
        major: 1,
        minor: 12,
        rev: 0,
    };
    /// 1.13: the SEARCHPATH entry.
    pub const V1_13: ArchiveVersion = ArchiveVersion {
        major: 1,
        minor: 13,
        rev: 0,
    };
    /// 1.14: the `tableam` TOC field (pg_dump 12 to 15). pgferry's default: every pg_restore from 12 reads it.
    pub const V1_14: ArchiveVersion = ArchiveVersion {
        major: 1,
        minor: 14,
        rev: 0,
    };
    /// 1.15: the compression algorithm byte (pg_dump 16).
    pub const V1_15: ArchiveVersion = ArchiveVersion {
        major: 1,
        minor: 15,
        rev: 0,
    };
    /// 1.16: BLOB METADATA groups and the `relkind` TOC field (pg_dump 17, 18).
    pub const V1_16: ArchiveVersion = ArchiveVersion {
        major: 1,
        minor: 16,
        rev: 0,
    };
    /// The oldest version pgferry reads.
    pub const OLDEST_READ: ArchiveVersion = Self::V1_12;
    /// The newest version pgferry reads and writes.
    pub const NEWEST: ArchiveVersion = Self::V1_16;
}

impl fmt::Display for ArchiveVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}-{}", self.major, self.minor, self.rev)
    }
}

/// A compression method, as pg_dump 16+ names them (`-Z method[:level]`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CompressionMethod {
    /// No compression.
    None,
    /// zlib streams (custom format) or gzip files (directory format).
    Gzip,
    /// LZ4 frames (1.15+).
    Lz4,
    /// Zstandard frames (1.15+).
    Zstd,
}

impl CompressionMethod {
    /// The header byte of 1.15+ archives.
    pub fn code(self) -> u8 {
        match self {
            CompressionMethod::None => 0,
            CompressionMethod::Gzip => 1,
            CompressionMethod::Lz4 => 2,
            CompressionMethod::Zstd => 3,
        }
    }

    /// The method for a 1.15+ header byte.
    pub fn from_code(code: u8) -> Option<CompressionMethod> {
        match code {
            0 => Some(CompressionMethod::None),
            1 => Some(CompressionMethod::Gzip),
            2 => Some(CompressionMethod::Lz4),
            3 => Some(CompressionMethod::Zstd),
            _ => None,
        }
    }

    /// The name pg_restore -l prints on 16+ (`none`, `gzip`, `lz4`, `zstd`).
    pub fn name(self) -> &'static str {
        match self {
            CompressionMethod::None => "none",
            CompressionMethod::Gzip => "gzip",
            CompressionMethod::Lz4 => "lz4",
            CompressionMethod::Zstd => "zstd",
        }
    }

    /// The file suffix of compressed data files in the directory format.
    pub fn file_suffix(self) -> &'static str {
        match self {
            CompressionMethod::None => "",
            CompressionMethod::Gzip => ".gz",
            CompressionMethod::Lz4 => ".lz4",
            CompressionMethod::Zstd => ".zst",
        }
    }
}

/// A compression method with its level (`None` for the method's default).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Compression {
    /// The method.
    pub method: CompressionMethod,
    /// The level, when one was asked for.
    pub level: Option<i32>,
}

impl Compression {
    /// No compression.
    pub const NONE: Compression = Compression {
        method: CompressionMethod::None,
        level: None,
    };
}

/// The five bytes every custom archive and `toc.dat` starts with.
pub const MAGIC: &[u8; 5] = b"PGDMP";

/// The format an archive's first bytes announce: `PGDMP` (custom, or a directory's `toc.dat`), a tar header
/// (`ustar` at offset 257), or anything else (a plain SQL script). `None` when too few bytes were given to
/// tell (512 are always enough).
pub fn detect_format(first_bytes: &[u8]) -> Option<ArchiveFormat> {
    if first_bytes.len() >= MAGIC.len() && &first_bytes[..MAGIC.len()] == MAGIC {
        return Some(ArchiveFormat::Custom);
    }
    if first_bytes.len() >= 262 && &first_bytes[257..262] == b"ustar" {
        return Some(ArchiveFormat::Tar);
    }
    if first_bytes.len() < 512
        && MAGIC.starts_with(&first_bytes[..first_bytes.len().min(MAGIC.len())])
    {
        return None;
    }
    Some(ArchiveFormat::Plain)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_are_told_apart_by_their_first_bytes() {
        assert_eq!(
            detect_format(b"PGDMP\x01\x10\x00"),
            Some(ArchiveFormat::Custom)
        );
        let mut tar = vec![0u8; 512];
        tar[257..262].copy_from_slice(b"ustar");
        assert_eq!(detect_format(&tar), Some(ArchiveFormat::Tar));
        assert_eq!(
            detect_format(b"--\n-- PostgreSQL database dump\n"),
            Some(ArchiveFormat::Plain)
        );
        assert_eq!(detect_format(b"PG"), None);
        assert_eq!(
            CompressionMethod::from_code(3),
            Some(CompressionMethod::Zstd)
        );
        assert_eq!(ArchiveVersion::V1_14.to_string(), "1.14-0");
    }
}
