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

fn ends_early(format: &str) -> io::Error {
    io::Error::new(
        io::ErrorKind::UnexpectedEof,
        format!("the {format} stream ends before it is complete"),
    )
}

/// A reader of the decompressed bytes of `inner`, which holds one stream compressed with `codec`.
pub(crate) fn decoder<'a, R: Read + 'a>(codec: Codec, inner: R) -> Box<dyn Read + 'a> {
    match codec {
        Codec::None => Box::new(inner),
        _ => Box::new(Lazy {
            codec,
            state: LazyState::Unstarted(Some(inner)),
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
                    io::Error::new(
                        io::ErrorKind::InvalidData,
                        format!("corrupt zlib stream: {e}"),
                    )
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
                    return Err(ends_early("zlib"));
                }
                if self.start < self.end {
                    return Err(io::Error::new(
                        io::ErrorKind::InvalidData,
                        "corrupt zlib stream: no progress",
                    ));
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
        let got = match self.frames.read(buf) {
            Ok(got) => got,
            Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => return Err(ends_early("LZ4")),
            Err(e) => {
                return Err(io::Error::new(
                    io::ErrorKind::InvalidData,
                    format!("corrupt LZ4 frame: {e}"),
                ))
            }
        };
        if got == 0 {
            if self.frames.get_mut().hit_eof {
                return Err(ends_early("LZ4"));
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
                assert!(
                    all(codec, &packed[..cut]).is_err(),
                    "{codec:?} cut at {cut} of {}",
                    packed.len()
                );
            }
            let mut garbage = packed.clone();
            let mid = garbage.len() / 2;
            garbage[mid..].iter_mut().for_each(|b| *b ^= 0x5a);
            assert!(
                all(codec, &garbage).map(|out| out != data).unwrap_or(true),
                "{codec:?}"
            );
        }
    }
}
