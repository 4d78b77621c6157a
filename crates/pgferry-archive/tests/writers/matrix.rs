//! Every format x compression x version, read by every pg_restore that should read it.

use std::ffi::OsStr;
use std::fs::File;
use std::io::BufWriter;
use std::path::{Path, PathBuf};

use pgferry_archive::format::{ArchiveFormat, ArchiveVersion, Compression, CompressionMethod};
use pgferry_archive::write::{ArchiveWriter, CustomWriter, DirectoryWriter, TarWriter};
use pgferry_testkit::{require_or_skip, require_reference_or_skip, Cluster, RefVersion};

use crate::fixture::{
    expected_list, expected_script, feed, fixture, options, without_restrict, Fixture,
};
use crate::tools::{
    check_database, feed_stdin, pg_restore, pg_restore_from_stdin, restore_into, wait_ok,
};

/// The server restores go to: pg_restore 15, 17 and 18 all restore into it.
const SERVER: u32 = 17;

const GZIP: Compression = Compression {
    method: CompressionMethod::Gzip,
    level: None,
};
const LZ4: Compression = Compression {
    method: CompressionMethod::Lz4,
    level: None,
};
const ZSTD: Compression = Compression {
    method: CompressionMethod::Zstd,
    level: None,
};

/// The server and every reference pg_restore, or `None` after a SKIPPED line.
async fn setup() -> Option<Cluster> {
    require_or_skip(SERVER)?;
    for version in RefVersion::ALL {
        require_reference_or_skip(version)?;
    }
    Some(Cluster::start(SERVER).await.expect("starting a cluster"))
}

fn versions() -> [ArchiveVersion; 3] {
    [
        ArchiveVersion::V1_14,
        ArchiveVersion::V1_15,
        ArchiveVersion::V1_16,
    ]
}

/// The compressions `format` can use in `version`.
fn compressions(format: ArchiveFormat, version: ArchiveVersion) -> Vec<Compression> {
    match format {
        ArchiveFormat::Tar => vec![Compression::NONE],
        _ if version == ArchiveVersion::V1_14 => vec![
            Compression::NONE,
            GZIP,
            Compression {
                method: CompressionMethod::Gzip,
                level: Some(9),
            },
        ],
        _ => vec![
            Compression::NONE,
            GZIP,
            LZ4,
            Compression {
                method: CompressionMethod::Zstd,
                level: Some(19),
            },
        ],
    }
}

/// The pg_restore versions that read `version` with `compression`: 15 reads only 1.14, and the 18.6 build has
/// no lz4 or zstd.
fn readers(version: ArchiveVersion, compression: Compression) -> Vec<RefVersion> {
    let mut readers = Vec::new();
    if version == ArchiveVersion::V1_14 {
        readers.push(RefVersion::V15);
    }
    readers.push(RefVersion::V17_10);
    if matches!(
        compression.method,
        CompressionMethod::None | CompressionMethod::Gzip
    ) {
        readers.push(RefVersion::V18_6);
    }
    readers
}

fn label(format: ArchiveFormat, version: ArchiveVersion, compression: Compression) -> String {
    let level = compression.level.map(|l| l.to_string()).unwrap_or_default();
    format!(
        "{}_{}_{}{level}",
        &format.list_name()[..1].to_lowercase(),
        version.minor,
        compression.method.name()
    )
}

/// Writes the fixture's archive into `dir` (a seekable file for custom and tar) through the format-agnostic
/// [`ArchiveWriter`].
pub(crate) fn write_archive(
    dir: &Path,
    format: ArchiveFormat,
    version: ArchiveVersion,
    compression: Compression,
    fx: &Fixture,
) -> PathBuf {
    let path = dir.join(label(format, version, compression));
    let options = options(version, compression);
    let file = || BufWriter::new(File::create(&path).unwrap());
    let mut writer: Box<dyn ArchiveWriter> = match format {
        ArchiveFormat::Custom => Box::new(CustomWriter::new(file(), &fx.toc, &options).unwrap()),
        ArchiveFormat::Directory => {
            Box::new(DirectoryWriter::create(&path, &fx.toc, &options).unwrap())
        }
        ArchiveFormat::Tar => Box::new(TarWriter::new(file(), &fx.toc, &options).unwrap()),
        ArchiveFormat::Plain => unreachable!(),
    };
    feed(&mut *writer, fx).unwrap();
    writer.finish_archive().unwrap();
    path
}

/// Lists, prints and restores every archive of `format` with each pg_restore that reads it.
async fn check_format(format: ArchiveFormat) {
    let Some(cluster) = setup().await else { return };
    let dir = tempfile::tempdir().unwrap();
    for version in versions() {
        let fx = fixture(version);
        for compression in compressions(format, version) {
            let archive = write_archive(dir.path(), format, version, compression, &fx);
            let name = label(format, version, compression);
            for reader in readers(version, compression) {
                let what = format!("{name} read by pg_restore {reader}");
                let list = pg_restore(reader, &[OsStr::new("-l"), archive.as_os_str()], &what);
                let expected = expected_list(&fx, format, version, compression, reader);
                assert!(
                    list == expected,
                    "{what}: pg_restore -l printed\n{list}\nexpected\n{expected}"
                );

                let script = pg_restore(
                    reader,
                    &[OsStr::new("-f"), OsStr::new("-"), archive.as_os_str()],
                    &what,
                );
                let script = without_restrict(&script);
                let expected = expected_script(&fx, reader);
                if script != expected {
                    let diff = pgferry_testkit::diff_lines(&expected, &script).unwrap_or_default();
                    panic!("{what}: pg_restore -f - differs from the expected script:\n{diff}");
                }

                let db = format!("{name}_{}", reader.major());
                restore_into(&cluster, &db, &archive, reader, 1).await;
                check_database(&cluster, &db, &fx, &what).await;
            }
        }
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn custom_archives_are_read_by_pg_restore() {
    check_format(ArchiveFormat::Custom).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn directory_archives_are_read_by_pg_restore() {
    check_format(ArchiveFormat::Directory).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn tar_archives_are_read_by_pg_restore() {
    check_format(ArchiveFormat::Tar).await;
}

/// `pg_restore -j 2` on directory and seekable custom archives.
#[tokio::test(flavor = "multi_thread")]
async fn parallel_restore_of_directory_and_custom_archives() {
    let Some(cluster) = setup().await else { return };
    let dir = tempfile::tempdir().unwrap();
    let cases = [
        (ArchiveVersion::V1_14, GZIP, RefVersion::V15),
        (ArchiveVersion::V1_14, GZIP, RefVersion::V18_6),
        (ArchiveVersion::V1_15, LZ4, RefVersion::V17_10),
        (ArchiveVersion::V1_16, ZSTD, RefVersion::V17_10),
        (ArchiveVersion::V1_16, Compression::NONE, RefVersion::V18_6),
    ];
    for format in [ArchiveFormat::Custom, ArchiveFormat::Directory] {
        for (i, (version, compression, reader)) in cases.into_iter().enumerate() {
            let fx = fixture(version);
            let case_dir = dir.path().join(format!("{}{i}", format.list_name()));
            std::fs::create_dir(&case_dir).unwrap();
            let archive = write_archive(&case_dir, format, version, compression, &fx);
            let db = format!(
                "j2_{}_{}",
                label(format, version, compression),
                reader.major()
            );
            let what = format!("pg_restore {reader} -j 2 of {db}");
            restore_into(&cluster, &db, &archive, reader, 2).await;
            check_database(&cluster, &db, &fx, &what).await;
        }
    }
}

/// A custom archive written to a pipe (offsets not set) straight into `pg_restore -d`, as in
/// `pgferry dump -Fc | pg_restore -d db`; and a non-seekable tar stream the same way.
#[tokio::test(flavor = "multi_thread")]
async fn unseekable_archives_restore_through_a_pipe() {
    let Some(cluster) = setup().await else { return };
    let cases = [
        (
            ArchiveFormat::Custom,
            ArchiveVersion::V1_14,
            GZIP,
            RefVersion::V15,
        ),
        (
            ArchiveFormat::Custom,
            ArchiveVersion::V1_15,
            Compression::NONE,
            RefVersion::V18_6,
        ),
        (
            ArchiveFormat::Custom,
            ArchiveVersion::V1_16,
            ZSTD,
            RefVersion::V17_10,
        ),
        (
            ArchiveFormat::Custom,
            ArchiveVersion::V1_16,
            LZ4,
            RefVersion::V17_10,
        ),
        (
            ArchiveFormat::Tar,
            ArchiveVersion::V1_14,
            Compression::NONE,
            RefVersion::V15,
        ),
        (
            ArchiveFormat::Tar,
            ArchiveVersion::V1_16,
            Compression::NONE,
            RefVersion::V18_6,
        ),
    ];
    for (format, version, compression, reader) in cases {
        let fx = fixture(version);
        let db = format!(
            "pipe_{}_{}",
            label(format, version, compression),
            reader.major()
        );
        cluster.create_database(&db).await.unwrap();
        let mut child = pg_restore_from_stdin(reader, &cluster, &db);
        let stdin = child.stdin.take().unwrap();
        let options = options(version, compression);
        let mut writer: Box<dyn ArchiveWriter> = match format {
            ArchiveFormat::Custom => {
                Box::new(CustomWriter::new_unseekable(stdin, &fx.toc, &options).unwrap())
            }
            _ => Box::new(TarWriter::new_unseekable(stdin, &fx.toc, &options).unwrap()),
        };
        feed(&mut *writer, &fx).unwrap();
        writer.finish_archive().unwrap();
        wait_ok(child, &db);
        check_database(&cluster, &db, &fx, &db).await;
    }

    // The same bytes, written to a Vec, also restore when given on stdin after the fact.
    let fx = fixture(ArchiveVersion::V1_14);
    let options = options(ArchiveVersion::V1_14, GZIP);
    let mut writer = CustomWriter::new_unseekable(Vec::new(), &fx.toc, &options).unwrap();
    feed(&mut writer, &fx).unwrap();
    let bytes = writer.finish().unwrap();
    cluster.create_database("pipe_vec").await.unwrap();
    let mut child = pg_restore_from_stdin(RefVersion::V18_6, &cluster, "pipe_vec");
    feed_stdin(&mut child, &bytes);
    wait_ok(child, "pipe_vec");
    check_database(&cluster, "pipe_vec", &fx, "pipe_vec").await;
}
