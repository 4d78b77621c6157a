//! A buffered input that knows its position, for the readers: bytes are served from a buffer that grows only
//! as far as the parsers need, and in steps, so that no claimed length makes it allocate more than the input
//! really holds.

use std::io::{self, Read, Seek, SeekFrom};

/// How much is read from the underlying input at a time.
const READ_STEP: usize = 64 * 1024;
/// The most the buffer grows by in one read, whatever the parser asked for.
const MAX_GROWTH: usize = 1024 * 1024;

/// A reader that cannot seek, for inputs such as pipes and standard input: its [`Seek`] implementation always
/// fails, so the readers treat it the way pg_restore treats a pipe.
#[derive(Debug)]
pub struct NoSeek<R>(pub R);

impl<R: Read> Read for NoSeek<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.0.read(buf)
    }
}

impl<R> Seek for NoSeek<R> {
    fn seek(&mut self, _pos: SeekFrom) -> io::Result<u64> {
        Err(io::Error::new(
            io::ErrorKind::Unsupported,
            "this input cannot seek",
        ))
    }
}

/// A buffered input with its position (counted from where the archive starts).
#[derive(Debug)]
pub(crate) struct Input<R> {
    inner: R,
    buf: Vec<u8>,
    start: usize,
    /// Position in the archive of `buf[start]`.
    pos: u64,
    /// Where the archive starts in `inner` (seekable inputs only).
    origin: u64,
    /// The archive's length, for seekable inputs.
    len: Option<u64>,
    seekable: bool,
}

impl<R: Read> Input<R> {
    /// An input read front to back only.
    pub(crate) fn sequential(inner: R) -> Input<R> {
        Input {
            inner,
            buf: Vec::new(),
            start: 0,
            pos: 0,
            origin: 0,
            len: None,
            seekable: false,
        }
    }

    /// The position (from the start of the archive) of the next byte.
    pub(crate) fn pos(&self) -> u64 {
        self.pos
    }

    /// Whether the input can seek.
    pub(crate) fn seekable(&self) -> bool {
        self.seekable
    }

    /// Where the input ends, as far as is known: its length when it can seek, else the end of what is buffered
    /// (for messages about an input that ended).
    pub(crate) fn known_end(&self) -> u64 {
        self.len
            .unwrap_or_else(|| self.pos + (self.buf.len() - self.start) as u64)
    }

    /// The bytes buffered after the position.
    pub(crate) fn available(&self) -> &[u8] {
        &self.buf[self.start..]
    }

    /// Buffers at least `n` bytes after the position, if the input has them. `Ok(false)` when it ends first.
    pub(crate) fn fill(&mut self, n: usize) -> io::Result<bool> {
        while self.buf.len() - self.start < n {
            if self.start > 0 {
                self.buf.drain(..self.start);
                self.start = 0;
            }
            let missing = n - self.buf.len();
            let step = missing.clamp(READ_STEP, MAX_GROWTH);
            let old = self.buf.len();
            self.buf.resize(old + step, 0);
            let got = loop {
                match self.inner.read(&mut self.buf[old..]) {
                    Ok(got) => break got,
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                    Err(e) => {
                        self.buf.truncate(old);
                        return Err(e);
                    }
                }
            };
            self.buf.truncate(old + got);
            if got == 0 {
                return Ok(false);
            }
        }
        Ok(true)
    }

    /// Drops `n` buffered bytes (at most what is buffered).
    pub(crate) fn consume(&mut self, n: usize) {
        let n = n.min(self.buf.len() - self.start);
        self.start += n;
        self.pos += n as u64;
        if self.start == self.buf.len() {
            self.buf.clear();
            self.start = 0;
        }
    }

    /// Reads up to `out.len()` bytes; 0 at the end of the input.
    pub(crate) fn read_some(&mut self, out: &mut [u8]) -> io::Result<usize> {
        if out.is_empty() {
            return Ok(0);
        }
        if self.start == self.buf.len() {
            if out.len() >= READ_STEP {
                let got = loop {
                    match self.inner.read(out) {
                        Ok(got) => break got,
                        Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                        Err(e) => return Err(e),
                    }
                };
                self.pos += got as u64;
                return Ok(got);
            }
            if !self.fill(1)? {
                return Ok(0);
            }
        }
        let n = out.len().min(self.buf.len() - self.start);
        out[..n].copy_from_slice(&self.buf[self.start..self.start + n]);
        self.consume(n);
        Ok(n)
    }

    /// Skips `n` bytes by reading them. Returns how many were skipped (fewer at the end of the input).
    fn skip_by_reading(&mut self, n: u64) -> io::Result<u64> {
        let mut left = n;
        while left > 0 {
            if self.start == self.buf.len() && !self.fill(1)? {
                break;
            }
            let take =
                (self.buf.len() - self.start).min(usize::try_from(left).unwrap_or(usize::MAX));
            self.consume(take);
            left -= take as u64;
        }
        Ok(n - left)
    }
}

impl<R: Read + Seek> Input<R> {
    /// An input that seeks when `inner` can (checked the way pg_restore checks, by telling and seeking to the
    /// same place); otherwise it is read front to back. The archive starts at `inner`'s current position.
    pub(crate) fn probe(mut inner: R) -> Input<R> {
        let probed = probe_seek(&mut inner);
        let mut input = Input::sequential(inner);
        if let Ok((here, end)) = probed {
            input.origin = here;
            input.len = Some(end.saturating_sub(here));
            input.seekable = true;
        }
        input
    }

    /// Moves to `pos` (from the start of the archive). An input that cannot seek can only move ahead (it skips
    /// by reading). Fails with `UnexpectedEof` when `pos` is beyond the end of the input.
    pub(crate) fn seek_to(&mut self, pos: u64) -> io::Result<()> {
        let buffered_from = self.pos - self.start as u64;
        let buffered_to = self.pos + (self.buf.len() - self.start) as u64;
        if (buffered_from..=buffered_to).contains(&pos) {
            self.start = (pos - buffered_from) as usize;
            self.pos = pos;
            return Ok(());
        }
        let beyond_end = || {
            io::Error::new(
                io::ErrorKind::UnexpectedEof,
                "position beyond the end of the input",
            )
        };
        if !self.seekable {
            if pos < self.pos {
                return Err(io::Error::new(
                    io::ErrorKind::Unsupported,
                    "this input cannot seek",
                ));
            }
            let want = pos - self.pos;
            if self.skip_by_reading(want)? < want {
                return Err(beyond_end());
            }
            return Ok(());
        }
        if self.len.is_some_and(|len| pos > len) {
            return Err(beyond_end());
        }
        let target = self
            .origin
            .checked_add(pos)
            .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "position out of range"))?;
        self.inner.seek(SeekFrom::Start(target))?;
        self.buf.clear();
        self.start = 0;
        self.pos = pos;
        Ok(())
    }

    /// Skips `n` bytes, seeking over them when the input can. Returns how many were skipped: fewer when the
    /// input ends first.
    pub(crate) fn skip(&mut self, n: u64) -> io::Result<u64> {
        let buffered = (self.buf.len() - self.start) as u64;
        if n <= buffered || !self.seekable {
            return self.skip_by_reading(n);
        }
        let len = self.len.unwrap_or(u64::MAX);
        let target = self.pos.saturating_add(n).min(len.max(self.pos));
        let skipped = target - self.pos;
        self.seek_to(target)?;
        Ok(skipped)
    }
}

/// Where `s` is and how long it is, if it can tell and seek.
fn probe_seek<S: Seek>(s: &mut S) -> io::Result<(u64, u64)> {
    let here = s.stream_position()?;
    let end = s.seek(SeekFrom::End(0))?;
    s.seek(SeekFrom::Start(here))?;
    Ok((here, end))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Cursor;

    #[test]
    fn buffered_reads_skips_and_seeks() {
        let data: Vec<u8> = (0..=255u8).cycle().take(200_000).collect();
        let mut input = Input::probe(Cursor::new(data.clone()));
        assert!(input.seekable());
        assert!(input.fill(10).unwrap());
        assert_eq!(&input.available()[..3], &[0, 1, 2]);
        input.consume(5);
        assert_eq!(input.pos(), 5);
        assert_eq!(input.skip(100_000).unwrap(), 100_000);
        let mut b = [0u8; 4];
        assert_eq!(input.read_some(&mut b).unwrap(), 4);
        assert_eq!(b[0], data[100_005]);
        input.seek_to(3).unwrap();
        assert_eq!(input.read_some(&mut b).unwrap(), 4);
        assert_eq!(b, [3, 4, 5, 6]);
        assert_eq!(input.skip(1_000_000).unwrap(), 200_000 - 7);
        assert!(!input.fill(1).unwrap());

        let mut piped = Input::probe(NoSeek(Cursor::new(data.clone())));
        assert!(!piped.seekable());
        assert_eq!(piped.skip(150_000).unwrap(), 150_000);
        assert!(piped.seek_to(10).is_err());
        assert_eq!(piped.read_some(&mut b).unwrap(), 4);
        assert_eq!(b[0], data[150_000]);
        assert_eq!(piped.skip(1_000_000).unwrap(), 200_000 - 150_004);
    }

    #[test]
    fn claimed_lengths_do_not_allocate() {
        let mut input = Input::sequential(Cursor::new(vec![1u8; 10]));
        assert!(!input.fill(usize::MAX / 2).unwrap());
        assert!(input.buf.capacity() <= 4 * MAX_GROWTH);
    }
}
