//! The one error type of the test kit.

use std::path::PathBuf;
use std::time::Duration;

/// Everything that can go wrong while finding binaries, preparing files, or starting and talking to a
/// throwaway server. Messages name what failed and, for a server that did not come up, end with its log tail.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TestkitError {
    /// A major version outside [`SUPPORTED_MAJORS`](crate::SUPPORTED_MAJORS).
    #[error("PostgreSQL major {0} is not supported by pgferry-testkit (supported: 12 to 18)")]
    UnsupportedMajor(u32),

    /// No usable `initdb`/`postgres` pair for this major.
    #[error(
        "PostgreSQL {major} server binaries not found (looked in: {searched}); \
         run scripts/provision-postgres {major}, or set PGFERRY_PG{major}_BIN to a dir holding initdb and postgres"
    )]
    BinariesNotFound {
        /// The major version asked for.
        major: u32,
        /// The places that were looked at, in order.
        searched: String,
    },

    /// No `pgbouncer` executable.
    #[error(
        "pgbouncer not found (looked in: {searched}); run scripts/provision-postgres, \
         or set PGFERRY_PGBOUNCER to the pgbouncer executable"
    )]
    PgbouncerNotFound {
        /// The places that were looked at, in order.
        searched: String,
    },

    /// The reference client tools (pg_dump, pg_restore and psql of a pinned version) are not installed.
    #[error(
        "reference pg_dump/pg_restore/psql {version} not found (looked in: {searched}); \
         run scripts/provision-postgres, or set {env_var} to a dir holding pg_dump, pg_restore and psql {version}"
    )]
    ReferenceToolsNotFound {
        /// The version asked for (`15`, `17.10`, `18.6`).
        version: String,
        /// The environment variable that overrides the lookup.
        env_var: String,
        /// The places that were looked at, in order, with why each was refused.
        searched: String,
    },

    /// A file-system or process operation failed.
    #[error("{what}: {source}")]
    Io {
        /// What was being done, with the path involved.
        what: String,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },

    /// A helper program (initdb, useradd, ...) exited unsuccessfully.
    #[error("{program} failed ({status}); its output:\n{output}")]
    CommandFailed {
        /// The command line that was run.
        program: String,
        /// How it ended.
        status: String,
        /// Its stdout and stderr (tail).
        output: String,
    },

    /// A server process exited before it accepted connections.
    #[error("{what} exited before accepting connections ({status}); log {log}, tail:\n{log_tail}")]
    ExitedEarly {
        /// Which server (e.g. "PostgreSQL 16 on port 41234").
        what: String,
        /// Its exit status.
        status: String,
        /// Path to its log file.
        log: PathBuf,
        /// The last lines of its log.
        log_tail: String,
    },

    /// A server process did not accept connections in time.
    #[error(
        "{what} did not accept connections within {timeout:?} (last attempt: {last_error}); log {log}, tail:\n{log_tail}"
    )]
    StartTimeout {
        /// Which server.
        what: String,
        /// How long we waited.
        timeout: Duration,
        /// The error of the last connection attempt.
        last_error: String,
        /// Path to its log file.
        log: PathBuf,
        /// The last lines of its log.
        log_tail: String,
    },

    /// The unprivileged user that servers run as (when the tests run as root) is missing or unusable.
    #[error("server user '{user}': {message}")]
    ServerUser {
        /// The OS user name (`pgferry`).
        user: String,
        /// What is wrong.
        message: String,
    },

    /// Generating certificates failed.
    #[error("generating TLS material: {0}")]
    Tls(#[from] rcgen::Error),

    /// A query or connection to a test server failed.
    #[error("{what}: {message}")]
    Postgres {
        /// What was being done (connecting to which URL, running what).
        what: String,
        /// The error, with the server's message, detail and SQLSTATE when there is one.
        message: String,
        /// The underlying error.
        #[source]
        source: tokio_postgres::Error,
    },

    /// A configuration value (environment variable, builder argument) is invalid.
    #[error("invalid configuration: {0}")]
    Config(String),
}

/// Shorthand for results of this crate.
pub type Result<T, E = TestkitError> = std::result::Result<T, E>;

impl TestkitError {
    pub(crate) fn io(what: impl Into<String>, source: std::io::Error) -> Self {
        TestkitError::Io {
            what: what.into(),
            source,
        }
    }

    pub(crate) fn postgres(what: impl Into<String>, source: tokio_postgres::Error) -> Self {
        TestkitError::Postgres {
            what: what.into(),
            message: describe_pg_error(&source),
            source,
        }
    }
}

/// A one-line description of a tokio-postgres error that keeps the server's message (its `Display` alone says
/// only "db error").
pub(crate) fn describe_pg_error(e: &tokio_postgres::Error) -> String {
    if let Some(db) = e.as_db_error() {
        let mut s = format!(
            "{}: {} (SQLSTATE {})",
            db.severity(),
            db.message(),
            db.code().code()
        );
        if let Some(d) = db.detail() {
            s.push_str("; detail: ");
            s.push_str(d);
        }
        if let Some(h) = db.hint() {
            s.push_str("; hint: ");
            s.push_str(h);
        }
        s
    } else {
        let mut s = e.to_string();
        let mut src = std::error::Error::source(e);
        while let Some(inner) = src {
            s.push_str(": ");
            s.push_str(&inner.to_string());
            src = inner.source();
        }
        s
    }
}
