//! Writing the archive formats (custom, directory, tar) with data, serially on the dump's session.
//!
//! The archive writers of `pgferry_archive::write` are synchronous and compress as they write, so they run on a
//! blocking thread that owns the writer. The dump's task reads the data entries in TOC order (COPY chunks,
//! INSERT statements, large object contents) and sends them through a bounded channel: memory stays bounded
//! whatever the table size, and compression runs off the async threads.
//!
//! The planner writes large objects as archive version 1.16 does (`BLOB METADATA` groups). pgferry writes 1.14
//! by default (1.15 for lz4 and zstd) so that older pg_restore releases read its archives; [`blobs_as_v114`]
//! turns the groups into what those versions hold: one `BLOB` entry per large object in pre-data, per-object
//! ACLs, and one `BLOBS` entry with all the contents.

use std::collections::HashMap;
use std::fs::File;
use std::future::Future;
use std::io::{self, BufWriter, Write};
use std::path::PathBuf;

use bytes::Bytes;
use pgferry_archive::format::{ArchiveFormat, ArchiveVersion};
use pgferry_archive::write::{
    ArchiveWriter, CustomWriter, DirectoryWriter, TarWriter, WriteError, WriteOptions,
};
use pgferry_archive::{desc, DumpId, Section, Toc, TocEntry};
use pgferry_catalog::Oid;
use tokio::sync::mpsc;

use crate::data::{DataWriter, Output};
use crate::DumpError;

/// Where an archive goes.
pub enum ArchiveTarget {
    /// A regular file (custom or tar): the custom TOC is rewritten with data offsets at the end.
    File(File),
    /// An output that cannot seek (custom or tar): stdout, a pipe.
    Stream(Box<dyn Write + Send>),
    /// A directory (directory format): created, or an existing empty one. On failure what pgferry wrote into
    /// it is removed; `toc.dat` is written last in any case.
    Directory(PathBuf),
}

impl std::fmt::Debug for ArchiveTarget {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ArchiveTarget::File(file) => f.debug_tuple("File").field(file).finish(),
            ArchiveTarget::Stream(_) => f.write_str("Stream"),
            ArchiveTarget::Directory(dir) => f.debug_tuple("Directory").field(dir).finish(),
        }
    }
}

/// Data is sent to the writer thread in chunks of about this size.
pub(crate) const CHUNK: usize = 64 * 1024;
/// Chunks in flight between the dump's task and the writer thread.
pub(crate) const CHANNEL_DEPTH: usize = 16;

pub(crate) enum Message {
    /// The data stream of a TABLE DATA entry starts.
    Data(DumpId),
    /// The large objects of a BLOBS entry start.
    Blobs(DumpId),
    /// One large object starts.
    BlobStart(Oid),
    /// Bytes of the current stream or large object (a handle: a streamer hands the same chunk to its consumer).
    Chunk(Bytes),
    /// The current large object ends.
    BlobEnd,
    /// The current stream ends.
    End,
}

/// Sends what the data writer produces to the writer thread, in chunks.
struct ChannelOutput<'a> {
    sender: &'a mpsc::Sender<Message>,
    buffer: Vec<u8>,
}

impl ChannelOutput<'_> {
    async fn flush(&mut self) -> io::Result<()> {
        if self.buffer.is_empty() {
            return Ok(());
        }
        let chunk = std::mem::replace(&mut self.buffer, Vec::with_capacity(CHUNK));
        send(self.sender, Message::Chunk(Bytes::from(chunk))).await
    }
}

impl Output for ChannelOutput<'_> {
    #[allow(clippy::manual_async_fn)]
    fn put(&mut self, bytes: &[u8]) -> impl Future<Output = io::Result<()>> + Send {
        async move {
            self.buffer.extend_from_slice(bytes);
            if self.buffer.len() >= CHUNK {
                self.flush().await?;
            }
            Ok(())
        }
    }
}

pub(crate) async fn send(sender: &mpsc::Sender<Message>, message: Message) -> io::Result<()> {
    sender
        .send(message)
        .await
        .map_err(|_| io::Error::other("the archive writer stopped"))
}

/// One data stream of the archive: a `TABLE DATA` entry's rows, or a `BLOBS` entry's large objects.
pub(crate) struct Stream {
    /// The entry.
    pub(crate) id: DumpId,
    /// For a BLOBS entry, its large objects.
    pub(crate) large_objects: Option<Vec<Oid>>,
}

/// The archive's TOC (large objects as the archive version holds them) and its data streams, in TOC order.
pub(crate) fn data_streams(
    toc: Toc,
    options: &WriteOptions,
    data: &DataWriter<'_>,
) -> (Toc, Vec<Stream>) {
    // The merged BLOBS entry of a 1.14/1.15 archive carries the large objects of every group.
    let mut blobs: HashMap<DumpId, Vec<Oid>> = HashMap::new();
    let toc = if options.version < ArchiveVersion::V1_16 {
        blobs_as_v114(toc, &mut blobs, data)
    } else {
        for entry in toc.entries.iter().filter(|e| e.desc == desc::BLOBS) {
            blobs.insert(
                entry.dump_id,
                data.large_object_oids(entry.dump_id)
                    .unwrap_or_default()
                    .to_vec(),
            );
        }
        toc
    };
    let streams = toc
        .entries
        .iter()
        .filter(|e| e.had_dumper)
        .map(|e| Stream {
            id: e.dump_id,
            large_objects: (e.desc == desc::BLOBS)
                .then(|| blobs.remove(&e.dump_id).unwrap_or_default()),
        })
        .collect();
    (toc, streams)
}

/// Reads one stream's data on `data`'s session and sends it to a writer thread.
pub(crate) async fn send_stream(
    sender: &mpsc::Sender<Message>,
    data: &DataWriter<'_>,
    stream: &Stream,
) -> Result<(), DumpError> {
    let mut out = ChannelOutput {
        sender,
        buffer: Vec::with_capacity(CHUNK),
    };
    let counted = data.track(stream.id);
    match &stream.large_objects {
        Some(oids) => {
            send(sender, Message::Blobs(stream.id)).await?;
            for &oid in oids {
                send(sender, Message::BlobStart(oid)).await?;
                data.large_object_bytes(oid, &mut out, counted.as_ref())
                    .await?;
                out.flush().await?;
                send(sender, Message::BlobEnd).await?;
            }
        }
        None => {
            send(sender, Message::Data(stream.id)).await?;
            data.write(stream.id, &mut out, counted.as_ref()).await?;
            out.flush().await?;
        }
    }
    Ok(send(sender, Message::End).await?)
}

/// The outcome of a dump task that fed a writer thread, and of that thread.
pub(crate) fn combine(
    read: Result<(), DumpError>,
    written: Result<Result<(), WriteError>, tokio::task::JoinError>,
) -> Result<(), DumpError> {
    let written = written.map_err(|e| {
        DumpError::Write(io::Error::other(format!("the archive writer failed: {e}")))
    })?;
    match (read, written) {
        // The writer's own error explains why sending failed.
        (Err(DumpError::Write(_)), Err(error)) => Err(DumpError::Archive(error)),
        (Err(error), _) => Err(error),
        (Ok(()), Err(error)) => Err(DumpError::Archive(error)),
        (Ok(()), Ok(())) => Ok(()),
    }
}

/// Writes `toc` as an archive of `format` to `target`, the data of its data entries read through `data` in TOC
/// order, on its session.
pub(crate) async fn write_archive(
    toc: Toc,
    format: ArchiveFormat,
    options: WriteOptions,
    data: &DataWriter<'_>,
    target: ArchiveTarget,
) -> Result<(), DumpError> {
    let (sender, receiver) = mpsc::channel(CHANNEL_DEPTH);
    let (toc, streams) = data_streams(toc, &options, data);
    let cleanup = match &target {
        ArchiveTarget::Directory(dir) => Some(DirectoryCleanup::new(dir.clone())),
        _ => None,
    };
    let writer =
        tokio::task::spawn_blocking(move || run_writer(format, target, toc, options, receiver));
    let read = async {
        for stream in &streams {
            send_stream(&sender, data, stream).await?;
        }
        Ok::<(), DumpError>(())
    };
    let read = read.await;
    drop(sender);
    let result = combine(read, writer.await);
    if let Some(cleanup) = cleanup {
        if result.is_ok() {
            cleanup.keep();
        }
    }
    result
}

/// The writer thread: makes the writer, feeds it the streams as they come, and completes the archive.
fn run_writer(
    format: ArchiveFormat,
    target: ArchiveTarget,
    toc: Toc,
    options: WriteOptions,
    mut receiver: mpsc::Receiver<Message>,
) -> Result<(), WriteError> {
    match (format, target) {
        (ArchiveFormat::Directory, ArchiveTarget::Directory(dir)) => {
            let mut writer = DirectoryWriter::create(dir, &toc, &options)?;
            pump(&mut writer, &mut receiver)?;
            writer.finish()?;
        }
        (ArchiveFormat::Custom, ArchiveTarget::File(file)) => {
            let mut writer = CustomWriter::new(BufWriter::new(file), &toc, &options)?;
            pump(&mut writer, &mut receiver)?;
            flush(writer.finish()?)?;
        }
        (ArchiveFormat::Custom, ArchiveTarget::Stream(out)) => {
            let mut writer = CustomWriter::new_unseekable(BufWriter::new(out), &toc, &options)?;
            pump(&mut writer, &mut receiver)?;
            flush(writer.finish()?)?;
        }
        (ArchiveFormat::Tar, ArchiveTarget::File(file)) => {
            let mut writer = TarWriter::new(BufWriter::new(file), &toc, &options)?;
            pump(&mut writer, &mut receiver)?;
            flush(writer.finish()?)?;
        }
        (ArchiveFormat::Tar, ArchiveTarget::Stream(out)) => {
            let mut writer = TarWriter::new_unseekable(BufWriter::new(out), &toc, &options)?;
            pump(&mut writer, &mut receiver)?;
            flush(writer.finish()?)?;
        }
        (format, _) => {
            return Err(WriteError::UnsupportedByFormat {
                format,
                reason: "this output does not suit the format".into(),
            })
        }
    }
    Ok(())
}

fn flush<W: Write>(mut out: W) -> Result<(), WriteError> {
    out.flush().map_err(|source| WriteError::Io {
        context: "writing the archive".to_owned(),
        source,
    })
}

fn stopped(reason: &str) -> WriteError {
    WriteError::Io {
        context: "writing the archive".to_owned(),
        source: io::Error::other(reason.to_owned()),
    }
}

/// Feeds the writer every stream the dump's task sends. A stream cut short (the task failed) is dropped
/// unfinished, which abandons it.
pub(crate) fn pump(
    writer: &mut dyn ArchiveWriter,
    receiver: &mut mpsc::Receiver<Message>,
) -> Result<(), WriteError> {
    let cut = || stopped("the dump stopped in the middle of a data stream");
    while let Some(message) = receiver.blocking_recv() {
        match message {
            Message::Data(id) => {
                let mut sink = writer.start_data(id)?;
                loop {
                    match receiver.blocking_recv() {
                        Some(Message::Chunk(bytes)) => sink.write_chunk(&bytes)?,
                        Some(Message::End) => {
                            sink.finish()?;
                            break;
                        }
                        _ => return Err(cut()),
                    }
                }
            }
            Message::Blobs(id) => {
                let mut sink = writer.start_blobs(id)?;
                loop {
                    match receiver.blocking_recv() {
                        Some(Message::BlobStart(oid)) => sink.start_blob(oid)?,
                        Some(Message::Chunk(bytes)) => sink.write_chunk(&bytes)?,
                        Some(Message::BlobEnd) => sink.end_blob()?,
                        Some(Message::End) => {
                            sink.finish()?;
                            break;
                        }
                        _ => return Err(cut()),
                    }
                }
            }
            _ => return Err(stopped("unexpected message to the archive writer")),
        }
    }
    Ok(())
}

/// Removes what a failed dump wrote into its directory: the directory itself when pgferry created it, its
/// contents when it existed (empty) before.
pub(crate) struct DirectoryCleanup {
    dir: PathBuf,
    existed: bool,
    armed: bool,
}

impl DirectoryCleanup {
    pub(crate) fn new(dir: PathBuf) -> DirectoryCleanup {
        let existed = dir.is_dir();
        DirectoryCleanup {
            dir,
            existed,
            armed: true,
        }
    }

    pub(crate) fn keep(mut self) {
        self.armed = false;
    }
}

impl Drop for DirectoryCleanup {
    fn drop(&mut self) {
        if !self.armed {
            return;
        }
        if !self.existed {
            let _ = std::fs::remove_dir_all(&self.dir);
        } else if let Ok(entries) = std::fs::read_dir(&self.dir) {
            for entry in entries.flatten() {
                let path = entry.path();
                if path.is_dir() {
                    let _ = std::fs::remove_dir_all(&path);
                } else {
                    let _ = std::fs::remove_file(&path);
                }
            }
        }
    }
}

/// pg_largeobject_metadata's OID, the class of `BLOB` entries.
const PG_LARGEOBJECT_METADATA: Oid = 2613;

/// Turns the planner's 1.16-style large objects into what archive versions 1.12 to 1.15 hold, as pg_dump 16
/// writes them: one `BLOB` entry per large object (pre-data, just before the data section, with its comments,
/// labels and privileges), ACLs per object rather than per group, and a single `BLOBS` entry (tag `BLOBS`, no
/// owner, no dependencies) for all the contents, whose OIDs go into `blobs`.
pub(crate) fn blobs_as_v114(
    mut toc: Toc,
    blobs: &mut HashMap<DumpId, Vec<Oid>>,
    data: &DataWriter<'_>,
) -> Toc {
    if !toc
        .entries
        .iter()
        .any(|e| e.desc == desc::BLOB_METADATA || e.desc == desc::BLOBS)
    {
        return toc;
    }
    let mut next_id = toc.max_dump_id().0;
    let mut new_id = || {
        next_id += 1;
        DumpId(next_id)
    };
    let groups: HashMap<DumpId, Vec<Oid>> = toc
        .entries
        .iter()
        .filter(|e| e.desc == desc::BLOB_METADATA)
        .map(|e| {
            let oids = e
                .defn
                .as_deref()
                .unwrap_or_default()
                .lines()
                .filter_map(|l| l.trim().parse().ok())
                .collect();
            (e.dump_id, oids)
        })
        .collect();
    let mut by_oid: HashMap<Oid, DumpId> = HashMap::new();
    let mut large_object_entries: Vec<TocEntry> = Vec::new();
    let mut kept: Vec<TocEntry> = Vec::new();
    let mut merged: Option<usize> = None;
    for entry in std::mem::take(&mut toc.entries) {
        if entry.desc == desc::BLOB_METADATA {
            let oids = groups.get(&entry.dump_id).cloned().unwrap_or_default();
            for (i, oid) in oids.into_iter().enumerate() {
                let id = if i == 0 { entry.dump_id } else { new_id() };
                by_oid.insert(oid, id);
                let mut blob = TocEntry::new(id, desc::BLOB, oid.to_string(), Section::PreData);
                blob.table_oid = PG_LARGEOBJECT_METADATA;
                blob.oid = oid;
                blob.owner = entry.owner.clone();
                blob.defn = Some(format!("SELECT pg_catalog.lo_create('{oid}');\n"));
                blob.drop_stmt = Some(format!("SELECT pg_catalog.lo_unlink('{oid}');\n"));
                large_object_entries.push(blob);
            }
        } else if entry.desc == desc::BLOBS {
            let oids = data
                .large_object_oids(entry.dump_id)
                .unwrap_or_default()
                .to_vec();
            match merged {
                Some(at) => {
                    let id = kept[at].dump_id;
                    blobs.entry(id).or_default().extend(oids);
                }
                None => {
                    let mut all = TocEntry::new(entry.dump_id, desc::BLOBS, "BLOBS", Section::Data);
                    all.had_dumper = true;
                    blobs.insert(entry.dump_id, oids);
                    merged = Some(kept.len());
                    kept.push(all);
                }
            }
        } else if entry.tag.starts_with("LARGE OBJECTS ") && entry.desc == desc::ACL {
            // One ACL for a group: the first object's commands, repeated for each object.
            let oids = entry
                .dependencies
                .first()
                .and_then(|id| groups.get(id))
                .cloned()
                .unwrap_or_default();
            let first = oids.first().copied().unwrap_or_default();
            for (i, oid) in oids.into_iter().enumerate() {
                let mut acl = entry.clone();
                if i > 0 {
                    acl.dump_id = new_id();
                }
                acl.tag = format!("LARGE OBJECT {oid}");
                acl.defn = entry
                    .defn
                    .as_deref()
                    .map(|d| replace_large_object(d, first, oid));
                acl.dependencies = by_oid.get(&oid).copied().into_iter().collect();
                large_object_entries.push(acl);
            }
        } else if entry.tag.starts_with("LARGE OBJECT ") && entry.section == Section::None {
            let mut entry = entry;
            if let Some(id) = entry
                .tag
                .strip_prefix("LARGE OBJECT ")
                .and_then(|oid| oid.trim().parse::<Oid>().ok())
                .and_then(|oid| by_oid.get(&oid))
            {
                entry.dependencies = vec![*id];
            }
            large_object_entries.push(entry);
        } else {
            kept.push(entry);
        }
    }
    let at = kept
        .iter()
        .position(|e| e.section == Section::Data || e.section == Section::PostData)
        .unwrap_or(kept.len());
    kept.splice(at..at, large_object_entries);
    toc.entries = kept;
    toc
}

/// `LARGE OBJECT <from>` becomes `LARGE OBJECT <to>` (whole OIDs only).
fn replace_large_object(text: &str, from: Oid, to: Oid) -> String {
    let needle = format!("LARGE OBJECT {from}");
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find(&needle) {
        let after = &rest[at + needle.len()..];
        out.push_str(&rest[..at]);
        if after.starts_with(|c: char| c.is_ascii_digit()) {
            out.push_str(&needle);
        } else {
            out.push_str(&format!("LARGE OBJECT {to}"));
        }
        rest = after;
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn large_object_oids_are_replaced_whole() {
        assert_eq!(
            replace_large_object(
                "GRANT SELECT ON LARGE OBJECT 16500 TO a;\nLARGE OBJECT 165001",
                16500,
                16501
            ),
            "GRANT SELECT ON LARGE OBJECT 16501 TO a;\nLARGE OBJECT 165001"
        );
    }
}
