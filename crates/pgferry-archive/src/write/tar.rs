//! The tar format (`-Ft`): members `toc.dat`, `<dumpid>.dat` per data entry, `blob_<oid>.dat` per large object
//! followed by `blobs.toc` (up to 1.15) or `blobs_<dumpid>.toc` (1.16), then `restore.sql` and two zero blocks.
//!
//! pg_restore reads a tar archive strictly in order, so data must be written in TOC order; the writer enforces
//! it. A member's header holds its size: on an output that can seek, the member is streamed and its header
//! written afterwards in the place kept for it; otherwise the member is spooled (in memory, then in a temporary
//! file) and written whole. Tar archives are never compressed.

use std::io::{self, Seek, SeekFrom, Write};

use super::encode::{archive_header, encode_header, encode_toc_count, encode_toc_entry, TocExtra};
use super::spool::Spool;
use super::validate::{validate, DataSlots};
use super::{ArchiveWriter, BlobSink, DataSink, DataStats, WriteError, WriteOptions};
use crate::format::{ArchiveFormat, ArchiveVersion, Compression};
use crate::script::{write_script, DataSource, ScriptOptions};
use crate::toc::{DumpId, Toc, TocEntry};

/// Tar's block size.
const BLOCK: usize = 512;

type SeekFn<W> = fn(&mut W, u64) -> io::Result<()>;

fn seek_start<W: Seek>(out: &mut W, pos: u64) -> io::Result<()> {
    out.seek(SeekFrom::Start(pos)).map(|_| ())
}

/// `val` in `field` as pg_dump's `print_tar_number`: octal digits and a space, or base-256 with a leading 0x80
/// byte when octal does not fit.
fn tar_number(field: &mut [u8], mut val: u64) {
    let len = field.len();
    if val < 1u64 << ((len - 1) * 3) {
        field[len - 1] = b' ';
        for i in (0..len - 1).rev() {
            field[i] = b'0' + (val & 7) as u8;
            val >>= 3;
        }
    } else {
        field[0] = 0x80;
        for i in (1..len).rev() {
            field[i] = (val & 0xff) as u8;
            val >>= 8;
        }
    }
}

/// A ustar header for a plain file, as pg_dump writes them (`tarCreateHeader`): mode 0600, uid 2048,
/// gid 1024, owner names `postgres`.
pub(crate) fn tar_header(name: &str, size: u64, mtime: u64) -> [u8; BLOCK] {
    let mut h = [0u8; BLOCK];
    let name = name.as_bytes();
    let n = name.len().min(99);
    h[..n].copy_from_slice(&name[..n]);
    tar_number(&mut h[100..108], 0o600);
    tar_number(&mut h[108..116], 0o4000);
    tar_number(&mut h[116..124], 0o2000);
    tar_number(&mut h[124..136], size);
    tar_number(&mut h[136..148], mtime);
    h[156] = b'0';
    h[257..263].copy_from_slice(b"ustar\0");
    h[263..265].copy_from_slice(b"00");
    h[265..273].copy_from_slice(b"postgres");
    h[297..305].copy_from_slice(b"postgres");
    tar_number(&mut h[329..337], 0);
    tar_number(&mut h[337..345], 0);
    let sum: u64 = h
        .iter()
        .enumerate()
        .map(|(i, &b)| {
            if (148..156).contains(&i) {
                32
            } else {
                u64::from(b)
            }
        })
        .sum();
    tar_number(&mut h[148..156], sum);
    h
}

fn padding(size: u64) -> usize {
    (BLOCK - (size % BLOCK as u64) as usize) % BLOCK
}

/// Writes a tar-format archive to `W`.
pub struct TarWriter<W: Write> {
    out: W,
    pos: u64,
    seek: Option<SeekFn<W>>,
    base: u64,
    toc: Toc,
    version: ArchiveVersion,
    mtime: u64,
    slots: DataSlots,
    done: Vec<bool>,
    failed: Option<DumpId>,
}

impl<W: Write> std::fmt::Debug for TarWriter<W> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TarWriter")
            .field("pos", &self.pos)
            .field("seekable", &self.seek.is_some())
            .field("version", &self.version)
            .field("failed", &self.failed)
            .finish_non_exhaustive()
    }
}

impl<W: Write + Seek> TarWriter<W> {
    /// A writer on an output that may be able to seek; if it cannot, members are spooled as for
    /// [`new_unseekable`](TarWriter::new_unseekable). `toc.dat` is written at once.
    pub fn new(mut out: W, toc: &Toc, options: &WriteOptions) -> Result<TarWriter<W>, WriteError> {
        let base = out
            .stream_position()
            .and_then(|pos| out.seek(SeekFrom::Start(pos)));
        match base {
            Ok(base) => TarWriter::start(out, Some(seek_start::<W>), base, toc, options),
            Err(_) => TarWriter::start(out, None, 0, toc, options),
        }
    }
}

impl<W: Write> TarWriter<W> {
    /// A writer on an output that cannot seek (stdout, a pipe): each data member is spooled until its size is
    /// known.
    pub fn new_unseekable(
        out: W,
        toc: &Toc,
        options: &WriteOptions,
    ) -> Result<TarWriter<W>, WriteError> {
        TarWriter::start(out, None, 0, toc, options)
    }

    fn start(
        out: W,
        seek: Option<SeekFn<W>>,
        base: u64,
        toc: &Toc,
        options: &WriteOptions,
    ) -> Result<TarWriter<W>, WriteError> {
        let version = options.version;
        super::compress::choose_version(ArchiveFormat::Tar, options.compression, Some(version))?;
        let slots = validate(toc, ArchiveFormat::Tar, version)?;
        let header = archive_header(
            &toc.header,
            version,
            ArchiveFormat::Tar,
            Compression::NONE,
            options.created,
        );
        let mut toc_dat = Vec::new();
        encode_header(&mut toc_dat, &header)?;
        encode_toc_count(&mut toc_dat, toc.entries.len())?;
        for entry in &toc.entries {
            let name = if entry.had_dumper {
                format!("{}.dat", entry.dump_id)
            } else {
                String::new()
            };
            encode_toc_entry(&mut toc_dat, entry, version, TocExtra::File(&name));
        }
        let mtime = options
            .created
            .to_unix_utc()
            .map_or(0, |secs| secs.max(0) as u64);
        let mut writer = TarWriter {
            out,
            pos: 0,
            seek,
            base,
            toc: toc.clone(),
            version,
            mtime,
            done: vec![false; slots.slots.len()],
            slots,
            failed: None,
        };
        writer.write_member("toc.dat", &toc_dat)?;
        Ok(writer)
    }

    /// Whether members are streamed in place (the output can seek) rather than spooled.
    pub fn is_seekable(&self) -> bool {
        self.seek.is_some()
    }

    fn write_out(&mut self, bytes: &[u8]) -> Result<(), WriteError> {
        self.out
            .write_all(bytes)
            .map_err(|e| WriteError::io("writing the tar archive", e))?;
        self.pos += bytes.len() as u64;
        Ok(())
    }

    fn write_member(&mut self, name: &str, bytes: &[u8]) -> Result<(), WriteError> {
        let header = tar_header(name, bytes.len() as u64, self.mtime);
        self.write_out(&header)?;
        self.write_out(bytes)?;
        self.write_out(&[0u8; BLOCK][..padding(bytes.len() as u64)])
    }

    fn begin(&mut self, dump_id: DumpId, blobs: bool) -> Result<usize, WriteError> {
        if let Some(failed) = self.failed {
            return Err(WriteError::Abandoned(failed));
        }
        let i = self.slots.find(dump_id, blobs)?;
        if self.done[i] {
            return Err(WriteError::DataAlreadyWritten(dump_id));
        }
        if let Some(j) = (0..i).find(|&j| !self.done[j]) {
            return Err(WriteError::OutOfOrder {
                got: dump_id,
                expected: self.slots.slots[j].dump_id,
                why: "a tar archive (read strictly in order)",
            });
        }
        // Marked now: an abandoned stream stops the writer anyway.
        self.done[i] = true;
        Ok(i)
    }

    fn fail_on_error<T>(
        &mut self,
        dump_id: DumpId,
        result: Result<T, WriteError>,
    ) -> Result<T, WriteError> {
        if result.is_err() {
            self.failed = Some(dump_id);
        }
        result
    }

    fn open_member(&mut self, dump_id: DumpId, name: String) -> Result<Member, WriteError> {
        let target = match self.seek {
            Some(_) => {
                let header_at = self.pos;
                let placeholder = self.write_out(&[0u8; BLOCK]);
                self.fail_on_error(dump_id, placeholder)?;
                Target::InPlace { header_at }
            }
            None => Target::Spool(Spool::new()),
        };
        Ok(Member {
            name,
            size: 0,
            target,
        })
    }

    fn member_write(
        &mut self,
        dump_id: DumpId,
        member: &mut Member,
        data: &[u8],
    ) -> Result<(), WriteError> {
        let result = match &mut member.target {
            Target::InPlace { .. } => self.write_out(data),
            Target::Spool(spool) => spool
                .write(data)
                .map_err(|e| WriteError::io("spooling a tar member", e)),
        };
        member.size += data.len() as u64;
        self.fail_on_error(dump_id, result)
    }

    fn close_member(&mut self, dump_id: DumpId, member: Member) -> Result<u64, WriteError> {
        let result = self.close_member_inner(member);
        self.fail_on_error(dump_id, result)
    }

    fn close_member_inner(&mut self, member: Member) -> Result<u64, WriteError> {
        let header = tar_header(&member.name, member.size, self.mtime);
        let pad = &[0u8; BLOCK][..padding(member.size)];
        match member.target {
            Target::InPlace { header_at } => {
                self.write_out(pad)?;
                let seek = self.seek.expect("in-place members need a seekable output");
                let end = self.base + self.pos;
                seek(&mut self.out, self.base + header_at)
                    .and_then(|()| self.out.write_all(&header))
                    .and_then(|()| seek(&mut self.out, end))
                    .map_err(|e| WriteError::io("writing a tar member header", e))?;
            }
            Target::Spool(mut spool) => {
                self.write_out(&header)?;
                spool
                    .copy_to(&mut self.out)
                    .map_err(|e| WriteError::io("copying a spooled tar member", e))?;
                self.pos += spool.len();
                self.write_out(pad)?;
            }
        }
        Ok((BLOCK + member.size as usize + pad.len()) as u64)
    }

    /// Start the data member of entry `dump_id` (not BLOBS). Data must come in TOC order.
    pub fn start_data(&mut self, dump_id: DumpId) -> Result<TarDataWriter<'_, W>, WriteError> {
        self.begin(dump_id, false)?;
        let member = self.open_member(dump_id, format!("{dump_id}.dat"))?;
        Ok(TarDataWriter {
            writer: self,
            dump_id,
            member: Some(member),
        })
    }

    /// Start the large objects of the BLOBS entry `dump_id`.
    pub fn start_blobs(&mut self, dump_id: DumpId) -> Result<TarBlobsWriter<'_, W>, WriteError> {
        let slot = self.begin(dump_id, true)?;
        let first_oid = self.slots.slots[slot].first_oid;
        Ok(TarBlobsWriter {
            writer: self,
            dump_id,
            first_oid,
            list: Vec::new(),
            current: None,
            stats: DataStats::default(),
            finished: false,
        })
    }

    /// Complete the archive: every entry with data must be done. Writes `restore.sql` and the two zero blocks,
    /// and returns the output, flushed.
    pub fn finish(mut self) -> Result<W, WriteError> {
        if let Some(failed) = self.failed {
            return Err(WriteError::Abandoned(failed));
        }
        let missing: Vec<DumpId> = self
            .slots
            .slots
            .iter()
            .zip(&self.done)
            .filter(|(_, done)| !**done)
            .map(|(slot, _)| slot.dump_id)
            .collect();
        if !missing.is_empty() {
            return Err(WriteError::MissingData(missing));
        }
        let script = restore_script(&self.toc)?;
        self.write_member("restore.sql", &script)?;
        self.write_out(&[0u8; 2 * BLOCK])?;
        self.out
            .flush()
            .map_err(|e| WriteError::io("flushing the tar archive", e))?;
        Ok(self.out)
    }
}

enum Target {
    InPlace { header_at: u64 },
    Spool(Spool),
}

struct Member {
    name: String,
    size: u64,
    target: Target,
}

/// The `restore.sql` member: the script pg_restore would print, with each data stream replaced by a statement
/// that loads the extracted member file (`$$PATH$$` stands for where the archive was extracted), as pg_dump
/// writes it. pg_restore never reads it. It is written without `SET transaction_timeout`, so that it runs on
/// servers before 17.
fn restore_script(toc: &Toc) -> Result<Vec<u8>, WriteError> {
    let mut script = b"--\n-- NOTE:\n--\n-- File paths need to be edited. Search for $$PATH$$ and\n\
        -- replace it with the path to the directory containing\n-- the extracted data files.\n--\n"
        .to_vec();
    let mut options = ScriptOptions::dump_defaults(None);
    options.clean = true;
    options.create_db = true;
    options.transaction_timeout = false;
    write_script(toc, &options, &mut ExtractedFiles, &mut script)
        .map_err(|e| WriteError::io("writing restore.sql", e))?;
    Ok(script)
}

/// Data for `restore.sql`: end the script's `COPY ... FROM stdin` at once and load the member file instead.
struct ExtractedFiles;

impl DataSource for ExtractedFiles {
    fn write_data(&mut self, entry: &TocEntry, out: &mut dyn Write) -> io::Result<()> {
        let file = format!("{}.dat", entry.dump_id);
        match entry.copy_stmt.as_deref().filter(|c| !c.is_empty()) {
            Some(copy) => {
                let Some(at) = copy.rfind(" FROM stdin") else {
                    return Err(io::Error::other(format!(
                        "unexpected COPY statement syntax: \"{copy}\""
                    )));
                };
                out.write_all(b"\\.\n")?;
                out.write_all(&copy.as_bytes()[..at])?;
                write!(out, " FROM '$$PATH$$/{file}';\n\n")
            }
            None => write!(out, "\\i $$PATH$$/{file}\n\n"),
        }
    }
}

/// The data member of one entry of a [`TarWriter`]. Dropping it without [`finish`](TarDataWriter::finish) stops
/// the writer: the archive is abandoned.
pub struct TarDataWriter<'a, W: Write> {
    writer: &'a mut TarWriter<W>,
    dump_id: DumpId,
    member: Option<Member>,
}

impl<W: Write> std::fmt::Debug for TarDataWriter<'_, W> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TarDataWriter")
            .field("dump_id", &self.dump_id)
            .finish_non_exhaustive()
    }
}

impl<W: Write> TarDataWriter<'_, W> {
    /// Append bytes to the member.
    pub fn write_chunk(&mut self, chunk: &[u8]) -> Result<(), WriteError> {
        let member = self.member.as_mut().expect("an open tar member");
        self.writer.member_write(self.dump_id, member, chunk)
    }

    /// End the member.
    pub fn finish(mut self) -> Result<DataStats, WriteError> {
        let member = self.member.take().expect("a tar member is finished once");
        let raw_bytes = member.size;
        let stored_bytes = self.writer.close_member(self.dump_id, member)?;
        Ok(DataStats {
            raw_bytes,
            stored_bytes,
            blobs: 0,
        })
    }
}

impl<W: Write> Drop for TarDataWriter<'_, W> {
    fn drop(&mut self) {
        if self.member.is_some() {
            self.writer.failed.get_or_insert(self.dump_id);
        }
    }
}

impl<W: Write> Write for TarDataWriter<'_, W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.write_chunk(buf).map_err(io::Error::other)?;
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl<W: Write> DataSink for TarDataWriter<'_, W> {
    fn write_chunk(&mut self, chunk: &[u8]) -> Result<(), WriteError> {
        TarDataWriter::write_chunk(self, chunk)
    }

    fn finish(self: Box<Self>) -> Result<DataStats, WriteError> {
        TarDataWriter::finish(*self)
    }
}

/// The large objects of one BLOBS entry of a [`TarWriter`]: a `blob_<oid>.dat` member each, then their list.
pub struct TarBlobsWriter<'a, W: Write> {
    writer: &'a mut TarWriter<W>,
    dump_id: DumpId,
    first_oid: Option<u32>,
    list: Vec<u8>,
    current: Option<Member>,
    stats: DataStats,
    finished: bool,
}

impl<W: Write> std::fmt::Debug for TarBlobsWriter<'_, W> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TarBlobsWriter")
            .field("dump_id", &self.dump_id)
            .field("stats", &self.stats)
            .finish_non_exhaustive()
    }
}

impl<W: Write> TarBlobsWriter<'_, W> {
    fn sequence(&mut self, reason: String) -> WriteError {
        self.writer.failed.get_or_insert(self.dump_id);
        WriteError::BlobSequence {
            dump_id: self.dump_id,
            reason,
        }
    }

    /// Begin large object `oid`. In a 1.16 archive the first one must be the OID the BLOBS tag starts with:
    /// pg_restore looks for that member first.
    pub fn start_blob(&mut self, oid: u32) -> Result<(), WriteError> {
        if self.current.is_some() {
            return Err(self.sequence("start_blob while another large object is open".into()));
        }
        if oid == 0 {
            return Err(self.sequence("OID 0 is not a large object".into()));
        }
        if self.stats.blobs == 0 {
            if let Some(first) = self.first_oid.filter(|&first| first != oid) {
                return Err(self.sequence(format!(
                    "the first large object of a 1.16 tar group must be {first}, the OID its tag starts with, \
                     not {oid}"
                )));
            }
        }
        let member = self
            .writer
            .open_member(self.dump_id, format!("blob_{oid}.dat"))?;
        self.list
            .extend_from_slice(format!("{oid} blob_{oid}.dat\n").as_bytes());
        self.current = Some(member);
        self.stats.blobs += 1;
        Ok(())
    }

    /// Append bytes to the current large object.
    pub fn write_chunk(&mut self, chunk: &[u8]) -> Result<(), WriteError> {
        let Some(member) = self.current.as_mut() else {
            return Err(self.sequence("data must follow start_blob".into()));
        };
        self.stats.raw_bytes += chunk.len() as u64;
        self.writer.member_write(self.dump_id, member, chunk)
    }

    /// End the current large object.
    pub fn end_blob(&mut self) -> Result<(), WriteError> {
        let Some(member) = self.current.take() else {
            return Err(self.sequence("end_blob without start_blob".into()));
        };
        self.stats.stored_bytes += self.writer.close_member(self.dump_id, member)?;
        Ok(())
    }

    /// A whole large object.
    pub fn write_blob(&mut self, oid: u32, bytes: &[u8]) -> Result<(), WriteError> {
        self.start_blob(oid)?;
        self.write_chunk(bytes)?;
        self.end_blob()
    }

    /// End the entry: the list member (`blobs.toc` or `blobs_<dumpid>.toc`).
    pub fn finish(mut self) -> Result<DataStats, WriteError> {
        if self.current.is_some() {
            return Err(self.sequence("finish while a large object is open".into()));
        }
        if self.first_oid.is_some() && self.stats.blobs == 0 {
            return Err(self.sequence(
                "a 1.16 tar BLOBS entry must hold at least the large object its tag names".into(),
            ));
        }
        let name = if self.writer.version >= ArchiveVersion::V1_16 {
            format!("blobs_{}.toc", self.dump_id)
        } else {
            "blobs.toc".to_owned()
        };
        let list = std::mem::take(&mut self.list);
        let before = self.writer.pos;
        let result = self.writer.write_member(&name, &list);
        self.writer.fail_on_error(self.dump_id, result)?;
        self.stats.stored_bytes += self.writer.pos - before;
        self.finished = true;
        Ok(self.stats)
    }
}

impl<W: Write> Drop for TarBlobsWriter<'_, W> {
    fn drop(&mut self) {
        if !self.finished {
            self.writer.failed.get_or_insert(self.dump_id);
        }
    }
}

impl<W: Write> BlobSink for TarBlobsWriter<'_, W> {
    fn start_blob(&mut self, oid: u32) -> Result<(), WriteError> {
        TarBlobsWriter::start_blob(self, oid)
    }

    fn write_chunk(&mut self, chunk: &[u8]) -> Result<(), WriteError> {
        TarBlobsWriter::write_chunk(self, chunk)
    }

    fn end_blob(&mut self) -> Result<(), WriteError> {
        TarBlobsWriter::end_blob(self)
    }

    fn finish(self: Box<Self>) -> Result<DataStats, WriteError> {
        TarBlobsWriter::finish(*self)
    }
}

impl<W: Write> ArchiveWriter for TarWriter<W> {
    fn start_data(&mut self, dump_id: DumpId) -> Result<Box<dyn DataSink + '_>, WriteError> {
        Ok(Box::new(TarWriter::start_data(self, dump_id)?))
    }

    fn start_blobs(&mut self, dump_id: DumpId) -> Result<Box<dyn BlobSink + '_>, WriteError> {
        Ok(Box::new(TarWriter::start_blobs(self, dump_id)?))
    }

    fn finish_archive(self: Box<Self>) -> Result<(), WriteError> {
        TarWriter::finish(*self).map(drop)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headers_match_pg_dump() {
        // The first header of v15_t.tar: toc.dat, 5521 bytes, mtime 15301145104 (octal).
        let h = tar_header("toc.dat", 5521, 0o15301145104);
        assert_eq!(&h[..8], b"toc.dat\0");
        assert_eq!(&h[100..108], b"0000600 ");
        assert_eq!(&h[108..116], b"0004000 ");
        assert_eq!(&h[116..124], b"0002000 ");
        assert_eq!(&h[124..136], b"00000012621 ");
        assert_eq!(&h[136..148], b"15301145104 ");
        assert_eq!(&h[148..156], b"0014433 ");
        assert_eq!(h[156], b'0');
        assert_eq!(&h[257..265], b"ustar\x0000");
        assert_eq!(&h[265..274], b"postgres\0");
        assert_eq!(&h[329..345], b"0000000 0000000 ");
    }

    #[test]
    fn big_sizes_use_base_256() {
        let h = tar_header("1.dat", 9 << 30, 0);
        assert_eq!(h[124], 0x80);
        let mut size = 0u64;
        for &b in &h[125..136] {
            size = size << 8 | u64::from(b);
        }
        assert_eq!(size, 9 << 30);
        assert_eq!(padding(0), 0);
        assert_eq!(padding(1), 511);
        assert_eq!(padding(512), 0);
    }
}
