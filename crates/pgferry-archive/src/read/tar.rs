//! The tar format (`-Ft`, `pg_backup_tar.c`): a tar file holding `toc.dat`, one `<dumpId>.dat` member per data
//! entry, `blob_<oid>.dat` members followed by their list (`blobs.toc` / `blobs_<dumpId>.toc`), and
//! `restore.sql` (ignored). Members are never compressed.
//!
//! Members are found by scanning headers forward, remembering where each one is, so that a seekable input can
//! go back to any member; an input that cannot seek must be read in archive order, as pg_restore requires.

use std::collections::HashMap;
use std::io::{self, Read, Seek};

use crate::format::{ArchiveFormat, ArchiveVersion};
use crate::read::decompress::{decoder, Codec};
use crate::read::error::{ReadError, Where};
use crate::read::input::{Input, NoSeek};
use crate::read::parse::{self, TAR_BLOCK};
use crate::read::{
    data_entry, index_entries, read_toc, DataReader, LargeObjects, LoSource, NextObject,
};
use crate::toc::{desc, ArchiveHeader, DataLocation, DumpId, Toc};

/// A tar-format archive being read.
#[derive(Debug)]
pub struct TarArchive<R> {
    header: ArchiveHeader,
    toc: Toc,
    by_id: HashMap<u32, usize>,
    members: Members<R>,
}

impl<R: Read + Seek> TarArchive<R> {
    /// Reads the `toc.dat` member of the tar archive `reader` (which starts at the archive's first byte); data
    /// is read on demand, seeking when `reader` can.
    pub fn new(reader: R) -> Result<TarArchive<R>, ReadError> {
        TarArchive::from_input(Input::probe(reader))
    }

    pub(crate) fn from_input(input: Input<R>) -> Result<TarArchive<R>, ReadError> {
        let mut members = Members {
            input,
            seen: Vec::new(),
            by_name: HashMap::new(),
            frontier: 0,
            open: None,
        };
        let index = members
            .find(&|name| name == "toc.dat", None)?
            .ok_or_else(|| {
                ReadError::NotAnArchive("the tar file has no toc.dat member".to_owned())
            })?;
        members.open(index)?;
        let base = members.seen[index].data_start;
        let (header, toc) = {
            let mut sub = Input::sequential(MemberStream {
                members: &mut members,
            });
            read_toc(&mut sub, ArchiveFormat::Tar, base)?
        };
        members.close()?;
        let by_id = index_entries(&toc);
        Ok(TarArchive {
            header,
            toc,
            by_id,
            members,
        })
    }

    /// The archive header.
    pub fn header(&self) -> &ArchiveHeader {
        &self.header
    }

    /// The table of contents.
    pub fn toc(&self) -> &Toc {
        &self.toc
    }

    /// The header and TOC.
    pub fn into_toc(self) -> (ArchiveHeader, Toc) {
        (self.header, self.toc)
    }

    /// Whether the input can seek (data can then be read in any order).
    pub fn can_seek(&self) -> bool {
        self.members.input.seekable()
    }

    /// The data of entry `dump_id` (not `BLOBS`): its member's contents.
    pub fn data(&mut self, dump_id: DumpId) -> Result<DataReader<'_>, ReadError> {
        let entry = data_entry(&self.toc, &self.by_id, dump_id, false)?;
        let DataLocation::File(name) = &entry.data_location else {
            return Err(ReadError::NoData {
                dump_id: dump_id.0,
                desc: entry.desc.clone(),
            });
        };
        let name = name.clone();
        let index = self
            .members
            .find(&|member| member == name, Some(dump_id.0))?
            .ok_or(ReadError::DataNotFound {
                dump_id: dump_id.0,
                input_can_seek: self.members.input.seekable(),
            })?;
        self.members.open(index)?;
        let start = self.members.seen[index].data_start;
        Ok(DataReader::new(
            decoder(
                Codec::None,
                MemberStream {
                    members: &mut self.members,
                },
            ),
            Where::TarMember { name },
            start,
        ))
    }

    /// The large objects of the `BLOBS` entry `dump_id`: the `blob_<oid>.dat` members, from the first of the
    /// entry's (1.16: the one of the OID its tag starts with) up to the next member that is not a large object.
    pub fn large_objects(&mut self, dump_id: DumpId) -> Result<LargeObjects<'_>, ReadError> {
        let entry = data_entry(&self.toc, &self.by_id, dump_id, true)?;
        debug_assert_eq!(entry.desc, desc::BLOBS);
        let first = if self.header.version >= ArchiveVersion::V1_16 {
            // pg_restore 17+ starts at blob_<the OID the tag starts with>.dat.
            let digits: String = entry.tag.chars().take_while(char::is_ascii_digit).collect();
            let wanted = format!("blob_{digits}.dat");
            self.members.find(&|name| name == wanted, Some(dump_id.0))?
        } else {
            self.members.find(&|name| blob_oid(name).is_some(), None)?
        };
        let first = first.ok_or(ReadError::DataNotFound {
            dump_id: dump_id.0,
            input_can_seek: self.members.input.seekable(),
        })?;
        Ok(LargeObjects::new(Box::new(TarObjects {
            members: &mut self.members,
            dump_id: dump_id.0,
            next: Some(first),
            current: None,
        })))
    }
}

impl<R: Read> TarArchive<NoSeek<R>> {
    /// Reads a tar archive from an input that cannot seek (a pipe): its data must be read in archive order.
    pub fn from_stream(reader: R) -> Result<TarArchive<NoSeek<R>>, ReadError> {
        TarArchive::from_input(Input::sequential(NoSeek(reader)))
    }
}

/// The OID of a large-object member `blob_<oid>.dat` (pg_restore reads the digits after `blob_`); `None` for
/// other members and OID 0.
fn blob_oid(name: &str) -> Option<u32> {
    let digits = name.strip_prefix("blob_")?;
    let end = digits
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(digits.len());
    digits[..end].parse::<u32>().ok().filter(|&oid| oid != 0)
}

/// A member seen while scanning.
#[derive(Debug, Clone)]
struct Member {
    name: String,
    data_start: u64,
    size: u64,
}

impl Member {
    /// Where the member's last block ends.
    fn end(&self) -> u64 {
        self.data_start.saturating_add(padded(self.size))
    }
}

/// A size rounded up to whole tar blocks.
fn padded(size: u64) -> u64 {
    size.div_ceil(TAR_BLOCK as u64)
        .saturating_mul(TAR_BLOCK as u64)
}

/// The member being read.
#[derive(Debug, Clone, Copy)]
struct OpenMember {
    index: usize,
    left: u64,
}

/// The members of a tar archive and the input they are read from.
#[derive(Debug)]
struct Members<R> {
    input: Input<R>,
    /// Every member whose header was read, in archive order.
    seen: Vec<Member>,
    by_name: HashMap<String, usize>,
    /// Where the next unread header is.
    frontier: u64,
    open: Option<OpenMember>,
}

fn io_error(e: io::Error) -> ReadError {
    ReadError::from_io(e, "the archive")
}

impl<R: Read + Seek> Members<R> {
    /// Moves to `pos`; a position beyond the end means the archive is cut short.
    fn seek(&mut self, pos: u64, what: impl FnOnce() -> Where) -> Result<(), ReadError> {
        match self.input.seek_to(pos) {
            Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => Err(ReadError::Truncated {
                offset: self.input.known_end(),
                what: what(),
            }),
            other => other.map_err(io_error),
        }
    }

    fn truncated(&self, what: Where) -> ReadError {
        ReadError::Truncated {
            offset: self.input.pos() + self.input.available().len() as u64,
            what,
        }
    }

    /// Skips what is left of the open member, up to the end of its last block.
    fn close(&mut self) -> Result<(), ReadError> {
        let Some(open) = self.open.take() else {
            return Ok(());
        };
        let member = &self.seen[open.index];
        let end = member.end();
        let name = member.name.clone();
        if self.input.pos() == end {
            return Ok(());
        }
        if self.input.pos() > end {
            return self.seek(end, || Where::TarMember { name });
        }
        let want = end - self.input.pos();
        let skipped = self.input.skip(want).map_err(io_error)?;
        if skipped < want {
            return Err(self.truncated(Where::TarMember { name }));
        }
        Ok(())
    }

    /// Reads the next header at the frontier (skipping zero blocks); `None` at the end of the input. Leaves the
    /// input at the member's contents.
    fn next_header(&mut self) -> Result<Option<usize>, ReadError> {
        self.close()?;
        if self.input.pos() != self.frontier {
            self.seek(self.frontier, || Where::TarHeader)?;
        }
        loop {
            let at = self.input.pos();
            if !self.input.fill(TAR_BLOCK).map_err(io_error)? {
                if self.input.available().is_empty() {
                    return Ok(None);
                }
                return Err(self.truncated(Where::TarHeader));
            }
            let mut block = [0u8; TAR_BLOCK];
            block.copy_from_slice(&self.input.available()[..TAR_BLOCK]);
            let header = parse::tar_header(&block).map_err(|e| ReadError::from_parse(e, at))?;
            self.input.consume(TAR_BLOCK);
            self.frontier = self.input.pos();
            let Some(header) = header else { continue };
            let member = Member {
                name: header.name,
                data_start: self.input.pos(),
                size: header.size,
            };
            self.frontier = member.end();
            let index = self.seen.len();
            self.by_name.entry(member.name.clone()).or_insert(index);
            self.seen.push(member);
            return Ok(Some(index));
        }
    }

    /// The first member (after those already passed, when the input cannot seek) whose name `wanted` accepts.
    /// Members scanned past on the way are skipped. `dump_id` names the entry for an out-of-order error.
    fn find(
        &mut self,
        wanted: &dyn Fn(&str) -> bool,
        dump_id: Option<u32>,
    ) -> Result<Option<usize>, ReadError> {
        let seekable = self.input.seekable();
        if let Some(index) = self.seen.iter().position(|m| wanted(&m.name)) {
            let untouched = self.open.is_none() && self.input.pos() == self.seen[index].data_start;
            if seekable || untouched {
                return Ok(Some(index));
            }
            if let Some(dump_id) = dump_id {
                return Err(ReadError::OutOfOrder { dump_id });
            }
        }
        loop {
            let Some(index) = self.next_header()? else {
                return Ok(None);
            };
            if wanted(&self.seen[index].name) {
                return Ok(Some(index));
            }
        }
    }

    /// Opens member `index` for reading.
    fn open(&mut self, index: usize) -> Result<(), ReadError> {
        if self.open.is_some_and(|open| open.index == index)
            && self.input.pos() == self.seen[index].data_start
        {
            return Ok(());
        }
        self.close()?;
        let start = self.seen[index].data_start;
        if self.input.pos() != start {
            let name = self.seen[index].name.clone();
            self.seek(start, || Where::TarMember { name })?;
        }
        self.open = Some(OpenMember {
            index,
            left: self.seen[index].size,
        });
        Ok(())
    }

    /// Reads from the open member; 0 at its end.
    fn read_member(&mut self, out: &mut [u8]) -> Result<usize, ReadError> {
        let Some(open) = self.open else { return Ok(0) };
        if open.left == 0 || out.is_empty() {
            return Ok(0);
        }
        let want = out
            .len()
            .min(usize::try_from(open.left).unwrap_or(usize::MAX));
        let got = self.input.read_some(&mut out[..want]).map_err(io_error)?;
        if got == 0 {
            let name = self.seen[open.index].name.clone();
            return Err(self.truncated(Where::TarMember { name }));
        }
        self.open = Some(OpenMember {
            left: open.left - got as u64,
            ..open
        });
        Ok(got)
    }
}

/// The open member's contents as a byte stream.
struct MemberStream<'a, R> {
    members: &'a mut Members<R>,
}

impl<R: Read + Seek> Read for MemberStream<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.members.read_member(buf).map_err(ReadError::into_io)
    }
}

/// The `blob_<oid>.dat` members of a `BLOBS` entry.
struct TarObjects<'a, R> {
    members: &'a mut Members<R>,
    dump_id: u32,
    /// The member to return next, once known.
    next: Option<usize>,
    /// The member returned last.
    current: Option<usize>,
}

impl<R: Read + Seek> LoSource for TarObjects<'_, R> {
    fn next_object(&mut self) -> Result<Option<NextObject<'_>>, ReadError> {
        loop {
            let index = match (self.next.take(), self.current) {
                (Some(index), _) => index,
                (None, None) => return Ok(None),
                (None, Some(current)) => {
                    if current + 1 < self.members.seen.len() {
                        current + 1
                    } else {
                        match self.members.next_header()? {
                            Some(index) => index,
                            None => {
                                self.current = None;
                                return Ok(None);
                            }
                        }
                    }
                }
            };
            self.current = Some(index);
            let name = &self.members.seen[index].name;
            if !name.starts_with("blob_") {
                // The first member that is not a large object (the list file) ends the entry's objects.
                self.current = None;
                self.members.close()?;
                return Ok(None);
            }
            let Some(oid) = blob_oid(name) else { continue };
            self.members.open(index)?;
            let start = self.members.seen[index].data_start;
            let stream = MemberStream {
                members: &mut *self.members,
            };
            return Ok(Some((oid, start, decoder(Codec::None, stream))));
        }
    }

    fn dump_id(&self) -> u32 {
        self.dump_id
    }
}
