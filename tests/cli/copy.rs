//! `pgferry copy`: stream a database into another (of the same or another major version), serially and with
//! `-j`, with and without a backup archive, and compare the copy with its source as the other round-trip
//! tests do (the reference pg_dump's schema, every table's rows, every sequence's value, every large object).

use std::path::Path;

use pgferry_testkit::{
    assert_same_schema, diff_lines, fixtures_dir, kitchen_sink_sql, majors_under_test,
    normalize_dump, pg_dump_schema, psql_file, query_rows, reference_for_server, require_or_skip,
    require_reference_or_skip, Cluster, RefTool, RefVersion,
};

use crate::archive_roundtrip::{pg_restore, reference_command};
use crate::data_roundtrip::{assert_same_contents, conninfo, contents};
use crate::support::{one_major, Env, Run};

/// The roles the fixtures create (cluster-wide): a destination cluster needs them too, as it would need them
/// for pg_restore.
const FIXTURE_ROLES: &[&str] = &["app_owner", "app_reader", "data_owner", "data_reader"];

/// Rows of the large table: enough for many 64 KiB chunks per stream, so that the channels fill and wait.
const LARGE_ROWS: u32 = 200_000;

/// Loads the kitchen sink of the cluster's version, the data fixture and a large table into a new database
/// `db`.
async fn load_source(cluster: &Cluster, db: &str) {
    let reference = reference_for_server(cluster.major());
    cluster.create_database(db).await.expect("source database");
    psql_file(cluster, db, kitchen_sink_sql(cluster.major()), reference)
        .await
        .expect("kitchen sink loads");
    psql_file(
        cluster,
        db,
        fixtures_dir().join("sql").join("data.sql"),
        reference,
    )
    .await
    .expect("data fixture loads");
    cluster
        .execute_sql(
            db,
            &format!(
                "CREATE TABLE d.large (id bigint PRIMARY KEY, body text, at timestamptz);
                 INSERT INTO d.large SELECT i, repeat(md5(i::text), 3), '2024-01-01'::timestamptz + i * interval '1 s'
                   FROM generate_series(1, {LARGE_ROWS}) AS i;
                 CREATE INDEX large_at ON d.large (at);"
            ),
        )
        .await
        .expect("large table");
}

/// Creates the fixtures' roles on `cluster` (a destination of another cluster's database).
async fn create_roles(cluster: &Cluster) {
    for role in FIXTURE_ROLES {
        cluster
            .execute_sql("postgres", &format!("CREATE ROLE {role}"))
            .await
            .expect("role");
    }
}

/// The reference pg_dump 18.6's schema-only dump of `db`, with `args`, normalized.
async fn schema(cluster: &Cluster, db: &str, args: &[&str]) -> String {
    let dump = pg_dump_schema(cluster, db, RefVersion::V18_6, args)
        .await
        .unwrap_or_else(|e| panic!("pg_dump 18.6 of {db} on {}: {e}", cluster.major()));
    normalize_dump(&dump)
}

/// Requires pg_dump 18.6 (which dumps every server from 12 to 18) to print the same schema for both databases.
async fn assert_same_schema_across(
    what: &str,
    source: (&Cluster, &str),
    copy: (&Cluster, &str),
    args: &[&str],
) {
    let (expected, actual) = (
        schema(source.0, source.1, args).await,
        schema(copy.0, copy.1, args).await,
    );
    if let Some(diff) = diff_lines(&expected, &actual) {
        panic!(
            "{what}: the copy on PostgreSQL {} does not have the schema of the source on PostgreSQL {} \
             (pg_dump 18.6 --schema-only {args:?}):\n{diff}",
            copy.0.major(),
            source.0.major()
        );
    }
}

/// The old and new majors of the cross-version copy: 13 and the newest under test (or the oldest under test
/// when 13 is not).
fn majors_across() -> (u32, u32) {
    let majors = majors_under_test();
    let old = if majors.contains(&13) { 13 } else { majors[0] };
    (old, *majors.last().expect("a major under test"))
}

fn no_temporary_files_left(dir: &Path) {
    let partial: Vec<_> = std::fs::read_dir(dir)
        .expect("read dir")
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|name| name.contains("pgferry-partial"))
        .collect();
    assert!(partial.is_empty(), "temporary files left: {partial:?}");
}

/// 13 into 18 (by default) with -j 4: the kitchen sink (every object kind, comments, privileges, large
/// objects, sequences) and the data fixture; the reference pg_dump must see the same schema, rows, sequences
/// and large objects on both sides.
#[tokio::test(flavor = "multi_thread")]
async fn copy_across_versions_in_parallel() {
    let (old, new) = majors_across();
    if require_or_skip(old).is_none()
        || require_or_skip(new).is_none()
        || require_reference_or_skip(reference_for_server(old)).is_none()
        || require_reference_or_skip(reference_for_server(new)).is_none()
        || require_reference_or_skip(RefVersion::V18_6).is_none()
    {
        return;
    }
    let (source, destination) = tokio::join!(Cluster::start(old), Cluster::start(new));
    let (source, destination) = (source.expect("source"), destination.expect("destination"));
    load_source(&source, "src").await;
    create_roles(&destination).await;
    destination.create_database("dst").await.expect("dst");

    let env = Env::new();
    let summary = env.home().join("summary.json");
    let run = env
        .run(&[
            "copy",
            "--source",
            &source.url("src"),
            "--destination",
            &destination.url("dst"),
            "-j",
            "4",
            "--summary-json",
            summary.to_str().unwrap(),
        ])
        .await;
    run.success();
    assert!(
        run.stderr.contains("pgferry: done:"),
        "no summary on stderr:\n{}",
        run.stderr
    );
    // Each table's rows are counted once (by the destination), not by both sides.
    let summary: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&summary).expect("summary written"))
            .expect("JSON summary");
    let rows = summary["rows"].as_u64().expect("rows");
    assert!(
        (u64::from(LARGE_ROWS)..u64::from(LARGE_ROWS) + 10_000).contains(&rows),
        "{summary}"
    );
    assert_eq!(summary["ok"], true, "{summary}");
    let what = format!("pgferry copy -j 4 from {old} to {new}");
    // The schema as the reference tools move it: pg_dump 18.6 of the source, pg_restore 18.6 into the
    // destination's server. (The source's own dump differs where the two servers deparse differently: view
    // bodies, the multirange types 14 and later create with each range type.)
    let archive = env.home().join("reference.dump");
    let dumped = reference_command(RefTool::PgDump, RefVersion::V18_6)
        .args(["-Fc", "--no-password", "-f"])
        .arg(&archive)
        .arg("--dbname")
        .arg(conninfo(&source, "src"))
        .output()
        .await
        .expect("pg_dump runs");
    assert!(
        dumped.status.success(),
        "pg_dump 18.6 failed: {}",
        String::from_utf8_lossy(&dumped.stderr)
    );
    pg_restore(
        &destination,
        new,
        "reference",
        &archive,
        RefVersion::V18_6,
        &[],
    )
    .await;
    assert_same_schema(&destination, "reference", "dst", RefVersion::V18_6).await;
    if old == new {
        assert_same_schema_across(&what, (&source, "src"), (&destination, "dst"), &[]).await;
    }
    let expected = contents(&source, "src").await;
    assert!(
        expected.contains(&format!("d.large: {LARGE_ROWS}\t")),
        "{expected}"
    );
    assert_same_contents(new, &what, &expected, &contents(&destination, "dst").await);
}

/// One version, without -j (the data goes over the leaders, in TOC order), keeping a backup archive that the
/// real pg_restore restores and `pgferry list` reads; pg-import's `--silent true` prints nothing.
#[tokio::test(flavor = "multi_thread")]
async fn copy_serially_with_a_backup_archive() {
    let Some(major) = one_major() else { return };
    let reference = reference_for_server(major);
    if require_reference_or_skip(reference).is_none()
        || require_reference_or_skip(RefVersion::V17_10).is_none()
        || require_reference_or_skip(RefVersion::V18_6).is_none()
    {
        return;
    }
    let cluster = Cluster::start(major).await.expect("cluster starts");
    load_source(&cluster, "src").await;
    cluster.create_database("dst").await.expect("dst");
    let source = contents(&cluster, "src").await;

    let env = Env::new();
    let backup = env.home().join("backups").join("src.dump");
    std::fs::create_dir_all(backup.parent().unwrap()).expect("backup dir");
    let run = env
        .run(&[
            "copy",
            "--source",
            &cluster.url("src"),
            "--destination",
            &cluster.url("dst"),
            "--backup-file-path",
            backup.to_str().unwrap(),
            "--silent",
            "true",
        ])
        .await;
    run.success();
    assert_eq!(run.stderr, "", "--silent true printed something");
    let what = format!("pgferry copy --backup-file-path on {major}");
    assert_same_schema_across(&what, (&cluster, "src"), (&cluster, "dst"), &[]).await;
    assert_same_contents(major, &what, &source, &contents(&cluster, "dst").await);
    no_temporary_files_left(backup.parent().unwrap());

    // The archive: pgferry lists it as pg_restore -l would, and the real pg_restore restores the same database.
    let listing = env.run(&["list", backup.to_str().unwrap()]).await;
    assert!(
        listing.success().contains("TABLE DATA d large"),
        "{}",
        listing.stdout
    );
    pg_restore(
        &cluster,
        major,
        "restored",
        &backup,
        RefVersion::V17_10,
        &[],
    )
    .await;
    let what = format!("the backup of pgferry copy, pg_restore 17.10, on {major}");
    assert_same_schema_across(&what, (&cluster, "src"), (&cluster, "restored"), &[]).await;
    assert_same_contents(major, &what, &source, &contents(&cluster, "restored").await);

    // Without a destination, only the archive is written (in parallel), as pg-import does.
    let only = env.home().join("only.dump");
    let run = env
        .run(&[
            "copy",
            "--source",
            &cluster.url("src"),
            "--backup-file-path",
            only.to_str().unwrap(),
            "-j",
            "3",
            "--silent",
        ])
        .await;
    run.success();
    assert_eq!(run.stderr, "", "--silent printed something");
    pg_restore(
        &cluster,
        major,
        "restored_only",
        &only,
        RefVersion::V17_10,
        &["-j", "2"],
    )
    .await;
    let what = format!("pgferry copy without a destination, pg_restore 17.10 -j 2, on {major}");
    assert_same_contents(
        major,
        &what,
        &source,
        &contents(&cluster, "restored_only").await,
    );
    no_temporary_files_left(env.home());

    // With a backup and -j: the tee of parallel streams into one archive.
    cluster.create_database("dst2").await.expect("dst2");
    let parallel_backup = env.home().join("parallel.dump");
    let run = env
        .run(&[
            "copy",
            "--source",
            &cluster.url("src"),
            "--destination",
            &cluster.url("dst2"),
            "--backup-file-path",
            parallel_backup.to_str().unwrap(),
            "-j",
            "3",
            "--silent",
            "false",
        ])
        .await;
    run.success();
    assert!(run.stderr.contains("pgferry: done:"), "{}", run.stderr);
    let what = format!("pgferry copy -j 3 --backup-file-path on {major}");
    assert_same_contents(major, &what, &source, &contents(&cluster, "dst2").await);
    pg_restore(
        &cluster,
        major,
        "restored_parallel",
        &parallel_backup,
        RefVersion::V17_10,
        &[],
    )
    .await;
    let what = format!("the backup of pgferry copy -j 3, pg_restore 17.10, on {major}");
    assert_same_contents(
        major,
        &what,
        &source,
        &contents(&cluster, "restored_parallel").await,
    );
}

/// The pg_dump and pg_restore options copy takes, each against what it means.
#[tokio::test(flavor = "multi_thread")]
async fn copy_options_select_and_restore_as_pg_dump_and_pg_restore_do() {
    let Some(major) = one_major() else { return };
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
    cluster
        .execute_sql(
            "src",
            "GRANT SELECT ON d.people TO data_reader; COMMENT ON TABLE d.people IS 'people';",
        )
        .await
        .expect("grant and comment");
    let env = Env::new();
    let src = cluster.url("src");
    let copy = |db: &str, extra: &[&str]| {
        let mut args = vec![
            "copy".to_owned(),
            "--source".to_owned(),
            src.clone(),
            "--destination".to_owned(),
            cluster.url(db),
        ];
        args.extend(extra.iter().map(|s| s.to_string()));
        args
    };
    let run = |args: Vec<String>| {
        let env = &env;
        async move {
            let args: Vec<&str> = args.iter().map(String::as_str).collect();
            env.run(&args).await
        }
    };
    let tables = |db: &'static str| {
        let cluster = &cluster;
        async move {
            let client = cluster.connect(db).await.expect("connect");
            query_rows(
                &client,
                "SELECT n.nspname || '.' || c.relname \
                 FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace \
                 WHERE c.relkind IN ('r', 'p') AND n.nspname NOT IN ('pg_catalog', 'information_schema') \
                   AND n.nspname NOT LIKE 'pg\\_toast%' ORDER BY 1",
            )
            .await
        }
    };
    let count = |db: &'static str, sql: &'static str| {
        let cluster = &cluster;
        async move {
            let client = cluster.connect(db).await.expect("connect");
            query_rows(&client, sql).await.join(" ")
        }
    };

    // -t: only those tables (and their sequences), with their rows; as with pg_dump -t, not their schema.
    cluster.create_database("only_t").await.expect("db");
    cluster
        .execute_sql("only_t", "CREATE SCHEMA d")
        .await
        .expect("schema");
    run(copy(
        "only_t",
        &["-t", "d.orders", "-t", "d.people", "-j", "2"],
    ))
    .await
    .success();
    assert_eq!(tables("only_t").await, ["d.orders", "d.people"]);
    assert_eq!(count("only_t", "SELECT count(*) FROM d.people").await, {
        count("src", "SELECT count(*) FROM d.people").await
    });

    // -n, -N, -T, --exclude-table-data.
    cluster.create_database("selected").await.expect("db");
    run(copy(
        "selected",
        &[
            "-n",
            "d",
            "-n",
            "Odd Data",
            "-N",
            "Odd Data",
            "-T",
            "d.types",
            "--exclude-table-data",
            "d.orders",
        ],
    ))
    .await
    .success();
    let got = tables("selected").await;
    assert!(got.iter().all(|t| t.starts_with("d.")), "{got:?}");
    assert!(!got.contains(&"d.types".to_owned()), "{got:?}");
    assert!(got.contains(&"d.orders".to_owned()), "{got:?}");
    assert_eq!(
        count("selected", "SELECT count(*) FROM d.orders").await,
        "0"
    );
    assert_ne!(count("src", "SELECT count(*) FROM d.orders").await, "0");
    assert_eq!(
        count("selected", "SELECT count(*) FROM d.people").await,
        count("src", "SELECT count(*) FROM d.people").await
    );

    // -O -x --no-comments: what pg_dump prints with those options is the same on both sides, and the copy has
    // no other owner, no privileges, no comments.
    cluster.create_database("bare").await.expect("db");
    run(copy("bare", &["-O", "-x", "--no-comments"]))
        .await
        .success();
    let options = ["-O", "-x", "--no-comments"];
    assert_same_schema_across(
        "pgferry copy -O -x --no-comments",
        (&cluster, "src"),
        (&cluster, "bare"),
        &options,
    )
    .await;
    let full = schema(&cluster, "bare", &[]).await;
    for absent in ["OWNER TO data_owner", "GRANT ", "COMMENT ON "] {
        assert!(!full.contains(absent), "{absent} in the copy:\n{full}");
    }
    let original = schema(&cluster, "src", &[]).await;
    for present in ["OWNER TO data_owner", "GRANT ", "COMMENT ON "] {
        assert!(original.contains(present), "{present} not in the source");
    }

    // Into a database that has it all already: every CREATE fails and is skipped (exit 3, each error
    // printed, then the count); with -c --if-exists the objects are dropped first and the copy is whole.
    let source = contents(&cluster, "src").await;
    cluster.create_database("twice").await.expect("db");
    run(copy("twice", &[])).await.success();
    // With a backup: the tables whose COPY fails at the destination (their keys are there already) are still
    // read whole into the archive, which restores into the same database as the source.
    let backup = env.home().join("again.dump");
    let again = run(copy(
        "twice",
        &["--silent", "--backup-file-path", backup.to_str().unwrap()],
    ))
    .await;
    assert_eq!(again.code, 3, "{}", again.stderr);
    pg_restore(&cluster, major, "again_restored", &backup, reference, &[]).await;
    assert_same_contents(
        major,
        "the backup of a copy whose destination failed entries, pg_restore",
        &source,
        &contents(&cluster, "again_restored").await,
    );
    assert!(
        again
            .stderr
            .contains("pgferry: error: destination database: from TOC entry "),
        "{}",
        again.stderr
    );
    assert!(
        again.stderr.contains("errors ignored on restore: "),
        "{}",
        again.stderr
    );
    let cleaned = run(copy("twice", &["-c", "--if-exists", "-j", "2"])).await;
    cleaned.success();
    assert_same_contents(
        major,
        "pgferry copy -c --if-exists into a full database",
        &source,
        &contents(&cluster, "twice").await,
    );
}

fn usage_error(run: &Run, expected: &str) {
    assert_eq!(
        run.code, 2,
        "expected a usage error:\n{}\n{}",
        run.stdout, run.stderr
    );
    assert!(run.stderr.contains(expected), "{}", run.stderr);
}

/// Usage errors exit 2; a source or destination that fails exits 1 with one line naming it; no backup is
/// left behind.
#[tokio::test(flavor = "multi_thread")]
async fn copy_failures_exit_non_zero() {
    let env = Env::new();
    let nowhere = "postgresql://postgres@127.0.0.1:1/x?connect_timeout=2";
    usage_error(
        &env.run(&["copy", "--destination", nowhere]).await,
        "--source is required",
    );
    usage_error(
        &env.run(&["copy", "--source", nowhere]).await,
        "nothing to copy into",
    );
    usage_error(
        &env.run(&[
            "copy",
            "--source",
            nowhere,
            "--destination",
            "postgresql://postgres@127.0.0.1:1/y",
            "--if-exists",
        ])
        .await,
        "--if-exists requires",
    );
    usage_error(
        &env.run(&["copy", "--source", nowhere, "--destination", nowhere])
            .await,
        "the same database",
    );
    usage_error(
        &env.run(&["copy", "--source", nowhere, "--silent", "yes"])
            .await,
        "neither true nor false",
    );
    usage_error(
        &env.run(&[
            "copy",
            "--source",
            nowhere,
            "--backup-file-path",
            "x.dump",
            "-c",
        ])
        .await,
        "give --destination",
    );
    usage_error(
        &env.run(&[
            "copy",
            "--source",
            nowhere,
            "--backup-file-path",
            "x.dump",
            "-j",
            "0",
        ])
        .await,
        "-j/--jobs",
    );

    let Some(major) = one_major() else { return };
    let cluster = Cluster::start(major).await.expect("cluster starts");
    cluster.create_database("src").await.expect("src");
    cluster
        .execute_sql(
            "src",
            "CREATE TABLE public.open (a int); INSERT INTO public.open VALUES (1);
             CREATE TABLE public.secret (a int); INSERT INTO public.secret VALUES (2);
             ALTER TABLE public.secret ENABLE ROW LEVEL SECURITY;
             CREATE TABLE public.closed (a int);
             CREATE ROLE limited LOGIN;
             GRANT SELECT ON public.open, public.secret TO limited;",
        )
        .await
        .expect("source");
    cluster.create_database("dst").await.expect("dst");
    let backup = env.home().join("failed.dump");

    // The destination cannot be reached: one line naming it, no backup left.
    let run = env
        .run(&[
            "copy",
            "--source",
            &cluster.url("src"),
            "--destination",
            "postgresql://postgres@127.0.0.1:1/dst?connect_timeout=2",
            "--backup-file-path",
            backup.to_str().unwrap(),
        ])
        .await;
    let line = run.one_line_failure();
    assert!(line.contains("destination database:"), "{line}");
    assert!(!backup.exists());
    no_temporary_files_left(env.home());

    // The source cannot be reached.
    let run = env
        .run(&[
            "copy",
            "--source",
            "postgresql://postgres@127.0.0.1:1/src?connect_timeout=2",
            "--destination",
            &cluster.url("dst"),
        ])
        .await;
    let line = run.one_line_failure();
    assert!(line.contains("source database:"), "{line}");

    // A table the source's user may not read: the dump's lock fails before anything is copied.
    let limited = |db: &str| format!("postgresql://limited@127.0.0.1:{}/{db}", cluster.port());
    let run = env
        .run(&[
            "copy",
            "--source",
            &limited("src"),
            "--destination",
            &cluster.url("dst"),
        ])
        .await;
    let line = run.one_line_failure();
    assert!(
        line.contains("source database:") && line.contains("closed"),
        "{line}"
    );

    // A table whose rows cannot be read once the copy runs (row-level security, which a dump never applies):
    // the source's error stops the copy in the middle of the data, serially and in parallel, and no backup
    // is left.
    for jobs in ["1", "2"] {
        let run = env
            .run(&[
                "copy",
                "--source",
                &limited("src"),
                "--destination",
                &cluster.url("dst"),
                "-T",
                "public.closed",
                "-c",
                "--if-exists",
                "-j",
                jobs,
                "--backup-file-path",
                backup.to_str().unwrap(),
            ])
            .await;
        let line = run.one_line_failure();
        assert!(
            line.contains("source database:") && line.contains("secret"),
            "-j {jobs}: {line}"
        );
        assert!(!backup.exists());
        no_temporary_files_left(env.home());
    }
}

/// The most memory a copy may use here: far less than the table it copies (the process itself takes about 10 MiB;
/// each stream holds a few chunks of 64 KiB, and a block's spool 1 MiB).
const MEMORY_LIMIT_KIB: u64 = 40 * 1024;

/// A table much larger than the copy's buffers goes through, with -j 2 and a backup, and the process's peak
/// memory (VmHWM, sampled while it runs) stays far below the table's size: no table is ever held whole.
#[tokio::test(flavor = "multi_thread")]
async fn copy_memory_stays_bounded() {
    let Some(major) = one_major() else { return };
    let cluster = Cluster::start(major).await.expect("cluster starts");
    cluster.create_database("src").await.expect("src");
    cluster.create_database("dst").await.expect("dst");
    cluster
        .execute_sql(
            "src",
            "CREATE TABLE public.big (id bigint, body text);
             INSERT INTO public.big SELECT i, repeat(md5(i::text), 6) FROM generate_series(1, 500000) AS i;",
        )
        .await
        .expect("big table");
    let client = cluster.connect("src").await.expect("connect");
    let text_kib: u64 = query_rows(
        &client,
        "SELECT sum(length(id::text) + length(body) + 2) / 1024 FROM public.big",
    )
    .await[0]
        .parse()
        .expect("size");
    assert!(text_kib > 2 * MEMORY_LIMIT_KIB, "{text_kib} KiB");

    let env = Env::new();
    let backup = env.home().join("big.dump");
    let mut child = tokio::process::Command::new(env!("CARGO_BIN_EXE_pgferry"))
        .args(["copy", "--source", &cluster.url("src"), "--destination"])
        .arg(cluster.url("dst"))
        .args(["-j", "2", "--silent", "--backup-file-path"])
        .arg(&backup)
        .env("HOME", env.home())
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .expect("pgferry starts");
    let pid = child.id().expect("pid");
    let mut peak_kib = 0u64;
    let status = tokio::time::timeout(std::time::Duration::from_secs(120), async {
        loop {
            tokio::select! {
                status = child.wait() => break status,
                _ = tokio::time::sleep(std::time::Duration::from_millis(10)) => {
                    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
                    let hwm = status
                        .lines()
                        .find_map(|l| l.strip_prefix("VmHWM:"))
                        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok());
                    peak_kib = peak_kib.max(hwm.unwrap_or(0));
                }
            }
        }
    })
    .await
    .expect("the copy ends")
    .expect("the copy runs");
    assert!(status.success(), "pgferry copy failed: {status}");
    assert!(peak_kib > 0, "no memory sample");
    assert!(
        peak_kib < MEMORY_LIMIT_KIB,
        "pgferry copy of a {text_kib} KiB table peaked at {peak_kib} KiB"
    );
    assert_eq!(
        contents(&cluster, "dst").await,
        contents(&cluster, "src").await
    );
}
