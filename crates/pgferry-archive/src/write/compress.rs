//! Compression: reading a `-Z` specification, checking it against the format and the archive version, and the
//! compressed streams themselves.
//!
//! pg_dump's rules, followed here:
//! * `-Z N` with a bare integer: 0 is no compression, 1-9 gzip at that level.
//! * `-Z METHOD[:LEVEL]` or `-Z METHOD:level=LEVEL`: `none`, `gzip` (levels 1-9; zlib's default, 6, when none is
//!   given, recorded as -1 in 1.14 headers), `lz4` (levels 0-12) or `zstd` (zstd's levels, default 3).
//! * custom and directory archives default to gzip, tar to none (tar cannot compress).
//! * lz4 and zstd need archive version 1.15 or later (the 1.14 header records only a zlib level).

use std::io::Write;

use flate2::write::{GzEncoder, ZlibEncoder};
use lz4_flex::frame::{BlockMode, BlockSize, FrameEncoder, FrameInfo};

use super::WriteError;
use crate::format::{ArchiveFormat, ArchiveVersion, Compression, CompressionMethod};

/// The compression custom and directory archives get when none is asked for: gzip at zlib's default level, as
/// pg_dump; tar and plain get none.
pub fn default_compression(format: ArchiveFormat) -> Compression {
    match format {
        ArchiveFormat::Custom | ArchiveFormat::Directory => Compression {
            method: CompressionMethod::Gzip,
            level: None,
        },
        ArchiveFormat::Tar | ArchiveFormat::Plain => Compression::NONE,
    }
}

/// Reads a `-Z`/`--compress` value as pg_dump 16+ spells it: `0`-`9`, `none`, `gzip`, `gzip:5`, `lz4:level=3`,
/// `zstd:19`. The level is checked with [`validate_compression`]. zstd's `workers` and `long` options are not
/// supported.
pub fn parse_compression(spec: &str) -> Result<Compression, WriteError> {
    let invalid = |reason: String| WriteError::InvalidCompression {
        spec: spec.to_owned(),
        reason,
    };
    let text = spec.trim();
    if !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit()) {
        let level: i32 = text
            .parse()
            .map_err(|_| invalid("the level is too large".into()))?;
        let compression = match level {
            0 => Compression::NONE,
            _ => Compression {
                method: CompressionMethod::Gzip,
                level: Some(level),
            },
        };
        validate_compression(compression).map_err(|e| invalid(reason_of(e)))?;
        return Ok(compression);
    }
    let (name, detail) = match text.split_once(':') {
        Some((name, detail)) => (name, Some(detail)),
        None => (text, None),
    };
    let method = match name {
        "none" => CompressionMethod::None,
        "gzip" => CompressionMethod::Gzip,
        "lz4" => CompressionMethod::Lz4,
        "zstd" => CompressionMethod::Zstd,
        _ => {
            return Err(invalid(format!(
                "unknown compression method \"{name}\" (none, gzip, lz4 or zstd)"
            )))
        }
    };
    let mut level = None;
    if let Some(detail) = detail {
        let parse = |value: &str| {
            value
                .trim()
                .parse::<i32>()
                .map_err(|_| invalid(format!("the level \"{value}\" is not an integer")))
        };
        if detail
            .trim()
            .starts_with(|c: char| c == '-' || c.is_ascii_digit())
        {
            level = Some(parse(detail)?);
        } else {
            for option in detail.split(',') {
                let (key, value) = match option.split_once('=') {
                    Some((key, value)) => (key.trim(), Some(value)),
                    None => (option.trim(), None),
                };
                match (key, value) {
                    ("level", Some(value)) => level = Some(parse(value)?),
                    ("level", None) => return Err(invalid("level requires a value".into())),
                    ("", _) => return Err(invalid("an option is empty".into())),
                    (other, _) => {
                        return Err(invalid(format!(
                            "the compression option \"{other}\" is not supported (only level is)"
                        )))
                    }
                }
            }
        }
    }
    let compression = Compression { method, level };
    validate_compression(compression).map_err(|e| invalid(reason_of(e)))?;
    Ok(compression)
}

fn reason_of(error: WriteError) -> String {
    match error {
        WriteError::InvalidCompression { reason, .. } => reason,
        other => other.to_string(),
    }
}

/// Checks a method's level: gzip 1-9 (or -1, zlib's default, as a 1.14 header records it), lz4 0-12, zstd
/// within zstd's own range; none takes no level (or 0).
pub fn validate_compression(compression: Compression) -> Result<(), WriteError> {
    let Some(level) = compression.level else {
        return Ok(());
    };
    let range = match compression.method {
        CompressionMethod::None if level == 0 => return Ok(()),
        CompressionMethod::Gzip if level == -1 => return Ok(()),
        CompressionMethod::None => {
            return Err(WriteError::InvalidCompression {
                spec: format!("none:{level}"),
                reason: "compression method \"none\" does not accept a level".into(),
            })
        }
        CompressionMethod::Gzip => 1..=9,
        // lz4_flex compresses at one speed: a level would be accepted and then ignored, so it is refused.
        CompressionMethod::Lz4 => {
            return Err(WriteError::InvalidCompression {
                spec: format!("lz4:{level}"),
                reason: "pgferry's LZ4 compressor has a single level; use -Z lz4 without a level"
                    .into(),
            })
        }
        CompressionMethod::Zstd => zstd::compression_level_range(),
    };
    if range.contains(&level) {
        Ok(())
    } else {
        Err(WriteError::InvalidCompression {
            spec: format!("{}:{level}", compression.method.name()),
            reason: format!(
                "{} expects a level between {} and {}",
                compression.method.name(),
                range.start(),
                range.end()
            ),
        })
    }
}

/// The archive version to write `format` with `compression`, given the version asked for (if any).
///
/// * Nothing asked: 1.14 (every pg_restore from 12 reads it), or 1.15 when the method needs it (lz4, zstd).
/// * A version asked for must be 1.14, 1.15 or 1.16, and able to record the method: 1.14 with lz4 or zstd fails
///   with [`WriteError::CompressionNeedsNewerVersion`].
/// * Tar cannot compress; a plain script has no archive version.
pub fn choose_version(
    format: ArchiveFormat,
    compression: Compression,
    requested: Option<ArchiveVersion>,
) -> Result<ArchiveVersion, WriteError> {
    validate_compression(compression)?;
    match format {
        ArchiveFormat::Plain => {
            return Err(WriteError::UnsupportedByFormat {
                format,
                reason: "a plain script has no archive version".into(),
            })
        }
        ArchiveFormat::Tar if compression.method != CompressionMethod::None => {
            return Err(WriteError::UnsupportedByFormat {
                format,
                reason: format!(
                    "tar archives cannot be compressed ({} was asked for)",
                    compression.method.name()
                ),
            })
        }
        _ => {}
    }
    let needed = match compression.method {
        CompressionMethod::None | CompressionMethod::Gzip => ArchiveVersion::V1_14,
        CompressionMethod::Lz4 | CompressionMethod::Zstd => ArchiveVersion::V1_15,
    };
    match requested {
        None => Ok(needed),
        Some(v) if !(ArchiveVersion::V1_14..=ArchiveVersion::V1_16).contains(&v) || v.rev != 0 => {
            Err(WriteError::UnsupportedVersion(v))
        }
        Some(v) if v < needed => Err(WriteError::CompressionNeedsNewerVersion {
            method: compression.method.name(),
            version: v,
        }),
        Some(v) => Ok(v),
    }
}

/// Which container a compressed stream goes in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StreamKind {
    /// Inside a custom file's data block: gzip is a zlib stream (RFC 1950).
    Block,
    /// A directory archive's data file: gzip is a gzip file (RFC 1952).
    File,
}

enum Inner {
    Plain(Vec<u8>),
    Zlib(ZlibEncoder<Vec<u8>>),
    Gzip(GzEncoder<Vec<u8>>),
    Lz4(Box<FrameEncoder<Vec<u8>>>),
    Zstd(zstd::stream::write::Encoder<'static, Vec<u8>>),
}

/// One compressed stream (a table's data or one large object), sans-IO: bytes in, compressed bytes collected in
/// an output buffer the caller drains with [`take_output`](StreamEncoder::take_output).
///
/// gzip is zlib's deflate at the given level (6 by default); lz4 is one LZ4 frame (64 KiB linked blocks, as
/// liblz4's defaults; `lz4_flex` has a single speed, so lz4 levels are accepted but do not change the output);
/// zstd is one zstd frame.
pub struct StreamEncoder {
    method: CompressionMethod,
    inner: Inner,
    raw_bytes: u64,
}

impl std::fmt::Debug for StreamEncoder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StreamEncoder")
            .field("method", &self.method)
            .field("raw_bytes", &self.raw_bytes)
            .finish_non_exhaustive()
    }
}

impl StreamEncoder {
    /// A stream compressed as `compression` says, for `kind`.
    pub fn new(compression: Compression, kind: StreamKind) -> Result<StreamEncoder, WriteError> {
        validate_compression(compression)?;
        let method = compression.method;
        let inner = match method {
            CompressionMethod::None => Inner::Plain(Vec::new()),
            CompressionMethod::Gzip => {
                let level = match compression.level {
                    Some(level) if level >= 0 => flate2::Compression::new(level as u32),
                    _ => flate2::Compression::default(),
                };
                match kind {
                    StreamKind::Block => Inner::Zlib(ZlibEncoder::new(Vec::new(), level)),
                    StreamKind::File => Inner::Gzip(
                        flate2::GzBuilder::new()
                            .operating_system(3)
                            .write(Vec::new(), level),
                    ),
                }
            }
            CompressionMethod::Lz4 => {
                let info = FrameInfo::new()
                    .block_size(BlockSize::Max64KB)
                    .block_mode(BlockMode::Linked);
                Inner::Lz4(Box::new(FrameEncoder::with_frame_info(info, Vec::new())))
            }
            CompressionMethod::Zstd => {
                let encoder =
                    zstd::stream::write::Encoder::new(Vec::new(), compression.level.unwrap_or(3))
                        .map_err(|source| WriteError::Compressor { method, source })?;
                Inner::Zstd(encoder)
            }
        };
        Ok(StreamEncoder {
            method,
            inner,
            raw_bytes: 0,
        })
    }

    /// The method.
    pub fn method(&self) -> CompressionMethod {
        self.method
    }

    /// Bytes written so far (before compression).
    pub fn raw_bytes(&self) -> u64 {
        self.raw_bytes
    }

    /// Compress `data`; some or all of the result may stay inside the compressor until later.
    pub fn write(&mut self, data: &[u8]) -> Result<(), WriteError> {
        if data.is_empty() {
            return Ok(());
        }
        self.raw_bytes += data.len() as u64;
        let result = match &mut self.inner {
            Inner::Plain(out) => {
                out.extend_from_slice(data);
                Ok(())
            }
            Inner::Zlib(e) => e.write_all(data),
            Inner::Gzip(e) => e.write_all(data),
            Inner::Lz4(e) => e.write_all(data),
            Inner::Zstd(e) => e.write_all(data),
        };
        result.map_err(|source| WriteError::Compressor {
            method: self.method,
            source,
        })
    }

    /// The compressed bytes produced so far and not yet taken.
    pub fn output(&mut self) -> &mut Vec<u8> {
        match &mut self.inner {
            Inner::Plain(out) => out,
            Inner::Zlib(e) => e.get_mut(),
            Inner::Gzip(e) => e.get_mut(),
            Inner::Lz4(e) => e.get_mut(),
            Inner::Zstd(e) => e.get_mut(),
        }
    }

    /// Take the compressed bytes produced so far.
    pub fn take_output(&mut self) -> Vec<u8> {
        std::mem::take(self.output())
    }

    /// End the stream and return the rest of the compressed bytes.
    pub fn finish(self) -> Result<Vec<u8>, WriteError> {
        let method = self.method;
        let error = |source| WriteError::Compressor { method, source };
        match self.inner {
            Inner::Plain(out) => Ok(out),
            Inner::Zlib(e) => e.finish().map_err(error),
            Inner::Gzip(e) => e.finish().map_err(error),
            Inner::Lz4(e) => e.finish().map_err(|e| error(std::io::Error::other(e))),
            Inner::Zstd(e) => e.finish().map_err(error),
        }
    }
}

/// A writer that compresses what it is given into `inner` as one stream (a gzip file, an LZ4 frame, a zstd
/// frame): pg_dump's compressed plain output (`-Fp -Z METHOD`). Call [`finish`](CompressedWriter::finish) to
/// end the stream; a writer dropped without it leaves a truncated stream, which decompressors reject.
pub struct CompressedWriter<W: Write> {
    encoder: StreamEncoder,
    inner: W,
}

impl<W: Write> std::fmt::Debug for CompressedWriter<W> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CompressedWriter")
            .field("encoder", &self.encoder)
            .finish_non_exhaustive()
    }
}

/// Compressed bytes are handed on once this much has collected.
const HAND_ON: usize = 64 * 1024;

impl<W: Write> CompressedWriter<W> {
    /// Compresses into `inner` as `compression` says.
    pub fn new(inner: W, compression: Compression) -> Result<CompressedWriter<W>, WriteError> {
        Ok(CompressedWriter {
            encoder: StreamEncoder::new(compression, StreamKind::File)?,
            inner,
        })
    }

    /// Ends the stream, writes the rest and returns the inner writer (flushed).
    pub fn finish(mut self) -> std::io::Result<W> {
        let rest = self.encoder.finish().map_err(std::io::Error::other)?;
        self.inner.write_all(&rest)?;
        self.inner.flush()?;
        Ok(self.inner)
    }
}

impl<W: Write> Write for CompressedWriter<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.encoder.write(buf).map_err(std::io::Error::other)?;
        if self.encoder.output().len() >= HAND_ON {
            let out = self.encoder.take_output();
            self.inner.write_all(&out)?;
        }
        Ok(buf.len())
    }

    /// Hands on what is compressed so far (a compressor may hold back a little until the stream ends).
    fn flush(&mut self) -> std::io::Result<()> {
        let out = self.encoder.take_output();
        self.inner.write_all(&out)?;
        self.inner.flush()
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn compressed_writers_make_one_stream_of_many_writes() {
        let text: Vec<u8> = (0..200_000)
            .flat_map(|i| format!("{i}\trow {i}\n").into_bytes())
            .collect();
        for spec in ["gzip:5", "lz4", "zstd", "none"] {
            let compression = parse_compression(spec).unwrap();
            let mut writer = CompressedWriter::new(Vec::new(), compression).unwrap();
            for piece in text.chunks(7777) {
                writer.write_all(piece).unwrap();
            }
            writer.flush().unwrap();
            let stored = writer.finish().unwrap();
            let mut back = Vec::new();
            match compression.method {
                CompressionMethod::Gzip => {
                    std::io::Read::read_to_end(
                        &mut flate2::read::GzDecoder::new(&stored[..]),
                        &mut back,
                    )
                    .unwrap();
                }
                CompressionMethod::Lz4 => {
                    std::io::Read::read_to_end(
                        &mut lz4_flex::frame::FrameDecoder::new(&stored[..]),
                        &mut back,
                    )
                    .unwrap();
                }
                CompressionMethod::Zstd => back = zstd::decode_all(&stored[..]).unwrap(),
                CompressionMethod::None => back = stored.clone(),
            }
            assert_eq!(back, text, "{spec}");
            if compression.method != CompressionMethod::None {
                assert!(stored.len() < text.len(), "{spec}: {}", stored.len());
            }
        }
    }

    use super::*;
    use std::io::Read;

    fn c(method: CompressionMethod, level: Option<i32>) -> Compression {
        Compression { method, level }
    }

    #[test]
    fn specifications_parse_as_pg_dump_reads_them() {
        use CompressionMethod::{Gzip, Lz4, Zstd};
        assert_eq!(parse_compression("0").unwrap(), Compression::NONE);
        assert_eq!(parse_compression("5").unwrap(), c(Gzip, Some(5)));
        assert_eq!(parse_compression("none").unwrap(), Compression::NONE);
        assert_eq!(parse_compression("gzip").unwrap(), c(Gzip, None));
        assert_eq!(parse_compression("gzip:9").unwrap(), c(Gzip, Some(9)));
        assert_eq!(parse_compression("lz4").unwrap(), c(Lz4, None));
        assert!(
            validate_compression(c(Lz4, Some(3))).is_err(),
            "an LZ4 level would be ignored"
        );
        assert_eq!(parse_compression("zstd:19").unwrap(), c(Zstd, Some(19)));
        assert_eq!(parse_compression("zstd:-5").unwrap(), c(Zstd, Some(-5)));
        assert_eq!(parse_compression("gzip:-1").unwrap(), c(Gzip, Some(-1)));
        for bad in [
            "10",
            "gzip:0",
            "gzip:-2",
            "gzip:10",
            "lz4:13",
            "zstd:99",
            "brotli",
            "gzip:x",
            "zstd:long",
            "none:3",
            "",
        ] {
            let err = parse_compression(bad).unwrap_err();
            assert!(
                matches!(err, WriteError::InvalidCompression { .. }),
                "{bad}: {err}"
            );
        }
        let err = parse_compression("gzip:10").unwrap_err().to_string();
        assert!(err.contains("between 1 and 9"), "{err}");
    }

    #[test]
    fn versions_follow_the_method() {
        use ArchiveFormat::{Custom, Directory, Plain, Tar};
        use CompressionMethod::{Gzip, Lz4, Zstd};
        let v14 = ArchiveVersion::V1_14;
        let v15 = ArchiveVersion::V1_15;
        let v16 = ArchiveVersion::V1_16;
        assert_eq!(choose_version(Custom, c(Gzip, None), None).unwrap(), v14);
        assert_eq!(choose_version(Directory, c(Lz4, None), None).unwrap(), v15);
        assert_eq!(
            choose_version(Custom, c(Zstd, Some(3)), Some(v16)).unwrap(),
            v16
        );
        assert_eq!(
            choose_version(Tar, Compression::NONE, Some(v15)).unwrap(),
            v15
        );
        let err = choose_version(Custom, c(Zstd, None), Some(v14)).unwrap_err();
        assert!(matches!(
            err,
            WriteError::CompressionNeedsNewerVersion { .. }
        ));
        assert!(err
            .to_string()
            .contains("zstd compression needs archive version 1.15"));
        assert!(matches!(
            choose_version(Tar, c(Gzip, None), None),
            Err(WriteError::UnsupportedByFormat { .. })
        ));
        assert!(matches!(
            choose_version(Custom, Compression::NONE, Some(ArchiveVersion::V1_13)),
            Err(WriteError::UnsupportedVersion(_))
        ));
        assert!(choose_version(Plain, Compression::NONE, None).is_err());
        assert_eq!(default_compression(Custom), c(Gzip, None));
        assert_eq!(default_compression(Tar), Compression::NONE);
    }

    fn roundtrip(compression: Compression, kind: StreamKind) -> Vec<u8> {
        let mut encoder = StreamEncoder::new(compression, kind).unwrap();
        let mut out = Vec::new();
        for i in 0..2000 {
            encoder
                .write(format!("{i}\trow number {i}\n").as_bytes())
                .unwrap();
            out.extend(encoder.take_output());
        }
        out.extend(encoder.finish().unwrap());
        out
    }

    fn expected() -> Vec<u8> {
        (0..2000)
            .flat_map(|i| format!("{i}\trow number {i}\n").into_bytes())
            .collect()
    }

    #[test]
    fn streams_decode_with_their_containers() {
        let zlib = roundtrip(c(CompressionMethod::Gzip, None), StreamKind::Block);
        assert_eq!(&zlib[..2], [0x78, 0x9c]);
        let mut plain = Vec::new();
        flate2::read::ZlibDecoder::new(&zlib[..])
            .read_to_end(&mut plain)
            .unwrap();
        assert_eq!(plain, expected());

        let gz = roundtrip(c(CompressionMethod::Gzip, Some(9)), StreamKind::File);
        assert_eq!(&gz[..3], [0x1f, 0x8b, 0x08]);
        let mut plain = Vec::new();
        flate2::read::GzDecoder::new(&gz[..])
            .read_to_end(&mut plain)
            .unwrap();
        assert_eq!(plain, expected());

        let lz4 = roundtrip(c(CompressionMethod::Lz4, None), StreamKind::Block);
        assert_eq!(&lz4[..6], [0x04, 0x22, 0x4d, 0x18, 0x40, 0x40]);
        let mut plain = Vec::new();
        lz4_flex::frame::FrameDecoder::new(&lz4[..])
            .read_to_end(&mut plain)
            .unwrap();
        assert_eq!(plain, expected());

        let zst = roundtrip(c(CompressionMethod::Zstd, Some(19)), StreamKind::File);
        assert_eq!(&zst[..4], [0x28, 0xb5, 0x2f, 0xfd]);
        assert_eq!(zstd::decode_all(&zst[..]).unwrap(), expected());

        assert_eq!(roundtrip(Compression::NONE, StreamKind::File), expected());
    }
}
