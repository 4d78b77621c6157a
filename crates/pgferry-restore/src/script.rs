//! An archive as a SQL script (`pgferry restore -f FILE`): what pg_restore prints without `-d`.
//!
//! The script writer of `pgferry-archive` prints the entries; the data comes from the archive as it is written:
//! a table's COPY rows as they are stored (they end with the `\.` line), and large objects as
//! `lo_open`/`lowrite`/`lo_close` calls, 16 KiB of the object per `lowrite`, as pg_restore cuts them.

use std::io::{self, Read, Write};

use pgferry_archive::read::Archive;
use pgferry_archive::script::DataSource;
use pgferry_archive::{desc, TocEntry};

/// pg_restore writes large objects in pieces of this size (`LOBBUFSIZE`), one `lowrite` each.
const LO_PIECE: usize = 16384;
/// pg_restore's `INV_WRITE`.
const INV_WRITE: u32 = 0x20000;

/// Data for the script writer, read from an archive.
pub(crate) struct ArchiveData<'a> {
    pub(crate) archive: &'a mut Archive,
    /// Whether the script runs with `standard_conforming_strings` on (bytea literals depend on it).
    pub(crate) std_strings: bool,
    /// `-1` or `--transaction-size`: the script is in a transaction already, so large objects get none of
    /// their own.
    pub(crate) in_transaction: bool,
    /// The archive could not be read (rather than the script written).
    pub(crate) read_failed: Option<String>,
}

/// Records a read error in `failed` (so that the caller can tell it from an error of the output) and returns it.
fn read_error(
    failed: &mut Option<String>,
    entry: &TocEntry,
    e: impl std::fmt::Display,
) -> io::Error {
    let message = format!(
        "reading the data of TOC entry {}: {e}",
        crate::engine::entry_name(entry)
    );
    *failed = Some(message.clone());
    io::Error::other(message)
}

impl DataSource for ArchiveData<'_> {
    fn write_data(&mut self, entry: &TocEntry, out: &mut dyn Write) -> io::Result<()> {
        let ArchiveData {
            archive,
            std_strings,
            in_transaction,
            read_failed,
        } = self;
        let mut piece = vec![0u8; LO_PIECE];
        if entry.desc != desc::BLOBS {
            let mut data = archive
                .data(entry.dump_id)
                .map_err(|e| read_error(read_failed, entry, e))?;
            loop {
                let n =
                    fill(&mut data, &mut piece).map_err(|e| read_error(read_failed, entry, e))?;
                if n == 0 {
                    return Ok(());
                }
                out.write_all(&piece[..n])?;
            }
        }
        if !*in_transaction {
            out.write_all(b"BEGIN;\n\n")?;
        }
        let mut objects = archive
            .large_objects(entry.dump_id)
            .map_err(|e| read_error(read_failed, entry, e))?;
        while let Some(mut object) = objects
            .next_object()
            .map_err(|e| read_error(read_failed, entry, e))?
        {
            writeln!(
                out,
                "SELECT pg_catalog.lo_open('{}', {INV_WRITE});",
                object.oid()
            )?;
            loop {
                let filled =
                    fill(&mut object, &mut piece).map_err(|e| read_error(read_failed, entry, e))?;
                if filled == 0 {
                    break;
                }
                out.write_all(b"SELECT pg_catalog.lowrite(0, ")?;
                write_bytea_literal(out, &piece[..filled], *std_strings)?;
                out.write_all(b");\n")?;
                if filled < LO_PIECE {
                    break;
                }
            }
            out.write_all(b"SELECT pg_catalog.lo_close(0);\n\n")?;
        }
        if !*in_transaction {
            out.write_all(b"COMMIT;\n\n")?;
        }
        Ok(())
    }
}

/// Reads until `buf` is full or the input ends; returns the bytes read.
fn fill(input: &mut dyn Read, buf: &mut [u8]) -> io::Result<usize> {
    let mut filled = 0;
    while filled < buf.len() {
        match input.read(&mut buf[filled..]) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        }
    }
    Ok(filled)
}

/// A bytea literal in hex: `'\x0a1b'`, or with the backslash doubled when standard_conforming_strings is off.
fn write_bytea_literal(out: &mut dyn Write, bytes: &[u8], std_strings: bool) -> io::Result<()> {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut text = Vec::with_capacity(bytes.len() * 2 + 6);
    text.extend_from_slice(if std_strings { b"'\\x" } else { b"'\\\\x" });
    for byte in bytes {
        text.push(HEX[(byte >> 4) as usize]);
        text.push(HEX[(byte & 15) as usize]);
    }
    text.push(b'\'');
    out.write_all(&text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bytea_literals_follow_standard_conforming_strings() {
        let mut out = Vec::new();
        write_bytea_literal(&mut out, &[0, 0xab, 0x10], true).unwrap();
        assert_eq!(out, b"'\\x00ab10'");
        out.clear();
        write_bytea_literal(&mut out, b"A", false).unwrap();
        assert_eq!(out, b"'\\\\x41'");
    }
}
