//! A spool for bytes that cannot be written yet: a tar member on an output that cannot seek (its length must be
//! known first), or a custom-format data block encoded while another block is being written. In memory up to a
//! limit, then in an anonymous temporary file.

use std::fs::{File, OpenOptions};
use std::io::{self, Read, Seek, SeekFrom, Write};
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};

/// Bytes kept in memory before spilling to a file.
const MEMORY_LIMIT: usize = 4 << 20;

#[derive(Debug)]
pub(crate) struct Spool {
    memory_limit: usize,
    memory: Vec<u8>,
    file: Option<File>,
    /// The file's path when it could not be unlinked while open (removed on drop).
    path: Option<PathBuf>,
    len: u64,
}

impl Spool {
    pub(crate) fn new() -> Spool {
        Spool::with_memory_limit(MEMORY_LIMIT)
    }

    /// A spool that keeps at most `memory_limit` bytes in memory.
    pub(crate) fn with_memory_limit(memory_limit: usize) -> Spool {
        Spool {
            memory_limit,
            memory: Vec::new(),
            file: None,
            path: None,
            len: 0,
        }
    }

    /// Bytes held in memory (0 once the spool is in a file).
    pub(crate) fn memory_len(&self) -> usize {
        self.memory.len()
    }

    /// Moves what is held in memory to a file.
    pub(crate) fn spill(&mut self) -> io::Result<()> {
        if self.file.is_some() || self.memory.is_empty() {
            return Ok(());
        }
        let mut file = self.create_file()?;
        file.write_all(&self.memory)?;
        self.memory = Vec::new();
        self.file = Some(file);
        Ok(())
    }

    /// Everything spooled, from the start.
    pub(crate) fn reader(&mut self) -> io::Result<Box<dyn Read + '_>> {
        match &mut self.file {
            Some(file) => {
                file.flush()?;
                file.seek(SeekFrom::Start(0))?;
                Ok(Box::new(file.take(self.len)))
            }
            None => Ok(Box::new(&self.memory[..])),
        }
    }

    pub(crate) fn len(&self) -> u64 {
        self.len
    }

    pub(crate) fn write(&mut self, data: &[u8]) -> io::Result<()> {
        if self.file.is_none() && self.memory.len() + data.len() > self.memory_limit {
            let mut file = self.create_file()?;
            file.write_all(&self.memory)?;
            self.memory = Vec::new();
            self.file = Some(file);
        }
        match &mut self.file {
            Some(file) => file.write_all(data)?,
            None => self.memory.extend_from_slice(data),
        }
        self.len += data.len() as u64;
        Ok(())
    }

    /// Writes everything spooled to `out`.
    pub(crate) fn copy_to(&mut self, out: &mut dyn Write) -> io::Result<()> {
        match &mut self.file {
            Some(file) => {
                file.flush()?;
                file.seek(SeekFrom::Start(0))?;
                let copied = io::copy(&mut file.take(self.len), out)?;
                if copied != self.len {
                    return Err(io::Error::new(
                        io::ErrorKind::UnexpectedEof,
                        "the spool file is shorter than what was written to it",
                    ));
                }
                Ok(())
            }
            None => out.write_all(&self.memory),
        }
    }

    fn create_file(&mut self) -> io::Result<File> {
        static COUNTER: AtomicU64 = AtomicU64::new(0);
        let dir = std::env::temp_dir();
        loop {
            let n = COUNTER.fetch_add(1, Ordering::Relaxed);
            let path = dir.join(format!("pgferry-spool-{}-{n}", std::process::id()));
            match OpenOptions::new()
                .read(true)
                .write(true)
                .create_new(true)
                .open(&path)
            {
                Ok(file) => {
                    if std::fs::remove_file(&path).is_err() {
                        self.path = Some(path);
                    }
                    return Ok(file);
                }
                Err(e) if e.kind() == io::ErrorKind::AlreadyExists => continue,
                Err(e) => return Err(e),
            }
        }
    }
}

impl Drop for Spool {
    fn drop(&mut self) {
        self.file.take();
        if let Some(path) = self.path.take() {
            let _ = std::fs::remove_file(path);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spills_to_a_file_and_copies_back() {
        let mut spool = Spool::new();
        let piece: Vec<u8> = (0..=255u8).cycle().take(1 << 20).collect();
        for _ in 0..6 {
            spool.write(&piece).unwrap();
        }
        assert!(spool.file.is_some());
        assert_eq!(spool.len(), 6 << 20);
        let mut out = Vec::new();
        spool.copy_to(&mut out).unwrap();
        assert_eq!(out.len(), 6 << 20);
        assert_eq!(&out[(5 << 20)..], &piece[..]);

        let mut small = Spool::new();
        small.write(b"abc").unwrap();
        let mut out = Vec::new();
        small.copy_to(&mut out).unwrap();
        assert_eq!(out, b"abc");
        assert_eq!(small.memory_len(), 3);
        small.spill().unwrap();
        assert_eq!(small.memory_len(), 0);
        small.write(b"def").unwrap();
        let mut out = Vec::new();
        small.reader().unwrap().read_to_end(&mut out).unwrap();
        assert_eq!(out, b"abcdef");
    }
}
