//! `pgferry dump` with data: table rows, sequence values and large objects. Dump with pgferry, load the plain
//! script with psql into an empty database, and compare the two databases (the reference pg_dump's schema,
//! every table's rows, every sequence's value, every large object); and the script itself must be pg_dump 18.6's
//! plain output of the same database, with the default options and with the INSERT and data-only variants.

use std::ffi::OsStr;
use std::time::Duration;

use pgferry_testkit::{
    assert_same_schema, diff_lines, fixtures_dir, pg_dump_schema, psql_file, psql_script,
    reference_for_server, reference_tool, require_reference_or_skip, Cluster, RefTool, RefVersion,
};

use crate::support::Env;

/// The option sets whose output is compared with pg_dump 18.6's, and whose script is loaded and checked.
const VARIANTS: &[&[&str]] = &[
    &[],
    &["--inserts"],
    &["--column-inserts"],
    &["--rows-per-insert", "3", "--on-conflict-do-nothing"],
    &["--data-only", "--disable-triggers"],
];

/// The libpq connection string of a database of the cluster, for the reference tools.
pub(crate) fn conninfo(cluster: &Cluster, db: &str) -> String {
    format!(
        "host={} port={} user={} dbname={db} connect_timeout=10",
        cluster.host(),
        cluster.port(),
        cluster.user()
    )
}

/// The reference pg_dump 18.6's plain output (with data) of `db`, with `args`.
pub(crate) async fn reference_dump(cluster: &Cluster, db: &str, args: &[&str]) -> String {
    let program = reference_tool(RefTool::PgDump, RefVersion::V18_6).expect("pg_dump 18.6");
    let conn = conninfo(cluster, db);
    let mut command = tokio::process::Command::new(program);
    for (name, _) in std::env::vars_os() {
        if name.to_string_lossy().starts_with("PG") {
            command.env_remove(name);
        }
    }
    command
        .args(args)
        .args([OsStr::new("--no-password"), OsStr::new("--dbname")])
        .arg(&conn)
        .env("LC_ALL", "C")
        .kill_on_drop(true);
    let output = command.output().await.expect("pg_dump runs");
    assert!(
        output.status.success(),
        "pg_dump 18.6 {args:?} failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).expect("UTF-8 dump")
}

/// A plain script without what differs between pg_dump 18.6 and pgferry on purpose: the version header, the
/// `\restrict` key, and `SET transaction_timeout` (pgferry writes it only for 17+ sources).
pub(crate) fn comparable(script: &str, major: u32) -> String {
    pgferry_testkit::normalize_dump(script)
        .lines()
        .filter(|l| major >= 17 || *l != "SET transaction_timeout = 0;")
        .collect::<Vec<_>>()
        .join("\n")
}

pub(crate) use pgferry_testkit::{database_contents as contents, query_rows as rows};

pub(crate) fn assert_same_contents(major: u32, what: &str, expected: &str, actual: &str) {
    pgferry_testkit::assert_same_contents(
        &format!("{what} on PostgreSQL {major}"),
        expected,
        actual,
    );
}

/// Loads the data fixture, dumps it with pgferry (default options and every variant), compares each script
/// with pg_dump 18.6's, loads each and compares the result with the source.
async fn data_round_trip(major: u32) {
    if pgferry_testkit::require_or_skip(major).is_none() {
        return;
    }
    let reference = reference_for_server(major);
    if require_reference_or_skip(reference).is_none()
        || require_reference_or_skip(RefVersion::V18_6).is_none()
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
    assert!(
        source.contains("large object 3000000000\tpostgres"),
        "{source}"
    );

    let env = Env::new();
    let url = cluster.url("src");
    for (n, variant) in VARIANTS.iter().enumerate() {
        let out = env.home().join(format!("dump{n}.sql"));
        let mut args = vec!["dump", "-f", out.to_str().unwrap()];
        args.extend_from_slice(variant);
        args.push(&url);
        env.run(&args).await.success();
        let ours = std::fs::read_to_string(&out).expect("dump file");

        // The script is pg_dump 18.6's, byte for byte, but for what pgferry changes on purpose.
        let expected = reference_dump(&cluster, "src", variant).await;
        let (expected, actual) = (comparable(&expected, major), comparable(&ours, major));
        if let Some(diff) = diff_lines(&expected, &actual) {
            panic!(
                "pgferry dump {variant:?} differs from pg_dump 18.6's on PostgreSQL {major}:\n{diff}"
            );
        }

        // And it restores the data: into an empty database, or for data-only scripts into a copy of the
        // schema made with the reference tools. (Servers before 14 reject DEFAULT for a generated column in a
        // multi-row VALUES list, so pg_dump's --rows-per-insert script, and pgferry's, do not load there.)
        if major < 14 && variant.contains(&"--rows-per-insert") {
            continue;
        }
        let db = format!("copy{n}");
        cluster.create_database(&db).await.expect("copy");
        if variant.contains(&"--data-only") {
            let schema = pg_dump_schema(&cluster, "src", reference, &[])
                .await
                .expect("schema");
            let schema = pgferry_testkit::strip_newer_settings(&schema, major);
            psql_script(&cluster, &db, &schema, reference)
                .await
                .expect("schema loads");
        }
        if let Err(error) = psql_file(&cluster, &db, &out, reference).await {
            panic!("pgferry dump {variant:?} did not load on PostgreSQL {major}: {error}");
        }
        if variant.contains(&"--data-only") {
            // A data-only dump refreshes no materialized view (that is post-data schema), as pg_dump's.
            cluster
                .execute_sql(&db, "REFRESH MATERIALIZED VIEW d.order_totals")
                .await
                .expect("refresh");
        }
        if n == 0 {
            assert_same_schema(&cluster, "src", &db, reference).await;
        }
        let copied = contents(&cluster, &db).await;
        assert_same_contents(
            major,
            &format!("pgferry dump {variant:?}"),
            &source,
            &copied,
        );
    }
}

macro_rules! data_round_trips {
    ($($name:ident: $major:expr),* $(,)?) => {$(
        #[tokio::test(flavor = "multi_thread")]
        async fn $name() {
            data_round_trip($major).await;
        }
    )*};
}

data_round_trips! {
    data_round_trip_12: 12,
    data_round_trip_13: 13,
    data_round_trip_14: 14,
    data_round_trip_15: 15,
    data_round_trip_16: 16,
    data_round_trip_17: 17,
    data_round_trip_18: 18,
}

/// A cluster of the newest available server with the data fixture in `src`.
async fn data_cluster() -> Option<Cluster> {
    let major = crate::support::one_major()?;
    require_reference_or_skip(RefVersion::V18_6)?;
    let cluster = Cluster::start(major).await.expect("cluster starts");
    cluster.create_database("src").await.expect("src");
    psql_file(
        &cluster,
        "src",
        fixtures_dir().join("sql").join("data.sql"),
        RefVersion::V18_6,
    )
    .await
    .expect("fixture loads");
    Some(cluster)
}

#[tokio::test(flavor = "multi_thread")]
async fn data_options_match_pg_dump() {
    let Some(cluster) = data_cluster().await else {
        return;
    };
    let major = cluster.major();
    let cases: &[&[&str]] = &[
        &["--load-via-partition-root"],
        &["--load-via-partition-root", "--inserts"],
        &[
            "--exclude-table-data",
            "d.orders",
            "--no-unlogged-table-data",
        ],
        &["--exclude-table-data-and-children", "d.measurements"],
        &["-n", "d"],
        &["-n", "d", "-b"],
        &["-B"],
        &["-t", "d.people"],
        &["-s", "--sequence-data"],
        &[
            "-a",
            "--use-set-session-authorization",
            "--disable-triggers",
        ],
        &["--section", "data"],
        &["-O", "-x", "--no-comments"],
        &["--quote-all-identifiers", "--column-inserts"],
        &["-c", "--if-exists"],
    ];
    let env = Env::new();
    let url = cluster.url("src");
    for case in cases {
        let mut args = vec!["dump"];
        args.extend_from_slice(case);
        args.push(&url);
        let ours = env.run(&args).await.success().to_owned();
        let expected = reference_dump(&cluster, "src", case).await;
        let (expected, actual) = (comparable(&expected, major), comparable(&ours, major));
        if let Some(diff) = diff_lines(&expected, &actual) {
            panic!("pgferry dump {case:?} differs from pg_dump 18.6's:\n{diff}");
        }
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn refused_option_combinations_say_why() {
    // Refused before connecting: nothing listens there.
    let url = "postgresql://postgres@127.0.0.1:1/nowhere".to_owned();
    let cases: &[(&[&str], &str)] = &[
        (
            &["-s", "-a"],
            "-s/--schema-only and -a/--data-only cannot be used together",
        ),
        (
            &["-a", "-c"],
            "-c/--clean and -a/--data-only cannot be used together",
        ),
        (&["--on-conflict-do-nothing"], "requires option --inserts"),
        (
            &["--rows-per-insert", "0"],
            "must be in range 1..2147483647",
        ),
        (
            &["-j", "4"],
            "parallel dumps (-j) write the directory format (-Fd) or the custom format (-Fc)",
        ),
        (&["-F", "d"], "requires an output directory"),
        (&["-F", "x"], "invalid output format"),
    ];
    for (args, message) in cases {
        let mut all = vec!["dump"];
        all.extend_from_slice(args);
        all.push(&url);
        let run = Env::new().run(&all).await;
        let line = crate::exit_codes::usage_line(&run);
        assert!(line.contains(message), "{args:?}: {line}");
    }
}

/// Ends the connection that copies a large table (the dump's, or a parallel worker's): the dump fails with the
/// server's reason and leaves no file or directory behind. `kill_server` stops the whole server (immediate
/// shutdown) instead of one backend. `output` names the output, `options` are the dump's format options.
async fn interrupted_dump(kill_server: bool, output: &str, options: &[&str]) {
    let Some(major) = crate::support::one_major() else {
        return;
    };
    let cluster = Cluster::start(major).await.expect("cluster starts");
    cluster.create_database("big").await.expect("big");
    // About 140 MB of COPY text: seconds of streaming, time enough to interrupt it.
    cluster
        .execute_sql(
            "big",
            "CREATE TABLE a_big AS SELECT i, md5(i::text) AS h, repeat('x', 100) AS pad \
             FROM generate_series(1, 1000000) AS i; \
             CREATE TABLE z_after (i int); INSERT INTO z_after VALUES (1);",
        )
        .await
        .expect("big table");
    let env = Env::new();
    let out = env.home().join(output);
    let url = format!(
        "{}?application_name=pgferry_interrupted",
        cluster.url("big")
    );
    let mut args = vec!["dump", "-f", out.to_str().unwrap()];
    args.extend_from_slice(options);
    args.push(&url);
    let dump = env.run(&args);
    let interrupt = async {
        let watcher = cluster.connect("postgres").await.expect("watcher");
        for _ in 0..2000 {
            let found = rows(
                &watcher,
                "SELECT pid FROM pg_catalog.pg_stat_activity \
                 WHERE application_name = 'pgferry_interrupted' AND state = 'active' \
                   AND query LIKE 'COPY %a_big%'",
            )
            .await;
            if let Some(pid) = found.first() {
                if kill_server {
                    let postmaster =
                        std::fs::read_to_string(cluster.data_dir().join("postmaster.pid"))
                            .expect("postmaster.pid");
                    let server = postmaster.lines().next().expect("pid").trim().to_owned();
                    let status = std::process::Command::new("kill")
                        .args(["-QUIT", &server])
                        .status()
                        .expect("kill");
                    assert!(status.success());
                } else {
                    rows(
                        &watcher,
                        &format!("SELECT pg_catalog.pg_terminate_backend({pid})"),
                    )
                    .await;
                }
                return true;
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        false
    };
    let (run, interrupted) = tokio::join!(dump, interrupt);
    assert!(interrupted, "never saw the COPY of a_big: {run:?}");
    let line = run.one_line_failure();
    // With the whole server gone, another worker may be the first to notice (on the other table).
    assert!(
        line.contains("a_big") || (kill_server && line.contains("z_after")),
        "{line}"
    );
    assert!(!line.contains("exclusive lock"), "{line}");
    assert!(
        line.contains("terminat") || line.contains("connection") || line.contains("closed"),
        "{line}"
    );
    assert!(!out.exists(), "a failed dump left {}", out.display());
    let leftovers: Vec<_> = std::fs::read_dir(env.home())
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.contains(output))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_backend_terminated_during_copy_fails_the_dump_and_leaves_no_file() {
    interrupted_dump(false, "big.sql", &[]).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_server_killed_during_copy_fails_the_dump_and_leaves_no_file() {
    interrupted_dump(true, "big.sql", &[]).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_backend_terminated_during_a_custom_archive_leaves_no_file() {
    interrupted_dump(false, "big.dump", &["-Fc"]).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_server_killed_during_a_tar_archive_leaves_no_file() {
    interrupted_dump(true, "big.tar", &["-Ft"]).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_parallel_workers_backend_terminated_leaves_no_directory() {
    interrupted_dump(false, "big.dir", &["-Fd", "-j", "2"]).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_parallel_workers_backend_terminated_leaves_no_custom_file() {
    interrupted_dump(false, "big.pdump", &["-Fc", "-j", "3", "-Z", "zstd"]).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_server_killed_during_a_parallel_dump_leaves_no_directory() {
    interrupted_dump(true, "big.kdir", &["-Fd", "-j", "2"]).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn extension_configuration_tables_are_dumped_with_their_filter_like_pg_dump() {
    let Some(major) = crate::support::one_major() else {
        return;
    };
    if require_reference_or_skip(RefVersion::V18_6).is_none() {
        return;
    }
    let cluster = Cluster::start(major).await.expect("cluster starts");
    cluster.create_database("ext").await.expect("ext");
    // No extension with configuration tables ships with the test servers: make plpgsql's members hold some,
    // as pg_extension_config_dump() would record them.
    cluster
        .execute_sql(
            "ext",
            "CREATE SCHEMA x;
             CREATE TABLE x.cfg (id int, v text);
             INSERT INTO x.cfg VALUES (1, 'a'), (2, 'b'), (3, 'c');
             CREATE SEQUENCE x.cfgseq;
             SELECT nextval('x.cfgseq');
             ALTER EXTENSION plpgsql ADD TABLE x.cfg;
             ALTER EXTENSION plpgsql ADD SEQUENCE x.cfgseq;
             UPDATE pg_catalog.pg_extension
                SET extconfig = ARRAY['x.cfg'::regclass::oid, 'x.cfgseq'::regclass::oid],
                    extcondition = ARRAY['WHERE id > 1', '']
              WHERE extname = 'plpgsql';
             CREATE TABLE x.plain (a int);
             INSERT INTO x.plain VALUES (1);",
        )
        .await
        .expect("setup");
    let env = Env::new();
    let url = cluster.url("ext");
    let cases: &[&[&str]] = &[&[], &["--inserts"], &["-N", "x"], &["-T", "x.cfg"], &["-a"]];
    for case in cases {
        let mut args = vec!["dump"];
        args.extend_from_slice(case);
        args.push(&url);
        let ours = env.run(&args).await.success().to_owned();
        if case.is_empty() {
            assert!(
                ours.contains("COPY x.cfg (id, v) FROM stdin;\n2\tb\n3\tc\n\\.\n"),
                "{ours}"
            );
        }
        let expected = reference_dump(&cluster, "ext", case).await;
        let (expected, actual) = (
            comparable(&expected, cluster.major()),
            comparable(&ours, cluster.major()),
        );
        if let Some(diff) = diff_lines(&expected, &actual) {
            panic!("pgferry dump {case:?} differs from pg_dump 18.6's:\n{diff}");
        }
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_latin1_database_round_trips_its_text() {
    let Some(major) = crate::support::one_major() else {
        return;
    };
    let reference = reference_for_server(major);
    if require_reference_or_skip(reference).is_none() {
        return;
    }
    let cluster = Cluster::start(major).await.expect("cluster starts");
    for db in ["latin", "latin_copy"] {
        cluster
            .execute_sql(
                "postgres",
                &format!(
                    "CREATE DATABASE {db} ENCODING 'LATIN1' TEMPLATE template0 LC_COLLATE 'C' LC_CTYPE 'C'"
                ),
            )
            .await
            .expect("LATIN1 database");
    }
    cluster
        .execute_sql(
            "latin",
            "CREATE TABLE café (crème text); INSERT INTO café VALUES ('déjà vu'), ('Ærø');
             COMMENT ON TABLE café IS 'très bien';",
        )
        .await
        .expect("setup");
    let env = Env::new();
    let out = env.home().join("latin.sql");
    env.run(&["dump", "-f", out.to_str().unwrap(), &cluster.url("latin")])
        .await
        .success();
    psql_file(&cluster, "latin_copy", &out, reference)
        .await
        .expect("the dump loads");
    // (The reference pg_dump writes LATIN1 here, which the kit's schema comparison cannot read: the names,
    // the comment and the rows are checked directly.)
    let (source, copy) = (
        contents(&cluster, "latin").await,
        contents(&cluster, "latin_copy").await,
    );
    assert_same_contents(major, "a LATIN1 database", &source, &copy);
    let client = cluster.connect("latin_copy").await.expect("connect");
    assert_eq!(
        rows(&client, "SELECT crème FROM café ORDER BY 1").await,
        ["déjà vu", "Ærø"]
    );
    assert_eq!(
        rows(
            &client,
            "SELECT pg_catalog.obj_description('café'::pg_catalog.regclass, 'pg_class')"
        )
        .await,
        ["très bien"]
    );
}
