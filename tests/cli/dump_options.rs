//! `pgferry dump` options, compared with what pg_dump 18.6 does with the same options on the same database,
//! and the failure paths: locks, permissions, patterns that match nothing.

use pgferry_testkit::{
    diff_lines, fixtures_dir, pg_dump_schema, psql_file, require_reference_or_skip, Cluster,
    RefVersion,
};

use crate::support::Env;

/// A cluster of the newest available server with `core.sql` loaded into `src`.
async fn core_cluster() -> Option<Cluster> {
    let major = crate::support::one_major()?;
    require_reference_or_skip(RefVersion::V18_6)?;
    let cluster = Cluster::start(major).await.expect("cluster starts");
    cluster.create_database("src").await.expect("src");
    psql_file(
        &cluster,
        "src",
        fixtures_dir().join("sql").join("core.sql"),
        RefVersion::V18_6,
    )
    .await
    .expect("fixture loads");
    Some(cluster)
}

/// A plain script without what legitimately differs between pg_dump 18.6 and pgferry.
fn comparable(script: &str, major: u32) -> String {
    pgferry_testkit::normalize_dump(script)
        .lines()
        .filter(|l| major >= 17 || *l != "SET transaction_timeout = 0;")
        .collect::<Vec<_>>()
        .join("\n")
}

/// The sorted entry headers of a plain script.
fn headers(script: &str) -> Vec<String> {
    let mut lines: Vec<String> = script
        .lines()
        .filter(|l| l.starts_with("-- Name: "))
        .map(str::to_owned)
        .collect();
    lines.sort();
    lines
}

async fn pgferry_script(cluster: &Cluster, db: &str, args: &[&str]) -> String {
    let mut all = vec!["dump", "--schema-only"];
    all.extend_from_slice(args);
    let url = cluster.url(db);
    all.push(&url);
    Env::new().run(&all).await.success().to_owned()
}

#[tokio::test(flavor = "multi_thread")]
async fn selection_and_content_options_match_pg_dump() {
    let Some(cluster) = core_cluster().await else {
        return;
    };
    let major = cluster.major();
    let cases: &[&[&str]] = &[
        &["-n", "app"],
        &["-N", "app"],
        &["-n", "\"Odd Schema\""],
        &["-t", "app.auth*"],
        &["-t", "app.books", "-t", "app.counter"],
        &["-T", "app.b*"],
        &["--section", "pre-data"],
        &["--section", "post-data"],
        &["-O"],
        &["-x"],
        &["--no-comments"],
        &["--exclude-table", "\"Odd Schema\".\"Odd Table\""],
        &["--table-and-children", "app.events"],
        &["--exclude-table-and-children", "app.books"],
        &[
            "-n",
            "app",
            "--exclude-table-data-and-children",
            "app.events",
        ],
        &["--quote-all-identifiers"],
        &["--use-set-session-authorization"],
        &[
            "--no-tablespaces",
            "--no-table-access-method",
            "--no-toast-compression",
        ],
    ];
    for (n, case) in cases.iter().enumerate() {
        let reference = pg_dump_schema(&cluster, "src", RefVersion::V18_6, case)
            .await
            .expect("pg_dump");
        let ours = pgferry_script(&cluster, "src", case).await;
        let (expected, actual) = (headers(&reference).join("\n"), headers(&ours).join("\n"));
        if let Some(diff) = diff_lines(&expected, &actual) {
            panic!("pgferry dump {case:?} writes other entries than pg_dump 18.6:\n{diff}");
        }
        // Beyond the entries, the whole script is pg_dump's, byte for byte, but for the version header,
        // the random \restrict key and transaction_timeout (written only for 17+ sources).
        let (expected, actual) = (comparable(&reference, major), comparable(&ours, major));
        if let Some(diff) = diff_lines(&expected, &actual) {
            panic!("pgferry dump {case:?} writes other SQL than pg_dump 18.6:\n{diff}");
        }
        // Owners and privileges disappear from the SQL too, not only from the headers.
        if case.contains(&"-O") {
            assert!(!ours.contains("OWNER TO"), "-O left an owner: {ours}");
        }
        if case.contains(&"-x") {
            assert!(
                !ours.contains("GRANT ") && !ours.contains("REVOKE "),
                "-x left a privilege: {ours}"
            );
        }
        // A whole-database script loads, whatever the options (partial ones need what they leave out).
        // (With --use-set-session-authorization the owners themselves create their objects, and core_owner
        // may not create schemas in a fresh database: pg_dump's script fails there the same way.)
        let partial = case.iter().any(|a| {
            [
                "-n",
                "-N",
                "-t",
                "-T",
                "--section",
                "--exclude-table",
                "--table-and-children",
                "--exclude-table-and-children",
                "--use-set-session-authorization",
            ]
            .contains(a)
        });
        if partial {
            continue;
        }
        let db = format!("load{n}");
        cluster.create_database(&db).await.expect("database");
        pgferry_testkit::psql_script(&cluster, &db, &ours, RefVersion::V18_6)
            .await
            .unwrap_or_else(|e| panic!("pgferry dump {case:?} does not load: {e}"));
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn clean_if_exists_script_replays_over_itself() {
    let Some(cluster) = core_cluster().await else {
        return;
    };
    cluster.create_database("copy").await.expect("copy");
    let env = Env::new();
    let out = env.home().join("clean.sql");
    let url = cluster.url("src");
    env.run(&[
        "dump",
        "-s",
        "-c",
        "--if-exists",
        "-f",
        out.to_str().unwrap(),
        &url,
    ])
    .await
    .success();
    // Into an empty database, then again over the result: the DROPs must make both work.
    psql_file(&cluster, "copy", &out, RefVersion::V18_6)
        .await
        .expect("first load");
    psql_file(&cluster, "copy", &out, RefVersion::V18_6)
        .await
        .expect("second load over the first");
    pgferry_testkit::assert_same_schema(&cluster, "src", "copy", RefVersion::V18_6).await;
    let script = std::fs::read_to_string(&out).unwrap();
    assert!(
        script.contains("DROP TABLE IF EXISTS app.authors;"),
        "{script}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn create_writes_the_database_and_its_properties_like_pg_dump() {
    let Some(major) = crate::support::one_major() else {
        return;
    };
    if major < 15 || require_reference_or_skip(RefVersion::V18_6).is_none() {
        return;
    }
    let cluster = Cluster::start(major).await.expect("cluster starts");
    cluster.create_database("props").await.expect("db");
    let setup =
        "DO $$ BEGIN CREATE ROLE props_reader; EXCEPTION WHEN duplicate_object THEN NULL; END $$;
                 ALTER DATABASE props SET work_mem = '16MB';
                 ALTER DATABASE props SET search_path = app, public;
                 ALTER ROLE props_reader IN DATABASE props SET statement_timeout = '5s';
                 ALTER DATABASE props CONNECTION LIMIT 42;
                 COMMENT ON DATABASE props IS 'the properties database';
                 REVOKE CONNECT ON DATABASE props FROM PUBLIC;
                 GRANT CONNECT, TEMPORARY ON DATABASE props TO props_reader;";
    cluster.execute_sql("props", setup).await.expect("setup");
    let reference = pg_dump_schema(&cluster, "props", RefVersion::V18_6, &["-C"])
        .await
        .expect("pg_dump -C");
    let ours = pgferry_script(&cluster, "props", &["-C"]).await;
    let database_lines = |script: &str| -> String {
        script
            .lines()
            .filter(|l| {
                l.starts_with("CREATE DATABASE")
                    || l.starts_with("ALTER DATABASE")
                    || l.starts_with("ALTER ROLE")
                    || l.starts_with("COMMENT ON DATABASE")
                    || l.contains(" ON DATABASE ")
                    || l.starts_with("\\connect")
                    || l.starts_with("-- Name: ")
            })
            .collect::<Vec<_>>()
            .join("\n")
    };
    if let Some(diff) = diff_lines(&database_lines(&reference), &database_lines(&ours)) {
        panic!("pgferry dump -C writes the database differently from pg_dump 18.6:\n{diff}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn patterns_that_match_nothing_fail_clearly() {
    let Some(cluster) = core_cluster().await else {
        return;
    };
    let url = cluster.url("src");
    let run = Env::new().run(&["dump", "-s", "-t", "nope", &url]).await;
    assert!(
        run.one_line_failure()
            .contains("no matching tables were found"),
        "{run:?}"
    );
    let run = Env::new()
        .run(&[
            "dump",
            "-s",
            "--strict-names",
            "-n",
            "app",
            "-n",
            "nope*",
            &url,
        ])
        .await;
    assert!(
        run.one_line_failure()
            .contains("no matching schemas were found for pattern \"nope*\""),
        "{run:?}"
    );
    let run = Env::new()
        .run(&["dump", "-s", "--section", "middle", &url])
        .await;
    assert!(
        crate::exit_codes::usage_line(&run).contains("invalid section name"),
        "{run:?}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn output_does_not_depend_on_the_clients_locale_or_time_zone() {
    let Some(cluster) = core_cluster().await else {
        return;
    };
    cluster
        .execute_sql("src", "CREATE TABLE app.stamped (at timestamptz DEFAULT '2024-06-01 12:00+02', d date DEFAULT '2024-01-31')")
        .await
        .expect("table");
    let url = cluster.url("src");
    let args = ["dump", "-s", "--restrict-key", "fixed", &url];
    let plain = Env::new().run(&args).await.success().to_owned();
    let other = Env::new()
        .var("TZ", "Pacific/Chatham")
        .var("LC_ALL", "C.UTF-8")
        .var("LANG", "de_DE.UTF-8")
        .run(&args)
        .await
        .success()
        .to_owned();
    assert_eq!(plain, other);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_locked_table_fails_within_the_lock_wait_timeout_and_names_the_blocker() {
    let Some(cluster) = core_cluster().await else {
        return;
    };
    let holder = cluster.connect("src").await.expect("connect");
    holder
        .batch_execute("BEGIN; LOCK TABLE app.books IN ACCESS EXCLUSIVE MODE")
        .await
        .expect("lock");
    let env = Env::new();
    let out = env.home().join("never.sql");
    let url = cluster.url("src");
    let run = env
        .run(&[
            "dump",
            "-s",
            "--lock-wait-timeout=1s",
            "-f",
            out.to_str().unwrap(),
            &url,
        ])
        .await;
    let line = run.one_line_failure();
    assert!(line.contains("app.books"), "{line}");
    assert!(line.contains("blocked by process"), "{line}");
    assert!(!out.exists(), "a failed dump left {}", out.display());
    let leftovers: Vec<_> = std::fs::read_dir(env.home())
        .unwrap()
        .flatten()
        .map(|e| e.file_name())
        .collect();
    assert!(
        leftovers
            .iter()
            .all(|n| !n.to_string_lossy().contains("never.sql")),
        "{leftovers:?}"
    );
    holder.batch_execute("COMMIT").await.expect("unlock");
}

#[tokio::test(flavor = "multi_thread")]
async fn missing_privileges_name_the_table_and_leave_no_file() {
    let Some(cluster) = core_cluster().await else {
        return;
    };
    cluster
        .execute_sql(
            "src",
            "DO $$ BEGIN CREATE ROLE weak LOGIN; EXCEPTION WHEN duplicate_object THEN NULL; END $$;
             GRANT USAGE ON SCHEMA app TO weak;
             CREATE TABLE app.secret (x int);",
        )
        .await
        .expect("setup");
    let env = Env::new();
    let out = env.home().join("weak.sql");
    let url = format!("postgresql://weak@127.0.0.1:{}/src", cluster.port());
    let run = env
        .run(&["dump", "-s", "-n", "app", "-f", out.to_str().unwrap(), &url])
        .await;
    let line = run.one_line_failure();
    assert!(line.contains("permission denied"), "{line}");
    assert!(
        line.contains("secret") || line.contains("authors") || line.contains("app."),
        "{line}"
    );
    assert!(!out.exists(), "a failed dump left {}", out.display());
}

#[tokio::test(flavor = "multi_thread")]
async fn ten_thousand_tables_take_the_same_number_of_catalog_queries_as_one() {
    let Some(major) = crate::support::one_major() else {
        return;
    };
    // Like pg_dump, pgferry locks every table in one transaction; 10,000 locks need more lock slots than
    // the default.
    let cluster = Cluster::builder(major)
        .setting("max_locks_per_transaction", "256")
        .start()
        .await
        .expect("cluster starts");
    cluster.create_database("small").await.expect("small");
    cluster.create_database("big").await.expect("big");
    cluster
        .execute_sql(
            "small",
            "CREATE TABLE one (id int PRIMARY KEY, v text DEFAULT 'x')",
        )
        .await
        .expect("small");
    for batch in 0..10 {
        let sql = format!(
            "DO $$ BEGIN FOR i IN {}..{} LOOP \
               EXECUTE format('CREATE TABLE t%s (id int NOT NULL, v text DEFAULT ''x'' CHECK (v <> ''''))', i); \
             END LOOP; END $$;",
            batch * 1000 + 1,
            batch * 1000 + 1000
        );
        cluster
            .execute_sql("big", &sql)
            .await
            .expect("1,000 tables");
    }
    let count = |stderr: &str| -> usize {
        let marker = "the catalog read took ";
        let at = stderr
            .find(marker)
            .unwrap_or_else(|| panic!("no query count in: {stderr}"))
            + marker.len();
        stderr[at..]
            .split_whitespace()
            .next()
            .unwrap()
            .parse()
            .unwrap()
    };
    let env = Env::new();
    let small = env
        .run(&["-v", "dump", "-s", "-f", "/dev/null", &cluster.url("small")])
        .await;
    assert_eq!(small.code, 0, "{small:?}");
    // A device is written in place, never replaced by a renamed file.
    use std::os::unix::fs::FileTypeExt;
    assert!(
        std::fs::metadata("/dev/null")
            .unwrap()
            .file_type()
            .is_char_device(),
        "/dev/null was replaced"
    );
    let big_out = env.home().join("big.sql");
    let big = env
        .run(&[
            "-v",
            "dump",
            "-s",
            "-f",
            big_out.to_str().unwrap(),
            &cluster.url("big"),
        ])
        .await;
    assert_eq!(big.code, 0, "{big:?}");
    assert_eq!(
        count(&small.stderr),
        count(&big.stderr),
        "small: {}\nbig: {}",
        small.stderr,
        big.stderr
    );
    let script = std::fs::read_to_string(&big_out).unwrap();
    assert_eq!(script.matches("CREATE TABLE public.t").count(), 10_000);
}

#[tokio::test(flavor = "multi_thread")]
async fn an_imported_snapshot_hides_later_changes() {
    let Some(cluster) = core_cluster().await else {
        return;
    };
    let holder = cluster.connect("src").await.expect("connect");
    holder
        .batch_execute("BEGIN ISOLATION LEVEL REPEATABLE READ")
        .await
        .expect("begin");
    let rows = holder
        .simple_query("SELECT pg_catalog.pg_export_snapshot()")
        .await
        .expect("export");
    let snapshot = rows
        .iter()
        .find_map(|m| match m {
            tokio_postgres::SimpleQueryMessage::Row(row) => row.get(0).map(str::to_owned),
            _ => None,
        })
        .expect("a snapshot id");
    cluster
        .execute_sql("src", "CREATE TABLE app.after_snapshot (x int)")
        .await
        .expect("later table");

    let url = cluster.url("src");
    let with_snapshot = Env::new()
        .run(&["dump", "-s", "--snapshot", &snapshot, &url])
        .await;
    assert!(
        !with_snapshot.success().contains("after_snapshot"),
        "the snapshot saw a later table"
    );
    let without = Env::new()
        .run(&["dump", "-s", "--serializable-deferrable", &url])
        .await;
    assert!(without
        .success()
        .contains("CREATE TABLE app.after_snapshot"));
    holder.batch_execute("COMMIT").await.expect("commit");
}

#[tokio::test(flavor = "multi_thread")]
async fn filter_files_select_like_the_options_they_stand_for() {
    let Some(cluster) = core_cluster().await else {
        return;
    };
    let env = Env::new();
    let filter = env.home().join("filter.txt");
    std::fs::write(
        &filter,
        "# only the events tree and the authors, without their Odd neighbours\n\
         include table_and_children app.events\n\
         include table app.authors\n\
         exclude table app.events_rest\n",
    )
    .unwrap();
    let url = cluster.url("src");
    let with_filter = env
        .run(&[
            "dump",
            "-s",
            "--restrict-key",
            "k",
            "--filter",
            filter.to_str().unwrap(),
            &url,
        ])
        .await;
    let with_options = env
        .run(&[
            "dump",
            "-s",
            "--restrict-key",
            "k",
            "--table-and-children",
            "app.events",
            "-t",
            "app.authors",
            "-T",
            "app.events_rest",
            &url,
        ])
        .await;
    assert_eq!(with_filter.success(), with_options.success());
    assert!(with_filter.stdout.contains("CREATE TABLE app.events_2024"));
    assert!(!with_filter.stdout.contains("CREATE TABLE app.events_rest"));
    let bad = env.home().join("bad.txt");
    std::fs::write(&bad, "include table_data app.authors\n").unwrap();
    let run = env
        .run(&["dump", "-s", "--filter", bad.to_str().unwrap(), &url])
        .await;
    assert!(run.one_line_failure().contains("line 1"), "{run:?}");
}

/// `-Fp -Z METHOD` compresses the plain script as one gzip, lz4 or zstd stream (a level alone means gzip, as in
/// pg_dump), to a file or standard output, and it decompresses to the uncompressed script.
#[tokio::test(flavor = "multi_thread")]
async fn compressed_plain_output_decompresses_to_the_script() {
    use std::io::Read;
    let Some(cluster) = core_cluster().await else {
        return;
    };
    let env = Env::new();
    let url = cluster.url("src");
    let plain = env
        .run(&["dump", "--restrict-key", "k", &url])
        .await
        .success()
        .to_owned();
    let dir = tempfile::tempdir().expect("tempdir");
    for (spec, method) in [
        ("gzip:5", "gzip"),
        ("3", "gzip"),
        ("lz4", "lz4"),
        ("zstd:9", "zstd"),
    ] {
        let out = dir.path().join(format!("out-{method}-{}.sql", spec.len()));
        env.run(&[
            "dump",
            "--restrict-key",
            "k",
            "-Z",
            spec,
            "-f",
            out.to_str().unwrap(),
            &url,
        ])
        .await
        .success();
        let stored = std::fs::read(&out).expect("output file");
        let mut text = Vec::new();
        match method {
            "gzip" => {
                flate2::read::GzDecoder::new(&stored[..])
                    .read_to_end(&mut text)
                    .expect("gzip");
            }
            "lz4" => {
                lz4_flex::frame::FrameDecoder::new(&stored[..])
                    .read_to_end(&mut text)
                    .expect("lz4");
            }
            _ => text = zstd::decode_all(&stored[..]).expect("zstd"),
        }
        assert!(stored.len() < text.len(), "{spec}: not compressed");
        assert!(
            String::from_utf8(text).expect("UTF-8") == plain,
            "-Z {spec} does not decompress to the plain script"
        );
    }
    // To standard output as well.
    let run = env
        .run(&["dump", "--restrict-key", "k", "-Z", "gzip", &url])
        .await;
    assert_eq!(run.code, 0, "{run:?}");
    // (stdout is read as lossy text: the gzip magic's first byte survives, the script's "--" is gone)
    assert!(run.stdout.starts_with('\u{1f}'), "not gzip on stdout");
}
