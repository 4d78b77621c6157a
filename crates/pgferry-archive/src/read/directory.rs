//! The directory format (`-Fd`, `pg_backup_directory.c`): `toc.dat`, one file per data entry
//! (`<dumpId>.dat[.gz|.lz4|.zst]`), and for large objects a list file (`blobs.toc` before 1.16,
//! `blobs_<dumpId>.toc` from 1.16) naming one `blob_<oid>.dat[...]` file per large object.
//!
//! As pg_restore does, a file is looked for under its name as the TOC gives it, then with `.gz`, `.lz4` and
//! `.zst`; the suffix found says how it is compressed.

use std::collections::HashMap;
use std::fs::File;
use std::io::{self, BufRead, BufReader, Read};
use std::path::{Path, PathBuf};

use crate::format::{ArchiveFormat, ArchiveVersion};
use crate::read::decompress::{decoder, Codec};
use crate::read::error::{Problem, ReadError, Where};
use crate::read::input::Input;
use crate::read::{
    data_entry, index_entries, read_toc, DataReader, LargeObjects, LoSource, NextObject,
};
use crate::toc::{ArchiveHeader, DataLocation, DumpId, Toc};

/// The suffixes a file may carry, in the order pg_restore tries them.
const SUFFIXES: [&str; 4] = ["", ".gz", ".lz4", ".zst"];

/// The longest line accepted in a large-object list file.
const MAX_LINE: u64 = 4096;

/// A directory-format archive being read.
#[derive(Debug)]
pub struct DirectoryArchive {
    dir: PathBuf,
    header: ArchiveHeader,
    toc: Toc,
    by_id: HashMap<u32, usize>,
}

/// Whether `name` is a plain file name: no directories, nothing that leads out of the archive directory.
fn check_name(name: &str) -> Result<(), ReadError> {
    let plain = !name.is_empty()
        && name != "."
        && name != ".."
        && !name.contains(['/', '\\', '\0'])
        && !Path::new(name).is_absolute();
    if plain {
        Ok(())
    } else {
        Err(ReadError::UnsafeName {
            name: name.to_owned(),
        })
    }
}

impl DirectoryArchive {
    /// Reads `toc.dat` (or `toc.dat.gz`, `.lz4`, `.zst`) of the archive directory `dir`.
    pub fn open(dir: impl AsRef<Path>) -> Result<DirectoryArchive, ReadError> {
        let dir = dir.as_ref().to_path_buf();
        let Some((file, name)) = find(&dir, "toc.dat")? else {
            return Err(ReadError::MissingFile {
                kind: "TOC",
                name: "toc.dat".to_owned(),
                dir,
            });
        };
        let mut input = Input::sequential(decoder(Codec::for_file_name(&name), file));
        let (mut header, toc) =
            read_toc(&mut input, ArchiveFormat::Directory, 0).map_err(|e| in_file(e, &name))?;
        header.format = ArchiveFormat::Directory;
        let by_id = index_entries(&toc);
        Ok(DirectoryArchive {
            dir,
            header,
            toc,
            by_id,
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

    /// The archive directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The name a missing file was expected under: with the suffix of the header's compression.
    fn expected_name(&self, name: &str) -> String {
        format!("{name}{}", self.header.compression.method.file_suffix())
    }

    /// The decompressed data of entry `dump_id` (not `BLOBS`).
    pub fn data(&mut self, dump_id: DumpId) -> Result<DataReader<'_>, ReadError> {
        let entry = data_entry(&self.toc, &self.by_id, dump_id, false)?;
        let DataLocation::File(name) = &entry.data_location else {
            return Err(ReadError::NoData {
                dump_id: dump_id.0,
                desc: entry.desc.clone(),
            });
        };
        check_name(name)?;
        let Some((file, found)) = find(&self.dir, name)? else {
            return Err(ReadError::MissingFile {
                kind: "data",
                name: self.expected_name(name),
                dir: self.dir.clone(),
            });
        };
        Ok(DataReader::new(
            decoder(Codec::for_file_name(&found), file),
            Where::File { name: found },
            0,
        ))
    }

    /// The large objects of the `BLOBS` entry `dump_id`, in the order of its list file.
    pub fn large_objects(&mut self, dump_id: DumpId) -> Result<LargeObjects<'_>, ReadError> {
        let entry = data_entry(&self.toc, &self.by_id, dump_id, true)?;
        // Before 1.16 there is one BLOBS entry, and its list is always blobs.toc.
        let list_name = if self.header.version < ArchiveVersion::V1_16 {
            "blobs.toc".to_owned()
        } else {
            match &entry.data_location {
                DataLocation::File(name) => name.clone(),
                _ => {
                    return Err(ReadError::NoData {
                        dump_id: dump_id.0,
                        desc: entry.desc.clone(),
                    })
                }
            }
        };
        check_name(&list_name)?;
        let Some((file, found)) = find(&self.dir, &list_name)? else {
            return Err(ReadError::MissingFile {
                kind: "large-object TOC",
                name: list_name,
                dir: self.dir.clone(),
            });
        };
        Ok(LargeObjects::new(Box::new(DirectoryObjects {
            dir: self.dir.clone(),
            suffix: self.header.compression.method.file_suffix(),
            list: BufReader::new(decoder(Codec::for_file_name(&found), file)),
            list_name: found,
            offset: 0,
            dump_id: dump_id.0,
        })))
    }
}

/// An error of reading the file `name` (`toc.dat`), said of that file.
fn in_file(error: ReadError, name: &str) -> ReadError {
    let part = |what: Where| Where::InFile {
        file: name.to_owned(),
        part: Box::new(what),
    };
    match error {
        ReadError::Truncated { offset, what } => ReadError::Truncated {
            offset,
            what: part(what),
        },
        ReadError::Corrupt {
            offset,
            what,
            problem,
        } => ReadError::Corrupt {
            offset,
            what: part(what),
            problem,
        },
        // The only way a TOC is not an archive at all: the first bytes are not PGDMP.
        ReadError::NotAnArchive(_) => {
            ReadError::NotAnArchive(format!("its {name} does not start with PGDMP"))
        }
        ReadError::Io { source, .. } => ReadError::Io {
            what: format!("file {name}"),
            source,
        },
        other => other,
    }
}

/// Opens `name` in `dir`, or the first of its compressed variants that exists. `None` when none does.
fn find(dir: &Path, name: &str) -> Result<Option<(File, String)>, ReadError> {
    for suffix in SUFFIXES {
        let candidate = format!("{name}{suffix}");
        let path = dir.join(&candidate);
        match File::open(&path) {
            Ok(file) => return Ok(Some((file, candidate))),
            Err(e) if e.kind() == io::ErrorKind::NotFound => continue,
            Err(source) => {
                return Err(ReadError::Io {
                    what: path.display().to_string(),
                    source,
                })
            }
        }
    }
    Ok(None)
}

/// Large objects listed in a `blobs.toc` file.
struct DirectoryObjects<'a> {
    dir: PathBuf,
    suffix: &'static str,
    list: BufReader<Box<dyn Read + 'a>>,
    list_name: String,
    offset: u64,
    dump_id: u32,
}

impl LoSource for DirectoryObjects<'_> {
    fn next_object(&mut self) -> Result<Option<NextObject<'_>>, ReadError> {
        let mut line = Vec::new();
        let what = || Where::File {
            name: self.list_name.clone(),
        };
        let got = (&mut self.list)
            .take(MAX_LINE)
            .read_until(b'\n', &mut line)
            .map_err(|e| ReadError::from_io(e, format!("file {}", self.list_name)))?;
        if got == 0 {
            return Ok(None);
        }
        let at = self.offset;
        self.offset += got as u64;
        let bad = |line: &[u8]| ReadError::Corrupt {
            offset: at,
            what: what(),
            problem: Problem::BadBlobsTocLine(String::from_utf8_lossy(line).into_owned()),
        };
        if line.last() != Some(&b'\n') && got as u64 == MAX_LINE {
            return Err(bad(&line));
        }
        let text = std::str::from_utf8(&line).map_err(|_| bad(&line))?;
        let mut words = text.split_ascii_whitespace();
        let (Some(oid), Some(name)) = (words.next(), words.next()) else {
            return Err(bad(&line));
        };
        let Ok(oid) = oid.parse::<u32>() else {
            return Err(bad(&line));
        };
        check_name(name)?;
        let Some((file, found)) = find(&self.dir, name)? else {
            return Err(ReadError::MissingFile {
                kind: "large-object data",
                name: format!("{name}{}", self.suffix),
                dir: self.dir.clone(),
            });
        };
        Ok(Some((oid, 0, decoder(Codec::for_file_name(&found), file))))
    }

    fn dump_id(&self) -> u32 {
        self.dump_id
    }
}
