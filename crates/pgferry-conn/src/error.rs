//! Connection errors: one line each, saying what failed, where, and what to do.

use std::fmt;
use std::time::Duration;

use tokio_postgres::error::{DbError, SqlState};

use crate::tls::TlsSetupError;
use crate::{ConfigError, ServerVersion};

/// Why a connection could not be made.
///
/// `Display` gives one line fit for a user; no variant ever holds a password.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ConnectError {
    /// The connection settings are invalid.
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// The TLS settings could not be turned into a TLS configuration.
    #[error(transparent)]
    TlsSetup(#[from] TlsSetupError),
    /// The server could not be reached.
    #[error("could not connect to {target}: {reason}{}", hint_suffix(.hint))]
    Unreachable {
        /// Where we tried to connect.
        target: String,
        /// The operating system's reason.
        reason: String,
        /// What to check.
        hint: Option<String>,
    },
    /// `connect_timeout` passed before the connection was ready.
    #[error("timed out connecting to {target} after {}s (connect_timeout)", .after.as_secs())]
    Timeout {
        /// Where we tried to connect.
        target: String,
        /// The timeout that passed.
        after: Duration,
    },
    /// The server does not offer TLS but the `sslmode` requires it.
    #[error("{target} does not support TLS, but sslmode={sslmode} requires it")]
    TlsNotOffered {
        /// The server.
        target: String,
        /// The mode that required TLS.
        sslmode: crate::SslMode,
    },
    /// The TLS handshake failed, for example because the certificate was not trusted.
    #[error("TLS with {target} failed: {reason}")]
    TlsHandshake {
        /// The server.
        target: String,
        /// Why, in words.
        reason: String,
    },
    /// The server asked for a password and none was available.
    #[error(
        "{target} asks for a password for user \"{user}\" and none was given: set it in the connection \
         string, in PGPASSWORD, or in the password file ({passfile})"
    )]
    PasswordMissing {
        /// The server.
        target: String,
        /// The user we tried to log in as.
        user: String,
        /// Where a password file was looked for.
        passfile: String,
    },
    /// The server refused the connection or reported an error while it started.
    #[error("{target}: {} {}{}", .error.severity(), .error.message(), hint_suffix(.hint))]
    Server {
        /// The server.
        target: String,
        /// The server's error, whole.
        error: Box<DbError>,
        /// Our hint, or the server's.
        hint: Option<String>,
    },
    /// The server is older than any pgferry supports.
    #[error(
        "{target} runs PostgreSQL {version}, which pgferry does not support: the oldest supported server is \
         PostgreSQL 12"
    )]
    UnsupportedServerVersion {
        /// The server.
        target: String,
        /// Its version.
        version: ServerVersion,
    },
    /// Something else went wrong on the wire.
    #[error("connection to {target} failed: {reason}")]
    Protocol {
        /// The server.
        target: String,
        /// What happened.
        reason: String,
    },
    /// Every host in the list failed; each failure is kept.
    #[error("{}", join_failures(.0))]
    AllHostsFailed(Vec<ConnectError>),
}

fn hint_suffix(hint: &Option<String>) -> String {
    match hint {
        Some(hint) => format!(" (hint: {hint})"),
        None => String::new(),
    }
}

fn join_failures(errors: &[ConnectError]) -> String {
    let mut out = String::from("no host could be used: ");
    for (i, error) in errors.iter().enumerate() {
        if i > 0 {
            out.push_str("; ");
        }
        out.push_str(&error.to_string());
    }
    out
}

impl ConnectError {
    /// The server's error, when the server sent one.
    pub fn db_error(&self) -> Option<&DbError> {
        match self {
            ConnectError::Server { error, .. } => Some(error),
            ConnectError::AllHostsFailed(errors) => errors.iter().rev().find_map(|e| e.db_error()),
            _ => None,
        }
    }

    /// The SQLSTATE of the server's error, when there was one.
    pub fn code(&self) -> Option<&SqlState> {
        self.db_error().map(|e| e.code())
    }

    /// Whether the next host in a multi-host list should be tried after this error.
    ///
    /// libpq moves on when a host cannot be reached or TLS cannot be set up with it, but not once a server
    /// answered with an error (wrong password, unknown database).
    pub(crate) fn try_next_host(&self) -> bool {
        matches!(
            self,
            ConnectError::Unreachable { .. }
                | ConnectError::Timeout { .. }
                | ConnectError::TlsNotOffered { .. }
                | ConnectError::TlsHandshake { .. }
                | ConnectError::Protocol { .. }
        )
    }

    /// Whether the server refused this kind of connection in pg_hba.conf (so another TLS choice may work).
    pub(crate) fn is_hba_rejection(&self) -> bool {
        self.code() == Some(&SqlState::INVALID_AUTHORIZATION_SPECIFICATION)
    }
}

/// A target's description for messages: `server at "host" (address), port N` in short form.
pub(crate) struct TargetLabel<'a>(pub(crate) &'a crate::Target);

impl fmt::Display for TargetLabel<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let target = self.0;
        match (&target.host, target.hostaddr) {
            (crate::Host::Socket(_), _) => {
                let path = target.socket_path().unwrap_or_default();
                write!(f, "server on socket \"{}\"", path.display())
            }
            (crate::Host::Tcp(name), Some(addr)) if name != &addr.to_string() => {
                write!(f, "server at \"{name}\" ({addr}), port {}", target.port)
            }
            (crate::Host::Tcp(name), _) => write!(f, "server at \"{name}\", port {}", target.port),
        }
    }
}

/// One line for a client or server error: the server's severity, message, detail and hint when the server
/// sent them (tokio-postgres's own `Display` says only "db error").
pub fn describe_pg_error(error: &tokio_postgres::Error) -> String {
    match error.as_db_error() {
        Some(db) => {
            let mut text = format!("{}: {}", db.severity(), db.message());
            if let Some(detail) = db.detail() {
                text.push_str(&format!(" (detail: {})", detail.replace('\n', " ")));
            }
            if let Some(hint) = db.hint() {
                text.push_str(&format!(" (hint: {})", hint.replace('\n', " ")));
            }
            text
        }
        None => match std::error::Error::source(error) {
            Some(source) => format!("{error}: {source}"),
            None => error.to_string(),
        },
    }
}
