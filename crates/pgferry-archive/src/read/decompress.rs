//! Decompressing data streams, with bounded memory: zlib streams (custom format "gzip"), gzip files (directory
//! format `.gz`), LZ4 frames and zstd frames. A stream that ends before its compressed format says it is
//! complete is an error, not a silent short read; an empty stream (no bytes at all) is empty data, as it is for
//! pg_restore.

use std::io::{self, Read};

use flate2::{Decompress, FlushDecompress, Status};

use crate::format::CompressionMethod;

/// How a stream's bytes are compressed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Codec {
    /// Not compressed.
    None,
    /// A zlib stream (RFC 1950): the custom format's gzip.
    Zlib,
    /// A gzip file (RFC 1952): the directory format's `.gz`.
    Gzip,
    /// LZ4 frames.
    Lz4,
    /// Zstandard frames.
    Zstd,
}

impl Codec {
    /// The codec of a custom archive's data blocks.
    pub(crate) fn for_custom(method: CompressionMethod) -> Codec {
        match method {
            CompressionMethod::None => Codec::None,
            CompressionMethod::Gzip => Codec::Zlib,
            CompressionMethod::Lz4 => Codec::Lz4,
            CompressionMethod::Zstd => Codec::Zstd,
        }
    }

    /// The codec of a directory archive's file, from its name's suffix.
    pub(crate) fn for_file_name(name: &str) -> Codec {
        if name.ends_with(".gz") {
            Codec::Gzip
        } else if name.ends_with(".lz4") {
            Codec::Lz4
        } else if name.ends_with(".zst") {
            Codec::Zstd
        } else {
            Codec::None
        }
    }
}

impl Codec {
    /// The name used in messages.
    fn name(self) -> &'static str {
        match self {
            Codec::None => "uncompressed",
            Codec::Zlib => "zlib",
            Codec::Gzip => "gzip",
            Codec::Lz4 => "LZ4",
            Codec::Zstd => "zstd",
        }
    }
}

fn ends_early() -> io::Error {
    io::Error::new(io::ErrorKind::UnexpectedEof, "stream ends early")
}

/// Why a compressed stream could not be decompressed, carried in the `io::Error`s a [`decoder`] returns (see
/// [`CodecError::from_io`]).
#[derive(Debug)]
pub(crate) struct CodecError {
    /// The codec's name.
    pub(crate) codec: &'static str,
    /// The stream stops before its end (rather than holding bytes that do not decode).
    pub(crate) ends_early: bool,
    /// What the decompressor said.
    pub(crate) detail: String,
}

impl std::fmt::Display for CodecError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.ends_early {
            write!(f, "the {} stream stops before its end", self.codec)
        } else {
            write!(f, "corrupt {} data: {}", self.codec, self.detail)
        }
    }
}

impl std::error::Error for CodecError {}

impl CodecError {
    /// The codec error an `io::Error` carries, if it carries one.
    pub(crate) fn from_io(error: &io::Error) -> Option<&CodecError> {
        error.get_ref()?.downcast_ref::<CodecError>()
    }
}

/// An error of the compressed input itself (not of decompressing it), passed through the decompressor
/// untouched.
#[derive(Debug)]
struct FromInput(io::Error);

impl std::fmt::Display for FromInput {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

impl std::error::Error for FromInput {}

/// The compressed input, its errors marked as its own.
struct Tagged<R>(R);

impl<R: Read> Read for Tagged<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.0
            .read(buf)
            .map_err(|e| io::Error::new(e.kind(), FromInput(e)))
    }
}

/// The decompressed stream: errors of the input come out as they were, the decompressor's as a
/// [`CodecError`] (`UnexpectedEof` when the stream stops early, `InvalidData` otherwise).
struct Checked<R> {
    codec: Codec,
    inner: R,
}

impl<R: Read> Read for Checked<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.inner.read(buf).map_err(|e| {
            if e.get_ref().is_some_and(|inner| inner.is::<FromInput>()) {
                return match e.into_inner().map(|inner| inner.downcast::<FromInput>()) {
                    Some(Ok(from_input)) => from_input.0,
                    _ => io::Error::other("unreadable input"),
                };
            }
            if e.get_ref().is_some_and(|inner| inner.is::<CodecError>()) {
                return e;
            }
            let ends_early = e.kind() == io::ErrorKind::UnexpectedEof;
            let kind = if ends_early {
                io::ErrorKind::UnexpectedEof
            } else {
                io::ErrorKind::InvalidData
            };
            io::Error::new(
                kind,
                CodecError {
                    codec: self.codec.name(),
                    ends_early,
                    detail: e.to_string(),
                },
            )
        })
    }
}

/// A reader of the decompressed bytes of `inner`, which holds one stream compressed with `codec`. Errors of
/// `inner` come out as they were; those of decompressing carry a [`CodecError`].
pub(crate) fn decoder<'a, R: Read + 'a>(codec: Codec, inner: R) -> Box<dyn Read + 'a> {
    match codec {
        Codec::None => Box::new(inner),
        _ => Box::new(Checked {
            codec,
            inner: Lazy {
                codec,
                state: LazyState::Unstarted(Some(Tagged(inner))),
            },
        }),
    }
}

/// Starts the decoder at the first byte, so that an empty stream reads as empty data.
struct Lazy<'a, R> {
    codec: Codec,
    state: LazyState<'a, R>,
}

enum LazyState<'a, R> {
    Unstarted(Option<R>),
    Empty,
    Running(Box<dyn Read + 'a>),
}

impl<'a, R: Read + 'a> Read for Lazy<'a, R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        loop {
            match &mut self.state {
                LazyState::Empty => return Ok(0),
                LazyState::Running(reader) => return reader.read(buf),
                LazyState::Unstarted(inner) => {
                    let Some(mut inner) = inner.take() else {
                        self.state = LazyState::Empty;
                        continue;
                    };
                    let mut first = [0u8; 1];
                    let got = loop {
                        match inner.read(&mut first) {
                            Ok(got) => break got,
                            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                            Err(e) => {
                                self.state = LazyState::Unstarted(Some(inner));
                                return Err(e);
                            }
                        }
                    };
                    if got == 0 {
                        self.state = LazyState::Empty;
                        continue;
                    }
                    let whole = io::Cursor::new(first).chain(inner);
                    self.state = LazyState::Running(match self.codec {
                        Codec::None => Box::new(whole),
                        Codec::Zlib => Box::new(ZlibReader::new(whole)),
                        Codec::Gzip => Box::new(flate2::read::MultiGzDecoder::new(whole)),
                        Codec::Lz4 => Box::new(Lz4Reader {
                            frames: lz4_flex::frame::FrameDecoder::new(EofWatch {
                                inner: whole,
                                hit_eof: false,
                            }),
                            done: false,
                        }),
                        Codec::Zstd => match zstd::stream::read::Decoder::new(whole) {
                            Ok(decoder) => Box::new(decoder.single_frame()),
                            Err(e) => return Err(e),
                        },
                    });
                }
            }
        }
    }
}

/// A zlib stream, decoded with a fixed-size input buffer; it must reach its end marker.
struct ZlibReader<R> {
    inner: R,
    input: Box<[u8]>,
    start: usize,
    end: usize,
    inner_done: bool,
    state: Decompress,
    done: bool,
}

impl<R: Read> ZlibReader<R> {
    fn new(inner: R) -> ZlibReader<R> {
        ZlibReader {
            inner,
            input: vec![0u8; 8 * 1024].into_boxed_slice(),
            start: 0,
            end: 0,
            inner_done: false,
            state: Decompress::new(true),
            done: false,
        }
    }
}

impl<R: Read> Read for ZlibReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if buf.is_empty() {
            return Ok(0);
        }
        loop {
            if self.done {
                return Ok(0);
            }
            if self.start == self.end && !self.inner_done {
                let got = loop {
                    match self.inner.read(&mut self.input) {
                        Ok(got) => break got,
                        Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                        Err(e) => return Err(e),
                    }
                };
                self.start = 0;
                self.end = got;
                self.inner_done = got == 0;
            }
            let (in_before, out_before) = (self.state.total_in(), self.state.total_out());
            let flush = if self.inner_done {
                FlushDecompress::Finish
            } else {
                FlushDecompress::None
            };
            let status = self
                .state
                .decompress(&self.input[self.start..self.end], buf, flush)
                .map_err(|e| {
                    // zlib-rs can report a bad stream as a "repeated call with bad state", which says nothing.
                    let detail = match e.message() {
                        Some(message) if !message.contains("repeated call") => message,
                        _ => "invalid deflate data",
                    };
                    io::Error::new(io::ErrorKind::InvalidData, detail)
                })?;
            let used = (self.state.total_in() - in_before) as usize;
            let produced = (self.state.total_out() - out_before) as usize;
            self.start += used;
            if status == Status::StreamEnd {
                self.done = true;
            }
            if produced > 0 {
                return Ok(produced);
            }
            if self.done {
                return Ok(0);
            }
            if used == 0 {
                if self.inner_done {
                    return Err(ends_early());
                }
                if self.start < self.end {
                    return Err(io::Error::new(io::ErrorKind::InvalidData, "no progress"));
                }
            }
        }
    }
}

/// Remembers whether the reader underneath ended.
struct EofWatch<R> {
    inner: R,
    hit_eof: bool,
}

impl<R: Read> Read for EofWatch<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let got = self.inner.read(buf)?;
        if got == 0 && !buf.is_empty() {
            self.hit_eof = true;
        }
        Ok(got)
    }
}

/// An LZ4 frame: lz4_flex reports a frame cut short as a clean end, so the input's end is watched.
struct Lz4Reader<R: Read> {
    frames: lz4_flex::frame::FrameDecoder<EofWatch<R>>,
    done: bool,
}

impl<R: Read> Read for Lz4Reader<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.done || buf.is_empty() {
            return Ok(0);
        }
        // Errors of the input pass through (Checked tells them apart); the frame decoder's own are its verdict.
        let got = self.frames.read(buf)?;
        if got == 0 {
            if self.frames.get_mut().hit_eof {
                return Err(ends_early());
            }
            self.done = true;
        }
        Ok(got)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn all(codec: Codec, bytes: &[u8]) -> io::Result<Vec<u8>> {
        let mut out = Vec::new();
        decoder(codec, bytes).read_to_end(&mut out)?;
        Ok(out)
    }

    fn zlib(data: &[u8]) -> Vec<u8> {
        let mut e = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
        e.write_all(data).unwrap();
        e.finish().unwrap()
    }

    fn gzip(data: &[u8]) -> Vec<u8> {
        let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        e.write_all(data).unwrap();
        e.finish().unwrap()
    }

    fn lz4(data: &[u8]) -> Vec<u8> {
        let mut e = lz4_flex::frame::FrameEncoder::new(Vec::new());
        e.write_all(data).unwrap();
        e.finish().unwrap()
    }

    #[test]
    fn every_codec_round_trips_and_refuses_cut_streams() {
        let data: Vec<u8> = (0..200_000u32)
            .flat_map(|i| format!("{i}\trow {i}\n").into_bytes())
            .collect();
        let cases = [
            (Codec::Zlib, zlib(&data)),
            (Codec::Gzip, gzip(&data)),
            (Codec::Lz4, lz4(&data)),
            (Codec::Zstd, zstd::encode_all(&data[..], 3).unwrap()),
        ];
        for (codec, packed) in cases {
            assert_eq!(all(codec, &packed).unwrap(), data, "{codec:?}");
            assert_eq!(
                all(codec, b"").unwrap(),
                b"",
                "{codec:?}: an empty stream is empty data"
            );
            for cut in [1, packed.len() / 2, packed.len() - 1] {
                let err = all(codec, &packed[..cut]).unwrap_err();
                let said = CodecError::from_io(&err);
                assert!(
                    said.is_some_and(|c| c.ends_early),
                    "{codec:?} cut at {cut} of {}: {err:?}",
                    packed.len()
                );
            }
            let mut garbage = packed.clone();
            let mid = garbage.len() / 2;
            garbage[mid..].iter_mut().for_each(|b| *b ^= 0x5a);
            match all(codec, &garbage) {
                Ok(out) => assert_ne!(out, data, "{codec:?}"),
                Err(err) => assert!(CodecError::from_io(&err).is_some(), "{codec:?}: {err:?}"),
            }
            // The header bytes inverted: the decompressor refuses the stream, in its own words.
            let mut bad_header = packed.clone();
            bad_header[..4].iter_mut().for_each(|b| *b ^= 0xff);
            let err = all(codec, &bad_header).unwrap_err();
            assert_eq!(err.kind(), io::ErrorKind::InvalidData, "{codec:?}: {err:?}");
            let said = CodecError::from_io(&err).expect("a codec error");
            assert!(!said.ends_early, "{codec:?}: {said}");
            assert!(said.to_string().starts_with("corrupt "), "{said}");
        }
    }

    /// An input that fails after `good` bytes, with an error of its own.
    struct Failing {
        good: io::Cursor<Vec<u8>>,
    }

    impl Read for Failing {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            match self.good.read(buf)? {
                0 => Err(io::Error::new(
                    io::ErrorKind::UnexpectedEof,
                    "the input's own error",
                )),
                n => Ok(n),
            }
        }
    }

    #[test]
    fn errors_of_the_input_pass_through_untouched() {
        let data = vec![b'x'; 100_000];
        for (codec, packed) in [
            (Codec::Zlib, zlib(&data)),
            (Codec::Gzip, gzip(&data)),
            (Codec::Lz4, lz4(&data)),
            (Codec::Zstd, zstd::encode_all(&data[..], 3).unwrap()),
        ] {
            let input = Failing {
                good: io::Cursor::new(packed[..packed.len() / 2].to_vec()),
            };
            let err = decoder(codec, input)
                .read_to_end(&mut Vec::new())
                .unwrap_err();
            assert!(CodecError::from_io(&err).is_none(), "{codec:?}: {err:?}");
            assert_eq!(err.to_string(), "the input's own error", "{codec:?}");
        }
    }
}
