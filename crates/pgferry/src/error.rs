//! The library's error type.

use pgferry_conn::{ConfigError, ConnectError};

/// Why a pgferry operation failed. `Display` is one line for a user: what failed, where, and what to do.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The connection settings are invalid.
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// No connection could be made.
    #[error(transparent)]
    Connect(#[from] ConnectError),
    /// A query failed.
    #[error("{what} failed: {}", pgferry_conn::describe_pg_error(.source))]
    Query {
        /// What pgferry was doing.
        what: String,
        /// The server's or the client's error.
        #[source]
        source: tokio_postgres::Error,
    },
}

impl Error {
    pub(crate) fn query(what: impl Into<String>, source: tokio_postgres::Error) -> Error {
        Error::Query {
            what: what.into(),
            source,
        }
    }

    /// The server's error, when the server sent one.
    pub fn db_error(&self) -> Option<&tokio_postgres::error::DbError> {
        match self {
            Error::Connect(e) => e.db_error(),
            Error::Query { source, .. } => source.as_db_error(),
            Error::Config(_) => None,
        }
    }
}
