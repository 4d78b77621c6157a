//! Catalog reading errors.

/// Why the catalog could not be read.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CatalogError {
    /// A catalog query failed on the server.
    #[error("reading {what} failed: {}", pgferry_conn::describe_pg_error(.source))]
    Query {
        /// What was being read ("tables", "functions", ...).
        what: &'static str,
        /// The server's or the client's error.
        #[source]
        source: tokio_postgres::Error,
    },
    /// A value did not decode as expected: a bug in pgferry or an unexpected server.
    #[error("reading {query}: column {column}: {reason}")]
    Decode {
        /// The query's name.
        query: &'static str,
        /// The column.
        column: String,
        /// What was wrong.
        reason: String,
    },
    /// A table could not be locked in time.
    #[error(
        "could not lock table {table} within the lock wait timeout{}: another session holds a conflicting lock; \
         retry later, or raise --lock-wait-timeout",
        .blocker.as_deref().map(|b| format!(" (blocked by {b})")).unwrap_or_default()
    )]
    LockTimeout {
        /// The table (qualified, quoted).
        table: String,
        /// The blocking session, when it could be found.
        blocker: Option<String>,
    },
    /// Locking failed for another reason, such as missing privileges.
    #[error("could not lock table {table}: {}", pgferry_conn::describe_pg_error(.source))]
    Lock {
        /// The table.
        table: String,
        /// The server's error.
        #[source]
        source: tokio_postgres::Error,
    },
}

impl CatalogError {
    /// The server's error, when there was one.
    pub fn db_error(&self) -> Option<&tokio_postgres::error::DbError> {
        match self {
            CatalogError::Query { source, .. } | CatalogError::Lock { source, .. } => {
                source.as_db_error()
            }
            _ => None,
        }
    }
}
