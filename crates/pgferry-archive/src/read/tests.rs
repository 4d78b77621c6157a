//! The readers against real pg_dump archives (`tests/fixtures/archives`, built by `setup.sql` there) and against
//! damaged copies of them.

use std::collections::BTreeMap;
use std::io::{Cursor, Read};
use std::path::{Path, PathBuf};

use super::*;
use crate::format::{ArchiveVersion, CompressionMethod};
use crate::toc::{DataLocation, Section};

const AUTHORS: &str = "1\tAnn\n2\tBob\n\\.\n\n\n";
const BOOKS: &str = "1\t1\tAlpha\t9.99\n2\t2\tBeta\t\\N\n\\.\n\n\n";
const HELLO: &[u8] = b"hello large object";

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures/archives")
}

fn fixture(name: &str) -> PathBuf {
    fixtures().join(name)
}

/// Every archive fixture: custom and tar files, and directories.
fn all_fixtures() -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(fixtures())
        .expect("tests/fixtures/archives")
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n != "setup.sql")
        .collect();
    names.sort();
    assert!(names.len() >= 29, "fixtures missing: {names:?}");
    names
}

fn io(e: std::io::Error) -> ReadError {
    ReadError::from_io(e, "test data")
}

/// Table data by dump id, large objects by OID.
type Contents = (BTreeMap<u32, String>, BTreeMap<u32, Vec<u8>>);

/// Every data stream of the archive read in TOC order: table data as text by dump id, large objects by OID.
fn read_all(archive: &mut Archive) -> Result<Contents, ReadError> {
    let mut tables = BTreeMap::new();
    let mut objects = BTreeMap::new();
    let ids: Vec<(DumpId, bool)> = archive
        .toc()
        .entries
        .iter()
        .filter(|e| e.had_dumper)
        .map(|e| (e.dump_id, e.desc == desc::BLOBS))
        .collect();
    for (id, blobs) in ids {
        if blobs {
            let mut los = archive.large_objects(id)?;
            while let Some(mut lo) = los.next_object()? {
                let mut bytes = Vec::new();
                lo.read_to_end(&mut bytes).map_err(io)?;
                objects.insert(lo.oid(), bytes);
            }
        } else {
            let mut text = String::new();
            archive.data(id)?.read_to_string(&mut text).map_err(io)?;
            tables.insert(id.0, text);
        }
    }
    Ok((tables, objects))
}

fn expected_version(name: &str) -> ArchiveVersion {
    match &name[..3] {
        "v15" | "lot" if name.starts_with("lotest15") || name.starts_with("v15") => {
            ArchiveVersion::V1_14
        }
        "v16" => ArchiveVersion::V1_15,
        _ => ArchiveVersion::V1_16,
    }
}

#[test]
fn every_fixture_reads_completely() {
    for name in all_fixtures() {
        let path = fixture(&name);
        let mut archive = Archive::open(&path).unwrap_or_else(|e| panic!("{name}: {e}"));
        let header = archive.header().clone();
        assert_eq!(header.version, expected_version(&name), "{name}");
        assert_eq!((header.int_size, header.off_size), (4, 8), "{name}");
        let format = if path.is_dir() {
            ArchiveFormat::Directory
        } else if name.ends_with(".tar") {
            ArchiveFormat::Tar
        } else {
            ArchiveFormat::Custom
        };
        assert_eq!(archive.format(), format, "{name}");
        let method = if name.contains("_lz4") {
            CompressionMethod::Lz4
        } else if name.contains("_zstd") {
            CompressionMethod::Zstd
        } else if name.contains("_def") || name.starts_with("lotest") {
            CompressionMethod::Gzip
        } else {
            CompressionMethod::None
        };
        assert_eq!(header.compression.method, method, "{name}");
        let toc = archive.toc().clone();
        assert_eq!(toc.header.encoding, "UTF8", "{name}");
        assert!(toc.header.std_strings, "{name}");
        assert_eq!(toc.header.dbname, header.dbname.clone().unwrap(), "{name}");
        for entry in &toc.entries {
            match (&entry.data_location, format) {
                (DataLocation::None, _) => assert!(!entry.had_dumper, "{name}: {entry:?}"),
                (DataLocation::Offset(_), ArchiveFormat::Custom) => assert!(entry.had_dumper),
                (DataLocation::OffsetNotSet, ArchiveFormat::Custom) => {
                    assert!(name.ends_with("_pipe.dump"), "{name}")
                }
                (DataLocation::File(_), ArchiveFormat::Directory | ArchiveFormat::Tar) => {}
                (location, _) => panic!("{name}: {location:?} in {format:?}"),
            }
        }
        if name.ends_with("_pipe.dump") {
            // Written to a pipe: no data offset is set (the _pipe_raw fixture, despite its name, has them).
            let mut data = toc.entries.iter().filter(|e| e.had_dumper);
            assert!(data.clone().count() >= 3);
            assert!(
                data.all(|e| e.data_location == DataLocation::OffsetNotSet),
                "{name}"
            );
        }
        let (tables, objects) = read_all(&mut archive).unwrap_or_else(|e| panic!("{name}: {e}"));
        if name.starts_with('v') {
            assert_eq!(header.dbname.as_deref(), Some("demo"));
            let by_tag = |tag: &str| {
                let entry = toc
                    .entries
                    .iter()
                    .find(|e| e.desc == desc::TABLE_DATA && e.tag == tag)
                    .unwrap_or_else(|| panic!("{name}: no data for {tag}"));
                tables[&entry.dump_id.0].as_str()
            };
            assert_eq!(by_tag("authors"), AUTHORS, "{name}");
            assert_eq!(by_tag("books"), BOOKS, "{name}");
            assert_eq!(objects.len(), 1, "{name}");
            assert_eq!(objects[&424242], HELLO, "{name}");
            let copy = toc
                .entries
                .iter()
                .find(|e| e.tag == "authors" && e.desc == desc::TABLE_DATA)
                .and_then(|e| e.copy_stmt.clone());
            assert_eq!(
                copy.as_deref(),
                Some("COPY app.authors (id, name) FROM stdin;\n"),
                "{name}"
            );
        }
    }
}

#[test]
fn toc_fields_per_version() {
    for (name, relkind, tableam) in [
        ("v15_c_z0.dump", 0, Some("heap")),
        ("v16_c_z0.dump", 0, Some("heap")),
        ("v17_c_z0.dump", b'r', Some("heap")),
        ("v18_c_z0.dump", b'r', Some("heap")),
    ] {
        let archive = Archive::open(fixture(name)).unwrap();
        let toc = archive.toc();
        assert_eq!(toc.entries.len(), 24, "{name}");
        assert_eq!(toc.entries[0].desc, desc::ENCODING, "{name}");
        assert_eq!(
            toc.entries[0].defn.as_deref(),
            Some("SET client_encoding = 'UTF8';\n")
        );
        let table = toc
            .entries
            .iter()
            .find(|e| e.desc == desc::TABLE && e.tag == "authors")
            .unwrap();
        assert_eq!(table.dump_id, DumpId(216));
        assert_eq!((table.table_oid, table.oid), (1259, 16387));
        assert_eq!(table.namespace.as_deref(), Some("app"));
        assert_eq!(
            table.tablespace.as_deref(),
            Some(""),
            "{name}: the default tablespace is \"\""
        );
        assert_eq!(table.tableam.as_deref(), tableam, "{name}");
        assert_eq!(table.relkind, relkind, "{name}");
        assert_eq!(table.owner.as_deref(), Some("postgres"));
        assert_eq!(table.section, Section::PreData);
        assert_eq!(table.dependencies, vec![DumpId(6)]);
        let data = toc
            .entries
            .iter()
            .find(|e| e.desc == desc::TABLE_DATA && e.tag == "authors")
            .unwrap();
        assert_eq!(data.dependencies.first(), Some(&DumpId(216)));
        assert!(data.had_dumper);
        assert_eq!(data.tablespace, None);
        let sequence = toc
            .entries
            .iter()
            .find(|e| e.desc == desc::SEQUENCE && e.tag == "ticket_seq")
            .unwrap();
        assert_eq!(sequence.relkind, 0, "{name}: SEQUENCE has no relkind");
    }
    // The creation time, as written by pg_dump 15 under TZ=UTC (archive-format.md 8.1).
    let archive = Archive::open(fixture("v15_c_z0.dump")).unwrap();
    let created = archive.header().created;
    assert_eq!(
        (
            created.sec,
            created.min,
            created.hour,
            created.mday,
            created.mon,
            created.year
        ),
        (36, 20, 23, 23, 10, 126)
    );
    assert_eq!(created.display_utc(), "2026-11-23 23:20:36 UTC");
    assert_eq!(archive.header().compression.level, Some(0));
    let archive = Archive::open(fixture("v15_c_def.dump")).unwrap();
    assert_eq!(archive.header().compression.level, Some(-1));
    assert_eq!(
        archive.header().server_version.as_deref(),
        Some("15.18 (Debian 15.18-0+deb12u1)")
    );
}

#[test]
fn header_and_toc_parse_from_bytes() {
    for name in all_fixtures() {
        let path = fixture(&name);
        let (bytes, format) = if path.is_dir() {
            (
                std::fs::read(path.join("toc.dat")).unwrap(),
                ArchiveFormat::Directory,
            )
        } else if name.ends_with(".tar") {
            let bytes = std::fs::read(&path).unwrap();
            let block: &[u8; 512] = bytes[..512].try_into().unwrap();
            let member = parse::tar_header(block).unwrap().unwrap();
            assert_eq!(member.name, "toc.dat");
            (
                bytes[512..512 + member.size as usize].to_vec(),
                ArchiveFormat::Tar,
            )
        } else {
            (std::fs::read(&path).unwrap(), ArchiveFormat::Custom)
        };
        let Parsed::Done {
            value: (header, toc),
            consumed,
        } = parse::header_and_toc(&bytes, format).unwrap()
        else {
            panic!("{name}: incomplete");
        };
        if format != ArchiveFormat::Custom {
            assert_eq!(
                consumed,
                bytes.len(),
                "{name}: a toc.dat is exactly header and TOC"
            );
        }
        assert_eq!(header.format, format);
        assert_eq!(toc, Archive::open(&path).unwrap().toc().clone(), "{name}");
        // Every shorter prefix asks for more bytes, never fails, and says how many at least.
        for cut in (0..consumed).step_by((consumed / 300).max(1)) {
            match parse::header_and_toc(&bytes[..cut], format).unwrap() {
                Parsed::NeedMore { at_least } => assert!(at_least > cut, "{name} at {cut}"),
                Parsed::Done { .. } => panic!("{name}: done with {cut} of {consumed} bytes"),
            }
        }
    }
}

#[test]
fn large_objects_with_big_oids_and_many_groups() {
    let mut archive = Archive::open(fixture("bigoid.dump")).unwrap();
    let (_, objects) = read_all(&mut archive).unwrap();
    assert_eq!(
        objects.keys().copied().collect::<Vec<_>>(),
        vec![3_000_000_000]
    );
    let metadata = archive
        .toc()
        .entries
        .iter()
        .find(|e| e.desc == desc::BLOB_METADATA)
        .unwrap();
    assert_eq!(metadata.oid, 3_000_000_000);

    for name in ["lotest15.dump", "lotest18.dump"] {
        let mut archive = Archive::open(fixture(name)).unwrap();
        let (_, objects) = read_all(&mut archive).unwrap();
        let oids: Vec<u32> = objects.keys().copied().collect();
        assert_eq!(oids.len(), 1002, "{name}");
        assert_eq!(oids.first(), Some(&900_001));
        assert_eq!(oids.last(), Some(&901_002));
        let blobs: Vec<DumpId> = archive
            .toc()
            .entries
            .iter()
            .filter(|e| e.desc == desc::BLOBS)
            .map(|e| e.dump_id)
            .collect();
        let mut count = 0;
        for id in &blobs {
            let mut los = archive.large_objects(*id).unwrap();
            while los.next_object().unwrap().is_some() {
                count += 1;
            }
        }
        assert_eq!(count, 1002, "{name}: each large object once");
        let blobs = blobs.len();
        assert_eq!(blobs, if name == "lotest15.dump" { 1 } else { 2 }, "{name}");
        let both = Archive::open(fixture("lotest15.dump"))
            .map(|mut a| read_all(&mut a).unwrap().1)
            .unwrap();
        assert_eq!(objects, both, "{name}: the same large objects in 15 and 18");
    }
}

/// An archive read from a pipe: data in TOC order works, going back does not.
#[test]
fn inputs_that_cannot_seek() {
    for name in [
        "v15_c_z0_pipe.dump",
        "v18_c_z0_pipe.dump",
        "v18_c_def.dump",
        "v17_t.tar",
        "lotest18.dump",
    ] {
        let bytes = std::fs::read(fixture(name)).unwrap();
        let mut seekable = Archive::from_reader(Cursor::new(bytes.clone())).unwrap();
        assert!(seekable.can_seek());
        let expected = read_all(&mut seekable).unwrap();
        let mut piped = Archive::from_stream(Cursor::new(bytes.clone())).unwrap();
        assert!(!piped.can_seek());
        assert_eq!(read_all(&mut piped).unwrap(), expected, "{name}");

        // Backwards: the last data entry first, then the first one.
        let ids: Vec<DumpId> = seekable
            .toc()
            .entries
            .iter()
            .filter(|e| e.had_dumper && e.desc == desc::TABLE_DATA)
            .map(|e| e.dump_id)
            .collect();
        if ids.len() < 2 {
            continue;
        }
        let mut piped = Archive::from_stream(Cursor::new(bytes.clone())).unwrap();
        let mut sink = Vec::new();
        piped.data(ids[1]).unwrap().read_to_end(&mut sink).unwrap();
        let err = piped.data(ids[0]).unwrap_err();
        assert!(
            matches!(
                err,
                ReadError::OutOfOrder { .. }
                    | ReadError::DataNotFound {
                        input_can_seek: false,
                        ..
                    }
            ),
            "{name}: {err}"
        );
        assert!(err.to_string().contains("cannot seek"), "{err}");
        // A seekable input finds it, even without offsets.
        let mut seekable = Archive::from_reader(Cursor::new(bytes)).unwrap();
        let mut second = String::new();
        seekable
            .data(ids[1])
            .unwrap()
            .read_to_string(&mut second)
            .unwrap();
        let mut first = String::new();
        seekable
            .data(ids[0])
            .unwrap()
            .read_to_string(&mut first)
            .unwrap();
        assert_eq!(first, AUTHORS, "{name}");
        assert_eq!(second, BOOKS, "{name}");
    }
}

/// Data readers dropped half way leave the archive usable.
#[test]
fn partial_reads() {
    for name in [
        "v18_c_def.dump",
        "v18_c_z0_pipe.dump",
        "v16_t.tar",
        "lotest18.dump",
    ] {
        for piped in [false, true] {
            let bytes = std::fs::read(fixture(name)).unwrap();
            let mut archive = if piped {
                Archive::from_stream(Cursor::new(bytes.clone())).unwrap()
            } else {
                Archive::from_reader(Cursor::new(bytes.clone())).unwrap()
            };
            let expected =
                read_all(&mut Archive::from_reader(Cursor::new(bytes)).unwrap()).unwrap();
            let entries: Vec<(DumpId, bool)> = archive
                .toc()
                .entries
                .iter()
                .filter(|e| e.had_dumper)
                .map(|e| (e.dump_id, e.desc == desc::BLOBS))
                .collect();
            let mut objects = BTreeMap::new();
            for (id, blobs) in entries {
                if blobs {
                    let mut los = archive.large_objects(id).unwrap();
                    let mut n = 0;
                    while let Some(mut lo) = los.next_object().unwrap() {
                        n += 1;
                        if n % 2 == 0 {
                            let mut byte = [0u8; 1];
                            lo.read_exact(&mut byte).unwrap();
                            continue;
                        }
                        let mut all = Vec::new();
                        lo.read_to_end(&mut all).unwrap();
                        objects.insert(lo.oid(), all);
                    }
                } else {
                    let mut byte = [0u8; 3];
                    archive.data(id).unwrap().read_exact(&mut byte).unwrap();
                }
            }
            for (oid, bytes) in objects {
                assert_eq!(expected.1[&oid], bytes, "{name} {oid}");
            }
        }
    }
}

#[test]
fn wrong_magic_and_versions() {
    let mut bytes = std::fs::read(fixture("v18_c_z0.dump")).unwrap();
    bytes[0] = b'X';
    let err = Archive::from_reader(Cursor::new(bytes.clone())).unwrap_err();
    assert_eq!(
        err.to_string(),
        "this is not a pg_dump archive: it starts with neither PGDMP (a custom archive) nor a tar header"
    );
    let err = Archive::from_reader(Cursor::new(
        b"--\n-- PostgreSQL database dump\n--\n".to_vec(),
    ))
    .unwrap_err();
    assert!(err.to_string().contains("plain SQL script"), "{err}");
    let err = Archive::from_reader(Cursor::new(Vec::new())).unwrap_err();
    assert_eq!(
        err.to_string(),
        "this is not a pg_dump archive: it is empty"
    );

    let mut bytes = std::fs::read(fixture("v18_c_z0.dump")).unwrap();
    bytes[6] = 17;
    let err = Archive::from_reader(Cursor::new(bytes)).unwrap_err();
    assert_eq!(
        err.to_string(),
        "archive version 1.17 is not supported (pgferry reads 1.12 to 1.16)"
    );
    assert!(matches!(
        err,
        ReadError::UnsupportedVersion {
            major: 1,
            minor: 17
        }
    ));

    // A directory's toc.dat given as a file.
    let err = Archive::open(fixture("v18_d_z0").join("toc.dat")).unwrap_err();
    assert!(err.to_string().contains("format byte 3"), "{err}");
}

/// Every truncation of an archive is a clear error, at the first read that needs the missing bytes.
#[test]
fn truncated_archives() {
    for name in [
        "v15_c_def.dump",
        "v18_c_lz4.dump",
        "v18_c_z0_pipe.dump",
        "v16_t.tar",
        "bigoid.dump",
    ] {
        let bytes = std::fs::read(fixture(name)).unwrap();
        let full =
            read_all(&mut Archive::from_reader(Cursor::new(bytes.clone())).unwrap()).unwrap();
        let step = if name.ends_with(".tar") { 97 } else { 3 };
        for cut in (0..bytes.len()).step_by(step) {
            let prefix = bytes[..cut].to_vec();
            for piped in [false, true] {
                let opened = if piped {
                    Archive::from_stream(Cursor::new(prefix.clone()))
                } else {
                    Archive::from_reader(Cursor::new(prefix.clone()))
                };
                let result = opened.and_then(|mut a| read_all(&mut a));
                match result {
                    Err(e) => {
                        let text = e.to_string();
                        assert!(
                            text.contains("ends too early")
                                || text.contains("stops before its end")
                                || text.contains("truncated")
                                || text.contains("empty")
                                || text.contains("too short"),
                            "{name} cut at {cut}: {text}"
                        );
                    }
                    // A tar file cut in its final padding still holds everything.
                    Ok(got) => {
                        assert!(
                            name.ends_with(".tar"),
                            "{name} cut at {cut} of {} read fine",
                            bytes.len()
                        );
                        assert_eq!(got, full);
                    }
                }
            }
        }
    }
}

#[test]
fn truncation_messages_say_where() {
    let bytes = std::fs::read(fixture("v18_c_z0.dump")).unwrap();
    let err = Archive::from_reader(Cursor::new(bytes[..40].to_vec())).unwrap_err();
    assert_eq!(
        err.to_string(),
        "the archive ends too early: it is cut off at offset 40, in the archive header"
    );
    // Cut inside the 17th entry.
    let (_, toc) = parse::header_and_toc(&bytes, ArchiveFormat::Custom)
        .unwrap()
        .done()
        .unwrap();
    let mut cut = 0;
    let mut parser = parse::TocParser::new(ArchiveFormat::Custom);
    for _ in 0..(2 + 16) {
        if let parse::TocStep::Advanced { consumed } = parser.step(&bytes[cut..]).unwrap() {
            cut += consumed;
        }
    }
    let err = Archive::from_reader(Cursor::new(bytes[..cut + 20].to_vec())).unwrap_err();
    assert_eq!(
        err.to_string(),
        format!(
            "the archive ends too early: it is cut off at offset {}, in TOC entry 17 (dump id {})",
            cut + 20,
            toc.entries[16].dump_id
        )
    );
}

/// Damaged bytes anywhere: errors or (for bytes that do not matter) success, never a panic or a hang.
#[test]
fn corrupted_archives() {
    for (name, positions) in [
        ("v15_c_def.dump", 500),
        ("v18_c_zstd.dump", 500),
        ("v18_c_z0_pipe.dump", 500),
        ("v18_t.tar", 300),
        ("lotest18.dump", 12),
    ] {
        let bytes = std::fs::read(fixture(name)).unwrap();
        let step = (bytes.len() / positions).max(1);

        for at in (0..bytes.len()).step_by(step) {
            for value in [0x00, 0xff, 0x80, 0x01] {
                let mut damaged = bytes.clone();
                damaged[at] = value;
                for piped in [false, true] {
                    let opened = if piped {
                        Archive::from_stream(Cursor::new(damaged.clone()))
                    } else {
                        Archive::from_reader(Cursor::new(damaged.clone()))
                    };
                    let _ = opened.and_then(|mut a| read_all(&mut a));
                }
            }
        }
    }
}

#[test]
fn corrupted_toc_is_reported_with_its_entry() {
    let bytes = std::fs::read(fixture("v18_c_z0.dump")).unwrap();
    // The first entry starts at 100 (archive-format.md 8.2) plus the count (5 bytes); make its desc NULL.
    let (header, _) = parse::header_and_toc(&bytes, ArchiveFormat::Custom)
        .unwrap()
        .done()
        .unwrap();
    assert_eq!(header.version, ArchiveVersion::V1_16);
    let mut damaged = bytes.clone();
    // Entry 1: dump id, hadDumper (5 + 5), tableoid "0" and oid "0" (6 + 6), tag "ENCODING" (13), then desc.
    let desc_at = 105 + 10 + 12 + 13;
    assert_eq!(&damaged[desc_at + 5..desc_at + 13], b"ENCODING");
    damaged[desc_at] = 1;
    damaged[desc_at + 1] = 1;
    let err = Archive::from_reader(Cursor::new(damaged)).unwrap_err();
    assert_eq!(
        err.to_string(),
        format!("the archive is corrupt at offset {desc_at}, in TOC entry 1 (dump id 3365): its desc is missing (NULL)")
    );
    let mut damaged = bytes;
    damaged[105] = 0;
    damaged[106..110].copy_from_slice(&[0, 0, 0, 0]);
    let err = Archive::from_reader(Cursor::new(damaged)).unwrap_err();
    assert_eq!(
        err.to_string(),
        "the archive is corrupt at offset 105, in TOC entry 1 (dump id 0): dump id 0 is out of range"
    );
}

#[test]
fn missing_files_in_directory_archives() {
    let dir = tempfile::tempdir().unwrap();
    for file in std::fs::read_dir(fixture("v18_d_def")).unwrap() {
        let file = file.unwrap();
        if file.file_name() != "3358.dat.gz" {
            std::fs::copy(file.path(), dir.path().join(file.file_name())).unwrap();
        }
    }
    let mut archive = Archive::open(dir.path()).unwrap();
    let err = archive.data(DumpId(3358)).unwrap_err();
    assert_eq!(err.to_string(), "data file 3358.dat.gz is missing");
    assert!(matches!(err, ReadError::MissingFile { dir: ref d, .. } if d == dir.path()));
    let mut text = String::new();
    archive
        .data(DumpId(3359))
        .unwrap()
        .read_to_string(&mut text)
        .unwrap();
    assert_eq!(text, BOOKS);
    std::fs::remove_file(dir.path().join("blob_424242.dat.gz")).unwrap();
    let mut los = archive.large_objects(DumpId(3362)).unwrap();
    let err = los.next_object().unwrap_err();
    assert!(
        err.to_string()
            .starts_with("large-object data file blob_424242.dat.gz is missing"),
        "{err}"
    );
    std::fs::remove_file(dir.path().join("toc.dat")).unwrap();
    let err = Archive::open(dir.path()).unwrap_err();
    assert!(
        err.to_string()
            .starts_with("toc.dat is missing: this is not a pg_dump directory archive"),
        "{err}"
    );
}

/// Damage in the files of a directory archive is said of the file: toc.dat cut short, not a TOC at all, and data
/// files whose compressed streams stop early or do not decompress.
#[test]
fn damaged_directory_files_are_named() {
    let dir = tempfile::tempdir().unwrap();
    let copy = |from: &str| {
        for file in std::fs::read_dir(fixture(from)).unwrap() {
            let file = file.unwrap();
            std::fs::copy(file.path(), dir.path().join(file.file_name())).unwrap();
        }
    };
    copy("v18_d_def");
    let toc = std::fs::read(dir.path().join("toc.dat")).unwrap();
    std::fs::write(dir.path().join("toc.dat"), &toc[..1000]).unwrap();
    let err = Archive::open(dir.path()).unwrap_err();
    assert_eq!(
        err.to_string(),
        "file toc.dat ends too early: it is cut off at offset 1000, in TOC entry 6 (dump id 216)"
    );
    let mut not_toc = toc.clone();
    not_toc[..5].copy_from_slice(b"XXXXX");
    std::fs::write(dir.path().join("toc.dat"), &not_toc).unwrap();
    let err = Archive::open(dir.path()).unwrap_err();
    assert_eq!(
        err.to_string(),
        "this is not a pg_dump archive: its toc.dat does not start with PGDMP"
    );
    std::fs::write(dir.path().join("toc.dat"), &toc).unwrap();

    let gz = std::fs::read(dir.path().join("3358.dat.gz")).unwrap();
    std::fs::write(dir.path().join("3358.dat.gz"), &gz[..20]).unwrap();
    let mut archive = Archive::open(dir.path()).unwrap();
    let err = io(archive
        .data(DumpId(3358))
        .unwrap()
        .read_to_end(&mut Vec::new())
        .unwrap_err());
    assert_eq!(
        err.to_string(),
        "file 3358.dat.gz ends too early: its gzip stream stops before its end"
    );

    copy("v18_d_zstd");
    let zst = dir.path().join("3359.dat.zst");
    let mut bytes = std::fs::read(&zst).unwrap();
    bytes[4..8].iter_mut().for_each(|b| *b ^= 0xff);
    std::fs::write(&zst, bytes).unwrap();
    std::fs::remove_file(dir.path().join("3359.dat.gz")).unwrap();
    let mut archive = Archive::open(dir.path()).unwrap();
    let err = io(archive
        .data(DumpId(3359))
        .unwrap()
        .read_to_end(&mut Vec::new())
        .unwrap_err());
    assert!(
        err.to_string()
            .starts_with("file 3359.dat.zst is corrupt: it does not decompress (zstd: "),
        "{err}"
    );
}

#[test]
fn wrong_requests() {
    let mut archive = Archive::open(fixture("v18_c_z0.dump")).unwrap();
    assert!(matches!(
        archive.data(DumpId(99_999)),
        Err(ReadError::NoSuchEntry(99_999))
    ));
    assert!(matches!(
        archive.data(DumpId(3362)),
        Err(ReadError::WrongKind { .. })
    ));
    assert!(matches!(
        archive.large_objects(DumpId(3358)),
        Err(ReadError::WrongKind { .. })
    ));
    assert!(matches!(
        archive.data(DumpId(216)),
        Err(ReadError::NoData { .. })
    ));
}

/// Archive bytes written by hand, for versions no fixture has.
mod handmade {
    use crate::toc::{ArchiveHeader, DataLocation, Toc};

    pub(super) fn int(out: &mut Vec<u8>, value: i64) {
        out.push(u8::from(value < 0));
        out.extend_from_slice(&(value.unsigned_abs() as u32).to_le_bytes());
    }

    pub(super) fn string(out: &mut Vec<u8>, value: Option<&str>) {
        match value {
            None => int(out, -1),
            Some(s) => {
                int(out, s.len() as i64);
                out.extend_from_slice(s.as_bytes());
            }
        }
    }

    /// A custom archive's header and TOC as archive version 1.`minor` (12 to 14), with every data offset unset.
    pub(super) fn custom_toc(header: &ArchiveHeader, toc: &Toc, minor: u8) -> Vec<u8> {
        let mut out = b"PGDMP".to_vec();
        out.extend_from_slice(&[1, minor, 0, 4, 8, 1]);
        int(&mut out, i64::from(header.compression.level.unwrap_or(0)));
        let t = header.created;
        for field in [t.sec, t.min, t.hour, t.mday, t.mon, t.year, t.isdst] {
            int(&mut out, field);
        }
        string(&mut out, header.dbname.as_deref());
        string(&mut out, header.server_version.as_deref());
        string(&mut out, header.dumper_version.as_deref());
        int(&mut out, toc.entries.len() as i64);
        for e in &toc.entries {
            int(&mut out, i64::from(e.dump_id.0));
            int(&mut out, i64::from(e.had_dumper));
            string(&mut out, Some(&e.table_oid.to_string()));
            string(&mut out, Some(&e.oid.to_string()));
            string(&mut out, Some(&e.tag));
            string(&mut out, Some(&e.desc));
            int(&mut out, i64::from(e.section.code()));
            for field in [
                &e.defn,
                &e.drop_stmt,
                &e.copy_stmt,
                &e.namespace,
                &e.tablespace,
            ] {
                string(&mut out, field.as_deref());
            }
            if minor >= 14 {
                string(&mut out, e.tableam.as_deref());
            }
            string(&mut out, e.owner.as_deref());
            string(&mut out, Some("false"));
            for dep in &e.dependencies {
                string(&mut out, Some(&dep.to_string()));
            }
            string(&mut out, None);
            let flag = if e.data_location == DataLocation::None {
                3
            } else {
                1
            };
            out.push(flag);
            out.extend_from_slice(&[0; 8]);
        }
        out
    }
}

#[test]
fn versions_1_12_and_1_13() {
    let bytes = std::fs::read(fixture("v15_c_def.dump")).unwrap();
    let Parsed::Done {
        value: (header, toc),
        consumed,
    } = parse::header_and_toc(&bytes, ArchiveFormat::Custom).unwrap()
    else {
        panic!("incomplete");
    };
    let expected =
        read_all(&mut Archive::from_reader(Cursor::new(bytes.clone())).unwrap()).unwrap();
    for minor in [12, 13, 14] {
        let mut rewritten = handmade::custom_toc(&header, &toc, minor);
        rewritten.extend_from_slice(&bytes[consumed..]);
        let mut archive = Archive::from_reader(Cursor::new(rewritten.clone())).unwrap();
        assert_eq!(archive.header().version.minor, minor);
        assert_eq!(archive.header().compression, header.compression);
        for (ours, theirs) in archive.toc().entries.iter().zip(&toc.entries) {
            assert_eq!(ours.desc, theirs.desc);
            assert_eq!(ours.defn, theirs.defn);
            assert_eq!(ours.dependencies, theirs.dependencies);
            assert_eq!(
                ours.tableam,
                if minor >= 14 {
                    theirs.tableam.clone()
                } else {
                    None
                }
            );
        }
        assert_eq!(read_all(&mut archive).unwrap(), expected, "1.{minor}");
        let mut piped = Archive::from_stream(Cursor::new(rewritten)).unwrap();
        assert_eq!(
            read_all(&mut piped).unwrap(),
            expected,
            "1.{minor} from a pipe"
        );
    }
}
