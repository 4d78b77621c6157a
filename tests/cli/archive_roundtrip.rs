//! `pgferry dump -Fc | -Fd | -Ft` with data: dump the data fixture with pgferry, restore the archive with the
//! real pg_restore into an empty database, and compare the two databases (the reference pg_dump's schema, every
//! table's rows, every sequence's value, every large object).

use std::path::Path;

use pgferry_testkit::{
    assert_same_schema, fixtures_dir, psql_file, reference_for_server, reference_tool,
    require_reference_or_skip, Cluster, RefTool, RefVersion,
};

use crate::data_roundtrip::{assert_same_contents, conninfo, contents};
use crate::support::Env;

/// The archives made on every server: each format with each compression method it takes, each archive version,
/// and parallel dumps (`-j`). The flag says whether pg_restore 15 restores it too (the default archives, 1.14).
const CASES: &[(&str, &[&str], bool)] = &[
    ("c", &[], true),
    ("c", &["-Z", "none"], false),
    ("c", &["-Z", "lz4"], false),
    ("c", &["-Z", "zstd:3"], false),
    ("c", &["--archive-version", "1.16"], false),
    ("c", &["-j", "2"], true),
    ("d", &[], true),
    ("d", &["-Z", "none"], false),
    ("d", &["-Z", "lz4"], false),
    ("d", &["-Z", "zstd", "--archive-version", "1.16"], false),
    ("d", &["-j", "4", "-Z", "gzip:1"], true),
    ("t", &[], true),
    ("t", &["--archive-version", "1.16"], false),
];

/// The cases restored again with `pg_restore -j 4`: parallel restore of a directory and a custom archive.
const PARALLEL_RESTORES: &[usize] = &[5, 10];

/// A reference tool's command, without the caller's PG* settings.
pub(crate) fn reference_command(tool: RefTool, version: RefVersion) -> tokio::process::Command {
    let program = reference_tool(tool, version).expect("reference tool");
    let mut command = tokio::process::Command::new(program);
    for (name, _) in std::env::vars_os() {
        if name.to_string_lossy().starts_with("PG") {
            command.env_remove(name);
        }
    }
    command.env("LC_ALL", "C").kill_on_drop(true);
    command
}

/// Whether pg_restore's only errors are its own `SET transaction_timeout` on a server before 17 (pg_restore 17
/// and 18 send it whatever the server; restoring pg_dump's own archives there fails the same way).
fn only_transaction_timeout_errors(stderr: &str) -> bool {
    stderr
        .lines()
        .all(|line| !line.contains("error:") || line.contains("\"transaction_timeout\""))
        && stderr.contains("transaction_timeout")
}

/// Restores `archive` into the new database `db` with the reference pg_restore `version`.
pub(crate) async fn pg_restore(
    cluster: &Cluster,
    major: u32,
    db: &str,
    archive: &Path,
    version: RefVersion,
    extra: &[&str],
) {
    cluster.create_database(db).await.expect("copy database");
    let lenient = major < 17 && version.major() >= 17;
    let output = reference_command(RefTool::PgRestore, version)
        .args(if lenient {
            &[][..]
        } else {
            &["--exit-on-error"][..]
        })
        .args(["--no-password", "--dbname"])
        .arg(conninfo(cluster, db))
        .args(extra)
        .arg(archive)
        .output()
        .await
        .expect("pg_restore runs");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success() || (lenient && only_transaction_timeout_errors(&stderr)),
        "pg_restore {version} of {} failed: {stderr}",
        archive.display(),
    );
}

async fn archive_round_trip(major: u32) {
    if pgferry_testkit::require_or_skip(major).is_none() {
        return;
    }
    let reference = reference_for_server(major);
    if require_reference_or_skip(reference).is_none()
        || require_reference_or_skip(RefVersion::V17_10).is_none()
    {
        return;
    }
    let cluster = Cluster::start(major).await.expect("cluster starts");
    cluster.create_database("src").await.expect("src");
    psql_file(
        &cluster,
        "src",
        fixtures_dir().join("sql").join("data.sql"),
        reference,
    )
    .await
    .expect("fixture loads");
    let source = contents(&cluster, "src").await;
    let env = Env::new();
    let url = cluster.url("src");

    for (n, (format, extra, with_15)) in CASES.iter().enumerate() {
        let out = env.home().join(format!("dump{n}.{format}"));
        let mut args = vec!["dump", "-F", format, "-f", out.to_str().unwrap()];
        args.extend_from_slice(extra);
        args.push(&url);
        env.run(&args).await.success();
        let db = format!("copy{n}");
        pg_restore(&cluster, major, &db, &out, RefVersion::V17_10, &[]).await;
        let what = format!("pgferry dump -F {format} {extra:?}, pg_restore 17.10");
        if n == 0 {
            assert_same_schema(&cluster, "src", &db, reference).await;
        }
        assert_same_contents(major, &what, &source, &contents(&cluster, &db).await);
        if *with_15 && require_reference_or_skip(RefVersion::V15).is_some() {
            let db = format!("copy{n}_15");
            pg_restore(&cluster, major, &db, &out, RefVersion::V15, &[]).await;
            let what = format!("pgferry dump -F {format} {extra:?}, pg_restore 15");
            assert_same_contents(major, &what, &source, &contents(&cluster, &db).await);
        }
        // pgferry restores its own archives too.
        let db = format!("pcopy{n}");
        cluster.create_database(&db).await.expect("copy database");
        env.run(&[
            "restore",
            "--exit-on-error",
            "-d",
            &cluster.url(&db),
            out.to_str().unwrap(),
        ])
        .await
        .success();
        let what = format!("pgferry dump -F {format} {extra:?}, pgferry restore");
        if n == 0 {
            assert_same_schema(&cluster, "src", &db, reference).await;
        }
        assert_same_contents(major, &what, &source, &contents(&cluster, &db).await);
        {
            let db = format!("pcopy{n}_parallel");
            cluster.create_database(&db).await.expect("copy database");
            env.run(&[
                "restore",
                "-j",
                "4",
                "--exit-on-error",
                "-d",
                &cluster.url(&db),
                out.to_str().unwrap(),
            ])
            .await
            .success();
            let what = format!("pgferry dump -F {format} {extra:?}, pgferry restore -j 4");
            assert_same_contents(major, &what, &source, &contents(&cluster, &db).await);
        }
        if PARALLEL_RESTORES.contains(&n) {
            let db = format!("copy{n}_parallel");
            pg_restore(&cluster, major, &db, &out, RefVersion::V17_10, &["-j", "4"]).await;
            let what = format!("pgferry dump -F {format} {extra:?}, pg_restore 17.10 -j 4");
            assert_same_contents(major, &what, &source, &contents(&cluster, &db).await);
        }
    }

    // Through a pipe: pgferry dump -Fc [-j 3] | pg_restore -d (parallel workers write the blocks in TOC order).
    for (db, jobs) in [("piped", "1"), ("piped_parallel", "3")] {
        cluster.create_database(db).await.expect("piped");
        let restore = reference_tool(RefTool::PgRestore, RefVersion::V17_10).expect("pg_restore");
        let exit_on_error = if major >= 17 { "--exit-on-error" } else { "" };
        let script = format!(
            "'{}' dump -Fc -j {jobs} '{url}' | '{}' {exit_on_error} --no-password --dbname '{}'",
            env!("CARGO_BIN_EXE_pgferry"),
            restore.display(),
            conninfo(&cluster, db)
        );
        let output = tokio::process::Command::new("bash")
            .args(["-o", "pipefail", "-c", &script])
            .env("HOME", env.home())
            .output()
            .await
            .expect("sh runs");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(
            output.status.success() || (major < 17 && only_transaction_timeout_errors(&stderr)),
            "pgferry dump -Fc -j {jobs} | pg_restore failed: {stderr}"
        );
        assert_same_contents(
            major,
            &format!("pgferry dump -Fc -j {jobs} | pg_restore"),
            &source,
            &contents(&cluster, db).await,
        );
    }
}

macro_rules! archive_round_trips {
    ($($name:ident: $major:expr),* $(,)?) => {$(
        #[tokio::test(flavor = "multi_thread")]
        async fn $name() {
            archive_round_trip($major).await;
        }
    )*};
}

archive_round_trips! {
    archive_round_trip_12: 12,
    archive_round_trip_13: 13,
    archive_round_trip_14: 14,
    archive_round_trip_15: 15,
    archive_round_trip_16: 16,
    archive_round_trip_17: 17,
    archive_round_trip_18: 18,
}

#[tokio::test]
async fn archive_options_are_checked() {
    let env = Env::new();
    let run = env.run(&["dump", "-Fd", "postgresql://localhost/x"]).await;
    assert_ne!(run.code, 0);
    assert!(run.stderr.contains("-f DIR"), "{}", run.stderr);
    let run = env
        .run(&[
            "dump",
            "-Ft",
            "-Z",
            "gzip",
            "-f",
            "x.tar",
            "postgresql://127.0.0.1:1/x",
        ])
        .await;
    assert_ne!(run.code, 0);
    let run = env
        .run(&["dump", "-Fc", "-Z", "brotli", "postgresql://127.0.0.1:1/x"])
        .await;
    assert_ne!(run.code, 0);
    assert!(run.stderr.contains("brotli"), "{}", run.stderr);
    // Plain and tar output take no workers.
    let run = env
        .run(&[
            "dump",
            "-Ft",
            "-j",
            "2",
            "-f",
            "x.tar",
            "postgresql://127.0.0.1:1/x",
        ])
        .await;
    assert!(run.stderr.contains("directory format"), "{}", run.stderr);
    let run = env
        .run(&[
            "dump",
            "-Fc",
            "--archive-version",
            "1.13",
            "postgresql://127.0.0.1:1/x",
        ])
        .await;
    assert!(run.stderr.contains("1.13"), "{}", run.stderr);
    let run = env
        .run(&[
            "dump",
            "-Fc",
            "-Z",
            "lz4",
            "--archive-version",
            "1.14",
            "postgresql://127.0.0.1:1/x",
        ])
        .await;
    assert!(run.stderr.contains("1.15"), "{}", run.stderr);
}
