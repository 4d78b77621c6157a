//! Running the real pg_restore, and checking what it restored.

use std::ffi::OsStr;
use std::io::Write;
use std::path::Path;
use std::process::{Child, Command, Stdio};

use pgferry_testkit::{reference_tool, Cluster, RefTool, RefVersion};

use crate::fixture::{Fixture, BIG_OID, EMPTY_OID, SMALL_OID};

/// `pg_restore` of `version`, with a fixed environment (UTC, C locale, no PG* variables).
pub(crate) fn pg_restore_command(version: RefVersion) -> Command {
    let program = reference_tool(RefTool::PgRestore, version)
        .unwrap_or_else(|e| panic!("pg_restore {version}: {e}"));
    let mut cmd = Command::new(program);
    for (name, _) in std::env::vars_os() {
        if name.to_string_lossy().starts_with("PG") {
            cmd.env_remove(name);
        }
    }
    cmd.env("TZ", "UTC")
        .env("LC_ALL", "C")
        .env_remove("LANG")
        .stdin(Stdio::null());
    cmd
}

/// Runs pg_restore and returns its stdout; panics with stderr when it fails or complains.
pub(crate) fn pg_restore(version: RefVersion, args: &[&OsStr], what: &str) -> String {
    let out = pg_restore_command(version)
        .args(args)
        .output()
        .expect("running pg_restore");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success() && stderr.trim().is_empty(),
        "pg_restore {version} {args:?} ({what}) failed with {}:\n{stderr}",
        out.status
    );
    String::from_utf8(out.stdout).expect("UTF-8 output")
}

/// The libpq connection string of `db`.
pub(crate) fn conninfo(cluster: &Cluster, db: &str) -> String {
    format!(
        "host={} port={} user=postgres dbname={db}",
        cluster.host(),
        cluster.port()
    )
}

/// `pg_restore -d` with its archive on stdin: the child, to be fed and waited for.
pub(crate) fn pg_restore_from_stdin(version: RefVersion, cluster: &Cluster, db: &str) -> Child {
    pg_restore_command(version)
        .args(["--exit-on-error", "-d", &conninfo(cluster, db)])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("starting pg_restore")
}

/// Waits for a pg_restore child and panics with its stderr when it failed.
pub(crate) fn wait_ok(child: Child, what: &str) {
    let out = child.wait_with_output().expect("waiting for pg_restore");
    assert!(
        out.status.success(),
        "pg_restore ({what}) failed with {}:\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Restores `archive` into a new database with `pg_restore -d` (with `-j jobs` when above 1).
pub(crate) async fn restore_into(
    cluster: &Cluster,
    db: &str,
    archive: &Path,
    version: RefVersion,
    jobs: u32,
) {
    cluster
        .create_database(db)
        .await
        .expect("creating a database");
    let conn = conninfo(cluster, db);
    let jobs = jobs.to_string();
    let mut args: Vec<&OsStr> = vec![
        OsStr::new("--exit-on-error"),
        OsStr::new("-d"),
        OsStr::new(&conn),
    ];
    if jobs != "1" {
        args.extend([OsStr::new("-j"), OsStr::new(&jobs)]);
    }
    args.push(archive.as_os_str());
    pg_restore(version, &args, "restore");
}

/// Checks everything the fixture holds in database `db`: rows, sequence, large objects, index, constraint,
/// comments and grants.
pub(crate) async fn check_database(cluster: &Cluster, db: &str, fx: &Fixture, what: &str) {
    let client = cluster.connect(db).await.expect("connecting");
    let rows: String = client
        .query_one(
            "SELECT coalesce(string_agg(format('%s|%s', a, coalesce(b, '<null>')), E'\\n' ORDER BY a), '') \
             FROM s.t",
            &[],
        )
        .await
        .expect("reading s.t")
        .get(0);
    let expected = fx.rows.join("\n");
    assert!(rows == expected, "{what}: the rows of s.t differ");
    let empty: i64 = client
        .query_one("SELECT count(*) FROM s.empty", &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(empty, 0, "{what}");
    let seq = client
        .query_one("SELECT last_value, is_called FROM s.seq", &[])
        .await
        .unwrap();
    assert_eq!(
        (seq.get::<_, i64>(0), seq.get::<_, bool>(1)),
        (42, true),
        "{what}"
    );
    for (oid, bytes) in &fx.blobs {
        let got: Vec<u8> = client
            .query_one(&format!("SELECT lo_get({oid})"), &[])
            .await
            .unwrap_or_else(|e| panic!("{what}: large object {oid}: {e}"))
            .get(0);
        assert!(
            got == *bytes,
            "{what}: large object {oid} differs ({} bytes, {} expected)",
            got.len(),
            bytes.len()
        );
    }
    assert_eq!(fx.blobs.len(), 3);
    assert_eq!(
        fx.blobs.iter().map(|b| b.0).collect::<Vec<_>>(),
        [SMALL_OID, EMPTY_OID, BIG_OID]
    );
    let meta = client
        .query_one(
            "SELECT (SELECT count(*) FROM pg_largeobject_metadata), \
                    obj_description(424242, 'pg_largeobject'), \
                    obj_description('s.t'::regclass, 'pg_class'), \
                    (SELECT relacl::text FROM pg_class WHERE oid = 's.t'::regclass), \
                    (SELECT count(*) FROM pg_indexes WHERE schemaname = 's'), \
                    (SELECT count(*) FROM pg_constraint WHERE conname = 't_pkey')",
            &[],
        )
        .await
        .unwrap();
    assert_eq!(meta.get::<_, i64>(0), 3, "{what}: large objects");
    assert_eq!(
        meta.get::<_, Option<String>>(1).as_deref(),
        Some("the small one"),
        "{what}"
    );
    assert_eq!(
        meta.get::<_, Option<String>>(2).as_deref(),
        Some("the test table"),
        "{what}"
    );
    let acl: Option<String> = meta.get(3);
    assert!(
        acl.as_deref().is_some_and(|a| a.contains("=r/postgres")),
        "{what}: ACL {acl:?}"
    );
    assert_eq!(meta.get::<_, i64>(4), 2, "{what}: indexes");
    assert_eq!(meta.get::<_, i64>(5), 1, "{what}: constraint");
}

/// Feeds `bytes` to a child's stdin and closes it.
pub(crate) fn feed_stdin(child: &mut Child, bytes: &[u8]) {
    let mut stdin = child.stdin.take().expect("a piped stdin");
    stdin.write_all(bytes).expect("writing to pg_restore");
}
