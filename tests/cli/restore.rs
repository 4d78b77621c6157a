//! `pgferry restore`: scripts equal to `pg_restore -f` for every archive pg_dump 15 to 18 wrote, and restores into
//! a database equal to what the real pg_restore makes of the same archives.

use std::path::Path;
use std::process::Stdio;

use pgferry_testkit::{
    assert_same_schema, diff_lines, reference_for_server, require_reference_or_skip, Cluster,
    RefTool, RefVersion,
};

use crate::data_roundtrip::{assert_same_contents, contents};
use crate::list::{archives, reference_for};
use crate::support::Env;

const KEY: &str = "pgferrytestkey";

/// The option sets compared with pg_restore's script output.
const SCRIPT_OPTIONS: &[&[&str]] = &[
    &[],
    &["-c", "--if-exists"],
    &["-C", "-c"],
    &["-s", "-O", "-x"],
    &["-a", "--disable-triggers"],
    &["-n", "app"],
    &["-t", "books", "--no-comments"],
    &["-1", "--use-set-session-authorization"],
    &[
        "--section",
        "pre-data",
        "--section",
        "post-data",
        "--no-tablespaces",
    ],
    // Batches: per entry, per large object command and per extra semicolon, around CREATE DATABASE too.
    &["--transaction-size", "1"],
    &["--transaction-size", "3", "-C", "-c", "--if-exists"],
    &["--transaction-size", "2", "-a"],
];

async fn pg_restore_script(version: RefVersion, archive: &Path, options: &[&str]) -> String {
    let output = crate::archive_roundtrip::reference_command(RefTool::PgRestore, version)
        .args(["-f", "-", "--restrict-key", KEY])
        .args(options)
        .arg(archive)
        .stdin(Stdio::null())
        .output()
        .await
        .expect("pg_restore runs");
    assert!(
        output.status.success(),
        "pg_restore {version} -f - {options:?} {} failed: {}",
        archive.display(),
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).expect("UTF-8 script")
}

#[tokio::test]
async fn scripts_equal_pg_restores() {
    if require_reference_or_skip(RefVersion::V18_6).is_none()
        || require_reference_or_skip(RefVersion::V17_10).is_none()
    {
        return;
    }
    let env = Env::new();
    for archive in archives() {
        let path = archive.to_str().unwrap();
        for options in SCRIPT_OPTIONS {
            let expected = pg_restore_script(reference_for(&archive), &archive, options).await;
            let mut args = vec!["restore", "-f", "-", "--restrict-key", KEY];
            args.extend_from_slice(options);
            args.push(path);
            let run = env.run(&args).await;
            let got = run.success();
            assert!(
                got == expected,
                "pgferry restore -f - {options:?} {} differs from pg_restore's:\n{}",
                archive.display(),
                diff_lines(&expected, got).unwrap_or_default()
            );
        }
    }
}

#[tokio::test]
async fn statistics_options_equal_pg_restores() {
    if require_reference_or_skip(RefVersion::V18_6).is_none() {
        return;
    }
    let env = Env::new();
    let archive = pgferry_testkit::fixtures_dir()
        .join("archives")
        .join("v18_stats.dump");
    for options in [
        &["--statistics-only"][..],
        &["--no-statistics"],
        &["--no-data"],
        &["--no-schema"],
    ] {
        let expected = pg_restore_script(RefVersion::V18_6, &archive, options).await;
        let mut args = vec!["restore", "-f", "-", "--restrict-key", KEY];
        args.extend_from_slice(options);
        args.push(archive.to_str().unwrap());
        let run = env.run(&args).await;
        let got = run.success();
        assert!(
            got == expected,
            "pgferry restore -f - {options:?} differs from pg_restore's:\n{}",
            diff_lines(&expected, got).unwrap_or_default()
        );
    }
}

/// Restores `archive` into the new database `db`, with pg_restore `version` or with pgferry.
async fn restore_with(
    cluster: &Cluster,
    env: &Env,
    db: &str,
    archive: &Path,
    pg_restore: Option<RefVersion>,
) {
    match pg_restore {
        Some(version) => {
            crate::archive_roundtrip::pg_restore(
                cluster,
                cluster.major(),
                db,
                archive,
                version,
                &[],
            )
            .await
        }
        None => {
            cluster.create_database(db).await.expect("database");
            env.run(&[
                "restore",
                "--exit-on-error",
                "-d",
                &cluster.url(db),
                archive.to_str().unwrap(),
            ])
            .await
            .success();
        }
    }
}

/// pg_dump's archives (15 to 18, every format and compression) restored by pgferry, serially and with `-j 4`,
/// equal what pg_restore makes of them, on servers 12 to 18.
async fn pg_dump_archives_restore_like_pg_restore(major: u32) {
    if pgferry_testkit::require_or_skip(major).is_none()
        || require_reference_or_skip(RefVersion::V17_10).is_none()
        || require_reference_or_skip(RefVersion::V18_6).is_none()
    {
        return;
    }
    let reference = reference_for_server(major);
    let cluster = Cluster::start(major).await.expect("cluster starts");
    let env = Env::new();
    for (n, archive) in archives().into_iter().enumerate() {
        let name = archive.file_name().unwrap().to_string_lossy().into_owned();
        if name.contains("stats") && major < 18 {
            // Statistics restore through functions servers before 18 do not have.
            continue;
        }
        let theirs = format!("theirs{n}");
        let ours = format!("ours{n}");
        restore_with(
            &cluster,
            &env,
            &theirs,
            &archive,
            Some(reference_for(&archive)),
        )
        .await;
        restore_with(&cluster, &env, &ours, &archive, None).await;
        assert_same_schema(&cluster, &theirs, &ours, reference).await;
        let expected = contents(&cluster, &theirs).await;
        assert_same_contents(
            major,
            &format!("pgferry restore {name}"),
            &expected,
            &contents(&cluster, &ours).await,
        );
        // And in parallel (archives written to a pipe have no data offsets: their blocks are found by scanning).
        let parallel = format!("ours{n}_j");
        cluster.create_database(&parallel).await.expect("database");
        env.run(&[
            "restore",
            "-j",
            "4",
            "--exit-on-error",
            "-d",
            &cluster.url(&parallel),
            archive.to_str().unwrap(),
        ])
        .await
        .success();
        assert_same_schema(&cluster, &theirs, &parallel, reference).await;
        assert_same_contents(
            major,
            &format!("pgferry restore -j 4 {name}"),
            &expected,
            &contents(&cluster, &parallel).await,
        );
    }
}

macro_rules! pg_dump_archive_restores {
    ($($name:ident: $major:expr),* $(,)?) => {$(
        #[tokio::test(flavor = "multi_thread")]
        async fn $name() {
            pg_dump_archives_restore_like_pg_restore($major).await;
        }
    )*};
}

pg_dump_archive_restores! {
    pg_dump_archives_restore_12: 12,
    pg_dump_archives_restore_13: 13,
    pg_dump_archives_restore_14: 14,
    pg_dump_archives_restore_15: 15,
    pg_dump_archives_restore_16: 16,
    pg_dump_archives_restore_17: 17,
    pg_dump_archives_restore_18: 18,
}

/// An archive on standard input restores (serially; `-j` says why it cannot), and failed entries are reported
/// with the entry they came from, counted, and make the exit code 1; `-e` stops at the first.
#[tokio::test(flavor = "multi_thread")]
async fn standard_input_and_errors() {
    let Some(major) = crate::support::one_major() else {
        return;
    };
    let cluster = Cluster::start(major).await.expect("cluster starts");
    let env = Env::new();
    let archive = pgferry_testkit::fixtures_dir()
        .join("archives")
        .join("v18_c_z0_pipe.dump");

    cluster.create_database("piped").await.expect("database");
    let url = cluster.url("piped");
    env.run_with_stdin(&["restore", "-e", "-d", &url], &archive)
        .await
        .success();
    let books = cluster.connect("piped").await.expect("connect");
    let rows = books
        .query_one("SELECT count(*) FROM public.books", &[])
        .await
        .expect("books");
    assert_eq!(rows.get::<_, i64>(0), 2);

    let parallel = env
        .run_with_stdin(&["restore", "-j", "2", "-d", &url], &archive)
        .await;
    assert!(
        crate::exit_codes::usage_line(&parallel).contains("standard input"),
        "{}",
        parallel.stderr
    );

    // Restoring again into the same database: every CREATE fails; the restore goes on and counts them.
    let run = env
        .run(&[
            "restore",
            "-d",
            &cluster.url("piped"),
            archive.to_str().unwrap(),
        ])
        .await;
    assert_eq!(run.code, 3, "{run:?}");
    assert!(run.stderr.contains("already exists"), "{}", run.stderr);
    assert!(
        run.stderr
            .contains("from TOC entry 216; 1259 16387 TABLE app authors postgres"),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.contains("errors ignored on restore: "),
        "{}",
        run.stderr
    );
    let stopped = env
        .run(&[
            "restore",
            "-e",
            "-d",
            &cluster.url("piped"),
            archive.to_str().unwrap(),
        ])
        .await;
    let line = stopped.stderr.lines().next().unwrap_or_default().to_owned();
    assert_eq!(stopped.code, 1, "{stopped:?}");
    assert!(line.contains("from TOC entry"), "{}", stopped.stderr);
    assert!(
        !stopped.stderr.contains("errors ignored"),
        "{}",
        stopped.stderr
    );
}

/// `-C -d postgres`: the archive's database is created (with its owner, one statement at a time, as CREATE
/// DATABASE cannot share a query with others) and restored into; with `-c` it is dropped and made again.
#[tokio::test(flavor = "multi_thread")]
async fn create_makes_the_database_and_restores_into_it() {
    let Some(major) = crate::support::one_major() else {
        return;
    };
    let cluster = Cluster::start(major).await.expect("cluster starts");
    let env = Env::new();
    let archive = pgferry_testkit::fixtures_dir()
        .join("archives")
        .join("v18_c_def.dump");
    let archive = archive.to_str().unwrap();
    let postgres = cluster.url("postgres");
    for options in [
        &["-C"][..],
        &["-C", "-c"],
        &["-C", "-c", "--if-exists", "-j", "2"],
    ] {
        let mut args = vec!["restore", "-d", &postgres];
        args.extend_from_slice(options);
        args.push(archive);
        let run = env.run(&args).await;
        assert_eq!(run.code, 0, "{options:?}: {run:?}");
        let demo = cluster
            .connect("demo")
            .await
            .expect("the database was created");
        let rows = demo
            .query_one("SELECT count(*) FROM public.books", &[])
            .await
            .expect("books");
        assert_eq!(rows.get::<_, i64>(0), 2, "{options:?}");
    }
}

/// `--no-data-for-failed-tables`: a table that exists already (so its CREATE fails) gets no rows from the archive,
/// serially and with `-j`; without the option the rows are appended, as pg_restore does.
#[tokio::test(flavor = "multi_thread")]
async fn no_data_for_failed_tables() {
    let Some(major) = crate::support::one_major() else {
        return;
    };
    let cluster = Cluster::start(major).await.expect("cluster starts");
    let env = Env::new();
    let archive = pgferry_testkit::fixtures_dir()
        .join("archives")
        .join("v18_c_z0.dump");
    let archive = archive.to_str().unwrap();
    for (dbname, options, expected) in [
        ("appended", &[][..], 2),
        ("skipped", &["--no-data-for-failed-tables"][..], 0),
        (
            "skipped_parallel",
            &["--no-data-for-failed-tables", "-j", "2"][..],
            0,
        ),
    ] {
        cluster.create_database(dbname).await.expect("database");
        let client = cluster.connect(dbname).await.expect("connect");
        client
            .batch_execute(
                "CREATE TABLE public.books (id integer, author_id integer, title text, price numeric(8,2))",
            )
            .await
            .expect("table");
        let url = cluster.url(dbname);
        let mut args = vec!["restore", "-d", &url];
        args.extend_from_slice(options);
        args.push(archive);
        let run = env.run(&args).await;
        assert_eq!(run.code, 3, "{run:?}");
        assert!(
            run.stderr.contains("TABLE public books"),
            "{options:?}: {}",
            run.stderr
        );
        let rows = client
            .query_one("SELECT count(*) FROM public.books", &[])
            .await
            .expect("count");
        assert_eq!(
            rows.get::<_, i64>(0),
            expected,
            "{options:?}: {}",
            run.stderr
        );
        let authors = client
            .query_one("SELECT count(*) FROM app.authors", &[])
            .await
            .expect("count");
        assert_eq!(
            authors.get::<_, i64>(0),
            2,
            "{options:?}: other tables load"
        );
    }
}

/// Plain SQL dumps restore without psql: pg_dump 18.6's script from a file, and pgferry's own through a pipe.
#[tokio::test(flavor = "multi_thread")]
async fn plain_scripts_restore_without_psql() {
    let Some(major) = crate::support::one_major() else {
        return;
    };
    if major < 17 || require_reference_or_skip(RefVersion::V18_6).is_none() {
        return;
    }
    let reference = reference_for_server(major);
    let cluster = Cluster::start(major).await.expect("cluster starts");
    cluster.create_database("src").await.expect("src");
    pgferry_testkit::psql_file(
        &cluster,
        "src",
        pgferry_testkit::fixtures_dir().join("sql").join("data.sql"),
        reference,
    )
    .await
    .expect("fixture loads");
    let source = contents(&cluster, "src").await;
    let env = Env::new();

    let script = crate::data_roundtrip::reference_dump(&cluster, "src", &[]).await;
    let path = env.home().join("plain.sql");
    std::fs::write(&path, script).expect("script written");
    cluster.create_database("from_file").await.expect("db");
    env.run(&[
        "restore",
        "-e",
        "-d",
        &cluster.url("from_file"),
        path.to_str().unwrap(),
    ])
    .await
    .success();
    assert_same_schema(&cluster, "src", "from_file", reference).await;
    assert_same_contents(
        major,
        "pg_dump 18.6 plain, pgferry restore",
        &source,
        &contents(&cluster, "from_file").await,
    );

    cluster.create_database("piped").await.expect("db");
    let pipe = format!(
        "'{0}' dump '{1}' | '{0}' restore -1 -d '{2}'",
        env!("CARGO_BIN_EXE_pgferry"),
        cluster.url("src"),
        cluster.url("piped")
    );
    let output = tokio::process::Command::new("bash")
        .args(["-o", "pipefail", "-c", &pipe])
        .env("HOME", env.home())
        .output()
        .await
        .expect("bash runs");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert_same_contents(
        major,
        "pgferry dump | pgferry restore",
        &source,
        &contents(&cluster, "piped").await,
    );

    // Options that need an archive say so.
    let run = env
        .run(&[
            "restore",
            "-n",
            "public",
            "-d",
            &cluster.url("piped"),
            path.to_str().unwrap(),
        ])
        .await;
    assert!(crate::exit_codes::usage_line(&run).contains("need an archive"));
}

/// Tables the restore creates take their rows with COPY FREEZE (serially, with `-1`, with `--transaction-size`
/// and with `-j`): their pages come out all-frozen. The results equal a plain pg_restore's.
#[tokio::test(flavor = "multi_thread")]
async fn created_tables_are_loaded_frozen() {
    let Some(major) = crate::support::one_major() else {
        return;
    };
    if major < 14 || require_reference_or_skip(RefVersion::V18_6).is_none() {
        // Servers before 14 do not mark pages frozen by COPY FREEZE in the visibility map.
        return;
    }
    let cluster = Cluster::start(major).await.expect("cluster starts");
    let env = Env::new();
    let archive = pgferry_testkit::fixtures_dir()
        .join("archives")
        .join("v18_c_def.dump");
    restore_with(&cluster, &env, "theirs", &archive, Some(RefVersion::V18_6)).await;
    let expected = contents(&cluster, "theirs").await;
    let all_frozen = |db: &'static str, table: &'static str| {
        let cluster = &cluster;
        async move {
            let client = cluster.connect(db).await.expect("connect");
            client
                .batch_execute("CREATE EXTENSION IF NOT EXISTS pg_visibility")
                .await
                .expect("pg_visibility");
            client
                .query_one(
                    &format!("SELECT bool_and(all_frozen) FROM pg_visibility_map('{table}')"),
                    &[],
                )
                .await
                .expect("visibility")
                .get::<_, bool>(0)
        }
    };
    // The check tells: pg_restore's plain COPY leaves the pages unfrozen.
    assert!(!all_frozen("theirs", "public.books").await);
    for (db, options) in [
        ("serial", &[][..]),
        ("single", &["-1"][..]),
        ("batches", &["--transaction-size", "3"][..]),
        ("parallel", &["-j", "2"][..]),
    ] {
        cluster.create_database(db).await.expect("database");
        let mut args = vec!["restore", "-d"];
        let url = cluster.url(db);
        args.push(&url);
        args.extend_from_slice(options);
        args.push(archive.to_str().unwrap());
        env.run(&args).await.success();
        assert_same_contents(
            major,
            &format!("pgferry restore {options:?}"),
            &expected,
            &contents(&cluster, db).await,
        );
        for table in ["public.books", "app.authors"] {
            assert!(
                all_frozen(db, table).await,
                "{table} not loaded frozen with {options:?}"
            );
        }
    }
}

/// A list from `-l`, edited to drop and reorder entries, restores what it says: the dropped entries are missing,
/// the rest is there.
#[tokio::test(flavor = "multi_thread")]
async fn an_edited_list_restores_what_it_says() {
    let Some(major) = crate::support::one_major() else {
        return;
    };
    let cluster = Cluster::start(major).await.expect("cluster starts");
    let env = Env::new();
    let archive = pgferry_testkit::fixtures_dir()
        .join("archives")
        .join("v18_d_z0");
    let listing = env
        .run(&["restore", "-l", archive.to_str().unwrap()])
        .await
        .success()
        .to_owned();
    // Drop the books data and the view; move the authors data before everything else.
    let mut authors_data = String::new();
    let mut edited = Vec::new();
    for line in listing.lines() {
        if line.contains("TABLE DATA public books") {
            edited.push(format!(";{line}"));
        } else if line.contains("VIEW public book_view") {
            continue;
        } else if line.contains("TABLE DATA app authors") {
            authors_data = line.to_owned();
        } else {
            edited.push(line.to_owned());
        }
    }
    // Data before its table would fail: put it right after the table instead, to show the order is the list's.
    let at = edited
        .iter()
        .position(|l| l.contains("TABLE app authors"))
        .expect("authors table");
    edited.insert(at + 1, authors_data);
    let list = env.home().join("edited.list");
    std::fs::write(&list, edited.join("\n")).expect("list written");

    cluster.create_database("listed").await.expect("database");
    let url = cluster.url("listed");
    env.run(&[
        "restore",
        "-e",
        "-L",
        list.to_str().unwrap(),
        "-d",
        &url,
        archive.to_str().unwrap(),
    ])
    .await
    .success();
    let client = cluster.connect("listed").await.expect("connect");
    let count = |sql: &'static str| {
        let client = &client;
        async move {
            client
                .query_one(sql, &[])
                .await
                .expect(sql)
                .get::<_, i64>(0)
        }
    };
    assert_eq!(count("SELECT count(*) FROM app.authors").await, 2);
    assert_eq!(count("SELECT count(*) FROM public.books").await, 0);
    assert_eq!(
        count("SELECT count(*) FROM pg_catalog.pg_class WHERE relname = 'book_view'").await,
        0
    );
    // The script says the same, in the list's order.
    let script = env
        .run(&[
            "restore",
            "-L",
            list.to_str().unwrap(),
            "-f",
            "-",
            archive.to_str().unwrap(),
        ])
        .await
        .success()
        .to_owned();
    let table = script.find("CREATE TABLE app.authors").expect("table");
    let data = script.find("COPY app.authors").expect("data");
    let books = script.find("CREATE TABLE public.books").expect("books");
    assert!(table < data && data < books, "not in the list's order");
    assert!(!script.contains("COPY public.books"));
}

/// An uncompressed data file cut at the end of a row reads as if it were whole; the missing `\.` end marker
/// gives it away, and the restore fails on that entry without loading part of the table.
#[tokio::test(flavor = "multi_thread")]
async fn rows_without_their_end_marker_fail_the_entry() {
    let Some(major) = crate::support::one_major() else {
        return;
    };
    let cluster = Cluster::start(major).await.expect("cluster starts");
    let env = Env::new();
    let source = pgferry_testkit::fixtures_dir()
        .join("archives")
        .join("v18_d_z0");
    let damaged = env.home().join("cut.dir");
    std::fs::create_dir(&damaged).expect("dir");
    for file in std::fs::read_dir(&source).expect("fixture") {
        let file = file.expect("entry").path();
        std::fs::copy(&file, damaged.join(file.file_name().unwrap())).expect("copy");
    }
    // "1\tAnn\n2\tBob\n\.\n\n\n" loses its second row and the marker.
    std::fs::write(damaged.join("3358.dat"), "1\tAnn\n").expect("cut");
    cluster.create_database("cut").await.expect("database");
    let run = env
        .run(&[
            "restore",
            "-d",
            &cluster.url("cut"),
            damaged.to_str().unwrap(),
        ])
        .await;
    assert_eq!(run.code, 1, "{run:?}");
    assert!(run.stderr.contains("3358"), "{}", run.stderr);
    assert!(run.stderr.contains("end marker"), "{}", run.stderr);
    let client = cluster.connect("cut").await.expect("connect");
    let rows: i64 = client
        .query_one("SELECT count(*) FROM app.authors", &[])
        .await
        .expect("authors")
        .get(0);
    assert_eq!(rows, 0, "part of the table was loaded");
}
