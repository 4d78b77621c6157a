//! Plain SQL scripts run with pgferry's runner (`pgferry_restore::sql::run_script`) against real servers: the
//! kitchen sink must load as with psql; scripts the reference pg_dump writes (plain, with and without `-C`, with
//! `--inserts`, of a LATIN1 database) must restore into an empty database with the same schema (as the
//! reference pg_dump sees it) and the same rows (a checksum per table) as the source; and errors, COPY failures
//! and meta-commands behave as the runner promises.

use std::ffi::OsStr;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use pgferry_conn::{ConnConfig, Environment, Overrides};
use pgferry_restore::sql::{run_script, RunError, RunOptions, RunSummary, StatementError};
use pgferry_testkit::{
    assert_same_contents, assert_same_schema, database_contents as contents, diff_lines,
    fixtures_dir, kitchen_sink_sql, load_kitchen_sink, normalize_dump, one_major, pg_dump_schema,
    psql_script, query_rows as rows, reference_for_server, reference_tool,
    require_reference_or_skip, strip_newer_settings, Cluster, RefTool, RefVersion,
};

/// No environment: the cluster's URL says everything.
struct NoEnv;

impl Environment for NoEnv {
    fn var(&self, _name: &str) -> Option<String> {
        None
    }

    fn home_dir(&self) -> Option<PathBuf> {
        None
    }

    fn os_user(&self) -> Option<String> {
        Some("postgres".to_owned())
    }
}

fn config(cluster: &Cluster, db: &str) -> ConnConfig {
    ConnConfig::resolve(Some(&cluster.url(db)), &Overrides::default(), &NoEnv).expect("config")
}

/// Runs `script` in `db`, collecting the errors the run goes on after.
async fn run(
    cluster: &Cluster,
    db: &str,
    script: &[u8],
    mut options: RunOptions,
) -> (Result<RunSummary, RunError>, Vec<StatementError>) {
    let errors = Arc::new(Mutex::new(Vec::new()));
    let sink = errors.clone();
    options.on_error = Some(Arc::new(move |e: &StatementError| {
        sink.lock().unwrap().push(e.clone())
    }));
    let result = run_script(&config(cluster, db), script, &options).await;
    let errors = errors.lock().unwrap().clone();
    (result, errors)
}

/// Runs `script` in `db` and requires it to succeed without errors.
async fn run_clean(cluster: &Cluster, db: &str, script: &[u8], what: &str) -> RunSummary {
    let (result, errors) = run(cluster, db, script, RunOptions::default()).await;
    let summary = result.unwrap_or_else(|e| panic!("{what}: the run failed: {e}"));
    assert!(
        errors.is_empty() && summary.errors == 0,
        "{what} on PostgreSQL {}: {} errors:\n{}",
        cluster.major(),
        summary.errors,
        errors
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join("\n")
    );
    summary
}

/// The reference pg_dump's output (plain, with data) of `db`, as bytes (a LATIN1 database's is not UTF-8).
async fn pg_dump(cluster: &Cluster, db: &str, version: RefVersion, args: &[&str]) -> Vec<u8> {
    let program = reference_tool(RefTool::PgDump, version).expect("reference pg_dump");
    let conn = format!(
        "host={} port={} user={} dbname={db} connect_timeout=10",
        cluster.host(),
        cluster.port(),
        cluster.user()
    );
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
        "pg_dump {version} {args:?} failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    output.stdout
}

/// A dump without what a server of `major` does not know (`SET transaction_timeout` before 17).
fn for_server(script: Vec<u8>, major: u32) -> Vec<u8> {
    match String::from_utf8(script) {
        Ok(text) => strip_newer_settings(&text, major).into_owned().into_bytes(),
        Err(e) => {
            let bytes = e.into_bytes();
            if major >= 17 {
                return bytes;
            }
            bytes
                .split_inclusive(|&b| b == b'\n')
                .filter(|l| !l.starts_with(b"SET transaction_timeout = "))
                .flatten()
                .copied()
                .collect()
        }
    }
}

/// The schema as pg_dump (in UTF-8) sees it, normalized.
async fn schema(cluster: &Cluster, db: &str, version: RefVersion) -> String {
    let dump = pg_dump_schema(cluster, db, version, &["--encoding=UTF8"])
        .await
        .unwrap_or_else(|e| panic!("pg_dump {version} of {db}: {e}"));
    normalize_dump(&dump)
}

fn assert_same_text(what: &str, expected: &str, actual: &str) {
    if let Some(diff) = diff_lines(expected, actual) {
        panic!("{what}:\n{diff}");
    }
}

/// `ALTER DATABASE from RENAME TO to`, retried while the last sessions of `from` end.
async fn rename_database(cluster: &Cluster, from: &str, to: &str) {
    let sql = format!("ALTER DATABASE \"{from}\" RENAME TO \"{to}\"");
    for _ in 0..100 {
        match cluster.execute_sql("postgres", &sql).await {
            Ok(()) => return,
            Err(_) => tokio::time::sleep(Duration::from_millis(100)).await,
        }
    }
    cluster.execute_sql("postgres", &sql).await.expect("rename");
}

/// The kitchen sink for the server's major, run with pgferry's runner instead of psql: the same schema and data;
/// then the reference pg_dump's plain script of it, restored with the runner.
async fn kitchen_sink_like_psql(major: u32) {
    if pgferry_testkit::require_or_skip(major).is_none() {
        return;
    }
    let reference = reference_for_server(major);
    if require_reference_or_skip(reference).is_none() {
        return;
    }
    let cluster = Cluster::start(major).await.expect("cluster starts");
    cluster.create_database("by_psql").await.expect("by_psql");
    cluster
        .create_database("by_pgferry")
        .await
        .expect("by_pgferry");
    load_kitchen_sink(&cluster, "by_psql")
        .await
        .expect("psql loads the kitchen sink");
    let script = std::fs::read(kitchen_sink_sql(major)).expect("fixture");
    let summary = run_clean(&cluster, "by_pgferry", &script, "the kitchen sink").await;
    assert!(summary.statements > 50, "{summary:?}");
    assert_same_schema(&cluster, "by_psql", "by_pgferry", reference).await;
    // The kitchen sink's large object gets a new OID in each database.
    let without_oids = |text: String| {
        text.lines()
            .map(|l| match l.strip_prefix("large object ") {
                Some(rest) => format!("large object {}", rest.split_once('\t').map_or("", |r| r.1)),
                None => l.to_owned(),
            })
            .collect::<Vec<_>>()
            .join("\n")
    };
    assert_same_contents(
        &format!("the kitchen sink on PostgreSQL {major}"),
        &without_oids(contents(&cluster, "by_psql").await),
        &without_oids(contents(&cluster, "by_pgferry").await),
    );
    // And the reference pg_dump for this server (17.10 or 15 below 18) writes a script the runner restores.
    round_trip(&cluster, "by_pgferry", reference, &[]).await;
}

macro_rules! kitchen_sinks {
    ($($name:ident: $major:expr),* $(,)?) => {$(
        #[tokio::test(flavor = "multi_thread")]
        async fn $name() {
            kitchen_sink_like_psql($major).await;
        }
    )*};
}

kitchen_sinks! {
    kitchen_sink_like_psql_12: 12,
    kitchen_sink_like_psql_13: 13,
    kitchen_sink_like_psql_14: 14,
    kitchen_sink_like_psql_15: 15,
    kitchen_sink_like_psql_16: 16,
    kitchen_sink_like_psql_17: 17,
    kitchen_sink_like_psql_18: 18,
}

/// Dumps `src` with `version` and `args`, runs the script into `target` (created empty, unless the dump has
/// `-C`), and compares schema and contents with the source's.
async fn round_trip(cluster: &Cluster, src: &str, version: RefVersion, args: &[&str]) {
    let major = cluster.major();
    let reference = reference_for_server(major);
    let what = format!("pg_dump {version} {args:?} of {src} on PostgreSQL {major}");
    let script = for_server(pg_dump(cluster, src, version, args).await, major);
    let expected_schema = schema(cluster, src, reference).await;
    let expected_contents = contents(cluster, src).await;
    let create = args.contains(&"-C") || args.contains(&"--create");
    let target = if create {
        // The script creates the database under the source's name: the source steps aside.
        let aside = format!("{src}_orig");
        rename_database(cluster, src, &aside).await;
        let summary = run_clean(cluster, "postgres", &script, &what).await;
        assert_eq!(summary.database, src, "{what}");
        let target = format!("{src}_restored");
        rename_database(cluster, src, &target).await;
        rename_database(cluster, &aside, src).await;
        target
    } else {
        let target = format!("{src}_copy");
        let encoding = rows(
            &cluster.connect(src).await.expect("connect"),
            "SELECT pg_catalog.pg_encoding_to_char(encoding) FROM pg_catalog.pg_database \
             WHERE datname = pg_catalog.current_database()",
        )
        .await
        .join("");
        cluster
            .execute_sql(
                "postgres",
                &format!(
                    "CREATE DATABASE \"{target}\" TEMPLATE template0 ENCODING '{encoding}' \
                     LC_COLLATE 'C' LC_CTYPE 'C'"
                ),
            )
            .await
            .expect("target database");
        let summary = run_clean(cluster, &target, &script, &what).await;
        assert!(summary.statements > 0, "{what}: {summary:?}");
        target
    };
    assert_same_text(
        &format!("{what}: the restored schema differs"),
        &expected_schema,
        &schema(cluster, &target, reference).await,
    );
    assert_same_contents(&what, &expected_contents, &contents(cluster, &target).await);
    cluster
        .execute_sql("postgres", &format!("DROP DATABASE \"{target}\""))
        .await
        .expect("drop the copy");
}

/// A LATIN1 database with text that is not ASCII, in names too.
async fn latin1_database(cluster: &Cluster, name: &str) {
    cluster
        .execute_sql(
            "postgres",
            &format!(
                "CREATE DATABASE {name} TEMPLATE template0 ENCODING 'LATIN1' LC_COLLATE 'C' LC_CTYPE 'C'"
            ),
        )
        .await
        .expect("LATIN1 database");
    cluster
        .execute_sql(
            name,
            "CREATE TABLE \"Straße\" (id int PRIMARY KEY, t text, note varchar(20) DEFAULT 'déjà vu');\n\
             COMMENT ON TABLE \"Straße\" IS 'Größe: ÿ';\n\
             INSERT INTO \"Straße\" (id, t) VALUES (1, 'café'), (2, 'ñandú'), (3, E'tab\\there ÿ'), (4, NULL);\n\
             CREATE FUNCTION grüß(x text) RETURNS text LANGUAGE sql AS $$ SELECT 'grüß ' || x $$;",
        )
        .await
        .expect("LATIN1 contents");
}

/// pg_dump's plain scripts, restored with the runner: the kitchen sink and the data fixture, plain, with
/// `--inserts`, with `-C`, and a LATIN1 database's, with pg_dump 18.6 and the reference for the server.
#[tokio::test(flavor = "multi_thread")]
async fn pg_dump_scripts_restore() {
    let Some(major) = one_major() else {
        return;
    };
    let reference = reference_for_server(major);
    if require_reference_or_skip(reference).is_none()
        || require_reference_or_skip(RefVersion::V18_6).is_none()
    {
        return;
    }
    let cluster = Cluster::start(major).await.expect("cluster starts");
    cluster.create_database("ks").await.expect("ks");
    load_kitchen_sink(&cluster, "ks")
        .await
        .expect("kitchen sink");
    cluster.create_database("data").await.expect("data");
    pgferry_testkit::psql_file(
        &cluster,
        "data",
        fixtures_dir().join("sql").join("data.sql"),
        reference,
    )
    .await
    .expect("data fixture");
    latin1_database(&cluster, "lat").await;

    let mut versions = vec![RefVersion::V18_6];
    if reference != RefVersion::V18_6 {
        versions.push(reference);
    }
    for version in versions {
        for src in ["ks", "data"] {
            round_trip(&cluster, src, version, &[]).await;
            round_trip(&cluster, src, version, &["--inserts"]).await;
            round_trip(&cluster, src, version, &["-C"]).await;
        }
        // The dump is in LATIN1, as the database.
        let script = pg_dump(&cluster, "lat", version, &[]).await;
        assert!(
            String::from_utf8_lossy(&script).contains("SET client_encoding = 'LATIN1';")
                && std::str::from_utf8(&script).is_err(),
            "not a LATIN1 dump"
        );
        round_trip(&cluster, "lat", version, &[]).await;
        round_trip(&cluster, "lat", version, &["-C", "--column-inserts"]).await;
    }
}

/// Errors, COPY failures, `ON_ERROR_STOP`, single transactions, meta-commands, `\connect` and encodings.
#[tokio::test(flavor = "multi_thread")]
async fn errors_and_meta_commands() {
    let Some(major) = one_major() else {
        return;
    };
    let cluster = Cluster::start(major).await.expect("cluster starts");
    cluster.create_database("t").await.expect("t");
    let client = cluster.connect("t").await.expect("connect");
    let count = |table: &'static str| {
        let client = &client;
        async move {
            rows(client, &format!("SELECT count(*) FROM {table}"))
                .await
                .join("")
        }
    };

    // A syntax error is reported with its line and the run goes on.
    let script = b"CREATE TABLE a (x int);\nSELEC 1;\nINSERT INTO a VALUES (1);\n";
    let (result, errors) = run(&cluster, "t", script, RunOptions::default()).await;
    let summary = result.expect("the run goes on");
    assert_eq!(summary.errors, 1);
    assert_eq!(summary.statements, 3);
    assert_eq!(errors.len(), 1);
    assert_eq!(errors[0].line, 2);
    assert_eq!(errors[0].statement, "SELEC 1;");
    assert_eq!(errors[0].code.as_deref(), Some("42601"));
    assert!(errors[0].message.contains("syntax error"), "{}", errors[0]);
    assert_eq!(count("a").await, "1");

    // With exit_on_error it stops there.
    let script = b"CREATE TABLE b (x int);\nSELEC 1;\nINSERT INTO b VALUES (1);\n";
    let options = RunOptions {
        exit_on_error: true,
        ..RunOptions::default()
    };
    let (result, errors) = run(&cluster, "t", script, options).await;
    match result {
        Err(RunError::Statement(e)) => assert_eq!(e.line, 2, "{e}"),
        other => panic!("{other:?}"),
    }
    assert!(errors.is_empty());
    assert_eq!(count("b").await, "0");

    // So does the script's own \set ON_ERROR_STOP.
    let script =
        b"\\set ON_ERROR_STOP on\nCREATE TABLE b2 (x int);\nSELEC 1;\nINSERT INTO b2 VALUES (1);\n";
    let (result, _) = run(&cluster, "t", script, RunOptions::default()).await;
    assert!(
        matches!(result, Err(RunError::Statement(ref e)) if e.line == 3),
        "{result:?}"
    );
    assert_eq!(count("b2").await, "0");

    // In a single transaction nothing stays.
    let script = b"CREATE TABLE c (x int);\nINSERT INTO c VALUES (1);\nSELEC 1;\n";
    let options = RunOptions {
        single_transaction: true,
        ..RunOptions::default()
    };
    let (result, _) = run(&cluster, "t", script, options.clone()).await;
    assert!(
        matches!(result, Err(RunError::Statement(ref e)) if e.line == 3),
        "{result:?}"
    );
    let exists = rows(
        &client,
        "SELECT count(*) FROM pg_catalog.pg_class WHERE relname = 'c'",
    )
    .await;
    assert_eq!(exists, vec!["0"]);
    let (result, _) = run(
        &cluster,
        "t",
        b"CREATE TABLE c (x int);\nINSERT INTO c VALUES (1);",
        options,
    )
    .await;
    result.expect("a clean single transaction");
    assert_eq!(count("c").await, "1");

    // A COPY that fails skips its data and the run goes on: a missing table, then bad data.
    let script = b"COPY missing FROM stdin;\n1\n2\n\\.\nCREATE TABLE d (x int);\n\
                   COPY d FROM stdin;\n1\nnot a number\n3\n\\.\nCOPY d FROM stdin;\n4\n5\n\\.\nINSERT INTO d VALUES (6);\n";
    let (result, errors) = run(&cluster, "t", script, RunOptions::default()).await;
    let summary = result.expect("the run goes on");
    assert_eq!(summary.errors, 2, "{errors:?}");
    assert_eq!(summary.rows_copied, 2);
    assert_eq!((errors[0].line, errors[1].line), (1, 6), "{errors:?}");
    assert!(errors[1].message.contains("line 2"), "{}", errors[1]);
    assert_eq!(
        rows(&client, "SELECT x FROM d ORDER BY x").await,
        ["4", "5", "6"]
    );

    // After a COPY that fails before its data, the session's settings still hold.
    let script =
        b"CREATE SCHEMA other;\nSELECT pg_catalog.set_config('search_path', 'other', false);\n\
                   SET statement_timeout = '17s';\nCOPY nothing FROM stdin;\n1\n\\.\n\
                   CREATE TABLE f AS SELECT current_setting('statement_timeout') AS s;\n";
    let (result, errors) = run(&cluster, "t", script, RunOptions::default()).await;
    assert_eq!(result.expect("the run goes on").errors, 1, "{errors:?}");
    assert_eq!(rows(&client, "SELECT s FROM other.f").await, ["17s"]);

    // Meta-commands pgferry does not run stop it, naming the command and the line.
    let (result, _) = run(
        &cluster,
        "t",
        b"SELECT 1;\n\\! ls\nSELECT 2;\n",
        RunOptions::default(),
    )
    .await;
    let error = result.expect_err("\\! is refused");
    let message = error.to_string();
    assert!(
        matches!(error, RunError::MetaCommand { line: 2, ref command, .. } if command == "!"),
        "{error:?}"
    );
    assert!(
        message.starts_with("line 2: \\!: ") && message.contains("\\!"),
        "{message}"
    );
    let (result, _) = run(&cluster, "t", b"\\set FOO bar\n", RunOptions::default()).await;
    assert!(
        matches!(result, Err(RunError::MetaCommand { line: 1, .. })),
        "{result:?}"
    );
    let (result, _) = run(
        &cluster,
        "t",
        b"\\set QUIET on\n\\set ECHO all\nSELECT 1;",
        RunOptions::default(),
    )
    .await;
    result.expect("display settings are ignored");

    // Restricted mode: only \unrestrict with the key.
    let script = b"\\restrict abc\nSELECT 1;\n\\set ON_ERROR_STOP on\n";
    let (result, _) = run(&cluster, "t", script, RunOptions::default()).await;
    assert!(
        matches!(result, Err(RunError::MetaCommand { line: 3, ref reason, .. }) if reason.contains("restricted")),
        "{result:?}"
    );
    let (result, _) = run(
        &cluster,
        "t",
        b"\\restrict abc\n\\unrestrict abd\n",
        RunOptions::default(),
    )
    .await;
    assert!(
        matches!(result, Err(RunError::MetaCommand { line: 2, .. })),
        "{result:?}"
    );
    let (result, _) = run(&cluster, "t", b"\\unrestrict abc\n", RunOptions::default()).await;
    assert!(
        matches!(result, Err(RunError::MetaCommand { line: 1, .. })),
        "{result:?}"
    );
    let script = b"\\restrict abc\nSELECT 1;\n\\unrestrict abc\n\\set ON_ERROR_STOP on\n";
    run(&cluster, "t", script, RunOptions::default())
        .await
        .0
        .expect("restricted and back");

    // \connect, to a database whose name needs pg_dump's connection-string form.
    let odd = "odd 'db' \"x\" é";
    cluster
        .execute_sql(
            "postgres",
            &format!("CREATE DATABASE {}", pgferry_testkit::quote_ident(odd)),
        )
        .await
        .expect("odd database");
    let script = format!(
        "CREATE TABLE here (x int);\n\\restrict k\n\\unrestrict k\n{}\\restrict k\nCREATE TABLE there (x int);\n\
         \\unrestrict k\n\\connect t\nCREATE TABLE back_here (x int);\n\\c {}\nCREATE TABLE there_again (x int);\n",
        pgferry_archive::quote::psql_connect(odd),
        pgferry_archive::quote::ident(odd)
    );
    let summary = run_clean(&cluster, "t", script.as_bytes(), "\\connect").await;
    assert_eq!(summary.database, odd);
    let odd_client = cluster
        .connect(odd)
        .await
        .expect("connect to the odd database");
    assert_eq!(
        rows(
            &odd_client,
            "SELECT relname FROM pg_catalog.pg_class WHERE relname LIKE 'there%' ORDER BY 1"
        )
        .await,
        ["there", "there_again"]
    );
    assert_eq!(count("back_here").await, "0");
    let (result, _) = run(&cluster, "t", b"\\connect nowhere\n", RunOptions::default()).await;
    assert!(
        matches!(result, Err(RunError::Connect { line: Some(1), .. })),
        "{result:?}"
    );

    // Encodings: a LATIN1 script into a UTF-8 database; SQL_ASCII that is not UTF-8 is refused.
    let script = b"SET client_encoding = 'LATIN1';\nCREATE TABLE e (t text);\nINSERT INTO e VALUES ('caf\xe9');\n\
                   COPY e FROM stdin;\n\xfcber\n\\.\nSET client_encoding = 'UTF8';\nINSERT INTO e VALUES ('\xc3\xa9t\xc3\xa9');\n";
    run_clean(&cluster, "t", script, "a LATIN1 script").await;
    assert_eq!(
        rows(&client, "SELECT t FROM e ORDER BY t").await,
        ["café", "été", "über"]
    );
    let (result, _) = run(
        &cluster,
        "t",
        b"SET client_encoding = 'SQL_ASCII';\nSELECT '\xe9';\n",
        RunOptions::default(),
    )
    .await;
    let error = result.expect_err("not UTF-8");
    assert!(
        matches!(error, RunError::Script(ref e) if e.line == 2),
        "{error:?}"
    );
    assert!(error.to_string().contains("SQL_ASCII"), "{error}");
    // The connection stayed UTF-8 (the SET was not sent): a statement after it still works.
    let (result, _) = run(
        &cluster,
        "t",
        b"SET client_encoding = 'WIN1252';\nCREATE TABLE w (t text);\nINSERT INTO w VALUES ('\x80');\n",
        RunOptions::default(),
    )
    .await;
    result.expect("a WIN1252 script");
    assert_eq!(rows(&client, "SELECT t FROM w").await, ["€"]);
}

/// A script with every lexical construct psql knows, run by the reference psql and by the runner: the same rows.
#[tokio::test(flavor = "multi_thread")]
async fn tricky_script_like_psql() {
    let Some(major) = one_major() else {
        return;
    };
    let reference = reference_for_server(major);
    if require_reference_or_skip(reference).is_none() {
        return;
    }
    let mut script = String::from(
        "-- leading comment; with a semicolon\n\
         SET standard_conforming_strings = off;\n\
         CREATE TABLE log (n int, v text);\n\
         INSERT INTO log VALUES (1, 'a\\';b');\n\
         INSERT INTO log VALUES (2, E'c\\\\;d'), (3, 'e''f;g');\n\
         SET standard_conforming_strings = on;\n\
         INSERT INTO log VALUES (4, 'h\\'); INSERT INTO log VALUES (5, 'i;j');\n\
         INSERT INTO log VALUES (6, 'k'\n  -- comment; here\n  'l;m'), (23, E'a'\r'b\\';c');\n\
         INSERT INTO log VALUES (7, $$n;'o\"$$), (8, $fn$p $$ ; q$fn$);\n\
         /* block; /* nested; */ still; */ INSERT INTO log VALUES (9, U&'r\\0073;' || 's');\n\
         INSERT INTO log VALUES (11, 'x') \\; INSERT INTO log VALUES (12, 'y');\n\
         CREATE TABLE \"we;ird\"\"t\" (\"a$b\" int); INSERT INTO \"we;ird\"\"t\" VALUES (13);\n\
         PREPARE p(int) AS INSERT INTO log VALUES ($1, 'param'); EXECUTE p(14);\n\
         INSERT INTO log SELECT 15, a$b$ FROM (SELECT 'dollar; ident' AS a$b$) s;\n\
         INSERT INTO log VALUES (16, (SELECT string_agg(x, ';') FROM (VALUES ('p'), ('q')) v(x)));\r\n\
         INSERT INTO log VALUES (17, B'101'::text), (18, X'1F'::text), (19, N'n;');\r\n\
         INSERT INTO log VALUES (20, 'crlf\r\nin a string;');\r\n",
    );
    if major >= 14 {
        script.push_str(
            "CREATE FUNCTION f(x int) RETURNS text LANGUAGE sql\n\
             BEGIN ATOMIC SELECT CASE WHEN x > 0 THEN 'pos;' ELSE 'neg;' END; END;\n\
             INSERT INTO log VALUES (21, f(1));\n",
        );
    }
    script.push_str("INSERT INTO log VALUES (22, 'no semicolon at the end')\n");
    let cluster = Cluster::start(major).await.expect("cluster starts");
    cluster.create_database("by_psql").await.expect("by_psql");
    cluster
        .create_database("by_pgferry")
        .await
        .expect("by_pgferry");
    psql_script(&cluster, "by_psql", &script, reference)
        .await
        .expect("psql runs the script");
    run_clean(
        &cluster,
        "by_pgferry",
        script.as_bytes(),
        "the tricky script",
    )
    .await;
    let log = |db: &'static str| {
        let cluster = &cluster;
        async move {
            let client = cluster.connect(db).await.expect("connect");
            rows(&client, "SELECT n, v FROM log ORDER BY n")
                .await
                .join("\n")
        }
    };
    let (expected, actual) = (log("by_psql").await, log("by_pgferry").await);
    assert!(expected.lines().count() >= 20, "{expected}");
    assert_same_text("the tricky script's rows", &expected, &actual);
    assert_same_schema(&cluster, "by_psql", "by_pgferry", reference).await;
}
