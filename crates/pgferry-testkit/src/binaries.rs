//! Finding server binaries, choosing the majors under test, and the skip-or-fail policy.

use std::env;
use std::path::{Path, PathBuf};

use crate::error::{Result, TestkitError};

/// Every PostgreSQL major version pgferry supports, oldest first.
pub const SUPPORTED_MAJORS: [u32; 7] = [12, 13, 14, 15, 16, 17, 18];

/// The major versions the tests should cover: `PGFERRY_TEST_MAJORS` (a comma-separated list such as `12,16,18`)
/// when set and not empty, else all of [`SUPPORTED_MAJORS`].
///
/// # Panics
///
/// When `PGFERRY_TEST_MAJORS` holds something that is not a supported major: a typo there must not quietly
/// shrink the test matrix.
pub fn majors_under_test() -> Vec<u32> {
    match env::var("PGFERRY_TEST_MAJORS") {
        Ok(list) if !list.trim().is_empty() => {
            parse_majors(&list).unwrap_or_else(|e| panic!("PGFERRY_TEST_MAJORS={list:?}: {e}"))
        }
        _ => SUPPORTED_MAJORS.to_vec(),
    }
}

fn parse_majors(list: &str) -> Result<Vec<u32>> {
    let mut out = Vec::new();
    for item in list.split(',').map(str::trim).filter(|s| !s.is_empty()) {
        let major: u32 = item
            .parse()
            .map_err(|_| TestkitError::Config(format!("'{item}' is not a major version number")))?;
        // Only pgferry's majors are "under test"; 11 (UNSUPPORTED_TEST_MAJOR) is started by name where needed.
        if !SUPPORTED_MAJORS.contains(&major) {
            return Err(TestkitError::UnsupportedMajor(major));
        }
        if !out.contains(&major) {
            out.push(major);
        }
    }
    Ok(out)
}

/// A server older than pgferry supports, provisioned only so tests can check that pgferry refuses it clearly.
pub const UNSUPPORTED_TEST_MAJOR: u32 = 11;

pub(crate) fn check_major(major: u32) -> Result<()> {
    if SUPPORTED_MAJORS.contains(&major) || major == UNSUPPORTED_TEST_MAJOR {
        Ok(())
    } else {
        Err(TestkitError::UnsupportedMajor(major))
    }
}

/// The directory `scripts/provision-postgres` installs server binaries into:
/// `$PGFERRY_PG_CACHE` when set, else `/var/cache/pgferry/postgres` when running as root, else
/// `${XDG_CACHE_HOME:-$HOME/.cache}/pgferry/postgres`. Each major lives in `<cache>/<major>/{bin,lib,share}`.
pub fn cache_dir() -> PathBuf {
    if let Some(dir) = env::var_os("PGFERRY_PG_CACHE").filter(|v| !v.is_empty()) {
        return PathBuf::from(dir);
    }
    if crate::os::is_root() {
        return PathBuf::from("/var/cache/pgferry/postgres");
    }
    let base = env::var_os("XDG_CACHE_HOME")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .or_else(|| env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache")))
        .unwrap_or_else(|| PathBuf::from(".cache"));
    base.join("pgferry").join("postgres")
}

fn is_server_bin_dir(dir: &Path) -> bool {
    crate::os::is_executable(&dir.join("initdb")) && crate::os::is_executable(&dir.join("postgres"))
}

/// The `bin` directory holding `initdb` and `postgres` for `major`, looked for in this order:
///
/// 1. `$PGFERRY_PG<major>_BIN` (e.g. `PGFERRY_PG16_BIN=/opt/pg16/bin`): when set it must be right;
/// 2. Debian's `/usr/lib/postgresql/<major>/bin`;
/// 3. `<cache_dir()>/<major>/bin`, filled by `scripts/provision-postgres`.
///
/// The error names every place looked at and says to run `scripts/provision-postgres`.
pub fn find_server_binaries(major: u32) -> Result<PathBuf> {
    check_major(major)?;
    let var = format!("PGFERRY_PG{major}_BIN");
    if let Some(dir) = env::var_os(&var).filter(|v| !v.is_empty()) {
        let dir = PathBuf::from(dir);
        return if is_server_bin_dir(&dir) {
            Ok(dir)
        } else {
            Err(TestkitError::BinariesNotFound {
                major,
                searched: format!("${var}={} (no initdb and postgres there)", dir.display()),
            })
        };
    }
    let candidates = [
        PathBuf::from(format!("/usr/lib/postgresql/{major}/bin")),
        cache_dir().join(major.to_string()).join("bin"),
    ];
    for dir in &candidates {
        if is_server_bin_dir(dir) {
            return Ok(dir.clone());
        }
    }
    Err(TestkitError::BinariesNotFound {
        major,
        searched: std::iter::once(format!("${var} (unset)"))
            .chain(candidates.iter().map(|p| p.display().to_string()))
            .collect::<Vec<_>>()
            .join(", "),
    })
}

/// The `pgbouncer` executable: `$PGFERRY_PGBOUNCER` when set, else the first `pgbouncer` on `PATH`, else
/// `/usr/sbin/pgbouncer` (where Debian puts it, often outside a non-root user's `PATH`).
pub fn find_pgbouncer() -> Result<PathBuf> {
    if let Some(p) = env::var_os("PGFERRY_PGBOUNCER").filter(|v| !v.is_empty()) {
        let p = PathBuf::from(p);
        return if crate::os::is_executable(&p) {
            Ok(p)
        } else {
            Err(TestkitError::PgbouncerNotFound {
                searched: format!("$PGFERRY_PGBOUNCER={} (not an executable)", p.display()),
            })
        };
    }
    let mut searched = Vec::new();
    if let Some(path) = env::var_os("PATH") {
        for dir in env::split_paths(&path) {
            let p = dir.join("pgbouncer");
            if crate::os::is_executable(&p) {
                return Ok(p);
            }
        }
        searched.push("$PATH".to_string());
    }
    let debian = PathBuf::from("/usr/sbin/pgbouncer");
    if crate::os::is_executable(&debian) {
        return Ok(debian);
    }
    searched.push(debian.display().to_string());
    Err(TestkitError::PgbouncerNotFound {
        searched: searched.join(", "),
    })
}

/// Whether missing prerequisites must fail the test run rather than skip: `CI` is `true` (or `1`).
pub fn running_in_ci() -> bool {
    env::var("CI")
        .map(|v| {
            let v = v.trim();
            v.eq_ignore_ascii_case("true") || v == "1"
        })
        .unwrap_or(false)
}

/// Apply the skip-or-fail policy to a lookup: `Ok` passes through; on `Err`, panic in CI (a missing server
/// version must fail the build, not shrink the matrix) and otherwise print a loud `SKIPPED:` line to stderr and
/// return `None`. `what` names the thing that is missing, e.g. "server 16".
pub fn skip_or_fail<T>(what: &str, found: Result<T>) -> Option<T> {
    match found {
        Ok(v) => Some(v),
        Err(e) => {
            if running_in_ci() {
                panic!("{what} is required in CI (CI=true) but unavailable: {e}");
            }
            eprintln!("SKIPPED: {what} not installed; run scripts/provision-postgres ({e})");
            None
        }
    }
}

/// The bin dir for `major`, or `None` after printing `SKIPPED: server <major> not installed; run
/// scripts/provision-postgres` to stderr. Panics instead when `CI=true`, so CI fails rather than skips.
///
/// ```no_run
/// # async fn t() {
/// for major in pgferry_testkit::majors_under_test() {
///     let Some(_bin) = pgferry_testkit::require_or_skip(major) else { continue };
///     let cluster = pgferry_testkit::Cluster::builder(major).start().await.unwrap();
/// }
/// # }
/// ```
pub fn require_or_skip(major: u32) -> Option<PathBuf> {
    skip_or_fail(&format!("server {major}"), find_server_binaries(major))
}

/// The `pgbouncer` executable, or `None` after printing a `SKIPPED:` line; panics instead when `CI=true`.
pub fn require_pgbouncer_or_skip() -> Option<PathBuf> {
    skip_or_fail("pgbouncer", find_pgbouncer())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_major_lists() {
        assert_eq!(parse_majors("12, 16,18,16").unwrap(), vec![12, 16, 18]);
        assert_eq!(parse_majors(" , ").unwrap(), Vec::<u32>::new());
        assert!(matches!(
            parse_majors("11"),
            Err(TestkitError::UnsupportedMajor(11))
        ));
        assert!(matches!(parse_majors("x"), Err(TestkitError::Config(_))));
    }

    #[test]
    fn unsupported_major_is_an_error() {
        assert!(matches!(
            find_server_binaries(9),
            Err(TestkitError::UnsupportedMajor(9))
        ));
    }
}
