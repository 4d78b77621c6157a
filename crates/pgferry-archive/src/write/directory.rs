//! The directory format (`-Fd`): `toc.dat`, `<dumpid>.dat[.gz|.lz4|.zst]` per data entry, and per BLOBS entry
//! `blob_<oid>.dat[...]` files listed in `blobs.toc` (up to 1.15) or `blobs_<dumpid>.toc` (1.16).
//!
//! Data files are written under a temporary name (`.partial`) and renamed when their stream is finished; a
//! stream dropped unfinished removes its file. `toc.dat` is written last, by [`DirectoryWriter::finish`], so a
//! directory without it is not an archive. Every data writer owns its file, so several can be written at once
//! from different threads.

use std::fs::{self, File};
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};

use super::compress::{StreamEncoder, StreamKind};
use super::encode::{archive_header, encode_header, encode_toc_count, encode_toc_entry, TocExtra};
use super::validate::{validate, DataSlots};
use super::{ArchiveWriter, BlobSink, DataSink, DataStats, WriteError, WriteOptions};
use crate::format::{ArchiveFormat, ArchiveVersion, Compression};
use crate::toc::{DumpId, Toc};

/// Suffix of files being written.
const PARTIAL: &str = ".partial";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum SlotState {
    Pending,
    Open,
    Done,
}

#[derive(Debug)]
struct Shared {
    dir: PathBuf,
    version: ArchiveVersion,
    compression: Compression,
    sync: bool,
    toc_dat: Vec<u8>,
    slots: DataSlots,
    states: Mutex<Vec<SlotState>>,
}

impl Shared {
    fn states(&self) -> MutexGuard<'_, Vec<SlotState>> {
        self.states.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn open(&self, dump_id: DumpId, blobs: bool) -> Result<usize, WriteError> {
        let i = self.slots.find(dump_id, blobs)?;
        let mut states = self.states();
        match states[i] {
            SlotState::Pending => {
                states[i] = SlotState::Open;
                Ok(i)
            }
            SlotState::Open => Err(WriteError::StreamOpen(dump_id)),
            SlotState::Done => Err(WriteError::DataAlreadyWritten(dump_id)),
        }
    }

    fn set(&self, slot: usize, state: SlotState) {
        self.states()[slot] = state;
    }

    /// The name of a BLOBS entry's list of large objects.
    fn blobs_toc_name(&self, dump_id: DumpId) -> String {
        blobs_toc_name(self.version, dump_id)
    }
}

fn blobs_toc_name(version: ArchiveVersion, dump_id: DumpId) -> String {
    if version >= ArchiveVersion::V1_16 {
        format!("blobs_{dump_id}.toc")
    } else {
        "blobs.toc".to_owned()
    }
}

fn io_error(action: &str, path: &Path, e: std::io::Error) -> WriteError {
    WriteError::io(format!("{action} \"{}\"", path.display()), e)
}

fn sync_dir(dir: &Path) -> Result<(), WriteError> {
    #[cfg(unix)]
    {
        File::open(dir)
            .and_then(|d| d.sync_all())
            .map_err(|e| io_error("syncing directory", dir, e))?;
    }
    #[cfg(not(unix))]
    let _ = dir;
    Ok(())
}

/// Writes a directory-format archive. Clones are handles to the same archive, so that workers on other threads
/// can start streams of their own.
#[derive(Debug, Clone)]
pub struct DirectoryWriter {
    shared: Arc<Shared>,
}

impl DirectoryWriter {
    /// Prepares directory `dir` (created, or an existing empty one, as pg_dump accepts) for `toc`. Nothing is
    /// written into it until data comes.
    pub fn create(
        dir: impl AsRef<Path>,
        toc: &Toc,
        options: &WriteOptions,
    ) -> Result<DirectoryWriter, WriteError> {
        let dir = dir.as_ref().to_path_buf();
        let version = options.version;
        super::compress::choose_version(
            ArchiveFormat::Directory,
            options.compression,
            Some(version),
        )?;
        let slots = validate(toc, ArchiveFormat::Directory, version)?;

        let header = archive_header(
            &toc.header,
            version,
            ArchiveFormat::Directory,
            options.compression,
            options.created,
        );
        let mut toc_dat = Vec::new();
        encode_header(&mut toc_dat, &header)?;
        encode_toc_count(&mut toc_dat, toc.entries.len())?;
        for entry in &toc.entries {
            let name = match slots.index.get(&entry.dump_id) {
                Some(&i) if slots.slots[i].blobs => blobs_toc_name(version, entry.dump_id),
                Some(_) => format!("{}.dat", entry.dump_id),
                None => String::new(),
            };
            encode_toc_entry(&mut toc_dat, entry, version, TocExtra::File(&name));
        }

        prepare_dir(&dir)?;
        let states = Mutex::new(vec![SlotState::Pending; slots.slots.len()]);
        Ok(DirectoryWriter {
            shared: Arc::new(Shared {
                dir,
                version,
                compression: options.compression,
                sync: options.sync,
                toc_dat,
                slots,
                states,
            }),
        })
    }

    /// The archive's directory.
    pub fn path(&self) -> &Path {
        &self.shared.dir
    }

    /// Start the data file of entry `dump_id` (not BLOBS). The writer is independent of this one and of the
    /// other entries' writers: it can go to another thread.
    pub fn start_data(&self, dump_id: DumpId) -> Result<DirectoryDataWriter, WriteError> {
        let shared = &self.shared;
        let slot = shared.open(dump_id, false)?;
        let name = format!("{dump_id}.dat{}", shared.compression.method.file_suffix());
        match DataFile::create(shared.dir.join(name), shared.compression) {
            Ok(file) => Ok(DirectoryDataWriter {
                shared: Arc::clone(shared),
                slot,
                file: Some(file),
            }),
            Err(e) => {
                shared.set(slot, SlotState::Pending);
                Err(e)
            }
        }
    }

    /// Start the large objects of the BLOBS entry `dump_id`.
    pub fn start_blobs(&self, dump_id: DumpId) -> Result<DirectoryBlobsWriter, WriteError> {
        let shared = &self.shared;
        let slot = shared.open(dump_id, true)?;
        let path = shared.dir.join(shared.blobs_toc_name(dump_id));
        let tmp = partial(&path);
        match File::create(&tmp) {
            Ok(file) => Ok(DirectoryBlobsWriter {
                shared: Arc::clone(shared),
                slot,
                dump_id,
                list: Some(BufWriter::new(file)),
                list_path: path,
                list_tmp: tmp,
                current: None,
                stats: DataStats::default(),
                done: false,
            }),
            Err(e) => {
                shared.set(slot, SlotState::Pending);
                Err(io_error("creating", &tmp, e))
            }
        }
    }

    /// Complete the archive: every entry with data must be done, and no stream may still be open. Writes
    /// `toc.dat` (and syncs the directory when asked to).
    pub fn finish(self) -> Result<PathBuf, WriteError> {
        let shared = &self.shared;
        {
            let states = shared.states();
            if let Some(i) = states.iter().position(|s| *s == SlotState::Open) {
                return Err(WriteError::StreamOpen(shared.slots.slots[i].dump_id));
            }
            let missing: Vec<DumpId> = states
                .iter()
                .zip(&shared.slots.slots)
                .filter(|(s, _)| **s == SlotState::Pending)
                .map(|(_, slot)| slot.dump_id)
                .collect();
            if !missing.is_empty() {
                return Err(WriteError::MissingData(missing));
            }
        }
        let path = shared.dir.join("toc.dat");
        let tmp = partial(&path);
        let mut file = File::create(&tmp).map_err(|e| io_error("creating", &tmp, e))?;
        file.write_all(&shared.toc_dat)
            .and_then(|()| if shared.sync { file.sync_all() } else { Ok(()) })
            .map_err(|e| io_error("writing", &tmp, e))?;
        drop(file);
        fs::rename(&tmp, &path).map_err(|e| io_error("renaming", &tmp, e))?;
        if shared.sync {
            sync_dir(&shared.dir)?;
        }
        Ok(shared.dir.clone())
    }
}

/// An existing empty directory, or a new one (mode 0700, as pg_dump makes it).
fn prepare_dir(dir: &Path) -> Result<(), WriteError> {
    match fs::read_dir(dir) {
        Ok(mut entries) => {
            if entries.next().is_some() {
                return Err(io_error(
                    "writing a directory archive into",
                    dir,
                    std::io::Error::new(
                        std::io::ErrorKind::AlreadyExists,
                        "the directory exists and is not empty",
                    ),
                ));
            }
            Ok(())
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            let mut builder = fs::DirBuilder::new();
            #[cfg(unix)]
            std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
            builder
                .create(dir)
                .map_err(|e| io_error("creating directory", dir, e))
        }
        Err(e) => Err(io_error("reading directory", dir, e)),
    }
}

fn partial(path: &Path) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(PARTIAL);
    PathBuf::from(name)
}

/// One compressed file being written under its `.partial` name.
#[derive(Debug)]
struct DataFile {
    path: PathBuf,
    tmp: PathBuf,
    out: Option<BufWriter<File>>,
    encoder: Option<StreamEncoder>,
    stored: u64,
}

impl DataFile {
    fn create(path: PathBuf, compression: Compression) -> Result<DataFile, WriteError> {
        let encoder = StreamEncoder::new(compression, StreamKind::File)?;
        let tmp = partial(&path);
        let file = File::create(&tmp).map_err(|e| io_error("creating", &tmp, e))?;
        Ok(DataFile {
            path,
            tmp,
            out: Some(BufWriter::with_capacity(64 * 1024, file)),
            encoder: Some(encoder),
            stored: 0,
        })
    }

    fn raw_bytes(&self) -> u64 {
        self.encoder.as_ref().map_or(0, |e| e.raw_bytes())
    }

    fn put(&mut self, bytes: &[u8]) -> Result<(), WriteError> {
        let out = self.out.as_mut().expect("an open data file");
        out.write_all(bytes)
            .map_err(|e| io_error("writing", &self.tmp, e))?;
        self.stored += bytes.len() as u64;
        Ok(())
    }

    fn write(&mut self, data: &[u8]) -> Result<(), WriteError> {
        let encoder = self.encoder.as_mut().expect("an open data file");
        encoder.write(data)?;
        if !encoder.output().is_empty() {
            let pending = encoder.take_output();
            self.put(&pending)?;
        }
        Ok(())
    }

    /// Ends the stream, flushes, syncs if asked, and renames the file to its real name. Returns (raw, stored).
    /// On failure the partial file is removed.
    fn finish(mut self, sync: bool) -> Result<(u64, u64), WriteError> {
        let result = self.complete(sync);
        if result.is_err() {
            let _ = fs::remove_file(&self.tmp);
        }
        result
    }

    fn complete(&mut self, sync: bool) -> Result<(u64, u64), WriteError> {
        let encoder = self.encoder.take().expect("an open data file");
        let raw = encoder.raw_bytes();
        let rest = encoder.finish()?;
        self.put(&rest)?;
        let out = self.out.take().expect("an open data file");
        let file = out
            .into_inner()
            .map_err(|e| io_error("writing", &self.tmp, e.into_error()))?;
        if sync {
            file.sync_all()
                .map_err(|e| io_error("syncing", &self.tmp, e))?;
        }
        drop(file);
        fs::rename(&self.tmp, &self.path).map_err(|e| io_error("renaming", &self.tmp, e))?;
        Ok((raw, self.stored))
    }
}

impl Drop for DataFile {
    fn drop(&mut self) {
        if self.out.take().is_some() {
            // Unfinished: leave nothing that could pass for data.
            let _ = fs::remove_file(&self.tmp);
        }
    }
}

/// The data file of one entry of a [`DirectoryWriter`]. `Send`: it can be written from any thread. Dropping it
/// without [`finish`](DirectoryDataWriter::finish) removes the partial file; the entry can then be started again.
#[derive(Debug)]
pub struct DirectoryDataWriter {
    shared: Arc<Shared>,
    slot: usize,
    file: Option<DataFile>,
}

impl DirectoryDataWriter {
    /// The entry.
    pub fn dump_id(&self) -> DumpId {
        self.shared.slots.slots[self.slot].dump_id
    }

    /// Append bytes to the stream.
    pub fn write_chunk(&mut self, chunk: &[u8]) -> Result<(), WriteError> {
        self.file.as_mut().expect("an open data file").write(chunk)
    }

    /// End the stream and give the file its real name.
    pub fn finish(mut self) -> Result<DataStats, WriteError> {
        let file = self.file.take().expect("a data file is finished once");
        let result = file.finish(self.shared.sync);
        let (raw_bytes, stored_bytes) = match result {
            Ok(sizes) => sizes,
            Err(e) => {
                self.shared.set(self.slot, SlotState::Pending);
                return Err(e);
            }
        };
        self.shared.set(self.slot, SlotState::Done);
        Ok(DataStats {
            raw_bytes,
            stored_bytes,
            blobs: 0,
        })
    }
}

impl Drop for DirectoryDataWriter {
    fn drop(&mut self) {
        if self.file.take().is_some() {
            self.shared.set(self.slot, SlotState::Pending);
        }
    }
}

impl Write for DirectoryDataWriter {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.write_chunk(buf).map_err(std::io::Error::other)?;
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl DataSink for DirectoryDataWriter {
    fn write_chunk(&mut self, chunk: &[u8]) -> Result<(), WriteError> {
        DirectoryDataWriter::write_chunk(self, chunk)
    }

    fn finish(self: Box<Self>) -> Result<DataStats, WriteError> {
        DirectoryDataWriter::finish(*self)
    }
}

/// The large objects of one BLOBS entry of a [`DirectoryWriter`]: one file per object, and the list of them.
#[derive(Debug)]
pub struct DirectoryBlobsWriter {
    shared: Arc<Shared>,
    slot: usize,
    dump_id: DumpId,
    list: Option<BufWriter<File>>,
    list_path: PathBuf,
    list_tmp: PathBuf,
    current: Option<(u32, DataFile)>,
    stats: DataStats,
    done: bool,
}

impl DirectoryBlobsWriter {
    fn sequence(&self, reason: &str) -> WriteError {
        WriteError::BlobSequence {
            dump_id: self.dump_id,
            reason: reason.to_owned(),
        }
    }

    /// Begin large object `oid`.
    pub fn start_blob(&mut self, oid: u32) -> Result<(), WriteError> {
        if self.current.is_some() {
            return Err(self.sequence("start_blob while another large object is open"));
        }
        if oid == 0 {
            return Err(self.sequence("OID 0 is not a large object"));
        }
        let shared = &self.shared;
        let name = format!("blob_{oid}.dat{}", shared.compression.method.file_suffix());
        let file = DataFile::create(shared.dir.join(name), shared.compression)?;
        self.current = Some((oid, file));
        Ok(())
    }

    /// Append bytes to the current large object.
    pub fn write_chunk(&mut self, chunk: &[u8]) -> Result<(), WriteError> {
        match self.current.as_mut() {
            Some((_, file)) => file.write(chunk),
            None => Err(self.sequence("data must follow start_blob")),
        }
    }

    /// End the current large object and list it.
    pub fn end_blob(&mut self) -> Result<(), WriteError> {
        let Some((oid, file)) = self.current.take() else {
            return Err(self.sequence("end_blob without start_blob"));
        };
        let raw = file.raw_bytes();
        let (_, stored) = file.finish(self.shared.sync)?;
        self.stats.raw_bytes += raw;
        self.stats.stored_bytes += stored;
        self.stats.blobs += 1;
        let list = self.list.as_mut().expect("an open large-object list");
        writeln!(list, "{oid} blob_{oid}.dat").map_err(|e| io_error("writing", &self.list_tmp, e))
    }

    /// A whole large object.
    pub fn write_blob(&mut self, oid: u32, bytes: &[u8]) -> Result<(), WriteError> {
        self.start_blob(oid)?;
        self.write_chunk(bytes)?;
        self.end_blob()
    }

    /// End the entry: the list of large objects gets its real name.
    pub fn finish(mut self) -> Result<DataStats, WriteError> {
        if self.current.is_some() {
            return Err(self.sequence("finish while a large object is open"));
        }
        let list = self.list.take().expect("a BLOBS entry is finished once");
        let file = list
            .into_inner()
            .map_err(|e| io_error("writing", &self.list_tmp, e.into_error()))?;
        if self.shared.sync {
            file.sync_all()
                .map_err(|e| io_error("syncing", &self.list_tmp, e))?;
        }
        drop(file);
        fs::rename(&self.list_tmp, &self.list_path)
            .map_err(|e| io_error("renaming", &self.list_tmp, e))?;
        self.done = true;
        self.shared.set(self.slot, SlotState::Done);
        self.stats.stored_bytes += fs::metadata(&self.list_path).map_or(0, |m| m.len());
        Ok(self.stats)
    }
}

impl Drop for DirectoryBlobsWriter {
    fn drop(&mut self) {
        if !self.done {
            self.list.take();
            let _ = fs::remove_file(&self.list_tmp);
            self.shared.set(self.slot, SlotState::Pending);
        }
    }
}

impl BlobSink for DirectoryBlobsWriter {
    fn start_blob(&mut self, oid: u32) -> Result<(), WriteError> {
        DirectoryBlobsWriter::start_blob(self, oid)
    }

    fn write_chunk(&mut self, chunk: &[u8]) -> Result<(), WriteError> {
        DirectoryBlobsWriter::write_chunk(self, chunk)
    }

    fn end_blob(&mut self) -> Result<(), WriteError> {
        DirectoryBlobsWriter::end_blob(self)
    }

    fn finish(self: Box<Self>) -> Result<DataStats, WriteError> {
        DirectoryBlobsWriter::finish(*self)
    }
}

impl ArchiveWriter for DirectoryWriter {
    fn start_data(&mut self, dump_id: DumpId) -> Result<Box<dyn DataSink + '_>, WriteError> {
        Ok(Box::new(DirectoryWriter::start_data(self, dump_id)?))
    }

    fn start_blobs(&mut self, dump_id: DumpId) -> Result<Box<dyn BlobSink + '_>, WriteError> {
        Ok(Box::new(DirectoryWriter::start_blobs(self, dump_id)?))
    }

    fn finish_archive(self: Box<Self>) -> Result<(), WriteError> {
        DirectoryWriter::finish(*self).map(drop)
    }
}
