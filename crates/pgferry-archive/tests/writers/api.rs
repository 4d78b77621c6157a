//! How the writers behave, without a server: misuse is refused, abandoned streams leave nothing that looks
//! complete, unseekable output differs from seekable output only in the offsets.

use std::fs;
use std::io::Cursor;

use pgferry_archive::format::{ArchiveFormat, ArchiveVersion, Compression, CompressionMethod};
use pgferry_archive::write::{
    choose_version, parse_compression, BlockEncoder, CustomWriter, DirectoryWriter, TarWriter,
    WriteError, WriteOptions,
};
use pgferry_archive::DumpId;

use crate::fixture::{chunks, feed, fixture, options, Fixture, BLOBS, EMPTY_DATA, T_DATA};

const GZIP: Compression = Compression {
    method: CompressionMethod::Gzip,
    level: None,
};

fn custom_bytes(fx: &Fixture, options: &WriteOptions, seekable: bool) -> Vec<u8> {
    if seekable {
        let mut writer = CustomWriter::new(Cursor::new(Vec::new()), &fx.toc, options).unwrap();
        assert!(writer.is_seekable());
        feed(&mut writer, fx).unwrap();
        writer.finish().unwrap().into_inner()
    } else {
        let mut writer = CustomWriter::new_unseekable(Vec::new(), &fx.toc, options).unwrap();
        assert!(!writer.is_seekable());
        feed(&mut writer, fx).unwrap();
        writer.finish().unwrap()
    }
}

#[test]
fn unseekable_custom_output_differs_only_in_the_offsets() {
    for version in [ArchiveVersion::V1_14, ArchiveVersion::V1_16] {
        let fx = fixture(version);
        let options = options(version, GZIP);
        let seekable = custom_bytes(&fx, &options, true);
        let unseekable = custom_bytes(&fx, &options, false);
        assert_eq!(seekable.len(), unseekable.len());
        let differing: Vec<usize> = (0..seekable.len())
            .filter(|&i| seekable[i] != unseekable[i])
            .collect();
        // Three data entries, each with an offset of a flag and 8 bytes; the flags are 2 and 1.
        let flags: Vec<usize> = differing
            .iter()
            .copied()
            .filter(|&i| seekable[i] == 2 && unseekable[i] == 1)
            .collect();
        assert_eq!(flags.len(), 3, "{version}");
        for i in differing {
            let flag = flags.iter().rev().find(|&&f| f <= i).copied().unwrap();
            assert!(i - flag < 9, "byte {i} differs outside an offset field");
            assert!(unseekable[flag + 1..flag + 9].iter().all(|&b| b == 0));
        }
        // Each offset points at its block: type byte and dump id.
        for &flag in &flags {
            let pos = u64::from_le_bytes(seekable[flag + 1..flag + 9].try_into().unwrap()) as usize;
            assert!(matches!(seekable[pos], 1 | 3));
        }
    }
}

#[test]
fn unseekable_custom_output_needs_toc_order() {
    let fx = fixture(ArchiveVersion::V1_14);
    let options = options(ArchiveVersion::V1_14, Compression::NONE);
    let mut writer = CustomWriter::new_unseekable(Vec::new(), &fx.toc, &options).unwrap();
    let err = writer.start_data(EMPTY_DATA).unwrap_err();
    assert!(
        matches!(err, WriteError::OutOfOrder { got, expected, .. } if got == EMPTY_DATA && expected == T_DATA),
        "{err}"
    );
    // A seekable output takes any order.
    let mut writer = CustomWriter::new(Cursor::new(Vec::new()), &fx.toc, &options).unwrap();
    let mut sink = writer.start_data(EMPTY_DATA).unwrap();
    sink.write_chunk(b"\\.\n\n\n").unwrap();
    sink.finish().unwrap();
    let mut blobs = writer.start_blobs(BLOBS).unwrap();
    blobs.write_blob(1, b"x").unwrap();
    blobs.finish().unwrap();
    let mut sink = writer.start_data(T_DATA).unwrap();
    sink.write_chunk(&fx.copy_text).unwrap();
    sink.finish().unwrap();
    writer.finish().unwrap();
}

#[test]
fn abandoned_streams_stop_custom_and_tar_writers() {
    let fx = fixture(ArchiveVersion::V1_15);
    let options = options(ArchiveVersion::V1_15, GZIP);
    let mut writer = CustomWriter::new(Cursor::new(Vec::new()), &fx.toc, &options).unwrap();
    {
        let mut sink = writer.start_data(T_DATA).unwrap();
        sink.write_chunk(b"1\tx\n").unwrap();
        // dropped without finish
    }
    assert!(matches!(
        writer.start_data(EMPTY_DATA),
        Err(WriteError::Abandoned(T_DATA))
    ));
    assert!(matches!(
        writer.finish(),
        Err(WriteError::Abandoned(T_DATA))
    ));

    let options = options_none(ArchiveVersion::V1_15);
    for seekable in [true, false] {
        let mut writer = if seekable {
            TarWriter::new(Cursor::new(Vec::new()), &fx.toc, &options).unwrap()
        } else {
            TarWriter::new_unseekable(Cursor::new(Vec::new()), &fx.toc, &options).unwrap()
        };
        assert_eq!(writer.is_seekable(), seekable);
        let mut sink = writer.start_data(T_DATA).unwrap();
        sink.write_chunk(b"1\tx\n").unwrap();
        drop(sink);
        assert!(matches!(
            writer.finish(),
            Err(WriteError::Abandoned(T_DATA))
        ));
    }
}

fn options_none(version: ArchiveVersion) -> WriteOptions {
    options(version, Compression::NONE)
}

#[test]
fn every_data_entry_must_get_data() {
    let fx = fixture(ArchiveVersion::V1_16);
    let options = options_none(ArchiveVersion::V1_16);
    let mut writer = CustomWriter::new(Cursor::new(Vec::new()), &fx.toc, &options).unwrap();
    let mut sink = writer.start_data(T_DATA).unwrap();
    sink.write_chunk(&fx.copy_text).unwrap();
    sink.finish().unwrap();
    match writer.finish() {
        Err(WriteError::MissingData(ids)) => assert_eq!(ids, [EMPTY_DATA, BLOBS]),
        other => panic!("{other:?}"),
    }
    let writer = TarWriter::new(Cursor::new(Vec::new()), &fx.toc, &options).unwrap();
    assert!(matches!(writer.finish(), Err(WriteError::MissingData(_))));
    let dir = tempfile::tempdir().unwrap();
    let writer = DirectoryWriter::create(dir.path().join("d"), &fx.toc, &options).unwrap();
    assert!(matches!(writer.finish(), Err(WriteError::MissingData(_))));
    assert!(!dir.path().join("d/toc.dat").exists());
}

#[test]
fn wrong_entries_and_sequences_are_refused() {
    let fx = fixture(ArchiveVersion::V1_14);
    let options = options_none(ArchiveVersion::V1_14);
    let mut writer = CustomWriter::new(Cursor::new(Vec::new()), &fx.toc, &options).unwrap();
    assert!(matches!(
        writer.start_data(DumpId(10)),
        Err(WriteError::WrongEntry { .. })
    ));
    assert!(matches!(
        writer.start_data(DumpId(999)),
        Err(WriteError::UnknownEntry(_))
    ));
    assert!(matches!(
        writer.start_data(BLOBS),
        Err(WriteError::WrongEntry { .. })
    ));
    assert!(matches!(
        writer.start_blobs(T_DATA),
        Err(WriteError::WrongEntry { .. })
    ));
    let sink = writer.start_data(T_DATA).unwrap();
    sink.finish().unwrap();
    assert!(matches!(
        writer.start_data(T_DATA),
        Err(WriteError::DataAlreadyWritten(T_DATA))
    ));

    // A 1.16 tar group must start with the OID its tag names.
    let fx = fixture(ArchiveVersion::V1_16);
    let options = options_none(ArchiveVersion::V1_16);
    let mut writer = TarWriter::new(Cursor::new(Vec::new()), &fx.toc, &options).unwrap();
    for id in [T_DATA, EMPTY_DATA] {
        let mut sink = writer.start_data(id).unwrap();
        sink.write_chunk(b"\\.\n\n\n").unwrap();
        sink.finish().unwrap();
    }
    let mut blobs = writer.start_blobs(BLOBS).unwrap();
    assert!(matches!(
        blobs.start_blob(5),
        Err(WriteError::BlobSequence { .. })
    ));
}

#[test]
fn compression_must_fit_the_format_and_version() {
    let fx = fixture(ArchiveVersion::V1_14);
    let zstd = parse_compression("zstd:3").unwrap();
    let bad = options(ArchiveVersion::V1_14, zstd);
    let err = CustomWriter::new(Cursor::new(Vec::new()), &fx.toc, &bad).unwrap_err();
    assert!(matches!(
        err,
        WriteError::CompressionNeedsNewerVersion { .. }
    ));
    assert_eq!(
        choose_version(ArchiveFormat::Custom, zstd, None).unwrap(),
        ArchiveVersion::V1_15
    );
    let err = TarWriter::new(
        Cursor::new(Vec::new()),
        &fx.toc,
        &options(ArchiveVersion::V1_14, GZIP),
    )
    .unwrap_err();
    assert!(
        matches!(err, WriteError::UnsupportedByFormat { .. }),
        "{err}"
    );
    let auto = WriteOptions::new(ArchiveFormat::Directory, zstd, None).unwrap();
    assert_eq!(auto.version, ArchiveVersion::V1_15);
}

#[test]
fn seekable_and_spooled_tar_archives_are_identical() {
    for version in [ArchiveVersion::V1_14, ArchiveVersion::V1_16] {
        let fx = fixture(version);
        let options = options_none(version);
        let mut seekable = TarWriter::new(Cursor::new(Vec::new()), &fx.toc, &options).unwrap();
        feed(&mut seekable, &fx).unwrap();
        let seekable = seekable.finish().unwrap().into_inner();
        let mut spooled = TarWriter::new_unseekable(Vec::new(), &fx.toc, &options).unwrap();
        feed(&mut spooled, &fx).unwrap();
        let spooled = spooled.finish().unwrap();
        assert!(seekable == spooled, "{version}");
        assert_eq!(seekable.len() % 512, 0);
        assert!(seekable[seekable.len() - 1024..].iter().all(|&b| b == 0));
        // Members in order, named as pg_dump names them.
        let mut names = Vec::new();
        let mut pos = 0;
        while seekable[pos] != 0 {
            let header = &seekable[pos..pos + 512];
            let name_end = header.iter().position(|&b| b == 0).unwrap();
            names.push(String::from_utf8(header[..name_end].to_vec()).unwrap());
            let size = u64::from_str_radix(std::str::from_utf8(&header[124..135]).unwrap(), 8)
                .unwrap() as usize;
            pos += 512 + size.div_ceil(512) * 512;
        }
        let blobs_toc = if version >= ArchiveVersion::V1_16 {
            "blobs_32.toc"
        } else {
            "blobs.toc"
        };
        assert_eq!(
            names,
            [
                "toc.dat",
                "20.dat",
                "22.dat",
                "blob_424242.dat",
                "blob_424243.dat",
                "blob_3000000000.dat",
                blobs_toc,
                "restore.sql",
            ]
        );
        let text = String::from_utf8_lossy(&seekable);
        assert!(text.contains(
            "COPY s.t (a, b) FROM stdin;\n\\.\nCOPY s.t (a, b) FROM '$$PATH$$/20.dat';\n"
        ));
        assert!(text.contains("\\i $$PATH$$/32.dat\n"));
    }
}

#[test]
fn directory_streams_are_written_concurrently_and_renamed_when_finished() {
    for (version, compression, suffix, blobs_toc) in [
        (ArchiveVersion::V1_14, GZIP, ".gz", "blobs.toc"),
        (
            ArchiveVersion::V1_16,
            Compression {
                method: CompressionMethod::Lz4,
                level: None,
            },
            ".lz4",
            "blobs_32.toc",
        ),
        (ArchiveVersion::V1_15, Compression::NONE, "", "blobs.toc"),
    ] {
        let fx = fixture(version);
        let tmp = tempfile::tempdir().unwrap();
        let path = tmp.path().join("archive");
        let writer =
            DirectoryWriter::create(&path, &fx.toc, &options(version, compression)).unwrap();

        // An abandoned stream leaves no file, and the entry can start again.
        let mut sink = writer.start_data(T_DATA).unwrap();
        sink.write_chunk(b"1\tx\n").unwrap();
        assert!(matches!(
            writer.start_data(T_DATA),
            Err(WriteError::StreamOpen(T_DATA))
        ));
        drop(sink);
        assert_eq!(fs::read_dir(&path).unwrap().count(), 0);

        std::thread::scope(|scope| {
            let a = writer.start_data(T_DATA).unwrap();
            let b = writer.start_data(EMPTY_DATA).unwrap();
            assert!(matches!(
                writer.start_data(EMPTY_DATA),
                Err(WriteError::StreamOpen(EMPTY_DATA))
            ));
            let copy_text = &fx.copy_text;
            let ta = scope.spawn(move || {
                let mut a = a;
                for chunk in chunks(copy_text, 3) {
                    a.write_chunk(chunk).unwrap();
                }
                a.finish().unwrap()
            });
            let tb = scope.spawn(move || {
                let mut b = b;
                b.write_chunk(b"\\.\n\n\n").unwrap();
                b.finish().unwrap()
            });
            let stats = ta.join().unwrap();
            assert_eq!(stats.raw_bytes, copy_text.len() as u64);
            tb.join().unwrap();
        });
        let mut blobs = writer.start_blobs(BLOBS).unwrap();
        for (oid, bytes) in &fx.blobs {
            blobs.write_blob(*oid, bytes).unwrap();
        }
        let stats = blobs.finish().unwrap();
        assert_eq!(stats.blobs, 3);
        writer.finish().unwrap();

        let mut files: Vec<String> = fs::read_dir(&path)
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        files.sort();
        let mut expected = vec![
            format!("20.dat{suffix}"),
            format!("22.dat{suffix}"),
            format!("blob_3000000000.dat{suffix}"),
            format!("blob_424242.dat{suffix}"),
            format!("blob_424243.dat{suffix}"),
            blobs_toc.to_owned(),
            "toc.dat".to_owned(),
        ];
        expected.sort();
        assert_eq!(files, expected);
        assert_eq!(
            fs::read_to_string(path.join(blobs_toc)).unwrap(),
            "424242 blob_424242.dat\n424243 blob_424243.dat\n3000000000 blob_3000000000.dat\n"
        );
        let toc = fs::read(path.join("toc.dat")).unwrap();
        assert_eq!(&toc[..5], b"PGDMP");
        assert_eq!(toc[10], 3, "directory toc.dat has the tar format byte");
    }
}

#[test]
fn block_encoder_output_can_be_spliced_in() {
    // A block encoded on another thread (or spooled) and copied into the archive restores the same bytes as one
    // written through the writer.
    let fx = fixture(ArchiveVersion::V1_16);
    let options = options(ArchiveVersion::V1_16, GZIP);
    let direct = custom_bytes(&fx, &options, true);

    let mut spooled = Vec::new();
    let mut block = BlockEncoder::data(T_DATA, GZIP, &mut spooled).unwrap();
    for chunk in chunks(&fx.copy_text, 42) {
        block.push(chunk, &mut spooled).unwrap();
    }
    block.finish(&mut spooled).unwrap();

    let mut writer = CustomWriter::new(Cursor::new(Vec::new()), &fx.toc, &options).unwrap();
    assert!(writer
        .write_encoded_block(EMPTY_DATA, &mut &spooled[..])
        .is_err());
    let mut writer = CustomWriter::new(Cursor::new(Vec::new()), &fx.toc, &options).unwrap();
    writer
        .write_encoded_block(T_DATA, &mut &spooled[..])
        .unwrap();
    let mut sink = writer.start_data(EMPTY_DATA).unwrap();
    sink.write_chunk(b"\\.\n\n\n").unwrap();
    sink.finish().unwrap();
    let mut blobs = writer.start_blobs(BLOBS).unwrap();
    for (i, (oid, bytes)) in fx.blobs.iter().enumerate() {
        blobs.start_blob(*oid).unwrap();
        for chunk in chunks(bytes, i as u64) {
            blobs.write_chunk(chunk).unwrap();
        }
        blobs.end_blob().unwrap();
    }
    blobs.finish().unwrap();
    let spliced = writer.finish().unwrap().into_inner();
    assert!(spliced == direct);
}
