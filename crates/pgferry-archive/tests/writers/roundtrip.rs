//! Archives written by the real pg_dump (`tests/fixtures/archives`), read with pgferry's reader and written again
//! with the same header, TOC and data: uncompressed custom and directory archives come out byte for byte the
//! same, which checks every field the writers encode against pg_dump's own bytes. Compressed ones read back the
//! same.

use std::fs;
use std::io::{Cursor, Read};
use std::path::{Path, PathBuf};

use pgferry_archive::format::{ArchiveFormat, CompressionMethod};
use pgferry_archive::read::Archive;
use pgferry_archive::write::{
    ArchiveWriter, CustomWriter, DirectoryWriter, TarWriter, WriteError, WriteOptions,
};
use pgferry_archive::{desc, Toc};

fn fixture_path(name: &str) -> PathBuf {
    pgferry_testkit::fixtures_dir().join("archives").join(name)
}

/// The data streams of an archive, in TOC order, cut as pg_dump cuts them when writing uncompressed: one piece
/// per COPY row plus the `\.` trailer, and 16 KiB pieces of large objects.
enum Stream {
    Data(Vec<Vec<u8>>),
    Blobs(Vec<(u32, Vec<Vec<u8>>)>),
}

fn rows(bytes: &[u8]) -> Vec<Vec<u8>> {
    const TRAILER: &[u8] = b"\\.\n\n\n";
    let (body, trailer) = match bytes.strip_suffix(TRAILER) {
        Some(body) => (body, Some(TRAILER)),
        None => (bytes, None),
    };
    let mut pieces: Vec<Vec<u8>> = body
        .split_inclusive(|&b| b == b'\n')
        .map(<[u8]>::to_vec)
        .collect();
    pieces.extend(trailer.map(<[u8]>::to_vec));
    pieces
}

fn read_streams(archive: &mut Archive) -> Vec<(pgferry_archive::DumpId, Stream)> {
    let entries: Vec<_> = archive
        .toc()
        .entries
        .iter()
        .filter(|e| e.had_dumper)
        .map(|e| (e.dump_id, e.desc == desc::BLOBS))
        .collect();
    let mut streams = Vec::new();
    for (dump_id, blobs) in entries {
        if blobs {
            let mut objects = Vec::new();
            let mut los = archive.large_objects(dump_id).unwrap();
            while let Some(mut lo) = los.next_object().unwrap() {
                let mut bytes = Vec::new();
                lo.read_to_end(&mut bytes).unwrap();
                objects.push((lo.oid(), bytes.chunks(16384).map(<[u8]>::to_vec).collect()));
            }
            streams.push((dump_id, Stream::Blobs(objects)));
        } else {
            let mut bytes = Vec::new();
            archive
                .data(dump_id)
                .unwrap()
                .read_to_end(&mut bytes)
                .unwrap();
            streams.push((dump_id, Stream::Data(rows(&bytes))));
        }
    }
    streams
}

fn write_streams(
    writer: &mut dyn ArchiveWriter,
    streams: &[(pgferry_archive::DumpId, Stream)],
) -> Result<(), WriteError> {
    for (dump_id, stream) in streams {
        match stream {
            Stream::Data(pieces) => {
                let mut sink = writer.start_data(*dump_id)?;
                for piece in pieces {
                    sink.write_chunk(piece)?;
                }
                sink.finish()?;
            }
            Stream::Blobs(objects) => {
                let mut sink = writer.start_blobs(*dump_id)?;
                for (oid, pieces) in objects {
                    sink.start_blob(*oid)?;
                    for piece in pieces {
                        sink.write_chunk(piece)?;
                    }
                    sink.end_blob()?;
                }
                sink.finish()?;
            }
        }
    }
    Ok(())
}

/// Reads `path` and writes it again as `format` into `out` (a file or a directory).
fn rewrite(path: &Path, format: ArchiveFormat, seekable: bool, out: &Path) -> (Toc, Vec<u8>) {
    let mut archive = Archive::open(path).unwrap();
    let streams = read_streams(&mut archive);
    let (header, toc) = archive.into_toc();
    let mut options = WriteOptions::like(&header);
    options.sync = false;
    if format == ArchiveFormat::Tar {
        options.compression = pgferry_archive::format::Compression::NONE;
    }
    let bytes = match format {
        ArchiveFormat::Custom if seekable => {
            let mut writer = CustomWriter::new(Cursor::new(Vec::new()), &toc, &options).unwrap();
            write_streams(&mut writer, &streams).unwrap();
            writer.finish().unwrap().into_inner()
        }
        ArchiveFormat::Custom => {
            let mut writer = CustomWriter::new_unseekable(Vec::new(), &toc, &options).unwrap();
            write_streams(&mut writer, &streams).unwrap();
            writer.finish().unwrap()
        }
        ArchiveFormat::Tar => {
            let mut writer = TarWriter::new(Cursor::new(Vec::new()), &toc, &options).unwrap();
            write_streams(&mut writer, &streams).unwrap();
            writer.finish().unwrap().into_inner()
        }
        ArchiveFormat::Directory => {
            let mut writer = DirectoryWriter::create(out, &toc, &options).unwrap();
            write_streams(&mut writer, &streams).unwrap();
            writer.finish().unwrap();
            Vec::new()
        }
        ArchiveFormat::Plain => unreachable!(),
    };
    if format != ArchiveFormat::Directory {
        fs::write(out, &bytes).unwrap();
    }
    (toc, bytes)
}

#[test]
fn uncompressed_custom_archives_are_rewritten_byte_for_byte() {
    let tmp = tempfile::tempdir().unwrap();
    for (name, seekable) in [
        ("v15_c_z0.dump", true),
        ("v16_c_z0.dump", true),
        ("v17_c_z0.dump", true),
        ("v18_c_z0.dump", true),
        ("v18_stats.dump", true),
        ("bigoid.dump", true),
        ("v15_c_z0_pipe.dump", false),
        ("v18_c_z0_pipe.dump", false),
    ] {
        let original = fs::read(fixture_path(name)).unwrap();
        let (_, written) = rewrite(
            &fixture_path(name),
            ArchiveFormat::Custom,
            seekable,
            &tmp.path().join(name),
        );
        if written != original {
            let at = written
                .iter()
                .zip(&original)
                .position(|(a, b)| a != b)
                .unwrap_or(written.len().min(original.len()));
            panic!(
                "{name}: the rewritten archive differs from pg_dump's at byte {at} (lengths {} and {})",
                written.len(),
                original.len()
            );
        }
    }
}

#[test]
fn uncompressed_directory_archives_are_rewritten_file_for_file() {
    let tmp = tempfile::tempdir().unwrap();
    for name in ["v15_d_z0", "v16_d_z0", "v17_d_z0", "v18_d_z0"] {
        let out = tmp.path().join(name);
        rewrite(&fixture_path(name), ArchiveFormat::Directory, true, &out);
        let mut names: Vec<String> = fs::read_dir(fixture_path(name))
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        names.sort();
        let mut ours: Vec<String> = fs::read_dir(&out)
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        ours.sort();
        assert_eq!(ours, names, "{name}");
        for file in names {
            assert!(
                fs::read(out.join(&file)).unwrap()
                    == fs::read(fixture_path(name).join(&file)).unwrap(),
                "{name}/{file} differs"
            );
        }
    }
}

/// The members of a tar archive: (name, contents).
fn tar_members(bytes: &[u8]) -> Vec<(String, Vec<u8>)> {
    let mut members = Vec::new();
    let mut pos = 0;
    while pos + 512 <= bytes.len() && bytes[pos] != 0 {
        let header = &bytes[pos..pos + 512];
        let name_end = header.iter().position(|&b| b == 0).unwrap();
        let name = String::from_utf8(header[..name_end].to_vec()).unwrap();
        let size = u64::from_str_radix(std::str::from_utf8(&header[124..135]).unwrap(), 8).unwrap()
            as usize;
        members.push((name, bytes[pos + 512..pos + 512 + size].to_vec()));
        pos += 512 + size.div_ceil(512) * 512;
    }
    members
}

#[test]
fn tar_archives_are_rewritten_member_for_member() {
    let tmp = tempfile::tempdir().unwrap();
    for name in ["v15_t.tar", "v16_t.tar", "v17_t.tar", "v18_t.tar"] {
        let original = tar_members(&fs::read(fixture_path(name)).unwrap());
        let (_, written) = rewrite(
            &fixture_path(name),
            ArchiveFormat::Tar,
            true,
            &tmp.path().join(name),
        );
        let written = tar_members(&written);
        let names = |m: &[(String, Vec<u8>)]| m.iter().map(|(n, _)| n.clone()).collect::<Vec<_>>();
        assert_eq!(names(&written), names(&original), "{name}");
        // restore.sql is ours (and has no `\restrict` lines); every other member is pg_dump's.
        for ((member, ours), (_, theirs)) in written.iter().zip(&original) {
            if member != "restore.sql" {
                assert!(ours == theirs, "{name}: member {member} differs");
            }
        }
    }
}

#[test]
fn compressed_archives_are_rewritten_and_read_back_the_same() {
    let tmp = tempfile::tempdir().unwrap();
    for (name, format) in [
        ("v15_c_def.dump", ArchiveFormat::Custom),
        ("v16_c_def.dump", ArchiveFormat::Custom),
        ("v18_c_def.dump", ArchiveFormat::Custom),
        ("v18_c_lz4.dump", ArchiveFormat::Custom),
        ("v18_c_zstd.dump", ArchiveFormat::Custom),
        ("lotest15.dump", ArchiveFormat::Custom),
        ("lotest18.dump", ArchiveFormat::Custom),
        ("v15_d_def", ArchiveFormat::Directory),
        ("v18_d_def", ArchiveFormat::Directory),
        ("v18_d_lz4", ArchiveFormat::Directory),
        ("v18_d_zstd", ArchiveFormat::Directory),
    ] {
        let out = tmp.path().join(name);
        let (toc, _) = rewrite(&fixture_path(name), format, true, &out);
        let mut original = Archive::open(fixture_path(name)).unwrap();
        let mut ours = Archive::open(&out).unwrap();
        assert_eq!(
            ours.header().compression,
            original.header().compression,
            "{name}"
        );
        assert_ne!(
            ours.header().compression.method,
            CompressionMethod::None,
            "{name}"
        );
        let strip = |toc: &Toc| {
            let mut toc = toc.clone();
            for e in &mut toc.entries {
                e.data_location = Default::default();
            }
            toc
        };
        assert_eq!(strip(ours.toc()), strip(&toc), "{name}");
        let a = read_streams(&mut original);
        let b = read_streams(&mut ours);
        assert_eq!(a.len(), b.len());
        for ((id, x), (_, y)) in a.iter().zip(&b) {
            let same = match (x, y) {
                (Stream::Data(x), Stream::Data(y)) => x == y,
                (Stream::Blobs(x), Stream::Blobs(y)) => x == y,
                _ => false,
            };
            assert!(same, "{name}: the data of entry {id} differs");
        }
    }
}
