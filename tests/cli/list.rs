//! `pgferry list` against `pg_restore -l` on every archive pg_dump 15 to 18 wrote (`tests/fixtures/archives`).

use std::path::{Path, PathBuf};
use std::process::Stdio;

use pgferry_testkit::{
    diff_lines, fixtures_dir, reference_tool, require_reference_or_skip, RefTool, RefVersion,
};

use crate::support::Env;

fn archives_dir() -> PathBuf {
    fixtures_dir().join("archives")
}

/// Every archive fixture (files and directories), sorted.
pub(crate) fn archives() -> Vec<PathBuf> {
    let mut paths: Vec<PathBuf> = std::fs::read_dir(archives_dir())
        .expect("tests/fixtures/archives")
        .map(|e| e.expect("dir entry").path())
        .filter(|p| p.file_name().is_some_and(|n| n != "setup.sql"))
        .collect();
    paths.sort();
    assert!(paths.len() >= 29, "archive fixtures missing: {paths:?}");
    paths
}

/// The pg_restore that reads `archive`: 18.6, or 17.10 for LZ4 and zstd (the 18.6 build has neither).
pub(crate) fn reference_for(archive: &Path) -> RefVersion {
    let name = archive.file_name().unwrap().to_string_lossy();
    if name.contains("lz4") || name.contains("zstd") {
        RefVersion::V17_10
    } else {
        RefVersion::V18_6
    }
}

/// `pg_restore -l` of `archive` with `TZ=UTC`.
async fn pg_restore_list(version: RefVersion, archive: &Path) -> String {
    let program = reference_tool(RefTool::PgRestore, version).expect("reference pg_restore");
    let output = tokio::process::Command::new(&program)
        .arg("-l")
        .arg(archive)
        .env("TZ", "UTC")
        .env("LC_ALL", "C")
        .stdin(Stdio::null())
        .output()
        .await
        .expect("pg_restore runs");
    assert!(
        output.status.success(),
        "pg_restore {version} -l {} failed: {}",
        archive.display(),
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).expect("UTF-8 listing")
}

fn without_creation_time(listing: &str) -> String {
    listing
        .lines()
        .filter(|l| !l.starts_with("; Archive created at "))
        .map(|l| format!("{l}\n"))
        .collect()
}

fn creation_line(listing: &str) -> Option<&str> {
    listing
        .lines()
        .find(|l| l.starts_with("; Archive created at "))
}

#[tokio::test(flavor = "multi_thread")]
async fn list_matches_pg_restore_for_every_fixture() {
    if require_reference_or_skip(RefVersion::V18_6).is_none()
        || require_reference_or_skip(RefVersion::V17_10).is_none()
    {
        return;
    }
    let mut failures = Vec::new();
    for archive in archives() {
        let reference = pg_restore_list(reference_for(&archive), &archive).await;
        let run = Env::new()
            .run(&["list", archive.to_str().expect("UTF-8 path")])
            .await;
        let ours = run.success();
        if let Some(diff) = diff_lines(
            &without_creation_time(&reference),
            &without_creation_time(ours),
        ) {
            failures.push(format!("{}:\n{diff}", archive.display()));
        }
        // With TZ=UTC, pg_restore prints the creation time as pgferry does.
        assert_eq!(
            creation_line(ours),
            creation_line(&reference),
            "{}",
            archive.display()
        );
    }
    assert!(
        failures.is_empty(),
        "pgferry list differs from pg_restore -l:\n{}",
        failures.join("\n")
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn list_reads_standard_input() {
    let archive = archives_dir().join("v18_c_z0_pipe.dump");
    let expected = Env::new()
        .run(&["list", archive.to_str().unwrap()])
        .await
        .success()
        .to_owned();
    let output = tokio::process::Command::new(env!("CARGO_BIN_EXE_pgferry"))
        .args(["list", "-"])
        .stdin(Stdio::from(std::fs::File::open(&archive).expect("fixture")))
        .output()
        .await
        .expect("pgferry runs");
    assert!(output.status.success(), "{output:?}");
    assert_eq!(String::from_utf8(output.stdout).unwrap(), expected);
    assert!(expected.contains("3358; 0 16387 TABLE DATA app authors postgres\n"));
}

#[tokio::test(flavor = "multi_thread")]
async fn list_refuses_what_is_not_an_archive() {
    let scratch = tempfile::tempdir().expect("temp dir");
    let truncated = scratch.path().join("truncated.dump");
    let bytes = std::fs::read(archives_dir().join("v17_c_def.dump")).expect("fixture");
    std::fs::write(&truncated, &bytes[..1000]).expect("write");
    let bad_version = scratch.path().join("future.dump");
    let mut future = bytes.clone();
    future[6] = 17;
    std::fs::write(&bad_version, &future).expect("write");
    let cases: [(PathBuf, &str); 5] = [
        (
            archives_dir().join("setup.sql"),
            "is not a pg_dump archive: it starts with neither PGDMP",
        ),
        (
            truncated.clone(),
            "the archive ends too early: it is cut off at offset 1000, in TOC entry",
        ),
        (bad_version, "archive version 1.17 is not supported"),
        (scratch.path().join("nothing-here"), "could not read"),
        // A directory without toc.dat.
        (
            scratch.path().to_path_buf(),
            "toc.dat is missing: this is not a pg_dump directory archive",
        ),
    ];
    for (path, message) in cases {
        let run = Env::new().run(&["list", path.to_str().unwrap()]).await;
        let line = run.one_line_failure();
        assert!(
            line.contains(message),
            "{}: expected {message:?} in {line:?}",
            path.display()
        );
    }
}
