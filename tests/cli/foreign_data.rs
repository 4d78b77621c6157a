//! `pgferry dump --include-foreign-data`: the rows of the foreign tables on the matching foreign servers, read
//! through postgres_fdw from the cluster itself (a loopback server), must be what pg_dump 18.6 writes with the
//! same options; patterns that match no server, dotted patterns, `-s` and `-j` are refused as pg_dump refuses
//! them.

use std::ffi::OsStr;

use pgferry_testkit::{
    diff_lines, reference_tool, require_reference_or_skip, Cluster, RefTool, RefVersion,
};

use crate::data_roundtrip::{comparable, conninfo, reference_dump};
use crate::support::Env;

/// A cluster of the newest available server whose `src` holds the local table `remote.items`, the foreign
/// server `loopback` (postgres_fdw back to `src`) with two foreign tables on it, and the server `nowhere`
/// (nothing listens there) with one: reading its table would fail the dump.
async fn foreign_cluster() -> Option<Cluster> {
    let major = crate::support::one_major()?;
    require_reference_or_skip(RefVersion::V18_6)?;
    let cluster = Cluster::start(major).await.expect("cluster starts");
    cluster.create_database("src").await.expect("src");
    let (port, user) = (cluster.port(), cluster.user());
    let sql = format!(
        "CREATE EXTENSION postgres_fdw;
         CREATE SCHEMA remote;
         CREATE TABLE remote.items (id integer PRIMARY KEY, label text, price numeric);
         INSERT INTO remote.items VALUES (1, 'one', 1.5), (2, E'tab\\there', NULL), (3, NULL, 3);
         CREATE SERVER loopback FOREIGN DATA WRAPPER postgres_fdw
             OPTIONS (host '127.0.0.1', port '{port}', dbname 'src');
         CREATE USER MAPPING FOR {user} SERVER loopback OPTIONS (user '{user}');
         CREATE SERVER nowhere FOREIGN DATA WRAPPER postgres_fdw
             OPTIONS (host '127.0.0.1', port '1', dbname 'none', connect_timeout '2');
         CREATE USER MAPPING FOR {user} SERVER nowhere OPTIONS (user '{user}');
         CREATE SCHEMA app;
         CREATE FOREIGN TABLE app.items (id integer, junk integer, label text, price numeric)
             SERVER loopback OPTIONS (schema_name 'remote', table_name 'items');
         ALTER FOREIGN TABLE app.items DROP COLUMN junk;
         CREATE FOREIGN TABLE app.\"Cheap Items\" (id integer, label text)
             SERVER loopback OPTIONS (schema_name 'remote', table_name 'items');
         CREATE FOREIGN TABLE app.unreachable (id integer) SERVER nowhere;
         CREATE TABLE app.local (id integer);
         INSERT INTO app.local VALUES (7);"
    );
    cluster.execute_sql("src", &sql).await.expect("fixture");
    Some(cluster)
}

/// pg_dump 18.6 with `args` (against `conn`, when given), which must fail: its error, without the
/// `pg_dump: error: ` prefix.
async fn reference_error(args: &[&str], conn: Option<&str>) -> String {
    let program = reference_tool(RefTool::PgDump, RefVersion::V18_6).expect("pg_dump 18.6");
    let mut command = tokio::process::Command::new(program);
    for (name, _) in std::env::vars_os() {
        if name.to_string_lossy().starts_with("PG") {
            command.env_remove(name);
        }
    }
    command.args(args).env("LC_ALL", "C").kill_on_drop(true);
    if let Some(conn) = conn {
        command.args([OsStr::new("--no-password"), OsStr::new("--dbname")]);
        command.arg(conn);
    }
    let output = command.output().await.expect("pg_dump runs");
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    assert!(!output.status.success(), "pg_dump 18.6 {args:?} succeeded");
    stderr
        .lines()
        .find_map(|l| l.strip_prefix("pg_dump: error: "))
        .unwrap_or_else(|| panic!("pg_dump 18.6 {args:?}: no error line in:\n{stderr}"))
        .to_owned()
}

/// pgferry's one error line, without the `pgferry: error: ` prefix.
fn our_error(run: &crate::support::Run) -> String {
    // Refusals of the command line exit with 2, other failures with 1 (exit_codes.rs tests which is which).
    let line = if run.code == 2 {
        crate::exit_codes::usage_line(run)
    } else {
        run.one_line_failure()
    };
    line.strip_prefix("pgferry: error: ")
        .expect("prefixed")
        .to_owned()
}

#[tokio::test(flavor = "multi_thread")]
async fn foreign_table_rows_are_dumped_like_pg_dump() {
    let Some(cluster) = foreign_cluster().await else {
        return;
    };
    let major = cluster.major();
    let env = Env::new();
    let filter = env.home().join("servers.filter");
    std::fs::write(
        &filter,
        "# the loopback server\ninclude foreign_data loop*\n",
    )
    .expect("filter");
    let filter_arg = format!("--filter={}", filter.display());
    let cases: &[&[&str]] = &[
        &[],
        &["--include-foreign-data", "loopback"],
        &["--include-foreign-data=loop*", "--inserts"],
        &["-a", "--include-foreign-data", "LOOPBACK"],
        &[
            "-n",
            "app",
            "--include-foreign-data",
            "loop?ack",
            "--column-inserts",
        ],
        &[
            "--include-foreign-data",
            "loopback",
            "--exclude-table-data",
            "app.items",
        ],
    ];
    let url = cluster.url("src");
    let expected_rows = "COPY app.items (id, label, price) FROM stdin;\n\
                         1\tone\t1.5\n\
                         2\ttab\\there\t\\N\n\
                         3\t\\N\t3\n\
                         \\.\n";
    for case in cases {
        let mut args = vec!["dump"];
        args.extend_from_slice(case);
        args.push(&url);
        let ours = env.run(&args).await.success().to_owned();
        let expected = reference_dump(&cluster, "src", case).await;
        if let Some(diff) = diff_lines(&comparable(&expected, major), &comparable(&ours, major)) {
            panic!("pgferry dump {case:?} differs from pg_dump 18.6's:\n{diff}");
        }
        if *case == ["--include-foreign-data", "loopback"] {
            // The rows came through the foreign server.
            assert!(ours.contains(expected_rows), "{ours}");
            assert!(
                ours.contains("COPY app.\"Cheap Items\" (id, label) FROM stdin;\n1\tone\n"),
                "{ours}"
            );
            assert!(!ours.contains("COPY app.unreachable"), "{ours}");
            // The same patterns from a filter file give the same script.
            let from_filter = env
                .run(&["dump", &filter_arg, &url])
                .await
                .success()
                .to_owned();
            if let Some(diff) =
                diff_lines(&comparable(&ours, major), &comparable(&from_filter, major))
            {
                panic!("include foreign_data in a filter file differs from the option:\n{diff}");
            }
        }
        if case.is_empty() {
            assert!(!ours.contains("COPY app.items"), "{ours}");
        }
    }

    // A custom archive carries the same rows: pg_restore 18.6 turns it back into the COPY block.
    let archive = env.home().join("foreign.dump");
    env.run(&[
        "dump",
        "-Fc",
        "-f",
        archive.to_str().unwrap(),
        "--include-foreign-data",
        "loopback",
        &url,
    ])
    .await
    .success();
    let restore = reference_tool(RefTool::PgRestore, RefVersion::V18_6).expect("pg_restore 18.6");
    let output = std::process::Command::new(restore)
        .args(["-f", "-"])
        .arg(&archive)
        .output()
        .expect("pg_restore runs");
    assert!(
        output.status.success(),
        "pg_restore: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let script = String::from_utf8(output.stdout).expect("UTF-8 script");
    assert!(script.contains(expected_rows), "{script}");
}

#[tokio::test(flavor = "multi_thread")]
async fn foreign_server_patterns_must_match_like_pg_dump() {
    let Some(cluster) = foreign_cluster().await else {
        return;
    };
    let env = Env::new();
    let url = cluster.url("src");
    let conn = conninfo(&cluster, "src");
    let filter = env.home().join("nomatch.filter");
    std::fs::write(&filter, "include foreign_data nomatch\n").expect("filter");
    let filter_arg = format!("--filter={}", filter.display());
    let cases: &[(&[&str], &str)] = &[
        (
            &["--include-foreign-data", "nomatch"],
            "no matching foreign servers were found for pattern \"nomatch\"",
        ),
        // Each pattern must match, not only one of them; --strict-names changes nothing.
        (
            &[
                "--include-foreign-data",
                "loopback",
                "--include-foreign-data",
                "Loop*",
            ],
            "",
        ),
        (
            &[
                "--include-foreign-data",
                "loopback",
                "--include-foreign-data",
                "\"LOOPBACK\"",
            ],
            "no matching foreign servers were found for pattern \"\"LOOPBACK\"\"",
        ),
        // A server name has no schema or database part.
        (
            &["--include-foreign-data", "src.loopback"],
            "improper qualified name (too many dotted names): src.loopback",
        ),
        (
            &[&filter_arg],
            "no matching foreign servers were found for pattern \"nomatch\"",
        ),
    ];
    for (args, message) in cases {
        let mut all = vec!["dump", "-f", "/dev/null"];
        all.extend_from_slice(args);
        all.push(&url);
        let run = env.run(&all).await;
        if message.is_empty() {
            // Unquoted patterns are folded to lower case: this one matches.
            run.success();
            continue;
        }
        let ours = our_error(&run);
        assert_eq!(ours, *message, "{args:?}");
        let mut reference_args = vec!["-f", "/dev/null"];
        reference_args.extend_from_slice(args);
        let theirs = reference_error(&reference_args, Some(&conn)).await;
        assert_eq!(ours, theirs, "{args:?}: pgferry and pg_dump 18.6 disagree");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn include_foreign_data_is_refused_with_schema_only_and_parallel_jobs() {
    if require_reference_or_skip(RefVersion::V18_6).is_none() {
        return;
    }
    // Refused before connecting: nothing listens there.
    let url = "postgresql://postgres@127.0.0.1:1/nowhere";
    let env = Env::new();
    let filter = env.home().join("servers.filter");
    std::fs::write(&filter, "include foreign_data x\n").expect("filter");
    let filter_arg = format!("--filter={}", filter.display());
    let dir = env.home().join("dir");
    let dir = dir.to_str().unwrap();
    let schema_only = "options -s/--schema-only and --include-foreign-data cannot be used together";
    let parallel = "option --include-foreign-data is not supported with parallel backup";
    let cases: &[(&[&str], &str)] = &[
        (&["-s", "--include-foreign-data", "x"], schema_only),
        (&["--schema-only", &filter_arg], schema_only),
        (&["-j", "2", "--include-foreign-data", "x"], parallel),
        (
            &["-F", "d", "-f", dir, "-j", "4", "--include-foreign-data=x"],
            parallel,
        ),
        (&["-F", "d", "-f", dir, "-j", "2", &filter_arg], parallel),
    ];
    for (args, message) in cases {
        let mut all = vec!["dump"];
        all.extend_from_slice(args);
        all.push(url);
        let ours = our_error(&env.run(&all).await);
        assert_eq!(ours, *message, "{args:?}");
        let theirs = reference_error(args, None).await;
        assert_eq!(ours, theirs, "{args:?}: pgferry and pg_dump 18.6 disagree");
    }
    // An exclude filter for foreign data means nothing: refused with the line it is on.
    std::fs::write(&filter, "\nexclude foreign_data x\n").expect("filter");
    let line = our_error(&env.run(&["dump", &filter_arg, url]).await);
    assert!(
        line.contains("line 2")
            && line.contains("exclude filter for \"foreign data\" is not allowed"),
        "{line}"
    );
}
