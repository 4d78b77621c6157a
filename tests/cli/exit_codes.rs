//! The exit codes docs/compatibility.md documents (one test each), quiet broken pipes, and the one-line errors
//! with hints for a missing privilege, a full lock table and a transaction-mode pooler.

use std::path::Path;
use std::process::Stdio;
use std::time::Duration;

use pgferry_testkit::{fixtures_dir, Cluster};

use crate::support::{Env, Run};

/// Asserts a usage error of pgferry's own: exit 2 and one `pgferry: error: ` line; returns the line.
pub(crate) fn usage_line(run: &Run) -> &str {
    assert_eq!(
        run.code, 2,
        "expected exit 2 (usage):\nstdout:\n{}\nstderr:\n{}",
        run.stdout, run.stderr
    );
    assert!(!run.stderr.contains("panicked"), "{}", run.stderr);
    let lines: Vec<&str> = run
        .stderr
        .lines()
        .filter(|l| !l.trim().is_empty())
        .collect();
    assert_eq!(lines.len(), 1, "expected one line:\n{}", run.stderr);
    assert!(
        lines[0].starts_with("pgferry: error: "),
        "unexpected stderr: {}",
        run.stderr
    );
    lines[0]
}

/// Nothing listens there: anything refused before connecting never gets that far.
const NOWHERE: &str = "postgresql://postgres@127.0.0.1:1/nowhere";

fn archive(name: &str) -> String {
    fixtures_dir()
        .join("archives")
        .join(name)
        .to_str()
        .expect("UTF-8 path")
        .to_owned()
}

#[tokio::test]
async fn exit_0_is_success() {
    let env = Env::new();
    let run = env.run(&["list", &archive("v18_c_z0.dump")]).await;
    assert!(run.success().contains("TABLE DATA"), "{run:?}");
    assert!(run.stderr.is_empty(), "{run:?}");
    for args in [
        &["dump", "-V"][..],
        &["restore", "--version"],
        &["dump", "-?"],
    ] {
        let run = env.run(args).await;
        assert!(!run.success().is_empty(), "{args:?}");
    }
    let run = env
        .run(&["restore", "-f", "-", &archive("v18_c_z0.dump")])
        .await;
    assert!(run.success().contains("CREATE TABLE"), "{run:?}");
}

#[tokio::test]
async fn exit_1_is_failure() {
    let env = Env::new();
    // No server.
    let run = env.run(&["dump", "-s", NOWHERE]).await;
    assert!(run.one_line_failure().contains("127.0.0.1"), "{run:?}");
    // Not an archive.
    let run = env.run(&["list", &archive("setup.sql")]).await;
    assert!(run.one_line_failure().contains("setup.sql"), "{run:?}");
    // A -L list that cannot be read.
    let run = env
        .run(&[
            "restore",
            "-f",
            "-",
            "-L",
            "/nonexistent/list",
            &archive("v18_c_z0.dump"),
        ])
        .await;
    assert!(
        run.one_line_failure().contains("/nonexistent/list"),
        "{run:?}"
    );
    // -F that names another format than the archive's.
    let run = env
        .run(&["restore", "-f", "-", "-F", "t", &archive("v18_c_z0.dump")])
        .await;
    assert!(
        run.one_line_failure()
            .contains("is a custom archive, not the tar format"),
        "{run:?}"
    );
}

#[tokio::test]
async fn exit_2_is_usage() {
    let env = Env::new();
    let plain = env.home().join("plain.sql");
    std::fs::write(&plain, "SELECT 1;\n").expect("script");
    let plain = plain.to_str().unwrap().to_owned();
    let custom = archive("v18_c_z0.dump");
    // Caught by the argument parser: an unknown option, a missing value.
    for args in [
        &["dump", "--no-such-option", NOWHERE][..],
        &["restore", "-f"],
    ] {
        let run = env.run(args).await;
        assert_eq!(run.code, 2, "{args:?}: {run:?}");
        assert!(run.stderr.starts_with("error: "), "{args:?}: {run:?}");
    }
    // Found by pgferry: conflicts, bad values, refused options, options a plain script cannot honour. Each
    // names what is wrong, in one line, before anything connects.
    let cases: &[(&[&str], &str)] = &[
        (
            &["dump", "-s", "-a", NOWHERE],
            "-s/--schema-only and -a/--data-only",
        ),
        (
            &["dump", "--if-exists", NOWHERE],
            "requires option -c/--clean",
        ),
        (
            &["dump", "--section", "middle", NOWHERE],
            "invalid section name",
        ),
        (&["dump", "--extra-float-digits", "4", NOWHERE], "-15..3"),
        (
            &["dump", "--extra-float-digits", "x", NOWHERE],
            "invalid value \"x\"",
        ),
        (
            &["dump", "--sync-method", "nfs", NOWHERE],
            "unrecognized sync method: nfs",
        ),
        (&["dump", "-Fc", "-Z", "brotli", NOWHERE], "brotli"),
        (&["dump", "-Ft", "-Z", "gzip", NOWHERE], "gzip"),
        (
            &[
                "dump",
                "-Fc",
                "-Z",
                "lz4",
                "--archive-version",
                "1.14",
                NOWHERE,
            ],
            "1.15",
        ),
        (&["dump", "-Fd", NOWHERE], "-f DIR"),
        (
            &["dump", "-Fc", "--restrict-key", "abc", NOWHERE],
            "--format=plain",
        ),
        (
            &["dump", "-Fc", "-S", "postgres", NOWHERE],
            "-S/--superuser",
        ),
        (&["dump", "-E", "LATIN1", NOWHERE], "-E/--encoding"),
        (&["dump", "--statistics", NOWHERE], "--statistics"),
        (&["dump", "--binary-upgrade", NOWHERE], "pg_upgrade"),
        (
            &["restore", "-d", NOWHERE, "-f", "-", &custom],
            "-d/--dbname and -f/--file",
        ),
        (
            &["restore", "-d", NOWHERE, "--restrict-key", "abc", &custom],
            "--restrict-key",
        ),
        (
            &["restore", "-d", NOWHERE, "-C", "-1", &custom],
            "-C/--create and -1",
        ),
        (&["restore", "-f", "-", "-j", "0", &custom], "-j/--jobs"),
        (
            &["restore", "-f", "-", "--section", "middle", &custom],
            "middle",
        ),
        (
            &["restore", "-f", "-", "-s", "-a", &custom],
            "cannot be used together",
        ),
        (
            &["restore", "-F", "x", "-f", "-", &custom],
            "unrecognized archive format",
        ),
        (&["restore", &custom], "one of -d/--dbname and -f/--file"),
        (
            &["restore", "-d", NOWHERE, "-n", "app", "--role", "r", &plain],
            "-n, --role need an archive",
        ),
        (
            &["restore", "-d", NOWHERE, "-j", "2", &plain],
            "one connection",
        ),
    ];
    for (args, says) in cases {
        let run = env.run(args).await;
        let line = usage_line(&run);
        assert!(line.contains(says), "{args:?}: {line}");
    }
    // -j on standard input.
    let run = env
        .run_with_stdin(&["restore", "-j", "2", "-d", NOWHERE], Path::new(&custom))
        .await;
    assert!(usage_line(&run).contains("standard input"), "{run:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn exit_3_is_a_restore_that_ignored_errors() {
    let Some(major) = crate::support::one_major() else {
        return;
    };
    let cluster = Cluster::start(major).await.expect("cluster starts");
    cluster.create_database("twice").await.expect("database");
    let env = Env::new();
    let custom = archive("v18_c_z0.dump");
    let url = cluster.url("twice");
    env.run(&["restore", "-d", &url, &custom]).await.success();
    // Everything exists already: each CREATE fails, is reported, and the restore goes on.
    let run = env.run(&["restore", "-d", &url, &custom]).await;
    assert_eq!(run.code, 3, "{run:?}");
    assert!(run.stderr.contains("already exists"), "{}", run.stderr);
    assert!(
        run.stderr
            .lines()
            .last()
            .is_some_and(|l| l.starts_with("pgferry: warning: errors ignored on restore: ")),
        "{}",
        run.stderr
    );
    // With -e the first error stops it: that is a failure.
    let run = env.run(&["restore", "-e", "-d", &url, &custom]).await;
    assert_eq!(run.code, 1, "{run:?}");
    // A plain script whose statements fail counts them the same way.
    let script = env.home().join("twice.sql");
    std::fs::write(&script, "CREATE TABLE app.authors (x int);\nSELECT 1;\n").expect("script");
    let run = env
        .run(&["restore", "-d", &url, script.to_str().unwrap()])
        .await;
    assert_eq!(run.code, 3, "{run:?}");
    assert!(
        run.stderr.contains("errors ignored on restore: 1"),
        "{}",
        run.stderr
    );
}

/// Runs `pgferry ARGS | head -c 1` in `bash -o pipefail` with a clean environment: pgferry's exit code (head's is
/// 0) and its stderr.
async fn into_head(env: &Env, args: &[&str]) -> (i32, String) {
    let errors = env.home().join("pipe-stderr");
    let mut command = tokio::process::Command::new("bash");
    command
        .arg("-o")
        .arg("pipefail")
        .arg("-c")
        .arg("\"$0\" \"$@\" 2>\"$PGFERRY_TEST_STDERR\" | head -c 1 >/dev/null")
        .arg(env!("CARGO_BIN_EXE_pgferry"))
        .args(args)
        .stdin(Stdio::null())
        .kill_on_drop(true);
    for (name, _) in std::env::vars() {
        if name.starts_with("PG") {
            command.env_remove(name);
        }
    }
    command.env("HOME", env.home());
    command.env("PGSYSCONFDIR", env.home());
    command.env("PGFERRY_TEST_STDERR", &errors);
    let status = tokio::time::timeout(Duration::from_secs(60), command.status())
        .await
        .expect("the pipeline ran for more than 60 s")
        .expect("bash runs");
    let stderr = std::fs::read_to_string(&errors).unwrap_or_default();
    (status.code().unwrap_or(-1), stderr)
}

/// A reader that stops early (`| head`) ends a listing with 0 and a dump or a script with 1 (the output is
/// incomplete), and never with a message.
#[tokio::test(flavor = "multi_thread")]
async fn broken_pipes_end_quietly() {
    let Some(major) = crate::support::one_major() else {
        return;
    };
    let cluster = Cluster::start(major).await.expect("cluster starts");
    cluster.create_database("wide").await.expect("database");
    // Enough rows and entries that every output is far larger than a pipe's buffer.
    cluster
        .execute_sql(
            "wide",
            "CREATE TABLE big AS SELECT i, md5(i::text) AS h FROM generate_series(1, 100000) AS i",
        )
        .await
        .expect("big table");
    for batch in 0..3 {
        let sql = format!(
            "DO $$ BEGIN FOR i IN {}..{} LOOP EXECUTE format('CREATE TABLE t%s (id int)', i); END LOOP; END $$",
            batch * 1000 + 1,
            batch * 1000 + 1000
        );
        cluster.execute_sql("wide", &sql).await.expect("tables");
    }
    let env = Env::new();
    let url = cluster.url("wide");
    let file = env.home().join("wide.dump");
    let file = file.to_str().unwrap();
    env.run(&["dump", "-Fc", "-f", file, &url]).await.success();

    let cases: &[(&[&str], i32)] = &[
        (&["dump", &url], 1),
        (&["dump", "-Fc", &url], 1),
        (&["dump", "-Fc", "-j", "2", &url], 1),
        (&["restore", "-f", "-", file], 1),
        (&["list", file], 0),
        (&["restore", "-l", file], 0),
    ];
    for (args, expected) in cases {
        let (code, stderr) = into_head(&env, args).await;
        assert_eq!(code, *expected, "pgferry {args:?} | head: {stderr}");
        assert!(
            stderr.is_empty(),
            "pgferry {args:?} | head wrote to stderr: {stderr}"
        );
    }
}

/// A role without SELECT on a table: the error names the table, the role, the GRANT and the option that leaves it
/// out.
#[tokio::test(flavor = "multi_thread")]
async fn permission_denied_names_the_role_and_what_to_do() {
    let Some(major) = crate::support::one_major() else {
        return;
    };
    let cluster = Cluster::start(major).await.expect("cluster starts");
    cluster.create_database("locked").await.expect("database");
    cluster
        .execute_sql(
            "locked",
            "DO $$ BEGIN CREATE ROLE nosy LOGIN; EXCEPTION WHEN duplicate_object THEN NULL; END $$;
             CREATE SCHEMA app; CREATE TABLE app.open (x int); CREATE TABLE app.secret (x int);
             GRANT USAGE ON SCHEMA app TO nosy; GRANT SELECT ON app.open TO nosy;
             CREATE SCHEMA hidden; CREATE TABLE hidden.h (x int);",
        )
        .await
        .expect("setup");
    let env = Env::new();
    let as_nosy = format!("postgresql://nosy@127.0.0.1:{}/locked", cluster.port());
    let line = env
        .run(&["dump", "-t", "app.secret", &as_nosy])
        .await
        .one_line_failure()
        .to_owned();
    for says in [
        "could not lock table app.secret",
        "permission denied for table secret",
        "role \"nosy\"",
        "GRANT SELECT ON app.secret TO nosy",
        "-T app.secret",
    ] {
        assert!(line.contains(says), "{says:?} missing in: {line}");
    }
    // Several tables locked at once: the server names the one it refused.
    let line = env
        .run(&["dump", "-n", "app", &as_nosy])
        .await
        .one_line_failure()
        .to_owned();
    assert!(
        line.contains("permission denied for table secret"),
        "{line}"
    );
    assert!(line.contains("-T '*.secret'"), "{line}");
    // A schema.
    let line = env
        .run(&["dump", "-n", "hidden", &as_nosy])
        .await
        .one_line_failure()
        .to_owned();
    assert!(
        line.contains("GRANT USAGE ON SCHEMA hidden TO nosy") && line.contains("-N hidden"),
        "{line}"
    );
    // With --role the role is the one named.
    let line = env
        .run(&[
            "dump",
            "--role",
            "nosy",
            "-t",
            "app.secret",
            &cluster.url("locked"),
        ])
        .await
        .one_line_failure()
        .to_owned();
    assert!(line.contains("role \"nosy\""), "{line}");
}

/// More tables than the server's lock table holds: the error says why and what to do.
#[tokio::test(flavor = "multi_thread")]
async fn a_full_lock_table_says_to_raise_max_locks_per_transaction() {
    let Some(major) = crate::support::one_major() else {
        return;
    };
    let cluster = Cluster::builder(major)
        .setting("max_locks_per_transaction", "10")
        .setting("max_connections", "10")
        .start()
        .await
        .expect("cluster starts");
    cluster.create_database("many").await.expect("database");
    // In batches: each CREATE TABLE holds a lock until its transaction ends.
    for batch in 0..4 {
        let sql = format!(
            "DO $$ BEGIN FOR i IN {}..{} LOOP EXECUTE format('CREATE TABLE t%s (id int)', i); END LOOP; END $$",
            batch * 500 + 1,
            batch * 500 + 500
        );
        cluster.execute_sql("many", &sql).await.expect("tables");
    }
    let run = Env::new().run(&["dump", "-s", &cluster.url("many")]).await;
    let line = run.one_line_failure();
    for says in [
        "could not lock table",
        "out of shared memory",
        "max_locks_per_transaction",
        "-n/-t",
    ] {
        assert!(line.contains(says), "{says:?} missing in: {line}");
    }
}

/// A host name that says "pooler" (Neon's `-pooler` endpoints) is refused with the direct host to use; with
/// `--allow-pooler` the dump runs.
#[tokio::test(flavor = "multi_thread")]
async fn a_pooler_refusal_names_the_direct_host() {
    let Some(major) = crate::support::one_major() else {
        return;
    };
    let cluster = Cluster::start(major).await.expect("cluster starts");
    // The name is only looked at; hostaddr is where the connection goes.
    let conninfo = format!(
        "host=ep-quiet-lake-123456-pooler.eu-central-1.aws.neon.tech hostaddr=127.0.0.1 port={} \
         user={} dbname=postgres sslmode=disable",
        cluster.port(),
        cluster.user()
    );
    let env = Env::new();
    let run = env.run(&["dump", "-s", &conninfo]).await;
    let line = run.one_line_failure();
    assert!(line.contains("transaction mode"), "{line}");
    assert!(
        line.contains("\"ep-quiet-lake-123456.eu-central-1.aws.neon.tech\""),
        "{line}"
    );
    assert!(line.contains("--allow-pooler"), "{line}");
    let run = env.run(&["dump", "-s", "--allow-pooler", &conninfo]).await;
    assert!(
        run.success().contains("PostgreSQL database dump"),
        "{run:?}"
    );
}
